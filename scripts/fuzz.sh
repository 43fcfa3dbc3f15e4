#!/usr/bin/env bash
# Runs libFuzzer targets. `scripts/fuzz.sh TARGET...` fuzzes each for FUZZ_SECONDS
# (default 60), growing its corpus in fuzz/corpus/NAME; `--replay TARGET...` runs each
# corpus file once and then fuzzes each target briefly (FUZZ_BRIEF_SECONDS, default 5;
# new inputs go to a scratch folder, never into the repository) — make test does this,
# printing ok/FAIL lines for tests/run.sh.
set -u
cd "$(dirname "$0")/.."
replay=0
[ "${1:-}" = --replay ] && { replay=1; shift; }
rc=0
for bin in "$@"; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus=fuzz/corpus/$name
	mkdir -p "$corpus"
	log=$(mktemp)
	if [ $replay = 1 ]; then
		if "$bin" -runs=0 "$corpus" >"$log" 2>&1; then
			echo "ok fuzz-corpus: $name ($(ls "$corpus" | wc -l) inputs)"
		else
			echo "FAIL fuzz-corpus: $name: $(grep -m1 -E 'ERROR|runtime error' "$log")"; rc=1
		fi
		brief=${FUZZ_BRIEF_SECONDS:-5}
		if [ "$brief" -gt 0 ]; then
			work=$(mktemp -d)
			if "$bin" -max_total_time="$brief" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
				-artifact_prefix="$work/" "$work" "$corpus" >"$log" 2>&1; then
				echo "ok fuzz-brief: $name ${brief}s $(grep -oE '#[0-9]+' "$log" | tail -1) runs"
			else
				echo "FAIL fuzz-brief: $name: $(grep -m1 -E 'ERROR|runtime error|Leak' "$log")"
				ls "$work"/crash-* "$work"/leak-* 2>/dev/null | head -3
				rc=1
			fi
			rm -rf "$work"
		fi
	else
		secs=${FUZZ_SECONDS:-60}
		echo "fuzzing $name for ${secs}s" >&2
		work=$(mktemp -d)
		if "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix="build/fuzz/$name-" "$work" "$corpus" >"$log" 2>&1; then
			# keep the corpus small: merge the new inputs that add coverage
			"$bin" -merge=1 "$corpus" "$work" >/dev/null 2>&1
			echo "ok fuzz: $name $(grep -E '^#[0-9]+.*DONE' "$log" | tail -1)"
		else
			echo "FAIL fuzz: $name"; tail -30 "$log"; rc=1
		fi
		rm -rf "$work"
	fi
	rm -f "$log"
done
exit $rc
