/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Output conformance checks: the delivery format verified on written files.
 *
 * Each check reads the output file through an independent path
 * (discoverer and a box walk) and states what it found.
 */
#include <string.h>

#include "ccchecks.h"
#include "ccmp4.h"

/* H.264 Annex A table A-1: MaxMBPS and MaxFS per level. */
static const struct {
  const gchar *level;
  guint max_mbps;
  guint max_fs;
} h264_levels[] = {
  {"1", 1485, 99}, {"1.1", 3000, 396}, {"1.2", 6000, 396},
  {"1.3", 11880, 396}, {"2", 11880, 396}, {"2.1", 19800, 792},
  {"2.2", 20250, 1620}, {"3", 40500, 1620}, {"3.1", 108000, 3600},
  {"3.2", 216000, 5120}, {"4", 245760, 8192}, {"4.1", 245760, 8192},
  {"4.2", 522240, 8704}, {"5", 589824, 22080}, {"5.1", 983040, 36864},
  {"5.2", 2073600, 36864}, {"6", 4177920, 139264}, {"6.1", 8355840, 139264},
  {"6.2", 16711680, 139264},
};

static gint
level_index (const gchar * level)
{
  for (guint i = 0; level && i < G_N_ELEMENTS (h264_levels); i++)
    if (g_strcmp0 (level, h264_levels[i].level) == 0)
      return (gint) i;
  return -1;
}

const gchar *
cc_h264_min_level (guint width, guint height, gint fps_n, gint fps_d)
{
  guint64 fs = (guint64) ((width + 15) / 16) * ((height + 15) / 16);
  guint64 mbps = fps_d > 0 ? gst_util_uint64_scale_ceil (fs, fps_n, fps_d) : 0;

  for (guint i = 0; i < G_N_ELEMENTS (h264_levels); i++)
    if (fs <= h264_levels[i].max_fs && mbps <= h264_levels[i].max_mbps)
      return h264_levels[i].level;
  return NULL;
}

static void
check_free (CcCheck * check)
{
  g_free (check->name);
  g_free (check->detail);
  g_free (check);
}

G_GNUC_PRINTF (4, 5)
static void
add_check (GPtrArray * checks, const gchar * name, gboolean pass,
    const gchar * fmt, ...)
{
  CcCheck *c = g_new0 (CcCheck, 1);
  va_list args;

  c->name = g_strdup (name);
  c->pass = pass;
  va_start (args, fmt);
  c->detail = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_ptr_array_add (checks, c);
}

GPtrArray *
cc_check_output (const gchar * path, const CcExpect * e, CcProbe * o,
    GError ** error)
{
  GPtrArray *checks;
  gint64 moov, mdat;
  GError *err = NULL;
  const gchar *need;
  gint have_idx, need_idx;
  gboolean is_mp4;

  if (!cc_probe_file (path, 30, o, error))
    return NULL;

  checks = g_ptr_array_new_with_free_func ((GDestroyNotify) check_free);

  is_mp4 = g_strcmp0 (o->container, "video/quicktime") == 0 &&
      (o->container_variant == NULL ||
      g_strcmp0 (o->container_variant, "iso") == 0);
  add_check (checks, "container", is_mp4, "%s%s%s",
      o->container ? o->container : "unknown",
      o->container_variant ? ", variant=" : "",
      o->container_variant ? o->container_variant : "");

  if (cc_mp4_top_level_offsets (path, &moov, &mdat, &err))
    add_check (checks, "faststart", moov >= 0 && mdat >= 0 && moov < mdat,
        "moov at %" G_GINT64_FORMAT ", mdat at %" G_GINT64_FORMAT, moov, mdat);
  else {
    add_check (checks, "faststart", FALSE, "%s", err->message);
    g_clear_error (&err);
  }

  add_check (checks, "video-codec",
      g_strcmp0 (o->video_codec, "video/x-h264") == 0 &&
      g_strcmp0 (o->video_profile, "high") == 0, "%s, profile %s",
      o->video_codec ? o->video_codec : "none",
      o->video_profile ? o->video_profile : "unknown");
  add_check (checks, "pixel-format", o->bit_depth == 8 &&
      g_strcmp0 (o->chroma_format, "4:2:0") == 0, "%u-bit %s", o->bit_depth,
      o->chroma_format ? o->chroma_format : "unknown chroma");
  add_check (checks, "frame-size", o->width == e->width &&
      o->height == e->height && o->width % 2 == 0 && o->height % 2 == 0,
      "%ux%u (expected %ux%u)", o->width, o->height, e->width, e->height);
  add_check (checks, "square-pixels", o->par_n == o->par_d, "%d:%d",
      o->par_n, o->par_d);
  add_check (checks, "colorimetry", g_strcmp0 (o->colorimetry, "bt709") == 0
      && !o->hdr, "%s", o->colorimetry ? o->colorimetry : "untagged");
  add_check (checks, "progressive", !o->interlaced, "%s",
      o->interlaced ? "interlaced" : "progressive");
  add_check (checks, "frame-rate", !o->variable_fps &&
      (gint64) o->fps_n * e->fps_d == (gint64) e->fps_n * o->fps_d,
      "%d/%d %s (expected %d/%d)", o->fps_n, o->fps_d,
      o->variable_fps ? "variable" : "constant", e->fps_n, e->fps_d);
  add_check (checks, "no-rotation-tag", o->rotation == 0 && !o->flipped,
      "rotation %u%s", o->rotation, o->flipped ? ", mirrored" : "");

  need = cc_h264_min_level (o->width, o->height, e->fps_n, e->fps_d);
  have_idx = level_index (o->video_level);
  need_idx = level_index (need);
  /* x264 may pick one step up for its VBV settings; more would exclude
   * devices for nothing. */
  add_check (checks, "level", have_idx >= 0 && need_idx >= 0 &&
      have_idx >= need_idx && have_idx <= need_idx + 2,
      "level %s (size and rate need at least %s)",
      o->video_level ? o->video_level : "unknown", need ? need : "?");

  add_check (checks, "audio-codec", o->n_audio == 1 &&
      g_strcmp0 (o->audio_codec, "audio/mpeg") == 0 &&
      g_strcmp0 (o->audio_profile, "lc") == 0, "%s, profile %s",
      o->audio_codec ? o->audio_codec : "none",
      o->audio_profile ? o->audio_profile : "unknown");
  add_check (checks, "audio-format", o->rate == 48000 && o->channels == 2,
      "%u Hz, %u channels", o->rate, o->channels);

  if (GST_CLOCK_TIME_IS_VALID (e->duration)) {
    GstClockTimeDiff diff = GST_CLOCK_DIFF (e->duration, o->duration);

    add_check (checks, "duration", GST_CLOCK_TIME_IS_VALID (o->duration) &&
        ABS (diff) <= (GstClockTimeDiff) e->tolerance,
        "%.3f s (source %.3f s, tolerance %.3f s)",
        o->duration / (gdouble) GST_SECOND, e->duration / (gdouble) GST_SECOND,
        e->tolerance / (gdouble) GST_SECOND);
  }
  if (e->min_duration || e->max_duration) {
    /* Outputs are cut at the maximum exactly; the minimum allows for the
     * rounding of the source's last packet. */
    gboolean ok = GST_CLOCK_TIME_IS_VALID (o->duration) &&
        (!e->max_duration || o->duration <= e->max_duration) &&
        o->duration + e->rule_tolerance >= e->min_duration;

    add_check (checks, "duration-rule", ok, "%.3f s (rule %.3f to %.3f s)",
        o->duration / (gdouble) GST_SECOND,
        e->min_duration / (gdouble) GST_SECOND,
        e->max_duration ? e->max_duration / (gdouble) GST_SECOND : G_MAXDOUBLE);
  }
  return checks;
}

GstClockTime
cc_duration_tolerance (const CcProbe * src, gint fps_n, gint fps_d)
{
  GstClockTime tol = gst_util_uint64_scale_int (GST_SECOND, fps_d, fps_n);

  /* An estimated or last-frame-less declared duration is itself off by up
   * to one source frame. */
  if (!src->duration_exact)
    tol += src->fps_n > 0 ? gst_util_uint64_scale_int (GST_SECOND,
        src->fps_d, src->fps_n) : GST_SECOND / 25;
  return tol;
}

gboolean
cc_checks_all_pass (GPtrArray * checks)
{
  for (guint i = 0; checks && i < checks->len; i++)
    if (!((CcCheck *) g_ptr_array_index (checks, i))->pass)
      return FALSE;
  return checks != NULL;
}

JsonNode *
cc_checks_to_json (GPtrArray * checks)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *node;

  json_builder_begin_array (b);
  for (guint i = 0; checks && i < checks->len; i++) {
    CcCheck *c = g_ptr_array_index (checks, i);

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "check");
    json_builder_add_string_value (b, c->name);
    json_builder_set_member_name (b, "verdict");
    json_builder_add_string_value (b, c->pass ? "pass" : "fail");
    json_builder_set_member_name (b, "found");
    json_builder_add_string_value (b, c->detail);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  node = json_builder_get_root (b);
  g_object_unref (b);
  return node;
}
