/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cccontact: `campuscut contact-sheet [OPTIONS] VIDEO JPEG`.
 *
 * One small frame every few seconds (at most MAX_TILES, spread over the
 * whole video when it is long), in rows, as one JPEG: what a reviewer sees
 * of a job before opening the video. The batch server runs it on each
 * job's full.mp4, in the job's sandbox, right after `campuscut process`.
 *
 * playbin decodes the video only, scaled once to the tile's width (the
 * height follows the picture's shape) by videoconvertscale before an
 * appsink; each tile is the preroll after a key-unit seek, so a five-
 * minute video costs a few dozen decoded frames, not five minutes of
 * decoding. The grid is encoded with gst_video_convert_sample() and
 * written under a temporary name, then renamed: a JPEG appears only
 * whole.
 *
 * With --layout FILE it also writes where each frame is in the grid and
 * the time of the frame shown there (a key-unit seek lands on the nearest
 * key frame, not on the time asked for), as JSON: the server's review
 * page seeks its player to the frame a reviewer clicks.
 *
 * Exit codes: 0 done, 1 failed, 2 usage. --init-only loads GStreamer
 * (updating its plugin registry) and exits: the server runs it so that
 * its sandboxed jobs, which cannot write the registry, find it current.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include "cccontact.h"
#include "ccprogress.h"

#define MAX_TILES 60
#define GAP 4
#define BACKGROUND 0x20
#define WAIT_S 30
#define PLAY_FLAG_VIDEO 1       /* playbin's GstPlayFlags: video only */

typedef struct
{
  gdouble interval_s;
  gint columns;
  gint tile_width;
  gchar *layout;
  gchar *progress;
  gboolean init_only;
} SheetArgs;

typedef struct
{
  GstElement *playbin;
  GstElement *sink;
  guint n, cols, rows;
  gint tile_w, tile_h;
  gint width, height;
  guint8 *grid;                 /* BGRx, width * 4 bytes a row */
  gint64 duration;              /* nanoseconds, -1 unknown */
  GstClockTime *times;          /* the frame shown in each tile */
} Sheet;

/* Waits for the pipeline to settle after a state change or a seek. */
static gboolean
wait_settled (Sheet * s, GError ** error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (s->playbin);
  g_autoptr (GstMessage) msg = gst_bus_timed_pop_filtered (bus,
      WAIT_S * GST_SECOND, GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_ERROR);
  g_autofree gchar *dbg = NULL;

  if (msg == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "no picture after %d s", WAIT_S);
    return FALSE;
  }
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, error, &dbg);
    return FALSE;
  }
  return TRUE;
}

static gboolean
make_pipeline (Sheet * s, const gchar * path, gint tile_width,
    GError ** error)
{
  g_autofree gchar *uri = gst_filename_to_uri (path, error);
  g_autofree gchar *desc = g_strdup_printf ("videoconvertscale ! "
      "video/x-raw,format=BGRx,width=%d,pixel-aspect-ratio=1/1 ! "
      "appsink name=sink sync=false enable-last-sample=false", tile_width);
  GstElement *bin;

  if (uri == NULL)
    return FALSE;
  bin = gst_parse_bin_from_description (desc, TRUE, error);
  s->playbin = gst_element_factory_make ("playbin", NULL);
  if (bin == NULL || s->playbin == NULL) {
    if (bin)
      gst_object_unref (bin);
    if (error && *error == NULL)
      g_set_error_literal (error, GST_CORE_ERROR,
          GST_CORE_ERROR_MISSING_PLUGIN, "playbin is missing");
    return FALSE;
  }
  s->sink = gst_bin_get_by_name (GST_BIN (bin), "sink");
  /* no audio is decoded, and no sound card is opened for none */
  g_object_set (s->playbin, "uri", uri, "flags", PLAY_FLAG_VIDEO,
      "video-sink", bin, "audio-sink", gst_element_factory_make ("fakesink",
          NULL), NULL);
  return TRUE;
}

/* Sizes the grid from the first tile's caps. */
static void
layout (Sheet * s, GstCaps * caps, gint columns)
{
  GstVideoInfo info;

  gst_video_info_from_caps (&info, caps);
  s->tile_w = GST_VIDEO_INFO_WIDTH (&info);
  s->tile_h = GST_VIDEO_INFO_HEIGHT (&info);
  s->cols = MIN ((guint) columns, s->n);
  s->rows = (s->n + s->cols - 1) / s->cols;
  s->width = s->cols * s->tile_w + (s->cols + 1) * GAP;
  s->height = s->rows * s->tile_h + (s->rows + 1) * GAP;
  s->grid = g_malloc (s->width * s->height * 4);
  memset (s->grid, BACKGROUND, s->width * s->height * 4);
}

static void
place_tile (Sheet * s, guint i, GstSample * sample)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  gint x = GAP + (i % s->cols) * (s->tile_w + GAP);
  gint y = GAP + (i / s->cols) * (s->tile_h + GAP);

  gst_video_info_from_caps (&info, gst_sample_get_caps (sample));
  if (GST_VIDEO_INFO_WIDTH (&info) != s->tile_w ||
      GST_VIDEO_INFO_HEIGHT (&info) != s->tile_h ||
      !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
          GST_MAP_READ))
    return;
  for (gint row = 0; row < s->tile_h; row++)
    memcpy (s->grid + ((gsize) (y + row) * s->width + x) * 4,
        (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
        row * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), s->tile_w * 4);
  gst_video_frame_unmap (&frame);
}

/* The frame at @t: a key-unit seek, then the preroll. */
static GstSample *
frame_at (Sheet * s, GstClockTime t, GError ** error)
{
  GstSample *sample;

  if (!gst_element_seek_simple (s->playbin, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT |
          GST_SEEK_FLAG_SNAP_NEAREST, t) || !wait_settled (s, error))
    return NULL;
  sample = gst_app_sink_try_pull_preroll (GST_APP_SINK (s->sink),
      WAIT_S * GST_SECOND);
  if (sample == NULL)
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "no picture at %" GST_TIME_FORMAT, GST_TIME_ARGS (t));
  return sample;
}

/* The stream time of the frame @sample holds, or @asked without one. */
static GstClockTime
shown_time (GstSample * sample, GstClockTime asked)
{
  GstBuffer *buf = gst_sample_get_buffer (sample);
  const GstSegment *segment = gst_sample_get_segment (sample);
  guint64 t = GST_CLOCK_TIME_NONE;

  if (buf && segment && GST_BUFFER_PTS_IS_VALID (buf))
    t = gst_segment_to_stream_time (segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
  return GST_CLOCK_TIME_IS_VALID (t) ? t : asked;
}

static gboolean
collect_tiles (Sheet * s, const SheetArgs * a, GError ** error)
{
  gint64 dur = -1;

  gst_element_set_state (s->playbin, GST_STATE_PAUSED);
  if (!wait_settled (s, error))
    return FALSE;
  if (!gst_element_query_duration (s->playbin, GST_FORMAT_TIME, &dur))
    dur = -1;
  s->n = dur > 0 ? CLAMP ((guint) (dur / GST_SECOND / a->interval_s), 1,
      MAX_TILES) : 1;
  s->duration = dur;
  s->times = g_new0 (GstClockTime, s->n);
  for (guint i = 0; i < s->n; i++) {
    GstClockTime t = dur > 0 ? gst_util_uint64_scale (dur, 2 * i + 1,
        2 * s->n) : 0;
    g_autoptr (GstSample) sample = frame_at (s, t, error);

    if (sample == NULL)
      return FALSE;
    if (s->grid == NULL)
      layout (s, gst_sample_get_caps (sample), a->columns);
    place_tile (s, i, sample);
    s->times[i] = shown_time (sample, t);
  }
  return TRUE;
}

static gboolean
write_jpeg (Sheet * s, const gchar * path, GError ** error)
{
  g_autoptr (GstCaps) raw = gst_caps_new_simple ("video/x-raw", "format",
      G_TYPE_STRING, "BGRx", "width", G_TYPE_INT, s->width, "height",
      G_TYPE_INT, s->height, "framerate", GST_TYPE_FRACTION, 0, 1,
      "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  g_autoptr (GstCaps) jpeg = gst_caps_new_empty_simple ("image/jpeg");
  g_autoptr (GstBuffer) buf = gst_buffer_new_wrapped (g_steal_pointer
      (&s->grid), (gsize) s->width * s->height * 4);
  g_autoptr (GstSample) in = gst_sample_new (buf, raw, NULL, NULL);
  g_autoptr (GstSample) out = gst_video_convert_sample (in, jpeg,
      WAIT_S * GST_SECOND, error);
  GstMapInfo map;
  gboolean ok;

  if (out == NULL ||
      !gst_buffer_map (gst_sample_get_buffer (out), &map, GST_MAP_READ))
    return FALSE;
  ok = g_file_set_contents_full (path, (const gchar *) map.data, map.size,
      G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
  gst_buffer_unmap (gst_sample_get_buffer (out), &map);
  return ok;
}

/* The grid's geometry and each tile's time in seconds, as JSON:
 * {"interval_s", "duration_s", "columns", "rows", "gap", "tile_width",
 *  "tile_height", "width", "height", "tiles": [{"x", "y", "t"}, …]} */
static gboolean
write_layout (const Sheet * s, const SheetArgs * a, const gchar * path,
    GError ** error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *text = NULL;
  gsize len = 0;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "interval_s");
  json_builder_add_double_value (b, a->interval_s);
  json_builder_set_member_name (b, "duration_s");
  if (s->duration > 0)
    json_builder_add_double_value (b, (gdouble) s->duration / GST_SECOND);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "columns");
  json_builder_add_int_value (b, s->cols);
  json_builder_set_member_name (b, "rows");
  json_builder_add_int_value (b, s->rows);
  json_builder_set_member_name (b, "gap");
  json_builder_add_int_value (b, GAP);
  json_builder_set_member_name (b, "tile_width");
  json_builder_add_int_value (b, s->tile_w);
  json_builder_set_member_name (b, "tile_height");
  json_builder_add_int_value (b, s->tile_h);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, s->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, s->height);
  json_builder_set_member_name (b, "tiles");
  json_builder_begin_array (b);
  for (guint i = 0; i < s->n; i++) {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "x");
    json_builder_add_int_value (b, GAP + (i % s->cols) * (s->tile_w + GAP));
    json_builder_set_member_name (b, "y");
    json_builder_add_int_value (b, GAP + (i / s->cols) * (s->tile_h + GAP));
    json_builder_set_member_name (b, "t");
    json_builder_add_double_value (b, (gdouble) s->times[i] / GST_SECOND);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, &len);
  return g_file_set_contents_full (path, text, len,
      G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

static gboolean
make_sheet (const SheetArgs * a, const gchar * video, const gchar * jpeg,
    GError ** error)
{
  Sheet s = { 0 };
  gboolean ok;

  /* the layout before the sheet: a sheet that exists has its layout */
  ok = make_pipeline (&s, video, a->tile_width, error) &&
      collect_tiles (&s, a, error) && (a->layout == NULL ||
      write_layout (&s, a, a->layout, error)) &&
      write_jpeg (&s, jpeg, error);
  if (s.playbin) {
    gst_element_set_state (s.playbin, GST_STATE_NULL);
    gst_object_unref (s.playbin);
  }
  gst_clear_object (&s.sink);
  g_free (s.grid);
  g_free (s.times);
  return ok;
}

static GOptionContext *
sheet_context_new (SheetArgs * a)
{
  GOptionEntry entries[] = {
    {"interval", 0, 0, G_OPTION_ARG_DOUBLE, &a->interval_s,
        N_("Seconds between frames (default 5; at most 60 frames)"), "S"},
    {"columns", 0, 0, G_OPTION_ARG_INT, &a->columns,
        N_("Frames a row (default 5)"), "N"},
    {"tile-width", 0, 0, G_OPTION_ARG_INT, &a->tile_width,
        N_("Width of a frame in pixels (default 192)"), "PX"},
    {"layout", 0, 0, G_OPTION_ARG_FILENAME, &a->layout,
        N_("Also write the grid's layout and each frame's time as JSON"),
        "FILE"},
    {"progress", 0, 0, G_OPTION_ARG_STRING, &a->progress,
        N_("text (default) or json (as campuscut process)"), "FORMAT"},
    {"init-only", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE,
        &a->init_only, N_("Load GStreamer, updating its registry, and "
          "exit"), NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new (_("VIDEO JPEG"));

  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("campuscut contact-sheet: small "
          "frames of a video, one every few seconds, in a grid."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  return ctx;
}

static const gchar *
check_args (const SheetArgs * a, gint argc)
{
  if (!(a->interval_s >= 0.5 && a->interval_s <= 3600))
    return _("--interval takes 0.5 to 3600 seconds");
  if (a->columns < 1 || a->columns > 20)
    return _("--columns takes 1 to 20");
  if (a->tile_width < 16 || a->tile_width > 1920)
    return _("--tile-width takes 16 to 1920 pixels");
  if (a->progress && g_strcmp0 (a->progress, "text") &&
      g_strcmp0 (a->progress, "json"))
    return _("--progress takes text or json");
  if (!a->init_only && argc != 3)
    return _("contact-sheet takes a VIDEO and the JPEG to write");
  return NULL;
}

/**
 * cc_contact_sheet_main:
 * @argv: (array length=argc): the arguments after `campuscut`, argv[0]
 *   being "contact-sheet"
 *
 * Returns: the exit code
 */
gint
cc_contact_sheet_main (gint argc, gchar ** argv)
{
  SheetArgs a = { 5.0, 5, 192, NULL, NULL, FALSE };
  g_autoptr (GOptionContext) ctx = sheet_context_new (&a);
  g_autoptr (GError) err = NULL;
  const gchar *problem = NULL;
  gboolean json;
  gint ret = 0;

  g_set_prgname ("campuscut contact-sheet");
  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    problem = err->message;
  else
    problem = check_args (&a, argc);
  json = g_strcmp0 (a.progress, "json") == 0;
  if (problem) {
    fprintf (stderr, "campuscut: %s\n", problem);
    ret = 2;
  } else if (!a.init_only) {
    if (json)
      cc_progress_phase ("contact-sheet");
    if (!make_sheet (&a, argv[1], argv[2], &err)) {
      fprintf (stderr, _("campuscut: error: %s: the contact sheet could not "
              "be made: %s\n"), argv[1], err->message);
      if (json)
        cc_progress_error (err->message);
      ret = 1;
    }
  }
  g_free (a.layout);
  g_free (a.progress);
  return ret;
}
