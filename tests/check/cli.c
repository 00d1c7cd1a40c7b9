/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The campuscut CLI as a batch server runs it: exit codes, one clear line
 * per problem, no output left behind on failure, report.json contents and
 * progress output.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include <gst/app/app.h>
#include <gst/video/video.h>

#include "testmedia.h"
#include "cccaptions.h"
#include "cccutlist.h"

static void
teardown (void)
{
  cc_test_cleanup ();
}

static gchar *
make_source (const gchar * name, gint frames)
{
  gchar *path = cc_test_path (name);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%d ! "
      "video/x-raw,width=320,height=240,framerate=25/1 ! x264enc ! "
      "mp4mux name=m faststart=true ! filesink location=%s "
      "audiotestsrc num-buffers=%d samplesperbuffer=960 ! "
      "audio/x-raw,rate=48000,channels=2 ! avenc_aac ! m.", frames, path,
      frames * 2);

  cc_test_launch (desc);
  g_free (desc);
  return path;
}

/* Without the plugin (neither installed nor on GST_PLUGIN_PATH): exit 1
 * with the error that says what to set, before the analysis pass, whose
 * elements are the plugin's (it printed GLib criticals then). */
GST_START_TEST (test_plugin_missing)
{
  gchar *src = make_source ("noplugin.mp4", 50);
  gchar *outdir = cc_test_path ("noplugin-out");
  gchar *registry = cc_test_path ("noplugin-registry.bin");
  gchar *installed = g_build_filename (CAMPUSCUT_PLUGIN_INSTALL_DIR,
      "libgstcampuscut.so", NULL);
  gchar *path = g_strdup (g_getenv ("GST_PLUGIN_PATH_1_0"));
  gchar *saved = g_strdup (g_getenv ("GST_REGISTRY_1_0"));
  const gchar *args[] = { "process", src, "-o", outdir, "--quality", "draft",
    NULL
  };
  gchar *err = NULL, *listing;
  gint ret;

  if (g_file_test (installed, G_FILE_TEST_EXISTS)) {
    GST_INFO ("%s is installed: nothing to test", installed);
  } else {
    g_unsetenv ("GST_PLUGIN_PATH_1_0");
    g_setenv ("GST_REGISTRY_1_0", registry, TRUE);
    ret = cc_test_cli (args, NULL, &err);
    g_setenv ("GST_PLUGIN_PATH_1_0", path, TRUE);
    if (saved)
      g_setenv ("GST_REGISTRY_1_0", saved, TRUE);
    else
      g_unsetenv ("GST_REGISTRY_1_0");
    fail_unless_equals_int (ret, 1);
    fail_unless (strstr (err, "plugin was not found") != NULL, "%s", err);
    fail_unless (strstr (err, "CRITICAL") == NULL, "%s", err);
    listing = cc_test_list_dir (outdir);
    fail_unless (strstr (listing, ".mp4") == NULL, "left behind: %s",
        listing);
    g_free (listing);
  }
  g_free (err);
  g_free (path);
  g_free (saved);
  g_free (installed);
  g_free (registry);
  g_free (outdir);
  g_free (src);
}

GST_END_TEST;

/* Runs `campuscut process INPUT -o OUTDIR`, expecting failure with code,
 * one line naming the input, and an output folder without any MP4. */
static void
expect_rejected (const gchar * input, gint code, const gchar * what)
{
  gchar *outdir = cc_test_path ("out");
  const gchar *args[] = { "process", input, "-o", outdir, "-q", "draft",
    NULL
  };
  gchar *out = NULL, *err = NULL, *listing, **lines;
  gint ret = cc_test_cli (args, &out, &err);
  guint problems = 0;

  fail_unless (ret == code, "exit %d, expected %d: %s", ret, code, err);
  fail_unless (strstr (err, input) != NULL, "message does not name the "
      "file: %s", err);
  fail_unless (strstr (err, what) != NULL, "message '%s' does not say '%s'",
      err, what);
  /* Progress lines aside, exactly one line says what went wrong. */
  lines = g_strsplit (g_strstrip (err), "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (!g_str_has_prefix (lines[i], "campuscut: progress"))
      problems++;
  fail_unless_equals_int (problems, 1);
  g_strfreev (lines);

  listing = cc_test_list_dir (outdir);
  fail_unless (strstr (listing, ".mp4") == NULL && strstr (listing, ".part")
      == NULL, "left behind: %s", listing);
  g_free (listing);
  g_free (out);
  g_free (err);
  g_free (outdir);
}

GST_START_TEST (test_usage_errors)
{
  const gchar *none[] = { NULL };
  const gchar *unknown[] = { "transmogrify", "x.mp4", NULL };
  const gchar *no_out[] = { "process", "x.mp4", NULL };
  const gchar *bad_cat[] = { "process", "x.mp4", "-o", "/tmp/x",
    "--category", "documentary", NULL
  };
  const gchar *bad_fps[] = { "process", "x.mp4", "-o", "/tmp/x", "--fps",
    "fast", NULL
  };
  const gchar **cases[] = { none, unknown, no_out, bad_cat, bad_fps };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *err = NULL;
    fail_unless_equals_int (cc_test_cli (cases[i], NULL, &err), 2);
    fail_unless (strstr (err, "campuscut: ") != NULL, "%s", err);
    g_free (err);
  }
}

GST_END_TEST;

/* Messages and --help follow the locale: Simplified Chinese from the zh_CN
 * catalogue (even where the zh_CN locale was never generated), English
 * otherwise. */
GST_START_TEST (test_messages_in_chinese)
{
  gchar *empty = cc_test_path ("空文件.mp4");
  gchar *outdir = cc_test_path ("out");
  const gchar *process[] = { "process", empty, "-o", outdir, NULL };
  const gchar *help[] = { "--help", NULL };
  const gchar *story[] = { "process", empty, "-o", outdir, "--category",
    "documentary", NULL
  };
  gchar *out = NULL, *err = NULL;

  fail_unless (g_file_set_contents (empty, "", 0, NULL));
  g_unsetenv ("LANGUAGE");
  g_setenv ("LC_ALL", "zh_CN.UTF-8", TRUE);

  fail_unless_equals_int (cc_test_cli (process, NULL, &err), 4);
  fail_unless (strstr (err, "campuscut: 错误: ") != NULL, "%s", err);
  fail_unless (strstr (err, "文件为空") != NULL, "%s", err);
  fail_unless (strstr (err, empty) != NULL, "%s", err);
  g_free (err);

  fail_unless_equals_int (cc_test_cli (help, &out, NULL), 0);
  fail_unless (strstr (out, "作品类别") != NULL, "%s", out);
  fail_unless (strstr (out, "退出码") != NULL, "%s", out);
  g_free (out);

  fail_unless_equals_int (cc_test_cli (story, NULL, &err), 2);
  fail_unless (strstr (err, "未知类别“documentary”") != NULL, "%s", err);
  g_free (err);

  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  fail_unless_equals_int (cc_test_cli (process, NULL, &err), 4);
  fail_unless (strstr (err, "campuscut: error: ") != NULL, "%s", err);
  fail_unless (strstr (err, "the file is empty") != NULL, "%s", err);
  g_free (err);

  g_free (empty);
  g_free (outdir);
}

GST_END_TEST;

GST_START_TEST (test_bad_inputs)
{
  gchar *empty = cc_test_path ("empty.mp4");
  gchar *noise = cc_test_path ("noise.mp4");
  gchar *text = cc_test_path ("notes.mp4");
  gchar *m3u8 = cc_test_path ("list.mp4");
  gchar *audio = cc_test_path ("voice.m4a");
  gchar *whole = make_source ("whole.mp4", 100);
  gchar *cut = cc_test_path ("cut.mp4");
  gchar *data;
  gsize len;
  GRand *rand = g_rand_new_with_seed (42);
  guint8 bytes[65536];

  g_file_set_contents (empty, "", 0, NULL);
  for (guint i = 0; i < sizeof (bytes); i++)
    bytes[i] = (guint8) g_rand_int_range (rand, 0, 256);
  g_file_set_contents (noise, (gchar *) bytes, sizeof (bytes), NULL);
  g_file_set_contents (text, "会议纪要：请各学校按时提交视频。\n", -1, NULL);
  g_file_set_contents (m3u8, "#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
      "#EXTINF:1.0,\nhttp://127.0.0.1:9/seg.ts\n#EXT-X-ENDLIST\n", -1, NULL);
  fail_unless (g_file_get_contents (whole, &data, &len, NULL));
  g_file_set_contents (cut, data, len / 2, NULL);
  g_free (data);
  {
    gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=50 ! avenc_aac "
        "! mp4mux ! filesink location=%s", audio);
    cc_test_launch (desc);
    g_free (desc);
  }

  expect_rejected (empty, 4, "empty");
  expect_rejected (noise, 4, "not a video");
  expect_rejected (text, 4, "not a video");
  expect_rejected (m3u8, 4, "playlist");
  expect_rejected (cut, 4, "truncated");
  expect_rejected (audio, 4, "no video");
  expect_rejected (CAMPUSCUT_TEST_BINARY, 4, "not a video");
  expect_rejected ("/nonexistent/clip.mp4", 4, "cannot open");
  expect_rejected (cc_test_tmpdir (), 4, "not a regular file");
  expect_rejected ("http://127.0.0.1:9/clip.mp4", 4, "not a local file");

  g_rand_free (rand);
  g_free (empty);
  g_free (noise);
  g_free (text);
  g_free (m3u8);
  g_free (audio);
  g_free (whole);
  g_free (cut);
}

GST_END_TEST;

static JsonObject *
object_at (JsonObject * o, const gchar * path)
{
  gchar **parts = g_strsplit (path, ".", -1);

  for (guint i = 0; parts[i]; i++) {
    fail_unless (json_object_has_member (o, parts[i]), "report has no %s",
        path);
    o = json_object_get_object_member (o, parts[i]);
  }
  g_strfreev (parts);
  return o;
}

GST_START_TEST (test_process_writes_report)
{
  gchar *src = make_source ("clip.mp4", 50);
  gchar *outdir = cc_test_path ("out");
  const gchar *args[] = { "process", src, "-o", outdir, "-q", "draft",
    "--category", "overview", NULL
  };
  gchar *out = NULL, *err = NULL, *report, *full;
  JsonParser *parser = json_parser_new ();
  JsonObject *root, *video, *o;
  JsonArray *checks;
  GError *error = NULL;
  static const gchar *probe_fields[] = { "container", "duration_s",
    "video_streams", "audio_streams"
  };
  static const gchar *video_fields[] = { "codec", "width", "height",
    "rotation", "frame_rate", "variable_frame_rate", "interlaced",
    "bit_depth", "hdr", "display_width"
  };

  fail_unless_equals_int (cc_test_cli (args, &out, &err), 0);
  full = g_build_filename (outdir, "full.mp4", NULL);
  report = g_build_filename (outdir, "report.json", NULL);
  fail_unless (strstr (out, full) != NULL, "stdout does not say where: %s",
      out);
  /* Not a terminal: progress comes as plain lines. */
  fail_unless (strstr (err, "campuscut: progress") != NULL, "%s", err);
  fail_unless (strchr (err, '\r') == NULL);

  fail_unless (json_parser_load_from_file (parser, report, &error), "%s",
      error ? error->message : "");
  root = json_node_get_object (json_parser_get_root (parser));
  o = object_at (root, "input.probe");
  for (guint i = 0; i < G_N_ELEMENTS (probe_fields); i++)
    fail_unless (json_object_has_member (o, probe_fields[i]), "%s",
        probe_fields[i]);
  video = object_at (root, "input.probe.video");
  for (guint i = 0; i < G_N_ELEMENTS (video_fields); i++)
    fail_unless (json_object_has_member (video, video_fields[i]), "%s",
        video_fields[i]);
  fail_unless_equals_int (json_object_get_int_member (video, "width"), 320);
  fail_unless_equals_string (json_object_get_string_member (object_at (root,
              "input.probe.audio"), "layout"), "stereo");
  fail_unless_equals_string (json_object_get_string_member (object_at (root,
              "job"), "category"), "overview");
  fail_unless_equals_string (json_object_get_string_member (object_at (root,
              "result"), "status"), "done");

  o = object_at (root, "outputs.full");
  fail_unless_equals_string (json_object_get_string_member (o, "verdict"),
      "pass");
  fail_unless (ABS (json_object_get_double_member (o, "duration_s") - 2.0) <
      0.041);
  checks = json_object_get_array_member (o, "checks");
  fail_unless (json_array_get_length (checks) >= 12);
  for (guint i = 0; i < json_array_get_length (checks); i++) {
    JsonObject *c = json_array_get_object_element (checks, i);
    fail_unless_equals_string (json_object_get_string_member (c, "verdict"),
        "pass");
  }

  g_object_unref (parser);
  g_free (out);
  g_free (err);
  g_free (report);
  g_free (full);
  g_free (outdir);
  g_free (src);
}

GST_END_TEST;

/* A failed job still writes report.json, saying why. */
GST_START_TEST (test_failure_report)
{
  gchar *bad = cc_test_path ("bad.mp4");
  gchar *outdir = cc_test_path ("out");
  gchar *report = g_build_filename (outdir, "report.json", NULL);
  const gchar *args[] = { "process", bad, "-o", outdir, NULL };
  JsonParser *parser = json_parser_new ();
  JsonObject *result;

  g_file_set_contents (bad, "not a video at all", -1, NULL);
  fail_unless_equals_int (cc_test_cli (args, NULL, NULL), 4);
  fail_unless (json_parser_load_from_file (parser, report, NULL));
  result = json_object_get_object_member (json_node_get_object
      (json_parser_get_root (parser)), "result");
  fail_unless_equals_string (json_object_get_string_member (result, "status"),
      "bad-input");
  fail_unless_equals_int (json_object_get_int_member (result, "exit_code"), 4);
  fail_unless (json_object_get_string_member (result, "message") != NULL);
  g_object_unref (parser);
  g_free (bad);
  g_free (outdir);
  g_free (report);
}

GST_END_TEST;

/* gst-inspect-1.0 finds the uninstalled plugin and documents the bin. */
GST_START_TEST (test_plugin_inspectable)
{
  const gchar *argv[] = { "gst-inspect-1.0", "campuscut", NULL };
  const gchar *argv2[] = { "gst-inspect-1.0", "submissionbin", NULL };
  gchar *out = NULL;
  gint status;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, NULL, &status, NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL));
  fail_unless (strstr (out, "submissionbin") != NULL, "%s", out);
  fail_unless (strstr (out, "LGPL") != NULL, "%s", out);
  g_free (out);

  fail_unless (g_spawn_sync (NULL, (gchar **) argv2, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, &status, NULL));
  for (guint i = 0; i < 9; i++) {
    static const gchar *props[] = { "uri", "full-location", "category",
      "quality", "fps", "video-encoder", "audio-bitrate", "stall-timeout",
      "threads"
    };
    gchar *needle = g_strdup_printf ("  %s ", props[i]);
    fail_unless (strstr (out, needle) != NULL, "no property %s", props[i]);
    g_free (needle);
  }
  g_free (out);
}

GST_END_TEST;

/* A source of exactly `seconds`, tiny, with AAC audio, moov first. */
static gchar *
make_timed_source (gdouble seconds)
{
  gchar *name = g_strdup_printf ("src-%.1f.mp4", seconds);
  gchar *path = cc_test_path (name);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%d pattern=ball ! "
      "video/x-raw,width=64,height=64,framerate=25/1 ! x264enc "
      "speed-preset=ultrafast ! mp4mux name=m faststart=true ! filesink "
      "location=%s audiotestsrc num-buffers=%d samplesperbuffer=960 ! "
      "audio/x-raw,rate=48000,channels=2 ! avenc_aac ! m.",
      (gint) (seconds * 25 + 0.5), path, (gint) (seconds * 50 + 0.5));

  cc_test_launch (desc);
  g_free (desc);
  g_free (name);
  return path;
}

/* Durations of every stream and of the container, read by ffprobe: an
 * independent demuxer. */
static gdouble
ffprobe_longest (const gchar * path)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-show_entries",
    "stream=duration:format=duration", "-of", "csv=p=0", path, NULL
  };
  gchar *out = NULL, **lines;
  gint status;
  gdouble longest = 0;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, NULL, &status, NULL), "ffprobe missing");
  fail_unless (g_spawn_check_wait_status (status, NULL));
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (*g_strstrip (lines[i]))
      longest = MAX (longest, g_ascii_strtod (lines[i], NULL));
  g_strfreev (lines);
  g_free (out);
  fail_unless (longest > 0);
  return longest;
}

/* Runs process on a source of `seconds` and checks exit code and, when it
 * produced an output, that no stream passes `max`. */
static void
check_duration_case (gdouble seconds, const gchar * category,
    const gchar * on_too_long, gint expect_code, gdouble max)
{
  gchar *src = make_timed_source (seconds);
  gchar *outdir = cc_test_path ("out");
  gchar *full = g_build_filename (outdir, "full.mp4", NULL);
  gchar *report = g_build_filename (outdir, "report.json", NULL);
  const gchar *args[] = { "process", src, "-o", outdir, "-q", "draft",
    "--fps", "10", "--category", category, "--on-too-long", on_too_long,
    "--trim-fade", "0.5", NULL
  };
  gchar *err = NULL;
  gint code = cc_test_cli (args, NULL, &err);
  JsonParser *parser = json_parser_new ();
  JsonObject *root;

  fail_unless (code == expect_code, "%.1f s as %s: exit %d, expected %d: %s",
      seconds, category, code, expect_code, err);
  fail_unless (json_parser_load_from_file (parser, report, NULL));
  root = json_node_get_object (json_parser_get_root (parser));

  if (expect_code == 3) {
    gchar *measured = g_strdup_printf ("%.1f s", seconds);
    /* "170.0 s; story videos must be 180–300 s" */
    fail_unless (strstr (err, measured) && strstr (err, category) &&
        strstr (err, "must be"), "%s", err);
    fail_unless (strstr (err, "rejected") != NULL, "%s", err);
    fail_if (g_file_test (full, G_FILE_TEST_EXISTS));
    fail_unless_equals_string (json_object_get_string_member
        (json_object_get_object_member (root, "result"), "status"),
        "rejected");
    g_free (measured);
  } else {
    JsonObject *o = json_object_get_object_member (json_object_get_object_member
        (root, "outputs"), "full");
    gdouble longest = ffprobe_longest (full);

    fail_unless (longest <= max + 1e-6, "%.1f s source gave a %.6f s output "
        "(limit %.3f)", seconds, longest, max);
    fail_unless (json_object_get_boolean_member (o, "rule_met"));
    fail_unless (strstr (json_object_get_string_member (o, "rule"),
            category) != NULL);
    /* within one output frame (10 fps here) of what the rule allows */
    fail_unless (ABS (json_object_get_double_member (o, "duration_s") -
            MIN (seconds, max)) < 0.101, "report says %.3f s",
        json_object_get_double_member (o, "duration_s"));
  }
  g_object_unref (parser);
  cc_test_cleanup ();
  g_free (err);
  g_free (src);
  g_free (outdir);
  g_free (full);
  g_free (report);
}

GST_START_TEST (test_story_boundaries)
{
  check_duration_case (179.9, "story", "error", 3, 300);
  check_duration_case (180.0, "story", "error", 0, 300);
  check_duration_case (300.0, "story", "error", 0, 300);
  check_duration_case (300.1, "story", "error", 3, 300);
  check_duration_case (300.1, "story", "trim", 0, 300);
}

GST_END_TEST;

GST_START_TEST (test_platform_boundaries)
{
  check_duration_case (59.9, "platform", "error", 0, 60);
  check_duration_case (60.0, "platform", "error", 0, 60);
  check_duration_case (61.0, "platform", "error", 3, 60);
  check_duration_case (61.0, "platform", "trim", 0, 60);
}

GST_END_TEST;

/* Limits given on the command line override the category's. */
GST_START_TEST (test_duration_overrides)
{
  gchar *src = make_timed_source (4.0);
  gchar *outdir = cc_test_path ("out");
  const gchar *too_short[] = { "process", src, "-o", outdir, "-q", "draft",
    "--min-duration", "5", NULL
  };
  const gchar *fits[] = { "process", src, "-o", outdir, "-q", "draft",
    "--category", "story", "--min-duration", "3", "--max-duration", "4.5",
    NULL
  };
  gchar *err = NULL;

  fail_unless_equals_int (cc_test_cli (too_short, NULL, &err), 3);
  fail_unless (strstr (err, "4.0 s; videos must be at least 5 s") != NULL,
      "%s", err);
  g_free (err);
  fail_unless_equals_int (cc_test_cli (fits, NULL, NULL), 0);
  g_free (src);
  g_free (outdir);
}

GST_END_TEST;

/* --school and --logo put the watermark on the full cut. */
GST_START_TEST (test_watermark_options)
{
  gchar *src = cc_test_path ("black.mp4");
  gchar *logo = cc_test_path ("logo.png");
  gchar *outdir = cc_test_path ("out");
  gchar *full = g_build_filename (outdir, "full.mp4", NULL);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=25 pattern=black "
      "! video/x-raw,width=320,height=180,framerate=25/1 ! x264enc ! mp4mux "
      "! filesink location=%s", src);
  gchar *desc2 = g_strdup_printf ("videotestsrc num-buffers=1 "
      "pattern=solid-color foreground-color=0xffff0000 ! video/x-raw,"
      "format=RGBA,width=64,height=64 ! pngenc ! filesink location=%s", logo);
  const gchar *args[] = { "process", src, "-o", outdir, "-q", "draft",
    "--school", "技能成才职业技术学院", "--logo", logo, NULL
  };
  const gchar *bad[] = { "process", src, "-o", outdir, "--logo",
    "/nonexistent/logo.png", NULL
  };
  gchar *err = NULL;
  guint8 *rgb;
  gint w, h;
  const guint8 *px;

  cc_test_launch (desc);
  cc_test_launch (desc2);
  fail_unless_equals_int (cc_test_cli (args, NULL, NULL), 0);
  rgb = cc_test_frame_rgb (full, 0.5, &w, &h);
  /* default: top-left, 3 % margin, 8 % high: the logo covers (11..40) */
  px = &rgb[(25 * w + 25) * 3];
  fail_unless (px[0] > 150 && px[1] < 80 && px[2] < 80, "no red logo: %d %d %d",
      px[0], px[1], px[2]);
  /* and the name's white letters appear to its right */
  {
    gint bright = 0;
    for (gint y = 11; y < 40; y++)
      for (gint x = 50; x < 300; x++)
        bright += rgb[(y * w + x) * 3 + 1] > 200;
    fail_unless (bright > 100, "no school name drawn (%d bright px)", bright);
  }
  /* the rest of the black frame stays black */
  px = &rgb[(300 * w + 600) * 3];
  fail_unless (px[0] < 30 && px[1] < 30 && px[2] < 30);
  g_free (rgb);

  fail_unless_equals_int (cc_test_cli (bad, NULL, &err), 2);
  fail_unless (strstr (err, "/nonexistent/logo.png") != NULL, "%s", err);
  g_free (err);
  g_free (desc);
  g_free (desc2);
  g_free (src);
  g_free (logo);
  g_free (outdir);
  g_free (full);
}

GST_END_TEST;

static gchar *
ocr_region (const gchar * video, gdouble t, gint y0, gint y1)
{
  gint w, h;
  guint8 *rgb = cc_test_frame_rgb (video, t, &w, &h);
  gchar *ppm = cc_test_path ("frame.ppm");
  GString *img = g_string_new (NULL);
  gchar *text;

  g_string_append_printf (img, "P6\n%d %d\n255\n", w, y1 - y0);
  g_string_append_len (img, (gchar *) rgb + (gsize) y0 * w * 3,
      (gssize) w * (y1 - y0) * 3);
  fail_unless (g_file_set_contents (ppm, img->str, (gssize) img->len, NULL));
  text = cc_test_ocr_image (ppm);
  g_string_free (img, TRUE);
  g_free (rgb);
  g_free (ppm);
  return text;
}

/* Captions from a GBK file burned into the full cut read back by OCR. */
GST_START_TEST (test_captions_burned_and_read_back)
{
  gchar *src = make_source ("talk.mp4", 75);
  gchar *srt = cc_test_path ("talk.srt");
  gchar *outdir = cc_test_path ("out");
  gchar *full = g_build_filename (outdir, "full.mp4", NULL);
  gchar *report = g_build_filename (outdir, "report.json", NULL);
  const gchar *text = "1\r\n00:00:00,500 --> 00:00:02,500\r\n"
      "大家好我是机电一体化专业的学生\r\n\r\n"
      "2\r\n00:00:02,000 --> 00:00:02,400\r\n重叠\r\n";
  const gchar *args[] = { "process", src, "-o", outdir, "-q", "standard",
    "--captions", srt, NULL
  };
  gchar *gbk, *read, *err = NULL;
  gsize n;
  JsonParser *parser = json_parser_new ();
  JsonObject *cap;

  gbk = g_convert (text, -1, "GB18030", "UTF-8", NULL, &n, NULL);
  g_file_set_contents (srt, gbk, (gssize) n, NULL);
  fail_unless_equals_int (cc_test_cli (args, NULL, &err), 0);
  fail_unless (strstr (err, "overlaps") != NULL, "no overlap warning: %s",
      err);

  /* bottom third of the 1080p frame, where the caption sits */
  read = ocr_region (full, 1.0, 760, 1080);
  /* OCR over test bars drops the one-stroke 一 now and then; the rest of
   * the sentence must be there. */
  fail_unless (strstr (read, "我是机电") && strstr (read, "专业的学生"),
      "OCR read '%s'", read);
  g_free (read);
  /* and nothing before the cue */
  read = ocr_region (full, 0.2, 760, 1080);
  fail_unless (strstr (read, "学生") == NULL, "caption too early: '%s'", read);
  g_free (read);

  fail_unless (json_parser_load_from_file (parser, report, NULL));
  cap = json_object_get_object_member (json_node_get_object
      (json_parser_get_root (parser)), "captions");
  fail_unless_equals_string (json_object_get_string_member (cap, "encoding"),
      "GB18030");
  fail_unless_equals_int (json_object_get_int_member (cap, "cues"), 2);
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (cap, "warnings")), 1);
  g_object_unref (parser);
  g_free (gbk);
  g_free (err);
  g_free (src);
  g_free (srt);
  g_free (outdir);
  g_free (full);
  g_free (report);
}

GST_END_TEST;

/* A broken caption file fails before encoding, naming it and the line. */
GST_START_TEST (test_bad_captions_file)
{
  gchar *src = make_source ("clip2.mp4", 25);
  gchar *srt = cc_test_path ("broken.srt");
  gchar *emoji = cc_test_path ("emoji.srt");
  gchar *outdir = cc_test_path ("out");
  const gchar *args[] = { "process", src, "-o", outdir, "--captions", srt,
    NULL
  };
  const gchar *args2[] = { "process", src, "-o", outdir, "--captions", emoji,
    NULL
  };
  gchar *err = NULL, *listing;

  g_file_set_contents (srt, "1\n00:00:01,000 --> 00:00:02,000\n好\n\n2\n"
      "00:00:0x,000 --> 00:00:03,000\n坏\n", -1, NULL);
  fail_unless_equals_int (cc_test_cli (args, NULL, &err), 4);
  fail_unless (strstr (err, srt) && strstr (err, "line 6"), "%s", err);
  g_free (err);

  g_file_set_contents (emoji, "1\n00:00:00,000 --> 00:00:01,000\n好😀\n",
      -1, NULL);
  fail_unless_equals_int (cc_test_cli (args2, NULL, &err), 4);
  fail_unless (strstr (err, emoji) && strstr (err, "😀"), "%s", err);
  g_free (err);
  listing = cc_test_list_dir (outdir);
  fail_unless (strstr (listing, ".mp4") == NULL, "%s", listing);
  g_free (listing);
  g_free (src);
  g_free (srt);
  g_free (emoji);
  g_free (outdir);
}

GST_END_TEST;

/* Integrated loudness and true peak of a file's audio, by ffmpeg's ebur128
 * filter: an independent meter. */
static void
ffmpeg_loudness (const gchar * path, gdouble * integrated, gdouble * peak)
{
  const gchar *argv[] = { "ffmpeg", "-hide_banner", "-nostats", "-i", path,
    "-af", "ebur128=peak=true", "-f", "null", "-", NULL
  };
  gchar *err = NULL, *summary, *p;
  gint status;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH
          | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status,
          NULL));
  summary = strstr (err, "Summary:");
  fail_unless (summary != NULL, "%s", err);
  p = strstr (summary, "I:");
  fail_unless (p != NULL);
  *integrated = g_ascii_strtod (p + 2, NULL);
  p = strstr (summary, "Peak:");
  fail_unless (p != NULL);
  *peak = g_ascii_strtod (p + 5, NULL);
  g_free (err);
}

static void
check_loudness_case (const gchar * name, const gchar * audio_filter,
    gdouble seconds, const gchar * preset, gdouble target, gdouble ceiling)
{
  gchar *src = cc_test_path (name);
  gchar *outdir = cc_test_path ("out");
  gchar *full = g_build_filename (outdir, "full.mp4", NULL);
  gchar *dur = g_strdup_printf ("%.1f", seconds);
  const gchar *gen[] = { "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
    "color=gray:size=64x64:rate=10", "-f", "lavfi", "-i", audio_filter,
    "-t", dur, "-c:v", "libx264", "-c:a", "aac", "-b:a", "192k", src, NULL
  };
  const gchar *args[] = { "process", src, "-o", outdir, "-q", "draft",
    "--fps", "10", "--loudness", preset, NULL
  };
  gdouble in_i, in_p, out_i, out_p;

  cc_test_run_tool (gen);
  ffmpeg_loudness (src, &in_i, &in_p);
  fail_unless_equals_int (cc_test_cli (args, NULL, NULL), 0);
  ffmpeg_loudness (full, &out_i, &out_p);
  fail_unless (fabs (out_i - target) <= 0.5, "%s (%.1f LUFS in): %.1f LUFS "
      "out, target %.0f", name, in_i, out_i, target);
  fail_unless (out_p <= ceiling, "%s: true peak %.1f dBTP over %.0f", name,
      out_p, ceiling);
  cc_test_cleanup ();
  g_free (src);
  g_free (outdir);
  g_free (full);
  g_free (dur);
}

#define SPEECH_LIKE "anoisesrc=color=pink:amplitude=%s:seed=3,lowpass=3000," \
    "volume='if(lt(mod(t\\,0.25)\\,0.17)\\,1\\,0.03)':eval=frame"
#define MUSIC_LIKE "aevalsrc='%s*(sin(2*PI*220*t)+0.5*sin(2*PI*330*t)" \
    "+0.3*sin(2*PI*440*t))*(0.55+0.45*sin(2*PI*0.5*t))':s=48000"

/* Whisper and blast, speech and music, 10 s to 5 min: every output on
 * target within 0.5 LU, under the ceiling, by ffmpeg's meter. */
GST_START_TEST (test_loudness_targets)
{
  gchar *quiet_speech = g_strdup_printf (SPEECH_LIKE, "0.02");
  gchar *loud_speech = g_strdup_printf (SPEECH_LIKE, "0.9");
  gchar *quiet_music = g_strdup_printf (MUSIC_LIKE, "0.01");
  gchar *loud_music = g_strdup_printf (MUSIC_LIKE, "0.55");

  check_loudness_case ("whisper.mp4", quiet_speech, 10, "web", -16, -1);
  check_loudness_case ("stage.mp4", loud_speech, 60, "mobile", -15, -1);
  check_loudness_case ("band.mp4", loud_music, 60, "ebu", -23, -1);
  check_loudness_case ("radio.mp4", quiet_music, 300, "web", -16, -1);
  check_loudness_case ("hall.mp4", loud_speech, 20, "quiet", -24, -2);
  g_free (quiet_speech);
  g_free (loud_speech);
  g_free (quiet_music);
  g_free (loud_music);
}

GST_END_TEST;

/* A source whose every frame shows its own number as 16 bits, 40 px
 * each, across the top band. */
static gchar *
make_numbered_source (gdouble seconds)
{
  gchar *path = cc_test_path ("numbered.mp4");
  gchar *dur = g_strdup_printf ("%.1f", seconds);
  const gchar *gen[] = { "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
    "color=gray:size=640x360:rate=25", "-f", "lavfi", "-i",
    "sine=frequency=300:sample_rate=48000", "-t", dur, "-vf",
    "geq=lum='if(lt(Y\\,60)\\,if(mod(floor(N/pow(2\\,floor(X/40)))\\,2)"
        "\\,235\\,16)\\,128)':cb=128:cr=128",
    "-c:v", "libx264", "-crf", "10", "-c:a", "aac", path, NULL
  };

  cc_test_run_tool (gen);
  g_free (dur);
  return path;
}

/* Source frame numbers shown by every frame of a decoded output. */
static GArray *
read_frame_numbers (const gchar * path)
{
  GArray *numbers = g_array_new (FALSE, FALSE, sizeof (gint));
  gchar *uri = gst_filename_to_uri (path, NULL);
  gchar *desc = g_strdup_printf ("uridecodebin uri=%s ! videoconvert ! "
      "video/x-raw,format=GRAY8 ! appsink name=s sync=false", uri);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "s");
  GstSample *sample;

  gst_element_set_state (p, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
              30 * GST_SECOND))) {
    GstVideoInfo info;
    GstMapInfo map;
    gint n = 0;

    gst_video_info_from_caps (&info, gst_sample_get_caps (sample));
    gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ);
    for (gint bit = 0; bit < 16; bit++) {
      gint x = bit * 40 + 20, y = 30;
      if (map.data[y * GST_VIDEO_INFO_PLANE_STRIDE (&info, 0) + x] > 128)
        n |= 1 << bit;
    }
    gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
    g_array_append_val (numbers, n);
    gst_sample_unref (sample);
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (p);
  g_free (desc);
  g_free (uri);
  return numbers;
}

/* Runs campuscut with args, expecting success and file (an output) to
 * last between lo and hi seconds. */
static void
expect_done_lasting (const gchar ** args, const gchar * file, gdouble lo,
    gdouble hi)
{
  gchar *err = NULL;
  gdouble d;

  fail_unless (cc_test_cli (args, NULL, &err) == 0, "%s", err);
  d = ffprobe_longest (file);
  fail_unless (d > lo && d < hi, "%s lasts %.3f s", file, d);
  g_free (err);
}

/* A transport stream trimmed at the maximum: tsdemux goes on sending tags
 * after the guard has ended the stream, which must not fail the job
 * (before, nearly every run failed with tsdemux's flow error). Two runs:
 * the race was lost about 11 times in 12. */
GST_START_TEST (test_trim_transport_stream)
{
  gchar *src = cc_test_path ("long.ts");
  gchar *outdir = cc_test_path ("out-ts-trim");
  gchar *full = g_build_filename (outdir, "full.mp4", NULL);
  /* MPEG-2 video and MP2 audio, as cameras write them (ffmpeg: the
   * GStreamer encoders here do not take such tiny pictures) */
  const gchar *make[] = { "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
    "testsrc2=size=64x64:rate=25", "-f", "lavfi", "-i", "sine=f=440", "-t",
    "12", "-c:v", "mpeg2video", "-c:a", "mp2", src, NULL
  };
  gint status;
  const gchar *args[] = { "process", src, "-o", outdir, "-q", "draft",
    "--category", "overview", "--max-duration", "8", "--on-too-long", "trim",
    "--quiet", NULL
  };

  fail_unless (g_spawn_sync (NULL, (gchar **) make, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, NULL),
      "ffmpeg missing");
  fail_unless (g_spawn_check_wait_status (status, NULL));
  for (guint i = 0; i < 2; i++)
    expect_done_lasting (args, full, 7.9, 8.05);
  g_free (full);
  g_free (outdir);
  g_free (src);
}

GST_END_TEST;

/* A given list may run past the end of the video: the platform cut holds
 * what the video has (before, the output check expected the whole list
 * and failed the job). */
GST_START_TEST (test_platform_list_past_end)
{
  gchar *src = make_timed_source (6.0);
  gchar *outdir = cc_test_path ("out-past-end");
  gchar *platform = g_build_filename (outdir, "platform.mp4", NULL);
  const gchar *args[] = { "process", src, "-o", outdir, "-q", "draft",
    "--loudness", "off", "--platform-cut", "0:02-0:04,0:05-0:09", "--quiet",
    NULL
  };

  /* 2 s + the last second of the video */
  expect_done_lasting (args, platform, 2.9, 3.1);
  g_free (platform);
  g_free (outdir);
  g_free (src);
}

GST_END_TEST;

/* platform.mp4 holds exactly the listed source frames, in order, from the
 * same run as the full cut. */
GST_START_TEST (test_platform_exact_frames)
{
  gchar *src = make_numbered_source (16);
  gchar *outdir = cc_test_path ("out");
  gchar *platform = g_build_filename (outdir, "platform.mp4", NULL);
  gchar *full = g_build_filename (outdir, "full.mp4", NULL);
  const gchar *args[] = { "process", src, "-o", outdir, "-q", "draft",
    "--platform-cut", "0:02-0:04,0:10-0:11", "--platform-aspect", "source",
    NULL
  };
  GArray *nums;
  guint k = 0;
  gchar *opts, *threads;

  fail_unless_equals_int (cc_test_cli (args, NULL, NULL), 0);
  fail_unless (g_file_test (full, G_FILE_TEST_EXISTS));
  /* both encoders with x264's own count: 1.5 frame threads per core
   * (fewer for the platform cut's left a core idle) */
  threads = g_strdup_printf ("threads=%u", g_get_num_processors () * 3 / 2);
  opts = cc_test_x264_options (full);
  cc_test_assert_x264_option (opts, threads);
  g_free (opts);
  opts = cc_test_x264_options (platform);
  cc_test_assert_x264_option (opts, threads);
  g_free (opts);
  g_free (threads);
  nums = read_frame_numbers (platform);
  fail_unless_equals_int (nums->len, 75);
  /* frames dipping to black at the join (output frame 50, 150 ms each
   * way) cannot show their number; every other one must be exact */
  for (gint f = 50; f < 100; f++, k++)
    if (k < 46)
      fail_unless (g_array_index (nums, gint, k) == f,
          "output frame %u shows source frame %d, expected %d", k,
          g_array_index (nums, gint, k), f);
  for (gint f = 250; f < 275; f++, k++)
    if (k > 53)
      fail_unless (g_array_index (nums, gint, k) == f,
          "output frame %u shows source frame %d, expected %d", k,
          g_array_index (nums, gint, k), f);
  g_array_unref (nums);
  g_free (src);
  g_free (outdir);
  g_free (platform);
  g_free (full);
}

GST_END_TEST;

/* Automatic cut of a story with captions: 45-60 s, never past 60.000 s
 * by any stream, no cue cut, 9:16, reasons in the report in the syntax
 * the CLI takes back. */
GST_START_TEST (test_platform_auto)
{
  gchar *src = make_timed_source (190.0);
  gchar *srt = cc_test_path ("story.srt");
  gchar *outdir = cc_test_path ("out");
  gchar *platform = g_build_filename (outdir, "platform.mp4", NULL);
  gchar *report = g_build_filename (outdir, "report.json", NULL);
  GString *cues = g_string_new (NULL);
  const gchar *args[] = { "process", src, "-o", outdir, "-q", "draft",
    "--fps", "10", "--category", "story", "--captions", srt, NULL
  };
  JsonParser *parser = json_parser_new ();
  JsonObject *p;
  gchar **segs;
  CcCaptionTrack *track;
  gint w, h;
  guint8 *rgb;

  for (guint i = 0; i < 30; i++)
    g_string_append_printf (cues, "%u\n00:%02u:%02u,500 --> 00:%02u:%02u,700\n"
        "第%u句，学长的故事。\n\n", i + 1, (i * 6 + 2) / 60, (i * 6 + 2) % 60,
        (i * 6 + 6) / 60, (i * 6 + 6) % 60, i + 1);
  g_file_set_contents (srt, cues->str, -1, NULL);
  track = cc_caption_track_parse (cues->str, cues->len, NULL);
  fail_unless_equals_int (cc_test_cli (args, NULL, NULL), 0);
  fail_unless (ffprobe_longest (platform) <= 60.0 + 1e-6);

  fail_unless (json_parser_load_from_file (parser, report, NULL));
  p = json_object_get_object_member (json_object_get_object_member
      (json_node_get_object (json_parser_get_root (parser)), "outputs"),
      "platform");
  fail_unless_equals_string (json_object_get_string_member (p, "chosen"),
      "auto");
  fail_unless (json_object_get_double_member (p, "duration_s") >= 44.9);
  fail_unless (json_array_get_length (json_object_get_array_member (p,
              "reasons")) > 0);
  /* the picture was looked at, keyframes only */
  fail_unless (json_object_get_int_member (json_object_get_object_member (p,
              "video_signals"), "keyframes") >= 10);
  /* every segment boundary lies outside every cue */
  segs = g_strsplit (json_object_get_string_member (p, "segments"), ",", -1);
  for (guint i = 0; segs[i]; i++) {
    GArray *one = cc_cutlist_parse (segs[i], NULL);
    CcSpan sp = g_array_index (one, CcSpan, 0);
    for (guint k = 0; k < track->cues->len; k++) {
      CcCaptionCue *c = g_ptr_array_index (track->cues, k);
      fail_if (c->start < sp.start && sp.start < c->end, "segment %s starts "
          "inside cue %u", segs[i], k + 1);
      fail_if (c->start < sp.end && sp.end < c->end, "segment %s ends inside "
          "cue %u", segs[i], k + 1);
    }
    g_array_unref (one);
  }
  g_strfreev (segs);
  rgb = cc_test_frame_rgb (platform, 1.0, &w, &h);
  fail_unless (w == 360 && h == 640, "platform frame %dx%d", w, h);
  g_free (rgb);

  cc_caption_track_free (track);
  g_string_free (cues, TRUE);
  g_object_unref (parser);
  g_free (src);
  g_free (srt);
  g_free (outdir);
  g_free (platform);
  g_free (report);
}

GST_END_TEST;

GST_START_TEST (test_platform_list_too_long)
{
  gchar *src = make_source ("short.mp4", 50);
  gchar *outdir = cc_test_path ("out");
  const gchar *args[] = { "process", src, "-o", outdir, "--platform-cut",
    "0:00-0:40,1:00-1:30", NULL
  };
  const gchar *bad[] = { "process", src, "-o", outdir, "--platform-cut",
    "0:10-0:05", NULL
  };
  gchar *err = NULL;

  fail_unless_equals_int (cc_test_cli (args, NULL, &err), 3);
  fail_unless (strstr (err, "at most 60 s") != NULL, "%s", err);
  g_free (err);
  fail_unless_equals_int (cc_test_cli (bad, NULL, &err), 2);
  fail_unless (strstr (err, "segment 1") != NULL, "%s", err);
  g_free (err);
  g_free (src);
  g_free (outdir);
}

GST_END_TEST;

/* Unattended jobs are bounded in output size and wall time. */
GST_START_TEST (test_resource_limits)
{
  gchar *src = cc_test_path ("snow.mp4");
  gchar *outdir = cc_test_path ("out");
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=75 pattern=snow ! "
      "video/x-raw,width=640,height=360,framerate=25/1 ! x264enc "
      "speed-preset=ultrafast ! mp4mux ! filesink location=%s", src);
  const gchar *big[] = { "process", src, "-o", outdir, "--max-output-size",
    "1", NULL
  };
  const gchar *slow[] = { "process", src, "-o", outdir, "--max-time", "0.5",
    NULL
  };
  gchar *err = NULL, *listing;

  cc_test_launch (desc);
  fail_unless_equals_int (cc_test_cli (big, NULL, &err), 4);
  fail_unless (strstr (err, "--max-output-size") != NULL, "%s", err);
  g_free (err);
  fail_unless_equals_int (cc_test_cli (slow, NULL, &err), 1);
  fail_unless (strstr (err, "--max-time") != NULL, "%s", err);
  g_free (err);
  listing = cc_test_list_dir (outdir);
  fail_unless_equals_string (listing, "report.json");
  g_free (listing);
  g_free (desc);
  g_free (src);
  g_free (outdir);
}

GST_END_TEST;

/* report.json of an output folder; the parser owns the object. */
static JsonObject *
load_report (const gchar * outdir, JsonParser ** parser)
{
  gchar *path = g_build_filename (outdir, "report.json", NULL);
  GError *error = NULL;

  *parser = json_parser_new ();
  fail_unless (json_parser_load_from_file (*parser, path, &error), "%s: %s",
      path, error ? error->message : "?");
  g_free (path);
  return json_node_get_object (json_parser_get_root (*parser));
}

/* File contents, for comparing a file with itself later. */
static gchar *
read_bytes (const gchar * path, gsize * len)
{
  gchar *data = NULL;

  fail_unless (g_file_get_contents (path, &data, len, NULL), "%s", path);
  return data;
}

static gboolean
same_bytes (const gchar * path, const gchar * data, gsize len)
{
  gchar *now;
  gsize now_len;
  gboolean same;

  now = read_bytes (path, &now_len);
  same = now_len == len && memcmp (now, data, len) == 0;
  g_free (now);
  return same;
}

/* --only platform: a reviewer's new segments make the platform cut again
 * beside the finished full cut, which stays byte for byte; the report
 * keeps the full cut's entry and gives the new cut's. A remake that fails
 * changes nothing in the folder. */
GST_START_TEST (test_only_platform)
{
  gchar *src = make_numbered_source (16);
  gchar *outdir = cc_test_path ("out-remake");
  gchar *empty = cc_test_path ("out-empty");
  gchar *platform = g_build_filename (outdir, "platform.mp4", NULL);
  gchar *full = g_build_filename (outdir, "full.mp4", NULL);
  gchar *report = g_build_filename (outdir, "report.json", NULL);
  const gchar *made[] = { "process", src, "-o", outdir, "-q", "draft",
    "--platform-cut", "0:02-0:04", "--platform-aspect", "source", "--quiet",
    NULL
  };
  const gchar *again[] = { "process", src, "-o", outdir, "-q", "draft",
    "--platform-cut", "0:10-0:11", "--platform-aspect", "source", "--only",
    "platform", "--quiet", NULL
  };
  const gchar *too_long[] = { "process", src, "-o", outdir, "-q", "draft",
    "--platform-cut", "0:00-1:05", "--only", "platform", "--quiet", NULL
  };
  const gchar *other_quality[] = { "process", src, "-o", outdir, "-q",
    "standard", "--platform-cut", "0:05-0:06", "--only", "platform", NULL
  };
  const gchar *no_full[] = { "process", src, "-o", empty, "-q", "draft",
    "--platform-cut", "0:05-0:06", "--only", "platform", NULL
  };
  gchar *full_before, *full_entry_before, *err = NULL, *listing, *rep_before;
  gchar *platform_before;
  gsize full_len, platform_len, rep_len;
  JsonParser *parser;
  JsonObject *root, *outputs;
  GArray *nums;
  guint k = 0;

  fail_unless_equals_int (cc_test_cli (made, NULL, NULL), 0);
  full_before = read_bytes (full, &full_len);
  root = load_report (outdir, &parser);
  full_entry_before = json_to_string (json_object_get_member
      (json_object_get_object_member (root, "outputs"), "full"), FALSE);
  g_object_unref (parser);

  fail_unless_equals_int (cc_test_cli (again, NULL, &err), 0);
  g_free (err);
  fail_unless (same_bytes (full, full_before, full_len),
      "the full cut changed");
  nums = read_frame_numbers (platform);
  fail_unless_equals_int (nums->len, 25);
  for (gint f = 250; f < 275; f++, k++)
    fail_unless (g_array_index (nums, gint, k) == f,
        "output frame %u shows source frame %d, expected %d", k,
        g_array_index (nums, gint, k), f);
  g_array_unref (nums);
  root = load_report (outdir, &parser);
  outputs = json_object_get_object_member (root, "outputs");
  {
    gchar *full_entry = json_to_string (json_object_get_member (outputs,
            "full"), FALSE);
    JsonObject *p = json_object_get_object_member (outputs, "platform");

    fail_unless_equals_string (full_entry, full_entry_before);
    g_free (full_entry);
    fail_unless_equals_string (json_object_get_string_member (p, "segments"),
        "0:10.000-0:11.000");
    fail_unless_equals_string (json_object_get_string_member (p, "file"),
        "platform.mp4");
    fail_unless_equals_string (json_object_get_string_member (p, "verdict"),
        "pass");
    fail_unless_equals_string (json_object_get_string_member
        (json_object_get_object_member (root, "result"), "remade"),
        "platform");
  }
  g_object_unref (parser);
  listing = cc_test_list_dir (outdir);
  fail_unless (strstr (listing, "remake") == NULL, "left: %s", listing);
  g_free (listing);

  /* failures leave the folder as it was */
  platform_before = read_bytes (platform, &platform_len);
  rep_before = read_bytes (report, &rep_len);
  fail_unless_equals_int (cc_test_cli (too_long, NULL, NULL), 3);
  fail_unless_equals_int (cc_test_cli (other_quality, NULL, &err), 2);
  fail_unless (strstr (err, "--quality draft") != NULL, "%s", err);
  g_free (err);
  fail_unless (same_bytes (platform, platform_before, platform_len));
  fail_unless (same_bytes (report, rep_before, rep_len));
  listing = cc_test_list_dir (outdir);
  fail_unless (strstr (listing, "remake") == NULL, "left: %s", listing);
  g_free (listing);

  /* and there is nothing to make it beside without a full cut */
  fail_unless_equals_int (cc_test_cli (no_full, NULL, &err), 2);
  fail_unless (strstr (err, "report.json") != NULL, "%s", err);
  g_free (err);
  listing = cc_test_list_dir (empty);
  fail_unless (strstr (listing, ".mp4") == NULL, "left: %s", listing);
  g_free (listing);

  g_free (rep_before);
  g_free (platform_before);
  g_free (full_before);
  g_free (full_entry_before);
  g_free (src);
  g_free (outdir);
  g_free (empty);
  g_free (platform);
  g_free (full);
  g_free (report);
}

GST_END_TEST;

/* A 64x64 pure red emblem, encoded by encoder (pngenc, jpegenc). */
static gchar *
make_logo (const gchar * name, const gchar * encoder)
{
  gchar *path = cc_test_path (name);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 "
      "pattern=solid-color foreground-color=0xffff0000 ! video/x-raw,"
      "width=64,height=64 ! videoconvert ! %s ! filesink location=%s",
      encoder, path);

  cc_test_launch (desc);
  g_free (desc);
  return path;
}

/* A still 16:9 picture: fine luma noise (the detail a blur removes) over a
 * hue sweep in both directions (the colour a black bar lacks), equally
 * bright on average everywhere, so that any part of it enlarged is as
 * bright as the whole; with speech-like sound off the loudness target. */
static gchar *
make_textured_source (gdouble seconds)
{
  gchar *path = cc_test_path ("textured.mp4");
  gchar *dur = g_strdup_printf ("%.1f", seconds);
  gchar *audio = g_strdup_printf (SPEECH_LIKE, "0.9");
  const gchar *gen[] = { "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
    "color=gray:size=320x180:rate=25,format=yuv420p,noise=alls=40:allf=u,"
        "geq=lum='lum(X\\,Y)+40':cb='128+90*cos(2*PI*(2*X/W+Y/H))'"
        ":cr='128+90*sin(2*PI*(2*X/W+Y/H))',loop=loop=-1:size=1",
    "-f", "lavfi", "-i", audio, "-t", dur, "-c:v", "libx264", "-crf", "18",
    "-c:a", "aac", "-b:a", "192k", "-ac", "2", path, NULL
  };

  cc_test_run_tool (gen);
  g_free (audio);
  g_free (dur);
  return path;
}

/* The platform cut's loudness by ffmpeg's meter: a source far from it
 * brought to -16 LUFS within tolerance, its peaks under -1 dBTP. */
static void
check_platform_loudness (const gchar * src, const gchar * platform,
    gdouble tolerance)
{
  gdouble in_i, in_p, out_i, out_p;

  ffmpeg_loudness (src, &in_i, &in_p);
  fail_unless (fabs (in_i + 16) > 3, "source already at %.1f LUFS", in_i);
  ffmpeg_loudness (platform, &out_i, &out_p);
  fail_unless (fabs (out_i + 16) <= tolerance, "platform cut at %.2f LUFS "
      "(source %.1f), target -16 within %.1f LU", out_i, in_i, tolerance);
  fail_unless (out_p <= -1.0 + 0.1, "platform cut true peak %.1f dBTP",
      out_p);
}

/* The platform cut is held to what the full cut is: the watermark and the
 * captions are on it, its loudness is on target by an independent meter;
 * and a landscape source stands on a blurred, darkened enlargement of
 * itself rather than on black bars or a sharp stretched copy. */
GST_START_TEST (test_platform_portrait)
{
  gchar *src = make_textured_source (12);
  gchar *logo = make_logo ("logo.png", "pngenc");
  gchar *srt = cc_test_path ("talk.srt");
  gchar *out_a = cc_test_path ("plain");
  gchar *out_b = cc_test_path ("marked");
  gchar *plat_a = g_build_filename (out_a, "platform.mp4", NULL);
  gchar *plat_b = g_build_filename (out_b, "platform.mp4", NULL);
  const gchar *plain[] = { "process", src, "-o", out_a, "-q", "draft",
    "--platform-cut", "0:01-0:09", NULL
  };
  const gchar *marked[] = { "process", src, "-o", out_b, "-q", "draft",
    "--platform-cut", "0:01-0:09", "--school", "技能成才职业技术学院",
    "--logo", logo, "--captions", srt, NULL
  };
  CcRegionStats above, below, picture;
  const CcRegionStats *bands[] = { &above, &below };
  guint8 *a, *b;
  gint w, h, w2, h2, fh, top, bottom;
  guint changed;
  gchar *read;
  JsonParser *parser;
  JsonObject *report;

  /* the cue is at 3-7 s of the cut */
  g_file_set_contents (srt, "1\n00:00:04,000 --> 00:00:08,000\n"
      "大家好我是机电专业的学生\n", -1, NULL);
  fail_unless_equals_int (cc_test_cli (plain, NULL, NULL), 0);
  fail_unless_equals_int (cc_test_cli (marked, NULL, NULL), 0);
  report = load_report (out_b, &parser);
  fail_unless_equals_string (json_object_get_string_member (object_at
          (report, "outputs.platform"), "verdict"), "pass");
  g_object_unref (parser);

  /* Where the picture sits: fitted across the 9:16 frame, centred. */
  a = cc_test_frame_rgb (plat_a, 1.0, &w, &h);
  fail_unless (w * 16 == h * 9, "platform frame %dx%d is not 9:16", w, h);
  fh = (gint) gst_util_uint64_scale_round (w, 180, 320) & ~1;
  top = (h - fh) / 2;
  bottom = top + fh;
  /* a few rows off each edge: the picture's own edge is sharp */
  cc_test_region_stats (a, w, 0, 4, w, top - 4, &above);
  cc_test_region_stats (a, w, 0, bottom + 4, w, h - 4, &below);
  cc_test_region_stats (a, w, 0, top + 4, w, bottom - 4, &picture);
  for (guint i = 0; i < G_N_ELEMENTS (bands); i++) {
    const CcRegionStats *s = bands[i];
    const gchar *where = i == 0 ? "above" : "below";

    /* not a black bar: light, and coloured in more than one hue */
    fail_unless (s->luma > 50, "band %s the picture is black (luma %.1f)",
        where, s->luma);
    fail_unless (MAX (s->spread[0], MAX (s->spread[1], s->spread[2])) > 15,
        "band %s the picture is one flat colour (spread %.1f %.1f %.1f)",
        where, s->spread[0], s->spread[1], s->spread[2]);
    /* blurred: the picture's fine noise is gone, which a sharp stretched
     * copy (a few times larger than the picture) would keep */
    fail_unless (s->detail * 10 < picture.detail, "band %s the picture is "
        "not blurred: detail %.1f, picture %.1f", where, s->detail,
        picture.detail);
    /* darkened: every part of the source is as bright as the whole */
    fail_unless (s->luma < picture.luma - 20, "band %s the picture is not "
        "darkened: luma %.1f, picture %.1f", where, s->luma, picture.luma);
  }

  /* The watermark: before the cue, the frames differ only where it is. */
  b = cc_test_frame_rgb (plat_b, 1.0, &w2, &h2);
  fail_unless (w2 == w && h2 == h);
  changed = cc_test_count_changed (a, b, w, 0, h / 10, w / 2, top, 60);
  fail_unless (changed > 300, "no watermark in the top left of the platform "
      "cut (%u px changed)", changed);
  /* nothing in the top 10 %, where the platform puts its own buttons */
  changed = cc_test_count_changed (a, b, w, 0, 0, w, h / 10 - 4, 60);
  fail_unless (changed < 10, "watermark in the top 10 %% (%u px)", changed);
  /* the opposite corner untouched */
  changed = cc_test_count_changed (a, b, w, w / 2, bottom, w, h, 60);
  fail_unless (changed < 10, "bottom right changed (%u px)", changed);
  g_free (a);
  g_free (b);

  /* The caption, retimed to the cut, below the picture. */
  read = cc_test_ocr_white (plat_b, 5.0, bottom, h);
  fail_unless (strstr (read, "机电专业") != NULL, "OCR read '%s'", read);
  g_free (read);
  read = cc_test_ocr_white (plat_b, 1.0, bottom, h);
  fail_unless (strstr (read, "专业") == NULL, "caption too early: '%s'", read);
  g_free (read);

  /* Loudness by ffmpeg's meter: the loud source brought to -16 LUFS. */
  check_platform_loudness (src, plat_a, 1.0);

  g_free (src);
  g_free (logo);
  g_free (srt);
  g_free (out_a);
  g_free (out_b);
  g_free (plat_a);
  g_free (plat_b);
}

GST_END_TEST;

/* A platform cut of short segments is on target too: the joins' fades take
 * a share of its loudness that grows as the segments shorten (three 1 s
 * segments: 0.5 LU of these tones, 0.7 LU of speech-like noise, which
 * failed the job's own check), and the gain must be measured on the faded
 * cut, not on the segments joined hard. */
GST_START_TEST (test_platform_short_segments_loudness)
{
  gchar *src = cc_test_path ("steady.mp4");
  gchar *outdir = cc_test_path ("short-segments");
  gchar *platform = g_build_filename (outdir, "platform.mp4", NULL);
  gchar *audio = g_strdup_printf (MUSIC_LIKE, "0.05");
  const gchar *gen[] = { "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
    "color=gray:size=64x64:rate=10", "-f", "lavfi", "-i", audio,
    "-t", "12", "-c:v", "libx264", "-c:a", "aac", "-b:a", "192k", src, NULL
  };
  const gchar *args[] = { "process", src, "-o", outdir, "-q", "draft",
    "--fps", "10", "--platform-cut", "0:01-0:02,0:04-0:05,0:08-0:09",
    "--platform-aspect", "source", "--quiet", NULL
  };
  gchar *err = NULL;

  cc_test_run_tool (gen);
  fail_unless_equals_int (cc_test_cli (args, NULL, &err), 0);
  g_free (err);
  check_platform_loudness (src, platform, 0.3);
  g_free (src);
  g_free (outdir);
  g_free (platform);
  g_free (audio);
}

GST_END_TEST;

/* `campuscut probe` prints the pre-flight probe as JSON on stdout, and
 * refuses what process refuses with the same exit codes. */
GST_START_TEST (test_probe_command)
{
  gchar *src = make_source ("clip.mp4", 50);
  gchar *empty = cc_test_path ("empty.mp4");
  const gchar *args[] = { "probe", src, NULL };
  const gchar *bad[] = { "probe", empty, NULL };
  const gchar *two[] = { "probe", src, src, NULL };
  gchar *out = NULL, *err = NULL;
  JsonParser *parser = json_parser_new ();
  GError *error = NULL;
  JsonObject *root, *video, *audio;

  fail_unless_equals_int (cc_test_cli (args, &out, &err), 0);
  fail_unless (json_parser_load_from_data (parser, out, -1, &error),
      "stdout is not JSON (%s): %s", error ? error->message : "?", out);
  root = json_node_get_object (json_parser_get_root (parser));
  fail_unless (fabs (json_object_get_double_member (root, "duration_s") -
          2.0) < 0.05, "duration %.3f", json_object_get_double_member (root,
          "duration_s"));
  fail_unless_equals_int (json_object_get_int_member (root, "video_streams"),
      1);
  fail_unless_equals_int (json_object_get_int_member (root, "audio_streams"),
      1);
  video = object_at (root, "video");
  fail_unless (strstr (json_object_get_string_member (video, "codec"),
          "H.264") != NULL, "%s", json_object_get_string_member (video,
          "codec"));
  fail_unless_equals_int (json_object_get_int_member (video, "width"), 320);
  fail_unless_equals_int (json_object_get_int_member (video, "height"), 240);
  fail_unless (fabs (json_object_get_double_member (video, "frame_rate") -
          25.0) < 0.01);
  fail_if (json_object_get_boolean_member (video, "variable_frame_rate"));
  audio = object_at (root, "audio");
  fail_unless_equals_int (json_object_get_int_member (audio, "channels"), 2);
  fail_unless_equals_int (json_object_get_int_member (audio, "sample_rate"),
      48000);
  g_object_unref (parser);
  g_free (out);
  g_free (err);

  /* a file process would refuse as bad input; nothing on stdout */
  g_file_set_contents (empty, "", 0, NULL);
  fail_unless_equals_int (cc_test_cli (bad, &out, &err), 4);
  fail_unless (strstr (err, empty) && strstr (err, "empty"), "%s", err);
  fail_unless_equals_string (out, "");
  g_free (out);
  g_free (err);
  fail_unless_equals_int (cc_test_cli (two, NULL, &err), 2);
  fail_unless (strstr (err, "exactly one") != NULL, "%s", err);
  g_free (err);
  g_free (src);
  g_free (empty);
}

GST_END_TEST;

/* --on-too-long warn delivers the whole video with exit 0, says so on the
 * terminal and in the report. */
GST_START_TEST (test_on_too_long_warn)
{
  gchar *src = make_timed_source (6.0);
  gchar *outdir = cc_test_path ("out");
  gchar *full = g_build_filename (outdir, "full.mp4", NULL);
  const gchar *args[] = { "process", src, "-o", outdir, "-q", "draft",
    "--fps", "10", "--max-duration", "4", "--on-too-long", "warn", NULL
  };
  gchar *err = NULL;
  gint code = cc_test_cli (args, NULL, &err);
  JsonParser *parser;
  JsonObject *report, *o;

  fail_unless (code == 0, "exit %d: %s", code, err);
  fail_unless (strstr (err, "warning") && strstr (err, "longer than the "
          "maximum"), "no warning: %s", err);
  fail_unless (ffprobe_longest (full) > 5.9, "output cut to %.3f s",
      ffprobe_longest (full));
  report = load_report (outdir, &parser);
  fail_unless_equals_string (json_object_get_string_member (object_at
          (report, "job"), "on_too_long"), "warn");
  o = object_at (report, "outputs.full");
  fail_if (json_object_get_boolean_member (o, "rule_met"), "report says the "
      "4 s rule was met by a 6 s output");
  fail_if (json_object_get_boolean_member (o, "trimmed"));
  fail_unless_equals_string (json_object_get_string_member (object_at
          (report, "result"), "status"), "done");
  g_object_unref (parser);
  g_free (err);
  g_free (src);
  g_free (outdir);
  g_free (full);
}

GST_END_TEST;

/* A source without sound trimmed with a fade: the generated silence must
 * be trimmed too, without holding the muxer (it once waited for the
 * stall timeout). */
GST_START_TEST (test_trim_without_audio)
{
  gchar *src = cc_test_path ("mute.mp4"), *out = cc_test_path ("out");
  gchar *full = g_build_filename (out, "full.mp4", NULL);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=150 ! "
      "video/x-raw,width=320,height=180,framerate=25/1 ! x264enc ! "
      "mp4mux ! filesink location=%s", src);
  const gchar *args[] = { "process", src, "-o", out, "--max-duration", "4",
    "--on-too-long", "trim", "--quality", "draft", "--platform-cut", "none",
    "--stall-timeout", "20", "--quiet", NULL
  };
  gchar *so, *se;
  gint code;

  cc_test_launch (desc);
  code = cc_test_cli (args, &so, &se);
  fail_unless (code == 0, "exit %d: %s", code, se);
  /* 4 s, the AAC track within one frame of it */
  fail_unless (fabs (ffprobe_longest (full) - 4.0) < 0.025, "%.3f s",
      ffprobe_longest (full));
  g_free (so);
  g_free (se);
  g_free (desc);
  g_free (full);
  g_free (src);
  g_free (out);
  cc_test_cleanup ();
}

GST_END_TEST;

static gdouble
rms_between (GArray * s16, gdouble from, gdouble to)
{
  guint a = (guint) (from * 48000) * 2, b = (guint) (to * 48000) * 2;
  gdouble sum = 0;

  fail_unless (b <= s16->len && a < b);
  for (guint i = a; i < b; i++) {
    gdouble v = g_array_index (s16, gint16, i) / 32768.0;
    sum += v * v;
  }
  return sqrt (sum / (b - a));
}

/* The trim fades the sound out with loudness normalisation off too: the
 * decoder's planar audio then reaches the guard as it is. */
GST_START_TEST (test_trim_fade_audio_unnormalised)
{
  gchar *src = make_timed_source (6.0), *out = cc_test_path ("out");
  gchar *full = g_build_filename (out, "full.mp4", NULL);
  const gchar *args[] = { "process", src, "-o", out, "--max-duration", "4",
    "--on-too-long", "trim", "--quality", "draft", "--platform-cut", "none",
    "--loudness", "off", "--quiet", NULL
  };
  gchar *so, *se;
  GArray *pcm;
  gdouble before, end;
  gint code;

  code = cc_test_cli (args, &so, &se);
  fail_unless (code == 0, "exit %d: %s", code, se);
  pcm = cc_test_audio_s16 (full);
  before = rms_between (pcm, 2.0, 2.9);
  end = rms_between (pcm, 3.85, 3.95);
  fail_unless (before > 0.01, "no sound before the fade: %f", before);
  /* the default 1 s fade leaves about a tenth of the level there */
  fail_unless (end < before * 0.2, "not faded: %.4f before, %.4f at the end",
      before, end);
  g_array_unref (pcm);
  g_free (so);
  g_free (se);
  g_free (full);
  g_free (src);
  g_free (out);
  cc_test_cleanup ();
}

GST_END_TEST;

/* A trimmed cut is normalised for what it keeps: a quiet talk followed
 * by loud music past the maximum must come out at the target, not at the
 * gain that suits the music. */
GST_START_TEST (test_trim_normalises_what_it_keeps)
{
  gchar *src = cc_test_path ("quiet-then-loud.mp4"), *out = cc_test_path
      ("out");
  const gchar *gen[] = { "ffmpeg", "-nostdin", "-v", "error", "-y", "-f",
    "lavfi", "-i", "testsrc2=size=192x108:rate=25", "-f", "lavfi", "-i",
    "sine=f=440:r=48000,volume=if(lt(t\\,20)\\,0.03\\,0.9):eval=frame",
    "-t", "30", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset",
    "ultrafast", "-c:a", "aac", "-b:a", "192k", src, NULL
  };
  const gchar *args[] = { "process", src, "-o", out, "--max-duration", "20",
    "--on-too-long", "trim", "--quality", "draft", "--platform-cut", "none",
    "--quiet", NULL
  };
  gchar *so, *se;
  gint code;

  cc_test_run_tool (gen);
  /* the output's own loudness check (the target within 0.5 LU) decides */
  code = cc_test_cli (args, &so, &se);
  fail_unless (code == 0, "exit %d: %s", code, se);
  g_free (so);
  g_free (se);
  g_free (src);
  g_free (out);
  cc_test_cleanup ();
}

GST_END_TEST;

/* A failure of campuscut's own on a good file is exit 1, never "bad
 * input": here an encoder that cannot start (a second pass without the
 * first's statistics). The message and the report name the element, and
 * nothing is delivered. */
GST_START_TEST (test_internal_failure_is_exit_1)
{
  gchar *src = make_timed_source (3.0), *out = cc_test_path ("out");
  const gchar *args[] = { "process", src, "-o", out, "--quality", "draft",
    "--platform-cut", "none", "--video-encoder",
    "x264enc pass=pass2 multipass-cache-file=/nonexistent/stats", NULL
  };
  JsonParser *parser;
  JsonObject *result;
  gchar *so, *se, *listing;
  gint code;

  code = cc_test_cli (args, &so, &se);
  fail_unless_equals_int (code, 1);
  fail_unless (strstr (se, "x264enc") != NULL, "%s", se);
  fail_unless (strstr (se, "not found at fault") != NULL, "%s", se);
  listing = cc_test_list_dir (out);
  fail_unless_equals_string (listing, "report.json");
  result = object_at (load_report (out, &parser), "result");
  fail_unless_equals_string (json_object_get_string_member (result,
          "status"), "failed");
  fail_unless_equals_string (json_object_get_string_member (result,
          "element"), "x264enc");
  fail_unless (strstr (json_object_get_string_member (result, "debug"),
          "gstx264enc.c") != NULL);
  g_object_unref (parser);
  g_free (listing);
  g_free (so);
  g_free (se);
  g_free (src);
  g_free (out);
  cc_test_cleanup ();
}

GST_END_TEST;

/* Mean luma of the decoded frame shown at t. */
static gdouble
luma_at (GArray * lumas, GArray * times, gdouble t)
{
  for (guint i = 0; i < lumas->len; i++)
    if (fabs (g_array_index (times, gdouble, i) - t) < 0.051)
      return g_array_index (lumas, gdouble, i);
  fail ("no frame at %.2f s", t);
  return 0;
}

/* Mean square of the first channel of S16 stereo 48 kHz samples in
 * [t0, t1): the gain of a fade squared, relative to the unfaded sound. */
static gdouble
power_between (GArray * s16, gdouble t0, gdouble t1)
{
  guint i0 = (guint) (t0 * 48000), i1 = (guint) (t1 * 48000);
  gdouble sum = 0;

  fail_unless (i1 > i0 && i1 * 2 <= s16->len, "no audio at %.2f-%.2f s", t0,
      t1);
  for (guint i = i0; i < i1; i++) {
    gdouble v = g_array_index (s16, gint16, i * 2);
    sum += v * v;
  }
  return sum / (i1 - i0);
}

/* Frames at 10 fps of a white picture fading to black over `fade`
 * seconds before 20 s: each frame is dimmed by the gain at its end, so
 * that the last one is black. */
static void
check_fade (GArray * lumas, GArray * times, gdouble l0, gdouble fade)
{
  static const gdouble at[] = { 17.8, 18.5, 19.0, 19.5 };

  for (guint i = 0; i < G_N_ELEMENTS (at); i++) {
    gdouble gain = MIN (1.0, (20.0 - (at[i] + 0.1)) / fade);
    gdouble r = luma_at (lumas, times, at[i]) / l0;

    fail_unless (fabs (r - gain) < 0.08, "%.0f s fade: frame at %.1f s "
        "shows %.2f of full brightness, expected %.2f", fade, at[i], r, gain);
  }
  fail_unless (g_array_index (times, gdouble, lumas->len - 1) > 19.85,
      "output ends at %.2f s", g_array_index (times, gdouble, lumas->len - 1));
  fail_unless (g_array_index (lumas, gdouble, lumas->len - 1) / l0 < 0.1,
      "the last frame is not black");
}

/* A trimmed output fades to black and silence over --trim-fade seconds
 * before the maximum: the last 2 s when asked, the last 1 s by default.
 * The source is what a phone records (8-bit 4:2:0 H.264, AAC), long
 * enough that the fade moves its loudness by less than the check allows. */
GST_START_TEST (test_trim_fade)
{
  gchar *src = cc_test_path ("white.mp4");
  gchar *out2 = cc_test_path ("fade2");
  gchar *out1 = cc_test_path ("fade1");
  gchar *full2 = g_build_filename (out2, "full.mp4", NULL);
  gchar *full1 = g_build_filename (out1, "full.mp4", NULL);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=550 pattern=white "
      "! video/x-raw,format=I420,width=64,height=36,framerate=25/1 ! x264enc "
      "speed-preset=ultrafast ! mp4mux name=m ! filesink location=%s "
      "audiotestsrc num-buffers=1100 samplesperbuffer=960 ! audio/x-raw,"
      "rate=48000,channels=2 ! avenc_aac ! m.", src);
  const gchar *two[] = { "process", src, "-o", out2, "-q", "draft", "--fps",
    "10", "--max-duration", "20", "--on-too-long", "trim", "--trim-fade",
    "2", NULL
  };
  const gchar *dflt[] = { "process", src, "-o", out1, "-q", "draft", "--fps",
    "10", "--max-duration", "20", "--on-too-long", "trim", NULL
  };
  GArray *lumas, *times, *audio;
  gdouble l0, r, a0;

  cc_test_launch (desc);
  fail_unless_equals_int (cc_test_cli (two, NULL, NULL), 0);
  fail_unless_equals_int (cc_test_cli (dflt, NULL, NULL), 0);

  /* 2 s: full brightness until 18 s, then a linear ramp to black at 20 s */
  lumas = cc_test_frame_lumas (full2, &times);
  l0 = luma_at (lumas, times, 10.0);
  fail_unless (l0 > 150, "white source shows luma %.1f", l0);
  check_fade (lumas, times, l0, 2.0);
  g_array_unref (lumas);
  g_array_unref (times);
  /* the sound with it: half the amplitude (a quarter of the power) half
   * way through the fade, silence at the end */
  audio = cc_test_audio_s16 (full2);
  a0 = power_between (audio, 10.0, 10.5);
  fail_unless (a0 > 1e5, "no tone in the output (%.0f)", a0);
  r = power_between (audio, 18.95, 19.05) / a0;
  fail_unless (r > 0.15 && r < 0.35, "sound at 19 s %.2f of the power, "
      "expected 0.25", r);
  r = power_between (audio, 19.9, 19.98) / a0;
  fail_unless (r < 0.01, "sound at the end %.3f of the power", r);
  g_array_unref (audio);

  /* default 1 s */
  lumas = cc_test_frame_lumas (full1, &times);
  l0 = luma_at (lumas, times, 10.0);
  check_fade (lumas, times, l0, 1.0);
  g_array_unref (lumas);
  g_array_unref (times);

  g_free (desc);
  g_free (src);
  g_free (out2);
  g_free (out1);
  g_free (full2);
  g_free (full1);
}

GST_END_TEST;

/* craftsman has story's 180-300 s rule and makes the platform cut by
 * default; --platform-cut none makes none and the report lists none. */
GST_START_TEST (test_craftsman_and_no_platform_cut)
{
  gchar *src = make_timed_source (180.0);
  gchar *out_auto = cc_test_path ("auto");
  gchar *out_none = cc_test_path ("none");
  gchar *plat_auto = g_build_filename (out_auto, "platform.mp4", NULL);
  gchar *plat_none = g_build_filename (out_none, "platform.mp4", NULL);
  const gchar *dflt[] = { "process", src, "-o", out_auto, "-q", "draft",
    "--fps", "10", "--category", "craftsman", NULL
  };
  const gchar *none[] = { "process", src, "-o", out_none, "-q", "draft",
    "--fps", "10", "--category", "craftsman", "--platform-cut", "none", NULL
  };
  gchar *out = NULL, *listing;
  JsonParser *parser;
  JsonObject *report, *job, *o;

  fail_unless_equals_int (cc_test_cli (dflt, &out, NULL), 0);
  fail_unless (strstr (out, plat_auto) != NULL, "%s", out);
  g_free (out);
  report = load_report (out_auto, &parser);
  job = object_at (report, "job");
  fail_unless_equals_string (json_object_get_string_member (job, "category"),
      "craftsman");
  fail_unless (json_object_get_double_member (job, "min_duration_s") == 180.0
      && json_object_get_double_member (job, "max_duration_s") == 300.0);
  fail_unless (strstr (json_object_get_string_member (job, "rule"),
          "craftsman") != NULL, "%s", json_object_get_string_member (job,
          "rule"));
  fail_unless (json_object_get_boolean_member (object_at (report,
              "outputs.full"), "rule_met"));
  o = object_at (report, "outputs.platform");
  fail_unless_equals_string (json_object_get_string_member (o, "chosen"),
      "auto");
  fail_unless (json_object_get_double_member (o, "duration_s") >= 44.9 &&
      ffprobe_longest (plat_auto) <= 60.0 + 1e-6);
  g_object_unref (parser);

  fail_unless_equals_int (cc_test_cli (none, &out, NULL), 0);
  fail_unless (strstr (out, "platform") == NULL, "%s", out);
  g_free (out);
  fail_if (g_file_test (plat_none, G_FILE_TEST_EXISTS));
  listing = cc_test_list_dir (out_none);
  fail_unless_equals_string (listing, "full.mp4 report.json");
  g_free (listing);
  report = load_report (out_none, &parser);
  o = object_at (report, "outputs");
  /* every field is present, null when it does not apply (the guide) */
  fail_unless (json_object_has_member (o, "platform") &&
      json_object_get_null_member (o, "platform"), "report has a platform "
      "output, or no platform field");
  fail_unless (json_object_has_member (o, "full"));
  g_object_unref (parser);

  g_free (src);
  g_free (out_auto);
  g_free (out_none);
  g_free (plat_auto);
  g_free (plat_none);
}

GST_END_TEST;

/* --quality high: 1080p with x264's medium preset at CRF 19, read back
 * from the settings x264 wrote into the stream. */
GST_START_TEST (test_quality_high)
{
  gchar *src = make_source ("clip.mp4", 25);
  gchar *outdir = cc_test_path ("out");
  gchar *full = g_build_filename (outdir, "full.mp4", NULL);
  const gchar *args[] = { "process", src, "-o", outdir, "-q", "high", NULL };
  gchar *opts;
  JsonParser *parser;
  JsonObject *report;
  JsonArray *checks;
  gboolean size_checked = FALSE;

  fail_unless_equals_int (cc_test_cli (args, NULL, NULL), 0);
  opts = cc_test_x264_options (full);
  cc_test_assert_x264_option (opts, "crf=19.0");
  /* what preset medium sets (faster, the standard level, has subme=4
   * ref=2 rc_lookahead=20) */
  cc_test_assert_x264_option (opts, "subme=7");
  cc_test_assert_x264_option (opts, "ref=3");
  cc_test_assert_x264_option (opts, "rc_lookahead=40");
  cc_test_assert_x264_option (opts, "bframes=3");
  g_free (opts);

  report = load_report (outdir, &parser);
  fail_unless_equals_string (json_object_get_string_member (object_at
          (report, "job"), "quality"), "high");
  checks = json_object_get_array_member (object_at (report, "outputs.full"),
      "checks");
  for (guint i = 0; i < json_array_get_length (checks); i++) {
    JsonObject *c = json_array_get_object_element (checks, i);
    if (g_str_equal (json_object_get_string_member (c, "check"),
            "frame-size")) {
      fail_unless (g_str_has_prefix (json_object_get_string_member (c,
                  "found"), "1920x1080 "), "%s",
          json_object_get_string_member (c, "found"));
      size_checked = TRUE;
    }
  }
  fail_unless (size_checked, "no frame-size check in the report");
  g_object_unref (parser);
  g_free (src);
  g_free (outdir);
  g_free (full);
}

GST_END_TEST;

typedef struct {
  const gchar *file, *format, *encoding;
  /* UTF-8 text, converted to encoding when written */
  const gchar *text;
} CaptionCase;

#define CAPTION_LINE "大家好我是木工小王"
#define ASS_HEADER "[Script Info]\nScriptType: v4.00+\nPlayResX: 640\n" \
    "PlayResY: 360\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize, " \
    "PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, " \
    "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, " \
    "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, " \
    "Encoding\nStyle: Default,Noto Sans CJK SC,28,&H00FFFFFF,&H000000FF," \
    "&H00000000,&H00000000,-1,0,0,0,100,100,0,0,1,2,0,2,10,10,20,1\n\n" \
    "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, " \
    "MarginV, Effect, Text\n"

/* Every documented caption format and encoding through the CLI: the
 * report names what was detected, and the line is burned in where the
 * picture was empty before the cue. */
GST_START_TEST (test_caption_formats)
{
  static const CaptionCase cases[] = {
    {"talk.vtt", "WebVTT", "UTF-8", "WEBVTT\n\n00:00:01.000 --> "
          "00:00:02.600\n" CAPTION_LINE "\n"},
    {"talk.ass", "ASS", "UTF-8", ASS_HEADER "Dialogue: 0,0:00:01.00,"
          "0:00:02.60,Default,,0,0,0,," CAPTION_LINE "\n"},
    {"utf16.srt", "SRT", "UTF-16LE", "1\r\n00:00:01,000 --> 00:00:02,600\r\n"
          CAPTION_LINE "\r\n"},
    {"big5.srt", "SRT", "Big5", "1\n00:00:01,000 --> 00:00:02,600\n"
          CAPTION_LINE "\n"},
  };
  gchar *src = cc_test_path ("gray.mp4");
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=75 "
      "pattern=solid-color foreground-color=0xff606060 ! video/x-raw,"
      "width=320,height=180,framerate=25/1 ! x264enc ! mp4mux ! filesink "
      "location=%s", src);

  cc_test_launch (desc);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const CaptionCase *c = &cases[i];
    gchar *path = cc_test_path (c->file);
    gchar *outdir = g_strconcat (path, ".out", NULL);
    gchar *full, *bytes, *read, *err = NULL;
    const gchar *args[] = { "process", src, "-o", NULL, "-q", "draft",
      "--captions", path, NULL
    };
    gsize n;
    JsonParser *parser;
    JsonObject *cap;
    guint8 *before, *during;
    gint w, h, code;
    guint changed;

    args[3] = outdir;
    full = g_build_filename (outdir, "full.mp4", NULL);
    if (g_str_equal (c->encoding, "UTF-16LE")) {
      gchar *u16 = g_convert (c->text, -1, "UTF-16LE", "UTF-8", NULL, &n,
          NULL);
      bytes = g_malloc (n + 2);
      memcpy (bytes, "\xff\xfe", 2);
      memcpy (bytes + 2, u16, n);
      n += 2;
      g_free (u16);
    } else if (g_str_equal (c->encoding, "Big5")) {
      bytes = g_convert (c->text, -1, "BIG5", "UTF-8", NULL, &n, NULL);
    } else {
      bytes = g_strdup (c->text);
      n = strlen (bytes);
    }
    fail_unless (bytes != NULL);
    fail_unless (g_file_set_contents (path, bytes, (gssize) n, NULL));

    code = cc_test_cli (args, NULL, &err);
    fail_unless (code == 0, "%s: exit %d: %s", c->file, code, err);
    cap = object_at (load_report (outdir, &parser), "captions");
    fail_unless_equals_string (json_object_get_string_member (cap, "format"),
        c->format);
    fail_unless_equals_string (json_object_get_string_member (cap,
            "encoding"), c->encoding);
    fail_unless_equals_int (json_object_get_int_member (cap, "cues"), 1);
    g_object_unref (parser);

    /* the bottom third changes when the cue starts ... */
    before = cc_test_frame_rgb (full, 0.5, &w, &h);
    during = cc_test_frame_rgb (full, 1.5, &w, &h);
    changed = cc_test_count_changed (before, during, w, 0, h * 2 / 3, w, h,
        60);
    fail_unless (changed > 300, "%s: caption region unchanged (%u px)",
        c->file, changed);
    /* ... and only there */
    changed = cc_test_count_changed (before, during, w, 0, 0, w, h / 2, 60);
    fail_unless (changed < 10, "%s: %u px changed above", c->file, changed);
    /* and it says the line */
    read = cc_test_ocr_white (full, 1.5, h * 2 / 3, h);
    fail_unless (strstr (read, "我是木工") != NULL, "%s: OCR read '%s'",
        c->file, read);

    g_free (read);
    g_free (before);
    g_free (during);
    g_free (err);
    g_free (bytes);
    g_free (full);
    g_free (outdir);
    g_free (path);
  }
  g_free (desc);
  g_free (src);
}

GST_END_TEST;

/* A JPEG emblem works like a PNG one. */
GST_START_TEST (test_logo_jpeg)
{
  gchar *src = cc_test_path ("black.mp4");
  gchar *logo = make_logo ("emblem.jpg", "jpegenc");
  gchar *outdir = cc_test_path ("out");
  gchar *full = g_build_filename (outdir, "full.mp4", NULL);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=25 pattern=black "
      "! video/x-raw,width=320,height=180,framerate=25/1 ! x264enc ! mp4mux "
      "! filesink location=%s", src);
  const gchar *args[] = { "process", src, "-o", outdir, "-q", "draft",
    "--logo", logo, NULL
  };
  gchar *data = NULL;
  gsize len = 0;
  guint8 *rgb;
  gint w, h;
  const guint8 *px;

  fail_unless (g_file_get_contents (logo, &data, &len, NULL));
  fail_unless (len > 3 && memcmp (data, "\xff\xd8\xff", 3) == 0,
      "the emblem is not a JPEG file");
  g_free (data);
  cc_test_launch (desc);
  fail_unless_equals_int (cc_test_cli (args, NULL, NULL), 0);
  rgb = cc_test_frame_rgb (full, 0.5, &w, &h);
  /* top-left, 3 % margin, 8 % high, as for a PNG */
  px = &rgb[(25 * w + 25) * 3];
  fail_unless (px[0] > 150 && px[1] < 80 && px[2] < 80, "no red logo: %d %d "
      "%d", px[0], px[1], px[2]);
  px = &rgb[(300 * w + 600) * 3];
  fail_unless (px[0] < 30 && px[1] < 30 && px[2] < 30);
  g_free (rgb);
  g_free (desc);
  g_free (src);
  g_free (logo);
  g_free (outdir);
  g_free (full);
}

GST_END_TEST;

/* --quiet: the same job that shows progress and a caption warning shows
 * neither, and still delivers; the report keeps the warning. */
GST_START_TEST (test_quiet)
{
  gchar *src = make_source ("clip.mp4", 50);
  gchar *srt = cc_test_path ("overlap.srt");
  gchar *loud = cc_test_path ("loud");
  gchar *quiet = cc_test_path ("quiet");
  gchar *full = g_build_filename (quiet, "full.mp4", NULL);
  const gchar *shown[] = { "process", src, "-o", loud, "-q", "draft",
    "--captions", srt, NULL
  };
  const gchar *hidden[] = { "process", src, "-o", quiet, "-q", "draft",
    "--captions", srt, "--quiet", NULL
  };
  gchar *err = NULL;
  JsonParser *parser;
  JsonObject *report;

  g_file_set_contents (srt, "1\n00:00:00,200 --> 00:00:01,500\n第一句\n\n"
      "2\n00:00:01,000 --> 00:00:01,800\n第二句\n", -1, NULL);
  fail_unless_equals_int (cc_test_cli (shown, NULL, &err), 0);
  fail_unless (strstr (err, "campuscut: progress") && strstr (err,
          "warning"), "%s", err);
  g_free (err);

  fail_unless_equals_int (cc_test_cli (hidden, NULL, &err), 0);
  fail_unless (strstr (err, "progress") == NULL, "progress shown: %s", err);
  fail_unless (strstr (err, "warning") == NULL, "warning shown: %s", err);
  g_free (err);
  fail_unless (g_file_test (full, G_FILE_TEST_IS_REGULAR));
  report = load_report (quiet, &parser);
  fail_unless_equals_string (json_object_get_string_member (object_at
          (report, "result"), "status"), "done");
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (object_at (report, "captions"), "warnings")), 1);
  g_object_unref (parser);
  g_free (src);
  g_free (srt);
  g_free (loud);
  g_free (quiet);
  g_free (full);
}

GST_END_TEST;

/* --threads N reaches both encoders (x264 writes its thread count into
 * the stream); N is one the automatic choice never makes on this machine
 * (1.5 per core alone, one per core or one beside another encoder). */
GST_START_TEST (test_threads)
{
  gchar *src = make_source ("clip.mp4", 50);
  gchar *outdir = cc_test_path ("out");
  gchar *full = g_build_filename (outdir, "full.mp4", NULL);
  gchar *platform = g_build_filename (outdir, "platform.mp4", NULL);
  gchar *n = g_strdup_printf ("%u", 2 * g_get_num_processors () + 1);
  gchar *expect = g_strdup_printf ("threads=%s", n);
  const gchar *args[] = { "process", src, "-o", outdir, "-q", "draft",
    "--platform-cut", "0:00-0:01", "--threads", n, NULL
  };
  gchar *opts;

  fail_unless_equals_int (cc_test_cli (args, NULL, NULL), 0);
  opts = cc_test_x264_options (full);
  cc_test_assert_x264_option (opts, expect);
  g_free (opts);
  opts = cc_test_x264_options (platform);
  cc_test_assert_x264_option (opts, expect);
  g_free (opts);
  g_free (src);
  g_free (outdir);
  g_free (full);
  g_free (platform);
  g_free (n);
  g_free (expect);
}

GST_END_TEST;

static Suite *
cli_suite (void)
{
  Suite *s = suite_create ("cli");
  TCase *tc = tcase_create ("cli");

  tcase_set_timeout (tc, 180);
  tcase_add_checked_fixture (tc, NULL, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_plugin_inspectable);
  tcase_add_test (tc, test_usage_errors);
  tcase_add_test (tc, test_bad_inputs);
  tcase_add_test (tc, test_messages_in_chinese);
  tcase_add_test (tc, test_plugin_missing);
  tcase_add_test (tc, test_process_writes_report);
  tcase_add_test (tc, test_failure_report);
  tcase_add_test (tc, test_duration_overrides);
  tcase_add_test (tc, test_watermark_options);
  tcase_add_test (tc, test_captions_burned_and_read_back);
  tcase_add_test (tc, test_bad_captions_file);
  tcase_add_test (tc, test_loudness_targets);
  tcase_add_test (tc, test_resource_limits);
  tcase_add_test (tc, test_platform_exact_frames);
  tcase_add_test (tc, test_only_platform);
  tcase_add_test (tc, test_platform_list_past_end);
  tcase_add_test (tc, test_trim_transport_stream);
  tcase_add_test (tc, test_platform_auto);
  tcase_add_test (tc, test_platform_list_too_long);
  tcase_add_test (tc, test_story_boundaries);
  tcase_add_test (tc, test_platform_boundaries);
  tcase_add_test (tc, test_platform_portrait);
  tcase_add_test (tc, test_platform_short_segments_loudness);
  tcase_add_test (tc, test_probe_command);
  tcase_add_test (tc, test_trim_fade);
  tcase_add_test (tc, test_craftsman_and_no_platform_cut);
  tcase_add_test (tc, test_quality_high);
  tcase_add_test (tc, test_caption_formats);
  tcase_add_test (tc, test_logo_jpeg);
  tcase_add_test (tc, test_quiet);
  tcase_add_test (tc, test_threads);
  tcase_add_test (tc, test_on_too_long_warn);
  tcase_add_test (tc, test_trim_without_audio);
  tcase_add_test (tc, test_trim_fade_audio_unnormalised);
  tcase_add_test (tc, test_trim_normalises_what_it_keeps);
  tcase_add_test (tc, test_internal_failure_is_exit_1);
  return s;
}

GST_CHECK_MAIN (cli);
