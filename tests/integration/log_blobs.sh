#!/usr/bin/env bash
# Blobs anchored in the signed log, and witnesses' cosignatures (docs/LOG.md "Blobs in
# the log" and "Cosignatures", docs/BLOBS.md §8): `paspor log put-blob` stores a blob and
# appends a clear blob.stored event; `paspor log verify` (no key) checks every logged
# blob file; `paspor log cosign` stores a second node's cosignature of a checkpoint,
# `log checkpoint` prints it, `log verify` checks it. Known answers come from outside
# paspor: sha256sum and stat of the stored files, the clear body read with sqlite3,
# openssl enc to play ransomware, openssl pkeyutl for the witness's Ed25519 signature
# and openssl dgst for its key id.
SUITE=log_blobs; . "$(dirname "$0")/../lib.sh"

O=kanim-blob.imigrasi.go.id
D=$T/d
K=$T/kek
"$PASPOR" office kek --out "$K" >/dev/null
"$PASPOR" office init --data "$D" --origin $O --kek-file "$K" >/dev/null
head -c 200000 /dev/urandom >"$T/photo.jpg"
printf 'fingerprint template 1\n' >"$T/finger.bin"
: >"$T/empty"
events() { sqlite3 "$D/paspor.db" 'SELECT count(*) FROM events'; }
field() { # json field: the value of "$2" in the one-line JSON $1
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# ---- three blobs through the real writer ----
i=0
for f in photo.jpg finger.bin empty; do
	i=$((i + 1))
	expect_exit 0 "put-blob $f" "$PASPOR" log put-blob --data "$D" --kek-file "$K" --file "$T/$f"
	ref=$(cat "$T/.stdout"); eval "ref$i=\$ref"
	name=$(field "$ref" name); sha=$(field "$ref" sha256); size=$(field "$ref" size)
	path=$D/blobs/${name:0:2}/$name
	check "$f: blob file at blobs/${name:0:2}/<name>" [ -f "$path" ]
	check "$f: logged sha256 = sha256sum of the stored file" [ "$(sha256sum "$path" | cut -c1-64)" = "$sha" ]
	check "$f: logged size = stat size = content + 45" [ "$size $(stat -c %s "$path")" = "$(($(stat -c %s "$T/$f") + 45)) $(($(stat -c %s "$T/$f") + 45))" ]
	body="{\"name\":\"$name\",\"sha256\":\"$sha\",\"size\":$size}"
	check "$f: blob.stored event at seq $i carries the ref in clear" \
		[ "$(sqlite3 "$D/paspor.db" "SELECT seq || kind || subject FROM events WHERE instr(data, CAST('$body' AS BLOB)) > 0")" = "${i}blob.storedblob:$name" ]
	check "$f: blobs table row" [ "$(sqlite3 "$D/paspor.db" "SELECT sha256 || ' ' || size || ' ' || seq FROM blobs WHERE name = '$name'")" = "$sha $size $i" ]
done
n1=$(field "$ref1" name); p1=$D/blobs/${n1:0:2}/$n1
n2=$(field "$ref2" name); p2=$D/blobs/${n2:0:2}/$n2
check "the photo's bytes are not in the stored file" [ -z "$(grep -F "$(head -c 16 "$T/finger.bin")" "$p2")" ]
before=$(events)
expect_exit 0 "same content again" "$PASPOR" log put-blob --data "$D" --kek-file "$K" --file "$T/photo.jpg"
check "... gives the same ref" [ "$(cat "$T/.stdout")" = "$ref1" ]
check "... and appends no second blob.stored" [ "$(events)" = "$before" ]
expect_exit 2 "blob.stored cannot be appended by hand" "$PASPOR" log append --data "$D" --kek-file "$K" --kind blob.stored --body "{\"name\":\"$n1\",\"sha256\":\"$n1\",\"size\":45}"
expect_exit 2 "put-blob of a missing file is exit 2" "$PASPOR" log put-blob --data "$D" --kek-file "$K" --file "$T/nope"
expect_exit 0 "log verify passes" "$PASPOR" log verify --data "$D"
check "... counting 3 blobs" grep -q " 3 blobs" "$T/.stdout"

# ---- damaged blob files, in copies of the data dir ----
copy() { rm -rf "$T/x"; cp -a "$D" "$T/x"; }
x1=$T/x/blobs/${n1:0:2}/$n1
copy; openssl enc -aes-256-cbc -pbkdf2 -pass pass:x -in "$p1" -out "$x1.enc" && mv "$x1.enc" "$x1"
expect_exit 1 "blob encrypted by openssl enc: verify fails" "$PASPOR" log verify --data "$T/x"
check "... naming the blob and its event" grep -q "event 1 (blob.stored): blob '$n1'" "$T/.stderr"
check "... saying it is not a paspor blob" grep -q "not a paspor blob" "$T/.stderr"
copy; rm "$x1"
expect_exit 1 "deleted blob: verify fails" "$PASPOR" log verify --data "$T/x"
check "... naming it missing" grep -q "blob '$n1' is missing" "$T/.stderr"
copy; python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[1000]^=1; open(p,"wb").write(b)' "$x1"
expect_exit 1 "one flipped bit in a blob: verify fails" "$PASPOR" log verify --data "$T/x"
check "... naming it" grep -q "blob '$n1'" "$T/.stderr"
copy; truncate -s -1 "$x1"
expect_exit 1 "truncated blob: verify fails" "$PASPOR" log verify --data "$T/x"
copy; cp "$p2" "$x1"
expect_exit 1 "another blob's file under this name: verify fails" "$PASPOR" log verify --data "$T/x"
check "... naming it" grep -q "blob '$n1'" "$T/.stderr"
copy; sqlite3 "$T/x/paspor.db" "UPDATE blobs SET sha256 = '$(printf '0%.0s' {1..64})'"
expect_exit 0 "a damaged blobs projection does not fool verify (it reads the log)" "$PASPOR" log verify --data "$T/x"
copy; rm "$x1"
expect_exit 1 "putting content whose logged file is gone is refused" "$PASPOR" log put-blob --data "$T/x" --kek-file "$K" --file "$T/photo.jpg"
check "... saying to restore it from a backup" grep -q "restore it from a backup" "$T/.stderr"
cp "$p1" "$x1"
expect_exit 0 "... and, restored, verifies again" "$PASPOR" log verify --data "$T/x"
# an orphan: an encrypted file no event refers to (as a crash before COMMIT leaves)
"$PASPOR" office init --data "$T/o" --origin $O --kek-file "$K" >/dev/null
"$PASPOR" log put-blob --data "$T/o" --kek-file "$K" --file "$T/photo.jpg" >"$T/oref"
on=$(field "$(cat "$T/oref")" name)
copy; mkdir -p "$T/x/blobs/${on:0:2}"; cp "$T/o/blobs/${on:0:2}/$on" "$T/x/blobs/${on:0:2}/"
expect_exit 0 "an unreferenced blob file is ignored by verify" "$PASPOR" log verify --data "$T/x"
check "... which still counts 3 blobs" grep -q " 3 blobs" "$T/.stdout"

# ---- rebuild gives identical projections, blobs included ----
digest() {
	local db=$1 t
	for t in $(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type='table' AND name NOT IN ('meta','events','tiles','checkpoints','cosignatures') ORDER BY name"); do
		echo "== $t"; sqlite3 "$db" "SELECT * FROM $t ORDER BY 1"
	done | sha256sum
}
check "blobs is a projection table" [ "$(sqlite3 "$D/paspor.db" "SELECT count(*) FROM blobs")" = 3 ]
before=$(digest "$D/paspor.db")
expect_exit 0 "rebuild" "$PASPOR" rebuild --data "$D" --kek-file "$K"
check "projections identical after rebuild" [ "$(digest "$D/paspor.db")" = "$before" ]
sqlite3 "$D/paspor.db" "DELETE FROM blobs WHERE seq = 2; UPDATE blobs SET size = 1"
check "damaged blobs table differs" [ "$(digest "$D/paspor.db")" != "$before" ]
"$PASPOR" rebuild --data "$D" --kek-file "$K" >/dev/null 2>&1
check "rebuild restores it" [ "$(digest "$D/paspor.db")" = "$before" ]

# ---- cosignatures by a second node acting as witness ----
W=$T/w
"$PASPOR" office init --data "$W" --origin witness.imigrasi.go.id --kek-file "$K" >/dev/null
"$PASPOR" log checkpoint --data "$D" >"$T/cp"
size=$(sed -n 2p "$T/cp")
expect_exit 0 "witness signs the checkpoint (sign-note)" "$PASPOR" log sign-note --data "$W" --kek-file "$K" --in "$T/cp"
cp "$T/.stdout" "$T/cosigned"
check "... adding one signature line" [ "$(grep -c '^— ' "$T/cosigned")" = 2 ]
expect_exit 0 "cosign stores it" "$PASPOR" log cosign --data "$D" --note "$T/cosigned" --vkey "$W/keys/node.pub"
check "... beside checkpoint $size" grep -q "checkpoint $size" "$T/.stdout"
expect_exit 0 "log checkpoint" "$PASPOR" log checkpoint --data "$D"
check "... prints the checkpoint with the cosignature (the cosigned note)" cmp "$T/.stdout" "$T/cosigned"
check "... while DIR/checkpoint keeps the node's own note" cmp "$D/checkpoint" "$T/cp"
# the witness line, checked outside paspor: key id and Ed25519 signature
wline=$(grep '^— witness' "$T/cosigned")
wname=witness.imigrasi.go.id
wpub=$(cut -d+ -f3- "$W/keys/node.pub" | base64 -d | tail -c 32 | xxd -p -c 64)
wid=$({ printf '%s\n\001' "$wname"; echo "$wpub" | xxd -r -p; } | openssl dgst -sha256 -binary | head -c 4 | xxd -p)
check "witness key id = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4] (openssl)" \
	[ "$(echo "$wline" | awk '{print $3}' | base64 -d | head -c 4 | xxd -p)" = "$wid" ]
echo "302a300506032b6570032100$wpub" | xxd -r -p >"$T/wpub.der"
sed -n 1,3p "$T/cp" >"$T/cp.text"
echo "$wline" | awk '{print $3}' | base64 -d | tail -c 64 >"$T/w.sig"
check "witness signature verifies with openssl (Ed25519)" \
	openssl pkeyutl -verify -pubin -keyform DER -inkey "$T/wpub.der" -rawin -in "$T/cp.text" -sigfile "$T/w.sig"
expect_exit 0 "log verify checks the cosignature" "$PASPOR" log verify --data "$D"
check "... counting it" grep -q " 1 cosignatures" "$T/.stdout"
# an older checkpoint
"$PASPOR" log checkpoint --data "$D" --size 1 >"$T/cp1"
check "checkpoint --size 1 is the node.created one" [ "$(sed -n 2p "$T/cp1")" = 1 ]
"$PASPOR" log sign-note --data "$W" --kek-file "$K" --in "$T/cp1" >"$T/cosigned1"
expect_exit 0 "cosign an older checkpoint" "$PASPOR" log cosign --data "$D" --note "$T/cosigned1" --vkey "$(cat "$W/keys/node.pub")"
"$PASPOR" log checkpoint --data "$D" --size 1 >"$T/out1"
check "checkpoint --size 1 shows its cosignature" cmp "$T/out1" "$T/cosigned1"
expect_exit 2 "checkpoint --size of no checkpoint is exit 2" "$PASPOR" log checkpoint --data "$D" --size 999
# refusals
"$PASPOR" office init --data "$T/w2" --origin other.imigrasi.go.id --kek-file "$K" >/dev/null
expect_exit 1 "cosign: signature by another key than --vkey is refused" "$PASPOR" log cosign --data "$D" --note "$T/cosigned" --vkey "$T/w2/keys/node.pub"
check "... saying there is no signature by that witness" grep -q "no signature by 'other" "$T/.stderr"
sed -n 1,3p "$T/cp" >"$T/bare"
"$PASPOR" log sign-note --data "$W" --kek-file "$K" --in "$T/bare" >"$T/wonly"
expect_exit 1 "cosign: a note without this node's signature is refused" "$PASPOR" log cosign --data "$D" --note "$T/wonly" --vkey "$W/keys/node.pub"
check "... saying so" grep -q "this node's own signature" "$T/.stderr"
{ echo $O; echo 999; sed -n 3p "$T/cp"; } >"$T/c999"
"$PASPOR" log sign-note --data "$W" --kek-file "$K" --in "$T/c999" >"$T/w999"
expect_exit 1 "cosign: a checkpoint size this node never signed is refused" "$PASPOR" log cosign --data "$D" --note "$T/w999" --vkey "$W/keys/node.pub"
check "... saying so" grep -q "signed no checkpoint of size 999" "$T/.stderr"
{ sed -n 1,2p "$T/cp"; sed -n 3p "$T/cp1"; } >"$T/croot"
"$PASPOR" log sign-note --data "$W" --kek-file "$K" --in "$T/croot" >"$T/wroot"
expect_exit 1 "cosign: another root at a signed size is refused" "$PASPOR" log cosign --data "$D" --note "$T/wroot" --vkey "$W/keys/node.pub"
"$PASPOR" log checkpoint --data "$W" >"$T/wcp"
"$PASPOR" log sign-note --data "$W" --kek-file "$K" --in "$T/wcp" >"$T/wcp2"
expect_exit 1 "cosign: another origin's checkpoint is refused" "$PASPOR" log cosign --data "$D" --note "$T/wcp2" --vkey "$W/keys/node.pub"
b64=$(echo "$wline" | awk '{print $3}')
nc=A; [ "${b64:50:1}" = A ] && nc=B
sed "s|$b64|${b64:0:50}$nc${b64:51}|" "$T/cosigned" >"$T/badsig"
expect_exit 1 "cosign: a changed witness signature is refused" "$PASPOR" log cosign --data "$D" --note "$T/badsig" --vkey "$W/keys/node.pub"
check "... saying it does not verify" grep -q "signature by 'witness.imigrasi.go.id' does not verify" "$T/.stderr"
echo "not a note" >"$T/junk"
expect_exit 2 "cosign: a malformed note is exit 2" "$PASPOR" log cosign --data "$D" --note "$T/junk" --vkey "$W/keys/node.pub"
expect_exit 2 "cosign: a malformed --vkey is exit 2" "$PASPOR" log cosign --data "$D" --note "$T/cosigned" --vkey "no+key"
expect_exit 2 "cosign: the node's own key is not a witness" "$PASPOR" log cosign --data "$D" --note "$T/cosigned" --vkey "$D/keys/node.pub"
# a stored cosignature that was changed, or whose witness key is gone
copy; sqlite3 "$T/x/paspor.db" "UPDATE cosignatures SET line = (SELECT line FROM cosignatures WHERE size = 1) WHERE size = $size"
expect_exit 1 "verify: a cosignature moved to another checkpoint fails" "$PASPOR" log verify --data "$T/x"
check "... naming the checkpoint and witness" grep -q "checkpoint $size: cosignature by witness '$wname'" "$T/.stderr"
copy; sqlite3 "$T/x/paspor.db" "DELETE FROM meta WHERE key LIKE 'witness:%'"
expect_exit 0 "verify: cosignatures without a stored witness key are not checked" "$PASPOR" log verify --data "$T/x"
check "... and says so" grep -q "2 more without a stored witness key" "$T/.stdout"

expect_exit 0 "put-blob --help" "$PASPOR" log put-blob --help
expect_exit 0 "cosign --help" "$PASPOR" log cosign --help
expect_exit 0 "sign-note --help" "$PASPOR" log sign-note --help
expect_exit 0 "checkpoint --help" "$PASPOR" log checkpoint --help
