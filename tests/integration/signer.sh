#!/usr/bin/env bash
# paspor signer: the DS key in a SoftHSM2 token (set up here in a temp folder), the key
# ceremony, the signer process and its policy, judged by OpenSSL (cms -verify),
# pkcs11-tool (the key cannot be read out), `paspor log verify` and sqlite3 counts.
SUITE=signer; . "$(dirname "$0")/../lib.sh"; . "$(dirname "$0")/../lib_signer.sh"
P=$PASPOR
ROOT=${PASPOR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PHOTO=$ROOT/tests/data/face-synthetic.jpg
MOD=$SOFTHSM_MOD
if ! command -v pkcs11-tool >/dev/null; then
	fail "opensc (pkcs11-tool) installed (scripts/deps.sh)"; exit 0
fi
softhsm_token || exit 0
"$P" office kek --out "$T/kek" >/dev/null 2>&1
D=$T/signer
unwrap() { local hl; hl=$(openssl asn1parse -inform DER -in "$1" | head -1 | sed 's/.*hl=\([0-9]*\).*/\1/'); tail -c +$((hl + 1)) "$1" >"$2"; }
count() { sqlite3 "$D/paspor.db" "SELECT count(*) FROM signer_$1" 2>/dev/null; }
# Events in the signer's log (the truth: every signature and every refusal is one event).
nev() { sqlite3 "$D/paspor.db" "SELECT count(*) FROM events WHERE kind = '$1'"; }
last_body() { sqlite3 "$D/paspor.db" "SELECT hex(data) FROM events WHERE kind = '$1' ORDER BY seq DESC LIMIT 1" | xxd -r -p | tr -c '[:print:]' '.'; }
NREF=0; NSIG=0
refused_event() { # CODE: exactly one new signer.refused event, with reason code CODE
	local n; n=$(nev signer.refused)
	check "one signer.refused event ($NREF -> $n)" [ "$n" = $((NREF + 1)) ]
	last_body signer.refused >"$T/ev.txt"
	check "its reason code is $1" grep -q "\"code\":\"$1\"" "$T/ev.txt"
	NREF=$n
}
signed_event() { # exactly one new signer.signed event (and no refusal)
	local n r; n=$(nev signer.signed); r=$(nev signer.refused)
	check "one signer.signed event ($NSIG -> $n), no signer.refused ($NREF -> $r)" [ "$n $r" = "$((NSIG + 1)) $NREF" ]
	NSIG=$n
}
no_event() { # WHAT: neither event count moved
	check "$1: no signer event" [ "$(nev signer.signed)/$(nev signer.refused)" = "$NSIG/$NREF" ]
}
# A certificate for the token's key (from ds.csr) made by the openssl command line, with
# a PrivateKeyUsagePeriod (2.5.29.16, DER written here) from $2 to $3 (date -d strings)
# and a validity around now: a period that ended or has not started.
gtime_hex() { date -u -d "$1" +%Y%m%d%H%M%SZ | tr -d '\n' | od -An -tx1 | tr -s ' \n' ':' | sed 's/^://; s/:$//'; }
pkup_cert() { # OUT FROM TO
	printf '[ext]\nkeyUsage = critical, digitalSignature\n2.5.29.16 = DER:30:22:80:0f:%s:81:0f:%s\n' "$(gtime_hex "$2")" "$(gtime_hex "$3")" >"$T/pkup.cnf"
	openssl x509 -req -in "$T/ds.csr" -CA "$T/ca/csca.cert.pem" -CAkey "$T/ca/csca.key.pem" -set_serial "$RANDOM" -days 3000 -sha256 -extfile "$T/pkup.cnf" -extensions ext -out "$1" 2>"$T/openssl.err"
}

expect_exit 0 "signer init" "$P" signer init --data "$D" --kek-file "$T/kek" --module "$MOD" --token paspor-ds --key-label ds1 --pin-file "$T/pin" --per-minute 4 --per-day 100
expect_exit 0 "key generate in the token" "$P" signer key generate --data "$D"
expect_exit 2 "key generate refuses a second key with the label" "$P" signer key generate --data "$D"
expect_exit 0 "key show: sensitive, never extractable" "$P" signer key show --data "$D"
for l in 'sensitive: yes' 'extractable: no' 'never extractable: yes'; do
	check "show says $l" grep -q "^$l" "$T/.stdout"
done
# outside truth: pkcs11-tool's view of the key
pkcs11-tool --module "$MOD" --token-label paspor-ds --login --pin 123456 --list-objects --type privkey >"$T/objs.txt" 2>&1
check "pkcs11-tool: private key is never extractable" grep -q 'never extractable' "$T/objs.txt"
check "pkcs11-tool: private key is sensitive" grep -qi 'sensitive' "$T/objs.txt"
pkcs11-tool --module "$MOD" --token-label paspor-ds --login --pin 123456 --read-object --type privkey --label ds1 -o "$T/leak.der" >/dev/null 2>&1
check "pkcs11-tool --read-object of the private key writes nothing" [ ! -s "$T/leak.der" ]

"$P" pki csca --country IDN --out "$T/ca" >/dev/null 2>&1
expect_exit 0 "key csr" "$P" signer key csr --data "$D" --out "$T/ds.csr"
check "openssl req -verify accepts the request" openssl req -in "$T/ds.csr" -noout -verify
expect_exit 0 "pki ds --csr certifies the token key" "$P" pki ds --csca "$T/ca" --csr "$T/ds.csr" --out "$T/dscert"
check "no ds.key.pem written for a request" [ ! -e "$T/dscert/ds.key.pem" ]
expect_exit 0 "key install" "$P" signer key install --data "$D" --kek-file "$T/kek" --cert "$T/dscert/ds.cert.pem" --csca-cert "$T/ca/csca.cert.pem"
"$P" pki csca --country IDN --out "$T/ca2" >/dev/null 2>&1
"$P" pki ds --csca "$T/ca2" --out "$T/other" >/dev/null 2>&1
expect_exit 1 "key install refuses a certificate of another key" "$P" signer key install --data "$D" --kek-file "$T/kek" --cert "$T/other/ds.cert.pem"
expect_exit 0 "booklets add" "$P" signer booklets add --data "$D" --kek-file "$T/kek" --first X1234567 --count 10
expect_exit 0 "booklets add X0000010 (the review's booklet)" "$P" signer booklets add --data "$D" --kek-file "$T/kek" --first X0000010 --count 1
# another process holding the data directory's lock (here this shell, fd 9): named
exec 9>>"$D/lock"
flock -x 9
expect_exit 1 "booklets add while another process holds the node's lock" "$P" signer booklets add --data "$D" --kek-file "$T/kek" --first X0000020 --count 1
check "reason: stop the other process first" grep -q 'stop the signer (or the other paspor process) first' "$T/.stderr"
flock -u 9
exec 9>&-

start_signer() { # [env assignments...] [-- signer options...]
	local envs=() opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift && opts=("$@")
	rm -f "$D/signer.sock"
	env "${envs[@]}" "$P" signer --data "$D" --kek-file "$T/kek" "${opts[@]}" >>"$T/signer.log" 2>&1 &
	SPID=$!
	for _ in $(seq 100); do [ -S "$D/signer.sock" ] && break; sleep 0.1; done
}
stop_signer() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=; }
SPID=
on_exit '[ -n "$SPID" ] && kill $SPID'
start_signer
check "socket mode 0660" bash -c "[ \$(stat -c %a '$D/signer.sock') = 660 ]"
# The document: number $1 (default: the booklet), issued $ISSUE (the signer's today in
# its zone, Asia/Jakarta by default), expiring 5 years later; fields overridable.
ISSUE=$(TZ=Asia/Jakarta date +%F)
doc() { # NUMBER [SURNAME GIVEN STATE EXPIRY]
	local exp=${5:-$(date -d "$ISSUE + 5 years - 1 day" +%F)}
	printf '{"document_code":"PP","issuing_state":"%s","surname":"%s","given_names":"%s","document_number":"%s","nationality":"IDN","birth_date":"1974-08-12","sex":"F","expiry_date":"%s","optional_data":""}\n' \
		"${4:-IDN}" "${2:-SETIAWAN}" "${3:-DEWI AYU}" "$1" "$exp" >"$T/doc.json"
}
chip() { doc "$2"; chipk "$@"; } # APP BOOKLET OUT [options]: the document of booklet BOOKLET
chipk() { # APP BOOKLET OUT [options]: with the document doc wrote last
	"$P" signer chip --socket "$D/signer.sock" --app "$1" --booklet "$2" --json "$T/doc.json" --photo "$PHOTO" --out "$T/$3" --issue-date "$ISSUE" "${@:4}"
}
expect_exit 0 "chip signed through the signer" chip APP1 X1234567 chip1
signed_event
last_body signer.signed >"$T/signed.txt"
check "signer.signed v2 names the document number" grep -q '"document_number":"X1234567"' "$T/signed.txt"
check "... the issue date" grep -q "\"issue_date\":\"$ISSUE\"" "$T/signed.txt"
check "... an HMAC of EF.DG1" grep -Eq '"dg1_hmac":"[0-9a-f]{64}"' "$T/signed.txt"
check "... an HMAC of EF.DG2" grep -Eq '"dg2_hmac":"[0-9a-f]{64}"' "$T/signed.txt"
check "... and no name (no PII in clear)" bash -c "! grep -qi 'SETIAWAN\|DEWI' '$T/signed.txt'"
DG1_SHA=$(sha256sum "$T/chip1/EF.DG1" | cut -c1-64)
check "the DG1 HMAC is keyed (not the plain SHA-256 of EF.DG1)" bash -c "! grep -q '$DG1_SHA' '$T/signed.txt'"
check "the SOD's DG1 hash is EF.DG1's (the signer hashed what it was sent)" bash -c "openssl asn1parse -inform DER -in '$T/chip1/EF.SOD' | grep -qi '$DG1_SHA'"

# ---- what the signer refuses in the data groups (each one event with its code)
doc Z9999999 NOBODY FORGED
expect_exit 1 "the review's attack: FORGED NOBODY, Z9999999 on booklet X0000010, refused" chipk APPF X0000010 chipf
check "reason: not the booklet's number" grep -q 'Z9999999 is not booklet X0000010' "$T/.stderr"
refused_event document_number
check "the refusal names no one" bash -c "! grep -q 'NOBODY\|FORGED' '$T/ev.txt'"
check "no EF.SOD written for it" [ ! -e "$T/chipf/EF.SOD" ]
check "booklet X0000010 is still in stock (no signature)" [ "$(sqlite3 "$D/paspor.db" "SELECT state FROM signer_booklets WHERE number = 'X0000010'")" = stock ]
doc X1234568 SETIAWAN "DEWI AYU" UTO
expect_exit 1 "a foreign issuing state refused" chipk APPF X1234568 chipf
refused_event issuing_state
expect_exit 1 "an issue date not the signer's today refused" chip APPF X1234568 chipf --issue-date 2020-01-01
check "reason: not today" grep -q 'not the signer' "$T/.stderr"
refused_event issue_date
doc X1234568 SETIAWAN "DEWI AYU" IDN "$(date -d "$ISSUE + 10 years + 1 day" +%F)"
expect_exit 1 "an expiry past issue + 10 years refused" chipk APPF X1234568 chipf
refused_event expiry
check "booklet X1234568 is still in stock (no signature)" [ "$(sqlite3 "$D/paspor.db" "SELECT state FROM signer_booklets WHERE number = 'X1234568'")" = stock ]
expect_exit 0 "chip verify --csca" "$P" chip verify --csca "$T/ca/csca.cert.pem" "$T/chip1"
unwrap "$T/chip1/EF.SOD" "$T/sod.der"
openssl cms -verify -CAfile "$T/ca/csca.cert.pem" -inform DER -in "$T/sod.der" -out /dev/null >"$T/cmsv.txt" 2>&1
check "openssl cms -verify -CAfile: only complaint is explicit parameters" bash -c "grep -q 'explicit ECC parameters' '$T/cmsv.txt' || grep -q 'Verification successful' '$T/cmsv.txt'"
check "openssl cms -verify -noverify" openssl cms -verify -noverify -inform DER -in "$T/sod.der" -out /dev/null

expect_exit 1 "refuses a reused booklet" chip APP2 X1234567 chip2
check "reason: signed already" grep -q 'signed already' "$T/.stderr"
refused_event booklet_signed
expect_exit 1 "refuses an unknown booklet" chip APP2 Z9999999 chip2

check "reason: not in stock" grep -q 'not in the signer' "$T/.stderr"
refused_event unknown_booklet
check "the refusal names the caller (peer credentials)" grep -q '"peer":"uid=' "$T/ev.txt"
expect_exit 0 "spoil while serving (through the operator socket)" "$P" signer booklets spoil --data "$D" --kek-file "$T/kek" --number X1234567 --reason "misprint"
check "the running signer recorded it" [ "$(nev signer.booklet_spoiled)" = 1 ]
no_event "a spoil while serving"
stop_signer
start_signer
expect_exit 0 "a spoiled booklet may be signed once more" chip APP2 X1234567 chip2
signed_event
# rate cap: 4 a minute; 2 signed so far
expect_exit 0 "third signature" chip APP3 X1234568 chip3
signed_event
expect_exit 0 "fourth signature" chip APP4 X1234569 chip4
signed_event
expect_exit 1 "fifth in a minute refused" chip APP5 X1234570 chip5
check "reason: rate cap" grep -q 'rate cap' "$T/.stderr"
refused_event rate_minute
# malformed and oversized requests, raw on the socket
raw() { python3 - "$D/signer.sock" "$1" <<'PY2'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
kind = sys.argv[2]
if kind == "garbage": msg = b"\x01\x01\xffabc"; s.sendall(struct.pack(">I", len(msg)) + msg)
elif kind == "version": msg = b"\x07\x01\x01A\x01B\x00\x00\x00\x01\x30"; s.sendall(struct.pack(">I", len(msg)) + msg)
elif kind == "v1lso": msg = b"\x01\x01\x01A\x08X1234571\x00\x00\x00\x02\x30\x00"; s.sendall(struct.pack(">I", len(msg)) + msg)
elif kind == "baddg1": msg = b"\x02\x01\x01A\x08X123457120261207\x00\x02\x61\x00\x00\x00\x00\x02\x75\x00"; s.sendall(struct.pack(">I", len(msg)) + msg)
elif kind == "nul": msg = b"\x02\x01\x01A\x02X\x0020261207\x00\x01\x61\x00\x00\x00\x01\x75"; s.sendall(struct.pack(">I", len(msg)) + msg)
else: s.sendall(struct.pack(">I", 1 << 30))
s.settimeout(10)
data = b""
while True:
    b = s.recv(65536)
    if not b: break
    data += b
st = data[5]; rl = data[6] << 8 | data[7]
print(st, data[8:8 + rl].decode())
PY2
}
for k in garbage:malformed version:malformed nul:malformed v1lso:malformed baddg1:bad_dg1 oversized:oversized; do
	raw "${k%%:*}" >"$T/raw.out" 2>&1
	check "${k%%:*} request answered bad request with a reason" grep -Eq '^2 [a-z]' "$T/raw.out"
	refused_event "${k#*:}"
	case $k in *:bad_dg1) ;; *) check "the unparsed request's event carries none of its bytes" grep -q '"booklet":"-","code' "$T/ev.txt" ;; esac
done
check "the unparsed refusals name the caller" grep -q '"peer":"uid=' "$T/ev.txt"
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()" "$D/signer.sock"
sleep 0.3
no_event "a connection closed before sending a byte (not a request)"
# caller killed mid-request: the signer goes on
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b'\\x00\\x00\\x01\\x00\\x01'); s.close()" "$D/signer.sock"
doc X1234571
"$P" signer chip --socket "$D/signer.sock" --app APPK --booklet X1234571 --json "$T/doc.json" --photo "$PHOTO" --out "$T/chipk" --issue-date "$ISSUE" >/dev/null 2>&1 & CPID=$!; kill -9 $CPID 2>/dev/null; wait $CPID 2>/dev/null
check "signer alive after callers were killed" kill -0 "$SPID"
NREF=$(nev signer.refused); NSIG=$(nev signer.signed) # the killed callers' events: a race
# signer killed: the caller gets a clear error, then recovers
kill -9 "$SPID"; wait "$SPID" 2>/dev/null; SPID=
expect_exit 1 "caller with the signer gone: exit 1" chip APP6 X1234572 chip6
check "reason: cannot reach the signer" grep -q 'cannot reach the signer' "$T/.stderr"
# clock behind the last signature
start_signer PASPOR_TEST_CLOCK_OFFSET_MS=-3600000
expect_exit 1 "clock behind the last signature refused" chip APP6 X1234572 chip6
check "reason: clock" grep -q 'earlier than the last signature' "$T/.stderr"
refused_event clock_behind
stop_signer
# the key outside its usage period (90 days): the clock 100 days ahead
start_signer PASPOR_TEST_CLOCK_OFFSET_MS=8640000000
expect_exit 1 "key outside its private key usage period refused" chip APP6 X1234572 chip6
check "reason: usage period" grep -q 'usage period' "$T/.stderr"
refused_event key_period
stop_signer
# certificates whose private key usage period ended / has not started (made by openssl)
check "openssl x509 -req makes a certificate whose usage period ended" pkup_cert "$T/ended.pem" "-200 days" "-10 days"
check "openssl x509 -req makes a certificate whose usage period starts in 10 days" pkup_cert "$T/future.pem" "+10 days" "+100 days"
openssl x509 -in "$T/ended.pem" -noout -text >"$T/ended.txt" 2>&1
check "openssl reads the ended period back" grep -q 'Private Key Usage Period' "$T/ended.txt"
expect_exit 0 "install the ended certificate" "$P" signer key install --data "$D" --kek-file "$T/kek" --cert "$T/ended.pem"
expect_exit 1 "key show: the usage period has ended" "$P" signer key show --data "$D"
check "it says so" grep -q 'has ended' "$T/.stderr"
# (the clock a minute on, past the rate cap of the signatures above)
start_signer PASPOR_TEST_CLOCK_OFFSET_MS=61000
expect_exit 1 "key whose usage period ended refused" chip APP6 X1234572 chip6
check "reason: usage period" grep -q 'usage period' "$T/.stderr"
refused_event key_period
stop_signer
expect_exit 0 "install the not-yet-started certificate" "$P" signer key install --data "$D" --kek-file "$T/kek" --cert "$T/future.pem"
start_signer PASPOR_TEST_CLOCK_OFFSET_MS=61000
expect_exit 1 "key whose usage period has not started refused" chip APP6 X1234572 chip6
check "reason: usage period" grep -q 'usage period' "$T/.stderr"
refused_event key_period
stop_signer
# the serve path checks that the installed certificate certifies the token's key
cp "$T/other/ds.cert.pem" "$D/ds.cert.pem"
expect_exit 1 "signer refuses to start with a certificate of another key" timeout 60 "$P" signer --data "$D" --kek-file "$T/kek"
check "it says the certificate does not certify the token's key" grep -q "does not certify the token's key" "$T/.stderr"
check "no socket left behind" [ ! -e "$D/signer.sock" ]
expect_exit 0 "reinstall the right certificate" "$P" signer key install --data "$D" --kek-file "$T/kek" --cert "$T/dscert/ds.cert.pem" --csca-cert "$T/ca/csca.cert.pem"
# a minute later (the clock moved on by 61 s rather than the test sleeping for it)
start_signer PASPOR_TEST_CLOCK_OFFSET_MS=61000
expect_exit 0 "recovered: signs again after restart (and after a minute)" chip APP6 X1234572 chip6
signed_event
expect_exit 0 "that chip verifies" "$P" chip verify --csca "$T/ca/csca.cert.pem" "$T/chip6"
stop_signer
check "signer log exit without sanitizer reports" no_sanitizer_report "$T/signer.log"
check "run as root without --user, the signer warns" grep -q 'running as root' "$T/signer.log"

# ---- its own Unix user (docs/SIGNER.md "Deployment"): nobody stands in for paspor-signer
# Event times never go backwards, so the signatures above carry the latest time the log
# has seen (the +100 days of a refusal): the clock is set a minute past it.
# The token's key gets a certificate usable for 400 days, so that clock stays inside it.
check "openssl x509 -req makes a certificate usable for 400 days" pkup_cert "$T/long.pem" "-1 day" "+400 days"
expect_exit 0 "install it" "$P" signer key install --data "$D" --kek-file "$T/kek" --cert "$T/long.pem"
LAST_MS=$(sqlite3 "$D/paspor.db" "SELECT max(time_ms) FROM events")
OFF1=$(( LAST_MS - $(date +%s%3N) + 61000 )); OFF2=$(( OFF1 + 61000 ))
# the signer's today under that clock (a little more than 100 days on)
ISSUE=$(TZ=Asia/Jakarta date -d "@$(( ($(date +%s%3N) + OFF1 + 30000) / 1000 ))" +%F)
expect_exit 2 "--user naming no user is refused" timeout 30 "$P" signer --data "$D" --kek-file "$T/kek" --user no-such-user-paspor
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 711 "$T"
	chown -R nobody "$D" "$T/tokens" "$T/pin" "$T/kek"
	: >"$T/signer.log"
	start_signer PASPOR_TEST_CLOCK_OFFSET_MS=$OFF1 -- --user nobody
	check "the signer runs as nobody" [ "$(ps -o user= -p "$SPID" 2>/dev/null | tr -d ' ')" = nobody ]
	check "... and says nothing about root" bash -c "! grep -q 'running as root' '$T/signer.log'"
	expect_exit 0 "signs as nobody (key in the token nobody owns)" chip APP7 X1234573 chip7
	signed_event
	check "every file of its data dir belongs to nobody" [ -z "$(find "$D" ! -user nobody)" ]
	# stock while it runs: the operator socket (mode 0600, its own user or root)
	check "the operator socket is mode 0600" [ "$(stat -c %a "$D/signer-admin.sock")" = 600 ]
	expect_exit 0 "booklets add while the signer runs (operator socket)" "$P" signer booklets add --data "$D" --kek-file "$T/kek" --first W0000001 --count 2
	expect_exit 0 "a booklet of the new range signs at once" chip APP9 W0000001 chip9
	signed_event
	expect_exit 1 "the same range again is refused by the running signer" "$P" signer booklets add --data "$D" --kek-file "$T/kek" --first W0000001 --count 2
	expect_exit 1 "key install is refused while it runs (stop it first)" "$P" signer key install --data "$D" --kek-file "$T/kek" --cert "$T/long.pem"
	check "... saying so" grep -q 'stop the signer first' "$T/.stderr"
	if command -v setpriv >/dev/null; then
		expect_exit 1 "another user cannot change the stock" setpriv --reuid=daemon --regid=daemon --clear-groups "$P" signer booklets add --data "$D" --kek-file "$T/kek" --first Z0000001 --count 1
	fi
	check "the signer logged the operator request" grep -q 'operator request from uid=0' "$T/signer.log"
	stop_signer
	chown -R root "$D" "$T/tokens" "$T/pin" "$T/kek"
	chmod 700 "$T"
else
	expect_exit 0 "(not root: one more signature instead of the --user test)" true
	start_signer PASPOR_TEST_CLOCK_OFFSET_MS=$OFF1
	chip APP7 X1234573 chip7 >/dev/null 2>&1; signed_event; stop_signer
fi

# ---- the daily cap: three signatures in the last day (the three above); a cap of 3 refuses
sed -i 's/^per_day = .*/per_day = 3;/' "$D/signer.conf"
start_signer PASPOR_TEST_CLOCK_OFFSET_MS=$OFF2
expect_exit 1 "a signature over the daily cap is refused" chip APP8 X1234574 chip8
check "reason: the daily cap" grep -qi 'day' "$T/.stderr"
refused_event rate_day
stop_signer

expect_exit 0 "paspor log verify of the signer's log" "$P" log verify --data "$D"
n_signed=$(sqlite3 "$D/paspor.db" "SELECT count(*) FROM signer_signatures")
check "7 signatures recorded (got $n_signed)" [ "$n_signed" = 7 ]
check "as many signer.signed events as signatures" [ "$(nev signer.signed)" = "$n_signed" ]
sqlite3 "$D/paspor.db" "SELECT kind, count(*) FROM events GROUP BY kind" >"$T/kinds.txt"
for k in 'signer.signed|' 'signer.refused|' 'signer.cert_installed|5$' 'signer.booklet_spoiled|1$'; do
	check "the log has ${k%%|*} events" grep -q "^$k" "$T/kinds.txt"
done
check "no PEM private key in the data dir" bash -c "! grep -rqa 'PRIVATE KEY' '$D'"
check "the token files are not in the data dir" bash -c "! ls '$D' | grep -q tokens"
