#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Normalise only: any phone or camera file to MP4 / H.264 High / AAC-LC,
# 1920x1080 (or 1080x1920 for a portrait source: swap W and H), 25 fps
# constant, square pixels, BT.709, upright (rotation tags applied),
# progressive. No captions, no watermark, no duration rule.
#
#   pipelines/recipes/normalise.sh IN OUT.mp4 [W H]
#
# campuscut process / submissionbin do the same and more (orientation chosen
# for you, a silent track when the source has none, loudness, checks).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 IN OUT.mp4 [W H]" >&2; exit 2; }
in=$1 out=$2 w=${3:-1920} h=${4:-1080}

gst-launch-1.0 -e filesrc location="$in" ! decodebin name=d \
  d. ! queue ! videoflip video-direction=auto ! deinterlace ! videorate ! \
    videoconvertscale add-borders=true ! \
    "video/x-raw,format=I420,width=$w,height=$h,framerate=25/1,pixel-aspect-ratio=1/1,colorimetry=bt709" ! \
    x264enc speed-preset=faster pass=qual quantizer=21 bitrate=8000 \
      vbv-buf-capacity=2000 key-int-max=50 bframes=3 dct8x8=true cabac=true ! \
    video/x-h264,profile=high ! h264parse ! queue ! mux. \
  d. ! queue ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! \
    avenc_aac bitrate=160000 ! aacparse ! queue ! mux. \
  mp4mux name=mux faststart=true ! filesink location="$out"
