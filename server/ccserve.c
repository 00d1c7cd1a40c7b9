/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccserve: `campuscut serve [--data DIR] [--db URL] [--listen ADDR:PORT]
 * [--jobs N] [--no-sandbox] [COMMAND]`.
 *
 * Without a command it starts the service (ccserver.c) and prints, as the
 * first line on standard output, the URL it listens on (with the port
 * bound when --listen asked for port 0, which is how tests find it). With
 * a command it manages units, users and rounds in DIR's database, or the
 * PostgreSQL database --db names (ccadmin.c), and exits.
 *
 * Exit codes: 0 done (or stopped by SIGTERM/SIGINT), 1 failure, 2 usage.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <glib/gi18n.h>

#include "ccadmin.h"
#include "ccserve.h"
#include "ccserver.h"
#include "ccstore-pg.h"

#define DEFAULT_DATA_DIR "campuscut-data"
#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_MAX_UPLOAD_MB 4096
#define DEFAULT_IDLE_TIMEOUT_S 60.0
#define DEFAULT_JOB_MAX_TIME_S 3600.0
#define DEFAULT_JOB_MAX_OUTPUT_MB 4096
#define DEFAULT_RETRY_DELAY_S 10.0
#define DEFAULT_HEARTBEAT_S 15.0
#define DEFAULT_LEASE_S 60
/* the fallback for a notification lost, or a retry's delay ended */
#define DEFAULT_QUEUE_POLL_S 5.0
/* --jobs not given: chosen from the cores */
#define JOBS_AUTO (-1)

typedef struct
{
  gchar *data_dir;
  gchar *db_url;
  gchar *listen;
  gint jobs;
  gint max_upload_mb;
  gdouble idle_timeout_s;
  gboolean no_sandbox;
  gdouble job_max_time_s;
  gint job_max_output_mb;
  gdouble retry_delay_s;
  gdouble heartbeat_s;
  gdouble queue_poll_s;
  gint lease_s;
  gchar *kind;
  gchar *role;
  gchar *unit;
  gchar *contact;
  gchar *phone;
  gchar *deadline;
  gchar *name;
} ServeArgs;

static const gchar *serve_description =
    N_("Commands (the server may be running meanwhile):\n"
    "  units add NAME --kind district|college [--contact NAME] "
    "[--phone PHONE]\n"
    "  units set NAME [--contact NAME] [--phone PHONE]\n"
    "  units list\n"
    "  units remove NAME\n"
    "  users add NAME --role submitter|reviewer|admin|worker [--unit UNIT]\n"
    "                        prints the user's token, once\n"
    "  users list\n"
    "  users token NAME      a new token for NAME, printed once (the old\n"
    "                        one stops working)\n"
    "  users remove NAME\n"
    "  rounds add NUMBER --deadline YYYY-MM-DD [--name NAME]\n"
    "                        a round of submissions, open until the end of\n"
    "                        its deadline\n"
    "  rounds list\n"
    "\n"
    "Without a command: serve the API (see docs/server.md) until SIGTERM.\n"
    "Jobs run in a bubblewrap sandbox; where the machine cannot make one,\n"
    "the server runs none unless started with --no-sandbox. With --jobs 0\n"
    "it runs none itself: `campuscut worker` processes, with the token of\n"
    "a user in the worker role, run them on other machines.");

static GOptionContext *
serve_context_new (ServeArgs * a)
{
  GOptionEntry entries[] = {
    {"data", 'd', 0, G_OPTION_ARG_FILENAME, &a->data_dir,
        N_("Folder for the database and the uploads (default "
          "./" DEFAULT_DATA_DIR ")"), "DIR"},
    {"db", 0, 0, G_OPTION_ARG_STRING, &a->db_url,
        N_("The database: a postgresql:// URL, which several servers may "
          "share (default: SQLite in the data folder)"), "URL"},
    {"listen", 'l', 0, G_OPTION_ARG_STRING, &a->listen,
        N_("Address and port to listen on (default " DEFAULT_LISTEN
          "; port 0: any free port)"), "ADDR:PORT"},
    {"jobs", 'j', 0, G_OPTION_ARG_INT, &a->jobs,
        N_("Jobs to run at once (default: one for every 4 cores, at least "
          "one); they share the cores. 0: none here, only workers' "
          "(campuscut worker)"), "N"},
    {"lease-seconds", 0, 0, G_OPTION_ARG_INT, &a->lease_s,
        N_("A running job's lease: how long it stays with a server or "
          "worker that stopped renewing it before another may take it "
          "(default 60, at least 6)"), "S"},
    {"max-upload-size", 0, 0, G_OPTION_ARG_INT, &a->max_upload_mb,
        N_("Largest upload accepted, in MB (default 4096)"), "MB"},
    {"idle-timeout", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_DOUBLE,
        &a->idle_timeout_s, N_("Drop a connection idle this many seconds "
          "(default 60)"), "S"},
    {"no-sandbox", 0, 0, G_OPTION_ARG_NONE, &a->no_sandbox,
        N_("Run jobs without bubblewrap (only where it cannot work; each "
          "job can then read what the server can)"), NULL},
    {"job-max-time", 0, 0, G_OPTION_ARG_DOUBLE, &a->job_max_time_s,
        N_("Fail a job that runs longer, in seconds (default 3600)"), "S"},
    {"job-max-output", 0, 0, G_OPTION_ARG_INT, &a->job_max_output_mb,
        N_("Fail a job whose outputs pass this size, in MB (default 4096)"),
        "MB"},
    {"retry-delay", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_DOUBLE,
        &a->retry_delay_s, N_("Wait before a failed job's next attempt, "
          "in seconds times the attempts made (default 10)"), "S"},
    {"queue-poll", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_DOUBLE,
        &a->queue_poll_s, N_("With PostgreSQL's notifications up, look "
          "for queued jobs this often all the same, in seconds (default "
          "5)"), "S"},
    {"heartbeat", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_DOUBLE,
        &a->heartbeat_s, N_("Seconds between an event stream's heartbeats "
          "(default 15)"), "S"},
    {"kind", 0, 0, G_OPTION_ARG_STRING, &a->kind,
        N_("units add: district or college"), "KIND"},
    {"role", 0, 0, G_OPTION_ARG_STRING, &a->role,
        N_("users add: submitter, reviewer, admin or worker"), "ROLE"},
    {"unit", 0, 0, G_OPTION_ARG_STRING, &a->unit,
        N_("users add: the submitter's unit"), "UNIT"},
    {"contact", 0, 0, G_OPTION_ARG_STRING, &a->contact,
        N_("units add, units set: the unit's contact person"), "NAME"},
    {"phone", 0, 0, G_OPTION_ARG_STRING, &a->phone,
        N_("units add, units set: the contact's telephone"), "PHONE"},
    {"deadline", 0, 0, G_OPTION_ARG_STRING, &a->deadline,
        N_("rounds add: the round's last day"), "YYYY-MM-DD"},
    {"name", 0, 0, G_OPTION_ARG_STRING, &a->name,
        N_("rounds add: the round's name (default 第N轮)"), "NAME"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new (_("[COMMAND]"));

  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("campuscut serve: the batch server "
          "(uploads, jobs, users, units)."));
  g_option_context_set_description (ctx, _(serve_description));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  return ctx;
}

static gint
usage_error (GOptionContext * ctx, const gchar * message)
{
  g_autofree gchar *help = g_option_context_get_help (ctx, TRUE, NULL);

  fprintf (stderr, "campuscut: %s\n\n", message);
  fputs (help, stderr);
  return 2;
}

static gint
run_admin (GOptionContext * ctx, const ServeArgs * a, gint argc,
    gchar ** argv)
{
  CcAdminOptions o = { a->kind, a->role, a->unit, a->contact, a->phone,
    a->deadline, a->name
  };
  g_autoptr (GError) err = NULL;
  g_autoptr (CcStore) store = cc_data_open_store (a->data_dir, a->db_url,
      &err);
  g_autofree gchar *problem = NULL;
  gint ret;

  if (store == NULL) {
    fprintf (stderr, _("campuscut: error: %s\n"), err->message);
    return 1;
  }
  ret = cc_admin_run (store, argc, argv, &o, &problem);
  if (problem)
    return usage_error (ctx, problem);
  return ret;
}

/* One job keeps 2 cores busy and x264 gains little past a few threads a
 * frame (docs/performance.md): a job for every 4 cores, and the cores
 * shared among them. */
static gint
run_server (const ServeArgs * a)
{
  guint jobs = a->jobs != JOBS_AUTO ? (guint) a->jobs : MAX (1,
      g_get_num_processors () / 4);
  CcServerOptions o = {
    .data_dir = a->data_dir,
    .db_url = a->db_url,
    .listen = a->listen,
    .jobs = jobs,
    .job_threads = jobs > 1 ? MAX (1, g_get_num_processors () / jobs) : 0,
    .max_upload = (gint64) a->max_upload_mb * 1024 * 1024,
    .idle_timeout_ms = (guint) (a->idle_timeout_s * 1000),
    .no_sandbox = a->no_sandbox,
    .job_max_time_s = a->job_max_time_s,
    .job_max_output_mb = a->job_max_output_mb,
    .retry_delay_s = a->retry_delay_s,
    .heartbeat_ms = (guint) (a->heartbeat_s * 1000),
    .queue_poll_us = (gint64) (a->queue_poll_s * G_USEC_PER_SEC),
    .lease_s = (guint) a->lease_s,
  };
  g_autoptr (GError) err = NULL;
  g_autoptr (CcServer) server = cc_server_new (&o, &err);
  const gchar *problem;

  if (server == NULL || !cc_server_listen (server, &err)) {
    fprintf (stderr, _("campuscut: error: %s\n"), err->message);
    return 1;
  }
  printf (_("campuscut: listening on %s\n"), cc_server_url (server));
  fflush (stdout);
  problem = cc_server_sandbox_problem (server);
  if (problem && a->no_sandbox)
    fprintf (stderr, _("campuscut: jobs run without a sandbox "
            "(--no-sandbox); bubblewrap cannot make one here: %s\n"),
        problem);
  else if (problem)
    fprintf (stderr, _("campuscut: jobs cannot run in a bubblewrap sandbox "
            "on this machine (%s); no job runs until the server is started "
            "with --no-sandbox\n"), problem);
  cc_server_run (server);
  return 0;
}

/* Checks the options that have a range; returns the problem or NULL. */
static const gchar *
check_args (const ServeArgs * a, gint argc)
{
  if (a->db_url && !cc_store_pg_url_valid (a->db_url))
    return _("--db takes a postgresql:// (or postgres://) URL; without it "
        "the database is SQLite's, in the data folder");
  if ((a->jobs < 0 && a->jobs != JOBS_AUTO) || a->jobs > 256)
    return _("--jobs takes 0 to 256");
  /* a run here stops counting on its lease a quarter of it (at least
   * 2 s) before its end, and renews it every sixth: 6 s at least */
  if (a->lease_s < 6 || a->lease_s > 86400)
    return _("--lease-seconds takes 6 to 86400");
  if (a->max_upload_mb < 1 || a->max_upload_mb > 1024 * 1024)
    return _("--max-upload-size takes 1 to 1048576 MB");
  if (!(a->idle_timeout_s >= 0.1 && a->idle_timeout_s <= 86400))
    return _("--idle-timeout takes 0.1 to 86400 seconds");
  if (!(a->job_max_time_s >= 1 && a->job_max_time_s <= 7 * 86400))
    return _("--job-max-time takes 1 to 604800 seconds");
  if (a->job_max_output_mb < 1 || a->job_max_output_mb > 1024 * 1024)
    return _("--job-max-output takes 1 to 1048576 MB");
  if (!(a->retry_delay_s >= 0 && a->retry_delay_s <= 86400))
    return _("--retry-delay takes 0 to 86400 seconds");
  if (!(a->heartbeat_s >= 0.1 && a->heartbeat_s <= 3600))
    return _("--heartbeat takes 0.1 to 3600 seconds");
  if (!(a->queue_poll_s >= 1 && a->queue_poll_s <= 86400))
    return _("--queue-poll takes 1 to 86400 seconds");
  if (argc == 1 && (a->kind || a->role || a->unit))
    return _("--kind, --role and --unit go with units add and users add");
  if (argc == 1 && (a->contact || a->phone || a->deadline || a->name))
    return _("--contact, --phone, --deadline and --name go with the units "
        "and rounds commands");
  return NULL;
}

/**
 * cc_serve_main:
 * @argv: (array length=argc): the arguments after `campuscut`, argv[0]
 *   being "serve"
 *
 * Returns: the exit code
 */
gint
cc_serve_main (gint argc, gchar ** argv)
{
  ServeArgs a = {
    .jobs = JOBS_AUTO,
    .lease_s = DEFAULT_LEASE_S,
    .max_upload_mb = DEFAULT_MAX_UPLOAD_MB,
    .idle_timeout_s = DEFAULT_IDLE_TIMEOUT_S,
    .job_max_time_s = DEFAULT_JOB_MAX_TIME_S,
    .job_max_output_mb = DEFAULT_JOB_MAX_OUTPUT_MB,
    .retry_delay_s = DEFAULT_RETRY_DELAY_S,
    .heartbeat_s = DEFAULT_HEARTBEAT_S,
    .queue_poll_s = DEFAULT_QUEUE_POLL_S,
  };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) err = NULL;
  const gchar *problem;
  gint ret;

  g_set_prgname ("campuscut serve");
  ctx = serve_context_new (&a);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    ret = usage_error (ctx, err->message);
    goto out;
  }
  if (a.data_dir == NULL)
    a.data_dir = g_strdup (DEFAULT_DATA_DIR);
  if (a.listen == NULL)
    a.listen = g_strdup (DEFAULT_LISTEN);
  problem = check_args (&a, argc);
  if (problem)
    ret = usage_error (ctx, problem);
  else if (argc > 1)
    ret = run_admin (ctx, &a, argc - 1, argv + 1);
  else
    ret = run_server (&a);

out:
  g_free (a.data_dir);
  g_free (a.db_url);
  g_free (a.listen);
  g_free (a.kind);
  g_free (a.role);
  g_free (a.unit);
  g_free (a.contact);
  g_free (a.phone);
  g_free (a.deadline);
  g_free (a.name);
  return ret;
}
