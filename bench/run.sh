#!/usr/bin/env bash
# Runs the benchmarks under build/bench (built by `make bench`) and prints the machine
# they ran on, for docs/BENCHMARKS.md. BENCH_SECONDS sets the time per measurement
# (default 3). Other engineers' jobs on a shared machine skew the figures: run it on an
# idle machine and quote the command and the machine with the numbers.
set -eu
cd "$(dirname "$0")/.."
bin=build/bench/chip_bench
[ -x "$bin" ] || { echo "bench/run.sh: $bin is missing; run 'make bench'" >&2; exit 2; }
echo "machine: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)," \
	"$(nproc) CPUs online, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "kernel:  $(uname -sr); compiler: $(${CC:-gcc} --version | head -1)"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
echo
"$bin" "${BENCH_SECONDS:-3}"
echo
if [ -x build/bench/log_bench ]; then
	# BENCH_LOG_ROUNDS rounds (default 5): the aims' ratios per round and their medians
	build/bench/log_bench --events "${BENCH_LOG_EVENTS:-8192}" --rounds "${BENCH_LOG_ROUNDS:-5}"
fi
# `log verify`, rebuild and proofs on a log of BENCH_VERIFY_EVENTS (default 1M) events of
# ~300-byte bodies (410 bytes stored). The log is made once (a minute or so) under
# $TMPDIR and reused by later runs; BENCH_VERIFY_EVENTS=0 skips this part.
nv=${BENCH_VERIFY_EVENTS:-1000000}
if [ "$nv" != 0 ] && [ -x build/bench/log_verify_bench ]; then
	vdir=${TMPDIR:-/var/tmp}/paspor-verify-bench-$nv
	echo
	build/bench/log_verify_bench --events "$nv" --data "$vdir"
	tv=/usr/bin/time
	[ -x "$tv" ] || { echo "bench/run.sh: $tv is missing (scripts/deps.sh installs 'time')" >&2; exit 2; }
	"$tv" -f "paspor log verify: %e s wall, %U s user, %S s system, max RSS %M KB" \
		build/paspor log verify --data "$vdir"
	"$tv" -f "paspor rebuild: %e s wall, %U s user, %S s system, max RSS %M KB" \
		build/paspor rebuild --data "$vdir" --kek-file "$vdir.kek"
	echo "reference, in the same run: openssl speed -evp sha256 (411 bytes = a leaf hash's input, 64 bytes ~ a node's):"
	openssl speed -evp sha256 -bytes 411 -seconds 2 2>/dev/null | tail -1
	openssl speed -evp sha256 -bytes 64 -seconds 2 2>/dev/null | tail -1
fi
# The office server under load: status lookups and complete counter flows on loopback,
# the server's RSS (bench/office_run.sh; OFFICE_BENCH_SECONDS=N per phase, default 15).
if [ -x build/bench/office_bench ]; then
	echo
	bench/office_run.sh
fi
# The public status lookup against a trivial libmicrohttpd responder under the same
# `wrk -t2 -c32` load (bench/status_wrk.sh; STATUS_WRK_SECONDS=N per run, default 10).
# bench/compare.sh BASE [HEAD] (not run here: it builds two revisions) compares the
# office benchmark of two revisions.
if [ -x build/bench/office_bench ] && [ -x build/bench/trivial_http ]; then
	echo
	bench/status_wrk.sh
fi
# The signer process (socket + policy + durable event + SoftHSM2) against a key file
# (bench/signer_run.sh; SIGNER_BENCH_COUNT=N signatures each, default 2000).
if [ -x build/bench/signer_bench ]; then
	echo
	bench/signer_run.sh
fi
