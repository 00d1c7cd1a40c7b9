/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * loudnorm: EBU R128 / ITU-R BS.1770 loudness measurement and
 * normalisation, measured with libebur128.
 *
 * Copyright (C) 2026 campuscut developers
 */

/**
 * SECTION:element-loudnorm
 * @title: loudnorm
 *
 * School videos range from a whisper recorded on a phone to a blasting
 * stage speaker; platforms normalise loudness and punish the extremes.
 * loudnorm measures integrated loudness, loudness range and true peak with
 * libebur128 and brings a programme to a target loudness under a true-peak
 * ceiling:
 *
 * - `measure`: passes audio through untouched and reports;
 * - `two-pass`: the application measured the programme first (with this
 *   element in `measure` mode) and gives #GstLoudNorm:input-loudness; one
 *   constant gain reaches the target, and a look-ahead true-peak limiter
 *   keeps the ceiling. What the limiter takes off the loudness is given back
 *   slowly, so the integrated result lands on the target;
 * - `live`: one pass: a slow gain rider follows the short-term loudness,
 *   with the same limiter. Its look-ahead is the element's latency,
 *   reported in the latency query.
 *
 * Targets come from #GstLoudNorm:preset (`web` -16 LUFS / -1 dBTP, `mobile`
 * -15 / -1 after GY/T 377, `quiet` -24 / -2, `ebu` -23 / -1) or, with
 * preset `custom`, from #GstLoudNorm:target and #GstLoudNorm:true-peak
 * directly. A programme whose loudness is below the -70 LUFS gate
 * (silence, room noise) is left as it is, with a warning: it is never
 * amplified into noise.
 *
 * Audio is F32 interleaved, any rate, one to eight channels (5.1 is
 * weighted as BS.1770 says, LFE excluded).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=talk.mp4 ! decodebin ! audioconvert ! \
 *     loudnorm mode=measure ! fakesink
 * gst-launch-1.0 filesrc location=talk.mp4 ! decodebin ! audioconvert ! \
 *     loudnorm mode=two-pass input-loudness=-27.3 preset=web ! \
 *     audioconvert ! autoaudiosink
 * ]|
 *
 * ## Element message
 * `campuscut-loudness`, every #GstLoudNorm:interval of audio and at EOS:
 *
 * - `final` (gboolean): TRUE for the last one, at EOS
 * - `momentary`, `short-term` (gdouble): LUFS of the input over the last
 *   400 ms and 3 s
 * - `integrated` (gdouble): integrated loudness of the input so far, LUFS
 * - `range` (gdouble): loudness range of the input, LU
 * - `true-peak` (gdouble): highest true peak of the input, dBTP
 * - `output-integrated`, `output-true-peak` (gdouble): the same for what
 *   leaves the element (equal to the input's in `measure` mode)
 * - `gain` (gdouble): gain applied before limiting, dB
 * - `limited` (gdouble): deepest limiter reduction since the last
 *   message, dB (0 when the limiter did nothing)
 * - `target`, `ceiling` (gdouble): LUFS and dBTP aimed at
 * - `silent` (gboolean): the programme is below the -70 LUFS gate
 *
 * Unmeasurable values (not enough audio yet, silence) are -inf.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <ebur128.h>
#include <gst/audio/audio.h>

#include "gstloudnorm.h"
#include "ccloudness.h"

GST_DEBUG_CATEGORY_STATIC (gst_loud_norm_debug);
#define GST_CAT_DEFAULT gst_loud_norm_debug

typedef enum {
  MODE_MEASURE,
  MODE_TWO_PASS,
  MODE_LIVE,
} Mode;

/* The presets by their CcLoudnessTarget value; custom, which is
 * CC_LOUDNESS_OFF (no preset) there, takes target and true-peak. */
typedef enum {
  GST_LOUD_NORM_PRESET_WEB = CC_LOUDNESS_WEB,
  GST_LOUD_NORM_PRESET_MOBILE = CC_LOUDNESS_MOBILE,
  GST_LOUD_NORM_PRESET_QUIET = CC_LOUDNESS_QUIET,
  GST_LOUD_NORM_PRESET_EBU = CC_LOUDNESS_EBU,
  GST_LOUD_NORM_PRESET_CUSTOM = CC_LOUDNESS_OFF,
} GstLoudNormPreset;

#define DEFAULT_MODE MODE_MEASURE
#define DEFAULT_PRESET GST_LOUD_NORM_PRESET_WEB
#define DEFAULT_TARGET -16.0
#define DEFAULT_TRUE_PEAK -1.0
#define DEFAULT_INPUT_LOUDNESS 0.0
#define DEFAULT_INTERVAL GST_SECOND
#define DEFAULT_LOOKAHEAD (5 * GST_MSECOND)
/* The limiter's peak estimate is a cubic interpolation: keep a little
 * below the ceiling so the measured true peak stays under it. */
#define ESTIMATE_MARGIN_DB 0.2
#define RELEASE_S 0.08
/* How much of the limiter's loudness loss two-pass mode may give back,
 * and how often (per second of audio) it looks at that loss. */
#define MAX_MAKEUP_DB 6.0
#define MAKEUP_UPDATES_PER_S 2
/* Audio time between the debug log's progress lines (gain, limiter). */
#define LOG_INTERVAL_S 1

enum
{
  PROP_0,
  PROP_MODE,
  PROP_PRESET,
  PROP_TARGET,
  PROP_TRUE_PEAK,
  PROP_INPUT_LOUDNESS,
  PROP_INTERVAL,
};

struct _GstLoudNorm
{
  GstElement parent;
  GstPad *sinkpad, *srcpad;

  /* properties, under the object lock */
  Mode mode;
  GstLoudNormPreset preset;
  gdouble target, true_peak, input_loudness;
  guint64 interval;
  /* what the limiter delays the audio by, GST_CLOCK_TIME_NONE without one;
   * under the object lock, as latency queries come from any thread */
  GstClockTime latency;

  /* streaming thread only (change_state resets and frees them while the
   * pads are inactive) */
  GstAudioInfo info;
  ebur128_state *in_state, *out_state;
  CcLimiter *limiter;
  CcGainRider rider;
  gdouble gain_db, makeup_db;
  gboolean silent, warned_silent;
  GstClockTime base_ts;         /* timestamp of the first frame since reset */
  guint64 frames_out;           /* frames pushed since base_ts */
  guint64 frames_since_msg;
  guint64 frames_since_makeup;
  guint64 frames_since_log;
  /* the limiter's deepest reduction (dB, <= 0) taken from it but not yet
   * in a message, not yet in the log, and since caps */
  gdouble limited_msg_db, limited_log_db, limited_stream_db;
  GstSegment segment;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw, format=(string)" GST_AUDIO_NE (F32)
        ", layout=(string)interleaved, rate=(int)[ 8000, 192000 ], "
        "channels=(int)[ 1, 8 ]"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw, format=(string)" GST_AUDIO_NE (F32)
        ", layout=(string)interleaved, rate=(int)[ 8000, 192000 ], "
        "channels=(int)[ 1, 8 ]"));

#define gst_loud_norm_parent_class parent_class
G_DEFINE_TYPE (GstLoudNorm, gst_loud_norm, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (loudnorm, "loudnorm", GST_RANK_NONE,
    GST_TYPE_LOUD_NORM);

#define GST_TYPE_LOUD_NORM_MODE (gst_loud_norm_mode_get_type ())
static GType
gst_loud_norm_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {MODE_MEASURE, "Measure only, audio passes untouched", "measure"},
    {MODE_TWO_PASS, "Constant gain from input-loudness, true-peak limiter",
        "two-pass"},
    {MODE_LIVE, "Single pass: slow gain rider and true-peak limiter", "live"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstLoudNormMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* Built from ccloudness.c's table, whose index is the CcLoudnessTarget
 * value, so that the numbers live in one place. */
#define GST_TYPE_LOUD_NORM_PRESET (gst_loud_norm_preset_get_type ())
static GType
gst_loud_norm_preset_get_type (void)
{
  static GType type = 0;

  if (g_once_init_enter (&type)) {
    guint n;
    const CcLoudnessPreset *p = cc_loudness_presets (&n);
    /* the presets, custom and the terminator; kept for the process */
    GEnumValue *values = g_new0 (GEnumValue, n + 2);
    GType t;

    for (guint i = 0; i < n; i++) {
      gchar *name = g_strdup_printf ("%s: %.0f LUFS, %.0f dBTP",
          p[i].description, p[i].target_lufs, p[i].ceiling_dbtp);

      name[0] = g_ascii_toupper (name[0]);
      values[i].value = (gint) i;
      values[i].value_name = name;
      values[i].value_nick = p[i].name;
    }
    values[n].value = GST_LOUD_NORM_PRESET_CUSTOM;
    values[n].value_name = "Custom: the target and true-peak properties";
    values[n].value_nick = "custom";
    t = g_enum_register_static ("GstLoudNormPreset", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static const gchar *
enum_nick (GType type, gint value)
{
  GEnumValue *v = g_enum_get_value (g_type_class_peek (type), value);

  return v ? v->value_nick : "?";
}

static void gst_loud_norm_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_loud_norm_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_loud_norm_change_state (GstElement * element,
    GstStateChange transition);
static GstFlowReturn gst_loud_norm_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf);
static gboolean gst_loud_norm_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_loud_norm_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);

static void
gst_loud_norm_class_init (GstLoudNormClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_loud_norm_set_property;
  gobject_class->get_property = gst_loud_norm_get_property;
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_loud_norm_change_state);

  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode", "Measure, or normalise in two passes "
          "or live", GST_TYPE_LOUD_NORM_MODE, DEFAULT_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_PRESET,
      g_param_spec_enum ("preset", "Preset",
          "Target loudness and true-peak ceiling; custom uses the target and "
          "true-peak properties", GST_TYPE_LOUD_NORM_PRESET, DEFAULT_PRESET,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TARGET,
      g_param_spec_double ("target", "Target",
          "Integrated loudness to reach, LUFS (used when preset is custom)",
          CC_LOUDNESS_GATE_LUFS, -5.0, DEFAULT_TARGET, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TRUE_PEAK,
      g_param_spec_double ("true-peak", "True peak",
          "True-peak ceiling, dBTP (used when preset is custom)", -9.0, 0.0,
          DEFAULT_TRUE_PEAK, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_INPUT_LOUDNESS,
      g_param_spec_double ("input-loudness", "Input loudness",
          "Integrated loudness of the whole input, measured beforehand, LUFS; "
          "two-pass mode needs it (0 = not measured)", -G_MAXDOUBLE, 0.0,
          DEFAULT_INPUT_LOUDNESS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_uint64 ("interval", "Interval",
          "Audio time between measurement messages, ns (0 = only at EOS)",
          0, G_MAXUINT64, DEFAULT_INTERVAL, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Loudness normaliser", "Filter/Effect/Audio/Analyzer",
      "Measures EBU R128 loudness and normalises to a target under a "
      "true-peak ceiling", "campuscut developers <campuscut@invalid>");
  gst_type_mark_as_plugin_api (GST_TYPE_LOUD_NORM_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_LOUD_NORM_PRESET, 0);

  GST_DEBUG_CATEGORY_INIT (gst_loud_norm_debug, "loudnorm", 0,
      "campuscut loudness normaliser");
}

static void
gst_loud_norm_init (GstLoudNorm * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_loud_norm_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_loud_norm_sink_event));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_loud_norm_src_query));
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->mode = DEFAULT_MODE;
  self->preset = DEFAULT_PRESET;
  self->target = DEFAULT_TARGET;
  self->true_peak = DEFAULT_TRUE_PEAK;
  self->input_loudness = DEFAULT_INPUT_LOUDNESS;
  self->interval = DEFAULT_INTERVAL;
  self->latency = GST_CLOCK_TIME_NONE;
  gst_audio_info_init (&self->info);
}

static void
gst_loud_norm_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstLoudNorm *self = GST_LOUD_NORM (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_PRESET:
      self->preset = g_value_get_enum (value);
      break;
    case PROP_TARGET:
      self->target = g_value_get_double (value);
      break;
    case PROP_TRUE_PEAK:
      self->true_peak = g_value_get_double (value);
      break;
    case PROP_INPUT_LOUDNESS:
      self->input_loudness = g_value_get_double (value);
      break;
    case PROP_INTERVAL:
      self->interval = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_loud_norm_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstLoudNorm *self = GST_LOUD_NORM (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_PRESET:
      g_value_set_enum (value, self->preset);
      break;
    case PROP_TARGET:
      g_value_set_double (value, self->target);
      break;
    case PROP_TRUE_PEAK:
      g_value_set_double (value, self->true_peak);
      break;
    case PROP_INPUT_LOUDNESS:
      g_value_set_double (value, self->input_loudness);
      break;
    case PROP_INTERVAL:
      g_value_set_uint64 (value, self->interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Target and ceiling in force. */
static void
targets (GstLoudNorm * self, gdouble * target, gdouble * ceiling)
{
  const CcLoudnessPreset *p;

  GST_OBJECT_LOCK (self);
  p = cc_loudness_target_preset ((CcLoudnessTarget) self->preset);
  *target = p ? p->target_lufs : self->target;
  *ceiling = p ? p->ceiling_dbtp : self->true_peak;
  GST_OBJECT_UNLOCK (self);
}

static void
free_states (GstLoudNorm * self)
{
  if (self->in_state)
    ebur128_destroy (&self->in_state);
  if (self->out_state)
    ebur128_destroy (&self->out_state);
  GST_OBJECT_LOCK (self);
  self->latency = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);
  cc_limiter_free (self->limiter);
  self->limiter = NULL;
}

static ebur128_state *
new_state (const GstAudioInfo * info)
{
  guint ch = GST_AUDIO_INFO_CHANNELS (info);
  ebur128_state *st = ebur128_init (ch, GST_AUDIO_INFO_RATE (info),
      EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK |
      EBUR128_MODE_S);

  if (st == NULL)
    return NULL;
  for (guint c = 0; c < ch; c++) {
    int where = EBUR128_UNUSED;

    switch (ch == 1 ? GST_AUDIO_CHANNEL_POSITION_MONO :
        info->position[c]) {
      case GST_AUDIO_CHANNEL_POSITION_MONO:
      case GST_AUDIO_CHANNEL_POSITION_FRONT_LEFT:
        where = EBUR128_LEFT;
        break;
      case GST_AUDIO_CHANNEL_POSITION_FRONT_RIGHT:
        where = EBUR128_RIGHT;
        break;
      case GST_AUDIO_CHANNEL_POSITION_FRONT_CENTER:
        where = EBUR128_CENTER;
        break;
      case GST_AUDIO_CHANNEL_POSITION_REAR_LEFT:
      case GST_AUDIO_CHANNEL_POSITION_SIDE_LEFT:
        where = EBUR128_LEFT_SURROUND;
        break;
      case GST_AUDIO_CHANNEL_POSITION_REAR_RIGHT:
      case GST_AUDIO_CHANNEL_POSITION_SIDE_RIGHT:
        where = EBUR128_RIGHT_SURROUND;
        break;
      case GST_AUDIO_CHANNEL_POSITION_LFE1:
        where = EBUR128_UNUSED;
        break;
      default:
        /* unpositioned extra channels count like a front channel */
        where = c == 0 ? EBUR128_LEFT : c == 1 ? EBUR128_RIGHT :
            EBUR128_CENTER;
        break;
    }
    ebur128_set_channel (st, c, where);
  }
  return st;
}

/* The constant gain of two-pass mode, from the loudness measured
 * beforehand. */
static void
setup_two_pass (GstLoudNorm * self, gdouble input, gdouble target)
{
  if (input >= 0.0 || input < CC_LOUDNESS_GATE_LUFS) {
    /* not measured, or below the gate: leave it as it is */
    self->silent = input < CC_LOUDNESS_GATE_LUFS;
    self->gain_db = 0.0;
    if (self->silent)
      GST_INFO_OBJECT (self, "two-pass: input %.2f LUFS is below the %.0f "
          "LUFS gate: no gain, it is not amplified into noise", input,
          CC_LOUDNESS_GATE_LUFS);
    else
      GST_INFO_OBJECT (self, "two-pass without input-loudness: no gain, "
          "only the limiter works");
  } else {
    self->gain_db = target - input;
    GST_INFO_OBJECT (self, "two-pass: input %.2f LUFS, constant gain %+.2f "
        "dB", input, self->gain_db);
  }
}

static void
setup_limiter (GstLoudNorm * self, gdouble ceiling)
{
  guint rate = GST_AUDIO_INFO_RATE (&self->info);
  GstClockTime latency;

  self->limiter = cc_limiter_new (GST_AUDIO_INFO_CHANNELS (&self->info),
      rate, ceiling - ESTIMATE_MARGIN_DB,
      DEFAULT_LOOKAHEAD / (gdouble) GST_SECOND, RELEASE_S);
  self->limited_msg_db = self->limited_log_db = 0.0;
  self->limited_stream_db = 0.0;
  latency = gst_util_uint64_scale (cc_limiter_latency (self->limiter),
      GST_SECOND, rate);
  GST_OBJECT_LOCK (self);
  self->latency = latency;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "true-peak limiter at %.2f dBTP (%.1f dB below the "
      "ceiling for its peak estimate), latency %u frames, %" GST_TIME_FORMAT,
      ceiling - ESTIMATE_MARGIN_DB, ESTIMATE_MARGIN_DB,
      cc_limiter_latency (self->limiter), GST_TIME_ARGS (latency));
}

static gboolean
setup (GstLoudNorm * self, GstCaps * caps)
{
  gdouble target, ceiling, input;
  GstLoudNormPreset preset;
  Mode mode;

  if (!gst_audio_info_from_caps (&self->info, caps))
    return FALSE;
  free_states (self);
  self->in_state = new_state (&self->info);
  self->out_state = new_state (&self->info);
  if (!self->in_state || !self->out_state)
    return FALSE;

  targets (self, &target, &ceiling);
  GST_OBJECT_LOCK (self);
  mode = self->mode;
  preset = self->preset;
  input = self->input_loudness;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "caps %" GST_PTR_FORMAT, caps);
  GST_INFO_OBJECT (self, "mode %s, preset %s: target %.1f LUFS, ceiling %.1f "
      "dBTP", enum_nick (GST_TYPE_LOUD_NORM_MODE, mode),
      enum_nick (GST_TYPE_LOUD_NORM_PRESET, preset), target, ceiling);

  self->silent = FALSE;
  self->gain_db = 0.0;
  self->makeup_db = 0.0;
  if (mode == MODE_TWO_PASS)
    setup_two_pass (self, input, target);
  else if (mode == MODE_LIVE)
    GST_INFO_OBJECT (self, "live: the gain follows the short-term loudness");
  else
    GST_INFO_OBJECT (self, "measure: the audio passes untouched");
  cc_gain_rider_init (&self->rider, target);
  if (mode != MODE_MEASURE)
    setup_limiter (self, ceiling);
  return TRUE;
}

static gdouble
lufs_or_inf (int (*fn) (ebur128_state *, double *), ebur128_state * st)
{
  double v = -INFINITY;

  if (st == NULL || fn (st, &v) != EBUR128_SUCCESS)
    return -INFINITY;
  return v;
}

static gdouble
true_peak_db (ebur128_state * st, guint channels)
{
  double peak = 0.0;

  for (guint c = 0; st && c < channels; c++) {
    double p = 0.0;
    if (ebur128_true_peak (st, c, &p) == EBUR128_SUCCESS)
      peak = MAX (peak, p);
  }
  return peak > 0 ? 20.0 * log10 (peak) : -INFINITY;
}

/* Takes the limiter's deepest reduction since the last take for both the
 * next message and the log: the minimum of the takes is what one take
 * would have returned. */
static void
take_limited (GstLoudNorm * self)
{
  gdouble db = cc_limiter_take_min_gain_db (self->limiter);

  self->limited_msg_db = MIN (self->limited_msg_db, db);
  self->limited_log_db = MIN (self->limited_log_db, db);
  self->limited_stream_db = MIN (self->limited_stream_db, db);
}

/* The limiter forgets its reduction when it is drained or reset; so do
 * the messages (the log keeps what it took before). */
static void
limiter_forgot (GstLoudNorm * self)
{
  self->limited_msg_db = 0.0;
}

static void
post_measurement (GstLoudNorm * self, gboolean final)
{
  guint ch = GST_AUDIO_INFO_CHANNELS (&self->info);
  gdouble target, ceiling, range = -INFINITY, integrated, limited = 0.0;
  GstStructure *s;

  if (self->in_state == NULL)
    return;
  targets (self, &target, &ceiling);
  ebur128_loudness_range (self->in_state, &range);
  integrated = lufs_or_inf (ebur128_loudness_global, self->in_state);
  if (self->limiter) {
    take_limited (self);
    limited = self->limited_msg_db;
    self->limited_msg_db = 0.0;
  }
  s = gst_structure_new ("campuscut-loudness",
      "final", G_TYPE_BOOLEAN, final,
      "momentary", G_TYPE_DOUBLE, lufs_or_inf (ebur128_loudness_momentary,
          self->in_state),
      "short-term", G_TYPE_DOUBLE, lufs_or_inf (ebur128_loudness_shortterm,
          self->in_state),
      "integrated", G_TYPE_DOUBLE, integrated,
      "range", G_TYPE_DOUBLE, range,
      "true-peak", G_TYPE_DOUBLE, true_peak_db (self->in_state, ch),
      "output-integrated", G_TYPE_DOUBLE, self->limiter ?
      lufs_or_inf (ebur128_loudness_global, self->out_state) : integrated,
      "output-true-peak", G_TYPE_DOUBLE, true_peak_db (self->limiter ?
          self->out_state : self->in_state, ch),
      "gain", G_TYPE_DOUBLE, self->gain_db + self->makeup_db,
      "limited", G_TYPE_DOUBLE, limited,
      "target", G_TYPE_DOUBLE, target,
      "ceiling", G_TYPE_DOUBLE, ceiling,
      "silent", G_TYPE_BOOLEAN, self->silent ||
      (final && !(integrated >= CC_LOUDNESS_GATE_LUFS)), NULL);
  GST_CAT_LEVEL_LOG (GST_CAT_DEFAULT, final ? GST_LEVEL_INFO : GST_LEVEL_DEBUG,
      self, "%s%" GST_PTR_FORMAT, final ? "final: " : "", s);
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

/* A progress line every LOG_INTERVAL_S of audio: the loudness coming in,
 * the gain and what the limiter took off since the last line. */
static void
log_progress (GstLoudNorm * self, Mode mode)
{
  gdouble st = lufs_or_inf (ebur128_loudness_shortterm, self->in_state);

  if (self->limiter == NULL) {
    GST_DEBUG_OBJECT (self, "short-term %.2f LUFS, integrated %.2f LUFS", st,
        lufs_or_inf (ebur128_loudness_global, self->in_state));
    return;
  }
  take_limited (self);
  if (mode == MODE_LIVE)
    GST_DEBUG_OBJECT (self, "short-term %.2f LUFS in, rider gain %+.2f dB, "
        "limiter down to %.2f dB", st, self->gain_db, self->limited_log_db);
  else
    GST_DEBUG_OBJECT (self, "short-term %.2f LUFS in, gain %+.2f dB with "
        "%.2f dB makeup, limiter down to %.2f dB", st,
        self->gain_db + self->makeup_db, self->makeup_db,
        self->limited_log_db);
  self->limited_log_db = 0.0;
}

/* Two-pass: the limiter lowers the loudness where it works. What the
 * output would be without it is the input so far plus the gain; the
 * difference to what actually left is given back, so the integrated result
 * lands on the target. */
static void
update_makeup (GstLoudNorm * self)
{
  gdouble in = lufs_or_inf (ebur128_loudness_global, self->in_state);
  gdouble out = lufs_or_inf (ebur128_loudness_global, self->out_state);

  if (!isfinite (in) || !isfinite (out))
    return;
  self->makeup_db = CLAMP (self->makeup_db + (in + self->gain_db - out),
      0.0, MAX_MAKEUP_DB);
  GST_LOG_OBJECT (self, "output %.2f LUFS for %.2f expected: makeup %.2f dB",
      out, in + self->gain_db, self->makeup_db);
}

static GstFlowReturn
push_frames (GstLoudNorm * self, gfloat * data, guint frames)
{
  guint bpf = GST_AUDIO_INFO_BPF (&self->info);
  guint rate = GST_AUDIO_INFO_RATE (&self->info);
  GstBuffer *out;

  if (frames == 0) {
    g_free (data);
    return GST_FLOW_OK;
  }
  ebur128_add_frames_float (self->out_state, data, frames);
  out = gst_buffer_new_wrapped (data, (gsize) frames * bpf);
  GST_BUFFER_PTS (out) = self->base_ts + gst_util_uint64_scale (self->frames_out,
      GST_SECOND, rate);
  GST_BUFFER_DURATION (out) = self->base_ts +
      gst_util_uint64_scale (self->frames_out + frames, GST_SECOND, rate) -
      GST_BUFFER_PTS (out);
  GST_BUFFER_OFFSET (out) = self->frames_out;
  if (self->frames_out == 0)
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DISCONT);
  self->frames_out += frames;
  return gst_pad_push (self->srcpad, out);
}

static void
drain (GstLoudNorm * self)
{
  guint ch = GST_AUDIO_INFO_CHANNELS (&self->info);
  gfloat *tail;
  guint n;

  if (self->limiter == NULL)
    return;
  take_limited (self);
  tail = g_new (gfloat, (gsize) (cc_limiter_latency (self->limiter) + 1) * ch);
  n = cc_limiter_drain (self->limiter, tail);
  limiter_forgot (self);
  if (n)
    GST_DEBUG_OBJECT (self, "drained %u frames from the look-ahead", n);
  push_frames (self, tail, n);
}

static GstFlowReturn
gst_loud_norm_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstLoudNorm *self = GST_LOUD_NORM (parent);
  guint rate = GST_AUDIO_INFO_RATE (&self->info);
  guint ch = GST_AUDIO_INFO_CHANNELS (&self->info);
  gdouble target, ceiling;
  guint64 interval;
  GstMapInfo map;
  guint frames;
  gfloat *out;
  guint produced;
  Mode mode;

  if (self->in_state == NULL) {
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("no caps before the first buffer"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  gst_buffer_map (buf, &map, GST_MAP_READ);
  frames = (guint) (map.size / GST_AUDIO_INFO_BPF (&self->info));
  GST_LOG_OBJECT (self, "%u frames at %" GST_TIME_FORMAT, frames,
      GST_TIME_ARGS (GST_BUFFER_PTS (buf)));
  ebur128_add_frames_float (self->in_state, (const float *) map.data, frames);

  GST_OBJECT_LOCK (self);
  mode = self->mode;
  interval = self->interval;
  GST_OBJECT_UNLOCK (self);
  targets (self, &target, &ceiling);

  self->frames_since_msg += frames;
  if (interval) {
    guint64 every = MAX (1, gst_util_uint64_scale (interval, rate, GST_SECOND));
    if (self->frames_since_msg >= every) {
      self->frames_since_msg -= every;
      post_measurement (self, FALSE);
    }
  }

  self->frames_since_log += frames;
  if (self->frames_since_log >= (guint64) rate * LOG_INTERVAL_S) {
    self->frames_since_log = 0;
    log_progress (self, mode);
  }

  if (self->limiter == NULL) {
    /* measure: untouched */
    gst_buffer_unmap (buf, &map);
    return gst_pad_push (self->srcpad, buf);
  }

  if (self->frames_out == 0 && !GST_CLOCK_TIME_IS_VALID (self->base_ts))
    self->base_ts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) : 0;

  if (mode == MODE_LIVE) {
    gdouble st = lufs_or_inf (ebur128_loudness_shortterm, self->in_state);
    self->gain_db = cc_gain_rider_update (&self->rider, st,
        frames / (gdouble) rate);
  } else if (!self->silent) {
    self->frames_since_makeup += frames;
    if (self->frames_since_makeup >= rate / MAKEUP_UPDATES_PER_S) {
      self->frames_since_makeup = 0;
      update_makeup (self);
    }
  }

  out = g_new (gfloat, (gsize) frames * ch);
  produced = cc_limiter_process (self->limiter, (const gfloat *) map.data,
      frames, cc_db_to_lin (self->gain_db + self->makeup_db), out);
  GST_LOG_OBJECT (self, "gain %+.2f dB, %u frames out of the look-ahead",
      self->gain_db + self->makeup_db, produced);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  return push_frames (self, out, produced);
}

static void
warn_if_silent (GstLoudNorm * self)
{
  gdouble integrated = lufs_or_inf (ebur128_loudness_global, self->in_state);

  if (self->warned_silent || integrated >= CC_LOUDNESS_GATE_LUFS)
    return;
  self->warned_silent = TRUE;
  GST_ELEMENT_WARNING (self, STREAM, FAILED,
      (_("The audio is silent or nearly so (below %.0f LUFS); it was left as "
              "it is rather than amplified into noise."),
          CC_LOUDNESS_GATE_LUFS), ("integrated loudness %.2f LUFS",
          integrated));
}

static gboolean
gst_loud_norm_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstLoudNorm *self = GST_LOUD_NORM (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      drain (self);
      if (!setup (self, caps)) {
        gst_event_unref (event);
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
            ("cannot measure %" GST_PTR_FORMAT, caps));
        return FALSE;
      }
      self->base_ts = GST_CLOCK_TIME_NONE;
      self->frames_out = 0;
      break;
    }
    case GST_EVENT_SEGMENT:
      /* a new segment starts a new run of timestamps */
      drain (self);
      gst_event_copy_segment (event, &self->segment);
      GST_DEBUG_OBJECT (self, "output timestamps start again at the %"
          GST_SEGMENT_FORMAT, &self->segment);
      self->base_ts = GST_CLOCK_TIME_NONE;
      self->frames_out = 0;
      break;
    case GST_EVENT_FLUSH_STOP:
      GST_DEBUG_OBJECT (self, "flushed: the look-ahead is emptied");
      if (self->limiter) {
        cc_limiter_reset (self->limiter);
        limiter_forgot (self);
      }
      self->base_ts = GST_CLOCK_TIME_NONE;
      self->frames_out = 0;
      break;
    case GST_EVENT_EOS:
      drain (self);
      warn_if_silent (self);
      post_measurement (self, TRUE);
      if (self->limiter)
        GST_INFO_OBJECT (self, "the limiter took off at most %.2f dB",
            self->limited_stream_db);
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_loud_norm_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstLoudNorm *self = GST_LOUD_NORM (parent);
  GstClockTime ours = GST_CLOCK_TIME_NONE;

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    GST_OBJECT_LOCK (self);
    ours = self->latency;
    GST_OBJECT_UNLOCK (self);
  }
  if (GST_CLOCK_TIME_IS_VALID (ours)) {
    gboolean live;
    GstClockTime min, max;

    if (!gst_pad_peer_query (self->sinkpad, query))
      return FALSE;
    gst_query_parse_latency (query, &live, &min, &max);
    min += ours;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += ours;
    gst_query_set_latency (query, live, min, max);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

static GstStateChangeReturn
gst_loud_norm_change_state (GstElement * element, GstStateChange transition)
{
  GstLoudNorm *self = GST_LOUD_NORM (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    self->warned_silent = FALSE;
    self->frames_since_msg = self->frames_since_makeup = 0;
    self->frames_since_log = 0;
    self->base_ts = GST_CLOCK_TIME_NONE;
    self->frames_out = 0;
  }
  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    free_states (self);
  return ret;
}
