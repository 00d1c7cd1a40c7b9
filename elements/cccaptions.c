/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Caption files: decoding, parsing, checks, line breaking and retiming.
 * Formats and encodings are recognised from the bytes: a 3-line SRT file is
 * too small for GStreamer's typefinder, and a .srt from a Windows editor is
 * as likely GBK as UTF-8.
 */
#include <string.h>

#include "cccaptions.h"

G_DEFINE_QUARK (cc-caption-error-quark, cc_caption_error);

#define NS_PER_MS G_GUINT64_CONSTANT (1000000)

/* Decoding -------------------------------------------------------------- */

static guint
line_of_offset (const gchar * data, gsize offset)
{
  guint line = 1;
  for (gsize i = 0; i < offset; i++)
    if (data[i] == '\n')
      line++;
  return line;
}

/* Share of the Han characters in text that the encoding lists among its
 * most common ones: GB2312 level 1 for GB18030, Big5 level 1 for Big5.
 * Text read with the wrong one of the two scores low. */
static gdouble
common_han_share (const gchar * text, const gchar * encoding, guint8 lead_lo,
    guint8 lead_hi)
{
  guint han = 0, common = 0;
  const gchar *narrow = g_str_equal (encoding, "GB18030") ? "GB2312" : "BIG5";

  for (const gchar * p = text; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    gchar utf8[8] = { 0 };
    gchar *enc;
    gsize n = 0;

    if (g_unichar_get_script (c) != G_UNICODE_SCRIPT_HAN)
      continue;
    han++;
    g_unichar_to_utf8 (c, utf8);
    enc = g_convert (utf8, -1, narrow, "UTF-8", NULL, &n, NULL);
    if (enc && n == 2 && (guint8) enc[0] >= lead_lo &&
        (guint8) enc[0] <= lead_hi)
      common++;
    g_free (enc);
  }
  return han ? common / (gdouble) han : 0.0;
}

gchar *
cc_caption_decode (const gchar * data, gsize len, gchar ** encoding,
    GError ** error)
{
  const guint8 *b = (const guint8 *) data;
  const gchar *end = NULL;
  gchar *gb, *big5, *out = NULL;
  gdouble gb_score, big5_score;

  if (len >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) {
    if (!g_utf8_validate (data + 3, len - 3, &end))
      goto bad_utf8_bom;
    *encoding = g_strdup ("UTF-8 (BOM)");
    return g_strndup (data + 3, len - 3);
  }
  if (len >= 2 && ((b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe &&
              b[1] == 0xff))) {
    gboolean le = b[0] == 0xff;
    out = g_convert (data + 2, len - 2, "UTF-8", le ? "UTF-16LE" : "UTF-16BE",
        NULL, NULL, NULL);
    if (out == NULL)
      goto bad_utf16;
    *encoding = g_strdup (le ? "UTF-16LE" : "UTF-16BE");
    return out;
  }
  if (g_utf8_validate (data, len, &end)) {
    *encoding = g_strdup ("UTF-8");
    return g_strndup (data, len);
  }

  gb = g_convert (data, len, "UTF-8", "GB18030", NULL, NULL, NULL);
  big5 = g_convert (data, len, "UTF-8", "BIG5", NULL, NULL, NULL);
  gb_score = gb ? common_han_share (gb, "GB18030", 0xb0, 0xd7) : -1;
  big5_score = big5 ? common_han_share (big5, "BIG5", 0xa4, 0xc6) : -1;
  if (gb && gb_score >= big5_score) {
    *encoding = g_strdup ("GB18030");
    out = gb;
    g_free (big5);
  } else if (big5) {
    *encoding = g_strdup ("Big5");
    out = big5;
    g_free (gb);
  }
  if (out)
    return out;

  /* Nothing fits: point at the first byte that is not UTF-8. */
  g_set_error (error, CC_CAPTION_ERROR, CC_CAPTION_ERROR_ENCODING,
      "line %u is not UTF-8, UTF-16, GB18030/GBK or Big5 text; save the "
      "file as UTF-8", line_of_offset (data, (gsize) (end - data)));
  return NULL;

bad_utf8_bom:
  g_set_error (error, CC_CAPTION_ERROR, CC_CAPTION_ERROR_ENCODING,
      "line %u is not valid UTF-8 although the file starts with a UTF-8 "
      "byte-order mark; save the file as UTF-8 again",
      line_of_offset (data, (gsize) (end - data)));
  return NULL;
bad_utf16:
  g_set_error (error, CC_CAPTION_ERROR, CC_CAPTION_ERROR_ENCODING,
      "the file starts with a UTF-16 byte-order mark but is not valid "
      "UTF-16; save the file as UTF-8");
  return NULL;
}

/* Timestamps ------------------------------------------------------------ */

/* Parses [[h:]m:]s[.,]fraction; ASS uses centiseconds, the others
 * milliseconds. Advances *p past the timestamp. */
static gboolean
parse_time (const gchar ** p, guint64 * ns)
{
  const gchar *s = *p;
  guint64 fields[3] = { 0 };
  guint n = 0;
  guint64 frac = 0, scale = 1;

  while (*s == ' ' || *s == '\t')
    s++;
  while (n < 3) {
    gchar *e;
    guint64 v;

    if (!g_ascii_isdigit (*s))
      return FALSE;
    v = g_ascii_strtoull (s, &e, 10);
    fields[n++] = v;
    s = e;
    if (*s != ':')
      break;
    s++;
  }
  if (*s == ',' || *s == '.') {
    s++;
    while (g_ascii_isdigit (*s) && scale < 1000) {
      frac = frac * 10 + (guint64) (*s - '0');
      scale *= 10;
      s++;
    }
    while (g_ascii_isdigit (*s))
      s++;
  }
  if (n < 2)
    return FALSE;               /* a bare number is not a timestamp */
  {
    guint64 h = n == 3 ? fields[0] : 0;
    guint64 m = n == 3 ? fields[1] : fields[0];
    guint64 sec = n == 3 ? fields[2] : fields[1];

    if (m >= 60 || sec >= 60)
      return FALSE;
    *ns = ((h * 3600 + m * 60 + sec) * 1000 + frac * 1000 / scale) * NS_PER_MS;
  }
  *p = s;
  return TRUE;
}

static gboolean
parse_timing_line (const gchar * line, guint64 * start, guint64 * end)
{
  const gchar *p = line;

  if (!parse_time (&p, start))
    return FALSE;
  while (*p == ' ' || *p == '\t')
    p++;
  if (!g_str_has_prefix (p, "-->"))
    return FALSE;
  p += 3;
  return parse_time (&p, end);  /* VTT settings may follow */
}

/* Text clean-up --------------------------------------------------------- */

/* Removes <tags> and {\ass overrides}; decodes the few HTML entities
 * WebVTT allows; trims every line. */
static gchar *
clean_text (const gchar * text, gboolean entities)
{
  GString *out = g_string_new (NULL);
  gchar **lines;

  for (const gchar * p = text; *p;) {
    if (*p == '<') {
      const gchar *close = strchr (p, '>');
      if (close) {
        p = close + 1;
        continue;
      }
    } else if (*p == '{' && p[1] == '\\') {
      const gchar *close = strchr (p, '}');
      if (close) {
        p = close + 1;
        continue;
      }
    } else if (entities && *p == '&') {
      static const struct {
        const gchar *name, *text;
      } ents[] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&nbsp;", " "},
        {"&lrm;", ""}, {"&rlm;", ""},
      };
      gboolean done = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (ents) && !done; i++)
        if (g_str_has_prefix (p, ents[i].name)) {
          g_string_append (out, ents[i].text);
          p += strlen (ents[i].name);
          done = TRUE;
        }
      if (done)
        continue;
    }
    g_string_append_c (out, *p);
    p++;
  }

  lines = g_strsplit (out->str, "\n", -1);
  g_string_truncate (out, 0);
  for (guint i = 0; lines[i]; i++) {
    g_strstrip (lines[i]);
    if (*lines[i] == '\0')
      continue;
    if (out->len)
      g_string_append_c (out, '\n');
    g_string_append (out, lines[i]);
  }
  g_strfreev (lines);
  return g_string_free (out, FALSE);
}

static CcCaptionCue *
cue_new (guint64 start, guint64 end, gchar * text, guint line)
{
  CcCaptionCue *c = g_new0 (CcCaptionCue, 1);

  c->start = start;
  c->end = end;
  c->text = text;
  c->line = line;
  return c;
}

static void
cue_free (gpointer data)
{
  CcCaptionCue *c = data;

  g_free (c->text);
  g_free (c->ass_head);
  g_free (c->ass_tail);
  g_free (c);
}

static CcCaptionCue *
cue_copy (const CcCaptionCue * c)
{
  CcCaptionCue *n = cue_new (c->start, c->end, g_strdup (c->text), c->line);

  n->ass_head = g_strdup (c->ass_head);
  n->ass_tail = g_strdup (c->ass_tail);
  return n;
}

/* SRT and WebVTT -------------------------------------------------------- */

/* Both are blocks separated by blank lines with a "start --> end" line;
 * SRT puts a number before it, WebVTT an optional identifier, and WebVTT
 * has header, NOTE, STYLE and REGION blocks without one. */
static gboolean
parse_blocks (gchar ** lines, gboolean vtt, GPtrArray * cues, GError ** error)
{
  guint i = 0, n = g_strv_length (lines);

  if (vtt)                      /* the WEBVTT header block */
    while (i < n && *g_strstrip (lines[i]) != '\0')
      i++;

  while (i < n) {
    guint64 start, end;
    GString *text;
    guint timing;

    while (i < n && *g_strstrip (lines[i]) == '\0')
      i++;
    if (i >= n)
      break;
    /* the timing line is the block's first or second line */
    timing = i;
    if (strstr (lines[i], "-->") == NULL && i + 1 < n &&
        strstr (lines[i + 1], "-->") != NULL)
      timing = i + 1;
    if (strstr (lines[timing], "-->") == NULL) {
      /* NOTE/STYLE/REGION, or stray text: skip the block */
      while (i < n && *g_strstrip (lines[i]) != '\0')
        i++;
      continue;
    }
    if (!parse_timing_line (lines[timing], &start, &end)) {
      g_set_error (error, CC_CAPTION_ERROR, CC_CAPTION_ERROR_SYNTAX,
          "line %u: cannot read the timing '%s'; it should look like "
          "00:01:02,500 --> 00:01:05,000", timing + 1, lines[timing]);
      return FALSE;
    }
    text = g_string_new (NULL);
    for (i = timing + 1; i < n && *g_strstrip (lines[i]) != '\0'; i++) {
      if (text->len)
        g_string_append_c (text, '\n');
      g_string_append (text, lines[i]);
    }
    g_ptr_array_add (cues, cue_new (start, end, clean_text (text->str, vtt),
            timing + 1));
    g_string_free (text, TRUE);
  }
  return TRUE;
}

/* ASS / SSA ------------------------------------------------------------- */

static gchar *
ass_plain_text (const gchar * text)
{
  GString *s = g_string_new (NULL);
  gchar *clean;

  for (const gchar * p = text; *p; p++) {
    if (*p == '\\' && (p[1] == 'N' || p[1] == 'n')) {
      g_string_append_c (s, '\n');
      p++;
    } else if (*p == '\\' && p[1] == 'h') {
      g_string_append_c (s, ' ');
      p++;
    } else if (*p == '{') {
      const gchar *close = strchr (p, '}');
      if (close == NULL)
        break;
      p = close;
    } else {
      g_string_append_c (s, *p);
    }
  }
  clean = clean_text (s->str, FALSE);
  g_string_free (s, TRUE);
  return clean;
}

static gboolean
parse_ass (gchar ** lines, CcCaptionTrack * track, GError ** error)
{
  GString *other = g_string_new (NULL), *events = g_string_new (NULL);
  gint start_idx = -1, end_idx = -1, text_idx = -1, n_fields = 0;
  gboolean in_events = FALSE;

  for (guint i = 0; lines[i]; i++) {
    gchar *line = lines[i];
    gchar *trimmed = g_strstrip (g_strdup (line));

    if (trimmed[0] == '[') {
      in_events = g_ascii_strcasecmp (trimmed, "[Events]") == 0;
      if (!in_events) {
        g_string_append (other, line);
        g_string_append_c (other, '\n');
      }
    } else if (in_events && g_str_has_prefix (trimmed, "Format:")) {
      gchar **f = g_strsplit (trimmed + 7, ",", -1);
      n_fields = (gint) g_strv_length (f);
      /* a second Format line (another [Events]) starts afresh */
      start_idx = end_idx = text_idx = -1;
      for (gint k = 0; k < n_fields; k++) {
        g_strstrip (f[k]);
        if (g_ascii_strcasecmp (f[k], "Start") == 0)
          start_idx = k;
        else if (g_ascii_strcasecmp (f[k], "End") == 0)
          end_idx = k;
        else if (g_ascii_strcasecmp (f[k], "Text") == 0)
          text_idx = k;
      }
      g_strfreev (f);
      g_string_append (events, line);
      g_string_append_c (events, '\n');
      if (start_idx < 0 || end_idx != start_idx + 1 || text_idx != n_fields - 1) {
        g_set_error (error, CC_CAPTION_ERROR, CC_CAPTION_ERROR_SYNTAX,
            "line %u: the [Events] Format line must list Start, End and, "
            "last, Text", i + 1);
        g_free (trimmed);
        goto fail;
      }
    } else if (in_events && g_str_has_prefix (trimmed, "Dialogue:")) {
      gchar **f;
      guint64 start, end;
      const gchar *p;
      CcCaptionCue *cue;

      if (n_fields == 0) {
        g_set_error (error, CC_CAPTION_ERROR, CC_CAPTION_ERROR_SYNTAX,
            "line %u: Dialogue before the [Events] Format line", i + 1);
        g_free (trimmed);
        goto fail;
      }
      f = g_strsplit (trimmed + 9, ",", n_fields);
      if ((gint) g_strv_length (f) != n_fields || (p = f[start_idx],
              !parse_time (&p, &start)) || (p = f[end_idx],
              !parse_time (&p, &end))) {
        g_set_error (error, CC_CAPTION_ERROR, CC_CAPTION_ERROR_SYNTAX,
            "line %u: cannot read this Dialogue line's fields or times",
            i + 1);
        g_strfreev (f);
        g_free (trimmed);
        goto fail;
      }
      cue = cue_new (start, end, ass_plain_text (f[text_idx]), i + 1);
      {
        gchar *save = f[start_idx];
        f[start_idx] = NULL;
        cue->ass_head = g_strjoinv (",", f);
        f[start_idx] = save;
        cue->ass_tail = g_strjoinv (",", f + end_idx + 1);
      }
      g_strstrip (cue->ass_head);
      g_ptr_array_add (track->cues, cue);
      g_strfreev (f);
    } else if (in_events) {
      g_string_append (events, line);
      g_string_append_c (events, '\n');
    } else {
      g_string_append (other, line);
      g_string_append_c (other, '\n');
    }
    g_free (trimmed);
  }
  if (n_fields == 0) {
    g_set_error (error, CC_CAPTION_ERROR, CC_CAPTION_ERROR_SYNTAX,
        "the ASS file has no [Events] section with a Format line");
    goto fail;
  }
  /* Events last, so that appended Dialogue lines land in it. */
  g_string_append (other, "[Events]\n");
  g_string_append (other, events->str);
  track->ass_header = g_string_free (other, FALSE);
  g_string_free (events, TRUE);
  return TRUE;

fail:
  g_string_free (other, TRUE);
  g_string_free (events, TRUE);
  return FALSE;
}

/* Tracks ---------------------------------------------------------------- */

const gchar *
cc_caption_format_name (CcCaptionFormat format)
{
  switch (format) {
    case CC_CAPTION_VTT:
      return "WebVTT";
    case CC_CAPTION_ASS:
      return "ASS";
    default:
      return "SRT";
  }
}

void
cc_caption_track_free (CcCaptionTrack * track)
{
  if (track == NULL)
    return;
  g_ptr_array_unref (track->cues);
  g_free (track->encoding);
  g_free (track->ass_header);
  g_free (track);
}

static gboolean
has_srt_timing (gchar ** lines)
{
  for (guint i = 0; lines[i]; i++) {
    guint64 a, b;
    if (strstr (lines[i], "-->") && parse_timing_line (lines[i], &a, &b))
      return TRUE;
  }
  return FALSE;
}

CcCaptionTrack *
cc_caption_track_parse (const gchar * data, gsize len, GError ** error)
{
  gchar *encoding = NULL, *text, **lines;
  CcCaptionTrack *track;
  gboolean ok;
  const gchar *first;

  text = cc_caption_decode (data, len, &encoding, error);
  if (text == NULL)
    return NULL;
  /* One line ending: CRLF and CR from Windows and old Mac editors. */
  {
    GString *s = g_string_new (NULL);
    for (const gchar * p = text; *p; p++) {
      if (*p == '\r') {
        g_string_append_c (s, '\n');
        if (p[1] == '\n')
          p++;
      } else {
        g_string_append_c (s, *p);
      }
    }
    g_free (text);
    text = g_string_free (s, FALSE);
  }

  track = g_new0 (CcCaptionTrack, 1);
  track->encoding = encoding;
  track->cues = g_ptr_array_new_with_free_func (cue_free);
  lines = g_strsplit (text, "\n", -1);

  first = text;
  while (g_ascii_isspace (*first))
    first++;
  if (g_str_has_prefix (first, "WEBVTT")) {
    track->format = CC_CAPTION_VTT;
    ok = parse_blocks (lines, TRUE, track->cues, error);
  } else if (strstr (text, "[Script Info]") || strstr (text, "[Events]") ||
      strstr (text, "[V4+ Styles]") || strstr (text, "[V4 Styles]")) {
    track->format = CC_CAPTION_ASS;
    ok = parse_ass (lines, track, error);
  } else if (has_srt_timing (lines)) {
    track->format = CC_CAPTION_SRT;
    ok = parse_blocks (lines, FALSE, track->cues, error);
  } else {
    g_set_error (error, CC_CAPTION_ERROR, CC_CAPTION_ERROR_FORMAT,
        "not a caption file: no SRT or WebVTT timing line (00:00:01,000 --> "
        "00:00:03,000) and no ASS [Events] section");
    ok = FALSE;
  }
  g_strfreev (lines);
  g_free (text);

  if (ok && track->cues->len == 0) {
    g_set_error (error, CC_CAPTION_ERROR, CC_CAPTION_ERROR_EMPTY,
        "the %s file holds no caption", cc_caption_format_name
        (track->format));
    ok = FALSE;
  }
  if (!ok) {
    cc_caption_track_free (track);
    return NULL;
  }
  return track;
}

CcCaptionTrack *
cc_caption_track_load (const gchar * path, GError ** error)
{
  gchar *data = NULL;
  gsize len = 0;
  CcCaptionTrack *track;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  track = cc_caption_track_parse (data, len, error);
  g_free (data);
  return track;
}

static void
append_ass_time (GString * s, guint64 ns)
{
  guint64 cs = (ns + 5 * NS_PER_MS) / (10 * NS_PER_MS);

  g_string_append_printf (s, "%" G_GUINT64_FORMAT ":%02u:%02u.%02u",
      cs / 360000, (guint) (cs / 6000 % 60), (guint) (cs / 100 % 60),
      (guint) (cs % 100));
}

gchar *
cc_caption_track_to_ass (const CcCaptionTrack * track)
{
  GString *s;

  if (track->format != CC_CAPTION_ASS)
    return NULL;
  s = g_string_new (track->ass_header);
  for (guint i = 0; i < track->cues->len; i++) {
    const CcCaptionCue *c = g_ptr_array_index (track->cues, i);

    g_string_append_printf (s, "Dialogue: %s%s", c->ass_head,
        *c->ass_head ? "," : "");
    append_ass_time (s, c->start);
    g_string_append_c (s, ',');
    append_ass_time (s, c->end);
    g_string_append_printf (s, ",%s\n", c->ass_tail);
  }
  return g_string_free (s, FALSE);
}

void
cc_caption_track_active (const CcCaptionTrack * track, guint64 t, GArray * out)
{
  for (guint i = 0; i < track->cues->len; i++) {
    const CcCaptionCue *c = g_ptr_array_index (track->cues, i);
    if (c->start <= t && t < c->end)
      g_array_append_val (out, i);
  }
}

/* Checks ---------------------------------------------------------------- */

static gchar *
time_text (guint64 ns)
{
  guint64 ms = ns / NS_PER_MS;
  return g_strdup_printf ("%02u:%02u:%02u,%03u", (guint) (ms / 3600000),
      (guint) (ms / 60000 % 60), (guint) (ms / 1000 % 60), (guint) (ms % 1000));
}

static guint
reading_chars (const gchar * text)
{
  guint n = 0;
  for (const gchar * p = text; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    if (g_unichar_isalnum (c))
      n++;
  }
  return n;
}

static gint
by_start (gconstpointer a, gconstpointer b)
{
  const CcCaptionCue *x = *(CcCaptionCue * const *) a;
  const CcCaptionCue *y = *(CcCaptionCue * const *) b;
  return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

GPtrArray *
cc_caption_track_check (const CcCaptionTrack * track, guint64 video_end,
    gdouble max_cps)
{
  GPtrArray *w = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *sorted = g_ptr_array_new ();

  for (guint i = 0; i < track->cues->len; i++) {
    CcCaptionCue *c = g_ptr_array_index (track->cues, i);
    gchar *a = time_text (c->start), *b = time_text (c->end);

    g_ptr_array_add (sorted, c);
    if (c->end <= c->start) {
      g_ptr_array_add (w, g_strdup_printf ("cue %u (line %u) ends before it "
              "starts (%s --> %s); it is never shown", i + 1, c->line, a, b));
    } else {
      gdouble secs = (c->end - c->start) / 1e9;
      guint chars = reading_chars (c->text);

      if (max_cps > 0 && chars / secs > max_cps)
        g_ptr_array_add (w, g_strdup_printf ("cue %u (line %u) has %u "
                "characters in %.1f s (%.1f per second): too fast to read",
                i + 1, c->line, chars, secs, chars / secs));
    }
    if (video_end && c->start >= video_end)
      g_ptr_array_add (w, g_strdup_printf ("cue %u (line %u) starts at %s, "
              "after the video ends; it is never shown", i + 1, c->line, a));
    else if (video_end && c->end > video_end)
      g_ptr_array_add (w, g_strdup_printf ("cue %u (line %u) runs past the "
              "end of the video (%s)", i + 1, c->line, b));
    g_free (a);
    g_free (b);
  }

  g_ptr_array_sort (sorted, by_start);
  for (guint i = 1; i < sorted->len; i++) {
    CcCaptionCue *prev = g_ptr_array_index (sorted, i - 1);
    CcCaptionCue *c = g_ptr_array_index (sorted, i);

    if (c->end > c->start && prev->end > prev->start && c->start < prev->end)
      g_ptr_array_add (w, g_strdup_printf ("the cue at line %u overlaps the "
              "cue at line %u; both are shown, one above the other",
              c->line, prev->line));
  }
  g_ptr_array_free (sorted, TRUE);
  return w;
}

/* Retiming -------------------------------------------------------------- */

CcCaptionTrack *
cc_caption_track_retime (const CcCaptionTrack * track, const CcSpan * spans,
    guint n_spans)
{
  CcCaptionTrack *out = g_new0 (CcCaptionTrack, 1);
  guint64 offset = 0;

  out->format = track->format;
  out->encoding = g_strdup (track->encoding);
  out->ass_header = g_strdup (track->ass_header);
  out->cues = g_ptr_array_new_with_free_func (cue_free);

  for (guint s = 0; s < n_spans; s++) {
    const CcSpan *sp = &spans[s];

    for (guint i = 0; sp->end > sp->start && i < track->cues->len; i++) {
      const CcCaptionCue *c = g_ptr_array_index (track->cues, i);
      guint64 a = MAX (c->start, sp->start), b = MIN (c->end, sp->end);
      CcCaptionCue *n;

      if (a >= b)
        continue;
      n = cue_copy (c);
      n->start = a - sp->start + offset;
      n->end = b - sp->start + offset;
      g_ptr_array_add (out->cues, n);
    }
    if (sp->end > sp->start)
      offset += sp->end - sp->start;
  }
  return out;
}

/* Line breaking --------------------------------------------------------- */

gboolean
cc_caption_no_line_start (gunichar c)
{
  static const gunichar closing[] = {
    0xff0c, 0x3002, 0x3001, 0xff1b, 0xff1a, 0xff1f, 0xff01, 0xff09, 0x300b,
    0x300d, 0x300f, 0x201d, 0x2019, 0x2026, 0x2014, 0x3011, 0x3015, 0xff5e,
    0x3009, 0xff3d, 0xff5d, 0x00b7, 0x30fb,
    ',', '.', ';', ':', '?', '!', ')', ']', '}', '%',
  };

  for (guint i = 0; i < G_N_ELEMENTS (closing); i++)
    if (closing[i] == c)
      return TRUE;
  return FALSE;
}

gboolean
cc_caption_no_line_end (gunichar c)
{
  static const gunichar opening[] = {
    0xff08, 0x300a, 0x300c, 0x300e, 0x201c, 0x2018, 0x3010, 0x3014, 0x3008,
    0xff3b, 0xff5b, '(', '[', '{',
  };

  for (guint i = 0; i < G_N_ELEMENTS (opening); i++)
    if (opening[i] == c)
      return TRUE;
  return FALSE;
}

static gboolean
is_word_char (gunichar c)
{
  return c < CC_CAPTION_CJK_FIRST && g_unichar_isalnum (c);
}

gint
cc_caption_break (const gunichar * chars, const gdouble * widths, guint n,
    gdouble max_width)
{
  gdouble total = 0, w1 = 0, best_cost = G_MAXDOUBLE, pause_cost = G_MAXDOUBLE;
  gint best = -1, best_pause = -1;

  for (guint i = 0; i < n; i++)
    total += widths[i];
  if (total <= max_width)
    return 0;

  for (guint i = 1; i < n; i++) {
    gdouble first, second, cost;
    guint j = i;

    w1 += widths[i - 1];
    if (cc_caption_no_line_start (chars[i]) ||
        cc_caption_no_line_end (chars[i - 1]))
      continue;
    /* a space at the break belongs to neither line */
    first = w1 - (g_unichar_isspace (chars[i - 1]) ? widths[i - 1] : 0);
    second = total - w1;
    while (j < n && g_unichar_isspace (chars[j]))
      second -= widths[j++];
    if (first > max_width || second > max_width || j >= n)
      continue;
    cost = ABS (first - second);
    /* Chinese has no spaces between words: a break at a pause (after a
     * comma, a full stop, a space) never splits a word, so any fitting
     * one beats the best-balanced break elsewhere. */
    if (g_unichar_ispunct (chars[i - 1]) || g_unichar_isspace (chars[i - 1])) {
      if (cost < pause_cost) {
        pause_cost = cost;
        best_pause = (gint) i;
      }
      continue;
    }
    if (is_word_char (chars[i - 1]) && is_word_char (chars[i]))
      cost += 0.5 * max_width;    /* inside a Latin word or number */
    if (cost < best_cost) {
      best_cost = cost;
      best = (gint) i;
    }
  }
  return best_pause >= 0 ? best_pause : best;
}
