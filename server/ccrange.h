/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccrange: a file as an HTTP answer, whole or in part (Range).
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

void cc_range_serve_file (SoupServerMessage * msg, const gchar * path,
    const gchar * content_type, const gchar * etag);

G_END_DECLS
