/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccrunner: the job runner, a worker inside the server.
 *
 * It claims queued jobs (one UPDATE: queued -> running under this
 * server's lease, the attempt counted) while fewer than --jobs run, starts
 * each as a process tree (ccchild.c), reads its JSON progress, renews the
 * lease with the progress every few seconds, and when the tree ends
 * records how it went in one statement fenced by the attempt:
 *
 *   exit 0       done, its outputs hashed
 *   exit 3, 4    rejected (the rules; the file), with the reason it gave
 *   exit 1, or killed (by a signal, the time limit, from outside)
 *                failed: queued again after a delay, until the third
 *                attempt; then it stays failed with each attempt's reason
 *   exit 2       failed for good (the options; the server checks them, so
 *                this is a fault of campuscut's)
 *
 * No transaction is open while a process runs: every state change is one
 * short statement. A job cancelled meanwhile is not touched (the fence
 * finds it cancelled); its process is killed at once. At an orderly stop
 * (SIGTERM) the running ones are killed and given back to the queue
 * without counting the attempt.
 *
 * A worker that died left its jobs running under a lease nobody renews.
 * With SQLite, this server holds the data folder's lock alone, so at start
 * every job left running is queued again, that attempt counted, and the
 * sweep takes back only workers' expired leases (ccworkerapi.c), never
 * this server's own: no other server can have left one, and a run here
 * never lapses. With PostgreSQL other
 * servers may be running theirs: only jobs whose lease has expired are
 * queued again, at start and by a sweep every renewal period, each such
 * attempt counted the same way. There, too, the jobs other servers run
 * can have event streams here: every tick, what the store says of them
 * reaches those streams.
 *
 * A lease is this server's only title to a job. A run counts from the
 * last renewal that succeeded (the time taken before the call); when no
 * renewal has succeeded for nearly a lease (the store unreachable), the
 * job may be another server's by now: the run is lost, its process
 * killed, its outputs not kept and its end not recorded. Runs are renewed
 * until their end is recorded (hashing the outputs, or waiting for the
 * store, takes time), the outputs are kept only right after a renewal
 * that succeeded, and the renewals come before the sweep in a tick; a
 * tick in which a renewal of this server's failed sweeps nothing. A claim
 * of a job this server still holds (its lease was taken back, and the
 * job queued again) is given back until the old run is gone: one run per
 * job.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "campuscut-serve"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccchild.h"
#include "ccjobdir.h"
#include "ccjobs.h"
#include "ccjobspec.h"
#include "ccrunner.h"
#include "ccsecret.h"
#include "ccworkerapi.h"

/* A run stops counting on its lease a quarter of it before its end, and
 * at least 2 s (a lease ends in the database's whole seconds, and the
 * run's process takes a moment to die). */
#define LEASE_SLACK_MIN_US (2 * G_USEC_PER_SEC)
#define TICK_MS 1000
/* after a claim was given back (a run here still holds the job), claims
 * wait this long: the job's own notification would bring it straight
 * back, again and again until the old run is gone */
#define GIVE_BACK_PAUSE_US G_USEC_PER_SEC
#define KILL_GRACE_S 60
#define PROGRESS_LINE_MAX (64 * 1024)
#define READ_BLOCK 4096

struct _CcRunner
{
  CcServer *server;
  gchar *owner;                 /* this worker's name in leases */
  gchar *exe;
  gchar *registry;
  GHashTable *runs;             /* job id -> Run */
  GHashTable *relayed;          /* job id -> what its streams last heard
                                 * from the store (PostgreSQL) */
  GCancellable *cancellable;    /* of the hashing threads, at stop */
  guint n_alive;                /* Runs not yet freed */
  gint64 lease_us;              /* a lease's length */
  gint64 renew_us;              /* between renewals, and sweeps */
  gint64 swept_us;              /* the last sweep for expired leases */
  gint64 looked_us;             /* the last claim tried */
  gint64 gave_back_us;          /* the last claim given back */
  guint tick_id;
  guint wake_id;
  gboolean stopping;
};

typedef enum
{
  RUN_LIVE,
  RUN_CANCELLED,                /* by a request: the store says so already */
  RUN_LOST,                     /* its lease is gone: not ours to record */
  RUN_STOPPED,                  /* the server stops: given back */
} RunFate;

typedef struct
{
  CcRunner *runner;
  CcJobRecord *job;
  gchar *dir;
  gchar *run_dir;
  gboolean seeded;              /* the platform cut made again, beside the
                                 * outputs linked into run_dir */
  GSubprocess *proc;
  GInputStream *stdout_pipe;
  CcChildLines lines;           /* its standard output, line by line */
  guint pending;                /* asynchronous operations under way */
  gboolean exited, eof, ended, listed;
  gboolean unrecorded;          /* its end awaits the store */
  gboolean keep_waiting;        /* its outputs await a renewal */
  RunFate fate;
  gchar *kill_reason;
  gdouble progress;
  gchar *phase;
  gchar *message;               /* what the process last said went wrong */
  gint64 started_us;
  gint64 renewed_us;            /* before the last renewal that succeeded
                                 * (or the claim) */
  gint64 tried_us;              /* before the last renewal tried */
  /* how the attempt ended, once known; kept until recorded */
  CcJobEnd end;
  gchar *end_reason;
  gchar *end_outputs;
} Run;

typedef enum
{
  RENEWED,
  RENEW_FAILED,                 /* the store did not answer: try again */
  RENEW_LOST,                   /* the lease is gone */
} RenewResult;

static void claim_jobs (CcRunner * runner);
static void run_check_end (Run * run);
static RenewResult run_renew (Run * run);

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
run_free (Run * run)
{
  run->runner->n_alive--;
  cc_job_record_free (run->job);
  g_free (run->dir);
  g_free (run->run_dir);
  g_clear_object (&run->proc);
  g_clear_object (&run->stdout_pipe);
  cc_child_lines_clear (&run->lines);
  g_free (run->kill_reason);
  g_free (run->phase);
  g_free (run->message);
  g_free (run->end_reason);
  g_free (run->end_outputs);
  g_free (run);
}

/* Frees the run once it is off the list and nothing waits on it. */
static void
run_maybe_free (Run * run)
{
  if (run->pending == 0 && !run->listed && run->ended)
    run_free (run);
}

/* Takes the run off the list: a slot is free. */
static void
run_unlist (Run * run)
{
  CcRunner *runner = run->runner;

  if (run->listed) {
    run->listed = FALSE;
    g_hash_table_remove (runner->runs, run->job->id);
  }
  run->ended = TRUE;
  run_maybe_free (run);
  cc_runner_wake (runner);
}

static void
run_kill (Run * run, const gchar * reason)
{
  if (reason && run->kill_reason == NULL)
    run->kill_reason = g_strdup (reason);
  if (run->proc && !run->exited)
    cc_child_kill (run->proc);
}

/* The job is not this run's any more (cancelled, or its lease gone):
 * its process goes, and so does an attempt's folder waiting to be kept,
 * or an end waiting to be recorded. May free the run. */
static void
run_drop (Run * run, RunFate fate)
{
  g_autoptr (GError) err = NULL;

  if (run->fate != RUN_LIVE)
    return;
  run->fate = fate;
  run_kill (run, NULL);
  if (run->keep_waiting && !cc_job_dir_remove_tree (run->run_dir, &err))
    g_warning ("%s", err->message);
  if (run->keep_waiting || run->unrecorded) {
    run->keep_waiting = run->unrecorded = FALSE;
    run_unlist (run);
  }
}

/* ------------------------------------------------------------------ */
/* What the process says.                                               */

static void
publish (Run * run, const gchar * event, JsonObject * o)
{
  json_object_remove_member (o, "event");       /* the stream names it */
  json_object_set_string_member (o, "job", run->job->id);
  json_object_set_int_member (o, "attempt", run->job->attempt);
  cc_events_publish (run->runner->server->events, run->job->id, event, o,
      FALSE);
}

/* One line of the process's JSON progress: kept, and passed on to the
 * job's event stream. */
static void
run_line (const gchar * text, gpointer data)
{
  Run *run = data;
  CcChildLine line;

  if (!cc_child_line_parse (&line, text))
    return;
  switch (line.kind) {
    case CC_CHILD_LINE_PROGRESS:
      run->progress = line.progress;
      publish (run, "progress", line.object);
      break;
    case CC_CHILD_LINE_PHASE:
      g_free (run->phase);
      run->phase = g_strdup (line.phase);
      publish (run, "phase", line.object);
      break;
    case CC_CHILD_LINE_END:
      if (line.message) {
        g_free (run->message);
        run->message = g_strdup (line.message);
      }
      break;
    case CC_CHILD_LINE_OTHER:
      break;
  }
  cc_child_line_clear (&line);
}

static void
run_read (Run * run);

static void
run_got_bytes (GObject * source, GAsyncResult * res, gpointer data)
{
  Run *run = data;
  g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish
      (G_INPUT_STREAM (source), res, NULL);
  gsize len = 0;
  const gchar *text = bytes ? g_bytes_get_data (bytes, &len) : NULL;

  run->pending--;
  if (len == 0 || run->fate == RUN_STOPPED) {
    run->eof = TRUE;
    run_check_end (run);
    return;
  }
  cc_child_lines_feed (&run->lines, text, len, run_line, run);
  run_read (run);
}

static void
run_read (Run * run)
{
  run->pending++;
  g_input_stream_read_bytes_async (run->stdout_pipe, READ_BLOCK,
      G_PRIORITY_DEFAULT, NULL, run_got_bytes, run);
}

static void
run_exited (GObject * source, GAsyncResult * res, gpointer data)
{
  Run *run = data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  run->pending--;
  run->exited = TRUE;
  run_check_end (run);
}

/* ------------------------------------------------------------------ */
/* How it ended.                                                        */

/**
 * cc_runner_judge:
 * @status: the exit status, or 128 + the signal that killed it
 * @kill_reason: (nullable): why it was killed, if it was
 * @message: (nullable): what the process last said went wrong
 * @end: (out): how the attempt ended; its reason is *@reason
 * @reason: (out) (transfer full): NULL when done
 *
 * What an attempt's exit status means for the job (see the top of the
 * file), wherever it ran: here or on a worker.
 */
void
cc_runner_judge (CcServer * server, gint attempt, gint status,
    const gchar * kill_reason, const gchar * message, CcJobEnd * end,
    gchar ** reason)
{
  end->exit_code = status < 128 ? status : -1;
  end->state = status == 0 ? CC_JOB_DONE : status == 3 || status == 4 ?
      CC_JOB_REJECTED : CC_JOB_FAILED;
  end->retry = status != 2;
  end->retry_at = now_s () + (gint64) (server->options.retry_delay_s *
      attempt);
  *reason = NULL;
  if (status == 0)
    return;
  if (status >= 128)
    *reason = g_strdup_printf ("%s%sthe job's process was killed "
        "(signal %d) before it finished", kill_reason ? kill_reason : "",
        kill_reason ? ": " : "", status - 128);
  else if (message)
    *reason = g_strdup (message);
  else
    *reason = g_strdup_printf ("campuscut ended with exit code %d "
        "and no message; see attempt-%d.log in the job's folder", status,
        attempt);
  end->reason = *reason;
}

static void
run_judge (Run * run)
{
  GSubprocess *p = run->proc;
  gint status = g_subprocess_get_if_exited (p) ?
      g_subprocess_get_exit_status (p) : 128 + g_subprocess_get_term_sig (p);

  cc_runner_judge (run->runner->server, run->job->attempt, status,
      run->kill_reason, run->message, &run->end, &run->end_reason);
}

/* Records the end (again at each tick while the store refuses). */
static void
run_record (Run * run)
{
  CcRunner *runner = run->runner;
  g_autoptr (GError) err = NULL;

  run->end.outputs = run->end_outputs;
  if (!cc_store_job_finish (runner->server->store, run->job->id,
          run->job->attempt, runner->owner, &run->end, now_s (), &err) &&
      !g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
    g_warning ("job %s: %s; trying again", run->job->id, err->message);
    run->unrecorded = TRUE;
    return;
  }
  run->unrecorded = FALSE;
  if (err)
    g_debug ("job %s ended after it was cancelled or taken back",
        run->job->id);
  cc_jobs_publish_state (runner->server, run->job->id);
  run_unlist (run);
}

static void
hash_thread (GTask * task, gpointer source, gpointer task_data,
    GCancellable * cancellable)
{
  GError *err = NULL;
  gchar *outputs = cc_job_dir_hash_outputs (task_data, cancellable, &err);

  if (outputs)
    g_task_return_pointer (task, outputs, g_free);
  else
    g_task_return_error (task, err);
}

static void
hashed (GObject * source, GAsyncResult * res, gpointer data)
{
  Run *run = data;
  g_autoptr (GError) err = NULL;

  run->pending--;
  run->end_outputs = g_task_propagate_pointer (G_TASK (res), &err);
  if (run->fate != RUN_LIVE) {
    run_unlist (run);
    return;
  }
  if (run->end_outputs == NULL) {
    g_warning ("job %s: %s", run->job->id, err->message);
    run->end.state = CC_JOB_FAILED;
    run->end.retry = TRUE;
    g_free (run->end_reason);
    run->end.reason = run->end_reason = g_strdup_printf ("the outputs "
        "could not be read back: %s", err->message);
  }
  run_record (run);
}

/* The attempt's folder becomes out/ (the outputs, or the report only),
 * whose files are hashed in a thread before the end is recorded. */
static void
run_keep (Run * run)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GTask) task = NULL;

  if (!cc_job_dir_keep (run->dir, run->run_dir, run->end.state ==
          CC_JOB_DONE, run->seeded, &err)) {
    g_warning ("job %s: %s", run->job->id, err->message);
    run->end.state = CC_JOB_FAILED;
    run->end.retry = TRUE;
    g_free (run->end_reason);
    run->end.reason = run->end_reason = g_strdup (err->message);
    run->end_outputs = g_strdup ("[]");
    run_record (run);
    return;
  }
  run->pending++;
  task = g_task_new (NULL, run->runner->cancellable, hashed, run);
  g_task_set_task_data (task, g_build_filename (run->dir, "out", NULL),
      g_free);
  g_task_run_in_thread (task, hash_thread);
}

/* Keeps the attempt's outputs right after a renewal that succeeded: an
 * attempt whose lease is gone (another server may run the job now) never
 * replaces the job's out/. While the store does not answer, the tick
 * tries again, until the lease may have run out. May free the run. */
static RenewResult
run_try_keep (Run * run)
{
  RenewResult result = run_renew (run);

  run->keep_waiting = TRUE;
  if (result == RENEWED) {
    run->keep_waiting = FALSE;
    run_keep (run);
  } else if (result == RENEW_LOST) {
    run_drop (run, RUN_LOST);
  }
  return result;
}

/* Once the process has exited and its output is read to the end. */
static void
run_check_end (Run * run)
{
  g_autoptr (GError) err = NULL;

  if (!run->exited || !run->eof)
    return;
  if (run->fate != RUN_LIVE) {
    if (!cc_job_dir_remove_tree (run->run_dir, &err))
      g_warning ("%s", err->message);
    run_unlist (run);
    return;
  }
  run_judge (run);
  run_try_keep (run);
}

/* ------------------------------------------------------------------ */
/* Starting.                                                            */

/* The job's uploads: the video first. */
static GPtrArray *
job_uploads (CcRunner * runner, const CcJobRecord * job, GError ** error)
{
  g_autoptr (GPtrArray) uploads = g_ptr_array_new_with_free_func
      ((GDestroyNotify) cc_upload_free);
  const gchar *ids[] = { job->video, job->captions, job->logo };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++) {
    CcUpload *u;

    if (ids[i] == NULL)
      continue;
    u = cc_store_upload_get (runner->server->store, ids[i], error);
    if (u == NULL)
      return NULL;
    g_ptr_array_add (uploads, u);
  }
  return g_steal_pointer (&uploads);
}

static gboolean
seeded_file (const gchar * run_dir, const gchar * name)
{
  g_autofree gchar *path = g_build_filename (run_dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static GSubprocess *
run_spawn (Run * run, GError ** error)
{
  CcRunner *runner = run->runner;
  CcServer *server = runner->server;
  g_autoptr (GPtrArray) uploads = job_uploads (runner, run->job, error);
  CcChildConfig config = {
    .exe = runner->exe,
    .registry = runner->registry,
    .uploads_dir = server->uploads_dir,
    .sandbox = server->options.no_sandbox ? NULL : &server->sandbox,
    .max_time_s = server->options.job_max_time_s,
    .max_output_mb = server->options.job_max_output_mb,
    .threads = server->options.job_threads,
  };
  gboolean remake;

  if (uploads == NULL)
    return NULL;
  remake = cc_job_spec_remakes_platform (run->job->options);
  run->run_dir = cc_job_dir_prepare (run->dir, run->job->attempt, remake,
      error);
  if (run->run_dir == NULL)
    return NULL;
  /* without its full cut and report (an earlier attempt that never
   * finished), a platform cut made again is a whole run */
  run->seeded = remake && seeded_file (run->run_dir, "full.mp4") &&
      seeded_file (run->run_dir, "report.json");
  config.only_platform = run->seeded;
  return cc_child_spawn (&config, run->job, uploads, run->dir, run->run_dir,
      error);
}

/* An attempt that could not even start: failed, and tried again later. */
static void
run_failed_to_start (Run * run, const GError * err)
{
  g_warning ("job %s: cannot start: %s", run->job->id, err->message);
  run->end.state = CC_JOB_FAILED;
  run->end.exit_code = -1;
  run->end.retry = TRUE;
  run->end.retry_at = now_s () + (gint64) (run->runner->server->options.
      retry_delay_s * run->job->attempt);
  run->end.reason = run->end_reason = g_strdup_printf ("the job could not "
      "start: %s", err->message);
  run->end_outputs = g_strdup ("[]");
  run_record (run);
}

/* @claimed_us: the time taken before the claim */
static void
run_start (CcRunner * runner, CcJobRecord * job, gint64 claimed_us)
{
  Run *run = g_new0 (Run, 1);
  g_autoptr (GError) err = NULL;

  runner->n_alive++;
  run->runner = runner;
  run->job = job;
  run->dir = g_build_filename (runner->server->jobs_dir, job->id, NULL);
  cc_child_lines_init (&run->lines, PROGRESS_LINE_MAX);
  run->started_us = g_get_monotonic_time ();
  run->renewed_us = run->tried_us = claimed_us;
  run->listed = TRUE;
  g_hash_table_insert (runner->runs, job->id, run);
  run->proc = run_spawn (run, &err);
  if (run->proc == NULL) {
    run_failed_to_start (run, err);
    return;
  }
  run->stdout_pipe = g_object_ref (g_subprocess_get_stdout_pipe (run->proc));
  run_read (run);
  run->pending++;
  g_subprocess_wait_async (run->proc, NULL, run_exited, run);
  cc_jobs_publish_state (runner->server, job->id);
}

static void
claim_jobs (CcRunner * runner)
{
  CcServer *server = runner->server;

  if (g_get_monotonic_time () - runner->gave_back_us < GIVE_BACK_PAUSE_US)
    return;                     /* the tick tries again */
  runner->looked_us = g_get_monotonic_time ();
  while (!runner->stopping && cc_server_runs_jobs (server) &&
      g_hash_table_size (runner->runs) < server->options.jobs) {
    g_autoptr (GError) err = NULL;
    gint64 before = g_get_monotonic_time ();
    CcJobRecord *job = cc_store_job_claim (server->store, runner->owner,
        now_s (), now_s () + runner->lease_us / G_USEC_PER_SEC, &err);

    if (job == NULL) {
      if (err)
        g_warning ("claiming a job: %s", err->message);
      return;
    }
    if (cc_runner_give_back (runner, job)) {
      cc_job_record_free (job);
      return;
    }
    run_start (runner, job, before);
  }
}

/**
 * cc_runner_give_back:
 * @job: a job just claimed, by this runner or for a worker (its
 *   lease_owner the claim's)
 *
 * Whether a run here still holds @job: its lease was taken back and the
 * job queued again while it ran. That run is lost, and the claim is given
 * back (uncounted) until the run is gone: one run per job, wherever the
 * claim would have sent it. May free the old run.
 *
 * Returns: TRUE when the claim was given back
 */
gboolean
cc_runner_give_back (CcRunner * runner, const CcJobRecord * job)
{
  Run *old = runner ? g_hash_table_lookup (runner->runs, job->id) : NULL;
  g_autoptr (GError) err = NULL;

  if (old == NULL)
    return FALSE;
  g_warning ("job %s: attempt %d lost (its lease was taken back)", job->id,
      old->job->attempt);
  runner->gave_back_us = g_get_monotonic_time ();
  run_drop (old, RUN_LOST);
  if (!cc_store_job_release (runner->server->store, job->id, job->attempt,
          job->lease_owner, NULL, now_s (), &err))
    g_warning ("job %s: giving it back: %s", job->id, err->message);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Every second.                                                        */

/* Renews the run's lease with its progress. */
static RenewResult
run_renew (Run * run)
{
  CcRunner *runner = run->runner;
  g_autoptr (GError) err = NULL;
  gint64 before = g_get_monotonic_time ();

  run->tried_us = before;
  if (cc_store_job_renew (runner->server->store, run->job->id,
          run->job->attempt, runner->owner, now_s (), now_s () +
          runner->lease_us / G_USEC_PER_SEC, run->progress, &err)) {
    run->renewed_us = before;
    return RENEWED;
  }
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    return RENEW_LOST;
  g_warning ("job %s: renewing its lease: %s", run->job->id, err->message);
  return RENEW_FAILED;
}

/* Whether the run's lease may have run out: no renewal has succeeded for
 * nearly a lease. With SQLite nothing takes a lease back while this
 * server runs: a run there never lapses. */
static gboolean
run_lapsed (Run * run, gint64 now)
{
  gint64 lease_us = run->runner->lease_us;

  return cc_runner_sweeps (run->runner) &&
      now - run->renewed_us >= lease_us - MAX (lease_us / 4,
      LEASE_SLACK_MIN_US);
}

/* Queues again the jobs whose lease expired: their server or worker
 * stopped (or stopped answering) without giving them back. One of ours
 * can be among them only if its renewals failed for a whole lease; then
 * it was lost already (run_lapsed). A job whose third attempt was lost so
 * is failed, not queued again: a job that kills whatever runs it ends.
 * With SQLite, workers' leases only (see the top). */
static void
sweep (CcRunner * runner)
{
  g_autoptr (GError) err = NULL;
  gint n;

  runner->swept_us = g_get_monotonic_time ();
  n = cc_store_job_rescue (runner->server->store, now_s (),
      cc_runner_sweeps (runner) ? NULL : CC_WORKER_OWNER_PREFIX, FALSE,
      "the job's "
      "lease expired: the server or worker running it stopped", now_s (),
      &err);
  if (n < 0) {
    g_warning ("looking for expired leases: %s", err->message);
  } else if (n > 0) {
    g_message ("%d job(s) whose lease expired queued again", n);
    cc_runner_wake (runner);
  }
}

/* What a job another server runs has become (its state, its attempt,
 * its progress as renewed), for the event streams here, once a tick. A
 * job seen first gets its state (again: a stream may have started before
 * it changed). */
static void
relay_others (CcRunner * runner)
{
  CcServer *server = runner->server;
  g_autoptr (GPtrArray) ids = cc_events_jobs (server->events);
  g_autoptr (GHashTable) relayed = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, g_free);

  for (guint i = 0; i < ids->len; i++) {
    const gchar *id = ids->pdata[i];
    g_autoptr (GError) err = NULL;
    g_autoptr (CcJobRecord) job = NULL;
    g_autoptr (JsonObject) o = NULL;
    const gchar *last;
    gchar *now;

    if (g_hash_table_contains (runner->runs, id))
      continue;                 /* ours: its events go as they come */
    job = cc_store_job_get (server->store, id, &err);
    if (job == NULL)
      continue;
    now = g_strdup_printf ("%s %d %.3f", cc_job_state_to_string
        (job->state), job->attempt, job->progress);
    last = g_hash_table_lookup (runner->relayed, id);
    g_hash_table_insert (relayed, g_strdup (id), now);
    if (g_strcmp0 (last, now) == 0)
      continue;
    if (last && g_str_has_prefix (last, "running ") &&
        g_str_has_prefix (now, "running ") &&
        strtol (last + 8, NULL, 10) == job->attempt) {
      o = json_object_new ();
      json_object_set_double_member (o, "percent", job->progress * 100);
      json_object_set_string_member (o, "job", id);
      json_object_set_int_member (o, "attempt", job->attempt);
      cc_events_publish (server->events, id, "progress", o, FALSE);
    } else {
      cc_jobs_publish_state (server, id);
    }
  }
  g_hash_table_unref (runner->relayed);
  runner->relayed = g_steal_pointer (&relayed);
}

/* A run's turn in the tick: renewed first (also once its process has
 * ended, until its end is recorded), or lost; then what waits on the
 * store tried again. Returns FALSE when a renewal of ours failed. May free
 * the run. */
static gboolean
run_tick (Run * run, gint64 now, gint64 limit_us)
{
  gboolean renewed = TRUE;

  if (run->fate != RUN_LIVE)
    return TRUE;
  if (run_lapsed (run, now)) {
    g_warning ("job %s: attempt %d lost: its lease could not be renewed "
        "for %" G_GINT64_FORMAT " s", run->job->id, run->job->attempt,
        (now - run->renewed_us) / G_USEC_PER_SEC);
    run_drop (run, RUN_LOST);
    return FALSE;
  }
  if (!run->keep_waiting && now - run->tried_us >= run->runner->renew_us) {
    switch (run_renew (run)) {
      case RENEWED:
        break;
      case RENEW_FAILED:
        renewed = FALSE;
        break;
      case RENEW_LOST:
        run_drop (run, RUN_LOST);
        return TRUE;
    }
  }
  if (run->keep_waiting)         /* the store did not answer last time */
    return run_try_keep (run) != RENEW_FAILED;
  if (run->unrecorded) {
    run_record (run);           /* the store refused it last time */
    return TRUE;
  }
  if (!run->exited && now - run->started_us > limit_us)
    run_kill (run, "the job ran past its time limit");
  return renewed;
}

static gboolean
tick (gpointer data)
{
  CcRunner *runner = data;
  gint64 now = g_get_monotonic_time ();
  gint64 limit_us = (gint64) ((runner->server->options.job_max_time_s +
          KILL_GRACE_S) * G_USEC_PER_SEC);
  g_autoptr (GList) runs = g_hash_table_get_values (runner->runs);
  gboolean renewed = TRUE;

  for (GList * l = runs; l; l = l->next) {
    if (!run_tick (l->data, now, limit_us))
      renewed = FALSE;
  }
  /* a tick whose renewals failed sweeps nothing: the store may be back
   * with leases of ours that only look expired */
  if (renewed && now - runner->swept_us >= runner->renew_us)
    sweep (runner);
  if (runner->server->options.db_url)
    relay_others (runner);
  /* every tick without notifications, and for a while after a give back
   * (whose notification was ignored) */
  if (!cc_store_queue_watched (runner->server->store) ||
      now - runner->looked_us >= runner->server->options.queue_poll_us ||
      now - runner->gave_back_us < 5 * GIVE_BACK_PAUSE_US)
    claim_jobs (runner);
  return G_SOURCE_CONTINUE;
}

static gboolean
wake_cb (gpointer data)
{
  CcRunner *runner = data;

  runner->wake_id = 0;
  claim_jobs (runner);
  return G_SOURCE_REMOVE;
}

static void
queued_elsewhere (gpointer data)
{
  CcRunner *runner = data;

  if (g_get_monotonic_time () - runner->gave_back_us >= GIVE_BACK_PAUSE_US)
    cc_runner_wake (runner);
}

/* ------------------------------------------------------------------ */

/* Something was queued or a slot freed: claim from the main loop soon,
 * here and for the workers waiting on the server. */
void
cc_runner_wake (CcRunner * runner)
{
  if (runner == NULL || runner->stopping)
    return;
  cc_worker_api_wake (runner->server->workers);
  if (runner->wake_id == 0)
    runner->wake_id = g_idle_add (wake_cb, runner);
}

/* The job was cancelled in the store: its process, if here, goes. */
void
cc_runner_cancel (CcRunner * runner, const gchar * id)
{
  Run *run = g_hash_table_lookup (runner->runs, id);

  if (run)
    run_drop (run, RUN_CANCELLED);
}

/* Whether this runner sweeps for other servers' (and its own) expired
 * leases: with PostgreSQL only. With SQLite it is the only server, and
 * what a stopped one left was queued again at start: it sweeps for
 * workers' leases alone. */
gboolean
cc_runner_sweeps (CcRunner * runner)
{
  return runner->server->options.db_url != NULL;
}

/* The progress of a job running here, as its process last said; FALSE
 * when no process of the job's is here (any more). */
gboolean
cc_runner_live (CcRunner * runner, const gchar * id, gdouble * progress,
    const gchar ** phase)
{
  Run *run = runner ? g_hash_table_lookup (runner->runs, id) : NULL;

  if (run == NULL)
    return FALSE;
  *progress = run->progress;
  *phase = run->phase;
  return TRUE;
}

guint
cc_runner_n_running (CcRunner * runner)
{
  return g_hash_table_size (runner->runs);
}

static gchar *
new_owner (GError ** error)
{
  g_autofree gchar *id = cc_secret_new_id (error);

  if (id == NULL)
    return NULL;
  return g_strdup_printf ("%s:%d:%.8s", g_get_host_name (), (gint) getpid (),
      id);
}

/**
 * cc_runner_new:
 *
 * Queues again what a dead server left running (with PostgreSQL: what
 * dead servers left, their leases expired), removes the attempts' folders
 * left in the data folder when no other server uses it, prepares
 * GStreamer's registry for the jobs and starts claiming.
 */
CcRunner *
cc_runner_new (CcServer * server, GError ** error)
{
  CcRunner *runner = g_new0 (CcRunner, 1);
  /* SQLite: this server is the only one (the folder's lock) */
  gboolean only_server = server->options.db_url == NULL;
  gint rescued;

  runner->server = server;
  runner->lease_us = (gint64) (server->options.lease_s * G_USEC_PER_SEC);
  runner->renew_us = runner->lease_us / 6;
  runner->runs = g_hash_table_new (g_str_hash, g_str_equal);
  runner->relayed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  runner->cancellable = g_cancellable_new ();
  runner->owner = new_owner (error);
  runner->exe = g_file_read_link ("/proc/self/exe", error);
  /* with SQLite, every run a server here left, and workers' leases only
   * once expired (the sweep): a worker's job outlives a restart */
  rescued = runner->owner && runner->exe ? cc_store_job_rescue
      (server->store, only_server ? G_MAXINT64 : now_s (), only_server ?
      CC_WORKER_OWNER_PREFIX : NULL, only_server, "the server stopped while "
      "the job ran", now_s (), error) : -1;
  if (rescued < 0) {
    cc_runner_free (runner);
    return NULL;
  }
  if (rescued > 0)
    g_message ("%d job(s) left running by a stopped server queued again",
        rescued);
  runner->swept_us = g_get_monotonic_time ();
  /* another server's running attempts are in their folders */
  if (server->alone)
    cc_job_dir_forget_runs (server->jobs_dir);
  if (server->options.jobs > 0 && cc_server_runs_jobs (server))
    runner->registry = cc_child_prepare_registry (runner->exe,
        server->options.data_dir);
  runner->tick_id = g_timeout_add (TICK_MS, tick, runner);
  /* jobs other servers queue wake this one, and the workers waiting here */
  cc_store_watch_queue (server->store, queued_elsewhere, runner);
  cc_runner_wake (runner);
  return runner;
}

/* At an orderly stop: each running job's process is killed and the job
 * given back to the queue, its attempt not counted; then everything under
 * way ends before the runner goes. */
void
cc_runner_free (CcRunner * runner)
{
  g_autoptr (GList) runs = NULL;

  if (runner == NULL)
    return;
  runner->stopping = TRUE;
  cc_store_watch_queue (runner->server->store, NULL, NULL);
  g_clear_handle_id (&runner->tick_id, g_source_remove);
  g_clear_handle_id (&runner->wake_id, g_source_remove);
  runs = g_hash_table_get_values (runner->runs);
  for (GList * l = runs; l; l = l->next) {
    Run *run = l->data;
    g_autoptr (GError) err = NULL;

    if (run->fate == RUN_LIVE && !cc_store_job_release (runner->server->store,
            run->job->id, run->job->attempt, runner->owner, NULL, now_s (),
            &err))
      g_debug ("job %s: %s", run->job->id, err->message);
    run->fate = RUN_STOPPED;
    run_kill (run, NULL);
    if (run->pending == 0)
      run_unlist (run);         /* it waits on nothing: its end unrecorded */
  }
  g_cancellable_cancel (runner->cancellable);
  while (runner->n_alive > 0)
    g_main_context_iteration (NULL, TRUE);
  g_hash_table_unref (runner->runs);
  g_hash_table_unref (runner->relayed);
  g_object_unref (runner->cancellable);
  g_free (runner->owner);
  g_free (runner->exe);
  g_free (runner->registry);
  g_free (runner);
}
