#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what is missing, builds, runs every test, and ends with the line
# "N passed, N failed" counted over individual test cases.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh --with-tests || exit 1
scripts/build.sh || exit 1

meson test -C build --print-errorlogs --num-processes 2 "$@"
status=$?

python3 - build/meson-logs/testlog.json <<'PY'
import json, re, sys
passed = failed = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    m = re.search(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)", t.get("stdout", ""))
    if m:
        checks, fails, errors = map(int, m.groups())
        passed += checks - fails - errors
        failed += fails + errors
        if t["result"] != "OK" and fails + errors == 0:
            failed += 1          # crashed or timed out after its checks
    else:
        # a script test (one case), or a binary that died before reporting
        if t["result"] == "OK":
            passed += 1
        else:
            failed += 1
            print(f"{t['name']}: {t['result']} without a check summary")
print(f"{passed} passed, {failed} failed")
PY
exit $status
