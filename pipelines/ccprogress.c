/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccprogress: the machine-readable progress of `campuscut process
 * --progress json` (and of `campuscut contact-sheet`), for the batch
 * server and for scripts. Standard output carries nothing else then, one
 * JSON object a line, each flushed as it is written:
 *
 *   {"event":"phase","phase":"probe"}        probe, analysis, encode,
 *                                            checks, report, contact-sheet
 *   {"event":"progress","percent":42.0,"position":12.5,"duration":30.0,
 *    "speed":2.1}                             at most once a second while
 *                                            encoding; seconds; duration
 *                                            -1 when unknown
 *   {"event":"result","status":"done","exit":0,"message":null}
 *                                            last: the exit code and
 *                                            report.json's status
 *   {"event":"error","message":"..."}         a failure outside a job
 *                                            (the contact sheet)
 *
 * Warnings and errors still go to standard error as sentences.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <json-glib/json-glib.h>

#include "ccprogress.h"

#define POSITION_INTERVAL_US G_USEC_PER_SEC

/* The phase that starts when each of ccjob.h's ends. */
static const gchar *const next_phase[N_PHASES] = {
  "analysis", "encode", "checks", "report"
};

static void
emit (JsonObject * o)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree gchar *text = NULL;

  json_node_set_object (node, o);
  text = json_to_string (node, FALSE);
  fputs (text, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

void
cc_progress_phase (const gchar * phase)
{
  g_autoptr (JsonObject) o = json_object_new ();

  json_object_set_string_member (o, "event", "phase");
  json_object_set_string_member (o, "phase", phase);
  emit (o);
}

/* Called as the job ends @phase (cc_job_mark_phase). */
void
cc_progress_phase_done (CcJob * job, guint phase)
{
  if (job->progress_json && phase < N_PHASES)
    cc_progress_phase (next_phase[phase]);
}

/* The encode's position; at most once a second, and at its end. */
void
cc_progress_position (CcJob * job, gdouble frac, gint64 position,
    gint64 duration, gdouble speed)
{
  g_autoptr (JsonObject) o = NULL;
  gint64 now = g_get_monotonic_time ();

  if (job->last_line_us && now - job->last_line_us < POSITION_INTERVAL_US)
    return;
  job->last_line_us = now;
  job->last_frac = frac;
  o = json_object_new ();
  json_object_set_string_member (o, "event", "progress");
  json_object_set_double_member (o, "percent", frac * 100);
  json_object_set_double_member (o, "position", position / (gdouble)
      GST_SECOND);
  json_object_set_double_member (o, "duration", duration > 0 ? duration /
      (gdouble) GST_SECOND : -1);
  json_object_set_double_member (o, "speed", speed);
  emit (o);
}

/* The name of an exit code in report.json and in the result line. */
const gchar *
cc_job_status_name (gint exit_code)
{
  static const gchar *status[] = {
    "done", "failed", "usage", "rejected", "bad-input"
  };

  return status[CLAMP (exit_code, 0, 4)];
}

/* The last line: how the job ended, as report.json says it. */
void
cc_progress_result (const CcJob * job)
{
  g_autoptr (JsonObject) o = NULL;

  if (!job->progress_json)
    return;
  o = json_object_new ();
  json_object_set_string_member (o, "event", "result");
  json_object_set_string_member (o, "status",
      cc_job_status_name (job->exit_code));
  json_object_set_int_member (o, "exit", job->exit_code);
  json_object_set_string_member (o, "message", job->error_message);
  emit (o);
}

void
cc_progress_error (const gchar * message)
{
  g_autoptr (JsonObject) o = json_object_new ();

  json_object_set_string_member (o, "event", "error");
  json_object_set_string_member (o, "message", message);
  emit (o);
}
