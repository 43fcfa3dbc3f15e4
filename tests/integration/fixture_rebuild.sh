#!/usr/bin/env bash
# The fixture node log (issue 14, "Must hold": a log written by the code before a
# refactor rebuilds to identical projections after it). tests/data/fixture-node is an
# office node (and its Document Signer's node, signer/) written at 933716f by
# tests/fixture/make-fixture.sh: the API flows of tests/api_transcript.py plus the kinds
# and versions the API no longer writes (tests/fixture/extra_events.py). A copy is
# rebuilt with the code under test (`paspor rebuild`, both logs) and every projection
# table's digest (tests/fixture/digest.py) must equal tests/data/fixture-node.digests,
# one check per table, naming the table. The fixture must also hold an event of every
# kind and version registered today (`fixture-tool kinds`): a kind or version added later
# fails here until the fixture is extended (docs/TESTING.md, "Refactor proofs"); and
# every kind and version registered when the fixture was written
# (tests/data/fixture-node.kinds) must still be registered.
SUITE=fixture_rebuild; . "$(dirname "$0")/../lib.sh"
ROOT=${PASPOR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=${PYTHON3:-$(command -v /usr/bin/python3 || command -v python3)}
TOOL=${FIXTURE_TOOL:-$(dirname "$PASPOR")/fixture-tool}
[ -x "$TOOL" ] || TOOL=$ROOT/build/san/fixture-tool # test build only (make check-build)
FIX=$ROOT/tests/data/fixture-node
WANT=$ROOT/tests/data/fixture-node.digests

check "the fixture node is committed" [ -s "$FIX/paspor.db" ]
check "its digests are committed" [ -s "$WANT" ]
# git keeps no file modes: the node refuses key files others may read
cp -a "$FIX" "$T/node"
chmod -R go-rwx "$T/node"
N=$T/node

for d in "$N" "$N/signer"; do
	label=office; [ "$d" = "$N/signer" ] && label=signer
	expect_exit 0 "$label: the log verifies" "$PASPOR" log verify --data "$d"
	expect_exit 0 "$label: paspor rebuild" "$PASPOR" rebuild --data "$d" --kek-file "$N/kek"
	check "$label: rebuild replayed every event" grep -q "from $(sqlite3 "$d/paspor.db" 'SELECT count(*) FROM events') events" "$T/.stdout"
	"$PY" "$ROOT/tests/fixture/digest.py" "$label" "$d/paspor.db" >>"$T/got"
done

# one check per table, both ways (a table missing from either side fails)
same_table() { # LABEL TABLE: the committed line and the rebuilt one are equal
	local w g
	w=$(awk -v l="$1" -v t="$2" '$1 == l && $2 == t' "$WANT")
	g=$(awk -v l="$1" -v t="$2" '$1 == l && $2 == t' "$T/got")
	[ -n "$w" ] || { echo "no such table in the committed digests (a new table?)"; return 1; }
	[ -n "$g" ] || { echo "no such table after the rebuild (renamed or dropped?)"; return 1; }
	[ "$w" = "$g" ] || { echo "committed: $w; rebuilt: $g"; return 1; }
}
grep -v '^#' "$WANT" | awk '{ print $1, $2 }' >"$T/tables"
awk '{ print $1, $2 }' "$T/got" >>"$T/tables"
sort -u "$T/tables" -o "$T/tables"
while read -r label table; do
	check "$label projection $table: rebuilt rows equal the digest committed at 933716f" same_table "$label" "$table"
done <"$T/tables"

# every registered kind and version has an event in the fixture
if [ -x "$TOOL" ]; then
	"$TOOL" kinds >"$T/kinds" 2>"$T/kinds.err"
	check "fixture-tool lists the kind registry" [ -s "$T/kinds" ]
	{ "$TOOL" events "$N"; "$TOOL" events "$N/signer"; } | sort -u >"$T/have"
	while read -r kind version; do
		check "the fixture holds an event of $kind v$version" grep -qxF "$kind $version" "$T/have"
	done <"$T/kinds"
	check "every kind in the fixture is registered" bash -c '[ -z "$(comm -13 "$1" "$2")" ]' _ "$T/kinds" "$T/have"
	# and nothing registered then is gone now (nor missed by fixture-tool's listing)
	while read -r kind version; do
		check "$kind v$version (registered at 933716f) is still registered" grep -qxF "$kind $version" "$T/kinds"
	done < <(grep -v '^#' "$ROOT/tests/data/fixture-node.kinds")
else
	fail "build/san/fixture-tool built (make check-build)"
fi
