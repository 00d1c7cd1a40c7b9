#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Burn Chinese captions (SRT, WebVTT or ASS; UTF-8, UTF-16, GBK or Big5)
# into an existing file; the picture size and frame rate stay as they are.
#
#   pipelines/recipes/burn-captions.sh IN CAPTIONS OUT.mp4
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 IN CAPTIONS OUT.mp4" >&2; exit 2; }
in=$1 captions=$2 out=$3

gst-launch-1.0 -e filesrc location="$in" ! decodebin name=d \
  d. ! queue ! videoconvert ! captionburn location="$captions" ! videoconvert ! \
    x264enc speed-preset=faster pass=qual quantizer=21 bframes=3 ! \
    h264parse ! queue ! mux. \
  d. ! queue ! audioconvert ! audioresample ! avenc_aac bitrate=160000 ! \
    aacparse ! queue ! mux. \
  mp4mux name=mux faststart=true ! filesink location="$out"
