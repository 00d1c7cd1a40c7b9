/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * submissionbin, video: the full cut's chain (deinterlace, rotation,
 * frame rate, duration rule, fit to the output frame) and the encode tail
 * both cuts share (overlays, x264 with the campaign's settings).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>

#include <glib/gi18n-lib.h>

#include "gstsubmissionbin-private.h"

GstCaps *
submission_frame_caps (GstSubmissionBin * self, guint w, guint h)
{
  return gst_caps_new_simple ("video/x-raw",
      "format", G_TYPE_STRING, "I420",
      "width", G_TYPE_INT, (gint) w, "height", G_TYPE_INT, (gint) h,
      "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1,
      "interlace-mode", G_TYPE_STRING, "progressive",
      "colorimetry", G_TYPE_STRING, "bt709",
      "chroma-site", G_TYPE_STRING, "mpeg2",
      "framerate", GST_TYPE_FRACTION, self->fps_n, self->fps_d, NULL);
}

/* After rotation the displayed orientation is known; fix the output frame
 * (landscape or portrait) before the scaler negotiates. */
static GstPadProbeReturn
rotated_caps_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (user_data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstVideoInfo vinfo;
  GstCaps *caps, *out;
  guint dw, dh, ow, oh;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;

  gst_event_parse_caps (event, &caps);
  if (!gst_video_info_from_caps (&vinfo, caps))
    return GST_PAD_PROBE_OK;

  dw = (guint) gst_util_uint64_scale_int (GST_VIDEO_INFO_WIDTH (&vinfo),
      GST_VIDEO_INFO_PAR_N (&vinfo), MAX (GST_VIDEO_INFO_PAR_D (&vinfo), 1));
  dh = GST_VIDEO_INFO_HEIGHT (&vinfo);
  cc_output_frame_size (dw, dh, self->out_long_edge, self->out_short_edge,
      &ow, &oh);

  out = submission_frame_caps (self, ow, oh);
  GST_INFO_OBJECT (self, "source displays %ux%u, output frame %" GST_PTR_FORMAT,
      dw, dh, out);
  if (self->out_filter)
    g_object_set (self->out_filter, "caps", out, NULL);
  gst_caps_unref (out);

  if (self->frame.fit_filter)
    submission_platform_set_size (self, dw, dh);
  return GST_PAD_PROBE_OK;
}

/* The rotation is in the pixels now; a tag left on the stream would make
 * players rotate a second time. */
static GstPadProbeReturn
strip_orientation_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstTagList *tags;

  if (GST_EVENT_TYPE (event) != GST_EVENT_TAG)
    return GST_PAD_PROBE_OK;

  gst_event_parse_tag (event, &tags);
  if (gst_tag_list_get_tag_size (tags, GST_TAG_IMAGE_ORIENTATION) == 0)
    return GST_PAD_PROBE_OK;

  tags = gst_tag_list_copy (tags);
  gst_tag_list_remove_tag (tags, GST_TAG_IMAGE_ORIENTATION);
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_tag (tags);
  return GST_PAD_PROBE_OK;
}

/* Watches the encoded frames: progress for the watchdog and the position
 * query, and the clock that a generated silent track follows. */
static GstPadProbeReturn
video_out_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (user_data);
  GstClockTime end = GST_CLOCK_TIME_NONE;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime rt;

    GST_OBJECT_LOCK (self);
    rt = gst_segment_to_running_time (&self->video_segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
    if (GST_CLOCK_TIME_IS_VALID (rt)) {
      end = rt + (GST_BUFFER_DURATION_IS_VALID (buf) ?
          GST_BUFFER_DURATION (buf) : 0);
      if (!GST_CLOCK_TIME_IS_VALID (self->video_end) || end > self->video_end)
        self->video_end = end;
    }
    self->last_progress = g_get_monotonic_time ();
    GST_OBJECT_UNLOCK (self);
    if (GST_CLOCK_TIME_IS_VALID (end))
      submission_audio_silence_until (self, end, FALSE);
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    switch (GST_EVENT_TYPE (event)) {
      case GST_EVENT_SEGMENT:
        GST_OBJECT_LOCK (self);
        gst_event_copy_segment (event, &self->video_segment);
        GST_OBJECT_UNLOCK (self);
        GST_DEBUG_OBJECT (self, "full cut video %" GST_SEGMENT_FORMAT,
            &self->video_segment);
        break;
      case GST_EVENT_EOS:
        GST_OBJECT_LOCK (self);
        end = self->video_end;
        GST_OBJECT_UNLOCK (self);
        GST_DEBUG_OBJECT (self, "full cut video ends at %" GST_TIME_FORMAT,
            GST_TIME_ARGS (end));
        submission_audio_silence_until (self, end, TRUE);
        break;
      default:
        break;
    }
  }
  return GST_PAD_PROBE_OK;
}

static void
apply_x264_settings (GstSubmissionBin * self, GstElement * enc,
    gboolean platform)
{
  const CcQualityPreset *p = cc_quality_preset (self->quality);
  guint gop = (guint) gst_util_uint64_scale_ceil (2, self->fps_n, self->fps_d);

  /* Every rate-control knob explicitly: x264enc's own defaults are CBR
   * 2048 kbps without B-frames. In pass=qual, quantizer is the CRF and
   * bitrate/vbv-buf-capacity become the VBV ceiling. */
  gst_util_set_object_arg (G_OBJECT (enc), "speed-preset", p->speed_preset);
  gst_util_set_object_arg (G_OBJECT (enc), "pass", "qual");
  g_object_set (enc, "quantizer", p->crf, "bitrate", p->vbv_max_kbps,
      "vbv-buf-capacity", p->vbv_buffer_ms, "key-int-max", MAX (gop, 1),
      "bframes", p->bframes, "b-adapt", TRUE, NULL);
  if (p->rc_lookahead)
    g_object_set (enc, "rc-lookahead", p->rc_lookahead, NULL);
  /* x264 chooses its own threads unless told (1.5 frame threads per core,
   * a look-ahead thread, sliced look-ahead), for both encoders. Fewer
   * threads for the platform cut's encoder (it runs only during its
   * segments, beside the full cut's) and no look-ahead thread saved about
   * 100 MB but left a core idle a quarter of the time on 2 cores: x264's
   * frame threads wait on each other's reference rows, and a frame thread
   * per core is not enough to keep both busy (docs/performance.md). */
  if (self->threads)
    g_object_set (enc, "threads", self->threads, NULL);
  /* The fast presets turn off the tools that make a stream High profile;
   * the campaign requires High, so keep them on. */
  g_object_set (enc, "dct8x8", TRUE, "cabac", TRUE, NULL);
  GST_INFO_OBJECT (self, "%s encoder: x264 %s, CRF %u, VBV %u kbit/s, GOP "
      "%u, %u B-frames, threads %s", platform ? "platform" : "full",
      p->speed_preset, p->crf, p->vbv_max_kbps, MAX (gop, 1), p->bframes,
      self->threads ? "as set" : "x264's own");
}

static GstElement *
make_video_encoder (GstSubmissionBin * self, const gchar * name,
    gboolean platform)
{
  GError *err = NULL;
  gchar **argv = NULL;
  gint argc = 0;
  GstElement *enc;

  if (!g_shell_parse_argv (self->video_encoder, &argc, &argv, &err))
    goto bad_description;

  enc = submission_make_child (self, argv[0], name);
  if (enc == NULL) {
    g_strfreev (argv);
    return NULL;
  }

  if (g_strcmp0 (argv[0], "x264enc") == 0)
    apply_x264_settings (self, enc, platform);

  for (gint i = 1; i < argc; i++) {
    gchar **kv = g_strsplit (argv[i], "=", 2);

    if (kv[1] == NULL || !g_object_class_find_property (G_OBJECT_GET_CLASS
            (enc), kv[0])) {
      g_strfreev (kv);
      goto bad_property;
    }
    gst_util_set_object_arg (G_OBJECT (enc), kv[0], kv[1]);
    g_strfreev (kv);
  }
  g_strfreev (argv);
  return enc;

  /* ERRORS */
bad_description:
  {
    BIN_ERROR_PROCESSING (self, CORE, NEGOTIATION,
        (_("Invalid video-encoder description '%s': %s"), self->video_encoder,
            err->message), (NULL));
    g_clear_error (&err);
    return NULL;
  }
bad_property:
  {
    BIN_ERROR_PROCESSING (self, CORE, NEGOTIATION,
        (_("Invalid video-encoder description '%s': each setting after the "
            "factory name must be an existing property=value"), self->
            video_encoder), (NULL));
    g_strfreev (argv);
    return NULL;
  }
}

/* Overlays, encoder queue, encoder and profile caps after a fitted frame:
 * appended to chain. Overlays come after the one scale, on the output
 * frame: drawn at output resolution and laid out for its aspect. */
void
submission_video_append_encode_tail (GstSubmissionBin * self,
    GstElement ** chain, guint * n, gboolean platform)
{
  GstElement *enc_filter;
  GstCaps *c;

  if (self->school || self->logo) {
    GstElement *wm = submission_make_child (self, "schoolwatermark",
        platform ? "platform-watermark" : "watermark");
    if (wm)
      g_object_set (wm, "text", self->school, "logo-location", self->logo,
          "platform-safe", platform, NULL);
    chain[(*n)++] = wm;
  }
  if (self->captions) {
    GstElement *cap = submission_make_child (self, "captionburn",
        platform ? "platform-captions" : "captions");
    if (cap)
      g_object_set (cap, "location", self->captions, "cut",
          platform ? self->platform_segments : NULL, NULL);
    chain[(*n)++] = cap;
  }
  chain[(*n)++] = submission_make_queue (self, platform ?
      "platform-encode-queue" : "video-encode-queue");
  chain[(*n)++] = make_video_encoder (self, platform ? "platform-encoder" :
      "video-encoder", platform);
  chain[(*n)++] = enc_filter = submission_make_child (self, "capsfilter",
      platform ? "platform-h264-filter" : "h264-filter");
  if (enc_filter) {
    c = gst_caps_new_simple ("video/x-h264", "profile", G_TYPE_STRING, "high",
        "stream-format", G_TYPE_STRING, "avc", "alignment", G_TYPE_STRING,
        "au", NULL);
    g_object_set (enc_filter, "caps", c, NULL);
    gst_caps_unref (c);
  }
}

/* The platform cut alone: the kept frames go straight to its branch, and
 * the progress and silence probe watches them where the split would be. */
static gboolean
build_platform_only (GstSubmissionBin * self, GstElement ** chain, guint n)
{
  GstPad *pad;

  if (!submission_chain_ok (chain, n) || !submission_link_chain (chain, n))
    return FALSE;
  pad = gst_element_get_static_pad (chain[n - 1], "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, video_out_probe, self, NULL);
  gst_object_unref (pad);
  return submission_platform_build_video (self, chain[n - 1], "src");
}

gboolean
submission_video_build (GstSubmissionBin * self, GstPad * decoded,
    GstCaps * caps)
{
  GstElement *chain[20];
  guint n = 0;
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *imode = gst_structure_get_string (s, "interlace-mode");
  gboolean interlaced = imode && g_strcmp0 (imode, "progressive") != 0;
  GstElement *flip, *rate, *rate_filter, *scale = NULL, *tee = NULL;
  guint64 min, max;
  GstCaps *c;
  GstPad *pad;

  if (interlaced) {
    /* deinterlace handles 8-bit only; the converter is passthrough for
     * ordinary 8-bit sources. Fields must be merged before any rotation. */
    chain[n++] = submission_make_child (self, "videoconvert", "deint-convert");
    chain[n++] = submission_make_child (self, "deinterlace", NULL);
  }
  chain[n++] = flip = submission_make_child (self, "videoflip", "rotate");
  chain[n++] = rate = submission_make_child (self, "videorate", NULL);
  chain[n++] = rate_filter = submission_make_child (self, "capsfilter",
      "rate-filter");
  /* After the rate change, before scaling: trimmed frames never cost a
   * scale or an encode. */
  submission_duration_limits (self, &min, &max);
  chain[n++] = submission_make_guard (self, "video-guard", min, max,
      self->on_too_long);
  /* Still before the split: a 10-bit source is reduced once for both
   * cuts, and only the frames kept. */
  if (submission_depth_wanted (caps, (guint64) self->out_long_edge *
          self->out_short_edge))
    chain[n++] = submission_make_depth (self, "depth");
  if (!submission_platform_only (self)) {
    /* One decode, two outputs: the platform cut branches off here,
     * before any scaling. */
    if (self->platform_location) {
      chain[n++] = tee = submission_make_child (self, "tee", "video-split");
      chain[n++] = submission_make_queue (self, "full-queue");
    }
    chain[n++] = scale = submission_make_child (self, "videoconvertscale",
        "fit");
    chain[n++] = self->out_filter = submission_make_child (self, "capsfilter",
        "fit-filter");
    submission_video_append_encode_tail (self, chain, &n, FALSE);
  }
  if (!submission_chain_ok (chain, n))
    return FALSE;

  gst_util_set_object_arg (G_OBJECT (flip), "video-direction", "auto");
  /* videoflip starts in "auto" with the identity method but not in
   * passthrough (1.22 only switches passthrough when the method changes),
   * so an upright picture would be copied frame by frame. It leaves
   * passthrough itself as soon as an orientation tag asks for a turn. */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (flip), TRUE);
  c = gst_caps_new_simple ("video/x-raw", "framerate", GST_TYPE_FRACTION,
      self->fps_n, self->fps_d, NULL);
  g_object_set (rate_filter, "caps", c, NULL);
  gst_caps_unref (c);

  pad = gst_element_get_static_pad (flip, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      rotated_caps_probe, self, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      strip_orientation_probe, NULL, NULL);
  gst_object_unref (pad);

  if (submission_platform_only (self)) {
    if (!build_platform_only (self, chain, n))
      return FALSE;
  } else {
    g_object_set (scale, "add-borders", TRUE, "n-threads",
        submission_threads (self), NULL);
    pad = gst_element_get_static_pad (self->out_filter, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, video_out_probe, self, NULL);
    gst_object_unref (pad);
    if (!submission_link_chain (chain, n) ||
        !submission_link_to_mux (chain[n - 1],
            self->out[OUTPUT_FULL].video_pad))
      return FALSE;
    if (tee && !submission_platform_build_video (self, tee, "src_%u"))
      return FALSE;
  }
  submission_sync_chain (chain, n);

  pad = gst_element_get_static_pad (chain[0], "sink");
  if (gst_pad_link (decoded, pad) != GST_PAD_LINK_OK) {
    gst_object_unref (pad);
    return FALSE;
  }
  gst_object_unref (pad);
  return TRUE;
}
