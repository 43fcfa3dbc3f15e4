/*
 * Tests of the confirmation-code lifecycle of a public booking (office/booking_hold.h)
 * on a real node and its writer: a hold counts against its slot until it expires; a
 * wrong code is recorded and the attempts run out; only the right code makes the
 * application (booking.confirmed + booking.created), once; an expired hold cannot be
 * confirmed; a resend replaces the code and is refused too soon; one pending hold per
 * person; the caps per slot, phone and e-mail; and rebuild gives the same tables.
 */
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "harness.h"
#include "log/node.h"
#include "log/writer.h"
#include "office/booking_hold.h"
#include "office/workflow.h"

static struct test_node tn;
static const uint8_t key[32] = { 7 };
static const int64_t T0 = 1717200000000LL;

static struct config_confirmation cfg(void)
{
	struct config_confirmation c = { 0 };
	c.configured = 1;
	c.hold_seconds = 600;
	c.code_digits = 6;
	c.code_attempts = 3;
	c.resend_seconds = 60;
	c.pending_per_slot = 5;
	c.active_per_phone = 2;
	c.active_per_email = 3;
	c.codes_per_contact_per_day = 4;
	c.codes_per_day = 1000;
	c.email_sender = CONFIG_SENDER_SPOOL;
	c.phone_sender = CONFIG_SENDER_SPOOL;
	return c;
}

static json_t *booking(unsigned n, const char *start, const char *phone)
{
	char nik[17], email[64];
	snprintf(nik, sizeof nik, "64710145%08u", n);
	snprintf(email, sizeof email, "pemohon%u@example.id", n);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "idref", nik, "full_name", "Siti Aminah", "birth_place", "Samarinda",
			 "birth_date", "1990-05-14", "sex", "F", "address", "Jl. Merdeka 1",
			 "phone", phone ? phone : "+62 812-5555-0101", "email", email,
			 "passport_type", "ordinary-48", "slot_date", "2024-06-20", "slot_start",
			 start, "reason", "new");
}

/* Places a hold; returns its why (HOLD_OK: hold filled). */
static enum hold_why place(const struct config_confirmation *c, json_t *b, int quota,
			   int64_t now, const char *code, char hold[APPID_LEN + 1])
{
	struct hold_place op = { c, key, b, "phone", code, quota, now, "", HOLD_OK, 0 };
	struct err e = ERR_INIT;
	int rc = writer_submit(tn.wr, hold_place, &op, NULL, &e);
	json_decref(b);
	if (rc == 0)
		memcpy(hold, op.hold, APPID_LEN + 1);
	return rc == 0 ? HOLD_OK : op.why;
}

static int confirm(const struct config_confirmation *c, const char *hold, const char *code,
		   int64_t now, unsigned n, struct hold_confirm *op)
{
	char hash[65];
	snprintf(hash, sizeof hash, "%064x", n);
	memset(op, 0, sizeof *op);
	op->cfg = c;
	op->key = key;
	op->hold = hold;
	op->code = code;
	op->code_hash = strdup(hash);
	op->quota = 10;
	op->now_ms = now;
	struct err e = ERR_INIT;
	int rc = writer_submit(tn.wr, hold_confirm, op, NULL, &e);
	free((char *)op->code_hash);
	return rc;
}

static int count(const char *sql)
{
	return test_count(tn.node.db, sql);
}

TEST(booking_hold_code_and_hash)
{
	char a[HOLD_CODE_SIZE], b[HOLD_CODE_SIZE], h1[65], h2[65], h3[65];
	struct err e = ERR_INIT;
	CHECK(hold_code_new(6, a, &e) == 0);
	CHECK_INT_EQ(strlen(a), 6);
	CHECK(strspn(a, "0123456789") == 6);
	CHECK(hold_code_new(9, b, &e) == 0);
	CHECK_INT_EQ(strlen(b), 9);
	CHECK(hold_code_new(5, b, &e) < 0);
	CHECK(hold_code_new(10, b, &e) < 0);
	CHECK(hold_code_hash(key, "H1", "123456", h1, &e) == 0);
	CHECK(hold_code_hash(key, "H2", "123456", h2, &e) == 0);
	CHECK(hold_code_hash(key, "H1", "123457", h3, &e) == 0);
	CHECK(strcmp(h1, h2) != 0); /* bound to the hold */
	CHECK(strcmp(h1, h3) != 0);
	CHECK(hold_code_hash(key, "H1", "123456", h2, &e) == 0);
	CHECK_STR_EQ(h1, h2);
}

TEST(booking_hold_lifecycle)
{
	CHECK(office_register_kinds() == 0 && test_node_start(&tn) == 0);
	struct config_confirmation c = cfg();
	char h1[APPID_LEN + 1], h2[APPID_LEN + 1], h3[APPID_LEN + 1];
	struct hold_confirm op;
	struct err e = ERR_INIT;

	/* a pending hold counts in its slot until it expires; nothing is an application */
	CHECK_INT_EQ(place(&c, booking(1, "09:00", NULL), 10, T0, "111111", h1), HOLD_OK);
	CHECK(appid_valid(h1, 'H'));
	CHECK_INT_EQ(hold_pending_in_slot(tn.node.db, "2024-06-20", "09:00", T0 + 1000, &e), 1);
	CHECK_INT_EQ(hold_pending_in_slot(tn.node.db, "2024-06-20", "09:00", T0 + 600000, &e), 0);
	CHECK_INT_EQ(count("SELECT count(*) FROM applications"), 0);
	CHECK_INT_EQ(count("SELECT count(*) FROM booking_code_sends"), 1);

	/* the same person again while pending: refused */
	CHECK_INT_EQ(place(&c, booking(1, "10:00", "+62 811 0000 0001"), 10, T0, "222222", h2),
		     HOLD_DUPLICATE);

	/* wrong codes are recorded; the last attempt ends the hold */
	CHECK(confirm(&c, h1, "000000", T0 + 1000, 1, &op) == 0);
	CHECK_INT_EQ(op.why, HOLD_WRONG_CODE);
	CHECK_INT_EQ(op.attempts_left, 2);
	CHECK(confirm(&c, h1, "111112", T0 + 2000, 1, &op) == 0);
	CHECK_INT_EQ(op.attempts_left, 1);
	CHECK(confirm(&c, h1, "111113", T0 + 3000, 1, &op) == 0);
	CHECK_INT_EQ(op.why, HOLD_WRONG_CODE);
	CHECK_INT_EQ(op.attempts_left, 0);
	CHECK_INT_EQ(count("SELECT attempts FROM booking_holds"), 3);
	CHECK_INT_EQ(count("SELECT count(*) FROM booking_holds WHERE state = 'exhausted'"), 1);
	CHECK(confirm(&c, h1, "111111", T0 + 4000, 1, &op) < 0); /* the right code, too late */
	CHECK_INT_EQ(op.why, HOLD_ENDED);
	CHECK_INT_EQ(count("SELECT count(*) FROM applications"), 0);
	CHECK_INT_EQ(hold_pending_in_slot(tn.node.db, "2024-06-20", "09:00", T0 + 5000, &e), 0);

	/* the right code makes the application, once */
	CHECK_INT_EQ(place(&c, booking(1, "09:00", NULL), 10, T0 + 5000, "333333", h2), HOLD_OK);
	CHECK(confirm(&c, h2, "333333", T0 + 6000, 2, &op) == 0);
	CHECK_INT_EQ(op.why, HOLD_OK);
	CHECK(appid_valid(op.app, 'A'));
	CHECK_STR_EQ(op.slot_start, "09:00");
	CHECK_STR_EQ(op.passport_type, "ordinary-48");
	CHECK_INT_EQ(count("SELECT count(*) FROM applications WHERE state = 'booked' AND"
			   " channel = 'online'"), 1);
	CHECK_INT_EQ(count("SELECT count FROM slot_counts WHERE slot_start = '09:00'"), 1);
	CHECK_INT_EQ(hold_pending_in_slot(tn.node.db, "2024-06-20", "09:00", T0 + 6000, &e), 0);
	CHECK(confirm(&c, h2, "333333", T0 + 7000, 3, &op) < 0);
	CHECK_INT_EQ(op.why, HOLD_ENDED);
	CHECK_INT_EQ(count("SELECT count(*) FROM applications"), 1);

	/* an expired hold is ended, not confirmed */
	CHECK_INT_EQ(place(&c, booking(2, "09:00", NULL), 10, T0, "444444", h3), HOLD_OK);
	CHECK(confirm(&c, h3, "444444", T0 + 600000, 4, &op) == 0);
	CHECK_INT_EQ(op.why, HOLD_ENDED);
	CHECK_INT_EQ(count("SELECT count(*) FROM booking_holds WHERE state = 'expired'"), 1);
	CHECK_INT_EQ(count("SELECT count(*) FROM applications"), 1);

	/* resend: too soon, then a new code that replaces the old one */
	char h4[APPID_LEN + 1];
	CHECK_INT_EQ(place(&c, booking(3, "11:00", "+62 811 0000 0003"), 10, T0, "555555", h4),
		     HOLD_OK);
	struct hold_resend rs = { &c, key, h4, "666666", T0 + 30000, "", "", 0, HOLD_OK, 0 };
	CHECK(writer_submit(tn.wr, hold_resend, &rs, NULL, &e) < 0);
	CHECK_INT_EQ(rs.why, HOLD_TOO_SOON);
	CHECK_INT_EQ(rs.retry_after_s, 30);
	rs.now_ms = T0 + 60000;
	CHECK(writer_submit(tn.wr, hold_resend, &rs, NULL, &e) == 0);
	CHECK_INT_EQ(rs.why, HOLD_OK);
	CHECK_INT_EQ(rs.sends, 2);
	CHECK_STR_EQ(rs.send_to, "phone");
	CHECK_STR_EQ(rs.to, "+62 811 0000 0003");
	CHECK(confirm(&c, h4, "555555", T0 + 61000, 5, &op) == 0);
	CHECK_INT_EQ(op.why, HOLD_WRONG_CODE);
	CHECK(confirm(&c, h4, "666666", T0 + 62000, 5, &op) == 0);
	CHECK_INT_EQ(op.why, HOLD_OK);

	/* a sender that failed: the hold ends and holds nothing */
	char h5[APPID_LEN + 1];
	CHECK_INT_EQ(place(&c, booking(4, "12:00", "+62 811 0000 0004"), 10, T0, "777777", h5),
		     HOLD_OK);
	struct hold_end end = { h5, "unsent", HOLD_OK };
	CHECK(writer_submit(tn.wr, hold_end, &end, NULL, &e) == 0);
	CHECK_INT_EQ(hold_pending_in_slot(tn.node.db, "2024-06-20", "12:00", T0 + 1, &e), 0);
	CHECK(confirm(&c, h5, "777777", T0 + 2, 6, &op) < 0);
	CHECK_INT_EQ(op.why, HOLD_ENDED);

	/* a malformed booking is refused by booking.created's own schema */
	json_t *bad = booking(5, "13:00", "+62 811 0000 0005");
	json_object_del(bad, "full_name");
	CHECK_INT_EQ(place(&c, bad, 10, T0, "888888", h5), HOLD_INVALID);

	/* rebuild reproduces the holds and the sends */
	test_node_stop(&tn);
	struct node_opts o = { .kek = &tn.kek };
	CHECK(node_open(&tn.node, tn.dir, &o, &e) == 0);
	unsigned char d1[32], d2[32];
	CHECK(test_projection_digest(tn.node.db, d1) == 0);
	uint64_t n = 0;
	CHECK(node_rebuild(&tn.node, &n, &e) == 0);
	CHECK(test_projection_digest(tn.node.db, d2) == 0);
	CHECK_MEM_EQ(d1, d2, 32);
	CHECK_INT_EQ(count("SELECT count(*) FROM booking_holds"), 5);
	node_close(&tn.node);
}

TEST(booking_hold_caps)
{
	CHECK(office_register_kinds() == 0 && test_node_start(&tn) == 0);
	struct config_confirmation c = cfg();
	c.pending_per_slot = 2;
	char h[APPID_LEN + 1];
	const char *ph[] = { "+62 811 0000 1001", "+62 811 0000 1002", "+62 811 0000 1003",
			     "+62 811 0000 1004" };

	/* per slot: pending within pending_per_slot, pending + confirmed within the quota */
	CHECK_INT_EQ(place(&c, booking(11, "09:00", ph[0]), 3, T0, "111111", h), HOLD_OK);
	CHECK_INT_EQ(place(&c, booking(12, "09:00", ph[1]), 3, T0, "111111", h), HOLD_OK);
	CHECK_INT_EQ(place(&c, booking(13, "09:00", ph[2]), 3, T0, "111111", h),
		     HOLD_SLOT_BUSY);
	CHECK_INT_EQ(place(&c, booking(13, "09:00", ph[2]), 2, T0, "111111", h),
		     HOLD_SLOT_FULL);
	/* expired holds free the slot */
	CHECK_INT_EQ(place(&c, booking(13, "09:00", ph[2]), 3, T0 + 600000, "111111", h),
		     HOLD_OK);

	/* per phone: pending holds and active bookings; 2 allowed */
	CHECK_INT_EQ(place(&c, booking(21, "10:00", "+62 811 0000 2000"), 9, T0, "1", h),
		     HOLD_OK);
	CHECK_INT_EQ(place(&c, booking(22, "13:00", "+62-811-0000-2000"), 9, T0, "1", h),
		     HOLD_OK);
	CHECK_INT_EQ(place(&c, booking(23, "14:00", "628110000 2000"), 9, T0, "1", h),
		     HOLD_PHONE_CAP);

	/* per contact per day: 4 codes, whatever became of their holds */
	c.active_per_phone = 100;
	static const char *const at[] = { "15:00", "16:00", "17:00", "18:00" };
	for (unsigned i = 0; i < 4; i++)
		CHECK_INT_EQ(place(&c, booking(31 + i, at[i], "+62 811 0000 3000"), 9, T0 + i,
				   "1", h), HOLD_OK);
	CHECK_INT_EQ(place(&c, booking(35, "19:00", "+62 811 0000 3000"), 9, T0 + 7, "1", h),
		     HOLD_CONTACT_DAY);
	CHECK_INT_EQ(place(&c, booking(35, "19:00", "+62 811 0000 3000"), 9,
			   T0 + 86400000 + 1, "1", h), HOLD_OK);

	/* per office per day */
	c.codes_per_day = 1;
	CHECK_INT_EQ(place(&c, booking(41, "20:00", "+62 811 0000 4000"), 9, T0 + 86400000 + 2,
			   "1", h), HOLD_OFFICE_DAY);
	test_node_stop(&tn);
}
