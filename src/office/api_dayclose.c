/*
 * api_dayclose — the daily close over HTTP (docs/DAYCLOSE.md, docs/API.md):
 *
 *   POST /api/v1/days/{date}/report {counted, note?}  the report, nothing recorded (200)
 *   POST /api/v1/days/{date}/close  {counted, note?}  appends day.closed (201)
 *   GET  /api/v1/days/{date}                          the stored close (404 if none)
 *
 * All three are action office.daily_close (booklet custodian, adjudicator). The two
 * POSTs are rows of the office's operation table (office/ops.c ops_dayclose, served by
 * ops_handle: the day in the path, OP_DAY, and the body's schema are the rows'); this
 * file keeps their hooks (the count, the signer, the answers) and the read route. The
 * report reads through the read-only pool; the close makes its report again inside the
 * writer's transaction (office/dayclose.h), so what is recorded is what the log and the
 * tables held at that moment. A close whose count does not match needs a note (422
 * note-required without one; the detail gives the missing and unexpected counts, the
 * report route lists the numbers) and is then recorded with the mismatch shown.
 */
#include <string.h>

#include "office/api.h"
#include "office/config.h"
#include "office/dayclose.h"
#include "office/ops.h"
#include "signproto/client.h"
#include "util/alloc.h"

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

/* What the hooks of a day's rows keep for the request (c->hold). */
struct day_hold {
	struct cal_date day;
	struct dayclose_counted counted;
	struct signer_signatures list;
	struct dayclose_signer signer;
	char why[512];
};

/* Both rows: the count parsed, then the signer asked (before the writer's transaction
 * for the close: a signature made between the two is not in this close, docs/DAYCLOSE.md;
 * the centre's reconciliation sees it). */
int ops_day_check(struct ops_call *c)
{
	struct day_hold *h = mem_calloc(1, sizeof *h);
	if (!h)
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INTERNAL, "out of memory");
	c->hold = h;
	cal_date_parse(c->id, &h->day); /* OP_DAY checked it */
	const json_t *list = json_object_get(c->body, "counted");
	if (!list)
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_FIELD, "field 'counted' "
				    "is missing (the booklet numbers in the vault; [] when it is "
				    "empty)");
	struct err e = ERR_INIT;
	if (dayclose_counted_parse(list, &h->counted, &e) < 0) {
		if (e.code == ERR_INPUT)
			return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_FIELD,
					    "field 'counted': %s", e.msg);
		return api_wf_problem(c->req, c->resp, WF_OK, &e);
	}
	ask_signer(c->req->app, &h->day, &h->list, &h->signer, h->why, sizeof h->why);
	struct dayclose_close *op = c->op;
	if (c->row->writer) {
		op->counted = &h->counted;
		op->signer = &h->signer;
	}
	return 0;
}

/* POST /api/v1/days/{date}/report: the report, in one snapshot */
int ops_day_report_reply(struct ops_call *c)
{
	struct office_server *s = c->req->app;
	struct day_hold *h = c->hold;
	json_t *report = NULL;
	struct err e = ERR_INIT;
	sqlite3 *db = api_db_acquire(s);
	int rc = dayclose_report(db, &h->day, &h->counted, &report, &e);
	if (rc == 0 && (rc = dayclose_report_signer(db, &h->signer, report, &e)) < 0) {
		json_decref(report);
		report = NULL;
	}
	api_db_release(s, db);
	if (rc < 0)
		return api_wf_problem(c->req, c->resp, WF_OK, &e);
	return api_reply(c->resp, 200, report);
}

/* POST /api/v1/days/{date}/close */
int ops_day_close_reply(struct ops_call *c)
{
	const struct dayclose_close *op = c->op;
	return api_reply(c->resp, 201, json_pack("{s:s, s:I, s:s, s:O, s:s?, s:O}", "day",
						 op->day, "seq", (json_int_t)op->hdr.seq,
						 "closed_by", op->hdr.actor, "mismatch",
						 json_object_get(op->report, "mismatch"), "note",
						 op->note, "report", op->report));
}

void ops_day_release(struct ops_call *c)
{
	struct day_hold *h = c->hold;
	if (c->row->writer)
		json_decref(((struct dayclose_close *)c->op)->report);
	if (!h)
		return;
	signer_signatures_release(&h->list);
	dayclose_counted_release(&h->counted);
	mem_free(h);
}

/* GET /api/v1/days/{date} */
static int route_get(struct http_req *req, struct http_resp *resp)
{
	struct cal_date d;
	if (api_day_param(req, resp, "date", &d) < 0)
		return -1;
	char day[11];
	cal_date_format(&d, day);
	json_t *v = NULL;
	int rc = api_read(req, resp, dayclose_get, day, &v);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "day %s is not closed", day);
	return api_reply(resp, 200, v);
}

/* after the write routes of ops_dayclose */
const struct api_route api_dayclose_read_routes[] = {
	{ "GET", "/api/v1/days/{date}", route_get, 0, ACT_DAILY_CLOSE_VIEW, 0, NULL },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
