#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Configures (once) and builds campuscut in ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=debugoptimized -Dwerror=true >/dev/null
fi
# quiet when it works; the compiler's words when it does not
if ! ninja -C build > build/ninja.log 2>&1; then
  grep -v '^\[' build/ninja.log >&2
  exit 1
fi
