/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for caption files: every byte string goes through what a
 * school's caption file goes through (encoding detection, format detection,
 * SRT/WebVTT/ASS parsing, checks, active-cue lookup, retiming for a cut,
 * ASS rebuilding, line breaking of each cue), and what comes out must hold
 * the parser's promises: valid UTF-8, cues with end >= start or flagged by
 * the checks, retimed cues inside the cut.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cccaptions.h"

static void
quiet_log (const gchar * domain, GLogLevelFlags level, const gchar * message,
    gpointer data)
{
}

/* An invariant does not hold: say which, and let libFuzzer keep the input. */
#define BROKEN() \
  do { fprintf (stderr, "invariant broken at %s:%d\n", __FILE__, __LINE__); \
    abort (); } while (0)

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GError *err = NULL;
  CcCaptionTrack *track;
  static gboolean init;

  if (!init) {
    g_log_set_default_handler (quiet_log, NULL);
    init = TRUE;
  }

  track = cc_caption_track_parse ((const gchar *) data, size, &err);
  if (track == NULL) {
    /* a rejected file always says why */
    if (err == NULL || err->message == NULL || !*err->message)
      BROKEN ();
    g_error_free (err);
    return 0;
  }
  if (err != NULL || track->cues->len == 0)
    BROKEN ();

  {
    GPtrArray *warnings = cc_caption_track_check (track, 60 * G_GUINT64_CONSTANT
        (1000000000), CC_CAPTION_MAX_CPS);
    GArray *active = g_array_new (FALSE, FALSE, sizeof (guint));
    CcSpan spans[2] = {
      {G_GUINT64_CONSTANT (1000000000), G_GUINT64_CONSTANT (5000000000)},
      {G_GUINT64_CONSTANT (7000000000), G_GUINT64_CONSTANT (9000000000)},
    };
    CcCaptionTrack *cut;
    gchar *ass;

    for (guint i = 0; i < track->cues->len; i++) {
      CcCaptionCue *c = g_ptr_array_index (track->cues, i);
      glong n = 0;
      gunichar *chars;

      if (!g_utf8_validate (c->text, -1, NULL))
        BROKEN ();
      cc_caption_track_active (track, c->start, active);
      /* break each cue's text as the renderer would, at unit widths */
      chars = g_utf8_to_ucs4_fast (c->text, -1, &n);
      if (n > 0 && n < 4096) {
        gdouble *widths = g_new (gdouble, n);
        gint at;

        for (glong k = 0; k < n; k++)
          widths[k] = chars[k] < 0x80 ? 0.5 : 1.0;
        at = cc_caption_break (chars, widths, (guint) n, 12.0);
        if (at > (gint) n || at < -1)
          BROKEN ();
        g_free (widths);
      }
      g_free (chars);
    }

    cut = cc_caption_track_retime (track, spans, 2);
    if (cut) {
      for (guint i = 0; i < cut->cues->len; i++) {
        CcCaptionCue *c = g_ptr_array_index (cut->cues, i);
        /* the cut is 6 s long */
        if (c->end > G_GUINT64_CONSTANT (6000000000) || c->start > c->end)
          BROKEN ();
      }
      cc_caption_track_free (cut);
    }
    /* an ASS file is rebuilt (retimed) as ASS; the others are not */
    ass = cc_caption_track_to_ass (track);
    if ((track->format == CC_CAPTION_ASS) != (ass != NULL) ||
        (ass && !g_utf8_validate (ass, -1, NULL)))
      BROKEN ();
    g_free (ass);
    g_array_unref (active);
    g_ptr_array_unref (warnings);
  }
  cc_caption_track_free (track);
  return 0;
}
