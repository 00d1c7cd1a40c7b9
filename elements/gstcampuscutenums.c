/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Shared enum GTypes. Values mirror ccpolicy.h where the policy code has
 * its own GLib-only enum.
 */
#include "gstcampuscutenums.h"
#include "ccloudness.h"
#include "ccpolicy.h"

G_STATIC_ASSERT ((gint) GST_CAMPUSCUT_TOO_LONG_ERROR == (gint) CC_TOO_LONG_ERROR);
G_STATIC_ASSERT ((gint) GST_CAMPUSCUT_TOO_LONG_TRIM == (gint) CC_TOO_LONG_TRIM);
G_STATIC_ASSERT ((gint) GST_CAMPUSCUT_TOO_LONG_WARN == (gint) CC_TOO_LONG_WARN);

#define DEFINE_ENUM_TYPE(func, name, ...)                               \
GType                                                                   \
func (void)                                                             \
{                                                                       \
  static GType type = 0;                                                \
  static const GEnumValue values[] = { __VA_ARGS__, {0, NULL, NULL} };  \
  if (g_once_init_enter (&type)) {                                      \
    GType t = g_enum_register_static (name, values);                    \
    g_once_init_leave (&type, t);                                       \
  }                                                                     \
  return type;                                                          \
}

DEFINE_ENUM_TYPE (gst_campuscut_category_get_type, "GstCampuscutCategory",
    {CC_CATEGORY_NONE, "No duration rule", "none"},
    {CC_CATEGORY_STORY, "Role-model story, 3 to 5 minutes", "story"},
    {CC_CATEGORY_CRAFTSMAN, "Future-craftsman talk, 3 to 5 minutes",
        "craftsman"},
    {CC_CATEGORY_OVERVIEW, "Activity overview, at most 5 minutes",
        "overview"},
    {CC_CATEGORY_PLATFORM, "Short-video platform cut, at most 1 minute",
        "platform"});

DEFINE_ENUM_TYPE (gst_campuscut_quality_get_type, "GstCampuscutQuality",
    {CC_QUALITY_DRAFT, "Fast preview proxy: 640x360, x264 ultrafast",
        "draft"},
    {CC_QUALITY_STANDARD, "Delivery quality: 1080p, x264 faster, CRF 21",
        "standard"},
    {CC_QUALITY_HIGH, "Archive quality: 1080p, x264 medium, CRF 19", "high"});

DEFINE_ENUM_TYPE (gst_campuscut_too_long_get_type, "GstCampuscutTooLong",
    {GST_CAMPUSCUT_TOO_LONG_ERROR, "Fail with a STREAM error", "error"},
    {GST_CAMPUSCUT_TOO_LONG_TRIM, "End the stream at the maximum", "trim"},
    {GST_CAMPUSCUT_TOO_LONG_WARN, "Post a warning and let it run", "warn"});

DEFINE_ENUM_TYPE (gst_campuscut_too_short_get_type, "GstCampuscutTooShort",
    {GST_CAMPUSCUT_TOO_SHORT_ERROR, "Fail with a STREAM error", "error"},
    {GST_CAMPUSCUT_TOO_SHORT_WARN, "Post a warning", "warn"});

DEFINE_ENUM_TYPE (gst_campuscut_loudness_get_type, "GstCampuscutLoudness",
    {CC_LOUDNESS_WEB, "Web and social video: -16 LUFS, -1 dBTP", "web"},
    {CC_LOUDNESS_MOBILE, "GY/T 377 mobile: -15 LUFS, -1 dBTP", "mobile"},
    {CC_LOUDNESS_QUIET, "Quiet rooms: -24 LUFS, -2 dBTP", "quiet"},
    {CC_LOUDNESS_EBU, "EBU R128 broadcast: -23 LUFS, -1 dBTP", "ebu"},
    {CC_LOUDNESS_OFF, "Leave the loudness as it is", "off"});
