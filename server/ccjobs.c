/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccjobs: the jobs API.
 *
 *   POST /api/jobs                     a job: uploads and options (201)
 *   GET  /api/jobs                     the jobs you may see, newest first
 *   GET  /api/jobs/ID                  one job
 *   POST /api/jobs/ID/cancel           queued or running -> cancelled
 *   POST /api/jobs/ID/retry            failed or cancelled -> queued
 *   POST /api/jobs/ID/rerun            done or rejected -> queued, made anew
 *   POST /api/jobs/ID/platform         done -> queued: only the platform
 *                                      cut made again, with new segments
 *                                      (reviewers and admins)
 *   GET  /api/jobs/ID/events           progress and states (text/event-stream)
 *   GET  /api/jobs/ID/files/NAME       an output, with Range (also HEAD)
 *   POST /api/jobs/ID/decision         GET …/decisions   GET, POST …/comments
 *                                      GET …/captions (the review, in
 *                                      ccreview.c)
 *
 * A job's options are checked as `campuscut process` checks its command
 * line (ccjobspec.c); its uploads must be complete, of the right kind and
 * visible to the one who asks. A submitter's job belongs to their unit; a
 * reviewer's or an admin's to its video's. What a submitter may not see
 * does not exist for them (404), as for uploads. The jobs run in
 * ccrunner.c; each state change reaches the job's event streams from
 * here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "campuscut-serve"

#include <string.h>

#include "ccauth.h"
#include "cccutlist.h"
#include "ccjobs.h"
#include "ccjobspec.h"
#include "ccrange.h"
#include "ccreview.h"
#include "ccrunner.h"
#include "ccsecret.h"
#include "ccworkerapi.h"

#define MAX_ATTEMPTS 3
#define LIST_LIMIT 1000

const CcJobOutput cc_job_outputs[] = {
  {"full.mp4", "video/mp4"},
  {"platform.mp4", "video/mp4"},
  {"report.json", "application/json"},
  {"contact.jpg", "image/jpeg"},
  /* where each frame of the sheet is, and its time (the review page) */
  {"contact.json", "application/json"},
};

const guint cc_job_n_outputs = G_N_ELEMENTS (cc_job_outputs);

static gchar *
iso_time (gint64 t)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return g_date_time_format_iso8601 (dt);
}

/* A time as every time shown: ISO 8601 in UTC, null for none (0). */
void
cc_jobs_set_time (JsonObject * o, const gchar * name, gint64 t)
{
  g_autofree gchar *text = t ? iso_time (t) : NULL;

  json_object_set_string_member (o, name, text);
}

/* A stored JSON text as a node; a broken one (never written so) as null. */
JsonNode *
cc_jobs_parse_stored (const gchar * text)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();

  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL))
    return json_node_new (JSON_NODE_NULL);
  return json_node_copy (json_parser_get_root (parser));
}

/* The errors with their times as ISO 8601, like every time shown. */
static JsonNode *
errors_to_json (const gchar * text)
{
  JsonNode *node = cc_jobs_parse_stored (text);
  JsonArray *a = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) :
      NULL;

  for (guint i = 0; a && i < json_array_get_length (a); i++) {
    JsonObject *e = json_array_get_object_element (a, i);

    if (e && json_object_has_member (e, "at"))
      cc_jobs_set_time (e, "at", json_object_get_int_member (e, "at"));
  }
  return node;
}

/* The outputs, each with where to fetch it. */
static JsonNode *
outputs_to_json (const CcJobRecord * job)
{
  JsonNode *node = cc_jobs_parse_stored (job->outputs);
  JsonArray *a = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) :
      NULL;

  for (guint i = 0; a && i < json_array_get_length (a); i++) {
    JsonObject *o = json_array_get_object_element (a, i);
    g_autofree gchar *location = NULL;

    if (o == NULL)
      continue;
    location = g_strdup_printf ("/api/jobs/%s/files/%s", job->id,
        json_object_get_string_member_with_default (o, "name", ""));
    json_object_set_string_member (o, "location", location);
  }
  return node;
}

/* A job as the API shows it: the stored record, with the progress of a
 * job running here as it is now. */
JsonObject *
cc_jobs_to_json (CcServer * server, const CcJobRecord * job)
{
  JsonObject *o = json_object_new ();
  g_autofree gchar *location = g_strdup_printf ("/api/jobs/%s", job->id);
  g_autofree gchar *events = g_strdup_printf ("%s/events", location);
  gdouble progress = job->progress;
  const gchar *phase = NULL;

  if (job->state == CC_JOB_RUNNING &&
      !cc_runner_live (server->runner, job->id, &progress, &phase))
    cc_worker_api_live (server->workers, job, &progress, &phase);
  json_object_set_string_member (o, "id", job->id);
  json_object_set_string_member (o, "location", location);
  json_object_set_string_member (o, "events", events);
  json_object_set_string_member (o, "state",
      cc_job_state_to_string (job->state));
  json_object_set_int_member (o, "attempt", job->attempt);
  json_object_set_int_member (o, "max_attempts", job->max_attempts);
  json_object_set_double_member (o, "progress", progress);
  json_object_set_string_member (o, "phase", phase);
  json_object_set_string_member (o, "video", job->video);
  json_object_set_string_member (o, "captions", job->captions);
  json_object_set_string_member (o, "logo", job->logo);
  json_object_set_member (o, "options", cc_jobs_parse_stored (job->options));
  if (job->exit_code >= 0)
    json_object_set_int_member (o, "exit_code", job->exit_code);
  else
    json_object_set_null_member (o, "exit_code");
  json_object_set_string_member (o, "reason", job->reason);
  json_object_set_member (o, "errors", errors_to_json (job->errors));
  json_object_set_member (o, "outputs", outputs_to_json (job));
  cc_jobs_set_time (o, "created_at", job->created_at);
  cc_jobs_set_time (o, "started_at", job->started_at);
  cc_jobs_set_time (o, "finished_at", job->finished_at);
  json_object_set_int_member (o, "unit", job->unit_id);
  if (job->round > 0)
    json_object_set_int_member (o, "round", job->round);
  else
    json_object_set_null_member (o, "round");
  json_object_set_string_member (o, "student", job->student);
  json_object_set_member (o, "role_model", job->role_model ?
      cc_jobs_parse_stored (job->role_model) : json_node_new (JSON_NODE_NULL));
  json_object_set_string_member (o, "review_state",
      cc_review_state_to_string (job->review_state));
  return o;
}

/* Sends the job's state to its event streams; a final state ends them. */
void
cc_jobs_publish_state (CcServer * server, const gchar * id)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (CcJobRecord) job = cc_store_job_get (server->store, id, &err);
  g_autoptr (JsonObject) o = NULL;

  if (job == NULL) {
    g_warning ("job %s: %s", id, err->message);
    return;
  }
  o = cc_jobs_to_json (server, job);
  cc_events_publish (server->events, id, "state", o,
      cc_job_state_is_final (job->state));
}

static void
internal_error (SoupServerMessage * msg, const GError * err)
{
  cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "%s",
      err->message);
}

static void
reply_job (CcServer * server, SoupServerMessage * msg, guint status,
    const CcJobRecord * job)
{
  g_autoptr (JsonObject) o = cc_jobs_to_json (server, job);

  cc_http_reply_object (msg, status, o);
}

/* ------------------------------------------------------------------ */
/* Creation.                                                            */

/* The upload a job names in @member, if it names one: visible to @auth,
 * complete, of @kind. Answers 400 or 409 and returns FALSE otherwise. */
static gboolean
job_upload (CcServer * server, SoupServerMessage * msg, const CcAuth * auth,
    JsonObject * body, const gchar * member, CcUploadKind kind,
    CcUpload ** out)
{
  const gchar *id = json_object_get_string_member_with_default (body, member,
      NULL);
  g_autoptr (GError) err = NULL;
  g_autoptr (CcUpload) upload = NULL;

  if (id == NULL)
    return TRUE;
  if (cc_secret_id_valid (id))
    upload = cc_store_upload_get (server->store, id, &err);
  if (upload == NULL || !cc_auth_sees_unit (auth, upload->unit_id)) {
    if (err && !g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
      internal_error (msg, err);
    else
      cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "unknown_upload",
          "%s: no such upload", member);
    return FALSE;
  }
  if (upload->kind != kind) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "wrong_upload_kind",
        "%s: the upload is a %s upload, not a %s one", member,
        cc_upload_kind_to_string (upload->kind),
        cc_upload_kind_to_string (kind));
    return FALSE;
  }
  if (upload->completed_at == 0) {
    cc_http_error (msg, SOUP_STATUS_CONFLICT, "upload_incomplete",
        "%s: the upload has %" G_GINT64_FORMAT " of its %" G_GINT64_FORMAT
        " bytes; finish it first", member, upload->offset, upload->length);
    return FALSE;
  }
  *out = g_steal_pointer (&upload);
  return TRUE;
}

static gchar *
options_text (JsonObject * options)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, options);
  return json_to_string (node, FALSE);
}

/* The new job's record, from the checked request. */
static CcJobRecord *
new_record (const CcAuth * auth, const CcUpload * video,
    const CcUpload * captions, const CcUpload * logo, JsonObject * options,
    gint round, GError ** error)
{
  g_autoptr (CcJobRecord) job = g_new0 (CcJobRecord, 1);

  job->id = cc_secret_new_id (error);
  if (job->id == NULL)
    return NULL;
  job->unit_id = auth->user->role == CC_ROLE_SUBMITTER ?
      auth->user->unit_id : video->unit_id;
  job->user_id = auth->user->id;
  job->video = g_strdup (video->id);
  job->captions = captions ? g_strdup (captions->id) : NULL;
  job->logo = logo ? g_strdup (logo->id) : NULL;
  job->options = options_text (options);
  job->state = CC_JOB_QUEUED;
  job->errors = g_strdup ("[]");
  job->outputs = g_strdup ("[]");
  job->max_attempts = MAX_ATTEMPTS;
  job->created_at = job->run_after = g_get_real_time () / G_USEC_PER_SEC;
  job->exit_code = -1;
  job->round = round;
  return g_steal_pointer (&job);
}

/* POST /api/jobs */
static void
route_create (CcServer * server, SoupServerMessage * msg, const CcAuth * auth)
{
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonObject) options = NULL;
  g_autoptr (CcUpload) video = NULL, captions = NULL, logo = NULL;
  g_autoptr (CcJobRecord) job = NULL;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *problem = NULL, *location = NULL;
  g_autofree gchar *student = NULL, *role_model = NULL;
  gint round = 0;

  /* with --jobs 0 the workers run them, in sandboxes of their own */
  if (server->options.jobs > 0 && !cc_server_runs_jobs (server)) {
    cc_http_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "sandbox_unavailable", "jobs cannot run in a sandbox on this "
        "machine (%s); the server runs them only when started with "
        "--no-sandbox", cc_server_sandbox_problem (server));
    return;
  }
  body = cc_http_json_body (msg, cc_job_spec_fields, cc_job_spec_n_fields);
  if (body == NULL)
    return;
  options = cc_job_spec_check (body, &problem);
  if (options == NULL) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_option", "%s",
        problem);
    return;
  }
  if (!cc_job_spec_check_submission (msg, body, options, &student,
          &role_model) || !cc_review_job_round (server, msg, auth, body,
          &round))
    return;
  if (!job_upload (server, msg, auth, body, "video", CC_UPLOAD_VIDEO, &video)
      || !job_upload (server, msg, auth, body, "captions",
          CC_UPLOAD_CAPTIONS, &captions) ||
      !job_upload (server, msg, auth, body, "logo", CC_UPLOAD_LOGO, &logo))
    return;
  job = new_record (auth, video, captions, logo, options, round, &err);
  if (job) {
    job->student = g_steal_pointer (&student);
    job->role_model = g_steal_pointer (&role_model);
  }
  if (job == NULL || !cc_store_job_add (server->store, job, &err)) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_EMPTY))
      cc_http_error (msg, SOUP_STATUS_CONFLICT, "upload_gone",
          "an upload of the job was removed meanwhile");
    else
      internal_error (msg, err);
    return;
  }
  location = g_strdup_printf ("/api/jobs/%s", job->id);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Location", location);
  reply_job (server, msg, SOUP_STATUS_CREATED, job);
  cc_runner_wake (server->runner);
}

/* ------------------------------------------------------------------ */
/* The others.                                                          */

/* GET /api/jobs */
static void
route_list (CcServer * server, SoupServerMessage * msg, const CcAuth * auth)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) jobs = NULL;
  g_autoptr (JsonObject) reply = json_object_new ();
  JsonArray *array = json_array_new ();

  json_object_set_array_member (reply, "jobs", array);
  jobs = cc_store_job_list (server->store,
      auth->user->role == CC_ROLE_SUBMITTER ? auth->user->unit_id : 0,
      LIST_LIMIT, &err);
  if (jobs == NULL) {
    internal_error (msg, err);
    return;
  }
  for (guint i = 0; i < jobs->len; i++)
    json_array_add_object_element (array, cc_jobs_to_json (server,
            jobs->pdata[i]));
  cc_http_reply_object (msg, SOUP_STATUS_OK, reply);
}

/* POST /api/jobs/ID/cancel: the job's process, if any, is killed. */
static void
route_cancel (CcServer * server, SoupServerMessage * msg, CcJobRecord * job)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (CcJobRecord) now = NULL;

  if (!cc_store_job_cancel (server->store, job->id,
          g_get_real_time () / G_USEC_PER_SEC, &err)) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
      cc_http_error (msg, SOUP_STATUS_CONFLICT, "not_cancellable",
          "the job is %s; only a queued or running job can be cancelled",
          cc_job_state_to_string (job->state));
    else
      internal_error (msg, err);
    return;
  }
  cc_runner_cancel (server->runner, job->id);
  cc_jobs_publish_state (server, job->id);
  now = cc_store_job_get (server->store, job->id, &err);
  if (now)
    reply_job (server, msg, SOUP_STATUS_OK, now);
  else
    internal_error (msg, err);
}

/* POST /api/jobs/ID/retry, and POST /api/jobs/ID/rerun (@rerun): a done
 * or rejected job made anew; the outputs it has stay until the new
 * attempt starts, and a decision on them is void then. A rerun may carry
 * the next attempt's @options (NULL: the stored ones, less a platform
 * cut's remake: a whole run). */
static void
route_retry (CcServer * server, SoupServerMessage * msg, CcJobRecord * job,
    gboolean rerun, const gchar * options)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (CcJobRecord) now = NULL;
  g_autofree gchar *whole = NULL, *problem = NULL;
  gdouble progress;
  const gchar *phase;
  gint64 t = g_get_real_time () / G_USEC_PER_SEC;
  gboolean ok;

  /* a cancelled job's process may still be on its way out */
  if (cc_runner_live (server->runner, job->id, &progress, &phase)) {
    cc_http_error (msg, SOUP_STATUS_CONFLICT, "not_retryable",
        "the job's process is still stopping; try again in a moment");
    return;
  }
  if (rerun && options == NULL &&
      cc_job_spec_remakes_platform (job->options)) {
    whole = cc_job_spec_with_platform_cut (job->options, NULL, &problem);
    if (whole == NULL) {
      cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
          "%s", problem);
      return;
    }
    options = whole;
  }
  ok = rerun ? cc_store_job_rerun (server->store, job->id, t, options, &err) :
      cc_store_job_retry (server->store, job->id, t, &err);
  if (!ok) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
      cc_http_error (msg, SOUP_STATUS_CONFLICT, "not_retryable",
          "the job is %s; only a %s job can be %s",
          cc_job_state_to_string (job->state), rerun ? "done or rejected" :
          "failed or cancelled", rerun ? "run again" : "retried");
    else
      internal_error (msg, err);
    return;
  }
  cc_jobs_publish_state (server, job->id);
  now = cc_store_job_get (server->store, job->id, &err);
  if (now)
    reply_job (server, msg, SOUP_STATUS_OK, now);
  else
    internal_error (msg, err);
  cc_runner_wake (server->runner);
}

static const CcJsonField platform_fields[] = {
  {"platform_cut", G_TYPE_STRING, TRUE},
};

/* Whether the job's recorded outputs include @name. */
static gboolean
has_output (const CcJobRecord * job, const gchar * name)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *a;

  if (job->outputs == NULL ||
      !json_parser_load_from_data (parser, job->outputs, -1, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    return FALSE;
  a = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (a); i++) {
    JsonNode *e = json_array_get_element (a, i);

    if (JSON_NODE_HOLDS_OBJECT (e) &&
        g_strcmp0 (json_object_get_string_member_with_default
            (json_node_get_object (e), "name", NULL), name) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Whether @segments start inside the full cut, as its report gives its
 * duration: a list past the end would only fail the attempt. */
static gboolean
within_full_cut (CcServer * server, const CcJobRecord * job,
    const gchar * segments, gchar ** problem)
{
  g_autofree gchar *path = g_build_filename (server->jobs_dir, job->id,
      "out", "report.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GArray) spans = cc_cutlist_parse (segments, NULL);
  JsonObject *full = NULL;
  JsonNode *root;
  gdouble duration;

  if (json_parser_load_from_file (parser, path, NULL) &&
      JSON_NODE_HOLDS_OBJECT (root = json_parser_get_root (parser))) {
    JsonObject *outputs = json_object_get_object_member
        (json_node_get_object (root), "outputs");
    JsonNode *f = outputs ? json_object_get_member (outputs, "full") : NULL;

    full = f && JSON_NODE_HOLDS_OBJECT (f) ? json_node_get_object (f) : NULL;
  }
  if (full == NULL || spans == NULL || spans->len == 0) {
    *problem = g_strdup ("the job's report has no full cut");
    return FALSE;
  }
  duration = json_object_get_double_member_with_default (full, "duration_s",
      0);
  if (g_array_index (spans, CcSpan, 0).start < duration * 1e9)
    return TRUE;
  *problem = g_strdup_printf ("platform_cut starts after the video ends "
      "(%.1f s)", duration);
  return FALSE;
}

/* POST /api/jobs/ID/platform {"platform_cut": "0:12-0:40,1:35-2:07"}: a
 * reviewer's new segments; only the platform cut is made again, beside
 * the full cut and contact sheet the job keeps. Any decision is void at
 * once, as for a rerun. */
static void
route_platform (CcServer * server, SoupServerMessage * msg,
    const CcAuth * auth, CcJobRecord * job)
{
  g_autoptr (JsonObject) body = NULL;
  g_autofree gchar *options = NULL, *problem = NULL;
  const gchar *segments;

  if (!cc_review_require_reviewer (msg, auth))
    return;
  body = cc_http_json_body (msg, platform_fields,
      G_N_ELEMENTS (platform_fields));
  if (body == NULL)
    return;
  if (job->state != CC_JOB_DONE || !has_output (job, "full.mp4")) {
    cc_http_error (msg, SOUP_STATUS_CONFLICT, "not_done", "the job is %s; "
        "the platform cut is made again only beside a finished full cut",
        cc_job_state_to_string (job->state));
    return;
  }
  segments = json_object_get_string_member (body, "platform_cut");
  options = cc_job_spec_with_platform_cut (job->options, segments, &problem);
  if (options == NULL)
    problem = problem ? problem : g_strdup ("platform_cut: not a list");
  else if (!within_full_cut (server, job, segments, &problem))
    g_clear_pointer (&options, g_free);
  if (options == NULL) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", "%s",
        problem);
    return;
  }
  route_retry (server, msg, job, TRUE, options);
}

/* GET /api/jobs/ID/events */
static void
route_events (CcServer * server, SoupServerMessage * msg, CcJobRecord * job)
{
  g_autoptr (JsonObject) o = cc_jobs_to_json (server, job);

  cc_events_stream (server->events, msg, job->id, o,
      cc_job_state_is_final (job->state));
}

/* The output @name as the job recorded it, or NULL. */
static JsonObject *
recorded_output (const CcJobRecord * job, const gchar * name)
{
  g_autoptr (JsonNode) node = cc_jobs_parse_stored (job->outputs);
  JsonArray *a = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) :
      NULL;

  for (guint i = 0; a && i < json_array_get_length (a); i++) {
    JsonObject *o = json_array_get_object_element (a, i);

    if (o && g_strcmp0 (json_object_get_string_member_with_default (o,
                "name", NULL), name) == 0)
      return json_object_ref (o);
  }
  return NULL;
}

/* GET or HEAD /api/jobs/ID/files/NAME: only the outputs the job recorded,
 * under the fixed names, from the job's folder. */
static void
route_file (CcServer * server, SoupServerMessage * msg, CcJobRecord * job,
    const gchar * name)
{
  const gchar *type = NULL;
  g_autoptr (JsonObject) output = NULL;
  g_autofree gchar *path = NULL, *etag = NULL;

  for (guint i = 0; i < cc_job_n_outputs; i++) {
    if (strcmp (cc_job_outputs[i].name, name) == 0)
      type = cc_job_outputs[i].type;
  }
  output = type ? recorded_output (job, name) : NULL;
  if (output == NULL) {
    cc_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
        "the job has no output '%s'", name);
    return;
  }
  path = g_build_filename (server->jobs_dir, job->id, "out", name, NULL);
  etag = g_strdup_printf ("\"%s\"",
      json_object_get_string_member_with_default (output, "sha256", ""));
  cc_range_serve_file (msg, path, type, etag);
}

/* ------------------------------------------------------------------ */
/* Dispatch.                                                            */

/* The job @id if @auth may see it; otherwise answers 404 (or 500). */
static CcJobRecord *
visible_job (CcServer * server, const CcAuth * auth, const gchar * id,
    SoupServerMessage * msg)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (CcJobRecord) job = NULL;

  if (cc_secret_id_valid (id))
    job = cc_store_job_get (server->store, id, &err);
  if (job && cc_auth_sees_unit (auth, job->unit_id))
    return g_steal_pointer (&job);
  if (err && !g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    internal_error (msg, err);
  else
    cc_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "no such job");
  return NULL;
}

/* Which route of one job @parts ([ID, ACTION?, NAME?]) name, for
 * @method; answers 404 or 405 when none. */
static gboolean
job_route_allowed (SoupServerMessage * msg, gchar ** parts)
{
  const gchar *m = soup_server_message_get_method (msg);
  guint n = g_strv_length (parts);
  const gchar *allow;
  gboolean get = FALSE, head = FALSE, post = FALSE;

  if (n == 1 || (n == 2 && strcmp (parts[1], "events") == 0)) {
    allow = "GET";
    get = TRUE;
  } else if (n == 2 && (strcmp (parts[1], "cancel") == 0 ||
          strcmp (parts[1], "retry") == 0 ||
          strcmp (parts[1], "rerun") == 0 ||
          strcmp (parts[1], "platform") == 0 ||
          strcmp (parts[1], "decision") == 0)) {
    allow = "POST";
    post = TRUE;
  } else if (n == 2 && (strcmp (parts[1], "decisions") == 0 ||
          strcmp (parts[1], "captions") == 0)) {
    allow = "GET";
    get = TRUE;
  } else if (n == 2 && strcmp (parts[1], "comments") == 0) {
    allow = "GET, POST";
    get = post = TRUE;
  } else if (n == 3 && strcmp (parts[1], "files") == 0) {
    allow = "GET, HEAD";
    get = head = TRUE;
  } else {
    cc_http_not_found (msg);
    return FALSE;
  }
  /* method names are interned by libsoup: compared as pointers */
  if (!((get && m == SOUP_METHOD_GET) || (head && m == SOUP_METHOD_HEAD) ||
          (post && m == SOUP_METHOD_POST))) {
    cc_http_method_not_allowed (msg, allow);
    return FALSE;
  }
  return TRUE;
}

static void
route_job (CcServer * server, SoupServerMessage * msg, const CcAuth * auth,
    gchar ** parts)
{
  g_autoptr (CcJobRecord) job = NULL;

  if (!job_route_allowed (msg, parts))
    return;
  job = visible_job (server, auth, parts[0], msg);
  if (job == NULL)
    return;
  if (parts[1] == NULL)
    reply_job (server, msg, SOUP_STATUS_OK, job);
  else if (strcmp (parts[1], "cancel") == 0)
    route_cancel (server, msg, job);
  else if (strcmp (parts[1], "retry") == 0)
    route_retry (server, msg, job, FALSE, NULL);
  else if (strcmp (parts[1], "rerun") == 0)
    route_retry (server, msg, job, TRUE, NULL);
  else if (strcmp (parts[1], "platform") == 0)
    route_platform (server, msg, auth, job);
  else if (strcmp (parts[1], "events") == 0)
    route_events (server, msg, job);
  else if (parts[2] == NULL)
    cc_review_job_route (server, msg, auth, job, parts[1]);
  else
    route_file (server, msg, job, parts[2]);
}

static void
route_jobs (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  CcServer *server = data;
  const gchar *rest = path + strlen ("/api/jobs");
  const gchar *method = soup_server_message_get_method (msg);
  g_autoptr (CcAuth) auth = NULL;
  g_auto (GStrv) parts = NULL;

  if (!g_str_has_prefix (path, "/api/jobs") || (*rest && *rest != '/')) {
    cc_http_not_found (msg);
    return;
  }
  if (*rest == '\0' && method != SOUP_METHOD_GET &&
      method != SOUP_METHOD_POST) {
    cc_http_method_not_allowed (msg, "GET, POST");
    return;
  }
  auth = cc_auth_request (server, msg);
  if (auth == NULL)
    return;
  if (*rest == '\0' && method == SOUP_METHOD_POST)
    route_create (server, msg, auth);
  else if (*rest == '\0')
    route_list (server, msg, auth);
  else {
    parts = g_strsplit (rest + 1, "/", 4);
    route_job (server, msg, auth, parts);
  }
}

void
cc_jobs_add_routes (CcServer * server)
{
  cc_server_add_route (server, "/api/jobs", route_jobs);
}
