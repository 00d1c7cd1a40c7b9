/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The fast analysis pass: decodes only the audio of a file (video is
 * demuxed and dropped, never decoded) and measures it with loudnorm.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  gboolean has_audio;
  gdouble integrated;           /* LUFS, -inf when silent */
  gdouble range;                /* LU */
  gdouble true_peak;            /* dBTP */
} CcLoudness;

gboolean cc_measure_loudness (const gchar * uri, CcLoudness * out,
    GError ** error);

G_END_DECLS
