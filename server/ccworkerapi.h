/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccworkerapi: the worker API under /api/worker, through which `campuscut
 * worker` processes on other machines claim jobs, renew their leases,
 * fetch the inputs and hand the outputs back.
 */
#pragma once

#include "ccauth.h"
#include "ccserver-private.h"

G_BEGIN_DECLS

/* The owners of workers' leases begin so ("worker/USER-ID/NAME"); a
 * server's own never do (HOST:PID:ID, and a host name has no '/'). */
#define CC_WORKER_OWNER_PREFIX "worker/"

CcWorkerApi *cc_worker_api_new (CcServer * server);
void cc_worker_api_wake (CcWorkerApi * api);
guint cc_worker_api_n_waiting (CcWorkerApi * api);
gboolean cc_worker_api_holds (CcWorkerApi * api, SoupServerMessage * msg,
    const CcAuth * auth, const gchar * id, gint attempt,
    const gchar * owner);
gboolean cc_worker_api_live (CcWorkerApi * api, const CcJobRecord * job,
    gdouble * progress, const gchar ** phase);
void cc_worker_api_free (CcWorkerApi * api);

G_END_DECLS
