/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the overlay elements (schoolwatermark, captionburn) share: turning a
 * rendered cairo surface into an overlay rectangle, and putting an overlay
 * composition on a frame, as meta when downstream composes overlays itself
 * and blended into the rectangle's pixels only otherwise.
 */
#pragma once

#include <cairo.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* A rectangle at (x, y) showing a premultiplied ARGB32 cairo surface at
 * its own size; the surface may be destroyed afterwards. */
GstVideoOverlayRectangle *cc_overlay_rectangle_from_surface (cairo_surface_t *
    surface, gint x, gint y, gdouble opacity);

/* Asks the peer of srcpad, for its current caps, whether it composes
 * overlay meta itself. Always-in-place transforms never send an allocation
 * query of their own, so overlay elements ask with this once per caps. */
gboolean cc_overlay_peer_composes (GstPad * srcpad);

/* What blending keeps between frames: the composition it last prepared
 * and that composition converted for the frame's format. One per element,
 * used from the streaming thread only. */
typedef struct
{
  gboolean valid, generic;
  guint seqnum;
  GstVideoFormat format;
  gint width, height;
  GstVideoColorMatrix matrix;
  GstVideoColorRange range;
  GArray *layers;
  /* where the blender logs: its element, in the element's own category
   * (NULL: it does not log) */
  GstObject *owner;
  GstDebugCategory *cat;
} CcBlender;

void cc_blender_init (CcBlender * b);
/* Logs what the blender does (which path, per composition and frame) in
 * cat as owner, so that GST_DEBUG=<element>:5 shows it. */
void cc_blender_set_debug (CcBlender * b, GstObject * owner,
    GstDebugCategory * cat);
void cc_blender_clear (CcBlender * b);

/* Attaches (attach = TRUE) or blends comp onto frame. */
void cc_overlay_apply (CcBlender * b, GstVideoFrame * frame,
    GstVideoOverlayComposition * comp, gboolean attach);

/* The frames an overlay element draws on. A frame that something else
 * still holds (videorate's last frame, a tee's other branch, a queue) must
 * not be changed in place; basetransform would then copy it into freshly
 * allocated memory for every frame. The store copies such frames into
 * buffers of its own pool instead, which are recycled once the encoder
 * lets go of them, and hands writable frames through untouched. */
typedef struct
{
  GstBufferPool *pool;          /* created on the first copy */
  GstVideoInfo info;
  GstDebugCategory *cat;        /* the element's, for why a frame is copied */
} CcFrameStore;

/* cat: the owning element's debug category. */
void cc_frame_store_init (CcFrameStore * s, GstDebugCategory * cat);
void cc_frame_store_clear (CcFrameStore * s);
/* The negotiated frame layout (from set_info). */
void cc_frame_store_set_info (CcFrameStore * s, const GstVideoInfo * info);
/* For GstBaseTransform.prepare_output_buffer of an always-in-place video
 * filter: *out is in itself when it may be drawn on, else a pooled copy.
 * (GstVideoFilter maps the frame for writing even when only meta is
 * added, so a copy of the buffer alone would still copy its pixels.) */
GstFlowReturn cc_frame_store_prepare (CcFrameStore * s,
    GstBaseTransform * trans, GstBuffer * in, GstBuffer ** out);

G_END_DECLS
