/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Depth reduction with a 4x4 Bayer dither: each 8-bit value is the
 * high-depth value plus a threshold from the matrix, shifted down. The
 * thresholds average to half the dropped range, so rounding is unbiased,
 * and a flat 10-bit area between two 8-bit levels becomes a fine pattern
 * whose 2x2 average (what a 2:1 downscale, 4K to 1080p, computes) keeps
 * the 10-bit level instead of a band. One pass, integer only, a loop the
 * compiler vectorises: at 3840x2160 a frame takes a few milliseconds
 * where GstVideoConverter's generic path (unpack to 16-bit 4:4:4, pack)
 * takes tens.
 */
#include "ccdepth.h"

static const guint8 bayer4[4][4] = {
  {0, 8, 2, 10},
  {12, 4, 14, 6},
  {3, 11, 1, 9},
  {15, 7, 13, 5},
};

/* 16 samples: a fixed count the compiler turns into vector code even at
 * -O2's cheap vectorisation (lanes of 16-bit words, no tail). Signed
 * words, since SSE2 (the x86-64 baseline) has a signed 16-bit minimum
 * only: the top bit, never set by a depth of 15 or less, is dropped. */
static inline void
reduce16 (const guint16 * restrict src, guint8 * restrict dst,
    const gint16 * restrict d, gint16 max, guint shift)
{
  for (guint i = 0; i < 16; i++) {
    gint16 v = (gint16) (GUINT16_FROM_LE (src[i]) & 0x7fff);

    v = (gint16) ((MIN (v, max) + d[i]) >> shift);
    dst[i] = (guint8) MIN (v, 255);
  }
}

void
cc_depth_reduce_row (const guint16 * src, guint8 * dst, guint width,
    guint depth, guint row)
{
  const guint shift = depth - 8;
  const gint16 max = (gint16) ((1u << depth) - 1);
  gint16 d[16];
  guint x = 0;

  g_return_if_fail (depth >= 9 && depth <= 15);
  /* the matrix's 16 levels scaled to the shift's 2^shift, four times */
  for (guint i = 0; i < 16; i++)
    d[i] = shift <= 4 ? bayer4[row & 3][i & 3] >> (4 - shift) :
        (gint16) (bayer4[row & 3][i & 3] << (shift - 4));
  for (; x + 16 <= width; x += 16)
    reduce16 (src + x, dst + x, d, max, shift);
  for (; x < width; x++) {
    gint v = MIN (GUINT16_FROM_LE (src[x]) & 0x7fff, max) + d[x & 15];

    dst[x] = (guint8) MIN (v >> shift, 255);
  }
}
