/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccsandbox: whether jobs can run under bubblewrap on this machine.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *bwrap;                 /* the bwrap program found, NULL: none */
  gboolean namespaces;          /* it could make a sandbox here */
  gchar *detail;                /* why not, when it could not */
} CcSandbox;

void cc_sandbox_probe (CcSandbox * sandbox);
void cc_sandbox_clear (CcSandbox * sandbox);

G_END_DECLS
