/*
 * Tests of the daily close (office/dayclose.h): the physical count's parser; the report
 * on a real node with a booklet stock (received, confirmed, used, spoiled): a matching
 * count, a count missing two booklets (both listed), counted numbers that are not blank
 * stock (a used one, an unknown one), ranges; the close (a mismatch needs a note, a
 * second close and a future day are refused, the stored close has the note); rebuild
 * gives the same day_closes rows; the day's bounds in the office's zone and the fees on
 * a hand-made database; the strict body check of day.closed.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fixtures.h"
#include "harness.h"
#include "log/canon.h"
#include "log/kinds.h"
#include "log/node.h"
#include "log/writer.h"
#include "office/booklets.h"
#include "office/calendar.h"
#include "office/dayclose.h"
#include "office/workflow.h"

static struct test_node tn;

static int start(void)
{
	struct err e = ERR_INIT;
	if (office_register_kinds() < 0 || booklets_register_kinds() < 0 ||
	    dayclose_register_kinds() < 0 || calendar_set_zone("Asia/Jakarta", &e) < 0)
		return -1;
	canon_init();
	return test_node_start(&tn);
}

static int run(writer_fn fn, void *op, struct err *e)
{
	err_clear(e);
	return writer_submit(tn.wr, fn, op, NULL, e);
}

/* Today's local date (the writer stamps events with the real clock). */
static void today(struct cal_date *d, char s[11])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct cal_local l;
	calendar_local((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, &l, NULL);
	*d = l.date;
	cal_date_format(d, s);
}

/* X0000001..X0000020 received by cus, confirmed by dua; X0000001, X0000002 used;
 * X0000003 spoiled: blank stock X0000004..X0000020 (17); the vault holds X0000003 too
 * (spoiled, awaiting destruction): 18 booklets to count. */
static int make_stock(struct err *e)
{
	struct booklet_receive r = { { "officer:cus", NULL, WF_OK, 0 }, "X0000001", 20 };
	struct booklet_confirm c = { { "officer:dua", NULL, WF_OK, 0 }, "X0000001" };
	if (run(booklet_receive, &r, e) < 0 || run(booklet_confirm_range, &c, e) < 0)
		return -1;
	for (unsigned k = 1; k <= 2; k++) {
		char app[32];
		snprintf(app, sizeof app, "A%025u", k);
		struct booklet_take t = { .hdr = { "officer:pia", NULL, WF_OK, 0 }, .app = app };
		if (run(booklet_take_next, &t, e) < 0)
			return -1;
	}
	struct booklet_spoil s = { { "officer:cus", NULL, WF_OK, 0 }, "X0000003", "torn cover", NULL, 0 };
	return run(booklet_spoil, &s, e);
}

static sqlite3 *ro(void)
{
	char path[600];
	snprintf(path, sizeof path, "%s/paspor.db", tn.dir);
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* The report of today for the count given as a JSON array text. */
static json_t *report_for(const char *counted_json)
{
	json_t *list = json_loads(counted_json, 0, NULL);
	struct dayclose_counted c;
	struct err e = ERR_INIT;
	json_t *rep = NULL;
	if (!list || dayclose_counted_parse(list, &c, &e) < 0) {
		fprintf(stderr, "count: %s\n", e.msg);
		json_decref(list);
		return NULL;
	}
	json_decref(list);
	struct cal_date d;
	char ds[11];
	today(&d, ds);
	sqlite3 *db = ro();
	if (!db || dayclose_report(db, &d, &c, &rep, &e) < 0)
		fprintf(stderr, "report: %s\n", e.msg);
	sqlite3_close(db);
	dayclose_counted_release(&c);
	return rep;
}

static long long geti(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static const char *missing_at(const json_t *rep, size_t i)
{
	return json_string_value(json_array_get(
		json_object_get(json_object_get(rep, "count"), "missing"), i));
}

static const json_t *unexpected_at(const json_t *rep, size_t i)
{
	return json_array_get(json_object_get(json_object_get(rep, "count"), "unexpected"), i);
}

TEST(dayclose_counted_parse_numbers_and_ranges)
{
	canon_init();
	struct dayclose_counted c;
	struct err e = ERR_INIT;
	json_t *l = json_loads("[\"X0000010\", \"X0000001-X0000003\", \"A9999999\","
			       " \"X0000005-X0000005\"]", 0, NULL);
	CHECK(dayclose_counted_parse(l, &c, &e) == 0);
	json_decref(l);
	CHECK_INT_EQ(c.n, 6);
	/* sorted: A9999999 < X0000001 < … */
	CHECK_INT_EQ(c.codes[0], 9999999);
	CHECK_INT_EQ(c.codes[1], 23 * 10000000 + 1);
	CHECK_INT_EQ(c.codes[5], 23 * 10000000 + 10);
	dayclose_counted_release(&c);
	static const char *const bad[] = {
		"[\"X000001\"]", "[\"x0000001\"]", "[\"X0000005-X0000001\"]",
		"[\"X0000001-Y0000005\"]", "[\"X0000001-X0000005\", \"X0000004\"]",
		"[\"X0000001\", \"X0000001\"]", "[1]", "[\"X0000001-\"]",
		"[\"X0000001-X0100001\"]", "{\"a\": 1}", "[\"X0000001 - X0000002\"]",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		l = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		err_clear(&e);
		int rc = dayclose_counted_parse(l, &c, &e);
		json_decref(l);
		if (rc == 0)
			dayclose_counted_release(&c);
		CHECK(rc < 0);
		CHECK_INT_EQ(e.code, ERR_INPUT);
	}
	/* the duplicate is named */
	l = json_loads("[\"X0000001-X0000005\", \"X0000004\"]", 0, NULL);
	err_clear(&e);
	CHECK(dayclose_counted_parse(l, &c, &e) < 0);
	json_decref(l);
	CHECK(strstr(e.msg, "X0000004") != NULL);
	/* an empty vault */
	l = json_array();
	CHECK(dayclose_counted_parse(l, &c, &e) == 0);
	json_decref(l);
	CHECK_INT_EQ(c.n, 0);
	dayclose_counted_release(&c);
}

TEST(dayclose_report_matching_and_mismatched_counts)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	CHECK(make_stock(&e) == 0);

	/* the blank stock exactly, as one range */
	json_t *rep = report_for("[\"X0000003-X0000020\"]");
	CHECK(rep != NULL);
	CHECK(json_is_false(json_object_get(rep, "mismatch")));
	CHECK_INT_EQ(geti(json_object_get(rep, "count"), "counted", NULL), 18);
	CHECK_INT_EQ(geti(json_object_get(rep, "count"), "recorded_blank", NULL), 17);
	CHECK_INT_EQ(geti(json_object_get(rep, "count"), "recorded_spoiled", NULL), 1);
	CHECK_INT_EQ(geti(json_object_get(rep, "count"), "missing_count", NULL), 0);
	CHECK_INT_EQ(geti(json_object_get(rep, "count"), "unexpected_count", NULL), 0);
	const json_t *bk = json_object_get(rep, "booklets");
	CHECK_INT_EQ(geti(bk, "day", "received"), 20);
	CHECK_INT_EQ(geti(bk, "day", "ranges_received"), 1);
	CHECK_INT_EQ(geti(bk, "day", "ranges_confirmed"), 1);
	CHECK_INT_EQ(geti(bk, "day", "used"), 2);
	CHECK_INT_EQ(geti(bk, "day", "spoiled"), 1);
	CHECK_INT_EQ(geti(bk, "day", "voided"), 0);
	CHECK_INT_EQ(geti(bk, "left", "available"), 17);
	CHECK_INT_EQ(geti(bk, "left", "blank"), 17);
	CHECK_INT_EQ(geti(bk, "left", "spoiled"), 1);
	/* the last checkpoint: the log's size now (every event is today's) */
	const json_t *cp = json_object_get(rep, "checkpoint");
	CHECK(geti(cp, "day_end_size", NULL) >= 5);
	CHECK_INT_EQ(geti(cp, "size", NULL), geti(cp, "day_end_size", NULL));
	CHECK_INT_EQ(strlen(json_string_value(json_object_get(cp, "root"))), 44);
	json_decref(rep);

	/* the same as singles and ranges mixed */
	rep = report_for("[\"X0000003\", \"X0000004\", \"X0000005-X0000019\", \"X0000020\"]");
	CHECK(rep != NULL);
	CHECK(json_is_false(json_object_get(rep, "mismatch")));
	json_decref(rep);

	/* two booklets not in the vault: both listed as missing */
	rep = report_for("[\"X0000003-X0000010\", \"X0000013-X0000020\"]");
	CHECK(rep != NULL);
	CHECK(json_is_true(json_object_get(rep, "mismatch")));
	CHECK_INT_EQ(geti(json_object_get(rep, "count"), "missing_count", NULL), 2);
	CHECK_INT_EQ(geti(json_object_get(rep, "count"), "unexpected_count", NULL), 0);
	CHECK_STR_EQ(missing_at(rep, 0), "X0000011");
	CHECK_STR_EQ(missing_at(rep, 1), "X0000012");
	CHECK(missing_at(rep, 2) == NULL);
	json_decref(rep);

	/* counted but not blank: a used booklet and an unknown number */
	rep = report_for("[\"X0000001\", \"X0000003-X0000020\", \"Y0000001\"]");
	CHECK(rep != NULL);
	CHECK(json_is_true(json_object_get(rep, "mismatch")));
	CHECK_INT_EQ(geti(json_object_get(rep, "count"), "missing_count", NULL), 0);
	CHECK_INT_EQ(geti(json_object_get(rep, "count"), "unexpected_count", NULL), 2);
	CHECK_STR_EQ(json_string_value(json_object_get(unexpected_at(rep, 0), "number")),
		     "X0000001");
	CHECK_STR_EQ(json_string_value(json_object_get(unexpected_at(rep, 0), "recorded")),
		     "used");
	CHECK_STR_EQ(json_string_value(json_object_get(unexpected_at(rep, 1), "number")),
		     "Y0000001");
	CHECK_STR_EQ(json_string_value(json_object_get(unexpected_at(rep, 1), "recorded")),
		     "unknown");
	json_decref(rep);

	/* the spoiled booklet (it may carry a signed chip) gone from the vault: missing */
	rep = report_for("[\"X0000004-X0000020\"]");
	CHECK(rep != NULL);
	CHECK(json_is_true(json_object_get(rep, "mismatch")));
	CHECK_INT_EQ(geti(json_object_get(rep, "count"), "missing_count", NULL), 1);
	CHECK_STR_EQ(missing_at(rep, 0), "X0000003");
	json_decref(rep);

	/* an empty vault: all 18 missing */
	rep = report_for("[]");
	CHECK(rep != NULL);
	CHECK_INT_EQ(geti(json_object_get(rep, "count"), "missing_count", NULL), 18);
	CHECK_STR_EQ(missing_at(rep, 17), "X0000020");
	json_decref(rep);
	test_node_stop(&tn);
}

static int close_day(const char *day, const char *today_s, const char *counted_json,
		     const char *note, enum wf_reason *why, json_t **report, struct err *e)
{
	json_t *list = json_loads(counted_json, 0, NULL);
	struct dayclose_counted c;
	int rc = dayclose_counted_parse(list, &c, e);
	json_decref(list);
	if (rc < 0)
		return -1;
	struct dayclose_close op = { { "officer:cus", NULL, WF_OK, 0 }, day, today_s, &c, note, NULL,
				     NULL };
	rc = run(dayclose_close, &op, e);
	dayclose_counted_release(&c);
	*why = op.hdr.reason;
	if (report)
		*report = op.report;
	else
		json_decref(op.report);
	return rc;
}

TEST(dayclose_close_once_with_note_on_mismatch_and_rebuild)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	CHECK(make_stock(&e) == 0);
	struct cal_date d;
	char ds[11], tomorrow[11];
	today(&d, ds);
	struct cal_date t;
	cal_date_from_days(cal_date_to_days(&d) + 1, &t);
	cal_date_format(&t, tomorrow);
	enum wf_reason why;
	json_t *rep = NULL;

	/* a day not begun */
	CHECK(close_day(tomorrow, ds, "[]", NULL, &why, NULL, &e) < 0);
	CHECK_INT_EQ(why, WF_DAY_FUTURE);
	/* a mismatch without a note: refused, and the refused report shows the mismatch */
	CHECK(close_day(ds, ds, "[\"X0000003-X0000010\", \"X0000013-X0000020\"]", NULL, &why,
			&rep, &e) < 0);
	CHECK_INT_EQ(why, WF_NOTE_REQUIRED);
	CHECK(strstr(e.msg, "2 missing") != NULL);
	CHECK(rep != NULL);
	CHECK_STR_EQ(missing_at(rep, 1), "X0000012");
	json_decref(rep);
	/* an over-long note */
	char longnote[1100];
	memset(longnote, 'n', sizeof longnote - 1);
	longnote[sizeof longnote - 1] = 0;
	CHECK(close_day(ds, ds, "[]", longnote, &why, NULL, &e) < 0);
	CHECK_INT_EQ(why, WF_CLOSE_INVALID);
	/* with a note: closed, mismatch recorded */
	CHECK(close_day(ds, ds, "[\"X0000003-X0000010\", \"X0000013-X0000020\"]",
			"X0000011 and X0000012 are at the printer for a test", &why, &rep,
			&e) == 0);
	CHECK_INT_EQ(why, WF_OK);
	CHECK_STR_EQ(json_string_value(json_object_get(rep, "closed_by")), "officer:cus");
	json_decref(rep);
	/* a second close of the day, even with a matching count */
	CHECK(close_day(ds, ds, "[\"X0000003-X0000020\"]", NULL, &why, NULL, &e) < 0);
	CHECK_INT_EQ(why, WF_DAY_CLOSED);
	/* yesterday can still be closed (nothing happened then) */
	struct cal_date y;
	char yesterday[11];
	cal_date_from_days(cal_date_to_days(&d) - 1, &y);
	cal_date_format(&y, yesterday);
	CHECK(close_day(yesterday, ds, "[\"X0000003-X0000020\"]", NULL, &why, &rep, &e) == 0);
	CHECK(json_object_size(json_object_get(json_object_get(rep, "applications"), "events"))
	      == 0);
	CHECK_INT_EQ(geti(json_object_get(rep, "booklets"), "day", "used"), 0);
	json_decref(rep);

	/* the stored close */
	sqlite3 *db = ro();
	json_t *got = NULL;
	CHECK(db != NULL);
	CHECK_INT_EQ(dayclose_get(db, ds, &got, &e), 1);
	CHECK(json_is_true(json_object_get(got, "mismatch")));
	CHECK_STR_EQ(json_string_value(json_object_get(got, "note")),
		     "X0000011 and X0000012 are at the printer for a test");
	CHECK_STR_EQ(json_string_value(json_object_get(got, "closed_by")), "officer:cus");
	CHECK_INT_EQ(geti(json_object_get(json_object_get(got, "report"), "count"),
			  "missing_count", NULL), 2);
	json_decref(got);
	CHECK_INT_EQ(dayclose_get(db, tomorrow, &got, &e), 0);
	CHECK(got == NULL);
	sqlite3_close(db);
	test_node_stop(&tn);

	/* the log holds the close in clear, the note sealed; rebuild gives the same rows */
	struct node_opts o = { .kek = &tn.kek };
	CHECK(node_open(&tn.node, tn.dir, &o, &e) == 0);
	unsigned char d1[32], d2[32];
	CHECK(test_projection_digest(tn.node.db, d1) == 0);
	uint64_t count = 0;
	CHECK(node_rebuild(&tn.node, &count, &e) == 0);
	CHECK(count == tn.node.size);
	CHECK(test_projection_digest(tn.node.db, d2) == 0);
	CHECK_MEM_EQ(d1, d2, 32);
	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(tn.node.db, "SELECT count(*), sum(mismatch), count(note) FROM"
				 " day_closes", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_INT_EQ(sqlite3_column_int(st, 0), 2);
	CHECK_INT_EQ(sqlite3_column_int(st, 1), 1);
	CHECK_INT_EQ(sqlite3_column_int(st, 2), 1);
	sqlite3_finalize(st);
	CHECK(sqlite3_prepare_v2(tn.node.db, "SELECT kind, subject FROM events WHERE kind LIKE"
				 " 'day.%' ORDER BY seq", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR_EQ((const char *)sqlite3_column_text(st, 0), "day.closed");
	char subj[20];
	snprintf(subj, sizeof subj, "day:%s", ds);
	CHECK_STR_EQ((const char *)sqlite3_column_text(st, 1), subj);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR_EQ((const char *)sqlite3_column_text(st, 0), "day.close_noted");
	sqlite3_finalize(st);
	node_close(&tn.node);
}

/* A hand-made database: events around the bounds of 2030-03-10 in Asia/Jakarta
 * (UTC+7: the day is [2030-03-09T17:00Z, 2030-03-10T17:00Z)) and paid applications. */
TEST(dayclose_report_day_bounds_and_fees)
{
	struct err e = ERR_INIT;
	CHECK(office_register_kinds() == 0 && booklets_register_kinds() == 0 &&
	      dayclose_register_kinds() == 0);
	CHECK(calendar_set_zone("Asia/Jakarta", &e) == 0);
	canon_init();
	char path[600];
	snprintf(path, sizeof path, "%s/hand.db", test_tmpdir());
	sqlite3 *db;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE events (seq INTEGER PRIMARY KEY, time_ms INTEGER"
			   " NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, data BLOB NOT NULL);"
			   "CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL);",
			   NULL, NULL, NULL) == SQLITE_OK);
	CHECK(kinds_create_tables(db, &e) == 0);
	const long long start = 1899306000000LL; /* 2030-03-09T17:00:00Z */
	const long long end = start + 86400000LL;
	static const struct { long long dt; const char *kind, *subject; } ev[] = {
		{ -1000, "day.closed", "day:2030-03-09" },          /* the 9th closed early… */
		{ -1, "application.checked_in", "app:A1" },         /* …then this: counts on the 10th */
		{ 0, "application.checked_in", "app:A2" },          /* the first ms */
		{ 1000, "application.payment_recorded", "app:A2" },
		{ 2000, "application.payment_recorded", "app:A3" },
		{ 3000, "application.payment_recorded", "app:A4" },
		{ 4000, "application.viewed", "app:A2" },           /* not a workflow step */
		{ 5000, "booklet.used", "booklet:X0000001" },
		{ 86399999, "application.approved", "app:A5" },     /* the last ms */
		{ 86400000, "application.payment_recorded", "app:A5" }, /* the next day */
	};
	for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++) {
		char sql[300];
		snprintf(sql, sizeof sql, "INSERT INTO events VALUES (%zu, %lld, '%s', '%s', x'')",
			 i, start + ev[i].dt, ev[i].kind, ev[i].subject);
		CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	}
	static const struct { const char *id, *state, *slot, *currency, *status; long long amount; } a[] = {
		{ "A2", "paid", "2030-03-10", "IDR", "confirmed", 350000 },
		{ "A3", "paid", "2030-03-10", "IDR", "pending", 650000 },
		{ "A4", "paid", "2030-03-09", "IDR", "confirmed", 350000 },
		{ "A5", "paid", "2030-03-10", "IDR", "confirmed", 999 },
		{ "A1", "checked_in", "2030-03-10", NULL, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
		char sql[900];
		snprintf(sql, sizeof sql, "INSERT INTO applications (id, state, idref, code_hash,"
			 " full_name, name_norm, birth_place, birth_date, sex, address, phone, email,"
			 " passport_type, channel, reason, slot_date, slot_start, created_seq,"
			 " created_ms, created_by, updated_seq, updated_ms, amount, currency,"
			 " payment_status) VALUES ('%s', '%s', 'i%zu', 'h%zu', 'n', 'n', 'p',"
			 " '1990-01-01', 'F', 'a', '0812345678', 'x@example.org', 'ordinary',"
			 " 'online', 'new', '%s', '09:00', 0, 0, 'applicant', 0, 0, %lld, %s%s%s,"
			 " %s%s%s)", a[i].id, a[i].state, i, i, a[i].slot, a[i].amount,
			 a[i].currency ? "'" : "", a[i].currency ? a[i].currency : "NULL",
			 a[i].currency ? "'" : "", a[i].status ? "'" : "",
			 a[i].status ? a[i].status : "NULL", a[i].status ? "'" : "");
		char *msg = NULL;
		if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
			fprintf(stderr, "insert: %s\n", msg);
		sqlite3_free(msg);
	}
	struct cal_date d = { 2030, 3, 10 };
	struct dayclose_counted none = { NULL, 0 };
	json_t *rep = NULL;
	CHECK(dayclose_report(db, &d, &none, &rep, &e) == 0);
	(void)end;
	const json_t *evs = json_object_get(json_object_get(rep, "applications"), "events");
	CHECK_INT_EQ(geti(evs, "application.checked_in", NULL), 2); /* A1 after the close */
	CHECK_INT_EQ(geti(evs, "application.payment_recorded", NULL), 3);
	CHECK_INT_EQ(geti(evs, "application.approved", NULL), 1);
	CHECK(json_object_get(evs, "application.viewed") == NULL);
	CHECK(json_object_get(evs, "booklet.used") == NULL);
	CHECK_INT_EQ(json_object_size(evs), 3);
	CHECK_INT_EQ(geti(json_object_get(rep, "booklets"), "day", "used"), 1);
	const json_t *by = json_object_get(json_object_get(rep, "applications"), "by_state");
	CHECK_INT_EQ(geti(by, "paid", NULL), 3);
	CHECK_INT_EQ(geti(by, "checked_in", NULL), 1);
	const json_t *idr = json_object_get(json_object_get(rep, "fees"), "IDR");
	/* A4 (slot the 9th) paid on the 10th counts; A5 paid on the 11th does not */
	CHECK_INT_EQ(geti(idr, "confirmed", "count"), 2);
	CHECK_INT_EQ(geti(idr, "confirmed", "amount"), 700000);
	CHECK_INT_EQ(geti(idr, "pending", "count"), 1);
	CHECK_INT_EQ(geti(idr, "pending", "amount"), 650000);
	CHECK(json_is_null(json_object_get(rep, "checkpoint")));
	json_decref(rep);
	/* the day before holds only the first event, and no fee */
	d.day = 9;
	CHECK(dayclose_report(db, &d, &none, &rep, &e) == 0);
	evs = json_object_get(json_object_get(rep, "applications"), "events");
	CHECK_INT_EQ(json_object_size(evs), 1);
	CHECK_INT_EQ(geti(evs, "application.checked_in", NULL), 1);
	CHECK_INT_EQ(json_object_size(json_object_get(rep, "fees")), 0);
	json_decref(rep);
	sqlite3_close(db);
}

/* The body check of day.closed refuses what does not add up or has extra keys. */
TEST(dayclose_body_check_is_strict)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	CHECK(make_stock(&e) == 0);
	json_t *rep = report_for("[\"X0000003-X0000010\", \"X0000013-X0000020\"]");
	CHECK(rep != NULL);
	test_node_stop(&tn);
	json_object_set_new(rep, "closed_by", json_string("officer:cus"));
	/* v1 (blank booklets only, kept for replay) does not take a v2 count */
	const struct kind_def *k1 = kinds_find("day.closed", 1);
	CHECK(k1 != NULL && kinds_check(k1, rep, &e) < 0);
	err_clear(&e);
	const struct kind_def *k = kinds_find("day.closed", 2);
	CHECK(k != NULL);
	CHECK(k->clear);
	CHECK(kinds_check(k, rep, &e) == 0);
	json_t *b = json_deep_copy(rep);
	json_object_set_new(b, "mismatch", json_false()); /* hiding the mismatch */
	CHECK(kinds_check(k, b, &e) < 0);
	CHECK(strstr(e.msg, "mismatch") != NULL);
	json_decref(b);
	b = json_deep_copy(rep);
	json_object_set_new(b, "names", json_string("x")); /* an extra key */
	CHECK(kinds_check(k, b, &e) < 0);
	json_decref(b);
	b = json_deep_copy(rep);
	json_array_remove(json_object_get(json_object_get(b, "count"), "missing"), 0);
	CHECK(kinds_check(k, b, &e) < 0); /* a missing number dropped from the list */
	json_decref(b);
	b = json_deep_copy(rep);
	json_object_set_new(json_object_get(b, "count"), "counted", json_integer(15));
	CHECK(kinds_check(k, b, &e) < 0); /* counts that do not add up */
	json_decref(b);
	b = json_deep_copy(rep);
	json_object_set_new(b, "day", json_string("2030-02-30"));
	CHECK(kinds_check(k, b, &e) < 0);
	json_decref(b);
	json_decref(rep);
	const struct kind_def *n = kinds_find("day.close_noted", 1);
	CHECK(n != NULL);
	CHECK(!n->clear); /* free text: sealed */
}

/* Issue 13: the signer's signatures of the day that this office has no record of are an
 * alarm in the report (day.closed v3), and the close needs a note for it. */
TEST(dayclose_signer_alarm_for_unrecorded_signatures)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	CHECK(make_stock(&e) == 0);
	char app1[32], app2[32];
	snprintf(app1, sizeof app1, "A%025u", 1u);
	snprintf(app2, sizeof app2, "A%025u", 2u);
	struct proto_signature sig[3] = {
		{ 1, 1700000000000, "X0000001", "" },      /* the office's own: recorded */
		{ 2, 1700000000001, "X0000004", "AINTERRUPTED" }, /* a blank booklet */
		{ 3, 1700000000002, "X0000002", "AOTHER" }, /* used, but by another app */
	};
	strcpy(sig[0].app, app1);
	(void)app2;
	struct dayclose_signer sg = { 1, NULL, sig, 3 };
	const char *all = "[\"X0000003-X0000020\"]"; /* the count matches: no mismatch */
	json_t *rep = report_for(all);
	CHECK(rep != NULL);
	sqlite3 *db = ro();
	CHECK(db != NULL);
	CHECK_INT_EQ(dayclose_report_signer(db, &sg, rep, &e), 0);
	CHECK(json_is_false(json_object_get(rep, "mismatch")));
	CHECK(json_is_true(json_object_get(rep, "alarm")));
	const json_t *s = json_object_get(rep, "signer");
	CHECK_INT_EQ(geti(s, "signatures", NULL), 3);
	CHECK_INT_EQ(geti(s, "unrecorded_count", NULL), 2);
	const json_t *u = json_object_get(s, "unrecorded");
	CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(u, 0), "booklet")),
		     "X0000004");
	CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(u, 0), "app")),
		     "AINTERRUPTED");
	CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(u, 1), "booklet")),
		     "X0000002");
	/* the v3 body check: the alarm cannot be hidden */
	json_object_set_new(rep, "closed_by", json_string("officer:cus"));
	const struct kind_def *k3 = kinds_find("day.closed", 3);
	CHECK(k3 != NULL && k3->clear);
	CHECK_INT_EQ(kinds_check(k3, rep, &e), 0);
	json_t *b = json_deep_copy(rep);
	json_object_set_new(b, "alarm", json_false());
	CHECK(kinds_check(k3, b, &e) < 0);
	CHECK(strstr(e.msg, "alarm") != NULL);
	json_decref(b);
	b = json_deep_copy(rep);
	json_array_remove(json_object_get(json_object_get(b, "signer"), "unrecorded"), 0);
	CHECK(kinds_check(k3, b, &e) < 0); /* an unrecorded signature dropped from the list */
	json_decref(b);
	b = json_deep_copy(rep);
	json_object_set_new(b, "signer", json_null());
	CHECK(kinds_check(k3, b, &e) < 0); /* no signer, yet an alarm */
	json_decref(b);
	const struct kind_def *k2 = kinds_find("day.closed", 2);
	CHECK(k2 != NULL && kinds_check(k2, rep, &e) < 0); /* v2 has no signer */
	json_decref(rep);
	/* no signer asked: null, no alarm; a signer that could not be asked: shown, no alarm */
	rep = report_for(all);
	CHECK_INT_EQ(dayclose_report_signer(db, NULL, rep, &e), 0);
	CHECK(json_is_null(json_object_get(rep, "signer")));
	CHECK(json_is_false(json_object_get(rep, "alarm")));
	json_decref(rep);
	rep = report_for(all);
	struct dayclose_signer down = { 1, "the signer could not be asked: refused", NULL, 0 };
	CHECK_INT_EQ(dayclose_report_signer(db, &down, rep, &e), 0);
	CHECK(json_is_false(json_object_get(rep, "alarm")));
	CHECK(strstr(json_string_value(json_object_get(json_object_get(rep, "signer"), "error")),
		     "could not be asked") != NULL);
	json_object_set_new(rep, "closed_by", json_string("officer:cus"));
	CHECK_INT_EQ(kinds_check(k3, rep, &e), 0);
	json_decref(rep);
	sqlite3_close(db);

	/* the close: refused without a note (the alarm named), recorded as v3 with one */
	struct cal_date d;
	char ds[11];
	today(&d, ds);
	json_t *list = json_loads(all, 0, NULL);
	struct dayclose_counted c;
	CHECK_INT_EQ(dayclose_counted_parse(list, &c, &e), 0);
	json_decref(list);
	struct dayclose_close op = { { "officer:cus", NULL, WF_OK, 0 }, ds, ds, &c, NULL, NULL, &sg };
	CHECK(run(dayclose_close, &op, &e) < 0);
	CHECK_INT_EQ(op.hdr.reason, WF_NOTE_REQUIRED);
	CHECK(strstr(e.msg, "alarm") != NULL && strstr(e.msg, "2 signature") != NULL);
	json_decref(op.report);
	op.report = NULL;
	op.note = "X0000004 set aside and spoiled; supervisor told";
	CHECK_INT_EQ(run(dayclose_close, &op, &e), 0);
	json_decref(op.report);
	dayclose_counted_release(&c);
	db = ro();
	CHECK_INT_EQ(test_count(db, "SELECT count(*) FROM day_closes WHERE report LIKE"
			       " '%\"alarm\":true%' AND report LIKE '%AINTERRUPTED%'"), 1);
	sqlite3_close(db);
	test_node_stop(&tn);
}
