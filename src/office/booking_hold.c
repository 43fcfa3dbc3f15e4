/* booking_hold — see booking_hold.h; docs/BOOKING.md "Confirming a booking". */
#include "office/booking_hold.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "log/blobs.h"
#include "log/db.h"
#include "log/kinds.h"
#include "office/schema.h"
#include "util/alloc.h"

#define DAY_MS 86400000LL
#define SWEEP_MAX 32 /* expired holds ended per new hold */

/* SQL for the contact keys: a phone's digits, an e-mail in lower case */
#define PHONE_KEY(x) "replace(replace(replace(" x ", ' ', ''), '-', ''), '+', '')"
#define EMAIL_KEY(x) "lower(" x ")"

/* ---------------------------------------------------------------- codes */

int hold_code_new(unsigned digits, char code[HOLD_CODE_SIZE], struct err *e)
{
	if (digits < 6 || digits > HOLD_CODE_SIZE - 1)
		return err_set(e, ERR_INPUT, "a confirmation code has 6 to 9 digits");
	if (sodium_init() < 0)
		return err_set(e, ERR_CRYPTO, "libsodium cannot start");
	for (unsigned i = 0; i < digits; i++)
		code[i] = (char)('0' + randombytes_uniform(10));
	code[digits] = '\0';
	return 0;
}

int hold_code_hash(const uint8_t key[32], const char *hold, const char *code, char out[65],
		   struct err *e)
{
	static const char domain[] = "paspor booking hold code v1";
	uint8_t h[32];
	crypto_generichash_state st;
	if (crypto_generichash_init(&st, key, 32, sizeof h) != 0)
		return err_set(e, ERR_CRYPTO, "cannot hash the confirmation code");
	crypto_generichash_update(&st, (const uint8_t *)domain, sizeof domain);
	crypto_generichash_update(&st, (const uint8_t *)hold, strlen(hold) + 1);
	crypto_generichash_update(&st, (const uint8_t *)code, strlen(code));
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(out, 65, h, sizeof h);
	sodium_memzero(&st, sizeof st);
	return 0;
}

/* ---------------------------------------------------------------- kinds */

static const char *str(const json_t *b, const char *k)
{
	return json_string_value(json_object_get(b, k));
}

/* "booking": booking.created's schema, with the three fields a hold does not have yet */
static int booking_ok(const char *pfx, const struct field *f, const json_t *v, struct err *e)
{
	static const char *const own[] = { "app", "code_hash", "channel" };
	if (!json_is_object(v))
		return err_set(e, ERR_INPUT, "%sfield '%s' must be an object", pfx, f->name);
	for (size_t i = 0; i < 3; i++)
		if (json_object_get(v, own[i]))
			return err_set(e, ERR_INPUT, "%s'%s' must not hold '%s'", pfx, f->name,
				       own[i]);
	const struct kind_def *created = kinds_find("booking.created", 1);
	if (!created)
		return err_set(e, ERR_INTERNAL, "booking.held: booking.created is not registered");
	json_t *c = json_deep_copy(v);
	if (!c || json_object_set_new(c, "app", json_string("A0000000000000000000000000")) < 0 ||
	    json_object_set_new(c, "code_hash", json_string("0000000000000000000000000000000000"
							     "000000000000000000000000000000")) < 0 ||
	    json_object_set_new(c, "channel", json_string("online")) < 0) {
		json_decref(c);
		return err_nomem(e);
	}
	int rc = kinds_check(created, c, e);
	json_decref(c);
	if (rc < 0)
		err_prefix(e, "%s", pfx);
	return rc;
}

/* Every field is required and refused as "not valid" whatever failed (booking: in its own
 * words); a body with other keys or fewer is refused first, as a whole. */
#define F(n, t, lo, hi, list) FIELD_WHY(n, t, 1, lo, hi, list, "is not valid")
#define HOLD F("hold", T_HOLD, 0, 0, NULL)
#define OTP_HASH F("otp_hash", T_HEX64, 0, 0, NULL)
#define TIME_MS(n) F(n, T_INT, 1, (1LL << 47) - 1, NULL)

static const char *const e_send_to[] = { "email", "phone", NULL };
static const char *const e_reason[] = { "expired", "attempts", "unsent", NULL };
static const struct field f_held[] = {
	HOLD, OTP_HASH, TIME_MS("sent_ms"), TIME_MS("expires_ms"),
	F("send_to", T_ENUM, 0, 0, e_send_to), REQ_FN("booking", booking_ok),
};
static const struct field f_resent[] = { HOLD, OTP_HASH, TIME_MS("sent_ms") };
static const struct field f_failed[] = { HOLD };
static const struct field f_ended[] = { HOLD, F("reason", T_ENUM, 0, 0, e_reason) };
static const struct field f_confirmed[] = { HOLD, F("app", T_APP, 0, 0, NULL) };

static const struct kind_table hold_tables[] = {
	{ "booking_holds",
	  "CREATE TABLE IF NOT EXISTS booking_holds ("
	  " id TEXT PRIMARY KEY, state TEXT NOT NULL, idref TEXT NOT NULL,"
	  " phone_key TEXT NOT NULL, email_key TEXT NOT NULL, send_to TEXT NOT NULL,"
	  " slot_date TEXT NOT NULL, slot_start TEXT NOT NULL, booking TEXT NOT NULL,"
	  " otp_hash TEXT NOT NULL, attempts INTEGER NOT NULL, sends INTEGER NOT NULL,"
	  " created_seq INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
	  " expires_ms INTEGER NOT NULL, last_sent_ms INTEGER NOT NULL, app TEXT,"
	  " end_reason TEXT, ended_seq INTEGER) WITHOUT ROWID;"
	  "CREATE INDEX IF NOT EXISTS booking_holds_state ON booking_holds (state, expires_ms);"
	  "CREATE INDEX IF NOT EXISTS booking_holds_slot ON booking_holds"
	  " (slot_date, slot_start, state);"
	  "CREATE INDEX IF NOT EXISTS booking_holds_idref ON booking_holds (idref, state);"
	  "CREATE INDEX IF NOT EXISTS booking_holds_phone ON booking_holds (phone_key);"
	  "CREATE INDEX IF NOT EXISTS booking_holds_email ON booking_holds (email_key);" },
	{ "booking_code_sends",
	  "CREATE TABLE IF NOT EXISTS booking_code_sends ("
	  " seq INTEGER PRIMARY KEY, hold TEXT NOT NULL, contact_key TEXT NOT NULL,"
	  " time_ms INTEGER NOT NULL);"
	  "CREATE INDEX IF NOT EXISTS booking_code_sends_contact ON booking_code_sends"
	  " (contact_key, time_ms);"
	  "CREATE INDEX IF NOT EXISTS booking_code_sends_time ON booking_code_sends (time_ms);" },
};

/* Records one code sent for hold at sent_ms (its contact key from the hold's row). */
static int record_send(sqlite3 *db, const struct event *ev, const char *hold,
		       int64_t sent_ms, struct err *e)
{
	if (db_run(db, "INSERT INTO booking_code_sends (seq, hold, contact_key, time_ms)"
		   " SELECT ?1, id, CASE send_to WHEN 'phone' THEN 'p:' || phone_key"
		   " ELSE 'e:' || email_key END, ?2 FROM booking_holds WHERE id = ?3", ev->kind, e,
		   "iis", (int64_t)ev->seq, (int64_t)sent_ms, hold) < 0)
		return -1;
	return sqlite3_changes(db) == 1 ? 0
					: err_set(e, ERR_INPUT, "%s: no hold %s", ev->kind, hold);
}

static int p_held(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	const json_t *bk = json_object_get(b, "booking");
	char *booking = json_dumps(bk, JSON_COMPACT | JSON_SORT_KEYS);
	if (!booking)
		return err_nomem(e);
	sqlite3_stmt *st;
	int rc = db_prepare(db, "INSERT INTO booking_holds (id, state, idref, phone_key, email_key,"
				" send_to, slot_date, slot_start, booking, otp_hash, attempts, sends,"
				" created_seq, created_ms, expires_ms, last_sent_ms) VALUES (?1,"
				" 'pending', ?2, " PHONE_KEY("?3") ", " EMAIL_KEY("?4") ", ?5, ?6,"
				" ?7, ?8, ?9, 0, 1, ?10, ?11, ?12, ?13)", &st, e);
	if (rc == 0) {
		const char *v[] = { str(b, "hold"), str(bk, "idref"), str(bk, "phone"),
				    str(bk, "email"), str(b, "send_to"), str(bk, "slot_date"),
				    str(bk, "slot_start"), booking, str(b, "otp_hash") };
		for (int i = 0; i < 9; i++)
			sqlite3_bind_text(st, i + 1, v[i] ? v[i] : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 10, (sqlite3_int64)ev->seq);
		sqlite3_bind_int64(st, 11, ev->time_ms);
		sqlite3_bind_int64(st, 12, json_integer_value(json_object_get(b, "expires_ms")));
		sqlite3_bind_int64(st, 13, json_integer_value(json_object_get(b, "sent_ms")));
		rc = db_step_once(db, st, ev->kind, e);
	}
	mem_free(booking);
	if (rc < 0)
		return -1;
	return record_send(db, ev, str(b, "hold"),
			   json_integer_value(json_object_get(b, "sent_ms")), e);
}

/* UPDATE booking_holds SET <set> WHERE id = ?1 AND state = 'pending' (?2: seq, ?3:
 * time, ?4: one text value); ERR_INPUT when the hold is not pending. */
static int update_pending(sqlite3 *db, const struct event *ev, const char *hold,
			  const char *set, const char *val, struct err *e)
{
	char sql[300];
	snprintf(sql, sizeof sql, "UPDATE booking_holds SET %s WHERE id = ?1 AND"
		 " state = 'pending' AND ?2 = ?2 AND ?3 = ?3 AND ?4 IS ?4", set);
	if (db_run(db, sql, ev->kind, e, "siis", hold, (int64_t)ev->seq, (int64_t)ev->time_ms,
		   val) < 0)
		return -1;
	if (sqlite3_changes(db) != 1)
		return err_set(e, ERR_INPUT, "%s: hold %s is not pending", ev->kind, hold);
	return 0;
}

static int p_resent(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	int64_t sent = json_integer_value(json_object_get(b, "sent_ms"));
	char set[120];
	snprintf(set, sizeof set, "otp_hash = ?4, sends = sends + 1, last_sent_ms = %lld",
		 (long long)sent);
	if (update_pending(db, ev, str(b, "hold"), set, str(b, "otp_hash"), e) < 0)
		return -1;
	return record_send(db, ev, str(b, "hold"), sent, e);
}

static int p_failed(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	return update_pending(db, ev, str(b, "hold"), "attempts = attempts + 1", NULL, e);
}

static int p_ended(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	const char *r = str(b, "reason");
	const char *state = !strcmp(r, "expired") ? "expired"
			    : !strcmp(r, "attempts") ? "exhausted" : "unsent";
	char set[120];
	snprintf(set, sizeof set, "state = '%s', end_reason = ?4, ended_seq = ?2", state);
	return update_pending(db, ev, str(b, "hold"), set, r, e);
}

static int p_confirmed(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	return update_pending(db, ev, str(b, "hold"), "state = 'confirmed', app = ?4,"
			      " ended_seq = ?2", str(b, "app"), e);
}

/* name, fields, their number (for the message), projection */
#define KIND(name, f, n, project) \
	{ name, 1, 0, schema_check, project, &(const struct schema)SCHEMA_OWN(name, f, NULL, \
		"the body must hold exactly its " #n " fields", 1) }

static const struct kind_def hold_kinds[] = {
	KIND("booking.held", f_held, 6, p_held),
	KIND("booking.code_resent", f_resent, 3, p_resent),
	KIND("booking.code_failed", f_failed, 1, p_failed),
	KIND("booking.hold_ended", f_ended, 2, p_ended),
	KIND("booking.confirmed", f_confirmed, 2, p_confirmed),
};
_Static_assert(sizeof f_held / sizeof f_held[0] == 6 && sizeof f_resent / sizeof f_resent[0] == 3 &&
	       sizeof f_failed / sizeof f_failed[0] == 1 && sizeof f_ended / sizeof f_ended[0] == 2 &&
	       sizeof f_confirmed / sizeof f_confirmed[0] == 2, "the messages' field counts");

static const struct kind_set hold_set = {
	"booking_holds", hold_kinds, sizeof hold_kinds / sizeof hold_kinds[0],
	hold_tables, sizeof hold_tables / sizeof hold_tables[0],
};

int booking_hold_register_kinds(void)
{
	return kinds_register(&hold_set);
}

/* ---------------------------------------------------------------- reads */

/* One integer from sql with text parameters t[0..nt) then integer parameters. */
static int64_t count_of(sqlite3 *db, const char *sql, const char *const *t, int nt,
			const int64_t *n, int nn, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, sql, &st, e) < 0)
		return -1;
	for (int i = 0; i < nt; i++)
		sqlite3_bind_text(st, i + 1, t[i] ? t[i] : "", -1, SQLITE_TRANSIENT);
	for (int i = 0; i < nn; i++)
		sqlite3_bind_int64(st, nt + i + 1, n[i]);
	int rc = sqlite3_step(st);
	int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_error(db, e, "counting booking holds");
	return v;
}

int hold_pending_in_slot(sqlite3 *db, const char *date, const char *start, int64_t now_ms,
			 struct err *e)
{
	const char *t[] = { date, start };
	int64_t v = count_of(db, "SELECT count(*) FROM booking_holds WHERE slot_date = ?1 AND"
				 " slot_start = ?2 AND state = 'pending' AND expires_ms > ?3",
			     t, 2, &now_ms, 1, e);
	return v < 0 ? -1 : v > 1000000 ? 1000000 : (int)v;
}

int hold_slot(sqlite3 *db, const char *hold, char date[11], char start[6], struct err *e)
{
	char *out[] = { date, start };
	const size_t size[] = { 11, 6 };
	return db_row_texts(db, "SELECT slot_date, slot_start FROM booking_holds WHERE id = ?",
			    "reading booking_holds", hold, out, size, 2, e);
}

struct hold_row {
	char state[16], send_to[8], slot_date[11], slot_start[6], otp_hash[65];
	char contact[340];
	int64_t expires_ms, last_sent_ms;
	int attempts, sends;
	json_t *booking; /* owned */
};

static int load_hold(sqlite3 *db, const char *hold, struct hold_row *r, struct err *e)
{
	memset(r, 0, sizeof *r);
	if (!hold || !appid_valid(hold, 'H'))
		return 0;
	sqlite3_stmt *st;
	int ret = db_row(db, "SELECT state, send_to, slot_date, slot_start, otp_hash, expires_ms,"
			 " last_sent_ms, attempts, sends, booking FROM booking_holds WHERE id = ?",
			 "reading booking_holds", &st, e, "s", hold);
	if (ret <= 0)
		return ret;
	char *cols[] = { r->state, r->send_to, r->slot_date, r->slot_start, r->otp_hash };
	size_t sizes[] = { sizeof r->state, sizeof r->send_to, sizeof r->slot_date,
			   sizeof r->slot_start, sizeof r->otp_hash };
	for (int i = 0; i < 5; i++)
		db_copy_text(st, i, cols[i], sizes[i]);
	r->expires_ms = sqlite3_column_int64(st, 5);
	r->last_sent_ms = sqlite3_column_int64(st, 6);
	r->attempts = sqlite3_column_int(st, 7);
	r->sends = sqlite3_column_int(st, 8);
	const char *bk = (const char *)sqlite3_column_text(st, 9);
	r->booking = bk ? json_loads(bk, 0, NULL) : NULL;
	if (!r->booking) {
		ret = err_set(e, ERR_IO, "hold %s: its booking cannot be read", hold);
	} else {
		const char *to = str(r->booking, !strcmp(r->send_to, "email") ? "email" : "phone");
		snprintf(r->contact, sizeof r->contact, "%s", to ? to : "");
	}
	sqlite3_finalize(st);
	return ret;
}

/* ---------------------------------------------------------------- operations */

static int refuse(enum hold_why *why, enum hold_why w, struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(enum hold_why *why, enum hold_why w, struct err *e, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	*why = w;
	return err_set(e, ERR_INPUT, "%s", msg);
}

static int append(struct writer_txn *tx, const char *kind, const char *hold, json_t *body,
		  struct err *e)
{
	if (!body)
		return err_nomem(e);
	char subject[40];
	snprintf(subject, sizeof subject, "hold:%s", hold);
	int rc = writer_txn_append_json(tx, "applicant", kind, 1, subject, body, NULL, e);
	json_decref(body);
	return rc;
}

static int end_hold(struct writer_txn *tx, const char *hold, const char *reason, struct err *e)
{
	return append(tx, "booking.hold_ended", hold,
		      json_pack("{s:s, s:s}", "hold", hold, "reason", reason), e);
}

/* Ends up to SWEEP_MAX pending holds past their expiry (bookkeeping: an expired hold
 * stops counting by its time anyway). */
static int sweep(struct writer_txn *tx, int64_t now_ms, struct err *e)
{
	sqlite3 *db = writer_txn_db(tx);
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT id FROM booking_holds WHERE state = 'pending' AND"
			   " expires_ms <= ? ORDER BY expires_ms LIMIT " "32", &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, now_ms);
	char ids[SWEEP_MAX][APPID_LEN + 1];
	int n = 0, rc;
	while (n < SWEEP_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(ids[n++], APPID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++)
		if (end_hold(tx, ids[i], "expired", e) < 0)
			return -1;
	return 0;
}

/* Seconds until a 24-hour window counted from the oldest of the rows matched frees a
 * place (at least 1). */
static unsigned day_retry(sqlite3 *db, const char *contact, int64_t now_ms)
{
	struct err e = ERR_INIT;
	int64_t since = now_ms - DAY_MS;
	int64_t oldest = contact
		? count_of(db, "SELECT coalesce(min(time_ms), 0) FROM booking_code_sends WHERE"
			       " contact_key = ?1 AND time_ms > ?2", &contact, 1, &since, 1, &e)
		: count_of(db, "SELECT coalesce(min(time_ms), 0) FROM booking_code_sends WHERE"
			       " time_ms > ?1", NULL, 0, &since, 1, &e);
	int64_t s = oldest > 0 ? (oldest + DAY_MS - now_ms + 999) / 1000 : 1;
	return s < 1 ? 1 : (unsigned)s;
}

/* The daily caps on codes sent: to the contact, and by the office. */
static int code_caps(sqlite3 *db, const struct config_confirmation *c, const char *contact,
		     int64_t now_ms, enum hold_why *why, unsigned *retry, struct err *e)
{
	int64_t since = now_ms - DAY_MS;
	int64_t n = count_of(db, "SELECT count(*) FROM booking_code_sends WHERE contact_key = ?1"
				 " AND time_ms > ?2", &contact, 1, &since, 1, e);
	if (n < 0)
		return -1;
	if (n >= c->codes_per_contact_per_day) {
		*retry = day_retry(db, contact, now_ms);
		return refuse(why, HOLD_CONTACT_DAY, e, "%u codes were sent to this %s in the "
			      "last 24 hours", c->codes_per_contact_per_day,
			      contact[0] == 'p' ? "phone number" : "e-mail address");
	}
	n = count_of(db, "SELECT count(*) FROM booking_code_sends WHERE time_ms > ?1", NULL, 0,
		     &since, 1, e);
	if (n < 0)
		return -1;
	if (n >= c->codes_per_day) {
		*retry = day_retry(db, NULL, now_ms);
		return refuse(why, HOLD_OFFICE_DAY, e, "the office has sent its %u codes of the "
			      "last 24 hours; try again later", c->codes_per_day);
	}
	return 0;
}

static void contact_key(const char *send_to, const char *to, char *out, size_t size)
{
	size_t k = 0;
	out[k++] = send_to[0] == 'p' ? 'p' : 'e';
	out[k++] = ':';
	for (const char *p = to; *p && k + 1 < size; p++) {
		char ch = *p;
		if (send_to[0] == 'p') {
			if (ch == ' ' || ch == '-' || ch == '+')
				continue;
		} else if (ch >= 'A' && ch <= 'Z') {
			ch = (char)(ch - 'A' + 'a');
		}
		out[k++] = ch;
	}
	out[k] = '\0';
}

#define ACTIVE_SQL(col)                                                                  \
	"SELECT count(*) FROM booking_holds h LEFT JOIN applications a ON a.id = h.app"     \
	" WHERE h." col " = ?1 AND ((h.state = 'pending' AND h.expires_ms > ?2) OR"          \
	" (h.state = 'confirmed' AND a.state NOT IN ('cancelled', 'no_show', 'rejected',"    \
	" 'issued')))"

/* Places taken in a slot: confirmed bookings and unexpired holds (except hold). */
static int slot_load(sqlite3 *db, const char *date, const char *start, int64_t now_ms,
		     int *confirmed, int *pending, struct err *e)
{
	const char *t[] = { date, start };
	int64_t c = count_of(db, "SELECT coalesce(sum(count), 0) FROM slot_counts WHERE"
				 " slot_date = ?1 AND slot_start = ?2", t, 2, NULL, 0, e);
	if (c < 0)
		return -1;
	int p = hold_pending_in_slot(db, date, start, now_ms, e);
	if (p < 0)
		return -1;
	*confirmed = c > 1000000 ? 1000000 : (int)c;
	*pending = p;
	return 0;
}

int hold_place(struct writer_txn *tx, void *arg, struct err *e)
{
	struct hold_place *o = arg;
	sqlite3 *db = writer_txn_db(tx);
	const struct config_confirmation *c = o->cfg;
	o->hold[0] = '\0';
	o->why = HOLD_OK;
	o->retry_after_s = 0;
	const json_t *b = o->booking;
	const char *idref = str(b, "idref"), *phone = str(b, "phone"), *email = str(b, "email"),
		   *date = str(b, "slot_date"), *start = str(b, "slot_start");
	if (!idref || !phone || !email || !date || !start || !o->send_to ||
	    (strcmp(o->send_to, "email") && strcmp(o->send_to, "phone")))
		return refuse(&o->why, HOLD_INVALID, e, "a hold needs idref, phone, e-mail, slot "
			      "and send_to");
	if (sweep(tx, o->now_ms, e) < 0)
		return -1;
	/* one active application or pending hold per person */
	int64_t n = count_of(db, "SELECT count(*) FROM applications WHERE idref = ?1 AND state"
				 " NOT IN ('cancelled', 'no_show', 'rejected', 'issued')",
			     &idref, 1, NULL, 0, e);
	if (n < 0)
		return -1;
	if (n > 0)
		return refuse(&o->why, HOLD_DUPLICATE, e, "this person already has an active "
			      "application");
	n = count_of(db, "SELECT count(*) FROM booking_holds WHERE idref = ?1 AND state ="
			 " 'pending' AND expires_ms > ?2", &idref, 1, &o->now_ms, 1, e);
	if (n < 0)
		return -1;
	if (n > 0)
		return refuse(&o->why, HOLD_DUPLICATE, e, "a booking for this person is waiting for "
			      "its confirmation code");
	/* the slot: confirmed + pending within the quota, pending within its own cap */
	int confirmed, pending;
	if (slot_load(db, date, start, o->now_ms, &confirmed, &pending, e) < 0)
		return -1;
	if (confirmed + pending >= o->quota)
		return refuse(&o->why, HOLD_SLOT_FULL, e, "the slot %s %s is full", date, start);
	if ((unsigned)pending >= c->pending_per_slot) {
		const char *t[] = { date, start };
		int64_t first = count_of(db, "SELECT coalesce(min(expires_ms), 0) FROM booking_holds"
					     " WHERE slot_date = ?1 AND slot_start = ?2 AND state ="
					     " 'pending' AND expires_ms > ?3", t, 2, &o->now_ms, 1, e);
		int64_t s = first > o->now_ms ? (first - o->now_ms + 999) / 1000 : 1;
		o->retry_after_s = (unsigned)(s < 1 ? 1 : s);
		return refuse(&o->why, HOLD_SLOT_BUSY, e, "%u bookings of this slot are waiting for "
			      "their confirmation code; try again in %u s", c->pending_per_slot,
			      o->retry_after_s);
	}
	/* per phone and per e-mail: pending holds and confirmed, still active bookings */
	char pkey[340], ekey[340];
	contact_key("phone", phone, pkey, sizeof pkey);
	contact_key("email", email, ekey, sizeof ekey);
	const char *pk = pkey + 2, *ek = ekey + 2;
	n = count_of(db, ACTIVE_SQL("phone_key"), &pk, 1, &o->now_ms, 1, e);
	if (n < 0)
		return -1;
	if (n >= c->active_per_phone)
		return refuse(&o->why, HOLD_PHONE_CAP, e, "this phone number has %u bookings already",
			      c->active_per_phone);
	n = count_of(db, ACTIVE_SQL("email_key"), &ek, 1, &o->now_ms, 1, e);
	if (n < 0)
		return -1;
	if (n >= c->active_per_email)
		return refuse(&o->why, HOLD_EMAIL_CAP, e, "this e-mail address has %u bookings "
			      "already", c->active_per_email);
	if (code_caps(db, c, o->send_to[0] == 'p' ? pkey : ekey, o->now_ms, &o->why,
		      &o->retry_after_s, e) < 0)
		return -1;
	char hash[65];
	if (appid_new('H', o->now_ms, o->hold, e) < 0 ||
	    hold_code_hash(o->key, o->hold, o->code, hash, e) < 0) {
		o->hold[0] = '\0';
		return -1;
	}
	json_t *copy = json_deep_copy(b);
	json_t *body = copy ? json_pack("{s:s, s:s, s:I, s:I, s:s, s:o}", "hold", o->hold,
					"otp_hash", hash, "sent_ms", (json_int_t)o->now_ms,
					"expires_ms",
					(json_int_t)(o->now_ms + (int64_t)c->hold_seconds * 1000),
					"send_to", o->send_to, "booking", copy)
			    : NULL;
	if (append(tx, "booking.held", o->hold, body, e) < 0) {
		o->hold[0] = '\0';
		if (e->code == ERR_INPUT)
			o->why = HOLD_INVALID;
		return -1;
	}
	return 0;
}

int hold_end(struct writer_txn *tx, void *arg, struct err *e)
{
	struct hold_end *o = arg;
	struct hold_row r;
	int found = load_hold(writer_txn_db(tx), o->hold, &r, e);
	json_decref(r.booking);
	if (found < 0)
		return -1;
	if (!found)
		return refuse(&o->why, HOLD_NOT_FOUND, e, "no such booking hold");
	if (strcmp(r.state, "pending") != 0)
		return refuse(&o->why, HOLD_ENDED, e, "the booking hold is %s", r.state);
	return end_hold(tx, o->hold, o->reason, e);
}

/* Loads a pending, unexpired hold: 1, or 0 after ending an expired one (o->why set),
 * or -1 (refused). */
static int pending_row(struct writer_txn *tx, const char *hold, int64_t now_ms,
		       struct hold_row *r, enum hold_why *why, struct err *e)
{
	int found = load_hold(writer_txn_db(tx), hold, r, e);
	if (found < 0)
		return -1;
	if (!found)
		return refuse(why, HOLD_NOT_FOUND, e, "no such booking hold");
	if (strcmp(r->state, "pending") != 0)
		return refuse(why, HOLD_ENDED, e, "%s",
			      !strcmp(r->state, "confirmed") ? "the booking hold is confirmed already"
			      : !strcmp(r->state, "exhausted") ? "the booking hold ended after too "
								  "many wrong codes; book again"
			      : !strcmp(r->state, "unsent") ? "the booking hold ended: its code "
							       "could not be sent; book again"
			      : "the booking hold has expired; book again");
	if (r->expires_ms <= now_ms) {
		*why = HOLD_ENDED;
		if (end_hold(tx, hold, "expired", e) < 0)
			return -1;
		err_set(e, ERR_INPUT, "the booking hold has expired; book again");
		return 0;
	}
	return 1;
}

/* The operation's start: *why HOLD_OK, then pending_row; unless 1, nothing is left to
 * release in r and the operation returns the result (0 with the refusal in *why and e,
 * or -1). */
static int need_pending(struct writer_txn *tx, const char *hold, int64_t now_ms,
			struct hold_row *r, enum hold_why *why, struct err *e)
{
	*why = HOLD_OK;
	int p = pending_row(tx, hold, now_ms, r, why, e);
	if (p != 1) {
		json_decref(r->booking);
		r->booking = NULL;
	}
	return p;
}

int hold_resend(struct writer_txn *tx, void *arg, struct err *e)
{
	struct hold_resend *o = arg;
	o->retry_after_s = 0;
	struct hold_row r;
	int rc = need_pending(tx, o->hold, o->now_ms, &r, &o->why, e);
	if (rc != 1)
		return rc;
	rc = -1;
	const struct config_confirmation *c = o->cfg;
	int64_t next = r.last_sent_ms + (int64_t)c->resend_seconds * 1000;
	if (o->now_ms < next) {
		o->retry_after_s = (unsigned)((next - o->now_ms + 999) / 1000);
		refuse(&o->why, HOLD_TOO_SOON, e, "a new code can be sent in %u s",
		       o->retry_after_s);
		goto out;
	}
	char key[340];
	contact_key(r.send_to, r.contact, key, sizeof key);
	if (code_caps(writer_txn_db(tx), c, key, o->now_ms, &o->why, &o->retry_after_s, e) < 0)
		goto out;
	char hash[65];
	if (hold_code_hash(o->key, o->hold, o->code, hash, e) < 0 ||
	    append(tx, "booking.code_resent", o->hold,
		   json_pack("{s:s, s:s, s:I}", "hold", o->hold, "otp_hash", hash, "sent_ms",
			     (json_int_t)o->now_ms), e) < 0)
		goto out;
	snprintf(o->send_to, sizeof o->send_to, "%s", r.send_to);
	snprintf(o->to, sizeof o->to, "%s", r.contact);
	o->sends = r.sends + 1;
	rc = 0;
out:
	json_decref(r.booking);
	return rc;
}

int hold_confirm(struct writer_txn *tx, void *arg, struct err *e)
{
	struct hold_confirm *o = arg;
	o->app[0] = '\0';
	o->attempts_left = 0;
	struct hold_row r;
	int rc = need_pending(tx, o->hold, o->now_ms, &r, &o->why, e);
	if (rc != 1)
		return rc;
	rc = -1;
	char hash[65];
	if (hold_code_hash(o->key, o->hold, o->code ? o->code : "", hash, e) < 0)
		goto out;
	if (sodium_memcmp(hash, r.otp_hash, 64) != 0) {
		if (append(tx, "booking.code_failed", o->hold, json_pack("{s:s}", "hold", o->hold),
			   e) < 0)
			goto out;
		unsigned used = (unsigned)r.attempts + 1;
		o->attempts_left = used >= o->cfg->code_attempts ? 0 : o->cfg->code_attempts - used;
		if (o->attempts_left == 0 && end_hold(tx, o->hold, "attempts", e) < 0)
			goto out;
		o->why = HOLD_WRONG_CODE;
		err_set(e, ERR_INPUT, "the confirmation code is wrong; %u attempts left%s",
			o->attempts_left, o->attempts_left ? "" : ": book again");
		rc = 0;
		goto out;
	}
	/* the hold counted against the quota; a walk-in may have filled the slot since */
	int confirmed, pending;
	if (slot_load(writer_txn_db(tx), r.slot_date, r.slot_start, o->now_ms, &confirmed,
		      &pending, e) < 0)
		goto out;
	if (confirmed + pending - 1 >= o->quota) {
		refuse(&o->why, HOLD_SLOT_FULL, e, "the slot %s %s is full", r.slot_date,
		       r.slot_start);
		goto out;
	}
	/* checked before the write, so a refusal is known by what it is */
	const char *idref = str(r.booking, "idref");
	int64_t n = count_of(writer_txn_db(tx), "SELECT count(*) FROM applications WHERE"
			     " idref = ?1 AND state NOT IN ('cancelled', 'no_show', 'rejected',"
			     " 'issued')", &idref, 1, NULL, 0, e);
	if (n != 0) {
		if (n > 0)
			refuse(&o->why, HOLD_DUPLICATE, e, "this person already has an active "
			       "application");
		goto out;
	}
	n = count_of(writer_txn_db(tx), "SELECT count(*) FROM applications WHERE code_hash = ?1",
		     &o->code_hash, 1, NULL, 0, e);
	if (n != 0) {
		if (n > 0)
			refuse(&o->why, HOLD_CODE_TAKEN, e, "booking code hash already in use");
		goto out;
	}
	if (appid_new('A', o->now_ms, o->app, e) < 0)
		goto out;
	json_t *created = json_deep_copy(r.booking);
	if (!created || json_object_set_new(created, "app", json_string(o->app)) < 0 ||
	    json_object_set_new(created, "code_hash", json_string(o->code_hash)) < 0 ||
	    json_object_set_new(created, "channel", json_string("online")) < 0) {
		json_decref(created);
		err_nomem(e);
		goto out;
	}
	char subject[40];
	snprintf(subject, sizeof subject, "app:%s", o->app);
	if (append(tx, "booking.confirmed", o->hold,
		   json_pack("{s:s, s:s}", "hold", o->hold, "app", o->app), e) < 0) {
		json_decref(created);
		goto out;
	}
	int ar = writer_txn_append_json(tx, "applicant", "booking.created", 1, subject, created,
					NULL, e);
	json_decref(created);
	if (ar < 0)
		goto out;
	snprintf(o->slot_date, sizeof o->slot_date, "%s", r.slot_date);
	snprintf(o->slot_start, sizeof o->slot_start, "%s", r.slot_start);
	const char *pt = str(r.booking, "passport_type");
	snprintf(o->passport_type, sizeof o->passport_type, "%s", pt ? pt : "");
	rc = 0;
out:
	if (rc < 0)
		o->app[0] = '\0';
	json_decref(r.booking);
	return rc;
}
