#!/usr/bin/env bash
# paspor office config --check and the default paspor.conf written by office init: the
# CLI contract (--help, exit 0/1/2), "configuration OK" for the default file, one line
# per problem with file:line and the setting path (line numbers found with grep -n on
# the file, independently of the parser), all problems reported, unknown settings and
# unknown time zones refused.
SUITE=office_config; . "$(dirname "$0")/../lib.sh"

expect_exit 0 "office config --help" "$PASPOR" office config --help
check "help names --check" grep -q -- --check "$T/.stdout"
expect_exit 2 "config without --data is a usage error" "$PASPOR" office config --check
expect_exit 2 "config without --check is a usage error" "$PASPOR" office config --data "$T"
expect_exit 2 "unknown option is a usage error" "$PASPOR" office config --frob

# a new office: init writes a default configuration that checks OK
"$PASPOR" office kek --out "$T/kek" >/dev/null 2>&1
D="$T/office"
expect_exit 0 "office init" "$PASPOR" office init --data "$D" --origin kanim-samarinda.imigrasi.go.id \
	--name 'Kantor Imigrasi Kelas I TPI Samarinda' --kek-file "$T/kek"
check "init wrote paspor.conf" test -f "$D/paspor.conf"
check "paspor.conf is not world-readable" test "$(stat -c %a "$D/paspor.conf")" = 640
check "paspor.conf carries the office name" grep -q 'name = "Kantor Imigrasi Kelas I TPI Samarinda";' "$D/paspor.conf"
check "paspor.conf is commented" grep -q '^# Paspor office configuration' "$D/paspor.conf"
expect_exit 0 "default configuration checks OK" "$PASPOR" office config --data "$D" --check
check "prints exactly 'configuration OK'" test "$(cat "$T/.stdout")" = "configuration OK"
check "nothing on stderr" test ! -s "$T/.stderr"

# broken copies: each problem on its own line, file:line: path: message
conf="$D/paspor.conf"
B="$T/broken.conf"
sed -e 's|"Asia/Jakarta"|"Asia/Jakrta"|' \
    -e 's|consular_post = false;|consular_post = false; consulr = true;|' \
    -e 's|{ start = "09:00"; end = "10:00"|{ start = "08:30"; end = "10:00"|' \
    -e 's|currency = "IDR"|currency = "Rupiah"|' "$conf" >"$B"
l_tz=$(grep -n 'timezone = ' "$B" | cut -d: -f1)
l_cons=$(grep -n 'consulr' "$B" | cut -d: -f1)
l_slot=$(grep -n 'start = "08:30"' "$B" | cut -d: -f1)
l_cur=$(grep -n 'currency = ' "$B" | cut -d: -f1)
expect_exit 1 "broken configuration fails" "$PASPOR" office config --file "$B" --check
check "no OK on stdout" test ! -s "$T/.stdout"
check "time zone problem at its line" grep -qx "broken.conf:$l_tz: office.timezone: unknown time zone 'Asia/Jakrta' (no /usr/share/zoneinfo/Asia/Jakrta)" "$T/.stderr"
check "typo'd setting reported as unknown" grep -qx "broken.conf:$l_cons: office.consulr: unknown setting" "$T/.stderr"
check "overlapping slot at its line" grep -q "^broken.conf:$l_slot: booking.slots\[1\].start: overlaps" "$T/.stderr"
check "currency at its line" grep -q "^broken.conf:$l_cur: fees.currency: must be an ISO 4217 code" "$T/.stderr"
check "all four problems, one line each" test "$(wc -l <"$T/.stderr")" -eq 4

# a syntax error names its line
sed -e 's|quota = 15; }$|quota = 15 }}|' "$conf" >"$B"
l=$(grep -n 'quota = 15 }}' "$B" | cut -d: -f1)
expect_exit 1 "syntax error fails" "$PASPOR" office config --file "$B" --check
check "syntax error at its line" grep -q "^broken.conf:$l: syntax error" "$T/.stderr"

# ratelimit.disabled is accepted with a warning; it needs PASPOR_LOAD_TEST=1 to act
sed -e 's|# disabled = true;|disabled = true;|' "$conf" >"$B"
expect_exit 0 "ratelimit.disabled checks OK" "$PASPOR" office config --file "$B" --check
check "with a loud warning" grep -q 'warning: ratelimit.disabled = true .*PASPOR_LOAD_TEST=1' "$T/.stderr"

# a missing file
expect_exit 1 "missing file fails" "$PASPOR" office config --data "$T/nowhere" --check
check "names the file" grep -q "cannot read '$T/nowhere/paspor.conf'" "$T/.stderr"
check "no sanitizer report" no_sanitizer_report "$T/.stderr"
