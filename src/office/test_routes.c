/*
 * test_routes — the test-only routes (docs/HTTP.md "Test-only routes"), compiled into
 * test builds only (-DPASPOR_TESTING, Makefile TESTING_SRC): they exercise the HTTP
 * wrapper (JSON bodies, a slow request for the shutdown test, an upload cap and media
 * type, a path parameter, a non-anonymous route), the writer (an operator.note) and
 * the workflow (its counts of guard runs and row reads).
 * server.c adds api_test_routes after its own rows when built with PASPOR_TESTING; they
 * are served only when the server is started with test_routes (PASPOR_TEST_ROUTES=1 for
 * `paspor office serve`). The release binary holds neither these routes nor the name of
 * that variable (tests/integration/build_knobs.sh).
 */
#ifndef PASPOR_TESTING
#error "office/test_routes.c is compiled into test builds only (-DPASPOR_TESTING)"
#endif

#include <time.h>

#include <jansson.h>

#include "log/canon.h"
#include "office/api.h"
#include "office/wf_internal.h"
#include "util/buf.h"

static int route_test_echo(struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	if (http_req_json(req, resp, &body) < 0)
		return -1;
	json_int_t ms = json_integer_value(json_object_get(body, "sleep_ms"));
	if (ms > 10000)
		ms = 10000;
	if (ms > 0) {
		struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	json_t *j = json_pack("{s:b, s:I}", "ok", 1, "keys", (json_int_t)json_object_size(body));
	json_decref(body);
	return api_reply(resp, 200, j);
}

struct note_arg {
	struct buf body;
	uint64_t seq;
};

static int append_note(struct writer_txn *tx, void *arg, struct err *e)
{
	struct note_arg *a = arg;
	return writer_txn_append(tx, "test", "operator.note", 1, "", a->body.data, a->body.len,
				 &a->seq, e);
}

static int route_test_notes(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	json_t *body;
	if (http_req_json(req, resp, &body) < 0)
		return -1;
	json_t *text = json_object_get(body, "text");
	if (!json_is_string(text) || json_object_size(body) != 1) {
		json_decref(body);
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "expected exactly {\"text\": string}");
	}
	struct note_arg a;
	buf_init(&a.body, (size_t)64 << 10);
	struct err e = ERR_INIT;
	int rc = canon_from_json(body, &a.body, &e);
	json_decref(body);
	if (rc == 0)
		rc = office_server_submit(s, append_note, &a, NULL, &e);
	buf_release(&a.body);
	if (rc < 0) {
		if (e.code == ERR_INPUT)
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "%s", e.msg);
		resp->err = e;
		return -1;
	}
	return api_reply(resp, 201, json_pack("{s:I}", "seq", (json_int_t)a.seq));
}

static int route_test_upload(struct http_req *req, struct http_resp *resp)
{
	return api_reply(resp, 200, json_pack("{s:I}", "bytes", (json_int_t)req->body_len));
}

static int route_test_item(struct http_req *req, struct http_resp *resp)
{
	return api_reply(resp, 200, json_pack("{s:s}", "id", http_req_param(req, "id")));
}

/* What the workflow did since the server started (tests/integration/office_issue.sh:
 * one guard run and one row read for each issuance step). */
static int route_test_workflow_counts(struct http_req *req, struct http_resp *resp)
{
	(void)req;
	unsigned long guards = __atomic_load_n(&wf_test_counts.guard_runs, __ATOMIC_RELAXED);
	unsigned long reads = __atomic_load_n(&wf_test_counts.row_reads, __ATOMIC_RELAXED);
	return api_reply(resp, 200, json_pack("{s:I, s:I}", "guard_runs", (json_int_t)guards,
					      "row_reads", (json_int_t)reads));
}

static const char *const TEST_JPEG_ONLY[] = { "image/jpeg", NULL };

const struct api_route api_test_routes[] = {
	{ "POST", "/api/v1/test/echo", route_test_echo, HTTP_ROUTE_TEST | HTTP_ROUTE_ANON,
	  API_ANON, 0, HTTP_JSON_ONLY },
	{ "POST", "/api/v1/test/notes", route_test_notes, HTTP_ROUTE_TEST | HTTP_ROUTE_ANON,
	  API_ANON, 0, HTTP_JSON_ONLY },
	{ "PUT", "/api/v1/test/upload", route_test_upload, HTTP_ROUTE_TEST | HTTP_ROUTE_ANON,
	  API_ANON, (size_t)4 << 20, TEST_JPEG_ONLY },
	{ "GET", "/api/v1/test/items/{id}", route_test_item,
	  HTTP_ROUTE_TEST | HTTP_ROUTE_ANON | HTTP_ROUTE_PUBLIC, API_ANON, 0, NULL },
	{ "GET", "/api/v1/test/workflow-counts", route_test_workflow_counts,
	  HTTP_ROUTE_TEST | HTTP_ROUTE_ANON, API_ANON, 0, NULL },
	{ "POST", "/api/v1/test/secret", route_test_echo, HTTP_ROUTE_TEST,
	  ACT_USERS_MANAGE, 0, HTTP_JSON_ONLY },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
