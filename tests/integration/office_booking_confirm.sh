#!/usr/bin/env bash
# A public booking holds its slot only once the applicant enters the code sent to the
# phone or e-mail given (issue 13 item 6, docs/BOOKING.md "Confirming a booking"): the
# real `paspor office serve` with the spool sender (the code is read from the spool
# folder), then the SMTP sender against a tiny SMTP server and the HTTP sender against a
# tiny HTTP gateway, both started here on 127.0.0.1 (tests/office_api_util.py
# smtp-sink, http-sink), and senders that are down. Outside truth: the spool files, what
# the sinks recorded, the sqlite3 CLI on the events and projections, `paspor rebuild`.
SUITE=office_booking_confirm; . "$(dirname "$0")/../lib.sh"; . "$(dirname "$0")/../lib_office.sh"

office_setup
# hourly slots (quota 200) but 09:00, which has 3 places
slots="("
for h in $(seq 0 23); do
	q=200; [ "$h" = 9 ] && q=3
	slots+=$(printf '{ start = "%02d:00"; end = "%02d:00"; quota = %d; }' "$h" $((h + 1)) "$q")
	[ "$h" -lt 23 ] && slots+=", "
done
slots+=")"
office_conf "slots=$slots" confirmation.pending_per_slot=2 confirmation.active_per_phone=2 \
	confirmation.active_per_email=2 confirmation.code_attempts=3 \
	confirmation.codes_per_contact_per_day=4
office_add_officers "reg"
office_start "spool sender"
D1=$(local_date 1)
CODE_RE='^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{4}$'
CODES=() # every confirmation code seen: none may reach the server's log

# free START: the free places of slot START on D1
free() {
	api GET "/api/v1/bookings/slots?from=$D1&days=1" --pub
	"$PY" -c 'import json,sys
d=json.load(open(sys.argv[1]))
print([s["free"] for s in d["days"][0]["slots"] if s["start"] == sys.argv[2]][0])' "$T/body" "$1"
}
db() { sqlite3 "$D/paspor.db" "$1"; }
other_code() { printf '%06d' $(((10#$1 + 1) % 1000000)); }

# ---- the two steps -------------------------------------------------------------------
check "before: slot 10:00 has 200 free places" [ "$(free 10:00)" = 200 ]
hold "$(pyu person 501 F "$D1" 10:00)"
expect_status "a booking answers 202: a pending hold" 202
H=$BOOK_HOLD
check "the answer names a hold id" bash -c "[[ '$H' =~ ^H[0-9A-HJKMNP-TV-Z]{25}\$ ]]"
check "the answer says pending" [ "$(jget state)" = pending ]
check "the answer holds no booking code" bash -c "! grep -q '\"code\"' '$T/body'"
check "the code went to the phone (the default)" [ "$(jget send_to)" = phone ]
check "the spool holds the hold's message" test -f "$D/outbox/$H-1.txt"
C1=$(spool_code "$H"); CODES+=("$C1")
check "the message holds a 6-digit code" bash -c "[[ '$C1' =~ ^[0-9]{6}\$ ]]"
check "the message went to the applicant's phone" grep -qx 'To: +62812[0-9]*' "$D/outbox/$H-1.txt"
check "the spool file is mode 0600" [ "$(stat -c %a "$D/outbox/$H-1.txt")" = 600 ]
check "a pending hold takes a place of its slot (199 free)" [ "$(free 10:00)" = 199 ]
check "a pending hold is no application" [ "$(db "SELECT count(*) FROM applications")" = 0 ]
confirm_hold "$H" "$(other_code "$C1")"
expect_problem "a wrong code is 422" 422 invalid-field
check "... saying 2 attempts are left" grep -q '2 attempts left' "$T/body"
confirm_hold "$H" "$C1"
expect_status "the right code confirms the booking: 201" 201
BC=$(jget code)
check "the confirmation answers the booking code" bash -c "[[ '$BC' =~ $CODE_RE ]]"
check "the confirmation names the slot" [ "$(jget slot_date) $(jget slot_start)" = "$D1 10:00" ]
check "the booking's status is booked" [ "$(status_of "$BC" "$(pyu person 501 F "$D1" 10:00 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["nik"])')")" = booked ]
check "the confirmed booking keeps its place (199 free)" [ "$(free 10:00)" = 199 ]
check "one application, online, booked" [ "$(db "SELECT count(*) FROM applications WHERE channel = 'online' AND state = 'booked'")" = 1 ]
confirm_hold "$H" "$C1"
expect_problem "a hold confirms once (409)" 409 invalid-state
check "... and still one application" [ "$(db "SELECT count(*) FROM applications")" = 1 ]
confirm_hold "H0000000000000000000000000" "$C1"
expect_problem "an unknown hold is 404" 404
confirm_hold "$H" "12ab56"
expect_problem "a code that is no digits is 422" 422 invalid-field

# ---- attempts run out ----------------------------------------------------------------
hold "$(pyu person 502 M "$D1" 11:00)"
H2=$BOOK_HOLD; C2=$(spool_code "$H2"); CODES+=("$C2")
for i in 1 2 3; do confirm_hold "$H2" "$(other_code "$C2")"; done
expect_problem "the third wrong code is 422" 422 invalid-field
check "... saying the hold has ended" grep -q '0 attempts left' "$T/body"
confirm_hold "$H2" "$C2"
expect_problem "after the attempts, even the right code is refused (409)" 409 invalid-state
check "the ended hold frees its place (200 free at 11:00)" [ "$(free 11:00)" = 200 ]
check "the ended hold is no application" [ "$(db "SELECT count(*) FROM applications")" = 1 ]
hold "$(pyu person 502 M "$D1" 11:00)"
expect_status "the same person may book again once the hold ended" 202
H2b=$BOOK_HOLD; CODES+=("$(spool_code "$H2b")")

# ---- a new code: not at once (resend_seconds 60 here) ------------------------------
hold "$(pyu person 503 F "$D1" 12:00)"
H3=$BOOK_HOLD; CODES+=("$(spool_code "$H3")")
api POST /api/v1/bookings/resend "{\"hold\":\"$H3\"}" --pub
expect_problem "a new code at once is refused (429)" 429 rate-limited
check "... with Retry-After" bash -c "[ -n \"$(hdr Retry-After)\" ]"
check "... and no second message" test ! -e "$D/outbox/$H3-2.txt"

# ---- caps ----------------------------------------------------------------------------
book 510 F "$D1" 09:00
expect_status "09:00 (3 places): one confirmed booking" 201
hold "$(pyu person 511 M "$D1" 09:00)"; CODES+=("$(spool_code "$BOOK_HOLD")")
expect_status "09:00: a first pending hold" 202
hold "$(pyu person 512 F "$D1" 09:00)"; CODES+=("$(spool_code "$BOOK_HOLD")")
expect_status "09:00: a second pending hold" 202
check "09:00 shows no free place (1 booked + 2 pending)" [ "$(free 09:00)" = 0 ]
hold "$(pyu person 513 M "$D1" 09:00)"
expect_problem "a hold in a slot full of bookings and pending holds is 409 slot-full" 409 slot-full
hold "$(pyu person 514 F "$D1" 13:00)"; CODES+=("$(spool_code "$BOOK_HOLD")")
hold "$(pyu person 515 M "$D1" 13:00)"; CODES+=("$(spool_code "$BOOK_HOLD")")
hold "$(pyu person 516 F "$D1" 13:00)"
expect_problem "a third pending hold in one slot (pending_per_slot 2) is 409" 409 conflict
check "... with Retry-After" bash -c "[ -n \"$(hdr Retry-After)\" ]"
for n in 520 521; do
	hold "$(pyu person $n F "$D1" $((n - 506)):00 phone='"+62 811 999 0001"')"; CODES+=("$(spool_code "$BOOK_HOLD")")
	expect_status "phone +62 811 999 0001: booking $n" 202
done
hold "$(pyu person 522 F "$D1" 16:00 phone='"+62-811-999-0001"')"
expect_problem "a third booking with that phone (active_per_phone 2) is 409" 409 conflict
check "... naming the phone number" grep -q 'phone number' "$T/body"
for n in 530 531; do
	hold "$(pyu person $n M "$D1" $((n - 513)):00 email='"keluarga@example.id"' send_code_to='"email"')"
	CODES+=("$(spool_code "$BOOK_HOLD")")
	expect_status "e-mail keluarga@example.id: booking $n" 202
done
check "the e-mail channel's spool message goes to the e-mail address" grep -qx 'To: keluarga@example.id' "$D/outbox/$BOOK_HOLD-1.txt"
hold "$(pyu person 532 M "$D1" 19:00 email='"Keluarga@Example.id"')"
expect_problem "a third booking with that e-mail (active_per_email 2, any case) is 409" 409 conflict
check "... naming the e-mail address" grep -q 'e-mail address' "$T/body"
# no SMS pumping: 4 codes per phone in 24 hours, whatever became of their holds (each
# hold here ends after 3 wrong codes, so none is active)
for n in 540 541 542 543; do
	hold "$(pyu person $n F "$D1" 20:00 phone='"+62 811 999 0040"')"
	expect_status "code $((n - 539)) to +62 811 999 0040" 202
	H4=$BOOK_HOLD; CODES+=("$(spool_code "$H4")")
	for i in 1 2 3; do confirm_hold "$H4" "$(other_code "$(spool_code "$H4")")"; done
done
hold "$(pyu person 544 M "$D1" 21:00 phone='"+62 811 999 0040"')"
expect_problem "a fifth code to one phone in 24 hours is 429" 429 rate-limited
check "... for hours (Retry-After > 3600)" [ "$(hdr Retry-After)" -gt 3600 ]
hold "$(pyu person 544 M "$D1" 21:00 phone='"+62 811 999 0041"')"
expect_status "the same person with another phone is 202" 202
CODES+=("$(spool_code "$BOOK_HOLD")")
check "no pending hold is an application: 2 bookings so far" [ "$(db "SELECT count(*) FROM applications")" = 2 ]
check "the hold events are sealed (no name in clear)" [ "$(db "SELECT count(*) FROM events WHERE kind = 'booking.held' AND instr(data, CAST('Merdeka' AS BLOB)) > 0")" = 0 ]
office_stop "spool sender"

# ---- unconfirmed holds expire --------------------------------------------------------
office_conf confirmation.hold_seconds=2
office_start "holds of 2 s"
hold "$(pyu person 550 F "$D1" 22:00)"
H5=$BOOK_HOLD; C5=$(spool_code "$H5"); CODES+=("$C5")
check "a pending hold takes its place (199 free at 22:00)" [ "$(free 22:00)" = 199 ]
sleep 2.5
check "after hold_seconds the place is free again (200)" [ "$(free 22:00)" = 200 ]
confirm_hold "$H5" "$C5"
expect_problem "an expired hold cannot be confirmed, even with its code (409)" 409 invalid-state
check "... it says expired" grep -q expired "$T/body"
check "the expired hold is recorded as such" [ "$(db "SELECT state FROM booking_holds WHERE id = '$H5'")" = expired ]
check "the expired hold is no application" [ "$(db "SELECT count(*) FROM applications")" = 2 ]
hold "$(pyu person 550 F "$D1" 22:00)"
expect_status "the person may book again after the expiry" 202
CODES+=("$(spool_code "$BOOK_HOLD")")
office_stop "holds of 2 s"

# ---- senders that are down: 503 and nothing holds a place ----------------------------
closed_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
office_conf confirmation.hold_seconds=600 confirmation.resend_seconds=1 confirmation.email_sender='"smtp"' \
	confirmation.smtp_url="\"smtp://127.0.0.1:$(closed_port)\"" confirmation.smtp_tls='"none"' \
	confirmation.smtp_from='"paspor@kanim.test"'
office_start "SMTP server down"
hold "$(pyu person 560 M "$D1" 23:00 send_code_to='"email"')"
expect_problem "an SMTP server that is down answers 503" 503 unavailable
check "... saying nothing was booked" grep -q 'nothing was booked' "$T/body"
check "... and no place is held (200 free at 23:00)" [ "$(free 23:00)" = 200 ]
check "the failed hold is recorded as unsent, not pending" [ "$(db "SELECT group_concat(state) FROM booking_holds WHERE idref = (SELECT idref FROM booking_holds ORDER BY created_seq DESC LIMIT 1)")" = unsent ]
check "the failure is logged" grep -q 'was not sent: smtp sender' "$T/serve.err"
check "... without the address" bash -c "! grep -q 'pemohon560' '$T/serve.err'"
hold "$(pyu person 560 M "$D1" 23:00 send_code_to='"phone"')"
expect_status "the same person books at once with the phone (spool) sender" 202
CODES+=("$(spool_code "$BOOK_HOLD")")

# a new code once resend_seconds (1 here) are over
C3=$(spool_code "$H3")
sleep 1.1
api POST /api/v1/bookings/resend "{\"hold\":\"$H3\"}" --pub
expect_status "a new code after resend_seconds: 202" 202
C3b=$(spool_code "$H3" 2); CODES+=("$C3b")
check "the second message holds a code" bash -c "[[ '$C3b' =~ ^[0-9]{6}\$ ]]"
if [ "$C3" != "$C3b" ]; then
	confirm_hold "$H3" "$C3"
	expect_problem "the first code stops working after a resend" 422 invalid-field
fi
confirm_hold "$H3" "$C3b"
expect_status "the new code confirms" 201
office_stop "SMTP server down"

# ---- SMTP through libcurl, against a tiny SMTP server --------------------------------
mkdir -p "$T/smtp"
"$PY" "$U" smtp-sink "$T/smtp.port" "$T/smtp" >/dev/null 2>"$T/smtp.err" &
SMTP_PID=$!
on_exit "kill $SMTP_PID 2>/dev/null"
for _ in $(seq 1 50); do [ -s "$T/smtp.port" ] && break; sleep 0.1; done
printf 'rahasia-smtp-8c1f\n' >"$D/smtp.password"
office_conf confirmation.smtp_url="\"smtp://127.0.0.1:$(cat "$T/smtp.port")\"" \
	confirmation.smtp_user='"paspor"' confirmation.smtp_password_file='"smtp.password"'
office_start "SMTP sender"
hold "$(pyu person 570 F "$D1" 14:00 send_code_to='"email"')"
expect_status "a booking with the SMTP sender is 202" 202
H7=$BOOK_HOLD
check "the SMTP server received one message" test -s "$T/smtp/1.eml"
check "... for the applicant's address" grep -q '<pemohon570@example.id>' "$T/smtp/1.env"
check "... from the configured sender" grep -q '"from": "<paspor@kanim.test>"' "$T/smtp/1.env"
check "... after AUTH with the password from the file" grep -q '"rahasia-smtp-8c1f"' "$T/smtp/1.env"
check "... with a subject" grep -q '^Subject: ' "$T/smtp/1.eml"
C7=$(sed -n 's/.*booking paspor Anda \([0-9]*\),.*/\1/p' "$T/smtp/1.eml" | head -1); CODES+=("$C7")
check "... holding the code" bash -c "[[ '$C7' =~ ^[0-9]{6}\$ ]]"
check "no spool file for the e-mail" test ! -e "$D/outbox/$H7-1.txt"
confirm_hold "$H7" "$C7"
expect_status "the code from the e-mail confirms" 201
check "the SMTP password is not in the server's log" bash -c "! grep -q 'rahasia-smtp' '$T/serve.err' '$T/serve.out'"
office_stop "SMTP sender"

# ---- an SMS/WhatsApp gateway over HTTP, against a tiny HTTP server -------------------
mkdir -p "$T/gw" "$T/gw500"
"$PY" "$U" http-sink "$T/gw.port" "$T/gw" >/dev/null 2>"$T/gw.err" &
GW_PID=$!
on_exit "kill $GW_PID 2>/dev/null"
"$PY" "$U" http-sink "$T/gw500.port" "$T/gw500" 500 >/dev/null 2>"$T/gw500.err" &
GW500_PID=$!
on_exit "kill $GW500_PID 2>/dev/null"
for _ in $(seq 1 50); do [ -s "$T/gw.port" ] && [ -s "$T/gw500.port" ] && break; sleep 0.1; done
printf 'tok-rahasia-93ad\n' >"$D/gateway.token"
office_conf confirmation.phone_sender='"http"' \
	confirmation.http_url="\"http://127.0.0.1:$(cat "$T/gw.port")/v1/messages\"" \
	confirmation.http_token_file='"gateway.token"'
office_start "HTTP gateway sender"
hold "$(pyu person 580 M "$D1" 15:00)"
expect_status "a booking with the gateway sender is 202" 202
H8=$BOOK_HOLD
check "the gateway received one POST" test -s "$T/gw/1.json"
check "... as JSON" grep -q '^application/json' "$T/gw/1.ctype"
check "... with the bearer token from the file" [ "$(cat "$T/gw/1.auth")" = "Bearer tok-rahasia-93ad" ]
check "... to the applicant's phone" [ "$(pyu get "$T/gw/1.json" to)" = "$(pyu person 580 M "$D1" 15:00 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["phone"])')" ]
check "... referring to the hold" [ "$(pyu get "$T/gw/1.json" reference)" = "$H8-1" ]
C8=$(pyu get "$T/gw/1.json" text | sed -n 's/.*booking paspor Anda \([0-9]*\),.*/\1/p' | head -1); CODES+=("$C8")
check "... holding the code" bash -c "[[ '$C8' =~ ^[0-9]{6}\$ ]]"
confirm_hold "$H8" "$C8"
expect_status "the code from the gateway confirms" 201
check "the gateway token is not in the server's log" bash -c "! grep -q 'tok-rahasia' '$T/serve.err' '$T/serve.out'"
office_stop "HTTP gateway sender"
office_conf confirmation.http_url="\"http://127.0.0.1:$(cat "$T/gw500.port")/v1/messages\""
office_start "gateway answering 500"
hold "$(pyu person 581 F "$D1" 16:00)"
expect_problem "a gateway answering 500 gives 503" 503 unavailable
check "the gateway was asked" test -s "$T/gw500/1.json"
check "no place is held (200 free at 16:00)" [ "$(free 16:00)" = 200 ]
office_stop "gateway answering 500"
office_conf confirmation.http_url="\"http://127.0.0.1:$(closed_port)/v1/messages\""
office_start "gateway down"
hold "$(pyu person 582 M "$D1" 16:00)"
expect_problem "a gateway that is down gives 503" 503 unavailable
check "no place is held (200 free at 16:00)" [ "$(free 16:00)" = 200 ]
check "no hold of a failed send is pending" [ "$(db "SELECT count(*) FROM booking_holds WHERE state = 'unsent'")" = 3 ]
office_stop "gateway down"

# ---- the office's daily cap, then no confirmation section ----------------------------
office_conf confirmation.phone_sender='"spool"' confirmation.codes_per_day=1
office_start "codes_per_day 1"
hold "$(pyu person 590 F "$D1" 17:00)"
expect_problem "past the office's codes per day, a booking is 429" 429 rate-limited
office_stop "codes_per_day 1"

for k in booking.held booking.code_failed booking.code_resent booking.hold_ended booking.confirmed; do
	check "the log holds $k events" [ "$(db "SELECT count(*) FROM events WHERE kind = '$k'")" -gt 0 ]
done
codes_logged() {
	local c
	for c in "${CODES[@]}"; do
		[ -n "$c" ] || continue
		if grep -q "$c" "$T/serve.err"; then echo "code $c found in the log"; return 1; fi
	done
	return 0
}
check "no confirmation code (${#CODES[@]}) reached the server's log" codes_logged
rebuild_same "holds and sends"

"$PY" - "$D/paspor.conf" <<'EOF'
import re, sys
p = sys.argv[1]
s = open(p).read()
s, n = re.subn(r"(?ms)^confirmation = \{.*?^\};\n", "", s)
assert n == 1
open(p, "w").write(s)
EOF
expect_exit 0 "a configuration without the confirmation section checks OK" "$PASPOR" office config --data "$D" --check
office_start "no confirmation section"
hold "$(pyu person 591 M "$D1" 17:00)"
expect_problem "without a confirmation section, online booking answers 503" 503 unavailable
login reg
api POST /api/v1/walk-ins "$(pyu person 591 M - -)" --as reg
expect_status "walk-ins need no code" 201
office_stop "no confirmation section"
check "no sanitizer report in the server's output" no_sanitizer_report "$T/serve.err"
