#!/usr/bin/env bash
# The office server under load (issue 4, "Speed"; docs/BENCHMARKS.md, "Office server").
#
#   bench/office_run.sh            lookups, then complete counter flows, on one server
#   bench/office_run.sh --soak S   S seconds of steady mixed load (lookups as fast as
#                                  they go, flows paced), RSS sampled every 10 s
#
# Each run makes a fresh node in a temporary folder (bench/office_node.sh: the release
# binary copied there, paspor.conf edited for load, three officers, the server with
# PASPOR_LOAD_TEST=1 so the rate limits are lifted and the figures measure the server,
# not the limiter) on free loopback ports; build/bench/office_bench drives it. The
# server's VmRSS and VmHWM (/proc/PID/status) are sampled every second (every 10 s in
# the soak); the server is stopped by its PID and the folder removed.
#
# Environment: OFFICE_BENCH_SECONDS (default 15 per phase), OFFICE_BENCH_LOOKUP_CONNS
# (32), OFFICE_BENCH_FLOW_CONNS (32), OFFICE_BENCH_PREBOOK (2000 bookings looked up),
# OFFICE_BENCH_SERVER_THREADS (`serve --threads`, default 4), OFFICE_BENCH_CLIENT_THREADS
# (1), OFFICE_BENCH_SOAK_FLOW_RATE (flows/s during the soak, default 20),
# OFFICE_BENCH_PERF=FILE (`perf record -g` of the server for 10 s of the flow phase),
# OFFICE_BENCH_PASPOR (the server binary, default build/paspor), OFFICE_BENCH_CLIENT (the
# load client, default build/bench/office_bench; bench/compare.sh sets both).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SOAK=0
case "${1:-}" in
--soak) SOAK=${2:?--soak needs seconds} ;;
"") ;;
-h | --help) sed -n "2,21p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "office_run.sh: unknown argument $1" >&2; exit 2 ;;
esac
for f in "${OFFICE_BENCH_PASPOR:-build/paspor}" "${OFFICE_BENCH_CLIENT:-build/bench/office_bench}"; do
	[ -x "$f" ] || { echo "office_run.sh: $f is missing; run 'make -j2 build/paspor build/bench/office_bench'" >&2; exit 2; }
done
SECS=${OFFICE_BENCH_SECONDS:-15}
LC=${OFFICE_BENCH_LOOKUP_CONNS:-32}
FC=${OFFICE_BENCH_FLOW_CONNS:-32}
PRE=${OFFICE_BENCH_PREBOOK:-2000}
STH=${OFFICE_BENCH_SERVER_THREADS:-4}
CTH=${OFFICE_BENCH_CLIENT_THREADS:-1}

B=${OFFICE_BENCH_CLIENT:-build/bench/office_bench}
SAMPLER=
cleanup() {
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
	office_node_cleanup
}
trap cleanup EXIT
# shellcheck source=bench/office_node.sh
. bench/office_node.sh
office_node_start "$STH"
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
office_node_stop
[ "$NODE_RC" = 0 ] || rc=1
exit $rc
