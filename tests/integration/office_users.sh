#!/usr/bin/env bash
# Officers through the CLI (docs/AUTH.md): `paspor office user add/list/disable/passwd/
# totp-reset/roles`. Outside truth: `oathtool` computes codes from the printed secret and
# the otpauth:// URI; the sqlite3 CLI reads the database; grep looks for secrets in the
# database files; `log verify` and `rebuild` check the log and the projection.
SUITE=office_users; . "$(dirname "$0")/../lib.sh"

O=kanim-users.imigrasi.go.id
D=$T/d
K=$T/kek
PW='kata sandi rahasia 1'
PW2='kata sandi baru nomor 2'
"$PASPOR" office kek --out "$K" >/dev/null
expect_exit 0 "office init" "$PASPOR" office init --data "$D" --origin $O --kek-file "$K"

# ---- add ----
add() { # user role password [more args]
	local u=$1 r=$2 p=$3; shift 3
	printf '%s\n' "$p" | "$PASPOR" office user add --data "$D" --username "$u" --role "$r" --kek-file "$K" "$@"
}
expect_exit 0 "add a registrar" add rina registrar "$PW" --name "Rina Wati"
check "registrar gets no TOTP secret" [ "$(cat "$T/.stdout")" = "officer 'rina' added" ]
expect_exit 0 "add an adjudicator" add ayu adjudicator "$PW" --name "Ayu Lestari"
cp "$T/.stdout" "$T/ayu.out"
secret=$(sed -n 's/^TOTP secret (shown once; enrol it now): //p' "$T/ayu.out")
uri=$(grep '^otpauth://' "$T/ayu.out")
check "adjudicator gets a base32 TOTP secret of 160 bits" bash -c "[[ '$secret' =~ ^[A-Z2-7]{32}$ ]]"
check "otpauth URI carries the same secret, SHA1, 6 digits, 30 s" \
	[ "$uri" = "otpauth://totp/Paspor:ayu?secret=$secret&issuer=Paspor&algorithm=SHA1&digits=6&period=30" ]
check "oathtool accepts the secret" oathtool --totp -b "$secret"
expect_exit 0 "add an office admin with two roles" add adm office_admin,auditor "$PW"
check "office admin gets a TOTP secret" grep -q '^otpauth://totp/Paspor:adm?' "$T/.stdout"

expect_exit 2 "a password of 11 characters is refused" add budi registrar "12345678901"
check "the refusal says why" grep -q "shorter than 12 characters" "$T/.stderr"
expect_exit 2 "an empty password is refused" add budi registrar ""
expect_exit 2 "a duplicate username is refused" add rina interviewer "$PW"
check "the refusal names the officer" grep -q "officer 'rina' already exists" "$T/.stderr"
expect_exit 2 "an unknown role is refused" add budi root "$PW"
expect_exit 2 "a bad username is refused" add "Budi Santoso" registrar "$PW"
expect_exit 2 "the password is not an option" "$PASPOR" office user add --data "$D" --username budi --role registrar --password "$PW" --kek-file "$K"
expect_exit 2 "--passphrase-fd 0 (stdin) is refused" "$PASPOR" office user add --data "$D" --username budi --role registrar --passphrase-fd 0
printf '%s\n' "$PW" >"$T/pw"
expect_exit 1 "a wrong KEK is refused" "$PASPOR" office user add --data "$D" --username budi --role registrar --kek-file <(head -c 32 /dev/urandom | base64) <"$T/pw"
expect_exit 0 "--help" "$PASPOR" office user add --help

# ---- list ----
expect_exit 0 "list" "$PASPOR" office user list --data "$D"
want=$(printf 'adm\toffice_admin,auditor\tactive\ttotp\tadm\nayu\tadjudicator\tactive\ttotp\tAyu Lestari\nrina\tregistrar\tactive\t-\tRina Wati')
check "list shows officers, roles, state, TOTP, names" [ "$(cat "$T/.stdout")" = "$want" ]
check "list shows no hash or secret" bash -c "! grep -qE 'argon2|$secret' '$T/.stdout'"

# ---- events ----
db=$D/paspor.db
check "officer.added events, actor cli:<OS user>" \
	[ "$(sqlite3 "$db" "SELECT count(*) FROM events WHERE kind = 'officer.added'")" = 3 ]
actor="cli:$(id -un)"
# the actor is in the envelope (clear): length byte, then the text
check "actor of each is '$actor'" [ "$(sqlite3 "$db" "SELECT count(*) FROM events WHERE kind = 'officer.added' AND instr(data, CAST(char(length('$actor')) || '$actor' AS BLOB)) > 0")" = 3 ]
check "subject is officer:<username>" [ "$(sqlite3 "$db" "SELECT subject FROM events WHERE kind = 'officer.added' ORDER BY seq LIMIT 1")" = "officer:rina" ]

# ---- disable, passwd, totp-reset ----
expect_exit 0 "disable" "$PASPOR" office user disable --data "$D" --username rina --reason "pindah kantor" --kek-file "$K"
check "disabled in the list" bash -c "'$PASPOR' office user list --data '$D' | grep -q '^rina	registrar	disabled	'"
expect_exit 2 "disable an unknown officer" "$PASPOR" office user disable --data "$D" --username nobody --kek-file "$K"
printf '%s\n' "$PW2" >"$T/pw2"
expect_exit 0 "passwd" "$PASPOR" office user passwd --data "$D" --username ayu --kek-file "$K" <"$T/pw2"
expect_exit 2 "passwd refuses a short password" "$PASPOR" office user passwd --data "$D" --username ayu --kek-file "$K" <<<"short"
expect_exit 2 "passwd of an unknown officer" "$PASPOR" office user passwd --data "$D" --username nobody --kek-file "$K" <"$T/pw2"
expect_exit 0 "totp-reset" "$PASPOR" office user totp-reset --data "$D" --username ayu --kek-file "$K"
secret2=$(sed -n 's/^TOTP secret (shown once; enrol it now): //p' "$T/.stdout")
check "totp-reset gives a new secret" [ -n "$secret2" -a "$secret2" != "$secret" ]
check "event kinds recorded" [ "$(sqlite3 "$db" "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM events WHERE kind LIKE 'officer.%' AND kind != 'officer.added' ORDER BY seq)")" = "officer.disabled officer.password_changed officer.totp_reset" ]

# ---- no secrets in clear ----
for f in "$db" "$db-wal"; do
	[ -f "$f" ] || continue
	check "first password not in $(basename "$f")" bash -c "! grep -qaF '$PW' '$f'"
	check "second password not in $(basename "$f")" bash -c "! grep -qaF '$PW2' '$f'"
	check "first TOTP secret not in $(basename "$f")" bash -c "! grep -qaF '$secret' '$f'"
	check "second TOTP secret not in $(basename "$f")" bash -c "! grep -qaF '$secret2' '$f'"
	check "no Argon2id string in $(basename "$f") (hashes live in sealed bodies)" bash -c "! grep -qaF '\$argon2id\$' '$f'"
done

# ---- the log verifies; rebuild reproduces the officers table ----
expect_exit 0 "log verify" "$PASPOR" log verify --data "$D"
digest() { sqlite3 "$db" "SELECT * FROM officers ORDER BY 1" | sha256sum; }
before=$(digest)
expect_exit 0 "rebuild" "$PASPOR" rebuild --data "$D" --kek-file "$K"
check "rebuild reproduces the officers table" [ "$(digest)" = "$before" ]
check "officers table is not empty" [ "$(sqlite3 "$db" 'SELECT count(*) FROM officers')" = 3 ]

# ---- roles table ----
expect_exit 0 "user roles prints the table" "$PASPOR" office user roles
check "docs/ROLES.md holds the printed table" bash -c "grep -qxF -- \"\$(sed -n 3p '$T/.stdout')\" '${PASPOR_ROOT:-.}/docs/ROLES.md'"
