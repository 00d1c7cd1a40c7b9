/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cutlist: keeps the listed segments of a stream, joined without gaps.
 *
 * Copyright (C) 2026 campuscut developers
 */

/**
 * SECTION:element-cutlist
 * @title: cutlist
 *
 * The platform cut of a campaign video is a handful of segments of the
 * full video, at most a minute in all. cutlist keeps the segments listed in
 * #GstCutList:segments (the syntax media teams write:
 * `"00:12.5-00:40,01:35-02:07"`, times as [[h:]m:]s[.f]) or in the file
 * named by #GstCutList:location, drops everything else, and re-timestamps
 * the output so it runs continuously from 0. At every join it fades: raw
 * video dips to black and raw audio fades out and in over
 * #GstCutList:fade, so there is no click and no flash.
 *
 * Segments are in the input's stream time, so a source whose timestamps
 * start at 10 s is cut at its own 0 s. Video frames that straddle a cut
 * are kept with their display interval clipped to the segment; raw audio
 * is cut to the sample. An audio and a video instance with the same list
 * therefore cut at the same instants. Other streams are cut on buffer
 * timestamps. After the last segment the element sends EOS at once, so
 * upstream stops decoding. Seeks in output time are mapped to the source.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=talk.mp4 ! decodebin ! videoconvert ! \
 *     cutlist segments="0:05-0:20,1:10-1:25" ! autovideosink
 * ]|
 *
 * ## Element message
 * `campuscut-cutlist`, when the list is read (READY to PAUSED):
 *
 * - `segments` (string): the list, normalised to m:ss.sss
 * - `count` (guint): number of segments
 * - `duration` (guint64): total output duration, ns
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib/gi18n-lib.h>
#include <gst/audio/audio.h>
#include <gst/video/video.h>

#include "gstcutlist.h"
#include "cccutlist.h"
#include "ccmedia.h"

GST_DEBUG_CATEGORY_STATIC (gst_cut_list_debug);
#define GST_CAT_DEFAULT gst_cut_list_debug

#define DEFAULT_SEGMENTS NULL
#define DEFAULT_LOCATION NULL
#define DEFAULT_FADE (150 * GST_MSECOND)
#define MAX_FADE (5 * GST_SECOND)
/* Audio fades in pieces of this many frames, the gain linear in each. */
#define FADE_CHUNK_FRAMES 64

enum
{
  PROP_0,
  PROP_SEGMENTS,
  PROP_LOCATION,
  PROP_FADE,
  PROP_STOP_UPSTREAM,
};

struct _GstCutList
{
  GstElement parent;
  GstPad *sinkpad, *srcpad;

  /* properties, under the object lock */
  gchar *segments;
  gchar *location;
  guint64 fade;
  gboolean stop_upstream;

  /* made at READY to PAUSED, before the pads are active, and only read
   * until the next time: by the streaming thread as they are, by queries
   * and seeks (any thread) under the object lock */
  GArray *spans;                /* CcSpan */
  GArray *out_start;            /* guint64 output time of each span */
  guint64 total;

  /* under the object lock: a seek sets them from the application's
   * thread, the streaming thread starts the output segment there */
  GstClockTime out_base;        /* output time a seek asked for */
  guint32 seqnum;

  /* streaming thread only (READY to PAUSED resets them before it runs) */
  GstSegment segment;
  CcMedia media;
  guint idx;
  gboolean segment_sent, ended;
  gboolean copied;              /* a piece was copied to be faded */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

#define gst_cut_list_parent_class parent_class
G_DEFINE_TYPE (GstCutList, gst_cut_list, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (cutlist, "cutlist", GST_RANK_NONE,
    GST_TYPE_CUT_LIST);

static void gst_cut_list_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_cut_list_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_cut_list_finalize (GObject * object);
static GstStateChangeReturn gst_cut_list_change_state (GstElement * element,
    GstStateChange transition);
static GstFlowReturn gst_cut_list_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf);
static gboolean gst_cut_list_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_cut_list_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_cut_list_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);

static void
gst_cut_list_class_init (GstCutListClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_cut_list_set_property;
  gobject_class->get_property = gst_cut_list_get_property;
  gobject_class->finalize = gst_cut_list_finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_cut_list_change_state);

  g_object_class_install_property (gobject_class, PROP_SEGMENTS,
      g_param_spec_string ("segments", "Segments",
          "Segments to keep, in order: \"00:12.5-00:40,01:35-02:07\" (times "
          "[[h:]m:]s[.f] of the input's stream time)", DEFAULT_SEGMENTS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "File holding the segments in the same syntax (used when segments "
          "is NULL)", DEFAULT_LOCATION, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_FADE,
      g_param_spec_uint64 ("fade", "Fade",
          "Fade out and in at every join, in nanoseconds each way, raw audio "
          "and video (0 = hard cuts)", 0, MAX_FADE, DEFAULT_FADE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_STOP_UPSTREAM,
      g_param_spec_boolean ("stop-upstream", "Stop upstream",
          "After the last segment, return EOS upstream so decoding stops; "
          "FALSE drops the rest instead, for a branch behind a tee whose "
          "other branches still need the stream", TRUE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Cut list",
      "Filter/Editor", "Keeps the listed segments of a stream, joined with "
      "fades and re-timestamped from 0",
      "campuscut developers <campuscut@invalid>");

  GST_DEBUG_CATEGORY_INIT (gst_cut_list_debug, "cutlist", 0,
      "campuscut cut list");
}

static void
gst_cut_list_init (GstCutList * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_cut_list_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_cut_list_sink_event));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_event_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_cut_list_src_event));
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_cut_list_src_query));
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->fade = DEFAULT_FADE;
  self->stop_upstream = TRUE;
  self->out_base = 0;
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
}

static void
gst_cut_list_finalize (GObject * object)
{
  GstCutList *self = GST_CUT_LIST (object);

  g_free (self->segments);
  g_free (self->location);
  if (self->spans)
    g_array_unref (self->spans);
  if (self->out_start)
    g_array_unref (self->out_start);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_cut_list_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstCutList *self = GST_CUT_LIST (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SEGMENTS:
      g_free (self->segments);
      self->segments = g_value_dup_string (value);
      break;
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_FADE:
      self->fade = g_value_get_uint64 (value);
      break;
    case PROP_STOP_UPSTREAM:
      self->stop_upstream = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_cut_list_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstCutList *self = GST_CUT_LIST (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SEGMENTS:
      g_value_set_string (value, self->segments);
      break;
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_FADE:
      g_value_set_uint64 (value, self->fade);
      break;
    case PROP_STOP_UPSTREAM:
      g_value_set_boolean (value, self->stop_upstream);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Replaces the spans, for the streaming thread (not running yet) and for
 * queries and seeks (under the object lock). */
static void
set_spans (GstCutList * self, GArray * spans, GArray * out_start,
    guint64 total)
{
  GArray *old_spans, *old_start;

  GST_OBJECT_LOCK (self);
  old_spans = self->spans;
  old_start = self->out_start;
  self->spans = spans;
  self->out_start = out_start;
  self->total = total;
  GST_OBJECT_UNLOCK (self);
  if (old_spans)
    g_array_unref (old_spans);
  if (old_start)
    g_array_unref (old_start);
}

static gboolean
load_spans (GstCutList * self)
{
  gchar *text = NULL, *location = NULL, *normal;
  GError *err = NULL;
  GArray *spans, *out_start;
  guint64 total = 0;

  GST_OBJECT_LOCK (self);
  if (self->segments)
    text = g_strdup (self->segments);
  else
    location = g_strdup (self->location);
  GST_OBJECT_UNLOCK (self);

  if (text == NULL && location == NULL)
    goto no_list;
  if (text == NULL && !g_file_get_contents (location, &text, NULL, &err))
    goto unreadable;
  spans = cc_cutlist_parse (g_strstrip (text), &err);
  if (spans == NULL)
    goto bad_list;

  out_start = g_array_new (FALSE, FALSE, sizeof (guint64));
  for (guint i = 0; i < spans->len; i++) {
    CcSpan *sp = &g_array_index (spans, CcSpan, i);
    GST_INFO_OBJECT (self, "segment %u: source %" GST_TIME_FORMAT " to %"
        GST_TIME_FORMAT " kept, at %" GST_TIME_FORMAT " of the output", i + 1,
        GST_TIME_ARGS (sp->start), GST_TIME_ARGS (sp->end),
        GST_TIME_ARGS (total));
    g_array_append_val (out_start, total);
    total += sp->end - sp->start;
  }
  set_spans (self, spans, out_start, total);
  normal = cc_cutlist_format ((CcSpan *) spans->data, spans->len);
  GST_INFO_OBJECT (self, "cut list %s: %u segment(s), %" GST_TIME_FORMAT
      " in all", normal, spans->len, GST_TIME_ARGS (total));
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self),
          gst_structure_new ("campuscut-cutlist", "segments", G_TYPE_STRING,
              normal, "count", G_TYPE_UINT, spans->len, "duration",
              G_TYPE_UINT64, total, NULL)));
  g_free (normal);
  g_free (text);
  g_free (location);
  return TRUE;

  /* ERRORS */
no_list:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        (_("No cut list given (set segments or location).")), (NULL));
    return FALSE;
  }
unreadable:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        (_("Cannot read the cut list '%s': %s"), location, err->message),
        (NULL));
    g_clear_error (&err);
    g_free (location);
    return FALSE;
  }
bad_list:
  {
    set_spans (self, NULL, NULL, 0);
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, (_("Cut list: %s"),
            err->message), (NULL));
    g_clear_error (&err);
    g_free (text);
    g_free (location);
    return FALSE;
  }
}

/* Gain at output time t: down to 0 at every join over fade, 1 elsewhere. */
static gdouble
join_gain (GstCutList * self, guint64 t, guint64 fade)
{
  gdouble g = 1.0;

  if (fade == 0)
    return 1.0;
  for (guint i = 1; i < self->out_start->len; i++) {
    guint64 j = g_array_index (self->out_start, guint64, i);
    guint64 d = t > j ? t - j : j - t;
    if (d < fade)
      g = MIN (g, d / (gdouble) fade);
  }
  return g;
}

/* A piece that shares its memory with the input is copied when it is
 * faded; says so, the first time at DEBUG, then at LOG. */
static void
note_copy (GstCutList * self, GstBuffer * out)
{
  if (gst_buffer_is_memory_range_writable (out, 0, -1))
    return;
  GST_CAT_LEVEL_LOG (GST_CAT_DEFAULT, self->copied ? GST_LEVEL_LOG :
      GST_LEVEL_DEBUG, self, "output %" GST_TIME_FORMAT " shares its memory "
      "with the input: copied to fade it", GST_TIME_ARGS (GST_BUFFER_PTS
          (out)));
  self->copied = TRUE;
}

/* Per-sample fade of raw audio starting at output time t0, near a join
 * only: chunks of FADE_CHUNK_FRAMES with a linear gain inside each. */
static void
fade_audio (GstCutList * self, GstBuffer * buf, guint64 t0, guint64 fade)
{
  guint rate = GST_AUDIO_INFO_RATE (&self->media.audio);
  guint frames = (guint) (gst_buffer_get_size (buf) /
      GST_AUDIO_INFO_BPF (&self->media.audio));
  gboolean fading = FALSE;

  for (guint i = 0; i < frames; i += FADE_CHUNK_FRAMES) {
    guint n = MIN (FADE_CHUNK_FRAMES, frames - i);
    gdouble g0 = join_gain (self, t0 + gst_util_uint64_scale (i, GST_SECOND,
            rate), fade);
    gdouble g1 = join_gain (self, t0 + gst_util_uint64_scale (i + n,
            GST_SECOND, rate), fade);

    if (g0 < 1.0 || g1 < 1.0) {
      if (!fading) {
        fading = TRUE;
        GST_LOG_OBJECT (self, "output %" GST_TIME_FORMAT ": fading from "
            "frame %u on, gain %.3f", GST_TIME_ARGS (t0), i, g0);
        note_copy (self, buf);
      }
      cc_media_fade_audio (&self->media.audio, buf, i, (gint) n, g0, g1);
    }
  }
}

static void
send_segment (GstCutList * self)
{
  GstSegment seg;
  GstEvent *ev;
  GstClockTime base;
  guint32 seqnum;

  GST_OBJECT_LOCK (self);
  base = self->out_base;
  seqnum = self->seqnum;
  GST_OBJECT_UNLOCK (self);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = seg.time = seg.position = base;
  seg.stop = self->total;
  GST_DEBUG_OBJECT (self, "output %" GST_SEGMENT_FORMAT, &seg);
  ev = gst_event_new_segment (&seg);
  if (seqnum)
    gst_event_set_seqnum (ev, seqnum);
  gst_pad_push_event (self->srcpad, ev);
  self->segment_sent = TRUE;
}

static GstFlowReturn
end_stream (GstCutList * self)
{
  gboolean stop;

  GST_OBJECT_LOCK (self);
  stop = self->stop_upstream;
  GST_OBJECT_UNLOCK (self);
  if (!self->ended) {
    GST_INFO_OBJECT (self, "past the last segment: EOS downstream, %s",
        stop ? "and upstream" : "the rest is dropped");
    self->ended = TRUE;
    if (!self->segment_sent)
      send_segment (self);
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
  }
  return stop ? GST_FLOW_EOS : GST_FLOW_OK;
}

/* The start of segment k: where it lands and what was dropped before it. */
static void
log_segment_start (GstCutList * self, guint k, guint64 fade)
{
  const CcSpan *sp = &g_array_index (self->spans, CcSpan, k);
  guint64 dropped_from = k ? g_array_index (self->spans, CcSpan,
      k - 1).end : 0;

  GST_DEBUG_OBJECT (self, "segment %u begins: source %" GST_TIME_FORMAT
      " at output %" GST_TIME_FORMAT "%s", k + 1, GST_TIME_ARGS (sp->start),
      GST_TIME_ARGS (g_array_index (self->out_start, guint64, k)), k && fade &&
      self->media.kind != CC_MEDIA_OTHER ? ", the join faded" : "");
  if (dropped_from < sp->start)
    GST_DEBUG_OBJECT (self, "source %" GST_TIME_FORMAT " to %" GST_TIME_FORMAT
        " dropped", GST_TIME_ARGS (dropped_from), GST_TIME_ARGS (sp->start));
}

/* The part [a, b) of buf (stream time st..end) in span k, as an output
 * buffer. Raw audio is cut to the sample. */
static GstBuffer *
piece (GstCutList * self, GstBuffer * buf, GstClockTime st, guint k,
    GstClockTime a, GstClockTime b)
{
  const CcSpan *sp = &g_array_index (self->spans, CcSpan, k);
  guint64 base = g_array_index (self->out_start, guint64, k);
  GstBuffer *out;

  if (self->media.kind == CC_MEDIA_AUDIO) {
    guint rate = GST_AUDIO_INFO_RATE (&self->media.audio);
    gsize bpf = GST_AUDIO_INFO_BPF (&self->media.audio);
    gsize total = gst_buffer_get_size (buf) / bpf;
    /* sample positions of the cut, rounded on the output timeline so
     * that consecutive pieces neither overlap nor leave a gap */
    guint64 o0 = gst_util_uint64_scale_round (base + (a - sp->start), rate,
        GST_SECOND);
    guint64 o1 = gst_util_uint64_scale_round (base + (b - sp->start), rate,
        GST_SECOND);
    gsize skip = (gsize) gst_util_uint64_scale_round (a - st, rate,
        GST_SECOND);
    gsize n = (gsize) (o1 - o0);

    if (skip >= total || n == 0)
      return NULL;
    n = MIN (n, total - skip);
    /* planar audio keeps its channels apart in one memory: the truncation
     * moves the audio meta's offsets, a byte region would not. On a copy
     * of its own: the truncation may resize memory that a tee shares with
     * the other cut (audio, a few kB). */
    out = gst_audio_buffer_truncate (gst_buffer_copy_deep (buf), bpf, skip,
        n);
    GST_BUFFER_PTS (out) = gst_util_uint64_scale (o0, GST_SECOND, rate);
    GST_BUFFER_DURATION (out) = gst_util_uint64_scale (o0 + n, GST_SECOND,
        rate) - GST_BUFFER_PTS (out);
    GST_BUFFER_OFFSET (out) = o0;
    GST_BUFFER_OFFSET_END (out) = o0 + n;
  } else {
    out = gst_buffer_copy (buf);        /* metadata only; memory shared */
    GST_BUFFER_PTS (out) = base + (a - sp->start);
    GST_BUFFER_DTS (out) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION (out) = b - a;
  }
  GST_BUFFER_FLAG_UNSET (out, GST_BUFFER_FLAG_DISCONT);
  if (a == sp->start)
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DISCONT);
  return out;
}

/* Segment k is done: on to the next. */
static void
next_segment (GstCutList * self, guint k)
{
  GST_DEBUG_OBJECT (self, "segment %u done at source %" GST_TIME_FORMAT,
      k + 1, GST_TIME_ARGS (g_array_index (self->spans, CcSpan, k).end));
  self->idx = k + 1;
}

static GstFlowReturn
gst_cut_list_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstCutList *self = GST_CUT_LIST (parent);
  GstFlowReturn ret = GST_FLOW_OK;
  GstClockTime st, end;
  guint64 fade;
  guint n = self->spans->len, pushed = 0;

  if (self->ended) {
    gst_buffer_unref (buf);
    return end_stream (self);
  }
  if (self->segment.format != GST_FORMAT_TIME || !GST_BUFFER_PTS_IS_VALID (buf)) {
    GST_LOG_OBJECT (self, "dropped: no time segment or no timestamp");
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  st = gst_segment_to_stream_time (&self->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  if (!GST_CLOCK_TIME_IS_VALID (st)) {
    GST_LOG_OBJECT (self, "dropped: outside the upstream segment");
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  end = st + cc_media_buffer_duration (&self->media, buf);

  GST_OBJECT_LOCK (self);
  fade = self->fade;
  GST_OBJECT_UNLOCK (self);

  while (self->idx < n && g_array_index (self->spans, CcSpan,
          self->idx).end <= st)
    next_segment (self, self->idx);
  if (self->idx >= n) {
    gst_buffer_unref (buf);
    return end_stream (self);
  }

  /* Every span the buffer touches (audio buffers may hold a join). */
  for (guint k = self->idx; k < n && ret == GST_FLOW_OK; k++) {
    const CcSpan *sp = &g_array_index (self->spans, CcSpan, k);
    GstClockTime a = MAX (st, sp->start), b = MIN (end, sp->end);
    GstBuffer *out;

    if (sp->start >= end)
      break;
    if (b <= a)
      continue;
    out = piece (self, buf, st, k, a, b);
    if (out == NULL)
      continue;
    if (!self->segment_sent)
      send_segment (self);
    if (a == sp->start)
      log_segment_start (self, k, fade);
    GST_LOG_OBJECT (self, "source %" GST_TIME_FORMAT " to %" GST_TIME_FORMAT
        " of segment %u to output %" GST_TIME_FORMAT, GST_TIME_ARGS (a),
        GST_TIME_ARGS (b), k + 1, GST_TIME_ARGS (GST_BUFFER_PTS (out)));
    if (fade && self->media.kind == CC_MEDIA_VIDEO) {
      guint64 t0 = GST_BUFFER_PTS (out), t1 = t0 + GST_BUFFER_DURATION (out);
      gdouble g = MIN (join_gain (self, t0, fade), join_gain (self, t1, fade));
      if (g < 1.0) {
        out = gst_buffer_make_writable (out);
        GST_LOG_OBJECT (self, "output %" GST_TIME_FORMAT ": fade gain %.3f",
            GST_TIME_ARGS (t0), g);
        note_copy (self, out);
        cc_media_fade_video (&self->media.video, out, g);
      }
    } else if (fade && self->media.kind == CC_MEDIA_AUDIO) {
      out = gst_buffer_make_writable (out);
      fade_audio (self, out, GST_BUFFER_PTS (out), fade);
    }
    ret = gst_pad_push (self->srcpad, out);
    pushed++;
    if (ret != GST_FLOW_OK)
      GST_DEBUG_OBJECT (self, "push at %" GST_TIME_FORMAT ": %s",
          GST_TIME_ARGS (a), gst_flow_get_name (ret));
    if (b >= sp->end)
      next_segment (self, k);
  }
  if (pushed == 0)
    GST_LOG_OBJECT (self, "source %" GST_TIME_FORMAT " to %" GST_TIME_FORMAT
        " dropped: outside the segments", GST_TIME_ARGS (st),
        GST_TIME_ARGS (end));
  gst_buffer_unref (buf);

  if (ret == GST_FLOW_OK && self->idx >= n)
    return end_stream (self);
  return ret;
}

static gboolean
gst_cut_list_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstCutList *self = GST_CUT_LIST (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gst_event_parse_caps (event, &caps);
      cc_media_from_caps (&self->media, caps);
      GST_INFO_OBJECT (self, "%s, caps %" GST_PTR_FORMAT,
          self->media.kind == CC_MEDIA_VIDEO ? "raw video, cut at frame "
          "display intervals" : self->media.kind == CC_MEDIA_AUDIO ?
          "raw audio, cut to the sample" : "cut at buffer timestamps", caps);
      break;
    }
    case GST_EVENT_SEGMENT:
      /* upstream's timeline stays here; downstream gets the cut's */
      gst_event_copy_segment (event, &self->segment);
      GST_DEBUG_OBJECT (self, "upstream %" GST_SEGMENT_FORMAT,
          &self->segment);
      gst_event_unref (event);
      return TRUE;
    case GST_EVENT_FLUSH_STOP:
      GST_DEBUG_OBJECT (self, "flushed: cutting from the first segment again");
      self->idx = 0;
      self->ended = FALSE;
      self->segment_sent = FALSE;
      gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
      break;
    case GST_EVENT_EOS:
      if (self->ended) {
        gst_event_unref (event);
        return TRUE;
      }
      GST_INFO_OBJECT (self, "EOS from upstream in segment %u of %u",
          MIN (self->idx + 1, self->spans->len), self->spans->len);
      self->ended = TRUE;
      if (!self->segment_sent)
        send_segment (self);
      break;
    case GST_EVENT_GAP:
      gst_event_unref (event);
      return TRUE;
    default:
      /* After our EOS downstream takes no more serialized events (tags from
       * a decoder, say); refusing them would fail a tee upstream. */
      if (self->ended && GST_EVENT_IS_SERIALIZED (event)) {
        gst_event_unref (event);
        return TRUE;
      }
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

/* Output time to the stream time of the source. */
static guint64
source_time (GstCutList * self, guint64 out)
{
  for (guint i = self->spans->len; i > 0; i--) {
    guint64 base = g_array_index (self->out_start, guint64, i - 1);
    if (out >= base)
      return g_array_index (self->spans, CcSpan, i - 1).start + (out - base);
  }
  return g_array_index (self->spans, CcSpan, 0).start;
}

/* A seek in output time: upstream seeks to the source time the output
 * time falls on, and the output segment starts at the output time. */
static gboolean
seek (GstCutList * self, GstEvent * event)
{
  gdouble rate;
  GstFormat format;
  GstSeekFlags flags;
  GstSeekType st, sp;
  gint64 start, stop;
  guint64 source;
  guint32 seqnum = gst_event_get_seqnum (event);
  GstEvent *up;

  gst_event_parse_seek (event, &rate, &format, &flags, &st, &start, &sp,
      &stop);
  if (format != GST_FORMAT_TIME || rate <= 0 || st != GST_SEEK_TYPE_SET ||
      start < 0) {
    GST_DEBUG_OBJECT (self, "refusing %" GST_PTR_FORMAT ": only forward "
        "seeks to a time", event);
    gst_event_unref (event);
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  start = MIN ((guint64) start, self->total);
  source = source_time (self, (guint64) start);
  self->out_base = (guint64) start;
  self->seqnum = seqnum;
  GST_OBJECT_UNLOCK (self);
  GST_DEBUG_OBJECT (self, "seek to output %" GST_TIME_FORMAT ": source %"
      GST_TIME_FORMAT, GST_TIME_ARGS (start), GST_TIME_ARGS (source));
  up = gst_event_new_seek (rate, GST_FORMAT_TIME, flags, GST_SEEK_TYPE_SET,
      (gint64) source, GST_SEEK_TYPE_NONE, -1);
  gst_event_set_seqnum (up, seqnum);
  gst_event_unref (event);
  return gst_pad_push_event (self->sinkpad, up);
}

static gboolean
gst_cut_list_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstCutList *self = GST_CUT_LIST (parent);
  gboolean have_spans;

  GST_OBJECT_LOCK (self);
  have_spans = self->spans != NULL;
  GST_OBJECT_UNLOCK (self);
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK && have_spans)
    return seek (self, event);
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_cut_list_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstCutList *self = GST_CUT_LIST (parent);

  if (GST_QUERY_TYPE (query) == GST_QUERY_DURATION) {
    GstFormat f;
    gboolean have_spans;
    guint64 total;

    GST_OBJECT_LOCK (self);
    have_spans = self->spans != NULL;
    total = self->total;
    GST_OBJECT_UNLOCK (self);
    gst_query_parse_duration (query, &f, NULL);
    if (have_spans && f == GST_FORMAT_TIME) {
      gst_query_set_duration (query, GST_FORMAT_TIME, (gint64) total);
      return TRUE;
    }
  }
  return gst_pad_query_default (pad, parent, query);
}

static GstStateChangeReturn
gst_cut_list_change_state (GstElement * element, GstStateChange transition)
{
  GstCutList *self = GST_CUT_LIST (element);

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    if (!load_spans (self))
      return GST_STATE_CHANGE_FAILURE;
    self->idx = 0;
    self->ended = self->segment_sent = self->copied = FALSE;
    GST_OBJECT_LOCK (self);
    self->out_base = 0;
    self->seqnum = 0;
    GST_OBJECT_UNLOCK (self);
    self->media.kind = CC_MEDIA_OTHER;
    gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  }
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}
