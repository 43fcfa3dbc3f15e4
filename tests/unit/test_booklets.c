/*
 * Tests of the booklet stock (office/booklets.h) on a real node and its writer: a range
 * is usable only after a second officer confirms it; take-next never hands out a
 * booklet twice, also to 8 racing threads; used, spoiled and voided booklets are never
 * taken again; a destruction needs two distinct officers; rebuild gives identical rows.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>


#include "fixtures.h"
#include "harness.h"
#include "log/kinds.h"
#include "log/node.h"
#include "log/writer.h"
#include "office/booklets.h"

static struct test_node tn;

static int start(void)
{
	return booklets_register_kinds() < 0 ? -1 : test_node_start(&tn);
}

static void stop(void)
{
	test_node_stop(&tn);
}

static int run(writer_fn fn, void *op, struct err *e)
{
	err_clear(e);
	return writer_submit(tn.wr, fn, op, NULL, e);
}

static int receive(const char *actor, const char *first, int count, struct err *e)
{
	struct booklet_receive r = { { actor, NULL, WF_OK, 0 }, first, count };
	return run(booklet_receive, &r, e) < 0 ? -(int)r.hdr.reason - 1 : 0;
}

static int confirm(const char *actor, const char *first, enum wf_reason *why,
		   struct err *e)
{
	struct booklet_confirm c = { { actor, NULL, WF_OK, 0 }, first };
	int rc = run(booklet_confirm_range, &c, e);
	*why = c.hdr.reason;
	return rc;
}

/* Takes a booklet for an application id made from k; the number into out. */
static int take(unsigned k, char out[BOOKLET_NUMBER_LEN + 1], enum wf_reason *why,
		struct err *e)
{
	char app[32];
	snprintf(app, sizeof app, "A%025u", k); /* digits are Crockford base32 characters */
	struct booklet_take t = { .hdr = { "officer:pia", NULL, WF_OK, 0 }, .app = app };
	int rc = run(booklet_take_next, &t, e);
	*why = t.hdr.reason;
	memcpy(out, t.number, sizeof t.number);
	return rc;
}

static long long stock_of(enum booklet_state s)
{
	struct booklet_stock st;
	struct err e = ERR_INIT;
	char path[600];
	snprintf(path, sizeof path, "%s/paspor.db", tn.dir);
	sqlite3 *db;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	int rc = booklet_stock(db, &st, &e);
	sqlite3_close(db);
	return rc < 0 ? -1 : st.count[s];
}

TEST(booklets_number_format)
{
	CHECK(booklet_number_valid("X1234567"));
	CHECK(!booklet_number_valid("x1234567"));
	CHECK(!booklet_number_valid("X123456"));
	CHECK(!booklet_number_valid("X12345678"));
	CHECK(!booklet_number_valid("XA234567"));
	CHECK(!booklet_number_valid("11234567"));
	CHECK(!booklet_number_valid(NULL));
}

TEST(booklets_range_needs_a_second_officer)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	enum wf_reason why;
	char num[BOOKLET_NUMBER_LEN + 1];
	CHECK(receive("officer:cus", "X1234567", 5, &e) == 0);
	CHECK_INT_EQ(stock_of(BOOKLET_RECEIVED), 5);
	/* not confirmed: no stock */
	CHECK(take(1, num, &why, &e) < 0);
	CHECK_INT_EQ(why, WF_NO_STOCK);
	/* overlapping range, malformed ranges */
	CHECK_INT_EQ(receive("officer:cus", "X1234570", 3, &e), -(int)WF_BOOKLET_EXISTS - 1);
	CHECK(strstr(e.msg, "X1234570") != NULL);
	CHECK_INT_EQ(receive("officer:cus", "X9999999", 2, &e), -(int)WF_INVALID_INPUT - 1);
	CHECK_INT_EQ(receive("officer:cus", "X123456", 2, &e), -(int)WF_INVALID_INPUT - 1);
	CHECK_INT_EQ(receive("officer:cus", "Y0000001", 0, &e), -(int)WF_INVALID_INPUT - 1);
	CHECK_INT_EQ(receive("nobody", "Y0000001", 1, &e), -(int)WF_INVALID_INPUT - 1);
	/* the receiving officer may not confirm; nor a cli: principal */
	CHECK(confirm("officer:cus", "X1234567", &why, &e) < 0);
	CHECK_INT_EQ(why, WF_SEPARATION);
	CHECK(confirm("cli:root", "X1234567", &why, &e) < 0);
	CHECK_INT_EQ(why, WF_SEPARATION);
	CHECK(confirm("officer:dua", "X7654321", &why, &e) < 0);
	CHECK_INT_EQ(why, WF_NO_BOOKLET);
	CHECK(confirm("officer:dua", "X1234567", &why, &e) == 0);
	CHECK_INT_EQ(stock_of(BOOKLET_AVAILABLE), 5);
	CHECK(confirm("officer:tiga", "X1234567", &why, &e) < 0);
	CHECK_INT_EQ(why, WF_INVALID_STATE);
	CHECK(take(1, num, &why, &e) == 0);
	CHECK_STR_EQ(num, "X1234567");
	/* one used booklet per application */
	CHECK(take(1, num, &why, &e) < 0);
	CHECK_INT_EQ(why, WF_APP_HAS_BOOKLET);
	/* a range received from the command line is confirmed by any officer */
	CHECK(receive("cli:root", "B0000001", 2, &e) == 0);
	CHECK(confirm("officer:cus", "B0000001", &why, &e) == 0);
	stop();
}

/* The projection refuses a forged confirmation even if an operation were bypassed. */
static int forge(struct writer_txn *tx, void *arg, struct err *e)
{
	const char *body = arg;
	return writer_txn_append(tx, "officer:cus", "booklet.range_confirmed", 1,
				 "booklet:X1234567", (const uint8_t *)body, strlen(body), NULL, e);
}

TEST(booklets_projection_refuses_same_officer_confirmation)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	CHECK(receive("officer:cus", "X1234567", 2, &e) == 0);
	CHECK(run(forge, "{\"confirmed_by\":\"officer:cus\",\"first\":\"X1234567\"}", &e) < 0);
	CHECK(strstr(e.msg, "may not confirm") != NULL);
	CHECK(run(forge, "{\"confirmed_by\":\"officer:dua\",\"first\":\"X1234567\"}", &e) < 0);
	CHECK(strstr(e.msg, "actor") != NULL);
	CHECK_INT_EQ(stock_of(BOOKLET_AVAILABLE), 0);
	stop();
}

struct racer {
	unsigned k;
	int rc;
	enum wf_reason why;
	char number[BOOKLET_NUMBER_LEN + 1];
};

static void *race(void *p)
{
	struct racer *r = p;
	struct err e = ERR_INIT;
	r->rc = take(r->k, r->number, &r->why, &e);
	return NULL;
}

TEST(booklets_take_next_never_twice_under_racing_threads)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	enum wf_reason why;
	enum { N = 8, STOCK = 5 };
	CHECK(receive("officer:cus", "P0000100", STOCK, &e) == 0);
	CHECK(receive("officer:cus", "P0000200", 3, &e) == 0); /* never confirmed */
	CHECK(confirm("officer:dua", "P0000100", &why, &e) == 0);
	for (int round = 0; round < 2; round++) {
		struct racer r[N];
		pthread_t th[N];
		for (int i = 0; i < N; i++) {
			r[i] = (struct racer){ .k = (unsigned)(100 * round + i + 1) };
			CHECK(pthread_create(&th[i], NULL, race, &r[i]) == 0);
		}
		for (int i = 0; i < N; i++)
			pthread_join(th[i], NULL);
		int ok = 0, none = 0;
		for (int i = 0; i < N; i++) {
			ok += r[i].rc == 0;
			none += r[i].rc < 0 && r[i].why == WF_NO_STOCK;
			for (int j = 0; j < i; j++)
				CHECK(r[i].rc < 0 || r[j].rc < 0 ||
				      strcmp(r[i].number, r[j].number) != 0);
			if (r[i].rc == 0)
				CHECK(strncmp(r[i].number, "P00001", 6) == 0);
		}
		CHECK_INT_EQ(ok, round == 0 ? STOCK : 0);
		CHECK_INT_EQ(none, round == 0 ? N - STOCK : N);
	}
	CHECK_INT_EQ(stock_of(BOOKLET_USED), STOCK);
	CHECK_INT_EQ(stock_of(BOOKLET_RECEIVED), 3);
	stop();
}

TEST(booklets_spoiled_used_voided_never_reused_and_destruction)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	enum wf_reason why;
	char n1[9], n2[9], n3[9];
	CHECK(receive("officer:cus", "C0000001", 4, &e) == 0);
	CHECK(confirm("officer:dua", "C0000001", &why, &e) == 0);
	/* void the second blank: it is skipped */
	struct booklet_void v = { { "officer:cus", NULL, WF_OK, 0 }, "C0000002", "water damage" };
	CHECK(run(booklet_void, &v, &e) == 0);
	CHECK(take(7, n1, &why, &e) == 0);
	CHECK_STR_EQ(n1, "C0000001");
	/* spoil it for the wrong application: refused; for its own: recorded */
	char app7[32], app8[32];
	snprintf(app7, sizeof app7, "A%025u", 7u);
	snprintf(app8, sizeof app8, "A%025u", 8u);
	/* the stock route (not spoil-and-redo) never spoils a personalized booklet, even
	 * naming its application: that needs the application's route and a witness */
	struct booklet_spoil stock = { { "officer:pia", NULL, WF_OK, 0 }, "C0000001", "printer jam",
				       app7, 0 };
	err_clear(&e);
	CHECK(run(booklet_spoil, &stock, &e) < 0);
	CHECK_INT_EQ(stock.hdr.reason, WF_INVALID_STATE);
	CHECK(strstr(e.msg, "spoiled with its application") != NULL);
	struct booklet_spoil s = { { "officer:pia", NULL, WF_OK, 0 }, "C0000001", "printer jam", app8, 1 };
	CHECK(run(booklet_spoil, &s, &e) < 0);
	CHECK_INT_EQ(s.hdr.reason, WF_INVALID_STATE);
	s.app = app7;
	CHECK(run(booklet_spoil, &s, &e) == 0);
	/* the application is personalized again on a new booklet */
	CHECK(take(7, n2, &why, &e) == 0);
	CHECK_STR_EQ(n2, "C0000003");
	CHECK(take(8, n3, &why, &e) == 0);
	CHECK_STR_EQ(n3, "C0000004");
	CHECK(take(9, n3, &why, &e) < 0);
	CHECK_INT_EQ(why, WF_NO_STOCK);
	/* voided and used booklets are not voided/spoiled again wrongly */
	CHECK(run(booklet_void, &v, &e) < 0);
	CHECK_INT_EQ(v.hdr.reason, WF_INVALID_STATE);
	struct booklet_void vu = { { "officer:cus", NULL, WF_OK, 0 }, "C0000003", "x" };
	CHECK(run(booklet_void, &vu, &e) < 0);
	CHECK_INT_EQ(vu.hdr.reason, WF_INVALID_STATE);
	struct booklet_void vn = { { "officer:cus", NULL, WF_OK, 0 }, "C0000099", "x" };
	CHECK(run(booklet_void, &vn, &e) < 0);
	CHECK_INT_EQ(vn.hdr.reason, WF_NO_BOOKLET);
	/* destruction: two distinct officers, only for a spoiled booklet */
	struct booklet_destroy d = { { "officer:cus", NULL, WF_OK, 0 }, "C0000001", { "cus", "cus" } };
	CHECK(run(booklet_confirm_destruction, &d, &e) < 0);
	CHECK_INT_EQ(d.hdr.reason, WF_SEPARATION);
	d.officers[1] = "Not A User";
	CHECK(run(booklet_confirm_destruction, &d, &e) < 0);
	CHECK_INT_EQ(d.hdr.reason, WF_INVALID_INPUT);
	struct booklet_destroy d3 = { { "officer:cus", NULL, WF_OK, 0 }, "C0000003", { "cus", "dua" } };
	CHECK(run(booklet_confirm_destruction, &d3, &e) < 0);
	CHECK_INT_EQ(d3.hdr.reason, WF_INVALID_STATE);
	d.officers[1] = "dua";
	CHECK(run(booklet_confirm_destruction, &d, &e) == 0);
	CHECK(run(booklet_confirm_destruction, &d, &e) < 0);
	CHECK_INT_EQ(d.hdr.reason, WF_INVALID_STATE);
	/* spoiling a destroyed booklet is refused */
	CHECK(run(booklet_spoil, &s, &e) < 0);
	CHECK_INT_EQ(s.hdr.reason, WF_INVALID_STATE);
	CHECK_INT_EQ(stock_of(BOOKLET_USED), 2);
	CHECK_INT_EQ(stock_of(BOOKLET_VOIDED), 1);
	CHECK_INT_EQ(stock_of(BOOKLET_DESTROYED), 1);
	CHECK_INT_EQ(stock_of(BOOKLET_AVAILABLE), 0);
	stop();
}

TEST(booklets_rebuild_gives_identical_tables)
{
	CHECK(start() == 0);
	struct err e = ERR_INIT;
	enum wf_reason why;
	char n[9];
	CHECK(receive("officer:cus", "D0000010", 6, &e) == 0);
	CHECK(confirm("officer:dua", "D0000010", &why, &e) == 0);
	CHECK(receive("cli:root", "D0000100", 2, &e) == 0);
	for (unsigned k = 1; k <= 3; k++)
		CHECK(take(k, n, &why, &e) == 0);
	struct booklet_spoil s = { { "officer:pia", NULL, WF_OK, 0 }, "D0000011", "misprint", NULL, 1 };
	CHECK(run(booklet_spoil, &s, &e) == 0);
	struct booklet_destroy d = { { "officer:dua", NULL, WF_OK, 0 }, "D0000011", { "cus", "dua" } };
	CHECK(run(booklet_confirm_destruction, &d, &e) == 0);
	struct booklet_void v = { { "officer:cus", NULL, WF_OK, 0 }, "D0000100", "lost in transit" };
	CHECK(run(booklet_void, &v, &e) == 0);
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
	struct booklet_stock st;
	CHECK(booklet_stock(tn.node.db, &st, &e) == 0);
	CHECK_INT_EQ(st.count[BOOKLET_USED], 2);
	CHECK_INT_EQ(st.count[BOOKLET_DESTROYED], 1);
	CHECK_INT_EQ(st.count[BOOKLET_AVAILABLE], 3);
	CHECK_INT_EQ(st.count[BOOKLET_RECEIVED], 1);
	CHECK_INT_EQ(st.count[BOOKLET_VOIDED], 1);
	node_close(&tn.node);
}
