/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * High-bit-depth planar video (9 to 15 bits in 16-bit little-endian words,
 * as decoders of 10-bit HEVC and ProRes deliver it) to 8 bits, with an
 * ordered dither. GLib-only; submissionbin's depth converter calls it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One row of @width samples of @depth bits (9..15) to 8 bits; @row is the
 * row's number in its plane (it picks the dither's row). Values above
 * the depth's maximum are clamped. */
void cc_depth_reduce_row (const guint16 * src, guint8 * dst, guint width,
    guint depth, guint row);

G_END_DECLS
