/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccstore: the store interface's dispatch, its records, and the names the
 * API and the database use for units, roles, upload kinds, job states and
 * review states.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "ccstore.h"

G_DEFINE_INTERFACE (CcStore, cc_store, G_TYPE_OBJECT)

static void
cc_store_default_init (CcStoreInterface * iface)
{
}

/* The names below are the ones stored, shown and accepted: one table each. */
static const gchar *const unit_kinds[] = { "district", "college" };
static const gchar *const roles[] = { "submitter", "reviewer", "admin",
  "worker"
};
static const gchar *const upload_kinds[] = { "video", "captions", "logo",
  "output"
};
static const gchar *const job_states[] = {
  "queued", "running", "done", "rejected", "failed", "cancelled"
};
static const gchar *const review_states[] = {
  "none", "pending", "approved", "changes_requested", "rejected"
};

static gboolean
name_lookup (const gchar * const *names, guint n, const gchar * s, gint * out)
{
  for (guint i = 0; s != NULL && i < n; i++) {
    if (strcmp (names[i], s) == 0) {
      *out = (gint) i;
      return TRUE;
    }
  }
  return FALSE;
}

const gchar *
cc_unit_kind_to_string (CcUnitKind kind)
{
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (unit_kinds), NULL);
  return unit_kinds[kind];
}

gboolean
cc_unit_kind_from_string (const gchar * s, CcUnitKind * kind)
{
  return name_lookup (unit_kinds, G_N_ELEMENTS (unit_kinds), s, (gint *) kind);
}

const gchar *
cc_role_to_string (CcRole role)
{
  g_return_val_if_fail ((guint) role < G_N_ELEMENTS (roles), NULL);
  return roles[role];
}

gboolean
cc_role_from_string (const gchar * s, CcRole * role)
{
  return name_lookup (roles, G_N_ELEMENTS (roles), s, (gint *) role);
}

const gchar *
cc_upload_kind_to_string (CcUploadKind kind)
{
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (upload_kinds), NULL);
  return upload_kinds[kind];
}

gboolean
cc_upload_kind_from_string (const gchar * s, CcUploadKind * kind)
{
  return name_lookup (upload_kinds, G_N_ELEMENTS (upload_kinds), s,
      (gint *) kind);
}

const gchar *
cc_job_state_to_string (CcJobState state)
{
  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (job_states), NULL);
  return job_states[state];
}

gboolean
cc_job_state_from_string (const gchar * s, CcJobState * state)
{
  return name_lookup (job_states, G_N_ELEMENTS (job_states), s,
      (gint *) state);
}

/* Whether nothing more happens to a job in @state unless someone retries
 * it. */
gboolean
cc_job_state_is_final (CcJobState state)
{
  return state != CC_JOB_QUEUED && state != CC_JOB_RUNNING;
}

const gchar *
cc_review_state_to_string (CcReviewState state)
{
  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (review_states), NULL);
  return review_states[state];
}

gboolean
cc_review_state_from_string (const gchar * s, CcReviewState * state)
{
  return name_lookup (review_states, G_N_ELEMENTS (review_states), s,
      (gint *) state);
}

void
cc_unit_free (CcUnit * unit)
{
  if (unit == NULL)
    return;
  g_free (unit->name);
  g_free (unit->contact);
  g_free (unit->phone);
  g_free (unit);
}

void
cc_round_free (CcRound * round)
{
  if (round == NULL)
    return;
  g_free (round->name);
  g_free (round->deadline);
  g_free (round);
}

void
cc_decision_free (CcDecision * decision)
{
  if (decision == NULL)
    return;
  g_free (decision->job_id);
  g_free (decision->user_name);
  g_free (decision->decision);
  g_free (decision->reason);
  g_free (decision->outputs);
  g_free (decision);
}

void
cc_comment_free (CcComment * comment)
{
  if (comment == NULL)
    return;
  g_free (comment->job_id);
  g_free (comment->user_name);
  g_free (comment->text);
  g_free (comment);
}

void
cc_user_free (CcUser * user)
{
  if (user == NULL)
    return;
  g_free (user->name);
  g_free (user->unit_name);
  g_free (user->token_hash);
  g_free (user);
}

CcUpload *
cc_upload_copy (const CcUpload * upload)
{
  CcUpload *copy = g_memdup2 (upload, sizeof (CcUpload));

  copy->id = g_strdup (upload->id);
  copy->filename = g_strdup (upload->filename);
  copy->sha256 = g_strdup (upload->sha256);
  copy->job_id = g_strdup (upload->job_id);
  return copy;
}

void
cc_upload_free (CcUpload * upload)
{
  if (upload == NULL)
    return;
  g_free (upload->id);
  g_free (upload->filename);
  g_free (upload->sha256);
  g_free (upload->job_id);
  g_free (upload);
}

CcJobRecord *
cc_job_record_copy (const CcJobRecord * job)
{
  CcJobRecord *copy = g_memdup2 (job, sizeof (CcJobRecord));

  copy->id = g_strdup (job->id);
  copy->video = g_strdup (job->video);
  copy->captions = g_strdup (job->captions);
  copy->logo = g_strdup (job->logo);
  copy->options = g_strdup (job->options);
  copy->lease_owner = g_strdup (job->lease_owner);
  copy->reason = g_strdup (job->reason);
  copy->errors = g_strdup (job->errors);
  copy->outputs = g_strdup (job->outputs);
  copy->student = g_strdup (job->student);
  copy->role_model = g_strdup (job->role_model);
  return copy;
}

void
cc_job_record_free (CcJobRecord * job)
{
  if (job == NULL)
    return;
  g_free (job->id);
  g_free (job->video);
  g_free (job->captions);
  g_free (job->logo);
  g_free (job->options);
  g_free (job->lease_owner);
  g_free (job->reason);
  g_free (job->errors);
  g_free (job->outputs);
  g_free (job->student);
  g_free (job->role_model);
  g_free (job);
}

/* Dispatch: one wrapper per operation, documented in ccstore.h. */

const gchar *
cc_store_backend (CcStore * self)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->backend (self);
}

gint
cc_store_schema_version (CcStore * self, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), -1);
  return CC_STORE_GET_IFACE (self)->schema_version (self, error);
}

gboolean
cc_store_ping (CcStore * self, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->ping (self, error);
}

/**
 * cc_store_watch_queue:
 * @func: called in the thread-default main context of this call whenever
 *   jobs may have been queued through another connection to the store
 *   (another server, the sweep), and whenever the watch was broken and
 *   made again (what came meanwhile was missed)
 *
 * Watches the queue of a store that several servers share. Once per
 * store; the watch ends with the store, or when this is called again with
 * a NULL @func.
 *
 * Returns: FALSE when the store cannot tell (SQLite: one server, which
 * knows what it queued itself)
 */
gboolean
cc_store_watch_queue (CcStore * self, CcStoreQueuedFunc func,
    gpointer user_data)
{
  CcStoreInterface *iface;

  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  iface = CC_STORE_GET_IFACE (self);
  return iface->watch_queue && iface->watch_queue (self, func, user_data);
}

/**
 * cc_store_queue_watched:
 *
 * Whether the watch of cc_store_watch_queue() is up now: while it is,
 * looking for queued jobs now and then is only the fallback for a
 * notification lost.
 */
gboolean
cc_store_queue_watched (CcStore * self)
{
  CcStoreInterface *iface;

  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  iface = CC_STORE_GET_IFACE (self);
  return iface->queue_watched && iface->queue_watched (self);
}

/**
 * cc_store_statements:
 *
 * How many statements this store has sent to its database since it was
 * opened (a transaction's BEGIN and COMMIT count), for /api/health and
 * the bench; -1 when it does not count them (SQLite: no network between
 * a statement and its server).
 */
gint64
cc_store_statements (CcStore * self)
{
  CcStoreInterface *iface;

  g_return_val_if_fail (CC_IS_STORE (self), -1);
  iface = CC_STORE_GET_IFACE (self);
  return iface->statements ? (gint64) iface->statements (self) : -1;
}

gboolean
cc_store_unit_add (CcStore * self, const gchar * name, CcUnitKind kind,
    const gchar * contact, const gchar * phone, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->unit_add (self, name, kind, contact,
      phone, error);
}

CcUnit *
cc_store_unit_get (CcStore * self, const gchar * name, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->unit_get (self, name, error);
}

GPtrArray *
cc_store_unit_list (CcStore * self, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->unit_list (self, error);
}

gboolean
cc_store_unit_remove (CcStore * self, const gchar * name, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->unit_remove (self, name, error);
}

/* Changes what is given of a unit's contact (NULL: unchanged). */
gboolean
cc_store_unit_set_contact (CcStore * self, const gchar * name,
    const gchar * contact, const gchar * phone, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->unit_set_contact (self, name, contact,
      phone, error);
}

gboolean
cc_store_round_add (CcStore * self, gint number, const gchar * name,
    const gchar * deadline, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->round_add (self, number, name, deadline,
      error);
}

/* The rounds by number. */
GPtrArray *
cc_store_round_list (CcStore * self, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->round_list (self, error);
}

gboolean
cc_store_user_add (CcStore * self, const gchar * name, CcRole role, gint64 unit_id, const gchar * token_hash, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->user_add (self, name, role, unit_id, token_hash, error);
}

CcUser *
cc_store_user_get (CcStore * self, const gchar * name, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->user_get (self, name, error);
}

CcUser *
cc_store_user_by_token (CcStore * self, const gchar * token_hash, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->user_by_token (self, token_hash, error);
}

GPtrArray *
cc_store_user_list (CcStore * self, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->user_list (self, error);
}

gboolean
cc_store_user_set_token (CcStore * self, const gchar * name, const gchar * token_hash, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->user_set_token (self, name, token_hash, error);
}

gboolean
cc_store_user_remove (CcStore * self, const gchar * name, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->user_remove (self, name, error);
}

gboolean
cc_store_session_add (CcStore * self, const gchar * id_hash, gint64 user_id, const gchar * csrf, gint64 expires_at, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->session_add (self, id_hash, user_id, csrf, expires_at, error);
}

CcUser *
cc_store_session_user (CcStore * self, const gchar * id_hash, gint64 now, gchar ** csrf, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->session_user (self, id_hash, now, csrf, error);
}

gboolean
cc_store_session_remove (CcStore * self, const gchar * id_hash, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->session_remove (self, id_hash, error);
}

gboolean
cc_store_session_purge (CcStore * self, gint64 now, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->session_purge (self, now, error);
}

gboolean
cc_store_upload_add (CcStore * self, const CcUpload * upload, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->upload_add (self, upload, error);
}

CcUpload *
cc_store_upload_get (CcStore * self, const gchar * id, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->upload_get (self, id, error);
}

GPtrArray *
cc_store_upload_list (CcStore * self, gint64 unit_id, gboolean incomplete_only, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->upload_list (self, unit_id, incomplete_only, error);
}

gboolean
cc_store_upload_set_offset (CcStore * self, const gchar * id, gint64 offset, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->upload_set_offset (self, id, offset, error);
}

gboolean
cc_store_upload_complete (CcStore * self, const gchar * id, const gchar * sha256, gint64 now, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->upload_complete (self, id, sha256, now, error);
}

gboolean
cc_store_upload_remove (CcStore * self, const gchar * id, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->upload_remove (self, id, error);
}

gboolean
cc_store_job_add (CcStore * self, const CcJobRecord * job, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->job_add (self, job, error);
}

CcJobRecord *
cc_store_job_get (CcStore * self, const gchar * id, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->job_get (self, id, error);
}

GPtrArray *
cc_store_job_list (CcStore * self, gint64 unit_id, guint limit, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->job_list (self, unit_id, limit, error);
}

/* The oldest queued job that may run now, made running under @owner's
 * lease with its attempt counted; NULL with @error unset when none is. */
CcJobRecord *
cc_store_job_claim (CcStore * self, const gchar * owner, gint64 now, gint64 lease_expires, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->job_claim (self, owner, now, lease_expires, error);
}

/* The lease of the running job's @attempt, still @owner's, extended to
 * @lease_expires, with its progress. */
gboolean
cc_store_job_renew (CcStore * self, const gchar * id, gint attempt, const gchar * owner, gint64 now, gint64 lease_expires, gdouble progress, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->job_renew (self, id, attempt, owner, now, lease_expires, progress, error);
}

gboolean
cc_store_job_finish (CcStore * self, const gchar * id, gint attempt, const gchar * owner, const CcJobEnd * end, gint64 now, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->job_finish (self, id, attempt, owner, end, now, error);
}

/* A running job back to the queue, its attempt not counted: the server
 * stopped it on purpose. Unless @tally is NULL (a worker that stopped
 * gives it back), the release is tallied: every third such release of the
 * job counts its attempt after all, with @tally recorded as the reason at
 * @now, and fails the job when that was its last (a job that gets every
 * worker running it stopped ends). */
gboolean
cc_store_job_release (CcStore * self, const gchar * id, gint attempt, const gchar * owner, const gchar * tally, gint64 now, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->job_release (self, id, attempt, owner, tally, now, error);
}

gboolean
cc_store_job_cancel (CcStore * self, const gchar * id, gint64 now, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->job_cancel (self, id, now, error);
}

/* A failed or cancelled job queued again, with three more attempts. */
gboolean
cc_store_job_retry (CcStore * self, const gchar * id, gint64 now, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->job_retry (self, id, now, error);
}

/* Running jobs whose lease expired before @expired_before (and, unless
 * @owner_prefix is NULL, whose lease owner begins with it, or with
 * @others does not): their worker is gone. Each is queued again (or
 * failed, its attempts spent) with @reason recorded. Returns how many, or
 * -1 with @error set. */
gint
cc_store_job_rescue (CcStore * self, gint64 expired_before, const gchar * owner_prefix, gboolean others, const gchar * reason, gint64 now, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), -1);
  return CC_STORE_GET_IFACE (self)->job_rescue (self, expired_before, owner_prefix, others, reason, now, error);
}

/* A done or rejected job queued again to be made anew, with three more
 * attempts; its outputs stay until the next attempt starts. @options,
 * unless NULL, replace the stored ones (a reviewer's platform cut). */
gboolean
cc_store_job_rerun (CcStore * self, const gchar * id, gint64 now,
    const gchar * options, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->job_rerun (self, id, now, options,
      error);
}

/* The jobs @filter names, oldest first. */
GPtrArray *
cc_store_job_select (CcStore * self, const CcJobFilter * filter,
    GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->job_select (self, filter, error);
}

/* G_IO_ERROR_NOT_FOUND when the job is not done or its outputs are not
 * @expected_outputs any more. */
gboolean
cc_store_decision_add (CcStore * self, const CcDecision * decision,
    CcReviewState state, const gchar * expected_outputs, GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->decision_add (self, decision, state,
      expected_outputs, error);
}

/* A job's review log, oldest first. */
GPtrArray *
cc_store_decision_list (CcStore * self, const gchar * job_id,
    GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->decision_list (self, job_id, error);
}

gboolean
cc_store_comment_add (CcStore * self, const CcComment * comment,
    GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), FALSE);
  return CC_STORE_GET_IFACE (self)->comment_add (self, comment, error);
}

/* A job's comments, oldest first. */
GPtrArray *
cc_store_comment_list (CcStore * self, const gchar * job_id,
    GError ** error)
{
  g_return_val_if_fail (CC_IS_STORE (self), NULL);
  return CC_STORE_GET_IFACE (self)->comment_list (self, job_id, error);
}
