/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccsubmit: `campuscut submit FILE --server URL --token T [job options]
 * [--captions F] [--logo F] [--wait] [--download DIR]`.
 *
 * Uploads the video (and the caption file and logo) with resume after
 * broken connections (ccclient.c), creates the job with the same options
 * as `campuscut process`, and with --wait follows the job's event stream
 * (reconnecting when it breaks: the stream starts with the job's state)
 * until the job ends; --download then fetches the outputs, resuming a
 * broken download with Range and checking each file's SHA-256 against the
 * job's record before it takes its name.
 *
 * Standard output: "job: PATH", and with --wait "state: STATE" and one
 * "file: PATH" per download. Progress and problems go to standard error.
 * The token can come from CAMPUSCUT_TOKEN instead of the command line
 * (where other users of the machine could see it), the server from
 * CAMPUSCUT_SERVER.
 *
 * Exit codes, as `campuscut process`: 0 done (or queued, without --wait),
 * 1 failed or cancelled (or the server could not be reached), 2 usage
 * (the server's 400 included), 3 rejected by the rules, 4 rejected: the
 * file unreadable or unsupported.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "ccclient.h"
#include "ccsha256.h"
#include "ccsubmit.h"

#define DOWNLOAD_BLOCK (256 * 1024)

typedef struct
{
  gchar *server, *token, *captions, *logo, *download;
  gboolean wait, quiet;
  gchar *category, *quality, *fps, *school, *loudness, *platform_cut,
      *platform_aspect, *on_too_long, *title;
  gdouble min_duration, max_duration, trim_fade;        /* NAN: not given */
  gchar **people;
} SubmitArgs;

/* The names a job's outputs may have: nothing else is written. */
static const gchar *const output_names[] = {
  "full.mp4", "platform.mp4", "report.json", "contact.jpg", "contact.json",
  NULL
};

static GOptionContext *
submit_context_new (SubmitArgs * a)
{
  GOptionEntry entries[] = {
    {"server", 's', 0, G_OPTION_ARG_STRING, &a->server,
        N_("The server's URL (or CAMPUSCUT_SERVER)"), "URL"},
    {"token", 't', 0, G_OPTION_ARG_STRING, &a->token,
        N_("Your token (or CAMPUSCUT_TOKEN)"), "TOKEN"},
    {"captions", 0, 0, G_OPTION_ARG_FILENAME, &a->captions,
        N_("Caption file to burn in"), "FILE"},
    {"logo", 0, 0, G_OPTION_ARG_FILENAME, &a->logo,
        N_("School logo for the watermark"), "FILE"},
    {"wait", 'w', 0, G_OPTION_ARG_NONE, &a->wait,
        N_("Wait for the job to end; the exit code says how it did"), NULL},
    {"download", 'd', 0, G_OPTION_ARG_FILENAME, &a->download,
        N_("With --wait: fetch the outputs into DIR"), "DIR"},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &a->quiet,
        N_("No progress on standard error"), NULL},
    {"category", 'c', 0, G_OPTION_ARG_STRING, &a->category,
        N_("story, craftsman, overview or platform (the job options are "
          "those of campuscut process)"), "ID"},
    {"quality", 0, 0, G_OPTION_ARG_STRING, &a->quality,
        N_("draft, standard or high"), "LEVEL"},
    {"fps", 0, 0, G_OPTION_ARG_STRING, &a->fps,
        N_("Output frame rate, e.g. 25 or 30000/1001"), "RATE"},
    {"school", 0, 0, G_OPTION_ARG_STRING, &a->school,
        N_("School name for the watermark"), "NAME"},
    {"loudness", 0, 0, G_OPTION_ARG_STRING, &a->loudness,
        N_("web, mobile, quiet, ebu or off"), "PRESET"},
    {"platform-cut", 0, 0, G_OPTION_ARG_STRING, &a->platform_cut,
        N_("The short-video cut: auto, none or segments"), "auto|none|LIST"},
    {"platform-aspect", 0, 0, G_OPTION_ARG_STRING, &a->platform_aspect,
        N_("portrait or source"), "ASPECT"},
    {"on-too-long", 0, 0, G_OPTION_ARG_STRING, &a->on_too_long,
        N_("error, trim or warn"), "ACTION"},
    {"min-duration", 0, 0, G_OPTION_ARG_DOUBLE, &a->min_duration,
        N_("The category's minimum overridden, in seconds"), "S"},
    {"max-duration", 0, 0, G_OPTION_ARG_DOUBLE, &a->max_duration,
        N_("The category's maximum overridden, in seconds"), "S"},
    {"trim-fade", 0, 0, G_OPTION_ARG_DOUBLE, &a->trim_fade,
        N_("Fade before a trim, in seconds"), "S"},
    {"title", 0, 0, G_OPTION_ARG_STRING, &a->title,
        N_("The video's title, for the submission lists"), "TEXT"},
    {"people", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->people,
        N_("Someone in the video (repeat for each)"), "NAME"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new (_("FILE"));

  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("campuscut submit: upload a video to "
          "a campuscut server and run a job on it."));
  g_option_context_set_description (ctx, _("Exit codes: 0 done (or queued, "
          "without --wait), 1 failed, 2 usage, 3 rejected by the rules, 4 "
          "rejected: the file is unreadable or unsupported."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  return ctx;
}

static void
args_clear (SubmitArgs * a)
{
  gchar **strings[] = { &a->server, &a->token, &a->captions, &a->logo,
    &a->download, &a->category, &a->quality, &a->fps, &a->school,
    &a->loudness, &a->platform_cut, &a->platform_aspect, &a->on_too_long,
    &a->title
  };

  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    g_clear_pointer (strings[i], g_free);
  g_clear_pointer (&a->people, g_strfreev);
}

/* The body of POST /api/jobs. */
static JsonNode *
job_body (const SubmitArgs * a, const gchar * video, const gchar * captions,
    const gchar * logo)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const gchar *names[] = { "video", "captions", "logo", "category",
    "quality", "fps", "school", "loudness", "platform_cut",
    "platform_aspect", "on_too_long", "title"
  };
  const gchar *values[] = { video, captions, logo, a->category, a->quality,
    a->fps, a->school, a->loudness, a->platform_cut, a->platform_aspect,
    a->on_too_long, a->title
  };
  const gchar *num_names[] = { "min_duration", "max_duration", "trim_fade" };
  const gdouble nums[] = { a->min_duration, a->max_duration, a->trim_fade };

  json_builder_begin_object (b);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    if (values[i] == NULL)
      continue;
    json_builder_set_member_name (b, names[i]);
    json_builder_add_string_value (b, values[i]);
  }
  for (guint i = 0; i < G_N_ELEMENTS (num_names); i++) {
    if (isnan (nums[i]))
      continue;
    json_builder_set_member_name (b, num_names[i]);
    json_builder_add_double_value (b, nums[i]);
  }
  if (a->people) {
    json_builder_set_member_name (b, "people");
    json_builder_begin_array (b);
    for (guint i = 0; a->people[i]; i++)
      json_builder_add_string_value (b, a->people[i]);
    json_builder_end_array (b);
  }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* Uploads the files and creates the job; returns the job as created. */
static JsonObject *
create_job (CcClient * c, const SubmitArgs * a, const gchar * file,
    GError ** error)
{
  g_autofree gchar *video = NULL, *captions = NULL, *logo = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (JsonNode) body = NULL, reply = NULL;

  video = cc_client_upload (c, file, "video", NULL, NULL, error);
  if (video == NULL)
    return NULL;
  if (a->captions && !(captions = cc_client_upload (c, a->captions,
              "captions", NULL, NULL, error)))
    return NULL;
  if (a->logo && !(logo = cc_client_upload (c, a->logo, "logo", NULL,
              NULL, error)))
    return NULL;
  msg = cc_client_message (c, SOUP_METHOD_POST, "/api/jobs", error);
  body = job_body (a, video, captions, logo);
  if (msg == NULL || !cc_client_json (c, msg, body, &reply, error))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (reply)) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the server's answer is not a job");
    return NULL;
  }
  return json_object_ref (json_node_get_object (reply));
}

/* ------------------------------------------------------------------ */
/* Waiting.                                                             */

static gboolean
state_is_final (const gchar * state)
{
  return g_strcmp0 (state, "queued") != 0 &&
      g_strcmp0 (state, "running") != 0;
}

/* The job's progress, as its process reports it: rewritten in place on a
 * terminal, a line every few seconds otherwise. */
static void
show_progress (CcClient * c, JsonObject * o)
{
  gint64 now = g_get_monotonic_time ();

  if (c->quiet || now - c->last_progress_us < (c->tty ? G_USEC_PER_SEC / 5 :
          5 * G_USEC_PER_SEC))
    return;
  c->last_progress_us = now;
  fprintf (stderr, "%scampuscut: encoding: %3.0f%% (%.1f of %.1f s, %.1fx)%s",
      c->tty ? "\r" : "", json_object_get_double_member_with_default (o,
          "percent", 0), json_object_get_double_member_with_default (o,
          "position", 0), json_object_get_double_member_with_default (o,
          "duration", 0), json_object_get_double_member_with_default (o,
          "speed", 0), c->tty ? " " : "\n");
  fflush (stderr);
}

/* One event: shows progress; returns the job when its state is final. */
static JsonObject *
on_event (CcClient * c, const gchar * event, const gchar * data)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonObject *o;

  if (!json_parser_load_from_data (parser, data, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  o = json_node_get_object (json_parser_get_root (parser));
  if (g_strcmp0 (event, "progress") == 0) {
    show_progress (c, o);
  } else if (g_strcmp0 (event, "state") == 0) {
    const gchar *state = json_object_get_string_member_with_default (o,
        "state", NULL);

    if (!c->quiet)
      fprintf (stderr, "%scampuscut: job %s (attempt %" G_GINT64_FORMAT
          ")\n", c->tty ? "\n" : "", state,
          json_object_get_int_member_with_default (o, "attempt", 0));
    if (state_is_final (state))
      return json_object_ref (o);
  }
  return NULL;
}

/* Reads one event stream; returns the job once final, or NULL when the
 * stream ended or broke first (*heard: whether an event came before). */
static JsonObject *
follow_once (CcClient * c, const gchar * events, gboolean * fatal,
    gboolean * heard, GError ** error)
{
  g_autoptr (SoupMessage) msg = cc_client_message (c, SOUP_METHOD_GET,
      events, error);
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (GDataInputStream) lines = NULL;
  g_autofree gchar *event = NULL;
  g_autoptr (GString) data = g_string_new (NULL);
  gchar *line;

  if (msg == NULL || !(stream = soup_session_send (c->session, msg, NULL,
              error)))
    return NULL;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK) {
    *fatal = soup_message_get_status (msg) < 500;
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%u %s",
        soup_message_get_status (msg), soup_message_get_reason_phrase (msg));
    return NULL;
  }
  lines = g_data_input_stream_new (stream);
  while ((line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL,
              error))) {
    g_autofree gchar *l = line;
    JsonObject *final = NULL;

    if (g_str_has_prefix (l, "event:")) {
      g_free (event);
      event = g_strdup (g_strstrip (l + 6));
    } else if (g_str_has_prefix (l, "data:")) {
      g_string_append (data, l + 5 + (l[5] == ' '));
    } else if (*l == '\0' && data->len > 0) {
      final = on_event (c, event, data->str);
      g_string_truncate (data, 0);
      *heard = TRUE;
    }
    if (final)
      return final;
  }
  if (error && *error == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
        "the event stream ended before the job");
  return NULL;
}

/* Follows the job until it ends, reconnecting when the stream breaks. */
static JsonObject *
follow (CcClient * c, JsonObject * job, GError ** error)
{
  const gchar *events = json_object_get_string_member_with_default (job,
      "events", "");
  guint failures = 0;

  while (TRUE) {
    g_autoptr (GError) err = NULL;
    gboolean fatal = FALSE, heard = FALSE;
    JsonObject *final = follow_once (c, events, &fatal, &heard, &err);

    if (final)
      return final;
    /* a stream that brought events was worth it: breaks are counted
     * one after another, not over a long job's life */
    if (heard)
      failures = 0;
    if (fatal || ++failures > c->max_retries) {
      g_propagate_error (error, g_steal_pointer (&err));
      return NULL;
    }
    if (!c->quiet)
      fprintf (stderr, "campuscut: following the job: %s; again\n",
          err->message);
    cc_client_backoff (c, failures);
  }
}

/* ------------------------------------------------------------------ */
/* Downloads.                                                           */

static gboolean
download_all (CcClient * c, JsonObject * job, const gchar * dir,
    GError ** error)
{
  JsonArray *outputs = json_object_get_array_member (job, "outputs");

  if (g_mkdir_with_parents (dir, 0755) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s",
        dir, g_strerror (errno));
    return FALSE;
  }
  for (guint i = 0; outputs && i < json_array_get_length (outputs); i++) {
    JsonObject *o = json_array_get_object_element (outputs, i);
    const gchar *name = json_object_get_string_member_with_default (o,
        "name", "");
    g_autofree gchar *path = g_build_filename (dir, name, NULL);

    if (!g_strv_contains (output_names, name))
      continue;                 /* a name this client does not write */
    if (!cc_client_download (c, json_object_get_string_member_with_default (o,
                "location", ""), path,
            json_object_get_string_member_with_default (o, "sha256", ""),
            error))
      return FALSE;
    printf ("file: %s\n", path);
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */

/* The exit code for how the job ended, as `campuscut process` would
 * have exited. */
static gint
exit_code (JsonObject * job)
{
  const gchar *state = json_object_get_string_member_with_default (job,
      "state", "");
  gint64 code = json_object_get_int_member_with_default (job, "exit_code",
      3);

  if (strcmp (state, "done") == 0)
    return 0;
  if (strcmp (state, "rejected") == 0)
    return code == 4 ? 4 : 3;
  return 1;
}

static gint
run (CcClient * c, const SubmitArgs * a, const gchar * file)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (JsonObject) job = create_job (c, a, file, &err);
  g_autoptr (JsonObject) final = NULL;

  if (job == NULL) {
    fprintf (stderr, _("campuscut: error: %s\n"), err->message);
    return g_error_matches (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT) ?
        2 : 1;
  }
  printf ("job: %s\n", json_object_get_string_member_with_default (job,
          "location", ""));
  fflush (stdout);
  if (!a->wait)
    return 0;
  final = follow (c, job, &err);
  if (final == NULL) {
    fprintf (stderr, _("campuscut: error: %s\n"), err->message);
    return 1;
  }
  printf ("state: %s\n", json_object_get_string_member (final, "state"));
  if (exit_code (final) != 0 && !c->quiet)
    fprintf (stderr, _("campuscut: the job ended %s: %s\n"),
        json_object_get_string_member (final, "state"),
        json_object_get_string_member_with_default (final, "reason", ""));
  if (a->download && !download_all (c, final, a->download, &err)) {
    fprintf (stderr, _("campuscut: error: %s\n"), err->message);
    return 1;
  }
  return exit_code (final);
}

static const gchar *
check_args (SubmitArgs * a, gint argc)
{
  if (argc != 2)
    return _("submit takes exactly one FILE");
  if (a->server == NULL)
    a->server = g_strdup (g_getenv ("CAMPUSCUT_SERVER"));
  if (a->token == NULL)
    a->token = g_strdup (g_getenv ("CAMPUSCUT_TOKEN"));
  if (a->server == NULL || a->token == NULL)
    return _("submit needs --server and --token (or CAMPUSCUT_SERVER and "
        "CAMPUSCUT_TOKEN)");
  if (a->download && !a->wait)
    return _("--download goes with --wait");
  return NULL;
}

/**
 * cc_submit_main:
 * @argv: (array length=argc): the arguments after `campuscut`, argv[0]
 *   being "submit"
 *
 * Returns: the exit code
 */
gint
cc_submit_main (gint argc, gchar ** argv)
{
  SubmitArgs a = { 0 };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) err = NULL;
  const gchar *problem;
  CcClient c;
  gint ret;

  a.min_duration = a.max_duration = a.trim_fade = NAN;
  g_set_prgname ("campuscut submit");
  ctx = submit_context_new (&a);
  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    problem = err->message;
  else
    problem = check_args (&a, argc);
  if (problem) {
    fprintf (stderr, "campuscut: %s\n", problem);
    args_clear (&a);
    return 2;
  }
  cc_client_init (&c, a.server, a.token);
  c.quiet = a.quiet;
  ret = run (&c, &a, argv[1]);
  cc_client_clear (&c);
  args_clear (&a);
  return ret;
}
