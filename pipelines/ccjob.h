/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccjob: one `campuscut process` job, its settings, state and phases.
 *
 * A job runs its phases in order: pre-flight (the input, its probe, the
 * header duration rule, the caption file), the analysis pass, the platform
 * cut's decision, the encode (ccencode.c) and the verification of the
 * outputs (ccverify.c); report.json (ccjobreport.c) says how it went.
 */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "ccanalysis.h"
#include "cccaptions.h"
#include "ccloudness.h"
#include "ccpolicy.h"
#include "ccprobe.h"

G_BEGIN_DECLS

/* Exit codes of the command, also the report's result status. */
enum
{
  EXIT_DONE = 0,
  EXIT_INTERNAL = 1,
  EXIT_USAGE = 2,
  EXIT_REJECTED = 3,
  EXIT_BAD_INPUT = 4,
};

#define PROBE_TIMEOUT_S 30

/* Where the time goes, for the report. */
enum
{
  PHASE_PROBE,                  /* and the caption check */
  PHASE_ANALYSIS,               /* and the platform cut's decision */
  PHASE_ENCODE,
  PHASE_CHECKS,
  N_PHASES
};

typedef struct {
  /* options */
  gchar *input;
  gchar *outdir;
  CcCategory category;
  CcQuality quality;
  gint fps_n, fps_d;
  gchar *video_encoder;
  guint stall_timeout;
  gdouble max_time_s;           /* job wall time limit, 0 = 5x the source */
  gint max_output_mb;           /* all outputs together */
  guint threads;
  gboolean quiet;
  gboolean progress_json;       /* --progress json (ccprogress.c) */
  gdouble min_duration_s, max_duration_s;       /* < 0: the category's */
  CcTooLong on_too_long;
  gdouble trim_fade_s;
  gchar *school;
  gchar *logo;
  gchar *captions;
  CcLoudnessTarget loudness;
  CcLoudness input_loudness;
  gchar *platform_cut;          /* "auto", "none" or a list */
  gboolean only_platform;       /* --only platform: the platform cut made
                                 * again next to a finished full cut */
  CcPlatformAspect platform_aspect;
  CcCaptionTrack *caption_track;
  GArray *keyframes;            /* CcKeyframe, for the automatic platform cut */
  /* analysis signals that could not be computed, and why (NULL: there) */
  gchar *keyframes_missing;
  guint keyframes_offered;      /* to the analysis pass's decoder */
  gchar *loudness_missing;
  gchar *platform_loudness_missing;

  /* the platform cut as decided before encoding */
  gchar *platform_segments;     /* NULL = no platform cut */
  GPtrArray *platform_reasons;  /* CcCutChoice* when chosen automatically */
  guint64 platform_total;
  CcLoudness platform_loudness;
  /* --only platform: the folder's report.json, whose full cut stays */
  JsonObject *base_report;

  /* run */
  GMainLoop *loop;
  GstElement *pipeline;
  gint exit_code;
  gchar *error_message;
  gboolean interrupted;
  gboolean tty;
  gint64 started_us;
  /* seconds spent in each phase, for the report */
  gint64 phase_mark;
  gdouble phases[N_PHASES];
  gint64 last_line_us;
  gdouble last_frac;            /* last progress shown, 0..1 */
  GstClockTime src_duration;
  gchar *duration_verdict;      /* from the last campuscut-duration message */
  gchar *duration_action;
  gboolean trimmed;
  gchar *error_file;            /* the file a failure is about, if not input */
  GHashTable *warned;           /* warnings already printed */
  gchar *error_element;         /* the GStreamer element that failed */
  gchar *error_debug;           /* and GStreamer's debug text */
} CcJob;

/* Runs the job (its options set) and writes report.json; returns the exit
 * code. */
gint cc_job_run (CcJob * job);
/* Frees what the job holds, options included. */
void cc_job_clear (CcJob * job);

/* The duration rule in ns (0 = none): the category's, or the options'. */
void cc_job_limits (const CcJob * job, guint64 * min, guint64 * max);
/* The rule in words, for messages and the report (caller frees). */
gchar *cc_job_rule_text (const CcJob * job);
/* Fails the job; the first failure is the one reported. */
void cc_job_fail (CcJob * job, gint code, const gchar * message);
/* Ends a phase: the time since the previous mark goes to it. */
void cc_job_mark_phase (CcJob * job, guint phase);

/* How long the source runs from its first picture. */
GstClockTime cc_content_duration (const CcProbe * probe);

G_END_DECLS
