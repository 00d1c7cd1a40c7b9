/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Campaign policy tables. The numbers here are the campaign notice's rules and
 * the output defaults of DESIGN.md §5; everything else reads them from here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ccpolicy.h"

static const struct {
  CcCategory category;
  const gchar *id;
  guint64 min_s;
  guint64 max_s;
} categories[] = {
  {CC_CATEGORY_NONE, "none", 0, 0},
  {CC_CATEGORY_STORY, "story", 180, 300},
  {CC_CATEGORY_CRAFTSMAN, "craftsman", 180, 300},
  {CC_CATEGORY_OVERVIEW, "overview", 0, 300},
  {CC_CATEGORY_PLATFORM, "platform", 0, 60},
};

/* Standard keeps x264 fast enough for two encoders on two cores; high is what
 * a media team would pick for an archive master; draft is a preview proxy. */
static const CcQualityPreset presets[] = {
  {"draft", 640, 360, "ultrafast", 28, 1500, 2000, 3, 0},
  /* 10 rather than faster's 20: two 1080p encoders run side by side, and
   * the 10 frames saved per encoder are 200 MB of the job's peak memory */
  {"standard", 1920, 1080, "faster", 21, 8000, 2000, 3, 10},
  {"high", 1920, 1080, "medium", 19, 8000, 2000, 3, 0},
};

const gchar *
cc_category_to_string (CcCategory category)
{
  for (guint i = 0; i < G_N_ELEMENTS (categories); i++)
    if (categories[i].category == category)
      return categories[i].id;
  return NULL;
}

gboolean
cc_category_from_string (const gchar * str, CcCategory * category)
{
  for (guint i = 0; str && i < G_N_ELEMENTS (categories); i++) {
    if (g_ascii_strcasecmp (str, categories[i].id) == 0) {
      *category = categories[i].category;
      return TRUE;
    }
  }
  return FALSE;
}

void
cc_category_limits (CcCategory category, guint64 * min_ns, guint64 * max_ns)
{
  *min_ns = *max_ns = 0;
  for (guint i = 0; i < G_N_ELEMENTS (categories); i++) {
    if (categories[i].category == category) {
      *min_ns = categories[i].min_s * G_GUINT64_CONSTANT (1000000000);
      *max_ns = categories[i].max_s * G_GUINT64_CONSTANT (1000000000);
    }
  }
}

guint64
cc_category_max (CcCategory category)
{
  guint64 min, max;

  cc_category_limits (category, &min, &max);
  return max;
}

const gchar *
cc_quality_to_string (CcQuality quality)
{
  return cc_quality_preset (quality)->name;
}

gboolean
cc_quality_from_string (const gchar * str, CcQuality * quality)
{
  for (guint i = 0; str && i < G_N_ELEMENTS (presets); i++) {
    if (g_ascii_strcasecmp (str, presets[i].name) == 0) {
      *quality = (CcQuality) i;
      return TRUE;
    }
  }
  return FALSE;
}

const CcQualityPreset *
cc_quality_preset (CcQuality quality)
{
  if ((guint) quality >= G_N_ELEMENTS (presets))
    quality = CC_QUALITY_STANDARD;
  return &presets[quality];
}

void
cc_output_frame_size (guint display_w, guint display_h, guint long_edge,
    guint short_edge, guint * out_w, guint * out_h)
{
  /* Encoders need even sizes for 4:2:0; callers may pass any preset size. */
  long_edge &= ~1u;
  short_edge &= ~1u;

  if (display_h > display_w) {
    *out_w = short_edge;
    *out_h = long_edge;
  } else {
    *out_w = long_edge;
    *out_h = short_edge;
  }
}

CcDurationVerdict
cc_duration_check (guint64 duration_ns, guint64 min_ns, guint64 max_ns)
{
  if (min_ns && duration_ns + CC_DURATION_TOLERANCE_NS < min_ns)
    return CC_DURATION_TOO_SHORT;
  if (max_ns && duration_ns > max_ns + CC_DURATION_TOLERANCE_NS)
    return CC_DURATION_TOO_LONG;
  return CC_DURATION_OK;
}

/* For tests only: CAMPUSCUT_TEST_DISABLE_PLAYLIST_VETO=1 switches off
 * campuscut's own refusal of playlists and of elements that read other
 * files or the network (below and cc_is_manifest_type), so that a test
 * can show the server's sandbox stopping such an input by itself. Never
 * set it anywhere else. */
static gboolean
playlist_veto_disabled (void)
{
  static gsize disabled = 0;

  if (g_once_init_enter (&disabled))
    g_once_init_leave (&disabled, g_strcmp0 (g_getenv
            ("CAMPUSCUT_TEST_DISABLE_PLAYLIST_VETO"), "1") == 0 ? 2 : 1);
  return disabled == 2;
}

gboolean
cc_is_manifest_type (const gchar * media_type)
{
  static const gchar *manifests[] = {
    "application/x-hls", "application/dash+xml",
    "application/vnd.ms-sstr+xml", "application/sdp", "application/smil",
    "text/uri-list", "audio/x-mpegurl", "application/xspf+xml",
    "audio/x-scpls", "application/x-ms-asx", "video/x-ms-asf-redirect",
  };

  if (playlist_veto_disabled ())
    return FALSE;
  for (guint i = 0; media_type && i < G_N_ELEMENTS (manifests); i++)
    if (strcmp (media_type, manifests[i]) == 0)
      return TRUE;
  return FALSE;
}

const gchar *
cc_duration_verdict_to_string (CcDurationVerdict verdict)
{
  switch (verdict) {
    case CC_DURATION_TOO_SHORT:
      return "too-short";
    case CC_DURATION_TOO_LONG:
      return "too-long";
    default:
      return "ok";
  }
}

static gchar *
seconds_text (guint64 ns)
{
  /* Whole seconds print without decimals: "180", but "59.5". */
  if (ns % G_GUINT64_CONSTANT (1000000000) == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT,
        ns / G_GUINT64_CONSTANT (1000000000));
  return g_strdup_printf ("%.1f", ns / 1e9);
}

gchar *
cc_duration_rule_text (CcCategory category, guint64 min_ns, guint64 max_ns)
{
  const gchar *id = cc_category_to_string (category);
  gchar *lo = seconds_text (min_ns), *hi = seconds_text (max_ns), *who, *rule;

  who = category == CC_CATEGORY_NONE ? g_strdup (_("videos")) :
      g_strdup_printf (_("%s videos"), id);
  if (min_ns && max_ns)
    rule = g_strdup_printf (_("%s must be %s\u2013%s s"), who, lo, hi);
  else if (max_ns)
    rule = g_strdup_printf (_("%s must be at most %s s"), who, hi);
  else if (min_ns)
    rule = g_strdup_printf (_("%s must be at least %s s"), who, lo);
  else
    rule = g_strdup_printf (_("%s have no duration rule"), who);
  g_free (lo);
  g_free (hi);
  g_free (who);
  return rule;
}

CcDurationVerdict
cc_declared_duration_verdict (guint64 duration_ns, gboolean exact,
    guint64 min_ns, guint64 max_ns, gboolean too_long_rejects)
{
  guint64 margin = exact ? 0 : CC_ESTIMATED_DURATION_MARGIN_NS;
  CcDurationVerdict v;

  /* widen the limits by the margin: what the data decides stays open */
  v = cc_duration_check (duration_ns, min_ns > margin ? min_ns - margin : 0,
      max_ns ? max_ns + margin : 0);
  if (v == CC_DURATION_TOO_LONG && !too_long_rejects)
    v = CC_DURATION_OK;
  return v;
}

gboolean
cc_container_has_exact_duration (const gchar * media_type)
{
  static const gchar *indexed[] = {
    "video/quicktime", "application/x-3gp", "audio/x-m4a", "video/mj2",
    "video/x-matroska", "video/webm", "video/x-msvideo",
  };

  for (guint i = 0; media_type && i < G_N_ELEMENTS (indexed); i++)
    if (strcmp (media_type, indexed[i]) == 0)
      return TRUE;
  return FALSE;
}

gboolean
cc_klass_reads_elsewhere (const gchar * klass)
{
  if (playlist_veto_disabled ())
    return FALSE;
  return klass && (strstr (klass, "Adaptive") || strstr (klass, "Network"));
}

gchar *
cc_frame_size_problem (guint w, guint h)
{
  if (w <= CC_MAX_FRAME_EDGE && h <= CC_MAX_FRAME_EDGE)
    return NULL;
  return g_strdup_printf (_("the picture claims to be %ux%u pixels, more "
          "than any camera records (at most %u a side); the file is damaged"),
      w, h, CC_MAX_FRAME_EDGE);
}

static const gchar *too_long_ids[] = { "error", "trim", "warn" };
static const gchar *aspect_ids[] = { "portrait", "source" };

/* The index of str in ids (any case), or -1. */
static gint
id_index (const gchar * const *ids, guint n, const gchar * str)
{
  for (guint i = 0; str && i < n; i++)
    if (g_ascii_strcasecmp (str, ids[i]) == 0)
      return (gint) i;
  return -1;
}

const gchar *
cc_too_long_to_string (CcTooLong action)
{
  return (guint) action < G_N_ELEMENTS (too_long_ids) ?
      too_long_ids[action] : NULL;
}

gboolean
cc_too_long_from_string (const gchar * str, CcTooLong * action)
{
  gint i = id_index (too_long_ids, G_N_ELEMENTS (too_long_ids), str);

  if (i >= 0)
    *action = (CcTooLong) i;
  return i >= 0;
}

const gchar *
cc_platform_aspect_to_string (CcPlatformAspect aspect)
{
  return (guint) aspect < G_N_ELEMENTS (aspect_ids) ? aspect_ids[aspect] :
      NULL;
}

gboolean
cc_platform_aspect_from_string (const gchar * str, CcPlatformAspect * aspect)
{
  gint i = id_index (aspect_ids, G_N_ELEMENTS (aspect_ids), str);

  if (i >= 0)
    *aspect = (CcPlatformAspect) i;
  return i >= 0;
}
