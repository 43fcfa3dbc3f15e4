#!/usr/bin/env bash
# `paspor log verify-proof` against every RFC 6962/9162 proof vector of
# transparency-dev/merkle in $PASPOR_TESTDATA/tlog (inclusion/*/ and consistency/*/):
# a vector with "wantErr": false must verify (exit 0), one with "wantErr": true must be
# rejected as an invalid proof (exit 1: the files are all well-formed JSON). One line per
# vector. Then the exit codes for unreadable and malformed files (2) and --help.
SUITE=tlog_vectors; . "$(dirname "$0")/../lib.sh"

dir="$PASPOR_TESTDATA/tlog"
n=0
while IFS= read -r f; do
	n=$((n + 1))
	name=${f#"$dir"/}
	if grep -Eq '"wantErr"[[:space:]]*:[[:space:]]*true' "$f"; then want=1
	elif grep -Eq '"wantErr"[[:space:]]*:[[:space:]]*false' "$f"; then want=0
	else fail "$name" "no wantErr in the vector"; continue; fi
	"$PASPOR" log verify-proof "$f" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq "$want" ] && no_sanitizer_report "$T/err"; then
		ok "$name (wantErr=$([ $want = 1 ] && echo true || echo false), exit $rc)"
	else
		fail "$name" "exit $rc, expected $want; $(head -c 300 "$T/err" | tr '\n' ' ')"
	fi
done < <(find "$dir" -name '*.json' | LC_ALL=C sort)
check "found the vectors (170 expected, $n read)" [ "$n" -ge 170 ]

# file-level errors are exit 2, distinct from an invalid proof
expect_exit 2 "missing file is exit 2" "$PASPOR" log verify-proof "$T/nonexistent.json"
printf '{"leafIdx": 0, "treeSize": 1,' >"$T/trunc.json"
expect_exit 2 "truncated JSON is exit 2" "$PASPOR" log verify-proof "$T/trunc.json"
printf '{"desc": "neither kind"}' >"$T/neither.json"
expect_exit 2 "object of neither kind is exit 2" "$PASPOR" log verify-proof "$T/neither.json"
printf '{"leafIdx": 0, "treeSize": 1, "root": "!!!!", "leafHash": "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=", "proof": null}' >"$T/b64.json"
expect_exit 2 "hash that is not base64 is exit 2" "$PASPOR" log verify-proof "$T/b64.json"
printf '{"leafIdx": 0, "treeSize": 1, "root": "AAAAAA\xc5\xbeAA==", "leafHash": "", "proof": null}' >"$T/b64hi.json"
expect_exit 2 "non-ASCII in a base64 hash is exit 2" "$PASPOR" log verify-proof "$T/b64hi.json"
printf '{"leafIdx": -1, "treeSize": 1, "root": "", "leafHash": "", "proof": null}' >"$T/neg.json"
expect_exit 2 "negative index is exit 2" "$PASPOR" log verify-proof "$T/neg.json"
printf '{"size1": 1, "size2": 8, "root1": "", "root2": "", "proof": "x"}' >"$T/proofstr.json"
expect_exit 2 "proof that is not an array is exit 2" "$PASPOR" log verify-proof "$T/proofstr.json"
# the happy path read from stdin, and with wantErr flipped (the command ignores it)
sed 's/"wantErr": false/"wantErr": true/' "$dir/inclusion/2/happy-path.json" >"$T/flipped.json"
expect_exit 0 "wantErr is not read by the command" "$PASPOR" log verify-proof "$T/flipped.json"
expect_exit 0 "proof from stdin" sh -c "\"\$1\" log verify-proof - <\"\$2\"" sh "$PASPOR" "$dir/consistency/2/happy-path.json"
expect_exit 0 "verify-proof --help" "$PASPOR" log verify-proof --help
check "--help names the exit codes" grep -q "Exit status" "$T/.stdout"
expect_exit 2 "verify-proof without a file is a usage error" "$PASPOR" log verify-proof
expect_exit 0 "log --help lists verify-proof" "$PASPOR" log --help
check "log --help output names verify-proof" grep -q verify-proof "$T/.stdout"
