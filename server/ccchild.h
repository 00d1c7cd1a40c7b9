/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccchild: starts one attempt of a job: `campuscut process` and then
 * `campuscut contact-sheet`, in the job's sandbox.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ccsandbox.h"
#include "ccstore.h"

G_BEGIN_DECLS

typedef struct
{
  const gchar *exe;             /* the campuscut program */
  const gchar *registry;        /* GStreamer registry prepared, NULL: none */
  const gchar *uploads_dir;
  const CcSandbox *sandbox;     /* NULL: run without one */
  gdouble max_time_s;
  gint max_output_mb;
  guint threads;                /* --threads, 0: not given */
  gboolean only_platform;       /* --only=platform, beside the full cut
                                 * and contact sheet seeded in run_dir */
} CcChildConfig;

gchar *cc_child_prepare_registry (const gchar * exe, const gchar * data_dir);
GSubprocess *cc_child_spawn (const CcChildConfig * config,
    const CcJobRecord * job, GPtrArray * uploads, const gchar * dir,
    const gchar * run_dir, GError ** error);
void cc_child_kill (GSubprocess * proc);

/* What one line of the process's JSON progress says. */
typedef enum
{
  CC_CHILD_LINE_OTHER,          /* nothing the runners keep */
  CC_CHILD_LINE_PROGRESS,       /* percent, as a fraction */
  CC_CHILD_LINE_PHASE,          /* phase */
  CC_CHILD_LINE_END,            /* a result or an error: message */
} CcChildLineKind;

typedef struct
{
  CcChildLineKind kind;
  gdouble progress;             /* PROGRESS: 0 to 1 */
  const gchar *phase;           /* PHASE: the name, or NULL */
  const gchar *message;         /* END: its message, or NULL */
  JsonObject *object;           /* the whole line (borrowed from parser) */
  JsonParser *parser;
} CcChildLine;

gboolean cc_child_line_parse (CcChildLine * line, const gchar * text);
void cc_child_line_clear (CcChildLine * line);

/* Splits a byte stream into lines of at most max bytes; a longer line is
 * dropped whole. */
typedef void (*CcChildLineFunc) (const gchar * line, gpointer data);

typedef struct
{
  GString *buf;
  gsize max;
  gboolean skipping;            /* in a line longer than max */
} CcChildLines;

void cc_child_lines_init (CcChildLines * lines, gsize max);
void cc_child_lines_feed (CcChildLines * lines, const gchar * data,
    gsize len, CcChildLineFunc func, gpointer user_data);
void cc_child_lines_clear (CcChildLines * lines);

G_END_DECLS
