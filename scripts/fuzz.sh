#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/ and runs
# each for a bounded time from the seed corpus in fuzz/corpus/. Exits
# non-zero when a target crashes, leaks or trips a sanitizer; the input
# that did it is kept in build-fuzz/artifacts/.
#
#   scripts/fuzz.sh [--seconds N]     (default 60 per target)
#
# Long runs: scripts/fuzz.sh --seconds 3600, or run a target by hand with
# its own corpus folder, which libFuzzer grows:
#   build-fuzz/fuzz/fuzz-captions -jobs=2 my-corpus/ fuzz/corpus/captions/
# Add inputs worth keeping (a fixed crash, a new feature) to fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    *) echo "usage: scripts/fuzz.sh [--seconds N]" >&2; exit 2 ;;
  esac
done

scripts/bootstrap.sh --with-tests
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzzing=true -Dtests=disabled \
    -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debugoptimized >/dev/null
fi
ninja -C build-fuzz >/dev/null
mkdir -p build-fuzz/artifacts
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

status=0
for target in captions cutlist; do
  work=$(mktemp -d /tmp/campuscut-fuzz-XXXXXX)
  cp -r "fuzz/corpus/$target/." "$work/"
  echo "fuzz: $target for ${seconds} s"
  if build-fuzz/fuzz/fuzz-$target -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/artifacts/$target-" "$work" 2>"build-fuzz/$target.log"; then
    grep -E '^stat::number_of_executed_units|^stat::new_units_added' "build-fuzz/$target.log" |
      sed "s/^/fuzz: $target: /"
    echo "fuzz: $target: PASS"
  else
    tail -40 "build-fuzz/$target.log"
    echo "fuzz: $target: FAIL (input kept in build-fuzz/artifacts/)"
    status=1
  fi
  rm -rf "$work"
done
exit $status
