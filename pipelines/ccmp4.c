/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Top-level ISO BMFF box walk. Reads only the 8- or 16-byte box headers,
 * seeking over payloads, so it costs a few reads whatever the file size.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "ccmp4.h"

static guint64
read_be (const guint8 * p, guint n)
{
  guint64 v = 0;
  for (guint i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

gboolean
cc_mp4_top_level_offsets (const gchar * path, gint64 * moov, gint64 * mdat,
    GError ** error)
{
  FILE *f = g_fopen (path, "rb");
  GStatBuf st;
  gint64 pos = 0;
  gboolean ok = TRUE;

  *moov = *mdat = -1;
  if (f == NULL || g_stat (path, &st) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "%s: %s", path, g_strerror (errno));
    if (f)
      fclose (f);
    return FALSE;
  }

  while (pos + 8 <= (gint64) st.st_size) {
    guint8 hdr[16];
    guint64 size;
    guint hlen = 8;

    if (fseeko (f, pos, SEEK_SET) != 0 || fread (hdr, 1, 8, f) != 8)
      break;
    size = read_be (hdr, 4);
    if (size == 1) {
      if (fread (hdr + 8, 1, 8, f) != 8)
        break;
      size = read_be (hdr + 8, 8);
      hlen = 16;
    } else if (size == 0) {
      size = (guint64) st.st_size - (guint64) pos;      /* to end of file */
    }
    if (size < hlen || (gint64) size > (gint64) st.st_size - pos) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
          "%s: box '%.4s' at offset %" G_GINT64_FORMAT " has an impossible "
          "size %" G_GUINT64_FORMAT, path, (const gchar *) hdr + 4, pos,
          size);
      ok = FALSE;
      break;
    }
    if (*moov < 0 && memcmp (hdr + 4, "moov", 4) == 0)
      *moov = pos;
    if (*mdat < 0 && memcmp (hdr + 4, "mdat", 4) == 0)
      *mdat = pos;
    pos += (gint64) size;
  }
  fclose (f);
  return ok;
}
