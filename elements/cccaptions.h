/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Caption files as schools send them: SRT, WebVTT and ASS/SSA in UTF-8,
 * UTF-16 or the GB18030/GBK and Big5 that Windows editors save. Decoding,
 * parsing into cues, cue checks, Chinese line breaking and retiming for
 * cuts. GLib-only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CC_CAPTION_SRT,
  CC_CAPTION_VTT,
  CC_CAPTION_ASS,
} CcCaptionFormat;

typedef struct {
  guint64 start, end;           /* nanoseconds, media time */
  gchar *text;                  /* plain UTF-8, lines split by '\n' */
  guint line;                   /* 1-based line of the cue's timing */
  /* ASS only: the Dialogue line's fields before Start and after End, so
   * that a retimed event keeps its style, layer and overrides. */
  gchar *ass_head, *ass_tail;
} CcCaptionCue;

typedef struct {
  CcCaptionFormat format;
  gchar *encoding;              /* what the file was decoded from */
  GPtrArray *cues;              /* CcCaptionCue*, in file order */
  gchar *ass_header;            /* ASS: everything but the Dialogue lines */
} CcCaptionTrack;

#define CC_CAPTION_ERROR (cc_caption_error_quark ())
GQuark cc_caption_error_quark (void);

typedef enum {
  CC_CAPTION_ERROR_ENCODING,    /* no known encoding decodes the bytes */
  CC_CAPTION_ERROR_FORMAT,      /* not SRT, WebVTT or ASS */
  CC_CAPTION_ERROR_SYNTAX,      /* a malformed timing line */
  CC_CAPTION_ERROR_EMPTY,       /* no cue at all */
} CcCaptionError;

/* Decodes raw file bytes to UTF-8 (BOM stripped) and names the encoding.
 * On failure error says the line where decoding failed. */
gchar *cc_caption_decode (const gchar * data, gsize len, gchar ** encoding,
    GError ** error);

/* Parses a file's bytes (any supported encoding, any supported format: the
 * format is chosen from the content, never from the name). */
CcCaptionTrack *cc_caption_track_parse (const gchar * data, gsize len,
    GError ** error);
CcCaptionTrack *cc_caption_track_load (const gchar * path, GError ** error);
void cc_caption_track_free (CcCaptionTrack * track);
const gchar *cc_caption_format_name (CcCaptionFormat format);

/* The track as an ASS script (ASS input: its header with retimed events). */
gchar *cc_caption_track_to_ass (const CcCaptionTrack * track);

/* Indexes of the cues shown at time t, appended to out (guint). */
void cc_caption_track_active (const CcCaptionTrack * track, guint64 t,
    GArray * out);

/* Characters per second above which a caption is too fast to read. */
#define CC_CAPTION_MAX_CPS 10.0

/* Problems a reviewer should see, one human-readable line each:
 * overlaps, end before start, cues past video_end (0 = unknown), reading
 * speed above max_cps characters per second. */
GPtrArray *cc_caption_track_check (const CcCaptionTrack * track,
    guint64 video_end, gdouble max_cps);

/* A cut: keep [start, end) of the source, in order. */
typedef struct {
  guint64 start, end;
} CcSpan;

/* The captions of the kept spans on the cut's timeline: cues that overlap
 * a span are clipped to it and moved to where the span lands. */
CcCaptionTrack *cc_caption_track_retime (const CcCaptionTrack * track,
    const CcSpan * spans, guint n_spans);

/* Where the CJK blocks begin (CJK Radicals Supplement): letters and digits
 * below it (Latin, Greek, Cyrillic) form words that spaces separate; the
 * captions' Chinese, from it on, runs on without spaces. */
#define CC_CAPTION_CJK_FIRST 0x2e80

/* Characters that must not start a line (closing punctuation) and must not
 * end one (opening punctuation), after Chinese typesetting practice. */
gboolean cc_caption_no_line_start (gunichar c);
gboolean cc_caption_no_line_end (gunichar c);

/* Splits a caption line of n characters with the given advance widths into
 * at most two lines no wider than max_width, never breaking against the
 * rules above: after punctuation or a space when such a break fits (the
 * most balanced of them), otherwise the most balanced break. Returns the index of the first character of the second line,
 * 0 when it fits on one line, or -1 when two lines cannot hold it. */
gint cc_caption_break (const gunichar * chars, const gdouble * widths,
    guint n, gdouble max_width);

G_END_DECLS
