/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccsecret: random secrets (tokens, session ids, upload and job ids) from the
 * kernel's CSPRNG, their SHA-256 for storage, and constant-time equality.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CC_SECRET_BYTES 32

gboolean cc_secret_random (guint8 * buf, gsize len, GError ** error);
gchar *cc_secret_new (GError ** error);
gchar *cc_secret_new_id (GError ** error);
gboolean cc_secret_id_valid (const gchar * id);
gchar *cc_secret_hash (const gchar * secret);
gboolean cc_secret_equal (const gchar * a, const gchar * b);

G_END_DECLS
