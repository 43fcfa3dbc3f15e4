#!/usr/bin/env bash
# Who may call what (issue 4, docs/ROLES.md, docs/API.md, docs/AUTH.md), against the real
# server: every officer endpoint x every role (one officer per role, plus no login) is
# allowed or 403 exactly as the role x action table in docs/ROLES.md says — the table is
# parsed from the document, not copied here. "Allowed" means any answer but 401/403 (the
# requests carry no body and a well-formed id that does not exist, so an allowed call is
# typically a 400 or 404 from the handler). No login: 401 on every officer route.
# Officer routes do not exist on the public listener (404, any method); the public
# booking routes work on both listeners without a login. Separation of duties: an
# adjudicator who enrolled or interviewed an application may not approve or reject it
# (403), one who only checked it in may. CSRF: a state-changing call without, or with a
# wrong, X-CSRF-Token is 403; logout ends the session; TOTP is required for adjudicators.
#
# Route -> action (docs/API.md names roles, docs/ROLES.md actions; where they differ
# ROLES.md wins, as the issue says): no-show is application.check_in (the table has no
# no-show action); enrolment completion is application.enrol_photo (API.md also names
# interviewers for photo, fingerprints and enrolment, ROLES.md only registrars); payment
# confirmation is payment.confirm (adjudicators; API.md says registrar); decision is
# application.approve (= application.reject's roles).
SUITE=office_api_roles; . "$(dirname "$0")/../lib.sh"; . "$(dirname "$0")/../lib_office.sh"

office_setup
office_add_officers
office_start "roles"
login_all

# abbreviation in docs/ROLES.md -> the officer holding only that role
declare -A ABBR_OFFICER=([REG]=reg [INT]=int [ADJ]=adj [PRN]=prn [ISS]=iss [CUS]=cus [ADM]=adm [AUD]=aud [CSH]=csh)
declare -A ABBR_BIT=([REG]=0 [INT]=1 [ADJ]=2 [PRN]=3 [ISS]=4 [CUS]=5 [ADM]=6 [AUD]=7 [CSH]=8)
declare -A ACTION_ROLES
while read -r action roles; do ACTION_ROLES[$action]=$roles; done < <(pyu roles-table "$PASPOR_ROOT/docs/ROLES.md")
check "docs/ROLES.md table parsed (27 actions)" [ "${#ACTION_ROLES[@]}" = 27 ]

X=A0000000000000000000000000   # a well-formed application id no application has
# METHOD PATH ACTION
ROUTES="POST /api/v1/walk-ins booking.walk_in
GET /api/v1/applications application.search
POST /api/v1/applications/search application.search
GET /api/v1/applications/$X application.view
GET /api/v1/applications/$X/history application.history
POST /api/v1/applications/$X/check-in application.check_in
POST /api/v1/applications/$X/no-show application.check_in
POST /api/v1/applications/$X/documents application.documents_verify
PUT /api/v1/applications/$X/photo application.enrol_photo
PUT /api/v1/applications/$X/fingerprints/1 application.enrol_fingerprints
POST /api/v1/applications/$X/enrolment application.enrol_photo
POST /api/v1/applications/$X/interview application.interview
POST /api/v1/applications/$X/watchlist-check watchlist.check
POST /api/v1/applications/$X/decision application.approve
POST /api/v1/applications/$X/payment payment.record
POST /api/v1/applications/$X/payment/confirm payment.confirm
POST /api/v1/watchlist watchlist.add
GET /api/v1/officers users.manage
POST /api/v1/officers users.manage
GET /api/v1/officers/ghost users.manage
POST /api/v1/officers/ghost/disable users.manage
POST /api/v1/officers/ghost/enable users.manage
POST /api/v1/officers/ghost/password users.manage
POST /api/v1/officers/ghost/totp users.manage
PUT /api/v1/officers/ghost/roles users.manage
DELETE /api/v1/officers/ghost/sessions users.manage"

# ---- the route table agrees with docs/ROLES.md (role masks of `office routes`)
"$PASPOR" office routes >"$T/routes" 2>&1
while read -r m p action; do
	pat=$(printf '%s' "$p" | sed "s|$X|{[a-z_]*}|; s|/fingerprints/1|/fingerprints/{[a-z_]*}|; s|/officers/ghost|/officers/{[a-z_]*}|")
	mask=0
	for a in ${ACTION_ROLES[$action]}; do mask=$((mask | 1 << ${ABBR_BIT[$a]})); done
	line=$(grep -E "^$m $pat officer " "$T/routes" | head -1)
	got=$(printf '%s' "$line" | awk '{print $4}')
	check "route table: $m $pat has the roles of $action ($(printf '0x%x' $mask))" \
		[ "${line:+listed} $((got))" = "listed $mask" ]
done <<<"$ROUTES"

# ---- every endpoint x every role
while read -r m p action; do
	allowed=" ${ACTION_ROLES[$action]} "
	for a in REG INT ADJ PRN ISS CUS ADM AUD CSH; do
		u=${ABBR_OFFICER[$a]}
		api "$m" "$p" --as "$u"
		if [[ "$allowed" == *" $a "* ]]; then
			if [ "$CODE" != 401 ] && [ "$CODE" != 403 ] && [ "${CODE:0:1}" != 5 ] && [ "$CODE" != 000 ]; then
				ok "$m $p: ${OFFICER_ROLES[$u]} allowed ($action; $CODE)"
			else
				fail "$m $p: ${OFFICER_ROLES[$u]} allowed ($action)" "status $CODE; body: $(short_body)"
			fi
		else
			expect_problem "$m $p: ${OFFICER_ROLES[$u]} is 403 ($action)" 403 forbidden,auth-forbidden
		fi
	done
	api "$m" "$p"
	expect_problem "$m $p: no login is 401" 401 unauthorized,auth-denied
	api "$m" "$p" --pub
	expect_problem "$m $p: does not exist on the public listener (404)" 404 not-found
	api "$m" "$p" --pub --as reg
	expect_problem "$m $p: not on the public listener even with a session (404)" 404 not-found
done <<<"$ROUTES"

# session routes: any officer; no login 401; not on the public listener
for u in $OFFICERS; do
	api GET /api/v1/session --as "$u"
	check "GET /api/v1/session as $u: 200" [ "$CODE" = 200 ]
	check "GET /api/v1/session as $u: names $u" grep -q "\"$u\"" "$T/body"
done
api GET /api/v1/session
expect_problem "GET /api/v1/session without login is 401" 401 unauthorized,auth-denied
for m in GET POST DELETE; do
	api $m /api/v1/session --pub
	expect_problem "$m /api/v1/session does not exist on the public listener" 404 not-found
done

# ---- public routes: both listeners, no login (the answer may be a 4xx for the body)
D1=$(local_date 1)
for lst in --pub ""; do
	name=public; [ -z "$lst" ] && name=officers
	api GET "/api/v1/bookings/slots?from=$D1&days=2" $lst
	expect_status "slots served without login on the $name listener" 200
	for p in /api/v1/bookings /api/v1/bookings/status /api/v1/bookings/cancel /api/v1/bookings/reschedule \
		/api/v1/bookings/confirm /api/v1/bookings/resend; do
		api POST "$p" '{}' $lst
		check "POST $p reached without login on the $name listener ($CODE)" \
			bash -c "[ '$CODE' != 401 ] && [ '$CODE' != 403 ] && [ '$CODE' != 404 ] && [ '${CODE:0:1}' = 4 ]"
	done
done

# ---- TOTP and sessions
api POST /api/v1/session "{\"username\":\"adj\",\"password\":\"$OFFICER_PW\"}"
expect_problem "an adjudicator without a TOTP code is refused (401)" 401
cp "$T/jar.adj" "$T/jar.adj.keep"
code=$(oathtool --totp -b "${TOTP_SECRET[adj]}" --now "@$((${TOTP_LAST[adj]} * 30))")
api POST /api/v1/session "{\"username\":\"adj\",\"password\":\"$OFFICER_PW\",\"totp\":\"$code\"}"
expect_problem "a TOTP code used once is refused the second time (401)" 401
api POST /api/v1/session "{\"username\":\"reg\",\"password\":\"wrong password 123\"}"
expect_problem "a wrong password is 401" 401
sleep 1.2   # three failures from this address: the next attempt waits 1 s (docs/AUTH.md)
login reg2
grep -i '^set-cookie:' "$T/hdr" >"$T/cookie"
check "the session cookie is HttpOnly and SameSite=Strict" \
	bash -c "grep -qi 'httponly' '$T/cookie' && grep -qi 'samesite=strict' '$T/cookie'"

# ---- CSRF
api POST /api/v1/applications/$X/check-in --as reg --no-csrf
expect_problem "a state-changing call without X-CSRF-Token is 403" 403 csrf
api POST /api/v1/applications/$X/check-in --as reg --csrf "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
expect_problem "a wrong X-CSRF-Token is 403" 403 csrf
api POST /api/v1/applications/$X/check-in --as reg --csrf "$(cat "$T/csrf.reg2")"
expect_problem "another session's CSRF token is 403" 403 csrf
api PUT /api/v1/applications/$X/photo --as reg --no-csrf --file "$PASPOR_ROOT/tests/data/face-synthetic.jpg" --ct image/jpeg
expect_problem "a PUT without X-CSRF-Token is 403" 403 csrf
api DELETE /api/v1/session --as reg --no-csrf
expect_problem "logout without X-CSRF-Token is 403" 403 csrf
api GET /api/v1/applications --as reg --no-csrf
expect_status "a GET needs no CSRF token" 200

# ---- separation of duties
JPEG=$PASPOR_ROOT/tests/data/face-synthetic.jpg
DOCS='{"identity_card":{"status":"checked","note":"ok"},"family_card":{"status":"checked","note":"ok"},"civil_record":{"status":"checked","note":"ok"},"old_passport":{"status":"missing","note":"new"}}'
# prepare N DESKOFFICER ENROLOFFICER INTERVIEWER: an application taken to a clear
# watchlist check; sets APP
prepare() {
	local n=$1 desk=$2 enrol=$3 inter=$4 p
	APP=
	book "$n" M "$D1" 10:00
	[ "$CODE" = 201 ] || { fail "SoD applicant $n booked" "status $CODE: $(short_body)"; return 1; }
	APP=$(app_id_of "$BOOK_CODE" reg) || { fail "SoD applicant $n found"; return 1; }
	p=/api/v1/applications/$APP
	api POST $p/check-in --as "$desk"; local c1=$CODE
	api POST $p/documents "$DOCS" --as "$desk"; local c2=$CODE
	api PUT $p/photo --file "$JPEG" --ct image/jpeg --as "$enrol"; local c3=$CODE
	api POST $p/enrolment "$(pyu enrol-body "$n")" --as "$enrol"; local c4=$CODE
	api POST $p/interview '{"notes":"ok"}' --as "$inter"; local c5=$CODE
	api POST $p/watchlist-check '{}' --as adj; local c6=$CODE
	check "SoD applicant $n prepared (desk $desk, enrolled by $enrol, interviewed by $inter)" \
		bash -c "for c in $c1 $c2 $c3 $c4 $c5 $c6; do [ \${c:0:1} = 2 ] || exit 1; done"
}
APPROVE='{"decision":"approve","reasons":["dokumen lengkap"]}'
REJECT='{"decision":"reject","reasons":["alasan uji"]}'
if prepare 201 reg supreg int; then
	api POST /api/v1/applications/$APP/decision "$APPROVE" --as supreg
	expect_problem "an adjudicator who enrolled may not approve (403)" 403 separation-of-duties,forbidden
	api POST /api/v1/applications/$APP/decision "$REJECT" --as supreg
	expect_problem "an adjudicator who enrolled may not reject (403)" 403 separation-of-duties,forbidden
	api POST /api/v1/applications/$APP/decision "$APPROVE" --as adj
	expect_status "another adjudicator may approve it" 200 201 204
fi
if prepare 202 reg reg supint; then
	api POST /api/v1/applications/$APP/decision "$APPROVE" --as supint
	expect_problem "an adjudicator who interviewed may not approve (403)" 403 separation-of-duties,forbidden
	api POST /api/v1/applications/$APP/decision "$REJECT" --as supint
	expect_problem "an adjudicator who interviewed may not reject (403)" 403 separation-of-duties,forbidden
fi
if prepare 203 supreg reg int; then
	api POST /api/v1/applications/$APP/decision "$APPROVE" --as supreg
	expect_status "an adjudicator who only checked the applicant in may approve" 200 201 204
fi
check "no decision event by an officer who enrolled or interviewed" [ "$(sqlite3 "$D/paspor.db" \
	"SELECT count(*) FROM events WHERE kind IN ('application.approved','application.rejected')")" = 2 ]

# ---- logout
api DELETE /api/v1/session --as aud
expect_status "logout" 200 204
api GET /api/v1/session --as aud
expect_problem "after logout the cookie no longer works (401)" 401

office_stop
expect_exit 0 "log verify" "$PASPOR" log verify --data "$D"
check "no sanitizer report from the server" no_sanitizer_report "$T/serve.err"
