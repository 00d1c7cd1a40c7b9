/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for caption files: every byte string goes through what a
 * school's caption file goes through (encoding detection, format detection,
 * SRT/WebVTT/ASS parsing, checks, active-cue lookup, retiming for a cut,
 * ASS rebuilding, line breaking of each cue), and what comes out must hold
 * the parser's promises: valid UTF-8, cues with end >= start or flagged by
 * the checks, retimed cues inside the cut. The checks themselves give
 * exactly the warnings cccaptions.h lists: a cue that ends before it
 * starts, one too fast to read, one past or after the end of the video,
 * and cues shown together named in an overlap warning (see the known gap
 * in check_warnings); none twice, and none that is not so.
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

#define VIDEO_END (60 * G_GUINT64_CONSTANT (1000000000))

/* What a cue must be warned about; one bit each. */
enum {
  W_ENDS_FIRST = 1 << 0,
  W_TOO_FAST = 1 << 1,
  W_AFTER_END = 1 << 2,
  W_PAST_END = 1 << 3,
};

static gboolean
shown (const CcCaptionCue * c)
{
  return c->end > c->start;
}

static guint
expected_warnings (const CcCaptionCue * c)
{
  guint w = 0;

  if (!shown (c)) {
    w |= W_ENDS_FIRST;
  } else {
    /* letters and digits are what a reader spells out: the check's count */
    guint chars = 0;
    gdouble secs = (c->end - c->start) / 1e9;

    for (const gchar * p = c->text; *p; p = g_utf8_next_char (p))
      if (g_unichar_isalnum (g_utf8_get_char (p)))
        chars++;
    if (chars / secs > CC_CAPTION_MAX_CPS)
      w |= W_TOO_FAST;
  }
  if (c->start >= VIDEO_END)
    w |= W_AFTER_END;
  else if (c->end > VIDEO_END)
    w |= W_PAST_END;
  return w;
}

/* Sorts indexes of cues by the cues' start. */
static gint
by_start (gconstpointer a, gconstpointer b, gpointer data)
{
  const CcCaptionTrack *track = data;
  const CcCaptionCue *x = g_ptr_array_index (track->cues,
      GPOINTER_TO_UINT (*(gpointer const *) a));
  const CcCaptionCue *y = g_ptr_array_index (track->cues,
      GPOINTER_TO_UINT (*(gpointer const *) b));
  return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

/* Whether some cue with timing line a and some with line b are shown
 * together; lines maps a timing line to the indexes of its cues. */
static gboolean
lines_overlap (const CcCaptionTrack * track, GHashTable * lines, guint a,
    guint b)
{
  GArray *as = g_hash_table_lookup (lines, GUINT_TO_POINTER (a));
  GArray *bs = g_hash_table_lookup (lines, GUINT_TO_POINTER (b));

  for (guint i = 0; as && bs && i < as->len; i++) {
    guint ki = g_array_index (as, guint, i);
    CcCaptionCue *x = g_ptr_array_index (track->cues, ki);

    for (guint j = 0; shown (x) && j < bs->len; j++) {
      guint kj = g_array_index (bs, guint, j);
      CcCaptionCue *y = g_ptr_array_index (track->cues, kj);

      if (kj != ki && shown (y) && x->start < y->end && y->start < x->end)
        return TRUE;
    }
  }
  return FALSE;
}

/* Compares cc_caption_track_check's warnings with what the cues call for. */
static void
check_warnings (const CcCaptionTrack * track, GPtrArray * warnings)
{
  guint n = track->cues->len;
  guint *want = g_new0 (guint, n), *seen = g_new0 (guint, n);
  gboolean *must_name = g_new0 (gboolean, n);
  GHashTable *named = g_hash_table_new (NULL, NULL);
  GHashTable *lines = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) g_array_unref);
  GPtrArray *sorted = g_ptr_array_new ();

  for (guint i = 0; i < n; i++) {
    CcCaptionCue *c = g_ptr_array_index (track->cues, i);
    GArray *same = g_hash_table_lookup (lines, GUINT_TO_POINTER (c->line));

    if (same == NULL) {
      same = g_array_new (FALSE, FALSE, sizeof (guint));
      g_hash_table_insert (lines, GUINT_TO_POINTER (c->line), same);
    }
    g_array_append_val (same, i);
    want[i] = expected_warnings (c);
    g_ptr_array_add (sorted, GUINT_TO_POINTER (i));
  }
  /* Two shown cues next to each other in start order that overlap must
   * both be named. KNOWN BUG in cc_caption_track_check (reported, not yet
   * fixed): it compares only such neighbours, so a cue that overlaps a
   * longer, earlier one past its neighbour ("0-10 s, 1-2 s, 3-4 s": the
   * third is not named), or two overlapping cues with a cue that ends
   * before it starts sorted between them ("0-10 s, 1-0.5 s, 2-3 s": no
   * overlap warning at all), go unwarned. Once it is fixed, require every
   * cue shown together with another to be named. */
  g_ptr_array_sort_with_data (sorted, by_start, (gpointer) track);
  for (guint i = 1; i < sorted->len; i++) {
    guint kp = GPOINTER_TO_UINT (g_ptr_array_index (sorted, i - 1));
    guint kc = GPOINTER_TO_UINT (g_ptr_array_index (sorted, i));
    CcCaptionCue *prev = g_ptr_array_index (track->cues, kp);
    CcCaptionCue *c = g_ptr_array_index (track->cues, kc);

    if (shown (prev) && shown (c) && c->start < prev->end)
      must_name[kp] = must_name[kc] = TRUE;
  }

  for (guint w = 0; w < warnings->len; w++) {
    const gchar *text = g_ptr_array_index (warnings, w);
    guint cue = 0, line = 0, other = 0;
    gint at = -1;
    guint kind = 0;

    if (text == NULL || !g_utf8_validate (text, -1, NULL))
      BROKEN ();
    if (sscanf (text, "the cue at line %u overlaps the cue at line %u;%n",
            &line, &other, &at) == 2 && at > 0) {
      /* no false alarm: those two are shown together */
      if (!lines_overlap (track, lines, line, other))
        BROKEN ();
      g_hash_table_add (named, GUINT_TO_POINTER (line));
      g_hash_table_add (named, GUINT_TO_POINTER (other));
      continue;
    }
    if (sscanf (text, "cue %u (line %u) %n", &cue, &line, &at) != 2 ||
        at < 0 || cue == 0 || cue > n ||
        ((CcCaptionCue *) g_ptr_array_index (track->cues, cue - 1))->line !=
        line)
      BROKEN ();
    if (g_str_has_prefix (text + at, "ends before it starts"))
      kind = W_ENDS_FIRST;
    else if (g_str_has_prefix (text + at, "has ") &&
        strstr (text + at, "too fast to read"))
      kind = W_TOO_FAST;
    else if (g_str_has_prefix (text + at, "starts at ") &&
        strstr (text + at, "after the video ends"))
      kind = W_AFTER_END;
    else if (g_str_has_prefix (text + at, "runs past the end of the video"))
      kind = W_PAST_END;
    /* a warning the cue does not call for, or the same one twice */
    if (kind == 0 || !(want[cue - 1] & kind) || (seen[cue - 1] & kind)) {
      fprintf (stderr, "unexpected warning: %s\n", text);
      BROKEN ();
    }
    seen[cue - 1] |= kind;
  }

  for (guint i = 0; i < n; i++) {
    CcCaptionCue *c = g_ptr_array_index (track->cues, i);

    if (seen[i] != want[i]) {
      fprintf (stderr, "cue %u (line %u): warnings 0x%x, expected 0x%x\n",
          i + 1, c->line, seen[i], want[i]);
      BROKEN ();
    }
    if (must_name[i] && !g_hash_table_contains (named,
            GUINT_TO_POINTER (c->line))) {
      fprintf (stderr, "cue %u (line %u) overlaps another cue, and no "
          "warning says so\n", i + 1, c->line);
      BROKEN ();
    }
  }
  g_hash_table_unref (named);
  g_hash_table_unref (lines);
  g_ptr_array_free (sorted, TRUE);
  g_free (must_name);
  g_free (seen);
  g_free (want);
}

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
    GPtrArray *warnings = cc_caption_track_check (track, VIDEO_END,
        CC_CAPTION_MAX_CPS);
    GArray *active = g_array_new (FALSE, FALSE, sizeof (guint));
    CcSpan spans[2] = {
      {G_GUINT64_CONSTANT (1000000000), G_GUINT64_CONSTANT (5000000000)},
      {G_GUINT64_CONSTANT (7000000000), G_GUINT64_CONSTANT (9000000000)},
    };
    CcCaptionTrack *cut;
    gchar *ass;

    check_warnings (track, warnings);
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
