/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccencode: a job's encode, one submissionbin run to the end.
 */
#pragma once

#include "ccjob.h"

G_BEGIN_DECLS

/* Whether the campuscut plugin can be loaded; fails the job otherwise.
 * Called before the analysis pass, whose elements are the plugin's too. */
gboolean cc_job_check_plugin (CcJob * job);

/* Builds the pipeline around the submissionbin named "job", runs it with
 * progress and the job's limits, and writes full (and platform, when the
 * job has a platform cut). The plugin has been checked. Returns FALSE when
 * the job failed. */
gboolean cc_job_encode (CcJob * job, const CcProbe * probe,
    const gchar * full, const gchar * platform);

G_END_DECLS
