/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Cut lists: parsing, formatting, the automatic choice, the platform cut.
 *
 * The choice works on units a viewer would not want split: a caption cue,
 * or a run of cues with short pauses, padded into the pauses; without
 * captions, runs of sound between silences. Each unit is scored by how
 * loud (alive) it is and how much of it is silent; the opening unit is
 * always kept (the hook), then the best units until the cut is full, and
 * the result is put back in story order. The platform cut, given or
 * chosen, is then put on the output's frame grid and checked.
 */
#include <math.h>
#include <string.h>

#include "cccutlist.h"

G_DEFINE_QUARK (cc-cutlist-error-quark, cc_cutlist_error);

#define S(x) ((guint64) ((x) * GST_SECOND_F))
#define GST_SECOND_F 1e9
#define MAX_UNIT S (12)         /* a run of cues longer than this splits */
#define CUE_JOIN S (0.8)        /* cues closer than this form one unit */
#define PAD S (0.25)            /* breathing room before and after speech */
#define BLACK_LUMA 24.0         /* limited-range black is 16 */
#define FROZEN_CHANGE 0.75      /* thumbnails this alike: nothing moves */
#define SHOT_CHANGE 25.0        /* thumbnails this different: a new shot */

static gboolean
parse_time (const gchar ** p, guint64 * ns)
{
  const gchar *s = *p;
  gdouble fields[3] = { 0 };
  guint n = 0;

  while (*s == ' ')
    s++;
  while (n < 3) {
    gchar *end;
    gdouble v;

    if (!g_ascii_isdigit (*s))
      return FALSE;
    v = g_ascii_strtod (s, &end);
    if (end == s || v < 0)
      return FALSE;
    fields[n++] = v;
    s = end;
    if (*s != ':')
      break;
    s++;
  }
  {
    gdouble secs = 0;
    for (guint i = 0; i < n; i++)
      secs = secs * 60 + fields[i];
    if (n > 1 && fields[n - 1] >= 60)
      return FALSE;
    *ns = (guint64) llround (secs * GST_SECOND_F);
  }
  while (*s == ' ')
    s++;
  *p = s;
  return TRUE;
}

GArray *
cc_cutlist_parse (const gchar * text, GError ** error)
{
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (CcSpan));
  const gchar *p = text;
  guint index = 1;

  while (p && *p) {
    CcSpan sp;

    if (!parse_time (&p, &sp.start) || *p++ != '-' ||
        !parse_time (&p, &sp.end))
      goto syntax;
    if (sp.end <= sp.start)
      goto empty;
    if (spans->len && sp.start < g_array_index (spans, CcSpan,
            spans->len - 1).end)
      goto order;
    g_array_append_val (spans, sp);
    if (*p == ',' || *p == ';' || *p == '\n') {
      p++;
      while (*p == ' ' || *p == '\n')
        p++;
    } else if (*p != '\0') {
      goto syntax;
    }
    index++;
  }
  if (spans->len == 0) {
    g_set_error (error, CC_CUTLIST_ERROR, 0, "the cut list is empty; give "
        "segments like 00:12.5-00:40,01:35-02:07");
    g_array_unref (spans);
    return NULL;
  }
  return spans;

syntax:
  g_set_error (error, CC_CUTLIST_ERROR, 0, "segment %u of the cut list "
      "cannot be read; write segments like 00:12.5-00:40,01:35-02:07", index);
  g_array_unref (spans);
  return NULL;
empty:
  g_set_error (error, CC_CUTLIST_ERROR, 0, "segment %u of the cut list ends "
      "before it starts", index);
  g_array_unref (spans);
  return NULL;
order:
  g_set_error (error, CC_CUTLIST_ERROR, 0, "segment %u of the cut list "
      "starts before the previous one ends; list segments in order, without "
      "overlaps", index);
  g_array_unref (spans);
  return NULL;
}

static void
append_time (GString * s, guint64 ns)
{
  guint64 ms = (ns + 500000) / 1000000;

  g_string_append_printf (s, "%" G_GUINT64_FORMAT ":%02u.%03u", ms / 60000,
      (guint) (ms / 1000 % 60), (guint) (ms % 1000));
}

gchar *
cc_cutlist_format (const CcSpan * spans, guint n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++) {
    if (i)
      g_string_append_c (s, ',');
    append_time (s, spans[i].start);
    g_string_append_c (s, '-');
    append_time (s, spans[i].end);
  }
  return g_string_free (s, FALSE);
}

guint64
cc_cutlist_total (const CcSpan * spans, guint n)
{
  guint64 total = 0;

  for (guint i = 0; i < n; i++)
    total += spans[i].end - spans[i].start;
  return total;
}

/* Automatic choice ------------------------------------------------------ */

typedef struct {
  CcSpan span;
  gdouble score;
  gdouble loudness;
  guint first_cue, last_cue;    /* 1-based, 0 = no captions */
  gdouble dead;                 /* share of black or frozen keyframes */
  gboolean chosen;
} Unit;

static gint
by_cue_start (gconstpointer a, gconstpointer b)
{
  const CcCaptionCue *x = *(CcCaptionCue * const *) a;
  const CcCaptionCue *y = *(CcCaptionCue * const *) b;
  return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

static void
units_from_captions (const CcCutSignals *sig, GArray * units)
{
  GPtrArray *cues = g_ptr_array_new ();
  const CcCaptionTrack *t = sig->captions;

  for (guint i = 0; i < t->cues->len; i++) {
    CcCaptionCue *c = g_ptr_array_index (t->cues, i);
    if (c->end > c->start && c->start < sig->duration)
      g_ptr_array_add (cues, c);
  }
  g_ptr_array_sort (cues, by_cue_start);
  for (guint i = 0; i < cues->len; i++) {
    CcCaptionCue *c = g_ptr_array_index (cues, i);
    Unit *last = units->len ? &g_array_index (units, Unit, units->len - 1) :
        NULL;

    if (last && c->start < last->span.end + CUE_JOIN &&
        c->end - last->span.start <= MAX_UNIT) {
      last->span.end = MAX (last->span.end, MIN (c->end, sig->duration));
      last->last_cue = i + 1;
    } else if (last && c->start < last->span.end) {
      /* overlapping cue that would make the unit too long: still one unit,
       * a cut inside it would split a sentence */
      last->span.end = MAX (last->span.end, MIN (c->end, sig->duration));
      last->last_cue = i + 1;
    } else {
      Unit u = { {c->start, MIN (c->end, sig->duration)}, 0, 0, i + 1, i + 1,
        0, FALSE
      };
      g_array_append_val (units, u);
    }
  }
  g_ptr_array_free (cues, TRUE);

  /* pad into the pauses, never into a neighbour */
  for (guint i = 0; i < units->len; i++) {
    Unit *u = &g_array_index (units, Unit, i);
    guint64 lo = i ? g_array_index (units, Unit, i - 1).span.end : 0;
    guint64 hi = i + 1 < units->len ? g_array_index (units, Unit,
        i + 1).span.start : sig->duration;

    u->span.start = u->span.start > lo + PAD ? u->span.start - PAD :
        MIN (lo, u->span.start);
    u->span.end = MIN (u->span.end + PAD, hi);
  }
}

static gdouble
loudness_at (const CcCutSignals *sig, guint64 t)
{
  guint i;

  if (sig->n_loudness == 0 || sig->loudness_step == 0)
    return NAN;
  i = (guint) MIN (t / sig->loudness_step, sig->n_loudness - 1);
  return sig->loudness[i];
}

/* Without captions: runs of sound between silences, at most 8 s each. */
static void
units_from_sound (const CcCutSignals *sig, GArray * units)
{
  guint64 step = sig->loudness_step ? sig->loudness_step : S (0.5);
  guint64 chunk = S (8);
  guint64 t = 0;

  while (t < sig->duration) {
    guint64 start, end;
    gdouble l = loudness_at (sig, t);

    if (sig->n_loudness && !(l > -50.0)) {
      t += step;
      continue;
    }
    start = t;
    end = MIN (start + chunk, sig->duration);
    if (sig->n_loudness) {
      for (guint64 x = start; x < end; x += step)
        if (!(loudness_at (sig, x) > -50.0)) {
          end = x;
          break;
        }
    }
    if (end <= start)
      end = MIN (start + step, sig->duration);
    {
      Unit u = { {start, end}, 0, 0, 0, 0, 0, FALSE };
      g_array_append_val (units, u);
    }
    t = end;
  }
}

/* Share of the keyframes inside [a, b) that are black or frozen, and
 * whether a shot starts within a second of a. */
static void
video_signals (const CcCutSignals *sig, guint64 a, guint64 b, gdouble * dead,
    gboolean * shot_start)
{
  guint n = 0, bad = 0;

  *shot_start = FALSE;
  for (guint k = 0; k < sig->n_keyframes; k++) {
    const CcKeyframe *kf = &sig->keyframes[k];

    if (kf->t + S (1) >= a && kf->t <= a + S (1) && kf->change > SHOT_CHANGE)
      *shot_start = TRUE;
    if (kf->t < a || kf->t >= b)
      continue;
    n++;
    if (kf->luma < BLACK_LUMA || (k > 0 && kf->change < FROZEN_CHANGE))
      bad++;
  }
  *dead = n ? bad / (gdouble) n : 0.0;
}

static void
score_units (const CcCutSignals *sig, GArray * units)
{
  for (guint i = 0; i < units->len; i++) {
    Unit *u = &g_array_index (units, Unit, i);
    gdouble dead;
    gboolean shot;
    guint64 step = sig->loudness_step ? sig->loudness_step : S (0.5);
    gdouble sum = 0, n = 0, silent = 0;

    for (guint64 t = u->span.start; t < u->span.end; t += step) {
      gdouble l = loudness_at (sig, t);
      if (isnan (l))
        continue;
      n++;
      if (l > -50.0)
        sum += l;
      else {
        silent++;
        sum += -50.0;
      }
    }
    u->loudness = n ? sum / n : -30.0;
    /* lively beats quiet; silence and very short snippets lose */
    u->score = u->loudness - (n ? 30.0 * silent / n : 0);
    if (u->span.end - u->span.start < S (1.5))
      u->score -= 10.0;
    /* black or frozen pictures lose; a unit that opens a shot cuts clean */
    video_signals (sig, u->span.start, u->span.end, &dead, &shot);
    u->score -= 30.0 * dead;
    u->dead = dead;
    if (shot)
      u->score += 2.0;
  }
}

static gint
by_score (gconstpointer a, gconstpointer b)
{
  const Unit *x = *(Unit * const *) a, *y = *(Unit * const *) b;
  return x->score > y->score ? -1 : x->score < y->score ? 1 : 0;
}

static void
choice_free (gpointer data)
{
  CcCutChoice *c = data;
  g_free (c->reason);
  g_free (c);
}

static gchar *
unit_reason (const Unit * u, gboolean hook)
{
  GString *r = g_string_new (hook ? "opening hook; " : "");

  if (u->first_cue)
    g_string_append_printf (r, u->first_cue == u->last_cue ? "caption cue %u"
        : "caption cues %u-%u", u->first_cue, u->last_cue);
  else
    g_string_append (r, "continuous sound");
  if (isfinite (u->loudness))
    g_string_append_printf (r, ", %.0f LUFS", u->loudness);
  if (u->dead > 0)
    g_string_append_printf (r, ", %.0f%% black or frozen", u->dead * 100);
  return g_string_free (r, FALSE);
}

GPtrArray *
cc_cutlist_choose (const CcCutSignals * sig)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (choice_free);
  GArray *units = g_array_new (FALSE, FALSE, sizeof (Unit));
  GPtrArray *ranked;
  guint64 total = 0;
  Unit *hook;

  if (sig->duration == 0)
    goto done;
  if (sig->duration <= sig->max_total) {
    CcCutChoice *c = g_new0 (CcCutChoice, 1);
    c->span.start = 0;
    c->span.end = sig->duration;
    c->reason = g_strdup ("the whole video fits");
    g_ptr_array_add (out, c);
    goto done;
  }

  if (sig->captions && sig->captions->cues->len)
    units_from_captions (sig, units);
  if (units->len == 0)
    units_from_sound (sig, units);
  if (units->len == 0)
    goto done;
  score_units (sig, units);

  /* the opening is the hook: keep the first unit when it opens the video */
  hook = &g_array_index (units, Unit, 0);
  if (hook->span.start < S (20) && hook->span.end - hook->span.start <=
      sig->max_total) {
    hook->chosen = TRUE;
    total = hook->span.end - hook->span.start;
  }
  ranked = g_ptr_array_new ();
  for (guint i = 0; i < units->len; i++)
    g_ptr_array_add (ranked, &g_array_index (units, Unit, i));
  g_ptr_array_sort (ranked, by_score);
  for (guint i = 0; i < ranked->len && total < sig->min_total; i++) {
    Unit *u = g_ptr_array_index (ranked, i);
    guint64 len = u->span.end - u->span.start;

    if (!u->chosen && total + len <= sig->max_total) {
      u->chosen = TRUE;
      total += len;
    }
  }
  g_ptr_array_free (ranked, TRUE);

  /* story order; touching units become one segment */
  for (guint i = 0; i < units->len; i++) {
    Unit *u = &g_array_index (units, Unit, i);
    CcCutChoice *last = out->len ? g_ptr_array_index (out, out->len - 1) :
        NULL;
    gchar *reason;

    if (!u->chosen)
      continue;
    reason = unit_reason (u, u == hook && i == 0);
    if (last && u->span.start <= last->span.end + S (0.05)) {
      gchar *joined = g_strdup_printf ("%s; %s", last->reason, reason);
      last->span.end = u->span.end;
      g_free (last->reason);
      last->reason = joined;
      g_free (reason);
    } else {
      CcCutChoice *c = g_new0 (CcCutChoice, 1);
      c->span = u->span;
      c->reason = reason;
      g_ptr_array_add (out, c);
    }
  }

done:
  g_array_unref (units);
  return out;
}

/* The platform cut ------------------------------------------------------ */

GArray *
cc_cutlist_choice_spans (const GPtrArray * choices)
{
  GArray *spans = g_array_sized_new (FALSE, FALSE, sizeof (CcSpan),
      choices->len);

  for (guint i = 0; i < choices->len; i++)
    g_array_append_val (spans, ((CcCutChoice *) g_ptr_array_index (choices,
                i))->span);
  return spans;
}

void
cc_cutlist_snap (GArray * spans, guint64 frame)
{
  g_return_if_fail (frame > 0);

  for (guint i = 0; i < spans->len; i++) {
    CcSpan *sp = &g_array_index (spans, CcSpan, i);
    /* to the nearest frame, a half frame rounding up, without overflow */
    guint64 start = sp->start / frame + (sp->start % frame >= frame - frame
        / 2);

    sp->start = start * frame;
    sp->end = sp->end / frame * frame;
    if (sp->end <= sp->start) {
      g_array_remove_index (spans, i);
      i--;
    }
  }
}

void
cc_cutlist_clip (GArray * spans, guint64 end)
{
  for (guint i = 0; i < spans->len; i++) {
    CcSpan *sp = &g_array_index (spans, CcSpan, i);

    sp->end = MIN (sp->end, end);
    if (sp->end <= sp->start) {
      g_array_remove_index (spans, i);
      i--;
    }
  }
}

CcCutFit
cc_cutlist_fit (GArray * spans, GPtrArray * choices, guint64 frame,
    guint64 max_total, guint64 * total)
{
  cc_cutlist_snap (spans, frame);
  if (choices && choices->len == spans->len)
    for (guint i = 0; i < spans->len; i++)
      ((CcCutChoice *) g_ptr_array_index (choices, i))->span =
          g_array_index (spans, CcSpan, i);
  *total = cc_cutlist_total ((CcSpan *) spans->data, spans->len);
  if (spans->len == 0)
    return CC_CUT_EMPTY;
  if (*total > max_total)
    return CC_CUT_TOO_LONG;
  return CC_CUT_FITS;
}
