/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cchttp: answers and request bounds shared by every route.
 *
 * Every answer has a JSON body; an error is {"error": CODE, "message":
 * TEXT} with a stable CODE a script can test and a sentence for people.
 *
 * Bounds: a request head over CC_HTTP_HEADERS_LIMIT is refused with 431
 * (libsoup itself drops heads over 64 KiB); JSON bodies over
 * CC_HTTP_JSON_LIMIT with 413, declared or counted as they arrive, and
 * never accumulated past the limit. A refused request's body is read and
 * thrown away when it is of a size that is cheaper to read than to break
 * the connection over (the client then gets its answer); otherwise the
 * connection is shut down.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gio/gio.h>

#include "cchttp.h"

/* Bodies of refused chunked requests are read and thrown away up to this. */
#define CHUNKED_DISCARD_LIMIT (16 * 1024 * 1024)
#define JSON_MAX_DEPTH 32
/* RFC 6585, which libsoup's status list lacks */
#define STATUS_HEADERS_TOO_LARGE 431

void
cc_http_reply_json (SoupServerMessage * msg, guint status, JsonNode * node)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  gsize len = 0;
  gchar *text;

  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, &len);
  soup_server_message_set_status (msg, status, status ==
      STATUS_HEADERS_TOO_LARGE ? "Request Header Fields Too Large" : NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Cache-Control", "no-store");
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, text, len);
}

void
cc_http_reply_object (SoupServerMessage * msg, guint status,
    JsonObject * object)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  cc_http_reply_json (msg, status, node);
}

/**
 * cc_http_error:
 * @code: the stable error code, e.g. "not_found"
 *
 * Answers @msg with @status and an error body.
 */
void
cc_http_error (SoupServerMessage * msg, guint status, const gchar * code,
    const gchar * format, ...)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  json_object_set_string_member (object, "error", code);
  json_object_set_string_member (object, "message", message);
  cc_http_reply_object (msg, status, object);
}

void
cc_http_method_not_allowed (SoupServerMessage * msg, const gchar * allow)
{
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Allow", allow);
  cc_http_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
      "%s is not allowed here; allowed: %s",
      soup_server_message_get_method (msg), allow);
}

void
cc_http_not_found (SoupServerMessage * msg)
{
  cc_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
      "no such resource");
}

gboolean
cc_http_method_changes_state (SoupServerMessage * msg)
{
  const gchar *m = soup_server_message_get_method (msg);

  return !(m == SOUP_METHOD_GET || m == SOUP_METHOD_HEAD ||
      m == SOUP_METHOD_OPTIONS);
}

const gchar *
cc_http_header (SoupServerMessage * msg, const gchar * name)
{
  return soup_message_headers_get_one (soup_server_message_get_request_headers
      (msg), name);
}

/* Parses a header's decimal size: digits only, no sign, no overflow. */
gboolean
cc_http_parse_size (const gchar * text, gint64 * value)
{
  guint64 v;

  if (text == NULL || *text == '\0' || strlen (text) > 18)
    return FALSE;
  for (const gchar * p = text; *p; p++) {
    if (!g_ascii_isdigit (*p))
      return FALSE;
  }
  v = g_ascii_strtoull (text, NULL, 10);
  *value = (gint64) v;
  return TRUE;
}

/* Shuts the connection down: libsoup's next read ends the request. */
void
cc_http_drop_connection (SoupServerMessage * msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket && !g_socket_is_closed (socket))
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
}

static void
sum_header (const char *name, const char *value, gpointer data)
{
  *(gsize *) data += strlen (name) + strlen (value) + 4;
}

/* Early check of the request head; answers 431 and returns FALSE when it
 * is too large (the caller then refuses the body). */
gboolean
cc_http_check_head (SoupServerMessage * msg)
{
  gsize size = 0;

  soup_message_headers_foreach (soup_server_message_get_request_headers (msg),
      sum_header, &size);
  if (size <= CC_HTTP_HEADERS_LIMIT)
    return TRUE;
  cc_http_error (msg, STATUS_HEADERS_TOO_LARGE,
      "headers_too_large", "the request's headers pass %d bytes",
      CC_HTTP_HEADERS_LIMIT);
  return FALSE;
}

/* What is still to come of a refused request's body: thrown away as it
 * arrives. */
static void
discard_chunk (SoupServerMessage * msg, GBytes * chunk, gpointer data)
{
  gsize *seen = g_object_get_data (G_OBJECT (msg), "cc-discarded");

  if (seen == NULL)
    return;
  *seen += g_bytes_get_size (chunk);
  if (*seen > CHUNKED_DISCARD_LIMIT)
    cc_http_drop_connection (msg);
}

/**
 * cc_http_reject_body:
 * @discard_limit: the largest declared body still read (and thrown away)
 *   so that the client gets the answer already set
 *
 * Called once an early handler has answered @msg: its body is not kept.
 */
void
cc_http_reject_body (SoupServerMessage * msg, gint64 discard_limit)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);

  soup_message_body_set_accumulate (body, FALSE);
  soup_message_body_truncate (body);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Connection", "close");
  switch (soup_message_headers_get_encoding (h)) {
    case SOUP_ENCODING_CONTENT_LENGTH:
      if (soup_message_headers_get_content_length (h) > discard_limit)
        cc_http_drop_connection (msg);
      break;
    case SOUP_ENCODING_CHUNKED:
      g_object_set_data_full (G_OBJECT (msg), "cc-discarded",
          g_new0 (gsize, 1), g_free);
      g_signal_connect (msg, "got-chunk", G_CALLBACK (discard_chunk), NULL);
      break;
    default:
      break;
  }
}

/* Counts a chunked body against its limit. */
static void
limit_chunk (SoupServerMessage * msg, GBytes * chunk, gpointer data)
{
  gsize limit = GPOINTER_TO_SIZE (data);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  if (soup_server_message_get_status (msg) != 0 ||
      (gsize) body->length <= limit)
    return;
  g_signal_handlers_disconnect_by_func (msg, limit_chunk, data);
  cc_http_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
      "the request body passes %" G_GSIZE_FORMAT " bytes", limit);
  cc_http_reject_body (msg, 0);
}

/**
 * cc_http_limit_body:
 *
 * The early part of every route but uploads: refuses a head or a declared
 * body that is too large, and watches a chunked one as it arrives.
 */
void
cc_http_limit_body (SoupServerMessage * msg, gsize limit)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);

  if (!cc_http_check_head (msg)) {
    cc_http_reject_body (msg, CHUNKED_DISCARD_LIMIT);
    return;
  }
  if (soup_message_headers_get_encoding (h) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (h) > (goffset) limit) {
    cc_http_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
        "the request body passes %" G_GSIZE_FORMAT " bytes", limit);
    cc_http_reject_body (msg, CHUNKED_DISCARD_LIMIT);
    return;
  }
  g_signal_connect (msg, "got-chunk", G_CALLBACK (limit_chunk),
      GSIZE_TO_POINTER (limit));
}

/* json-glib parses recursively: bound the nesting before it does. */
static gboolean
json_depth_ok (const gchar * text, gsize len)
{
  gint depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++) {
    gchar c = text[i];

    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = FALSE;
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '[' || c == '{') {
      if (++depth > JSON_MAX_DEPTH)
        return FALSE;
    } else if (c == ']' || c == '}') {
      depth--;
    }
  }
  return TRUE;
}

static const gchar *
type_name (GType type)
{
  if (type == G_TYPE_STRING)
    return "a string";
  if (type == G_TYPE_INT64)
    return "a whole number";
  if (type == G_TYPE_DOUBLE)
    return "a number";
  if (type == CC_JSON_STRINGS)
    return "an array of strings";
  if (type == CC_JSON_OBJECT)
    return "an object";
  if (type == CC_JSON_OBJECTS)
    return "an array of objects";
  return "true or false";
}

static gboolean
field_type_ok (const CcJsonField * f, JsonNode * node)
{
  JsonArray *array;

  if (f->type == CC_JSON_OBJECT)
    return JSON_NODE_HOLDS_OBJECT (node);
  if (f->type == CC_JSON_STRINGS || f->type == CC_JSON_OBJECTS) {
    if (!JSON_NODE_HOLDS_ARRAY (node))
      return FALSE;
    array = json_node_get_array (node);
    for (guint i = 0; i < json_array_get_length (array); i++) {
      JsonNode *e = json_array_get_element (array, i);

      if (f->type == CC_JSON_OBJECTS ? !JSON_NODE_HOLDS_OBJECT (e) :
          !JSON_NODE_HOLDS_VALUE (e) ||
          json_node_get_value_type (e) != G_TYPE_STRING)
        return FALSE;
    }
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (f->type == G_TYPE_DOUBLE)
    return json_node_get_value_type (node) == G_TYPE_DOUBLE ||
        json_node_get_value_type (node) == G_TYPE_INT64;
  return json_node_get_value_type (node) == f->type;
}

/**
 * cc_http_check_fields:
 * @prefix: (nullable): the name of the object the members are in, for the
 *   answer ("role_model.name"), or NULL for the body itself
 *
 * Checks each member against @fields: known, of its type, required ones
 * present. Answers 400 and returns FALSE otherwise.
 */
gboolean
cc_http_check_fields (SoupServerMessage * msg, JsonObject * object,
    const CcJsonField * fields, guint n_fields, const gchar * prefix)
{
  const gchar *dot = prefix ? "." : "";

  if (prefix == NULL)
    prefix = "";
  g_autoptr (GList) names = json_object_get_members (object);

  for (GList * l = names; l; l = l->next) {
    JsonNode *node = json_object_get_member (object, l->data);
    const CcJsonField *f = NULL;

    for (guint i = 0; i < n_fields && f == NULL; i++) {
      if (strcmp (fields[i].name, l->data) == 0)
        f = &fields[i];
    }
    if (f == NULL) {
      cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "unknown_field",
          "unknown field '%s%s%s'", prefix, dot, (const gchar *) l->data);
      return FALSE;
    }
    if (!field_type_ok (f, node)) {
      cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_field",
          "field '%s%s%s' must be %s", prefix, dot, f->name,
          type_name (f->type));
      return FALSE;
    }
  }
  for (guint i = 0; i < n_fields; i++) {
    if (fields[i].required && !json_object_has_member (object, fields[i].name)) {
      cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "missing_field",
          "field '%s%s%s' is required", prefix, dot, fields[i].name);
      return FALSE;
    }
  }
  return TRUE;
}

/**
 * cc_http_json_body:
 * @fields: (array length=n_fields): the members the object may have
 *
 * Reads the request body as one JSON object with known members.
 *
 * Returns: (transfer full) (nullable): the object, or NULL once @msg has
 *   been answered with 400 or 415
 */
JsonObject *
cc_http_json_body (SoupServerMessage * msg, const CcJsonField * fields,
    guint n_fields)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) err = NULL;
  const gchar *type = cc_http_header (msg, "Content-Type");
  gsize len = 0;
  const gchar *text = g_bytes_get_data (bytes, &len);
  JsonNode *root;

  if (type == NULL || g_ascii_strncasecmp (type, "application/json", 16) != 0
      || (type[16] != '\0' && type[16] != ';' && type[16] != ' ')) {
    cc_http_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type", "send the body as application/json");
    return NULL;
  }
  if (len == 0 || !g_utf8_validate (text, len, NULL) ||
      !json_depth_ok (text, len) ||
      !json_parser_load_from_data (parser, text, len, &err)) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_json",
        "the body is not valid JSON%s%s", err ? ": " : "",
        err ? err->message : "");
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_json",
        "the body must be a JSON object");
    return NULL;
  }
  if (!cc_http_check_fields (msg, json_node_get_object (root), fields,
          n_fields, NULL))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}
