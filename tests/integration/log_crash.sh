#!/usr/bin/env bash
# Crash test of the group-commit writer (docs/LOG.md, "Store, group commit and guards";
# SQLite's test6.c is the model): `paspor log load` appends from 8 threads and prints
# each seq as soon as it is acknowledged; it is killed with SIGKILL at a random moment.
# After each kill: every acknowledged event is in the log, `log verify` passes (nothing
# half-written is visible: every event is covered by a signed checkpoint, the tree and
# DIR/checkpoint agree), and the node opens for writing again (guards pass).
# 50 trials, 8 with QUICK=1.
SUITE=log_crash; . "$(dirname "$0")/../lib.sh"

trials=50
[ "${QUICK:-}" = 1 ] && trials=8
D=$T/d
K=$T/kek
"$PASPOR" office kek --out "$K" >/dev/null
expect_exit 0 "office init" "$PASPOR" office init --data "$D" --origin crash.test --kek-file "$K"

bad=0
total_acked=0
for i in $(seq 1 $trials); do
	"$PASPOR" log load --data "$D" --kek-file "$K" --writers 8 --count 100000 \
		>"$T/acked.$i" 2>"$T/load.$i" &
	pid=$!
	# 50..449 ms: past start-up, in the middle of batches
	sleep "0.$(printf '%03d' $((50 + RANDOM % 400)))"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	n=$(wc -l <"$T/acked.$i")
	total_acked=$((total_acked + n))
	if grep -q . "$T/load.$i" && ! grep -q "requests in" "$T/load.$i"; then
		fail "trial $i: load reported an error" "$(head -c 300 "$T/load.$i" | tr '\n' ' ')"
		bad=1
	fi
	sqlite3 "$D/paspor.db" "SELECT seq FROM events" | sort >"$T/have"
	sort -u "$T/acked.$i" >"$T/want"
	missing=$(comm -23 "$T/want" "$T/have" | wc -l)
	if [ "$missing" -ne 0 ]; then
		fail "trial $i: $missing acknowledged events missing after SIGKILL" "$(comm -23 "$T/want" "$T/have" | head -5 | tr '\n' ' ')"
		bad=1
	fi
	if ! "$PASPOR" log verify --data "$D" >"$T/v.out" 2>"$T/v.err"; then
		fail "trial $i: log verify fails after SIGKILL" "$(head -c 300 "$T/v.err")"
		bad=1
		break
	fi
done
[ $bad = 0 ] && ok "$trials kills: every acknowledged event present, log verifies ($total_acked acked)"
check "some events were acknowledged before the kills" [ "$total_acked" -gt 0 ]
expect_exit 0 "node appends again after the last kill" "$PASPOR" log append --data "$D" --kek-file "$K" --kind operator.note --body '{"text":"after"}'
expect_exit 0 "final log verify" "$PASPOR" log verify --data "$D"
check "no sanitizer report in any load run" no_sanitizer_report <(cat "$T"/load.*)
