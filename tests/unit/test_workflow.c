/*
 * Tests of the office workflow (office/workflow.h) on a real node (log/node.h) and its
 * writer: the state machine (every allowed transition, a table of refused ones, each
 * refusal naming both states), separation of duties, the watchlist rule, one active
 * application per identity reference (booking.created's guard refuses the second
 * inside its savepoint while others in the same batch commit), the slot quota under
 * concurrent bookings, queries and history, that node_rebuild gives identical
 * projection tables, and the guards by kind and version (docs/WORKFLOW.md "Guards").
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "fixtures.h"
#include "harness.h"
#include "log/db.h"
#include "log/kinds.h"
#include "log/node.h"
#include "log/writer.h"
#include "office/config.h"
#include "office/wf_internal.h"
#include "office/workflow.h"

static struct test_node tn;

static int start(void)
{
	return office_register_kinds() < 0 ? -1 : test_node_start(&tn);
}

static void stop(void)
{
	test_node_stop(&tn);
}

static unsigned counter;

/* Books an application for idref (NULL: a fresh NIK) in slot date/start; 0 or -1. */
static int book(const char *idref, const char *date, const char *start_time, int quota,
		struct wf_book *b, struct err *e)
{
	char nik[17]; /* per call: threads book at once */
	unsigned k = __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST);
	snprintf(nik, sizeof nik, "64710145%08u", k);
	memset(b, 0, sizeof *b);
	char *h = malloc(65);
	snprintf(h, 65, "%064x", k);
	b->hdr.actor = "applicant";
	b->code_hash = h;
	b->idref = idref ? idref : strdup(nik);
	b->full_name = "Siti Aminah Binti Rahmat";
	b->birth_place = "Samarinda";
	b->birth_date = "1990-05-14";
	b->sex = "F";
	b->address = "Jl. Merdeka 1, Samarinda";
	b->phone = "+62 812-5555-0101";
	b->email = "siti@example.id";
	b->passport_type = "ordinary-48";
	b->slot_date = date;
	b->slot_start = start_time;
	b->channel = "online";
	b->reason = "new";
	b->quota = quota;
	b->now_ms = 1717200000000LL;
	return wf_run(tn.wr, wf_book, b, e);
}

static void book_free(struct wf_book *b, const char *idref)
{
	free((char *)b->code_hash);
	if (!idref)
		free((char *)b->idref);
}

static json_t *documents(void)
{
	return json_pack("{s:{s:s}, s:{s:s}, s:{s:s, s:s}, s:{s:s, s:s}}",
			 "identity_card", "status", "checked", "family_card", "status", "checked",
			 "civil_record", "status", "checked", "note", "birth certificate",
			 "old_passport", "status", "missing", "note", "first passport");
}

static const char *state_of(const char *app)
{
	static char s[32];
	sqlite3_stmt *st;
	s[0] = '\0';
	/* the writer owns node.db; read through a separate connection */
	char path[600];
	snprintf(path, sizeof path, "%s/paspor.db", tn.dir);
	sqlite3 *db;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return s;
	if (sqlite3_prepare_v2(db, "SELECT state FROM applications WHERE id = ?", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, app, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(s, sizeof s, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return s;
}

/* The fees of the test office: ordinary-48 is IDR 350,000.00 regular; from 2024-07-01
 * 400,000.00; express 1,000,000.00 on top from 2024-01-01 (fees.tariffs). */
static const struct config *tariffs(void)
{
	static struct config c;
	if (!c.ntypes) {
		snprintf(c.currency, sizeof c.currency, "IDR");
		snprintf(c.types[0].code, sizeof c.types[0].code, "ordinary-48");
		c.types[0].fee = 35000000;
		c.ntypes = 1;
		struct config_tariff t[] = {
			{ "ordinary-48", "regular", { 2024, 7, 1 }, 40000000 },
			{ "ordinary-48", "express", { 2024, 1, 1 }, 135000000 },
		};
		memcpy(c.tariffs, t, sizeof t);
		c.ntariffs = 2;
	}
	return &c;
}

/* ---- every operation, by name, with valid arguments (for the refusal table) ---- */

enum op { OP_CHECK_IN, OP_CANCEL, OP_RESCHEDULE, OP_NO_SHOW, OP_DOCS, OP_PHOTO, OP_FINGER,
	  OP_ENROL, OP_INTERVIEW, OP_WATCH, OP_APPROVE, OP_REJECT, OP_PAY, OP_CONFIRM, OP_N };
static const char *const op_names[OP_N] = { "check_in", "cancel", "reschedule", "no_show",
	"documents", "photo", "fingerprint", "enrol", "interview", "watchlist", "approve",
	"reject", "pay", "confirm" };

/* Runs op on app as actor; returns the reason (WF_OK on success), or -1 on an error
 * without a reason. */
static int run_op(enum op op, const char *app, const char *actor, struct err *e)
{
	static const uint8_t fp[] = { 0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3 };
	unsigned long plen = 0;
	unsigned char *jpg = op == OP_PHOTO ? test_jpeg(600, 800, 3, 75, &plen) : NULL;
	json_t *docs = documents(), *reasons = json_pack("[s]", "complete and consistent");
	struct wf_hdr h = { .actor = actor, .app = app };
	struct wf_cancel c = { h, "plans changed" };
	struct wf_reschedule rs = { h, "2024-07-01", "09:00", 10 };
	struct wf_no_show ns = { h, "2099-01-01" };
	struct wf_documents d = { h, docs };
	struct wf_photo ph = { .hdr = h };
	if (op == OP_PHOTO && wf_photo_prepare(&ph, jpg, plen, e) < 0)
		fprintf(stderr, "photo: %s\n", e->msg);
	struct wf_fingerprint f = { .hdr = h, .position = 1, .image = fp, .len = sizeof fp };
	struct wf_enrol en = { .hdr = h, .primary = "Rahmat", .secondary = "Siti Aminah Binti" };
	struct wf_interview iv = { h, "lives in Samarinda, travels for umrah" };
	struct wf_watch_check wc = { .hdr = h, .now_ms = 1717200000000LL };
	struct wf_decision ap = { h, 1, reasons, { 0 }, 0 }, rj = { h, 0, reasons, { 0 }, 0 };
	struct wf_payment pay = { .hdr = h, .cfg = tariffs(), .billing_code = "820240601000123",
				  .currency = "IDR", .amount = 35000000,
				  .billed_on = "2024-06-20", .today = "2024-06-20" };
	struct wf_payment_confirm pc = { h, "820240601000123", "A1B2C3D4E5F60718" };
	struct { writer_fn fn; struct wf_hdr *arg; } t[OP_N] = {
		{ wf_check_in, &h }, { wf_cancel, &c.hdr }, { wf_reschedule, &rs.hdr },
		{ wf_no_show, &ns.hdr }, { wf_record_documents, &d.hdr },
		{ wf_enrol_photo, &ph.hdr }, { wf_enrol_fingerprint, &f.hdr },
		{ wf_complete_enrolment, &en.hdr }, { wf_interview, &iv.hdr },
		{ wf_watchlist_check, &wc.hdr }, { wf_decide, &ap.hdr }, { wf_decide, &rj.hdr },
		{ wf_record_payment, &pay.hdr }, { wf_confirm_payment, &pc.hdr },
	};
	err_clear(e);
	int rc = wf_run(tn.wr, t[op].fn, t[op].arg, e);
	int reason = rc == 0 ? WF_OK : t[op].arg->reason == WF_OK ? -1 : (int)t[op].arg->reason;
	if (reason == -1)
		fprintf(stderr, "op %s: %s\n", op_names[op], e->msg);
	json_decref(docs);
	json_decref(reasons);
	free(jpg);
	wf_photo_release(&ph);
	return reason;
}

/* Ops allowed from each state (WORKFLOW.md); every other op must be refused. */
struct allowed {
	const char *state;
	unsigned ops; /* bit per enum op */
};
#define B(x) (1u << (x))
static const struct allowed allowed[] = {
	{ "booked", B(OP_CHECK_IN) | B(OP_CANCEL) | B(OP_RESCHEDULE) | B(OP_NO_SHOW) },
	{ "checked_in", B(OP_DOCS) },
	{ "documents_verified", B(OP_PHOTO) | B(OP_FINGER) | B(OP_ENROL) },
	{ "enrolled", B(OP_INTERVIEW) },
	{ "interviewed", B(OP_WATCH) | B(OP_APPROVE) | B(OP_REJECT) },
	{ "approved", B(OP_PAY) },
	{ "paid", B(OP_CONFIRM) },
	{ "cancelled", 0 },
	{ "no_show", 0 },
	{ "rejected", 0 },
};

/* Tries every op not allowed in the app's current state: each must be refused with
 * WF_INVALID_STATE and a message naming the current state. */
static int refused_all(const char *app, const char *state, int *tried)
{
	unsigned ok = 0;
	size_t i = 0;
	while (i < sizeof allowed / sizeof allowed[0] && strcmp(allowed[i].state, state) != 0)
		i++;
	if (i == sizeof allowed / sizeof allowed[0])
		return -1;
	ok = allowed[i].ops;
	for (int op = 0; op < OP_N; op++) {
		if (ok & B(op))
			continue;
		struct err e = ERR_INIT;
		int r = run_op((enum op)op, app, "officer:zed", &e);
		char quoted[40];
		snprintf(quoted, sizeof quoted, "'%s'", state);
		if (r != WF_INVALID_STATE || !strstr(e.msg, quoted)) {
			fprintf(stderr, "op %s in state %s: reason %d, %s\n", op_names[op], state, r,
				e.msg);
			return -1;
		}
		(*tried)++;
	}
	return 0;
}

TEST(workflow_state_machine_allowed_and_refused)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	struct wf_book b;
	int tried = 0;
	CHECK(book(NULL, "2024-06-20", "09:00", 10, &b, &e) == 0);
	char app[APPID_LEN + 1];
	snprintf(app, sizeof app, "%s", b.app_id);
	CHECK(appid_valid(app, 'A'));
	CHECK_STR_EQ(state_of(app), "booked");
	CHECK(refused_all(app, "booked", &tried) == 0);
	CHECK_INT_EQ(run_op(OP_RESCHEDULE, app, "applicant", &e), WF_OK);
	CHECK_STR_EQ(state_of(app), "booked");
	CHECK_INT_EQ(run_op(OP_RESCHEDULE, app, "applicant", &e), WF_ALREADY_RESCHEDULED);
	CHECK_INT_EQ(run_op(OP_CHECK_IN, app, "officer:rina", &e), WF_OK);
	CHECK_STR_EQ(state_of(app), "checked_in");
	CHECK(refused_all(app, "checked_in", &tried) == 0);
	CHECK_INT_EQ(run_op(OP_DOCS, app, "officer:rina", &e), WF_OK);
	CHECK(refused_all(app, "documents_verified", &tried) == 0);
	CHECK_INT_EQ(run_op(OP_ENROL, app, "officer:budi", &e), WF_PHOTO_MISSING);
	CHECK_INT_EQ(run_op(OP_PHOTO, app, "officer:budi", &e), WF_OK);
	CHECK_INT_EQ(run_op(OP_FINGER, app, "officer:budi", &e), WF_OK);
	CHECK_INT_EQ(run_op(OP_FINGER, app, "officer:budi", &e), WF_OK); /* replaces */
	CHECK_INT_EQ(run_op(OP_ENROL, app, "officer:budi", &e), WF_OK);
	CHECK_STR_EQ(state_of(app), "enrolled");
	CHECK(refused_all(app, "enrolled", &tried) == 0);
	CHECK_INT_EQ(run_op(OP_INTERVIEW, app, "officer:dewi", &e), WF_OK);
	CHECK(refused_all(app, "interviewed", &tried) == 0);
	/* separation of duties: the enroller and the interviewer cannot decide */
	CHECK_INT_EQ(run_op(OP_APPROVE, app, "officer:budi", &e), WF_SEPARATION);
	CHECK(strstr(e.msg, "enrolled") != NULL);
	CHECK_INT_EQ(run_op(OP_REJECT, app, "officer:dewi", &e), WF_SEPARATION);
	CHECK(strstr(e.msg, "interviewed") != NULL);
	/* no watchlist check yet */
	CHECK_INT_EQ(run_op(OP_APPROVE, app, "officer:adi", &e), WF_WATCHLIST);
	CHECK_INT_EQ(run_op(OP_WATCH, app, "officer:adi", &e), WF_OK);
	CHECK_INT_EQ(run_op(OP_APPROVE, app, "officer:adi", &e), WF_OK);
	CHECK_STR_EQ(state_of(app), "approved");
	CHECK(refused_all(app, "approved", &tried) == 0);
	CHECK_INT_EQ(run_op(OP_PAY, app, "officer:rina", &e), WF_OK);
	CHECK_STR_EQ(state_of(app), "paid");
	CHECK(refused_all(app, "paid", &tried) == 0);
	/* per person: neither who recorded the billing nor who approved confirms it */
	CHECK_INT_EQ(run_op(OP_CONFIRM, app, "officer:rina", &e), WF_SEPARATION);
	CHECK(strstr(e.msg, "recorded") != NULL);
	CHECK_INT_EQ(run_op(OP_CONFIRM, app, "officer:adi", &e), WF_SEPARATION);
	CHECK(strstr(e.msg, "approved") != NULL);
	CHECK_INT_EQ(run_op(OP_CONFIRM, app, "officer:kasir", &e), WF_OK);
	/* confirmed: a second confirmation is refused */
	CHECK_INT_EQ(run_op(OP_CONFIRM, app, "officer:kasir", &e), WF_INVALID_STATE);
	book_free(&b, NULL);

	/* cancelled, no-show and rejected are final */
	CHECK(book(NULL, "2024-06-20", "09:00", 10, &b, &e) == 0);
	CHECK_INT_EQ(run_op(OP_CANCEL, b.app_id, "applicant", &e), WF_OK);
	CHECK(refused_all(b.app_id, "cancelled", &tried) == 0);
	book_free(&b, NULL);
	CHECK(book(NULL, "2024-06-20", "09:00", 10, &b, &e) == 0);
	struct wf_no_show ns = { { "officer:rina", b.app_id, WF_OK, 0 }, "2024-06-20" };
	CHECK(wf_run(tn.wr, wf_no_show, &ns, &e) < 0);
	CHECK_INT_EQ(ns.hdr.reason, WF_NOT_YET); /* the day is not over */
	CHECK_INT_EQ(run_op(OP_NO_SHOW, b.app_id, "officer:rina", &e), WF_OK);
	CHECK(refused_all(b.app_id, "no_show", &tried) == 0);
	book_free(&b, NULL);
	CHECK(book(NULL, "2024-06-20", "09:00", 10, &b, &e) == 0);
	static const enum op path[] = { OP_CHECK_IN, OP_DOCS, OP_PHOTO, OP_ENROL, OP_INTERVIEW };
	for (size_t i = 0; i < sizeof path / sizeof path[0]; i++)
		CHECK_INT_EQ(run_op(path[i], b.app_id, i < 4 ? "officer:budi" : "officer:dewi", &e),
			     WF_OK);
	CHECK_INT_EQ(run_op(OP_REJECT, b.app_id, "officer:adi", &e), WF_OK);
	CHECK(refused_all(b.app_id, "rejected", &tried) == 0);
	book_free(&b, NULL);
	CHECK(tried > 100);

	/* unknown and malformed ids */
	CHECK_INT_EQ(run_op(OP_CHECK_IN, "A0000000000000000000000000", "officer:x", &e),
		     WF_NOT_FOUND);
	CHECK_INT_EQ(run_op(OP_CHECK_IN, "../../etc/passwd", "officer:x", &e), WF_NOT_FOUND);
	CHECK_INT_EQ(run_op(OP_CHECK_IN, b.app_id, "officer with space", &e), WF_INVALID_INPUT);
	stop();
}

/* A writer callback that appends one application.personalized v2 event as given. */
struct forged { const char *subject; json_t *body; };
static int append_forged(struct writer_txn *tx, void *arg, struct err *e)
{
	struct forged *f = arg;
	uint64_t seq;
	return writer_txn_append_json(tx, "officer:eko", "application.personalized", 2,
				      f->subject, f->body, &seq, e);
}

/* check-in and documents (officer:rina), photo (officer:budi): ready to enrol */
/* Runs the n ops of path on app, op i by who[i]; 0, or -1 at the first refused. */
static int run_path(const char *app, const enum op *path, const char *const *who, size_t n,
		    struct err *e)
{
	for (size_t i = 0; i < n; i++)
		if (run_op(path[i], app, who[i], e) != WF_OK)
			return -1;
	return 0;
}

static int to_documents_with_photo(const char *app, struct err *e)
{
	static const enum op path[] = { OP_CHECK_IN, OP_DOCS, OP_PHOTO };
	static const char *const who[] = { "officer:rina", "officer:rina", "officer:budi" };
	return run_path(app, path, who, sizeof path / sizeof path[0], e);
}

static int enrol_as(const char *app, const char *primary, const char *secondary,
		    struct wf_enrol *en, struct err *e)
{
	memset(en, 0, sizeof *en);
	en->hdr.actor = "officer:budi";
	en->hdr.app = app;
	en->primary = primary;
	en->secondary = secondary;
	err_clear(e);
	int rc = wf_run(tn.wr, wf_complete_enrolment, en, e);
	return rc == 0 ? WF_OK : (int)en->hdr.reason;
}

TEST(workflow_name_is_enrolled_approved_and_personalized_as_confirmed)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	struct wf_book b;
	CHECK(book(NULL, "2024-06-20", "09:00", 10, &b, &e) == 0);
	const char *app = b.app_id;
	CHECK(to_documents_with_photo(app, &e) == 0);
	struct wf_enrol en;
	/* the split must hold exactly the booked words ("Siti Aminah Binti Rahmat") */
	CHECK_INT_EQ(enrol_as(app, "Nobody", "Siti Aminah Binti", &en, &e), WF_INVALID_INPUT);
	CHECK(strstr(e.msg, "words") != NULL);
	CHECK_INT_EQ(enrol_as(app, "Rahmat", "Siti Aminah", &en, &e), WF_INVALID_INPUT);
	CHECK_INT_EQ(enrol_as(app, "", "Siti Aminah Binti Rahmat", &en, &e), WF_INVALID_INPUT);
	CHECK_STR_EQ(state_of(app), "documents_verified");
	/* case, accents and spacing do not matter; the order of the words does not either */
	CHECK_INT_EQ(enrol_as(app, "binti  RAHMAT", "Siti Aminah", &en, &e), WF_OK);
	CHECK_STR_EQ(en.mrz_name, "BINTI<RAHMAT<<SITI<AMINAH<<<<<<<<<<<<<<");
	CHECK_INT_EQ(en.truncated, 0);
	CHECK_INT_EQ(run_op(OP_INTERVIEW, app, "officer:dewi", &e), WF_OK);
	CHECK_INT_EQ(run_op(OP_WATCH, app, "officer:adi", &e), WF_OK);
	json_t *reasons = json_pack("[s]", "complete");
	struct wf_decision ap = { { "officer:adi", app, WF_OK, 0 }, 1, reasons, { 0 }, 0 };
	CHECK(wf_run(tn.wr, wf_decide, &ap, &e) == 0);
	json_decref(reasons);
	CHECK_STR_EQ(ap.mrz_name, "BINTI<RAHMAT<<SITI<AMINAH<<<<<<<<<<<<<<");
	/* the query shows the adjudicator the split and what was approved */
	json_t *one;
	enum wf_reason why;
	CHECK(wf_query_get(tn.node.db, app, &one, &why, &e) == 0);
	json_t *nm = json_object_get(one, "name");
	CHECK_STR_EQ(json_string_value(json_object_get(nm, "primary_identifier")), "binti RAHMAT");
	CHECK_STR_EQ(json_string_value(json_object_get(nm, "approved_mrz_name")),
		     "BINTI<RAHMAT<<SITI<AMINAH<<<<<<<<<<<<<<");
	json_decref(one);
	CHECK_INT_EQ(run_op(OP_PAY, app, "officer:rina", &e), WF_OK);
	/* a personalization event with another name cannot enter the log, nor one whose
	 * MRZ carries another name than the approved one */
	char subject[64];
	snprintf(subject, sizeof subject, "app:%s", app);
	static const char mrz_forged[] =
		"P<IDNFORGED<<NOBODY<<<<<<<<<<<<<<<<<<<<<<<<<"
		"X0000010<0IDN9005147F3406209<<<<<<<<<<<<<<00";
	struct forged f = { subject, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "app", app,
					       "booklet", "X0000010", "expiry_date", "2034-06-20",
					       "given_names", "Nobody", "issue_date", "2024-06-20",
					       "mrz", mrz_forged, "surname", "Forged") };
	err_clear(&e);
	CHECK(writer_submit(tn.wr, append_forged, &f, NULL, &e) < 0);
	CHECK(strstr(e.msg, "enrolled names") != NULL);
	json_object_set_new(f.body, "surname", json_string("binti RAHMAT"));
	json_object_set_new(f.body, "given_names", json_string("Siti Aminah"));
	err_clear(&e);
	CHECK(writer_submit(tn.wr, append_forged, &f, NULL, &e) < 0);
	CHECK(strstr(e.msg, "approved") != NULL);
	json_decref(f.body);
	CHECK_STR_EQ(state_of(app), "paid");
	book_free(&b, NULL);
	stop();
}

TEST(workflow_one_word_name_is_the_primary_identifier)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	struct wf_book b;
	CHECK(book(NULL, "2024-06-20", "09:00", 10, &b, &e) == 0);
	const char *app = b.app_id;
	CHECK(to_documents_with_photo(app, &e) == 0);
	struct wf_enrol en;
	/* the booked name has four words: all of them as the primary identifier */
	CHECK_INT_EQ(enrol_as(app, "Siti Aminah Binti Rahmat", "", &en, &e), WF_OK);
	CHECK_STR_EQ(en.mrz_name, "SITI<AMINAH<BINTI<RAHMAT<<<<<<<<<<<<<<<");
	book_free(&b, NULL);
	stop();
}

/* Takes a fresh application to 'approved' (approver officer:adi). */
static int to_approved(struct wf_book *b, struct err *e)
{
	if (book(NULL, "2024-06-20", "09:00", 10, b, e) < 0 ||
	    to_documents_with_photo(b->app_id, e) < 0)
		return -1;
	static const enum op path[] = { OP_ENROL, OP_INTERVIEW, OP_WATCH, OP_APPROVE };
	static const char *const who[] = { "officer:budi", "officer:dewi", "officer:adi",
					   "officer:adi" };
	for (size_t i = 0; i < sizeof path / sizeof path[0]; i++)
		if (run_op(path[i], b->app_id, who[i], e) != WF_OK)
			return -1;
	return 0;
}

static int pay(const char *app, const char *service, const char *on, int64_t amount,
	       struct err *e)
{
	struct wf_payment p = { .hdr = { "officer:rina", app, WF_OK, 0 }, .cfg = tariffs(),
				.billing_code = "820240601000123", .currency = "IDR",
				.amount = amount, .service = service, .billed_on = on,
				.today = "2024-07-15" };
	err_clear(e);
	return wf_run(tn.wr, wf_record_payment, &p, e) == 0 ? WF_OK : (int)p.hdr.reason;
}

TEST(workflow_payment_is_the_tariff_in_force_and_confirmed_with_an_ntpn)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	struct wf_book b, c;
	CHECK(to_approved(&b, &e) == 0);
	/* 1 (0.01 IDR) is not the fee; nor is the old fee after the new tariff */
	CHECK_INT_EQ(pay(b.app_id, NULL, "2024-06-30", 1, &e), WF_INVALID_INPUT);
	CHECK(strstr(e.msg, "not the tariff") != NULL);
	CHECK_INT_EQ(pay(b.app_id, "regular", "2024-07-01", 35000000, &e), WF_INVALID_INPUT);
	CHECK_INT_EQ(pay(b.app_id, "express", "2023-12-31", 135000000, &e), WF_INVALID_INPUT);
	CHECK(strstr(e.msg, "no tariff") != NULL);
	CHECK_INT_EQ(pay(b.app_id, "regular", "2024-07-16", 40000000, &e), WF_INVALID_INPUT);
	CHECK(strstr(e.msg, "after today") != NULL);
	CHECK_STR_EQ(state_of(b.app_id), "approved");
	CHECK_INT_EQ(pay(b.app_id, "regular", "2024-07-02", 40000000, &e), WF_OK);
	CHECK_STR_EQ(state_of(b.app_id), "paid");
	/* the NTPN: 16 of 0-9 A-Z, and one payment only */
	struct wf_payment_confirm pc = { { "officer:kasir", b.app_id, WF_OK, 0 },
					 "820240601000123", "short" };
	CHECK(wf_run(tn.wr, wf_confirm_payment, &pc, &e) < 0);
	CHECK_INT_EQ(pc.hdr.reason, WF_INVALID_INPUT);
	pc.ntpn = "0A1B2C3D4E5F6789";
	CHECK(wf_run(tn.wr, wf_confirm_payment, &pc, &e) == 0);
	CHECK(to_approved(&c, &e) == 0);
	CHECK_INT_EQ(pay(c.app_id, "express", "2024-06-30", 135000000, &e), WF_OK);
	struct wf_payment_confirm again = { { "officer:kasir", c.app_id, WF_OK, 0 },
					    "820240601000123", "0A1B2C3D4E5F6789" };
	err_clear(&e);
	CHECK(wf_run(tn.wr, wf_confirm_payment, &again, &e) < 0);
	CHECK_INT_EQ(again.hdr.reason, WF_NTPN_USED);
	book_free(&b, NULL);
	book_free(&c, NULL);
	stop();
}

/* A booked app taken to a clear watchlist check, officer:sari having enrolled one
 * fingerprint (budi the enrolment, dewi the interview, adi the check); 0 or -1. */
static int to_checked_with_sari_finger(const char *app, struct err *e)
{
	static const enum op path[] = { OP_FINGER, OP_ENROL, OP_INTERVIEW, OP_WATCH };
	static const char *const who[] = { "officer:sari", "officer:budi", "officer:dewi",
					   "officer:adi" };
	return to_documents_with_photo(app, e) < 0
		       ? -1
		       : run_path(app, path, who, sizeof path / sizeof path[0], e);
}

/* Separation of duties per person: an officer who enrolled any part (here one
 * fingerprint, then nothing else) may not decide, whoever completed the enrolment. */
TEST(workflow_an_officer_who_enrolled_a_fingerprint_cannot_decide)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	struct wf_book b;
	CHECK(book(NULL, "2024-06-20", "09:00", 10, &b, &e) == 0);
	const char *app = b.app_id;
	CHECK(to_checked_with_sari_finger(app, &e) == 0);
	CHECK_INT_EQ(run_op(OP_APPROVE, app, "officer:sari", &e), WF_SEPARATION);
	CHECK(strstr(e.msg, "enrolled") != NULL);
	CHECK_INT_EQ(run_op(OP_REJECT, app, "officer:sari", &e), WF_SEPARATION);
	CHECK_INT_EQ(run_op(OP_APPROVE, app, "officer:adi", &e), WF_OK);
	book_free(&b, NULL);
	stop();
}

/* A writer callback appending one event as given (a forged or replayed one). */
struct raw_event { const char *actor, *kind; uint16_t version; json_t *body; };
static int append_raw(struct writer_txn *tx, void *arg, struct err *e)
{
	struct raw_event *r = arg;
	char subject[64];
	snprintf(subject, sizeof subject, "app:%s",
		 json_string_value(json_object_get(r->body, "app")));
	return writer_txn_append_json(tx, r->actor, r->kind, r->version, subject, r->body, NULL,
				      e);
}

static int submit_raw(const char *actor, const char *kind, uint16_t version, json_t *body,
		      struct err *e)
{
	struct raw_event r = { actor, kind, version, body };
	err_clear(e);
	int rc = body ? writer_submit(tn.wr, append_raw, &r, NULL, e) : -1;
	json_decref(body);
	return rc;
}

/* Guards (docs/WORKFLOW.md "Guards") are declared per kind and version and run where the
 * event is projected: a refusal there carries its reason and the operation's message;
 * application.approved v2 refuses an officer who enrolled a fingerprint, v1 did not,
 * and application.rejected v1 (whose projection never checked the enrollers) still
 * projects such a rejection — an old log rebuilds as before — while the operation
 * refuses it when written. */
TEST(workflow_guards_by_kind_and_version)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	struct wf_book b;
	CHECK(book(NULL, "2024-06-20", "09:00", 10, &b, &e) == 0);
	const char *app = b.app_id;
	CHECK(to_checked_with_sari_finger(app, &e) == 0);
	char want[200];
	snprintf(want, sizeof want, "officer:sari enrolled application %s: another adjudicator "
		 "must decide", app);
	/* v2 in the log: refused by its guard, with the reason and the operation's text */
	json_t *reasons = json_pack("[s]", "complete");
	CHECK(submit_raw("officer:sari", "application.approved", 2,
			 json_pack("{s:s, s:s, s:O}", "app", app, "mrz_name",
				   "RAHMAT<<SITI<AMINAH<BINTI<<<<<<<<<<<<<<", "reasons", reasons),
			 &e) < 0);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	CHECK_INT_EQ(e.reason, WF_SEPARATION);
	CHECK_STR_EQ(e.msg, want);
	/* the operation answers the same */
	CHECK_INT_EQ(run_op(OP_APPROVE, app, "officer:sari", &e), WF_SEPARATION);
	CHECK_STR_EQ(e.msg, want);
	/* the enrolment's own officer is refused by v1's guard too */
	CHECK(submit_raw("officer:budi", "application.approved", 1,
			 json_pack("{s:s, s:O}", "app", app, "reasons", reasons), &e) < 0);
	CHECK_INT_EQ(e.reason, WF_SEPARATION);
	/* a rejection by sari: refused when written (the operation), projected from a log */
	CHECK_INT_EQ(run_op(OP_REJECT, app, "officer:sari", &e), WF_SEPARATION);
	CHECK_STR_EQ(e.msg, want);
	CHECK_STR_EQ(state_of(app), "interviewed");
	CHECK(submit_raw("officer:sari", "application.rejected", 1,
			 json_pack("{s:s, s:O}", "app", app, "reasons", reasons), &e) == 0);
	CHECK_STR_EQ(state_of(app), "rejected");
	/* the transition is every kind's guard: refused in the projection, with its reason */
	CHECK(submit_raw("officer:rina", "application.checked_in", 1,
			 json_pack("{s:s}", "app", app), &e) < 0);
	CHECK_INT_EQ(e.reason, WF_INVALID_STATE);
	snprintf(want, sizeof want, "application %s is 'rejected': application.checked_in needs "
		 "'booked'", app);
	CHECK_STR_EQ(e.msg, want);
	/* a body the schema refuses carries no guard's reason */
	CHECK(submit_raw("officer:rina", "application.checked_in", 1,
			 json_pack("{s:s, s:s}", "app", app, "extra", "x"), &e) < 0);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	CHECK_INT_EQ(e.reason, 0);
	json_decref(reasons);
	book_free(&b, NULL);
	stop();
}

/* The guard of an event runs once on the live path and the application's row is read
 * once: the operation runs both (its refusals come in its order, before any side
 * effect) and the projection takes the row and the guard's pass from it; an event that
 * no operation made (a log replayed, a raw append) is guarded by its projection, once. */
static unsigned long guards_before, reads_before;
static void counts_mark(void)
{
	guards_before = wf_test_counts.guard_runs;
	reads_before = wf_test_counts.row_reads;
}
#define CHECK_COUNTS(guards, reads)                                                  \
	do {                                                                         \
		CHECK_INT_EQ((long)(wf_test_counts.guard_runs - guards_before), guards); \
		CHECK_INT_EQ((long)(wf_test_counts.row_reads - reads_before), reads);    \
	} while (0)

TEST(workflow_guard_runs_once_and_the_row_is_read_once)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	struct wf_book b;
	counts_mark();
	CHECK(book(NULL, "2024-06-20", "09:00", 10, &b, &e) == 0);
	CHECK_COUNTS(1, 0); /* booking.created: its projection's guard, no row to read */
	const char *app = b.app_id;
	counts_mark();
	CHECK_INT_EQ(run_op(OP_RESCHEDULE, app, "applicant", &e), WF_OK);
	CHECK_COUNTS(1, 1);
	counts_mark();
	CHECK_INT_EQ(run_op(OP_RESCHEDULE, app, "applicant", &e), WF_ALREADY_RESCHEDULED);
	CHECK_COUNTS(1, 1);
	counts_mark();
	CHECK_INT_EQ(run_op(OP_CHECK_IN, app, "officer:rina", &e), WF_OK);
	CHECK_COUNTS(0, 1); /* no guard: the transition alone, checked once */
	CHECK_INT_EQ(run_op(OP_DOCS, app, "officer:rina", &e), WF_OK);
	CHECK_INT_EQ(run_op(OP_PHOTO, app, "officer:sari", &e), WF_OK);
	counts_mark();
	CHECK_INT_EQ(run_op(OP_ENROL, app, "officer:budi", &e), WF_OK);
	CHECK_COUNTS(1, 1);
	CHECK_INT_EQ(run_op(OP_INTERVIEW, app, "officer:dewi", &e), WF_OK);
	CHECK_INT_EQ(run_op(OP_WATCH, app, "officer:adi", &e), WF_OK);
	/* refused by the operation's guard: nothing appended, nothing projected */
	counts_mark();
	CHECK_INT_EQ(run_op(OP_APPROVE, app, "officer:sari", &e), WF_SEPARATION);
	CHECK_COUNTS(1, 1);
	counts_mark();
	CHECK_INT_EQ(run_op(OP_APPROVE, app, "officer:eko", &e), WF_OK);
	CHECK_COUNTS(1, 1);
	CHECK_INT_EQ(run_op(OP_PAY, app, "officer:fajar", &e), WF_OK);
	counts_mark();
	CHECK_INT_EQ(run_op(OP_CONFIRM, app, "officer:gita", &e), WF_OK);
	CHECK_COUNTS(1, 1);
	CHECK_STR_EQ(state_of(app), "paid");
	/* an event no operation made: its projection reads the row and guards, once */
	struct wf_book b2;
	CHECK(book(NULL, "2024-06-20", "09:00", 10, &b2, &e) == 0);
	counts_mark();
	CHECK(submit_raw("applicant", "booking.rescheduled", 1,
			 json_pack("{s:s, s:s, s:s}", "app", b2.app_id, "slot_date", "2024-07-01",
				   "slot_start", "09:00"), &e) == 0);
	CHECK_COUNTS(1, 1);
	book_free(&b2, NULL);
	book_free(&b, NULL);
	stop();
}

TEST(workflow_watchlist_hit_needs_override)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	struct wf_book b;
	CHECK(book(NULL, "2024-06-20", "10:00", 10, &b, &e) == 0);
	/* an entry by name + birth date: matches despite case, accents and spacing */
	struct wf_watch_add w = { .hdr = { .actor = "officer:admin" }, .full_name =
		"SITI  AMINAH binti Rahmát", .birth_date = "1990-05-14", .reason = "court order",
		.source = "office", .now_ms = 1717200000000LL };
	CHECK(wf_run(tn.wr, wf_watchlist_add, &w, &e) == 0);
	CHECK(appid_valid(w.entry_id, 'W'));
	/* an entry with both idref and a name is refused by the schema */
	struct wf_watch_add bad = w;
	bad.idref = "6471014508900001";
	CHECK(wf_run(tn.wr, wf_watchlist_add, &bad, &e) < 0);
	CHECK_INT_EQ(bad.hdr.reason, WF_INVALID_INPUT);
	static const enum op path[] = { OP_CHECK_IN, OP_DOCS, OP_PHOTO, OP_ENROL, OP_INTERVIEW };
	for (size_t i = 0; i < sizeof path / sizeof path[0]; i++)
		CHECK_INT_EQ(run_op(path[i], b.app_id, i < 4 ? "officer:budi" : "officer:dewi", &e),
			     WF_OK);
	struct wf_watch_check wc = { .hdr = { "officer:adi", b.app_id, WF_OK, 0 },
				     .now_ms = 1717200060000LL };
	CHECK(wf_run(tn.wr, wf_watchlist_check, &wc, &e) == 0);
	CHECK_INT_EQ(wc.hit, 1);
	CHECK_INT_EQ(wc.entries, 1);
	CHECK_INT_EQ(run_op(OP_APPROVE, b.app_id, "officer:adi", &e), WF_WATCHLIST);
	wc.override = "identity confirmed: different person (other mother's name)";
	CHECK(wf_run(tn.wr, wf_watchlist_check, &wc, &e) == 0);
	CHECK_INT_EQ(run_op(OP_APPROVE, b.app_id, "officer:adi", &e), WF_OK);
	book_free(&b, NULL);
	/* a clear check with an override is refused */
	CHECK(book(NULL, "2024-06-20", "10:00", 10, &b, &e) == 0);
	for (size_t i = 0; i < sizeof path / sizeof path[0]; i++)
		CHECK_INT_EQ(run_op(path[i], b.app_id, i < 4 ? "officer:budi" : "officer:dewi", &e),
			     WF_OK);
	/* same name and birth date as the entry: a hit; remove the match by idref instead */
	struct wf_watch_check wc2 = { .hdr = { "officer:adi", b.app_id, WF_OK, 0 },
				      .override = "x", .now_ms = 1717200060000LL };
	CHECK(wf_run(tn.wr, wf_watchlist_check, &wc2, &e) == 0); /* hit + override: allowed */
	book_free(&b, NULL);
	struct wf_book c;
	CHECK(book(NULL, "2024-06-20", "10:00", 10, &c, &e) == 0);
	c.hdr.app = c.app_id;
	book_free(&c, NULL);
	stop();
}

/* ---- concurrency ---- */

struct racer {
	const char *idref;
	int quota;
	int rc;
	struct wf_book b;
	struct err e;
};

static void *race(void *p)
{
	struct racer *r = p;
	r->rc = book(r->idref, "2024-06-21", "08:00", r->quota, &r->b, &r->e);
	return NULL;
}

static int slow_fn(struct writer_txn *tx, void *arg, struct err *e)
{
	(void)arg;
	usleep(300 * 1000);
	static const char body[] = "{\"text\":\"slow\"}";
	return writer_txn_append(tx, "system", "operator.note", 1, "", (const uint8_t *)body,
				 sizeof body - 1, NULL, e);
}

static void *slow_thread(void *p)
{
	struct err e = ERR_INIT;
	(void)p;
	writer_submit(tn.wr, slow_fn, NULL, NULL, &e);
	return NULL;
}

TEST(workflow_one_active_application_per_idref)
{
	CHECK(start() == 0);
	/* a slow request holds the writer while three bookings queue into one batch */
	pthread_t slow, th[3];
	CHECK(pthread_create(&slow, NULL, slow_thread, NULL) == 0);
	usleep(100 * 1000);
	struct racer r[3] = { { .idref = "6471015405900001", .quota = 10 },
			      { .idref = "6471015405900001", .quota = 10 },
			      { .idref = "X-PP-MYS-A1234567", .quota = 10 } };
	for (int i = 0; i < 3; i++)
		CHECK(pthread_create(&th[i], NULL, race, &r[i]) == 0);
	pthread_join(slow, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	struct writer_stats st;
	writer_get_stats(tn.wr, &st);
	CHECK_INT_EQ(st.batches, 2);  /* the slow one, then the three together */
	CHECK_INT_EQ(st.refused, 1);
	CHECK_INT_EQ((r[0].rc == 0) + (r[1].rc == 0), 1);
	struct racer *loser = r[0].rc == 0 ? &r[1] : &r[0];
	CHECK_INT_EQ(loser->b.hdr.reason, WF_DUPLICATE_ACTIVE);
	CHECK_INT_EQ(r[2].rc, 0);
	/* after a cancellation the same idref may book again */
	struct racer *winner = r[0].rc == 0 ? &r[0] : &r[1];
	struct err e = ERR_INIT;
	CHECK_INT_EQ(run_op(OP_CANCEL, winner->b.app_id, "applicant", &e), WF_OK);
	struct wf_book again;
	CHECK(book("6471015405900001", "2024-06-22", "08:00", 10, &again, &e) == 0);
	book_free(&again, "x");
	for (int i = 0; i < 3; i++)
		book_free(&r[i].b, "x");
	stop();
}

/* The public lookup's read (wf_query_booking) on a read-only connection, as the
 * server's read pool runs it: found only with the code hash and the identity reference
 * together; one cached statement, reset after each call, so the connection is left
 * outside any transaction and the next call sees the writes made since. */
TEST(workflow_booking_lookup_reads_one_fresh_snapshot)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	struct wf_book b;
	CHECK(book(NULL, "2024-06-20", "09:00", 10, &b, &e) == 0);
	sqlite3 *ro;
	CHECK(db_open(tn.node.db_path, DB_READONLY, &ro, &e) == 0);
	struct wf_booking got;
	memset(&got, 0, sizeof got);
	CHECK_INT_EQ(wf_query_booking(ro, b.code_hash, b.idref, &got, &e), 1);
	CHECK_STR_EQ(got.app, b.app_id);
	CHECK_STR_EQ(got.state, "booked");
	CHECK_STR_EQ(got.slot_date, "2024-06-20");
	CHECK_STR_EQ(got.slot_start, "09:00");
	CHECK_INT_EQ(got.rescheduled, 0);
	CHECK(sqlite3_get_autocommit(ro)); /* no transaction left open */
	CHECK(sqlite3_stmt_busy(sqlite3_next_stmt(ro, NULL)) == 0);
	/* the wrong identity and an unknown code give the same answer */
	CHECK_INT_EQ(wf_query_booking(ro, b.code_hash, "6471014508900001", &got, &e), 0);
	char other[65];
	memset(other, 'f', 64);
	other[64] = '\0';
	CHECK_INT_EQ(wf_query_booking(ro, other, b.idref, &got, &e), 0);
	/* a write since the last call is seen by the next one */
	struct wf_reschedule rs = { { "applicant", b.app_id, WF_OK, 0 }, "2024-06-21", "10:00",
				    10 };
	CHECK(wf_run(tn.wr, wf_reschedule, &rs, &e) == 0);
	CHECK_INT_EQ(wf_query_booking(ro, b.code_hash, b.idref, &got, &e), 1);
	CHECK_STR_EQ(got.slot_date, "2024-06-21");
	CHECK_STR_EQ(got.slot_start, "10:00");
	CHECK_INT_EQ(got.rescheduled, 1);
	CHECK_INT_EQ(run_op(OP_CANCEL, b.app_id, "applicant", &e), WF_OK);
	CHECK_INT_EQ(wf_query_booking(ro, b.code_hash, b.idref, &got, &e), 1);
	CHECK_STR_EQ(got.state, "cancelled");
	/* one statement, prepared once for this connection */
	sqlite3_stmt *first = sqlite3_next_stmt(ro, NULL);
	CHECK(first != NULL);
	CHECK(sqlite3_next_stmt(ro, first) == NULL);
	db_close(ro); /* finalises it */
	book_free(&b, NULL);
	stop();
}

TEST(workflow_slot_quota_under_concurrent_bookings)
{
	CHECK(start() == 0);
	enum { N = 12, QUOTA = 5 };
	struct racer r[N];
	pthread_t th[N];
	for (int i = 0; i < N; i++) {
		r[i] = (struct racer){ .idref = NULL, .quota = QUOTA };
		CHECK(pthread_create(&th[i], NULL, race, &r[i]) == 0);
	}
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	int ok = 0, full = 0;
	for (int i = 0; i < N; i++) {
		ok += r[i].rc == 0;
		full += r[i].rc < 0 && r[i].b.hdr.reason == WF_SLOT_FULL;
		book_free(&r[i].b, NULL);
	}
	CHECK_INT_EQ(ok, QUOTA);
	CHECK_INT_EQ(full, N - QUOTA);
	/* a cancellation frees one place; a reschedule into the full slot is refused */
	struct err e = ERR_INIT;
	struct wf_book b;
	CHECK(book(NULL, "2024-06-21", "08:00", QUOTA, &b, &e) < 0);
	CHECK_INT_EQ(b.hdr.reason, WF_SLOT_FULL);
	book_free(&b, NULL);
	CHECK(book(NULL, "2024-06-21", "13:00", QUOTA, &b, &e) == 0);
	struct wf_reschedule rs = { { "applicant", b.app_id, WF_OK, 0 }, "2024-06-21", "08:00",
				    QUOTA };
	CHECK(wf_run(tn.wr, wf_reschedule, &rs, &e) < 0);
	CHECK_INT_EQ(rs.hdr.reason, WF_SLOT_FULL);
	book_free(&b, NULL);
	stop();
	/* slot_counts agrees */
	char path[600];
	snprintf(path, sizeof path, "%s/paspor.db", tn.dir);
	sqlite3 *db;
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(db, "SELECT count FROM slot_counts WHERE slot_date ="
				 " '2024-06-21' AND slot_start = '08:00'", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_INT_EQ(sqlite3_column_int(st, 0), QUOTA);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* ---- rebuild equality and queries ---- */

TEST(workflow_rebuild_gives_identical_tables_and_queries)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	struct wf_book b[4];
	for (int i = 0; i < 4; i++)
		CHECK(book(NULL, "2024-06-20", i < 2 ? "09:00" : "10:00", 10, &b[i], &e) == 0);
	static const enum op path[] = { OP_CHECK_IN, OP_DOCS, OP_PHOTO, OP_FINGER, OP_ENROL,
					OP_INTERVIEW, OP_WATCH, OP_APPROVE, OP_PAY, OP_CONFIRM };
	static const char *const who[] = { "officer:rina", "officer:rina", "officer:budi",
					   "officer:budi", "officer:budi", "officer:dewi",
					   "officer:adi", "officer:adi", "officer:rina",
					   "officer:kasir" };
	for (size_t i = 0; i < sizeof path / sizeof path[0]; i++)
		CHECK_INT_EQ(run_op(path[i], b[0].app_id, who[i], &e), WF_OK);
	CHECK_INT_EQ(run_op(OP_RESCHEDULE, b[1].app_id, "applicant", &e), WF_OK);
	CHECK_INT_EQ(run_op(OP_CANCEL, b[2].app_id, "applicant", &e), WF_OK);
	struct wf_view v = { { "officer:auditor", b[0].app_id, WF_OK, 0 }, "history" };
	CHECK(wf_run(tn.wr, wf_view, &v, &e) == 0);
	struct wf_watch_add w = { .hdr = { .actor = "officer:admin" }, .idref = "6471014508900001",
				  .reason = "lost passport report", .source = "centre",
				  .now_ms = 1717200000000LL };
	CHECK(wf_run(tn.wr, wf_watchlist_add, &w, &e) == 0);
	stop();

	struct node_opts o = { .kek = &tn.kek };
	CHECK(node_open(&tn.node, tn.dir, &o, &e) == 0);
	unsigned char d1[32], d2[32];
	CHECK(test_projection_digest(tn.node.db, d1) == 0);
	uint64_t count = 0;
	CHECK(node_rebuild(&tn.node, &count, &e) == 0);
	CHECK(count == tn.node.size);
	CHECK(test_projection_digest(tn.node.db, d2) == 0);
	CHECK_MEM_EQ(d1, d2, 32);

	/* queries */
	json_t *list;
	CHECK(wf_query_list(tn.node.db, "booked", "2024-06-20", 100, &list, &e) == 0);
	CHECK_INT_EQ(json_array_size(list), 1); /* b[3]; b[1] moved to 2024-07-01 */
	CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(list, 0), "id")),
		     b[3].app_id);
	json_decref(list);
	CHECK(wf_query_list(tn.node.db, NULL, NULL, 0, &list, &e) == 0);
	CHECK_INT_EQ(json_array_size(list), 4);
	json_decref(list);
	json_t *one;
	enum wf_reason why;
	CHECK(wf_query_get(tn.node.db, b[0].app_id, &one, &why, &e) == 0);
	CHECK_STR_EQ(json_string_value(json_object_get(one, "state")), "paid");
	CHECK_STR_EQ(json_string_value(json_object_get(one, "payment_status")), "confirmed");
	CHECK_STR_EQ(json_string_value(json_object_get(one, "enrolled_by")), "officer:budi");
	CHECK_INT_EQ(json_array_size(json_object_get(one, "documents")), 4);
	CHECK_INT_EQ(json_array_size(json_object_get(one, "fingerprints")), 1);
	CHECK(json_object_get(one, "code_hash") == NULL);
	json_decref(one);
	CHECK(wf_query_get(tn.node.db, "A0000000000000000000000000", &one, &why, &e) < 0);
	CHECK_INT_EQ(why, WF_NOT_FOUND);
	json_t *hist;
	CHECK(wf_query_history(tn.node.db, tn.node.keys.data_key, b[0].app_id, &hist, &e) == 0);
	CHECK_INT_EQ(json_array_size(hist), 12); /* booking, 10 steps, 1 view */
	CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(hist, 0), "kind")),
		     "booking.created");
	CHECK_STR_EQ(json_string_value(json_object_get(
		json_object_get(json_array_get(hist, 0), "body"), "full_name")),
		"Siti Aminah Binti Rahmat");
	json_decref(hist);
	json_t *found;
	CHECK(wf_query_search(tn.node.db, "name", "siti AMI", &found, &e) == 0);
	CHECK_INT_EQ(json_array_size(found), 4);
	json_decref(found);
	CHECK(wf_query_search(tn.node.db, "name", "aminah", &found, &e) == 0);
	CHECK_INT_EQ(json_array_size(found), 0); /* prefix, not substring */
	json_decref(found);
	CHECK(wf_query_search(tn.node.db, "nik", b[1].idref, &found, &e) == 0);
	CHECK_INT_EQ(json_array_size(found), 1);
	json_decref(found);
	CHECK(wf_query_search(tn.node.db, "code", b[2].code_hash, &found, &e) == 0);
	CHECK_INT_EQ(json_array_size(found), 1);
	json_decref(found);
	node_close(&tn.node);
	for (int i = 0; i < 4; i++)
		book_free(&b[i], NULL);
}

TEST(workflow_schema_refuses_bad_bodies)
{
	CHECK(office_register_kinds() == 0);
	struct err e;
	static const struct { const char *kind, *body, *msg; } cases[] = {
		{ "application.checked_in", "{}", "field 'app' is missing" },
		{ "application.checked_in", "{\"app\":\"A0000000000000000000000000\",\"x\":1}",
		  "unknown field 'x'" },
		{ "application.checked_in", "{\"app\":\"../etc\"}", "not a valid application id" },
		{ "application.viewed", "{\"app\":\"A0000000000000000000000000\",\"what\":\"all\"}",
		  "must be one of" },
		{ "application.fingerprint_enrolled", "{\"app\":\"A0000000000000000000000000\","
		  "\"blob\":\"" "0000000000000000000000000000000000000000000000000000000000000000"
		  "\",\"bytes\":10,\"format\":\"jpeg\",\"position\":11}", "'position'" },
		{ "booking.cancelled", "{\"app\":\"A0000000000000000000000000\",\"reason\":7}",
		  "'reason' must be a string" },
		{ "application.payment_recorded", "{\"amount\":1,\"app\":\"A0000000000000000000000000\","
		  "\"billed_on\":\"2024-06-01\",\"billing_code\":\"1\",\"currency\":\"idr\","
		  "\"service\":\"regular\",\"status\":\"pending\"}", "ISO 4217" },
		{ "application.payment_recorded", "{\"amount\":1,\"app\":\"A0000000000000000000000000\","
		  "\"billed_on\":\"2024-06-01\",\"billing_code\":\"1\",\"currency\":\"IDR\","
		  "\"service\":\"regular\",\"status\":\"confirmed\"}", "must be one of" },
		{ "application.payment_confirmed", "{\"app\":\"A0000000000000000000000000\","
		  "\"billing_code\":\"1\",\"ntpn\":\"0a1b2c3d4e5f6789\"}", "'ntpn'" },
		{ "application.documents_checked", "{\"app\":\"A0000000000000000000000000\","
		  "\"documents\":{}}", "documents.identity_card" },
		{ "watchlist.entry_added", "{\"id\":\"W0000000000000000000000000\",\"reason\":\"r\","
		  "\"source\":\"office\"}", "either 'idref'" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err_clear(&e);
		const struct kind_def *d = kinds_latest(cases[i].kind);
		CHECK(d != NULL);
		CHECK(kinds_check_body(d, (const uint8_t *)cases[i].body, strlen(cases[i].body), &e) < 0);
		if (!strstr(e.msg, cases[i].msg))
			fprintf(stderr, "case %zu: %s\n", i, e.msg);
		CHECK(strstr(e.msg, cases[i].msg) != NULL);
	}
	const char *good = "{\"app\":\"A0000000000000000000000000\"}";
	CHECK(kinds_check_body(kinds_find("application.enrolled", 1), (const uint8_t *)good,
			       strlen(good), &e) == 0);
	/* v2 names the split; a name that makes no MRZ is refused */
	good = "{\"app\":\"A0000000000000000000000000\",\"primary_identifier\":\"Sukarno\"}";
	CHECK(kinds_check_body(kinds_latest("application.enrolled"), (const uint8_t *)good,
			       strlen(good), &e) == 0);
	const char *bad = "{\"app\":\"A0000000000000000000000000\",\"primary_identifier\":\"\u4e2d\"}";
	CHECK(kinds_check_body(kinds_latest("application.enrolled"), (const uint8_t *)bad,
			       strlen(bad), &e) < 0);
	bad = "{\"app\":\"A0000000000000000000000000\",\"mrz_name\":"
	      "\"sukarno<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<\",\"reasons\":[\"ok\"]}";
	err_clear(&e);
	CHECK(kinds_check_body(kinds_latest("application.approved"), (const uint8_t *)bad,
			       strlen(bad), &e) < 0);
	CHECK(strstr(e.msg, "mrz_name") != NULL);
}
