/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for the cut-list syntax ("0:12.5-0:40,1:35-2:07"): any
 * text either fails with a message or gives spans that are non-empty, in
 * order and not overlapping, whose total is their sum, and whose printed
 * form parses back to the same spans (to the half millisecond the printer
 * rounds to), except for a span shorter than the printer can show, which
 * must then be refused by name.
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

#define ROUNDING (500000 + 4096)

/* A time as the printer writes it, in whole milliseconds. */
static guint64
printed_ms (guint64 ns)
{
  return (ns + 500000) / 1000000;
}

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
    guint emptied = 0;

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
    again = cc_cutlist_parse (printed, &err);
    /* What the printer writes, the parser reads: the CLI hands the printed
     * list on to the cutlist element, and the report shows it to people
     * who paste it back. One exception, a known fault of the parser: it
     * keeps times finer than the millisecond the printer keeps, so a span
     * shorter than that can print as empty ("0:00.0001-0:00.0002" prints
     * as "0:00.000-0:00.000"). Such a list must then be refused for that
     * very span, never read back as some other list. */
    for (guint i = 0; i < spans->len && emptied == 0; i++)
      if (printed_ms (s[i].start) == printed_ms (s[i].end))
        emptied = i + 1;
    if (emptied) {
      gchar *expect = g_strdup_printf ("segment %u of the cut list ends "
          "before it starts", emptied);

      if (again != NULL || err == NULL || strcmp (err->message, expect) != 0)
        BROKEN ();
      g_free (expect);
      g_clear_error (&err);
    } else {
      if (again == NULL) {
        fprintf (stderr, "'%s' printed as '%s', which does not parse: %s\n",
            text, printed, err ? err->message : "no message");
        BROKEN ();
      }
      if (err != NULL || again->len != spans->len)
        BROKEN ();
      for (guint i = 0; i < spans->len; i++) {
        CcSpan *b = &g_array_index (again, CcSpan, i);
        gint64 ds = (gint64) b->start - (gint64) s[i].start;
        gint64 de = (gint64) b->end - (gint64) s[i].end;

        /* The printer rounds to the nearest millisecond: half a millisecond
         * either way, and the few microseconds a double holding seconds
         * loses at the largest times the parser accepts (2^63 ns). */
        if (ds < -ROUNDING || ds > ROUNDING || de < -ROUNDING ||
            de > ROUNDING)
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
