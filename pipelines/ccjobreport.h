/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccjobreport: a job's report.json and the entries that go into it.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "ccjob.h"

G_BEGIN_DECLS

/* Writes report.json to path: the input and its probe, the job's
 * settings, the captions, the outputs and the result. Takes the nodes
 * (any may be NULL: not got that far). */
gboolean cc_job_write_report (CcJob * job, const gchar * path,
    JsonNode * probe, JsonNode * captions, JsonNode * outputs,
    GError ** error);

/* The "captions" entry: the file as read, and its cues' warnings. missing:
 * characters the caption font cannot show, or NULL. */
JsonNode *cc_job_report_captions (const CcJob * job,
    const CcCaptionTrack * track, GPtrArray * warnings,
    const gchar * missing);

/* The entry of one output ("full" or "platform") read back from file:
 * its probe o, its checks (CcCheck*) and loudness; the platform cut's
 * also says how its segments were chosen. */
JsonNode *cc_job_report_output (const CcJob * job, const gchar * name,
    const gchar * file, const CcProbe * o, GPtrArray * checks,
    const CcLoudness * loud);

/* --only platform: reads the folder's report.json into job->base_report
 * and checks that it describes a full cut still there (the file of the
 * size it gives) made with the job's category, quality and frame rate.
 * FALSE with the job failed (usage) otherwise. */
gboolean cc_job_load_base_report (CcJob * job, const gchar * report,
    const gchar * full);
/* --only platform: whether the report's input is this input (the same
 * size); fails the job otherwise. */
gboolean cc_job_check_base_input (CcJob * job);

G_END_DECLS
