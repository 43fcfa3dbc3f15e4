#!/usr/bin/env bash
# Signatures per second through the signer process (Unix socket + policy + durable
# signer.signed event + SoftHSM2 token) beside in-process signing with a key file, in
# the same run (issue 5; docs/BENCHMARKS.md "Signer"). Sets up SoftHSM2, a CSCA, the
# signer's data dir, key, certificate and booklet stock in a temporary folder, starts
# build/paspor signer, runs build/bench/signer_bench, then build/bench/issue_bench
# (personalizations with the data page, issue 6), stops the signer and removes the
# folder. SIGNER_BENCH_COUNT=N signatures per measurement (default 2000),
# ISSUE_BENCH_COUNT=M personalizations per measurement (default 300).
set -eu
cd "$(dirname "$0")/.."
P=build/paspor
B=build/bench/signer_bench
IB=build/bench/issue_bench
MOD=/usr/lib/softhsm/libsofthsm2.so
N=${SIGNER_BENCH_COUNT:-2000}
M=${ISSUE_BENCH_COUNT:-300}
for f in "$P" "$B" "$IB"; do
	[ -x "$f" ] || { echo "bench/signer_run.sh: $f is missing; run 'make bench'" >&2; exit 2; }
done
if [ ! -e "$MOD" ] || ! command -v softhsm2-util >/dev/null; then
	echo "bench/signer_run.sh: softhsm2 is not installed (scripts/deps.sh); skipped" >&2
	exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/paspor-signer-bench-XXXXXX")
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
export SOFTHSM2_CONF=$T/softhsm2.conf
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$T/tokens" >"$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label bench-ds --so-pin 87654321 --pin 123456 >/dev/null
printf '123456\n' >"$T/pin"; chmod 600 "$T/pin"
D=$T/signer
{
	"$P" office kek --out "$T/kek"
	"$P" signer init --data "$D" --kek-file "$T/kek" --module "$MOD" --token bench-ds \
		--key-label ds1 --pin-file "$T/pin" --per-minute 100000 --per-day 10000000
	"$P" signer key generate --data "$D"
	"$P" signer key csr --data "$D" --out "$T/ds.csr"
	"$P" pki csca --country IDN --out "$T/ca"
	"$P" pki ds --csca "$T/ca" --csr "$T/ds.csr" --out "$T/dscert"
	"$P" signer key install --data "$D" --kek-file "$T/kek" --cert "$T/dscert/ds.cert.pem"
	"$P" signer booklets add --data "$D" --kek-file "$T/kek" --first B00000001 --count "$N"
	"$P" signer booklets add --data "$D" --kek-file "$T/kek" --first C00000001 --count $((3 * M))
	"$P" pki ds --csca "$T/ca" --out "$T/dsfile"  # the key-file signer, same CSCA
} >"$T/setup.log" 2>&1 || { cat "$T/setup.log" >&2; exit 1; }
"$P" signer --data "$D" --kek-file "$T/kek" >"$T/signer.log" 2>&1 &
SPID=$!
for _ in $(seq 100); do [ -S "$D/signer.sock" ] && break; sleep 0.1; done
[ -S "$D/signer.sock" ] || { cat "$T/signer.log" >&2; exit 1; }
echo "SoftHSM2 $(softhsm2-util --version), token files on $(df -P "$T" | awk 'NR==2 {print $1}') ($(stat -f -c %T "$T"))"
"$B" --ds "$T/dsfile" --socket "$D/signer.sock" --first B00000001 --count "$N" --data "$D" \
	--photo tests/data/face-synthetic.jpg
# personalizations (issue 6): chip through the signer + data page, beside chip only
"$IB" --ds "$T/dsfile" --socket "$D/signer.sock" --first C00000001 --count "$M" \
	--photo tests/data/face-synthetic.jpg
