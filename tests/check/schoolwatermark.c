/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * schoolwatermark: where the logo lands, how opaque it is, that nothing
 * else in the frame changes, relative sizing, portrait safe areas, meta
 * instead of blending, frames held elsewhere copied into a recycled pool,
 * live property changes, errors, and that the school
 * name reads back as Chinese text (OCR).
 */
#include <string.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "testmedia.h"

static void
teardown (void)
{
  cc_test_cleanup ();
}

/* An opaque red square PNG, 100x100. */
static gchar *
make_red_logo (void)
{
  gchar *path = cc_test_path ("logo.png");
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 "
      "pattern=solid-color foreground-color=0xffff0000 ! video/x-raw,"
      "format=RGBA,width=100,height=100 ! pngenc ! filesink location=%s",
      path);

  cc_test_launch (desc);
  g_free (desc);
  return path;
}

/* The element itself (not a wrapping bin), so that stress threads can set
 * its properties; props are space-separated key=value pairs. */
static GstHarness *
watermark_harness (gint w, gint h, const gchar * props)
{
  gchar *caps = g_strdup_printf ("video/x-raw,format=I420,width=%d,"
      "height=%d,framerate=25/1,colorimetry=bt709", w, h);
  GstHarness *hh = gst_harness_new ("schoolwatermark");
  gchar **kv = g_strsplit (props, " ", -1);

  for (guint i = 0; kv[i]; i++) {
    gchar **pair = g_strsplit (kv[i], "=", 2);
    if (pair[0] && pair[1])
      gst_util_set_object_arg (G_OBJECT (hh->element), pair[0], pair[1]);
    g_strfreev (pair);
  }
  g_strfreev (kv);
  gst_harness_set_src_caps_str (hh, caps);
  g_free (caps);
  return hh;
}

static GstBuffer *
gray_frame (gint w, gint h)
{
  gsize size = (gsize) w * h * 3 / 2;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);

  gst_buffer_memset (buf, 0, 128, size);
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 25;
  return buf;
}

/* Bounding box of the luma pixels that differ from 128. */
static gboolean
changed_box (GstBuffer * buf, gint w, gint h, gint * x0, gint * y0, gint * x1,
    gint * y1)
{
  GstMapInfo map;
  gboolean any = FALSE;

  *x0 = *y0 = G_MAXINT;
  *x1 = *y1 = -1;
  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++)
      if (map.data[(gsize) y * w + x] != 128) {
        any = TRUE;
        *x0 = MIN (*x0, x);
        *y0 = MIN (*y0, y);
        *x1 = MAX (*x1, x + 1);
        *y1 = MAX (*y1, y + 1);
      }
  gst_buffer_unmap (buf, &map);
  return any;
}

GST_START_TEST (test_logo_position_and_opacity)
{
  gchar *logo = make_red_logo ();
  gchar *props = g_strdup_printf ("logo-location=%s corner=top-right "
      "margin=0.05 logo-height=0.2 opacity=0.5", logo);
  GstHarness *h = watermark_harness (640, 360, props);
  GstBuffer *out = gst_harness_push_and_pull (h, gray_frame (640, 360));
  GstMapInfo map;
  gint x0, y0, x1, y1;
  const guint8 *Y, *U, *V;

  /* 0.2 x 360 = 72 px square, 18 px from the top and right edges */
  fail_unless (changed_box (out, 640, 360, &x0, &y0, &x1, &y1));
  fail_unless (x0 == 550 && y0 == 18 && x1 == 622 && y1 == 90,
      "logo at %d,%d-%d,%d", x0, y0, x1, y1);

  gst_buffer_map (out, &map, GST_MAP_READ);
  Y = map.data;
  U = Y + 640 * 360;
  V = U + 320 * 180;
  /* Half red over gray: red is Y 63, U 102, V 240 in BT.709. */
  fail_unless (ABS (Y[54 * 640 + 586] - 95) <= 6, "Y %d", Y[54 * 640 + 586]);
  fail_unless (ABS (U[27 * 320 + 293] - 115) <= 6, "U %d", U[27 * 320 + 293]);
  fail_unless (ABS (V[27 * 320 + 293] - 184) <= 6, "V %d", V[27 * 320 + 293]);
  /* Chroma outside the logo's chroma rectangle is untouched. */
  for (gint y = 0; y < 180; y++)
    for (gint x = 0; x < 320; x++)
      if (x < 275 || x >= 311 || y < 9 || y >= 45) {
        fail_unless (U[y * 320 + x] == 128 && V[y * 320 + x] == 128,
            "chroma changed at %d,%d", x, y);
      }
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (props);
  g_free (logo);
}

GST_END_TEST;

/* The same settings on 640x360 and 1920x1080 give the same relative box. */
GST_START_TEST (test_relative_size)
{
  gchar *logo = make_red_logo ();
  gchar *props = g_strdup_printf ("logo-location=%s corner=bottom-left "
      "margin=0.04 logo-height=0.1", logo);
  gint sizes[][2] = { {640, 360}, {1920, 1080} };
  gint boxes[2][4];

  for (guint i = 0; i < 2; i++) {
    GstHarness *h = watermark_harness (sizes[i][0], sizes[i][1], props);
    GstBuffer *out = gst_harness_push_and_pull (h, gray_frame (sizes[i][0],
            sizes[i][1]));

    fail_unless (changed_box (out, sizes[i][0], sizes[i][1], &boxes[i][0],
            &boxes[i][1], &boxes[i][2], &boxes[i][3]));
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
  /* three times the frame, three times every coordinate (within a pixel
   * or two of rounding) */
  for (guint k = 0; k < 4; k++)
    fail_unless (ABS (boxes[1][k] - 3 * boxes[0][k]) <= 3,
        "coordinate %u: %d vs 3 x %d", k, boxes[1][k], boxes[0][k]);
  fail_unless (ABS (boxes[1][3] - (1080 - 43)) <= 2, "bottom at %d",
      boxes[1][3]);
  g_free (props);
  g_free (logo);
}

GST_END_TEST;

GST_START_TEST (test_platform_safe_portrait)
{
  gchar *logo = make_red_logo ();
  gchar *props = g_strdup_printf ("logo-location=%s corner=top-right "
      "margin=0.01 logo-height=0.05 platform-safe=true", logo);
  GstHarness *h = watermark_harness (360, 640, props);
  GstBuffer *out = gst_harness_push_and_pull (h, gray_frame (360, 640));
  gint x0, y0, x1, y1;

  fail_unless (changed_box (out, 360, 640, &x0, &y0, &x1, &y1));
  fail_unless (y0 >= 64, "inside the top band: y %d", y0);
  fail_unless (x1 <= 306, "inside the right band: x %d", x1);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (props);
  g_free (logo);
}

GST_END_TEST;

/* Downstream that composes overlays gets meta and untouched pixels. */
GST_START_TEST (test_meta_instead_of_blend)
{
  gchar *logo = make_red_logo ();
  gchar *props = g_strdup_printf ("logo-location=%s", logo);
  GstHarness *h = watermark_harness (640, 360, props);
  GstBuffer *out;
  GstVideoOverlayCompositionMeta *meta;
  gint x0, y0, x1, y1;

  gst_harness_add_propose_allocation_meta (h,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  out = gst_harness_push_and_pull (h, gray_frame (640, 360));
  meta = gst_buffer_get_video_overlay_composition_meta (out);
  fail_unless (meta != NULL, "no overlay meta");
  fail_unless_equals_int (gst_video_overlay_composition_n_rectangles
      (meta->overlay), 1);
  fail_if (changed_box (out, 640, 360, &x0, &y0, &x1, &y1),
      "pixels were blended as well");
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (props);
  g_free (logo);
}

GST_END_TEST;

/* A frame that something else still holds (videorate's last frame, the
 * other branch of a tee) is not drawn on: the logo goes onto a copy from
 * the element's own pool, which is recycled, and the held frame stays as it
 * was. A frame nobody else holds is drawn on in place. With overlay meta
 * the held frame does not get the meta. */
GST_START_TEST (test_shared_frames_copied_into_pool)
{
  gchar *logo = make_red_logo ();
  gchar *props = g_strdup_printf ("logo-location=%s corner=top-right "
      "margin=0.05 logo-height=0.2", logo);
  GstHarness *h = watermark_harness (640, 360, props);
  GstBuffer *in, *out;
  gpointer first_data = NULL;
  gint x0, y0, x1, y1;

  /* sole owner: in place */
  in = gray_frame (640, 360);
  out = gst_harness_push_and_pull (h, in);
  fail_unless (out == in, "a writable frame was copied");
  fail_unless (changed_box (out, 640, 360, &x0, &y0, &x1, &y1));
  gst_buffer_unref (out);

  /* held elsewhere: a pooled copy, the same memory every time */
  in = gray_frame (640, 360);
  GST_BUFFER_PTS (in) = 7 * GST_SECOND;
  GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_MARKER);
  for (gint i = 0; i < 10; i++) {
    GstMapInfo map;

    out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
    fail_unless (out != in);
    fail_unless (out->pool != NULL, "the copy is not from a pool");
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 7 * GST_SECOND);
    fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_MARKER));
    fail_unless (changed_box (out, 640, 360, &x0, &y0, &x1, &y1));
    fail_unless (x0 == 550 && y0 == 18 && x1 == 622 && y1 == 90,
        "logo at %d,%d-%d,%d", x0, y0, x1, y1);
    fail_if (changed_box (in, 640, 360, &x0, &y0, &x1, &y1),
        "the held frame was drawn on");
    gst_buffer_map (out, &map, GST_MAP_READ);
    if (i == 0)
      first_data = map.data;
    fail_unless (map.data == first_data, "copy %d not recycled", i);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  gst_buffer_unref (in);
  gst_harness_teardown (h);

  /* overlay meta: on the copy only, no pixels drawn */
  h = watermark_harness (640, 360, props);
  gst_harness_add_propose_allocation_meta (h,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_buffer_unref (gst_harness_push_and_pull (h, gray_frame (640, 360)));
  in = gray_frame (640, 360);
  out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
  fail_unless (out != in);
  fail_unless (gst_buffer_get_video_overlay_composition_meta (out) != NULL);
  fail_if (gst_buffer_get_video_overlay_composition_meta (in) != NULL);
  fail_if (changed_box (out, 640, 360, &x0, &y0, &x1, &y1));
  fail_if (changed_box (in, 640, 360, &x0, &y0, &x1, &y1));
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_harness_teardown (h);
  g_free (props);
  g_free (logo);
}

GST_END_TEST;

static GValue *
corner_value (const gchar * nick)
{
  static GValue v = G_VALUE_INIT;
  GParamSpec *ps;

  if (!G_IS_VALUE (&v)) {
    GstElement *e = gst_element_factory_make ("schoolwatermark", NULL);
    ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "corner");
    g_value_init (&v, ps->value_type);
    gst_object_unref (e);
  }
  g_value_set_enum (&v, g_enum_get_value_by_nick (g_type_class_peek
          (G_VALUE_TYPE (&v)), nick)->value);
  return &v;
}

/* Properties changed from other threads while frames flow. */
GST_START_TEST (test_live_changes_stress)
{
  gchar *logo = make_red_logo ();
  gchar *props = g_strdup_printf ("logo-location=%s text=学校", logo);
  GstHarness *h = watermark_harness (320, 180, props);
  GValue opacity = G_VALUE_INIT, text = G_VALUE_INIT;
  GstHarnessThread *t1, *t2, *t3;
  GstBuffer *out;
  gint x0, y0, x1, y1;

  g_value_init (&opacity, G_TYPE_DOUBLE);
  g_value_set_double (&opacity, 0.3);
  g_value_init (&text, G_TYPE_STRING);
  g_value_set_string (&text, "技能成才职业技术学院");
  t1 = gst_harness_stress_property_start_full (h, "opacity", &opacity, 1000);
  t2 = gst_harness_stress_property_start_full (h, "text", &text, 1000);
  t3 = gst_harness_stress_property_start_full (h, "corner",
      corner_value ("bottom-right"), 1000);
  for (guint i = 0; i < 200; i++) {
    out = gst_harness_push_and_pull (h, gray_frame (320, 180));
    fail_unless (out != NULL);
    gst_buffer_unref (out);
  }
  gst_harness_stress_thread_stop (t1);
  gst_harness_stress_thread_stop (t2);
  gst_harness_stress_thread_stop (t3);

  /* Settled: the next frame shows the last values (bottom-right). */
  out = gst_harness_push_and_pull (h, gray_frame (320, 180));
  fail_unless (changed_box (out, 320, 180, &x0, &y0, &x1, &y1));
  fail_unless (x1 > 280 && y1 > 150, "not bottom-right: %d,%d", x1, y1);
  gst_buffer_unref (out);
  g_value_unset (&opacity);
  g_value_unset (&text);
  gst_harness_teardown (h);
  g_free (props);
  g_free (logo);
}

GST_END_TEST;

/* A missing logo fails at READY->PAUSED with an error naming the file,
 * before any frame flows. */
GST_START_TEST (test_missing_logo_error)
{
  GstElement *p = gst_parse_launch ("videotestsrc num-buffers=5 ! "
      "schoolwatermark logo-location=/nonexistent/emblem.png name=w ! "
      "fakesink name=s signal-handoffs=true", NULL);
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *msg;
  GError *err = NULL;
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "s");
  gint frames = 0;

  g_signal_connect_swapped (sink, "handoff", G_CALLBACK (g_atomic_int_inc),
      &frames);
  fail_unless_equals_int (gst_element_set_state (p, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (err->domain == GST_RESOURCE_ERROR);
  fail_unless (strstr (err->message, "/nonexistent/emblem.png") != NULL, "%s",
      err->message);
  fail_unless_equals_int (g_atomic_int_get (&frames), 0);
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (bus);
  gst_object_unref (p);
}

GST_END_TEST;

/* The school name reads back as the same Chinese text. */
GST_START_TEST (test_name_ocr)
{
  gchar *png = cc_test_path ("name.png");
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 pattern=black ! "
      "video/x-raw,width=1280,height=720 ! schoolwatermark "
      "text=技能成才职业技术学院 text-size=0.09 opacity=1.0 ! videoconvert ! "
      "pngenc ! filesink location=%s", png);
  const gchar *argv[] = { "tesseract", png, "stdout", "-l", "chi_sim",
    "--psm", "7", NULL
  };
  gchar *out = NULL, *err = NULL;
  GString *squeezed = g_string_new (NULL);
  gint status;

  cc_test_launch (desc);
  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, &err, &status, NULL),
      "tesseract missing: scripts/bootstrap.sh --with-tests installs it");
  for (const gchar * p = out; *p; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      g_string_append_unichar (squeezed, g_utf8_get_char (p));
  fail_unless (strstr (squeezed->str, "技能成才职业技术学院") != NULL,
      "OCR read '%s'", squeezed->str);
  g_string_free (squeezed, TRUE);
  g_free (out);
  g_free (err);
  g_free (desc);
  g_free (png);
}

GST_END_TEST;

static Suite *
schoolwatermark_suite (void)
{
  Suite *s = suite_create ("schoolwatermark");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, NULL, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_logo_position_and_opacity);
  tcase_add_test (tc, test_relative_size);
  tcase_add_test (tc, test_platform_safe_portrait);
  tcase_add_test (tc, test_meta_instead_of_blend);
  tcase_add_test (tc, test_shared_frames_copied_into_pool);
  tcase_add_test (tc, test_live_changes_stress);
  tcase_add_test (tc, test_missing_logo_error);
  tcase_add_test (tc, test_name_ocr);
  return s;
}

GST_CHECK_MAIN (schoolwatermark);
