/*
 * api_booklets — the officers' booklet stock routes (docs/API.md "Booklet stock", issue
 * 6): receive a range, confirm it (a second officer), spoil, confirm a destruction (the
 * session's officer and a witness who re-authenticates in the request), void, and read
 * the stock and one booklet.
 *
 * Writes are the operations of office/booklets.h run through office_server_submit; their
 * refusals (enum wf_reason, office/refusal.h) become problems in api_wf_problem. Reads
 * are booklets.h's read functions on a connection of the read-only pool. No answer
 * carries a spoil or void reason (those event bodies are sealed: a reason may name a
 * person); the witness's password and code are never logged or echoed.
 */
#include <string.h>

#include "office/api.h"
#include "office/appid.h"
#include "office/auth_http.h"
#include "office/booklets.h"

#define REASON_MAX_BYTES 2000 /* the operation checks 1 … 500 characters */

/* The {name} path parameter as a booklet number; 422 when malformed. */
static int number_param(struct http_req *req, struct http_resp *resp, const char *name,
			const char **out)
{
	const char *n = http_req_param(req, name);
	if (!n || !booklet_number_valid(n))
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "'%s' must be a booklet number: one upper-case letter and "
				    "seven digits", name);
	*out = n;
	return 0;
}

/* {"number", "state", "seq"} after a write. */
static int reply_state(struct http_resp *resp, int status, const char *key, const char *number,
		       const char *state, uint64_t seq)
{
	return api_reply(resp, status, json_pack("{s:s, s:s, s:I}", key, number, "state", state,
						 "seq", (json_int_t)seq));
}

/* POST /api/v1/booklets/ranges {first, count} */
static int route_receive(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "first", "count", NULL };
	struct office_server *s = req->app;
	const char *actor = api_actor(req, resp);
	if (!actor)
		return -1;
	json_t *body;
	if (api_body(req, resp, 0, &body) < 0)
		return -1;
	const char *first = NULL;
	int64_t count = 0;
	int rc = -1;
	if (api_only_keys(req, resp, body, keys) < 0 ||
	    api_str(req, resp, body, "first", 1, 16, &first) < 0 ||
	    api_int(req, resp, body, "count", 1, 1, BOOKLET_RANGE_MAX, &count, NULL) < 0)
		goto out;
	if (!booklet_number_valid(first)) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "field 'first' must be a "
				  "booklet number: one upper-case letter and seven digits");
		goto out;
	}
	struct booklet_receive op = { { actor, NULL, WF_OK, 0 }, first, (int)count };
	struct err e = ERR_INIT;
	if (office_server_submit(s, booklet_receive, &op, NULL, &e) < 0) {
		rc = api_wf_problem(req, resp, op.hdr.reason, &e);
		goto out;
	}
	rc = api_reply(resp, 201, json_pack("{s:s, s:I, s:s, s:s, s:I}", "first", first, "count",
					    (json_int_t)count, "state", "received", "received_by",
					    actor, "seq", (json_int_t)op.hdr.seq));
out:
	json_decref(body);
	return rc;
}

/* POST /api/v1/booklets/ranges/{first}/confirm {} */
static int route_confirm(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { NULL };
	struct office_server *s = req->app;
	const char *actor = api_actor(req, resp), *first = NULL;
	if (!actor || number_param(req, resp, "first", &first) < 0)
		return -1;
	json_t *body;
	if (api_body(req, resp, 1, &body) < 0)
		return -1;
	int rc = api_only_keys(req, resp, body, keys);
	json_decref(body);
	if (rc < 0)
		return -1;
	struct booklet_confirm op = { { actor, NULL, WF_OK, 0 }, first };
	struct err e = ERR_INIT;
	if (office_server_submit(s, booklet_confirm_range, &op, NULL, &e) < 0)
		return api_wf_problem(req, resp, op.hdr.reason, &e);
	return api_reply(resp, 200, json_pack("{s:s, s:s, s:s, s:I}", "first", first, "state",
					      "available", "confirmed_by", actor, "seq",
					      (json_int_t)op.hdr.seq));
}

/* POST /api/v1/booklets/{number}/spoil {reason, app?} and …/void {reason}: one
 * handler, as both record a booklet out of use with a reason (spoiled may name the
 * application that used it; voided is for blanks only, lost or stolen). */
static int spoil_or_void(struct http_req *req, struct http_resp *resp, int spoil)
{
	static const char *const spoil_keys[] = { "reason", "app", NULL };
	static const char *const void_keys[] = { "reason", NULL };
	struct office_server *s = req->app;
	const char *actor = api_actor(req, resp), *number = NULL;
	if (!actor || number_param(req, resp, "number", &number) < 0)
		return -1;
	json_t *body;
	if (api_body(req, resp, 0, &body) < 0)
		return -1;
	const char *reason = NULL, *app = NULL;
	int rc = -1;
	if (api_only_keys(req, resp, body, spoil ? spoil_keys : void_keys) < 0 ||
	    api_str(req, resp, body, "reason", 1, REASON_MAX_BYTES, &reason) < 0 ||
	    (spoil && api_str(req, resp, body, "app", 0, 64, &app) < 0))
		goto out;
	if (app && !appid_valid(app, 'A')) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				  "field 'app' is not an application id");
		goto out;
	}
	struct booklet_spoil sp = { { actor, NULL, WF_OK, 0 }, number, reason, app, 0 };
	struct booklet_void vo = { { actor, NULL, WF_OK, 0 }, number, reason };
	struct wf_hdr *h = spoil ? &sp.hdr : &vo.hdr;
	struct err e = ERR_INIT;
	if (office_server_submit(s, spoil ? booklet_spoil : booklet_void,
				 spoil ? (void *)&sp : (void *)&vo, NULL, &e) < 0)
		rc = api_wf_problem(req, resp, h->reason, &e);
	else
		rc = reply_state(resp, 200, "number", number, spoil ? "spoiled" : "voided",
				 h->seq);
out:
	json_decref(body);
	return rc;
}

static int route_spoil(struct http_req *req, struct http_resp *resp)
{
	return spoil_or_void(req, resp, 1);
}

static int route_void(struct http_req *req, struct http_resp *resp)
{
	return spoil_or_void(req, resp, 0);
}

/* POST /api/v1/booklets/{number}/destroy {witness: {username, password, totp?}} */
static int route_destroy(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "witness", NULL };
	struct office_server *s = req->app;
	const struct auth_officer *o = auth_http_officer(req);
	const char *actor = api_actor(req, resp), *number = NULL;
	if (!actor || number_param(req, resp, "number", &number) < 0)
		return -1;
	json_t *body;
	if (api_body(req, resp, 0, &body) < 0)
		return -1;
	char witness[AUTH_USERNAME_MAX + 1];
	int rc = -1;
	if (api_only_keys(req, resp, body, keys) < 0)
		goto out;
	/* the booklet first: a witness's password is checked only for a destruction that
	 * can happen (else the route would tell passwords apart without leaving a trace) */
	sqlite3 *db = api_db_acquire(s);
	char state[16] = "", app[40];
	struct err le = ERR_INIT;
	booklet_load(db, number, state, app, &le); /* a failed read: as no booklet */
	api_db_release(s, db);
	if (!state[0]) {
		rc = http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "no booklet %s", number);
		goto out;
	}
	if (strcmp(state, "spoiled") != 0) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_STATE, "booklet %s is '%s': only a "
				  "spoiled booklet is destroyed", number, state);
		goto out;
	}
	if (api_witness(req, resp, body, 0, NULL, witness) < 0)
		goto out;
	struct booklet_destroy op = { { actor, NULL, WF_OK, 0 }, number, { o->username, witness } };
	struct err e = ERR_INIT;
	if (office_server_submit(s, booklet_confirm_destruction, &op, NULL, &e) < 0)
		rc = api_wf_problem(req, resp, op.hdr.reason, &e);
	else
		rc = api_reply(resp, 200, json_pack("{s:s, s:s, s:[s, s], s:I}", "number", number,
						    "state", "destroyed", "officers", o->username,
						    witness, "seq", (json_int_t)op.hdr.seq));
out:
	/* jansson frees the password string unwiped: see docs/AUTH.md */
	json_decref(body);
	return rc;
}

/* ---- reads ---- */

/* GET /api/v1/booklets/stock */
static int route_stock(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	sqlite3 *db = api_db_acquire(s);
	json_t *doc;
	struct err e = ERR_INIT;
	int rc = booklet_stock_json(db, &doc, &e);
	api_db_release(s, db);
	if (rc < 0)
		return api_wf_problem(req, resp, WF_OK, &e);
	return api_reply(resp, 200, doc);
}

/* GET /api/v1/booklets/{number} */
static int route_get(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	const char *number = NULL;
	if (number_param(req, resp, "number", &number) < 0)
		return -1;
	sqlite3 *db = api_db_acquire(s);
	json_t *v;
	struct err e = ERR_INIT;
	int rc = booklet_get_json(db, number, &v, &e);
	api_db_release(s, db);
	if (rc < 0)
		return api_wf_problem(req, resp, WF_OK, &e);
	if (rc == 0)
		return http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "booklet %s is not in stock",
				    number);
	return api_reply(resp, 200, v);
}

/* /booklets/stock before /booklets/{number}: the first matching row wins. */
const struct api_route api_booklet_routes[] = {
	{ "POST", "/api/v1/booklets/ranges", route_receive, 0, ACT_BOOKLET_RECEIVE, 0,
	  HTTP_JSON_ONLY },
	{ "POST", "/api/v1/booklets/ranges/{first}/confirm", route_confirm, 0,
	  ACT_BOOKLET_CONFIRM, 0, HTTP_JSON_ONLY },
	{ "GET", "/api/v1/booklets/stock", route_stock, 0, ACT_BOOKLET_VIEW, 0, NULL },
	{ "GET", "/api/v1/booklets/{number}", route_get, 0, ACT_BOOKLET_VIEW, 0, NULL },
	{ "POST", "/api/v1/booklets/{number}/spoil", route_spoil, 0, ACT_BOOKLET_SPOIL, 0,
	  HTTP_JSON_ONLY },
	{ "POST", "/api/v1/booklets/{number}/destroy", route_destroy, 0, ACT_BOOKLET_CONFIRM, 0,
	  HTTP_JSON_ONLY },
	{ "POST", "/api/v1/booklets/{number}/void", route_void, 0, ACT_BOOKLET_CONFIRM, 0,
	  HTTP_JSON_ONLY },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
