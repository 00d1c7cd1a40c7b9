/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * submissionbin's inside: the instance, the output both cuts are, and what
 * the bin's files call of each other: gstsubmissionbin.c (the element:
 * properties, build and teardown, messages, queries, states), -chain.c
 * (making and linking children), -input.c (source, decodebin, input
 * checks), -video.c (the full cut's video, the encoders), -platform.c (the
 * platform cut's framing), -audio.c, -output.c (files, watchdog).
 */
#pragma once

#include <gst/gst.h>

#include "gstsubmissionbin.h"
#include "ccloudness.h"
#include "ccpolicy.h"
#include "gstcampuscutenums.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_submission_bin_debug);
#define GST_CAT_DEFAULT gst_submission_bin_debug

/* The bin's own errors carry the same details as its children's (see
 * submission_annotate_error): where the problem lies, for the application
 * to tell the input's fault from its own. */
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

typedef enum
{
  OUTPUT_FULL = 0,
  OUTPUT_PLATFORM,
  N_OUTPUTS
} SubmissionOutputId;

/* One MP4 the bin writes: the full cut or the platform cut. Each is
 * written under a hidden temporary name beside its location and renamed
 * when its sink has every byte; teardown removes what was not finished.
 * Everything is set by the thread that builds the bin (READY to PAUSED)
 * and constant until teardown; `done`, `location` and the file names are
 * written under the object lock, since bytes-written reads them from any
 * thread. */
typedef struct
{
  const gchar *name;            /* "full" or "platform" */
  const gchar *location;        /* the property's path; NULL = not written */
  gchar *part_location;         /* the file the sink writes */
  gchar *faststart_location;    /* the muxer's moov-first scratch file */
  GstElement *mux, *sink;
  GstPad *video_pad, *audio_pad;        /* requested on the muxer */
  gboolean done;                /* renamed into place; object lock */
} SubmissionOutput;

/* The platform cut's 9:16 frame: the picture fitted over a blurred,
 * darkened copy of itself. Built with the video branch; sized from the
 * video streaming thread once the source's displayed size is known. */
typedef struct
{
  GstElement *fg_filter;        /* the fitted picture's size */
  GstElement *bg_filter;        /* the tiny background in source aspect */
  GstElement *bg_crop;          /* its middle cut to 9:16 */
  GstElement *fit_filter;       /* the platform frame */
  GstPad *fg_pad;               /* compositor pad of the picture (ref) */
} PlatformFrame;

struct _GstSubmissionBin
{
  GstBin parent;

  /* Properties: written under the object lock, and only in NULL or READY
   * (GST_PARAM_MUTABLE_READY): building (READY to PAUSED) and the
   * streaming threads read them without it. */
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
  GstClockTime platform_end;    /* the last segment's end: where the input
                                 * stops when the platform cut is alone */
  gboolean platform_portrait;
  gdouble platform_input_loudness;
  guint64 content_start;        /* read under the lock by pad probes */

  /* Built at READY to PAUSED (the fixed part) and from decodebin's
   * streaming thread (the branches, before data flows into them); constant
   * until teardown at PAUSED to READY. */
  GList *built;                 /* every child added; object lock */
  /* The input: state locked, started at PAUSED to PLAYING and kept in step
   * by the bin itself (set_input_state() in gstsubmissionbin.c); the
   * state lock */
  GstElement *source;
  GstElement *decodebin;
  gboolean input_started;
  SubmissionOutput out[N_OUTPUTS];
  PlatformFrame frame;
  GstElement *out_filter;       /* the capsfilter fixing the output frame */
  guint out_long_edge, out_short_edge;
  GstElement *silence;          /* appsrc without source audio; object lock */

  /* Streaming state, under the object lock unless said otherwise. */
  gboolean have_video, have_audio;      /* decoded pads found */
  gchar *container;             /* media type typefinding found */
  GstClockTime decoded_video_end;       /* last decoded frame's end,
                                         * stream time */
  gboolean failed;
  gboolean trimmed;             /* a guard cut the stream at the maximum */
  GstClockTime src_duration;
  gboolean duration_exact;
  GstClockTime video_end;       /* running time reached by the video output */
  GstClockTime audio_end;       /* same for the source's own audio */
  GstSegment video_segment;
  guint64 silence_samples;      /* pushed so far; video streaming thread only */

  /* stall watchdog: state-change thread only, but last_progress (the
   * monotonic time of the last buffer) is under the object lock */
  GstClockID watchdog;
  gint64 last_progress;
};

/* gstsubmissionbin-chain.c: children and the duration guards */
void submission_add_child (GstSubmissionBin * self, GstElement * e);
void submission_start_child (GstElement * e);
GstElement *submission_make_child (GstSubmissionBin * self,
    const gchar * factory, const gchar * name);
GstElement *submission_make_queue (GstSubmissionBin * self,
    const gchar * name);
GstElement *submission_make_audio_queue (GstSubmissionBin * self,
    const gchar * name);
gboolean submission_chain_ok (GstElement ** chain, guint n);
gboolean submission_link_chain (GstElement ** chain, guint n);
void submission_sync_chain (GstElement ** chain, guint n);
gboolean submission_link_pads (GstElement * a, const gchar * src,
    GstElement * b, const gchar * sink);
gboolean submission_link_to_mux (GstElement * last, GstPad * mux_pad);
guint submission_threads (GstSubmissionBin * self);
void submission_duration_limits (GstSubmissionBin * self, guint64 * min,
    guint64 * max);
gboolean submission_platform_only (GstSubmissionBin * self);
GstElement *submission_make_guard (GstSubmissionBin * self,
    const gchar * name, guint64 min, guint64 max, GstCampuscutTooLong action);

/* gstsubmissionbin-depth.c: more than 8 bits to 8, before the split */
GstElement *submission_make_depth (GstSubmissionBin * self,
    const gchar * name);
gboolean submission_depth_wanted (GstCaps * caps, guint64 out_pixels);

/* gstsubmissionbin-input.c: source, decodebin, input safety */
gboolean submission_input_build (GstSubmissionBin * self);

/* gstsubmissionbin-video.c: the full cut's video and the encoders */
gboolean submission_video_build (GstSubmissionBin * self, GstPad * decoded,
    GstCaps * caps);
GstCaps *submission_frame_caps (GstSubmissionBin * self, guint w, guint h);
void submission_video_append_encode_tail (GstSubmissionBin * self,
    GstElement ** chain, guint * n, gboolean platform);

/* gstsubmissionbin-platform.c: the platform cut's video framing */
gboolean submission_platform_build_video (GstSubmissionBin * self,
    GstElement * upstream, const gchar * src);
void submission_platform_set_size (GstSubmissionBin * self, guint dw,
    guint dh);

/* gstsubmissionbin-audio.c: audio, loudness, generated silence */
gboolean submission_audio_build (GstSubmissionBin * self, GstPad * decoded);
gboolean submission_audio_build_silence (GstSubmissionBin * self);
void submission_audio_silence_until (GstSubmissionBin * self,
    GstClockTime end, gboolean eos);

/* gstsubmissionbin-output.c: the written files and the watchdog */
gboolean submission_output_open (GstSubmissionBin * self,
    SubmissionOutput * out, const gchar * location);
void submission_output_close (GstSubmissionBin * self,
    SubmissionOutput * out);
gboolean submission_output_finish (GstSubmissionBin * self,
    SubmissionOutput * out);
guint64 submission_output_bytes (GstSubmissionBin * self);
void submission_watchdog_start (GstSubmissionBin * self);
void submission_watchdog_stop (GstSubmissionBin * self);
void submission_note_progress (GstSubmissionBin * self);

G_END_DECLS
