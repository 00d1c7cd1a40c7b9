#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Rewrites docs/elements.md from the built plugin (the reference test fails
# until this is run after a property or element changes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
GST_PLUGIN_PATH="$PWD/build/plugins" build/docs/gen-reference > docs/elements.md
echo "docs/elements.md updated"
