/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fade arithmetic for raw media: the gain at a point of a fade-out and
 * applying it to 8-bit video components and interleaved audio samples.
 * GLib-only; the elements map buffers and call these.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Gain (1 = untouched, 0 = black/silent) at time t of a fade-out that ends
 * at end and lasts length; all in nanoseconds. */
gdouble cc_fade_out_gain (guint64 t, guint64 end, guint64 length);

/* Moves n 8-bit values spaced by pstride bytes towards target. */
void cc_fade_u8 (guint8 * data, guint n, guint pstride, guint8 target,
    gdouble gain);

/* Scales interleaved samples; the gain ramps linearly from gain0 on the
 * first frame to gain1 after the last. */
void cc_fade_s16 (gint16 * data, guint frames, guint channels,
    gdouble gain0, gdouble gain1);
void cc_fade_s32 (gint32 * data, guint frames, guint channels,
    gdouble gain0, gdouble gain1);
void cc_fade_f32 (gfloat * data, guint frames, guint channels,
    gdouble gain0, gdouble gain1);
void cc_fade_f64 (gdouble * data, guint frames, guint channels,
    gdouble gain0, gdouble gain1);

G_END_DECLS
