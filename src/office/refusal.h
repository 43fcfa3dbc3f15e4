/*
 * refusal — the one refusal type of the office (enum wf_reason) and its one table: for
 * each reason a stable name and the problem+json an HTTP answer carries (util/http.h's
 * problem kind: status, type and title; and how the detail is made).
 *
 * Every operation that refuses — the workflow's (workflow.h), the booklet stock's
 * (booklets.h), the day close's (dayclose.h), the officers' (officers.h) — sets one
 * of these reasons with an ERR_INPUT message (refusal_set) and the API answers it with
 * api_wf_problem (office/api.h), which reads refusal_info: adding a reason is one enum
 * constant and one row in refusal.c, nothing else. The names are stable (the API shows
 * some in details, "no-stock: …", and the issuance metric counts by them).
 *
 * Ownership: refusal_info returns a pointer into a static table.
 */
#ifndef PASPOR_OFFICE_REFUSAL_H
#define PASPOR_OFFICE_REFUSAL_H

#include <stdint.h>

#include "util/err.h"
#include "util/http.h"

/* Why an operation was refused: stable codes the API maps to problem types/statuses
 * (the status after each: refusal.c's table is the reference). */
enum wf_reason {
	WF_OK = 0,
	/* the workflow (workflow.h) */
	WF_INVALID_INPUT,      /* 422: a field is missing, malformed or not allowed */
	WF_NOT_FOUND,          /* 404: no such application (or watchlist entry) */
	WF_INVALID_STATE,      /* 409: the transition is not allowed from the current state
				* (also a booklet's, a range's or an officer's state) */
	WF_DUPLICATE_ACTIVE,   /* 409: the identity reference has an active application */
	WF_SLOT_FULL,          /* 409: the slot's quota is taken */
	WF_ALREADY_RESCHEDULED,/* 409: a booking is rescheduled once only */
	WF_NOT_YET,            /* 409: no-show before the slot's day is over */
	WF_SEPARATION,         /* 403: the officer enrolled or interviewed this application
				* (or received the range, or is both officers of a
				* destruction) */
	WF_WATCHLIST,          /* 409: no watchlist check, or a hit without override */
	WF_PHOTO_MISSING,      /* 409: enrolment needs a photo */
	WF_TOO_MANY,           /* 409: more than ten fingerprints */
	WF_MISMATCH,           /* 409: billing code does not match the recorded payment */
	WF_CODE_TAKEN,         /* 409: booking code hash already used (retry with another) */
	WF_NO_STOCK,           /* 409: no available booklet of a confirmed range */
	WF_SIGNER_REFUSED,     /* 409: the signer refused (its reason in the message) */
	WF_SIGNER_UNAVAILABLE, /* 503: the signer cannot be reached */
	WF_NOT_CONFIGURED,     /* 503: the office has no issuance section in its config */
	WF_PAYMENT_PENDING,    /* 409: the payment is not confirmed yet */
	WF_NTPN_USED,          /* 409: the NTPN confirmed another payment already */
	/* the booklet stock (booklets.h) */
	WF_NO_BOOKLET,         /* 404: no such booklet or range (the message names it) */
	WF_BOOKLET_EXISTS,     /* 409: a number of the range is recorded already */
	WF_APP_HAS_BOOKLET,    /* 409: the application already uses a booklet */
	/* the day close (dayclose.h) */
	WF_CLOSE_INVALID,      /* 422: a malformed day, count or note of a close */
	WF_DAY_FUTURE,         /* 422: the day has not begun */
	WF_NOTE_REQUIRED,      /* 422: the count does not match: a note must say why */
	WF_DAY_CLOSED,         /* 409: the day is closed */
	/* the officers (officers.h) */
	WF_NO_OFFICER,         /* 404: no such officer */
	WF_OFFICER_EXISTS,     /* 409: the username is taken */
	WF_NEEDS_TOTP,         /* 409: the roles need a TOTP secret the officer has not */
	WF_REASON_COUNT        /* not a reason: the number of them */
};

/* How the problem's detail is made from the operation's message (e->msg). */
enum refusal_detail {
	REFUSAL_MESSAGE, /* the message as it is */
	REFUSAL_NAMED,   /* "<name>: <message>" */
	REFUSAL_FIXED,   /* the row's fixed text (the message may say more than the API) */
};

struct refusal_info {
	const char *name;          /* stable: "invalid-state", "no-stock", … */
	enum http_problem problem; /* status, type and title (util/http.h) */
	enum refusal_detail detail;
	const char *fixed;         /* REFUSAL_FIXED's text */
};

/* The row of r; NULL for WF_OK and a value out of range. */
const struct refusal_info *refusal_info(enum wf_reason r);

/* The header every operation of the office starts with (the workflow's, workflow.h;
 * the booklet stock's, booklets.h; the day close's, dayclose.h; the officers',
 * officers.h): the generic HTTP handler (office/ops.h) fills the actor, reads the
 * refusal and the seq through it. */
struct wf_hdr {
	const char *actor;      /* in: "officer:<username>", "cli:<user>" or "applicant" */
	const char *app;        /* in: application id (the workflow's steps; NULL else) */
	enum wf_reason reason;  /* out: WF_OK or why it was refused */
	uint64_t seq;           /* out: seq of the (last) event appended */
};

/* "invalid-state", … (stable); "ok" for WF_OK, "unknown" out of range. */
const char *wf_reason_name(enum wf_reason r);

/* Sets *reason to r and e to ERR_INPUT with the formatted message (at most 400 bytes);
 * returns -1, so an operation can `return refusal_set(…)`. */
int refusal_set(enum wf_reason *reason, enum wf_reason r, struct err *e, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

#endif
