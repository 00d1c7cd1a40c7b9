/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Top-level ISO BMFF box walk: enough to prove that an output is faststart
 * (moov before mdat) without trusting the muxer that wrote it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Offsets of the first top-level moov and mdat boxes, -1 where absent.
 * FALSE with error when the file cannot be read or its box sizes are
 * inconsistent. */
gboolean cc_mp4_top_level_offsets (const gchar * path, gint64 * moov,
    gint64 * mdat, GError ** error);

G_END_DECLS
