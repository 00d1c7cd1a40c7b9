/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccjobs: the /api/jobs routes, and a job as the API shows it.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "ccserver-private.h"

G_BEGIN_DECLS

/* The files a job may deliver, and their content types. */
typedef struct
{
  const gchar *name;
  const gchar *type;
} CcJobOutput;

extern const CcJobOutput cc_job_outputs[];
extern const guint cc_job_n_outputs;

void cc_jobs_add_routes (CcServer * server);
JsonObject *cc_jobs_to_json (CcServer * server, const CcJobRecord * job);
void cc_jobs_publish_state (CcServer * server, const gchar * id);
void cc_jobs_set_time (JsonObject * o, const gchar * name, gint64 t);
JsonNode *cc_jobs_parse_stored (const gchar * text);

G_END_DECLS
