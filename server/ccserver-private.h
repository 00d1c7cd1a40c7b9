/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccserver-private: the server object as the route modules (ccauth.c,
 * cctus.c, ccjobs.c) and the job runner (ccrunner.c) see it.
 */
#pragma once

#include <libsoup/soup.h>

#include "ccevents.h"
#include "ccsandbox.h"
#include "ccserver.h"
#include "ccwatchdog.h"

G_BEGIN_DECLS

typedef struct _CcTus CcTus;
typedef struct _CcRunner CcRunner;
typedef struct _CcWorkerApi CcWorkerApi;

struct _CcServer
{
  CcServerOptions options;
  gchar *uploads_dir;
  gchar *jobs_dir;
  gchar *tmp_dir;               /* exports being made, emptied at start */
  gint lock_fd;
  gboolean alone;               /* no other server uses the data folder:
                                 * what one left behind may be tidied */
  CcStore *store;
  CcSandbox sandbox;
  SoupServer *soup;
  CcWatchdog *watchdog;
  CcTus *tus;
  CcEvents *events;
  CcRunner *runner;
  CcWorkerApi *workers;         /* the worker API: leases held by HTTP */
  GCancellable *exports_cancellable;
  guint exports_pending;        /* packs being written in threads */
  GMainLoop *loop;
  gchar *url;
};

void cc_server_add_route (CcServer * self, const gchar * path,
    SoupServerCallback callback);

G_END_DECLS
