#!/usr/bin/env bash
# The daily close over HTTP (issue 6, docs/DAYCLOSE.md): "a daily close whose physical
# booklet count differs from the records shows the difference and which booklets are
# unaccounted for". Stock: X0000001..X0000020 received through the CLI (blank, not yet
# confirmed). A report whose count leaves out X0000011 and X0000012 lists exactly those
# two as missing and an unknown counted number as unexpected; a matching count is no
# mismatch; closing with the mismatch and no note is refused (422 note-required), with a
# note it is recorded (201; day.closed in clear and day.close_noted sealed in the log,
# readable back over GET), a second close is 409, a day not begun 422; malformed bodies
# are 4xx (never 5xx); a registrar is 403 on every route; rebuild reproduces the rows.
SUITE=office_dayclose; . "$(dirname "$0")/../lib.sh"; . "$(dirname "$0")/../lib_office.sh"

office_setup
office_add_officers "cus reg aud"
expect_exit 0 "20 blank booklets received through the CLI" \
	"$PASPOR" office booklets add --data "$D" --first X0000001 --count 20 --kek-file "$K"
office_start "dayclose"
login_all "cus reg aud"

TODAY=$(local_date)
TOMORROW=$(local_date 1)
YESTERDAY=$(local_date -1)
WRONG='{"counted":["X0000001-X0000010","X0000013-X0000020","Z0000009"]}'
RIGHT='{"counted":["X0000001","X0000002-X0000020"]}'

# ---- the report: the difference and which booklets are unaccounted for
api POST "/api/v1/days/$TODAY/report" "$WRONG" --as cus
expect_status "report with a wrong count answers 200" 200
check "the report shows the mismatch" [ "$(jget mismatch)" = true ]
check "the report lists X0000011 and X0000012 as missing, nothing else" \
	[ "$(jget count missing)" = '["X0000011","X0000012"]' ]
check "the report counts 2 missing" [ "$(jget count missing_count)" = 2 ]
check "the report lists the unknown Z0000009 as unexpected" \
	[ "$(jget count unexpected)" = '[{"number":"Z0000009","recorded":"unknown"}]' ]
check "the report has the recorded blank stock (20)" [ "$(jget count recorded_blank)" = 20 ]
check "the report has today's booklets received (20)" [ "$(jget booklets day received)" = 20 ]
check "the report has the last checkpoint (size and root)" \
	"$PY" -c "import json,sys; c=json.load(open('$T/body'))['checkpoint']; assert c['size']>0 and len(c['root'])==44, c"
api POST "/api/v1/days/$TODAY/report" "$RIGHT" --as cus
expect_status "report with the right count answers 200" 200
check "the right count is no mismatch" [ "$(jget mismatch)" = false ]
check "a report records nothing" [ "$(sqlite3 "$D/paspor.db" "SELECT count(*) FROM events WHERE kind LIKE 'day.%'")" = 0 ]

# ---- closing
api POST "/api/v1/days/$TODAY/close" "$WRONG" --as cus
expect_problem "a close with a mismatch and no note is refused (422)" 422 invalid-field
check "the refusal says a note is needed and how many are missing" \
	bash -c "grep -q 'note-required' '$T/body' && grep -q '2 missing' '$T/body'"
api POST "/api/v1/days/$TOMORROW/close" "$RIGHT" --as cus
expect_problem "closing a day not begun is refused (422)" 422 invalid-field
api POST "/api/v1/days/$TOMORROW/report" "$RIGHT" --as cus
expect_problem "a report of a day not begun is refused (422)" 422 invalid-field
NOTE='{"counted":["X0000001-X0000010","X0000013-X0000020","Z0000009"],"note":"X0000011-12 at the printer; Z0000009 is a sample"}'
api POST "/api/v1/days/$TODAY/close" "$NOTE" --as cus
expect_status "a close with a mismatch and a note is recorded (201)" 201
check "the close answer shows the mismatch" [ "$(jget mismatch)" = true ]
check "the close answer lists the missing booklets" [ "$(jget report count missing)" = '["X0000011","X0000012"]' ]
check "the close answer names the officer" [ "$(jget closed_by)" = officer:cus ]
SEQ=$(jget seq)
check "day.closed is in the log under subject day:$TODAY with the answer's seq" \
	[ "$(sqlite3 "$D/paspor.db" "SELECT seq FROM events WHERE kind = 'day.closed' AND subject = 'day:$TODAY'")" = "$SEQ" ]
check "day.closed is stored in clear (the missing numbers readable without the key)" \
	bash -c "sqlite3 '$D/paspor.db' \"SELECT hex(data) FROM events WHERE kind = 'day.closed'\" | grep -q $(printf X0000012 | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
check "the note is a separate sealed event (not readable in the log)" \
	bash -c "[ \"\$(sqlite3 '$D/paspor.db' \"SELECT count(*) FROM events WHERE kind = 'day.close_noted' AND subject = 'day:$TODAY'\")\" = 1 ] &&
		! sqlite3 '$D/paspor.db' \"SELECT hex(data) FROM events WHERE kind = 'day.close_noted'\" | grep -q $(printf printer | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
api POST "/api/v1/days/$TODAY/close" "$RIGHT" --as cus
expect_problem "a second close of the day is refused (409)" 409 conflict
api GET "/api/v1/days/$TODAY" --as cus
expect_status "the stored close is readable" 200
check "the stored close has the note" [ "$(jget note)" = 'X0000011-12 at the printer; Z0000009 is a sample' ]
check "the stored close has the mismatch and the missing booklets" \
	[ "$(jget mismatch) $(jget report count missing)" = 'true ["X0000011","X0000012"]' ]
api GET "/api/v1/days/$TODAY" --as aud
expect_status "an auditor reads the closed day (office.daily_close_view)" 200
api POST "/api/v1/days/$TODAY/report" "$RIGHT" --as aud
expect_problem "... but may not make a report (403)" 403
api GET "/api/v1/days/$YESTERDAY" --as cus
expect_problem "a day not closed is 404" 404 not-found
api POST "/api/v1/days/$YESTERDAY/close" "$RIGHT" --as cus
expect_status "yesterday (matching count) closes without a note" 201
check "yesterday's close is no mismatch" [ "$(jget mismatch)" = false ]

# ---- bad input: 4xx, never 5xx
while IFS='|' read -r name body want; do
	api POST "/api/v1/days/$TODAY/report" "$body" --as cus
	expect_problem "bad body ($name) is $want" "$want"
done <<'EOF'
not JSON|{"counted": [|400
no counted|{}|422
counted not an array|{"counted":"X0000001"}|422
a malformed number|{"counted":["X000001"]}|422
a lower-case letter|{"counted":["x0000001"]}|422
a range backwards|{"counted":["X0000005-X0000001"]}|422
a range across letters|{"counted":["X0000001-Y0000005"]}|422
a number counted twice|{"counted":["X0000001-X0000005","X0000003"]}|422
a range too large|{"counted":["X0000001-X9999999"]}|422
a number not a string|{"counted":[12]}|422
an unknown key|{"counted":[],"extra":1}|422
a note not a string|{"counted":[],"note":5}|422
a body not an object|[1,2]|400
EOF
for p in 2030-02-30 today 20300101 2030-1-01; do
	api POST "/api/v1/days/$p/report" "$RIGHT" --as cus
	expect_problem "a malformed day in the path ($p) is 422" 422 invalid-field
done
api POST "/api/v1/days/$YESTERDAY/close" "$RIGHT" --as cus --ct text/plain
expect_problem "a non-JSON media type is 415" 415
api POST "/api/v1/days/$(local_date -2)/close" "{\"counted\":[],\"note\":\"$(head -c 1200 /dev/zero | tr '\0' n)\"}" --as cus
expect_problem "a note over 1000 characters is 422" 422 invalid-field

# ---- roles: a registrar may not report, close or read
api POST "/api/v1/days/$TODAY/report" "$RIGHT" --as reg
expect_problem "a registrar may not ask for the report (403)" 403 forbidden,auth-forbidden
api POST "/api/v1/days/$YESTERDAY/close" "$RIGHT" --as reg
expect_problem "a registrar may not close a day (403)" 403 forbidden,auth-forbidden
api GET "/api/v1/days/$TODAY" --as reg
expect_problem "a registrar may not read a close (403)" 403 forbidden,auth-forbidden
api GET "/api/v1/days/$TODAY"
expect_problem "no login is 401" 401 unauthorized,auth-denied

office_stop
rebuild_same "dayclose"
check "no sanitizer report from the server" no_sanitizer_report "$T/serve.err"
