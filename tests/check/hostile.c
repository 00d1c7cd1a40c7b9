/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Broken and hostile inputs, generated here, through the CLI as a batch
 * server runs it: headers mutated at random (seeded, reproducible;
 * hundreds of variants over MP4 with the index first and last, and
 * Matroska), MP4 truncated at many points, a picture size no camera
 * records, a tiny file whose timestamps claim hours, playlists and
 * manifests named .mp4 that point at local files and loopback servers, a
 * video without audio. Every run must end (the CLI's own watchdogs are set
 * short), exit 4 with one line naming the file and nothing written — or,
 * when the file is in fact decodable, exit 0 with outputs that passed the
 * CLI's checks. Playlists must never be followed: the loopback server
 * never sees a connection and the local target never a reader.
 */
#include <errno.h>
#include <stdlib.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "testmedia.h"

static void
teardown (void)
{
  cc_test_cleanup ();
}

/* A second of 96x64 video at 25 fps with a tone, in the given muxer. One
 * encoder thread: x264's output depends on its thread count, and the same
 * bytes on every machine make the same mutants and the same cut points. */
static gchar *
make_base (const gchar * name, const gchar * mux)
{
  gchar *path = cc_test_path (name);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=25 pattern=ball ! "
      "video/x-raw,width=96,height=64,framerate=25/1 ! x264enc "
      "key-int-max=5 threads=1 ! h264parse ! queue ! m. audiotestsrc "
      "num-buffers=47 samplesperbuffer=1024 ! "
      "audio/x-raw,rate=48000,channels=2 ! avenc_aac ! aacparse ! queue ! "
      "m. %s name=m ! filesink location=%s",
      mux, path);

  cc_test_launch (desc);
  g_free (desc);
  return path;
}

/* What an accepted output must be, read back by ffprobe (not by the
 * GStreamer stack that wrote it): an MP4 whose H.264 video and AAC audio
 * decode without a complaint, each to at least a frame, lasting at least
 * half of the one-second sources (the CLI refuses inputs truncated by more
 * than a tenth) and no longer than they do, give or take an AAC frame of
 * 1024 samples (21 ms): the sources' audio ends with one at 1.024 s, and
 * the output's audio is encoded again in frames of its own. */
static void
probe_output (const gchar * input, const gchar * path)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-count_frames",
    "-show_entries", "format=format_name,duration:stream=codec_type,"
        "codec_name,nb_read_frames", "-of", "default=noprint_wrappers=1",
    path, NULL
  };
  gchar *out = NULL, *err = NULL, **lines;
  GError *error = NULL;
  gint status = 0;
  gchar *codec = NULL;
  guint video_frames = 0, audio_frames = 0, videos = 0, audios = 0;
  gdouble duration = -1;
  gboolean mp4 = FALSE;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, &err, &status, &error), "cannot run ffprobe: %s",
      error ? error->message : "?");
  fail_unless (g_spawn_check_wait_status (status, NULL) && *err == '\0',
      "%s: ffprobe on the accepted output: %s", input, err);
  /* streams list codec_name, codec_type, nb_read_frames in that order */
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    const gchar *l = lines[i];

    if (g_str_has_prefix (l, "codec_name=")) {
      g_free (codec);
      codec = g_strdup (l + strlen ("codec_name="));
    } else if (g_str_has_prefix (l, "nb_read_frames=") && codec) {
      guint n = (guint) g_ascii_strtoull (l + strlen ("nb_read_frames="),
          NULL, 10);

      if (strcmp (codec, "h264") == 0) {
        videos++;
        video_frames = n;
      } else if (strcmp (codec, "aac") == 0) {
        audios++;
        audio_frames = n;
      } else {
        fail ("%s: the output has a %s stream: %s", input, codec, out);
      }
    } else if (g_str_has_prefix (l, "format_name=")) {
      mp4 = strstr (l, "mp4") != NULL;
    } else if (g_str_has_prefix (l, "duration=") &&
        g_ascii_isdigit (l[strlen ("duration=")])) {
      duration = g_ascii_strtod (l + strlen ("duration="), NULL);
    }
  }
  fail_unless (mp4, "%s: the output is not MP4: %s", input, out);
  fail_unless (videos == 1 && video_frames > 0, "%s: no decodable H.264 "
      "video in the output: %s", input, out);
  fail_unless (audios == 1 && audio_frames > 0, "%s: no decodable AAC audio "
      "in the output: %s", input, out);
  fail_unless (duration >= 0.5 && duration <= 1.024 + 1024 / 48000.0,
      "%s: the output lasts %f s, from a one-second source", input, duration);
  g_strfreev (lines);
  g_free (codec);
  g_free (out);
  g_free (err);
}

/* Runs one job on input; returns the exit code after checking what every
 * outcome must satisfy, and the CLI's message in *message if asked. */
static gint
run_job_message (const gchar * input, const gchar * category,
    gchar ** message)
{
  gchar *outdir = cc_test_path ("out");
  const gchar *args[] = { "process", input, "-o", outdir, "-q", "draft",
    "--stall-timeout", "15", "--max-time", "120", "--loudness", "off",
    "--category", category ? category : "overview", NULL
  };
  gchar *err = NULL, *listing, **lines;
  gint ret = cc_test_cli (args, NULL, &err);
  guint problems = 0;

  listing = cc_test_list_dir (outdir);
  fail_unless (ret == 0 || ret == 3 || ret == 4, "%s: exit %d: %s", input,
      ret, err);
  if (ret == 0) {
    gchar *full = g_build_filename (outdir, "full.mp4", NULL);

    fail_unless (strstr (listing, "full.mp4") != NULL, "%s: %s", input,
        listing);
    /* an exit 0 is only as good as what was written */
    probe_output (input, full);
    g_free (full);
  } else {
    fail_unless (strstr (err, input) != NULL, "message does not name the "
        "file: %s", err);
    lines = g_strsplit (g_strstrip (err), "\n", -1);
    for (guint i = 0; lines[i]; i++)
      if (!g_str_has_prefix (lines[i], "campuscut: progress") &&
          !g_str_has_prefix (lines[i], "campuscut: warning"))
        problems++;
    g_strfreev (lines);
    fail_unless (problems == 1, "%s: %u lines: %s", input, problems, err);
    fail_unless (strstr (listing, ".mp4") == NULL &&
        strstr (listing, ".part") == NULL, "%s left behind: %s", input,
        listing);
  }
  /* the next job starts with an empty folder */
  {
    gchar *argv[] = { (gchar *) "rm", (gchar *) "-rf", outdir, NULL };
    g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
        NULL, NULL, NULL);
  }
  g_free (listing);
  if (message)
    *message = err;
  else
    g_free (err);
  g_free (outdir);
  return ret;
}

static gint
run_job (const gchar * input, const gchar * category)
{
  return run_job_message (input, category, NULL);
}

/* Flips a few bytes inside [from, to) of a copy of base. */
static gchar *
mutate (const gchar * data, gsize len, gsize from, gsize to, guint32 seed,
    const gchar * name)
{
  GRand *rand = g_rand_new_with_seed (seed);
  gchar *copy = g_memdup2 (data, len);
  gchar *path = cc_test_path (name);
  guint n = (guint) g_rand_int_range (rand, 1, 9);

  for (guint i = 0; i < n; i++) {
    gsize at = from + (gsize) g_rand_int_range (rand, 0, (gint32) (to - from));

    switch (g_rand_int_range (rand, 0, 3)) {
      case 0:                  /* a random byte */
        copy[at] = (gchar) g_rand_int_range (rand, 0, 256);
        break;
      case 1:                  /* a size or count blown up */
        copy[at] = (gchar) 0xff;
        break;
      default:                 /* zeroed */
        copy[at] = 0;
        break;
    }
  }
  fail_unless (g_file_set_contents (path, copy, len, NULL));
  g_free (copy);
  g_rand_free (rand);
  return path;
}

static void
mutate_many (const gchar * base, gboolean index_last, guint32 first_seed,
    guint count, guint * outcomes)
{
  gchar *data;
  gsize len;

  fail_unless (g_file_get_contents (base, &data, &len, NULL));
  for (guint i = 0; i < count; i++) {
    gsize region = MIN (len, 4096);
    gsize from = index_last ? len - region : 0;
    gchar *name = g_strdup_printf ("mutant-%u.mp4", first_seed + i);
    gchar *path = mutate (data, len, from, from + region, first_seed + i,
        name);
    gint ret = run_job (path, NULL);

    outcomes[ret == 0 ? 0 : 1]++;
    g_unlink (path);
    g_free (path);
    g_free (name);
  }
  g_free (data);
}

/* What the CLI says is what a batch server sees; GStreamer's own debug log
 * (libav's decoding complaints at ERROR level) is for developers. */
static void
quiet_debug_log (void)
{
  g_setenv ("GST_DEBUG", "0", TRUE);
}

GST_START_TEST (test_mutated_headers)
{
  gchar *moov_first = make_base ("moov_first.mp4", "mp4mux faststart=true");
  gchar *moov_last = make_base ("moov_last.mp4", "mp4mux");
  gchar *mkv = make_base ("base.mkv", "matroskamux");
  guint outcomes[2] = { 0, 0 };
  guint n;

  /* the bases themselves are fine */
  fail_unless_equals_int (run_job (moov_first, NULL), 0);
  fail_unless_equals_int (run_job (moov_last, NULL), 0);
  fail_unless_equals_int (run_job (mkv, NULL), 0);

  /* 70 variants of each; CAMPUSCUT_MUTANTS sets another count (the
   * sanitizer run in CI uses fewer, long fuzzing runs more) */
  n = g_getenv ("CAMPUSCUT_MUTANTS") ? (guint) atoi (g_getenv
      ("CAMPUSCUT_MUTANTS")) : 70;
  mutate_many (moov_first, FALSE, 1000, n, outcomes);
  mutate_many (moov_last, TRUE, 2000, n, outcomes);
  mutate_many (mkv, FALSE, 3000, n, outcomes);
  /* both outcomes occur: the variants do damage, and damage is not always
   * fatal */
  g_print ("mutated headers: %u decodable, %u rejected\n", outcomes[0],
      outcomes[1]);
  fail_unless (outcomes[0] > 0 && outcomes[1] > 0, "%u decodable, %u "
      "rejected", outcomes[0], outcomes[1]);
  g_free (moov_first);
  g_free (moov_last);
  g_free (mkv);
}

GST_END_TEST;

/* MP4 cut short at 2 % to 98 % of its length. Up to 90 % a cut loses
 * more than the tenth of the duration the CLI tolerates, or the index:
 * rejected, saying the file is truncated. At 98 % the two files differ.
 * With the index last, the index is gone: nothing is playable, rejected
 * the same way. With the index first, what is lost is the end of the
 * media data: the last two video frames in decoding order (a B-frame at
 * 0.88 s and the frame at 0.96 s, 80 ms), within the tolerance, so the
 * job succeeds, and its output must then pass the probe. */
GST_START_TEST (test_truncated)
{
  gchar *moov_first = make_base ("moov_first.mp4", "mp4mux faststart=true");
  gchar *moov_last = make_base ("moov_last.mp4", "mp4mux");
  const gchar *bases[] = { moov_first, moov_last };
  const gdouble cuts[] = { 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98 };

  for (guint b = 0; b < G_N_ELEMENTS (bases); b++) {
    gchar *data;
    gsize len;

    fail_unless (g_file_get_contents (bases[b], &data, &len, NULL));
    for (guint c = 0; c < G_N_ELEMENTS (cuts); c++) {
      gchar *path = cc_test_path ("cut.mp4");
      gchar *message = NULL;
      gboolean accept = cuts[c] > 0.95 && bases[b] == moov_first;
      gint ret;

      fail_unless (g_file_set_contents (path, data,
              (gssize) (len * cuts[c]), NULL));
      ret = run_job_message (path, NULL, &message);
      if (accept) {
        /* run_job_message probed the output */
        fail_unless (ret == 0, "%s cut at %.0f %%, 80 ms short: exit %d: %s",
            bases[b], cuts[c] * 100, ret, message);
      } else {
        fail_unless (ret == 4, "%s cut at %.0f %%: exit %d: %s", bases[b],
            cuts[c] * 100, ret, message);
        fail_unless (strstr (message, "truncated") != NULL, "%s cut at "
            "%.0f %%: %s", bases[b], cuts[c] * 100, message);
      }
      g_free (message);
      g_free (path);
    }
    g_free (data);
  }
  g_free (moov_first);
  g_free (moov_last);
}

GST_END_TEST;

/* Y4M headers claiming 9000x9000 and 100000x100000: decoding them would
 * allocate 120 MB and 15 GB a frame. Rejected from the header, as is one
 * without a picture size (y4mdec refuses it with a GStreamer-CRITICAL on
 * stderr, which would be a second line). */
GST_START_TEST (test_absurd_dimensions)
{
  gchar *path = cc_test_path ("huge.y4m");
  gchar *path2 = cc_test_path ("huger.y4m");
  gchar *path3 = cc_test_path ("sizeless.y4m");
  GString *s = g_string_new ("YUV4MPEG2 W9000 H9000 F25:1 Ip A1:1 "
      "C420jpeg\nFRAME\n");
  GString *s2 = g_string_new ("YUV4MPEG2 W100000 H100000 F25:1 Ip A1:1 "
      "C420jpeg\nFRAME\n");
  GString *s3 = g_string_new ("YUV4MPEG2 F25:1 Ip A1:1 C420jpeg\nFRAME\n");
  gchar *err = NULL;
  gchar *outdir = cc_test_path ("out");
  const gchar *args[] = { "process", path, "-o", outdir, "-q", "draft",
    NULL
  };

  for (guint i = 0; i < 4096; i++) {
    g_string_append_c (s, (gchar) (i * 7));
    g_string_append_c (s2, (gchar) (i * 7));
    g_string_append_c (s3, (gchar) (i * 7));
  }
  fail_unless (g_file_set_contents (path, s->str, s->len, NULL));
  fail_unless (g_file_set_contents (path2, s2->str, s2->len, NULL));
  fail_unless (g_file_set_contents (path3, s3->str, s3->len, NULL));
  fail_unless_equals_int (run_job (path, NULL), 4);
  /* several times: the refusal used to race with a duration query */
  for (guint i = 0; i < 5; i++)
    fail_unless_equals_int (run_job (path2, NULL), 4);
  fail_unless_equals_int (run_job (path3, NULL), 4);
  fail_unless_equals_int (cc_test_cli (args, NULL, &err), 4);
  fail_unless (strstr (err, "9000x9000 pixels") != NULL, "%s", err);
  g_free (err);
  g_free (outdir);
  g_string_free (s, TRUE);
  g_string_free (s2, TRUE);
  g_string_free (s3, TRUE);
  g_free (path);
  g_free (path2);
  g_free (path3);
}

GST_END_TEST;

/* Half a second of frames, then one frame three hours later: a tiny file
 * that claims hours. With a category it is rejected from its header;
 * without one the gap stops the job at once instead of encoding three
 * hours of a frozen frame. */
GST_START_TEST (test_timestamp_gap)
{
  gchar *path = cc_test_path ("gap.mkv");
  const gchar *argv[] = { "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
    "testsrc=size=96x64:rate=25:duration=0.6", "-vf",
    "setpts='if(lt(N,14),PTS,PTS+10800/TB)'", "-fps_mode", "passthrough",
    "-c:v", "libx264", "-preset", "ultrafast", path, NULL
  };
  gchar *outdir = cc_test_path ("out");
  const gchar *args[] = { "process", path, "-o", outdir, "-q", "draft",
    NULL
  };
  gchar *err = NULL;
  gint64 t0;

  cc_test_run_tool (argv);
  fail_unless_equals_int (run_job (path, "story"), 3);

  t0 = g_get_monotonic_time ();
  fail_unless_equals_int (cc_test_cli (args, NULL, &err), 4);
  fail_unless (strstr (err, "timestamps are damaged") != NULL, "%s", err);
  /* it stopped at the gap rather than encoding through it (a bound far
   * above the few seconds it takes, far below three hours of encoding) */
  fail_unless (g_get_monotonic_time () - t0 < 120 * G_USEC_PER_SEC);
  g_free (err);
  g_free (outdir);
  g_free (path);
}

GST_END_TEST;

/* A loopback TCP listener that accepts nothing; connection attempts queue
 * up and can be counted afterwards. */
static gint
listen_loopback (guint16 * port)
{
  struct sockaddr_in a = { 0 };
  socklen_t alen = sizeof (a);
  gint fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fail_unless (bind (fd, (struct sockaddr *) &a, sizeof (a)) == 0);
  fail_unless (listen (fd, 16) == 0);
  fail_unless (getsockname (fd, (struct sockaddr *) &a, &alen) == 0);
  *port = ntohs (a.sin_port);
  return fd;
}

GST_START_TEST (test_playlists_not_followed)
{
  guint16 port;
  gint server = listen_loopback (&port);
  gchar *target = make_base ("target.mp4", "mp4mux faststart=true");
  gchar *fifo = cc_test_path ("target-fifo.ts");
  gchar *url = g_strdup_printf ("http://127.0.0.1:%u", port);
  gchar *lists[9];
  guint n = 0;

  fail_unless (mkfifo (fifo, 0600) == 0);
  lists[n++] = g_strdup_printf ("#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
      "#EXTINF:1.0,\n%s\n#EXTINF:1.0,\n%s/seg.ts\n#EXTINF:1.0,\n%s\n"
      "#EXT-X-ENDLIST\n", target, url, fifo);
  lists[n++] = g_strdup_printf ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n"
      "%s/variant.m3u8\n", url);
  lists[n++] = g_strdup_printf ("#EXTM3U\n#EXTINF:1,clip\nfile://%s\n"
      "%s\n", target, fifo);
  lists[n++] = g_strdup_printf ("[playlist]\nNumberOfEntries=2\n"
      "File1=%s\nFile2=%s/a.mp4\nVersion=2\n", target, url);
  lists[n++] = g_strdup_printf ("<?xml version=\"1.0\"?>\n<MPD xmlns=\""
      "urn:mpeg:dash:schema:mpd:2011\" type=\"static\" "
      "mediaPresentationDuration=\"PT1S\"><BaseURL>%s/</BaseURL><Period>"
      "<AdaptationSet mimeType=\"video/mp4\"><Representation id=\"1\" "
      "bandwidth=\"1\"><BaseURL>v.mp4</BaseURL></Representation>"
      "</AdaptationSet></Period></MPD>\n", url);
  lists[n++] = g_strdup_printf ("<?xml version=\"1.0\"?>\n<playlist "
      "version=\"1\" xmlns=\"http://xspf.org/ns/0/\"><trackList><track>"
      "<location>file://%s</location></track><track><location>%s/b.mp4"
      "</location></track></trackList></playlist>\n", target, url);
  lists[n++] = g_strdup_printf ("<asx version=\"3.0\"><entry><ref href=\""
      "%s/c.wmv\"/></entry><entry><ref href=\"%s\"/></entry></asx>\n", url,
      target);
  lists[n++] = g_strdup_printf ("<smil><body><video src=\"%s\"/><video "
      "src=\"%s/d.mp4\"/></body></smil>\n", target, url);
  lists[n++] = g_strdup_printf ("v=0\no=- 0 0 IN IP4 127.0.0.1\ns=cam\n"
      "c=IN IP4 127.0.0.1\nt=0 0\nm=video %u RTP/AVP 96\n"
      "a=rtpmap:96 H264/90000\n", port);

  for (guint i = 0; i < n; i++) {
    gchar *name = g_strdup_printf ("playlist-%u.mp4", i);
    gchar *path = cc_test_path (name);

    fail_unless (g_file_set_contents (path, lists[i], -1, NULL));
    /* a reader on the FIFO would block here forever: the watchdog would
     * end the job with a different message and code */
    fail_unless_equals_int (run_job (path, NULL), 4);
    g_free (path);
    g_free (name);
    g_free (lists[i]);
  }
  /* nobody knocked */
  fail_unless (accept (server, NULL, NULL) < 0 && (errno == EAGAIN ||
          errno == EWOULDBLOCK), "a playlist was followed to %s", url);
  close (server);
  g_free (url);
  g_free (fifo);
  g_free (target);
}

GST_END_TEST;

/* Video without audio is a usable submission: delivered with silence. */
GST_START_TEST (test_video_only)
{
  gchar *path = cc_test_path ("mute.mp4");
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=25 ! "
      "video/x-raw,width=96,height=64,framerate=25/1 ! x264enc ! mp4mux ! "
      "filesink location=%s", path);

  cc_test_launch (desc);
  fail_unless_equals_int (run_job (path, NULL), 0);
  g_free (desc);
  g_free (path);
}

GST_END_TEST;

static Suite *
hostile_suite (void)
{
  Suite *s = suite_create ("hostile");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, quiet_debug_log, teardown);
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_mutated_headers);
  tcase_add_test (tc, test_truncated);
  tcase_add_test (tc, test_absurd_dimensions);
  tcase_add_test (tc, test_timestamp_gap);
  tcase_add_test (tc, test_playlists_not_followed);
  tcase_add_test (tc, test_video_only);
  return s;
}

GST_CHECK_MAIN (hostile);
