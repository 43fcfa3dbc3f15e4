#!/usr/bin/env bash
# paspor office datapage: the TD3 data page (docs/DATAPAGE.md) as poppler-utils sees it.
# For two documents: the PDF's text layer, read by `pdftotext` and `pdftotext -layout`,
# holds both MRZ lines exactly, equal to what `paspor mrz make` gives for the same
# document, and the captions and values as text; pdftotext reports no broken font;
# `pdfinfo` gives the 125 x 88 mm page (354.3 x 249.4 pt); the PNG is 1476 x 1039
# pixels (read from its IHDR chunk). A photo that is not a JPEG is refused (exit 2).
# poppler-utils is installed by scripts/deps.sh; without it this test fails.
SUITE=datapage; . "$(dirname "$0")/../lib.sh"
root=${PASPOR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
photo=$root/tests/data/face-synthetic.jpg

for tool in pdftotext pdfinfo python3; do
	check "$tool is installed (scripts/deps.sh)" command -v "$tool"
done

# render NAME MRZ-JSON EXTRA-JSON: the MRZ description for `mrz make` and, merged with
# the data-page keys, the data page; leaves $T/NAME.{mrz,pdf,png,txt,layout.txt}
render() {
	local n=$1 mrz=$2 extra=$3
	echo "$mrz" >"$T/$n.mrz.json"
	echo "${mrz%\}},${extra#\{}" >"$T/$n.json"
	expect_exit 0 "$n: mrz make" "$PASPOR" mrz make --json "$T/$n.mrz.json"
	cp "$T/.stdout" "$T/$n.mrz"
	check "$n: mrz make gives two lines of 44" \
		test "$(awk 'length($0) == 44' "$T/$n.mrz" | wc -l)" -eq 2
	expect_exit 0 "$n: datapage renders" "$PASPOR" office datapage --json "$T/$n.json" \
		--photo "$photo" --pdf "$T/$n.pdf" --png "$T/$n.png"
	check "$n: no sanitizer report" no_sanitizer_report "$T/.stderr"
	pdftotext "$T/$n.pdf" "$T/$n.txt" 2>"$T/$n.err"
	pdftotext -layout "$T/$n.pdf" "$T/$n.layout.txt" 2>>"$T/$n.err"
	check "$n: pdftotext reports no error (fonts are all there)" test ! -s "$T/$n.err"
}

# the MRZ lines are lines of the text, exactly, in both modes
mrz_in_text() {
	local n=$1 l1 l2 f
	l1=$(sed -n 1p "$T/$n.mrz") l2=$(sed -n 2p "$T/$n.mrz")
	for f in txt layout.txt; do
		check "$n: pdftotext ($f) has MRZ line 1 as a line" grep -qFx -- "$l1" "$T/$n.$f"
		check "$n: pdftotext ($f) has MRZ line 2 as a line" grep -qFx -- "$l2" "$T/$n.$f"
	done
}

render rahmat \
	'{"document_code":"P","issuing_state":"IDN","surname":"RAHMAT","given_names":"SITI AMINAH","document_number":"X1234567","nationality":"IDN","birth_date":"1990-05-14","sex":"F","expiry_date":"2034-06-20","optional_data":""}' \
	'{"birth_place":"SAMARINDA","issue_date":"2024-06-20","issuing_office":"KANIM SAMARINDA"}'
mrz_in_text rahmat
check "rahmat: MRZ line 1 is the expected one" \
	grep -qx 'P<IDNRAHMAT<<SITI<AMINAH<<<<<<<<<<<<<<<<<<<<' "$T/rahmat.mrz"
for s in "Tanggal Lahir / Date of Birth" "SITI AMINAH RAHMAT" "14 MEI/MAY 1990" \
	"Kantor yang Mengeluarkan / Issuing Office" "KANIM SAMARINDA" "P/F" \
	"REPUBLIK INDONESIA / REPUBLIC OF INDONESIA"; do
	check "rahmat: pdftotext has '$s'" grep -qF -- "$s" "$T/rahmat.txt"
done

# a long transliterated name (truncated in the MRZ), a man, optional data, digits
render wirjo \
	'{"document_code":"P","issuing_state":"IDN","surname":"Wirjosoebroto-Hadikoesoemo","given_names":"Bambang Müller Soetjipto","document_number":"C9876543","nationality":"IDN","birth_date":"1968-12-XX","sex":"M","expiry_date":"2031-01-31","optional_data":"3171010101"}' \
	'{"birth_place":"JAKARTA","issue_date":"2021-01-31","issuing_office":"KANIM JAKARTA PUSAT"}'
mrz_in_text wirjo
check "wirjo: the two documents' MRZs differ" test "$(cat "$T/rahmat.mrz")" != "$(cat "$T/wirjo.mrz")"
check "wirjo: pdftotext has the sex 'L/M'" grep -qFx "L/M" "$T/wirjo.txt"
# a full name too long for its field at the normal size is narrowed, never cut: the
# PDF's text has all of it
check "wirjo: pdftotext has the whole long name" \
	grep -qF "Bambang Müller Soetjipto Wirjosoebroto-Hadikoesoemo" "$T/wirjo.txt"

# page size: 125 x 88 mm = 354.331 x 249.449 pt
pdfinfo "$T/rahmat.pdf" >"$T/info" 2>&1
check "pdfinfo: one page" grep -qE '^Pages: +1$' "$T/info"
check "pdfinfo: page size 354.3 x 249.4 pts" awk '
	/^Page size:/ { w = $3; h = $5; ok = (w - 354.33)^2 < 0.01 && (h - 249.45)^2 < 0.01 }
	END { exit !ok }' "$T/info"

# PNG: 300 dpi, 1476 x 1039 pixels, from the IHDR chunk
check "png: 1476 x 1039 pixels" python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read(32)
assert d[:8] == b"\x89PNG\r\n\x1a\n" and d[12:16] == b"IHDR", "not a PNG"
w, h = struct.unpack(">II", d[16:24])
assert (w, h) == (1476, 1039), (w, h)' "$T/rahmat.png"
# decoded by an independent reader (Python zlib): every chunk's CRC, pHYs = 300 dpi, the
# IDAT chunks' stream inflates to exactly one filter byte + 3 × 1476 bytes per row, each
# row's filter "none" or "up" (undone here), and the MRZ band (rows 850-1000) has dark
# pixels
check "png: chunks, CRCs, 300 dpi, the image data inflates whole, ink in the MRZ band" python3 -c '
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n"
i, idat, seen = 8, b"", []
while i < len(b):
    n, = struct.unpack(">I", b[i:i + 4]); t = b[i + 4:i + 8]; d = b[i + 8:i + 8 + n]
    assert zlib.crc32(t + d) & 0xffffffff == struct.unpack(">I", b[i + 8 + n:i + 12 + n])[0], t
    seen.append(t)
    if t == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", d[:10])
    if t == b"pHYs": assert struct.unpack(">IIB", d) == (11811, 11811, 1), d
    if t == b"IDAT": idat += d
    i += 12 + n
assert seen[0] == b"IHDR" and seen[-1] == b"IEND" and b"pHYs" in seen, seen
assert (depth, ctype) == (8, 2), (depth, ctype)
raw = zlib.decompress(idat)
line = 1 + 3 * w
assert len(raw) == line * h, (len(raw), line * h)
prev, rows = bytes(line - 1), []
for y in range(h):
    f, r = raw[y * line], raw[y * line + 1:(y + 1) * line]
    assert f in (0, 2), (y, f)
    if f == 2:
        r = bytes((a + b) & 255 for a, b in zip(r, prev))
    rows.append(r)
    prev = r
dark = sum(1 for y in range(850, 1000) for x in range(0, line - 1, 3) if rows[y][x] < 80)
assert dark > 2000, dark' "$T/rahmat.png"

# the PNG does not depend on what the process rendered before: alone, and after the PDF
# (as above), the same bytes
expect_exit 0 "rahmat: the PNG alone renders" "$PASPOR" office datapage \
	--json "$T/rahmat.json" --photo "$photo" --png "$T/rahmat.alone.png"
check "rahmat: the PNG alone is the same bytes as after the PDF" \
	cmp -s "$T/rahmat.png" "$T/rahmat.alone.png"

# fonts: every font embedded, with a Unicode map (the MRZ's Type 3 font of OCR-B
# outlines among them)
pdffonts "$T/rahmat.pdf" >"$T/fonts" 2>&1
check "pdffonts: a Type 3 font (the MRZ in OCR-B)" grep -q "Type 3" "$T/fonts"
check "pdffonts: every font embedded and with a Unicode map" awk '
	NR > 2 { n++; if ($(NF-4) != "yes" || $(NF-2) != "yes") bad++ }
	END { exit !(n >= 3 && !bad) }' "$T/fonts"

# bad input: a photo that is not a JPEG is an input error (exit 2), nothing written
expect_exit 2 "a PNG as the photo is refused" "$PASPOR" office datapage \
	--json "$T/rahmat.json" --photo "$T/rahmat.png" --pdf "$T/bad.pdf"
check "the refusal names the photo" grep -q "photo" "$T/.stderr"
check "no PDF is written for a refused photo" test ! -e "$T/bad.pdf"
