/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ccexport: the tables of approved works, for the campaign's office.
 *
 *   GET /api/exports/recommended-story.xlsx     《“榜样故事我来说”成果视频推荐汇总表》
 *   GET /api/exports/recommended-craftsman.xlsx 《“未来工匠说”成果视频推荐汇总表》
 *   GET /api/exports/role-models.xlsx           《“榜样故事我来说”典型事迹信息表》
 *       … and each as .csv; ?round=N (default: the open round, or the
 *       last), &unit=ID for one unit's works
 *   GET /api/exports/pack?unit=ID&round=N       the unit's submission pack
 *                                               (ccpack.c)
 *
 * The tables list the works approved in the round (the job done, its
 * review state approved), by unit and then oldest first; reviewers and
 * admins only. The pack is also its own unit's submitters'.
 *
 * Excel files are written with libxlsxwriter: every text is a string
 * cell, never a formula, whatever it starts with. CSV is for Excel in
 * Chinese: UTF-8 with a BOM (without it Excel reads the local code page),
 * CRLF, RFC 4180 quoting, and a cell that starts with = + - @ (or a tab or
 * CR) is prefixed with ' so that no spreadsheet runs it as a formula.
 *
 * Temporary files are made in DATA/tmp/, emptied at start, and removed as
 * soon as they are answered or fail.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "campuscut-serve"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <xlsxwriter.h>

#include "ccauth.h"
#include "cchttp.h"
#include "ccexport.h"
#include "ccjobs.h"

#define STEM_MAX_CHARS 100
#define XLSX_TYPE \
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

const CcTableKind cc_export_tables[] = {
  {"recommended-story", "“榜样故事我来说”成果视频推荐汇总表",
      "榜样故事我来说成果视频推荐汇总表", "story", FALSE},
  {"recommended-craftsman", "“未来工匠说”成果视频推荐汇总表",
      "未来工匠说成果视频推荐汇总表", "craftsman", FALSE},
  {"role-models", "“榜样故事我来说”典型事迹信息表",
      "榜样故事我来说典型事迹信息表", "story", TRUE},
};

const guint cc_export_n_tables = G_N_ELEMENTS (cc_export_tables);

/* Columns: heading, width in Excel's characters, and whether a number. */
typedef struct
{
  const gchar *heading;
  gdouble width;
  gboolean number;
} Column;

static const Column review_columns[] = {
  {"序号", 6, TRUE}, {"单位", 16, FALSE}, {"单位类型", 8, FALSE},
  {"作品标题", 28, FALSE}, {"类别", 10, FALSE}, {"学生", 10, FALSE},
  {"榜样人物", 10, FALSE}, {"时长", 8, FALSE}, {"文件名", 40, FALSE},
  {"审核结果", 8, FALSE}, {"审核人", 10, FALSE}, {"审核时间", 17, FALSE},
  {"联系人", 10, FALSE}, {"联系电话", 16, FALSE},
};

#define ROLE_MODEL_COLUMN 6

static const Column fact_columns[] = {
  {"序号", 6, TRUE}, {"单位", 16, FALSE}, {"单位类型", 8, FALSE},
  {"作品标题", 28, FALSE}, {"学生", 10, FALSE}, {"榜样姓名", 10, FALSE},
  {"毕业年份", 8, TRUE}, {"所学专业", 16, FALSE}, {"工作单位", 20, FALSE},
  {"岗位", 12, FALSE}, {"主要事迹", 60, FALSE}, {"联系人", 10, FALSE},
  {"联系电话", 16, FALSE},
};

static void
work_free (CcWork * w)
{
  cc_job_record_free (w->job);
  g_free (w->title);
  g_free (w->stem);
  g_free (w->duration);
  g_free (w->reviewer);
  if (w->role_model)
    json_object_unref (w->role_model);
  g_free (w);
}

/* ------------------------------------------------------------------ */
/* Names that Windows takes.                                            */

static gboolean
reserved_on_windows (const gchar * name)
{
  static const gchar *const devices[] = { "CON", "PRN", "AUX", "NUL" };
  gsize stem = strcspn (name, ".");

  for (guint i = 0; i < G_N_ELEMENTS (devices); i++) {
    if (stem == 3 && g_ascii_strncasecmp (name, devices[i], 3) == 0)
      return TRUE;
  }
  return stem == 4 && (g_ascii_strncasecmp (name, "COM", 3) == 0 ||
      g_ascii_strncasecmp (name, "LPT", 3) == 0) && name[3] >= '1' &&
      name[3] <= '9';
}

/**
 * cc_export_safe_name:
 * @max_chars: the most characters kept
 *
 * @name made a file name that Windows (and so Explorer's ZIP folders)
 * takes: none of \ / : * ? " < > | or control, format (direction, zero
 * width) or line-separating characters (each becomes _),
 * no space or dot at the end, no device name (CON, NUL, COM1 …), at most
 * @max_chars characters, never empty.
 */
gchar *
cc_export_safe_name (const gchar * name, guint max_chars)
{
  GString *out = g_string_new (NULL);
  guint n = 0;

  for (const gchar * p = name; *p && n < max_chars; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    GUnicodeType t = g_unichar_type (c);

    /* nor characters that make Explorer show another name: direction
     * overrides, zero-width and line-breaking ones */
    if (g_unichar_iscntrl (c) || t == G_UNICODE_FORMAT ||
        t == G_UNICODE_LINE_SEPARATOR || t == G_UNICODE_PARAGRAPH_SEPARATOR ||
        (c < 128 && strchr ("\\/:*?\"<>|", c)))
      g_string_append_c (out, '_');
    else
      g_string_append_unichar (out, c);
    n++;
  }
  while (out->len > 0 && (out->str[out->len - 1] == '.' ||
          out->str[out->len - 1] == ' '))
    g_string_truncate (out, out->len - 1);
  while (out->str[0] == ' ')
    g_string_erase (out, 0, 1);
  if (out->len == 0)
    g_string_append_c (out, '_');
  if (reserved_on_windows (out->str))
    g_string_prepend_c (out, '_');
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ */
/* The works.                                                           */

/* mm:ss of the full cut, from the job's report. */
static gchar *
work_duration (CcServer * server, const CcJobRecord * job)
{
  g_autofree gchar *path = g_build_filename (server->jobs_dir, job->id,
      "out", "report.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonNode *node;
  gint64 s;

  if (!json_parser_load_from_mapped_file (parser, path, NULL))
    return g_strdup ("");
  node = json_parser_get_root (parser);
  node = JSON_NODE_HOLDS_OBJECT (node) ?
      json_object_get_member (json_node_get_object (node), "outputs") : NULL;
  node = node && JSON_NODE_HOLDS_OBJECT (node) ?
      json_object_get_member (json_node_get_object (node), "full") : NULL;
  node = node && JSON_NODE_HOLDS_OBJECT (node) ?
      json_object_get_member (json_node_get_object (node), "duration_s") :
      NULL;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return g_strdup ("");
  s = (gint64) (json_node_get_double (node) + 0.5);
  return g_strdup_printf ("%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT,
      s / 60, s % 60);
}

/* Who approved the work and when: the log's last entry. */
static gboolean
work_review (CcServer * server, CcWork * w, GError ** error)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (CcDecision) d = cc_review_last_decision (server, w->job->id,
      &err);

  if (err) {
    g_propagate_error (error, g_steal_pointer (&err));
    return FALSE;
  }
  w->reviewer = g_strdup (d && d->user_name ? d->user_name : "");
  w->reviewed_at = d ? d->at : 0;
  return TRUE;
}

/* How @taken keeps a stem: case-folded, in one Unicode form. */
static gchar *
stem_key (const gchar * stem)
{
  g_autofree gchar *nfc = g_utf8_normalize (stem, -1, G_NORMALIZE_NFC);

  return g_utf8_casefold (nfc ? nfc : stem, -1);
}

static gboolean
stem_taken (GHashTable * taken, const gchar * stem)
{
  g_autofree gchar *key = stem_key (stem);

  return g_hash_table_contains (taken, key);
}

/* The work of an approved job; its stem unique among @taken. */
static CcWork *
work_new (CcServer * server, CcJobRecord * job, const CcUnit * unit,
    GHashTable * taken, GError ** error)
{
  CcWork *w = g_new0 (CcWork, 1);
  g_autoptr (JsonNode) options = cc_jobs_parse_stored (job->options);
  g_autoptr (JsonNode) rm = NULL;
  g_autofree gchar *stem = NULL;
  const gchar *title = NULL;

  w->job = job;
  w->unit = unit;
  w->category = cc_review_category (cc_review_job_category (job));
  if (JSON_NODE_HOLDS_OBJECT (options))
    title = json_object_get_string_member_with_default
        (json_node_get_object (options), "title", NULL);
  w->title = title ? g_strdup (title) : g_strdup_printf ("未命名-%.8s",
      job->id);
  stem = g_strdup_printf ("%s_%s_%s", unit->name, w->category ?
      w->category->name : "其他", w->title);
  w->stem = cc_export_safe_name (stem, STEM_MAX_CHARS);
  /* Windows compares names without case; a number replaces the stem's
   * end, so that it survives the length limit */
  for (guint i = 2; stem_taken (taken, w->stem); i++) {
    g_autofree gchar *suffix = g_strdup_printf ("-%u", i);
    g_autofree gchar *base = cc_export_safe_name (stem, STEM_MAX_CHARS -
        (guint) strlen (suffix));

    /* both parts are safe already; cut again, the number could go */
    g_free (w->stem);
    w->stem = g_strconcat (base, suffix, NULL);
  }
  g_hash_table_add (taken, stem_key (w->stem));
  w->duration = work_duration (server, job);
  if (job->role_model) {
    rm = cc_jobs_parse_stored (job->role_model);
    if (JSON_NODE_HOLDS_OBJECT (rm))
      w->role_model = json_object_ref (json_node_get_object (rm));
  }
  if (!work_review (server, w, error)) {
    work_free (w);
    return NULL;
  }
  return w;
}

/**
 * cc_export_works:
 * @units: (element-type CcUnit): the units, in the order of the tables
 * @unit_id: one unit's works only, or 0 for every unit's
 *
 * The works approved in @round: the jobs done and approved, by unit and
 * then oldest first, each with its file name's stem.
 *
 * Returns: (transfer full) (element-type CcWork): the works, or NULL
 */
GPtrArray *
cc_export_works (CcServer * server, GPtrArray * units, gint round,
    gint64 unit_id, GError ** error)
{
  CcJobFilter f = { unit_id, round, "done", "approved" };
  g_autoptr (GPtrArray) jobs = cc_store_job_select (server->store, &f,
      error);
  g_autoptr (GPtrArray) works = g_ptr_array_new_with_free_func
      ((GDestroyNotify) work_free);

  if (jobs == NULL)
    return NULL;
  for (guint u = 0; u < units->len; u++) {
    const CcUnit *unit = units->pdata[u];
    g_autoptr (GHashTable) taken = g_hash_table_new_full (g_str_hash,
        g_str_equal, g_free, NULL);

    for (guint j = 0; j < jobs->len; j++) {
      CcJobRecord *job = jobs->pdata[j];
      CcWork *w;

      if (job == NULL || job->unit_id != unit->id)
        continue;
      /* the work owns the record from here */
      jobs->pdata[j] = NULL;
      w = work_new (server, job, unit, taken, error);
      if (w == NULL)
        return NULL;
      g_ptr_array_add (works, w);
    }
  }
  return g_steal_pointer (&works);
}

/* ------------------------------------------------------------------ */
/* Rows.                                                                */

static gchar *
local_time (gint64 t)
{
  g_autoptr (GDateTime) dt = t ? g_date_time_new_from_unix_local (t) : NULL;

  return dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M") : g_strdup ("");
}

static const gchar *
fact (const CcWork * w, const gchar * name)
{
  return w->role_model ? json_object_get_string_member_with_default
      (w->role_model, name, "") : "";
}

static const gchar *
or_empty (const gchar * s)
{
  return s ? s : "";
}

/* A row of cells, each a string the row owns. */
static GPtrArray *
review_row (const CcWork * w, guint number, gboolean role_model)
{
  GPtrArray *row = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (row, g_strdup_printf ("%u", number));
  g_ptr_array_add (row, g_strdup (w->unit->name));
  g_ptr_array_add (row, g_strdup (w->unit->kind == CC_UNIT_DISTRICT ? "区" :
          "学院"));
  g_ptr_array_add (row, g_strdup (w->title));
  g_ptr_array_add (row, g_strdup (w->category ? w->category->name : ""));
  g_ptr_array_add (row, g_strdup (or_empty (w->job->student)));
  if (role_model)
    g_ptr_array_add (row, g_strdup (fact (w, "name")));
  g_ptr_array_add (row, g_strdup (w->duration));
  g_ptr_array_add (row, g_strdup_printf ("%s.mp4", w->stem));
  g_ptr_array_add (row, g_strdup ("通过"));
  g_ptr_array_add (row, g_strdup (w->reviewer));
  g_ptr_array_add (row, local_time (w->reviewed_at));
  g_ptr_array_add (row, g_strdup (or_empty (w->unit->contact)));
  g_ptr_array_add (row, g_strdup (or_empty (w->unit->phone)));
  return row;
}

static GPtrArray *
fact_row (const CcWork * w, guint number)
{
  GPtrArray *row = g_ptr_array_new_with_free_func (g_free);
  gint64 year = w->role_model ? json_object_get_int_member_with_default
      (w->role_model, "graduation_year", 0) : 0;

  g_ptr_array_add (row, g_strdup_printf ("%u", number));
  g_ptr_array_add (row, g_strdup (w->unit->name));
  g_ptr_array_add (row, g_strdup (w->unit->kind == CC_UNIT_DISTRICT ? "区" :
          "学院"));
  g_ptr_array_add (row, g_strdup (w->title));
  g_ptr_array_add (row, g_strdup (or_empty (w->job->student)));
  g_ptr_array_add (row, g_strdup (fact (w, "name")));
  g_ptr_array_add (row, year ? g_strdup_printf ("%" G_GINT64_FORMAT,
          year) : g_strdup (""));
  g_ptr_array_add (row, g_strdup (fact (w, "major")));
  g_ptr_array_add (row, g_strdup (fact (w, "employer")));
  g_ptr_array_add (row, g_strdup (fact (w, "post")));
  g_ptr_array_add (row, g_strdup (fact (w, "deeds")));
  g_ptr_array_add (row, g_strdup (or_empty (w->unit->contact)));
  g_ptr_array_add (row, g_strdup (or_empty (w->unit->phone)));
  return row;
}

/* A table's columns and rows: @kind's works of @works. */
typedef struct
{
  Column columns[G_N_ELEMENTS (review_columns)];
  guint n_columns;
  GPtrArray *rows;              /* of GPtrArray of gchar * */
} Table;

static void
table_clear (Table * t)
{
  g_clear_pointer (&t->rows, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Table, table_clear)

static void
table_init (Table * t, const CcTableKind * kind, GPtrArray * works)
{
  gboolean story = strcmp (kind->category, "story") == 0;
  guint number = 0;

  t->n_columns = 0;
  for (guint i = 0; kind->facts && i < G_N_ELEMENTS (fact_columns); i++)
    t->columns[t->n_columns++] = fact_columns[i];
  for (guint i = 0; !kind->facts && i < G_N_ELEMENTS (review_columns); i++) {
    if (i != ROLE_MODEL_COLUMN || story)
      t->columns[t->n_columns++] = review_columns[i];
  }
  t->rows = g_ptr_array_new_with_free_func
      ((GDestroyNotify) g_ptr_array_unref);
  for (guint i = 0; i < works->len; i++) {
    const CcWork *w = works->pdata[i];

    if (w->category == NULL || strcmp (w->category->id, kind->category))
      continue;
    number++;
    g_ptr_array_add (t->rows, kind->facts ? fact_row (w, number) :
        review_row (w, number, story));
  }
}

/* ------------------------------------------------------------------ */
/* Excel and CSV.                                                       */

static gboolean
xlsx_failed (lxw_error rc, const gchar * path, GError ** error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", path,
      lxw_strerror (rc));
  return FALSE;
}

static void
xlsx_cells (lxw_worksheet * ws, const Table * t, lxw_format * text,
    lxw_format * number)
{
  for (guint r = 0; r < t->rows->len; r++) {
    GPtrArray *row = t->rows->pdata[r];

    for (guint c = 0; c < t->n_columns; c++) {
      const gchar *v = row->pdata[c];

      /* a string cell is never a formula, whatever its first character */
      if (t->columns[c].number && *v)
        worksheet_write_number (ws, r + 2, c, g_ascii_strtod (v, NULL),
            number);
      else
        worksheet_write_string (ws, r + 2, c, v, text);
    }
  }
}

/**
 * cc_export_write_xlsx:
 *
 * Writes @kind's table of @works to @path: the heading on the first row,
 * the columns' names on the second, a work on each row after.
 */
gboolean
cc_export_write_xlsx (CcServer * server, const CcTableKind * kind,
    GPtrArray * works, const gchar * path, GError ** error)
{
  lxw_workbook_options opts = {.tmpdir = server->tmp_dir };
  lxw_workbook *wb = workbook_new_opt (path, &opts);
  g_auto (Table) t = { 0 };
  lxw_worksheet *ws;
  lxw_format *title, *head, *text, *number;

  if (wb == NULL)
    return xlsx_failed (LXW_ERROR_CREATING_XLSX_FILE, path, error);
  table_init (&t, kind, works);
  ws = workbook_add_worksheet (wb, NULL);
  title = workbook_add_format (wb);
  format_set_bold (title);
  format_set_font_size (title, 16);
  format_set_align (title, LXW_ALIGN_CENTER);
  head = workbook_add_format (wb);
  format_set_bold (head);
  format_set_border (head, LXW_BORDER_THIN);
  format_set_align (head, LXW_ALIGN_CENTER);
  text = workbook_add_format (wb);
  format_set_border (text, LXW_BORDER_THIN);
  format_set_text_wrap (text);
  number = workbook_add_format (wb);
  format_set_border (number, LXW_BORDER_THIN);
  worksheet_merge_range (ws, 0, 0, 0, t.n_columns - 1, kind->title, title);
  for (guint c = 0; c < t.n_columns; c++) {
    worksheet_set_column (ws, c, c, t.columns[c].width, NULL);
    worksheet_write_string (ws, 1, c, t.columns[c].heading, head);
  }
  xlsx_cells (ws, &t, text, number);
  {
    lxw_error rc = workbook_close (wb);

    return rc == LXW_NO_ERROR ? TRUE : xlsx_failed (rc, path, error);
  }
}

/* One CSV cell: text that a spreadsheet would take for a formula gets a
 * ' in front; quoted when it holds a comma, a quote or a line break. */
static void
csv_cell (GString * out, const gchar * v, gboolean number)
{
  gboolean quote = strpbrk (v, ",\"\r\n") != NULL;

  if (quote)
    g_string_append_c (out, '"');
  if (!number && *v && strchr ("=+-@\t\r", *v))
    g_string_append_c (out, '\'');
  for (const gchar * p = v; *p; p++) {
    if (*p == '"')
      g_string_append_c (out, '"');
    g_string_append_c (out, *p);
  }
  if (quote)
    g_string_append_c (out, '"');
}

static gchar *
table_csv (const Table * t, gsize * len)
{
  GString *out = g_string_new ("\xef\xbb\xbf");

  for (guint c = 0; c < t->n_columns; c++) {
    if (c > 0)
      g_string_append_c (out, ',');
    csv_cell (out, t->columns[c].heading, FALSE);
  }
  g_string_append (out, "\r\n");
  for (guint r = 0; r < t->rows->len; r++) {
    GPtrArray *row = t->rows->pdata[r];

    for (guint c = 0; c < t->n_columns; c++) {
      if (c > 0)
        g_string_append_c (out, ',');
      csv_cell (out, row->pdata[c], t->columns[c].number);
    }
    g_string_append (out, "\r\n");
  }
  *len = out->len;
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ */
/* Answers.                                                             */

/**
 * cc_export_tmp_path:
 *
 * A new empty file in DATA/tmp/ for the caller to fill, answer and remove.
 */
gchar *
cc_export_tmp_path (CcServer * server, const gchar * suffix, GError ** error)
{
  g_autofree gchar *path = g_strdup_printf ("%s/export-XXXXXX%s",
      server->tmp_dir, suffix);
  gint fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0600);

  if (fd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s",
        path, g_strerror (errno));
    return NULL;
  }
  close (fd);
  return g_steal_pointer (&path);
}

/* Content-Disposition with the file's name in UTF-8 (RFC 6266), and an
 * ASCII one for clients that know no better. */
void
cc_export_attachment (SoupServerMessage * msg, const gchar * ascii,
    const gchar * name)
{
  g_autofree gchar *escaped = g_uri_escape_string (name, NULL, FALSE);
  g_autofree gchar *value = g_strdup_printf ("attachment; filename=\"%s\"; "
      "filename*=UTF-8''%s", ascii, escaped);

  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Content-Disposition", value);
}

/* The unit the query's `unit` names, of @units; answers 400 or 404 and
 * returns FALSE when there is none (a unit @auth may not see is none). */
static gboolean
query_unit (SoupServerMessage * msg, GHashTable * query, GPtrArray * units,
    const CcAuth * auth, const CcUnit ** unit)
{
  const gchar *text = query ? g_hash_table_lookup (query, "unit") : NULL;
  gint64 id = 0;

  *unit = NULL;
  if (text == NULL)
    return TRUE;
  if (!cc_http_parse_size (text, &id)) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_query",
        "unit takes a unit's id");
    return FALSE;
  }
  for (guint i = 0; i < units->len; i++) {
    const CcUnit *u = units->pdata[i];

    if (u->id == id && cc_auth_sees_unit (auth, id))
      *unit = u;
  }
  if (*unit == NULL)
    cc_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "no such unit");
  return *unit != NULL;
}

static void
reply_table (CcServer * server, SoupServerMessage * msg,
    const CcTableKind * kind, gboolean xlsx, GPtrArray * works,
    const CcRound * round)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *path = NULL, *data = NULL, *ascii = NULL, *name = NULL;
  gsize len = 0;

  if (xlsx) {
    path = cc_export_tmp_path (server, ".xlsx", &err);
    if (path == NULL || !cc_export_write_xlsx (server, kind, works, path,
            &err) || !g_file_get_contents (path, &data, &len, &err)) {
      if (path)
        g_unlink (path);
      cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
          "%s", err->message);
      return;
    }
    g_unlink (path);
  } else {
    g_auto (Table) t = { 0 };

    table_init (&t, kind, works);
    data = table_csv (&t, &len);
  }
  ascii = g_strdup_printf ("%s-round-%d.%s", kind->slug, round->number,
      xlsx ? "xlsx" : "csv");
  name = g_strdup_printf ("%s-第%d轮.%s", kind->file, round->number,
      xlsx ? "xlsx" : "csv");
  cc_export_attachment (msg, ascii, name);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Cache-Control", "no-store");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, xlsx ? XLSX_TYPE :
      "text/csv; charset=utf-8", SOUP_MEMORY_TAKE, g_steal_pointer (&data),
      len);
}

/* The table the route's @name asks for (SLUG.xlsx, SLUG.csv), or NULL. */
static const CcTableKind *
table_named (const gchar * name, gboolean * xlsx)
{
  for (guint i = 0; i < G_N_ELEMENTS (cc_export_tables); i++) {
    const gchar *slug = cc_export_tables[i].slug;

    if (!g_str_has_prefix (name, slug))
      continue;
    if (strcmp (name + strlen (slug), ".xlsx") == 0 ||
        strcmp (name + strlen (slug), ".csv") == 0) {
      *xlsx = strcmp (name + strlen (slug), ".xlsx") == 0;
      return &cc_export_tables[i];
    }
  }
  return NULL;
}

/* GET /api/exports/NAME */
static void
route_exports (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  CcServer *server = data;
  const gchar *name = path + strlen ("/api/exports/");
  gboolean pack, xlsx = FALSE;
  const CcTableKind *kind = NULL;
  g_autoptr (CcAuth) auth = NULL;
  g_autoptr (CcRound) round = NULL;
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) units = NULL, works = NULL;
  const CcUnit *unit = NULL;

  pack = g_str_has_prefix (path, "/api/exports/") && !strcmp (name, "pack");
  if (!pack && (!g_str_has_prefix (path, "/api/exports/") ||
          (kind = table_named (name, &xlsx)) == NULL)) {
    cc_http_not_found (msg);
    return;
  }
  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET) {
    cc_http_method_not_allowed (msg, "GET");
    return;
  }
  auth = cc_auth_request (server, msg);
  if (auth == NULL || (!pack && !cc_review_require_reviewer (msg, auth)) ||
      !cc_review_query_round (server, msg, query, &round))
    return;
  units = cc_store_unit_list (server->store, &err);
  if (units == NULL) {
    cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "%s",
        err->message);
    return;
  }
  if (!query_unit (msg, query, units, auth, &unit))
    return;
  if (pack && unit == NULL) {
    cc_http_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_query",
        "pack needs unit=ID");
    return;
  }
  if (pack) {
    cc_pack_serve (server, msg, round, unit, units);
    return;
  }
  works = cc_export_works (server, units, round->number, unit ? unit->id : 0,
      &err);
  if (works == NULL)
    cc_http_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "%s",
        err->message);
  else
    reply_table (server, msg, kind, xlsx, works, round);
}

/* At stop: the packs being written are given up, and waited for. */
void
cc_export_stop (CcServer * server)
{
  if (server->exports_cancellable)
    g_cancellable_cancel (server->exports_cancellable);
  while (server->exports_pending > 0)
    g_main_context_iteration (NULL, TRUE);
}

void
cc_export_add_routes (CcServer * server)
{
  cc_server_add_route (server, "/api/exports", route_exports);
}
