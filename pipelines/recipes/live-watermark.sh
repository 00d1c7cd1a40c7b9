#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Watermark a live stream with the school emblem and name, and send it on
# as MPEG-TS (here into a file; use udpsink host=… port=… to stream it).
# Shown with a live test source; for a camera replace the first element by
#   v4l2src device=/dev/video0 ! videoconvert
# and for an IP camera by
#   rtspsrc location=rtsp://camera/stream latency=200 ! decodebin ! videoconvert
# Every schoolwatermark property can be changed while the stream runs.
#
#   pipelines/recipes/live-watermark.sh LOGO "SCHOOL NAME" OUT.ts [FRAMES]
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 LOGO \"SCHOOL NAME\" OUT.ts [FRAMES]" >&2; exit 2; }
logo=$1 school=$2 out=$3 frames=${4:--1}

gst-launch-1.0 -e videotestsrc is-live=true num-buffers="$frames" ! \
  video/x-raw,width=1280,height=720,framerate=25/1 ! \
  schoolwatermark logo-location="$logo" text="$school" corner=top-left opacity=0.9 ! \
  videoconvert ! x264enc tune=zerolatency speed-preset=veryfast key-int-max=50 ! \
  h264parse ! mpegtsmux ! filesink location="$out"
