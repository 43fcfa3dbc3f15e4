#!/usr/bin/env bash
# `make run`: a DEMO office node that can take an applicant from booking to issued.
#
# The first time, it makes (everything under var/, gitignored):
#   var/office.kek            key-encryption key, kept OUTSIDE the data dir
#   var/office/               the office's data dir (SQLite log, node key, wrapped data key,
#                             blobs, paspor.conf) with one demo officer per role; their
#                             random passwords are printed once (and TOTP secrets for the
#                             adjudicator and the admin), also kept in var/office-officers.txt
#   var/softhsm2.conf, var/tokens/, var/hsm-pin, var/hsm-so-pin
#                             a SoftHSM2 token holding the Document Signer key (PINs 0600)
#   var/demo-csca/            a TEST Country Signing CA (its private key is a plain file!)
#   var/office/signer/        the signer ceremony (docs/SIGNER.md): DS key made in the
#                             token, certified by the test CSCA, booklets X0000001..+100
#   var/office/csca.cert.pem  the CSCA the office checks every chip against
# and records the booklet range X0000001 (100 booklets) in the office; a booklet
# custodian confirms it over the API before the first personalization (README.md).
# Later runs reuse all of it. An interrupted first run is finished on the next one.
#
# A var/office whose paspor.conf has no 'confirmation' section (made before bookings
# needed a code) gets the demo's: the spool sender, which writes each confirmation code
# to var/office/outbox instead of sending it (README.md reads it from there).
#
# Every run: starts `paspor signer` in the background (its socket
# var/office/signer/signer.sock, its log var/signer.log), then the office server:
# officers on 127.0.0.1:8080, public booking on 127.0.0.1:8081 (PASPOR_LISTEN,
# PASPOR_PUBLIC_LISTEN change them). Ctrl-C (or SIGTERM) stops the server gracefully,
# then the signer, each by its PID. Delete var/ to start over.
set -euo pipefail
cd "$(dirname "$0")/.."
P=${PASPOR:-build/paspor}
V=$PWD/var
D=var/office
K=var/office.kek
SD=$D/signer
CA=var/demo-csca
FIRST=X0000001
COUNT=100
SOFTHSM_MOD=/usr/lib/softhsm/libsofthsm2.so
TOKEN=paspor-demo-ds
LISTEN=${PASPOR_LISTEN:-127.0.0.1:8080}
PUBLIC=${PASPOR_PUBLIC_LISTEN:-127.0.0.1:8081}
[ -x "$P" ] || { echo "run: $P is missing; run 'make'" >&2; exit 2; }
if [ ! -e "$SOFTHSM_MOD" ] || ! command -v softhsm2-util >/dev/null; then
	echo "run: SoftHSM2 is missing (scripts/deps.sh installs softhsm2)" >&2
	exit 2
fi

mkdir -p var
# written every run: the token directory is an absolute path
export SOFTHSM2_CONF=$V/softhsm2.conf
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$V/tokens" >"$SOFTHSM2_CONF"

# ---- the office node and its officers -------------------------------------------
if [ ! -e "$D" ]; then
	cat <<'BANNER'
**************************************************************************
*  DEMO OFFICE: the keys and officers made below are for trying Paspor    *
*  out. The key-encryption key sits next to the data dir (var/office.kek):*
*  in a real office it lives on a separate medium or is a passphrase.     *
**************************************************************************
BANNER
	"$P" office kek --out "$K"
	"$P" office init --data "$D" --origin kanim-demo.imigrasi.go.id \
		--name "Kantor Imigrasi DEMO" --kek-file "$K"
	echo
	echo "demo officers (passwords are shown only now; they are not stored in clear):"
	creds=var/office-officers.txt
	: >"$creds"
	chmod 600 "$creds"
	for role in registrar interviewer adjudicator printer_operator issuing_officer \
		booklet_custodian office_admin auditor cashier; do
		user=demo-${role//_/-}
		pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)
		out=$(printf '%s\n' "$pw" | "$P" office user add --data "$D" --username "$user" \
			--role "$role" --kek-file "$K")
		secret=$(printf '%s\n' "$out" | sed -n 's/.*secret[^A-Z2-7]*\([A-Z2-7]\{16,\}\).*/\1/p' | head -1)
		printf '  %-26s %-20s %s\n' "$user" "$pw" "${secret:+TOTP secret $secret}" | tee -a "$creds"
	done
	echo "(also in $creds, mode 0600; TOTP codes: oathtool --totp -b SECRET)"
	echo
fi

# ---- the TEST CSCA, the token, the signer ceremony, the booklet range --------------
# var/.demo-signer-ready marks a finished ceremony; without it the pieces are made again.
if [ ! -e var/.demo-signer-ready ]; then
	rm -rf "$SD" var/tokens "$CA" var/hsm-pin var/hsm-so-pin var/ds.csr var/demo-ds
	cat <<'BANNER'
**************************************************************************
*  TEST KEYS: a TEST Country Signing CA (var/demo-csca, its private key   *
*  in a plain file) and a Document Signer key in a SoftHSM2 software      *
*  token (var/tokens). Passports made with them are SPECIMENS: no border  *
*  will accept them. Never use these keys for real documents.             *
**************************************************************************
BANNER
	mkdir -m 700 var/tokens
	( umask 077
	  printf '%s\n' "$(tr -dc 0-9 </dev/urandom | head -c 8)" >var/hsm-pin
	  printf '%s\n' "$(tr -dc 0-9 </dev/urandom | head -c 10)" >var/hsm-so-pin )
	softhsm2-util --init-token --free --label "$TOKEN" --so-pin "$(cat var/hsm-so-pin)" \
		--pin "$(cat var/hsm-pin)" >/dev/null
	"$P" pki csca --country IDN --out "$CA" --org "Paspor DEMO - TEST KEYS ONLY" \
		--cn "TEST CSCA IDN - DEMO, NOT FOR ISSUANCE"
	cat >"$CA/README" <<'EOF'
TEST Country Signing CA made by `make run` (scripts/run-office.sh) for the demo office.

Its private key (csca.key.pem) is a plain file on this disk and its subject says TEST.
Chips signed under it are specimens. Never use it, or anything it certified, for real
passports; a real CSCA key lives offline in an HSM under a key ceremony (docs/PKI.md).
EOF
	"$P" signer init --data "$SD" --kek-file "$K" --module "$SOFTHSM_MOD" --token "$TOKEN" \
		--key-label ds1 --pin-file var/hsm-pin
	"$P" signer key generate --data "$SD"
	"$P" signer key csr --data "$SD" --out var/ds.csr
	"$P" pki ds --csca "$CA" --csr var/ds.csr --out var/demo-ds \
		--cn "TEST Document Signer IDN - DEMO"
	"$P" signer key install --data "$SD" --kek-file "$K" --cert var/demo-ds/ds.cert.pem \
		--csca-cert "$CA/csca.cert.pem"
	"$P" signer booklets add --data "$SD" --kek-file "$K" --first "$FIRST" --count "$COUNT"
	cp "$CA/csca.cert.pem" "$D/csca.cert.pem"
	# a var/office made before issuance existed has no 'issuance' section: add the default
	if ! grep -q '^issuance *=' "$D/paspor.conf"; then
		cat >>"$D/paspor.conf" <<'CONF'

# Personalization, quality check and hand-over (docs/PERSONALIZATION.md); added by
# scripts/run-office.sh. Relative paths are inside the data folder.
issuance = {
  issuing_state = "IDN";
  signer_socket = "signer/signer.sock";  # paspor signer (docs/SIGNER.md)
  csca_cert = "csca.cert.pem";          # checks every chip before hand-over
  spool_dir = "spool";                  # print jobs (docs/SPOOL.md)
  uncollected_days = 30;                # then listed for follow-up
};
CONF
		"$P" office config --data "$D" --check
	fi
	# the office's stock: only when not recorded already (an interrupted earlier run)
	if ! sqlite3 "$D/paspor.db" "SELECT 1 FROM booklet_ranges WHERE first = '$FIRST'" 2>/dev/null | grep -q 1; then
		"$P" office booklets add --data "$D" --kek-file "$K" --first "$FIRST" --count "$COUNT"
	fi
	: >var/.demo-signer-ready
	echo
	echo "TEST CSCA: $CA/csca.cert.pem (see $CA/README); DS key in SoftHSM2 token '$TOKEN'"
	echo "booklets $FIRST..+$COUNT recorded: a booklet custodian must confirm the range"
	echo "(POST /api/v1/booklets/ranges/$FIRST/confirm) before the first personalization"
	echo
fi

# ---- booking confirmation: a var/office made before it existed gets the demo's section
if ! grep -q '^confirmation *=' "$D/paspor.conf"; then
	cat >>"$D/paspor.conf" <<'CONF'

# Public bookings hold their slot only once the applicant enters the code sent to
# their phone or e-mail (docs/BOOKING.md); added by scripts/run-office.sh. DEMO
# senders: "spool" writes each message to a file in spool_dir and sends nothing.
confirmation = {
  hold_seconds = 900;
  code_digits = 6;
  code_attempts = 5;
  resend_seconds = 60;
  pending_per_slot = 5;
  active_per_phone = 3;
  active_per_email = 3;
  codes_per_contact_per_day = 5;
  codes_per_day = 2000;
  email_sender = "spool";
  phone_sender = "spool";
  spool_dir = "outbox";
  send_timeout_seconds = 10;
};
CONF
	"$P" office config --data "$D" --check
fi

# ---- serve: the signer in the background, then the office --------------------------
SPID='' OPID=''
stop() {
	trap - INT TERM EXIT
	if [ -n "$OPID" ]; then kill -TERM "$OPID" 2>/dev/null || true; wait "$OPID" 2>/dev/null || true; fi
	if [ -n "$SPID" ]; then kill -TERM "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; fi
	OPID='' SPID=''
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

"$P" signer key show --data "$SD" >/dev/null ||
	echo "run: the demo DS key cannot sign now (see 'paspor signer key show --data $SD'); delete var/ to start over" >&2
rm -f "$SD/signer.sock"
"$P" signer --data "$SD" --kek-file "$K" >>var/signer.log 2>&1 &
SPID=$!
for _ in $(seq 1 100); do
	[ -S "$SD/signer.sock" ] && break
	kill -0 "$SPID" 2>/dev/null || break
	sleep 0.1
done
if [ ! -S "$SD/signer.sock" ]; then
	echo "run: the signer did not start; the end of var/signer.log:" >&2
	tail -5 var/signer.log >&2
	exit 1
fi
echo "signer: pid $SPID, socket $SD/signer.sock, log var/signer.log"
echo "office node: data dir $D; officers http://$LISTEN, public booking http://$PUBLIC"
echo "try: curl -s http://$PUBLIC/healthz; curl -s 'http://$PUBLIC/api/v1/bookings/slots?days=3'"
echo "booking confirmation codes are not sent: the demo writes them to $D/outbox"
echo "README.md, 'Take an applicant from booking to issued', walks one applicant through."
"$P" office serve --data "$D" --kek-file "$K" --listen "$LISTEN" --public-listen "$PUBLIC" --foreground &
OPID=$!
rc=0
wait "$OPID" || rc=$?
OPID=
stop
exit "$rc"
