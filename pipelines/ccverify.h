/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccverify: a job's outputs read back and checked against what was asked.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "ccjob.h"

G_BEGIN_DECLS

/* Reads full and (with a platform cut) platform back, both at once, and
 * checks them; fails the job with the list of failed checks. Returns the
 * report's "outputs" entry. */
JsonNode *cc_job_verify (CcJob * job, const CcProbe * probe,
    const gchar * full, const gchar * platform);

G_END_DECLS
