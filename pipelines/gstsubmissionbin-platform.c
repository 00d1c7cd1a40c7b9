/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * submissionbin, platform framing: the platform cut's video after the
 * split, its segments kept before anything is scaled, framed 9:16 over a
 * blurred, darkened copy of itself (or in the source's aspect).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/video/video.h>

#include "gstsubmissionbin-private.h"

/* The blurred background is this small before it is blown up: the
 * upscale is the blur. */
#define BG_BLUR_W 18
#define BG_BLUR_H 32
/* the longest side of the shrunk source before its 9:16 crop */
#define BG_BLUR_MAX 1024

/* The background fills the 9:16 frame: the source shrunk to a few pixels
 * in its own aspect, then its middle cut to 9:16. Cropping the tiny
 * picture rather than the source keeps the crop out of the caps a
 * source offers upstream: a rotation tag turns 16:9 into 9:16 after the
 * first caps, and a crop sized for the old caps would refuse the new
 * ones (aspectratiocrop did, and failed every rotated phone video). */
static void
set_platform_background (GstSubmissionBin * self, guint dw, guint dh)
{
  PlatformFrame *p = &self->frame;
  guint tw = BG_BLUR_W, th = BG_BLUR_H, cx = 0, cy = 0;
  GstCaps *c;

  if ((guint64) dw * BG_BLUR_H > (guint64) dh * BG_BLUR_W)
    tw = MIN (BG_BLUR_MAX, MAX (BG_BLUR_W,
            gst_util_uint64_scale_round (BG_BLUR_H, dw, dh))) & ~1u;
  else
    th = MIN (BG_BLUR_MAX, MAX (BG_BLUR_H,
            gst_util_uint64_scale_round (BG_BLUR_W, dh, dw))) & ~1u;
  /* even offsets: I420's chroma is cropped with the luma */
  cx = ((tw - BG_BLUR_W) / 2) & ~1u;
  cy = ((th - BG_BLUR_H) / 2) & ~1u;
  c = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420",
      "width", G_TYPE_INT, (gint) tw, "height", G_TYPE_INT, (gint) th,
      "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  g_object_set (p->bg_filter, "caps", c, NULL);
  gst_caps_unref (c);
  g_object_set (p->bg_crop, "left", (gint) cx, "right",
      (gint) (tw - BG_BLUR_W - cx), "top", (gint) cy, "bottom",
      (gint) (th - BG_BLUR_H - cy), NULL);
  GST_DEBUG_OBJECT (self, "platform background %ux%u cropped at %u,%u",
      tw, th, cx, cy);
}

/* Platform frame for a source displayed dw x dh: 9:16 with the picture
 * fitted across it, or the source's own aspect like the full cut. */
void
submission_platform_set_size (GstSubmissionBin * self, guint dw, guint dh)
{
  PlatformFrame *p = &self->frame;
  guint W, H, fw, fh;
  GstCaps *c;

  if (!self->platform_portrait || p->fg_filter == NULL) {
    cc_output_frame_size (dw, dh, self->out_long_edge, self->out_short_edge,
        &W, &H);
    c = submission_frame_caps (self, W, H);
    g_object_set (p->fit_filter, "caps", c, NULL);
    gst_caps_unref (c);
    return;
  }
  W = self->out_short_edge & ~1u;
  H = self->out_long_edge & ~1u;
  /* fit the picture inside W x H, keeping its aspect */
  if ((guint64) dw * H > (guint64) dh * W) {
    fw = W;
    fh = (guint) MAX (2, gst_util_uint64_scale_round (W, dh, dw)) & ~1u;
  } else {
    fh = H;
    fw = (guint) MAX (2, gst_util_uint64_scale_round (H, dw, dh)) & ~1u;
  }
  c = submission_frame_caps (self, fw, fh);
  g_object_set (p->fg_filter, "caps", c, NULL);
  gst_caps_unref (c);
  g_object_set (p->fg_pad, "xpos", (gint) (W - fw) / 2, "ypos",
      (gint) (H - fh) / 2, NULL);
  c = submission_frame_caps (self, W, H);
  g_object_set (p->fit_filter, "caps", c, NULL);
  gst_caps_unref (c);
  set_platform_background (self, dw, dh);
  GST_INFO_OBJECT (self, "platform frame %ux%u, picture %ux%u", W, H, fw, fh);
}

/* Requests a compositor pad and links src (a static "src" pad) to it. */
static GstPad *
link_to_compositor (GstElement * src, GstElement * comp)
{
  GstPad *sink = gst_element_request_pad_simple (comp, "sink_%u");
  GstPad *pad = gst_element_get_static_pad (src, "src");
  gboolean ok = sink && gst_pad_link (pad, sink) == GST_PAD_LINK_OK;

  gst_object_unref (pad);
  if (!ok && sink) {
    gst_element_release_request_pad (comp, sink);
    gst_clear_object (&sink);
  }
  return sink;
}

/* The 9:16 frame after head: the kept frames split into the picture,
 * fitted, and a tiny copy blown up behind it (the blur), darkened. Returns
 * the compositor, or NULL. */
static GstElement *
build_portrait_frame (GstSubmissionBin * self, GstElement * head)
{
  PlatformFrame *p = &self->frame;
  GstElement *split, *comp, *bg[5], *fg[3];
  GstStructure *cfg;
  GstPad *bg_pad;

  split = submission_make_child (self, "tee", "platform-split");
  comp = submission_make_child (self, "compositor", "platform-frame");
  fg[0] = submission_make_queue (self, "platform-fg-queue");
  fg[1] = submission_make_child (self, "videoconvertscale", "platform-fg");
  fg[2] = p->fg_filter = submission_make_child (self, "capsfilter",
      "platform-fg-filter");
  bg[0] = submission_make_queue (self, "platform-bg-queue");
  bg[1] = submission_make_child (self, "videoconvertscale", "platform-bg");
  bg[2] = p->bg_filter = submission_make_child (self, "capsfilter",
      "platform-bg-filter");
  bg[3] = p->bg_crop = submission_make_child (self, "videocrop",
      "platform-crop");
  bg[4] = submission_make_child (self, "videobalance", "platform-dim");
  if (!split || !comp || !submission_chain_ok (fg, 3) ||
      !submission_chain_ok (bg, 5))
    return NULL;

  g_object_set (fg[1], "add-borders", TRUE, "n-threads",
      submission_threads (self), NULL);
  /* the tiny size keeps the source's aspect to the nearest pixel: no
   * borders for the rounding */
  g_object_set (bg[1], "add-borders", FALSE, NULL);
  set_platform_background (self, 16, 9);
  g_object_set (bg[4], "brightness", -0.25, "saturation", 0.8, NULL);

  if (!submission_link_pads (head, "src", split, "sink") ||
      !submission_link_pads (split, "src_%u", fg[0], "sink") ||
      !submission_link_pads (split, "src_%u", bg[0], "sink") ||
      !submission_link_chain (fg, 3) || !submission_link_chain (bg, 5))
    return NULL;
  /* the background's pad first: the compositor draws in pad order */
  bg_pad = link_to_compositor (bg[4], comp);
  p->fg_pad = link_to_compositor (fg[2], comp);
  if (bg_pad == NULL || p->fg_pad == NULL) {
    gst_clear_object (&bg_pad);
    return NULL;
  }
  /* a smooth (cubic) blow-up of the tiny picture is the blur */
  cfg = gst_structure_new ("GstVideoConverter",
      GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD,
      GST_TYPE_VIDEO_RESAMPLER_METHOD, GST_VIDEO_RESAMPLER_METHOD_CUBIC,
      NULL);
  g_object_set (bg_pad, "zorder", 0, "width",
      (gint) (self->out_short_edge & ~1u), "height",
      (gint) (self->out_long_edge & ~1u), "converter-config", cfg, NULL);
  gst_structure_free (cfg);
  gst_object_unref (bg_pad);
  g_object_set (p->fg_pad, "zorder", 1, NULL);

  submission_sync_chain (bg, 5);
  submission_sync_chain (fg, 3);
  submission_start_child (comp);
  submission_start_child (split);
  return comp;
}

/* Platform video: the cut first (frames outside it cost nothing more),
 * then the 9:16 framing, overlays laid out for portrait, its own encoder.
 * @src names @upstream's pad: a request pad of the split, or the static
 * "src" when the platform cut is the only output. */
gboolean
submission_platform_build_video (GstSubmissionBin * self,
    GstElement * upstream, const gchar * src)
{
  GstElement *chain[12];
  guint n = 0;

  /* The cut before the queue: what is dropped never fills it, so the
   * full branch is never held up by a platform encoder waiting for the
   * next segment. */
  chain[n++] = submission_make_child (self, "cutlist", "platform-video-cut");
  chain[n++] = submission_make_queue (self, "platform-queue");
  if (!submission_chain_ok (chain, n))
    return FALSE;
  g_object_set (chain[0], "segments", self->platform_segments,
      "stop-upstream", submission_platform_only (self), NULL);
  if (!submission_link_pads (upstream, src, chain[0], "sink") ||
      !submission_link_chain (chain, n))
    return FALSE;
  submission_sync_chain (chain, n);
  GST_INFO_OBJECT (self, "platform cut keeps %s, %s",
      self->platform_segments, self->platform_portrait ? "9:16" :
      "in the source's aspect");

  /* chain[0] is where the kept frames come out, already running */
  if (self->platform_portrait) {
    chain[0] = build_portrait_frame (self, chain[1]);
    if (chain[0] == NULL)
      return FALSE;
    n = 1;
  } else {
    chain[0] = chain[1];
    n = 1;
    chain[n++] = submission_make_child (self, "videoconvertscale",
        "platform-fit");
    if (chain[1])
      g_object_set (chain[1], "add-borders", TRUE, "n-threads",
          submission_threads (self), NULL);
  }
  chain[n++] = self->frame.fit_filter = submission_make_child (self,
      "capsfilter", "platform-fit-filter");
  /* the campaign's limit holds whatever list was given */
  chain[n++] = submission_make_guard (self, "platform-video-guard", 0,
      cc_category_max (CC_CATEGORY_PLATFORM), GST_CAMPUSCUT_TOO_LONG_TRIM);
  submission_video_append_encode_tail (self, chain, &n, TRUE);

  if (!submission_chain_ok (chain, n) || !submission_link_chain (chain, n) ||
      !submission_link_to_mux (chain[n - 1],
          self->out[OUTPUT_PLATFORM].video_pad))
    return FALSE;
  submission_sync_chain (chain + 1, n - 1);
  return TRUE;
}
