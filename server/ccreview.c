/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccreview: the campaign's review.
 *
 *   POST /api/jobs/ID/decision     a reviewer's decision on the outputs
 *                                  named (reviewers and admins)
 *   GET  /api/jobs/ID/decisions    the job's review log, oldest first
 *   GET  /api/jobs/ID/comments     comments at points of the video
 *   POST /api/jobs/ID/comments     {"t": seconds, "text": …}
 *   GET  /api/jobs/ID/captions     the uploaded captions' cues, with their
 *                                  times, for the review page
 *   GET  /api/review/queue         done jobs awaiting a decision
 *   GET  /api/campaign?round=N     per unit and category: submitted,
 *                                  passed, approved, quota; who is short
 *
 * A decision is bound to the exact files the reviewer saw: it names the
 * outputs with their SHA-256, and is recorded only while they are the
 * job's (in the store, in one transaction with the job's review state).
 * When the outputs change, the store voids it (ccstore.h). A submitter
 * sees their own unit's jobs, decisions and comments and may comment;
 * deciding, the queue and other units' counts are for reviewers and
 * admins (403), another unit's job does not exist for them (404).
 *
 * Rounds: a job belongs to the round it names, or to the open one (the
 * lowest-numbered whose last day has not passed, in the server's time
 * zone); submitters cannot name a round that is closed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "campuscut-serve"

#include <string.h>

#include "cccaptions.h"
#include "cchttp.h"
#include "ccjobs.h"
#include "ccreview.h"

#define REASON_MAX_CHARS 1000
#define COMMENT_MAX_CHARS 1000
#define MEDIA_TIME_MAX_S 36000.0

const CcCategoryInfo cc_review_categories[] = {
  {"story", "榜样故事", {2, 1}},
  {"craftsman", "未来工匠", {2, 1}},
  {"overview", "活动概览", {1, 1}},
};

const guint cc_review_n_categories = G_N_ELEMENTS (cc_review_categories);

static const CcJsonField decision_fields[] = {
  {"decision", G_TYPE_STRING, TRUE},
  {"reason", G_TYPE_STRING, TRUE},
  {"outputs", CC_JSON_OBJECTS, TRUE},
};

static const CcJsonField seen_fields[] = {
  {"name", G_TYPE_STRING, TRUE},
  {"sha256", G_TYPE_STRING, TRUE},
};

static const CcJsonField comment_fields[] = {
  {"t", G_TYPE_DOUBLE, TRUE},
  {"text", G_TYPE_STRING, TRUE},
};

const CcCategoryInfo *
cc_review_category (const gchar * id)
{
  for (guint i = 0; id && i < G_N_ELEMENTS (cc_review_categories); i++) {
    if (strcmp (cc_review_categories[i].id, id) == 0)
      return &cc_review_categories[i];
  }
  return NULL;
}

/* The job's campaign category as its options have it, or NULL. */
const gchar *
cc_review_job_category (const CcJobRecord * job)
{
  g_autoptr (JsonNode) node = cc_jobs_parse_stored (job->options);
  const CcCategoryInfo *cat = NULL;

  if (JSON_NODE_HOLDS_OBJECT (node))
    cat = cc_review_category (json_object_get_string_member_with_default
        (json_node_get_object (node), "category", NULL));
  return cat ? cat->id : NULL;
}

static void
internal_error (SoupServerMessage * msg, const GError * err)
{
  cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "%s",
      err->message);
}

/* Today in the server's time zone, as deadlines are written. */
gchar *
cc_review_today (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_format (now, "%Y-%m-%d");
}

CcRound *
cc_review_find_round (GPtrArray * rounds, gint number)
{
  for (guint i = 0; i < rounds->len; i++) {
    CcRound *r = rounds->pdata[i];

    if (r->number == number)
      return r;
  }
  return NULL;
}

/* The lowest-numbered round whose last day has not passed, or NULL. */
CcRound *
cc_review_open_round (GPtrArray * rounds)
{
  g_autofree gchar *today = cc_review_today ();

  for (guint i = 0; i < rounds->len; i++) {
    CcRound *r = rounds->pdata[i];

    if (strcmp (r->deadline, today) >= 0)
      return r;
  }
  return NULL;
}

static gboolean
round_closed (const CcRound * round)
{
  g_autofree gchar *today = cc_review_today ();

  return strcmp (round->deadline, today) < 0;
}

/**
 * cc_review_job_round:
 * @round: (out): the new job's round, 0 when no round is set up at all
 *
 * The round a new job belongs to: the one its body names, or the open
 * one. Answers 400 or 409 and returns FALSE when there is none to take.
 */
gboolean
cc_review_job_round (CcServer * server, SoupServerMessage * msg,
    const CcAuth * auth, JsonObject * body, gint * round)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) rounds = cc_store_round_list (server->store, &err);
  gint64 wanted = json_object_get_int_member_with_default (body, "round", 0);
  CcRound *r;

  if (rounds == NULL) {
    internal_error (msg, err);
    return FALSE;
  }
  if (!json_object_has_member (body, "round")) {
    r = cc_review_open_round (rounds);
    if (r == NULL && rounds->len > 0) {
      cc_http_error (msg, SOUP_STATUS_CONFLICT, "round_closed", "every "
          "round's deadline has passed");
      return FALSE;
    }
    *round = r ? r->number : 0;
    return TRUE;
  }
  r = wanted > 0 && wanted <= G_MAXINT ?
      cc_review_find_round (rounds, (gint) wanted) : NULL;
  if (r == NULL) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "unknown_round",
        "there is no round %" G_GINT64_FORMAT, wanted);
    return FALSE;
  }
  if (auth->user->role == CC_ROLE_SUBMITTER && round_closed (r)) {
    cc_http_error (msg, SOUP_STATUS_CONFLICT, "round_closed", "round %d "
        "closed on %s", r->number, r->deadline);
    return FALSE;
  }
  *round = r->number;
  return TRUE;
}

/**
 * cc_review_query_round:
 * @round: (out): the round the query's `round` names; without one, the
 *   open round, or else the last
 *
 * Answers 400 or 404 and returns FALSE when there is no such round.
 */
gboolean
cc_review_query_round (CcServer * server, SoupServerMessage * msg,
    GHashTable * query, CcRound ** round)
{
  const gchar *text = query ? g_hash_table_lookup (query, "round") : NULL;
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) rounds = cc_store_round_list (server->store, &err);
  gint64 n = 0;
  CcRound *r = NULL;

  if (rounds == NULL) {
    internal_error (msg, err);
    return FALSE;
  }
  if (text && (!cc_http_parse_size (text, &n) || n > G_MAXINT)) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_query",
        "round takes a round's number");
    return FALSE;
  }
  if (text)
    r = cc_review_find_round (rounds, (gint) n);
  else if ((r = cc_review_open_round (rounds)) == NULL && rounds->len > 0)
    r = rounds->pdata[rounds->len - 1];
  if (r == NULL) {
    cc_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
        "no such round");
    return FALSE;
  }
  for (guint i = 0; i < rounds->len; i++) {
    if (rounds->pdata[i] == r)
      *round = g_ptr_array_steal_index (rounds, i);
  }
  return TRUE;
}

/* Answers 403 unless @auth is a reviewer or an admin. */
gboolean
cc_review_require_reviewer (SoupServerMessage * msg, const CcAuth * auth)
{
  if (auth->user->role != CC_ROLE_SUBMITTER)
    return TRUE;
  cc_http_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden",
      "only reviewers and admins may do this");
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Decisions.                                                           */

static JsonObject *
decision_to_json (const CcDecision * d)
{
  JsonObject *o = json_object_new ();

  json_object_set_int_member (o, "id", d->id);
  json_object_set_string_member (o, "job", d->job_id);
  json_object_set_string_member (o, "decision", d->decision);
  json_object_set_string_member (o, "reason", d->reason);
  json_object_set_string_member (o, "user", d->user_name);
  cc_jobs_set_time (o, "at", d->at);
  json_object_set_member (o, "outputs", cc_jobs_parse_stored (d->outputs));
  return o;
}

/* The SHA-256 of the job's output @name, or NULL. */
static const gchar *
output_sha256 (JsonArray * outputs, const gchar * name)
{
  for (guint i = 0; outputs && i < json_array_get_length (outputs); i++) {
    JsonObject *o = json_array_get_object_element (outputs, i);

    if (o && g_strcmp0 (json_object_get_string_member_with_default (o,
                "name", NULL), name) == 0)
      return json_object_get_string_member_with_default (o, "sha256", NULL);
  }
  return NULL;
}

/* Whether the outputs the reviewer names are the job's as they are now:
 * each one the job's with the same SHA-256, every video among them. The
 * answer (400 or 409) is set when not. The names and hashes go to @seen. */
static gboolean
outputs_seen (SoupServerMessage * msg, const CcJobRecord * job,
    JsonArray * given, JsonArray * seen)
{
  g_autoptr (JsonNode) node = cc_jobs_parse_stored (job->outputs);
  JsonArray *have = JSON_NODE_HOLDS_ARRAY (node) ?
      json_node_get_array (node) : NULL;

  for (guint i = 0; i < json_array_get_length (given); i++) {
    JsonObject *o = json_array_get_object_element (given, i);
    const gchar *name, *sha, *now;
    JsonObject *copy;

    if (!cc_http_check_fields (msg, o, seen_fields,
            G_N_ELEMENTS (seen_fields), "outputs[]"))
      return FALSE;
    name = json_object_get_string_member (o, "name");
    sha = json_object_get_string_member (o, "sha256");
    now = output_sha256 (have, name);
    if (output_sha256 (seen, name) != NULL) {
      cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_field",
          "outputs: '%s' is named twice", name);
      return FALSE;
    }
    if (now == NULL || g_ascii_strcasecmp (now, sha) != 0) {
      cc_http_error (msg, SOUP_STATUS_CONFLICT, "outputs_changed",
          "'%s' is not the job's output with that SHA-256 (any more)", name);
      return FALSE;
    }
    copy = json_object_new ();
    json_object_set_string_member (copy, "name", name);
    json_object_set_string_member (copy, "sha256", now);
    json_array_add_object_element (seen, copy);
  }
  for (guint i = 0; have && i < json_array_get_length (have); i++) {
    const gchar *name = json_object_get_string_member_with_default
        (json_array_get_object_element (have, i), "name", "");

    if (g_str_has_suffix (name, ".mp4") && !output_sha256 (seen, name)) {
      cc_http_error (msg, SOUP_STATUS_CONFLICT, "outputs_changed",
          "the decision must name every video the job has: %s", name);
      return FALSE;
    }
  }
  return TRUE;
}

/* The decision and reason of the request, checked; answers 400 when
 * wrong. */
static gboolean
decision_checked (SoupServerMessage * msg, JsonObject * body,
    CcReviewState * state)
{
  const gchar *what = json_object_get_string_member (body, "decision");
  const gchar *reason = json_object_get_string_member (body, "reason");
  g_autofree gchar *trimmed = g_strstrip (g_strdup (reason));
  glong n = g_utf8_strlen (trimmed, -1);

  if (!cc_review_state_from_string (what, state) ||
      *state == CC_REVIEW_NONE || *state == CC_REVIEW_PENDING) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_decision",
        "decision takes approved, changes_requested or rejected");
    return FALSE;
  }
  if (n < 1 || g_utf8_strlen (reason, -1) > REASON_MAX_CHARS) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_reason",
        "reason takes 1 to %d characters, not only spaces",
        REASON_MAX_CHARS);
    return FALSE;
  }
  return TRUE;
}

static void
route_decide (CcServer * server, SoupServerMessage * msg,
    const CcAuth * auth, const CcJobRecord * job)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonArray) seen = json_array_new ();
  g_autoptr (JsonNode) seen_node = json_node_new (JSON_NODE_ARRAY);
  g_autoptr (GError) err = NULL;
  g_autofree gchar *outputs = NULL;
  g_autoptr (CcDecision) recorded = NULL;
  g_autoptr (JsonObject) o = NULL;
  CcReviewState state;
  CcDecision d = { 0 };

  if (!cc_review_require_reviewer (msg, auth))
    return;
  body = cc_http_json_body (msg, decision_fields,
      G_N_ELEMENTS (decision_fields));
  if (body == NULL || !decision_checked (msg, body, &state))
    return;
  if (job->state != CC_JOB_DONE) {
    cc_http_error (msg, SOUP_STATUS_CONFLICT, "not_done", "the job is %s; "
        "only a done job is reviewed", cc_job_state_to_string (job->state));
    return;
  }
  if (!outputs_seen (msg, job, json_object_get_array_member (body,
              "outputs"), seen))
    return;
  json_node_set_array (seen_node, seen);
  outputs = json_to_string (seen_node, FALSE);
  d.job_id = job->id;
  d.user_id = auth->user->id;
  d.user_name = auth->user->name;
  d.at = g_get_real_time () / G_USEC_PER_SEC;
  d.decision = (gchar *) cc_review_state_to_string (state);
  d.reason = (gchar *) json_object_get_string_member (body, "reason");
  d.outputs = outputs;
  if (!cc_store_decision_add (server->store, &d, state, job->outputs, &err)) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
      cc_http_error (msg, SOUP_STATUS_CONFLICT, "outputs_changed",
          "the job's outputs changed meanwhile; look at them again");
    else
      internal_error (msg, err);
    return;
  }
  cc_jobs_publish_state (server, job->id);
  recorded = cc_review_last_decision (server, job->id, &err);
  if (recorded == NULL) {
    internal_error (msg, err);
    return;
  }
  o = decision_to_json (recorded);
  cc_http_reply_object (msg, SOUP_STATUS_CREATED, o);
}

/* The last entry of the job's log, void or not; NULL with @error unset
 * when there is none. */
CcDecision *
cc_review_last_decision (CcServer * server, const gchar * job_id,
    GError ** error)
{
  g_autoptr (GPtrArray) log = cc_store_decision_list (server->store, job_id,
      error);

  if (log == NULL || log->len == 0)
    return NULL;
  return g_ptr_array_steal_index (log, log->len - 1);
}

typedef JsonObject *(*ToJson) (gconstpointer item);

/* Answers {"NAME": [ each item as JSON ]}, or the store's error when
 * @items is NULL. */
static void
reply_list (SoupServerMessage * msg, const gchar * name, GPtrArray * items,
    ToJson to_json, GError * err)
{
  g_autoptr (JsonObject) reply = NULL;
  JsonArray *a;

  if (items == NULL) {
    internal_error (msg, err);
    return;
  }
  reply = json_object_new ();
  a = json_array_new ();
  json_object_set_array_member (reply, name, a);
  for (guint i = 0; i < items->len; i++)
    json_array_add_object_element (a, to_json (items->pdata[i]));
  cc_http_reply_object (msg, SOUP_STATUS_OK, reply);
}

static void
route_decisions (CcServer * server, SoupServerMessage * msg,
    const CcJobRecord * job)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) log = cc_store_decision_list (server->store, job->id,
      &err);

  reply_list (msg, "decisions", log, (ToJson) decision_to_json, err);
}

/* ------------------------------------------------------------------ */
/* Comments.                                                            */

static JsonObject *
comment_to_json (const CcComment * c)
{
  JsonObject *o = json_object_new ();

  json_object_set_int_member (o, "id", c->id);
  json_object_set_string_member (o, "job", c->job_id);
  json_object_set_string_member (o, "user", c->user_name);
  cc_jobs_set_time (o, "at", c->at);
  json_object_set_double_member (o, "t", c->t);
  json_object_set_string_member (o, "text", c->text);
  return o;
}

/* A comment's text: 1 to COMMENT_MAX_CHARS characters, lines allowed,
 * no other control characters. */
static gboolean
comment_text_ok (const gchar * s)
{
  g_autofree gchar *trimmed = g_strstrip (g_strdup (s));
  glong n = g_utf8_strlen (s, -1);

  if (*trimmed == '\0' || n > COMMENT_MAX_CHARS)
    return FALSE;
  for (const gchar * p = s; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (g_unichar_iscntrl (c) && c != '\n')
      return FALSE;
  }
  return TRUE;
}

static void
route_comment (CcServer * server, SoupServerMessage * msg,
    const CcAuth * auth, const CcJobRecord * job)
{
  g_autoptr (JsonObject) body = cc_http_json_body (msg, comment_fields,
      G_N_ELEMENTS (comment_fields));
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (JsonObject) o = NULL;
  CcComment c = { 0 };

  if (body == NULL)
    return;
  c.t = json_object_get_double_member (body, "t");
  c.text = (gchar *) json_object_get_string_member (body, "text");
  if (!(c.t >= 0 && c.t <= MEDIA_TIME_MAX_S) || !comment_text_ok (c.text)) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_comment", "t takes "
        "0 to %g seconds, text 1 to %d characters", MEDIA_TIME_MAX_S,
        COMMENT_MAX_CHARS);
    return;
  }
  c.job_id = job->id;
  c.user_id = auth->user->id;
  c.user_name = auth->user->name;
  c.at = g_get_real_time () / G_USEC_PER_SEC;
  if (!cc_store_comment_add (server->store, &c, &err) ||
      (all = cc_store_comment_list (server->store, job->id, &err)) == NULL) {
    internal_error (msg, err);
    return;
  }
  /* the store numbers it: the newest of the job's is this one */
  o = comment_to_json (all->pdata[all->len - 1]);
  cc_http_reply_object (msg, SOUP_STATUS_CREATED, o);
}

static void
route_comments (CcServer * server, SoupServerMessage * msg,
    const CcJobRecord * job)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) all = cc_store_comment_list (server->store, job->id,
      &err);

  reply_list (msg, "comments", all, (ToJson) comment_to_json, err);
}

/* ------------------------------------------------------------------ */
/* Captions.                                                            */

static JsonObject *
cue_to_json (const CcCaptionCue * cue)
{
  JsonObject *o = json_object_new ();

  json_object_set_double_member (o, "start", (gdouble) cue->start / 1e9);
  json_object_set_double_member (o, "end", (gdouble) cue->end / 1e9);
  json_object_set_string_member (o, "text", cue->text);
  return o;
}

/* GET /api/jobs/ID/captions: the captions file the job was given, read
 * by the same parser `campuscut process` burns them with (whatever its
 * encoding and format), as {"format", "encoding", "cues": [{"start",
 * "end", "text"}]}, times in seconds of the source. The file is at most
 * 16 MiB (cctus.c): read whole. */
static void
route_captions (CcServer * server, SoupServerMessage * msg,
    const CcJobRecord * job)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *path = NULL, *data = NULL;
  g_autoptr (JsonObject) reply = NULL;
  CcCaptionTrack *track;
  JsonArray *cues;
  gsize len = 0;

  if (job->captions == NULL) {
    cc_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
        "the job has no captions");
    return;
  }
  path = g_build_filename (server->uploads_dir, job->captions, NULL);
  if (!g_file_get_contents (path, &data, &len, &err)) {
    internal_error (msg, err);
    return;
  }
  track = cc_caption_track_parse (data, len, &err);
  if (track == NULL) {
    cc_http_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "bad_captions",
        "%s", err->message);
    return;
  }
  reply = json_object_new ();
  cues = json_array_new ();
  json_object_set_string_member (reply, "format",
      cc_caption_format_name (track->format));
  json_object_set_string_member (reply, "encoding", track->encoding);
  for (guint i = 0; i < track->cues->len; i++)
    json_array_add_object_element (cues, cue_to_json (track->cues->pdata[i]));
  json_object_set_array_member (reply, "cues", cues);
  cc_caption_track_free (track);
  cc_http_reply_object (msg, SOUP_STATUS_OK, reply);
}

/* The review's routes under /api/jobs/ID/ (ccjobs.c checked the method
 * and that @auth sees the job). */
void
cc_review_job_route (CcServer * server, SoupServerMessage * msg,
    const CcAuth * auth, const CcJobRecord * job, const gchar * action)
{
  gboolean post = soup_server_message_get_method (msg) == SOUP_METHOD_POST;

  if (strcmp (action, "decision") == 0)
    route_decide (server, msg, auth, job);
  else if (strcmp (action, "decisions") == 0)
    route_decisions (server, msg, job);
  else if (strcmp (action, "captions") == 0)
    route_captions (server, msg, job);
  else if (post)
    route_comment (server, msg, auth, job);
  else
    route_comments (server, msg, job);
}

/* ------------------------------------------------------------------ */
/* The queue and the campaign.                                          */

/* GET /api/review/queue: done jobs awaiting a decision, oldest first. */
static void
route_queue (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  CcServer *server = data;
  CcJobFilter f = { .state = "done", .review_state = "pending" };
  g_autoptr (CcAuth) auth = NULL;
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) jobs = NULL;
  g_autoptr (JsonObject) reply = json_object_new ();
  JsonArray *a = json_array_new ();

  json_object_set_array_member (reply, "jobs", a);
  if (strcmp (path, "/api/review/queue") != 0) {
    cc_http_not_found (msg);
    return;
  }
  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET) {
    cc_http_method_not_allowed (msg, "GET");
    return;
  }
  auth = cc_auth_request (server, msg);
  if (auth == NULL || !cc_review_require_reviewer (msg, auth))
    return;
  jobs = cc_store_job_select (server->store, &f, &err);
  if (jobs == NULL) {
    internal_error (msg, err);
    return;
  }
  for (guint i = 0; i < jobs->len; i++)
    json_array_add_object_element (a, cc_jobs_to_json (server,
            jobs->pdata[i]));
  cc_http_reply_object (msg, SOUP_STATUS_OK, reply);
}

typedef struct
{
  gint submitted, passed, approved;
} Counts;

/* Counts each unit's jobs of the round: @counts is indexed by the unit's
 * place in @units, then by category. */
static void
count_jobs (GPtrArray * units, GPtrArray * jobs, Counts * counts)
{
  for (guint j = 0; j < jobs->len; j++) {
    CcJobRecord *job = jobs->pdata[j];
    const CcCategoryInfo *cat = cc_review_category
        (cc_review_job_category (job));

    for (guint u = 0; cat && u < units->len; u++) {
      Counts *c = &counts[u * cc_review_n_categories +
          (cat - cc_review_categories)];

      if (((CcUnit *) units->pdata[u])->id != job->unit_id)
        continue;
      c->submitted += job->state != CC_JOB_CANCELLED;
      c->passed += job->state == CC_JOB_DONE;
      c->approved += job->state == CC_JOB_DONE &&
          job->review_state == CC_REVIEW_APPROVED;
    }
  }
}

static JsonObject *
unit_counts_to_json (const CcUnit * unit, const Counts * counts,
    gboolean * short_)
{
  JsonObject *o = json_object_new ();
  JsonObject *cats = json_object_new ();

  *short_ = FALSE;
  json_object_set_int_member (o, "id", unit->id);
  json_object_set_string_member (o, "name", unit->name);
  json_object_set_string_member (o, "kind",
      cc_unit_kind_to_string (unit->kind));
  json_object_set_string_member (o, "contact", unit->contact);
  json_object_set_string_member (o, "phone", unit->phone);
  for (guint i = 0; i < cc_review_n_categories; i++) {
    JsonObject *c = json_object_new ();
    gint quota = cc_review_categories[i].quota[unit->kind];

    json_object_set_int_member (c, "submitted", counts[i].submitted);
    json_object_set_int_member (c, "passed", counts[i].passed);
    json_object_set_int_member (c, "approved", counts[i].approved);
    json_object_set_int_member (c, "quota", quota);
    json_object_set_int_member (c, "missing",
        MAX (0, quota - counts[i].approved));
    *short_ = *short_ || counts[i].approved < quota;
    json_object_set_object_member (cats, cc_review_categories[i].id, c);
  }
  json_object_set_object_member (o, "categories", cats);
  json_object_set_boolean_member (o, "short", *short_);
  return o;
}

static JsonObject *
round_to_json (const CcRound * round)
{
  JsonObject *o = json_object_new ();

  json_object_set_int_member (o, "number", round->number);
  json_object_set_string_member (o, "name", round->name);
  json_object_set_string_member (o, "deadline", round->deadline);
  json_object_set_boolean_member (o, "open", !round_closed (round));
  return o;
}

static JsonObject *
campaign_to_json (const CcRound * round, GPtrArray * units, GPtrArray * jobs)
{
  JsonObject *reply = json_object_new ();
  JsonArray *list = json_array_new ();
  JsonArray *shorts = json_array_new ();
  g_autofree Counts *counts = g_new0 (Counts, MAX (1, units->len) *
      cc_review_n_categories);

  count_jobs (units, jobs, counts);
  json_object_set_object_member (reply, "round", round_to_json (round));
  for (guint u = 0; u < units->len; u++) {
    CcUnit *unit = units->pdata[u];
    gboolean short_;

    json_array_add_object_element (list, unit_counts_to_json (unit,
            &counts[u * cc_review_n_categories], &short_));
    if (short_)
      json_array_add_string_element (shorts, unit->name);
  }
  json_object_set_array_member (reply, "units", list);
  json_object_set_array_member (reply, "short", shorts);
  return reply;
}

/* The units @auth may see, by name. */
static GPtrArray *
visible_units (CcServer * server, const CcAuth * auth, GError ** error)
{
  GPtrArray *units = cc_store_unit_list (server->store, error);

  for (guint i = units ? units->len : 0; i > 0; i--) {
    if (!cc_auth_sees_unit (auth, ((CcUnit *) units->pdata[i - 1])->id))
      g_ptr_array_remove_index (units, i - 1);
  }
  return units;
}

/* GET /api/campaign?round=N */
static void
route_campaign (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  CcServer *server = data;
  g_autoptr (CcAuth) auth = NULL;
  g_autoptr (CcRound) round = NULL;
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) units = NULL, jobs = NULL;
  g_autoptr (JsonObject) reply = NULL;
  CcJobFilter f = { 0 };

  if (strcmp (path, "/api/campaign") != 0) {
    cc_http_not_found (msg);
    return;
  }
  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET) {
    cc_http_method_not_allowed (msg, "GET");
    return;
  }
  auth = cc_auth_request (server, msg);
  if (auth == NULL || !cc_review_query_round (server, msg, query, &round))
    return;
  f.round = round->number;
  if (auth->user->role == CC_ROLE_SUBMITTER)
    f.unit_id = auth->user->unit_id;
  units = visible_units (server, auth, &err);
  if (units)
    jobs = cc_store_job_select (server->store, &f, &err);
  if (jobs == NULL) {
    internal_error (msg, err);
    return;
  }
  reply = campaign_to_json (round, units, jobs);
  cc_http_reply_object (msg, SOUP_STATUS_OK, reply);
}

void
cc_review_add_routes (CcServer * server)
{
  cc_server_add_route (server, "/api/review", route_queue);
  cc_server_add_route (server, "/api/campaign", route_campaign);
}
