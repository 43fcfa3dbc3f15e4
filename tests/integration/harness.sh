#!/usr/bin/env bash
# The test harness itself (docs/ARCHITECTURE.md, "Tests"): `skip` in tests/lib.sh, the
# CI rule on skips (tests/judge_skips.awk with tests/allowed-skips), the closing line of
# tests/run.sh, and the lint of check lines (tests/lint_checks.py) on a script written
# here. The expected lines are written out by hand below.
SUITE=harness; . "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)

# ---- skip NAME REASON
check "skip prints 'skip SUITE: NAME: reason'" \
	[ "$(SUITE=demo; skip "disk full" "no tmpfs here")" = "skip demo: disk full: no tmpfs here" ]
check "skip without a reason is an error" bash -c '! (SUITE=demo PASPOR=x; . "$1"; skip "disk full") 2>/dev/null' _ "$root/tests/lib.sh"

# ---- under CI=true, a skip not listed in the allowed file becomes a FAIL line
cat >"$T/allowed" <<'A'
# comment
demo: disk full — needs CAP_SYS_ADMIN
demo: no reason — 
demo: parser
A
cat >"$T/in" <<'A'
ok demo: first
skip demo: disk full: no tmpfs here
skip demo: disk full later: other
skip demo: no reason: x
skip demo: parser: not installed
skip other: disk full: no tmpfs here
FAIL demo: last: why
A
awk -v allowed="$T/allowed" -f "$root/tests/judge_skips.awk" <"$T/in" >"$T/out"
cat >"$T/want" <<'A'
ok demo: first
skip demo: disk full: no tmpfs here
FAIL demo: disk full later: other (skipped under CI=true, and tests/allowed-skips does not list it)
FAIL demo: no reason: x (skipped under CI=true, and tests/allowed-skips does not list it)
FAIL demo: parser: not installed (skipped under CI=true, and tests/allowed-skips does not list it)
FAIL other: disk full: no tmpfs here (skipped under CI=true, and tests/allowed-skips does not list it)
FAIL demo: last: why
A
check "judge_skips: a listed skip stays, unlisted ones (or listed without a reason) fail" cmp "$T/out" "$T/want"
check "tests/allowed-skips: every entry has a reason" \
	bash -c '! grep -vE "^[[:space:]]*(#|$)" "$1" | grep -vE "^[a-z_]+: .+ — .*[^[:space:]]"' _ "$root/tests/allowed-skips"

# ---- the lint, on a script of our own
printf '%s\n' 'SUITE=x' 'check "a" [ 1 = 1 ] && [ 1 = 2 ]' 'check "b" bash -c "[ 1 = 1 ] && [ 1 = 1 ]"' >"$T/lintme.sh"
expect_exit 1 "lint fails a script with check … && …" python3 "$root/tests/lint_checks.py" "$T/lintme.sh"
check "... naming the file and line 2" grep -qx "FAIL lint: $T/lintme.sh:2: check followed by '&&'.*" "$T/.stdout"
check "... and only that line" [ "$(grep -c '^FAIL' "$T/.stdout")" = 1 ]
expect_exit 0 "lint self-test passes" python3 "$root/tests/lint_checks.py" --self-test

# ---- the closing line of tests/run.sh (a filter that matches no script: the lint only)
CI=false "$root/tests/run.sh" no-such-suite-name >"$T/run.out" 2>/dev/null
check "run.sh ends 'N passed, 0 failed, 0 skipped'" grep -qE '^[0-9]+ passed, 0 failed, 0 skipped$' <(tail -1 "$T/run.out")
