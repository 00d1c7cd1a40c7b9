/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The store interface (server/ccstore.h), the same cases on each backend:
 * SQLite in a temporary folder, and PostgreSQL when CAMPUSCUT_TEST_PG_URL
 * names a server (postgresql://USER:PASSWORD@HOST:PORT/, no database:
 * each case makes its own and drops it). tests/server/pgcluster.py starts
 * a throwaway PostgreSQL 15 and runs this with the variable set.
 *
 *   python3 tests/server/pgcluster.py -- build/tests/server/test-store
 *   build/tests/server/test-store -p /store/sqlite/jobs     (SQLite only)
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "ccjobdir.h"
#include "ccstore-pg.h"
#include "ccstore-sqlite.h"
/* the SQLite migrations as released, to make a database of an older
 * version */
#define CC_SQL_SQLITE
#include "ccstore-sql.h"

#define PG_URL_ENV "CAMPUSCUT_TEST_PG_URL"
#define CLAIM_THREADS 4
#define CLAIM_JOBS 60
#define OUTPUTS_1 "[{\"name\":\"full.mp4\",\"size\":10,\"sha256\":\"aa\"}]"
#define OUTPUTS_2 "[{\"name\":\"full.mp4\",\"size\":12,\"sha256\":\"bb\"}]"
/* leases in the database's clock (PostgreSQL) against the test's */
#define CLOCK_SLACK_S 5

typedef struct
{
  const gchar *backend;         /* "sqlite" or "postgresql" */
  gchar *dir;                   /* SQLite: the temporary folder */
  gchar *path;                  /* SQLite: the database file */
  gchar *db;                    /* PostgreSQL: this case's database */
  gchar *url;                   /* PostgreSQL: its URL */
  CcStore *store;
} Fixture;

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static gboolean
is_pg (Fixture * f)
{
  return strcmp (f->backend, "postgresql") == 0;
}

/* The server's URL with @db for the database. */
static gchar *
pg_url (const gchar * db)
{
  const gchar *base = g_getenv (PG_URL_ENV);

  g_assert_nonnull (base);
  g_assert_true (g_str_has_suffix (base, "/"));
  return g_strconcat (base, db, NULL);
}

/* Runs @sql on its own connection to @url: NULL when it worked, else
 * the server's message. */
static gchar *
pg_exec (const gchar * url, const gchar * sql)
{
  PGconn *conn = PQconnectdb (url);
  PGresult *res;
  gchar *problem = NULL;

  if (PQstatus (conn) != CONNECTION_OK) {
    problem = g_strdup (PQerrorMessage (conn));
  } else {
    res = PQexec (conn, sql);
    if (PQresultStatus (res) != PGRES_COMMAND_OK &&
        PQresultStatus (res) != PGRES_TUPLES_OK)
      problem = g_strdup (PQresultErrorMessage (res));
    PQclear (res);
  }
  PQfinish (conn);
  return problem;
}

/* The first value @sql returns, on its own connection. */
static gchar *
pg_value (const gchar * url, const gchar * sql)
{
  PGconn *conn = PQconnectdb (url);
  PGresult *res = PQexec (conn, sql);
  gchar *value = NULL;

  if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) > 0)
    value = g_strdup (PQgetvalue (res, 0, 0));
  PQclear (res);
  PQfinish (conn);
  return value;
}

/* Runs @sql beside the store, as an administrator with a client would:
 * NULL when the database accepted it, else why not. */
static gchar *
raw_exec (Fixture * f, const gchar * sql)
{
  sqlite3 *db = NULL;
  gchar *problem = NULL;

  if (is_pg (f))
    return pg_exec (f->url, sql);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
    problem = g_strdup (sqlite3_errmsg (db));
  sqlite3_close (db);
  return problem;
}

/* Another connection to the fixture's database. */
static CcStore *
fixture_open (Fixture * f, GError ** error)
{
  return is_pg (f) ? cc_store_pg_open (f->url, error) :
      cc_store_sqlite_open (f->path, error);
}

static void
setup (Fixture * f, gconstpointer data)
{
  static gint counter;
  g_autoptr (GError) err = NULL;

  f->backend = data;
  if (is_pg (f)) {
    g_autofree gchar *admin = pg_url ("postgres");
    g_autofree gchar *sql = NULL;
    g_autofree gchar *problem = NULL;

    f->db = g_strdup_printf ("store_%d_%d", (gint) getpid (),
        g_atomic_int_add (&counter, 1));
    sql = g_strdup_printf ("CREATE DATABASE %s", f->db);
    problem = pg_exec (admin, sql);
    g_assert_null (problem);
    f->url = pg_url (f->db);
  } else {
    f->dir = g_dir_make_tmp ("campuscut-store-XXXXXX", &err);
    g_assert_no_error (err);
    f->path = g_build_filename (f->dir, "campuscut.db", NULL);
  }
  f->store = fixture_open (f, &err);
  g_assert_no_error (err);
}

static void
teardown (Fixture * f, gconstpointer data)
{
  g_clear_object (&f->store);
  if (f->db) {
    g_autofree gchar *admin = pg_url ("postgres");
    g_autofree gchar *sql = g_strdup_printf ("DROP DATABASE %s WITH (FORCE)",
        f->db);
    g_autofree gchar *problem = pg_exec (admin, sql);

    g_assert_null (problem);
  }
  if (f->dir) {
    g_autoptr (GDir) d = g_dir_open (f->dir, 0, NULL);
    const gchar *name;

    while (d && (name = g_dir_read_name (d))) {
      g_autofree gchar *p = g_build_filename (f->dir, name, NULL);

      g_remove (p);
    }
    g_rmdir (f->dir);
  }
  g_free (f->dir);
  g_free (f->path);
  g_free (f->db);
  g_free (f->url);
}

/* ------------------------------------------------------------------ */

static void
add_unit (CcStore * store, const gchar * name)
{
  g_autoptr (GError) err = NULL;

  g_assert_true (cc_store_unit_add (store, name, CC_UNIT_DISTRICT, NULL,
          NULL, &err));
  g_assert_no_error (err);
}

static void
add_upload (CcStore * store, const gchar * id, gint64 unit_id,
    gint64 length)
{
  CcUpload u = {.id = (gchar *) id,.unit_id = unit_id,.kind =
        CC_UPLOAD_VIDEO,.filename = (gchar *) "clip.mp4",.length = length,
    .created_at = now_s ()
  };
  g_autoptr (GError) err = NULL;

  g_assert_true (cc_store_upload_add (store, &u, &err));
  g_assert_no_error (err);
}

static void
add_job (CcStore * store, const gchar * id, const gchar * video,
    gint64 created_at, gint max_attempts)
{
  CcJobRecord j = {.id = (gchar *) id,.video = (gchar *) video,
    .options = (gchar *) "{}",.max_attempts = max_attempts,
    .created_at = created_at
  };
  g_autoptr (GError) err = NULL;

  g_assert_true (cc_store_job_add (store, &j, &err));
  g_assert_no_error (err);
}

static CcJobRecord *
get_job (CcStore * store, const gchar * id)
{
  g_autoptr (GError) err = NULL;
  CcJobRecord *job = cc_store_job_get (store, id, &err);

  g_assert_no_error (err);
  g_assert_nonnull (job);
  return job;
}

/* Claims a job; NULL when none may run at @now. */
static CcJobRecord *
claim (CcStore * store, const gchar * owner, gint64 now)
{
  g_autoptr (GError) err = NULL;
  CcJobRecord *job = cc_store_job_claim (store, owner, now, now + 60, &err);

  g_assert_no_error (err);
  return job;
}

static gboolean
finish (CcStore * store, const gchar * id, gint attempt, const gchar * owner,
    CcJobState state, const gchar * outputs, GError ** error)
{
  CcJobEnd end = {.state = state,.exit_code = state == CC_JOB_DONE ? 0 : 1,
    .reason = state == CC_JOB_DONE ? NULL : "it went wrong",
    .outputs = outputs,.retry = TRUE,.retry_at = now_s () + 5
  };

  return cc_store_job_finish (store, id, attempt, owner, &end, now_s (),
      error);
}

static JsonArray *
parse_array (const gchar * text, JsonParser * parser)
{
  g_autoptr (GError) err = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &err));
  g_assert_no_error (err);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)));
  return json_node_get_array (json_parser_get_root (parser));
}

#define assert_refused(call, code) G_STMT_START { \
    g_autoptr (GError) _err = NULL; \
    g_assert_false (call); \
    g_assert_error (_err, G_IO_ERROR, code); \
  } G_STMT_END

/* ------------------------------------------------------------------ */

static void
test_schema (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (CcStore) again = NULL;

  g_assert_cmpstr (cc_store_backend (f->store), ==, f->backend);
  g_assert_true (cc_store_ping (f->store, &err));
  g_assert_cmpint (cc_store_schema_version (f->store, &err), ==, 4);
  g_assert_no_error (err);
  /* migrations already applied are not applied again */
  again = fixture_open (f, &err);
  g_assert_no_error (err);
  g_assert_cmpint (cc_store_schema_version (again, &err), ==, 4);
  g_assert_no_error (err);
  /* one row per migration, numbered alike on both */
  if (is_pg (f)) {
    g_autofree gchar *v = pg_value (f->url,
        "SELECT string_agg (version::text, ',' ORDER BY version)"
        " FROM schema_version");

    g_assert_cmpstr (v, ==, "1,2,3,4");
  }
}

static void
test_units_users_rounds (Fixture * f, gconstpointer data)
{
  CcStore *s = f->store;
  g_autoptr (GError) err = NULL;
  g_autoptr (CcUnit) unit = NULL;
  g_autoptr (CcUser) user = NULL;
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GPtrArray) rounds = NULL;

  add_unit (s, "东城区");
  assert_refused (cc_store_unit_add (s, "东城区", CC_UNIT_COLLEGE, NULL, NULL,
          &_err), G_IO_ERROR_EXISTS);
  assert_refused (cc_store_unit_get (s, "西城区", &_err) != NULL,
      G_IO_ERROR_NOT_FOUND);
  g_assert_true (cc_store_unit_set_contact (s, "东城区", "张老师",
          "010-6612 3456", &err));
  assert_refused (cc_store_unit_set_contact (s, "西城区", "x", NULL, &_err),
      G_IO_ERROR_NOT_FOUND);
  unit = cc_store_unit_get (s, "东城区", &err);
  g_assert_no_error (err);
  g_assert_cmpstr (unit->contact, ==, "张老师");
  g_assert_cmpstr (unit->phone, ==, "010-6612 3456");
  g_assert_cmpint (unit->kind, ==, CC_UNIT_DISTRICT);
  g_assert_cmpint (unit->id, >, 0);

  g_assert_true (cc_store_user_add (s, "alice", CC_ROLE_SUBMITTER, unit->id,
          "hash-a", &err));
  g_assert_no_error (err);
  assert_refused (cc_store_user_add (s, "alice", CC_ROLE_REVIEWER, 0, NULL,
          &_err), G_IO_ERROR_EXISTS);
  /* the token is unique too */
  assert_refused (cc_store_user_add (s, "dora", CC_ROLE_REVIEWER, 0,
          "hash-a", &_err), G_IO_ERROR_EXISTS);
  /* a submitter has a unit, a reviewer none */
  assert_refused (cc_store_user_add (s, "bob", CC_ROLE_SUBMITTER, 0, NULL,
          &_err), G_IO_ERROR_INVALID_ARGUMENT);
  assert_refused (cc_store_user_add (s, "rita", CC_ROLE_REVIEWER, unit->id,
          NULL, &_err), G_IO_ERROR_INVALID_ARGUMENT);
  /* a unit that does not exist */
  assert_refused (cc_store_user_add (s, "carl", CC_ROLE_SUBMITTER, 9999,
          NULL, &_err), G_IO_ERROR_NOT_EMPTY);
  g_assert_true (cc_store_user_add (s, "rita", CC_ROLE_REVIEWER, 0, NULL,
          &err));
  user = cc_store_user_by_token (s, "hash-a", &err);
  g_assert_no_error (err);
  g_assert_cmpstr (user->name, ==, "alice");
  g_assert_cmpstr (user->unit_name, ==, "东城区");
  g_assert_cmpint (user->unit_id, ==, unit->id);
  assert_refused (cc_store_user_by_token (s, "hash-x", &_err) != NULL,
      G_IO_ERROR_NOT_FOUND);
  users = cc_store_user_list (s, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (users->len, ==, 2);
  g_assert_cmpstr (((CcUser *) users->pdata[0])->name, ==, "alice");
  g_assert_cmpstr (((CcUser *) users->pdata[1])->name, ==, "rita");
  g_assert_null (((CcUser *) users->pdata[1])->token_hash);
  g_assert_cmpint (((CcUser *) users->pdata[1])->unit_id, ==, 0);

  /* a unit with users stays */
  assert_refused (cc_store_unit_remove (s, "东城区", &_err),
      G_IO_ERROR_NOT_EMPTY);

  g_assert_true (cc_store_round_add (s, 1, "第1轮", "2027-03-31", &err));
  g_assert_no_error (err);
  assert_refused (cc_store_round_add (s, 1, "again", "2027-04-30", &_err),
      G_IO_ERROR_EXISTS);
  assert_refused (cc_store_round_add (s, 0, "zero", "2027-04-30", &_err),
      G_IO_ERROR_INVALID_ARGUMENT);
  assert_refused (cc_store_round_add (s, 2, "short", "2027-4-30", &_err),
      G_IO_ERROR_INVALID_ARGUMENT);
  rounds = cc_store_round_list (s, &err);
  g_assert_cmpuint (rounds->len, ==, 1);
  g_assert_cmpstr (((CcRound *) rounds->pdata[0])->deadline, ==,
      "2027-03-31");

  g_assert_true (cc_store_user_remove (s, "alice", &err));
  assert_refused (cc_store_user_remove (s, "alice", &_err),
      G_IO_ERROR_NOT_FOUND);
  g_assert_true (cc_store_unit_remove (s, "东城区", &err));
  g_assert_no_error (err);
  assert_refused (cc_store_unit_remove (s, "东城区", &_err),
      G_IO_ERROR_NOT_FOUND);
}

static void
test_sessions (Fixture * f, gconstpointer data)
{
  CcStore *s = f->store;
  g_autoptr (GError) err = NULL;
  g_autoptr (CcUser) alice = NULL;
  g_autoptr (CcUser) got = NULL;
  g_autofree gchar *csrf = NULL;
  gint64 now = now_s ();
  gchar *unused = NULL;

  g_assert_true (cc_store_user_add (s, "alice", CC_ROLE_ADMIN, 0, "h1",
          &err));
  alice = cc_store_user_get (s, "alice", &err);
  g_assert_no_error (err);
  g_assert_true (cc_store_session_add (s, "s1", alice->id, "csrf-1",
          now + 100, &err));
  g_assert_no_error (err);
  assert_refused (cc_store_session_add (s, "s1", alice->id, "c", now + 100,
          &_err), G_IO_ERROR_EXISTS);
  assert_refused (cc_store_session_add (s, "s9", 9999, "c", now + 100,
          &_err), G_IO_ERROR_NOT_EMPTY);
  got = cc_store_session_user (s, "s1", now, &csrf, &err);
  g_assert_no_error (err);
  g_assert_cmpstr (got->name, ==, "alice");
  g_assert_cmpstr (csrf, ==, "csrf-1");
  assert_refused (cc_store_session_user (s, "s1", now + 200, &unused,
          &_err) != NULL, G_IO_ERROR_NOT_FOUND);
  /* a new token ends the sessions */
  g_assert_true (cc_store_user_set_token (s, "alice", "h2", &err));
  g_assert_no_error (err);
  assert_refused (cc_store_session_user (s, "s1", now, &unused,
          &_err) != NULL, G_IO_ERROR_NOT_FOUND);
  assert_refused (cc_store_user_set_token (s, "nobody", "h3", &_err),
      G_IO_ERROR_NOT_FOUND);
  /* purged when expired, removed on logout */
  g_assert_true (cc_store_session_add (s, "s2", alice->id, "c2", now + 10,
          &err));
  g_assert_true (cc_store_session_add (s, "s3", alice->id, "c3", now + 100,
          &err));
  g_assert_true (cc_store_session_purge (s, now + 20, &err));
  assert_refused (cc_store_session_user (s, "s2", now, &unused,
          &_err) != NULL, G_IO_ERROR_NOT_FOUND);
  g_clear_pointer (&got, cc_user_free);
  g_clear_pointer (&csrf, g_free);
  got = cc_store_session_user (s, "s3", now, &csrf, &err);
  g_assert_no_error (err);
  g_assert_true (cc_store_session_remove (s, "s3", &err));
  assert_refused (cc_store_session_user (s, "s3", now, &unused,
          &_err) != NULL, G_IO_ERROR_NOT_FOUND);
  g_assert_null (unused);
}

static void
test_uploads (Fixture * f, gconstpointer data)
{
  CcStore *s = f->store;
  const gint64 big = G_GINT64_CONSTANT (5) << 30;       /* past 32 bits */
  g_autoptr (GError) err = NULL;
  g_autoptr (CcUnit) unit = NULL;
  g_autoptr (CcUpload) u = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) incomplete = NULL;
  g_autoptr (GPtrArray) none = NULL;

  add_unit (s, "东城区");
  unit = cc_store_unit_get (s, "东城区", &err);
  add_upload (s, "u1", unit->id, big);
  add_upload (s, "u2", 0, 10);
  {
    CcUpload dup = {.id = (gchar *) "u1",.filename = (gchar *) "x",
      .length = 1
    };
    assert_refused (cc_store_upload_add (s, &dup, &_err), G_IO_ERROR_EXISTS);
  }
  g_assert_true (cc_store_upload_set_offset (s, "u1", big - 1, &err));
  g_assert_no_error (err);
  assert_refused (cc_store_upload_set_offset (s, "u1", big + 1, &_err),
      G_IO_ERROR_INVALID_ARGUMENT);
  assert_refused (cc_store_upload_set_offset (s, "u9", 1, &_err),
      G_IO_ERROR_NOT_FOUND);
  u = cc_store_upload_get (s, "u1", &err);
  g_assert_no_error (err);
  g_assert_cmpint (u->length, ==, big);
  g_assert_cmpint (u->offset, ==, big - 1);
  g_assert_cmpint (u->unit_id, ==, unit->id);
  g_assert_cmpint (u->completed_at, ==, 0);
  g_assert_null (u->sha256);
  list = cc_store_upload_list (s, unit->id, FALSE, &err);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_true (cc_store_upload_complete (s, "u1", "abc", now_s (), &err));
  g_assert_no_error (err);
  assert_refused (cc_store_upload_complete (s, "u1", "abc", now_s (), &_err),
      G_IO_ERROR_NOT_FOUND);
  assert_refused (cc_store_upload_set_offset (s, "u1", 1, &_err),
      G_IO_ERROR_NOT_FOUND);
  incomplete = cc_store_upload_list (s, 0, TRUE, &err);
  g_assert_cmpuint (incomplete->len, ==, 1);
  g_assert_cmpstr (((CcUpload *) incomplete->pdata[0])->id, ==, "u2");
  g_clear_pointer (&u, cc_upload_free);
  u = cc_store_upload_get (s, "u1", &err);
  g_assert_cmpint (u->offset, ==, big);
  g_assert_cmpstr (u->sha256, ==, "abc");
  g_assert_cmpint (u->completed_at, >, 0);
  /* an upload a job uses stays */
  add_job (s, "j1", "u1", now_s (), 3);
  assert_refused (cc_store_upload_remove (s, "u1", &_err),
      G_IO_ERROR_NOT_EMPTY);
  g_assert_true (cc_store_upload_remove (s, "u2", &err));
  assert_refused (cc_store_upload_remove (s, "u2", &_err),
      G_IO_ERROR_NOT_FOUND);
  assert_refused (cc_store_upload_get (s, "u2", &_err) != NULL,
      G_IO_ERROR_NOT_FOUND);
  none = cc_store_upload_list (s, 0, TRUE, &err);
  g_assert_cmpuint (none->len, ==, 0);
}

static void
test_job_transitions (Fixture * f, gconstpointer data)
{
  CcStore *s = f->store;
  gint64 now = now_s ();
  g_autoptr (GError) err = NULL;
  g_autoptr (CcJobRecord) a = NULL;
  g_autoptr (CcJobRecord) b = NULL;
  g_autoptr (CcJobRecord) j = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) queued = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *errors;
  JsonObject *e;

  add_upload (s, "v", 0, 1);
  add_job (s, "a", "v", now - 10, 3);
  add_job (s, "b", "v", now - 5, 3);
  add_job (s, "c", "v", now + 1000, 3);        /* not before then */
  {
    CcJobRecord dup = {.id = (gchar *) "a",.video = (gchar *) "v",
      .options = (gchar *) "{}",.max_attempts = 3
    };
    assert_refused (cc_store_job_add (s, &dup, &_err), G_IO_ERROR_EXISTS);
  }

  /* oldest first, the attempt counted, under the owner's lease */
  a = claim (s, "A", now);
  g_assert_nonnull (a);
  g_assert_cmpstr (a->id, ==, "a");
  g_assert_cmpint (a->state, ==, CC_JOB_RUNNING);
  g_assert_cmpint (a->attempt, ==, 1);
  g_assert_cmpstr (a->lease_owner, ==, "A");
  g_assert_cmpint (ABS (a->lease_expires - (now + 60)), <=, CLOCK_SLACK_S);
  g_assert_cmpint (a->started_at, ==, now);
  b = claim (s, "A", now);
  g_assert_cmpstr (b->id, ==, "b");
  g_assert_null (claim (s, "A", now));

  g_assert_true (cc_store_job_renew (s, "a", 1, "A", now, now + 60, 0.5,
          &err));
  g_assert_no_error (err);
  j = get_job (s, "a");
  g_assert_cmpfloat (j->progress, ==, 0.5);
  assert_refused (cc_store_job_renew (s, "a", 2, "A", now, now + 60, 0.6,
          &_err), G_IO_ERROR_NOT_FOUND);
  assert_refused (cc_store_job_renew (s, "a", 1, "B", now, now + 60, 0.6,
          &_err), G_IO_ERROR_NOT_FOUND);
  assert_refused (cc_store_job_renew (s, "a", 1, "A", now, now + 60, 1.5,
          &_err), G_IO_ERROR_INVALID_ARGUMENT);

  /* done: only by its owner, once */
  assert_refused (finish (s, "a", 1, "B", CC_JOB_DONE, OUTPUTS_1, &_err),
      G_IO_ERROR_NOT_FOUND);
  g_assert_true (finish (s, "a", 1, "A", CC_JOB_DONE, OUTPUTS_1, &err));
  g_assert_no_error (err);
  assert_refused (finish (s, "a", 1, "A", CC_JOB_FAILED, "[]", &_err),
      G_IO_ERROR_NOT_FOUND);
  g_clear_pointer (&j, cc_job_record_free);
  j = get_job (s, "a");
  g_assert_cmpint (j->state, ==, CC_JOB_DONE);
  g_assert_cmpint (j->review_state, ==, CC_REVIEW_PENDING);
  g_assert_cmpfloat (j->progress, ==, 1.0);
  g_assert_cmpint (j->exit_code, ==, 0);
  g_assert_cmpstr (j->outputs, ==, OUTPUTS_1);
  g_assert_cmpint (j->finished_at, >, 0);
  g_assert_null (j->lease_owner);

  /* failed with attempts left: queued again later, the error recorded */
  g_assert_true (finish (s, "b", 1, "A", CC_JOB_FAILED, "[]", &err));
  g_clear_pointer (&j, cc_job_record_free);
  j = get_job (s, "b");
  g_assert_cmpint (j->state, ==, CC_JOB_QUEUED);
  g_assert_cmpint (j->run_after, >, now);
  g_assert_cmpint (j->finished_at, ==, 0);
  g_assert_cmpstr (j->reason, ==, "it went wrong");
  errors = parse_array (j->errors, parser);
  g_assert_cmpuint (json_array_get_length (errors), ==, 1);
  e = json_array_get_object_element (errors, 0);
  g_assert_cmpint (json_object_get_int_member (e, "attempt"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (e, "exit_code"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (e, "reason"), ==,
      "it went wrong");
  g_assert_null (claim (s, "A", now));
  g_clear_pointer (&b, cc_job_record_free);
  b = claim (s, "A", now + 10);
  g_assert_cmpstr (b->id, ==, "b");
  g_assert_cmpint (b->attempt, ==, 2);

  /* given back at a stop: the attempt not counted */
  g_assert_true (cc_store_job_release (s, "b", 2, "A", NULL, now, &err));
  assert_refused (cc_store_job_release (s, "b", 2, "A", NULL, now, &_err),
      G_IO_ERROR_NOT_FOUND);
  g_clear_pointer (&j, cc_job_record_free);
  j = get_job (s, "b");
  g_assert_cmpint (j->state, ==, CC_JOB_QUEUED);
  g_assert_cmpint (j->attempt, ==, 1);
  g_assert_null (j->lease_owner);

  g_assert_true (cc_store_job_cancel (s, "b", now, &err));
  assert_refused (cc_store_job_cancel (s, "b", now, &_err),
      G_IO_ERROR_NOT_FOUND);
  assert_refused (cc_store_job_retry (s, "c", now, &_err),
      G_IO_ERROR_NOT_FOUND);
  g_assert_true (cc_store_job_retry (s, "b", now, &err));
  g_clear_pointer (&j, cc_job_record_free);
  j = get_job (s, "b");
  g_assert_cmpint (j->state, ==, CC_JOB_QUEUED);
  g_assert_cmpint (j->max_attempts, ==, 4);
  assert_refused (cc_store_job_rerun (s, "b", now, NULL, &_err),
      G_IO_ERROR_NOT_FOUND);
  /* made again with other options (a reviewer's platform cut) */
  g_assert_true (cc_store_job_rerun (s, "a", now, "{\"cut\":1}", &err));
  g_clear_pointer (&j, cc_job_record_free);
  j = get_job (s, "a");
  g_assert_cmpstr (j->options, ==, "{\"cut\":1}");
  g_assert_cmpint (j->state, ==, CC_JOB_QUEUED);
  g_assert_cmpint (j->review_state, ==, CC_REVIEW_NONE);
  g_assert_cmpint (j->max_attempts, ==, 4);
  assert_refused (cc_store_job_get (s, "z", &_err) != NULL,
      G_IO_ERROR_NOT_FOUND);
  assert_refused (cc_store_job_cancel (s, "z", now, &_err),
      G_IO_ERROR_NOT_FOUND);

  list = cc_store_job_list (s, 0, 2, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((CcJobRecord *) list->pdata[0])->id, ==, "c");
  g_assert_cmpstr (((CcJobRecord *) list->pdata[1])->id, ==, "b");
  {
    CcJobFilter filter = {.state = "queued" };
    queued = cc_store_job_select (s, &filter, &err);
  }
  g_assert_no_error (err);
  g_assert_cmpuint (queued->len, ==, 3);
  g_assert_cmpstr (((CcJobRecord *) queued->pdata[0])->id, ==, "a");
}

/* A worker that lost its lease changes nothing of the attempt that
 * replaced it. */
static void
test_fencing_and_rescue (Fixture * f, gconstpointer data)
{
  CcStore *s = f->store;
  gint64 now = now_s ();
  g_autoptr (GError) err = NULL;
  g_autoptr (CcJobRecord) first = NULL;
  g_autoptr (CcJobRecord) second = NULL;
  g_autoptr (CcJobRecord) last = NULL;
  g_autoptr (CcJobRecord) j = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *errors;

  add_upload (s, "v", 0, 1);
  add_job (s, "j", "v", now - 10, 3);
  first = claim (s, "A", now);
  g_assert_cmpint (first->attempt, ==, 1);
  /* a live lease is not taken back */
  g_assert_cmpint (cc_store_job_rescue (s, now, NULL, FALSE, "lost", now,
          &err), ==, 0);
  g_assert_no_error (err);
  /* only the owners named: A is not a worker's */
  g_assert_cmpint (cc_store_job_rescue (s, now + 120, "worker/", FALSE,
          "lost", now, &err), ==, 0);
  g_assert_no_error (err);
  g_assert_cmpint (cc_store_job_rescue (s, now + 120, "A", TRUE, "lost", now,
          &err), ==, 0);
  g_assert_no_error (err);
  g_assert_cmpint (cc_store_job_rescue (s, now + 120, "worker/", TRUE,
          "lost", now, &err), ==, 1);
  g_assert_no_error (err);
  j = get_job (s, "j");
  g_assert_cmpint (j->state, ==, CC_JOB_QUEUED);
  g_assert_cmpint (j->attempt, ==, 1);
  g_assert_cmpstr (j->reason, ==, "lost");
  errors = parse_array (j->errors, parser);
  g_assert_cmpuint (json_array_get_length (errors), ==, 1);
  g_assert_true (json_object_get_null_member (json_array_get_object_element
          (errors, 0), "exit_code"));

  second = claim (s, "B", now);
  g_assert_cmpint (second->attempt, ==, 2);
  assert_refused (finish (s, "j", 1, "A", CC_JOB_DONE, OUTPUTS_1, &_err),
      G_IO_ERROR_NOT_FOUND);
  assert_refused (finish (s, "j", 1, "B", CC_JOB_DONE, OUTPUTS_1, &_err),
      G_IO_ERROR_NOT_FOUND);
  assert_refused (finish (s, "j", 2, "A", CC_JOB_DONE, OUTPUTS_1, &_err),
      G_IO_ERROR_NOT_FOUND);
  assert_refused (cc_store_job_renew (s, "j", 1, "A", now, now + 60, 0.1,
          &_err), G_IO_ERROR_NOT_FOUND);
  assert_refused (cc_store_job_release (s, "j", 1, "A", "x", now, &_err),
      G_IO_ERROR_NOT_FOUND);
  g_assert_true (finish (s, "j", 2, "B", CC_JOB_DONE, OUTPUTS_2, &err));
  g_assert_no_error (err);
  g_clear_pointer (&j, cc_job_record_free);
  j = get_job (s, "j");
  g_assert_cmpstr (j->outputs, ==, OUTPUTS_2);
  g_assert_cmpint (j->attempt, ==, 2);

  /* a lost attempt that was the last one fails the job */
  add_job (s, "k", "v", now - 5, 1);
  last = claim (s, "A", now);
  g_assert_cmpstr (last->id, ==, "k");
  g_assert_cmpint (cc_store_job_rescue (s, G_MAXINT64, NULL, FALSE, "lost",
          now, &err),
      ==, 1);
  g_clear_pointer (&j, cc_job_record_free);
  j = get_job (s, "k");
  g_assert_cmpint (j->state, ==, CC_JOB_FAILED);
  g_assert_cmpint (j->finished_at, ==, now);
  g_assert_null (claim (s, "A", now + 100));

  /* given back by workers that stopped: every third time counts the
   * attempt, with its reason (untallied releases change nothing), and
   * fails the job when that was its last */
  add_job (s, "t", "v", now - 1, 2);
  for (gint n = 1; n <= 7; n++) {
    g_autoptr (CcJobRecord) again = claim (s, "W", now);

    g_assert_cmpstr (again->id, ==, "t");
    g_assert_true (cc_store_job_release (s, "t", again->attempt, "W",
            n == 2 ? NULL : "evicted", now, &err));
    g_assert_no_error (err);
    g_clear_pointer (&j, cc_job_record_free);
    j = get_job (s, "t");
    g_assert_cmpint (j->state, ==, n == 7 ? CC_JOB_FAILED : CC_JOB_QUEUED);
    g_assert_cmpint (j->attempt, ==, n < 4 ? 0 : n < 7 ? 1 : 2);
  }
  g_assert_cmpstr (j->reason, ==, "evicted");
  g_assert_cmpint (j->finished_at, ==, now);
  errors = parse_array (j->errors, parser);
  g_assert_cmpuint (json_array_get_length (errors), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element
          (errors, 1), "attempt"), ==, 2);
  g_assert_null (claim (s, "W", now + 100));
}

static void
test_decisions (Fixture * f, gconstpointer data)
{
  CcStore *s = f->store;
  gint64 now = now_s ();
  g_autoptr (GError) err = NULL;
  g_autoptr (CcJobRecord) j = NULL;
  g_autoptr (CcJobRecord) again = NULL;
  g_autoptr (CcJobRecord) done = NULL;
  g_autoptr (GPtrArray) log = NULL;
  g_autoptr (GPtrArray) comments = NULL;
  g_autofree gchar *update = NULL;
  g_autofree gchar *delete = NULL;
  CcDecision d = {.job_id = (gchar *) "j",.user_id = 7,
    .user_name = (gchar *) "rita",.at = now,.decision = (gchar *) "approved",
    .reason = (gchar *) "好",.outputs = (gchar *) OUTPUTS_1
  };
  CcComment c = {.job_id = (gchar *) "j",.user_id = 0,
    .user_name = (gchar *) "rita",.at = now,.t = 12.5,
    .text = (gchar *) "片头太长"
  };

  add_upload (s, "v", 0, 1);
  add_job (s, "j", "v", now - 10, 3);
  j = claim (s, "A", now);
  g_assert_true (finish (s, "j", 1, "A", CC_JOB_DONE, OUTPUTS_1, &err));

  /* bound to the outputs the reviewer saw */
  assert_refused (cc_store_decision_add (s, &d, CC_REVIEW_APPROVED, "[]",
          &_err), G_IO_ERROR_NOT_FOUND);
  g_assert_true (cc_store_decision_add (s, &d, CC_REVIEW_APPROVED, OUTPUTS_1,
          &err));
  g_assert_no_error (err);
  done = get_job (s, "j");
  g_assert_cmpint (done->review_state, ==, CC_REVIEW_APPROVED);
  g_assert_true (cc_store_comment_add (s, &c, &err));
  g_assert_true (cc_store_comment_add (s, &c, &err));
  comments = cc_store_comment_list (s, "j", &err);
  g_assert_cmpuint (comments->len, ==, 2);
  g_assert_cmpfloat (((CcComment *) comments->pdata[1])->t, ==, 12.5);
  g_assert_cmpstr (((CcComment *) comments->pdata[1])->text, ==, "片头太长");

  /* made again: the decision is void at once, and only once */
  g_assert_true (cc_store_job_rerun (s, "j", now, NULL, &err));
  again = claim (s, "A", now);
  g_assert_cmpint (again->attempt, ==, 2);
  g_assert_cmpstr (again->options, ==, "{}");      /* kept */
  g_assert_true (finish (s, "j", 2, "A", CC_JOB_DONE, OUTPUTS_2, &err));
  log = cc_store_decision_list (s, "j", &err);
  g_assert_no_error (err);
  g_assert_cmpuint (log->len, ==, 2);
  g_assert_cmpstr (((CcDecision *) log->pdata[0])->decision, ==, "approved");
  g_assert_cmpstr (((CcDecision *) log->pdata[0])->user_name, ==, "rita");
  g_assert_cmpstr (((CcDecision *) log->pdata[1])->decision, ==, "void");
  g_assert_cmpstr (((CcDecision *) log->pdata[1])->outputs, ==, OUTPUTS_1);
  g_assert_null (((CcDecision *) log->pdata[1])->user_name);
  g_assert_cmpint (((CcDecision *) log->pdata[1])->user_id, ==, 0);

  /* the log refuses every change, whoever asks */
  update = raw_exec (f, "UPDATE decisions SET reason = 'changed'");
  delete = raw_exec (f, "DELETE FROM decisions");
  g_assert_nonnull (update);
  g_assert_nonnull (strstr (update, "append-only"));
  g_assert_nonnull (delete);
  g_assert_nonnull (strstr (delete, "append-only"));
  if (is_pg (f)) {
    g_autofree gchar *truncate = raw_exec (f, "TRUNCATE decisions CASCADE");

    g_assert_nonnull (truncate);
    g_assert_nonnull (strstr (truncate, "append-only"));
  }
  g_clear_pointer (&log, g_ptr_array_unref);
  log = cc_store_decision_list (s, "j", &err);
  g_assert_cmpuint (log->len, ==, 2);
  g_assert_cmpstr (((CcDecision *) log->pdata[0])->reason, ==, "好");
}

typedef struct
{
  Fixture *f;
  gint *go;
  gchar *owner;
  GPtrArray *ids;
  guint empty;                  /* claims that found nothing */
  GError *error;
} Claimer;

/* Claims its share of the jobs, on its own connection. None comes back
 * empty while jobs are queued: a claim does not give up on the rows the
 * others are taking, it takes another. */
static gpointer
claimer_thread (gpointer data)
{
  Claimer *c = data;
  g_autoptr (CcStore) store = fixture_open (c->f, &c->error);

  if (store == NULL)
    return NULL;
  while (!g_atomic_int_get (c->go))
    g_thread_yield ();
  for (guint i = 0; i < CLAIM_JOBS / CLAIM_THREADS; i++) {
    CcJobRecord *job = cc_store_job_claim (store, c->owner, now_s (),
        now_s () + 60, &c->error);

    if (c->error)
      break;
    if (job == NULL) {
      c->empty++;
      continue;
    }
    g_ptr_array_add (c->ids, g_strdup (job->id));
    cc_job_record_free (job);
  }
  return NULL;
}

/* Workers claiming at once get each job exactly once, and never wait for
 * or give up on each other's. */
static void
test_concurrent_claims (Fixture * f, gconstpointer data)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  Claimer claimers[CLAIM_THREADS] = { {0} };
  GThread *threads[CLAIM_THREADS];
  gint go = 0;
  gint64 now = now_s ();
  guint total = 0;

  add_upload (f->store, "v", 0, 1);
  for (gint i = 0; i < CLAIM_JOBS; i++) {
    g_autofree gchar *id = g_strdup_printf ("job%02d", i);

    add_job (f->store, id, "v", now - CLAIM_JOBS + i, 3);
  }
  for (gint i = 0; i < CLAIM_THREADS; i++) {
    claimers[i] = (Claimer) {
    .f = f,.go = &go,.owner = g_strdup_printf ("worker-%d", i),
          .ids = g_ptr_array_new_with_free_func (g_free)};
    threads[i] = g_thread_new ("claimer", claimer_thread, &claimers[i]);
  }
  g_usleep (G_USEC_PER_SEC / 5);        /* every connection opened */
  g_atomic_int_set (&go, 1);
  for (gint i = 0; i < CLAIM_THREADS; i++)
    g_thread_join (threads[i]);
  for (gint i = 0; i < CLAIM_THREADS; i++) {
    Claimer *c = &claimers[i];

    g_assert_no_error (c->error);
    g_assert_cmpuint (c->empty, ==, 0);
    for (guint k = 0; k < c->ids->len; k++) {
      const gchar *id = c->ids->pdata[k];
      g_autoptr (CcJobRecord) job = get_job (f->store, id);

      g_assert_false (g_hash_table_contains (seen, id));
      g_hash_table_add (seen, (gpointer) id);
      g_assert_cmpint (job->attempt, ==, 1);
      g_assert_cmpstr (job->lease_owner, ==, c->owner);
    }
    total += c->ids->len;
    g_test_message ("%s claimed %u", c->owner, c->ids->len);
  }
  g_assert_cmpuint (total, ==, CLAIM_JOBS);
  g_assert_cmpuint (g_hash_table_size (seen), ==, CLAIM_JOBS);
  g_assert_null (claim (f->store, "late", now_s ()));
  for (gint i = 0; i < CLAIM_THREADS; i++) {
    g_ptr_array_unref (claimers[i].ids);
    g_free (claimers[i].owner);
  }
}

/* ------------------------------------------------------------------ */
/* PostgreSQL only.                                                     */

static gpointer
open_thread (gpointer data)
{
  Fixture *f = data;
  GError *err = NULL;
  CcStore *store = fixture_open (f, &err);

  if (store == NULL)
    return err;
  g_object_unref (store);
  return NULL;
}

/* Servers starting at once on a new database: one migrates, the others
 * wait for it and find the schema made. */
static void
test_pg_migrations_at_once (Fixture * f, gconstpointer data)
{
  g_autofree gchar *admin = pg_url ("postgres");
  g_autofree gchar *sql = g_strdup_printf ("CREATE DATABASE %s_fresh",
      f->db);
  g_autofree gchar *drop = g_strdup_printf ("DROP DATABASE %s_fresh",
      f->db);
  g_autofree gchar *problem = pg_exec (admin, sql);
  g_autofree gchar *url = NULL;
  g_autofree gchar *version = NULL;
  Fixture fresh = {.backend = "postgresql" };
  GThread *threads[3];

  g_assert_null (problem);
  fresh.url = url = g_strdup_printf ("%s_fresh", f->url);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("open", open_thread, &fresh);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++) {
    GError *err = g_thread_join (threads[i]);

    g_assert_no_error (err);
  }
  version = pg_value (url, "SELECT count (*) || '/' || max (version)"
      " FROM schema_version");
  g_assert_cmpstr (version, ==, "4/4");
  g_clear_pointer (&problem, g_free);
  problem = pg_exec (admin, drop);
  g_assert_null (problem);
}

/* A connection PostgreSQL ended while it was idle (a fast shutdown, a
 * terminated backend) is noticed before the next call, made again, and
 * the call works. */
static void
test_pg_connection_lost (Fixture * f, gconstpointer data)
{
  g_autofree gchar *kill = g_strdup_printf ("SELECT pg_terminate_backend "
      "(pid) FROM pg_stat_activity WHERE datname = '%s'"
      " AND pid <> pg_backend_pid ()", f->db);
  g_autofree gchar *count = g_strdup_printf ("SELECT count (*) FROM "
      "pg_stat_activity WHERE datname = '%s' AND pid <> pg_backend_pid ()",
      f->db);
  g_autofree gchar *problem = NULL;
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) units = NULL;
  gint waited = 0;

  add_unit (f->store, "东城区");
  problem = pg_exec (f->url, kill);
  g_assert_null (problem);
  for (;; waited++) {
    g_autofree gchar *n = pg_value (f->url, count);

    if (g_strcmp0 (n, "0") == 0)
      break;
    g_assert_cmpint (waited, <, 100);
    g_usleep (G_USEC_PER_SEC / 20);
  }
  units = cc_store_unit_list (f->store, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (units->len, ==, 1);
  g_assert_true (cc_store_ping (f->store, &err));
}

#define NOT_VALID "(not a valid postgresql:// URL)"

/* What the store shows of a URL, made from what libpq reads in it: never
 * a password, wherever libpq puts it; a URL libpq cannot read, not at
 * all. No server needed. */
static void
test_pg_url_shown (void)
{
  const struct
  {
    const gchar *url, *shown;
  } urls[] = {
    {"postgresql://u:s3cret@db.example:5432/cc",
        "postgresql://u:***@db.example:5432/cc"},
    {"postgres://u@h/cc?sslmode=require&password=s3cret",
        "postgres://u:***@h/cc?sslmode=require"},
    {"postgresql://h1:1,h2:2/cc", "postgresql://h1:1,h2:2/cc"},
    {"postgresql://u:p%40ss@h/cc?password=s3cret", "postgresql://u:***@h/cc"},
    {"postgresql://u:s3cret@[::1]:5432/cc?application_name=a%20b",
        "postgresql://u:***@[::1]:5432/cc?application_name=a%20b"},
    {"postgresql:///cc?host=/run/pg&sslpassword=s3cret",
        "postgresql:///cc?host=%2Frun%2Fpg&sslpassword=***"},
    /* libpq reads the password as the port: still not shown */
    {"postgresql://u:s3cret@h:s3cret/cc", "postgresql://u:***@h:***/cc"},
    /* a '/' in a password: libpq would read "u" as the host, "sec" as
     * the port and "ret@h/db" as the database */
    {"postgresql://u:sec/ret@h/db", NOT_VALID},
    /* libpq's messages would quote these, password included */
    {"postgresql://u:pa%zzs3cret@h/db", NOT_VALID},
    {"postgresql://u:s3cret@[::1/x", NOT_VALID},
    {"postgres://u@h/cc?password=pa%zz", NOT_VALID},
    {"mysql://u:s3cret@h/cc", NOT_VALID},
  };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++) {
    g_autofree gchar *s = cc_store_pg_url_shown (urls[i].url);

    g_assert_cmpstr (s, ==, urls[i].shown);
  }
}

/* A URL libpq cannot read (or reads wrong) is refused without libpq's
 * message; one it reads is refused with the password out of libpq's
 * message. No server needed: all fail before connecting. */
static void
test_pg_url_refused (void)
{
  const struct
  {
    const gchar *url, *secret;
    gint code;
  } urls[] = {
    {"postgresql://u:sec/ret@127.0.0.1:1/db", "sec", G_IO_ERROR_INVALID_ARGUMENT},
    {"postgresql://u:pa%zzs3cret@127.0.0.1:1/db", "s3cret",
        G_IO_ERROR_INVALID_ARGUMENT},
    {"postgresql://u:s3cret@[::1/x", "s3cret", G_IO_ERROR_INVALID_ARGUMENT},
    {"postgres://u@127.0.0.1:1/cc?password=pa%zz", "pa%zz",
        G_IO_ERROR_INVALID_ARGUMENT},
    /* libpq: invalid integer value "s3cret" for connection option "port" */
    {"postgresql://u:s3cret@127.0.0.1:s3cret/cc", "s3cret",
        G_IO_ERROR_FAILED},
    {"postgresql://u:p%40ss@127.0.0.1:p%40ss/cc", "p@ss", G_IO_ERROR_FAILED},
  };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++) {
    g_autoptr (GError) err = NULL;
    g_autoptr (CcStore) store = cc_store_pg_open (urls[i].url, &err);

    g_assert_null (store);
    g_assert_error (err, G_IO_ERROR, urls[i].code);
    g_test_message ("%s: %s", urls[i].url, err->message);
    g_assert_null (strstr (err->message, urls[i].secret));
  }
}

/* The password is never in what the store says. */
static void
test_pg_password_hidden (Fixture * f, gconstpointer data)
{
  const gchar *base = g_getenv (PG_URL_ENV);
  const gchar *password = base + strlen ("postgresql://postgres:");
  g_autofree gchar *secret = g_strndup (password, strcspn (password, "@"));
  g_autofree gchar *encoded = g_uri_escape_string (secret, NULL, FALSE);
  g_autofree gchar *at = g_strdup (strchr (password, '@'));
  /* a database that does not exist, the password in the user part, and
   * percent-encoded in a password= parameter */
  gchar *bad[] = {
    g_strconcat (base, "no_such_database", NULL),
    g_strdup_printf ("postgresql://postgres%sno_such_database?password=%s",
        at, encoded),
  };

  g_assert_true (g_str_has_prefix (base, "postgresql://postgres:"));
  g_assert_cmpuint (strlen (secret), >, 3);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) err = NULL;
    g_autoptr (CcStore) store = cc_store_pg_open (bad[i], &err);

    g_assert_null (store);
    g_assert_error (err, G_IO_ERROR, G_IO_ERROR_FAILED);
    g_test_message ("%s", err->message);
    g_assert_nonnull (strstr (err->message, "no_such_database"));
    g_assert_nonnull (strstr (err->message, ":***@"));
    g_assert_null (strstr (err->message, secret));
    g_assert_null (strstr (err->message, encoded));
    g_free (bad[i]);
  }
}

/* Migration 4 makes SQLite's users and uploads tables again (a CHECK
 * widened): every row stays with its id, and nothing that points at them
 * is lost or cascaded (sessions, uploads' and jobs' users, the review). */
static void
test_sqlite_migration_4 (Fixture * f, gconstpointer data)
{
  g_autofree gchar *path = g_build_filename (f->dir, "old.db", NULL);
  g_autoptr (GError) err = NULL;
  g_autoptr (CcStore) store = NULL;
  g_autoptr (CcUser) alice = NULL, worker = NULL;
  g_autoptr (CcUpload) upload = NULL;
  g_autoptr (CcJobRecord) job = NULL;
  g_autoptr (GPtrArray) decisions = NULL, comments = NULL;
  g_autofree gchar *csrf = NULL;
  CcUpload output = {.id = (gchar *) "0123456789abcdef0123456789abcdee",
    .kind = CC_UPLOAD_OUTPUT,.filename = (gchar *) "full.mp4",.length = 4,
    .created_at = 1
  };
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA foreign_keys = ON;"
          SQL_SCHEMA_TABLE, NULL, NULL, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < 3; i++) {
    g_autofree gchar *record = g_strdup_printf ("INSERT INTO schema_version"
        " VALUES (%u, 1)", i + 1);

    g_assert_cmpint (sqlite3_exec (db, migrations[i], NULL, NULL, NULL), ==,
        SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, record, NULL, NULL, NULL), ==,
        SQLITE_OK);
  }
  g_assert_cmpint (sqlite3_exec (db,
          "INSERT INTO units (id, name, kind, created_at)"
          " VALUES (7, 'u', 'district', 1);"
          "INSERT INTO users (id, name, role, unit_id, token_hash, created_at)"
          " VALUES (3, 'alice', 'submitter', 7, 'h3', 1),"
          " (5, 'rita', 'reviewer', NULL, 'h5', 1);"
          "INSERT INTO sessions VALUES ('s1', 3, 'c1', 1, 9999999999);"
          "INSERT INTO uploads (id, unit_id, user_id, kind, filename, length,"
          " received, sha256, created_at, completed_at) VALUES"
          " ('0123456789abcdef0123456789abcdef', 7, 3, 'video', 'a.mp4', 4,"
          " 4, 'aa', 1, 2);"
          "INSERT INTO jobs (id, unit_id, user_id, video_upload, options,"
          " state, attempt, max_attempts, run_after, created_at, outputs,"
          " review_state) VALUES ('1123456789abcdef0123456789abcdef', 7, 3,"
          " '0123456789abcdef0123456789abcdef', '{}', 'done', 1, 3, 1, 1,"
          " '[]', 'approved');"
          "INSERT INTO decisions (job_id, user_id, user_name, at, decision,"
          " reason, outputs) VALUES ('1123456789abcdef0123456789abcdef', 5,"
          " 'rita', 2, 'approved', 'good', '[]');"
          "INSERT INTO comments (job_id, user_id, user_name, at, t, text)"
          " VALUES ('1123456789abcdef0123456789abcdef', 5, 'rita', 2, 1.5,"
          " 'here');", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = cc_store_sqlite_open (path, &err);
  g_assert_no_error (err);
  g_assert_cmpint (cc_store_schema_version (store, &err), ==, 4);
  alice = cc_store_session_user (store, "s1", 2, &csrf, &err);
  g_assert_no_error (err);
  g_assert_cmpint (alice->id, ==, 3);
  g_assert_cmpint (alice->unit_id, ==, 7);
  upload = cc_store_upload_get (store, "0123456789abcdef0123456789abcdef",
      &err);
  g_assert_no_error (err);
  g_assert_cmpint (upload->user_id, ==, 3);
  job = cc_store_job_get (store, "1123456789abcdef0123456789abcdef", &err);
  g_assert_no_error (err);
  g_assert_cmpint (job->user_id, ==, 3);
  g_assert_cmpint (job->review_state, ==, CC_REVIEW_APPROVED);
  decisions = cc_store_decision_list (store, job->id, &err);
  comments = cc_store_comment_list (store, job->id, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (decisions->len, ==, 1);
  g_assert_cmpuint (comments->len, ==, 1);
  /* the new role and kind, and the constraints still there */
  g_assert_true (cc_store_user_add (store, "w", CC_ROLE_WORKER, 0, "hw",
          &err));
  g_assert_no_error (err);
  worker = cc_store_user_get (store, "w", &err);
  g_assert_cmpint (worker->role, ==, CC_ROLE_WORKER);
  output.user_id = worker->id;
  g_assert_true (cc_store_upload_add (store, &output, &err));
  g_assert_no_error (err);
  g_clear_object (&store);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA foreign_keys = ON;"
          "INSERT INTO users (name, role, created_at) VALUES ('x', 'boss', 1)",
          NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO uploads (id, kind,"
          " filename, length, created_at) VALUES ('x', 'junk', 'x', 1, 1)",
          NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO sessions VALUES ('s2', 99,"
          " 'c', 1, 2)", NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
  sqlite3_close (db);
}

/* ------------------------------------------------------------------ */

static gboolean
exists (const gchar * dir, const gchar * name)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* Not the store, but what its fencing guards on disk: an attempt that
 * prepares its folder removes the earlier attempts' (and out/, the seeds
 * linked first), never a later attempt's, which another server may be
 * running when this attempt's lease was taken back. */
static void
test_job_dir_prepare (void)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *tmp = g_dir_make_tmp ("campuscut-jobdir-XXXXXX", &err);
  g_autofree gchar *dir = g_build_filename (tmp, "job", NULL);
  const gchar *made[] = { "run-1", "run-2", "run-4", "run-10", "out",
    "run-x"
  };
  g_autofree gchar *run_dir = NULL;
  g_autofree gchar *full = g_build_filename (dir, "out", "full.mp4", NULL);
  g_autofree gchar *log = g_build_filename (dir, "attempt-1.log", NULL);
  g_autofree gchar *seed = NULL, *seeded = NULL;

  g_assert_no_error (err);
  for (guint i = 0; i < G_N_ELEMENTS (made); i++) {
    g_autofree gchar *p = g_build_filename (dir, made[i], NULL);

    g_assert_cmpint (g_mkdir_with_parents (p, 0700), ==, 0);
  }
  g_assert_true (g_file_set_contents (full, "cut", -1, &err));
  g_assert_true (g_file_set_contents (log, "log", -1, &err));
  run_dir = cc_job_dir_prepare (dir, 3, TRUE, &err);
  g_assert_no_error (err);
  g_assert_true (g_str_has_suffix (run_dir, "/run-3"));
  g_assert_false (exists (dir, "run-1"));
  g_assert_false (exists (dir, "run-2"));
  g_assert_false (exists (dir, "run-x"));
  g_assert_false (exists (dir, "out"));
  g_assert_true (exists (dir, "run-4"));
  g_assert_true (exists (dir, "run-10"));
  g_assert_true (exists (dir, "attempt-1.log"));
  /* the platform cut made again starts from the outputs out/ had */
  seeded = g_build_filename (run_dir, "full.mp4", NULL);
  g_assert_true (g_file_get_contents (seeded, &seed, NULL, &err));
  g_assert_cmpstr (seed, ==, "cut");
  g_assert_true (cc_job_dir_remove_tree (tmp, &err));
  g_assert_no_error (err);
}

static void
skip_case (void)
{
  g_test_skip ("no PostgreSQL: " PG_URL_ENV " is not set");
}

static void
add_case (const gchar * backend, const gchar * name,
    void (*func) (Fixture *, gconstpointer))
{
  g_autofree gchar *path = g_strdup_printf ("/store/%s/%s", backend, name);

  if (strcmp (backend, "postgresql") == 0 && g_getenv (PG_URL_ENV) == NULL)
    g_test_add_func (path, skip_case);
  else
    g_test_add (path, Fixture, backend, setup, func, teardown);
}

int
main (int argc, char **argv)
{
  const gchar *backends[] = { "sqlite", "postgresql" };
  gboolean pg = g_getenv (PG_URL_ENV) != NULL;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/postgresql-url/shown", test_pg_url_shown);
  g_test_add_func ("/store/postgresql-url/refused", test_pg_url_refused);
  g_test_add_func ("/store/job-dir/prepare", test_job_dir_prepare);
  for (guint i = 0; i < G_N_ELEMENTS (backends); i++) {
    add_case (backends[i], "schema", test_schema);
    add_case (backends[i], "units-users-rounds", test_units_users_rounds);
    add_case (backends[i], "sessions", test_sessions);
    add_case (backends[i], "uploads", test_uploads);
    add_case (backends[i], "job-transitions", test_job_transitions);
    add_case (backends[i], "fencing-and-rescue", test_fencing_and_rescue);
    add_case (backends[i], "decisions", test_decisions);
    add_case (backends[i], "concurrent-claims", test_concurrent_claims);
  }
  add_case ("sqlite", "migration-4", test_sqlite_migration_4);
  add_case ("postgresql", "migrations-at-once", test_pg_migrations_at_once);
  add_case ("postgresql", "connection-lost", test_pg_connection_lost);
  add_case ("postgresql", "password-hidden", test_pg_password_hidden);
  if (!pg)
    g_printerr ("%s is not set: the PostgreSQL cases are skipped (run it "
        "through tests/server/pgcluster.py for them)\n", PG_URL_ENV);
  return g_test_run ();
}
