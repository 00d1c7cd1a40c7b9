/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * schoolwatermark: the school's logo and name on every frame.
 *
 * Copyright (C) 2026 campuscut developers
 */

/**
 * SECTION:element-schoolwatermark
 * @title: schoolwatermark
 *
 * Every published campaign video carries its school's watermark: the logo
 * (PNG with alpha, JPEG or SVG) and the school's name in Chinese. Sizes and
 * margins are fractions of the frame height, so 640x360, 1920x1080 and
 * 1080x1920 outputs look alike. With #GstSchoolWatermark:platform-safe a
 * portrait (9:16) frame keeps the mark out of the short-video apps' top
 * band (status and search bar, top 10 %) and right band (like and share
 * buttons, right 15 %).
 *
 * The watermark is rendered once per caps or property change into one
 * overlay rectangle. When downstream announces in the allocation query that
 * it composes #GstVideoOverlayCompositionMeta itself, the rectangle travels
 * as meta and no pixel is touched here; otherwise it is blended into the
 * frame, touching only the rectangle's pixels.
 *
 * Every property can change while PLAYING; the next frame shows the change.
 * A logo that cannot be read is a RESOURCE error at the READY to PAUSED
 * change, before any frame flows.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=250 ! video/x-raw,width=1280,height=720 ! \
 *     schoolwatermark logo-location=emblem.svg text="技能成才职业技术学院" \
 *     corner=top-left opacity=0.85 ! videoconvert ! autovideosink
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib/gi18n-lib.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <librsvg/rsvg.h>
#include <gst/video/gstvideofilter.h>

#include "gstschoolwatermark.h"
#include "ccoverlay.h"
#include "cctext.h"

GST_DEBUG_CATEGORY_STATIC (gst_school_watermark_debug);
#define GST_CAT_DEFAULT gst_school_watermark_debug

typedef enum {
  CORNER_TOP_LEFT,
  CORNER_TOP_RIGHT,
  CORNER_BOTTOM_LEFT,
  CORNER_BOTTOM_RIGHT,
} Corner;

#define DEFAULT_LOGO_LOCATION NULL
#define DEFAULT_TEXT NULL
#define DEFAULT_CORNER CORNER_TOP_LEFT
#define DEFAULT_MARGIN 0.03
#define DEFAULT_LOGO_HEIGHT 0.08
#define DEFAULT_TEXT_SIZE 0.035
#define DEFAULT_OPACITY 0.85
#define DEFAULT_PLATFORM_SAFE FALSE
#define DEFAULT_FONT CC_TEXT_DEFAULT_FONT " Bold"

/* Short-video apps' UI bands on 9:16 frames, as fractions of the frame. */
#define SAFE_TOP 0.10
#define SAFE_RIGHT 0.15

/* The school name's look, relative to its character height: outline and
 * shadow that read on white and on black, and the gap to the logo. Below
 * MIN_TEXT_PX characters are not legible on any frame. */
#define MIN_TEXT_PX 4.0
#define TEXT_OUTLINE 0.08
#define TEXT_SHADOW 0.06
#define LOGO_GAP 0.4

enum
{
  PROP_0,
  PROP_LOGO_LOCATION,
  PROP_TEXT,
  PROP_CORNER,
  PROP_MARGIN,
  PROP_LOGO_HEIGHT,
  PROP_TEXT_SIZE,
  PROP_OPACITY,
  PROP_PLATFORM_SAFE,
  PROP_FONT,
};

struct _GstSchoolWatermark
{
  GstVideoFilter parent;

  /* properties, under the object lock; dirty tells the streaming thread to
   * render again, logo_dirty to load the logo again first */
  gchar *logo_location;
  gchar *text;
  Corner corner;
  gdouble margin, logo_height, text_size, opacity;
  gboolean platform_safe;
  gchar *font;
  gboolean dirty;
  gboolean logo_dirty;

  /* loaded logo, one of the two, under the object lock: start() loads it,
   * the streaming thread again after logo-location changed */
  GdkPixbuf *logo_pixbuf;
  RsvgHandle *logo_svg;

  /* streaming thread only (stop() clears comp and the store once it has
   * stopped) */
  GstVideoOverlayComposition *comp;
  CcBlender blender;
  CcFrameStore store;
  gboolean attach;
  gboolean ask_downstream;      /* new caps: does downstream compose? */
};

#define gst_school_watermark_parent_class parent_class
G_DEFINE_TYPE (GstSchoolWatermark, gst_school_watermark,
    GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (schoolwatermark, "schoolwatermark",
    GST_RANK_NONE, GST_TYPE_SCHOOL_WATERMARK);

#define GST_TYPE_SCHOOL_WATERMARK_CORNER (gst_school_watermark_corner_get_type ())
static GType
gst_school_watermark_corner_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {CORNER_TOP_LEFT, "Top left", "top-left"},
    {CORNER_TOP_RIGHT, "Top right", "top-right"},
    {CORNER_BOTTOM_LEFT, "Bottom left", "bottom-left"},
    {CORNER_BOTTOM_RIGHT, "Bottom right", "bottom-right"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstSchoolWatermarkCorner", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* Raw formats gst_video_overlay_composition_blend() handles. */
#define WATERMARK_CAPS GST_VIDEO_CAPS_MAKE ("{ I420, YV12, NV12, NV21, Y42B, " \
    "Y444, YUY2, UYVY, AYUV, BGRx, RGBx, xRGB, xBGR, BGRA, RGBA, ARGB, ABGR }")

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (WATERMARK_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (WATERMARK_CAPS));

static void gst_school_watermark_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_school_watermark_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static void gst_school_watermark_finalize (GObject * object);
static gboolean gst_school_watermark_start (GstBaseTransform * trans);
static gboolean gst_school_watermark_stop (GstBaseTransform * trans);
static GstFlowReturn gst_school_watermark_prepare_output_buffer
    (GstBaseTransform * trans, GstBuffer * in, GstBuffer ** out);
static gboolean gst_school_watermark_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);
static GstFlowReturn gst_school_watermark_transform_frame_ip (GstVideoFilter *
    filter, GstVideoFrame * frame);

static void
gst_school_watermark_class_init (GstSchoolWatermarkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  gobject_class->set_property = gst_school_watermark_set_property;
  gobject_class->get_property = gst_school_watermark_get_property;
  gobject_class->finalize = gst_school_watermark_finalize;
  trans_class->start = GST_DEBUG_FUNCPTR (gst_school_watermark_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_school_watermark_stop);
  trans_class->prepare_output_buffer =
      GST_DEBUG_FUNCPTR (gst_school_watermark_prepare_output_buffer);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_school_watermark_set_info);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_school_watermark_transform_frame_ip);

  g_object_class_install_property (gobject_class, PROP_LOGO_LOCATION,
      g_param_spec_string ("logo-location", "Logo location",
          "School logo file: PNG (alpha kept), JPEG or SVG. NULL = no logo",
          DEFAULT_LOGO_LOCATION, rw));
  g_object_class_install_property (gobject_class, PROP_TEXT,
      g_param_spec_string ("text", "Text",
          "School name shown beside the logo (UTF-8). NULL = no text",
          DEFAULT_TEXT, rw));
  g_object_class_install_property (gobject_class, PROP_CORNER,
      g_param_spec_enum ("corner", "Corner", "Corner of the frame",
          GST_TYPE_SCHOOL_WATERMARK_CORNER, DEFAULT_CORNER, rw));
  g_object_class_install_property (gobject_class, PROP_MARGIN,
      g_param_spec_double ("margin", "Margin",
          "Distance from the frame edges, as a fraction of the frame height",
          0.0, 0.5, DEFAULT_MARGIN, rw));
  g_object_class_install_property (gobject_class, PROP_LOGO_HEIGHT,
      g_param_spec_double ("logo-height", "Logo height",
          "Logo height as a fraction of the frame height", 0.01, 1.0,
          DEFAULT_LOGO_HEIGHT, rw));
  g_object_class_install_property (gobject_class, PROP_TEXT_SIZE,
      g_param_spec_double ("text-size", "Text size",
          "Height of the school name's characters, as a fraction of the frame "
          "height", 0.005, 0.5, DEFAULT_TEXT_SIZE, rw));
  g_object_class_install_property (gobject_class, PROP_OPACITY,
      g_param_spec_double ("opacity", "Opacity",
          "Opacity of the whole watermark (0 = invisible, 1 = opaque)",
          0.0, 1.0, DEFAULT_OPACITY, rw));
  g_object_class_install_property (gobject_class, PROP_PLATFORM_SAFE,
      g_param_spec_boolean ("platform-safe", "Platform safe",
          "On portrait frames, keep out of the short-video apps' top 10 % and "
          "right 15 %", DEFAULT_PLATFORM_SAFE, rw));
  g_object_class_install_property (gobject_class, PROP_FONT,
      g_param_spec_string ("font", "Font",
          "Pango font family and style for the school name", DEFAULT_FONT,
          rw));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "School watermark", "Filter/Effect/Video/Overlay",
      "Draws the school's logo and name with relative size, position and "
      "opacity", "campuscut developers <campuscut@invalid>");
  gst_type_mark_as_plugin_api (GST_TYPE_SCHOOL_WATERMARK_CORNER, 0);

  GST_DEBUG_CATEGORY_INIT (gst_school_watermark_debug, "schoolwatermark", 0,
      "campuscut school watermark");
}

static void
gst_school_watermark_init (GstSchoolWatermark * self)
{
  self->corner = DEFAULT_CORNER;
  self->margin = DEFAULT_MARGIN;
  self->logo_height = DEFAULT_LOGO_HEIGHT;
  self->text_size = DEFAULT_TEXT_SIZE;
  self->opacity = DEFAULT_OPACITY;
  self->platform_safe = DEFAULT_PLATFORM_SAFE;
  self->font = g_strdup (DEFAULT_FONT);
  self->dirty = TRUE;
  cc_blender_init (&self->blender);
  cc_blender_set_debug (&self->blender, GST_OBJECT_CAST (self),
      GST_CAT_DEFAULT);
  cc_frame_store_init (&self->store, GST_CAT_DEFAULT);
}

static void
clear_logo (GstSchoolWatermark * self)
{
  g_clear_object (&self->logo_pixbuf);
  g_clear_object (&self->logo_svg);
}

static void
gst_school_watermark_finalize (GObject * object)
{
  GstSchoolWatermark *self = GST_SCHOOL_WATERMARK (object);

  g_free (self->logo_location);
  g_free (self->text);
  g_free (self->font);
  clear_logo (self);
  if (self->comp)
    gst_video_overlay_composition_unref (self->comp);
  cc_blender_clear (&self->blender);
  cc_frame_store_clear (&self->store);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_school_watermark_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSchoolWatermark *self = GST_SCHOOL_WATERMARK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOGO_LOCATION:
      g_free (self->logo_location);
      self->logo_location = g_value_dup_string (value);
      self->logo_dirty = TRUE;
      break;
    case PROP_TEXT:
      g_free (self->text);
      self->text = g_value_dup_string (value);
      break;
    case PROP_CORNER:
      self->corner = g_value_get_enum (value);
      break;
    case PROP_MARGIN:
      self->margin = g_value_get_double (value);
      break;
    case PROP_LOGO_HEIGHT:
      self->logo_height = g_value_get_double (value);
      break;
    case PROP_TEXT_SIZE:
      self->text_size = g_value_get_double (value);
      break;
    case PROP_OPACITY:
      self->opacity = g_value_get_double (value);
      break;
    case PROP_PLATFORM_SAFE:
      self->platform_safe = g_value_get_boolean (value);
      break;
    case PROP_FONT:
      g_free (self->font);
      self->font = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  self->dirty = TRUE;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_school_watermark_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSchoolWatermark *self = GST_SCHOOL_WATERMARK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOGO_LOCATION:
      g_value_set_string (value, self->logo_location);
      break;
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    case PROP_CORNER:
      g_value_set_enum (value, self->corner);
      break;
    case PROP_MARGIN:
      g_value_set_double (value, self->margin);
      break;
    case PROP_LOGO_HEIGHT:
      g_value_set_double (value, self->logo_height);
      break;
    case PROP_TEXT_SIZE:
      g_value_set_double (value, self->text_size);
      break;
    case PROP_OPACITY:
      g_value_set_double (value, self->opacity);
      break;
    case PROP_PLATFORM_SAFE:
      g_value_set_boolean (value, self->platform_safe);
      break;
    case PROP_FONT:
      g_value_set_string (value, self->font);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
looks_like_svg (const gchar * path)
{
  gchar head[512] = { 0 };
  FILE *f = fopen (path, "rb");
  gboolean svg = FALSE;

  if (f) {
    size_t n = fread (head, 1, sizeof (head) - 1, f);
    head[n] = '\0';
    svg = strstr (head, "<svg") != NULL || (strstr (head, "<?xml") != NULL &&
        g_str_has_suffix (path, ".svg"));
    fclose (f);
  }
  return svg;
}

/* Loads the logo file; called with the object lock held. */
static gboolean
load_logo (GstSchoolWatermark * self, GError ** error)
{
  clear_logo (self);
  self->logo_dirty = FALSE;
  if (self->logo_location == NULL || *self->logo_location == '\0') {
    GST_INFO_OBJECT (self, "no logo");
    return TRUE;
  }
  if (looks_like_svg (self->logo_location))
    self->logo_svg = rsvg_handle_new_from_file (self->logo_location, error);
  else
    self->logo_pixbuf = gdk_pixbuf_new_from_file (self->logo_location, error);
  if (self->logo_svg)
    GST_INFO_OBJECT (self, "logo '%s': SVG", self->logo_location);
  else if (self->logo_pixbuf)
    GST_INFO_OBJECT (self, "logo '%s': %dx%d image%s", self->logo_location,
        gdk_pixbuf_get_width (self->logo_pixbuf),
        gdk_pixbuf_get_height (self->logo_pixbuf),
        gdk_pixbuf_get_has_alpha (self->logo_pixbuf) ? " with alpha" : "");
  return self->logo_svg != NULL || self->logo_pixbuf != NULL;
}

static gboolean
report_logo_error (GstSchoolWatermark * self, GError * err)
{
  gchar *location;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->logo_location);
  GST_OBJECT_UNLOCK (self);
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
      (_("Cannot read the school logo '%s': %s. Give a PNG, JPEG or SVG "
              "file."), location, err ? err->message : _("unknown format")),
      ("logo-location=%s", location));
  g_free (location);
  g_clear_error (&err);
  return FALSE;
}

static gboolean
gst_school_watermark_start (GstBaseTransform * trans)
{
  GstSchoolWatermark *self = GST_SCHOOL_WATERMARK (trans);
  GError *err = NULL;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  ok = load_logo (self, &err);
  self->dirty = TRUE;
  GST_OBJECT_UNLOCK (self);
  return ok ? TRUE : report_logo_error (self, err);
}

static gboolean
gst_school_watermark_stop (GstBaseTransform * trans)
{
  GstSchoolWatermark *self = GST_SCHOOL_WATERMARK (trans);

  cc_frame_store_clear (&self->store);
  if (self->comp) {
    gst_video_overlay_composition_unref (self->comp);
    self->comp = NULL;
  }
  return TRUE;
}

static GstFlowReturn
gst_school_watermark_prepare_output_buffer (GstBaseTransform * trans,
    GstBuffer * in, GstBuffer ** out)
{
  GstSchoolWatermark *self = GST_SCHOOL_WATERMARK (trans);

  return cc_frame_store_prepare (&self->store, trans, in, out);
}

static gboolean
gst_school_watermark_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstSchoolWatermark *self = GST_SCHOOL_WATERMARK (filter);

  GST_INFO_OBJECT (self, "caps %" GST_PTR_FORMAT, incaps);
  GST_OBJECT_LOCK (self);
  self->dirty = TRUE;
  GST_OBJECT_UNLOCK (self);
  cc_frame_store_set_info (&self->store, in_info);
  self->ask_downstream = TRUE;
  return TRUE;
}

/* GdkPixbuf holds straight RGB(A) bytes; cairo wants premultiplied
 * native-endian ARGB32. */
static cairo_surface_t *
pixbuf_to_surface (GdkPixbuf * pb)
{
  gint w = gdk_pixbuf_get_width (pb), h = gdk_pixbuf_get_height (pb);
  gint n = gdk_pixbuf_get_n_channels (pb);
  gint sstride = gdk_pixbuf_get_rowstride (pb);
  const guint8 *src = gdk_pixbuf_read_pixels (pb);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
      w, h);
  gint dstride = cairo_image_surface_get_stride (surface);
  guint8 *dst = cairo_image_surface_get_data (surface);

  for (gint y = 0; y < h; y++) {
    const guint8 *s = src + (gsize) y * sstride;
    guint32 *d = (guint32 *) (dst + (gsize) y * dstride);

    for (gint x = 0; x < w; x++, s += n) {
      guint a = n == 4 ? s[3] : 255;
      d[x] = (a << 24) | ((s[0] * a / 255) << 16) | ((s[1] * a / 255) << 8) |
          (s[2] * a / 255);
    }
  }
  cairo_surface_mark_dirty (surface);
  return surface;
}

/* Draws the logo scaled to logo_w x logo_h at (x, top). */
static void
draw_logo (GstSchoolWatermark * self, cairo_t * cr, gdouble x, gdouble top,
    gint logo_w, gint logo_h)
{
  if (self->logo_svg) {
    RsvgRectangle vp = { x, top, logo_w, logo_h };
    rsvg_handle_render_document (self->logo_svg, cr, &vp, NULL);
  } else if (self->logo_pixbuf) {
    GdkPixbuf *scaled = gdk_pixbuf_scale_simple (self->logo_pixbuf, logo_w,
        logo_h, GDK_INTERP_HYPER);
    cairo_surface_t *img = pixbuf_to_surface (scaled);

    cairo_set_source_surface (cr, img, x, top);
    cairo_paint (cr);
    cairo_surface_destroy (img);
    g_object_unref (scaled);
  }
}

static void
logo_aspect (GstSchoolWatermark * self, gdouble * aspect)
{
  *aspect = 1.0;
  if (self->logo_pixbuf) {
    *aspect = gdk_pixbuf_get_width (self->logo_pixbuf) /
        (gdouble) gdk_pixbuf_get_height (self->logo_pixbuf);
  } else if (self->logo_svg) {
    gdouble w, h;
    if (rsvg_handle_get_intrinsic_size_in_pixels (self->logo_svg, &w, &h) &&
        h > 0)
      *aspect = w / h;
  }
}

static const gchar *
corner_nick (Corner corner)
{
  GEnumValue *v = g_enum_get_value (g_type_class_peek
      (GST_TYPE_SCHOOL_WATERMARK_CORNER), corner);

  return v ? v->value_nick : "?";
}

/* Renders the whole watermark into one rectangle; object lock held. */
static GstVideoOverlayComposition *
render (GstSchoolWatermark * self, const GstVideoInfo * info)
{
  gint fw = GST_VIDEO_INFO_WIDTH (info), fh = GST_VIDEO_INFO_HEIGHT (info);
  gboolean have_logo = self->logo_svg || self->logo_pixbuf;
  cairo_surface_t *text = NULL, *surface;
  gint logo_w = 0, logo_h = 0, text_w = 0, text_h = 0, gap = 0, w, h, x, y;
  gdouble aspect, margin = self->margin * fh;
  GstVideoOverlayRectangle *rect;
  GstVideoOverlayComposition *comp;
  cairo_t *cr;

  if (fw <= 0 || fh <= 0 || (!have_logo && (!self->text || !*self->text))) {
    GST_INFO_OBJECT (self, "no logo and no text: nothing to draw");
    return NULL;
  }

  if (have_logo) {
    logo_aspect (self, &aspect);
    logo_h = MAX (1, (gint) (self->logo_height * fh + 0.5));
    logo_w = MAX (1, (gint) (logo_h * aspect + 0.5));
  }
  if (self->text && *self->text) {
    CcTextStyle st = {
      .font = self->font,
      .size_px = MAX (MIN_TEXT_PX, self->text_size * fh),
      .fill_argb = 0xffffffff,
      .outline_argb = 0xc0000000,
      .outline_px = MAX (1.0, self->text_size * fh * TEXT_OUTLINE),
      .shadow_px = MAX (1.0, self->text_size * fh * TEXT_SHADOW),
      .max_width_px = -1,
      .align = PANGO_ALIGN_LEFT,
    };
    text = cc_text_render (self->text, &st);
    text_w = cairo_image_surface_get_width (text);
    text_h = cairo_image_surface_get_height (text);
    gap = have_logo ? (gint) (st.size_px * LOGO_GAP) : 0;
    GST_DEBUG_OBJECT (self, "text '%s' in %s at %.1f px: %dx%d", self->text,
        self->font, st.size_px, text_w, text_h);
  }

  w = logo_w + gap + text_w;
  h = MAX (logo_h, text_h);
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cr = cairo_create (surface);
  /* The logo sits on the side of the frame edge, the name inwards. */
  if (self->corner == CORNER_TOP_RIGHT || self->corner == CORNER_BOTTOM_RIGHT) {
    if (text) {
      cairo_set_source_surface (cr, text, 0, (h - text_h) / 2.0);
      cairo_paint (cr);
    }
    draw_logo (self, cr, text_w + gap, (h - logo_h) / 2.0, logo_w, logo_h);
  } else {
    draw_logo (self, cr, 0, (h - logo_h) / 2.0, logo_w, logo_h);
    if (text) {
      cairo_set_source_surface (cr, text, logo_w + gap, (h - text_h) / 2.0);
      cairo_paint (cr);
    }
  }
  cairo_destroy (cr);
  if (text)
    cairo_surface_destroy (text);

  if (self->corner == CORNER_TOP_LEFT || self->corner == CORNER_BOTTOM_LEFT)
    x = (gint) margin;
  else
    x = (gint) (fw - margin - w);
  if (self->corner == CORNER_TOP_LEFT || self->corner == CORNER_TOP_RIGHT)
    y = (gint) margin;
  else
    y = (gint) (fh - margin - h);

  if (self->platform_safe && fh > fw) {
    gint corner_x = x, corner_y = y;

    y = MAX (y, (gint) (SAFE_TOP * fh));
    x = MIN (x, (gint) ((1.0 - SAFE_RIGHT) * fw) - w);
    if (x != corner_x || y != corner_y)
      GST_INFO_OBJECT (self, "portrait frame: moved from %d,%d to %d,%d, out "
          "of the apps' top %.0f %% and right %.0f %%", corner_x, corner_y, x,
          y, SAFE_TOP * 100, SAFE_RIGHT * 100);
  }
  x = CLAMP (x, 0, MAX (0, fw - w));
  y = CLAMP (y, 0, MAX (0, fh - h));

  rect = cc_overlay_rectangle_from_surface (surface, x, y, self->opacity);
  cairo_surface_destroy (surface);
  comp = gst_video_overlay_composition_new (rect);
  gst_video_overlay_rectangle_unref (rect);
  GST_INFO_OBJECT (self, "watermark %dx%d (logo %dx%d, gap %d, text %dx%d) "
      "at %d,%d on %dx%d, %s corner, margin %.0f px, opacity %.2f", w, h,
      logo_w, logo_h, gap, text_w, text_h, x, y, fw, fh,
      corner_nick (self->corner), margin, self->opacity);
  return comp;
}

static GstFlowReturn
gst_school_watermark_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstSchoolWatermark *self = GST_SCHOOL_WATERMARK (filter);
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  if (self->logo_dirty) {
    GST_DEBUG_OBJECT (self, "logo-location changed: loading the logo again");
    if (!load_logo (self, &err)) {
      GST_OBJECT_UNLOCK (self);
      report_logo_error (self, err);
      return GST_FLOW_ERROR;
    }
  }
  if (self->dirty) {
    GST_DEBUG_OBJECT (self, "new caps or properties: rendering again");
    self->dirty = FALSE;
    if (self->comp)
      gst_video_overlay_composition_unref (self->comp);
    self->comp = render (self, &filter->in_info);
  }
  GST_OBJECT_UNLOCK (self);

  if (self->ask_downstream) {
    self->ask_downstream = FALSE;
    self->attach = cc_overlay_peer_composes (GST_BASE_TRANSFORM_SRC_PAD
        (filter));
    GST_INFO_OBJECT (self, "downstream %s: the watermark %s",
        self->attach ? "composes overlay meta" : "does not compose overlay "
        "meta", self->attach ? "travels as meta" : "is blended into frames");
  }
  cc_overlay_apply (&self->blender, frame, self->comp, self->attach);
  return GST_FLOW_OK;
}
