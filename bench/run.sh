#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# campuscut against the ffmpeg way and against the bare-encode floor, side
# by side in one run on one machine, on three sources the project did not
# tune for:
#   phone     1920x1080 30 fps H.264 High without B-frames, 2 s GOP, CRF 18,
#             speech-like AAC (what a phone records)
#   hevc4k    3840x2160 60 fps HEVC Main 10 (what recent phones record; the
#             decode-heavy one). x265 makes about 5 such frames a second
#             here, so a 4 s piece is encoded once and repeated to the
#             length (stream copy): every frame is still decoded in full.
#   camera    1280x720 25 fps H.264 with B-frames (a camera's file)
# Three ways of doing the same job on each:
#   (a) campuscut process: full cut + platform cut, captions, watermark,
#       loudness (two-pass), read-back checks, report.json;
#   (b) the equivalent single ffmpeg command: one decode, split to two
#       outputs, subtitles + overlay + drawtext + loudnorm;
#   (c) the floor: decode + scale + encode of the same two outputs (the
#       platform cut in the same 9:16 framing over a blurred background,
#       since what x264 spends depends on the pixels it is given), with no
#       captions, watermark or loudness.
# x264 chooses its own threads in all three, as a hand-written command
# lets it, and is otherwise set the same (checked from the option strings
# x264 writes into each stream). Runs alternate a b c a b c ...; printed
# are medians of wall time, CPU time (user + system) and peak memory, the
# ratios a/b and a/c against the targets, SSIM of each full cut against
# the scaled source, the draft mode's speed on the 1080p source, and
# campuscut's peak memory on a 1-minute and a 5-minute source.
#
# Usage: bench/run.sh [--seconds N] [--runs R] [--sources "phone hevc4k camera"]
#                     [--no-growth]
#        (defaults: 210 s, 3 runs, all three sources, growth measured)
# Generated sources are kept in $CAMPUSCUT_BENCH_CACHE (default
# ~/.cache/campuscut-bench): the 210 s 4K one takes some minutes to make.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
seconds=210
runs=3
growth=1
sources="phone hevc4k camera"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --sources) sources=$2; shift 2 ;;
    --no-growth) growth=0; shift ;;
    *) echo "usage: bench/run.sh [--seconds N] [--runs R] [--sources LIST] [--no-growth]" >&2
       exit 2 ;;
  esac
done

scripts/bootstrap.sh --with-tests
scripts/build.sh
export GST_PLUGIN_PATH="$top/build/plugins"
cli="$top/build/pipelines/campuscut"
cache=${CAMPUSCUT_BENCH_CACHE:-$HOME/.cache/campuscut-bench}
mkdir -p "$cache"
work=$(mktemp -d /tmp/campuscut-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

school="技能成才职业技术学院"
font=/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc
# the repository's own material: a 3.5-minute story's captions, an SVG emblem
cp "$top/tests/data/story.srt" captions.srt
cp "$top/tests/data/school-logo.svg" logo.svg
gst-launch-1.0 -q filesrc location=logo.svg ! rsvgdec ! videoconvert ! \
  video/x-raw,format=RGBA ! pngenc ! filesink location=logo.png

speech="anoisesrc=color=pink:amplitude=0.1:seed=5,lowpass=3000,volume='if(lt(mod(t\,0.25)\,0.17)\,1\,0.05)':eval=frame"

# make_source KIND SECONDS: the cached path of that source, made if missing
make_source() {
  local kind=$1 len=$2 out="$cache/$1-$2.mp4" tmp
  if [ -s "$out" ]; then echo "$out"; return; fi
  tmp="$cache/.$kind-$len.tmp.mp4"
  case "$kind" in
    phone)
      ffmpeg -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30" -f lavfi -i "$speech" \
        -t "$len" -c:v libx264 -preset superfast -profile:v high -bf 0 -g 60 -crf 18 \
        -pix_fmt yuv420p -c:a aac -b:a 192k "$tmp" ;;
    camera)
      ffmpeg -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=25" -f lavfi -i "$speech" \
        -t "$len" -c:v libx264 -preset faster -profile:v high -bf 3 -g 50 -crf 20 \
        -pix_fmt yuv420p -c:a aac -b:a 128k "$tmp" ;;
    hevc4k)
      local piece="$cache/hevc4k-piece.mp4" n i
      if [ ! -s "$piece" ]; then
        ffmpeg -v error -y -f lavfi -i "testsrc2=size=3840x2160:rate=60" -t 4 \
          -c:v libx265 -preset ultrafast -x265-params log-level=error:keyint=120 \
          -pix_fmt yuv420p10le -tag:v hvc1 "$cache/.piece.mp4"
        mv "$cache/.piece.mp4" "$piece"
      fi
      n=$(( (len + 3) / 4 ))
      : > pieces.txt
      for i in $(seq "$n"); do echo "file '$piece'" >> pieces.txt; done
      ffmpeg -v error -y -f concat -safe 0 -i pieces.txt -f lavfi -i "$speech" -t "$len" \
        -map 0:v -map 1:a -c:v copy -c:a aac -b:a 192k "$tmp" ;;
  esac
  mv "$tmp" "$out"
  echo "$out"
}

mmss() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }
# The platform segments, fixed so that all three do the same work: the
# issue's 49 s list on sources of 90 s and more, three segments of a sixth
# of the length each on shorter ones.
segments_for() {
  local len=$1 s=() i
  if [ "$len" -ge 90 ]; then s=(1 15 30 45 60 80)
  else local k=$((len / 6)); s=(1 $((1 + k)) $((2 * k)) $((3 * k)) $((4 * k)) $((5 * k))); fi
  segs=""; sel=""
  for i in 0 2 4; do
    segs="$segs${segs:+,}$(mmss "${s[$i]}")-$(mmss "${s[$((i + 1))]}")"
    sel="$sel${sel:+ +}between(t,${s[$i]},${s[$((i + 1))]})"
  done
}

# x264 as campuscut's standard quality sets it; threads are x264's own.
x264=(-c:v libx264 -preset faster -crf 21 -maxrate 8000k -bufsize 16000k
      -g 50 -keyint_min 5 -bf 3 -b_strategy 1 -rc-lookahead 10
      -profile:v high -pix_fmt yuv420p -threads 0
      -c:a aac -b:a 160k -ar 48000 -ac 2 -movflags +faststart)
fit_full="scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080:(ow-iw)/2:(oh-ih)/2,setsar=1"
fg="scale=1080:-2"
bg="scale=18:32:force_original_aspect_ratio=increase,crop=18:32,scale=1080:1920:flags=bicubic,eq=brightness=-0.25:saturation=0.8"

run_a() {
  "$cli" process "$src" -o a --quiet --quality standard --captions captions.srt \
    --school "$school" --logo logo.svg --platform-cut "$segs"
}
run_b() {
  ffmpeg -v error -y -i "$src" -i logo.png -filter_complex "
    [0:v]fps=25,format=yuv420p,split=2[v1][v2];
    [1:v]split=2[l1][l2];[l1]scale=-1:86[lg1];[l2]scale=-1:86[lg2];
    [v1]$fit_full,subtitles=captions.srt:force_style='FontName=Noto Sans CJK SC,Bold=1,FontSize=22,Outline=2'[s1];
    [s1][lg1]overlay=32:32,drawtext=fontfile=$font:text=$school:fontsize=38:fontcolor=white:borderw=3:x=130:y=55[full];
    [v2]select='$sel',setpts=N/25/TB,split=2[p1][p2];
    [p1]$bg[pb];[p2]$fg[pf];[pb][pf]overlay=(W-w)/2:(H-h)/2[pp];
    [pp][lg2]overlay=32:192,drawtext=fontfile=$font:text=$school:fontsize=38:fontcolor=white:borderw=3:x=130:y=215[plat];
    [0:a]asplit=2[a1][a2];
    [a1]loudnorm=I=-16:TP=-1.5[fa];
    [a2]aselect='$sel',asetpts=N/SR/TB,loudnorm=I=-16:TP=-1.5[pa]" \
    -map "[full]" -map "[fa]" "${x264[@]}" b_full.mp4 \
    -map "[plat]" -map "[pa]" "${x264[@]}" b_platform.mp4
}
run_c() {
  ffmpeg -v error -y -i "$src" -filter_complex "
    [0:v]fps=25,format=yuv420p,split=2[v1][v2];
    [v1]$fit_full[full];
    [v2]select='$sel',setpts=N/25/TB,split=2[p1][p2];
    [p1]$bg[pb];[p2]$fg[pf];[pb][pf]overlay=(W-w)/2:(H-h)/2[plat];
    [0:a]asplit=2[a1][a2];[a2]aselect='$sel',asetpts=N/SR/TB[pa]" \
    -map "[full]" -map "[a1]" "${x264[@]}" c_full.mp4 \
    -map "[plat]" -map "[pa]" "${x264[@]}" c_platform.mp4
}

# "wall cpu rss_kb" of one run of a shell function, from GNU time
measure() {
  /usr/bin/time -f '%e %U %S %M' -o t.txt bash -c "$(declare -f "$1"); \
    $(declare -p src segs sel cli school font fit_full fg bg x264 2>/dev/null); $1"
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' t.txt
}
median() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { echo "scale=3; $1 / $2" | bc; }
# how far one way's runs are apart: (largest / smallest - 1) in per cent
spread() { printf '%s\n' $1 | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.0f", (lo > 0 ? (hi / lo - 1) * 100 : 0)}'; }
# the whole string x264 records: every setting, not a chosen few
opts() { grep -a -o 'options: [^[:cntrl:]]*' "$1" | head -1; }
# SSIM of a full cut against the source scaled to it, frame by frame. The
# two tools pick different source frames for an output frame when the rates
# differ (60 or 30 fps to 25): GStreamer's videorate the nearest one, ffmpeg's
# fps filter one about half a source frame later. A reference made with
# either tool's choice favours that tool (on the 4K source by 0.01), so each
# output frame is scored against both source frames around its time (the
# one at or before it, the one after) and keeps the better score.
ssim() {
  ffmpeg -hide_banner -nostats -i "$1" -i "$src" -filter_complex "
    [0:v]format=yuv420p,split[d0][d1];
    [1:v]setpts=N/FRAME_RATE/TB,split[s0][s1];
    [s0]fps=25:round=up,format=yuv420p,$fit_full[r0];
    [s1]trim=start_frame=1,setpts=N/FRAME_RATE/TB,fps=25:round=up,format=yuv420p,$fit_full[r1];
    [d0][r0]ssim=stats_file=ssim0.log:shortest=1[o0];
    [d1][r1]ssim=stats_file=ssim1.log:shortest=1[o1]" \
    -map '[o0]' -f null - -map '[o1]' -f null - >/dev/null 2>&1
  awk 'FNR == NR { a[$1] = substr($5, 5) + 0; next }
       ($1 in a) { b = substr($5, 5) + 0; s += (a[$1] > b ? a[$1] : b); n++ }
       END { if (n) printf "%.4f\n", s / n }' ssim0.log ssim1.log
  rm -f ssim0.log ssim1.log
}
verdict() { if [ "$(echo "$1 $2 $3" | awk '{print ($2 == "<=" ? $1 <= $3 : $1 >= $3)}')" = 1 ]; then echo ok; else echo MISSED; fi; }

summary=()
for kind in $sources; do
  echo "== $kind: making or reusing a ${seconds} s source"
  src=$(make_source "$kind" "$seconds")
  segments_for "$seconds"
  echo "   $(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,profile,width,height,r_frame_rate,has_b_frames -of csv=p=0 "$src"); platform cut $segs"
  declare -A t=() u=() m=()
  for r in $(seq "$runs"); do
    for v in a b c; do
      rm -rf a b_*.mp4 c_*.mp4 2>/dev/null || true
      read -r wall cpu rss < <(measure "run_$v")
      t[$v]="${t[$v]:-} $wall"; u[$v]="${u[$v]:-} $cpu"; m[$v]="${m[$v]:-} $rss"
      echo "   run $r ($v): $wall s wall, $cpu s CPU, $((rss / 1024)) MB peak"
      rm -rf "keep-$v"; mkdir "keep-$v"; mv a b_*.mp4 c_*.mp4 "keep-$v/" 2>/dev/null || true
    done
  done
  # the last round's outputs, for the settings and quality checks
  mv keep-a/a keep-b/b_*.mp4 keep-c/c_*.mp4 . && rm -rf keep-a keep-b keep-c
  for cut in full platform; do
    for o in b c; do
      if [ "$(opts a/$cut.mp4)" != "$(opts ${o}_$cut.mp4)" ]; then
        echo "   x264 settings DIFFER (a/$cut.mp4 vs ${o}_$cut.mp4):"
        diff <(opts a/$cut.mp4 | tr ' ' '\n') <(opts ${o}_$cut.mp4 | tr ' ' '\n') | grep '^[<>]' | sed 's/^/     /' || true
      fi
    done
  done
  echo "   x264 (a, full cut): $(opts a/full.mp4 | grep -o 'threads=[0-9]* lookahead_threads=[0-9]* sliced_threads=[0-9]*')"
  sa=$(ssim a/full.mp4); sb=$(ssim b_full.mp4)
  ta=$(median "${t[a]}"); tb=$(median "${t[b]}"); tc=$(median "${t[c]}")
  ua=$(median "${u[a]}"); ub=$(median "${u[b]}"); uc=$(median "${u[c]}")
  ma=$(median "${m[a]}"); mb=$(median "${m[b]}")
  line=$(printf '%-7s a/b wall %s (<= 0.90: %s)  a/c wall %s (<= 1.05: %s)  a/b CPU %s (<= 1: %s)  RSS a %d MB b %d MB (%s)  SSIM a %s b %s (%s)' \
    "$kind" "$(ratio "$ta" "$tb")" "$(verdict "$(ratio "$ta" "$tb")" "<=" 0.90)" \
    "$(ratio "$ta" "$tc")" "$(verdict "$(ratio "$ta" "$tc")" "<=" 1.05)" \
    "$(ratio "$ua" "$ub")" "$(verdict "$(ratio "$ua" "$ub")" "<=" 1.0)" \
    $((${ma%.*} / 1024)) $((${mb%.*} / 1024)) "$(verdict "$ma" "<=" "$mb")" \
    "$sa" "$sb" "$(verdict "$sa" ">=" "$sb")")
  echo "   medians: a $ta s / $ua s CPU, b $tb s / $ub s, c $tc s / $uc s"
  if [ "$runs" -gt 1 ]; then
    sp=$(for v in a b c; do spread "${u[$v]}"; echo; done | sort -n | tail -1)
    echo "   CPU time of the same command varied by up to $sp % between its runs (a $(spread "${u[a]}") %, b $(spread "${u[b]}") %, c $(spread "${u[c]}") %)"
    if [ "$sp" -gt 10 ]; then
      echo "   (more than the 10 % the wall-time targets ask: the machine's speed moved during the runs, so these ratios are within its noise)"
    fi
  fi
  echo "   $line"
  summary+=("$line")
  if [ "$kind" = phone ]; then
    dts=""
    for r in 1 2 3; do
      rm -rf d
      s0=$(date +%s.%N)
      "$cli" process "$src" -o d --quiet --quality draft --captions captions.srt \
        --school "$school" --logo logo.svg --platform-cut "$segs"
      dts="$dts $(echo "$(date +%s.%N) - $s0" | bc)"
    done
    dt=$(median "$dts")
    x=$(echo "scale=1; $seconds / $dt" | bc)
    summary+=("phone   draft: ${x}x real time (median of$dts s) (>= 5: $(verdict "$x" ">=" 5))")
    echo "   ${summary[-1]}"
  fi
  rm -rf a d b_*.mp4 c_*.mp4
done

if [ "$growth" = 1 ]; then
  echo
  echo "== memory growth: campuscut's peak RSS on a 1-minute and a 5-minute phone source"
  echo "   (twice each, alternating: single peaks vary by about 10 MB from run to run)"
  g60=$(make_source phone 60); g300=$(make_source phone 300)
  declare -A g=()
  for rep in 1 2; do
    for len in 60 300; do
      gsrc=$g60; [ "$len" = 300 ] && gsrc=$g300
      rss=$( { /usr/bin/time -f '%M' "$cli" process "$gsrc" -o "g$len" --quiet \
        --quality standard --captions captions.srt --school "$school" --logo logo.svg \
        --platform-cut "0:01-0:15,0:30-0:45" ; } 2>&1 | tail -1)
      g[$len]=$(( ${g[$len]:-0} + rss / 2 ))
      echo "   ${len} s source, run $rep: $((rss / 1024)) MB"
      rm -rf "g$len"
    done
  done
  pct=$(echo "scale=1; (${g[300]} - ${g[60]}) * 100 / ${g[60]}" | bc)
  summary+=("growth 1 -> 5 min: $((g[60] / 1024)) -> $((g[300] / 1024)) MB, ${pct} % (< 5: $(verdict "$pct" "<=" 5))")
fi

echo
echo "== summary: ${seconds} s sources, medians of $runs alternating runs"
printf '%s\n' "${summary[@]}"
