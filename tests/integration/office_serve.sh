#!/usr/bin/env bash
# The office node's HTTP server core (docs/HTTP.md), driven with curl against the real
# `paspor office serve` on random free loopback ports: both listeners, /healthz,
# /metrics (Prometheus text, parsed by the python prometheus_client parser where it is
# installed, and a strict regex per line), problem+json for every error (404, 405 with
# Allow, 413 declared and chunked, 414, 415, 400 malformed JSON, 401 without an auth
# hook), path traversal and odd bytes, the public listener hiding officer routes (404),
# security headers, 200 concurrent requests, SIGTERM with requests in flight (they
# finish, exit 0, every acknowledged event is in the log, `log verify` passes), SIGKILL
# then restart, what the request log may not contain, and no sanitizer report.
SUITE=office_serve; . "$(dirname "$0")/../lib.sh"

# a private copy: a rebuild of the shared binary mid-run cannot break the restarts
cp "$PASPOR" "$T/paspor" && PASPOR=$T/paspor
K=$T/kek
D=$T/d
"$PASPOR" office kek --out "$K" >/dev/null
expect_exit 0 "office init" "$PASPOR" office init --data "$D" --origin serve.test --kek-file "$K"
expect_exit 0 "serve --help" "$PASPOR" office serve --help
expect_exit 2 "serve without --data is a usage error" "$PASPOR" office serve --kek-file "$K"
expect_exit 2 "serve with a bad listen address is exit 2" \
	"$PASPOR" office serve --data "$D" --kek-file "$K" --listen localhost:80
check "bad listen address is named" grep -q "localhost:80" "$T/.stderr"

PID=
on_exit '[ -n "$PID" ] && kill -KILL $PID 2>/dev/null'
# start_server NAME: starts the server (test routes on) and waits for both listeners
start_server() {
	: >"$T/serve.out"
	PASPOR_TEST_ROUTES=1 "$PASPOR" office serve --data "$D" --kek-file "$K" \
		--listen 127.0.0.1:0 --public-listen 127.0.0.1:0 --threads 4 \
		>"$T/serve.out" 2>>"$T/serve.err" &
	PID=$!
	local i
	for i in $(seq 1 300); do
		[ "$(grep -c '^listening' "$T/serve.out")" -ge 2 ] && break
		kill -0 $PID 2>/dev/null || break
		sleep 0.1
	done
	OFF=http://$(awk '$2 == "officer" { print $3 }' "$T/serve.out")
	PUB=http://$(awk '$2 == "public" { print $3 }' "$T/serve.out")
	check "$1: both listeners up on random ports" \
		grep -Eq '^listening public 127\.0\.0\.1:[1-9][0-9]*$' "$T/serve.out"
}

# req METHOD URL [curl args]: CODE gets the status, $T/body the body, $T/hdr the headers
req() {
	local m=$1 u=$2; shift 2
	CODE=$(curl -s -m 20 -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$m" "$@" "$u")
}
hdr() { grep -i "^$1:" "$T/hdr" | head -1 | cut -d: -f2- | sed 's/^ //; s/\r$//'; }

# problem STATUS SLUG: body is RFC 9457 problem+json with that status and type
problem_ok() {
	[ "$CODE" = "$1" ] || { echo "status $CODE, expected $1"; return 1; }
	[ "$(hdr content-type)" = "application/problem+json" ] || { echo "content-type $(hdr content-type)"; return 1; }
	python3 - "$T/body" "$1" "$2" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
want = {"type": "https://paspor.example/problems/" + sys.argv[3], "status": int(sys.argv[2])}
assert isinstance(p, dict), "not an object"
for k, v in want.items():
    assert p.get(k) == v, "%s is %r, expected %r" % (k, p.get(k), v)
assert isinstance(p.get("title"), str) and p["title"], "no title"
assert isinstance(p.get("detail", ""), str), "detail not a string"
assert str(p.get("instance", "")).startswith("urn:paspor:request:"), "instance"
EOF
}
expect_problem() { # NAME STATUS SLUG
	if out=$(problem_ok "$2" "$3" 2>&1); then ok "$1"
	else fail "$1" "$(echo "$out" | tail -1); body: $(head -c 200 "$T/body")"; fi
}

# ---- the guards: a node whose checkpoint file is missing is refused
cp -a "$D" "$T/broken"
rm "$T/broken/checkpoint"
expect_exit 1 "serve refuses a node that fails its guards" \
	"$PASPOR" office serve --data "$T/broken" --kek-file "$K" --listen 127.0.0.1:0
check "the refusal says why" grep -q "checkpoint' is missing" "$T/.stderr"

start_server "first start"
checkpoint_size() { sed -n 2p "$D/checkpoint"; }
db_size() { sqlite3 "$D/paspor.db" 'SELECT count(*) FROM events'; }

# ---- /healthz on both listeners
req GET "$OFF/healthz"
check "healthz 200 on the officers' listener" [ "$CODE" = 200 ]
check "healthz reports status ok and the log size (events in the database)" python3 -c "
import json,sys; h=json.load(open('$T/body'))
assert h['status']=='ok' and h['log_size']==$(db_size) and isinstance(h['checkpoint_age_s'],int), h"
check "responses carry nosniff" [ "$(hdr x-content-type-options)" = nosniff ]
check "responses carry Cache-Control: no-store" [ "$(hdr cache-control)" = no-store ]
check "responses carry Referrer-Policy: no-referrer" [ "$(hdr referrer-policy)" = no-referrer ]
check "responses carry a strict CSP" grep -qi "^content-security-policy: default-src 'none'" "$T/hdr"
check "responses carry a request id" grep -Eqi '^x-request-id: [0-9a-f]{16}-[0-9a-f]+' "$T/hdr"
req GET "$PUB/healthz"
check "healthz 200 on the public listener" [ "$CODE" = 200 ]
req HEAD "$OFF/healthz" -I
check "HEAD healthz 200" [ "$CODE" = 200 ]

# ---- the public listener: officer routes do not exist there
req GET "$PUB/metrics"
expect_problem "metrics is 404 problem on the public listener" 404 not-found
req GET "$PUB/api/v1/log/checkpoint"
expect_problem "officer route is 404 (not 403) on the public listener" 404 not-found
req POST "$PUB/api/v1/test/echo" -H 'Content-Type: application/json' -d '{}'
expect_problem "officer POST route is 404 on the public listener" 404 not-found
req GET "$PUB/api/v1/test/items/abc"
check "a public route is served on the public listener" [ "$CODE" = 200 ]

# ---- the checkpoint route: the signed note of DIR/checkpoint, as `log checkpoint` prints
req GET "$OFF/api/v1/log/checkpoint"
check "checkpoint route 200" [ "$CODE" = 200 ]
check "checkpoint route returns DIR/checkpoint" cmp "$T/body" "$D/checkpoint"
"$PASPOR" log checkpoint --data "$D" >"$T/cp.cli" 2>/dev/null
check "checkpoint route agrees with 'paspor log checkpoint'" cmp "$T/body" "$T/cp.cli"

# ---- errors: every one is problem+json
req GET "$OFF/no/such/route"
expect_problem "unknown route 404" 404 not-found
req DELETE "$OFF/healthz"
expect_problem "wrong method 405" 405 method-not-allowed
check "405 has Allow: GET, HEAD" [ "$(hdr allow)" = "GET, HEAD" ]
req GET "$OFF/api/v1/test/echo"
check "405 Allow lists POST" [ "$(hdr allow)" = "POST" ]
head -c 70000 /dev/zero | tr '\0' 'a' | sed 's/^/{"a":"/; s/$/"}/' >"$T/big.json"
req POST "$OFF/api/v1/test/echo" -H 'Content-Type: application/json' --data-binary @"$T/big.json"
expect_problem "JSON body over 64 KiB is 413" 413 body-too-large
req POST "$OFF/api/v1/test/echo" -H 'Content-Type: application/json' \
	-H 'Transfer-Encoding: chunked' --data-binary @"$T/big.json"
expect_problem "chunked JSON body over 64 KiB is 413" 413 body-too-large
req POST "$OFF/api/v1/test/echo" -H 'Content-Type: text/plain' -d '{}'
expect_problem "wrong content type 415" 415 unsupported-media-type
req POST "$OFF/api/v1/test/echo" -d '{}'
expect_problem "form content type 415" 415 unsupported-media-type
for body in '{"a":' '{"a":1,}' '[1,2]' '"text"' '' '{"a":1,"a":2}' $'{"a":"\xff"}' '{"a":"\u0000"}'; do
	req POST "$OFF/api/v1/test/echo" -H 'Content-Type: application/json' --data-binary "$body"
	expect_problem "malformed JSON body $(printf %q "$body") is 400" 400 malformed-json
done
req POST "$OFF/api/v1/test/echo" -H 'Content-Type: application/json; charset=utf-8' -d '{"a":[1,{"b":null}]}'
check "well-formed JSON with a charset parameter is accepted" [ "$CODE" = 200 ]
req GET "$OFF/healthz" -H 'Content-Type: application/json' -d '{}'
expect_problem "a body on a route that takes none is 413" 413 body-too-large
req POST "$OFF/api/v1/test/secret" -H 'Content-Type: application/json' -d '{}'
expect_problem "a non-anonymous route without an auth hook is 401" 401 unauthorized
head -c 1048576 /dev/urandom >"$T/photo"
req PUT "$OFF/api/v1/test/upload" -H 'Content-Type: image/jpeg' --data-binary @"$T/photo"
check "a route with a larger cap takes 1 MiB: 200" [ "$CODE" = 200 ]
check "... and counts 1048576 bytes" grep -q '"bytes":1048576' "$T/body"
head -c 5000000 /dev/zero >"$T/huge"
req PUT "$OFF/api/v1/test/upload" -H 'Content-Type: image/jpeg' --data-binary @"$T/huge"
expect_problem "5 MB over a 4 MiB cap is 413" 413 body-too-large
req GET "$OFF/healthz?$(head -c 3000 /dev/zero | tr '\0' 'x')"
expect_problem "request target over 2048 bytes is 414" 414 uri-too-long

# ---- path traversal, odd bytes, parameters
for p in '/api/v1/../../etc/passwd' '/api/v1/%2e%2e/%2e%2e/etc/passwd' '/api/v1/test/items/%2e%2e' \
	'/api/v1/test/items/a%00b' '/api/v1/test/items/%00' '/api/v1/test/items/a%2fb' \
	'/api/v1/test/items/..%2f..%2fetc' '/healthz/.' '//healthz' '/api/v1/test/items/a%5cb' \
	'/api/v1/test/items/%zz' '/api/v1/test/items/%4' '/api/v1/test/items/%c3%a9' \
	'/api/v1/test/items/a%0d%0aSet-Cookie:x'; do
	req GET "$OFF$p" --path-as-is
	expect_problem "path '$p' is a 400 bad-path problem" 400 bad-path
done
for p in '/api/v1/test/items/.b' "/api/v1/test/items/$(printf 'x%.0s' $(seq 65))" \
	'/api/v1/test/items/a%20b' '/api/v1/test/items/a+b' '/api/v1/test/items/' '/healthz/'; do
	req GET "$OFF$p" --path-as-is
	if [ "$CODE" = 400 ]; then expect_problem "param '$p' is refused (400)" 400 bad-path
	else expect_problem "param '$p' does not match a route (404)" 404 not-found; fi
done
req GET "$OFF/api/v1/test/items/Ab-9_z"
check "a valid parameter reaches the handler" grep -q '"id":"Ab-9_z"' "$T/body"
req GET "$OFF/api/v1/test/items/EF.SOD"
check "a parameter with an inner dot (a chip file name) reaches the handler" grep -q '"id":"EF.SOD"' "$T/body"
printf 'GET /api/v1/test/items/a\0b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$T/nul.req"
port=${OFF##*:}
if command -v python3 >/dev/null; then
	code=$(python3 - "$port" "$T/nul.req" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(open(sys.argv[2], "rb").read())
data = b""
while True:
    d = s.recv(65536)
    if not d: break
    data += d
print(data.split(b" ")[1].decode() if data else "none")
EOF
)
	check "a raw NUL byte in the path is a 4xx ($code)" [ "${code:0:1}" = 4 ]
fi

# ---- writes through the writer
req POST "$OFF/api/v1/test/notes" -H 'Content-Type: application/json' -d '{"text":"hello"}'
check "a note is appended (201)" [ "$CODE" = 201 ]
seq1=$(python3 -c "import json; print(json.load(open('$T/body'))['seq'])")
check "its seq is the log size before it" [ "$seq1" = 1 ]
req GET "$OFF/healthz"
check "healthz log size grew to 2" grep -q '"log_size":2,' "$T/body"
sleep 0.3
check "DIR/checkpoint grew (within the writer's 100 ms)" [ "$(checkpoint_size)" = 2 ]
req POST "$OFF/api/v1/test/notes" -H 'Content-Type: application/json' -d '{"text":5}'
expect_problem "a wrong field type is 422 invalid-field" 422 invalid-field

# ---- 200 concurrent requests (half of them writes); each answer in its own file
mkdir "$T/c"
seq 1 200 | xargs -P 32 -I{} sh -c '
	if [ $(({} % 2)) = 0 ]; then
		curl -s -m 30 -o "$2/{}.body" -w "%{http_code}" "$1/healthz" >"$2/{}.code"
	else
		curl -s -m 30 -o "$2/{}.body" -w "%{http_code}" -H "Content-Type: application/json" \
			-d "{\"text\":\"n{}\"}" "$1/api/v1/test/notes" >"$2/{}.code"
	fi' _ "$OFF" "$T/c" 2>/dev/null
check "200 concurrent requests all answered 200/201" \
	[ "$(cat "$T"/c/*.code | grep -Eo '20[01]' | wc -l)" = 200 ]
check "100 concurrent writes got 100 distinct seqs" \
	[ "$(cat "$T"/c/*.body | grep -Eo '"seq":[0-9]+' | sort -u | wc -l)" = 100 ]

# ---- /metrics: Prometheus text format
req GET "$OFF/metrics"
check "metrics 200" [ "$CODE" = 200 ]
check "metrics content type is text/plain; version=0.0.4" \
	grep -qi '^content-type: text/plain; version=0.0.4' "$T/hdr"
cp "$T/body" "$T/metrics"
name='[a-zA-Z_:][a-zA-Z0-9_:]*'
lv='"([^"\\]|\\["\\n])*"'
num='(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|[-+]Inf|NaN)'
re="^(# HELP $name .*|# TYPE $name (counter|gauge|histogram|summary|untyped)|$name(\{[a-zA-Z_][a-zA-Z0-9_]*=$lv(,[a-zA-Z_][a-zA-Z0-9_]*=$lv)*\})? $num)\$"
check "every metrics line matches the text format" [ "$(grep -Evc "$re" "$T/metrics")" = 0 ]
check "requests counted by route pattern and status" \
	grep -Eq '^paspor_http_requests_total\{route="/healthz",status="200"\} [1-9][0-9]*$' "$T/metrics"
check "404s counted under an 'unmatched' route (never the raw path)" \
	grep -Eq '^paspor_http_requests_total\{route="unmatched",status="404"\} [1-9]' "$T/metrics"
check "latency histogram with +Inf bucket" \
	grep -Eq '^paspor_http_request_duration_seconds_bucket\{route="/healthz",le="\+Inf"\} [1-9]' "$T/metrics"
check "events appended counted (101)" grep -Eq '^paspor_events_appended_total 101$' "$T/metrics"
check "log size gauge equals the events in the database" grep -Eq "^paspor_log_size $(db_size)\$" "$T/metrics"
check "checkpoint age gauge" grep -Eq '^paspor_checkpoint_age_seconds [0-9]' "$T/metrics"
check "problems counted by type" grep -Eq '^paspor_http_problems_total\{type="bad-path"\} [1-9]' "$T/metrics"
check "no raw path or parameter value in any label" bash -c "! grep -q 'Ab-9_z\|etc/passwd' '$T/metrics'"
# Debian's python3-prometheus-client (scripts/deps.sh) lives under /usr/bin/python3
if /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null; then
	check "prometheus_client parses /metrics" /usr/bin/python3 -c "
from prometheus_client.parser import text_string_to_metric_families as p
fams = {f.name: f for f in p(open('$T/metrics').read())}
h = fams['paspor_http_request_duration_seconds']
assert h.type == 'histogram', h.type
c = fams['paspor_http_requests']
assert c.type == 'counter'
assert any(s.labels.get('route') == '/healthz' and s.value >= 100 for s in c.samples)"
else
	skip "prometheus_client parses /metrics" "python3-prometheus-client is not installed (scripts/deps.sh)"
fi

# ---- the request log: one line per request, route patterns only, no query, no ids
req GET "$OFF/api/v1/test/items/secretid123?nik=3201234567890001"
check "request log has route pattern, status and id" \
	grep -Eq 'request id=[0-9a-f]+-[0-9a-f]+ method=GET route=/api/v1/test/items/\{id\} status=200 ms=' "$T/serve.err"
check "request log never has the parameter value or the query" \
	bash -c "! grep -q 'secretid123\|3201234567890001' '$T/serve.err'"

# ---- SIGTERM with requests in flight
for i in 1 2 3; do
	curl -s -m 30 -o "$T/slow.$i" -w '%{http_code}' -H 'Content-Type: application/json' \
		-d '{"sleep_ms":1500}' "$OFF/api/v1/test/echo" >"$T/slow.$i.code" 2>/dev/null &
done
seq 1 40 | xargs -P 8 -I{} curl -s -m 30 -w ' %{http_code}\n' -H 'Content-Type: application/json' \
	-d '{"text":"t{}"}' "$OFF/api/v1/test/notes" >"$T/term.notes" 2>/dev/null &
xpid=$!
sleep 0.5
kill -TERM $PID
sleep 0.3
curl -s -m 5 -o /dev/null "$OFF/healthz"
check "no new connection accepted after SIGTERM (curl exit 7: $?)" [ $? -eq 7 ]
wait $xpid
for i in 1 2 3; do wait %$i 2>/dev/null; done
wait $PID
rc=$?
PID=
check "server exits 0 after SIGTERM" [ $rc -eq 0 ]
check "the 3 slow requests in flight finished with 200" \
	[ "$(cat "$T"/slow.?.code | tr -d '\n')" = 200200200 ]
grep -Eo '"seq":[0-9]+' "$T/term.notes" | cut -d: -f2 | sort >"$T/acked"
sqlite3 "$D/paspor.db" "SELECT seq FROM events" | sort >"$T/have"
check "every acknowledged note is in the log ($(wc -l <"$T/acked") acked)" \
	[ -z "$(comm -23 "$T/acked" "$T/have")" ]
expect_exit 0 "log verify passes after SIGTERM" "$PASPOR" log verify --data "$D"

# ---- SIGKILL, then restart
start_server "restart after SIGTERM"
seq 1 30 | xargs -P 8 -I{} curl -s -m 30 -w ' %{http_code}\n' -H 'Content-Type: application/json' \
	-d '{"text":"k{}"}' "$OFF/api/v1/test/notes" >"$T/kill.notes" 2>/dev/null &
xpid=$!
sleep 0.4
kill -KILL $PID
wait $PID 2>/dev/null
PID=
wait $xpid
grep -Eo '"seq":[0-9]+' "$T/kill.notes" | cut -d: -f2 | sort >"$T/acked"
sqlite3 "$D/paspor.db" "SELECT seq FROM events" | sort >"$T/have"
check "every note acknowledged before SIGKILL is in the log" [ -z "$(comm -23 "$T/acked" "$T/have")" ]
expect_exit 0 "log verify passes after SIGKILL" "$PASPOR" log verify --data "$D"
start_server "restart after SIGKILL"
req GET "$OFF/healthz"
# DIR/checkpoint may lag the database by one batch after SIGKILL (docs/LOG.md)
check "healthz after restart reports the whole log, covering every acknowledged note" python3 -c "
import json; h=json.load(open('$T/body')); assert h['log_size']==$(db_size), h
assert h['log_size'] > max([int(x) for x in open('$T/acked').read().split()] or [0]), h"
req POST "$OFF/api/v1/test/notes" -H 'Content-Type: application/json' -d '{"text":"after"}'
check "writes work after restart" [ "$CODE" = 201 ]
kill -TERM $PID
wait $PID
rc=$?
PID=
check "second SIGTERM exits 0" [ $rc -eq 0 ]
expect_exit 0 "final log verify" "$PASPOR" log verify --data "$D"

# ---- routes table
expect_exit 0 "office routes" "$PASPOR" office routes
check "routes lists healthz on both listeners" grep -qx 'GET /healthz officer,public anon' "$T/.stdout"
check "routes lists metrics on the officers' listener only" grep -qx 'GET /metrics officer anon' "$T/.stdout"
check "routes hides test routes without --test" bash -c "! grep -q test '$T/.stdout'"
check "no sanitizer report from the server" no_sanitizer_report "$T/serve.err"

# ---- docs/openapi.yaml lists exactly the non-test routes, and every problem type
"$PASPOR" office routes | awk '{ print tolower($1), $2 }' | sort >"$T/routes.txt"
python3 - "$PASPOR_ROOT/docs/openapi.yaml" <<'PYEOF' | sort >"$T/openapi.txt"
import re, sys
# a small reader for the hand-written document: "  /path:" then "    method:"
path = None
for line in open(sys.argv[1]):
    m = re.match(r"^  (/\S*):\s*$", line)
    if m: path = m.group(1); continue
    if re.match(r"^\S", line): path = None; continue
    m = re.match(r"^    (get|put|post|patch|delete):\s*$", line)
    if m and path: print(m.group(1), path)
PYEOF
check "docs/openapi.yaml has exactly the routes of 'office routes'" diff "$T/routes.txt" "$T/openapi.txt"
for slug in $(grep -o '"[a-z-]*", "[A-Z][^"]*", [0-9]*' "$PASPOR_ROOT/src/util/http.c" | cut -d'"' -f2); do
	grep -q "problems/$slug\$" "$PASPOR_ROOT/docs/openapi.yaml" && grep -q "| \`$slug\` |" "$PASPOR_ROOT/docs/HTTP.md" ||
		fail "problem type $slug documented in openapi.yaml and HTTP.md"
done
ok "every problem type of http.c is in docs/openapi.yaml and docs/HTTP.md"
