#!/usr/bin/env bash
# The office server under load (issue 4, "Speed"; docs/BENCHMARKS.md, "Office server").
#
#   bench/office_run.sh            lookups, then complete counter flows, on one server
#   bench/office_run.sh --soak S   S seconds of steady mixed load (lookups as fast as
#                                  they go, flows paced), RSS sampled every 10 s
#
# Each run makes a fresh data dir in a temporary folder with the release binary
# (build/paspor, copied there so a rebuild mid-run cannot disturb it): a KEK, `office
# init`, paspor.conf edited for load (time zone Etc/UTC, every day open, 24 hourly slots
# of quota 100000, no holidays in reach, `ratelimit.disabled = true`) and three officers
# added with the CLI (reg registrar, int interviewer, adj adjudicator with TOTP). The
# server runs with PASPOR_LOAD_TEST=1, so the rate limits are lifted (docs/CONFIG.md,
# "Lifting the rate limits for load tests") and the figures measure the server, not the
# limiter. It listens on free loopback ports; build/bench/office_bench drives it. The
# server's VmRSS and VmHWM (/proc/PID/status) are sampled every second (every 10 s in
# the soak); the server is stopped by its PID and the folder removed.
#
# Environment: OFFICE_BENCH_SECONDS (default 15 per phase), OFFICE_BENCH_LOOKUP_CONNS
# (32), OFFICE_BENCH_FLOW_CONNS (32), OFFICE_BENCH_PREBOOK (2000 bookings looked up),
# OFFICE_BENCH_SERVER_THREADS (`serve --threads`, default 4), OFFICE_BENCH_CLIENT_THREADS
# (1), OFFICE_BENCH_SOAK_FLOW_RATE (flows/s during the soak, default 20),
# OFFICE_BENCH_PERF=FILE (`perf record -g` of the server for 10 s of the flow phase).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SOAK=0
case "${1:-}" in
--soak) SOAK=${2:?--soak needs seconds} ;;
"") ;;
-h | --help) sed -n "2,25p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "office_run.sh: unknown argument $1" >&2; exit 2 ;;
esac
for f in build/paspor build/bench/office_bench; do
	[ -x "$f" ] || { echo "office_run.sh: $f is missing; run 'make -j2 build/paspor build/bench/office_bench'" >&2; exit 2; }
done
SECS=${OFFICE_BENCH_SECONDS:-15}
LC=${OFFICE_BENCH_LOOKUP_CONNS:-32}
FC=${OFFICE_BENCH_FLOW_CONNS:-32}
PRE=${OFFICE_BENCH_PREBOOK:-2000}
STH=${OFFICE_BENCH_SERVER_THREADS:-4}
CTH=${OFFICE_BENCH_CLIENT_THREADS:-1}
PW='kata sandi yang panjang 1'

T=$(mktemp -d "${TMPDIR:-/tmp}/paspor-office-bench.XXXXXX")
PID=
SAMPLER=
cleanup() {
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

P=$T/paspor
cp build/paspor "$P"
K=$T/kek
D=$T/d
"$P" office kek --out "$K" >/dev/null
"$P" office init --data "$D" --origin bench.test --kek-file "$K" >/dev/null
slots="("
for h in $(seq 0 23); do
	slots+=$(printf '{ start = "%02d:00"; end = "%02d:00"; quota = 100000; }' "$h" $((h + 1)))
	[ "$h" -lt 23 ] && slots+=", "
done
slots+=")"
python3 "$ROOT/tests/office_api_util.py" conf "$D/paspor.conf" timezone=Etc/UTC \
	'working_days=["mon","tue","wed","thu","fri","sat","sun"]' 'holidays=["2099-01-01"]' \
	"slots=$slots" ratelimit.disabled=true confirmation.codes_per_day=10000000 \
	confirmation.pending_per_slot=100000
sed -i 's/^\( *days_ahead = \)[0-9]*;/\140;/' "$D/paspor.conf"
"$P" office config --data "$D" --check 2>&1 | sed 's/^/config: /'

TOTP=
for spec in reg:registrar int:interviewer adj:adjudicator; do
	out=$(printf '%s\n' "$PW" | "$P" office user add --data "$D" --username "${spec%%:*}" \
		--role "${spec#*:}" --kek-file "$K" 2>&1)
	s=$(printf '%s\n' "$out" | sed -n 's/^TOTP secret (shown once; enrol it now): //p')
	[ -n "$s" ] && TOTP=$s
done
[ -n "$TOTP" ] || { echo "office_run.sh: no TOTP secret for the adjudicator" >&2; exit 1; }

PASPOR_LOAD_TEST=1 "$P" office serve --data "$D" --kek-file "$K" --listen 127.0.0.1:0 \
	--public-listen 127.0.0.1:0 --threads "$STH" --no-request-log \
	>"$T/serve.out" 2>"$T/serve.err" &
PID=$!
for _ in $(seq 1 300); do
	[ "$(grep -c '^listening' "$T/serve.out")" -ge 2 ] && break
	kill -0 "$PID" 2>/dev/null || { cat "$T/serve.err" >&2; exit 1; }
	sleep 0.1
done
OFF=http://$(awk '$2 == "officer" { print $3 }' "$T/serve.out")
PUB=http://$(awk '$2 == "public" { print $3 }' "$T/serve.out")
grep -qi 'rate limits' "$T/serve.err" && echo "server: $(grep -i -m1 'rate limits' "$T/serve.err")"
echo "server: pid $PID, --threads $STH, officer $OFF, public $PUB, data dir on $(df --output=source "$T" | tail -1)"
echo "server RSS at start: $(awk '/^VmRSS/ { print $2 " kB" }' "/proc/$PID/status")"

# rss_sampler INTERVAL: "t_s VmRSS_kB VmHWM_kB" lines into $T/rss
rss_sampler() {
	local t0=$SECONDS
	while kill -0 "$PID" 2>/dev/null; do
		awk -v t=$((SECONDS - t0)) '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { print t, r, h }' \
			"/proc/$PID/status" 2>/dev/null >>"$T/rss" || true
		sleep "$1"
	done
}
: >"$T/rss"
rss_sampler "$([ "$SOAK" = 0 ] && echo 1 || echo 10)" &
SAMPLER=$!

B=build/bench/office_bench
rc=0
if [ "$SOAK" = 0 ]; then
	echo
	echo "== status lookups: $LC connections, $SECS s"
	"$B" --officer "$OFF" --public "$PUB" --spool "$D/outbox" --prebook "$PRE" --lookup-conns "$LC" \
		--seconds "$SECS" --threads "$CTH" || rc=1
	echo "server RSS after the lookups: $(awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { print r " kB (peak so far " h " kB)" }' "/proc/$PID/status")"
	echo
	echo "== complete counter flows: $FC connections, $SECS s"
	PERFPID=
	if [ -n "${OFFICE_BENCH_PERF:-}" ]; then
		# a profile of the server during the flows (perf report -i FILE)
		perf record -g -o "$OFFICE_BENCH_PERF" -p "$PID" -- sleep "$((SECS > 12 ? 10 : SECS - 2))" \
			>/dev/null 2>&1 &
		PERFPID=$!
	fi
	"$B" --officer "$OFF" --public "$PUB" --spool "$D/outbox" --password "$PW" --adj-totp "$TOTP" \
		--flow-conns "$FC" --seconds "$SECS" --threads "$CTH" --first-person 1000000 || rc=1
	[ -n "$PERFPID" ] && wait "$PERFPID"
else
	RATE=${OFFICE_BENCH_SOAK_FLOW_RATE:-20}
	echo
	echo "== soak: $SOAK s, $LC lookup connections (unpaced) + $FC flow connections paced to $RATE flows/s"
	"$B" --officer "$OFF" --public "$PUB" --spool "$D/outbox" --password "$PW" --adj-totp "$TOTP" \
		--prebook "$PRE" --lookup-conns "$LC" --flow-conns "$FC" --flow-rate "$RATE" \
		--seconds "$SOAK" --threads "$CTH" --report-every 10 --first-person 1000000 || rc=1
fi
sleep 1
echo
echo "server RSS after the load: $(awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { print r " kB; peak (VmHWM) " h " kB" }' "/proc/$PID/status")"
echo "server RSS sampled during the run: max VmRSS $(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$T/rss") kB over $(wc -l <"$T/rss") samples"
if [ "$SOAK" != 0 ]; then
	awk -v end="$SOAK" '
		$1 >= 10 && $1 < 70 { f += $2; nf++; if ($2 > fm) fm = $2 }
		$1 >= end - 60 && $1 <= end { l += $2; nl++; if ($2 > lm) lm = $2 }
		END {
			if (nf && nl)
				printf "soak RSS: first minute (10-70 s) mean %.0f kB max %d kB; last minute mean %.0f kB max %d kB\n", f / nf, fm, l / nl, lm
		}' "$T/rss"
	echo "RSS samples (s VmRSS_kB VmHWM_kB):"
	tr '\n' ';' <"$T/rss" | sed 's/;$/\n/'
fi
du -sh "$D" | awk '{ print "data dir after the run: " $1 }'
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null || true
SAMPLER=
kill -TERM "$PID"
src=0
wait "$PID" || src=$?
PID=
echo "server stopped (exit $src)"
[ "$src" = 0 ] || { tail -5 "$T/serve.err" >&2; rc=1; }
exit $rc
