/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_SCHOOL_WATERMARK (gst_school_watermark_get_type ())
G_DECLARE_FINAL_TYPE (GstSchoolWatermark, gst_school_watermark, GST,
    SCHOOL_WATERMARK, GstVideoFilter);

GST_ELEMENT_REGISTER_DECLARE (schoolwatermark);

G_END_DECLS
