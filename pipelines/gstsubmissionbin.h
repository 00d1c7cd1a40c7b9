/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SUBMISSION_BIN (gst_submission_bin_get_type ())
G_DECLARE_FINAL_TYPE (GstSubmissionBin, gst_submission_bin, GST, SUBMISSION_BIN, GstBin);

GST_ELEMENT_REGISTER_DECLARE (submissionbin);

G_END_DECLS
