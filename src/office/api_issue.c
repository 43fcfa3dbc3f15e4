/*
 * api_issue — the officers' issuance routes (docs/API.md "Issuance"): personalize,
 * print job, quality check, spoil-and-redo, hand-over, downloads of the chip files and
 * the data page, and the list of passports not collected.
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
#include "util/alloc.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/metrics.h"

static const char *const NO_FIELDS[] = { NULL };

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

/* POST /api/v1/applications/{id}/personalize {surname?, given_names?} */
static int route_personalize(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	const char *actor = api_actor(req, resp), *app;
	json_t *body = NULL;
	if (!actor || api_app_id(req, resp, &app) < 0 || api_body(req, resp, 1, &body) < 0)
		return -1;
	char sock[CONFIG_PATH_MAX + 600], blobs[1024], photo_blob[65] = "";
	int rc = -1;
	struct buf photo;
	buf_init(&photo, (size_t)1 << 20);
	/* the body names nothing: the passport is made of the approved record alone (a name
	 * field here is refused with 422, like any other field) */
	if (api_only_keys(req, resp, body, NO_FIELDS) < 0 ||
	    issuance_path(req, resp, office_server_config(s)->issuance.signer_socket, sock,
			  sizeof sock) < 0)
		goto out;
	/* the photo, read before the writer is asked */
	sqlite3 *db = api_db_acquire(s);
	struct err e = ERR_INIT;
	wf_query_photo_blob(db, app, photo_blob, &e); /* a failed read: as no photo */
	api_db_release(s, db);
	err_clear(&e);
	blobs_dir(s, blobs, sizeof blobs);
	if (photo_blob[0] && blobs_get(blobs, office_server_data_key(s), photo_blob, &photo, &e) < 0) {
		rc = api_wf_problem(req, resp, WF_OK, &e);
		goto out;
	}
	struct cal_date today;
	char today_s[11];
	api_today(s, &today, NULL);
	cal_date_format(&today, today_s);
	struct wf_personalize op = { { actor, app, WF_OK, 0 }, office_server_config(s), today_s,
				     sock, photo.data, photo.len, photo_blob[0] ? photo_blob : NULL,
				     { 0 }, { 0 }, { 0 }, { 0 }, { 0 } };
	if (office_server_submit(s, wf_personalize, &op, NULL, &e) < 0) {
		if (op.hdr.reason == WF_NO_STOCK || op.hdr.reason == WF_SIGNER_REFUSED ||
		    op.hdr.reason == WF_SIGNER_UNAVAILABLE)
			count(req, wf_reason_name(op.hdr.reason));
		rc = api_wf_problem(req, resp, op.hdr.reason, &e);
		goto out;
	}
	count(req, "personalized");
	struct issued d;
	issued_init(&d);
	if (load_issued(req, resp, app, &d) == 0)
		rc = api_reply(resp, 201, issued_summary(&d, spool_and_print(req, &d)));
	issued_release(&d);
out:
	buf_release(&photo);
	json_decref(body);
	return rc;
}

/* POST /api/v1/applications/{id}/print-job {}: the print job again (personalized only). */
static int route_print_job(struct http_req *req, struct http_resp *resp)
{
	const char *actor = api_actor(req, resp), *app;
	json_t *body = NULL;
	if (!actor || api_app_id(req, resp, &app) < 0 || api_body(req, resp, 1, &body) < 0)
		return -1;
	int rc = -1;
	char spool[1024];
	struct office_server *s = req->app;
	struct issued d;
	issued_init(&d);
	if (api_only_keys(req, resp, body, NO_FIELDS) < 0 ||
	    issuance_path(req, resp, office_server_config(s)->issuance.spool_dir, spool,
			  sizeof spool) < 0 ||
	    load_issued(req, resp, app, &d) < 0)
		goto out;
	if (strcmp(d.state, WF_STATE_PERSONALIZED) != 0) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_STATE, "application %s is '%s': "
				  "a print job is made again only before the quality check", app,
				  d.state);
		goto out;
	}
	rc = api_reply(resp, 200, issued_summary(&d, spool_and_print(req, &d)));
out:
	issued_release(&d);
	json_decref(body);
	return rc;
}

/* POST /api/v1/applications/{id}/quality-check {print_ok: bool} */
static int route_quality(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	const char *actor = api_actor(req, resp), *app;
	json_t *body = NULL, *failures = NULL;
	static const char *const keys[] = { "print_ok", NULL };
	if (!actor || api_app_id(req, resp, &app) < 0 || api_body(req, resp, 0, &body) < 0)
		return -1;
	int rc = -1;
	char spool[1024], csca[1024], job[1200];
	struct issued d;
	issued_init(&d);
	const json_t *ok = json_object_get(body, "print_ok");
	if (api_only_keys(req, resp, body, keys) < 0)
		goto out;
	if (!json_is_boolean(ok)) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "field 'print_ok' must be "
				  "true or false: did the printed page pass the officer's inspection?");
		goto out;
	}
	const struct config_issuance *is = &office_server_config(s)->issuance;
	if (issuance_path(req, resp, is->spool_dir, spool, sizeof spool) < 0 ||
	    issuance_path(req, resp, is->csca_cert, csca, sizeof csca) < 0 ||
	    load_issued(req, resp, app, &d) < 0)
		goto out;
	if (strcmp(d.state, WF_STATE_PERSONALIZED) != 0) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_STATE, "application %s is '%s': "
				  "application.quality_checked needs 'personalized'", app, d.state);
		goto out;
	}
	if (strcmp(d.personalized_by, actor) == 0) {
		rc = http_problem(req, resp, HTTP_PROBLEM_SEPARATION, "separation of duties: %s "
				  "personalized this booklet and cannot quality-check it", actor);
		goto out;
	}
	struct err e = ERR_INIT;
	failures = json_array();
	if (!failures || issued_job_dir(&d, spool, job, sizeof job, &e) < 0 ||
	    issued_quality_check(&d, job, csca, failures, &e) < 0) {
		rc = api_wf_problem(req, resp, WF_OK, &e);
		goto out;
	}
	if (!json_is_true(ok) &&
	    json_array_insert_new(failures, 0, json_string("print: the officer found the "
							   "printed data page faulty")) < 0) {
		rc = http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE, "out of memory");
		goto out;
	}
	while (json_array_size(failures) > ISSUED_QC_FAILURES_MAX)
		json_array_remove(failures, json_array_size(failures) - 1);
	struct wf_quality op = { { actor, app, WF_OK, 0 }, d.booklet, failures };
	if (office_server_submit(s, wf_quality_checked, &op, NULL, &e) < 0) {
		rc = api_wf_problem(req, resp, op.hdr.reason, &e);
		goto out;
	}
	int passed = json_array_size(failures) == 0;
	count(req, passed ? "quality_passed" : "quality_failed");
	/* what the officer can do next: hand over, or spoil and redo */
	char next[200];
	snprintf(next, sizeof next, passed ? "POST /api/v1/applications/%s/hand-over"
		 : "POST /api/v1/applications/%s/spoil {booklet, reason}, then …/personalize",
		 app);
	rc = api_reply(resp, 200, json_pack("{s:s, s:s, s:s, s:O, s:s, s:s}", "application_id",
					    app, "booklet", d.booklet, "result",
					    passed ? "passed" : "failed", "failures", failures,
					    "state", passed ? WF_STATE_QUALITY_CHECKED
							    : WF_STATE_QC_FAILED, "next", next));
out:
	issued_release(&d);
	json_decref(failures);
	json_decref(body);
	return rc;
}

/* POST /api/v1/applications/{id}/spoil {booklet, reason, witness}: spoil and redo, with
 * a second officer present (a booklet custodian or a supervisor), so that a printer
 * operator alone cannot make a second signed booklet for one application */
static int route_spoil(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	const char *actor = api_actor(req, resp), *app, *booklet = NULL, *reason = NULL;
	json_t *body = NULL;
	static const char *const keys[] = { "booklet", "reason", "witness", NULL };
	if (!actor || api_app_id(req, resp, &app) < 0 || api_body(req, resp, 0, &body) < 0)
		return -1;
	int rc = -1;
	char witness[AUTH_USERNAME_MAX + 1];
	struct issued d;
	issued_init(&d);
	if (api_only_keys(req, resp, body, keys) < 0 ||
	    api_str(req, resp, body, "booklet", 1, 8, &booklet) < 0 ||
	    api_str(req, resp, body, "reason", 1, 500, &reason) < 0)
		goto out;
	/* the application first: a witness's password is checked only for a spoil that can
	 * happen (the writer checks again) */
	if (load_issued(req, resp, app, &d) < 0)
		goto out;
	if (strcmp(d.state, WF_STATE_ISSUED) == 0 || strcmp(d.booklet, booklet) != 0) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_STATE, "application %s is '%s' on "
				  "booklet %s: only its current booklet is spoiled, and never after "
				  "the hand-over", app, d.state, d.booklet);
		goto out;
	}
	if (api_witness(req, resp, body, ROLE_BIT(ROLE_BOOKLET_CUSTODIAN) |
			ROLE_BIT(ROLE_ADJUDICATOR), "a booklet custodian or a supervisor "
			"(adjudicator)", witness) < 0)
		goto out;
	struct wf_void op = { { actor, app, WF_OK, 0 }, booklet, reason, witness };
	struct err e = ERR_INIT;
	if (office_server_submit(s, wf_void_personalization, &op, NULL, &e) < 0) {
		rc = api_wf_problem(req, resp, op.hdr.reason, &e);
		goto out;
	}
	drop_job(req, booklet, app);
	count(req, "spoiled");
	rc = api_reply(resp, 200, json_pack("{s:s, s:s, s:s, s:s}", "application_id", app,
					    "spoiled_booklet", booklet, "state", WF_STATE_PAID,
					    "witness", witness));
out:
	/* jansson frees the witness's password unwiped: see docs/AUTH.md */
	issued_release(&d);
	json_decref(body);
	return rc;
}

/* POST /api/v1/applications/{id}/hand-over {booklet, collected_by, proxy?, password,
 * totp?} — the officer's password (and TOTP code) again: identity re-confirmed. */
static int route_hand_over(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	const char *actor = api_actor(req, resp), *app, *booklet = NULL, *by = NULL,
		   *pw = NULL, *totp = NULL, *pname = NULL, *poa = NULL;
	json_t *body = NULL;
	static const char *const keys[] = { "booklet", "collected_by", "proxy", "password",
					    "totp", NULL };
	static const char *const pkeys[] = { "name", "nik", "identity", "power_of_attorney",
					     NULL };
	if (!actor || api_app_id(req, resp, &app) < 0 || api_body(req, resp, 0, &body) < 0)
		return -1;
	int rc = -1, is_nik = 0;
	char idref[IDREF_MAX] = "";
	const json_t *proxy = json_object_get(body, "proxy");
	if (api_only_keys(req, resp, body, keys) < 0 ||
	    api_str(req, resp, body, "booklet", 1, 8, &booklet) < 0 ||
	    api_str(req, resp, body, "collected_by", 1, 10, &by) < 0 ||
	    api_str(req, resp, body, "password", 1, 256, &pw) < 0 ||
	    api_str(req, resp, body, "totp", 0, 10, &totp) < 0)
		goto out;
	if (strcmp(by, "holder") != 0 && strcmp(by, "proxy") != 0) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				  "field 'collected_by' must be 'holder' or 'proxy'");
		goto out;
	}
	if ((strcmp(by, "proxy") == 0) != (proxy != NULL)) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "field 'proxy' {name, nik "
				  "or identity, power_of_attorney} is needed for a proxy, and only "
				  "then");
		goto out;
	}
	if (proxy && (!json_is_object(proxy) || api_only_keys(req, resp, proxy, pkeys) < 0 ||
		      api_str(req, resp, proxy, "name", 1, 150, &pname) < 0 ||
		      api_str(req, resp, proxy, "power_of_attorney", 1, 100, &poa) < 0 ||
		      api_need_idref(req, resp, proxy, idref, &is_nik) < 0)) {
		if (!json_is_object(proxy))
			rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					  "field 'proxy' must be an object");
		goto out;
	}
	/* the officer's identity, re-confirmed */
	const struct auth_officer *me = auth_http_officer(req);
	struct auth_officer again;
	struct err e = ERR_INIT;
	enum auth_result ar = auth_verify_credentials(office_server_auth(s), me->username, pw,
						      totp, req->client_ip, &again, &e);
	if (ar == AUTH_THROTTLED) {
		rc = api_rate_limited(req, resp, 60);
		goto out;
	}
	if (ar == AUTH_BUSY || ar == AUTH_ERROR) {
		rc = http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE, "cannot check the password "
				  "now; try again");
		goto out;
	}
	if (ar != AUTH_OK) {
		rc = http_problem(req, resp, HTTP_PROBLEM_FORBIDDEN, "the hand-over needs the "
				  "officer's own password (and TOTP code) again: not confirmed");
		goto out;
	}
	struct wf_hand_over op = { { actor, app, WF_OK, 0 }, booklet, by, pname,
				   idref[0] ? idref : NULL, poa };
	if (office_server_submit(s, wf_hand_over, &op, NULL, &e) < 0) {
		rc = api_wf_problem(req, resp, op.hdr.reason, &e);
		goto out;
	}
	drop_job(req, booklet, app);
	count(req, "handed_over");
	rc = api_reply(resp, 200, json_pack("{s:s, s:s, s:s, s:s}", "application_id", app,
					    "booklet", booklet, "collected_by", by, "state",
					    WF_STATE_ISSUED));
out:
	json_decref(body);
	return rc;
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

#define APP "/api/v1/applications/{id}"
const struct api_route api_issue_routes[] = {
	{ "POST", APP "/personalize", route_personalize, 0, ACT_PERSONALIZE, 0, HTTP_JSON_ONLY },
	{ "POST", APP "/print-job", route_print_job, 0, ACT_PERSONALIZE, 0, HTTP_JSON_ONLY },
	{ "POST", APP "/quality-check", route_quality, 0, ACT_QUALITY_CHECK, 0, HTTP_JSON_ONLY },
	{ "POST", APP "/spoil", route_spoil, 0, ACT_BOOKLET_SPOIL, 0, HTTP_JSON_ONLY },
	{ "POST", APP "/hand-over", route_hand_over, 0, ACT_HAND_OVER, 0, HTTP_JSON_ONLY },
	{ "GET", APP "/chip/{file}", route_chip, 0, ACT_APPLICATION_VIEW, 0, NULL },
	{ "GET", APP "/data-page.pdf", route_page_pdf, 0, ACT_APPLICATION_VIEW, 0, NULL },
	{ "GET", APP "/data-page.png", route_page_png, 0, ACT_APPLICATION_VIEW, 0, NULL },
	{ "GET", "/api/v1/issuance/uncollected", route_uncollected, 0, ACT_APPLICATION_SEARCH, 0,
	  NULL },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
#undef APP
