#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# One campuscut build against another on the same job, side by side in one
# run: alternating pairs (A B A B ...) on a 1080p30 phone-like source with
# the story's captions, the school emblem and name, two-pass loudness and a
# fixed platform cut. Prints the medians of wall time, CPU time and peak
# memory of each build and the ratios B/A. For a change that must not cost
# speed (a refactoring): bench/run.sh measures campuscut against ffmpeg,
# this measures it against itself.
#
# Usage: bench/ab.sh A_BUILD_DIR [B_BUILD_DIR] [--seconds N] [--runs R]
#        (B defaults to ./build; 90 s, 3 pairs)
#        e.g. git worktree add /tmp/base REV && meson setup /tmp/base/build
#             && ninja -C /tmp/base/build && bench/ab.sh /tmp/base/build
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
a_build=
b_build=$top/build
seconds=90
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -*) echo "usage: bench/ab.sh A_BUILD_DIR [B_BUILD_DIR] [--seconds N] [--runs R]" >&2; exit 2 ;;
    *) if [ -z "$a_build" ]; then a_build=$1; else b_build=$1; fi; shift ;;
  esac
done
[ -n "$a_build" ] || { echo "usage: bench/ab.sh A_BUILD_DIR [B_BUILD_DIR] [--seconds N] [--runs R]" >&2; exit 2; }
a_build=$(cd "$a_build" && pwd)
b_build=$(cd "$b_build" && pwd)
for b in "$a_build" "$b_build"; do
  [ -x "$b/pipelines/campuscut" ] || { echo "bench/ab.sh: no campuscut in $b" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/campuscut-ab-XXXXXX")
trap 'rm -rf "$work"' EXIT
samples="$top/tests/data"
ffmpeg -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30" \
  -f lavfi -i "anoisesrc=color=pink:amplitude=0.1:seed=5,lowpass=3000,volume='if(lt(mod(t\,0.25)\,0.17)\,1\,0.05)':eval=frame" \
  -t "$seconds" -c:v libx264 -preset ultrafast -crf 16 -c:a aac -b:a 192k "$work/src.mp4"

# one job: prints "wall user sys maxrss_kb"
run() {
  local build=$1 out=$2
  rm -rf "$out"
  GST_PLUGIN_PATH="$build/plugins" /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
    "$build/pipelines/campuscut" process "$work/src.mp4" -o "$out" --quiet \
    --category story --captions "$samples/story.srt" --logo "$samples/school-logo.svg" \
    --school "技能成才职业技术学院" --platform-cut 0:01-0:15,0:30-0:45,1:00-1:20 \
    >/dev/null || { echo "bench/ab.sh: $build failed" >&2; exit 1; }
  cat "$work/time"
}

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

: > "$work/a"; : > "$work/b"
for i in $(seq "$runs"); do
  echo "pair $i: A $(run "$a_build" "$work/out-a" | tee -a "$work/a")"
  echo "pair $i: B $(run "$b_build" "$work/out-b" | tee -a "$work/b")"
done
for s in a b; do
  wall=$(awk '{print $1}' "$work/$s" | median)
  cpu=$(awk '{print $2 + $3}' "$work/$s" | median)
  rss=$(awk '{print $4}' "$work/$s" | median)
  eval "${s}_wall=$wall ${s}_cpu=$cpu ${s}_rss=$rss"
done
echo "== medians of $runs pairs, ${seconds} s source"
echo "A ($a_build): ${a_wall} s wall, ${a_cpu} s CPU, $((a_rss / 1024)) MiB peak"
echo "B ($b_build): ${b_wall} s wall, ${b_cpu} s CPU, $((b_rss / 1024)) MiB peak"
awk -v aw="$a_wall" -v bw="$b_wall" -v ac="$a_cpu" -v bc="$b_cpu" \
  -v ar="$a_rss" -v br="$b_rss" 'BEGIN {
    printf "B/A = %.3f wall, %.3f CPU, %.3f peak memory\n", bw / aw, bc / ac, br / ar }'
