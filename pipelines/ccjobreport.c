/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccjobreport: a job's report.json and the entries that go into it.
 *
 * The report is what a batch server and a reviewer read of a job: what
 * came in, what was asked, what came out and how each output was checked,
 * and how the job ended. Its field names and values are an interface.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "ccchecks.h"
#include "ccjobreport.h"
#include "ccprogress.h"

static const gchar *phase_names[N_PHASES] = { "probe_s", "analysis_s",
  "encode_s", "checks_s"
};

static void
set_member_double_or_null (JsonBuilder * b, const gchar * name,
    GstClockTime t)
{
  json_builder_set_member_name (b, name);
  if (GST_CLOCK_TIME_IS_VALID (t))
    json_builder_add_double_value (b, t / (gdouble) GST_SECOND);
  else
    json_builder_add_null_value (b);
}

static void
add_db (JsonBuilder * b, const gchar * name, gdouble v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, round (v * 100) / 100);
  else
    json_builder_add_null_value (b);
}

static void
add_size (JsonBuilder * b, const gchar * file)
{
  GStatBuf st;

  json_builder_set_member_name (b, "size_bytes");
  json_builder_add_int_value (b, g_stat (file, &st) == 0 ?
      (gint64) st.st_size : -1);
}

/* A measured loudness, or null when there is no audio. */
static void
add_loudness_measured (JsonBuilder * b, const gchar * name,
    const CcLoudness * l)
{
  json_builder_set_member_name (b, name);
  if (l && l->has_audio) {
    json_builder_begin_object (b);
    add_db (b, "integrated_lufs", l->integrated);
    add_db (b, "range_lu", l->range);
    add_db (b, "true_peak_dbtp", l->true_peak);
    json_builder_end_object (b);
  } else {
    json_builder_add_null_value (b);
  }
}

/* The job's loudness target, how it was applied and the input's
 * measurement. */
static void
add_loudness_setting (JsonBuilder * b, const CcJob * job)
{
  const CcLoudnessPreset *p = cc_loudness_target_preset (job->loudness);

  json_builder_set_member_name (b, "loudness");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "preset");
  json_builder_add_string_value (b,
      cc_loudness_target_to_string (job->loudness));
  add_db (b, "target_lufs", p ? p->target_lufs : NAN);
  add_db (b, "ceiling_dbtp", p ? p->ceiling_dbtp : NAN);
  json_builder_set_member_name (b, "mode");
  json_builder_add_string_value (b, p == NULL ? "off" :
      job->input_loudness.has_audio ? "two-pass" : "live");
  if (job->loudness_missing) {
    json_builder_set_member_name (b, "input_missing");
    json_builder_add_string_value (b, job->loudness_missing);
  }
  if (job->platform_loudness_missing) {
    json_builder_set_member_name (b, "platform_input_missing");
    json_builder_add_string_value (b, job->platform_loudness_missing);
  }
  add_loudness_measured (b, "input", &job->input_loudness);
  json_builder_end_object (b);
}

/* What the job was asked to do. */
static void
add_settings (JsonBuilder * b, const CcJob * job)
{
  guint64 min_ns, max_ns;
  gchar *rule = cc_job_rule_text (job);
  gchar fps[32];

  cc_job_limits (job, &min_ns, &max_ns);
  json_builder_set_member_name (b, "job");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "category");
  json_builder_add_string_value (b, cc_category_to_string (job->category));
  set_member_double_or_null (b, "min_duration_s", min_ns ? min_ns :
      GST_CLOCK_TIME_NONE);
  set_member_double_or_null (b, "max_duration_s", max_ns ? max_ns :
      GST_CLOCK_TIME_NONE);
  json_builder_set_member_name (b, "rule");
  json_builder_add_string_value (b, rule);
  json_builder_set_member_name (b, "on_too_long");
  json_builder_add_string_value (b, cc_too_long_to_string (job->on_too_long));
  add_loudness_setting (b, job);
  json_builder_set_member_name (b, "quality");
  json_builder_add_string_value (b, cc_quality_to_string (job->quality));
  json_builder_set_member_name (b, "fps");
  g_snprintf (fps, sizeof (fps), "%d/%d", job->fps_n, job->fps_d);
  json_builder_add_string_value (b, fps);
  json_builder_set_member_name (b, "video_encoder");
  json_builder_add_string_value (b, job->video_encoder);
  json_builder_end_object (b);
  g_free (rule);
}

/* How the job ended, and where its time went: probe (and caption check),
 * analysis pass, encoding, output checks. */
static void
add_result (JsonBuilder * b, const CcJob * job)
{
  json_builder_set_member_name (b, "result");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, cc_job_status_name (job->exit_code));
  json_builder_set_member_name (b, "exit_code");
  json_builder_add_int_value (b, job->exit_code);
  json_builder_set_member_name (b, "message");
  if (job->error_message)
    json_builder_add_string_value (b, job->error_message);
  else
    json_builder_add_null_value (b);
  if (job->error_message && job->error_element) {
    /* for the bug report: which element failed, and what it said */
    json_builder_set_member_name (b, "element");
    json_builder_add_string_value (b, job->error_element);
    json_builder_set_member_name (b, "debug");
    json_builder_add_string_value (b, job->error_debug ? job->error_debug :
        "");
  }
  if (job->only_platform) {
    /* the full cut and its entry are an earlier run's */
    json_builder_set_member_name (b, "remade");
    json_builder_add_string_value (b, "platform");
  }
  json_builder_set_member_name (b, "elapsed_s");
  json_builder_add_double_value (b, (g_get_monotonic_time () -
          job->started_us) / (gdouble) G_USEC_PER_SEC);
  json_builder_set_member_name (b, "phases");
  json_builder_begin_object (b);
  for (guint i = 0; i < G_N_ELEMENTS (phase_names); i++) {
    json_builder_set_member_name (b, phase_names[i]);
    json_builder_add_double_value (b, job->phases[i]);
  }
  json_builder_end_object (b);
  json_builder_end_object (b);
}

/* The "job" entry: this job's settings, or with --only platform the
 * settings the full cut that stays was made with. */
static void
add_job (JsonBuilder * b, const CcJob * job)
{
  JsonNode *base = job->base_report ?
      json_object_get_member (job->base_report, "job") : NULL;

  if (base == NULL) {
    add_settings (b, job);
    return;
  }
  json_builder_set_member_name (b, "job");
  json_builder_add_value (b, json_node_copy (base));
}

/* The outputs made; with --only platform, the full cut's entry comes from
 * the report it was checked in. Takes outputs. */
static void
add_outputs (JsonBuilder * b, const CcJob * job, JsonNode * outputs)
{
  JsonObject *base = job->base_report ?
      json_object_get_object_member (job->base_report, "outputs") : NULL;

  if (base && outputs && JSON_NODE_HOLDS_OBJECT (outputs))
    json_object_set_member (json_node_get_object (outputs), "full",
        json_node_copy (json_object_get_member (base, "full")));
  json_builder_set_member_name (b, "outputs");
  json_builder_add_value (b, outputs ? outputs :
      json_node_new (JSON_NODE_NULL));
}

gboolean
cc_job_write_report (CcJob * job, const gchar * path, JsonNode * probe,
    JsonNode * captions, JsonNode * outputs, GError ** error)
{
  JsonBuilder *b = json_builder_new ();
  JsonGenerator *gen = json_generator_new ();
  JsonNode *root;
  gchar *text;
  gboolean ok;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "tool");
  json_builder_add_string_value (b, "campuscut " VERSION);

  json_builder_set_member_name (b, "input");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, job->input);
  add_size (b, job->input);
  json_builder_set_member_name (b, "probe");
  json_builder_add_value (b, probe ? probe : json_node_new (JSON_NODE_NULL));
  json_builder_end_object (b);

  add_job (b, job);

  json_builder_set_member_name (b, "captions");
  json_builder_add_value (b, captions ? captions :
      json_node_new (JSON_NODE_NULL));

  add_outputs (b, job, outputs);
  add_result (b, job);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  /* a new file renamed into place: never half a report, and a hard link
   * to the old one (a server's seeded folder) keeps the old */
  ok = g_file_set_contents (path, text, -1, error);

  g_free (text);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  return ok;
}

/* --only platform ------------------------------------------------------- */

static JsonObject *
member_object (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static const gchar *
member_string (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_VALUE (n) &&
      json_node_get_value_type (n) == G_TYPE_STRING ?
      json_node_get_string (n) : NULL;
}

/* -1 when absent or not a whole number */
static gint64
member_int (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_VALUE (n) &&
      json_node_get_value_type (n) == G_TYPE_INT64 ?
      json_node_get_int (n) : -1;
}

/* A measured level, or @none when the report has null (silence, or not
 * measured). */
static gdouble
member_db (JsonObject * o, const gchar * name, gdouble none)
{
  JsonNode *n = json_object_get_member (o, name);

  return n && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_double (n) : none;
}

/* The input's loudness as the full cut's analysis measured it: the
 * platform cut is normalised and checked against it as the first run
 * did, without a second look at the whole source. */
static void
base_loudness (CcJob * job, JsonObject * input)
{
  if (input == NULL)
    return;
  job->input_loudness.has_audio = TRUE;
  job->input_loudness.integrated = member_db (input, "integrated_lufs",
      -INFINITY);
  job->input_loudness.range = member_db (input, "range_lu", NAN);
  job->input_loudness.true_peak = member_db (input, "true_peak_dbtp", NAN);
}

static gboolean
refuse_base (CcJob * job, const gchar * report, const gchar * why,
    gboolean settings)
{
  gchar *m = settings ? g_strdup_printf (_("--only platform: %s"), why) :
      g_strdup_printf (_("--only platform makes the platform cut again next "
          "to a finished full cut, but %s. Run the job without --only first "
          "(请先完整处理一次)"), why);

  job->error_file = g_strdup (report);
  cc_job_fail (job, EXIT_USAGE, m);
  g_free (m);
  return FALSE;
}

gboolean
cc_job_load_base_report (CcJob * job, const gchar * report,
    const gchar * full)
{
  JsonParser *parser = json_parser_new ();
  JsonObject *root = NULL, *entry, *settings;
  GError *err = NULL;
  gchar *why = NULL, fps[32];
  gboolean mismatch = FALSE;
  GStatBuf st;

  if (json_parser_load_from_file (parser, report, &err) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    root = json_node_get_object (json_parser_get_root (parser));
  entry = member_object (member_object (root, "outputs"), "full");
  settings = member_object (root, "job");
  g_snprintf (fps, sizeof (fps), "%d/%d", job->fps_n, job->fps_d);

  if (g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    why = g_strdup (_("the folder has no report.json"));
  else if (root == NULL)
    why = g_strdup_printf (_("its report.json cannot be read (%s)"),
        err ? err->message : _("not a JSON object"));
  else if (g_strcmp0 (member_string (member_object (root, "result"),
              "status"), "done") != 0 || entry == NULL)
    why = g_strdup (_("its report.json is of a job that did not finish"));
  else if (g_stat (full, &st) != 0 || st.st_size != member_int (entry,
          "size_bytes"))
    why = g_strdup_printf (_("%s is missing or changed since the report "
            "was written"), full);
  else if (g_strcmp0 (member_string (settings, "category"),
          cc_category_to_string (job->category)) ||
      g_strcmp0 (member_string (settings, "quality"),
          cc_quality_to_string (job->quality)) ||
      g_strcmp0 (member_string (settings, "fps"), fps)) {
    mismatch = TRUE;
    why = g_strdup_printf (_("the full cut in this folder was made with "
            "--category %s --quality %s --fps %s; give the same"),
        member_string (settings, "category"),
        member_string (settings, "quality"), member_string (settings, "fps"));
  }
  if (why == NULL) {
    job->base_report = json_object_ref (root);
    base_loudness (job, member_object (member_object (settings, "loudness"),
            "input"));
  } else
    refuse_base (job, report, why, mismatch);
  g_free (why);
  g_clear_error (&err);
  g_object_unref (parser);
  return job->base_report != NULL;
}

gboolean
cc_job_check_base_input (CcJob * job)
{
  JsonObject *input = member_object (job->base_report, "input");
  gint64 size = member_int (input, "size_bytes");
  GStatBuf st;
  gchar *m;

  if (g_stat (job->input, &st) == 0 && st.st_size == size)
    return TRUE;
  m = g_strdup_printf (_("the folder's full cut was made from %s (%lld "
          "bytes), not from this input; give the same input file"),
      member_string (input, "file"), (long long) size);
  cc_job_fail (job, EXIT_USAGE, m);
  g_free (m);
  return FALSE;
}

JsonNode *
cc_job_report_captions (const CcJob * job, const CcCaptionTrack * track,
    GPtrArray * warnings, const gchar * missing)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *node;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, job->captions);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, cc_caption_format_name (track->format));
  json_builder_set_member_name (b, "encoding");
  json_builder_add_string_value (b, track->encoding);
  json_builder_set_member_name (b, "cues");
  json_builder_add_int_value (b, track->cues->len);
  json_builder_set_member_name (b, "missing_glyphs");
  json_builder_add_string_value (b, missing ? missing : "");
  json_builder_set_member_name (b, "warnings");
  json_builder_begin_array (b);
  for (guint i = 0; i < warnings->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (warnings, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  g_object_unref (b);
  return node;
}

static JsonObject *
signal_entry (gboolean used, const gchar * missing)
{
  JsonObject *o = json_object_new ();

  json_object_set_boolean_member (o, "used", used);
  if (missing)
    json_object_set_string_member (o, "missing", missing);
  return o;
}

/* Which signals the automatic platform cut went by, and why any is
 * missing: a reviewer reading a choice must know what it could see. */
static JsonObject *
signals_entry (const CcJob * job)
{
  JsonObject *o = json_object_new ();
  gboolean captions = job->caption_track && job->caption_track->cues->len;
  gboolean audio = job->input_loudness.momentary &&
      job->input_loudness.momentary->len;

  json_object_set_object_member (o, "captions", signal_entry (captions,
          captions ? NULL : job->captions ? "the caption file has no cue" :
          "no caption file was given"));
  json_object_set_object_member (o, "audio", signal_entry (audio,
          audio ? NULL : job->loudness_missing ? job->loudness_missing :
          "the file has no audio"));
  json_object_set_object_member (o, "video", signal_entry
      (job->keyframes_missing == NULL && job->keyframes &&
          job->keyframes->len > 0, job->keyframes_missing ?
          job->keyframes_missing : (job->keyframes && job->keyframes->len) ?
          NULL : "the video has no keyframe"));
  return o;
}

/* What the automatic choice saw of the picture. */
static JsonObject *
video_signals_entry (const CcJob * job)
{
  JsonObject *sigs = json_object_new ();
  guint black = 0, still = 0;

  for (guint i = 0; i < job->keyframes->len; i++) {
    CcKeyframe *kf = &g_array_index (job->keyframes, CcKeyframe, i);
    black += kf->luma < 24.0;
    still += i > 0 && kf->change < 0.75;
  }
  json_object_set_int_member (sigs, "keyframes", job->keyframes->len);
  /* keyframes the decoder could not take alone (open GOP) */
  json_object_set_int_member (sigs, "undecodable_keyframes",
      job->keyframes_offered - MIN (job->keyframes_offered,
          job->keyframes->len));
  json_object_set_int_member (sigs, "black_keyframes", black);
  json_object_set_int_member (sigs, "frozen_keyframes", still);
  return sigs;
}

/* The platform cut's segments, and how and why they were chosen. */
static void
add_platform_choice (JsonObject * e, const CcJob * job)
{
  JsonArray *reasons = json_array_new ();

  json_object_set_string_member (e, "segments", job->platform_segments);
  json_object_set_string_member (e, "chosen",
      job->platform_reasons ? "auto" : "given");
  for (guint i = 0; job->platform_reasons &&
      i < job->platform_reasons->len; i++) {
    CcCutChoice *c = g_ptr_array_index (job->platform_reasons, i);
    JsonObject *why = json_object_new ();
    gchar *seg = cc_cutlist_format (&c->span, 1);

    json_object_set_string_member (why, "segment", seg);
    json_object_set_string_member (why, "reason", c->reason);
    json_array_add_object_element (reasons, why);
    g_free (seg);
  }
  json_object_set_array_member (e, "reasons", reasons);
  if (job->platform_reasons)
    json_object_set_object_member (e, "signals", signals_entry (job));
  if (job->keyframes && job->keyframes_missing == NULL)
    json_object_set_object_member (e, "video_signals",
        video_signals_entry (job));
}

/* Whether the output meets its duration rule, as its check found. */
static gboolean
rule_met (GPtrArray * checks)
{
  gboolean met = TRUE;

  for (guint i = 0; i < checks->len; i++) {
    CcCheck *c = g_ptr_array_index (checks, i);
    if (g_strcmp0 (c->name, "duration-rule") == 0)
      met = c->pass;
  }
  return met;
}

JsonNode *
cc_job_report_output (const CcJob * job, const gchar * name,
    const gchar * file, const CcProbe * o, GPtrArray * checks,
    const CcLoudness * loud)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *node;
  gchar *base = g_path_get_basename (file);
  /* the platform cut has the platform category's rule, whatever the
   * job's category */
  gchar *rule = g_strcmp0 (name, "platform") == 0 ?
      cc_duration_rule_text (CC_CATEGORY_PLATFORM, 0,
      cc_category_max (CC_CATEGORY_PLATFORM)) : cc_job_rule_text (job);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, base);
  add_size (b, file);
  set_member_double_or_null (b, "duration_s", o->duration);
  json_builder_set_member_name (b, "rule");
  json_builder_add_string_value (b, rule);
  json_builder_set_member_name (b, "rule_met");
  json_builder_add_boolean_value (b, rule_met (checks));
  json_builder_set_member_name (b, "trimmed");
  json_builder_add_boolean_value (b, job->trimmed);
  add_loudness_measured (b, "loudness", loud);
  json_builder_set_member_name (b, "verdict");
  json_builder_add_string_value (b, cc_checks_all_pass (checks) ? "pass" :
      "fail");
  json_builder_set_member_name (b, "checks");
  json_builder_add_value (b, cc_checks_to_json (checks));
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  g_object_unref (b);
  g_free (base);
  g_free (rule);

  if (g_str_equal (name, "platform"))
    add_platform_choice (json_node_get_object (node), job);
  return node;
}
