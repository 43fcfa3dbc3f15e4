#!/usr/bin/env bash
# Runs every test: the lint of the test scripts and of src's #include boundaries
# (tests/lint_checks.py, and its self-test), the C unit tests, the integration scripts
# in tests/integration, and a replay of every fuzz corpus. Each check prints one line,
# "ok SUITE: NAME", "FAIL SUITE: NAME: why" or "skip SUITE: NAME: reason" (a check this
# machine cannot run: counted apart, never as passed); the last line is "N passed,
# N failed, N skipped". Under CI=true a skip fails unless tests/allowed-skips lists its
# "SUITE: NAME" with the reason it may be skipped.
#
# Environment: PASPOR (binary under test, default build/san/paspor), PASPOR_TESTDATA
# (default ../shared/testdata), QUICK=1 (CI sets it through CI=true) for shorter runs of
# the slow tests. Arguments: only integration scripts whose names contain one of them.
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
export PASPOR="${PASPOR:-$root/build/san/paspor}"
export PASPOR_TESTDATA="${PASPOR_TESTDATA:-$(cd "$root/.." && pwd)/shared/testdata}"
export PASPOR_ROOT="$root"
[ "${CI:-}" = true ] && export QUICK="${QUICK:-1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
allowed=$root/tests/allowed-skips

# Passes a suite's output through; under CI=true a skip that tests/allowed-skips does
# not list becomes a FAIL line (tests/judge_skips.awk).
judge_skips() {
	if [ "${CI:-}" != true ]; then cat; return; fi
	awk -v allowed="$allowed" -f "$root/tests/judge_skips.awk"
}

run() { # name, command...
	local name=$1; shift
	echo "== $name" >&2
	"$@" 2>&1 | judge_skips | tee -a "$out" | grep -E '^(ok|FAIL|skip) '
	local rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && ! grep -q "^FAIL $name" "$out"; then
		echo "FAIL $name: exited $rc without naming a failed check" | tee -a "$out"
	fi
}

# first the lint of the test scripts: a check must hold one condition (tests/lib.sh)
run lint python3 tests/lint_checks.py --self-test
run lint python3 tests/lint_checks.py tests
# and the #include boundaries between parts of src (the office includes no signer/ header)
run lint python3 tests/lint_checks.py --includes src
if [ $# -eq 0 ]; then
	run unit build/san/unit-tests
fi
for t in tests/integration/*.sh; do
	[ -e "$t" ] || continue
	n=$(basename "$t" .sh)
	if [ $# -gt 0 ]; then
		keep=0; for a in "$@"; do case "$n" in *"$a"*) keep=1;; esac; done
		[ $keep = 1 ] || continue
	fi
	run "$n" bash "$t"
done
if [ $# -eq 0 ]; then
	run fuzz-corpus scripts/fuzz.sh --replay build/fuzz/*
fi

passed=$(grep -c '^ok ' "$out")
failed=$(grep -c '^FAIL ' "$out")
skipped=$(grep -c '^skip ' "$out")
if [ "$failed" -gt 0 ]; then
	echo
	echo "failed checks:"
	grep '^FAIL' "$out"
	grep '^FAIL-DETAIL' "$out" | head -50
fi
if [ "$skipped" -gt 0 ]; then
	echo
	echo "skipped checks:"
	grep '^skip ' "$out"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
