/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccevents: Server-Sent Events streams of jobs' progress and states.
 */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _CcEvents CcEvents;

CcEvents *cc_events_new (guint heartbeat_ms);
void cc_events_stream (CcEvents * events, SoupServerMessage * msg,
    const gchar * job_id, JsonObject * state, gboolean final);
void cc_events_publish (CcEvents * events, const gchar * job_id,
    const gchar * event, JsonObject * data, gboolean final);
guint cc_events_n_streams (CcEvents * events);
GPtrArray *cc_events_jobs (CcEvents * events);
void cc_events_close_all (CcEvents * events);
void cc_events_free (CcEvents * events);

G_END_DECLS
