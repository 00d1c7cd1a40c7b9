/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The campuscut CLI as a batch server runs it: exit codes, one clear line
 * per problem, no output left behind on failure, report.json contents and
 * progress output.
 */
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
  const gchar *argv[] = { "tesseract", ppm, "stdout", "-l", "chi_sim",
    "--psm", "6", NULL
  };
  gchar *out = NULL;
  GString *squeezed = g_string_new (NULL);
  gint status;

  g_string_append_printf (img, "P6\n%d %d\n255\n", w, y1 - y0);
  g_string_append_len (img, (gchar *) rgb + (gsize) y0 * w * 3,
      (gssize) w * (y1 - y0) * 3);
  fail_unless (g_file_set_contents (ppm, img->str, (gssize) img->len, NULL));
  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH
          | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, NULL),
      "tesseract missing: scripts/bootstrap.sh --with-tests installs it");
  for (const gchar * p = out; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    if (!g_unichar_isspace (c) && !g_unichar_ispunct (c))
      g_string_append_unichar (squeezed, c);
  }
  g_string_free (img, TRUE);
  g_free (out);
  g_free (rgb);
  g_free (ppm);
  return g_string_free (squeezed, FALSE);
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
  /* two encoders share the cores: the full cut's one frame thread per
   * core, the platform cut's one, neither a look-ahead thread */
  opts = cc_test_x264_options (full);
  threads = g_strdup_printf ("threads=%u", g_get_num_processors ());
  cc_test_assert_x264_option (opts, threads);
  g_free (opts);
  opts = cc_test_x264_options (platform);
  cc_test_assert_x264_option (opts, "threads=1");
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
  tcase_add_test (tc, test_process_writes_report);
  tcase_add_test (tc, test_failure_report);
  tcase_add_test (tc, test_duration_overrides);
  tcase_add_test (tc, test_watermark_options);
  tcase_add_test (tc, test_captions_burned_and_read_back);
  tcase_add_test (tc, test_bad_captions_file);
  tcase_add_test (tc, test_loudness_targets);
  tcase_add_test (tc, test_resource_limits);
  tcase_add_test (tc, test_platform_exact_frames);
  tcase_add_test (tc, test_platform_auto);
  tcase_add_test (tc, test_platform_list_too_long);
  tcase_add_test (tc, test_story_boundaries);
  tcase_add_test (tc, test_platform_boundaries);
  return s;
}

GST_CHECK_MAIN (cli);
