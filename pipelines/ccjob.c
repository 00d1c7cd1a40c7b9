/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccjob: runs one job phase by phase, up to the platform cut's decision.
 *
 * Pre-flight, the analysis pass and the platform cut are here; the encode
 * and the verification have modules of their own. One job per process, so
 * a batch server can run it as a child and read the exit code and the
 * report.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "cccutlist.h"
#include "ccencode.h"
#include "ccjob.h"
#include "ccjobreport.h"
#include "ccprogress.h"
#include "cctext.h"
#include "ccverify.h"

void
cc_job_limits (const CcJob * job, guint64 * min, guint64 * max)
{
  cc_category_limits (job->category, min, max);
  if (job->min_duration_s >= 0)
    *min = (guint64) (job->min_duration_s * GST_SECOND + 0.5);
  if (job->max_duration_s >= 0)
    *max = (guint64) (job->max_duration_s * GST_SECOND + 0.5);
}

gchar *
cc_job_rule_text (const CcJob * job)
{
  guint64 min, max;

  cc_job_limits (job, &min, &max);
  return cc_duration_rule_text (job->category, min, max);
}

void
cc_job_fail (CcJob * job, gint code, const gchar * message)
{
  if (job->error_message == NULL) {
    job->exit_code = code;
    job->error_message = g_strdup (message);
  }
}

void
cc_job_mark_phase (CcJob * job, guint phase)
{
  gint64 now = g_get_monotonic_time ();

  job->phases[phase] += (now - job->phase_mark) / (gdouble) G_USEC_PER_SEC;
  job->phase_mark = now;
  cc_progress_phase_done (job, phase);
}

/* What campuscut delivers of the source: a lead of sound before the
 * picture is not kept. An indexed container declares where it ends on its
 * own clock; an estimate (a transport stream's, from its clock's first and
 * last values) is already about as long as the pictures. */
GstClockTime
cc_content_duration (const CcProbe * probe)
{
  if (!GST_CLOCK_TIME_IS_VALID (probe->duration) || !probe->duration_exact)
    return probe->duration;
  return probe->duration > probe->content_start ?
      probe->duration - probe->content_start : 0;
}

/* What the full cut keeps of the source: all of it, or up to the maximum
 * when --on-too-long trim will cut it there. */
static GstClockTime
kept_duration (const CcJob * job, const CcProbe * probe)
{
  guint64 min, max;

  cc_job_limits (job, &min, &max);
  if (max && GST_CLOCK_TIME_IS_VALID (probe->duration) &&
      cc_content_duration (probe) > max &&
      job->on_too_long == CC_TOO_LONG_TRIM)
    return max;
  return cc_content_duration (probe);
}

/* A cut list in the bin's stream time, which starts before the first
 * picture in a transport stream (caller frees). */
static gchar *
in_stream_time (const gchar * segments, GstClockTime content_start)
{
  GArray *spans = cc_cutlist_parse (segments, NULL);
  gchar *shifted;

  if (spans == NULL)
    return g_strdup (segments);
  for (guint i = 0; i < spans->len; i++) {
    g_array_index (spans, CcSpan, i).start += content_start;
    g_array_index (spans, CcSpan, i).end += content_start;
  }
  shifted = cc_cutlist_format ((CcSpan *) spans->data, spans->len);
  g_array_unref (spans);
  return shifted;
}

/* Pre-flight ------------------------------------------------------------ */

/* Fast rejection: the rule is checked on the headers, before decoding. */
static gboolean
check_declared_duration (CcJob * job, const CcProbe * probe)
{
  guint64 min, max;
  CcDurationVerdict v;
  gchar *rule, *m;

  cc_job_limits (job, &min, &max);
  v = GST_CLOCK_TIME_IS_VALID (probe->duration) ?
      cc_declared_duration_verdict (probe->duration, probe->duration_exact,
      min, max, job->on_too_long == CC_TOO_LONG_ERROR) : CC_DURATION_OK;
  if (v == CC_DURATION_OK)
    return TRUE;

  rule = cc_job_rule_text (job);
  m = g_strdup_printf ("%.1f s; %s%s", probe->duration / (gdouble) GST_SECOND,
      rule, v == CC_DURATION_TOO_LONG ? _(" (--on-too-long trim cuts it to "
          "the maximum)") : "");
  job->duration_verdict = g_strdup (cc_duration_verdict_to_string (v));
  job->duration_action = g_strdup ("error");
  cc_job_fail (job, EXIT_REJECTED, m);
  g_free (m);
  g_free (rule);
  return FALSE;
}

/* Reads the caption file before anything is decoded: a broken or
 * unrenderable file fails the job at once, naming the file and line; the
 * cue warnings go into the report. */
static gboolean
check_captions (CcJob * job, const CcProbe * probe, JsonNode ** out)
{
  GError *err = NULL;
  CcCaptionTrack *track = cc_caption_track_load (job->captions, &err);
  GPtrArray *warnings;
  GString *all;
  gchar *missing;

  if (track == NULL) {
    job->error_file = g_strdup (job->captions);
    cc_job_fail (job, EXIT_BAD_INPUT, err->message);
    g_clear_error (&err);
    return FALSE;
  }
  warnings = cc_caption_track_check (track, GST_CLOCK_TIME_IS_VALID
      (probe->duration) ? probe->duration : 0, CC_CAPTION_MAX_CPS);
  all = g_string_new (NULL);
  for (guint i = 0; i < track->cues->len; i++)
    g_string_append (all, ((CcCaptionCue *) g_ptr_array_index (track->cues,
                i))->text);
  missing = track->format == CC_CAPTION_ASS ? NULL :
      cc_text_missing_glyphs (all->str, CC_TEXT_DEFAULT_FONT);
  *out = cc_job_report_captions (job, track, warnings, missing);

  if (!job->quiet)
    for (guint i = 0; i < warnings->len; i++)
      fprintf (stderr, _("campuscut: warning: %s: %s\n"), job->captions,
          (gchar *) g_ptr_array_index (warnings, i));
  if (missing) {
    gchar *m = g_strdup_printf (_("the caption font has no glyph for \"%s\"; "
        "these would show as boxes. Replace them in the caption file "
        "(字幕中有无法显示的字符)"), missing);
    job->error_file = g_strdup (job->captions);
    cc_job_fail (job, EXIT_BAD_INPUT, m);
    g_free (m);
  }
  g_free (missing);
  g_string_free (all, TRUE);
  g_ptr_array_unref (warnings);
  job->caption_track = track;   /* for the platform cut's choice */
  return job->error_message == NULL;
}

/* Everything that can reject the job before anything is decoded: the
 * input file, its probe, the duration its headers declare, the caption
 * file. The probe's and the captions' report entries come back even when
 * the job fails. */
static gboolean
job_preflight (CcJob * job, CcProbe * probe, JsonNode ** probe_json,
    JsonNode ** captions_json)
{
  GError *err = NULL;

  if (!cc_check_input_file (job->input, &err) ||
      !cc_probe_file (job->input, PROBE_TIMEOUT_S, probe, &err)) {
    cc_job_fail (job, EXIT_BAD_INPUT, err->message);
    g_clear_error (&err);
    return FALSE;
  }
  *probe_json = cc_probe_to_json (probe);
  if (probe->n_video == 0) {
    cc_job_fail (job, EXIT_BAD_INPUT, _("the file has no video stream; the "
        "campaign needs a video file"));
    return FALSE;
  }
  job->src_duration = probe->duration;

  if (!check_declared_duration (job, probe))
    return FALSE;
  if (job->captions && !check_captions (job, probe, captions_json))
    return FALSE;
  cc_job_mark_phase (job, PHASE_PROBE);
  return TRUE;
}

/* Analysis -------------------------------------------------------------- */

/* The analysis pass is an optimisation and a source of signals, never a
 * gate: when it fails, loudness is normalised as the audio plays and the
 * automatic platform cut goes by the signals it still has. Whether the
 * file itself is at fault is for the encode to find out, with the
 * decoders that matter. */
static void
analysis_failed (CcJob * job, const GError * err)
{
  const gchar *why = err ? err->message : "no reason given";

  job->loudness_missing = g_strdup_printf ("the analysis pass failed: %s",
      why);
  cc_loudness_clear (&job->input_loudness);
  job->input_loudness.has_audio = FALSE;
  if (job->keyframes) {
    g_array_set_size (job->keyframes, 0);
    g_free (job->keyframes_missing);
    job->keyframes_missing = g_strdup (job->loudness_missing);
  }
  if (!job->quiet)
    fprintf (stderr, _("campuscut: warning: %s: the analysis pass failed "
        "(%s); loudness is normalised while encoding and the platform cut "
        "is chosen without it\n"), job->input, why);
}

/* Fast analysis pass: loudness for two-pass normalisation, and for an
 * automatic platform cut the audio's energy and the video's keyframes. */
static void
job_analyse (CcJob * job, const CcProbe * probe)
{
  GError *err = NULL;
  gchar *kept = NULL;

  if (g_strcmp0 (job->platform_cut, "auto") == 0)
    job->keyframes = g_array_new (FALSE, FALSE, sizeof (CcKeyframe));
  if (!(probe->n_audio > 0 && cc_loudness_target_preset (job->loudness)) &&
      job->keyframes == NULL)
    return;

  /* a trimmed cut is normalised for what it keeps, not for the whole
   * source */
  if (kept_duration (job, probe) != cc_content_duration (probe)) {
    CcSpan span = { 0, kept_duration (job, probe) };
    gchar *list = cc_cutlist_format (&span, 1);

    kept = in_stream_time (list, probe->content_start);
    g_free (list);
  }
  if (!cc_measure_loudness (probe->uri, kept, &job->input_loudness,
          job->keyframes, &job->keyframes_offered, &job->keyframes_missing,
          &err))
    analysis_failed (job, err);
  g_clear_error (&err);
  g_free (kept);
  /* keyframes come in stream time; the choice counts from the first
   * picture */
  for (guint i = 0; job->keyframes && i < job->keyframes->len; i++) {
    CcKeyframe *kf = &g_array_index (job->keyframes, CcKeyframe, i);
    kf->t = kf->t > probe->content_start ? kf->t - probe->content_start : 0;
  }
  if (job->input_loudness.has_audio &&
      !(job->input_loudness.integrated >= CC_LOUDNESS_GATE_LUFS) &&
      !job->quiet)
    fprintf (stderr, _("campuscut: warning: %s: the audio is silent or "
        "nearly so (below -70 LUFS); it is left as it is\n"), job->input);
}

/* Platform cut ---------------------------------------------------------- */

/* The automatic choice, from what the full cut keeps, by captions, the
 * audio's loudness and the keyframes. */
static GArray *
choose_platform_cut (CcJob * job, const CcProbe * probe)
{
  CcCutSignals sig = { 0 };

  sig.duration = kept_duration (job, probe);
  sig.captions = job->caption_track;
  if (job->input_loudness.momentary) {
    sig.loudness = (gdouble *) job->input_loudness.momentary->data;
    sig.n_loudness = job->input_loudness.momentary->len;
    sig.loudness_step = CC_LOUDNESS_STEP;
  }
  if (job->keyframes) {
    sig.keyframes = (CcKeyframe *) job->keyframes->data;
    sig.n_keyframes = job->keyframes->len;
  }
  sig.min_total = CC_PLATFORM_CUT_MIN;
  sig.max_total = cc_category_max (CC_CATEGORY_PLATFORM);
  job->platform_reasons = cc_cutlist_choose (&sig);
  return cc_cutlist_choice_spans (job->platform_reasons);
}

/* The loudness of the platform segments, measured as the bin will cut
 * them; without it the platform cut is normalised as it plays (live
 * mode). */
static void
measure_platform_loudness (CcJob * job, const CcProbe * probe)
{
  GError *err = NULL;
  gchar *segments = in_stream_time (job->platform_segments,
      probe->content_start);

  if (!cc_measure_loudness (probe->uri, segments, &job->platform_loudness,
          NULL, NULL, NULL, &err)) {
    job->platform_loudness_missing = g_strdup (err ? err->message :
        "the analysis failed");
    cc_loudness_clear (&job->platform_loudness);
    job->platform_loudness.has_audio = FALSE;
    g_clear_error (&err);
  }
  g_free (segments);
}

/* Decides the platform cut before anything is decoded: the given list, or
 * the automatic choice; on the output's frame grid; then measures the
 * loudness of exactly that cut. */
static gboolean
job_platform_cut (CcJob * job, const CcProbe * probe)
{
  GArray *spans;
  CcCutFit fit;

  if (g_strcmp0 (job->platform_cut, "none") == 0)
    return TRUE;
  if (g_strcmp0 (job->platform_cut, "auto") == 0) {
    spans = choose_platform_cut (job, probe);
  } else {
    /* checked when the options were read */
    spans = cc_cutlist_parse (job->platform_cut, NULL);
    if (GST_CLOCK_TIME_IS_VALID (probe->duration) &&
        g_array_index (spans, CcSpan, 0).start >= probe->duration) {
      cc_job_fail (job, EXIT_USAGE, _("the platform cut list starts after "
          "the video ends"));
      g_array_unref (spans);
      return FALSE;
    }
    /* a list may run past the end: the cut holds what the video has; a
     * list longer than the rule is refused as given */
    if (GST_CLOCK_TIME_IS_VALID (kept_duration (job, probe)) &&
        cc_cutlist_total ((CcSpan *) spans->data, spans->len) <=
        cc_category_max (CC_CATEGORY_PLATFORM))
      cc_cutlist_clip (spans, kept_duration (job, probe));
  }
  /* the report shows the segments as cut */
  fit = cc_cutlist_fit (spans, job->platform_reasons,
      gst_util_uint64_scale_int (GST_SECOND, job->fps_d, job->fps_n),
      cc_category_max (CC_CATEGORY_PLATFORM), &job->platform_total);
  if (fit == CC_CUT_FITS)
    job->platform_segments = cc_cutlist_format ((CcSpan *) spans->data,
        spans->len);
  g_array_unref (spans);

  if (fit == CC_CUT_EMPTY) {
    cc_job_fail (job, EXIT_USAGE, _("the platform cut list keeps nothing"));
    return FALSE;
  } else if (fit == CC_CUT_TOO_LONG) {
    gchar *m = g_strdup_printf (_("the platform cut list lasts %.1f s; "
        "platform cuts must be at most 60 s"),
        job->platform_total / (gdouble) GST_SECOND);
    cc_job_fail (job, EXIT_REJECTED, m);
    g_free (m);
    return FALSE;
  }

  /* (--only platform takes the input's from the full cut's report) */
  if (job->input_loudness.has_audio)
    measure_platform_loudness (job, probe);
  return TRUE;
}

/* The run ----------------------------------------------------------------- */

static void
print_failure (const CcJob * job)
{
  if (job->tty)
    fputc ('\n', stderr);
  fprintf (stderr, "campuscut: %s: %s: %s\n",
      job->exit_code == EXIT_REJECTED ? _("rejected") : _("error"),
      job->error_file ? job->error_file : job->input, job->error_message);
}

/* Writes the report whatever happened; a failed job delivers nothing.
 * With --only platform a failed job changes nothing: the folder keeps its
 * platform cut and its report. */
static void
job_finish (CcJob * job, const gchar * full, const gchar * platform,
    const gchar * made, const gchar * report, JsonNode * probe_json,
    JsonNode * captions_json, JsonNode * outputs)
{
  GError *err = NULL;

  if (job->only_platform && job->error_message) {
    if (probe_json)
      json_node_unref (probe_json);
    if (captions_json)
      json_node_unref (captions_json);
    if (outputs)
      json_node_unref (outputs);
  } else if (!cc_job_write_report (job, report, probe_json, captions_json,
          outputs, &err)) {
    fprintf (stderr, _("campuscut: error: %s: %s\n"), report, err->message);
    g_clear_error (&err);
    if (job->exit_code == EXIT_DONE)
      job->exit_code = EXIT_INTERNAL;
  }
  if (job->error_message) {
    /* a cut that failed its checks stays for a look, except a remade
     * platform cut under its temporary name */
    if (job->only_platform) {
      g_unlink (made);
    } else if (job->exit_code != EXIT_INTERNAL || job->interrupted) {
      g_unlink (full);
      g_unlink (made);
    }
    print_failure (job);
  } else if (!job->quiet && !job->progress_json) {
    if (!job->only_platform)
      printf (_("full cut:     %s\n"), full);
    if (job->platform_segments)
      printf (_("platform cut: %s (%s)\n"), platform, job->platform_segments);
    printf (_("report:       %s\n"), report);
  }
}

/* --only platform: the new cut, checked under its own name, replaces the
 * folder's platform.mp4 only when everything went well. */
static gboolean
job_replace_platform (CcJob * job, const gchar * made, const gchar * platform,
    JsonNode * outputs)
{
  JsonObject *entry;

  if (g_rename (made, platform) != 0) {
    gchar *m = g_strdup_printf (_("could not move the platform cut into "
            "place at %s: %s"), platform, g_strerror (errno));

    cc_job_fail (job, EXIT_INTERNAL, m);
    g_free (m);
    return FALSE;
  }
  entry = json_object_get_object_member (json_node_get_object (outputs),
      "platform");
  if (entry)
    json_object_set_string_member (entry, "file", "platform.mp4");
  return TRUE;
}

gint
cc_job_run (CcJob * job)
{
  CcProbe probe = { 0 };
  JsonNode *probe_json = NULL, *outputs = NULL, *captions_json = NULL;
  gchar *full, *platform, *report, *made;

  job->started_us = job->phase_mark = g_get_monotonic_time ();
  job->tty = isatty (STDERR_FILENO);
  if (job->progress_json)
    cc_progress_phase ("probe");

  if (g_mkdir_with_parents (job->outdir, 0755) != 0) {
    fprintf (stderr, _("campuscut: error: %s: cannot create the output folder: "
        "%s\n"), job->outdir, g_strerror (errno));
    return EXIT_INTERNAL;
  }
  full = g_build_filename (job->outdir, "full.mp4", NULL);
  platform = g_build_filename (job->outdir, "platform.mp4", NULL);
  report = g_build_filename (job->outdir, "report.json", NULL);
  /* --only platform encodes beside the platform cut it replaces */
  made = job->only_platform ? g_build_filename (job->outdir,
      ".platform-remake.mp4", NULL) : g_strdup (platform);

  if (job->only_platform && !cc_job_load_base_report (job, report, full))
    goto done;
  if (!job_preflight (job, &probe, &probe_json, &captions_json))
    goto done;
  if (job->only_platform && !cc_job_check_base_input (job))
    goto done;
  if (!cc_job_check_plugin (job))
    goto done;
  /* alone, a given list needs no look at the whole source */
  if (!job->only_platform || g_strcmp0 (job->platform_cut, "auto") == 0)
    job_analyse (job, &probe);
  if (!job_platform_cut (job, &probe))
    goto done;
  cc_job_mark_phase (job, PHASE_ANALYSIS);
  if (!cc_job_encode (job, &probe, job->only_platform ? NULL : full, made))
    goto done;
  outputs = cc_job_verify (job, &probe, job->only_platform ? NULL : full,
      made);
  if (job->only_platform && job->error_message == NULL)
    job_replace_platform (job, made, platform, outputs);

done:
  job_finish (job, full, platform, made, report, probe_json, captions_json,
      outputs);
  cc_progress_result (job);
  cc_probe_clear (&probe);
  g_free (full);
  g_free (platform);
  g_free (report);
  g_free (made);
  return job->exit_code;
}

void
cc_job_clear (CcJob * job)
{
  g_clear_pointer (&job->input, g_free);
  g_clear_pointer (&job->outdir, g_free);
  g_clear_pointer (&job->video_encoder, g_free);
  g_clear_pointer (&job->error_message, g_free);
  g_clear_pointer (&job->school, g_free);
  g_clear_pointer (&job->logo, g_free);
  g_clear_pointer (&job->captions, g_free);
  g_clear_pointer (&job->platform_cut, g_free);
  g_clear_pointer (&job->base_report, json_object_unref);
  g_clear_pointer (&job->platform_segments, g_free);
  g_clear_pointer (&job->platform_reasons, g_ptr_array_unref);
  g_clear_pointer (&job->caption_track, cc_caption_track_free);
  g_clear_pointer (&job->keyframes, g_array_unref);
  cc_loudness_clear (&job->input_loudness);
  cc_loudness_clear (&job->platform_loudness);
  g_clear_pointer (&job->error_file, g_free);
  g_clear_pointer (&job->error_element, g_free);
  g_clear_pointer (&job->error_debug, g_free);
  g_clear_pointer (&job->keyframes_missing, g_free);
  g_clear_pointer (&job->loudness_missing, g_free);
  g_clear_pointer (&job->platform_loudness_missing, g_free);
  g_clear_pointer (&job->warned, g_hash_table_unref);
  g_clear_pointer (&job->duration_verdict, g_free);
  g_clear_pointer (&job->duration_action, g_free);
}
