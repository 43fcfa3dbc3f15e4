#!/usr/bin/env bash
# Runs every test: the C unit tests, the integration scripts in tests/integration, and a
# replay of every fuzz corpus. Each check prints one line, "ok SUITE: NAME" or
# "FAIL SUITE: NAME: why"; the last line is "N passed, N failed".
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

run() { # name, command...
	local name=$1; shift
	echo "== $name" >&2
	"$@" 2>&1 | tee -a "$out" | grep -E '^(ok|FAIL)'
	local rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && ! grep -q "^FAIL $name" "$out"; then
		echo "FAIL $name: exited $rc without naming a failed check" | tee -a "$out"
	fi
}

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
if [ "$failed" -gt 0 ]; then
	echo
	echo "failed checks:"
	grep '^FAIL' "$out"
	grep '^FAIL-DETAIL' "$out" | head -50
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
