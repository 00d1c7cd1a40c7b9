/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccserver: the service's one object and its life: the data folder (the
 * database, uploads/ by id, a lock so that one server uses it at a time,
 * or several when they share a PostgreSQL database),
 * the sandbox check, the HTTP server and its routes, the main loop until
 * SIGTERM or SIGINT, and an orderly end in which every upload under way
 * records how far it got.
 *
 *   GET /api/health   version, database, sandbox, jobs (no token needed)
 *
 * The other routes are in ccauth.c (/api/login, /api/logout, /api/me),
 * cctus.c (/api/uploads), ccjobs.c (/api/jobs), ccreview.c (the
 * review, /api/review, /api/campaign), ccexport.c (/api/exports) and
 * ccworkerapi.c (/api/worker, for workers on other machines); the jobs
 * run in ccrunner.c, or on those workers. Everything else is ccpages.c's: the web pages,
 * and a JSON 404 for the rest of /api/.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "campuscut-serve"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <glib/gstdio.h>
#include <glib-unix.h>

#include "ccauth.h"
#include "cchttp.h"
#include "ccexport.h"
#include "ccjobdir.h"
#include "ccjobs.h"
#include "ccpages.h"
#include "ccreview.h"
#include "ccrunner.h"
#include "ccstore-pg.h"
#include "ccstore-sqlite.h"
#include "cctus.h"
#include "ccworkerapi.h"

#define DATABASE_NAME "campuscut.db"
#define LOCK_NAME "serve.lock"
/* How long a PostgreSQL server waits for one starting beside it to tidy
 * the data folder. */
#define LOCK_WAIT_US (30 * G_USEC_PER_SEC)

/**
 * cc_data_open_store:
 * @db_url: (nullable): a postgresql:// URL, or NULL for the SQLite
 *   database in @data_dir
 *
 * Opens (creating them if needed) the data folder and its database, with
 * its schema brought up to date. The commands that manage units and users
 * use this too, also while a server runs.
 */
CcStore *
cc_data_open_store (const gchar * data_dir, const gchar * db_url,
    GError ** error)
{
  g_autofree gchar *path = g_build_filename (data_dir, DATABASE_NAME, NULL);

  if (db_url)
    return cc_store_pg_open (db_url, error);
  if (g_mkdir_with_parents (data_dir, 0700) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "%s: %s", data_dir, g_strerror (errno));
    return NULL;
  }
  return cc_store_sqlite_open (path, error);
}

/* Waits, a bounded time, for a shared lock on the data folder. */
static gboolean
lock_shared (CcServer * self)
{
  gint64 end = g_get_monotonic_time () + LOCK_WAIT_US;

  while (flock (self->lock_fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK || g_get_monotonic_time () >= end)
      return FALSE;
    g_usleep (G_USEC_PER_SEC / 20);
  }
  return TRUE;
}

/* One server per data folder with SQLite: a second would fight over the
 * uploads and run the jobs the first one runs. With PostgreSQL the
 * database hands each job to one server, and several share the folder
 * (the lock is shared); a SQLite server still finds it in use. The one
 * that finds the folder free is alone in it, and may tidy up what a
 * stopped server left: it holds the lock exclusively until it has (see
 * cc_server_new), and a PostgreSQL server starting meanwhile waits for
 * it. The kernel drops the lock when the process dies, kill -9
 * included. */
static gboolean
lock_data_dir (CcServer * self, GError ** error)
{
  g_autofree gchar *path = g_build_filename (self->options.data_dir,
      LOCK_NAME, NULL);

  if (g_mkdir_with_parents (self->options.data_dir, 0700) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "%s: %s", self->options.data_dir, g_strerror (errno));
    return FALSE;
  }
  self->lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (self->lock_fd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "%s: %s", path, g_strerror (errno));
    return FALSE;
  }
  self->alone = flock (self->lock_fd, LOCK_EX | LOCK_NB) == 0;
  if (self->alone || (self->options.db_url && lock_shared (self)))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
      "%s is in use by another campuscut serve%s", self->options.data_dir,
      self->options.db_url ? " (one with SQLite, which shares it with none, "
      "or one that has been starting for 30 s)" : "");
  return FALSE;
}

/* A PostgreSQL server that tidied the folder alone shares it from now
 * on. The kernel converts a lock in two steps: another server may take
 * it exclusively in between, to tidy; nothing of this one's is there yet
 * (nothing runs, nothing listens), and it waits for that one. */
static gboolean
share_data_dir (CcServer * self, GError ** error)
{
  if (self->options.db_url == NULL || !self->alone || lock_shared (self))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
      "%s: the lock could not be shared: %s", self->options.data_dir,
      errno == EWOULDBLOCK ? "another campuscut serve holds it" :
      g_strerror (errno));
  return FALSE;
}

static JsonObject *
health_database (CcServer * self, gboolean * ok)
{
  JsonObject *o = json_object_new ();
  g_autoptr (GError) err = NULL;
  gint version = -1;
  /* before this call's own */
  gint64 statements = cc_store_statements (self->store);

  *ok = cc_store_ping (self->store, &err);
  if (*ok)
    version = cc_store_schema_version (self->store, &err);
  *ok = *ok && version > 0;
  json_object_set_boolean_member (o, "ok", *ok);
  json_object_set_string_member (o, "backend", cc_store_backend (self->store));
  json_object_set_int_member (o, "schema_version", version);
  if (statements >= 0)
    json_object_set_int_member (o, "statements", statements);
  if (self->options.db_url)
    json_object_set_boolean_member (o, "notifications",
        cc_store_queue_watched (self->store));
  if (err)
    json_object_set_string_member (o, "error", err->message);
  return o;
}

/* GET /api/health */
static void
route_health (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  CcServer *self = data;
  g_autoptr (JsonObject) reply = json_object_new ();
  JsonObject *sandbox = json_object_new ();
  gboolean db_ok;

  if (strcmp (path, "/api/health") != 0) {
    cc_http_not_found (msg);
    return;
  }
  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET) {
    cc_http_method_not_allowed (msg, "GET");
    return;
  }
  json_object_set_string_member (reply, "version", VERSION);
  json_object_set_object_member (reply, "database",
      health_database (self, &db_ok));
  json_object_set_boolean_member (sandbox, "bubblewrap",
      self->sandbox.bwrap != NULL);
  json_object_set_boolean_member (sandbox, "namespaces",
      self->sandbox.namespaces);
  json_object_set_string_member (sandbox, "detail", self->sandbox.detail);
  json_object_set_boolean_member (sandbox, "used", self->sandbox.namespaces
      && !self->options.no_sandbox);
  json_object_set_object_member (reply, "sandbox", sandbox);
  json_object_set_int_member (reply, "jobs", self->options.jobs);
  json_object_set_int_member (reply, "job_threads", self->options.job_threads);
  json_object_set_boolean_member (reply, "jobs_enabled",
      cc_server_runs_jobs (self));
  json_object_set_int_member (reply, "jobs_running",
      self->runner ? cc_runner_n_running (self->runner) : 0);
  json_object_set_int_member (reply, "workers_waiting",
      cc_worker_api_n_waiting (self->workers));
  json_object_set_int_member (reply, "event_streams",
      cc_events_n_streams (self->events));
  json_object_set_int_member (reply, "max_upload_size",
      self->options.max_upload);
  json_object_set_string_member (reply, "status", db_ok ? "ok" : "failing");
  cc_http_reply_object (msg, db_ok ? SOUP_STATUS_OK :
      SOUP_STATUS_SERVICE_UNAVAILABLE, reply);
}

/* libsoup before 3.3 never notices that a client closed a kept-alive
 * connection between two requests (GNOME/libsoup d20c6601): each one
 * would stay open in CLOSE_WAIT, a file descriptor lost per connection,
 * until the server could not open its database or start a job. There,
 * every answer ends its connection. */
static void
close_after_answer (SoupServer * soup, SoupServerMessage * msg,
    gpointer data)
{
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Connection", "close");
}

static void
limit_early (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  cc_http_limit_body (msg, CC_HTTP_JSON_LIMIT);
}

/* Adds a route whose requests carry at most a JSON body. */
void
cc_server_add_route (CcServer * self, const gchar * path,
    SoupServerCallback callback)
{
  soup_server_add_handler (self->soup, path, callback, self, NULL);
  soup_server_add_early_handler (self->soup, path, limit_early, NULL, NULL);
}

static gboolean
make_dir (const gchar * path, GError ** error)
{
  if (g_mkdir_with_parents (path, 0700) == 0)
    return TRUE;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s",
      path, g_strerror (errno));
  return FALSE;
}

static void
options_copy (CcServerOptions * dst, const CcServerOptions * src)
{
  *dst = *src;
  /* absolute: jobs' sandboxes bind paths in it, their processes run
   * elsewhere */
  dst->data_dir = g_canonicalize_filename (src->data_dir, NULL);
  dst->db_url = g_strdup (src->db_url);
  dst->listen = g_strdup (src->listen);
}

/**
 * cc_server_new:
 *
 * Takes the data folder, opens the store, checks the sandbox, makes the
 * uploads and their records agree, and sets up the routes. Nothing
 * listens yet.
 */
CcServer *
cc_server_new (const CcServerOptions * options, GError ** error)
{
  g_autoptr (CcServer) self = g_new0 (CcServer, 1);

  self->lock_fd = -1;
  options_copy (&self->options, options);
  self->uploads_dir = g_build_filename (self->options.data_dir, "uploads",
      NULL);
  self->jobs_dir = g_build_filename (self->options.data_dir, "jobs", NULL);
  self->tmp_dir = g_build_filename (self->options.data_dir, "tmp", NULL);
  self->exports_cancellable = g_cancellable_new ();
  if (!lock_data_dir (self, error))
    return NULL;
  self->store = cc_data_open_store (self->options.data_dir,
      self->options.db_url, error);
  if (self->store == NULL)
    return NULL;
  /* what a stopped server was exporting is of no use to anyone; another
   * one's exports are its own */
  if ((self->alone && !cc_job_dir_remove_tree (self->tmp_dir, error)) ||
      !make_dir (self->uploads_dir, error) ||
      !make_dir (self->jobs_dir, error) || !make_dir (self->tmp_dir, error))
    return NULL;
  cc_sandbox_probe (&self->sandbox);
  self->soup = soup_server_new ("server-header", "campuscut/" VERSION, NULL);
  if (soup_get_major_version () == 3 && soup_get_minor_version () < 3)
    g_signal_connect (self->soup, "request-started",
        G_CALLBACK (close_after_answer), NULL);
  self->watchdog = cc_watchdog_new (self->soup, options->idle_timeout_ms);
  /* an event stream's heartbeats are what keeps it from being idle */
  self->events = cc_events_new (MIN (options->heartbeat_ms,
          options->idle_timeout_ms / 2));
  cc_pages_add_routes (self);
  cc_server_add_route (self, "/api/health", route_health);
  cc_auth_add_routes (self);
  cc_jobs_add_routes (self);
  cc_review_add_routes (self);
  cc_export_add_routes (self);
  self->tus = cc_tus_new (self, error);
  if (self->tus == NULL)
    return NULL;
  self->workers = cc_worker_api_new (self);
  self->runner = cc_runner_new (self, error);
  if (self->runner == NULL || !share_data_dir (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

static GSocketAddress *
parse_listen (const gchar * listen, GError ** error)
{
  const gchar *colon = strrchr (listen, ':');
  g_autofree gchar *host = colon ? g_strndup (listen, colon - listen) : NULL;
  g_autoptr (GInetAddress) addr = NULL;
  gint64 port = -1;

  if (host && host[0] == '[' && g_str_has_suffix (host, "]")) {
    memmove (host, host + 1, strlen (host) - 2);
    host[strlen (host) - 2] = '\0';
  }
  if (host)
    addr = g_strcmp0 (host, "localhost") == 0 ?
        g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4) :
        g_inet_address_new_from_string (host);
  if (addr == NULL || !cc_http_parse_size (colon + 1, &port) || port > 65535) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8080 or [::1]:8080, "
        "not '%s'", listen);
    return NULL;
  }
  return g_inet_socket_address_new (addr, (guint16) port);
}

/* Listens where the options say; the URL then has the port bound. */
gboolean
cc_server_listen (CcServer * self, GError ** error)
{
  g_autoptr (GSocketAddress) want = parse_listen (self->options.listen,
      error);
  g_autoptr (GSocketAddress) got = NULL;
  g_autofree gchar *host = NULL;
  GSList *listeners;
  GInetAddress *addr;

  if (want == NULL || !soup_server_listen (self->soup, want, 0, error))
    return FALSE;
  listeners = soup_server_get_listeners (self->soup);
  got = g_socket_get_local_address (listeners->data, error);
  g_slist_free (listeners);
  if (got == NULL)
    return FALSE;
  addr = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (got));
  host = g_inet_address_to_string (addr);
  self->url = g_strdup_printf (g_inet_address_get_family (addr) ==
      G_SOCKET_FAMILY_IPV6 ? "http://[%s]:%u/" : "http://%s:%u/", host,
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (got)));
  return TRUE;
}

const gchar *
cc_server_url (CcServer * self)
{
  return self->url;
}

/* Why jobs could not be sandboxed here, or NULL when they can. */
const gchar *
cc_server_sandbox_problem (CcServer * self)
{
  return self->sandbox.namespaces ? NULL : self->sandbox.detail;
}

/* Jobs run in the sandbox, or without one only when told to. */
gboolean
cc_server_runs_jobs (CcServer * self)
{
  return self->sandbox.namespaces || self->options.no_sandbox;
}

static gboolean
on_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

/* Serves until SIGTERM or SIGINT. */
void
cc_server_run (CcServer * self)
{
  guint term, intr;

  signal (SIGPIPE, SIG_IGN);
  self->loop = g_main_loop_new (NULL, FALSE);
  term = g_unix_signal_add (SIGTERM, on_signal, self->loop);
  intr = g_unix_signal_add (SIGINT, on_signal, self->loop);
  g_main_loop_run (self->loop);
  g_source_remove (term);
  g_source_remove (intr);
}

/* Connections go first (each upload under way records its offset as its
 * request goes, each event stream ends), then the running jobs (given
 * back to the queue), the uploads' own state, then the store. */
void
cc_server_free (CcServer * self)
{
  if (self == NULL)
    return;
  if (self->events)
    cc_events_close_all (self->events);
  g_clear_pointer (&self->workers, cc_worker_api_free);
  if (self->soup)
    soup_server_disconnect (self->soup);
  cc_export_stop (self);
  g_clear_pointer (&self->runner, cc_runner_free);
  g_clear_object (&self->soup);
  g_clear_pointer (&self->events, cc_events_free);
  g_clear_pointer (&self->tus, cc_tus_free);
  g_clear_object (&self->watchdog);
  g_clear_object (&self->store);
  if (self->lock_fd >= 0)
    close (self->lock_fd);
  cc_sandbox_clear (&self->sandbox);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_free (self->options.data_dir);
  g_free (self->options.db_url);
  g_free (self->options.listen);
  g_free (self->uploads_dir);
  g_free (self->jobs_dir);
  g_free (self->tmp_dir);
  g_clear_object (&self->exports_cancellable);
  g_free (self->url);
  g_free (self);
}
