/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * submissionbin, children: how the bin makes, links and starts the
 * elements of its branches, its queues and its duration guards.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/pbutils/pbutils.h>

#include <glib/gi18n-lib.h>

#include "gstsubmissionbin-private.h"

guint
submission_threads (GstSubmissionBin * self)
{
  return self->threads ? self->threads : g_get_num_processors ();
}

/* Adds e to the bin and to the children teardown removes. Its state is
 * locked until submission_start_child(): a branch is built in a streaming
 * thread while the application may be changing the bin's state, and the
 * bin must not start an element whose properties are not set yet. */
void
submission_add_child (GstSubmissionBin * self, GstElement * e)
{
  gst_element_set_locked_state (e, TRUE);
  gst_bin_add (GST_BIN_CAST (self), e);
  GST_OBJECT_LOCK (self);
  self->built = g_list_prepend (self->built, gst_object_ref (e));
  GST_OBJECT_UNLOCK (self);
}

/* Hands e's state to the bin, and brings it to the bin's state. */
void
submission_start_child (GstElement * e)
{
  gst_element_set_locked_state (e, FALSE);
  gst_element_sync_state_with_parent (e);
}

GstElement *
submission_make_child (GstSubmissionBin * self, const gchar * factory,
    const gchar * name)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (e == NULL) {
    gst_element_post_message (GST_ELEMENT_CAST (self),
        gst_missing_element_message_new (GST_ELEMENT_CAST (self), factory));
    BIN_ERROR_PROCESSING (self, CORE, MISSING_PLUGIN,
        (_("The GStreamer element '%s' is missing; install the GStreamer "
            "plugin that provides it."), factory),
        (NULL));
    return NULL;
  }
  submission_add_child (self, e);
  return e;
}

/* Links a chain of elements that were added with submission_make_child();
 * any NULL (a missing factory, already reported) fails the whole chain. */
gboolean
submission_link_chain (GstElement ** chain, guint n)
{
  if (!submission_chain_ok (chain, n))
    return FALSE;
  for (guint i = 0; i + 1 < n; i++)
    if (!gst_element_link (chain[i], chain[i + 1]))
      return FALSE;
  return TRUE;
}

void
submission_sync_chain (GstElement ** chain, guint n)
{
  /* Downstream first so no element pushes into a not-yet-running peer. */
  for (guint i = n; i > 0; i--)
    submission_start_child (chain[i - 1]);
}

/* A queue bounded by buffers or by time only (0 = no bound). */
static GstElement *
make_bounded_queue (GstSubmissionBin * self, const gchar * name,
    guint buffers, guint64 time)
{
  GstElement *q = submission_make_child (self, "queue", name);

  if (q)
    g_object_set (q, "max-size-buffers", buffers, "max-size-bytes", 0,
        "max-size-time", time, NULL);
  return q;
}

/* One frame decouples the threads; every further frame costs 3 MB at
 * 1080p per queue, and the encoders' look-ahead is the real buffer (3
 * frames per queue measured the same speed at 55 MB more). */
GstElement *
submission_make_queue (GstSubmissionBin * self, const gchar * name)
{
  return make_bounded_queue (self, name, 1, 0);
}

/* Audio runs ahead of video by the video encoders' latency while the
 * muxers interleave: audio queues hold seconds, cheap at 384 kB/s. */
GstElement *
submission_make_audio_queue (GstSubmissionBin * self, const gchar * name)
{
  return make_bounded_queue (self, name, 0, 10 * GST_SECOND);
}

gboolean
submission_chain_ok (GstElement ** chain, guint n)
{
  for (guint i = 0; i < n; i++)
    if (chain[i] == NULL)
      return FALSE;
  return TRUE;
}

gboolean
submission_link_pads (GstElement * a, const gchar * src, GstElement * b,
    const gchar * sink)
{
  return gst_element_link_pads (a, src, b, sink);
}

gboolean
submission_link_to_mux (GstElement * last, GstPad * mux_pad)
{
  GstPad *src = gst_element_get_static_pad (last, "src");
  gboolean ok = gst_pad_link (src, mux_pad) == GST_PAD_LINK_OK;

  gst_object_unref (src);
  return ok;
}

/* Duration rule --------------------------------------------------------- */

/* Only the platform cut is made (no full-location): the input is read up
 * to the last segment's end and no further, and the full cut's minimum
 * does not apply. The locations are constant while the bin runs. */
gboolean
submission_platform_only (GstSubmissionBin * self)
{
  return self->full_location == NULL && self->platform_location != NULL;
}

/* The limits in force: the category's rule unless overridden. */
void
submission_duration_limits (GstSubmissionBin * self, guint64 * min,
    guint64 * max)
{
  cc_category_limits (self->category, min, max);
  if (self->min_duration >= 0)
    *min = (guint64) self->min_duration;
  if (submission_platform_only (self))
    *min = 0;
  if (self->max_duration >= 0)
    *max = (guint64) self->max_duration;
}

/* A durationguard for min..max (0 = none) that does action with a longer
 * stream, fading over the bin's trim-fade. */
GstElement *
submission_make_guard (GstSubmissionBin * self, const gchar * name,
    guint64 min, guint64 max, GstCampuscutTooLong action)
{
  GstElement *guard = submission_make_child (self, "durationguard", name);

  if (guard)
    g_object_set (guard, "min-duration", min, "max-duration", max, "fade",
        self->trim_fade, "tolerance", (guint64) CC_DURATION_TOLERANCE_NS,
        "on-too-long", action, NULL);
  return guard;
}
