/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccadmin: units and users from the command line.
 *
 *   units add NAME --kind district|college [--contact C] [--phone P]
 *   units set NAME [--contact C] [--phone P]   units list     units remove NAME
 *   users add NAME --role R [--unit UNIT]      users list     users remove NAME
 *   users token NAME
 *   rounds add NUMBER --deadline YYYY-MM-DD [--name NAME]      rounds list
 *
 * A new user's token, and a new token for an existing user, is printed
 * once on standard output and stored only as its SHA-256; a new token
 * ends the user's browser sessions. Lists are tab-separated with a header
 * line, for people and for cut(1). The commands work whether a server is
 * running on the same data folder or not (SQLite in WAL mode), and on
 * the PostgreSQL database a server uses (--db).
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
#define PHONE_MAX_CHARS 32
#define ROUND_MAX 100

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

/* A telephone number as people write one: digits, spaces, + - ( ) and
 * 转 (extension), at most 32 characters, at least 3 digits. */
static gboolean
phone_valid (const gchar * phone)
{
  guint digits = 0;

  if (!g_utf8_validate (phone, -1, NULL) ||
      g_utf8_strlen (phone, -1) > PHONE_MAX_CHARS)
    return FALSE;
  for (const gchar * p = phone; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (g_ascii_isdigit (c))
      digits++;
    else if ((c > 127 || !strchr (" +-()", (gchar) c)) && c != 0x8f6c)
      return FALSE;             /* 0x8f6c: 转 */
  }
  return digits >= 3;
}

/* --contact and --phone, when given; a usage problem otherwise. */
static gboolean
contact_valid (const CcAdminOptions * o, gchar ** usage)
{
  if (o->contact && !name_valid (o->contact)) {
    *usage = g_strdup (_("--contact takes 1 to 64 characters of text"));
    return FALSE;
  }
  if (o->phone && !phone_valid (o->phone)) {
    *usage = g_strdup (_("--phone takes a telephone number: digits, spaces, "
            "+ - ( ), at most 32 characters"));
    return FALSE;
  }
  return TRUE;
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
  if (!contact_valid (o, usage))
    return 2;
  if (o->kind == NULL || !cc_unit_kind_from_string (o->kind, &kind)) {
    *usage = g_strdup (_("units add needs --kind district or --kind college"));
    return 2;
  }
  if (!cc_store_unit_add (store, name, kind, o->contact, o->phone, &err)) {
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
  printf ("%s\t%s\t%s\t%s\t%s\n", _("NAME"), _("KIND"), _("CONTACT"),
      _("PHONE"), _("ADDED"));
  for (guint i = 0; i < units->len; i++) {
    CcUnit *u = units->pdata[i];
    g_autofree gchar *added = date_text (u->created_at);

    printf ("%s\t%s\t%s\t%s\t%s\n", u->name,
        cc_unit_kind_to_string (u->kind), u->contact ? u->contact : "-",
        u->phone ? u->phone : "-", added);
  }
  return 0;
}

static gint
units_set (CcStore * store, const gchar * name, const CcAdminOptions * o,
    gchar ** usage)
{
  g_autoptr (GError) err = NULL;

  if (o->contact == NULL && o->phone == NULL) {
    *usage = g_strdup (_("units set takes --contact NAME, --phone PHONE or "
            "both"));
    return 2;
  }
  if (!contact_valid (o, usage))
    return 2;
  if (cc_store_unit_set_contact (store, name, o->contact, o->phone, &err)) {
    fprintf (stderr, _("campuscut: unit '%s' changed\n"), name);
    return 0;
  }
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
    fprintf (stderr, _("campuscut: error: no unit named '%s'\n"), name);
    return 1;
  }
  return failed (err);
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
    *usage = g_strdup (_("users add needs --role submitter, reviewer, "
            "admin or worker"));
    return 2;
  }
  if ((role == CC_ROLE_SUBMITTER) != (o->unit != NULL)) {
    *usage = g_strdup (_("a submitter belongs to one unit (--unit UNIT); "
            "reviewers, admins and workers to none"));
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

/* A date as YYYY-MM-DD, and a real one. */
static gboolean
date_valid (const gchar * s)
{
  guint64 y, m, d;
  g_auto (GStrv) parts = NULL;

  if (s == NULL || strlen (s) != 10 || s[4] != '-' || s[7] != '-')
    return FALSE;
  parts = g_strsplit (s, "-", 3);
  return g_ascii_string_to_unsigned (parts[0], 10, 2000, 9999, &y, NULL) &&
      g_ascii_string_to_unsigned (parts[1], 10, 1, 12, &m, NULL) &&
      g_ascii_string_to_unsigned (parts[2], 10, 1, 31, &d, NULL) &&
      g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y);
}

static gint
rounds_add (CcStore * store, const gchar * number, const CcAdminOptions * o,
    gchar ** usage)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *name = NULL;
  guint64 n;

  if (!g_ascii_string_to_unsigned (number, 10, 1, ROUND_MAX, &n, NULL)) {
    *usage = g_strdup_printf (_("a round's number is 1 to %d"), ROUND_MAX);
    return 2;
  }
  if (!date_valid (o->deadline)) {
    *usage = g_strdup (_("rounds add needs --deadline YYYY-MM-DD, the last "
            "day of the round"));
    return 2;
  }
  if (o->name && !name_valid (o->name)) {
    *usage = g_strdup (_("--name takes 1 to 64 characters of text"));
    return 2;
  }
  name = o->name ? g_strdup (o->name) : g_strdup_printf ("第%d轮", (gint) n);
  if (!cc_store_round_add (store, (gint) n, name, o->deadline, &err)) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_EXISTS))
      fprintf (stderr, _("campuscut: error: there is already a round %d\n"),
          (gint) n);
    else
      failed (err);
    return 1;
  }
  fprintf (stderr, _("campuscut: round %d (%s) added, open until the end "
          "of %s\n"), (gint) n, name, o->deadline);
  return 0;
}

static gint
rounds_list (CcStore * store)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) rounds = cc_store_round_list (store, &err);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree gchar *today = g_date_time_format (now, "%Y-%m-%d");

  if (rounds == NULL)
    return failed (err);
  printf ("%s\t%s\t%s\t%s\n", _("NUMBER"), _("NAME"), _("DEADLINE"),
      _("STATE"));
  for (guint i = 0; i < rounds->len; i++) {
    CcRound *r = rounds->pdata[i];

    printf ("%d\t%s\t%s\t%s\n", r->number, r->name, r->deadline,
        strcmp (r->deadline, today) >= 0 ? "open" : "closed");
  }
  return 0;
}

typedef enum
{
  NEEDS_NOTHING,
  NEEDS_NAME,
} Needs;

/* The commands: the group, the verb, and what follows the verb. */
static const struct
{
  const gchar *what, *verb;
  Needs needs;
} commands[] = {
  {"units", "add", NEEDS_NAME}, {"units", "set", NEEDS_NAME},
  {"units", "list", NEEDS_NOTHING}, {"units", "remove", NEEDS_NAME},
  {"users", "add", NEEDS_NAME}, {"users", "list", NEEDS_NOTHING},
  {"users", "token", NEEDS_NAME}, {"users", "remove", NEEDS_NAME},
  {"rounds", "add", NEEDS_NAME}, {"rounds", "list", NEEDS_NOTHING},
};

static gint
dispatch (CcStore * store, guint i, const gchar * arg,
    const CcAdminOptions * o, gchar ** usage)
{
  switch (i) {
    case 0:
      return units_add (store, arg, o, usage);
    case 1:
      return units_set (store, arg, o, usage);
    case 2:
      return units_list (store);
    case 3:
      return units_remove (store, arg);
    case 4:
      return users_add (store, arg, o, usage);
    case 5:
      return users_list (store);
    case 6:
      return users_token (store, arg);
    case 7:
      return users_remove (store, arg);
    case 8:
      return rounds_add (store, arg, o, usage);
    default:
      return rounds_list (store);
  }
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
  gboolean known = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++) {
    known = known || strcmp (commands[i].what, what) == 0;
    if (strcmp (commands[i].what, what) != 0 ||
        strcmp (commands[i].verb, verb) != 0)
      continue;
    if (argc != (commands[i].needs == NEEDS_NAME ? 3 : 2)) {
      *usage_problem = g_strdup_printf (_("%s %s takes %s"), what, verb,
          commands[i].needs == NEEDS_NAME ? (strcmp (what, "rounds") == 0 ?
              _("one NUMBER") : _("one NAME")) : _("nothing more"));
      return 2;
    }
    return dispatch (store, i, argv[2], o, usage_problem);
  }
  if (!known)
    *usage_problem = g_strdup_printf (_("unknown serve command '%s'"), what);
  else if (argc < 2)
    *usage_problem = g_strdup (strcmp (what, "units") == 0 ?
        _("units takes add, set, list or remove") : strcmp (what, "users")
        == 0 ? _("users takes add, list, token or remove") :
        _("rounds takes add or list"));
  else
    *usage_problem = g_strdup_printf (_("unknown serve command '%s %s'"),
        what, verb);
  return 2;
}
