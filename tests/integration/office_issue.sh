#!/usr/bin/env bash
# Issuance over HTTP only (issue 6): applicants taken from a walk-in to 'issued' —
# personalization with EF.SOD signed by `paspor signer` (SoftHSM2 token set up here),
# print job in the spool, quality check, hand-over (holder and proxy), one through a
# spoiled booklet; downloads judged by `paspor chip verify --csca`, `openssl cms -verify`,
# pdftotext and the PNG's header; refusals: unconfirmed stock, the approver, the
# personalizer as checker, signer down, a DS key outside its usage period; concurrent
# personalizations never share a booklet.
SUITE=office_issue; . "$(dirname "$0")/../lib.sh"; . "$(dirname "$0")/../lib_office.sh"
. "$(dirname "$0")/../lib_signer.sh"
office_setup
JPEG=${PASPOR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/data/face-synthetic.jpg
# an adjudicator who may also print and hand over: the approver of one application
OFFICER_ROLES[supiss]=adjudicator,printer_operator,issuing_officer
# one person who may print and hand over: never both for one passport
OFFICER_ROLES[prniss]=printer_operator,issuing_officer
office_add_officers "$OFFICERS supiss prniss"
signer_setup X0000001 30 || exit 0
# the print command: a stand-in printer that keeps what it was sent
printf '#!/bin/sh\n[ $# -eq 3 ] && [ "$1" = --copies ] && cp "$3" "%s/printed-$(basename "$(dirname "$3")").pdf"\n' "$T" >"$T/print.sh"
chmod 755 "$T/print.sh"
office_conf "issuance.print_command=[\"$T/print.sh\", \"--copies\", \"1\"]"
office_start issue PASPOR_TEST_ROUTES=1
signer_start
login_all "reg int adj prn iss cus cus2 aud supiss prniss csh"
# a day report while the signer runs and has signed nothing: its first page of signatures
# is empty (a memcpy from that empty list once stopped the test build's server)
api POST "/api/v1/days/$(TZ=Asia/Jakarta date +%F)/report" '{"counted":[]}' --as adj
check "a day report before any signature answers 200" [ "$CODE" = 200 ]
check "... and the server still runs" kill -0 "$PID"

declare -A AID
# to_paid LABEL N [APPROVER]: a walk-in for an electronic passport taken to 'paid'
to_paid() {
	local l=$1 n=$2 appr=${3:-adj} type=${4:-electronic-48} id
	api POST /api/v1/walk-ins "$(pyu person "$n" F - - passport_type=$type ${PERSON_EXTRA:-})" --as reg
	id=$(jget application_id); AID[$l]=$id
	local ok=1 s fee=65000000
	[ "$type" = ordinary-48 ] && fee=35000000 # the default configuration's fees
	for s in "reg POST /check-in" "reg POST /documents DOCS" "reg PUT /photo PHOTO" \
		"reg POST /enrolment ENROL" "int POST /interview NOTES" "$appr POST /watchlist-check {}" \
		"$appr POST /decision DECIDE" "reg POST /payment PAY" "csh POST /payment/confirm NTPN"; do
		set -- $s
		local who=$1 m=$2 p=$3 b=${4:-} args=()
		case $b in
		DOCS) args=('{"identity_card":{"status":"checked"},"family_card":{"status":"checked"},"civil_record":{"status":"checked"},"old_passport":{"status":"missing","note":"first passport"}}') ;;
		PHOTO) args=(--file "$JPEG" --ct image/jpeg) ;;
		ENROL) args=("$(pyu enrol-body "${ENROL_NAME:-$n}")") ;;
		NOTES) args=('{"notes":"wawancara lancar"}') ;;
		DECIDE) args=('{"decision":"approve","reasons":["dokumen lengkap"]}') ;;
		PAY) args=("{\"billing_code\":\"8202611290$n\",\"amount\":$fee,\"currency\":\"IDR\",\"billed_on\":\"$(date -d yesterday +%F)\"}") ;;
		NTPN) [ "${PAY_STATUS:-confirmed}" = confirmed ] || continue
			args=("{\"billing_code\":\"8202611290$n\",\"ntpn\":\"$(printf 'NTPN%012d' "$n")\"}") ;;
		'{}') args=('{}') ;;
		esac
		api "$m" "/api/v1/applications/$id$p" "${args[@]}" --as "$who"
		case $CODE in 2*) ;; *) ok=0; fail "$l: $m $p ($who)" "status $CODE: $(short_body)"; break ;; esac
	done
	[ $ok = 1 ] && ok "$l: walk-in to paid"
}
# counts: the workflow's guard runs and application row reads so far (a test route)
counts() {
	curl -s "$OFF/api/v1/test/workflow-counts" |
		"$PY" -c 'import json,sys; j=json.load(sys.stdin); print(j["guard_runs"], j["row_reads"])'
}
# once STEP BEFORE: since BEFORE (counts), one guard ran and one row was read: the
# operation's, whose pass and row the projection of its event took (issue 14)
once() {
	local now; now=$(counts)
	check "$1: its guard ran once and its application's row was read once" \
		[ "$((${now% *} - ${2% *})) $((${now#* } - ${2#* }))" = "1 1" ]
}
# app LABEL METHOD PATH [BODY] --as WHO
app() { local l=$1 m=$2 p=$3; shift 3; api "$m" "/api/v1/applications/${AID[$l]}$p" "$@"; }
pw_body() { # [COLLECTED_BY] [PROXY_JSON] [PASSWORD]
	local by=${1:-holder} proxy=${2:-} pw=${3:-$OFFICER_PW}
	B_="$BOOKLET" C_="$by" P_="$proxy" W_="$pw" "$PY" -c 'import json,os
b={"booklet":os.environ["B_"],"collected_by":os.environ["C_"],"password":os.environ["W_"]}
if os.environ["P_"]: b["proxy"]=json.loads(os.environ["P_"])
print(json.dumps(b))'
}
stock() { sqlite3 "$D/paspor.db" "SELECT count(*) FROM booklets WHERE state = '$1'"; }
# spoil_body BOOKLET REASON [WITNESS]: spoil-and-redo's body; the witness (default the
# booklet custodian cus) re-enters their password
spoil_body() {
	printf '{"booklet":"%s","reason":"%s","witness":{"username":"%s","password":"%s"}}' \
		"$1" "$2" "${3:-cus}" "$OFFICER_PW"
}

to_paid A1 301
to_paid A2 302
to_paid A3 303

# ---- stock not confirmed by a second officer: nothing to personalize on
app A1 POST /personalize '{}' --as prn
expect_problem "personalize before the range is confirmed: 409 no-stock" 409
check "... the problem names no-stock" grep -q 'no-stock' "$T/body"
api POST /api/v1/booklets/ranges/X0000001/confirm '{}' --as cus
expect_status "custodian confirms the range received by the CLI" 200 201

# ---- A1: personalize, check, hand over to the holder
app A1 POST /personalize '{}' --as adj
expect_problem "an adjudicator cannot personalize (role)" 403
C0=$(counts)
app A1 POST /personalize '{}' --as prn
expect_status "A1 personalized" 201
once "A1's personalization" "$C0"
check "A1 on booklet X0000001, print job printed" [ "$(jget booklet) $(jget print_job status)" = "X0000001 printed" ]
check "A1 has a chip" grep -q '"chip": *true' "$T/body"
check "the print command got the job's PDF (its arguments, then the path)" cmp -s "$T/printed-X0000001-${AID[A1]}.pdf" "$D/spool/X0000001-${AID[A1]}/data-page.pdf"
JOB=$D/spool/X0000001-${AID[A1]}
check "A1's print job is in the spool with the PDF and the chip files" bash -c "for f in job.json data-page.pdf EF.COM EF.DG1 EF.DG2 EF.SOD; do [ -s '$JOB/'\$f ] || exit 1; done"
check "job.json lists each file's SHA-256" "$PY" -c "
import json,hashlib,sys
j=json.load(open('$JOB/job.json'))
assert j['format']=='paspor-print-job/1' and j['booklet']=='X0000001'
for n,f in j['files'].items():
    assert hashlib.sha256(open('$JOB/'+n,'rb').read()).hexdigest()==f['sha256'], n"
app A1 POST /personalize '{}' --as prn
expect_problem "A1 personalized twice: 409" 409
app A1 POST /hand-over "$(BOOKLET=X0000001 pw_body)" --as iss
expect_problem "hand-over before the quality check: 409" 409
app A1 POST /quality-check '{"print_ok":true}' --as prn
expect_problem "the officer who personalized cannot quality-check (403)" 403
app A1 POST /quality-check '{"print_ok":"yes"}' --as iss
expect_problem "quality check with print_ok not a boolean: 422" 422
C0=$(counts)
app A1 POST /quality-check '{"print_ok":true}' --as iss
expect_status "A1 quality check" 200
once "A1's quality check" "$C0"
check "A1 passed its quality check (no failures)" [ "$(jget result) $(jget state)" = "passed quality_checked" ]

# downloads, judged outside Paspor
mkdir -p "$T/chip"
for f in EF.COM EF.DG1 EF.DG2 EF.SOD; do
	app A1 GET "/chip/$f" --as iss
	expect_status "download $f" 200
	cp "$T/body" "$T/chip/$f"
done
expect_exit 0 "paspor chip verify --csca on the downloaded chip files" "$PASPOR" chip verify --csca "$T/ca/csca.cert.pem" "$T/chip"
hl=$(openssl asn1parse -inform DER -in "$T/chip/EF.SOD" | head -1 | sed 's/.*hl=\([0-9]*\).*/\1/')
tail -c +$((hl + 1)) "$T/chip/EF.SOD" >"$T/sod.der"
check "openssl cms -verify (signature) on the downloaded EF.SOD" openssl cms -verify -noverify -inform DER -in "$T/sod.der" -out /dev/null
openssl cms -verify -CAfile "$T/ca/csca.cert.pem" -inform DER -in "$T/sod.der" -out /dev/null >"$T/cmsv.txt" 2>&1
check "openssl cms -verify -CAfile: verified, or only explicit EC parameters refused (docs/PKI.md)" bash -c "grep -q 'Verification successful' '$T/cmsv.txt' || grep -q 'explicit ECC parameters' '$T/cmsv.txt'"
app A1 GET /data-page.pdf --as iss
expect_status "download data-page.pdf" 200
cp "$T/body" "$T/page.pdf"
app A1 GET /data-page.png --as iss
expect_status "download data-page.png" 200
cp "$T/body" "$T/page.png"
check "the PNG is 1476 x 1039 pixels (125 x 88 mm at 300 dpi)" "$PY" -c "
import struct
b=open('$T/page.png','rb').read(33)
assert b[:8]==b'\x89PNG\r\n\x1a\n' and struct.unpack('>II', b[16:24])==(1476,1039)"
"$PY" -c "
d=open('$T/chip/EF.DG1','rb').read()
i=d.index(b'\x5f\x1f'); n=d[i+2]; m=d[i+3:i+3+n].decode()
print(m[:44]); print(m[44:])" >"$T/dg1.txt"
if command -v pdftotext >/dev/null; then
	pdftotext "$T/page.pdf" "$T/page.txt" 2>/dev/null
	check "DG1's MRZ line 1 is on the data page (pdftotext)" grep -qxF "$(sed -n 1p "$T/dg1.txt")" "$T/page.txt"
	check "DG1's MRZ line 2 is on the data page (pdftotext)" grep -qxF "$(sed -n 2p "$T/dg1.txt")" "$T/page.txt"
else
	fail "pdftotext installed (poppler-utils, scripts/deps.sh)"
fi
check "DG1's MRZ: a passport of IDN" bash -c "sed -n 1p '$T/dg1.txt' | grep -q '^P<IDN'"
check "DG1's MRZ: line 2 starts with the booklet number X0000001" bash -c "sed -n 2p '$T/dg1.txt' | grep -q '^X0000001'"

# a booklet that passed its check is not spoiled (and redone) by one officer: not on the
# stock route, not without a second officer
api POST /api/v1/booklets/X0000001/spoil '{"reason":"misprint","app":"'"${AID[A1]}"'"}' --as prn
expect_problem "the stock route does not spoil a personalized booklet (409)" 409
app A1 POST /spoil '{"booklet":"X0000001","reason":"misprint"}' --as prn
expect_problem "spoil-and-redo without a witness: 422" 422
app A1 POST /spoil "$(spoil_body X0000001 misprint prn)" --as prn
expect_problem "... with oneself as witness: 403 separation-of-duties" 403 separation-of-duties
app A1 POST /spoil "$(spoil_body X0000001 misprint iss)" --as prn
expect_problem "... with a witness who is neither custodian nor supervisor: 403" 403
check "A1 is still quality_checked on X0000001" [ "$(sqlite3 "$D/paspor.db" "SELECT a.state || ' ' || i.booklet FROM applications a JOIN issuance i ON i.app = a.id WHERE a.id = '${AID[A1]}'")" = "quality_checked X0000001" ]
app A1 POST /hand-over "$(BOOKLET=X0000001 pw_body holder '' 'not my password')" --as iss
expect_problem "hand-over with a wrong password (identity not re-confirmed): 403" 403
app A1 POST /hand-over "$(BOOKLET=X0000002 pw_body)" --as iss
expect_problem "hand-over naming another booklet: 409" 409
C0=$(counts)
app A1 POST /hand-over "$(BOOKLET=X0000001 pw_body)" --as iss
expect_status "A1 handed over to the holder" 200
once "A1's hand-over" "$C0"
check "A1 is issued" [ "$(jget state)" = issued ]
check "A1's print job (personal data in clear) left the spool at hand-over" [ ! -e "$JOB" ]
app A1 POST /hand-over "$(BOOKLET=X0000001 pw_body)" --as iss
expect_problem "handed over twice: 409" 409
app A1 POST /spoil "$(spoil_body X0000001 misprint)" --as prn
expect_problem "after the hand-over no spoil, even with a witness (409)" 409
api POST /api/v1/booklets/X0000001/spoil '{"reason":"misprint"}' --as cus
expect_problem "... nor on the stock route (409)" 409

# ---- A2: a faulty print, spoil and redo on a new booklet, a proxy collects
avail=$(stock available)
app A2 POST /personalize '{"surname":"FORGED","given_names":"NOBODY"}' --as prn
expect_problem "a name in the personalize body is refused (422): the approved name is printed" 422
check "... and no booklet is taken" [ "$(stock available)" = "$avail" ]
app A2 POST /personalize '{}' --as prn
expect_status "A2 personalized" 201
check "A2 on X0000002" [ "$(jget booklet)" = X0000002 ]
app A2 POST /quality-check '{"print_ok":false}' --as iss
expect_status "A2 quality check recorded" 200
check "A2 failed its quality check (the print)" [ "$(jget result) $(jget state)" = "failed qc_failed" ]
check "... and the answer offers spoil and redo" grep -q '"next": *"POST /api/v1/applications/[A-Z0-9]*/spoil' "$T/body"
app A2 POST /hand-over "$(BOOKLET=X0000002 pw_body)" --as iss
expect_problem "a failed quality check blocks hand-over (409)" 409
app A2 POST /spoil '{"booklet":"X0000002"}' --as prn
expect_problem "spoil without a reason: 422" 422
C0=$(counts)
app A2 POST /spoil "$(spoil_body X0000002 'tinta luntur di halaman data')" --as prn
expect_status "A2's booklet spoiled with the custodian as witness, application back to paid" 200
once "A2's spoil-and-redo" "$C0"
check "... the answer names the witness" [ "$(jget witness)" = cus ]
check "A2 is paid again" [ "$(jget state)" = paid ]
check "the spoiled booklet's print job left the spool" [ ! -e "$D/spool/X0000002-${AID[A2]}" ]
api GET /api/v1/booklets/X0000002 --as cus
check "booklet X0000002 is spoiled" grep -q '"spoiled"' "$T/body"
app A2 POST /personalize '{}' --as prn
expect_status "A2 personalized again" 201
check "A2 now on a new booklet X0000003" [ "$(jget booklet)" = X0000003 ]
app A2 POST /quality-check '{"print_ok":true}' --as iss
check "A2's second quality check passed" [ "$CODE $(jget result)" = "200 passed" ]
app A2 POST /hand-over "$(BOOKLET=X0000003 pw_body proxy '{"name":"Budi Santoso"}')" --as iss
expect_problem "a proxy without identity and power of attorney: 422" 422
app A2 POST /hand-over "$(BOOKLET=X0000003 pw_body proxy '{"name":"Budi Santoso","nik":"'"$(pyu person 399 M - - | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["nik"])')"'","power_of_attorney":"SK-2026/11/0042"}')" --as iss
expect_status "A2 collected by a proxy with a power of attorney" 200
app A2 GET '' --as aud
check "A2's record shows the proxy collection on X0000003" "$PY" -c "
import json; a=json.load(open('$T/body')); i=a['issuance']
assert a['state']=='issued' and i['booklet']=='X0000003' and i['collected_by']=='proxy' and i['attempts']==2, i"

# ---- A3: straight through; uncollected list before the hand-over
app A3 POST /personalize '{}' --as prn
expect_status "A3 personalized" 201
B3=$(jget booklet)
# a print job changed in the spool, job.json made to agree: the check is not fooled
J3=$D/spool/$B3-${AID[A3]}
"$PY" - "$J3" <<'PYEOF'
import hashlib, json, sys
d = sys.argv[1]
pdf = bytearray(open(d + "/data-page.pdf", "rb").read())
i = pdf.index(b"SAMARINDA") if b"SAMARINDA" in pdf else len(pdf) // 2
pdf[i] ^= 1
open(d + "/data-page.pdf", "wb").write(pdf)
j = json.load(open(d + "/job.json"))
j["files"]["data-page.pdf"]["sha256"] = hashlib.sha256(pdf).hexdigest()
json.dump(j, open(d + "/job.json", "w"))
PYEOF
app A3 POST /quality-check '{"print_ok":true}' --as iss
check "a changed PDF (with a matching job.json): the quality check answers 200" [ "$CODE" = 200 ]
check "... and fails it: the page is not the one the record makes" grep -q 'not the one the record makes' "$T/body"
app A3 POST /spoil "$(spoil_body "$B3" 'berkas cetak diubah' cus2)" --as prn
expect_status "A3's booklet spoiled after the failed check" 200
app A3 POST /personalize '{}' --as prn
expect_status "A3 personalized again" 201
B3=$(jget booklet)
app A3 POST /print-job '{}' --as prn
expect_status "A3's print job made again (POST print-job)" 200
check "... queued or printed" bash -c "grep -Eq '\"status\": *\"(queued|printed)\"' '$T/body'"
app A3 POST /quality-check '{"print_ok":true}' --as iss
expect_status "A3 quality check" 200
check "A3 passed" [ "$(jget result)" = passed ]
api GET '/api/v1/issuance/uncollected?days=0' --as iss
check "A3 is listed as not collected (days=0)" grep -q "${AID[A3]}" "$T/body"
api GET '/api/v1/issuance/uncollected' --as iss
check "... but not yet after the configured 30 days" bash -c "! grep -q '${AID[A3]}' '$T/body'"
app A3 POST /hand-over "$(BOOKLET=$B3 pw_body)" --as iss
expect_status "A3 handed over" 200

# ---- a one-word name is the primary identifier alone (SUKARNO<<), as approved; a
# changed EF.DG1 in the print job (its hash in job.json made to agree) fails the check
PERSON_EXTRA="full_name=Sukarno" ENROL_NAME=Sukarno to_paid S1 333
app S1 GET '' --as aud
check "S1: the approved MRZ name is SUKARNO<< and fillers" [ "$(jget name approved_mrz_name)" = "SUKARNO$(printf '<%.0s' $(seq 32))" ]
app S1 POST /personalize '{}' --as prn
expect_status "S1 personalized" 201
BS=$(jget booklet)
app S1 GET /chip/EF.DG1 --as iss
"$PY" -c "
d=open('$T/body','rb').read()
i=d.index(b'\x5f\x1f'); n=d[i+2]; print(d[i+3:i+3+n].decode()[:44])" >"$T/s1.txt"
check "S1: EF.DG1's first line is P<IDNSUKARNO<< and fillers" [ "$(cat "$T/s1.txt")" = "P<IDNSUKARNO$(printf '<%.0s' $(seq 32))" ]
"$PY" - "$D/spool/$BS-${AID[S1]}" <<'PYEOF'
import hashlib, json, sys
d = sys.argv[1]
dg1 = open(d + "/EF.DG1", "rb").read().replace(b"SUKARNO", b"FORGEDX")
open(d + "/EF.DG1", "wb").write(dg1)
j = json.load(open(d + "/job.json"))
j["files"]["EF.DG1"]["sha256"] = hashlib.sha256(dg1).hexdigest()
json.dump(j, open(d + "/job.json", "w"))
PYEOF
app S1 POST /quality-check '{"print_ok":true}' --as iss
check "a print job whose EF.DG1 names another person: the check is recorded (200)" [ "$CODE" = 200 ]
check "... and failed" [ "$(jget result)" = failed ]
check "... because EF.DG1's name is not the approved one" grep -q "EF.DG1's name is not the approved one" "$T/body"

# ---- validity by age: a child (ten years old) gets 5 years, an adult 10 (A1 above)
PERSON_EXTRA="nik= identity={\"type\":\"pp\",\"state\":\"nld\",\"number\":\"NX7770001\"} birth_date=$(date -d '-10 years' +%F)" to_paid M1 308
app M1 POST /personalize '{}' --as prn
expect_status "a child's passport is personalized" 201
I=$(jget issue_date); X=$(jget expiry_date)
TODAYS="$(date -d yesterday +%F) $(date +%F) $(date -d tomorrow +%F)" # the office's zone may differ
check "... valid 5 years ($I to $X; exact dates: unit test issue_expiry_*)" [ "${X:0:4}" = $(( ${I:0:4} + 5 )) ]
check "... issued today ($I, one of $TODAYS)" grep -qxF -- "$I" <<<"${TODAYS// /$'\n'}"
app A1 GET '' --as aud
I=$(jget issuance issue_date); X=$(jget issuance expiry_date)
check "A1 (an adult) got 10 years ($I to $X)" [ "${X:0:4}" = $(( ${I:0:4} + 10 )) ]

# ---- a payment not yet confirmed: no personalization (payment.personalize_on_pending false)
PAY_STATUS=pending to_paid P1 309
app P1 POST /personalize '{}' --as prn
expect_problem "a pending payment is refused (409 payment-pending)" 409
check "... saying so" grep -q 'payment-pending' "$T/body"

# ---- a passport without a chip (ordinary-48): no signature, no chip files
nsig=$(sqlite3 "$D/signer/paspor.db" "SELECT count(*) FROM events WHERE kind = 'signer.signed'")
to_paid N1 307 adj ordinary-48
app N1 POST /personalize '{}' --as prn
expect_status "a passport without a chip is personalized" 201
BN=$(jget booklet)
check "... chip false" grep -q '"chip": *false' "$T/body"
check "... its print job has the PDF" [ -s "$D/spool/$BN-${AID[N1]}/data-page.pdf" ]
check "... and no chip files" [ ! -e "$D/spool/$BN-${AID[N1]}/EF.SOD" ]
check "... and the signer was not asked" [ "$(sqlite3 "$D/signer/paspor.db" "SELECT count(*) FROM events WHERE kind = 'signer.signed'")" = "$nsig" ]
app N1 GET /chip/EF.SOD --as iss
expect_problem "no chip files to download (404)" 404
app N1 GET /data-page.pdf --as iss
expect_status "its data page downloads" 200
app N1 POST /quality-check '{"print_ok":true}' --as iss
check "its quality check (page only) passes" [ "$CODE $(jget result)" = "200 passed" ]
app N1 POST /hand-over "$(BOOKLET=$BN pw_body)" --as iss
expect_status "handed over" 200

# ---- a booklet the signer signed but the office never recorded (a personalization
# interrupted after the signature, or a chip signed outside the office): the office
# answers 409 saying what to do, spoils nothing, and the day close shows an alarm
to_paid A6 306
NEXT=$(sqlite3 "$D/paspor.db" "SELECT min(number) FROM booklets WHERE state = 'available'")
TODAY=$(TZ=Asia/Jakarta date +%F)
api POST "/api/v1/days/$TODAY/report" '{"counted":[]}' --as adj
check "before: the day report answers 200" [ "$CODE" = 200 ]
check "... with no signer alarm" grep -q '"alarm": *false' "$T/body"
EXP=$(date -d "$TODAY + 5 years" +%F)
printf '{"document_code":"P","issuing_state":"IDN","surname":"UJI","given_names":"","document_number":"%s","nationality":"IDN","birth_date":"1990-01-01","sex":"F","expiry_date":"%s"}' "$NEXT" "$EXP" >"$T/doc.json"
expect_exit 0 "the signer signs $NEXT for another caller (paspor signer chip)" "$PASPOR" signer chip --socket "$D/signer/signer.sock" --app AINTERRUPTED --booklet "$NEXT" --json "$T/doc.json" --photo "$JPEG" --out "$T/stray" --issue-date "$TODAY"
app A6 POST /personalize '{}' --as prn
expect_problem "personalization on $NEXT is refused (409), not silently spoiled" 409
check "... saying the signature was never recorded" grep -q "booklet $NEXT already carries a signature this office never recorded" "$T/body"
check "... and what to do (set aside, report, spoil)" grep -q "spoil it (POST /api/v1/booklets/$NEXT/spoil)" "$T/body"
check "$NEXT is still available in the office's stock (not spoiled)" [ "$(sqlite3 "$D/paspor.db" "SELECT state FROM booklets WHERE number = '$NEXT'")" = available ]
api POST "/api/v1/days/$TODAY/report" '{"counted":[]}' --as adj
check "the day report raises the alarm" grep -q '"alarm": *true' "$T/body"
check "... listing $NEXT signed for AINTERRUPTED" bash -c "$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); u=r[\"signer\"][\"unrecorded\"]; sys.exit(0 if r[\"signer\"][\"unrecorded_count\"] == 1 and u[0][\"booklet\"] == sys.argv[2] and u[0][\"app\"] == \"AINTERRUPTED\" else 1)' '$T/body' '$NEXT'"
api POST "/api/v1/booklets/$NEXT/spoil" '{"reason":"signed by the signer, not recorded by the office"}' --as prn
expect_status "the operator spoils $NEXT as told" 200
app A6 POST /personalize '{}' --as prn
expect_status "then personalization succeeds on the booklet after it" 201
check "... not on $NEXT" [ "$(jget booklet)" != "$NEXT" ]
check "... on a booklet" [ -n "$(jget booklet)" ]
api POST "/api/v1/days/$TODAY/report" '{"counted":[]}' --as adj
check "the alarm stays in the day's report (the signature is still unrecorded)" grep -q '"alarm": *true' "$T/body"

# ---- separation of duties: the approver neither personalizes nor hands over
totp_code supiss
to_paid A4 304 supiss
app A4 POST /personalize '{}' --as supiss
expect_problem "the officer who approved cannot personalize (403)" 403
check "... separation-of-duties problem" grep -q 'separation' "$T/body"
app A4 POST /personalize '{}' --as prn
expect_status "A4 personalized by another officer" 201
B4=$(jget booklet)
app A4 POST /quality-check '{"print_ok":true}' --as iss
totp_code supiss
B_="$B4" W_="$OFFICER_PW" C_="$TOTP_CODE" "$PY" -c 'import json,os; print(json.dumps({"booklet":os.environ["B_"],"collected_by":"holder","password":os.environ["W_"],"totp":os.environ["C_"]}))' >"$T/ho.json"
app A4 POST /hand-over "$(cat "$T/ho.json")" --as supiss
expect_problem "the officer who approved cannot hand over (403)" 403

# ---- one person holding both roles neither personalizes and hands over the same passport
to_paid A7 334
app A7 POST /personalize '{}' --as prniss
expect_status "A7 personalized by an officer who may also hand over" 201
B7=$(jget booklet)
app A7 POST /quality-check '{"print_ok":true}' --as iss
expect_status "A7 checked by another officer" 200
app A7 POST /hand-over "$(BOOKLET=$B7 pw_body)" --as prniss
expect_problem "the officer who personalized cannot hand over (403)" 403 separation-of-duties
app A7 POST /hand-over "$(BOOKLET=$B7 pw_body)" --as iss
expect_status "another issuing officer hands A7 over" 200

# ---- the signer down, then a DS key outside its usage period: refused, no booklet used
to_paid A5 305
avail=$(stock available)
signer_stop
app A5 POST /personalize '{}' --as prn
expect_problem "signer not running: 503 signer-unavailable" 503
check "... no booklet taken ($avail available)" [ "$(stock available)" = "$avail" ]
# a certificate whose private key usage period ended yesterday (the token's key)
gt() { date -u -d "$1" +%Y%m%d%H%M%SZ | tr -d '\n' | od -An -tx1 | tr -s ' \n' ':' | sed 's/^://; s/:$//'; }
printf '[ext]\nkeyUsage = critical, digitalSignature\n2.5.29.16 = DER:30:22:80:0f:%s:81:0f:%s\n' "$(gt '-400 days')" "$(gt '-1 day')" >"$T/pkup.cnf"
openssl x509 -req -in "$T/ds.csr" -CA "$T/ca/csca.cert.pem" -CAkey "$T/ca/csca.key.pem" -set_serial 4242 -days 3000 -sha256 -extfile "$T/pkup.cnf" -extensions ext -out "$T/expired.pem" 2>/dev/null
expect_exit 0 "install a DS certificate whose key usage period has ended" "$PASPOR" signer key install --data "$D/signer" --kek-file "$K" --cert "$T/expired.pem" --csca-cert "$T/ca/csca.cert.pem"
signer_start
app A5 POST /personalize '{}' --as prn
expect_problem "DS key outside its usage period: 409 signer-refused" 409
check "... the signer's reason is given" grep -q 'signer-refused' "$T/body"
check "... no booklet taken" [ "$(stock available)" = "$avail" ]
signer_stop
expect_exit 0 "reinstall the good DS certificate" "$PASPOR" signer key install --data "$D/signer" --kek-file "$K" --cert "$T/dscert/ds.cert.pem" --csca-cert "$T/ca/csca.cert.pem"
signer_start

# ---- concurrent personalizations: eight applications, two requests each, at once
for i in 1 2 3 4 5 6 7 8; do to_paid C$i $((310 + i)) >/dev/null; done
for i in 1 2 3 4 5 6 7 8; do
	for r in a b; do
		curl -s -m 60 -o "$T/conc.$i$r" -w '%{http_code}\n' -X POST -b "$T/jar.prn" \
			-H "X-CSRF-Token: $(cat "$T/csrf.prn")" -H 'Content-Type: application/json' \
			--data-binary '{}' "$OFF/api/v1/applications/${AID[C$i]}/personalize" >"$T/conc.$i$r.code" &
	done
done
wait_jobs() { local j; for j in $(jobs -p); do [ "$j" = "$PID" ] || [ "$j" = "$SPID" ] || wait "$j"; done; }
wait_jobs
n201=$(cat "$T"/conc.*.code | grep -c '^201$'); n409=$(cat "$T"/conc.*.code | grep -c '^409$')
check "concurrent: one 201 and one 409 per application ($n201 x 201, $n409 x 409)" [ "$n201/$n409" = 8/8 ]
check "no booklet is used by two applications" [ "$(sqlite3 "$D/paspor.db" "SELECT count(*) FROM (SELECT app FROM booklets WHERE state = 'used' GROUP BY app HAVING count(*) > 1)")" = 0 ]
check "every booklet.used event names a distinct booklet" [ "$(sqlite3 "$D/paspor.db" "SELECT count(*) - count(DISTINCT subject) FROM events WHERE kind = 'booklet.used'")" = 0 ]
check "the signer signed each booklet once: one signature per personalization with a chip (N1 has none), plus the stray one" [ "$(sqlite3 "$D/signer/paspor.db" "SELECT count(*) FROM events WHERE kind = 'signer.signed'")" = "$(sqlite3 "$D/paspor.db" "SELECT count(*) FROM events WHERE kind = 'application.personalized'")" ]
check "... and never one booklet twice" [ "$(sqlite3 "$D/signer/paspor.db" "SELECT count(*) - count(DISTINCT booklet) FROM signer_signatures")" = 0 ]

# ---- what an operator sees in /metrics
api GET /metrics
check "/metrics: the signer is up" grep -q '^paspor_signer_up 1' "$T/body"
for o in personalized signer-unavailable quality_failed; do
	check "/metrics counts issuance outcome $o" grep -q "^paspor_issuance_total{outcome=\"$o\"} [1-9]" "$T/body"
done

# ---- killing one process does not harm the other; both recover
to_paid K1 331
to_paid K2 332
kill -KILL "$SPID"; wait "$SPID" 2>/dev/null; SPID=
api GET /metrics
check "/metrics: the killed signer is down (paspor_signer_up 0)" grep -q '^paspor_signer_up 0' "$T/body"
app K1 POST /personalize '{}' --as prn
expect_problem "signer killed (SIGKILL): the office answers 503, not a crash" 503
api GET /healthz
check "... and the office node keeps serving" [ "$CODE" = 200 ]
signer_start
app K1 POST /personalize '{}' --as prn
expect_status "signer restarted: personalization works again" 201
office_kill
check "office node killed (SIGKILL): the signer still runs" kill -0 "$SPID"
office_start "restart after SIGKILL"
login prn
app K2 POST /personalize '{}' --as prn
expect_status "office restarted: personalization through the same signer" 201

# ---- the logs
check "events: 5 handed over (A1 A2 A3 N1 A7, not A4), 2 voided (A2 A3)" [ "$(sqlite3 "$D/paspor.db" "SELECT (SELECT count(*) FROM events WHERE kind = 'application.handed_over') || ' ' || (SELECT count(*) FROM events WHERE kind = 'application.personalization_voided')")" = "5 2" ]
office_stop issue
grep -v '^listening' "$T/serve.err" | tail -5 >&2
check "no sanitizer report from the server" no_sanitizer_report "$T/serve.err"
signer_stop
expect_exit 0 "office log verifies" "$PASPOR" log verify --data "$D"
expect_exit 0 "signer log verifies" "$PASPOR" log verify --data "$D/signer"
sqlite3 "$D/paspor.db" "SELECT * FROM issuance ORDER BY app" >"$T/iss.before"
expect_exit 0 "rebuild" "$PASPOR" rebuild --data "$D" --kek-file "$K"
sqlite3 "$D/paspor.db" "SELECT * FROM issuance ORDER BY app" >"$T/iss.after"
check "rebuild gives the same issuance rows" cmp -s "$T/iss.before" "$T/iss.after"
check "no personal data in the server's log lines" bash -c "! grep -qi 'Sari\|Dewi\|Budi' '$T/serve.err' '$T/serve.out'"
