#!/usr/bin/env bash
# The API transcript (issue 14, "Must hold": the office's HTTP answers do not change in
# a refactor). An office node and its signer are started on loopback as the other office
# tests start them; tests/api_transcript.py runs the integration flows over HTTP (public
# booking and its confirmation, status lookups, walk-ins, the counter steps to approval
# and rejection, payment and its confirmation, personalization, quality check,
# hand-over, spoil-and-redo with a witness, booklets, the day's close, the officers API,
# and refusals: 400/401/403/404/405/409/413/415/422) and records every request and answer;
# the record, normalised (tests/api_transcript.py says what is replaced), must equal
# tests/data/api-transcript.txt byte for byte. On a difference the diff is printed.
#
# Regenerate the golden transcript ONLY on the code before a change that must not
# change behaviour (e.g. the commit before a refactor), then commit it:
#   make -j2 build/san/paspor && API_TRANSCRIPT_UPDATE=1 tests/run.sh api_transcript
# API_TRANSCRIPT_KEEP_NODE=DIR keeps a copy of the node (tests/fixture/make-fixture.sh).
# API_TRANSCRIPT_OUT=FILE keeps a copy of this run's transcript (to compare two runs).
SUITE=api_transcript; . "$(dirname "$0")/../lib.sh"; . "$(dirname "$0")/../lib_office.sh"
. "$(dirname "$0")/../lib_signer.sh"
ROOT=${PASPOR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
GOLDEN=$ROOT/tests/data/api-transcript.txt
office_setup
office_add_officers "reg int adj prn iss cus cus2 adm aud csh"
signer_setup X0000001 10 || exit 0
office_start transcript
signer_start

env_totp=()
for u in "${!TOTP_SECRET[@]}"; do env_totp+=("TOTP_$u=${TOTP_SECRET[$u]}"); done
# TOTP codes are single use, one per 30-second step: start in a fresh step, so the
# logins of the officers who have one never wait
while [ $(( $(date +%s) % 30 )) -gt 25 ]; do sleep 1; done
env OFF="$OFF" PUB="$PUB" D="$D" SIGNER_PID="$SPID" OFFICER_PW="$OFFICER_PW" JPEG="$ROOT/tests/data/face-synthetic.jpg" \
	"${env_totp[@]}" "$PY" "$ROOT/tests/api_transcript.py" "$T/transcript.txt" 2>"$T/driver.err"
rc=$?
[ -n "${API_TRANSCRIPT_OUT:-}" ] && cp "$T/transcript.txt" "$API_TRANSCRIPT_OUT"
check "the driver ran every flow" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || sed 's/^/FAIL-DETAIL driver: /' "$T/driver.err" | head -20
office_stop "office"
signer_stop
check "no sanitizer report from the server" no_sanitizer_report "$T/serve.err"
# API_TRANSCRIPT_KEEP_NODE=DIR: a copy of the node (its data dir, the signer's inside it,
# and the KEK as DIR/kek) for tests/fixture/make-fixture.sh
if [ -n "${API_TRANSCRIPT_KEEP_NODE:-}" ]; then
	rm -rf "$API_TRANSCRIPT_KEEP_NODE" && cp -a "$D" "$API_TRANSCRIPT_KEEP_NODE" &&
		cp "$K" "$API_TRANSCRIPT_KEEP_NODE/kek"
fi
no_sanitizer_report "$T/serve.err" || grep -m1 -A25 -E 'ERROR: |runtime error:' "$T/serve.err" |
	sed 's/^/FAIL-DETAIL server: /'

if [ "${API_TRANSCRIPT_UPDATE:-}" = 1 ]; then
	cp "$T/transcript.txt" "$GOLDEN"
	ok "golden transcript written to tests/data/api-transcript.txt ($(grep -c '^###' "$GOLDEN") requests)"
	exit 0
fi
check "the golden transcript is committed" [ -s "$GOLDEN" ]
n=$(grep -c '^###' "$T/transcript.txt")
if diff -u "$GOLDEN" "$T/transcript.txt" >"$T/transcript.diff"; then
	ok "the $n requests and answers equal tests/data/api-transcript.txt"
else
	fail "the $n requests and answers equal tests/data/api-transcript.txt" \
		"$(grep -c '^[-+][^-+]' "$T/transcript.diff") lines differ (diff below)"
	head -60 "$T/transcript.diff" | cut -c1-600 | sed 's/^/FAIL-DETAIL api_transcript: /'
fi
