# Shared helpers for the office API integration tests (sourced after tests/lib.sh).
#
#   SUITE=office_api_flow; . "$(dirname "$0")/../lib.sh"; . "$(dirname "$0")/../lib_office.sh"
#   office_setup                       # $D data dir, $K KEK, a private copy of the binary
#   office_conf timezone=Etc/UTC ...   # rewrite paspor.conf settings (tests/office_api_util.py conf)
#   office_add_officers                # one officer per role (+ TOTP secrets), see OFFICERS
#   office_start NAME [env...]         # starts `office serve` on free ports: $OFF, $PUB, $PID
#   login reg                          # session cookie jar + CSRF token for officer reg
#   api POST /api/v1/bookings "$body" --pub     # $CODE, $T/body, $T/hdr
#   api POST /api/v1/applications/$id/check-in --as reg
#   expect_status NAME 201             # one ok/FAIL line
#   expect_problem NAME 409 [SLUG]     # one ok/FAIL line: problem+json, that status (and type)
#   office_stop                        # SIGTERM, waits, checks exit 0
#
# Only processes started here are stopped, by their PID.

U="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/office_api_util.py"
# Debian's python3 (scripts/deps.sh) when there: a version manager's shim costs ~100 ms a call
PY=${PYTHON3:-$(command -v /usr/bin/python3 || command -v python3)}
pyu() { "$PY" "$U" "$@"; }

# officer name → roles; adjudicators and office admins get a TOTP secret (docs/AUTH.md)
declare -A OFFICER_ROLES=(
	[reg]=registrar [reg2]=registrar [int]=interviewer [adj]=adjudicator
	[prn]=printer_operator [iss]=issuing_officer [cus]=booklet_custodian [cus2]=booklet_custodian
	[adm]=office_admin [aud]=auditor [csh]=cashier
	[supint]=adjudicator,interviewer [supreg]=adjudicator,registrar
)
OFFICERS="reg reg2 int adj prn iss cus cus2 adm aud supint supreg csh"
OFFICER_PW='kata sandi yang panjang 1'
declare -A TOTP_SECRET=()
declare -A TOTP_LAST=()

office_setup() {
	# a private copy: a rebuild of the shared binary mid-run cannot break the restarts
	cp "$PASPOR" "$T/paspor" && PASPOR=$T/paspor
	K=$T/kek
	D=$T/d
	"$PASPOR" office kek --out "$K" >/dev/null
	expect_exit 0 "office init" "$PASPOR" office init --data "$D" --origin api.test --kek-file "$K"
	# every day open, hourly slots round the clock, limits high (the tests that need
	# them low set them again)
	local slots="(" h
	for h in $(seq 0 23); do
		slots+=$(printf '{ start = "%02d:00"; end = "%02d:00"; quota = 200; }' "$h" $((h + 1)))
		[ "$h" -lt 23 ] && slots+=", "
	done
	slots+=")"
	office_conf 'working_days=["mon","tue","wed","thu","fri","sat","sun"]' \
		'holidays=["2030-01-01"]' "slots=$slots" \
		ratelimit.booking_per_ip_per_minute=100000 ratelimit.booking_per_nik_per_day=1000 \
		ratelimit.status_per_ip_per_minute=100000
	PID=
	on_exit '[ -n "$PID" ] && kill -KILL $PID 2>/dev/null'
}

office_conf() {
	pyu conf "$D/paspor.conf" "$@" || fail "paspor.conf rewritten ($*)"
	"$PASPOR" office config --data "$D" --check >"$T/.conf" 2>&1 ||
		fail "configuration OK after setting $*" "$(tr '\n' ' ' <"$T/.conf")"
}

# office_add_officers [NAMES]: adds officers (default: all of OFFICERS) with the CLI
office_add_officers() {
	local u out secret
	for u in ${1:-$OFFICERS}; do
		out=$(printf '%s\n' "$OFFICER_PW" | "$PASPOR" office user add --data "$D" --username "$u" \
			--role "${OFFICER_ROLES[$u]}" --kek-file "$K" 2>&1) || {
			fail "officer $u added" "$out"; continue; }
		secret=$(printf '%s\n' "$out" | sed -n 's/^TOTP secret (shown once; enrol it now): //p')
		[ -n "$secret" ] && TOTP_SECRET[$u]=$secret
	done
	ok "officers added: ${1:-$OFFICERS}"
}

# office_start NAME [VAR=VALUE...]: starts the server (both listeners on free ports)
office_start() {
	local name=$1 i; shift
	: >"$T/serve.out"
	env "$@" "$PASPOR" office serve --data "$D" --kek-file "$K" \
		--listen 127.0.0.1:0 --public-listen 127.0.0.1:0 --threads 4 \
		>"$T/serve.out" 2>>"$T/serve.err" &
	PID=$!
	for i in $(seq 1 300); do
		[ "$(grep -c '^listening' "$T/serve.out")" -ge 2 ] && break
		kill -0 $PID 2>/dev/null || break
		sleep 0.1
	done
	OFF=http://$(awk '$2 == "officer" { print $3 }' "$T/serve.out")
	PUB=http://$(awk '$2 == "public" { print $3 }' "$T/serve.out")
	check "$name: server up on both listeners" grep -Eq '^listening public 127\.0\.0\.1:[1-9][0-9]*$' "$T/serve.out"
	# sessions live in memory: a restart logs everyone out
	rm -f "$T"/jar.* "$T"/csrf.*
}

# office_stop [NAME]: SIGTERM, wait, expect exit 0
office_stop() {
	[ -n "$PID" ] || return 0
	kill -TERM "$PID"
	wait "$PID"
	local rc=$?
	PID=
	check "${1:-server} exits 0 on SIGTERM" [ "$rc" -eq 0 ]
}

# office_kill: SIGKILL, wait
office_kill() {
	[ -n "$PID" ] || return 0
	kill -KILL "$PID"
	wait "$PID" 2>/dev/null
	PID=
}

# totp_code OFFICER: sets TOTP_CODE to a code for a step later than the last one used
# (codes are single use; the server accepts ±1 step, so the next step is usable at once).
# Not in a subshell: it records the step in TOTP_LAST.
totp_code() {
	local u=$1 now step last
	now=$(date +%s)
	step=$((now / 30))
	last=${TOTP_LAST[$u]:-0}
	if [ "$step" -le "$last" ]; then step=$((last + 1)); fi
	while [ "$step" -gt $((now / 30 + 1)) ]; do sleep 1; now=$(date +%s); done
	TOTP_LAST[$u]=$step
	TOTP_CODE=$(oathtool --totp -b "${TOTP_SECRET[$u]}" --now "@$((step * 30))")
}

# login OFFICER [PASSWORD]: POST /api/v1/session; keeps $T/jar.OFFICER and $T/csrf.OFFICER;
# returns 0 when the login answered 200 with a CSRF token
login() {
	local u=$1 pw=${2:-$OFFICER_PW} body
	if [ -n "${TOTP_SECRET[$u]:-}" ]; then
		totp_code "$u"
		body=$(U_="$u" P_="$pw" C_="$TOTP_CODE" "$PY" -c \
			'import json,os; print(json.dumps({"username":os.environ["U_"],"password":os.environ["P_"],"totp":os.environ["C_"]}))')
	else
		body=$(U_="$u" P_="$pw" "$PY" -c \
			'import json,os; print(json.dumps({"username":os.environ["U_"],"password":os.environ["P_"]}))')
	fi
	rm -f "$T/jar.$u" "$T/csrf.$u"
	CODE=$(curl -s -m 30 -o "$T/body" -D "$T/hdr" -w '%{http_code}' -c "$T/jar.$u" \
		-H 'Content-Type: application/json' --data-binary "$body" "$OFF/api/v1/session")
	[ "$CODE" = 200 ] || return 1
	pyu get "$T/body" csrf_token >"$T/csrf.$u" 2>/dev/null && [ -s "$T/csrf.$u" ]
}

# login_all [NAMES]: logs officers in, one ok/FAIL line each
login_all() {
	local u
	for u in ${1:-$OFFICERS}; do
		if login "$u"; then ok "login $u"; else fail "login $u" "status $CODE: $(head -c 200 "$T/body")"; fi
	done
}

# api METHOD PATH [BODY] [--as OFFICER] [--pub] [--ct TYPE] [--file F] [--no-csrf]
#     [--csrf TOKEN] [--raw CURLARG]...
# BODY is sent as application/json unless --ct says otherwise; --file sends a file's
# bytes. --as sends the officer's cookie and (for methods other than GET/HEAD) the CSRF
# token. Sets CODE (000 when the connection failed), $T/body and $T/hdr.
api() {
	local m=$1 p=$2; shift 2
	local body= hasbody=0 as= base=$OFF ct=application/json file= csrf=1 csrftok= extra=()
	if [ $# -gt 0 ] && [ "${1:0:2}" != -- ]; then body=$1; hasbody=1; shift; fi
	while [ $# -gt 0 ]; do
		case $1 in
		--as) as=$2; shift 2 ;;
		--pub) base=$PUB; shift ;;
		--ct) ct=$2; shift 2 ;;
		--file) file=$2; hasbody=1; shift 2 ;;
		--no-csrf) csrf=0; shift ;;
		--csrf) csrftok=$2; shift 2 ;;
		--raw) extra+=("$2"); shift 2 ;;
		*) echo "api: unknown option $1" >&2; return 2 ;;
		esac
	done
	local args=(-s -m 60 -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$m" --path-as-is)
	if [ -n "$as" ]; then
		args+=(-b "$T/jar.$as")
		if [ "$m" != GET ] && [ "$m" != HEAD ] && [ $csrf = 1 ]; then
			args+=(-H "X-CSRF-Token: ${csrftok:-$(cat "$T/csrf.$as" 2>/dev/null)}")
		fi
	fi
	if [ $hasbody = 1 ]; then
		[ -n "$ct" ] && args+=(-H "Content-Type: $ct")
		if [ -n "$file" ]; then args+=(--data-binary "@$file")
		else args+=(--data-binary "$body"); fi
	fi
	: >"$T/body"
	CODE=$(curl "${args[@]}" "${extra[@]}" "$base$p" 2>/dev/null)
	[ -n "$CODE" ] || CODE=000
	return 0
}

# jget KEY...: a value of the last answer's JSON body (empty when absent)
jget() { pyu get "$T/body" "$@" 2>/dev/null; }
hdr() { grep -i "^$1:" "$T/hdr" | tail -1 | cut -d: -f2- | sed 's/^ //; s/\r$//'; }
short_body() { head -c 300 "$T/body" | tr '\n' ' '; }

# expect_status NAME STATUS...: ok when CODE is one of the statuses
expect_status() {
	local name=$1 s; shift
	for s in "$@"; do [ "$CODE" = "$s" ] && { ok "$name"; return 0; }; done
	fail "$name" "status $CODE, expected $*; body: $(short_body)"
	return 1
}

# expect_problem NAME STATUS [SLUG|SLUG1,SLUG2]: problem+json with that status; with SLUG,
# its type must be one of them. STATUS may be "4xx" (any client error).
expect_problem() {
	local name=$1 st=$2 slugs=${3:-} why
	if [ "$st" = 4xx ]; then
		if [ "${CODE:0:1}" != 4 ]; then fail "$name" "status $CODE, expected 4xx; body: $(short_body)"; return 1; fi
		st=
	fi
	if ! why=$(pyu problem "$T/body" "$T/hdr" "$st" "$slugs" 2>&1); then
		fail "$name" "$why; body: $(short_body)"; return 1
	fi
	ok "$name"
}

# book N SEX DATE START [KEY=VALUE...]: public booking of synthetic applicant N in two
# steps (docs/BOOKING.md "Confirming a booking"): the hold, then its confirmation with
# the code the spool sender wrote. Sets BOOK_HOLD, BOOK_CODE (the booking code; empty
# when refused), BOOK_NIK; CODE etc. are the confirmation's, or the hold request's when
# that was refused.
book() {
	local body
	body=$(pyu person "$@")
	BOOK_NIK=$(printf '%s' "$body" | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("nik",""))')
	BOOK_CODE=
	hold "$body" || return 0
	confirm_hold "$BOOK_HOLD" "$(spool_code "$BOOK_HOLD")"
	BOOK_CODE=$(jget code)
}

# hold BODY: POST /api/v1/bookings; sets BOOK_HOLD; returns 0 when it answered 202
hold() {
	BOOK_HOLD=
	api POST /api/v1/bookings "$1" --pub
	[ "$CODE" = 202 ] || return 1
	BOOK_HOLD=$(jget hold)
}

# spool_code HOLD [N]: the confirmation code of HOLD's N-th message (default 1) in the
# spool sender's folder ($SPOOL, default $D/outbox); empty when there is none
spool_code() {
	local f=${SPOOL:-$D/outbox}/$1-${2:-1}.txt
	[ -f "$f" ] && sed -n 's/.*booking paspor Anda \([0-9]*\),.*/\1/p' "$f" | head -1
}

# confirm_hold HOLD CODE: POST /api/v1/bookings/confirm
confirm_hold() {
	api POST /api/v1/bookings/confirm "{\"hold\":\"$1\",\"code\":\"$2\"}" --pub
}

# status_of CODE NIK: public status lookup; prints the state (empty on failure)
status_of() {
	api POST /api/v1/bookings/status "{\"code\":\"$1\",\"nik\":\"$2\"}" --pub
	[ "$CODE" = 200 ] && jget state
}

# app_id_of CODE OFFICER: the application id, found by an officer's search by booking code
app_id_of() {
	api POST /api/v1/applications/search "{\"code\":\"$1\"}" --as "${2:-reg}"
	[ "$CODE" = 200 ] && pyu find-id "$T/body"
}

# local_date [DAYS]: the office's local date (zone $TZ_OFFICE, default the configured one)
local_date() {
	TZ=${TZ_OFFICE:-Asia/Jakarta} date -d "${1:-0} days" +%F
}

# digest_projections FILE: sha256 of every projection table (not the log's own tables),
# each dumped with the sqlite3 CLI, lines sorted
digest_projections() {
	local db=$D/paspor.db t
	for t in $(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'
		AND name NOT IN ('meta','events','tiles','checkpoints','cosignatures') ORDER BY name"); do
		printf '%s %s\n' "$t" "$(sqlite3 "$db" "SELECT * FROM \"$t\"" | LC_ALL=C sort | sha256sum | cut -c1-16)"
	done >"$1"
}

# rebuild_same NAME: with the server stopped, `paspor rebuild` reproduces every projection
rebuild_same() {
	digest_projections "$T/proj.before"
	expect_exit 0 "$1: rebuild" "$PASPOR" rebuild --data "$D" --kek-file "$K"
	digest_projections "$T/proj.after"
	check "$1: rebuild gives the same projections ($(wc -l <"$T/proj.before") tables)" \
		diff "$T/proj.before" "$T/proj.after"
}
