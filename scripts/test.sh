#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what is missing, builds, runs every test, and ends with the line
# "N passed, N failed" counted over individual test cases.
#
#   scripts/test.sh [--all] [meson test arguments]
#
# With --all, or when CI=true, the suite runs a second time built with
# ASan + UBSan (scripts/sanitize.sh; without the 'long' suite, whose four
# cases run the same code as 'cli' on longer media, and with 20 instead of
# 70 mutants per container in the hostile-input test, to keep CI near ten
# minutes) and each libFuzzer target runs for 30 s (scripts/fuzz.sh); their
# cases count in the summary too. scripts/sanitize.sh alone runs everything.
set -uo pipefail
cd "$(dirname "$0")/.."

all=0
if [ "${1:-}" = "--all" ]; then all=1; shift; fi
if [ "${CI:-}" = "true" ]; then all=1; fi

scripts/bootstrap.sh --with-tests || exit 1
scripts/build.sh || exit 1

meson test -C build --print-errorlogs --num-processes 2 "$@"
status=$?
logs=(build/meson-logs/testlog.json)
fuzz_log=$(mktemp)
trap 'rm -f "$fuzz_log"' EXIT

if [ "$all" = 1 ]; then
  echo "== the whole suite again under ASan + UBSan"
  rm -f build-sanitize/meson-logs/testlog.json
  CAMPUSCUT_MUTANTS=20 scripts/sanitize.sh --no-suite long "$@" || status=1
  [ -f build-sanitize/meson-logs/testlog.json ] && logs+=(build-sanitize/meson-logs/testlog.json)
  echo "== fuzzing the caption and cut-list parsers"
  scripts/fuzz.sh --seconds 30 | tee "$fuzz_log" || status=1
fi

python3 - "$fuzz_log" "${logs[@]}" <<'PY'
import json, re, sys
passed = failed = 0
for path in sys.argv[2:]:
    tag = "" if path.startswith("build/") else " (sanitizers)"
    for line in open(path):
        t = json.loads(line)
        m = re.search(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)", t.get("stdout", ""))
        if m:
            checks, fails, errors = map(int, m.groups())
            passed += checks - fails - errors
            failed += fails + errors
            if t["result"] != "OK" and fails + errors == 0:
                failed += 1          # crashed or timed out after its checks
                print(f"{t['name']}{tag}: {t['result']} after its checks")
        else:
            # a script test (one case), or a binary that died before reporting
            if t["result"] == "OK":
                passed += 1
            else:
                failed += 1
                print(f"{t['name']}{tag}: {t['result']} without a check summary")
for line in open(sys.argv[1]):
    if re.match(r"fuzz: \w+: PASS$", line):
        passed += 1
    elif re.match(r"fuzz: \w+: FAIL", line):
        failed += 1
print(f"{passed} passed, {failed} failed")
PY
exit $status
