#!/usr/bin/env bash
# Booklet stock over the officers' API (issue 6, docs/API.md "Booklet stock"), against the
# real server: a range received by one custodian is not usable (stock shows it
# 'received') until a second officer confirms it — the receiver's own confirmation is 403
# separation-of-duties; a number recorded twice is 409; a spoiled booklet carries a
# reason and its destruction needs a witness who re-authenticates in the request (wrong
# password 403, the same officer 403, a TOTP officer without a code 403); used, spoiled,
# destroyed and voided booklets never go back (409); who may call what follows
# docs/ROLES.md (booklet.receive, booklet.confirm, booklet.spoil, booklet.view); /metrics
# carries paspor_booklets{state=...} with the same numbers as the stock route; a barrage
# of bad input is answered with 4xx problems, never 5xx. Expected numbers are counted
# here from the requests made, not read back from the server.
SUITE=office_booklets; . "$(dirname "$0")/../lib.sh"; . "$(dirname "$0")/../lib_office.sh"

office_setup
office_add_officers "cus cus2 prn reg adj aud"
office_start "booklets"
login_all "cus cus2 prn reg adj aud"

B=/api/v1/booklets
# witness BODY for user U and password P (and TOTP code C)
witness() {
	U_="$1" P_="$2" C_="${3:-}" "$PY" -c 'import json,os
w={"username":os.environ["U_"],"password":os.environ["P_"]}
if os.environ["C_"]: w["totp"]=os.environ["C_"]
print(json.dumps({"witness":w}))'
}
# stock_is STATE N: the stock route (as cus) counts N booklets in STATE
stock_is() {
	api GET $B/stock --as cus
	[ "$CODE" = 200 ] && [ "$(jget counts "$1")" = "$2" ]
}
state_of() {
	api GET "$B/$1" --as cus
	jget state
}

# ---- receive: not usable until a second officer confirms
api POST $B/ranges '{"first":"X1000000","count":10}' --as cus
expect_status "cus receives X1000000 +10 (201)" 201
check "the answer names the range, state received and the receiver" \
	bash -c '[ "$1" = "X1000000 10 received officer:cus" ] && [ "$2" -gt 0 ]' _ \
	"$(jget first) $(jget count) $(jget state) $(jget received_by)" "$(jget seq)"
if stock_is received 10 && [ "$(jget counts available)" = 0 ]; then ok "stock: 10 received, 0 available"
else fail "stock: 10 received, 0 available" "$(short_body)"; fi
check "stock lists the range as received by officer:cus, unconfirmed" \
	[ "$(jget ranges 0 first) $(jget ranges 0 state) $(jget ranges 0 received_by) $(jget ranges 0 confirmed_by) $(jget ranges 0 count)" = "X1000000 received officer:cus null 10" ]
check "X1000003 is 'received' in range X1000000" \
	[ "$(state_of X1000003) $(jget range first) $(jget app)" = "received X1000000 null" ]

api POST $B/ranges/X1000000/confirm '{}' --as cus
expect_problem "the receiver confirms its own range: 403" 403 separation-of-duties
api POST $B/ranges/X1000000/confirm '{}' --as prn
expect_problem "a printer operator may not confirm (403)" 403 forbidden
api POST $B/ranges '{"first":"R1000000","count":1}' --as reg
expect_problem "a registrar may not receive (403)" 403 forbidden
api POST $B/ranges '{"first":"R1000000","count":1}' --as aud
expect_problem "an auditor may not receive (403)" 403 forbidden
check "still 10 received after the refusals" stock_is received 10

api POST $B/ranges/X1000000/confirm '{}' --as cus2
expect_status "cus2 confirms the range (200)" 200
check "the answer names cus2 and state available" \
	[ "$(jget confirmed_by) $(jget state)" = "officer:cus2 available" ]
if stock_is available 10 && [ "$(jget counts received)" = 0 ]; then ok "stock: 10 available, 0 received"
else fail "stock: 10 available, 0 received" "$(short_body)"; fi
check "the range is confirmed by officer:cus2" \
	[ "$(jget ranges 0 state) $(jget ranges 0 confirmed_by)" = "confirmed officer:cus2" ]
api POST $B/ranges/X1000000/confirm --as cus2
expect_problem "confirming twice (empty body): 409" 409 invalid-state
api POST $B/ranges/X2000000/confirm '{}' --as cus2
expect_problem "confirming a range nobody received: 404" 404 not-found

# ---- duplicates
api POST $B/ranges '{"first":"X1000005","count":10}' --as cus
expect_problem "a range overlapping recorded numbers: 409" 409 duplicate
api POST $B/ranges '{"first":"X1000000","count":1}' --as cus2
expect_problem "the same first number again: 409" 409 duplicate
api POST $B/ranges '{"first":"Y0000000","count":3}' --as cus2
expect_status "cus2 receives Y0000000 +3 (201, left unconfirmed)" 201

# ---- spoil, destroy with a witness
api POST $B/X1000001/spoil '{"reason":"printer jam, page 2 torn"}' --as prn
expect_status "prn spoils X1000001 with a reason (200)" 200
check "X1000001 is spoiled, spoiled_by officer:prn, no reason in the answer" \
	bash -c '[ "$1" = "spoiled officer:prn" ] && ! grep -q "printer jam" "$2"' _ \
	"$(state_of X1000001) $(jget spoiled_by)" "$T/body"
api POST $B/X1000001/spoil '{"reason":"again"}' --as cus
expect_problem "spoiling a spoiled booklet: 409" 409 invalid-state
api POST $B/X1000001/spoil '{}' --as cus
expect_problem "spoil without a reason: 422" 422 invalid-field
api POST $B/X1000001/spoil '{"reason":"x"}' --as reg
expect_problem "a registrar may not spoil (403)" 403 forbidden

api POST $B/X1000001/destroy "$(witness cus2 'not the password 123')" --as cus
expect_problem "destroy with a wrong witness password: 403 (not 401)" 403 forbidden
api GET /api/v1/session --as cus
expect_status "cus is still logged in" 200
api POST $B/X1000001/destroy "$(witness cus "$OFFICER_PW")" --as cus
expect_problem "the actor as its own witness: 403" 403 separation-of-duties
api POST $B/X1000001/destroy "$(witness adj "$OFFICER_PW")" --as cus
expect_problem "a TOTP officer as witness without a code: 403" 403 forbidden
check "X1000001 still spoiled after the refused destructions" [ "$(state_of X1000001)" = spoiled ]
# (two credential failures from this IP so far: the backoff starts at three)
api POST $B/X1000001/destroy "$(witness cus2 "$OFFICER_PW")" --as cus
expect_status "destroy X1000001, witness cus2 (200)" 200
check "the answer names both officers" [ "$(jget officers 0) $(jget officers 1)" = "cus cus2" ]
check "X1000001 is destroyed by cus and cus2" \
	[ "$(state_of X1000001) $(jget destroyed_by 0) $(jget destroyed_by 1)" = "destroyed cus cus2" ]
api POST $B/X1000001/destroy "$(witness cus2 "$OFFICER_PW")" --as cus
expect_problem "destroying twice: 409" 409 invalid-state
api POST $B/X1000002/destroy "$(witness cus2 "$OFFICER_PW")" --as cus
expect_problem "destroying an available (not spoiled) booklet: 409" 409 invalid-state
api POST $B/X1000003/spoil '{"reason":"chip test failed"}' --as cus
expect_status "cus spoils X1000003 (200)" 200
totp_code adj
api POST $B/X1000003/destroy "$(witness adj "$OFFICER_PW" "$TOTP_CODE")" --as cus2
expect_status "destroy X1000003 by cus2, witness adj with a TOTP code (200)" 200
api POST $B/X1000005/spoil '{"reason":"water damage"}' --as cus
expect_status "cus spoils X1000005 (200, left spoiled)" 200
api POST $B/X1000006/destroy "$(witness cus2 "$OFFICER_PW")" --as prn
expect_problem "a printer operator may not confirm a destruction (403)" 403 forbidden

# ---- void; nothing goes back
api POST $B/X1000004/void '{"reason":"lost in transit"}' --as cus
expect_status "cus voids X1000004 (200)" 200
api POST $B/Y0000001/void '{"reason":"damaged in delivery"}' --as cus
expect_status "cus voids Y0000001 of an unconfirmed range (200)" 200
for n in X1000001 X1000003 X1000004 X1000005; do
	st=$(state_of $n)
	api POST $B/$n/void '{"reason":"again"}' --as cus
	expect_problem "voiding $n ($st): 409" 409 invalid-state
done
for n in X1000001 X1000003 X1000004; do
	st=$(state_of $n)
	api POST $B/$n/spoil '{"reason":"again"}' --as cus
	expect_problem "spoiling $n ($st): 409" 409 invalid-state
done
api POST $B/X1000004/void '{"reason":"x"}' --as prn
expect_problem "a printer operator may not void (403)" 403 forbidden

# ---- reads, roles, refusals
api GET $B/X9999999 --as cus
expect_problem "an unknown booklet: 404" 404 not-found
api POST $B/X9999999/void '{"reason":"x"}' --as cus
expect_problem "voiding an unknown booklet: 404" 404 not-found
api POST $B/X9999999/spoil '{"reason":"x"}' --as cus
expect_problem "spoiling an unknown booklet: 404" 404 not-found
for n in x1000000 X123 X12345678 1000000X XX000000; do
	api GET "$B/$n" --as cus
	expect_problem "GET a malformed number $n: 422" 422 invalid-field
	api POST "$B/$n/void" '{"reason":"x"}' --as cus
	expect_problem "void a malformed number $n: 422" 422 invalid-field
done
for u in cus prn adj aud; do
	api GET $B/stock --as "$u"
	expect_status "GET stock as $u (booklet.view): 200" 200
done
for u in reg; do
	api GET $B/stock --as "$u"
	expect_problem "GET stock as $u: 403" 403 forbidden
	api GET $B/X1000000 --as "$u"
	expect_problem "GET a booklet as $u: 403" 403 forbidden
done
api GET $B/stock
expect_problem "GET stock without a session: 401" 401

# ---- counts: the stock route and /metrics agree with what was done here
#   X1000000 +10 confirmed: 01, 03 destroyed; 04 voided; 05 spoiled; 6 available
#   Y0000000 +3 unconfirmed: 01 voided; 2 received
declare -A WANT=([received]=2 [available]=6 [used]=0 [spoiled]=1 [destroyed]=2 [voided]=2)
api GET $B/stock --as aud
for s in "${!WANT[@]}"; do
	check "stock: $s = ${WANT[$s]}" [ "$(jget counts "$s")" = "${WANT[$s]}" ]
done
check "stock: total 13, two ranges" \
	[ "$(jget total) $(jget ranges 1 first) $(jget ranges 1 state)" = "13 Y0000000 received" ]
api GET /metrics
for s in "${!WANT[@]}"; do
	check "/metrics: paspor_booklets{state=\"$s\"} ${WANT[$s]}" \
		grep -qx "paspor_booklets{state=\"$s\"} ${WANT[$s]}" "$T/body"
done

# ---- bad input never answers 5xx
bad() { expect_problem "$1" 4xx; }
for body in '{' '[]' 'null' '1' '"x"' '{}' '{"first":"X3000000"}' '{"count":5}' \
	'{"first":"X3000000","count":0}' '{"first":"X3000000","count":10001}' \
	'{"first":"X3000000","count":-1}' '{"first":"X3000000","count":"5"}' \
	'{"first":"X3000000","count":1.5}' '{"first":"X3000000","count":99999999999999999999}' \
	'{"first":3000000,"count":5}' '{"first":"x3000000","count":5}' \
	'{"first":"X30000000","count":5}' '{"first":"X9999999","count":2}' \
	'{"first":"X3000000","count":5,"extra":1}' '{"first":"","count":5}' \
	'{"first":"X300\u00000","count":5}' '{"first":null,"count":5}' '{"first":"X3000000","count":null}'; do
	api POST $B/ranges "$body" --as cus
	bad "receive $(printf %q "$body")"
done
api POST $B/ranges '{"first":"X3000000","count":0}' --as cus
expect_problem "count 0: 422" 422 invalid-field
api POST $B/ranges '{"first":"X3000000","count":10001}' --as cus
expect_problem "count 10001: 422" 422 invalid-field
api POST $B/ranges '{"first":"X9999999","count":2}' --as cus
expect_problem "a range past X9999999: 422" 422 invalid-field
api POST $B/ranges '{"first":"X3000000","count":5}' --as cus --ct text/plain
expect_problem "receive as text/plain: 415" 415
LONG=$("$PY" -c 'print("r" * 501)')
for body in '{' '{"reason":""}' '{"reason":1}' "{\"reason\":\"$LONG\"}" '{"reason":"x","app":"nope"}' \
	'{"reason":"x","app":"B0000000000000000000000000"}' '{"reason":"x","extra":1}' \
	'{"reason":"bidi \u202e"}' '{"reason":"x\u0001"}'; do
	api POST $B/X1000007/spoil "$body" --as cus
	bad "spoil $(printf %q "${body:0:60}")"
done
check "X1000007 is still available after the spoil barrage" [ "$(state_of X1000007)" = available ]
for body in '{}' '{"witness":"cus2"}' '{"witness":{}}' '{"witness":{"username":"cus2"}}' \
	'{"witness":{"username":"cus2","password":1}}' '{"witness":{"username":"cus2","password":"x","extra":1}}' \
	'{"witness":{"username":"","password":"x"}}' '{"witness":[]}' '{"witness":null}' '{"witness":{},"x":1}'; do
	api POST $B/X1000005/destroy "$body" --as cus
	bad "destroy $(printf %q "$body")"
done
for body in '{' '{}' '{"reason":""}' '{"reason":["x"]}'; do
	api POST $B/X1000008/void "$body" --as cus
	bad "void $(printf %q "$body")"
done
api POST $B/ranges/X1000000/confirm '{"x":1}' --as cus2
bad "confirm with a field"
for p in "$B/%2e%2e/void" "$B/X1000000%00/void" "$B/ranges/x/confirm" "$B/X1000000/../stock"; do
	api POST "$p" '{"reason":"x"}' --as cus
	bad "path $p"
done
api GET /metrics
check "no 5xx answer was counted in /metrics" bash -c "! grep -E '^paspor_http_requests_total\{.*status=\"5[0-9][0-9]\"' '$T/body'"
check "the barrage changed no count (available 6, received 2)" \
	grep -qx 'paspor_booklets{state="available"} 6' "$T/body"
api GET /healthz
expect_status "server still healthy" 200

office_stop "booklets"
check "no sanitizer report from the server" no_sanitizer_report "$T/serve.err"
expect_exit 0 "log verify" "$PASPOR" log verify --data "$D"
rebuild_same "booklets"
