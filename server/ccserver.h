/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccserver: the `campuscut serve` service: one object that owns the data
 * folder, the store, the HTTP server and everything the routes share.
 */
#pragma once

#include <glib.h>

#include "ccstore.h"

G_BEGIN_DECLS

typedef struct
{
  gchar *data_dir;
  gchar *db_url;                /* postgresql://…, NULL: SQLite in data_dir */
  gchar *listen;                /* ADDR:PORT, [V6ADDR]:PORT; port 0: any */
  guint jobs;                   /* jobs at once here; 0: only workers' */
  guint job_threads;            /* each job's --threads, 0: its own choice */
  gint64 max_upload;            /* bytes */
  guint idle_timeout_ms;
  gboolean no_sandbox;          /* run jobs without bubblewrap when it fails */
  gdouble job_max_time_s;       /* each job's --max-time */
  gint job_max_output_mb;       /* each job's --max-output-size */
  gdouble retry_delay_s;        /* before a failed attempt's next, times the
                                 * attempts made */
  guint heartbeat_ms;           /* between event stream comments */
  gint64 queue_poll_us;         /* with the store's notifications up, the
                                 * queue is looked at this often all the
                                 * same (0: every second, as without) */
  guint lease_s;                /* a running job's lease: the runner's
                                 * (renewed every sixth of it) and the
                                 * workers' (every third) */
} CcServerOptions;

typedef struct _CcServer CcServer;

CcStore *cc_data_open_store (const gchar * data_dir, const gchar * db_url,
    GError ** error);

CcServer *cc_server_new (const CcServerOptions * options, GError ** error);
gboolean cc_server_listen (CcServer * self, GError ** error);
const gchar *cc_server_url (CcServer * self);
const gchar *cc_server_sandbox_problem (CcServer * self);
gboolean cc_server_runs_jobs (CcServer * self);
void cc_server_run (CcServer * self);
void cc_server_free (CcServer * self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcServer, cc_server_free)

G_END_DECLS
