/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccevents: GET /api/jobs/ID/events, a text/event-stream per client.
 *
 * A stream starts with the job's state as it is (event "state"), then
 * gets an event for each progress line of the job's process ("progress"),
 * each phase it enters ("phase") and each change of state ("state"), and
 * ends after the state that is final (done, rejected, failed, cancelled).
 * Each event's data is one line of JSON.
 *
 * The response is chunked and not accumulated: an event is appended to
 * the body and the message unpaused, libsoup writes it and pauses again
 * when the body runs dry. Between events a comment line goes out every
 * heartbeat so that proxies do not take the stream for idle and a client
 * that went away is noticed (the write fails, the message finishes). The
 * server's idle watchdog is held for the stream's life: the client of a
 * stream is not idle for having nothing to send.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "campuscut-serve"

#include <string.h>

#include "ccevents.h"

struct _CcEvents
{
  CcWatchdog *watchdog;
  GHashTable *streams;          /* job id -> GList of Stream */
  guint heartbeat_id;
  guint n_streams;
};

typedef struct
{
  CcEvents *events;
  SoupServerMessage *msg;
  gchar *job_id;
  gboolean ended;               /* the body is complete: nothing more */
} Stream;

static gchar *
format_event (const gchar * event, JsonObject * data)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autofree gchar *json = NULL;

  json_node_set_object (node, data);
  json_generator_set_root (gen, node);
  /* not pretty: the data is one line, as one data: field needs */
  json = json_generator_to_data (gen, NULL);
  return g_strdup_printf ("event: %s\ndata: %s\n\n", event, json);
}

static void
stream_write (Stream * s, gchar * text)
{
  if (s->ended) {
    g_free (text);
    return;
  }
  soup_message_body_append (soup_server_message_get_response_body (s->msg),
      SOUP_MEMORY_TAKE, text, strlen (text));
  soup_server_message_unpause (s->msg);
}

static void
stream_end (Stream * s)
{
  if (s->ended)
    return;
  s->ended = TRUE;
  soup_message_body_complete (soup_server_message_get_response_body
      (s->msg));
  soup_server_message_unpause (s->msg);
}

static void
stream_finished (SoupServerMessage * msg, Stream * s)
{
  CcEvents *events = s->events;
  GList *list = g_hash_table_lookup (events->streams, s->job_id);

  list = g_list_remove (list, s);
  if (list)
    g_hash_table_insert (events->streams, g_strdup (s->job_id), list);
  else
    g_hash_table_remove (events->streams, s->job_id);
  events->n_streams--;
  g_signal_handlers_disconnect_by_data (msg, s);
  cc_watchdog_release (events->watchdog, msg);
  g_object_unref (s->msg);
  g_free (s->job_id);
  g_free (s);
}

static gboolean
heartbeat (gpointer data)
{
  CcEvents *events = data;
  GHashTableIter iter;
  GList *list;

  g_hash_table_iter_init (&iter, events->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & list)) {
    for (GList * l = list; l; l = l->next)
      stream_write (l->data, g_strdup (": heartbeat\n\n"));
  }
  return G_SOURCE_CONTINUE;
}

CcEvents *
cc_events_new (CcWatchdog * watchdog, guint heartbeat_ms)
{
  CcEvents *events = g_new0 (CcEvents, 1);

  events->watchdog = g_object_ref (watchdog);
  events->streams = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  events->heartbeat_id = g_timeout_add (heartbeat_ms, heartbeat, events);
  return events;
}

/**
 * cc_events_stream:
 * @state: the job as it is now, the stream's first event
 * @final: whether that state is final: the stream ends after it
 *
 * Answers @msg with an event stream of the job's events.
 */
void
cc_events_stream (CcEvents * events, SoupServerMessage * msg,
    const gchar * job_id, JsonObject * state, gboolean final)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  Stream *s = g_new0 (Stream, 1);
  GList *list;

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (h, "text/event-stream", NULL);
  soup_message_headers_replace (h, "Cache-Control", "no-store");
  /* nginx would otherwise buffer the stream */
  soup_message_headers_replace (h, "X-Accel-Buffering", "no");
  soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body
      (msg), FALSE);
  s->events = events;
  s->msg = g_object_ref (msg);
  s->job_id = g_strdup (job_id);
  cc_watchdog_hold (events->watchdog, msg);
  g_signal_connect (msg, "finished", G_CALLBACK (stream_finished), s);
  list = g_hash_table_lookup (events->streams, job_id);
  g_hash_table_insert (events->streams, g_strdup (job_id),
      g_list_append (list, s));
  events->n_streams++;
  stream_write (s, format_event ("state", state));
  if (final)
    stream_end (s);
}

/**
 * cc_events_publish:
 * @final: whether this is the job's last event: its streams end after it
 *
 * Sends @event with @data to every stream of @job_id.
 */
void
cc_events_publish (CcEvents * events, const gchar * job_id,
    const gchar * event, JsonObject * data, gboolean final)
{
  GList *list = g_hash_table_lookup (events->streams, job_id);
  g_autofree gchar *text = NULL;

  if (list == NULL)
    return;
  text = format_event (event, data);
  for (GList * l = list; l; l = l->next) {
    stream_write (l->data, g_strdup (text));
    if (final)
      stream_end (l->data);
  }
}

guint
cc_events_n_streams (CcEvents * events)
{
  return events->n_streams;
}

/* Called once the server's connections are gone, and with them every
 * stream. */
void
cc_events_free (CcEvents * events)
{
  if (events == NULL)
    return;
  g_source_remove (events->heartbeat_id);
  g_hash_table_unref (events->streams);
  g_object_unref (events->watchdog);
  g_free (events);
}
