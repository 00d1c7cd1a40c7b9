/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccpages: the web pages, served from the program's own resources.
 */
#pragma once

#include "ccserver-private.h"

G_BEGIN_DECLS

void cc_pages_add_routes (CcServer * server);

G_END_DECLS
