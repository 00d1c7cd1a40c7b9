/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the GLib-only pieces: category rules, quality presets,
 * output geometry, H.264 levels and the MP4 box walk.
 */
#include <string.h>
#include <glib/gstdio.h>

#include "testmedia.h"
#include "ccpolicy.h"
#include "ccmp4.h"
#include "ccchecks.h"

#define S(x) ((guint64) ((x) * GST_SECOND + 0.5))

GST_START_TEST (test_category_rules)
{
  guint64 lo, hi;
  CcCategory c;

  cc_category_limits (CC_CATEGORY_STORY, &lo, &hi);
  fail_unless (lo == S (180) && hi == S (300));
  cc_category_limits (CC_CATEGORY_CRAFTSMAN, &lo, &hi);
  fail_unless (lo == S (180) && hi == S (300));
  cc_category_limits (CC_CATEGORY_OVERVIEW, &lo, &hi);
  fail_unless (lo == 0 && hi == S (300));
  cc_category_limits (CC_CATEGORY_PLATFORM, &lo, &hi);
  fail_unless (lo == 0 && hi == S (60));
  cc_category_limits (CC_CATEGORY_NONE, &lo, &hi);
  fail_unless (lo == 0 && hi == 0);

  fail_unless (cc_category_from_string ("Craftsman", &c));
  fail_unless_equals_int (c, CC_CATEGORY_CRAFTSMAN);
  fail_unless_equals_string (cc_category_to_string (c), "craftsman");
  fail_if (cc_category_from_string ("documentary", &c));
  fail_if (cc_category_from_string (NULL, &c));
}

GST_END_TEST;

/* Declared durations may miss a limit by the tolerance (50 ms), no more. */
GST_START_TEST (test_duration_verdicts)
{
  guint64 lo = S (180), hi = S (300);

  fail_unless_equals_int (cc_duration_check (S (179.96), lo, hi),
      CC_DURATION_OK);
  fail_unless_equals_int (cc_duration_check (S (179.9), lo, hi),
      CC_DURATION_TOO_SHORT);
  fail_unless_equals_int (cc_duration_check (S (300.04), lo, hi),
      CC_DURATION_OK);
  fail_unless_equals_int (cc_duration_check (S (300.1), lo, hi),
      CC_DURATION_TOO_LONG);
  fail_unless_equals_int (cc_duration_check (S (3600), 0, 0),
      CC_DURATION_OK);
  fail_unless_equals_uint64 (cc_category_max (CC_CATEGORY_PLATFORM), S (60));
}

GST_END_TEST;

GST_START_TEST (test_manifest_types)
{
  fail_unless (cc_is_manifest_type ("application/x-hls"));
  fail_unless (cc_is_manifest_type ("application/dash+xml"));
  fail_unless (cc_is_manifest_type ("audio/x-mpegurl"));
  fail_if (cc_is_manifest_type ("video/quicktime"));
  fail_if (cc_is_manifest_type (NULL));
}

GST_END_TEST;

GST_START_TEST (test_quality_presets)
{
  CcQuality q;
  const CcQualityPreset *p;

  fail_unless (cc_quality_from_string ("draft", &q));
  p = cc_quality_preset (q);
  fail_unless_equals_int (p->long_edge, 640);
  fail_unless_equals_string (p->speed_preset, "ultrafast");
  fail_unless (cc_quality_from_string ("standard", &q));
  p = cc_quality_preset (q);
  fail_unless_equals_int (p->long_edge, 1920);
  fail_unless_equals_int (p->short_edge, 1080);
  fail_unless (p->bframes > 0, "B-frames must be on");
  fail_unless_equals_int (p->vbv_max_kbps, 8000);
  fail_if (cc_quality_from_string ("best", &q));
}

GST_END_TEST;

GST_START_TEST (test_output_frame_size)
{
  guint w, h;

  cc_output_frame_size (1920, 1080, 1920, 1080, &w, &h);
  fail_unless (w == 1920 && h == 1080);
  /* a rotated phone video */
  cc_output_frame_size (1080, 1920, 1920, 1080, &w, &h);
  fail_unless (w == 1080 && h == 1920);
  /* square sources count as landscape */
  cc_output_frame_size (500, 500, 1920, 1080, &w, &h);
  fail_unless (w == 1920 && h == 1080);
  /* odd preset sizes never reach the encoder */
  cc_output_frame_size (100, 50, 641, 361, &w, &h);
  fail_unless (w == 640 && h == 360);
}

GST_END_TEST;

GST_START_TEST (test_h264_levels)
{
  fail_unless_equals_string (cc_h264_min_level (1920, 1080, 25, 1), "4");
  fail_unless_equals_string (cc_h264_min_level (1920, 1080, 60, 1), "4.2");
  fail_unless_equals_string (cc_h264_min_level (1080, 1920, 25, 1), "4");
  fail_unless_equals_string (cc_h264_min_level (640, 360, 25, 1), "3");
  fail_unless_equals_string (cc_h264_min_level (1280, 720, 30, 1), "3.1");
}

GST_END_TEST;

static gchar *
write_boxes (const gchar * name, const guint8 * data, gsize len)
{
  gchar *path = cc_test_path (name);
  fail_unless (g_file_set_contents (path, (const gchar *) data, len, NULL));
  return path;
}

GST_START_TEST (test_mp4_box_walk)
{
  /* ftyp(16) moov(8) mdat(12) */
  static const guint8 faststart[] = {
    0, 0, 0, 16, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 0, 0,
    0, 0, 0, 8, 'm', 'o', 'o', 'v',
    0, 0, 0, 12, 'm', 'd', 'a', 't', 1, 2, 3, 4,
  };
  /* ftyp(8) mdat with a 64-bit size(20) moov(8) */
  static const guint8 moovlast[] = {
    0, 0, 0, 8, 'f', 't', 'y', 'p',
    0, 0, 0, 1, 'm', 'd', 'a', 't', 0, 0, 0, 0, 0, 0, 0, 20, 9, 9, 9, 9,
    0, 0, 0, 8, 'm', 'o', 'o', 'v',
  };
  /* a box claiming more bytes than the file has */
  static const guint8 broken[] = {
    0, 0, 0, 8, 'f', 't', 'y', 'p', 0, 0, 0x10, 0, 'm', 'o', 'o', 'v',
  };
  gint64 moov, mdat;
  gchar *p;
  GError *err = NULL;

  p = write_boxes ("a.mp4", faststart, sizeof (faststart));
  fail_unless (cc_mp4_top_level_offsets (p, &moov, &mdat, NULL));
  fail_unless (moov == 16 && mdat == 24);
  g_free (p);

  p = write_boxes ("b.mp4", moovlast, sizeof (moovlast));
  fail_unless (cc_mp4_top_level_offsets (p, &moov, &mdat, NULL));
  fail_unless (mdat == 8 && moov == 28, "mdat %" G_GINT64_FORMAT " moov %"
      G_GINT64_FORMAT, mdat, moov);
  g_free (p);

  p = write_boxes ("c.mp4", broken, sizeof (broken));
  fail_if (cc_mp4_top_level_offsets (p, &moov, &mdat, &err));
  fail_unless (err != NULL && strstr (err->message, "moov") != NULL);
  g_clear_error (&err);
  g_free (p);

  fail_if (cc_mp4_top_level_offsets ("/nonexistent/x.mp4", &moov, &mdat,
          NULL));
}

GST_END_TEST;

static Suite *
policy_suite (void)
{
  Suite *s = suite_create ("policy");
  TCase *tc = tcase_create ("policy");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, NULL, cc_test_cleanup);
  tcase_add_test (tc, test_category_rules);
  tcase_add_test (tc, test_duration_verdicts);
  tcase_add_test (tc, test_manifest_types);
  tcase_add_test (tc, test_quality_presets);
  tcase_add_test (tc, test_output_frame_size);
  tcase_add_test (tc, test_h264_levels);
  tcase_add_test (tc, test_mp4_box_walk);
  return s;
}

GST_CHECK_MAIN (policy);
