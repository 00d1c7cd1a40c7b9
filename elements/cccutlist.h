/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Cut lists for the platform cut: syntax, automatic choice, frame grid.
 *
 * The text syntax media teams write and the report prints
 * ("00:12.5-00:40,01:35-02:07"), the automatic choice of segments from the
 * signals a source offers, and the cut on the output's frame grid.
 * GLib-only.
 */
#pragma once

#include <glib.h>

#include "cccaptions.h"

G_BEGIN_DECLS

#define CC_CUTLIST_ERROR (cc_cutlist_error_quark ())
GQuark cc_cutlist_error_quark (void);

/* Parses "A-B,C-D" with times as [[h:]m:]s[.f]; spans must be in order,
 * not overlap and not be empty. Returns an array of CcSpan. */
GArray *cc_cutlist_parse (const gchar * text, GError ** error);
/* The list in the same syntax, times as m:ss.sss. */
gchar *cc_cutlist_format (const CcSpan * spans, guint n);
guint64 cc_cutlist_total (const CcSpan * spans, guint n);

/* One decoded keyframe of the source, as the analysis pass saw it. */
typedef struct {
  guint64 t;                    /* stream time, ns */
  gdouble luma;                 /* mean luma, 16 (black) .. 235 */
  gdouble change;               /* mean absolute difference to the previous
                                 * keyframe's thumbnail, 0 .. 255 */
} CcKeyframe;

/* What the automatic selection looks at. */
typedef struct {
  guint64 duration;             /* of the source, ns */
  const CcCaptionTrack *captions;       /* may be NULL */
  /* momentary loudness (LUFS, -inf for silence) every step ns from 0 */
  const gdouble *loudness;
  guint n_loudness;
  guint64 loudness_step;
  /* keyframes in time order (may be none): black and frozen stretches
   * are avoided, units starting at a shot change preferred */
  const CcKeyframe *keyframes;
  guint n_keyframes;
  guint64 min_total, max_total; /* e.g. 45 s and 60 s */
} CcCutSignals;

typedef struct {
  CcSpan span;
  gchar *reason;
} CcCutChoice;

/* Chooses segments in story order that fill min_total..max_total (or the
 * whole source when shorter), never cutting inside a caption cue,
 * avoiding silent, black and frozen stretches and keeping the opening. Returns CcCutChoice*
 * (free with g_ptr_array_unref). */
GPtrArray *cc_cutlist_choose (const CcCutSignals * sig);

/* The platform cut ------------------------------------------------------ */

/* The automatic platform cut fills at least this much (45 s) of the
 * platform category's maximum: its CcCutSignals.min_total. */
#define CC_PLATFORM_CUT_MIN (G_GUINT64_CONSTANT (45) * 1000000000)

/* The spans of cc_cutlist_choose's choices, in order (array of CcSpan). */
GArray *cc_cutlist_choice_spans (const GPtrArray * choices);

/* Puts spans (CcSpan) on the output's frame grid, frame ns apart: starts to
 * the nearest frame, ends down to a whole frame, so that no clipped frame
 * makes a track longer than its list. Spans left empty are removed. */
void cc_cutlist_snap (GArray * spans, guint64 frame);

/* Ends spans (CcSpan) at end, where the video does: what lies beyond
 * cannot be cut from it. Spans left empty are removed. */
void cc_cutlist_clip (GArray * spans, guint64 end);

/* Whether a platform cut can be made. */
typedef enum {
  CC_CUT_FITS = 0,
  CC_CUT_EMPTY,                 /* nothing is left on the frame grid */
  CC_CUT_TOO_LONG,              /* longer than the maximum */
} CcCutFit;

/* Snaps spans with cc_cutlist_snap and checks what is left: something, and
 * at most max_total; *total receives its length. choices, the
 * cc_cutlist_choose result the spans came from (or NULL), then hold the
 * spans as cut, so that each reason names what is delivered; when the grid
 * removed a span they are left as chosen. */
CcCutFit cc_cutlist_fit (GArray * spans, GPtrArray * choices, guint64 frame,
    guint64 max_total, guint64 * total);

G_END_DECLS
