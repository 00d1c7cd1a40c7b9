/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccjobdir: what a job leaves on disk, and when.
 *
 *   DATA/jobs/ID/run-N/        attempt N's folder, the only one its
 *                              process may write (its sandbox's /job/out)
 *   DATA/jobs/ID/out/          what the last attempt delivered
 *   DATA/jobs/ID/attempt-N.log attempt N's standard error
 *
 * Each attempt writes into a folder of its own, so that nothing an
 * earlier attempt left (its process killed mid-write, a server killed
 * with it, or, without the sandbox, a process that outlived its server)
 * can mix with a later one's files. Before an attempt runs, everything of
 * the job's but the logs and later attempts' folders is removed (with
 * several servers, an attempt whose lease was taken back may still be
 * preparing on one while the next runs on another: it must not remove
 * the next one's folder). When it ends, its folder keeps only
 * the known outputs (all of them when the job is done, report.json
 * otherwise: a killed process's temporaries never reach out/) and becomes
 * out/ in one rename. The outputs are flushed to disk and hashed before
 * the job is recorded as done.
 *
 * A platform cut made again starts from the outputs it keeps: before out/
 * goes, they are hard-linked into the new attempt's folder (the seeds),
 * and when that attempt fails they stay, so that a retry still finds the
 * full cut.
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
#include <json-glib/json-glib.h>

#include "ccjobdir.h"
#include "ccjobs.h"
#include "ccsha256.h"

#define OUT_NAME "out"

static gboolean
set_errno_error (GError ** error, const gchar * path, gint e)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", path,
      g_strerror (e));
  return FALSE;
}

/**
 * cc_job_dir_remove_tree:
 *
 * Removes @path and, if it is a folder, everything in it; symbolic links
 * are removed, never followed. A missing @path is no error.
 */
gboolean
cc_job_dir_remove_tree (const gchar * path, GError ** error)
{
  GStatBuf st;
  g_autoptr (GDir) dir = NULL;
  const gchar *name;

  if (g_lstat (path, &st) != 0)
    return errno == ENOENT ? TRUE : set_errno_error (error, path, errno);
  if (!S_ISDIR (st.st_mode))
    return g_unlink (path) == 0 || errno == ENOENT ||
        set_errno_error (error, path, errno);
  dir = g_dir_open (path, 0, error);
  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir))) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);

    if (!cc_job_dir_remove_tree (child, error))
      return FALSE;
  }
  return g_rmdir (path) == 0 || set_errno_error (error, path, errno);
}

/* Whether @name is the folder of an attempt after @attempt. */
static gboolean
is_later_run (const gchar * name, gint attempt)
{
  gchar *end;
  gint64 n;

  if (!g_str_has_prefix (name, "run-"))
    return FALSE;
  n = g_ascii_strtoll (name + 4, &end, 10);
  return end != name + 4 && *end == '\0' && n > attempt;
}

static gboolean
is_log (const gchar * name)
{
  return g_str_has_prefix (name, "attempt-") && g_str_has_suffix (name,
      ".log");
}

/* Links what out/ holds of the outputs into @run_dir. Returns FALSE only
 * on a failure other than a missing output. */
static gboolean
seed_outputs (const gchar * dir, const gchar * run_dir, GError ** error)
{
  for (guint i = 0; i < cc_job_n_outputs; i++) {
    const gchar *name = cc_job_outputs[i].name;
    g_autofree gchar *from = g_build_filename (dir, OUT_NAME, name, NULL);
    g_autofree gchar *to = g_build_filename (run_dir, name, NULL);

    if (link (from, to) != 0 && errno != ENOENT)
      return set_errno_error (error, to, errno);
  }
  return TRUE;
}

/**
 * cc_job_dir_prepare:
 * @dir: the job's folder, made if missing
 * @seed: give the attempt the outputs the job has (a platform cut made
 *   again beside them)
 *
 * Clears the job's folder but for the attempts' logs and the folders of
 * later attempts, and makes the attempt's own.
 *
 * Returns: (transfer full): the attempt's folder, or NULL
 */
gchar *
cc_job_dir_prepare (const gchar * dir, gint attempt, gboolean seed,
    GError ** error)
{
  g_autoptr (GDir) d = NULL;
  g_autofree gchar *run_dir = NULL, *run_name = NULL, *out = NULL;
  const gchar *name;

  if (g_mkdir_with_parents (dir, 0700) != 0) {
    set_errno_error (error, dir, errno);
    return NULL;
  }
  d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return NULL;
  while ((name = g_dir_read_name (d))) {
    g_autofree gchar *path = g_build_filename (dir, name, NULL);

    if (!is_log (name) && strcmp (name, OUT_NAME) != 0 &&
        !is_later_run (name, attempt) &&
        !cc_job_dir_remove_tree (path, error))
      return NULL;
  }
  run_name = g_strdup_printf ("run-%d", attempt);
  run_dir = g_build_filename (dir, run_name, NULL);
  if (g_mkdir (run_dir, 0700) != 0) {
    set_errno_error (error, run_dir, errno);
    return NULL;
  }
  out = g_build_filename (dir, OUT_NAME, NULL);
  if ((seed && !seed_outputs (dir, run_dir, error)) ||
      !cc_job_dir_remove_tree (out, error))
    return NULL;
  return g_steal_pointer (&run_dir);
}

/**
 * cc_job_dir_forget_runs:
 *
 * At start: removes every attempt's folder that a stopped server left, in
 * every job's folder under @jobs_dir.
 */
void
cc_job_dir_forget_runs (const gchar * jobs_dir)
{
  g_autoptr (GDir) jobs = g_dir_open (jobs_dir, 0, NULL);
  const gchar *job;

  while (jobs && (job = g_dir_read_name (jobs))) {
    g_autofree gchar *dir = g_build_filename (jobs_dir, job, NULL);
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    const gchar *name;

    while (d && (name = g_dir_read_name (d))) {
      g_autofree gchar *path = g_build_filename (dir, name, NULL);
      g_autoptr (GError) err = NULL;

      if (g_str_has_prefix (name, "run-") &&
          !cc_job_dir_remove_tree (path, &err))
        g_warning ("%s", err->message);
    }
  }
}

static gboolean
is_kept (const gchar * name, gboolean done)
{
  if (!done)
    return strcmp (name, "report.json") == 0;
  /* the known outputs, and nothing else (a remade cut's temporaries) */
  for (guint i = 0; i < cc_job_n_outputs; i++) {
    if (strcmp (cc_job_outputs[i].name, name) == 0)
      return TRUE;
  }
  return FALSE;
}

/**
 * cc_job_dir_keep:
 * @done: whether the attempt succeeded: all its outputs are kept, else
 *   only its report, unless @seeded
 * @seeded: the attempt started from the job's outputs (a platform cut
 *   made again), which stay whatever happened
 *
 * Makes @run_dir, with only what is kept of it, the job's out/ folder.
 */
gboolean
cc_job_dir_keep (const gchar * dir, const gchar * run_dir, gboolean done,
    gboolean seeded, GError ** error)
{
  g_autofree gchar *out = g_build_filename (dir, OUT_NAME, NULL);
  g_autoptr (GDir) d = g_dir_open (run_dir, 0, error);
  const gchar *name;

  if (d == NULL)
    return FALSE;
  while ((name = g_dir_read_name (d))) {
    g_autofree gchar *path = g_build_filename (run_dir, name, NULL);
    GStatBuf st;

    if (g_lstat (path, &st) == 0 && S_ISREG (st.st_mode) &&
        is_kept (name, done || seeded))
      continue;
    if (!cc_job_dir_remove_tree (path, error))
      return FALSE;
  }
  if (!cc_job_dir_remove_tree (out, error))
    return FALSE;
  if (g_rename (run_dir, out) != 0)
    return set_errno_error (error, out, errno);
  return TRUE;
}

/* The SHA-256 of one file, flushed to disk first. */
static gchar *
hash_file (const gchar * path, gint64 * size, GCancellable * cancellable,
    GError ** error)
{
  gint fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

  if (fd < 0) {
    set_errno_error (error, path, errno);
    return NULL;
  }
  if (fsync (fd) != 0)
    g_warning ("%s: fsync: %s", path, g_strerror (errno));
  close (fd);
  return cc_sha256_file (path, size, cancellable, error);
}

/**
 * cc_job_dir_hash_outputs:
 *
 * Flushes the outputs in @out_dir (and the folder) to disk and hashes
 * them; runs in a thread (a 2 GB output takes seconds).
 *
 * Returns: (transfer full): a JSON array of {name, size, sha256}, in the
 *   order of cc_job_outputs, or NULL
 */
gchar *
cc_job_dir_hash_outputs (const gchar * out_dir, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (JsonArray) outputs = json_array_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  g_autofree gchar *parent = NULL;
  gint fd;

  for (guint i = 0; i < cc_job_n_outputs; i++) {
    g_autofree gchar *path = g_build_filename (out_dir,
        cc_job_outputs[i].name, NULL);
    g_autofree gchar *sha256 = NULL;
    JsonObject *o;
    gint64 size = 0;

    if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
      continue;
    sha256 = hash_file (path, &size, cancellable, error);
    if (sha256 == NULL)
      return NULL;
    o = json_object_new ();
    json_object_set_string_member (o, "name", cc_job_outputs[i].name);
    json_object_set_int_member (o, "size", size);
    json_object_set_string_member (o, "sha256", sha256);
    json_array_add_object_element (outputs, o);
  }
  /* the rename that made out/ is durable too */
  parent = g_path_get_dirname (out_dir);
  fd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync (fd);
    close (fd);
  }
  json_node_set_array (node, outputs);
  return json_to_string (node, FALSE);
}
