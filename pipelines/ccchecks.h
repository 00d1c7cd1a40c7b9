/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Output conformance checks and their JSON form.
 *
 * Every point of the campaign's delivery format, verified on the written
 * file by reading it back, never from what the pipeline was asked to do.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "ccprobe.h"

G_BEGIN_DECLS

typedef struct {
  guint width, height;
  gint fps_n, fps_d;
  GstClockTime duration;        /* expected, GST_CLOCK_TIME_NONE = unchecked */
  GstClockTime tolerance;       /* allowed difference */
  guint64 min_duration, max_duration;   /* the rule, 0 = none */
  GstClockTime rule_tolerance;  /* how far short of the minimum passes */
} CcExpect;

typedef struct {
  gchar *name;
  gboolean pass;
  gchar *detail;
} CcCheck;

/* Probes the written file and checks it; returns an array of CcCheck*.
 * out receives the output's probe. */
GPtrArray *cc_check_output (const gchar * path, const CcExpect * expect,
    CcProbe * out, GError ** error);
/* How far an output may differ from the source's declared duration: one
 * output frame, plus one source frame where the declared value is not
 * exact. */
GstClockTime cc_duration_tolerance (const CcProbe * src, gint fps_n,
    gint fps_d);
gboolean cc_checks_all_pass (GPtrArray * checks);
JsonNode *cc_checks_to_json (GPtrArray * checks);

/* Lowest H.264 level (as "3.1" etc.) whose frame size and macroblock rate
 * limits admit the given picture size and rate. */
const gchar *cc_h264_min_level (guint width, guint height, gint fps_n,
    gint fps_d);

G_END_DECLS
