/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Loudness normalisation pieces that need no pipeline: the targets of the
 * presets, a look-ahead true-peak limiter, and the slow gain rider of the
 * live mode. Loudness itself is measured with libebur128 by the element.
 */
#pragma once

#include <math.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const gchar *name;
  gdouble target_lufs;
  gdouble ceiling_dbtp;
  const gchar *description;
} CcLoudnessPreset;

/* The presets by id, in the order of cc_loudness_presets(); OFF is no
 * normalisation (no preset). */
typedef enum {
  CC_LOUDNESS_WEB = 0,
  CC_LOUDNESS_MOBILE,
  CC_LOUDNESS_QUIET,
  CC_LOUDNESS_EBU,
  CC_LOUDNESS_OFF,
} CcLoudnessTarget;

const CcLoudnessPreset *cc_loudness_preset (const gchar * name);
const CcLoudnessPreset *cc_loudness_presets (guint * n);
/* NULL for CC_LOUDNESS_OFF */
const CcLoudnessPreset *cc_loudness_target_preset (CcLoudnessTarget target);
const gchar *cc_loudness_target_to_string (CcLoudnessTarget target);
/* Preset names and "off", any case. */
gboolean cc_loudness_target_from_string (const gchar * str,
    CcLoudnessTarget * target);

/* Below this a programme counts as silent (BS.1770 absolute gate). */
#define CC_LOUDNESS_GATE_LUFS (-70.0)

static inline gdouble
cc_db_to_lin (gdouble db)
{
  return pow (10.0, db / 20.0);
}

/* Look-ahead limiter on interleaved float frames. Peaks between samples
 * are estimated by cubic interpolation at 4x, so that the true peak stays
 * at the ceiling; the gain comes down smoothly over the look-ahead before a
 * peak and recovers over the release time after it. */
typedef struct _CcLimiter CcLimiter;

CcLimiter *cc_limiter_new (guint channels, guint rate, gdouble ceiling_db,
    gdouble lookahead_s, gdouble release_s);
void cc_limiter_free (CcLimiter * lim);
void cc_limiter_reset (CcLimiter * lim);
/* Frames the output lags the input by. */
guint cc_limiter_latency (const CcLimiter * lim);
/* Multiplies n frames of in by gain, limits, and writes the frames that
 * leave the look-ahead to out (room for n frames); returns how many. The
 * first latency frames of a stream produce no output; cc_limiter_drain
 * flushes them at the end. */
guint cc_limiter_process (CcLimiter * lim, const gfloat * in, guint n,
    gdouble gain, gfloat * out);
/* Writes the frames still in the look-ahead to out (room for latency
 * frames) and resets; returns how many. */
guint cc_limiter_drain (CcLimiter * lim, gfloat * out);
/* Lowest gain the limiter applied since the last call, in dB (<= 0). */
gdouble cc_limiter_take_min_gain_db (CcLimiter * lim);

/* Live mode's gain rider: follows short-term loudness towards the target,
 * slowly, never boosting silence or noise. */
typedef struct {
  gdouble target_lufs;
  gdouble max_gain_db;
  gdouble time_constant_s;
  gdouble gain_db;
} CcGainRider;

void cc_gain_rider_init (CcGainRider * r, gdouble target_lufs);
/* Updates after dt seconds with the latest short-term loudness (LUFS, may
 * be -inf); returns the gain to apply in dB. */
gdouble cc_gain_rider_update (CcGainRider * r, gdouble shortterm_lufs,
    gdouble dt);

G_END_DECLS
