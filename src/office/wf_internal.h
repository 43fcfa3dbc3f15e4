/*
 * wf_internal — what the workflow's files share; not for other modules (they use
 * workflow.h). The files: wf_schemas.c (event bodies and the kind table), wf_guards.c
 * (the rules an event must satisfy against the projected state), wf_transitions.c (the
 * state machine), wf_project.c (the projection tables and handlers), wf_read.c (row
 * loaders and helpers), wf_ops.c and wf_issue.c (the operations), wf_query.c (reads).
 */
#ifndef PASPOR_OFFICE_WF_INTERNAL_H
#define PASPOR_OFFICE_WF_INTERNAL_H

#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "log/kinds.h"
#include "office/schema.h"
#include "office/workflow.h"
#include "util/err.h"

/* The state an event of kind moves an application in state `from` to, or NULL when
 * the kind is not allowed from that state (kinds without a state rule: NULL too). */
const char *wf_transition(const char *kind, const char *from);
/* 1 when kind's transitions are defined (an application.* or booking.* kind but
 * booking.created and application.viewed). */
int wf_kind_has_transition(const char *kind);

/* The fields of an application row the operations, guards and projections need. */
struct wf_app {
	char state[32];
	char idref[128];
	char slot_date[11], slot_start[6];
	char full_name[640];
	char enrolled_by[256], interviewed_by[256];
	char decided_by[256], paid_by[256];
	char passport_type[40];
	char birth_date[11], sex[2];
	char watchlist_by[256];
	char photo_blob[65];
	char watchlist_result[8];
	char billing_code[64];
	char payment_status[16];
	int has_watchlist_override;
	int rescheduled;
	int has_photo;
	int fingerprints;
};
/* 1 found (a filled), 0 none, -1 error. */
int wf_app_load(sqlite3 *db, const char *app, struct wf_app *a, struct err *e);

/* The TD3 MRZ name field (39 characters: transliterated, primary<<secondary, filled,
 * truncated when too long) of a name; secondary may be NULL or "". ERR_INPUT when the
 * name makes no MRZ. */
#define WF_MRZ_NAME_LEN 39
int wf_mrz_name(const char *primary, const char *secondary, char out[WF_MRZ_NAME_LEN + 1],
		int *truncated, struct err *e);
/* app's enrolled name (primary, secondary identifier: 640 bytes each), its MRZ name field
 * and the one approved ("" before approval); any output may be NULL. ERR_INPUT when app
 * has no enrolled name. */
int wf_names_load(sqlite3 *db, const char *app, char primary[640], char secondary[640],
		  char mrz_name[WF_MRZ_NAME_LEN + 1], char approved[WF_MRZ_NAME_LEN + 1],
		  struct err *e);

/* 1 when a row matches sql (?1 bound to s1, ?2 to s2 unless NULL), 0 when none, -1 on
 * error. */
int wf_exists(sqlite3 *db, const char *sql, const char *s1, const char *s2, struct err *e);

/* 1 when actor enrolled the photo, a fingerprint or completed the enrolment of app, 0
 * when not, -1 on error. */
int wf_enrolled_by(sqlite3 *db, const char *app, const char *actor, struct err *e);

/* The booklet of app's issuance row into out ("" when there is none). */
int wf_issuance_booklet(sqlite3 *db, const char *app, char out[9], struct err *e);

/* The first state kind is allowed from (for messages), or NULL. */
const char *wf_transition_from(const char *kind);

/* ---- guards (wf_guards.c, wf_project.c; docs/WORKFLOW.md "Guards") ---- */

struct event;

/* One event as a guard and a projection handler see it. For a kind with a state
 * transition, the application's row is read once (wf_guard_begin) and shared by the
 * transition check, the kind's guard and its projection handler. */
struct wf_ev {
	sqlite3 *db;
	const struct event *ev; /* the event (projection); NULL before it exists (wf_guard) */
	const char *actor, *kind;
	uint16_t version;
	const json_t *b;        /* the body (checked by the kind's schema when ev is set) */
	const char *app;        /* its "app", NULL when it has none */
	struct wf_app a;        /* app's row (kinds with a transition) */
	const char *to;         /* the state the event moves it to */
	uint64_t gen;           /* wf_project's count of projections when a was read */
	uint16_t guarded;       /* the version whose guard passed on a and b (wf_guard);
				 * 0: none */
	const char *const *reads; /* while a guard runs: the body fields it may read */
};

/* A guard: the rules an event of one kind and version must satisfy against the
 * projected state (separation of duties, the photo before enrolment, …). A rule
 * answers 0 (allowed) or -1 with e set: a refusal is err_refuse(e, WF_…, the message the
 * operation answers) (wf_deny), anything else an error (ERR_IO…); what is its word for
 * the step (its message's "cannot <what>"), or NULL. Rules read no configuration and no
 * clock: they run when the event is written or projected, on the live path and on
 * replay (`paspor rebuild`, the centre), so the log cannot hold a violation. */
struct wf_rule {
	int (*fn)(const struct wf_ev *x, const char *what, struct err *e);
	const char *what;
};
#define WF_GUARD_RULES 3
/* A kind's guard: its rules, run in order until one refuses (ended by a NULL fn), and
 * the body fields they read (NULL-ended; NULL: none). A rule reads them through
 * wf_guard_str only, which answers NULL for a field not named here: what a guard reads
 * is the row, the tables, the actor and these fields, so a guard that passed on them
 * passes again while none of them changed (wf_project relies on it). */
struct wf_guard {
	struct wf_rule rules[WF_GUARD_RULES];
	const char *const *reads;
};
/* Field k of the body of the event being guarded: a string, or NULL (absent, not a
 * string, or not one of the guard's reads). */
const char *wf_guard_str(const struct wf_ev *x, const char *k);
/* A projection handler: applies the (guarded) event to the tables. */
typedef int (*wf_project_fn)(const struct wf_ev *x, struct err *e);

/* The office's row of one kind and version (wf_schemas.c's KIND table): the schema is
 * the kind_def's check context (its first member), the guard (NULL: the transition
 * alone) and the projection handler run by wf_project. */
struct wf_kind {
	struct schema schema;
	const struct wf_guard *guard;
	wf_project_fn project;
};
/* The row of kind + version, or NULL. */
const struct wf_kind *wf_kind_find(const char *kind, uint16_t version);

/* err_refuse with an enum wf_reason: returns -1. */
#define wf_deny(e, reason, ...) err_refuse((e), (int)(reason), __VA_ARGS__)

/* The kind_def.project of every office kind: reads the row (wf_guard_begin), runs the
 * kind's guard, then its projection handler. */
int wf_project(sqlite3 *db, const struct event *ev, const json_t *body, struct err *e);
/* Fills x for an event (actor, kind + version, body b, application app) and, for a
 * kind with a transition, reads app's row and checks the transition: WF_NOT_FOUND
 * "application … does not exist", WF_INVALID_STATE "application … is '…': … needs
 * '…'". kind NULL (an operation's read): the row and that it exists only. */
int wf_guard_begin(struct wf_ev *x, sqlite3 *db, const char *actor, const char *kind,
		   uint16_t version, const json_t *b, const char *app, struct err *e);

/* Runs guard g (NULL: none) on x, which may read the body fields g names (wf_guard_str). */
int wf_guard_run(const struct wf_guard *g, struct wf_ev *x, struct err *e);

#ifdef PASPOR_TESTING
/* What the workflow did, for tests (test builds only; the unit tests and the test
 * route GET /api/v1/test/workflow-counts read it): application rows read
 * (wf_guard_begin) and guards run (wf_guard_run), counted atomically. */
struct wf_test_counts {
	unsigned long row_reads, guard_runs;
};
extern struct wf_test_counts wf_test_counts;
#endif

/* x (or NULL) for the projection of the one event the calling thread appends next
 * (wf_append_v sets it around writer_txn_append_json, then clears it). */
void wf_project_given(const struct wf_ev *x);

/* The guards of the kind table (wf_guards.c). */
extern const struct wf_guard wf_guard_rescheduled, wf_guard_enrolled, wf_guard_decided, wf_guard_approved2, wf_guard_pay_confirmed, wf_guard_pay_confirmed2, wf_guard_personalized, wf_guard_quality, wf_guard_voided, wf_guard_voided2, wf_guard_handed, wf_guard_handed2, wf_guard_created;
/* The decider rule (separation of duties, docs/ROLES.md) with or without the
 * application's enrollers of a photo or fingerprint: approved v2 has them in its guard;
 * a rejection (v1, whose projection never checked them) is refused them when written
 * (wf_decide). */
int wf_rule_decider(const struct wf_ev *x, int with_enrollers, struct err *e);

/* The projection handlers of the kind table (wf_project.c). */
int wf_p_created(const struct wf_ev *x, struct err *e);
int wf_p_cancelled(const struct wf_ev *x, struct err *e);
int wf_p_rescheduled(const struct wf_ev *x, struct err *e);
int wf_p_checked_in(const struct wf_ev *x, struct err *e);
int wf_p_no_show(const struct wf_ev *x, struct err *e);
int wf_p_documents(const struct wf_ev *x, struct err *e);
int wf_p_photo(const struct wf_ev *x, struct err *e);
int wf_p_fingerprint(const struct wf_ev *x, struct err *e);
int wf_p_enrolled(const struct wf_ev *x, struct err *e);
int wf_p_enrolled2(const struct wf_ev *x, struct err *e);
int wf_p_interviewed(const struct wf_ev *x, struct err *e);
int wf_p_watch_checked(const struct wf_ev *x, struct err *e);
int wf_p_decision(const struct wf_ev *x, struct err *e);
int wf_p_approved2(const struct wf_ev *x, struct err *e);
int wf_p_payment(const struct wf_ev *x, struct err *e);
int wf_p_payment2(const struct wf_ev *x, struct err *e);
int wf_p_pay_confirmed(const struct wf_ev *x, struct err *e);
int wf_p_pay_confirmed2(const struct wf_ev *x, struct err *e);
int wf_p_viewed(const struct wf_ev *x, struct err *e);
int wf_p_watch_added(const struct wf_ev *x, struct err *e);
int wf_p_personalized(const struct wf_ev *x, struct err *e);
int wf_p_personalized2(const struct wf_ev *x, struct err *e);
int wf_p_quality(const struct wf_ev *x, struct err *e);
int wf_p_voided(const struct wf_ev *x, struct err *e);
int wf_p_handed(const struct wf_ev *x, struct err *e);

/* The projection tables (wf_project.c). */
#define WF_NTABLES 10
extern const struct kind_table wf_tables[WF_NTABLES];

/* The officer who personalized app's current booklet ("" when none). */
int wf_personalized_by(sqlite3 *db, const char *app, char by[256], struct err *e);

/* ---- shared by the operations (wf_ops.c, wf_issue.c) ---- */

/* Sets h->reason and an ERR_INPUT message; returns -1. */
int wf_refuse(struct wf_hdr *h, enum wf_reason r, struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The actor is "applicant" or "officer:<username>"; resets h->reason. */
int wf_actor_ok(struct wf_hdr *h, struct err *e);
/* Checks the actor and h->app, reads the application's row into x and checks kind's
 * transition from its state (kind NULL: only that the application exists); a refusal
 * sets h->reason. x then serves wf_guard and the operation's own checks. */
int wf_need(struct writer_txn *tx, struct wf_hdr *h, const char *kind, struct wf_ev *x,
	    struct err *e);
/* Runs the guard of kind + version (x from wf_need, whose kind it must be) on body b
 * (what the event will carry; the fields the guard reads) before the operation's
 * side effects (a booklet, the signer, a blob) and in the order the operation checks
 * its rules; a refusal sets h->reason from the guard's. b must stay valid until the
 * event is appended: the projection of the event takes the guard's pass instead of
 * running it again when the event carries the same values of the fields the guard
 * reads (and the row is unchanged); otherwise it runs the guard on the event itself
 * (the log cannot hold a violation). */
int wf_guard(struct wf_hdr *h, struct wf_ev *x, uint16_t version, const json_t *b,
	     struct err *e);
/* Appends kind v1 with body (taken: decref'd here) under subject "app:<app>" (or the
 * given subject); a refusal by the kind's guard (in the projection) sets h->reason. x:
 * what wf_need read for this event (or NULL): the projection takes the row, its
 * transition and (wf_guard) its guard's pass from it instead of doing them again while
 * no office event was projected since the row was read (the workflow's tables are
 * written by projections only), so a request reads its application and runs its
 * guard once. */
int wf_append(struct writer_txn *tx, struct wf_hdr *h, const struct wf_ev *x,
	      const char *kind, const char *subject, json_t *body, struct err *e);
/* wf_append of a given version of kind. */
int wf_append_v(struct writer_txn *tx, struct wf_hdr *h, const struct wf_ev *x,
		const char *kind, uint16_t version, const char *subject, json_t *body,
		struct err *e);

#endif
