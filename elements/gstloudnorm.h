/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_LOUD_NORM (gst_loud_norm_get_type ())
G_DECLARE_FINAL_TYPE (GstLoudNorm, gst_loud_norm, GST, LOUD_NORM, GstElement);

GST_ELEMENT_REGISTER_DECLARE (loudnorm);

G_END_DECLS
