/*
 * api_booklets — the officers' booklet stock routes (docs/API.md "Booklet stock", issue
 * 6): receive a range, confirm it (a second officer), spoil, confirm a destruction (the
 * session's officer and a witness who re-authenticates in the request), void, and read
 * the stock and one booklet.
 *
 * Writes are rows of the office's operation table (office/ops.c ops_booklets, served by
 * ops_handle): their bodies, the booklet number in the path (OP_BOOKLET) and the
 * operations of office/booklets.h are the rows'; this file keeps their hooks (what a
 * schema cannot say, and the answers) and the read routes, which read booklets.h's read
 * functions on a connection of the read-only pool. No answer carries a spoil or void
 * reason (those event bodies are sealed: a reason may name a person); the witness's
 * password and code are never logged or echoed.
 */
#include <string.h>

#include "office/api.h"
#include "office/appid.h"
#include "office/auth_http.h"
#include "office/booklets.h"
#include "office/ops.h"
#include "util/alloc.h"

/* ---- the hooks of the write rows (office/ops.c ops_booklets) ---- */

/* POST /api/v1/booklets/ranges: the first number's form, the count into the op */
int ops_range_check(struct ops_call *c)
{
	struct booklet_receive *op = c->op;
	if (!booklet_number_valid(op->first))
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'first' must be a booklet number: one upper-case "
				    "letter and seven digits");
	op->count = (int)json_integer_value(json_object_get(c->body, "count"));
	return 0;
}

int ops_range_reply(struct ops_call *c)
{
	const struct booklet_receive *op = c->op;
	return api_reply(c->resp, 201, json_pack("{s:s, s:I, s:s, s:s, s:I}", "first", op->first,
						 "count", (json_int_t)op->count, "state",
						 c->row->state, "received_by", op->hdr.actor,
						 "seq", (json_int_t)op->hdr.seq));
}

int ops_range_confirm_reply(struct ops_call *c)
{
	const struct booklet_confirm *op = c->op;
	return api_reply(c->resp, 200, json_pack("{s:s, s:s, s:s, s:I}", "first", op->first,
						 "state", c->row->state, "confirmed_by",
						 op->hdr.actor, "seq", (json_int_t)op->hdr.seq));
}

/* POST …/{number}/spoil: the application, when named, is an application id */
int ops_stock_spoil_check(struct ops_call *c)
{
	const struct booklet_spoil *op = c->op;
	if (op->app && !appid_valid(op->app, 'A'))
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'app' is not an application id");
	return 0;
}

/* {number, state, seq}: the spoiled or voided booklet (the two ops start alike) */
int ops_booklet_reply(struct ops_call *c)
{
	const struct booklet_void *op = c->op;
	return api_reply(c->resp, 200, json_pack("{s:s, s:s, s:I}", "number", c->id, "state",
						 c->row->state, "seq",
						 (json_int_t)op->hdr.seq));
}

/* POST …/{number}/destroy {witness: {username, password, totp?}}: the booklet first: a
 * witness's password is checked only for a destruction that can happen (else the route
 * would tell passwords apart without leaving a trace) */
int ops_destroy_check(struct ops_call *c)
{
	struct booklet_destroy *op = c->op;
	struct office_server *s = c->req->app;
	sqlite3 *db = api_db_acquire(s);
	char state[16] = "", app[40];
	struct err le = ERR_INIT;
	booklet_load(db, op->number, state, app, &le); /* a failed read: as no booklet */
	api_db_release(s, db);
	if (!state[0])
		return http_problem(c->req, c->resp, HTTP_PROBLEM_NOT_FOUND, "no booklet %s",
				    op->number);
	if (strcmp(state, "spoiled") != 0)
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_STATE, "booklet %s is "
				    "'%s': only a spoiled booklet is destroyed", op->number, state);
	char *witness = mem_alloc(AUTH_USERNAME_MAX + 1);
	if (!witness)
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INTERNAL, "out of memory");
	c->hold = witness;
	if (api_witness(c->req, c->resp, c->body, 0, NULL, witness) < 0)
		return -1;
	op->officers[0] = auth_http_officer(c->req)->username;
	op->officers[1] = witness;
	return 0;
}

int ops_destroy_reply(struct ops_call *c)
{
	const struct booklet_destroy *op = c->op;
	return api_reply(c->resp, 200, json_pack("{s:s, s:s, s:[s, s], s:I}", "number",
						 op->number, "state", c->row->state, "officers",
						 op->officers[0], op->officers[1], "seq",
						 (json_int_t)op->hdr.seq));
}

/* (jansson frees the body's password string unwiped: see docs/AUTH.md) */
void ops_destroy_release(struct ops_call *c)
{
	mem_free(c->hold);
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
	const char *number = NULL;
	json_t *v = NULL;
	int rc;
	if (api_booklet_param(req, resp, "number", &number) < 0 ||
	    (rc = api_read(req, resp, booklet_get_json, number, &v)) < 0)
		return -1;
	if (rc == 0)
		return http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "booklet %s is not in stock",
				    number);
	return api_reply(resp, 200, v);
}

/* /booklets/stock before /booklets/{number}: the first matching row wins; the write
 * routes of ops_booklets after the reads are placed (the route order as it was). */
const struct api_route api_booklet_read_routes[] = {
	{ "GET", "/api/v1/booklets/stock", route_stock, 0, ACT_BOOKLET_VIEW, 0, NULL },
	{ "GET", "/api/v1/booklets/{number}", route_get, 0, ACT_BOOKLET_VIEW, 0, NULL },
	OPS_ROUTE("POST", "/api/v1/booklets/{number}/spoil"),
	OPS_ROUTE("POST", "/api/v1/booklets/{number}/destroy"),
	OPS_ROUTE("POST", "/api/v1/booklets/{number}/void"),
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
