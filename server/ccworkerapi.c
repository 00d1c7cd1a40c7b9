/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccworkerapi: jobs run by `campuscut worker` on other machines, which
 * need only HTTP to this server (no database, no shared folder). Every
 * route takes the token of a user in the worker role, and only that.
 *
 *   POST /api/worker/claim             {"worker": NAME, "wait": S}: a job
 *                                      and its lease (200), or none came
 *                                      within S seconds (204)
 *   POST /api/worker/jobs/ID/renew     {"attempt", "owner", "progress",
 *                                      "phase"}: the lease again (200);
 *                                      409 when it was lost
 *   GET  /api/worker/jobs/ID/inputs/KIND?attempt=N&owner=O
 *                                      video, captions or logo, with
 *                                      Range; its ETag is its SHA-256
 *   POST /api/worker/jobs/ID/finish    how the attempt ended and its
 *                                      outputs, each an upload of kind
 *                                      output with its SHA-256
 *   POST /api/worker/jobs/ID/release   given back unfinished (a worker
 *                                      that stops), the attempt not
 *                                      counted but every third time
 *
 * A claim is the runner's: one short UPDATE that gives the job to
 * "worker/USER-ID/NAME" under a lease of --lease-seconds (the runner's
 * own length), which the worker renews every third of it while its
 * process runs. A job a run of the server's own still holds (its lease
 * was taken back and the job queued again, the run not gone yet) is
 * given back, as the runner gives it back: one run per job. No transaction
 * stays open meanwhile. A worker that stops renewing loses the job when
 * the lease ends: the runner's sweep queues it again (failed after its
 * third attempt), and the next claim takes it. Every later call of the
 * worker's on it is fenced by attempt and owner, and refused with 409.
 *
 * A claim with nothing queued is held open (up to MAX_WAIT_S) and
 * answered as soon as a job is queued or given back here (the runner's
 * wake) or on another server sharing the database (PostgreSQL's
 * notification, through the runner's wake too), or within a second when
 * one becomes due otherwise (a retry's delay ended; every --queue-poll,
 * 5 s, while the notifications come).
 *
 * The outputs come through the uploads (cctus.c), which hash them as they
 * arrive. At the finish the server checks each against the SHA-256 the
 * worker computed, renews the lease once more (the fence: the lease holds
 * while the files move), links them into the attempt's folder and makes
 * that out/ as the runner does (ccjobdir.c), then records the end fenced
 * by attempt and owner, and only then removes the uploads. As with the
 * runner's runs, the outputs are kept only right after a renewal that
 * succeeded, and preparing the attempt's folder never removes a later
 * attempt's, which another server may be running. A failure of the
 * store's is a 500 that leaves the uploads as they were: the worker's
 * finish, tried again, does it all again. A late finish moves nothing:
 * its uploads are dropped.
 *
 * Output uploads that were never finished (a worker died while sending
 * them) are removed after a day.
 *
 * A platform cut made again ("remake": "platform") runs whole on a worker,
 * its full cut made anew beside the new platform cut: a worker has none of
 * the job's earlier outputs to start from.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "campuscut-serve"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "ccauth.h"
#include "cchttp.h"
#include "ccjobdir.h"
#include "ccjobs.h"
#include "ccjobspec.h"
#include "ccrange.h"
#include "ccrunner.h"
#include "ccsecret.h"
#include "cctus.h"
#include "ccworkerapi.h"

#define PREFIX "/api/worker"
/* a held claim ends before a proxy's or the client's usual timeouts */
#define MAX_WAIT_S 25
#define POLL_MS 1000
#define WORKER_NAME_MAX 128
/* the name a worker's attempt log is sent back under */
#define LOG_OUTPUT "log"
/* outputs never finished (their worker died while sending them) go after
 * a day, looked for at start and every hour */
#define OUTPUT_MAX_AGE_S (24 * 3600)
#define PURGE_S 3600

struct _CcWorkerApi
{
  CcServer *server;
  GQueue waiters;               /* Waiter, the longest waiting first */
  GHashTable *live;             /* job id -> Live: workers' jobs here */
  guint wake_id;
  guint poll_id;
  gint64 polled_us;             /* the last time the held claims looked */
  guint purge_id;
};

/* A claim held open until a job comes or its time is up. */
typedef struct
{
  CcWorkerApi *api;
  SoupServerMessage *msg;
  gchar *owner;
  guint timeout_id;
} Waiter;

/* What a worker last said of a job it runs, for the API's job view. */
typedef struct
{
  gint attempt;
  gdouble progress;
  gchar *phase;
} Live;

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
live_free (gpointer data)
{
  Live *live = data;

  g_free (live->phase);
  g_free (live);
}

static void
internal_error (SoupServerMessage * msg, const GError * err)
{
  cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "%s",
      err->message);
}

static void
lease_lost (SoupServerMessage * msg, const gchar * id)
{
  cc_http_error (msg, SOUP_STATUS_CONFLICT, "lease_lost", "job %s is no "
      "longer this worker's (its lease ended, it was cancelled, or another "
      "attempt replaced this one)", id);
}

/* "worker/USER-ID/": the owners of one worker user's leases begin so. */
static gchar *
owner_prefix (const CcAuth * auth)
{
  return g_strdup_printf (CC_WORKER_OWNER_PREFIX "%" G_GINT64_FORMAT "/",
      auth->user->id);
}

static gboolean
owner_is_users (const CcAuth * auth, const gchar * owner)
{
  g_autofree gchar *prefix = owner_prefix (auth);

  return g_str_has_prefix (owner, prefix);
}

/* A worker's name for itself: what its leases show (host:pid:slot). */
static gboolean
worker_name_valid (const gchar * name)
{
  gsize len = strlen (name);

  if (len == 0 || len > WORKER_NAME_MAX)
    return FALSE;
  for (gsize i = 0; i < len; i++) {
    if (!g_ascii_isalnum (name[i]) && !strchr ("._:-", name[i]))
      return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Claims.                                                              */

static JsonObject *
input_json (const CcJobRecord * job, const CcUpload * upload,
    const gchar * owner)
{
  JsonObject *o = json_object_new ();
  const gchar *kind = cc_upload_kind_to_string (upload->kind);
  g_autofree gchar *escaped = g_uri_escape_string (owner, NULL, FALSE);
  g_autofree gchar *location = g_strdup_printf (PREFIX "/jobs/%s/inputs/%s"
      "?attempt=%d&owner=%s", job->id, kind, job->attempt, escaped);

  json_object_set_string_member (o, "kind", kind);
  json_object_set_string_member (o, "filename", upload->filename);
  json_object_set_int_member (o, "length", upload->length);
  json_object_set_string_member (o, "sha256", upload->sha256);
  json_object_set_string_member (o, "location", location);
  return o;
}

/* What a worker needs to run the attempt it claimed. */
static JsonObject *
claim_json (CcWorkerApi * api, const CcJobRecord * job, GError ** error)
{
  CcServer *server = api->server;
  const gchar *ids[] = { job->video, job->captions, job->logo };
  g_autoptr (JsonObject) o = json_object_new ();
  g_autofree gchar *options = NULL, *problem = NULL;
  JsonArray *inputs = json_array_new ();

  json_object_set_array_member (o, "inputs", inputs);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++) {
    g_autoptr (CcUpload) u = NULL;

    if (ids[i] == NULL)
      continue;
    u = cc_store_upload_get (server->store, ids[i], error);
    if (u == NULL)
      return NULL;
    json_array_add_object_element (inputs, input_json (job, u,
            job->lease_owner));
  }
  /* a platform cut made again runs whole there (see the top) */
  options = cc_job_spec_remakes_platform (job->options) ?
      cc_job_spec_with_platform_cut (job->options, NULL, &problem) :
      g_strdup (job->options);
  if (options == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s", problem);
    return NULL;
  }
  json_object_set_string_member (o, "id", job->id);
  json_object_set_int_member (o, "attempt", job->attempt);
  json_object_set_string_member (o, "owner", job->lease_owner);
  json_object_set_int_member (o, "lease_seconds", server->options.lease_s);
  json_object_set_member (o, "options", cc_jobs_parse_stored (options));
  json_object_set_double_member (o, "max_time_s",
      server->options.job_max_time_s);
  json_object_set_int_member (o, "max_output_mb",
      server->options.job_max_output_mb);
  return g_steal_pointer (&o);
}

/* A claimed job that cannot be handed out (an input gone): failed, and
 * tried again later, as the runner does with one that cannot start. */
static void
claim_unusable (CcWorkerApi * api, const CcJobRecord * job,
    const GError * why)
{
  CcServer *server = api->server;
  g_autofree gchar *reason = g_strdup_printf ("the job could not start: %s",
      why->message);
  CcJobEnd end = {
    .state = CC_JOB_FAILED,
    .exit_code = -1,
    .reason = reason,
    .outputs = "[]",
    .retry = TRUE,
    .retry_at = now_s () + (gint64) (server->options.retry_delay_s *
        job->attempt),
  };
  g_autoptr (GError) err = NULL;

  g_warning ("job %s: %s", job->id, reason);
  if (!cc_store_job_finish (server->store, job->id, job->attempt,
          job->lease_owner, &end, now_s (), &err))
    g_warning ("job %s: %s", job->id, err->message);
  cc_jobs_publish_state (server, job->id);
}

/* Claims the next job for @owner: its claim's JSON, or NULL (none, or
 * the store failed: @error set). */
static JsonObject *
claim (CcWorkerApi * api, const gchar * owner, GError ** error)
{
  CcServer *server = api->server;

  while (TRUE) {
    g_autoptr (CcJobRecord) job = NULL;
    g_autoptr (GError) err = NULL;
    JsonObject *o;
    Live *live;

    job = cc_store_job_claim (server->store, owner, now_s (), now_s () +
        server->options.lease_s, error);
    if (job == NULL)
      return NULL;
    /* a run of this server's own still holds it (its lease taken back):
     * given back until that run is gone, never run twice at once */
    if (cc_runner_give_back (server->runner, job))
      return NULL;
    o = claim_json (api, job, &err);
    if (o == NULL) {
      claim_unusable (api, job, err);
      continue;
    }
    live = g_new0 (Live, 1);
    live->attempt = job->attempt;
    g_hash_table_replace (api->live, g_strdup (job->id), live);
    cc_jobs_publish_state (server, job->id);
    return o;
  }
}

/* A claim answered with a job, until its answer is written. */
typedef struct
{
  CcServer *server;
  gchar *id;
  gint attempt;
  gchar *owner;
  gboolean written;
} Delivery;

static void
delivery_wrote (SoupServerMessage * msg, Delivery * d)
{
  d->written = TRUE;
}

/* A claim's answer went nowhere: what was noted of its attempt goes. */
static void
live_forget (CcWorkerApi * api, const gchar * id, gint attempt)
{
  Live *live = api ? g_hash_table_lookup (api->live, id) : NULL;

  if (live && live->attempt == attempt)
    g_hash_table_remove (api->live, id);
}

/* The answer went nowhere (the worker gave up waiting as the job came):
 * the job goes back to the queue at once, its attempt not counted,
 * instead of waiting a lease for a worker that never had it. */
static void
delivery_end (SoupServerMessage * msg, Delivery * d)
{
  g_autoptr (GError) err = NULL;

  g_signal_handlers_disconnect_by_data (msg, d);
  if (!d->written) {
    live_forget (d->server->workers, d->id, d->attempt);
    if (cc_store_job_release (d->server->store, d->id, d->attempt,
            d->owner, NULL, now_s (), &err)) {
      cc_jobs_publish_state (d->server, d->id);
      cc_runner_wake (d->server->runner);
    } else {
      g_debug ("job %s: %s", d->id, err->message);
    }
  }
  g_free (d->id);
  g_free (d->owner);
  g_free (d);
}

/* Answers a claim with its job, given back if the answer is not
 * written. */
static void
reply_claim (CcWorkerApi * api, SoupServerMessage * msg, JsonObject * o)
{
  Delivery *d = g_new0 (Delivery, 1);

  d->server = api->server;
  d->id = g_strdup (json_object_get_string_member (o, "id"));
  d->attempt = (gint) json_object_get_int_member (o, "attempt");
  d->owner = g_strdup (json_object_get_string_member (o, "owner"));
  g_signal_connect (msg, "wrote-body", G_CALLBACK (delivery_wrote), d);
  g_signal_connect (msg, "finished", G_CALLBACK (delivery_end), d);
  g_signal_connect (msg, "disconnected", G_CALLBACK (delivery_end), d);
  cc_http_reply_object (msg, SOUP_STATUS_OK, o);
}

static void
waiter_disconnected (SoupServerMessage * msg, Waiter * w);

/* Whether a held claim's worker went: its connection closed, or readable
 * (a worker waiting for the answer sends nothing more), though libsoup
 * may not have noticed yet. */
static gboolean
waiter_gone (Waiter * w)
{
  GSocket *socket = soup_server_message_get_socket (w->msg);

  return socket == NULL || g_socket_condition_check (socket, G_IO_IN |
      G_IO_HUP | G_IO_ERR) != 0;
}

/* Answers a held claim (with @reply, or 204) and forgets it. */
static void
waiter_answer (Waiter * w, JsonObject * reply)
{
  CcWorkerApi *api = w->api;

  g_queue_remove (&api->waiters, w);
  g_clear_handle_id (&w->timeout_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (w->msg, w);
  if (reply)
    reply_claim (api, w->msg, reply);
  else
    soup_server_message_set_status (w->msg, SOUP_STATUS_NO_CONTENT, NULL);
  cc_watchdog_release (api->server->watchdog, w->msg);
  soup_server_message_unpause (w->msg);
  g_object_unref (w->msg);
  g_free (w->owner);
  g_free (w);
  if (g_queue_is_empty (&api->waiters))
    g_clear_handle_id (&api->poll_id, g_source_remove);
}

/* The worker went before its claim was answered: nothing was claimed for
 * it. */
static void
waiter_disconnected (SoupServerMessage * msg, Waiter * w)
{
  CcWorkerApi *api = w->api;

  g_queue_remove (&api->waiters, w);
  g_clear_handle_id (&w->timeout_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (w->msg, w);
  cc_watchdog_release (api->server->watchdog, w->msg);
  g_object_unref (w->msg);
  g_free (w->owner);
  g_free (w);
  if (g_queue_is_empty (&api->waiters))
    g_clear_handle_id (&api->poll_id, g_source_remove);
}

static gboolean
waiter_timeout (gpointer data)
{
  Waiter *w = data;

  w->timeout_id = 0;
  waiter_answer (w, NULL);
  return G_SOURCE_REMOVE;
}

/* Hands queued jobs to the held claims, the longest waiting first, until
 * none is left. */
static void
serve_waiters (CcWorkerApi * api)
{
  while (!g_queue_is_empty (&api->waiters)) {
    Waiter *w = g_queue_peek_head (&api->waiters);
    g_autoptr (GError) err = NULL;
    g_autoptr (JsonObject) o = NULL;

    /* gone, and not told yet: a job claimed for it would wait a lease.
     * Answered all the same (204), so that libsoup ends the paused message
     * and closes its connection: forgotten, it would hold both until the
     * server stops. */
    if (waiter_gone (w)) {
      waiter_answer (w, NULL);
      continue;
    }
    o = claim (api, w->owner, &err);
    if (o == NULL) {
      if (err)
        g_warning ("claiming a job for a worker: %s", err->message);
      return;
    }
    waiter_answer (w, o);
  }
}

static gboolean
wake_cb (gpointer data)
{
  CcWorkerApi *api = data;

  api->wake_id = 0;
  serve_waiters (api);
  return G_SOURCE_REMOVE;
}

static gboolean
poll_cb (gpointer data)
{
  CcWorkerApi *api = data;
  gint64 now = g_get_monotonic_time ();

  if (!cc_store_queue_watched (api->server->store) ||
      now - api->polled_us >= api->server->options.queue_poll_us) {
    api->polled_us = now;
    serve_waiters (api);
  }
  return G_SOURCE_CONTINUE;
}

static void
hold (CcWorkerApi * api, SoupServerMessage * msg, const gchar * owner,
    gdouble wait_s)
{
  Waiter *w = g_new0 (Waiter, 1);

  w->api = api;
  w->msg = g_object_ref (msg);
  w->owner = g_strdup (owner);
  w->timeout_id = g_timeout_add ((guint) (wait_s * 1000), waiter_timeout, w);
  g_signal_connect (msg, "disconnected", G_CALLBACK (waiter_disconnected),
      w);
  g_queue_push_tail (&api->waiters, w);
  soup_server_message_pause (msg);
  cc_watchdog_hold (api->server->watchdog, msg);
  if (api->poll_id == 0)
    api->poll_id = g_timeout_add (POLL_MS, poll_cb, api);
}

/* POST /api/worker/claim */
static void
route_claim (CcWorkerApi * api, SoupServerMessage * msg, const CcAuth * auth)
{
  static const CcJsonField fields[] = {
    {"worker", G_TYPE_STRING, TRUE},
    {"wait", G_TYPE_DOUBLE, FALSE},
  };
  g_autoptr (JsonObject) body = cc_http_json_body (msg, fields,
      G_N_ELEMENTS (fields));
  g_autoptr (JsonObject) o = NULL;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *prefix = NULL, *owner = NULL;
  const gchar *name;
  gdouble wait_s;

  if (body == NULL)
    return;
  name = json_object_get_string_member (body, "worker");
  wait_s = json_object_get_double_member_with_default (body, "wait", 0);
  if (!worker_name_valid (name) || !(wait_s >= 0 && wait_s <= MAX_WAIT_S)) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", "worker is "
        "1 to %d letters, digits and ._:- ; wait 0 to %d seconds",
        WORKER_NAME_MAX, MAX_WAIT_S);
    return;
  }
  prefix = owner_prefix (auth);
  owner = g_strconcat (prefix, name, NULL);
  o = claim (api, owner, &err);
  if (o)
    reply_claim (api, msg, o);
  else if (err)
    internal_error (msg, err);
  else if (wait_s > 0)
    hold (api, msg, owner, wait_s);
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* ------------------------------------------------------------------ */
/* A claimed job.                                                       */

static const CcJsonField lease_fields[] = {
  {"attempt", G_TYPE_INT64, TRUE},
  {"owner", G_TYPE_STRING, TRUE},
};

/* Whether the worker still holds the job's lease, as the store says now;
 * answers 409 (*lost set), 404 or 500 if not. */
static CcJobRecord *
held_job (CcWorkerApi * api, SoupServerMessage * msg, const CcAuth * auth,
    const gchar * id, gint64 attempt, const gchar * owner, gboolean * lost)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (CcJobRecord) job = NULL;

  *lost = FALSE;
  if (cc_secret_id_valid (id))
    job = cc_store_job_get (api->server->store, id, &err);
  if (job == NULL && err && !g_error_matches (err, G_IO_ERROR,
          G_IO_ERROR_NOT_FOUND)) {
    internal_error (msg, err);
    return NULL;
  }
  if (job == NULL) {
    cc_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "no such job");
    return NULL;
  }
  if (job->state != CC_JOB_RUNNING || job->attempt != attempt ||
      g_strcmp0 (job->lease_owner, owner) != 0 ||
      !owner_is_users (auth, owner)) {
    *lost = TRUE;
    lease_lost (msg, id);
    return NULL;
  }
  return g_steal_pointer (&job);
}

/**
 * cc_worker_api_holds:
 *
 * Whether @auth's worker holds job @id's attempt @attempt under @owner, as
 * the store says now: the outputs of an attempt are sent only while it
 * holds (cctus.c). Answers @msg (409, 404, 500) if it does not.
 */
gboolean
cc_worker_api_holds (CcWorkerApi * api, SoupServerMessage * msg,
    const CcAuth * auth, const gchar * id, gint attempt, const gchar * owner)
{
  g_autoptr (CcJobRecord) job = NULL;
  gboolean lost;

  job = held_job (api, msg, auth, id, attempt, owner, &lost);
  return job != NULL;
}

/* Renews the lease of (@id, @attempt, @owner): FALSE once @msg is
 * answered (409 when it was lost: *lost set; 500). */
static gboolean
renew (CcWorkerApi * api, SoupServerMessage * msg, const CcAuth * auth,
    const gchar * id, gint64 attempt, const gchar * owner, gdouble progress,
    gboolean * lost)
{
  g_autoptr (GError) err = NULL;

  *lost = FALSE;
  if (owner_is_users (auth, owner) &&
      cc_store_job_renew (api->server->store, id, (gint) attempt, owner,
          now_s (), now_s () + api->server->options.lease_s, progress, &err))
    return TRUE;
  if (err && !g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
    internal_error (msg, err);
    return FALSE;
  }
  *lost = TRUE;
  g_hash_table_remove (api->live, id);
  lease_lost (msg, id);
  return FALSE;
}

static void
publish (CcWorkerApi * api, const gchar * id, gint64 attempt,
    const gchar * event, JsonObject * o)
{
  json_object_set_string_member (o, "job", id);
  json_object_set_int_member (o, "attempt", attempt);
  cc_events_publish (api->server->events, id, event, o, FALSE);
}

/* POST /api/worker/jobs/ID/renew: the lease, and the progress for the
 * job's event streams as a process here would give it. */
static void
route_renew (CcWorkerApi * api, SoupServerMessage * msg,
    const CcAuth * auth, const gchar * id)
{
  static const CcJsonField fields[] = {
    {"attempt", G_TYPE_INT64, TRUE},
    {"owner", G_TYPE_STRING, TRUE},
    {"progress", G_TYPE_DOUBLE, FALSE},
    {"phase", G_TYPE_STRING, FALSE},
  };
  g_autoptr (JsonObject) body = cc_http_json_body (msg, fields,
      G_N_ELEMENTS (fields));
  g_autoptr (JsonObject) reply = json_object_new ();
  g_autoptr (JsonObject) p = json_object_new ();
  gint64 attempt;
  gdouble progress;
  const gchar *phase;
  gboolean lost;
  Live *live;

  if (body == NULL)
    return;
  attempt = json_object_get_int_member (body, "attempt");
  progress = CLAMP (json_object_get_double_member_with_default (body,
          "progress", 0), 0.0, 1.0);
  phase = json_object_get_string_member_with_default (body, "phase", NULL);
  if (!renew (api, msg, auth, id, attempt, json_object_get_string_member
          (body, "owner"), progress, &lost))
    return;
  live = g_hash_table_lookup (api->live, id);
  if (live == NULL || live->attempt != attempt) {
    /* claimed through another server (PostgreSQL), or before a restart */
    live = g_new0 (Live, 1);
    live->attempt = (gint) attempt;
    g_hash_table_replace (api->live, g_strdup (id), live);
  }
  if (phase && g_strcmp0 (phase, live->phase) != 0) {
    g_autoptr (JsonObject) o = json_object_new ();

    g_free (live->phase);
    live->phase = g_strdup (phase);
    json_object_set_string_member (o, "phase", phase);
    publish (api, id, attempt, "phase", o);
  }
  if (progress != live->progress) {
    live->progress = progress;
    json_object_set_double_member (p, "percent", progress * 100);
    publish (api, id, attempt, "progress", p);
  }
  json_object_set_int_member (reply, "lease_seconds",
      api->server->options.lease_s);
  cc_http_reply_object (msg, SOUP_STATUS_OK, reply);
}

/* GET or HEAD /api/worker/jobs/ID/inputs/KIND?attempt=N&owner=O */
static void
route_input (CcWorkerApi * api, SoupServerMessage * msg,
    const CcAuth * auth, const gchar * id, const gchar * kind,
    GHashTable * query)
{
  const gchar *attempt_text = query ? g_hash_table_lookup (query,
      "attempt") : NULL;
  const gchar *owner = query ? g_hash_table_lookup (query, "owner") : NULL;
  g_autoptr (CcJobRecord) job = NULL;
  g_autoptr (CcUpload) upload = NULL;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *path = NULL, *etag = NULL;
  const gchar *upload_id = NULL;
  gint64 attempt;
  gboolean lost;

  if (owner == NULL || !cc_http_parse_size (attempt_text, &attempt)) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", "an input "
        "is fetched with ?attempt=N&owner=O, as the claim gave its location");
    return;
  }
  job = held_job (api, msg, auth, id, attempt, owner, &lost);
  if (job == NULL)
    return;
  if (strcmp (kind, "video") == 0)
    upload_id = job->video;
  else if (strcmp (kind, "captions") == 0)
    upload_id = job->captions;
  else if (strcmp (kind, "logo") == 0)
    upload_id = job->logo;
  if (upload_id)
    upload = cc_store_upload_get (api->server->store, upload_id, &err);
  if (upload == NULL) {
    cc_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
        "the job has no input '%s'", kind);
    return;
  }
  path = g_build_filename (api->server->uploads_dir, upload->id, NULL);
  etag = g_strdup_printf ("\"%s\"", upload->sha256);
  cc_range_serve_file (msg, path, "application/octet-stream", etag);
}

/* POST /api/worker/jobs/ID/release: a worker that stops gives the job
 * back; it is claimed again as if this attempt had not been, but every
 * third such release of a job counts (the store tallies them): a job that
 * gets its workers stopped (evicted) does not go round for ever. */
static void
route_release (CcWorkerApi * api, SoupServerMessage * msg,
    const CcAuth * auth, const gchar * id)
{
  g_autoptr (JsonObject) body = cc_http_json_body (msg, lease_fields,
      G_N_ELEMENTS (lease_fields));
  g_autoptr (GError) err = NULL;
  const gchar *owner;

  if (body == NULL)
    return;
  owner = json_object_get_string_member (body, "owner");
  if (!owner_is_users (auth, owner) || !cc_store_job_release
      (api->server->store, id, (gint) json_object_get_int_member (body,
              "attempt"), owner, "given back three times by workers that stopped "
          "while it ran (evicted for its use of disk or memory?)", now_s (),
          &err)) {
    if (err && !g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
      internal_error (msg, err);
    else
      lease_lost (msg, id);
    return;
  }
  g_hash_table_remove (api->live, id);
  cc_jobs_publish_state (api->server, id);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
  cc_runner_wake (api->server->runner);
}

/* ------------------------------------------------------------------ */
/* The finish.                                                          */

/* One output as the worker names it, checked against its upload. */
typedef struct
{
  gchar *name;
  CcUpload *upload;
} Output;

static void
output_free (gpointer data)
{
  Output *o = data;

  g_free (o->name);
  cc_upload_free (o->upload);
  g_free (o);
}

static gboolean
output_name_known (const gchar * name)
{
  if (strcmp (name, LOG_OUTPUT) == 0)
    return TRUE;
  for (guint i = 0; i < cc_job_n_outputs; i++) {
    if (strcmp (cc_job_outputs[i].name, name) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Removes a worker's output upload, record first: a crash between the
 * two leaves a file the uploads' start-up check removes. */
static void
drop_upload (CcWorkerApi * api, const CcUpload * upload)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *path = g_build_filename (api->server->uploads_dir,
      upload->id, NULL);

  if (!cc_store_upload_remove (api->server->store, upload->id, &err))
    g_warning ("upload %s: %s", upload->id, err->message);
  else if (g_unlink (path) != 0 && errno != ENOENT)
    g_warning ("%s: %s", path, g_strerror (errno));
}

/* The uploads the finish names that are this worker's outputs, each once,
 * for dropping whatever becomes of the finish. */
static GPtrArray *
named_uploads (CcWorkerApi * api, const CcAuth * auth, JsonArray * list)
{
  GPtrArray *uploads = g_ptr_array_new_with_free_func ((GDestroyNotify)
      cc_upload_free);

  for (guint i = 0; list && i < json_array_get_length (list); i++) {
    JsonObject *o = json_array_get_object_element (list, i);
    JsonNode *node = json_object_get_member (o, "upload");
    /* NULL when not a string: check_outputs() refuses it */
    const gchar *id = node && JSON_NODE_HOLDS_VALUE (node) &&
        json_node_get_value_type (node) == G_TYPE_STRING ?
        json_node_get_string (node) : NULL;
    CcUpload *u = NULL;

    for (guint j = 0; id && j < uploads->len; j++) {
      if (strcmp (((CcUpload *) uploads->pdata[j])->id, id) == 0)
        id = NULL;              /* named twice: check_outputs() refuses it */
    }
    if (cc_secret_id_valid (id))
      u = cc_store_upload_get (api->server->store, id, NULL);
    if (u && u->kind == CC_UPLOAD_OUTPUT && u->user_id == auth->user->id)
      g_ptr_array_add (uploads, u);
    else if (u)
      cc_upload_free (u);
  }
  return uploads;
}

/* Checks each named output: a known name once, this worker's complete
 * upload made for @job_id's @attempt (each once), the SHA-256 the worker
 * computed.
 * Answers 400 if one is not; 503
 * (*@pending set: nothing is to be dropped) if one has all its bytes but
 * is still being hashed, for the worker to try again. */
static GPtrArray *
check_outputs (CcWorkerApi * api, SoupServerMessage * msg,
    const gchar * job_id, gint attempt, JsonArray * list, GPtrArray * mine,
    gboolean * pending)
{
  static const CcJsonField fields[] = {
    {"name", G_TYPE_STRING, TRUE},
    {"upload", G_TYPE_STRING, TRUE},
    {"sha256", G_TYPE_STRING, TRUE},
  };
  g_autoptr (GPtrArray) outputs = g_ptr_array_new_with_free_func
      (output_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) used = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; list && i < json_array_get_length (list); i++) {
    JsonObject *o = json_array_get_object_element (list, i);
    const gchar *name, *id, *sha256;
    CcUpload *upload = NULL;
    Output *out;

    if (!cc_http_check_fields (msg, o, fields, G_N_ELEMENTS (fields),
            "outputs[]"))
      return NULL;
    name = json_object_get_string_member (o, "name");
    id = json_object_get_string_member (o, "upload");
    sha256 = json_object_get_string_member (o, "sha256");
    for (guint j = 0; j < mine->len && upload == NULL; j++) {
      if (strcmp (((CcUpload *) mine->pdata[j])->id, id) == 0)
        upload = mine->pdata[j];
    }
    if (!output_name_known (name) || !g_hash_table_add (seen,
            (gpointer) name)) {
      cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_output",
          "outputs: '%s' is not an output's name, or comes twice", name);
      return NULL;
    }
    if (upload && upload->completed_at == 0 &&
        cc_tus_completing (api->server->tus, upload->id)) {
      *pending = TRUE;
      soup_message_headers_replace (soup_server_message_get_response_headers
          (msg), "Retry-After", "2");
      cc_http_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "output_pending",
          "outputs: %s: its bytes are still being checked; try again", name);
      return NULL;
    }
    if (upload == NULL || upload->completed_at == 0) {
      cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_output",
          "outputs: %s: no such complete upload of this worker's", name);
      return NULL;
    }
    if (g_strcmp0 (upload->job_id, job_id) != 0 ||
        upload->attempt != attempt || !g_hash_table_add (used, upload->id)) {
      cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_output",
          "outputs: %s: the upload is not an output of this attempt, or "
          "is named twice", name);
      return NULL;
    }
    if (g_strcmp0 (upload->sha256, sha256) != 0) {
      cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "checksum_mismatch",
          "outputs: %s: the server received bytes whose SHA-256 is %s, "
          "not %s", name, upload->sha256, sha256);
      return NULL;
    }
    out = g_new0 (Output, 1);
    out->name = g_strdup (name);
    out->upload = cc_upload_copy (upload);
    g_ptr_array_add (outputs, out);
  }
  return g_steal_pointer (&outputs);
}

/* How the attempt ended, from what the worker says: its process's exit
 * status, judged as the runner judges one here, or a failure of the
 * worker's own (an input that would not download, an output that would
 * not upload). */
static void
judge (CcWorkerApi * api, JsonObject * body, gint attempt, CcJobEnd * end,
    gchar ** reason)
{
  const gchar *failure = json_object_get_string_member_with_default (body,
      "failure", NULL);

  if (failure) {
    end->state = CC_JOB_FAILED;
    end->exit_code = -1;
    end->retry = TRUE;
    end->retry_at = now_s () + (gint64) (api->server->options.retry_delay_s
        * attempt);
    end->reason = *reason = g_strdup_printf ("on the worker: %s", failure);
    return;
  }
  cc_runner_judge (api->server, attempt, (gint) CLAMP
      (json_object_get_int_member_with_default (body, "status", 1), 0, 255),
      json_object_get_string_member_with_default (body, "kill_reason", NULL),
      json_object_get_string_member_with_default (body, "message", NULL), end,
      reason);
}

/* Links the outputs into the attempt's folder (the log beside it), which
 * becomes out/ as a run here would; returns the outputs kept as the store
 * records them, hashed on arrival, or NULL. The uploads stay until the
 * end is recorded: a finish the store failed to record is tried again by
 * the worker, with the same uploads, and does it all again. */
static gchar *
take_outputs (CcWorkerApi * api, const gchar * id, gint attempt,
    GPtrArray * outputs, gboolean done, GError ** error)
{
  g_autofree gchar *dir = g_build_filename (api->server->jobs_dir, id, NULL);
  g_autofree gchar *run_dir = NULL, *out_dir = NULL;
  g_autoptr (JsonArray) kept = json_array_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  gint fd;

  run_dir = cc_job_dir_prepare (dir, attempt, FALSE, error);
  if (run_dir == NULL)
    return NULL;
  for (guint i = 0; i < outputs->len; i++) {
    Output *o = outputs->pdata[i];
    g_autofree gchar *from = g_build_filename (api->server->uploads_dir,
        o->upload->id, NULL);
    g_autofree gchar *log = g_strdup_printf ("attempt-%d.log", attempt);
    g_autofree gchar *to = strcmp (o->name, LOG_OUTPUT) == 0 ?
        g_build_filename (dir, log, NULL) :
        g_build_filename (run_dir, o->name, NULL);

    if ((g_unlink (to) != 0 && errno != ENOENT) || link (from, to) != 0) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
          "%s: %s", to, g_strerror (errno));
      return NULL;
    }
  }
  if (!cc_job_dir_keep (dir, run_dir, done, FALSE, error))
    return NULL;
  out_dir = g_build_filename (dir, "out", NULL);
  for (guint n = 0; n < cc_job_n_outputs; n++) {
    const gchar *name = cc_job_outputs[n].name;
    g_autofree gchar *path = g_build_filename (out_dir, name, NULL);

    if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
      continue;
    for (guint i = 0; i < outputs->len; i++) {
      Output *o = outputs->pdata[i];
      JsonObject *e;

      if (strcmp (o->name, name) != 0)
        continue;
      e = json_object_new ();
      json_object_set_string_member (e, "name", name);
      json_object_set_int_member (e, "size", o->upload->length);
      json_object_set_string_member (e, "sha256", o->upload->sha256);
      json_array_add_object_element (kept, e);
    }
  }
  /* the files were flushed as they arrived; the links are made durable */
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync (fd);
    close (fd);
  }
  json_node_set_array (node, kept);
  return json_to_string (node, FALSE);
}

static gboolean
purge_cb (gpointer data)
{
  CcWorkerApi *api = data;
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) uploads = cc_store_upload_list (api->server->store,
      0, FALSE, &err);

  if (uploads == NULL) {
    g_warning ("looking for workers' forgotten outputs: %s", err->message);
    return G_SOURCE_CONTINUE;
  }
  for (guint i = 0; i < uploads->len; i++) {
    CcUpload *u = uploads->pdata[i];

    if (u->kind == CC_UPLOAD_OUTPUT &&
        u->created_at < now_s () - OUTPUT_MAX_AGE_S)
      drop_upload (api, u);
  }
  return G_SOURCE_CONTINUE;
}

/* POST /api/worker/jobs/ID/finish */
static void
route_finish (CcWorkerApi * api, SoupServerMessage * msg,
    const CcAuth * auth, const gchar * id)
{
  static const CcJsonField fields[] = {
    {"attempt", G_TYPE_INT64, TRUE},
    {"owner", G_TYPE_STRING, TRUE},
    {"status", G_TYPE_INT64, FALSE},
    {"failure", G_TYPE_STRING, FALSE},
    {"message", G_TYPE_STRING, FALSE},
    {"kill_reason", G_TYPE_STRING, FALSE},
    {"outputs", CC_JSON_OBJECTS, FALSE},
  };
  CcServer *server = api->server;
  g_autoptr (JsonObject) body = cc_http_json_body (msg, fields,
      G_N_ELEMENTS (fields));
  g_autoptr (JsonObject) reply = json_object_new ();
  g_autoptr (GPtrArray) mine = NULL, outputs = NULL;
  g_autoptr (CcJobRecord) job = NULL, ended = NULL;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *reason = NULL, *kept = NULL;
  CcJobEnd end = { 0 };
  JsonArray *list;
  const gchar *owner;
  gboolean lost = FALSE, pending = FALSE;
  gint attempt;

  if (body == NULL)
    return;
  attempt = (gint) json_object_get_int_member (body, "attempt");
  owner = json_object_get_string_member (body, "owner");
  list = json_object_has_member (body, "outputs") ?
      json_object_get_array_member (body, "outputs") : NULL;
  mine = named_uploads (api, auth, list);
  /* a late finish first (409), then the outputs, then the fence: from
   * there the lease holds while the files move. Outputs refused, or late,
   * are dropped; after a failure of the server's own (500), or while one
   * is still being hashed (503), they stay for the worker's next try. */
  if ((job = held_job (api, msg, auth, id, attempt, owner, &lost)) == NULL ||
      (outputs = check_outputs (api, msg, id, attempt, list, mine,
              &pending)) == NULL || !renew (api, msg, auth, id, attempt,
          owner, job->progress, &lost)) {
    gboolean refused = job && outputs == NULL && !pending;

    for (guint i = 0; (refused || lost) && i < mine->len; i++)
      drop_upload (api, mine->pdata[i]);
    return;
  }
  judge (api, body, attempt, &end, &reason);
  kept = take_outputs (api, id, attempt, outputs, end.state == CC_JOB_DONE,
      &err);
  if (kept == NULL) {
    g_warning ("job %s: %s", id, err->message);
    end.state = CC_JOB_FAILED;
    end.exit_code = -1;
    end.retry = TRUE;
    end.retry_at = now_s () + (gint64) (server->options.retry_delay_s *
        attempt);
    g_free (reason);
    end.reason = reason = g_strdup_printf ("the outputs could not be kept: "
        "%s", err->message);
    kept = g_strdup ("[]");
    g_clear_error (&err);
  }
  end.outputs = kept;
  if (!cc_store_job_finish (server->store, id, attempt, owner, &end,
          now_s (), &err)) {
    lost = g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    if (lost) {
      live_forget (api, id, attempt);
      lease_lost (msg, id);     /* cancelled while the files moved */
    }
    else
      internal_error (msg, err);        /* the uploads stay for a retry */
    for (guint i = 0; lost && i < mine->len; i++)
      drop_upload (api, mine->pdata[i]);
    return;
  }
  /* recorded: the uploads' files live on in the job's folder alone */
  for (guint i = 0; i < mine->len; i++)
    drop_upload (api, mine->pdata[i]);
  g_hash_table_remove (api->live, id);
  cc_jobs_publish_state (server, id);
  cc_runner_wake (server->runner);
  ended = cc_store_job_get (server->store, id, &err);
  json_object_set_string_member (reply, "state", ended ?
      cc_job_state_to_string (ended->state) : NULL);
  cc_http_reply_object (msg, SOUP_STATUS_OK, reply);
}

/* ------------------------------------------------------------------ */
/* Dispatch.                                                            */

static void
route_worker (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  CcServer *server = data;
  CcWorkerApi *api = server->workers;
  const gchar *method = soup_server_message_get_method (msg);
  const gchar *rest = path + strlen (PREFIX);
  g_autoptr (CcAuth) auth = NULL;
  g_auto (GStrv) parts = NULL;
  guint n;

  if (!g_str_has_prefix (path, PREFIX "/") || api == NULL) {
    cc_http_not_found (msg);
    return;
  }
  parts = g_strsplit (rest + 1, "/", 5);
  n = g_strv_length (parts);
  if (!(n == 1 && strcmp (parts[0], "claim") == 0) &&
      !(n == 3 && strcmp (parts[0], "jobs") == 0 &&
          (strcmp (parts[2], "renew") == 0 ||
              strcmp (parts[2], "finish") == 0 ||
              strcmp (parts[2], "release") == 0)) &&
      !(n == 4 && strcmp (parts[0], "jobs") == 0 &&
          strcmp (parts[2], "inputs") == 0)) {
    cc_http_not_found (msg);
    return;
  }
  if (n == 4 ? method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD :
      method != SOUP_METHOD_POST) {
    cc_http_method_not_allowed (msg, n == 4 ? "GET, HEAD" : "POST");
    return;
  }
  auth = cc_auth_request_for (server, msg, CC_AUTH_WORKERS);
  if (auth == NULL)
    return;
  if (n == 1)
    route_claim (api, msg, auth);
  else if (n == 4)
    route_input (api, msg, auth, parts[1], parts[3], query);
  else if (strcmp (parts[2], "renew") == 0)
    route_renew (api, msg, auth, parts[1]);
  else if (strcmp (parts[2], "finish") == 0)
    route_finish (api, msg, auth, parts[1]);
  else
    route_release (api, msg, auth, parts[1]);
}

/* ------------------------------------------------------------------ */

/**
 * cc_worker_api_new:
 *
 * Adds the /api/worker routes to @server.
 */
CcWorkerApi *
cc_worker_api_new (CcServer * server)
{
  CcWorkerApi *api = g_new0 (CcWorkerApi, 1);

  api->server = server;
  g_queue_init (&api->waiters);
  api->polled_us = g_get_monotonic_time ();
  api->live = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      live_free);
  cc_server_add_route (server, PREFIX, route_worker);
  purge_cb (api);
  api->purge_id = g_timeout_add_seconds (PURGE_S, purge_cb, api);
  return api;
}

/* A job was queued or given back: the held claims try at once. */
void
cc_worker_api_wake (CcWorkerApi * api)
{
  if (api && api->wake_id == 0 && !g_queue_is_empty (&api->waiters))
    api->wake_id = g_idle_add (wake_cb, api);
}

/* How many workers' claims are held here, waiting for a job. */
guint
cc_worker_api_n_waiting (CcWorkerApi * api)
{
  return api ? g_queue_get_length (&api->waiters) : 0;
}

/* The progress and phase a worker last reported for @job's attempt;
 * FALSE when none did here. */
gboolean
cc_worker_api_live (CcWorkerApi * api, const CcJobRecord * job,
    gdouble * progress, const gchar ** phase)
{
  Live *live = api ? g_hash_table_lookup (api->live, job->id) : NULL;

  if (live && live->attempt != job->attempt) {
    g_hash_table_remove (api->live, job->id);   /* a lost attempt's */
    return FALSE;
  }
  if (live == NULL)
    return FALSE;
  *progress = live->progress;
  *phase = live->phase;
  return TRUE;
}

/* At the server's stop: the held claims are answered (nothing came). */
void
cc_worker_api_free (CcWorkerApi * api)
{
  if (api == NULL)
    return;
  while (!g_queue_is_empty (&api->waiters))
    waiter_answer (g_queue_peek_head (&api->waiters), NULL);
  g_clear_handle_id (&api->wake_id, g_source_remove);
  g_clear_handle_id (&api->poll_id, g_source_remove);
  g_clear_handle_id (&api->purge_id, g_source_remove);
  g_hash_table_unref (api->live);
  g_free (api);
}
