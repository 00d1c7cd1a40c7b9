/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccstore: what the service keeps (units, users, sessions, uploads, jobs,
 * rounds, review decisions and comments), behind one interface so that
 * callers never see which database holds it.
 *
 * The SQLite backend (ccstore-sqlite.c) is the default; the PostgreSQL
 * backend (ccstore-pg.c), which several servers may share, implements the
 * same interface with the same SQL (ccstore-sql.h). Every call that
 * changes something is one short transaction. Errors are in G_IO_ERROR:
 * NOT_FOUND (no such row), EXISTS (a name or id taken), NOT_EMPTY (still
 * referenced, e.g. a unit with users), INVALID_ARGUMENT (a value the schema
 * refuses), BUSY (locked for longer than the busy timeout), NOT_SUPPORTED
 * (a database written by a newer campuscut), FAILED (anything else).
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  CC_UNIT_DISTRICT,
  CC_UNIT_COLLEGE,
} CcUnitKind;

typedef enum
{
  CC_ROLE_SUBMITTER,
  CC_ROLE_REVIEWER,
  CC_ROLE_ADMIN,
  /* a machine that runs jobs (campuscut worker): the worker API only */
  CC_ROLE_WORKER,
} CcRole;

typedef enum
{
  CC_UPLOAD_VIDEO,
  CC_UPLOAD_CAPTIONS,
  CC_UPLOAD_LOGO,
  /* a job's output (or log) that a worker sends back */
  CC_UPLOAD_OUTPUT,
} CcUploadKind;

typedef enum
{
  CC_JOB_QUEUED,
  CC_JOB_RUNNING,
  CC_JOB_DONE,
  CC_JOB_REJECTED,
  CC_JOB_FAILED,
  CC_JOB_CANCELLED,
} CcJobState;

/* Where a job is in review: NONE until it is done, then PENDING until a
 * reviewer decides; back to PENDING (or NONE while it runs again) when its
 * outputs change, the decision then void. */
typedef enum
{
  CC_REVIEW_NONE,
  CC_REVIEW_PENDING,
  CC_REVIEW_APPROVED,
  CC_REVIEW_CHANGES_REQUESTED,
  CC_REVIEW_REJECTED,
} CcReviewState;

typedef struct
{
  gint64 id;
  gchar *name;
  CcUnitKind kind;
  gchar *contact;               /* the contact person, NULL: none */
  gchar *phone;                 /* NULL: none */
  gint64 created_at;            /* Unix seconds, like every time stored */
} CcUnit;

/* A round of submissions: its number (1, 2 …) and its last day. */
typedef struct
{
  gint number;
  gchar *name;
  gchar *deadline;              /* YYYY-MM-DD, the last day included */
  gint64 created_at;
} CcRound;

typedef struct
{
  gint64 id;
  gchar *name;
  CcRole role;
  gint64 unit_id;               /* 0: none (reviewers and admins) */
  gchar *unit_name;             /* NULL: none */
  gchar *token_hash;            /* hex SHA-256 of the token, NULL: none */
  gint64 created_at;
} CcUser;

typedef struct
{
  gchar *id;                    /* 32 lowercase hex digits; also the file name */
  gint64 unit_id;               /* the owning unit, 0: none */
  gint64 user_id;               /* who created it, 0: since removed */
  CcUploadKind kind;
  gchar *filename;              /* the client's name: metadata, never a path */
  gint64 length;                /* declared by the client at creation */
  gint64 offset;                /* bytes received */
  gchar *sha256;                /* hex, set when complete; NULL before */
  gint64 created_at;
  gint64 completed_at;          /* 0: not complete */
  gchar *job_id;                /* an output's job, NULL for other kinds */
  gint attempt;                 /* and the attempt it is of (0: none) */
} CcUpload;

/* One `campuscut process` run with its options, and how it went. A
 * worker owns a running job through its lease; every transition names the
 * attempt it is about, so that a worker whose lease was lost changes
 * nothing. */
typedef struct
{
  gchar *id;                    /* 32 lowercase hex digits; also its folder */
  gint64 unit_id;               /* the owning unit, 0: none */
  gint64 user_id;               /* who created it, 0: since removed */
  gchar *video;                 /* upload ids; captions and logo may be NULL */
  gchar *captions;
  gchar *logo;
  gchar *options;               /* JSON object, as checked (ccjobspec.h) */
  CcJobState state;
  gint attempt;                 /* attempts started */
  gint max_attempts;
  gint64 run_after;             /* not claimed before (Unix seconds) */
  gchar *lease_owner;           /* the worker running it, NULL: none */
  gint64 lease_expires;
  gdouble progress;             /* 0 to 1, as last recorded */
  gint exit_code;               /* the last attempt's, -1: none */
  gchar *reason;                /* why the last attempt did not succeed */
  gchar *errors;                /* JSON array: one object per failed attempt */
  gchar *outputs;               /* JSON array: {name, size, sha256} */
  gint64 created_at;
  gint64 started_at;            /* of the last attempt, 0: never */
  gint64 finished_at;           /* 0: not finished */
  gint round;                   /* 0: none */
  gchar *student;               /* the submission's metadata, NULL: none */
  gchar *role_model;            /* JSON object (story), NULL: none */
  CcReviewState review_state;
} CcJobRecord;

/* Which jobs cc_store_job_select() returns; 0 or NULL: any. */
typedef struct
{
  gint64 unit_id;
  gint round;
  const gchar *state;
  const gchar *review_state;
} CcJobFilter;

/* One entry of a job's review log, which is never changed: a reviewer's
 * decision on the outputs named, or "void" when they changed. */
typedef struct
{
  gint64 id;
  gchar *job_id;
  gint64 user_id;               /* 0: the server itself (void) */
  gchar *user_name;             /* as it was then, NULL: the server */
  gint64 at;
  gchar *decision;              /* approved, changes_requested, rejected,
                                 * void */
  gchar *reason;
  gchar *outputs;               /* JSON array: {name, sha256} */
} CcDecision;

typedef struct
{
  gint64 id;
  gchar *job_id;
  gint64 user_id;
  gchar *user_name;
  gint64 at;
  gdouble t;                    /* where in the video, in seconds */
  gchar *text;
} CcComment;

/* How an attempt ended, for cc_store_job_finish(). */
typedef struct
{
  CcJobState state;             /* DONE, REJECTED or FAILED */
  gint exit_code;               /* -1: none (killed) */
  const gchar *reason;          /* NULL when done */
  const gchar *outputs;         /* JSON array */
  gboolean retry;               /* FAILED: queue again if attempts remain */
  gint64 retry_at;
} CcJobEnd;

const gchar *cc_unit_kind_to_string (CcUnitKind kind);
gboolean cc_unit_kind_from_string (const gchar * s, CcUnitKind * kind);
const gchar *cc_role_to_string (CcRole role);
gboolean cc_role_from_string (const gchar * s, CcRole * role);
const gchar *cc_upload_kind_to_string (CcUploadKind kind);
gboolean cc_upload_kind_from_string (const gchar * s, CcUploadKind * kind);
const gchar *cc_job_state_to_string (CcJobState state);
gboolean cc_job_state_from_string (const gchar * s, CcJobState * state);
gboolean cc_job_state_is_final (CcJobState state);
const gchar *cc_review_state_to_string (CcReviewState state);
gboolean cc_review_state_from_string (const gchar * s, CcReviewState * state);

void cc_unit_free (CcUnit * unit);
void cc_user_free (CcUser * user);
CcUpload *cc_upload_copy (const CcUpload * upload);
void cc_upload_free (CcUpload * upload);
CcJobRecord *cc_job_record_copy (const CcJobRecord * job);
void cc_job_record_free (CcJobRecord * job);
void cc_round_free (CcRound * round);
void cc_decision_free (CcDecision * decision);
void cc_comment_free (CcComment * comment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcUnit, cc_unit_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcRound, cc_round_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcDecision, cc_decision_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcComment, cc_comment_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcUser, cc_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcUpload, cc_upload_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcJobRecord, cc_job_record_free)

#define CC_TYPE_STORE cc_store_get_type ()
G_DECLARE_INTERFACE (CcStore, cc_store, CC, STORE, GObject)

/* Called in the main context when jobs may have been queued elsewhere. */
typedef void (*CcStoreQueuedFunc) (gpointer user_data);

struct _CcStoreInterface
{
  GTypeInterface parent_iface;

  const gchar *(*backend) (CcStore * self);
  gint (*schema_version) (CcStore * self, GError ** error);
  gboolean (*ping) (CcStore * self, GError ** error);
  /* optional: a store shared by several servers tells each of them when
   * another queued a job (watch_queue, queue_watched); statements counts
   * the statements sent since the store was opened */
  gboolean (*watch_queue) (CcStore * self, CcStoreQueuedFunc func,
      gpointer user_data);
  gboolean (*queue_watched) (CcStore * self);
  guint64 (*statements) (CcStore * self);

  gboolean (*unit_add) (CcStore * self, const gchar * name, CcUnitKind kind,
      const gchar * contact, const gchar * phone, GError ** error);
  CcUnit *(*unit_get) (CcStore * self, const gchar * name, GError ** error);
  GPtrArray *(*unit_list) (CcStore * self, GError ** error);
  gboolean (*unit_remove) (CcStore * self, const gchar * name,
      GError ** error);
  gboolean (*unit_set_contact) (CcStore * self, const gchar * name,
      const gchar * contact, const gchar * phone, GError ** error);

  gboolean (*round_add) (CcStore * self, gint number, const gchar * name,
      const gchar * deadline, GError ** error);
  GPtrArray *(*round_list) (CcStore * self, GError ** error);

  gboolean (*user_add) (CcStore * self, const gchar * name, CcRole role,
      gint64 unit_id, const gchar * token_hash, GError ** error);
  CcUser *(*user_get) (CcStore * self, const gchar * name, GError ** error);
  CcUser *(*user_by_token) (CcStore * self, const gchar * token_hash,
      GError ** error);
  GPtrArray *(*user_list) (CcStore * self, GError ** error);
  gboolean (*user_set_token) (CcStore * self, const gchar * name,
      const gchar * token_hash, GError ** error);
  gboolean (*user_remove) (CcStore * self, const gchar * name,
      GError ** error);

  gboolean (*session_add) (CcStore * self, const gchar * id_hash,
      gint64 user_id, const gchar * csrf, gint64 expires_at, GError ** error);
  CcUser *(*session_user) (CcStore * self, const gchar * id_hash, gint64 now,
      gchar ** csrf, GError ** error);
  gboolean (*session_remove) (CcStore * self, const gchar * id_hash,
      GError ** error);
  gboolean (*session_purge) (CcStore * self, gint64 now, GError ** error);

  gboolean (*upload_add) (CcStore * self, const CcUpload * upload,
      GError ** error);
  CcUpload *(*upload_get) (CcStore * self, const gchar * id, GError ** error);
  GPtrArray *(*upload_list) (CcStore * self, gint64 unit_id,
      gboolean incomplete_only, GError ** error);
  gboolean (*upload_set_offset) (CcStore * self, const gchar * id,
      gint64 offset, GError ** error);
  gboolean (*upload_complete) (CcStore * self, const gchar * id,
      const gchar * sha256, gint64 now, GError ** error);
  gboolean (*upload_remove) (CcStore * self, const gchar * id,
      GError ** error);

  gboolean (*job_add) (CcStore * self, const CcJobRecord * job,
      GError ** error);
  CcJobRecord *(*job_get) (CcStore * self, const gchar * id, GError ** error);
  GPtrArray *(*job_list) (CcStore * self, gint64 unit_id, guint limit,
      GError ** error);
  CcJobRecord *(*job_claim) (CcStore * self, const gchar * owner, gint64 now,
      gint64 lease_expires, GError ** error);
  gboolean (*job_renew) (CcStore * self, const gchar * id, gint attempt,
      const gchar * owner, gint64 now, gint64 lease_expires,
      gdouble progress, GError ** error);
  gboolean (*job_finish) (CcStore * self, const gchar * id, gint attempt,
      const gchar * owner, const CcJobEnd * end, gint64 now, GError ** error);
  gboolean (*job_release) (CcStore * self, const gchar * id, gint attempt,
      const gchar * owner, const gchar * tally, gint64 now, GError ** error);
  gboolean (*job_cancel) (CcStore * self, const gchar * id, gint64 now,
      GError ** error);
  gboolean (*job_retry) (CcStore * self, const gchar * id, gint64 now,
      GError ** error);
  gint (*job_rescue) (CcStore * self, gint64 expired_before,
      const gchar * owner_prefix, gboolean others, const gchar * reason,
      gint64 now, GError ** error);
  gboolean (*job_rerun) (CcStore * self, const gchar * id, gint64 now,
      const gchar * options, GError ** error);
  GPtrArray *(*job_select) (CcStore * self, const CcJobFilter * filter,
      GError ** error);

  gboolean (*decision_add) (CcStore * self, const CcDecision * decision,
      CcReviewState state, const gchar * expected_outputs, GError ** error);
  GPtrArray *(*decision_list) (CcStore * self, const gchar * job_id,
      GError ** error);
  gboolean (*comment_add) (CcStore * self, const CcComment * comment,
      GError ** error);
  GPtrArray *(*comment_list) (CcStore * self, const gchar * job_id,
      GError ** error);
};

const gchar *cc_store_backend (CcStore * self);
gint cc_store_schema_version (CcStore * self, GError ** error);
gboolean cc_store_ping (CcStore * self, GError ** error);
gboolean cc_store_watch_queue (CcStore * self, CcStoreQueuedFunc func,
    gpointer user_data);
gboolean cc_store_queue_watched (CcStore * self);
gint64 cc_store_statements (CcStore * self);

gboolean cc_store_unit_add (CcStore * self, const gchar * name,
    CcUnitKind kind, const gchar * contact, const gchar * phone,
    GError ** error);
CcUnit *cc_store_unit_get (CcStore * self, const gchar * name,
    GError ** error);
GPtrArray *cc_store_unit_list (CcStore * self, GError ** error);
gboolean cc_store_unit_remove (CcStore * self, const gchar * name,
    GError ** error);
gboolean cc_store_unit_set_contact (CcStore * self, const gchar * name,
    const gchar * contact, const gchar * phone, GError ** error);

gboolean cc_store_round_add (CcStore * self, gint number, const gchar * name,
    const gchar * deadline, GError ** error);
GPtrArray *cc_store_round_list (CcStore * self, GError ** error);

gboolean cc_store_user_add (CcStore * self, const gchar * name, CcRole role,
    gint64 unit_id, const gchar * token_hash, GError ** error);
CcUser *cc_store_user_get (CcStore * self, const gchar * name,
    GError ** error);
CcUser *cc_store_user_by_token (CcStore * self, const gchar * token_hash,
    GError ** error);
GPtrArray *cc_store_user_list (CcStore * self, GError ** error);
gboolean cc_store_user_set_token (CcStore * self, const gchar * name,
    const gchar * token_hash, GError ** error);
gboolean cc_store_user_remove (CcStore * self, const gchar * name,
    GError ** error);

gboolean cc_store_session_add (CcStore * self, const gchar * id_hash,
    gint64 user_id, const gchar * csrf, gint64 expires_at, GError ** error);
CcUser *cc_store_session_user (CcStore * self, const gchar * id_hash,
    gint64 now, gchar ** csrf, GError ** error);
gboolean cc_store_session_remove (CcStore * self, const gchar * id_hash,
    GError ** error);
gboolean cc_store_session_purge (CcStore * self, gint64 now, GError ** error);

gboolean cc_store_upload_add (CcStore * self, const CcUpload * upload,
    GError ** error);
CcUpload *cc_store_upload_get (CcStore * self, const gchar * id,
    GError ** error);
GPtrArray *cc_store_upload_list (CcStore * self, gint64 unit_id,
    gboolean incomplete_only, GError ** error);
gboolean cc_store_upload_set_offset (CcStore * self, const gchar * id,
    gint64 offset, GError ** error);
gboolean cc_store_upload_complete (CcStore * self, const gchar * id,
    const gchar * sha256, gint64 now, GError ** error);
gboolean cc_store_upload_remove (CcStore * self, const gchar * id,
    GError ** error);

/* Jobs. The transitions change a job only from the state (and, for a
 * worker, the attempt and lease) they name, and are G_IO_ERROR_NOT_FOUND
 * otherwise: a cancelled job is not finished later, a lost lease changes
 * nothing.
 *
 * Leases: the claim and the renewal take the caller's @now and the
 * @lease_expires it wants, the rescue @expired_before and @now. SQLite
 * (one server) stores and compares them as given. PostgreSQL, which
 * several servers with several clocks share, keeps only the differences
 * (the lease's length, how long before @now a lease must have ended to
 * count as expired) and counts from its own clock, now(): lease_expires
 * is then in the database's time. Other times (run_after, started_at,
 * finished_at) are the caller's on both. */
gboolean cc_store_job_add (CcStore * self, const CcJobRecord * job,
    GError ** error);
CcJobRecord *cc_store_job_get (CcStore * self, const gchar * id,
    GError ** error);
GPtrArray *cc_store_job_list (CcStore * self, gint64 unit_id, guint limit,
    GError ** error);
CcJobRecord *cc_store_job_claim (CcStore * self, const gchar * owner,
    gint64 now, gint64 lease_expires, GError ** error);
gboolean cc_store_job_renew (CcStore * self, const gchar * id, gint attempt,
    const gchar * owner, gint64 now, gint64 lease_expires, gdouble progress,
    GError ** error);
gboolean cc_store_job_finish (CcStore * self, const gchar * id, gint attempt,
    const gchar * owner, const CcJobEnd * end, gint64 now, GError ** error);
gboolean cc_store_job_release (CcStore * self, const gchar * id, gint attempt,
    const gchar * owner, const gchar * tally, gint64 now, GError ** error);
gboolean cc_store_job_cancel (CcStore * self, const gchar * id, gint64 now,
    GError ** error);
gboolean cc_store_job_retry (CcStore * self, const gchar * id, gint64 now,
    GError ** error);
gint cc_store_job_rescue (CcStore * self, gint64 expired_before,
    const gchar * owner_prefix, gboolean others, const gchar * reason,
    gint64 now, GError ** error);
gboolean cc_store_job_rerun (CcStore * self, const gchar * id, gint64 now,
    const gchar * options, GError ** error);
GPtrArray *cc_store_job_select (CcStore * self, const CcJobFilter * filter,
    GError ** error);

/* Review. A decision is bound to the outputs the job has: it is recorded
 * only while they are @expected_outputs (the stored text) and the job is
 * done, in one transaction with the job's new review state. Whenever a
 * job's outputs change (an attempt starts, an attempt ends), the store
 * appends a "void" entry in the same transaction, if the last entry is a
 * decision. The log refuses every UPDATE and DELETE. */
gboolean cc_store_decision_add (CcStore * self, const CcDecision * decision,
    CcReviewState state, const gchar * expected_outputs, GError ** error);
GPtrArray *cc_store_decision_list (CcStore * self, const gchar * job_id,
    GError ** error);
gboolean cc_store_comment_add (CcStore * self, const CcComment * comment,
    GError ** error);
GPtrArray *cc_store_comment_list (CcStore * self, const gchar * job_id,
    GError ** error);

G_END_DECLS
