/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * submissionbin: one school submission in, one conformant MP4 out.
 *
 * Copyright (C) 2026 campuscut developers
 */

/**
 * SECTION:element-submissionbin
 * @title: submissionbin
 *
 * Schools send whatever their phones and cameras made: portrait HEVC with a
 * rotation tag, variable frame rate, interlaced PAL MPEG-2, 10-bit HDR, 4:4:4,
 * odd sizes, WMV, FLV, files without audio. submissionbin turns any such file
 * into the campaign's delivery format in one self-contained element, the way
 * uritranscodebin does for generic transcoding, but with every encoder and
 * muxer setting fixed to what the campaign requires:
 *
 * - H.264 High, 8-bit 4:2:0, BT.709 tags, progressive, constant frame rate
 *   (#GstSubmissionBin:fps), square pixels;
 * - the rotation tag baked into the pixels, then the picture fitted with its
 *   aspect kept (padding) into 1920x1080, or 1080x1920 for portrait sources;
 * - x264 in quality mode with an explicit VBV ceiling, GOP of at most 2 s and
 *   B-frames, whatever x264enc's own defaults are;
 * - AAC-LC 48 kHz stereo; a source without audio gets a silent track;
 * - MP4 with the moov atom first;
 * - the category's duration rule (#GstSubmissionBin:category, durationguard),
 *   burned-in captions (#GstSubmissionBin:captions, captionburn), the school
 *   watermark (#GstSubmissionBin:school, #GstSubmissionBin:logo,
 *   schoolwatermark) and EBU R128 loudness (#GstSubmissionBin:loudness,
 *   loudnorm, two-pass when #GstSubmissionBin:input-loudness is given).
 *
 * With #GstSubmissionBin:platform-location it also writes the short-video
 * platform cut from the same decode: the stream is split after the
 * duration rule, cutlist keeps #GstSubmissionBin:platform-segments before
 * anything is scaled, and the kept frames are framed 9:16 over a blurred,
 * darkened copy of themselves (or kept in the source's aspect), with the
 * watermark and retimed captions laid out for portrait and their own
 * encoders. The platform cut never exceeds 60 s.
 *
 * The output appears only complete: it is written under a hidden temporary
 * name in the destination folder and renamed on EOS; on error or when the bin
 * is stopped early the temporary file is removed. An input whose data ends
 * well before the duration its container declares (a truncated upload) is an
 * error, not a short video.
 *
 * An upload is one file: submissionbin never autoplugs an element that would
 * read other files or the network on the input's behalf (HLS, DASH and Smooth
 * Streaming demuxers, SDP). Such an input fails with a STREAM WRONG_TYPE error.
 *
 * A job that stops making progress for #GstSubmissionBin:stall-timeout
 * seconds while PLAYING fails with a STREAM FAILED error instead of hanging.
 *
 * ## Errors
 * Every error message that leaves the bin, its children's and its own,
 * carries a details structure (gst_message_parse_error_details()) with:
 *
 * - `campuscut-stage` (string): `input` when the input is at fault (what a
 *   demuxer or decoder says about the data, a truncated file, a timestamp
 *   gap, a playlist instead of a video, no video stream), `output` when an
 *   output could not be written, `processing` for everything else: a
 *   failure of the normaliser itself on a file that decodes, a missing
 *   element, a stall. A demuxer's bare flow error ("Internal data stream
 *   error") is `processing`: it only says that a stream stopped.
 * - `campuscut-element` (string): the factory name of the element that
 *   failed (`submissionbin` for the bin's own findings).
 *
 * Segments, captions and the duration rule are in the input's stream time.
 * A transport stream's clock usually starts before its first picture, so
 * its first frame sits at, say, 0.7 s; #GstSubmissionBin:content-start moves
 * stream time 0 to that frame (campuscut sets it from its probe).
 *
 * The bin answers POSITION and DURATION queries in TIME with the source time
 * processed so far and the source's duration, so applications can show
 * progress even though the muxer writes nothing until EOS.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 submissionbin uri=file:///data/in/phone.mov \
 *     full-location=/data/out/full.mp4 category=story quality=standard \
 *     captions=/data/in/talk.srt school="技能成才职业技术学院" \
 *     logo=/data/in/emblem.svg platform-location=/data/out/platform.mp4 \
 *     platform-segments="0:05-0:35,1:10-1:40"
 * ]|
 *
 * ## Encoder choice
 * #GstSubmissionBin:video-encoder takes a factory name followed by optional
 * property=value pairs, e.g. `"x264enc speed-preset=slow"` or
 * `"vaapih264enc rate-control=cqp"`. With x264enc the campaign settings are
 * applied first and the given pairs override them; any other encoder gets
 * only the given pairs. Output caps always ask for H.264 High profile.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsrc.h>
#include <gst/audio/audio.h>
#include <gst/pbutils/pbutils.h>
#include <gst/video/video.h>

#include "gstsubmissionbin.h"
#include "ccloudness.h"
#include "ccpolicy.h"
#include "gstcampuscutenums.h"

GST_DEBUG_CATEGORY_STATIC (gst_submission_bin_debug);
#define GST_CAT_DEFAULT gst_submission_bin_debug

#define DEFAULT_URI NULL
#define DEFAULT_FULL_LOCATION NULL
#define DEFAULT_CATEGORY CC_CATEGORY_NONE
#define DEFAULT_QUALITY CC_QUALITY_STANDARD
#define DEFAULT_FPS_N 25
#define DEFAULT_FPS_D 1
#define DEFAULT_VIDEO_ENCODER "x264enc"
#define DEFAULT_AUDIO_BITRATE 160000
#define DEFAULT_STALL_TIMEOUT 60
#define DEFAULT_THREADS 0
#define DEFAULT_MIN_DURATION -1
#define DEFAULT_MAX_DURATION -1
#define DEFAULT_ON_TOO_LONG GST_CAMPUSCUT_TOO_LONG_ERROR
#define DEFAULT_TRIM_FADE GST_SECOND
#define DEFAULT_LOUDNESS CC_DEFAULT_LOUDNESS
/* AAC coding lets true peaks rise a little; normalise below the ceiling
 * by this much so the delivered file still keeps it. */
#define AAC_PEAK_MARGIN_DB 0.5
/* AAC-LC frames hold 1024 samples; an audio track cut on a frame boundary
 * ends exactly where its last frame does. */
#define AAC_FRAME_SAMPLES 1024

/* Data that ends this much before the declared duration means a truncated
 * upload; demuxers' declared durations are exact to well below this, except
 * estimated ones (MPEG-PS), which are not used for the check. */
#define TRUNCATION_TOLERANCE (GST_SECOND / 2)

enum
{
  PROP_0,
  PROP_URI,
  PROP_FULL_LOCATION,
  PROP_CATEGORY,
  PROP_QUALITY,
  PROP_FPS,
  PROP_VIDEO_ENCODER,
  PROP_AUDIO_BITRATE,
  PROP_STALL_TIMEOUT,
  PROP_THREADS,
  PROP_MIN_DURATION,
  PROP_MAX_DURATION,
  PROP_ON_TOO_LONG,
  PROP_TRIM_FADE,
  PROP_SCHOOL,
  PROP_LOGO,
  PROP_CAPTIONS,
  PROP_LOUDNESS,
  PROP_INPUT_LOUDNESS,
  PROP_PLATFORM_LOCATION,
  PROP_PLATFORM_SEGMENTS,
  PROP_PLATFORM_ASPECT,
  PROP_PLATFORM_INPUT_LOUDNESS,
  PROP_CONTENT_START,
  PROP_BYTES_WRITTEN,
};

/* The bin's own errors carry the same details as its children's (see
 * annotate_error): where the problem lies, for the application to tell
 * the input's fault from its own. */
#define BIN_ERROR_STAGE(el, stage, domain, code, text, debug) \
  GST_ELEMENT_ERROR_WITH_DETAILS (el, domain, code, text, debug, \
      ("campuscut-stage", G_TYPE_STRING, stage, \
          "campuscut-element", G_TYPE_STRING, "submissionbin", NULL))
#define BIN_ERROR_INPUT(el, domain, code, text, debug) \
  BIN_ERROR_STAGE (el, "input", domain, code, text, debug)
#define BIN_ERROR_PROCESSING(el, domain, code, text, debug) \
  BIN_ERROR_STAGE (el, "processing", domain, code, text, debug)
#define BIN_ERROR_OUTPUT(el, domain, code, text, debug) \
  BIN_ERROR_STAGE (el, "output", domain, code, text, debug)

/* The second output, the short-video platform cut. */
typedef struct {
  GstElement *mux, *sink;
  GstPad *video_pad, *audio_pad;
  gchar *part_location, *faststart_location;
  gboolean done;
  /* portrait framing: the picture over a blurred copy of itself */
  GstElement *fg_filter, *bg_filter, *bg_crop, *fit_filter;
  GstPad *fg_pad;               /* compositor pad of the foreground */
} PlatformOut;

/* The blurred background is this small before it is blown up: the
 * upscale is the blur. */
#define BG_BLUR_W 18
#define BG_BLUR_H 32
/* the longest side of the shrunk source before its 9:16 crop */
#define BG_BLUR_MAX 1024

struct _GstSubmissionBin
{
  GstBin parent;

  /* properties, under the object lock */
  gchar *uri;
  gchar *full_location;
  CcCategory category;
  CcQuality quality;
  gint fps_n, fps_d;
  gchar *video_encoder;
  guint audio_bitrate;
  guint stall_timeout;
  guint threads;
  gint64 min_duration, max_duration;
  GstCampuscutTooLong on_too_long;
  guint64 trim_fade;
  gchar *school;
  gchar *logo;
  gchar *captions;
  CcLoudnessTarget loudness;
  gdouble input_loudness;
  gchar *platform_location;
  gchar *platform_segments;
  gboolean platform_portrait;
  gdouble platform_input_loudness;
  guint64 content_start;
  PlatformOut plat;

  /* built at READY->PAUSED, torn down at PAUSED->READY */
  GList *built;                 /* every child we added */
  GstElement *decodebin;
  GstElement *mux;
  GstElement *sink;
  GstPad *mux_video_pad;
  GstPad *mux_audio_pad;
  GstElement *out_filter;       /* the capsfilter fixing the output frame */
  GstElement *silence;          /* appsrc when the source has no audio */
  gchar *part_location;
  gchar *faststart_location;
  guint out_long_edge, out_short_edge;

  /* streaming state, under the object lock */
  gboolean have_video, have_audio;
  GstClockTime decoded_video_end;       /* last decoded frame's end, stream time */
  gboolean done;                /* output renamed into place */
  gboolean failed;
  gboolean trimmed;             /* a guard cut the stream at the maximum */
  GstClockTime src_duration;
  gboolean duration_exact;
  gchar *container;             /* media type typefinding found */
  GstClockTime video_end;       /* running time reached by the video output */
  GstClockTime audio_end;       /* same for the source's own audio */
  GstSegment video_segment;
  guint64 silence_samples;      /* samples of silence pushed so far */

  /* stall watchdog */
  GstClockID watchdog;
  gint64 last_progress;         /* g_get_monotonic_time () of the last buffer */
};

#define gst_submission_bin_parent_class parent_class
G_DEFINE_TYPE (GstSubmissionBin, gst_submission_bin, GST_TYPE_BIN);

static gboolean submission_bin_init (GstPlugin * plugin);
GST_ELEMENT_REGISTER_DEFINE_CUSTOM (submissionbin, submission_bin_init);

static void gst_submission_bin_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_submission_bin_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_submission_bin_finalize (GObject * object);
static GstStateChangeReturn gst_submission_bin_change_state (GstElement *
    element, GstStateChange transition);
static gboolean gst_submission_bin_query (GstElement * element,
    GstQuery * query);
static GstMessage *annotate_error (GstSubmissionBin * self,
    GstMessage * message);
static void gst_submission_bin_handle_message (GstBin * bin,
    GstMessage * message);

static void
gst_submission_bin_class_init (GstSubmissionBinClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  gobject_class->set_property = gst_submission_bin_set_property;
  gobject_class->get_property = gst_submission_bin_get_property;
  gobject_class->finalize = gst_submission_bin_finalize;
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_submission_bin_change_state);
  element_class->query = GST_DEBUG_FUNCPTR (gst_submission_bin_query);
  bin_class->handle_message =
      GST_DEBUG_FUNCPTR (gst_submission_bin_handle_message);

  g_object_class_install_property (gobject_class, PROP_URI,
      g_param_spec_string ("uri", "URI",
          "URI of the submitted video (file:// for uploads). Required",
          DEFAULT_URI, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_FULL_LOCATION,
      g_param_spec_string ("full-location", "Full cut location",
          "Path of the full-cut MP4 to write; it appears only when complete. "
          "Required", DEFAULT_FULL_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CATEGORY,
      g_param_spec_enum ("category", "Category",
          "Campaign category of the submission; selects its duration rule",
          GST_TYPE_CAMPUSCUT_CATEGORY, DEFAULT_CATEGORY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_QUALITY,
      g_param_spec_enum ("quality", "Quality",
          "Output size and encoder effort", GST_TYPE_CAMPUSCUT_QUALITY,
          DEFAULT_QUALITY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_FPS,
      gst_param_spec_fraction ("fps", "Frame rate",
          "Constant output frame rate in frames per second", 1, 1, 120, 1,
          DEFAULT_FPS_N, DEFAULT_FPS_D,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_VIDEO_ENCODER,
      g_param_spec_string ("video-encoder", "Video encoder",
          "H.264 encoder factory name, optionally followed by "
          "property=value pairs (\"x264enc speed-preset=slow\"). With "
          "x264enc the campaign settings apply first. NULL means x264enc",
          DEFAULT_VIDEO_ENCODER, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_AUDIO_BITRATE,
      g_param_spec_uint ("audio-bitrate", "Audio bitrate",
          "AAC bitrate in bits per second", 32000, 512000,
          DEFAULT_AUDIO_BITRATE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_STALL_TIMEOUT,
      g_param_spec_uint ("stall-timeout", "Stall timeout",
          "Seconds without progress while PLAYING before the job fails "
          "with an error (0 = never)", 0, G_MAXUINT, DEFAULT_STALL_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_uint ("threads", "Threads",
          "Threads for scaling and for each encoder (0 = automatic: with "
          "the platform cut one per CPU core for the full cut's encoder and "
          "one for the platform cut's; x264's own count when only the full "
          "cut is encoded)",
          0, 64, DEFAULT_THREADS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_MIN_DURATION,
      g_param_spec_int64 ("min-duration", "Minimum duration",
          "Shortest acceptable submission in nanoseconds (-1 = the "
          "category's rule, 0 = no minimum)", -1, G_MAXINT64,
          DEFAULT_MIN_DURATION, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_DURATION,
      g_param_spec_int64 ("max-duration", "Maximum duration",
          "Longest acceptable submission in nanoseconds (-1 = the "
          "category's rule, 0 = no maximum)", -1, G_MAXINT64,
          DEFAULT_MAX_DURATION, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ON_TOO_LONG,
      g_param_spec_enum ("on-too-long", "On too long",
          "What to do with a submission longer than the maximum",
          GST_TYPE_CAMPUSCUT_TOO_LONG, DEFAULT_ON_TOO_LONG,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TRIM_FADE,
      g_param_spec_uint64 ("trim-fade", "Trim fade",
          "Fade to black and silence before a trim, in nanoseconds "
          "(0 = hard cut)", 0, G_MAXUINT64, DEFAULT_TRIM_FADE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_SCHOOL,
      g_param_spec_string ("school", "School",
          "School name for the watermark (UTF-8); NULL = none", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_LOGO,
      g_param_spec_string ("logo", "Logo",
          "School logo for the watermark: PNG, JPEG or SVG file; NULL = none",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_CAPTIONS,
      g_param_spec_string ("captions", "Captions",
          "Caption file to burn in: SRT, WebVTT or ASS in any common "
          "encoding; NULL = none", NULL, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_LOUDNESS,
      g_param_spec_enum ("loudness", "Loudness",
          "Loudness target of the outputs (EBU R128 measurement)",
          GST_TYPE_CAMPUSCUT_LOUDNESS, DEFAULT_LOUDNESS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_INPUT_LOUDNESS,
      g_param_spec_double ("input-loudness", "Input loudness",
          "Integrated loudness of the source measured beforehand, LUFS, for "
          "two-pass normalisation; 0 = not measured (normalise live)",
          -G_MAXDOUBLE, 0.0, 0.0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_PLATFORM_LOCATION,
      g_param_spec_string ("platform-location", "Platform cut location",
          "Path of the platform-cut MP4, from the same decode as the full "
          "cut; NULL = no platform cut", NULL, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_PLATFORM_SEGMENTS,
      g_param_spec_string ("platform-segments", "Platform segments",
          "Segments of the source for the platform cut, cutlist syntax "
          "(\"00:12.5-00:40,01:35-02:07\"); at most 60 s are kept", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_PLATFORM_ASPECT,
      g_param_spec_boolean ("platform-portrait", "Platform portrait",
          "Platform cut as 9:16 portrait (a landscape source over a blurred, "
          "darkened enlargement of itself); FALSE keeps the source's aspect",
          TRUE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class,
      PROP_PLATFORM_INPUT_LOUDNESS, g_param_spec_double
      ("platform-input-loudness", "Platform input loudness",
          "Integrated loudness of the platform segments of the source, "
          "measured beforehand, LUFS; 0 = not measured (normalise live)",
          -G_MAXDOUBLE, 0.0, 0.0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_CONTENT_START,
      g_param_spec_uint64 ("content-start", "Content start",
          "Stream time of the source's first picture, ns: the duration rule, "
          "captions and platform-segments count from there (a transport "
          "stream's clock often starts before its pictures). 0 = from "
          "stream time 0", 0, G_MAXUINT64, 0, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_BYTES_WRITTEN,
      g_param_spec_uint64 ("bytes-written", "Bytes written",
          "Bytes the outputs hold so far, unfinished files included (for a "
          "limit on what a job may write)", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_set_static_metadata (element_class,
      "Campaign submission normaliser", "Generic/Bin/Transcoder",
      "Decodes a submitted video once and writes the campaign's conformant "
      "MP4 (H.264 High / AAC-LC, faststart)",
      "campuscut developers <campuscut@invalid>");

  gst_type_mark_as_plugin_api (GST_TYPE_CAMPUSCUT_CATEGORY, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CAMPUSCUT_QUALITY, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CAMPUSCUT_LOUDNESS, 0);

  GST_DEBUG_CATEGORY_INIT (gst_submission_bin_debug, "submissionbin", 0,
      "campuscut submission normaliser");
}

static void
gst_submission_bin_init (GstSubmissionBin * self)
{
  self->category = DEFAULT_CATEGORY;
  self->quality = DEFAULT_QUALITY;
  self->fps_n = DEFAULT_FPS_N;
  self->fps_d = DEFAULT_FPS_D;
  self->video_encoder = g_strdup (DEFAULT_VIDEO_ENCODER);
  self->audio_bitrate = DEFAULT_AUDIO_BITRATE;
  self->stall_timeout = DEFAULT_STALL_TIMEOUT;
  self->threads = DEFAULT_THREADS;
  self->min_duration = DEFAULT_MIN_DURATION;
  self->max_duration = DEFAULT_MAX_DURATION;
  self->on_too_long = DEFAULT_ON_TOO_LONG;
  self->trim_fade = DEFAULT_TRIM_FADE;
  self->loudness = DEFAULT_LOUDNESS;
  self->platform_portrait = TRUE;
  self->src_duration = GST_CLOCK_TIME_NONE;
  self->video_end = GST_CLOCK_TIME_NONE;
  self->decoded_video_end = GST_CLOCK_TIME_NONE;
  self->audio_end = GST_CLOCK_TIME_NONE;
  gst_segment_init (&self->video_segment, GST_FORMAT_TIME);
}

static void
gst_submission_bin_finalize (GObject * object)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (object);

  g_free (self->uri);
  g_free (self->full_location);
  g_free (self->video_encoder);
  g_free (self->part_location);
  g_free (self->faststart_location);
  g_free (self->school);
  g_free (self->logo);
  g_free (self->captions);
  g_free (self->platform_location);
  g_free (self->platform_segments);
  g_free (self->container);
  g_free (self->plat.part_location);
  g_free (self->plat.faststart_location);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_submission_bin_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_URI:
      g_free (self->uri);
      self->uri = g_value_dup_string (value);
      break;
    case PROP_FULL_LOCATION:
      g_free (self->full_location);
      self->full_location = g_value_dup_string (value);
      break;
    case PROP_CATEGORY:
      self->category = g_value_get_enum (value);
      break;
    case PROP_QUALITY:
      self->quality = g_value_get_enum (value);
      break;
    case PROP_FPS:
      self->fps_n = gst_value_get_fraction_numerator (value);
      self->fps_d = gst_value_get_fraction_denominator (value);
      break;
    case PROP_VIDEO_ENCODER:
      g_free (self->video_encoder);
      self->video_encoder = g_value_dup_string (value);
      if (self->video_encoder == NULL)
        self->video_encoder = g_strdup (DEFAULT_VIDEO_ENCODER);
      break;
    case PROP_AUDIO_BITRATE:
      self->audio_bitrate = g_value_get_uint (value);
      break;
    case PROP_STALL_TIMEOUT:
      self->stall_timeout = g_value_get_uint (value);
      break;
    case PROP_THREADS:
      self->threads = g_value_get_uint (value);
      break;
    case PROP_MIN_DURATION:
      self->min_duration = g_value_get_int64 (value);
      break;
    case PROP_MAX_DURATION:
      self->max_duration = g_value_get_int64 (value);
      break;
    case PROP_ON_TOO_LONG:
      self->on_too_long = g_value_get_enum (value);
      break;
    case PROP_TRIM_FADE:
      self->trim_fade = g_value_get_uint64 (value);
      break;
    case PROP_SCHOOL:
      g_free (self->school);
      self->school = g_value_dup_string (value);
      break;
    case PROP_LOGO:
      g_free (self->logo);
      self->logo = g_value_dup_string (value);
      break;
    case PROP_CAPTIONS:
      g_free (self->captions);
      self->captions = g_value_dup_string (value);
      break;
    case PROP_LOUDNESS:
      self->loudness = g_value_get_enum (value);
      break;
    case PROP_INPUT_LOUDNESS:
      self->input_loudness = g_value_get_double (value);
      break;
    case PROP_PLATFORM_LOCATION:
      g_free (self->platform_location);
      self->platform_location = g_value_dup_string (value);
      break;
    case PROP_PLATFORM_SEGMENTS:
      g_free (self->platform_segments);
      self->platform_segments = g_value_dup_string (value);
      break;
    case PROP_PLATFORM_ASPECT:
      self->platform_portrait = g_value_get_boolean (value);
      break;
    case PROP_PLATFORM_INPUT_LOUDNESS:
      self->platform_input_loudness = g_value_get_double (value);
      break;
    case PROP_CONTENT_START:
      self->content_start = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static guint64
file_size (const gchar * path)
{
  GStatBuf st;

  return path && g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

/* Under the object lock. */
static guint64
bytes_written (GstSubmissionBin * self)
{
  return file_size (self->part_location) +
      file_size (self->faststart_location) +
      file_size (self->plat.part_location) +
      file_size (self->plat.faststart_location);
}

static void
gst_submission_bin_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_URI:
      g_value_set_string (value, self->uri);
      break;
    case PROP_FULL_LOCATION:
      g_value_set_string (value, self->full_location);
      break;
    case PROP_CATEGORY:
      g_value_set_enum (value, self->category);
      break;
    case PROP_QUALITY:
      g_value_set_enum (value, self->quality);
      break;
    case PROP_FPS:
      gst_value_set_fraction (value, self->fps_n, self->fps_d);
      break;
    case PROP_VIDEO_ENCODER:
      g_value_set_string (value, self->video_encoder);
      break;
    case PROP_AUDIO_BITRATE:
      g_value_set_uint (value, self->audio_bitrate);
      break;
    case PROP_STALL_TIMEOUT:
      g_value_set_uint (value, self->stall_timeout);
      break;
    case PROP_THREADS:
      g_value_set_uint (value, self->threads);
      break;
    case PROP_MIN_DURATION:
      g_value_set_int64 (value, self->min_duration);
      break;
    case PROP_MAX_DURATION:
      g_value_set_int64 (value, self->max_duration);
      break;
    case PROP_ON_TOO_LONG:
      g_value_set_enum (value, self->on_too_long);
      break;
    case PROP_TRIM_FADE:
      g_value_set_uint64 (value, self->trim_fade);
      break;
    case PROP_SCHOOL:
      g_value_set_string (value, self->school);
      break;
    case PROP_LOGO:
      g_value_set_string (value, self->logo);
      break;
    case PROP_CAPTIONS:
      g_value_set_string (value, self->captions);
      break;
    case PROP_LOUDNESS:
      g_value_set_enum (value, self->loudness);
      break;
    case PROP_INPUT_LOUDNESS:
      g_value_set_double (value, self->input_loudness);
      break;
    case PROP_PLATFORM_LOCATION:
      g_value_set_string (value, self->platform_location);
      break;
    case PROP_PLATFORM_SEGMENTS:
      g_value_set_string (value, self->platform_segments);
      break;
    case PROP_PLATFORM_ASPECT:
      g_value_set_boolean (value, self->platform_portrait);
      break;
    case PROP_PLATFORM_INPUT_LOUDNESS:
      g_value_set_double (value, self->platform_input_loudness);
      break;
    case PROP_CONTENT_START:
      g_value_set_uint64 (value, self->content_start);
      break;
    case PROP_BYTES_WRITTEN:
      g_value_set_uint64 (value, bytes_written (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Building blocks ------------------------------------------------------- */

static guint
effective_threads (GstSubmissionBin * self)
{
  return self->threads ? self->threads : g_get_num_processors ();
}

static GstElement *
make_child (GstSubmissionBin * self, const gchar * factory, const gchar * name)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (e == NULL) {
    gst_element_post_message (GST_ELEMENT_CAST (self),
        gst_missing_element_message_new (GST_ELEMENT_CAST (self), factory));
    BIN_ERROR_PROCESSING (self, CORE, MISSING_PLUGIN,
        ("The GStreamer element '%s' is missing; install the GStreamer "
            "plugin that provides it.", factory),
        (NULL));
    return NULL;
  }
  gst_bin_add (GST_BIN_CAST (self), e);
  GST_OBJECT_LOCK (self);
  self->built = g_list_prepend (self->built, gst_object_ref (e));
  GST_OBJECT_UNLOCK (self);
  return e;
}

/* Links a chain of elements that were added with make_child(); any NULL
 * (a missing factory, already reported) fails the whole chain. */
static gboolean
link_chain (GstElement ** chain, guint n)
{
  for (guint i = 0; i < n; i++)
    if (chain[i] == NULL)
      return FALSE;
  for (guint i = 0; i + 1 < n; i++)
    if (!gst_element_link (chain[i], chain[i + 1]))
      return FALSE;
  return TRUE;
}

static void
sync_chain (GstElement ** chain, guint n)
{
  /* Downstream first so no element pushes into a not-yet-running peer. */
  for (guint i = n; i > 0; i--)
    gst_element_sync_state_with_parent (chain[i - 1]);
}

static void
note_progress (GstSubmissionBin * self)
{
  GST_OBJECT_LOCK (self);
  self->last_progress = g_get_monotonic_time ();
  GST_OBJECT_UNLOCK (self);
}

/* Duration rule --------------------------------------------------------- */

/* The limits in force: the category's rule unless overridden. */
static void
duration_limits (GstSubmissionBin * self, guint64 * min, guint64 * max)
{
  cc_category_limits (self->category, min, max);
  if (self->min_duration >= 0)
    *min = (guint64) self->min_duration;
  if (self->max_duration >= 0)
    *max = (guint64) self->max_duration;
}

static GstElement *
make_guard (GstSubmissionBin * self, const gchar * name, guint64 min,
    guint64 max)
{
  GstElement *guard = make_child (self, "durationguard", name);

  if (guard) {
    g_object_set (guard, "min-duration", min, "max-duration", max, "fade",
        self->trim_fade, "tolerance", (guint64) CC_DURATION_TOLERANCE_NS,
        NULL);
    gst_util_set_object_arg (G_OBJECT (guard), "on-too-long",
        self->on_too_long == GST_CAMPUSCUT_TOO_LONG_TRIM ? "trim" :
        self->on_too_long == GST_CAMPUSCUT_TOO_LONG_WARN ? "warn" : "error");
  }
  return guard;
}

/* Rejects a source whose container states a duration outside the rule
 * before a single frame is decoded. FALSE when it posted the error. */
static gboolean
check_declared_duration (GstSubmissionBin * self, GstClockTime declared,
    gboolean exact)
{
  guint64 min, max;
  CcDurationVerdict v;
  gchar *rule;

  duration_limits (self, &min, &max);
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
      ("%.1f s; %s.", declared / (gdouble) GST_SECOND, rule),
      ("declared duration %" GST_TIME_FORMAT, GST_TIME_ARGS (declared)));
  g_free (rule);
  return FALSE;
}

/* Encoder --------------------------------------------------------------- */

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
  /* x264's automatic count is 1.5 frame threads per core, for one encoder
   * alone on the machine. With the platform cut two encoders share the
   * cores. The full cut's gets one frame thread per core: it encodes every
   * frame and has the cores to itself between the platform segments. The
   * platform cut's encodes one frame at a time: it only runs during its
   * segments (at most 60 s), when the full cut's encoder keeps the other
   * core busy, and each frame thread holds its own reference and look-ahead
   * frames (about 25 MB at 1080p). Without frame threads x264 has no
   * separate look-ahead thread either; for the full cut's encoder it is
   * switched off too: its buffer holds bframes + 1 more frames (in x264 and
   * in x264enc, 40 MB at 1080p) for a thread that finds no idle core;
   * without it the stream is bit-identical. */
  if (self->threads)
    g_object_set (enc, "threads", self->threads, NULL);
  else if (self->platform_location)
    g_object_set (enc, "threads", platform ? 1 : g_get_num_processors (),
        "sync-lookahead", 0, NULL);
  /* The fast presets turn off the tools that make a stream High profile;
   * the campaign requires High, so keep them on. */
  g_object_set (enc, "dct8x8", TRUE, "cabac", TRUE, NULL);
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

  enc = make_child (self, argv[0], name);
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
        ("Invalid video-encoder description '%s': %s", self->video_encoder,
            err->message), (NULL));
    g_clear_error (&err);
    return NULL;
  }
bad_property:
  {
    BIN_ERROR_PROCESSING (self, CORE, NEGOTIATION,
        ("Invalid video-encoder description '%s': each setting after the "
            "factory name must be an existing property=value", self->
            video_encoder), (NULL));
    g_strfreev (argv);
    return NULL;
  }
}

/* Video branch ---------------------------------------------------------- */

static GstCaps *
frame_caps (GstSubmissionBin * self, guint w, guint h)
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

/* The background fills the 9:16 frame: the source shrunk to a few pixels
 * in its own aspect, then its middle cut to 9:16. Cropping the tiny
 * picture rather than the source keeps the crop out of the caps a
 * source offers upstream: a rotation tag turns 16:9 into 9:16 after the
 * first caps, and a crop sized for the old caps would refuse the new
 * ones (aspectratiocrop did, and failed every rotated phone video). */
static void
set_platform_background (GstSubmissionBin * self, guint dw, guint dh)
{
  PlatformOut *p = &self->plat;
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
static void
set_platform_sizes (GstSubmissionBin * self, guint dw, guint dh)
{
  PlatformOut *p = &self->plat;
  guint W, H, fw, fh;
  GstCaps *c;

  if (!self->platform_portrait || p->fg_filter == NULL) {
    cc_output_frame_size (dw, dh, self->out_long_edge, self->out_short_edge,
        &W, &H);
    c = frame_caps (self, W, H);
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
  c = frame_caps (self, fw, fh);
  g_object_set (p->fg_filter, "caps", c, NULL);
  gst_caps_unref (c);
  g_object_set (p->fg_pad, "xpos", (gint) (W - fw) / 2, "ypos",
      (gint) (H - fh) / 2, NULL);
  c = frame_caps (self, W, H);
  g_object_set (p->fit_filter, "caps", c, NULL);
  gst_caps_unref (c);
  set_platform_background (self, dw, dh);
  GST_INFO_OBJECT (self, "platform frame %ux%u, picture %ux%u", W, H, fw, fh);
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

  out = frame_caps (self, ow, oh);
  GST_INFO_OBJECT (self, "source displays %ux%u, output frame %" GST_PTR_FORMAT,
      dw, dh, out);
  g_object_set (self->out_filter, "caps", out, NULL);
  gst_caps_unref (out);

  if (self->plat.fit_filter)
    set_platform_sizes (self, dw, dh);
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

static void push_silence_until (GstSubmissionBin * self, GstClockTime end);

/* Watches the encoded frames: progress for the watchdog and the position
 * query, and the clock that a generated silent track follows. */
static GstPadProbeReturn
video_out_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (user_data);

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime rt, end = GST_CLOCK_TIME_NONE;

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
    if (self->silence && GST_CLOCK_TIME_IS_VALID (end))
      push_silence_until (self, end);
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    switch (GST_EVENT_TYPE (event)) {
      case GST_EVENT_SEGMENT:
        GST_OBJECT_LOCK (self);
        gst_event_copy_segment (event, &self->video_segment);
        GST_OBJECT_UNLOCK (self);
        break;
      case GST_EVENT_EOS:
        if (self->silence) {
          if (GST_CLOCK_TIME_IS_VALID (self->video_end))
            push_silence_until (self, self->video_end);
          gst_app_src_end_of_stream (GST_APP_SRC (self->silence));
        }
        break;
      default:
        break;
    }
  }
  return GST_PAD_PROBE_OK;
}

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

static gboolean
link_to_mux (GstElement * last, GstPad * mux_pad)
{
  GstPad *src = gst_element_get_static_pad (last, "src");
  gboolean ok = gst_pad_link (src, mux_pad) == GST_PAD_LINK_OK;

  gst_object_unref (src);
  return ok;
}

/* Audio runs ahead of video by the video encoders' latency while the
 * muxers interleave: audio queues hold seconds, cheap at 384 kB/s. */
static GstElement *
make_audio_queue (GstSubmissionBin * self, const gchar * name)
{
  GstElement *q = make_child (self, "queue", name);

  if (q)
    g_object_set (q, "max-size-buffers", 0, "max-size-bytes", 0,
        "max-size-time", (guint64) (10 * GST_SECOND), NULL);
  return q;
}

static GstElement *
make_queue (GstSubmissionBin * self, const gchar * name)
{
  GstElement *q = make_child (self, "queue", name);

  /* One frame decouples the threads; every further frame costs 3 MB at
   * 1080p per queue, and the encoders' look-ahead is the real buffer (3
   * frames per queue measured the same speed at 55 MB more). */
  if (q)
    g_object_set (q, "max-size-buffers", 1, "max-size-bytes", 0,
        "max-size-time", G_GUINT64_CONSTANT (0), NULL);
  return q;
}

/* Overlays, encoder queue, encoder and profile caps after a fitted frame:
 * appended to chain. Overlays come after the one scale, on the output
 * frame: drawn at output resolution and laid out for its aspect. */
static void
append_encode_tail (GstSubmissionBin * self, GstElement ** chain, guint * n,
    gboolean platform)
{
  GstElement *enc_filter;
  GstCaps *c;

  if (self->school || self->logo) {
    GstElement *wm = make_child (self, "schoolwatermark",
        platform ? "platform-watermark" : "watermark");
    if (wm)
      g_object_set (wm, "text", self->school, "logo-location", self->logo,
          "platform-safe", platform, NULL);
    chain[(*n)++] = wm;
  }
  if (self->captions) {
    GstElement *cap = make_child (self, "captionburn",
        platform ? "platform-captions" : "captions");
    if (cap)
      g_object_set (cap, "location", self->captions, "cut",
          platform ? self->platform_segments : NULL, NULL);
    chain[(*n)++] = cap;
  }
  chain[(*n)++] = make_queue (self, platform ? "platform-encode-queue" :
      "video-encode-queue");
  chain[(*n)++] = make_video_encoder (self, platform ? "platform-encoder" :
      "video-encoder", platform);
  chain[(*n)++] = enc_filter = make_child (self, "capsfilter",
      platform ? "platform-h264-filter" : "h264-filter");
  if (enc_filter) {
    c = gst_caps_new_simple ("video/x-h264", "profile", G_TYPE_STRING, "high",
        "stream-format", G_TYPE_STRING, "avc", "alignment", G_TYPE_STRING,
        "au", NULL);
    g_object_set (enc_filter, "caps", c, NULL);
    gst_caps_unref (c);
  }
}

static gboolean
chain_ok (GstElement ** chain, guint n)
{
  for (guint i = 0; i < n; i++)
    if (chain[i] == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
link_pads (GstElement * a, const gchar * src, GstElement * b,
    const gchar * sink)
{
  return gst_element_link_pads (a, src, b, sink);
}

/* Platform video: the cut first (frames outside it cost nothing more),
 * then the 9:16 framing, overlays laid out for portrait, its own encoder. */
static gboolean
build_platform_video (GstSubmissionBin * self, GstElement * tee)
{
  PlatformOut *p = &self->plat;
  GstElement *chain[12];
  guint n = 0;
  GstElement *head;             /* where the kept frames come out */

  /* The cut before the queue: what is dropped never fills it, so the
   * full branch is never held up by a platform encoder waiting for the
   * next segment. */
  chain[n++] = make_child (self, "cutlist", "platform-video-cut");
  chain[n++] = make_queue (self, "platform-queue");
  if (!chain_ok (chain, n))
    return FALSE;
  g_object_set (chain[0], "segments", self->platform_segments,
      "stop-upstream", FALSE, NULL);
  if (!link_pads (tee, "src_%u", chain[0], "sink") || !link_chain (chain, n))
    return FALSE;
  sync_chain (chain, n);
  head = chain[1];

  if (self->platform_portrait) {
    GstElement *split = make_child (self, "tee", "platform-split");
    GstElement *fgq = make_queue (self, "platform-fg-queue");
    GstElement *fgs = make_child (self, "videoconvertscale", "platform-fg");
    GstElement *bgq = make_queue (self, "platform-bg-queue");
    GstElement *bgs = make_child (self, "videoconvertscale", "platform-bg");
    GstElement *dim = make_child (self, "videobalance", "platform-dim");
    GstElement *comp = make_child (self, "compositor", "platform-frame");
    GstElement *bg_chain[] = { bgq, bgs, NULL, NULL, dim };
    GstElement *fg_chain[] = { fgq, fgs, NULL };
    GstPad *bg_pad;

    p->fg_filter = make_child (self, "capsfilter", "platform-fg-filter");
    p->bg_filter = make_child (self, "capsfilter", "platform-bg-filter");
    p->bg_crop = make_child (self, "videocrop", "platform-crop");
    bg_chain[2] = p->bg_filter;
    bg_chain[3] = p->bg_crop;
    fg_chain[2] = p->fg_filter;
    if (!split || !fgq || !fgs || !bgq || !bgs || !dim || !comp ||
        !p->fg_filter || !p->bg_filter || !p->bg_crop)
      return FALSE;

    g_object_set (fgs, "add-borders", TRUE, "n-threads",
        effective_threads (self), NULL);
    /* the tiny size keeps the source's aspect to the nearest pixel: no
     * borders for the rounding */
    g_object_set (bgs, "add-borders", FALSE, NULL);
    set_platform_background (self, 16, 9);
    g_object_set (dim, "brightness", -0.25, "saturation", 0.8, NULL);

    if (!link_pads (head, "src", split, "sink") ||
        !link_pads (split, "src_%u", fgq, "sink") ||
        !link_pads (split, "src_%u", bgq, "sink") ||
        !link_chain (fg_chain, 3) || !link_chain (bg_chain, 5))
      return FALSE;
    bg_pad = gst_element_request_pad_simple (comp, "sink_%u");
    p->fg_pad = gst_element_request_pad_simple (comp, "sink_%u");
    {
      /* a smooth (cubic) blow-up of the tiny picture is the blur */
      GstStructure *cfg = gst_structure_new ("GstVideoConverter",
          GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD,
          GST_TYPE_VIDEO_RESAMPLER_METHOD, GST_VIDEO_RESAMPLER_METHOD_CUBIC,
          NULL);

      g_object_set (bg_pad, "zorder", 0, "width",
          (gint) (self->out_short_edge & ~1u), "height",
          (gint) (self->out_long_edge & ~1u), "converter-config", cfg, NULL);
      gst_structure_free (cfg);
    }
    g_object_set (p->fg_pad, "zorder", 1, NULL);
    {
      GstPad *a = gst_element_get_static_pad (dim, "src");
      GstPad *b = gst_element_get_static_pad (p->fg_filter, "src");
      gboolean ok = gst_pad_link (a, bg_pad) == GST_PAD_LINK_OK &&
          gst_pad_link (b, p->fg_pad) == GST_PAD_LINK_OK;
      gst_object_unref (a);
      gst_object_unref (b);
      gst_object_unref (bg_pad);
      if (!ok)
        return FALSE;
    }
    sync_chain (bg_chain, 5);
    sync_chain (fg_chain, 3);
    gst_element_sync_state_with_parent (comp);
    gst_element_sync_state_with_parent (split);
    n = 0;
    chain[n++] = comp;
  } else {
    n = 0;
    chain[n++] = head;
    chain[n++] = make_child (self, "videoconvertscale", "platform-fit");
    if (chain[1])
      g_object_set (chain[1], "add-borders", TRUE, "n-threads",
          effective_threads (self), NULL);
  }
  chain[n++] = p->fit_filter = make_child (self, "capsfilter",
      "platform-fit-filter");
  /* the campaign's limit holds whatever list was given */
  chain[n++] = make_guard (self, "platform-video-guard", 0,
      cc_category_max (CC_CATEGORY_PLATFORM));
  if (chain[n - 1])
    gst_util_set_object_arg (G_OBJECT (chain[n - 1]), "on-too-long", "trim");
  append_encode_tail (self, chain, &n, TRUE);

  if (!chain_ok (chain, n) || !link_chain (chain, n) ||
      !link_to_mux (chain[n - 1], p->video_pad))
    return FALSE;
  sync_chain (chain + 1, n - 1);
  return TRUE;
}

static gboolean
build_video_branch (GstSubmissionBin * self, GstPad * decoded, GstCaps * caps)
{
  GstElement *chain[16];
  guint n = 0;
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *imode = gst_structure_get_string (s, "interlace-mode");
  gboolean interlaced = imode && g_strcmp0 (imode, "progressive") != 0;
  GstElement *flip, *rate, *rate_filter, *scale, *tee = NULL;
  guint64 min, max;
  GstCaps *c;
  GstPad *pad;

  if (interlaced) {
    /* deinterlace handles 8-bit only; the converter is passthrough for
     * ordinary 8-bit sources. Fields must be merged before any rotation. */
    chain[n++] = make_child (self, "videoconvert", "deint-convert");
    chain[n++] = make_child (self, "deinterlace", NULL);
  }
  chain[n++] = flip = make_child (self, "videoflip", "rotate");
  chain[n++] = rate = make_child (self, "videorate", NULL);
  chain[n++] = rate_filter = make_child (self, "capsfilter", "rate-filter");
  /* After the rate change, before scaling: trimmed frames never cost a
   * scale or an encode. */
  duration_limits (self, &min, &max);
  chain[n++] = make_guard (self, "video-guard", min, max);
  /* One decode, two outputs: the platform cut branches off here, before
   * any scaling. */
  if (self->platform_location) {
    chain[n++] = tee = make_child (self, "tee", "video-split");
    chain[n++] = make_queue (self, "full-queue");
  }
  chain[n++] = scale = make_child (self, "videoconvertscale", "fit");
  chain[n++] = self->out_filter = make_child (self, "capsfilter", "fit-filter");
  append_encode_tail (self, chain, &n, FALSE);
  if (!chain_ok (chain, n))
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
  g_object_set (scale, "add-borders", TRUE, "n-threads",
      effective_threads (self), NULL);

  pad = gst_element_get_static_pad (flip, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      rotated_caps_probe, self, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      strip_orientation_probe, NULL, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (self->out_filter, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, video_out_probe, self, NULL);
  gst_object_unref (pad);

  if (!link_chain (chain, n) || !link_to_mux (chain[n - 1],
          self->mux_video_pad))
    return FALSE;
  if (tee && !build_platform_video (self, tee))
    return FALSE;
  sync_chain (chain, n);

  pad = gst_element_get_static_pad (chain[0], "sink");
  if (gst_pad_link (decoded, pad) != GST_PAD_LINK_OK) {
    gst_object_unref (pad);
    return FALSE;
  }
  gst_object_unref (pad);
  return TRUE;
}

/* Audio branch ---------------------------------------------------------- */

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

/* Everything after the source of raw audio: shared by decoded audio and the
 * generated silence. Returns the first element to link into. */
/* The loudness normaliser for the source's audio, or NULL when off. */
static GstElement *
make_loudnorm (GstSubmissionBin * self, gboolean platform)
{
  const CcLoudnessPreset *p = cc_loudness_target_preset (self->loudness);
  GstElement *ln;

  if (p == NULL)
    return NULL;                /* "off" */
  ln = make_child (self, "loudnorm", platform ? "platform-loudness" :
      "loudness");
  if (ln == NULL)
    return NULL;
  g_object_set (ln, "preset", NULL, "target", p->target_lufs, "true-peak",
      p->ceiling_dbtp - AAC_PEAK_MARGIN_DB, "interval", (guint64) 0, NULL);
  if ((platform ? self->platform_input_loudness : self->input_loudness) < 0) {
    gst_util_set_object_arg (G_OBJECT (ln), "mode", "two-pass");
    g_object_set (ln, "input-loudness", platform ?
        self->platform_input_loudness : self->input_loudness, NULL);
  } else {
    gst_util_set_object_arg (G_OBJECT (ln), "mode", "live");
  }
  return ln;
}

static guint64
aac_floor (guint64 t)
{
  return gst_util_uint64_scale (gst_util_uint64_scale (t, 48000,
          GST_SECOND * AAC_FRAME_SAMPLES) * AAC_FRAME_SAMPLES, GST_SECOND,
      48000);
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
  chain[(*n)++] = make_guard (self, platform ? "platform-audio-guard" :
      "audio-guard", 0, aac_floor (max));
  if (platform && chain[*n - 1])
    gst_util_set_object_arg (G_OBJECT (chain[*n - 1]), "on-too-long", "trim");
  if (normalise && cc_loudness_target_preset (self->loudness))
    chain[(*n)++] = make_loudnorm (self, platform);
  chain[(*n)++] = make_child (self, "audioconvert", platform ?
      "platform-encode-convert" : "audio-encode-convert");
  chain[(*n)++] = enc = make_child (self, "avenc_aac", platform ?
      "platform-audio-encoder" : "audio-encoder");
  chain[(*n)++] = make_child (self, "aacparse", NULL);
  if (!chain_ok (chain, *n))
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
  return link_chain (chain, *n) && link_to_mux (chain[*n - 1], mux_pad);
}

/* Raw audio in any layout to 48 kHz stereo, then one encode per output;
 * the platform output keeps only its segments. Returns the first element
 * to link into. */
static GstElement *
build_audio_encode_chain (GstSubmissionBin * self, gboolean normalise)
{
  GstElement *chain[10], *pchain[8];
  guint n = 0, pn = 0;
  GstElement *filter, *tee = NULL;
  GstCaps *c;
  guint64 min, max;

  duration_limits (self, &min, &max);
  chain[n++] = make_child (self, "audioconvert", NULL);
  chain[n++] = make_child (self, "audioresample", NULL);
  chain[n++] = filter = make_child (self, "capsfilter", "audio-filter");
  if (self->platform_location) {
    chain[n++] = tee = make_child (self, "tee", "audio-split");
    chain[n++] = make_audio_queue (self, "full-audio-queue");
  }
  if (!chain_ok (chain, n))
    return NULL;
  c = gst_caps_new_simple ("audio/x-raw", "rate", G_TYPE_INT, 48000,
      "channels", G_TYPE_INT, 2, NULL);
  g_object_set (filter, "caps", c, NULL);
  gst_caps_unref (c);
  if (!append_audio_tail (self, chain, &n, max, normalise, FALSE,
          self->mux_audio_pad))
    return NULL;

  if (tee) {
    GstElement *cut;

    pchain[pn++] = cut = make_child (self, "cutlist", "platform-audio-cut");
    pchain[pn++] = make_audio_queue (self, "platform-audio-queue");
    if (!chain_ok (pchain, pn))
      return NULL;
    g_object_set (cut, "segments", self->platform_segments, "stop-upstream",
        FALSE, NULL);
    if (!append_audio_tail (self, pchain, &pn,
            cc_category_max (CC_CATEGORY_PLATFORM),
            normalise, TRUE, self->plat.audio_pad) ||
        !link_pads (tee, "src_%u", pchain[0], "sink"))
      return NULL;
    sync_chain (pchain, pn);
  }
  sync_chain (chain, n);
  return chain[0];
}

static gboolean
build_audio_branch (GstSubmissionBin * self, GstPad * decoded)
{
  GstElement *first = build_audio_encode_chain (self, TRUE);
  GstPad *sink, *enc_src;
  GstElement *enc;
  gboolean ok;

  if (first == NULL)
    return FALSE;

  enc = gst_bin_get_by_name (GST_BIN_CAST (self), "audio-filter");
  enc_src = gst_element_get_static_pad (enc, "src");
  gst_pad_add_probe (enc_src, GST_PAD_PROBE_TYPE_BUFFER, audio_out_probe,
      self, NULL);
  gst_object_unref (enc_src);
  gst_object_unref (enc);

  sink = gst_element_get_static_pad (first, "sink");
  ok = gst_pad_link (decoded, sink) == GST_PAD_LINK_OK;
  gst_object_unref (sink);
  return ok;
}

#define SILENCE_RATE 48000
#define SILENCE_BPF 4           /* S16LE stereo */

static void
push_silence_until (GstSubmissionBin * self, GstClockTime end)
{
  guint64 target = gst_util_uint64_scale_round (end, SILENCE_RATE, GST_SECOND);

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
    if (gst_app_src_push_buffer (GST_APP_SRC (self->silence), buf) !=
        GST_FLOW_OK)
      break;
  }
}

static gboolean
build_silence_branch (GstSubmissionBin * self)
{
  GstElement *first = build_audio_encode_chain (self, FALSE);
  GstElement *src;
  GstCaps *caps;

  if (first == NULL)
    return FALSE;
  src = make_child (self, "appsrc", "silence");
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
  gst_element_sync_state_with_parent (src);
  self->silence = src;
  return TRUE;
}

/* decodebin signals ----------------------------------------------------- */

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
        ("The input is a streaming playlist or manifest, not a video file; "
            "upload the video file itself."), ("type %s", type));
    g_free (type);
  }
}


/* A decoded stream whose timestamps jump by more than
 * CC_MAX_TIMESTAMP_GAP_NS is damaged (or made to look hours long from a
 * few kilobytes): stop instead of filling the gap with repeated frames or
 * silence. Runs on the decoded pads; flushes and new segments start over. */
typedef struct
{
  GstSubmissionBin *self;       /* not a reference: the bin owns the pad */
  const gchar *what;
  GstClockTime last;
  GstSegment segment;
  GstClockTime *end;            /* where the data ended (stream time), or NULL */
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
    BIN_ERROR_INPUT (g->self, STREAM, DECODE,
        ("The %s jumps from %.1f s to %.1f s: the file's timestamps are "
            "damaged.", g->what, g->last / (gdouble) GST_SECOND,
            ts / (gdouble) GST_SECOND),
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
add_gap_guard (GstSubmissionBin * self, GstPad * pad, const gchar * what,
    GstClockTime * end)
{
  GapGuard *g = g_new0 (GapGuard, 1);

  g->self = self;
  g->what = what;
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
          "direct-rendering"))
    g_object_set (element, "direct-rendering", FALSE, NULL);
}

static void
pad_added_cb (GstElement * decodebin, GstPad * pad, GstSubmissionBin * self)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *name;
  gboolean ok = TRUE, used = FALSE;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  GST_DEBUG_OBJECT (self, "decoded pad %s: %" GST_PTR_FORMAT,
      GST_PAD_NAME (pad), caps);

  if (g_str_has_prefix (name, "video/x-raw") && !self->have_video) {
    gint64 dur = -1;
    gboolean exact;
    gint w = 0, h = 0;
    gchar *problem;

    GST_OBJECT_LOCK (self);
    exact = cc_container_has_exact_duration (self->container);
    GST_OBJECT_UNLOCK (self);
    self->have_video = used = TRUE;
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "width", &w);
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "height", &h);
    problem = cc_frame_size_problem ((guint) w, (guint) h);
    if (problem) {
      BIN_ERROR_INPUT (self, STREAM, DECODE, ("%s", problem), (NULL));
      g_free (problem);
      gst_caps_unref (caps);
      return;
    }
    /* the guard first: it compares the end with the declared duration,
     * both on the file's own clock */
    add_gap_guard (self, pad, "video", &self->decoded_video_end);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        content_start_probe, self, NULL);
    ok = build_video_branch (self, pad, caps);
    /* Upstream, through the decoder, to the demuxer. */
    if (gst_pad_query_duration (pad, GST_FORMAT_TIME, &dur) && dur >= 0) {
      GST_OBJECT_LOCK (self);
      self->src_duration = (GstClockTime) dur;
      self->duration_exact = exact;
      GST_OBJECT_UNLOCK (self);
      check_declared_duration (self, (GstClockTime) dur, exact);
    }
  } else if (g_str_has_prefix (name, "audio/x-raw") && !self->have_audio) {
    self->have_audio = used = TRUE;
    add_gap_guard (self, pad, "audio", NULL);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        content_start_probe, self, NULL);
    ok = build_audio_branch (self, pad);
  }

  if (!used) {
    /* Extra streams (second audio, subtitles, data) are not delivered. */
    GstElement *sink = make_child (self, "fakesink", NULL);

    if (sink) {
      GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");

      g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
      gst_pad_link (pad, sinkpad);
      gst_object_unref (sinkpad);
      gst_element_sync_state_with_parent (sink);
    }
  }
  gst_caps_unref (caps);

  if (!ok)
    BIN_ERROR_PROCESSING (self, CORE, NEGOTIATION,
        ("Could not build the %s branch of the normaliser.", name), (NULL));
}

static void
no_more_pads_cb (GstElement * decodebin, GstSubmissionBin * self)
{
  if (!self->have_video) {
    BIN_ERROR_INPUT (self, STREAM, WRONG_TYPE,
        ("The input has no video stream; the campaign needs a video file."),
        (NULL));
    return;
  }
  if (!self->have_audio && !build_silence_branch (self))
    BIN_ERROR_PROCESSING (self, CORE, NEGOTIATION,
        ("Could not build the silent audio track."), (NULL));
}

/* Construction and teardown --------------------------------------------- */

static gchar *
sibling_path (const gchar * location, const gchar * prefix,
    const gchar * suffix)
{
  gchar *dir = g_path_get_dirname (location);
  gchar *base = g_path_get_basename (location);
  gchar *name = g_strdup_printf ("%s%s%s", prefix, base, suffix);
  gchar *path = g_build_filename (dir, name, NULL);

  g_free (dir);
  g_free (base);
  g_free (name);
  return path;
}

static gboolean
build (GstSubmissionBin * self)
{
  GError *err = NULL;
  GstElement *src, *dec;
  const CcQualityPreset *p;

  if (self->uri == NULL || self->full_location == NULL)
    goto no_config;

  p = cc_quality_preset (self->quality);
  self->out_long_edge = p->long_edge;
  self->out_short_edge = p->short_edge;
  g_free (self->part_location);
  g_free (self->faststart_location);
  self->part_location = sibling_path (self->full_location, ".", ".part");
  self->faststart_location = sibling_path (self->full_location, ".",
      ".moov");

  src = gst_element_make_from_uri (GST_URI_SRC, self->uri, "source", &err);
  if (src == NULL)
    goto bad_uri;
  gst_bin_add (GST_BIN_CAST (self), src);
  self->built = g_list_prepend (self->built, gst_object_ref (src));

  dec = self->decodebin = make_child (self, "decodebin", "decode");
  self->mux = make_child (self, "mp4mux", "mux");
  self->sink = make_child (self, "filesink", "full-sink");
  if (!dec || !self->mux || !self->sink)
    return FALSE;

  g_signal_connect (dec, "autoplug-select", G_CALLBACK (autoplug_select_cb),
      self);
  g_signal_connect (dec, "unknown-type", G_CALLBACK (unknown_type_cb), self);
  g_signal_connect (dec, "pad-added", G_CALLBACK (pad_added_cb), self);
  g_signal_connect (dec, "no-more-pads", G_CALLBACK (no_more_pads_cb), self);
  g_signal_connect (dec, "deep-element-added", G_CALLBACK (decoder_added_cb),
      NULL);

  g_object_set (self->mux, "faststart", TRUE, "faststart-file",
      self->faststart_location, NULL);
  g_object_set (self->sink, "location", self->part_location, "async", FALSE,
      NULL);

  /* Request both mux pads now: the muxer refuses new pads once data flows. */
  self->mux_video_pad = gst_element_request_pad_simple (self->mux, "video_%u");
  self->mux_audio_pad = gst_element_request_pad_simple (self->mux, "audio_%u");

  if (!gst_element_link (src, dec) || !gst_element_link (self->mux,
          self->sink))
    goto link_failed;

  if (self->platform_location) {
    PlatformOut *pl = &self->plat;

    if (self->platform_segments == NULL)
      goto no_segments;
    g_free (pl->part_location);
    g_free (pl->faststart_location);
    pl->part_location = sibling_path (self->platform_location, ".", ".part");
    pl->faststart_location = sibling_path (self->platform_location, ".",
        ".moov");
    pl->mux = make_child (self, "mp4mux", "platform-mux");
    pl->sink = make_child (self, "filesink", "platform-sink");
    if (!pl->mux || !pl->sink)
      return FALSE;
    g_object_set (pl->mux, "faststart", TRUE, "faststart-file",
        pl->faststart_location, NULL);
    g_object_set (pl->sink, "location", pl->part_location, "async", FALSE,
        NULL);
    pl->video_pad = gst_element_request_pad_simple (pl->mux, "video_%u");
    pl->audio_pad = gst_element_request_pad_simple (pl->mux, "audio_%u");
    if (!gst_element_link (pl->mux, pl->sink))
      goto link_failed;
  }
  return TRUE;

  /* ERRORS */
no_segments:
  {
    BIN_ERROR_PROCESSING (self, LIBRARY, SETTINGS,
        ("A platform cut needs platform-segments."), (NULL));
    return FALSE;
  }
no_config:
  {
    BIN_ERROR_PROCESSING (self, RESOURCE, NOT_FOUND,
        ("Both 'uri' and 'full-location' must be set."), (NULL));
    return FALSE;
  }
bad_uri:
  {
    BIN_ERROR_INPUT (self, RESOURCE, NOT_FOUND,
        ("Cannot read '%s': %s", self->uri, err->message), (NULL));
    g_clear_error (&err);
    return FALSE;
  }
link_failed:
  {
    BIN_ERROR_PROCESSING (self, CORE, NEGOTIATION,
        ("Could not link the normaliser's fixed elements."), (NULL));
    return FALSE;
  }
}

static void
teardown (GstSubmissionBin * self)
{
  GList *built;

  if (self->mux_video_pad) {
    gst_element_release_request_pad (self->mux, self->mux_video_pad);
    gst_clear_object (&self->mux_video_pad);
  }
  if (self->mux_audio_pad) {
    gst_element_release_request_pad (self->mux, self->mux_audio_pad);
    gst_clear_object (&self->mux_audio_pad);
  }
  if (self->plat.video_pad) {
    gst_element_release_request_pad (self->plat.mux, self->plat.video_pad);
    gst_clear_object (&self->plat.video_pad);
  }
  if (self->plat.audio_pad) {
    gst_element_release_request_pad (self->plat.mux, self->plat.audio_pad);
    gst_clear_object (&self->plat.audio_pad);
  }

  GST_OBJECT_LOCK (self);
  built = self->built;
  self->built = NULL;
  GST_OBJECT_UNLOCK (self);

  for (GList * l = built; l; l = l->next) {
    GstElement *e = l->data;

    gst_element_set_state (e, GST_STATE_NULL);
    gst_bin_remove (GST_BIN_CAST (self), e);
  }
  g_list_free_full (built, gst_object_unref);

  self->decodebin = self->mux = self->sink = NULL;
  self->out_filter = self->silence = NULL;

  /* A job that did not finish leaves nothing behind. */
  if (!self->done && self->part_location)
    g_unlink (self->part_location);
  if (self->faststart_location)
    g_unlink (self->faststart_location);
  if (!self->plat.done && self->plat.part_location)
    g_unlink (self->plat.part_location);
  if (self->plat.faststart_location)
    g_unlink (self->plat.faststart_location);
  self->plat.mux = self->plat.sink = NULL;
  self->plat.fg_filter = self->plat.bg_filter = self->plat.fit_filter = NULL;
  self->plat.bg_crop = NULL;
  /* the request pad was returned with a reference of ours */
  gst_clear_object (&self->plat.fg_pad);
}

static void
reset_run_state (GstSubmissionBin * self)
{
  GST_OBJECT_LOCK (self);
  self->have_video = self->have_audio = FALSE;
  self->done = self->failed = self->trimmed = FALSE;
  self->plat.done = FALSE;
  self->src_duration = GST_CLOCK_TIME_NONE;
  self->video_end = self->audio_end = GST_CLOCK_TIME_NONE;
  self->decoded_video_end = GST_CLOCK_TIME_NONE;
  self->silence_samples = 0;
  self->duration_exact = FALSE;
  g_clear_pointer (&self->container, g_free);
  gst_segment_init (&self->video_segment, GST_FORMAT_TIME);
  GST_OBJECT_UNLOCK (self);
  note_progress (self);
}

/* Stall watchdog -------------------------------------------------------- */

static gboolean
watchdog_cb (GstClock * clock, GstClockTime time, GstClockID id,
    gpointer user_data)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (user_data);
  gint64 idle_us;
  guint timeout;

  /* Counts while PLAYING is the goal, also when preroll never completes
   * (an input that stops arriving during typefinding). */
  GST_OBJECT_LOCK (self);
  if (GST_STATE_TARGET (self) != GST_STATE_PLAYING) {
    self->last_progress = g_get_monotonic_time ();
    GST_OBJECT_UNLOCK (self);
    return TRUE;
  }
  timeout = self->stall_timeout;
  if (self->failed || self->done) {
    GST_OBJECT_UNLOCK (self);
    return TRUE;
  }
  idle_us = g_get_monotonic_time () - self->last_progress;
  if (timeout == 0 || idle_us < (gint64) timeout * G_USEC_PER_SEC) {
    GST_OBJECT_UNLOCK (self);
    return TRUE;
  }
  self->failed = TRUE;
  GST_OBJECT_UNLOCK (self);

  BIN_ERROR_PROCESSING (self, STREAM, FAILED,
      ("The job made no progress for %u s; the input may be damaged, or the "
          "machine is overloaded.", timeout),
      ("stall-timeout %u s exceeded", timeout));
  return TRUE;
}

static void
start_watchdog (GstSubmissionBin * self)
{
  GstClock *clock = gst_system_clock_obtain ();

  note_progress (self);
  self->watchdog = gst_clock_new_periodic_id (clock,
      gst_clock_get_time (clock) + GST_SECOND, GST_SECOND);
  gst_clock_id_wait_async (self->watchdog, watchdog_cb,
      gst_object_ref (self), gst_object_unref);
  gst_object_unref (clock);
}

static void
stop_watchdog (GstSubmissionBin * self)
{
  if (self->watchdog) {
    gst_clock_id_unschedule (self->watchdog);
    gst_clock_id_unref (self->watchdog);
    self->watchdog = NULL;
  }
}

/* Finishing ------------------------------------------------------------- */

/* Called when the file sink has received EOS: every byte is written. */
static gboolean
finish_output (GstSubmissionBin * self)
{
  GstClockTime reached, declared, tolerance;
  gboolean exact, no_video, no_audio;

  GST_OBJECT_LOCK (self);
  /* where the decoded data ended (videorate repeats the last frame up to
   * the segment's end, so the video after it would hide a cut-off file) */
  reached = self->decoded_video_end;
  if (GST_CLOCK_TIME_IS_VALID (self->audio_end) &&
      (!GST_CLOCK_TIME_IS_VALID (reached) || self->audio_end > reached))
    reached = self->audio_end;
  declared = self->src_duration;
  exact = self->duration_exact && !self->trimmed;
  /* a stream that was found but gave nothing would leave an empty track */
  no_video = !GST_CLOCK_TIME_IS_VALID (self->video_end);
  no_audio = self->have_audio && !GST_CLOCK_TIME_IS_VALID (self->audio_end);
  GST_OBJECT_UNLOCK (self);

  if (no_video || no_audio)
    goto nothing_decoded;
  /* a short clip may lose a large share of itself within the tolerance */
  tolerance = GST_CLOCK_TIME_IS_VALID (declared) ?
      MIN (TRUNCATION_TOLERANCE, declared / 10) : TRUNCATION_TOLERANCE;
  GST_DEBUG_OBJECT (self, "reached %" GST_TIME_FORMAT " of %" GST_TIME_FORMAT
      " (%s)", GST_TIME_ARGS (reached), GST_TIME_ARGS (declared),
      exact ? "exact" : "estimated");
  if (exact && GST_CLOCK_TIME_IS_VALID (declared) &&
      GST_CLOCK_TIME_IS_VALID (reached) && reached + tolerance < declared)
    goto truncated;
  /* and the other way: a header that claims less than the file holds
   * (the delivered cut would not match what the job planned from it) */
  if (exact && GST_CLOCK_TIME_IS_VALID (declared) &&
      GST_CLOCK_TIME_IS_VALID (reached) && reached > declared + tolerance)
    goto lying_header;

  if (g_rename (self->part_location, self->full_location) != 0)
    goto rename_failed;

  GST_OBJECT_LOCK (self);
  self->done = TRUE;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "wrote %s", self->full_location);
  return TRUE;

  /* ERRORS */
truncated:
  {
    BIN_ERROR_INPUT (self, STREAM, DEMUX,
        ("The input ends at %.1f s but declares %.1f s: the file is "
            "truncated (an incomplete upload?). Upload the complete file.",
            reached / (gdouble) GST_SECOND, declared / (gdouble) GST_SECOND),
        (NULL));
    return FALSE;
  }
lying_header:
  {
    BIN_ERROR_INPUT (self, STREAM, DEMUX,
        ("The input declares %.1f s but holds %.1f s: its header is "
            "damaged. Export the video again from the editing program.",
            declared / (gdouble) GST_SECOND, reached / (gdouble) GST_SECOND),
        (NULL));
    return FALSE;
  }
nothing_decoded:
  {
    BIN_ERROR_INPUT (self, STREAM, DECODE,
        ("The input's %s could not be decoded at all: the file is damaged "
            "or truncated. Upload the complete, original file.",
            no_video ? "video" : "audio"), (NULL));
    return FALSE;
  }
rename_failed:
  {
    BIN_ERROR_OUTPUT (self, RESOURCE, WRITE,
        ("Could not move the finished output into place at '%s': %s",
            self->full_location, g_strerror (errno)), (NULL));
    return FALSE;
  }
}

static gboolean
finish_platform_output (GstSubmissionBin * self)
{
  if (g_rename (self->plat.part_location, self->platform_location) != 0) {
    BIN_ERROR_OUTPUT (self, RESOURCE, WRITE,
        ("Could not move the finished platform cut into place at '%s': %s",
            self->platform_location, g_strerror (errno)), (NULL));
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  self->plat.done = TRUE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
gst_submission_bin_handle_message (GstBin * bin, GstMessage * message)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (bin);

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS &&
      GST_MESSAGE_SRC (message) == GST_OBJECT_CAST (self->sink)) {
    if (!finish_output (self)) {
      gst_message_unref (message);
      return;
    }
  } else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS &&
      self->plat.sink &&
      GST_MESSAGE_SRC (message) == GST_OBJECT_CAST (self->plat.sink)) {
    if (!finish_platform_output (self)) {
      gst_message_unref (message);
      return;
    }
  } else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    GST_OBJECT_LOCK (self);
    self->failed = TRUE;
    GST_OBJECT_UNLOCK (self);
    message = annotate_error (self, message);
  } else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT &&
      gst_message_has_name (message, "campuscut-duration") &&
      g_strcmp0 (gst_structure_get_string (gst_message_get_structure
              (message), "verdict"), "trimmed") == 0) {
    GST_OBJECT_LOCK (self);
    self->trimmed = TRUE;
    GST_OBJECT_UNLOCK (self);
  }
  GST_BIN_CLASS (parent_class)->handle_message (bin, message);
}

/* Whether a child's error is the input's fault: what the decoders and
 * demuxers say about the data. A flow error ("Internal data stream
 * error") only says that a stream stopped: its cause is downstream
 * (negotiation, an encoder) or was already reported. The bin's own errors
 * never pass through here: they are posted with their stage
 * (BIN_ERROR_*). */
static const gchar *
error_stage (GstSubmissionBin * self, GstObject * src, const GError * err)
{
  gboolean in_decoder = self->decodebin &&
      (src == GST_OBJECT_CAST (self->decodebin) ||
      gst_object_has_as_ancestor (src, GST_OBJECT_CAST (self->decodebin)));

  if (err->domain == GST_RESOURCE_ERROR &&
      (err->code == GST_RESOURCE_ERROR_WRITE ||
          err->code == GST_RESOURCE_ERROR_NO_SPACE_LEFT ||
          err->code == GST_RESOURCE_ERROR_OPEN_WRITE))
    return "output";
  if (!in_decoder)
    return (self->sink && src == GST_OBJECT_CAST (self->sink)) ||
        (self->mux && src == GST_OBJECT_CAST (self->mux)) ? "output" :
        "processing";
  if (err->domain == GST_STREAM_ERROR)
    return err->code == GST_STREAM_ERROR_FAILED ? "processing" : "input";
  if (err->domain == GST_RESOURCE_ERROR)
    return "input";
  return "processing";
}

/* Errors leave the bin with a details structure (`campuscut-error`) that
 * says where they arose, so that an application can tell the input's
 * fault from its own without knowing the bin's children. */
static GstMessage *
annotate_error (GstSubmissionBin * self, GstMessage * message)
{
  GError *err = NULL;
  gchar *dbg = NULL;
  const GstStructure *old = NULL;
  GstElementFactory *f = GST_IS_ELEMENT (GST_MESSAGE_SRC (message)) ?
      gst_element_get_factory (GST_ELEMENT (GST_MESSAGE_SRC (message))) :
      NULL;
  GstStructure *details;
  GstMessage *annotated;

  gst_message_parse_error_details (message, &old);
  if (old && gst_structure_has_field (old, "campuscut-stage"))
    return message;             /* from a submissionbin inside this one */
  gst_message_parse_error (message, &err, &dbg);
  details = old ? gst_structure_copy (old) :
      gst_structure_new_empty ("details");
  gst_structure_set (details, "campuscut-stage", G_TYPE_STRING,
      error_stage (self, GST_MESSAGE_SRC (message), err),
      "campuscut-element", G_TYPE_STRING, f ?
      GST_OBJECT_NAME (f) : GST_MESSAGE_SRC_NAME (message), NULL);
  GST_DEBUG_OBJECT (self, "error from %s (%s): %s",
      GST_MESSAGE_SRC_NAME (message), gst_structure_get_string (details,
          "campuscut-stage"), err->message);
  annotated = gst_message_new_error_with_details (GST_MESSAGE_SRC (message),
      err, dbg, details);
  gst_message_set_seqnum (annotated, gst_message_get_seqnum (message));
  gst_message_unref (message);
  g_error_free (err);
  g_free (dbg);
  return annotated;
}

static gboolean
gst_submission_bin_query (GstElement * element, GstQuery * query)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (element);
  GstFormat format;
  GstClockTime t = GST_CLOCK_TIME_NONE;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_POSITION:
      gst_query_parse_position (query, &format, NULL);
      if (format != GST_FORMAT_TIME)
        break;
      GST_OBJECT_LOCK (self);
      t = self->video_end;
      GST_OBJECT_UNLOCK (self);
      if (!GST_CLOCK_TIME_IS_VALID (t))
        t = 0;
      gst_query_set_position (query, GST_FORMAT_TIME, t);
      return TRUE;
    case GST_QUERY_DURATION:
      gst_query_parse_duration (query, &format, NULL);
      if (format != GST_FORMAT_TIME)
        break;
      GST_OBJECT_LOCK (self);
      t = self->src_duration;
      GST_OBJECT_UNLOCK (self);
      if (!GST_CLOCK_TIME_IS_VALID (t))
        return FALSE;
      gst_query_set_duration (query, GST_FORMAT_TIME, t);
      return TRUE;
    default:
      break;
  }
  return GST_ELEMENT_CLASS (parent_class)->query (element, query);
}

static GstStateChangeReturn
gst_submission_bin_change_state (GstElement * element,
    GstStateChange transition)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      reset_run_state (self);
      if (!build (self)) {
        teardown (self);
        return GST_STATE_CHANGE_FAILURE;
      }
      start_watchdog (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* Also READY_TO_NULL: stopping before preroll completed never
       * passes through PAUSED_TO_READY for the bin itself. */
    case GST_STATE_CHANGE_READY_TO_NULL:
      stop_watchdog (self);
      teardown (self);
      break;
    default:
      break;
  }
  if (ret == GST_STATE_CHANGE_FAILURE &&
      transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    stop_watchdog (self);
    teardown (self);
  }
  return ret;
}

static gboolean
submission_bin_init (GstPlugin * plugin)
{
  return gst_element_register (plugin, "submissionbin", GST_RANK_NONE,
      GST_TYPE_SUBMISSION_BIN);
}
