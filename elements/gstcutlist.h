/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_CUT_LIST (gst_cut_list_get_type ())
G_DECLARE_FINAL_TYPE (GstCutList, gst_cut_list, GST, CUT_LIST, GstElement);

GST_ELEMENT_REGISTER_DECLARE (cutlist);

G_END_DECLS
