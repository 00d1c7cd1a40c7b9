#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs every Debian 12 package campuscut needs to build, run and test, and nothing else.
# Idempotent: when every package is already present it returns at once without touching apt.
set -euo pipefail

# Build tools and libraries.
build_pkgs=(
  meson ninja-build gcc pkg-config gettext
  libglib2.0-dev libjson-glib-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  libpango1.0-dev libcairo2-dev librsvg2-dev libgdk-pixbuf-2.0-dev libebur128-dev
  libass-dev
  libsoup-3.0-dev libsqlite3-dev libpq-dev nettle-dev
  libxlsxwriter-dev libarchive-dev
)
# Runtime: decoders for whatever schools send, the H.264/AAC encoders, Pango text
# rendering (gstreamer1.0-x), the CJK caption font, and bubblewrap for the
# server's sandboxed jobs.
run_pkgs=(
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  gstreamer1.0-x
  fonts-noto-cjk
  bubblewrap
)
# Test oracles, bench tools, PostgreSQL 15 (the server tests start their own,
# in a temporary folder), and clang with its sanitizer and libFuzzer runtimes
# for scripts/fuzz.sh (never runtime dependencies of campuscut).
test_pkgs=(ffmpeg postgresql-15 tesseract-ocr tesseract-ocr-chi-sim bc time clang libclang-rt-14-dev python3 sqlite3 curl python3-openpyxl chromium chromium-driver python3-selenium)

want=("${build_pkgs[@]}" "${run_pkgs[@]}")
if [ "${1:-}" = "--with-tests" ]; then
  want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "campuscut: installing ${#missing[@]} Debian package(s): ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "campuscut: run as root (or install the packages above yourself)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
