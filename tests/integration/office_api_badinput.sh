#!/usr/bin/env bash
# Bad input against the office API (issue 4 "Must hold", docs/API.md, docs/HTTP.md,
# docs/BOOKING.md): malformed and truncated JSON, wrong types, missing and extra fields,
# bodies of several MB, wrong content types, bad NIKs, non-JPEG and forged JPEG photos
# (a decompression bomb: the SOF header of tests/data/face-synthetic.jpg patched to
# 65000 x 65000), bad fingerprint positions, path traversal in ids, odd query strings,
# injection strings (SQL, shell, HTML, format) in every text field. Every refusal must
# be a 4xx RFC 9457 problem; nothing may be a 5xx (also checked on /metrics); text that
# is accepted must come back unchanged. Afterwards the server still answers /healthz,
# its stderr has no sanitizer report, and `paspor log verify` passes. Then the rate
# limits (docs/BOOKING.md, docs/CONFIG.md): per-IP bookings, status lookups and per-NIK
# attempts get 429 with Retry-After; `ratelimit.disabled` lifts them only together with
# PASPOR_LOAD_TEST=1.
SUITE=office_api_badinput; . "$(dirname "$0")/../lib.sh"; . "$(dirname "$0")/../lib_office.sh"

office_setup
office_add_officers "reg int adj adm"
office_start "bad input"
login_all "reg int adj adm"
JPEG=$PASPOR_ROOT/tests/data/face-synthetic.jpg
D1=$(local_date 1)

# bad NAME: the last answer is a 4xx problem+json
bad() { expect_problem "$1" 4xx; }

# an application to aim the id routes at (checked in, documents recorded)
book 301 F "$D1" 09:00
check "a booking to aim at (201)" [ "$CODE" = 201 ]
CODE1=$BOOK_CODE NIK1=$BOOK_NIK
APP=$(app_id_of "$CODE1" reg)
check "its application id" [ -n "$APP" ]
api POST /api/v1/applications/$APP/check-in --as reg

# ---- malformed and truncated JSON on every JSON route
GOOD=$(pyu person 302 M "$D1" 09:00)
JSON_ROUTES="POST /api/v1/bookings -
POST /api/v1/bookings/status -
POST /api/v1/bookings/cancel -
POST /api/v1/bookings/reschedule -
POST /api/v1/session -
POST /api/v1/walk-ins reg
POST /api/v1/applications/search reg
POST /api/v1/applications/$APP/documents reg
POST /api/v1/applications/$APP/interview int
POST /api/v1/applications/$APP/watchlist-check adj
POST /api/v1/applications/$APP/decision adj
POST /api/v1/applications/$APP/payment reg
POST /api/v1/applications/$APP/payment/confirm adj
POST /api/v1/watchlist adm
POST /api/v1/bookings/confirm -
POST /api/v1/bookings/resend -"
# QUICK=1: malformed bodies on one route of each kind only
[ -n "${QUICK:-}" ] && JSON_ROUTES=$(echo "$JSON_ROUTES" | sed -n '1p;2p;5p;6p;9p;14p')
"$PY" -c 'print("[" * 100000)' >"$T/deep.json"
"$PY" -c 'import sys; sys.stdout.buffer.write(b"{\"full_name\":\"\xc3\x28\"}")' >"$T/badutf8.json"
printf '%s' "${GOOD:0:$((${#GOOD} / 2))}" >"$T/trunc.json"
n=0
while read -r m p who; do
	as=(); [ "$who" != - ] && as=(--as "$who")
	for body in '{' '{"full_name":' '{"a":1,}' '[]' '"text"' 'null' '1' '{"a":1,"a":2}' '{"a":"\u0000"}' "{'a':1}"; do
		api "$m" "$p" "$body" "${as[@]}"
		bad "$p: malformed JSON $(printf %q "$body")"
	done
	for f in trunc deep badutf8; do
		api "$m" "$p" --file "$T/$f.json" "${as[@]}"
		bad "$p: $f JSON"
	done
	n=$((n + 1))
done <<<"$JSON_ROUTES"

# ---- bodies of several MB, wrong content types
head -c 5000000 /dev/zero | tr '\0' 'a' | sed 's/^/{"full_name":"/; s/$/"}/' >"$T/big.json"
head -c 200000 /dev/zero | tr '\0' 'a' | sed 's/^/{"full_name":"/; s/$/"}/' >"$T/mid.json"
while read -r m p who; do
	as=(); [ "$who" != - ] && as=(--as "$who")
	api "$m" "$p" --file "$T/big.json" "${as[@]}"
	expect_problem "$p: a 5 MB JSON body is 413" 413 body-too-large
	api "$m" "$p" --file "$T/mid.json" --raw -HTransfer-Encoding:chunked "${as[@]}"
	expect_problem "$p: a 200 KB chunked JSON body is 413" 413 body-too-large
	# over 4 x the cap the server may also just close the connection (docs/HTTP.md)
	api "$m" "$p" --file "$T/big.json" --raw -HTransfer-Encoding:chunked "${as[@]}"
	if [ "$CODE" = 413 ]; then expect_problem "$p: a 5 MB chunked JSON body is 413" 413 body-too-large
	else check "$p: a 5 MB chunked JSON body is refused or cut off ($CODE), the server lives" \
		bash -c "[ '$CODE' = 000 ] || [ '$CODE' = 100 ]; kill -0 $PID"; fi
	api "$m" "$p" "$GOOD" --ct text/plain "${as[@]}"
	expect_problem "$p: text/plain is 415" 415 unsupported-media-type
	api "$m" "$p" "full_name=x" --ct application/x-www-form-urlencoded "${as[@]}"
	expect_problem "$p: a form is 415" 415 unsupported-media-type
done <<<"$(echo "$JSON_ROUTES" | grep -E '/bookings -|walk-ins|interview|watchlist adm')"
head -c 12000000 /dev/urandom >"$T/huge.bin"
api PUT /api/v1/applications/$APP/photo --file "$T/huge.bin" --ct image/jpeg --as reg
expect_problem "a 12 MB photo is 413" 413 body-too-large
api PUT /api/v1/applications/$APP/photo --file "$JPEG" --ct application/json --as reg
expect_problem "a photo sent as application/json is 415" 415 unsupported-media-type
api PUT /api/v1/applications/$APP/photo --file "$JPEG" --ct text/html --as reg
expect_problem "a photo sent as text/html is 415" 415 unsupported-media-type
head -c 3000000 /dev/urandom >"$T/fp.bin"
api PUT /api/v1/applications/$APP/fingerprints/2 --file "$T/fp.bin" --ct image/png --as reg
bad "a 3 MB fingerprint (cap 1 MiB) is refused"

# ---- non-JPEG and forged photos, fingerprints
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\xe0\0\0\x02\x58\x08\x02\0\0\0' >"$T/png"
head -c 40000 /dev/urandom >"$T/random"
head -c 2000 "$JPEG" >"$T/trunc.jpg"
: >"$T/empty"
printf 'GIF89a\x01\0\x01\0' >"$T/gif"
"$PY" - "$JPEG" "$T" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
i = data.find(b"\xff\xc0")          # SOF0: length(2) precision(1) height(2) width(2)
assert i > 0
def patched(w, h):
    d = bytearray(data)
    d[i + 5:i + 7] = h.to_bytes(2, "big"); d[i + 7:i + 9] = w.to_bytes(2, "big")
    return bytes(d)
open(sys.argv[2] + "/bomb.jpg", "wb").write(patched(65000, 65000))
open(sys.argv[2] + "/small.jpg", "wb").write(patched(300, 400))
open(sys.argv[2] + "/wide.jpg", "wb").write(patched(960, 600))
open(sys.argv[2] + "/zero.jpg", "wb").write(patched(0, 0))
EOF
for f in png random trunc.jpg empty gif bomb.jpg small.jpg wide.jpg zero.jpg; do
	api PUT /api/v1/applications/$APP/photo --file "$T/$f" --ct image/jpeg --as reg
	bad "photo '$f' is refused"
done
for pos in 0 11 -1 abc 1.5 99999999999999999999; do
	api PUT /api/v1/applications/$APP/fingerprints/$pos --file "$JPEG" --ct image/jpeg --as reg
	bad "fingerprint position '$pos' is refused"
done
for f in random gif empty; do
	api PUT /api/v1/applications/$APP/fingerprints/3 --file "$T/$f" --ct image/png --as reg
	bad "fingerprint '$f' is refused"
done

# ---- booking: wrong types, missing and extra fields
# one python call makes every body (one per line of $T/cases)
{
	for k in full_name nik birth_place birth_date sex address phone email passport_type slot_date slot_start; do
		for v in 123 true null '[]' '{}' '""'; do printf '%s\n' "310 F $D1 09:00 '$k=$v'"; done
		printf '%s\n' "310 F $D1 09:00 '$k='"
	done
	printf '%s\n' "311 F $D1 09:00 admin=true" "311 F $D1 09:00 'state=\"paid\"'"
	for kv in sex=Q sex=f passport_type=diplomatic-99 slot_date=2026-02-30 slot_date=1999-01-01 \
		slot_date=2099-01-01 slot_date=29-11-2026 slot_start=25:00 slot_start=09:30 slot_start=9:00 \
		birth_date=2099-01-01 birth_date=1980-13-01 reason=stolen reason=renewal; do
		printf '%s\n' "312 M $D1 09:00 $kv"
	done
} >"$T/cases"
pyu persons <"$T/cases" >"$T/bodies"
while IFS= read -r c <&3 && IFS= read -r b <&4; do
	api POST /api/v1/bookings "$b" --pub
	bad "booking with ${c#* * * * } is refused"
done 3<"$T/cases" 4<"$T/bodies"

# ---- bad NIKs (docs/BOOKING.md), each on its own
BASE=$(pyu person 320 F "$D1" 09:00)
NIKF=$(printf '%s' "$BASE" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["nik"])')
for bn in "${NIKF:0:15}" "${NIKF}1" "${NIKF:0:15}X" "abcdefghijklmnop" " ${NIKF:1}" \
	"00${NIKF:2}" "99${NIKF:2}" "${NIKF:0:2}00${NIKF:4}" "${NIKF:0:4}00${NIKF:6}" \
	"${NIKF:0:6}72${NIKF:8}" "${NIKF:0:6}32${NIKF:8}" "${NIKF:0:8}13${NIKF:10}" \
	"${NIKF:0:12}0000" "${NIKF:0:6}$(printf %02d $((10#${NIKF:6:2} - 40)))${NIKF:8}" \
	"${NIKF:0:10}$(printf %02d $(((10#${NIKF:10:2} + 1) % 100)))${NIKF:12}" \
	"１２${NIKF:2}" "${NIKF:0:8}"; do
	api POST /api/v1/bookings "$(pyu person 320 F "$D1" 09:00 "nik=\"$bn\"")" --pub
	bad "booking with NIK '$bn' is refused"
	api POST /api/v1/bookings/status "{\"code\":\"$CODE1\",\"nik\":\"$bn\"}" --pub
	bad "status with NIK '$bn' is refused"
done
api POST /api/v1/bookings "$(pyu person 320 M "$D1" 09:00 "nik=\"$NIKF\"")" --pub
bad "a woman's NIK (day + 40) with sex M is refused"
api POST /api/v1/bookings "$(pyu person 320 X "$D1" 09:00 "nik=\"$NIKF\"")" --pub
bad "a NIK with sex X is refused"
for c in "" "x" "$(echo "$CODE1" | tr '0-9A-Z' '1-9A-Z0')" "${CODE1}0" "' OR 1=1 --" "$(printf 'A%.0s' $(seq 100))"; do
	api POST /api/v1/bookings/status "{\"code\":\"$c\",\"nik\":\"$NIK1\"}" --pub
	bad "status with code '${c:0:20}' is refused"
	api POST /api/v1/bookings/cancel "{\"code\":\"$c\",\"nik\":\"$NIK1\"}" --pub
	bad "cancel with code '${c:0:20}' is refused"
done
check "the aimed-at booking is still booked/checked in" [ "$(status_of "$CODE1" "$NIK1")" = checked_in ]

# ---- path traversal and odd ids
for p in "/api/v1/applications/../../etc/passwd" "/api/v1/applications/..%2f..%2fetc%2fpasswd/check-in" \
	"/api/v1/applications/%2e%2e/check-in" "/api/v1/applications/$APP%00/check-in" \
	"/api/v1/applications/$APP/../$APP/check-in" "/api/v1/applications/a0000000000000000000000000/check-in" \
	"/api/v1/applications/$(printf 'A%.0s' $(seq 65))/check-in" "/api/v1/applications/A'%20OR%201=1/check-in" \
	"/api/v1/applications/W0000000000000000000000000/check-in" "/api/v1/applications/%3Cscript%3E/check-in" \
	"/api/v1/applications/A00000000000000000000000000000/check-in" "/api/v1/applications/-/check-in"; do
	api POST "$p" --as reg
	bad "path '$p' is refused"
	api GET "${p%/check-in}" --as reg
	bad "GET '${p%/check-in}' is refused"
done

# ---- query strings
for q in "from=garbage&days=3" "from=$D1&days=-1" "from=$D1&days=1000" "from=2026-02-30&days=1" \
	"from=$D1&days=abc" "days=3" "from=$D1&days=3&from=2020-01-01" "from=%27%3B--&days=1"; do
	api GET "/api/v1/bookings/slots?$q" --pub
	if [ "$CODE" = 200 ]; then ok "slots?$q answered 200 (parameter tolerated)"; else bad "slots?$q is refused"; fi
done
for q in "state=%3Cscript%3E" "date=2026-13-01" "state=paid&date=x" "state=$(printf 'x%.0s' $(seq 300))"; do
	api GET "/api/v1/applications?$q" --as reg
	bad "applications?${q:0:40} is refused"
done

# ---- injection strings in every text field: accepted unchanged, or a 4xx problem
INJ=("Robert'); DROP TABLE applications;--" '$(touch /tmp/paspor-pwned)`id`' \
	'<script>alert(1)</script>' '%s%s%s%n%x' '../../../etc/passwd' "a\"b\\c" \
	$'line\nbreak' $'\u202eevil' "$(printf 'x%.0s' $(seq 5000))" 'Ñoño Ünïcode 名前 😀')
[ -n "${QUICK:-}" ] && INJ=("${INJ[0]}" "${INJ[1]}" "${INJ[2]}" "${INJ[6]}" "${INJ[8]}")
inj_json() { "$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
acc=0 ref=0 i=0
for s in "${INJ[@]}"; do
	js=$(inj_json "$s")
	lab=$(printf '%q' "${s:0:20}")
	for k in full_name birth_place address phone email; do
		i=$((i + 1))
		book $((400 + i)) M "$D1" 10:00 "$k=$js"
		if [ "$CODE" = 201 ]; then
			acc=$((acc + 1))
			id=$(app_id_of "$(jget code)" reg)
			api GET "/api/v1/applications/$id" --as reg
			check "booking $k=$lab accepted and stored unchanged" "$PY" -c "
import json,sys
want=json.loads(sys.argv[1]); b=json.load(open('$T/body'))
def walk(v):
    if isinstance(v, dict): return any(walk(x) for x in v.values())
    if isinstance(v, list): return any(walk(x) for x in v)
    return v == want
assert walk(b), 'value not found unchanged'" "$js"
		else
			ref=$((ref + 1))
			bad "booking $k=$lab refused"
		fi
	done
	for spec in "interview int {\"notes\":$js}" "watchlist-check adj {\"override\":$js}" \
		"decision adj {\"decision\":$js,\"reasons\":[$js]}" "decision adj {\"decision\":\"reject\",\"reasons\":$js}" \
		"payment reg {\"billing_code\":$js,\"amount\":1,\"currency\":\"IDR\",\"status\":\"pending\"}" \
		"payment/confirm adj {\"billing_code\":$js}" \
		"documents reg {\"identity_card\":{\"status\":\"checked\",\"note\":$js},\"family_card\":{\"status\":$js,\"note\":\"x\"},\"civil_record\":{\"status\":\"checked\",\"note\":\"x\"},\"old_passport\":{\"status\":\"missing\",\"note\":\"x\"}}"; do
		read -r path who body <<<"$spec"
		api POST "/api/v1/applications/$APP/$path" "$body" --as "$who"
		if [ "${CODE:0:1}" = 2 ]; then ok "$path with $lab accepted"; else bad "$path with $lab refused"; fi
	done
	for b in "{\"name\":$js}" "{\"nik\":$js}" "{\"code\":$js}"; do
		api POST /api/v1/applications/search "$b" --as reg
		if [ "$CODE" = 200 ]; then ok "search ${b:2:4} $lab answered 200"; else bad "search with $lab refused"; fi
	done
	api POST /api/v1/watchlist "{\"full_name\":$js,\"birth_date\":\"1980-01-01\",\"reason\":$js}" --as adm
	if [ "${CODE:0:1}" = 2 ]; then ok "watchlist entry with $lab accepted"; else bad "watchlist entry with $lab refused"; fi
	api POST /api/v1/walk-ins "$(pyu person $((500 + i)) M - - "address=$js")" --as reg
	if [ "${CODE:0:1}" = 2 ]; then ok "walk-in with $lab accepted"; else bad "walk-in with $lab refused"; fi
done
# invisible characters that make a text display as something it is not are refused
for s in $'\u202eevil' $'ab\u200bc' $'x\u2066y' $'bell\a'; do
	api POST /api/v1/bookings "$(pyu person 699 M "$D1" 10:00 "full_name=$(inj_json "$s")")" --pub
	expect_problem "full_name with $(printf '%q' "$s") refused (422)" 422
done
ok "injection strings: $acc bookings accepted, $ref refused"
check "no shell command ran" [ ! -e /tmp/paspor-pwned ]
check "the applications table is intact" sqlite3 "$D/paspor.db" 'SELECT count(*) FROM applications'

# ---- login with odd input (last: failures throttle this address)
for b in '{"username":"x"}' '{"password":"x"}' '{"username":1,"password":2}' \
	"{\"username\":\"' OR '1'='1\",\"password\":\"' OR '1'='1\"}" '{"username":"reg","password":"x","totp":123}' \
	"{\"username\":\"$(printf 'u%.0s' $(seq 3000))\",\"password\":\"x\"}"; do
	api POST /api/v1/session "$b"
	bad "login ${b:0:40} is refused"
done

# ---- the server survived
check "the server process is alive" kill -0 "$PID"
api GET /healthz
expect_status "healthz answers after the barrage" 200
api GET /metrics
check "no 5xx answer was counted in /metrics" bash -c "! grep -E '^paspor_http_requests_total\{.*status=\"5[0-9][0-9]\"' '$T/body'"
grep -E '^paspor_http_requests_total\{.*status="5' "$T/body" | head -5
office_stop "after the barrage"
check "no sanitizer report from the server" no_sanitizer_report "$T/serve.err"
check "the server log holds no NIK" bash -c "! grep -q '$NIKF\|$NIK1' '$T/serve.err'"
expect_exit 0 "log verify after the barrage" "$PASPOR" log verify --data "$D"

# ---- rate limits
# each booking's confirmation is a lookup too (docs/BOOKING.md): 3 of the 8 lookups
office_conf ratelimit.booking_per_ip_per_minute=3 ratelimit.status_per_ip_per_minute=8 ratelimit.booking_per_nik_per_day=2
# the limiters' clock stands still (test builds only): a bucket of 8 a minute refills one
# token every 7.5 s, which a loaded machine may take for the steps below
export PASPOR_TEST_RATELIMIT_FROZEN=1
office_start "low limits"
codes=
for i in 1 2 3 4; do book $((600 + i)) M "$D1" 11:00; codes+="$CODE "; done
check "bookings 1-3 from one address are taken, the 4th is 429 ($codes)" [ "$codes" = "201 201 201 429 " ]
expect_problem "the 429 is problem+json" 429
check "the 429 carries Retry-After in whole seconds" bash -c "[[ '$(hdr retry-after)' =~ ^[1-9][0-9]*\$ ]]"
codes=
for i in 1 2 3 4 5 6; do api POST /api/v1/bookings/status "{\"code\":\"$CODE1\",\"nik\":\"$NIK1\"}" --pub; codes+="$CODE "; done
check "status lookups 1-5 (after 3 confirmations) answered, the 6th is 429 ($codes)" [ "$codes" = "200 200 200 200 200 429 " ]
check "the status 429 carries Retry-After" bash -c "[[ '$(hdr retry-after)' =~ ^[1-9][0-9]*\$ ]]"
office_stop "low limits"
unset PASPOR_TEST_RATELIMIT_FROZEN
office_conf ratelimit.booking_per_ip_per_minute=1000
office_start "per-NIK limit"
codes=
for i in 1 2 3; do book 610 M "$D1" 11:00; codes+="$CODE "; done
check "per NIK: two attempts answered (201, 409), the third 429 ($codes)" [ "$codes" = "201 409 429 " ]
office_stop "per-NIK limit"
office_conf ratelimit.booking_per_ip_per_minute=3 ratelimit.disabled=true
office_start "disabled without PASPOR_LOAD_TEST"
codes=
for i in 1 2 3 4; do book $((620 + i)) M "$D1" 11:00; codes+="$CODE "; done
check "ratelimit.disabled alone does not lift the limit ($codes)" [ "$codes" = "201 201 201 429 " ]
office_stop "disabled without the env"
office_start "load test" PASPOR_LOAD_TEST=1
codes=
for i in $(seq 1 8); do book $((630 + i)) M "$D1" 11:00; codes+="$CODE "; done
check "ratelimit.disabled + PASPOR_LOAD_TEST=1 lifts the limit ($codes)" [ "$(echo $codes | tr ' ' '\n' | grep -c 201)" = 8 ]
office_stop "load test"
check "no sanitizer report from the server" no_sanitizer_report "$T/serve.err"
expect_exit 0 "final log verify" "$PASPOR" log verify --data "$D"
