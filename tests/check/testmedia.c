/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Test helpers: temporary folders, generated media, and decoding outputs
 * back so that tests assert on what a viewer would see and hear.
 */
#include <string.h>
#include <glib/gstdio.h>
#include <sys/wait.h>
#include <gst/app/app.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include "testmedia.h"

static gchar *tmpdir;

const gchar *
cc_test_tmpdir (void)
{
  if (tmpdir == NULL) {
    GError *err = NULL;
    tmpdir = g_dir_make_tmp ("campuscut-test-XXXXXX", &err);
    fail_unless (tmpdir != NULL, "tmpdir: %s", err ? err->message : "?");
  }
  return tmpdir;
}

static void
remove_tree (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir) {
    while ((name = g_dir_read_name (dir))) {
      gchar *child = g_build_filename (path, name, NULL);
      remove_tree (child);
      g_free (child);
    }
    g_dir_close (dir);
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

void
cc_test_cleanup (void)
{
  if (tmpdir && g_getenv ("CAMPUSCUT_KEEP_TEST_FILES") == NULL)
    remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

gchar *
cc_test_path (const gchar * name)
{
  return g_build_filename (cc_test_tmpdir (), name, NULL);
}

static gboolean
run_to_eos (GstElement * pipeline, gchar ** error_message, GQuark * domain,
    gint * code)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gboolean ok;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  ok = msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    GST_INFO ("error from %s: %s (%s)", GST_MESSAGE_SRC_NAME (msg),
        err->message, dbg ? dbg : "");
    if (error_message)
      *error_message = g_strdup (err->message);
    if (domain)
      *domain = err->domain;
    if (code)
      *code = err->code;
    g_clear_error (&err);
    g_free (dbg);
  } else if (msg == NULL && error_message) {
    *error_message = g_strdup ("timeout: no EOS or error within 120 s");
  }
  if (msg)
    gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  return ok;
}

void
cc_test_run (GstElement * pipeline)
{
  gchar *msg = NULL;

  if (!run_to_eos (pipeline, &msg, NULL, NULL))
    fail ("generating media failed: %s\n  pipeline: %s", msg,
        GST_ELEMENT_NAME (pipeline));
}

void
cc_test_launch (const gchar * description)
{
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (description, &err);
  gchar *msg = NULL;

  fail_unless (pipeline != NULL, "cannot parse '%s': %s", description,
      err ? err->message : "?");
  g_clear_error (&err);
  if (!run_to_eos (pipeline, &msg, NULL, NULL))
    fail ("generating media failed: %s\n  pipeline: %s", msg, description);
  gst_object_unref (pipeline);
}

void
cc_test_run_tool (const gchar * const *argv)
{
  GError *err = NULL;
  gint status = 0;
  gchar *err_out = NULL;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err_out, &status,
          &err))
    fail ("cannot run %s: %s (scripts/bootstrap.sh --with-tests installs "
        "it)", argv[0], err->message);
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s failed: %s",
      argv[0], err_out);
  g_free (err_out);
}

gchar *
cc_test_transcode (const gchar * input, const gchar * output,
    const gchar * quality, const gchar * encoder, guint stall_timeout,
    GQuark * error_domain, gint * error_code)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *bin = gst_element_factory_make ("submissionbin", NULL);
  gchar *uri = gst_filename_to_uri (input, NULL);
  gchar *msg = NULL;

  fail_unless (bin != NULL, "submissionbin not found (GST_PLUGIN_PATH?)");
  gst_util_set_object_arg (G_OBJECT (bin), "quality", quality);
  g_object_set (bin, "uri", uri, "full-location", output, NULL);
  if (encoder)
    g_object_set (bin, "video-encoder", encoder, NULL);
  if (stall_timeout)
    g_object_set (bin, "stall-timeout", stall_timeout, NULL);
  gst_bin_add (GST_BIN (pipeline), bin);
  if (run_to_eos (pipeline, &msg, error_domain, error_code))
    g_clear_pointer (&msg, g_free);
  gst_object_unref (pipeline);
  g_free (uri);
  return msg;
}

gint
cc_test_cli (const gchar * const *args, gchar ** out, gchar ** err)
{
  const gchar *cli = g_getenv ("CAMPUSCUT_CLI");
  GPtrArray *argv = g_ptr_array_new ();
  GError *error = NULL;
  gint status = 0;

  fail_unless (cli != NULL, "CAMPUSCUT_CLI is not set");
  g_ptr_array_add (argv, (gpointer) cli);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  fail_unless (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, 0, NULL,
          NULL, out, err, &status, &error), "spawn: %s",
      error ? error->message : "?");
  if (!WIFEXITED (status)) {
    /* the whole command, to run it again by hand */
    gchar *line = g_strjoinv (" ", (gchar **) argv->pdata);

    fail ("campuscut did not exit normally (crash?), status %d: %s", status,
        line);
    g_free (line);
  }
  g_ptr_array_free (argv, TRUE);
  return WEXITSTATUS (status);
}

static GstElement *
decode_pipeline (const gchar * path, const gchar * caps, GstElement ** sink)
{
  gchar *uri = gst_filename_to_uri (path, NULL);
  gchar *desc = g_strdup_printf ("uridecodebin uri=%s ! %s ! appsink name=s "
      "sync=false caps=\"%s\"", uri, g_str_has_prefix (caps, "video") ?
      "videoconvert" : "audioconvert ! audioresample", caps);
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);

  fail_unless (p != NULL, "%s", err ? err->message : "?");
  *sink = gst_bin_get_by_name (GST_BIN (p), "s");
  g_free (uri);
  g_free (desc);
  return p;
}

guint8 *
cc_test_frame_rgb (const gchar * path, gdouble t, gint * width, gint * height)
{
  GstElement *sink, *p = decode_pipeline (path, "video/x-raw,format=RGB",
      &sink);
  GstSample *sample;
  GstMapInfo map;
  GstVideoInfo info;
  guint8 *rgb;

  fail_unless (gst_element_set_state (p, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_get_state (p, NULL, NULL, 30 * GST_SECOND) ==
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (gst_element_seek_simple (p, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE,
          (gint64) (t * GST_SECOND)));
  sample = gst_app_sink_try_pull_preroll (GST_APP_SINK (sink), 30 * GST_SECOND);
  fail_unless (sample != NULL, "no frame at %.2f s in %s", t, path);
  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  *width = GST_VIDEO_INFO_WIDTH (&info);
  *height = GST_VIDEO_INFO_HEIGHT (&info);
  rgb = g_malloc ((gsize) * width * *height * 3);
  gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ);
  for (gint y = 0; y < *height; y++)
    memcpy (rgb + (gsize) y * *width * 3, map.data +
        (gsize) y * GST_VIDEO_INFO_PLANE_STRIDE (&info, 0), (gsize) * width * 3);
  gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
  gst_sample_unref (sample);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (p);
  return rgb;
}

static void
pull_all (GstElement * p, GstElement * sink,
    void (*each) (GstSample * s, gpointer data), gpointer data)
{
  GstSample *sample;

  fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
              30 * GST_SECOND))) {
    each (sample, data);
    gst_sample_unref (sample);
  }
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (sink)), "decoding stalled");
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (p);
}

typedef struct {
  GArray *lumas, *times;
} LumaData;

static void
luma_each (GstSample * s, gpointer data)
{
  LumaData *d = data;
  GstVideoInfo info;
  GstMapInfo map;
  GstBuffer *buf = gst_sample_get_buffer (s);
  guint64 sum = 0;
  gdouble mean, t;

  gst_video_info_from_caps (&info, gst_sample_get_caps (s));
  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (gint y = 0; y < GST_VIDEO_INFO_HEIGHT (&info); y++)
    for (gint x = 0; x < GST_VIDEO_INFO_WIDTH (&info); x++)
      sum += map.data[y * GST_VIDEO_INFO_PLANE_STRIDE (&info, 0) + x];
  gst_buffer_unmap (buf, &map);
  mean = sum / (gdouble) (GST_VIDEO_INFO_WIDTH (&info) *
      GST_VIDEO_INFO_HEIGHT (&info));
  /* Running time, as a player shows it: MP4 edit lists move the segment
   * start, not the timestamps. */
  t = gst_segment_to_running_time (gst_sample_get_segment (s),
      GST_FORMAT_TIME, GST_BUFFER_PTS (buf)) / (gdouble) GST_SECOND;
  g_array_append_val (d->lumas, mean);
  g_array_append_val (d->times, t);
}

GArray *
cc_test_frame_lumas (const gchar * path, GArray ** times)
{
  GstElement *sink, *p = decode_pipeline (path, "video/x-raw,format=GRAY8",
      &sink);
  LumaData d = { g_array_new (FALSE, FALSE, sizeof (gdouble)),
    g_array_new (FALSE, FALSE, sizeof (gdouble))
  };

  pull_all (p, sink, luma_each, &d);
  *times = d.times;
  return d.lumas;
}

static void
audio_each (GstSample * s, gpointer data)
{
  GArray *a = data;
  GstMapInfo map;
  GstBuffer *buf = gst_sample_get_buffer (s);

  gst_buffer_map (buf, &map, GST_MAP_READ);
  g_array_append_vals (a, map.data, map.size / sizeof (gint16));
  gst_buffer_unmap (buf, &map);
}

GArray *
cc_test_audio_s16 (const gchar * path)
{
  GstElement *sink, *p = decode_pipeline (path,
      "audio/x-raw,format=S16LE,rate=48000,channels=2,layout=interleaved",
      &sink);
  GArray *a = g_array_new (FALSE, FALSE, sizeof (gint16));

  pull_all (p, sink, audio_each, a);
  return a;
}

static gint
compare_str (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar **) a, *(const gchar **) b);
}

gchar *
cc_test_list_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  gchar *joined;

  while (d && (name = g_dir_read_name (d)))
    g_ptr_array_add (names, g_strdup (name));
  if (d)
    g_dir_close (d);
  g_ptr_array_sort (names, compare_str);
  g_ptr_array_add (names, NULL);
  joined = g_strjoinv (" ", (gchar **) names->pdata);
  g_ptr_array_free (names, TRUE);
  return joined;
}

/* Reads the settings x264 writes into its SEI ("options: ..."). */
gchar *
cc_test_x264_options (const gchar * path)
{
  gchar *data = NULL, *opts = NULL;
  gsize len = 0;

  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  for (gsize i = 0; i + 9 < len; i++) {
    if (memcmp (data + i, "options: ", 9) == 0) {
      opts = g_strndup (data + i + 9, strnlen (data + i + 9, len - i - 9));
      break;
    }
  }
  g_free (data);
  fail_unless (opts != NULL, "no x264 option string in %s", path);
  return opts;
}

void
cc_test_assert_x264_option (const gchar * opts, const gchar * expected)
{
  gchar *needle = g_strdup_printf (" %s ", expected);
  gchar *padded = g_strdup_printf (" %s ", opts);

  fail_unless (strstr (padded, needle) != NULL, "x264 option '%s' not in "
      "'%s'", expected, opts);
  g_free (needle);
  g_free (padded);
}

static gdouble
rgb_luma (const guint8 * px)
{
  return 0.2126 * px[0] + 0.7152 * px[1] + 0.0722 * px[2];
}

void
cc_test_region_stats (const guint8 * rgb, gint width, gint x0, gint y0,
    gint x1, gint y1, CcRegionStats * stats)
{
  gdouble sum[3] = { 0 }, dev[3] = { 0 }, luma = 0, detail = 0;
  guint64 n = (guint64) (x1 - x0) * (y1 - y0), steps = 0;

  fail_unless (x0 >= 0 && y0 >= 0 && x1 <= width && x1 - x0 >= 2 &&
      y1 - y0 >= 2, "region %d,%d-%d,%d does not fit a %d wide frame", x0,
      y0, x1, y1, width);
  for (gint y = y0; y < y1; y++) {
    for (gint x = x0; x < x1; x++) {
      const guint8 *px = rgb + ((gsize) y * width + x) * 3;
      gdouble l = rgb_luma (px);

      for (guint c = 0; c < 3; c++)
        sum[c] += px[c];
      luma += l;
      /* steps inside the region only, so that an edge beside it does not
       * count */
      if (x + 1 < x1) {
        gdouble d = rgb_luma (px + 3) - l;
        detail += d * d;
        steps++;
      }
      if (y + 1 < y1) {
        gdouble d = rgb_luma (px + (gsize) width * 3) - l;
        detail += d * d;
        steps++;
      }
    }
  }
  /* mean absolute deviation: a spread without libm */
  for (gint y = y0; y < y1; y++)
    for (gint x = x0; x < x1; x++)
      for (guint c = 0; c < 3; c++)
        dev[c] += ABS (rgb[((gsize) y * width + x) * 3 + c] - sum[c] / n);
  stats->luma = luma / n;
  for (guint c = 0; c < 3; c++)
    stats->spread[c] = dev[c] / n;
  stats->detail = detail / steps;
}

guint
cc_test_count_changed (const guint8 * a, const guint8 * b, gint width,
    gint x0, gint y0, gint x1, gint y1, gint threshold)
{
  guint changed = 0;

  fail_unless (x0 >= 0 && y0 >= 0 && x1 <= width && x1 > x0 && y1 > y0);
  for (gint y = y0; y < y1; y++) {
    for (gint x = x0; x < x1; x++) {
      gsize i = ((gsize) y * width + x) * 3;
      gint d = 0;

      for (guint c = 0; c < 3; c++)
        d = MAX (d, ABS ((gint) a[i + c] - (gint) b[i + c]));
      changed += d > threshold;
    }
  }
  return changed;
}

gchar *
cc_test_ocr_image (const gchar * image)
{
  const gchar *argv[] = { "tesseract", image, "stdout", "-l", "chi_sim",
    "--psm", "6", NULL
  };
  GString *squeezed = g_string_new (NULL);
  gchar *out = NULL;
  gint status;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH
          | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, NULL),
      "tesseract missing: scripts/bootstrap.sh --with-tests installs it");
  fail_unless (g_spawn_check_wait_status (status, NULL), "tesseract failed "
      "(is tesseract-ocr-chi-sim installed?)");
  for (const gchar * p = out; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    if (!g_unichar_isspace (c) && !g_unichar_ispunct (c))
      g_string_append_unichar (squeezed, c);
  }
  g_free (out);
  return g_string_free (squeezed, FALSE);
}

gchar *
cc_test_ocr_white (const gchar * video, gdouble t, gint y0, gint y1)
{
  gint w, h;
  guint8 *rgb = cc_test_frame_rgb (video, t, &w, &h);
  gchar *pgm = cc_test_path ("ocr.pgm");
  GString *img = g_string_new (NULL);
  gchar *text;

  fail_unless (y0 >= 0 && y1 <= h && y1 > y0, "rows %d-%d outside a %d high "
      "frame", y0, y1, h);
  /* black ink on white paper, as tesseract reads best */
  g_string_append_printf (img, "P5\n%d %d\n255\n", w, y1 - y0);
  for (gint y = y0; y < y1; y++) {
    for (gint x = 0; x < w; x++) {
      const guint8 *px = rgb + ((gsize) y * w + x) * 3;
      gboolean white = px[0] > 200 && px[1] > 200 && px[2] > 200;

      g_string_append_c (img, white ? 0 : 255);
    }
  }
  fail_unless (g_file_set_contents (pgm, img->str, (gssize) img->len, NULL));
  text = cc_test_ocr_image (pgm);
  g_string_free (img, TRUE);
  g_free (rgb);
  g_free (pgm);
  return text;
}
