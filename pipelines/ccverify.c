/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccverify: a job's outputs read back and checked against what was asked.
 *
 * Each output is probed, checked (ccchecks.c) and its loudness measured on
 * the written file, never taken from what the pipeline was asked to do;
 * the two outputs are read in parallel.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "ccchecks.h"
#include "ccjobreport.h"
#include "ccverify.h"

/* Measures the written file's audio and checks it against the target. */
static void
check_loudness (const CcJob * job, const gchar * file, GPtrArray * checks,
    CcLoudness * out)
{
  const CcLoudnessPreset *p = cc_loudness_target_preset (job->loudness);
  GError *err = NULL;
  CcCheck *c;
  gchar *uri;
  gboolean measured;

  if (p == NULL || !job->input_loudness.has_audio)
    return;
  c = g_new0 (CcCheck, 1);
  c->name = g_strdup ("loudness");
  uri = gst_filename_to_uri (file, NULL);
  measured = cc_measure_loudness (uri, NULL, out, NULL, NULL, NULL, &err);
  g_free (uri);
  if (!measured) {
    c->detail = g_strdup_printf (_("cannot measure: %s"), err ? err->message :
        "unknown error");
    g_clear_error (&err);
  } else if (!(job->input_loudness.integrated >= CC_LOUDNESS_GATE_LUFS)) {
    c->pass = TRUE;
    c->detail = g_strdup ("silent input, left as it is");
  } else {
    c->pass = fabs (out->integrated - p->target_lufs) <= 0.5 &&
        out->true_peak <= p->ceiling_dbtp;
    c->detail = g_strdup_printf (_("%.1f LUFS, %.1f dBTP (target %.0f LUFS "
        "within 0.5 LU, ceiling %.0f dBTP)"), out->integrated, out->true_peak,
        p->target_lufs, p->ceiling_dbtp);
  }
  g_ptr_array_add (checks, c);
}

/* Reading one output back (probe, stream checks, loudness) in a thread of
 * its own. */
typedef struct
{
  const CcJob *job;
  const gchar *path;
  CcExpect expect;
  GPtrArray *checks;
  CcProbe o;
  CcLoudness loud;
  GError *err;
} OutputRead;

static gpointer
read_output (gpointer data)
{
  OutputRead *r = data;

  r->checks = cc_check_output (r->path, &r->expect, &r->o, &r->err);
  if (r->checks)
    check_loudness (r->job, r->path, r->checks, &r->loud);
  return r;
}

static GThread *
read_output_start (OutputRead * r, const CcJob * job, const gchar * path,
    const CcExpect * expect)
{
  memset (r, 0, sizeof (*r));
  r->job = job;
  r->path = path;
  r->expect = *expect;
  return g_thread_new ("campuscut-check", read_output, r);
}

/* What the full cut must be. */
static void
full_expect (const CcJob * job, const CcProbe * probe, CcExpect * expect)
{
  const CcQualityPreset *preset = cc_quality_preset (job->quality);

  memset (expect, 0, sizeof (*expect));
  cc_output_frame_size (probe->display_width, probe->display_height,
      preset->long_edge, preset->short_edge, &expect->width, &expect->height);
  expect->fps_n = job->fps_n;
  expect->fps_d = job->fps_d;
  cc_job_limits (job, &expect->min_duration, &expect->max_duration);
  expect->rule_tolerance = CC_DURATION_TOLERANCE_NS;
  /* the cut runs from the first picture to the end */
  expect->duration = cc_content_duration (probe);
  /* --on-too-long warn delivers the whole source */
  if (expect->max_duration && GST_CLOCK_TIME_IS_VALID (probe->duration) &&
      job->on_too_long != CC_TOO_LONG_WARN)
    expect->duration = MIN (expect->duration, expect->max_duration);
  expect->tolerance = cc_duration_tolerance (probe, job->fps_n, job->fps_d);
}

/* What the platform cut must be: as the full cut but for its frame, its
 * rule and its length, to the frame. */
static void
platform_expect (const CcJob * job, CcExpect * expect)
{
  const CcQualityPreset *preset = cc_quality_preset (job->quality);

  if (job->platform_aspect == CC_PLATFORM_PORTRAIT) {
    expect->width = preset->short_edge & ~1u;
    expect->height = preset->long_edge & ~1u;
  }
  expect->min_duration = 0;
  expect->max_duration = cc_category_max (CC_CATEGORY_PLATFORM);
  expect->duration = job->platform_total;
  expect->tolerance = gst_util_uint64_scale_int (GST_SECOND, job->fps_d,
      job->fps_n);
}

/* Adds the report entry of an output read by read_output (consumed) and
 * appends its failed checks to failed. Returns FALSE when a check failed. */
static gboolean
add_output (const CcJob * job, const gchar * name, OutputRead * r,
    JsonObject * outputs, GString * failed)
{
  GPtrArray *checks = r->checks;
  gboolean ok = TRUE;

  if (checks == NULL) {
    g_string_append_printf (failed, " %s (%s)", name, r->err->message);
    g_clear_error (&r->err);
    cc_probe_clear (&r->o);
    return FALSE;
  }
  json_object_set_member (outputs, name, cc_job_report_output (job, name,
          r->path, &r->o, checks, &r->loud));
  for (guint i = 0; i < checks->len; i++) {
    CcCheck *c = g_ptr_array_index (checks, i);

    /* with --on-too-long warn a full cut over the rule is delivered: the
     * report says the rule is not met, the warning has been given */
    if (!c->pass && g_str_equal (name, "full") &&
        g_str_equal (c->name, "duration-rule") &&
        job->on_too_long == CC_TOO_LONG_WARN)
      continue;
    if (!c->pass) {
      ok = FALSE;
      g_string_append_printf (failed, " %s %s (%s)", name, c->name,
          c->detail);
    }
  }
  g_ptr_array_unref (checks);
  cc_probe_clear (&r->o);
  cc_loudness_clear (&r->loud);
  return ok;
}

JsonNode *
cc_job_verify (CcJob * job, const CcProbe * probe, const gchar * full,
    const gchar * platform)
{
  CcExpect expect;
  OutputRead full_read, platform_read;
  GThread *full_thread = NULL, *platform_thread = NULL;
  JsonObject *obj = json_object_new ();
  GString *failed = g_string_new (_("the output failed its checks:"));
  JsonNode *outputs;
  gboolean ok;

  /* the platform cut's expectations start from the full cut's; full is
   * NULL when only the platform cut was made again */
  full_expect (job, probe, &expect);
  if (full)
    full_thread = read_output_start (&full_read, job, full, &expect);
  if (job->platform_segments) {
    platform_expect (job, &expect);
    platform_thread = read_output_start (&platform_read, job, platform,
        &expect);
  }
  ok = TRUE;
  if (full_thread) {
    g_thread_join (full_thread);
    ok = add_output (job, "full", &full_read, obj, failed);
  }
  if (platform_thread) {
    g_thread_join (platform_thread);
    ok &= add_output (job, "platform", &platform_read, obj, failed);
  }
  if (!json_object_has_member (obj, "platform"))
    json_object_set_null_member (obj, "platform");      /* none was made */
  outputs = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (outputs, obj);
  if (!ok)
    cc_job_fail (job, EXIT_INTERNAL, failed->str);
  g_string_free (failed, TRUE);
  cc_job_mark_phase (job, PHASE_CHECKS);
  return outputs;
}
