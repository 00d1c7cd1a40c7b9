#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Measure only: integrated loudness (LUFS), loudness range (LU) and true
# peak (dBTP) of a file's audio, EBU R 128 / ITU-R BS.1770, without
# writing anything. Prints the loudnorm element's final message fields.
#
#   pipelines/recipes/measure-loudness.sh IN
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 IN" >&2; exit 2; }

final=$(gst-launch-1.0 -m filesrc location="$1" ! decodebin ! audioconvert ! \
  loudnorm mode=measure ! fakesink sync=false |
  grep -o 'campuscut-loudness, .*final=(boolean)true.*' | tail -1)
[ -n "$final" ] || { echo "no measurement (no audio?)" >&2; exit 1; }
for field in integrated range true-peak; do
  printf '%s %.1f\n' "$field" "$(echo "$final" |
    sed -E "s/.*[ ,]$field=\(double\)([-0-9.e+]+|-?inf).*/\1/")"
done
