/*
 * api_query — the officers' queries (docs/API.md): applications by state and day (no
 * personal fields), search by booking code, NIK / identity reference or name, one
 * application, and its history (its events opened with the node's data key).
 *
 * Queries read through the server's read-only SQLite pool (api_db_acquire). Every view
 * of an applicant's personal data is recorded first, as application.viewed through the
 * writer (wf_view; what = "details", "history" or "search"), and the data is answered
 * only once that event is durable: a view that cannot be recorded is not shown.
 */
#include <string.h>

#include "office/api.h"
#include "office/nik.h"

static const char *const states[] = {
	WF_STATE_BOOKED, WF_STATE_CANCELLED, WF_STATE_NO_SHOW, WF_STATE_CHECKED_IN,
	WF_STATE_DOCUMENTS_VERIFIED, WF_STATE_ENROLLED, WF_STATE_INTERVIEWED,
	WF_STATE_APPROVED, WF_STATE_REJECTED, WF_STATE_PAID, WF_STATE_PERSONALIZED,
	WF_STATE_QUALITY_CHECKED, WF_STATE_QC_FAILED, WF_STATE_ISSUED, NULL
};

/* Records one access event. */
static int record_view(struct http_req *req, struct http_resp *resp, const char *actor,
		       const char *app, const char *what)
{
	struct office_server *s = req->app;
	struct wf_view op = { { actor, app, WF_OK, 0 }, what };
	struct err e = ERR_INIT;
	if (office_server_submit(s, wf_view, &op, NULL, &e) < 0)
		return api_wf_problem(req, resp, op.hdr.reason, &e);
	return 0;
}

/* GET /api/v1/applications?state=S&date=D */
static int route_list(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	const char *state = http_req_query(req, "state"), *date = http_req_query(req, "date");
	if (state) {
		int known = 0;
		for (size_t i = 0; states[i] && !known; i++)
			known = strcmp(state, states[i]) == 0;
		if (!known)
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					    "parameter 'state' is not a state of an application");
	}
	struct cal_date d;
	if (date && cal_date_parse(date, &d) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "parameter 'date' must be a date YYYY-MM-DD");
	sqlite3 *db = api_db_acquire(s);
	json_t *list = NULL;
	struct err e = ERR_INIT;
	int rc = wf_query_list(db, state, date, 1000, &list, &e);
	api_db_release(s, db);
	if (rc < 0)
		return api_wf_problem(req, resp, WF_OK, &e);
	/* a list shows no personal fields (viewing them is recorded, a list is not) */
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		json_object_del(v, "full_name");
	return api_reply(resp, 200, json_pack("{s:o}", "applications", list));
}

/* POST /api/v1/applications/search: {code} | {nik} | {identity} | {name} */
static int route_search(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "code", "nik", "identity", "name", NULL };
	struct office_server *s = req->app;
	const char *actor = api_actor(req, resp);
	if (!actor)
		return -1;
	json_t *body;
	if (http_req_json(req, resp, &body) < 0)
		return -1;
	int rc = -1;
	json_t *found = NULL;
	const char *code, *name;
	char value[IDREF_MAX > 65 ? IDREF_MAX : 65];
	const char *by = NULL;
	int is_nik, have;
	if (api_only_keys(req, resp, body, keys) < 0 ||
	    api_str(req, resp, body, "code", 0, 64, &code) < 0 ||
	    api_str(req, resp, body, "name", 0, 600, &name) < 0 ||
	    (have = api_idref(req, resp, body, value, &is_nik)) < 0)
		goto out;
	if ((code != NULL) + (name != NULL) + have != 1) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				  "give exactly one of 'code', 'nik', 'identity', 'name'");
		goto out;
	}
	if (code) {
		if (api_code_hash(req, resp, "code", code, value) < 0)
			goto out;
		by = "code";
	} else if (have) {
		by = "nik";
	} else {
		if (strlen(name) < 2) {
			rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					  "field 'name' needs at least 2 characters");
			goto out;
		}
		snprintf(value, sizeof value, "%s", ""); /* name is passed as is */
		by = "name";
	}
	sqlite3 *db = api_db_acquire(s);
	struct err e = ERR_INIT;
	int qrc = wf_query_search(db, by, strcmp(by, "name") == 0 ? name : value, &found, &e);
	api_db_release(s, db);
	if (qrc < 0) {
		rc = api_wf_problem(req, resp, WF_OK, &e);
		goto out;
	}
	size_t i;
	json_t *v;
	json_array_foreach(found, i, v) {
		const char *app = json_string_value(json_object_get(v, "id"));
		if (app && record_view(req, resp, actor, app, "search") < 0)
			goto out;
	}
	rc = api_reply(resp, 200, json_pack("{s:O}", "applications", found));
out:
	json_decref(found);
	json_decref(body);
	return rc;
}

/* GET /api/v1/applications/{id} */
static int route_get(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	const char *actor = api_actor(req, resp), *app;
	if (!actor || api_app_id(req, resp, &app) < 0)
		return -1;
	sqlite3 *db = api_db_acquire(s);
	json_t *row = NULL;
	enum wf_reason reason = WF_OK;
	struct err e = ERR_INIT;
	int rc = wf_query_get(db, app, &row, &reason, &e);
	api_db_release(s, db);
	if (rc < 0)
		return api_wf_problem(req, resp, reason, &e);
	if (record_view(req, resp, actor, app, "details") < 0) {
		json_decref(row);
		return -1;
	}
	return api_reply(resp, 200, row);
}

/* GET /api/v1/applications/{id}/history */
static int route_history(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	const char *actor = api_actor(req, resp), *app;
	if (!actor || api_app_id(req, resp, &app) < 0)
		return -1;
	/* record first (also checks that the application exists) */
	if (record_view(req, resp, actor, app, "history") < 0)
		return -1;
	sqlite3 *db = api_db_acquire(s);
	json_t *events = NULL;
	struct err e = ERR_INIT;
	int rc = wf_query_history(db, office_server_data_key(s), app, &events, &e);
	api_db_release(s, db);
	if (rc < 0)
		return api_wf_problem(req, resp, WF_OK, &e);
	return api_reply(resp, 200, json_pack("{s:s, s:o}", "application_id", app, "events",
					      events));
}

const struct api_route api_query_routes[] = {
	{ "GET", "/api/v1/applications", route_list, 0, ACT_APPLICATION_SEARCH, 0, NULL },
	{ "POST", "/api/v1/applications/search", route_search, 0, ACT_APPLICATION_SEARCH, 0,
	  HTTP_JSON_ONLY },
	{ "GET", "/api/v1/applications/{id}", route_get, 0, ACT_APPLICATION_VIEW, 0, NULL },
	{ "GET", "/api/v1/applications/{id}/history", route_history, 0,
	  ACT_APPLICATION_HISTORY, 0, NULL },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
