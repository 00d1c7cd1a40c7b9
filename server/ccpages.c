/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccpages: the web pages a school and a reviewer use, served from a
 * GResource compiled into the program (server/pages/): plain HTML, CSS
 * and JavaScript that call the API as any client does.
 *
 *   GET /                 to the login page, or the user's first page
 *   GET /login            logging in with the token
 *   GET /submit           a submission: upload (tus), the job, its progress
 *   GET /unit             the unit's submissions and what is still missing
 *   GET /review           the review queue (reviewers and admins)
 *   GET /review/ID        one job: players, sheet, captions, comments,
 *                         the decision (reviewers and admins)
 *   GET /campaign         the counts against the quotas, the exports
 *                         (reviewers and admins)
 *   GET /static/NAME      the pages' scripts, style and pictures
 *
 * A page needs a browser session: without one it sends the visitor to
 * /login (303). The reviewers' pages are refused to submitters (403), not
 * only hidden from them; an unknown job's page is 404. The pages hold no
 * data: the data comes from the API, which checks every request again.
 *
 * Every answer has a strict Content-Security-Policy (nothing but this
 * server's own files; no inline script or style), an ETag (the file's
 * SHA-256) that a revalidation answers with 304, and Cache-Control:
 * no-cache, so that an upgraded server's pages and scripts arrive
 * together. Anything under /api/ without a route is the API's JSON 404.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "campuscut-serve"

#include <string.h>

#include "ccauth.h"
#include "cchttp.h"
#include "ccpages.h"
#include "ccpages-resources.h"
#include "ccsecret.h"

#define RESOURCE_ROOT "/org/campuscut/pages/"
#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; " \
  "img-src 'self'; media-src 'self'; connect-src 'self'; " \
  "object-src 'none'; base-uri 'none'; form-action 'self'; " \
  "frame-ancestors 'none'"

typedef enum
{
  PAGE_PUBLIC,                  /* anyone */
  PAGE_USER,                    /* any user with a session */
  PAGE_REVIEWER,                /* reviewers and admins */
} PageAccess;

static const struct
{
  const gchar *path;
  const gchar *file;
  PageAccess access;
} pages[] = {
  {"/login", "login.html", PAGE_PUBLIC},
  {"/submit", "submit.html", PAGE_USER},
  {"/unit", "unit.html", PAGE_USER},
  {"/review", "review.html", PAGE_REVIEWER},
  {"/campaign", "campaign.html", PAGE_REVIEWER},
};

static const struct
{
  const gchar *suffix;
  const gchar *type;
} types[] = {
  {".html", "text/html; charset=utf-8"},
  {".css", "text/css; charset=utf-8"},
  {".js", "text/javascript; charset=utf-8"},
  {".svg", "image/svg+xml"},
  {".png", "image/png"},
};

static void
set_security_headers (SoupServerMessage * msg)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (h, "Content-Security-Policy", CSP);
  soup_message_headers_replace (h, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (h, "Referrer-Policy", "same-origin");
  soup_message_headers_replace (h, "X-Frame-Options", "DENY");
}

/* Whether the request's If-None-Match names @etag (or is "*"). */
static gboolean
etag_matches (SoupServerMessage * msg, const gchar * etag)
{
  const gchar *header = cc_http_header (msg, "If-None-Match");
  g_auto (GStrv) tags = NULL;

  if (header == NULL)
    return FALSE;
  tags = g_strsplit (header, ",", -1);
  for (guint i = 0; tags[i]; i++) {
    const gchar *t = g_strstrip (tags[i]);

    if (g_str_has_prefix (t, "W/"))
      t += 2;
    if (strcmp (t, "*") == 0 || strcmp (t, etag) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Answers with the resource @file under pages/; FALSE when there is
 * none, with nothing answered. */
static gboolean
serve_resource (SoupServerMessage * msg, guint status, const gchar * file)
{
  g_autofree gchar *path = g_strconcat (RESOURCE_ROOT, file, NULL);
  g_autoptr (GBytes) bytes = g_resource_lookup_data (cc_pages_get_resource
      (), path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_autofree gchar *sha = NULL, *etag = NULL;
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  const gchar *type = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (types) && bytes; i++) {
    if (g_str_has_suffix (file, types[i].suffix))
      type = types[i].type;
  }
  if (type == NULL)
    return FALSE;
  sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  etag = g_strdup_printf ("\"%.32s\"", sha);
  set_security_headers (msg);
  soup_message_headers_replace (h, "ETag", etag);
  soup_message_headers_replace (h, "Cache-Control", "no-cache");
  if (status == SOUP_STATUS_OK && etag_matches (msg, etag)) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
    return TRUE;
  }
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY,
      g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return TRUE;
}

/* The small page of a refusal (403, 404), with the pages' own style;
 * never cached, since the same address may be allowed after a login. */
static void
refuse (SoupServerMessage * msg, guint status)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  if (!serve_resource (msg, status, status == SOUP_STATUS_FORBIDDEN ?
          "403.html" : "404.html"))
    soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_remove (h, "ETag");
  soup_message_headers_replace (h, "Cache-Control", "no-store");
}

/* A relative Location: libsoup's own redirect would name the address the
 * server listens on, not the one a reverse proxy shows the browser. */
static void
redirect (SoupServerMessage * msg, const gchar * location)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  set_security_headers (msg);
  soup_message_headers_replace (h, "Cache-Control", "no-store");
  soup_message_headers_replace (h, "Location", location);
  soup_server_message_set_status (msg, SOUP_STATUS_SEE_OTHER, NULL);
}

/* Sends a visitor without a session to the login page, which brings them
 * back to @path afterwards. */
static void
to_login (SoupServerMessage * msg, const gchar * path)
{
  g_autofree gchar *next = g_uri_escape_string (path, "/", FALSE);
  g_autofree gchar *location = g_strconcat ("/login?next=", next, NULL);

  redirect (msg, location);
}

/* Whether the job @id exists; answers 404 (or 500) when not. */
static gboolean
job_exists (CcServer * server, SoupServerMessage * msg, const gchar * id)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (CcJobRecord) job = NULL;

  if (cc_secret_id_valid (id))
    job = cc_store_job_get (server->store, id, &err);
  if (job)
    return TRUE;
  if (err && !g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "%s",
        err->message);
  else
    refuse (msg, SOUP_STATUS_NOT_FOUND);
  return FALSE;
}

/* The page @path names and who may see it; NULL for none. */
static const gchar *
page_file (const gchar * path, PageAccess * access, const gchar ** job)
{
  *job = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++) {
    if (strcmp (path, pages[i].path) == 0) {
      *access = pages[i].access;
      return pages[i].file;
    }
  }
  if (g_str_has_prefix (path, "/review/") && strchr (path + 8, '/') == NULL) {
    *job = path + 8;
    *access = PAGE_REVIEWER;
    return "job.html";
  }
  return NULL;
}

static void
serve_page (CcServer * server, SoupServerMessage * msg, const gchar * path)
{
  g_autoptr (CcUser) user = NULL;
  g_autoptr (GError) err = NULL;
  PageAccess access = PAGE_PUBLIC;
  const gchar *job = NULL;
  const gchar *file = page_file (path, &access, &job);

  if (file == NULL && strcmp (path, "/") != 0) {
    refuse (msg, SOUP_STATUS_NOT_FOUND);
    return;
  }
  if (access != PAGE_PUBLIC || file == NULL)
    user = cc_auth_page_user (server, msg, &err);
  if (err) {
    cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "%s",
        err->message);
    return;
  }
  if (file == NULL) {
    redirect (msg, user == NULL ? "/login" : user->role ==
        CC_ROLE_SUBMITTER ? "/submit" : "/review");
    return;
  }
  if (access != PAGE_PUBLIC && user == NULL) {
    to_login (msg, path);
    return;
  }
  if (access == PAGE_REVIEWER && user->role == CC_ROLE_SUBMITTER) {
    refuse (msg, SOUP_STATUS_FORBIDDEN);
    return;
  }
  if (job && !job_exists (server, msg, job))
    return;
  if (!serve_resource (msg, SOUP_STATUS_OK, file))
    refuse (msg, SOUP_STATUS_NOT_FOUND);
}

/* Every path without a route of its own: the pages, their files, and the
 * API's 404. */
static void
route_pages (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  CcServer *server = data;
  const gchar *m = soup_server_message_get_method (msg);

  if (g_str_has_prefix (path, "/api/") || strcmp (path, "/api") == 0) {
    cc_http_not_found (msg);
    return;
  }
  if (m != SOUP_METHOD_GET && m != SOUP_METHOD_HEAD) {
    cc_http_method_not_allowed (msg, "GET, HEAD");
    return;
  }
  if (g_str_has_prefix (path, "/static/")) {
    /* one level of plain names: nothing to walk out of */
    if (strchr (path + 8, '/') != NULL || path[8] == '.' ||
        !serve_resource (msg, SOUP_STATUS_OK, path + 1))
      refuse (msg, SOUP_STATUS_NOT_FOUND);
    return;
  }
  serve_page (server, msg, path);
}

void
cc_pages_add_routes (CcServer * server)
{
  cc_server_add_route (server, "/", route_pages);
}
