/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_DURATION_GUARD (gst_duration_guard_get_type ())
G_DECLARE_FINAL_TYPE (GstDurationGuard, gst_duration_guard, GST,
    DURATION_GUARD, GstElement);

GST_ELEMENT_REGISTER_DECLARE (durationguard);

G_END_DECLS
