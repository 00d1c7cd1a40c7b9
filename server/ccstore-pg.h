/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccstore-pg: the store in a PostgreSQL database (libpq), which several
 * servers may share.
 */
#pragma once

#include "ccstore.h"

G_BEGIN_DECLS

#define CC_TYPE_STORE_PG cc_store_pg_get_type ()
G_DECLARE_FINAL_TYPE (CcStorePg, cc_store_pg, CC, STORE_PG, GObject)

gboolean cc_store_pg_url_valid (const gchar * url);
gchar *cc_store_pg_url_shown (const gchar * url);
CcStore *cc_store_pg_open (const gchar * url, GError ** error);

G_END_DECLS
