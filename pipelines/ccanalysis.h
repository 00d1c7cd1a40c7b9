/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The analysis pass before the encode: loudness and keyframe pictures.
 *
 * The audio is decoded and measured with loudnorm; of the video only the
 * keyframes are decoded, as tiny pictures, and only when asked for.
 */
#pragma once

#include <gst/gst.h>

#include "cccutlist.h"

G_BEGIN_DECLS

typedef struct {
  gboolean has_audio;
  gdouble integrated;           /* LUFS, -inf when silent */
  gdouble range;                /* LU */
  gdouble true_peak;            /* dBTP */
  GArray *momentary;            /* gdouble LUFS every CC_LOUDNESS_STEP, or
                                 * NULL; free with cc_loudness_clear */
} CcLoudness;

#define CC_LOUDNESS_STEP (GST_SECOND / 2)

/* Measures the audio of uri; with segments (cutlist syntax) only those
 * parts, joined as the platform cut joins them. With keyframes, also
 * decodes the video's keyframes (at most two a second, as tiny gray
 * thumbnails) and appends a CcKeyframe for each: black, frozen and shot
 * changes at keyframe resolution, for a few percent of a full decode.
 * A decoder that cannot take the keyframes alone costs only those
 * signals: keyframes that do not decode are skipped, and when most do not,
 * keyframes is left empty and *keyframes_missing says why (caller frees;
 * NULL when the signals are there). *keyframes_offered receives the
 * number of keyframes handed to the decoder. */
gboolean cc_measure_loudness (const gchar * uri, const gchar * segments,
    CcLoudness * out, GArray * keyframes, guint * keyframes_offered,
    gchar ** keyframes_missing, GError ** error);
void cc_loudness_clear (CcLoudness * l);

G_END_DECLS
