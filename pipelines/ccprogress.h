/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccprogress: `--progress json`, a job's progress for programs: one JSON
 * object a line on standard output.
 */
#pragma once

#include "ccjob.h"

G_BEGIN_DECLS

const gchar *cc_job_status_name (gint exit_code);
void cc_progress_phase (const gchar * phase);
void cc_progress_phase_done (CcJob * job, guint phase);
void cc_progress_position (CcJob * job, gdouble frac, gint64 position,
    gint64 duration, gdouble speed);
void cc_progress_result (const CcJob * job);
void cc_progress_error (const gchar * message);

G_END_DECLS
