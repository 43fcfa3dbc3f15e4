/*
 * test_ops — the office operation table (office/ops.h): every row is served by the
 * server's route table, names an action and an event kind that exist, answers the state
 * its transition makes, lists refusals that exist, and its schema refuses an unknown
 * key; the API style of office/schema.h gives the API's texts (api.c's api_str/api_int/
 * api_only_keys), the event style its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "log/kinds.h"
#include "office/booklets.h"
#include "office/dayclose.h"
#include "office/officers.h"
#include "office/ops.h"
#include "office/roles.h"
#include "office/schema.h"
#include "office/server.h"
#include "office/wf_internal.h"
#include "office/workflow.h"

/* The route table of each op table, by the index of ops_tables. */
static const struct api_route *const ROUTES[] = { api_counter_routes, api_issue_routes,
						  api_booklet_routes, api_dayclose_routes,
						  api_officer_routes };

/* `paspor office routes` as text (the routes the server serves). */
static char *routes_text(void)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	if (!f)
		return NULL;
	office_routes_print(f, 0);
	fclose(f);
	return text;
}

TEST(ops_every_row_is_served)
{
	char *text = routes_text();
	CHECK(text != NULL);
	size_t rows = 0;
	for (size_t t = 0; ops_tables[t]; t++)
	for (const struct op_row *r = ops_tables[t]; r->method; r++, rows++) {
		char line[300];
		snprintf(line, sizeof line, "\n%s %s officer ", r->method, r->pattern);
		if (!strstr(text, line)) {
			test_fail(__FILE__, __LINE__, "row %s %s is not served", r->method, r->pattern);
			break;
		}
		const struct op_row *route = ops_find(r->method, r->pattern);
		CHECK(route != NULL);
		int served = 0;
		for (const struct api_route *a = ROUTES[t]; a->method; a++)
			if (strcmp(a->method, r->method) == 0 && strcmp(a->pattern, r->pattern) == 0)
				served += a->handler == ops_handle && a->action == route->action;
		CHECK_INT_EQ(served, 1);
	}
	free(text);
	CHECK(rows >= 33);
}

/* Every route of the op tables is an op row's or a read route, each served once; the
 * read routes keep their place among the op routes (the order of the Allow header). */
TEST(ops_route_tables_keep_their_order)
{
	ops_routes_init();
	for (size_t t = 0; ops_tables[t]; t++)
	for (const struct api_route *a = ROUTES[t]; a->method; a++) {
		CHECK(a->handler != NULL);
		if (a->handler == ops_handle)
			CHECK(ops_find(a->method, a->pattern) != NULL);
	}
	/* GET before POST on /officers, the reads of a booklet before its writes */
	const char *const officers[] = { "GET /api/v1/officers", "POST /api/v1/officers",
					 "GET /api/v1/officers/{username}",
					 "POST /api/v1/officers/{username}/disable" };
	const char *const booklets[] = { "POST /api/v1/booklets/ranges/{first}/confirm",
					 "GET /api/v1/booklets/stock",
					 "GET /api/v1/booklets/{number}",
					 "POST /api/v1/booklets/{number}/spoil" };
	const char *const days[] = { "POST /api/v1/days/{date}/report",
				     "POST /api/v1/days/{date}/close", "GET /api/v1/days/{date}" };
	const struct { const struct api_route *routes; const char *const *want; size_t n; }
		cases[] = { { api_officer_routes, officers, 4 }, { api_booklet_routes, booklets, 4 },
			    { api_dayclose_routes, days, 3 } };
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		size_t i = 0;
		for (const struct api_route *a = cases[k].routes; a->method && i < cases[k].n; a++) {
			char line[200];
			snprintf(line, sizeof line, "%s %s", a->method, a->pattern);
			i += strcmp(line, cases[k].want[i]) == 0;
		}
		CHECK_INT_EQ(i, cases[k].n);
	}
	/* an op route admits the union of its rows' roles (the decision: approve and
	 * reject), and a plain row that its body does not choose (no select) admits no
	 * role beyond its own action's: ops_handle checks only a variant's action again */
	for (size_t t = 0; ops_tables[t]; t++)
	for (const struct api_route *a = ROUTES[t]; a->method; a++) {
		const struct op_row *plain = a->handler == ops_handle
						     ? ops_find(a->method, a->pattern) : NULL;
		if (!plain)
			continue;
		unsigned want = 0;
		for (const struct op_row *v = plain; v->method; v++)
			if (strcmp(v->method, a->method) == 0 && strcmp(v->pattern, a->pattern) == 0)
				want |= roles_action_mask((enum action)v->action);
		CHECK_INT_EQ(ops_roles(a->method, a->pattern), want);
		if (!plain->select)
			CHECK_INT_EQ(want, roles_action_mask((enum action)plain->action));
	}
	const struct op_row *decide = ops_find("POST", "/api/v1/applications/{id}/decision");
	CHECK(decide != NULL);
	CHECK_INT_EQ(ops_roles(decide->method, decide->pattern),
		     roles_action_mask(ACT_APPROVE) | roles_action_mask(ACT_REJECT));
	/* the officers' first two routes are GET then POST /officers */
	CHECK_STR_EQ(api_officer_routes[0].method, "GET");
	CHECK_STR_EQ(api_officer_routes[1].method, "POST");
	CHECK_STR_EQ(api_officer_routes[1].pattern, "/api/v1/officers");
}

TEST(ops_rows_name_what_exists)
{
	CHECK(office_register_kinds() == 0);
	CHECK(booklets_register_kinds() == 0);
	CHECK(dayclose_register_kinds() == 0);
	CHECK(officers_register_kinds() == 0);
	CHECK_INT_EQ(sizeof ROUTES / sizeof ROUTES[0], 5);
	CHECK(ops_tables[5] == NULL);
	for (size_t t = 0; ops_tables[t]; t++)
	for (const struct op_row *r = ops_tables[t]; r->method; r++) {
		CHECK(r->action >= 0 && r->action < ACT_COUNT);
		CHECK(roles_action_name((enum action)r->action) != NULL);
		CHECK(roles_action_mask((enum action)r->action) != 0);
		/* a row that appends nothing (the print job again) has no writer, and back */
		CHECK((r->writer == NULL) == (r->event == NULL));
		if (r->event)
			CHECK(kinds_find(r->event, 1) != NULL || kinds_find(r->event, 2) != NULL);
		/* an application step answers the state the transition table gives */
		if (r->event && r->state && (r->flags & OP_APP)) {
			const char *from = wf_transition_from(r->event);
			CHECK(from != NULL);
			CHECK_STR_EQ(wf_transition(r->event, from), r->state);
		}
		/* a variant says who it is for and what the refused officer reads */
		if (r->select)
			CHECK(r->forbidden != NULL);
		CHECK((r->flags & OP_RAW) || r->body != NULL);
		/* a route with a {param} says what it is: an application id, a booklet
		 * number, a day or an officer, one of them */
		unsigned ids = r->flags & (OP_APP | OP_BOOKLET | OP_DAY | OP_OFFICER);
		CHECK((strchr(r->pattern, '{') != NULL) == (ids != 0));
		CHECK((ids & (ids - 1)) == 0);
		/* every refusal listed is a workflow reason */
		char list[300];
		snprintf(list, sizeof list, "%s", r->refusals);
		for (char *save = NULL, *w = strtok_r(list, ", ", &save); w;
		     w = strtok_r(NULL, ", ", &save)) {
			int known = 0;
			for (int k = 1; k < 64 && !known; k++)
				known = strcmp(wf_reason_name((enum wf_reason)k), w) == 0;
			if (!known) {
				test_fail(__FILE__, __LINE__, "%s %s: no refusal '%s'", r->method,
					  r->pattern, w);
				return;
			}
		}
	}
}

TEST(ops_decision_is_two_rows)
{
	const struct op_row *plain = ops_find("POST", "/api/v1/applications/{id}/decision");
	CHECK(plain != NULL);
	int approve = 0, reject = 0;
	for (const struct op_row *r = plain; r->method; r++) {
		if (strcmp(r->pattern, plain->pattern) != 0)
			continue;
		CHECK_STR_EQ(r->select, "decision");
		approve += r->action == ACT_APPROVE && strcmp(r->select_value, "approve") == 0;
		reject += r->action == ACT_REJECT && strcmp(r->select_value, "reject") == 0;
	}
	CHECK_INT_EQ(approve, 1);
	CHECK_INT_EQ(reject, 1);
}

TEST(ops_schemas_refuse_unknown_keys)
{
	json_t *body = json_pack("{s:i}", "unknown_key", 1);
	CHECK(body != NULL);
	for (size_t t = 0; ops_tables[t]; t++)
	for (const struct op_row *r = ops_tables[t]; r->method; r++) {
		if (r->flags & OP_RAW)
			continue;
		struct err e = ERR_INIT;
		CHECK_INT_EQ(schema_check_as(r->body, body, SCHEMA_API, &e), -1);
		CHECK_STR_EQ(e.msg, "field 'unknown_key' is not allowed here");
	}
	json_decref(body);
}

static const char *const DECIDE[] = { "approve", "reject", NULL };
static const struct field f_api[] = {
	REQ("name", T_STR, 1, 8),
	REQ_CHOICE("decision", 16, DECIDE, "approve or reject"),
	OPT("n", T_INT64, 1, 100),
	REQ("reasons", T_ARRAY, 1, 2),
	OPT("doc", T_OBJECT, 0, 0),
};
static const struct schema s_api = SCHEMA("test.kind", f_api, NULL);

/* The message schema_check_as gives for the JSON text in style. */
static const char *api_msg(const char *json, enum schema_style style, char out[512])
{
	json_t *b = json_loads(json, JSON_ALLOW_NUL, NULL);
	struct err e = ERR_INIT;
	int rc = b ? schema_check_as(&s_api, b, style, &e) : -1;
	json_decref(b);
	snprintf(out, 512, "%s", rc == 0 ? "ok" : e.msg);
	return out;
}

TEST(ops_schema_api_texts)
{
	char m[512];
	CHECK_STR_EQ(api_msg("{\"decision\":\"approve\",\"reasons\":[1]}", SCHEMA_API, m),
		     "field 'name' is missing");
	/* null is absent in the API */
	CHECK_STR_EQ(api_msg("{\"name\":null}", SCHEMA_API, m), "field 'name' is missing");
	CHECK_STR_EQ(api_msg("{\"name\":5}", SCHEMA_API, m), "field 'name' must be a string");
	CHECK_STR_EQ(api_msg("{\"name\":\"123456789\"}", SCHEMA_API, m),
		     "field 'name' must be 1 to 8 bytes");
	CHECK_STR_EQ(api_msg("{\"name\":\"a\\u202eb\"}", SCHEMA_API, m),
		     "field 'name' holds an invisible or control character (U+202E)");
	CHECK_STR_EQ(api_msg("{\"name\":\"a\\u0000b\"}", SCHEMA_API, m),
		     "field 'name' holds a NUL character");
	CHECK_STR_EQ(api_msg("{\"name\":\"a\",\"decision\":\"maybe\"}", SCHEMA_API, m),
		     "field 'decision' must be approve or reject");
	CHECK_STR_EQ(api_msg("{\"name\":\"a\",\"decision\":\"reject\",\"n\":0}", SCHEMA_API, m),
		     "field 'n' must be 1 to 100");
	CHECK_STR_EQ(api_msg("{\"name\":\"a\",\"decision\":\"reject\",\"n\":1.5}", SCHEMA_API, m),
		     "field 'n' must be an integer");
	/* a missing array reads as a wrong one */
	CHECK_STR_EQ(api_msg("{\"name\":\"a\",\"decision\":\"reject\"}", SCHEMA_API, m),
		     "field 'reasons' must be an array of 1 to 2 strings");
	CHECK_STR_EQ(api_msg("{\"name\":\"a\",\"decision\":\"reject\",\"reasons\":[1],"
			     "\"doc\":null}", SCHEMA_API, m),
		     "field 'doc' must be an object");
	CHECK_STR_EQ(api_msg("{\"name\":\"a\",\"decision\":\"reject\",\"reasons\":[1]}",
			     SCHEMA_API, m), "ok");
	/* unknown keys first, before any field; a key that is no name is not quoted */
	CHECK_STR_EQ(api_msg("{\"zz\":1}", SCHEMA_API, m), "field 'zz' is not allowed here");
	CHECK_STR_EQ(api_msg("{\"Zz\":1}", SCHEMA_API, m),
		     "the body has a field that is not allowed here");
	/* the event style keeps its texts */
	CHECK_STR_EQ(api_msg("{\"zz\":1}", SCHEMA_EVENT, m), "test.kind: field 'name' is missing");
	CHECK_STR_EQ(api_msg("{\"name\":\"a\",\"decision\":\"reject\",\"reasons\":[1],\"zz\":1}",
			     SCHEMA_EVENT, m), "test.kind: unknown field 'zz'");
}
