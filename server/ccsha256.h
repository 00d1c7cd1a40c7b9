/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccsha256: SHA-256 at the speed of the CPU's SHA instructions (nettle),
 * for uploads, outputs and downloads.
 */
#pragma once

#include <gio/gio.h>
#include <nettle/sha2.h>

G_BEGIN_DECLS

typedef struct sha256_ctx CcSha256;

CcSha256 *cc_sha256_new (void);
void cc_sha256_update (CcSha256 * sum, const guint8 * data, gsize len);
gchar *cc_sha256_hex (CcSha256 * sum);
void cc_sha256_free (CcSha256 * sum);
gchar *cc_sha256_data (const guint8 * data, gsize len);
gchar *cc_sha256_file (const gchar * path, gint64 * size,
    GCancellable * cancellable, GError ** error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcSha256, cc_sha256_free)

G_END_DECLS
