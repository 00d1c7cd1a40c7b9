/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cctus: resumable uploads, tus 1.0 (core, creation, termination).
 *
 *   OPTIONS /api/uploads        what the server supports (no token needed)
 *   POST    /api/uploads        create: Upload-Length, Upload-Metadata
 *                               (filename, kind video|captions|logo)
 *   HEAD    /api/uploads/ID     how far it got: Upload-Offset
 *   PATCH   /api/uploads/ID     bytes at Upload-Offset
 *   DELETE  /api/uploads/ID     terminate
 *   GET     /api/uploads[/ID]   JSON, for scripts and pages
 *
 * A PATCH body is never held in memory: the early handler checks
 * everything it can from the head (who, which upload, offset, length,
 * type), then each chunk libsoup reads (8 KiB) is fed to the upload's
 * running SHA-256 and gathered into a buffer of WRITE_BLOCK, written to
 * the file whenever it fills (one write a megabyte, not 128), and at the
 * request's end. Writes go to the page cache and do not block, so nothing
 * needs pausing while bytes arrive; a request is paused only while the
 * server hashes a file whose running hash was lost to a restart.
 *
 * What survives a crash: the file is the truth about how many bytes
 * arrived (bytes are appended in order, so its length is the offset); the
 * database's offset is written, after fdatasync, when each PATCH ends, and
 * is reconciled with the file's length at start-up. Files are named by
 * their random id; the client's file name is metadata only.
 *
 * A second PATCH while one is running on the same upload is 423 Locked; a
 * client that vanishes mid-body is dropped by the watchdog, which releases
 * the lock.
 *
 * Workers (campuscut worker) send a job's outputs back the same way, as
 * uploads of kind output: only they make those, and each sees only its
 * own (ccworkerapi.c takes them into the job when the attempt finishes).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "campuscut-serve"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "ccauth.h"
#include "cchttp.h"
#include "ccsecret.h"
#include "ccsha256.h"
#include "cctus.h"
#include "ccworkerapi.h"

#define TUS_VERSION "1.0.0"
#define TUS_EXTENSIONS "creation,termination"
#define OFFSET_TYPE "application/offset+octet-stream"
/* libsoup interns method names but has no constant for this one */
#define METHOD_PATCH g_intern_static_string ("PATCH")
#define WRITE_BLOCK (1024 * 1024)
#define FILENAME_MAX_BYTES 255
#define EMPTY_SHA256 \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct _CcTus
{
  CcServer *server;
  GHashTable *live;             /* id -> Live, incomplete uploads in use */
  GList *patches;               /* Patch, PATCH requests under way */
  GCancellable *cancellable;    /* of the hashing threads */
  guint hashing;
};

/* An incomplete upload the server has touched since it started. */
typedef struct
{
  gchar *id;
  gint64 length;
  gint64 offset;
  CcSha256 *sum;                /* over [0, hashed); NULL: hash the file */
  gint64 hashed;
  gboolean busy;                /* a PATCH or the completion has it */
} Live;

/* One PATCH request under way. */
typedef struct
{
  CcTus *tus;                   /* NULL once ended */
  Live *live;                   /* NULL once handed to the completion */
  gint fd;
  guint8 *buf;                  /* received, not yet written: WRITE_BLOCK */
  gsize buffered;
  gint64 written;               /* the file's length */
  gboolean persisted;
} Patch;

/* A completion waiting for the file's hash. */
typedef struct
{
  CcTus *tus;
  Live *live;
  SoupServerMessage *msg;       /* NULL: completed at start-up */
} Completion;

static void complete (CcTus * tus, Live * live, SoupServerMessage * msg);

static void
live_free (gpointer data)
{
  Live *live = data;

  g_free (live->id);
  g_clear_pointer (&live->sum, cc_sha256_free);
  g_free (live);
}

static Live *
live_get (CcTus * tus, const CcUpload * upload)
{
  Live *live = g_hash_table_lookup (tus->live, upload->id);

  if (live)
    return live;
  live = g_new0 (Live, 1);
  live->id = g_strdup (upload->id);
  live->length = upload->length;
  live->offset = upload->offset;
  /* a hash can only be kept running from the first byte */
  if (upload->offset == 0)
    live->sum = cc_sha256_new ();
  g_hash_table_insert (tus->live, live->id, live);
  return live;
}

static gchar *
upload_path (CcTus * tus, const gchar * id)
{
  return g_build_filename (tus->server->uploads_dir, id, NULL);
}

/* The id in /api/uploads/ID, "" for /api/uploads, NULL for other paths. */
static const gchar *
path_id (const gchar * path)
{
  const gchar *rest = path + strlen ("/api/uploads");

  if (!g_str_has_prefix (path, "/api/uploads"))
    return NULL;
  if (*rest == '\0')
    return "";
  if (*rest != '/' || strchr (rest + 1, '/'))
    return NULL;
  return rest + 1;
}

static SoupMessageHeaders *
response_headers (SoupServerMessage * msg)
{
  return soup_server_message_get_response_headers (msg);
}

static void
set_offset_header (SoupServerMessage * msg, gint64 offset)
{
  g_autofree gchar *text = g_strdup_printf ("%" G_GINT64_FORMAT, offset);

  soup_message_headers_replace (response_headers (msg), "Upload-Offset",
      text);
}

static void
internal_error (SoupServerMessage * msg, const gchar * what)
{
  cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "%s",
      what);
}

/* Tus-Resumable: 1.0.0 on every request but OPTIONS, or 412. */
static gboolean
check_tus_resumable (SoupServerMessage * msg)
{
  if (g_strcmp0 (cc_http_header (msg, "Tus-Resumable"), TUS_VERSION) == 0)
    return TRUE;
  soup_message_headers_replace (response_headers (msg), "Tus-Version",
      TUS_VERSION);
  cc_http_error (msg, SOUP_STATUS_PRECONDITION_FAILED, "tus_version",
      "send Tus-Resumable: " TUS_VERSION);
  return FALSE;
}

/* Whether @auth may see @upload: a worker its own outputs only, people
 * no worker's. */
static gboolean
sees_upload (const CcAuth * auth, const CcUpload * upload)
{
  if (auth->user->role == CC_ROLE_WORKER)
    return upload->kind == CC_UPLOAD_OUTPUT &&
        upload->user_id == auth->user->id;
  return upload->kind != CC_UPLOAD_OUTPUT &&
      cc_auth_sees_unit (auth, upload->unit_id);
}

/* The upload @id if @auth may see it; otherwise answers 404 (or 500). */
static CcUpload *
visible_upload (CcTus * tus, const CcAuth * auth, const gchar * id,
    SoupServerMessage * msg)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (CcUpload) upload = NULL;

  if (cc_secret_id_valid (id))
    upload = cc_store_upload_get (tus->server->store, id, &err);
  if (upload && sees_upload (auth, upload))
    return g_steal_pointer (&upload);
  if (err && !g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    internal_error (msg, err->message);
  else
    cc_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
        "no such upload");
  return NULL;
}

/* ------------------------------------------------------------------ */
/* PATCH: the early part, from the head alone.                          */

static gboolean
write_at (gint fd, const guint8 * data, gsize len, gint64 offset, gint * err)
{
  while (len > 0) {
    gssize n = pwrite (fd, data, len, offset);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      *err = errno;
      return FALSE;
    }
    data += n;
    len -= n;
    offset += n;
  }
  return TRUE;
}

/* Writes what the buffer holds. On failure the upload goes back to what
 * the file has (the running hash, ahead of it, is dropped: the file is
 * hashed at completion instead). */
static gboolean
patch_flush (Patch * p, gint * err)
{
  Live *live = p->live;

  if (p->buffered == 0)
    return TRUE;
  if (!write_at (p->fd, p->buf, p->buffered, p->written, err)) {
    live->offset = p->written;
    g_clear_pointer (&live->sum, cc_sha256_free);
    p->buffered = 0;
    return FALSE;
  }
  p->written += p->buffered;
  p->buffered = 0;
  return TRUE;
}

/* What a PATCH received so far is made durable and recorded, once.
 * FALSE with *e set when the last bytes could not be written: the offset
 * recorded is then what the file has. */
static gboolean
patch_persist (Patch * p, gint * e)
{
  g_autoptr (GError) err = NULL;
  gboolean ok = TRUE;

  if (p->persisted || p->live == NULL)
    return TRUE;
  p->persisted = TRUE;
  if (!patch_flush (p, e)) {
    g_warning ("upload %s: %s", p->live->id, g_strerror (*e));
    ok = FALSE;
  }
  if (fdatasync (p->fd) != 0)
    g_warning ("upload %s: fdatasync: %s", p->live->id, g_strerror (errno));
  if (!cc_store_upload_set_offset (p->tus->server->store, p->live->id,
          p->live->offset, &err))
    g_warning ("upload %s: %s", p->live->id, err->message);
  return ok;
}

/* A PATCH whose bytes could not be stored: 507 when the disk is full. */
static void
write_failed (SoupServerMessage * msg, Live * live, gint err)
{
  cc_http_error (msg, err == ENOSPC || err == EDQUOT ?
      SOUP_STATUS_INSUFFICIENT_STORAGE : SOUP_STATUS_INTERNAL_SERVER_ERROR,
      "write_failed", "cannot store the upload: %s", g_strerror (err));
  set_offset_header (msg, live->offset);
}

/* Ends a PATCH however it went: its bytes recorded, its lock released. */
static void
patch_end (Patch * p)
{
  gint e = 0;

  if (p->tus == NULL)
    return;
  patch_persist (p, &e);
  if (p->live)
    p->live->busy = FALSE;
  close (p->fd);
  p->fd = -1;
  p->tus->patches = g_list_remove (p->tus->patches, p);
  p->tus = NULL;
}

static void
patch_free (gpointer data)
{
  Patch *p = data;

  patch_end (p);
  g_free (p->buf);
  g_free (p);
}

/* Takes one chunk: into the buffer, which is written when full. */
static gboolean
patch_take (Patch * p, const guint8 * data, gsize len, gint * err)
{
  if (p->buffered + len > WRITE_BLOCK && !patch_flush (p, err))
    return FALSE;
  if (len >= WRITE_BLOCK) {
    if (!write_at (p->fd, data, len, p->written, err))
      return FALSE;
    p->written += len;
    return TRUE;
  }
  memcpy (p->buf + p->buffered, data, len);
  p->buffered += len;
  return TRUE;
}

static void
patch_got_chunk (SoupServerMessage * msg, GBytes * chunk, Patch * p)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (chunk, &len);
  Live *live = p->live;
  gint err = 0;

  if (p->tus == NULL || live == NULL || soup_server_message_get_status (msg))
    return;
  if (!patch_take (p, data, len, &err)) {
    write_failed (msg, live, err);
    return;
  }
  if (live->sum && live->hashed == live->offset) {
    cc_sha256_update (live->sum, data, len);
    live->hashed += len;
  }
  live->offset += len;
}

static void
patch_finished (SoupServerMessage * msg, Patch * p)
{
  g_signal_handlers_disconnect_by_data (msg, p);
  g_object_set_data (G_OBJECT (msg), "cc-patch", NULL);
}

/* Takes the upload for this request: opens its file at the offset and
 * streams the body into it. */
static gboolean
patch_start (CcTus * tus, SoupServerMessage * msg, Live * live)
{
  g_autofree gchar *path = upload_path (tus, live->id);
  gint fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  Patch *p;

  /* the file is exactly the bytes received: cut anything past them */
  if (fd < 0 || ftruncate (fd, live->offset) != 0) {
    internal_error (msg, g_strerror (errno));
    if (fd >= 0)
      close (fd);
    return FALSE;
  }
  live->busy = TRUE;
  p = g_new0 (Patch, 1);
  p->tus = tus;
  p->live = live;
  p->fd = fd;
  p->buf = g_malloc (WRITE_BLOCK);
  p->written = live->offset;
  tus->patches = g_list_prepend (tus->patches, p);
  soup_message_body_set_accumulate (soup_server_message_get_request_body
      (msg), FALSE);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (patch_got_chunk), p);
  g_signal_connect (msg, "finished", G_CALLBACK (patch_finished), p);
  g_object_set_data_full (G_OBJECT (msg), "cc-patch", p, patch_free);
  return TRUE;
}

/* Checks a PATCH against its upload's state: offset, length, lock. */
static gboolean
patch_check_upload (CcTus * tus, SoupServerMessage * msg,
    const CcUpload * upload, Live ** out)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  gint64 at, size, offset;
  Live *live = NULL;

  if (!cc_http_parse_size (cc_http_header (msg, "Upload-Offset"), &at)) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_offset",
        "send Upload-Offset: the number of bytes already received");
    return FALSE;
  }
  if (upload->completed_at == 0)
    live = live_get (tus, upload);
  offset = live ? live->offset : upload->length;
  if (live && live->busy) {
    cc_http_error (msg, SOUP_STATUS_LOCKED, "locked",
        "another request is writing to this upload");
    return FALSE;
  }
  if (at != offset) {
    set_offset_header (msg, offset);
    cc_http_error (msg, SOUP_STATUS_CONFLICT, "offset_mismatch",
        "the upload is at byte %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT
        "; ask with HEAD and resume from there", offset, at);
    return FALSE;
  }
  if (soup_message_headers_get_encoding (h) != SOUP_ENCODING_CONTENT_LENGTH) {
    cc_http_error (msg, SOUP_STATUS_LENGTH_REQUIRED, "length_required",
        "send the chunk with a Content-Length");
    return FALSE;
  }
  size = soup_message_headers_get_content_length (h);
  if (size > upload->length - at) {
    cc_http_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
        "the upload's length is %" G_GINT64_FORMAT " bytes; this chunk "
        "would end at %" G_GINT64_FORMAT, upload->length, at + size);
    return FALSE;
  }
  *out = live;
  return TRUE;
}

static gboolean
patch_check (CcTus * tus, SoupServerMessage * msg, const gchar * id)
{
  const gchar *type = cc_http_header (msg, "Content-Type");
  g_autoptr (CcAuth) auth = NULL;
  g_autoptr (CcUpload) upload = NULL;
  Live *live = NULL;

  if (!cc_http_check_head (msg))
    return FALSE;
  if (id == NULL || *id == '\0') {
    if (id == NULL)
      cc_http_not_found (msg);
    else
      cc_http_method_not_allowed (msg, "OPTIONS, GET, POST");
    return FALSE;
  }
  auth = cc_auth_request_for (tus->server, msg, CC_AUTH_ANYONE);
  if (auth == NULL || !check_tus_resumable (msg))
    return FALSE;
  if (g_strcmp0 (type, OFFSET_TYPE) != 0) {
    cc_http_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type", "send the bytes as " OFFSET_TYPE);
    return FALSE;
  }
  upload = visible_upload (tus, auth, id, msg);
  if (upload == NULL || !patch_check_upload (tus, msg, upload, &live))
    return FALSE;
  if (live == NULL) {
    /* an empty PATCH at the end of a complete upload */
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
    set_offset_header (msg, upload->length);
    return TRUE;
  }
  return patch_start (tus, msg, live);
}

/* The early handler of /api/uploads: a PATCH is checked and set to stream
 * from its head; other methods get the JSON body limit. */
static void
tus_early (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  CcTus *tus = data;

  soup_message_headers_replace (response_headers (msg), "Tus-Resumable",
      TUS_VERSION);
  if (soup_server_message_get_method (msg) != METHOD_PATCH) {
    cc_http_limit_body (msg, CC_HTTP_JSON_LIMIT);
    return;
  }
  if (!patch_check (tus, msg, path_id (path)))
    cc_http_reject_body (msg, tus->server->options.max_upload);
}

/* PATCH, once the whole body has arrived. */
static void
patch_body_done (CcTus * tus, SoupServerMessage * msg)
{
  Patch *p = g_object_get_data (G_OBJECT (msg), "cc-patch");
  Live *live;
  gint err = 0;

  if (p == NULL || p->live == NULL) {
    internal_error (msg, "the upload was not prepared");
    return;
  }
  live = p->live;
  if (!patch_persist (p, &err)) {
    write_failed (msg, live, err);
    return;
  }
  if (live->offset < live->length) {
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
    set_offset_header (msg, live->offset);
    return;
  }
  /* the last byte: the completion takes the upload over from the PATCH */
  p->live = NULL;
  complete (tus, live, msg);
}

/* ------------------------------------------------------------------ */
/* Completion: the file's SHA-256 recorded.                             */

static void
hash_file (GTask * task, gpointer source, gpointer task_data,
    GCancellable * cancellable)
{
  GError *err = NULL;
  gchar *sha256 = cc_sha256_file (task_data, NULL, cancellable, &err);

  if (sha256)
    g_task_return_pointer (task, sha256, g_free);
  else
    g_task_return_error (task, err);
}

/* Records the upload as complete and answers the request that ended it. */
static void
complete_with (CcTus * tus, Live * live, const gchar * sha256,
    SoupServerMessage * msg)
{
  g_autoptr (GError) err = NULL;

  if (!cc_store_upload_complete (tus->server->store, live->id, sha256,
          g_get_real_time () / G_USEC_PER_SEC, &err)) {
    g_warning ("upload %s: %s", live->id, err->message);
    live->busy = FALSE;
    if (msg)
      internal_error (msg, err->message);
    return;
  }
  if (msg) {
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
    set_offset_header (msg, live->length);
  }
  g_hash_table_remove (tus->live, live->id);
}

static void
hashed (GObject * source, GAsyncResult * res, gpointer data)
{
  Completion *c = data;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *sha256 = g_task_propagate_pointer (G_TASK (res), &err);

  c->tus->hashing--;
  if (sha256) {
    complete_with (c->tus, c->live, sha256, c->msg);
  } else if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    /* the server is stopping: the next start completes the upload */
    if (c->msg)
      cc_http_error (c->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "stopping",
          "the server is stopping; ask with HEAD after it is back");
  } else {
    g_warning ("upload %s: %s", c->live->id, err->message);
    c->live->busy = FALSE;
    if (c->msg)
      internal_error (c->msg, err->message);
  }
  if (c->msg) {
    cc_watchdog_release (c->tus->server->watchdog, c->msg);
    /* unless the connection went while the request waited */
    if (soup_server_message_get_socket (c->msg))
      soup_server_message_unpause (c->msg);
    g_object_unref (c->msg);
  }
  g_free (c);
}

/* The upload's bytes are all there: record its hash, from the running one
 * or, after a restart lost it, from the file in a thread. */
static void
complete (CcTus * tus, Live * live, SoupServerMessage * msg)
{
  g_autoptr (GTask) task = NULL;
  Completion *c;

  live->busy = TRUE;
  if (live->sum && live->hashed == live->length) {
    g_autofree gchar *sha256 = cc_sha256_hex (live->sum);

    complete_with (tus, live, sha256, msg);
    return;
  }
  c = g_new0 (Completion, 1);
  c->tus = tus;
  c->live = live;
  if (msg) {
    c->msg = g_object_ref (msg);
    soup_server_message_pause (msg);
    cc_watchdog_hold (tus->server->watchdog, msg);
  }
  task = g_task_new (NULL, tus->cancellable, hashed, c);
  g_task_set_task_data (task, upload_path (tus, live->id), g_free);
  tus->hashing++;
  g_task_run_in_thread (task, hash_file);
}

/* ------------------------------------------------------------------ */
/* Creation.                                                            */

static gboolean
base64_strict (const gchar * s)
{
  gsize len = strlen (s), pad = 0;

  if (len % 4 != 0)
    return FALSE;
  for (gsize i = 0; i < len; i++) {
    if (s[i] == '=' && i >= len - 2)
      pad++;
    else if (pad > 0 || !(g_ascii_isalnum (s[i]) || s[i] == '+' || s[i] ==
            '/'))
      return FALSE;
  }
  return TRUE;
}

/* A client's file name: shown, never used as a path. */
static gboolean
filename_valid (const gchar * name, gsize len)
{
  if (len == 0 || len > FILENAME_MAX_BYTES || strlen (name) != len ||
      !g_utf8_validate (name, len, NULL))
    return FALSE;
  for (gsize i = 0; i < len; i++) {
    if ((guchar) name[i] < 0x20 || name[i] == 0x7f)
      return FALSE;
  }
  return TRUE;
}

/* Reads "key base64,key base64" into @meta (key -> decoded value). */
static gboolean
parse_metadata (const gchar * header, GHashTable * meta, gchar ** problem)
{
  g_auto (GStrv) pairs = g_strsplit (header, ",", 64);

  for (guint i = 0; pairs[i]; i++) {
    gchar *pair = g_strstrip (pairs[i]);
    gchar *space = strchr (pair, ' ');
    const gchar *value = space ? space + 1 : "";
    gsize len = 0;
    guchar *decoded;

    if (space)
      *space = '\0';
    if (*pair == '\0' || !base64_strict (value) ||
        g_hash_table_contains (meta, pair)) {
      *problem = g_strdup_printf ("Upload-Metadata: bad pair '%s'", pair);
      return FALSE;
    }
    decoded = g_base64_decode (*value ? value : "", &len);
    g_hash_table_insert (meta, g_strdup (pair), g_strndup ((gchar *) decoded,
            len));
    if (strcmp (pair, "filename") == 0 && !filename_valid ((gchar *) decoded,
            len)) {
      *problem = g_strdup ("Upload-Metadata: the filename must be 1 to 255 "
          "bytes of UTF-8 text");
      g_free (decoded);
      return FALSE;
    }
    g_free (decoded);
  }
  return TRUE;
}

/* Reads the new upload's length and metadata from the head; answers 400
 * or 413 when they will not do. An output's metadata names the job,
 * attempt and owner it is an output of (*@owner). */
static gboolean
creation_request (CcTus * tus, SoupServerMessage * msg, CcUpload * upload,
    gchar ** owner)
{
  const gchar *meta_header = cc_http_header (msg, "Upload-Metadata");
  g_autoptr (GHashTable) meta = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, g_free);
  g_autofree gchar *problem = NULL;
  gint64 max = tus->server->options.max_upload;

  if (soup_server_message_get_request_body (msg)->length > 0)
    problem = g_strdup ("send the bytes with PATCH after creating the "
        "upload (creation-with-upload is not supported)");
  else if (!cc_http_parse_size (cc_http_header (msg, "Upload-Length"),
          &upload->length))
    problem = g_strdup ("send Upload-Length: the file's size in bytes");
  else if (meta_header == NULL)
    problem = g_strdup ("send Upload-Metadata with the kind");
  else if (parse_metadata (meta_header, meta, &problem) &&
      !cc_upload_kind_from_string (g_hash_table_lookup (meta, "kind"),
          &upload->kind))
    problem = g_strdup ("Upload-Metadata: kind must be video, captions or "
        "logo (output: from a worker)");
  else if (upload->kind == CC_UPLOAD_OUTPUT) {
    const gchar *attempt = g_hash_table_lookup (meta, "attempt");
    guint64 n = 0;

    /* checked once the user is known to be a worker */
    upload->job_id = g_strdup (g_hash_table_lookup (meta, "job"));
    *owner = g_strdup (g_hash_table_lookup (meta, "owner"));
    if (attempt && g_ascii_string_to_unsigned (attempt, 10, 1, G_MAXINT, &n,
            NULL))
      upload->attempt = (gint) n;
  }
  if (problem) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_upload", "%s", problem);
    return FALSE;
  }
  /* a full cut is as large as a video */
  if (upload->kind != CC_UPLOAD_VIDEO && upload->kind != CC_UPLOAD_OUTPUT)
    max = MIN (max, CC_TUS_SMALL_MAX);
  if (upload->length > max) {
    cc_http_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
        "a %s upload may have at most %" G_GINT64_FORMAT " bytes",
        cc_upload_kind_to_string (upload->kind), max);
    return FALSE;
  }
  upload->filename = g_strdup (g_hash_table_lookup (meta, "filename"));
  return TRUE;
}

/* Creates the record, then the file: a crash between the two leaves a
 * record whose file the start-up check makes. */
static gboolean
creation_store (CcTus * tus, CcUpload * upload, GError ** error)
{
  g_autofree gchar *path = NULL;
  gint fd;

  upload->id = cc_secret_new_id (error);
  if (upload->id == NULL ||
      !cc_store_upload_add (tus->server->store, upload, error))
    return FALSE;
  path = upload_path (tus, upload->id);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "%s: %s", path, g_strerror (errno));
    cc_store_upload_remove (tus->server->store, upload->id, NULL);
    return FALSE;
  }
  close (fd);
  if (upload->length == 0)
    return cc_store_upload_complete (tus->server->store, upload->id,
        EMPTY_SHA256, upload->created_at, error);
  return TRUE;
}

static void
route_create (CcTus * tus, SoupServerMessage * msg, const CcAuth * auth)
{
  g_autoptr (CcUpload) upload = g_new0 (CcUpload, 1);
  g_autoptr (GError) err = NULL;
  g_autofree gchar *location = NULL, *owner = NULL;
  g_autoptr (JsonObject) reply = json_object_new ();

  if (!check_tus_resumable (msg) ||
      !creation_request (tus, msg, upload, &owner))
    return;
  if ((upload->kind == CC_UPLOAD_OUTPUT) !=
      (auth->user->role == CC_ROLE_WORKER)) {
    cc_http_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "%s",
        upload->kind == CC_UPLOAD_OUTPUT ? "only workers send outputs" :
        "a worker sends only outputs (kind output)");
    return;
  }
  /* an output only of an attempt its worker holds (409 otherwise) */
  if (upload->kind == CC_UPLOAD_OUTPUT && (!cc_secret_id_valid
          (upload->job_id) || upload->attempt < 1 || owner == NULL)) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_upload",
        "Upload-Metadata: an output names its job, attempt and owner");
    return;
  }
  if (upload->kind == CC_UPLOAD_OUTPUT &&
      !cc_worker_api_holds (tus->server->workers, msg, auth, upload->job_id,
          upload->attempt, owner))
    return;
  upload->unit_id = auth->user->role == CC_ROLE_SUBMITTER ?
      auth->user->unit_id : 0;
  upload->user_id = auth->user->id;
  upload->created_at = g_get_real_time () / G_USEC_PER_SEC;
  if (upload->filename == NULL)
    upload->filename = g_strdup ("");
  if (!creation_store (tus, upload, &err)) {
    internal_error (msg, err->message);
    return;
  }
  location = g_strdup_printf ("/api/uploads/%s", upload->id);
  soup_message_headers_replace (response_headers (msg), "Location",
      location);
  set_offset_header (msg, 0);
  json_object_set_string_member (reply, "id", upload->id);
  json_object_set_string_member (reply, "location", location);
  cc_http_reply_object (msg, SOUP_STATUS_CREATED, reply);
}

/* ------------------------------------------------------------------ */
/* The other methods.                                                   */

static gchar *
encode_metadata (const CcUpload * upload)
{
  const gchar *kind = cc_upload_kind_to_string (upload->kind);
  g_autofree gchar *k = g_base64_encode ((const guchar *) kind, strlen (kind));
  g_autofree gchar *f = g_base64_encode ((const guchar *) upload->filename,
      strlen (upload->filename));

  return g_strdup_printf ("kind %s,filename %s", k, f);
}

/**
 * cc_tus_completing:
 *
 * Whether upload @id has all its bytes and is being hashed (after a
 * restart, in a thread): complete in a moment, not yet recorded so.
 */
gboolean
cc_tus_completing (CcTus * tus, const gchar * id)
{
  Live *live = tus ? g_hash_table_lookup (tus->live, id) : NULL;

  return live && live->busy && live->offset == live->length;
}

static gint64
current_offset (CcTus * tus, const CcUpload * upload)
{
  Live *live = g_hash_table_lookup (tus->live, upload->id);

  if (upload->completed_at)
    return upload->length;
  return live ? live->offset : upload->offset;
}

static void
route_head (CcTus * tus, SoupServerMessage * msg, const CcUpload * upload)
{
  g_autofree gchar *length = g_strdup_printf ("%" G_GINT64_FORMAT,
      upload->length);
  g_autofree gchar *meta = encode_metadata (upload);

  if (!check_tus_resumable (msg))
    return;
  set_offset_header (msg, current_offset (tus, upload));
  soup_message_headers_replace (response_headers (msg), "Upload-Length",
      length);
  soup_message_headers_replace (response_headers (msg), "Upload-Metadata",
      meta);
  soup_message_headers_replace (response_headers (msg), "Cache-Control",
      "no-store");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

static void
route_delete (CcTus * tus, SoupServerMessage * msg, const CcUpload * upload)
{
  Live *live = g_hash_table_lookup (tus->live, upload->id);
  g_autoptr (GError) err = NULL;
  g_autofree gchar *path = upload_path (tus, upload->id);

  if (!check_tus_resumable (msg))
    return;
  if (live && live->busy) {
    cc_http_error (msg, SOUP_STATUS_LOCKED, "locked",
        "the upload is being written to");
    return;
  }
  if (!cc_store_upload_remove (tus->server->store, upload->id, &err)) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_EMPTY))
      cc_http_error (msg, SOUP_STATUS_CONFLICT, "in_use",
          "the upload is used by a job");
    else
      internal_error (msg, err->message);
    return;
  }
  /* the record goes first: a crash here leaves a file the start-up
   * check removes, never a record without its file */
  if (g_unlink (path) != 0 && errno != ENOENT)
    g_warning ("%s: %s", path, g_strerror (errno));
  g_hash_table_remove (tus->live, upload->id);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static gchar *
iso_time (gint64 t)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return g_date_time_format_iso8601 (dt);
}

static JsonObject *
upload_to_json (CcTus * tus, const CcUpload * upload)
{
  JsonObject *o = json_object_new ();
  g_autofree gchar *location = g_strdup_printf ("/api/uploads/%s",
      upload->id);
  g_autofree gchar *created = iso_time (upload->created_at);
  g_autofree gchar *completed = upload->completed_at ?
      iso_time (upload->completed_at) : NULL;

  json_object_set_string_member (o, "id", upload->id);
  json_object_set_string_member (o, "location", location);
  json_object_set_string_member (o, "kind",
      cc_upload_kind_to_string (upload->kind));
  json_object_set_string_member (o, "filename", upload->filename);
  json_object_set_int_member (o, "length", upload->length);
  json_object_set_int_member (o, "offset", current_offset (tus, upload));
  json_object_set_boolean_member (o, "complete", upload->completed_at != 0);
  json_object_set_string_member (o, "sha256", upload->sha256);
  json_object_set_string_member (o, "created_at", created);
  json_object_set_string_member (o, "completed_at", completed);
  return o;
}

static void
route_list (CcTus * tus, SoupServerMessage * msg, const CcAuth * auth)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) uploads = NULL;
  g_autoptr (JsonObject) reply = json_object_new ();
  JsonArray *array = json_array_new ();

  uploads = cc_store_upload_list (tus->server->store,
      auth->user->role == CC_ROLE_SUBMITTER ? auth->user->unit_id : 0,
      FALSE, &err);
  json_object_set_array_member (reply, "uploads", array);
  if (uploads == NULL) {
    internal_error (msg, err->message);
    return;
  }
  for (guint i = 0; i < uploads->len; i++) {
    if (sees_upload (auth, uploads->pdata[i]))
      json_array_add_object_element (array, upload_to_json (tus,
              uploads->pdata[i]));
  }
  cc_http_reply_object (msg, SOUP_STATUS_OK, reply);
}

static void
route_options (SoupServerMessage * msg, gint64 max_upload)
{
  SoupMessageHeaders *h = response_headers (msg);
  g_autofree gchar *max = g_strdup_printf ("%" G_GINT64_FORMAT, max_upload);

  soup_message_headers_replace (h, "Tus-Version", TUS_VERSION);
  soup_message_headers_replace (h, "Tus-Extension", TUS_EXTENSIONS);
  soup_message_headers_replace (h, "Tus-Max-Size", max);
  soup_message_headers_replace (h, "Allow",
      "OPTIONS, GET, HEAD, POST, PATCH, DELETE");
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* The methods on one upload, once it is known to be visible. */
static void
route_item (CcTus * tus, SoupServerMessage * msg, const CcAuth * auth,
    const gchar * id)
{
  const gchar *method = soup_server_message_get_method (msg);
  g_autoptr (CcUpload) upload = NULL;

  if (method == METHOD_PATCH) {
    patch_body_done (tus, msg);
    return;
  }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD &&
      method != SOUP_METHOD_DELETE) {
    cc_http_method_not_allowed (msg, "OPTIONS, GET, HEAD, PATCH, DELETE");
    return;
  }
  upload = visible_upload (tus, auth, id, msg);
  if (upload == NULL)
    return;
  if (method == SOUP_METHOD_HEAD) {
    route_head (tus, msg, upload);
  } else if (method == SOUP_METHOD_DELETE) {
    route_delete (tus, msg, upload);
  } else {
    g_autoptr (JsonObject) o = upload_to_json (tus, upload);
    cc_http_reply_object (msg, SOUP_STATUS_OK, o);
  }
}

static void
route_uploads (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  CcTus *tus = data;
  const gchar *id = path_id (path);
  const gchar *method = soup_server_message_get_method (msg);
  g_autoptr (CcAuth) auth = NULL;

  if (id == NULL) {
    cc_http_not_found (msg);
    return;
  }
  if (method == SOUP_METHOD_OPTIONS) {
    route_options (msg, tus->server->options.max_upload);
    return;
  }
  /* a PATCH was authenticated from its head, before its body */
  if (method != METHOD_PATCH) {
    auth = cc_auth_request_for (tus->server, msg, CC_AUTH_ANYONE);
    if (auth == NULL)
      return;
  }
  if (*id == '\0' && method == SOUP_METHOD_GET &&
      auth->user->role == CC_ROLE_WORKER) {
    cc_http_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "a worker's "
        "token lists no uploads");
    return;
  }
  if (*id != '\0')
    route_item (tus, msg, auth, id);
  else if (method == SOUP_METHOD_POST)
    route_create (tus, msg, auth);
  else if (method == SOUP_METHOD_GET)
    route_list (tus, msg, auth);
  else
    cc_http_method_not_allowed (msg, "OPTIONS, GET, POST");
}

/* ------------------------------------------------------------------ */
/* Start-up: files and records agree again.                             */

/* An incomplete upload's offset is its file's length (crash-safe: bytes
 * are appended in order). A missing file starts again from 0. */
static void
reconcile_upload (CcTus * tus, CcUpload * upload)
{
  g_autofree gchar *path = upload_path (tus, upload->id);
  g_autoptr (GError) err = NULL;
  GStatBuf st;
  gint64 size = 0;

  if (g_lstat (path, &st) == 0 && S_ISREG (st.st_mode)) {
    size = MIN (st.st_size, upload->length);
    if (st.st_size > upload->length && truncate (path, size) != 0)
      g_warning ("%s: %s", path, g_strerror (errno));
  } else {
    gint fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
        O_NOFOLLOW, 0600);

    g_warning ("upload %s: its file was missing; it starts again from 0",
        upload->id);
    if (fd >= 0)
      close (fd);
  }
  if (size != upload->offset && !cc_store_upload_set_offset (tus->server->
          store, upload->id, size, &err))
    g_warning ("upload %s: %s", upload->id, err->message);
  upload->offset = size;
  if (size == upload->length)
    complete (tus, live_get (tus, upload), NULL);
}

/* Files named like uploads that have no record (a crash mid-termination). */
static void
remove_orphans (CcTus * tus, GPtrArray * all)
{
  g_autoptr (GDir) dir = g_dir_open (tus->server->uploads_dir, 0, NULL);
  g_autoptr (GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  const gchar *name;

  for (guint i = 0; i < all->len; i++)
    g_hash_table_add (known, ((CcUpload *) all->pdata[i])->id);
  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree gchar *path = NULL;

    if (!cc_secret_id_valid (name) || g_hash_table_contains (known, name))
      continue;
    path = upload_path (tus, name);
    if (g_unlink (path) != 0)
      g_warning ("%s: %s", path, g_strerror (errno));
  }
}

static gboolean
reconcile (CcTus * tus, GError ** error)
{
  g_autoptr (GPtrArray) all = cc_store_upload_list (tus->server->store, 0,
      FALSE, error);

  if (all == NULL)
    return FALSE;
  remove_orphans (tus, all);
  for (guint i = 0; i < all->len; i++) {
    CcUpload *upload = all->pdata[i];

    if (upload->completed_at == 0)
      reconcile_upload (tus, upload);
  }
  return TRUE;
}

/**
 * cc_tus_new:
 *
 * Brings the uploads folder and the records into agreement (finishing
 * uploads whose last byte arrived just before a crash) when no other
 * server uses the data folder, and adds the /api/uploads routes to
 * @server.
 */
CcTus *
cc_tus_new (CcServer * server, GError ** error)
{
  CcTus *tus = g_new0 (CcTus, 1);

  tus->server = server;
  tus->live = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      live_free);
  tus->cancellable = g_cancellable_new ();
  /* not while another server (PostgreSQL) writes the uploads it has under
   * way: they would look like a crash's */
  if (server->alone && !reconcile (tus, error)) {
    cc_tus_free (tus);
    return NULL;
  }
  soup_server_add_handler (server->soup, "/api/uploads", route_uploads, tus,
      NULL);
  soup_server_add_early_handler (server->soup, "/api/uploads", tus_early,
      tus, NULL);
  return tus;
}

/* Ends what is under way: PATCHes record their offsets, hashing threads
 * are cancelled and waited for (their uploads complete at the next
 * start). */
void
cc_tus_free (CcTus * tus)
{
  if (tus == NULL)
    return;
  while (tus->patches)
    patch_end (tus->patches->data);
  g_cancellable_cancel (tus->cancellable);
  while (tus->hashing > 0)
    g_main_context_iteration (NULL, TRUE);
  g_hash_table_unref (tus->live);
  g_object_unref (tus->cancellable);
  g_free (tus);
}
