/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccsecret: random secrets and how they are kept.
 *
 * Tokens and session ids are 32 bytes from getrandom(2), written in
 * unpadded base64url (43 characters, safe in headers and cookies). Only
 * their SHA-256 is stored: a copy of the database gives no way in. Upload
 * ids are 16 random bytes in lowercase hex, because they name files.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <gio/gio.h>

#include "ccsecret.h"

#define ID_BYTES 16

/**
 * cc_secret_random:
 *
 * Fills @buf with @len bytes from the kernel's CSPRNG (getrandom(2), which
 * blocks only until the pool is first initialised, early at boot).
 */
gboolean
cc_secret_random (guint8 * buf, gsize len, GError ** error)
{
  gsize got = 0;

  while (got < len) {
    gssize n = getrandom (buf + got, len - got, 0);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      gint e = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
          "getrandom: %s", g_strerror (e));
      return FALSE;
    }
    got += n;
  }
  return TRUE;
}

/* A new secret in unpadded base64url. */
gchar *
cc_secret_new (GError ** error)
{
  guint8 buf[CC_SECRET_BYTES];
  gchar *text;

  if (!cc_secret_random (buf, sizeof (buf), error))
    return NULL;
  text = g_base64_encode (buf, sizeof (buf));
  explicit_bzero (buf, sizeof (buf));
  for (gchar * p = text; *p; p++) {
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
    else if (*p == '=')
      *p = '\0';
  }
  return text;
}

/* A new id (of an upload, a job): 32 lowercase hex digits. */
gchar *
cc_secret_new_id (GError ** error)
{
  guint8 buf[ID_BYTES];
  GString *id = g_string_sized_new (ID_BYTES * 2);

  if (!cc_secret_random (buf, sizeof (buf), error)) {
    g_string_free (id, TRUE);
    return NULL;
  }
  for (guint i = 0; i < ID_BYTES; i++)
    g_string_append_printf (id, "%02x", buf[i]);
  return g_string_free (id, FALSE);
}

/* Whether @id is shaped like the ids above: they name files, so nothing
 * else may pass for one. */
gboolean
cc_secret_id_valid (const gchar * id)
{
  gsize n = 0;

  if (id == NULL)
    return FALSE;
  for (; id[n]; n++) {
    if (!g_ascii_isdigit (id[n]) && !(id[n] >= 'a' && id[n] <= 'f'))
      return FALSE;
  }
  return n == ID_BYTES * 2;
}

/* What is stored of a secret: its SHA-256 in lowercase hex. */
gchar *
cc_secret_hash (const gchar * secret)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, secret, -1);
}

/* Compares two strings in time that depends only on their lengths (the
 * lengths are not secret: hashes and tokens have fixed ones). */
gboolean
cc_secret_equal (const gchar * a, const gchar * b)
{
  gsize len;
  guint8 diff = 0;

  if (a == NULL || b == NULL)
    return FALSE;
  len = strlen (a);
  if (len != strlen (b))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    diff |= (guint8) a[i] ^ (guint8) b[i];
  return diff == 0;
}
