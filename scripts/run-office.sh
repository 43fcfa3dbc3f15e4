#!/usr/bin/env bash
# `make run`: an office node on its embedded store with a DEMO key set, serving its API.
#
# The first time, it makes var/office (gitignored): a key-encryption key kept OUTSIDE
# the data dir (var/office.kek), the data dir (SQLite log, node key, wrapped data key,
# blobs, paspor.conf), and one demo officer per role with a random password, printed
# once here (and TOTP secrets for the adjudicator and the admin). Later runs reuse it.
# Then it serves: officers on 127.0.0.1:8080, the public booking listener on
# 127.0.0.1:8081 (PASPOR_LISTEN / PASPOR_PUBLIC_LISTEN change them). Ctrl-C stops it
# gracefully. Delete var/office and var/office.kek to start over.
set -euo pipefail
cd "$(dirname "$0")/.."
P=${PASPOR:-build/paspor}
D=var/office
K=var/office.kek
LISTEN=${PASPOR_LISTEN:-127.0.0.1:8080}
PUBLIC=${PASPOR_PUBLIC_LISTEN:-127.0.0.1:8081}
[ -x "$P" ] || { echo "run: $P is missing; run 'make'" >&2; exit 2; }

if [ ! -e "$D" ]; then
	mkdir -p var
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
		booklet_custodian office_admin auditor; do
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

echo "office node: data dir $D; officers http://$LISTEN, public booking http://$PUBLIC"
echo "try: curl -s http://$PUBLIC/healthz; curl -s 'http://$PUBLIC/api/v1/bookings/slots?days=3'"
exec "$P" office serve --data "$D" --kek-file "$K" --listen "$LISTEN" --public-listen "$PUBLIC" --foreground
