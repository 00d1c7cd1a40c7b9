/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Overlay plumbing shared by the overlay elements. On 8-bit 4:2:0 frames
 * (what submissionbin and most decoders produce) each rectangle is
 * converted once, when the composition changes, to premultiplied Y'CbCr in
 * the frame's own matrix and range, and per frame only the covered pixels
 * of each row are blended: a logo or a caption line costs its own opaque
 * area, not the frame's nor even its bounding box. Other formats go
 * through gst_video_overlay_composition_blend().
 */
#include <string.h>

#include "ccoverlay.h"

/* The elements' own debug categories: what the blender and the frame
 * store do shows under GST_DEBUG=<element>:N. */
#define BLENDER_LOG(b, level, ...) G_STMT_START {                        \
  if ((b)->cat)                                                         \
    GST_CAT_LEVEL_LOG ((b)->cat, level, (b)->owner, __VA_ARGS__);       \
} G_STMT_END
#define STORE_LOG(s, obj, level, ...) G_STMT_START {                    \
  if ((s)->cat)                                                         \
    GST_CAT_LEVEL_LOG ((s)->cat, level, obj, __VA_ARGS__);              \
} G_STMT_END

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

/* Fast path ------------------------------------------------------------- */

/* One rectangle prepared for 8-bit 4:2:0 frames: premultiplied Y'CbCr with
 * alpha, at luma and chroma resolution, clipped to the frame, with the
 * first and last non-transparent column of every row so that the blend
 * touches only pixels the overlay covers. */
typedef struct
{
  gint x, y, w, h;              /* luma area */
  gint cx, cy, cw, ch;          /* chroma area */
  guint8 *luma;                 /* w * h pairs: alpha, premultiplied Y */
  guint8 *chroma;               /* cw * ch triples: alpha, U, V */
  gint *luma_span;              /* h pairs: first, last + 1 */
  gint *chroma_span;            /* ch pairs */
} CcBlendLayer;

static void
layer_clear (gpointer data)
{
  CcBlendLayer *l = data;

  g_free (l->luma);
  g_free (l->chroma);
  g_free (l->luma_span);
  g_free (l->chroma_span);
}

void
cc_blender_init (CcBlender * b)
{
  memset (b, 0, sizeof (*b));
  b->layers = g_array_new (FALSE, TRUE, sizeof (CcBlendLayer));
  g_array_set_clear_func (b->layers, layer_clear);
}

void
cc_blender_set_debug (CcBlender * b, GstObject * owner, GstDebugCategory * cat)
{
  b->owner = owner;
  b->cat = cat;
}

void
cc_blender_clear (CcBlender * b)
{
  if (b->layers)
    g_array_unref (b->layers);
  b->layers = NULL;
  b->valid = FALSE;
}

static gboolean
is_8bit_420 (const GstVideoInfo * info)
{
  const GstVideoFormatInfo *f = info->finfo;

  return GST_VIDEO_FORMAT_INFO_IS_YUV (f) && f->n_components == 3 &&
      f->bits == 8 && f->w_sub[1] == 1 && f->h_sub[1] == 1 &&
      f->w_sub[2] == 1 && f->h_sub[2] == 1 &&
      !GST_VIDEO_FORMAT_INFO_IS_TILED (f) &&
      GST_VIDEO_INFO_INTERLACE_MODE (info) ==
      GST_VIDEO_INTERLACE_MODE_PROGRESSIVE;
}

static void
find_spans (const guint8 * px, gint w, gint h, gint step, gint * span)
{
  for (gint r = 0; r < h; r++) {
    const guint8 *row = px + (gsize) r * w * step;
    gint first = w, last = 0;

    for (gint c = 0; c < w; c++) {
      if (row[c * step]) {
        if (first == w)
          first = c;
        last = c + 1;
      }
    }
    span[2 * r] = first;
    span[2 * r + 1] = last;
  }
}

/* Kr and Kb of the frame's matrix: BT.709's for RGB or unknown matrices. */
static void
frame_kr_kb (const GstVideoInfo * info, gdouble * kr, gdouble * kb)
{
  if (!gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, kr, kb))
    gst_video_color_matrix_get_Kr_Kb (GST_VIDEO_COLOR_MATRIX_BT709, kr, kb);
}

/* Converts the rectangle's pixels (argb, laid out as vmeta says, its
 * top-left corner at rx, ry in the frame) inside the layer's area: alpha
 * and premultiplied Y' into l->luma, Cb and Cr at luma resolution into
 * uv, in the frame's matrix and range. */
static void
convert_area (CcBlendLayer * l, const guint8 * argb, const GstVideoMeta * vmeta,
    gint rx, gint ry, gdouble global, const GstVideoInfo * info, guint8 * uv)
{
  gint offset[GST_VIDEO_MAX_COMPONENTS], scale[GST_VIDEO_MAX_COMPONENTS];
  gdouble kr, kb;

  frame_kr_kb (info, &kr, &kb);
  gst_video_color_range_offsets (info->colorimetry.range, info->finfo,
      offset, scale);
  for (gint r = 0; r < l->h; r++) {
    const guint8 *src = argb + vmeta->offset[0] +
        (gsize) (l->y - ry + r) * vmeta->stride[0] + (gsize) (l->x - rx) * 4;
    guint8 *dst = l->luma + (gsize) r * l->w * 2;
    guint8 *row_uv = uv + (gsize) r * l->w * 2;

    for (gint c = 0; c < l->w; c++) {
      /* native-endian ARGB32, premultiplied: B G R A in memory here */
      guint a = (guint) (src[4 * c + 3] * global + 0.5);
      gdouble ey, eb, er, rr, gg, bb;

      dst[2 * c] = (guint8) a;
      if (a == 0) {
        dst[2 * c + 1] = row_uv[2 * c] = row_uv[2 * c + 1] = 0;
        continue;
      }
      /* unpremultiply with the stored alpha, blend with the effective one */
      rr = MIN (src[4 * c + 2] / (gdouble) MAX (src[4 * c + 3], 1), 1.0);
      gg = MIN (src[4 * c + 1] / (gdouble) MAX (src[4 * c + 3], 1), 1.0);
      bb = MIN (src[4 * c + 0] / (gdouble) MAX (src[4 * c + 3], 1), 1.0);
      ey = kr * rr + (1.0 - kr - kb) * gg + kb * bb;
      eb = (bb - ey) / (2.0 * (1.0 - kb));
      er = (rr - ey) / (2.0 * (1.0 - kr));
      dst[2 * c + 1] = (guint8) ((offset[0] + scale[0] * ey) * a / 255.0 + 0.5);
      row_uv[2 * c] = (guint8) CLAMP (offset[1] + scale[1] * eb, 0, 255);
      row_uv[2 * c + 1] = (guint8) CLAMP (offset[2] + scale[2] * er, 0, 255);
    }
  }
}

/* Averages Cb and Cr at luma resolution (uv, weighted by alpha) and the
 * alpha into l->chroma. Chroma samples cover 2x2 luma pixels; those
 * outside the rectangle count as transparent. */
static void
subsample_chroma (CcBlendLayer * l, const guint8 * uv)
{
  l->cx = l->x / 2;
  l->cy = l->y / 2;
  l->cw = (l->x + l->w + 1) / 2 - l->cx;
  l->ch = (l->y + l->h + 1) / 2 - l->cy;
  l->chroma = g_malloc0 ((gsize) l->cw * l->ch * 3);
  for (gint r = 0; r < l->ch; r++) {
    for (gint c = 0; c < l->cw; c++) {
      guint sa = 0, su = 0, sv = 0;
      guint8 *d = l->chroma + ((gsize) r * l->cw + c) * 3;

      for (gint j = 0; j < 2; j++) {
        gint ly = 2 * (l->cy + r) + j - l->y;

        if (ly < 0 || ly >= l->h)
          continue;
        for (gint i = 0; i < 2; i++) {
          gint lx = 2 * (l->cx + c) + i - l->x;
          gsize k;

          if (lx < 0 || lx >= l->w)
            continue;
          k = (gsize) ly * l->w + lx;
          sa += l->luma[2 * k];
          su += uv[2 * k] * l->luma[2 * k];
          sv += uv[2 * k + 1] * l->luma[2 * k];
        }
      }
      /* rounded means over the four samples: of alpha, and of Cb and Cr
       * premultiplied by alpha (sum of u * a over 4 * 255) */
      d[0] = (guint8) ((sa + 2) / 4);
      d[1] = (guint8) ((su + 510) / 1020);
      d[2] = (guint8) ((sv + 510) / 1020);
    }
  }
}

/* Converts one rectangle; FALSE when it needs the generic path (scaled). */
static gboolean
prepare_layer (CcBlendLayer * l, GstVideoOverlayRectangle * rect,
    const GstVideoInfo * info)
{
  GstVideoOverlayFormatFlags flags =
      GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA |
      GST_VIDEO_OVERLAY_FORMAT_FLAG_GLOBAL_ALPHA;
  GstBuffer *pixels = gst_video_overlay_rectangle_get_pixels_unscaled_argb
      (rect, flags);
  gint rx, ry;
  guint rw, rh;
  GstVideoMeta *vmeta;
  GstMapInfo map;
  gdouble global = gst_video_overlay_rectangle_get_global_alpha (rect);
  gint fw = GST_VIDEO_INFO_WIDTH (info), fh = GST_VIDEO_INFO_HEIGHT (info);
  gint x1, y1;
  guint8 *full_uv;

  gst_video_overlay_rectangle_get_render_rectangle (rect, &rx, &ry, &rw, &rh);
  vmeta = pixels ? gst_buffer_get_video_meta (pixels) : NULL;
  if (vmeta == NULL || vmeta->width != rw || vmeta->height != rh)
    return FALSE;

  memset (l, 0, sizeof (*l));
  l->x = MAX (rx, 0);
  l->y = MAX (ry, 0);
  x1 = MIN (rx + (gint) rw, fw);
  y1 = MIN (ry + (gint) rh, fh);
  l->w = MAX (x1 - l->x, 0);
  l->h = MAX (y1 - l->y, 0);
  if (l->w == 0 || l->h == 0)
    return TRUE;

  l->luma = g_malloc ((gsize) l->w * l->h * 2);
  full_uv = g_malloc ((gsize) l->w * l->h * 2);
  gst_buffer_map (pixels, &map, GST_MAP_READ);
  convert_area (l, map.data, vmeta, rx, ry, global, info, full_uv);
  gst_buffer_unmap (pixels, &map);
  subsample_chroma (l, full_uv);
  g_free (full_uv);

  l->luma_span = g_new (gint, 2 * l->h);
  l->chroma_span = g_new (gint, 2 * l->ch);
  find_spans (l->luma, l->w, l->h, 2, l->luma_span);
  find_spans (l->chroma, l->cw, l->ch, 3, l->chroma_span);
  return TRUE;
}

static gboolean
prepare (CcBlender * b, GstVideoOverlayComposition * comp,
    const GstVideoInfo * info)
{
  guint n = gst_video_overlay_composition_n_rectangles (comp);

  g_array_set_size (b->layers, 0);
  b->valid = FALSE;
  if (!is_8bit_420 (info))
    return FALSE;
  for (guint i = 0; i < n; i++) {
    CcBlendLayer l;

    if (!prepare_layer (&l, gst_video_overlay_composition_get_rectangle (comp,
                i), info)) {
      g_array_set_size (b->layers, 0);
      return FALSE;
    }
    g_array_append_val (b->layers, l);
  }
  b->valid = TRUE;
  return TRUE;
}

static inline guint8
over (guint8 dst, guint8 a, guint8 premultiplied)
{
  guint v = (dst * (255u - a) + 127u) / 255u + premultiplied;

  return (guint8) MIN (v, 255u);
}

static void
blend_layer (const CcBlendLayer * l, GstVideoFrame * frame)
{
  guint8 *y = GST_VIDEO_FRAME_COMP_DATA (frame, 0);
  guint8 *u = GST_VIDEO_FRAME_COMP_DATA (frame, 1);
  guint8 *v = GST_VIDEO_FRAME_COMP_DATA (frame, 2);
  gint ys = GST_VIDEO_FRAME_COMP_STRIDE (frame, 0);
  gint us = GST_VIDEO_FRAME_COMP_STRIDE (frame, 1);
  gint vs = GST_VIDEO_FRAME_COMP_STRIDE (frame, 2);
  gint up = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, 1);
  gint vp = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, 2);

  for (gint r = 0; r < l->h; r++) {
    const guint8 *s = l->luma + (gsize) r * l->w * 2;
    guint8 *d = y + (gsize) (l->y + r) * ys + l->x;

    for (gint c = l->luma_span[2 * r]; c < l->luma_span[2 * r + 1]; c++)
      d[c] = over (d[c], s[2 * c], s[2 * c + 1]);
  }
  for (gint r = 0; r < l->ch; r++) {
    const guint8 *s = l->chroma + (gsize) r * l->cw * 3;
    guint8 *du = u + (gsize) (l->cy + r) * us + (gsize) l->cx * up;
    guint8 *dv = v + (gsize) (l->cy + r) * vs + (gsize) l->cx * vp;

    for (gint c = l->chroma_span[2 * r]; c < l->chroma_span[2 * r + 1]; c++) {
      du[c * up] = over (du[c * up], s[3 * c], s[3 * c + 1]);
      dv[c * vp] = over (dv[c * vp], s[3 * c], s[3 * c + 2]);
    }
  }
}

void
cc_overlay_apply (CcBlender * b, GstVideoFrame * frame,
    GstVideoOverlayComposition * comp, gboolean attach)
{
  const GstVideoInfo *info = &frame->info;

  if (comp == NULL)
    return;
  if (attach) {
    BLENDER_LOG (b, GST_LEVEL_LOG, "composition %u attached as meta to %"
        GST_PTR_FORMAT, gst_video_overlay_composition_get_seqnum (comp),
        frame->buffer);
    gst_buffer_add_video_overlay_composition_meta (frame->buffer, comp);
    return;
  }

  if (!b->valid || b->seqnum != gst_video_overlay_composition_get_seqnum (comp)
      || b->format != GST_VIDEO_INFO_FORMAT (info)
      || b->width != GST_VIDEO_INFO_WIDTH (info)
      || b->height != GST_VIDEO_INFO_HEIGHT (info)
      || b->matrix != info->colorimetry.matrix
      || b->range != info->colorimetry.range) {
    b->seqnum = gst_video_overlay_composition_get_seqnum (comp);
    b->format = GST_VIDEO_INFO_FORMAT (info);
    b->width = GST_VIDEO_INFO_WIDTH (info);
    b->height = GST_VIDEO_INFO_HEIGHT (info);
    b->matrix = info->colorimetry.matrix;
    b->range = info->colorimetry.range;
    b->generic = !prepare (b, comp, info);
    BLENDER_LOG (b, GST_LEVEL_DEBUG, "composition %u, %u rectangle(s), on "
        "%s %dx%d: %s", b->seqnum,
        gst_video_overlay_composition_n_rectangles (comp),
        gst_video_format_to_string (b->format), b->width, b->height,
        b->generic ? "generic blend (not progressive 8-bit 4:2:0, or a "
        "scaled rectangle)" : "covered pixels of 8-bit 4:2:0 only");
  }

  BLENDER_LOG (b, GST_LEVEL_LOG, "blending composition %u into %"
      GST_PTR_FORMAT, b->seqnum, frame->buffer);
  if (b->generic) {
    gst_video_overlay_composition_blend (comp, frame);
    return;
  }
  for (guint i = 0; i < b->layers->len; i++)
    blend_layer (&g_array_index (b->layers, CcBlendLayer, i), frame);
}

void
cc_frame_store_init (CcFrameStore * s, GstDebugCategory * cat)
{
  s->pool = NULL;
  gst_video_info_init (&s->info);
  s->cat = cat;
}

void
cc_frame_store_clear (CcFrameStore * s)
{
  if (s->pool) {
    gst_buffer_pool_set_active (s->pool, FALSE);
    gst_object_unref (s->pool);
    s->pool = NULL;
  }
}

void
cc_frame_store_set_info (CcFrameStore * s, const GstVideoInfo * info)
{
  if (s->pool && gst_video_info_is_equal (&s->info, info))
    return;
  cc_frame_store_clear (s);
  s->info = *info;
}

static gboolean
frame_store_activate (CcFrameStore * s, GstObject * owner)
{
  GstStructure *config;
  GstCaps *caps;

  if (s->pool)
    return TRUE;
  caps = gst_video_info_to_caps (&s->info);
  if (caps == NULL)
    return FALSE;
  s->pool = gst_video_buffer_pool_new ();
  config = gst_buffer_pool_get_config (s->pool);
  /* no minimum: nothing is allocated for frames drawn in place; no
   * maximum: downstream (an encoder's look-ahead) decides how many are
   * in flight, and a limit here would stall it */
  gst_buffer_pool_config_set_params (config, caps,
      (guint) GST_VIDEO_INFO_SIZE (&s->info), 0, 0);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  if (!gst_buffer_pool_set_config (s->pool, config) ||
      !gst_buffer_pool_set_active (s->pool, TRUE)) {
    STORE_LOG (s, owner, GST_LEVEL_WARNING, "no pool for %" GST_PTR_FORMAT,
        caps);
    gst_clear_object (&s->pool);
    gst_caps_unref (caps);
    return FALSE;
  }
  STORE_LOG (s, owner, GST_LEVEL_DEBUG, "pool for copies of %" GST_PTR_FORMAT,
      caps);
  gst_caps_unref (caps);
  return TRUE;
}

GstFlowReturn
cc_frame_store_prepare (CcFrameStore * s, GstBaseTransform * trans,
    GstBuffer * in, GstBuffer ** out)
{
  GstBaseTransformClass *klass = GST_BASE_TRANSFORM_GET_CLASS (trans);
  GstVideoFrame src, dst;
  GstFlowReturn ret;
  gboolean copied;

  if (gst_base_transform_is_passthrough (trans) ||
      (gst_buffer_is_writable (in) &&
          gst_buffer_is_memory_range_writable (in, 0, -1))) {
    *out = in;
    return GST_FLOW_OK;
  }
  /* The first copy says why at DEBUG, every one at LOG. */
  STORE_LOG (s, trans, s->pool ? GST_LEVEL_LOG : GST_LEVEL_DEBUG,
      "frame %" GST_TIME_FORMAT " cannot be drawn on in place (%s, held by "
      "a tee, a queue or videorate): copying it",
      GST_TIME_ARGS (GST_BUFFER_PTS (in)), gst_buffer_is_writable (in) ?
      "its memory is shared" : "the buffer is shared");
  /* not negotiated, or no pool for this format: what basetransform does */
  if (GST_VIDEO_INFO_FORMAT (&s->info) == GST_VIDEO_FORMAT_UNKNOWN ||
      !frame_store_activate (s, GST_OBJECT_CAST (trans))) {
    STORE_LOG (s, trans, GST_LEVEL_LOG, "no pool: copied into new memory");
    *out = gst_buffer_make_writable (gst_buffer_ref (in));
    return GST_FLOW_OK;
  }
  ret = gst_buffer_pool_acquire_buffer (s->pool, out, NULL);
  if (ret != GST_FLOW_OK)
    return ret;
  if (!gst_video_frame_map (&src, &s->info, in, GST_MAP_READ)) {
    gst_clear_buffer (out);
    return GST_FLOW_ERROR;
  }
  if (!gst_video_frame_map (&dst, &s->info, *out, GST_MAP_WRITE)) {
    gst_video_frame_unmap (&src);
    gst_clear_buffer (out);
    return GST_FLOW_ERROR;
  }
  copied = gst_video_frame_copy (&dst, &src);
  gst_video_frame_unmap (&dst);
  gst_video_frame_unmap (&src);
  if (!copied || (klass->copy_metadata &&
          !klass->copy_metadata (trans, in, *out))) {
    gst_clear_buffer (out);
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}
