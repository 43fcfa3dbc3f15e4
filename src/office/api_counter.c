/*
 * api_counter — the officers' workflow steps (docs/API.md "Officers", docs/WORKFLOW.md):
 * check-in, no-show, documents, photo, fingerprints, enrolment, interview, watchlist
 * check, decision, payment and its confirmation, and local watchlist entries.
 *
 * Each handler reads and checks its body, fills the workflow operation with the
 * officer as actor ("officer:<username>") and submits it through office_server_submit;
 * a refusal (enum wf_reason) becomes its problem (api_wf_problem). The route's role
 * mask (from the role × action table) is checked before the handler; the decision route
 * admits approvers and rejecters and checks the one action asked for, and a watchlist
 * override needs watchlist.override and is refused to the officer who enrolled or
 * interviewed the applicant (separation of duties, docs/ROLES.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "office/api.h"
#include "office/auth_http.h"
#include "office/nik.h"
#include "office/photo.h"

/* Answers {"application_id", "state"} after a step. */
static int step_ok(struct http_resp *resp, const char *app, const char *state)
{
	return api_reply(resp, 200, json_pack("{s:s, s:s}", "application_id", app, "state", state));
}

/* Submits op (whose first member is struct wf_hdr) and answers the step. */
static int run_step(struct http_req *req, struct http_resp *resp, writer_fn fn, void *op,
		    const char *state)
{
	struct office_server *s = req->app;
	struct wf_hdr *h = op;
	struct err e = ERR_INIT;
	if (office_server_submit(s, fn, op, NULL, &e) < 0)
		return api_wf_problem(req, resp, h->reason, &e);
	return step_ok(resp, h->app, state);
}

/* Common start: actor, app id, body (JSON object; empty allowed) with only `keys`. */
static int begin(struct http_req *req, struct http_resp *resp, const char *const *keys,
		 struct wf_hdr *h, json_t **body)
{
	*body = NULL;
	memset(h, 0, sizeof *h);
	if (!(h->actor = api_actor(req, resp)) || api_app_id(req, resp, &h->app) < 0 ||
	    api_body(req, resp, 1, body) < 0)
		return -1;
	if (api_only_keys(req, resp, *body, keys) < 0) {
		json_decref(*body);
		*body = NULL;
		return -1;
	}
	return 0;
}

static const char *const NO_KEYS[] = { NULL };

static int route_check_in(struct http_req *req, struct http_resp *resp)
{
	struct wf_hdr h;
	json_t *body;
	if (begin(req, resp, NO_KEYS, &h, &body) < 0)
		return -1;
	json_decref(body);
	return run_step(req, resp, wf_check_in, &h, WF_STATE_CHECKED_IN);
}

static int route_no_show(struct http_req *req, struct http_resp *resp)
{
	struct wf_no_show op;
	json_t *body;
	if (begin(req, resp, NO_KEYS, &op.hdr, &body) < 0)
		return -1;
	json_decref(body);
	struct cal_date today;
	char ds[11];
	if (api_today(req->app, &today, NULL) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INTERNAL, NULL);
	cal_date_format(&today, ds);
	op.today = ds;
	return run_step(req, resp, wf_no_show, &op, WF_STATE_NO_SHOW);
}

static int route_documents(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "identity_card", "family_card", "civil_record",
					    "old_passport", NULL };
	struct wf_documents op;
	json_t *body;
	if (begin(req, resp, keys, &op.hdr, &body) < 0)
		return -1;
	for (size_t i = 0; keys[i]; i++) {
		json_t *d = json_object_get(body, keys[i]);
		if (!d) {
			json_decref(body);
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					    "field '%s' is missing", keys[i]);
		}
		if (!json_is_object(d)) {
			json_decref(body);
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					    "field '%s' must be an object {status, note}", keys[i]);
		}
	}
	op.documents = body;
	int rc = run_step(req, resp, wf_record_documents, &op, WF_STATE_DOCUMENTS_VERIFIED);
	json_decref(body);
	return rc;
}

static int route_photo(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	struct wf_photo op;
	memset(&op, 0, sizeof op);
	if (!(op.hdr.actor = api_actor(req, resp)) || api_app_id(req, resp, &op.hdr.app) < 0)
		return -1;
	if (req->body_len == 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "the photo (a JPEG body) is missing");
	struct err e = ERR_INIT;
	if (wf_photo_prepare(&op, req->body, req->body_len, &e) < 0) {
		if (op.hdr.reason == WF_INVALID_INPUT)
			return http_problem(req, resp, HTTP_PROBLEM_UNPROCESSABLE, "%s", e.msg);
		return api_wf_problem(req, resp, op.hdr.reason, &e);
	}
	int rc;
	if (office_server_prestore_blob(s, op.jpeg.data, op.jpeg.len, &e) < 0 ||
	    office_server_submit(s, wf_enrol_photo, &op, NULL, &e) < 0) {
		if (op.hdr.reason == WF_INVALID_INPUT)
			rc = http_problem(req, resp, HTTP_PROBLEM_UNPROCESSABLE, "%s", e.msg);
		else
			rc = api_wf_problem(req, resp, op.hdr.reason, &e);
	} else {
		rc = api_reply(resp, 200, json_pack("{s:s, s:s, s:I, s:I, s:I}", "application_id",
						    op.hdr.app, "blob", op.blob, "width",
						    (json_int_t)op.width, "height",
						    (json_int_t)op.height, "bytes",
						    (json_int_t)op.jpeg.len));
	}
	wf_photo_release(&op);
	return rc;
}

static int route_fingerprint(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	struct wf_fingerprint op;
	memset(&op, 0, sizeof op);
	if (!(op.hdr.actor = api_actor(req, resp)) || api_app_id(req, resp, &op.hdr.app) < 0)
		return -1;
	const char *p = http_req_param(req, "position");
	char *end = NULL;
	long pos = p ? strtol(p, &end, 10) : 0;
	if (!p || !*p || *end || pos < 1 || pos > WF_FINGERPRINTS_MAX || p[0] == '0')
		return http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND,
				    "fingerprint position must be 1 to 10");
	if (req->body_len == 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "the fingerprint image (the body) is missing");
	op.position = (int)pos;
	op.image = req->body;
	op.len = req->body_len;
	struct err e = ERR_INIT;
	if ((op.len <= WF_FINGERPRINT_MAX_BYTES &&
	     office_server_prestore_blob(s, op.image, op.len, &e) < 0) ||
	    office_server_submit(s, wf_enrol_fingerprint, &op, NULL, &e) < 0) {
		if (op.hdr.reason == WF_INVALID_INPUT)
			return http_problem(req, resp, HTTP_PROBLEM_UNPROCESSABLE, "%s", e.msg);
		return api_wf_problem(req, resp, op.hdr.reason, &e);
	}
	return api_reply(resp, 200, json_pack("{s:s, s:i, s:s}", "application_id", op.hdr.app,
					      "position", op.position, "blob", op.blob));
}

/* "P<" + issuing state + the MRZ name field: line 1 of the TD3 MRZ, as it will be printed */
static void mrz_name_line(const struct office_server *s, const char *field, char out[45])
{
	const struct config_issuance *is = &office_server_config(s)->issuance;
	const char *st = is->issuing_state[0] ? is->issuing_state : "IDN";
	snprintf(out, 45, "P<%-3.3s%.39s", st, field);
	for (char *p = out + 2; p < out + 5; p++)
		if (*p == ' ')
			*p = '<';
}

/* {primary_identifier, secondary_identifier}: the split of the name the applicant
 * confirms; the answer shows the MRZ name line it makes. */
static int route_enrolment(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "primary_identifier", "secondary_identifier", NULL };
	struct office_server *s = req->app;
	struct wf_enrol op;
	memset(&op, 0, sizeof op);
	json_t *body;
	if (begin(req, resp, keys, &op.hdr, &body) < 0)
		return -1;
	int rc = api_str(req, resp, body, "primary_identifier", 1, 100, &op.primary);
	if (rc == 0 && !json_object_get(body, "secondary_identifier"))
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "field "
				  "'secondary_identifier' is missing: the given names as the "
				  "applicant confirms them (\"\" for a one-word name)");
	const json_t *sec = json_object_get(body, "secondary_identifier");
	if (rc == 0 && json_is_string(sec) && json_string_length(sec) == 0)
		op.secondary = ""; /* a one-word name */
	else if (rc == 0)
		rc = api_str(req, resp, body, "secondary_identifier", 1, 100, &op.secondary);
	if (rc == 0) {
		struct err e = ERR_INIT;
		if (office_server_submit(s, wf_complete_enrolment, &op, NULL, &e) < 0) {
			rc = api_wf_problem(req, resp, op.hdr.reason, &e);
		} else {
			char line[45];
			mrz_name_line(s, op.mrz_name, line);
			rc = api_reply(resp, 200, json_pack("{s:s, s:s, s:s, s:b}", "application_id",
							    op.hdr.app, "state", WF_STATE_ENROLLED,
							    "mrz_name_line", line, "mrz_name_truncated",
							    op.truncated));
		}
	}
	json_decref(body);
	return rc;
}

static int route_interview(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "notes", NULL };
	struct wf_interview op;
	json_t *body;
	if (begin(req, resp, keys, &op.hdr, &body) < 0)
		return -1;
	int rc = api_str(req, resp, body, "notes", 1, 20000, &op.notes);
	if (rc == 0)
		rc = run_step(req, resp, wf_interview, &op, WF_STATE_INTERVIEWED);
	json_decref(body);
	return rc;
}

/* Separation of duties for a watchlist override: not the officer who enrolled or
 * interviewed (as the projection records them). */
static int override_allowed(struct http_req *req, struct http_resp *resp, const char *app)
{
	struct office_server *s = req->app;
	const struct auth_officer *o = auth_http_officer(req);
	struct err e = ERR_INIT;
	if (auth_authorize(o, ACT_WATCHLIST_OVERRIDE, &e) != AUTH_OK)
		return http_problem(req, resp, HTTP_PROBLEM_FORBIDDEN,
				    "your role may not override a watchlist hit");
	sqlite3 *db = api_db_acquire(s);
	json_t *row = NULL;
	enum wf_reason reason = WF_OK;
	int rc = wf_query_get(db, app, &row, &reason, &e);
	api_db_release(s, db);
	if (rc < 0)
		return api_wf_problem(req, resp, reason, &e);
	const char *by[] = { json_string_value(json_object_get(row, "enrolled_by")),
			     json_string_value(json_object_get(row, "interviewed_by")) };
	int same = 0;
	for (int i = 0; i < 2; i++)
		if (by[i] && strcmp(by[i], o->actor) == 0)
			same = 1;
	json_decref(row);
	if (same)
		return http_problem(req, resp, HTTP_PROBLEM_SEPARATION,
				    "an officer who enrolled or interviewed the applicant may not "
				    "override their watchlist check");
	return 0;
}

static int route_watchlist_check(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "override", NULL };
	struct office_server *s = req->app;
	struct wf_watch_check op;
	memset(&op, 0, sizeof op);
	json_t *body;
	if (begin(req, resp, keys, &op.hdr, &body) < 0)
		return -1;
	int rc = api_str(req, resp, body, "override", 0, 500, &op.override);
	if (rc == 0 && op.override)
		rc = override_allowed(req, resp, op.hdr.app);
	if (rc == 0) {
		op.now_ms = api_now_ms(s);
		struct err e = ERR_INIT;
		if (office_server_submit(s, wf_watchlist_check, &op, NULL, &e) < 0)
			rc = api_wf_problem(req, resp, op.hdr.reason, &e);
		else
			rc = api_reply(resp, 200, json_pack("{s:s, s:s, s:I, s:b}",
							    "application_id", op.hdr.app, "result",
							    op.hit ? "hit" : "clear", "entries",
							    (json_int_t)op.entries, "override",
							    op.override != NULL));
	}
	json_decref(body);
	return rc;
}

static int route_decision(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "decision", "reasons", NULL };
	struct wf_decision op;
	memset(&op, 0, sizeof op);
	json_t *body;
	if (begin(req, resp, keys, &op.hdr, &body) < 0)
		return -1;
	const char *d;
	int rc = api_str(req, resp, body, "decision", 1, 16, &d);
	if (rc == 0 && strcmp(d, "approve") && strcmp(d, "reject"))
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				  "field 'decision' must be approve or reject");
	json_t *reasons = json_object_get(body, "reasons");
	if (rc == 0 && (!json_is_array(reasons) || json_array_size(reasons) < 1 ||
			json_array_size(reasons) > 20))
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				  "field 'reasons' must be an array of 1 to 20 strings");
	if (rc == 0) {
		op.approve = strcmp(d, "approve") == 0;
		struct err e = ERR_INIT;
		if (auth_authorize(auth_http_officer(req), op.approve ? ACT_APPROVE : ACT_REJECT,
				   &e) != AUTH_OK)
			rc = http_problem(req, resp, HTTP_PROBLEM_FORBIDDEN,
					  "your role may not %s applications", d);
	}
	if (rc == 0 && !op.approve) {
		op.reasons = reasons;
		rc = run_step(req, resp, wf_decide, &op, WF_STATE_REJECTED);
	} else if (rc == 0) {
		/* the approval answers the MRZ name line it approved, as it will be printed */
		op.reasons = reasons;
		struct err e = ERR_INIT;
		if (office_server_submit(req->app, wf_decide, &op, NULL, &e) < 0) {
			rc = api_wf_problem(req, resp, op.hdr.reason, &e);
		} else {
			char line[45];
			mrz_name_line(req->app, op.mrz_name, line);
			rc = api_reply(resp, 200, json_pack("{s:s, s:s, s:s, s:b}", "application_id",
							    op.hdr.app, "state", WF_STATE_APPROVED,
							    "mrz_name_line", line, "mrz_name_truncated",
							    op.truncated));
		}
	}
	json_decref(body);
	return rc;
}

static int route_payment(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "billing_code", "amount", "currency", "service",
					    "billed_on", "status", NULL };
	struct office_server *s = req->app;
	struct wf_payment op;
	memset(&op, 0, sizeof op);
	json_t *body;
	if (begin(req, resp, keys, &op.hdr, &body) < 0)
		return -1;
	const char *status;
	int rc = -1;
	if (api_str(req, resp, body, "billing_code", 1, 64, &op.billing_code) < 0 ||
	    api_int(req, resp, body, "amount", 1, 1, (int64_t)1 << 50, &op.amount, NULL) < 0 ||
	    api_str(req, resp, body, "currency", 1, 3, &op.currency) < 0 ||
	    api_str(req, resp, body, "service", 0, 32, &op.service) < 0 ||
	    api_str(req, resp, body, "billed_on", 1, 10, &op.billed_on) < 0 ||
	    api_str(req, resp, body, "status", 0, 16, &status) < 0)
		goto out;
	if (status && strcmp(status, "pending") != 0) {
		/* whoever records the billing cannot also confirm it (issue 13) */
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "field 'status' may only "
				  "be 'pending': a payment is confirmed by another officer with its "
				  "NTPN (POST /api/v1/applications/%s/payment/confirm)", op.hdr.app);
		goto out;
	}
	if (strcmp(op.currency, office_server_config(s)->currency) != 0) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				  "field 'currency' must be the office's currency %s",
				  office_server_config(s)->currency);
		goto out;
	}
	struct cal_date today;
	char today_s[11];
	api_today(s, &today, NULL);
	cal_date_format(&today, today_s);
	op.cfg = office_server_config(s);
	op.today = today_s;
	rc = run_step(req, resp, wf_record_payment, &op, WF_STATE_PAID);
out:
	json_decref(body);
	return rc;
}

static int route_payment_confirm(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "billing_code", "ntpn", NULL };
	struct wf_payment_confirm op;
	json_t *body;
	if (begin(req, resp, keys, &op.hdr, &body) < 0)
		return -1;
	int rc = api_str(req, resp, body, "billing_code", 1, 64, &op.billing_code);
	if (rc == 0)
		rc = api_str(req, resp, body, "ntpn", 1, 16, &op.ntpn);
	if (rc == 0)
		rc = run_step(req, resp, wf_confirm_payment, &op, WF_STATE_PAID);
	json_decref(body);
	return rc;
}

/* POST /api/v1/watchlist: {nik | identity | full_name + birth_date, reason} */
static int route_watchlist_add(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "nik", "identity", "full_name", "birth_date",
					    "reason", NULL };
	struct office_server *s = req->app;
	struct wf_watch_add op;
	memset(&op, 0, sizeof op);
	if (!(op.hdr.actor = api_actor(req, resp)))
		return -1;
	json_t *body;
	if (http_req_json(req, resp, &body) < 0)
		return -1;
	char idref[IDREF_MAX];
	int rc = -1;
	if (api_only_keys(req, resp, body, keys) < 0 ||
	    api_str(req, resp, body, "reason", 1, 500, &op.reason) < 0 ||
	    api_str(req, resp, body, "full_name", 0, 150 * 4, &op.full_name) < 0 ||
	    api_str(req, resp, body, "birth_date", 0, 10, &op.birth_date) < 0)
		goto out;
	int is_nik, have = api_idref(req, resp, body, idref, &is_nik);
	if (have < 0)
		goto out;
	if (have)
		op.idref = idref;
	if (!op.idref && (!op.full_name || !op.birth_date)) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				  "an entry needs 'nik' or 'identity', or 'full_name' and "
				  "'birth_date'");
		goto out;
	}
	if (op.idref && (op.full_name || op.birth_date)) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				  "an entry has 'nik' or 'identity', or 'full_name' and "
				  "'birth_date', not both");
		goto out;
	}
	op.source = "office";
	op.now_ms = api_now_ms(s);
	struct err e = ERR_INIT;
	if (office_server_submit(s, wf_watchlist_add, &op, NULL, &e) < 0)
		rc = api_wf_problem(req, resp, op.hdr.reason, &e);
	else
		rc = api_reply(resp, 201, json_pack("{s:s}", "id", op.entry_id));
out:
	json_decref(body);
	return rc;
}

static const char *const PHOTO_TYPES[] = { "image/jpeg", NULL };
static const char *const FINGER_TYPES[] = { "image/jpeg", "image/png", "image/jp2",
					    "image/x-wsq", "application/octet-stream", NULL };

#define APP "/api/v1/applications/{id}"
#define PHOTO_BODY_MAX ((size_t)8 << 20)

const struct api_route api_counter_routes[] = {
	{ "POST", APP "/check-in", route_check_in, 0, ACT_CHECK_IN, 0, HTTP_JSON_ONLY },
	{ "POST", APP "/no-show", route_no_show, 0, ACT_CHECK_IN, 0, HTTP_JSON_ONLY },
	{ "POST", APP "/documents", route_documents, 0, ACT_DOCUMENTS_VERIFY, 0,
	  HTTP_JSON_ONLY },
	{ "PUT", APP "/photo", route_photo, 0, ACT_ENROL_PHOTO, PHOTO_BODY_MAX, PHOTO_TYPES },
	{ "PUT", APP "/fingerprints/{position}", route_fingerprint, 0, ACT_ENROL_FINGERPRINTS,
	  WF_FINGERPRINT_MAX_BYTES, FINGER_TYPES },
	{ "POST", APP "/enrolment", route_enrolment, 0, ACT_ENROL_PHOTO, 0, HTTP_JSON_ONLY },
	{ "POST", APP "/interview", route_interview, 0, ACT_INTERVIEW, 0, HTTP_JSON_ONLY },
	{ "POST", APP "/watchlist-check", route_watchlist_check, 0, ACT_WATCHLIST_CHECK, 0,
	  HTTP_JSON_ONLY },
	{ "POST", APP "/decision", route_decision, 0, ACT_APPROVE, 0, HTTP_JSON_ONLY },
	{ "POST", APP "/payment", route_payment, 0, ACT_PAYMENT_RECORD, 0, HTTP_JSON_ONLY },
	{ "POST", APP "/payment/confirm", route_payment_confirm, 0, ACT_PAYMENT_CONFIRM, 0,
	  HTTP_JSON_ONLY },
	{ "POST", "/api/v1/watchlist", route_watchlist_add, 0, ACT_WATCHLIST_ADD, 0,
	  HTTP_JSON_ONLY },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
