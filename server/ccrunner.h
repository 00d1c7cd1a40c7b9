/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccrunner: runs queued jobs, each as a sandboxed `campuscut process`
 * child, at most --jobs at once.
 */
#pragma once

#include "ccserver-private.h"

G_BEGIN_DECLS

CcRunner *cc_runner_new (CcServer * server, GError ** error);
void cc_runner_wake (CcRunner * runner);
void cc_runner_cancel (CcRunner * runner, const gchar * id);
gboolean cc_runner_live (CcRunner * runner, const gchar * id,
    gdouble * progress, const gchar ** phase);
guint cc_runner_n_running (CcRunner * runner);
gboolean cc_runner_sweeps (CcRunner * runner);
gboolean cc_runner_give_back (CcRunner * runner, const CcJobRecord * job);
void cc_runner_judge (CcServer * server, gint attempt, gint status,
    const gchar * kill_reason, const gchar * message, CcJobEnd * end,
    gchar ** reason);
void cc_runner_free (CcRunner * runner);

G_END_DECLS
