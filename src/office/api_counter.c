/*
 * api_counter — the hooks of the officers' workflow steps (docs/API.md "Officers",
 * docs/WORKFLOW.md): check-in, no-show, documents, photo, fingerprints, enrolment,
 * interview, watchlist check, decision, payment and its confirmation, and local
 * watchlist entries.
 *
 * The steps are rows of the operation table (office/ops.c): route, action, body schema,
 * event, writer operation and answer are declared there and served by ops_handle. What
 * stays here is what a row cannot say as data: the uploads (the photo is normalised and
 * stored before the writer is asked), the enrolment's one-word name, the payment's
 * cross-field rules, a watchlist override's separation of duties (not the officer who
 * enrolled or interviewed the applicant, docs/ROLES.md), the watchlist entry's identity,
 * and the answers that say more than the state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "office/api.h"
#include "office/auth_http.h"
#include "office/nik.h"
#include "office/ops.h"
#include "office/photo.h"

/* ---- uploads: photo and fingerprints ---- */

int ops_photo_check(struct ops_call *c)
{
	struct wf_photo *op = c->op;
	if (c->req->body_len == 0)
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_FIELD,
				    "the photo (a JPEG body) is missing");
	if (wf_photo_prepare(op, c->req->body, c->req->body_len, &c->e) < 0)
		return ops_refused(c);
	return 0;
}

int ops_photo_submit(struct ops_call *c)
{
	struct wf_photo *op = c->op;
	if (office_server_prestore_blob(c->req->app, op->jpeg.data, op->jpeg.len, &c->e) < 0)
		return -1;
	return office_server_submit(c->req->app, wf_enrol_photo, op, NULL, &c->e);
}

int ops_photo_reply(struct ops_call *c)
{
	struct wf_photo *op = c->op;
	return api_reply(c->resp, 200, json_pack("{s:s, s:s, s:I, s:I, s:I}", "application_id",
						 op->hdr.app, "blob", op->blob, "width",
						 (json_int_t)op->width, "height",
						 (json_int_t)op->height, "bytes",
						 (json_int_t)op->jpeg.len));
}

void ops_photo_release(struct ops_call *c)
{
	wf_photo_release(c->op);
}

int ops_fingerprint_check(struct ops_call *c)
{
	struct wf_fingerprint *op = c->op;
	const char *p = http_req_param(c->req, "position");
	char *end = NULL;
	long pos = p ? strtol(p, &end, 10) : 0;
	if (!p || !*p || *end || pos < 1 || pos > WF_FINGERPRINTS_MAX || p[0] == '0')
		return http_problem(c->req, c->resp, HTTP_PROBLEM_NOT_FOUND,
				    "fingerprint position must be 1 to 10");
	if (c->req->body_len == 0)
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_FIELD,
				    "the fingerprint image (the body) is missing");
	op->position = (int)pos;
	op->image = c->req->body;
	op->len = c->req->body_len;
	return 0;
}

/* an image over the limit is refused by the writer, not stored */
int ops_fingerprint_submit(struct ops_call *c)
{
	struct wf_fingerprint *op = c->op;
	if (op->len <= WF_FINGERPRINT_MAX_BYTES &&
	    office_server_prestore_blob(c->req->app, op->image, op->len, &c->e) < 0)
		return -1;
	return office_server_submit(c->req->app, wf_enrol_fingerprint, op, NULL, &c->e);
}

int ops_fingerprint_reply(struct ops_call *c)
{
	struct wf_fingerprint *op = c->op;
	return api_reply(c->resp, 200, json_pack("{s:s, s:i, s:s}", "application_id",
						 op->hdr.app, "position", op->position, "blob",
						 op->blob));
}

/* ---- enrolment and approval: the MRZ name line ---- */

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

/* The answer of a step that fixed the name: the MRZ name line it makes. */
static int name_reply(struct ops_call *c, const char *mrz_name, int truncated)
{
	const struct wf_hdr *h = c->op;
	char line[45];
	mrz_name_line(c->req->app, mrz_name, line);
	return api_reply(c->resp, 200, json_pack("{s:s, s:s, s:s, s:b}", "application_id", h->app,
						 "state", c->row->state, "mrz_name_line", line,
						 "mrz_name_truncated", truncated));
}

/* {primary_identifier, secondary_identifier}: the split of the name the applicant
 * confirms ("" for a one-word name, which the schema's strings do not allow). */
int ops_enrolment_check(struct ops_call *c)
{
	struct wf_enrol *op = c->op;
	const json_t *sec = json_object_get(c->body, "secondary_identifier");
	if (!sec)
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_FIELD, "field "
				    "'secondary_identifier' is missing: the given names as the "
				    "applicant confirms them (\"\" for a one-word name)");
	if (json_is_string(sec) && json_string_length(sec) == 0) {
		op->secondary = ""; /* a one-word name */
		return 0;
	}
	return api_str(c->req, c->resp, c->body, "secondary_identifier", 1, 100, &op->secondary);
}

int ops_enrolment_reply(struct ops_call *c)
{
	const struct wf_enrol *op = c->op;
	return name_reply(c, op->mrz_name, op->truncated);
}

/* the approval answers the MRZ name line it approved, as it will be printed */
int ops_approve_reply(struct ops_call *c)
{
	const struct wf_decision *op = c->op;
	return name_reply(c, op->mrz_name, op->truncated);
}

/* ---- watchlist ---- */

/* Separation of duties for a watchlist override: not the officer who enrolled or
 * interviewed (as the projection records them). */
int ops_override_check(struct ops_call *c)
{
	struct office_server *s = c->req->app;
	const struct wf_hdr *h = c->op;
	const struct auth_officer *o = auth_http_officer(c->req);
	struct err e = ERR_INIT;
	sqlite3 *db = api_db_acquire(s);
	json_t *row = NULL;
	enum wf_reason reason = WF_OK;
	int rc = wf_query_get(db, h->app, &row, &reason, &e);
	api_db_release(s, db);
	if (rc < 0)
		return api_wf_problem(c->req, c->resp, reason, &e);
	const char *by[] = { json_string_value(json_object_get(row, "enrolled_by")),
			     json_string_value(json_object_get(row, "interviewed_by")) };
	int same = 0;
	for (int i = 0; i < 2; i++)
		if (by[i] && strcmp(by[i], o->actor) == 0)
			same = 1;
	json_decref(row);
	if (same)
		return http_problem(c->req, c->resp, HTTP_PROBLEM_SEPARATION,
				    "an officer who enrolled or interviewed the applicant may not "
				    "override their watchlist check");
	return 0;
}

int ops_watchlist_check_reply(struct ops_call *c)
{
	const struct wf_watch_check *op = c->op;
	return api_reply(c->resp, 200, json_pack("{s:s, s:s, s:I, s:b}", "application_id",
						 op->hdr.app, "result", op->hit ? "hit" : "clear",
						 "entries", (json_int_t)op->entries, "override",
						 op->override != NULL));
}

/* POST /api/v1/watchlist: {nik | identity | full_name + birth_date, reason} */
int ops_watchlist_add_check(struct ops_call *c)
{
	struct wf_watch_add *op = c->op;
	int is_nik, have = api_idref(c->req, c->resp, c->body, c->idref, &is_nik);
	if (have < 0)
		return -1;
	if (have)
		op->idref = c->idref;
	if (!op->idref && (!op->full_name || !op->birth_date))
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_FIELD,
				    "an entry needs 'nik' or 'identity', or 'full_name' and "
				    "'birth_date'");
	if (op->idref && (op->full_name || op->birth_date))
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_FIELD,
				    "an entry has 'nik' or 'identity', or 'full_name' and "
				    "'birth_date', not both");
	op->source = "office";
	return 0;
}

int ops_watchlist_add_reply(struct ops_call *c)
{
	const struct wf_watch_add *op = c->op;
	return api_reply(c->resp, 201, json_pack("{s:s}", "id", op->entry_id));
}

/* ---- payment ---- */

/* status may only be pending (whoever records the billing cannot also confirm it, issue
 * 13); the currency is the office's */
int ops_payment_check(struct ops_call *c)
{
	struct office_server *s = c->req->app;
	struct wf_payment *op = c->op;
	const char *status = json_string_value(json_object_get(c->body, "status"));
	if (status && strcmp(status, "pending") != 0)
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_FIELD, "field 'status' "
				    "may only be 'pending': a payment is confirmed by another "
				    "officer with its NTPN (POST /api/v1/applications/%s/payment/"
				    "confirm)", op->hdr.app);
	if (strcmp(op->currency, office_server_config(s)->currency) != 0)
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'currency' must be the office's currency %s",
				    office_server_config(s)->currency);
	op->cfg = office_server_config(s);
	return 0;
}
