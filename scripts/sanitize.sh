#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds campuscut with AddressSanitizer + UndefinedBehaviorSanitizer
# (meson's -Db_sanitize=address,undefined) in build-sanitize/ and runs the
# whole test suite under them, leak checking included (suppressions for
# upstream leaks in tests/sanitize/lsan.supp, each explained there).
# Extra arguments go to `meson test` (e.g. a test name).
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
# The server's jobs run in a sandbox that shows the build tree but not the
# sources: their suppressions are read from a copy in the build tree.
cp tests/sanitize/lsan.supp build-sanitize/lsan.supp
export LSAN_OPTIONS=suppressions=$PWD/build-sanitize/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The recipes and the reference check run GStreamer's own tools, which are
# not built with the sanitizers: these shims load the sanitizer runtimes
# into them first so that they can load the sanitized plugin (leaks are
# checked in the test programs, not in gst-launch-1.0).
shim=$PWD/build-sanitize/shim
mkdir -p "$shim"
preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
for tool in gst-launch-1.0 gst-inspect-1.0; do
  cat > "$shim/$tool" <<SHIM
#!/bin/sh
LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 exec /usr/bin/$tool "\$@"
SHIM
  chmod +x "$shim/$tool"
done
export PATH="$shim:$PATH"
# Scanning the registry loads every plugin on the machine, and several
# (udev, OpenNI2) leak by design: build the registry once without leak
# checking, then run everything against it.
rm -f build-sanitize/tests/check/registry.bin build-sanitize/docs/registry.bin \
  build-sanitize/tests/server/registry.bin
ASAN_OPTIONS=detect_leaks=0 meson test -C build-sanitize policy reference >/dev/null
# the servers' jobs read this one (tests/server/meson.build)
ASAN_OPTIONS=detect_leaks=0 GST_PLUGIN_PATH_1_0=$PWD/build-sanitize/plugins \
  GST_REGISTRY_1_0=$PWD/build-sanitize/tests/server/registry.bin \
  build-sanitize/pipelines/campuscut contact-sheet --init-only
meson test -C build-sanitize --print-errorlogs --num-processes 2 "$@"
