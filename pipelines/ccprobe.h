/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Pre-flight probe: what a media file is, read from its headers and first
 * packets without decoding the whole file. The CLI uses it before encoding
 * and again on its own outputs to check them.
 */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  gchar *uri;
  gchar *container;             /* caps name, e.g. video/quicktime */
  gchar *container_variant;     /* e.g. iso for MP4 */
  gchar *container_name;        /* human description */
  GstClockTime duration;
  gboolean duration_exact;      /* indexed container, not an estimate */
  guint n_video, n_audio, n_subtitle;

  /* first video stream */
  gchar *video_codec;           /* caps name */
  gchar *video_codec_name;
  gchar *video_profile;
  gchar *video_level;
  guint width, height;          /* coded */
  guint display_width, display_height;  /* after rotation and PAR */
  gint par_n, par_d;
  gint fps_n, fps_d;
  gboolean variable_fps;
  GstClockTime content_start;   /* stream time of the first picture */
  gboolean interlaced;
  guint bit_depth;
  gchar *chroma_format;         /* 4:2:0, 4:2:2, 4:4:4, or NULL */
  gchar *colorimetry;
  gboolean hdr;
  guint rotation;               /* clockwise degrees: 0, 90, 180, 270 */
  gboolean flipped;

  /* first audio stream */
  gchar *audio_codec;
  gchar *audio_codec_name;
  gchar *audio_profile;
  guint channels;
  guint rate;
} CcProbe;

/* Reads the file at path. On failure returns FALSE with a GError in the
 * GStreamer domains whose message is meant for the user. */
gboolean cc_probe_file (const gchar * path, guint timeout_s, CcProbe * probe,
    GError ** error);
void cc_probe_clear (CcProbe * probe);
JsonNode *cc_probe_to_json (const CcProbe * probe);
const gchar *cc_probe_audio_layout (const CcProbe * probe);

/* Refuses anything that is not one local regular non-empty file, and
 * playlists or manifests that would make a demuxer read other resources. */
gboolean cc_check_input_file (const gchar * path, GError ** error);

/* Keeps every GStreamer user in this process from autoplugging elements that
 * fetch further files or URLs (cc_klass_reads_elsewhere: HLS/DASH/MSS
 * demuxers, network sources). */
void cc_disable_remote_elements (void);

G_END_DECLS
