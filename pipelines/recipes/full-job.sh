#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The whole job in one element: normalise, duration rule of the category,
# captions, school watermark, loudness, full cut and platform cut from one
# decode. (campuscut process adds the pre-flight probe, the automatic choice
# of the platform segments, two-pass loudness and the report.)
#
#   pipelines/recipes/full-job.sh IN OUTDIR CATEGORY CAPTIONS LOGO "SCHOOL" SEGMENTS
set -euo pipefail
[ $# -eq 7 ] || { echo "usage: $0 IN OUTDIR CATEGORY CAPTIONS LOGO \"SCHOOL\" SEGMENTS" >&2; exit 2; }
in=$(realpath "$1") dir=$2 category=$3 captions=$4 logo=$5 school=$6 segments=$7
mkdir -p "$dir"

gst-launch-1.0 submissionbin uri="file://$in" category="$category" \
  quality=standard captions="$captions" school="$school" logo="$logo" \
  full-location="$dir/full.mp4" platform-location="$dir/platform.mp4" \
  platform-segments="$segments"
