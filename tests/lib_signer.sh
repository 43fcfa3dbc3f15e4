# A Document Signer for tests (sourced after tests/lib.sh; signer_setup also needs
# tests/lib_office.sh's $D and $K):
# a SoftHSM2 token in $T, a demo CSCA, the DS key generated in the token, its certificate,
# the signer's booklet stock, and `paspor signer` serving $D/signer/signer.sock (the
# default issuance.signer_socket). The CSCA certificate is copied to $D/csca.cert.pem.
#
#   signer_setup X0000001 50     # stock: 50 booklets from X0000001 (office and signer)
#   signer_start                 # $SPID
#   signer_stop
#
# Only processes started here are stopped, by their PID.
SOFTHSM_MOD=/usr/lib/softhsm/libsofthsm2.so
SPID=

# softhsm_token: a SoftHSM2 token "paspor-ds" in $T/tokens (SOFTHSM2_CONF exported), its
# user PIN 123456 in $T/pin (0600); one FAIL line and status 1 when softhsm2 is missing
softhsm_token() {
	if [ ! -e "$SOFTHSM_MOD" ] || ! command -v softhsm2-util >/dev/null; then
		fail "softhsm2 installed (scripts/deps.sh)"; return 1
	fi
	export SOFTHSM2_CONF=$T/softhsm2.conf
	mkdir -p "$T/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$T/tokens" >"$SOFTHSM2_CONF"
	softhsm2-util --init-token --free --label paspor-ds --so-pin 87654321 --pin 123456 >/dev/null 2>&1
	printf '123456\n' >"$T/pin"; chmod 600 "$T/pin"
}

signer_setup() {
	local first=$1 count=$2
	softhsm_token || return 1
	SD=$D/signer
	"$PASPOR" pki csca --country IDN --out "$T/ca" >/dev/null 2>&1 &&
	"$PASPOR" signer init --data "$SD" --kek-file "$K" --module "$SOFTHSM_MOD" --token paspor-ds \
		--key-label ds1 --pin-file "$T/pin" --per-minute 1000 --per-day 100000 >/dev/null 2>&1 &&
	"$PASPOR" signer key generate --data "$SD" >/dev/null 2>&1 &&
	"$PASPOR" signer key csr --data "$SD" --out "$T/ds.csr" >/dev/null 2>&1 &&
	"$PASPOR" pki ds --csca "$T/ca" --csr "$T/ds.csr" --out "$T/dscert" >/dev/null 2>&1 &&
	"$PASPOR" signer key install --data "$SD" --kek-file "$K" --cert "$T/dscert/ds.cert.pem" \
		--csca-cert "$T/ca/csca.cert.pem" >/dev/null 2>&1 &&
	"$PASPOR" signer booklets add --data "$SD" --kek-file "$K" --first "$first" --count "$count" >/dev/null 2>&1 &&
	cp "$T/ca/csca.cert.pem" "$D/csca.cert.pem" &&
	"$PASPOR" office booklets add --data "$D" --kek-file "$K" --first "$first" --count "$count" >/dev/null 2>&1
	check "signer ceremony (token key, DS certificate, stock $first+$count in signer and office)" [ $? -eq 0 ]
}

signer_start() {
	local i
	"$PASPOR" signer --data "$D/signer" --kek-file "$K" >"$T/signer.out" 2>&1 &
	SPID=$!
	for i in $(seq 1 100); do
		grep -q 'serving on' "$T/signer.out" && [ -S "$D/signer/signer.sock" ] && break
		kill -0 $SPID 2>/dev/null || break
		sleep 0.1
	done
	check "signer serves $D/signer/signer.sock" grep -q 'serving on' "$T/signer.out"
	on_exit '[ -n "$SPID" ] && kill -KILL $SPID 2>/dev/null'
}

signer_stop() {
	[ -n "$SPID" ] || return 0
	kill -TERM "$SPID"; wait "$SPID" 2>/dev/null; SPID=
}
