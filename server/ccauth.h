/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccauth: who a request comes from (a bearer token, or a browser session
 * with its CSRF token) and what that person may see; the login, logout and
 * me routes.
 */
#pragma once

#include <libsoup/soup.h>

#include "ccstore.h"
#include "ccserver-private.h"

G_BEGIN_DECLS

typedef struct
{
  CcUser *user;
  gboolean by_session;          /* a browser: cookie and CSRF token */
  gchar *session_hash;
  gchar *csrf;
} CcAuth;

/* Whom a route serves: people (every role but worker), workers (the
 * worker API), or both (the uploads, where a worker sends outputs). */
typedef enum
{
  CC_AUTH_PEOPLE,
  CC_AUTH_WORKERS,
  CC_AUTH_ANYONE,
} CcAuthFor;

CcAuth *cc_auth_request (CcServer * server, SoupServerMessage * msg);
CcAuth *cc_auth_request_for (CcServer * server, SoupServerMessage * msg,
    CcAuthFor audience);
CcUser *cc_auth_page_user (CcServer * server, SoupServerMessage * msg,
    GError ** error);
gboolean cc_auth_sees_unit (const CcAuth * auth, gint64 unit_id);
void cc_auth_free (CcAuth * auth);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcAuth, cc_auth_free)

void cc_auth_add_routes (CcServer * server);

G_END_DECLS
