/*
 * api_issue — the officers' issuance routes (docs/API.md "Issuance"): personalize,
 * print job, quality check, spoil-and-redo, hand-over, downloads of the chip files and
 * the data page, and the list of passports not collected.
 *
 * The first five are rows of the operation table (office/ops.c), served by ops_handle;
 * this module holds their hooks (the photo read before, the signer's refusals counted,
 * the print job read and checked, the witness re-authenticated, the officer's password
 * again, the answers) and the read routes (api_issue_read_routes).
 *
 * Slow work stays out of the writer: the photo is read and decrypted before the
 * personalization request is submitted, and the data page is rendered, spooled and
 * printed after it is durable; the quality check reads the print job before its result
 * is recorded. Only the signer's round trip runs inside the writer's transaction (so that
 * a refused signature gives the booklet back).
 */
#include <stdio.h>
#include <string.h>

#include "log/blobs.h"
#include "office/api.h"
#include "office/auth_http.h"
#include "office/issued.h"
#include "office/ops.h"
#include "util/alloc.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/metrics.h"

/* One issuance outcome for /metrics (paspor_issuance_total{outcome}). */
static void count(struct http_req *req, const char *outcome)
{
	struct office_server *s = req->app;
	office_server_count_issuance(s, outcome);
}

static int blobs_dir(struct office_server *s, char *out, size_t size)
{
	return snprintf(out, size, "%s/blobs", office_server_dir(s)) < (int)size ? 0 : -1;
}

/* Resolves an issuance path of the configuration (relative: inside the data dir). */
static int issuance_path(struct http_req *req, struct http_resp *resp, const char *p,
			 char *out, size_t size)
{
	struct office_server *s = req->app;
	struct err e = ERR_INIT;
	if (!office_server_config(s)->issuance.configured) {
		e.code = ERR_INPUT;
		snprintf(e.msg, sizeof e.msg, "this office has no 'issuance' section in its "
			 "configuration");
		return api_wf_problem(req, resp, WF_NOT_CONFIGURED, &e);
	}
	if (config_resolve_path(office_server_dir(s), p, out, size, &e) < 0)
		return api_wf_problem(req, resp, WF_NOT_CONFIGURED, &e);
	return 0;
}

/* Loads the issued documents of {id} through a read-only connection. */
static int load_issued(struct http_req *req, struct http_resp *resp, const char *app,
		       struct issued *d)
{
	struct office_server *s = req->app;
	char dir[1024];
	blobs_dir(s, dir, sizeof dir);
	sqlite3 *db = api_db_acquire(s);
	enum wf_reason reason = WF_OK;
	struct err e = ERR_INIT;
	int rc = issued_load(db, dir, office_server_data_key(s), office_server_config(s), app, d,
			     &reason, &e);
	api_db_release(s, db);
	return rc < 0 ? api_wf_problem(req, resp, reason, &e) : 0;
}

/* Renders and spools the print job of d, then runs the print command; *out gets
 * {status: queued|printed|failed, detail?}. Failures here do not undo anything: the
 * personalization is recorded and POST …/print-job makes the job again. */
static json_t *spool_and_print(struct http_req *req, const struct issued *d)
{
	struct office_server *s = req->app;
	char spool[1024], job[1200], pdf_path[1300];
	struct err e = ERR_INIT;
	struct buf pdf;
	buf_init(&pdf, (size_t)32 << 20);
	int ran = 0;
	int rc = config_resolve_path(office_server_dir(s), office_server_config(s)->issuance.spool_dir,
				     spool, sizeof spool, &e);
	if (rc == 0)
		rc = issued_render(d, &pdf, NULL, &e);
	if (rc == 0)
		rc = issued_spool(d, spool, &pdf, job, sizeof job, &e);
	buf_release(&pdf);
	if (rc == 0) {
		snprintf(pdf_path, sizeof pdf_path, "%s/data-page.pdf", job);
		rc = issued_print(&office_server_config(s)->issuance, pdf_path, &ran, &e);
	}
	if (rc < 0) {
		count(req, "print_failed");
		/* the message may quote a field of the record: the log names the booklet only */
		log_warnx("request %s: the print job of booklet %s failed (error %d; the answer "
			  "says why)", req->request_id, d->booklet, (int)e.code);
		return json_pack("{s:s, s:s}", "status", "failed", "detail", e.msg);
	}
	return json_pack("{s:s, s:s}", "status", ran ? "printed" : "queued", "job",
			 strrchr(job, '/') + 1);
}

/* After a hand-over or a spoil: the job (personal data in clear) leaves the spool. A
 * failure is logged, never the request's: the event is recorded already. */
static void drop_job(struct http_req *req, const char *booklet, const char *app)
{
	struct office_server *s = req->app;
	char spool[1024];
	struct err e = ERR_INIT;
	if (!office_server_config(s)->issuance.configured ||
	    config_resolve_path(office_server_dir(s), office_server_config(s)->issuance.spool_dir,
				spool, sizeof spool, &e) < 0 ||
	    issued_spool_remove(spool, booklet, app, &e) < 0)
		log_warnx("request %s: the print job of booklet %s stays in the spool: %s",
			  req->request_id, booklet, e.msg[0] ? e.msg : "no issuance section");
}

static json_t *issued_summary(const struct issued *d, json_t *print)
{
	json_t *v = json_pack("{s:s, s:s, s:s, s:O, s:O, s:b}", "application_id", d->app,
			      "state", d->state, "booklet", d->booklet, "issue_date",
			      json_object_get(d->page, "issue_date"), "expiry_date",
			      json_object_get(d->page, "expiry_date"), "chip", d->electronic);
	if (v && print)
		json_object_set_new(v, "print_job", print);
	else
		json_decref(print);
	return v;
}

/* What an issuance row's check keeps for its submit and answer (ops_issue_release). */
struct issue_hold {
	struct issued d;
	json_t *failures;
	struct buf photo;
	char sock[CONFIG_PATH_MAX + 600], photo_blob[65];
	char witness[AUTH_USERNAME_MAX + 1];
};

static struct issue_hold *hold_new(struct ops_call *c)
{
	struct issue_hold *h = mem_calloc(1, sizeof *h);
	if (!h) {
		http_problem(c->req, c->resp, HTTP_PROBLEM_UNAVAILABLE, "out of memory");
		return NULL;
	}
	issued_init(&h->d);
	buf_init(&h->photo, (size_t)1 << 20);
	c->hold = h;
	return h;
}

void ops_issue_release(struct ops_call *c)
{
	struct issue_hold *h = c->hold;
	if (!h)
		return;
	issued_release(&h->d);
	json_decref(h->failures);
	buf_release(&h->photo);
	mem_free(h);
	c->hold = NULL;
}

/* POST /api/v1/applications/{id}/personalize {}: the body names nothing: the passport
 * is made of the approved record alone (a name field is refused with 422, like any other
 * field). The photo is read before the writer is asked. */
int ops_personalize_check(struct ops_call *c)
{
	struct http_req *req = c->req;
	struct office_server *s = req->app;
	struct wf_personalize *op = c->op;
	struct issue_hold *h = hold_new(c);
	if (!h || issuance_path(req, c->resp, office_server_config(s)->issuance.signer_socket,
				h->sock, sizeof h->sock) < 0)
		return -1;
	char blobs[1024];
	sqlite3 *db = api_db_acquire(s);
	struct err e = ERR_INIT;
	wf_query_photo_blob(db, op->hdr.app, h->photo_blob, &e); /* a failed read: as no photo */
	api_db_release(s, db);
	err_clear(&e);
	blobs_dir(s, blobs, sizeof blobs);
	if (h->photo_blob[0] &&
	    blobs_get(blobs, office_server_data_key(s), h->photo_blob, &h->photo, &e) < 0)
		return api_wf_problem(req, c->resp, WF_OK, &e);
	op->cfg = office_server_config(s);
	op->signer_socket = h->sock;
	op->photo = h->photo.data;
	op->photo_len = h->photo.len;
	op->photo_blob = h->photo_blob[0] ? h->photo_blob : NULL;
	return 0;
}

int ops_personalize_submit(struct ops_call *c)
{
	struct wf_personalize *op = c->op;
	if (office_server_submit(c->req->app, wf_personalize, op, NULL, &c->e) == 0)
		return 0;
	if (op->hdr.reason == WF_NO_STOCK || op->hdr.reason == WF_SIGNER_REFUSED ||
	    op->hdr.reason == WF_SIGNER_UNAVAILABLE)
		count(c->req, wf_reason_name(op->hdr.reason));
	return -1;
}

int ops_personalize_reply(struct ops_call *c)
{
	struct issue_hold *h = c->hold;
	const struct wf_hdr *hdr = c->op;
	count(c->req, "personalized");
	if (load_issued(c->req, c->resp, hdr->app, &h->d) < 0)
		return -1;
	return api_reply(c->resp, 201, issued_summary(&h->d, spool_and_print(c->req, &h->d)));
}

/* POST /api/v1/applications/{id}/print-job {}: the print job again (personalized only). */
int ops_print_job_check(struct ops_call *c)
{
	struct office_server *s = c->req->app;
	const struct wf_hdr *hdr = c->op;
	char spool[1024];
	struct issue_hold *h = hold_new(c);
	if (!h || issuance_path(c->req, c->resp, office_server_config(s)->issuance.spool_dir, spool,
				sizeof spool) < 0 ||
	    load_issued(c->req, c->resp, hdr->app, &h->d) < 0)
		return -1;
	if (strcmp(h->d.state, WF_STATE_PERSONALIZED) != 0)
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_STATE, "application %s "
				    "is '%s': a print job is made again only before the quality "
				    "check", hdr->app, h->d.state);
	return 0;
}

int ops_print_job_reply(struct ops_call *c)
{
	struct issue_hold *h = c->hold;
	return api_reply(c->resp, 200, issued_summary(&h->d, spool_and_print(c->req, &h->d)));
}

/* POST /api/v1/applications/{id}/quality-check {print_ok: bool}: the print job is read
 * and checked before the result is recorded. */
int ops_quality_check(struct ops_call *c)
{
	struct http_req *req = c->req;
	struct http_resp *resp = c->resp;
	struct office_server *s = req->app;
	struct wf_quality *op = c->op;
	const char *actor = op->hdr.actor, *app = op->hdr.app;
	char spool[1024], csca[1024], job[1200];
	const struct config_issuance *is = &office_server_config(s)->issuance;
	struct issue_hold *h = hold_new(c);
	if (!h || issuance_path(req, resp, is->spool_dir, spool, sizeof spool) < 0 ||
	    issuance_path(req, resp, is->csca_cert, csca, sizeof csca) < 0 ||
	    load_issued(req, resp, app, &h->d) < 0)
		return -1;
	struct issued *d = &h->d;
	if (strcmp(d->state, WF_STATE_PERSONALIZED) != 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_STATE, "application %s is "
				    "'%s': application.quality_checked needs 'personalized'", app,
				    d->state);
	if (strcmp(d->personalized_by, actor) == 0)
		return http_problem(req, resp, HTTP_PROBLEM_SEPARATION, "separation of duties: %s "
				    "personalized this booklet and cannot quality-check it", actor);
	struct err e = ERR_INIT;
	h->failures = json_array();
	if (!h->failures || issued_job_dir(d, spool, job, sizeof job, &e) < 0 ||
	    issued_quality_check(d, job, csca, h->failures, &e) < 0)
		return api_wf_problem(req, resp, WF_OK, &e);
	if (!json_is_true(json_object_get(c->body, "print_ok")) &&
	    json_array_insert_new(h->failures, 0, json_string("print: the officer found the "
							      "printed data page faulty")) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE, "out of memory");
	while (json_array_size(h->failures) > ISSUED_QC_FAILURES_MAX)
		json_array_remove(h->failures, json_array_size(h->failures) - 1);
	op->booklet = d->booklet;
	op->failures = h->failures;
	return 0;
}

int ops_quality_reply(struct ops_call *c)
{
	struct issue_hold *h = c->hold;
	const char *app = ((const struct wf_hdr *)c->op)->app;
	int passed = json_array_size(h->failures) == 0;
	count(c->req, passed ? "quality_passed" : "quality_failed");
	/* what the officer can do next: hand over, or spoil and redo */
	char next[200];
	snprintf(next, sizeof next, passed ? "POST /api/v1/applications/%s/hand-over"
		 : "POST /api/v1/applications/%s/spoil {booklet, reason}, then …/personalize",
		 app);
	return api_reply(c->resp, 200, json_pack("{s:s, s:s, s:s, s:O, s:s, s:s}",
						 "application_id", app, "booklet", h->d.booklet,
						 "result", passed ? "passed" : "failed", "failures",
						 h->failures, "state",
						 passed ? WF_STATE_QUALITY_CHECKED : WF_STATE_QC_FAILED,
						 "next", next));
}

/* POST /api/v1/applications/{id}/spoil {booklet, reason, witness}: spoil and redo, with
 * a second officer present (a booklet custodian or a supervisor), so that a printer
 * operator alone cannot make a second signed booklet for one application */
int ops_spoil_check(struct ops_call *c)
{
	struct wf_void *op = c->op;
	struct issue_hold *h = hold_new(c);
	/* the application first: a witness's password is checked only for a spoil that can
	 * happen (the writer checks again) */
	if (!h || load_issued(c->req, c->resp, op->hdr.app, &h->d) < 0)
		return -1;
	if (strcmp(h->d.state, WF_STATE_ISSUED) == 0 || strcmp(h->d.booklet, op->booklet) != 0)
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_STATE, "application %s "
				    "is '%s' on booklet %s: only its current booklet is spoiled, and "
				    "never after the hand-over", op->hdr.app, h->d.state,
				    h->d.booklet);
	/* jansson frees the witness's password unwiped: see docs/AUTH.md */
	if (api_witness(c->req, c->resp, c->body, ROLE_BIT(ROLE_BOOKLET_CUSTODIAN) |
			ROLE_BIT(ROLE_ADJUDICATOR), "a booklet custodian or a supervisor "
			"(adjudicator)", h->witness) < 0)
		return -1;
	op->witness = h->witness;
	return 0;
}

/* After a spoil or a hand-over: the booklet's print job leaves the spool, the outcome is
 * counted, and v (stolen) is the answer. */
static int booklet_done(struct ops_call *c, const char *booklet, const char *outcome,
			json_t *v)
{
	const struct wf_hdr *h = c->op;
	drop_job(c->req, booklet, h->app);
	count(c->req, outcome);
	return api_reply(c->resp, 200, v);
}

int ops_spoil_reply(struct ops_call *c)
{
	const struct wf_void *op = c->op;
	return booklet_done(c, op->booklet, "spoiled",
			    json_pack("{s:s, s:s, s:s, s:s}", "application_id", op->hdr.app,
				      "spoiled_booklet", op->booklet, "state", WF_STATE_PAID,
				      "witness", op->witness));
}

/* POST /api/v1/applications/{id}/hand-over {booklet, collected_by, proxy?, password,
 * totp?} — the officer's password (and TOTP code) again: identity re-confirmed. */
int ops_hand_over_check(struct ops_call *c)
{
	static const char *const pkeys[] = { "name", "nik", "identity", "power_of_attorney",
					     NULL };
	struct http_req *req = c->req;
	struct http_resp *resp = c->resp;
	struct office_server *s = req->app;
	struct wf_hand_over *op = c->op;
	const json_t *body = c->body, *proxy = json_object_get(body, "proxy");
	const char *by = op->collected_by;
	const char *pw = json_string_value(json_object_get(body, "password"));
	const char *totp = json_string_value(json_object_get(body, "totp"));
	int is_nik = 0;
	if (strcmp(by, "holder") != 0 && strcmp(by, "proxy") != 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'collected_by' must be 'holder' or 'proxy'");
	if ((strcmp(by, "proxy") == 0) != (proxy != NULL))
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "field 'proxy' {name, "
				    "nik or identity, power_of_attorney} is needed for a proxy, and "
				    "only then");
	if (proxy && (!json_is_object(proxy) || api_only_keys(req, resp, proxy, pkeys) < 0 ||
		      api_str(req, resp, proxy, "name", 1, 150, &op->proxy_name) < 0 ||
		      api_str(req, resp, proxy, "power_of_attorney", 1, 100,
			      &op->power_of_attorney) < 0 ||
		      api_need_idref(req, resp, proxy, c->idref, &is_nik) < 0)) {
		if (!json_is_object(proxy))
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					    "field 'proxy' must be an object");
		return -1;
	}
	op->proxy_idref = c->idref[0] ? c->idref : NULL;
	/* the officer's identity, re-confirmed */
	const struct auth_officer *me = auth_http_officer(req);
	struct auth_officer again;
	struct err e = ERR_INIT;
	enum auth_result ar = auth_verify_credentials(office_server_auth(s), me->username, pw, totp,
						      req->client_ip, &again, &e);
	if (ar == AUTH_THROTTLED)
		return api_rate_limited(req, resp, 60);
	if (ar == AUTH_BUSY || ar == AUTH_ERROR)
		return http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE, "cannot check the "
				    "password now; try again");
	if (ar != AUTH_OK)
		return http_problem(req, resp, HTTP_PROBLEM_FORBIDDEN, "the hand-over needs the "
				    "officer's own password (and TOTP code) again: not confirmed");
	return 0;
}

int ops_hand_over_reply(struct ops_call *c)
{
	const struct wf_hand_over *op = c->op;
	return booklet_done(c, op->booklet, "handed_over",
			    json_pack("{s:s, s:s, s:s, s:s}", "application_id", op->hdr.app,
				      "booklet", op->booklet, "collected_by", op->collected_by,
				      "state", WF_STATE_ISSUED));
}

static int record_view(struct http_req *req, struct http_resp *resp, const char *actor,
		       const char *app, const char *what)
{
	struct wf_view op = { { actor, app, WF_OK, 0 }, what };
	struct err e = ERR_INIT;
	if (office_server_submit(req->app, wf_view, &op, NULL, &e) < 0)
		return api_wf_problem(req, resp, op.hdr.reason, &e);
	return 0;
}

/* GET /api/v1/applications/{id}/chip/{file}: EF.COM, EF.DG1, EF.DG2 or EF.SOD */
static int route_chip(struct http_req *req, struct http_resp *resp)
{
	const char *actor = api_actor(req, resp), *app, *file = http_req_param(req, "file");
	if (!actor || api_app_id(req, resp, &app) < 0)
		return -1;
	static const char *const names[] = { "EF.COM", "EF.DG1", "EF.DG2", "EF.SOD" };
	int which = -1;
	for (int i = 0; i < 4; i++)
		if (file && strcmp(file, names[i]) == 0)
			which = i;
	if (which < 0)
		return http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "no such chip file (EF.COM, "
				    "EF.DG1, EF.DG2, EF.SOD)");
	struct issued d;
	issued_init(&d);
	int rc = -1;
	if (load_issued(req, resp, app, &d) < 0)
		goto out;
	if (!d.electronic) {
		rc = http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "this passport has no chip");
		goto out;
	}
	if (record_view(req, resp, actor, app, "chip") < 0)
		goto out;
	const struct buf *b[] = { &d.chip.com, &d.chip.dg1, &d.chip.dg2, &d.chip.sod };
	rc = http_resp_bytes(resp, 200, "application/octet-stream", b[which]->data, b[which]->len);
out:
	issued_release(&d);
	return rc;
}

static int data_page(struct http_req *req, struct http_resp *resp, int png)
{
	const char *actor = api_actor(req, resp), *app;
	if (!actor || api_app_id(req, resp, &app) < 0)
		return -1;
	struct issued d;
	issued_init(&d);
	struct buf out;
	buf_init(&out, (size_t)64 << 20);
	int rc = -1;
	struct err e = ERR_INIT;
	if (load_issued(req, resp, app, &d) < 0 || record_view(req, resp, actor, app, "data_page") < 0)
		goto out;
	if (issued_render(&d, png ? NULL : &out, png ? &out : NULL, &e) < 0) {
		rc = api_wf_problem(req, resp, WF_OK, &e);
		goto out;
	}
	rc = http_resp_bytes(resp, 200, png ? "image/png" : "application/pdf", out.data, out.len);
out:
	buf_release(&out);
	issued_release(&d);
	return rc;
}

/* GET /api/v1/applications/{id}/data-page.pdf and …/data-page.png */
static int route_page_pdf(struct http_req *req, struct http_resp *resp)
{
	return data_page(req, resp, 0);
}

static int route_page_png(struct http_req *req, struct http_resp *resp)
{
	return data_page(req, resp, 1);
}

/* GET /api/v1/issuance/uncollected?days=N: passports that passed their quality check at
 * least N days ago (default: the configured issuance.uncollected_days) and wait. */
static int route_uncollected(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	const char *q = http_req_query(req, "days");
	const struct config_issuance *is = &office_server_config(s)->issuance;
	long days = is->uncollected_days ? (long)is->uncollected_days : 30;
	if (q) {
		char *end;
		days = strtol(q, &end, 10);
		if (!*q || *end || days < 0 || days > 3650)
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					    "parameter 'days' must be 0 to 3650");
	}
	int64_t before = api_now_ms(s) - (int64_t)days * 86400000;
	sqlite3 *db = api_db_acquire(s);
	json_t *list;
	struct err e = ERR_INIT;
	int rc = wf_query_uncollected(db, before, api_now_ms(s), &list, &e);
	api_db_release(s, db);
	if (rc < 0)
		return http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE, "cannot list now");
	return api_reply(resp, 200, json_pack("{s:I, s:o}", "days", (json_int_t)days,
					      "applications", list));
}

/* after the operations' routes (office/ops.c) in api_issue_routes */
#define APP "/api/v1/applications/{id}"
const struct api_route api_issue_read_routes[] = {
	{ "GET", APP "/chip/{file}", route_chip, 0, ACT_APPLICATION_VIEW, 0, NULL },
	{ "GET", APP "/data-page.pdf", route_page_pdf, 0, ACT_APPLICATION_VIEW, 0, NULL },
	{ "GET", APP "/data-page.png", route_page_png, 0, ACT_APPLICATION_VIEW, 0, NULL },
	{ "GET", "/api/v1/issuance/uncollected", route_uncollected, 0, ACT_APPLICATION_SEARCH, 0,
	  NULL },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
#undef APP
