/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccexport: the campaign's tables of approved works (Excel and CSV) and
 * each unit's submission pack (a ZIP), under /api/exports.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "ccreview.h"
#include "ccserver-private.h"

G_BEGIN_DECLS

/* One approved work, as the tables and the pack list it. */
typedef struct
{
  CcJobRecord *job;
  const CcUnit *unit;           /* in the array the works were made from */
  const CcCategoryInfo *category;
  gchar *title;
  gchar *stem;                  /* 单位_类别_标题: safe on Windows, unique in
                                 * its unit */
  gchar *duration;              /* mm:ss of the full cut, "" unknown */
  gchar *reviewer;
  gint64 reviewed_at;
  JsonObject *role_model;       /* story: the facts, or NULL */
} CcWork;

/* A table: which works, and which columns. */
typedef struct
{
  const gchar *slug;            /* in the route: recommended-story … */
  const gchar *title;           /* the table's heading */
  const gchar *file;            /* its file name, without extension */
  const gchar *category;
  gboolean facts;               /* the role model's facts, not the review */
} CcTableKind;

extern const CcTableKind cc_export_tables[];
extern const guint cc_export_n_tables;

gchar *cc_export_safe_name (const gchar * name, guint max_chars);
GPtrArray *cc_export_works (CcServer * server, GPtrArray * units, gint round,
    gint64 unit_id, GError ** error);
gboolean cc_export_write_xlsx (CcServer * server, const CcTableKind * kind,
    GPtrArray * works, const gchar * path, GError ** error);
gchar *cc_export_tmp_path (CcServer * server, const gchar * suffix,
    GError ** error);
void cc_export_attachment (SoupServerMessage * msg, const gchar * ascii,
    const gchar * name);

void cc_export_add_routes (CcServer * server);
void cc_export_stop (CcServer * server);

/* ccpack.c */
void cc_pack_serve (CcServer * server, SoupServerMessage * msg,
    const CcRound * round, const CcUnit * unit, GPtrArray * units);

G_END_DECLS
