/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccsandbox: whether jobs can run under bubblewrap on this machine, and
 * the sandbox a job runs in.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *bwrap;                 /* the bwrap program found, NULL: none */
  gboolean namespaces;          /* it could make a sandbox here */
  gboolean sized_tmp;           /* with a /tmp of bounded size (bwrap 0.8) */
  gchar *detail;                /* why not, when it could not */
} CcSandbox;

/* Where a job's files are inside its sandbox. */
#define CC_SANDBOX_IN_DIR "/job/in"
#define CC_SANDBOX_OUT_DIR "/job/out"
#define CC_SANDBOX_REGISTRY "/job/gst-registry.bin"

/* One job's sandbox. */
typedef struct
{
  const gchar *exe;             /* the campuscut program */
  const gchar *out_dir;         /* the attempt's folder: the only one written */
  const gchar *registry;        /* GStreamer's registry (read only), NULL */
  GPtrArray *inputs;            /* host path, name in CC_SANDBOX_IN_DIR, ... */
  gint64 tmp_bytes;             /* the size of its /tmp */
} CcSandboxJob;

void cc_sandbox_probe (CcSandbox * sandbox);
void cc_sandbox_clear (CcSandbox * sandbox);
GPtrArray *cc_sandbox_job_args (const CcSandbox * sandbox,
    const CcSandboxJob * job);

G_END_DECLS
