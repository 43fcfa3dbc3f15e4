#!/usr/bin/env bash
# paspor pki csca|ds|crl, judged by OpenSSL's own command line: chains verify, the
# certificates show the Part 12 extensions, the CRL verifies and lists the revoked DS,
# keys are private, and bad input is refused with exit 2 naming the option.
#
# Note: OpenSSL 3 `openssl verify` refuses any chain holding an EC key with explicit
# domain parameters (error 94, X509_V_ERR_EC_KEY_EXPLICIT_PARAMS) and has no switch to
# accept it. For the explicit-parameter chain we therefore check that this is the only
# complaint, and verify the DS certificate's signature with `openssl dgst -verify` over
# the TBSCertificate. The RSA chain goes through `openssl verify` unchanged.
SUITE=pki; . "$(dirname "$0")/../lib.sh"

P=$PASPOR

# --- EC (explicit parameters), the default ---
expect_exit 0 "csca IDN (EC) made" "$P" pki csca --country IDN --out "$T/ca"
expect_exit 0 "ds (EC) made" "$P" pki ds --csca "$T/ca" --out "$T/ds"
openssl x509 -in "$T/ca/csca.cert.pem" -noout -text >"$T/ca.txt" 2>&1
openssl x509 -in "$T/ds/ds.cert.pem" -noout -text >"$T/ds.txt" 2>&1

check "csca is v3" grep -q 'Version: 3 (0x2)' "$T/ca.txt"
check "csca signature ecdsa-with-SHA256" grep -q 'Signature Algorithm: ecdsa-with-SHA256' "$T/ca.txt"
check "csca subject C=ID" grep -q 'Subject: C = ID, O = ' "$T/ca.txt"
check "csca issuer = subject" [ "$(openssl x509 -in "$T/ca/csca.cert.pem" -noout -subject | cut -d= -f2-)" = "$(openssl x509 -in "$T/ca/csca.cert.pem" -noout -issuer | cut -d= -f2-)" ]
check "csca key has explicit parameters (field type)" grep -q 'Field Type: prime-field' "$T/ca.txt"
check "csca key has explicit parameters (prime of P-256)" grep -A1 -q 'Prime:' "$T/ca.txt"
check "csca prime is P-256's" bash -c "grep -A3 'Prime:' '$T/ca.txt' | tr -d ' :\n' | grep -q 'Prime00ffffffff00000001000000000000000000000000ffffffffffffffffffffffff'"
check "csca spki has no named curve" bash -c "! grep -q 'ASN1 OID: prime256v1' '$T/ca.txt'"
check "csca KeyUsage critical" grep -A1 -q 'X509v3 Key Usage: critical' "$T/ca.txt"
check "csca KeyUsage = keyCertSign, cRLSign" bash -c "grep -A1 'X509v3 Key Usage: critical' '$T/ca.txt' | grep -qx ' *Certificate Sign, CRL Sign'"
check "csca BasicConstraints critical, CA, pathlen 0" bash -c "grep -A1 'X509v3 Basic Constraints: critical' '$T/ca.txt' | grep -q 'CA:TRUE, pathlen:0'"
check "csca has SubjectKeyIdentifier" grep -q 'X509v3 Subject Key Identifier' "$T/ca.txt"
check "csca has Private Key Usage Period" grep -q 'X509v3 Private Key Usage Period' "$T/ca.txt"
check "csca serial is positive, 20 octets" bash -c "openssl x509 -in '$T/ca/csca.cert.pem' -noout -serial | grep -Eq '^serial=[0-7][0-9A-F]{39}$'"

check "ds KeyUsage critical digitalSignature" bash -c "grep -A1 'X509v3 Key Usage: critical' '$T/ds.txt' | grep -qx ' *Digital Signature'"
check "ds has no BasicConstraints" bash -c "! grep -q 'Basic Constraints' '$T/ds.txt'"
check "ds has the DocumentTypeList extension" grep -q '2.23.136.1.1.6.2' "$T/ds.txt"
check "ds has Private Key Usage Period" grep -q 'X509v3 Private Key Usage Period' "$T/ds.txt"
ca_ski=$(grep -A1 'Subject Key Identifier' "$T/ca.txt" | tail -1 | tr -d ' ')
ds_aki=$(grep -A1 'Authority Key Identifier' "$T/ds.txt" | tail -1 | tr -d ' ' | sed 's/^keyid://')
check "ds AKI = csca SKI" [ -n "$ca_ski" -a "$ca_ski" = "$ds_aki" ]
check "ds issuer = csca subject" [ "$(openssl x509 -in "$T/ds/ds.cert.pem" -noout -issuer | cut -d= -f2-)" = "$(openssl x509 -in "$T/ca/csca.cert.pem" -noout -subject | cut -d= -f2-)" ]
# DocumentTypeList value: SEQUENCE { INTEGER 0, SET { PrintableString "P" } }
dtl_off=$(openssl asn1parse -in "$T/ds/ds.cert.pem" | grep -A1 ':2.23.136.1.1.6.2' | tail -1 | cut -d: -f1 | tr -d ' ')
openssl asn1parse -in "$T/ds/ds.cert.pem" -strparse "$dtl_off" >"$T/dtl.txt" 2>&1
check "DocumentTypeList has version 0" grep -q 'INTEGER *:00' "$T/dtl.txt"
check "DocumentTypeList is a SET" grep -q 'cons: SET' "$T/dtl.txt"
check "DocumentTypeList holds PrintableString P" grep -q 'PRINTABLESTRING *:P$' "$T/dtl.txt"
# Private Key Usage Period of the DS: 90 days
pkup=$(grep -A1 'Private Key Usage Period' "$T/ds.txt" | tail -1)
nb=$(echo "$pkup" | sed 's/.*Not Before: \(.*GMT\), Not After.*/\1/')
na=$(echo "$pkup" | sed 's/.*Not After: \(.*GMT\).*/\1/')
check "ds key usage period is 90 days" [ $(( ($(date -d "$na" +%s) - $(date -d "$nb" +%s)) / 86400 )) -eq 90 ]
ds_end=$(date -d "$(openssl x509 -in "$T/ds/ds.cert.pem" -noout -enddate | cut -d= -f2)" +%s)
ca_end=$(date -d "$(openssl x509 -in "$T/ca/csca.cert.pem" -noout -enddate | cut -d= -f2)" +%s)
check "ds validity ends before the csca's" [ "$ds_end" -le "$ca_end" ]

openssl verify -CAfile "$T/ca/csca.cert.pem" "$T/ds/ds.cert.pem" >"$T/verify.txt" 2>&1
check "openssl verify (EC) complains of the explicit parameters (error 94)" grep -q '^error 94 at 0 depth' "$T/verify.txt"
check "... and of nothing else" [ "$(grep -c '^error [0-9]* at' "$T/verify.txt")" -eq 1 ]
# signature of the DS certificate under the CSCA key, checked by openssl dgst
openssl asn1parse -in "$T/ds/ds.cert.pem" -strparse 4 -noout -out "$T/tbs.der" 2>/dev/null
sig_off=$(openssl asn1parse -in "$T/ds/ds.cert.pem" | tail -1 | cut -d: -f1 | tr -d ' ')
openssl asn1parse -in "$T/ds/ds.cert.pem" -strparse "$sig_off" -noout -out "$T/sig.der" 2>/dev/null
openssl x509 -in "$T/ca/csca.cert.pem" -pubkey -noout >"$T/ca.pub"
check "ds signature verifies under the csca key (openssl dgst)" openssl dgst -sha256 -verify "$T/ca.pub" -signature "$T/sig.der" "$T/tbs.der"
openssl x509 -in "$T/ca/csca.cert.pem" -pubkey -noout >"$T/ca.pub"
openssl x509 -in "$T/ds/ds.cert.pem" -pubkey -noout >"$T/ds.pub"
check "a wrong key does not verify it (openssl dgst)" bash -c "! openssl dgst -sha256 -verify '$T/ds.pub' -signature '$T/sig.der' '$T/tbs.der'"
check "ds key matches ds cert" [ "$(openssl pkey -in "$T/ds/ds.key.pem" -pubout)" = "$(cat "$T/ds.pub")" ]
check "ds folder holds the csca certificate" cmp -s "$T/ds/csca.cert.pem" "$T/ca/csca.cert.pem"
check "csca key is PKCS#8" [ "$(head -1 "$T/ca/csca.key.pem")" = '-----BEGIN PRIVATE KEY-----' ]
check "csca key mode 0600" [ "$(stat -c %a "$T/ca/csca.key.pem")" = 600 ]
check "ds key mode 0600" [ "$(stat -c %a "$T/ds/ds.key.pem")" = 600 ]

# --- CRL ---
expect_exit 0 "crl without revocations" "$P" pki crl --csca "$T/ca"
check "crl path printed" grep -qx "$T/ca/crl.pem" "$T/.stdout"
expect_exit 0 "crl revoking the ds" "$P" pki crl --csca "$T/ca" --revoke "$T/ds/ds.cert.pem"
ds_serial=$(openssl x509 -in "$T/ds/ds.cert.pem" -noout -serial | cut -d= -f2)
openssl crl -in "$T/ca/crl.pem" -CAfile "$T/ca/csca.cert.pem" -verify -noout -text >"$T/crl.txt" 2>&1
check "openssl crl -verify accepts the crl" grep -q 'verify OK' "$T/crl.txt"
check "crl is v2" grep -q 'Version 2 (0x1)' "$T/crl.txt"
check "crl lists the revoked ds serial" grep -q "Serial Number: $ds_serial" "$T/crl.txt"
check "crl has an AKI" grep -q 'Authority Key Identifier' "$T/crl.txt"
check "crl has CRL number 2" bash -c "grep -A1 'CRL Number' '$T/crl.txt' | grep -qx ' *2'"
expect_exit 0 "crl again, no new revocation" "$P" pki crl --csca "$T/ca"
openssl crl -in "$T/ca/crl.pem" -noout -text >"$T/crl2.txt" 2>&1
check "revocation accumulates" grep -q "Serial Number: $ds_serial" "$T/crl2.txt"
check "crl number 3" bash -c "grep -A1 'CRL Number' '$T/crl2.txt' | grep -qx ' *3'"
openssl verify -crl_check -CAfile "$T/ca/csca.cert.pem" -CRLfile "$T/ca/crl.pem" "$T/ds/ds.cert.pem" >"$T/verify-crl.txt" 2>&1
check "openssl verify -crl_check is not fooled" bash -c "! grep -q ': OK' '$T/verify-crl.txt'"

# --- RSA ---
expect_exit 0 "csca UTO (RSA) made" "$P" pki csca --country UTO --rsa --out "$T/rca"
expect_exit 0 "ds (RSA, from the csca) made" "$P" pki ds --csca "$T/rca" --out "$T/rds"
check "openssl verify accepts the RSA chain" openssl verify -CAfile "$T/rca/csca.cert.pem" "$T/rds/ds.cert.pem"
check "RSA-3072 key" bash -c "openssl x509 -in '$T/rds/ds.cert.pem' -noout -text | grep -q 'Public-Key: (3072 bit)'"
check "sha256WithRSAEncryption" bash -c "openssl x509 -in '$T/rds/ds.cert.pem' -noout -text | grep -q 'Signature Algorithm: sha256WithRSAEncryption'"
check "UTO maps to C=UT" bash -c "openssl x509 -in '$T/rca/csca.cert.pem' -noout -subject | grep -q 'C = UT'"
expect_exit 0 "rsa crl" "$P" pki crl --csca "$T/rca" --revoke "$T/rds/ds.cert.pem"
check "openssl crl -verify accepts the RSA crl" bash -c "openssl crl -in '$T/rca/crl.pem' -CAfile '$T/rca/csca.cert.pem' -verify -noout 2>&1 | grep -q 'verify OK'"
openssl verify -crl_check -CAfile "$T/rca/csca.cert.pem" -CRLfile "$T/rca/crl.pem" "$T/rds/ds.cert.pem" >"$T/v.txt" 2>&1
check "openssl verify -crl_check says revoked" grep -q 'certificate revoked' "$T/v.txt"
expect_exit 1 "revoking a certificate of another csca fails" "$P" pki crl --csca "$T/rca" --revoke "$T/ds/ds.cert.pem"
check "... naming the file" grep -q "ds.cert.pem' was not issued by this csca" "$T/.stderr"

# --- bad input ---
expect_exit 2 "unknown country" "$P" pki csca --country XXX --out "$T/x1"
check "... names --country" grep -q -- "--country 'XXX'" "$T/.stderr"
expect_exit 2 "missing --country" "$P" pki csca --out "$T/x1"
check "... names --country" grep -q -- "--country is required" "$T/.stderr"
expect_exit 2 "missing --out" "$P" pki csca --country IDN
check "... names --out" grep -q -- "--out is required" "$T/.stderr"
expect_exit 2 "--key-days 0" "$P" pki csca --country IDN --out "$T/x1" --key-days 0
check "... names --key-days" grep -q -- "--key-days '0'" "$T/.stderr"
expect_exit 2 "--key-days huge" "$P" pki csca --country IDN --out "$T/x1" --key-days 99999999999999
check "... names --key-days" grep -q -- "--key-days" "$T/.stderr"
expect_exit 2 "ds --key-days 0" "$P" pki ds --csca "$T/ca" --out "$T/x2" --key-days 0
expect_exit 2 "ds --key-days 365 (over 3 months)" "$P" pki ds --csca "$T/ca" --out "$T/x2" --key-days 365
check "... names --key-days" grep -q -- "--key-days '365'" "$T/.stderr"
expect_exit 2 "ds --days shorter than key days" "$P" pki ds --csca "$T/ca" --out "$T/x2" --days 10
check "... names --days" grep -q -- "--days 10" "$T/.stderr"
expect_exit 2 "ds --days beyond the csca" "$P" pki ds --csca "$T/ca" --out "$T/x2" --days 14000
check "... says it would outlive the csca" grep -q "outlive" "$T/.stderr"
check "no key left behind" [ ! -e "$T/x2/ds.key.pem" ]
expect_exit 2 "existing csca key without --force" "$P" pki csca --country IDN --out "$T/ca"
check "... names --force" grep -q -- "--force" "$T/.stderr"
check "... key unchanged" bash -c "openssl pkey -in '$T/ca/csca.key.pem' -pubout | cmp -s - '$T/ca.pub'"
expect_exit 2 "existing ds key without --force" "$P" pki ds --csca "$T/ca" --out "$T/ds"
expect_exit 0 "existing ds key with --force" "$P" pki ds --csca "$T/ca" --out "$T/ds" --force
expect_exit 2 "csca folder missing" "$P" pki ds --csca "$T/nowhere" --out "$T/x3"
check "... names --csca" grep -q -- "--csca '$T/nowhere'" "$T/.stderr"
expect_exit 2 "crl: csca folder missing" "$P" pki crl --csca "$T/nowhere"
check "... names --csca" grep -q -- "--csca" "$T/.stderr"
expect_exit 2 "ds without --out" "$P" pki ds --csca "$T/ca"
check "... names --out" grep -q -- "--out is required" "$T/.stderr"
# a request whose key is below the Document Signer profile (openssl-made RSA-1024)
openssl req -new -newkey rsa:1024 -nodes -keyout "$T/small.key" -subj "/CN=small" -out "$T/small.csr" 2>/dev/null
expect_exit 2 "ds --csr with an RSA-1024 key is refused (Part 12 profile)" "$P" pki ds --csca "$T/ca" --csr "$T/small.csr" --out "$T/x5"
check "... names the key size" grep -q "breaks the Doc 9303 Part 12 profile: RSA key of 1024 bits" "$T/.stderr"
check "... no certificate written" [ ! -e "$T/x5/ds.cert.pem" ]
chmod 644 "$T/ca/csca.key.pem"
expect_exit 2 "csca key open to others is refused" "$P" pki ds --csca "$T/ca" --out "$T/x4"
check "... says so" grep -q "group or others" "$T/.stderr"
expect_exit 0 "pki --help" "$P" pki --help
expect_exit 0 "pki csca --help" "$P" pki csca --help
check "... shows usage" grep -q "usage: paspor pki csca" "$T/.stdout"
expect_exit 0 "pki ds --help" "$P" pki ds --help
expect_exit 0 "pki crl --help" "$P" pki crl --help
check "no sanitizer report" no_sanitizer_report "$T/.stderr"
