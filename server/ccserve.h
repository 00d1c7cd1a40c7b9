/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccserve: the `campuscut serve` command: its options, the management
 * commands, and starting the service.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gint cc_serve_main (gint argc, gchar ** argv);

G_END_DECLS
