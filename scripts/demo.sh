#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The main job end to end: makes a sample submission the way a phone app
# would (portrait 9:16 at 30 fps, H.264 4:4:4, mono 44.1 kHz audio, a
# moov-last QuickTime file) with a GBK caption file and an SVG emblem, runs
# campuscut on it and prints where the outputs are.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

scripts/bootstrap.sh
scripts/build.sh
export GST_PLUGIN_PATH="$top/build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

out=${1:-$top/demo-output}
seconds=${DEMO_SECONDS:-200}
mkdir -p "$out"
sample="$out/sample-submission.mov"
tmp="$out/.sample-submission.mov"

echo "campuscut demo: making a ${seconds} s sample submission (portrait phone video) ..."
frames=$((seconds * 30))
blocks=$((seconds * 44100 / 1024))
gst-launch-1.0 -q \
  videotestsrc num-buffers=$frames pattern=smpte ! \
    video/x-raw,width=360,height=640,framerate=30/1,format=Y444 ! \
    timeoverlay halignment=center valignment=center font-desc="Sans 20" ! \
    x264enc speed-preset=ultrafast ! h264parse ! mux. \
  audiotestsrc num-buffers=$blocks samplesperbuffer=1024 wave=sine freq=330 volume=0.3 ! \
    audio/x-raw,rate=44100,channels=1 ! avenc_aac ! mux. \
  qtmux name=mux ! filesink location="$tmp"
mv "$tmp" "$sample"

# The school's emblem, as schools send it: an SVG.
logo="$out/sample-emblem.svg"
cp "$top/tests/data/school-logo.svg" "$logo"

# Captions as a Windows editor saves them: GBK with CRLF line ends.
captions="$out/sample-captions.srt"
python3 - "$captions" <<'PY'
import sys
lines = ["大家好，我是机电一体化专业二年级的学生。",
         "今天我想讲一讲我的学长，一位从我们学校走出去的焊接工匠。",
         "十年前，他和我一样，坐在这间实训车间里。",
         "那时候他常说，焊枪就是他的笔，焊缝就是他写的字。",
         "他用了三年时间，把一道焊缝练到了毫米级的精度。",
         "后来，他代表学校参加全国职业技能大赛，拿到了金牌。",
         "他告诉我们：技能成才，强国有我。",
         "我也想成为像他一样的未来工匠。"]
out = []
for i, text in enumerate(lines):
    start = 2 + i * 24
    out.append(f"{i + 1}\r\n00:{start // 60:02d}:{start % 60:02d},000 --> "
               f"00:{(start + 6) // 60:02d}:{(start + 6) % 60:02d},000\r\n{text}\r\n")
open(sys.argv[1], "wb").write("\r\n".join(out).encode("gb18030"))
PY

echo "campuscut demo: processing ..."
build/pipelines/campuscut process "$sample" -o "$out" --category story --quality standard \
  --school "技能成才职业技术学院" --logo "$logo" --captions "$captions"
echo
echo "sample input: $sample"
echo "outputs:      $out/full.mp4"
echo "              $out/platform.mp4"
echo "              $out/report.json"
