/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The encoder-configuration matrix: one `story` submission per way phones
 * and cameras encode video (open- and closed-GOP HEVC, B-pyramids, intra
 * refresh, interlaced MPEG-2, VP9, AV1, MJPEG, ProRes; portrait ones with
 * the display matrix in tkhd that phones write), each through
 * `campuscut process --category story` with the automatic platform cut,
 * and both outputs judged by ffprobe rather than by campuscut's own probe.
 * Sources are 185 s long (the story rule starts at 180 s) at a tiny size.
 */
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <gst/check/gstcheck.h>

#include "testmedia.h"
#include "cccutlist.h"

#define SOURCE_SECONDS 185

typedef struct
{
  const gchar *name;
  const gchar *file;            /* the source's file name (its container) */
  /* ffmpeg arguments between the lavfi inputs and the output name */
  const gchar *encode;
  const gchar *rotate;          /* display matrix written afterwards, or NULL */
  const gchar *need;            /* a GStreamer decoder the case needs */
  gboolean portrait;            /* displayed upright as portrait */
} MatrixCase;

static const MatrixCase cases[] = {
  {"hevc-open-gop-portrait", "phone.mov",
        "-c:v libx265 -preset ultrafast -tag:v hvc1 -x265-params "
        "log-level=error:keyint=60:open-gop=1:bframes=4 -c:a aac -ac 1",
      "90", "avdec_h265", TRUE},
  {"hevc-closed-gop", "camera.mp4",
        "-c:v libx265 -preset ultrafast -x265-params "
        "log-level=error:keyint=50:open-gop=0 -c:a aac",
      NULL, "avdec_h265", FALSE},
  /* x265's defaults: open GOP, keyint 250 at 30 fps; libav cannot take
   * every CRA picture alone */
  {"hevc-x265-defaults", "phone.mp4",
        "-r 30 -c:v libx265 -preset ultrafast -x265-params log-level=error "
        "-c:a aac", NULL, "avdec_h265", FALSE},
  {"h264-b-pyramid-portrait", "phone.mp4",
        "-c:v libx264 -preset veryfast -x264-params "
        "bframes=3:b-pyramid=normal:keyint=60 -c:a aac",
      "270", "avdec_h264", TRUE},
  {"h264-intra-refresh", "camera.mp4",
        "-c:v libx264 -preset veryfast -x264-params "
        "intra-refresh=1:keyint=50:bframes=0 -c:a aac",
      NULL, "avdec_h264", FALSE},
  {"mpeg2-interlaced", "camera.ts",
        "-vf scale=352:288,tinterlace=mode=interleave_top,setfield=tff "
        "-r 25 -c:v mpeg2video -flags +ildct+ilme -top 1 -b:v 800k "
        "-c:a mp2 -ar 48000 -ac 2", NULL, "avdec_mpeg2video", FALSE},
  {"vp9-webm", "screen.webm",
        "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 200k "
        "-c:a libopus", NULL, "vp9dec", FALSE},
  {"av1-mkv", "screen.mkv",
        "-c:v libsvtav1 -preset 12 -g 50 -c:a libopus", NULL, "av1dec",
      FALSE},
  {"mjpeg-avi", "camera.avi",
        "-vf format=yuvj422p -c:v mjpeg -q:v 8 -c:a pcm_s16le", NULL,
      "jpegdec", FALSE},
  {"prores-mov", "edit.mov",
        "-vf format=yuv422p10le -c:v prores_ks -profile:v 0 "
        "-c:a pcm_s24le", NULL, "avdec_prores", FALSE},
};

static void
run_ffmpeg (const gchar * args)
{
  gchar *cmd = g_strconcat ("ffmpeg -nostdin -v error -y ", args, NULL);
  gchar **argv = NULL;
  GError *err = NULL;

  fail_unless (g_shell_parse_argv (cmd, NULL, &argv, &err), "%s",
      err ? err->message : "?");
  cc_test_run_tool ((const gchar * const *) argv);
  g_strfreev (argv);
  g_free (cmd);
}

/* A moving picture and a tone with pauses, so that the automatic choice
 * has audio and picture signals to go by. */
static gchar *
make_source (const MatrixCase * c)
{
  gchar *path = cc_test_path (c->file);
  gchar *plain = c->rotate ? g_strconcat (path, ".plain",
      strrchr (c->file, '.'), NULL) : g_strdup (path);
  gchar *args;

  args = g_strdup_printf ("-f lavfi -i testsrc2=size=192x108:rate=25 "
      "-f lavfi -i sine=f=330:r=44100:b=2,volume='if(lt(mod(t\\,7)\\,5)\\,"
      "1\\,0.001)':eval=frame -t %d -pix_fmt yuv420p %s '%s'",
      SOURCE_SECONDS, c->encode, plain);
  run_ffmpeg (args);
  g_free (args);
  if (c->rotate) {
    /* the way phones write it: the pixels as the sensor saw them, and a
     * display matrix in the track header */
    args = g_strdup_printf ("-i '%s' -c copy -metadata:s:v:0 rotate=%s '%s'",
        plain, c->rotate, path);
    run_ffmpeg (args);
    g_free (args);
    g_unlink (plain);
  }
  g_free (plain);
  return path;
}

static JsonObject *
ffprobe (const gchar * path, JsonParser ** parser)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-show_streams",
    "-show_format", "-show_entries", "stream_side_data", "-of", "json", path,
    NULL
  };
  gchar *out = NULL, *err_out = NULL;
  gint status = 0;
  GError *err = NULL;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, &err_out, &status, &err), "ffprobe: %s",
      err ? err->message : "?");
  fail_unless (g_spawn_check_wait_status (status, NULL), "ffprobe %s: %s",
      path, err_out);
  *parser = json_parser_new ();
  fail_unless (json_parser_load_from_data (*parser, out, -1, NULL));
  g_free (out);
  g_free (err_out);
  return json_node_get_object (json_parser_get_root (*parser));
}

static JsonObject *
stream_of_type (JsonObject * probe, const gchar * type)
{
  JsonArray *streams = json_object_get_array_member (probe, "streams");
  JsonObject *found = NULL;
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (streams); i++) {
    JsonObject *s = json_array_get_object_element (streams, i);
    if (g_strcmp0 (json_object_get_string_member (s, "codec_type"), type) ==
        0) {
      found = s;
      n++;
    }
  }
  fail_unless_equals_int (n, 1);
  return found;
}

static const gchar *
str_member (JsonObject * o, const gchar * name)
{
  fail_unless (json_object_has_member (o, name), "ffprobe gave no %s", name);
  return json_object_get_string_member (o, name);
}

static void
assert_str (JsonObject * o, const gchar * name, const gchar * expected,
    const gchar * what)
{
  const gchar *v = str_member (o, name);
  fail_unless (g_strcmp0 (v, expected) == 0, "%s: %s is %s, expected %s",
      what, name, v, expected);
}

/* Top-level boxes in order: the moov must come before the mdat so that a
 * browser plays the file before it has all of it. */
static void
assert_moov_first (const gchar * path)
{
  gchar *data = NULL;
  gsize len = 0, off = 0;
  gint moov = -1, mdat = -1, i = 0;

  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  while (off + 8 <= len) {
    guint64 size = GST_READ_UINT32_BE (data + off);
    const gchar *type = data + off + 4;

    if (size == 1 && off + 16 <= len)
      size = GST_READ_UINT64_BE (data + off + 8);
    if (memcmp (type, "moov", 4) == 0)
      moov = i;
    if (memcmp (type, "mdat", 4) == 0)
      mdat = i;
    fail_unless (size >= 8, "%s: broken box at %" G_GSIZE_FORMAT, path, off);
    off += size;
    i++;
  }
  fail_unless_equals_int ((gint) off, (gint) len);
  fail_unless (moov >= 0 && mdat >= 0 && moov < mdat,
      "%s: moov (box %d) is not before mdat (box %d)", path, moov, mdat);
  g_free (data);
}

/* Every point of the delivery format, read by ffprobe. */
static gdouble
assert_delivery (const gchar * path, gint width, gint height)
{
  JsonParser *parser;
  JsonObject *probe = ffprobe (path, &parser);
  JsonObject *v = stream_of_type (probe, "video");
  JsonObject *a = stream_of_type (probe, "audio");
  JsonObject *fmt = json_object_get_object_member (probe, "format");
  gdouble vdur, adur;
  gint64 level;

  assert_str (v, "codec_name", "h264", path);
  assert_str (v, "profile", "High", path);
  assert_str (v, "pix_fmt", "yuv420p", path);
  assert_str (v, "color_primaries", "bt709", path);
  assert_str (v, "color_transfer", "bt709", path);
  assert_str (v, "color_space", "bt709", path);
  assert_str (v, "field_order", "progressive", path);
  assert_str (v, "r_frame_rate", "25/1", path);
  assert_str (v, "avg_frame_rate", "25/1", path);
  assert_str (v, "sample_aspect_ratio", "1:1", path);
  fail_unless_equals_int (json_object_get_int_member (v, "width"), width);
  fail_unless_equals_int (json_object_get_int_member (v, "height"), height);
  /* 640x360 at 25 fps needs level 3.0 (920 macroblocks a frame, 23,000 a
   * second); nothing in a draft needs more than 4.0 */
  level = json_object_get_int_member (v, "level");
  fail_unless (level >= 30 && level <= 40, "%s: level %" G_GINT64_FORMAT,
      path, level);
  /* constant rate: as many frames as the duration holds */
  vdur = g_ascii_strtod (str_member (v, "duration"), NULL);
  fail_unless (ABS (g_ascii_strtod (str_member (v, "nb_frames"), NULL) -
          vdur * 25) < 1.01, "%s: %s frames in %.3f s", path,
      str_member (v, "nb_frames"), vdur);

  assert_str (a, "codec_name", "aac", path);
  assert_str (a, "profile", "LC", path);
  assert_str (a, "sample_rate", "48000", path);
  fail_unless_equals_int (json_object_get_int_member (a, "channels"), 2);
  adur = g_ascii_strtod (str_member (a, "duration"), NULL);
  fail_unless (ABS (adur - vdur) < 0.05, "%s: audio %.3f s, video %.3f s",
      path, adur, vdur);

  fail_unless (strstr (str_member (fmt, "format_name"), "mp4") != NULL);
  assert_moov_first (path);
  g_object_unref (parser);
  return vdur;
}

/* A small RGB picture of the frame shown at t, as ffmpeg shows it: it
 * applies the source's display matrix and colour matrix itself (comparing
 * luma alone would count BT.601 against BT.709 as a difference). */
static guint8 *
rgb_frame (const gchar * path, gdouble t, gint w, gint h)
{
  gchar *ss = g_strdup_printf ("%.3f", t);
  gchar *vf = g_strdup_printf ("scale=%d:%d:flags=area,format=rgb24", w, h);
  gchar *raw = cc_test_path ("frame.rgb");
  const gchar *argv[] = { "ffmpeg", "-nostdin", "-v", "error", "-y", "-ss",
    ss, "-i", path, "-frames:v", "1", "-vf", vf, "-f", "rawvideo", raw, NULL
  };
  gchar *data = NULL;
  gsize len = 0;

  cc_test_run_tool (argv);
  fail_unless (g_file_get_contents (raw, &data, &len, NULL));
  fail_unless_equals_int ((gint) len, w * h * 3);
  g_unlink (raw);
  g_free (raw);
  g_free (ss);
  g_free (vf);
  return (guint8 *) data;
}

/* Mean absolute difference per channel; flip compares with b turned by
 * 180 degrees. */
static gdouble
mean_diff (const guint8 * a, const guint8 * b, gint n, gboolean flip)
{
  guint64 sum = 0;

  for (gint i = 0; i < n; i++)
    for (gint ch = 0; ch < 3; ch++)
      sum += ABS (a[i * 3 + ch] - b[(flip ? n - 1 - i : i) * 3 + ch]);
  return sum / (gdouble) (n * 3);
}

/* The output shows the picture the way ffmpeg displays the source: the
 * same side up (a turn the wrong way round, or none, differs far more).
 * The frame at t_out of the output is the source's frame at t_src. Draft
 * encoding and scaling leave a difference of 5 to 40 per channel on
 * this busy test picture; the picture turned over differs by 100 and more. */
static void
assert_same_picture (const gchar * source, gdouble t_src,
    const gchar * output, gdouble t_out, gint w, gint h)
{
  guint8 *a = rgb_frame (source, t_src, w, h);
  guint8 *b = rgb_frame (output, t_out, w, h);
  gdouble same = mean_diff (a, b, w * h, FALSE);
  gdouble turned = mean_diff (a, b, w * h, TRUE);

  fail_unless (same < 45.0 && turned > 3 * same,
      "%s does not show %s upright: difference %.1f, turned %.1f", output,
      source, same, turned);
  g_free (a);
  g_free (b);
}

static JsonObject *
load_report (const gchar * dir, JsonParser ** parser)
{
  gchar *path = g_build_filename (dir, "report.json", NULL);

  *parser = json_parser_new ();
  fail_unless (json_parser_load_from_file (*parser, path, NULL), "%s", path);
  g_free (path);
  return json_node_get_object (json_parser_get_root (*parser));
}

static gboolean
have_decoder (const gchar * name)
{
  GstElementFactory *f = gst_element_factory_find (name);

  if (f)
    gst_object_unref (f);
  return f != NULL;
}

GST_START_TEST (test_encoder_configuration)
{
  const MatrixCase *c = &cases[__i__];
  gchar *src, *out = cc_test_path ("out"), *full, *platform, *so, *se;
  const gchar *args[] = { "process", NULL, "-o", out, "--category", "story",
    "--quality", "draft", "--quiet", NULL
  };
  JsonParser *parser;
  JsonObject *report, *plat, *sig;
  gdouble full_s, plat_s;
  gint code;

  /* CAMPUSCUT_MATRIX_CASE=name runs one case (with
   * CAMPUSCUT_KEEP_TEST_FILES=1 to look at its files) */
  if (g_getenv ("CAMPUSCUT_MATRIX_CASE") &&
      g_strcmp0 (g_getenv ("CAMPUSCUT_MATRIX_CASE"), c->name) != 0)
    return;
  /* CAMPUSCUT_MATRIX_PART=k/n runs every n-th case from k: meson runs the
   * parts side by side, one a core */
  if (g_getenv ("CAMPUSCUT_MATRIX_PART")) {
    guint k = 0, n = 1;

    fail_unless (sscanf (g_getenv ("CAMPUSCUT_MATRIX_PART"), "%u/%u", &k,
            &n) == 2 && n > 0 && k < n);
    if (__i__ % n != k)
      return;
  }
  if (!have_decoder (c->need)) {
    GST_WARNING ("%s: %s missing, case skipped", c->name, c->need);
    return;
  }
  src = make_source (c);
  args[1] = src;
  code = cc_test_cli (args, &so, &se);
  fail_unless (code == 0, "%s: exit %d: %s", c->name, code, se);

  full = g_build_filename (out, "full.mp4", NULL);
  platform = g_build_filename (out, "platform.mp4", NULL);
  full_s = assert_delivery (full, c->portrait ? 360 : 640,
      c->portrait ? 640 : 360);
  fail_unless (ABS (full_s - SOURCE_SECONDS) < 0.1, "%s: full cut %.3f s",
      c->name, full_s);
  plat_s = assert_delivery (platform, 360, 640);
  fail_unless (plat_s >= 44.9 && plat_s <= 60.0, "%s: platform cut %.3f s",
      c->name, plat_s);
  /* what the automatic choice went by, as the report tells it */
  report = load_report (out, &parser);
  plat = json_object_get_object_member (json_object_get_object_member
      (report, "outputs"), "platform");
  /* right side up, and for phones portrait on screen: the full cut at the
   * same time as the source, the platform cut one second into its first
   * segment */
  {
    GArray *spans = cc_cutlist_parse (json_object_get_string_member (plat,
            "segments"), NULL);
    gdouble s0;

    fail_unless (spans != NULL && spans->len > 0);
    s0 = g_array_index (spans, CcSpan, 0).start / (gdouble) GST_SECOND;
    g_array_unref (spans);
    assert_same_picture (src, 12.0, full, 12.0, c->portrait ? 18 : 32,
        c->portrait ? 32 : 18);
    if (c->portrait)
      assert_same_picture (src, s0 + 1.0, platform, 1.0, 18, 32);
  }

  sig = json_object_get_object_member (plat, "signals");
  fail_unless (sig != NULL, "%s: the report names no signals", c->name);
  fail_unless (json_object_get_boolean_member
      (json_object_get_object_member (sig, "audio"), "used"));
  {
    JsonObject *video = json_object_get_object_member (sig, "video");

    /* either the keyframes were seen, or the report says why not */
    fail_unless (json_object_get_boolean_member (video, "used") ||
        json_object_has_member (video, "missing"), "%s", c->name);
    if (json_object_get_boolean_member (video, "used"))
      fail_unless (json_object_get_int_member (json_object_get_object_member
              (plat, "video_signals"), "keyframes") > 0);
  }
  g_object_unref (parser);

  g_free (src);
  g_free (so);
  g_free (se);
  g_free (out);
  g_free (full);
  g_free (platform);
  cc_test_cleanup ();
}

GST_END_TEST;

/* Every frame marked as a keyframe (a muxer that trusts its encoder too
 * much): the analysis pass then hands the decoder P-frames without their
 * references, which no decoder can show. The job must still succeed, with
 * the video signal reported missing and the choice made from the rest. */
static GstPadProbeReturn
mark_all_keyframes (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));

  GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_keyframes_not_decodable)
{
  gchar *src = cc_test_path ("liar.mkv"), *out = cc_test_path ("out");
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=750 "
      "pattern=ball ! video/x-raw,width=192,height=108,framerate=25/1 ! "
      "x264enc key-int-max=100000 bframes=0 ! h264parse name=p ! "
      "matroskamux name=m ! filesink location=%s audiotestsrc "
      "num-buffers=1500 samplesperbuffer=960 ! "
      "audio/x-raw,rate=48000,channels=2 ! vorbisenc ! m.", src);
  const gchar *args[] = { "process", src, "-o", out, "--category",
    "overview", "--platform-cut", "auto", "--quality", "draft", "--quiet",
    NULL
  };
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstElement *parse;
  GstPad *pad;
  JsonParser *parser;
  JsonObject *report, *plat, *video;
  gchar *so, *se, *platform;
  gint code;

  fail_unless (pipeline != NULL, "%s", err ? err->message : "?");
  parse = gst_bin_get_by_name (GST_BIN (pipeline), "p");
  pad = gst_element_get_static_pad (parse, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, mark_all_keyframes,
      NULL, NULL);
  gst_object_unref (pad);
  gst_object_unref (parse);
  cc_test_run (pipeline);
  gst_object_unref (pipeline);

  code = cc_test_cli (args, &so, &se);
  fail_unless (code == 0, "exit %d: %s", code, se);
  platform = g_build_filename (out, "platform.mp4", NULL);
  assert_delivery (platform, 360, 640);
  report = load_report (out, &parser);
  plat = json_object_get_object_member (json_object_get_object_member
      (report, "outputs"), "platform");
  video = json_object_get_object_member (json_object_get_object_member (plat,
          "signals"), "video");
  fail_if (json_object_get_boolean_member (video, "used"));
  fail_unless (strstr (json_object_get_string_member (video, "missing"),
          "keyframes") != NULL, "%s", json_object_get_string_member (video,
          "missing"));
  fail_unless (json_object_get_boolean_member (json_object_get_object_member
          (json_object_get_object_member (plat, "signals"), "audio"),
          "used"));
  fail_if (json_object_has_member (plat, "video_signals"));
  g_object_unref (parser);

  g_free (platform);
  g_free (so);
  g_free (se);
  g_free (desc);
  g_free (src);
  g_free (out);
  cc_test_cleanup ();
}

GST_END_TEST;

static Suite *
matrix_suite (void)
{
  Suite *s = suite_create ("matrix");
  TCase *tc = tcase_create ("matrix");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 600);
  tcase_add_loop_test (tc, test_encoder_configuration, 0,
      G_N_ELEMENTS (cases));
  tcase_add_test (tc, test_keyframes_not_decodable);
  return s;
}

GST_CHECK_MAIN (matrix);
