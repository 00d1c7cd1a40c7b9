/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccstore-pg: the store (ccstore.h) in a PostgreSQL database, through
 * libpq, for several servers sharing one database.
 *
 * The SQL is ccstore-sql.h's, the same statements as SQLite's with the
 * dialect's few differences there; its ?N parameters become $N here.
 * Every call is one statement, or one short explicit transaction when it
 * takes two; none stays open between calls, and none while a job runs.
 * The claim skips the rows other servers are claiming (FOR UPDATE SKIP
 * LOCKED), and leases are counted in the database's clock.
 *
 * One connection, used by one call at a time (a mutex: libpq connections
 * are not for concurrent use). When it breaks (PostgreSQL restarted, the
 * network gone), the call under way fails with its error and the next
 * call connects again, once; while that fails, calls fail with the
 * reason, trying again every RECONNECT_PAUSE_US. Calls block the
 * caller, as SQLite's do: statements are short, and a row lock waited
 * for longer than SQLite's busy timeout is an error. Nothing here ever
 * shows the URL's password.
 *
 * A second connection, made only when the server asks to watch the queue
 * (cc_store_watch_queue()), LISTENs on SQL_QUEUE_CHANNEL, which a trigger
 * notifies whenever a job is queued (migration 4). It is read from the
 * main context and made with PQconnectPoll, which waits for no network
 * (libpq still looks the host name up with a blocking getaddrinfo: a
 * name that is slow to resolve blocks that step, as it does the main
 * connection's), and is made again RECONNECT_PAUSE_US after it broke;
 * each connection made again is a wake of its own, for what was missed
 * while it was down. PQconnectPoll ignores connect_timeout: an attempt
 * is given up after LISTEN_CONNECT_MS, which with several hosts in the
 * URL must be enough for libpq to reach the one that answers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "campuscut-serve"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <glib-unix.h>
#include <libpq-fe.h>
#include <gio/gio.h>

#include "ccstore-pg.h"

#define CC_SQL_POSTGRESQL
#include "ccstore-sql.h"

#define MAX_PARAMS 16
/* The built-in types' OIDs (catalog/pg_type_d.h, which only the server's
 * headers have); they never change. */
#define INT8_OID 20
#define TEXT_OID 25
#define FLOAT8_OID 701
/* Set on each connection, after the URL's own options= (which would
 * replace them there): SQLite's busy timeout, in PostgreSQL's words (a
 * row lock waited for longer is BUSY), and a bound on any statement. */
#define SESSION_SETTINGS "SET lock_timeout = 5000; " \
  "SET statement_timeout = 20000; SET client_min_messages = warning"
/* The defaults a URL may change: a connection attempt gives up after 5
 * s; a connection whose packets go unanswered (a network that drops them
 * silently, a host gone) is broken after 10 s with data in flight, and
 * after 5 + 3 * 2 s of silence while a call waits for an answer, instead
 * of the kernel's quarter of an hour. */
#define CONNECT_TIMEOUT_S "5"
#define KEEPALIVES_IDLE_S "5"
#define KEEPALIVES_INTERVAL_S "2"
#define KEEPALIVES_COUNT "3"
#define TCP_USER_TIMEOUT_MS "10000"
/* After a failed attempt to connect again, calls fail at once for this
 * long: each attempt can block for CONNECT_TIMEOUT_S (a host that drops
 * packets), and the server's calls come several a second. */
#define RECONNECT_PAUSE_US (2 * G_USEC_PER_SEC)
/* PQconnectPoll does not time out by itself: the listener's attempt to
 * connect is given up after this long */
#define LISTEN_CONNECT_MS 10000

typedef enum
{
  LISTENER_PAUSED,              /* waiting to connect again */
  LISTENER_CONNECTING,          /* PQconnectPoll under way */
  LISTENER_SUBSCRIBING,         /* LISTEN sent, not answered yet */
  LISTENER_UP,
} ListenerState;

/* The queue's watch: its own connection, read in @context. */
typedef struct
{
  PGconn *conn;
  ListenerState state;
  GMainContext *context;
  GSource *io;                  /* the socket, while connecting or up */
  GSource *timer;               /* paused: connect again; connecting: give up */
  CcStoreQueuedFunc func;
  gpointer user_data;
  gchar *shown_url;             /* for messages: no password */
  gchar *url;
  GPtrArray *secrets;           /* the store's, never in a message */
  gboolean warned;              /* that it is down, once until it is up */
  gboolean flushing;            /* the LISTEN not sent whole yet */
} Listener;

struct _CcStorePg
{
  GObject parent;
  GMutex lock;                  /* one call at a time on the connection */
  PGconn *conn;
  gchar *shown_url;             /* without the password */
  gchar *url;                   /* for the listener's connection */
  GPtrArray *secrets;           /* the URL's, never in a message */
  GHashTable *texts;            /* SQL with ?N -> the same with $N */
  gboolean may_reset;           /* this call may connect again */
  gint64 reset_after_us;        /* not before (monotonic time) */
  guint64 statements;           /* sent since opened */
  Listener *listener;           /* NULL until the queue is watched */
};

static void cc_store_pg_iface_init (CcStoreInterface * iface);
static void listener_free (Listener * l);

G_DEFINE_FINAL_TYPE_WITH_CODE (CcStorePg, cc_store_pg, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (CC_TYPE_STORE, cc_store_pg_iface_init))

static void
cc_store_pg_finalize (GObject * object)
{
  CcStorePg *self = CC_STORE_PG (object);

  if (self->conn)
    PQfinish (self->conn);
  g_clear_pointer (&self->listener, listener_free);
  g_free (self->shown_url);
  g_free (self->url);
  g_clear_pointer (&self->secrets, g_ptr_array_unref);
  g_hash_table_unref (self->texts);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (cc_store_pg_parent_class)->finalize (object);
}

static void
cc_store_pg_class_init (CcStorePgClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = cc_store_pg_finalize;
}

static void
cc_store_pg_init (CcStorePg * self)
{
  g_mutex_init (&self->lock);
  self->texts = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
      g_free);
}

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* ------------------------------------------------------------------ */
/* URLs.                                                                */

/**
 * cc_store_pg_url_valid:
 *
 * Whether @url names a PostgreSQL database: a postgresql:// or
 * postgres:// URI, as libpq reads them. Only the scheme is checked here;
 * cc_store_pg_open() reads the rest.
 */
gboolean
cc_store_pg_url_valid (const gchar * url)
{
  return g_str_has_prefix (url, "postgresql://") ||
      g_str_has_prefix (url, "postgres://");
}

/* libpq's options that hold a secret: password= and sslpassword= (libpq
 * marks them so). */
static gboolean
option_secret (const PQconninfoOption * o)
{
  return o->dispchar && o->dispchar[0] == '*';
}

/* @url's options as libpq reads them, or NULL. libpq's own message is
 * never used: it quotes the URL, or the part it could not read, password
 * included. A '@' after the host's '/' is a password with a '/' that was
 * not percent-encoded, which libpq would read as a host, port and
 * database name to be shown: that is no valid URL either. */
static PQconninfoOption *
url_parse (const gchar * url)
{
  const gchar *rest, *slash;

  if (!cc_store_pg_url_valid (url))
    return NULL;
  rest = strstr (url, "://") + 3;
  slash = rest + strcspn (rest, "/?");
  if (*slash == '/' && memchr (slash, '@', strcspn (slash, "?")))
    return NULL;
  return PQconninfoParse (url, NULL);
}

static void
add_secret (GPtrArray * secrets, const gchar * raw, gsize len)
{
  g_autofree gchar *text = g_strndup (raw, len);
  gchar *decoded;

  if (*text == '\0')
    return;
  decoded = g_uri_unescape_string (text, NULL);
  if (decoded && *decoded)
    g_ptr_array_add (secrets, decoded);
  else
    g_free (decoded);           /* not percent-decodable */
  g_ptr_array_add (secrets, g_steal_pointer (&text));
}

static gint
longer_first (gconstpointer a, gconstpointer b)
{
  const gchar *const *x = a, *const *y = b;

  return (gint) strlen (*y) - (gint) strlen (*x);
}

/* Every form of the secrets @url holds, whether libpq can read it or
 * not: the password in the user part (all before the last '@' ahead of
 * the query), password= and sslpassword= parameters, each as written
 * and percent-decoded; the longest first. */
static GPtrArray *
url_secrets (const gchar * url)
{
  GPtrArray *secrets = g_ptr_array_new_with_free_func (g_free);
  const gchar *rest = strstr (url, "://");
  const gchar *query, *at = NULL;

  rest = rest ? rest + 3 : url;
  query = rest + strcspn (rest, "?");
  for (const gchar * p = rest; p < query; p++) {
    if (*p == '@')
      at = p;
  }
  if (at) {
    const gchar *colon = memchr (rest, ':', at - rest);

    if (colon)
      add_secret (secrets, colon + 1, at - colon - 1);
  }
  for (const gchar * p = query; *p;) {
    gsize len = strcspn (p + 1, "&");

    if (g_str_has_prefix (p + 1, "password="))
      add_secret (secrets, p + 10, len - 9);
    else if (g_str_has_prefix (p + 1, "sslpassword="))
      add_secret (secrets, p + 13, len - 12);
    p += 1 + len;
  }
  g_ptr_array_sort (secrets, longer_first);
  return secrets;
}

/* @text with every secret of @secrets replaced by ***. */
static gchar *
scrubbed (const gchar * text, GPtrArray * secrets)
{
  g_autoptr (GString) s = g_string_new (text);

  for (guint i = 0; i < secrets->len; i++)
    g_string_replace (s, secrets->pdata[i], "***", 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static const gchar *
option_value (const PQconninfoOption * opts, const gchar * keyword)
{
  for (const PQconninfoOption * o = opts; o->keyword; o++) {
    if (strcmp (o->keyword, keyword) == 0)
      return o->val;
  }
  return NULL;
}

static void
append_escaped (GString * out, const gchar * text)
{
  g_autofree gchar *e = g_uri_escape_string (text, NULL, TRUE);

  g_string_append (out, e);
}

/* The hosts and ports as the URL's authority: host:port,... with IPv6
 * addresses in brackets. FALSE when a host is a socket folder (then it
 * goes in the query). */
static gboolean
append_hosts (GString * out, const gchar * host, const gchar * port)
{
  g_auto (GStrv) hosts = g_strsplit (host ? host : "", ",", -1);
  g_auto (GStrv) ports = g_strsplit (port ? port : "", ",", -1);
  guint n_ports = g_strv_length (ports);

  for (guint i = 0; hosts[i]; i++) {
    if (hosts[i][0] == '/')
      return FALSE;
  }
  for (guint i = 0; hosts[i] || (i == 0 && n_ports > 0); i++) {
    const gchar *h = hosts[i] ? hosts[i] : "";
    const gchar *p = n_ports == 1 ? ports[0] : i < n_ports ? ports[i] : "";

    if (i > 0)
      g_string_append_c (out, ',');
    if (strchr (h, ':'))
      g_string_append_printf (out, "[%s]", h);
    else
      append_escaped (out, h);
    if (*p)
      g_string_append_printf (out, ":%s", p);
    if (hosts[i] == NULL)
      break;
  }
  return TRUE;
}

/**
 * cc_store_pg_url_shown:
 *
 * @url as logs, errors and /api/health may show it: made again from the
 * options libpq reads in it (the user, hosts, ports, database and the
 * other parameters), a password (in the user part, or a password= or
 * sslpassword= parameter) as ***. Every form of the URL's secrets is
 * replaced by *** in what comes out, wherever libpq put it. A URL libpq
 * cannot read is not shown at all.
 *
 * Returns: (transfer full): the URL to show
 */
gchar *
cc_store_pg_url_shown (const gchar * url)
{
  PQconninfoOption *opts = url_parse (url);
  g_autoptr (GPtrArray) secrets = NULL;
  g_autoptr (GString) out = NULL;
  const gchar *user, *password, *dbname;
  gboolean socket_host;
  gchar sep = '?';

  if (opts == NULL)
    return g_strdup ("(not a valid postgresql:// URL)");
  out = g_string_new_len (url, strstr (url, "://") + 3 - url);
  user = option_value (opts, "user");
  password = option_value (opts, "password");
  if (user)
    append_escaped (out, user);
  if (password)
    g_string_append (out, ":***");
  if (user || password)
    g_string_append_c (out, '@');
  socket_host = !append_hosts (out, option_value (opts, "host"),
      option_value (opts, "port"));
  dbname = option_value (opts, "dbname");
  if (dbname) {
    g_string_append_c (out, '/');
    append_escaped (out, dbname);
  }
  for (const PQconninfoOption * o = opts; o->keyword; o++) {
    const gchar *k = o->keyword;

    if (o->val == NULL || strcmp (k, "user") == 0 ||
        strcmp (k, "password") == 0 || strcmp (k, "dbname") == 0 ||
        (!socket_host && (strcmp (k, "host") == 0 ||
                strcmp (k, "port") == 0)))
      continue;
    g_string_append_printf (out, "%c%s=", sep, k);
    if (option_secret (o))
      g_string_append (out, "***");
    else
      append_escaped (out, o->val);
    sep = '&';
  }
  PQconninfoFree (opts);
  secrets = url_secrets (url);
  return scrubbed (out->str, secrets);
}

/* ------------------------------------------------------------------ */
/* Statements.                                                          */

/* @sql with $N for ?N, outside quoted text; made once per statement. */
static const gchar *
dollar_text (CcStorePg * self, const gchar * sql)
{
  const gchar *known = g_hash_table_lookup (self->texts, sql);
  GString *out;
  gchar quote = 0;

  if (known)
    return known;
  out = g_string_sized_new (strlen (sql));
  for (const gchar * p = sql; *p; p++) {
    if (quote) {
      if (*p == quote)
        quote = 0;              /* '' reopens at once: still inside */
    } else if (*p == '\'' || *p == '"') {
      quote = *p;
    } else if (*p == '?' && g_ascii_isdigit (p[1])) {
      g_string_append_c (out, '$');
      continue;
    }
    g_string_append_c (out, *p);
  }
  g_hash_table_insert (self->texts, (gpointer) sql, out->str);
  return g_string_free (out, FALSE);
}

/* libpq's messages end with a newline, and some go on with a hint on
 * further lines: the first line says what happened. */
static void
message_trimmed (GString * s, const gchar * text)
{
  if (text == NULL || *text == '\0')
    text = "unknown error";
  g_string_append_len (s, text, strcspn (text, "\n"));
  while (s->len > 0 && g_ascii_isspace (s->str[s->len - 1]))
    g_string_truncate (s, s->len - 1);
}

/* Sets @error from a failed result (NULL: the connection's own error), in
 * G_IO_ERROR, by the SQLSTATE. */
static gboolean
set_error (CcStorePg * self, const PGresult * res, GError ** error)
{
  const gchar *state = res ? PQresultErrorField (res,
      PG_DIAG_SQLSTATE) : NULL;
  const gchar *primary = res ? PQresultErrorField (res,
      PG_DIAG_MESSAGE_PRIMARY) : NULL;
  GIOErrorEnum code = G_IO_ERROR_FAILED;
  g_autoptr (GString) text = g_string_new ("database: ");
  g_autofree gchar *shown = NULL;

  /* 08: connection exceptions; 57P: the server shutting down or starting */
  if (state == NULL || PQstatus (self->conn) != CONNECTION_OK ||
      g_str_has_prefix (state, "08") || g_str_has_prefix (state, "57P")) {
    g_string_append (text, "the connection to PostgreSQL failed: ");
    message_trimmed (text, PQerrorMessage (self->conn));
    shown = scrubbed (text->str, self->secrets);
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, shown);
    return FALSE;
  }
  if (strcmp (state, "23505") == 0)     /* unique_violation */
    code = G_IO_ERROR_EXISTS;
  else if (strcmp (state, "23503") == 0)        /* foreign_key_violation */
    code = G_IO_ERROR_NOT_EMPTY;
  else if (strcmp (state, "23514") == 0 ||      /* check_violation */
      strcmp (state, "23502") == 0 ||   /* not_null_violation */
      g_str_has_prefix (state, "22"))   /* data exceptions */
    code = G_IO_ERROR_INVALID_ARGUMENT;
  else if (strcmp (state, "55P03") == 0 ||      /* lock_not_available */
      strcmp (state, "40001") == 0 ||   /* serialization_failure */
      strcmp (state, "40P01") == 0)     /* deadlock_detected */
    code = G_IO_ERROR_BUSY;
  message_trimmed (text, primary ? primary : PQresultErrorMessage (res));
  shown = scrubbed (text->str, self->secrets);
  g_set_error_literal (error, G_IO_ERROR, code, shown);
  return FALSE;
}

/* The session's settings, on a connection just made. */
static gboolean
session_set (CcStorePg * self)
{
  PGresult *res = PQexec (self->conn, SESSION_SETTINGS);
  gboolean ok = PQresultStatus (res) == PGRES_COMMAND_OK;

  PQclear (res);
  return ok;
}

/* Reads what PostgreSQL sent while the connection was idle, if
 * anything: a server that ended it sent its reason, then closed it, which
 * the read after next finds. */
static void
read_idle (CcStorePg * self)
{
  struct pollfd p = {.fd = PQsocket (self->conn),.events = POLLIN };

  for (gint i = 0; i < 4 && PQstatus (self->conn) == CONNECTION_OK &&
      PQtransactionStatus (self->conn) == PQTRANS_IDLE &&
      poll (&p, 1, 0) > 0; i++) {
    PGnotify *n;

    if (!PQconsumeInput (self->conn))
      break;
    while ((n = PQnotifies (self->conn)))      /* parses what came */
      PQfreemem (n);
  }
}

/* Whether the connection is up; once per call, a broken one is made
 * again first. What PostgreSQL sent while the connection was idle is
 * read first: a server that ended it (a fast shutdown, a terminated
 * backend) is noticed here, and the connection made again before the
 * call rather than failing it. */
static gboolean
connected (CcStorePg * self, GError ** error)
{
  read_idle (self);
  if (PQstatus (self->conn) == CONNECTION_OK)
    return TRUE;
  if (self->may_reset && g_get_monotonic_time () >= self->reset_after_us) {
    self->may_reset = FALSE;
    PQreset (self->conn);
    if (PQstatus (self->conn) == CONNECTION_OK && session_set (self)) {
      g_message ("database: connected to %s again", self->shown_url);
      return TRUE;
    }
    self->reset_after_us = g_get_monotonic_time () + RECONNECT_PAUSE_US;
  }
  return set_error (self, NULL, error);
}

static gboolean
result_ok (const PGresult * res)
{
  ExecStatusType status = PQresultStatus (res);

  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

/* Runs @sql with one argument per letter of @types, as the SQLite store
 * binds them: 's' text (NULL: NULL), 'i' a gint64, 'r' a gint64 reference
 * where 0 is NULL, 'x' a gint64 where a negative value is NULL, 'd' a
 * gdouble. Each parameter's type is given, so that none is left for the
 * server to guess.
 *
 * Returns: (transfer full): the result, or NULL with @error set
 */
static PGresult *
query (CcStorePg * self, const gchar * sql, GError ** error,
    const gchar * types, ...)
{
  gchar *values[MAX_PARAMS] = { NULL };
  gchar *owned[MAX_PARAMS] = { NULL };
  Oid oids[MAX_PARAMS];
  gint n = strlen (types);
  PGresult *res;
  va_list args;

  g_assert (n <= MAX_PARAMS);
  if (!connected (self, error))
    return NULL;
  va_start (args, types);
  for (gint i = 0; i < n; i++) {
    gint64 v;
    gdouble d;

    switch (types[i]) {
      case 's':
        oids[i] = TEXT_OID;
        values[i] = va_arg (args, gchar *);
        break;
      case 'i':
      case 'r':
      case 'x':
        oids[i] = INT8_OID;
        v = va_arg (args, gint64);
        if (types[i] == 'i' || (types[i] == 'r' ? v != 0 : v >= 0))
          values[i] = owned[i] = g_strdup_printf ("%" G_GINT64_FORMAT, v);
        break;
      case 'd':
        oids[i] = FLOAT8_OID;
        d = va_arg (args, gdouble);
        values[i] = owned[i] = g_malloc (G_ASCII_DTOSTR_BUF_SIZE);
        g_ascii_dtostr (owned[i], G_ASCII_DTOSTR_BUF_SIZE, d);
        break;
      default:
        g_assert_not_reached ();
    }
  }
  va_end (args);
  self->statements++;
  res = PQexecParams (self->conn, dollar_text (self, sql), n, oids,
      (const gchar * const *) values, NULL, NULL, 0);
  for (gint i = 0; i < n; i++)
    g_free (owned[i]);
  if (res && result_ok (res))
    return res;
  set_error (self, res, error);
  PQclear (res);
  return NULL;
}

/* Runs SQL without parameters (transactions, migrations). */
static gboolean
exec (CcStorePg * self, const gchar * sql, GError ** error)
{
  PGresult *res;
  gboolean ok;

  if (!connected (self, error))
    return FALSE;
  self->statements++;
  res = PQexec (self->conn, sql);
  ok = res && result_ok (res);
  if (!ok)
    set_error (self, res, error);
  PQclear (res);
  return ok;
}

/* Takes a statement's result that returns no rows. With @must_change, a
 * statement that changed no row is G_IO_ERROR_NOT_FOUND. */
static gboolean
run (CcStorePg * self, PGresult * res, gboolean must_change, GError ** error)
{
  gboolean changed;

  if (res == NULL)
    return FALSE;
  changed = g_strcmp0 (PQcmdTuples (res), "0") != 0;
  PQclear (res);
  if (must_change && !changed) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no such record");
    return FALSE;
  }
  return TRUE;
}

static gboolean
begin (CcStorePg * self, GError ** error)
{
  return exec (self, "BEGIN", error);
}

/* Ends the transaction begun for a change: committed when @ok, rolled
 * back otherwise (unless the connection is gone, which ended it). */
static gboolean
end_transaction (CcStorePg * self, gboolean ok, GError ** error)
{
  if (ok && exec (self, "COMMIT", error))
    return TRUE;
  if (PQstatus (self->conn) == CONNECTION_OK) {
    self->statements++;
    PQclear (PQexec (self->conn, "ROLLBACK"));
  }
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Rows.                                                                */

static gchar *
col_text (const PGresult * res, gint row, gint col)
{
  return PQgetisnull (res, row, col) ? NULL :
      g_strdup (PQgetvalue (res, row, col));
}

static gint64
col_int (const PGresult * res, gint row, gint col)
{
  return PQgetisnull (res, row, col) ? 0 :
      g_ascii_strtoll (PQgetvalue (res, row, col), NULL, 10);
}

static gdouble
col_double (const PGresult * res, gint row, gint col)
{
  return PQgetisnull (res, row, col) ? 0 :
      g_ascii_strtod (PQgetvalue (res, row, col), NULL);
}

static CcUnit *
unit_from_row (const PGresult * res, gint r)
{
  CcUnit *unit = g_new0 (CcUnit, 1);

  unit->id = col_int (res, r, 0);
  unit->name = col_text (res, r, 1);
  if (!cc_unit_kind_from_string (PQgetvalue (res, r, 2), &unit->kind))
    unit->kind = CC_UNIT_DISTRICT;      /* the schema's CHECK prevents it */
  unit->created_at = col_int (res, r, 3);
  unit->contact = col_text (res, r, 4);
  unit->phone = col_text (res, r, 5);
  return unit;
}

static CcRound *
round_from_row (const PGresult * res, gint r)
{
  CcRound *round = g_new0 (CcRound, 1);

  round->number = (gint) col_int (res, r, 0);
  round->name = col_text (res, r, 1);
  round->deadline = col_text (res, r, 2);
  round->created_at = col_int (res, r, 3);
  return round;
}

static CcDecision *
decision_from_row (const PGresult * res, gint r)
{
  CcDecision *d = g_new0 (CcDecision, 1);

  d->id = col_int (res, r, 0);
  d->job_id = col_text (res, r, 1);
  d->user_id = col_int (res, r, 2);
  d->user_name = col_text (res, r, 3);
  d->at = col_int (res, r, 4);
  d->decision = col_text (res, r, 5);
  d->reason = col_text (res, r, 6);
  d->outputs = col_text (res, r, 7);
  return d;
}

static CcComment *
comment_from_row (const PGresult * res, gint r)
{
  CcComment *c = g_new0 (CcComment, 1);

  c->id = col_int (res, r, 0);
  c->job_id = col_text (res, r, 1);
  c->user_id = col_int (res, r, 2);
  c->user_name = col_text (res, r, 3);
  c->at = col_int (res, r, 4);
  c->t = col_double (res, r, 5);
  c->text = col_text (res, r, 6);
  return c;
}

static CcUser *
user_from_row (const PGresult * res, gint r)
{
  CcUser *user = g_new0 (CcUser, 1);

  user->id = col_int (res, r, 0);
  user->name = col_text (res, r, 1);
  if (!cc_role_from_string (PQgetvalue (res, r, 2), &user->role))
    user->role = CC_ROLE_SUBMITTER;
  user->unit_id = col_int (res, r, 3);
  user->unit_name = col_text (res, r, 4);
  user->token_hash = col_text (res, r, 5);
  user->created_at = col_int (res, r, 6);
  return user;
}

static CcUpload *
upload_from_row (const PGresult * res, gint r)
{
  CcUpload *upload = g_new0 (CcUpload, 1);

  upload->id = col_text (res, r, 0);
  upload->unit_id = col_int (res, r, 1);
  upload->user_id = col_int (res, r, 2);
  if (!cc_upload_kind_from_string (PQgetvalue (res, r, 3), &upload->kind))
    upload->kind = CC_UPLOAD_VIDEO;
  upload->filename = col_text (res, r, 4);
  upload->length = col_int (res, r, 5);
  upload->offset = col_int (res, r, 6);
  upload->sha256 = col_text (res, r, 7);
  upload->created_at = col_int (res, r, 8);
  upload->completed_at = col_int (res, r, 9);
  upload->job_id = col_text (res, r, 10);
  upload->attempt = (gint) col_int (res, r, 11);
  return upload;
}

static CcJobRecord *
job_from_row (const PGresult * res, gint r)
{
  CcJobRecord *job = g_new0 (CcJobRecord, 1);

  job->id = col_text (res, r, 0);
  job->unit_id = col_int (res, r, 1);
  job->user_id = col_int (res, r, 2);
  job->video = col_text (res, r, 3);
  job->captions = col_text (res, r, 4);
  job->logo = col_text (res, r, 5);
  job->options = col_text (res, r, 6);
  if (!cc_job_state_from_string (PQgetvalue (res, r, 7), &job->state))
    job->state = CC_JOB_FAILED;
  job->attempt = (gint) col_int (res, r, 8);
  job->max_attempts = (gint) col_int (res, r, 9);
  job->run_after = col_int (res, r, 10);
  job->lease_owner = col_text (res, r, 11);
  job->lease_expires = col_int (res, r, 12);
  job->progress = col_double (res, r, 13);
  job->exit_code = PQgetisnull (res, r, 14) ? -1 : (gint) col_int (res, r,
      14);
  job->reason = col_text (res, r, 15);
  job->errors = col_text (res, r, 16);
  job->outputs = col_text (res, r, 17);
  job->created_at = col_int (res, r, 18);
  job->started_at = col_int (res, r, 19);
  job->finished_at = col_int (res, r, 20);
  job->round = (gint) col_int (res, r, 21);
  job->student = col_text (res, r, 22);
  job->role_model = col_text (res, r, 23);
  if (!cc_review_state_from_string (PQgetvalue (res, r, 24),
          &job->review_state))
    job->review_state = CC_REVIEW_NONE;
  return job;
}

typedef gpointer (*RowFunc) (const PGresult * res, gint row);

/* The one row a result has, or NULL with G_IO_ERROR_NOT_FOUND. */
static gpointer
get_one (PGresult * res, RowFunc func, GError ** error)
{
  gpointer row = NULL;

  if (res == NULL)
    return NULL;
  if (PQntuples (res) > 0)
    row = func (res, 0);
  else
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no such record");
  PQclear (res);
  return row;
}

/* Every row a result has. */
static GPtrArray *
get_all (PGresult * res, RowFunc func, GDestroyNotify free_func,
    GError ** error)
{
  GPtrArray *rows;

  if (res == NULL)
    return NULL;
  rows = g_ptr_array_new_full (PQntuples (res), free_func);
  for (gint r = 0; r < PQntuples (res); r++)
    g_ptr_array_add (rows, func (res, r));
  PQclear (res);
  return rows;
}

/* The row an UPDATE ... RETURNING returned, or NULL with @error unset when
 * it changed none. */
static gpointer
get_returning (PGresult * res, RowFunc func)
{
  gpointer row = NULL;

  if (res == NULL)
    return NULL;
  if (PQntuples (res) > 0)
    row = func (res, 0);
  PQclear (res);
  return row;
}

/* ------------------------------------------------------------------ */
/* Opening and migrations.                                              */

static gint
read_version (CcStorePg * self, GError ** error)
{
  PGresult *res = query (self, SQL_SCHEMA_VERSION, error, "");
  gint version;

  if (res == NULL)
    return -1;
  version = (gint) col_int (res, 0, 0);
  PQclear (res);
  return version;
}

/* Applies the next migration the database lacks, if any, in a transaction
 * that holds the migrations' lock: a server starting meanwhile waits, then
 * finds it done. Sets *@done when none was left. */
static gboolean
migrate_next (CcStorePg * self, gboolean * done, GError ** error)
{
  const gint latest = G_N_ELEMENTS (migrations);
  gint current;
  PGresult *res;
  gboolean exists;

  if (!begin (self, error))
    return FALSE;
  /* a migration may take longer than a call */
  if (!exec (self, "SET LOCAL statement_timeout = 0", error) ||
      !exec (self, SQL_MIGRATION_LOCK, error) ||
      (res = query (self, SQL_SCHEMA_TABLE_EXISTS, error, "")) == NULL)
    return end_transaction (self, FALSE, error);
  exists = strcmp (PQgetvalue (res, 0, 0), "t") == 0;
  PQclear (res);
  if ((!exists && !exec (self, SQL_SCHEMA_TABLE, error)) ||
      (current = read_version (self, error)) < 0)
    return end_transaction (self, FALSE, error);
  if (current > latest) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "the database has schema version %d, newer than this campuscut "
        "knows (%d): use the campuscut that wrote it", current, latest);
    return end_transaction (self, FALSE, error);
  }
  *done = current == latest;
  if (*done)
    return end_transaction (self, TRUE, error);
  if (!exec (self, migrations[current], error) ||
      !run (self, query (self, SQL_SCHEMA_RECORD, error, "ii",
              (gint64) current + 1, now_s ()), FALSE, error)) {
    g_prefix_error (error, "migration %d: ", current + 1);
    return end_transaction (self, FALSE, error);
  }
  return end_transaction (self, TRUE, error);
}

static gboolean
migrate (CcStorePg * self, GError ** error)
{
  gboolean done = FALSE;

  /* one more round than there are migrations: the last finds none left */
  for (guint i = 0; i <= G_N_ELEMENTS (migrations) && !done; i++) {
    if (!migrate_next (self, &done, error))
      return FALSE;
  }
  return TRUE;
}

/* PostgreSQL's notices (a table that exists already, say) are not the
 * user's business; libpq would print them on standard error. */
static void
quiet_notice (void *data, const char *message)
{
  g_debug ("database: %s", message);
}

/**
 * cc_store_pg_open:
 * @url: a postgresql:// (or postgres://) URI, as libpq reads it
 *
 * Connects and brings the schema up to date.
 *
 * Returns: (transfer full): the store, or NULL with @error set
 */
/* The connection's settings, for PQconnectdbParams and
 * PQconnectStartParams with expand_dbname: the URL's own settings come
 * after (and so over) these defaults. */
#define CONNECT_KEYS { "connect_timeout", "keepalives", "keepalives_idle", \
    "keepalives_interval", "keepalives_count", "tcp_user_timeout", \
    "application_name", "dbname", NULL }
#define CONNECT_VALUES(url) { CONNECT_TIMEOUT_S, "1", KEEPALIVES_IDLE_S, \
    KEEPALIVES_INTERVAL_S, KEEPALIVES_COUNT, TCP_USER_TIMEOUT_MS, \
    "campuscut", (url), NULL }

CcStore *
cc_store_pg_open (const gchar * url, GError ** error)
{
  g_autoptr (CcStorePg) self = g_object_new (CC_TYPE_STORE_PG, NULL);
  const gchar *keys[] = CONNECT_KEYS;
  const gchar *values[] = CONNECT_VALUES (url);
  PQconninfoOption *opts = url_parse (url);

  if (opts == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "--db: not a valid postgresql:// URL (in a password, write '/' "
        "%2F, '@' %40, ':' %3A, '%' %25 and '?' %3F)");
    return NULL;
  }
  PQconninfoFree (opts);
  self->shown_url = cc_store_pg_url_shown (url);
  self->secrets = url_secrets (url);
  self->url = g_strdup (url);
  self->conn = PQconnectdbParams (keys, values, 1);
  if (self->conn == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "database: out of memory");
    return NULL;
  }
  PQsetNoticeProcessor (self->conn, quiet_notice, NULL);
  if (PQstatus (self->conn) != CONNECTION_OK || !session_set (self) ||
      !migrate (self, error)) {
    if (error && *error == NULL)
      set_error (self, NULL, error);
    g_prefix_error (error, "%s: ", self->shown_url);
    return NULL;
  }
  return CC_STORE (g_steal_pointer (&self));
}

/* ------------------------------------------------------------------ */
/* The operations.                                                      */

/* Each call holds the connection for its duration and may connect again
 * once. */
static GMutexLocker *
enter (CcStorePg * self)
{
  GMutexLocker *locker = g_mutex_locker_new (&self->lock);

  self->may_reset = TRUE;
  return locker;
}

#define SELF CcStorePg *self = CC_STORE_PG (store); \
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker = enter (self)

static const gchar *
pg_backend (CcStore * store)
{
  return "postgresql";
}

static gint
pg_schema_version (CcStore * store, GError ** error)
{
  SELF;
  return read_version (self, error);
}

static gboolean
pg_ping (CcStore * store, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_PING, error, ""), FALSE, error);
}

static gboolean
pg_unit_add (CcStore * store, const gchar * name, CcUnitKind kind,
    const gchar * contact, const gchar * phone, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_UNIT_ADD, error, "ssiss", name,
          cc_unit_kind_to_string (kind), now_s (), contact, phone), FALSE,
      error);
}

static CcUnit *
pg_unit_get (CcStore * store, const gchar * name, GError ** error)
{
  SELF;
  return get_one (query (self, SQL_UNIT_GET, error, "s", name),
      (RowFunc) unit_from_row, error);
}

static GPtrArray *
pg_unit_list (CcStore * store, GError ** error)
{
  SELF;
  return get_all (query (self, SQL_UNIT_LIST, error, ""),
      (RowFunc) unit_from_row, (GDestroyNotify) cc_unit_free, error);
}

static gboolean
pg_unit_remove (CcStore * store, const gchar * name, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_UNIT_REMOVE, error, "s", name), TRUE,
      error);
}

static gboolean
pg_unit_set_contact (CcStore * store, const gchar * name,
    const gchar * contact, const gchar * phone, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_UNIT_SET_CONTACT, error, "sss", name,
          contact, phone), TRUE, error);
}

static gboolean
pg_round_add (CcStore * store, gint number, const gchar * name,
    const gchar * deadline, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_ROUND_ADD, error, "issi",
          (gint64) number, name, deadline, now_s ()), FALSE, error);
}

static GPtrArray *
pg_round_list (CcStore * store, GError ** error)
{
  SELF;
  return get_all (query (self, SQL_ROUND_LIST, error, ""),
      (RowFunc) round_from_row, (GDestroyNotify) cc_round_free, error);
}

static gboolean
pg_user_add (CcStore * store, const gchar * name, CcRole role,
    gint64 unit_id, const gchar * token_hash, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_USER_ADD, error, "ssrsi", name,
          cc_role_to_string (role), unit_id, token_hash, now_s ()), FALSE,
      error);
}

static CcUser *
pg_user_get (CcStore * store, const gchar * name, GError ** error)
{
  SELF;
  return get_one (query (self, SQL_USER_GET, error, "s", name),
      (RowFunc) user_from_row, error);
}

static CcUser *
pg_user_by_token (CcStore * store, const gchar * token_hash, GError ** error)
{
  SELF;
  return get_one (query (self, SQL_USER_BY_TOKEN, error, "s", token_hash),
      (RowFunc) user_from_row, error);
}

static GPtrArray *
pg_user_list (CcStore * store, GError ** error)
{
  SELF;
  return get_all (query (self, SQL_USER_LIST, error, ""),
      (RowFunc) user_from_row, (GDestroyNotify) cc_user_free, error);
}

/* A new token ends the user's browser sessions: one transaction. */
static gboolean
pg_user_set_token (CcStore * store, const gchar * name,
    const gchar * token_hash, GError ** error)
{
  SELF;
  gboolean ok;

  if (!begin (self, error))
    return FALSE;
  ok = run (self, query (self, SQL_USER_SET_TOKEN, error, "ss", name,
          token_hash), TRUE, error) &&
      run (self, query (self, SQL_USER_END_SESSIONS, error, "s", name),
      FALSE, error);
  return end_transaction (self, ok, error);
}

static gboolean
pg_user_remove (CcStore * store, const gchar * name, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_USER_REMOVE, error, "s", name), TRUE,
      error);
}

static gboolean
pg_session_add (CcStore * store, const gchar * id_hash, gint64 user_id,
    const gchar * csrf, gint64 expires_at, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_SESSION_ADD, error, "sisii", id_hash,
          user_id, csrf, now_s (), expires_at), FALSE, error);
}

static CcUser *
pg_session_user (CcStore * store, const gchar * id_hash, gint64 now,
    gchar ** csrf, GError ** error)
{
  SELF;
  PGresult *res = query (self, SQL_SESSION_USER, error, "si", id_hash, now);
  CcUser *user = NULL;

  if (res == NULL)
    return NULL;
  if (PQntuples (res) > 0) {
    user = user_from_row (res, 0);
    *csrf = col_text (res, 0, 7);
  } else {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no such session");
  }
  PQclear (res);
  return user;
}

static gboolean
pg_session_remove (CcStore * store, const gchar * id_hash, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_SESSION_REMOVE, error, "s", id_hash),
      FALSE, error);
}

static gboolean
pg_session_purge (CcStore * store, gint64 now, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_SESSION_PURGE, error, "i", now), FALSE,
      error);
}

static gboolean
pg_upload_add (CcStore * store, const CcUpload * u, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_UPLOAD_ADD, error, "srrssiisr",
          u->id, u->unit_id, u->user_id, cc_upload_kind_to_string (u->kind),
          u->filename, u->length, u->created_at, u->job_id,
          (gint64) u->attempt), FALSE, error);
}

static CcUpload *
pg_upload_get (CcStore * store, const gchar * id, GError ** error)
{
  SELF;
  return get_one (query (self, SQL_UPLOAD_GET, error, "s", id),
      (RowFunc) upload_from_row, error);
}

static GPtrArray *
pg_upload_list (CcStore * store, gint64 unit_id, gboolean incomplete_only,
    GError ** error)
{
  SELF;
  return get_all (query (self, SQL_UPLOAD_LIST, error, "ri", unit_id,
          (gint64) incomplete_only), (RowFunc) upload_from_row,
      (GDestroyNotify) cc_upload_free, error);
}

static gboolean
pg_upload_set_offset (CcStore * store, const gchar * id, gint64 offset,
    GError ** error)
{
  SELF;
  return run (self, query (self, SQL_UPLOAD_SET_OFFSET, error, "si", id,
          offset), TRUE, error);
}

static gboolean
pg_upload_complete (CcStore * store, const gchar * id, const gchar * sha256,
    gint64 now, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_UPLOAD_COMPLETE, error, "ssi", id,
          sha256, now), TRUE, error);
}

static gboolean
pg_upload_remove (CcStore * store, const gchar * id, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_UPLOAD_REMOVE, error, "s", id), TRUE,
      error);
}

static gboolean
pg_job_add (CcStore * store, const CcJobRecord * j, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_JOB_ADD, error, "srrssssiirss", j->id,
          j->unit_id, j->user_id, j->video, j->captions, j->logo, j->options,
          (gint64) j->max_attempts, j->created_at, (gint64) j->round,
          j->student, j->role_model), FALSE, error);
}

static CcJobRecord *
pg_job_get (CcStore * store, const gchar * id, GError ** error)
{
  SELF;
  return get_one (query (self, SQL_JOB_GET, error, "s", id),
      (RowFunc) job_from_row, error);
}

static GPtrArray *
pg_job_list (CcStore * store, gint64 unit_id, guint limit, GError ** error)
{
  SELF;
  return get_all (query (self, SQL_JOB_LIST, error, "ri", unit_id,
          (gint64) limit), (RowFunc) job_from_row,
      (GDestroyNotify) cc_job_record_free, error);
}

/* One short transaction: the claim (its row locked, others' skipped) and
 * the void of a decision on the old outputs. */
static CcJobRecord *
pg_job_claim (CcStore * store, const gchar * owner, gint64 now,
    gint64 lease_expires, GError ** error)
{
  SELF;
  GError *err = NULL;
  CcJobRecord *job;

  if (!begin (self, error))
    return NULL;
  job = get_returning (query (self, SQL_JOB_CLAIM, &err, "sii", owner, now,
          lease_expires), (RowFunc) job_from_row);
  if (job && err == NULL)
    run (self, query (self, SQL_JOB_VOID, &err, "si", job->id, now), FALSE,
        &err);
  if (!end_transaction (self, err == NULL, err ? NULL : &err)) {
    g_clear_pointer (&job, cc_job_record_free);
    g_propagate_error (error, err);
  }
  return job;
}

static gboolean
pg_job_renew (CcStore * store, const gchar * id, gint attempt,
    const gchar * owner, gint64 now, gint64 lease_expires, gdouble progress,
    GError ** error)
{
  SELF;
  return run (self, query (self, SQL_JOB_RENEW, error, "sisiid", id,
          (gint64) attempt, owner, now, lease_expires, progress), TRUE,
      error);
}

static gboolean
pg_job_finish (CcStore * store, const gchar * id, gint attempt,
    const gchar * owner, const CcJobEnd * end, gint64 now, GError ** error)
{
  SELF;
  gboolean ok;

  if (!begin (self, error))
    return FALSE;
  ok = run (self, query (self, SQL_JOB_FINISH, error, "sissxssiii", id,
          (gint64) attempt, owner, cc_job_state_to_string (end->state),
          (gint64) end->exit_code, end->reason, end->outputs ? end->outputs :
          "[]", (gint64) end->retry, end->retry_at, now), TRUE, error) &&
      run (self, query (self, SQL_JOB_VOID, error, "si", id, now), FALSE,
      error);
  return end_transaction (self, ok, error);
}

static gboolean
pg_job_release (CcStore * store, const gchar * id, gint attempt,
    const gchar * owner, const gchar * tally, gint64 now, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_JOB_RELEASE, error, "sisisi", id,
          (gint64) attempt, owner, (gint64) (tally != NULL), tally, now), TRUE, error);
}

static gboolean
pg_job_cancel (CcStore * store, const gchar * id, gint64 now,
    GError ** error)
{
  SELF;
  return run (self, query (self, SQL_JOB_CANCEL, error, "si", id, now), TRUE,
      error);
}

static gboolean
pg_job_retry (CcStore * store, const gchar * id, gint64 now, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_JOB_RETRY, error, "si", id, now), TRUE,
      error);
}

static gint
pg_job_rescue (CcStore * store, gint64 expired_before,
    const gchar * owner_prefix, gboolean others, const gchar * reason,
    gint64 now, GError ** error)
{
  SELF;
  PGresult *res = query (self, SQL_JOB_RESCUE, error, "isisi", expired_before,
      reason, now, owner_prefix, (gint64) others);
  gint n;

  if (res == NULL)
    return -1;
  n = atoi (PQcmdTuples (res));
  PQclear (res);
  return n;
}

static gboolean
pg_job_rerun (CcStore * store, const gchar * id, gint64 now,
    const gchar * options, GError ** error)
{
  SELF;
  gboolean ok;

  if (!begin (self, error))
    return FALSE;
  ok = run (self, query (self, SQL_JOB_RERUN, error, "sis", id, now,
          options), TRUE, error) && run (self, query (self, SQL_JOB_VOID, error, "si", id, now),
      FALSE, error);
  return end_transaction (self, ok, error);
}

static GPtrArray *
pg_job_select (CcStore * store, const CcJobFilter * f, GError ** error)
{
  SELF;
  return get_all (query (self, SQL_JOB_SELECT, error, "rrss", f->unit_id,
          (gint64) f->round, f->state, f->review_state),
      (RowFunc) job_from_row, (GDestroyNotify) cc_job_record_free, error);
}

static gboolean
pg_decision_add (CcStore * store, const CcDecision * d, CcReviewState state,
    const gchar * expected_outputs, GError ** error)
{
  SELF;
  gboolean ok;

  if (!begin (self, error))
    return FALSE;
  ok = run (self, query (self, SQL_JOB_REVIEW, error, "sss", d->job_id,
          cc_review_state_to_string (state), expected_outputs), TRUE, error)
      && run (self, query (self, SQL_DECISION_ADD, error, "srsisss",
          d->job_id, d->user_id, d->user_name, d->at, d->decision, d->reason,
          d->outputs), FALSE, error);
  return end_transaction (self, ok, error);
}

static GPtrArray *
pg_decision_list (CcStore * store, const gchar * job_id, GError ** error)
{
  SELF;
  return get_all (query (self, SQL_DECISION_LIST, error, "s", job_id),
      (RowFunc) decision_from_row, (GDestroyNotify) cc_decision_free, error);
}

static gboolean
pg_comment_add (CcStore * store, const CcComment * c, GError ** error)
{
  SELF;
  return run (self, query (self, SQL_COMMENT_ADD, error, "srsids", c->job_id,
          c->user_id, c->user_name, c->at, c->t, c->text), FALSE, error);
}

static GPtrArray *
pg_comment_list (CcStore * store, const gchar * job_id, GError ** error)
{
  SELF;
  return get_all (query (self, SQL_COMMENT_LIST, error, "s", job_id),
      (RowFunc) comment_from_row, (GDestroyNotify) cc_comment_free, error);
}


/* ------------------------------------------------------------------ */
/* The queue's notifications.                                           */

static void listener_step (Listener * l);
static void listener_lost (Listener * l, const gchar * why);

static void
listener_clear_sources (Listener * l)
{
  if (l->io) {
    g_source_destroy (l->io);
    g_clear_pointer (&l->io, g_source_unref);
  }
  if (l->timer) {
    g_source_destroy (l->timer);
    g_clear_pointer (&l->timer, g_source_unref);
  }
}

static void
listener_free (Listener * l)
{
  listener_clear_sources (l);
  if (l->conn)
    PQfinish (l->conn);
  g_main_context_unref (l->context);
  g_free (l->shown_url);
  g_free (l->url);
  g_ptr_array_unref (l->secrets);
  g_free (l);
}

static gboolean
listener_io_cb (gint fd, GIOCondition condition, gpointer data)
{
  listener_step (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
listener_timer_cb (gpointer data)
{
  Listener *l = data;

  g_clear_pointer (&l->timer, g_source_unref);
  if (l->state == LISTENER_PAUSED) {
    l->state = LISTENER_CONNECTING;
    listener_step (l);
  } else {
    listener_lost (l, "no connection after " G_STRINGIFY (LISTEN_CONNECT_MS)
        " ms");
  }
  return G_SOURCE_REMOVE;
}

static void
listener_timer (Listener * l, guint ms)
{
  l->timer = g_timeout_source_new (ms);
  g_source_set_callback (l->timer, listener_timer_cb, l, NULL);
  g_source_attach (l->timer, l->context);
}

/* Watches the socket for @condition (it may change while connecting). */
static void
listener_watch (Listener * l, GIOCondition condition)
{
  if (l->io) {
    g_source_destroy (l->io);
    g_clear_pointer (&l->io, g_source_unref);
  }
  l->io = g_unix_fd_source_new (PQsocket (l->conn), condition |
      G_IO_ERR | G_IO_HUP);
  g_source_set_callback (l->io, (GSourceFunc) (GCallback) listener_io_cb,
      l, NULL);
  g_source_attach (l->io, l->context);
}

/* The connection broke or could not be made: dropped, and made again
 * after a pause; the queue is looked at now and then meanwhile (the
 * callers' fallback). */
static void
listener_lost (Listener * l, const gchar * why)
{
  if (!l->warned) {
    g_autofree gchar *msg = scrubbed (why ? why : "", l->secrets);

    g_strstrip (msg);
    g_warning ("database: the queue's notifications from %s stopped "
        "(%s); looking for jobs every second until they are back",
        l->shown_url, msg);
  }
  l->warned = TRUE;
  listener_clear_sources (l);
  g_clear_pointer (&l->conn, PQfinish);
  l->state = LISTENER_PAUSED;
  listener_timer (l, RECONNECT_PAUSE_US / 1000);
}

static void
listener_connect_step (Listener * l)
{
  switch (PQconnectPoll (l->conn)) {
    case PGRES_POLLING_READING:
      listener_watch (l, G_IO_IN);
      return;
    case PGRES_POLLING_WRITING:
      listener_watch (l, G_IO_OUT);
      return;
    case PGRES_POLLING_OK:
      break;
    default:
      listener_lost (l, PQerrorMessage (l->conn));
      return;
  }
  if (PQsetnonblocking (l->conn, 1) != 0 ||
      !PQsendQuery (l->conn, "LISTEN " SQL_QUEUE_CHANNEL)) {
    listener_lost (l, PQerrorMessage (l->conn));
    return;
  }
  l->state = LISTENER_SUBSCRIBING;
  /* the query may not have gone out whole yet: the socket is watched for
   * writing only until it has */
  l->flushing = PQflush (l->conn) == 1;
  listener_watch (l, l->flushing ? G_IO_IN | G_IO_OUT : G_IO_IN);
}

/* Reads what came; whether the connection still stands. */
static gboolean
listener_read (Listener * l)
{
  gint flushed = PQflush (l->conn);

  if (flushed == -1 || !PQconsumeInput (l->conn)) {
    listener_lost (l, PQerrorMessage (l->conn));
    return FALSE;
  }
  if (l->flushing && flushed == 0) {
    l->flushing = FALSE;
    listener_watch (l, G_IO_IN);
  }
  while (l->state == LISTENER_SUBSCRIBING && !PQisBusy (l->conn)) {
    PGresult *res = PQgetResult (l->conn);
    ExecStatusType status;

    if (res == NULL) {
      /* the LISTEN's result came and its end: subscribed */
      listener_clear_sources (l);
      l->state = LISTENER_UP;
      if (l->warned)
        g_message ("database: the queue's notifications are back");
      l->warned = FALSE;
      listener_watch (l, G_IO_IN);
      /* whatever was queued while the watch was down */
      l->func (l->user_data);
      break;
    }
    status = PQresultStatus (res);
    PQclear (res);
    if (status != PGRES_COMMAND_OK) {
      listener_lost (l, PQerrorMessage (l->conn));
      return FALSE;
    }
  }
  if (PQstatus (l->conn) != CONNECTION_OK) {
    listener_lost (l, PQerrorMessage (l->conn));
    return FALSE;
  }
  return TRUE;
}

static void
listener_step (Listener * l)
{
  const gchar *keys[] = CONNECT_KEYS;
  const gchar *values[] = CONNECT_VALUES (l->url);
  gboolean woken = FALSE;
  PGnotify *n;

  switch (l->state) {
    case LISTENER_PAUSED:
      /* the timer's turn */
      return;
    case LISTENER_CONNECTING:
      if (l->conn == NULL) {
        l->conn = PQconnectStartParams (keys, values, 1);
        if (l->conn == NULL || PQstatus (l->conn) == CONNECTION_BAD) {
          listener_lost (l, l->conn ? PQerrorMessage (l->conn) :
              "out of memory");
          return;
        }
        PQsetNoticeProcessor (l->conn, quiet_notice, NULL);
        listener_timer (l, LISTEN_CONNECT_MS);
        /* libpq's first step waits for the socket to take a write */
        listener_watch (l, G_IO_OUT);
        return;
      }
      listener_connect_step (l);
      return;
    case LISTENER_SUBSCRIBING:
      listener_read (l);
      return;
    case LISTENER_UP:
      if (!listener_read (l))
        return;
      while ((n = PQnotifies (l->conn))) {
        woken = TRUE;
        PQfreemem (n);
      }
      if (woken)
        l->func (l->user_data);
      return;
  }
}

static gboolean
pg_watch_queue (CcStore * store, CcStoreQueuedFunc func, gpointer user_data)
{
  CcStorePg *self = CC_STORE_PG (store);
  Listener *l;

  if (func == NULL) {
    g_clear_pointer (&self->listener, listener_free);
    return TRUE;
  }
  g_return_val_if_fail (self->listener == NULL, FALSE);
  l = self->listener = g_new0 (Listener, 1);
  l->context = g_main_context_ref_thread_default ();
  l->func = func;
  l->user_data = user_data;
  l->shown_url = g_strdup (self->shown_url);
  l->url = g_strdup (self->url);
  l->secrets = g_ptr_array_ref (self->secrets);
  l->state = LISTENER_CONNECTING;
  listener_step (l);
  return TRUE;
}

static gboolean
pg_queue_watched (CcStore * store)
{
  CcStorePg *self = CC_STORE_PG (store);

  return self->listener && self->listener->state == LISTENER_UP;
}

static guint64
pg_statements (CcStore * store)
{
  SELF;
  return self->statements;
}

static void
cc_store_pg_iface_init (CcStoreInterface * iface)
{
  iface->backend = pg_backend;
  iface->schema_version = pg_schema_version;
  iface->ping = pg_ping;
  iface->watch_queue = pg_watch_queue;
  iface->queue_watched = pg_queue_watched;
  iface->statements = pg_statements;
  iface->unit_add = pg_unit_add;
  iface->unit_get = pg_unit_get;
  iface->unit_list = pg_unit_list;
  iface->unit_remove = pg_unit_remove;
  iface->unit_set_contact = pg_unit_set_contact;
  iface->round_add = pg_round_add;
  iface->round_list = pg_round_list;
  iface->user_add = pg_user_add;
  iface->user_get = pg_user_get;
  iface->user_by_token = pg_user_by_token;
  iface->user_list = pg_user_list;
  iface->user_set_token = pg_user_set_token;
  iface->user_remove = pg_user_remove;
  iface->session_add = pg_session_add;
  iface->session_user = pg_session_user;
  iface->session_remove = pg_session_remove;
  iface->session_purge = pg_session_purge;
  iface->upload_add = pg_upload_add;
  iface->upload_get = pg_upload_get;
  iface->upload_list = pg_upload_list;
  iface->upload_set_offset = pg_upload_set_offset;
  iface->upload_complete = pg_upload_complete;
  iface->upload_remove = pg_upload_remove;
  iface->job_add = pg_job_add;
  iface->job_get = pg_job_get;
  iface->job_list = pg_job_list;
  iface->job_claim = pg_job_claim;
  iface->job_renew = pg_job_renew;
  iface->job_finish = pg_job_finish;
  iface->job_release = pg_job_release;
  iface->job_cancel = pg_job_cancel;
  iface->job_retry = pg_job_retry;
  iface->job_rescue = pg_job_rescue;
  iface->job_rerun = pg_job_rerun;
  iface->job_select = pg_job_select;
  iface->decision_add = pg_decision_add;
  iface->decision_list = pg_decision_list;
  iface->comment_add = pg_comment_add;
  iface->comment_list = pg_comment_list;
}
