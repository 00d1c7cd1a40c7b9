/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccsandbox: the start-up check that decides whether jobs will run under
 * bubblewrap. bwrap being installed is not enough: containers and some
 * kernels forbid unprivileged user namespaces, so the check makes the same
 * kind of sandbox a job gets (every namespace unshared, a read-only root)
 * and runs `true` in it, once, with a time bound.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

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
run_probe (const gchar * bwrap, gchar ** detail)
{
  const gchar *argv[] = { bwrap, "--ro-bind", "/", "/", "--dev", "/dev",
    "--proc", "/proc", "--unshare-all", "--die-with-parent", "--",
    "true", NULL
  };
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) err = NULL;
  g_autoptr (GSource) timer = NULL;
  g_autoptr (GAsyncResult) res = NULL;
  g_autofree gchar *errout = NULL;

  g_main_context_push_thread_default (ctx);
  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE, &err);
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
  sandbox->namespaces = run_probe (sandbox->bwrap, &sandbox->detail);
}

void
cc_sandbox_clear (CcSandbox * sandbox)
{
  g_clear_pointer (&sandbox->bwrap, g_free);
  g_clear_pointer (&sandbox->detail, g_free);
  sandbox->namespaces = FALSE;
}
