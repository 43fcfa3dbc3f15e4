#!/usr/bin/env bash
# The office benchmark of two revisions, alternately, on the same machine (issue 14,
# "Must hold": flows/s and RSS within 3% of before; docs/BENCHMARKS.md, "Comparing two
# revisions").
#
#   bench/compare.sh BASE [HEAD]        (HEAD defaults to HEAD; any git revisions)
#
# Exports each revision's tree with `git archive` into a temporary folder (the caller's
# checkout, index and worktrees are never touched), builds it there (`make
# build/paspor`, and build/bench/office_bench where it is needed), then runs
# bench/office_run.sh ROUNDS times for each, alternately and back to back — base, head,
# base, head, … — and prints every run, then the median of each side and the difference
# head − base in %: status lookups/s, complete flows/s, the server's VmRSS after the load
# and its peak (VmHWM). The temporary folder is removed at the end.
#
# The load client is held fixed: by default both servers are driven by HEAD's
# bench/office_run.sh and build/bench/office_bench (OFFICE_BENCH_PASPOR points the script
# at each side's build/paspor), so that only the server differs. COMPARE_CLIENT=own runs
# each revision's own script and client instead (needed when HEAD's office_run.sh has
# no OFFICE_BENCH_PASPOR, which is then chosen by itself).
#
# Environment: COMPARE_ROUNDS (5 per side), OFFICE_BENCH_SECONDS (10 per phase),
# OFFICE_BENCH_PREBOOK (500), other OFFICE_BENCH_* knobs of bench/office_run.sh pass
# through; COMPARE_JOBS (make -j, default 2), COMPARE_CLIENT (fixed | own),
# COMPARE_KEEP=1 keeps the folder (its path is printed) with the build and run logs.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
"" | -h | --help) sed -n "2,25p" "$0" | sed 's/^# \{0,1\}//'; [ -n "${1:-}" ]; exit ;;
esac
BASE_REV=$1
HEAD_REV=${2:-HEAD}
ROUNDS=${COMPARE_ROUNDS:-5}
JOBS=${COMPARE_JOBS:-2}
MODE=${COMPARE_CLIENT:-fixed}
export OFFICE_BENCH_SECONDS=${OFFICE_BENCH_SECONDS:-10}
export OFFICE_BENCH_PREBOOK=${OFFICE_BENCH_PREBOOK:-500}
case "$MODE" in fixed | own) ;; *) echo "compare.sh: COMPARE_CLIENT is fixed or own" >&2; exit 2 ;; esac
base=$(git rev-parse --verify --quiet "$BASE_REV^{commit}") ||
	{ echo "compare.sh: no such revision: $BASE_REV" >&2; exit 2; }
head=$(git rev-parse --verify --quiet "$HEAD_REV^{commit}") ||
	{ echo "compare.sh: no such revision: $HEAD_REV" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/paspor-compare.XXXXXX")
cleanup() {
	if [ "${COMPARE_KEEP:-0}" = 1 ]; then
		echo "compare.sh: kept $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT

# export SIDE REV: the revision's tree in $W/SIDE
export_tree() {
	mkdir "$W/$1"
	git archive --format=tar "$2" | tar -x -C "$W/$1"
}
export_tree base "$base"
export_tree head "$head"
if [ "$MODE" = fixed ] && ! grep -q OFFICE_BENCH_PASPOR "$W/head/bench/office_run.sh" 2>/dev/null; then
	echo "compare.sh: HEAD's bench/office_run.sh cannot serve another binary: COMPARE_CLIENT=own"
	MODE=own
fi

# build SIDE TARGETS…: make in $W/SIDE, the log in $W/SIDE.build.log
build() {
	local side=$1 t0=$SECONDS
	shift
	echo "building $side ($(git rev-parse --short "$([ "$side" = base ] && echo "$base" || echo "$head")")): make -j$JOBS $*"
	if ! make -C "$W/$side" --no-print-directory -j"$JOBS" "$@" >"$W/$side.build.log" 2>&1; then
		tail -20 "$W/$side.build.log" >&2
		echo "compare.sh: the build of $side failed" >&2
		exit 1
	fi
	echo "built $side in $((SECONDS - t0)) s"
}
if [ "$MODE" = fixed ]; then
	build base build/paspor
	build head build/paspor build/bench/office_bench
else
	build base build/paspor build/bench/office_bench
	build head build/paspor build/bench/office_bench
fi

echo
echo "machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs online, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "base $(git rev-parse --short "$base") ($BASE_REV), head $(git rev-parse --short "$head") ($HEAD_REV);" \
	"client: $MODE; $ROUNDS rounds each, alternating; $OFFICE_BENCH_SECONDS s per phase," \
	"$OFFICE_BENCH_PREBOOK bookings prebooked"

# one SIDE ROUND: one office_run.sh; appends "SIDE lookups flows rss hwm" to $W/runs
one() {
	local side=$1 log=$W/$1.$2.log rc=0
	if [ "$MODE" = fixed ]; then
		OFFICE_BENCH_PASPOR=$W/$side/build/paspor OFFICE_BENCH_CLIENT=$W/head/build/bench/office_bench \
			"$W/head/bench/office_run.sh" >"$log" 2>&1 || rc=$?
	else
		"$W/$side/bench/office_run.sh" >"$log" 2>&1 || rc=$?
	fi
	local l f r h
	l=$(awk '/^status lookups:/ { for (i = 1; i <= NF; i++) if ($i == "requests/s,") print $(i - 1) }' "$log")
	f=$(awk '/^complete flows/ { for (i = 1; i <= NF; i++) if ($i == "flows/s,") print $(i - 1) }' "$log")
	r=$(awk '/^server RSS after the load:/ { print $6 }' "$log")
	h=$(awk '/^server RSS after the load:/ { print $10 }' "$log")
	printf 'round %d %-4s  lookups/s %8s  flows/s %7s  VmRSS %7s kB  VmHWM %7s kB  (load %s)%s\n' \
		"$2" "$side" "${l:-?}" "${f:-?}" "${r:-?}" "${h:-?}" "$(cut -d' ' -f1 /proc/loadavg)" \
		"$([ "$rc" = 0 ] || echo "  FAILED (exit $rc): $(grep -m1 -iE 'error|fail|answered' "$log" | cut -c1-100)")"
	[ "$rc" = 0 ] || FAILED=1
	echo "$side ${l:-0} ${f:-0} ${r:-0} ${h:-0}" >>"$W/runs"
	return 0
}
FAILED=0
: >"$W/runs"
echo
for r in $(seq 1 "$ROUNDS"); do
	one base "$r"
	one head "$r"
done
echo
awk -f bench/median.awk -f <(cat <<'EOF'
	{ k = ++n[$1]; for (c = 2; c <= 5; c++) v[$1, c, k] = $c }
	END {
		split("lookups/s flows/s VmRSS_kB VmHWM_kB", name, " ")
		printf "%-10s %12s %12s %9s\n", "median", "base", "head", "head-base"
		for (c = 2; c <= 5; c++) {
			for (s = 1; s <= 2; s++) {
				side = s == 1 ? "base" : "head"
				delete a
				for (k = 1; k <= n[side]; k++) a[k] = v[side, c, k]
				m[s] = median(a, n[side])
			}
			printf "%-10s %12.1f %12.1f %+8.1f%%\n", name[c - 1], m[1], m[2], m[1] ? 100 * (m[2] - m[1]) / m[1] : 0
		}
	}
EOF
) "$W/runs"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $FAILED
