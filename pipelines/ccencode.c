/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccencode: a job's encode, one submissionbin run to the end.
 *
 * The CLI talks to the bin (the element named "job") only through its
 * properties and the messages it posts: the duration verdicts, the errors
 * with the stage they arose in, the warnings. Progress goes to stderr (or
 * to stdout as JSON lines with --progress json: ccprogress.c), and the
 * job's wall time and output size limits are enforced here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "ccencode.h"
#include "ccprogress.h"

#define PROGRESS_LINE_INTERVAL_US (5 * G_USEC_PER_SEC)

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
bytes_written (const CcJob * job)
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
  CcJob *job = data;
  gdouble elapsed = (g_get_monotonic_time () - job->started_us) /
      (gdouble) G_USEC_PER_SEC;
  guint64 limit = (guint64) job->max_output_mb * 1024 * 1024;

  if (job->max_time_s > 0 && elapsed > job->max_time_s) {
    gchar *m = g_strdup_printf (_("the job ran longer than its limit of %.0f s "
        "(--max-time); nothing was kept"), job->max_time_s);
    cc_job_fail (job, EXIT_INTERNAL, m);
    g_free (m);
    g_main_loop_quit (job->loop);
  } else if (limit && bytes_written (job) > limit) {
    gchar *m = g_strdup_printf (_("the output grew past its limit of %d MB "
        "(--max-output-size); the input is not what it claims to be, or the "
        "limit is too small"), job->max_output_mb);
    cc_job_fail (job, EXIT_BAD_INPUT, m);
    g_free (m);
    g_main_loop_quit (job->loop);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
progress_cb (gpointer data)
{
  CcJob *job = data;
  gint64 pos = 0, dur = -1, now = g_get_monotonic_time ();
  gdouble frac, speed, elapsed = (now - job->started_us) / (gdouble)
      G_USEC_PER_SEC;
  gchar *ts, *td;

  if (job->quiet && !job->progress_json)
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

  if (job->progress_json) {
    cc_progress_position (job, frac, pos, dur, speed);
  } else if (job->tty) {
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

/* The bin's verdict on the decoded duration. */
static void
duration_message (CcJob * job, GstMessage * msg)
{
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
  if (g_strcmp0 (gst_structure_get_string (s, "verdict"), "trimmed") == 0)
    job->trimmed = TRUE;
}

/* Fails the job with an error: the rule, the input or campuscut at
 * fault. */
static void
error_message (CcJob * job, GstMessage * msg)
{
  GError *err = NULL;
  gchar *dbg = NULL;

  gst_message_parse_error (msg, &err, &dbg);
  if (g_strcmp0 (job->duration_action, "error") == 0) {
    /* A duration rule, not a broken file. */
    gchar *rule = cc_job_rule_text (job);
    gchar *m = g_strdup_printf ("%s (%s)", err->message, rule);
    cc_job_fail (job, EXIT_REJECTED, m);
    g_free (m);
    g_free (rule);
  } else if (exit_code_for_error (msg, err) == EXIT_BAD_INPUT) {
    cc_job_fail (job, EXIT_BAD_INPUT, err->message);
  } else if (g_strcmp0 (error_element (msg), "submissionbin") == 0) {
    /* the bin's own: a stall, a missing element, a bad encoder
     * setting; each says what it is */
    cc_job_fail (job, EXIT_INTERNAL, err->message);
  } else {
    gchar *m = g_strdup_printf (_("campuscut failed on this file (%s): "
        "%s; the file itself was not found at fault: please report "
        "this with report.json"), error_element (msg), err->message);

    cc_job_fail (job, EXIT_INTERNAL, m);
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
}

/* Prints a warning, once: the audio and the video say the same thing once
 * each. */
static void
warning_message (CcJob * job, GstMessage * msg)
{
  GError *err = NULL;

  gst_message_parse_warning (msg, &err, NULL);
  if (job->warned == NULL)
    job->warned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        NULL);
  if (g_hash_table_add (job->warned, g_strdup (err->message)) && !job->quiet)
    fprintf (stderr, _("%scampuscut: warning: %s: %s\n"), job->tty ? "\n" : "",
        job->input, err->message);
  g_clear_error (&err);
}

static gboolean
bus_cb (GstBus * bus, GstMessage * msg, gpointer data)
{
  CcJob *job = data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      g_main_loop_quit (job->loop);
      break;
    case GST_MESSAGE_ELEMENT:
      if (gst_message_has_name (msg, "campuscut-duration"))
        duration_message (job, msg);
      break;
    case GST_MESSAGE_ERROR:
      error_message (job, msg);
      g_main_loop_quit (job->loop);
      break;
    case GST_MESSAGE_WARNING:
      warning_message (job, msg);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
interrupt_cb (gpointer data)
{
  CcJob *job = data;

  job->interrupted = TRUE;
  cc_job_fail (job, EXIT_INTERNAL, _("interrupted; no output was kept"));
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

/* A measured loudness as the bin takes it: below 0, -200 for silence. */
static gdouble
measured_loudness (const CcLoudness * l)
{
  return isfinite (l->integrated) ? MIN (l->integrated, -0.01) : -200.0;
}

/* The pipeline: one submissionbin, named "job", set from the job. */
static GstElement *
make_pipeline (const CcJob * job, const CcProbe * probe, const gchar * full,
    const gchar * platform)
{
  GstElement *pipeline = gst_pipeline_new ("campuscut");
  GstElement *bin = gst_element_factory_make ("submissionbin", "job");
  guint64 min, max;

  gst_bin_add (GST_BIN (pipeline), bin);
  g_object_set (bin, "uri", probe->uri, "full-location", full, "quality",
      job->quality, "category", job->category, "fps", job->fps_n, job->fps_d,
      "video-encoder", job->video_encoder, "stall-timeout",
      job->stall_timeout, "threads", job->threads, "trim-fade",
      (guint64) (job->trim_fade_s * GST_SECOND), "school", job->school,
      "logo", job->logo, "captions", job->captions, "loudness",
      (gint) job->loudness, NULL);
  /* segments, captions and the duration rule count from the first
   * picture, as every player shows it */
  g_object_set (bin, "content-start", (guint64) probe->content_start, NULL);
  if (job->input_loudness.has_audio)
    g_object_set (bin, "input-loudness",
        measured_loudness (&job->input_loudness), NULL);
  if (job->platform_segments) {
    g_object_set (bin, "platform-location", platform, "platform-segments",
        job->platform_segments, "platform-portrait",
        job->platform_aspect == CC_PLATFORM_PORTRAIT, NULL);
    if (job->platform_loudness.has_audio)
      g_object_set (bin, "platform-input-loudness",
          measured_loudness (&job->platform_loudness), NULL);
  }
  cc_job_limits (job, &min, &max);
  g_object_set (bin, "min-duration", (gint64) min, "max-duration",
      (gint64) max, "on-too-long", (gint) job->on_too_long, NULL);
  return pipeline;
}

/* Runs the pipeline to its end, an error, a limit or an interruption,
 * with progress, and takes it down: the NULL state removes any
 * unfinished output. */
static void
run_pipeline (CcJob * job, const CcProbe * probe)
{
  GstBus *bus;
  guint progress_id, limits_id, sigint_id, sigterm_id;

  job->loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (job->pipeline);
  gst_bus_add_watch (bus, bus_cb, job);
  progress_id = g_timeout_add (500, progress_cb, job);
  if (job->max_time_s <= 0)
    job->max_time_s = MAX (600.0, GST_CLOCK_TIME_IS_VALID (probe->duration) ?
        5.0 * probe->duration / GST_SECOND : 0.0);
  limits_id = g_timeout_add (500, limits_cb, job);
  sigint_id = g_unix_signal_add (SIGINT, interrupt_cb, job);
  sigterm_id = g_unix_signal_add (SIGTERM, interrupt_cb, job);

  if (gst_element_set_state (job->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    cc_job_fail (job, EXIT_INTERNAL, _("the pipeline could not start"));
  } else {
    progress_cb (job);          /* logs show the job started */
    g_main_loop_run (job->loop);
    if (job->error_message == NULL && job->last_frac < 1.0) {
      job->last_line_us = 0;    /* and that it finished */
      progress_cb (job);
    }
  }

  gst_element_set_state (job->pipeline, GST_STATE_NULL);
  g_source_remove (progress_id);
  g_source_remove (limits_id);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_clear_object (&job->pipeline);
  g_clear_pointer (&job->loop, g_main_loop_unref);
  if (job->tty && !job->quiet && !job->progress_json)
    fputc ('\n', stderr);
}

/* Whether the campuscut plugin is there (the job fails otherwise): the
 * analysis pass and the encode both build on its elements. */
gboolean
cc_job_check_plugin (CcJob * job)
{
  if (ensure_plugin ())
    return TRUE;
  cc_job_fail (job, EXIT_INTERNAL, _("the campuscut GStreamer plugin was "
          "not found; set GST_PLUGIN_PATH to the folder of "
          "libgstcampuscut.so"));
  return FALSE;
}

gboolean
cc_job_encode (CcJob * job, const CcProbe * probe, const gchar * full,
    const gchar * platform)
{
  job->pipeline = make_pipeline (job, probe, full, platform);
  run_pipeline (job, probe);
  cc_job_mark_phase (job, PHASE_ENCODE);
  return job->error_message == NULL;
}
