/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * durationguard: enforces a minimum and maximum stream duration.
 *
 * Copyright (C) 2026 campuscut developers
 */

/**
 * SECTION:element-durationguard
 * @title: durationguard
 *
 * The campaign fixes durations per category (`story` and `craftsman` 3 to 5
 * minutes, `overview` at most 5, `platform` at most 1), and nothing stock in
 * GStreamer enforces a duration policy. durationguard sits on any stream,
 * audio, video or encoded, and measures its duration in stream time (so
 * segments with a non-zero start, seeks and flushes count the media's own
 * clock). When the stream goes past #GstDurationGuard:max-duration it
 * either fails (`error`), ends the stream exactly at the maximum (`trim`,
 * with an optional fade to black or silence of #GstDurationGuard:fade on raw
 * video and audio), or posts a warning and lets it run (`warn`). A stream
 * that ends before #GstDurationGuard:min-duration fails with a STREAM
 * error, or posts a warning when #GstDurationGuard:on-too-short is `warn`.
 *
 * Instances on the audio and video branches with the same limits end both
 * tracks at the same instant: video frames are cut to end at the maximum,
 * raw audio to the sample.
 *
 * Real files are never exact to the nanosecond (the last audio packet of a
 * 300 s file often ends at 300.01 s). In `error` mode a stream that passes
 * the maximum by no more than #GstDurationGuard:tolerance is therefore cut
 * at the maximum instead of rejected: the element holds what lies past the
 * maximum (at most the tolerance's worth of data) until EOS shows that the
 * stream ended within the tolerance, or fails as soon as it runs past it.
 * A stream that falls short of the minimum by no more than the tolerance
 * passes.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=talk.mp4 ! decodebin ! videoconvert ! \
 *     durationguard max-duration=300000000000 on-too-long=trim \
 *     fade=1000000000 ! autovideosink
 * ]|
 *
 * ## Element message
 * Posted once per stream, at EOS or when the stream is stopped or trimmed,
 * as a `campuscut-duration` element message:
 *
 * - `duration` (guint64): stream time reached, in nanoseconds
 * - `min-duration`, `max-duration` (guint64): the limits, 0 for none
 * - `verdict` (string): `ok`, `too-short`, `too-long` or `trimmed`
 * - `action` (string): what the element did: `none`, `error`, `warn` or
 *   `trim`
 * - `media` (string): `video`, `audio` or `other`
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib/gi18n-lib.h>
#include <gst/audio/audio.h>
#include <gst/video/video.h>

#include "gstdurationguard.h"
#include "ccfade.h"
#include "ccmedia.h"
#include "gstcampuscutenums.h"
#include "ccpolicy.h"

GST_DEBUG_CATEGORY_STATIC (gst_duration_guard_debug);
#define GST_CAT_DEFAULT gst_duration_guard_debug

#define DEFAULT_MIN_DURATION 0
#define DEFAULT_MAX_DURATION 0
#define DEFAULT_ON_TOO_LONG GST_CAMPUSCUT_TOO_LONG_ERROR
#define DEFAULT_ON_TOO_SHORT GST_CAMPUSCUT_TOO_SHORT_ERROR
#define DEFAULT_FADE 0
#define DEFAULT_TOLERANCE CC_DURATION_TOLERANCE_NS

enum
{
  PROP_0,
  PROP_MIN_DURATION,
  PROP_MAX_DURATION,
  PROP_ON_TOO_LONG,
  PROP_ON_TOO_SHORT,
  PROP_FADE,
  PROP_TOLERANCE,
};

typedef enum {
  PASS_UNKNOWN,
  PASS_YES,
  PASS_NO,
} PassMax;

struct _GstDurationGuard
{
  GstElement parent;

  GstPad *sinkpad, *srcpad;

  /* properties, under the object lock */
  guint64 min_duration, max_duration, fade, tolerance;
  GstCampuscutTooLong on_too_long;
  GstCampuscutTooShort on_too_short;

  /* streaming thread only (change_state resets them and drops held
   * buffers while the pads are inactive) */
  GstSegment segment;
  CcMedia media;
  GstClockTime reached;         /* highest stream time seen, buffer ends */
  gboolean ended;               /* we sent EOS ourselves */
  gboolean warned;
  gboolean reported;
  gboolean fading;              /* the trim fade has begun */
  gboolean copied;              /* a buffer was copied to be cut or faded */
  /* error mode: past the maximum, within the tolerance; trim mode: in the
   * fade window while it is unknown whether the stream passes the cut */
  GQueue held;
  PassMax pass_max;
  gboolean pass_max_asked;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

#define gst_duration_guard_parent_class parent_class
G_DEFINE_TYPE (GstDurationGuard, gst_duration_guard, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (durationguard, "durationguard", GST_RANK_NONE,
    GST_TYPE_DURATION_GUARD);

static void gst_duration_guard_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_duration_guard_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_duration_guard_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_duration_guard_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buf);
static gboolean gst_duration_guard_sink_event (GstPad * pad,
    GstObject * parent, GstEvent * event);

static void
gst_duration_guard_class_init (GstDurationGuardClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_duration_guard_set_property;
  gobject_class->get_property = gst_duration_guard_get_property;
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_duration_guard_change_state);

  g_object_class_install_property (gobject_class, PROP_MIN_DURATION,
      g_param_spec_uint64 ("min-duration", "Minimum duration",
          "Shortest acceptable stream, in nanoseconds (0 = no minimum)",
          0, G_MAXUINT64, DEFAULT_MIN_DURATION, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_DURATION,
      g_param_spec_uint64 ("max-duration", "Maximum duration",
          "Longest acceptable stream, in nanoseconds (0 = no maximum)",
          0, G_MAXUINT64, DEFAULT_MAX_DURATION, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_ON_TOO_LONG,
      g_param_spec_enum ("on-too-long", "On too long",
          "What to do when the stream passes the maximum",
          GST_TYPE_CAMPUSCUT_TOO_LONG, DEFAULT_ON_TOO_LONG,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_ON_TOO_SHORT,
      g_param_spec_enum ("on-too-short", "On too short",
          "What to do when the stream ends before the minimum",
          GST_TYPE_CAMPUSCUT_TOO_SHORT, DEFAULT_ON_TOO_SHORT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_FADE,
      g_param_spec_uint64 ("fade", "Fade",
          "Length of the fade to black / silence before a trim, in "
          "nanoseconds; raw 8-bit video and S16, S32, F32 or F64 audio only "
          "(0 = hard cut)", 0, G_MAXUINT64, DEFAULT_FADE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_TOLERANCE,
      g_param_spec_uint64 ("tolerance", "Tolerance",
          "How far past the maximum a stream is trimmed rather than "
          "rejected, and how far short of the minimum it still passes, in "
          "nanoseconds", 0, G_MAXUINT64, DEFAULT_TOLERANCE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  gst_element_class_set_static_metadata (element_class,
      "Duration guard", "Filter/Analyzer",
      "Enforces a minimum and maximum stream duration: rejects, trims with a "
      "fade, or warns", "campuscut developers <campuscut@invalid>");

  gst_type_mark_as_plugin_api (GST_TYPE_CAMPUSCUT_TOO_LONG, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CAMPUSCUT_TOO_SHORT, 0);

  GST_DEBUG_CATEGORY_INIT (gst_duration_guard_debug, "durationguard", 0,
      "campuscut duration guard");
}

static void
reset_stream (GstDurationGuard * self)
{
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  self->reached = GST_CLOCK_TIME_NONE;
  self->ended = self->warned = self->reported = self->fading = FALSE;
  self->copied = FALSE;
  self->pass_max = PASS_UNKNOWN;
  self->pass_max_asked = FALSE;
}

static void
gst_duration_guard_init (GstDurationGuard * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_duration_guard_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_duration_guard_sink_event));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->srcpad);
  GST_PAD_SET_PROXY_SCHEDULING (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->min_duration = DEFAULT_MIN_DURATION;
  self->max_duration = DEFAULT_MAX_DURATION;
  self->on_too_long = DEFAULT_ON_TOO_LONG;
  self->on_too_short = DEFAULT_ON_TOO_SHORT;
  self->fade = DEFAULT_FADE;
  self->tolerance = DEFAULT_TOLERANCE;
  self->media.kind = CC_MEDIA_OTHER;
  reset_stream (self);
}

static void
gst_duration_guard_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstDurationGuard *self = GST_DURATION_GUARD (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MIN_DURATION:
      self->min_duration = g_value_get_uint64 (value);
      break;
    case PROP_MAX_DURATION:
      self->max_duration = g_value_get_uint64 (value);
      break;
    case PROP_ON_TOO_LONG:
      self->on_too_long = g_value_get_enum (value);
      break;
    case PROP_ON_TOO_SHORT:
      self->on_too_short = g_value_get_enum (value);
      break;
    case PROP_FADE:
      self->fade = g_value_get_uint64 (value);
      break;
    case PROP_TOLERANCE:
      self->tolerance = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_duration_guard_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstDurationGuard *self = GST_DURATION_GUARD (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MIN_DURATION:
      g_value_set_uint64 (value, self->min_duration);
      break;
    case PROP_MAX_DURATION:
      g_value_set_uint64 (value, self->max_duration);
      break;
    case PROP_ON_TOO_LONG:
      g_value_set_enum (value, self->on_too_long);
      break;
    case PROP_ON_TOO_SHORT:
      g_value_set_enum (value, self->on_too_short);
      break;
    case PROP_FADE:
      g_value_set_uint64 (value, self->fade);
      break;
    case PROP_TOLERANCE:
      g_value_set_uint64 (value, self->tolerance);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* A consistent copy of the properties for one buffer or event. */
typedef struct {
  guint64 min, max, fade, tolerance;
  GstCampuscutTooLong on_long;
  GstCampuscutTooShort on_short;
} Limits;

static void
get_limits (GstDurationGuard * self, Limits * l)
{
  GST_OBJECT_LOCK (self);
  l->min = self->min_duration;
  l->max = self->max_duration;
  l->fade = self->fade;
  l->tolerance = self->tolerance;
  l->on_long = self->on_too_long;
  l->on_short = self->on_too_short;
  GST_OBJECT_UNLOCK (self);
}

static const gchar *
media_name (CcMediaKind m)
{
  return m == CC_MEDIA_VIDEO ? "video" : m == CC_MEDIA_AUDIO ? "audio" : "other";
}

static void
post_verdict (GstDurationGuard * self, const Limits * l, const gchar * verdict,
    const gchar * action)
{
  GstStructure *s;

  if (self->reported)
    return;
  self->reported = TRUE;
  GST_INFO_OBJECT (self, "%s reached %" GST_TIME_FORMAT ": verdict %s, "
      "action %s",
      media_name (self->media.kind), GST_TIME_ARGS (self->reached), verdict,
      action);
  s = gst_structure_new ("campuscut-duration",
      "duration", G_TYPE_UINT64, GST_CLOCK_TIME_IS_VALID (self->reached) ?
      self->reached : (guint64) 0,
      "min-duration", G_TYPE_UINT64, l->min,
      "max-duration", G_TYPE_UINT64, l->max,
      "verdict", G_TYPE_STRING, verdict,
      "action", G_TYPE_STRING, action,
      "media", G_TYPE_STRING, media_name (self->media.kind), NULL);
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

/* The highest stream time the stream reached: buffer ends. */
static void
reach (GstDurationGuard * self, GstClockTime end)
{
  if (!GST_CLOCK_TIME_IS_VALID (self->reached) || end > self->reached)
    self->reached = end;
}

/* buf, writable; says when that takes a copy (the memory too when it is
 * written), and why: the first time of a stream at DEBUG, then at LOG. */
static GstBuffer *
make_writable (GstDurationGuard * self, GstBuffer * buf, const gchar * why)
{
  if (!gst_buffer_is_writable (buf)) {
    GST_CAT_LEVEL_LOG (GST_CAT_DEFAULT, self->copied ? GST_LEVEL_LOG :
        GST_LEVEL_DEBUG, self, "buffer at %" GST_TIME_FORMAT " is held "
        "elsewhere too: copied to %s it", GST_TIME_ARGS (GST_BUFFER_PTS (buf)),
        why);
    self->copied = TRUE;
  }
  return gst_buffer_make_writable (buf);
}

/* Ends the buffer at stream time max: video frames get a shorter duration,
 * raw audio loses the samples past the cut. */
static GstBuffer *
cut_buffer (GstDurationGuard * self, GstBuffer * buf, GstClockTime st,
    GstClockTime max)
{
  GstClockTime keep = max - st;

  GST_DEBUG_OBJECT (self, "cutting %" GST_TIME_FORMAT " at the maximum, %"
      GST_TIME_FORMAT " in", GST_TIME_ARGS (st), GST_TIME_ARGS (keep));
  buf = make_writable (self, buf, "cut");
  if (self->media.kind == CC_MEDIA_AUDIO) {
    gint bpf = GST_AUDIO_INFO_BPF (&self->media.audio);
    gsize frames = gst_buffer_get_size (buf) / bpf;
    gsize keep_frames = (gsize) gst_util_uint64_scale_round (keep,
        GST_AUDIO_INFO_RATE (&self->media.audio), GST_SECOND);

    if (keep_frames < frames)
      buf = gst_audio_buffer_truncate (buf, bpf, 0, keep_frames);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale_round (keep_frames,
        GST_SECOND, GST_AUDIO_INFO_RATE (&self->media.audio));
  } else {
    GST_BUFFER_DURATION (buf) = keep;
  }
  return buf;
}

static gboolean
is_raw (GstDurationGuard * self)
{
  return self->media.kind != CC_MEDIA_OTHER;
}

/* Cuts (and fades) a buffer that ends past max, then pushes it. */
static GstFlowReturn
push_trimmed (GstDurationGuard * self, GstBuffer * buf, GstClockTime st,
    GstClockTime end, const Limits * l)
{
  if (end > l->max) {
    buf = cut_buffer (self, buf, st, l->max);
    end = l->max;
  }
  if (l->fade && is_raw (self) && end + l->fade > l->max) {
    gdouble g0 = cc_fade_out_gain (st, l->max, l->fade);
    gdouble g1 = cc_fade_out_gain (end, l->max, l->fade);

    if (!self->fading) {
      self->fading = TRUE;
      GST_INFO_OBJECT (self, "fading to %s over %" GST_TIME_FORMAT ", from %"
          GST_TIME_FORMAT " to the cut at %" GST_TIME_FORMAT,
          self->media.kind == CC_MEDIA_VIDEO ? "black" : "silence",
          GST_TIME_ARGS (l->fade), GST_TIME_ARGS (l->max > l->fade ?
              l->max - l->fade : 0), GST_TIME_ARGS (l->max));
    }
    GST_LOG_OBJECT (self, "fade %" GST_TIME_FORMAT ": gain %.3f to %.3f",
        GST_TIME_ARGS (st), g0, g1);
    buf = make_writable (self, buf, "fade");
    /* A frame shows until its end: judge it there, so the last frame
     * before the cut is black. */
    if (self->media.kind == CC_MEDIA_VIDEO)
      cc_media_fade_video (&self->media.video, buf, g1);
    else
      cc_media_fade_audio (&self->media.audio, buf, 0, -1, g0, g1);
  }
  reach (self, end);
  return gst_pad_push (self->srcpad, buf);
}

static GstClockTime
stream_time_of (GstDurationGuard * self, GstBuffer * buf)
{
  return gst_segment_to_stream_time (&self->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
}

/* In error mode a stream may end within the tolerance past the maximum:
 * what lies past the maximum is held until EOS decides (then it is cut at
 * the maximum) or the stream runs past the tolerance (then it fails). */
static GstFlowReturn
release_held (GstDurationGuard * self, const Limits * l, gboolean cut)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GstBuffer *buf;

  GST_DEBUG_OBJECT (self, "releasing %u held buffer(s)%s",
      g_queue_get_length (&self->held), cut ? ", cut at the maximum" : "");
  while ((buf = g_queue_pop_head (&self->held))) {
    GstClockTime st = stream_time_of (self, buf);
    GstClockTime end = st + cc_media_buffer_duration (&self->media, buf);

    if (ret != GST_FLOW_OK || (cut && st >= l->max)) {
      gst_buffer_unref (buf);
      continue;
    }
    if (cut) {
      ret = push_trimmed (self, buf, st, end, l);
    } else {
      reach (self, end);
      ret = gst_pad_push (self->srcpad, buf);
    }
  }
  return ret;
}

/* Whether the stream runs past the maximum, asked of upstream once per
 * segment when the fade window starts: a file knows its duration, so the
 * fade can start on time without holding a second of frames. */
static PassMax
will_pass_max (GstDurationGuard * self, const Limits * l)
{
  gint64 dur = -1;

  if (self->pass_max == PASS_UNKNOWN && !self->pass_max_asked) {
    self->pass_max_asked = TRUE;
    if (gst_pad_peer_query_duration (self->sinkpad, GST_FORMAT_TIME, &dur) &&
        dur > 0) {
      GstClockTime end = gst_segment_to_stream_time (&self->segment,
          GST_FORMAT_TIME, (guint64) dur);
      if (GST_CLOCK_TIME_IS_VALID (end))
        self->pass_max = end > l->max ? PASS_YES : PASS_NO;
    }
    if (self->pass_max == PASS_UNKNOWN)
      GST_DEBUG_OBJECT (self, "in the fade window, upstream does not know "
          "the duration: holding frames until it is known whether the "
          "stream passes the cut");
    else
      GST_DEBUG_OBJECT (self, "upstream duration %" GST_TIME_FORMAT ": the "
          "stream %s the cut", GST_TIME_ARGS (dur), self->pass_max ==
          PASS_YES ? "runs past" : "ends before");
  }
  return self->pass_max;
}

/* Keeps buf until it is known what to do with it (release_held). */
static GstFlowReturn
hold (GstDurationGuard * self, GstBuffer * buf, GstClockTime st)
{
  GST_LOG_OBJECT (self, "holding %" GST_TIME_FORMAT, GST_TIME_ARGS (st));
  g_queue_push_tail (&self->held, buf);
  return GST_FLOW_OK;
}

static void
drop_held (GstDurationGuard * self)
{
  g_queue_clear_full (&self->held, (GDestroyNotify) gst_buffer_unref);
}

static GstFlowReturn
gst_duration_guard_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstDurationGuard *self = GST_DURATION_GUARD (parent);
  GstClockTime st, end;
  Limits l;

  if (self->ended) {
    gst_buffer_unref (buf);
    return GST_FLOW_EOS;
  }
  if (self->segment.format != GST_FORMAT_TIME || !GST_BUFFER_PTS_IS_VALID (buf))
    return gst_pad_push (self->srcpad, buf);

  st = stream_time_of (self, buf);
  if (!GST_CLOCK_TIME_IS_VALID (st))
    return gst_pad_push (self->srcpad, buf);   /* outside the segment */
  end = st + cc_media_buffer_duration (&self->media, buf);
  GST_LOG_OBJECT (self, "stream time %" GST_TIME_FORMAT " to %"
      GST_TIME_FORMAT, GST_TIME_ARGS (st), GST_TIME_ARGS (end));

  get_limits (self, &l);
  if (l.max && l.on_long == GST_CAMPUSCUT_TOO_LONG_TRIM && l.fade &&
      is_raw (self) && end <= l.max && end + l.fade > l.max) {
    /* In the fade window: fade only if the stream goes on past the cut. */
    switch (will_pass_max (self, &l)) {
      case PASS_YES:
        return push_trimmed (self, buf, st, end, &l);
      case PASS_UNKNOWN:
        return hold (self, buf, st);
      case PASS_NO:
        break;
    }
  }
  if (l.max == 0 || end <= l.max) {
    reach (self, end);
    return gst_pad_push (self->srcpad, buf);
  }

  switch (l.on_long) {
    case GST_CAMPUSCUT_TOO_LONG_TRIM:
      if (!g_queue_is_empty (&self->held)) {
        GstFlowReturn ret = release_held (self, &l, TRUE);
        if (ret != GST_FLOW_OK) {
          gst_buffer_unref (buf);
          return ret;
        }
      }
      if (st >= l.max)
        goto end_of_cut;
      return push_trimmed (self, buf, st, end, &l);
    case GST_CAMPUSCUT_TOO_LONG_ERROR:
      if (end > l.max + l.tolerance)
        goto too_long;
      if (g_queue_is_empty (&self->held))
        GST_DEBUG_OBJECT (self, "past the maximum at %" GST_TIME_FORMAT
            ": holding what follows until EOS shows whether the stream ends "
            "within the tolerance of %" GST_TIME_FORMAT, GST_TIME_ARGS (st),
            GST_TIME_ARGS (l.tolerance));
      return hold (self, buf, st);
    case GST_CAMPUSCUT_TOO_LONG_WARN:
    default:
      if (end > l.max + l.tolerance && !self->warned) {
        self->warned = TRUE;
        GST_INFO_OBJECT (self, "past the maximum at %" GST_TIME_FORMAT
            ": warning, the stream goes on", GST_TIME_ARGS (end));
        GST_ELEMENT_WARNING (self, STREAM, FAILED,
            (_("The stream is longer than the maximum of %.1f s."),
                l.max / (gdouble) GST_SECOND), ("media %s",
                media_name (self->media.kind)));
      }
      reach (self, end);
      return gst_pad_push (self->srcpad, buf);
  }

  /* ERRORS */
too_long:
  {
    self->reached = end;
    drop_held (self);
    post_verdict (self, &l, "too-long", "error");
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        (_("The stream is longer than the maximum of %.1f s."),
            l.max / (gdouble) GST_SECOND), ("media %s, reached %.3f s",
            media_name (self->media.kind), end / (gdouble) GST_SECOND));
    return GST_FLOW_ERROR;
  }
end_of_cut:
  {
    GST_INFO_OBJECT (self, "trimmed at %" GST_TIME_FORMAT ": EOS downstream "
        "and upstream", GST_TIME_ARGS (l.max));
    gst_buffer_unref (buf);
    if (!GST_CLOCK_TIME_IS_VALID (self->reached) || self->reached < l.max)
      self->reached = l.max;
    post_verdict (self, &l, "trimmed", "trim");
    self->ended = TRUE;
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
    return GST_FLOW_EOS;
  }
}

/* Whatever the stream reached at its end decides too-short. Returns FALSE
 * when the stream failed the rule and the error was posted. */
static gboolean
judge_at_end (GstDurationGuard * self)
{
  Limits l;
  GstClockTime reached = GST_CLOCK_TIME_IS_VALID (self->reached) ?
      self->reached : 0;

  if (self->reported)
    return TRUE;
  get_limits (self, &l);
  if (l.min && reached + l.tolerance < l.min) {
    if (l.on_short == GST_CAMPUSCUT_TOO_SHORT_WARN) {
      post_verdict (self, &l, "too-short", "warn");
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          (_("The stream lasts %.1f s, shorter than the minimum of %.1f s."),
              reached / (gdouble) GST_SECOND, l.min / (gdouble) GST_SECOND),
          ("media %s", media_name (self->media.kind)));
      return TRUE;
    }
    post_verdict (self, &l, "too-short", "error");
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        (_("The stream lasts %.1f s, shorter than the minimum of %.1f s."),
            reached / (gdouble) GST_SECOND, l.min / (gdouble) GST_SECOND),
        ("media %s", media_name (self->media.kind)));
    return FALSE;
  }
  if (l.max && reached > l.max)
    post_verdict (self, &l, "too-long", "warn");
  else
    post_verdict (self, &l, "ok", "none");
  return TRUE;
}

static gboolean
gst_duration_guard_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstDurationGuard *self = GST_DURATION_GUARD (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      cc_media_from_caps (&self->media, caps);
      GST_INFO_OBJECT (self, "%s, caps %" GST_PTR_FORMAT,
          media_name (self->media.kind), caps);
      break;
    }
    case GST_EVENT_SEGMENT:{
      Limits l;

      get_limits (self, &l);
      if (!g_queue_is_empty (&self->held))      /* the old segment's */
        release_held (self, &l, l.on_long == GST_CAMPUSCUT_TOO_LONG_ERROR);
      gst_event_copy_segment (event, &self->segment);
      GST_DEBUG_OBJECT (self, "new %" GST_SEGMENT_FORMAT, &self->segment);
      self->pass_max = PASS_UNKNOWN;
      self->pass_max_asked = FALSE;
      /* Tell downstream (videorate, encoders) where a trimmed stream will
       * end, so nothing fills up to the original end. */
      if (self->segment.format == GST_FORMAT_TIME && l.max &&
          l.on_long == GST_CAMPUSCUT_TOO_LONG_TRIM &&
          self->segment.rate > 0) {
        GstSegment seg = self->segment;
        guint64 stop = gst_segment_position_from_stream_time (&seg,
            GST_FORMAT_TIME, l.max);

        if (GST_CLOCK_TIME_IS_VALID (stop) &&
            (!GST_CLOCK_TIME_IS_VALID (seg.stop) || stop < seg.stop)) {
          guint32 seqnum = gst_event_get_seqnum (event);

          GST_INFO_OBJECT (self, "the segment downstream stops at %"
              GST_TIME_FORMAT ", where the stream will be trimmed",
              GST_TIME_ARGS (stop));
          seg.stop = stop;
          gst_event_unref (event);
          event = gst_event_new_segment (&seg);
          gst_event_set_seqnum (event, seqnum);
        }
      }
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      GST_DEBUG_OBJECT (self, "flushed: %u held buffer(s) dropped, measuring "
          "again", g_queue_get_length (&self->held));
      drop_held (self);
      reset_stream (self);
      break;
    case GST_EVENT_EOS:
      if (self->ended) {
        GST_DEBUG_OBJECT (self, "EOS from upstream after our own: dropped");
        gst_event_unref (event);
        return TRUE;
      }
      GST_DEBUG_OBJECT (self, "EOS at %" GST_TIME_FORMAT,
          GST_TIME_ARGS (self->reached));
      if (!g_queue_is_empty (&self->held)) {
        Limits l;

        /* Error mode holds only what passed the maximum: cut it there.
         * Trim mode held a fade window of a stream that ended in time. */
        get_limits (self, &l);
        if (l.on_long == GST_CAMPUSCUT_TOO_LONG_ERROR) {
          release_held (self, &l, TRUE);
          post_verdict (self, &l, "trimmed", "trim");
        } else {
          release_held (self, &l, FALSE);
        }
      }
      if (!judge_at_end (self)) {
        gst_event_unref (event);
        return FALSE;
      }
      break;
    default:
      /* After a trim the stream has ended here; what upstream still says
       * of it (a demuxer's tags go on to its end) has no one to reach, and
       * refusing it would make the demuxer fail. */
      if (self->ended && GST_EVENT_IS_SERIALIZED (event)) {
        GST_DEBUG_OBJECT (self, "%s after our EOS: dropped",
            GST_EVENT_TYPE_NAME (event));
        gst_event_unref (event);
        return TRUE;
      }
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static GstStateChangeReturn
gst_duration_guard_change_state (GstElement * element,
    GstStateChange transition)
{
  GstDurationGuard *self = GST_DURATION_GUARD (element);

  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    reset_stream (self);
    self->media.kind = CC_MEDIA_OTHER;
  }
  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    drop_held (self);
  return ret;
}
