/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccpack: a unit's submission pack, GET /api/exports/pack?unit=ID&round=N.
 *
 * One ZIP with the unit's approved works of the round:
 *
 *   单位_类别_标题.mp4               each full cut
 *   平台短视频/单位_类别_标题.mp4    each platform cut
 *   榜样故事我来说成果视频推荐汇总表.xlsx, 未来工匠说成果视频推荐汇总表.xlsx,
 *   榜样故事我来说典型事迹信息表.xlsx   the unit's rows of the tables
 *
 * Names are UTF-8 with the ZIP's UTF-8 flag (bit 11) set, so that
 * Windows' Explorer shows them in Chinese, and safe there (ccexport.c).
 * Videos are stored, not compressed again: they are compressed already.
 *
 * The ZIP is written in a thread into a temporary file in DATA/tmp/ (the
 * request waits, paused, the watchdog told so), each video read a block
 * at a time and checked against the SHA-256 recorded for it: a file that
 * is not the one approved fails the pack (409) instead of being sent.
 * The file is then served mapped, as outputs are, and removed at once
 * (the mapping keeps it until the answer is written); on any failure it
 * is removed too. A pack is made anew for each request, so it is served
 * whole, without ranges.
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
#include <sys/statvfs.h>
#include <glib/gstdio.h>
#include <archive.h>
#include <archive_entry.h>

#include "cchttp.h"
#include "ccexport.h"
#include "ccjobs.h"
#include "ccrange.h"
#include "ccsha256.h"

#define BLOCK (1024 * 1024)
#define PLATFORM_FOLDER "平台短视频"

/* Packs written at once; more wait for 503's Retry-After. */
#define MAX_PACKS_AT_ONCE 2

typedef struct
{
  gchar *path;
  gchar *name;                  /* in the ZIP */
  gchar *sha256;                /* what it must be, NULL: not checked */
  gint64 mtime;
} Member;

typedef struct
{
  CcServer *server;
  SoupServerMessage *msg;
  GPtrArray *members;
  GPtrArray *tmp_files;         /* the tables, removed at the end */
  gchar *zip_path;
  gchar *ascii, *name;          /* of the attachment */
  gboolean platform_folder;
} Pack;

static void
member_free (Member * m)
{
  g_free (m->path);
  g_free (m->name);
  g_free (m->sha256);
  g_free (m);
}

static void
pack_free (Pack * p)
{
  for (guint i = 0; p->tmp_files && i < p->tmp_files->len; i++)
    g_unlink (p->tmp_files->pdata[i]);
  if (p->zip_path)
    g_unlink (p->zip_path);
  g_clear_pointer (&p->members, g_ptr_array_unref);
  g_clear_pointer (&p->tmp_files, g_ptr_array_unref);
  g_clear_object (&p->msg);
  g_free (p->zip_path);
  g_free (p->ascii);
  g_free (p->name);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Pack, pack_free)

/* ------------------------------------------------------------------ */
/* In the thread.                                                       */

static gboolean
archive_failed (struct archive *a, const gchar * what, GError ** error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what,
      archive_error_string (a) ? archive_error_string (a) : "failed");
  return FALSE;
}

/* Copies one file into the ZIP, a block at a time, and checks it is the
 * one recorded. */
static gboolean
copy_member (struct archive *a, const Member * m, gint fd, guint8 * buf,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (CcSha256) sum = cc_sha256_new ();
  g_autofree gchar *got = NULL;
  gssize n;

  while ((n = read (fd, buf, BLOCK)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
          "%s: %s", m->path, g_strerror (errno));
      return FALSE;
    }
    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return FALSE;
    cc_sha256_update (sum, buf, n);
    if (archive_write_data (a, buf, n) != n)
      return archive_failed (a, m->name, error);
  }
  got = cc_sha256_hex (sum);
  if (m->sha256 && g_ascii_strcasecmp (got, m->sha256) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not "
        "the file that was approved (its SHA-256 differs)", m->name);
    return FALSE;
  }
  return TRUE;
}

static gboolean
write_member (struct archive *a, const Member * m, guint8 * buf,
    GCancellable * cancellable, GError ** error)
{
  struct archive_entry *e;
  struct stat st;
  gboolean ok;
  gint fd = g_open (m->path, O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0 || fstat (fd, &st) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s",
        m->path, g_strerror (errno));
    if (fd >= 0)
      close (fd);
    return FALSE;
  }
  e = archive_entry_new ();
  archive_entry_set_pathname_utf8 (e, m->name);
  archive_entry_set_size (e, st.st_size);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0644);
  archive_entry_set_mtime (e, m->mtime, 0);
  ok = archive_write_header (a, e) == ARCHIVE_OK ||
      archive_failed (a, m->name, error);
  archive_entry_free (e);
  ok = ok && copy_member (a, m, fd, buf, cancellable, error);
  close (fd);
  return ok && (archive_write_finish_entry (a) == ARCHIVE_OK ||
      archive_failed (a, m->name, error));
}

static gboolean
write_folder (struct archive *a, const gchar * name, GError ** error)
{
  struct archive_entry *e = archive_entry_new ();
  gboolean ok;

  archive_entry_set_pathname_utf8 (e, name);
  archive_entry_set_filetype (e, AE_IFDIR);
  archive_entry_set_perm (e, 0755);
  archive_entry_set_mtime (e, g_get_real_time () / G_USEC_PER_SEC, 0);
  ok = archive_write_header (a, e) == ARCHIVE_OK ||
      archive_failed (a, name, error);
  archive_entry_free (e);
  return ok;
}

static gboolean
write_zip (Pack * p, GCancellable * cancellable, GError ** error)
{
  struct archive *a = archive_write_new ();
  g_autofree guint8 *buf = g_malloc (BLOCK);
  gboolean ok;

  /* names as UTF-8, with the flag that says so; nothing compressed */
  ok = (archive_write_set_format_zip (a) == ARCHIVE_OK &&
      archive_write_set_options (a, "zip:hdrcharset=UTF-8,"
          "zip:compression=store") == ARCHIVE_OK &&
      archive_write_open_filename (a, p->zip_path) == ARCHIVE_OK) ||
      archive_failed (a, p->zip_path, error);
  if (ok && p->platform_folder)
    ok = write_folder (a, PLATFORM_FOLDER, error);
  for (guint i = 0; ok && i < p->members->len; i++)
    ok = write_member (a, p->members->pdata[i], buf, cancellable, error);
  if (archive_write_close (a) != ARCHIVE_OK && ok)
    ok = archive_failed (a, p->zip_path, error);
  archive_write_free (a);
  return ok;
}

static void
zip_thread (GTask * task, gpointer source, gpointer task_data,
    GCancellable * cancellable)
{
  GError *err = NULL;

  if (write_zip (task_data, cancellable, &err))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, err);
}

/* ------------------------------------------------------------------ */
/* Back in the main loop.                                               */

static void
packed (GObject * source, GAsyncResult * res, gpointer data)
{
  g_autoptr (Pack) p = data;
  g_autoptr (GError) err = NULL;
  SoupServerMessage *msg = p->msg;
  SoupMessageHeaders *rh = soup_server_message_get_response_headers (msg);
  SoupMessageHeaders *qh = soup_server_message_get_request_headers (msg);

  p->server->exports_pending--;
  cc_watchdog_release (p->server->watchdog, msg);
  if (!g_task_propagate_boolean (G_TASK (res), &err)) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
      cc_http_error (msg, SOUP_STATUS_CONFLICT, "outputs_changed", "%s",
          err->message);
    else if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      cc_http_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "stopping",
          "the server is stopping");
    else {
      g_warning ("pack: %s", err->message);
      cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
          "the pack could not be made; the server's log says why");
    }
  } else {
    /* a new file for each request: whole, never a part of another one */
    soup_message_headers_remove (qh, "Range");
    soup_message_headers_remove (qh, "If-Range");
    cc_range_serve_file (msg, p->zip_path, "application/zip", "\"\"");
    soup_message_headers_replace (rh, "Accept-Ranges", "none");
    soup_message_headers_remove (rh, "ETag");
    soup_message_headers_replace (rh, "Cache-Control", "no-store");
    cc_export_attachment (msg, p->ascii, p->name);
  }
  /* unless the connection went while the request waited */
  if (soup_server_message_get_socket (msg))
    soup_server_message_unpause (msg);
}

static void
add_member (Pack * p, const gchar * path, const gchar * name,
    const gchar * sha256, gint64 mtime)
{
  Member *m = g_new0 (Member, 1);

  m->path = g_strdup (path);
  m->name = g_strdup (name);
  m->sha256 = g_strdup (sha256);
  m->mtime = mtime;
  g_ptr_array_add (p->members, m);
}

/* The work's full cut at the top, its platform cut in the folder. */
static void
add_work (Pack * p, const CcWork * w)
{
  g_autoptr (JsonNode) node = cc_jobs_parse_stored (w->job->outputs);
  JsonArray *outputs = JSON_NODE_HOLDS_ARRAY (node) ?
      json_node_get_array (node) : NULL;

  for (guint i = 0; outputs && i < json_array_get_length (outputs); i++) {
    JsonObject *o = json_array_get_object_element (outputs, i);
    const gchar *name = json_object_get_string_member_with_default (o,
        "name", "");
    g_autofree gchar *path = NULL, *member = NULL;
    gboolean platform = strcmp (name, "platform.mp4") == 0;

    if (!platform && strcmp (name, "full.mp4") != 0)
      continue;
    path = g_build_filename (p->server->jobs_dir, w->job->id, "out", name,
        NULL);
    member = g_strdup_printf ("%s%s%s.mp4", platform ? PLATFORM_FOLDER : "",
        platform ? "/" : "", w->stem);
    add_member (p, path, member, json_object_get_string_member_with_default
        (o, "sha256", NULL), w->job->finished_at);
    p->platform_folder = p->platform_folder || platform;
  }
}

/* The unit's tables, written now (they are small). */
static gboolean
add_tables (Pack * p, GPtrArray * works, GError ** error)
{
  for (guint i = 0; i < cc_export_n_tables; i++) {
    const CcTableKind *kind = &cc_export_tables[i];
    g_autofree gchar *path = cc_export_tmp_path (p->server, ".xlsx", error);
    g_autofree gchar *name = NULL;

    if (path == NULL)
      return FALSE;
    g_ptr_array_add (p->tmp_files, g_strdup (path));
    if (!cc_export_write_xlsx (p->server, kind, works, path, error))
      return FALSE;
    name = g_strdup_printf ("%s.xlsx", kind->file);
    add_member (p, path, name, NULL, g_get_real_time () / G_USEC_PER_SEC);
  }
  return TRUE;
}

/* Whether the data folder's disk has room for a copy of the members (and
 * a margin for the database and uploads under way). */
static gboolean
room_for (Pack * p, GError ** error)
{
  const guint64 margin = 256 * 1024 * 1024;
  guint64 need = margin;
  struct statvfs fs;

  for (guint i = 0; i < p->members->len; i++) {
    const Member *m = p->members->pdata[i];
    GStatBuf st;

    if (g_stat (m->path, &st) == 0)
      need += (guint64) st.st_size;
  }
  if (statvfs (p->server->options.data_dir, &fs) != 0 ||
      (guint64) fs.f_bavail * fs.f_frsize >= need)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
      "the server's disk has no room for this pack (%" G_GUINT64_FORMAT
      " MB needed)", need / 1000000);
  return FALSE;
}

/**
 * cc_pack_serve:
 * @units: (element-type CcUnit): every unit, @unit among them
 *
 * Answers @msg with @unit's pack for @round, once it is written.
 */
void
cc_pack_serve (CcServer * server, SoupServerMessage * msg,
    const CcRound * round, const CcUnit * unit, GPtrArray * units)
{
  g_autoptr (Pack) p = g_new0 (Pack, 1);
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) works = NULL;
  g_autoptr (GTask) task = NULL;
  Pack *pack;

  /* each pack is a copy of a unit's videos on the data folder's disk:
   * a few at a time, not as many as clients ask for */
  if (server->exports_pending >= MAX_PACKS_AT_ONCE) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Retry-After", "30");
    cc_http_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "busy",
        "%u packs are being made; ask again in a moment", server->
        exports_pending);
    return;
  }
  p->server = server;
  p->members = g_ptr_array_new_with_free_func ((GDestroyNotify) member_free);
  p->tmp_files = g_ptr_array_new_with_free_func (g_free);
  works = cc_export_works (server, units, round->number, unit->id, &err);
  for (guint i = 0; works && i < works->len; i++)
    add_work (p, works->pdata[i]);
  if (works && !room_for (p, &err)) {
    cc_http_error (msg, SOUP_STATUS_INSUFFICIENT_STORAGE, "no_space", "%s",
        err->message);
    return;
  }
  if (works == NULL || !add_tables (p, works, &err) ||
      (p->zip_path = cc_export_tmp_path (server, ".zip", &err)) == NULL) {
    /* the details (paths in the data folder) are for the log */
    g_warning ("pack of unit %" G_GINT64_FORMAT ": %s", unit->id,
        err->message);
    cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
        "the pack could not be made; the server's log says why");
    return;
  }
  p->ascii = g_strdup_printf ("pack-unit-%" G_GINT64_FORMAT "-round-%d.zip",
      unit->id, round->number);
  {
    g_autofree gchar *safe = cc_export_safe_name (unit->name, 64);

    p->name = g_strdup_printf ("%s-第%d轮-报送材料.zip", safe, round->number);
  }
  p->msg = g_object_ref (msg);
  soup_server_message_pause (msg);
  cc_watchdog_hold (server->watchdog, msg);
  server->exports_pending++;
  pack = g_steal_pointer (&p);
  task = g_task_new (NULL, server->exports_cancellable, packed, pack);
  g_task_set_task_data (task, pack, NULL);
  g_task_run_in_thread (task, zip_thread);
}
