#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The platform cut from a cut list: the listed stretches of the source
# joined with short dips to black and audio fades, in 9:16 at 1080x1920
# with letterbox bars (campuscut process frames it over a blurred
# background instead), at most 60 s.
#
#   pipelines/recipes/platform-cut.sh IN "0:05-0:20,1:10-1:25" OUT.mp4
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 IN SEGMENTS OUT.mp4" >&2; exit 2; }
in=$1 segments=$2 out=$3

gst-launch-1.0 -e filesrc location="$in" ! decodebin name=d \
  d. ! queue ! videoconvert ! cutlist segments="$segments" ! videorate ! \
    videoconvertscale add-borders=true ! \
    video/x-raw,format=I420,width=1080,height=1920,framerate=25/1,pixel-aspect-ratio=1/1 ! \
    durationguard max-duration=60000000000 on-too-long=trim ! \
    x264enc speed-preset=faster pass=qual quantizer=21 bframes=3 ! \
    h264parse ! queue ! mux. \
  d. ! queue ! audioconvert ! cutlist segments="$segments" ! audioresample ! \
    audio/x-raw,rate=48000,channels=2 ! \
    durationguard max-duration=60000000000 on-too-long=trim ! \
    avenc_aac bitrate=160000 ! aacparse ! queue ! mux. \
  mp4mux name=mux faststart=true ! filesink location="$out"
