/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Captions: the parser on every format and encoding schools send, the cue
 * checks, retiming for cuts, Chinese line breaking, and captionburn under
 * GstHarness (text appears exactly while its cue is on, nowhere else).
 */
#include <string.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "testmedia.h"
#include "cccaptions.h"

#define MS (G_GUINT64_CONSTANT (1000000))

static void
teardown (void)
{
  cc_test_cleanup ();
}

static gchar *
sample_path (const gchar * name)
{
  const gchar *dir = g_getenv ("CAMPUSCUT_SAMPLES");

  fail_unless (dir != NULL, "CAMPUSCUT_SAMPLES is not set");
  return g_build_filename (dir, name, NULL);
}

static CcCaptionTrack *
parse_ok (const gchar * data, gssize len)
{
  GError *err = NULL;
  CcCaptionTrack *t = cc_caption_track_parse (data, len < 0 ? strlen (data) :
      (gsize) len, &err);

  fail_unless (t != NULL, "%s", err ? err->message : "");
  return t;
}

static CcCaptionCue *
cue (CcCaptionTrack * t, guint i)
{
  return g_ptr_array_index (t->cues, i);
}

/* tests/data/story.srt: a student's 3.5-minute story, as a school would
 * send it (some cues on two lines, some lines longer than one caption
 * line holds). */
GST_START_TEST (test_sample_srt)
{
  gchar *path = sample_path ("story.srt");
  GError *err = NULL;
  CcCaptionTrack *t = cc_caption_track_load (path, &err);
  GPtrArray *w;

  fail_unless (t != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (t->format, CC_CAPTION_SRT);
  fail_unless_equals_string (t->encoding, "UTF-8");
  fail_unless_equals_int (t->cues->len, 26);
  fail_unless_equals_uint64 (cue (t, 0)->start, 1000 * MS);
  fail_unless_equals_uint64 (cue (t, 0)->end, 7000 * MS);
  fail_unless_equals_string (cue (t, 0)->text,
      "大家好，我是铁道车辆专业一年级的学生。");
  fail_unless_equals_int (cue (t, 1)->line, 6);
  fail_unless_equals_string (cue (t, 1)->text,
      "今天想给大家讲讲我的学姐，\n一位在动车所里给列车“看病”的姑娘。");
  fail_unless_equals_uint64 (cue (t, 25)->end, 207600 * MS);
  /* The benchmark burns it as realistic captions: readable speed, no
   * overlaps, all inside its 210 s source. */
  w = cc_caption_track_check (t, 210 * GST_SECOND, CC_CAPTION_MAX_CPS);
  fail_unless_equals_int (w->len, 0);
  g_ptr_array_unref (w);
  cc_caption_track_free (t);
  g_free (path);
}

GST_END_TEST;

/* The same captions in every encoding Windows and Mac editors write. */
GST_START_TEST (test_encodings)
{
  gchar *path = sample_path ("story.srt"), *utf8;
  gsize len;
  CcCaptionTrack *ref;
  struct {
    const gchar *iconv;
    const gchar *bom;
    gsize bom_len;
    const gchar *expect;
  } cases[] = {
    {"GB18030", "", 0, "GB18030"},
    {"UTF-16LE", "\xff\xfe", 2, "UTF-16LE"},
    {"UTF-16BE", "\xfe\xff", 2, "UTF-16BE"},
    {"UTF-8", "\xef\xbb\xbf", 3, "UTF-8 (BOM)"},
  };

  fail_unless (g_file_get_contents (path, &utf8, &len, NULL));
  ref = parse_ok (utf8, (gssize) len);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gsize n = 0;
    gchar *enc = g_convert (utf8, (gssize) len, cases[i].iconv, "UTF-8", NULL,
        &n, NULL);
    GString *file = g_string_new_len (cases[i].bom, (gssize) cases[i].bom_len);
    CcCaptionTrack *t;

    g_string_append_len (file, enc, (gssize) n);
    t = parse_ok (file->str, (gssize) file->len);
    fail_unless_equals_string (t->encoding, cases[i].expect);
    fail_unless_equals_int (t->cues->len, ref->cues->len);
    for (guint k = 0; k < t->cues->len; k++) {
      fail_unless_equals_string (cue (t, k)->text, cue (ref, k)->text);
      fail_unless_equals_uint64 (cue (t, k)->start, cue (ref, k)->start);
    }
    cc_caption_track_free (t);
    g_string_free (file, TRUE);
    g_free (enc);
  }
  cc_caption_track_free (ref);
  g_free (utf8);
  g_free (path);
}

GST_END_TEST;

/* Traditional Chinese from Taiwan or Hong Kong editors, Big5, CRLF. */
GST_START_TEST (test_big5)
{
  const gchar *text = "1\r\n00:00:01,000 --> 00:00:03,000\r\n"
      "我們學校的師傅說，技術要一點一點練出來。\r\n\r\n"
      "2\r\n00:00:04,000 --> 00:00:06,000\r\n這就是職業教育的意義。\r\n";
  gsize n;
  gchar *big5 = g_convert (text, -1, "BIG5", "UTF-8", NULL, &n, NULL);
  CcCaptionTrack *t = parse_ok (big5, (gssize) n);

  fail_unless_equals_string (t->encoding, "Big5");
  fail_unless_equals_int (t->cues->len, 2);
  fail_unless_equals_string (cue (t, 0)->text,
      "我們學校的師傅說，技術要一點一點練出來。");
  fail_unless_equals_string (cue (t, 1)->text, "這就是職業教育的意義。");
  cc_caption_track_free (t);
  g_free (big5);
}

GST_END_TEST;

/* Too small for typefinding, no index line, '.' for ',', tags. */
GST_START_TEST (test_tiny_and_sloppy_srt)
{
  CcCaptionTrack *t = parse_ok ("00:00:01.5 --> 00:00:02,250\n<i>好</i>\n",
      -1);

  fail_unless_equals_int (t->format, CC_CAPTION_SRT);
  fail_unless_equals_int (t->cues->len, 1);
  fail_unless_equals_uint64 (cue (t, 0)->start, 1500 * MS);
  fail_unless_equals_uint64 (cue (t, 0)->end, 2250 * MS);
  fail_unless_equals_string (cue (t, 0)->text, "好");
  cc_caption_track_free (t);

  t = parse_ok ("1\n00:00:01,000 --> 00:00:02,000\n{\\an8}顶部\n第二行\n", -1);
  fail_unless_equals_string (cue (t, 0)->text, "顶部\n第二行");
  cc_caption_track_free (t);
}

GST_END_TEST;

GST_START_TEST (test_webvtt)
{
  CcCaptionTrack *t = parse_ok ("WEBVTT - 实训车间\n\n"
      "NOTE 这是注释\n不显示\n\n"
      "STYLE\n::cue { color: yellow }\n\n"
      "intro\n00:01.000 --> 00:03.500 line:80% align:center\n"
      "<v 学生>大家好 &amp; 欢迎</v>\n\n"
      "01:00:00.000 --> 01:00:01.000\n<c.loud>最后</c>\n", -1);

  fail_unless_equals_int (t->format, CC_CAPTION_VTT);
  fail_unless_equals_int (t->cues->len, 2);
  fail_unless_equals_uint64 (cue (t, 0)->start, 1000 * MS);
  fail_unless_equals_uint64 (cue (t, 0)->end, 3500 * MS);
  fail_unless_equals_string (cue (t, 0)->text, "大家好 & 欢迎");
  fail_unless_equals_uint64 (cue (t, 1)->start, 3600000 * MS);
  fail_unless_equals_string (cue (t, 1)->text, "最后");
  cc_caption_track_free (t);
}

GST_END_TEST;

static const gchar *ass_file =
    "[Script Info]\nScriptType: v4.00+\nPlayResX: 1280\nPlayResY: 720\n\n"
    "[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, "
    "SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, "
    "StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
    "Alignment, MarginL, MarginR, MarginV, Encoding\n"
    "Style: Top,Noto Sans CJK SC,60,&H0000FFFF,&H000000FF,&H00000000,"
    "&H00000000,1,0,0,0,100,100,0,0,1,3,0,8,20,20,30,1\n\n"
    "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, "
    "MarginV, Effect, Text\n"
    "Dialogue: 0,0:00:01.00,0:00:03.50,Top,,0,0,0,,{\\b1}焊枪{\\b0}，就是笔\\N第二行\n"
    "Comment: 0,0:00:04.00,0:00:05.00,Top,,0,0,0,,不显示\n"
    "Dialogue: 1,0:00:04.00,0:00:06.00,Top,,0,0,0,,数字,逗号,都在\n";

GST_START_TEST (test_ass_events)
{
  CcCaptionTrack *t = parse_ok (ass_file, -1), *cut;
  gchar *script;
  CcSpan spans[] = { {2 * GST_SECOND, 5 * GST_SECOND} };

  fail_unless_equals_int (t->format, CC_CAPTION_ASS);
  fail_unless_equals_int (t->cues->len, 2);
  fail_unless_equals_string (cue (t, 0)->text, "焊枪，就是笔\n第二行");
  fail_unless_equals_string (cue (t, 1)->text, "数字,逗号,都在");
  fail_unless_equals_uint64 (cue (t, 0)->end, 3500 * MS);

  /* Retimed events keep their style and overrides. */
  cut = cc_caption_track_retime (t, spans, 1);
  script = cc_caption_track_to_ass (cut);
  fail_unless (strstr (script, "Dialogue: 0,0:00:00.00,0:00:01.50,Top,,0,0,0,,"
          "{\\b1}焊枪{\\b0}，就是笔\\N第二行") != NULL, "%s", script);
  fail_unless (strstr (script, "Dialogue: 1,0:00:02.00,0:00:03.00,Top,,0,0,0,,"
          "数字,逗号,都在") != NULL, "%s", script);
  fail_unless (strstr (script, "[V4+ Styles]") < strstr (script, "[Events]"));
  g_free (script);
  cc_caption_track_free (cut);
  cc_caption_track_free (t);
}

GST_END_TEST;

GST_START_TEST (test_bad_files)
{
  GError *err = NULL;
  const gchar undecodable[] = "1\n00:00:01,000 --> 00:00:02,000\n\xff\xfe\xff"
      "\x80\n";

  fail_if (cc_caption_track_parse (undecodable, sizeof (undecodable) - 1,
          &err));
  fail_unless (g_error_matches (err, CC_CAPTION_ERROR,
          CC_CAPTION_ERROR_ENCODING));
  fail_unless (strstr (err->message, "line 3") != NULL, "%s", err->message);
  g_clear_error (&err);
  {
    /* a second [Events] whose Format lacks Start and End (the first's
     * columns must not carry over: found by fuzzing, it read past the
     * fields) */
    const gchar two_events[] = "[Script Info]\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Text\n"
        "Dialogue: 0,0:00:01.00,0:00:02.00,Default,一\n\n[Events]\n"
        "Format: Layer, Text\nDialogue: 0,0:00:03.00\n";

    fail_if (cc_caption_track_parse (two_events, sizeof (two_events) - 1,
            &err));
    fail_unless (g_error_matches (err, CC_CAPTION_ERROR,
            CC_CAPTION_ERROR_SYNTAX));
    fail_unless (strstr (err->message, "line 8") != NULL, "%s",
        err->message);
  }
  g_clear_error (&err);

  fail_if (cc_caption_track_parse ("会议纪要\n请按时提交。\n", 28, &err));
  fail_unless (g_error_matches (err, CC_CAPTION_ERROR,
          CC_CAPTION_ERROR_FORMAT), "%s", err->message);
  g_clear_error (&err);

  fail_if (cc_caption_track_parse ("1\n00:00:01,000 --> 00:00:02,000\n好\n\n"
          "2\n00:00:99,000 --> 00:00:03,000\n坏\n", 60, &err));
  fail_unless (g_error_matches (err, CC_CAPTION_ERROR,
          CC_CAPTION_ERROR_SYNTAX));
  fail_unless (strstr (err->message, "line 6") != NULL, "%s", err->message);
  g_clear_error (&err);

  fail_if (cc_caption_track_parse ("WEBVTT\n\n", 8, &err));
  fail_unless (g_error_matches (err, CC_CAPTION_ERROR, CC_CAPTION_ERROR_EMPTY));
  g_clear_error (&err);
}

GST_END_TEST;

static gboolean
has_warning (GPtrArray * w, const gchar * needle)
{
  for (guint i = 0; i < w->len; i++)
    if (strstr (g_ptr_array_index (w, i), needle))
      return TRUE;
  return FALSE;
}

GST_START_TEST (test_cue_checks)
{
  CcCaptionTrack *t = parse_ok ("1\n00:00:01,000 --> 00:00:04,000\n第一句\n\n"
      "2\n00:00:03,000 --> 00:00:05,000\n重叠的第二句\n\n"
      "3\n00:00:08,000 --> 00:00:07,000\n倒着的\n\n"
      "4\n00:00:09,000 --> 00:00:10,000\n"
      "这一句话在一秒钟之内说了二十多个字根本来不及读完\n\n"
      "5\n00:00:30,000 --> 00:00:32,000\n视频结束以后\n", -1);
  GPtrArray *w = cc_caption_track_check (t, 20 * GST_SECOND, 10.0);

  fail_unless (has_warning (w, "line 6 overlaps the cue at line 2"));
  fail_unless (has_warning (w, "cue 3 (line 10) ends before it starts"));
  fail_unless (has_warning (w, "cue 4 (line 14) has 24 characters in 1.0 s"));
  fail_unless (has_warning (w, "cue 5 (line 18) starts at 00:00:30,000, after "
          "the video ends"));
  fail_unless_equals_int (w->len, 4);
  g_ptr_array_unref (w);
  cc_caption_track_free (t);
}

GST_END_TEST;

GST_START_TEST (test_retime_for_cut)
{
  CcCaptionTrack *t = parse_ok ("1\n00:00:01,000 --> 00:00:04,000\n甲\n\n"
      "2\n00:00:10,000 --> 00:00:12,000\n乙\n\n"
      "3\n00:00:20,000 --> 00:00:25,000\n丙\n", -1);
  /* keep 2-11 s and 22-30 s */
  CcSpan spans[] = { {2 * GST_SECOND, 11 * GST_SECOND},
  {22 * GST_SECOND, 30 * GST_SECOND}
  };
  CcCaptionTrack *c = cc_caption_track_retime (t, spans, 2);

  fail_unless_equals_int (c->cues->len, 3);
  fail_unless_equals_string (cue (c, 0)->text, "甲");
  fail_unless_equals_uint64 (cue (c, 0)->start, 0);
  fail_unless_equals_uint64 (cue (c, 0)->end, 2 * GST_SECOND);
  fail_unless_equals_uint64 (cue (c, 1)->start, 8 * GST_SECOND);
  fail_unless_equals_uint64 (cue (c, 1)->end, 9 * GST_SECOND);
  fail_unless_equals_uint64 (cue (c, 2)->start, 9 * GST_SECOND);
  fail_unless_equals_uint64 (cue (c, 2)->end, 12 * GST_SECOND);
  cc_caption_track_free (c);
  cc_caption_track_free (t);
}

GST_END_TEST;

static gint
break_text (const gchar * text, gdouble max)
{
  glong n;
  gunichar *chars = g_utf8_to_ucs4_fast (text, -1, &n);
  gdouble *widths = g_new (gdouble, n);
  gint brk;

  for (glong i = 0; i < n; i++)
    widths[i] = 1.0;
  brk = cc_caption_break (chars, widths, (guint) n, max);
  g_free (chars);
  g_free (widths);
  return brk;
}

GST_START_TEST (test_chinese_line_breaking)
{
  glong n;
  gunichar *chars;

  /* fits: no break */
  fail_unless_equals_int (break_text ("我们的学长", 10), 0);
  /* a natural pause wins over the exact middle */
  fail_unless_equals_int (break_text ("今天我想讲一讲我的学长，一位从我们学校走出来的焊接工匠。",
          18), 12);
  /* never start a line with a closing mark: break moves off the comma */
  for (guint max = 6; max <= 10; max++) {
    gint brk = break_text ("一二三四五，六七八九十。", max);
    chars = g_utf8_to_ucs4_fast ("一二三四五，六七八九十。", -1, &n);
    fail_unless (brk > 0);
    fail_if (cc_caption_no_line_start (chars[brk]), "line starts with a "
        "closing mark at max %u", max);
    g_free (chars);
  }
  /* never end a line with an opening mark */
  {
    gint brk = break_text ("他说《大国工匠》真好看啊", 7);
    chars = g_utf8_to_ucs4_fast ("他说《大国工匠》真好看啊", -1, &n);
    fail_unless (brk > 0);
    fail_if (cc_caption_no_line_end (chars[brk - 1]));
    fail_if (cc_caption_no_line_start (chars[brk]));
    g_free (chars);
  }
  /* too long for two lines */
  fail_unless_equals_int (break_text ("一二三四五六七八九十一二三四五六七八九十", 8),
      -1);
}

GST_END_TEST;

/* captionburn under a harness --------------------------------------------- */

static gchar *
write_file (const gchar * name, const gchar * text)
{
  gchar *path = cc_test_path (name);
  fail_unless (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static GstBuffer *
frame_at (GstClockTime pts)
{
  gsize size = 320 * 180 * 3 / 2;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);

  gst_buffer_memset (buf, 0, 128, size);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = 40 * GST_MSECOND;
  return buf;
}

/* Luma pixels that differ from 128 in rows [y0, y1). */
static guint
changed_rows (GstBuffer * buf, gint y0, gint y1)
{
  GstMapInfo map;
  guint n = 0;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (gint y = y0; y < y1; y++)
    for (gint x = 0; x < 320; x++)
      n += map.data[y * 320 + x] != 128;
  gst_buffer_unmap (buf, &map);
  return n;
}

static GstHarness *
burn_harness (const gchar * location)
{
  GstElement *burn = gst_element_factory_make ("captionburn", NULL);
  GstHarness *h;

  /* the file is read when the harness starts the element */
  g_object_set (burn, "location", location, NULL);
  h = gst_harness_new_with_element (burn, "sink", "src");
  gst_object_unref (burn);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=I420,width=320,"
      "height=180,framerate=25/1");
  return h;
}

GST_START_TEST (test_burn_only_while_cue_is_on)
{
  gchar *srt = write_file ("a.srt", "1\n00:00:01,000 --> 00:00:02,000\n"
      "大家好\n");
  GstHarness *h = burn_harness (srt);

  for (guint i = 0; i < 75; i++) {
    GstClockTime pts = i * 40 * GST_MSECOND;
    GstBuffer *out = gst_harness_push_and_pull (h, frame_at (pts));
    gboolean on = pts >= GST_SECOND && pts < 2 * GST_SECOND;
    guint bottom = changed_rows (out, 110, 180);

    /* text only in the bottom part, only while the cue is on */
    fail_unless_equals_int (changed_rows (out, 0, 110), 0);
    if (on)
      fail_unless (bottom > 200, "frame %u: no caption (%u px)", i, bottom);
    else
      fail_unless (bottom == 0, "frame %u: caption off-cue (%u px)", i,
          bottom);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (srt);
}

GST_END_TEST;

/* Timestamps starting at 10 s (segment start 10 s): the cue at 1 s shows
 * at 11 s. */
GST_START_TEST (test_burn_follows_stream_time)
{
  gchar *srt = write_file ("b.srt", "1\n00:00:01,000 --> 00:00:02,000\n好\n");
  GstHarness *h = burn_harness (srt);
  GstSegment seg;
  GstBuffer *out;

  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = seg.position = 10 * GST_SECOND;
  gst_harness_push_event (h, gst_event_new_segment (&seg));
  out = gst_harness_push_and_pull (h, frame_at (10 * GST_SECOND + GST_SECOND /
          2));
  fail_unless_equals_int (changed_rows (out, 0, 180), 0);
  gst_buffer_unref (out);
  out = gst_harness_push_and_pull (h, frame_at (11 * GST_SECOND +
          GST_SECOND / 2));
  fail_unless (changed_rows (out, 110, 180) > 0);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (srt);
}

GST_END_TEST;

static const GstStructure *
captions_message (GstBus * bus, GstMessage ** keep)
{
  GstMessage *m;

  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (m, "campuscut-captions")) {
      *keep = m;
      return gst_message_get_structure (m);
    }
    gst_message_unref (m);
  }
  return NULL;
}

/* The analysis message: format, encoding, warnings, missing glyphs. */
GST_START_TEST (test_analysis_message)
{
  gchar *srt = write_file ("c.srt", "1\n00:00:01,000 --> 00:00:04,000\n"
      "第一句😀\n\n2\n00:00:03,000 --> 00:00:05,000\n第二句\n");
  GstElement *burn = gst_element_factory_make ("captionburn", NULL);
  GstBus *bus = gst_bus_new ();
  const GstStructure *s;
  const GValue *warnings;
  GstMessage *m = NULL, *warn;

  gst_element_set_bus (burn, bus);
  g_object_set (burn, "location", srt, NULL);
  fail_unless (gst_element_set_state (burn, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  s = captions_message (bus, &m);
  fail_unless (s != NULL);
  fail_unless_equals_string (gst_structure_get_string (s, "format"), "SRT");
  fail_unless_equals_string (gst_structure_get_string (s, "encoding"),
      "UTF-8");
  fail_unless_equals_string (gst_structure_get_string (s, "missing-glyphs"),
      "😀");
  warnings = gst_structure_get_value (s, "warnings");
  fail_unless_equals_int (gst_value_list_get_size (warnings), 1);
  fail_unless (strstr (g_value_get_string (gst_value_list_get_value (warnings,
                  0)), "overlaps") != NULL);
  warn = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (warn != NULL, "no warning for the missing glyph");
  gst_message_unref (warn);
  gst_message_unref (m);
  gst_element_set_state (burn, GST_STATE_NULL);
  gst_element_set_bus (burn, NULL);
  gst_object_unref (bus);
  gst_object_unref (burn);
  g_free (srt);
}

GST_END_TEST;

/* An undecodable file fails at start and names the file and the line. */
GST_START_TEST (test_bad_file_error)
{
  gchar *path = cc_test_path ("bad.srt");
  GstElement *burn = gst_element_factory_make ("captionburn", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *m;
  GError *err = NULL;

  g_file_set_contents (path, "1\n00:00:01,000 --> 00:00:02,000\n\xff\x80\n",
      -1, NULL);
  gst_element_set_bus (burn, bus);
  g_object_set (burn, "location", path, NULL);
  fail_unless_equals_int (gst_element_set_state (burn, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, NULL);
  fail_unless (strstr (err->message, path) && strstr (err->message, "line 3"),
      "%s", err->message);
  g_error_free (err);
  gst_message_unref (m);
  gst_element_set_state (burn, GST_STATE_NULL);
  gst_element_set_bus (burn, NULL);
  gst_object_unref (bus);
  gst_object_unref (burn);
  g_free (path);
}

GST_END_TEST;

/* An ASS file keeps its styling: the top-aligned style draws at the top. */
GST_START_TEST (test_ass_style_honoured)
{
  gchar *ass = write_file ("d.ass", ass_file);
  GstHarness *h = burn_harness (ass);
  GstBuffer *out = gst_harness_push_and_pull (h, frame_at (2 * GST_SECOND));

  fail_unless (changed_rows (out, 0, 60) > 100, "nothing at the top");
  fail_unless_equals_int (changed_rows (out, 120, 180), 0);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (ass);
}

GST_END_TEST;

static Suite *
captions_suite (void)
{
  Suite *s = suite_create ("captions");
  TCase *parse = tcase_create ("parse");
  TCase *burn = tcase_create ("burn");

  suite_add_tcase (s, parse);
  tcase_add_test (parse, test_sample_srt);
  tcase_add_test (parse, test_encodings);
  tcase_add_test (parse, test_big5);
  tcase_add_test (parse, test_tiny_and_sloppy_srt);
  tcase_add_test (parse, test_webvtt);
  tcase_add_test (parse, test_ass_events);
  tcase_add_test (parse, test_bad_files);
  tcase_add_test (parse, test_cue_checks);
  tcase_add_test (parse, test_retime_for_cut);
  tcase_add_test (parse, test_chinese_line_breaking);

  suite_add_tcase (s, burn);
  tcase_add_checked_fixture (burn, NULL, teardown);
  tcase_add_test (burn, test_burn_only_while_cue_is_on);
  tcase_add_test (burn, test_burn_follows_stream_time);
  tcase_add_test (burn, test_analysis_message);
  tcase_add_test (burn, test_bad_file_error);
  tcase_add_test (burn, test_ass_style_honoured);
  return s;
}

GST_CHECK_MAIN (captions);
