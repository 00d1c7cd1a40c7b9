/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The overlay blender: on 8-bit 4:2:0 frames it must give what the generic
 * gst_video_overlay_composition_blend() gives on a BT.709 frame, touch no
 * pixel outside the overlay, clip at the frame's edges, honour global
 * alpha, use the frame's own matrix (the generic blend converts overlays
 * with BT.709 whatever the frame says; BT.601 red is not BT.709 red), treat
 * I420 and NV12 alike, and follow a composition that changes.
 */
#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include "ccoverlay.h"

#define W 64
#define H 48

/* A frame with a gradient, so that every pixel differs. */
static GstBuffer *
make_frame (GstVideoInfo * info, GstVideoFormat fmt, const gchar * colorimetry)
{
  GstBuffer *buf;
  GstVideoFrame f;

  gst_video_info_set_format (info, fmt, W, H);
  fail_unless (gst_video_colorimetry_from_string (&info->colorimetry,
          colorimetry));
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info), NULL);
  fail_unless (gst_video_frame_map (&f, info, buf, GST_MAP_WRITE));
  for (gint y = 0; y < H; y++)
    for (gint x = 0; x < W; x++)
      ((guint8 *) GST_VIDEO_FRAME_COMP_DATA (&f, 0))[y *
          GST_VIDEO_FRAME_COMP_STRIDE (&f, 0) + x] = 16 + (x * 3 + y * 2) % 200;
  for (gint c = 1; c < 3; c++)
    for (gint y = 0; y < H / 2; y++)
      for (gint x = 0; x < W / 2; x++)
        ((guint8 *) GST_VIDEO_FRAME_COMP_DATA (&f, c))[y *
            GST_VIDEO_FRAME_COMP_STRIDE (&f, c) +
            x * GST_VIDEO_FRAME_COMP_PSTRIDE (&f, c)] =
            (guint8) (64 + (x * 5 + y * c * 3) % 128);
  gst_video_frame_unmap (&f);
  return buf;
}

/* A premultiplied ARGB rectangle whose alpha and colour are constant over
 * 2x2 blocks (so that chroma subsampling cannot make two correct blenders
 * differ), with fully transparent, half and opaque parts. */
static GstVideoOverlayRectangle *
make_rect (gint x, gint y, guint w, guint h, gfloat global_alpha)
{
  GstBuffer *px = gst_buffer_new_allocate (NULL, w * h * 4, NULL);
  GstVideoOverlayRectangle *rect;
  GstMapInfo map;

  gst_buffer_map (px, &map, GST_MAP_WRITE);
  for (guint r = 0; r < h; r++) {
    for (guint c = 0; c < w; c++) {
      guint8 *p = map.data + (r * w + c) * 4;
      guint bx = c / 2, by = r / 2;
      guint a = (bx + by) % 3 == 0 ? 0 : (bx + by) % 3 == 1 ? 255 : 128;
      guint8 red = (guint8) (bx * 37), green = (guint8) (200 - by * 11),
          blue = (guint8) (90 + bx * by);

      p[0] = (guint8) (blue * a / 255);
      p[1] = (guint8) (green * a / 255);
      p[2] = (guint8) (red * a / 255);
      p[3] = (guint8) a;
    }
  }
  gst_buffer_unmap (px, &map);
  gst_buffer_add_video_meta (px, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, w, h);
  rect = gst_video_overlay_rectangle_new_raw (px, x, y, w, h,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  gst_buffer_unref (px);
  if (global_alpha < 1.0f)
    gst_video_overlay_rectangle_set_global_alpha (rect, global_alpha);
  return rect;
}

static GstVideoOverlayComposition *
make_comp (gfloat global_alpha)
{
  GstVideoOverlayRectangle *a = make_rect (6, 4, 20, 14, global_alpha);
  /* runs past the right and bottom edges: must be clipped */
  GstVideoOverlayRectangle *b = make_rect (W - 12, H - 8, 30, 30, 1.0f);
  GstVideoOverlayComposition *comp = gst_video_overlay_composition_new (a);

  gst_video_overlay_composition_add_rectangle (comp, b);
  gst_video_overlay_rectangle_unref (a);
  gst_video_overlay_rectangle_unref (b);
  return comp;
}

/* The largest difference between component comp of two frames, which may
 * be laid out differently (I420 and NV12): each is read through its own
 * info, planes, strides and pixel strides. */
static gint
max_comp_diff (GstVideoInfo * xinfo, GstBuffer * x, GstVideoInfo * yinfo,
    GstBuffer * y, gint comp)
{
  GstVideoFrame fx, fy;
  gint w = GST_VIDEO_INFO_COMP_WIDTH (xinfo, comp);
  gint h = GST_VIDEO_INFO_COMP_HEIGHT (xinfo, comp);
  gint worst = 0;

  fail_unless_equals_int (GST_VIDEO_INFO_COMP_WIDTH (yinfo, comp), w);
  fail_unless_equals_int (GST_VIDEO_INFO_COMP_HEIGHT (yinfo, comp), h);
  fail_unless (gst_video_frame_map (&fx, xinfo, x, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fy, yinfo, y, GST_MAP_READ));
  for (gint r = 0; r < h; r++)
    for (gint c = 0; c < w; c++) {
      gint a = ((guint8 *) GST_VIDEO_FRAME_COMP_DATA (&fx, comp))[r *
          GST_VIDEO_FRAME_COMP_STRIDE (&fx, comp) +
          c * GST_VIDEO_FRAME_COMP_PSTRIDE (&fx, comp)];
      gint b = ((guint8 *) GST_VIDEO_FRAME_COMP_DATA (&fy, comp))[r *
          GST_VIDEO_FRAME_COMP_STRIDE (&fy, comp) +
          c * GST_VIDEO_FRAME_COMP_PSTRIDE (&fy, comp)];
      worst = MAX (worst, ABS (a - b));
    }
  gst_video_frame_unmap (&fx);
  gst_video_frame_unmap (&fy);
  return worst;
}

/* Two frames of the same layout. */
static gint
max_plane_diff (GstVideoInfo * info, GstBuffer * x, GstBuffer * y, gint comp)
{
  return max_comp_diff (info, x, info, y, comp);
}

static guint8
pixel (GstVideoInfo * info, GstBuffer * buf, gint comp, gint x, gint y)
{
  GstVideoFrame f;
  guint8 v;

  gst_video_frame_map (&f, info, buf, GST_MAP_READ);
  v = ((guint8 *) GST_VIDEO_FRAME_COMP_DATA (&f, comp))[y *
      GST_VIDEO_FRAME_COMP_STRIDE (&f, comp) +
      x * GST_VIDEO_FRAME_COMP_PSTRIDE (&f, comp)];
  gst_video_frame_unmap (&f);
  return v;
}

static void
blend_fast (CcBlender * b, GstVideoInfo * info, GstBuffer * buf,
    GstVideoOverlayComposition * comp)
{
  GstVideoFrame f;

  fail_unless (gst_video_frame_map (&f, info, buf, GST_MAP_READWRITE));
  cc_overlay_apply (b, &f, comp, FALSE);
  gst_video_frame_unmap (&f);
}

static void
blend_generic (GstVideoInfo * info, GstBuffer * buf,
    GstVideoOverlayComposition * comp)
{
  GstVideoFrame f;

  fail_unless (gst_video_frame_map (&f, info, buf, GST_MAP_READWRITE));
  gst_video_overlay_composition_blend (comp, &f);
  gst_video_frame_unmap (&f);
}

GST_START_TEST (test_matches_generic_blend)
{
  for (gint i = 0; i < 2; i++) {
    gfloat global = i ? 0.6f : 1.0f;
    GstVideoInfo info;
    GstBuffer *orig = make_frame (&info, GST_VIDEO_FORMAT_I420, "bt709");
    GstBuffer *fast = gst_buffer_copy_deep (orig);
    GstBuffer *ref = gst_buffer_copy_deep (orig);
    GstVideoOverlayComposition *comp = make_comp (global);
    CcBlender b;

    cc_blender_init (&b);
    blend_fast (&b, &info, fast, comp);
    blend_generic (&info, ref, comp);
    /* the generic path rounds through 8-bit AYUV twice */
    fail_unless (max_plane_diff (&info, fast, ref, 0) <= 3, "luma differs by %d",
        max_plane_diff (&info, fast, ref, 0));
    fail_unless (max_plane_diff (&info, fast, ref, 1) <= 3);
    fail_unless (max_plane_diff (&info, fast, ref, 2) <= 3);
    /* and it changed something */
    fail_unless (max_plane_diff (&info, fast, orig, 0) > 50);
    /* outside both rectangles nothing moved */
    fail_unless_equals_int (pixel (&info, fast, 0, 2, 2),
        pixel (&info, orig, 0, 2, 2));
    fail_unless_equals_int (pixel (&info, fast, 0, 40, 30),
        pixel (&info, orig, 0, 40, 30));
    /* a transparent block inside the rectangle: untouched (block 0,0) */
    fail_unless_equals_int (pixel (&info, fast, 0, 6, 4),
        pixel (&info, orig, 0, 6, 4));
    cc_blender_clear (&b);
    gst_video_overlay_composition_unref (comp);
    gst_buffer_unref (orig);
    gst_buffer_unref (fast);
    gst_buffer_unref (ref);
  }
}

GST_END_TEST;

/* BT.601 frames get BT.601 colours: an opaque pure red block. */
GST_START_TEST (test_frame_matrix)
{
  GstVideoInfo info;
  GstBuffer *buf = make_frame (&info, GST_VIDEO_FORMAT_I420, "bt601");
  GstBuffer *px = gst_buffer_new_allocate (NULL, 8 * 8 * 4, NULL);
  GstVideoOverlayRectangle *rect;
  GstVideoOverlayComposition *comp;
  CcBlender b;

  gst_buffer_memset (px, 0, 0, 8 * 8 * 4);
  for (gint i = 0; i < 64; i++) {
    gst_buffer_memset (px, i * 4 + 2, 0xff, 1);
    gst_buffer_memset (px, i * 4 + 3, 0xff, 1);
  }
  gst_buffer_add_video_meta (px, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, 8, 8);
  rect = gst_video_overlay_rectangle_new_raw (px, 10, 10, 8, 8,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  comp = gst_video_overlay_composition_new (rect);
  cc_blender_init (&b);
  blend_fast (&b, &info, buf, comp);
  /* BT.601 limited: Y = 16 + 219 * 0.299 = 81.5, Cr = 128 + 112 = 240,
   * Cb = 128 - 112 * 0.299 / 0.886 = 90.2 (BT.709 would give Y 63) */
  fail_unless (ABS (pixel (&info, buf, 0, 12, 12) - 81.5) <= 1);
  fail_unless (ABS (pixel (&info, buf, 1, 6, 6) - 90) <= 1);
  fail_unless (ABS (pixel (&info, buf, 2, 6, 6) - 240) <= 1);
  cc_blender_clear (&b);
  gst_video_overlay_composition_unref (comp);
  gst_video_overlay_rectangle_unref (rect);
  gst_buffer_unref (px);
  gst_buffer_unref (buf);
}

GST_END_TEST;

/* NV12 (interleaved chroma) blends to the same values as I420, and a new
 * composition replaces the prepared one. */
GST_START_TEST (test_nv12_and_changes)
{
  GstVideoInfo i420, nv12;
  GstBuffer *a = make_frame (&i420, GST_VIDEO_FORMAT_I420, "bt709");
  GstBuffer *b = make_frame (&nv12, GST_VIDEO_FORMAT_NV12, "bt709");
  GstBuffer *a0 = gst_buffer_copy_deep (a);
  GstBuffer *b0 = gst_buffer_copy_deep (b);
  GstVideoOverlayComposition *comp_a = make_comp (1.0f);
  GstVideoOverlayComposition *comp_b = make_comp (0.3f);
  CcBlender ba, bb;

  cc_blender_init (&ba);
  cc_blender_init (&bb);
  blend_fast (&ba, &i420, a, comp_a);
  blend_fast (&bb, &nv12, b, comp_a);
  /* the same source pixels, so every luma and chroma value of the two
   * results is equal, not just close: the layout must not change the
   * arithmetic */
  for (gint c = 0; c < 3; c++)
    fail_unless (max_comp_diff (&i420, a, &nv12, b, c) == 0,
        "component %d: I420 and NV12 differ by up to %d", c,
        max_comp_diff (&i420, a, &nv12, b, c));
  /* and both blends did something (two untouched frames are equal too),
   * to chroma as well as luma */
  for (gint c = 0; c < 3; c++) {
    fail_unless (max_plane_diff (&i420, a, a0, c) > 20,
        "I420 component %d unchanged by the blend", c);
    fail_unless (max_plane_diff (&nv12, b, b0, c) > 20,
        "NV12 component %d unchanged by the blend", c);
  }

  /* the same blender, a fainter composition: the blend follows it */
  gst_buffer_unref (a);
  a = gst_buffer_copy_deep (a0);
  blend_fast (&ba, &i420, a, comp_b);
  {
    gint faint = ABS (pixel (&i420, a, 0, 8, 6) - pixel (&i420, a0, 0, 8, 6));
    GstBuffer *full = gst_buffer_copy_deep (a0);
    gint strong;

    blend_fast (&ba, &i420, full, comp_a);
    strong = ABS (pixel (&i420, full, 0, 8, 6) - pixel (&i420, a0, 0, 8, 6));
    fail_unless (strong > 0 && faint < strong, "faint %d strong %d", faint,
        strong);
    gst_buffer_unref (full);
  }
  cc_blender_clear (&ba);
  cc_blender_clear (&bb);
  gst_video_overlay_composition_unref (comp_a);
  gst_video_overlay_composition_unref (comp_b);
  gst_buffer_unref (a);
  gst_buffer_unref (a0);
  gst_buffer_unref (b);
  gst_buffer_unref (b0);
}

GST_END_TEST;

static Suite *
overlay_suite (void)
{
  Suite *s = suite_create ("overlay");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_matches_generic_blend);
  tcase_add_test (tc, test_frame_matrix);
  tcase_add_test (tc, test_nv12_and_changes);
  return s;
}

GST_CHECK_MAIN (overlay);
