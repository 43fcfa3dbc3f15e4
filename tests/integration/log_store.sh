#!/usr/bin/env bash
# The office node's signed event log on SQLite (docs/LOG.md, "Store, group commit and
# guards"): `paspor office init`, `log append/checkpoint/proof/verify`, `rebuild`, the
# rollback and clock guards, key file modes, tampering detected by `log verify`, and a
# disk that fills up (tmpfs, when mount works). Known answers come from outside paspor:
# the checkpoint root is recomputed from the stored bytes with `openssl dgst`, its
# Ed25519 signature is checked with `openssl pkeyutl`, tampering is done with the
# sqlite3 CLI and openssl enc.
SUITE=log_store; . "$(dirname "$0")/../lib.sh"

O=kanim-test.imigrasi.go.id
D=$T/d
K=$T/kek
expect_exit 0 "kek file made" "$PASPOR" office kek --out "$K"
check "kek file is 0600" [ "$(stat -c %a "$K")" = 600 ]
expect_exit 2 "kek refuses to overwrite" "$PASPOR" office kek --out "$K"
expect_exit 0 "office init" "$PASPOR" office init --data "$D" --origin $O --name "Kanim Test" --kek-file "$K"
check "data dir is 0700" [ "$(stat -c %a "$D")" = 700 ]
check "keys/node.key and data.key are 0600" [ "$(stat -c %a "$D/keys/node.key")$(stat -c %a "$D/keys/data.key")" = 600600 ]
check "paspor.db and blobs/ exist" [ -f "$D/paspor.db" -a -d "$D/blobs" ]
check "database is WAL, schema version 2" [ "$(sqlite3 "$D/paspor.db" 'PRAGMA journal_mode; PRAGMA user_version' | tr '\n' ' ')" = "wal 2 " ]
check "node.key is a signed-note private key" grep -q "^PRIVATE+KEY+$O+" "$D/keys/node.key"
check "first event is node.created" [ "$(sqlite3 "$D/paspor.db" 'SELECT seq, kind FROM events')" = "0|node.created" ]
check "node_info holds the office name and verifier key" \
	[ "$(sqlite3 "$D/paspor.db" 'SELECT name, vkey FROM node_info')" = "Kanim Test|$(cat "$D/keys/node.pub")" ]
expect_exit 2 "init refuses a non-empty dir" "$PASPOR" office init --data "$D" --origin $O --kek-file "$K"
expect_exit 2 "init refuses a bad origin" "$PASPOR" office init --data "$T/bad" --origin "Not A DNS" --kek-file "$K"
expect_exit 2 "init needs a KEK" "$PASPOR" office init --data "$T/bad2" --origin $O

# ---- KEK files: one format, base64 of 32 bytes on one line ----
check "kek file is base64 of 32 bytes on one line (base64 -d)" [ "$(base64 -d "$K" | wc -c) $(wc -l <"$K")" = "32 1" ]
kekcase() { # name, file content maker; init must refuse it (exit 2) naming the file
	local f=$T/kek-$1; rm -f "$f"; eval "$2" >"$f"; chmod 600 "$f"
	expect_exit 2 "KEK file $1: refused" "$PASPOR" office init --data "$T/kd" --origin $O --kek-file "$f"
	check "... naming the file and the format" grep -q "kek-$1' is not base64 of 32 bytes on one line" "$T/.stderr"
	check "... before creating anything" [ ! -e "$T/kd" ]
}
kekcase raw32 'head -c 32 /dev/urandom'
kekcase b64of31 'head -c 31 /dev/urandom | base64'
kekcase b64of33 'head -c 33 /dev/urandom | base64'
kekcase twolines 'cat "$K" "$K"'
kekcase crlf 'printf "%s\r\n" "$(cat "$K")"'
kekcase empty 'true'
printf '%s' "$(cat "$K")" >"$T/kek-nonl"; chmod 600 "$T/kek-nonl"
expect_exit 0 "KEK file without the final newline: accepted" "$PASPOR" office init --data "$T/kd" --origin $O --kek-file "$T/kek-nonl"
rm -rf "$T/kd"

# ---- a failed init leaves nothing behind ----
expect_exit 2 "init with a passphrase of 11 characters: refused" "$PASPOR" office init --data "$T/p" --origin $O --passphrase-fd 3 3<<<"elevenchars"
check "... saying it is too short" grep -q "too short" "$T/.stderr"
check "... creating nothing" [ ! -e "$T/p" ]
expect_exit 1 "init with a missing KEK file: refused" "$PASPOR" office init --data "$T/p" --origin $O --kek-file "$T/no-such-kek"
check "... naming it" grep -q "no-such-kek" "$T/.stderr"
check "... creating nothing" [ ! -e "$T/p" ]
check "bad origin above created nothing" [ ! -e "$T/bad" ]
expect_exit 2 "init with an office name that is not UTF-8 fails after the database is made" "$PASPOR" office init --data "$T/p" --origin $O --name "$(printf 'a\377')" --kek-file "$K"
check "... and removes the data dir it made" [ ! -e "$T/p" ]
mkdir "$T/p"; chmod 755 "$T/p"
expect_exit 2 "... in an existing empty dir" "$PASPOR" office init --data "$T/p" --origin $O --name "$(printf 'a\377')" --kek-file "$K"
check "... which is kept" [ -d "$T/p" ]
check "... and left empty" [ -z "$(ls -A "$T/p" 2>&1)" ]
rmdir "$T/p"

# ---- append ----
expect_exit 0 "append operator.note" "$PASPOR" log append --data "$D" --kek-file "$K" --kind operator.note --body '{"text":"buka loket"}'
check "append prints seq 1" [ "$(cat "$T/.stdout")" = 1 ]
expect_exit 2 "unknown kind is exit 2" "$PASPOR" log append --data "$D" --kek-file "$K" --kind no.such --body '{}'
expect_exit 2 "non-canonical body is exit 2" "$PASPOR" log append --data "$D" --kek-file "$K" --kind operator.note --body '{"text": "x"}'
long=$(head -c 1001 /dev/zero | tr '\0' a)
expect_exit 2 "note of 1001 characters is exit 2" "$PASPOR" log append --data "$D" --kek-file "$K" --kind operator.note --body "{\"text\":\"$long\"}"
head -c 32 /dev/urandom | base64 >"$T/wrongkek"; chmod 600 "$T/wrongkek"
expect_exit 1 "wrong KEK is refused" "$PASPOR" log append --data "$D" --kek-file "$T/wrongkek" --kind operator.note --body '{"text":"x"}'
check "... as a key that does not unwrap data.key" grep -q "cannot unwrap" "$T/.stderr"
for i in 2 3 4; do "$PASPOR" log append --data "$D" --kek-file "$K" --kind operator.note --body "{\"text\":\"note $i\"}" >/dev/null; done
check "body of a note is sealed (no clear text in the event)" [ -z "$(sqlite3 "$D/paspor.db" "SELECT seq FROM events WHERE instr(data, CAST('note 3' AS BLOB)) > 0")" ]
# events appended from the command line carry the operator's identity, never a name
# given on it, and only operator notes are appended by hand (docs/LOG.md)
me="cli:$(id -un)"
check "append's events carry the operator's identity ($me) in the envelope" \
	[ "$(sqlite3 "$D/paspor.db" "SELECT group_concat(seq) FROM events WHERE seq > 0 AND instr(data, CAST(char(length('$me')) || '$me' AS BLOB)) > 0")" = 1,2,3,4 ]
expect_exit 2 "append --actor is refused" "$PASPOR" log append --data "$D" --kek-file "$K" --actor officer:adj --kind operator.note --body '{"text":"x"}'
check "... saying events from the command line carry the operator's identity" grep -q -- "--actor is refused: .*the operator's identity ($me)" "$T/.stderr"
expect_exit 2 "append of an officer's kind (officer.disabled) is refused" "$PASPOR" log append --data "$D" --kek-file "$K" --kind officer.disabled --body '{"username":"adj"}'
check "... saying only operator.note is appended by hand" grep -q "'officer.disabled' events are not appended from the command line (only operator.note)" "$T/.stderr"
expect_exit 2 "append of a workflow kind (application.approved) is refused" "$PASPOR" log append --data "$D" --kek-file "$K" --kind application.approved --body '{}'
check "... before its body is read" grep -q "'application.approved' events are not appended from the command line" "$T/.stderr"
check "nothing was appended by the refused calls" [ "$(sqlite3 "$D/paspor.db" 'SELECT max(seq) FROM events')" = 4 ]

# ---- checkpoint, recomputed and signature-checked outside paspor ----
expect_exit 0 "log checkpoint" "$PASPOR" log checkpoint --data "$D"
cp "$T/.stdout" "$T/cp"
check "checkpoint is the DIR/checkpoint file" cmp "$T/cp" "$D/checkpoint"
check "checkpoint names origin and size 5" [ "$(sed -n 1,2p "$T/cp" | tr '\n' ' ')" = "$O 5 " ]
leaf() { # leaf hash of event $1 (hex)
	{ printf '\000'; sqlite3 "$D/paspor.db" "SELECT hex(data) FROM events WHERE seq=$1" | xxd -r -p; } |
		openssl dgst -sha256 -binary | xxd -p -c 64
}
node() { { printf '\001'; echo "$1$2" | xxd -r -p; } | openssl dgst -sha256 -binary | xxd -p -c 64; }
h01=$(node "$(leaf 0)" "$(leaf 1)"); h23=$(node "$(leaf 2)" "$(leaf 3)")
root5=$(node "$(node "$h01" "$h23")" "$(leaf 4)")
got=$(sed -n 3p "$T/cp" | base64 -d | xxd -p -c 64)
check "checkpoint root = MTH of the stored bytes (openssl)" [ "$got" = "$root5" ]
pub=$(cut -d+ -f3- "$D/keys/node.pub" | base64 -d | tail -c 32 | xxd -p -c 64)
echo "302a300506032b6570032100$pub" | xxd -r -p >"$T/pub.der"
sed -n 1,3p "$T/cp" >"$T/cp.text"
sed -n 5p "$T/cp" | awk '{print $3}' | base64 -d | tail -c 64 >"$T/cp.sig"
check "checkpoint signature verifies with openssl (Ed25519)" \
	openssl pkeyutl -verify -pubin -keyform DER -inkey "$T/pub.der" -rawin -in "$T/cp.text" -sigfile "$T/cp.sig"

# ---- proofs round trip through verify-proof ----
for i in 0 2 4; do
	"$PASPOR" log proof --data "$D" --inclusion $i >"$T/p$i.json"
	check "inclusion proof of $i verifies" "$PASPOR" log verify-proof "$T/p$i.json"
done
"$PASPOR" log proof --data "$D" --inclusion 1 --size 3 >"$T/p13.json"
check "inclusion proof at an older size verifies" "$PASPOR" log verify-proof "$T/p13.json"
"$PASPOR" log proof --data "$D" --consistency 2 5 >"$T/c25.json"
check "consistency proof 2 -> 5 verifies" "$PASPOR" log verify-proof "$T/c25.json"
check "consistency proof's root2 is the checkpoint root" grep -q "\"root2\": \"$(sed -n 3p "$T/cp")\"" "$T/c25.json"
sed 's/"leafIdx": 2/"leafIdx": 3/' "$T/p2.json" >"$T/bad.json"
expect_exit 1 "proof for another index is rejected" "$PASPOR" log verify-proof "$T/bad.json"
expect_exit 2 "proof of an index beyond the log is exit 2" "$PASPOR" log proof --data "$D" --inclusion 5

# ---- verify, and tampering ----
expect_exit 0 "log verify passes" "$PASPOR" log verify --data "$D"
check "verify prints a summary" grep -q "5 events" "$T/.stdout"
copy() { rm -rf "$T/x"; cp -a "$D" "$T/x"; }
tamper_byte() { # seq offset: flips one byte of a stored event in the copy
	local hex
	hex=$(sqlite3 "$T/x/paspor.db" "SELECT hex(data) FROM events WHERE seq=$1")
	local b=${hex:$(($2 * 2)):2}
	local nb; nb=$(printf '%02X' $(((16#$b) ^ 1)))
	hex="${hex:0:$(($2 * 2))}$nb${hex:$(($2 * 2 + 2))}"
	sqlite3 "$T/x/paspor.db" "UPDATE events SET data = X'$hex' WHERE seq=$1"
}
for off in 0 3 12 20 40 60; do
	copy; tamper_byte 3 $off
	expect_exit 1 "byte $off of event 3 changed: verify fails" "$PASPOR" log verify --data "$T/x"
	check "... and names event 3" grep -q "event 3" "$T/.stderr"
done
copy; len=$(sqlite3 "$T/x/paspor.db" "SELECT length(data) FROM events WHERE seq=2"); tamper_byte 2 $((len - 1))
expect_exit 1 "last byte of event 2 changed: verify fails naming it" "$PASPOR" log verify --data "$T/x"
check "... names event 2" grep -q "event 2" "$T/.stderr"
copy; sqlite3 "$T/x/paspor.db" "DELETE FROM events WHERE seq=2"
expect_exit 1 "deleted event: verify fails" "$PASPOR" log verify --data "$T/x"
check "... names event 2" grep -q "event 2" "$T/.stderr"
copy; sqlite3 "$T/x/paspor.db" "DELETE FROM events WHERE seq=4"
expect_exit 1 "deleted last event: verify fails" "$PASPOR" log verify --data "$T/x"
copy; sqlite3 "$T/x/paspor.db" "CREATE TEMP TABLE t AS SELECT seq, data FROM events WHERE seq IN (1, 2); UPDATE events SET data = (SELECT data FROM t WHERE t.seq = 3 - events.seq) WHERE seq IN (1, 2)"
expect_exit 1 "reordered events: verify fails" "$PASPOR" log verify --data "$T/x"
check "... names event 1" grep -q "event 1" "$T/.stderr"
copy; sqlite3 "$T/x/paspor.db" "UPDATE tiles SET hashes = zeroblob(length(hashes)) WHERE level = 0"
expect_exit 1 "zeroed tiles: verify fails" "$PASPOR" log verify --data "$T/x"
check "... names a checkpoint" grep -q "checkpoint" "$T/.stderr"
copy; sz=$(stat -c %s "$T/x/paspor.db"); truncate -s $((sz / 2)) "$T/x/paspor.db"
expect_exit 1 "truncated database: verify fails" "$PASPOR" log verify --data "$T/x"
copy; openssl enc -aes-256-cbc -pbkdf2 -pass pass:x -in "$D/paspor.db" -out "$T/x/paspor.db"
expect_exit 1 "encrypted database: verify fails" "$PASPOR" log verify --data "$T/x"
check "... saying it is not a database" grep -q "not a database" "$T/.stderr"
copy; rm "$T/x/checkpoint"
expect_exit 1 "missing checkpoint file: verify fails" "$PASPOR" log verify --data "$T/x"
expect_exit 1 "missing checkpoint file: append refuses" "$PASPOR" log append --data "$T/x" --kek-file "$K" --kind operator.note --body '{"text":"x"}'
# the columns the events table keeps beside each envelope, which queries read (by
# subject, by kind): a changed one is tampering, named with its event and column
colcase() { # name, SQL run on the copy, what the message must say
	copy; sqlite3 "$T/x/paspor.db" "$2"
	expect_exit 1 "$1: verify fails" "$PASPOR" log verify --data "$T/x"
	check "... naming the event and the column" grep -q "$3" "$T/.stderr"
}
colcase "kind column of event 2 changed" "UPDATE events SET kind = 'application.approved' WHERE seq = 2" \
	"event 2: the events table's kind column differs from its signed envelope (kind 'operator.note')"
colcase "subject column of event 3 changed" "UPDATE events SET subject = 'app:A0000001' WHERE seq = 3" \
	"event 3: the events table's subject column differs from its signed envelope (subject '')"
colcase "time_ms column of event 1 changed" "UPDATE events SET time_ms = time_ms + 1 WHERE seq = 1" \
	"event 1: the events table's time_ms column differs from its signed envelope"
colcase "kind column of event 0 (clear node.created) changed" "UPDATE events SET kind = 'operator.note' WHERE seq = 0" \
	"event 0: the events table's kind column differs from its signed envelope (kind 'node.created')"
colcase "subject column of event 0 changed" "UPDATE events SET subject = 'app:A0000001' WHERE seq = 0" \
	"event 0: the events table's subject column"

# ---- rebuild ----
digest() { # every projection table's rows
	local db=$1 t
	for t in $(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type='table' AND name NOT IN ('meta','events','tiles','checkpoints','cosignatures') ORDER BY name"); do
		echo "== $t"; sqlite3 "$db" "SELECT * FROM $t ORDER BY 1"
	done | sha256sum
}
before=$(digest "$D/paspor.db")
expect_exit 0 "rebuild" "$PASPOR" rebuild --data "$D" --kek-file "$K"
check "rebuild replayed 5 events" grep -q "from 5 events" "$T/.stdout"
check "projection tables identical after rebuild" [ "$(digest "$D/paspor.db")" = "$before" ]
sqlite3 "$D/paspor.db" "DELETE FROM operator_notes WHERE seq = 2; UPDATE node_info SET name = 'x'"
check "damaged projections differ" [ "$(digest "$D/paspor.db")" != "$before" ]
"$PASPOR" rebuild --data "$D" --kek-file "$K" >/dev/null 2>&1
check "rebuild restores them" [ "$(digest "$D/paspor.db")" = "$before" ]
check "operator notes decrypted by rebuild" [ "$(sqlite3 "$D/paspor.db" 'SELECT text FROM operator_notes WHERE seq=3')" = "note 3" ]

# a rebuild killed part-way (it commits every 65536 events): the node refuses to run on
# the incomplete state tables and says how to finish; the log alone still verifies;
# running it again restores every row
R=$T/rb
expect_exit 0 "office init (rebuild test)" "$PASPOR" office init --data "$R" --origin $O --kek-file "$K"
"$PASPOR" log load --data "$R" --kek-file "$K" --writers 64 --count 1200 >/dev/null 2>"$T/load.err"
check "76 800 events loaded" [ "$(sqlite3 "$R/paspor.db" 'SELECT count(*) FROM events')" = 76801 ]
rbefore=$(digest "$R/paspor.db")
"$PASPOR" rebuild --data "$R" --kek-file "$K" >/dev/null 2>&1 &
rpid=$!
mark=
for _ in $(seq 1 1200); do # until its first step is committed (at most 60 s)
	mark=$(sqlite3 "$R/paspor.db" "SELECT value FROM meta WHERE key = 'rebuild_next'" 2>/dev/null)
	[ -n "$mark" ] && [ "$mark" != 0 ] && kill -STOP $rpid 2>/dev/null && break
	kill -0 $rpid 2>/dev/null || break
	sleep 0.05
done
kill -KILL $rpid 2>/dev/null; wait $rpid 2>/dev/null # stopped first: killed mid-step
check "rebuild killed after its first step (mark $mark)" [ "$mark" = 65536 ]
check "... the mark is still there" [ "$(sqlite3 "$R/paspor.db" "SELECT value FROM meta WHERE key = 'rebuild_next'")" = 65536 ]
expect_exit 1 "... append refuses the incomplete state" "$PASPOR" log append --data "$R" --kek-file "$K" --kind operator.note --body '{"text":"x"}'
check "... saying a rebuild stopped and to run it again" grep -q "state tables are incomplete: a rebuild stopped before event 65536 of 76801.*run \`paspor rebuild" "$T/.stderr"
expect_exit 0 "... the log alone verifies" "$PASPOR" log verify --data "$R"
expect_exit 0 "... rebuild run again" "$PASPOR" rebuild --data "$R" --kek-file "$K"
check "... replayed every event" grep -q "from 76801 events" "$T/.stdout"
check "... projection tables identical to before" [ "$(digest "$R/paspor.db")" = "$rbefore" ]
check "... and no mark left" [ -z "$(sqlite3 "$R/paspor.db" "SELECT value FROM meta WHERE key = 'rebuild_next'")" ]
expect_exit 0 "... append works again" "$PASPOR" log append --data "$R" --kek-file "$K" --kind operator.note --body '{"text":"x"}'
rm -rf "$R"

# ---- guards ----
rm -rf "$T/old"; cp -a "$D" "$T/old"
"$PASPOR" log append --data "$D" --kek-file "$K" --kind operator.note --body '{"text":"later"}' >/dev/null
cp "$T/old/paspor.db" "$D/paspor.db.old"
rm -rf "$T/x"; cp -a "$D" "$T/x"; mv "$T/x/paspor.db.old" "$T/x/paspor.db"
expect_exit 1 "old database with a newer checkpoint: append refuses" "$PASPOR" log append --data "$T/x" --kek-file "$K" --kind operator.note --body '{"text":"x"}'
check "... saying the database is older and how to restore" grep -q "older than the node's last checkpoint.*restore" "$T/.stderr"
expect_exit 1 "... and verify fails" "$PASPOR" log verify --data "$T/x"
rm -f "$D/paspor.db.old"
# another node's log under this node's keys
"$PASPOR" office init --data "$T/other" --origin $O --kek-file "$K" >/dev/null
for i in 1 2 3 4 5 6; do "$PASPOR" log append --data "$T/other" --kek-file "$K" --kind operator.note --body '{"text":"o"}' >/dev/null; done
rm -rf "$T/x"; cp -a "$D" "$T/x"; cp "$T/other/paspor.db" "$T/x/paspor.db"
expect_exit 1 "a different log under this node's checkpoint: append refuses" "$PASPOR" log append --data "$T/x" --kek-file "$K" --kind operator.note --body '{"text":"x"}'
check "... naming the checkpoint" grep -q "checkpoint" "$T/.stderr"
export PASPOR_TEST_CLOCK_OFFSET_MS=-60000
expect_exit 1 "clock 60 s behind the last event: append refuses" "$PASPOR" log append --data "$D" --kek-file "$K" --kind operator.note --body '{"text":"x"}'
check "... saying the clock is behind" grep -q "clock.*behind" "$T/.stderr"
PASPOR_CLOCK_TOLERANCE_MS=120000 expect_exit 0 "... accepted with a 120 s tolerance" "$PASPOR" log append --data "$D" --kek-file "$K" --kind operator.note --body '{"text":"x"}'
unset PASPOR_TEST_CLOCK_OFFSET_MS
expect_exit 0 "log still verifies (times never go backwards)" "$PASPOR" log verify --data "$D"
chmod 644 "$D/keys/node.key"
expect_exit 1 "node.key readable by others: refused" "$PASPOR" log append --data "$D" --kek-file "$K" --kind operator.note --body '{"text":"x"}'
check "... naming the file and mode" grep -q "node.key' is readable" "$T/.stderr"
chmod 600 "$D/keys/node.key"

# ---- passphrase ----
expect_exit 0 "init with --passphrase-fd" "$PASPOR" office init --data "$T/pp" --origin $O --passphrase-fd 3 3<<<"correct horse battery staple"
expect_exit 0 "append with the passphrase" "$PASPOR" log append --data "$T/pp" --passphrase-fd 3 --kind operator.note --body '{"text":"x"}' 3<<<"correct horse battery staple"
expect_exit 1 "wrong passphrase refused" "$PASPOR" log append --data "$T/pp" --passphrase-fd 3 --kind operator.note --body '{"text":"x"}' 3<<<"wrong horse battery staple"

# ---- disk full (tmpfs), when this machine lets us mount ----
# (600k: room for `office init`, whose empty database holds every projection table)
M=$T/mnt; mkdir -p "$M"
if mount -t tmpfs -o size=600k tmpfs "$M" 2>/dev/null; then
	on_exit "umount '$M'"
	"$PASPOR" office init --data "$M/d" --origin $O --kek-file "$K" >/dev/null 2>&1
	"$PASPOR" log load --data "$M/d" --kek-file "$K" --writers 4 --count 100000 >"$T/full.out" 2>"$T/full.err"
	rc=$?
	check "load on a full disk fails (exit $rc)" [ $rc -ne 0 ]
	check "... with a clear error" grep -qiE "full|no space" "$T/full.err"
	expect_exit 0 "... and the log still verifies" "$PASPOR" log verify --data "$M/d"
	acked=$(sort -n "$T/full.out" | tail -1)
	check "... some events were acknowledged" [ -n "$acked" ]
	check "... holding every acknowledged event ($acked)" [ "$(sqlite3 "$M/d/paspor.db" "SELECT count(*) FROM events WHERE seq <= ${acked:--1}")" = $((acked + 1)) ]
	mount -o remount,size=8m "$M"
	expect_exit 0 "after freeing space, appends work again" "$PASPOR" log append --data "$M/d" --kek-file "$K" --kind operator.note --body '{"text":"x"}'
	expect_exit 0 "... and the log verifies" "$PASPOR" log verify --data "$M/d"
else
	skip "disk full" "cannot mount a tmpfs here (mount needs CAP_SYS_ADMIN)"
fi

expect_exit 0 "log verify --help" "$PASPOR" log verify --help
expect_exit 0 "office init --help" "$PASPOR" office init --help
