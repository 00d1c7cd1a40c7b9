/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccauth: authentication and the rule of who sees what.
 *
 * Scripts send `Authorization: Bearer TOKEN`. Browsers log in once with
 * their token (POST /api/login) and get a session cookie (HttpOnly,
 * SameSite=Strict) and a CSRF token; every state-changing request they
 * make must carry that CSRF token in X-CSRF-Token and must not come from
 * another origin (Origin, Sec-Fetch-Site). Bearer requests need neither: a
 * browser never adds an Authorization header on its own.
 *
 * Tokens and session ids are stored only as their SHA-256 and compared in
 * constant time. A submitter sees only their own unit's things; what they
 * may not see does not exist for them (404, never 403).
 *
 * A worker's token (campuscut worker, on another machine) opens the worker
 * API and the uploads it sends outputs through, nothing else: not the
 * jobs, not the review, not a browser session (403). People's tokens do
 * not open the worker API (403).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "ccauth.h"
#include "cchttp.h"
#include "ccsecret.h"

#define SESSION_COOKIE "campuscut_session"
#define SESSION_TTL_S (12 * 3600)
#define CSRF_HEADER "X-CSRF-Token"
#define TOKEN_MAX 256

void
cc_auth_free (CcAuth * auth)
{
  if (auth == NULL)
    return;
  cc_user_free (auth->user);
  g_free (auth->session_hash);
  g_free (auth->csrf);
  g_free (auth);
}

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
unauthorized (SoupServerMessage * msg, gboolean invalid)
{
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "WWW-Authenticate", invalid ?
      "Bearer realm=\"campuscut\", error=\"invalid_token\"" :
      "Bearer realm=\"campuscut\"");
  cc_http_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized", "%s",
      invalid ? "the token or the session is not valid" :
      "send Authorization: Bearer TOKEN, or log in");
}

/* Answers a failed look-up: 401 when there is no such token or session,
 * 500 when the database failed. */
static void
lookup_failed (SoupServerMessage * msg, const GError * err)
{
  if (err == NULL || g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    unauthorized (msg, TRUE);
  else
    cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "%s",
        err->message);
}

static gchar *
cookie_value (SoupServerMessage * msg, const gchar * name)
{
  const gchar *header = cc_http_header (msg, "Cookie");
  g_auto (GStrv) parts = NULL;
  gsize len = strlen (name);

  if (header == NULL)
    return NULL;
  parts = g_strsplit (header, ";", -1);
  for (guint i = 0; parts[i]; i++) {
    const gchar *p = parts[i];

    while (*p == ' ')
      p++;
    if (strncmp (p, name, len) == 0 && p[len] == '=' && p[len + 1] != '\0')
      return g_strdup (p + len + 1);
  }
  return NULL;
}

/* FALSE for a browser request made by another site's page. */
static gboolean
same_origin (SoupServerMessage * msg)
{
  const gchar *origin = cc_http_header (msg, "Origin");
  const gchar *host = cc_http_header (msg, "Host");
  const gchar *site = cc_http_header (msg, "Sec-Fetch-Site");
  const gchar *authority;

  if (site && strcmp (site, "same-origin") != 0 && strcmp (site, "none") != 0)
    return FALSE;
  if (origin == NULL)
    return TRUE;
  authority = strstr (origin, "://");
  return host != NULL && authority != NULL &&
      g_ascii_strcasecmp (authority + 3, host) == 0;
}

static CcUser *
user_from_bearer (CcServer * server, const gchar * authorization,
    GError ** error)
{
  const gchar *token = authorization + 7;
  g_autofree gchar *hash = NULL;
  CcUser *user;

  if (g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0)
    return NULL;
  while (*token == ' ')
    token++;
  if (*token == '\0' || strlen (token) > TOKEN_MAX)
    return NULL;
  hash = cc_secret_hash (token);
  user = cc_store_user_by_token (server->store, hash, error);
  if (user && !cc_secret_equal (user->token_hash, hash))
    g_clear_pointer (&user, cc_user_free);
  return user;
}

/* Whether @auth may use a route for @audience; answers 403 if not. */
static gboolean
allowed (SoupServerMessage * msg, const CcAuth * auth, CcAuthFor audience)
{
  gboolean worker = auth->user->role == CC_ROLE_WORKER;

  if (audience == CC_AUTH_ANYONE || (audience == CC_AUTH_WORKERS) == worker)
    return TRUE;
  if (worker)
    cc_http_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "a worker's "
        "token opens only the worker API (campuscut worker)");
  else
    cc_http_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "the worker "
        "API needs the token of a user in the worker role");
  return FALSE;
}

/**
 * cc_auth_request:
 *
 * Finds who sent @msg and, for a browser's state-changing request, checks
 * its CSRF token and origin; a worker's token is refused (403).
 *
 * Returns: (transfer full) (nullable): who it is, or NULL once @msg has
 *   been answered (401, 403 or 500)
 */
CcAuth *
cc_auth_request (CcServer * server, SoupServerMessage * msg)
{
  return cc_auth_request_for (server, msg, CC_AUTH_PEOPLE);
}

/**
 * cc_auth_request_for:
 * @audience: whom the route serves
 *
 * As cc_auth_request(), for a route that serves @audience.
 *
 * Returns: (transfer full) (nullable): who it is, or NULL once @msg has
 *   been answered (401, 403 or 500)
 */
CcAuth *
cc_auth_request_for (CcServer * server, SoupServerMessage * msg,
    CcAuthFor audience)
{
  const gchar *authorization = cc_http_header (msg, "Authorization");
  g_autoptr (CcAuth) auth = g_new0 (CcAuth, 1);
  g_autoptr (GError) err = NULL;
  g_autofree gchar *cookie = NULL;

  if (authorization) {
    auth->user = user_from_bearer (server, authorization, &err);
    if (auth->user == NULL) {
      lookup_failed (msg, err);
      return NULL;
    }
    if (!allowed (msg, auth, audience))
      return NULL;
    return g_steal_pointer (&auth);
  }
  cookie = cookie_value (msg, SESSION_COOKIE);
  if (cookie == NULL) {
    unauthorized (msg, FALSE);
    return NULL;
  }
  auth->by_session = TRUE;
  auth->session_hash = cc_secret_hash (cookie);
  auth->user = cc_store_session_user (server->store, auth->session_hash,
      now_s (), &auth->csrf, &err);
  if (auth->user == NULL) {
    lookup_failed (msg, err);
    return NULL;
  }
  if (cc_http_method_changes_state (msg) && (!same_origin (msg) ||
          !cc_secret_equal (cc_http_header (msg, CSRF_HEADER), auth->csrf))) {
    cc_http_error (msg, SOUP_STATUS_FORBIDDEN, "csrf", "a browser's "
        "request that changes something needs the " CSRF_HEADER
        " header given at login, from this server's own pages");
    return NULL;
  }
  if (!allowed (msg, auth, audience))
    return NULL;
  return g_steal_pointer (&auth);
}

/**
 * cc_auth_page_user:
 *
 * The user of the browser session @msg carries, for the pages: unlike
 * cc_auth_request() it answers nothing, since a page sends a visitor
 * without a session to the login page instead of a 401.
 *
 * Returns: (transfer full) (nullable): the user, or NULL without a valid
 *   session (@error set only when the database failed)
 */
CcUser *
cc_auth_page_user (CcServer * server, SoupServerMessage * msg,
    GError ** error)
{
  g_autofree gchar *cookie = cookie_value (msg, SESSION_COOKIE);
  g_autofree gchar *hash = NULL, *csrf = NULL;
  g_autoptr (GError) err = NULL;
  CcUser *user;

  if (cookie == NULL)
    return NULL;
  hash = cc_secret_hash (cookie);
  user = cc_store_session_user (server->store, hash, now_s (), &csrf, &err);
  if (user == NULL && err && !g_error_matches (err, G_IO_ERROR,
          G_IO_ERROR_NOT_FOUND))
    g_propagate_error (error, g_steal_pointer (&err));
  return user;
}

/* Whether @auth may see what belongs to @unit_id (0: to no unit). */
gboolean
cc_auth_sees_unit (const CcAuth * auth, gint64 unit_id)
{
  return auth->user->role != CC_ROLE_SUBMITTER ||
      auth->user->unit_id == unit_id;
}

static JsonObject *
user_to_json (CcServer * server, const CcUser * user)
{
  JsonObject *object = json_object_new ();
  g_autoptr (CcUnit) unit = NULL;

  json_object_set_string_member (object, "name", user->name);
  json_object_set_string_member (object, "role", cc_role_to_string
      (user->role));
  if (user->unit_name)
    unit = cc_store_unit_get (server->store, user->unit_name, NULL);
  if (unit) {
    JsonObject *u = json_object_new ();

    json_object_set_string_member (u, "name", unit->name);
    json_object_set_string_member (u, "kind",
        cc_unit_kind_to_string (unit->kind));
    json_object_set_object_member (object, "unit", u);
  } else {
    json_object_set_null_member (object, "unit");
  }
  return object;
}

static void
set_session_cookie (SoupServerMessage * msg, const gchar * value,
    gint max_age)
{
  g_autofree gchar *cookie = g_strdup_printf (SESSION_COOKIE "=%s; "
      "HttpOnly; SameSite=Strict; Path=/; Max-Age=%d", value, max_age);

  soup_message_headers_append (soup_server_message_get_response_headers
      (msg), "Set-Cookie", cookie);
}

/* The user a login names: by token, or by name and token. */
static CcUser *
login_user (CcServer * server, JsonObject * body, GError ** error)
{
  const gchar *token = json_object_get_string_member (body, "token");
  g_autofree gchar *hash = NULL;
  CcUser *user;

  if (strlen (token) > TOKEN_MAX)
    return NULL;
  hash = cc_secret_hash (token);
  if (json_object_has_member (body, "name"))
    user = cc_store_user_get (server->store,
        json_object_get_string_member (body, "name"), error);
  else
    user = cc_store_user_by_token (server->store, hash, error);
  if (user && !cc_secret_equal (user->token_hash, hash))
    g_clear_pointer (&user, cc_user_free);
  return user;
}

/* Creates the session, sets its cookie, answers with who it is. */
static void
login_start_session (CcServer * server, SoupServerMessage * msg,
    const CcUser * user)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *id = cc_secret_new (&err);
  g_autofree gchar *csrf = id ? cc_secret_new (&err) : NULL;
  g_autofree gchar *id_hash = id ? cc_secret_hash (id) : NULL;
  g_autoptr (JsonObject) reply = NULL;

  if (csrf == NULL || !cc_store_session_purge (server->store, now_s (), &err)
      || !cc_store_session_add (server->store, id_hash, user->id, csrf,
          now_s () + SESSION_TTL_S, &err)) {
    cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "%s",
        err->message);
    return;
  }
  set_session_cookie (msg, id, SESSION_TTL_S);
  reply = user_to_json (server, user);
  json_object_set_string_member (reply, "auth", "session");
  json_object_set_string_member (reply, "csrf_token", csrf);
  cc_http_reply_object (msg, SOUP_STATUS_OK, reply);
}

/* POST /api/login {"token": T} or {"name": N, "token": T} */
static void
route_login (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  static const CcJsonField fields[] = {
    {"token", G_TYPE_STRING, TRUE},
    {"name", G_TYPE_STRING, FALSE},
  };
  CcServer *server = data;
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (CcUser) user = NULL;
  g_autoptr (GError) err = NULL;

  if (strcmp (path, "/api/login") != 0) {
    cc_http_not_found (msg);
    return;
  }
  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST) {
    cc_http_method_not_allowed (msg, "POST");
    return;
  }
  if (!same_origin (msg)) {
    cc_http_error (msg, SOUP_STATUS_FORBIDDEN, "csrf",
        "log in from this server's own pages");
    return;
  }
  body = cc_http_json_body (msg, fields, G_N_ELEMENTS (fields));
  if (body == NULL)
    return;
  user = login_user (server, body, &err);
  if (user == NULL) {
    lookup_failed (msg, err);
    return;
  }
  if (user->role == CC_ROLE_WORKER) {
    cc_http_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "a worker's "
        "token opens only the worker API, not a browser session");
    return;
  }
  login_start_session (server, msg, user);
}

/* POST /api/logout: ends the browser session (nothing to end for a token). */
static void
route_logout (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  CcServer *server = data;
  g_autoptr (CcAuth) auth = NULL;
  g_autoptr (GError) err = NULL;

  if (strcmp (path, "/api/logout") != 0) {
    cc_http_not_found (msg);
    return;
  }
  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST) {
    cc_http_method_not_allowed (msg, "POST");
    return;
  }
  auth = cc_auth_request (server, msg);
  if (auth == NULL)
    return;
  if (auth->by_session && !cc_store_session_remove (server->store,
          auth->session_hash, &err)) {
    cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "%s",
        err->message);
    return;
  }
  if (auth->by_session)
    set_session_cookie (msg, "", 0);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* GET /api/me: who the request comes from. */
static void
route_me (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  CcServer *server = data;
  g_autoptr (CcAuth) auth = NULL;
  g_autoptr (JsonObject) reply = NULL;

  if (strcmp (path, "/api/me") != 0) {
    cc_http_not_found (msg);
    return;
  }
  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET) {
    cc_http_method_not_allowed (msg, "GET");
    return;
  }
  auth = cc_auth_request (server, msg);
  if (auth == NULL)
    return;
  reply = user_to_json (server, auth->user);
  json_object_set_string_member (reply, "auth", auth->by_session ?
      "session" : "token");
  if (auth->by_session)
    json_object_set_string_member (reply, "csrf_token", auth->csrf);
  cc_http_reply_object (msg, SOUP_STATUS_OK, reply);
}

void
cc_auth_add_routes (CcServer * server)
{
  cc_server_add_route (server, "/api/login", route_login);
  cc_server_add_route (server, "/api/logout", route_logout);
  cc_server_add_route (server, "/api/me", route_me);
}
