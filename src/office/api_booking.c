/*
 * api_booking — the booking endpoints (docs/API.md "Public", docs/BOOKING.md): free
 * slots, a new booking, its status, cancel and reschedule (public and officers'
 * listeners, anonymous, actor "applicant"), and walk-in bookings by a registrar.
 *
 * Every field is checked here before the workflow sees it (the workflow's kind check
 * runs again on the event): the NIK against the birth date and sex (nik.h, the +40 rule),
 * an identity reference for applicants without a NIK (public booking only at a consular
 * post), the passport type from the configuration, the slot (a configured slot of a
 * working day, within booking.days_ahead local days, not begun). The booking code is
 * made here (bookcode.h) and only its keyed hash is stored; the key is derived from the
 * node's data key with crypto_kdf ("bookcode", id 1).
 *
 * A public booking is made in two steps (docs/BOOKING.md "Confirming a booking",
 * office/booking_hold.h): POST /bookings places a pending hold and sends a one-time
 * code to the applicant's phone or e-mail (office/notify.h); POST /bookings/confirm
 * with that code turns the hold into the booking and only then answers the booking
 * code. A sender that fails answers 503 and the hold is ended at once ("unsent"), so
 * nothing holds a place. Walk-ins (registrar, at the counter) need no code.
 *
 * Rate limits (office/ratelimit.h, sized by paspor.conf): new bookings per client
 * address and per NIK or reference, status/cancel/reschedule lookups per client address;
 * 429 rate-limited with Retry-After. A lookup needs code and NIK (or reference) to
 * match; a wrong code and a wrong NIK get the same 404.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "office/api.h"
#include "office/bookcode.h"
#include "office/booking_hold.h"
#include "office/calendar.h"
#include "office/config.h"
#include "office/nik.h"
#include "office/ratelimit.h"
#include "office/notify.h"
#include "util/alloc.h"
#include "util/log.h"

#define FIELD_MAX 1000 /* bytes of any one text field; the kind check is finer */

/* ---------------------------------------------------------------- helpers */

static int parse_hhmm(const char *s, int *min)
{
	if (!s || strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return -1;
	*min = h * 60 + m;
	return 0;
}

static void fmt_hhmm(int min, char out[6])
{
	unsigned h = (unsigned)(min / 60) % 100u, m = (unsigned)(min % 60) % 60u;
	out[0] = (char)('0' + h / 10);
	out[1] = (char)('0' + h % 10);
	out[2] = ':';
	out[3] = (char)('0' + m / 10);
	out[4] = (char)('0' + m % 10);
	out[5] = '\0';
}

/*
 * Checks that date/start name a slot an applicant may book now: a configured slot of an
 * open day, today … today + days_ahead, not begun. *quota gets its quota.
 */
static int check_slot(struct http_req *req, struct http_resp *resp, const char *date,
		      const char *start, int *quota)
{
	struct office_server *s = req->app;
	struct cal_date d, today;
	int start_min, now_min;
	if (cal_date_parse(date, &d) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'slot_date' must be a date YYYY-MM-DD");
	if (parse_hhmm(start, &start_min) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'slot_start' must be a time HH:MM");
	if (api_today(s, &today, &now_min) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INTERNAL, NULL);
	int64_t days = cal_date_to_days(&d) - cal_date_to_days(&today);
	if (days < 0 || (days == 0 && start_min <= now_min))
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'slot_date': the slot is in the past");
	if (days > (int64_t)office_server_config(s)->days_ahead)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'slot_date': bookings are open %u days ahead",
				    office_server_config(s)->days_ahead);
	struct calendar_slot slots[CONFIG_MAX_SLOTS];
	struct err e = ERR_INIT;
	int n = calendar_slots(office_server_config(s), &d, slots, &e);
	if (n < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'slot_date' must be a date YYYY-MM-DD");
	if (n == 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'slot_date': the office is closed that day");
	for (int i = 0; i < n; i++)
		if (slots[i].start_min == start_min) {
			*quota = slots[i].quota > INT_MAX ? INT_MAX : (int)slots[i].quota;
			return 0;
		}
	return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
			    "field 'slot_start': the office has no slot starting then");
}

static int take(struct ratelimit *rl, struct http_req *req, struct http_resp *resp,
		const char *key)
{
	if (!rl)
		return 0; /* lifted for load tests */
	unsigned retry = 0;
	if (ratelimit_take(rl, key, strlen(key), ratelimit_now_ms(), &retry))
		return 0;
	return api_rate_limited(req, resp, retry);
}

/* ---------------------------------------------------------------- the booking body */

struct booking_in {
	char idref[IDREF_MAX];
	int is_nik;
	const char *full_name, *birth_place, *birth_date, *sex, *address, *phone, *email,
		*passport_type, *slot_date, *slot_start, *reason, *previous_passport,
		*police_report;
};

static const char *const booking_keys[] = {
	"full_name", "nik", "identity", "birth_place", "birth_date", "sex", "address", "phone",
	"email", "passport_type", "slot_date", "slot_start", "reason", "previous_passport",
	"police_report", NULL
};

/* Reads and checks a booking body; walk_in: the slot is not read and an identity
 * reference is allowed at any office. */
static int booking_parse(struct http_req *req, struct http_resp *resp, const json_t *body,
			 int walk_in, struct booking_in *b)
{
	struct office_server *s = req->app;
	memset(b, 0, sizeof *b);
	if (api_only_keys(req, resp, body, booking_keys) < 0 ||
	    api_str(req, resp, body, "full_name", 1, FIELD_MAX, &b->full_name) < 0 ||
	    api_str(req, resp, body, "birth_place", 1, FIELD_MAX, &b->birth_place) < 0 ||
	    api_str(req, resp, body, "birth_date", 1, 10, &b->birth_date) < 0 ||
	    api_str(req, resp, body, "sex", 1, 1, &b->sex) < 0 ||
	    api_str(req, resp, body, "address", 1, FIELD_MAX, &b->address) < 0 ||
	    api_str(req, resp, body, "phone", 1, 64, &b->phone) < 0 ||
	    api_str(req, resp, body, "email", 1, 320, &b->email) < 0 ||
	    api_str(req, resp, body, "passport_type", 1, 32, &b->passport_type) < 0 ||
	    api_str(req, resp, body, "slot_date", !walk_in, 10, &b->slot_date) < 0 ||
	    api_str(req, resp, body, "slot_start", !walk_in, 5, &b->slot_start) < 0 ||
	    api_str(req, resp, body, "reason", 0, 16, &b->reason) < 0 ||
	    api_str(req, resp, body, "previous_passport", 0, 20, &b->previous_passport) < 0 ||
	    api_str(req, resp, body, "police_report", 0, 64, &b->police_report) < 0)
		return -1;
	if (api_need_idref(req, resp, body, b->idref, &b->is_nik) < 0)
		return -1;
	if (!b->is_nik && !walk_in && !office_server_config(s)->consular_post)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'nik' is required: only a consular post books "
				    "applicants without a NIK online (a registrar can book them "
				    "at the counter)");
	struct cal_date birth, today;
	if (cal_date_parse(b->birth_date, &birth) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'birth_date' must be a date YYYY-MM-DD");
	if (api_today(s, &today, NULL) == 0 && cal_date_cmp(&birth, &today) > 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'birth_date' is in the future");
	if (strcmp(b->sex, "F") && strcmp(b->sex, "M") && strcmp(b->sex, "X"))
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'sex' must be F, M or X");
	if (b->is_nik) {
		enum nik_status st = nik_check(b->idref, strlen(b->idref), &birth, b->sex[0],
					       NULL);
		if (st == NIK_SEX_UNKNOWN || st == NIK_SEX_MISMATCH)
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					    "field 'nik' does not agree with field 'sex': %s",
					    nik_status_text(st));
		if (st != NIK_OK)
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					    "field 'nik' does not agree with field 'birth_date': %s",
					    nik_status_text(st));
	}
	if (!config_passport_type(office_server_config(s), b->passport_type))
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'passport_type' is not a passport type of this office");
	if (!b->reason)
		b->reason = "new";
	return 0;
}

/* Books through the writer, with a fresh code (a taken code hash is retried). */
static int booking_submit(struct http_req *req, struct http_resp *resp,
			  const struct booking_in *b, const char *actor, const char *channel,
			  const char *slot_date, const char *slot_start, int quota,
			  char app_id[APPID_LEN + 1], char code[BOOKCODE_TEXT_SIZE])
{
	struct office_server *s = req->app;
	struct err e = ERR_INIT;
	for (int attempt = 0; attempt < 3; attempt++) {
		char canon[BOOKCODE_CANON_SIZE], hash[65];
		err_clear(&e);
		if (bookcode_new(canon, code, &e) < 0 ||
		    bookcode_hash_hex(office_server_bookcode_key(s), canon, hash, &e) < 0)
			return api_wf_problem(req, resp, WF_OK, &e);
		sodium_memzero(canon, sizeof canon);
		struct wf_book op = { 0 };
		op.hdr.actor = actor;
		op.code_hash = hash;
		op.idref = b->idref;
		op.full_name = b->full_name;
		op.birth_place = b->birth_place;
		op.birth_date = b->birth_date;
		op.sex = b->sex;
		op.address = b->address;
		op.phone = b->phone;
		op.email = b->email;
		op.passport_type = b->passport_type;
		op.slot_date = slot_date;
		op.slot_start = slot_start;
		op.channel = channel;
		op.reason = b->reason;
		op.previous_passport = b->previous_passport;
		op.police_report = b->police_report;
		op.quota = quota;
		op.now_ms = api_now_ms(s);
		if (office_server_submit(s, wf_book, &op, NULL, &e) == 0) {
			memcpy(app_id, op.app_id, APPID_LEN + 1);
			return 0;
		}
		if (op.hdr.reason != WF_CODE_TAKEN)
			return api_wf_problem(req, resp, op.hdr.reason, &e);
	}
	return api_wf_problem(req, resp, WF_CODE_TAKEN, &e);
}

/* ---------------------------------------------------------------- routes */

/* GET /api/v1/bookings/slots?from=YYYY-MM-DD&days=N */
static int route_slots(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	struct cal_date today, from;
	int now_min;
	if (api_today(s, &today, &now_min) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INTERNAL, NULL);
	const char *qf = http_req_query(req, "from"), *qd = http_req_query(req, "days");
	from = today;
	if (qf && cal_date_parse(qf, &from) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "parameter 'from' must be a date YYYY-MM-DD");
	int days = 7;
	if (qd) {
		char *end = NULL;
		long v = strtol(qd, &end, 10);
		if (!*qd || *end || v < 1 || v > 31)
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					    "parameter 'days' must be 1 to 31");
		days = (int)v;
	}
	int64_t t0 = cal_date_to_days(&today), f0 = cal_date_to_days(&from);
	json_t *out = json_array();
	if (!out)
		return err_nomem(&resp->err);
	sqlite3 *db = api_db_acquire(s);
	int rc = 0;
	for (int64_t d = f0; d < f0 + days && rc == 0; d++) {
		if (d < t0 || d > t0 + (int64_t)office_server_config(s)->days_ahead)
			continue;
		struct cal_date cd;
		cal_date_from_days(d, &cd);
		struct calendar_slot slots[CONFIG_MAX_SLOTS];
		struct err e = ERR_INIT;
		int n = calendar_slots(office_server_config(s), &cd, slots, &e);
		if (n <= 0)
			continue;
		char ds[11];
		cal_date_format(&cd, ds);
		json_t *arr = json_array();
		for (int i = 0; arr && i < n; i++) {
			if (d == t0 && slots[i].start_min <= now_min)
				continue; /* begun */
			char st[6], en[6];
			fmt_hhmm(slots[i].start_min, st);
			fmt_hhmm(slots[i].end_min, en);
			struct err he = ERR_INIT;
			int taken = wf_query_slot_taken(db, ds, st, &he);
			int pending = taken < 0 ? 0
				: hold_pending_in_slot(db, ds, st, api_now_ms(s), &he);
			if (pending < 0)
				taken = -1;
			else
				taken += pending;
			if (taken < 0) {
				rc = -1;
				break;
			}
			long long freep = (long long)slots[i].quota - taken;
			json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I}", "start", st,
							     "end", en, "quota",
							     (json_int_t)slots[i].quota, "free",
							     (json_int_t)(freep > 0 ? freep : 0)));
		}
		if (arr && json_array_size(arr) > 0)
			json_array_append_new(out, json_pack("{s:s, s:o}", "date", ds, "slots", arr));
		else
			json_decref(arr);
	}
	api_db_release(s, db);
	if (rc < 0) {
		json_decref(out);
		return http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE, "slots cannot be read");
	}
	return api_reply(resp, 200, json_pack("{s:o}", "days", out));
}

/* ---------------------------------------------------------------- confirmation */

/* The problem for a refused or recorded hold outcome. */
static int hold_problem(struct http_req *req, struct http_resp *resp, enum hold_why why,
			unsigned retry, const struct err *e)
{
	const char *msg = e->msg[0] ? e->msg : "refused";
	char s[24];
	switch (why) {
	case HOLD_OK:
	case HOLD_CODE_TAKEN:
		break;
	case HOLD_SLOT_FULL:
		return http_problem(req, resp, HTTP_PROBLEM_SLOT_FULL, "%s", msg);
	case HOLD_DUPLICATE:
		return http_problem(req, resp, HTTP_PROBLEM_DUPLICATE, "%s", msg);
	case HOLD_SLOT_BUSY:
		snprintf(s, sizeof s, "%u", retry ? retry : 1);
		http_resp_header(resp, "Retry-After", s);
		/* fall through */
	case HOLD_PHONE_CAP:
	case HOLD_EMAIL_CAP:
		return http_problem(req, resp, HTTP_PROBLEM_CONFLICT, "%s", msg);
	case HOLD_CONTACT_DAY:
	case HOLD_OFFICE_DAY:
	case HOLD_TOO_SOON:
		snprintf(s, sizeof s, "%u", retry ? retry : 1);
		http_resp_header(resp, "Retry-After", s);
		return http_problem(req, resp, HTTP_PROBLEM_RATE_LIMITED, "%s", msg);
	case HOLD_NOT_FOUND:
		return http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "no such booking hold");
	case HOLD_ENDED:
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_STATE, "%s", msg);
	case HOLD_WRONG_CODE:
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "field 'code': %s", msg);
	case HOLD_INVALID:
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "%s", msg);
	}
	return api_wf_problem(req, resp, WF_OK, e);
}

static int confirmation_open(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	if (!office_server_config(s)->confirmation.configured)
		return http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE,
				    "not-configured: online booking is closed at this office "
				    "(no confirmation section in its configuration)");
	return 0;
}

/* The fields booking.created gets from the applicant (all but app, code_hash, channel). */
static json_t *booking_json(const struct booking_in *b)
{
	json_t *o = json_object();
	const char *k[] = { "idref", "full_name", "birth_place", "birth_date", "sex", "address",
			    "phone", "email", "passport_type", "slot_date", "slot_start", "reason",
			    "previous_passport", "police_report" };
	const char *v[] = { b->idref, b->full_name, b->birth_place, b->birth_date, b->sex,
			    b->address, b->phone, b->email, b->passport_type, b->slot_date,
			    b->slot_start, b->reason, b->previous_passport, b->police_report };
	for (size_t i = 0; o && i < sizeof k / sizeof k[0]; i++)
		if (v[i] && json_object_set_new(o, k[i], json_string(v[i])) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* Sends a hold's code; -1 with e set (ERR_IO) when the sender failed. */
static int send_code(struct office_server *s, const char *hold, int n, const char *send_to,
		     const char *to, const char *code, struct err *e)
{
	const struct config_confirmation *c = &office_server_config(s)->confirmation;
	char ref[48], valid_id[40], valid_en[40];
	snprintf(ref, sizeof ref, "%s-%d", hold, n);
	if (c->hold_seconds % 60 == 0) {
		snprintf(valid_id, sizeof valid_id, "%u menit", c->hold_seconds / 60);
		snprintf(valid_en, sizeof valid_en, "%u minutes", c->hold_seconds / 60);
	} else {
		snprintf(valid_id, sizeof valid_id, "%u detik", c->hold_seconds);
		snprintf(valid_en, sizeof valid_en, "%u seconds", c->hold_seconds);
	}
	char text[800];
	snprintf(text, sizeof text,
		 "%s: kode konfirmasi booking paspor Anda %s, berlaku %s. Jangan berikan kode "
		 "ini kepada siapa pun.\n"
		 "Your passport booking confirmation code is %s, valid for %s. Do not share it.",
		 office_server_config(s)->office_name, code, valid_id, code, valid_en);
	struct notify_msg m = { strcmp(send_to, "email") == 0 ? NOTIFY_EMAIL : NOTIFY_PHONE, to,
				ref, "Kode konfirmasi booking paspor / Passport booking code", text };
	int rc = notify_send(office_server_notify(s), &m, e);
	sodium_memzero(text, sizeof text);
	return rc;
}

/* POST /api/v1/bookings: a pending hold and its code sent; 202 */
static int route_book(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = {
		"full_name", "nik", "identity", "birth_place", "birth_date", "sex", "address",
		"phone", "email", "passport_type", "slot_date", "slot_start", "reason",
		"previous_passport", "police_report", "send_code_to", NULL
	};
	struct office_server *s = req->app;
	const struct config_confirmation *c = &office_server_config(s)->confirmation;
	if (take(office_server_limit(s, OFFICE_LIMIT_BOOK_IP), req, resp, req->client_ip) < 0)
		return -1;
	json_t *body;
	if (http_req_json(req, resp, &body) < 0)
		return -1;
	struct booking_in b;
	const char *send_to = NULL;
	int quota = 0, rc = -1;
	json_t *bk = NULL;
	char code[HOLD_CODE_SIZE] = "";
	if (api_only_keys(req, resp, body, keys) < 0 ||
	    api_str(req, resp, body, "send_code_to", 0, 5, &send_to) < 0)
		goto out;
	/* booking_parse checks the keys of a booking; send_code_to is ours */
	json_t *fields = json_deep_copy(body);
	if (!fields) {
		err_nomem(&resp->err);
		goto out;
	}
	json_object_del(fields, "send_code_to");
	char send_buf[8] = "";
	if (send_to)
		snprintf(send_buf, sizeof send_buf, "%s", send_to); /* body is freed next */
	json_decref(body);
	body = fields;
	send_to = send_to ? send_buf : NULL;
	if (booking_parse(req, resp, body, 0, &b) < 0 ||
	    check_slot(req, resp, b.slot_date, b.slot_start, &quota) < 0 ||
	    confirmation_open(req, resp) < 0 ||
	    take(office_server_limit(s, OFFICE_LIMIT_BOOK_NIK), req, resp, b.idref) < 0)
		goto out;
	if (!send_to)
		send_to = notify_can(office_server_notify(s), NOTIFY_PHONE) ? "phone" : "email";
	if (strcmp(send_to, "phone") && strcmp(send_to, "email")) {
		http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
			     "field 'send_code_to' must be 'phone' or 'email'");
		goto out;
	}
	if (!notify_can(office_server_notify(s),
			strcmp(send_to, "email") ? NOTIFY_PHONE : NOTIFY_EMAIL)) {
		http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
			     "field 'send_code_to': this office sends no codes by %s",
			     strcmp(send_to, "email") ? "phone" : "e-mail");
		goto out;
	}
	struct err e = ERR_INIT;
	if (!(bk = booking_json(&b))) {
		err_nomem(&resp->err);
		goto out;
	}
	if (hold_code_new(c->code_digits, code, &e) < 0) {
		api_wf_problem(req, resp, WF_OK, &e);
		goto out;
	}
	struct hold_place op = { c, office_server_holdcode_key(s), bk, send_to, code, quota,
				 api_now_ms(s), "", HOLD_OK, 0 };
	if (office_server_submit(s, hold_place, &op, NULL, &e) < 0) {
		hold_problem(req, resp, op.why, op.retry_after_s, &e);
		goto out;
	}
	if (send_code(s, op.hold, 1, send_to, strcmp(send_to, "email") ? b.phone : b.email, code,
		      &e) < 0) {
		log_warnx("request %s: the confirmation code of hold %s was not sent: %s",
			  req->request_id, op.hold, e.msg);
		struct hold_end end = { op.hold, "unsent", HOLD_OK };
		struct err e2 = ERR_INIT;
		if (office_server_submit(s, hold_end, &end, NULL, &e2) < 0)
			log_warnx("request %s: hold %s not ended: %s", req->request_id, op.hold,
				  e2.msg);
		http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE,
			     "the confirmation code cannot be sent now (%s sender); nothing was "
			     "booked: try again later", notify_sender_name(office_server_notify(s),
				strcmp(send_to, "email") ? NOTIFY_PHONE : NOTIFY_EMAIL));
		goto out;
	}
	rc = api_reply(resp, 202, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "hold", op.hold,
					    "state", "pending", "send_to", send_to, "slot_date",
					    b.slot_date, "slot_start", b.slot_start,
					    "expires_in_seconds", (json_int_t)c->hold_seconds,
					    "code_digits", (json_int_t)c->code_digits));
out:
	sodium_memzero(code, sizeof code);
	json_decref(bk);
	json_decref(body);
	return rc;
}

/* The hold id and the code of a confirm body. */
static int confirm_fields(struct http_req *req, struct http_resp *resp, const json_t *body,
			  const char *const *keys, const char **hold, const char **code)
{
	if (api_only_keys(req, resp, body, keys) < 0 ||
	    api_str(req, resp, body, "hold", 1, APPID_LEN, hold) < 0 ||
	    (code && api_str(req, resp, body, "code", 1, 32, code) < 0))
		return -1;
	if (!appid_valid(*hold, 'H'))
		return http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "no such booking hold");
	return 0;
}

/* POST /api/v1/bookings/confirm {hold, code}: the booking; 201 with its booking code */
static int route_confirm(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "hold", "code", NULL };
	struct office_server *s = req->app;
	if (take(office_server_limit(s, OFFICE_LIMIT_STATUS_IP), req, resp, req->client_ip) < 0)
		return -1;
	json_t *body;
	if (http_req_json(req, resp, &body) < 0)
		return -1;
	const char *hold, *typed;
	char date[11], start[6], digits[HOLD_CODE_SIZE + 1] = "";
	int quota = 0, rc = -1;
	if (confirmation_open(req, resp) < 0 ||
	    confirm_fields(req, resp, body, keys, &hold, &typed) < 0)
		goto out;
	/* spaces and dashes are forgiven; anything else but digits is a typo */
	size_t n = 0;
	for (const char *p = typed; *p; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (*p < '0' || *p > '9' || n >= HOLD_CODE_SIZE - 1) {
			n = 0;
			break;
		}
		digits[n++] = *p;
	}
	digits[n] = '\0';
	if (n != office_server_config(s)->confirmation.code_digits) {
		http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "field 'code' must be the %u "
			     "digits sent to you", office_server_config(s)->confirmation.code_digits);
		goto out;
	}
	struct err e = ERR_INIT;
	sqlite3 *db = api_db_acquire(s);
	int found = hold_slot(db, hold, date, start, &e);
	api_db_release(s, db);
	if (found < 0) {
		http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE, "the booking cannot be read now");
		goto out;
	}
	if (!found) {
		http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "no such booking hold");
		goto out;
	}
	if (check_slot(req, resp, date, start, &quota) < 0)
		goto out;
	char bcode[BOOKCODE_TEXT_SIZE];
	struct hold_confirm op;
	for (int attempt = 0; attempt < 3; attempt++) {
		char canon[BOOKCODE_CANON_SIZE], hash[65];
		err_clear(&e);
		if (bookcode_new(canon, bcode, &e) < 0 ||
		    bookcode_hash_hex(office_server_bookcode_key(s), canon, hash, &e) < 0) {
			api_wf_problem(req, resp, WF_OK, &e);
			goto out;
		}
		sodium_memzero(canon, sizeof canon);
		memset(&op, 0, sizeof op);
		op.cfg = &office_server_config(s)->confirmation;
		op.key = office_server_holdcode_key(s);
		op.hold = hold;
		op.code = digits;
		op.code_hash = hash;
		op.quota = quota;
		op.now_ms = api_now_ms(s);
		int r = office_server_submit(s, hold_confirm, &op, NULL, &e);
		if (r == 0 && op.why == HOLD_OK)
			break;
		if (r == 0) {
			/* a recorded outcome: the op succeeded, so e holds no message */
			err_clear(&e);
			if (op.why == HOLD_WRONG_CODE)
				err_set(&e, ERR_INPUT, "the confirmation code is wrong; %u attempts "
					"left%s", op.attempts_left,
					op.attempts_left ? "" : ": the hold has ended, book again");
			else
				err_set(&e, ERR_INPUT, "the booking hold has expired; book again");
		}
		if (op.why != HOLD_CODE_TAKEN) {
			hold_problem(req, resp, op.why, 0, &e);
			goto out;
		}
	}
	if (op.why != HOLD_OK) {
		hold_problem(req, resp, op.why, 0, &e);
		goto out;
	}
	rc = api_reply(resp, 201, json_pack("{s:s, s:s, s:s, s:s}", "code", bcode, "slot_date",
					    op.slot_date, "slot_start", op.slot_start,
					    "passport_type", op.passport_type));
	sodium_memzero(bcode, sizeof bcode);
out:
	sodium_memzero(digits, sizeof digits);
	json_decref(body);
	return rc;
}

/* POST /api/v1/bookings/resend {hold}: a new code (the old one stops working); 202 */
static int route_resend(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "hold", NULL };
	struct office_server *s = req->app;
	const struct config_confirmation *c = &office_server_config(s)->confirmation;
	if (take(office_server_limit(s, OFFICE_LIMIT_BOOK_IP), req, resp, req->client_ip) < 0)
		return -1;
	json_t *body;
	if (http_req_json(req, resp, &body) < 0)
		return -1;
	const char *hold;
	char code[HOLD_CODE_SIZE] = "";
	int rc = -1;
	struct err e = ERR_INIT;
	if (confirmation_open(req, resp) < 0 ||
	    confirm_fields(req, resp, body, keys, &hold, NULL) < 0)
		goto out;
	if (hold_code_new(c->code_digits, code, &e) < 0) {
		api_wf_problem(req, resp, WF_OK, &e);
		goto out;
	}
	struct hold_resend op = { 0 };
	op.cfg = c;
	op.key = office_server_holdcode_key(s);
	op.hold = hold;
	op.code = code;
	op.now_ms = api_now_ms(s);
	if (office_server_submit(s, hold_resend, &op, NULL, &e) < 0 || op.why != HOLD_OK) {
		if (op.why == HOLD_ENDED && !e.msg[0])
			err_set(&e, ERR_INPUT, "the booking hold has expired; book again");
		hold_problem(req, resp, op.why, op.retry_after_s, &e);
		goto out;
	}
	if (send_code(s, hold, op.sends, op.send_to, op.to, code, &e) < 0) {
		log_warnx("request %s: a new confirmation code of hold %s was not sent: %s",
			  req->request_id, hold, e.msg);
		http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE,
			     "the confirmation code cannot be sent now; try again later");
		goto out;
	}
	rc = api_reply(resp, 202, json_pack("{s:s, s:s, s:s}", "hold", hold, "state", "pending",
					    "send_to", op.send_to));
out:
	sodium_memzero(code, sizeof code);
	json_decref(body);
	return rc;
}

/* The walk-in's slot: today's slot under way, else the next one, else the last one (on
 * a closed day the configured slots are used: the applicant is at the counter). */
static void walk_in_slot(struct office_server *s, char date[11], char start[6])
{
	struct cal_date today;
	int now_min = 0;
	if (api_today(s, &today, &now_min) < 0)
		memset(&today, 0, sizeof today);
	cal_date_format(&today, date);
	const struct config *cfg = office_server_config(s);
	int pick = cfg->nslots ? cfg->slots[cfg->nslots - 1].start_min : 0;
	for (size_t i = 0; i < cfg->nslots; i++)
		if (now_min < cfg->slots[i].end_min) {
			pick = cfg->slots[i].start_min;
			break;
		}
	fmt_hhmm(pick, start);
}

/* POST /api/v1/walk-ins (registrar) */
static int route_walk_in(struct http_req *req, struct http_resp *resp)
{
	const char *actor = api_actor(req, resp);
	if (!actor)
		return -1;
	json_t *body;
	if (http_req_json(req, resp, &body) < 0)
		return -1;
	struct booking_in b;
	int rc = -1;
	if (booking_parse(req, resp, body, 1, &b) < 0)
		goto out;
	char date[11], start[6], app[APPID_LEN + 1], code[BOOKCODE_TEXT_SIZE];
	walk_in_slot(req->app, date, start);
	/* a walk-in is at the counter: the online quota does not turn them away */
	if (booking_submit(req, resp, &b, actor, "walk_in", date, start, INT_MAX, app, code) < 0)
		goto out;
	rc = api_reply(resp, 201, json_pack("{s:s, s:s, s:s, s:s}", "application_id", app,
					    "code", code, "slot_date", date, "slot_start", start));
out:
	json_decref(body);
	return rc;
}

struct lookup {
	char app[APPID_LEN + 1];
	char state[32], slot_date[11], slot_start[6];
	int rescheduled;
};

/*
 * The booking named by {code, nik | identity} in body (throttled per client address):
 * 0 with *l filled, or -1 with a problem (the same 404 for a wrong code or NIK).
 */
static int lookup_booking(struct http_req *req, struct http_resp *resp, const json_t *body,
			  const char *const *allowed, struct lookup *l)
{
	struct office_server *s = req->app;
	if (take(office_server_limit(s, OFFICE_LIMIT_STATUS_IP), req, resp, req->client_ip) < 0)
		return -1;
	const char *code;
	char idref[IDREF_MAX], hash[65];
	int is_nik;
	if (api_only_keys(req, resp, body, allowed) < 0 ||
	    api_str(req, resp, body, "code", 1, BOOKCODE_MAX_INPUT, &code) < 0 ||
	    api_code_hash(req, resp, "code", code, hash) < 0 ||
	    api_need_idref(req, resp, body, idref, &is_nik) < 0)
		return -1;
	/* one statement, its own snapshot (wf_query_booking) */
	struct wf_booking b;
	struct err e = ERR_INIT;
	sqlite3 *db = api_db_acquire_single(s);
	int found = wf_query_booking(db, hash, idref, &b, &e);
	api_db_release_single(s, db);
	int fault = found < 0;
	if (found > 0) {
		memcpy(l->app, b.app, sizeof l->app);
		memcpy(l->state, b.state, sizeof l->state);
		memcpy(l->slot_date, b.slot_date, sizeof l->slot_date);
		memcpy(l->slot_start, b.slot_start, sizeof l->slot_start);
		l->rescheduled = b.rescheduled;
	}
	if (fault)
		return http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE,
				    "the booking cannot be read now");
	if (!found)
		return http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND,
				    "no booking with this code and identity");
	return 0;
}

/* POST /api/v1/bookings/status */
static int route_status(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "code", "nik", "identity", NULL };
	json_t *body;
	if (http_req_json(req, resp, &body) < 0)
		return -1;
	struct lookup l;
	int rc = lookup_booking(req, resp, body, keys, &l);
	json_decref(body);
	if (rc < 0)
		return -1;
	return api_reply(resp, 200, json_pack("{s:s, s:s, s:s, s:b}", "state", l.state,
					      "slot_date", l.slot_date, "slot_start", l.slot_start,
					      "rescheduled", l.rescheduled));
}

/* POST /api/v1/bookings/cancel */
static int route_cancel(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "code", "nik", "identity", "reason", NULL };
	struct office_server *s = req->app;
	json_t *body;
	if (http_req_json(req, resp, &body) < 0)
		return -1;
	struct lookup l;
	const char *reason;
	int rc = -1;
	if (lookup_booking(req, resp, body, keys, &l) < 0 ||
	    api_str(req, resp, body, "reason", 0, 500, &reason) < 0)
		goto out;
	struct wf_cancel op = { { "applicant", l.app, WF_OK, 0 },
				reason ? reason : "cancelled by the applicant" };
	struct err e = ERR_INIT;
	if (office_server_submit(s, wf_cancel, &op, NULL, &e) < 0) {
		api_wf_problem(req, resp, op.hdr.reason, &e);
		goto out;
	}
	rc = api_reply(resp, 200, json_pack("{s:s}", "state", WF_STATE_CANCELLED));
out:
	json_decref(body);
	return rc;
}

/* POST /api/v1/bookings/reschedule */
static int route_reschedule(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "code", "nik", "identity", "slot_date", "slot_start",
					    NULL };
	struct office_server *s = req->app;
	json_t *body;
	if (http_req_json(req, resp, &body) < 0)
		return -1;
	struct lookup l;
	const char *date, *start;
	int quota = 0, rc = -1;
	if (lookup_booking(req, resp, body, keys, &l) < 0 ||
	    api_str(req, resp, body, "slot_date", 1, 10, &date) < 0 ||
	    api_str(req, resp, body, "slot_start", 1, 5, &start) < 0 ||
	    check_slot(req, resp, date, start, &quota) < 0)
		goto out;
	struct wf_reschedule op = { { "applicant", l.app, WF_OK, 0 }, date, start, quota };
	struct err e = ERR_INIT;
	if (office_server_submit(s, wf_reschedule, &op, NULL, &e) < 0) {
		api_wf_problem(req, resp, op.hdr.reason, &e);
		goto out;
	}
	rc = api_reply(resp, 200, json_pack("{s:s, s:s, s:s}", "state", WF_STATE_BOOKED,
					    "slot_date", date, "slot_start", start));
out:
	json_decref(body);
	return rc;
}

#define PUB (HTTP_ROUTE_PUBLIC)

const struct api_route api_booking_routes[] = {
	{ "GET", "/api/v1/bookings/slots", route_slots, PUB, API_ANON, 0, NULL },
	{ "POST", "/api/v1/bookings", route_book, PUB, API_ANON, 0, HTTP_JSON_ONLY },
	{ "POST", "/api/v1/bookings/confirm", route_confirm, PUB, API_ANON, 0, HTTP_JSON_ONLY },
	{ "POST", "/api/v1/bookings/resend", route_resend, PUB, API_ANON, 0, HTTP_JSON_ONLY },
	{ "POST", "/api/v1/bookings/status", route_status, PUB, API_ANON, 0, HTTP_JSON_ONLY },
	{ "POST", "/api/v1/bookings/cancel", route_cancel, PUB, API_ANON, 0, HTTP_JSON_ONLY },
	{ "POST", "/api/v1/bookings/reschedule", route_reschedule, PUB, API_ANON, 0,
	  HTTP_JSON_ONLY },
	{ "POST", "/api/v1/walk-ins", route_walk_in, 0, ACT_BOOKING_WALK_IN, 0, HTTP_JSON_ONLY },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
