/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccwatchdog: the server's own idle timeout. libsoup 3's server has none,
 * so a client that stops sending mid-request would hold its connection,
 * and an upload's lock, forever.
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define CC_TYPE_WATCHDOG cc_watchdog_get_type ()
G_DECLARE_FINAL_TYPE (CcWatchdog, cc_watchdog, CC, WATCHDOG, GObject)

CcWatchdog *cc_watchdog_new (SoupServer * server, guint timeout_ms);
void cc_watchdog_hold (CcWatchdog * self, SoupServerMessage * msg);
void cc_watchdog_release (CcWatchdog * self, SoupServerMessage * msg);
guint cc_watchdog_n_dropped (CcWatchdog * self);

G_END_DECLS
