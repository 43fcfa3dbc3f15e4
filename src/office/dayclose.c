/*
 * dayclose — the daily close: report, kinds, projection and the close operation (see
 * dayclose.h, docs/DAYCLOSE.md).
 *
 * The report reads only the log's events (by seq range: event times never go back, so
 * the day is a contiguous seq range found by binary search), the projection tables and
 * the checkpoints table. The handlers read only the event and day_closes, so rebuild
 * gives identical rows.
 */
#include "office/dayclose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log/db.h"
#include "log/kinds.h"
#include "log/note.h"
#include "office/booklets.h"
#include "office/fields.h"
#include "util/alloc.h"

#define CODE_SPAN 10000000u /* numbers per letter */

/* ---- booklet numbers as codes ---- */

static uint32_t number_code(const char *s)
{
	return (uint32_t)(s[0] - 'A') * CODE_SPAN + (uint32_t)strtoul(s + 1, NULL, 10);
}

static void code_number(uint32_t c, char out[BOOKLET_NUMBER_LEN + 1])
{
	snprintf(out, BOOKLET_NUMBER_LEN + 1, "%c%07u", (char)('A' + c / CODE_SPAN),
		 (unsigned)(c % CODE_SPAN));
}

static int cmp_code(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int dayclose_counted_parse(const json_t *list, struct dayclose_counted *out, struct err *e)
{
	out->codes = NULL;
	out->n = 0;
	if (!json_is_array(list))
		return err_set(e, ERR_INPUT, "counted must be an array of booklet numbers and "
			       "ranges");
	/* first pass: sizes and syntax */
	size_t total = 0, i;
	const json_t *v;
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);
		size_t len = s ? strlen(s) : 0;
		char a[BOOKLET_NUMBER_LEN + 1] = "", b[BOOKLET_NUMBER_LEN + 1] = "";
		if (len == BOOKLET_NUMBER_LEN) {
			memcpy(a, s, len);
			memcpy(b, s, len);
		} else if (len == 2 * BOOKLET_NUMBER_LEN + 1 && s[BOOKLET_NUMBER_LEN] == '-') {
			memcpy(a, s, BOOKLET_NUMBER_LEN);
			memcpy(b, s + BOOKLET_NUMBER_LEN + 1, BOOKLET_NUMBER_LEN);
		}
		if (!booklet_number_valid(a) || !booklet_number_valid(b) ||
		    (s && strlen(s) != json_string_length(v)))
			return err_set(e, ERR_INPUT, "counted[%zu] must be a booklet number "
				       "(X1234567) or a range (X1234567-X1234600)", i);
		if (a[0] != b[0] || number_code(a) > number_code(b))
			return err_set(e, ERR_INPUT, "counted[%zu]: a range goes from a lower to a "
				       "higher number of one letter", i);
		total += number_code(b) - number_code(a) + 1;
		if (total > DAYCLOSE_COUNTED_MAX)
			return err_set(e, ERR_INPUT, "counted holds more than %d booklet numbers",
				       DAYCLOSE_COUNTED_MAX);
	}
	uint32_t *codes = mem_calloc(total ? total : 1, sizeof *codes);
	if (!codes)
		return err_nomem(e);
	size_t n = 0;
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);
		uint32_t a = number_code(s);
		uint32_t b = strlen(s) > BOOKLET_NUMBER_LEN ? number_code(s + BOOKLET_NUMBER_LEN + 1)
							     : a;
		for (uint32_t c = a; c <= b; c++)
			codes[n++] = c;
	}
	qsort(codes, n, sizeof *codes, cmp_code);
	for (size_t k = 1; k < n; k++)
		if (codes[k] == codes[k - 1]) {
			char num[BOOKLET_NUMBER_LEN + 1];
			code_number(codes[k], num);
			mem_free(codes);
			return err_set(e, ERR_INPUT, "counted lists booklet %s twice", num);
		}
	out->codes = codes;
	out->n = n;
	return 0;
}

void dayclose_counted_release(struct dayclose_counted *c)
{
	mem_free(c->codes);
	c->codes = NULL;
	c->n = 0;
}

/* ---- the report ---- */

static int step_row(sqlite3 *db, sqlite3_stmt *st, int *rc, struct err *e)
{
	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW)
		return 1;
	if (*rc == SQLITE_DONE)
		return 0;
	return db_error(db, e, "reading for the day report");
}

/* The first seq (≥ 0) whose event is at or after t; `end` (one past the last seq) when
 * none. Event times never decrease along seq (the writer's clock guard). */
static int seq_at(sqlite3 *db, int64_t t, int64_t end, int64_t *out, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT time_ms FROM events WHERE seq >= ? ORDER BY seq LIMIT 1", &st,
		       e) < 0)
		return -1;
	int64_t lo = 0, hi = end; /* answer in [lo, hi] */
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, mid);
		int rc, r = step_row(db, st, &rc, e);
		if (r < 0) {
			sqlite3_finalize(st);
			return -1;
		}
		if (r == 0 || sqlite3_column_int64(st, 0) >= t)
			hi = mid;
		else
			lo = mid + 1;
	}
	sqlite3_finalize(st);
	*out = lo;
	return 0;
}

static int set_int(json_t *o, const char *k, long long v, struct err *e)
{
	return json_object_set_new(o, k, json_integer(v)) < 0 ? err_nomem(e) : 0;
}

/* Counts of every kind in [lo, hi): applications.events (booking.*, application.*
 * but application.viewed) and the booklet.* counts of the day. */
static int day_kinds(sqlite3 *db, int64_t lo, int64_t hi, json_t *app_events, json_t *bday,
		     struct err *e)
{
	static const struct { const char *kind, *key; } bk[] = {
		{ "booklet.range_received", "ranges_received" },
		{ "booklet.range_confirmed", "ranges_confirmed" },
		{ "booklet.used", "used" },
		{ "booklet.spoiled", "spoiled" },
		{ "booklet.destruction_confirmed", "destroyed" },
		{ "booklet.voided", "voided" },
	};
	for (size_t i = 0; i < sizeof bk / sizeof bk[0]; i++)
		if (set_int(bday, bk[i].key, 0, e) < 0)
			return -1;
	sqlite3_stmt *st;
	if (db_prepare_bind(db, "SELECT kind, count(*) FROM events WHERE seq >= ? AND seq < ?"
			    " GROUP BY kind ORDER BY kind", &st, e, "ii", lo, hi) < 0)
		return -1;
	int rc, r;
	while ((r = step_row(db, st, &rc, e)) == 1) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		long long n = sqlite3_column_int64(st, 1);
		if (!k)
			continue;
		int app = (strncmp(k, "booking.", 8) == 0 || strncmp(k, "application.", 12) == 0) &&
			  strcmp(k, "application.viewed") != 0 && strlen(k) <= 64;
		if (app && set_int(app_events, k, n, e) < 0) {
			r = -1;
			break;
		}
		for (size_t i = 0; i < sizeof bk / sizeof bk[0]; i++)
			if (strcmp(k, bk[i].kind) == 0 && set_int(bday, bk[i].key, n, e) < 0)
				r = -1;
		if (r < 0)
			break;
	}
	sqlite3_finalize(st);
	if (r < 0)
		return -1;
	/* booklets received: the sizes of the ranges received in the day */
	if (db_prepare_bind(db, "SELECT coalesce(sum(count), 0) FROM booklet_ranges"
			    " WHERE received_seq >= ? AND received_seq < ?", &st, e, "ii", lo, hi) < 0)
		return -1;
	r = step_row(db, st, &rc, e);
	long long received = r == 1 ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (r < 0)
		return -1;
	return set_int(bday, "received", received, e);
}

static int app_states(sqlite3 *db, const char *day, json_t *by_state, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare_bind(db, "SELECT state, count(*) FROM applications WHERE slot_date = ?"
			    " GROUP BY state ORDER BY state", &st, e, "s", day) < 0)
		return -1;
	int rc, r;
	while ((r = step_row(db, st, &rc, e)) == 1) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		if (s && strlen(s) <= 64 && set_int(by_state, s, sqlite3_column_int64(st, 1), e) < 0) {
			r = -1;
			break;
		}
	}
	sqlite3_finalize(st);
	return r < 0 ? -1 : 0;
}

/* Fees of the applications whose payment was recorded in [lo, hi): per currency,
 * {confirmed: {count, amount}, pending: {count, amount}} by the payment's status now. */
static int day_fees(sqlite3 *db, int64_t lo, int64_t hi, json_t *fees, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare_bind(db, "SELECT a.currency, a.payment_status, count(*), sum(a.amount)"
			    " FROM (SELECT DISTINCT subject FROM events WHERE seq >= ? AND seq < ?"
			    " AND kind = 'application.payment_recorded') ev"
			    " JOIN applications a ON a.id = substr(ev.subject, 5)"
			    " WHERE ev.subject LIKE 'app:%' AND a.currency IS NOT NULL"
			    " GROUP BY 1, 2 ORDER BY 1, 2", &st, e, "ii", lo, hi) < 0)
		return -1;
	int rc, r;
	while ((r = step_row(db, st, &rc, e)) == 1) {
		const char *cur = (const char *)sqlite3_column_text(st, 0);
		const char *status = (const char *)sqlite3_column_text(st, 1);
		if (!cur || !status || (strcmp(status, "confirmed") != 0 &&
					strcmp(status, "pending") != 0))
			continue;
		json_t *c = json_object_get(fees, cur);
		if (!c) {
			c = json_pack("{s:{s:i, s:i}, s:{s:i, s:i}}", "confirmed", "count", 0,
				      "amount", 0, "pending", "count", 0, "amount", 0);
			if (!c || json_object_set_new(fees, cur, c) < 0) {
				r = err_nomem(e);
				break;
			}
		}
		json_t *s = json_object_get(c, status);
		if (set_int(s, "count", sqlite3_column_int64(st, 2), e) < 0 ||
		    set_int(s, "amount", sqlite3_column_int64(st, 3), e) < 0) {
			r = -1;
			break;
		}
	}
	sqlite3_finalize(st);
	return r < 0 ? -1 : 0;
}

static int stock_left(sqlite3 *db, json_t *left, struct err *e)
{
	struct booklet_stock s;
	if (booklet_stock(db, &s, e) < 0)
		return -1;
	long long rec = s.count[BOOKLET_RECEIVED], av = s.count[BOOKLET_AVAILABLE];
	if (set_int(left, "received", rec, e) < 0 || set_int(left, "available", av, e) < 0 ||
	    set_int(left, "blank", rec + av, e) < 0 ||
	    set_int(left, "spoiled", s.count[BOOKLET_SPOILED], e) < 0)
		return -1;
	return 0;
}

/* Appends an unexpected number (its recorded state, "unknown" when none). */
static int add_unexpected(sqlite3_stmt *lookup, json_t *list, uint32_t code, struct err *e)
{
	char num[BOOKLET_NUMBER_LEN + 1];
	code_number(code, num);
	sqlite3_reset(lookup);
	sqlite3_bind_text(lookup, 1, num, -1, SQLITE_TRANSIENT);
	char state[16] = "unknown";
	int rc = sqlite3_step(lookup);
	if (rc == SQLITE_ROW && sqlite3_column_text(lookup, 0))
		snprintf(state, sizeof state, "%s", (const char *)sqlite3_column_text(lookup, 0));
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(sqlite3_db_handle(lookup), e, "looking a booklet up");
	if (json_array_append_new(list, json_pack("{s:s, s:s}", "number", num, "recorded",
						  state)) < 0)
		return err_nomem(e);
	return 0;
}

/* The physical count against the blank stock recorded now. */
static int compare_count(sqlite3 *db, const struct dayclose_counted *c, json_t *count,
			 int *mismatch, struct err *e)
{
	json_t *missing = json_array(), *unexpected = json_array();
	sqlite3_stmt *st = NULL, *lookup = NULL;
	long long blank = 0, spoiled = 0, nmiss = 0, nunexp = 0;
	int rc, r = -1;
	if (!missing || !unexpected) {
		err_nomem(e);
		goto out;
	}
	/* what the vault should hold: blank booklets and spoiled ones awaiting destruction
	 * (a spoiled booklet may carry a signed chip: it must be there until destroyed) */
	if (db_prepare(db, "SELECT number, state = 'spoiled' FROM booklets WHERE state IN"
			   " ('received', 'available', 'spoiled') ORDER BY number", &st, e) < 0 ||
	    db_prepare(db, "SELECT state FROM booklets WHERE number = ?", &lookup, e) < 0)
		goto out;
	size_t j = 0;
	while ((r = step_row(db, st, &rc, e)) == 1) {
		const char *num = (const char *)sqlite3_column_text(st, 0);
		if (!booklet_number_valid(num))
			continue;
		uint32_t b = number_code(num);
		if (sqlite3_column_int(st, 1))
			spoiled++;
		else
			blank++;
		for (; j < c->n && c->codes[j] < b; j++, nunexp++)
			if (nunexp < DAYCLOSE_LIST_MAX &&
			    add_unexpected(lookup, unexpected, c->codes[j], e) < 0)
				goto fail;
		if (j < c->n && c->codes[j] == b) {
			j++;
			continue;
		}
		if (nmiss++ < DAYCLOSE_LIST_MAX &&
		    json_array_append_new(missing, json_string(num)) < 0) {
			err_nomem(e);
			goto fail;
		}
	}
	if (r < 0)
		goto out;
	for (; j < c->n; j++, nunexp++)
		if (nunexp < DAYCLOSE_LIST_MAX &&
		    add_unexpected(lookup, unexpected, c->codes[j], e) < 0)
			goto fail;
	*mismatch = nmiss > 0 || nunexp > 0;
	if (set_int(count, "counted", (long long)c->n, e) < 0 ||
	    set_int(count, "recorded_blank", blank, e) < 0 ||
	    set_int(count, "recorded_spoiled", spoiled, e) < 0 ||
	    set_int(count, "missing_count", nmiss, e) < 0 ||
	    set_int(count, "unexpected_count", nunexp, e) < 0 ||
	    json_object_set(count, "missing", missing) < 0 ||
	    json_object_set(count, "unexpected", unexpected) < 0)
		goto fail;
	r = 0;
	goto out;
fail:
	r = -1;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(lookup);
	json_decref(missing);
	json_decref(unexpected);
	return r;
}

/* The last signed checkpoint of size ≤ end (it covers no event after the day). */
static int day_checkpoint(sqlite3 *db, int64_t end, json_t *report, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare_bind(db, "SELECT note FROM checkpoints WHERE size <= ? ORDER BY size DESC"
			    " LIMIT 1", &st, e, "i", end) < 0)
		return -1;
	int rc, r = step_row(db, st, &rc, e);
	if (r <= 0) {
		sqlite3_finalize(st);
		if (r < 0)
			return -1;
		return json_object_set_new(report, "checkpoint", json_null()) < 0 ? err_nomem(e) : 0;
	}
	struct note n;
	struct checkpoint c;
	const void *text = sqlite3_column_blob(st, 0);
	int len = sqlite3_column_bytes(st, 0);
	r = note_parse(&n, text, (size_t)len, e);
	sqlite3_finalize(st);
	if (r < 0)
		return -1;
	r = checkpoint_parse(&c, n.text, n.text_len, e);
	note_release(&n);
	if (r < 0)
		return -1;
	char root[sodium_base64_ENCODED_LEN(MERKLE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(root, sizeof root, c.root, MERKLE_HASH_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
	json_t *cp = json_pack("{s:I, s:s, s:I}", "size", (json_int_t)c.size, "root", root,
			       "day_end_size", (json_int_t)end);
	checkpoint_release(&c);
	if (!cp || json_object_set_new(report, "checkpoint", cp) < 0)
		return err_nomem(e);
	return 0;
}

int dayclose_report(sqlite3 *db, const struct cal_date *day,
		    const struct dayclose_counted *counted, json_t **out, struct err *e)
{
	*out = NULL;
	if (!cal_date_valid(day->year, day->month, day->day))
		return err_set(e, ERR_INPUT, "not a valid date");
	struct cal_date next;
	cal_date_from_days(cal_date_to_days(day) + 1, &next);
	int64_t start_ms, end_ms;
	if (calendar_local_to_utc(day, 0, &start_ms, e) < 0 ||
	    calendar_local_to_utc(&next, 0, &end_ms, e) < 0)
		return -1;
	char dstr[11];
	cal_date_format(day, dstr);

	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT coalesce(max(seq) + 1, 0) FROM events", &st, e) < 0)
		return -1;
	int rc, r = step_row(db, st, &rc, e);
	int64_t size = r == 1 ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (r < 0)
		return -1;
	int64_t lo, hi;
	if (seq_at(db, start_ms, size, &lo, e) < 0 || seq_at(db, end_ms, size, &hi, e) < 0)
		return -1;
	/* The day before, closed before it ended: what it logged after its close is in no
	 * close of its own, so it counts here (the range starts right after that close). */
	struct cal_date prev;
	cal_date_from_days(cal_date_to_days(day) - 1, &prev);
	char pstr[16];
	snprintf(pstr, sizeof pstr, "day:");
	cal_date_format(&prev, pstr + 4);
	if (db_prepare(db, "SELECT max(seq) FROM events WHERE subject = ? AND kind LIKE 'day.%'",
		       &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, pstr, -1, SQLITE_TRANSIENT);
	r = step_row(db, st, &rc, e);
	if (r == 1 && sqlite3_column_type(st, 0) != SQLITE_NULL &&
	    sqlite3_column_int64(st, 0) + 1 < lo)
		lo = sqlite3_column_int64(st, 0) + 1;
	sqlite3_finalize(st);
	if (r < 0)
		return -1;

	json_t *rep = json_pack("{s:s, s:{s:{}, s:{}}, s:{}, s:{s:{}, s:{}}, s:{}, s:b}",
				"day", dstr, "applications", "events", "by_state", "fees",
				"booklets", "day", "left", "count", "mismatch", 0);
	if (!rep)
		return err_nomem(e);
	json_t *apps = json_object_get(rep, "applications");
	json_t *bk = json_object_get(rep, "booklets");
	int mismatch = 0;
	if (day_kinds(db, lo, hi, json_object_get(apps, "events"), json_object_get(bk, "day"),
		      e) < 0 ||
	    app_states(db, dstr, json_object_get(apps, "by_state"), e) < 0 ||
	    day_fees(db, lo, hi, json_object_get(rep, "fees"), e) < 0 ||
	    stock_left(db, json_object_get(bk, "left"), e) < 0 ||
	    compare_count(db, counted, json_object_get(rep, "count"), &mismatch, e) < 0 ||
	    day_checkpoint(db, hi, rep, e) < 0 ||
	    json_object_set_new(rep, "mismatch", json_boolean(mismatch)) < 0) {
		if (e->code == ERR_NONE)
			err_nomem(e);
		json_decref(rep);
		return -1;
	}
	*out = rep;
	return 0;
}

/* 1 when this office recorded booklet b used by application a (its personalization,
 * whatever became of the booklet since), 0 when not, -1 on error. */
static int recorded(sqlite3_stmt *st, const char *b, const char *a)
{
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, b, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, a, -1, SQLITE_TRANSIENT);
	int r = sqlite3_step(st);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

int dayclose_report_signer(sqlite3 *db, const struct dayclose_signer *sg, json_t *report,
			   struct err *e)
{
	if (!sg || !sg->asked)
		return json_object_set_new(report, "signer", json_null()) < 0 ||
		       json_object_set_new(report, "alarm", json_false()) < 0 ? err_nomem(e) : 0;
	json_t *list = json_array();
	json_t *o = json_pack("{s:o?, s:I, s:I}", "error",
			      sg->error ? json_string(sg->error) : json_null(), "signatures",
			      (json_int_t)(sg->error ? 0 : sg->n), "unrecorded_count",
			      (json_int_t)0);
	if (!list || !o) {
		json_decref(list);
		json_decref(o);
		return err_nomem(e);
	}
	sqlite3_stmt *st = NULL;
	long long n = 0;
	int rc = 0;
	if (!sg->error && sg->n > 0 &&
	    db_prepare(db, "SELECT 1 FROM booklets WHERE number = ?1 AND app = ?2 AND"
		       " state IN ('used', 'spoiled', 'destroyed')", &st, e) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && !sg->error && i < sg->n; i++) {
		const struct proto_signature *g = &sg->sig[i];
		int r = recorded(st, g->booklet, g->app);
		if (r < 0) {
			rc = db_error(db, e, "reading the booklets");
			break;
		}
		if (r == 1)
			continue;
		if (n++ < DAYCLOSE_LIST_MAX &&
		    json_array_append_new(list, json_pack("{s:s, s:s, s:I}", "booklet", g->booklet,
							  "app", g->app, "time_ms",
							  (json_int_t)g->time_ms)) < 0)
			rc = err_nomem(e);
	}
	sqlite3_finalize(st);
	if (rc == 0 && (json_object_set_new(o, "unrecorded_count", json_integer(n)) < 0 ||
			json_object_set_new(o, "unrecorded", list) < 0))
		rc = err_nomem(e);
	else if (rc < 0)
		json_decref(list);
	if (rc < 0) {
		json_decref(o);
		return -1;
	}
	if (json_object_set_new(report, "signer", o) < 0 ||
	    json_object_set_new(report, "alarm", json_boolean(n > 0)) < 0)
		return err_nomem(e);
	return 0;
}

/* ---- body schemas ---- */

static int day_ok(const char *s)
{
	struct cal_date d;
	return s && cal_date_parse(s, &d) == 0;
}

static int bad(struct err *e, const char *kind, const char *path, const char *what)
{
	return err_set(e, ERR_INPUT, "%s: field '%s' %s", kind, path, what);
}

/* v is an object with exactly the keys in keys (NULL-terminated). */
static int exact_keys(const char *kind, const char *path, const json_t *v,
		      const char *const *keys, struct err *e)
{
	if (!json_is_object(v))
		return bad(e, kind, path, "must be an object");
	size_t n = 0;
	for (; keys[n]; n++)
		if (!json_object_get(v, keys[n])) {
			char p[96];
			snprintf(p, sizeof p, "%s.%s", path, keys[n]);
			return bad(e, kind, p, "is missing");
		}
	if (json_object_size(v) != n)
		return bad(e, kind, path, "has an unknown key");
	return 0;
}

/* An integer in [0, 2^53 − 1] at obj.key; into *out when out is not NULL. */
static int count_at(const char *kind, const char *path, const json_t *obj, const char *key,
		    long long *out, struct err *e)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		char p[96];
		snprintf(p, sizeof p, "%s.%s", path, key);
		return bad(e, kind, p, "must be a count (an integer ≥ 0)");
	}
	if (out)
		*out = json_integer_value(v);
	return 0;
}

static int all_counts(const char *kind, const char *path, const json_t *v,
		      const char *const *keys, struct err *e)
{
	if (exact_keys(kind, path, v, keys, e) < 0)
		return -1;
	for (size_t i = 0; keys[i]; i++)
		if (count_at(kind, path, v, keys[i], NULL, e) < 0)
			return -1;
	return 0;
}

static int key_ok(const char *k, const char *set, size_t min, size_t max)
{
	size_t n = strlen(k);
	return n >= min && n <= max && strspn(k, set) == n;
}

/* An object of at most max entries, each key in set (min..max chars) and a count. */
static int count_map(const char *kind, const char *path, const json_t *v, const char *set,
		     size_t kmin, size_t kmax, size_t max, struct err *e)
{
	if (!json_is_object(v) || json_object_size(v) > max)
		return bad(e, kind, path, "must be an object of counts");
	const char *k;
	const json_t *x;
	json_object_foreach((json_t *)v, k, x) {
		if (!key_ok(k, set, kmin, kmax))
			return bad(e, kind, path, "has a malformed key");
		if (count_at(kind, path, v, k, NULL, e) < 0)
			return -1;
	}
	return 0;
}

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

static const char *const k_top[] = { "applications", "booklets", "checkpoint", "closed_by",
				     "count", "day", "fees", "mismatch", NULL };
static const char *const k_top3[] = { "alarm", "applications", "booklets", "checkpoint",
				      "closed_by", "count", "day", "fees", "mismatch", "signer",
				      NULL };
static const char *const k_signer[] = { "error", "signatures", "unrecorded",
					"unrecorded_count", NULL };
static const char *const k_sig[] = { "app", "booklet", "time_ms", NULL };
static const char *const k_apps[] = { "by_state", "events", NULL };
static const char *const k_bk[] = { "day", "left", NULL };
static const char *const k_bday[] = { "destroyed", "ranges_confirmed", "ranges_received",
				      "received", "spoiled", "used", "voided", NULL };
static const char *const k_left[] = { "available", "blank", "received", "spoiled", NULL };
static const char *const k_fee[] = { "confirmed", "pending", NULL };
static const char *const k_sum[] = { "amount", "count", NULL };
static const char *const k_count[] = { "counted", "missing", "missing_count", "recorded_blank",
				       "unexpected", "unexpected_count", NULL };
/* v2: the count covers the spoiled booklets awaiting destruction too */
static const char *const k_count2[] = { "counted", "missing", "missing_count",
					"recorded_blank", "recorded_spoiled", "unexpected",
					"unexpected_count", NULL };
static const char *const k_unexp[] = { "number", "recorded", NULL };
static const char *const k_cp[] = { "day_end_size", "root", "size", NULL };

static int check_fees(const char *K, const json_t *fees, struct err *e)
{
	if (!json_is_object(fees) || json_object_size(fees) > 16)
		return bad(e, K, "fees", "must be an object of at most 16 currencies");
	const char *cur;
	const json_t *f;
	json_object_foreach((json_t *)fees, cur, f) {
		if (!key_ok(cur, UPPER, 3, 3))
			return bad(e, K, "fees", "keys must be ISO 4217 currency codes");
		if (exact_keys(K, "fees.<currency>", f, k_fee, e) < 0 ||
		    all_counts(K, "fees.<currency>.confirmed", json_object_get(f, "confirmed"),
			       k_sum, e) < 0 ||
		    all_counts(K, "fees.<currency>.pending", json_object_get(f, "pending"), k_sum,
			       e) < 0)
			return -1;
	}
	return 0;
}

static int check_count(const char *K, const json_t *c, int mismatch, int version,
		       struct err *e)
{
	long long counted, blank, spoiled = 0, nmiss, nunexp;
	if (exact_keys(K, "count", c, version >= 2 ? k_count2 : k_count, e) < 0 ||
	    count_at(K, "count", c, "counted", &counted, e) < 0 ||
	    count_at(K, "count", c, "recorded_blank", &blank, e) < 0 ||
	    (version >= 2 && count_at(K, "count", c, "recorded_spoiled", &spoiled, e) < 0) ||
	    count_at(K, "count", c, "missing_count", &nmiss, e) < 0 ||
	    count_at(K, "count", c, "unexpected_count", &nunexp, e) < 0)
		return -1;
	const json_t *missing = json_object_get(c, "missing");
	const json_t *unexp = json_object_get(c, "unexpected");
	long long lm = nmiss < DAYCLOSE_LIST_MAX ? nmiss : DAYCLOSE_LIST_MAX;
	long long lu = nunexp < DAYCLOSE_LIST_MAX ? nunexp : DAYCLOSE_LIST_MAX;
	if (!json_is_array(missing) || (long long)json_array_size(missing) != lm)
		return bad(e, K, "count.missing", "must list min(missing_count, 1000) numbers");
	if (!json_is_array(unexp) || (long long)json_array_size(unexp) != lu)
		return bad(e, K, "count.unexpected", "must list min(unexpected_count, 1000) "
			   "numbers");
	size_t i;
	const json_t *v;
	json_array_foreach(missing, i, v)
		if (!booklet_number_valid(json_string_value(v)))
			return bad(e, K, "count.missing", "must hold booklet numbers");
	json_array_foreach(unexp, i, v) {
		const char *st = json_string_value(json_object_get(v, "recorded"));
		if (exact_keys(K, "count.unexpected[]", v, k_unexp, e) < 0)
			return -1;
		if (!booklet_number_valid(json_string_value(json_object_get(v, "number"))))
			return bad(e, K, "count.unexpected[].number", "must be a booklet number");
		if (!st || (strcmp(st, "used") != 0 && strcmp(st, "spoiled") != 0 &&
			    strcmp(st, "destroyed") != 0 && strcmp(st, "voided") != 0 &&
			    strcmp(st, "unknown") != 0))
			return bad(e, K, "count.unexpected[].recorded", "must be used, spoiled, "
				   "destroyed, voided or unknown");
	}
	/* the numbers both counted and recorded are the same on both sides */
	blank += spoiled; /* v2: the vault holds both */
	if (nunexp > counted || nmiss > blank || counted - nunexp != blank - nmiss)
		return bad(e, K, "count", "does not add up (counted − unexpected must equal "
			   "recorded_blank + recorded_spoiled − missing)");
	if (mismatch != (nmiss > 0 || nunexp > 0))
		return bad(e, K, "mismatch", "must be true exactly when a number is missing or "
			   "unexpected");
	return 0;
}

/* v3: "signer" null (no signer asked) or {error, signatures, unrecorded,
 * unrecorded_count}; "alarm" true exactly when a signature is unrecorded. */
static int check_signer(const char *K, const json_t *b, struct err *e)
{
	const json_t *sg = json_object_get(b, "signer"), *al = json_object_get(b, "alarm");
	if (!json_is_boolean(al))
		return bad(e, K, "alarm", "must be true or false");
	if (json_is_null(sg))
		return json_is_true(al) ? bad(e, K, "alarm", "must be false without a signer") : 0;
	long long n, total;
	if (exact_keys(K, "signer", sg, k_signer, e) < 0 ||
	    count_at(K, "signer", sg, "signatures", &total, e) < 0 ||
	    count_at(K, "signer", sg, "unrecorded_count", &n, e) < 0)
		return -1;
	const json_t *er = json_object_get(sg, "error"), *l = json_object_get(sg, "unrecorded");
	if (!json_is_null(er) && (!json_is_string(er) || json_string_length(er) == 0 ||
				  json_string_length(er) > 600))
		return bad(e, K, "signer.error", "must be null or a text");
	if (n > total)
		return bad(e, K, "signer.unrecorded_count", "must not exceed signatures");
	long long ln = n < DAYCLOSE_LIST_MAX ? n : DAYCLOSE_LIST_MAX;
	if (!json_is_array(l) || (long long)json_array_size(l) != ln)
		return bad(e, K, "signer.unrecorded", "must list min(unrecorded_count, 1000)");
	size_t i;
	const json_t *v;
	json_array_foreach(l, i, v) {
		struct err pe = ERR_INIT;
		const char *bk = json_string_value(json_object_get(v, "booklet"));
		const char *ap = json_string_value(json_object_get(v, "app"));
		if (exact_keys(K, "signer.unrecorded[]", v, k_sig, e) < 0 ||
		    count_at(K, "signer.unrecorded[]", v, "time_ms", NULL, e) < 0)
			return -1;
		if (!bk || proto_check_booklet(bk, &pe) < 0 || !ap || proto_check_app(ap, &pe) < 0)
			return bad(e, K, "signer.unrecorded[]", "must name a booklet and an "
				   "application");
	}
	if (json_is_true(al) != (n > 0))
		return bad(e, K, "alarm", "must be true exactly when a signature is unrecorded");
	return 0;
}

static int check_closed_version(const json_t *b, int version, struct err *e)
{
	static const char K[] = "day.closed";
	if (exact_keys(K, "body", b, version >= 3 ? k_top3 : k_top, e) < 0)
		return -1;
	if (version >= 3 && check_signer(K, b, e) < 0)
		return -1;
	if (!day_ok(json_string_value(json_object_get(b, "day"))))
		return bad(e, K, "day", "must be a date YYYY-MM-DD");
	if (!field_principal_ok(json_string_value(json_object_get(b, "closed_by"))))
		return bad(e, K, "closed_by", "must be 'officer:<username>' or 'cli:<user>'");
	const json_t *mm = json_object_get(b, "mismatch");
	if (!json_is_boolean(mm))
		return bad(e, K, "mismatch", "must be true or false");
	const json_t *apps = json_object_get(b, "applications");
	if (exact_keys(K, "applications", apps, k_apps, e) < 0 ||
	    count_map(K, "applications.events", json_object_get(apps, "events"), LOWER "._", 3,
		      64, 64, e) < 0 ||
	    count_map(K, "applications.by_state", json_object_get(apps, "by_state"), LOWER "_", 1,
		      64, 64, e) < 0 ||
	    check_fees(K, json_object_get(b, "fees"), e) < 0)
		return -1;
	const json_t *bk = json_object_get(b, "booklets");
	long long rec, av, blank;
	if (exact_keys(K, "booklets", bk, k_bk, e) < 0 ||
	    all_counts(K, "booklets.day", json_object_get(bk, "day"), k_bday, e) < 0 ||
	    all_counts(K, "booklets.left", json_object_get(bk, "left"), k_left, e) < 0)
		return -1;
	const json_t *left = json_object_get(bk, "left");
	count_at(K, "booklets.left", left, "received", &rec, e);
	count_at(K, "booklets.left", left, "available", &av, e);
	count_at(K, "booklets.left", left, "blank", &blank, e);
	if (blank != rec + av)
		return bad(e, K, "booklets.left.blank", "must be received + available");
	const json_t *count = json_object_get(b, "count");
	if (check_count(K, count, json_is_true(mm), version, e) < 0)
		return -1;
	long long recorded_blank, recorded_spoiled, left_spoiled;
	count_at(K, "count", count, "recorded_blank", &recorded_blank, e);
	if (recorded_blank != blank)
		return bad(e, K, "count.recorded_blank", "must equal booklets.left.blank");
	if (version >= 2) {
		count_at(K, "count", count, "recorded_spoiled", &recorded_spoiled, e);
		count_at(K, "booklets.left", left, "spoiled", &left_spoiled, e);
		if (recorded_spoiled != left_spoiled)
			return bad(e, K, "count.recorded_spoiled", "must equal booklets.left.spoiled");
	}
	const json_t *cp = json_object_get(b, "checkpoint");
	if (json_is_null(cp))
		return 0;
	long long size, end;
	if (exact_keys(K, "checkpoint", cp, k_cp, e) < 0 ||
	    count_at(K, "checkpoint", cp, "size", &size, e) < 0 ||
	    count_at(K, "checkpoint", cp, "day_end_size", &end, e) < 0)
		return -1;
	const char *root = json_string_value(json_object_get(cp, "root"));
	unsigned char bin[MERKLE_HASH_LEN + 1];
	size_t blen = 0;
	if (!root || strlen(root) != 44 ||
	    sodium_base642bin(bin, sizeof bin, root, 44, NULL, &blen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || blen != MERKLE_HASH_LEN)
		return bad(e, K, "checkpoint.root", "must be a base64 SHA-256 hash");
	if (size > end)
		return bad(e, K, "checkpoint.size", "must not exceed day_end_size");
	return 0;
}

static const char *const k_noted[] = { "day", "note", NULL };

static int check_noted(const void *ctx, const json_t *b, struct err *e)
{
	(void)ctx;
	static const char K[] = "day.close_noted";
	if (exact_keys(K, "body", b, k_noted, e) < 0)
		return -1;
	if (!day_ok(json_string_value(json_object_get(b, "day"))))
		return bad(e, K, "day", "must be a date YYYY-MM-DD");
	const char *note = json_string_value(json_object_get(b, "note"));
	if (!note || !field_note_ok(note, DAYCLOSE_NOTE_MAX))
		return bad(e, K, "note", "must be a text of 1 to 1000 characters");
	return 0;
}

/* ---- projection ---- */

static const struct kind_table day_tables[] = {
	{ "day_closes",
	  "CREATE TABLE IF NOT EXISTS day_closes ("
	  " day TEXT PRIMARY KEY, seq INTEGER NOT NULL, closed_by TEXT NOT NULL,"
	  " time_ms INTEGER NOT NULL, mismatch INTEGER NOT NULL CHECK (mismatch IN (0, 1)),"
	  " report TEXT NOT NULL, note TEXT, note_seq INTEGER) WITHOUT ROWID" },
};

static int subject_ok(const struct event *ev, const char *day, struct err *e)
{
	char subject[20];
	snprintf(subject, sizeof subject, "day:%s", day);
	if (strcmp(ev->subject, subject) != 0)
		return err_set(e, ERR_INPUT, "%s: the subject must be 'day:<day>'", ev->kind);
	return 0;
}

/* 1 when day has a row, 0 when not, -1 on error. */
static int is_closed(sqlite3 *db, const char *day, struct err *e)
{
	sqlite3_stmt *st;
	int r = db_row(db, "SELECT 1 FROM day_closes WHERE day = ?", "reading for the day report",
		       &st, e, "s", day);
	if (r == 1)
		sqlite3_finalize(st);
	return r;
}

static int p_closed(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	const char *day = json_string_value(json_object_get(b, "day"));
	if (subject_ok(ev, day, e) < 0)
		return -1;
	if (strcmp(json_string_value(json_object_get(b, "closed_by")), ev->actor) != 0)
		return err_set(e, ERR_INPUT, "%s: 'closed_by' must be the event's actor", ev->kind);
	int r = is_closed(db, day, e);
	if (r < 0)
		return -1;
	if (r == 1)
		return err_set(e, ERR_INPUT, "%s: day %s is closed already", ev->kind, day);
	char *report = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	if (!report)
		return err_nomem(e);
	r = db_run(db, "INSERT INTO day_closes (day, seq, closed_by, time_ms, mismatch, report)"
		   " VALUES (?, ?, ?, ?, ?, ?)", ev->kind, e, "sisiis", day, (int64_t)ev->seq,
		   ev->actor, (int64_t)ev->time_ms,
		   (int64_t)json_is_true(json_object_get(b, "mismatch")), report);
	mem_free(report); /* jansson allocates through mem_alloc (canon_init) */
	return r;
}

static int p_noted(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	const char *day = json_string_value(json_object_get(b, "day"));
	if (subject_ok(ev, day, e) < 0)
		return -1;
	if (db_run(db, "UPDATE day_closes SET note = ?, note_seq = ? WHERE day = ?"
		   " AND note IS NULL AND closed_by = ?", ev->kind, e, "siss",
		   json_string_value(json_object_get(b, "note")), (int64_t)ev->seq, day,
		   ev->actor) < 0)
		return -1;
	if (sqlite3_changes(db) != 1)
		return err_set(e, ERR_INPUT, "%s: day %s has no close by this actor without a note",
			       ev->kind, day);
	return 0;
}

/* The check of day.closed, its version as the context: v1 (kept for replay) counts blank
 * booklets; v2 blank and spoiled ones; v3 adds the signer's signatures this office has
 * no record of (docs/DAYCLOSE.md). */
static int check_closed(const void *ctx, const json_t *b, struct err *e)
{
	return check_closed_version(b, *(const int *)ctx, e);
}

static const struct kind_def day_defs[] = {
	{ "day.closed", 1, 1, check_closed, p_closed, &(const int){ 1 } },
	{ "day.closed", 2, 1, check_closed, p_closed, &(const int){ 2 } },
	{ "day.closed", 3, 1, check_closed, p_closed, &(const int){ 3 } },
	{ "day.close_noted", 1, 0, check_noted, p_noted, NULL },
};

static const struct kind_set day_set = {
	"day", day_defs, sizeof day_defs / sizeof day_defs[0],
	day_tables, sizeof day_tables / sizeof day_tables[0],
};

int dayclose_register_kinds(void)
{
	return kinds_register(&day_set);
}

/* ---- the close ---- */

int dayclose_close(struct writer_txn *tx, void *arg, struct err *e)
{
	struct dayclose_close *o = arg;
	o->hdr.reason = WF_OK;
	o->hdr.seq = 0;
	json_decref(o->report);
	o->report = NULL;
	struct cal_date d, today;
	if (!o->day || cal_date_parse(o->day, &d) < 0)
		return refusal_set(&o->hdr.reason, WF_CLOSE_INVALID, e,
				   "the day must be a date YYYY-MM-DD");
	if (!o->today || cal_date_parse(o->today, &today) < 0)
		return refusal_set(&o->hdr.reason, WF_CLOSE_INVALID, e, "today's date is malformed");
	if (cal_date_cmp(&d, &today) > 0)
		return refusal_set(&o->hdr.reason, WF_DAY_FUTURE, e,
				   "the day has not begun: it cannot be closed");
	if (!field_principal_ok(o->hdr.actor))
		return refusal_set(&o->hdr.reason, WF_CLOSE_INVALID, e,
				   "actor must be 'officer:<username>' or 'cli:<user>'");
	if (o->note && !field_note_ok(o->note, DAYCLOSE_NOTE_MAX))
		return refusal_set(&o->hdr.reason, WF_CLOSE_INVALID, e,
				   "note must be a text of 1 to 1000 characters");
	if (!o->counted)
		return refusal_set(&o->hdr.reason, WF_CLOSE_INVALID, e,
				   "the physical count is missing");
	sqlite3 *db = writer_txn_db(tx);
	int r = is_closed(db, o->day, e);
	if (r < 0)
		return -1;
	if (r == 1) {
		char msg[64];
		snprintf(msg, sizeof msg, "day %s is closed already", o->day);
		return refusal_set(&o->hdr.reason, WF_DAY_CLOSED, e, "%s", msg);
	}
	if (dayclose_report(db, &d, o->counted, &o->report, e) < 0 ||
	    dayclose_report_signer(db, o->signer, o->report, e) < 0)
		return -1;
	if (json_is_true(json_object_get(o->report, "alarm")) && !o->note) {
		const json_t *sg = json_object_get(o->report, "signer");
		char msg[200];
		snprintf(msg, sizeof msg, "alarm: the signer made %lld signature(s) this office "
			 "has no record of: closing needs a note saying what was done",
			 (long long)json_integer_value(json_object_get(sg, "unrecorded_count")));
		return refusal_set(&o->hdr.reason, WF_NOTE_REQUIRED, e, "%s", msg);
	}
	if (json_is_true(json_object_get(o->report, "mismatch")) && !o->note) {
		const json_t *c = json_object_get(o->report, "count");
		char msg[200];
		snprintf(msg, sizeof msg, "the count does not match the records (%lld missing, "
			 "%lld unexpected): closing needs a note saying why",
			 (long long)json_integer_value(json_object_get(c, "missing_count")),
			 (long long)json_integer_value(json_object_get(c, "unexpected_count")));
		return refusal_set(&o->hdr.reason, WF_NOTE_REQUIRED, e, "%s", msg);
	}
	if (json_object_set_new(o->report, "closed_by", json_string(o->hdr.actor)) < 0)
		return err_nomem(e);
	char subject[20];
	snprintf(subject, sizeof subject, "day:%s", o->day);
	if (writer_txn_append_json(tx, o->hdr.actor, "day.closed", 3, subject, o->report,
				   &o->hdr.seq, e) < 0)
		goto input;
	if (o->note) {
		json_t *nb = json_pack("{s:s, s:s}", "day", o->day, "note", o->note);
		if (!nb)
			return err_nomem(e);
		r = writer_txn_append_json(tx, o->hdr.actor, "day.close_noted", 1, subject, nb, NULL,
					   e);
		json_decref(nb);
		if (r < 0)
			goto input;
	}
	return 0;
input:
	if (e->code == ERR_INPUT)
		o->hdr.reason = WF_CLOSE_INVALID;
	return -1;
}

int dayclose_get(sqlite3 *db, const char *day, json_t **out, struct err *e)
{
	*out = NULL;
	sqlite3_stmt *st;
	int r = db_row(db, "SELECT day, seq, closed_by, time_ms, mismatch, report, note"
		       " FROM day_closes WHERE day = ?", "reading for the day report", &st, e, "s",
		       day);
	if (r <= 0)
		return r;
	const char *text = (const char *)sqlite3_column_text(st, 5);
	json_error_t je;
	json_t *report = text ? json_loads(text, 0, &je) : NULL;
	const char *note = (const char *)sqlite3_column_text(st, 6);
	json_t *v = report ? json_pack("{s:s, s:I, s:s, s:I, s:b, s:o, s:o}",
				      "day", (const char *)sqlite3_column_text(st, 0),
				      "seq", (json_int_t)sqlite3_column_int64(st, 1),
				      "closed_by", (const char *)sqlite3_column_text(st, 2),
				      "time_ms", (json_int_t)sqlite3_column_int64(st, 3),
				      "mismatch", sqlite3_column_int(st, 4),
				      "note", note ? json_string(note) : json_null(),
				      "report", report)
			   : NULL;
	sqlite3_finalize(st);
	if (!v)
		return text ? err_nomem(e) : err_set(e, ERR_IO, "day_closes: empty report");
	*out = v;
	return 1;
}
