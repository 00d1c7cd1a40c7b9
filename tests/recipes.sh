#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs every recipe in pipelines/recipes/ and every example launch line of
# the element documentation on generated media, and checks what they made
# with ffprobe/ffmpeg (test oracles only). Prints a GstCheck-style summary
# line so that scripts/test.sh counts the cases.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
recipes=$top/pipelines/recipes
work=$(mktemp -d /tmp/campuscut-recipes-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

checks=0 failures=0
pass() { checks=$((checks + 1)); echo "PASS: $1"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL: $1"; }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }

probe() { ffprobe -v error -select_streams "$2" -show_entries "$3" -of csv=p=0 "$1" | head -1; }
duration() { ffprobe -v error -show_entries format=duration -of csv=p=0 "$1"; }
near() { python3 -c "import sys; sys.exit(0 if abs(float('$1') - float('$2')) <= float('$3') else 1)"; }
# Mean absolute difference of a region (x y w h, in a 640x360 gray frame)
# between frame T of two files.
region_diff() {
  python3 - "$@" <<'PY'
import subprocess, sys
a, b, t, x, y, w, h = sys.argv[1:8]
def gray(f):
    return subprocess.run(["ffmpeg", "-v", "error", "-ss", t, "-i", f, "-frames:v", "1",
        "-vf", "scale=640:360,format=gray", "-f", "rawvideo", "-"], capture_output=True, check=True).stdout
ga, gb = gray(a), gray(b)
x, y, w, h = map(int, (x, y, w, h))
d = [abs(ga[r * 640 + c] - gb[r * 640 + c]) for r in range(y, y + h) for c in range(x, x + w)]
print(sum(d) / len(d))
PY
}
gt() { python3 -c "import sys; sys.exit(0 if float('$1') > float('$2') else 1)"; }
lt() { python3 -c "import sys; sys.exit(0 if float('$1') < float('$2') else 1)"; }

# Media: a 12 s 640x360 clip with a 440 Hz tone, Chinese captions, a logo,
# and a -20 dBFS 1 kHz stereo sine as WAV.
gst-launch-1.0 -q -e videotestsrc num-buffers=300 pattern=smpte ! \
  video/x-raw,width=640,height=360,framerate=25/1 ! x264enc ! h264parse ! mp4mux name=m ! \
  filesink location=talk.mp4 audiotestsrc num-buffers=563 samplesperbuffer=1024 freq=440 volume=0.3 ! \
  audio/x-raw,rate=48000,channels=2 ! avenc_aac ! aacparse ! m. || { echo "cannot make media"; exit 1; }
cat > talk.srt <<'SRT'
1
00:00:01,000 --> 00:00:11,000
我是机电一体化专业的学生。
SRT
# the repository's own emblem (tests/data), so that a plain clone runs this
cp "$top/tests/data/school-logo.svg" emblem.svg || { echo "no tests/data/school-logo.svg"; exit 1; }
gst-launch-1.0 -q audiotestsrc num-buffers=470 samplesperbuffer=1024 freq=1000 volume=0.1 ! \
  audio/x-raw,rate=48000,channels=2,format=S16LE ! wavenc ! filesink location=tone.wav

# normalise.sh
if "$recipes/normalise.sh" talk.mp4 norm.mp4 640 360 >log 2>&1; then
  check "normalise: 640x360" [ "$(probe norm.mp4 v:0 stream=width,height)" = "640,360" ]
  check "normalise: High profile, 25 fps" [ "$(probe norm.mp4 v:0 stream=profile,r_frame_rate)" = "High,25/1" ]
  check "normalise: AAC LC 48 kHz stereo" [ "$(probe norm.mp4 a:0 stream=profile,sample_rate,channels)" = "LC,48000,2" ]
  check "normalise: 12 s" near "$(duration norm.mp4)" 12 0.1
else fail "normalise ran"; cat log; fi

# burn-captions.sh: the bottom of the frame changes while the cue is on,
# the top does not
if "$recipes/burn-captions.sh" talk.mp4 talk.srt burned.mp4 >log 2>&1; then
  check "burn-captions: caption area changed" gt "$(region_diff talk.mp4 burned.mp4 5 100 280 440 60)" 8
  check "burn-captions: rest untouched" lt "$(region_diff talk.mp4 burned.mp4 5 0 0 640 150)" 3
  check "burn-captions: nothing after the cue" lt "$(region_diff talk.mp4 burned.mp4 11.5 100 280 440 60)" 3
else fail "burn-captions ran"; cat log; fi

# live-watermark.sh: 50 live frames into MPEG-TS, the emblem top-left
gst-launch-1.0 -q videotestsrc num-buffers=1 ! video/x-raw,width=1280,height=720 ! \
  x264enc ! mpegtsmux ! filesink location=plain.ts
if timeout 120 "$recipes/live-watermark.sh" emblem.svg "技能成才职业技术学院" live.ts 50 >log 2>&1; then
  check "live-watermark: 50 frames" [ "$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 live.ts | grep -m1 .)" = 50 ]
  check "live-watermark: emblem top-left" gt "$(region_diff plain.ts live.ts 0 8 8 60 60)" 20
  check "live-watermark: bottom right untouched" lt "$(region_diff plain.ts live.ts 0 400 250 200 100)" 3
else fail "live-watermark ran"; cat log; fi

# platform-cut.sh: 3 s + 2 s, portrait
if "$recipes/platform-cut.sh" talk.mp4 "0:01-0:04,0:06-0:08" plat.mp4 >log 2>&1; then
  check "platform-cut: 5 s" near "$(duration plat.mp4)" 5 0.1
  check "platform-cut: 1080x1920" [ "$(probe plat.mp4 v:0 stream=width,height)" = "1080,1920" ]
else fail "platform-cut ran"; cat log; fi

# measure-loudness.sh: a -20 dBFS 1 kHz sine on both channels is -20 LUFS
out=$("$recipes/measure-loudness.sh" tone.wav 2>&1)
i=$(echo "$out" | awk '$1 == "integrated" {print $2}')
if [ -n "$i" ]; then check "measure-loudness: -20 LUFS (measured $i)" near "$i" -20 0.3
else fail "measure-loudness printed: $out"; fi

# full-job.sh: both cuts from one element
if timeout 300 "$recipes/full-job.sh" talk.mp4 job overview talk.srt emblem.svg "技能成才职业技术学院" "0:02-0:06" >log 2>&1; then
  check "full-job: full cut 1920x1080, 12 s" [ "$(probe job/full.mp4 v:0 stream=width,height)" = "1920,1080" ]
  check "full-job: full cut duration" near "$(duration job/full.mp4)" 12 0.1
  check "full-job: platform cut 4 s" near "$(duration job/platform.mp4)" 4 0.1
else fail "full-job ran"; cat log; fi

# The example launch lines of the element documentation, on the same media
# (sinks that play in real time replaced by fakesink; the submissionbin
# example's 3-5 minute story category replaced by overview for the 12 s
# clip).
mkdir -p data/in data/out
cp talk.mp4 data/in/phone.mov; cp talk.mp4 data/in/talk.mp4; cp talk.srt data/in/talk.srt; cp emblem.svg data/in/emblem.svg
python3 - "$top" > examples.txt <<'PY'
import glob, re, sys
top = sys.argv[1]
for path in sorted(glob.glob(top + "/elements/gst*.c") + glob.glob(top + "/pipelines/gst*.c")):
    text = open(path, encoding="utf-8").read()
    for block in re.findall(r"\|\[(.*?)\]\|", text, re.S):
        lines = [re.sub(r"^\s*\*\s?", "", l) for l in block.splitlines()]
        cmd = ""
        for l in lines:
            if not l.strip():
                continue
            if l.rstrip().endswith("\\"):
                cmd += l.rstrip()[:-1] + " "
                continue
            cmd += l.strip()
            if cmd.startswith("gst-launch-1.0"):
                print(path.rsplit("/", 1)[1] + "\t" + cmd)
            cmd = ""
PY
n=0
while IFS=$'\t' read -r file cmd; do
  n=$((n + 1))
  cmd=${cmd//\/data\//$work\/data\/}
  cmd=${cmd//autovideosink/fakesink}
  cmd=${cmd//autoaudiosink/fakesink}
  cmd=${cmd//category=story/category=overview}
  cmd=${cmd//0:05-0:35,1:10-1:40/0:01-0:05}
  if (cd data/in && timeout 300 bash -c "$cmd" >../../log 2>&1); then pass "example $n of $file"
  else fail "example $n of $file: $cmd"; cat log; fi
done < examples.txt
check "examples found" [ "$n" -ge 7 ]

pct=$(( (checks - failures) * 100 / (checks > 0 ? checks : 1) ))
echo "${pct}%: Checks: $checks, Failures: $failures, Errors: 0"
[ "$failures" -eq 0 ]
