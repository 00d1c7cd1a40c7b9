#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: scripts/compare-builds.sh BASE_REV [NEW_REV]
#
# Checks that two revisions of campuscut write the same outputs for the same
# input and options (issue #16): builds BASE_REV, and NEW_REV or (without it)
# the working tree as it is, each in its own temporary build directory;
# makes a few small, varied inputs with ffmpeg; runs both CLIs on them with
# option sets that cover the main code paths, and compares the results.
#
# mp4mux writes the time of writing into the MP4 headers, so whole files
# differ from run to run. Each output MP4 is compared instead by
#   - the SHA-256 of each stream's encoded packets (ffmpeg's streamhash muxer),
#   - the SHA-256 of each stream's packet timestamps, durations and flags
#     (ffprobe),
#   - each stream's parameters and codec configuration (ffprobe, with the
#     hash of the extradata; the creation_time tag left out),
#   - the SHA-256 of the whole file with the creation and modification times
#     of mvhd, tkhd and mdhd zeroed: equal means bit-identical but for those,
# and report.json leaf by leaf, without tool, input.file, result.elapsed_s and
# result.phases (and with the output folder's path written as OUTDIR). The
# exit status of each run is compared too.
#
# A "same" only means something if a build repeats itself: the new build
# runs one case (overview-trim, x264 with two frame threads) a second time
# as a control, and every case that differs is run once more with the new
# build, to tell a difference between the revisions from a case that does
# not repeat itself (that one says NOT REPRODUCIBLE).
#
# Prints one line per case, "same  CASE" or "DIFF  CASE (what differs)",
# then "N same, N different". Exit status 0 only when everything is the same,
# 1 when something differs, 2 on a usage error or a failed build.
#
# Temporary files go under $TMPDIR (default /tmp) and are removed on exit;
# CMP_KEEP=1 keeps them (the path is printed) for a closer look.
# Takes several minutes on two cores: two builds and fifteen campuscut runs.
set -euo pipefail

usage () {
  echo "usage: $0 BASE_REV [NEW_REV]   (NEW_REV default: the working tree)" >&2
  exit 2
}
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
case "$1" in -h|--help) usage ;; esac

top=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
base_rev=$(git -C "$top" rev-parse --verify --quiet "$1^{commit}") ||
  { echo "$0: not a revision: $1" >&2; exit 2; }
new_rev=
if [ $# -eq 2 ]; then
  new_rev=$(git -C "$top" rev-parse --verify --quiet "$2^{commit}") ||
    { echo "$0: not a revision: $2" >&2; exit 2; }
fi
for tool in meson ninja ffmpeg ffprobe python3; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is needed" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/compare-builds.XXXXXX")
worktrees=()
cleanup () {
  local wt
  for wt in ${worktrees[@]+"${worktrees[@]}"}; do
    git -C "$top" worktree remove --force "$wt" >/dev/null 2>&1 || true
  done
  if [ "${CMP_KEEP:-0}" = 1 ]; then
    echo "kept $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say () { echo "compare-builds: $*" >&2; }

# Build ---------------------------------------------------------------------

# build NAME REV-or-empty: sets up and builds into $work/build-NAME; an empty
# REV builds the working tree.
build () {
  local name=$1 rev=$2 src opts=(-Dbuildtype=debugoptimized)
  if [ -n "$rev" ]; then
    src=$work/src-$name
    git -C "$top" worktree add --detach --quiet "$src" "$rev"
    worktrees+=("$src")
    say "building $name: $(git -C "$top" log -1 --format='%h %s' "$rev" | cut -c1-60)"
  else
    src=$top
    say "building $name: the working tree of $top"
  fi
  # The GstCheck suite is not needed here; older trees may lack the option.
  if grep -q "option('tests'" "$src/meson_options.txt" 2>/dev/null; then
    opts+=(-Dtests=disabled)
  fi
  if ! meson setup "$work/build-$name" "$src" "${opts[@]}" \
      >"$work/build-$name.log" 2>&1 ||
     ! ninja -C "$work/build-$name" >>"$work/build-$name.log" 2>&1; then
    tail -n 30 "$work/build-$name.log" >&2
    say "the $name build failed"
    exit 2
  fi
  [ -x "$work/build-$name/pipelines/campuscut" ] ||
    { say "no CLI in $work/build-$name/pipelines"; exit 2; }
}

build base "$base_rev"
build new "$new_rev"

# The same caption file and logo for both builds, taken once.
mkdir -p "$work/data"
for f in story.srt school-logo.svg; do
  if [ -n "$new_rev" ]; then
    git -C "$top" show "$new_rev:tests/data/$f" >"$work/data/$f"
  else
    cp "$top/tests/data/$f" "$work/data/$f"
  fi
done

# Inputs --------------------------------------------------------------------

say "making the inputs"
in=$work/in
mkdir -p "$in"
ff () { ffmpeg -nostdin -v error -y "$@"; }
# (a) 200 s 320x180 H.264 (with B-frames) 30 fps + AAC stereo 48 kHz, MP4.
ff -f lavfi -i testsrc2=size=320x180:rate=30:duration=200 \
   -f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=48000:duration=200" \
   -c:v libx264 -preset veryfast -bf 3 -g 60 -pix_fmt yuv420p \
   -c:a aac -ac 2 -b:a 96k "$in/a-h264-aac.mp4"
# (b) 40 s portrait phone clip: 320x180 HEVC stored with a 90° display
#     matrix (shown 180x320) at 29.97 fps + AAC mono 44.1 kHz. ffmpeg 5.1
#     writes the rotate tag as a display matrix only when copying streams.
ff -f lavfi -i testsrc2=size=320x180:rate=30000/1001:duration=40 \
   -f lavfi -i "sine=frequency=330:sample_rate=44100:duration=40" \
   -c:v libx265 -preset ultrafast -x265-params log-level=error -tag:v hvc1 \
   -pix_fmt yuv420p -c:a aac -ac 1 -ar 44100 -b:a 64k "$in/b-unrotated.mp4"
ff -i "$in/b-unrotated.mp4" -map 0 -c copy -metadata:s:v:0 rotate=90 \
   "$in/b-hevc-portrait.mp4"
rm "$in/b-unrotated.mp4"
# (c) 20 s MPEG-TS: MPEG-2 video 352x288 25 fps + MP2 audio.
ff -f lavfi -i testsrc=size=352x288:rate=25:duration=20 \
   -f lavfi -i "sine=frequency=550:sample_rate=48000:duration=20" \
   -c:v mpeg2video -q:v 5 -c:a mp2 -b:a 128k -f mpegts "$in/c-mpeg2-mp2.ts"
# (d) 20 s without audio: VP8 320x240 24 fps in Matroska.
ff -f lavfi -i smptebars=size=320x240:rate=24:duration=20 \
   -c:v libvpx -deadline realtime -cpu-used 8 -b:v 400k -an "$in/d-vp8-noaudio.mkv"

# Cases ---------------------------------------------------------------------

# name|input|options, split on spaces; @data@ is the folder with the
# caption file and the logo, @school@ the school's name, @x264@ the encoder
# with x264's threaded look-ahead off.
#
# x264 with frame threads AND its threaded look-ahead (sync-lookahead, on by
# default) is not reproducible: with --threads 2 at standard quality the same
# build writes a few different frames from run to run (VBV decisions depend
# on how far the look-ahead thread has got). With sync-lookahead=0, or one
# thread, it is. campuscut turns it off itself only with automatic threads
# and a platform cut, so the --threads 2 cases at standard quality add
# --video-encoder "x264enc sync-lookahead=0" (every campaign setting stays;
# that one is added after them). Draft quality (ultrafast) has no look-ahead.
# The trim runs on the MP4 input: trimming the MPEG-TS one fails most of the
# time in both revisions tested (tsdemux "Internal data stream error": the
# duration guard refuses a tag event that comes after its EOS).
cases=(
  "story-auto-cut|a-h264-aac.mp4|--category story --quality draft --captions @data@/story.srt --school @school@ --logo @data@/school-logo.svg --threads 2"
  "portrait-hevc-cut-list|b-hevc-portrait.mp4|--quality draft --platform-cut 0:02-0:10,0:15-0:20 --platform-aspect source --threads 2"
  "portrait-hevc-overlays-auto-threads|b-hevc-portrait.mp4|--captions @data@/story.srt --school @school@ --logo @data@/school-logo.svg --platform-cut 0:03-0:13"
  "overview-trim|a-h264-aac.mp4|--category overview --on-too-long trim --max-duration 15 --loudness off --threads 2 --video-encoder @x264@"
  "ts-mpeg2-mp2|c-mpeg2-mp2.ts|--category overview --loudness ebu --threads 2 --video-encoder @x264@"
  "ts-story-rejected|c-mpeg2-mp2.ts|--category story --threads 2"
  "mkv-no-audio|d-vp8-noaudio.mkv|--category platform --quality draft --school @school@ --threads 2"
)
control=overview-trim

# run BUILD CASE OUTNAME: runs one case with one build into $work/out/OUTNAME
# and writes its fingerprint to $work/fp/OUTNAME.json.
run () {
  local build=$1 name=$2 outname=$3 spec input opts rc=0 c
  for c in "${cases[@]}"; do
    [ "${c%%|*}" = "$name" ] && spec=$c
  done
  input=${spec#*|}; input=${input%%|*}
  read -ra opts <<<"${spec#*|*|}"
  opts=("${opts[@]//@data@/$work/data}")
  opts=("${opts[@]//@school@/技能成才职业技术学院}")
  opts=("${opts[@]//@x264@/x264enc sync-lookahead=0}")
  local out=$work/out/$outname
  mkdir -p "$(dirname "$out")" "$(dirname "$work/fp/$outname")"
  env LC_ALL=C.UTF-8 LANGUAGE= GST_DEBUG= \
    GST_PLUGIN_PATH="$work/build-$build/plugins" \
    GST_REGISTRY="$work/registry-$build.bin" \
    "$work/build-$build/pipelines/campuscut" process "$in/$input" -o "$out" \
    --quiet "${opts[@]}" >"$work/out/$outname.log" 2>&1 || rc=$?
  python3 "$work/fingerprint.py" "$out" "$rc" >"$work/fp/$outname.json"
}

cat >"$work/fingerprint.py" <<'PY'
"""fingerprint.py OUTDIR EXIT_CODE: prints a JSON object of what is compared."""
import hashlib, json, os, struct, subprocess, sys

out, rc = sys.argv[1], int(sys.argv[2])
fp = {"exit status": rc,
      "files": sorted(os.listdir(out)) if os.path.isdir(out) else []}

def run(*argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout

def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()

def masked_mp4(path):
    """The file's bytes with mvhd/tkhd/mdhd creation and modification times
    zeroed."""
    data = bytearray(open(path, "rb").read())
    containers = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts",
                  b"dinf", b"udta", b"mvex", b"moof", b"traf"}
    def walk(start, end):
        pos = start
        while pos + 8 <= end:
            size, kind = struct.unpack(">I4s", data[pos:pos + 8])
            head = 8
            if size == 1:
                size, head = struct.unpack(">Q", data[pos + 8:pos + 16])[0], 16
            elif size == 0:
                size = end - pos
            if size < head or pos + size > end:
                return
            body = pos + head
            if kind in containers:
                walk(body, pos + size)
            elif kind in (b"mvhd", b"tkhd", b"mdhd"):
                n = 8 if data[body] == 1 else 4
                data[body + 4:body + 4 + 2 * n] = bytes(2 * n)
            pos += size
    walk(0, len(data))
    return hashlib.sha256(data).hexdigest()

for f in ("full.mp4", "platform.mp4"):
    path = os.path.join(out, f)
    if not os.path.exists(path):
        continue
    try:
        probe = json.loads(run("ffprobe", "-v", "error", "-show_streams",
                               "-show_data_hash", "sha256", "-of", "json", path))
        kinds = {}
        for s in probe.get("streams", []):
            s.get("tags", {}).pop("creation_time", None)
            label = f"{f} stream {s['index']} ({s.get('codec_name')})"
            kinds[str(s["index"])] = label
            fp[f"{label} parameters"] = sha(json.dumps(s, sort_keys=True))
        for line in run("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0",
                        "-c", "copy", "-f", "streamhash", "-hash", "sha256",
                        "-").split():
            index, _, h = line.split(",", 2)
            fp[f"{kinds.get(index, f + ' stream ' + index)} packets"] = h
        per = {}
        for line in run("ffprobe", "-v", "error", "-show_entries",
                        "packet=stream_index,pts,dts,duration,flags", "-of",
                        "csv=p=0", path).splitlines():
            per.setdefault(line.split(",", 1)[0], []).append(line)
        for index, lines in sorted(per.items()):
            fp[f"{kinds.get(index, f + ' stream ' + index)} timestamps"] = \
                sha("\n".join(lines))
    except (subprocess.CalledProcessError, ValueError, KeyError) as e:
        fp[f"{f} readable"] = f"no: {e}"
    fp[f"{f} bytes (creation times zeroed)"] = masked_mp4(path)

report = os.path.join(out, "report.json")
if os.path.exists(report):
    try:
        r = json.loads(open(report, encoding="utf-8").read()
                       .replace(json.dumps(out)[1:-1], "OUTDIR"))
    except ValueError as e:
        r = {"unparsable": str(e)}
    if isinstance(r, dict):
        r.pop("tool", None)
        if isinstance(r.get("input"), dict):
            r["input"].pop("file", None)
        if isinstance(r.get("result"), dict):
            r["result"].pop("elapsed_s", None)
            r["result"].pop("phases", None)
    def leaves(prefix, v):
        if isinstance(v, dict):
            for k, x in v.items():
                leaves(f"{prefix}.{k}" if prefix else k, x)
        elif isinstance(v, list) and v and any(isinstance(x, (dict, list)) for x in v):
            for i, x in enumerate(v):
                leaves(f"{prefix}[{i}]", x)
        else:
            fp[f"report {prefix}"] = v
    leaves("", r)
print(json.dumps(fp, ensure_ascii=False, indent=1))
PY

# compare A.json B.json: prints what differs, comma-separated; nothing when
# the two are the same.
compare () {
  python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
keys = list(a) + [k for k in b if k not in a]
diff = [k for k in keys if a.get(k, "<absent>") != b.get(k, "<absent>")]
# A whole file's hash only says more when no stream or field of it differs.
shown = [k for k in diff if not (k.endswith("(creation times zeroed)") and
         any(d != k and d.startswith(k.split()[0]) for d in diff))]
if shown:
    more = f", {len(shown) - 4} more" if len(shown) > 4 else ""
    print(", ".join(shown[:4]) + more)
PY
}

total_same=0
total_diff=0
verdict () {
  local name=$1 what=$2
  if [ -z "$what" ]; then
    echo "same  $name"
    total_same=$((total_same + 1))
  else
    echo "DIFF  $name ($what)"
    total_diff=$((total_diff + 1))
  fi
}

say "running ${#cases[@]} cases with each build, and the control"
for c in "${cases[@]}"; do
  name=${c%%|*}
  run base "$name" "base/$name"
  run new "$name" "new/$name"
  what=$(compare "$work/fp/base/$name.json" "$work/fp/new/$name.json")
  if [ -n "$what" ]; then
    # Is it the revisions, or a case that does not repeat itself?
    run new "$name" "new-again/$name"
    if [ -n "$(compare "$work/fp/new/$name.json" "$work/fp/new-again/$name.json")" ]; then
      what="$what; NOT REPRODUCIBLE: the new build differs from itself too"
    fi
  fi
  verdict "$name" "$what"
done
if [ ! -f "$work/fp/new-again/$control.json" ]; then
  run new "$control" "new-again/$control"
fi
verdict "control: $control, the new build twice" \
  "$(compare "$work/fp/new/$control.json" "$work/fp/new-again/$control.json")"

echo "$total_same same, $total_diff different"
[ "$total_diff" -eq 0 ]
