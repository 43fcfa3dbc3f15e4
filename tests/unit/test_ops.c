/*
 * test_ops — the office operation table (office/ops.h): every row is served by the
 * server's route table, names an action and an event kind that exist, answers the state
 * its transition makes, lists refusals that exist, and its schema refuses an unknown
 * key; the public rows (booking) are anonymous, on the public listener and throttled as
 * their handlers were, and their schemas check the fields in the handlers' order; the
 * API style of office/schema.h gives the API's texts (api.c's api_str/api_int/
 * api_only_keys), the event style its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "log/kinds.h"
#include "office/auth.h"
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
/* the route tables of ops_tables, in its order */
static const struct api_route *const ROUTES[] = { api_counter_routes, api_issue_routes,
						  api_booking_routes, api_booklet_routes,
						  api_dayclose_routes, api_officer_routes };

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
		snprintf(line, sizeof line, "\n%s %s %s", r->method, r->pattern,
			 (r->flags & OP_PUBLIC) ? "officer,public anon\n" : "officer 0x");
		if (!strstr(text, line)) {
			test_fail(__FILE__, __LINE__, "row %s %s is not served", r->method, r->pattern);
			break;
		}
		const struct op_row *route = ops_find(r->method, r->pattern);
		CHECK(route != NULL);
		int served = 0;
		CHECK(t < sizeof ROUTES / sizeof ROUTES[0]);
		for (const struct api_route *a = ROUTES[t]; a->method; a++)
			if (strcmp(a->method, r->method) == 0 && strcmp(a->pattern, r->pattern) == 0)
				served += a->handler == ops_handle && a->action == route->action &&
					  !(a->flags & HTTP_ROUTE_PUBLIC) == !(r->flags & OP_PUBLIC);
		CHECK_INT_EQ(served, 1);
	}
	free(text);
	CHECK(rows >= 39);
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
	/* the booking's in the order they always had: the reads among the writes */
	const char *const bookings[] = { "GET /api/v1/bookings/slots", "POST /api/v1/bookings",
					 "POST /api/v1/bookings/confirm",
					 "POST /api/v1/bookings/resend",
					 "POST /api/v1/bookings/status",
					 "POST /api/v1/bookings/cancel",
					 "POST /api/v1/bookings/reschedule", "POST /api/v1/walk-ins" };
	const struct { const struct api_route *routes; const char *const *want; size_t n; }
		cases[] = { { api_officer_routes, officers, 4 }, { api_booklet_routes, booklets, 4 },
			    { api_dayclose_routes, days, 3 }, { api_booking_routes, bookings, 8 } };
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
	CHECK_INT_EQ(sizeof ROUTES / sizeof ROUTES[0], 6);
	CHECK(ops_tables[6] == NULL);
	for (size_t t = 0; ops_tables[t]; t++)
	for (const struct op_row *r = ops_tables[t]; r->method; r++) {
		/* a public row is anonymous and throttled per client address */
		CHECK(!(r->flags & OP_PUBLIC) || r->action == API_ANON);
		CHECK(!(r->flags & OP_PUBLIC) || OP_LIMIT_OF(r->flags) >= 0);
		/* a gate runs first; then the submit hook checks the rest */
		CHECK(!(r->flags & OP_CHECK_FIRST) || (r->check && r->submit));
		if (!(r->flags & OP_PUBLIC)) {
			CHECK(r->action >= 0 && r->action < ACT_COUNT);
			CHECK(roles_action_name((enum action)r->action) != NULL);
			CHECK(roles_action_mask((enum action)r->action) != 0);
		}
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

/* The public rows throttle where their handlers did: before the body is read (a new
 * booking, its confirmation, a new code), or once it is read (a lookup); a walk-in is
 * an officer's. */
TEST(ops_booking_rows)
{
	static const struct {
		const char *pattern;
		int limit;
		unsigned late;
	} pub[] = {
		{ "/api/v1/bookings", OFFICE_LIMIT_BOOK_IP, 0 },
		{ "/api/v1/bookings/confirm", OFFICE_LIMIT_STATUS_IP, 0 },
		{ "/api/v1/bookings/resend", OFFICE_LIMIT_BOOK_IP, 0 },
		{ "/api/v1/bookings/cancel", OFFICE_LIMIT_STATUS_IP, OP_LIMIT_LATE },
		{ "/api/v1/bookings/reschedule", OFFICE_LIMIT_STATUS_IP, OP_LIMIT_LATE },
	};
	for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++) {
		const struct op_row *r = ops_find("POST", pub[i].pattern);
		CHECK(r != NULL);
		CHECK(r->flags & OP_PUBLIC);
		CHECK_INT_EQ(OP_LIMIT_OF(r->flags), pub[i].limit);
		CHECK_INT_EQ(r->flags & OP_LIMIT_LATE, pub[i].late);
	}
	/* confirm and resend answer a closed service before they read a field */
	CHECK(ops_find("POST", "/api/v1/bookings/confirm")->flags & OP_CHECK_FIRST);
	CHECK(ops_find("POST", "/api/v1/bookings/resend")->flags & OP_CHECK_FIRST);
	const struct op_row *w = ops_find("POST", "/api/v1/walk-ins");
	CHECK(w != NULL);
	CHECK(!(w->flags & OP_PUBLIC));
	CHECK_INT_EQ(w->action, ACT_BOOKING_WALK_IN);
	CHECK_INT_EQ(OP_LIMIT_OF(w->flags), -1);
	CHECK(ops_find("GET", "/api/v1/bookings/slots") == NULL); /* a read */
}

/* The message of the row's schema for a JSON text ("ok" when it passes). */
static const char *row_msg(const char *pattern, const char *json, char out[512])
{
	const struct op_row *r = ops_find("POST", pattern);
	json_t *b = json_loads(json, 0, NULL);
	struct err e = ERR_INIT;
	int rc = r && b ? schema_check_as(r->body, b, SCHEMA_API, &e) : -1;
	json_decref(b);
	snprintf(out, 512, "%s", rc == 0 ? "ok" : e.msg[0] ? e.msg : "no row");
	return out;
}

/* The booking schemas check the fields in the order the handlers read them. */
TEST(ops_booking_schemas)
{
	char m[512];
	const char *book = "/api/v1/bookings";
	/* the code's channel first, then the booking's fields in their order */
	CHECK_STR_EQ(row_msg(book, "{\"full_name\":1,\"send_code_to\":\"sms-me\"}", m),
		     "field 'send_code_to' must be 1 to 5 bytes");
	CHECK_STR_EQ(row_msg(book, "{\"sex\":1,\"full_name\":1}", m),
		     "field 'full_name' must be a string");
	CHECK_STR_EQ(row_msg(book, "{\"full_name\":\"A\",\"birth_place\":\"B\"}", m),
		     "field 'birth_date' is missing");
	CHECK_STR_EQ(row_msg(book, "{\"x\":1,\"full_name\":1}", m),
		     "field 'x' is not allowed here");
	const char *full = "{\"full_name\":\"A\",\"birth_place\":\"B\",\"birth_date\":"
			   "\"2000-01-01\",\"sex\":\"F\",\"address\":\"C\",\"phone\":"
			   "\"081\",\"email\":\"a@b.c\",\"passport_type\":\"p\"";
	char body[600];
	snprintf(body, sizeof body, "%s}", full);
	CHECK_STR_EQ(row_msg(book, body, m), "field 'slot_date' is missing");
	/* a walk-in's slot is today's: none is needed; the NIK is read after the fields */
	CHECK_STR_EQ(row_msg("/api/v1/walk-ins", body, m), "ok");
	CHECK_STR_EQ(row_msg("/api/v1/walk-ins", "{\"send_code_to\":\"phone\"}", m),
		     "field 'send_code_to' is not allowed here");
	snprintf(body, sizeof body, "%s,\"slot_date\":\"2030-01-01\",\"slot_start\":"
		 "\"09:00\",\"nik\":5}", full);
	CHECK_STR_EQ(row_msg(book, body, m), "ok");
	/* a lookup's other fields are read after the booking is found */
	CHECK_STR_EQ(row_msg("/api/v1/bookings/cancel", "{\"code\":\"X\",\"reason\":5}", m),
		     "ok");
	CHECK_STR_EQ(row_msg("/api/v1/bookings/reschedule", "{\"slot_date\":5}", m),
		     "field 'code' is missing");
	CHECK_STR_EQ(row_msg("/api/v1/bookings/confirm", "{\"code\":5,\"hold\":\"H\"}", m),
		     "field 'code' must be a string");
	CHECK_STR_EQ(row_msg("/api/v1/bookings/resend", "{\"code\":\"1\"}", m),
		     "field 'code' is not allowed here");
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

#define HOLD_ID "H0000000000000000000000000"
#define HEX64 "0000000000000000000000000000000000000000000000000000000000000000"
#define TEXT_(x) #x
#define TEXT(x) TEXT_(x)
#define HELD_BODY(booking, sent) \
	"{\"booking\":" booking ",\"expires_ms\":1,\"hold\":\"" HOLD_ID "\",\"otp_hash\":\"" \
	HEX64 "\",\"send_to\":\"email\",\"sent_ms\":" sent "}"

/* kind (v1), body, the refusal ("ok": none) */
static const char *const older_kinds[][3] = {
	/* booklets */
	{ "booklet.range_received", "{\"count\":1,\"first\":\"A1234567\"}",
	  "booklet.range_received: field 'received_by' is missing" },
	{ "booklet.range_received",
	  "{\"count\":0,\"first\":\"A1234567\",\"received_by\":\"officer:ayu\"}",
	  "booklet.range_received: field 'count' must be an integer from 1 to "
	  TEXT(BOOKLET_RANGE_MAX) },
	{ "booklet.range_received",
	  "{\"count\":1,\"first\":\"a1234567\",\"received_by\":\"officer:ayu\"}",
	  "booklet.range_received: field 'first' must be a booklet number (one letter and seven "
	  "digits)" },
	{ "booklet.range_received", "{\"count\":1,\"first\":\"A1234567\",\"received_by\":\"ayu\"}",
	  "booklet.range_received: field 'received_by' must be 'officer:<username>' or "
	  "'cli:<user>'" },
	{ "booklet.range_received",
	  "{\"count\":1,\"first\":\"A1234567\",\"received_by\":\"officer:ayu\",\"zz\":1}",
	  "booklet.range_received: unknown field in body" },
	{ "booklet.voided", "{\"number\":\"A1234567\",\"reason\":\"\"}",
	  "booklet.voided: field 'reason' must be a string of 1 to 500 characters" },
	{ "booklet.used", "{\"app\":\"x\",\"number\":\"A1234567\"}",
	  "booklet.used: field 'app' is not a valid application id" },
	{ "booklet.destruction_confirmed", "{\"number\":\"A1234567\",\"officers\":[\"ayu\",\"ayu\"]}",
	  "booklet.destruction_confirmed: field 'officers' must name two distinct officers" },
	{ "booklet.destruction_confirmed", "{\"number\":\"A1234567\",\"officers\":[\"ayu\"]}",
	  "booklet.destruction_confirmed: field 'officers' must be an array of two officer "
	  "usernames" },
	{ "booklet.spoiled", "{\"number\":\"A1234567\",\"reason\":\"torn\"}", "ok" },
	/* officers */
	{ "officer.disabled", "{\"username\":5}", "officer.disabled: field 'username' is not a string" },
	{ "officer.disabled", "{\"username\":\"\"}",
	  "officer.disabled: field 'username' must be 1 to " TEXT(AUTH_USERNAME_MAX) " bytes" },
	/* an unknown key comes before the username's own rule */
	{ "officer.disabled", "{\"username\":\"Ayu\",\"zz\":1}", "officer.disabled: unknown field" },
	{ "officer.disabled", "{\"username\":\"Ayu\"}",
	  "officer.disabled: field 'username' is not [a-z][a-z0-9._-]{0,31}" },
	{ "officer.login", "{\"client_ip\":\"1.2.3.4\",\"totp_step\":-1,\"username\":\"ayu\"}",
	  "officer.login: field 'totp_step' is not an integer >= 0" },
	{ "officer.roles_changed", "{\"roles\":[\"nope\"],\"username\":\"ayu\"}",
	  "officer.roles_changed: field 'roles' holds an unknown or repeated role" },
	{ "officer.roles_changed", "{\"roles\":[],\"username\":\"ayu\"}",
	  "officer.roles_changed: field 'roles' is not a list of 1 to 9 roles" },
	{ "officer.password_changed",
	  "{\"password_hash\":\"x\",\"reason\":\"other\",\"username\":\"ayu\"}",
	  "officer.password_changed: field 'password_hash' is not an Argon2id string" },
	{ "officer.password_changed",
	  "{\"password_hash\":\"$argon2id$x\",\"reason\":\"other\",\"username\":\"ayu\"}",
	  "officer.password_changed: field 'reason' must be \"set\" or \"rehash\"" },
	/* booking holds */
	{ "booking.code_failed", "{}", "booking.code_failed: the body must hold exactly its 1 fields" },
	{ "booking.code_failed", "{\"hold\":\"x\"}", "booking.code_failed: field 'hold' is not valid" },
	{ "booking.code_failed", "{\"h\":\"" HOLD_ID "\"}",
	  "booking.code_failed: field 'hold' is missing" },
	{ "booking.hold_ended", "{\"hold\":\"" HOLD_ID "\",\"reason\":\"x\"}",
	  "booking.hold_ended: field 'reason' is not valid" },
	{ "booking.hold_ended", "{\"hold\":\"" HOLD_ID "\",\"reason\":\"unsent\"}", "ok" },
	{ "booking.held", HELD_BODY("1", "1"), "booking.held: field 'booking' must be an object" },
	{ "booking.held", HELD_BODY("{\"app\":1}", "0"), "booking.held: field 'sent_ms' is not valid" },
	{ "booking.held", HELD_BODY("{\"app\":1}", "1"), "booking.held: 'booking' must not hold 'app'" },
};

/* The kinds that came before schema.h (booklets, officers, booking holds) check their
 * bodies with it now and refuse a corrupt body in the words they always used: a replay
 * of a corrupted log says what it said. */
TEST(ops_schema_older_kinds_keep_their_words)
{
	CHECK(office_register_kinds() == 0 && booklets_register_kinds() == 0 &&
	      officers_register_kinds() == 0);
	CHECK_INT_EQ(ROLE_COUNT, 9); /* the roles' message above */
	for (size_t i = 0; i < sizeof older_kinds / sizeof older_kinds[0]; i++) {
		const struct kind_def *d = kinds_find(older_kinds[i][0], 1);
		json_t *b = json_loads(older_kinds[i][1], 0, NULL);
		struct err e = ERR_INIT;
		int rc = d && b ? kinds_check(d, b, &e) : -2;
		json_decref(b);
		CHECK_STR_EQ(rc == 0 ? "ok" : rc == -2 ? "no kind or no JSON" : e.msg,
			     older_kinds[i][2]);
	}
}
