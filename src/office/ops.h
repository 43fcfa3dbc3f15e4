/*
 * ops — the office's write operations as data (issue 14, docs/API.md "Adding an
 * operation"): one row per operation says its route and method, the action (role) it
 * needs, its body's schema (office/schema.h, the machinery that checks events, in the
 * API's style), the event kind it appends and so the state transition (the workflow's
 * transition table, keyed by that kind), the writer operation (a wf_* function of
 * workflow.h) and how the request fills it, the refusals it may answer, and its answer.
 *
 * One generic handler (ops_handle) serves every row, in one order: the officer (a public
 * row has none: its actor is "applicant"), the path's {param} (an application id, a
 * booklet number, a day or another officer: the row's flag says which), the row's
 * throttle (OP_LIMIT), the body decoded (OP_CHECK_FIRST: the row's gate) and checked
 * against the row's schema once, the row's variant
 * chosen by the body (the decision's approve and reject are two rows on one route; a
 * watchlist check with an override is a row of its own), the variant's action checked
 * (the route's role mask, the union of its rows' actions, admitted the officer already:
 * a row's own action is checked again only where that mask admits more than it, a
 * variant with its own 403 text), the op filled (from the row's field
 * map, then the row's check hook for what needs more), office_server_submit (or the
 * row's submit hook: uploads prestore their blob first), then the answer builder or
 * the refusal as problem+json (api_wf_problem; uploads answer an invalid image with 422
 * unprocessable; a submit hook may answer a refusal of its own, the booking hold's). A
 * row without a writer (the print job made again) only answers. An op's struct has its
 * struct wf_hdr first; the booking hold's operations (booking_hold.h) have none, so their
 * rows fill a wf_book (the public booking) or nothing, and the hooks make the hold's op.
 *
 * A module's route table holds one route per distinct (method, pattern) of its rows,
 * with ops_handle as its handler and the union of the rows' actions as its role mask
 * (ops_roles), then the module's hand-written read routes: ops_routes_init writes it
 * from the rows, before the server builds its routes (server.c routes_build). The texts of every answer are the
 * ones the hand-written handlers gave (tests/integration/office_api_*.sh).
 *
 * Ownership: a struct ops_call lives for one request on the handler's stack; its body
 * is owned and freed by ops_handle, and strings the op points at are borrowed from it.
 */
#ifndef PASPOR_OFFICE_OPS_H
#define PASPOR_OFFICE_OPS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "log/writer.h"
#include "office/api.h"
#include "office/nik.h"
#include "office/schema.h"
#include "util/err.h"
#include "util/http.h"

struct op_row;

/* One request in flight through ops_handle. */
struct ops_call {
	struct http_req *req;
	struct http_resp *resp;
	const struct op_row *row; /* the row chosen (its variant) */
	json_t *body;             /* the checked body (NULL for raw uploads) */
	void *op;                 /* the operation, zeroed; struct wf_hdr first (every op of
				   * the office: office/refusal.h) */
	struct err e;             /* the writer's (or a hook's) error */
	char today[11];           /* storage a fill may point the op at */
	char idref[IDREF_MAX];
	void *hold;               /* what a check hook keeps for the answer (the row's
				   * release frees it) */
	const char *id;           /* the route's {param} when it is not an application id
				   * (OP_BOOKLET, OP_DAY, OP_OFFICER): borrowed from the
				   * request */
};

/* How a body field fills an op member (ops_fill rows). */
enum op_fill_kind {
	OPF_END,   /* ends a row's fill list */
	OPF_STR,   /* const char *: the field's string, NULL when absent */
	OPF_INT,   /* int64_t: the field's integer (unchanged when absent) */
	OPF_JSON,  /* const json_t *: the field's value, borrowed from the body */
	OPF_BODY,  /* const json_t *: the whole body */
	OPF_TRUE,  /* int: 1 (the row's variant, e.g. approve) */
	OPF_NOW,   /* int64_t: api_now_ms */
	OPF_TODAY, /* const char *: the office's date YYYY-MM-DD (api_today) */
	OPF_ID,    /* const char *: the route's {param} (c->id: a booklet number, a day, a
		    * username) */
};

struct op_fill {
	const char *field; /* OPF_STR, OPF_INT, OPF_JSON */
	enum op_fill_kind kind;
	size_t offset;     /* of the member in the op */
};

/* Fill rows; each checks the member's type at compile time. */
#define OPS_MEMBER(T, m, type) (offsetof(T, m) + 0 * sizeof(_Generic(((T *)0)->m, type: 1)))
#define OP_STR(f, T, m) { f, OPF_STR, OPS_MEMBER(T, m, const char *) }
#define OP_INT(f, T, m) { f, OPF_INT, OPS_MEMBER(T, m, int64_t) }
#define OP_JSON(f, T, m) { f, OPF_JSON, OPS_MEMBER(T, m, const json_t *) }
#define OP_BODY(T, m) { NULL, OPF_BODY, OPS_MEMBER(T, m, const json_t *) }
#define OP_TRUE(T, m) { NULL, OPF_TRUE, OPS_MEMBER(T, m, int) }
#define OP_NOW(T, m) { NULL, OPF_NOW, OPS_MEMBER(T, m, int64_t) }
#define OP_TODAY(T, m) { NULL, OPF_TODAY, OPS_MEMBER(T, m, const char *) }
#define OP_ID(T, m) { NULL, OPF_ID, OPS_MEMBER(T, m, const char *) }
#define OPS_FILL_MAX 16

/* Row flags. */
#define OP_APP 1u      /* the route's {id} is an application id (404 otherwise) */
#define OP_EMPTY_OK 2u /* an empty body reads as {} */
#define OP_RAW 4u      /* the body is an upload, not JSON: no schema; the fill reads it */
#define OP_UPLOAD 8u   /* a refusal WF_INVALID_INPUT is 422 unprocessable (an image) */
/* Public rows (the booking's): anyone may call the route, on the public listener too
 * (HTTP_ROUTE_PUBLIC, the row's action API_ANON); no officer, the actor is "applicant". */
#define OP_PUBLIC 16u
/* The row's check hook is its gate: it runs as soon as the body is read, before the body
 * is checked (what the route has always answered first, e.g. a service this office does
 * not offer); the submit hook then checks what needs the checked body. */
#define OP_CHECK_FIRST 32u
/* A throttle per client address: the office's limiter l (enum office_limit, server.h),
 * taken before the body is read, or with OP_LIMIT_LATE once it is read and before it is
 * checked; a lifted limiter (load tests) lets every request through. */
#define OP_LIMIT(l) (((unsigned)(l) + 1u) << 8)
#define OP_LIMIT_OF(flags) ((int)(((flags) >> 8) & 3u) - 1) /* -1: none */
#define OP_LIMIT_LATE 64u
/* the route's {param} (its first) is not an application id but, checked before the
 * body and kept in c->id: */
#define OP_BOOKLET 1024u /* a booklet number (422 when malformed) */
#define OP_DAY 2048u    /* a day YYYY-MM-DD, not after today (422; c->today is set) */
#define OP_OFFICER 4096u /* another officer's username (404 when malformed; 403
			* separation-of-duties for the caller's own) */

/* A hook: 0, or -1 with a problem written (check, reply) or with c->e and the op's
 * reason set (submit: ops_handle writes the problem, unless the hook wrote one). */
typedef int (*ops_hook)(struct ops_call *c);

struct op_row {
	const char *method;         /* NULL ends a table */
	const char *pattern;
	int action;                 /* enum action (office/roles.h) */
	/* a variant: the row serves the bodies whose select field has this value (NULL:
	 * is present); forbidden is its 403 detail when the officer's roles lack action.
	 * The route's first row is its plain row (its action is the route's role mask). */
	const char *select, *select_value, *forbidden;
	unsigned flags;             /* OP_* */
	size_t body_max;            /* 0: HTTP_BODY_DEFAULT_MAX */
	const char *const *media_types;
	const struct schema *body;  /* checked in SCHEMA_API style (not OP_RAW) */
	const char *event;          /* the event kind appended: its transition is the
				     * workflow's table (wf_kinds.c), keyed by kind */
	const char *state;          /* the state after it, for the default answer */
	writer_fn writer;           /* the workflow operation (workflow.h); NULL: none */
	struct op_fill fill[OPS_FILL_MAX]; /* body → op (ended by OPF_END, i.e. zeros) */
	ops_hook check;             /* what the schema cannot say: cross-field rules,
				     * config, guards read before the writer; may be NULL */
	ops_hook submit;            /* NULL: office_server_submit(writer); else the row's own
				     * (blobs prestored first; refusals counted) */
	ops_hook reply;             /* NULL: 200 {"application_id", "state"} */
	void (*release)(struct ops_call *c); /* frees what check made, or NULL */
	const char *refusals;       /* the wf_reason names its writer may refuse with */
};

/* The handler of every op route (http_handler). */
int ops_handle(struct http_req *req, struct http_resp *resp);

/* The refusal of c's op as problem+json (OP_UPLOAD: invalid input is 422
 * unprocessable). Returns -1. */
int ops_refused(struct ops_call *c);

/* THE table (ops.c): every write operation, in tables by API module (counter,
 * issuance, booking, booklet stock, day close, officers), each ended by a row whose
 * method is NULL; the list ends with NULL. Every op starts with struct wf_hdr
 * (office/refusal.h), but for the booking hold's (see above). */
extern const struct op_row *const ops_tables[];

/* ---- the hooks of the rows (api_counter.c) ---- */
int ops_photo_check(struct ops_call *c);
int ops_photo_submit(struct ops_call *c);
int ops_photo_reply(struct ops_call *c);
void ops_photo_release(struct ops_call *c);
int ops_fingerprint_check(struct ops_call *c);
int ops_fingerprint_submit(struct ops_call *c);
int ops_fingerprint_reply(struct ops_call *c);
int ops_enrolment_check(struct ops_call *c);
int ops_enrolment_reply(struct ops_call *c);
int ops_override_check(struct ops_call *c);
int ops_watchlist_check_reply(struct ops_call *c);
int ops_approve_reply(struct ops_call *c);
int ops_payment_check(struct ops_call *c);
int ops_watchlist_add_check(struct ops_call *c);
int ops_watchlist_add_reply(struct ops_call *c);

/* ---- the hooks of the issuance rows (api_issue.c) ---- */
int ops_personalize_check(struct ops_call *c);
int ops_personalize_submit(struct ops_call *c);
int ops_personalize_reply(struct ops_call *c);
int ops_print_job_check(struct ops_call *c);
int ops_print_job_reply(struct ops_call *c);
int ops_quality_check(struct ops_call *c);
int ops_quality_reply(struct ops_call *c);
int ops_spoil_check(struct ops_call *c);
int ops_spoil_reply(struct ops_call *c);
int ops_hand_over_check(struct ops_call *c);
int ops_hand_over_reply(struct ops_call *c);
void ops_issue_release(struct ops_call *c);

/* ---- the hooks of the booking rows (api_booking.c) ---- */
int ops_book_check(struct ops_call *c);
int ops_book_submit(struct ops_call *c);
int ops_book_reply(struct ops_call *c);
int ops_confirmation_open(struct ops_call *c); /* the gate of confirm and resend */
int ops_confirm_submit(struct ops_call *c);
int ops_confirm_reply(struct ops_call *c);
int ops_resend_submit(struct ops_call *c);
int ops_resend_reply(struct ops_call *c);
int ops_cancel_check(struct ops_call *c);
int ops_cancel_reply(struct ops_call *c);
int ops_reschedule_check(struct ops_call *c);
int ops_reschedule_reply(struct ops_call *c);
int ops_walk_in_check(struct ops_call *c);
int ops_walk_in_submit(struct ops_call *c);
int ops_walk_in_reply(struct ops_call *c);
void ops_booking_release(struct ops_call *c);

/* ---- the hooks of the booklet stock's, the day close's and the officers' rows
 * (api_booklets.c, api_dayclose.c, api_officers.c) ---- */
int ops_range_check(struct ops_call *c);
int ops_range_reply(struct ops_call *c);
int ops_range_confirm_reply(struct ops_call *c);
int ops_stock_spoil_check(struct ops_call *c);
int ops_booklet_reply(struct ops_call *c);
int ops_destroy_check(struct ops_call *c);
int ops_destroy_reply(struct ops_call *c);
void ops_destroy_release(struct ops_call *c);
int ops_day_check(struct ops_call *c);
int ops_day_report_reply(struct ops_call *c);
int ops_day_close_reply(struct ops_call *c);
void ops_day_release(struct ops_call *c);
int ops_officer_add_check(struct ops_call *c);
int ops_officer_add_reply(struct ops_call *c);
int ops_officer_event_reply(struct ops_call *c);
int ops_officer_revoke_reply(struct ops_call *c);
int ops_secret_check(struct ops_call *c);
int ops_secret_reply(struct ops_call *c);
int ops_roles_check(struct ops_call *c);
int ops_roles_reply(struct ops_call *c);
void ops_officer_release(struct ops_call *c);

/* In a module's read routes: the place of the op route of method and pattern (the route
 * order is the order of the Allow header's methods and of `paspor office routes`). */
#define OPS_ROUTE(method, pattern) { method, pattern, NULL, 0, 0, 0, NULL }

/* Fills the route tables of the op rows (api_counter_routes, api_issue_routes,
 * api_booking_routes, api_booklet_routes, api_dayclose_routes, api_officer_routes: one
 * route per distinct method and pattern, ops_handle as its handler, the union of its
 * rows' actions as its mask (ops_roles), HTTP_ROUTE_PUBLIC for a public row; then the
 * module's read routes, e.g. api_issue_read_routes, with the op routes they place).
 * Idempotent; the server calls it before it builds its routes. */
void ops_routes_init(void);

/* The roles an op route admits (its role mask, server.c): the union of its rows'
 * actions (the decision: approve's and reject's); ops_handle checks a variant's own
 * action again. 0 when no row has that method and pattern. */
unsigned ops_roles(const char *method, const char *pattern);

/* The row of a route (its first, plain row), or NULL. */
const struct op_row *ops_find(const char *method, const char *pattern);

#endif
