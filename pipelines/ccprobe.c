/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Pre-flight probe. GstDiscoverer reads the headers; a short packet scan
 * (demux only, no decoding) tells constant from variable frame rate, which
 * headers do not: phones write a nominal rate into the SPS of VFR streams.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gst/app/app.h>
#include <gst/base/gsttypefindhelper.h>
#include <gst/pbutils/pbutils.h>
#include <gst/video/video.h>

#include "ccprobe.h"
#include "ccpolicy.h"

/* Packets looked at to decide whether the frame rate is variable. */
#define VFR_SCAN_PACKETS 150
/* Frame intervals differing by more than this ratio mean VFR; container
 * timestamp rounding stays well inside it. */
#define VFR_RATIO 1.2
/* H.264 reorders at most 16 frames. */
#define VFR_REORDER_SLACK 16

void
cc_probe_clear (CcProbe * p)
{
  g_free (p->uri);
  g_free (p->container);
  g_free (p->container_variant);
  g_free (p->container_name);
  g_free (p->video_codec);
  g_free (p->video_codec_name);
  g_free (p->video_profile);
  g_free (p->video_level);
  g_free (p->chroma_format);
  g_free (p->colorimetry);
  g_free (p->audio_codec);
  g_free (p->audio_codec_name);
  g_free (p->audio_profile);
  memset (p, 0, sizeof (*p));
}

/* Pictures beyond CC_MAX_FRAME_EDGE a side are a damaged or hostile
 * header: decoding one would allocate gigabytes per frame. */
static gboolean
check_frame_size (guint w, guint h, GError ** error)
{
  gchar *problem = cc_frame_size_problem (w, h);

  if (problem == NULL)
    return TRUE;
  g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      problem);
  g_free (problem);
  return FALSE;
}

/* A YUV4MPEG header is text ("YUV4MPEG2 W1920 H1080 F25:1 ..."). Its
 * picture size is checked here, before any element reads it: y4mdec
 * answers a duration query with a division by its unparsed frame rate
 * (a GStreamer-CRITICAL on stderr) when it refuses a header. */
static gboolean
check_y4m_header (const gchar * buf, gssize n, GError ** error)
{
  const gchar *end = memchr (buf, '\n', (gsize) n);
  gchar *line = g_strndup (buf, end ? (gsize) (end - buf) : (gsize) n);
  gchar **tokens = g_strsplit (line, " ", -1);
  guint64 w = 0, h = 0;
  gboolean ok;

  for (guint i = 1; tokens[0] && tokens[i]; i++) {
    if (tokens[i][0] == 'W')
      w = g_ascii_strtoull (tokens[i] + 1, NULL, 10);
    else if (tokens[i][0] == 'H')
      h = g_ascii_strtoull (tokens[i] + 1, NULL, 10);
  }
  if (w == 0 || h == 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        _("the file cannot be read as a video (%s); it is damaged or "
            "truncated"), "YUV4MPEG header without a picture size");
    ok = FALSE;
  } else {
    ok = check_frame_size ((guint) MIN (w, G_MAXUINT),
        (guint) MIN (h, G_MAXUINT), error);
  }
  g_strfreev (tokens);
  g_free (line);
  return ok;
}

/* Sets a RESOURCE error with message (taken); FALSE for the caller to
 * return. */
static gboolean
refuse (GError ** error, gint code, gchar * message)
{
  g_set_error_literal (error, GST_RESOURCE_ERROR, code, message);
  g_free (message);
  return FALSE;
}

/* The file's first bytes: a playlist, or a YUV4MPEG header too large.
 * FALSE with error set when the file is not to be read further. */
static gboolean
check_first_bytes (const gchar * path, GError ** error)
{
  gchar buf[4096];
  gssize n;
  FILE *f = g_fopen (path, "rb");
  GstCaps *caps;
  const gchar *name;
  gboolean ok = TRUE;

  if (f == NULL)
    return refuse (error, GST_RESOURCE_ERROR_NOT_FOUND,
        g_strdup_printf (_("cannot open the file: %s"), g_strerror (errno)));
  n = (gssize) fread (buf, 1, sizeof (buf), f);
  fclose (f);

  caps = gst_type_find_helper_for_data (NULL, (const guint8 *) buf, n, NULL);
  if (caps == NULL)
    return TRUE;
  name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (cc_is_manifest_type (name)) {
    g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
        _("this is a streaming playlist or manifest, not a video file; "
            "upload the video file itself"));
    ok = FALSE;
  } else if (g_strcmp0 (name, "application/x-yuv4mpeg") == 0) {
    ok = check_y4m_header (buf, n, error);
  }
  gst_caps_unref (caps);
  return ok;
}

gboolean
cc_check_input_file (const gchar * path, GError ** error)
{
  GStatBuf st;

  if (strstr (path, "://") != NULL)
    return refuse (error, GST_RESOURCE_ERROR_NOT_FOUND,
        g_strdup (_("not a local file; give the path of one uploaded video "
                "file")));
  if (g_stat (path, &st) != 0)
    return refuse (error, GST_RESOURCE_ERROR_NOT_FOUND,
        g_strdup_printf (_("cannot open the file: %s"), g_strerror (errno)));
  if (!S_ISREG (st.st_mode))
    return refuse (error, GST_RESOURCE_ERROR_NOT_FOUND,
        g_strdup (_("not a regular file; give the path of one uploaded "
                "video file")));
  if (st.st_size == 0) {
    g_set_error_literal (error, GST_STREAM_ERROR,
        GST_STREAM_ERROR_TYPE_NOT_FOUND, _("the file is empty (0 bytes); the "
            "upload probably failed, send it again"));
    return FALSE;
  }
  return check_first_bytes (path, error);
}

void
cc_disable_remote_elements (void)
{
  GstRegistry *reg = gst_registry_get ();
  GList *features = gst_registry_get_feature_list (reg,
      GST_TYPE_ELEMENT_FACTORY);

  for (GList * l = features; l; l = l->next) {
    GstElementFactory *f = l->data;
    const gchar *klass = gst_element_factory_get_metadata (f,
        GST_ELEMENT_METADATA_KLASS);

    if (cc_klass_reads_elsewhere (klass))
      gst_plugin_feature_set_rank (GST_PLUGIN_FEATURE (f), GST_RANK_NONE);
  }
  gst_plugin_feature_list_free (features);
}

/* VFR scan -------------------------------------------------------------- */

/* Posted by the scan's appsink once it runs. An appsink that is not
 * started yet answers every pull with "no sample, at EOS": a scan that
 * picked it out of the bin between its adding and its start (a window the
 * streaming thread holds open longer under load) judged from no packets
 * and called a variable rate constant. */
#define SCAN_READY "campuscut-vfr-scan-ready"

static void
scan_pad_added (GstElement * parsebin, GstPad * pad, GstElement * pipeline)
{
  GstCaps *caps = gst_pad_query_caps (pad, NULL);
  gboolean video = g_str_has_prefix (gst_structure_get_name
      (gst_caps_get_structure (caps, 0)), "video/");
  GstElement *sink;
  GstPad *sinkpad;
  gboolean running;

  gst_caps_unref (caps);
  /* Only the first video stream is timed; the rest is drained. */
  if (video && g_object_get_data (G_OBJECT (pipeline), "has-video"))
    video = FALSE;
  if (video) {
    g_object_set_data (G_OBJECT (pipeline), "has-video", GINT_TO_POINTER (1));
    sink = gst_element_factory_make ("appsink", NULL);
    g_object_set (sink, "sync", FALSE, "async", FALSE, "max-buffers", 8, NULL);
  } else {
    sink = gst_element_factory_make ("fakesink", NULL);
    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  }
  gst_bin_add (GST_BIN (pipeline), sink);
  /* started before linked: parsebin pushes as soon as this returns */
  running = gst_element_sync_state_with_parent (sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  if (video)
    gst_element_post_message (sink, gst_message_new_application (GST_OBJECT
            (sink), gst_structure_new (SCAN_READY, "running", G_TYPE_BOOLEAN,
                running, NULL)));
}

static gint
compare_time (gconstpointer a, gconstpointer b)
{
  GstClockTime ta = *(const GstClockTime *) a, tb = *(const GstClockTime *) b;
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

static GstClockTime
time_left (gint64 deadline)
{
  gint64 now = g_get_monotonic_time ();
  return now < deadline ? (GstClockTime) (deadline - now) * GST_USECOND : 0;
}

/* Appends the sample's presentation time in stream time, if it has one,
 * and frees it. Stream time, not the raw timestamp: the smallest is where
 * the picture starts as the normaliser counts (a transport stream's clock
 * starts before its first picture). */
static void
take_sample (GArray * pts, GstSample * sample)
{
  GstBuffer *buf = gst_sample_get_buffer (sample);
  const GstSegment *seg = gst_sample_get_segment (sample);

  if (buf && GST_BUFFER_PTS_IS_VALID (buf)) {
    GstClockTime t = seg && seg->format == GST_FORMAT_TIME ?
        gst_segment_to_stream_time (seg, GST_FORMAT_TIME, GST_BUFFER_PTS (buf))
        : GST_BUFFER_PTS (buf);
    if (GST_CLOCK_TIME_IS_VALID (t))
      g_array_append_val (pts, t);
  }
  gst_sample_unref (sample);
}

/* Sets *vfr when the first packets' presentation intervals vary. The
 * verdict depends on the file alone: it is made from the first
 * VFR_SCAN_PACKETS packets, or from every packet when the stream ends or
 * fails before that, never from however many happened to arrive in time.
 * Running out of time is an error (FALSE), not a verdict. */
static gboolean
scan_variable_fps (const gchar * uri, guint timeout_s, gboolean * vfr,
    GstClockTime * start, GError ** error)
{
  GstElement *pipeline, *src, *parse;
  GstAppSink *sink = NULL;
  GArray *pts;
  GstBus *bus;
  gboolean ok = TRUE;
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s *
      G_USEC_PER_SEC;

  *vfr = FALSE;
  *start = 0;
  src = gst_element_make_from_uri (GST_URI_SRC, uri, NULL, NULL);
  parse = gst_element_factory_make ("parsebin", NULL);
  if (!src || !parse) {
    gst_clear_object (&src);
    gst_clear_object (&parse);
    return TRUE;
  }
  pipeline = gst_pipeline_new ("vfr-scan");
  gst_bin_add_many (GST_BIN (pipeline), src, parse, NULL);
  gst_element_link (src, parse);
  g_signal_connect (parse, "pad-added", G_CALLBACK (scan_pad_added),
      pipeline);
  bus = gst_element_get_bus (pipeline);
  pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    goto out;

  /* Until the video appsink runs. An error or the end of the stream
   * first means that no video packet comes: that is the verdict's input,
   * not a race, since parsebin exposes its pads before any data flows. */
  while (sink == NULL) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, time_left (deadline),
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_APPLICATION);
    const GstStructure *s;
    gboolean running = FALSE;

    if (msg == NULL)
      goto timeout;
    s = gst_message_get_structure (msg);
    if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_APPLICATION) {
      gst_message_unref (msg);
      goto judge;
    }
    if (gst_structure_has_name (s, SCAN_READY)) {
      gst_structure_get_boolean (s, "running", &running);
      /* a sink that cannot start is this machine's fault, not the file's:
       * no verdict either way, as when the elements are missing */
      if (!running) {
        gst_message_unref (msg);
        goto out;
      }
      sink = GST_APP_SINK (gst_object_ref (GST_MESSAGE_SRC (msg)));
    }
    gst_message_unref (msg);
  }

  /* Pulled until the appsink itself is at EOS, which it reports only once
   * its queue is empty; the bus's EOS says nothing about that queue. */
  while (pts->len < VFR_SCAN_PACKETS) {
    GstSample *sample = gst_app_sink_try_pull_sample (sink,
        MIN (time_left (deadline), 100 * GST_MSECOND));
    GstMessage *msg;

    if (sample) {
      take_sample (pts, sample);
      continue;
    }
    if (gst_app_sink_is_eos (sink))
      break;
    /* The thread that failed pushed its packets before posting the error:
     * they all wait in the appsink. */
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      gst_message_unref (msg);
      while (pts->len < VFR_SCAN_PACKETS &&
          (sample = gst_app_sink_try_pull_sample (sink, 0)))
        take_sample (pts, sample);
      break;
    }
    if (time_left (deadline) == 0)
      goto timeout;
  }

judge:
  if (pts->len >= 4) {
    GstClockTime dmin = GST_CLOCK_TIME_NONE, dmax = 0;
    /* Packets come in decode order: with B-frames the window's last
     * packets leave holes among the highest timestamps. */
    guint usable = pts->len > VFR_REORDER_SLACK + 3 ?
        pts->len - VFR_REORDER_SLACK : pts->len - 1;

    g_array_sort (pts, compare_time);
    *start = g_array_index (pts, GstClockTime, 0);
    for (guint i = 1; i < usable; i++) {
      GstClockTime d = g_array_index (pts, GstClockTime, i) -
          g_array_index (pts, GstClockTime, i - 1);
      if (d == 0)
        continue;
      dmin = MIN (dmin, d);
      dmax = MAX (dmax, d);
    }
    *vfr = GST_CLOCK_TIME_IS_VALID (dmin) && dmax > dmin * VFR_RATIO;
  }

out:
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_clear_object (&sink);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_array_free (pts, TRUE);
  return ok;

timeout:
  /* the discoverer's message: to the user both read the file's start */
  g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
      _("reading the file's headers took longer than %u s; the file is "
          "damaged or not a video"), timeout_s);
  ok = FALSE;
  goto out;
}

/* Discoverer ------------------------------------------------------------ */

static gchar *
codec_description (const GstCaps * caps)
{
  return caps ? gst_pb_utils_get_codec_description (caps) : NULL;
}

static gchar *
dup_caps_string (const GstStructure * s, const gchar * field)
{
  const gchar *v = gst_structure_get_string (s, field);
  return v ? g_strdup (v) : NULL;
}

static guint
rotation_from_tags (const GstTagList * tags, gboolean * flipped)
{
  gchar *orientation = NULL;
  guint deg = 0;

  *flipped = FALSE;
  if (tags && gst_tag_list_get_string (tags, GST_TAG_IMAGE_ORIENTATION,
          &orientation)) {
    if (g_str_has_prefix (orientation, "flip-")) {
      *flipped = TRUE;
      deg = (guint) g_ascii_strtoull (orientation + strlen ("flip-rotate-"),
          NULL, 10);
    } else if (g_str_has_prefix (orientation, "rotate-")) {
      deg = (guint) g_ascii_strtoull (orientation + strlen ("rotate-"), NULL,
          10);
    }
    g_free (orientation);
  }
  return deg % 360;
}

static void
fill_video (CcProbe * p, GstDiscovererVideoInfo * vi)
{
  GstDiscovererStreamInfo *si = GST_DISCOVERER_STREAM_INFO (vi);
  GstCaps *caps = gst_discoverer_stream_info_get_caps (si);
  const GstTagList *tags = gst_discoverer_stream_info_get_tags (si);
  GstStructure *s = caps ? gst_caps_get_structure (caps, 0) : NULL;
  guint depth_luma = 0;
  guint dw, dh;

  p->width = gst_discoverer_video_info_get_width (vi);
  p->height = gst_discoverer_video_info_get_height (vi);
  p->par_n = gst_discoverer_video_info_get_par_num (vi);
  p->par_d = gst_discoverer_video_info_get_par_denom (vi);
  if (p->par_n <= 0 || p->par_d <= 0)
    p->par_n = p->par_d = 1;
  p->fps_n = gst_discoverer_video_info_get_framerate_num (vi);
  p->fps_d = gst_discoverer_video_info_get_framerate_denom (vi);
  p->interlaced = gst_discoverer_video_info_is_interlaced (vi);
  p->rotation = rotation_from_tags (tags, &p->flipped);

  if (s) {
    const gchar *imode = gst_structure_get_string (s, "interlace-mode");

    p->video_codec = g_strdup (gst_structure_get_name (s));
    p->video_codec_name = codec_description (caps);
    p->video_profile = dup_caps_string (s, "profile");
    p->video_level = dup_caps_string (s, "level");
    p->chroma_format = dup_caps_string (s, "chroma-format");
    p->colorimetry = dup_caps_string (s, "colorimetry");
    if (imode && g_strcmp0 (imode, "progressive") != 0)
      p->interlaced = TRUE;
    gst_structure_get_uint (s, "bit-depth-luma", &depth_luma);
    if (p->chroma_format == NULL && gst_structure_has_field (s, "format")) {
      /* raw video in the container */
      GstVideoInfo info;
      if (gst_video_info_from_caps (&info, caps)) {
        const GstVideoFormatInfo *f = info.finfo;
        depth_luma = GST_VIDEO_FORMAT_INFO_DEPTH (f, 0);
        p->chroma_format = g_strdup (GST_VIDEO_FORMAT_INFO_W_SUB (f, 1) == 0 ?
            "4:4:4" : GST_VIDEO_FORMAT_INFO_H_SUB (f, 1) == 0 ? "4:2:2" :
            "4:2:0");
      }
    }
  }
  p->bit_depth = depth_luma ? depth_luma : 8;

  if (p->colorimetry) {
    GstVideoColorimetry cinfo;
    if (gst_video_colorimetry_from_string (&cinfo, p->colorimetry))
      p->hdr = cinfo.transfer == GST_VIDEO_TRANSFER_SMPTE2084 ||
          cinfo.transfer == GST_VIDEO_TRANSFER_ARIB_STD_B67;
  }

  dw = (guint) gst_util_uint64_scale_int (p->width, p->par_n, p->par_d);
  dh = p->height;
  if (p->rotation == 90 || p->rotation == 270) {
    p->display_width = dh;
    p->display_height = dw;
  } else {
    p->display_width = dw;
    p->display_height = dh;
  }
  gst_clear_caps (&caps);
}

static void
fill_audio (CcProbe * p, GstDiscovererAudioInfo * ai)
{
  GstCaps *caps = gst_discoverer_stream_info_get_caps
      (GST_DISCOVERER_STREAM_INFO (ai));

  p->channels = gst_discoverer_audio_info_get_channels (ai);
  p->rate = gst_discoverer_audio_info_get_sample_rate (ai);
  if (caps) {
    GstStructure *s = gst_caps_get_structure (caps, 0);
    p->audio_codec = g_strdup (gst_structure_get_name (s));
    p->audio_codec_name = codec_description (caps);
    p->audio_profile = dup_caps_string (s, "profile");
    gst_caps_unref (caps);
  }
}

gboolean
cc_probe_file (const gchar * path, guint timeout_s, CcProbe * p,
    GError ** error)
{
  GError *err = NULL;
  GstDiscoverer *disc;
  GstDiscovererInfo *info;
  GstDiscovererStreamInfo *top;
  GList *streams;
  gchar *uri;
  gboolean ok = FALSE;

  memset (p, 0, sizeof (*p));
  uri = g_filename_to_uri (path, NULL, &err);
  if (uri == NULL) {
    gchar *abs = g_canonicalize_filename (path, NULL);
    uri = g_filename_to_uri (abs, NULL, NULL);
    g_free (abs);
    g_clear_error (&err);
  }
  p->uri = uri;

  disc = gst_discoverer_new ((GstClockTime) timeout_s * GST_SECOND, &err);
  if (disc == NULL) {
    g_propagate_error (error, err);
    return FALSE;
  }
  info = gst_discoverer_discover_uri (disc, uri, &err);

  switch (info ? gst_discoverer_info_get_result (info) :
      GST_DISCOVERER_ERROR) {
    case GST_DISCOVERER_OK:
      break;
    case GST_DISCOVERER_TIMEOUT:
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
          _("reading the file's headers took longer than %u s; the file is "
          "damaged or not a video"), timeout_s);
      goto out;
    case GST_DISCOVERER_MISSING_PLUGINS:{
      GstDiscovererStreamInfo *si = gst_discoverer_info_get_stream_info (info);
      GstCaps *caps = si ? gst_discoverer_stream_info_get_caps (si) : NULL;
      gchar *what = caps ? gst_pb_utils_get_codec_description (caps) : NULL;
      const gchar *name = caps ? gst_structure_get_name
          (gst_caps_get_structure (caps, 0)) : "";

      if (!g_str_has_prefix (name, "video/") &&
          !g_str_has_prefix (name, "audio/") &&
          !g_str_has_prefix (name, "application/x-3gp") &&
          !g_str_has_prefix (name, "application/ogg"))
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
            _("not a video file (it looks like %s); upload the video file "
            "itself"), what ? what : name);
      else
        g_set_error (error, GST_STREAM_ERROR,
            GST_STREAM_ERROR_CODEC_NOT_FOUND,
            _("no decoder for this format is installed (%s); convert the "
            "video to MP4/H.264 or install the decoder"), what ? what : name);
      g_free (what);
      gst_clear_caps (&caps);
      if (si)
        gst_discoverer_stream_info_unref (si);
      goto out;
    }
    default:
      if (err && err->domain == GST_STREAM_ERROR &&
          err->code == GST_STREAM_ERROR_TYPE_NOT_FOUND)
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_TYPE_NOT_FOUND,
            _("not a video file, or a damaged one (its format cannot be "
            "recognised)"));
      else
        g_set_error (error, err ? err->domain : GST_STREAM_ERROR,
            err ? err->code : GST_STREAM_ERROR_FAILED,
            _("the file cannot be read as a video (%s); it is damaged or "
            "truncated"), err ? err->message : "unknown error");
      goto out;
  }

  p->duration = gst_discoverer_info_get_duration (info);
  top = gst_discoverer_info_get_stream_info (info);
  if (top) {
    GstCaps *caps = gst_discoverer_stream_info_get_caps (top);
    if (caps) {
      GstStructure *s = gst_caps_get_structure (caps, 0);
      p->container = g_strdup (gst_structure_get_name (s));
      p->container_variant = dup_caps_string (s, "variant");
      p->container_name = gst_pb_utils_get_codec_description (caps);
      p->duration_exact =
          cc_container_has_exact_duration (gst_structure_get_name (s));
      gst_caps_unref (caps);
    }
    gst_discoverer_stream_info_unref (top);
  }

  streams = gst_discoverer_info_get_video_streams (info);
  p->n_video = g_list_length (streams);
  if (streams)
    fill_video (p, streams->data);
  gst_discoverer_stream_info_list_free (streams);
  if (p->n_video > 0 && !check_frame_size (p->width, p->height, error))
    goto out;

  streams = gst_discoverer_info_get_audio_streams (info);
  p->n_audio = g_list_length (streams);
  if (streams)
    fill_audio (p, streams->data);
  gst_discoverer_stream_info_list_free (streams);

  streams = gst_discoverer_info_get_subtitle_streams (info);
  p->n_subtitle = g_list_length (streams);
  gst_discoverer_stream_info_list_free (streams);

  if (p->n_video > 0 && !scan_variable_fps (uri, timeout_s, &p->variable_fps,
          &p->content_start, error))
    goto out;
  ok = TRUE;

out:
  g_clear_error (&err);
  if (info)
    g_object_unref (info);
  g_object_unref (disc);
  return ok;
}

const gchar *
cc_probe_audio_layout (const CcProbe * p)
{
  switch (p->channels) {
    case 0:
      return "none";
    case 1:
      return "mono";
    case 2:
      return "stereo";
    case 6:
      return "5.1";
    case 8:
      return "7.1";
    default:
      return "multichannel";
  }
}

/* A string member, null when unknown. */
static void
set_opt_string (JsonObject * o, const gchar * name, const gchar * v)
{
  if (v)
    json_object_set_string_member (o, name, v);
  else
    json_object_set_null_member (o, name);
}

static void
set_opt_double (JsonObject * o, const gchar * name, gboolean known,
    gdouble v)
{
  if (known)
    json_object_set_double_member (o, name, v);
  else
    json_object_set_null_member (o, name);
}

static JsonObject *
video_to_json (const CcProbe * p)
{
  JsonObject *o = json_object_new ();
  gchar *par = g_strdup_printf ("%d:%d", p->par_n, p->par_d);

  set_opt_string (o, "codec", p->video_codec_name);
  set_opt_string (o, "profile", p->video_profile);
  set_opt_string (o, "level", p->video_level);
  json_object_set_int_member (o, "width", p->width);
  json_object_set_int_member (o, "height", p->height);
  json_object_set_string_member (o, "pixel_aspect_ratio", par);
  json_object_set_int_member (o, "rotation", p->rotation);
  json_object_set_boolean_member (o, "mirrored", p->flipped);
  json_object_set_int_member (o, "display_width", p->display_width);
  json_object_set_int_member (o, "display_height", p->display_height);
  set_opt_double (o, "frame_rate", p->fps_n > 0 && p->fps_d > 0,
      p->fps_n / (gdouble) MAX (p->fps_d, 1));
  json_object_set_double_member (o, "content_start_s",
      p->content_start / (gdouble) GST_SECOND);
  json_object_set_boolean_member (o, "variable_frame_rate", p->variable_fps);
  json_object_set_boolean_member (o, "interlaced", p->interlaced);
  json_object_set_int_member (o, "bit_depth", p->bit_depth);
  set_opt_string (o, "chroma_format", p->chroma_format);
  set_opt_string (o, "colorimetry", p->colorimetry);
  json_object_set_boolean_member (o, "hdr", p->hdr);
  g_free (par);
  return o;
}

static JsonObject *
audio_to_json (const CcProbe * p)
{
  JsonObject *o = json_object_new ();

  set_opt_string (o, "codec", p->audio_codec_name);
  set_opt_string (o, "profile", p->audio_profile);
  json_object_set_int_member (o, "channels", p->channels);
  json_object_set_string_member (o, "layout", cc_probe_audio_layout (p));
  json_object_set_int_member (o, "sample_rate", p->rate);
  return o;
}

JsonNode *
cc_probe_to_json (const CcProbe * p)
{
  JsonObject *o = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  set_opt_string (o, "container", p->container_name);
  set_opt_string (o, "container_caps", p->container);
  set_opt_double (o, "duration_s", GST_CLOCK_TIME_IS_VALID (p->duration),
      p->duration / (gdouble) GST_SECOND);
  json_object_set_boolean_member (o, "duration_exact", p->duration_exact);
  json_object_set_int_member (o, "video_streams", p->n_video);
  json_object_set_int_member (o, "audio_streams", p->n_audio);
  json_object_set_int_member (o, "subtitle_streams", p->n_subtitle);
  if (p->n_video)
    json_object_set_object_member (o, "video", video_to_json (p));
  else
    json_object_set_null_member (o, "video");
  if (p->n_audio)
    json_object_set_object_member (o, "audio", audio_to_json (p));
  else
    json_object_set_null_member (o, "audio");
  json_node_take_object (node, o);
  return node;
}
