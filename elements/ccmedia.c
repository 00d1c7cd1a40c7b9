/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Raw media helpers: stream kind from caps, buffer durations, and fades
 * (video frames towards black, audio towards silence; the
 * buffer must be writable).
 */
#include "ccmedia.h"
#include "ccfade.h"

/* 8-bit black: Y' of limited-range video, and the zero of Cb and Cr. */
#define BLACK_Y_LIMITED 16
#define CHROMA_ZERO 128

void
cc_media_from_caps (CcMedia * m, GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);

  m->kind = CC_MEDIA_OTHER;
  if (gst_structure_has_name (s, "video/x-raw") &&
      gst_video_info_from_caps (&m->video, caps))
    m->kind = CC_MEDIA_VIDEO;
  else if (gst_structure_has_name (s, "audio/x-raw") &&
      gst_audio_info_from_caps (&m->audio, caps))
    m->kind = CC_MEDIA_AUDIO;
}

GstClockTime
cc_media_buffer_duration (const CcMedia * m, GstBuffer * buf)
{
  if (m->kind == CC_MEDIA_AUDIO && GST_AUDIO_INFO_BPF (&m->audio) &&
      GST_AUDIO_INFO_RATE (&m->audio))
    return gst_util_uint64_scale (gst_buffer_get_size (buf) /
        GST_AUDIO_INFO_BPF (&m->audio), GST_SECOND,
        GST_AUDIO_INFO_RATE (&m->audio));
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    return GST_BUFFER_DURATION (buf);
  if (m->kind == CC_MEDIA_VIDEO && GST_VIDEO_INFO_FPS_N (&m->video) > 0)
    return gst_util_uint64_scale (GST_SECOND, GST_VIDEO_INFO_FPS_D (&m->video),
        GST_VIDEO_INFO_FPS_N (&m->video));
  return 0;
}

void
cc_media_fade_video (const GstVideoInfo * info, GstBuffer * buf, gdouble gain)
{
  const GstVideoFormatInfo *f = info->finfo;
  gboolean yuv = GST_VIDEO_FORMAT_INFO_IS_YUV (f);
  gboolean full = info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
  GstVideoFrame frame;

  if (GST_VIDEO_FORMAT_INFO_DEPTH (f, 0) != 8 ||
      !gst_video_frame_map (&frame, (GstVideoInfo *) info, buf,
          GST_MAP_READWRITE))
    return;
  for (guint c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (f); c++) {
    guint8 black = yuv ? (c == GST_VIDEO_COMP_Y ? (full ? 0 : BLACK_Y_LIMITED) :
        CHROMA_ZERO) : 0;

    if (c == GST_VIDEO_COMP_A && GST_VIDEO_FORMAT_INFO_HAS_ALPHA (f))
      continue;
    for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, c); y++)
      cc_fade_u8 ((guint8 *) GST_VIDEO_FRAME_COMP_DATA (&frame, c) +
          (gsize) y * GST_VIDEO_FRAME_COMP_STRIDE (&frame, c),
          (guint) GST_VIDEO_FRAME_COMP_WIDTH (&frame, c),
          (guint) GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, c), black, gain);
  }
  gst_video_frame_unmap (&frame);
}

/* One run of frames of one plane (or of an interleaved buffer). */
static void
fade_samples (GstAudioFormat format, guint8 * p, guint frames, guint ch,
    gdouble g0, gdouble g1)
{
  switch (format) {
    case GST_AUDIO_FORMAT_S16:
      cc_fade_s16 ((gint16 *) p, frames, ch, g0, g1);
      break;
    case GST_AUDIO_FORMAT_S32:
      cc_fade_s32 ((gint32 *) p, frames, ch, g0, g1);
      break;
    case GST_AUDIO_FORMAT_F32:
      cc_fade_f32 ((gfloat *) p, frames, ch, g0, g1);
      break;
    case GST_AUDIO_FORMAT_F64:
      cc_fade_f64 ((gdouble *) p, frames, ch, g0, g1);
      break;
    default:
      break;
  }
}

void
cc_media_fade_audio (const GstAudioInfo * info, GstBuffer * buf,
    guint first, gint n, gdouble g0, gdouble g1)
{
  guint ch = GST_AUDIO_INFO_CHANNELS (info);
  gsize bps = GST_AUDIO_INFO_WIDTH (info) / 8;
  gboolean planar =
      GST_AUDIO_INFO_LAYOUT (info) == GST_AUDIO_LAYOUT_NON_INTERLEAVED;
  GstAudioBuffer abuf;
  guint total, frames;

  /* decoders hand out planar audio (libav's AAC, MP2, Opus): each plane
   * is faded as a mono run */
  if (!gst_audio_buffer_map (&abuf, info, buf, GST_MAP_READWRITE))
    return;
  total = (guint) abuf.n_samples;
  if (first < total) {
    frames = n < 0 ? total - first : MIN ((guint) n, total - first);
    for (guint i = 0; i < (guint) abuf.n_planes; i++)
      fade_samples (GST_AUDIO_INFO_FORMAT (info), (guint8 *) abuf.planes[i] +
          first * bps * (planar ? 1 : ch), frames, planar ? 1 : ch, g0, g1);
  }
  gst_audio_buffer_unmap (&abuf);
}
