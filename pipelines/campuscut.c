/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * campuscut: the command line, its options and its commands.
 *
 * `process` runs one job (ccjob.c): checks the input, probes it, runs one
 * submissionbin, shows progress, verifies the outputs by reading them
 * back, and writes report.json. `probe` prints what the pre-flight probe
 * finds. `contact-sheet` makes a grid of small frames of a video
 * (cccontact.c). `serve` is the batch server, `submit` its client and
 * `worker` runs its jobs on other machines, with options of their own
 * (server/ccserve.c, server/ccsubmit.c, server/ccworker.c).
 *
 * Exit codes: 0 done, 1 internal failure, 2 usage, 3 rejected by policy,
 * 4 unreadable or unsupported input.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "cccontact.h"
#include "cccutlist.h"
#include "ccjob.h"
#include "ccserve.h"
#include "ccsubmit.h"
#include "ccworker.h"

/* Options given as names, until checked into the job's settings. */
typedef struct {
  gchar *category;
  gchar *quality;
  gchar *on_too_long;
  gchar *platform_aspect;
  gchar *loudness;
  gchar *progress;
  gchar *only;
} Names;

static gboolean
parse_fps (const gchar * name, const gchar * value, gpointer data,
    GError ** error)
{
  CcJob *job = data;
  gint n = 0, d = 1;

  if (sscanf (value, "%d/%d", &n, &d) < 1 || n <= 0 || d <= 0 || n > 120 * d) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--fps takes a rate such as 25, 30 or 30000/1001, not '%s'", value);
    return FALSE;
  }
  job->fps_n = n;
  job->fps_d = d;
  return TRUE;
}

static const gchar *usage_summary =
    N_("Commands:\n"
    "  process INPUT -o OUTDIR   normalise one submission into OUTDIR/full.mp4,\n"
    "                            OUTDIR/platform.mp4 (with a platform cut) and\n"
    "                            OUTDIR/report.json\n"
    "  probe INPUT               print what the pre-flight probe finds, as JSON\n"
    "  contact-sheet VIDEO JPEG  a grid of small frames, one every few seconds\n"
    "  serve [--data DIR] [--listen ADDR:PORT] [--jobs N]\n"
    "                            the batch server (campuscut serve --help)\n"
    "  submit FILE --server URL --token T [--wait] [--download DIR]\n"
    "                            a job for a batch server (campuscut submit --help)\n"
    "  worker --server URL --token T [--jobs N]\n"
    "                            runs a batch server's jobs here (campuscut worker --help)\n"
    "\n"
    "Exit codes: 0 done, 1 internal failure, 2 usage, 3 rejected by policy,\n"
    "4 unreadable or unsupported input.");

static gint
usage_error (GOptionContext * ctx, const gchar * message)
{
  fprintf (stderr, "campuscut: %s\n\n", message);
  g_autofree gchar *help = g_option_context_get_help (ctx, TRUE, NULL);
  fputs (help, stderr);
  return EXIT_USAGE;
}

static gint
run_probe (const gchar * input)
{
  GError *err = NULL;
  CcProbe probe = { 0 };
  JsonGenerator *gen;
  JsonNode *node;
  gchar *text;

  if (!cc_check_input_file (input, &err) ||
      !cc_probe_file (input, PROBE_TIMEOUT_S, &probe, &err)) {
    fprintf (stderr, _("campuscut: error: %s: %s\n"), input, err->message);
    g_clear_error (&err);
    return EXIT_BAD_INPUT;
  }
  node = cc_probe_to_json (&probe);
  gen = json_generator_new ();
  json_generator_set_root (gen, node);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  puts (text);
  g_free (text);
  json_node_unref (node);
  g_object_unref (gen);
  cc_probe_clear (&probe);
  return EXIT_DONE;
}

/* Messages follow the locale (zh_CN.UTF-8 gives Simplified Chinese). On a
 * machine where that locale was never generated setlocale() fails and
 * gettext would stay silent, so the language asked for is kept through
 * LANGUAGE over the C.UTF-8 locale. A build tree's catalogues are used
 * when the program runs from the build tree. */
static void
setup_i18n (void)
{
  const gchar *localedir = LOCALEDIR;
  const gchar *env = g_getenv ("CAMPUSCUT_LOCALEDIR");
  g_autofree gchar *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree gchar *self_dir = self ? g_path_get_dirname (self) : NULL;

  if (setlocale (LC_ALL, "") == NULL) {
    const gchar *vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
    const gchar *want = NULL;

    for (guint i = 0; i < G_N_ELEMENTS (vars) && want == NULL; i++) {
      const gchar *v = g_getenv (vars[i]);
      if (v && *v)
        want = v;
    }
    setlocale (LC_ALL, "C.UTF-8");
    if (want && g_getenv ("LANGUAGE") == NULL) {
      g_autofree gchar *lang = g_strdup (want);
      gchar *dot = strchr (lang, '.');

      if (dot)
        *dot = '\0';
      g_setenv ("LANGUAGE", lang, TRUE);
    }
  }
  if (env && *env)
    localedir = env;
  else if (self_dir && g_strcmp0 (self_dir, BUILD_PIPELINES_DIR) == 0)
    localedir = BUILD_LOCALEDIR;
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

/* A job's memory is frames: megabyte-sized buffers allocated by one
 * thread and freed by another, in some thirty threads. glibc gives each
 * thread its own arena (up to eight per core), and every arena keeps the
 * frames freed into it; a few arenas serve these large, infrequent
 * allocations as fast and keep less (about 30 MB at 1080p). The
 * environment's MALLOC_ARENA_MAX / GLIBC_TUNABLES still win. */
static void
limit_malloc_arenas (void)
{
  if (g_getenv ("MALLOC_ARENA_MAX") == NULL &&
      (g_getenv ("GLIBC_TUNABLES") == NULL ||
          strstr (g_getenv ("GLIBC_TUNABLES"), "arena_max") == NULL))
    mallopt (M_ARENA_MAX, (int) MAX (2, g_get_num_processors ()));
}

/* The options of both commands. GLib copies the table; the values go to
 * the job, and the names to be checked to names. */
static GOptionContext *
option_context_new (CcJob * job, Names * names)
{
  GOptionEntry entries[] = {
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &job->outdir,
        N_("Folder for full.mp4, platform.mp4 and report.json (created if "
        "missing)"), "OUTDIR"},
    {"category", 'c', 0, G_OPTION_ARG_STRING, &names->category,
        N_("Campaign category: story or craftsman (180-300 s), overview "
          "(at most 300 s), platform (at most 60 s); default none, no "
          "duration rule"), "ID"},
    {"quality", 'q', 0, G_OPTION_ARG_STRING, &names->quality,
        N_("draft (fast 640x360 proxy), standard (default) or high"), "LEVEL"},
    {"fps", 0, 0, G_OPTION_ARG_CALLBACK, parse_fps,
        N_("Constant output frame rate (default 25)"), "RATE"},
    {"video-encoder", 0, 0, G_OPTION_ARG_STRING, &job->video_encoder,
        N_("H.264 encoder and settings, e.g. \"x264enc speed-preset=slow\" "
          "(default x264enc with the campaign settings)"), "DESC"},
    {"stall-timeout", 0, 0, G_OPTION_ARG_INT, &job->stall_timeout,
        N_("Fail when no progress is made for this many seconds (default 60)"),
        "S"},
    {"threads", 0, 0, G_OPTION_ARG_INT, &job->threads,
        N_("Threads for scaling and for each encoder (default: automatic)"),
        "N"},
    {"school", 0, 0, G_OPTION_ARG_STRING, &job->school,
        N_("School name for the watermark (学校名称水印)"), "NAME"},
    {"logo", 0, 0, G_OPTION_ARG_FILENAME, &job->logo,
        N_("School logo for the watermark: PNG, JPEG or SVG (学校标志)"), "FILE"},
    {"captions", 0, 0, G_OPTION_ARG_FILENAME, &job->captions,
        N_("Caption file to burn in: SRT, WebVTT or ASS; UTF-8, UTF-16, "
          "GB18030/GBK or Big5 (字幕文件)"), "FILE"},
    {"loudness", 0, 0, G_OPTION_ARG_STRING, &names->loudness,
        N_("Loudness target: web (-16 LUFS, default), mobile (-15, GY/T 377), "
          "quiet (-24), ebu (-23) or off (响度标准)"), "PRESET"},
    {"platform-cut", 0, 0, G_OPTION_ARG_STRING, &job->platform_cut,
        N_("The cut of at most 60 s for the short-video account: auto "
          "(default for story and craftsman), none, or segments like "
          "00:12.5-00:40,01:35-02:07 (平台短视频)"), "auto|none|LIST"},
    {"only", 0, 0, G_OPTION_ARG_STRING, &names->only,
        N_("platform: make only the platform cut again, with --platform-cut, "
          "in OUTDIR beside its finished full cut; full.mp4 stays and "
          "report.json is updated (只重做平台短视频)"), "OUTPUT"},
    {"platform-aspect", 0, 0, G_OPTION_ARG_STRING, &names->platform_aspect,
        N_("portrait (1080x1920, default) or source"), "ASPECT"},
    {"on-too-long", 0, 0, G_OPTION_ARG_STRING, &names->on_too_long,
        N_("error (default: reject), trim (cut at the maximum with a fade) or "
          "warn"), "ACTION"},
    {"min-duration", 0, 0, G_OPTION_ARG_DOUBLE, &job->min_duration_s,
        N_("Override the category's minimum, in seconds (0 = none)"), "S"},
    {"max-duration", 0, 0, G_OPTION_ARG_DOUBLE, &job->max_duration_s,
        N_("Override the category's maximum, in seconds (0 = none)"), "S"},
    {"trim-fade", 0, 0, G_OPTION_ARG_DOUBLE, &job->trim_fade_s,
        N_("Fade before a trim, in seconds (default 1, 0 = hard cut)"), "S"},
    {"max-time", 0, 0, G_OPTION_ARG_DOUBLE, &job->max_time_s,
        N_("Fail a job that runs longer than this many seconds (default: 5x "
          "the source's duration, at least 600)"), "S"},
    {"max-output-size", 0, 0, G_OPTION_ARG_INT, &job->max_output_mb,
        N_("Fail when the outputs together pass this many MB (default 4096)"),
        "MB"},
    {"quiet", 0, 0, G_OPTION_ARG_NONE, &job->quiet,
        N_("No progress output"), NULL},
    {"progress", 0, 0, G_OPTION_ARG_STRING, &names->progress,
        N_("text (default) or json: one JSON object a line on standard "
          "output, for programs (see the guide)"), "FORMAT"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("COMMAND INPUT");
  GOptionGroup *main_group;

  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, N_("Turn a school's submitted video "
          "into the campaign's publishable MP4."));
  g_option_context_set_description (ctx, usage_summary);
  main_group = g_option_group_new (NULL, NULL, NULL, job, NULL);
  g_option_group_set_translation_domain (main_group, GETTEXT_PACKAGE);
  g_option_group_add_entries (main_group, entries);
  g_option_context_set_main_group (ctx, main_group);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  return ctx;
}

/* Checks process's options in the order the help lists them, and sets
 * the job's settings from the names given. Returns what is wrong, for the
 * usage message (caller frees), or NULL. The enumerated options take their
 * names as the help spells them, and the loudness presets in any case, as
 * they always have. */
static gchar *
check_process_options (CcJob * job, const Names * names)
{
  if (job->outdir == NULL)
    return g_strdup (_("process needs -o OUTDIR"));
  if (names->category && !cc_category_from_string (names->category,
          &job->category))
    return g_strdup_printf (_("unknown category '%s'; use story, craftsman, "
            "overview or platform"), names->category);
  if (names->quality && !cc_quality_from_string (names->quality,
          &job->quality))
    return g_strdup_printf (_("unknown quality '%s'; use draft, standard or "
            "high"), names->quality);
  if (names->on_too_long &&
      (!cc_too_long_from_string (names->on_too_long, &job->on_too_long) ||
          strcmp (names->on_too_long,
              cc_too_long_to_string (job->on_too_long)) != 0))
    return g_strdup (_("--on-too-long takes error, trim or warn"));
  if (job->trim_fade_s < 0 || job->trim_fade_s > 10)
    return g_strdup (_("--trim-fade takes 0 to 10 seconds"));
  if (job->logo && !g_file_test (job->logo, G_FILE_TEST_IS_REGULAR))
    return g_strdup_printf (_("--logo %s: no such file; give the school logo "
            "as a PNG, JPEG or SVG file"), job->logo);
  if (job->captions && !g_file_test (job->captions, G_FILE_TEST_IS_REGULAR))
    return g_strdup_printf (_("--captions %s: no such file"), job->captions);
  if (job->platform_cut == NULL)
    job->platform_cut = g_strdup (job->category == CC_CATEGORY_STORY ||
        job->category == CC_CATEGORY_CRAFTSMAN ? "auto" : "none");
  if (g_strcmp0 (job->platform_cut, "auto") &&
      g_strcmp0 (job->platform_cut, "none")) {
    GError *e = NULL;
    GArray *spans = cc_cutlist_parse (job->platform_cut, &e);

    if (spans == NULL) {
      gchar *m = g_strdup_printf ("--platform-cut: %s", e->message);

      g_clear_error (&e);
      return m;
    }
    g_array_unref (spans);
  }
  if (names->only && strcmp (names->only, "platform") != 0)
    return g_strdup (_("--only takes platform"));
  job->only_platform = names->only != NULL;
  if (job->only_platform && g_strcmp0 (job->platform_cut, "none") == 0)
    return g_strdup (_("--only platform needs a platform cut: --platform-cut "
            "auto or a list of segments"));
  if (names->platform_aspect &&
      (!cc_platform_aspect_from_string (names->platform_aspect,
              &job->platform_aspect) || strcmp (names->platform_aspect,
              cc_platform_aspect_to_string (job->platform_aspect)) != 0))
    return g_strdup (_("--platform-aspect takes portrait or source"));
  if (names->loudness &&
      (!cc_loudness_target_from_string (names->loudness, &job->loudness) ||
          (job->loudness == CC_LOUDNESS_OFF &&
              strcmp (names->loudness, "off") != 0)))
    return g_strdup (_("--loudness takes web, mobile, quiet, ebu or off"));
  if (names->progress && g_strcmp0 (names->progress, "text") &&
      g_strcmp0 (names->progress, "json"))
    return g_strdup (_("--progress takes text or json"));
  job->progress_json = g_strcmp0 (names->progress, "json") == 0;
  if (job->video_encoder == NULL)
    job->video_encoder = g_strdup (CC_DEFAULT_VIDEO_ENCODER);
  return NULL;
}

/* Runs the command in argv[1]. */
static gint
run_command (GOptionContext * ctx, CcJob * job, const Names * names,
    gint argc, gchar ** argv)
{
  gchar *problem;
  gint ret;

  if (g_strcmp0 (argv[1], "probe") == 0) {
    if (argc != 3)
      return usage_error (ctx, _("probe takes exactly one INPUT file"));
    return run_probe (argv[2]);
  }
  if (g_strcmp0 (argv[1], "process") != 0) {
    problem = g_strdup_printf (_("unknown command '%s'"), argv[1]);
  } else if (argc != 3) {
    problem = g_strdup (_("process takes exactly one INPUT file"));
  } else {
    problem = check_process_options (job, names);
  }
  if (problem) {
    ret = usage_error (ctx, problem);
    g_free (problem);
    return ret;
  }
  job->input = g_strdup (argv[2]);
  return cc_job_run (job);
}

int
main (int argc, char **argv)
{
  CcJob job = { 0 };
  Names names = { 0 };
  GError *err = NULL;
  GOptionContext *ctx;
  gint ret;

  limit_malloc_arenas ();
  setup_i18n ();
  if (argc >= 2 && g_strcmp0 (argv[1], "serve") == 0)
    return cc_serve_main (argc - 1, argv + 1);
  if (argc >= 2 && g_strcmp0 (argv[1], "submit") == 0)
    return cc_submit_main (argc - 1, argv + 1);
  if (argc >= 2 && g_strcmp0 (argv[1], "worker") == 0)
    return cc_worker_main (argc - 1, argv + 1);
  if (argc >= 2 && g_strcmp0 (argv[1], "contact-sheet") == 0)
    return cc_contact_sheet_main (argc - 1, argv + 1);
  job.category = CC_DEFAULT_CATEGORY;
  job.quality = CC_DEFAULT_QUALITY;
  job.fps_n = CC_DEFAULT_FPS_N;
  job.fps_d = CC_DEFAULT_FPS_D;
  job.stall_timeout = CC_DEFAULT_STALL_TIMEOUT_S;
  job.min_duration_s = job.max_duration_s = -1;
  job.max_output_mb = 4096;
  job.on_too_long = CC_DEFAULT_ON_TOO_LONG;
  job.trim_fade_s = CC_DEFAULT_TRIM_FADE_NS / (gdouble) GST_SECOND;
  job.loudness = CC_DEFAULT_LOUDNESS;
  job.platform_aspect = CC_DEFAULT_PLATFORM_ASPECT;

  ctx = option_context_new (&job, &names);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    ret = usage_error (ctx, err->message);
    g_clear_error (&err);
  } else if (argc < 2) {
    ret = usage_error (ctx, _("no command given"));
  } else {
    cc_disable_remote_elements ();
    ret = run_command (ctx, &job, &names, argc, argv);
  }

  g_option_context_free (ctx);
  g_free (names.category);
  g_free (names.quality);
  g_free (names.on_too_long);
  g_free (names.platform_aspect);
  g_free (names.loudness);
  g_free (names.progress);
  g_free (names.only);
  cc_job_clear (&job);
  return ret;
}
