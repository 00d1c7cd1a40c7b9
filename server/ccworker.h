/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccworker: `campuscut worker --server URL --token T [--jobs N]`, which
 * runs a server's jobs on another machine.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gint cc_worker_main (gint argc, gchar ** argv);

G_END_DECLS
