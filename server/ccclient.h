/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccclient: the client side of the service (libsoup's SoupSession), as
 * `campuscut submit` uses it: requests with the token, errors from the
 * answers, progress on standard error, resumable uploads.
 */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  SoupSession *session;
  gchar *server;                /* the base URL */
  gchar *token;
  gboolean quiet;
  gboolean tty;                 /* standard error is a terminal */
  gint64 last_progress_us;
  guint max_retries;            /* in a row, without progress */
  GCancellable *cancellable;    /* of every request, NULL: none (not owned) */
} CcClient;

void cc_client_init (CcClient * c, const gchar * server, const gchar * token);
void cc_client_clear (CcClient * c);

SoupMessage *cc_client_message (CcClient * c, const gchar * method,
    const gchar * path, GError ** error);
gboolean cc_client_json (CcClient * c, SoupMessage * msg, JsonNode * body,
    JsonNode ** reply, GError ** error);
gchar *cc_client_problem (SoupMessage * msg, GBytes * body);
void cc_client_progress (CcClient * c, const gchar * what, gint64 done,
    gint64 total, gint64 started_us, gboolean last);
void cc_client_backoff (CcClient * c, guint failures);

gchar *cc_client_upload (CcClient * c, const gchar * path,
    const gchar * kind, const gchar * const *meta, gchar ** partial,
    GError ** error);
gboolean cc_client_upload_remove (CcClient * c, const gchar * id,
    GError ** error);
gboolean cc_client_download (CcClient * c, const gchar * location,
    const gchar * path, const gchar * sha256, GError ** error);

G_END_DECLS
