/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for the cut-list syntax ("0:12.5-0:40,1:35-2:07"): any
 * text either fails with a message or gives spans that are non-empty, in
 * order and not overlapping, whose total is their sum, and whose printed
 * form parses back to the same spans (to the millisecond the printer
 * keeps).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cccutlist.h"

/* An invariant does not hold: say which, and let libFuzzer keep the input. */
#define BROKEN() \
  do { fprintf (stderr, "invariant broken at %s:%d\n", __FILE__, __LINE__); \
    abort (); } while (0)

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gchar *text = g_strndup ((const gchar *) data, size);
  GError *err = NULL;
  GArray *spans = cc_cutlist_parse (text, &err);

  if (spans == NULL) {
    if (err == NULL || err->message == NULL || !*err->message)
      BROKEN ();
    g_error_free (err);
  } else {
    CcSpan *s = (CcSpan *) spans->data;
    guint64 sum = 0;
    gchar *printed;
    GArray *again;

    if (err != NULL)
      BROKEN ();
    for (guint i = 0; i < spans->len; i++) {
      if (s[i].end <= s[i].start || (i > 0 && s[i].start < s[i - 1].end))
        BROKEN ();
      sum += s[i].end - s[i].start;
    }
    if (cc_cutlist_total (s, spans->len) != sum)
      BROKEN ();
    printed = cc_cutlist_format (s, spans->len);
    again = cc_cutlist_parse (printed, NULL);
    /* printing rounds to milliseconds: spans shorter than that, or
     * touching after rounding, may not come back */
    if (again) {
      if (again->len != spans->len)
        BROKEN ();
      for (guint i = 0; i < spans->len; i++) {
        CcSpan *b = &g_array_index (again, CcSpan, i);
        gint64 ds = (gint64) b->start - (gint64) s[i].start;
        gint64 de = (gint64) b->end - (gint64) s[i].end;

        if (ds < -1000000 || ds > 1000000 || de < -1000000 || de > 1000000)
          BROKEN ();
      }
      g_array_unref (again);
    }
    g_free (printed);
    g_array_unref (spans);
  }
  g_free (text);
  return 0;
}
