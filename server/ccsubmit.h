/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccsubmit: `campuscut submit FILE --server URL --token T [job options]`,
 * a job for a batch server from the command line.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gint cc_submit_main (gint argc, gchar ** argv);

G_END_DECLS
