#!/usr/bin/env bash
# Officers managed while the server runs (issue 13 items 5 and 7; docs/AUTH.md
# "Managing officers while the server runs", "Throttling"): the office admin's
# /api/v1/officers routes take effect at once on live sessions, each change is an event
# (`log verify`, `rebuild` keep the state), refusals are problem+json; and bad passwords
# from rotating addresses do not lock the officer out, and a throttled right password
# answers exactly like a wrong one. Rotating addresses: curl --interface 127.0.0.N
# (all of 127/8 is loopback on Linux). Outside truth: oathtool for TOTP codes, the
# sqlite3 CLI for the events, the CLI `paspor office user list` with the server stopped.
SUITE=office_officers; . "$(dirname "$0")/../lib.sh"; . "$(dirname "$0")/../lib_office.sh"

office_setup
office_add_officers "reg adj adm aud"
office_start "serve"
login_all "adm reg"

# json_body KEY=VALUE...: a JSON object of strings
json_body() { "$PY" -c 'import json,sys; print(json.dumps(dict(a.split("=",1) for a in sys.argv[1:])))' "$@"; }

# login_from ADDR USER PASSWORD [TOTP]: POST /api/v1/session from a source address;
# answer in CODE, $T/body, $T/hdr (no cookie kept)
login_from() {
	local body
	if [ -n "${4:-}" ]; then body=$(json_body username="$2" password="$3" totp="$4")
	else body=$(json_body username="$2" password="$3"); fi
	CODE=$(curl -s -m 30 --interface "$1" -o "$T/body" -D "$T/hdr" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data-binary "$body" "$OFF/api/v1/session")
}

# ---- who may: the office admin only ----
api GET /api/v1/officers --as adm
expect_status "admin lists officers" 200
check "the list holds reg" grep -q '"username":"reg"' "$T/body"
check "the list says each officer's state" grep -q '"state":"active"' "$T/body"
check "the list holds no secret" bash -c "! grep -qiE 'argon2|password|secret' '$T/body'"
api GET /api/v1/officers --as reg
expect_problem "a registrar may not list officers" 403 forbidden
api POST /api/v1/officers '{"username":"nina","roles":["registrar"]}' --as reg
expect_problem "a registrar may not add officers" 403 forbidden

# ---- add ----
api POST /api/v1/officers '{"username":"nina","roles":["registrar"],"name":"Nina Sari"}' --as adm
expect_status "admin adds nina" 201
NINA_PW=$(jget password)
check "the answer carries an initial password of 24 characters" [ "${#NINA_PW}" -eq 24 ]
check "a registrar gets no TOTP secret" bash -c "! grep -q totp_secret '$T/body'"
check "the answer is not cached" bash -c "grep -qi '^cache-control: no-store' '$T/hdr'"
login nina "$NINA_PW"
expect_status "nina logs in with the initial password" 200
api POST /api/v1/officers '{"username":"nina","roles":["registrar"]}' --as adm
expect_problem "a second nina is refused" 409 duplicate
api POST /api/v1/officers '{"username":"budi","roles":["root"]}' --as adm
expect_problem "an unknown role is refused" 422 invalid-field
api POST /api/v1/officers '{"username":"Budi S","roles":["registrar"]}' --as adm
expect_problem "a malformed username is refused" 422 invalid-field
api POST /api/v1/officers '{"username":"budi","roles":["registrar"],"password":"x"}' --as adm
expect_problem "a password field is refused (the server makes it)" 422 invalid-field
api POST /api/v1/officers '{"username":"dewi","roles":["adjudicator"]}' --as adm
expect_status "admin adds an adjudicator" 201
DEWI_PW=$(jget password)
TOTP_SECRET[dewi]=$(jget totp_secret)
check "an adjudicator gets a base32 TOTP secret" bash -c "[[ '${TOTP_SECRET[dewi]}' =~ ^[A-Z2-7]{32}$ ]]"
uri=$(jget totp_uri)
check "and its otpauth URI" [ "$uri" = "otpauth://totp/Paspor:dewi?secret=${TOTP_SECRET[dewi]}&issuer=Paspor&algorithm=SHA1&digits=6&period=30" ]
login dewi "$DEWI_PW"
expect_status "dewi logs in with the password and an oathtool code" 200

# ---- role change: effective in the live session ----
api GET /api/v1/booklets/stock --as reg
expect_problem "a registrar may not read the booklet stock" 403 forbidden
api PUT /api/v1/officers/reg/roles '{"roles":["auditor"]}' --as adm
expect_status "admin makes reg an auditor" 200
check "one live session updated" [ "$(jget sessions_updated)" = 1 ]
api GET /api/v1/booklets/stock --as reg
expect_status "reg's live session reads the stock at once (auditor)" 200
api POST /api/v1/applications/search '{"name":"Dewi Lestari"}' --as reg
expect_status "and keeps what an auditor may (search)" 200
api PUT /api/v1/officers/nina/roles '{"roles":["adjudicator"]}' --as adm
expect_problem "a TOTP role for an officer without a secret is refused" 409 conflict
api PUT /api/v1/officers/nina/roles '{"roles":[]}' --as adm
expect_problem "an empty role list is refused" 422 invalid-field

# ---- disable: the live session stops at once, logins are refused ----
api GET /api/v1/session --as nina
expect_status "nina's session works" 200
api POST /api/v1/officers/nina/disable '{"reason":"left the office"}' --as adm
expect_status "admin disables nina" 200
check "nina's session was revoked" [ "$(jget sessions_revoked)" = 1 ]
api GET /api/v1/session --as nina
expect_problem "nina's live session gets 401 at once" 401 unauthorized
login nina "$NINA_PW"
expect_problem "nina cannot log in" 401 unauthorized
api POST /api/v1/officers/nina/disable '{}' --as adm
expect_problem "disabling twice is refused" 409 invalid-state
api POST /api/v1/officers/nina/enable '{}' --as adm
expect_status "admin enables nina again" 200
login nina "$NINA_PW"
expect_status "nina logs in again" 200
api POST /api/v1/officers/nina/enable '{}' --as adm
expect_problem "enabling an active officer is refused" 409 invalid-state

# ---- revoke sessions ----
api DELETE /api/v1/officers/nina/sessions --as adm
expect_status "admin revokes nina's sessions" 200
check "one session revoked" [ "$(jget sessions_revoked)" = 1 ]
api GET /api/v1/session --as nina
expect_problem "the revoked session gets 401" 401 unauthorized

# ---- reset password ----
login nina "$NINA_PW"
api POST /api/v1/officers/nina/password '{}' --as adm
expect_status "admin resets nina's password" 200
NINA_PW2=$(jget password)
check "a new password" [ -n "$NINA_PW2" ]
check "the reset revoked the live session" [ "$(jget sessions_revoked)" = 1 ]
login nina "$NINA_PW"
expect_problem "the old password is refused" 401 unauthorized
login nina "$NINA_PW2"
expect_status "the new password is accepted" 200

# ---- reset TOTP ----
OLD_SECRET=${TOTP_SECRET[dewi]}
api POST /api/v1/officers/dewi/totp '{}' --as adm
expect_status "admin resets dewi's TOTP" 200
TOTP_SECRET[dewi]=$(jget totp_secret)
check "a new base32 secret" bash -c "[[ '${TOTP_SECRET[dewi]}' =~ ^[A-Z2-7]{32}$ ]]"
check "not the old one" [ "${TOTP_SECRET[dewi]}" != "$OLD_SECRET" ]
api GET /api/v1/session --as dewi
expect_problem "dewi's session was revoked" 401 unauthorized
login dewi "$DEWI_PW"
expect_status "dewi logs in with a code of the new secret" 200

# ---- the admin's own account; unknown officers ----
api POST /api/v1/officers/adm/disable '{}' --as adm
expect_problem "an admin cannot disable themselves" 403 separation-of-duties
api PUT /api/v1/officers/adm/roles '{"roles":["office_admin","adjudicator"]}' --as adm
expect_problem "an admin cannot change their own roles" 403 separation-of-duties
api POST /api/v1/officers/adm/password '{}' --as adm
expect_problem "an admin cannot reset their own password" 403 separation-of-duties
api POST /api/v1/officers/ghost/disable '{}' --as adm
expect_problem "disabling an unknown officer is 404" 404 not-found
api DELETE /api/v1/officers/ghost/sessions --as adm
expect_problem "revoking an unknown officer's sessions is 404" 404 not-found
api GET /api/v1/officers/Ghost --as adm
expect_problem "a malformed username is 404" 404 not-found
api POST /api/v1/officers/nina/disable '{"why":"x"}' --as adm
expect_problem "an unknown field is refused" 422 invalid-field
api POST /api/v1/officers/nina/disable '{}' --as adm --no-csrf
expect_problem "a write without the CSRF token is refused" 403 csrf
api GET /api/v1/officers/nina --as adm
expect_status "admin reads one officer" 200
check "nina is active" [ "$(jget state)" = active ]
check "nina is a registrar" [ "$(jget roles 0)" = registrar ]

# ---- item 7: rotating addresses do not lock an officer out ----
login_from 127.0.0.1 aud "$OFFICER_PW"
expect_status "aud logs in at their desk (127.0.0.1)" 200
for i in $(seq 2 13); do login_from "127.0.0.$i" aud "wrong password $i"; echo "$CODE" >>"$T/attack"; done
check "10 bad passwords from 10 addresses are 401, then 429" [ "$(sort "$T/attack" | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')" = "401x10 429x2 " ]
login_from 127.0.0.1 aud "$OFFICER_PW"
expect_status "aud still logs in at once at their desk" 200
login_from 127.0.0.50 aud "$OFFICER_PW"
expect_problem "from a fresh address the right password is throttled" 429 too-many-requests
RIGHT_RA=$(hdr Retry-After)
login_from 127.0.0.50 aud "wrong password 50"
expect_problem "and so is a wrong one" 429 too-many-requests
# the same problem but for its "instance" (this request's id)
same_problem() { "$PY" -c 'import json,sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
a.pop("instance", None); b.pop("instance", None)
sys.exit(0 if a == b else 1)' "$@"; }
# at one moment, a right and a wrong password get the same status, problem and
# Retry-After (both counting down by the second: the two are sent together, and tried
# again up to 3 times when a second boundary falls between them)
same_answer() {
	local right wrong i pr pw
	right=$(json_body username=aud password="$OFFICER_PW")
	wrong=$(json_body username=aud password="wrong password 51")
	for i in 1 2 3; do
		curl -s -m 30 --interface 127.0.0.51 -o "$T/r.body" -D "$T/r.hdr" -w '%{http_code}' \
			-H 'Content-Type: application/json' --data-binary "$right" "$OFF/api/v1/session" >"$T/r.code" &
		pr=$!
		curl -s -m 30 --interface 127.0.0.51 -o "$T/w.body" -D "$T/w.hdr" -w '%{http_code}' \
			-H 'Content-Type: application/json' --data-binary "$wrong" "$OFF/api/v1/session" >"$T/w.code" &
		pw=$!
		wait $pr $pw
		echo "try $i: $(cat "$T/r.code") $(cat "$T/w.code") $(grep -i '^retry-after' "$T/r.hdr" "$T/w.hdr" | tr -d '\r' | tr '\n' ' ')"
		[ "$(cat "$T/r.code")" = 429 ] || return 1
		[ "$(cat "$T/w.code")" = 429 ] || return 1
		if same_problem "$T/r.body" "$T/w.body" &&
			[ "$(grep -i '^retry-after' "$T/r.hdr")" = "$(grep -i '^retry-after' "$T/w.hdr")" ]; then
			return 0
		fi
	done
	return 1
}
check "right and wrong get the same 429, problem (type, title, status, detail) and Retry-After" same_answer
check "Retry-After is at least 1 s" [ "$RIGHT_RA" -ge 1 ]
check "Retry-After is at most 30 s (one refill of the bucket)" [ "$RIGHT_RA" -le 30 ]
sleep "$RIGHT_RA"
login_from 127.0.0.50 aud "$OFFICER_PW"
expect_status "after Retry-After the fresh address logs in" 200
check "no lockout event" [ "$(sqlite3 "$D/paspor.db" "SELECT count(*) FROM events WHERE kind = 'officer.locked_out'")" = 0 ]

# ---- events, secrets ----
office_stop "server"
db=$D/paspor.db
kinds=$(sqlite3 "$db" "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM events WHERE kind LIKE 'officer.%' AND kind != 'officer.login' AND seq > (SELECT max(seq) FROM events WHERE kind = 'officer.added' AND subject = 'officer:aud') ORDER BY seq)")
check "each change is an event, in order" [ "$kinds" = "officer.added officer.added officer.roles_changed officer.disabled officer.enabled officer.sessions_revoked officer.password_changed officer.totp_reset" ]
check "the admin is the actor of each" [ "$(sqlite3 "$db" "SELECT count(*) FROM events WHERE kind IN ('officer.roles_changed','officer.disabled','officer.enabled','officer.sessions_revoked','officer.totp_reset') AND instr(data, CAST(char(length('officer:adm')) || 'officer:adm' AS BLOB)) > 0")" = 5 ]
for f in "$T/serve.out" "$T/serve.err" "$db" "$db-wal"; do
	[ -e "$f" ] || continue
	check "no password or TOTP secret in $(basename "$f")" bash -c "! grep -qaF -e '$NINA_PW' -e '$NINA_PW2' -e '$DEWI_PW' -e '${TOTP_SECRET[dewi]}' '$f'"
done
expect_exit 0 "log verify" "$PASPOR" log verify --data "$D"
digest() { sqlite3 "$db" "SELECT * FROM officers ORDER BY 1" | sha256sum; }
before=$(digest)
expect_exit 0 "rebuild" "$PASPOR" rebuild --data "$D" --kek-file "$K"
check "rebuild reproduces the officers table" [ "$(digest)" = "$before" ]
expect_exit 0 "the CLI lists officers with the server stopped" "$PASPOR" office user list --data "$D"
check "reg is an auditor there" grep -qP '^reg\tauditor\tactive' "$T/.stdout"
check "nina is active there" grep -qP '^nina\tregistrar\tactive' "$T/.stdout"
expect_exit 0 "the CLI disables nina with the server stopped" "$PASPOR" office user disable --data "$D" --username nina --kek-file "$K"
office_start "restart"
login nina "$NINA_PW2"
expect_problem "the CLI's disable holds after a restart" 401 unauthorized
login_all "reg"
api GET /api/v1/booklets/stock --as reg
expect_status "reg's auditor role holds after a restart" 200
office_stop "server"
