/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccwatchdog: drops connections on which nothing has moved for a while.
 *
 * Every connection is known by its socket from the moment it is accepted
 * (libsoup announces the first request then, before any byte arrives).
 * Each sign of life of one of its requests (headers or a chunk read, a
 * chunk written, a request finished) stamps the connection; a sweep a few
 * times per timeout shuts down the sockets whose stamp is too old: a
 * client that stopped sending mid-body, one that never sends a request,
 * an idle keep-alive connection. Shutting the socket down (rather than
 * closing it under libsoup) makes libsoup's next read fail, so it ends the
 * request the usual way ("finished"), and whatever the request held (an
 * upload's lock) is released there.
 *
 * While the server itself makes a request wait (paused for work of its
 * own), it holds the connection: the client is not the one idle.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "campuscut-serve"

#include "ccwatchdog.h"

typedef struct
{
  CcWatchdog *watchdog;
  GSocket *socket;              /* weak: the entry goes with the socket */
  gint64 stamp;                 /* monotonic µs of the last sign of life */
  guint holds;
  gboolean dropped;
} Conn;

struct _CcWatchdog
{
  GObject parent;
  SoupServer *server;           /* weak: the server owns the watchdog */
  gint64 timeout_us;
  GHashTable *conns;            /* GSocket* -> Conn* */
  guint sweep_id;
  guint n_dropped;
};

G_DEFINE_FINAL_TYPE (CcWatchdog, cc_watchdog, G_TYPE_OBJECT)

static void
conn_socket_gone (gpointer data, GObject * where_the_socket_was)
{
  Conn *conn = data;

  conn->socket = NULL;          /* its weak reference is already gone */
  g_hash_table_remove (conn->watchdog->conns, where_the_socket_was);
}

static void
conn_free (gpointer data)
{
  Conn *conn = data;

  if (conn->socket)
    g_object_weak_unref (G_OBJECT (conn->socket), conn_socket_gone, conn);
  g_free (conn);
}

static Conn *
conn_lookup (CcWatchdog * self, SoupServerMessage * msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  return socket ? g_hash_table_lookup (self->conns, socket) : NULL;
}

/* A sign of life on one of the connection's requests. */
static void
stamp (CcWatchdog * self, SoupServerMessage * msg)
{
  Conn *conn = conn_lookup (self, msg);

  if (conn)
    conn->stamp = g_get_monotonic_time ();
}

static void
stamp_chunk (CcWatchdog * self, gpointer chunk, SoupServerMessage * msg)
{
  stamp (self, msg);
}

static void
stamp_body_data (CcWatchdog * self, guint size, SoupServerMessage * msg)
{
  stamp (self, msg);
}

static void
request_started (SoupServer * server, SoupServerMessage * msg,
    CcWatchdog * self)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  Conn *conn;

  if (socket == NULL)
    return;
  conn = g_hash_table_lookup (self->conns, socket);
  if (conn == NULL) {
    conn = g_new0 (Conn, 1);
    conn->watchdog = self;
    conn->socket = socket;
    g_object_weak_ref (G_OBJECT (socket), conn_socket_gone, conn);
    g_hash_table_insert (self->conns, socket, conn);
  }
  conn->stamp = g_get_monotonic_time ();
  g_signal_connect_object (msg, "got-headers", G_CALLBACK (stamp), self,
      G_CONNECT_SWAPPED);
  g_signal_connect_object (msg, "got-chunk", G_CALLBACK (stamp_chunk), self,
      G_CONNECT_SWAPPED);
  g_signal_connect_object (msg, "wrote-body-data",
      G_CALLBACK (stamp_body_data), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (msg, "finished", G_CALLBACK (stamp), self,
      G_CONNECT_SWAPPED);
}

static gboolean
sweep (gpointer data)
{
  CcWatchdog *self = data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Conn *conn;

  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & conn)) {
    if (conn->dropped || conn->holds > 0 || now - conn->stamp <
        self->timeout_us)
      continue;
    g_debug ("dropping a connection idle for %" G_GINT64_FORMAT " ms",
        (now - conn->stamp) / 1000);
    conn->dropped = TRUE;
    self->n_dropped++;
    g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
  }
  return G_SOURCE_CONTINUE;
}

static void
cc_watchdog_finalize (GObject * object)
{
  CcWatchdog *self = CC_WATCHDOG (object);

  if (self->sweep_id)
    g_source_remove (self->sweep_id);
  g_hash_table_unref (self->conns);
  G_OBJECT_CLASS (cc_watchdog_parent_class)->finalize (object);
}

static void
cc_watchdog_class_init (CcWatchdogClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = cc_watchdog_finalize;
}

static void
cc_watchdog_init (CcWatchdog * self)
{
  self->conns = g_hash_table_new_full (NULL, NULL, NULL, conn_free);
}

/**
 * cc_watchdog_new:
 * @timeout_ms: how long a connection may show no sign of life
 *
 * Watches every connection @server accepts from now on.
 */
CcWatchdog *
cc_watchdog_new (SoupServer * server, guint timeout_ms)
{
  CcWatchdog *self = g_object_new (CC_TYPE_WATCHDOG, NULL);

  self->server = server;
  self->timeout_us = (gint64) timeout_ms * 1000;
  g_signal_connect_object (server, "request-started",
      G_CALLBACK (request_started), self, 0);
  /* a connection goes between timeout and timeout + a quarter of it */
  self->sweep_id = g_timeout_add (CLAMP (timeout_ms / 4, 50, 1000), sweep,
      self);
  return self;
}

/* The server makes @msg wait: its connection is not idle meanwhile. */
void
cc_watchdog_hold (CcWatchdog * self, SoupServerMessage * msg)
{
  Conn *conn = conn_lookup (self, msg);

  if (conn)
    conn->holds++;
}

void
cc_watchdog_release (CcWatchdog * self, SoupServerMessage * msg)
{
  Conn *conn = conn_lookup (self, msg);

  if (conn && conn->holds > 0) {
    conn->holds--;
    conn->stamp = g_get_monotonic_time ();
  }
}

/* How many connections were dropped for idleness, for /api/health. */
guint
cc_watchdog_n_dropped (CcWatchdog * self)
{
  return self->n_dropped;
}
