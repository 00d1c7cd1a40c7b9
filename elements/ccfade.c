/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fade arithmetic. Linear in amplitude: short (about a second) end fades
 * sound and look natural that way and need no lookup tables.
 */
#include "ccfade.h"

gdouble
cc_fade_out_gain (guint64 t, guint64 end, guint64 length)
{
  if (t >= end)
    return 0.0;
  if (length == 0 || t + length <= end)
    return 1.0;
  return (gdouble) (end - t) / (gdouble) length;
}

void
cc_fade_u8 (guint8 * data, guint n, guint pstride, guint8 target,
    gdouble gain)
{
  for (guint i = 0; i < n; i++) {
    guint8 *p = data + (gsize) i * pstride;
    *p = (guint8) (target + (gint) ((*p - (gint) target) * gain));
  }
}

#define DEFINE_FADE(name, type, lo, hi)                                     \
void                                                                        \
name (type * data, guint frames, guint channels, gdouble gain0,            \
    gdouble gain1)                                                          \
{                                                                           \
  gdouble step = frames ? (gain1 - gain0) / frames : 0.0;                   \
  for (guint f = 0; f < frames; f++) {                                      \
    gdouble g = gain0 + step * f;                                           \
    for (guint c = 0; c < channels; c++) {                                  \
      gdouble v = data[(gsize) f * channels + c] * g;                       \
      data[(gsize) f * channels + c] = (type) CLAMP (v, lo, hi);            \
    }                                                                       \
  }                                                                         \
}

DEFINE_FADE (cc_fade_s16, gint16, G_MININT16, G_MAXINT16);
DEFINE_FADE (cc_fade_s32, gint32, G_MININT32, G_MAXINT32);
DEFINE_FADE (cc_fade_f32, gfloat, -G_MAXFLOAT, G_MAXFLOAT);
DEFINE_FADE (cc_fade_f64, gdouble, -G_MAXDOUBLE, G_MAXDOUBLE);
