/*
 * api — shared pieces of the office API modules (docs/API.md): the route rows each
 * module contributes, JSON field extraction that answers 422 invalid-field problems
 * naming the field (never its value), the answer to a refusal (enum wf_reason, the
 * office's one refusal type: office/refusal.h's table gives each its problem type),
 * the read-only SQLite pool, and the clock.
 *
 *   api_booking.c  public booking: slots, create, status, cancel, reschedule; walk-ins
 *   api_counter.c  officers' workflow steps (check-in … payment, watchlist entries)
 *   api_query.c    officers' lists, search, one application, its history
 *   api_booklets.c booklet stock: receive, confirm, spoil, destroy, void, stock
 *   api_officers.c the office admin's officers: list, add, disable, enable, reset
 *                  password or TOTP, change roles, revoke sessions
 *
 * Each module exports a table of struct api_route ending with a row whose method is
 * NULL; server.c concatenates them after its own rows and turns each row's action into
 * the route's role mask (roles_action_mask; a route of the operation table, office/
 * ops.h: the union of its rows' actions, ops_roles), so the role × action table of
 * office/roles.c is the only place that says who may call what. The write routes of
 * api_counter, api_issue, api_booklets, api_dayclose and api_officers are rows of the
 * operation table, served by ops_handle; those modules keep hooks and read routes.
 *
 * Handlers get the server as req->app, an opaque struct office_server: what they need
 * of it comes through server.h's functions (office_server_config, office_server_auth,
 * office_server_submit, …) and the pool and clock below, never its fields. The officer
 * (officer routes) comes through auth_http_officer(req). Every write goes through
 * office_server_submit; every event's actor is "officer:<username>" (api_actor) or
 * "applicant". Handlers run no SQL: reads are the read model's functions (workflow.h's
 * wf_query_*, booklets.h, dayclose.h, officers.h) on a connection of the pool.
 *
 * Ownership: strings returned by api_str point into the json_t they were read from
 * (borrowed for its lifetime). Helpers that write a problem return -1 (the handler
 * returns that -1 as it is).
 */
#ifndef PASPOR_OFFICE_API_H
#define PASPOR_OFFICE_API_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "office/auth.h"
#include "office/calendar.h"
#include "office/roles.h"
#include "office/server.h"
#include "office/workflow.h"
#include "util/err.h"
#include "office/nik.h"
#include "util/http.h"

/* A route row as the API modules declare it: like struct http_route, but with the
 * action it performs instead of a role mask. */
#define API_ANY_OFFICER (-1) /* any logged-in officer (role mask ROLES_ALL) */
#define API_ANON (-2)        /* anonymous (HTTP_ROUTE_ANON) */

struct api_route {
	const char *method; /* NULL ends a table */
	const char *pattern;
	http_handler handler;
	unsigned flags;       /* HTTP_ROUTE_PUBLIC … */
	int action;           /* enum action, API_ANY_OFFICER or API_ANON */
	size_t body_max;      /* 0: HTTP_BODY_DEFAULT_MAX */
	const char *const *media_types;
};

/* filled from the operation table (office/ops.h ops_routes_init) */
extern struct api_route api_booking_routes[];
extern struct api_route api_counter_routes[];
extern const struct api_route api_query_routes[];
extern struct api_route api_issue_routes[];
/* api_issue.c's routes that are not operations (downloads, lists): api_issue_routes
 * holds them after the operations' routes */
extern const struct api_route api_issue_read_routes[];
/* api_booking.c's reads (free slots, a booking's status), after its operations' routes */
extern const struct api_route api_booking_read_routes[];
/* filled from the operation table too; the modules' read routes (with OPS_ROUTE
 * places, office/ops.h) */
extern struct api_route api_booklet_routes[];
extern const struct api_route api_booklet_read_routes[];
extern struct api_route api_dayclose_routes[];
extern const struct api_route api_dayclose_read_routes[];
extern struct api_route api_officer_routes[];
extern const struct api_route api_officer_read_routes[];
#ifdef PASPOR_TESTING
extern const struct api_route api_test_routes[]; /* office/test_routes.c */
#endif

/* ---- JSON fields: each writes 422 invalid-field naming the field and returns -1 ---- */

/* A second officer present for the request: body's "witness" {username, password,
 * totp?} re-authenticated like a login (failures count towards the login throttle;
 * nothing is recorded here, no session is made). The witness must be another officer
 * than the session's and, when roles is not 0, hold one of those roles (roles_text says
 * which, for the problem). 0 with the witness's username in out, or -1 with a problem
 * written (422 malformed, 403 refused or not a witness allowed, 429, 503). */
int api_witness(struct http_req *req, struct http_resp *resp, const json_t *body,
		unsigned roles, const char *roles_text, char out[AUTH_USERNAME_MAX + 1]);

/* Refuses keys of obj not in allowed (NULL-terminated). */
int api_only_keys(struct http_req *req, struct http_resp *resp, const json_t *obj,
		  const char *const *allowed);
/* A string field of 1…max bytes (UTF-8 already checked by the parser), without control
 * characters unless multiline; *out NULL when absent and optional. */
int api_str(struct http_req *req, struct http_resp *resp, const json_t *obj, const char *name,
	    int required, size_t max, const char **out);
/* An integer field in [min, max]; *present (may be NULL) says whether it was there. */
int api_int(struct http_req *req, struct http_resp *resp, const json_t *obj, const char *name,
	    int required, int64_t min, int64_t max, int64_t *out, int *present);
/* The body as a JSON object; an empty body is {} when empty_ok. */
int api_body(struct http_req *req, struct http_resp *resp, int empty_ok, json_t **out);

/* ---- answers ---- */

/* Writes the problem for a refused operation (reason: its row in office/refusal.c says
 * the problem type and how e's message makes the detail) or, when reason is WF_OK, the
 * fault in e (422 for ERR_INPUT, 503 out of memory, else 500). */
int api_wf_problem(struct http_req *req, struct http_resp *resp, enum wf_reason reason,
		   const struct err *e);
/* Sends v (reference stolen) with status. */
int api_reply(struct http_resp *resp, int status, json_t *v);
/* 429 rate-limited with Retry-After. */
int api_rate_limited(struct http_req *req, struct http_resp *resp, unsigned retry_after_s);
/* One request of key's allowance in the office's limiter l: 0, or -1 with 429 written
 * (api_rate_limited); a lifted limiter (load tests) lets every request through. */
int api_take(struct http_req *req, struct http_resp *resp, enum office_limit l,
	     const char *key);

/* The officer's actor ("officer:<username>"); NULL (401 written) when none. */
const char *api_actor(struct http_req *req, struct http_resp *resp);
/* The {id} parameter as an application id; 404 when it is not a well-formed id. */
int api_app_id(struct http_req *req, struct http_resp *resp, const char **out);
/* Path parameters of the other kinds, for the op rows (ops.c) and the reads alike; each
 * 0, or -1 with the problem written. The {name} parameter as a booklet number (422); as
 * a day YYYY-MM-DD (422), into *d; as a username (404 "no such officer"). */
int api_booklet_param(struct http_req *req, struct http_resp *resp, const char *name,
		      const char **out);
int api_day_param(struct http_req *req, struct http_resp *resp, const char *name,
		  struct cal_date *d);
int api_username_param(struct http_req *req, struct http_resp *resp, const char *name,
		       const char **out);

/* ---- the read-only pool and time ---- */

/* A read-only connection for this request (blocks while all are in use); release it. */
sqlite3 *api_db_acquire(struct office_server *s);
void api_db_release(struct office_server *s, sqlite3 *db);
/* A reader of the read model by key (booklet_get_json, dayclose_get, officers_read_json):
 * 1 found, 0 none (or what the reader says), -1 with e set. */
typedef int (*api_reader)(sqlite3 *db, const char *key, json_t **out, struct err *e);
/* fn(key) on a pooled read connection: its answer, or -1 with its failure answered as
 * a problem (api_wf_problem: 500, or 503 out of memory). */
int api_read(struct http_req *req, struct http_resp *resp, api_reader fn, const char *key,
	     json_t **out);
/* For a read that is one statement (its own snapshot, server.c "read-only pool"): a
 * connection with no transaction open; release it with api_db_release_single, which
 * then waits until what the statement read is durable. */
sqlite3 *api_db_acquire_single(struct office_server *s);
void api_db_release_single(struct office_server *s, sqlite3 *db);

/* UTC ms now (with the node's test clock offset) and the local date "YYYY-MM-DD" and
 * minute of the day in the office's zone. */
int64_t api_now_ms(struct office_server *s);
int api_today(struct office_server *s, struct cal_date *date, int *minute);

/* The keyed hash (hex) of a booking code typed by a person; -1 with a 422 problem
 * naming `field` when it does not parse (a typo is reported as such). */
int api_code_hash(struct http_req *req, struct http_resp *resp, const char *field,
		  const char *code, char out[65]);

/*
 * The identity reference of a request body: "nik" (16 digits, structure checked; its
 * birth-date rule needs the birth date and is the caller's) or "identity" {type, state,
 * number} of another document (nik_identity_ref). api_idref returns 1 with idref and
 * *is_nik set, 0 when the body has neither, -1 after a 422 problem; api_need_idref makes
 * "neither" a problem too and returns 0 or -1.
 */
int api_idref(struct http_req *req, struct http_resp *resp, const json_t *body,
	      char idref[IDREF_MAX], int *is_nik);
int api_need_idref(struct http_req *req, struct http_resp *resp, const json_t *body,
		   char idref[IDREF_MAX], int *is_nik);

#endif
