#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Makes the pictures in docs/images/ from a real job: a generated landscape
# submission with Chinese captions and an SVG emblem goes through
# `campuscut process`, and one frame of each cut is saved as a small PNG
# (one frame per second decoded with GStreamer, the one a caption is on
# kept).
#
#   docs/make-pictures.sh          (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
export GST_PLUGIN_PATH="$top/build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
work=$(mktemp -d /tmp/campuscut-pictures-XXXXXX)
trap 'rm -rf "$work"' EXIT

gst-launch-1.0 -q -e \
  videotestsrc num-buffers=600 pattern=smpte ! \
    video/x-raw,width=1280,height=720,framerate=25/1 ! \
    timeoverlay halignment=center valignment=center font-desc="Sans 36" ! \
    x264enc speed-preset=ultrafast ! h264parse ! mux. \
  audiotestsrc num-buffers=469 samplesperbuffer=1024 freq=330 volume=0.3 ! \
    audio/x-raw,rate=48000,channels=1 ! avenc_aac ! mux. \
  mp4mux name=mux ! filesink location="$work/submission.mp4"
cat > "$work/emblem.svg" <<'SVG'
<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">
  <circle cx="128" cy="128" r="120" fill="#b3261e" stroke="#ffffff" stroke-width="8"/>
  <path d="M128 40 L150 104 L218 104 L163 144 L184 210 L128 170 L72 210 L93 144 L38 104 L106 104 Z" fill="#ffd54f"/>
</svg>
SVG
cat > "$work/captions.srt" <<'SRT'
1
00:00:02,000 --> 00:00:09,000
十年前，他和我一样，坐在这间实训车间里。

2
00:00:10,000 --> 00:00:16,000
他告诉我们：技能成才，强国有我。
SRT

build/pipelines/campuscut process "$work/submission.mp4" -o "$work/out" --quiet \
  --captions "$work/captions.srt" --school "技能成才职业技术学院" --logo "$work/emblem.svg" \
  --platform-cut "0:02-0:12"

# frame N s of FILE, scaled to WxH, into OUT
frame() {
  local file=$1 second=$2 w=$3 h=$4 out=$5
  rm -rf "$work/frames"; mkdir "$work/frames"
  gst-launch-1.0 -q filesrc location="$file" ! decodebin ! videoconvert ! \
    videorate drop-only=true max-rate=1 ! videoscale ! "video/x-raw,width=$w,height=$h" ! \
    pngenc compression-level=9 ! multifilesink location="$work/frames/%03d.png"
  cp "$work/frames/$(printf "%03d" "$second").png" "$out"
}
frame "$work/out/full.mp4" 5 640 360 docs/images/full.png
frame "$work/out/platform.mp4" 3 270 480 docs/images/platform.png
ls -l docs/images/
