/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fades on raw GStreamer buffers, shared by the elements that cut
 * (durationguard, cutlist): the arithmetic is in ccfade.c, this maps
 * buffers in whatever raw layout they come.
 */
#pragma once

#include <gst/audio/audio.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* Moves every 8-bit component of the frame towards black (YUV: limited or
 * full range as the colorimetry says; alpha untouched) by gain. Deeper
 * formats are left as they are. */
void cc_media_fade_video (const GstVideoInfo * info, GstBuffer * buf,
    gdouble gain);

/* Scales n frames of interleaved samples from frame first on (n = -1: to
 * the end), ramping the gain from g0 to g1. Other layouts are left as
 * they are. */
void cc_media_fade_audio (const GstAudioInfo * info, GstBuffer * buf,
    guint first, gint n, gdouble g0, gdouble g1);

G_END_DECLS
