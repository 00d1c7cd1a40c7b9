/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccreview: rounds, the review of done jobs (decisions bound to the exact
 * outputs, comments), the review queue and the campaign's counts.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "ccauth.h"
#include "ccserver-private.h"

G_BEGIN_DECLS

/* The campaign's categories, in the order of every table. */
typedef struct
{
  const gchar *id;              /* as --category spells it */
  const gchar *name;            /* in Chinese, for tables and file names */
  gint quota[2];                /* at least, per round: district, college */
} CcCategoryInfo;

extern const CcCategoryInfo cc_review_categories[];
extern const guint cc_review_n_categories;

const CcCategoryInfo *cc_review_category (const gchar * id);
const gchar *cc_review_job_category (const CcJobRecord * job);
gchar *cc_review_today (void);
CcRound *cc_review_find_round (GPtrArray * rounds, gint number);
CcRound *cc_review_open_round (GPtrArray * rounds);
gboolean cc_review_query_round (CcServer * server, SoupServerMessage * msg,
    GHashTable * query, CcRound ** round);
gboolean cc_review_require_reviewer (SoupServerMessage * msg,
    const CcAuth * auth);

gboolean cc_review_job_round (CcServer * server, SoupServerMessage * msg,
    const CcAuth * auth, JsonObject * body, gint * round);
void cc_review_job_route (CcServer * server, SoupServerMessage * msg,
    const CcAuth * auth, const CcJobRecord * job, const gchar * action);
CcDecision *cc_review_last_decision (CcServer * server, const gchar * job_id,
    GError ** error);

void cc_review_add_routes (CcServer * server);

G_END_DECLS
