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
 * that went away is noticed (the write fails, the message finishes).
 * Each heartbeat that reaches the socket is a sign of life for the
 * server's idle watchdog; the heartbeat is at most half the idle timeout
 * (the server sees to it), so a stream whose client reads is never idle, and
 * one whose client stopped reading (its socket full, writes stalled) is
 * dropped like any idle connection. What a stream has queued and not yet
 * written is bounded too: past MAX_UNSENT the connection is shut down.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "campuscut-serve"

#include <string.h>

#include "ccevents.h"

/* Far more than a client that reads falls behind by (events are a few
 * hundred bytes, a few a second). */
#define MAX_UNSENT (256 * 1024)

struct _CcEvents
{
  GHashTable *streams;          /* job id -> GList of Stream */
  guint heartbeat_id;
  guint n_streams;
};

typedef struct
{
  CcEvents *events;
  SoupServerMessage *msg;
  gchar *job_id;
  gsize unsent;                 /* appended, not yet written */
  gboolean ended;               /* the body is complete: nothing more */
  gboolean dropped;             /* its connection shut down */
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
  gsize len = strlen (text);

  if (s->ended || s->dropped) {
    g_free (text);
    return;
  }
  if (s->unsent + len > MAX_UNSENT) {
    GSocket *socket = soup_server_message_get_socket (s->msg);

    g_debug ("event stream of job %s: %" G_GSIZE_FORMAT " bytes unsent, "
        "its client does not read: dropped", s->job_id, s->unsent);
    g_free (text);
    s->dropped = TRUE;
    if (socket)
      g_socket_shutdown (socket, TRUE, TRUE, NULL);
    return;
  }
  s->unsent += len;
  soup_message_body_append (soup_server_message_get_response_body (s->msg),
      SOUP_MEMORY_TAKE, text, len);
  soup_server_message_unpause (s->msg);
}

static void
stream_wrote (SoupServerMessage * msg, guint size, Stream * s)
{
  s->unsent -= MIN (s->unsent, size);
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
stream_free (Stream * s)
{
  g_signal_handlers_disconnect_by_data (s->msg, s);
  g_object_unref (s->msg);
  g_free (s->job_id);
  g_free (s);
}

/* The message finished, or its connection went without finishing it
 * (libsoup 3.2's soup_server_disconnect does that). */
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
  stream_free (s);
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
cc_events_new (guint heartbeat_ms)
{
  CcEvents *events = g_new0 (CcEvents, 1);

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
  g_signal_connect (msg, "finished", G_CALLBACK (stream_finished), s);
  g_signal_connect (msg, "disconnected", G_CALLBACK (stream_finished), s);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (stream_wrote), s);
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

/* The ids of the jobs that have streams. */
GPtrArray *
cc_events_jobs (CcEvents * events)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer id;

  g_hash_table_iter_init (&iter, events->streams);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    g_ptr_array_add (ids, g_strdup (id));
  return ids;
}

/* Forgets every stream and stops the heartbeat: called before the
 * server's connections are closed, which leaves their messages
 * unfinished. */
void
cc_events_close_all (CcEvents * events)
{
  GHashTableIter iter;
  GList *list;

  g_clear_handle_id (&events->heartbeat_id, g_source_remove);
  g_hash_table_iter_init (&iter, events->streams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & list)) {
    g_list_free_full (list, (GDestroyNotify) stream_free);
    g_hash_table_iter_remove (&iter);
  }
  events->n_streams = 0;
}

void
cc_events_free (CcEvents * events)
{
  if (events == NULL)
    return;
  cc_events_close_all (events);
  g_hash_table_unref (events->streams);
  g_free (events);
}
