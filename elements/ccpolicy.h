/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Campaign policy shared by the elements, the bin and the CLI: category
 * duration rules, quality presets and the output frame geometry.
 * GLib-only so that tests call it without a pipeline.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CC_CATEGORY_NONE = 0,
  CC_CATEGORY_STORY,
  CC_CATEGORY_CRAFTSMAN,
  CC_CATEGORY_OVERVIEW,
  CC_CATEGORY_PLATFORM,
} CcCategory;

typedef enum {
  CC_QUALITY_DRAFT = 0,
  CC_QUALITY_STANDARD,
  CC_QUALITY_HIGH,
} CcQuality;

/* x264 and frame-size settings behind one --quality value. */
typedef struct {
  const gchar *name;
  guint long_edge;              /* output frame, pixels, e.g. 1920 */
  guint short_edge;             /* e.g. 1080 */
  const gchar *speed_preset;    /* x264 preset name */
  guint crf;                    /* x264 quality (pass=qual quantizer) */
  guint vbv_max_kbps;           /* VBV ceiling */
  guint vbv_buffer_ms;          /* VBV buffer size in ms at the ceiling */
  guint bframes;
  /* frames x264 looks ahead for rate control and MB-tree; 0 keeps the
   * speed preset's. Each frame of look-ahead holds about 6 MB at 1080p in
   * x264 plus the 3 MB input frame in x264enc, per encoder. */
  guint rc_lookahead;
} CcQualityPreset;

/* What to do with a submission longer than its maximum; mirrors
 * GstCampuscutTooLong (the elements' property type). */
typedef enum {
  CC_TOO_LONG_ERROR = 0,
  CC_TOO_LONG_TRIM,
  CC_TOO_LONG_WARN,
} CcTooLong;

/* The platform cut's frame: 9:16 over a blurred copy, or the source's
 * own aspect like the full cut. */
typedef enum {
  CC_PLATFORM_PORTRAIT = 0,
  CC_PLATFORM_SOURCE,
} CcPlatformAspect;

/* Defaults of the settings the elements and the CLI share: defined here
 * only, used by the bin's property specs and the CLI's options. */
#define CC_DEFAULT_CATEGORY CC_CATEGORY_NONE
#define CC_DEFAULT_QUALITY CC_QUALITY_STANDARD
#define CC_DEFAULT_FPS_N 25
#define CC_DEFAULT_FPS_D 1
#define CC_DEFAULT_VIDEO_ENCODER "x264enc"
#define CC_DEFAULT_AUDIO_BITRATE 160000
#define CC_DEFAULT_STALL_TIMEOUT_S 60
#define CC_DEFAULT_ON_TOO_LONG CC_TOO_LONG_ERROR
#define CC_DEFAULT_TRIM_FADE_NS (G_GUINT64_CONSTANT (1000000000))
#define CC_DEFAULT_LOUDNESS CC_LOUDNESS_WEB
#define CC_DEFAULT_PLATFORM_ASPECT CC_PLATFORM_PORTRAIT

const gchar *cc_too_long_to_string (CcTooLong action);
gboolean cc_too_long_from_string (const gchar * str, CcTooLong * action);
const gchar *cc_platform_aspect_to_string (CcPlatformAspect aspect);
gboolean cc_platform_aspect_from_string (const gchar * str,
    CcPlatformAspect * aspect);

const gchar *cc_category_to_string (CcCategory category);
gboolean cc_category_from_string (const gchar * str, CcCategory * category);
/* Duration rule of a category in nanoseconds; 0 means no limit. */
void cc_category_limits (CcCategory category, guint64 * min_ns,
    guint64 * max_ns);
guint64 cc_category_max (CcCategory category);

typedef enum {
  CC_DURATION_OK = 0,
  CC_DURATION_TOO_SHORT,
  CC_DURATION_TOO_LONG,
} CcDurationVerdict;

/* Real files are never exact to the nanosecond (the last audio packet of
 * a 300 s file often ends at 300.01 s): a declared duration may miss a
 * limit by this much and still pass; outputs are cut at the limit. */
#define CC_DURATION_TOLERANCE_NS (G_GUINT64_CONSTANT (50000000))

/* Sanity bounds for what a file claims. No phone or camera records more
 * than 8192 pixels a side; a larger picture is a damaged or hostile
 * header, and decoding it would allocate gigabytes per frame. A jump of
 * more than a minute between consecutive timestamps of one stream is a
 * damaged file, not a pause: filling it would mean encoding a minute or
 * hours of repeated frames. */
#define CC_MAX_FRAME_EDGE 8192
#define CC_MAX_TIMESTAMP_GAP_NS (G_GUINT64_CONSTANT (60) * 1000000000)

/* A declared duration that misses a limit by less than this is not
 * trusted to reject a file when the container only estimates it (from
 * the bitrate or the clock's first and last values): the decoded data
 * decides then. */
#define CC_ESTIMATED_DURATION_MARGIN_NS (G_GUINT64_CONSTANT (5000000000))

/* The one rule for rejecting a file on its header, before anything is
 * decoded (the CLI's pre-flight and submissionbin both use it): the
 * verdict when the declared duration breaks the limits (0 = none) beyond
 * doubt, CC_DURATION_OK otherwise. exact: the container indexes every
 * sample (cc_container_has_exact_duration); too_long_rejects: a long file
 * is an error rather than trimmed or let through. */
CcDurationVerdict cc_declared_duration_verdict (guint64 duration_ns,
    gboolean exact, guint64 min_ns, guint64 max_ns,
    gboolean too_long_rejects);

/* Containers whose declared duration comes from an index of every sample
 * (MP4/MOV/3GP, Matroska/WebM, AVI), by media type ("video/quicktime"); the
 * others (MPEG-PS/TS, FLV, ASF) estimate it. */
gboolean cc_container_has_exact_duration (const gchar * media_type);

/* Element classes (a factory's klass metadata) that read other files or
 * the network on an input's behalf: adaptive-streaming and network
 * elements. An upload is one file; these are never used on it. (Tests of
 * the server's sandbox switch this and cc_is_manifest_type off with
 * CAMPUSCUT_TEST_DISABLE_PLAYLIST_VETO=1; see ccpolicy.c.) */
gboolean cc_klass_reads_elsewhere (const gchar * klass);

/* The problem with a picture of w x h pixels for a user to read, or NULL
 * when it is within CC_MAX_FRAME_EDGE (caller frees). */
gchar *cc_frame_size_problem (guint w, guint h);

/* Verdict for a duration against limits in nanoseconds (0 = no limit),
 * allowing CC_DURATION_TOLERANCE_NS either way. */
CcDurationVerdict cc_duration_check (guint64 duration_ns, guint64 min_ns,
    guint64 max_ns);
const gchar *cc_duration_verdict_to_string (CcDurationVerdict verdict);
/* The rule in words for messages, e.g. "story videos must be 180–300 s";
 * limits override the category's when non-zero. */
gchar *cc_duration_rule_text (CcCategory category, guint64 min_ns,
    guint64 max_ns);

/* Media types that name other files or URLs instead of holding media
 * (HLS, DASH, Smooth Streaming, SDP, SMIL and playlists): an upload is one
 * file, so these are refused. */
gboolean cc_is_manifest_type (const gchar * media_type);

const gchar *cc_quality_to_string (CcQuality quality);
gboolean cc_quality_from_string (const gchar * str, CcQuality * quality);
const CcQualityPreset *cc_quality_preset (CcQuality quality);

/* Chooses the output frame for a source whose displayed size (after rotation
 * and pixel aspect ratio) is display_w x display_h: landscape (and square)
 * sources get long_edge x short_edge, portrait ones the transpose. */
void cc_output_frame_size (guint display_w, guint display_h, guint long_edge,
    guint short_edge, guint * out_w, guint * out_h);

G_END_DECLS
