/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The analysis pass before the encode: loudness and keyframe pictures.
 *
 * It measures the audio's loudness and, for the automatic platform cut,
 * makes tiny pictures of the video's keyframes. decodebin is told to stop
 * at any video caps, so a 3-minute 1080p file costs its audio decode, a
 * demux and a decode of its keyframes.
 */
#include <math.h>
#include <string.h>
#include <gst/app/app.h>
#include <gst/video/video.h>

#include "ccanalysis.h"

#define THUMB_W 32
#define THUMB_H 18
#define KEYFRAME_MIN_GAP (GST_SECOND / 2)
/* compressed keyframes waiting for the scan's decoder */
#define KEYFRAME_QUEUE_BYTES (8 * 1024 * 1024)

/* State of the keyframe analysis, kept on the pipeline.
 *
 * The keyframes are decoded in a bin of their own, fed through an appsink
 * and an appsrc: decoding keyframes alone is not something every decoder
 * accepts (an open-GOP HEVC stream's CRA pictures, intra refresh without
 * IDR pictures), and a decoder that gives up must cost the video signals,
 * never the demuxer that the audio measurement shares. The appsink always
 * answers OK upstream; a blocking appsrc keeps the demuxer at the
 * decoder's pace, so no keyframe is dropped for lack of time. */
typedef struct {
  GArray *out;                  /* CcKeyframe */
  GstClockTime last_kept;
  guint8 prev[THUMB_W * THUMB_H];
  gboolean have_prev;
  GstElement *scan;             /* the decoding bin, NULL once given up */
  GstElement *appsrc;           /* a reference of our own */
  gint failed;                  /* atomic: stop feeding the scan */
  gchar *missing;               /* why the video signals are missing */
  guint fed;                    /* keyframes handed to the scan */
} KeyframeScan;

/* Only keyframes reach the decoder: each decodes on its own. */
static GstPadProbeReturn
keep_keyframes (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  KeyframeScan *k = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime t = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
      GST_BUFFER_DTS (buf);

  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT) ||
      GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER))
    return GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER) ?
        GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
  if (GST_CLOCK_TIME_IS_VALID (k->last_kept) && GST_CLOCK_TIME_IS_VALID (t) &&
      t < k->last_kept + KEYFRAME_MIN_GAP)
    return GST_PAD_PROBE_DROP;
  k->last_kept = t;
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
measure_thumbnail (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  KeyframeScan *k = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstVideoInfo vi;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstMapInfo map;
  CcKeyframe kf = { 0 };
  guint8 cur[THUMB_W * THUMB_H];
  guint64 sum = 0, diff = 0;

  if (caps == NULL || !gst_video_info_from_caps (&vi, caps) ||
      !gst_buffer_map (buf, &map, GST_MAP_READ)) {
    gst_clear_caps (&caps);
    return GST_PAD_PROBE_OK;
  }
  for (gint y = 0; y < THUMB_H; y++)
    memcpy (cur + y * THUMB_W, map.data + y * GST_VIDEO_INFO_PLANE_STRIDE (&vi,
            0), THUMB_W);
  gst_buffer_unmap (buf, &map);
  gst_caps_unref (caps);
  for (guint i = 0; i < sizeof (cur); i++) {
    sum += cur[i];
    if (k->have_prev)
      diff += (guint64) ABS (cur[i] - k->prev[i]);
  }
  {
    /* in stream time, as the platform segments are given */
    GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
    const GstSegment *seg = NULL;

    if (ev)
      gst_event_parse_segment (ev, &seg);
    kf.t = seg && seg->format == GST_FORMAT_TIME ?
        gst_segment_to_stream_time (seg, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf)) : GST_BUFFER_PTS (buf);
    if (ev)
      gst_event_unref (ev);
  }
  kf.luma = sum / (gdouble) sizeof (cur);
  kf.change = k->have_prev ? diff / (gdouble) sizeof (cur) : 255.0;
  memcpy (k->prev, cur, sizeof (cur));
  k->have_prev = TRUE;
  g_array_append_val (k->out, kf);
  return GST_PAD_PROBE_OK;
}

static void
link_decoded (GstElement * dec, GstPad * pad, GstElement * conv)
{
  GstPad *sink = gst_element_get_static_pad (conv, "sink");

  if (!gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
  gst_object_unref (sink);
}

/* A broken keyframe costs that keyframe, not the scan. */
static void
tolerate_decode_errors (GstBin * bin, GstBin * sub, GstElement * element,
    gpointer data)
{
  if (GST_IS_VIDEO_DECODER (element))
    gst_video_decoder_set_max_errors (GST_VIDEO_DECODER (element), -1);
}

static GstFlowReturn
tap_new_sample (GstAppSink * tap, gpointer data)
{
  KeyframeScan *k = data;
  GstSample *sample = gst_app_sink_pull_sample (tap);

  if (sample == NULL)
    return GST_FLOW_EOS;
  /* FLUSHING from an appsrc that was shut down is no error here */
  if (!g_atomic_int_get (&k->failed)) {
    k->fed++;                   /* read on the main thread after EOS */
    gst_app_src_push_sample (GST_APP_SRC (k->appsrc), sample);
  }
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static void
tap_eos (GstAppSink * tap, gpointer data)
{
  KeyframeScan *k = data;

  if (!g_atomic_int_get (&k->failed))
    gst_app_src_end_of_stream (GST_APP_SRC (k->appsrc));
}

static void
link_keyframe_scan (GstElement * pipeline, GstPad * pad, KeyframeScan * k)
{
  GstElement *tap = gst_element_factory_make ("appsink", "kf-tap");
  GstElement *bin = gst_bin_new ("kf-scan");
  GstElement *src = gst_element_factory_make ("appsrc", NULL);
  GstElement *dec = gst_element_factory_make ("decodebin", "kf-decode");
  GstElement *conv = gst_element_factory_make ("videoconvertscale", NULL);
  GstElement *filter = gst_element_factory_make ("capsfilter", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstAppSinkCallbacks cb = { 0 };
  GstCaps *caps = gst_caps_new_simple ("video/x-raw", "format",
      G_TYPE_STRING, "GRAY8", "width", G_TYPE_INT, THUMB_W, "height",
      G_TYPE_INT, THUMB_H, NULL);
  GstPad *p;

  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  g_object_set (tap, "sync", FALSE, "async", FALSE, NULL);
  cb.eos = tap_eos;
  cb.new_sample = tap_new_sample;
  gst_app_sink_set_callbacks (GST_APP_SINK (tap), &cb, k, NULL);
  g_object_set (src, "format", GST_FORMAT_TIME, "block", TRUE, "max-bytes",
      (guint64) KEYFRAME_QUEUE_BYTES, "handle-segment-change", TRUE, NULL);
  gst_bin_add_many (GST_BIN (bin), src, dec, conv, filter, sink, NULL);
  gst_element_link (src, dec);
  gst_element_link_many (conv, filter, sink, NULL);
  g_signal_connect_object (dec, "pad-added", G_CALLBACK (link_decoded), conv,
      0);
  g_signal_connect (bin, "deep-element-added",
      G_CALLBACK (tolerate_decode_errors), NULL);
  k->scan = bin;
  /* the tap may still push into it while the main thread gives up */
  k->appsrc = gst_object_ref (src);
  gst_bin_add_many (GST_BIN (pipeline), tap, bin, NULL);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, keep_keyframes, k, NULL);
  p = gst_element_get_static_pad (filter, "src");
  gst_pad_add_probe (p, GST_PAD_PROBE_TYPE_BUFFER, measure_thumbnail, k, NULL);
  gst_object_unref (p);
  p = gst_element_get_static_pad (tap, "sink");
  gst_pad_link (pad, p);
  gst_object_unref (p);
  gst_element_sync_state_with_parent (bin);
  gst_element_sync_state_with_parent (tap);
}

/* The keyframe scan failed: its signals are dropped whole (a choice made
 * from part of the video would favour that part), the demuxer is no
 * longer fed into it, and the bin leaves the pipeline so that the
 * pipeline's EOS does not wait for its sink. Main thread only. */
static void
give_up_keyframes (GstElement * pipeline, KeyframeScan * k, const GError * err)
{
  GstElement *scan = k->scan;

  g_atomic_int_set (&k->failed, 1);
  g_free (k->missing);
  k->missing = g_strdup_printf ("the video's keyframes could not be decoded "
      "on their own (%s)", err ? err->message : "no picture came out");
  GST_DEBUG_OBJECT (pipeline, "keyframe scan given up: %s", k->missing);
  k->scan = NULL;
  /* NULL unblocks a push waiting in the appsrc and stops the scan's
   * threads before its keyframes are dropped */
  gst_element_set_locked_state (scan, TRUE);
  gst_element_set_state (scan, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (pipeline), scan);
  g_array_set_size (k->out, 0);
}

/* Video elementary streams stop here; containers whose caps say "video"
 * (video/quicktime, video/x-matroska, ...) still need their demuxer. */
static gboolean
stop_at_video (GstElement * bin, GstPad * pad, GstCaps * caps, gpointer data)
{
  GList *demuxers, *fit;
  gboolean container;

  if (!g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps,
                  0)), "video/"))
    return TRUE;
  demuxers = gst_element_factory_list_get_elements
      (GST_ELEMENT_FACTORY_TYPE_DEMUXER, GST_RANK_MARGINAL);
  fit = gst_element_factory_list_filter (demuxers, caps, GST_PAD_SINK, FALSE);
  container = fit != NULL;
  gst_plugin_feature_list_free (fit);
  gst_plugin_feature_list_free (demuxers);
  return container;
}

void
cc_loudness_clear (CcLoudness * l)
{
  if (l->momentary)
    g_array_unref (l->momentary);
  l->momentary = NULL;
}

static void
pad_added (GstElement * dec, GstPad * pad, GstElement * pipeline)
{
  GstCaps *caps = gst_pad_query_caps (pad, NULL);
  KeyframeScan *k = g_object_get_data (G_OBJECT (pipeline), "keyframes");
  gboolean video = g_str_has_prefix (gst_structure_get_name
      (gst_caps_get_structure (caps, 0)), "video/");
  gboolean audio = g_str_has_prefix (gst_structure_get_name
      (gst_caps_get_structure (caps, 0)), "audio/x-raw") &&
      g_object_get_data (G_OBJECT (pipeline), "audio") == NULL;
  GstElement *head;
  GstPad *sink;

  gst_caps_unref (caps);
  if (audio) {
    GstElement *conv = gst_element_factory_make ("audioconvert", NULL);
    GstElement *res = gst_element_factory_make ("audioresample", NULL);
    GstElement *filter = gst_element_factory_make ("capsfilter", NULL);
    GstElement *meter = gst_element_factory_make ("loudnorm", "meter");
    GstElement *fs = gst_element_factory_make ("fakesink", NULL);
    GstCaps *out = gst_caps_from_string ("audio/x-raw,rate=48000,channels=2");
    const gchar *segments = g_object_get_data (G_OBJECT (pipeline),
        "segments");

    /* Measured as delivered: a mono source played on both channels, a 5.1
     * one downmixed, is louder or quieter than the source itself. */
    g_object_set_data (G_OBJECT (pipeline), "audio", GINT_TO_POINTER (1));
    g_object_set (filter, "caps", out, NULL);
    gst_caps_unref (out);
    g_object_set (meter, "interval", (guint64) CC_LOUDNESS_STEP, NULL);
    g_object_set (fs, "sync", FALSE, NULL);
    gst_bin_add_many (GST_BIN (pipeline), conv, res, filter, meter, fs, NULL);
    if (segments) {
      GstElement *cut = gst_element_factory_make ("cutlist", NULL);

      /* cut as the job's platform cut is: with cutlist's fades at the
       * joins, which take loudness off short segments (three 1 s segments
       * measured unfaded came out 0.7 LU under the target) */
      g_object_set (cut, "segments", segments, NULL);
      gst_bin_add (GST_BIN (pipeline), cut);
      gst_element_link_many (conv, res, filter, cut, meter, fs, NULL);
      gst_element_sync_state_with_parent (cut);
    } else {
      gst_element_link_many (conv, res, filter, meter, fs, NULL);
    }
    gst_element_sync_state_with_parent (fs);
    gst_element_sync_state_with_parent (meter);
    gst_element_sync_state_with_parent (filter);
    gst_element_sync_state_with_parent (res);
    gst_element_sync_state_with_parent (conv);
    head = conv;
  } else if (video && k && k->scan == NULL && !k->failed) {
    link_keyframe_scan (pipeline, pad, k);
    return;
  } else {
    head = gst_element_factory_make ("fakesink", NULL);
    g_object_set (head, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add (GST_BIN (pipeline), head);
    gst_element_sync_state_with_parent (head);
  }
  sink = gst_element_get_static_pad (head, "sink");
  gst_pad_link (pad, sink);
  gst_object_unref (sink);
}

gboolean
cc_measure_loudness (const gchar * uri, const gchar * segments,
    CcLoudness * out, GArray * keyframes, guint * keyframes_offered,
    gchar ** keyframes_missing, GError ** error)
{
  KeyframeScan scan = { 0 };
  GstElement *pipeline = gst_pipeline_new ("loudness-analysis");
  GstElement *dec = gst_element_factory_make ("uridecodebin", NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gboolean ok = FALSE, done = FALSE;

  scan.out = keyframes;
  scan.last_kept = GST_CLOCK_TIME_NONE;
  out->has_audio = FALSE;
  out->integrated = out->range = out->true_peak = -INFINITY;
  out->momentary = g_array_new (FALSE, FALSE, sizeof (gdouble));
  if (segments)
    g_object_set_data_full (G_OBJECT (pipeline), "segments",
        g_strdup (segments), g_free);
  if (keyframes)
    g_object_set_data (G_OBJECT (pipeline), "keyframes", &scan);
  if (dec == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "uridecodebin is missing");
    goto out;
  }
  g_object_set (dec, "uri", uri, NULL);
  g_signal_connect (dec, "autoplug-continue", G_CALLBACK (stop_at_video),
      NULL);
  g_signal_connect (dec, "pad-added", G_CALLBACK (pad_added), pipeline);
  gst_bin_add (GST_BIN (pipeline), dec);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  while (!done && (msg = gst_bus_timed_pop_filtered (bus, 300 * GST_SECOND,
              GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT))) {
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ELEMENT:{
        const GstStructure *s = gst_message_get_structure (msg);
        gboolean final = FALSE;
        gdouble m;

        if (gst_structure_has_name (s, "campuscut-loudness") &&
            gst_structure_get_boolean (s, "final", &final) && !final &&
            gst_structure_get_double (s, "momentary", &m))
          g_array_append_val (out->momentary, m);
        if (gst_structure_has_name (s, "campuscut-loudness") &&
            gst_structure_get_boolean (s, "final", &final) && final) {
          out->has_audio = TRUE;
          gst_structure_get_double (s, "integrated", &out->integrated);
          gst_structure_get_double (s, "range", &out->range);
          gst_structure_get_double (s, "true-peak", &out->true_peak);
        }
        break;
      }
      case GST_MESSAGE_EOS:
        ok = done = TRUE;
        break;
      case GST_MESSAGE_ERROR:{
        GError *err = NULL;

        gst_message_parse_error (msg, &err, NULL);
        if (scan.scan && gst_object_has_as_ancestor (GST_MESSAGE_SRC (msg),
                GST_OBJECT (scan.scan))) {
          give_up_keyframes (pipeline, &scan, err);
          g_error_free (err);
        } else {
          g_propagate_error (error, err);
          done = TRUE;
        }
        break;
      }
      default:
        break;
    }
    gst_message_unref (msg);
  }
  if (!done)
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "the analysis made no progress for 300 s");
  /* A decoder that cannot take some keyframes alone drops them (open-GOP
   * HEVC: libav loses track of the picture order across the gaps). Most
   * of them still place black and frozen stretches and shot changes; a
   * scan that lost most of them would favour the parts it saw. */
  if (ok && keyframes && scan.missing == NULL && scan.fed > 0 &&
      keyframes->len * 2 < scan.fed) {
    scan.missing = g_strdup_printf ("only %u of the video's %u keyframes "
        "could be decoded on their own", keyframes->len, scan.fed);
    g_array_set_size (keyframes, 0);
  }
  if (keyframes_offered)
    *keyframes_offered = scan.fed;

out:
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  gst_clear_object (&scan.appsrc);
  if (keyframes_missing)
    *keyframes_missing = g_steal_pointer (&scan.missing);
  g_free (scan.missing);
  return ok;
}
