/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Text for overlays: Pango layouts in the campaign's CJK font, drawn with
 * an outline so they read on white and on black, and the check that every
 * character has a glyph in the chosen font (no tofu in a delivered video).
 */
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>

G_BEGIN_DECLS

#define CC_TEXT_DEFAULT_FONT "Noto Sans CJK SC"

typedef struct {
  const gchar *font;            /* family (and style), e.g. "Noto Sans CJK SC Bold" */
  gdouble size_px;              /* em height in pixels */
  guint32 fill_argb;
  guint32 outline_argb;
  gdouble outline_px;           /* 0 = none */
  gdouble shadow_px;            /* offset of a soft drop shadow, 0 = none */
  gint max_width_px;            /* wrap width, -1 = no wrapping */
  PangoAlignment align;
  gboolean markup;              /* text is Pango markup */
} CcTextStyle;

/* Renders text into a new premultiplied ARGB32 surface just large enough
 * for it (outline and shadow included). NULL for empty text. */
cairo_surface_t *cc_text_render (const gchar * text, const CcTextStyle * style);

/* Advance width in pixels of every character of a one-line text, as laid
 * out in style; returns the characters, widths and count. */
void cc_text_char_widths (const gchar * text, const CcTextStyle * style,
    gunichar ** chars, gdouble ** widths, guint * n);

/* Characters of text (UTF-8) that the font cannot show, as a newly
 * allocated UTF-8 string of distinct characters; NULL when all are there. */
gchar *cc_text_missing_glyphs (const gchar * text, const gchar * font);

G_END_DECLS
