/*
 * api_booking — the booking endpoints (docs/API.md "Public", docs/BOOKING.md): free
 * slots, a new booking, its status, cancel and reschedule (public and officers'
 * listeners, anonymous, actor "applicant"), and walk-in bookings by a registrar.
 *
 * The writes (a new booking, its confirmation, a new code, cancel, reschedule, walk-in)
 * are rows of the operation table (office/ops.c, ops_booking): route, throttle, body
 * schema, event and writer are declared there and served by ops_handle; this module
 * keeps their hooks, for what a row cannot say as data, and the two reads (free slots,
 * a booking's status) as hand-written routes.
 *
 * Every field is checked before the workflow sees it (the workflow's kind check runs
 * again on the event): each field's type and size by the row's schema, then here the
 * NIK against the birth date and sex (nik.h, the +40 rule), an identity reference for
 * applicants without a NIK (public booking only at a consular post), the passport type
 * from the configuration, the slot (a configured slot of a working day, within
 * booking.days_ahead local days, not begun). The booking code is made here (bookcode.h)
 * and only its keyed hash is stored; the key is derived from the node's data key with
 * crypto_kdf ("bookcode", id 1).
 *
 * A public booking is made in two steps (docs/BOOKING.md "Confirming a booking",
 * office/booking_hold.h): POST /bookings places a pending hold and sends a one-time
 * code to the applicant's phone or e-mail (office/notify.h); POST /bookings/confirm
 * with that code turns the hold into the booking and only then answers the booking
 * code. A sender that fails answers 503 and the hold is ended at once ("unsent"), so
 * nothing holds a place. Walk-ins (registrar, at the counter) need no code.
 *
 * Rate limits (office/ratelimit.h, sized by paspor.conf; the rows' OP_LIMIT): new
 * bookings per client address and per NIK or reference, status/cancel/reschedule
 * lookups per client address; 429 rate-limited with Retry-After. A lookup needs code
 * and NIK (or reference) to match; a wrong code and a wrong NIK get the same 404.
 *
 * Ownership: what the hooks of one request keep (struct book_call) is c->hold, freed
 * and wiped (the codes) by ops_booking_release.
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
#include "office/notify.h"
#include "office/ops.h"
#include "util/alloc.h"
#include "util/log.h"

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

/* ---------------------------------------------------------------- a request's state */

struct lookup {
	char app[APPID_LEN + 1];
	char state[32], slot_date[11], slot_start[6];
	int rescheduled;
};

/* What the hooks of one booking request keep between them (c->hold). */
struct book_call {
	int quota;                        /* the slot's places */
	const char *send_to;              /* "phone" or "email" */
	json_t *booking;                  /* a hold's booking fields */
	char code[HOLD_CODE_SIZE];        /* the one-time code sent */
	char digits[HOLD_CODE_SIZE + 1];  /* the one-time code as typed, its digits */
	char bcode[BOOKCODE_TEXT_SIZE];   /* the booking code answered */
	char hash[65];                    /* its keyed hash */
	char date[11], start[6];          /* a walk-in's slot */
	struct lookup l;                  /* the booking looked up (cancel, reschedule) */
	union {
		struct hold_place place;
		struct hold_confirm confirm;
		struct hold_resend resend;
	} op;
};

/* c's state, made on first use: NULL (out of memory: the handler's 503) when it cannot
 * be. */
static struct book_call *book_call(struct ops_call *c)
{
	if (!c->hold && !(c->hold = mem_calloc(1, sizeof(struct book_call))))
		err_nomem(&c->resp->err);
	return c->hold;
}

void ops_booking_release(struct ops_call *c)
{
	struct book_call *b = c->hold;
	if (!b)
		return;
	json_decref(b->booking);
	sodium_memzero(b, sizeof *b);
	mem_free(b);
	c->hold = NULL;
}

/* ---------------------------------------------------------------- the booking body */

/* The rules across a booking's fields (the row's schema checked each one): the NIK or
 * an identity reference (online, without a NIK only at a consular post; a walk-in
 * anywhere), the birth date, the sex, the NIK against both, the passport type. */
static int booking_check(struct ops_call *c)
{
	struct http_req *req = c->req;
	struct http_resp *resp = c->resp;
	struct office_server *s = req->app;
	struct wf_book *op = c->op;
	int walk_in = !(c->row->flags & OP_PUBLIC), is_nik;
	if (api_need_idref(req, resp, c->body, c->idref, &is_nik) < 0)
		return -1;
	op->idref = c->idref;
	if (!is_nik && !walk_in && !office_server_config(s)->consular_post)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'nik' is required: only a consular post books "
				    "applicants without a NIK online (a registrar can book them "
				    "at the counter)");
	struct cal_date birth, today;
	if (cal_date_parse(op->birth_date, &birth) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'birth_date' must be a date YYYY-MM-DD");
	if (api_today(s, &today, NULL) == 0 && cal_date_cmp(&birth, &today) > 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'birth_date' is in the future");
	if (strcmp(op->sex, "F") && strcmp(op->sex, "M") && strcmp(op->sex, "X"))
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'sex' must be F, M or X");
	if (is_nik) {
		enum nik_status st = nik_check(c->idref, strlen(c->idref), &birth, op->sex[0],
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
	if (!config_passport_type(office_server_config(s), op->passport_type))
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'passport_type' is not a passport type of this office");
	if (!op->reason)
		op->reason = "new";
	return 0;
}

/* ---------------------------------------------------------------- reads */

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
static json_t *booking_json(const struct wf_book *b)
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


/* ---------------------------------------------------------------- the writes' hooks */

/* POST /api/v1/bookings: the slot, the channel of the code, the code; a pending hold
 * placed and its code sent (submit); 202 */
int ops_book_check(struct ops_call *c)
{
	struct http_req *req = c->req;
	struct http_resp *resp = c->resp;
	struct office_server *s = req->app;
	struct wf_book *op = c->op;
	struct book_call *b = book_call(c);
	if (!b || booking_check(c) < 0 ||
	    check_slot(req, resp, op->slot_date, op->slot_start, &b->quota) < 0 ||
	    confirmation_open(req, resp) < 0 ||
	    api_take(req, resp, OFFICE_LIMIT_BOOK_NIK, op->idref) < 0)
		return -1;
	const struct notify *n = office_server_notify(s);
	b->send_to = json_string_value(json_object_get(c->body, "send_code_to"));
	if (!b->send_to)
		b->send_to = notify_can(n, NOTIFY_PHONE) ? "phone" : "email";
	if (strcmp(b->send_to, "phone") && strcmp(b->send_to, "email"))
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'send_code_to' must be 'phone' or 'email'");
	if (!notify_can(n, strcmp(b->send_to, "email") ? NOTIFY_PHONE : NOTIFY_EMAIL))
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'send_code_to': this office sends no codes by %s",
				    strcmp(b->send_to, "email") ? "phone" : "e-mail");
	if (!(b->booking = booking_json(op)))
		return err_nomem(&resp->err);
	if (hold_code_new(office_server_config(s)->confirmation.code_digits, b->code, &c->e) < 0)
		return api_wf_problem(req, resp, WF_OK, &c->e);
	return 0;
}

int ops_book_submit(struct ops_call *c)
{
	struct http_req *req = c->req;
	struct office_server *s = req->app;
	const struct wf_book *bk = c->op;
	struct book_call *b = c->hold;
	struct hold_place *op = &b->op.place;
	*op = (struct hold_place){ &office_server_config(s)->confirmation,
				   office_server_holdcode_key(s), b->booking, b->send_to, b->code,
				   b->quota, api_now_ms(s), "", HOLD_OK, 0 };
	if (office_server_submit(s, hold_place, op, NULL, &c->e) < 0)
		return hold_problem(req, c->resp, op->why, op->retry_after_s, &c->e);
	int email = strcmp(b->send_to, "email") == 0;
	if (send_code(s, op->hold, 1, b->send_to, email ? bk->email : bk->phone, b->code,
		      &c->e) < 0) {
		log_warnx("request %s: the confirmation code of hold %s was not sent: %s",
			  req->request_id, op->hold, c->e.msg);
		struct hold_end end = { op->hold, "unsent", HOLD_OK };
		struct err e2 = ERR_INIT;
		if (office_server_submit(s, hold_end, &end, NULL, &e2) < 0)
			log_warnx("request %s: hold %s not ended: %s", req->request_id, op->hold,
				  e2.msg);
		return http_problem(req, c->resp, HTTP_PROBLEM_UNAVAILABLE,
				    "the confirmation code cannot be sent now (%s sender); nothing "
				    "was booked: try again later",
				    notify_sender_name(office_server_notify(s),
						       email ? NOTIFY_EMAIL : NOTIFY_PHONE));
	}
	return 0;
}

int ops_book_reply(struct ops_call *c)
{
	const struct config_confirmation *cc = &office_server_config(c->req->app)->confirmation;
	const struct wf_book *bk = c->op;
	const struct book_call *b = c->hold;
	return api_reply(c->resp, 202, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "hold",
						 b->op.place.hold, "state", "pending", "send_to",
						 b->send_to, "slot_date", bk->slot_date,
						 "slot_start", bk->slot_start, "expires_in_seconds",
						 (json_int_t)cc->hold_seconds, "code_digits",
						 (json_int_t)cc->code_digits));
}

/* The gate of confirm and resend (OP_CHECK_FIRST): an office without a confirmation
 * section takes no online bookings, whatever the body holds. */
int ops_confirmation_open(struct ops_call *c)
{
	if (confirmation_open(c->req, c->resp) < 0 || !book_call(c))
		return -1;
	return 0;
}

/* The hold a confirm or resend body names (the schema checked it is a string): 404
 * unless it is a hold id. */
static const char *body_hold(struct ops_call *c)
{
	const char *hold = json_string_value(json_object_get(c->body, "hold"));
	if (!appid_valid(hold, 'H')) {
		http_problem(c->req, c->resp, HTTP_PROBLEM_NOT_FOUND, "no such booking hold");
		return NULL;
	}
	return hold;
}

/* POST /api/v1/bookings/confirm {hold, code}: the booking; 201 with its booking code */
int ops_confirm_submit(struct ops_call *c)
{
	const char *hold = body_hold(c);
	if (!hold)
		return -1;
	struct http_req *req = c->req;
	struct http_resp *resp = c->resp;
	struct office_server *s = req->app;
	struct book_call *b = c->hold;
	/* spaces and dashes are forgiven; anything else but digits is a typo */
	const char *typed = json_string_value(json_object_get(c->body, "code"));
	size_t n = 0;
	for (const char *p = typed; *p; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (*p < '0' || *p > '9' || n >= HOLD_CODE_SIZE - 1) {
			n = 0;
			break;
		}
		b->digits[n++] = *p;
	}
	b->digits[n] = '\0';
	if (n != office_server_config(s)->confirmation.code_digits)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "field 'code' must be "
				    "the %u digits sent to you",
				    office_server_config(s)->confirmation.code_digits);
	sqlite3 *db = api_db_acquire(s);
	int found = hold_slot(db, hold, b->date, b->start, &c->e);
	api_db_release(s, db);
	if (found < 0)
		return http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE,
				    "the booking cannot be read now");
	if (!found)
		return http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "no such booking hold");
	if (check_slot(req, resp, b->date, b->start, &b->quota) < 0)
		return -1;
	struct hold_confirm *op = &b->op.confirm;
	for (int attempt = 0; attempt < 3; attempt++) {
		char canon[BOOKCODE_CANON_SIZE];
		err_clear(&c->e);
		if (bookcode_new(canon, b->bcode, &c->e) < 0 ||
		    bookcode_hash_hex(office_server_bookcode_key(s), canon, b->hash, &c->e) < 0)
			return api_wf_problem(req, resp, WF_OK, &c->e);
		sodium_memzero(canon, sizeof canon);
		memset(op, 0, sizeof *op);
		op->cfg = &office_server_config(s)->confirmation;
		op->key = office_server_holdcode_key(s);
		op->hold = hold;
		op->code = b->digits;
		op->code_hash = b->hash;
		op->quota = b->quota;
		op->now_ms = api_now_ms(s);
		int r = office_server_submit(s, hold_confirm, op, NULL, &c->e);
		if (r == 0 && op->why == HOLD_OK)
			return 0;
		if (r == 0) {
			/* a recorded outcome: the op succeeded, so e holds no message */
			err_clear(&c->e);
			if (op->why == HOLD_WRONG_CODE)
				err_set(&c->e, ERR_INPUT, "the confirmation code is wrong; %u "
					"attempts left%s", op->attempts_left, op->attempts_left ? ""
					: ": the hold has ended, book again");
			else
				err_set(&c->e, ERR_INPUT,
					"the booking hold has expired; book again");
		}
		if (op->why != HOLD_CODE_TAKEN)
			break;
	}
	return hold_problem(req, resp, op->why, 0, &c->e);
}

int ops_confirm_reply(struct ops_call *c)
{
	const struct book_call *b = c->hold;
	const struct hold_confirm *op = &b->op.confirm;
	return api_reply(c->resp, 201, json_pack("{s:s, s:s, s:s, s:s}", "code", b->bcode,
						 "slot_date", op->slot_date, "slot_start",
						 op->slot_start, "passport_type",
						 op->passport_type));
}

/* POST /api/v1/bookings/resend {hold}: a new code (the old one stops working); 202 */
int ops_resend_submit(struct ops_call *c)
{
	struct http_req *req = c->req;
	struct office_server *s = req->app;
	const struct config_confirmation *cc = &office_server_config(s)->confirmation;
	struct book_call *b = c->hold;
	const char *hold = body_hold(c);
	if (!hold)
		return -1;
	if (hold_code_new(cc->code_digits, b->code, &c->e) < 0)
		return api_wf_problem(req, c->resp, WF_OK, &c->e);
	struct hold_resend *op = &b->op.resend;
	op->cfg = cc;
	op->key = office_server_holdcode_key(s);
	op->hold = hold;
	op->code = b->code;
	op->now_ms = api_now_ms(s);
	if (office_server_submit(s, hold_resend, op, NULL, &c->e) < 0 || op->why != HOLD_OK) {
		if (op->why == HOLD_ENDED && !c->e.msg[0])
			err_set(&c->e, ERR_INPUT, "the booking hold has expired; book again");
		return hold_problem(req, c->resp, op->why, op->retry_after_s, &c->e);
	}
	if (send_code(s, hold, op->sends, op->send_to, op->to, b->code, &c->e) < 0) {
		log_warnx("request %s: a new confirmation code of hold %s was not sent: %s",
			  req->request_id, hold, c->e.msg);
		return http_problem(req, c->resp, HTTP_PROBLEM_UNAVAILABLE,
				    "the confirmation code cannot be sent now; try again later");
	}
	return 0;
}

int ops_resend_reply(struct ops_call *c)
{
	const struct book_call *b = c->hold;
	return api_reply(c->resp, 202, json_pack("{s:s, s:s, s:s}", "hold", b->op.resend.hold,
						 "state", "pending", "send_to",
						 b->op.resend.send_to));
}

/*
 * The booking named by {code, nik | identity} in body (the code a string of the right
 * size; the client's throttle taken): 0 with *l filled, or -1 with a problem (the same
 * 404 for a wrong code or NIK).
 */
static int lookup_booking(struct http_req *req, struct http_resp *resp, const json_t *body,
			  struct lookup *l)
{
	struct office_server *s = req->app;
	const char *code = json_string_value(json_object_get(body, "code"));
	char idref[IDREF_MAX], hash[65];
	int is_nik;
	if (api_code_hash(req, resp, "code", code, hash) < 0 ||
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

/* c's booking looked up into its state: the booking, or NULL with a problem written. */
static struct book_call *looked_up(struct ops_call *c)
{
	struct book_call *b = book_call(c);
	if (!b || lookup_booking(c->req, c->resp, c->body, &b->l) < 0)
		return NULL;
	return b;
}

/* POST /api/v1/bookings/cancel {code, nik | identity, reason?} */
int ops_cancel_check(struct ops_call *c)
{
	struct wf_cancel *op = c->op;
	const char *reason;
	struct book_call *b = looked_up(c);
	if (!b || api_str(c->req, c->resp, c->body, "reason", 0, 500, &reason) < 0)
		return -1;
	op->hdr.app = b->l.app;
	op->reason = reason ? reason : "cancelled by the applicant";
	return 0;
}

int ops_cancel_reply(struct ops_call *c)
{
	return api_reply(c->resp, 200, json_pack("{s:s}", "state", c->row->state));
}

/* POST /api/v1/bookings/reschedule {code, nik | identity, slot_date, slot_start} */
int ops_reschedule_check(struct ops_call *c)
{
	struct http_req *req = c->req;
	struct http_resp *resp = c->resp;
	struct wf_reschedule *op = c->op;
	struct book_call *b = looked_up(c);
	if (!b || api_str(req, resp, c->body, "slot_date", 1, 10, &op->slot_date) < 0 ||
	    api_str(req, resp, c->body, "slot_start", 1, 5, &op->slot_start) < 0 ||
	    check_slot(req, resp, op->slot_date, op->slot_start, &op->quota) < 0)
		return -1;
	op->hdr.app = b->l.app;
	return 0;
}

int ops_reschedule_reply(struct ops_call *c)
{
	const struct wf_reschedule *op = c->op;
	return api_reply(c->resp, 200, json_pack("{s:s, s:s, s:s}", "state", c->row->state,
						 "slot_date", op->slot_date, "slot_start",
						 op->slot_start));
}


/* POST /api/v1/walk-ins (registrar): booked at once in today's slot; 201 with the
 * booking code */
int ops_walk_in_check(struct ops_call *c)
{
	struct wf_book *op = c->op;
	struct book_call *b = book_call(c);
	if (!b || booking_check(c) < 0)
		return -1;
	walk_in_slot(c->req->app, b->date, b->start);
	op->slot_date = b->date;
	op->slot_start = b->start;
	op->channel = "walk_in";
	op->quota = INT_MAX; /* a walk-in is at the counter: the online quota does not turn
			      * them away */
	return 0;
}

/* Books through the writer with a fresh code (a taken code hash is retried). */
int ops_walk_in_submit(struct ops_call *c)
{
	struct office_server *s = c->req->app;
	struct wf_book *op = c->op;
	struct book_call *b = c->hold;
	for (int attempt = 0; attempt < 3; attempt++) {
		char canon[BOOKCODE_CANON_SIZE];
		err_clear(&c->e);
		op->hdr.app = NULL;
		op->hdr.reason = WF_OK;
		if (bookcode_new(canon, b->bcode, &c->e) < 0 ||
		    bookcode_hash_hex(office_server_bookcode_key(s), canon, b->hash, &c->e) < 0)
			return -1; /* hdr.reason WF_OK: the fault in c->e */
		sodium_memzero(canon, sizeof canon);
		op->code_hash = b->hash;
		op->now_ms = api_now_ms(s);
		if (office_server_submit(s, wf_book, op, NULL, &c->e) == 0)
			return 0;
		if (op->hdr.reason != WF_CODE_TAKEN)
			return -1;
	}
	return -1; /* WF_CODE_TAKEN */
}

int ops_walk_in_reply(struct ops_call *c)
{
	const struct wf_book *op = c->op;
	const struct book_call *b = c->hold;
	return api_reply(c->resp, 201, json_pack("{s:s, s:s, s:s, s:s}", "application_id",
						 op->app_id, "code", b->bcode, "slot_date",
						 op->slot_date, "slot_start", op->slot_start));
}

/* ---------------------------------------------------------------- reads */

/* POST /api/v1/bookings/status */
static int route_status(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "code", "nik", "identity", NULL };
	json_t *body;
	if (http_req_json(req, resp, &body) < 0)
		return -1;
	struct lookup l;
	const char *code;
	int rc = -1;
	if (api_take(req, resp, OFFICE_LIMIT_STATUS_IP, req->client_ip) == 0 &&
	    api_only_keys(req, resp, body, keys) == 0 &&
	    api_str(req, resp, body, "code", 1, BOOKCODE_MAX_INPUT, &code) == 0)
		rc = lookup_booking(req, resp, body, &l);
	json_decref(body);
	if (rc < 0)
		return -1;
	return api_reply(resp, 200, json_pack("{s:s, s:s, s:s, s:b}", "state", l.state,
					      "slot_date", l.slot_date, "slot_start", l.slot_start,
					      "rescheduled", l.rescheduled));
}

#define PUB (HTTP_ROUTE_PUBLIC)

/* with the operations' routes (office/ops.c) in api_booking_routes: OPS_ROUTE places
 * them in the order the routes always had (`paspor office routes`, Allow) */
const struct api_route api_booking_read_routes[] = {
	{ "GET", "/api/v1/bookings/slots", route_slots, PUB, API_ANON, 0, NULL },
	OPS_ROUTE("POST", "/api/v1/bookings"),
	OPS_ROUTE("POST", "/api/v1/bookings/confirm"),
	OPS_ROUTE("POST", "/api/v1/bookings/resend"),
	{ "POST", "/api/v1/bookings/status", route_status, PUB, API_ANON, 0, HTTP_JSON_ONLY },
	OPS_ROUTE("POST", "/api/v1/bookings/cancel"),
	OPS_ROUTE("POST", "/api/v1/bookings/reschedule"),
	OPS_ROUTE("POST", "/api/v1/walk-ins"),
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
