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
	build/bench/log_bench --events "${BENCH_LOG_EVENTS:-8192}"
fi
