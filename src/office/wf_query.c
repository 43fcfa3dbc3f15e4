/*
 * wf_query — the read side of the workflow: lists, one application, its history and
 * search (see workflow.h). Every function reads through the connection it is given and
 * builds jansson values; nothing here writes.
 */
#include "office/workflow.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "log/db.h"
#include "log/event.h"
#include "office/wf_internal.h"
#include "util/alloc.h"
#include "util/buf.h"

#define SUMMARY_COLS "id, state, full_name, slot_date, slot_start, passport_type, updated_seq"

/* A row as an object keyed by column name (NULL columns as null; JSON text columns
 * named in json_cols parsed back). Columns in skip are left out. */
static json_t *row_object(sqlite3_stmt *st, const char *const *skip, const char *const *json_cols)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	int n = sqlite3_column_count(st);
	for (int i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		int skipped = 0;
		for (size_t k = 0; skip && skip[k]; k++)
			skipped |= strcmp(skip[k], name) == 0;
		if (skipped)
			continue;
		json_t *v;
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(st, i));
			break;
		case SQLITE_NULL:
			v = json_null();
			break;
		default: {
			const char *s = (const char *)sqlite3_column_text(st, i);
			v = NULL;
			for (size_t k = 0; json_cols && json_cols[k]; k++)
				if (strcmp(json_cols[k], name) == 0)
					v = json_loads(s ? s : "null", JSON_DECODE_ANY, NULL);
			if (!v)
				v = json_string(s ? s : "");
		}
		}
		if (json_object_set_new(o, name, v) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* Runs st (bound) and collects every row into an array. */
static int rows(sqlite3 *db, sqlite3_stmt *st, json_t **out, struct err *e)
{
	json_t *a = json_array();
	int rc;
	while (a && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = row_object(st, NULL, NULL);
		if (!o || json_array_append_new(a, o) < 0) {
			json_decref(a);
			a = NULL;
		}
	}
	if (!a) {
		sqlite3_finalize(st);
		return err_nomem(e);
	}
	if (rc != SQLITE_DONE) {
		db_error(db, e, "reading applications");
		sqlite3_finalize(st);
		json_decref(a);
		return -1;
	}
	sqlite3_finalize(st);
	*out = a;
	return 0;
}

int wf_query_list(sqlite3 *db, const char *state, const char *day, int limit, json_t **out,
		  struct err *e)
{
	*out = NULL;
	if (limit <= 0 || limit > 1000)
		limit = 1000;
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT " SUMMARY_COLS " FROM applications WHERE (?1 IS NULL OR"
			   " state = ?1) AND (?2 IS NULL OR slot_date = ?2)"
			   " ORDER BY created_seq DESC LIMIT ?3", &st, e) < 0)
		return -1;
	db_bind_str(st, 1, state);
	db_bind_str(st, 2, day);
	sqlite3_bind_int(st, 3, limit);
	return rows(db, st, out, e);
}

/* sql's row (?1 = app) as row_object's object, or JSON null when there is none. */
static int row_or_null(sqlite3 *db, const char *sql, const char *app,
		       const char *const *skip, const char *const *json_cols, const char *what,
		       json_t **out, struct err *e)
{
	sqlite3_stmt *st;
	int r = db_row(db, sql, what, &st, e, "s", app);
	if (r < 0)
		return -1;
	*out = r == 1 ? row_object(st, skip, json_cols) : json_null();
	if (r == 1)
		sqlite3_finalize(st);
	return *out ? 0 : err_nomem(e);
}

int wf_query_get(sqlite3 *db, const char *app, json_t **out, enum wf_reason *reason,
		 struct err *e)
{
	*out = NULL;
	if (reason)
		*reason = WF_OK;
	sqlite3_stmt *st;
	int r = db_row(db, "SELECT * FROM applications WHERE id = ?", "reading applications", &st,
		       e, "s", app);
	if (r < 0)
		return -1;
	if (r == 0) {
		if (reason)
			*reason = WF_NOT_FOUND;
		return err_set(e, ERR_INPUT, "application %s does not exist",
			       app && appid_valid(app, 'A') ? app : "(malformed id)");
	}
	static const char *const skip[] = { "name_norm", "code_hash", NULL };
	static const char *const json_cols[] = { "decision_reasons", "watchlist_entries", NULL };
	json_t *o = row_object(st, skip, json_cols);
	sqlite3_finalize(st);
	if (!o)
		return err_nomem(e);
	json_t *docs = NULL, *fps = NULL;
	if (db_prepare_bind(db, "SELECT doc, status, note, seq FROM application_documents WHERE"
			    " app = ? ORDER BY doc", &st, e, "s", app) < 0 ||
	    rows(db, st, &docs, e) < 0 ||
	    db_prepare_bind(db, "SELECT position, blob, format, bytes, seq FROM"
			    " application_fingerprints WHERE app = ? ORDER BY position", &st, e, "s",
			    app) < 0 ||
	    rows(db, st, &fps, e) < 0)
		goto fail;
	json_object_set_new(o, "documents", docs);
	json_object_set_new(o, "fingerprints", fps);
	docs = NULL; /* o holds them now */
	/* issuance: the personalized booklet, dates, quality check and hand-over (or null) */
	static const char *const iss_skip[] = { "app", NULL };
	static const char *const iss_json[] = { "qc_failures", NULL };
	json_t *iss, *names;
	if (row_or_null(db, "SELECT * FROM issuance WHERE app = ?", app, iss_skip, iss_json,
			"reading issuance", &iss, e) < 0)
		goto fail;
	json_object_set_new(o, "issuance", iss);
	/* the name as enrolled and approved: the adjudicator sees the MRZ name field before
	 * approving, the printer operator what will be printed (null before enrolment) */
	static const char *const no_skip[] = { NULL };
	if (row_or_null(db, "SELECT primary_id AS primary_identifier, secondary_id AS"
			" secondary_identifier, mrz_name, approved_mrz_name FROM"
			" application_names WHERE app = ?", app, no_skip, no_skip,
			"reading application_names", &names, e) < 0)
		goto fail;
	json_object_set_new(o, "name", names);
	*out = o;
	return 0;
fail:
	json_decref(docs);
	json_decref(o);
	return -1;
}

int wf_query_history(sqlite3 *db, const uint8_t *data_key, const char *app, json_t **out,
		     struct err *e)
{
	*out = NULL;
	if (!app || !appid_valid(app, 'A'))
		return err_set(e, ERR_INPUT, "no such application (malformed id)");
	char subject[40];
	snprintf(subject, sizeof subject, "app:%s", app);
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT seq, data FROM events WHERE subject = ? ORDER BY seq", &st,
		       e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, subject, -1, SQLITE_TRANSIENT);
	json_t *a = json_array();
	struct buf body;
	buf_init(&body, EVENT_BODY_MAX);
	int rc, ret = -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *data = sqlite3_column_blob(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		struct event ev;
		buf_reset(&body);
		if (event_decode(data, len, &ev, e) < 0 || event_open(&ev, data_key, &body, e) < 0) {
			err_prefix(e, "event %lld", (long long)sqlite3_column_int64(st, 0));
			goto out;
		}
		json_t *b = json_loadb((const char *)body.data, body.len, 0, NULL);
		json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:i, s:o*}", "seq", (json_int_t)ev.seq,
				      "time_ms", (json_int_t)ev.time_ms, "actor", ev.actor, "kind",
				      ev.kind, "version", (int)ev.kind_version, "body", b);
		if (!a || !o || json_array_append_new(a, o) < 0) {
			err_nomem(e);
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		db_error(db, e, "reading events");
		goto out;
	}
	ret = 0;
	*out = a;
	a = NULL;
out:
	sqlite3_finalize(st);
	if (body.data)
		sodium_memzero(body.data, body.cap);
	buf_release(&body);
	json_decref(a);
	return ret;
}

/* Copies a text column into out (cap bytes, cut to cap - 1 as snprintf would; "" for
 * NULL). */
static void column_copy(sqlite3_stmt *st, int col, char *out, size_t cap)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	size_t n = v ? strnlen(v, cap - 1) : 0;
	memcpy(out, v ? v : "", n);
	out[n] = '\0';
}

int wf_query_booking(sqlite3 *db, const char *code_hash, const char *idref,
		     struct wf_booking *out, struct err *e)
{
	static const char sql[] = "SELECT id, state, slot_date, slot_start, rescheduled, idref"
				  " FROM applications WHERE code_hash = ?";
	sqlite3_stmt *st;
	if (db_cached(db, sql, &st, e) < 0)
		return -1;
	db_bind_str(st, 1, code_hash);
	int found = 0, rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *ref = (const char *)sqlite3_column_text(st, 5);
		size_t n = strlen(idref);
		if (ref && strlen(ref) == n && sodium_memcmp(ref, idref, n) == 0) {
			found = 1;
			column_copy(st, 0, out->app, sizeof out->app);
			column_copy(st, 1, out->state, sizeof out->state);
			column_copy(st, 2, out->slot_date, sizeof out->slot_date);
			column_copy(st, 3, out->slot_start, sizeof out->slot_start);
			out->rescheduled = sqlite3_column_int(st, 4);
		}
	} else if (rc != SQLITE_DONE) {
		found = db_error(db, e, "reading the booking");
	}
	sqlite3_reset(st); /* ends the statement's read transaction */
	return found;
}

int wf_query_search(sqlite3 *db, const char *by, const char *value, json_t **out,
		    struct err *e)
{
	*out = NULL;
	sqlite3_stmt *st;
	if (!by || !value)
		return err_set(e, ERR_INPUT, "search needs a field and a value");
	if (strcmp(by, "code") == 0 || strcmp(by, "nik") == 0) {
		const char *sql = strcmp(by, "code") == 0
			? "SELECT " SUMMARY_COLS " FROM applications WHERE code_hash = ?"
			  " ORDER BY created_seq DESC LIMIT 100"
			: "SELECT " SUMMARY_COLS " FROM applications WHERE idref = ?"
			  " ORDER BY created_seq DESC LIMIT 100";
		if (db_prepare(db, sql, &st, e) < 0)
			return -1;
		db_bind_str(st, 1, value);
		return rows(db, st, out, e);
	}
	if (strcmp(by, "name") != 0)
		return err_set(e, ERR_INPUT, "search by 'code', 'nik' or 'name'");
	char *norm;
	if (wf_name_norm(value, &norm, e) < 0)
		return -1;
	if (strlen(norm) < 2) {
		mem_free(norm);
		return err_set(e, ERR_INPUT, "a name search needs at least 2 letters");
	}
	if (db_prepare(db, "SELECT " SUMMARY_COLS " FROM applications WHERE"
			   " substr(name_norm, 1, length(?1)) = ?1"
			   " ORDER BY name_norm, created_seq DESC LIMIT 100", &st, e) < 0) {
		mem_free(norm);
		return -1;
	}
	sqlite3_bind_text(st, 1, norm, -1, SQLITE_TRANSIENT);
	mem_free(norm);
	return rows(db, st, out, e);
}

int wf_query_slot_taken(sqlite3 *db, const char *date, const char *start, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT count FROM slot_counts WHERE slot_date = ? AND slot_start = ?",
		       &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, date ? date : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, start ? start : "", -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), n = 0;
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	else if (rc != SQLITE_DONE)
		n = db_error(db, e, "reading slot_counts");
	sqlite3_finalize(st);
	return n;
}

int wf_query_photo_blob(sqlite3 *db, const char *app, char out[65], struct err *e)
{
	out[0] = '\0';
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT photo_blob FROM applications WHERE id = ?", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st), found = 0;
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		snprintf(out, 65, "%s", sqlite3_column_text(st, 0));
		found = 1;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		found = db_error(db, e, "reading applications");
	}
	sqlite3_finalize(st);
	return found;
}

int wf_query_uncollected(sqlite3 *db, int64_t before_ms, int64_t now_ms, json_t **out,
			 struct err *e)
{
	*out = NULL;
	sqlite3_stmt *st = NULL;
	json_t *list = json_array();
	if (!list)
		return err_nomem(e);
	if (db_prepare(db, "SELECT a.id, i.booklet, i.qc_ms"
			   " FROM applications a JOIN issuance i ON i.app = a.id"
			   " WHERE a.state = 'quality_checked' AND i.qc_ms <= ?"
			   " ORDER BY i.qc_ms LIMIT 1000", &st, e) < 0) {
		json_decref(list);
		return -1;
	}
	sqlite3_bind_int64(st, 1, before_ms);
	int ok = 1, step = SQLITE_DONE;
	while (ok && (step = sqlite3_step(st)) == SQLITE_ROW)
		ok = json_array_append_new(
			     list, json_pack("{s:s, s:s, s:I}", "application_id",
					     (const char *)sqlite3_column_text(st, 0),
					     "booklet", (const char *)sqlite3_column_text(st, 1),
					     "days_waiting",
					     (json_int_t)((now_ms - sqlite3_column_int64(st, 2)) /
							  86400000))) == 0;
	if (!ok)
		err_nomem(e);
	else if (step != SQLITE_DONE)
		ok = db_error(db, e, "reading issuance") == 0;
	sqlite3_finalize(st);
	if (!ok) {
		json_decref(list);
		return -1;
	}
	*out = list;
	return 0;
}
