# Shell helpers for integration tests (sourced). Each script sets SUITE, then reports
# every check with ok/fail (or skip); tests/run.sh counts the lines. One condition per
# check: `check NAME [ a ] && [ b ]` would run `[ b ]` outside check, unreported, so
# tests/lint_checks.py fails such a line; join the values into one test, or use
# `check NAME bash -c '...' _ ARGS`.
#
#   SUITE=mrz; . "$(dirname "$0")/../lib.sh"
#   expect_exit 0 "specimen makes" "$PASPOR" mrz make --json specimen.json
#   check "output is the specimen" [ "$got" = "$want" ]
#
# T is a fresh temporary folder, removed at exit (add cleanup commands with on_exit).
set -u
: "${PASPOR:?PASPOR must name the binary under test}"
: "${SUITE:?SUITE must be set}"
T=$(mktemp -d "${TMPDIR:-/tmp}/paspor-$SUITE-XXXXXX")
_cleanups=()
on_exit() { _cleanups+=("$*"); }
_finish() {
	local c
	for c in "${_cleanups[@]}"; do eval "$c" || true; done
	rm -rf "$T"
}
trap _finish EXIT

ok() { echo "ok $SUITE: $1"; }
fail() { echo "FAIL $SUITE: $1${2:+: $2}"; }
# skip NAME REASON: a check this machine cannot run. tests/run.sh counts it apart (never
# as passed); under CI=true it fails unless tests/allowed-skips lists "SUITE: NAME".
skip() { echo "skip $SUITE: $1: ${2:?skip needs a reason}"; }

# check NAME COMMAND...: ok when the command succeeds.
check() {
	local name=$1; shift
	if "$@" >"$T/.out" 2>&1; then ok "$name"; else fail "$name" "$(head -c 400 "$T/.out" | tr '\n' ' ')"; fi
}

# expect_exit CODE NAME COMMAND...: ok when the command exits with CODE; its stdout is
# kept in $T/.stdout and stderr in $T/.stderr for later checks.
expect_exit() {
	local want=$1 name=$2; shift 2
	"$@" >"$T/.stdout" 2>"$T/.stderr"
	local rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name"
	else fail "$name" "exit $rc, expected $want; stderr: $(head -c 300 "$T/.stderr" | tr '\n' ' ')"; fi
}

# Fails when a sanitizer wrote a report into the given file.
no_sanitizer_report() {
	! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$1"
}
