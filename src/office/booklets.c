/*
 * booklets — booklet stock kinds, projections and operations (see booklets.h).
 *
 * Handlers read only the event and the tables (rebuild gives identical rows) and refuse
 * every transition booklets.h does not allow, so the log cannot hold a booklet used
 * twice even if an operation had a bug.
 */
#include "office/booklets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/db.h"
#include "log/kinds.h"
#include "office/appid.h"
#include "office/auth.h"
#include "office/fields.h"
#include "office/schema.h"
#include "util/alloc.h"

static const char *const state_names[BOOKLET_STATE_COUNT] = {
	"received", "available", "used", "spoiled", "destroyed", "voided",
};

const char *booklet_state_name(enum booklet_state s)
{
	return (unsigned)s < BOOKLET_STATE_COUNT ? state_names[s] : NULL;
}

int booklet_number_valid(const char *s)
{
	if (!s || strlen(s) != BOOKLET_NUMBER_LEN || s[0] < 'A' || s[0] > 'Z')
		return 0;
	for (int i = 1; i < BOOKLET_NUMBER_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The number `off` places after first, into out (9 bytes); -1 past X9999999. */
static int number_add(const char *first, long off, char out[BOOKLET_NUMBER_LEN + 1])
{
	long v = strtol(first + 1, NULL, 10) + off;
	if (v < 0 || v > 9999999)
		return -1;
	out[0] = first[0];
	for (int i = BOOKLET_NUMBER_LEN - 1; i >= 1; i--, v /= 10)
		out[i] = (char)('0' + v % 10);
	out[BOOKLET_NUMBER_LEN] = '\0';
	return 0;
}

/* ---- body schemas (schema.h, in the words these kinds have always used) ---- */

/* "officers": two distinct officers' usernames */
static int officers_ok(const char *pfx, const struct field *f, const json_t *v,
		       struct err *e)
{
	const char *a = json_string_value(json_array_get(v, 0));
	const char *b = json_string_value(json_array_get(v, 1));
	if (!json_is_array(v) || json_array_size(v) != 2 || !a || !b ||
	    !auth_username_valid(a) || !auth_username_valid(b))
		return err_set(e, ERR_INPUT, "%sfield '%s' must be an array of two officer "
			       "usernames", pfx, f->name);
	if (strcmp(a, b) == 0)
		return err_set(e, ERR_INPUT, "%sfield '%s' must name two distinct officers", pfx,
			       f->name);
	return 0;
}

#define NUMBER(n) \
	FIELD_WHY(n, T_BOOKLET, 1, 0, 0, NULL, "must be a booklet number (one letter and seven " \
		  "digits)")

static const struct field f_received[] = {
	REQ("count", T_INT, 1, BOOKLET_RANGE_MAX), NUMBER("first"),
	REQ("received_by", T_PRINCIPAL, 0, 0),
};
static const struct field f_confirmed[] = {
	REQ("confirmed_by", T_PRINCIPAL, 0, 0), NUMBER("first"),
};
static const struct field f_used[] = { REQ("app", T_APP, 0, 0), NUMBER("number") };
static const struct field f_spoiled[] = {
	OPT("app", T_APP, 0, 0), NUMBER("number"), REQ("reason", T_NOTE, 1, 500),
};
static const struct field f_destroyed[] = { NUMBER("number"), REQ_FN("officers", officers_ok) };
static const struct field f_voided[] = { NUMBER("number"), REQ("reason", T_NOTE, 1, 500) };

/* ---- projections ---- */

static const struct kind_table booklet_tables[] = {
	{ "booklet_ranges",
	  "CREATE TABLE IF NOT EXISTS booklet_ranges ("
	  " first TEXT PRIMARY KEY, count INTEGER NOT NULL, received_by TEXT NOT NULL,"
	  " received_seq INTEGER NOT NULL, received_ms INTEGER NOT NULL,"
	  " confirmed_by TEXT, confirmed_seq INTEGER) WITHOUT ROWID" },
	{ "booklets",
	  "CREATE TABLE IF NOT EXISTS booklets ("
	  " number TEXT PRIMARY KEY, range_first TEXT NOT NULL,"
	  " state TEXT NOT NULL CHECK (state IN ('received', 'available', 'used', 'spoiled',"
	  " 'destroyed', 'voided')),"
	  " app TEXT, used_seq INTEGER, spoiled_reason TEXT, spoiled_by TEXT,"
	  " destroyed_by TEXT, voided_reason TEXT,"
	  " updated_seq INTEGER NOT NULL, updated_ms INTEGER NOT NULL) WITHOUT ROWID;"
	  "CREATE UNIQUE INDEX IF NOT EXISTS booklets_used_app ON booklets (app)"
	  " WHERE state = 'used';"
	  "CREATE INDEX IF NOT EXISTS booklets_state ON booklets (state, number);" },
};

static const char *str(const json_t *b, const char *k)
{
	return json_string_value(json_object_get(b, k));
}

/* The booklet's state (and app) into state/app; 1 found, 0 none, -1 error. */
int booklet_load(sqlite3 *db, const char *number, char state[16], char app[40],
		 struct err *e)
{
	char *out[] = { state, app };
	const size_t size[] = { 16, 40 };
	return db_row_texts(db, "SELECT state, app FROM booklets WHERE number = ?",
			    "reading the booklets table", number, out, size, 2, e);
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static const char *const from_spoil[] = { "received", "available", "used", NULL };
static const char *const from_void[] = { "received", "available", NULL };
static const char *const from_destroy[] = { "spoiled", NULL };
static const char *const from_use[] = { "available", NULL };

/* Moves number from one of `from` to `to`, also setting `set` (its parameters ?4, ?5,
 * ?6 are v1, v2, v3; NULL binds SQL NULL). */
static int move(sqlite3 *db, const struct event *ev, const char *number,
		const char *const *from, const char *to, const char *set, const char *v1,
		const char *v2, const char *v3, struct err *e)
{
	char state[16], app[40];
	int r = booklet_load(db, number, state, app, e);
	if (r < 0)
		return -1;
	if (r == 0)
		return err_set(e, ERR_INPUT, "%s: booklet %s is not in stock", ev->kind, number);
	if (!in_list(state, from))
		return err_set(e, ERR_INPUT, "%s: not allowed for booklet %s in state '%s'",
			       ev->kind, number, state);
	char sql[300];
	snprintf(sql, sizeof sql, "UPDATE booklets SET state = ?1, updated_seq = ?2,"
		 " updated_ms = ?3%s%s WHERE number = ?7", set ? ", " : "", set ? set : "");
	return db_run(db, sql, ev->kind, e, "siissss", to, (int64_t)ev->seq, (int64_t)ev->time_ms,
		      v1, v2, v3, number);
}

static int p_received(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	const char *first = str(b, "first");
	long count = (long)json_integer_value(json_object_get(b, "count"));
	if (strcmp(str(b, "received_by"), ev->actor) != 0)
		return err_set(e, ERR_INPUT, "%s: 'received_by' must be the event's actor", ev->kind);
	char last[BOOKLET_NUMBER_LEN + 1];
	if (number_add(first, count - 1, last) < 0)
		return err_set(e, ERR_INPUT, "%s: the range passes %c9999999", ev->kind, first[0]);
	if (db_run(db, "INSERT INTO booklet_ranges (first, count, received_by, received_seq,"
		   " received_ms) VALUES (?, ?, ?, ?, ?)", ev->kind, e, "sisii", first,
		   (int64_t)count, ev->actor, (int64_t)ev->seq, (int64_t)ev->time_ms) < 0)
		return -1;
	sqlite3_stmt *st;
	if (db_prepare(db, "INSERT INTO booklets (number, range_first, state, updated_seq,"
			   " updated_ms) VALUES (?, ?, 'received', ?, ?)", &st, e) < 0)
		return -1;
	int rc = 0;
	for (long i = 0; rc == 0 && i < count; i++) {
		char num[BOOKLET_NUMBER_LEN + 1];
		number_add(first, i, num);
		db_bind_str(st, 1, num);
		db_bind_str(st, 2, first);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)ev->seq);
		sqlite3_bind_int64(st, 4, ev->time_ms);
		rc = db_step_done(db, st, "booklet.range_received", e);
	}
	sqlite3_finalize(st);
	return rc;
}

static int p_confirmed(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	const char *first = str(b, "first"), *by = str(b, "confirmed_by");
	if (strcmp(by, ev->actor) != 0 || strncmp(by, "officer:", 8) != 0)
		return err_set(e, ERR_INPUT, "%s: 'confirmed_by' must be the event's actor, an "
			       "officer", ev->kind);
	sqlite3_stmt *st;
	int r = db_row(db, "SELECT received_by, confirmed_by IS NOT NULL FROM booklet_ranges"
		       " WHERE first = ?", ev->kind, &st, e, "s", first);
	if (r < 0)
		return -1;
	if (r == 0)
		return err_set(e, ERR_INPUT, "%s: no range starts at %s", ev->kind, first);
	int same = strcmp((const char *)sqlite3_column_text(st, 0), by) == 0;
	int done = sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	if (same)
		return err_set(e, ERR_INPUT, "%s: the officer who received range %s may not "
			       "confirm it", ev->kind, first);
	if (done)
		return err_set(e, ERR_INPUT, "%s: range %s is confirmed already", ev->kind, first);
	if (db_run(db, "UPDATE booklet_ranges SET confirmed_by = ?, confirmed_seq = ?"
		   " WHERE first = ?", ev->kind, e, "sis", by, (int64_t)ev->seq, first) < 0)
		return -1;
	/* booklets voided or spoiled before the confirmation stay so */
	return db_run(db, "UPDATE booklets SET state = 'available', updated_seq = ?,"
		      " updated_ms = ? WHERE range_first = ? AND state = 'received'", ev->kind, e,
		      "iis", (int64_t)ev->seq, (int64_t)ev->time_ms, first);
}

static int p_used(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	char seq[24];
	snprintf(seq, sizeof seq, "%llu", (unsigned long long)ev->seq);
	return move(db, ev, str(b, "number"), from_use, "used",
		    "app = ?4, used_seq = CAST(?5 AS INTEGER)", str(b, "app"), seq, NULL, e);
}

static int p_spoiled(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	const char *number = str(b, "number"), *app = str(b, "app");
	char state[16], cur[40];
	int r = booklet_load(db, number, state, cur, e);
	if (r < 0)
		return -1;
	if (r == 1 && app && cur[0] && strcmp(cur, app) != 0)
		return err_set(e, ERR_INPUT, "%s: booklet %s was used by another application",
			       ev->kind, number);
	/* the row keeps the app that used it; a blank spoiled for an app records that one */
	return move(db, ev, number, from_spoil, "spoiled",
		    "spoiled_reason = ?4, spoiled_by = ?5, app = coalesce(app, ?6)",
		    str(b, "reason"), ev->actor, app, e);
}

static int p_destroyed(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	char *officers = json_dumps(json_object_get(b, "officers"), JSON_COMPACT);
	if (!officers)
		return err_nomem(e);
	int rc = move(db, ev, str(b, "number"), from_destroy, "destroyed", "destroyed_by = ?4",
		      officers, NULL, NULL, e);
	mem_free(officers); /* jansson allocates through mem_alloc (canon_init) */
	return rc;
}

static int p_voided(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	return move(db, ev, str(b, "number"), from_void, "voided", "voided_reason = ?4",
		    str(b, "reason"), NULL, NULL, e);
}

/* name, version, clear, fields, projection (the schema is the check's context) */
#define KIND(name, v, clear, f, project) \
	{ name, v, clear, schema_check, project, \
	  &(const struct schema)SCHEMA_OWN(name, f, NULL, "unknown field in body", 0) }

static const struct kind_def booklet_kinds[] = {
	KIND("booklet.range_received", 1, 1, f_received, p_received),
	KIND("booklet.range_confirmed", 1, 1, f_confirmed, p_confirmed),
	KIND("booklet.used", 1, 1, f_used, p_used),
	KIND("booklet.spoiled", 1, 0, f_spoiled, p_spoiled),
	KIND("booklet.destruction_confirmed", 1, 1, f_destroyed, p_destroyed),
	KIND("booklet.voided", 1, 0, f_voided, p_voided),
};

static const struct kind_set booklet_set = {
	"booklets", booklet_kinds, sizeof booklet_kinds / sizeof booklet_kinds[0],
	booklet_tables, sizeof booklet_tables / sizeof booklet_tables[0],
};

int booklets_register_kinds(void)
{
	return kinds_register(&booklet_set);
}

/* ---- operations ---- */

static int begin(struct wf_hdr *h, struct err *e)
{
	h->reason = WF_OK;
	h->seq = 0;
	if (!field_principal_ok(h->actor))
		return refusal_set(&h->reason, WF_INVALID_INPUT, e,
				   "actor must be 'officer:<username>' or 'cli:<user>'");
	return 0;
}

/* Appends kind v1 (body taken) under subject "booklet:<key>". */
static int append(struct writer_txn *tx, struct wf_hdr *h, const char *kind,
		  const char *key, json_t *body, struct err *e)
{
	if (!body)
		return err_nomem(e);
	char subject[40];
	snprintf(subject, sizeof subject, "booklet:%s", key);
	int rc = writer_txn_append_json(tx, h->actor, kind, 1, subject, body, &h->seq, e);
	json_decref(body);
	if (rc < 0 && h->reason == WF_OK && e->code == ERR_INPUT)
		h->reason = WF_INVALID_INPUT;
	return rc;
}

/* Loads a booklet for an op: WF_NO_BOOKLET when there is none. */
static int need(struct writer_txn *tx, struct wf_hdr *h, const char *number,
		char state[16], char app[40], struct err *e)
{
	if (!booklet_number_valid(number))
		return refusal_set(&h->reason, WF_INVALID_INPUT, e,
				   "booklet number must be one letter and seven digits");
	int r = booklet_load(writer_txn_db(tx), number, state, app, e);
	if (r < 0)
		return -1;
	if (r == 0)
		return refusal_set(&h->reason, WF_NO_BOOKLET, e,
				   "booklet %s is not in stock", number);
	return 0;
}

int booklet_receive(struct writer_txn *tx, void *arg, struct err *e)
{
	struct booklet_receive *o = arg;
	if (begin(&o->hdr, e) < 0)
		return -1;
	if (!booklet_number_valid(o->first))
		return refusal_set(&o->hdr.reason, WF_INVALID_INPUT, e,
				   "first booklet number must be one letter and seven digits");
	char last[BOOKLET_NUMBER_LEN + 1];
	if (o->count < 1 || o->count > BOOKLET_RANGE_MAX)
		return refusal_set(&o->hdr.reason, WF_INVALID_INPUT, e, "count must be 1 to %d",
				   BOOKLET_RANGE_MAX);
	if (number_add(o->first, o->count - 1, last) < 0)
		return refusal_set(&o->hdr.reason, WF_INVALID_INPUT, e,
				   "the range %s + %d passes %c9999999",
				   o->first, o->count, o->first[0]);
	sqlite3 *db = writer_txn_db(tx);
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT min(number), count(*) FROM booklets WHERE number BETWEEN ?"
			   " AND ?", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, o->first, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, last, -1, SQLITE_STATIC);
	char taken[BOOKLET_NUMBER_LEN + 1] = "";
	long long n = 0;
	if (sqlite3_step(st) == SQLITE_ROW && (n = sqlite3_column_int64(st, 1)) > 0)
		snprintf(taken, sizeof taken, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (n > 0)
		return refusal_set(&o->hdr.reason, WF_BOOKLET_EXISTS, e,
				   "%lld booklet(s) of %s-%s are recorded "
				   "already (the first: %s)", n, o->first, last, taken);
	return append(tx, &o->hdr, "booklet.range_received", o->first,
		      json_pack("{s:i, s:s, s:s}", "count", o->count, "first", o->first,
				"received_by", o->hdr.actor), e);
}

int booklet_confirm_range(struct writer_txn *tx, void *arg, struct err *e)
{
	struct booklet_confirm *o = arg;
	if (begin(&o->hdr, e) < 0)
		return -1;
	if (strncmp(o->hdr.actor, "officer:", 8) != 0)
		return refusal_set(&o->hdr.reason, WF_SEPARATION, e,
				   "a booklet range is confirmed by an officer");
	if (!booklet_number_valid(o->first))
		return refusal_set(&o->hdr.reason, WF_INVALID_INPUT, e,
				   "first booklet number must be one letter and seven digits");
	sqlite3 *db = writer_txn_db(tx);
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT received_by, confirmed_by FROM booklet_ranges WHERE"
			   " first = ?", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, o->first, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	char by[256] = "", confirmed[256] = "";
	if (rc == SQLITE_ROW) {
		snprintf(by, sizeof by, "%s", (const char *)sqlite3_column_text(st, 0));
		const char *c = (const char *)sqlite3_column_text(st, 1);
		snprintf(confirmed, sizeof confirmed, "%s", c ? c : "");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? refusal_set(&o->hdr.reason, WF_NO_BOOKLET, e,
						       "no booklet range starts at %s", o->first)
		       : db_error(db, e, "reading booklet_ranges");
	if (strcmp(by, o->hdr.actor) == 0)
		return refusal_set(&o->hdr.reason, WF_SEPARATION, e,
				   "%s received range %s: a second officer "
				   "must confirm it", o->hdr.actor, o->first);
	if (confirmed[0])
		return refusal_set(&o->hdr.reason, WF_INVALID_STATE, e,
				   "range %s was confirmed by %s already",
				   o->first, confirmed);
	return append(tx, &o->hdr, "booklet.range_confirmed", o->first,
		      json_pack("{s:s, s:s}", "confirmed_by", o->hdr.actor, "first", o->first), e);
}

int booklet_take_next(struct writer_txn *tx, void *arg, struct err *e)
{
	struct booklet_take *o = arg;
	o->number[0] = '\0';
	if (begin(&o->hdr, e) < 0)
		return -1;
	if (!o->app || !appid_valid(o->app, 'A'))
		return refusal_set(&o->hdr.reason, WF_INVALID_INPUT, e,
				   "application id is malformed");
	sqlite3 *db = writer_txn_db(tx);
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT number FROM booklets WHERE app = ? AND state = 'used'", &st,
		       e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, o->app, -1, SQLITE_STATIC);
	char held[BOOKLET_NUMBER_LEN + 1] = "";
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(held, sizeof held, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (held[0])
		return refusal_set(&o->hdr.reason, WF_APP_HAS_BOOKLET, e,
				   "application %s uses booklet %s: "
				   "spoil it before taking another", o->app, held);
	if (db_prepare(db, "SELECT number FROM booklets WHERE state = 'available'"
			   " ORDER BY number LIMIT 1", &st, e) < 0)
		return -1;
	char number[BOOKLET_NUMBER_LEN + 1] = "";
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(number, sizeof number, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(db, e, "reading the booklets table");
	if (!number[0])
		return refusal_set(&o->hdr.reason, WF_NO_STOCK, e,
				   "no booklet is available: receive a range "
				   "and have a second officer confirm it");
	if (append(tx, &o->hdr, "booklet.used", number,
		   json_pack("{s:s, s:s}", "app", o->app, "number", number), e) < 0)
		return -1;
	memcpy(o->number, number, sizeof number);
	return 0;
}

int booklet_spoil(struct writer_txn *tx, void *arg, struct err *e)
{
	struct booklet_spoil *o = arg;
	char state[16], app[40];
	if (begin(&o->hdr, e) < 0 || need(tx, &o->hdr, o->number, state, app, e) < 0)
		return -1;
	if (!in_list(state, from_spoil))
		return refusal_set(&o->hdr.reason, WF_INVALID_STATE, e,
				   "booklet %s is '%s': only a received, "
				   "available or used booklet can be spoiled", o->number, state);
	if (o->app && app[0] && strcmp(o->app, app) != 0)
		return refusal_set(&o->hdr.reason, WF_INVALID_STATE, e,
				   "booklet %s is used by another application", o->number);
	/* a personalized booklet is spoiled only with its application (spoil-and-redo,
	 * which needs a second officer, and never after the hand-over): spoiling it here
	 * would let one officer make a second signed booklet for one application */
	if (!o->redo && strcmp(state, "used") == 0)
		return refusal_set(&o->hdr.reason, WF_INVALID_STATE, e,
				   "booklet %s is personalized for "
				   "application %s: it is spoiled with its application (POST "
				   "/api/v1/applications/%s/spoil, with a second officer)", o->number,
				   app, app);
	if (!o->reason || !field_note_ok(o->reason, 500))
		return refusal_set(&o->hdr.reason, WF_INVALID_INPUT, e,
				   "reason must be 1 to 500 characters");
	json_t *b = json_pack("{s:s, s:s}", "number", o->number, "reason", o->reason);
	if (b && o->app)
		json_object_set_new(b, "app", json_string(o->app));
	return append(tx, &o->hdr, "booklet.spoiled", o->number, b, e);
}

int booklet_confirm_destruction(struct writer_txn *tx, void *arg, struct err *e)
{
	struct booklet_destroy *o = arg;
	char state[16], app[40];
	if (begin(&o->hdr, e) < 0 || need(tx, &o->hdr, o->number, state, app, e) < 0)
		return -1;
	if (!o->officers[0] || !o->officers[1] || !auth_username_valid(o->officers[0]) ||
	    !auth_username_valid(o->officers[1]))
		return refusal_set(&o->hdr.reason, WF_INVALID_INPUT, e,
				   "a destruction names two officers' usernames");
	if (strcmp(o->officers[0], o->officers[1]) == 0)
		return refusal_set(&o->hdr.reason, WF_SEPARATION, e,
				   "a destruction is confirmed by two distinct officers");
	if (strcmp(state, "spoiled") != 0)
		return refusal_set(&o->hdr.reason, WF_INVALID_STATE, e,
				   "booklet %s is '%s': only a spoiled "
				   "booklet is destroyed", o->number, state);
	return append(tx, &o->hdr, "booklet.destruction_confirmed", o->number,
		      json_pack("{s:s, s:[s, s]}", "number", o->number, "officers",
				o->officers[0], o->officers[1]), e);
}

int booklet_void(struct writer_txn *tx, void *arg, struct err *e)
{
	struct booklet_void *o = arg;
	char state[16], app[40];
	if (begin(&o->hdr, e) < 0 || need(tx, &o->hdr, o->number, state, app, e) < 0)
		return -1;
	if (!in_list(state, from_void))
		return refusal_set(&o->hdr.reason, WF_INVALID_STATE, e,
				   "booklet %s is '%s': only a received "
				   "or available booklet can be voided", o->number, state);
	if (!o->reason || !field_note_ok(o->reason, 500))
		return refusal_set(&o->hdr.reason, WF_INVALID_INPUT, e,
				   "reason must be 1 to 500 characters");
	return append(tx, &o->hdr, "booklet.voided", o->number,
		      json_pack("{s:s, s:s}", "number", o->number, "reason", o->reason), e);
}

int booklet_stock(sqlite3 *db, struct booklet_stock *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT state, count(*) FROM booklets GROUP BY state", &st, e) < 0)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		for (int i = 0; i < BOOKLET_STATE_COUNT; i++)
			if (s && strcmp(s, state_names[i]) == 0)
				out->count[i] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(db, e, "reading the booklets table");
	return 0;
}

/* ---- reads for the API ---- */

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	return t ? json_string(t) : json_null();
}

static json_t *int_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL
	       ? json_null() : json_integer((json_int_t)sqlite3_column_int64(st, col));
}

int booklet_stock_json(sqlite3 *db, json_t **out, struct err *e)
{
	*out = NULL;
	struct booklet_stock st;
	if (booklet_stock(db, &st, e) < 0)
		return -1;
	json_t *counts = json_object(), *ranges = json_array();
	long long total = 0;
	for (int i = 0; counts && i < BOOKLET_STATE_COUNT; i++) {
		json_object_set_new(counts, booklet_state_name((enum booklet_state)i),
				    json_integer(st.count[i]));
		total += st.count[i];
	}
	sqlite3_stmt *q = NULL;
	if (!counts || !ranges)
		goto nomem;
	if (db_prepare(db, "SELECT r.first, r.count, r.received_by, r.confirmed_by,"
			   " r.received_seq, r.confirmed_seq,"
			   " (SELECT count(*) FROM booklets b WHERE b.range_first = r.first"
			   "  AND b.state IN ('received', 'available'))"
			   " FROM booklet_ranges r ORDER BY r.first", &q, e) < 0)
		goto fail;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int confirmed = sqlite3_column_type(q, 3) != SQLITE_NULL;
		json_t *r = json_pack("{s:o, s:I, s:o, s:o, s:s, s:o, s:o, s:I}",
				      "first", text_or_null(q, 0),
				      "count", (json_int_t)sqlite3_column_int64(q, 1),
				      "received_by", text_or_null(q, 2),
				      "confirmed_by", text_or_null(q, 3),
				      "state", confirmed ? "confirmed" : "received",
				      "received_seq", int_or_null(q, 4),
				      "confirmed_seq", int_or_null(q, 5),
				      "unused", (json_int_t)sqlite3_column_int64(q, 6));
		if (!r || json_array_append_new(ranges, r) < 0)
			goto nomem;
	}
	if (rc != SQLITE_DONE) {
		db_error(db, e, "reading booklet_ranges");
		goto fail;
	}
	sqlite3_finalize(q);
	*out = json_pack("{s:o, s:I, s:o}", "counts", counts, "total", (json_int_t)total,
			 "ranges", ranges);
	return *out ? 0 : err_nomem(e);
nomem:
	err_nomem(e);
fail:
	sqlite3_finalize(q);
	json_decref(counts);
	json_decref(ranges);
	return -1;
}

int booklet_get_json(sqlite3 *db, const char *number, json_t **out, struct err *e)
{
	*out = NULL;
	sqlite3_stmt *q;
	int r = db_row(db, "SELECT b.number, b.state, b.app, b.spoiled_by, b.destroyed_by,"
		       " b.used_seq, b.updated_seq, r.first, r.count, r.received_by,"
		       " r.confirmed_by, r.received_seq, r.confirmed_seq"
		       " FROM booklets b JOIN booklet_ranges r ON r.first = b.range_first"
		       " WHERE b.number = ?", "reading the booklets table", &q, e, "s", number);
	if (r <= 0)
		return r;
	/* destroyed_by holds the two officers as a JSON array (booklets.c) */
	const char *d = (const char *)sqlite3_column_text(q, 4);
	json_t *destroyed = d ? json_loads(d, 0, NULL) : NULL;
	json_t *v = json_pack("{s:o, s:o, s:o, s:o, s:o, s:{s:o, s:I, s:o, s:o},"
			      " s:{s:o, s:o, s:o, s:o}}",
			      "number", text_or_null(q, 0),
			      "state", text_or_null(q, 1),
			      "app", text_or_null(q, 2),
			      "spoiled_by", text_or_null(q, 3),
			      "destroyed_by", destroyed ? destroyed : json_null(),
			      "range",
			      "first", text_or_null(q, 7),
			      "count", (json_int_t)sqlite3_column_int64(q, 8),
			      "received_by", text_or_null(q, 9),
			      "confirmed_by", text_or_null(q, 10),
			      "seqs",
			      "received", int_or_null(q, 11),
			      "confirmed", int_or_null(q, 12),
			      "used", int_or_null(q, 5),
			      "updated", int_or_null(q, 6));
	sqlite3_finalize(q);
	if (!v)
		return err_nomem(e);
	*out = v;
	return 1;
}
