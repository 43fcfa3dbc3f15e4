#!/usr/bin/env bash
# The counter workflow over HTTP only (issue 4, docs/API.md, docs/WORKFLOW.md): the real
# `paspor office serve`, driven with curl. Synthetic applicants with valid NIKs
# (docs/BOOKING.md) book on the public listener; officers log in (TOTP codes from
# oathtool) and take them from booking to paid — check-in, documents, photo
# (tests/data/face-synthetic.jpg, 480 x 600), fingerprints, enrolment, interview,
# watchlist check and approval by an adjudicator who neither enrolled nor interviewed,
# payment (one confirmed later). One applicant is rejected after a watchlist hit, one is
# a no-show, one rescheduled (a second reschedule refused), one cancelled; a walk-in is
# booked by a registrar; a second active booking for a NIK is a 409. Outside truth: the
# sqlite3 CLI reads the events (kinds, actors in the envelope), `paspor log verify`, and
# `paspor rebuild` must reproduce every projection table.
#
# No-show: a no-show can be recorded only once the slot's local day is over. To get
# there without waiting, the applicant books a slot later *today* in a zone A west of
# UTC, the server is restarted with the office's zone set to B (UTC+14), where that day
# is already over (tests/office_api_util.py tz-plan).
SUITE=office_api_flow; . "$(dirname "$0")/../lib.sh"; . "$(dirname "$0")/../lib_office.sh"

office_setup
read -r ZA DATE_A START_A ZB < <(pyu tz-plan)
office_conf timezone="$ZA"
TZ_OFFICE=$ZA
office_add_officers "reg reg2 int adj adm aud csh"
office_start "zone $ZA"
login_all "reg int adj adm aud csh"
JPEG=$PASPOR_ROOT/tests/data/face-synthetic.jpg
D1=$(local_date 1)
D2=$(local_date 2)
BILLED=$(date -d yesterday +%F) # a billing date not after the office's today
CODE_RE='^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{4}$'

# ---- public: slots, bookings, status
api GET "/api/v1/bookings/slots?from=$D1&days=3" --pub
expect_status "free slots listed on the public listener" 200
check "slots answer is JSON naming the slot 09:00" grep -q '"09:00"' "$T/body"

declare -A BCODE BNIK
bk() { # LABEL N SEX DATE START [KEY=VALUE...]
	local l=$1; shift
	book "$@"
	BCODE[$l]=$BOOK_CODE
	BNIK[$l]=$BOOK_NIK
	if [ "$CODE" = 201 ] && [[ "$BOOK_CODE" =~ $CODE_RE ]]; then
		ok "booking $l: 201 with a readable code"
	else
		fail "booking $l: 201 with a readable code" "status $CODE; body: $(short_body)"
	fi
}
bk P1 101 F "$D1" 09:00
check "booking answer names the slot" [ "$(jget slot_date) $(jget slot_start)" = "$D1 09:00" ]
check "booking answer names the passport type" [ "$(jget passport_type)" = ordinary-48 ]
bk P2 102 M "$D1" 09:00
bk P3 103 F "$D1" 10:00
bk R 104 M "$D1" 10:00
bk S 105 F "$D1" 11:00
bk C 106 M "$D1" 11:00
bk N 107 F "$DATE_A" "$START_A"
check "two bookings get different codes" [ "${BCODE[P1]}" != "${BCODE[P2]}" ]

book 101 F "$D2" 08:00
expect_problem "a second active booking for the same NIK is refused (409)" 409
check "the duplicate's detail does not echo the NIK" bash -c "! grep -q '${BNIK[P1]}' '$T/body'"

for l in P1 P2 P3 R S C N; do
	st=$(status_of "${BCODE[$l]}" "${BNIK[$l]}")
	check "status of $l is booked" [ "$st" = booked ]
done
api POST /api/v1/bookings/status "{\"code\":\"${BCODE[P1]}\",\"nik\":\"${BNIK[P2]}\"}" --pub
expect_problem "status with another applicant's NIK is refused" 4xx
check "... and says nothing of the booking" bash -c "! grep -q '\"state\"' '$T/body'"
api POST /api/v1/bookings/status "{\"code\":\"$(echo "${BCODE[P1]}" | tr -d '-')\",\"nik\":\"${BNIK[P1]}\"}" --pub
check "status accepts the code without dashes" [ "$CODE" = 200 ]
lc=$(echo "${BCODE[P1]}" | tr 'A-Z' 'a-z')
api POST /api/v1/bookings/status "{\"code\":\"$lc\",\"nik\":\"${BNIK[P1]}\"}" --pub
check "status accepts the code in lower case" [ "$CODE" = 200 ]
api POST /api/v1/bookings/status "{\"code\":\"${BCODE[P1]}\",\"nik\":\"${BNIK[P1]}\"}"
check "status also works on the officers' listener" [ "$CODE" = 200 ]

# ---- reschedule once, cancel
api POST /api/v1/bookings/reschedule "{\"code\":\"${BCODE[S]}\",\"nik\":\"${BNIK[S]}\",\"slot_date\":\"$D2\",\"slot_start\":\"14:00\"}" --pub
expect_status "reschedule S (once) is 200" 200
status_of "${BCODE[S]}" "${BNIK[S]}" >/dev/null
check "S's status shows the new slot" [ "$(jget state) $(jget slot_date) $(jget slot_start)" = "booked $D2 14:00" ]
api POST /api/v1/bookings/reschedule "{\"code\":\"${BCODE[S]}\",\"nik\":\"${BNIK[S]}\",\"slot_date\":\"$D2\",\"slot_start\":\"15:00\"}" --pub
expect_problem "a second reschedule is refused (409)" 409
status_of "${BCODE[S]}" "${BNIK[S]}" >/dev/null
check "S keeps the slot of the first reschedule" [ "$(jget slot_start)" = 14:00 ]

api POST /api/v1/bookings/cancel "{\"code\":\"${BCODE[C]}\",\"nik\":\"${BNIK[C]}\"}" --pub
expect_status "cancel C is 200" 200
check "C's status is cancelled" [ "$(status_of "${BCODE[C]}" "${BNIK[C]}")" = cancelled ]
api POST /api/v1/bookings/cancel "{\"code\":\"${BCODE[C]}\",\"nik\":\"${BNIK[C]}\"}" --pub
expect_problem "cancelling twice is 409" 409
api POST /api/v1/bookings/reschedule "{\"code\":\"${BCODE[C]}\",\"nik\":\"${BNIK[C]}\",\"slot_date\":\"$D2\",\"slot_start\":\"09:00\"}" --pub
expect_problem "rescheduling a cancelled booking is 409" 409
bk C2 106 M "$D2" 09:00
check "after the cancel the same NIK may book again" [ "$CODE" = 201 ]

# ---- an applicant without a NIK (born abroad): another identity document (docs/BOOKING.md)
IDDOC='identity={"type":"pp","state":"nld","number":"NX-123 4567"}'
api POST /api/v1/bookings "$(pyu person 120 F "$D2" 10:00 nik= "$IDDOC")" --pub
expect_problem "online, a home office books only applicants with a NIK (422)" 422
api POST /api/v1/walk-ins "$(pyu person 120 F - - nik= "$IDDOC")" --as reg
expect_status "at the counter, a registrar books an applicant without a NIK (201)" 201
XCODE=$(jget code)
api POST /api/v1/bookings/status "{\"code\":\"$XCODE\",\"identity\":{\"type\":\"PP\",\"state\":\"NLD\",\"number\":\"NX1234567\"}}" --pub
check "its status is found by code + the same document, however it is typed" [ "$(jget state)" = booked ]
api POST /api/v1/walk-ins "$(pyu person 121 F - - nik= "$IDDOC")" --as reg
expect_problem "a second active application with the same identity document is refused (409)" 409

# ---- walk-in by a registrar (slot = now)
api POST /api/v1/walk-ins "$(pyu person 108 M - -)" --as reg
if expect_status "walk-in by a registrar is 201" 201; then
	WID=$(jget application_id)
	BCODE[W]=$(jget code)
	BNIK[W]=$(pyu person 108 M - - | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["nik"])')
else
	WID=
fi
check "walk-in answer has an application id" bash -c "[[ '$WID' =~ ^A[0-9A-HJKMNP-TV-Z]{25}\$ ]]"
api POST /api/v1/walk-ins "$(pyu person 109 M - -)" --as int
expect_problem "walk-in by an interviewer is 403" 403

# ---- officers find the applications
declare -A AID
for l in P1 P2 P3 R C2; do
	AID[$l]=$(app_id_of "${BCODE[$l]}" reg)
	check "search by booking code finds $l's application" [ -n "${AID[$l]}" ]
done
AID[W]=$WID

# step LABEL WHAT OFFICER STATUS... -- METHOD PATH [api args]: one checked call
step() {
	local l=$1 what=$2 who=$3; shift 3
	local want=()
	while [ "$1" != -- ]; do want+=("$1"); shift; done
	shift
	local m=$1 p=$2; shift 2
	api "$m" "/api/v1/applications/${AID[$l]}$p" "$@" --as "$who"
	expect_status "$l: $what ($who)" "${want[@]}"
}
DOCS='{"identity_card":{"status":"checked","note":"asli"},"family_card":{"status":"checked","note":"asli"},"civil_record":{"status":"checked","note":"akta kelahiran"},"old_passport":{"status":"missing","note":"first passport"}}'

# the front desk and enrolment for P1 P2 P3 R W (NUM: the person each was booked as)
declare -A NUM=([P1]=101 [P2]=102 [P3]=103 [R]=104 [W]=108)
for l in P1 P2 P3 R W; do
	[ -n "${AID[$l]}" ] || { fail "$l: has an application id"; continue; }
	if [ $l = P1 ]; then
		step $l "interview before check-in is 409" int 409 -- POST /interview '{"notes":"x"}'
		expect_problem "$l: the refusal is problem+json" 409
	fi
	step $l "check-in" reg 200 201 204 -- POST /check-in
	if [ $l = P1 ]; then
		check "$l: status lookup says checked_in" [ "$(status_of "${BCODE[$l]}" "${BNIK[$l]}")" = checked_in ]
		step $l "second check-in is 409" reg 409 -- POST /check-in
	fi
	step $l "documents" reg 200 201 204 -- POST /documents "$DOCS"
	if [ $l = P1 ]; then
		step $l "enrolment without a photo is 409" reg 409 -- POST /enrolment "$(pyu enrol-body 101)"
	fi
	step $l "photo upload" reg 200 201 -- PUT /photo --file "$JPEG" --ct image/jpeg
	if [ $l = P1 ]; then
		check "$l: photo answer reports the chip photo (240 x 320, <= 20480 bytes)" "$PY" -c "
import json; b=json.load(open('$T/body')); s=json.dumps(b)
assert '240' in s and '320' in s, s
n=[v for k,v in b.items() if k in ('bytes','size')] if isinstance(b,dict) else []
assert not n or 0 < n[0] <= 20480, b"
	fi
	step $l "fingerprint 1" reg 200 201 204 -- PUT /fingerprints/1 --file "$JPEG" --ct image/jpeg
	step $l "fingerprint 6" reg 200 201 204 -- PUT /fingerprints/6 --file "$JPEG" --ct image/jpeg
	if [ $l = P1 ]; then
		step $l "enrolment without the name's split is 422" reg 422 -- POST /enrolment '{}'
		step $l "enrolment whose split changes the name is 422" reg 422 -- POST /enrolment \
			'{"primary_identifier":"Nobody","secondary_identifier":"Forged"}'
	fi
	step $l "enrolment" reg 200 201 204 -- POST /enrolment "$(pyu enrol-body "${NUM[$l]}")"
	check "$l: the enrolment answers the MRZ name line it makes" "$PY" -c "
import json; b=json.load(open('$T/body'))
l=b['mrz_name_line']; assert len(l)==44 and l.startswith('P<IDN') and '<<' in l, l"
done
check "P1: status lookup says enrolled" [ "$(status_of "${BCODE[P1]}" "${BNIK[P1]}")" = enrolled ]

# R is on the local watchlist (an office admin adds the entry)
RPERSON=$(pyu person 104 M - -)
RNAME=$(printf '%s' "$RPERSON" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["full_name"])')
RBIRTH=$(printf '%s' "$RPERSON" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["birth_date"])')
api POST /api/v1/watchlist "{\"full_name\":\"$RNAME\",\"birth_date\":\"$RBIRTH\",\"reason\":\"uji daftar cegah\"}" --as adm
expect_status "office admin adds a watchlist entry" 200 201

for l in P1 P2 P3 R W; do
	[ -n "${AID[$l]}" ] || continue
	step $l "interview" int 200 201 204 -- POST /interview '{"notes":"wawancara lancar, tujuan wisata"}'
	step $l "watchlist check" adj 200 201 -- POST /watchlist-check '{}'
	if [ $l = R ]; then
		check "R: watchlist check is a hit" grep -q '"hit"' "$T/body"
		step $l "approval after an unaccepted hit is 409" adj 409 -- POST /decision '{"decision":"approve","reasons":["dokumen lengkap"]}'
		step $l "rejection" adj 200 201 204 -- POST /decision '{"decision":"reject","reasons":["tercantum dalam daftar cegah"]}'
		check "R: status lookup says rejected" [ "$(status_of "${BCODE[R]}" "${BNIK[R]}")" = rejected ]
		step $l "payment after rejection is 409" reg 409 -- POST /payment "{\"billing_code\":\"820261129000099\",\"amount\":35000000,\"currency\":\"IDR\",\"billed_on\":\"$BILLED\"}"
		continue
	fi
	check "$l: watchlist check is clear" grep -q '"clear"' "$T/body"
	step $l "approval" adj 200 201 204 -- POST /decision '{"decision":"approve","reasons":["dokumen lengkap"]}'
	[ $l = P1 ] && step $l "a second decision is 409" adj 409 -- POST /decision '{"decision":"reject","reasons":["x"]}'
	declare -A BILL=([P1]=001 [P2]=002 [W]=004)
	bill=820261129000${BILL[$l]:-009}
	[ $l = P3 ] && bill=820261129000003
	if [ $l = P3 ]; then
		# the amount is the tariff in force; the recorder never confirms
		step $l "a payment of 1 (0.01 IDR) is 422" reg 422 -- POST /payment "{\"billing_code\":\"$bill\",\"amount\":1,\"currency\":\"IDR\",\"billed_on\":\"$BILLED\"}"
		check "... naming the tariff" grep -q 'not the tariff' "$T/body"
		step $l "a billing date after today is 422" reg 422 -- POST /payment "{\"billing_code\":\"$bill\",\"amount\":35000000,\"currency\":\"IDR\",\"billed_on\":\"$(date -d '+3 days' +%F)\"}"
		step $l "a service without a tariff is 422" reg 422 -- POST /payment "{\"billing_code\":\"$bill\",\"amount\":35000000,\"currency\":\"IDR\",\"service\":\"express\",\"billed_on\":\"$BILLED\"}"
		step $l "recorded as confirmed by the registrar alone is 422" reg 422 -- POST /payment "{\"billing_code\":\"$bill\",\"amount\":35000000,\"currency\":\"IDR\",\"billed_on\":\"$BILLED\",\"status\":\"confirmed\"}"
		check "$l: still approved" [ "$(status_of "${BCODE[$l]}" "${BNIK[$l]}")" = approved ]
	fi
	step $l "payment recorded (pending)" reg 200 201 204 -- POST /payment "{\"billing_code\":\"$bill\",\"amount\":35000000,\"currency\":\"IDR\",\"billed_on\":\"$BILLED\"}"
	if [ $l = P3 ]; then
		step $l "confirmation with another billing code is 409" csh 409 -- POST /payment/confirm '{"billing_code":"820261129999999","ntpn":"0123456789ABCDEF"}'
		step $l "confirmation without the NTPN is 422" csh 422 -- POST /payment/confirm "{\"billing_code\":\"$bill\"}"
		step $l "the approver may not confirm the payment (403)" adj 403 -- POST /payment/confirm "{\"billing_code\":\"$bill\",\"ntpn\":\"0123456789ABCDEF\"}"
		expect_problem "... separation-of-duties" 403 separation-of-duties
	fi
	step $l "payment confirmed with its NTPN by the cashier" csh 200 201 204 -- POST /payment/confirm "{\"billing_code\":\"$bill\",\"ntpn\":\"NTPN${bill: -12}\"}"
	[ -n "${BCODE[$l]:-}" ] &&
		check "$l: status lookup says paid" [ "$(status_of "${BCODE[$l]}" "${BNIK[$l]}")" = paid ]
done

# ---- officer queries (each view of personal data is an access event)
api GET "/api/v1/applications?state=paid&date=$D1" --as aud
expect_status "auditor lists paid applications of $D1" 200
for l in P1 P2 P3; do check "the list has $l" grep -q "${AID[$l]}" "$T/body"; done
check "the list has no NIK or name" bash -c "! grep -q '${BNIK[P1]}\|Samarinda\|full_name' '$T/body'"
api GET "/api/v1/applications/${AID[P1]}" --as aud
expect_status "auditor reads one application" 200
check "it carries the applicant's NIK" grep -q "${BNIK[P1]}" "$T/body"
check "it carries no booking code or its hash" bash -c "! grep -q '${BCODE[P1]}\|code_hash' '$T/body'"
api GET "/api/v1/applications/${AID[P1]}/history" --as aud
expect_status "auditor reads the history" 200
for k in booking.created application.checked_in application.documents_checked application.photo_enrolled \
	application.enrolled application.interviewed application.watchlist_checked application.approved \
	application.payment_recorded; do
	check "P1's history has $k" grep -q "\"$k\"" "$T/body"
done
api POST /api/v1/applications/search "{\"nik\":\"${BNIK[P2]}\"}" --as aud
check "search by NIK finds P2" grep -q "${AID[P2]}" "$T/body"
api POST /api/v1/applications/search "{\"name\":\"$(pyu person 102 M - - | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["full_name"][:6].lower())')\"}" --as aud
check "search by a lower-case name prefix finds P2" grep -q "${AID[P2]}" "$T/body"
api GET "/api/v1/applications/A0000000000000000000000000" --as aud
expect_problem "an unknown application id is 404" 404

# ---- the log: events, actors, access events
db=$D/paspor.db
kinds() { sqlite3 "$db" "SELECT count(*) FROM events WHERE kind = '$1'"; }
check "booking.created: 7 online + 1 rebooking + 2 walk-ins (one without a NIK)" [ "$(kinds booking.created)" = 10 ]
check "booking.rescheduled once" [ "$(kinds booking.rescheduled)" = 1 ]
check "booking.cancelled once" [ "$(kinds booking.cancelled)" = 1 ]
check "payment_recorded 4 (P1 P2 P3 W)" [ "$(kinds application.payment_recorded)" = 4 ]
check "payment_confirmed 4 (P1 P2 P3 W)" [ "$(kinds application.payment_confirmed)" = 4 ]
check "approved 4, rejected 1" [ "$(kinds application.approved) $(kinds application.rejected)" = "4 1" ]
check "views recorded as application.viewed events" [ "$(kinds application.viewed)" -ge 3 ]
actor_in() { # KIND ACTOR: events of KIND whose envelope names ACTOR
	sqlite3 "$db" "SELECT count(*) FROM events WHERE kind = '$1' AND instr(data, CAST(char(length('$2')) || '$2' AS BLOB)) > 0"
}
check "approvals name officer:adj as actor" [ "$(actor_in application.approved officer:adj)" = 4 ]
check "interviews name officer:int as actor" [ "$(actor_in application.interviewed officer:int)" = 5 ]
check "online bookings name the applicant as actor" [ "$(actor_in booking.created applicant)" = 8 ]
# the log (what replicas and backups carry) holds the NIK only sealed; the projection
# tables, which never leave the office and are rebuilt from the log, do hold it
check "the NIK is in no stored event in clear (sealed bodies)" [ "$(sqlite3 "$db" "SELECT count(*) FROM events WHERE instr(data, CAST('${BNIK[P1]}' AS BLOB)) > 0")" = 0 ]

# ---- restart in zone B: N's day is over there, so N is a no-show
office_stop "zone A server"
office_conf timezone="$ZB"
TZ_OFFICE=$ZB
office_start "zone $ZB"
login_all "reg"
AID[N]=$(app_id_of "${BCODE[N]}" reg)
AID[S]=$(app_id_of "${BCODE[S]}" reg)
check "N found after the restart" [ -n "${AID[N]}" ]
step N "no-show once the slot's day ($DATE_A) is over" reg 200 201 204 -- POST /no-show
check "N's status lookup says no_show" [ "$(status_of "${BCODE[N]}" "${BNIK[N]}")" = no_show ]
step S "no-show before the slot's day ($D2) is over is 409" reg 409 -- POST /no-show
step N "check-in of a no-show is 409" reg 409 -- POST /check-in
bk N2 107 F "$(local_date 2)" 09:00
check "after a no-show the same NIK may book again" [ "$CODE" = 201 ]
check "every acknowledged booking still answers its status" \
	[ "$(status_of "${BCODE[P2]}" "${BNIK[P2]}")" = paid ]
office_stop "zone B server"

# ---- the log verifies, rebuild reproduces every projection
expect_exit 0 "log verify" "$PASPOR" log verify --data "$D"
rebuild_same "after the flow"
check "applications projection is not empty" [ "$(sqlite3 "$db" 'SELECT count(*) FROM applications')" -ge 10 ]
check "no sanitizer report from the server" no_sanitizer_report "$T/serve.err"
