/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * submissionbin's depth converter: planar video of more than 8 bits
 * (10-bit HEVC from phones, 10- and 12-bit ProRes and DNxHR from cameras)
 * to the 8-bit planar format of the same chroma layout, at the source's
 * size, before the split into the two cuts, for sources at least as large
 * as the full cut (see submission_depth_wanted). Any other format that
 * reaches it (a change of caps mid-stream) passes through untouched.
 *
 * Why not videoconvertscale, which follows anyway: GstVideoConverter has
 * no fast path from 16-bit-word planar formats, so it unpacks every line
 * to 16-bit 4:4:4 and packs it again. At 3840x2160 that took 44 ms a
 * frame here (more than the whole HEVC decode); this takes a few (see
 * ccdepth.c), and the scale that follows is then an 8-bit planar scale,
 * one of the converter's fast paths. Private to the bin: not registered
 * in the plugin.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

#include "ccdepth.h"
#include "gstsubmissionbin-private.h"

#define CC_TYPE_DEPTH (cc_depth_get_type ())
G_DECLARE_FINAL_TYPE (CcDepth, cc_depth, CC, DEPTH, GstVideoFilter);

struct _CcDepth
{
  GstVideoFilter parent;
};

G_DEFINE_TYPE (CcDepth, cc_depth, GST_TYPE_VIDEO_FILTER);

/* High-depth planar format -> its 8-bit counterpart. */
static const struct
{
  GstVideoFormat deep, eight;
} depth_map[] = {
  {GST_VIDEO_FORMAT_I420_10LE, GST_VIDEO_FORMAT_I420},
  {GST_VIDEO_FORMAT_I420_12LE, GST_VIDEO_FORMAT_I420},
  {GST_VIDEO_FORMAT_I422_10LE, GST_VIDEO_FORMAT_Y42B},
  {GST_VIDEO_FORMAT_I422_12LE, GST_VIDEO_FORMAT_Y42B},
  {GST_VIDEO_FORMAT_Y444_10LE, GST_VIDEO_FORMAT_Y444},
  {GST_VIDEO_FORMAT_Y444_12LE, GST_VIDEO_FORMAT_Y444},
};

static GstVideoFormat
eight_bit_of (GstVideoFormat f)
{
  for (guint i = 0; i < G_N_ELEMENTS (depth_map); i++)
    if (depth_map[i].deep == f)
      return depth_map[i].eight;
  return GST_VIDEO_FORMAT_UNKNOWN;
}

/* Adds the format name @f to the list @out once. */
static void
add_format (GValue * out, GstVideoFormat f)
{
  GValue v = G_VALUE_INIT;

  for (guint i = 0; i < gst_value_list_get_size (out); i++)
    if (g_strcmp0 (g_value_get_string (gst_value_list_get_value (out, i)),
            gst_video_format_to_string (f)) == 0)
      return;
  g_value_init (&v, G_TYPE_STRING);
  g_value_set_string (&v, gst_video_format_to_string (f));
  gst_value_list_append_and_take_value (out, &v);
}

/* The formats one format can become (downstream) or come from (upstream):
 * itself always (passthrough), plus its counterparts. */
static void
map_format (const gchar * name, GstPadDirection direction, GValue * out)
{
  GstVideoFormat f = gst_video_format_from_string (name);

  if (f == GST_VIDEO_FORMAT_UNKNOWN) {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, name);
    gst_value_list_append_and_take_value (out, &v);
    return;
  }
  if (direction == GST_PAD_SINK) {
    /* a deep format is always reduced: it does not pass as it is */
    add_format (out, eight_bit_of (f) != GST_VIDEO_FORMAT_UNKNOWN ?
        eight_bit_of (f) : f);
    return;
  }
  add_format (out, f);
  for (guint i = 0; i < G_N_ELEMENTS (depth_map); i++)
    if (depth_map[i].eight == f)
      add_format (out, depth_map[i].deep);
}

static GstCaps *
cc_depth_transform_caps (GstBaseTransform * trans, GstPadDirection direction,
    GstCaps * caps, GstCaps * filter)
{
  GstCaps *res = gst_caps_new_empty ();

  for (guint i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_structure_copy (gst_caps_get_structure (caps, i));
    const GValue *formats = gst_structure_get_value (s, "format");
    GValue out = G_VALUE_INIT;

    if (formats == NULL) {
      gst_caps_append_structure_full (res, s,
          gst_caps_features_copy (gst_caps_get_features (caps, i)));
      continue;
    }
    g_value_init (&out, GST_TYPE_LIST);
    if (G_VALUE_HOLDS_STRING (formats)) {
      map_format (g_value_get_string (formats), direction, &out);
    } else if (GST_VALUE_HOLDS_LIST (formats)) {
      for (guint k = 0; k < gst_value_list_get_size (formats); k++)
        map_format (g_value_get_string (gst_value_list_get_value (formats,
                    k)), direction, &out);
    }
    if (gst_value_list_get_size (&out) == 1)
      gst_structure_set_value (s, "format", gst_value_list_get_value (&out,
              0));
    else
      gst_structure_take_value (s, "format", &out);
    g_value_unset (&out);
    gst_caps_append_structure_full (res, s,
        gst_caps_features_copy (gst_caps_get_features (caps, i)));
  }
  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, res,
        GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (res);
    res = tmp;
  }
  return res;
}

static gboolean
cc_depth_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstVideoFormat in = GST_VIDEO_INFO_FORMAT (in_info);
  GstVideoFormat out = GST_VIDEO_INFO_FORMAT (out_info);

  if (in == out) {
    gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (filter), TRUE);
    return TRUE;
  }
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (filter), FALSE);
  if (eight_bit_of (in) != out ||
      GST_VIDEO_INFO_WIDTH (in_info) != GST_VIDEO_INFO_WIDTH (out_info) ||
      GST_VIDEO_INFO_HEIGHT (in_info) != GST_VIDEO_INFO_HEIGHT (out_info))
    return FALSE;
  GST_INFO_OBJECT (filter, "%s reduced to %s", gst_video_format_to_string
      (in), gst_video_format_to_string (out));
  return TRUE;
}

static GstFlowReturn
cc_depth_transform_frame (GstVideoFilter * filter, GstVideoFrame * in,
    GstVideoFrame * out)
{
  guint depth = GST_VIDEO_FORMAT_INFO_DEPTH (in->info.finfo, 0);

  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (in); p++) {
    const guint8 *src = GST_VIDEO_FRAME_PLANE_DATA (in, p);
    guint8 *dst = GST_VIDEO_FRAME_PLANE_DATA (out, p);
    gint sstride = GST_VIDEO_FRAME_PLANE_STRIDE (in, p);
    gint dstride = GST_VIDEO_FRAME_PLANE_STRIDE (out, p);
    guint width = GST_VIDEO_FRAME_COMP_WIDTH (in, p);
    guint height = GST_VIDEO_FRAME_COMP_HEIGHT (in, p);

    for (guint y = 0; y < height; y++)
      cc_depth_reduce_row ((const guint16 *) (src + (gsize) y * sstride),
          dst + (gsize) y * dstride, width, depth, y);
  }
  return GST_FLOW_OK;
}

static void
cc_depth_class_init (CcDepthClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  GstCaps *caps = gst_caps_from_string (GST_VIDEO_CAPS_MAKE
      (GST_VIDEO_FORMATS_ALL));

  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref (caps);
  gst_element_class_set_static_metadata (element_class,
      "Depth reduction", "Filter/Converter/Video",
      "Planar video of more than 8 bits to 8 bits, dithered (private to "
      "submissionbin)", "campuscut");
  trans_class->transform_caps = GST_DEBUG_FUNCPTR (cc_depth_transform_caps);
  trans_class->passthrough_on_same_caps = TRUE;
  filter_class->set_info = GST_DEBUG_FUNCPTR (cc_depth_set_info);
  filter_class->transform_frame = GST_DEBUG_FUNCPTR (cc_depth_transform_frame);
}

static void
cc_depth_init (CcDepth * self)
{
}

/* Whether a decoded stream of @caps is one to reduce before the split:
 * more than 8 bits, planar, and not smaller than the full cut's frame
 * (@out_pixels). A smaller one is scaled up, and an ordered dither made
 * before that would be scaled up with it into a visible pattern; the
 * converter, which dithers after scaling, does better there, and at such
 * sizes its cost does not matter. */
gboolean
submission_depth_wanted (GstCaps * caps, guint64 out_pixels)
{
  GstVideoInfo info;

  /* a damaged stream's decoder may not have settled on caps */
  if (!gst_caps_is_fixed (caps) || !gst_video_info_from_caps (&info, caps) ||
      eight_bit_of (GST_VIDEO_INFO_FORMAT (&info)) ==
      GST_VIDEO_FORMAT_UNKNOWN)
    return FALSE;
  return (guint64) GST_VIDEO_INFO_WIDTH (&info) *
      GST_VIDEO_INFO_HEIGHT (&info) >= out_pixels;
}

/* The bin's depth converter, added to it; named @name. */
GstElement *
submission_make_depth (GstSubmissionBin * self, const gchar * name)
{
  GstElement *e = g_object_new (CC_TYPE_DEPTH, "name", name, NULL);

  submission_add_child (self, e);
  return e;
}
