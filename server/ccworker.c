/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccworker: `campuscut worker --server URL --token T [--jobs N]
 * [--threads N] [--scratch DIR] [--no-sandbox]`: runs a server's jobs on
 * this machine, through the worker API (ccworkerapi.c) and nothing else:
 * no database, no shared folder.
 *
 * Each of the N slots is a thread that, in turn:
 *
 *   claims a job (a request the server holds open until one is queued, or
 *     answers after CLAIM_WAIT_S with none: then it asks again);
 *   fetches the inputs into the attempt's scratch folder, resuming broken
 *     downloads with Range, each checked against the SHA-256 the claim
 *     gave (ccclient.c);
 *   runs the same process tree as the server (ccchild.c: `campuscut
 *     process … --progress=json` and the contact sheet, in the bubblewrap
 *     sandbox unless --no-sandbox, refusing to start where none can be
 *     made), reading its progress;
 *   sends the outputs (all of them when it succeeded, the report
 *     otherwise, and the attempt's log) as resumable uploads of kind
 *     output with their SHA-256, which the server checks, and finishes
 *     the attempt with its exit status;
 *   removes the attempt's scratch folder, whatever happened.
 *
 * Beside each attempt a keeper thread renews the lease every third of it
 * (and sooner, at most every PROGRESS_US, when the progress moved), with
 * the progress and phase for the job's event streams. When the server
 * says the lease is lost (409), or no renewal got through for a whole
 * lease, the attempt is over: its process is killed, nothing is sent, and
 * the server has given the job to another attempt. A finish that comes
 * too late anyway is refused by the server, and its files dropped there.
 *
 * SIGTERM or SIGINT: the processes are killed, the jobs given back
 * (release: the attempt is not counted) and the worker exits 0. The
 * scratch folders of a worker killed outright are removed by the next
 * worker started on the same --scratch: each worker holds a lock on its
 * own folder, which the kernel drops when it dies.
 *
 * Exit codes as `campuscut submit`'s: 0 stopped by a signal, 1 a failure
 * (the token refused, no sandbox, the scratch folder unusable), 2 usage.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "campuscut-worker"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "ccchild.h"
#include "ccclient.h"
#include "ccjobdir.h"
#include "ccjobs.h"
#include "ccsandbox.h"
#include "ccsecret.h"
#include "ccsha256.h"
#include "ccworker.h"

#define CLAIM_WAIT_S 25
/* a held claim's answer comes within CLAIM_WAIT_S: past this, the
 * connection is dead */
#define SESSION_TIMEOUT_S (CLAIM_WAIT_S + 20)
#define PROGRESS_US (2 * G_USEC_PER_SEC)
#define KEEPER_TICK_US (G_USEC_PER_SEC / 5)
#define KILL_GRACE_S 60
#define LINE_MAX_BYTES (64 * 1024)
#define READ_BLOCK 4096
/* a finish is tried again while the lease holds, for at most this many
 * leases (a server that keeps failing it while its renewals work must
 * not hold the job for ever); a worker that stops (its lease no longer
 * renewed) tries FINISH_TRIES times */
#define FINISH_LEASES 3
#define FINISH_TRIES 6
#define FINISH_PAUSE_MAX_US (5 * G_USEC_PER_SEC)
#define LOCK_NAME ".lock"

typedef struct
{
  gchar *server, *token, *scratch;
  gint jobs, threads;
  gboolean no_sandbox;
} WorkerArgs;

typedef struct
{
  const WorkerArgs *args;
  gchar *exe;
  gchar *registry;
  CcSandbox sandbox;
  gchar *root;                  /* --scratch: every worker's folders */
  gchar *home;                  /* this worker's, locked while it runs */
  gint lock_fd;
  guint threads;                /* each job's --threads, 0: its own choice */
  GCancellable *stop;           /* SIGTERM, SIGINT, or a fatal error */
  GMainLoop *loop;
  gint slots_alive;             /* atomic */
  gint exit_code;               /* atomic */
} Worker;

typedef struct
{
  Worker *w;
  gchar *name;                  /* HOST:PID:SLOT, in its leases */
  GThread *thread;
} Slot;

/* One claimed attempt, shared by its slot's thread and its keeper. */
typedef struct
{
  Slot *slot;
  gchar *id;
  gint attempt;
  gchar *owner;
  guint lease_s;
  gdouble max_time_s;
  gint max_output_mb;
  gchar *options;               /* JSON text */
  GPtrArray *uploads;           /* CcUpload: the inputs, id = file name */
  gchar *dir;                   /* the scratch folder, removed at the end */
  gchar *fetched_dir;
  gchar *run_dir;
  GCancellable *cancel;         /* lost, or the worker stops */
  GMutex lock;                  /* what follows, between the threads */
  GCond cond;
  gboolean over;                /* the keeper may end */
  gboolean lost, stopped;
  gdouble progress;
  gboolean progress_moved;
  gchar *phase;
  gchar *message;               /* what the process last said went wrong */
  gchar *kill_reason;
  GSubprocess *proc;            /* while it runs */
  gint64 started_us;
} Attempt;

static void
say (const gchar * format, ...) G_GNUC_PRINTF (1, 2);

/* One line on standard error: what happened to a job, or a problem. */
static void
say (const gchar * format, ...)
{
  g_autofree gchar *text = NULL;
  va_list ap;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  fprintf (stderr, "campuscut: worker: %s\n", text);
}

static void
fail (Worker * w, const gchar * message)
{
  if (g_atomic_int_compare_and_exchange (&w->exit_code, 0, 1))
    say ("error: %s", message);
  g_cancellable_cancel (w->stop);
}

/* Sleeps @us, or less when the worker stops. */
static void
pause_us (Worker * w, gint64 us)
{
  gint64 until = g_get_monotonic_time () + us;

  while (!g_cancellable_is_cancelled (w->stop) &&
      g_get_monotonic_time () < until)
    g_usleep (MIN (100000, MAX (until - g_get_monotonic_time (), 0)));
}

static gint64
backoff_us (guint failures)
{
  gint64 us = G_USEC_PER_SEC / 2;

  for (guint i = 1; i < failures && us < 30 * G_USEC_PER_SEC; i++)
    us *= 2;
  return MIN (us, 30 * G_USEC_PER_SEC);
}

static JsonNode *
object_node (JsonObject * o)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, o);
  return node;
}

/* Sends @body to @path; a status other than 2xx is an error (see
 * cc_client_json()). */
static gboolean
post (CcClient * c, const gchar * path, JsonObject * body,
    JsonNode ** reply, GError ** error)
{
  g_autoptr (SoupMessage) msg = cc_client_message (c, SOUP_METHOD_POST, path,
      error);
  g_autoptr (JsonNode) node = object_node (body);

  return msg && cc_client_json (c, msg, node, reply, error);
}

/* ------------------------------------------------------------------ */
/* The attempt.                                                         */

static void
attempt_free (Attempt * a)
{
  g_free (a->id);
  g_free (a->owner);
  g_free (a->options);
  g_clear_pointer (&a->uploads, g_ptr_array_unref);
  g_free (a->dir);
  g_free (a->fetched_dir);
  g_free (a->run_dir);
  g_clear_object (&a->cancel);
  g_mutex_clear (&a->lock);
  g_cond_clear (&a->cond);
  g_free (a->phase);
  g_free (a->message);
  g_free (a->kill_reason);
  g_free (a);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Attempt, attempt_free)

/* The attempt a claim describes, its scratch folders made. */
static Attempt *
attempt_new (Slot * s, JsonObject * claim, GError ** error)
{
  g_autoptr (Attempt) a = g_new0 (Attempt, 1);
  JsonArray *inputs = json_object_get_array_member (claim, "inputs");
  g_autoptr (JsonNode) options = json_node_copy (json_object_get_member
      (claim, "options"));
  g_autofree gchar *name = NULL;

  g_mutex_init (&a->lock);
  g_cond_init (&a->cond);
  a->slot = s;
  a->cancel = g_cancellable_new ();
  a->id = g_strdup (json_object_get_string_member (claim, "id"));
  a->attempt = (gint) json_object_get_int_member (claim, "attempt");
  a->owner = g_strdup (json_object_get_string_member (claim, "owner"));
  a->lease_s = (guint) CLAMP (json_object_get_int_member (claim,
          "lease_seconds"), 2, 86400);
  a->max_time_s = json_object_get_double_member (claim, "max_time_s");
  a->max_output_mb = (gint) json_object_get_int_member (claim,
      "max_output_mb");
  a->options = json_to_string (options, FALSE);
  a->uploads = g_ptr_array_new_with_free_func ((GDestroyNotify)
      cc_upload_free);
  for (guint i = 0; i < json_array_get_length (inputs); i++) {
    JsonObject *o = json_array_get_object_element (inputs, i);
    CcUpload *u = g_new0 (CcUpload, 1);

    g_ptr_array_add (a->uploads, u);
    if (!cc_upload_kind_from_string (json_object_get_string_member (o,
                "kind"), &u->kind) || u->kind == CC_UPLOAD_OUTPUT) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "the server gave an input of an unknown kind");
      return NULL;
    }
    u->id = g_strdup (cc_upload_kind_to_string (u->kind));
    u->filename = g_strdup (json_object_get_string_member (o, "filename"));
    u->length = json_object_get_int_member (o, "length");
    u->sha256 = g_strdup (json_object_get_string_member (o, "sha256"));
  }
  /* it names the scratch folder: nothing but an id of the server's */
  if (!cc_secret_id_valid (a->id) || a->attempt < 1 || a->owner == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the server gave a job without a valid id, attempt or owner");
    return NULL;
  }
  if (a->uploads->len == 0 ||
      ((CcUpload *) a->uploads->pdata[0])->kind != CC_UPLOAD_VIDEO) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the server gave a job without its video first");
    return NULL;
  }
  name = g_strdup_printf ("%s-%d", a->id, a->attempt);
  a->dir = g_build_filename (s->w->home, name, NULL);
  a->fetched_dir = g_build_filename (a->dir, "fetched", NULL);
  a->run_dir = g_build_filename (a->dir, "out", NULL);
  if (g_mkdir_with_parents (a->fetched_dir, 0700) != 0 ||
      g_mkdir_with_parents (a->run_dir, 0700) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s",
        a->dir, g_strerror (errno));
    return NULL;
  }
  return g_steal_pointer (&a);
}

/* Under the lock: kills the process tree, if it runs. */
static void
attempt_kill (Attempt * a, const gchar * reason)
{
  if (reason && a->kill_reason == NULL)
    a->kill_reason = g_strdup (reason);
  if (a->proc)
    cc_child_kill (a->proc);
}

/* Under the lock: the attempt is over for this worker (lost, or the
 * worker stops): its process goes, and whatever it waits on. */
static void
attempt_abandon (Attempt * a)
{
  attempt_kill (a, NULL);
  g_cancellable_cancel (a->cancel);
}

/* The worker stops: its attempt too, from the slot's thread. */
static void
stop_attempt (GCancellable * stop, gpointer data)
{
  g_cancellable_cancel (data);
}

/* ------------------------------------------------------------------ */
/* The keeper: the lease, the progress, the time limit.                 */

/* Renews the lease once: TRUE when it held, FALSE with *lost set when
 * the server took it back. */
static gboolean
renew (CcClient * c, Attempt * a, gdouble progress, const gchar * phase,
    gboolean * lost, GError ** error)
{
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree gchar *path = g_strdup_printf ("/api/worker/jobs/%s/renew",
      a->id);
  g_autoptr (GError) err = NULL;

  json_object_set_int_member (body, "attempt", a->attempt);
  json_object_set_string_member (body, "owner", a->owner);
  json_object_set_double_member (body, "progress", progress);
  if (phase)
    json_object_set_string_member (body, "phase", phase);
  if (post (c, path, body, NULL, &err))
    return TRUE;
  *lost = g_error_matches (err, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_propagate_error (error, g_steal_pointer (&err));
  return FALSE;
}

static gpointer
keeper_thread (gpointer data)
{
  Attempt *a = data;
  Worker *w = a->slot->w;
  CcClient c;
  gint64 interval = a->lease_s * G_USEC_PER_SEC / 3;
  gint64 lease_us = a->lease_s * G_USEC_PER_SEC;
  gint64 held_us = g_get_monotonic_time (), tried_us = held_us;
  gint64 limit_us = (gint64) ((a->max_time_s + KILL_GRACE_S) *
      G_USEC_PER_SEC);

  cc_client_init (&c, w->args->server, w->args->token);
  c.quiet = TRUE;
  g_object_set (c.session, "timeout", (guint) MAX (a->lease_s / 3, 2), NULL);
  g_mutex_lock (&a->lock);
  while (!a->over) {
    gint64 now = g_get_monotonic_time ();

    if (g_cancellable_is_cancelled (w->stop) && !a->stopped && !a->lost) {
      a->stopped = TRUE;
      attempt_abandon (a);
    }
    if (a->proc && now - a->started_us > limit_us)
      attempt_kill (a, "the job ran past its time limit");
    if (!a->lost && !a->stopped && (now - tried_us >= interval ||
            (a->progress_moved && now - tried_us >= PROGRESS_US))) {
      g_autoptr (GError) err = NULL;
      g_autofree gchar *phase = g_strdup (a->phase);
      gdouble progress = a->progress;
      gboolean lost = FALSE, held;

      a->progress_moved = FALSE;
      g_mutex_unlock (&a->lock);
      held = renew (&c, a, progress, phase, &lost, &err);
      g_mutex_lock (&a->lock);
      tried_us = now;
      if (held) {
        held_us = now;
      } else if (lost || g_get_monotonic_time () - held_us >= lease_us) {
        say ("job %s, attempt %d: the lease is lost (%s); the attempt ends "
            "here", a->id, a->attempt, err->message);
        a->lost = TRUE;
        attempt_abandon (a);
      }
    }
    g_cond_wait_until (&a->cond, &a->lock, g_get_monotonic_time () +
        KEEPER_TICK_US);
  }
  g_mutex_unlock (&a->lock);
  cc_client_clear (&c);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* The process.                                                         */

/* One line of the process's JSON progress, kept for the next renewal. */
static void
attempt_line (const gchar * text, gpointer data)
{
  Attempt *a = data;
  CcChildLine line;

  if (!cc_child_line_parse (&line, text))
    return;
  g_mutex_lock (&a->lock);
  switch (line.kind) {
    case CC_CHILD_LINE_PROGRESS:
      a->progress = line.progress;
      a->progress_moved = TRUE;
      break;
    case CC_CHILD_LINE_PHASE:
      g_free (a->phase);
      a->phase = g_strdup (line.phase);
      a->progress_moved = TRUE;
      break;
    case CC_CHILD_LINE_END:
      if (line.message) {
        g_free (a->message);
        a->message = g_strdup (line.message);
      }
      break;
    case CC_CHILD_LINE_OTHER:
      break;
  }
  g_mutex_unlock (&a->lock);
  cc_child_line_clear (&line);
}

/* Reads the process's standard output to its end, line by line. */
static void
read_progress (Attempt * a, GInputStream * out)
{
  CcChildLines lines;
  gchar buf[READ_BLOCK];
  gssize n;

  cc_child_lines_init (&lines, LINE_MAX_BYTES);
  while ((n = g_input_stream_read (out, buf, sizeof (buf), a->cancel,
              NULL)) > 0)
    cc_child_lines_feed (&lines, buf, (gsize) n, attempt_line, a);
  cc_child_lines_clear (&lines);
}

/* Runs the process tree to its end: its exit status (128 + the signal
 * when killed), or -1 when it could not start. */
static gint
run_process (Attempt * a, GError ** error)
{
  Worker *w = a->slot->w;
  CcChildConfig config = {
    .exe = w->exe,
    .registry = w->registry,
    .uploads_dir = a->fetched_dir,
    .sandbox = w->args->no_sandbox ? NULL : &w->sandbox,
    .max_time_s = a->max_time_s,
    .max_output_mb = a->max_output_mb,
    .threads = w->threads,
  };
  CcJobRecord job = {
    .id = a->id,
    .attempt = a->attempt,
    .options = a->options,
  };
  g_autoptr (GSubprocess) proc = NULL;

  g_mutex_lock (&a->lock);
  if (!g_cancellable_is_cancelled (a->cancel)) {
    proc = cc_child_spawn (&config, &job, a->uploads, a->dir, a->run_dir,
        error);
    a->proc = proc;
    a->started_us = g_get_monotonic_time ();
  }
  g_mutex_unlock (&a->lock);
  if (proc == NULL)
    return -1;
  read_progress (a, g_subprocess_get_stdout_pipe (proc));
  if (g_cancellable_is_cancelled (a->cancel))
    cc_child_kill (proc);
  g_subprocess_wait (proc, NULL, NULL);
  g_mutex_lock (&a->lock);
  a->proc = NULL;
  g_mutex_unlock (&a->lock);
  return g_subprocess_get_if_exited (proc) ?
      g_subprocess_get_exit_status (proc) :
      128 + g_subprocess_get_term_sig (proc);
}

/* ------------------------------------------------------------------ */
/* Inputs and outputs.                                                  */

static gboolean
fetch_inputs (Attempt * a, CcClient * c, JsonArray * inputs, GError ** error)
{
  for (guint i = 0; i < a->uploads->len; i++) {
    CcUpload *u = a->uploads->pdata[i];
    JsonObject *o = json_array_get_object_element (inputs, i);
    g_autofree gchar *path = g_build_filename (a->fetched_dir, u->id, NULL);

    if (!cc_client_download (c, json_object_get_string_member (o,
                "location"), path, u->sha256, error))
      return FALSE;
  }
  return TRUE;
}

static void forget_upload (Attempt * a, CcClient * c, const gchar * id);

/* Sends one output back: its upload's id into @outputs, with the SHA-256
 * computed here, which the server compares with what it received. One
 * that failed halfway is removed from the server. */
static gboolean
send_output (Attempt * a, CcClient * c, const gchar * name,
    const gchar * path, JsonArray * outputs, GError ** error)
{
  g_autofree gchar *sha256 = cc_sha256_file (path, NULL, a->cancel, error);
  g_autofree gchar *partial = NULL;
  g_autofree gchar *attempt = g_strdup_printf ("%d", a->attempt);
  const gchar *meta[] = { "job", a->id, "attempt", attempt, "owner",
    a->owner, NULL
  };
  g_autofree gchar *id = sha256 ? cc_client_upload (c, path, "output", meta,
      &partial, error) : NULL;
  JsonObject *o;

  if (id == NULL) {
    if (partial)
      forget_upload (a, c, partial);
    return FALSE;
  }
  o = json_object_new ();
  json_object_set_string_member (o, "name", name);
  json_object_set_string_member (o, "upload", id);
  json_object_set_string_member (o, "sha256", sha256);
  json_array_add_object_element (outputs, o);
  return TRUE;
}

/* Removes the outputs sent of an attempt that ends without its finish
 * (lost, stopped, an upload that failed): on the server they would wait a
 * day for it. */
static void
forget_upload (Attempt * a, CcClient * c, const gchar * id)
{
  GCancellable *cancellable = c->cancellable;
  g_autoptr (GError) err = NULL;

  c->cancellable = NULL;        /* cancelled already when stopping */
  /* locked (423) while the server still takes the bytes of a request
   * this end gave up: tried again a few times */
  for (guint tries = 1; !cc_client_upload_remove (c, id, &err); tries++) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
      break;                    /* gone already (a late finish's) */
    if (!g_error_matches (err, G_IO_ERROR, G_IO_ERROR_BUSY) ||
        tries >= FINISH_TRIES) {
      say ("job %s, attempt %d: its output %s stays on the server for a "
          "day (%s)", a->id, a->attempt, id, err->message);
      break;
    }
    g_clear_error (&err);
    g_usleep (backoff_us (tries));
  }
  c->cancellable = cancellable;
}

static void
forget_outputs (Attempt * a, CcClient * c, JsonArray * outputs)
{
  for (guint i = 0; i < json_array_get_length (outputs); i++)
    forget_upload (a, c, json_object_get_string_member
        (json_array_get_object_element (outputs, i), "upload"));
}

/* The outputs the server keeps of an attempt (all when it succeeded, its
 * report otherwise) and its log; on a failure, none stays. */
static JsonArray *
send_outputs (Attempt * a, CcClient * c, gint status, GError ** error)
{
  g_autoptr (JsonArray) outputs = json_array_new ();
  g_autofree gchar *log_name = g_strdup_printf ("attempt-%d.log",
      a->attempt);
  g_autofree gchar *log = g_build_filename (a->dir, log_name, NULL);

  for (guint i = 0; i < cc_job_n_outputs; i++) {
    const gchar *name = cc_job_outputs[i].name;
    g_autofree gchar *path = g_build_filename (a->run_dir, name, NULL);

    if ((status != 0 && strcmp (name, "report.json") != 0) ||
        !g_file_test (path, G_FILE_TEST_IS_REGULAR))
      continue;
    if (!send_output (a, c, name, path, outputs, error)) {
      forget_outputs (a, c, outputs);
      return NULL;
    }
  }
  if (g_file_test (log, G_FILE_TEST_IS_REGULAR) &&
      !send_output (a, c, "log", log, outputs, error)) {
    forget_outputs (a, c, outputs);
    return NULL;
  }
  return g_steal_pointer (&outputs);
}

/* Records the end on the server, trying again while it cannot be reached
 * (or its store fails) for as long as the keeper holds the lease, up to
 * FINISH_LEASES leases: a good result is not given up while it may still
 * count. FALSE when it refused (*late when the attempt was replaced), or
 * the lease was lost meanwhile (*late too), or the worker stops and
 * FINISH_TRIES failed, or the time was up. */
static gboolean
finish (Attempt * a, CcClient * c, JsonObject * body, gboolean * late,
    GError ** error)
{
  g_autofree gchar *path = g_strdup_printf ("/api/worker/jobs/%s/finish",
      a->id);
  gint64 until_us = g_get_monotonic_time () + FINISH_LEASES *
      (gint64) a->lease_s * G_USEC_PER_SEC;

  json_object_set_int_member (body, "attempt", a->attempt);
  json_object_set_string_member (body, "owner", a->owner);
  *late = FALSE;
  for (guint tries = 1;; tries++) {
    gboolean stopped;
    g_autoptr (GError) err = NULL;

    if (post (c, path, body, NULL, &err))
      return TRUE;
    g_mutex_lock (&a->lock);
    *late = g_error_matches (err, G_IO_ERROR, G_IO_ERROR_BUSY) || a->lost;
    stopped = a->stopped;
    g_mutex_unlock (&a->lock);
    if (*late || g_error_matches (err, G_IO_ERROR,
            G_IO_ERROR_INVALID_ARGUMENT) || (stopped &&
            tries >= FINISH_TRIES) || g_get_monotonic_time () >= until_us) {
      g_propagate_error (error, g_steal_pointer (&err));
      return FALSE;
    }
    if (tries == 1)
      say ("job %s, attempt %d: recording its end: %s; trying again while "
          "the lease holds", a->id, a->attempt, err->message);
    g_usleep (MIN (backoff_us (tries), FINISH_PAUSE_MAX_US));
  }
}

/* Reports a failure of the worker's own: the attempt failed, and is tried
 * again (perhaps elsewhere). */
static void
finish_failed (Attempt * a, CcClient * c, const gchar * why)
{
  g_autoptr (JsonObject) body = json_object_new ();
  g_autoptr (GError) err = NULL;
  gboolean late;

  json_object_set_string_member (body, "failure", why);
  /* told even if the worker is asked to stop meanwhile, as deliver() */
  c->cancellable = NULL;
  if (finish (a, c, body, &late, &err))
    say ("job %s, attempt %d: failed here: %s", a->id, a->attempt, why);
  else
    say ("job %s, attempt %d: failed here (%s), and the server took no "
        "note: %s", a->id, a->attempt, why, err->message);
}

static void release (Attempt * a, CcClient * c);

/* Sends the outputs and records the end. */
static void
deliver (Attempt * a, CcClient * c, gint status)
{
  g_autoptr (JsonObject) body = json_object_new ();
  g_autoptr (JsonArray) outputs = NULL;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *why = NULL;
  gboolean late;

  outputs = send_outputs (a, c, status, &err);
  if (outputs == NULL) {
    gboolean lost;

    g_mutex_lock (&a->lock);
    lost = a->lost;
    g_mutex_unlock (&a->lock);
    if (lost)
      return;                   /* not ours to say any more */
    if (g_cancellable_is_cancelled (a->cancel)) {
      release (a, c);           /* stopping while they went */
      return;
    }
    why = g_strdup_printf ("the outputs could not be sent: %s",
        err->message);
    finish_failed (a, c, why);
    return;
  }
  json_object_set_int_member (body, "status", status);
  g_mutex_lock (&a->lock);
  if (a->message)
    json_object_set_string_member (body, "message", a->message);
  if (a->kill_reason)
    json_object_set_string_member (body, "kill_reason", a->kill_reason);
  g_mutex_unlock (&a->lock);
  json_object_set_array_member (body, "outputs", g_steal_pointer (&outputs));
  /* finished even if the worker is asked to stop meanwhile: it is short */
  c->cancellable = NULL;
  if (finish (a, c, body, &late, &err)) {
    say ("job %s, attempt %d: finished (exit status %d)", a->id, a->attempt,
        status);
  } else if (late) {
    say ("job %s, attempt %d: finished late; the server refused the result "
        "(%s)", a->id, a->attempt, err->message);
  } else if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT)) {
    why = g_strdup_printf ("the outputs did not arrive intact: %s",
        err->message);
    finish_failed (a, c, why);
  } else {
    say ("job %s, attempt %d: the server could not be told how it ended "
        "(%s); its lease will run out", a->id, a->attempt, err->message);
    forget_outputs (a, c, json_object_get_array_member (body, "outputs"));
  }
}

/* Gives the job back unfinished: the worker stops. */
static void
release (Attempt * a, CcClient * c)
{
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree gchar *path = g_strdup_printf ("/api/worker/jobs/%s/release",
      a->id);
  g_autoptr (GError) err = NULL;

  json_object_set_int_member (body, "attempt", a->attempt);
  json_object_set_string_member (body, "owner", a->owner);
  c->cancellable = NULL;
  if (post (c, path, body, NULL, &err))
    say ("job %s, attempt %d: given back (the worker stops)", a->id,
        a->attempt);
  else
    say ("job %s, attempt %d: could not be given back (%s); its lease will "
        "run out", a->id, a->attempt, err->message);
}

/* One claimed attempt, from the inputs to the end recorded, its scratch
 * folder removed in every case. */
static void
run_attempt (Slot * s, CcClient * c, JsonObject * claim)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (Attempt) a = attempt_new (s, claim, &err);
  GThread *keeper;
  gulong stop_id;
  gint status = -1;
  gboolean lost, stopped;

  if (a == NULL) {
    say ("the server's claim cannot be used: %s", err->message);
    return;
  }
  say ("job %s, attempt %d: claimed", a->id, a->attempt);
  keeper = g_thread_new ("campuscut-lease", keeper_thread, a);
  stop_id = g_cancellable_connect (s->w->stop, G_CALLBACK (stop_attempt),
      a->cancel, NULL);
  c->cancellable = a->cancel;
  if (fetch_inputs (a, c, json_object_get_array_member (claim, "inputs"),
          &err))
    status = run_process (a, &err);
  g_mutex_lock (&a->lock);
  lost = a->lost;
  stopped = a->stopped || g_cancellable_is_cancelled (s->w->stop);
  g_mutex_unlock (&a->lock);
  if (lost)
    say ("job %s, attempt %d: its result is dropped", a->id, a->attempt);
  else if (stopped)
    release (a, c);
  else if (status < 0)
    finish_failed (a, c, err ? err->message : "the job could not start");
  else
    deliver (a, c, status);
  g_cancellable_disconnect (s->w->stop, stop_id);
  g_mutex_lock (&a->lock);
  a->over = TRUE;
  g_cond_signal (&a->cond);
  g_mutex_unlock (&a->lock);
  g_thread_join (keeper);
  c->cancellable = s->w->stop;
  g_clear_error (&err);
  if (!cc_job_dir_remove_tree (a->dir, &err))
    say ("%s", err->message);
}

/* ------------------------------------------------------------------ */
/* The slots.                                                           */

/* Asks for a job: its claim, or NULL (none came: @error unset). */
static JsonObject *
claim (Slot * s, CcClient * c, GError ** error)
{
  g_autoptr (JsonObject) body = json_object_new ();
  g_autoptr (JsonNode) reply = NULL;

  json_object_set_string_member (body, "worker", s->name);
  json_object_set_int_member (body, "wait", CLAIM_WAIT_S);
  if (!post (c, "/api/worker/claim", body, &reply, error) || reply == NULL)
    return NULL;                /* 204: none came */
  if (!JSON_NODE_HOLDS_OBJECT (reply)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the server's claim is not a JSON object");
    return NULL;
  }
  return json_object_ref (json_node_get_object (reply));
}

static gboolean
slot_ended (gpointer data)
{
  Worker *w = data;

  if (g_atomic_int_dec_and_test (&w->slots_alive))
    g_main_loop_quit (w->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
slot_thread (gpointer data)
{
  Slot *s = data;
  Worker *w = s->w;
  CcClient c;
  guint failures = 0;

  cc_client_init (&c, w->args->server, w->args->token);
  c.quiet = TRUE;
  c.cancellable = w->stop;
  g_object_set (c.session, "timeout", SESSION_TIMEOUT_S, NULL);
  while (!g_cancellable_is_cancelled (w->stop)) {
    g_autoptr (GError) err = NULL;
    g_autoptr (JsonObject) job = claim (s, &c, &err);

    if (job) {
      failures = 0;
      run_attempt (s, &c, job);
      continue;
    }
    if (err == NULL) {
      failures = 0;             /* none came: ask again */
      continue;
    }
    if (g_cancellable_is_cancelled (w->stop))
      break;
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED) ||
        g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
      g_autofree gchar *m = g_strdup_printf ("the server refused this "
          "worker: %s (a worker needs the token of a user in the worker "
          "role, and a server with the worker API)", err->message);

      fail (w, m);
      break;
    }
    if (failures++ == 0)
      say ("the server cannot be reached (%s); trying again", err->message);
    pause_us (w, backoff_us (failures));
  }
  cc_client_clear (&c);
  g_idle_add (slot_ended, w);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* The scratch folder.                                                  */

/* Removes what workers killed outright left under @root: the folders
 * whose lock nobody holds. */
static void
forget_dead (const gchar * root)
{
  g_autoptr (GDir) d = g_dir_open (root, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    g_autofree gchar *dir = g_build_filename (root, name, NULL);
    g_autofree gchar *lock = g_build_filename (dir, LOCK_NAME, NULL);
    g_autoptr (GError) err = NULL;
    gint fd = open (lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0)
      continue;                 /* not a worker's (the registry's cache) */
    if (flock (fd, LOCK_EX | LOCK_NB) == 0 &&
        !cc_job_dir_remove_tree (dir, &err))
      say ("%s", err->message);
    close (fd);
  }
}

/* Makes this worker's folder under the root, and locks it. */
static gboolean
make_home (Worker * w, GError ** error)
{
  g_autofree gchar *name = g_strdup_printf ("%s-%d", g_get_host_name (),
      (gint) getpid ());
  g_autofree gchar *lock = NULL;

  if (g_mkdir_with_parents (w->root, 0700) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s",
        w->root, g_strerror (errno));
    return FALSE;
  }
  forget_dead (w->root);
  w->home = g_build_filename (w->root, name, NULL);
  lock = g_build_filename (w->home, LOCK_NAME, NULL);
  if (!cc_job_dir_remove_tree (w->home, error))
    return FALSE;
  if (g_mkdir (w->home, 0700) != 0 ||
      (w->lock_fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
      flock (w->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s",
        w->home, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */

static gboolean
on_signal (gpointer data)
{
  Worker *w = data;

  g_cancellable_cancel (w->stop);
  return G_SOURCE_CONTINUE;
}

/* Everything the slots share, ready: FALSE with @error when the worker
 * cannot run jobs here. */
static gboolean
prepare (Worker * w, GError ** error)
{
  const WorkerArgs *a = w->args;

  w->exe = g_file_read_link ("/proc/self/exe", error);
  if (w->exe == NULL)
    return FALSE;
  cc_sandbox_probe (&w->sandbox);
  if (!a->no_sandbox && !w->sandbox.namespaces) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "jobs cannot "
        "run in a bubblewrap sandbox on this machine (%s); start the worker "
        "with --no-sandbox to run them without one", w->sandbox.detail);
    return FALSE;
  }
  w->root = a->scratch ? g_canonicalize_filename (a->scratch, NULL) :
      g_build_filename (g_get_tmp_dir (), "campuscut-worker", NULL);
  if (!make_home (w, error))
    return FALSE;
  w->registry = cc_child_prepare_registry (w->exe, w->root);
  w->threads = a->threads > 0 ? (guint) a->threads : a->jobs > 1 ?
      MAX (1, g_get_num_processors () / (guint) a->jobs) : 0;
  return TRUE;
}

static gint
run_worker (const WorkerArgs * a)
{
  Worker w = {.args = a,.lock_fd = -1 };
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) slots = g_ptr_array_new ();
  guint term, intr;

  if (!prepare (&w, &err)) {
    say ("error: %s", err->message);
    w.exit_code = 1;
    goto out;
  }
  signal (SIGPIPE, SIG_IGN);
  w.stop = g_cancellable_new ();
  w.loop = g_main_loop_new (NULL, FALSE);
  term = g_unix_signal_add (SIGTERM, on_signal, &w);
  intr = g_unix_signal_add (SIGINT, on_signal, &w);
  say ("%d slot(s) for %s%s", a->jobs, a->server, a->no_sandbox ?
      ", jobs without a sandbox (--no-sandbox)" : "");
  w.slots_alive = a->jobs;
  for (gint i = 0; i < a->jobs; i++) {
    Slot *s = g_new0 (Slot, 1);

    s->w = &w;
    s->name = g_strdup_printf ("%s:%d:%d", g_get_host_name (),
        (gint) getpid (), i + 1);
    s->thread = g_thread_new ("campuscut-slot", slot_thread, s);
    g_ptr_array_add (slots, s);
  }
  g_main_loop_run (w.loop);
  for (guint i = 0; i < slots->len; i++) {
    Slot *s = slots->pdata[i];

    g_thread_join (s->thread);
    g_free (s->name);
    g_free (s);
  }
  g_source_remove (term);
  g_source_remove (intr);

out:
  if (w.home && !cc_job_dir_remove_tree (w.home, &err))
    say ("%s", err->message);
  if (w.lock_fd >= 0)
    close (w.lock_fd);
  cc_sandbox_clear (&w.sandbox);
  g_clear_pointer (&w.loop, g_main_loop_unref);
  g_clear_object (&w.stop);
  g_free (w.exe);
  g_free (w.registry);
  g_free (w.root);
  g_free (w.home);
  return w.exit_code;
}

static const gchar *
check_args (WorkerArgs * a, gint argc)
{
  if (argc > 1)
    return _("worker takes no arguments, only options");
  if (a->server == NULL)
    a->server = g_strdup (g_getenv ("CAMPUSCUT_SERVER"));
  if (a->token == NULL)
    a->token = g_strdup (g_getenv ("CAMPUSCUT_TOKEN"));
  if (a->server == NULL || a->token == NULL)
    return _("worker needs --server URL and --token T (or CAMPUSCUT_SERVER "
        "and CAMPUSCUT_TOKEN)");
  if (!g_str_has_prefix (a->server, "http://") &&
      !g_str_has_prefix (a->server, "https://"))
    return _("--server takes an http:// or https:// URL");
  if (a->jobs < 1 || a->jobs > 64)
    return _("--jobs takes 1 to 64");
  if (a->threads < 0 || a->threads > 256)
    return _("--threads takes 0 to 256");
  return NULL;
}

/**
 * cc_worker_main:
 * @argv: (array length=argc): the arguments after `campuscut`, argv[0]
 *   being "worker"
 *
 * Returns: the exit code
 */
gint
cc_worker_main (gint argc, gchar ** argv)
{
  WorkerArgs a = {.jobs = 1 };
  GOptionEntry entries[] = {
    {"server", 's', 0, G_OPTION_ARG_STRING, &a.server,
        N_("The server's URL (or CAMPUSCUT_SERVER)"), "URL"},
    {"token", 't', 0, G_OPTION_ARG_STRING, &a.token,
        N_("The token of a user in the worker role (or CAMPUSCUT_TOKEN)"),
        "TOKEN"},
    {"jobs", 'j', 0, G_OPTION_ARG_INT, &a.jobs,
        N_("Jobs to run at once (default 1)"), "N"},
    {"threads", 0, 0, G_OPTION_ARG_INT, &a.threads,
        N_("Each job's --threads (default: the cores shared among the "
          "jobs)"), "N"},
    {"scratch", 0, 0, G_OPTION_ARG_FILENAME, &a.scratch,
        N_("Folder for the attempts' inputs and outputs, emptied after each "
          "(default $TMPDIR/campuscut-worker)"), "DIR"},
    {"no-sandbox", 0, 0, G_OPTION_ARG_NONE, &a.no_sandbox,
        N_("Run jobs without bubblewrap (only where it cannot work; each "
          "job can then read what the worker can)"), NULL},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_autoptr (GError) err = NULL;
  const gchar *problem;
  gint ret = 2;

  g_set_prgname ("campuscut worker");
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("campuscut worker: run a campuscut "
          "server's jobs on this machine."));
  g_option_context_set_description (ctx, _("Exit codes: 0 stopped by "
          "SIGTERM or SIGINT (the running jobs given back), 1 failed (the "
          "token refused, no sandbox), 2 usage."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    problem = err->message;
  else
    problem = check_args (&a, argc);
  if (problem)
    fprintf (stderr, "campuscut: %s\n", problem);
  else
    ret = run_worker (&a);
  g_free (a.server);
  g_free (a.token);
  g_free (a.scratch);
  return ret;
}
