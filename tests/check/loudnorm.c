/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * loudnorm under GstHarness: measurement, two-pass and live normalisation
 * checked by a separate libebur128 meter on what comes out; the true-peak
 * ceiling on clipping input; silence left alone; mono, stereo and 5.1;
 * latency, timestamps and draining.
 */
#include <math.h>
#include <string.h>
#include <ebur128.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>

#include "testmedia.h"

#define RATE 48000

static gchar *
caps_for (guint channels)
{
  return g_strdup_printf ("audio/x-raw,format=F32LE,layout=interleaved,"
      "rate=%d,channels=%u,channel-mask=(bitmask)0x%x", RATE, channels,
      channels == 1 ? 0x4 : channels == 2 ? 0x3 : 0x3f);
}

/* Speech-like test signal: noise through a gentle low-pass, gated in
 * syllables (4 per second) with pauses, a fixed seed. Optional clicks at
 * full scale every second make it clip when raised. */
static GArray *
make_signal (guint channels, gdouble seconds, gdouble level, gboolean clicks)
{
  guint frames = (guint) (seconds * RATE);
  GArray *a = g_array_sized_new (FALSE, FALSE, sizeof (gfloat),
      frames * channels);
  GRand *rand = g_rand_new_with_seed (7);
  gdouble lp = 0;

  for (guint i = 0; i < frames; i++) {
    gdouble t = i / (gdouble) RATE;
    gdouble syllable = fmod (t * 4.0, 1.0) < 0.7 ? 1.0 : 0.05;
    gdouble phrase = fmod (t, 3.0) < 2.5 ? 1.0 : 0.02;
    gdouble v;

    lp = 0.7 * lp + 0.3 * g_rand_double_range (rand, -1, 1);
    v = lp * level * syllable * phrase;
    if (clicks && i % RATE == 100)
      v = 0.99;
    for (guint c = 0; c < channels; c++) {
      gfloat s = (gfloat) v;
      g_array_append_val (a, s);
    }
  }
  g_rand_free (rand);
  return a;
}

/* Pushes the signal in 1024-frame buffers, then EOS; returns everything
 * that came out, in order. */
static GArray *
run (GstHarness * h, GArray * sig, guint channels)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gfloat));
  guint frames = sig->len / channels;
  GstBuffer *b;

  for (guint i = 0; i < frames; i += 1024) {
    guint n = MIN (1024, frames - i);
    GstBuffer *buf = gst_buffer_new_memdup (&g_array_index (sig, gfloat,
            i * channels), (gsize) n * channels * sizeof (gfloat));

    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (i, GST_SECOND, RATE);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (n, GST_SECOND, RATE);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    while ((b = gst_harness_try_pull (h))) {
      GstMapInfo map;
      gst_buffer_map (b, &map, GST_MAP_READ);
      g_array_append_vals (out, map.data, map.size / sizeof (gfloat));
      gst_buffer_unmap (b, &map);
      gst_buffer_unref (b);
    }
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  while ((b = gst_harness_try_pull (h))) {
    GstMapInfo map;
    gst_buffer_map (b, &map, GST_MAP_READ);
    g_array_append_vals (out, map.data, map.size / sizeof (gfloat));
    gst_buffer_unmap (b, &map);
    gst_buffer_unref (b);
  }
  return out;
}

/* An independent meter over a whole signal. */
static void
meter (GArray * sig, guint channels, gdouble * integrated, gdouble * tp_db)
{
  ebur128_state *st = ebur128_init (channels, RATE, EBUR128_MODE_I |
      EBUR128_MODE_TRUE_PEAK);
  gdouble peak = 0;

  if (channels == 6) {
    int map[6] = { EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER,
      EBUR128_UNUSED, EBUR128_LEFT_SURROUND, EBUR128_RIGHT_SURROUND
    };
    for (guint c = 0; c < 6; c++)
      ebur128_set_channel (st, c, map[c]);
  }
  ebur128_add_frames_float (st, (float *) sig->data, sig->len / channels);
  ebur128_loudness_global (st, integrated);
  for (guint c = 0; c < channels; c++) {
    gdouble p;
    ebur128_true_peak (st, c, &p);
    peak = MAX (peak, p);
  }
  *tp_db = 20 * log10 (MAX (peak, 1e-12));
  ebur128_destroy (&st);
}

static GstHarness *
harness (const gchar * props, guint channels, GstBus ** bus)
{
  gchar *desc = g_strdup_printf ("loudnorm %s", props);
  gchar *caps = caps_for (channels);
  GstHarness *h = gst_harness_new_parse (desc);

  gst_harness_set_src_caps_str (h, caps);
  *bus = gst_bus_new ();
  gst_element_set_bus (h->element, *bus);
  g_free (desc);
  g_free (caps);
  return h;
}

static void
harness_free (GstHarness * h, GstBus * bus)
{
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

/* The final campuscut-loudness message (caller unrefs). */
static GstMessage *
final_message (GstBus * bus)
{
  GstMessage *m, *last = NULL;

  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (m);
    gboolean final = FALSE;

    if (gst_structure_has_name (s, "campuscut-loudness") &&
        gst_structure_get_boolean (s, "final", &final) && final) {
      if (last)
        gst_message_unref (last);
      last = m;
    } else {
      gst_message_unref (m);
    }
  }
  return last;
}

static gdouble
field (GstMessage * m, const gchar * name)
{
  gdouble v = NAN;
  fail_unless (gst_structure_get_double (gst_message_get_structure (m), name,
          &v), "no field %s", name);
  return v;
}

static gdouble
measure_with_element (GArray * sig, guint channels)
{
  GstBus *bus;
  GstHarness *h = harness ("mode=measure", channels, &bus);
  GArray *out = run (h, sig, channels);
  GstMessage *m = final_message (bus);
  gdouble i = field (m, "integrated");

  /* measure mode leaves every sample as it was */
  fail_unless_equals_int (out->len, sig->len);
  fail_unless (memcmp (out->data, sig->data, sig->len * sizeof (gfloat)) == 0);
  gst_message_unref (m);
  g_array_unref (out);
  harness_free (h, bus);
  return i;
}

GST_START_TEST (test_measure_matches_meter)
{
  GArray *sig = make_signal (2, 20, 0.1, FALSE);
  gdouble ref, tp;
  gdouble measured = measure_with_element (sig, 2);

  meter (sig, 2, &ref, &tp);
  fail_unless (fabs (measured - ref) < 0.01, "%f vs %f", measured, ref);
  fail_unless (measured < -20 && measured > -45, "implausible %f", measured);
  g_array_unref (sig);
}

GST_END_TEST;

static void
check_two_pass (guint channels, gdouble seconds, gdouble level,
    gboolean clicks, const gchar * preset, gdouble target, gdouble ceiling)
{
  GArray *sig = make_signal (channels, seconds, level, clicks);
  gdouble in = measure_with_element (sig, channels);
  gchar *props = g_strdup_printf ("mode=two-pass preset=%s input-loudness=%f",
      preset, in);
  GstBus *bus;
  GstHarness *h = harness (props, channels, &bus);
  GArray *out = run (h, sig, channels);
  gdouble i, tp;
  GstMessage *m = final_message (bus);

  /* every frame comes out, none twice */
  fail_unless_equals_int (out->len, sig->len);
  meter (out, channels, &i, &tp);
  fail_unless (fabs (i - target) <= 0.5, "%s, %u ch, %.0f s: %.2f LUFS "
      "(input %.2f)", preset, channels, seconds, i, in);
  fail_unless (tp <= ceiling, "true peak %.2f dBTP over %.1f", tp, ceiling);
  fail_unless (fabs (field (m, "output-integrated") - i) < 0.05);
  gst_message_unref (m);
  g_array_unref (out);
  g_array_unref (sig);
  harness_free (h, bus);
  g_free (props);
}

GST_START_TEST (test_two_pass_targets)
{
  check_two_pass (2, 15, 0.05, FALSE, "web", -16, -1);
  check_two_pass (2, 15, 0.5, FALSE, "quiet", -24, -2);
  check_two_pass (2, 15, 0.05, FALSE, "ebu", -23, -1);
  check_two_pass (2, 15, 0.05, FALSE, "mobile", -15, -1);
}

GST_END_TEST;

/* Quiet speech with full-scale clicks: raising it would clip; the limiter
 * holds the ceiling and the loudness still lands on target. */
GST_START_TEST (test_clipping_input_limited)
{
  check_two_pass (2, 20, 0.03, TRUE, "web", -16, -1);
  check_two_pass (1, 20, 0.03, TRUE, "mobile", -15, -1);
}

GST_END_TEST;

GST_START_TEST (test_surround)
{
  GArray *sig = make_signal (6, 10, 0.1, FALSE);
  gdouble measured = measure_with_element (sig, 6), ref, tp;

  meter (sig, 6, &ref, &tp);
  fail_unless (fabs (measured - ref) < 0.01, "%f vs %f", measured, ref);
  check_two_pass (6, 10, 0.1, FALSE, "web", -16, -1);
  g_array_unref (sig);
}

GST_END_TEST;

/* Silence (and room noise below the gate) is never pumped up. */
GST_START_TEST (test_silence_left_alone)
{
  GArray *sig = make_signal (2, 5, 0.0001, FALSE);
  gdouble in = measure_with_element (sig, 2);
  gchar *props = g_strdup_printf ("mode=two-pass input-loudness=%f",
      isfinite (in) ? in : -200.0);
  GstBus *bus;
  GstHarness *h = harness (props, 2, &bus);
  GArray *out = run (h, sig, 2);
  /* popping one type of message discards the others: warnings first */
  GstMessage *w = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  GstMessage *m = final_message (bus);
  gboolean silent = FALSE;
  gfloat max_in = 0, max_out = 0;

  fail_unless (!(in >= -70.0), "not below the gate: %f", in);
  for (guint k = 0; k < sig->len; k++) {
    max_in = MAX (max_in, fabsf (g_array_index (sig, gfloat, k)));
    max_out = MAX (max_out, fabsf (g_array_index (out, gfloat, k)));
  }
  fail_unless (max_out <= max_in * 1.0001f, "amplified: %g -> %g", max_in,
      max_out);
  fail_unless (gst_structure_get_boolean (gst_message_get_structure (m),
          "silent", &silent) && silent);
  fail_unless (w != NULL, "no warning for silence");
  gst_message_unref (w);
  gst_message_unref (m);
  g_array_unref (out);
  g_array_unref (sig);
  harness_free (h, bus);
  g_free (props);
}

GST_END_TEST;

/* Walks two stereo signals of the same length in 100 ms blocks through
 * independent meters, calling back with each block's time and measures. */
typedef struct {
  gdouble t;                    /* end of the block, s */
  gdouble in_st, out_st;        /* short-term loudness, LUFS */
  gdouble out_tp, out_sp;       /* the block's true and sample peak, dB */
} LiveBlock;

static GArray *
live_blocks (GArray * in, GArray * out)
{
  const guint block = RATE / 10;
  gint mode = EBUR128_MODE_S | EBUR128_MODE_TRUE_PEAK |
      EBUR128_MODE_SAMPLE_PEAK;
  ebur128_state *si = ebur128_init (2, RATE, mode);
  ebur128_state *so = ebur128_init (2, RATE, mode);
  GArray *blocks = g_array_new (FALSE, FALSE, sizeof (LiveBlock));

  fail_unless_equals_int (in->len, out->len);
  for (guint f = 0; f + block <= out->len / 2; f += block) {
    LiveBlock b = { (f + block) / (gdouble) RATE, 0, 0, 0, 0 };
    gdouble tp = 0, sp = 0;

    ebur128_add_frames_float (si, &g_array_index (in, gfloat, 2 * f), block);
    ebur128_add_frames_float (so, &g_array_index (out, gfloat, 2 * f), block);
    ebur128_loudness_shortterm (si, &b.in_st);
    ebur128_loudness_shortterm (so, &b.out_st);
    for (guint c = 0; c < 2; c++) {
      gdouble p;
      ebur128_prev_true_peak (so, c, &p);
      tp = MAX (tp, p);
      ebur128_prev_sample_peak (so, c, &p);
      sp = MAX (sp, p);
    }
    b.out_tp = 20 * log10 (MAX (tp, 1e-12));
    b.out_sp = 20 * log10 (MAX (sp, 1e-12));
    g_array_append_val (blocks, b);
  }
  ebur128_destroy (&si);
  ebur128_destroy (&so);
  return blocks;
}

/* Live mode: bounded look-ahead in the latency query, continuous
 * timestamps, every frame out after EOS, the level moved to target without
 * overshooting it, and the ceiling kept throughout. */
GST_START_TEST (test_live_mode)
{
  /* speech at about -29 LUFS: the web target is within the rider's reach
   * (20 dB), so that it could overshoot */
  GArray *sig = make_signal (2, 30, 0.1, FALSE);
  GstBus *bus;
  GstHarness *h = harness ("mode=live preset=web", 2, &bus);
  GstClockTime min = 0, max = 0;
  GArray *out, *blocks;
  gdouble before, after, tp, in_lo = INFINITY, in_hi = -INFINITY;
  gdouble worst_tp = -INFINITY;
  GstQuery *q = gst_query_new_latency ();

  out = run (h, sig, 2);
  fail_unless_equals_int (out->len, sig->len);
  meter (sig, 2, &before, &tp);
  meter (out, 2, &after, &tp);
  /* a slow rider: most of the way in 30 s */
  fail_unless (fabs (after + 16) < fabs (before + 16) / 2, "%f -> %f", before,
      after);
  fail_unless (tp <= -1.0, "true peak %.2f dBTP", tp);

  /* Never overshooting: the rider closes the gap from below. Its gain
   * moves with a 3 s time constant and cannot follow the input's own
   * short-term variation (syllables and phrase pauses moving through the
   * 3 s window), so the output's short-term loudness may sit above the
   * target by that variation and by nothing more. */
  blocks = live_blocks (sig, out);
  fail_unless_equals_int (blocks->len, 300);
  for (guint k = 30; k < blocks->len; k++) {
    LiveBlock *b = &g_array_index (blocks, LiveBlock, k);
    in_lo = MIN (in_lo, b->in_st);
    in_hi = MAX (in_hi, b->in_st);
  }
  fail_unless (in_hi - in_lo < 0.5, "input short-term spread %.2f LU",
      in_hi - in_lo);
  for (guint k = 0; k < blocks->len; k++) {
    LiveBlock *b = &g_array_index (blocks, LiveBlock, k);
    fail_unless (b->out_st <= -16.0 + (in_hi - in_lo), "%.1f s: short-term "
        "%.2f LUFS, over the target by more than the input's spread %.2f LU",
        b->t, b->out_st, in_hi - in_lo);
  }
  /* and it did get there: the check above is not met by staying quiet */
  fail_unless (g_array_index (blocks, LiveBlock, blocks->len - 1).out_st >
      -17.0);
  g_array_unref (blocks);

  /* the harness source answers latency; loudnorm adds its look-ahead */
  gst_harness_set_upstream_latency (h, 0);
  fail_unless (gst_pad_peer_query (h->sinkpad, q));
  gst_query_parse_latency (q, NULL, &min, &max);
  fail_unless (min >= 4 * GST_MSECOND && min <= 10 * GST_MSECOND,
      "latency %" GST_TIME_FORMAT, GST_TIME_ARGS (min));
  gst_query_unref (q);
  g_array_unref (out);
  g_array_unref (sig);
  harness_free (h, bus);

  /* The same speech with full-scale clicks, which the rider's gain of about
   * 13 dB lifts far over the ceiling: every 100 ms block of the output
   * stays under -1 dBTP as an independent BS.1770 meter measures it, and
   * its samples under -1 dBFS. No tolerance: the limiter aims 0.2 dB below
   * the ceiling precisely so that the difference between its own cubic peak
   * estimate and a meter's oversampling filter stays inside; float
   * rounding is a millionth of a dB. */
  sig = make_signal (2, 30, 0.1, TRUE);
  h = harness ("mode=live preset=web", 2, &bus);
  out = run (h, sig, 2);
  fail_unless_equals_int (out->len, sig->len);
  blocks = live_blocks (sig, out);
  for (guint k = 0; k < blocks->len; k++) {
    LiveBlock *b = &g_array_index (blocks, LiveBlock, k);
    fail_unless (b->out_tp <= -1.0, "%.1f s: true peak %.3f dBTP", b->t,
        b->out_tp);
    fail_unless (b->out_sp <= -1.0, "%.1f s: sample peak %.3f dBFS", b->t,
        b->out_sp);
    worst_tp = MAX (worst_tp, b->out_tp);
  }
  /* the clicks did reach the limiter: the ceiling was tested, not avoided */
  fail_unless (worst_tp > -2.0, "highest true peak %.2f dBTP", worst_tp);
  g_array_unref (blocks);
  g_array_unref (out);
  g_array_unref (sig);
  harness_free (h, bus);
}

GST_END_TEST;

/* Output timestamps are those of the samples, not shifted by the
 * look-ahead, and run on without gaps. */
GST_START_TEST (test_timestamps_and_drain)
{
  GArray *sig = make_signal (2, 1, 0.1, FALSE);
  GstBus *bus;
  GstHarness *h = harness ("mode=two-pass input-loudness=-30", 2, &bus);
  GstClockTime expect = 0;
  guint64 frames = 0;
  GstBuffer *b;

  for (guint i = 0; i < RATE; i += 1000) {
    guint n = MIN (1000, RATE - i);
    GstBuffer *buf = gst_buffer_new_memdup (&g_array_index (sig, gfloat,
            i * 2), (gsize) n * 2 * sizeof (gfloat));
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (i, GST_SECOND, RATE);
    gst_harness_push (h, buf);
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  while ((b = gst_harness_try_pull (h))) {
    fail_unless_equals_uint64 (GST_BUFFER_PTS (b), expect);
    frames += gst_buffer_get_size (b) / 8;
    expect = gst_util_uint64_scale (frames, GST_SECOND, RATE);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b),
        expect);
    gst_buffer_unref (b);
  }
  fail_unless_equals_uint64 (frames, RATE);
  g_array_unref (sig);
  harness_free (h, bus);
}

GST_END_TEST;

GST_START_TEST (test_message_fields)
{
  GArray *sig = make_signal (2, 4, 0.1, FALSE);
  GstBus *bus;
  GstHarness *h = harness ("mode=measure interval=1000000000", 2, &bus);
  GArray *out = run (h, sig, 2);
  GstMessage *m;
  guint periodic = 0;
  static const gchar *fields[] = { "momentary", "short-term", "integrated",
    "range", "true-peak", "output-integrated", "output-true-peak", "gain",
    "limited", "target", "ceiling"
  };

  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (m);
    gboolean final;

    if (gst_structure_has_name (s, "campuscut-loudness")) {
      for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
        fail_unless (gst_structure_has_field_typed (s, fields[i],
                G_TYPE_DOUBLE), "%s", fields[i]);
      fail_unless (gst_structure_get_boolean (s, "final", &final));
      if (!final)
        periodic++;
      else {
        gdouble target;
        gst_structure_get_double (s, "target", &target);
        fail_unless_equals_int ((gint) target, -16);
      }
    }
    gst_message_unref (m);
  }
  fail_unless_equals_int (periodic, 4);
  g_array_unref (out);
  g_array_unref (sig);
  harness_free (h, bus);
}

GST_END_TEST;

static Suite *
loudnorm_suite (void)
{
  Suite *s = suite_create ("loudnorm");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_measure_matches_meter);
  tcase_add_test (tc, test_two_pass_targets);
  tcase_add_test (tc, test_clipping_input_limited);
  tcase_add_test (tc, test_surround);
  tcase_add_test (tc, test_silence_left_alone);
  tcase_add_test (tc, test_live_mode);
  tcase_add_test (tc, test_timestamps_and_drain);
  tcase_add_test (tc, test_message_fields);
  return s;
}

GST_CHECK_MAIN (loudnorm);
