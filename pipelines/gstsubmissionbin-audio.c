/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * submissionbin, audio: the source's audio (or generated silence) to 48 kHz
 * stereo, the duration rule, loudness and one AAC encode per output.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/app/gstappsrc.h>
#include <gst/audio/audio.h>

#include "gstsubmissionbin-private.h"

/* AAC coding lets true peaks rise a little; normalise below the ceiling
 * by this much so the delivered file still keeps it. */
#define AAC_PEAK_MARGIN_DB 0.5
/* AAC-LC frames hold 1024 samples; an audio track cut on a frame boundary
 * ends exactly where its last frame does. */
#define AAC_FRAME_SAMPLES 1024
#define OUTPUT_RATE 48000

#define SILENCE_RATE OUTPUT_RATE
#define SILENCE_BPF 4           /* S16LE stereo */

static GstPadProbeReturn
audio_out_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (user_data);
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime end;

  if (!GST_BUFFER_PTS_IS_VALID (buf))
    return GST_PAD_PROBE_OK;

  /* After resampling the audio segment starts at 0 like the video's. */
  end = GST_BUFFER_PTS (buf) + (GST_BUFFER_DURATION_IS_VALID (buf) ?
      GST_BUFFER_DURATION (buf) : 0);
  GST_OBJECT_LOCK (self);
  if (!GST_CLOCK_TIME_IS_VALID (self->audio_end) || end > self->audio_end)
    self->audio_end = end;
  GST_OBJECT_UNLOCK (self);
  return GST_PAD_PROBE_OK;
}

/* AAC encoders emit one frame of priming (encoder delay) first. MP4 would
 * need an edit list to hide it and mp4mux writes none, so players would play
 * the audio one frame late and the track would run one frame past the video.
 * Drop that frame and move the rest back by its duration: content sample 0
 * plays at time 0 again, and the track ends with the video. */
static GstPadProbeReturn
aac_priming_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstClockTime *shift = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (!GST_CLOCK_TIME_IS_VALID (*shift)) {
    *shift = GST_BUFFER_DURATION_IS_VALID (buf) ? GST_BUFFER_DURATION (buf) :
        0;
    return GST_PAD_PROBE_DROP;
  }
  buf = gst_buffer_make_writable (buf);
  if (GST_BUFFER_PTS_IS_VALID (buf))
    GST_BUFFER_PTS (buf) -= MIN (*shift, GST_BUFFER_PTS (buf));
  if (GST_BUFFER_DTS_IS_VALID (buf))
    GST_BUFFER_DTS (buf) -= MIN (*shift, GST_BUFFER_DTS (buf));
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
aac_priming_reset_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  GstClockTime *shift = user_data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_FLUSH_STOP)
    *shift = GST_CLOCK_TIME_NONE;
  return GST_PAD_PROBE_OK;
}

/* The loudness normaliser for the source's audio, or NULL when off. */
static GstElement *
make_loudnorm (GstSubmissionBin * self, gboolean platform)
{
  const CcLoudnessPreset *p = cc_loudness_target_preset (self->loudness);
  GstElement *ln;

  if (p == NULL)
    return NULL;                /* "off" */
  ln = submission_make_child (self, "loudnorm", platform ? "platform-loudness" :
      "loudness");
  if (ln == NULL)
    return NULL;
  /* the preset's target, the ceiling lowered for AAC */
  gst_util_set_object_arg (G_OBJECT (ln), "preset", "custom");
  g_object_set (ln, "target", p->target_lufs, "true-peak",
      p->ceiling_dbtp - AAC_PEAK_MARGIN_DB, "interval", (guint64) 0, NULL);
  if ((platform ? self->platform_input_loudness : self->input_loudness) < 0) {
    gst_util_set_object_arg (G_OBJECT (ln), "mode", "two-pass");
    g_object_set (ln, "input-loudness", platform ?
        self->platform_input_loudness : self->input_loudness, NULL);
    GST_INFO_OBJECT (self, "%s cut loudness: %s, two-pass from %.2f LUFS to "
        "%.1f LUFS, true peak %.1f dBTP", platform ? "platform" : "full",
        p->name, platform ? self->platform_input_loudness :
        self->input_loudness, p->target_lufs,
        p->ceiling_dbtp - AAC_PEAK_MARGIN_DB);
  } else {
    gst_util_set_object_arg (G_OBJECT (ln), "mode", "live");
    GST_INFO_OBJECT (self, "%s cut loudness: %s, live to %.1f LUFS, true "
        "peak %.1f dBTP (not measured beforehand)", platform ? "platform" :
        "full", p->name, p->target_lufs, p->ceiling_dbtp - AAC_PEAK_MARGIN_DB);
  }
  return ln;
}

static guint64
aac_floor (guint64 t)
{
  return gst_util_uint64_scale (gst_util_uint64_scale (t, OUTPUT_RATE,
          GST_SECOND * AAC_FRAME_SAMPLES) * AAC_FRAME_SAMPLES, GST_SECOND,
      OUTPUT_RATE);
}

/* guard, normaliser and AAC encoder into mux_pad, after first (already in
 * chain[0..n)). */
static gboolean
append_audio_tail (GstSubmissionBin * self, GstElement ** chain, guint * n,
    guint64 max, gboolean normalise, gboolean platform, GstPad * mux_pad)
{
  GstElement *enc;

  /* The audio ends on the last whole AAC frame at or before the maximum,
   * so that encoding does not pad it past the limit. The minimum is the
   * video's business: a short soundtrack is not a short submission. */
  chain[(*n)++] = submission_make_guard (self, platform ?
      "platform-audio-guard" : "audio-guard", 0, aac_floor (max),
      platform ? GST_CAMPUSCUT_TOO_LONG_TRIM : self->on_too_long);
  if (normalise && cc_loudness_target_preset (self->loudness))
    chain[(*n)++] = make_loudnorm (self, platform);
  chain[(*n)++] = submission_make_child (self, "audioconvert", platform ?
      "platform-encode-convert" : "audio-encode-convert");
  chain[(*n)++] = enc = submission_make_child (self, "avenc_aac", platform ?
      "platform-audio-encoder" : "audio-encoder");
  chain[(*n)++] = submission_make_child (self, "aacparse", NULL);
  if (!submission_chain_ok (chain, *n))
    return FALSE;

  g_object_set (enc, "bitrate", (gint) self->audio_bitrate, NULL);
  {
    GstPad *src = gst_element_get_static_pad (enc, "src");
    GstClockTime *shift = g_new (GstClockTime, 1);

    *shift = GST_CLOCK_TIME_NONE;
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_FLUSH,
        aac_priming_reset_probe, shift, NULL);
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, aac_priming_probe,
        shift, g_free);
    gst_object_unref (src);
  }
  return submission_link_chain (chain, *n) &&
      submission_link_to_mux (chain[*n - 1], mux_pad);
}

/* Everything after the source of raw audio, shared by decoded audio and
 * the generated silence: any layout to 48 kHz stereo, then one encode per
 * output; the platform output keeps only its segments. Returns the first
 * element to link into; *converted is where the 48 kHz audio comes out. */
static GstElement *
build_audio_encode_chain (GstSubmissionBin * self, gboolean normalise,
    GstElement ** converted)
{
  GstElement *chain[10], *pchain[8];
  guint n = 0, pn = 0;
  GstElement *filter, *split = NULL;
  gboolean only = submission_platform_only (self);
  GstCaps *c;
  guint64 min, max;

  submission_duration_limits (self, &min, &max);
  chain[n++] = submission_make_child (self, "audioconvert", NULL);
  chain[n++] = submission_make_child (self, "audioresample", NULL);
  chain[n++] = filter = submission_make_child (self, "capsfilter",
      "audio-filter");
  if (self->platform_location && !only) {
    chain[n++] = split = submission_make_child (self, "tee", "audio-split");
    chain[n++] = submission_make_audio_queue (self, "full-audio-queue");
  }
  if (!submission_chain_ok (chain, n))
    return NULL;
  c = gst_caps_new_simple ("audio/x-raw", "rate", G_TYPE_INT, OUTPUT_RATE,
      "channels", G_TYPE_INT, 2, NULL);
  g_object_set (filter, "caps", c, NULL);
  gst_caps_unref (c);
  if (only ? !submission_link_chain (chain, n) :
      !append_audio_tail (self, chain, &n, max, normalise, FALSE,
          self->out[OUTPUT_FULL].audio_pad))
    return NULL;

  if (self->platform_location) {
    GstElement *cut;

    pchain[pn++] = cut = submission_make_child (self, "cutlist",
        "platform-audio-cut");
    pchain[pn++] = submission_make_audio_queue (self, "platform-audio-queue");
    if (!submission_chain_ok (pchain, pn))
      return NULL;
    /* alone, the cut ends the input after its last segment */
    g_object_set (cut, "segments", self->platform_segments, "stop-upstream",
        only, NULL);
    if (!append_audio_tail (self, pchain, &pn,
            cc_category_max (CC_CATEGORY_PLATFORM),
            normalise, TRUE, self->out[OUTPUT_PLATFORM].audio_pad) ||
        !submission_link_pads (split ? split : filter, split ? "src_%u" :
            "src", pchain[0], "sink"))
      return NULL;
    submission_sync_chain (pchain, pn);
  }
  submission_sync_chain (chain, n);
  if (converted)
    *converted = filter;
  return chain[0];
}

gboolean
submission_audio_build (GstSubmissionBin * self, GstPad * decoded)
{
  GstElement *converted = NULL;
  GstElement *first = build_audio_encode_chain (self, TRUE, &converted);
  GstPad *sink, *src;
  gboolean ok;

  if (first == NULL)
    return FALSE;

  src = gst_element_get_static_pad (converted, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, audio_out_probe, self,
      NULL);
  gst_object_unref (src);

  sink = gst_element_get_static_pad (first, "sink");
  ok = gst_pad_link (decoded, sink) == GST_PAD_LINK_OK;
  gst_object_unref (sink);
  return ok;
}

/* Pushes silence up to end (running time) and, with eos, ends it: the
 * generated track follows the video's clock. Called from the video
 * streaming thread only (silence_samples is its own). */
void
submission_audio_silence_until (GstSubmissionBin * self, GstClockTime end,
    gboolean eos)
{
  GstElement *silence;
  guint64 target;

  GST_OBJECT_LOCK (self);
  silence = self->silence ? gst_object_ref (self->silence) : NULL;
  GST_OBJECT_UNLOCK (self);
  if (silence == NULL)
    return;

  target = GST_CLOCK_TIME_IS_VALID (end) ?
      gst_util_uint64_scale_round (end, SILENCE_RATE, GST_SECOND) : 0;
  while (self->silence_samples < target) {
    guint64 n = MIN (target - self->silence_samples, SILENCE_RATE / 10);
    GstBuffer *buf = gst_buffer_new_allocate (NULL, n * SILENCE_BPF, NULL);

    gst_buffer_memset (buf, 0, 0, n * SILENCE_BPF);
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale_round (self->silence_samples,
        GST_SECOND, SILENCE_RATE);
    GST_BUFFER_DURATION (buf) =
        gst_util_uint64_scale_round (self->silence_samples + n, GST_SECOND,
        SILENCE_RATE) - GST_BUFFER_PTS (buf);
    GST_BUFFER_OFFSET (buf) = self->silence_samples;
    self->silence_samples += n;
    if (gst_app_src_push_buffer (GST_APP_SRC (silence), buf) != GST_FLOW_OK)
      break;
  }
  if (eos) {
    GST_DEBUG_OBJECT (self, "silent track ends after %" G_GUINT64_FORMAT
        " samples", self->silence_samples);
    gst_app_src_end_of_stream (GST_APP_SRC (silence));
  }
  gst_object_unref (silence);
}

gboolean
submission_audio_build_silence (GstSubmissionBin * self)
{
  GstElement *first = build_audio_encode_chain (self, FALSE, NULL);
  GstElement *src;
  GstCaps *caps;

  if (first == NULL)
    return FALSE;
  src = submission_make_child (self, "appsrc", "silence");
  if (src == NULL)
    return FALSE;
  caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE",
      "layout", G_TYPE_STRING, "interleaved", "rate", G_TYPE_INT, SILENCE_RATE,
      "channels", G_TYPE_INT, 2, "channel-mask", GST_TYPE_BITMASK,
      G_GUINT64_CONSTANT (0x3), NULL);
  /* Silence follows the video's clock sample by sample, never ahead of it,
   * so the queue stays small and nothing blocks the video thread. */
  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME,
      "block", FALSE, "max-bytes", (guint64) 0, NULL);
  gst_caps_unref (caps);
  /* The silence lasts as long as the source: a duration rule's trim fade
   * asks for it, and without an answer would hold the fade window of
   * silence that the muxer needs before the video can reach the cut. */
  GST_OBJECT_LOCK (self);
  if (GST_CLOCK_TIME_IS_VALID (self->src_duration))
    gst_app_src_set_duration (GST_APP_SRC (src), self->src_duration);
  GST_OBJECT_UNLOCK (self);
  if (!gst_element_link (src, first))
    return FALSE;
  submission_start_child (src);
  GST_OBJECT_LOCK (self);
  self->silence = src;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "the source has no audio: a silent track follows "
      "the video");
  return TRUE;
}
