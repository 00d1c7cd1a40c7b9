/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccsandbox: the start-up check that decides whether jobs will run under
 * bubblewrap, and the sandbox each job runs in.
 *
 * bwrap being installed is not enough: containers and some kernels forbid
 * unprivileged user namespaces, so the check makes the same kind of
 * sandbox a job gets (every namespace unshared, a read-only root, a
 * bounded /tmp, a new session) and runs `true` in it, once, with a time
 * bound.
 *
 * A job's sandbox shows the system read-only (/usr and the few files of
 * /etc that programs need: fonts, the loader's cache, time zone, users),
 * an empty /tmp of bounded size, a private /dev and /proc, the campuscut
 * program with its plugin, the job's input files read-only under
 * CC_SANDBOX_IN_DIR, and one writable folder, the attempt's, as
 * CC_SANDBOX_OUT_DIR. Nothing else of the machine is there: not the data
 * folder, not other jobs, not /home, not the network (every namespace is
 * unshared). A demuxer that follows a playlist to another file or a URL
 * finds nothing to read. It dies with the server and runs in a session of
 * its own (no terminal to inject input into).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gio/gio.h>

#include "ccsandbox.h"

#define PROBE_TIMEOUT_S 10

static gboolean
probe_timeout (gpointer data)
{
  g_subprocess_force_exit (G_SUBPROCESS (data));
  return G_SOURCE_REMOVE;
}

static void
communicated (GObject * source, GAsyncResult * res, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (res);
}

/* Runs bwrap once in a private main context; TRUE when it exits 0. */
static gboolean
run_probe (const gchar * bwrap, gboolean sized, gchar ** detail)
{
  const gchar *head[] = { bwrap, "--ro-bind", "/", "/", "--dev", "/dev",
    "--proc", "/proc", "--unshare-all", "--die-with-parent", "--new-session"
  };
  const gchar *tail[] = { "--tmpfs", "/tmp", "--", "true", NULL };
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) err = NULL;
  g_autoptr (GSource) timer = NULL;
  g_autoptr (GAsyncResult) res = NULL;
  g_autofree gchar *errout = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (head); i++)
    g_ptr_array_add (argv, (gpointer) head[i]);
  if (sized) {
    /* bwrap 0.8 bounds a tmpfs: --size goes before the --tmpfs it sizes */
    g_ptr_array_add (argv, (gpointer) "--size");
    g_ptr_array_add (argv, (gpointer) "1048576");
  }
  for (guint i = 0; i < G_N_ELEMENTS (tail); i++)
    g_ptr_array_add (argv, (gpointer) tail[i]);
  g_main_context_push_thread_default (ctx);
  proc = g_subprocess_newv ((const gchar * const *) argv->pdata,
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &err);
  if (proc) {
    timer = g_timeout_source_new_seconds (PROBE_TIMEOUT_S);
    g_source_set_callback (timer, probe_timeout, proc, NULL);
    g_source_attach (timer, ctx);
    g_subprocess_communicate_utf8_async (proc, NULL, NULL, communicated,
        &res);
    while (res == NULL)
      g_main_context_iteration (ctx, TRUE);
    g_subprocess_communicate_utf8_finish (proc, res, NULL, &errout, &err);
    g_subprocess_wait (proc, NULL, NULL);
    g_source_destroy (timer);
  }
  g_main_context_pop_thread_default (ctx);
  if (proc == NULL || err) {
    *detail = g_strdup (err->message);
    return FALSE;
  }
  if (!g_subprocess_get_if_exited (proc) ||
      g_subprocess_get_exit_status (proc) != 0) {
    *detail = g_strdup (errout && *errout ? g_strstrip (errout) :
        "bwrap failed");
    return FALSE;
  }
  return TRUE;
}

/* Fills @sandbox with what this machine allows. */
void
cc_sandbox_probe (CcSandbox * sandbox)
{
  sandbox->bwrap = g_find_program_in_path ("bwrap");
  if (sandbox->bwrap == NULL) {
    sandbox->detail = g_strdup ("bubblewrap (bwrap) is not installed");
    return;
  }
  sandbox->sized_tmp = run_probe (sandbox->bwrap, TRUE, &sandbox->detail);
  if (!sandbox->sized_tmp) {
    /* an older bwrap: the sandbox's /tmp is then bounded by memory only */
    g_clear_pointer (&sandbox->detail, g_free);
    sandbox->namespaces = run_probe (sandbox->bwrap, FALSE, &sandbox->detail);
  } else {
    sandbox->namespaces = TRUE;
  }
}

void
cc_sandbox_clear (CcSandbox * sandbox)
{
  g_clear_pointer (&sandbox->bwrap, g_free);
  g_clear_pointer (&sandbox->detail, g_free);
  sandbox->namespaces = FALSE;
}

/* What of /etc programs read: fonts, the loader, time, users and groups,
 * the alternatives some libraries are reached through. */
static const gchar *const etc_paths[] = {
  "/etc/fonts", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
  "/etc/localtime", "/etc/timezone", "/etc/passwd", "/etc/group",
  "/etc/nsswitch.conf", "/etc/alternatives", "/etc/gstreamer-1.0",
  "/var/cache/fontconfig",
};

/* The top-level folders that merged-/usr systems make symlinks. */
static const gchar *const usr_links[] = {
  "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
};

static void
add (GPtrArray * args, const gchar * a, const gchar * b, const gchar * c)
{
  g_ptr_array_add (args, g_strdup (a));
  if (b)
    g_ptr_array_add (args, g_strdup (b));
  if (c)
    g_ptr_array_add (args, g_strdup (c));
}

static void
add_system (GPtrArray * args)
{
  add (args, "--ro-bind", "/usr", "/usr");
  for (guint i = 0; i < G_N_ELEMENTS (usr_links); i++) {
    g_autofree gchar *target = g_file_read_link (usr_links[i], NULL);

    if (target)
      add (args, "--symlink", target, usr_links[i]);
    else
      add (args, "--ro-bind-try", usr_links[i], usr_links[i]);
  }
  for (guint i = 0; i < G_N_ELEMENTS (etc_paths); i++)
    add (args, "--ro-bind-try", etc_paths[i], etc_paths[i]);
}

/* The program and what it loads from beside it: a build tree whole (the
 * plugin and the catalogues are in it), or else the installed plugin and
 * catalogues, and the folders GStreamer is told to search. */
static void
add_program (GPtrArray * args, const gchar * exe)
{
  g_autofree gchar *dir = g_path_get_dirname (exe);
  const gchar *vars[] = { "GST_PLUGIN_PATH_1_0", "GST_PLUGIN_PATH",
    "GST_PLUGIN_SYSTEM_PATH_1_0", "GST_PLUGIN_SYSTEM_PATH",
    "CAMPUSCUT_LOCALEDIR"
  };

  if (strcmp (dir, BUILD_PIPELINES_DIR) == 0) {
    g_autofree gchar *build = g_path_get_dirname (dir);

    add (args, "--ro-bind", build, build);
  } else {
    add (args, "--ro-bind", exe, exe);
    add (args, "--ro-bind-try", CAMPUSCUT_PLUGIN_INSTALL_DIR,
        CAMPUSCUT_PLUGIN_INSTALL_DIR);
    add (args, "--ro-bind-try", LOCALEDIR, LOCALEDIR);
  }
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++) {
    g_auto (GStrv) dirs = NULL;

    if (g_getenv (vars[i]) == NULL)
      continue;
    dirs = g_strsplit (g_getenv (vars[i]), G_SEARCHPATH_SEPARATOR_S, -1);
    for (guint k = 0; dirs[k]; k++) {
      if (g_path_is_absolute (dirs[k]))
        add (args, "--ro-bind-try", dirs[k], dirs[k]);
    }
  }
}

/* The job's own: inputs read-only, its folder writable, a private
 * environment for caches and temporary files. */
static void
add_job (GPtrArray * args, const CcSandboxJob * job, gboolean sized_tmp)
{
  g_autofree gchar *tmp_size = g_strdup_printf ("%" G_GINT64_FORMAT,
      job->tmp_bytes);

  add (args, "--dev", "/dev", NULL);
  add (args, "--proc", "/proc", NULL);
  if (sized_tmp)
    add (args, "--size", tmp_size, NULL);
  add (args, "--tmpfs", "/tmp", NULL);
  for (guint i = 0; job->inputs && i + 1 < job->inputs->len; i += 2) {
    g_autofree gchar *inside = g_build_filename (CC_SANDBOX_IN_DIR,
        (const gchar *) job->inputs->pdata[i + 1], NULL);

    add (args, "--ro-bind", job->inputs->pdata[i], inside);
  }
  if (job->registry) {
    add (args, "--ro-bind", job->registry, CC_SANDBOX_REGISTRY);
    add (args, "--setenv", "GST_REGISTRY_1_0", CC_SANDBOX_REGISTRY);
    add (args, "--unsetenv", "GST_REGISTRY", NULL);
  }
  add (args, "--bind", job->out_dir, CC_SANDBOX_OUT_DIR);
  add (args, "--chdir", CC_SANDBOX_OUT_DIR, NULL);
  add (args, "--setenv", "HOME", "/tmp");
  add (args, "--setenv", "TMPDIR", "/tmp");
  add (args, "--setenv", "XDG_CACHE_HOME", "/tmp/.cache");
  add (args, "--unsetenv", "XDG_RUNTIME_DIR", NULL);
}

/**
 * cc_sandbox_job_args:
 *
 * Returns: (transfer full) (element-type utf8): bwrap and its arguments,
 *   up to and including "--": the command to run inside follows
 */
GPtrArray *
cc_sandbox_job_args (const CcSandbox * sandbox, const CcSandboxJob * job)
{
  GPtrArray *args = g_ptr_array_new_with_free_func (g_free);

  add (args, sandbox->bwrap, "--unshare-all", "--die-with-parent");
  add (args, "--new-session", NULL, NULL);
  add_system (args);
  add_job (args, job, sandbox->sized_tmp);
  add_program (args, job->exe);
  add (args, "--", NULL, NULL);
  return args;
}
