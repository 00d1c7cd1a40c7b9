/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_CAPTION_BURN (gst_caption_burn_get_type ())
G_DECLARE_FINAL_TYPE (GstCaptionBurn, gst_caption_burn, GST, CAPTION_BURN,
    GstVideoFilter);

GST_ELEMENT_REGISTER_DECLARE (captionburn);

G_END_DECLS
