/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccchild: starts one attempt of a job: `campuscut process` and then
 * `campuscut contact-sheet`, in the job's sandbox.
 */
#pragma once

#include <gio/gio.h>

#include "ccsandbox.h"
#include "ccstore.h"

G_BEGIN_DECLS

typedef struct
{
  const gchar *exe;             /* the campuscut program */
  const gchar *registry;        /* GStreamer registry prepared, NULL: none */
  const gchar *uploads_dir;
  const CcSandbox *sandbox;     /* NULL: run without one */
  gdouble max_time_s;
  gint max_output_mb;
  guint threads;                /* --threads, 0: not given */
  gboolean only_platform;       /* --only=platform, beside the full cut
                                 * and contact sheet seeded in run_dir */
} CcChildConfig;

gchar *cc_child_prepare_registry (const gchar * exe, const gchar * data_dir);
GSubprocess *cc_child_spawn (const CcChildConfig * config,
    const CcJobRecord * job, GPtrArray * uploads, const gchar * dir,
    const gchar * run_dir, GError ** error);
void cc_child_kill (GSubprocess * proc);

G_END_DECLS
