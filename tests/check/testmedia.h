/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Helpers shared by the campuscut tests: a temporary folder per test, media
 * generated at test time, running submissionbin and the CLI, and decoding
 * outputs back to pixels and samples.
 */
#pragma once

#include <gst/check/gstcheck.h>

G_BEGIN_DECLS

/* A fresh temporary folder, removed (with its contents) by cc_test_cleanup. */
const gchar *cc_test_tmpdir (void);
void cc_test_cleanup (void);
gchar *cc_test_path (const gchar * name);

/* Runs a gst-launch description to EOS; fails the test on error. */
void cc_test_launch (const gchar * description);
/* The same for a pipeline the test built (and keeps), e.g. with probes;
 * it is left in NULL. */
void cc_test_run (GstElement * pipeline);
/* Runs a test-only tool (ffmpeg) that the bootstrap installs. */
void cc_test_run_tool (const gchar * const *argv);

/* Runs submissionbin on input; returns NULL on success or the error
 * message (caller frees). error_domain receives the GError domain. */
gchar *cc_test_transcode (const gchar * input, const gchar * output,
    const gchar * quality, const gchar * encoder, guint stall_timeout,
    GQuark * error_domain, gint * error_code);

/* Runs the campuscut CLI; returns its exit code and captures output. */
gint cc_test_cli (const gchar * const *args, gchar ** out, gchar ** err);

/* Decodes the frame shown at time t (seconds) to packed RGB. */
guint8 *cc_test_frame_rgb (const gchar * path, gdouble t, gint * width,
    gint * height);
/* What a rectangle [x0, x1) x [y0, y1) of a packed RGB frame shows:
 * mean BT.709 luma (0-255), the mean absolute deviation of each of R, G
 * and B (colour variation), and detail: the mean squared luma step to the
 * right and lower neighbours (high-frequency energy, which a blur
 * removes and a sharp copy keeps). */
typedef struct {
  gdouble luma;
  gdouble spread[3];
  gdouble detail;
} CcRegionStats;
void cc_test_region_stats (const guint8 * rgb, gint width, gint x0, gint y0,
    gint x1, gint y1, CcRegionStats * stats);
/* Pixels of the rectangle where two RGB frames of the same width differ by
 * more than threshold in any component. */
guint cc_test_count_changed (const guint8 * a, const guint8 * b, gint width,
    gint x0, gint y0, gint x1, gint y1, gint threshold);

/* Chinese text tesseract reads in an image file (PNM), without spaces
 * and punctuation. */
gchar *cc_test_ocr_image (const gchar * image);
/* The text tesseract (chi_sim) reads in rows [y0, y1) of the frame shown
 * at t, without spaces and punctuation. Only near-white pixels count as
 * ink: captions and the school name are white, and a busy picture behind
 * them is then no text. */
gchar *cc_test_ocr_white (const gchar * video, gdouble t, gint y0, gint y1);

/* Mean luma of every decoded frame, with its running time in seconds. */
GArray *cc_test_frame_lumas (const gchar * path, GArray ** times);
/* Decoded audio as interleaved S16 stereo at 48 kHz. */
GArray *cc_test_audio_s16 (const gchar * path);

/* Names of the files in a folder, sorted, joined with spaces. */
gchar *cc_test_list_dir (const gchar * dir);

/* The settings x264 wrote into the stream's SEI ("options: ..."), and
 * a check that one "key=value" is among them. */
gchar *cc_test_x264_options (const gchar * path);
void cc_test_assert_x264_option (const gchar * opts, const gchar * expected);

G_END_DECLS
