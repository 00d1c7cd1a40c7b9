/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Loudness presets, the true-peak limiter and the live gain rider.
 *
 * The limiter keeps, for every frame j, the gain r[j] that would bring its
 * (interpolated) peak to the ceiling; takes the minimum of r over a window
 * of W frames; lets that recover at the release rate; and averages it over
 * another W frames. The frame k leaving the delay line gets the average
 * over [k, k+W), every member of which is a minimum over a window holding
 * k: the gain is never above r[k], and it moves without steps.
 */
#include <math.h>
#include <string.h>

#include "ccloudness.h"

static const CcLoudnessPreset presets[] = {
  {"web", -16.0, -1.0, "web and social video"},
  {"mobile", -15.0, -1.0, "GY/T 377 mobile, noisy listening"},
  {"quiet", -24.0, -2.0, "quiet rooms and presentations"},
  {"ebu", -23.0, -1.0, "EBU R128 broadcast"},
};

const CcLoudnessPreset *
cc_loudness_presets (guint * n)
{
  *n = G_N_ELEMENTS (presets);
  return presets;
}

const CcLoudnessPreset *
cc_loudness_preset (const gchar * name)
{
  for (guint i = 0; name && i < G_N_ELEMENTS (presets); i++)
    if (g_ascii_strcasecmp (name, presets[i].name) == 0)
      return &presets[i];
  return NULL;
}

G_STATIC_ASSERT (G_N_ELEMENTS (presets) == CC_LOUDNESS_OFF);

const CcLoudnessPreset *
cc_loudness_target_preset (CcLoudnessTarget target)
{
  return (guint) target < G_N_ELEMENTS (presets) ? &presets[target] : NULL;
}

const gchar *
cc_loudness_target_to_string (CcLoudnessTarget target)
{
  const CcLoudnessPreset *p = cc_loudness_target_preset (target);

  return p ? p->name : "off";
}

gboolean
cc_loudness_target_from_string (const gchar * str, CcLoudnessTarget * target)
{
  const CcLoudnessPreset *p = cc_loudness_preset (str);

  if (p)
    *target = (CcLoudnessTarget) (p - presets);
  else if (str && g_ascii_strcasecmp (str, "off") == 0)
    *target = CC_LOUDNESS_OFF;
  return p || (str && g_ascii_strcasecmp (str, "off") == 0);
}

/* Limiter --------------------------------------------------------------- */

/* frames of history needed for the interpolation around a frame */
#define INTERP_DELAY 2

struct _CcLimiter
{
  guint channels, rate, window;
  gfloat ceiling;
  gdouble release_coef;

  /* delay line of window + INTERP_DELAY + 1 frames */
  gfloat *delay;
  guint delay_len, delay_pos;
  guint64 frames_in;

  /* last four input frames' samples per channel, for interpolation */
  gfloat *hist;

  /* running minimum of r over window: monotonic deque */
  guint64 *dq_idx;
  gfloat *dq_val;
  guint dq_head, dq_count;

  gdouble rel;                  /* released gain */
  /* box average of the released gain over window */
  gfloat *box;
  gdouble box_sum;
  guint box_pos;

  gdouble min_gain;
};

CcLimiter *
cc_limiter_new (guint channels, guint rate, gdouble ceiling_db,
    gdouble lookahead_s, gdouble release_s)
{
  CcLimiter *l = g_new0 (CcLimiter, 1);

  l->channels = MAX (channels, 1);
  l->rate = MAX (rate, 1);
  l->window = MAX (1u, (guint) (lookahead_s * rate + 0.5));
  l->ceiling = (gfloat) cc_db_to_lin (ceiling_db);
  l->release_coef = 1.0 - exp (-1.0 / (MAX (release_s, 0.001) * rate));
  l->delay_len = l->window + INTERP_DELAY;
  l->delay = g_new0 (gfloat, (gsize) l->delay_len * l->channels);
  l->hist = g_new0 (gfloat, 4 * (gsize) l->channels);
  l->dq_idx = g_new0 (guint64, l->window + 1);
  l->dq_val = g_new0 (gfloat, l->window + 1);
  l->box = g_new0 (gfloat, l->window);
  cc_limiter_reset (l);
  return l;
}

void
cc_limiter_free (CcLimiter * l)
{
  if (l == NULL)
    return;
  g_free (l->delay);
  g_free (l->hist);
  g_free (l->dq_idx);
  g_free (l->dq_val);
  g_free (l->box);
  g_free (l);
}

void
cc_limiter_reset (CcLimiter * l)
{
  memset (l->delay, 0, sizeof (gfloat) * l->delay_len * l->channels);
  memset (l->hist, 0, sizeof (gfloat) * 4 * l->channels);
  l->delay_pos = 0;
  l->frames_in = 0;
  l->dq_head = l->dq_count = 0;
  l->rel = 1.0;
  for (guint i = 0; i < l->window; i++)
    l->box[i] = 1.0f;
  l->box_sum = l->window;
  l->box_pos = 0;
  l->min_gain = 1.0;
}

guint
cc_limiter_latency (const CcLimiter * l)
{
  return l->window - 1 + INTERP_DELAY;
}

/* Largest magnitude on the segment between p1 and p2 (Catmull-Rom). */
static gfloat
segment_peak (gfloat p0, gfloat p1, gfloat p2, gfloat p3)
{
  gfloat peak = fabsf (p1);

  for (gint k = 1; k < 4; k++) {
    gfloat t = k * 0.25f, t2 = t * t, t3 = t2 * t;
    gfloat y = 0.5f * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 -
            p3) * t2 + (-p0 + 3 * p1 - 3 * p2 + p3) * t3);
    peak = MAX (peak, fabsf (y));
  }
  return peak;
}

static void
push_min (CcLimiter * l, guint64 idx, gfloat v)
{
  guint cap = l->window + 1;

  /* drop larger values from the back, expired ones from the front */
  while (l->dq_count && l->dq_val[(l->dq_head + l->dq_count - 1) % cap] >= v)
    l->dq_count--;
  l->dq_idx[(l->dq_head + l->dq_count) % cap] = idx;
  l->dq_val[(l->dq_head + l->dq_count) % cap] = v;
  l->dq_count++;
  while (l->dq_idx[l->dq_head] + l->window <= idx) {
    l->dq_head = (l->dq_head + 1) % cap;
    l->dq_count--;
  }
}

/* Feeds one frame (already multiplied by the input gain). Writes a frame
 * to out and returns TRUE once the delay line is full. */
static gboolean
step (CcLimiter * l, const gfloat * frame, gfloat * out)
{
  guint ch = l->channels;
  gfloat r = 1.0f, peak = 0.0f, *slot;
  gdouble g;
  gboolean ready;

  /* history: hist[c*4 + 0..3] = x[n-3], x[n-2], x[n-1], x[n] */
  for (guint c = 0; c < ch; c++) {
    gfloat *h = &l->hist[c * 4];
    memmove (h, h + 1, 3 * sizeof (gfloat));
    h[3] = frame[c];
    peak = MAX (peak, segment_peak (h[0], h[1], h[2], h[3]));
  }
  if (peak > l->ceiling)
    r = l->ceiling / peak;
  /* r belongs to frame n - 2 (the segment after x[n-2]) */
  push_min (l, l->frames_in, r);

  g = MIN ((gdouble) l->dq_val[l->dq_head], l->rel + (1.0 - l->rel) *
      l->release_coef);
  l->rel = g;
  l->box_sum += g - l->box[l->box_pos];
  l->box[l->box_pos] = (gfloat) g;
  l->box_pos = (l->box_pos + 1) % l->window;

  /* the frame window-1 + INTERP_DELAY back leaves the delay line now */
  slot = &l->delay[(gsize) l->delay_pos * ch];
  ready = l->frames_in >= cc_limiter_latency (l);
  if (ready) {
    gdouble gain = MIN (1.0, l->box_sum / l->window);
    for (guint c = 0; c < ch; c++)
      out[c] = (gfloat) (slot[c] * gain);
    l->min_gain = MIN (l->min_gain, gain);
  }
  memcpy (slot, frame, ch * sizeof (gfloat));
  l->delay_pos = (l->delay_pos + 1) % l->delay_len;
  l->frames_in++;
  return ready;
}

guint
cc_limiter_process (CcLimiter * l, const gfloat * in, guint n, gdouble gain,
    gfloat * out)
{
  guint produced = 0, ch = l->channels;
  gfloat frame[64];

  g_return_val_if_fail (ch <= G_N_ELEMENTS (frame), 0);
  for (guint i = 0; i < n; i++) {
    for (guint c = 0; c < ch; c++)
      frame[c] = (gfloat) (in[(gsize) i * ch + c] * gain);
    if (step (l, frame, out + (gsize) produced * ch))
      produced++;
  }
  return produced;
}

guint
cc_limiter_drain (CcLimiter * l, gfloat * out)
{
  guint n = (guint) MIN (l->frames_in, (guint64) cc_limiter_latency (l));
  guint produced = 0;
  gfloat zero[64] = { 0 };

  for (guint i = 0; i < cc_limiter_latency (l) && produced < n; i++)
    if (step (l, zero, out + (gsize) produced * l->channels))
      produced++;
  cc_limiter_reset (l);
  return produced;
}

gdouble
cc_limiter_take_min_gain_db (CcLimiter * l)
{
  gdouble g = l->min_gain;

  l->min_gain = 1.0;
  return 20.0 * log10 (MAX (g, 1e-9));
}

/* Gain rider ------------------------------------------------------------ */

void
cc_gain_rider_init (CcGainRider * r, gdouble target_lufs)
{
  r->target_lufs = target_lufs;
  r->max_gain_db = 20.0;
  r->time_constant_s = 3.0;
  r->gain_db = 0.0;
}

gdouble
cc_gain_rider_update (CcGainRider * r, gdouble st, gdouble dt)
{
  gdouble want, a;

  /* Pauses and noise keep the gain they have: never ride up silence. */
  if (!isfinite (st) || st < r->target_lufs - 30.0)
    return r->gain_db;
  want = CLAMP (r->target_lufs - st, -r->max_gain_db, r->max_gain_db);
  a = 1.0 - exp (-dt / r->time_constant_s);
  r->gain_db += (want - r->gain_db) * a;
  return r->gain_db;
}
