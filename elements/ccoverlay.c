/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Overlay plumbing shared by the overlay elements. Blending goes through
 * gst_video_overlay_composition_blend(), which touches only the
 * rectangles' pixels: a logo costs its own area per frame, not the frame's.
 */
#include <string.h>

#include "ccoverlay.h"

GstVideoOverlayRectangle *
cc_overlay_rectangle_from_surface (cairo_surface_t * surface, gint x, gint y,
    gdouble opacity)
{
  gint w = cairo_image_surface_get_width (surface);
  gint h = cairo_image_surface_get_height (surface);
  gint stride = cairo_image_surface_get_stride (surface);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, (gsize) w * h * 4, NULL);
  GstVideoOverlayRectangle *rect;
  GstMapInfo map;
  const guint8 *src;

  cairo_surface_flush (surface);
  src = cairo_image_surface_get_data (surface);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gint row = 0; row < h; row++)
    memcpy (map.data + (gsize) row * w * 4, src + (gsize) row * stride,
        (gsize) w * 4);
  gst_buffer_unmap (buf, &map);

  /* cairo's native-endian ARGB32 is exactly the composition's RGB format */
  gst_buffer_add_video_meta (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, w, h);
  rect = gst_video_overlay_rectangle_new_raw (buf, x, y, (guint) w, (guint) h,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  gst_buffer_unref (buf);
  if (opacity < 1.0)
    gst_video_overlay_rectangle_set_global_alpha (rect, (gfloat) opacity);
  return rect;
}

gboolean
cc_overlay_peer_composes (GstPad * srcpad)
{
  GstCaps *caps = gst_pad_get_current_caps (srcpad);
  GstQuery *q;
  gboolean composes = FALSE;

  if (caps == NULL)
    return FALSE;
  q = gst_query_new_allocation (caps, FALSE);
  if (gst_pad_peer_query (srcpad, q))
    composes = gst_query_find_allocation_meta (q,
        GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_query_unref (q);
  gst_caps_unref (caps);
  return composes;
}

void
cc_overlay_apply (GstVideoFrame * frame, GstVideoOverlayComposition * comp,
    gboolean attach)
{
  if (comp == NULL)
    return;
  if (attach)
    gst_buffer_add_video_overlay_composition_meta (frame->buffer, comp);
  else
    gst_video_overlay_composition_blend (comp, frame);
}
