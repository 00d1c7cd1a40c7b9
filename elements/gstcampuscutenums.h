/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GTypes of the enums that several campuscut elements share as property
 * types, so gst-inspect-1.0 shows one type per concept.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  GST_CAMPUSCUT_TOO_LONG_ERROR,
  GST_CAMPUSCUT_TOO_LONG_TRIM,
  GST_CAMPUSCUT_TOO_LONG_WARN,
} GstCampuscutTooLong;

typedef enum {
  GST_CAMPUSCUT_TOO_SHORT_ERROR,
  GST_CAMPUSCUT_TOO_SHORT_WARN,
} GstCampuscutTooShort;

#define GST_TYPE_CAMPUSCUT_CATEGORY (gst_campuscut_category_get_type ())
GType gst_campuscut_category_get_type (void);
#define GST_TYPE_CAMPUSCUT_QUALITY (gst_campuscut_quality_get_type ())
GType gst_campuscut_quality_get_type (void);
#define GST_TYPE_CAMPUSCUT_TOO_LONG (gst_campuscut_too_long_get_type ())
GType gst_campuscut_too_long_get_type (void);
/* values are CcLoudnessTarget's */
#define GST_TYPE_CAMPUSCUT_LOUDNESS (gst_campuscut_loudness_get_type ())
GType gst_campuscut_loudness_get_type (void);
#define GST_TYPE_CAMPUSCUT_TOO_SHORT (gst_campuscut_too_short_get_type ())
GType gst_campuscut_too_short_get_type (void);

G_END_DECLS
