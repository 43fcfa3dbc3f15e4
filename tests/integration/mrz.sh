#!/usr/bin/env bash
# paspor mrz make / check: the CLI contract (exit codes 0/1/2, --help, stdin and files),
# the Doc 9303 specimens (Part 4 TD3, Part 5 TD1, Part 6 TD2) as outside truth, and the
# npm `mrz` package as an independent oracle over 10,000 random persons
# (tests/oracle/mrz_oracle.cjs).
SUITE=mrz; . "$(dirname "$0")/../lib.sh"
root=${PASPOR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}

L1='P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<'
L2='L898902C36UTO7408122F1204159ZE184226B<<<<<10'
spec='{"document_code":"P<","issuing_state":"UTO","surname":"Eriksson","given_names":"Anna Maria","document_number":"L898902C3","nationality":"UTO","birth_date":"1974-08-12","sex":"F","expiry_date":"2012-04-15","optional_data":"ZE184226B"}'

# --help everywhere
expect_exit 0 "mrz --help" "$PASPOR" mrz --help
expect_exit 0 "mrz make --help" "$PASPOR" mrz make --help
check "make --help names --jsonl" grep -q -- --jsonl "$T/.stdout"
expect_exit 0 "mrz check --help" "$PASPOR" mrz check --help
expect_exit 2 "mrz with no subcommand is a usage error" "$PASPOR" mrz
expect_exit 2 "unknown option is a usage error" "$PASPOR" mrz make --frobnicate

# make: the Doc 9303 specimen, from stdin and from a file
printf '%s\n%s\n' "$L1" "$L2" >"$T/specimen.mrz"
echo "$spec" >"$T/specimen.json"
expect_exit 0 "make specimen from stdin" sh -c "\"$PASPOR\" mrz make <\"$T/specimen.json\""
check "stdin output is the Doc 9303 specimen" cmp -s "$T/.stdout" "$T/specimen.mrz"
expect_exit 0 "make specimen from --json FILE" "$PASPOR" mrz make --json "$T/specimen.json"
check "file output is the Doc 9303 specimen" cmp -s "$T/.stdout" "$T/specimen.mrz"
echo "${spec/\"P<\"/\"PP\"}" >"$T/pp.json"
expect_exit 0 "make with document code PP" "$PASPOR" mrz make --json "$T/pp.json"
check "PP line 1 starts PPUTO, line 2 is the specimen's" \
	test "$(cat "$T/.stdout")" = "$(printf 'PP%s\n%s' "${L1:2}" "$L2")"
cp "$T/.stdout" "$T/pp.mrz"
expect_exit 0 "the PP MRZ checks valid" "$PASPOR" mrz check "$T/pp.mrz"

# make: invalid input -> 2, the field named on stderr
bad() { # name, jq-less substitution: from, to, field
	echo "${spec/$2/$3}" >"$T/bad.json"
	expect_exit 2 "$1 rejected" "$PASPOR" mrz make --json "$T/bad.json"
	check "$1 error names $4" grep -q "$4" "$T/.stderr"
	check "$1 prints no MRZ" test ! -s "$T/.stdout"
}
bad "bad date 2023-02-30" '"1974-08-12"' '"2023-02-30"' birth_date
bad "sex Q" '"sex":"F"' '"sex":"Q"' sex
bad "10-character document number" '"L898902C3"' '"L898902C34"' document_number
bad "Greek surname" '"Eriksson"' '"Σωκράτης"' surname
bad "unknown key" '"sex":"F"' '"sex":"F","eye_colour":"blue"' eye_colour
bad "number for a string" '"sex":"F"' '"sex":1' sex
bad "document code V" '"P<"' '"V<"' document_code
echo 'not json' >"$T/bad.json"
expect_exit 2 "invalid JSON rejected" "$PASPOR" mrz make --json "$T/bad.json"
expect_exit 2 "missing file is exit 2" "$PASPOR" mrz make --json "$T/nonexistent.json"
check "missing file error names the file" grep -q nonexistent.json "$T/.stderr"

# make --jsonl: one object per line, errors in place
{ echo "$spec"; echo "${spec/\"F\"/\"Q\"}"; echo "${spec/Eriksson/Müller-Lüdenscheidt}"; } >"$T/batch.jsonl"
expect_exit 1 "jsonl with one bad line exits 1" "$PASPOR" mrz make --jsonl --json "$T/batch.jsonl"
check "jsonl prints 3 lines" test "$(wc -l <"$T/.stdout")" -eq 3
check "jsonl line 1 is the specimen" grep -q "\"line1\": *\"$L1\", *\"line2\": *\"$L2\"" <(sed -n 1p "$T/.stdout")
check "jsonl line 2 is an error naming sex" grep -q '"error": *"line 2: sex' <(sed -n 2p "$T/.stdout")
check "jsonl line 3 transliterates" grep -q 'UTOMUELLER<LUEDENSCHEIDT<<ANNA<MARIA<' <(sed -n 3p "$T/.stdout")
expect_exit 0 "jsonl from stdin, all good, exits 0" sh -c "echo '$spec' | \"$PASPOR\" mrz make --jsonl"

# check: specimens from Doc 9303 Parts 4, 5, 6
expect_exit 0 "check TD3 specimen (stdin)" sh -c "\"$PASPOR\" mrz check <\"$T/specimen.mrz\""
printf 'I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<\n' >"$T/td1.mrz"
expect_exit 0 "check TD1 specimen (Part 5)" "$PASPOR" mrz check "$T/td1.mrz"
printf 'I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6\n' >"$T/td2.mrz"
expect_exit 0 "check TD2 specimen (Part 6)" "$PASPOR" mrz check "$T/td2.mrz"
expect_exit 0 "check --json" "$PASPOR" mrz check --json "$T/specimen.mrz"
check "--json has the fields" grep -q '"document_number": "L898902C3"' "$T/.stdout"
check "--json has check digit results" grep -q '"composite": {' "$T/.stdout"
check "--json says valid" grep -q '"valid": true' "$T/.stdout"

# check: invalid -> 1 with the field named
printf '%s\n%s\n' "$L1" "${L2/7408122/7408123}" >"$T/badcd.mrz"
expect_exit 1 "wrong birth date check digit exits 1" "$PASPOR" mrz check "$T/badcd.mrz"
check "problem names birth_date_check_digit" grep -q '^birth_date_check_digit:' "$T/.stderr"
check "and the composite" grep -q '^composite_check_digit:' "$T/.stderr"
printf '%s\n%s\n' "$L1" "${L2/F12/Q12}" >"$T/badsex.mrz"
expect_exit 1 "sex Q exits 1" "$PASPOR" mrz check --json "$T/badsex.mrz"
check "--json lists the sex problem" grep -q '"field": "sex"' "$T/.stdout"
printf '%s\n%s\n' "$L1" "${L2:0:40}" >"$T/short.mrz"
expect_exit 1 "short line exits 1" "$PASPOR" mrz check "$T/short.mrz"
check "short line reason" grep -q 'lines of 44 and 40' "$T/.stderr"
printf 'hello\n' | { "$PASPOR" mrz check >"$T/.stdout" 2>"$T/.stderr"; echo $? >"$T/rc"; }
check "garbage exits 1" test "$(cat "$T/rc")" = 1
printf '%s\n%s\n' "${L1/ANNA/ANNa}" "$L2" >"$T/lower.mrz"
expect_exit 1 "lower-case letter exits 1" "$PASPOR" mrz check "$T/lower.mrz"
check "bad character located" grep -q "line 1, column 19: 'a'" "$T/.stderr"
expect_exit 2 "check of a missing file exits 2" "$PASPOR" mrz check "$T/nonexistent.mrz"
expect_exit 2 "check with two files is a usage error" "$PASPOR" mrz check a b

# round trip through the CLI: what make prints, check accepts
echo "${spec/Anna Maria/Zoë Ångström-Øster}" | "$PASPOR" mrz make >"$T/rt.mrz" 2>"$T/rt.err"
expect_exit 0 "made MRZ with diacritics checks valid" "$PASPOR" mrz check "$T/rt.mrz"
check "no sanitizer reports" no_sanitizer_report "$T/rt.err"

# the npm mrz oracle: 10,000 random persons
oracle=$root/build/oracle
if [ ! -e "$oracle/node_modules/mrz/package.json" ]; then
	mkdir -p "$oracle"
	cp "$root/tests/oracle/package.json" "$oracle/package.json"
	npm install --prefix "$oracle" --no-audit --no-fund --loglevel=error >"$T/npm.log" 2>&1 ||
		{ fail "oracle: npm install mrz" "$(tail -c 300 "$T/npm.log" | tr '\n' ' ')"; exit 0; }
fi
if node "$root/tests/oracle/mrz_oracle.cjs" "$PASPOR" "$oracle" 10000 9303 >"$T/oracle.out" 2>&1; then
	ok "oracle: $(head -1 "$T/oracle.out")"
else
	fail "oracle" "$(head -c 1500 "$T/oracle.out" | tr '\n' ' ')"
fi
