/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccjobdir: a job's folder: one attempt's scratch, the outputs kept, their
 * hashes.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean cc_job_dir_remove_tree (const gchar * path, GError ** error);
gchar *cc_job_dir_prepare (const gchar * dir, gint attempt, gboolean seed,
    GError ** error);
void cc_job_dir_forget_runs (const gchar * jobs_dir);
gboolean cc_job_dir_keep (const gchar * dir, const gchar * run_dir,
    gboolean done, gboolean seeded, GError ** error);
gchar *cc_job_dir_hash_outputs (const gchar * out_dir,
    GCancellable * cancellable, GError ** error);

G_END_DECLS
