/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Raw media helpers shared by the elements that cut (durationguard,
 * cutlist): what a stream is, how long a buffer lasts, and fades on
 * buffers in whatever raw layout they come (the arithmetic is ccfade.c).
 */
#pragma once

#include <gst/audio/audio.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

typedef enum {
  CC_MEDIA_OTHER,               /* anything not raw audio or video */
  CC_MEDIA_VIDEO,
  CC_MEDIA_AUDIO,
} CcMediaKind;

typedef struct {
  CcMediaKind kind;
  GstVideoInfo video;
  GstAudioInfo audio;
} CcMedia;

void cc_media_from_caps (CcMedia * media, GstCaps * caps);
/* Raw audio by its sample count, else the buffer's duration, else one
 * frame of raw video; 0 when nothing tells. */
GstClockTime cc_media_buffer_duration (const CcMedia * media, GstBuffer * buf);

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
