/*
 * officers — officer events, their projection and the auth backend (see officers.h).
 */
#include "office/officers.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "log/canon.h"
#include "log/db.h"
#include "log/kinds.h"
#include "log/writer.h"
#include "office/roles.h"
#include "office/schema.h"
#include "util/alloc.h"

/* ---- body checks (schema.h, in the words these kinds have always used) ---- */

/* "roles": 1 to ROLE_COUNT distinct role names */
static int roles_ok(const char *pfx, const struct field *f, const json_t *v, struct err *e)
{
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > ROLE_COUNT)
		return err_set(e, ERR_INPUT, "%sfield '%s' is not a list of 1 to %d roles", pfx,
			       f->name, ROLE_COUNT);
	unsigned mask = 0;
	size_t j;
	const json_t *r;
	json_array_foreach(v, j, r) {
		enum role role = ROLE_REGISTRAR;
		if (!json_is_string(r) || roles_parse(json_string_value(r), &role, NULL) < 0 ||
		    (mask & ROLE_BIT(role)))
			return err_set(e, ERR_INPUT, "%sfield '%s' holds an unknown or repeated role",
				       pfx, f->name);
		mask |= ROLE_BIT(role);
	}
	return 0;
}

/* A kind's schema and its rule after the fields' (the reason of a password change), or
 * NULL: the context of officer_check, the check of every officer kind. */
struct officer_schema {
	struct schema s;
	int (*extra)(const json_t *body, struct err *e);
};

static int officer_check(const void *ctx, const json_t *body, struct err *e)
{
	const struct officer_schema *o = ctx;
	const char *kind = o->s.kind;
	if (schema_check(&o->s, body, e) < 0)
		return -1;
	const json_t *u = json_object_get(body, "username");
	if (u && !auth_username_valid(json_string_value(u)))
		return err_set(e, ERR_INPUT, "%s: field 'username' is not [a-z][a-z0-9._-]{0,31}",
			       kind);
	const json_t *h = json_object_get(body, "password_hash");
	if (h && strncmp(json_string_value(h), "$argon2id$", 10) != 0)
		return err_set(e, ERR_INPUT, "%s: field 'password_hash' is not an Argon2id string",
			       kind);
	return o->extra ? o->extra(body, e) : 0;
}

#define USERNAME REQ("username", T_BYTES, 1, AUTH_USERNAME_MAX)
#define PASSWORD_HASH REQ("password_hash", T_BYTES, 1, AUTH_HASH_MAX - 1)
#define REASON OPT("reason", T_BYTES, 1, 500)
#define COUNT(n, req) FIELD_WHY(n, T_INT, req, 0, LLONG_MAX, NULL, "is not an integer >= 0")

static const struct field f_added[] = {
	REQ("name", T_BYTES, 1, 200), PASSWORD_HASH, REQ_FN("roles", roles_ok),
	OPT("totp_secret", T_BYTES, 1, AUTH_TOTP_SECRET_MAX), USERNAME,
};
static const struct field f_password[] = { PASSWORD_HASH, REQ("reason", T_BYTES, 1, 16),
					   USERNAME };
static const struct field f_totp[] = { REQ("totp_secret", T_BYTES, 1, AUTH_TOTP_SECRET_MAX),
				       USERNAME };
static const struct field f_login[] = { REQ("client_ip", T_BYTES, 1, 64), COUNT("totp_step", 0),
					USERNAME };
static const struct field f_locked[] = { COUNT("failures", 1), COUNT("until_ms", 1), USERNAME };
static const struct field f_roles[] = { REQ_FN("roles", roles_ok), USERNAME };
/* disabled, enabled, sessions revoked: who and why */
static const struct field f_reason[] = { REASON, USERNAME };

static int password_extra(const json_t *body, struct err *e)
{
	const char *r = json_string_value(json_object_get(body, "reason"));
	if (strcmp(r, "set") != 0 && strcmp(r, "rehash") != 0)
		return err_set(e, ERR_INPUT, "officer.password_changed: field 'reason' must be "
			       "\"set\" or \"rehash\"");
	return 0;
}

/* ---- projections ---- */

static const char *str(const json_t *body, const char *key)
{
	return json_string_value(json_object_get(body, key));
}

/* Runs a prepared statement to completion; with must_change, refuses when no row
 * changed (the officer does not exist). */
static int run(sqlite3 *db, sqlite3_stmt *st, const char *kind, const json_t *body,
	       int must_change, struct err *e)
{
	struct err se = ERR_INIT; /* e keeps its first message: the refusal replaces this one */
	int rc = db_step_done(db, st, kind, &se);
	int taken = rc < 0 && (sqlite3_extended_errcode(db) & 0xff) == SQLITE_CONSTRAINT;
	sqlite3_finalize(st);
	if (taken)
		return err_set(e, ERR_INPUT, "%s: officer '%s' already exists", kind,
			       str(body, "username"));
	if (rc < 0)
		return err_set(e, se.code, "%s", se.msg);
	if (must_change && sqlite3_changes(db) == 0)
		return err_set(e, ERR_INPUT, "%s: no officer '%s'", kind, str(body, "username"));
	return 0;
}

/* The body's "roles" (checked) as the projection's comma-separated list. */
static int roles_text(const json_t *body, struct buf *roles, struct err *e)
{
	unsigned mask = 0;
	size_t i;
	const json_t *r;
	json_array_foreach(json_object_get(body, "roles"), i, r) {
		enum role role = ROLE_REGISTRAR;
		if (roles_parse(json_string_value(r), &role, e) == 0)
			mask |= ROLE_BIT(role);
	}
	buf_init(roles, 256);
	if (roles_format_list(mask, roles) < 0) {
		buf_release(roles);
		return err_nomem(e);
	}
	return 0;
}

static int p_added(sqlite3 *db, const struct event *ev, const json_t *body, struct err *e)
{
	struct buf roles;
	if (roles_text(body, &roles, e) < 0)
		return -1;
	sqlite3_stmt *st;
	if (db_prepare(db, "INSERT INTO officers (username, name, roles, hash_seq, totp_seq,"
			   " added_seq, added_ms, added_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		       &st, e) < 0) {
		buf_release(&roles);
		return -1;
	}
	db_bind_str(st, 1, str(body, "username"));
	db_bind_str(st, 2, str(body, "name"));
	db_bind_str(st, 3, buf_str(&roles));
	sqlite3_bind_int64(st, 4, (sqlite3_int64)ev->seq);
	if (json_object_get(body, "totp_secret"))
		sqlite3_bind_int64(st, 5, (sqlite3_int64)ev->seq);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)ev->seq);
	sqlite3_bind_int64(st, 7, ev->time_ms);
	db_bind_str(st, 8, ev->actor);
	buf_release(&roles);
	return run(db, st, "officer.added", body, 0, e);
}

/* UPDATE officers SET <set> WHERE username = ?: the first binding is an int64 value
 * (or none when val < 0 and the SET clause takes none). */
static int update(sqlite3 *db, const char *sql, const char *kind, const json_t *body,
		  const sqlite3_int64 *vals, int nvals, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, sql, &st, e) < 0)
		return -1;
	for (int i = 0; i < nvals; i++)
		sqlite3_bind_int64(st, i + 1, vals[i]);
	db_bind_str(st, nvals + 1, str(body, "username"));
	return run(db, st, kind, body, 1, e);
}

static int p_password(sqlite3 *db, const struct event *ev, const json_t *body, struct err *e)
{
	sqlite3_int64 v[] = { (sqlite3_int64)ev->seq };
	return update(db, "UPDATE officers SET hash_seq = ? WHERE username = ?",
		      "officer.password_changed", body, v, 1, e);
}

static int p_totp(sqlite3 *db, const struct event *ev, const json_t *body, struct err *e)
{
	sqlite3_int64 v[] = { (sqlite3_int64)ev->seq };
	return update(db, "UPDATE officers SET totp_seq = ?, totp_last_step = 0 WHERE username = ?",
		      "officer.totp_reset", body, v, 1, e);
}

static int p_disabled(sqlite3 *db, const struct event *ev, const json_t *body, struct err *e)
{
	(void)ev;
	return update(db, "UPDATE officers SET disabled = 1 WHERE username = ?",
		      "officer.disabled", body, NULL, 0, e);
}

static int p_login(sqlite3 *db, const struct event *ev, const json_t *body, struct err *e)
{
	const json_t *step = json_object_get(body, "totp_step");
	sqlite3_int64 v[] = { ev->time_ms, step ? (sqlite3_int64)json_integer_value(step) : 0 };
	return update(db, "UPDATE officers SET last_login_ms = ?,"
			  " totp_last_step = MAX(totp_last_step, ?) WHERE username = ?",
		      "officer.login", body, v, 2, e);
}

static int p_locked(sqlite3 *db, const struct event *ev, const json_t *body, struct err *e)
{
	(void)ev;
	sqlite3_int64 v[] = { (sqlite3_int64)json_integer_value(json_object_get(body, "until_ms")) };
	return update(db, "UPDATE officers SET locked_until_ms = MAX(locked_until_ms, ?)"
			  " WHERE username = ?", "officer.locked_out", body, v, 1, e);
}

static int p_enabled(sqlite3 *db, const struct event *ev, const json_t *body, struct err *e)
{
	(void)ev;
	return update(db, "UPDATE officers SET disabled = 0 WHERE username = ?",
		      "officer.enabled", body, NULL, 0, e);
}

static int p_roles(sqlite3 *db, const struct event *ev, const json_t *body, struct err *e)
{
	(void)ev;
	struct buf roles;
	if (roles_text(body, &roles, e) < 0)
		return -1;
	sqlite3_stmt *st;
	int rc = db_prepare(db, "UPDATE officers SET roles = ? WHERE username = ?", &st, e);
	if (rc == 0) {
		db_bind_str(st, 1, buf_str(&roles));
		db_bind_str(st, 2, str(body, "username"));
		rc = run(db, st, "officer.roles_changed", body, 1, e);
	}
	buf_release(&roles);
	return rc;
}

/* Sessions live in memory only: the event changes no state, it only has to name an
 * officer who exists. */
static int p_revoked(sqlite3 *db, const struct event *ev, const json_t *body, struct err *e)
{
	(void)ev;
	return update(db, "UPDATE officers SET username = username WHERE username = ?",
		      "officer.sessions_revoked", body, NULL, 0, e);
}

/* ---- the kind set ---- */

/* name, fields, extra rule (or NULL), projection */
#define KIND(name, f, x, project) \
	{ name, 1, 0, officer_check, project, &(const struct officer_schema){ \
		SCHEMA_OWN(name, f, NULL, "unknown field", 0), x } }

static const struct kind_def officer_kinds[] = {
	KIND("officer.added", f_added, NULL, p_added),
	KIND("officer.password_changed", f_password, password_extra, p_password),
	KIND("officer.totp_reset", f_totp, NULL, p_totp),
	KIND("officer.disabled", f_reason, NULL, p_disabled),
	KIND("officer.login", f_login, NULL, p_login),
	/* no longer written (docs/AUTH.md "Throttling"); older logs hold it */
	KIND("officer.locked_out", f_locked, NULL, p_locked),
	KIND("officer.enabled", f_reason, NULL, p_enabled),
	KIND("officer.roles_changed", f_roles, NULL, p_roles),
	KIND("officer.sessions_revoked", f_reason, NULL, p_revoked),
};

static const struct kind_table officer_tables[] = {
	{ "officers", OFFICERS_TABLE_SQL },
};

static const struct kind_set officer_set = {
	"officers", officer_kinds, sizeof officer_kinds / sizeof officer_kinds[0],
	officer_tables, sizeof officer_tables / sizeof officer_tables[0],
};

int officers_register_kinds(void)
{
	return kinds_register(&officer_set);
}

/* ---- writing ---- */

struct record_arg {
	const char *actor, *username, *kind;
	const uint8_t *body; /* canonical bytes */
	size_t len;
};

static int record_fn(struct writer_txn *tx, void *arg, struct err *e)
{
	struct record_arg *a = arg;
	char subject[AUTH_ACTOR_MAX + 1];
	snprintf(subject, sizeof subject, "officer:%s", a->username);
	return writer_txn_append(tx, a->actor, a->kind, 1, subject, a->body, a->len, NULL, e);
}

int officers_record(struct writer *w, const char *actor, const char *username,
		    const char *kind, const uint8_t *body, size_t len, struct err *e)
{
	if (!auth_username_valid(username))
		return err_set(e, ERR_INPUT, "username is not [a-z][a-z0-9._-]{0,31}");
	struct record_arg a = { actor, username, kind, body, len };
	return writer_submit(w, record_fn, &a, NULL, e);
}

json_t *officers_roles_json(unsigned roles)
{
	json_t *list = json_array();
	for (int i = 0; list && i < ROLE_COUNT; i++)
		if (roles & ROLE_BIT(i))
			json_array_append_new(list, json_string(roles_name((enum role)i)));
	return list;
}

/* What a checked op needs of the officer before its event. */
enum officer_need { NEED_ABSENT, NEED_ANY, NEED_ENABLED, NEED_DISABLED };

static int officer_needs(struct writer_txn *tx, struct officer_op *op, enum officer_need need,
			 unsigned new_roles, struct err *e)
{
	int disabled, has_totp;
	int exists = officers_state(writer_txn_db(tx), op->username, &disabled, &has_totp, e);
	if (exists < 0)
		return -1;
	if (need != NEED_ABSENT && !exists)
		return refusal_set(&op->hdr.reason, WF_NO_OFFICER, e, "no officer '%s'",
				   op->username);
	if (need == NEED_ABSENT && exists)
		return refusal_set(&op->hdr.reason, WF_OFFICER_EXISTS, e,
				   "officer '%s' already exists", op->username);
	if (need == NEED_ENABLED && disabled)
		return refusal_set(&op->hdr.reason, WF_INVALID_STATE, e,
				   "officer '%s' is already disabled", op->username);
	if (need == NEED_DISABLED && !disabled)
		return refusal_set(&op->hdr.reason, WF_INVALID_STATE, e,
				   "officer '%s' is not disabled", op->username);
	if ((new_roles & ROLES_NEED_TOTP) && !has_totp)
		return refusal_set(&op->hdr.reason, WF_NEEDS_TOTP, e, "these roles need a TOTP "
				   "second factor and officer '%s' has none: reset the TOTP first",
				   op->username);
	return 0;
}

/* Appends kind with body (consumed: the writer checks and serialises it once; the
 * canonical bytes, in its scratch buffer, are wiped there) after op's checks (new_roles:
 * the roles a role change gives, 0 for the other kinds). */
static int officer_append(struct writer_txn *tx, struct officer_op *op, const char *kind,
			  enum officer_need need, unsigned new_roles, json_t *body,
			  struct err *e)
{
	op->hdr.reason = WF_OK;
	op->hdr.seq = 0;
	if (!body)
		return err_nomem(e);
	int rc = -1;
	if (!auth_username_valid(op->username)) {
		rc = err_set(e, ERR_INPUT, "username is not [a-z][a-z0-9._-]{0,31}");
	} else if (!op->checked || officer_needs(tx, op, need, new_roles, e) == 0) {
		char subject[AUTH_ACTOR_MAX + 1];
		snprintf(subject, sizeof subject, "officer:%s", op->username);
		rc = writer_txn_append_json(tx, op->hdr.actor, kind, 1, subject, body,
					    &op->hdr.seq, e);
	}
	json_decref(body);
	return rc;
}

/* {username, reason?}: the body of disabled, enabled and sessions_revoked. */
static json_t *reason_body(const struct officer_op *op)
{
	json_t *b = json_pack("{s:s}", "username", op->username);
	if (b && op->reason && *op->reason)
		json_object_set_new(b, "reason", json_string(op->reason));
	return b;
}

int officer_add(struct writer_txn *tx, void *arg, struct err *e)
{
	struct officer_op *op = arg;
	const char *name = op->name ? op->name : op->username;
	json_t *b = json_pack("{s:s, s:s, s:s, s:o}", "username", op->username, "name", name,
			      "password_hash", op->password_hash, "roles",
			      officers_roles_json(op->roles));
	if (b && op->totp_secret)
		json_object_set_new(b, "totp_secret", json_string(op->totp_secret));
	return officer_append(tx, op, "officer.added", NEED_ABSENT, 0, b, e);
}

int officer_set_password(struct writer_txn *tx, void *arg, struct err *e)
{
	struct officer_op *op = arg;
	return officer_append(tx, op, "officer.password_changed", NEED_ANY, 0,
			      json_pack("{s:s, s:s, s:s}", "username", op->username,
					"password_hash", op->password_hash, "reason", "set"), e);
}

int officer_reset_totp(struct writer_txn *tx, void *arg, struct err *e)
{
	struct officer_op *op = arg;
	return officer_append(tx, op, "officer.totp_reset", NEED_ANY, 0,
			      json_pack("{s:s, s:s}", "username", op->username, "totp_secret",
					op->totp_secret), e);
}

int officer_disable(struct writer_txn *tx, void *arg, struct err *e)
{
	struct officer_op *op = arg;
	return officer_append(tx, op, "officer.disabled", NEED_ENABLED, 0, reason_body(op), e);
}

int officer_enable(struct writer_txn *tx, void *arg, struct err *e)
{
	struct officer_op *op = arg;
	return officer_append(tx, op, "officer.enabled", NEED_DISABLED, 0, reason_body(op), e);
}

int officer_revoke_sessions(struct writer_txn *tx, void *arg, struct err *e)
{
	struct officer_op *op = arg;
	return officer_append(tx, op, "officer.sessions_revoked", NEED_ANY, 0,
			      reason_body(op), e);
}

int officer_set_roles(struct writer_txn *tx, void *arg, struct err *e)
{
	struct officer_op *op = arg;
	return officer_append(tx, op, "officer.roles_changed", NEED_ANY, op->roles,
			      json_pack("{s:s, s:o}", "username", op->username, "roles",
					officers_roles_json(op->roles)), e);
}

/* ---- reading ---- */

int officers_list(sqlite3 *db, struct buf *out, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT username, roles, disabled,"
			   " totp_seq IS NOT NULL, name FROM officers ORDER BY username", &st, e) < 0)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *state = sqlite3_column_int(st, 2) ? "disabled" : "active";
		buf_addf(out, "%s\t%s\t%s\t%s\t%s\n", sqlite3_column_text(st, 0),
			 sqlite3_column_text(st, 1), state, sqlite3_column_int(st, 3) ? "totp" : "-",
			 sqlite3_column_text(st, 4));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(db, e, "officers");
	return buf_ok(out) ? 0 : err_nomem(e);
}

int officers_state(sqlite3 *db, const char *username, int *disabled, int *has_totp,
		   struct err *e)
{
	sqlite3_stmt *st;
	int r = db_row(db, "SELECT disabled, totp_seq IS NOT NULL FROM officers"
		       " WHERE username = ?", "officers", &st, e, "s", username);
	*disabled = r == 1 && sqlite3_column_int(st, 0);
	*has_totp = r == 1 && sqlite3_column_int(st, 1);
	if (r == 1)
		sqlite3_finalize(st);
	return r;
}

static json_t *officer_row(sqlite3_stmt *st)
{
	unsigned mask = 0;
	roles_parse_list((const char *)sqlite3_column_text(st, 1), &mask, NULL);
	json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:b, s:I, s:s}",
			      "username", (const char *)sqlite3_column_text(st, 0),
			      "name", (const char *)sqlite3_column_text(st, 2),
			      "roles", officers_roles_json(mask),
			      "state", sqlite3_column_int(st, 3) ? "disabled" : "active",
			      "totp", sqlite3_column_int(st, 4),
			      "added_ms", (json_int_t)sqlite3_column_int64(st, 5),
			      "added_by", (const char *)sqlite3_column_text(st, 6));
	if (o && sqlite3_column_type(st, 7) != SQLITE_NULL)
		json_object_set_new(o, "last_login_ms", json_integer(sqlite3_column_int64(st, 7)));
	return o;
}

#define OFFICER_COLUMNS                                                                  \
	"SELECT username, roles, name, disabled, totp_seq IS NOT NULL, added_ms, added_by," \
	" last_login_ms FROM officers"

int officers_read_json(sqlite3 *db, const char *username, json_t **out, struct err *e)
{
	*out = NULL;
	sqlite3_stmt *st;
	json_t *list = json_array();
	int rc = db_prepare(db, username ? OFFICER_COLUMNS " WHERE username = ?"
					 : OFFICER_COLUMNS " ORDER BY username", &st, e);
	if (rc == 0) {
		if (username)
			sqlite3_bind_text(st, 1, username, -1, SQLITE_TRANSIENT);
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW)
			json_array_append_new(list, officer_row(st));
		sqlite3_finalize(st);
		if (step != SQLITE_DONE)
			rc = db_error(db, e, "officers");
	}
	if (rc == 0 && !list)
		rc = err_nomem(e);
	if (rc < 0) {
		json_decref(list);
		return -1;
	}
	*out = list;
	return 0;
}

int officers_reader_open(struct officers_reader *r, const char *db_path,
			 const uint8_t *data_key, struct err *e)
{
	memset(r, 0, sizeof *r);
	if (db_open(db_path, DB_READONLY, &r->db, e) < 0)
		return -1;
	r->data_key = data_key;
	pthread_mutex_init(&r->mu, NULL);
	return 0;
}

void officers_reader_close(struct officers_reader *r)
{
	if (!r->db)
		return;
	db_close(r->db);
	pthread_mutex_destroy(&r->mu);
	memset(r, 0, sizeof *r);
}

/* Copies string field `key` of the sealed event at seq into out (size n). */
static int secret_from_event(struct officers_reader *r, sqlite3_int64 seq, const char *key,
			     char *out, size_t n, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(r->db, "SELECT data FROM events WHERE seq = ?", &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, seq);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return err_set(e, ERR_IO, "officers: event %lld is missing", (long long)seq);
	}
	struct event ev;
	struct buf body;
	buf_init(&body, EVENT_BODY_MAX);
	json_t *v = NULL;
	int rc = -1;
	if (event_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &ev,
			 e) == 0 &&
	    event_open(&ev, r->data_key, &body, e) == 0 &&
	    canon_parse(body.data, body.len, &v, e) == 0) {
		const char *s = json_string_value(json_object_get(v, key));
		if (!s || strlen(s) >= n)
			err_set(e, ERR_IO, "officers: event %lld has no '%s'", (long long)seq, key);
		else {
			memcpy(out, s, strlen(s) + 1);
			rc = 0;
		}
	}
	sqlite3_finalize(st);
	json_decref(v); /* the strings in v are freed unwiped: jansson owns them */
	if (body.data)
		sodium_memzero(body.data, body.len);
	buf_release(&body);
	return rc;
}

int officers_lookup(struct officers_reader *r, const char *username, struct auth_record *out,
		    struct err *e)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&r->mu);
	sqlite3_stmt *st;
	int rc = -1;
	/* one snapshot, and only what a power cut cannot take back (log/writer.h) */
	if (r->writer && writer_read_begin(r->writer, r->db, e) < 0)
		goto out;
	if (db_prepare(r->db, "SELECT roles, disabled, totp_last_step, hash_seq, totp_seq"
			      " FROM officers WHERE username = ?", &st, e) < 0)
		goto out;
	sqlite3_bind_text(st, 1, username, -1, SQLITE_TRANSIENT);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		rc = 0;
	} else if (step != SQLITE_ROW) {
		db_error(r->db, e, "officers");
	} else {
		snprintf(out->username, sizeof out->username, "%s", username);
		rc = roles_parse_list((const char *)sqlite3_column_text(st, 0), &out->roles, e);
		out->disabled = sqlite3_column_int(st, 1);
		out->totp_last_step = sqlite3_column_int64(st, 2);
		if (rc == 0)
			rc = secret_from_event(r, sqlite3_column_int64(st, 3), "password_hash",
					       out->password_hash, sizeof out->password_hash, e);
		if (rc == 0 && sqlite3_column_type(st, 4) != SQLITE_NULL)
			rc = secret_from_event(r, sqlite3_column_int64(st, 4), "totp_secret",
					       out->totp_secret, sizeof out->totp_secret, e);
		rc = rc == 0 ? 1 : -1;
	}
	sqlite3_finalize(st);
out:
	writer_read_end(r->db);
	pthread_mutex_unlock(&r->mu);
	if (rc < 0)
		sodium_memzero(out, sizeof *out);
	return rc;
}

static int backend_lookup(void *ctx, const char *username, struct auth_record *out,
			  struct err *e)
{
	struct officers_backend *b = ctx;
	return officers_lookup(b->reader, username, out, e);
}

static int backend_record(void *ctx, const char *actor, const char *username, const char *kind,
			  const uint8_t *body, size_t len, struct err *e)
{
	struct officers_backend *b = ctx;
	return officers_record(b->writer, actor, username, kind, body, len, e);
}

struct auth_backend officers_auth_backend(struct officers_backend *b)
{
	struct auth_backend ab = { b, backend_lookup, backend_record };
	return ab;
}
