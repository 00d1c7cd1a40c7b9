/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * submissionbin, input: the source and decodebin, what may be autoplugged,
 * the checks on what the file claims (declared duration, picture size,
 * timestamp gaps, playlists) and the decoded pads' dispatch.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib/gi18n-lib.h>

#include "gstsubmissionbin-private.h"

/* Rejects a source whose container states a duration outside the rule
 * before a single frame is decoded. FALSE when it posted the error. */
static gboolean
check_declared_duration (GstSubmissionBin * self, GstClockTime declared,
    gboolean exact)
{
  guint64 min, max;
  CcDurationVerdict v;
  gchar *rule;

  submission_duration_limits (self, &min, &max);
  v = cc_declared_duration_verdict (declared, exact, min, max,
      self->on_too_long == GST_CAMPUSCUT_TOO_LONG_ERROR);
  if (v == CC_DURATION_OK)
    return TRUE;

  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self),
          gst_structure_new ("campuscut-duration",
              "duration", G_TYPE_UINT64, (guint64) declared,
              "min-duration", G_TYPE_UINT64, min,
              "max-duration", G_TYPE_UINT64, max,
              "verdict", G_TYPE_STRING, cc_duration_verdict_to_string (v),
              "action", G_TYPE_STRING, "error",
              "media", G_TYPE_STRING, "other", NULL)));
  rule = cc_duration_rule_text (self->category, min, max);
  BIN_ERROR_INPUT (self, STREAM, FAILED,
      (_("%.1f s; %s."), declared / (gdouble) GST_SECOND, rule),
      ("declared duration %" GST_TIME_FORMAT, GST_TIME_ARGS (declared)));
  g_free (rule);
  return FALSE;
}

static gboolean
is_manifest_caps (const GstCaps * caps)
{
  return cc_is_manifest_type (gst_structure_get_name (gst_caps_get_structure
          (caps, 0)));
}

/* decodebin's GstAutoplugSelectResult, which no public header declares */
typedef enum
{
  AUTOPLUG_SELECT_TRY = 0,
  AUTOPLUG_SELECT_EXPOSE = 1,
  AUTOPLUG_SELECT_SKIP = 2,
} AutoplugSelectResult;

/* An upload is one file: nothing may fetch further files or URLs for it. */
static AutoplugSelectResult
autoplug_select_cb (GstElement * bin, GstPad * pad, GstCaps * caps,
    GstElementFactory * factory, gpointer user_data)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (user_data);
  const gchar *klass = gst_element_factory_get_metadata (factory,
      GST_ELEMENT_METADATA_KLASS);

  /* the first caps decodebin plugs for are what typefinding found: the
   * container, whose kind says whether its duration is exact */
  GST_OBJECT_LOCK (self);
  if (self->container == NULL)
    self->container = g_strdup (gst_structure_get_name
        (gst_caps_get_structure (caps, 0)));
  GST_OBJECT_UNLOCK (self);
  /* a decoder never needs a source element: one would read elsewhere */
  if (is_manifest_caps (caps) || cc_klass_reads_elsewhere (klass) ||
      (klass && strstr (klass, "Source"))) {
    GST_INFO_OBJECT (self, "refusing to autoplug %s for %" GST_PTR_FORMAT,
        GST_OBJECT_NAME (factory), caps);
    return AUTOPLUG_SELECT_SKIP;
  }
  GST_DEBUG_OBJECT (self, "autoplugging %s for %" GST_PTR_FORMAT,
      GST_OBJECT_NAME (factory), caps);
  return AUTOPLUG_SELECT_TRY;
}

static void
unknown_type_cb (GstElement * bin, GstPad * pad, GstCaps * caps,
    GstSubmissionBin * self)
{
  if (is_manifest_caps (caps)) {
    gchar *type = gst_caps_to_string (caps);

    BIN_ERROR_INPUT (self, STREAM, WRONG_TYPE,
        (_("The input is a streaming playlist or manifest, not a video file; "
            "upload the video file itself.")), ("type %s", type));
    g_free (type);
  }
}

/* A decoded stream whose timestamps jump by more than
 * CC_MAX_TIMESTAMP_GAP_NS is damaged (or made to look hours long from a
 * few kilobytes): stop instead of filling the gap with repeated frames or
 * silence. Runs on the decoded pads; flushes and new segments start over.
 * The probe's state is its pad's streaming thread's. */
typedef struct
{
  GstSubmissionBin *self;       /* not a reference: the bin owns the pad */
  gboolean video;               /* else audio */
  GstClockTime last;
  GstSegment segment;
  GstClockTime *end;            /* where the data ended (stream time), or NULL;
                                 * under the bin's object lock */
} GapGuard;

static GstPadProbeReturn
timestamp_gap_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GapGuard *g = data;
  GstClockTime ts;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      gst_event_copy_segment (event, &g->segment);
      g->last = GST_CLOCK_TIME_NONE;
    } else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
      g->last = GST_CLOCK_TIME_NONE;
    }
    return GST_PAD_PROBE_OK;
  }

  ts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return GST_PAD_PROBE_OK;
  if (GST_CLOCK_TIME_IS_VALID (g->last) && ts > g->last +
      CC_MAX_TIMESTAMP_GAP_NS) {
    gdouble from = g->last / (gdouble) GST_SECOND;
    gdouble to = ts / (gdouble) GST_SECOND;

    if (g->video)
      BIN_ERROR_INPUT (g->self, STREAM, DECODE,
          (_("The video jumps from %.1f s to %.1f s: the file's timestamps "
                  "are damaged."), from, to),
          ("gap of %" GST_TIME_FORMAT, GST_TIME_ARGS (ts - g->last)));
    else
      BIN_ERROR_INPUT (g->self, STREAM, DECODE,
          (_("The audio jumps from %.1f s to %.1f s: the file's timestamps "
                  "are damaged."), from, to),
          ("gap of %" GST_TIME_FORMAT, GST_TIME_ARGS (ts - g->last)));
    return GST_PAD_PROBE_DROP;
  }
  if (!GST_CLOCK_TIME_IS_VALID (g->last) || ts > g->last)
    g->last = ts;
  if (g->end) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    /* in stream time, as the declared duration is (edit lists, offsets) */
    GstClockTime end = gst_segment_to_stream_time (&g->segment,
        GST_FORMAT_TIME, ts);

    if (GST_CLOCK_TIME_IS_VALID (end)) {
      end += GST_BUFFER_DURATION_IS_VALID (buf) ? GST_BUFFER_DURATION (buf) : 0;
      GST_OBJECT_LOCK (g->self);
      if (!GST_CLOCK_TIME_IS_VALID (*g->end) || end > *g->end)
        *g->end = end;
      GST_OBJECT_UNLOCK (g->self);
    }
  }
  return GST_PAD_PROBE_OK;
}

/* Moves stream time 0 to the content's start on a decoded pad, keeping
 * running time (and so A/V sync) as it was: what comes before the start
 * falls before the segment and is clipped like any preroll. */
static GstPadProbeReturn
content_start_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstSegment seg;
  GstEvent *shifted;
  guint64 t0;

  if (GST_EVENT_TYPE (event) != GST_EVENT_SEGMENT)
    return GST_PAD_PROBE_OK;
  GST_OBJECT_LOCK (self);
  t0 = self->content_start;
  GST_OBJECT_UNLOCK (self);
  gst_event_copy_segment (event, &seg);
  if (t0 == 0 || seg.format != GST_FORMAT_TIME || seg.rate < 0)
    return GST_PAD_PROBE_OK;
  if (seg.time >= t0) {
    seg.time -= t0;
  } else {
    guint64 d = t0 - seg.time;

    seg.start += d;
    seg.base += d;
    seg.time = 0;
    seg.position = MAX (seg.position, seg.start);
    if (GST_CLOCK_TIME_IS_VALID (seg.stop) && seg.stop < seg.start)
      seg.stop = seg.start;
  }
  GST_DEBUG_OBJECT (self, "%s:%s content starts at %" GST_TIME_FORMAT ": %"
      GST_SEGMENT_FORMAT, GST_DEBUG_PAD_NAME (pad), GST_TIME_ARGS (t0), &seg);
  shifted = gst_event_new_segment (&seg);
  gst_event_set_seqnum (shifted, gst_event_get_seqnum (event));
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) = shifted;
  return GST_PAD_PROBE_OK;
}

static void
add_gap_guard (GstSubmissionBin * self, GstPad * pad, gboolean video,
    GstClockTime * end)
{
  GapGuard *g = g_new0 (GapGuard, 1);

  g->self = self;
  g->video = video;
  g->last = GST_CLOCK_TIME_NONE;
  gst_segment_init (&g->segment, GST_FORMAT_TIME);
  g->end = end;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, timestamp_gap_probe, g, g_free);
}

/* gst-libav's video decoders render into GStreamer buffers that libav
 * keeps mapped for writing while it still references them, which is every
 * frame of a stream without B-frames (most phones). GstVideoDecoder must
 * then copy each such frame into freshly allocated memory before pushing
 * it. Decoding into libav's own pictures and copying once into the pooled
 * output buffers costs the same copy, but into recycled memory, and leaves
 * the pushed frame writable: about 70 MB less at 1080p and no page-faulting
 * of new memory per frame. */
static void
decoder_added_cb (GstBin * bin, GstBin * sub, GstElement * element,
    gpointer user_data)
{
  GstElementFactory *f = gst_element_get_factory (element);

  if (f && g_str_has_prefix (GST_OBJECT_NAME (f), "avdec_") &&
      g_object_class_find_property (G_OBJECT_GET_CLASS (element),
          "direct-rendering")) {
    GST_INFO_OBJECT (user_data, "%s decodes into its own pictures "
        "(direct-rendering off): each frame is copied once into a pooled "
        "buffer", GST_OBJECT_NAME (element));
    g_object_set (element, "direct-rendering", FALSE, NULL);
  } else if (f) {
    GST_DEBUG_OBJECT (user_data, "decodebin added %s (%s)",
        GST_OBJECT_NAME (element), GST_OBJECT_NAME (f));
  }
}

/* Whether pad is the first decoded stream of its kind (which = the
 * have_video or have_audio flag): only the first video and the first audio
 * are delivered. */
static gboolean
claim_stream (GstSubmissionBin * self, gboolean * which)
{
  gboolean first;

  GST_OBJECT_LOCK (self);
  first = !*which;
  *which = TRUE;
  GST_OBJECT_UNLOCK (self);
  return first;
}

static gboolean
video_pad_added (GstSubmissionBin * self, GstPad * pad, GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  gint64 dur = -1;
  gboolean exact, ok;
  gint w = 0, h = 0;
  gchar *problem;

  gst_structure_get_int (s, "width", &w);
  gst_structure_get_int (s, "height", &h);
  problem = cc_frame_size_problem ((guint) w, (guint) h);
  if (problem) {
    /* the CLI's words, as a sentence */
    BIN_ERROR_INPUT (self, STREAM, DECODE, ("%c%s.",
            g_ascii_toupper (problem[0]), problem + 1), (NULL));
    g_free (problem);
    return TRUE;                /* reported */
  }
  /* the guard first: it compares the end with the declared duration,
   * both on the file's own clock */
  add_gap_guard (self, pad, TRUE, &self->decoded_video_end);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      content_start_probe, self, NULL);
  ok = submission_video_build (self, pad, caps);
  /* Upstream, through the decoder, to the demuxer. */
  if (gst_pad_query_duration (pad, GST_FORMAT_TIME, &dur) && dur >= 0) {
    GST_OBJECT_LOCK (self);
    exact = cc_container_has_exact_duration (self->container);
    self->src_duration = (GstClockTime) dur;
    self->duration_exact = exact;
    GST_OBJECT_UNLOCK (self);
    GST_INFO_OBJECT (self, "the source declares %" GST_TIME_FORMAT " (%s)",
        GST_TIME_ARGS (dur), exact ? "indexed, exact" : "estimated");
    check_declared_duration (self, (GstClockTime) dur, exact);
  }
  return ok;
}

/* Extra streams (second audio, subtitles, data) are not delivered. */
static void
discard_pad (GstSubmissionBin * self, GstPad * pad)
{
  GstElement *sink = submission_make_child (self, "fakesink", NULL);
  GstPad *sinkpad;

  if (sink == NULL)
    return;
  sinkpad = gst_element_get_static_pad (sink, "sink");
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  submission_start_child (sink);
}

static void
pad_added_cb (GstElement * decodebin, GstPad * pad, GstSubmissionBin * self)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *name;
  gboolean ok = TRUE;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  GST_INFO_OBJECT (self, "decoded pad %s: %" GST_PTR_FORMAT,
      GST_PAD_NAME (pad), caps);

  if (g_str_has_prefix (name, "video/x-raw") &&
      claim_stream (self, &self->have_video)) {
    ok = video_pad_added (self, pad, caps);
  } else if (g_str_has_prefix (name, "audio/x-raw") &&
      claim_stream (self, &self->have_audio)) {
    add_gap_guard (self, pad, FALSE, NULL);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        content_start_probe, self, NULL);
    ok = submission_audio_build (self, pad);
  } else {
    GST_INFO_OBJECT (self, "not delivered: %s", name);
    discard_pad (self, pad);
  }

  if (!ok)
    BIN_ERROR_PROCESSING (self, CORE, NEGOTIATION,
        (_("Could not build the %s branch of the normaliser."), name), (NULL));
  gst_caps_unref (caps);
}

static void
no_more_pads_cb (GstElement * decodebin, GstSubmissionBin * self)
{
  gboolean have_video, have_audio;

  GST_OBJECT_LOCK (self);
  have_video = self->have_video;
  have_audio = self->have_audio;
  GST_OBJECT_UNLOCK (self);
  if (!have_video) {
    BIN_ERROR_INPUT (self, STREAM, WRONG_TYPE,
        (_("The input has no video stream; the campaign needs a video file.")),
        (NULL));
    return;
  }
  if (!have_audio && !submission_audio_build_silence (self))
    BIN_ERROR_PROCESSING (self, CORE, NEGOTIATION,
        (_("Could not build the silent audio track.")), (NULL));
}

/* The source element for the uri and decodebin, with every safety hook:
 * nothing autoplugged reads elsewhere, playlists are refused, the first
 * video and audio are delivered. */
gboolean
submission_input_build (GstSubmissionBin * self)
{
  GError *err = NULL;
  GstElement *src, *dec;

  src = gst_element_make_from_uri (GST_URI_SRC, self->uri, "source", &err);
  if (src == NULL) {
    BIN_ERROR_INPUT (self, RESOURCE, NOT_FOUND,
        (_("Cannot read '%s': %s"), self->uri, err->message), (NULL));
    g_clear_error (&err);
    return FALSE;
  }
  submission_add_child (self, src);
  self->source = src;
  dec = self->decodebin = submission_make_child (self, "decodebin", "decode");
  if (dec == NULL)
    return FALSE;

  g_signal_connect (dec, "autoplug-select", G_CALLBACK (autoplug_select_cb),
      self);
  g_signal_connect (dec, "unknown-type", G_CALLBACK (unknown_type_cb), self);
  g_signal_connect (dec, "pad-added", G_CALLBACK (pad_added_cb), self);
  g_signal_connect (dec, "no-more-pads", G_CALLBACK (no_more_pads_cb), self);
  g_signal_connect (dec, "deep-element-added", G_CALLBACK (decoder_added_cb),
      self);
  if (!gst_element_link (src, dec)) {
    BIN_ERROR_PROCESSING (self, CORE, NEGOTIATION,
        (_("Could not link the normaliser's fixed elements.")), (NULL));
    return FALSE;
  }
  return TRUE;
}
