/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccadmin: units and users from the command line.
 *
 *   units add NAME --kind district|college     units list     units remove NAME
 *   users add NAME --role R [--unit UNIT]      users list     users remove NAME
 *   users token NAME
 *
 * A new user's token, and a new token for an existing user, is printed
 * once on standard output and stored only as its SHA-256; a new token
 * ends the user's browser sessions. Lists are tab-separated with a header
 * line, for people and for cut(1). The commands work whether a server is
 * running on the same data folder or not (SQLite in WAL mode).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <gio/gio.h>

#include "ccadmin.h"
#include "ccsecret.h"

#define NAME_MAX_CHARS 64

static gint
failed (const GError * err)
{
  fprintf (stderr, _("campuscut: error: %s\n"), err->message);
  return 1;
}

/* Names are shown everywhere: 1 to 64 characters of text, no control
 * characters, no space at either end. */
static gboolean
name_valid (const gchar * name)
{
  glong n;

  if (!g_utf8_validate (name, -1, NULL))
    return FALSE;
  n = g_utf8_strlen (name, -1);
  if (n < 1 || n > NAME_MAX_CHARS || g_unichar_isspace (g_utf8_get_char
          (name)) || g_unichar_isspace (g_utf8_get_char (g_utf8_prev_char
              (name + strlen (name)))))
    return FALSE;
  for (const gchar * p = name; *p; p = g_utf8_next_char (p)) {
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return FALSE;
  }
  return TRUE;
}

static gchar *
date_text (gint64 t)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (t);

  return g_date_time_format (dt, "%Y-%m-%d %H:%M");
}

static gint
units_add (CcStore * store, const gchar * name, const CcAdminOptions * o,
    gchar ** usage)
{
  g_autoptr (GError) err = NULL;
  CcUnitKind kind;

  if (!name_valid (name)) {
    *usage = g_strdup (_("a unit's name is 1 to 64 characters of text"));
    return 2;
  }
  if (o->kind == NULL || !cc_unit_kind_from_string (o->kind, &kind)) {
    *usage = g_strdup (_("units add needs --kind district or --kind college"));
    return 2;
  }
  if (!cc_store_unit_add (store, name, kind, &err)) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_EXISTS))
      fprintf (stderr, _("campuscut: error: there is already a unit named "
              "'%s'\n"), name);
    else
      failed (err);
    return 1;
  }
  fprintf (stderr, _("campuscut: unit '%s' (%s) added\n"), name, o->kind);
  return 0;
}

static gint
units_list (CcStore * store)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) units = cc_store_unit_list (store, &err);

  if (units == NULL)
    return failed (err);
  printf ("%s\t%s\t%s\n", _("NAME"), _("KIND"), _("ADDED"));
  for (guint i = 0; i < units->len; i++) {
    CcUnit *u = units->pdata[i];
    g_autofree gchar *added = date_text (u->created_at);

    printf ("%s\t%s\t%s\n", u->name, cc_unit_kind_to_string (u->kind), added);
  }
  return 0;
}

static gint
units_remove (CcStore * store, const gchar * name)
{
  g_autoptr (GError) err = NULL;

  if (cc_store_unit_remove (store, name, &err)) {
    fprintf (stderr, _("campuscut: unit '%s' removed\n"), name);
    return 0;
  }
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    fprintf (stderr, _("campuscut: error: no unit named '%s'\n"), name);
  else if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_EMPTY))
    fprintf (stderr, _("campuscut: error: unit '%s' still has users or "
            "uploads; remove those first\n"), name);
  else
    failed (err);
  return 1;
}

static void
print_token (const gchar * token)
{
  printf ("%s\n", token);
  fflush (stdout);
}

static gint
users_add (CcStore * store, const gchar * name, const CcAdminOptions * o,
    gchar ** usage)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (CcUnit) unit = NULL;
  g_autofree gchar *token = NULL;
  g_autofree gchar *hash = NULL;
  CcRole role;

  if (!name_valid (name)) {
    *usage = g_strdup (_("a user's name is 1 to 64 characters of text"));
    return 2;
  }
  if (o->role == NULL || !cc_role_from_string (o->role, &role)) {
    *usage = g_strdup (_("users add needs --role submitter, reviewer or "
            "admin"));
    return 2;
  }
  if ((role == CC_ROLE_SUBMITTER) != (o->unit != NULL)) {
    *usage = g_strdup (_("a submitter belongs to one unit (--unit UNIT); "
            "reviewers and admins to none"));
    return 2;
  }
  if (o->unit && (unit = cc_store_unit_get (store, o->unit, &err)) == NULL) {
    fprintf (stderr, _("campuscut: error: no unit named '%s'\n"), o->unit);
    return 1;
  }
  token = cc_secret_new (&err);
  if (token == NULL)
    return failed (err);
  hash = cc_secret_hash (token);
  if (!cc_store_user_add (store, name, role, unit ? unit->id : 0, hash,
          &err)) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_EXISTS))
      fprintf (stderr, _("campuscut: error: there is already a user named "
              "'%s'\n"), name);
    else
      failed (err);
    return 1;
  }
  fprintf (stderr, _("campuscut: user '%s' (%s) added; the token below is "
          "shown only this once\n"), name, o->role);
  print_token (token);
  return 0;
}

static gint
users_list (CcStore * store)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) users = cc_store_user_list (store, &err);

  if (users == NULL)
    return failed (err);
  printf ("%s\t%s\t%s\t%s\n", _("NAME"), _("ROLE"), _("UNIT"), _("ADDED"));
  for (guint i = 0; i < users->len; i++) {
    CcUser *u = users->pdata[i];
    g_autofree gchar *added = date_text (u->created_at);

    printf ("%s\t%s\t%s\t%s\n", u->name, cc_role_to_string (u->role),
        u->unit_name ? u->unit_name : "-", added);
  }
  return 0;
}

static gint
users_token (CcStore * store, const gchar * name)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *token = cc_secret_new (&err);
  g_autofree gchar *hash = token ? cc_secret_hash (token) : NULL;

  if (token && cc_store_user_set_token (store, name, hash, &err)) {
    fprintf (stderr, _("campuscut: a new token for '%s' (the old one and "
            "its browser sessions no longer work); shown only this once:\n"),
        name);
    print_token (token);
    return 0;
  }
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
    fprintf (stderr, _("campuscut: error: no user named '%s'\n"), name);
    return 1;
  }
  return failed (err);
}

static gint
users_remove (CcStore * store, const gchar * name)
{
  g_autoptr (GError) err = NULL;

  if (cc_store_user_remove (store, name, &err)) {
    fprintf (stderr, _("campuscut: user '%s' removed\n"), name);
    return 0;
  }
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
    fprintf (stderr, _("campuscut: error: no user named '%s'\n"), name);
    return 1;
  }
  return failed (err);
}

/**
 * cc_admin_run:
 * @argv: (array length=argc): e.g. {"users", "add", "alice"}
 * @usage_problem: (out): set, with 2 returned, when the command line is
 *   wrong
 *
 * Returns: the exit code: 0 done, 1 failed, 2 usage
 */
gint
cc_admin_run (CcStore * store, gint argc, gchar ** argv,
    const CcAdminOptions * o, gchar ** usage_problem)
{
  const gchar *what = argv[0], *verb = argc > 1 ? argv[1] : "";
  gboolean units = g_strcmp0 (what, "units") == 0;
  gboolean named = g_strcmp0 (verb, "list") != 0;

  if (!units && g_strcmp0 (what, "users") != 0) {
    *usage_problem = g_strdup_printf (_("unknown serve command '%s'"), what);
    return 2;
  }
  if (argc < 2) {
    *usage_problem = g_strdup (units ? _("units takes add, list or "
            "remove") : _("users takes add, list, token or remove"));
    return 2;
  }
  if (argc != (named ? 3 : 2)) {
    *usage_problem = g_strdup_printf (_("%s %s takes %s"), what, verb,
        named ? _("one NAME") : _("nothing more"));
    return 2;
  }
  if (units && strcmp (verb, "add") == 0)
    return units_add (store, argv[2], o, usage_problem);
  if (units && strcmp (verb, "list") == 0)
    return units_list (store);
  if (units && strcmp (verb, "remove") == 0)
    return units_remove (store, argv[2]);
  if (!units && strcmp (verb, "add") == 0)
    return users_add (store, argv[2], o, usage_problem);
  if (!units && strcmp (verb, "list") == 0)
    return users_list (store);
  if (!units && strcmp (verb, "token") == 0)
    return users_token (store, argv[2]);
  if (!units && strcmp (verb, "remove") == 0)
    return users_remove (store, argv[2]);
  *usage_problem = g_strdup_printf (_("unknown serve command '%s %s'"), what,
      verb);
  return 2;
}
