/*
 * wf_project — the workflow's projection: its tables (wf_tables: applications,
 * application_documents, application_fingerprints, slot_counts, watchlist, access_log,
 * application_enrollers, payments, application_names, issuance), wf_project (the
 * kind_def.project of every office kind: the application's row read once, the
 * transition and the kind's guard checked, then its handler) and the handlers.
 *
 * Handlers are deterministic: they read only the event (seq, time, actor, body) and the
 * tables, so replaying the log (node_rebuild) gives the same rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icao/mrz.h"
#include "log/db.h"
#include "log/event.h"
#include "log/kinds.h"
#include "office/schema.h"
#include "office/wf_internal.h"
#include "util/alloc.h"

const struct kind_table wf_tables[WF_NTABLES] = {
	{ "applications",
	  "CREATE TABLE IF NOT EXISTS applications ("
	  " id TEXT PRIMARY KEY, state TEXT NOT NULL, idref TEXT NOT NULL,"
	  " code_hash TEXT NOT NULL UNIQUE, full_name TEXT NOT NULL, name_norm TEXT NOT NULL,"
	  " birth_place TEXT NOT NULL, birth_date TEXT NOT NULL, sex TEXT NOT NULL,"
	  " address TEXT NOT NULL, phone TEXT NOT NULL, email TEXT NOT NULL,"
	  " passport_type TEXT NOT NULL, channel TEXT NOT NULL, reason TEXT NOT NULL,"
	  " previous_passport TEXT, police_report TEXT,"
	  " slot_date TEXT NOT NULL, slot_start TEXT NOT NULL,"
	  " rescheduled INTEGER NOT NULL DEFAULT 0,"
	  " created_seq INTEGER NOT NULL, created_ms INTEGER NOT NULL, created_by TEXT NOT NULL,"
	  " updated_seq INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
	  " cancel_reason TEXT, checked_in_by TEXT, documents_by TEXT, enrolled_by TEXT,"
	  " interviewed_by TEXT, interview_notes TEXT, decided_by TEXT, decision_reasons TEXT,"
	  " photo_blob TEXT, photo_width INTEGER, photo_height INTEGER, photo_bytes INTEGER,"
	  " watchlist_result TEXT, watchlist_entries TEXT, watchlist_override TEXT,"
	  " watchlist_by TEXT, watchlist_seq INTEGER,"
	  " billing_code TEXT, amount INTEGER, currency TEXT, payment_status TEXT,"
	  " paid_by TEXT) WITHOUT ROWID;"
	  "CREATE UNIQUE INDEX IF NOT EXISTS applications_active_idref ON applications (idref)"
	  " WHERE state NOT IN ('cancelled', 'no_show', 'rejected', 'issued');"
	  "CREATE INDEX IF NOT EXISTS applications_state_day ON applications (state, slot_date);"
	  "CREATE INDEX IF NOT EXISTS applications_day ON applications (slot_date);"
	  "CREATE INDEX IF NOT EXISTS applications_idref ON applications (idref);" },
	{ "application_documents",
	  "CREATE TABLE IF NOT EXISTS application_documents ("
	  " app TEXT NOT NULL, doc TEXT NOT NULL, status TEXT NOT NULL, note TEXT,"
	  " seq INTEGER NOT NULL, PRIMARY KEY (app, doc)) WITHOUT ROWID" },
	{ "application_fingerprints",
	  "CREATE TABLE IF NOT EXISTS application_fingerprints ("
	  " app TEXT NOT NULL, position INTEGER NOT NULL, blob TEXT NOT NULL,"
	  " format TEXT NOT NULL, bytes INTEGER NOT NULL, seq INTEGER NOT NULL,"
	  " PRIMARY KEY (app, position)) WITHOUT ROWID" },
	{ "slot_counts",
	  "CREATE TABLE IF NOT EXISTS slot_counts ("
	  " slot_date TEXT NOT NULL, slot_start TEXT NOT NULL, count INTEGER NOT NULL"
	  " CHECK (count >= 0), PRIMARY KEY (slot_date, slot_start)) WITHOUT ROWID" },
	{ "watchlist",
	  "CREATE TABLE IF NOT EXISTS watchlist ("
	  " id TEXT PRIMARY KEY, idref TEXT, name_norm TEXT, birth_date TEXT,"
	  " reason TEXT NOT NULL, source TEXT NOT NULL, added_by TEXT NOT NULL,"
	  " seq INTEGER NOT NULL, time_ms INTEGER NOT NULL) WITHOUT ROWID;"
	  "CREATE INDEX IF NOT EXISTS watchlist_idref ON watchlist (idref);"
	  "CREATE INDEX IF NOT EXISTS watchlist_name ON watchlist (name_norm, birth_date);" },
	{ "access_log",
	  "CREATE TABLE IF NOT EXISTS access_log ("
	  " seq INTEGER PRIMARY KEY, app TEXT NOT NULL, actor TEXT NOT NULL,"
	  " time_ms INTEGER NOT NULL, what TEXT NOT NULL);"
	  "CREATE INDEX IF NOT EXISTS access_log_app ON access_log (app, seq);" },
	{ "application_enrollers",
	  /* every officer who enrolled something of the application (photo, fingerprints,
	   * the enrolment itself): none of them may decide on it, whatever roles they hold */
	  "CREATE TABLE IF NOT EXISTS application_enrollers ("
	  " app TEXT NOT NULL, actor TEXT NOT NULL, PRIMARY KEY (app, actor)) WITHOUT ROWID" },
	{ "payments",
	  /* the billing's service and date (the tariff) and its confirmation: one NTPN
	   * confirms one payment */
	  "CREATE TABLE IF NOT EXISTS payments ("
	  " app TEXT PRIMARY KEY, service TEXT NOT NULL, billed_on TEXT NOT NULL,"
	  " recorded_seq INTEGER NOT NULL, ntpn TEXT UNIQUE, confirmed_by TEXT,"
	  " confirmed_seq INTEGER) WITHOUT ROWID" },
	{ "application_names",
	  /* the name as enrolled (the applicant's confirmed split) and as approved: the MRZ
	   * name field the adjudicator saw; personalization prints exactly these */
	  "CREATE TABLE IF NOT EXISTS application_names ("
	  " app TEXT PRIMARY KEY, primary_id TEXT NOT NULL, secondary_id TEXT NOT NULL,"
	  " mrz_name TEXT NOT NULL, enrolled_seq INTEGER NOT NULL, approved_mrz_name TEXT,"
	  " approved_seq INTEGER) WITHOUT ROWID" },
	{ "issuance",
	  "CREATE TABLE IF NOT EXISTS issuance ("
	  " app TEXT PRIMARY KEY, booklet TEXT NOT NULL, surname TEXT NOT NULL,"
	  " given_names TEXT, issue_date TEXT NOT NULL, expiry_date TEXT NOT NULL,"
	  " mrz TEXT NOT NULL, sod_blob TEXT, attempts INTEGER NOT NULL,"
	  " personalized_by TEXT NOT NULL, personalized_seq INTEGER NOT NULL,"
	  " personalized_ms INTEGER NOT NULL, qc_result TEXT, qc_failures TEXT, qc_by TEXT,"
	  " qc_seq INTEGER, qc_ms INTEGER, voided_reason TEXT, collected_by TEXT,"
	  " proxy_name TEXT, proxy_idref TEXT, power_of_attorney TEXT, handed_by TEXT,"
	  " issued_seq INTEGER, issued_ms INTEGER) WITHOUT ROWID;"
	  "CREATE INDEX IF NOT EXISTS issuance_booklet ON issuance (booklet);" },
};

_Static_assert(sizeof wf_tables / sizeof wf_tables[0] == WF_NTABLES, "wf_tables");

static const char *str(const json_t *b, const char *k)
{
	return json_string_value(json_object_get(b, k));
}

/* ---- the projection of every office kind ---- */

/* The transition of x->kind from x->a.state into x->to (kind NULL: none to check). */
static int transition(struct wf_ev *x, struct err *e)
{
	x->to = x->kind ? wf_transition(x->kind, x->a.state) : NULL;
	if (x->kind && !x->to)
		return wf_deny(e, WF_INVALID_STATE, "application %s is '%s': %s needs '%s'", x->app,
			       x->a.state, x->kind, wf_transition_from(x->kind));
	return 0;
}

/* The number of office events the calling thread has projected: the workflow's tables
 * are written by their projections only (wf_p_*), so a row read while it stays the same
 * is the row as it is now. */
static _Thread_local uint64_t projected;

#ifdef PASPOR_TESTING
struct wf_test_counts wf_test_counts;
#endif

int wf_guard_begin(struct wf_ev *x, sqlite3 *db, const char *actor, const char *kind,
		   uint16_t version, const json_t *b, const char *app, struct err *e)
{
	memset(x, 0, sizeof *x);
	x->db = db;
	x->actor = actor;
	x->kind = kind;
	x->version = version;
	x->b = b;
	x->app = app;
	if (kind && !wf_kind_has_transition(kind))
		return 0;
#ifdef PASPOR_TESTING
	__atomic_fetch_add(&wf_test_counts.row_reads, 1, __ATOMIC_RELAXED);
#endif
	int r = wf_app_load(db, x->app ? x->app : "", &x->a, e);
	if (r < 0)
		return -1;
	if (r == 0)
		return wf_deny(e, WF_NOT_FOUND, "application %s does not exist", x->app);
	x->gen = projected;
	return transition(x, e);
}

int wf_guard_run(const struct wf_guard *g, struct wf_ev *x, struct err *e)
{
	if (!g)
		return 0;
#ifdef PASPOR_TESTING
	__atomic_fetch_add(&wf_test_counts.guard_runs, 1, __ATOMIC_RELAXED);
#endif
	x->reads = g->reads;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < WF_GUARD_RULES && g->rules[i].fn; i++)
		rc = g->rules[i].fn(x, g->rules[i].what, e);
	x->reads = NULL;
	return rc;
}

/* What the operation appending the event read (wf_append_v); see wf_project_given. */
static _Thread_local const struct wf_ev *given_ev;

void wf_project_given(const struct wf_ev *x)
{
	given_ev = x;
}

/* 1 when the operation's row (given) is the one the projection of ev would read: the
 * same connection, kind, actor and application, and no office event projected since it
 * was read (the other writes of a request, a booklet taken or a blob stored, touch
 * none of the workflow's tables). */
static int given_row(sqlite3 *db, const struct event *ev, const char *app)
{
	const struct wf_ev *g = given_ev;
	return g && g->db == db && g->a.state[0] && g->kind && app && g->app &&
	       strcmp(g->kind, ev->kind) == 0 && strcmp(g->actor, ev->actor) == 0 &&
	       strcmp(g->app, app) == 0 && g->gen == projected;
}

/* 1 when the operation ran the guard of this event's kind and version on its row
 * (given_row) and on the same values of the body fields the guard reads: it would
 * pass again, so it is not run twice. */
static int given_guarded(const struct wf_guard *g, const struct wf_ev *x, uint16_t version,
			 const json_t *body)
{
	if (x->guarded != version)
		return 0;
	for (const char *const *r = g->reads; r && *r; r++) {
		const json_t *a = json_object_get(x->b, *r), *b = json_object_get(body, *r);
		if (!(a == b || (a && b && json_equal(a, b))))
			return 0;
	}
	return 1;
}

int wf_project(sqlite3 *db, const struct event *ev, const json_t *body, struct err *e)
{
	const struct wf_kind *k = wf_kind_find(ev->kind, ev->kind_version);
	if (!k)
		return err_set(e, ERR_INTERNAL, "%s v%u is not an office kind", ev->kind,
			       (unsigned)ev->kind_version);
	const char *app = str(body, "app");
	struct wf_ev x;
	int guarded = 0;
	if (given_row(db, ev, app)) {
		/* the row as the operation read it, its transition checked (wf_need) and,
		 * when it ran it, its guard passed (wf_guard): one read, one check each */
		x = *given_ev;
		guarded = k->guard && given_guarded(k->guard, &x, ev->kind_version, body);
		x.kind = ev->kind;
		x.actor = ev->actor;
		x.version = ev->kind_version;
		x.b = body;
		x.app = app;
	} else if (wf_guard_begin(&x, db, ev->actor, ev->kind, ev->kind_version, body, app,
				  e) < 0) {
		return -1;
	}
	given_ev = NULL; /* one event */
	projected++;
	x.ev = ev;
	if (!guarded && wf_guard_run(k->guard, &x, e) < 0)
		return -1;
	return k->project(&x, e);
}

/* ---- handlers ---- */

static int slot_add(sqlite3 *db, const char *date, const char *start, int delta, struct err *e)
{
	return db_run(db, "INSERT INTO slot_counts (slot_date, slot_start, count) VALUES (?1, ?2,"
		      " max(?3, 0)) ON CONFLICT (slot_date, slot_start) DO UPDATE SET"
		      " count = count + ?3", "slot_counts", e, "ssi", date, start, (int64_t)delta);
}

/* UPDATE applications SET state, updated_*, <set> WHERE id of x's application: set's
 * parameters are ?4… (vals). */
static int update_app(const struct wf_ev *x, const char *state, const char *set,
		      const char *const *vals, size_t nvals, struct err *e)
{
	char sql[512];
	snprintf(sql, sizeof sql, "UPDATE applications SET state = ?1, updated_seq = ?2,"
		 " updated_ms = ?3%s%s WHERE id = ?%zu", set ? ", " : "", set ? set : "",
		 4 + nvals);
	sqlite3_stmt *st;
	if (db_prepare(x->db, sql, &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)x->ev->seq);
	sqlite3_bind_int64(st, 3, x->ev->time_ms);
	for (size_t i = 0; i < nvals; i++)
		db_bind_str(st, 4 + (int)i, vals[i]);
	sqlite3_bind_text(st, 4 + (int)nvals, x->app, -1, SQLITE_TRANSIENT);
	return db_step_once(x->db, st, x->kind, e);
}

int wf_p_created(const struct wf_ev *x, struct err *e)
{
	const json_t *b = x->b;
	char *norm;
	if (wf_name_norm(str(b, "full_name"), &norm, e) < 0)
		return -1;
	sqlite3_stmt *st;
	if (db_prepare(x->db, "INSERT INTO applications (id, state, idref, code_hash, full_name,"
			   " name_norm, birth_place, birth_date, sex, address, phone, email,"
			   " passport_type, channel, reason, previous_passport, police_report,"
			   " slot_date, slot_start, created_seq, created_ms, created_by,"
			   " updated_seq, updated_ms) VALUES (?1, 'booked', ?2, ?3, ?4, ?5, ?6, ?7,"
			   " ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,"
			   " ?19, ?20)", &st, e) < 0) {
		mem_free(norm);
		return -1;
	}
	static const char *const keys[] = { "app", "idref", "code_hash", "full_name", NULL,
					     "birth_place", "birth_date", "sex", "address", "phone",
					     "email", "passport_type", "channel", "reason",
					     "previous_passport", "police_report", "slot_date",
					     "slot_start" };
	for (int i = 0; i < 18; i++)
		db_bind_str(st, i + 1, keys[i] ? str(b, keys[i]) : norm);
	sqlite3_bind_int64(st, 19, (sqlite3_int64)x->ev->seq);
	sqlite3_bind_int64(st, 20, x->ev->time_ms);
	sqlite3_bind_text(st, 21, x->actor, -1, SQLITE_TRANSIENT);
	int rc = db_step_once(x->db, st, "booking.created", e);
	mem_free(norm);
	if (rc < 0)
		return -1;
	return slot_add(x->db, str(b, "slot_date"), str(b, "slot_start"), 1, e);
}

int wf_p_cancelled(const struct wf_ev *x, struct err *e)
{
	const char *v[] = { str(x->b, "reason") };
	if (update_app(x, x->to, "cancel_reason = ?4", v, 1, e) < 0)
		return -1;
	return slot_add(x->db, x->a.slot_date, x->a.slot_start, -1, e);
}

int wf_p_rescheduled(const struct wf_ev *x, struct err *e)
{
	const char *v[] = { str(x->b, "slot_date"), str(x->b, "slot_start") };
	if (update_app(x, x->to, "slot_date = ?4, slot_start = ?5, rescheduled = 1", v, 2, e) < 0 ||
	    slot_add(x->db, x->a.slot_date, x->a.slot_start, -1, e) < 0)
		return -1;
	return slot_add(x->db, v[0], v[1], 1, e);
}

/* Kinds that only change the state and record who did it in column `by` (or nothing). */
static int simple(const struct wf_ev *x, const char *by, struct err *e)
{
	char set[64];
	if (by)
		snprintf(set, sizeof set, "%s = ?4", by);
	const char *v[] = { x->actor };
	return update_app(x, x->to, by ? set : NULL, v, by ? 1 : 0, e);
}

int wf_p_checked_in(const struct wf_ev *x, struct err *e)
{
	return simple(x, "checked_in_by", e);
}

int wf_p_no_show(const struct wf_ev *x, struct err *e)
{
	return simple(x, NULL, e);
}

int wf_p_documents(const struct wf_ev *x, struct err *e)
{
	if (simple(x, "documents_by", e) < 0)
		return -1;
	const json_t *docs = json_object_get(x->b, "documents");
	for (size_t i = 0; schema_doc_names[i]; i++) {
		const json_t *d = json_object_get(docs, schema_doc_names[i]);
		if (db_run(x->db, "INSERT OR REPLACE INTO application_documents (app, doc, status,"
			   " note, seq) VALUES (?, ?, ?, ?, ?)", x->kind, e, "ssssi", x->app,
			   schema_doc_names[i], str(d, "status"), str(d, "note"),
			   (int64_t)x->ev->seq) < 0)
			return -1;
	}
	return 0;
}

/* Records that the event's actor enrolled something of its application. */
static int enroller_add(const struct wf_ev *x, struct err *e)
{
	return db_run(x->db, "INSERT OR IGNORE INTO application_enrollers (app, actor)"
		      " VALUES (?, ?)", x->kind, e, "ss", x->app, x->actor);
}

int wf_p_photo(const struct wf_ev *x, struct err *e)
{
	const json_t *b = x->b;
	char w[24], h[24], n[24];
	snprintf(w, sizeof w, "%lld", (long long)json_integer_value(json_object_get(b, "width")));
	snprintf(h, sizeof h, "%lld", (long long)json_integer_value(json_object_get(b, "height")));
	snprintf(n, sizeof n, "%lld", (long long)json_integer_value(json_object_get(b, "bytes")));
	const char *v[] = { str(b, "blob"), w, h, n };
	if (update_app(x, x->to, "photo_blob = ?4, photo_width = CAST(?5 AS INTEGER),"
		       " photo_height = CAST(?6 AS INTEGER), photo_bytes = CAST(?7 AS INTEGER)",
		       v, 4, e) < 0)
		return -1;
	return enroller_add(x, e);
}

int wf_p_fingerprint(const struct wf_ev *x, struct err *e)
{
	if (update_app(x, x->to, NULL, NULL, 0, e) < 0 || enroller_add(x, e) < 0)
		return -1;
	return db_run(x->db, "INSERT OR REPLACE INTO application_fingerprints (app, position,"
		      " blob, format, bytes, seq) VALUES (?, ?, ?, ?, ?, ?)", x->kind, e, "sissii",
		      x->app, (int64_t)json_integer_value(json_object_get(x->b, "position")),
		      str(x->b, "blob"), str(x->b, "format"),
		      (int64_t)json_integer_value(json_object_get(x->b, "bytes")),
		      (int64_t)x->ev->seq);
}

static int enrolled_state(const struct wf_ev *x, struct err *e)
{
	const char *v[] = { x->actor };
	if (update_app(x, x->to, "enrolled_by = ?4", v, 1, e) < 0)
		return -1;
	return enroller_add(x, e);
}

/* Records the enrolled name (mrz_name: its MRZ name field, "" when none can be made). */
static int names_put(const struct wf_ev *x, const char *primary, const char *secondary,
		     const char *mrz_name, struct err *e)
{
	return db_run(x->db, "INSERT OR REPLACE INTO application_names (app, primary_id,"
		      " secondary_id, mrz_name, enrolled_seq) VALUES (?, ?, ?, ?, ?)", x->kind, e,
		      "ssssi", x->app, primary, secondary, mrz_name, (int64_t)x->ev->seq);
}

/* v1 (before the split was an enrolment field): the full name split at its last space,
 * as personalization did then */
int wf_p_enrolled(const struct wf_ev *x, struct err *e)
{
	if (enrolled_state(x, e) < 0)
		return -1;
	char primary[640], secondary[640], field[MRZ_TD3_NAME_LEN + 1] = "";
	/* the full name as read before the event (the update above does not change it) */
	wf_split_name(x->a.full_name, primary, sizeof primary, secondary, sizeof secondary);
	struct err ignored = ERR_INIT;
	if (wf_mrz_name(primary, secondary, field, NULL, &ignored) < 0)
		field[0] = 0;
	return names_put(x, primary, secondary, field, e);
}

int wf_p_enrolled2(const struct wf_ev *x, struct err *e)
{
	const char *primary = str(x->b, "primary_identifier");
	const char *secondary = str(x->b, "secondary_identifier");
	char field[MRZ_TD3_NAME_LEN + 1];
	if (enrolled_state(x, e) < 0 || wf_mrz_name(primary, secondary, field, NULL, e) < 0)
		return -1;
	return names_put(x, primary, secondary ? secondary : "", field, e);
}

int wf_p_interviewed(const struct wf_ev *x, struct err *e)
{
	const char *v[] = { x->actor, str(x->b, "notes") };
	return update_app(x, x->to, "interviewed_by = ?4, interview_notes = ?5", v, 2, e);
}

int wf_p_watch_checked(const struct wf_ev *x, struct err *e)
{
	char *entries = json_dumps(json_object_get(x->b, "entries"), JSON_COMPACT);
	if (!entries)
		return err_nomem(e);
	char seq[24];
	snprintf(seq, sizeof seq, "%llu", (unsigned long long)x->ev->seq);
	const char *v[] = { str(x->b, "result"), entries, str(x->b, "override"), x->actor, seq };
	int rc = update_app(x, x->to, "watchlist_result = ?4, watchlist_entries = ?5,"
			    " watchlist_override = ?6, watchlist_by = ?7,"
			    " watchlist_seq = CAST(?8 AS INTEGER)", v, 5, e);
	mem_free(entries); /* jansson allocates through mem_alloc (canon_init) */
	return rc;
}

int wf_p_decision(const struct wf_ev *x, struct err *e)
{
	char *reasons = json_dumps(json_object_get(x->b, "reasons"), JSON_COMPACT);
	if (!reasons)
		return err_nomem(e);
	const char *v[] = { x->actor, reasons };
	int rc = update_app(x, x->to, "decided_by = ?4, decision_reasons = ?5", v, 2, e);
	mem_free(reasons);
	return rc;
}

/* v2: the approved MRZ name field must be the enrolled name's (the operation makes it
 * from the same row: a body that differs is forged); it is kept as approved */
int wf_p_approved2(const struct wf_ev *x, struct err *e)
{
	char enrolled[MRZ_TD3_NAME_LEN + 1];
	if (wf_names_load(x->db, x->app, NULL, NULL, enrolled, NULL, e) < 0)
		return -1;
	if (strcmp(enrolled, str(x->b, "mrz_name")) != 0)
		return err_set(e, ERR_INPUT, "application.approved: the MRZ name approved is not the "
			       "one application %s's enrolled name makes", x->app);
	if (wf_p_decision(x, e) < 0)
		return -1;
	return db_run(x->db, "UPDATE application_names SET approved_mrz_name = ?,"
		      " approved_seq = ? WHERE app = ?", x->kind, e, "sis", str(x->b, "mrz_name"),
		      (int64_t)x->ev->seq, x->app);
}

int wf_p_payment(const struct wf_ev *x, struct err *e)
{
	const json_t *b = x->b;
	char amount[24];
	snprintf(amount, sizeof amount, "%lld",
		 (long long)json_integer_value(json_object_get(b, "amount")));
	const char *v[] = { str(b, "billing_code"), amount, str(b, "currency"), str(b, "status"),
			    x->actor };
	return update_app(x, x->to, "billing_code = ?4, amount = CAST(?5 AS INTEGER),"
			  " currency = ?6, payment_status = ?7, paid_by = ?8", v, 5, e);
}

int wf_p_pay_confirmed(const struct wf_ev *x, struct err *e)
{
	const char *v[] = { "confirmed" };
	return update_app(x, x->to, "payment_status = ?4", v, 1, e);
}

int wf_p_payment2(const struct wf_ev *x, struct err *e)
{
	if (wf_p_payment(x, e) < 0)
		return -1;
	return db_run(x->db, "INSERT OR REPLACE INTO payments (app, service, billed_on,"
		      " recorded_seq) VALUES (?, ?, ?, ?)", x->kind, e, "sssi", x->app,
		      str(x->b, "service"), str(x->b, "billed_on"), (int64_t)x->ev->seq);
}

int wf_p_pay_confirmed2(const struct wf_ev *x, struct err *e)
{
	if (wf_p_pay_confirmed(x, e) < 0)
		return -1;
	return db_run(x->db, "UPDATE payments SET ntpn = ?, confirmed_by = ?, confirmed_seq = ?"
		      " WHERE app = ?", x->kind, e, "ssis", str(x->b, "ntpn"), x->actor,
		      (int64_t)x->ev->seq, x->app);
}

int wf_p_viewed(const struct wf_ev *x, struct err *e)
{
	return db_run(x->db, "INSERT INTO access_log (seq, app, actor, time_ms, what)"
		      " VALUES (?, ?, ?, ?, ?)", x->kind, e, "issis", (int64_t)x->ev->seq, x->app,
		      x->actor, (int64_t)x->ev->time_ms, str(x->b, "what"));
}

int wf_p_watch_added(const struct wf_ev *x, struct err *e)
{
	const json_t *b = x->b;
	char *norm = NULL;
	if (str(b, "full_name") && wf_name_norm(str(b, "full_name"), &norm, e) < 0)
		return -1;
	int rc = db_run(x->db, "INSERT INTO watchlist (id, idref, name_norm, birth_date, reason,"
			" source, added_by, seq, time_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			x->kind, e, "sssssssii", str(b, "id"), str(b, "idref"), norm,
			str(b, "birth_date"), str(b, "reason"), str(b, "source"), x->actor,
			(int64_t)x->ev->seq, (int64_t)x->ev->time_ms);
	mem_free(norm);
	return rc;
}

/* ---- issuance ---- */

int wf_p_personalized(const struct wf_ev *x, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(x->db, "INSERT INTO issuance (app, booklet, surname, given_names,"
			   " issue_date, expiry_date, mrz, sod_blob, attempts, personalized_by,"
			   " personalized_seq, personalized_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
			   " ?8, 1, ?9, ?10, ?11)"
			   " ON CONFLICT (app) DO UPDATE SET booklet = ?2, surname = ?3,"
			   " given_names = ?4, issue_date = ?5, expiry_date = ?6, mrz = ?7,"
			   " sod_blob = ?8, attempts = attempts + 1, personalized_by = ?9,"
			   " personalized_seq = ?10, personalized_ms = ?11, qc_result = NULL,"
			   " qc_failures = NULL, qc_by = NULL, qc_seq = NULL, qc_ms = NULL,"
			   " collected_by = NULL, proxy_name = NULL, proxy_idref = NULL,"
			   " power_of_attorney = NULL, handed_by = NULL, issued_seq = NULL,"
			   " issued_ms = NULL",
		       &st, e) < 0)
		return -1;
	static const char *const keys[] = { "app", "booklet", "surname", "given_names",
					     "issue_date", "expiry_date", "mrz", "sod_blob" };
	for (int i = 0; i < 8; i++)
		db_bind_str(st, i + 1, str(x->b, keys[i]));
	db_bind_str(st, 9, x->actor);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)x->ev->seq);
	sqlite3_bind_int64(st, 11, x->ev->time_ms);
	if (db_step_once(x->db, st, x->kind, e) < 0)
		return -1;
	return update_app(x, x->to, NULL, NULL, 0, e);
}

/* v2: the personalization is of the approved name (the primary and secondary
 * identifiers enrolled, the MRZ name field approved), so the log cannot hold a passport
 * with another name than the one approved (the operation prints exactly these: a body
 * that differs is forged, not refused) */
int wf_p_personalized2(const struct wf_ev *x, struct err *e)
{
	const char *mrz = str(x->b, "mrz");
	char primary[640], secondary[640], approved[MRZ_TD3_NAME_LEN + 1];
	if (wf_names_load(x->db, x->app, primary, secondary, NULL, approved, e) < 0)
		return -1;
	const char *given = str(x->b, "given_names");
	if (strcmp(primary, str(x->b, "surname")) != 0 ||
	    strcmp(secondary, given ? given : "") != 0)
		return err_set(e, ERR_INPUT, "application.personalized: the names are not "
			       "application %s's enrolled names", x->app);
	if (!approved[0] || strlen(mrz) < 44 || strncmp(mrz + 5, approved, MRZ_TD3_NAME_LEN) != 0)
		return err_set(e, ERR_INPUT, "application.personalized: the MRZ name is not the one "
			       "approved for application %s", x->app);
	return wf_p_personalized(x, e);
}

static int issuance_set(const struct wf_ev *x, const char *set, const char *const *vals,
			size_t nvals, struct err *e)
{
	char sql[512];
	snprintf(sql, sizeof sql, "UPDATE issuance SET %s WHERE app = ?%zu", set, nvals + 3);
	sqlite3_stmt *st;
	if (db_prepare(x->db, sql, &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)x->ev->seq);
	sqlite3_bind_int64(st, 2, x->ev->time_ms);
	for (size_t i = 0; i < nvals; i++)
		db_bind_str(st, 3 + (int)i, vals[i]);
	db_bind_str(st, 3 + (int)nvals, x->app);
	return db_step_once(x->db, st, x->kind, e);
}

int wf_p_quality(const struct wf_ev *x, struct err *e)
{
	int passed = strcmp(str(x->b, "result"), "passed") == 0;
	char *failures = json_dumps(json_object_get(x->b, "failures"), JSON_COMPACT);
	if (!failures)
		return err_nomem(e);
	const char *v[] = { str(x->b, "result"), failures, x->actor };
	int rc = issuance_set(x, "qc_seq = ?1, qc_ms = ?2, qc_result = ?3, qc_failures = ?4,"
			      " qc_by = ?5", v, 3, e);
	free(failures);
	if (rc < 0)
		return -1;
	return update_app(x, passed ? x->to : WF_STATE_QC_FAILED, NULL, NULL, 0, e);
}

int wf_p_voided(const struct wf_ev *x, struct err *e)
{
	const char *v[] = { str(x->b, "reason") };
	if (issuance_set(x, "voided_reason = ?3", v, 1, e) < 0)
		return -1;
	return update_app(x, x->to, NULL, NULL, 0, e);
}

int wf_p_handed(const struct wf_ev *x, struct err *e)
{
	const json_t *b = x->b;
	const char *v[] = { str(b, "collected_by"), str(b, "proxy_name"), str(b, "proxy_idref"),
			    str(b, "power_of_attorney"), x->actor };
	if (issuance_set(x, "issued_seq = ?1, issued_ms = ?2, collected_by = ?3,"
			 " proxy_name = ?4, proxy_idref = ?5, power_of_attorney = ?6,"
			 " handed_by = ?7", v, 5, e) < 0)
		return -1;
	return update_app(x, x->to, NULL, NULL, 0, e);
}
