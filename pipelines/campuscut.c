/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * campuscut: the command-line job runner. Checks the input, probes it,
 * runs one submissionbin, shows progress, verifies the outputs by reading
 * them back, and writes report.json. One job per process, so a batch server
 * can run it as a child and read the exit code and the report.
 *
 * Exit codes: 0 done, 1 internal failure, 2 usage, 3 rejected by policy,
 * 4 unreadable or unsupported input.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <math.h>

#include "cccaptions.h"
#include "cccutlist.h"
#include "ccanalysis.h"
#include "ccloudness.h"
#include "ccpolicy.h"
#include "cctext.h"
#include "ccprobe.h"
#include "ccchecks.h"

enum
{
  EXIT_DONE = 0,
  EXIT_INTERNAL = 1,
  EXIT_USAGE = 2,
  EXIT_REJECTED = 3,
  EXIT_BAD_INPUT = 4,
};

#define PROBE_TIMEOUT_S 30
#define PROGRESS_LINE_INTERVAL_US (5 * G_USEC_PER_SEC)

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
  gdouble min_duration_s, max_duration_s;       /* < 0: the category's */
  gchar *on_too_long;
  gdouble trim_fade_s;
  gchar *school;
  gchar *logo;
  gchar *captions;
  gchar *loudness;              /* preset name or "off" */
  CcLoudness input_loudness;
  gchar *platform_cut;          /* "auto", "none" or a list */
  gchar *platform_aspect;       /* "portrait" or "source" */
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
  gdouble phases[4];
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
} Job;


static void
job_limits (const Job * job, guint64 * min, guint64 * max)
{
  cc_category_limits (job->category, min, max);
  if (job->min_duration_s >= 0)
    *min = (guint64) (job->min_duration_s * GST_SECOND + 0.5);
  if (job->max_duration_s >= 0)
    *max = (guint64) (job->max_duration_s * GST_SECOND + 0.5);
}

static gchar *
job_rule_text (const Job * job)
{
  guint64 min, max;

  job_limits (job, &min, &max);
  return cc_duration_rule_text (job->category, min, max);
}

static void
job_fail (Job * job, gint code, const gchar * message)
{
  if (job->error_message == NULL) {
    job->exit_code = code;
    job->error_message = g_strdup (message);
  }
}

/* Classifies a pipeline error: is it the input's fault or ours?
 * submissionbin says where each error arose; only what the decoders and
 * the bin's own checks say about the data blames the input. */
static gint
exit_code_for_error (GstMessage * msg, const GError * err)
{
  const GstStructure *details = NULL;
  const gchar *stage;

  gst_message_parse_error_details (msg, &details);
  stage = details ? gst_structure_get_string (details, "campuscut-stage") :
      NULL;
  if (stage)
    return g_str_equal (stage, "input") ? EXIT_BAD_INPUT : EXIT_INTERNAL;
  /* not through the bin: the pipeline itself */
  return EXIT_INTERNAL;
}

/* The GStreamer element an error came from, as gst-inspect-1.0 names it. */
static const gchar *
error_element (GstMessage * msg)
{
  const GstStructure *details = NULL;
  const gchar *name = NULL;

  gst_message_parse_error_details (msg, &details);
  if (details)
    name = gst_structure_get_string (details, "campuscut-element");
  return name ? name : GST_MESSAGE_SRC_NAME (msg);
}

static gchar *
format_time (GstClockTime t)
{
  guint s;

  if (!GST_CLOCK_TIME_IS_VALID (t))
    return g_strdup ("--:--");
  s = (guint) (t / GST_SECOND);
  return g_strdup_printf ("%u:%02u", s / 60, s % 60);
}

/* Bytes written so far, unfinished files included: the bin counts them. */
static guint64
bytes_written (const Job * job)
{
  GstElement *bin = gst_bin_get_by_name (GST_BIN (job->pipeline), "job");
  guint64 total = 0;

  if (bin) {
    g_object_get (bin, "bytes-written", &total, NULL);
    gst_object_unref (bin);
  }
  return total;
}

/* A batch server runs jobs unattended: none may run or write without
 * bound, whatever the input claims. */
static gboolean
limits_cb (gpointer data)
{
  Job *job = data;
  gdouble elapsed = (g_get_monotonic_time () - job->started_us) /
      (gdouble) G_USEC_PER_SEC;
  guint64 limit = (guint64) job->max_output_mb * 1024 * 1024;

  if (job->max_time_s > 0 && elapsed > job->max_time_s) {
    gchar *m = g_strdup_printf (_("the job ran longer than its limit of %.0f s "
        "(--max-time); nothing was kept"), job->max_time_s);
    job_fail (job, EXIT_INTERNAL, m);
    g_free (m);
    g_main_loop_quit (job->loop);
  } else if (limit && bytes_written (job) > limit) {
    gchar *m = g_strdup_printf (_("the output grew past its limit of %d MB "
        "(--max-output-size); the input is not what it claims to be, or the "
        "limit is too small"), job->max_output_mb);
    job_fail (job, EXIT_BAD_INPUT, m);
    g_free (m);
    g_main_loop_quit (job->loop);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
progress_cb (gpointer data)
{
  Job *job = data;
  gint64 pos = 0, dur = -1, now = g_get_monotonic_time ();
  gdouble frac, speed, elapsed = (now - job->started_us) / (gdouble)
      G_USEC_PER_SEC;
  gchar *ts, *td;

  if (job->quiet)
    return G_SOURCE_CONTINUE;
  if (!gst_element_query_position (job->pipeline, GST_FORMAT_TIME, &pos))
    pos = 0;
  if (!gst_element_query_duration (job->pipeline, GST_FORMAT_TIME, &dur) ||
      dur <= 0)
    dur = GST_CLOCK_TIME_IS_VALID (job->src_duration) ?
        (gint64) job->src_duration : -1;
  frac = dur > 0 ? CLAMP ((gdouble) pos / dur, 0.0, 1.0) : 0.0;
  speed = elapsed > 0 ? pos / (gdouble) GST_SECOND / elapsed : 0;
  ts = format_time (pos);
  td = format_time (dur > 0 ? (GstClockTime) dur : GST_CLOCK_TIME_NONE);

  if (job->tty) {
    gchar bar[31];
    guint filled = (guint) (frac * 30);

    memset (bar, '#', filled);
    memset (bar + filled, '.', 30 - filled);
    bar[30] = '\0';
    fprintf (stderr, "\r[%s] %3.0f%%  %s / %s  %.1fx ", bar, frac * 100, ts,
        td, speed);
    job->last_frac = frac;
    fflush (stderr);
  } else if (now - job->last_line_us >= PROGRESS_LINE_INTERVAL_US) {
    job->last_line_us = now;
    job->last_frac = frac;
    /* kept in English whatever the locale: batch servers parse it */
    fprintf (stderr, "campuscut: progress %.0f%% (%s of %s, %.1fx real "
        "time)\n", frac * 100, ts, td, speed);
  }
  g_free (ts);
  g_free (td);
  return G_SOURCE_CONTINUE;
}

static gboolean
bus_cb (GstBus * bus, GstMessage * msg, gpointer data)
{
  Job *job = data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      g_main_loop_quit (job->loop);
      break;
    case GST_MESSAGE_ELEMENT:
      if (gst_message_has_name (msg, "campuscut-duration")) {
        const GstStructure *s = gst_message_get_structure (msg);

        /* The video's verdict is the submission's; audio only trims. */
        if (g_strcmp0 (gst_structure_get_string (s, "media"), "audio") != 0) {
          g_free (job->duration_verdict);
          g_free (job->duration_action);
          job->duration_verdict = g_strdup (gst_structure_get_string (s,
                  "verdict"));
          job->duration_action = g_strdup (gst_structure_get_string (s,
                  "action"));
        }
        if (g_strcmp0 (gst_structure_get_string (s, "verdict"),
                "trimmed") == 0)
          job->trimmed = TRUE;
      }
      break;
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      if (g_strcmp0 (job->duration_action, "error") == 0) {
        /* A duration rule, not a broken file. */
        gchar *rule = job_rule_text (job);
        gchar *m = g_strdup_printf ("%s (%s)", err->message, rule);
        job_fail (job, EXIT_REJECTED, m);
        g_free (m);
        g_free (rule);
      } else if (exit_code_for_error (msg, err) == EXIT_BAD_INPUT) {
        job_fail (job, EXIT_BAD_INPUT, err->message);
      } else if (g_strcmp0 (error_element (msg), "submissionbin") == 0) {
        /* the bin's own: a stall, a missing element, a bad encoder
         * setting; each says what it is */
        job_fail (job, EXIT_INTERNAL, err->message);
      } else {
        gchar *m = g_strdup_printf (_("campuscut failed on this file (%s): "
            "%s; the file itself was not found at fault: please report "
            "this with report.json"), error_element (msg), err->message);

        job_fail (job, EXIT_INTERNAL, m);
        g_free (m);
      }
      if (job->error_element == NULL) {
        job->error_element = g_strdup (error_element (msg));
        job->error_debug = g_strdup (dbg);
      }
      g_debug ("error from %s: %s (%s)", GST_MESSAGE_SRC_NAME (msg),
          err->message, dbg ? dbg : "");
      g_clear_error (&err);
      g_free (dbg);
      g_main_loop_quit (job->loop);
      break;
    }
    case GST_MESSAGE_WARNING:{
      GError *err = NULL;

      gst_message_parse_warning (msg, &err, NULL);
      /* the audio and the video say the same thing once each */
      if (job->warned == NULL)
        job->warned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
            NULL);
      if (!g_hash_table_add (job->warned, g_strdup (err->message))) {
        g_clear_error (&err);
        break;
      }
      if (!job->quiet)
        fprintf (stderr, _("%scampuscut: warning: %s: %s\n"), job->tty ? "\n" : "",
            job->input, err->message);
      g_clear_error (&err);
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
interrupt_cb (gpointer data)
{
  Job *job = data;

  job->interrupted = TRUE;
  job_fail (job, EXIT_INTERNAL, _("interrupted; no output was kept"));
  g_main_loop_quit (job->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
ensure_plugin (void)
{
  GstElementFactory *f = gst_element_factory_find ("submissionbin");

  if (f == NULL) {
    /* Installed under a prefix GStreamer does not search by default. */
    gst_registry_scan_path (gst_registry_get (), CAMPUSCUT_PLUGIN_INSTALL_DIR);
    f = gst_element_factory_find ("submissionbin");
  }
  if (f == NULL)
    return FALSE;
  gst_object_unref (f);
  return TRUE;
}

static void
set_member_double_or_null (JsonBuilder * b, const gchar * name,
    GstClockTime t)
{
  json_builder_set_member_name (b, name);
  if (GST_CLOCK_TIME_IS_VALID (t))
    json_builder_add_double_value (b, t / (gdouble) GST_SECOND);
  else
    json_builder_add_null_value (b);
}

static void
add_db (JsonBuilder * b, const gchar * name, gdouble v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, round (v * 100) / 100);
  else
    json_builder_add_null_value (b);
}

enum
{ PHASE_PROBE, PHASE_ANALYSIS, PHASE_ENCODE, PHASE_CHECKS };
static const gchar *phase_names[] = { "probe_s", "analysis_s", "encode_s",
  "checks_s"
};

static gboolean
write_report (Job * job, const gchar * path, JsonNode * probe,
    JsonNode * captions, JsonNode * outputs, GError ** error)
{
  JsonBuilder *b = json_builder_new ();
  JsonGenerator *gen = json_generator_new ();
  JsonNode *root;
  GStatBuf st;
  guint64 min_ns, max_ns;
  gchar *text, fps[32];
  gboolean ok;
  static const gchar *status[] = {
    "done", "failed", "usage", "rejected", "bad-input"
  };

  job_limits (job, &min_ns, &max_ns);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "tool");
  json_builder_add_string_value (b, "campuscut " VERSION);

  json_builder_set_member_name (b, "input");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, job->input);
  json_builder_set_member_name (b, "size_bytes");
  json_builder_add_int_value (b, g_stat (job->input, &st) == 0 ?
      (gint64) st.st_size : -1);
  json_builder_set_member_name (b, "probe");
  json_builder_add_value (b, probe ? probe : json_node_new (JSON_NODE_NULL));
  json_builder_end_object (b);

  json_builder_set_member_name (b, "job");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "category");
  json_builder_add_string_value (b, cc_category_to_string (job->category));
  set_member_double_or_null (b, "min_duration_s", min_ns ? min_ns :
      GST_CLOCK_TIME_NONE);
  set_member_double_or_null (b, "max_duration_s", max_ns ? max_ns :
      GST_CLOCK_TIME_NONE);
  json_builder_set_member_name (b, "rule");
  {
    gchar *rule = job_rule_text (job);
    json_builder_add_string_value (b, rule);
    g_free (rule);
  }
  json_builder_set_member_name (b, "on_too_long");
  json_builder_add_string_value (b, job->on_too_long);
  json_builder_set_member_name (b, "loudness");
  {
    const CcLoudnessPreset *p = cc_loudness_preset (job->loudness);

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "preset");
    json_builder_add_string_value (b, job->loudness);
    add_db (b, "target_lufs", p ? p->target_lufs : NAN);
    add_db (b, "ceiling_dbtp", p ? p->ceiling_dbtp : NAN);
    json_builder_set_member_name (b, "mode");
    json_builder_add_string_value (b, p == NULL ? "off" :
        job->input_loudness.has_audio ? "two-pass" : "live");
    if (job->loudness_missing) {
      json_builder_set_member_name (b, "input_missing");
      json_builder_add_string_value (b, job->loudness_missing);
    }
    if (job->platform_loudness_missing) {
      json_builder_set_member_name (b, "platform_input_missing");
      json_builder_add_string_value (b, job->platform_loudness_missing);
    }
    json_builder_set_member_name (b, "input");
    if (job->input_loudness.has_audio) {
      json_builder_begin_object (b);
      add_db (b, "integrated_lufs", job->input_loudness.integrated);
      add_db (b, "range_lu", job->input_loudness.range);
      add_db (b, "true_peak_dbtp", job->input_loudness.true_peak);
      json_builder_end_object (b);
    } else {
      json_builder_add_null_value (b);
    }
    json_builder_end_object (b);
  }
  json_builder_set_member_name (b, "quality");
  json_builder_add_string_value (b, cc_quality_to_string (job->quality));
  json_builder_set_member_name (b, "fps");
  g_snprintf (fps, sizeof (fps), "%d/%d", job->fps_n, job->fps_d);
  json_builder_add_string_value (b, fps);
  json_builder_set_member_name (b, "video_encoder");
  json_builder_add_string_value (b, job->video_encoder);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "captions");
  json_builder_add_value (b, captions ? captions :
      json_node_new (JSON_NODE_NULL));

  json_builder_set_member_name (b, "outputs");
  json_builder_add_value (b, outputs ? outputs :
      json_node_new (JSON_NODE_NULL));

  json_builder_set_member_name (b, "result");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, status[CLAMP (job->exit_code, 0, 4)]);
  json_builder_set_member_name (b, "exit_code");
  json_builder_add_int_value (b, job->exit_code);
  json_builder_set_member_name (b, "message");
  if (job->error_message)
    json_builder_add_string_value (b, job->error_message);
  else
    json_builder_add_null_value (b);
  if (job->error_message && job->error_element) {
    /* for the bug report: which element failed, and what it said */
    json_builder_set_member_name (b, "element");
    json_builder_add_string_value (b, job->error_element);
    json_builder_set_member_name (b, "debug");
    json_builder_add_string_value (b, job->error_debug ? job->error_debug :
        "");
  }
  json_builder_set_member_name (b, "elapsed_s");
  json_builder_add_double_value (b, (g_get_monotonic_time () -
          job->started_us) / (gdouble) G_USEC_PER_SEC);
  /* where the time went: probe (and caption check), analysis pass,
   * encoding, output checks */
  json_builder_set_member_name (b, "phases");
  json_builder_begin_object (b);
  for (guint i = 0; i < G_N_ELEMENTS (phase_names); i++) {
    json_builder_set_member_name (b, phase_names[i]);
    json_builder_add_double_value (b, job->phases[i]);
  }
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  ok = g_file_set_contents (path, text, -1, error);

  g_free (text);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  return ok;
}

/* Reads the caption file before anything is decoded: a broken or
 * unrenderable file fails the job at once, naming the file and line; the
 * cue warnings go into the report. */
static gboolean
check_captions (Job * job, const CcProbe * probe, JsonNode ** out)
{
  GError *err = NULL;
  CcCaptionTrack *track = cc_caption_track_load (job->captions, &err);
  JsonBuilder *b;
  GPtrArray *warnings;
  GString *all;
  gchar *missing;

  if (track == NULL) {
    job->error_file = g_strdup (job->captions);
    job_fail (job, EXIT_BAD_INPUT, err->message);
    g_clear_error (&err);
    return FALSE;
  }
  warnings = cc_caption_track_check (track, GST_CLOCK_TIME_IS_VALID
      (probe->duration) ? probe->duration : 0, CC_CAPTION_MAX_CPS);
  all = g_string_new (NULL);
  for (guint i = 0; i < track->cues->len; i++)
    g_string_append (all, ((CcCaptionCue *) g_ptr_array_index (track->cues,
                i))->text);
  missing = track->format == CC_CAPTION_ASS ? NULL :
      cc_text_missing_glyphs (all->str, CC_TEXT_DEFAULT_FONT);

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, job->captions);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, cc_caption_format_name (track->format));
  json_builder_set_member_name (b, "encoding");
  json_builder_add_string_value (b, track->encoding);
  json_builder_set_member_name (b, "cues");
  json_builder_add_int_value (b, track->cues->len);
  json_builder_set_member_name (b, "missing_glyphs");
  json_builder_add_string_value (b, missing ? missing : "");
  json_builder_set_member_name (b, "warnings");
  json_builder_begin_array (b);
  for (guint i = 0; i < warnings->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (warnings, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  *out = json_builder_get_root (b);
  g_object_unref (b);

  if (!job->quiet)
    for (guint i = 0; i < warnings->len; i++)
      fprintf (stderr, _("campuscut: warning: %s: %s\n"), job->captions,
          (gchar *) g_ptr_array_index (warnings, i));
  if (missing) {
    gchar *m = g_strdup_printf (_("the caption font has no glyph for \"%s\"; "
        "these would show as boxes. Replace them in the caption file "
        "(字幕中有无法显示的字符)"), missing);
    job->error_file = g_strdup (job->captions);
    job_fail (job, EXIT_BAD_INPUT, m);
    g_free (m);
  }
  g_free (missing);
  g_string_free (all, TRUE);
  g_ptr_array_unref (warnings);
  job->caption_track = track;   /* for the platform cut's choice */
  return job->error_message == NULL;
}

/* Measures the written file's audio and checks it against the preset. */
static void
check_loudness (Job * job, const gchar * file, GPtrArray * checks,
    CcLoudness * out)
{
  const CcLoudnessPreset *p = cc_loudness_preset (job->loudness);
  GError *err = NULL;
  CcCheck *c;
  gchar *uri;
  gboolean measured;

  if (p == NULL || !job->input_loudness.has_audio)
    return;
  c = g_new0 (CcCheck, 1);
  c->name = g_strdup ("loudness");
  uri = gst_filename_to_uri (file, NULL);
  measured = cc_measure_loudness (uri, NULL, out, NULL, NULL, NULL, &err);
  g_free (uri);
  if (!measured) {
    c->detail = g_strdup_printf (_("cannot measure: %s"), err ? err->message :
        "unknown error");
    g_clear_error (&err);
  } else if (!(job->input_loudness.integrated >= CC_LOUDNESS_GATE_LUFS)) {
    c->pass = TRUE;
    c->detail = g_strdup ("silent input, left as it is");
  } else {
    c->pass = fabs (out->integrated - p->target_lufs) <= 0.5 &&
        out->true_peak <= p->ceiling_dbtp;
    c->detail = g_strdup_printf (_("%.1f LUFS, %.1f dBTP (target %.0f LUFS "
        "within 0.5 LU, ceiling %.0f dBTP)"), out->integrated, out->true_peak,
        p->target_lufs, p->ceiling_dbtp);
  }
  g_ptr_array_add (checks, c);
}

static JsonNode *
output_entry (const Job * job, const gchar * name, const gchar * file,
    const CcProbe * o, GPtrArray * checks, const CcLoudness * loud)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *node;
  GStatBuf st;
  gchar *base = g_path_get_basename (file);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, base);
  json_builder_set_member_name (b, "size_bytes");
  json_builder_add_int_value (b, g_stat (file, &st) == 0 ?
      (gint64) st.st_size : -1);
  set_member_double_or_null (b, "duration_s", o->duration);
  json_builder_set_member_name (b, "rule");
  {
    /* the platform cut has the platform category's rule, whatever the
     * job's category */
    gchar *rule = g_strcmp0 (name, "platform") == 0 ?
        cc_duration_rule_text (CC_CATEGORY_PLATFORM, 0,
        cc_category_max (CC_CATEGORY_PLATFORM)) : job_rule_text (job);
    json_builder_add_string_value (b, rule);
    g_free (rule);
  }
  json_builder_set_member_name (b, "rule_met");
  {
    gboolean met = TRUE;
    for (guint i = 0; i < checks->len; i++) {
      CcCheck *c = g_ptr_array_index (checks, i);
      if (g_strcmp0 (c->name, "duration-rule") == 0)
        met = c->pass;
    }
    json_builder_add_boolean_value (b, met);
  }
  json_builder_set_member_name (b, "trimmed");
  json_builder_add_boolean_value (b, job->trimmed);
  json_builder_set_member_name (b, "loudness");
  if (loud && loud->has_audio) {
    json_builder_begin_object (b);
    add_db (b, "integrated_lufs", loud->integrated);
    add_db (b, "range_lu", loud->range);
    add_db (b, "true_peak_dbtp", loud->true_peak);
    json_builder_end_object (b);
  } else {
    json_builder_add_null_value (b);
  }
  json_builder_set_member_name (b, "verdict");
  json_builder_add_string_value (b, cc_checks_all_pass (checks) ? "pass" :
      "fail");
  json_builder_set_member_name (b, "checks");
  json_builder_add_value (b, cc_checks_to_json (checks));
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  g_object_unref (b);
  g_free (base);
  return node;
}

/* Ends a phase: the time since the previous mark goes to it. */
static void
mark_phase (Job * job, guint phase)
{
  gint64 now = g_get_monotonic_time ();

  job->phases[phase] += (now - job->phase_mark) / (gdouble) G_USEC_PER_SEC;
  job->phase_mark = now;
}

static void
print_failure (Job * job)
{
  if (job->tty)
    fputc ('\n', stderr);
  fprintf (stderr, "campuscut: %s: %s: %s\n",
      job->exit_code == EXIT_REJECTED ? _("rejected") : _("error"),
      job->error_file ? job->error_file : job->input, job->error_message);
}

/* The automatic platform cut fills at least this much of the platform
 * category's maximum. */
#define PLATFORM_MIN (45 * GST_SECOND)

/* Spans on the output frame grid: starts to the nearest frame, ends down
 * to a whole frame, so no clipped frame makes a track longer than its
 * list. */
static void
snap_spans (Job * job, GArray * spans)
{
  GstClockTime frame = gst_util_uint64_scale_int (GST_SECOND, job->fps_d,
      job->fps_n);

  for (guint i = 0; i < spans->len; i++) {
    CcSpan *sp = &g_array_index (spans, CcSpan, i);
    sp->start = gst_util_uint64_scale_round (sp->start, 1, frame) * frame;
    sp->end = sp->end / frame * frame;
    if (sp->end <= sp->start) {
      g_array_remove_index (spans, i);
      i--;
    }
  }
}

/* The analysis pass is an optimisation and a source of signals, never a
 * gate: when it fails, loudness is normalised as the audio plays and the
 * automatic platform cut goes by the signals it still has. Whether the
 * file itself is at fault is for the encode to find out, with the
 * decoders that matter. */
static void
analysis_failed (Job * job, const GError * err)
{
  const gchar *why = err ? err->message : "no reason given";

  job->loudness_missing = g_strdup_printf ("the analysis pass failed: %s",
      why);
  cc_loudness_clear (&job->input_loudness);
  job->input_loudness.has_audio = FALSE;
  if (job->keyframes) {
    g_array_set_size (job->keyframes, 0);
    g_free (job->keyframes_missing);
    job->keyframes_missing = g_strdup (job->loudness_missing);
  }
  if (!job->quiet)
    fprintf (stderr, _("campuscut: warning: %s: the analysis pass failed "
        "(%s); loudness is normalised while encoding and the platform cut "
        "is chosen without it\n"), job->input, why);
}

/* A cut list in the bin's stream time, which starts before the first
 * picture in a transport stream (caller frees). */
static gchar *
in_stream_time (const gchar * segments, GstClockTime content_start)
{
  GArray *spans = cc_cutlist_parse (segments, NULL);
  gchar *shifted;

  if (spans == NULL)
    return g_strdup (segments);
  for (guint i = 0; i < spans->len; i++) {
    g_array_index (spans, CcSpan, i).start += content_start;
    g_array_index (spans, CcSpan, i).end += content_start;
  }
  shifted = cc_cutlist_format ((CcSpan *) spans->data, spans->len);
  g_array_unref (spans);
  return shifted;
}

/* The loudness of the platform segments, measured as the bin will cut
 * them. */
static gboolean
measure_platform_loudness (Job * job, const CcProbe * probe, GError ** error)
{
  gchar *segments = in_stream_time (job->platform_segments,
      probe->content_start);
  gboolean ok = cc_measure_loudness (probe->uri, segments,
      &job->platform_loudness, NULL, NULL, NULL, error);

  g_free (segments);
  return ok;
}

/* How long the source runs from its first picture: what campuscut
 * delivers of it (a lead of sound before the picture is not kept). An
 * indexed container declares where it ends on its own clock; an estimate
 * (a transport stream's, from its clock's first and last values) is
 * already about as long as the pictures. */
static GstClockTime
content_duration (const CcProbe * probe)
{
  if (!GST_CLOCK_TIME_IS_VALID (probe->duration) || !probe->duration_exact)
    return probe->duration;
  return probe->duration > probe->content_start ?
      probe->duration - probe->content_start : 0;
}

/* What the full cut keeps of the source: all of it, or up to the maximum
 * when --on-too-long trim will cut it there. */
static GstClockTime
kept_duration (const Job * job, const CcProbe * probe)
{
  guint64 min, max;

  job_limits (job, &min, &max);
  if (max && GST_CLOCK_TIME_IS_VALID (probe->duration) &&
      content_duration (probe) > max &&
      g_strcmp0 (job->on_too_long, "trim") == 0)
    return max;
  return content_duration (probe);
}

/* Decides the platform cut before anything is decoded: the given list, or
 * the automatic choice from captions and the audio's loudness; then
 * measures the loudness of exactly that cut. */
static gboolean
decide_platform_cut (Job * job, const CcProbe * probe)
{
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (CcSpan));
  GError *err = NULL;

  if (g_strcmp0 (job->platform_cut, "auto") == 0) {
    CcCutSignals sig = { 0 };

    /* the platform cut comes from what the full cut keeps */
    sig.duration = kept_duration (job, probe);
    sig.captions = job->caption_track;
    if (job->input_loudness.momentary) {
      sig.loudness = (gdouble *) job->input_loudness.momentary->data;
      sig.n_loudness = job->input_loudness.momentary->len;
      sig.loudness_step = CC_LOUDNESS_STEP;
    }
    if (job->keyframes) {
      sig.keyframes = (CcKeyframe *) job->keyframes->data;
      sig.n_keyframes = job->keyframes->len;
    }
    sig.min_total = PLATFORM_MIN;
    sig.max_total = cc_category_max (CC_CATEGORY_PLATFORM);
    job->platform_reasons = cc_cutlist_choose (&sig);
    for (guint i = 0; i < job->platform_reasons->len; i++)
      g_array_append_val (spans, ((CcCutChoice *)
              g_ptr_array_index (job->platform_reasons, i))->span);
  } else {
    GArray *given = cc_cutlist_parse (job->platform_cut, &err);

    g_array_append_vals (spans, given->data, given->len);
    g_array_unref (given);
    if (GST_CLOCK_TIME_IS_VALID (probe->duration) &&
        g_array_index (spans, CcSpan, 0).start >= probe->duration) {
      job_fail (job, EXIT_USAGE, _("the platform cut list starts after the "
          "video ends"));
      g_array_unref (spans);
      return FALSE;
    }
  }
  snap_spans (job, spans);
  /* the report shows the segments as cut */
  if (job->platform_reasons && job->platform_reasons->len == spans->len)
    for (guint i = 0; i < spans->len; i++)
      ((CcCutChoice *) g_ptr_array_index (job->platform_reasons, i))->span =
          g_array_index (spans, CcSpan, i);
  job->platform_total = cc_cutlist_total ((CcSpan *) spans->data, spans->len);
  if (spans->len == 0) {
    job_fail (job, EXIT_USAGE, _("the platform cut list keeps nothing"));
    g_array_unref (spans);
    return FALSE;
  }
  if (job->platform_total > cc_category_max (CC_CATEGORY_PLATFORM)) {
    gchar *m = g_strdup_printf (_("the platform cut list lasts %.1f s; "
        "platform cuts must be at most 60 s"),
        job->platform_total / (gdouble) GST_SECOND);
    job_fail (job, EXIT_REJECTED, m);
    g_free (m);
    g_array_unref (spans);
    return FALSE;
  }
  job->platform_segments = cc_cutlist_format ((CcSpan *) spans->data,
      spans->len);
  g_array_unref (spans);

  if (job->input_loudness.has_audio &&
      !measure_platform_loudness (job, probe, &err)) {
    /* the platform cut is then normalised as it plays (live mode) */
    job->platform_loudness_missing = g_strdup (err ? err->message :
        "the analysis failed");
    cc_loudness_clear (&job->platform_loudness);
    job->platform_loudness.has_audio = FALSE;
    g_clear_error (&err);
  }
  return TRUE;
}

/* Reads one written output back, checks it, and adds its report entry.
 * Returns FALSE when a check failed (the job fails with the list). */
/* Reading an output back (probe, stream checks, loudness) for
 * check_output; the two outputs are read in parallel. */
typedef struct
{
  Job *job;
  const gchar *path;
  CcExpect expect;
  GPtrArray *checks;
  CcProbe o;
  CcLoudness loud;
  GError *err;
} OutputRead;

static gpointer
read_output (gpointer data)
{
  OutputRead *r = data;

  r->checks = cc_check_output (r->path, &r->expect, &r->o, &r->err);
  if (r->checks)
    check_loudness (r->job, r->path, r->checks, &r->loud);
  return r;
}

static GThread *
read_output_start (OutputRead * r, Job * job, const gchar * path,
    const CcExpect * expect)
{
  memset (r, 0, sizeof (*r));
  r->job = job;
  r->path = path;
  r->expect = *expect;
  return g_thread_new ("campuscut-check", read_output, r);
}

static JsonObject *
signal_entry (gboolean used, const gchar * missing)
{
  JsonObject *o = json_object_new ();

  json_object_set_boolean_member (o, "used", used);
  if (missing)
    json_object_set_string_member (o, "missing", missing);
  return o;
}

/* Which signals the automatic platform cut went by, and why any is
 * missing: a reviewer reading a choice must know what it could see. */
static JsonObject *
signals_entry (const Job * job)
{
  JsonObject *o = json_object_new ();
  gboolean captions = job->caption_track && job->caption_track->cues->len;
  gboolean audio = job->input_loudness.momentary &&
      job->input_loudness.momentary->len;

  json_object_set_object_member (o, "captions", signal_entry (captions,
          captions ? NULL : job->captions ? "the caption file has no cue" :
          "no caption file was given"));
  json_object_set_object_member (o, "audio", signal_entry (audio,
          audio ? NULL : job->loudness_missing ? job->loudness_missing :
          "the file has no audio"));
  json_object_set_object_member (o, "video", signal_entry
      (job->keyframes_missing == NULL && job->keyframes &&
          job->keyframes->len > 0, job->keyframes_missing ?
          job->keyframes_missing : (job->keyframes && job->keyframes->len) ?
          NULL : "the video has no keyframe"));
  return o;
}

/* The report entry of an output read by read_output (consumed). */
static gboolean
check_output (Job * job, const gchar * name, OutputRead * r,
    JsonObject * outputs, GString * failed)
{
  const gchar *path = r->path;
  GPtrArray *checks = r->checks;
  JsonNode *entry;
  gboolean ok;

  if (checks == NULL) {
    g_string_append_printf (failed, " %s (%s)", name, r->err->message);
    g_clear_error (&r->err);
    cc_probe_clear (&r->o);
    return FALSE;
  }
  entry = output_entry (job, name, path, &r->o, checks, &r->loud);
  if (g_str_equal (name, "platform")) {
    JsonObject *e = json_node_get_object (entry);
    JsonArray *reasons = json_array_new ();

    json_object_set_string_member (e, "segments", job->platform_segments);
    json_object_set_string_member (e, "chosen",
        job->platform_reasons ? "auto" : "given");
    for (guint i = 0; job->platform_reasons &&
        i < job->platform_reasons->len; i++) {
      CcCutChoice *c = g_ptr_array_index (job->platform_reasons, i);
      JsonObject *why = json_object_new ();
      gchar *seg = cc_cutlist_format (&c->span, 1);

      json_object_set_string_member (why, "segment", seg);
      json_object_set_string_member (why, "reason", c->reason);
      json_array_add_object_element (reasons, why);
      g_free (seg);
    }
    json_object_set_array_member (e, "reasons", reasons);
    if (job->platform_reasons)
      json_object_set_object_member (e, "signals", signals_entry (job));
    if (job->keyframes && job->keyframes_missing == NULL) {
      /* what the automatic choice saw of the picture */
      JsonObject *sigs = json_object_new ();
      guint black = 0, still = 0;

      for (guint i = 0; i < job->keyframes->len; i++) {
        CcKeyframe *kf = &g_array_index (job->keyframes, CcKeyframe, i);
        black += kf->luma < 24.0;
        still += i > 0 && kf->change < 0.75;
      }
      json_object_set_int_member (sigs, "keyframes", job->keyframes->len);
      /* keyframes the decoder could not take alone (open GOP) */
      json_object_set_int_member (sigs, "undecodable_keyframes",
          job->keyframes_offered - MIN (job->keyframes_offered,
              job->keyframes->len));
      json_object_set_int_member (sigs, "black_keyframes", black);
      json_object_set_int_member (sigs, "frozen_keyframes", still);
      json_object_set_object_member (e, "video_signals", sigs);
    }
  }
  json_object_set_member (outputs, name, entry);
  ok = TRUE;
  for (guint i = 0; i < checks->len; i++) {
    CcCheck *c = g_ptr_array_index (checks, i);

    /* with --on-too-long warn a full cut over the rule is delivered: the
     * report says the rule is not met, the warning has been given */
    if (!c->pass && g_str_equal (name, "full") &&
        g_str_equal (c->name, "duration-rule") &&
        g_strcmp0 (job->on_too_long, "warn") == 0)
      continue;
    if (!c->pass) {
      ok = FALSE;
      g_string_append_printf (failed, " %s %s (%s)", name, c->name,
          c->detail);
    }
  }
  g_ptr_array_unref (checks);
  cc_probe_clear (&r->o);
  cc_loudness_clear (&r->loud);
  return ok;
}

static gint
run_process (Job * job)
{
  GError *err = NULL;
  CcProbe probe = { 0 };
  JsonNode *probe_json = NULL, *outputs = NULL, *captions_json = NULL;
  GstElement *bin;
  GstBus *bus;
  gchar *full, *platform, *report, *uri;
  guint progress_id, limits_id, sigint_id, sigterm_id;
  const CcQualityPreset *preset = cc_quality_preset (job->quality);

  job->started_us = job->phase_mark = g_get_monotonic_time ();
  job->tty = isatty (STDERR_FILENO);

  if (g_mkdir_with_parents (job->outdir, 0755) != 0) {
    fprintf (stderr, _("campuscut: error: %s: cannot create the output folder: "
        "%s\n"), job->outdir, g_strerror (errno));
    return EXIT_INTERNAL;
  }
  full = g_build_filename (job->outdir, "full.mp4", NULL);
  platform = g_build_filename (job->outdir, "platform.mp4", NULL);
  report = g_build_filename (job->outdir, "report.json", NULL);

  if (!cc_check_input_file (job->input, &err) ||
      !cc_probe_file (job->input, PROBE_TIMEOUT_S, &probe, &err)) {
    job_fail (job, EXIT_BAD_INPUT, err->message);
    g_clear_error (&err);
    goto done;
  }
  probe_json = cc_probe_to_json (&probe);
  if (probe.n_video == 0) {
    job_fail (job, EXIT_BAD_INPUT, _("the file has no video stream; the "
        "campaign needs a video file"));
    goto done;
  }
  job->src_duration = probe.duration;

  /* Fast rejection: the rule is checked on the headers, before decoding. */
  {
    guint64 min, max;
    CcDurationVerdict v;

    job_limits (job, &min, &max);
    v = GST_CLOCK_TIME_IS_VALID (probe.duration) ?
        cc_declared_duration_verdict (probe.duration, probe.duration_exact,
        min, max, g_strcmp0 (job->on_too_long, "error") == 0) :
        CC_DURATION_OK;
    if (v != CC_DURATION_OK) {
      gchar *rule = job_rule_text (job);
      gchar *m = g_strdup_printf ("%.1f s; %s%s",
          probe.duration / (gdouble) GST_SECOND, rule,
          v == CC_DURATION_TOO_LONG ? _(" (--on-too-long trim cuts it to the "
              "maximum)") : "");

      job->duration_verdict = g_strdup (cc_duration_verdict_to_string (v));
      job->duration_action = g_strdup ("error");
      job_fail (job, EXIT_REJECTED, m);
      g_free (m);
      g_free (rule);
      goto done;
    }
  }

  if (job->captions && !check_captions (job, &probe, &captions_json))
    goto done;
  mark_phase (job, PHASE_PROBE);

  /* Fast analysis pass: loudness for two-pass normalisation, and for an
   * automatic platform cut the audio's energy and the video's keyframes. */
  if (g_strcmp0 (job->platform_cut, "auto") == 0)
    job->keyframes = g_array_new (FALSE, FALSE, sizeof (CcKeyframe));
  if ((probe.n_audio > 0 && cc_loudness_preset (job->loudness)) ||
      job->keyframes) {
    /* a trimmed cut is normalised for what it keeps, not for the whole
     * source */
    gchar *kept = NULL;

    if (kept_duration (job, &probe) != content_duration (&probe)) {
      CcSpan span = { 0, kept_duration (job, &probe) };
      gchar *list = cc_cutlist_format (&span, 1);

      kept = in_stream_time (list, probe.content_start);
      g_free (list);
    }
    if (!cc_measure_loudness (probe.uri, kept, &job->input_loudness,
            job->keyframes, &job->keyframes_offered, &job->keyframes_missing,
            &err))
      analysis_failed (job, err);
    g_clear_error (&err);
    g_free (kept);
    /* keyframes come in stream time; the choice counts from the first
     * picture */
    for (guint i = 0; job->keyframes && i < job->keyframes->len; i++) {
      CcKeyframe *kf = &g_array_index (job->keyframes, CcKeyframe, i);
      kf->t = kf->t > probe.content_start ? kf->t - probe.content_start : 0;
    }
    if (job->input_loudness.has_audio &&
        !(job->input_loudness.integrated >= CC_LOUDNESS_GATE_LUFS) &&
        !job->quiet)
      fprintf (stderr, _("campuscut: warning: %s: the audio is silent or "
          "nearly so (below -70 LUFS); it is left as it is\n"), job->input);
  }

  if (g_strcmp0 (job->platform_cut, "none") != 0 &&
      !decide_platform_cut (job, &probe))
    goto done;

  mark_phase (job, PHASE_ANALYSIS);

  if (!ensure_plugin ()) {
    job_fail (job, EXIT_INTERNAL, _("the campuscut GStreamer plugin was not "
        "found; set GST_PLUGIN_PATH to the folder of libgstcampuscut.so"));
    goto done;
  }

  job->pipeline = gst_pipeline_new ("campuscut");
  bin = gst_element_factory_make ("submissionbin", "job");
  gst_bin_add (GST_BIN (job->pipeline), bin);
  uri = g_strdup (probe.uri);
  g_object_set (bin, "uri", uri, "full-location", full, "quality",
      job->quality, "category", job->category, "fps", job->fps_n, job->fps_d,
      "video-encoder", job->video_encoder, "stall-timeout",
      job->stall_timeout, "threads", job->threads, "trim-fade",
      (guint64) (job->trim_fade_s * GST_SECOND), "school", job->school,
      "logo", job->logo, "captions", job->captions, NULL);
  gst_util_set_object_arg (G_OBJECT (bin), "loudness", job->loudness);
  /* segments, captions and the duration rule count from the first
   * picture, as every player shows it */
  g_object_set (bin, "content-start", (guint64) probe.content_start, NULL);
  if (job->input_loudness.has_audio)
    g_object_set (bin, "input-loudness",
        isfinite (job->input_loudness.integrated) ?
        MIN (job->input_loudness.integrated, -0.01) : -200.0, NULL);
  if (job->platform_segments) {
    g_object_set (bin, "platform-location", platform, "platform-segments",
        job->platform_segments, "platform-portrait",
        g_strcmp0 (job->platform_aspect, "source") != 0, NULL);
    if (job->platform_loudness.has_audio)
      g_object_set (bin, "platform-input-loudness",
          isfinite (job->platform_loudness.integrated) ?
          MIN (job->platform_loudness.integrated, -0.01) : -200.0, NULL);
  }
  {
    guint64 min, max;

    job_limits (job, &min, &max);
    g_object_set (bin, "min-duration", (gint64) min, "max-duration",
        (gint64) max, NULL);
    gst_util_set_object_arg (G_OBJECT (bin), "on-too-long", job->on_too_long);
  }
  g_free (uri);

  job->loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (job->pipeline);
  gst_bus_add_watch (bus, bus_cb, job);
  progress_id = g_timeout_add (500, progress_cb, job);
  if (job->max_time_s <= 0)
    job->max_time_s = MAX (600.0, GST_CLOCK_TIME_IS_VALID (probe.duration) ?
        5.0 * probe.duration / GST_SECOND : 0.0);
  limits_id = g_timeout_add (500, limits_cb, job);
  sigint_id = g_unix_signal_add (SIGINT, interrupt_cb, job);
  sigterm_id = g_unix_signal_add (SIGTERM, interrupt_cb, job);

  if (gst_element_set_state (job->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    job_fail (job, EXIT_INTERNAL, _("the pipeline could not start"));
  } else {
    progress_cb (job);          /* logs show the job started */
    g_main_loop_run (job->loop);
    if (job->error_message == NULL && job->last_frac < 1.0) {
      job->last_line_us = 0;    /* and that it finished */
      progress_cb (job);
    }
  }

  /* NULL state removes any unfinished output. */
  gst_element_set_state (job->pipeline, GST_STATE_NULL);
  g_source_remove (progress_id);
  g_source_remove (limits_id);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_clear_object (&job->pipeline);
  g_main_loop_unref (job->loop);
  if (job->tty && !job->quiet)
    fputc ('\n', stderr);
  mark_phase (job, PHASE_ENCODE);

  if (job->error_message == NULL) {
    CcExpect expect = { 0 };
    OutputRead full_read, platform_read;
    GThread *full_thread, *platform_thread = NULL;
    JsonObject *obj = json_object_new ();
    GString *failed = g_string_new (_("the output failed its checks:"));
    gboolean ok;

    cc_output_frame_size (probe.display_width, probe.display_height,
        preset->long_edge, preset->short_edge, &expect.width, &expect.height);
    expect.fps_n = job->fps_n;
    expect.fps_d = job->fps_d;
    job_limits (job, &expect.min_duration, &expect.max_duration);
    expect.rule_tolerance = CC_DURATION_TOLERANCE_NS;
    /* the cut runs from the first picture to the end */
    expect.duration = content_duration (&probe);
    /* --on-too-long warn delivers the whole source */
    if (expect.max_duration && GST_CLOCK_TIME_IS_VALID (probe.duration) &&
        g_strcmp0 (job->on_too_long, "warn") != 0)
      expect.duration = MIN (expect.duration, expect.max_duration);
    expect.tolerance = cc_duration_tolerance (&probe, job->fps_n, job->fps_d);
    full_thread = read_output_start (&full_read, job, full, &expect);

    if (job->platform_segments) {
      if (g_strcmp0 (job->platform_aspect, "source") != 0) {
        expect.width = preset->short_edge & ~1u;
        expect.height = preset->long_edge & ~1u;
      }
      expect.min_duration = 0;
      expect.max_duration = cc_category_max (CC_CATEGORY_PLATFORM);
      expect.duration = job->platform_total;
      expect.tolerance = gst_util_uint64_scale_int (GST_SECOND, job->fps_d,
          job->fps_n);
      platform_thread = read_output_start (&platform_read, job, platform,
          &expect);
    }
    g_thread_join (full_thread);
    ok = check_output (job, "full", &full_read, obj, failed);
    if (platform_thread) {
      g_thread_join (platform_thread);
      ok &= check_output (job, "platform", &platform_read, obj, failed);
    }
    if (!json_object_has_member (obj, "platform"))
      json_object_set_null_member (obj, "platform");    /* none was made */
    outputs = json_node_new (JSON_NODE_OBJECT);
    json_node_take_object (outputs, obj);
    if (!ok)
      job_fail (job, EXIT_INTERNAL, failed->str);
    g_string_free (failed, TRUE);
    mark_phase (job, PHASE_CHECKS);
  }

done:
  if (!write_report (job, report, probe_json, captions_json, outputs, &err)) {
    fprintf (stderr, _("campuscut: error: %s: %s\n"), report, err->message);
    g_clear_error (&err);
    if (job->exit_code == EXIT_DONE)
      job->exit_code = EXIT_INTERNAL;
  }
  if (job->error_message) {
    /* a failed job delivers nothing */
    if (job->exit_code != EXIT_INTERNAL || job->interrupted) {
      g_unlink (full);
      g_unlink (platform);
    }
    print_failure (job);
  } else if (!job->quiet) {
    printf (_("full cut:     %s\n"), full);
    if (job->platform_segments)
      printf (_("platform cut: %s (%s)\n"), platform, job->platform_segments);
    printf (_("report:       %s\n"), report);
  }

  cc_probe_clear (&probe);
  g_free (full);
  g_free (platform);
  g_free (report);
  return job->exit_code;
}

static gboolean
parse_fps (const gchar * name, const gchar * value, gpointer data,
    GError ** error)
{
  Job *job = data;
  gint n = 0, d = 1;

  if (sscanf (value, "%d/%d", &n, &d) < 1 || n <= 0 || d <= 0 || n > 120 * d) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--fps takes a rate such as 25, 30 or 30000/1001, not '%s'", value);
    return FALSE;
  }
  job->fps_n = n;
  job->fps_d = d;
  return TRUE;
}

static const gchar *usage_summary =
    N_("Commands:\n"
    "  process INPUT -o OUTDIR   normalise one submission into OUTDIR/full.mp4,\n"
    "                            OUTDIR/platform.mp4 (with a platform cut) and\n"
    "                            OUTDIR/report.json\n"
    "  probe INPUT               print what the pre-flight probe finds, as JSON\n"
    "\n"
    "Exit codes: 0 done, 1 internal failure, 2 usage, 3 rejected by policy,\n"
    "4 unreadable or unsupported input.");

static gint
usage_error (GOptionContext * ctx, const gchar * message)
{
  fprintf (stderr, "campuscut: %s\n\n", message);
  g_autofree gchar *help = g_option_context_get_help (ctx, TRUE, NULL);
  fputs (help, stderr);
  return EXIT_USAGE;
}

static gint
run_probe (const gchar * input)
{
  GError *err = NULL;
  CcProbe probe = { 0 };
  JsonGenerator *gen;
  JsonNode *node;
  gchar *text;

  if (!cc_check_input_file (input, &err) ||
      !cc_probe_file (input, PROBE_TIMEOUT_S, &probe, &err)) {
    fprintf (stderr, _("campuscut: error: %s: %s\n"), input, err->message);
    g_clear_error (&err);
    return EXIT_BAD_INPUT;
  }
  node = cc_probe_to_json (&probe);
  gen = json_generator_new ();
  json_generator_set_root (gen, node);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  puts (text);
  g_free (text);
  json_node_unref (node);
  g_object_unref (gen);
  cc_probe_clear (&probe);
  return EXIT_DONE;
}

/* Messages follow the locale (zh_CN.UTF-8 gives Simplified Chinese). On a
 * machine where that locale was never generated setlocale() fails and
 * gettext would stay silent, so the language asked for is kept through
 * LANGUAGE over the C.UTF-8 locale. A build tree's catalogues are used
 * when the program runs from the build tree. */
static void
setup_i18n (void)
{
  const gchar *localedir = LOCALEDIR;
  const gchar *env = g_getenv ("CAMPUSCUT_LOCALEDIR");
  g_autofree gchar *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree gchar *self_dir = self ? g_path_get_dirname (self) : NULL;

  if (setlocale (LC_ALL, "") == NULL) {
    const gchar *vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
    const gchar *want = NULL;

    for (guint i = 0; i < G_N_ELEMENTS (vars) && want == NULL; i++) {
      const gchar *v = g_getenv (vars[i]);
      if (v && *v)
        want = v;
    }
    setlocale (LC_ALL, "C.UTF-8");
    if (want && g_getenv ("LANGUAGE") == NULL) {
      g_autofree gchar *lang = g_strdup (want);
      gchar *dot = strchr (lang, '.');

      if (dot)
        *dot = '\0';
      g_setenv ("LANGUAGE", lang, TRUE);
    }
  }
  if (env && *env)
    localedir = env;
  else if (self_dir && g_strcmp0 (self_dir, BUILD_PIPELINES_DIR) == 0)
    localedir = BUILD_LOCALEDIR;
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

/* A job's memory is frames: megabyte-sized buffers allocated by one
 * thread and freed by another, in some thirty threads. glibc gives each
 * thread its own arena (up to eight per core), and every arena keeps the
 * frames freed into it; a few arenas serve these large, infrequent
 * allocations as fast and keep less (about 30 MB at 1080p). The
 * environment's MALLOC_ARENA_MAX / GLIBC_TUNABLES still win. */
static void
limit_malloc_arenas (void)
{
  if (g_getenv ("MALLOC_ARENA_MAX") == NULL &&
      (g_getenv ("GLIBC_TUNABLES") == NULL ||
          strstr (g_getenv ("GLIBC_TUNABLES"), "arena_max") == NULL))
    mallopt (M_ARENA_MAX, (int) MAX (2, g_get_num_processors ()));
}

int
main (int argc, char **argv)
{
  Job job = { 0 };
  gchar *category = NULL, *quality = NULL;
  GError *err = NULL;
  GOptionContext *ctx;
  gint ret;
  GOptionEntry entries[] = {
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &job.outdir,
        N_("Folder for full.mp4, platform.mp4 and report.json (created if "
        "missing)"), "OUTDIR"},
    {"category", 'c', 0, G_OPTION_ARG_STRING, &category,
        N_("Campaign category: story or craftsman (180-300 s), overview "
          "(at most 300 s), platform (at most 60 s); default none, no "
          "duration rule"), "ID"},
    {"quality", 'q', 0, G_OPTION_ARG_STRING, &quality,
        N_("draft (fast 640x360 proxy), standard (default) or high"), "LEVEL"},
    {"fps", 0, 0, G_OPTION_ARG_CALLBACK, parse_fps,
        N_("Constant output frame rate (default 25)"), "RATE"},
    {"video-encoder", 0, 0, G_OPTION_ARG_STRING, &job.video_encoder,
        N_("H.264 encoder and settings, e.g. \"x264enc speed-preset=slow\" "
          "(default x264enc with the campaign settings)"), "DESC"},
    {"stall-timeout", 0, 0, G_OPTION_ARG_INT, &job.stall_timeout,
        N_("Fail when no progress is made for this many seconds (default 60)"),
        "S"},
    {"threads", 0, 0, G_OPTION_ARG_INT, &job.threads,
        N_("Threads for scaling and for each encoder (default: automatic)"),
        "N"},
    {"school", 0, 0, G_OPTION_ARG_STRING, &job.school,
        N_("School name for the watermark (学校名称水印)"), "NAME"},
    {"logo", 0, 0, G_OPTION_ARG_FILENAME, &job.logo,
        N_("School logo for the watermark: PNG, JPEG or SVG (学校标志)"), "FILE"},
    {"captions", 0, 0, G_OPTION_ARG_FILENAME, &job.captions,
        N_("Caption file to burn in: SRT, WebVTT or ASS; UTF-8, UTF-16, "
          "GB18030/GBK or Big5 (字幕文件)"), "FILE"},
    {"loudness", 0, 0, G_OPTION_ARG_STRING, &job.loudness,
        N_("Loudness target: web (-16 LUFS, default), mobile (-15, GY/T 377), "
          "quiet (-24), ebu (-23) or off (响度标准)"), "PRESET"},
    {"platform-cut", 0, 0, G_OPTION_ARG_STRING, &job.platform_cut,
        N_("The cut of at most 60 s for the short-video account: auto "
          "(default for story and craftsman), none, or segments like "
          "00:12.5-00:40,01:35-02:07 (平台短视频)"), "auto|none|LIST"},
    {"platform-aspect", 0, 0, G_OPTION_ARG_STRING, &job.platform_aspect,
        N_("portrait (1080x1920, default) or source"), "ASPECT"},
    {"on-too-long", 0, 0, G_OPTION_ARG_STRING, &job.on_too_long,
        N_("error (default: reject), trim (cut at the maximum with a fade) or "
          "warn"), "ACTION"},
    {"min-duration", 0, 0, G_OPTION_ARG_DOUBLE, &job.min_duration_s,
        N_("Override the category's minimum, in seconds (0 = none)"), "S"},
    {"max-duration", 0, 0, G_OPTION_ARG_DOUBLE, &job.max_duration_s,
        N_("Override the category's maximum, in seconds (0 = none)"), "S"},
    {"trim-fade", 0, 0, G_OPTION_ARG_DOUBLE, &job.trim_fade_s,
        N_("Fade before a trim, in seconds (default 1, 0 = hard cut)"), "S"},
    {"max-time", 0, 0, G_OPTION_ARG_DOUBLE, &job.max_time_s,
        N_("Fail a job that runs longer than this many seconds (default: 5x "
          "the source's duration, at least 600)"), "S"},
    {"max-output-size", 0, 0, G_OPTION_ARG_INT, &job.max_output_mb,
        N_("Fail when the outputs together pass this many MB (default 4096)"),
        "MB"},
    {"quiet", 0, 0, G_OPTION_ARG_NONE, &job.quiet,
        N_("No progress output"), NULL},
    {NULL}
  };
  GOptionGroup *main_group;

  limit_malloc_arenas ();
  setup_i18n ();
  job.category = CC_DEFAULT_CATEGORY;
  job.quality = CC_DEFAULT_QUALITY;
  job.fps_n = CC_DEFAULT_FPS_N;
  job.fps_d = CC_DEFAULT_FPS_D;
  job.stall_timeout = CC_DEFAULT_STALL_TIMEOUT_S;
  job.min_duration_s = job.max_duration_s = -1;
  job.max_output_mb = 4096;
  job.trim_fade_s = CC_DEFAULT_TRIM_FADE_NS / (gdouble) GST_SECOND;

  ctx = g_option_context_new ("COMMAND INPUT");
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, N_("Turn a school's submitted video "
          "into the campaign's publishable MP4."));
  g_option_context_set_description (ctx, usage_summary);
  main_group = g_option_group_new (NULL, NULL, NULL, &job, NULL);
  g_option_group_set_translation_domain (main_group, GETTEXT_PACKAGE);
  g_option_group_add_entries (main_group, entries);
  g_option_context_set_main_group (ctx, main_group);
  g_option_context_add_group (ctx, gst_init_get_option_group ());

  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    ret = usage_error (ctx, err->message);
    g_clear_error (&err);
    goto out;
  }
  if (argc < 2) {
    ret = usage_error (ctx, _("no command given"));
    goto out;
  }
  cc_disable_remote_elements ();

  if (g_strcmp0 (argv[1], "probe") == 0) {
    if (argc != 3) {
      ret = usage_error (ctx, _("probe takes exactly one INPUT file"));
      goto out;
    }
    ret = run_probe (argv[2]);
    goto out;
  }
  if (g_strcmp0 (argv[1], "process") != 0) {
    g_autofree gchar *m = g_strdup_printf (_("unknown command '%s'"), argv[1]);
    ret = usage_error (ctx, m);
    goto out;
  }
  if (argc != 3) {
    ret = usage_error (ctx, _("process takes exactly one INPUT file"));
    goto out;
  }
  if (job.outdir == NULL) {
    ret = usage_error (ctx, _("process needs -o OUTDIR"));
    goto out;
  }
  if (category && !cc_category_from_string (category, &job.category)) {
    g_autofree gchar *m = g_strdup_printf (_("unknown category '%s'; use "
        "story, craftsman, overview or platform"), category);
    ret = usage_error (ctx, m);
    goto out;
  }
  if (quality && !cc_quality_from_string (quality, &job.quality)) {
    g_autofree gchar *m = g_strdup_printf (_("unknown quality '%s'; use draft, "
        "standard or high"), quality);
    ret = usage_error (ctx, m);
    goto out;
  }
  if (job.on_too_long == NULL)
    job.on_too_long = g_strdup ("error");
  if (g_strcmp0 (job.on_too_long, "error") && g_strcmp0 (job.on_too_long,
          "trim") && g_strcmp0 (job.on_too_long, "warn")) {
    ret = usage_error (ctx, _("--on-too-long takes error, trim or warn"));
    goto out;
  }
  if (job.trim_fade_s < 0 || job.trim_fade_s > 10) {
    ret = usage_error (ctx, _("--trim-fade takes 0 to 10 seconds"));
    goto out;
  }
  if (job.logo && !g_file_test (job.logo, G_FILE_TEST_IS_REGULAR)) {
    g_autofree gchar *m = g_strdup_printf (_("--logo %s: no such file; give "
        "the school logo as a PNG, JPEG or SVG file"), job.logo);
    ret = usage_error (ctx, m);
    goto out;
  }
  if (job.captions && !g_file_test (job.captions, G_FILE_TEST_IS_REGULAR)) {
    g_autofree gchar *m = g_strdup_printf (_("--captions %s: no such file"),
        job.captions);
    ret = usage_error (ctx, m);
    goto out;
  }
  if (job.platform_cut == NULL)
    job.platform_cut = g_strdup (job.category == CC_CATEGORY_STORY ||
        job.category == CC_CATEGORY_CRAFTSMAN ? "auto" : "none");
  if (g_strcmp0 (job.platform_cut, "auto") &&
      g_strcmp0 (job.platform_cut, "none")) {
    GError *e = NULL;
    GArray *spans = cc_cutlist_parse (job.platform_cut, &e);

    if (spans == NULL) {
      g_autofree gchar *m = g_strdup_printf ("--platform-cut: %s",
          e->message);
      g_clear_error (&e);
      ret = usage_error (ctx, m);
      goto out;
    }
    g_array_unref (spans);
  }
  if (job.platform_aspect == NULL)
    job.platform_aspect = g_strdup ("portrait");
  if (g_strcmp0 (job.platform_aspect, "portrait") &&
      g_strcmp0 (job.platform_aspect, "source")) {
    ret = usage_error (ctx, _("--platform-aspect takes portrait or source"));
    goto out;
  }
  if (job.loudness == NULL)
    job.loudness = g_strdup ("web");
  if (g_strcmp0 (job.loudness, "off") && !cc_loudness_preset (job.loudness)) {
    ret = usage_error (ctx, _("--loudness takes web, mobile, quiet, ebu or off"));
    goto out;
  }
  if (job.video_encoder == NULL)
    job.video_encoder = g_strdup (CC_DEFAULT_VIDEO_ENCODER);
  job.input = g_strdup (argv[2]);
  ret = run_process (&job);

out:
  g_option_context_free (ctx);
  g_free (category);
  g_free (quality);
  g_free (job.input);
  g_free (job.outdir);
  g_free (job.video_encoder);
  g_free (job.error_message);
  g_free (job.on_too_long);
  g_free (job.school);
  g_free (job.logo);
  g_free (job.captions);
  g_free (job.loudness);
  g_free (job.platform_cut);
  g_free (job.platform_aspect);
  g_free (job.platform_segments);
  if (job.platform_reasons)
    g_ptr_array_unref (job.platform_reasons);
  cc_caption_track_free (job.caption_track);
  if (job.keyframes)
    g_array_unref (job.keyframes);
  cc_loudness_clear (&job.input_loudness);
  cc_loudness_clear (&job.platform_loudness);
  g_free (job.error_file);
  g_free (job.error_element);
  g_free (job.error_debug);
  g_free (job.keyframes_missing);
  g_free (job.loudness_missing);
  g_free (job.platform_loudness_missing);
  if (job.warned)
    g_hash_table_unref (job.warned);
  g_free (job.duration_verdict);
  g_free (job.duration_action);
  return ret;
}
