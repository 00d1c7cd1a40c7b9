/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccjobspec: a job's options as POST /api/jobs takes them, checked as
 * `campuscut process` checks its command line, and turned back into that
 * command line.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cchttp.h"

G_BEGIN_DECLS

/* The members of POST /api/jobs: the uploads and the options. */
extern const CcJsonField cc_job_spec_fields[];
extern const guint cc_job_spec_n_fields;

JsonObject *cc_job_spec_check (JsonObject * body, gchar ** problem);
gboolean cc_job_spec_check_submission (SoupServerMessage * msg,
    JsonObject * body, JsonObject * options, gchar ** student,
    gchar ** role_model);
gboolean cc_job_spec_append_args (const gchar * options, GPtrArray * args,
    GError ** error);

gboolean cc_job_spec_remakes_platform (const gchar * options);
gchar *cc_job_spec_with_platform_cut (const gchar * options,
    const gchar * segments, gchar ** problem);

G_END_DECLS
