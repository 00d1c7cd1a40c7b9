/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccadmin: `campuscut serve --data DIR units …`, `users …` and
 * `rounds …`, the command-line management of the campaign's units, people
 * and rounds.
 */
#pragma once

#include "ccstore.h"

G_BEGIN_DECLS

typedef struct
{
  const gchar *kind;            /* --kind, for units add */
  const gchar *role;            /* --role, for users add */
  const gchar *unit;            /* --unit, for users add */
  const gchar *contact;         /* --contact, for units add and set */
  const gchar *phone;           /* --phone, likewise */
  const gchar *deadline;        /* --deadline, for rounds add */
  const gchar *name;            /* --name, likewise */
} CcAdminOptions;

gint cc_admin_run (CcStore * store, gint argc, gchar ** argv,
    const CcAdminOptions * options, gchar ** usage_problem);

G_END_DECLS
