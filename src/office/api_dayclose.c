/*
 * api_dayclose — the daily close over HTTP (docs/DAYCLOSE.md, docs/API.md):
 *
 *   POST /api/v1/days/{date}/report {counted, note?}  the report, nothing recorded (200)
 *   POST /api/v1/days/{date}/close  {counted, note?}  appends day.closed (201)
 *   GET  /api/v1/days/{date}                          the stored close (404 if none)
 *
 * All three are action office.daily_close (booklet custodian, adjudicator). The report
 * reads through the read-only pool; the close makes its report again inside the
 * writer's transaction (office/dayclose.h), so what is recorded is what the log and the
 * tables held at that moment. A close whose count does not match needs a note (422
 * note-required without one; the detail gives the missing and unexpected counts, the
 * report route lists the numbers) and is then recorded with the mismatch shown.
 */
#include <string.h>

#include "office/api.h"
#include "office/config.h"
#include "office/dayclose.h"
#include "signproto/client.h"

#define DAY_BODY_MAX ((size_t)1 << 20) /* a count of up to 100 000 single numbers */

/* The {date} parameter: a real date, not after today (422 otherwise). */
static int path_day(struct http_req *req, struct http_resp *resp, struct cal_date *d,
		    char today[11])
{
	struct office_server *s = req->app;
	const char *p = http_req_param(req, "date");
	if (!p || cal_date_parse(p, d) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "the day in the path must be a date YYYY-MM-DD");
	struct cal_date t;
	if (api_today(s, &t, NULL) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INTERNAL, NULL);
	cal_date_format(&t, today);
	if (cal_date_cmp(d, &t) > 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "day %s has not begun (today is %s)", p, today);
	return 0;
}

/* The body {counted, note?}: the count parsed into c, the note (borrowed from *body). */
static int count_body(struct http_req *req, struct http_resp *resp, json_t **body,
		      struct dayclose_counted *c, const char **note)
{
	static const char *const keys[] = { "counted", "note", NULL };
	*body = NULL;
	if (api_body(req, resp, 0, body) < 0)
		return -1;
	if (api_only_keys(req, resp, *body, keys) < 0 ||
	    api_str(req, resp, *body, "note", 0, 4 * DAYCLOSE_NOTE_MAX, note) < 0)
		goto fail;
	const json_t *list = json_object_get(*body, "counted");
	if (!list) {
		http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "field 'counted' is missing "
			     "(the booklet numbers in the vault; [] when it is empty)");
		goto fail;
	}
	struct err e = ERR_INIT;
	if (dayclose_counted_parse(list, c, &e) < 0) {
		if (e.code == ERR_INPUT)
			http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "field 'counted': %s",
				     e.msg);
		else
			api_wf_problem(req, resp, WF_OK, &e);
		goto fail;
	}
	return 0;
fail:
	json_decref(*body);
	*body = NULL;
	return -1;
}

/* Asks the signer (issuance.signer_socket) for its signatures of local day d: sg->asked
 * 0 when this office has no issuance section; an unreachable signer is shown in the
 * report (signer.error), not hidden. list is the caller's (signer_signatures_release). */
static void ask_signer(struct office_server *s, const struct cal_date *d,
		       struct signer_signatures *list, struct dayclose_signer *sg,
		       char *why, size_t wsize)
{
	memset(sg, 0, sizeof *sg);
	list->sig = NULL;
	list->n = 0;
	const struct config *cfg = office_server_config(s);
	if (!cfg->issuance.configured)
		return;
	sg->asked = 1;
	struct cal_date next;
	cal_date_from_days(cal_date_to_days(d) + 1, &next);
	int64_t from, to;
	char path[CONFIG_PATH_MAX + 600];
	struct err e = ERR_INIT;
	if (calendar_local_to_utc(d, 0, &from, &e) < 0 ||
	    calendar_local_to_utc(&next, 0, &to, &e) < 0 ||
	    config_resolve_path(office_server_dir(s), cfg->issuance.signer_socket, path, sizeof path,
				&e) < 0 ||
	    signer_client_list(path, from, to, list, &e) < 0) {
		snprintf(why, wsize, "the signer could not be asked: %.400s", e.msg);
		sg->error = why;
		return;
	}
	sg->sig = list->sig;
	sg->n = list->n;
}

/* POST /api/v1/days/{date}/report */
static int route_report(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	struct cal_date d;
	char today[11];
	if (path_day(req, resp, &d, today) < 0)
		return -1;
	json_t *body;
	struct dayclose_counted c;
	const char *note;
	if (count_body(req, resp, &body, &c, &note) < 0)
		return -1;
	json_t *report = NULL;
	struct err e = ERR_INIT;
	struct signer_signatures list;
	struct dayclose_signer sg;
	char why[512];
	ask_signer(s, &d, &list, &sg, why, sizeof why);
	sqlite3 *db = api_db_acquire(s); /* one snapshot for the whole report */
	int rc = dayclose_report(db, &d, &c, &report, &e);
	if (rc == 0 && (rc = dayclose_report_signer(db, &sg, report, &e)) < 0) {
		json_decref(report);
		report = NULL;
	}
	api_db_release(s, db);
	signer_signatures_release(&list);
	dayclose_counted_release(&c);
	json_decref(body);
	if (rc < 0)
		return api_wf_problem(req, resp, WF_OK, &e);
	return api_reply(resp, 200, report);
}

/* POST /api/v1/days/{date}/close */
static int route_close(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	const char *actor = api_actor(req, resp);
	if (!actor)
		return -1;
	struct cal_date d;
	char today[11];
	if (path_day(req, resp, &d, today) < 0)
		return -1;
	json_t *body;
	struct dayclose_counted c;
	const char *note;
	if (count_body(req, resp, &body, &c, &note) < 0)
		return -1;
	char day[11];
	cal_date_format(&d, day);
	/* the signer is asked before the writer's transaction: a signature made between the
	 * two is not in this close (docs/DAYCLOSE.md; the centre's reconciliation sees it) */
	struct signer_signatures list;
	struct dayclose_signer sg;
	char why[512];
	ask_signer(s, &d, &list, &sg, why, sizeof why);
	struct dayclose_close op = { { actor, NULL, WF_OK, 0 }, day, today, &c, note, NULL, &sg };
	struct err e = ERR_INIT;
	int rc = office_server_submit(s, dayclose_close, &op, NULL, &e);
	signer_signatures_release(&list);
	dayclose_counted_release(&c);
	if (rc < 0) {
		json_decref(op.report);
		json_decref(body);
		return api_wf_problem(req, resp, op.hdr.reason, &e);
	}
	json_t *ans = json_pack("{s:s, s:I, s:s, s:O, s:s?, s:O}", "day", day, "seq",
				(json_int_t)op.hdr.seq, "closed_by", actor, "mismatch",
				json_object_get(op.report, "mismatch"), "note", note, "report",
				op.report);
	json_decref(op.report);
	json_decref(body);
	return api_reply(resp, 201, ans);
}

/* GET /api/v1/days/{date} */
static int route_get(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	const char *p = http_req_param(req, "date");
	struct cal_date d;
	if (!p || cal_date_parse(p, &d) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "the day in the path must be a date YYYY-MM-DD");
	char day[11];
	cal_date_format(&d, day);
	json_t *v = NULL;
	struct err e = ERR_INIT;
	sqlite3 *db = api_db_acquire(s);
	int rc = dayclose_get(db, day, &v, &e);
	api_db_release(s, db);
	if (rc < 0)
		return api_wf_problem(req, resp, WF_OK, &e);
	if (rc == 0)
		return http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "day %s is not closed", day);
	return api_reply(resp, 200, v);
}

const struct api_route api_dayclose_routes[] = {
	{ "POST", "/api/v1/days/{date}/report", route_report, 0, ACT_DAILY_CLOSE, DAY_BODY_MAX,
	  HTTP_JSON_ONLY },
	{ "POST", "/api/v1/days/{date}/close", route_close, 0, ACT_DAILY_CLOSE, DAY_BODY_MAX,
	  HTTP_JSON_ONLY },
	{ "GET", "/api/v1/days/{date}", route_get, 0, ACT_DAILY_CLOSE_VIEW, 0, NULL },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
