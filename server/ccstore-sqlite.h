/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccstore-sqlite: the store in one SQLite file (WAL mode), the default.
 */
#pragma once

#include "ccstore.h"

G_BEGIN_DECLS

#define CC_TYPE_STORE_SQLITE cc_store_sqlite_get_type ()
G_DECLARE_FINAL_TYPE (CcStoreSqlite, cc_store_sqlite, CC, STORE_SQLITE,
    GObject)

CcStore *cc_store_sqlite_open (const gchar * path, GError ** error);

G_END_DECLS
