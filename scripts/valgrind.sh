#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the element and pipeline tests under valgrind memcheck and fails on
# any definite leak or memory error (suppressions for upstream code in
# tests/sanitize/valgrind.supp, each explained there). Slow (about twenty
# times the normal run); scripts/sanitize.sh is the fast leak check that CI
# runs on every change.
#
#   scripts/valgrind.sh [test ...]     (default: every element test)
#
# The pipeline tests (submissionbin, cli) cannot run under valgrind 3.19
# here: they load gst-libav, whose libavcodec links libjxl and so libhwy,
# and libhwy executes RDTSCP in a library constructor, which valgrind 3.19
# does not implement (SIGILL). They run under ASan + LeakSanitizer instead
# (scripts/sanitize.sh, in CI).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --with-tests || exit 1
scripts/build.sh || exit 1
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(policy durationguard overlay captions schoolwatermark cutlist loudnorm)

export GST_PLUGIN_PATH_1_0=$PWD/build/plugins
export GST_REGISTRY_1_0=$PWD/build/valgrind-registry.bin
export CAMPUSCUT_CLI=$PWD/build/pipelines/campuscut
export CAMPUSCUT_SAMPLES=$PWD/tests/data
export LC_ALL=C.UTF-8
# test cases in-process, so that valgrind sees them
export CK_FORK=no CK_DEFAULT_TIMEOUT=3000
# The registry is built first, outside valgrind, by GStreamer's own
# scanner: scanning loads every plugin on the machine, and one of their
# libraries (libhwy, through libjxl) executes RDTSCP in its constructor,
# which valgrind 3.19 cannot run. The tests then use that registry as it is.
rm -f "$GST_REGISTRY_1_0"
gst-inspect-1.0 campuscut >/dev/null
export GST_REGISTRY_UPDATE=no
# GLib's slice allocator and GStreamer's registry would otherwise show as
# reachable noise
export G_SLICE=always-malloc G_DEBUG=gc-friendly

status=0
for t in "${tests[@]}"; do
  log=build/valgrind-$t.log
  echo "valgrind: $t"
  if valgrind --leak-check=full --errors-for-leak-kinds=definite \
      --error-exitcode=9 --num-callers=30 \
      --suppressions=tests/sanitize/valgrind.supp \
      build/tests/check/test-$t >"$log" 2>&1; then
    grep -E 'definitely lost|ERROR SUMMARY|Checks:' "$log" | sed "s/^/valgrind: $t: /"
  else
    grep -E 'definitely lost|ERROR SUMMARY|Checks:' "$log" | sed "s/^/valgrind: $t: /"
    echo "valgrind: $t: FAIL, see $log"
    status=1
  fi
done
exit $status
