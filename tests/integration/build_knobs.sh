#!/usr/bin/env bash
# Test-only knobs are compiled only into test builds (-DPASPOR_TESTING, Makefile;
# docs/ARCHITECTURE.md "Test-only knobs"): the release binary build/paspor (built by
# `make test` through `make check-build`) holds neither the names
# PASPOR_TEST_CLOCK_OFFSET_MS and PASPOR_TEST_ROUTES (`strings build/paspor | grep
# PASPOR_TEST_` prints nothing) nor the test-only routes, and ignores a clock offset in
# its environment; the binary under test ($PASPOR, the sanitizer build) has all three,
# so the checks below can tell them apart.
SUITE=build_knobs; . "$(dirname "$0")/../lib.sh"

REL=${PASPOR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/build/paspor
if [ ! -x "$REL" ]; then
	fail "release binary $REL is built" "missing: make check-build (make test does it)"
	exit 1
fi

test_names() { strings "$1" | grep PASPOR_TEST_ | sort -u | tr '\n' ' '; }
check "strings build/paspor | grep PASPOR_TEST_ prints nothing" [ -z "$(test_names "$REL")" ]
check "the test build holds PASPOR_TEST_CLOCK_OFFSET_MS" \
	bash -c 'strings "$1" | grep -qx PASPOR_TEST_CLOCK_OFFSET_MS' _ "$PASPOR"
check "the test build holds PASPOR_TEST_ROUTES" \
	bash -c 'strings "$1" | grep -qx PASPOR_TEST_ROUTES' _ "$PASPOR"

# `office routes --test` lists the test-only routes (marked "test") where they exist
test_routes() { "$1" office routes --test | grep -c ' test$'; }
check "release: office routes --test lists no test-only route" [ "$(test_routes "$REL")" = 0 ]
check "test build: office routes --test lists the 6 test-only routes" \
	[ "$(test_routes "$PASPOR")" = 6 ]
check "release: office serve --help names no test knob" \
	bash -c '! "$1" office serve --help | grep -q PASPOR_TEST_' _ "$REL"

# the clock offset: a node whose last event is now; a clock 10 minutes behind is refused
# (docs/LOG.md "Guards") in the test build, and the release build never sees that clock
K=$T/kek D=$T/d
"$REL" office kek --out "$K" >/dev/null
expect_exit 0 "release: office init" "$REL" office init --data "$D" --origin knobs.test --kek-file "$K"
append() { # binary, then VAR=value words for its environment
	local bin=$1; shift
	env "$@" "$bin" log append --data "$D" --kek-file "$K" --kind operator.note --body '{"text":"k"}'
}
expect_exit 1 "test build: PASPOR_TEST_CLOCK_OFFSET_MS=-600000 puts the clock behind" \
	append "$PASPOR" PASPOR_TEST_CLOCK_OFFSET_MS=-600000
check "... refused by the clock guard" grep -q "clock.*behind" "$T/.stderr"
expect_exit 0 "release: PASPOR_TEST_CLOCK_OFFSET_MS=-600000 is ignored" \
	append "$REL" PASPOR_TEST_CLOCK_OFFSET_MS=-600000
expect_exit 0 "the log verifies" "$REL" log verify --data "$D"
