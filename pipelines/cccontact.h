/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cccontact: `campuscut contact-sheet VIDEO JPEG`, small frames of a video
 * in a grid, for a reviewer's first look.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gint cc_contact_sheet_main (gint argc, gchar ** argv);

G_END_DECLS
