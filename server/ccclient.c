/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccclient: the service's client side, on libsoup's SoupSession (blocking
 * calls: a command line has nothing else to do meanwhile, and each of a
 * worker's slots is a thread with a client of its own).
 *
 * Uploads are tus 1.0, made to survive the networks schools have: the
 * rest of the file goes in one PATCH, and when the connection breaks (or
 * the server answers 5xx, 409 or 423) the client asks the server with HEAD
 * how far it got and sends the rest from there, after a pause that doubles
 * each time (0.5 s up to 30 s). It gives up after max_retries breaks in a
 * row that brought no byte further.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "ccclient.h"
#include "ccsha256.h"

#define IO_TIMEOUT_S 60
#define MAX_RETRIES 8
#define OFFSET_TYPE "application/offset+octet-stream"
#define TTY_INTERVAL_US (G_USEC_PER_SEC / 5)
#define LINE_INTERVAL_US (5 * G_USEC_PER_SEC)
#define METHOD_PATCH "PATCH"

void
cc_client_init (CcClient * c, const gchar * server, const gchar * token)
{
  memset (c, 0, sizeof (*c));
  c->session = soup_session_new_with_options ("timeout", IO_TIMEOUT_S,
      "user-agent", "campuscut/" VERSION, NULL);
  c->server = g_strdup (server);
  c->token = g_strdup (token);
  c->tty = isatty (STDERR_FILENO);
  c->max_retries = MAX_RETRIES;
}

void
cc_client_clear (CcClient * c)
{
  g_clear_object (&c->session);
  g_clear_pointer (&c->server, g_free);
  g_clear_pointer (&c->token, g_free);
}

/**
 * cc_client_message:
 * @path: a path on the server (or a URL)
 *
 * Returns: (transfer full): a request carrying the token, or NULL
 */
SoupMessage *
cc_client_message (CcClient * c, const gchar * method, const gchar * path,
    GError ** error)
{
  g_autofree gchar *url = g_uri_resolve_relative (c->server, path,
      G_URI_FLAGS_NONE, error);
  g_autofree gchar *auth = g_strdup_printf ("Bearer %s", c->token);
  SoupMessage *msg;

  if (url == NULL)
    return NULL;
  msg = soup_message_new (method, url);
  if (msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "%s is not an http:// or https:// URL", url);
    return NULL;
  }
  soup_message_headers_replace (soup_message_get_request_headers (msg),
      "Authorization", auth);
  return msg;
}

/* The server's words for a refusal: its JSON message, or the status. */
gchar *
cc_client_problem (SoupMessage * msg, GBytes * body)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  guint status = soup_message_get_status (msg);
  JsonNode *root;

  if (body && g_bytes_get_size (body) > 0 &&
      json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
          g_bytes_get_size (body), NULL) &&
      (root = json_parser_get_root (parser)) && JSON_NODE_HOLDS_OBJECT (root)
      && json_object_has_member (json_node_get_object (root), "message"))
    return g_strdup_printf ("%u: %s", status,
        json_object_get_string_member (json_node_get_object (root),
            "message"));
  return g_strdup_printf ("%u %s", status,
      soup_message_get_reason_phrase (msg));
}

static GIOErrorEnum
error_for_status (guint status)
{
  switch (status) {
    case 400:
    case 413:
    case 415:
      return G_IO_ERROR_INVALID_ARGUMENT;
    case 401:
    case 403:
      return G_IO_ERROR_PERMISSION_DENIED;
    case 404:
      return G_IO_ERROR_NOT_FOUND;
    case 409:
    case 423:
      return G_IO_ERROR_BUSY;
    default:
      return G_IO_ERROR_FAILED;
  }
}

/**
 * cc_client_json:
 * @body: (nullable): a JSON body to send
 * @reply: (out) (optional): the answer's JSON; NULL for a 204
 *
 * Sends @msg; a status other than 2xx is an error in G_IO_ERROR, with the
 * server's message.
 */
gboolean
cc_client_json (CcClient * c, SoupMessage * msg, JsonNode * body,
    JsonNode ** reply, GError ** error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree gchar *problem = NULL;

  if (body) {
    gchar *text = json_to_string (body, FALSE);
    g_autoptr (GBytes) b = g_bytes_new_take (text, strlen (text));

    soup_message_set_request_body_from_bytes (msg, "application/json", b);
  }
  bytes = soup_session_send_and_read (c->session, msg, c->cancellable,
      error);
  if (bytes == NULL)
    return FALSE;
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg))) {
    problem = cc_client_problem (msg, bytes);
    g_set_error_literal (error, G_IO_ERROR, error_for_status
        (soup_message_get_status (msg)), problem);
    return FALSE;
  }
  if (reply == NULL)
    return TRUE;
  if (soup_message_get_status (msg) == SOUP_STATUS_NO_CONTENT) {
    *reply = NULL;
    return TRUE;
  }
  if (!json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
          g_bytes_get_size (bytes), error))
    return FALSE;
  *reply = json_parser_steal_root (parser);
  return *reply != NULL;
}

/* A progress line on standard error: at most five a second on a
 * terminal (rewritten in place), one every five seconds otherwise. */
void
cc_client_progress (CcClient * c, const gchar * what, gint64 done,
    gint64 total, gint64 started_us, gboolean last)
{
  gint64 now = g_get_monotonic_time ();
  gdouble elapsed = MAX (now - started_us, 1) / (gdouble) G_USEC_PER_SEC;
  gdouble mb = 1024.0 * 1024.0;

  if (c->quiet || (!last && now - c->last_progress_us <
          (c->tty ? TTY_INTERVAL_US : LINE_INTERVAL_US)))
    return;
  c->last_progress_us = now;
  fprintf (stderr, "%scampuscut: %s: %3.0f%% (%.1f of %.1f MB, %.1f MB/s)%s",
      c->tty ? "\r" : "", what, total > 0 ? 100.0 * done / total : 100.0,
      done / mb, total / mb, done / mb / elapsed, c->tty && !last ? " " :
      "\n");
  fflush (stderr);
}

/* The pause before the next try: 0.5 s, doubling, at most 30 s. */
void
cc_client_backoff (CcClient * c, guint failures)
{
  gulong us = G_USEC_PER_SEC / 2;

  for (guint i = 1; i < failures && us < 30 * G_USEC_PER_SEC; i++)
    us *= 2;
  g_usleep (MIN (us, 30 * G_USEC_PER_SEC));
}

/* ------------------------------------------------------------------ */
/* Uploads.                                                             */

static gchar *
b64 (const gchar * text)
{
  return g_base64_encode ((const guchar *) text, strlen (text));
}

/* POST /api/uploads: the upload's path on the server. */
static gchar *
create_upload (CcClient * c, const gchar * path, const gchar * kind,
    const gchar * const *extra, gint64 size, GError ** error)
{
  g_autoptr (SoupMessage) msg = cc_client_message (c, SOUP_METHOD_POST,
      "/api/uploads", error);
  g_autofree gchar *name = g_path_get_basename (path);
  g_autofree gchar *k = b64 (kind), *f = b64 (name);
  g_autofree gchar *meta = NULL;
  GString *m = g_string_new (NULL);

  g_string_printf (m, "kind %s,filename %s", k, f);
  for (guint i = 0; extra && extra[i] && extra[i + 1]; i += 2) {
    g_autofree gchar *v = b64 (extra[i + 1]);

    g_string_append_printf (m, ",%s %s", extra[i], v);
  }
  meta = g_string_free (m, FALSE);
  g_autofree gchar *length = g_strdup_printf ("%" G_GINT64_FORMAT, size);
  g_autoptr (GBytes) body = NULL;
  g_autofree gchar *problem = NULL;
  SoupMessageHeaders *h;

  if (msg == NULL)
    return NULL;
  h = soup_message_get_request_headers (msg);
  soup_message_headers_replace (h, "Tus-Resumable", "1.0.0");
  soup_message_headers_replace (h, "Upload-Length", length);
  soup_message_headers_replace (h, "Upload-Metadata", meta);
  body = soup_session_send_and_read (c->session, msg, c->cancellable,
      error);
  if (body == NULL)
    return NULL;
  if (soup_message_get_status (msg) != SOUP_STATUS_CREATED ||
      soup_message_headers_get_one (soup_message_get_response_headers (msg),
          "Location") == NULL) {
    problem = cc_client_problem (msg, body);
    g_set_error (error, G_IO_ERROR, error_for_status (soup_message_get_status
            (msg)), "%s: the server refused the upload: %s", name, problem);
    return NULL;
  }
  return g_strdup (soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "Location"));
}

/* What the server's Upload-Offset says, or -1. */
static gint64
answer_offset (SoupMessage * msg)
{
  const gchar *v = soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "Upload-Offset");
  guint64 n;

  if (v == NULL || !g_ascii_string_to_unsigned (v, 10, 0, G_MAXINT64, &n,
          NULL))
    return -1;
  return (gint64) n;
}

typedef struct
{
  CcClient *c;
  const gchar *what;
  gint64 base, sent, total, started_us;
} Sending;

static void
wrote_body_data (SoupMessage * msg, guint size, Sending * s)
{
  s->sent += size;
  cc_client_progress (s->c, s->what, s->base + s->sent, s->total,
      s->started_us, FALSE);
}

/* PATCH: the rest of the file from @offset. Returns the HTTP status, 0
 * when the connection failed; *offset is where the server is after a
 * 204. */
static guint
send_rest (CcClient * c, const gchar * location, const gchar * path,
    gint64 * offset, gint64 size, gint64 started_us, GError ** error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (file, NULL, error);
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree gchar *at = g_strdup_printf ("%" G_GINT64_FORMAT, *offset);
  g_autofree gchar *name = g_path_get_basename (path);
  g_autofree gchar *what = g_strdup_printf ("uploading %s", name);
  Sending s = { c, what, *offset, 0, size, started_us };
  g_autofree gchar *problem = NULL;
  SoupMessageHeaders *h;

  if (in == NULL || !g_seekable_seek (G_SEEKABLE (in), *offset, G_SEEK_SET,
          NULL, error) || (msg = cc_client_message (c, METHOD_PATCH,
              location, error)) == NULL)
    return G_MAXUINT;           /* the file, or the URL: not worth a retry */
  h = soup_message_get_request_headers (msg);
  soup_message_headers_replace (h, "Tus-Resumable", "1.0.0");
  soup_message_headers_replace (h, "Upload-Offset", at);
  soup_message_set_request_body (msg, OFFSET_TYPE, G_INPUT_STREAM (in),
      size - *offset);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (wrote_body_data),
      &s);
  body = soup_session_send_and_read (c->session, msg, c->cancellable,
      error);
  if (body == NULL)
    return 0;
  if (soup_message_get_status (msg) == SOUP_STATUS_NO_CONTENT &&
      answer_offset (msg) >= 0) {
    *offset = answer_offset (msg);
    return SOUP_STATUS_NO_CONTENT;
  }
  problem = cc_client_problem (msg, body);
  g_set_error_literal (error, G_IO_ERROR, error_for_status
      (soup_message_get_status (msg)), problem);
  return soup_message_get_status (msg);
}

/* HEAD: how far the server got. */
static gboolean
head_offset (CcClient * c, const gchar * location, gint64 * offset,
    GError ** error)
{
  g_autoptr (SoupMessage) msg = cc_client_message (c, SOUP_METHOD_HEAD,
      location, error);
  g_autoptr (GBytes) body = NULL;

  if (msg == NULL)
    return FALSE;
  soup_message_headers_replace (soup_message_get_request_headers (msg),
      "Tus-Resumable", "1.0.0");
  body = soup_session_send_and_read (c->session, msg, c->cancellable,
      error);
  if (body == NULL)
    return FALSE;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK ||
      answer_offset (msg) < 0) {
    g_autofree gchar *problem = cc_client_problem (msg, body);

    g_set_error_literal (error, G_IO_ERROR, error_for_status
        (soup_message_get_status (msg)), problem);
    return FALSE;
  }
  *offset = answer_offset (msg);
  return TRUE;
}

/* Whether a PATCH's failure is worth another try from HEAD's offset. */
static gboolean
retryable (guint status)
{
  if (status == G_MAXUINT)
    return FALSE;               /* the file, or the URL */
  return status == 0 || status >= 500 || status == SOUP_STATUS_CONFLICT ||
      status == SOUP_STATUS_LOCKED || status == SOUP_STATUS_REQUEST_TIMEOUT;
}

/* After a break: waits, then asks where to go on from. Counts the breaks
 * that brought no byte further. */
static void
after_break (CcClient * c, const gchar * location, const gchar * name,
    gint64 * offset, guint * failures, const GError * why)
{
  g_autoptr (GError) err = NULL;
  gint64 at = -1;

  if (!c->quiet)
    fprintf (stderr, "%scampuscut: %s: the upload broke off (%s); "
        "resuming\n", c->tty ? "\n" : "", name, why->message);
  cc_client_backoff (c, *failures);
  if (!head_offset (c, location, &at, &err)) {
    (*failures)++;
    return;
  }
  if (at > *offset)
    *failures = 0;
  *offset = at;
}

/**
 * cc_client_upload:
 * @kind: video, captions or logo
 *
 * @meta: (nullable) (array zero-terminated=1): more metadata for the
 *   upload, key and value in turn (an output's job, attempt and owner)
 * @partial: (out) (optional) (transfer full): on a failure, the id of
 *   the upload made and left unfinished, NULL if none was made
 *
 * Uploads the file at @path, resuming after breaks.
 *
 * Returns: (transfer full): the upload's id, or NULL
 */
gchar *
cc_client_upload (CcClient * c, const gchar * path, const gchar * kind,
    const gchar * const *meta, gchar ** partial, GError ** error)
{
  g_autofree gchar *name = g_path_get_basename (path);
  g_autofree gchar *location = NULL, *what = NULL;
  gint64 offset = 0, size, started_us = g_get_monotonic_time ();
  guint failures = 0;
  GStatBuf st;

  if (partial)
    *partial = NULL;
  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "%s: no such file", path);
    return NULL;
  }
  size = st.st_size;
  location = create_upload (c, path, kind, meta, size, error);
  if (location == NULL)
    return NULL;
  while (offset < size) {
    g_autoptr (GError) err = NULL;
    gint64 before = offset;
    guint status = send_rest (c, location, path, &offset, size, started_us,
        &err);

    if (status == SOUP_STATUS_NO_CONTENT) {
      if (offset > before)
        continue;
      /* accepted, yet no byte further: a break like any other */
      g_set_error (&err, G_IO_ERROR, G_IO_ERROR_FAILED,
          "the server kept none of the bytes sent (offset %" G_GINT64_FORMAT
          ")", offset);
      status = 0;
    }
    if (!retryable (status) || g_cancellable_is_cancelled (c->cancellable)
        || ++failures > c->max_retries) {
      g_propagate_prefixed_error (error, g_steal_pointer (&err), "%s: ",
          name);
      if (partial)
        *partial = g_path_get_basename (location);
      return NULL;
    }
    after_break (c, location, name, &offset, &failures, err);
  }
  what = g_strdup_printf ("uploading %s", name);
  cc_client_progress (c, what, size, size, started_us, TRUE);
  return g_path_get_basename (location);
}

/**
 * cc_client_upload_remove:
 *
 * Removes the upload @id (tus termination): one the caller made and no
 * longer wants.
 */
gboolean
cc_client_upload_remove (CcClient * c, const gchar * id, GError ** error)
{
  g_autofree gchar *path = g_strdup_printf ("/api/uploads/%s", id);
  g_autoptr (SoupMessage) msg = cc_client_message (c, SOUP_METHOD_DELETE,
      path, error);

  if (msg == NULL)
    return FALSE;
  soup_message_headers_replace (soup_message_get_request_headers (msg),
      "Tus-Resumable", "1.0.0");
  return cc_client_json (c, msg, NULL, NULL, error);
}

/* ------------------------------------------------------------------ */
/* Downloads.                                                           */

/* One try at the rest of @part from where it ends. */
static gboolean
fetch_rest (CcClient * c, const gchar * location, const gchar * part,
    GError ** error)
{
  g_autoptr (SoupMessage) msg = cc_client_message (c, SOUP_METHOD_GET,
      location, error);
  g_autoptr (GFile) file = g_file_new_for_path (part);
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GFileOutputStream) out = NULL;
  GStatBuf st;
  gint64 have = g_stat (part, &st) == 0 ? st.st_size : 0;
  guint status;

  if (msg == NULL)
    return FALSE;
  if (have > 0) {
    g_autofree gchar *range = g_strdup_printf ("bytes=%" G_GINT64_FORMAT "-",
        have);
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Range", range);
  }
  in = soup_session_send (c->session, msg, c->cancellable, error);
  if (in == NULL)
    return FALSE;
  status = soup_message_get_status (msg);
  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && have > 0)
    return TRUE;                /* all there already */
  if (status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%u %s", status,
        soup_message_get_reason_phrase (msg));
    return FALSE;
  }
  out = status == SOUP_STATUS_OK ?
      g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error) :
      g_file_append_to (file, G_FILE_CREATE_NONE, NULL, error);
  return out && g_output_stream_splice (G_OUTPUT_STREAM (out), in,
      G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, c->cancellable, error) >= 0;
}

static gchar *
file_sha256 (const gchar * path, GError ** error)
{
  g_autoptr (GMappedFile) f = g_mapped_file_new (path, FALSE, error);

  if (f == NULL)
    return NULL;
  return cc_sha256_data ((const guint8 *) g_mapped_file_get_contents (f),
      g_mapped_file_get_length (f));
}

/**
 * cc_client_download:
 * @location: a path on the server (or a URL) that answers Range
 * @sha256: what the file's SHA-256 must be
 *
 * Fetches @location into @path (through @path.part, which a later call
 * resumes), trying again after breaks as uploads do; the file is renamed
 * into place only once its SHA-256 is @sha256.
 */
gboolean
cc_client_download (CcClient * c, const gchar * location, const gchar * path,
    const gchar * sha256, GError ** error)
{
  g_autofree gchar *part = g_strdup_printf ("%s.part", path);
  guint failures = 0;
  gint64 had = -1;

  while (TRUE) {
    g_autoptr (GError) err = NULL;
    g_autofree gchar *got = NULL;
    GStatBuf st;

    /* a try that brought bytes was worth it: only tries that bring
     * nothing, one after another, are counted */
    if (g_stat (part, &st) == 0 && st.st_size > had) {
      if (had >= 0)
        failures = 0;
      had = st.st_size;
    }
    if (fetch_rest (c, location, part, &err) &&
        (got = file_sha256 (part, &err)) && g_strcmp0 (got, sha256) == 0)
      return g_rename (part, path) == 0 || (g_set_error (error, G_IO_ERROR,
              G_IO_ERROR_FAILED, "%s: %s", path, g_strerror (errno)), FALSE);
    if (got) {
      g_unlink (part);          /* whole but not the file: start again */
      g_set_error (&err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "its SHA-256 is not the job's");
    }
    if (g_cancellable_is_cancelled (c->cancellable) ||
        ++failures > c->max_retries) {
      g_propagate_prefixed_error (error, g_steal_pointer (&err), "%s: ",
          path);
      return FALSE;
    }
    cc_client_backoff (c, failures);
  }
}
