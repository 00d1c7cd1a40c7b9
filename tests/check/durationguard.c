/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * durationguard under GstHarness: exact trims on video and audio, fades,
 * segments with a non-zero start, flushing seeks, and the verdicts it
 * posts for too short and too long streams.
 */
#include <string.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <gst/video/video.h>

#include "testmedia.h"

#define FRAME (40 * GST_MSECOND)        /* 25 fps */
#define VIDEO_CAPS "video/x-raw,format=I420,width=16,height=16," \
    "framerate=25/1,colorimetry=bt601"
#define AUDIO_CAPS "audio/x-raw,format=S16LE,layout=interleaved," \
    "rate=48000,channels=2,channel-mask=(bitmask)0x3"

typedef struct {
  GstHarness *h;
  GstBus *bus;
} Guard;

static Guard
guard_new (const gchar * caps, const gchar * props)
{
  Guard g;
  gchar *desc = g_strdup_printf ("durationguard %s", props);

  g.h = gst_harness_new_parse (desc);
  g_free (desc);
  g.bus = gst_bus_new ();
  gst_element_set_bus (g.h->element, g.bus);
  gst_harness_use_testclock (g.h);
  gst_harness_set_src_caps_str (g.h, caps);
  return g;
}

static void
guard_free (Guard * g)
{
  gst_element_set_bus (g->h->element, NULL);
  gst_object_unref (g->bus);
  gst_harness_teardown (g->h);
}

static GstBuffer *
video_frame (guint i, guint8 luma)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16 * 16 * 3 / 2, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, luma, 16 * 16);
  memset (map.data + 16 * 16, 128, 16 * 16 / 2);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = i * FRAME;
  GST_BUFFER_DURATION (buf) = FRAME;
  return buf;
}

/* 1000 stereo frames: deliberately not a divisor of one second. */
#define AUDIO_FRAMES 1000
static GstBuffer *
audio_chunk (guint i, gint16 level)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, AUDIO_FRAMES * 4, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (guint s = 0; s < AUDIO_FRAMES * 2; s++)
    ((gint16 *) map.data)[s] = level;
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (i * AUDIO_FRAMES, GST_SECOND,
      48000);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale ((i + 1) * AUDIO_FRAMES,
      GST_SECOND, 48000) - GST_BUFFER_PTS (buf);
  GST_BUFFER_OFFSET (buf) = i * AUDIO_FRAMES;
  return buf;
}

/* The one campuscut-duration message on the bus, or NULL. */
static const GstStructure *
verdict (Guard * g, GstMessage ** keep)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (g->bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, "campuscut-duration")) {
      *keep = msg;
      return gst_message_get_structure (msg);
    }
    gst_message_unref (msg);
  }
  *keep = NULL;
  return NULL;
}

static gboolean
saw_eos (GstHarness * h)
{
  GstEvent *ev;
  gboolean eos = FALSE;

  while ((ev = gst_harness_try_pull_event (h))) {
    eos |= GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
  }
  return eos;
}

GST_START_TEST (test_trim_video_exact)
{
  Guard g = guard_new (VIDEO_CAPS, "max-duration=1000000000 on-too-long=trim");
  GstFlowReturn ret = GST_FLOW_OK;
  GstClockTime end = 0;
  guint pushed = 0, n;
  GstMessage *m;
  const GstStructure *s;
  guint64 dur;

  /* 1.5 s of frames: the 26th (starting at exactly 1.0 s) ends the stream. */
  for (guint i = 0; i < 38 && ret == GST_FLOW_OK; i++, pushed++)
    ret = gst_harness_push (g.h, video_frame (i, 100));
  fail_unless_equals_int (ret, GST_FLOW_EOS);
  fail_unless_equals_int (pushed, 26);

  n = gst_harness_buffers_received (g.h);
  fail_unless_equals_int (n, 25);
  for (guint i = 0; i < n; i++) {
    GstBuffer *b = gst_harness_pull (g.h);
    end = GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b);
    gst_buffer_unref (b);
  }
  fail_unless_equals_uint64 (end, GST_SECOND);
  fail_unless (saw_eos (g.h), "no EOS after the trim");

  s = verdict (&g, &m);
  fail_unless (s != NULL);
  fail_unless_equals_string (gst_structure_get_string (s, "verdict"),
      "trimmed");
  fail_unless_equals_string (gst_structure_get_string (s, "media"), "video");
  fail_unless (gst_structure_get_uint64 (s, "duration", &dur));
  fail_unless_equals_uint64 (dur, GST_SECOND);
  gst_message_unref (m);

  /* Upstream's own EOS afterwards is swallowed: only one EOS downstream. */
  gst_harness_push_event (g.h, gst_event_new_eos ());
  fail_if (saw_eos (g.h));
  guard_free (&g);
}

GST_END_TEST;

GST_START_TEST (test_trim_audio_sample_exact)
{
  Guard g = guard_new (AUDIO_CAPS, "max-duration=1000000000 on-too-long=trim");
  GstFlowReturn ret = GST_FLOW_OK;
  gsize samples = 0;
  guint n;

  for (guint i = 0; i < 100 && ret == GST_FLOW_OK; i++)
    ret = gst_harness_push (g.h, audio_chunk (i, 1000));
  fail_unless_equals_int (ret, GST_FLOW_EOS);

  n = gst_harness_buffers_received (g.h);
  for (guint i = 0; i < n; i++) {
    GstBuffer *b = gst_harness_pull (g.h);
    samples += gst_buffer_get_size (b) / 4;
    if (i == n - 1)
      fail_unless_equals_uint64 (GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b),
          GST_SECOND);
    gst_buffer_unref (b);
  }
  /* To the sample: 48000 frames, though chunks hold 1000 each. */
  fail_unless_equals_int (samples, 48000);
  fail_unless (saw_eos (g.h));
  guard_free (&g);
}

GST_END_TEST;

/* Video and audio guards with the same limit end on the same instant. */
GST_START_TEST (test_audio_video_end_together)
{
  Guard v = guard_new (VIDEO_CAPS, "max-duration=2500000000 on-too-long=trim");
  Guard a = guard_new (AUDIO_CAPS, "max-duration=2500000000 on-too-long=trim");
  GstClockTime vend = 0, aend = 0;
  GstBuffer *b;

  for (guint i = 0; i < 100; i++)
    if (gst_harness_push (v.h, video_frame (i, 50)) != GST_FLOW_OK)
      break;
  for (guint i = 0; i < 200; i++)
    if (gst_harness_push (a.h, audio_chunk (i, 50)) != GST_FLOW_OK)
      break;
  while ((b = gst_harness_try_pull (v.h))) {
    vend = GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b);
    gst_buffer_unref (b);
  }
  while ((b = gst_harness_try_pull (a.h))) {
    aend = GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b);
    gst_buffer_unref (b);
  }
  fail_unless_equals_uint64 (vend, 2500 * GST_MSECOND);
  fail_unless_equals_uint64 (aend, 2500 * GST_MSECOND);
  guard_free (&v);
  guard_free (&a);
}

GST_END_TEST;

/* The fade's gain at stream time t: 1 until the window opens at 0.6 s,
 * then falling linearly to 0 at the cut (1.0 s). */
static gdouble
fade_gain (gdouble t)
{
  return CLAMP ((1.0 - t) / 0.4, 0.0, 1.0);
}

GST_START_TEST (test_fade_to_black_and_silence)
{
  Guard v = guard_new (VIDEO_CAPS,
      "max-duration=1000000000 on-too-long=trim fade=400000000");
  Guard a = guard_new (AUDIO_CAPS,
      "max-duration=1000000000 on-too-long=trim fade=400000000");
  GArray *pcm = g_array_new (FALSE, FALSE, sizeof (gint16));
  GArray *ends = g_array_new (FALSE, FALSE, sizeof (guint));
  GstClockTime aend = 0;
  GstBuffer *b;
  GstMapInfo map;
  gint prev = 256;
  guint n = 0, straddle = 0;

  for (guint i = 0; i < 30; i++)
    if (gst_harness_push (v.h, video_frame (i, 200)) != GST_FLOW_OK)
      break;
  /* the frames up to the cut come out, all of them: 0.00 to 0.96 s */
  fail_unless_equals_int (gst_harness_buffers_received (v.h), 25);
  for (n = 0; (b = gst_harness_try_pull (v.h)); n++) {
    GstClockTime end = GST_BUFFER_PTS (b) + FRAME;
    /* a frame shows until its end, so it gets the gain there */
    gint expect = 16 + (gint) (184 * fade_gain (end / (gdouble) GST_SECOND));
    gint y;

    fail_unless_equals_uint64 (GST_BUFFER_PTS (b), n * FRAME);
    gst_buffer_map (b, &map, GST_MAP_READ);
    y = map.data[0];
    for (guint k = 1; k < 16 * 16; k++)
      fail_unless_equals_int (map.data[k], y);
    /* untouched until the window (0.6 s), darker every frame after */
    if (end <= 600 * GST_MSECOND) {
      fail_unless_equals_int (y, 200);
    } else {
      fail_unless (y < prev, "frame %u not darker (%d >= %d)", n, y, prev);
    }
    /* on the linear ramp (1 for the rounding of the 8-bit result) */
    fail_unless (ABS (y - expect) <= 1, "frame %u: luma %d, expected %d", n,
        y, expect);
    for (guint k = 16 * 16; k < map.size; k++)
      fail_unless_equals_int (map.data[k], 128);        /* chroma neutral */
    prev = y;
    gst_buffer_unmap (b, &map);
    gst_buffer_unref (b);
  }
  fail_unless_equals_int (n, 25);
  fail_unless_equals_int (prev, 16);    /* black at the cut */

  for (guint i = 0; i < 60; i++)
    if (gst_harness_push (a.h, audio_chunk (i, 10000)) != GST_FLOW_OK)
      break;
  /* the chunks up to the cut, joined into one signal */
  fail_unless_equals_int (gst_harness_buffers_received (a.h), 48);
  while ((b = gst_harness_try_pull (a.h))) {
    guint last;

    fail_unless_equals_uint64 (GST_BUFFER_PTS (b), aend);
    aend = GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b);
    gst_buffer_map (b, &map, GST_MAP_READ);
    g_array_append_vals (pcm, map.data, map.size / 2);
    gst_buffer_unmap (b, &map);
    gst_buffer_unref (b);
    last = pcm->len / 2;
    g_array_append_val (ends, last);
  }
  fail_unless_equals_uint64 (aend, GST_SECOND);
  fail_unless_equals_int (pcm->len, 48000 * 2);

  for (guint k = 0, chunk = 0; k < 48000; k++) {
    gint16 l = g_array_index (pcm, gint16, 2 * k);
    gint16 r = g_array_index (pcm, gint16, 2 * k + 1);
    gdouble t = k / 48000.0, expect = 10000 * fade_gain (t), tol;
    guint from;

    while (k >= g_array_index (ends, guint, chunk))
      chunk++;
    from = chunk ? g_array_index (ends, guint, chunk - 1) : 0;
    fail_unless_equals_int (l, r);      /* both channels alike */
    if (g_array_index (ends, guint, chunk) <= 28800) {
      /* a chunk that ends before the window is not touched at all */
      fail_unless (l == 10000, "sample %u (%.4f s) is %d before the fade", k,
          t, l);
      continue;
    }
    if (k > 0)
      fail_unless (l <= g_array_index (pcm, gint16, 2 * k - 2),
          "louder again at sample %u (%.4f s)", k, t);
    /* The element ramps each chunk linearly between the gains at its two
     * ends: exact (1 for the truncation to an integer) where the fade is
     * linear. The chunk across 0.6 s holds the bend from 1 to the ramp,
     * which a straight line misses by at most
     * (b - 0.6) (0.6 - a) / ((b - a) 0.4) at 0.6 s; that chunk is checked
     * against that bound. */
    tol = 1.0;
    if (from < 28800) {
      gdouble ca = from / 48000.0, cb = g_array_index (ends, guint,
          chunk) / 48000.0;

      tol += 10000 * (cb - 0.6) * (0.6 - ca) / ((cb - ca) * 0.4);
      straddle = chunk;
    }
    fail_unless (ABS (l - expect) <= tol, "sample %u (%.4f s) is %d, "
        "expected %.1f", k, t, l, expect);
  }
  /* the 1000-frame chunks do not line up with 0.6 s: the bend was seen */
  fail_unless_equals_int (straddle, 28);
  /* on the ramp: three quarters, half and a quarter of the level */
  fail_unless (ABS (g_array_index (pcm, gint16, 2 * 33600) - 7500) <= 1);
  fail_unless (ABS (g_array_index (pcm, gint16, 2 * 38400) - 5000) <= 1);
  fail_unless (ABS (g_array_index (pcm, gint16, 2 * 43200) - 2500) <= 1);
  /* silent at the cut: the last frame's gain is 1 / 19200 */
  fail_unless (ABS (g_array_index (pcm, gint16, 2 * 47999)) <= 1,
      "last sample %d", g_array_index (pcm, gint16, 2 * 47999));
  g_array_unref (pcm);
  g_array_unref (ends);
  guard_free (&v);
  guard_free (&a);
}

GST_END_TEST;

/* A stream that ends inside the fade window without reaching the cut is
 * not faded: the fade belongs to trims only. */
GST_START_TEST (test_no_fade_without_trim)
{
  Guard g = guard_new (VIDEO_CAPS,
      "max-duration=1000000000 on-too-long=trim fade=400000000");
  GstBuffer *b;
  GstMapInfo map;
  GstMessage *m;

  for (guint i = 0; i < 22; i++)
    fail_unless_equals_int (gst_harness_push (g.h, video_frame (i, 200)),
        GST_FLOW_OK);
  gst_harness_push_event (g.h, gst_event_new_eos ());
  fail_unless_equals_int (gst_harness_buffers_received (g.h), 22);
  while ((b = gst_harness_try_pull (g.h))) {
    gst_buffer_map (b, &map, GST_MAP_READ);
    fail_unless_equals_int (map.data[0], 200);
    gst_buffer_unmap (b, &map);
    gst_buffer_unref (b);
  }
  fail_unless (saw_eos (g.h));
  fail_unless_equals_string (gst_structure_get_string (verdict (&g, &m),
          "verdict"), "ok");
  gst_message_unref (m);
  guard_free (&g);
}

GST_END_TEST;

/* A segment starting at 10 s (an MPEG-TS clock): the limit counts media
 * time from the segment's start, not from the timestamps' origin. */
GST_START_TEST (test_nonzero_segment_start)
{
  Guard g = guard_new (VIDEO_CAPS, "max-duration=1000000000 on-too-long=trim");
  GstSegment seg;
  GstClockTime last_end = 0, last_stop = 0;
  GstBuffer *b;
  GstEvent *ev;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = 10 * GST_SECOND;
  seg.position = seg.start;
  gst_harness_push_event (g.h, gst_event_new_segment (&seg));
  for (guint i = 250; i < 300; i++)
    if (gst_harness_push (g.h, video_frame (i, 10)) != GST_FLOW_OK)
      break;
  fail_unless_equals_int (gst_harness_buffers_received (g.h), 25);
  while ((b = gst_harness_try_pull (g.h))) {
    last_end = GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b);
    gst_buffer_unref (b);
  }
  fail_unless_equals_uint64 (last_end, 11 * GST_SECOND);

  /* The last segment downstream was told where the stream stops. */
  while ((ev = gst_harness_try_pull_event (g.h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT) {
      const GstSegment *out;
      gst_event_parse_segment (ev, &out);
      last_stop = out->stop;
    }
    gst_event_unref (ev);
  }
  fail_unless_equals_uint64 (last_stop, 11 * GST_SECOND);
  guard_free (&g);
}

GST_END_TEST;

/* After a trim, a flushing seek back starts a new run that is trimmed
 * again at the same media time. */
GST_START_TEST (test_flushing_seek_resets)
{
  Guard g = guard_new (VIDEO_CAPS, "max-duration=1000000000 on-too-long=trim");
  GstSegment seg;
  GstMessage *m;

  for (guint i = 0; i < 30; i++)
    if (gst_harness_push (g.h, video_frame (i, 10)) != GST_FLOW_OK)
      break;
  fail_unless_equals_int (gst_harness_buffers_received (g.h), 25);
  fail_unless (verdict (&g, &m) != NULL);
  gst_message_unref (m);
  fail_unless_equals_int (gst_harness_push (g.h, video_frame (30, 10)),
      GST_FLOW_EOS);

  fail_unless (gst_harness_push_event (g.h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (g.h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = seg.time = seg.position = 500 * GST_MSECOND;
  fail_unless (gst_harness_push_event (g.h, gst_event_new_segment (&seg)));
  for (guint i = 12; i < 40; i++)
    if (gst_harness_push (g.h, video_frame (i, 10)) != GST_FLOW_OK)
      break;
  /* 0.48..1.0 s: frames 12 to 24 */
  fail_unless_equals_int (gst_harness_buffers_received (g.h), 25 + 13);
  fail_unless (verdict (&g, &m) != NULL, "no verdict for the second run");
  gst_message_unref (m);
  guard_free (&g);
}

GST_END_TEST;

static GstMessage *
pop_type (Guard * g, GstMessageType type)
{
  return gst_bus_pop_filtered (g->bus, type);
}

GST_START_TEST (test_too_short_error)
{
  Guard g = guard_new (VIDEO_CAPS, "min-duration=2000000000");
  GstMessage *m, *err;
  GError *e = NULL;

  for (guint i = 0; i < 25; i++)
    fail_unless_equals_int (gst_harness_push (g.h, video_frame (i, 10)),
        GST_FLOW_OK);
  gst_harness_push_event (g.h, gst_event_new_eos ());
  fail_if (saw_eos (g.h), "EOS forwarded despite the error");
  fail_unless_equals_string (gst_structure_get_string (verdict (&g, &m),
          "verdict"), "too-short");
  gst_message_unref (m);
  err = pop_type (&g, GST_MESSAGE_ERROR);
  fail_unless (err != NULL);
  gst_message_parse_error (err, &e, NULL);
  fail_unless (e->domain == GST_STREAM_ERROR);
  fail_unless (strstr (e->message, "1.0 s") && strstr (e->message, "2.0 s"),
      "%s", e->message);
  g_error_free (e);
  gst_message_unref (err);
  guard_free (&g);
}

GST_END_TEST;

GST_START_TEST (test_too_short_warn)
{
  Guard g = guard_new (VIDEO_CAPS, "min-duration=2000000000 "
      "on-too-short=warn");
  GstMessage *m;

  for (guint i = 0; i < 25; i++)
    gst_harness_push (g.h, video_frame (i, 10));
  gst_harness_push_event (g.h, gst_event_new_eos ());
  fail_unless (saw_eos (g.h));
  fail_unless_equals_string (gst_structure_get_string (verdict (&g, &m),
          "action"), "warn");
  gst_message_unref (m);
  m = pop_type (&g, GST_MESSAGE_WARNING);
  fail_unless (m != NULL);
  gst_message_unref (m);
  fail_if (pop_type (&g, GST_MESSAGE_ERROR));
  guard_free (&g);
}

GST_END_TEST;

GST_START_TEST (test_too_long_error)
{
  Guard g = guard_new (VIDEO_CAPS, "max-duration=1000000000");
  GstFlowReturn ret = GST_FLOW_OK;
  guint i;
  GstMessage *m;

  for (i = 0; i < 50 && ret == GST_FLOW_OK; i++)
    ret = gst_harness_push (g.h, video_frame (i, 10));
  fail_unless_equals_int (ret, GST_FLOW_ERROR);
  /* frame 26 ends at 1.08 s, past the 50 ms tolerance */
  fail_unless_equals_int (i, 27);
  fail_unless_equals_string (gst_structure_get_string (verdict (&g, &m),
          "verdict"), "too-long");
  gst_message_unref (m);
  m = pop_type (&g, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_unref (m);
  guard_free (&g);
}

GST_END_TEST;

/* Within the tolerance a stream is accepted and still never passes the
 * maximum. */
GST_START_TEST (test_tolerance_cuts_at_max)
{
  Guard g = guard_new (AUDIO_CAPS, "max-duration=1000000000");
  GstClockTime end = 0;
  GstBuffer *b;
  GstMessage *m;

  /* 49 chunks end at 1.0208 s */
  for (guint i = 0; i < 49; i++)
    fail_unless_equals_int (gst_harness_push (g.h, audio_chunk (i, 5)),
        GST_FLOW_OK);
  gst_harness_push_event (g.h, gst_event_new_eos ());
  while ((b = gst_harness_try_pull (g.h))) {
    end = GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b);
    gst_buffer_unref (b);
  }
  fail_unless_equals_uint64 (end, GST_SECOND);
  fail_unless (saw_eos (g.h));
  fail_unless_equals_string (gst_structure_get_string (verdict (&g, &m),
          "verdict"), "trimmed");
  gst_message_unref (m);
  fail_if (pop_type (&g, GST_MESSAGE_ERROR));
  guard_free (&g);
}

GST_END_TEST;

GST_START_TEST (test_warn_lets_it_run)
{
  Guard g = guard_new (VIDEO_CAPS, "max-duration=1000000000 "
      "on-too-long=warn");
  GstMessage *m;

  for (guint i = 0; i < 50; i++)
    fail_unless_equals_int (gst_harness_push (g.h, video_frame (i, 10)),
        GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_received (g.h), 50);
  m = pop_type (&g, GST_MESSAGE_WARNING);
  fail_unless (m != NULL);
  gst_message_unref (m);
  fail_if (pop_type (&g, GST_MESSAGE_WARNING), "warned twice");
  gst_harness_push_event (g.h, gst_event_new_eos ());
  fail_unless_equals_string (gst_structure_get_string (verdict (&g, &m),
          "verdict"), "too-long");
  gst_message_unref (m);
  guard_free (&g);
}

GST_END_TEST;

GST_START_TEST (test_ok_verdict_fields)
{
  Guard g = guard_new (VIDEO_CAPS, "min-duration=500000000 "
      "max-duration=2000000000");
  const GstStructure *s;
  GstMessage *m;
  guint64 v;

  for (guint i = 0; i < 25; i++)
    gst_harness_push (g.h, video_frame (i, 10));
  gst_harness_push_event (g.h, gst_event_new_eos ());
  fail_unless (saw_eos (g.h));
  s = verdict (&g, &m);
  fail_unless_equals_string (gst_structure_get_string (s, "verdict"), "ok");
  fail_unless_equals_string (gst_structure_get_string (s, "action"), "none");
  fail_unless (gst_structure_get_uint64 (s, "duration", &v) &&
      v == GST_SECOND);
  fail_unless (gst_structure_get_uint64 (s, "min-duration", &v) &&
      v == GST_SECOND / 2);
  fail_unless (gst_structure_get_uint64 (s, "max-duration", &v) &&
      v == 2 * GST_SECOND);
  gst_message_unref (m);
  guard_free (&g);
}

GST_END_TEST;

static Suite *
durationguard_suite (void)
{
  Suite *s = suite_create ("durationguard");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_trim_video_exact);
  tcase_add_test (tc, test_trim_audio_sample_exact);
  tcase_add_test (tc, test_audio_video_end_together);
  tcase_add_test (tc, test_fade_to_black_and_silence);
  tcase_add_test (tc, test_no_fade_without_trim);
  tcase_add_test (tc, test_nonzero_segment_start);
  tcase_add_test (tc, test_flushing_seek_resets);
  tcase_add_test (tc, test_too_short_error);
  tcase_add_test (tc, test_too_short_warn);
  tcase_add_test (tc, test_too_long_error);
  tcase_add_test (tc, test_tolerance_cuts_at_max);
  tcase_add_test (tc, test_warn_lets_it_run);
  tcase_add_test (tc, test_ok_verdict_fields);
  return s;
}

GST_CHECK_MAIN (durationguard);
