/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * submissionbin on the awkward inputs schools send. Every input is made here
 * at a small size; every output is read back (probe, box walk, decoded
 * pixels and samples) and checked against the campaign's delivery format.
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gst/base/gstbasetransform.h>

#include "testmedia.h"
#include "ccpolicy.h"
#include "ccprobe.h"
#include "ccchecks.h"
#include "ccmp4.h"
#include "ccdepth.h"

static void
teardown (void)
{
  cc_test_cleanup ();
}

/* Transcodes at draft quality and asserts every conformance check. */
static gchar *
normalise_and_check (const gchar * input, guint expect_w, guint expect_h,
    CcProbe * out_probe)
{
  gchar *out = cc_test_path ("full.mp4");
  gchar *err = cc_test_transcode (input, out, "draft", NULL, 0, NULL, NULL);
  CcProbe src = { 0 }, o = { 0 };
  CcExpect e = { 0 };
  GError *error = NULL;
  GPtrArray *checks;
  GString *failed = g_string_new (NULL);

  fail_unless (err == NULL, "normalising %s failed: %s", input, err);
  fail_unless (cc_probe_file (input, 30, &src, &error), "%s",
      error ? error->message : "");
  e.width = expect_w;
  e.height = expect_h;
  e.fps_n = 25;
  e.fps_d = 1;
  e.duration = src.duration;
  e.tolerance = cc_duration_tolerance (&src, 25, 1);
  checks = cc_check_output (out, &e, &o, &error);
  fail_unless (checks != NULL, "%s", error ? error->message : "");
  for (guint i = 0; i < checks->len; i++) {
    CcCheck *c = g_ptr_array_index (checks, i);
    if (!c->pass)
      g_string_append_printf (failed, "\n  %s: %s", c->name, c->detail);
  }
  fail_unless (failed->len == 0, "%s: failed checks:%s", input, failed->str);
  g_string_free (failed, TRUE);
  g_ptr_array_unref (checks);
  cc_probe_clear (&src);
  if (out_probe)
    *out_probe = o;
  else
    cc_probe_clear (&o);
  return out;
}

static gchar *
ffmpeg_make (const gchar * name, const gchar * const *args)
{
  gchar *path = cc_test_path (name);
  GPtrArray *argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer) "ffmpeg");
  g_ptr_array_add (argv, (gpointer) "-v");
  g_ptr_array_add (argv, (gpointer) "error");
  g_ptr_array_add (argv, (gpointer) "-y");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, path);
  g_ptr_array_add (argv, NULL);
  cc_test_run_tool ((const gchar * const *) argv->pdata);
  g_ptr_array_free (argv, TRUE);
  return path;
}

/* The description ends in "location=" or has %s where the path goes. */
G_GNUC_FORMAT (2)
static gchar *
launch_make (const gchar * name, const gchar * fmt)
{
  gchar *path = cc_test_path (name);
  gchar *desc;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  desc = g_strdup_printf (fmt, path);
#pragma GCC diagnostic pop

  cc_test_launch (desc);
  g_free (desc);
  return path;
}

#define RGB_AT(buf, w, x, y) (&(buf)[((gsize) (y) * (w) + (x)) * 3])

static gboolean
is_color (const guint8 * px, guint8 r, guint8 g, guint8 b)
{
  return ABS (px[0] - r) < 40 && ABS (px[1] - g) < 40 && ABS (px[2] - b) < 40;
}

/* A phone video: landscape pixels with a rotation in the container. The
 * picture is asymmetric (red left, blue right, green top-left corner), so
 * rotating the wrong way, twice, or not at all each put colours elsewhere. */
GST_START_TEST (test_rotation_baked_in)
{
  gchar *plain = launch_make ("plain.mp4",
      "compositor name=c background=black sink_1::xpos=160 "
      "sink_2::xpos=0 sink_2::ypos=0 ! video/x-raw,width=320,height=180,"
      "format=I420 ! x264enc ! mp4mux ! filesink location=%s "
      "videotestsrc num-buffers=25 pattern=solid-color "
      "foreground-color=0xffff0000 ! video/x-raw,width=160,height=180 ! c. "
      "videotestsrc num-buffers=25 pattern=solid-color "
      "foreground-color=0xff0000ff ! video/x-raw,width=160,height=180 ! c. "
      "videotestsrc num-buffers=25 pattern=solid-color "
      "foreground-color=0xff00ff00 ! video/x-raw,width=80,height=45 ! c.");
  const gchar *args[] = { "-i", plain, "-c", "copy", "-metadata:s:v:0",
    "rotate=90", NULL
  };
  gchar *rotated = ffmpeg_make ("rotated.mp4", args);
  CcProbe src = { 0 }, o = { 0 };
  GError *err = NULL;
  gchar *out;
  guint8 *rgb;
  gint w, h;

  fail_unless (cc_probe_file (rotated, 30, &src, &err));
  /* The container asks for a quarter turn counter-clockwise. */
  fail_unless_equals_int (src.rotation, 270);
  fail_unless_equals_int (src.display_width, 180);
  fail_unless_equals_int (src.display_height, 320);

  out = normalise_and_check (rotated, 360, 640, &o);
  fail_unless_equals_int (o.rotation, 0);

  rgb = cc_test_frame_rgb (out, 0.5, &w, &h);
  fail_unless_equals_int (w, 360);
  fail_unless_equals_int (h, 640);
  /* Counter-clockwise: right half (blue) goes up, left (red) down, the
   * top-left corner (green) to the bottom-left. */
  fail_unless (is_color (RGB_AT (rgb, w, 180, 100), 0, 0, 255), "top not blue");
  fail_unless (is_color (RGB_AT (rgb, w, 300, 400), 255, 0, 0),
      "bottom right not red");
  fail_unless (is_color (RGB_AT (rgb, w, 30, 600), 0, 255, 0),
      "bottom-left corner not green");
  fail_unless (!is_color (RGB_AT (rgb, w, 330, 30), 0, 255, 0),
      "green in the top-right corner: rotated the wrong way");

  g_free (rgb);
  cc_probe_clear (&src);
  cc_probe_clear (&o);
  g_free (plain);
  g_free (rotated);
  g_free (out);
}

GST_END_TEST;

/* Variable frame rate from a phone: 30 fps, then 15 fps. A white flash and
 * the start of a tone sit at the same instant (2.0 s); after conversion to
 * constant 25 fps they must still coincide. */
GST_START_TEST (test_vfr_stays_in_sync)
{
  const gchar *args[] = {
    "-f", "lavfi", "-i", "color=black:size=320x240:rate=30",
    "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100",
    "-t", "4", "-filter_complex",
    "[0:v]setpts='if(lt(N,30),N/30,1+(N-30)/15)/TB',"
        "drawbox=w=320:h=240:color=white:t=fill:enable='between(t,2,2.06)'[v];"
        "[1:a]volume=enable='lt(t,2)':volume=0[a]",
    "-map", "[v]", "-map", "[a]", "-fps_mode", "vfr", "-c:v", "libx264",
    "-c:a", "aac", NULL
  };
  gchar *src = ffmpeg_make ("vfr.mp4", args);
  CcProbe probe = { 0 };
  GError *err = NULL;
  gchar *out;
  GArray *lumas, *times, *pcm;
  gdouble flash = -1, onset = -1;

  fail_unless (cc_probe_file (src, 30, &probe, &err));
  fail_unless (probe.variable_fps, "the probe missed the variable rate");
  cc_probe_clear (&probe);

  out = normalise_and_check (src, 640, 360, NULL);

  lumas = cc_test_frame_lumas (out, &times);
  for (guint i = 0; i < lumas->len && flash < 0; i++)
    if (g_array_index (lumas, gdouble, i) > 128)
      flash = g_array_index (times, gdouble, i);
  pcm = cc_test_audio_s16 (out);
  for (guint i = 0; i < pcm->len && onset < 0; i++)
    if (ABS (g_array_index (pcm, gint16, i)) > 3000)
      onset = (i / 2) / 48000.0;

  fail_unless (flash >= 0 && onset >= 0, "flash %f, tone %f", flash, onset);
  fail_unless (ABS (flash - 2.0) <= 0.041, "flash at %.3f s", flash);
  fail_unless (ABS (onset - 2.0) <= 0.025, "tone at %.3f s", onset);
  fail_unless (ABS (flash - onset) <= 0.041, "A/V offset %.3f s",
      flash - onset);

  g_array_unref (lumas);
  g_array_unref (times);
  g_array_unref (pcm);
  g_free (src);
  g_free (out);
}

GST_END_TEST;

/* Interlaced anamorphic PAL MPEG-2 in a program stream (a DVD camcorder). */
GST_START_TEST (test_interlaced_pal_mpeg2_ps)
{
  const gchar *args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=720x576:rate=25",
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "2",
    "-vf", "setsar=64/45", "-flags", "+ilme+ildct", "-top", "1",
    "-c:v", "mpeg2video", "-b:v", "4M", "-c:a", "mp2", "-f", "vob", NULL
  };
  gchar *src = ffmpeg_make ("camcorder.mpg", args);
  CcProbe probe = { 0 };
  GError *err = NULL;
  gchar *out;

  fail_unless (cc_probe_file (src, 30, &probe, &err));
  fail_unless (probe.interlaced, "the probe missed the interlacing");
  /* 720 * 64/45 = 1024 wide: landscape */
  fail_unless_equals_int (probe.display_width, 1024);
  cc_probe_clear (&probe);

  out = normalise_and_check (src, 640, 360, NULL);
  g_free (src);
  g_free (out);
}

GST_END_TEST;

/* Odd size in 4:4:4 (what x264enc makes from RGB by default), with mono
 * 22.05 kHz audio. */
GST_START_TEST (test_odd_size_444_mono)
{
  gchar *src = launch_make ("odd444.mp4",
      "videotestsrc num-buffers=50 pattern=smpte ! "
      "video/x-raw,width=321,height=241,format=Y444,framerate=25/1 ! "
      "x264enc ! h264parse ! mp4mux name=m ! filesink location=%s "
      "audiotestsrc num-buffers=43 samplesperbuffer=1024 ! "
      "audio/x-raw,rate=22050,channels=1 ! avenc_aac ! m.");
  CcProbe probe = { 0 }, o = { 0 };
  GError *err = NULL;
  gchar *out;

  fail_unless (cc_probe_file (src, 30, &probe, &err));
  fail_unless_equals_string (probe.chroma_format, "4:4:4");
  fail_unless_equals_int (probe.channels, 1);
  fail_unless_equals_int (probe.rate, 22050);
  cc_probe_clear (&probe);

  out = normalise_and_check (src, 640, 360, &o);
  cc_probe_clear (&o);
  g_free (src);
  g_free (out);
}

GST_END_TEST;

/* 10-bit with HDR (PQ) tags and 5.1 AC-3 in Matroska. */
GST_START_TEST (test_10bit_hdr_surround)
{
  gchar *src = launch_make ("hdr.mkv",
      "videotestsrc num-buffers=50 pattern=smpte ! "
      "video/x-raw,width=320,height=180,format=I420_10LE,"
      "colorimetry=bt2100-pq,framerate=25/1 ! x264enc ! h264parse ! "
      "matroskamux name=m ! filesink location=%s "
      "audiotestsrc num-buffers=47 samplesperbuffer=1024 ! "
      "audio/x-raw,channels=6,rate=48000 ! avenc_ac3 ! m.");
  CcProbe probe = { 0 };
  GError *err = NULL;
  gchar *out;

  fail_unless (cc_probe_file (src, 30, &probe, &err));
  fail_unless_equals_int (probe.bit_depth, 10);
  fail_unless (probe.hdr, "HDR transfer not detected (%s)",
      probe.colorimetry);
  fail_unless_equals_int (probe.channels, 6);
  cc_probe_clear (&probe);

  /* The checks include 8-bit 4:2:0 and BT.709 tags without HDR. */
  out = normalise_and_check (src, 640, 360, NULL);
  g_free (src);
  g_free (out);
}

GST_END_TEST;

/* Depth reduction: over each 4x4 block of a flat area the 8-bit values
 * average to the deep value exactly (the dither's levels are equally
 * often in it), at 10 and at 12 bits; out-of-range words clamp. */
GST_START_TEST (test_depth_reduce_dither)
{
  const guint depths[] = { 10, 12 };

  for (guint k = 0; k < G_N_ELEMENTS (depths); k++) {
    guint depth = depths[k], shift = depth - 8;

    for (guint v = 0; v < (1u << depth) - (1u << shift); v++) {
      guint16 row[4];
      guint8 out[4];
      guint sum = 0;

      for (guint i = 0; i < 4; i++)
        row[i] = GUINT16_TO_LE (v);
      for (guint y = 0; y < 4; y++) {
        cc_depth_reduce_row (row, out, 4, depth, y);
        for (guint i = 0; i < 4; i++) {
          fail_unless (out[i] == v >> shift || out[i] == (v >> shift) + 1,
              "%u-bit %u became %u", depth, v, out[i]);
          sum += out[i];
        }
      }
      /* 16 values, each worth 2^shift */
      fail_unless_equals_int (sum << shift, v * 16);
    }
  }
  {
    guint16 row[5] = { GUINT16_TO_LE (1023), GUINT16_TO_LE (0xffff),
      GUINT16_TO_LE (0x0400), 0, GUINT16_TO_LE (3)
    };
    guint8 out[5];

    cc_depth_reduce_row (row, out, 5, 10, 3);
    fail_unless (out[0] == 255 && out[1] == 255 && out[2] == 255 &&
        out[3] == 0 && out[4] == 1, "%u %u %u %u %u", out[0], out[1],
        out[2], out[3], out[4]);
  }
}

GST_END_TEST;

typedef struct
{
  GstElement *depth;
  guint frames;
  gchar *format;
  gboolean passthrough;         /* at the first frame */
} DepthSeen;

static GstPadProbeReturn
depth_src_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  DepthSeen *seen = data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    if (seen->frames++ == 0)
      seen->passthrough = gst_base_transform_is_passthrough
          (GST_BASE_TRANSFORM (seen->depth));
  } else if (GST_EVENT_TYPE (info->data) == GST_EVENT_CAPS) {
    GstCaps *caps;

    gst_event_parse_caps (info->data, &caps);
    g_free (seen->format);
    seen->format = g_strdup (gst_structure_get_string
        (gst_caps_get_structure (caps, 0), "format"));
  }
  return GST_PAD_PROBE_OK;
}

static void
depth_added (GstBin * pipeline, GstBin * sub, GstElement * element,
    DepthSeen * seen)
{
  GstPad *pad;

  if (g_strcmp0 (GST_OBJECT_NAME (element), "depth") != 0)
    return;
  seen->depth = gst_object_ref (element);
  pad = gst_element_get_static_pad (element, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, depth_src_probe, seen, NULL);
  gst_object_unref (pad);
}

/* Runs the bin on @src at draft quality with a platform cut; what left its
 * depth converter goes into @seen. */
static void
run_watching_depth (const gchar * src, DepthSeen * seen)
{
  gchar *full = cc_test_path ("depth-full.mp4");
  gchar *platform = cc_test_path ("depth-platform.mp4");
  gchar *uri = gst_filename_to_uri (src, NULL);
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *bin = gst_element_factory_make ("submissionbin", NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  g_object_set (bin, "uri", uri, "full-location", full, "platform-location",
      platform, NULL);
  gst_util_set_object_arg (G_OBJECT (bin), "quality", "draft");
  gst_util_set_object_arg (G_OBJECT (bin), "platform-segments",
      "0:00.4-0:01.2");
  g_signal_connect (pipeline, "deep-element-added", G_CALLBACK (depth_added),
      seen);
  gst_bin_add (GST_BIN (pipeline), bin);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "the bin did not finish");
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (g_file_test (platform, G_FILE_TEST_EXISTS));
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (uri);
  g_free (full);
  g_free (platform);
}

/* A 10-bit 4:2:2 source (as cameras record) at least as large as the cut
 * is reduced to 8-bit 4:2:2 once, before the split, for the frames kept
 * only (of 50 at 50 fps, the output's 25 fps keep 25 or 26). A smaller
 * one, scaled up, and an 8-bit one are left to the converter. */
GST_START_TEST (test_depth_reduced_once)
{
  gchar *deep = launch_make ("deep.mkv",
      "videotestsrc num-buffers=50 pattern=ball ! "
      "video/x-raw,width=640,height=360,format=I422_10LE,"
      "framerate=50/1 ! x264enc speed-preset=ultrafast ! matroskamux ! "
      "filesink location=%s");
  gchar *small = launch_make ("small-deep.mp4",
      "videotestsrc num-buffers=25 ! video/x-raw,width=320,height=180,"
      "format=I420_10LE,framerate=25/1 ! x264enc ! mp4mux ! "
      "filesink location=%s");
  gchar *eight = launch_make ("eight.mp4",
      "videotestsrc num-buffers=25 ! video/x-raw,width=640,height=360,"
      "format=I420,framerate=25/1 ! x264enc ! mp4mux ! filesink location=%s");
  DepthSeen seen = { 0 };

  run_watching_depth (deep, &seen);
  fail_unless (seen.depth != NULL, "no depth converter for a 10-bit source");
  fail_unless_equals_string (seen.format, "Y42B");
  fail_if (seen.passthrough);
  /* the rate change's count (it may close with one more), not the 50 */
  fail_unless (seen.frames >= 25 && seen.frames <= 26, "%u frames reduced",
      seen.frames);
  gst_object_unref (seen.depth);
  g_free (seen.format);

  memset (&seen, 0, sizeof seen);
  run_watching_depth (small, &seen);
  fail_unless (seen.depth == NULL, "a source smaller than the cut reduced");
  run_watching_depth (eight, &seen);
  fail_unless (seen.depth == NULL, "an 8-bit source reduced");
  g_free (deep);
  g_free (small);
  g_free (eight);
}

GST_END_TEST;

/* No audio at all: the output gets a silent track as long as the video. */
GST_START_TEST (test_no_audio_gets_silence)
{
  gchar *src = launch_make ("mute.mp4",
      "videotestsrc num-buffers=75 ! video/x-raw,width=320,height=240,"
      "framerate=25/1 ! x264enc ! mp4mux ! filesink location=%s");
  CcProbe o = { 0 };
  gchar *out = normalise_and_check (src, 640, 360, &o);
  GArray *pcm = cc_test_audio_s16 (out);
  gint peak = 0;
  gdouble seconds = pcm->len / 2 / 48000.0;

  for (guint i = 0; i < pcm->len; i++)
    peak = MAX (peak, ABS (g_array_index (pcm, gint16, i)));
  /* AAC leaves at most a least-significant bit of noise (-90 dBFS). */
  fail_unless (peak <= 2, "silence peaks at %d", peak);
  fail_unless (ABS (seconds - 3.0) < 0.045, "silence lasts %.3f s", seconds);

  g_array_unref (pcm);
  cc_probe_clear (&o);
  g_free (src);
  g_free (out);
}

GST_END_TEST;

GST_START_TEST (test_wmv_from_old_tools)
{
  const gchar *args[] = {
    "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
    "-f", "lavfi", "-i", "sine=sample_rate=44100", "-t", "2",
    "-c:v", "wmv2", "-c:a", "wmav2", NULL
  };
  gchar *src = ffmpeg_make ("old.wmv", args);
  gchar *out = normalise_and_check (src, 640, 360, NULL);

  g_free (src);
  g_free (out);
}

GST_END_TEST;

GST_START_TEST (test_flv_from_old_tools)
{
  gchar *src = launch_make ("old.flv",
      "videotestsrc num-buffers=50 ! video/x-raw,width=320,height=240,"
      "framerate=30/1 ! avenc_flv ! flvmux name=m ! filesink location=%s "
      "audiotestsrc num-buffers=72 samplesperbuffer=1024 ! "
      "audio/x-raw,rate=44100,channels=2 ! lamemp3enc ! mpegaudioparse ! m.");
  gchar *out = normalise_and_check (src, 640, 360, NULL);

  g_free (src);
  g_free (out);
}

GST_END_TEST;

/* mp4mux's default writes the moov after the data, like many editors. */
GST_START_TEST (test_moov_at_end_input)
{
  gchar *src = launch_make ("moovlast.mp4",
      "videotestsrc num-buffers=50 ! video/x-raw,width=320,height=240,"
      "framerate=25/1 ! x264enc ! mp4mux name=m ! filesink location=%s "
      "audiotestsrc num-buffers=47 samplesperbuffer=1024 ! "
      "audio/x-raw,rate=48000 ! avenc_aac ! m.");
  gint64 moov, mdat;
  gchar *out;

  fail_unless (cc_mp4_top_level_offsets (src, &moov, &mdat, NULL));
  fail_unless (moov > mdat, "the generated input is not moov-last");
  out = normalise_and_check (src, 640, 360, NULL);
  fail_unless (cc_mp4_top_level_offsets (out, &moov, &mdat, NULL));
  fail_unless (moov < mdat);
  g_free (src);
  g_free (out);
}

GST_END_TEST;

/* Standard quality: full HD frame and every rate-control setting explicit,
 * read back from the stream rather than from the element. */
GST_START_TEST (test_standard_x264_settings)
{
  gchar *src = launch_make ("short.mp4",
      "videotestsrc num-buffers=30 pattern=ball ! video/x-raw,width=640,"
      "height=480,framerate=30/1 ! x264enc ! mp4mux ! filesink location=%s");
  gchar *out = cc_test_path ("standard.mp4");
  gchar *err = cc_test_transcode (src, out, "standard", NULL, 0, NULL, NULL);
  CcProbe o = { 0 };
  gchar *opts;

  fail_unless (err == NULL, "%s", err);
  fail_unless (cc_probe_file (out, 30, &o, NULL));
  /* 4:3 fits 1920x1080 with pillarbox padding */
  fail_unless_equals_int (o.width, 1920);
  fail_unless_equals_int (o.height, 1080);
  fail_unless_equals_string (o.video_profile, "high");
  fail_unless_equals_string (o.video_level, "4");

  opts = cc_test_x264_options (out);
  cc_test_assert_x264_option (opts, "rc=crf");
  cc_test_assert_x264_option (opts, "crf=21.0");
  cc_test_assert_x264_option (opts, "vbv_maxrate=8000");
  cc_test_assert_x264_option (opts, "vbv_bufsize=16000");
  cc_test_assert_x264_option (opts, "keyint=50");
  cc_test_assert_x264_option (opts, "bframes=3");
  cc_test_assert_x264_option (opts, "8x8dct=1");
  cc_test_assert_x264_option (opts, "cabac=1");
  cc_test_assert_x264_option (opts, "rc_lookahead=10");
  g_free (opts);

  cc_probe_clear (&o);
  g_free (src);
  g_free (out);
}

GST_END_TEST;

/* The encoder is named by a description; settings given there win. */
GST_START_TEST (test_encoder_description)
{
  gchar *src = launch_make ("enc.mp4",
      "videotestsrc num-buffers=30 ! video/x-raw,width=320,height=240,"
      "framerate=25/1 ! x264enc ! mp4mux ! filesink location=%s");
  gchar *out = cc_test_path ("enc-out.mp4");
  gchar *err = cc_test_transcode (src, out, "draft",
      "x264enc key-int-max=10 bframes=2", 0, NULL, NULL);
  GQuark domain = 0;
  gint code = 0;
  gchar *opts;

  fail_unless (err == NULL, "%s", err);
  opts = cc_test_x264_options (out);
  cc_test_assert_x264_option (opts, "keyint=10");
  cc_test_assert_x264_option (opts, "bframes=2");
  cc_test_assert_x264_option (opts, "rc=crf");       /* campaign settings still apply */
  g_free (opts);

  err = cc_test_transcode (src, out, "draft", "nosuchh264enc", 0, &domain,
      &code);
  fail_unless (err != NULL);
  fail_unless (domain == GST_CORE_ERROR && code == GST_CORE_ERROR_MISSING_PLUGIN,
      "%s", err);
  fail_unless (strstr (err, "nosuchh264enc") != NULL, "%s", err);
  g_free (err);

  err = cc_test_transcode (src, out, "draft", "x264enc no-such-prop=1", 0,
      &domain, &code);
  fail_unless (err != NULL && strstr (err, "no-such-prop") != NULL, "%s", err);
  g_free (err);
  g_free (src);
  g_free (out);
}

GST_END_TEST;

/* A truncated upload fails and leaves nothing in the output folder. */
GST_START_TEST (test_truncated_leaves_nothing)
{
  gchar *src = launch_make ("whole.mp4",
      "videotestsrc num-buffers=100 ! video/x-raw,width=320,height=240,"
      "framerate=25/1 ! x264enc ! mp4mux faststart=true ! filesink "
      "location=%s");
  gchar *cut = cc_test_path ("cut.mp4");
  gchar *outdir = cc_test_path ("out");
  gchar *out = g_build_filename (outdir, "full.mp4", NULL);
  gchar *data, *err, *listing;
  gsize len;
  GQuark domain = 0;

  fail_unless (g_file_get_contents (src, &data, &len, NULL));
  fail_unless (g_file_set_contents (cut, data, len * 6 / 10, NULL));
  g_free (data);
  g_mkdir (outdir, 0755);

  err = cc_test_transcode (cut, out, "draft", NULL, 0, &domain, NULL);
  fail_unless (err != NULL, "a truncated file was accepted");
  fail_unless (domain == GST_STREAM_ERROR, "%s", err);
  listing = cc_test_list_dir (outdir);
  fail_unless_equals_string (listing, "");
  g_free (listing);
  g_free (err);
  g_free (src);
  g_free (cut);
  g_free (out);
  g_free (outdir);
}

GST_END_TEST;

/* An HLS playlist naming a local segment: refused, the segment never read. */
GST_START_TEST (test_playlist_refused)
{
  gchar *seg = launch_make ("secret.ts",
      "videotestsrc num-buffers=25 ! x264enc ! mpegtsmux ! filesink "
      "location=%s");
  gchar *m3u8 = cc_test_path ("upload.mp4");
  gchar *text = g_strdup_printf ("#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
      "#EXTINF:1.0,\nfile://%s\n#EXT-X-ENDLIST\n", seg);
  gchar *outdir = cc_test_path ("out");
  gchar *out = g_build_filename (outdir, "full.mp4", NULL);
  gchar *err, *listing;
  GQuark domain = 0;
  gint code = 0;

  g_file_set_contents (m3u8, text, -1, NULL);
  g_mkdir (outdir, 0755);
  err = cc_test_transcode (m3u8, out, "draft", NULL, 0, &domain, &code);
  fail_unless (err != NULL, "a playlist was transcoded");
  fail_unless (domain == GST_STREAM_ERROR, "%s", err);
  listing = cc_test_list_dir (outdir);
  fail_unless_equals_string (listing, "");
  g_free (listing);
  g_free (err);
  g_free (text);
  g_free (seg);
  g_free (m3u8);
  g_free (out);
  g_free (outdir);
}

GST_END_TEST;

/* The bin itself rejects a source whose container declares a duration
 * outside the category's rule, before decoding, and says why. */
GST_START_TEST (test_category_rule_in_bin)
{
  gchar *src = launch_make ("short-story.mp4",
      "videotestsrc num-buffers=50 ! video/x-raw,width=64,height=64,"
      "framerate=25/1 ! x264enc ! mp4mux ! filesink location=%s");
  gchar *out = cc_test_path ("story.mp4");
  gchar *uri = gst_filename_to_uri (src, NULL);
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *bin = gst_element_factory_make ("submissionbin", NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gboolean saw_verdict = FALSE;
  GError *err = NULL;

  g_object_set (bin, "uri", uri, "full-location", out, NULL);
  gst_util_set_object_arg (G_OBJECT (bin), "category", "story");
  gst_util_set_object_arg (G_OBJECT (bin), "quality", "draft");
  gst_bin_add (GST_BIN (pipeline), bin);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while ((msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
              GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
      const GstStructure *st = gst_message_get_structure (msg);
      if (gst_structure_has_name (st, "campuscut-duration")) {
        fail_unless_equals_string (gst_structure_get_string (st, "verdict"),
            "too-short");
        saw_verdict = TRUE;
      }
      gst_message_unref (msg);
      continue;
    }
    fail_unless (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    gst_message_parse_error (msg, &err, NULL);
    gst_message_unref (msg);
    break;
  }
  fail_unless (saw_verdict);
  fail_unless (err != NULL && err->domain == GST_STREAM_ERROR);
  fail_unless (strstr (err->message, "2.0 s; story videos must be 180") !=
      NULL, "%s", err->message);
  g_clear_error (&err);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_if (g_file_test (out, G_FILE_TEST_EXISTS));
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (uri);
  g_free (src);
  g_free (out);
}

GST_END_TEST;

/* The platform cut alone (no full-location), as a reviewer's new segments
 * make it: only that file, as long as its segments, with generated
 * silence for a mute source, and the input read no further than the last
 * segment: the bin's duration says so and its position ends there, not at
 * the source's 20 s. */
GST_START_TEST (test_platform_alone)
{
  gchar *src = launch_make ("long-mute.mp4",
      "videotestsrc num-buffers=500 ! video/x-raw,width=64,height=64,"
      "framerate=25/1 ! x264enc key-int-max=25 ! mp4mux ! filesink "
      "location=%s");
  gchar *outdir = cc_test_path ("alone");
  gchar *out = g_build_filename (outdir, "platform.mp4", NULL);
  gchar *uri = gst_filename_to_uri (src, NULL);
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *bin = gst_element_factory_make ("submissionbin", NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gint64 dur = -1, pos = -1;
  CcProbe o = { 0 };
  GError *err = NULL;
  gchar *listing;

  g_mkdir (outdir, 0755);
  g_object_set (bin, "uri", uri, "platform-location", out,
      "platform-segments", "0:01-0:02,0:03-0:04", NULL);
  gst_util_set_object_arg (G_OBJECT (bin), "quality", "draft");
  gst_bin_add (GST_BIN (pipeline), bin);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg != NULL, "no end within 60 s");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &err, NULL);
  fail_unless (err == NULL, "%s", err ? err->message : "");
  gst_message_unref (msg);
  fail_unless (gst_element_query_duration (bin, GST_FORMAT_TIME, &dur));
  fail_unless (gst_element_query_position (bin, GST_FORMAT_TIME, &pos));
  fail_unless_equals_uint64 (dur, 4 * GST_SECOND);
  fail_unless (pos <= 5 * GST_SECOND, "read on to %" GST_TIME_FORMAT,
      GST_TIME_ARGS (pos));
  gst_element_set_state (pipeline, GST_STATE_NULL);

  listing = cc_test_list_dir (outdir);
  fail_unless_equals_string (listing, "platform.mp4");
  g_free (listing);
  fail_unless (cc_probe_file (out, 30, &o, &err), "%s",
      err ? err->message : "");
  fail_unless_equals_int (o.n_audio, 1);
  fail_unless (o.duration > 1960 * GST_MSECOND &&
      o.duration < 2040 * GST_MSECOND, "lasts %" GST_TIME_FORMAT,
      GST_TIME_ARGS (o.duration));
  cc_probe_clear (&o);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (uri);
  g_free (src);
  g_free (out);
  g_free (outdir);
}

GST_END_TEST;

typedef struct {
  gchar *data;
  gsize len;
  gint fd;
  GMutex lock;
  GCond cond;
  gboolean release;
} StallFeed;

/* Sends the first half of a valid stream, then keeps the pipe open. */
static gpointer
stalled_writer (gpointer user_data)
{
  StallFeed *f = user_data;
  gsize done = 0;

  while (done < f->len / 2) {
    gssize n = write (f->fd, f->data + done, f->len / 2 - done);
    if (n <= 0)
      break;
    done += (gsize) n;
  }
  g_mutex_lock (&f->lock);
  while (!f->release)
    g_cond_wait (&f->cond, &f->lock);
  g_mutex_unlock (&f->lock);
  close (f->fd);
  return NULL;
}

/* Input that stops arriving mid-stream, pipe still open: the watchdog ends
 * the job with an error instead of waiting forever. */
GST_START_TEST (test_stall_watchdog)
{
  gchar *ts = launch_make ("live.ts",
      "videotestsrc num-buffers=100 ! video/x-raw,width=320,height=240,"
      "framerate=25/1 ! x264enc ! mpegtsmux ! filesink location=%s");
  gchar *out = cc_test_path ("stalled-out.mp4");
  StallFeed feed = { 0 };
  GstElement *pipeline, *bin;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  GThread *writer;
  gint fds[2];
  gchar *uri;

  fail_unless (g_file_get_contents (ts, &feed.data, &feed.len, NULL));
  fail_unless (pipe (fds) == 0);
  feed.fd = fds[1];
  g_mutex_init (&feed.lock);
  g_cond_init (&feed.cond);
  writer = g_thread_new ("writer", stalled_writer, &feed);

  pipeline = gst_pipeline_new (NULL);
  bin = gst_element_factory_make ("submissionbin", NULL);
  uri = g_strdup_printf ("fd://%d", fds[0]);
  g_object_set (bin, "uri", uri, "full-location", out, "stall-timeout", 2,
      NULL);
  gst_util_set_object_arg (G_OBJECT (bin), "quality", "draft");
  gst_bin_add (GST_BIN (pipeline), bin);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_ERROR |
      GST_MESSAGE_EOS);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR,
      "a stalled input did not fail");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (err->domain == GST_STREAM_ERROR &&
      err->code == GST_STREAM_ERROR_FAILED, "%s", err->message);
  fail_unless (strstr (err->message, "no progress") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  gst_message_unref (msg);

  /* Stopping must not wait for the writer. */
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_if (g_file_test (out, G_FILE_TEST_EXISTS));

  g_mutex_lock (&feed.lock);
  feed.release = TRUE;
  g_cond_signal (&feed.cond);
  g_mutex_unlock (&feed.lock);
  g_thread_join (writer);
  close (fds[0]);
  g_mutex_clear (&feed.lock);
  g_cond_clear (&feed.cond);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (feed.data);
  g_free (uri);
  g_free (ts);
  g_free (out);
}

GST_END_TEST;

/* Writes the whole stream, then closes the pipe. */
static gpointer
whole_writer (gpointer user_data)
{
  StallFeed *f = user_data;
  gsize done = 0;

  while (done < f->len) {
    gssize n = write (f->fd, f->data + done, f->len - done);
    if (n <= 0)
      break;
    done += (gsize) n;
  }
  close (f->fd);
  return NULL;
}

/* The bin prerolls nothing (its file sinks do not wait for data), so
 * PAUSED is reached at once, in the application's thread, before the
 * input has said what it holds. Were the commit left to the streaming
 * thread that finishes typefinding, an application that sets PLAYING on
 * the pipeline's PAUSED state-changed (as gst-launch-1.0 does) could leave
 * the pipeline never forwarding EOS. The branches are then built while the
 * bin is already PLAYING, and both cuts are still written in full. */
GST_START_TEST (test_paused_at_once_branches_built_playing)
{
  gchar *ts = launch_make ("late.ts",
      "videotestsrc num-buffers=100 ! video/x-raw,width=320,height=240,"
      "framerate=25/1 ! x264enc ! mpegtsmux name=m ! filesink location=%s "
      "audiotestsrc num-buffers=188 samplesperbuffer=1024 ! "
      "audio/x-raw,rate=48000,channels=2 ! avenc_aac ! aacparse ! m.");
  gchar *full = cc_test_path ("late-full.mp4");
  gchar *platform = cc_test_path ("late-platform.mp4");
  StallFeed feed = { 0 };
  GstElement *pipeline, *bin;
  GstState state, pending;
  GstBus *bus;
  GstMessage *msg;
  GThread *writer;
  gint fds[2];
  gchar *uri;
  CcProbe p = { 0 };
  GError *error = NULL;

  fail_unless (g_file_get_contents (ts, &feed.data, &feed.len, NULL));
  fail_unless (pipe (fds) == 0);
  feed.fd = fds[1];

  pipeline = gst_pipeline_new (NULL);
  bin = gst_element_factory_make ("submissionbin", NULL);
  uri = g_strdup_printf ("fd://%d", fds[0]);
  g_object_set (bin, "uri", uri, "full-location", full, "platform-location",
      platform, "platform-segments", "0:00.5-0:02.5", NULL);
  gst_util_set_object_arg (G_OBJECT (bin), "quality", "draft");
  gst_bin_add (GST_BIN (pipeline), bin);
  bus = gst_element_get_bus (pipeline);

  /* nothing has been written into the pipe yet */
  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  fail_unless_equals_int (gst_element_get_state (pipeline, &state, &pending,
          0), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PAUSED);
  fail_unless_equals_int (gst_element_set_state (pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_get_state (pipeline, &state, &pending,
          0), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PLAYING);

  writer = g_thread_new ("writer", whole_writer, &feed);
  msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg != NULL, "no EOS after the input arrived");
  fail_unless (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS, "%"
      GST_PTR_FORMAT, gst_message_get_structure (msg));
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_thread_join (writer);
  close (fds[0]);

  fail_unless (cc_probe_file (full, 30, &p, &error), "%s",
      error ? error->message : "");
  fail_unless (p.n_audio == 1 && p.duration > 3.9 * GST_SECOND &&
      p.duration < 4.1 * GST_SECOND, "full cut: %" GST_TIME_FORMAT,
      GST_TIME_ARGS (p.duration));
  cc_probe_clear (&p);
  fail_unless (cc_probe_file (platform, 30, &p, &error), "%s",
      error ? error->message : "");
  fail_unless (p.n_audio == 1 && p.duration > 1.9 * GST_SECOND &&
      p.duration < 2.1 * GST_SECOND, "platform cut: %" GST_TIME_FORMAT,
      GST_TIME_ARGS (p.duration));
  cc_probe_clear (&p);

  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (feed.data);
  g_free (uri);
  g_free (ts);
  g_free (full);
  g_free (platform);
}

GST_END_TEST;

static Suite *
submissionbin_suite (void)
{
  Suite *s = suite_create ("submissionbin");
  TCase *tc = tcase_create ("normalise");

  tcase_set_timeout (tc, 180);
  tcase_add_checked_fixture (tc, NULL, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_rotation_baked_in);
  tcase_add_test (tc, test_vfr_stays_in_sync);
  tcase_add_test (tc, test_interlaced_pal_mpeg2_ps);
  tcase_add_test (tc, test_odd_size_444_mono);
  tcase_add_test (tc, test_10bit_hdr_surround);
  tcase_add_test (tc, test_depth_reduce_dither);
  tcase_add_test (tc, test_depth_reduced_once);
  tcase_add_test (tc, test_no_audio_gets_silence);
  tcase_add_test (tc, test_wmv_from_old_tools);
  tcase_add_test (tc, test_flv_from_old_tools);
  tcase_add_test (tc, test_moov_at_end_input);
  tcase_add_test (tc, test_standard_x264_settings);
  tcase_add_test (tc, test_encoder_description);
  tcase_add_test (tc, test_truncated_leaves_nothing);
  tcase_add_test (tc, test_playlist_refused);
  tcase_add_test (tc, test_stall_watchdog);
  tcase_add_test (tc, test_paused_at_once_branches_built_playing);
  tcase_add_test (tc, test_category_rule_in_bin);
  tcase_add_test (tc, test_platform_alone);
  return s;
}

GST_CHECK_MAIN (submissionbin);
