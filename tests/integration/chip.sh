#!/usr/bin/env bash
# paspor chip make|verify, judged by OpenSSL's command line (cms -verify, asn1parse,
# dgst) and by the real specimens in shared/testdata/lds (BSI 2008: SHA-1, explicit-
# parameter ECDSA; Dutch 2006: SHA-256, RSA).
SUITE=chip; . "$(dirname "$0")/../lib.sh"
P=$PASPOR
LDS=$PASPOR_TESTDATA/lds
ROOT=${PASPOR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PHOTO=$ROOT/tests/data/face-synthetic.jpg

# strips EF.SOD's 0x77 tag and length: hl= of the first line of asn1parse
unwrap() { local hl; hl=$(openssl asn1parse -inform DER -in "$1" | head -1 | sed 's/.*hl=\([0-9]*\).*/\1/'); tail -c +$((hl + 1)) "$1" >"$2"; }

"$P" pki csca --country IDN --out "$T/ca" >/dev/null 2>&1
"$P" pki ds --csca "$T/ca" --out "$T/ds" >/dev/null 2>&1
"$P" pki csca --country IDN --rsa --out "$T/ca-rsa" >/dev/null 2>&1
"$P" pki ds --csca "$T/ca-rsa" --out "$T/ds-rsa" >/dev/null 2>&1
"$P" pki csca --country IDN --out "$T/other" >/dev/null 2>&1
cat >"$T/doc.json" <<'J'
{"document_code":"PP","issuing_state":"IDN","surname":"SETIAWAN","given_names":"DEWI AYU","document_number":"X1234567","nationality":"IDN","birth_date":"1974-08-12","sex":"F","expiry_date":"2036-03-01","optional_data":""}
J

expect_exit 0 "make (EC explicit DS)" "$P" chip make --ds "$T/ds" --json "$T/doc.json" --photo "$PHOTO" --out "$T/chip"
expect_exit 0 "make (RSA DS)" "$P" chip make --ds "$T/ds-rsa" --json "$T/doc.json" --photo "$PHOTO" --out "$T/chip-rsa"
check "DG1 is 93 bytes (a 5-byte header and the MRZ)" [ "$(stat -c %s "$T/chip/EF.DG1")" -eq 93 ]
check "DG1 holds the 88-character MRZ" bash -c "tail -c 88 '$T/chip/EF.DG1' | grep -q '^PPIDNSETIAWAN<<DEWI<AYU<*X1234567<7IDN7408122F3603011<*08\$'"
check "EF.COM bytes: LDS 1.7, Unicode 4.0.0, tag list DG1 DG2" [ "$(xxd -p "$T/chip/EF.COM")" = 60145f0104303130375f36063034303030305c026175 ]
check "DG2 carries the JPEG unchanged" bash -c "tail -c \$(stat -c %s '$PHOTO') '$T/chip/EF.DG2' | cmp -s - '$PHOTO'"

for kind in chip chip-rsa; do
	unwrap "$T/$kind/EF.SOD" "$T/$kind.sod.der"
	if [ $kind = chip-rsa ]; then
		check "openssl cms -verify -CAfile ($kind)" openssl cms -verify -CAfile "$T/ca-rsa/csca.cert.pem" -inform DER -in "$T/$kind.sod.der" -out "$T/$kind.lso.der"
	else
		# OpenSSL 3 refuses explicit EC parameters in a chain (error 94; see pki.sh):
		# check that this is its only complaint, and the signature with -noverify
		openssl cms -verify -CAfile "$T/ca/csca.cert.pem" -inform DER -in "$T/$kind.sod.der" -out /dev/null >"$T/cmsv.txt" 2>&1
		check "openssl cms -verify -CAfile ($kind): only complaint is explicit parameters" grep -q 'explicit ECC parameters' "$T/cmsv.txt"
		check "openssl cms -verify -noverify ($kind)" openssl cms -verify -noverify -inform DER -in "$T/$kind.sod.der" -out "$T/$kind.lso.der"
	fi
	openssl asn1parse -inform DER -in "$T/$kind.sod.der" >"$T/$kind.asn1" 2>&1
	check "SignedData version 3 ($kind)" bash -c "sed -n '5p' '$T/$kind.asn1' | grep -q 'INTEGER *:03'"
	check "eContentType 2.23.136.1.1.1 ($kind)" grep -q ':2.23.136.1.1.1' "$T/$kind.asn1"
	for a in contentType messageDigest signingTime; do
		check "signed attribute $a ($kind)" grep -q ":$a" "$T/$kind.asn1"
	done
	openssl asn1parse -inform DER -in "$T/$kind.lso.der" >"$T/$kind.lso.txt" 2>&1
	check "LDSSecurityObject v0 ($kind)" bash -c "sed -n '2p' '$T/$kind.lso.txt' | grep -q 'INTEGER *:00'"
	check "LDSSecurityObject with sha256 ($kind)" grep -q ':sha256' "$T/$kind.lso.txt"
	mapfile -t hashes < <(grep 'OCTET STRING' "$T/$kind.lso.txt" | sed 's/.*\[HEX DUMP\]://' | tr 'A-F' 'a-f')
	for i in 1 2; do
		want=$(openssl dgst -sha256 -r "$T/$kind/EF.DG$i" | cut -d' ' -f1)
		check "LDSSecurityObject hash of DG$i = openssl dgst ($kind)" [ "${hashes[$((i - 1))]:-}" = "$want" ]
	done
done
grep -q ':ecdsa-with-SHA256' "$T/chip.asn1" && ok "EC DS signs ecdsa-with-SHA256" || fail "EC DS signs ecdsa-with-SHA256"
grep -q ':sha256WithRSAEncryption' "$T/chip-rsa.asn1" && ok "RSA DS signs sha256WithRSAEncryption" || fail "RSA DS signs sha256WithRSAEncryption"

expect_exit 0 "verify --csca passes on our chip" "$P" chip verify --csca "$T/ca/csca.cert.pem" "$T/chip"
expect_exit 0 "verify --csca passes on our RSA chip" "$P" chip verify --csca "$T/ca-rsa/csca.cert.pem" "$T/chip-rsa"
expect_exit 1 "verify with the wrong CSCA fails" "$P" chip verify --csca "$T/other/csca.cert.pem" "$T/chip"
check "wrong CSCA reported on EF.SOD" grep -q '^FAIL EF.SOD.*does not chain' "$T/.stdout"
cp -r "$T/chip" "$T/bad"
printf '\x00' | dd of="$T/bad/EF.DG2" bs=1 seek=2000 count=0 conv=notrunc 2>/dev/null
python3 - "$T/bad/EF.DG2" <<'PY'
import sys; p=sys.argv[1]; d=bytearray(open(p,'rb').read()); d[len(d)//2]^=0x01; open(p,'wb').write(d)
PY
expect_exit 1 "verify fails when a DG2 byte changes" "$P" chip verify --csca "$T/ca/csca.cert.pem" "$T/bad"
check "the changed DG2 is named" grep -q '^FAIL EF.DG2 .*hash differs' "$T/.stdout"

printf '\x89PNG\r\n\x1a\n0000000000000000' >"$T/photo.png"
expect_exit 2 "non-JPEG photo rejected with exit 2" "$P" chip make --ds "$T/ds" --json "$T/doc.json" --photo "$T/photo.png" --out "$T/x"
check "no chip written for a non-JPEG" [ ! -e "$T/x/EF.SOD" ]
expect_exit 2 "verify without files is a usage error" "$P" chip verify
expect_exit 0 "chip verify --help" "$P" chip verify --help
expect_exit 0 "chip make --help" "$P" chip make --help

# --- the specimens ---
BSI="EF_COM.bin EF_SOD.bin Datagroup1.bin Datagroup2.bin Datagroup3.bin Datagroup14.bin"
LOES="ef011E.bin ef011D.bin ef0101.bin ef0102.bin ef010F.bin"
expect_exit 0 "verify Dutch 2006 specimen (SHA-256, RSA)" "$P" chip verify "$LDS/loes2006"
expect_exit 0 "verify BSI 2008 specimen (SHA-1, explicit ECDSA)" "$P" chip verify $(for f in $BSI; do echo "$LDS/bsi2008/$f"; done)
expect_exit 1 "BSI 2008 DG4 and DG15 are not in its SOD: failure" "$P" chip verify "$LDS/bsi2008"
check "DG4 named as not listed" grep -q '^FAIL EF.DG4 .*not listed in EF.SOD' "$T/.stdout"

# flip one byte (XOR 0xFF, then 0x01) at start, 1, middle and end of every specimen file;
# expect exit 1 or 2 and the file named on a FAIL line. Offsets inside the DS
# certificate's own fields cannot be caught without the CSCA (docs/CHIP.md): the
# positions used here are not such offsets.
flip_all() { # dir "files to copy" files to flip...
	local dir=$1 copy=$2; shift 2
	local f g pos x n rc
	for f in "$@"; do
		n=$(stat -c %s "$dir/$f")
		for pos in 0 1 $((n / 2)) $((n - 1)); do
			for x in 255 1; do
				rm -rf "$T/flip"; mkdir "$T/flip"
				for g in $copy; do cp "$dir/$g" "$T/flip/"; done
				chmod u+w "$T/flip/$f"
				python3 -c "import sys; p=sys.argv[1]; d=bytearray(open(p,'rb').read()); d[int(sys.argv[2])]^=int(sys.argv[3]); open(p,'wb').write(d)" "$T/flip/$f" "$pos" "$x"
				"$P" chip verify "$T/flip" >"$T/flip.out" 2>&1
				rc=$?
				if { [ $rc -eq 1 ] || [ $rc -eq 2 ]; } && grep -q "^FAIL.*$f" "$T/flip.out"; then ok "flip $f @$pos ^$x: exit $rc, named"
				else fail "flip $f @$pos ^$x" "exit $rc: $(grep -m3 . "$T/flip.out" | tr '\n' ' ')"; fi
			done
		done
	done
}
flip_all "$LDS/bsi2008" "$BSI" $BSI
flip_all "$LDS/loes2006" "$LOES" ef011E.bin ef0101.bin ef0102.bin ef010F.bin
# ef011D.bin's middle byte (891) is in the DS certificate's AuthorityKeyIdentifier:
# nothing signs it without the CSCA; flip start, end and the LDSSecurityObject instead
n=$(stat -c %s "$LDS/loes2006/ef011D.bin")
for pos in 0 1 100 $((n - 1)); do
	rm -rf "$T/flip"; mkdir "$T/flip"; cp "$LDS/loes2006/"* "$T/flip/"; chmod u+w "$T/flip/ef011D.bin"
	python3 -c "import sys; p=sys.argv[1]; d=bytearray(open(p,'rb').read()); d[int(sys.argv[2])]^=1; open(p,'wb').write(d)" "$T/flip/ef011D.bin" "$pos"
	"$P" chip verify "$T/flip" >"$T/flip.out" 2>&1; rc=$?
	if { [ $rc -eq 1 ] || [ $rc -eq 2 ]; } && grep -q '^FAIL.*ef011D.bin' "$T/flip.out"; then ok "flip ef011D.bin @$pos: exit $rc, named"
	else fail "flip ef011D.bin @$pos" "exit $rc"; fi
done

# --- BER EF.SOD (Doc 9303 readers accept it; real passports, e.g. New Zealand 2013,
# write indefinite lengths): made by outside tools, never by our encoder ---
DER2BER="python3 $ROOT/tests/der2ber.py"
ber_chip() { # name EF.SOD-file: a copy of our chip with that EF.SOD
	rm -rf "$T/$1"; mkdir "$T/$1"; cp "$T/chip/EF.COM" "$T/chip/EF.DG1" "$T/chip/EF.DG2" "$T/$1/"; cp "$2" "$T/$1/EF.SOD"
}
# 1. openssl cms -sign -stream (indefinite lengths, eContent a constructed OCTET STRING)
#    over our LDSSecurityObject re-encoded with indefinite lengths, in a 77 80 wrapper
$DER2BER "$T/chip.lso.der" "$T/lso.ber"
openssl cms -sign -stream -binary -nodetach -nosmimecap -md sha256 -econtent_type 2.23.136.1.1.1 \
	-signer "$T/ds/ds.cert.pem" -inkey "$T/ds/ds.key.pem" -inform DER -in "$T/lso.ber" \
	-outform DER -out "$T/stream.cms" 2>"$T/cms.err"
check "openssl cms -stream wrote indefinite lengths" bash -c "[ \"\$(head -c 2 '$T/stream.cms' | xxd -p)\" = 3080 ]"
check "the LDSSecurityObject signed is BER" bash -c "[ \"\$(head -c 2 '$T/lso.ber' | xxd -p)\" = 3080 ]"
{ printf '\x77\x80'; cat "$T/stream.cms"; printf '\x00\x00'; } >"$T/stream.sod"
ber_chip ber "$T/stream.sod"
expect_exit 0 "verify --csca passes a BER EF.SOD (openssl cms -stream, BER LDSSecurityObject)" \
	"$P" chip verify --csca "$T/ca/csca.cert.pem" "$T/ber"
check "the BER EF.SOD is reported as BER" grep -q '^ok   EF.SOD parsed: .*, BER (not DER)' "$T/.stdout"
check "the BER EF.SOD's signature is checked" grep -q '^ok   EF.SOD signature valid' "$T/.stdout"
check "the BER EF.SOD's DG2 hash is checked" grep -q '^ok   EF.DG2 hash matches' "$T/.stdout"
# the same in a definite-length 77 wrapper
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); n=len(d); open(sys.argv[2],'wb').write(b'\x77\x82'+n.to_bytes(2,'big')+d)" "$T/stream.cms" "$T/stream2.sod"
ber_chip ber2 "$T/stream2.sod"
expect_exit 0 "verify --csca passes BER CMS in a definite-length 77 wrapper" \
	"$P" chip verify --csca "$T/ca/csca.cert.pem" "$T/ber2"
# 2. our own DER EF.SOD re-encoded with every length indefinite and every OCTET STRING
#    over 16 bytes in pieces (the certificate kept: its CSCA signed its DER); the signed
#    attributes are then BER too, and must be verified over their DER re-encoding
$DER2BER "$T/chip/EF.SOD" "$T/max.sod" --keep-certs --chunk 16
check "the signed attributes are re-encoded with an indefinite length" bash -c "xxd -p '$T/max.sod' | tr -d '\n' | grep -q 'a080308006092a864886f70d010903'"
ber_chip bermax "$T/max.sod"
expect_exit 0 "verify --csca passes our EF.SOD re-encoded as BER (signed attributes too)" \
	"$P" chip verify --csca "$T/ca/csca.cert.pem" "$T/bermax"
# our own output stays DER
expect_exit 0 "our EF.SOD verifies" "$P" chip verify --csca "$T/ca/csca.cert.pem" "$T/chip"
check "our EF.SOD is not reported as BER" bash -c "grep '^ok   EF.SOD parsed' '$T/.stdout' | grep -vq 'BER'"
check "our EF.SOD has no indefinite length (openssl asn1parse)" bash -c "! openssl asn1parse -inform DER -in '$T/chip/EF.SOD' | grep -q 'l=inf'"
# openssl's DER re-encoding of our CMS is byte for byte ours (and differs for the BER one)
openssl cms -cmsout -inform DER -in "$T/chip.sod.der" -outform DER -out "$T/chip.re.der" 2>/dev/null
check "our EF.SOD's CMS is DER: openssl re-encodes it to the same bytes" cmp "$T/chip.sod.der" "$T/chip.re.der"
openssl cms -cmsout -inform DER -in "$T/stream.cms" -outform DER -out "$T/stream.re.der" 2>/dev/null
check "(the openssl -stream CMS re-encodes to other bytes)" bash -c "! cmp -s '$T/stream.cms' '$T/stream.re.der'"
# tampering is still caught in BER
cp -r "$T/ber" "$T/ber-dg2"
python3 -c "import sys; p=sys.argv[1]; d=bytearray(open(p,'rb').read()); d[len(d)//2]^=1; open(p,'wb').write(d)" "$T/ber-dg2/EF.DG2"
expect_exit 1 "BER chip: a changed DG2 byte fails" "$P" chip verify --csca "$T/ca/csca.cert.pem" "$T/ber-dg2"
check "BER chip: the changed DG2 is named" grep -q '^FAIL EF.DG2 .*hash differs' "$T/.stdout"
# a changed byte of the DG1 hash inside the signed BER LDSSecurityObject
python3 - "$T/stream.sod" "$T/chip.lso.der" "$T/ber-lso.sod" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read()); lso = open(sys.argv[2], 'rb').read()
h = lso[lso.index(b'\x04\x20') + 2:][:32]   # the first hash (DG1)
i = d.index(h); d[i] ^= 1
open(sys.argv[3], 'wb').write(d)
PY
ber_chip ber-lso "$T/ber-lso.sod"
expect_exit 1 "BER chip: a changed hash in the LDSSecurityObject fails" "$P" chip verify --csca "$T/ca/csca.cert.pem" "$T/ber-lso"
check "BER chip: the signature no longer verifies" grep -q '^FAIL EF.SOD .*signature does not verify' "$T/.stdout"
# bytes after the indefinite-length element, and a missing end-of-contents
{ cat "$T/stream.sod"; printf '\x00'; } >"$T/ber-trail.sod"
ber_chip ber-trail "$T/ber-trail.sod"
expect_exit 1 "BER chip: a byte after EF.SOD's end-of-contents fails" "$P" chip verify "$T/ber-trail"
check "BER chip: the trailing byte is named" grep -q '^FAIL EF.SOD (.*): .*byte.* after' "$T/.stdout"
head -c -2 "$T/stream.sod" >"$T/ber-short.sod"
ber_chip ber-short "$T/ber-short.sod"
expect_exit 2 "BER chip: EF.SOD without its end-of-contents is unreadable" "$P" chip verify "$T/ber-short"
# an indefinite length is for EF.SOD only: LDS data groups keep definite lengths
$DER2BER "$T/chip/EF.DG1" "$T/dg1.ber"
ber_chip ber-dg1 "$T/chip/EF.SOD"; cp "$T/dg1.ber" "$T/ber-dg1/EF.DG1"
expect_exit 2 "an indefinite-length DG1 is not an LDS file" "$P" chip verify "$T/ber-dg1"

# --- the Document Signer certificate profile (Doc 9303 Part 12), with certificates
# made by the openssl command line and signed by our CSCA ---
ds_variant() { # name extensions...: a DS folder with an openssl-made certificate
	local d=$T/dsv-$1; shift
	mkdir -p "$d"
	openssl ecparam -name prime256v1 -genkey -noout -out "$d/ds.key.pem" 2>/dev/null
	chmod 600 "$d/ds.key.pem"
	openssl req -new -key "$d/ds.key.pem" -subj "/C=ID/O=Paspor Test Authority/CN=DS test" -out "$d/ds.csr" 2>/dev/null
	printf '%s\n' "$@" >"$d/ext.cnf"
	openssl x509 -req -in "$d/ds.csr" -CA "$T/ca/csca.cert.pem" -CAkey "$T/ca/csca.key.pem" \
		-days 4000 -extfile "$d/ext.cnf" -out "$d/ds.cert.pem" 2>/dev/null
	"$P" chip make --ds "$d" --json "$T/doc.json" --photo "$PHOTO" --out "$T/chipv-$(basename "$d")" >/dev/null 2>&1
}
AKI='authorityKeyIdentifier=keyid:always'
ds_variant good 'keyUsage=critical,digitalSignature' "$AKI" 'subjectKeyIdentifier=hash'
ds_variant ke 'keyUsage=critical,keyEncipherment' "$AKI"
ds_variant noncrit 'keyUsage=digitalSignature' "$AKI"
ds_variant ca 'keyUsage=critical,digitalSignature' 'basicConstraints=critical,CA:TRUE' "$AKI"
ds_variant noku "$AKI"
ds_variant noaki 'keyUsage=critical,digitalSignature' 'authorityKeyIdentifier=none'
ds_variant eku 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=codeSigning' "$AKI"
expect_exit 0 "DS profile: an openssl-made DS with critical digitalSignature passes" \
	"$P" chip verify --csca "$T/ca/csca.cert.pem" "$T/chipv-dsv-good"
check "DS profile: reported as fitting" grep -q '^ok   document signer certificate fits the Doc 9303 Part 12 profile' "$T/.stdout"
profile_refused() { # name reason-regex
	"$P" chip verify --csca "$T/ca/csca.cert.pem" "$T/chipv-dsv-$1" >"$T/v.out" 2>&1
	local rc=$?
	if [ $rc -eq 1 ] && grep -q "^FAIL EF.SOD (.*): document signer certificate breaks the Doc 9303 Part 12 profile: .*$2" "$T/v.out" &&
		grep -q '^ok   document signer certificate chains to the CSCA' "$T/v.out"; then
		ok "DS profile: $1 refused ($2)"
	else
		fail "DS profile: $1 refused ($2)" "exit $rc: $(grep -m2 '^FAIL' "$T/v.out" | tr '\n' ' ')"
	fi
}
profile_refused ke 'keyUsage lacks digitalSignature'
profile_refused ke 'keyUsage also allows keyEncipherment'
profile_refused noncrit 'keyUsage not critical'
profile_refused ca 'basicConstraints cA TRUE'
profile_refused noku 'keyUsage missing'
profile_refused noaki 'authorityKeyIdentifier missing'
profile_refused eku 'extendedKeyUsage present'
# without a CSCA the DS certificate is not judged (nothing authenticates it)
expect_exit 0 "DS profile: not judged without --csca" "$P" chip verify "$T/chipv-dsv-ke"
# the SOD's signing time must lie in the DS certificate's validity: sign with a clock
# before the certificate's notBefore (openssl cms takes the time from the system clock,
# so re-sign our LDSSecurityObject with a DS certificate that starts tomorrow)
mkdir -p "$T/dsv-late"
openssl ecparam -name prime256v1 -genkey -noout -out "$T/dsv-late/ds.key.pem" 2>/dev/null
openssl req -new -key "$T/dsv-late/ds.key.pem" -subj "/C=ID/O=Paspor Test Authority/CN=DS late" -out "$T/dsv-late/ds.csr" 2>/dev/null
printf '%s\n' 'keyUsage=critical,digitalSignature' "$AKI" >"$T/dsv-late/ext.cnf"
# openssl 3.0's x509 has no -not_before: openssl ca sets the dates
mkdir -p "$T/late-ca"; : >"$T/late-ca/index.txt"
cat >"$T/late-ca/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $T/late-ca/index.txt
new_certs_dir = $T/late-ca
default_md = sha256
policy = p
rand_serial = yes
[p]
countryName = supplied
organizationName = optional
commonName = supplied
CNF
openssl ca -batch -notext -config "$T/late-ca/ca.cnf" -cert "$T/ca/csca.cert.pem" -keyfile "$T/ca/csca.key.pem" \
	-startdate "$(date -u -d '+1 day' +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d '+4000 days' +%Y%m%d%H%M%SZ)" \
	-extfile "$T/dsv-late/ext.cnf" -in "$T/dsv-late/ds.csr" -out "$T/dsv-late/ds.cert.pem" >"$T/late.err" 2>&1
check "openssl ca made a DS certificate that starts tomorrow" openssl x509 -in "$T/dsv-late/ds.cert.pem" -noout
openssl cms -sign -binary -nodetach -nosmimecap -md sha256 -econtent_type 2.23.136.1.1.1 \
	-signer "$T/dsv-late/ds.cert.pem" -inkey "$T/dsv-late/ds.key.pem" -inform DER -in "$T/chip.lso.der" \
	-outform DER -out "$T/late.cms" 2>/dev/null
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); n=len(d); open(sys.argv[2],'wb').write(b'\x77\x82'+n.to_bytes(2,'big')+d)" "$T/late.cms" "$T/late.sod"
ber_chip late "$T/late.sod"
"$P" chip verify "$T/late" >"$T/late.out" 2>&1
check "a SOD signed before its DS certificate's validity verifies without --csca" grep -q '^passive authentication passed' "$T/late.out"
"$P" chip verify --csca "$T/ca/csca.cert.pem" "$T/late" >"$T/late.out" 2>&1
check "with --csca, a SOD signing time outside the DS validity is named" grep -q "^FAIL EF.SOD (.*): .*signing time .* is outside the certificate's validity" "$T/late.out"
