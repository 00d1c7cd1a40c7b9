#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds campuscut with AddressSanitizer + UndefinedBehaviorSanitizer in
# build-sanitize/ and runs the element and pipeline tests under them, leak
# checking included (suppressions for upstream leaks in
# tests/sanitize/lsan.supp, each explained there).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --with-tests
if [ ! -f build-sanitize/build.ninja ]; then
  meson setup build-sanitize -Db_sanitize=address,undefined -Db_lundef=false \
    --buildtype=debug >/dev/null
fi
ninja -C build-sanitize >/dev/null
# gst-plugin-scanner is not built with ASan and cannot load the plugin:
# scan in the (sanitized) test process instead.
export GST_REGISTRY_FORK=no
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:fast_unwind_on_malloc=0
export LSAN_OPTIONS=suppressions=$PWD/tests/sanitize/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Scanning the registry loads every plugin on the machine, and several
# (udev, OpenNI2) leak by design: build the registry once without leak
# checking, then run everything against it.
rm -f build-sanitize/tests/check/registry.bin
ASAN_OPTIONS=detect_leaks=0 meson test -C build-sanitize policy >/dev/null
meson test -C build-sanitize --print-errorlogs policy durationguard captions \
  schoolwatermark cutlist loudnorm submissionbin "$@"
