/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cchttp: how the service answers (JSON bodies, errors as
 * {"error": CODE, "message": TEXT}) and how it reads and bounds requests.
 */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The largest JSON request body, and the largest request head. */
#define CC_HTTP_JSON_LIMIT (64 * 1024)
#define CC_HTTP_HEADERS_LIMIT (16 * 1024)

/* The type of a field that is an array of strings (GType has no
 * constant for one). */
#define CC_JSON_STRINGS G_TYPE_POINTER
/* and of a field that is an object, or an array of objects, whose
 * members the route checks */
#define CC_JSON_OBJECT G_TYPE_OBJECT
#define CC_JSON_OBJECTS G_TYPE_BOXED

/* A field a JSON request body may have. */
typedef struct
{
  const gchar *name;
  GType type;                   /* G_TYPE_STRING, G_TYPE_INT64, G_TYPE_BOOLEAN,
                                 * G_TYPE_DOUBLE (any number),
                                 * CC_JSON_STRINGS, CC_JSON_OBJECT or
                                 * CC_JSON_OBJECTS */
  gboolean required;
} CcJsonField;

void cc_http_reply_json (SoupServerMessage * msg, guint status,
    JsonNode * node);
void cc_http_reply_object (SoupServerMessage * msg, guint status,
    JsonObject * object);
void cc_http_error (SoupServerMessage * msg, guint status, const gchar * code,
    const gchar * format, ...) G_GNUC_PRINTF (4, 5);
void cc_http_method_not_allowed (SoupServerMessage * msg,
    const gchar * allow);
void cc_http_not_found (SoupServerMessage * msg);

gboolean cc_http_method_changes_state (SoupServerMessage * msg);
const gchar *cc_http_header (SoupServerMessage * msg, const gchar * name);
gboolean cc_http_parse_size (const gchar * text, gint64 * value);

gboolean cc_http_check_head (SoupServerMessage * msg);
void cc_http_reject_body (SoupServerMessage * msg, gint64 discard_limit);
void cc_http_limit_body (SoupServerMessage * msg, gsize limit);
JsonObject *cc_http_json_body (SoupServerMessage * msg,
    const CcJsonField * fields, guint n_fields);
gboolean cc_http_check_fields (SoupServerMessage * msg, JsonObject * object,
    const CcJsonField * fields, guint n_fields, const gchar * prefix);

void cc_http_drop_connection (SoupServerMessage * msg);

G_END_DECLS
