/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccstore-sqlite: the store (ccstore.h) in one SQLite database file.
 *
 * The connection runs in WAL mode (readers never wait for the writer, and
 * `campuscut serve --data DIR users …` works while the server runs), with
 * foreign keys on, synchronous=FULL (a commit is on disk when it returns)
 * and a busy timeout. Every call that changes something is one statement,
 * or one explicit transaction when it takes two; none stays open.
 *
 * The SQL, migrations and statements, is ccstore-sql.h's, shared with the
 * PostgreSQL store (ccstore-pg.c). Migrations are applied in order at
 * open, each in its own transaction.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sqlite3.h>
#include <gio/gio.h>

#include "ccstore-sqlite.h"

#define CC_SQL_SQLITE
#include "ccstore-sql.h"

#define BUSY_TIMEOUT_MS 5000

/* ------------------------------------------------------------------ */

struct _CcStoreSqlite
{
  GObject parent;
  sqlite3 *db;
};

static void cc_store_sqlite_iface_init (CcStoreInterface * iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CcStoreSqlite, cc_store_sqlite, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (CC_TYPE_STORE, cc_store_sqlite_iface_init))

static void
cc_store_sqlite_finalize (GObject * object)
{
  CcStoreSqlite *self = CC_STORE_SQLITE (object);

  /* the last connection to close checkpoints the WAL into the database */
  sqlite3_close_v2 (self->db);
  G_OBJECT_CLASS (cc_store_sqlite_parent_class)->finalize (object);
}

static void
cc_store_sqlite_class_init (CcStoreSqliteClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = cc_store_sqlite_finalize;
}

static void
cc_store_sqlite_init (CcStoreSqlite * self)
{
}

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* Sets @error from SQLite's result @rc, in G_IO_ERROR. */
static gboolean
set_error (CcStoreSqlite * self, gint rc, GError ** error)
{
  GIOErrorEnum code = G_IO_ERROR_FAILED;

  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      code = G_IO_ERROR_EXISTS;
      break;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      code = G_IO_ERROR_NOT_EMPTY;
      break;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
      code = G_IO_ERROR_INVALID_ARGUMENT;
      break;
    default:
      if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        code = G_IO_ERROR_BUSY;
      break;
  }
  g_set_error (error, G_IO_ERROR, code, "database: %s",
      self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
  return FALSE;
}

/* Prepares @sql and binds one argument per letter of @types: 's' text
 * (NULL binds NULL), 'i' a gint64, 'r' a gint64 reference where 0 binds
 * NULL (units and users are numbered from 1), 'x' a gint64 where a
 * negative value binds NULL, 'd' a gdouble. */
static sqlite3_stmt *
prepare (CcStoreSqlite * self, const gchar * sql, GError ** error,
    const gchar * types, ...)
{
  sqlite3_stmt *stmt = NULL;
  va_list args;
  gint rc;

  rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK) {
    set_error (self, rc, error);
    return NULL;
  }
  va_start (args, types);
  for (gint i = 1; types[i - 1] != '\0'; i++) {
    gint64 v;

    switch (types[i - 1]) {
      case 's':
        sqlite3_bind_text (stmt, i, va_arg (args, const gchar *), -1,
            SQLITE_TRANSIENT);
        break;
      case 'i':
        sqlite3_bind_int64 (stmt, i, va_arg (args, gint64));
        break;
      case 'r':
      case 'x':
        v = va_arg (args, gint64);
        if (types[i - 1] == 'r' ? v == 0 : v < 0)
          sqlite3_bind_null (stmt, i);
        else
          sqlite3_bind_int64 (stmt, i, v);
        break;
      case 'd':
        sqlite3_bind_double (stmt, i, va_arg (args, gdouble));
        break;
      default:
        g_assert_not_reached ();
    }
  }
  va_end (args);
  return stmt;
}

/* Runs a statement that returns no rows and finalizes it. With @must_change,
 * a statement that changes no row is G_IO_ERROR_NOT_FOUND. */
static gboolean
run (CcStoreSqlite * self, sqlite3_stmt * stmt, gboolean must_change,
    GError ** error)
{
  gint rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_error (self, sqlite3_extended_errcode (self->db), error);
  if (must_change && sqlite3_changes (self->db) == 0) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no such record");
    return FALSE;
  }
  return TRUE;
}

/* Steps to the next row: TRUE with a row, FALSE at the end (error unset)
 * or on an error (error set). */
static gboolean
next_row (CcStoreSqlite * self, sqlite3_stmt * stmt, GError ** error)
{
  gint rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc != SQLITE_DONE)
    set_error (self, sqlite3_extended_errcode (self->db), error);
  return FALSE;
}

static gboolean
exec (CcStoreSqlite * self, const gchar * sql, GError ** error)
{
  gint rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    return set_error (self, sqlite3_extended_errcode (self->db), error);
  return TRUE;
}

static gchar *
column_text (sqlite3_stmt * stmt, gint col)
{
  return g_strdup ((const gchar *) sqlite3_column_text (stmt, col));
}

/* ------------------------------------------------------------------ */
/* Opening and migrations.                                              */

static gint
read_version (CcStoreSqlite * self, GError ** error)
{
  sqlite3_stmt *stmt = prepare (self, SQL_SCHEMA_VERSION, error, "");
  gint version = -1;

  if (stmt == NULL)
    return -1;
  if (next_row (self, stmt, error))
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

/* Whether every foreign key points at a row: a table made again (SQLite's
 * way to change a constraint) must not have lost one. */
static gboolean
foreign_keys_hold (CcStoreSqlite * self, GError ** error)
{
  sqlite3_stmt *stmt = prepare (self, "PRAGMA foreign_key_check", error, "");
  gint rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc == SQLITE_DONE)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
      rc == SQLITE_ROW ? "a foreign key points at no row" :
      sqlite3_errmsg (self->db));
  return FALSE;
}

/* Applies migration @version unless another process did first. Foreign
 * keys are off meanwhile (SQLite allows the switch only outside a
 * transaction): a table made again is dropped before its copy takes its
 * name, and the drop must not cascade to the rows that point at it. They
 * are checked before the commit instead. */
static gboolean
migrate_one (CcStoreSqlite * self, gint version, GError ** error)
{
  gint current;

  if (!exec (self, "PRAGMA foreign_keys = OFF", error))
    return FALSE;
  if (!exec (self, "BEGIN IMMEDIATE", error))
    goto keys_on;
  current = read_version (self, error);
  if (current < 0)
    goto failed;
  if (current >= version) {
    if (!exec (self, "COMMIT", error))
      goto failed;
    return exec (self, "PRAGMA foreign_keys = ON", error);
  }
  if (!exec (self, migrations[version - 1], error) ||
      !foreign_keys_hold (self, error) ||
      !run (self, prepare (self, SQL_SCHEMA_RECORD, error, "ii",
                  (gint64) version, now_s ()), FALSE, error) ||
      !exec (self, "COMMIT", error))
    goto failed;
  return exec (self, "PRAGMA foreign_keys = ON", error);

  /* ERRORS */
failed:
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
keys_on:
  sqlite3_exec (self->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
  g_prefix_error (error, "migration %d: ", version);
  return FALSE;
}

static gboolean
migrate (CcStoreSqlite * self, GError ** error)
{
  const gint latest = G_N_ELEMENTS (migrations);
  gint current;

  if (!exec (self, SQL_SCHEMA_TABLE, error))
    return FALSE;
  current = read_version (self, error);
  if (current < 0)
    return FALSE;
  if (current > latest) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "the database has schema version %d, newer than this campuscut "
        "knows (%d): use the campuscut that wrote it", current, latest);
    return FALSE;
  }
  for (gint v = current + 1; v <= latest; v++) {
    if (!migrate_one (self, v, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
configure (CcStoreSqlite * self, GError ** error)
{
  sqlite3_stmt *stmt;
  gboolean wal = FALSE;

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  stmt = prepare (self, "PRAGMA journal_mode = WAL", error, "");
  if (stmt == NULL)
    return FALSE;
  if (next_row (self, stmt, error))
    wal = g_ascii_strcasecmp ((const gchar *) sqlite3_column_text (stmt, 0),
        "wal") == 0;
  sqlite3_finalize (stmt);
  if (!wal) {
    if (error && *error == NULL)
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
          "database: cannot switch to WAL mode");
    return FALSE;
  }
  return exec (self, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL",
      error);
}

/**
 * cc_store_sqlite_open:
 * @path: the database file, created if missing
 *
 * Opens the database and brings its schema up to date.
 *
 * Returns: (transfer full): the store, or NULL with @error set
 */
CcStore *
cc_store_sqlite_open (const gchar * path, GError ** error)
{
  g_autoptr (CcStoreSqlite) self = g_object_new (CC_TYPE_STORE_SQLITE, NULL);
  gint rc;

  rc = sqlite3_open_v2 (path, &self->db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", path,
        self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
    return NULL;
  }
  if (!configure (self, error) || !migrate (self, error)) {
    g_prefix_error (error, "%s: ", path);
    return NULL;
  }
  return CC_STORE (g_steal_pointer (&self));
}

/* ------------------------------------------------------------------ */
/* Rows.                                                                */

static CcUnit *
unit_from_row (sqlite3_stmt * stmt)
{
  CcUnit *unit = g_new0 (CcUnit, 1);

  unit->id = sqlite3_column_int64 (stmt, 0);
  unit->name = column_text (stmt, 1);
  if (!cc_unit_kind_from_string ((const gchar *) sqlite3_column_text (stmt,
              2), &unit->kind))
    unit->kind = CC_UNIT_DISTRICT;      /* the schema's CHECK prevents it */
  unit->created_at = sqlite3_column_int64 (stmt, 3);
  unit->contact = column_text (stmt, 4);
  unit->phone = column_text (stmt, 5);
  return unit;
}

static CcRound *
round_from_row (sqlite3_stmt * stmt)
{
  CcRound *round = g_new0 (CcRound, 1);

  round->number = sqlite3_column_int (stmt, 0);
  round->name = column_text (stmt, 1);
  round->deadline = column_text (stmt, 2);
  round->created_at = sqlite3_column_int64 (stmt, 3);
  return round;
}

static CcDecision *
decision_from_row (sqlite3_stmt * stmt)
{
  CcDecision *d = g_new0 (CcDecision, 1);

  d->id = sqlite3_column_int64 (stmt, 0);
  d->job_id = column_text (stmt, 1);
  d->user_id = sqlite3_column_int64 (stmt, 2);
  d->user_name = column_text (stmt, 3);
  d->at = sqlite3_column_int64 (stmt, 4);
  d->decision = column_text (stmt, 5);
  d->reason = column_text (stmt, 6);
  d->outputs = column_text (stmt, 7);
  return d;
}

static CcComment *
comment_from_row (sqlite3_stmt * stmt)
{
  CcComment *c = g_new0 (CcComment, 1);

  c->id = sqlite3_column_int64 (stmt, 0);
  c->job_id = column_text (stmt, 1);
  c->user_id = sqlite3_column_int64 (stmt, 2);
  c->user_name = column_text (stmt, 3);
  c->at = sqlite3_column_int64 (stmt, 4);
  c->t = sqlite3_column_double (stmt, 5);
  c->text = column_text (stmt, 6);
  return c;
}

static CcUser *
user_from_row (sqlite3_stmt * stmt)
{
  CcUser *user = g_new0 (CcUser, 1);

  user->id = sqlite3_column_int64 (stmt, 0);
  user->name = column_text (stmt, 1);
  if (!cc_role_from_string ((const gchar *) sqlite3_column_text (stmt, 2),
          &user->role))
    user->role = CC_ROLE_SUBMITTER;
  user->unit_id = sqlite3_column_int64 (stmt, 3);
  user->unit_name = column_text (stmt, 4);
  user->token_hash = column_text (stmt, 5);
  user->created_at = sqlite3_column_int64 (stmt, 6);
  return user;
}

static CcUpload *
upload_from_row (sqlite3_stmt * stmt)
{
  CcUpload *upload = g_new0 (CcUpload, 1);

  upload->id = column_text (stmt, 0);
  upload->unit_id = sqlite3_column_int64 (stmt, 1);
  upload->user_id = sqlite3_column_int64 (stmt, 2);
  if (!cc_upload_kind_from_string ((const gchar *) sqlite3_column_text (stmt,
              3), &upload->kind))
    upload->kind = CC_UPLOAD_VIDEO;
  upload->filename = column_text (stmt, 4);
  upload->length = sqlite3_column_int64 (stmt, 5);
  upload->offset = sqlite3_column_int64 (stmt, 6);
  upload->sha256 = column_text (stmt, 7);
  upload->created_at = sqlite3_column_int64 (stmt, 8);
  upload->completed_at = sqlite3_column_int64 (stmt, 9);
  upload->job_id = column_text (stmt, 10);
  upload->attempt = (gint) sqlite3_column_int64 (stmt, 11);
  return upload;
}

static CcJobRecord *
job_from_row (sqlite3_stmt * stmt)
{
  CcJobRecord *job = g_new0 (CcJobRecord, 1);

  job->id = column_text (stmt, 0);
  job->unit_id = sqlite3_column_int64 (stmt, 1);
  job->user_id = sqlite3_column_int64 (stmt, 2);
  job->video = column_text (stmt, 3);
  job->captions = column_text (stmt, 4);
  job->logo = column_text (stmt, 5);
  job->options = column_text (stmt, 6);
  if (!cc_job_state_from_string ((const gchar *) sqlite3_column_text (stmt,
              7), &job->state))
    job->state = CC_JOB_FAILED;
  job->attempt = sqlite3_column_int (stmt, 8);
  job->max_attempts = sqlite3_column_int (stmt, 9);
  job->run_after = sqlite3_column_int64 (stmt, 10);
  job->lease_owner = column_text (stmt, 11);
  job->lease_expires = sqlite3_column_int64 (stmt, 12);
  job->progress = sqlite3_column_double (stmt, 13);
  job->exit_code = sqlite3_column_type (stmt, 14) == SQLITE_NULL ? -1 :
      sqlite3_column_int (stmt, 14);
  job->reason = column_text (stmt, 15);
  job->errors = column_text (stmt, 16);
  job->outputs = column_text (stmt, 17);
  job->created_at = sqlite3_column_int64 (stmt, 18);
  job->started_at = sqlite3_column_int64 (stmt, 19);
  job->finished_at = sqlite3_column_int64 (stmt, 20);
  job->round = sqlite3_column_int (stmt, 21);
  job->student = column_text (stmt, 22);
  job->role_model = column_text (stmt, 23);
  if (!cc_review_state_from_string ((const gchar *) sqlite3_column_text
          (stmt, 24), &job->review_state))
    job->review_state = CC_REVIEW_NONE;
  return job;
}

typedef gpointer (*RowFunc) (sqlite3_stmt * stmt);

/* The one row a statement returns, or NULL with G_IO_ERROR_NOT_FOUND. */
static gpointer
get_one (CcStoreSqlite * self, sqlite3_stmt * stmt, RowFunc func,
    GError ** error)
{
  GError *err = NULL;
  gpointer row = NULL;

  if (stmt == NULL)
    return NULL;
  if (next_row (self, stmt, &err))
    row = func (stmt);
  else if (err == NULL)
    g_set_error_literal (&err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no such record");
  sqlite3_finalize (stmt);
  if (err)
    g_propagate_error (error, err);
  return row;
}

/* Every row a statement returns. */
static GPtrArray *
get_all (CcStoreSqlite * self, sqlite3_stmt * stmt, RowFunc func,
    GDestroyNotify free_func, GError ** error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  GError *err = NULL;

  if (stmt == NULL)
    return NULL;
  while (next_row (self, stmt, &err))
    g_ptr_array_add (rows, func (stmt));
  sqlite3_finalize (stmt);
  if (err) {
    g_propagate_error (error, err);
    return NULL;
  }
  return g_steal_pointer (&rows);
}

/* The row an UPDATE ... RETURNING returns, or NULL with @error unset when
 * it changed none. The statement is stepped to its end, so that its change
 * is committed when it is finalized. */
static gpointer
get_returning (CcStoreSqlite * self, sqlite3_stmt * stmt, RowFunc func,
    GError ** error)
{
  GError *err = NULL;
  gpointer row = NULL;

  if (stmt == NULL)
    return NULL;
  if (next_row (self, stmt, &err)) {
    row = func (stmt);
    while (next_row (self, stmt, &err));
  }
  sqlite3_finalize (stmt);
  if (err) {
    g_clear_pointer (&row, cc_job_record_free);
    g_propagate_error (error, err);
  }
  return row;
}

/* ------------------------------------------------------------------ */
/* The operations.                                                      */

#define SELF CcStoreSqlite *self = CC_STORE_SQLITE (store)

static const gchar *
sqlite_backend (CcStore * store)
{
  return "sqlite";
}

static gint
sqlite_schema_version (CcStore * store, GError ** error)
{
  SELF;
  return read_version (self, error);
}

static gboolean
sqlite_ping (CcStore * store, GError ** error)
{
  SELF;
  sqlite3_stmt *stmt = prepare (self, SQL_PING, error, "");
  gboolean ok;

  if (stmt == NULL)
    return FALSE;
  ok = next_row (self, stmt, error);
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
sqlite_unit_add (CcStore * store, const gchar * name, CcUnitKind kind,
    const gchar * contact, const gchar * phone, GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_UNIT_ADD, error, "ssiss", name,
          cc_unit_kind_to_string (kind), now_s (), contact, phone), FALSE,
      error);
}

static CcUnit *
sqlite_unit_get (CcStore * store, const gchar * name, GError ** error)
{
  SELF;
  return get_one (self, prepare (self, SQL_UNIT_GET, error, "s", name),
      (RowFunc) unit_from_row, error);
}

static GPtrArray *
sqlite_unit_list (CcStore * store, GError ** error)
{
  SELF;
  return get_all (self, prepare (self, SQL_UNIT_LIST, error, ""),
      (RowFunc) unit_from_row, (GDestroyNotify) cc_unit_free, error);
}

static gboolean
sqlite_unit_remove (CcStore * store, const gchar * name, GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_UNIT_REMOVE, error, "s", name), TRUE,
      error);
}

static gboolean
sqlite_unit_set_contact (CcStore * store, const gchar * name,
    const gchar * contact, const gchar * phone, GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_UNIT_SET_CONTACT, error, "sss", name,
          contact, phone), TRUE, error);
}

static gboolean
sqlite_round_add (CcStore * store, gint number, const gchar * name,
    const gchar * deadline, GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_ROUND_ADD, error, "issi",
          (gint64) number, name, deadline, now_s ()), FALSE, error);
}

static GPtrArray *
sqlite_round_list (CcStore * store, GError ** error)
{
  SELF;
  return get_all (self, prepare (self, SQL_ROUND_LIST, error, ""),
      (RowFunc) round_from_row, (GDestroyNotify) cc_round_free, error);
}

static gboolean
sqlite_user_add (CcStore * store, const gchar * name, CcRole role,
    gint64 unit_id, const gchar * token_hash, GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_USER_ADD, error, "ssrsi", name,
          cc_role_to_string (role), unit_id, token_hash, now_s ()), FALSE,
      error);
}

static CcUser *
sqlite_user_get (CcStore * store, const gchar * name, GError ** error)
{
  SELF;
  return get_one (self, prepare (self, SQL_USER_GET, error, "s", name),
      (RowFunc) user_from_row, error);
}

static CcUser *
sqlite_user_by_token (CcStore * store, const gchar * token_hash,
    GError ** error)
{
  SELF;
  return get_one (self, prepare (self, SQL_USER_BY_TOKEN, error, "s",
          token_hash), (RowFunc) user_from_row, error);
}

static GPtrArray *
sqlite_user_list (CcStore * store, GError ** error)
{
  SELF;
  return get_all (self, prepare (self, SQL_USER_LIST, error, ""),
      (RowFunc) user_from_row, (GDestroyNotify) cc_user_free, error);
}

/* A new token ends the user's browser sessions: one transaction. */
static gboolean
sqlite_user_set_token (CcStore * store, const gchar * name,
    const gchar * token_hash, GError ** error)
{
  SELF;

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!run (self, prepare (self, SQL_USER_SET_TOKEN, error, "ss", name,
              token_hash), TRUE, error) ||
      !run (self, prepare (self, SQL_USER_END_SESSIONS, error, "s", name),
          FALSE, error) || !exec (self, "COMMIT", error)) {
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
    return FALSE;
  }
  return TRUE;
}

static gboolean
sqlite_user_remove (CcStore * store, const gchar * name, GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_USER_REMOVE, error, "s", name), TRUE,
      error);
}

static gboolean
sqlite_session_add (CcStore * store, const gchar * id_hash, gint64 user_id,
    const gchar * csrf, gint64 expires_at, GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_SESSION_ADD, error, "sisii", id_hash,
          user_id, csrf, now_s (), expires_at), FALSE, error);
}

static CcUser *
sqlite_session_user (CcStore * store, const gchar * id_hash, gint64 now,
    gchar ** csrf, GError ** error)
{
  SELF;
  sqlite3_stmt *stmt = prepare (self, SQL_SESSION_USER, error, "si", id_hash,
      now);
  GError *err = NULL;
  CcUser *user = NULL;

  if (stmt == NULL)
    return NULL;
  if (next_row (self, stmt, &err)) {
    user = user_from_row (stmt);
    *csrf = column_text (stmt, 7);
  } else if (err == NULL) {
    g_set_error_literal (&err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no such session");
  }
  sqlite3_finalize (stmt);
  if (err)
    g_propagate_error (error, err);
  return user;
}

static gboolean
sqlite_session_remove (CcStore * store, const gchar * id_hash,
    GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_SESSION_REMOVE, error, "s", id_hash),
      FALSE, error);
}

static gboolean
sqlite_session_purge (CcStore * store, gint64 now, GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_SESSION_PURGE, error, "i", now),
      FALSE, error);
}

static gboolean
sqlite_upload_add (CcStore * store, const CcUpload * u, GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_UPLOAD_ADD, error, "srrssiisr",
          u->id, u->unit_id, u->user_id, cc_upload_kind_to_string (u->kind),
          u->filename, u->length, u->created_at, u->job_id,
          (gint64) u->attempt), FALSE, error);
}

static CcUpload *
sqlite_upload_get (CcStore * store, const gchar * id, GError ** error)
{
  SELF;
  return get_one (self, prepare (self, SQL_UPLOAD_GET, error, "s", id),
      (RowFunc) upload_from_row, error);
}

static GPtrArray *
sqlite_upload_list (CcStore * store, gint64 unit_id, gboolean incomplete_only,
    GError ** error)
{
  SELF;
  return get_all (self, prepare (self, SQL_UPLOAD_LIST, error, "ri", unit_id,
          (gint64) incomplete_only), (RowFunc) upload_from_row,
      (GDestroyNotify) cc_upload_free, error);
}

static gboolean
sqlite_upload_set_offset (CcStore * store, const gchar * id, gint64 offset,
    GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_UPLOAD_SET_OFFSET, error, "si", id,
          offset), TRUE, error);
}

static gboolean
sqlite_upload_complete (CcStore * store, const gchar * id,
    const gchar * sha256, gint64 now, GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_UPLOAD_COMPLETE, error, "ssi", id,
          sha256, now), TRUE, error);
}

static gboolean
sqlite_upload_remove (CcStore * store, const gchar * id, GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_UPLOAD_REMOVE, error, "s", id), TRUE,
      error);
}

static gboolean
sqlite_job_add (CcStore * store, const CcJobRecord * j, GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_JOB_ADD, error, "srrssssiirss",
          j->id, j->unit_id, j->user_id, j->video, j->captions, j->logo,
          j->options, (gint64) j->max_attempts, j->created_at,
          (gint64) j->round, j->student, j->role_model), FALSE, error);
}

static CcJobRecord *
sqlite_job_get (CcStore * store, const gchar * id, GError ** error)
{
  SELF;
  return get_one (self, prepare (self, SQL_JOB_GET, error, "s", id),
      (RowFunc) job_from_row, error);
}

static GPtrArray *
sqlite_job_list (CcStore * store, gint64 unit_id, guint limit,
    GError ** error)
{
  SELF;
  return get_all (self, prepare (self, SQL_JOB_LIST, error, "ri", unit_id,
          (gint64) limit), (RowFunc) job_from_row,
      (GDestroyNotify) cc_job_record_free, error);
}

/* Ends the transaction begun for a change: committed when @ok, rolled
 * back otherwise. */
static gboolean
end_transaction (CcStoreSqlite * self, gboolean ok, GError ** error)
{
  if (ok && exec (self, "COMMIT", error))
    return TRUE;
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/* A new attempt starts with no outputs: the claim and the void of a
 * decision on the old ones are one transaction. */
static CcJobRecord *
sqlite_job_claim (CcStore * store, const gchar * owner, gint64 now,
    gint64 lease_expires, GError ** error)
{
  SELF;
  GError *err = NULL;
  CcJobRecord *job;

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return NULL;
  job = get_returning (self, prepare (self, SQL_JOB_CLAIM, &err, "sii",
          owner, now, lease_expires), (RowFunc) job_from_row, &err);
  if (job && err == NULL)
    run (self, prepare (self, SQL_JOB_VOID, &err, "si", job->id, now),
        FALSE, &err);
  if (!end_transaction (self, err == NULL, err ? NULL : &err)) {
    g_clear_pointer (&job, cc_job_record_free);
    g_propagate_error (error, err);
  }
  return job;
}

static gboolean
sqlite_job_renew (CcStore * store, const gchar * id, gint attempt,
    const gchar * owner, gint64 now, gint64 lease_expires, gdouble progress,
    GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_JOB_RENEW, error, "sisiid", id,
          (gint64) attempt, owner, now, lease_expires, progress), TRUE,
      error);
}

/* The attempt's outputs recorded and, should a decision still stand on
 * others, its void: one transaction. */
static gboolean
sqlite_job_finish (CcStore * store, const gchar * id, gint attempt,
    const gchar * owner, const CcJobEnd * end, gint64 now, GError ** error)
{
  SELF;
  gboolean ok;

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  ok = run (self, prepare (self, SQL_JOB_FINISH, error, "sissxssiii", id,
          (gint64) attempt, owner, cc_job_state_to_string (end->state),
          (gint64) end->exit_code, end->reason, end->outputs ? end->outputs :
          "[]", (gint64) end->retry, end->retry_at, now), TRUE, error) &&
      run (self, prepare (self, SQL_JOB_VOID, error, "si", id, now), FALSE,
      error);
  return end_transaction (self, ok, error);
}

static gboolean
sqlite_job_release (CcStore * store, const gchar * id, gint attempt,
    const gchar * owner, const gchar * tally, gint64 now, GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_JOB_RELEASE, error, "sisisi", id,
          (gint64) attempt, owner, (gint64) (tally != NULL), tally, now), TRUE, error);
}

static gboolean
sqlite_job_cancel (CcStore * store, const gchar * id, gint64 now,
    GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_JOB_CANCEL, error, "si", id, now),
      TRUE, error);
}

static gboolean
sqlite_job_retry (CcStore * store, const gchar * id, gint64 now,
    GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_JOB_RETRY, error, "si", id, now),
      TRUE, error);
}

static gint
sqlite_job_rescue (CcStore * store, gint64 expired_before,
    const gchar * owner_prefix, gboolean others, const gchar * reason,
    gint64 now, GError ** error)
{
  SELF;
  if (!run (self, prepare (self, SQL_JOB_RESCUE, error, "isisi",
              expired_before, reason, now, owner_prefix, (gint64) others), FALSE, error))
    return -1;
  return sqlite3_changes (self->db);
}

/* Made again: no decision stands from the moment it is queued (even if
 * the new run is cancelled), so the void goes with the rerun. */
static gboolean
sqlite_job_rerun (CcStore * store, const gchar * id, gint64 now,
    const gchar * options, GError ** error)
{
  SELF;
  gboolean ok;

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  ok = run (self, prepare (self, SQL_JOB_RERUN, error, "sis", id, now,
          options), TRUE,
      error) && run (self, prepare (self, SQL_JOB_VOID, error, "si", id,
          now), FALSE, error);
  return end_transaction (self, ok, error);
}

static GPtrArray *
sqlite_job_select (CcStore * store, const CcJobFilter * f, GError ** error)
{
  SELF;
  return get_all (self, prepare (self, SQL_JOB_SELECT, error, "rrss",
          f->unit_id, (gint64) f->round, f->state, f->review_state),
      (RowFunc) job_from_row, (GDestroyNotify) cc_job_record_free, error);
}

/* The job's new review state, fenced by its outputs, and the decision:
 * one transaction. */
static gboolean
sqlite_decision_add (CcStore * store, const CcDecision * d,
    CcReviewState state, const gchar * expected_outputs, GError ** error)
{
  SELF;
  gboolean ok;

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  ok = run (self, prepare (self, SQL_JOB_REVIEW, error, "sss", d->job_id,
          cc_review_state_to_string (state), expected_outputs), TRUE, error)
      && run (self, prepare (self, SQL_DECISION_ADD, error, "srsisss",
          d->job_id, d->user_id, d->user_name, d->at, d->decision, d->reason,
          d->outputs), FALSE, error);
  return end_transaction (self, ok, error);
}

static GPtrArray *
sqlite_decision_list (CcStore * store, const gchar * job_id,
    GError ** error)
{
  SELF;
  return get_all (self, prepare (self, SQL_DECISION_LIST, error, "s",
          job_id), (RowFunc) decision_from_row,
      (GDestroyNotify) cc_decision_free, error);
}

static gboolean
sqlite_comment_add (CcStore * store, const CcComment * c, GError ** error)
{
  SELF;
  return run (self, prepare (self, SQL_COMMENT_ADD, error, "srsids",
          c->job_id, c->user_id, c->user_name, c->at, c->t, c->text), FALSE,
      error);
}

static GPtrArray *
sqlite_comment_list (CcStore * store, const gchar * job_id, GError ** error)
{
  SELF;
  return get_all (self, prepare (self, SQL_COMMENT_LIST, error, "s",
          job_id), (RowFunc) comment_from_row,
      (GDestroyNotify) cc_comment_free, error);
}

static void
cc_store_sqlite_iface_init (CcStoreInterface * iface)
{
  iface->backend = sqlite_backend;
  iface->schema_version = sqlite_schema_version;
  iface->ping = sqlite_ping;
  iface->unit_add = sqlite_unit_add;
  iface->unit_get = sqlite_unit_get;
  iface->unit_list = sqlite_unit_list;
  iface->unit_remove = sqlite_unit_remove;
  iface->unit_set_contact = sqlite_unit_set_contact;
  iface->round_add = sqlite_round_add;
  iface->round_list = sqlite_round_list;
  iface->user_add = sqlite_user_add;
  iface->user_get = sqlite_user_get;
  iface->user_by_token = sqlite_user_by_token;
  iface->user_list = sqlite_user_list;
  iface->user_set_token = sqlite_user_set_token;
  iface->user_remove = sqlite_user_remove;
  iface->session_add = sqlite_session_add;
  iface->session_user = sqlite_session_user;
  iface->session_remove = sqlite_session_remove;
  iface->session_purge = sqlite_session_purge;
  iface->upload_add = sqlite_upload_add;
  iface->upload_get = sqlite_upload_get;
  iface->upload_list = sqlite_upload_list;
  iface->upload_set_offset = sqlite_upload_set_offset;
  iface->upload_complete = sqlite_upload_complete;
  iface->upload_remove = sqlite_upload_remove;
  iface->job_add = sqlite_job_add;
  iface->job_get = sqlite_job_get;
  iface->job_list = sqlite_job_list;
  iface->job_claim = sqlite_job_claim;
  iface->job_renew = sqlite_job_renew;
  iface->job_finish = sqlite_job_finish;
  iface->job_release = sqlite_job_release;
  iface->job_cancel = sqlite_job_cancel;
  iface->job_retry = sqlite_job_retry;
  iface->job_rescue = sqlite_job_rescue;
  iface->job_rerun = sqlite_job_rerun;
  iface->job_select = sqlite_job_select;
  iface->decision_add = sqlite_decision_add;
  iface->decision_list = sqlite_decision_list;
  iface->comment_add = sqlite_comment_add;
  iface->comment_list = sqlite_comment_list;
}
