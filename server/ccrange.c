/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccrange: serves a file to GET and HEAD with byte ranges (RFC 9110
 * section 14), so that a browser's <video> can seek in an output without
 * downloading it first, and a broken download can resume.
 *
 * One range is answered with 206 and its Content-Range; a range that
 * starts past the end with 416; several ranges, an unreadable Range
 * header, or an If-Range that is not the file's ETag, with the whole file
 * (200), as the RFC allows. The file is mapped, not read: the answer's
 * bytes are the page cache's, so a 2 GB output costs the server no
 * memory of its own, and a file replaced meanwhile (renamed over) keeps
 * its old bytes until the answer is written.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>

#include <string.h>

#include "cchttp.h"
#include "ccrange.h"

/* The one range to answer, if any: FALSE when the whole file is. *status
 * is 416 for a range past the end. */
static gboolean
wanted_range (SoupServerMessage * msg, goffset total, const gchar * etag,
    goffset * start, goffset * end, guint * status)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const gchar *if_range = cc_http_header (msg, "If-Range");
  SoupRange *ranges = NULL;
  gint n = 0;
  gboolean one;

  *status = SOUP_STATUS_OK;
  if (if_range && g_strcmp0 (if_range, etag) != 0)
    return FALSE;
  if (!soup_message_headers_get_ranges (h, total, &ranges, &n))
    return FALSE;
  one = n == 1;
  if (one) {
    const gchar *spec = strchr (cc_http_header (msg, "Range"), '=') + 1;
    gboolean suffix = *(spec + strspn (spec, " \t")) == '-';

    /* a suffix longer than the file is the whole file; a first byte
     * negative otherwise is one past 2^63 that libsoup read signed */
    *start = suffix ? MAX (ranges[0].start, 0) : ranges[0].start;
    *end = MIN (ranges[0].end, total - 1);
    if (*start < 0 || *start >= total)
      *status = SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE;
  }
  soup_message_headers_free_ranges (h, ranges);
  return one;
}

static void
not_satisfiable (SoupServerMessage * msg, goffset total)
{
  g_autofree gchar *cr = g_strdup_printf ("bytes */%" G_GOFFSET_FORMAT,
      total);

  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Content-Range", cr);
  cc_http_error (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE,
      "range_not_satisfiable", "the file has %" G_GOFFSET_FORMAT " bytes",
      total);
}

/**
 * cc_range_serve_file:
 * @etag: the file's entity tag, quoted
 *
 * Answers a GET or HEAD with @path, or with 404 when it is not there.
 */
void
cc_range_serve_file (SoupServerMessage * msg, const gchar * path,
    const gchar * content_type, const gchar * etag)
{
  SoupMessageHeaders *rh = soup_server_message_get_response_headers (msg);
  g_autoptr (GError) err = NULL;
  g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, &err);
  g_autoptr (GBytes) all = NULL;
  g_autoptr (GBytes) part = NULL;
  goffset total, start = 0, end = 0;
  guint status;
  gboolean partial;

  if (file == NULL) {
    if (g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      cc_http_not_found (msg);
    else
      cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
          "%s", err->message);
    return;
  }
  total = g_mapped_file_get_length (file);
  partial = wanted_range (msg, total, etag, &start, &end, &status);
  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE) {
    not_satisfiable (msg, total);
    return;
  }
  if (!partial) {
    start = 0;
    end = total - 1;
    /* or libsoup would make a 200 with a Range header partial itself,
     * copying the whole file into memory first */
    soup_message_headers_remove (soup_server_message_get_request_headers
        (msg), "Range");
  }
  soup_message_headers_replace (rh, "Accept-Ranges", "bytes");
  soup_message_headers_replace (rh, "ETag", etag);
  soup_message_headers_replace (rh, "Cache-Control", "private, no-cache");
  soup_message_headers_set_content_type (rh, content_type, NULL);
  if (partial)
    soup_message_headers_set_content_range (rh, start, end, total);
  soup_server_message_set_status (msg, partial ?
      SOUP_STATUS_PARTIAL_CONTENT : SOUP_STATUS_OK, NULL);
  if (soup_server_message_get_method (msg) == SOUP_METHOD_HEAD) {
    soup_message_headers_set_content_length (rh, end - start + 1);
    return;
  }
  all = g_mapped_file_get_bytes (file);
  part = g_bytes_new_from_bytes (all, start, end - start + 1);
  soup_message_body_append_bytes (soup_server_message_get_response_body
      (msg), part);
}
