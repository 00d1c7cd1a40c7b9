/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Overlay text rendering with Pango and cairo. Layouts use a private font
 * map so that rendering from several streaming threads never shares
 * Pango state.
 */
#include <string.h>

#include "cctext.h"

static PangoContext *
new_context (void)
{
  PangoFontMap *map = pango_cairo_font_map_new ();
  PangoContext *ctx = pango_font_map_create_context (map);
  cairo_font_options_t *opts = cairo_font_options_create ();

  cairo_font_options_set_antialias (opts, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style (opts, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options (ctx, opts);
  cairo_font_options_destroy (opts);
  g_object_unref (map);
  return ctx;
}

static PangoLayout *
new_layout (PangoContext * ctx, const gchar * text, const CcTextStyle * st)
{
  PangoLayout *layout = pango_layout_new (ctx);
  PangoFontDescription *desc = pango_font_description_from_string (st->font ?
      st->font : CC_TEXT_DEFAULT_FONT);

  pango_font_description_set_absolute_size (desc, st->size_px * PANGO_SCALE);
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);
  pango_layout_set_alignment (layout, st->align);
  if (st->max_width_px > 0) {
    pango_layout_set_width (layout, st->max_width_px * PANGO_SCALE);
    pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  }
  if (st->markup)
    pango_layout_set_markup (layout, text, -1);
  else
    pango_layout_set_text (layout, text, -1);
  return layout;
}

static void
set_argb (cairo_t * cr, guint32 argb)
{
  cairo_set_source_rgba (cr, ((argb >> 16) & 0xff) / 255.0,
      ((argb >> 8) & 0xff) / 255.0, (argb & 0xff) / 255.0,
      ((argb >> 24) & 0xff) / 255.0);
}

cairo_surface_t *
cc_text_render (const gchar * text, const CcTextStyle * st)
{
  PangoContext *ctx;
  PangoLayout *layout;
  PangoRectangle ink, logical;
  cairo_surface_t *surface;
  cairo_t *cr;
  gdouble pad;
  gint w, h;

  if (text == NULL || *text == '\0')
    return NULL;

  ctx = new_context ();
  layout = new_layout (ctx, text, st);
  pango_layout_get_pixel_extents (layout, &ink, &logical);
  pad = st->outline_px + st->shadow_px + 1;
  w = (gint) (MAX (logical.width, ink.x + ink.width) + 2 * pad);
  h = (gint) (MAX (logical.height, ink.y + ink.height) + 2 * pad);
  w = MAX (w, 1);
  h = MAX (h, 1);

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cr = cairo_create (surface);
  cairo_translate (cr, pad - MIN (logical.x, 0), pad);
  pango_cairo_update_layout (cr, layout);

  if (st->shadow_px > 0) {
    cairo_save (cr);
    cairo_translate (cr, st->shadow_px, st->shadow_px);
    cairo_set_source_rgba (cr, 0, 0, 0, 0.6);
    pango_cairo_show_layout (cr, layout);
    cairo_restore (cr);
  }
  if (st->outline_px > 0) {
    /* Stroke first, fill over it: the outline only grows outwards. */
    pango_cairo_layout_path (cr, layout);
    set_argb (cr, st->outline_argb);
    cairo_set_line_width (cr, 2 * st->outline_px);
    cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
    cairo_stroke (cr);
  }
  set_argb (cr, st->fill_argb);
  pango_cairo_show_layout (cr, layout);

  cairo_destroy (cr);
  g_object_unref (layout);
  g_object_unref (ctx);
  cairo_surface_flush (surface);
  return surface;
}

void
cc_text_char_widths (const gchar * text, const CcTextStyle * st,
    gunichar ** chars, gdouble ** widths, guint * n)
{
  PangoContext *ctx = new_context ();
  CcTextStyle one_line = *st;
  PangoLayout *layout;
  guint count = (guint) g_utf8_strlen (text, -1), i = 0;

  one_line.max_width_px = -1;
  one_line.markup = FALSE;
  layout = new_layout (ctx, text, &one_line);
  *chars = g_new (gunichar, count + 1);
  *widths = g_new (gdouble, count + 1);
  for (const gchar * p = text; *p && i < count; p = g_utf8_next_char (p), i++) {
    PangoRectangle pos;

    pango_layout_index_to_pos (layout, (gint) (p - text), &pos);
    (*chars)[i] = g_utf8_get_char (p);
    (*widths)[i] = ABS (pos.width) / (gdouble) PANGO_SCALE;
  }
  *n = i;
  g_object_unref (layout);
  g_object_unref (ctx);
}

gchar *
cc_text_missing_glyphs (const gchar * text, const gchar * font)
{
  PangoContext *ctx = new_context ();
  PangoFontDescription *desc = pango_font_description_from_string (font ?
      font : CC_TEXT_DEFAULT_FONT);
  PangoFont *pf;
  GString *missing = g_string_new (NULL);

  pango_font_description_set_absolute_size (desc, 32 * PANGO_SCALE);
  pf = pango_context_load_font (ctx, desc);
  for (const gchar * p = text; pf && *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    gchar utf8[8] = { 0 };

    if (g_unichar_iscntrl (c) || g_unichar_isspace (c) ||
        g_unichar_type (c) == G_UNICODE_FORMAT)
      continue;
    if (pango_font_has_char (pf, c))
      continue;
    g_unichar_to_utf8 (c, utf8);
    if (strstr (missing->str, utf8) == NULL)
      g_string_append (missing, utf8);
  }
  if (pf)
    g_object_unref (pf);
  pango_font_description_free (desc);
  g_object_unref (ctx);
  if (missing->len == 0) {
    g_string_free (missing, TRUE);
    return NULL;
  }
  return g_string_free (missing, FALSE);
}
