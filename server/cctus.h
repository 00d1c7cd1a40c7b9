/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cctus: resumable uploads (tus 1.0: core, creation, termination) under
 * /api/uploads, streamed to files named by id in the data folder.
 */
#pragma once

#include "ccserver-private.h"

G_BEGIN_DECLS

#define CC_TUS_SMALL_MAX (16 * 1024 * 1024)     /* captions and logos */

CcTus *cc_tus_new (CcServer * server, GError ** error);
void cc_tus_free (CcTus * tus);
gboolean cc_tus_completing (CcTus * tus, const gchar * id);

G_END_DECLS
