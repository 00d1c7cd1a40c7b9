/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccchild: one attempt of a job as a process tree.
 *
 * The server runs its own program (/proc/self/exe) twice in one sandbox,
 * through /bin/sh:
 *
 *   campuscut process IN/video.EXT -o OUT --progress=json --max-time=S
 *       --max-output-size=MB [--threads=N] [--captions=IN/captions.EXT]
 *       [--logo=IN/logo.EXT] [the job's options] [--only=platform]
 *   && exec campuscut contact-sheet --progress=json
 *       --layout=OUT/contact.json OUT/full.mp4 OUT/contact.jpg
 *
 * so that the exit status is process's unless it succeeded (then the
 * contact sheet's). A platform cut made again (--only=platform) finds the
 * full cut, its report and its contact sheet already in OUT (the runner
 * seeds them) and makes no new sheet. Every argument is a word of its own: no value is ever
 * parsed by the shell or read as an option. Standard output is the JSON
 * progress (one object a line), standard error goes to the attempt's log.
 *
 * Inputs appear under their upload kind's name, with the client's
 * extension when it is a known one (a caption or logo reader may go by
 * it), never under the client's name. Under bubblewrap they are bound
 * read-only into the sandbox (ccsandbox.c); without it they are symbolic
 * links in the job's folder.
 *
 * The tree is a process group of its own (so that one kill reaches the
 * shell and what it runs) whose leader dies with the server (parent death
 * signal; bwrap's --die-with-parent takes the sandbox with it).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "campuscut-serve"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>

#include "ccchild.h"
#include "ccjobspec.h"

#define TMP_BYTES (512 * 1024 * 1024)
#define SCRIPT \
  "exe=$1 out=$2 sheet=$3; shift 3; \"$exe\" \"$@\" || exit; " \
  "[ \"$sheet\" = sheet ] || exit 0; " \
  "exec \"$exe\" contact-sheet --progress=json " \
  "--layout=\"$out/contact.json\" \"$out/full.mp4\" " \
  "\"$out/contact.jpg\""

static const gchar *const video_exts[] = {
  "mp4", "mov", "m4v", "mkv", "webm", "avi", "flv", "wmv", "ts", "mts",
  "m2ts", "mpg", "mpeg", "vob", "3gp", "mxf", "y4m", "dv", "ogv", NULL
};
static const gchar *const captions_exts[] = { "srt", "vtt", "ass", "ssa",
  NULL
};
static const gchar *const logo_exts[] = { "png", "jpg", "jpeg", "svg",
  NULL
};

/* The input's name in the job: its kind, and a known extension. */
static gchar *
input_name (const CcUpload * upload)
{
  const gchar *const *exts = upload->kind == CC_UPLOAD_VIDEO ? video_exts :
      upload->kind == CC_UPLOAD_CAPTIONS ? captions_exts : logo_exts;
  const gchar *kind = cc_upload_kind_to_string (upload->kind);
  const gchar *dot = upload->filename ? strrchr (upload->filename, '.') :
      NULL;
  g_autofree gchar *ext = dot ? g_ascii_strdown (dot + 1, -1) : NULL;

  if (ext && g_strv_contains (exts, ext))
    return g_strdup_printf ("%s.%s", kind, ext);
  return g_strdup (kind);
}

/* Gives the inputs their names: in the sandbox, bound; without it,
 * symbolic links in DIR/in. Returns the folder they appear in. */
static gchar *
place_inputs (const CcChildConfig * config, GPtrArray * uploads,
    const gchar * dir, GPtrArray * binds, GError ** error)
{
  g_autofree gchar *in_dir = config->sandbox ? g_strdup (CC_SANDBOX_IN_DIR) :
      g_build_filename (dir, "in", NULL);

  if (!config->sandbox && g_mkdir_with_parents (in_dir, 0700) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s",
        in_dir, g_strerror (errno));
    return NULL;
  }
  for (guint i = 0; i < uploads->len; i++) {
    const CcUpload *u = uploads->pdata[i];
    g_autofree gchar *host = g_build_filename (config->uploads_dir, u->id,
        NULL);
    g_autofree gchar *name = input_name (u);
    g_autofree gchar *link = NULL;

    if (config->sandbox) {
      g_ptr_array_add (binds, g_steal_pointer (&host));
      g_ptr_array_add (binds, g_steal_pointer (&name));
      continue;
    }
    link = g_build_filename (in_dir, name, NULL);
    if (symlink (host, link) != 0) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
          "%s: %s", link, g_strerror (errno));
      return NULL;
    }
  }
  return g_steal_pointer (&in_dir);
}

static void
add_input_arg (GPtrArray * args, const gchar * flag, const gchar * in_dir,
    const CcUpload * upload)
{
  g_autofree gchar *name = input_name (upload);
  g_autofree gchar *path = g_build_filename (in_dir, name, NULL);

  if (flag)
    g_ptr_array_add (args, g_strdup_printf ("%s=%s", flag, path));
  else
    g_ptr_array_add (args, g_steal_pointer (&path));
}

/* The shell and the two commands' arguments, after the sandbox's. */
static gboolean
add_commands (const CcChildConfig * config, const CcJobRecord * job,
    GPtrArray * uploads, const gchar * in_dir, const gchar * out_dir,
    GPtrArray * args, GError ** error)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_ptr_array_add (args, g_strdup ("/bin/sh"));
  g_ptr_array_add (args, g_strdup ("-c"));
  g_ptr_array_add (args, g_strdup (SCRIPT));
  g_ptr_array_add (args, g_strdup ("campuscut-job"));
  g_ptr_array_add (args, g_strdup (config->exe));
  g_ptr_array_add (args, g_strdup (out_dir));
  g_ptr_array_add (args, g_strdup (config->only_platform ? "no-sheet" :
          "sheet"));
  g_ptr_array_add (args, g_strdup ("process"));
  add_input_arg (args, NULL, in_dir, uploads->pdata[0]);
  g_ptr_array_add (args, g_strdup_printf ("--output=%s", out_dir));
  g_ptr_array_add (args, g_strdup ("--progress=json"));
  g_ptr_array_add (args, g_strdup_printf ("--max-time=%s",
          g_ascii_dtostr (buf, sizeof (buf), config->max_time_s)));
  g_ptr_array_add (args, g_strdup_printf ("--max-output-size=%d",
          config->max_output_mb));
  if (config->threads > 0)
    g_ptr_array_add (args, g_strdup_printf ("--threads=%u", config->threads));
  for (guint i = 1; i < uploads->len; i++) {
    const CcUpload *u = uploads->pdata[i];

    add_input_arg (args, u->kind == CC_UPLOAD_CAPTIONS ? "--captions" :
        "--logo", in_dir, u);
  }
  if (!cc_job_spec_append_args (job->options, args, error))
    return FALSE;
  if (config->only_platform)
    g_ptr_array_add (args, g_strdup ("--only=platform"));
  return TRUE;
}

/* In the child, before exec: a process group of its own, and death with
 * the server. */
static void
child_setup (gpointer data)
{
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Whether the server's environment variable @name reaches a job: what
 * finds programs, plugins and libraries, language and time zone, GLib's and
 * GStreamer's debugging, sanitizers, campuscut's own. Nothing else (tokens,
 * database addresses, proxies) goes to a process that parses untrusted
 * media and whose outputs the submitter downloads. */
static gboolean
passed_to_job (const gchar * name)
{
  static const gchar *const exact[] = { "PATH", "HOME", "TMPDIR", "LANG",
    "LANGUAGE", "TZ", "LD_LIBRARY_PATH", "G_DEBUG", "G_MESSAGES_DEBUG", "G_SLICE",
    "MALLOC_ARENA_MAX", "ORC_CODE", NULL
  };
  static const gchar *const prefix[] = { "LC_", "GST_", "CAMPUSCUT_",
    "FONTCONFIG_", "ASAN_", "LSAN_", "UBSAN_", NULL
  };

  if (g_strv_contains (exact, name))
    return TRUE;
  for (guint i = 0; prefix[i]; i++) {
    if (g_str_has_prefix (name, prefix[i]))
      return TRUE;
  }
  return FALSE;
}

static gchar **
job_environ (void)
{
  g_auto (GStrv) env = g_get_environ ();
  GPtrArray *kept = g_ptr_array_new ();

  for (guint i = 0; env[i]; i++) {
    g_autofree gchar *name = g_strndup (env[i], strcspn (env[i], "="));

    if (passed_to_job (name))
      g_ptr_array_add (kept, g_strdup (env[i]));
  }
  g_ptr_array_add (kept, NULL);
  return (gchar **) g_ptr_array_free (kept, FALSE);
}

static GSubprocessLauncher *
new_launcher (const CcChildConfig * config, const gchar * log_path)
{
  GSubprocessLauncher *l = g_subprocess_launcher_new
      (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_auto (GStrv) env = job_environ ();

  g_subprocess_launcher_set_environ (l, env);
  g_subprocess_launcher_set_stdin_file_path (l, "/dev/null");
  g_subprocess_launcher_set_stderr_file_path (l, log_path);
  g_subprocess_launcher_set_child_setup (l, child_setup, NULL, NULL);
  if (config->registry && config->sandbox == NULL) {
    g_subprocess_launcher_setenv (l, "GST_REGISTRY_1_0", config->registry,
        TRUE);
    g_subprocess_launcher_unsetenv (l, "GST_REGISTRY");
  }
  return l;
}

/**
 * cc_child_spawn:
 * @uploads: (element-type CcUpload): the video first, then captions and
 *   logo if the job has them
 * @dir: the job's folder (its log goes there)
 * @run_dir: the attempt's folder, the outputs' (made by the caller)
 *
 * Returns: (transfer full): the process tree's leader, or NULL
 */
GSubprocess *
cc_child_spawn (const CcChildConfig * config, const CcJobRecord * job,
    GPtrArray * uploads, const gchar * dir, const gchar * run_dir,
    GError ** error)
{
  g_autoptr (GPtrArray) binds = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) args = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autofree gchar *in_dir = NULL, *log_name = NULL, *log_path = NULL;

  in_dir = place_inputs (config, uploads, dir, binds, error);
  if (in_dir == NULL)
    return NULL;
  if (config->sandbox) {
    CcSandboxJob sj = { config->exe, run_dir, config->registry, binds,
      TMP_BYTES
    };
    args = cc_sandbox_job_args (config->sandbox, &sj);
  } else {
    args = g_ptr_array_new_with_free_func (g_free);
  }
  if (!add_commands (config, job, uploads, in_dir, config->sandbox ?
          CC_SANDBOX_OUT_DIR : run_dir, args, error))
    return NULL;
  g_ptr_array_add (args, NULL);
  log_name = g_strdup_printf ("attempt-%d.log", job->attempt);
  log_path = g_build_filename (dir, log_name, NULL);
  launcher = new_launcher (config, log_path);
  return g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) args->pdata, error);
}

/* Kills the whole tree at once: the shell, what it runs, the sandbox. */
void
cc_child_kill (GSubprocess * proc)
{
  const gchar *id = g_subprocess_get_identifier (proc);
  gint64 pid;

  if (id && g_ascii_string_to_signed (id, 10, 2, G_MAXINT, &pid, NULL))
    kill (-(pid_t) pid, SIGKILL);
}

/**
 * cc_child_line_parse:
 * @line: (out caller-allocates): cleared with cc_child_line_clear()
 * @text: one line of `campuscut process --progress=json`
 *
 * Reads what the runners keep of a progress line: the progress, the
 * phase, the final message; @line->object is the whole line, for those
 * who pass it on.
 *
 * Returns: FALSE when @text is not a JSON object (nothing to clear)
 */
gboolean
cc_child_line_parse (CcChildLine * line, const gchar * text)
{
  JsonParser *parser = json_parser_new_immutable ();
  JsonObject *o;
  const gchar *event;

  memset (line, 0, sizeof (*line));
  if (!json_parser_load_from_data (parser, text, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_object_unref (parser);
    return FALSE;
  }
  o = json_node_get_object (json_parser_get_root (parser));
  line->parser = parser;
  line->object = o;
  event = json_object_get_string_member_with_default (o, "event", "");
  if (strcmp (event, "progress") == 0) {
    line->kind = CC_CHILD_LINE_PROGRESS;
    line->progress = CLAMP (json_object_get_double_member_with_default (o,
            "percent", 0) / 100.0, 0.0, 1.0);
  } else if (strcmp (event, "phase") == 0) {
    line->kind = CC_CHILD_LINE_PHASE;
    line->phase = json_object_get_string_member_with_default (o, "phase",
        NULL);
  } else if (strcmp (event, "result") == 0 || strcmp (event, "error") == 0) {
    line->kind = CC_CHILD_LINE_END;
    line->message = json_object_get_string_member_with_default (o,
        "message", NULL);
  }
  return TRUE;
}

void
cc_child_line_clear (CcChildLine * line)
{
  g_clear_object (&line->parser);
  line->object = NULL;
}

void
cc_child_lines_init (CcChildLines * lines, gsize max)
{
  lines->buf = g_string_new (NULL);
  lines->max = max;
  lines->skipping = FALSE;
}

/* Calls @func for each whole line in @data (without its newline); what
 * follows the last newline waits for the next call. */
void
cc_child_lines_feed (CcChildLines * lines, const gchar * data, gsize len,
    CcChildLineFunc func, gpointer user_data)
{
  for (gsize i = 0; i < len; i++) {
    if (data[i] != '\n') {
      if (!lines->skipping && lines->buf->len < lines->max)
        g_string_append_c (lines->buf, data[i]);
      else
        lines->skipping = TRUE;
      continue;
    }
    if (!lines->skipping)
      func (lines->buf->str, user_data);
    g_string_truncate (lines->buf, 0);
    lines->skipping = FALSE;
  }
}

void
cc_child_lines_clear (CcChildLines * lines)
{
  if (lines->buf)
    g_string_free (lines->buf, TRUE);
  lines->buf = NULL;
}

/**
 * cc_child_prepare_registry:
 *
 * Brings the jobs' GStreamer plugin registry up to date, outside any
 * sandbox: jobs read it but cannot write it, and without one each would
 * scan every plugin first (seconds). It is the one the server's
 * environment names (GST_REGISTRY_1_0, GST_REGISTRY), or else
 * DATA/cache/gst-registry.bin.
 *
 * Returns: (transfer full) (nullable): the registry's path, or NULL when
 *   it could not be made (jobs then scan for themselves)
 */
gchar *
cc_child_prepare_registry (const gchar * exe, const gchar * data_dir)
{
  const gchar *named = g_getenv ("GST_REGISTRY_1_0") ?
      g_getenv ("GST_REGISTRY_1_0") : g_getenv ("GST_REGISTRY");
  g_autofree gchar *cache = g_build_filename (data_dir, "cache", NULL);
  g_autofree gchar *path = named && g_path_is_absolute (named) ?
      g_strdup (named) : g_build_filename (cache, "gst-registry.bin", NULL);
  const gchar *argv[] = { exe, "contact-sheet", "--init-only", NULL };
  g_auto (GStrv) env = g_get_environ ();
  g_autofree gchar *err_text = NULL;
  g_autoptr (GError) err = NULL;
  gint status = 0;

  if (named == NULL)
    g_mkdir_with_parents (cache, 0700);
  env = g_environ_setenv (env, "GST_REGISTRY_1_0", path, TRUE);
  env = g_environ_unsetenv (env, "GST_REGISTRY");
  if (!g_spawn_sync (NULL, (gchar **) argv, env,
          G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err_text, &status,
          &err) || !g_spawn_check_wait_status (status, &err) ||
      !g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    g_message ("GStreamer's registry for jobs could not be prepared (%s); "
        "each job scans the plugins itself", err ? err->message : err_text);
    return NULL;
  }
  return g_steal_pointer (&path);
}
