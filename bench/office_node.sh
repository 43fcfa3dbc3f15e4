# shellcheck shell=bash
# An office node for the benchmarks, sourced by bench/office_run.sh and
# bench/status_wrk.sh (docs/BENCHMARKS.md, "Office server").
#
# office_node_start THREADS makes a fresh data dir in a temporary folder $T with the
# release binary (OFFICE_BENCH_PASPOR, default build/paspor, copied to $T so that a
# rebuild mid-run cannot disturb it): a KEK, `office init`, paspor.conf edited for load
# (time zone Etc/UTC, every day open, 24 hourly slots of quota 100000, no holidays in
# reach, `ratelimit.disabled = true`, 40 days ahead) and three officers added with the
# CLI (reg registrar, int interviewer, adj adjudicator with TOTP). It starts `office
# serve --threads THREADS --no-request-log` with PASPOR_LOAD_TEST=1, so the rate limits
# are lifted (docs/CONFIG.md, "Lifting the rate limits for load tests"), on free loopback
# ports, and waits until both listeners are up. It sets P (the binary), K (the KEK
# file), D (the data dir), PID (the server), OFF and PUB (the officers' and the public
# base URLs), PW (the officers' password) and TOTP (the adjudicator's TOTP secret).
# office_node_stop stops the server by its PID (TERM; its exit status in $NODE_RC);
# office_node_cleanup (on EXIT) kills what is left and removes $T.
T=
PID=
PW='kata sandi yang panjang 1'
NODE_RC=0

office_node_cleanup() {
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	[ -n "$T" ] && rm -rf "$T"
	PID=
	T=
}

office_node_start() {
	local threads=$1 bin=${OFFICE_BENCH_PASPOR:-build/paspor}
	[ -x "$bin" ] || { echo "office_node.sh: $bin is missing; run 'make -j2 build/paspor'" >&2; return 2; }
	T=$(mktemp -d "${TMPDIR:-/tmp}/paspor-office-bench.XXXXXX")
	P=$T/paspor
	cp "$bin" "$P"
	K=$T/kek
	D=$T/d
	"$P" office kek --out "$K" >/dev/null
	"$P" office init --data "$D" --origin bench.test --kek-file "$K" >/dev/null
	local slots="(" h
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
	local spec out s
	for spec in reg:registrar int:interviewer adj:adjudicator; do
		out=$(printf '%s\n' "$PW" | "$P" office user add --data "$D" --username "${spec%%:*}" \
			--role "${spec#*:}" --kek-file "$K" 2>&1)
		s=$(printf '%s\n' "$out" | sed -n 's/^TOTP secret (shown once; enrol it now): //p')
		[ -n "$s" ] && TOTP=$s
	done
	[ -n "$TOTP" ] || { echo "office_node.sh: no TOTP secret for the adjudicator" >&2; return 1; }

	PASPOR_LOAD_TEST=1 "$P" office serve --data "$D" --kek-file "$K" --listen 127.0.0.1:0 \
		--public-listen 127.0.0.1:0 --threads "$threads" --no-request-log \
		>"$T/serve.out" 2>"$T/serve.err" &
	PID=$!
	local _
	for _ in $(seq 1 300); do
		[ "$(grep -c '^listening' "$T/serve.out")" -ge 2 ] && break
		kill -0 "$PID" 2>/dev/null || { cat "$T/serve.err" >&2; return 1; }
		sleep 0.1
	done
	OFF=http://$(awk '$2 == "officer" { print $3 }' "$T/serve.out")
	PUB=http://$(awk '$2 == "public" { print $3 }' "$T/serve.out")
	grep -qi 'rate limits' "$T/serve.err" && echo "server: $(grep -i -m1 'rate limits' "$T/serve.err")"
	echo "server: pid $PID, --threads $threads, officer $OFF, public $PUB, data dir on $(df --output=source "$T" | tail -1)"
	return 0
}

office_node_stop() {
	kill -TERM "$PID"
	NODE_RC=0
	wait "$PID" || NODE_RC=$?
	PID=
	echo "server stopped (exit $NODE_RC)"
	[ "$NODE_RC" = 0 ] || tail -5 "$T/serve.err" >&2
	return 0
}
