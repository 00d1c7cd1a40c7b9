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
