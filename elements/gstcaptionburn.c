/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * captionburn: Chinese captions from a caption file burned into video.
 *
 * Copyright (C) 2026 campuscut developers
 */

/**
 * SECTION:element-captionburn
 * @title: captionburn
 *
 * Schools send captions as SRT, WebVTT or ASS, in UTF-8, UTF-16 or the
 * GB18030/GBK and Big5 that Windows editors save. captionburn reads the
 * file named by #GstCaptionBurn:location, recognises format and encoding
 * from its content (a three-line SRT file is too small for typefinding), and
 * burns the captions into raw video:
 *
 * - SRT and WebVTT in the campaign's style: Noto Sans CJK SC, sized as a
 *   fraction of the frame's short side (so 720p, 1080p and 1080x1920 look
 *   alike), white with a dark outline and shadow that read on white and on
 *   black, bottom-centred in the safe area (portrait frames keep above the
 *   apps' bottom band), at most two lines, broken after Chinese typesetting
 *   rules (no line starts with a closing mark such as "，" or "。", none ends
 *   with an opening one) and balanced between the two lines;
 * - ASS/SSA with its own styles, positions and effects, rendered by libass.
 *
 * Timing follows the stream time of the video, so a source whose
 * timestamps start at 10 s still shows the first caption at its own 0 s.
 * Each caption is rendered once, when the set of visible cues changes, into
 * one overlay rectangle; downstream that composes
 * #GstVideoOverlayCompositionMeta receives it as meta, otherwise only the
 * rectangle's pixels are blended.
 *
 * Before any frame flows the element checks the file: overlapping cues,
 * cues that end before they start, captions read faster than
 * #GstCaptionBurn:max-reading-speed, and characters the font cannot show
 * (which would come out as boxes). It posts them in a `campuscut-captions`
 * element message, and warns for missing glyphs. Cues past the end of the
 * video are reported at EOS. Nothing is silently dropped.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=talk.mp4 ! decodebin ! videoconvert ! \
 *     captionburn location=talk.srt ! videoconvert ! autovideosink
 * ]|
 *
 * ## Element messages
 * `campuscut-captions`, once the file is read:
 *
 * - `location` (string): the caption file
 * - `format` (string): `SRT`, `WebVTT` or `ASS`
 * - `encoding` (string): e.g. `UTF-8`, `GB18030`, `UTF-16LE`, `Big5`
 * - `cues` (guint): number of cues
 * - `missing-glyphs` (string): characters the font lacks, empty when none
 * - `warnings` (GstValueList of strings): one line per problem, naming the
 *   cue and the file line
 *
 * `campuscut-captions-end`, at EOS:
 *
 * - `video-end` (guint64): stream time of the end of the last frame, ns
 * - `unshown` (GstValueList of strings): cues that start after the video
 *   ends or run past it
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib/gi18n-lib.h>
#include <ass/ass.h>
#include <gst/video/gstvideofilter.h>

#include "gstcaptionburn.h"
#include "cccaptions.h"
#include "cccutlist.h"
#include "ccoverlay.h"
#include "cctext.h"

GST_DEBUG_CATEGORY_STATIC (gst_caption_burn_debug);
#define GST_CAT_DEFAULT gst_caption_burn_debug

#define DEFAULT_LOCATION NULL
#define DEFAULT_FONT CC_TEXT_DEFAULT_FONT " Bold"
#define DEFAULT_FONT_SIZE 0.05
#define DEFAULT_BOTTOM_MARGIN -1.0
#define DEFAULT_MAX_READING_SPEED CC_CAPTION_MAX_CPS

/* Safe areas, as fractions of the frame height: broadcast action-safe for
 * landscape; for portrait, above the short-video apps' caption and button
 * band at the bottom. */
#define BOTTOM_LANDSCAPE 0.07
#define BOTTOM_PORTRAIT 0.22
/* Lines use at most this share of the frame width. */
#define LINE_WIDTH_LANDSCAPE 0.86
#define LINE_WIDTH_PORTRAIT 0.84
/* When two lines cannot hold a caption, shrink the font in these steps
 * down to MIN_SHRINK. */
#define MIN_SHRINK 0.7
#define SHRINK_STEP 0.05
/* Outline and shadow offset, relative to the font size, and their least
 * widths in pixels: legible on white and on black at any frame size. */
#define OUTLINE 0.09
#define MIN_OUTLINE_PX 1.5
#define SHADOW 0.05
#define MIN_SHADOW_PX 1.0

/* libass message levels (ass.h: 0 fatal to 7 verbose): errors and
 * warnings become GStreamer warnings, its informational messages (the font
 * it picked for a style) debug output, the rest is dropped. */
#define ASS_LEVEL_WARN 2
#define ASS_LEVEL_INFO 4

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_FONT,
  PROP_FONT_SIZE,
  PROP_BOTTOM_MARGIN,
  PROP_MAX_READING_SPEED,
  PROP_CUT,
};

struct _GstCaptionBurn
{
  GstVideoFilter parent;

  /* properties, under the object lock; dirty tells the streaming thread to
   * render again */
  gchar *location;
  gchar *font;
  gdouble font_size, bottom_margin, max_cps;
  gchar *cut;
  gboolean dirty;

  /* made in start() and freed in stop(), before and after streaming; used
   * by the streaming thread only in between */
  CcCaptionTrack *track;
  ASS_Library *ass_lib;
  ASS_Renderer *ass_renderer;
  ASS_Track *ass_track;

  /* streaming thread only (start() and stop() reset them before and after
   * it runs) */
  GstVideoOverlayComposition *comp;
  CcBlender blender;
  CcFrameStore store;
  GArray *shown;                /* cue indexes in comp */
  GArray *active;               /* scratch */
  gboolean attach, ask_downstream;
  GstClockTime video_end;
};

#define gst_caption_burn_parent_class parent_class
G_DEFINE_TYPE (GstCaptionBurn, gst_caption_burn, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (captionburn, "captionburn", GST_RANK_NONE,
    GST_TYPE_CAPTION_BURN);

#define CAPTION_CAPS GST_VIDEO_CAPS_MAKE ("{ I420, YV12, NV12, NV21, Y42B, " \
    "Y444, YUY2, UYVY, AYUV, BGRx, RGBx, xRGB, xBGR, BGRA, RGBA, ARGB, ABGR }")

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (CAPTION_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (CAPTION_CAPS));

static void gst_caption_burn_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_caption_burn_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_caption_burn_finalize (GObject * object);
static gboolean gst_caption_burn_start (GstBaseTransform * trans);
static gboolean gst_caption_burn_stop (GstBaseTransform * trans);
static GstFlowReturn gst_caption_burn_prepare_output_buffer (GstBaseTransform *
    trans, GstBuffer * in, GstBuffer ** out);
static gboolean gst_caption_burn_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static gboolean gst_caption_burn_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);
static GstFlowReturn gst_caption_burn_transform_frame_ip (GstVideoFilter *
    filter, GstVideoFrame * frame);

static void
gst_caption_burn_class_init (GstCaptionBurnClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  gobject_class->set_property = gst_caption_burn_set_property;
  gobject_class->get_property = gst_caption_burn_get_property;
  gobject_class->finalize = gst_caption_burn_finalize;
  trans_class->start = GST_DEBUG_FUNCPTR (gst_caption_burn_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_caption_burn_stop);
  trans_class->prepare_output_buffer =
      GST_DEBUG_FUNCPTR (gst_caption_burn_prepare_output_buffer);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_caption_burn_sink_event);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_caption_burn_set_info);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_caption_burn_transform_frame_ip);

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Caption file: SRT, WebVTT or ASS/SSA in UTF-8, UTF-16 (with BOM), "
          "GB18030/GBK or Big5", DEFAULT_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_FONT,
      g_param_spec_string ("font", "Font",
          "Pango font family and style for SRT and WebVTT captions (ASS "
          "files name their own)", DEFAULT_FONT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_FONT_SIZE,
      g_param_spec_double ("font-size", "Font size",
          "Character height as a fraction of the frame's short side (the "
          "height of a landscape frame)", 0.01, 0.3, DEFAULT_FONT_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_BOTTOM_MARGIN,
      g_param_spec_double ("bottom-margin", "Bottom margin",
          "Space below the captions as a fraction of the frame height; -1 = "
          "safe area for the orientation (7 % landscape, 22 % portrait)",
          -1.0, 0.9, DEFAULT_BOTTOM_MARGIN, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_READING_SPEED,
      g_param_spec_double ("max-reading-speed", "Maximum reading speed",
          "Characters per second above which a cue is reported as too fast "
          "to read (0 = no check)", 0.0, 100.0, DEFAULT_MAX_READING_SPEED,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_CUT,
      g_param_spec_string ("cut", "Cut",
          "When the video is a cut of the source (cutlist syntax, "
          "\"00:12.5-00:40,01:35-02:07\"), the captions of the kept segments "
          "at their new times; NULL = the video is the source",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Caption burner", "Filter/Effect/Video/Overlay/Subtitle",
      "Burns SRT, WebVTT and ASS captions into video with CJK typography",
      "campuscut developers <campuscut@invalid>");

  GST_DEBUG_CATEGORY_INIT (gst_caption_burn_debug, "captionburn", 0,
      "campuscut caption burner");
}

static void
gst_caption_burn_init (GstCaptionBurn * self)
{
  self->font = g_strdup (DEFAULT_FONT);
  self->font_size = DEFAULT_FONT_SIZE;
  self->bottom_margin = DEFAULT_BOTTOM_MARGIN;
  self->max_cps = DEFAULT_MAX_READING_SPEED;
  self->shown = g_array_new (FALSE, FALSE, sizeof (guint));
  self->active = g_array_new (FALSE, FALSE, sizeof (guint));
  cc_blender_init (&self->blender);
  cc_blender_set_debug (&self->blender, GST_OBJECT_CAST (self),
      GST_CAT_DEFAULT);
  cc_frame_store_init (&self->store, GST_CAT_DEFAULT);
}

static void
gst_caption_burn_finalize (GObject * object)
{
  GstCaptionBurn *self = GST_CAPTION_BURN (object);

  g_free (self->location);
  g_free (self->font);
  g_free (self->cut);
  g_array_unref (self->shown);
  g_array_unref (self->active);
  cc_blender_clear (&self->blender);
  cc_frame_store_clear (&self->store);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_caption_burn_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstCaptionBurn *self = GST_CAPTION_BURN (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_FONT:
      g_free (self->font);
      self->font = g_value_dup_string (value);
      break;
    case PROP_FONT_SIZE:
      self->font_size = g_value_get_double (value);
      break;
    case PROP_BOTTOM_MARGIN:
      self->bottom_margin = g_value_get_double (value);
      break;
    case PROP_MAX_READING_SPEED:
      self->max_cps = g_value_get_double (value);
      break;
    case PROP_CUT:
      g_free (self->cut);
      self->cut = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  self->dirty = TRUE;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_caption_burn_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstCaptionBurn *self = GST_CAPTION_BURN (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_FONT:
      g_value_set_string (value, self->font);
      break;
    case PROP_FONT_SIZE:
      g_value_set_double (value, self->font_size);
      break;
    case PROP_BOTTOM_MARGIN:
      g_value_set_double (value, self->bottom_margin);
      break;
    case PROP_MAX_READING_SPEED:
      g_value_set_double (value, self->max_cps);
      break;
    case PROP_CUT:
      g_value_set_string (value, self->cut);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GValue *
strings_to_list (GPtrArray * strings, GValue * list)
{
  g_value_init (list, GST_TYPE_LIST);
  for (guint i = 0; strings && i < strings->len; i++) {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, g_ptr_array_index (strings, i));
    gst_value_list_append_and_take_value (list, &v);
  }
  return list;
}

static gchar *
all_cue_text (const CcCaptionTrack * track)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < track->cues->len; i++)
    g_string_append (s, ((CcCaptionCue *) g_ptr_array_index (track->cues,
                i))->text);
  return g_string_free (s, FALSE);
}

static void
post_analysis (GstCaptionBurn * self, const gchar * location,
    const gchar * font, gdouble max_cps)
{
  GPtrArray *warnings = cc_caption_track_check (self->track, 0, max_cps);
  gchar *text = all_cue_text (self->track);
  gchar *missing = self->track->format == CC_CAPTION_ASS ? NULL :
      cc_text_missing_glyphs (text, font);
  GValue list = G_VALUE_INIT;
  GstStructure *s;

  s = gst_structure_new ("campuscut-captions",
      "location", G_TYPE_STRING, location,
      "format", G_TYPE_STRING, cc_caption_format_name (self->track->format),
      "encoding", G_TYPE_STRING, self->track->encoding,
      "cues", G_TYPE_UINT, self->track->cues->len,
      "missing-glyphs", G_TYPE_STRING, missing ? missing : "", NULL);
  gst_structure_take_value (s, "warnings", strings_to_list (warnings, &list));
  GST_INFO_OBJECT (self, "'%s': %s in %s, %u cue(s), %u problem(s)%s%s",
      location, cc_caption_format_name (self->track->format),
      self->track->encoding, self->track->cues->len, warnings->len,
      missing ? ", no glyph for: " : "", missing ? missing : "");
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
  if (missing)
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        (_("The caption font '%s' has no glyph for: %s. These characters "
                "would show as boxes; fix the caption file or choose another "
                "font."), font, missing), ("location %s", location));
  for (guint i = 0; i < warnings->len; i++)
    GST_INFO_OBJECT (self, "%s", (gchar *) g_ptr_array_index (warnings, i));
  g_ptr_array_unref (warnings);
  g_free (text);
  g_free (missing);
}

static void
ass_log (gint level, const gchar * fmt, va_list args, gpointer data)
{
  GstCaptionBurn *self = data;
  GstDebugLevel as = level <= ASS_LEVEL_WARN ? GST_LEVEL_WARNING :
      GST_LEVEL_DEBUG;
  gchar *m;

  if (level > ASS_LEVEL_INFO ||
      gst_debug_category_get_threshold (GST_CAT_DEFAULT) < as)
    return;
  m = g_strdup_vprintf (fmt, args);
  GST_CAT_LEVEL_LOG (GST_CAT_DEFAULT, as, self, "libass: %s", m);
  g_free (m);
}

static gboolean
setup_ass (GstCaptionBurn * self)
{
  gchar *script = cc_caption_track_to_ass (self->track);

  self->ass_lib = ass_library_init ();
  ass_set_message_cb (self->ass_lib, ass_log, self);
  ass_set_extract_fonts (self->ass_lib, 1);
  self->ass_renderer = ass_renderer_init (self->ass_lib);
  /* Styles that name a font the machine lacks fall back to the CJK one. */
  ass_set_fonts (self->ass_renderer, NULL, CC_TEXT_DEFAULT_FONT,
      ASS_FONTPROVIDER_AUTODETECT, NULL, 1);
  self->ass_track = ass_read_memory (self->ass_lib, script, strlen (script),
      (gchar *) "UTF-8");
  g_free (script);
  return self->ass_renderer && self->ass_track;
}

static gboolean
gst_caption_burn_start (GstBaseTransform * trans)
{
  GstCaptionBurn *self = GST_CAPTION_BURN (trans);
  GError *err = NULL;
  gchar *location, *font, *cut;
  gdouble max_cps;

  GST_OBJECT_LOCK (self);
  cut = g_strdup (self->cut);
  location = g_strdup (self->location);
  font = g_strdup (self->font);
  max_cps = self->max_cps;
  GST_OBJECT_UNLOCK (self);

  if (location == NULL)
    goto no_location;
  self->track = cc_caption_track_load (location, &err);
  if (self->track == NULL)
    goto bad_file;
  if (cut) {
    GArray *spans = cc_cutlist_parse (cut, &err);
    CcCaptionTrack *retimed;

    if (spans == NULL)
      goto bad_cut;
    retimed = cc_caption_track_retime (self->track, (CcSpan *) spans->data,
        spans->len);
    GST_INFO_OBJECT (self, "cut %s: %u of %u cue(s) fall in its %u "
        "segment(s), moved to their times in the cut", cut,
        retimed->cues->len, self->track->cues->len, spans->len);
    cc_caption_track_free (self->track);
    self->track = retimed;
    g_array_unref (spans);
  }
  if (self->track->format == CC_CAPTION_ASS) {
    if (!setup_ass (self))
      goto ass_failed;
    GST_INFO_OBJECT (self, "ASS: libass renders with the file's own styles");
  }

  post_analysis (self, location, font, max_cps);
  self->video_end = GST_CLOCK_TIME_NONE;
  g_array_set_size (self->shown, 0);
  g_free (location);
  g_free (font);
  g_free (cut);
  return TRUE;

  /* ERRORS */
bad_cut:
  {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, (_("Cut list: %s"),
            err->message), (NULL));
    g_clear_error (&err);
    g_free (location);
    g_free (font);
    g_free (cut);
    return FALSE;
  }
no_location:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        (_("No caption file given (location is not set).")), (NULL));
    g_free (font);
    g_free (cut);
    return FALSE;
  }
bad_file:
  {
    if (err->domain == G_FILE_ERROR)
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          (_("Cannot read the caption file '%s': %s"), location,
              err->message), (NULL));
    else
      GST_ELEMENT_ERROR (self, STREAM, DECODE,
          (_("Caption file '%s': %s"), location, err->message), (NULL));
    g_clear_error (&err);
    g_free (location);
    g_free (font);
    g_free (cut);
    return FALSE;
  }
ass_failed:
  {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT,
        (_("libass could not load the ASS file '%s'."), location), (NULL));
    g_free (location);
    g_free (font);
    g_free (cut);
    return FALSE;
  }
}

static gboolean
gst_caption_burn_stop (GstBaseTransform * trans)
{
  GstCaptionBurn *self = GST_CAPTION_BURN (trans);

  cc_frame_store_clear (&self->store);
  if (self->ass_track)
    ass_free_track (self->ass_track);
  if (self->ass_renderer)
    ass_renderer_done (self->ass_renderer);
  if (self->ass_lib)
    ass_library_done (self->ass_lib);
  self->ass_track = NULL;
  self->ass_renderer = NULL;
  self->ass_lib = NULL;
  cc_caption_track_free (self->track);
  self->track = NULL;
  if (self->comp) {
    gst_video_overlay_composition_unref (self->comp);
    self->comp = NULL;
  }
  return TRUE;
}

static GstFlowReturn
gst_caption_burn_prepare_output_buffer (GstBaseTransform * trans,
    GstBuffer * in, GstBuffer ** out)
{
  GstCaptionBurn *self = GST_CAPTION_BURN (trans);

  return cc_frame_store_prepare (&self->store, trans, in, out);
}

static gboolean
gst_caption_burn_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstCaptionBurn *self = GST_CAPTION_BURN (filter);
  gint w = GST_VIDEO_INFO_WIDTH (in_info), h = GST_VIDEO_INFO_HEIGHT (in_info);

  GST_INFO_OBJECT (self, "caps %" GST_PTR_FORMAT, incaps);
  if (self->ass_renderer) {
    ass_set_frame_size (self->ass_renderer, w, h);
    ass_set_storage_size (self->ass_renderer, w, h);
  }
  GST_OBJECT_LOCK (self);
  self->dirty = TRUE;
  GST_OBJECT_UNLOCK (self);
  cc_frame_store_set_info (&self->store, in_info);
  self->ask_downstream = TRUE;
  return TRUE;
}

static void
report_unshown (GstCaptionBurn * self)
{
  GPtrArray *all, *unshown;
  GValue list = G_VALUE_INIT;
  GstStructure *s;

  if (self->track == NULL || !GST_CLOCK_TIME_IS_VALID (self->video_end))
    return;
  all = cc_caption_track_check (self->track, self->video_end, 0);
  unshown = g_ptr_array_new ();
  for (guint i = 0; i < all->len; i++) {
    const gchar *w = g_ptr_array_index (all, i);
    if (strstr (w, "after the video ends") || strstr (w, "past the end")) {
      g_ptr_array_add (unshown, (gpointer) w);
      GST_INFO_OBJECT (self, "%s", w);
    }
  }
  GST_INFO_OBJECT (self, "video ended at %" GST_TIME_FORMAT ", %u cue(s) not "
      "shown in full", GST_TIME_ARGS (self->video_end), unshown->len);
  s = gst_structure_new ("campuscut-captions-end",
      "video-end", G_TYPE_UINT64, (guint64) self->video_end, NULL);
  gst_structure_take_value (s, "unshown", strings_to_list (unshown, &list));
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
  g_ptr_array_free (unshown, TRUE);
  g_ptr_array_unref (all);
}

static gboolean
gst_caption_burn_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstCaptionBurn *self = GST_CAPTION_BURN (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    report_unshown (self);
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
    GST_DEBUG_OBJECT (self, "flushed: drawing the cues again");
    g_array_set_size (self->shown, 0);  /* redraw after a seek */
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
    const GstSegment *segment;

    gst_event_parse_segment (event, &segment);
    GST_DEBUG_OBJECT (self, "cues follow the stream time of the %"
        GST_SEGMENT_FORMAT, segment);
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* SRT / WebVTT rendering ------------------------------------------------ */

/* Breaks one caption into at most two lines of max_w pixels, shrinking
 * the font when two lines cannot hold it. Returns the text with '\n'. */
static gchar *
layout_caption (const gchar * text, CcTextStyle * st, gdouble max_w)
{
  gchar *joined, *out = NULL;
  gchar **src_lines = g_strsplit (text, "\n", -1);
  gdouble base = st->size_px;
  gboolean fits = TRUE;

  /* Lines the author broke are kept when there are at most two and each
   * fits; otherwise the caption is broken anew. */
  if (g_strv_length (src_lines) <= 2) {
    for (guint i = 0; src_lines[i] && fits; i++) {
      gunichar *chars;
      gdouble *widths, w = 0;
      guint n;

      cc_text_char_widths (src_lines[i], st, &chars, &widths, &n);
      for (guint k = 0; k < n; k++)
        w += widths[k];
      fits = w <= max_w;
      g_free (chars);
      g_free (widths);
    }
    if (fits) {
      g_strfreev (src_lines);
      return g_strdup (text);
    }
  }
  /* Chinese runs on without spaces; Latin words keep one. */
  {
    GString *j = g_string_new (NULL);
    for (guint i = 0; src_lines[i]; i++) {
      if (i && j->len && g_unichar_isalnum (g_utf8_get_char
              (g_utf8_prev_char (j->str + j->len))) && src_lines[i][0] &&
          g_utf8_get_char (src_lines[i]) < CC_CAPTION_CJK_FIRST)
        g_string_append_c (j, ' ');
      g_string_append (j, src_lines[i]);
    }
    joined = g_string_free (j, FALSE);
  }
  g_strfreev (src_lines);

  for (gdouble scale = 1.0; scale >= MIN_SHRINK - 1e-9 && out == NULL;
      scale -= SHRINK_STEP) {
    gunichar *chars;
    gdouble *widths;
    guint n;
    gint brk;

    st->size_px = base * scale;
    cc_text_char_widths (joined, st, &chars, &widths, &n);
    brk = cc_caption_break (chars, widths, n, max_w);
    if (brk == 0) {
      out = g_strdup (joined);
    } else if (brk > 0) {
      const gchar *second = g_utf8_offset_to_pointer (joined, brk);
      gchar *first = g_strndup (joined, (gsize) (second - joined));
      out = g_strdup_printf ("%s\n%s", g_strchomp (first), second);
      g_free (first);
    }
    g_free (chars);
    g_free (widths);
  }
  if (out == NULL) {
    /* Too long even at the smallest size: let Pango wrap it. */
    st->max_width_px = (gint) max_w;
    out = g_strdup (joined);
  }
  g_free (joined);
  return out;
}

static GstVideoOverlayComposition *
render_cues (GstCaptionBurn * self, const GstVideoInfo * info)
{
  gint fw = GST_VIDEO_INFO_WIDTH (info), fh = GST_VIDEO_INFO_HEIGHT (info);
  gboolean portrait = fh > fw;
  gdouble bottom, size, max_w, y;
  GstVideoOverlayComposition *comp = NULL;

  GST_OBJECT_LOCK (self);
  size = self->font_size * MIN (fw, fh);
  bottom = (self->bottom_margin >= 0 ? self->bottom_margin :
      portrait ? BOTTOM_PORTRAIT : BOTTOM_LANDSCAPE) * fh;
  GST_OBJECT_UNLOCK (self);
  max_w = (portrait ? LINE_WIDTH_PORTRAIT : LINE_WIDTH_LANDSCAPE) * fw;
  y = fh - bottom;
  GST_DEBUG_OBJECT (self, "%s %dx%d: font %.1f px, %.0f px above the bottom, "
      "lines up to %.0f px", portrait ? "portrait" : "landscape", fw, fh, size,
      bottom, max_w);

  /* The newest cue at the bottom, earlier overlapping ones above it. */
  for (gint i = (gint) self->shown->len - 1; i >= 0; i--) {
    const CcCaptionCue *cue = g_ptr_array_index (self->track->cues,
        g_array_index (self->shown, guint, i));
    gchar *font;
    CcTextStyle st;
    cairo_surface_t *surface;
    gchar *text;
    gint w, h, x;
    GstVideoOverlayRectangle *rect;

    GST_OBJECT_LOCK (self);
    font = g_strdup (self->font);
    GST_OBJECT_UNLOCK (self);
    st = (CcTextStyle) {
      .font = font,.size_px = size,.fill_argb = 0xffffffff,
      .outline_argb = 0xe0101010,.outline_px = MAX (MIN_OUTLINE_PX,
          size * OUTLINE),.shadow_px = MAX (MIN_SHADOW_PX, size * SHADOW),
      .max_width_px = -1,.align = PANGO_ALIGN_CENTER,
    };
    text = layout_caption (cue->text, &st, max_w);
    surface = cc_text_render (text, &st);
    if (surface == NULL) {
      g_free (text);
      g_free (font);
      continue;
    }
    w = cairo_image_surface_get_width (surface);
    h = cairo_image_surface_get_height (surface);
    y -= h;
    x = CLAMP ((fw - w) / 2, 0, MAX (0, fw - w));
    if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) >= GST_LEVEL_DEBUG) {
      /* one log line: the line break shows as '|' */
      g_strdelimit (text, "\n", '|');
      GST_DEBUG_OBJECT (self, "cue %u (line %u) \"%s\": %dx%d at %d,%d%s%s",
          g_array_index (self->shown, guint, i) + 1, cue->line, text, w, h, x,
          (gint) MAX (0.0, y), st.size_px < size ? ", font shrunk to fit two "
          "lines" : "", st.max_width_px > 0 ? ", wrapped by Pango" : "");
    }
    g_free (text);
    g_free (font);
    rect = cc_overlay_rectangle_from_surface (surface, x, (gint) MAX (0.0, y),
        1.0);
    cairo_surface_destroy (surface);
    if (comp == NULL)
      comp = gst_video_overlay_composition_new (rect);
    else
      gst_video_overlay_composition_add_rectangle (comp, rect);
    gst_video_overlay_rectangle_unref (rect);
  }
  return comp;
}

/* ASS rendering --------------------------------------------------------- */

/* libass hands out alpha bitmaps with one colour each; paint them into one
 * premultiplied ARGB surface covering their union. */
static GstVideoOverlayComposition *
render_ass_images (ASS_Image * images)
{
  gint x0 = G_MAXINT, y0 = G_MAXINT, x1 = G_MININT, y1 = G_MININT;
  cairo_surface_t *surface;
  guint8 *data;
  gint stride;
  GstVideoOverlayRectangle *rect;
  GstVideoOverlayComposition *comp;

  for (ASS_Image * im = images; im; im = im->next) {
    if (im->w <= 0 || im->h <= 0)
      continue;
    x0 = MIN (x0, im->dst_x);
    y0 = MIN (y0, im->dst_y);
    x1 = MAX (x1, im->dst_x + im->w);
    y1 = MAX (y1, im->dst_y + im->h);
  }
  if (x0 >= x1 || y0 >= y1)
    return NULL;

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, x1 - x0, y1 - y0);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (ASS_Image * im = images; im; im = im->next) {
    guint r = (im->color >> 24) & 0xff, g = (im->color >> 16) & 0xff,
        b = (im->color >> 8) & 0xff, a = 255 - (im->color & 0xff);

    for (gint y = 0; y < im->h; y++) {
      guint32 *dst = (guint32 *) (data + (gsize) (im->dst_y - y0 + y) * stride)
          + (im->dst_x - x0);
      const guint8 *src = im->bitmap + (gsize) y * im->stride;

      for (gint x = 0; x < im->w; x++) {
        guint k = src[x] * a / 255, inv = 255 - k;
        guint32 d = dst[x];
        guint da = d >> 24, dr = (d >> 16) & 0xff, dg = (d >> 8) & 0xff,
            db = d & 0xff;

        if (k == 0)
          continue;
        /* premultiplied "over" */
        dst[x] = ((k + da * inv / 255) << 24) |
            ((r * k / 255 + dr * inv / 255) << 16) |
            ((g * k / 255 + dg * inv / 255) << 8) | (b * k / 255 + db * inv /
            255);
      }
    }
  }
  cairo_surface_mark_dirty (surface);
  rect = cc_overlay_rectangle_from_surface (surface, x0, y0, 1.0);
  cairo_surface_destroy (surface);
  comp = gst_video_overlay_composition_new (rect);
  gst_video_overlay_rectangle_unref (rect);
  return comp;
}

static gboolean
array_has (GArray * a, guint v)
{
  for (guint i = 0; i < a->len; i++)
    if (g_array_index (a, guint, i) == v)
      return TRUE;
  return FALSE;
}

/* Which cues leave and which appear at t: the ones shown so far against
 * the active ones. */
static void
log_cue_changes (GstCaptionBurn * self, GstClockTime t)
{
  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) < GST_LEVEL_DEBUG)
    return;
  for (guint i = 0; i < self->shown->len; i++) {
    guint k = g_array_index (self->shown, guint, i);

    if (!array_has (self->active, k))
      GST_DEBUG_OBJECT (self, "%" GST_TIME_FORMAT ": cue %u (line %u) hidden",
          GST_TIME_ARGS (t), k + 1, ((CcCaptionCue *) g_ptr_array_index
              (self->track->cues, k))->line);
  }
  for (guint i = 0; i < self->active->len; i++) {
    guint k = g_array_index (self->active, guint, i);
    const CcCaptionCue *cue = g_ptr_array_index (self->track->cues, k);

    if (!array_has (self->shown, k))
      GST_DEBUG_OBJECT (self, "%" GST_TIME_FORMAT ": cue %u (line %u) shown, "
          "%" GST_TIME_FORMAT " to %" GST_TIME_FORMAT, GST_TIME_ARGS (t),
          k + 1, cue->line, GST_TIME_ARGS (cue->start),
          GST_TIME_ARGS (cue->end));
  }
}

static GstFlowReturn
gst_caption_burn_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstCaptionBurn *self = GST_CAPTION_BURN (filter);
  GstBaseTransform *trans = GST_BASE_TRANSFORM (filter);
  GstBuffer *buf = frame->buffer;
  GstClockTime st;
  gboolean dirty;

  if (!GST_BUFFER_PTS_IS_VALID (buf) || self->track == NULL)
    return GST_FLOW_OK;
  st = gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  if (!GST_CLOCK_TIME_IS_VALID (st))
    return GST_FLOW_OK;
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    self->video_end = st + GST_BUFFER_DURATION (buf);
  else
    self->video_end = st;

  if (self->ask_downstream) {
    self->ask_downstream = FALSE;
    self->attach = cc_overlay_peer_composes (GST_BASE_TRANSFORM_SRC_PAD
        (trans));
    GST_INFO_OBJECT (self, "downstream %s: captions %s",
        self->attach ? "composes overlay meta" : "does not compose overlay "
        "meta", self->attach ? "travel as meta" : "are blended into frames");
  }

  GST_OBJECT_LOCK (self);
  dirty = self->dirty;
  self->dirty = FALSE;
  GST_OBJECT_UNLOCK (self);
  if (dirty)
    GST_DEBUG_OBJECT (self, "new caps or properties: rendering again");
  GST_LOG_OBJECT (self, "frame at %" GST_TIME_FORMAT, GST_TIME_ARGS (st));

  if (self->ass_track) {
    gint changed = 0;
    ASS_Image *images = ass_render_frame (self->ass_renderer, self->ass_track,
        (long long) (st / GST_MSECOND), &changed);

    if (changed || dirty) {
      if (self->comp)
        gst_video_overlay_composition_unref (self->comp);
      self->comp = render_ass_images (images);
      GST_DEBUG_OBJECT (self, "ASS image at %" GST_TIME_FORMAT ": %s",
          GST_TIME_ARGS (st), self->comp ? "new" : "none");
    }
  } else {
    g_array_set_size (self->active, 0);
    cc_caption_track_active (self->track, st, self->active);
    if (dirty || self->active->len != self->shown->len ||
        (self->active->len && memcmp (self->active->data, self->shown->data,
                self->active->len * sizeof (guint)) != 0)) {
      log_cue_changes (self, st);
      g_array_set_size (self->shown, 0);
      g_array_append_vals (self->shown, self->active->data, self->active->len);
      if (self->comp)
        gst_video_overlay_composition_unref (self->comp);
      self->comp = self->shown->len ? render_cues (self, &filter->in_info) :
          NULL;
    }
  }

  cc_overlay_apply (&self->blender, frame, self->comp, self->attach);
  return GST_FLOW_OK;
}
