#!/usr/bin/env bash
# The ICAO 9303 demonstration (`make demo-icao`): in var/demo (gitignored) it makes a TEST CSCA and
# Document Signer, a specimen holder, the passport MRZ, the chip files (EF.COM, DG1, DG2,
# EF.SOD) and verifies them (passive authentication) — then prints the MRZ.
# Needs build/paspor (make builds it first). Everything it makes is throw-away.
set -euo pipefail
cd "$(dirname "$0")/.."
P=${PASPOR:-build/paspor}
D=var/demo
[ -x "$P" ] || { echo "demo: $P is missing; run 'make'" >&2; exit 2; }

rm -rf "$D"
mkdir -p "$D"
step() { printf '\n== %s\n' "$*"; }

cat <<'BANNER'
*********************************************************************
*  DEMO: the CSCA and Document Signer keys made below are TEST KEYS. *
*  They sit unencrypted in var/demo. Never use them for real travel  *
*  documents.                                                        *
*********************************************************************
BANNER

step "CSCA for IDN (ECDSA P-256, explicit parameters): $D/csca"
"$P" pki csca --country IDN --org "Paspor DEMO (test only)" --cn "CSCA IDN TEST" --out "$D/csca"
step "Document Signer for one office: $D/ds"
"$P" pki ds --csca "$D/csca" --out "$D/ds" --ou "Kantor Imigrasi DEMO"
openssl x509 -in "$D/ds/ds.cert.pem" -noout -subject -issuer -dates 2>/dev/null | sed 's/^/   /' || true
step "CRL (no revocations yet)"
"$P" pki crl --csca "$D/csca"

step "specimen holder: $D/person.json"
cat >"$D/person.json" <<'J'
{"document_code":"PP","issuing_state":"IDN","surname":"Setiawan","given_names":"Dewi Ayu Lestari",
 "document_number":"X1234567","nationality":"IDN","birth_date":"1974-08-12","sex":"F",
 "expiry_date":"2036-03-01","optional_data":""}
J
cat "$D/person.json"

step "MRZ"
"$P" mrz make --json "$D/person.json" | tee "$D/mrz.txt"
"$P" mrz check <"$D/mrz.txt" >"$D/mrz-check.txt" 2>&1 && echo "   mrz check: ok" || { echo "   mrz check FAILED:"; cat "$D/mrz-check.txt"; exit 1; }

if "$P" chip make --help >/dev/null 2>&1; then
	step "chip files: $D/chip (photo: tests/data/face-synthetic.jpg, a synthetic image)"
	"$P" chip make --ds "$D/ds" --json "$D/person.json" --photo tests/data/face-synthetic.jpg --out "$D/chip"
	ls -l "$D/chip" | sed 's/^/   /'
	step "passive authentication against the CSCA"
	"$P" chip verify --csca "$D/csca/csca.cert.pem" "$D/chip"
else
	step "chip: 'paspor chip make' is not available in this build; skipped"
fi

step "the passport's MRZ"
cat "$D/mrz.txt"
echo
echo "demo files are in $D (TEST keys; delete the folder when done)"
