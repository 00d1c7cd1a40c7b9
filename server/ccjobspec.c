/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccjobspec: what a job may ask of `campuscut process`.
 *
 * A job is one `campuscut process` run, so its options are the command
 * line's, checked with the same parsers (elements/ccpolicy.c,
 * ccloudness.c, cccutlist.c) and the same bounds, before the job is
 * stored: a job that the CLI would refuse as a usage error (exit 2) never
 * reaches the queue. The stored options are the names as the CLI spells
 * them; they become `--name=value` arguments (one argument each, so that
 * no value is ever read as an option).
 *
 * Options that belong to the server and not to the submitter (the encoder
 * description, threads, time and size limits) are not accepted. Title and
 * people are the job's own metadata, kept for the submission lists; the
 * CLI does not take them.
 *
 * The submission's metadata for the campaign's tables (the student, and
 * for a role-model story the role model's facts) is kept beside the
 * options, checked here with the same rules for text.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <gio/gio.h>

#include "cccutlist.h"
#include "ccjobspec.h"
#include "ccloudness.h"
#include "ccpolicy.h"

#define TEXT_MAX_CHARS 200
#define PEOPLE_MAX 20
#define DURATION_MAX_S 36000.0
#define NAME_MAX_CHARS 50
#define FACT_MAX_CHARS 100
#define DEEDS_MAX_CHARS 500
#define YEAR_MIN 1950

typedef enum
{
  OPT_CATEGORY,
  OPT_QUALITY,
  OPT_FPS,
  OPT_LOUDNESS,
  OPT_PLATFORM_CUT,
  OPT_PLATFORM_ASPECT,
  OPT_ON_TOO_LONG,
  OPT_SECONDS,                  /* 0 .. DURATION_MAX_S */
  OPT_FADE,                     /* 0 .. 10 s */
  OPT_TEXT,
  OPT_PEOPLE,
} OptKind;

typedef struct
{
  const gchar *name;            /* in the API */
  const gchar *flag;            /* of `campuscut process`, NULL: none */
  OptKind kind;
} Opt;

static const Opt opts[] = {
  {"category", "--category", OPT_CATEGORY},
  {"quality", "--quality", OPT_QUALITY},
  {"fps", "--fps", OPT_FPS},
  {"school", "--school", OPT_TEXT},
  {"loudness", "--loudness", OPT_LOUDNESS},
  {"platform_cut", "--platform-cut", OPT_PLATFORM_CUT},
  {"platform_aspect", "--platform-aspect", OPT_PLATFORM_ASPECT},
  {"on_too_long", "--on-too-long", OPT_ON_TOO_LONG},
  {"min_duration", "--min-duration", OPT_SECONDS},
  {"max_duration", "--max-duration", OPT_SECONDS},
  {"trim_fade", "--trim-fade", OPT_FADE},
  {"title", NULL, OPT_TEXT},
  {"people", NULL, OPT_PEOPLE},
};

const CcJsonField cc_job_spec_fields[] = {
  {"video", G_TYPE_STRING, TRUE},
  {"captions", G_TYPE_STRING, FALSE},
  {"logo", G_TYPE_STRING, FALSE},
  {"category", G_TYPE_STRING, FALSE},
  {"quality", G_TYPE_STRING, FALSE},
  {"fps", G_TYPE_STRING, FALSE},
  {"school", G_TYPE_STRING, FALSE},
  {"loudness", G_TYPE_STRING, FALSE},
  {"platform_cut", G_TYPE_STRING, FALSE},
  {"platform_aspect", G_TYPE_STRING, FALSE},
  {"on_too_long", G_TYPE_STRING, FALSE},
  {"min_duration", G_TYPE_DOUBLE, FALSE},
  {"max_duration", G_TYPE_DOUBLE, FALSE},
  {"trim_fade", G_TYPE_DOUBLE, FALSE},
  {"title", G_TYPE_STRING, FALSE},
  {"people", CC_JSON_STRINGS, FALSE},
  {"round", G_TYPE_INT64, FALSE},
  {"student", G_TYPE_STRING, FALSE},
  {"role_model", CC_JSON_OBJECT, FALSE},
};

const guint cc_job_spec_n_fields = G_N_ELEMENTS (cc_job_spec_fields);

/* The role model's facts, for the information table. */
static const CcJsonField role_model_fields[] = {
  {"name", G_TYPE_STRING, TRUE},
  {"graduation_year", G_TYPE_INT64, FALSE},
  {"major", G_TYPE_STRING, FALSE},
  {"employer", G_TYPE_STRING, FALSE},
  {"post", G_TYPE_STRING, FALSE},
  {"deeds", G_TYPE_STRING, FALSE},
};

/* Text up to @max characters, at least one, no control characters. */
static gboolean
text_within (const gchar * s, glong max)
{
  glong n = g_utf8_strlen (s, -1);

  if (n < 1 || n > max)
    return FALSE;
  for (const gchar * p = s; *p; p = g_utf8_next_char (p)) {
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return FALSE;
  }
  return TRUE;
}

/* Text shown in the video or in lists: 1 to TEXT_MAX_CHARS characters, no
 * control characters. */
static gboolean
text_ok (const gchar * s)
{
  return text_within (s, TEXT_MAX_CHARS);
}

/* A rate as --fps takes it: N or N/D, 0 < N/D <= 120. */
static gboolean
fps_ok (const gchar * s)
{
  guint64 n = 0, d = 1;
  const gchar *slash = strchr (s, '/');
  g_autofree gchar *num = g_strndup (s, slash ? (gsize) (slash - s) :
      strlen (s));

  if (!g_ascii_string_to_unsigned (num, 10, 1, 120000, &n, NULL) ||
      (slash && !g_ascii_string_to_unsigned (slash + 1, 10, 1, 1000, &d,
              NULL)))
    return FALSE;
  return n <= 120 * d;
}

/* A name as the CLI spells it: the parser knows it, and gives it back the
 * same. */
static gboolean
name_ok (OptKind kind, const gchar * s)
{
  CcCategory c;
  CcQuality q;
  CcLoudnessTarget l;
  CcPlatformAspect a;
  CcTooLong t;

  switch (kind) {
    case OPT_CATEGORY:
      return cc_category_from_string (s, &c) &&
          g_strcmp0 (cc_category_to_string (c), s) == 0;
    case OPT_QUALITY:
      return cc_quality_from_string (s, &q) &&
          g_strcmp0 (cc_quality_to_string (q), s) == 0;
    case OPT_LOUDNESS:
      return cc_loudness_target_from_string (s, &l) &&
          g_strcmp0 (cc_loudness_target_to_string (l), s) == 0;
    case OPT_PLATFORM_ASPECT:
      return cc_platform_aspect_from_string (s, &a) &&
          g_strcmp0 (cc_platform_aspect_to_string (a), s) == 0;
    case OPT_ON_TOO_LONG:
      return cc_too_long_from_string (s, &t) &&
          g_strcmp0 (cc_too_long_to_string (t), s) == 0;
    default:
      return FALSE;
  }
}

static gchar *
check_string (const Opt * o, const gchar * s)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GArray) spans = NULL;

  switch (o->kind) {
    case OPT_CATEGORY:
      return name_ok (o->kind, s) ? NULL : g_strdup ("category takes none, "
          "story, craftsman, overview or platform");
    case OPT_QUALITY:
      return name_ok (o->kind, s) ? NULL :
          g_strdup ("quality takes draft, standard or high");
    case OPT_LOUDNESS:
      return name_ok (o->kind, s) ? NULL :
          g_strdup ("loudness takes web, mobile, quiet, ebu or off");
    case OPT_PLATFORM_ASPECT:
      return name_ok (o->kind, s) ? NULL :
          g_strdup ("platform_aspect takes portrait or source");
    case OPT_ON_TOO_LONG:
      return name_ok (o->kind, s) ? NULL :
          g_strdup ("on_too_long takes error, trim or warn");
    case OPT_FPS:
      return fps_ok (s) ? NULL : g_strdup ("fps takes a rate such as 25, 30 "
          "or 30000/1001");
    case OPT_PLATFORM_CUT:
      if (strcmp (s, "auto") == 0 || strcmp (s, "none") == 0)
        return NULL;
      spans = cc_cutlist_parse (s, &err);
      return spans ? NULL : g_strdup_printf ("platform_cut: %s",
          err->message);
    case OPT_TEXT:
      return text_ok (s) ? NULL : g_strdup_printf ("%s takes 1 to %d "
          "characters of text without control characters", o->name,
          TEXT_MAX_CHARS);
    default:
      return g_strdup_printf ("%s: not a string", o->name);
  }
}

static gchar *
check_number (const Opt * o, gdouble v)
{
  gdouble max = o->kind == OPT_FADE ? 10.0 : DURATION_MAX_S;

  if (v >= 0 && v <= max)
    return NULL;
  return g_strdup_printf ("%s takes 0 to %g seconds", o->name, max);
}

static gchar *
check_people (JsonArray * people)
{
  guint n = json_array_get_length (people);

  if (n > PEOPLE_MAX)
    return g_strdup_printf ("people takes at most %d names", PEOPLE_MAX);
  for (guint i = 0; i < n; i++) {
    if (!text_ok (json_array_get_string_element (people, i)))
      return g_strdup_printf ("people: each name takes 1 to %d characters "
          "of text", TEXT_MAX_CHARS);
  }
  return NULL;
}

/* Checks one option's value; copies it into @out when good. */
static gchar *
check_opt (const Opt * o, JsonNode * node, JsonObject * out)
{
  gchar *problem;

  if (o->kind == OPT_PEOPLE)
    problem = check_people (json_node_get_array (node));
  else if (o->kind == OPT_SECONDS || o->kind == OPT_FADE)
    problem = check_number (o, json_node_get_double (node));
  else
    problem = check_string (o, json_node_get_string (node));
  if (problem == NULL)
    json_object_set_member (out, o->name, json_node_copy (node));
  return problem;
}

/**
 * cc_job_spec_check:
 * @body: a request body already checked against cc_job_spec_fields
 * @problem: (out): what is wrong, for a 400 answer
 *
 * Returns: (transfer full) (nullable): the options to store (the uploads
 *   are not among them), or NULL with @problem set
 */
JsonObject *
cc_job_spec_check (JsonObject * body, gchar ** problem)
{
  g_autoptr (JsonObject) out = json_object_new ();

  for (guint i = 0; i < G_N_ELEMENTS (opts); i++) {
    JsonNode *node = json_object_get_member (body, opts[i].name);

    if (node && (*problem = check_opt (&opts[i], node, out)))
      return NULL;
  }
  if (json_object_has_member (out, "min_duration") &&
      json_object_has_member (out, "max_duration") &&
      json_object_get_double_member (out, "max_duration") > 0 &&
      json_object_get_double_member (out, "min_duration") >
      json_object_get_double_member (out, "max_duration")) {
    *problem = g_strdup ("min_duration is more than max_duration");
    return NULL;
  }
  return g_steal_pointer (&out);
}

static gchar *
arg_value (const Opt * o, JsonNode * node)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (o->kind == OPT_SECONDS || o->kind == OPT_FADE)
    return g_strdup (g_ascii_dtostr (buf, sizeof (buf),
            json_node_get_double (node)));
  return g_strdup (json_node_get_string (node));
}

/**
 * cc_job_spec_append_args:
 * @options: the stored options (JSON text)
 * @args: (element-type utf8): where the arguments go
 *
 * Appends the `campuscut process` arguments the options stand for.
 */
gboolean
cc_job_spec_append_args (const gchar * options, GPtrArray * args,
    GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonObject *o;

  if (!json_parser_load_from_data (parser, options, -1, error))
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the job's options are not a JSON object");
    return FALSE;
  }
  o = json_node_get_object (json_parser_get_root (parser));
  for (guint i = 0; i < G_N_ELEMENTS (opts); i++) {
    JsonNode *node = json_object_get_member (o, opts[i].name);
    g_autofree gchar *value = NULL;

    if (node == NULL || opts[i].flag == NULL)
      continue;
    value = arg_value (&opts[i], node);
    g_ptr_array_add (args, g_strdup_printf ("%s=%s", opts[i].flag, value));
  }
  return TRUE;
}

/* What is wrong with the role model's facts, or NULL. */
static gchar *
check_role_model (JsonObject * o)
{
  static const struct
  {
    const gchar *name;
    glong max;
  } texts[] = {
    {"name", NAME_MAX_CHARS}, {"major", FACT_MAX_CHARS},
    {"employer", FACT_MAX_CHARS}, {"post", FACT_MAX_CHARS},
    {"deeds", DEEDS_MAX_CHARS},
  };
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++) {
    const gchar *s = json_object_get_string_member_with_default (o,
        texts[i].name, NULL);

    if (s && !text_within (s, texts[i].max))
      return g_strdup_printf ("role_model.%s takes 1 to %ld characters of "
          "text without control characters", texts[i].name, texts[i].max);
  }
  if (json_object_has_member (o, "graduation_year")) {
    gint64 y = json_object_get_int_member (o, "graduation_year");

    if (y < YEAR_MIN || y > g_date_time_get_year (now))
      return g_strdup_printf ("role_model.graduation_year takes %d to %d",
          YEAR_MIN, g_date_time_get_year (now));
  }
  return NULL;
}

/**
 * cc_job_spec_check_submission:
 * @body: a request body already checked against cc_job_spec_fields
 * @options: what cc_job_spec_check() made of it
 * @student: (out): the student's name, or NULL
 * @role_model: (out): the role model's facts as JSON text, or NULL
 *
 * Checks the submission's metadata; answers 400 and returns FALSE when it
 * is wrong.
 */
gboolean
cc_job_spec_check_submission (SoupServerMessage * msg, JsonObject * body,
    JsonObject * options, gchar ** student, gchar ** role_model)
{
  const gchar *name = json_object_get_string_member_with_default (body,
      "student", NULL);
  JsonObject *rm = json_object_has_member (body, "role_model") ?
      json_object_get_object_member (body, "role_model") : NULL;
  g_autofree gchar *problem = NULL;
  g_autoptr (JsonNode) node = NULL;

  if (name && !text_within (name, NAME_MAX_CHARS)) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_option", "student "
        "takes 1 to %d characters of text", NAME_MAX_CHARS);
    return FALSE;
  }
  if (rm && g_strcmp0 (json_object_get_string_member_with_default (options,
              "category", NULL), "story") != 0) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_option",
        "role_model goes with category story only");
    return FALSE;
  }
  if (rm && (!cc_http_check_fields (msg, rm, role_model_fields,
              G_N_ELEMENTS (role_model_fields), "role_model")))
    return FALSE;
  if (rm && (problem = check_role_model (rm))) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_option", "%s",
        problem);
    return FALSE;
  }
  *student = g_strdup (name);
  if (rm) {
    node = json_node_new (JSON_NODE_OBJECT);
    json_node_set_object (node, rm);
    *role_model = json_to_string (node, FALSE);
  }
  return TRUE;
}

/* The stored options as an object (caller unrefs), or NULL. */
static JsonObject *
options_object (const gchar * options)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (options == NULL || !json_parser_load_from_data (parser, options, -1,
          NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return JSON_NODE_HOLDS_OBJECT (root) ?
      json_object_ref (json_node_get_object (root)) : NULL;
}

static gchar *
options_text (JsonObject * o)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, o);
  return json_to_string (node, FALSE);
}

/**
 * cc_job_spec_remakes_platform:
 *
 * Whether the stored options ask for the platform cut alone, made again
 * beside the job's full cut ("remake": "platform", set by the server,
 * never by a client).
 */
gboolean
cc_job_spec_remakes_platform (const gchar * options)
{
  g_autoptr (JsonObject) o = options_object (options);

  return o && g_strcmp0 (json_object_get_string_member_with_default (o,
          "remake", NULL), "platform") == 0;
}

/**
 * cc_job_spec_with_platform_cut:
 * @options: the stored options
 * @segments: (nullable): the platform cut's new list, checked as
 *   --platform-cut checks it and at most 60 s long; NULL: a whole run
 *   again (the remake dropped)
 * @problem: (out): what is wrong with @segments, for a 400 answer
 *
 * Returns: (transfer full) (nullable): the options of the next attempt
 */
gchar *
cc_job_spec_with_platform_cut (const gchar * options,
    const gchar * segments, gchar ** problem)
{
  g_autoptr (JsonObject) o = options_object (options);
  g_autoptr (GArray) spans = NULL;
  g_autoptr (GError) err = NULL;

  if (o == NULL) {
    *problem = g_strdup ("the job's options are not a JSON object");
    return NULL;
  }
  if (segments == NULL) {
    json_object_remove_member (o, "remake");
    return options_text (o);
  }
  spans = cc_cutlist_parse (segments, &err);
  if (spans == NULL) {
    *problem = g_strdup_printf ("platform_cut: %s", err->message);
    return NULL;
  }
  if (cc_cutlist_total ((CcSpan *) spans->data, spans->len) >
      cc_category_max (CC_CATEGORY_PLATFORM)) {
    *problem = g_strdup_printf ("platform_cut lasts %.1f s; platform cuts "
        "must be at most %.0f s", cc_cutlist_total ((CcSpan *) spans->data,
            spans->len) / 1e9, cc_category_max (CC_CATEGORY_PLATFORM) / 1e9);
    return NULL;
  }
  json_object_set_string_member (o, "platform_cut", segments);
  json_object_set_string_member (o, "remake", "platform");
  return options_text (o);
}

