#!/usr/bin/env bash
# The public status lookup against a trivial libmicrohttpd responder, under the same wrk
# load (issue 14, "Must hold": at least 30% as fast; docs/BENCHMARKS.md, "Status lookup
# against a trivial responder").
#
#   bench/status_wrk.sh
#
# Starts an office node (bench/office_node.sh: release build, rate limits lifted,
# `serve --threads 4`) and prebooks bookings with build/bench/office_bench --prebook
# --books-out; starts build/bench/trivial_http (libmicrohttpd run as the node runs it,
# 4 threads, one fixed JSON answer); then runs `wrk -t2 -c32 -d S --latency` with
# bench/status_post.lua (POST /api/v1/bookings/status {code, nik} of a random prebooked
# booking; the responder gets the same requests) against the responder and the node's
# public listener, alternately, ROUNDS times each, and prints the requests/s of every
# run, the medians and the ratio node / responder. It also prints each server's CPU
# time per answered request (utime + stime from /proc/PID/stat over the run): on a
# machine shared with other jobs that ratio moves less than the requests/s. wrk is installed from Debian when
# missing (apt-get update first). Every answer of the node must be 200: wrk's "Non-2xx"
# count fails the run.
#
# Environment: STATUS_WRK_SECONDS (10 per run), STATUS_WRK_ROUNDS (3), STATUS_WRK_PREBOOK
# (2000), STATUS_WRK_THREADS and STATUS_WRK_CONNS (wrk's -t 2 and -c 32),
# OFFICE_BENCH_SERVER_THREADS (4, both servers), OFFICE_BENCH_PASPOR (the node's binary,
# default build/paspor), OFFICE_BENCH_CLIENT (default build/bench/office_bench),
# STATUS_WRK_TRIVIAL (default build/bench/trivial_http), STATUS_WRK_PERF=FILE (`perf
# record -g` of the node during its first run; `perf report -i FILE`;
# STATUS_WRK_PERF_ARGS replaces -g, e.g. "--call-graph dwarf").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
case "${1:-}" in
"") ;;
-h | --help) sed -n "2,27p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "status_wrk.sh: unknown argument $1" >&2; exit 2 ;;
esac
SECS=${STATUS_WRK_SECONDS:-10}
ROUNDS=${STATUS_WRK_ROUNDS:-3}
PRE=${STATUS_WRK_PREBOOK:-2000}
WT=${STATUS_WRK_THREADS:-2}
WC=${STATUS_WRK_CONNS:-32}
STH=${OFFICE_BENCH_SERVER_THREADS:-4}
B=${OFFICE_BENCH_CLIENT:-build/bench/office_bench}
TRIV=${STATUS_WRK_TRIVIAL:-build/bench/trivial_http}
for f in "${OFFICE_BENCH_PASPOR:-build/paspor}" "$B" "$TRIV"; do
	[ -x "$f" ] || { echo "status_wrk.sh: $f is missing; run 'make -j2 build/paspor build/bench/office_bench build/bench/trivial_http'" >&2; exit 2; }
done
if ! command -v wrk >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || { echo "status_wrk.sh: wrk is missing: apt-get install wrk" >&2; exit 2; }
	echo "status_wrk.sh: installing wrk" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends wrk >&2
fi

TPID=
cleanup() {
	[ -n "$TPID" ] && kill "$TPID" 2>/dev/null
	office_node_cleanup
}
trap cleanup EXIT
# shellcheck source=bench/office_node.sh
. bench/office_node.sh
echo "machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs online," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
office_node_start "$STH"
"$B" --officer "$OFF" --public "$PUB" --spool "$D/outbox" --prebook "$PRE" \
	--books-out "$T/books" | grep '^prebooked'

"$TRIV" --threads "$STH" >"$T/trivial.out" &
TPID=$!
for _ in $(seq 1 100); do
	grep -q '^listening' "$T/trivial.out" && break
	kill -0 "$TPID" 2>/dev/null || { echo "status_wrk.sh: trivial_http did not start" >&2; exit 1; }
	sleep 0.1
done
TRIVURL=http://$(awk '$1 == "listening" { print $2 }' "$T/trivial.out")
echo "trivial responder: pid $TPID, --threads $STH, $TRIVURL"
echo "wrk: $(wrk --version 2>&1 | head -1 | cut -c1-60)"

# cpu_ticks PID: the process's user + system CPU time in clock ticks
cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
HZ=$(getconf CLK_TCK)

# run NAME URL SERVERPID: one wrk run; prints its line and appends "NAME RPS CPU_US" to
# $T/runs (CPU_US: the server's CPU time per answered request, in µs)
run() {
	local out rps non n c0 c1 cpu perfpid=
	if [ "$1" = node ] && [ -n "${STATUS_WRK_PERF:-}" ] && [ ! -e "$T/perf.done" ]; then
		touch "$T/perf.done"
		# shellcheck disable=SC2086
		perf record ${STATUS_WRK_PERF_ARGS:--g} -o "$STATUS_WRK_PERF" -p "$PID" -- sleep "$((SECS > 2 ? SECS - 1 : 1))" \
			>/dev/null 2>&1 &
		perfpid=$!
	fi
	c0=$(cpu_ticks "$3")
	out=$(STATUS_BOOKS=$T/books wrk -t"$WT" -c"$WC" -d"${SECS}s" --latency \
		-s "$ROOT/bench/status_post.lua" "$2/api/v1/bookings/status")
	c1=$(cpu_ticks "$3")
	rps=$(printf '%s\n' "$out" | awk '$1 == "Requests/sec:" { print $2 }')
	n=$(printf '%s\n' "$out" | awk '$2 == "requests" && $3 == "in" { print $1 }')
	cpu=$(awk -v a="$c0" -v b="$c1" -v n="$n" -v hz="$HZ" 'BEGIN { printf "%.1f", n ? (b - a) / hz * 1e6 / n : 0 }')
	non=$(printf '%s\n' "$out" | awk '/Non-2xx/ { print $NF }')
	printf '%-8s %10.0f requests/s  server CPU %6.1f us/request  p50 %s  p99 %s%s\n' "$1" "$rps" "$cpu" \
		"$(printf '%s\n' "$out" | awk '$1 == "50%" { print $2 }')" \
		"$(printf '%s\n' "$out" | awk '$1 == "99%" { print $2 }')" \
		"${non:+  non-2xx $non}"
	[ -z "$perfpid" ] || wait "$perfpid" || true
	echo "$1 $rps $cpu" >>"$T/runs"
	[ -z "$non" ] || BAD=1
}
BAD=0
: >"$T/runs"
echo
echo "== wrk -t$WT -c$WC -d${SECS}s, POST /api/v1/bookings/status, $ROUNDS rounds (trivial, then node)"
for _ in $(seq 1 "$ROUNDS"); do
	run trivial "$TRIVURL" "$TPID"
	run node "$PUB" "$PID"
done
echo
awk -f bench/median.awk -f <(cat <<'EOF'
	$1 == "trivial" { tr[++nt] = $2; tc[nt] = $3 }
	$1 == "node" { no[++nn] = $2; nc[nn] = $3 }
	END {
		mt = median(tr, nt); mn = median(no, nn); ct = median(tc, nt); cn = median(nc, nn)
		printf "median: trivial responder %.0f requests/s (%.1f us CPU each), status lookup %.0f requests/s (%.1f us CPU each)\n", mt, ct, mn, cn
		printf "status lookup / trivial responder: %.1f%% of its requests/s (aim: at least 30%%); %.1f%% by server CPU per request\n", 100 * mn / mt, cn ? 100 * ct / cn : 0
	}
EOF
) "$T/runs"
kill "$TPID" 2>/dev/null; wait "$TPID" 2>/dev/null || true
TPID=
office_node_stop
[ "$NODE_RC" = 0 ] || BAD=1
exit $BAD
