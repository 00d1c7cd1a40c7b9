/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccadmin: `campuscut serve --data DIR units …` and `users …`, the
 * command-line management of the campaign's units and people.
 */
#pragma once

#include "ccstore.h"

G_BEGIN_DECLS

typedef struct
{
  const gchar *kind;            /* --kind, for units add */
  const gchar *role;            /* --role, for users add */
  const gchar *unit;            /* --unit, for users add */
} CcAdminOptions;

gint cc_admin_run (CcStore * store, gint argc, gchar ** argv,
    const CcAdminOptions * options, gchar ** usage_problem);

G_END_DECLS
