#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fails when docs/elements.md no longer matches what the plugin says about
# itself; run scripts/update-reference.sh to rewrite it.
# Usage: check-reference.sh GEN_REFERENCE ELEMENTS_MD
out=$("$1") || exit 1
if printf '%s\n' "$out" | diff -u "$2" -; then
  echo "1 passed, 0 failed"
  exit 0
fi
echo "docs/elements.md is out of date: run scripts/update-reference.sh" >&2
exit 1
