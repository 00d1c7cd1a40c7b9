/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cutlist: the list syntax, frame- and sample-accurate joins, fades at the
 * joins, audio and video ending together, segments with a non-zero start,
 * EOS after the last segment, the automatic choice of segments, and the
 * platform cut on the frame grid.
 */
#include <math.h>
#include <string.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>

#include "testmedia.h"
#include "cccutlist.h"

#define MS (G_GUINT64_CONSTANT (1000000))

GST_START_TEST (test_parse_and_format)
{
  GError *err = NULL;
  GArray *s = cc_cutlist_parse ("00:12.5-00:40, 01:35-02:07,1:00:00-1:00:01",
      &err);
  gchar *text;

  fail_unless (s != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (s->len, 3);
  fail_unless_equals_uint64 (g_array_index (s, CcSpan, 0).start, 12500 * MS);
  fail_unless_equals_uint64 (g_array_index (s, CcSpan, 1).end, 127000 * MS);
  fail_unless_equals_uint64 (g_array_index (s, CcSpan, 2).start,
      3600000 * MS);
  fail_unless_equals_uint64 (cc_cutlist_total ((CcSpan *) s->data, s->len),
      (27500 + 32000 + 1000) * MS);
  text = cc_cutlist_format ((CcSpan *) s->data, s->len);
  fail_unless_equals_string (text,
      "0:12.500-0:40.000,1:35.000-2:07.000,60:00.000-60:01.000");
  g_array_unref (s);
  /* the formatted list reads back the same */
  s = cc_cutlist_parse (text, &err);
  fail_unless (s != NULL && s->len == 3);
  g_array_unref (s);
  g_free (text);

  fail_if (cc_cutlist_parse ("0:10-0:05", &err));
  fail_unless (strstr (err->message, "segment 1") != NULL);
  g_clear_error (&err);
  fail_if (cc_cutlist_parse ("0:01-0:10,0:05-0:20", &err));
  fail_unless (strstr (err->message, "segment 2") != NULL, "%s", err->message);
  g_clear_error (&err);
  fail_if (cc_cutlist_parse ("0:01-0:10;later", &err));
  g_clear_error (&err);
  fail_if (cc_cutlist_parse ("", &err));
  g_clear_error (&err);
}

GST_END_TEST;

static GstHarness *
cut_harness (const gchar * caps, const gchar * segments, const gchar * fade)
{
  GstElement *e = gst_element_factory_make ("cutlist", NULL);
  GstHarness *h;

  g_object_set (e, "segments", segments, NULL);
  gst_util_set_object_arg (G_OBJECT (e), "fade", fade);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, caps);
  return h;
}

#define VCAPS "video/x-raw,format=GRAY8,width=8,height=8,framerate=25/1"
#define ACAPS "audio/x-raw,format=F32LE,layout=interleaved,rate=48000," \
    "channels=1"

/* Frame i shows the value i (mod 256) in every pixel. */
static GstBuffer *
numbered_frame (guint i)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, 64, NULL);

  gst_buffer_memset (b, 0, (guint8) i, 64);
  GST_BUFFER_PTS (b) = i * 40 * MS;
  GST_BUFFER_DURATION (b) = 40 * MS;
  return b;
}

GST_START_TEST (test_video_frames_kept)
{
  GstHarness *h = cut_harness (VCAPS, "0:01-0:02,0:03-0:03.2", "0");
  GstFlowReturn ret = GST_FLOW_OK;
  GstBuffer *b;
  guint i, n = 0;
  guint expect[] = { 25, 26, 27 };      /* first frames of the cut */

  for (i = 0; i < 200 && ret == GST_FLOW_OK; i++)
    ret = gst_harness_push (h, numbered_frame (i));
  /* EOS as soon as the last segment is done: no more decoding needed */
  fail_unless_equals_int (ret, GST_FLOW_EOS);
  fail_unless (i <= 82, "kept pulling frames until %u", i);

  while ((b = gst_harness_try_pull (h))) {
    GstMapInfo map;
    guint src;

    gst_buffer_map (b, &map, GST_MAP_READ);
    src = map.data[0];
    gst_buffer_unmap (b, &map);
    /* continuous output time, source frames from the listed spans only */
    fail_unless_equals_uint64 (GST_BUFFER_PTS (b), n * 40 * MS);
    if (n < 3)
      fail_unless_equals_int (src, expect[n]);
    if (n < 25)
      fail_unless (src == 25 + n, "output %u is source frame %u", n, src);
    else
      fail_unless (src == 75 + (n - 25), "output %u is source frame %u", n,
          src);
    n++;
    gst_buffer_unref (b);
  }
  fail_unless_equals_int (n, 30);
  gst_harness_teardown (h);
}

GST_END_TEST;

static GstBuffer *
constant_audio (guint i, guint frames, gfloat v)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, frames * 4, NULL);
  GstMapInfo map;

  gst_buffer_map (b, &map, GST_MAP_WRITE);
  for (guint k = 0; k < frames; k++)
    ((gfloat *) map.data)[k] = v;
  gst_buffer_unmap (b, &map);
  GST_BUFFER_PTS (b) = gst_util_uint64_scale (i * frames, GST_SECOND, 48000);
  GST_BUFFER_DURATION (b) = gst_util_uint64_scale (frames, GST_SECOND, 48000);
  return b;
}

/* Audio cut to the sample, joins faded to silence, the total exact. */
GST_START_TEST (test_audio_sample_exact_with_fades)
{
  GstHarness *h = cut_harness (ACAPS, "0:00.5-0:01.5,0:02.25-0:03", "50000000");
  GArray *pcm = g_array_new (FALSE, FALSE, sizeof (gfloat));
  GstBuffer *b;
  guint64 last_end = 0;

  /* 1000-sample buffers: the cuts fall inside them */
  for (guint i = 0; i < 200; i++)
    if (gst_harness_push (h, constant_audio (i, 1000, 0.5f)) != GST_FLOW_OK)
      break;
  while ((b = gst_harness_try_pull (h))) {
    GstMapInfo map;

    fail_unless_equals_uint64 (GST_BUFFER_PTS (b), last_end);
    last_end = GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b);
    gst_buffer_map (b, &map, GST_MAP_READ);
    g_array_append_vals (pcm, map.data, map.size / 4);
    gst_buffer_unmap (b, &map);
    gst_buffer_unref (b);
  }
  /* 1 s + 0.75 s at 48 kHz */
  fail_unless_equals_int (pcm->len, 84000);
  fail_unless_equals_uint64 (last_end, 1750 * MS);
  /* silent at the join (48000), full level away from it */
  fail_unless (fabsf (g_array_index (pcm, gfloat, 48000)) < 0.01f);
  fail_unless (fabsf (g_array_index (pcm, gfloat, 47999)) < 0.01f);
  fail_unless (fabsf (g_array_index (pcm, gfloat, 46800) - 0.25f) < 0.02f,
      "half way down: %f", g_array_index (pcm, gfloat, 46800));
  fail_unless_equals_float (g_array_index (pcm, gfloat, 20000), 0.5f);
  fail_unless_equals_float (g_array_index (pcm, gfloat, 60000), 0.5f);
  g_array_unref (pcm);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Video dips to black at the join, not elsewhere. */
GST_START_TEST (test_video_dip_at_join)
{
  GstHarness *h = cut_harness ("video/x-raw,format=I420,width=8,height=8,"
      "framerate=25/1", "0:00-0:01,0:02-0:03", "120000000");
  GstBuffer *b;
  guint n = 0;

  for (guint i = 0; i < 100; i++) {
    GstBuffer *f = gst_buffer_new_allocate (NULL, 96, NULL);
    gst_buffer_memset (f, 0, 200, 64);
    gst_buffer_memset (f, 64, 128, 32);
    GST_BUFFER_PTS (f) = i * 40 * MS;
    GST_BUFFER_DURATION (f) = 40 * MS;
    if (gst_harness_push (h, f) != GST_FLOW_OK)
      break;
  }
  while ((b = gst_harness_try_pull (h))) {
    GstMapInfo map;
    guint64 t = GST_BUFFER_PTS (b);

    gst_buffer_map (b, &map, GST_MAP_READ);
    if (t + 40 * MS <= 880 * MS || t >= 1120 * MS)
      fail_unless_equals_int (map.data[0], 200);
    if (t == 960 * MS || t == GST_SECOND)       /* touching the join */
      fail_unless (map.data[0] == 16, "frame at %" G_GUINT64_FORMAT
          " ms is %d", t / MS, map.data[0]);
    fail_unless_equals_int (map.data[64], 128);
    gst_buffer_unmap (b, &map);
    gst_buffer_unref (b);
    n++;
  }
  fail_unless_equals_int (n, 50);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Behind a tee the branch must not fail the others: after the last
 * segment, stop-upstream=false drops data and takes events quietly. */
GST_START_TEST (test_after_end_behind_tee)
{
  GstElement *e = gst_element_factory_make ("cutlist", NULL);
  GstHarness *h;
  GstTagList *tags = gst_tag_list_new (GST_TAG_BITRATE, 128000, NULL);

  g_object_set (e, "segments", "0:00-0:00.2", "stop-upstream", FALSE, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, VCAPS);
  for (guint i = 0; i < 20; i++)
    fail_unless_equals_int (gst_harness_push (h, numbered_frame (i)),
        GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_received (h), 5);
  fail_unless (gst_harness_push_event (h, gst_event_new_tag (tags)));
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Segments count in stream time: timestamps starting at 10 s. */
GST_START_TEST (test_nonzero_start)
{
  GstHarness *h = cut_harness (VCAPS, "0:01-0:01.2", "0");
  GstSegment seg;
  GstBuffer *b;
  GstEvent *ev;
  gboolean seen_segment = FALSE;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = seg.position = 10 * GST_SECOND;
  gst_harness_push_event (h, gst_event_new_segment (&seg));
  for (guint i = 250; i < 300; i++)
    if (gst_harness_push (h, numbered_frame (i)) != GST_FLOW_OK)
      break;
  fail_unless_equals_int (gst_harness_buffers_received (h), 5);
  b = gst_harness_pull (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (b), 0);
  {
    GstMapInfo map;
    gst_buffer_map (b, &map, GST_MAP_READ);
    fail_unless_equals_int (map.data[0], 275 % 256);
    gst_buffer_unmap (b, &map);
  }
  gst_buffer_unref (b);
  while ((ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT) {
      const GstSegment *s;
      gst_event_parse_segment (ev, &s);
      fail_unless_equals_uint64 (s->start, 0);
      fail_unless_equals_uint64 (s->stop, 200 * MS);
      seen_segment = TRUE;
    }
    gst_event_unref (ev);
  }
  fail_unless (seen_segment);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The automatic choice never cuts inside a caption cue, keeps the opening,
 * fills 45-60 s and keeps story order. */
GST_START_TEST (test_auto_choice)
{
  GString *srt = g_string_new (NULL);
  CcCaptionTrack *track;
  CcCutSignals sig = { 0 };
  GPtrArray *choice;
  GArray *loud = g_array_new (FALSE, FALSE, sizeof (gdouble));
  guint64 total = 0, prev_end = 0;

  /* 40 cues of 3 s with 2 s pauses over 200 s; cues 10-19 are shouted */
  for (guint i = 0; i < 40; i++)
    g_string_append_printf (srt, "%u\n00:%02u:%02u,000 --> 00:%02u:%02u,000\n"
        "第%u句话\n\n", i + 1, (i * 5 + 1) / 60, (i * 5 + 1) % 60,
        (i * 5 + 4) / 60, (i * 5 + 4) % 60, i + 1);
  track = cc_caption_track_parse (srt->str, srt->len, NULL);
  fail_unless (track != NULL);
  for (guint k = 0; k < 400; k++) {
    gdouble t = k * 0.5, v;
    guint cue = (guint) (t / 5);
    gboolean speaking = fmod (t, 5.0) >= 1.0 && fmod (t, 5.0) < 4.0;
    v = !speaking ? -INFINITY : (cue >= 10 && cue < 20) ? -14.0 : -24.0;
    g_array_append_val (loud, v);
  }
  sig.duration = 200 * GST_SECOND;
  sig.captions = track;
  sig.loudness = (gdouble *) loud->data;
  sig.n_loudness = loud->len;
  sig.loudness_step = GST_SECOND / 2;
  sig.min_total = 45 * GST_SECOND;
  sig.max_total = 60 * GST_SECOND;
  choice = cc_cutlist_choose (&sig);

  fail_unless (choice->len > 0);
  for (guint i = 0; i < choice->len; i++) {
    CcCutChoice *c = g_ptr_array_index (choice, i);

    fail_unless (c->span.start >= prev_end, "out of story order");
    prev_end = c->span.end;
    total += c->span.end - c->span.start;
    fail_unless (c->reason && *c->reason);
    /* no cue is cut: each cue is either inside the span or outside it */
    for (guint k = 0; k < track->cues->len; k++) {
      CcCaptionCue *q = g_ptr_array_index (track->cues, k);
      gboolean inside = q->start >= c->span.start && q->end <= c->span.end;
      gboolean outside = q->end <= c->span.start || q->start >= c->span.end;
      fail_unless (inside || outside, "segment %u cuts cue %u", i, k + 1);
    }
  }
  fail_unless (total >= 45 * GST_SECOND && total <= 60 * GST_SECOND,
      "total %" G_GUINT64_FORMAT " ms", total / MS);
  /* the hook: the opening cue is in */
  fail_unless (((CcCutChoice *) g_ptr_array_index (choice, 0))->span.start <
      2 * GST_SECOND);
  fail_unless (strstr (((CcCutChoice *) g_ptr_array_index (choice,
                  0))->reason, "opening") != NULL);
  /* the lively part was preferred: the shouted cue 15 is in */
  {
    gboolean has15 = FALSE;
    for (guint i = 0; i < choice->len; i++) {
      CcCutChoice *c = g_ptr_array_index (choice, i);
      if (c->span.start <= 71 * GST_SECOND && c->span.end >= 74 * GST_SECOND)
        has15 = TRUE;
    }
    fail_unless (has15, "the lively part was not chosen");
  }
  g_ptr_array_unref (choice);

  /* the lively part goes black (a covered lens): it is avoided now */
  {
    GArray *kfs = g_array_new (FALSE, FALSE, sizeof (CcKeyframe));
    guint64 kept = 0;

    for (guint k = 0; k < 100; k++) {
      CcKeyframe kf = { k * 2 * GST_SECOND, 120.0, 20.0 };
      if (kf.t >= 50 * GST_SECOND && kf.t < 100 * GST_SECOND)
        kf.luma = 16.0;
      g_array_append_val (kfs, kf);
    }
    sig.keyframes = (CcKeyframe *) kfs->data;
    sig.n_keyframes = kfs->len;
    choice = cc_cutlist_choose (&sig);
    /* an empty choice avoids everything: the cut must still be filled,
     * from the 30 cues outside the black stretch */
    fail_unless (choice->len > 0, "nothing chosen");
    for (guint i = 0; i < choice->len; i++) {
      CcCutChoice *c = g_ptr_array_index (choice, i);
      fail_if (c->span.start < 100 * GST_SECOND && c->span.end > 50 *
          GST_SECOND, "chose the black stretch: %s", c->reason);
      kept += c->span.end - c->span.start;
    }
    fail_unless (kept >= 45 * GST_SECOND && kept <= 60 * GST_SECOND,
        "total %" G_GUINT64_FORMAT " ms without the black stretch", kept / MS);
    g_ptr_array_unref (choice);
    sig.keyframes = NULL;
    sig.n_keyframes = 0;
    g_array_unref (kfs);
  }

  /* a short video is taken whole */
  sig.duration = 50 * GST_SECOND;
  choice = cc_cutlist_choose (&sig);
  fail_unless_equals_int (choice->len, 1);
  fail_unless_equals_uint64 (((CcCutChoice *) g_ptr_array_index (choice,
              0))->span.end, 50 * GST_SECOND);
  g_ptr_array_unref (choice);

  cc_caption_track_free (track);
  g_array_unref (loud);
  g_string_free (srt, TRUE);
}

GST_END_TEST;

/* A list is ended where the video ends; what lies wholly beyond goes. */
GST_START_TEST (test_clip_at_end)
{
  GArray *spans = cc_cutlist_parse ("0:02-0:04,0:05-0:09,0:10-0:12", NULL);
  CcSpan *sp;

  cc_cutlist_clip (spans, 6 * GST_SECOND);
  fail_unless_equals_int (spans->len, 2);
  sp = (CcSpan *) spans->data;
  fail_unless_equals_uint64 (sp[0].end, 4 * GST_SECOND);
  fail_unless_equals_uint64 (sp[1].start, 5 * GST_SECOND);
  fail_unless_equals_uint64 (sp[1].end, 6 * GST_SECOND);
  cc_cutlist_clip (spans, 5 * GST_SECOND);
  fail_unless_equals_int (spans->len, 1);
  g_array_unref (spans);
}

GST_END_TEST;

/* The platform cut on the output's frame grid: starts to the nearest frame,
 * ends down to a whole frame, spans left empty dropped; the reasons of an
 * automatic choice follow the spans as cut; nothing left or over the
 * maximum is refused. */
static CcCutFit
fit_text (const gchar * text, guint64 frame, GPtrArray * choices,
    guint64 * total, GArray ** out)
{
  GArray *spans = cc_cutlist_parse (text, NULL);
  CcCutFit fit;

  fail_unless (spans != NULL, "%s", text);
  fit = cc_cutlist_fit (spans, choices, frame, 60 * GST_SECOND, total);
  if (out)
    *out = spans;
  else
    g_array_unref (spans);
  return fit;
}

GST_START_TEST (test_platform_fit)
{
  guint64 frame = 40 * MS, ntsc, total = 1;
  GPtrArray *choices = g_ptr_array_new_with_free_func (g_free);
  GArray *spans;
  CcSpan *sp;

  /* 25 fps: 19 ms rounds down, 20 ms (half a frame) up; the middle span
   * is left empty and dropped */
  fail_unless_equals_int (fit_text ("0:00.019-0:01.039,0:02.020-0:02.050,"
          "0:03.021-0:04", frame, NULL, &total, &spans), CC_CUT_FITS);
  fail_unless_equals_int (spans->len, 2);
  sp = (CcSpan *) spans->data;
  fail_unless_equals_uint64 (sp[0].start, 0);
  fail_unless_equals_uint64 (sp[0].end, 1000 * MS);
  fail_unless_equals_uint64 (sp[1].start, 3040 * MS);
  fail_unless_equals_uint64 (sp[1].end, 4000 * MS);
  fail_unless_equals_uint64 (total, 1960 * MS);
  g_array_unref (spans);

  /* choices take the spans as cut, and only when none was dropped */
  for (guint i = 0; i < 2; i++) {
    CcCutChoice *c = g_new0 (CcCutChoice, 1);

    c->span.start = (i * 3000 + 21) * MS;
    c->span.end = (i * 3000 + 1039) * MS;
    g_ptr_array_add (choices, c);
  }
  spans = cc_cutlist_choice_spans (choices);
  fail_unless_equals_int (spans->len, 2);
  fail_unless_equals_int (cc_cutlist_fit (spans, choices, frame,
          60 * GST_SECOND, &total), CC_CUT_FITS);
  g_array_unref (spans);
  sp = &((CcCutChoice *) g_ptr_array_index (choices, 1))->span;
  fail_unless_equals_uint64 (sp->start, 3040 * MS);
  fail_unless_equals_uint64 (sp->end, 4000 * MS);
  fail_unless_equals_int (fit_text ("0:00.500-0:01,0:02.020-0:02.050", frame,
          choices, &total, NULL), CC_CUT_FITS);
  sp = &((CcCutChoice *) g_ptr_array_index (choices, 0))->span;
  fail_unless_equals_uint64 (sp->start, 40 * MS);     /* not 520 ms */
  fail_unless_equals_uint64 (total, 480 * MS);

  /* nothing left, or more than the maximum once on the grid */
  fail_unless_equals_int (fit_text ("0:02.020-0:02.050", frame, NULL, &total,
          NULL), CC_CUT_EMPTY);
  fail_unless_equals_uint64 (total, 0);
  fail_unless_equals_int (fit_text ("0:00-1:00.039", frame, NULL, &total,
          NULL), CC_CUT_FITS);
  fail_unless_equals_uint64 (total, 60 * GST_SECOND);
  fail_unless_equals_int (fit_text ("0:00-1:00.040", frame, NULL, &total,
          NULL), CC_CUT_TOO_LONG);

  /* 30000/1001 fps: the end is a whole number of frames, under a frame
   * short of the list's */
  ntsc = gst_util_uint64_scale_int (GST_SECOND, 1001, 30000);
  fail_unless_equals_int (fit_text ("0:00-0:10", ntsc, NULL, &total, NULL),
      CC_CUT_FITS);
  fail_unless_equals_uint64 (total % ntsc, 0);
  fail_unless (total <= 10 * GST_SECOND && 10 * GST_SECOND - total < ntsc);

  g_ptr_array_unref (choices);
}

GST_END_TEST;

static Suite *
cutlist_suite (void)
{
  Suite *s = suite_create ("cutlist");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_parse_and_format);
  tcase_add_test (tc, test_video_frames_kept);
  tcase_add_test (tc, test_audio_sample_exact_with_fades);
  tcase_add_test (tc, test_video_dip_at_join);
  tcase_add_test (tc, test_nonzero_start);
  tcase_add_test (tc, test_after_end_behind_tee);
  tcase_add_test (tc, test_auto_choice);
  tcase_add_test (tc, test_platform_fit);
  tcase_add_test (tc, test_clip_at_end);
  return s;
}

GST_CHECK_MAIN (cutlist);
