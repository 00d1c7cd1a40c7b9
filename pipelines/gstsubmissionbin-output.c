/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * submissionbin, outputs: each MP4 written under a hidden temporary name,
 * checked and renamed into place when complete, removed when not; the
 * bytes written so far; the stall watchdog.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <glib/gstdio.h>

#include <glib/gi18n-lib.h>

#include "gstsubmissionbin-private.h"

/* Data that ends this much before the declared duration means a truncated
 * upload; demuxers' declared durations are exact to well below this, except
 * estimated ones (MPEG-PS), which are not used for the check. */
#define TRUNCATION_TOLERANCE (GST_SECOND / 2)

/* A hidden file beside location: ".full.mp4.part" for "full.mp4". */
static gchar *
sibling_path (const gchar * location, const gchar * suffix)
{
  gchar *dir = g_path_get_dirname (location);
  gchar *base = g_path_get_basename (location);
  gchar *name = g_strdup_printf (".%s%s", base, suffix);
  gchar *path = g_build_filename (dir, name, NULL);

  g_free (dir);
  g_free (base);
  g_free (name);
  return path;
}

/* The muxer and file sink of out, writing to its temporary name, with both
 * muxer pads requested now: the muxer refuses new pads once data flows.
 * location is the property's string, constant while the bin runs. */
gboolean
submission_output_open (GstSubmissionBin * self, SubmissionOutput * out,
    const gchar * location)
{
  gchar *part = sibling_path (location, ".part");
  gchar *faststart = sibling_path (location, ".moov");
  gchar *name;

  /* bytes-written reads the names from any thread */
  GST_OBJECT_LOCK (self);
  g_free (out->part_location);
  g_free (out->faststart_location);
  out->part_location = part;
  out->faststart_location = faststart;
  out->location = location;
  GST_OBJECT_UNLOCK (self);
  name = g_strdup_printf ("%s-mux", out->name);
  out->mux = submission_make_child (self, "mp4mux", name);
  g_free (name);
  name = g_strdup_printf ("%s-sink", out->name);
  out->sink = submission_make_child (self, "filesink", name);
  g_free (name);
  if (out->mux == NULL || out->sink == NULL)
    return FALSE;

  g_object_set (out->mux, "faststart", TRUE, "faststart-file",
      out->faststart_location, NULL);
  g_object_set (out->sink, "location", out->part_location, "async", FALSE,
      NULL);
  out->video_pad = gst_element_request_pad_simple (out->mux, "video_%u");
  out->audio_pad = gst_element_request_pad_simple (out->mux, "audio_%u");
  if (!gst_element_link (out->mux, out->sink)) {
    BIN_ERROR_PROCESSING (self, CORE, NEGOTIATION,
        (_("Could not link the normaliser's fixed elements.")), (NULL));
    return FALSE;
  }
  GST_INFO_OBJECT (self, "%s cut goes to %s, written as %s", out->name,
      location, out->part_location);
  return TRUE;
}

/* After the bin's children are stopped and removed (but still alive):
 * gives back the muxer's pads, and removes whatever a job that did not
 * finish left behind. */
void
submission_output_close (GstSubmissionBin * self, SubmissionOutput * out)
{
  gboolean done;

  if (out->video_pad) {
    gst_element_release_request_pad (out->mux, out->video_pad);
    gst_clear_object (&out->video_pad);
  }
  if (out->audio_pad) {
    gst_element_release_request_pad (out->mux, out->audio_pad);
    gst_clear_object (&out->audio_pad);
  }
  GST_OBJECT_LOCK (self);
  done = out->done;
  GST_OBJECT_UNLOCK (self);
  if (!done && out->part_location && g_unlink (out->part_location) == 0)
    GST_INFO_OBJECT (self, "removed the unfinished %s cut", out->name);
  if (out->faststart_location)
    g_unlink (out->faststart_location);
  out->mux = out->sink = NULL;
  GST_OBJECT_LOCK (self);
  out->location = NULL;
  GST_OBJECT_UNLOCK (self);
}

/* Whether the input was complete, judged when the full cut has every
 * byte: where the decoded data ended against what the container declared,
 * and no stream that was found gave nothing. FALSE when it posted the
 * error. */
static gboolean
input_complete (GstSubmissionBin * self)
{
  GstClockTime reached, declared, tolerance;
  gboolean exact, no_video, no_audio;

  GST_OBJECT_LOCK (self);
  /* where the decoded data ended (videorate repeats the last frame up to
   * the segment's end, so the video after it would hide a cut-off file) */
  reached = self->decoded_video_end;
  if (GST_CLOCK_TIME_IS_VALID (self->audio_end) &&
      (!GST_CLOCK_TIME_IS_VALID (reached) || self->audio_end > reached))
    reached = self->audio_end;
  declared = self->src_duration;
  exact = self->duration_exact && !self->trimmed;
  /* a stream that was found but gave nothing would leave an empty track */
  no_video = !GST_CLOCK_TIME_IS_VALID (self->video_end);
  no_audio = self->have_audio && !GST_CLOCK_TIME_IS_VALID (self->audio_end);
  GST_OBJECT_UNLOCK (self);

  if (no_video || no_audio)
    goto nothing_decoded;
  /* a short clip may lose a large share of itself within the tolerance */
  tolerance = GST_CLOCK_TIME_IS_VALID (declared) ?
      MIN (TRUNCATION_TOLERANCE, declared / 10) : TRUNCATION_TOLERANCE;
  GST_DEBUG_OBJECT (self, "reached %" GST_TIME_FORMAT " of %" GST_TIME_FORMAT
      " (%s)", GST_TIME_ARGS (reached), GST_TIME_ARGS (declared),
      exact ? "exact" : "estimated");
  if (!exact || !GST_CLOCK_TIME_IS_VALID (declared) ||
      !GST_CLOCK_TIME_IS_VALID (reached))
    return TRUE;
  if (reached + tolerance < declared)
    BIN_ERROR_INPUT (self, STREAM, DEMUX,
        (_("The input ends at %.1f s but declares %.1f s: the file is "
                "truncated (an incomplete upload?). Upload the complete "
                "file."), reached / 1e9, declared / 1e9), (NULL));
  /* and the other way: a header that claims less than the file holds
   * (the delivered cut would not match what the job planned from it) */
  else if (reached > declared + tolerance)
    BIN_ERROR_INPUT (self, STREAM, DEMUX,
        (_("The input declares %.1f s but holds %.1f s: its header is "
                "damaged. Export the video again from the editing "
                "program."), declared / 1e9, reached / 1e9), (NULL));
  else
    return TRUE;
  return FALSE;

  /* ERRORS */
nothing_decoded:
  {
    if (no_video)
      BIN_ERROR_INPUT (self, STREAM, DECODE,
          (_("The input's video could not be decoded at all: the file is "
                  "damaged or truncated. Upload the complete, original "
                  "file.")), (NULL));
    else
      BIN_ERROR_INPUT (self, STREAM, DECODE,
          (_("The input's audio could not be decoded at all: the file is "
                  "damaged or truncated. Upload the complete, original "
                  "file.")), (NULL));
    return FALSE;
  }
}

/* Called when out's file sink has received EOS: every byte is written.
 * The full cut is the whole input, so its end also says whether the input
 * was complete. Renames the file into place; FALSE when it posted an
 * error. */
gboolean
submission_output_finish (GstSubmissionBin * self, SubmissionOutput * out)
{
  if (out == &self->out[OUTPUT_FULL] && !input_complete (self))
    return FALSE;
  if (g_rename (out->part_location, out->location) != 0) {
    if (out == &self->out[OUTPUT_FULL])
      BIN_ERROR_OUTPUT (self, RESOURCE, WRITE,
          (_("Could not move the finished output into place at '%s': %s"),
              out->location, g_strerror (errno)), (NULL));
    else
      BIN_ERROR_OUTPUT (self, RESOURCE, WRITE,
          (_("Could not move the finished platform cut into place at "
                  "'%s': %s"), out->location, g_strerror (errno)), (NULL));
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  out->done = TRUE;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "wrote the %s cut to %s", out->name, out->location);
  return TRUE;
}

static guint64
file_size (const gchar * path)
{
  GStatBuf st;

  return path && g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

/* What the outputs hold so far, unfinished files included. Under the
 * object lock (the names are constant while the bin runs). */
guint64
submission_output_bytes (GstSubmissionBin * self)
{
  guint64 total = 0;

  for (guint i = 0; i < N_OUTPUTS; i++) {
    SubmissionOutput *out = &self->out[i];

    if (out->location == NULL)
      continue;
    total += file_size (out->part_location) +
        file_size (out->faststart_location);
    if (out->done)
      total += file_size (out->location);
  }
  return total;
}

/* Stall watchdog -------------------------------------------------------- */

void
submission_note_progress (GstSubmissionBin * self)
{
  GST_OBJECT_LOCK (self);
  self->last_progress = g_get_monotonic_time ();
  GST_OBJECT_UNLOCK (self);
}

static gboolean
watchdog_cb (GstClock * clock, GstClockTime time, GstClockID id,
    gpointer user_data)
{
  GstSubmissionBin *self = GST_SUBMISSION_BIN (user_data);
  gint64 idle_us;
  guint timeout;

  /* Counts while PLAYING is the goal, also when preroll never completes
   * (an input that stops arriving during typefinding). */
  GST_OBJECT_LOCK (self);
  if (GST_STATE_TARGET (self) != GST_STATE_PLAYING) {
    self->last_progress = g_get_monotonic_time ();
    GST_OBJECT_UNLOCK (self);
    return TRUE;
  }
  timeout = self->stall_timeout;
  if (self->failed || self->out[submission_platform_only (self) ?
          OUTPUT_PLATFORM : OUTPUT_FULL].done) {
    GST_OBJECT_UNLOCK (self);
    return TRUE;
  }
  idle_us = g_get_monotonic_time () - self->last_progress;
  if (timeout == 0 || idle_us < (gint64) timeout * G_USEC_PER_SEC) {
    GST_OBJECT_UNLOCK (self);
    return TRUE;
  }
  self->failed = TRUE;
  GST_OBJECT_UNLOCK (self);

  BIN_ERROR_PROCESSING (self, STREAM, FAILED,
      (_("The job made no progress for %u s; the input may be damaged, or the "
          "machine is overloaded."), timeout),
      ("stall-timeout %u s exceeded", timeout));
  return TRUE;
}

void
submission_watchdog_start (GstSubmissionBin * self)
{
  GstClock *clock = gst_system_clock_obtain ();

  submission_note_progress (self);
  self->watchdog = gst_clock_new_periodic_id (clock,
      gst_clock_get_time (clock) + GST_SECOND, GST_SECOND);
  gst_clock_id_wait_async (self->watchdog, watchdog_cb,
      gst_object_ref (self), gst_object_unref);
  gst_object_unref (clock);
}

void
submission_watchdog_stop (GstSubmissionBin * self)
{
  if (self->watchdog) {
    gst_clock_id_unschedule (self->watchdog);
    gst_clock_id_unref (self->watchdog);
    self->watchdog = NULL;
  }
}
