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
 * The bin prerolls nothing (its file sinks do not wait for data): it reaches
 * PAUSED and PLAYING at once, in the thread that changes its state, whether
 * or not the input has been typefound yet.
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
 * Only the platform cut, made again with other segments (a reviewer's
 * change): without #GstSubmissionBin:full-location the bin decodes the
 * input up to the last segment's end and writes the platform cut alone,
 * with the same captions, watermark and loudness handling.
 * |[
 * gst-launch-1.0 submissionbin uri=file:///data/in/phone.mov \
 *     category=story captions=/data/in/talk.srt \
 *     school="技能成才职业技术学院" logo=/data/in/emblem.svg \
 *     platform-location=/data/out/platform.mp4 \
 *     platform-segments="0:20-0:50,2:00-2:25"
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

#include <string.h>
#include <glib/gstdio.h>

#include <glib/gi18n-lib.h>

#include "gstsubmissionbin-private.h"
#include "cccutlist.h"

GST_DEBUG_CATEGORY (gst_submission_bin_debug);

#define DEFAULT_URI NULL
#define DEFAULT_FULL_LOCATION NULL
#define DEFAULT_CATEGORY CC_DEFAULT_CATEGORY
#define DEFAULT_QUALITY CC_DEFAULT_QUALITY
#define DEFAULT_FPS_N CC_DEFAULT_FPS_N
#define DEFAULT_FPS_D CC_DEFAULT_FPS_D
#define DEFAULT_VIDEO_ENCODER CC_DEFAULT_VIDEO_ENCODER
#define DEFAULT_AUDIO_BITRATE CC_DEFAULT_AUDIO_BITRATE
#define DEFAULT_STALL_TIMEOUT CC_DEFAULT_STALL_TIMEOUT_S
#define DEFAULT_THREADS 0
#define DEFAULT_MIN_DURATION -1
#define DEFAULT_MAX_DURATION -1
#define DEFAULT_ON_TOO_LONG ((GstCampuscutTooLong) CC_DEFAULT_ON_TOO_LONG)
#define DEFAULT_TRIM_FADE CC_DEFAULT_TRIM_FADE_NS
#define DEFAULT_LOUDNESS CC_DEFAULT_LOUDNESS
#define DEFAULT_PLATFORM_PORTRAIT \
  (CC_DEFAULT_PLATFORM_ASPECT == CC_PLATFORM_PORTRAIT)


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
static void gst_submission_bin_handle_message (GstBin * bin,
    GstMessage * message);
static GstMessage *annotate_error (GstSubmissionBin * self,
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
          "Required unless platform-location alone is set (the platform cut "
          "made again)", DEFAULT_FULL_LOCATION,
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
          "Threads for scaling and for each encoder (0 = automatic: one "
          "scaling thread per CPU core, x264's own count for each encoder)",
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
          GST_TYPE_CAMPUSCUT_LOUDNESS, DEFAULT_LOUDNESS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
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
          "cut; NULL = no platform cut. Without full-location only the "
          "platform cut is made, reading the input up to the last "
          "segment's end", NULL, G_PARAM_READWRITE |
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
  self->platform_portrait = DEFAULT_PLATFORM_PORTRAIT;
  self->out[OUTPUT_FULL].name = "full";
  self->platform_end = GST_CLOCK_TIME_NONE;
  self->out[OUTPUT_PLATFORM].name = "platform";
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
  g_free (self->school);
  g_free (self->logo);
  g_free (self->captions);
  g_free (self->platform_location);
  g_free (self->platform_segments);
  g_free (self->container);
  for (guint i = 0; i < N_OUTPUTS; i++) {
    g_free (self->out[i].part_location);
    g_free (self->out[i].faststart_location);
  }

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
      g_value_set_uint64 (value, submission_output_bytes (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Construction and teardown --------------------------------------------- */

/* Everything but the decoded streams' branches, which pad-added builds:
 * source and decodebin, the muxers and file sinks. */
static gboolean
build (GstSubmissionBin * self)
{
  const CcQualityPreset *p;

  if (self->uri == NULL || (self->full_location == NULL &&
          self->platform_location == NULL)) {
    BIN_ERROR_PROCESSING (self, RESOURCE, NOT_FOUND,
        (_("'uri' and 'full-location' (or 'platform-location' alone) must "
                "be set.")), (NULL));
    return FALSE;
  }
  if (self->platform_location && self->platform_segments == NULL) {
    BIN_ERROR_PROCESSING (self, LIBRARY, SETTINGS,
        (_("A platform cut needs platform-segments.")), (NULL));
    return FALSE;
  }
  if (submission_platform_only (self)) {
    GArray *spans = cc_cutlist_parse (self->platform_segments, NULL);

    /* the cutlist element reports a list it cannot read */
    GST_OBJECT_LOCK (self);
    if (spans && spans->len > 0)
      self->platform_end = g_array_index (spans, CcSpan, spans->len - 1).end;
    GST_OBJECT_UNLOCK (self);
    if (spans)
      g_array_unref (spans);
  }

  p = cc_quality_preset (self->quality);
  self->out_long_edge = p->long_edge;
  self->out_short_edge = p->short_edge;
  GST_INFO_OBJECT (self, "%s: category %s, quality %s (%ux%u), %d/%d fps",
      self->uri, cc_category_to_string (self->category),
      cc_quality_to_string (self->quality), p->long_edge, p->short_edge,
      self->fps_n, self->fps_d);

  if (!submission_input_build (self) || (self->full_location &&
          !submission_output_open (self, &self->out[OUTPUT_FULL],
              self->full_location)))
    return FALSE;
  if (self->platform_location &&
      !submission_output_open (self, &self->out[OUTPUT_PLATFORM],
          self->platform_location))
    return FALSE;
  /* configured: the bin's own state change starts them, except the input
   * (see set_input_state()) */
  GST_OBJECT_LOCK (self);
  for (GList * l = self->built; l; l = l->next)
    if (l->data != self->decodebin && l->data != self->source)
      gst_element_set_locked_state (l->data, FALSE);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

/* Stops and removes every child, and closes the outputs (removing what
 * did not finish). */
static void
teardown (GstSubmissionBin * self)
{
  GList *built;

  GST_OBJECT_LOCK (self);
  built = self->built;
  self->built = NULL;
  GST_OBJECT_UNLOCK (self);

  for (GList * l = built; l; l = l->next) {
    GstElement *e = l->data;

    gst_element_set_state (e, GST_STATE_NULL);
    gst_bin_remove (GST_BIN_CAST (self), e);
  }
  /* stopped and out of the bin, but alive while the list holds them */
  for (guint i = 0; i < N_OUTPUTS; i++)
    submission_output_close (self, &self->out[i]);
  g_list_free_full (built, gst_object_unref);

  self->source = self->decodebin = self->out_filter = NULL;
  self->input_started = FALSE;
  GST_OBJECT_LOCK (self);
  self->silence = NULL;
  GST_OBJECT_UNLOCK (self);
  self->frame.fg_filter = self->frame.bg_filter = NULL;
  self->frame.fit_filter = self->frame.bg_crop = NULL;
  /* the request pad was returned with a reference of ours */
  gst_clear_object (&self->frame.fg_pad);
}

static void
reset_run_state (GstSubmissionBin * self)
{
  GST_OBJECT_LOCK (self);
  self->have_video = self->have_audio = FALSE;
  self->failed = self->trimmed = FALSE;
  self->platform_end = GST_CLOCK_TIME_NONE;
  for (guint i = 0; i < N_OUTPUTS; i++)
    self->out[i].done = FALSE;
  self->src_duration = GST_CLOCK_TIME_NONE;
  self->video_end = self->audio_end = GST_CLOCK_TIME_NONE;
  self->decoded_video_end = GST_CLOCK_TIME_NONE;
  self->silence_samples = 0;
  self->duration_exact = FALSE;
  g_clear_pointer (&self->container, g_free);
  gst_segment_init (&self->video_segment, GST_FORMAT_TIME);
  GST_OBJECT_UNLOCK (self);
  submission_note_progress (self);
}

/* Messages, queries, states ---------------------------------------------- */

/* The output whose file sink src is, or NULL. */
static SubmissionOutput *
output_of_sink (GstSubmissionBin * self, GstObject * src)
{
  for (guint i = 0; i < N_OUTPUTS; i++)
    if (self->out[i].sink && src == GST_OBJECT_CAST (self->out[i].sink))
      return &self->out[i];
  return NULL;
}

/* The bin prerolls nothing: its file sinks do not wait for data
 * (async=FALSE). Only decodebin, typefinding, would make its state changes
 * ASYNC, and then the pipeline's preroll would complete in the streaming
 * thread that finishes typefinding. An application that sets PLAYING as
 * soon as it sees the pipeline's PAUSED state-changed (as gst-launch-1.0
 * does) races GstBin there, which records whether it last posted PLAYING
 * only after posting: now and then the stale PAUSED record wins and the
 * pipeline never forwards the bin's EOS. So the input (source and
 * decodebin) is started only when the bin goes to PLAYING, with its state
 * locked and kept in step here, and decodebin's ASYNC messages stay
 * inside: the bin's state changes complete at once, in the caller's
 * thread. (Pausing and resuming while decodebin is still typefinding makes
 * the resume ASYNC until it finishes.) The input follows the rest of the
 * bin, which is downstream of it: stopping it first could wait forever on
 * a streaming thread blocked in a full queue. Under the state lock. */
static void
set_input_state (GstSubmissionBin * self, GstState state)
{
  if (!self->input_started)
    return;
  /* downstream first, as the bin would take them */
  if (gst_element_set_state (self->decodebin, state) ==
      GST_STATE_CHANGE_FAILURE ||
      gst_element_set_state (self->source, state) == GST_STATE_CHANGE_FAILURE)
    GST_WARNING_OBJECT (self, "the input did not change to %s",
        gst_element_state_get_name (state));
}

static gboolean
start_input (GstSubmissionBin * self)
{
  if (self->input_started) {
    set_input_state (self, GST_STATE_PLAYING);
    return TRUE;
  }
  self->input_started = TRUE;
  GST_DEBUG_OBJECT (self, "starting the input");
  return gst_element_set_state (self->decodebin, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE &&
      gst_element_set_state (self->source, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE;
}

/* decodebin committed its ASYNC change: as a child it stops at PAUSED and
 * waits to be asked again. Runs on GStreamer's thread pool, not in the
 * streaming thread that posted the message. */
static void
sync_decoder (GstElement * element, gpointer user_data)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (element);

  GST_STATE_LOCK (self);
  if (self->decodebin && self->input_started &&
      GST_STATE_TARGET (self) >= GST_STATE_PAUSED)
    gst_element_set_state (self->decodebin, GST_STATE_TARGET (self));
  GST_STATE_UNLOCK (self);
}

static void
gst_submission_bin_handle_message (GstBin * bin, GstMessage * message)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (bin);
  SubmissionOutput *out;

  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_EOS:
      out = output_of_sink (self, GST_MESSAGE_SRC (message));
      if (out && !submission_output_finish (self, out)) {
        gst_message_unref (message);
        return;
      }
      break;
    case GST_MESSAGE_ERROR:
      GST_OBJECT_LOCK (self);
      self->failed = TRUE;
      GST_OBJECT_UNLOCK (self);
      message = annotate_error (self, message);
      break;
    case GST_MESSAGE_ASYNC_START:
    case GST_MESSAGE_ASYNC_DONE:
      /* decodebin's state is the bin's own business (change_state()) */
      if (self->decodebin &&
          GST_MESSAGE_SRC (message) == GST_OBJECT_CAST (self->decodebin)) {
        GST_DEBUG_OBJECT (self, "decodebin: %s", GST_MESSAGE_TYPE_NAME
            (message));
        if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ASYNC_DONE)
          gst_element_call_async (GST_ELEMENT_CAST (self), sync_decoder,
              NULL, NULL);
        gst_message_unref (message);
        return;
      }
      break;
    case GST_MESSAGE_ELEMENT:
      if (gst_message_has_name (message, "campuscut-duration") &&
          g_strcmp0 (gst_structure_get_string (gst_message_get_structure
                  (message), "verdict"), "trimmed") == 0) {
        GST_OBJECT_LOCK (self);
        self->trimmed = TRUE;
        GST_OBJECT_UNLOCK (self);
      }
      break;
    default:
      break;
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
  if (!in_decoder) {
    for (guint i = 0; i < N_OUTPUTS; i++)
      if ((self->out[i].sink && src == GST_OBJECT_CAST (self->out[i].sink)) ||
          (self->out[i].mux && src == GST_OBJECT_CAST (self->out[i].mux)))
        return "output";
    return "processing";
  }
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
      /* as far as the input is read: alone, the platform cut stops at its
       * last segment's end */
      GST_OBJECT_LOCK (self);
      t = self->src_duration;
      if (GST_CLOCK_TIME_IS_VALID (self->platform_end) &&
          (!GST_CLOCK_TIME_IS_VALID (t) || self->platform_end < t))
        t = self->platform_end;
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

  /* the input's state is the bin's own business: see set_input_state() */
  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      reset_run_state (self);
      if (!build (self)) {
        teardown (self);
        return GST_STATE_CHANGE_FAILURE;
      }
      submission_watchdog_start (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret != GST_STATE_CHANGE_FAILURE &&
      transition == GST_STATE_CHANGE_PAUSED_TO_PLAYING && !start_input (self))
    ret = GST_STATE_CHANGE_FAILURE;

  switch (transition) {
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      set_input_state (self, GST_STATE_PAUSED);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      set_input_state (self, GST_STATE_READY);
      /* Also READY_TO_NULL: stopping before preroll completed never
       * passes through PAUSED_TO_READY for the bin itself. */
      /* fall through */
    case GST_STATE_CHANGE_READY_TO_NULL:
      submission_watchdog_stop (self);
      teardown (self);
      break;
    default:
      break;
  }
  if (ret == GST_STATE_CHANGE_FAILURE &&
      transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    submission_watchdog_stop (self);
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
