/*
 * refusal — the office's refusals and their problem+json (see refusal.h).
 */
#include "office/refusal.h"

#include <stdarg.h>
#include <stdio.h>

#include "office/wf_internal.h"

#define MESSAGE(name, problem) { name, problem, REFUSAL_MESSAGE, NULL }
#define NAMED(name, problem) { name, problem, REFUSAL_NAMED, NULL }
#define FIXED(name, problem, text) { name, problem, REFUSAL_FIXED, text }

/* One row per reason: its name and the answer the API gives (docs/API.md "Refusals: one
 * table", which a unit test checks against this). */
static const struct refusal_info refusals[WF_REASON_COUNT] = {
	[WF_INVALID_INPUT] = MESSAGE("invalid-input", HTTP_PROBLEM_INVALID_FIELD),
	[WF_NOT_FOUND] = FIXED("not-found", HTTP_PROBLEM_NOT_FOUND, "no such application"),
	[WF_INVALID_STATE] = MESSAGE("invalid-state", HTTP_PROBLEM_INVALID_STATE),
	[WF_DUPLICATE_ACTIVE] = FIXED("duplicate-active-application", HTTP_PROBLEM_DUPLICATE,
				      "this person already has an active application"),
	[WF_SLOT_FULL] = MESSAGE("slot-full", HTTP_PROBLEM_SLOT_FULL),
	[WF_ALREADY_RESCHEDULED] = NAMED("already-rescheduled", HTTP_PROBLEM_CONFLICT),
	[WF_NOT_YET] = NAMED("not-yet", HTTP_PROBLEM_CONFLICT),
	[WF_SEPARATION] = MESSAGE("separation-of-duties", HTTP_PROBLEM_SEPARATION),
	[WF_WATCHLIST] = NAMED("watchlist", HTTP_PROBLEM_CONFLICT),
	[WF_PHOTO_MISSING] = NAMED("photo-missing", HTTP_PROBLEM_CONFLICT),
	[WF_TOO_MANY] = NAMED("too-many-fingerprints", HTTP_PROBLEM_CONFLICT),
	[WF_MISMATCH] = NAMED("billing-code-mismatch", HTTP_PROBLEM_CONFLICT),
	[WF_CODE_TAKEN] = NAMED("booking-code-taken", HTTP_PROBLEM_CONFLICT),
	[WF_NO_STOCK] = NAMED("no-stock", HTTP_PROBLEM_CONFLICT),
	[WF_SIGNER_REFUSED] = NAMED("signer-refused", HTTP_PROBLEM_CONFLICT),
	[WF_SIGNER_UNAVAILABLE] = NAMED("signer-unavailable", HTTP_PROBLEM_UNAVAILABLE),
	[WF_NOT_CONFIGURED] = NAMED("not-configured", HTTP_PROBLEM_UNAVAILABLE),
	[WF_PAYMENT_PENDING] = NAMED("payment-pending", HTTP_PROBLEM_CONFLICT),
	[WF_NTPN_USED] = NAMED("ntpn-used", HTTP_PROBLEM_CONFLICT),
	[WF_NO_BOOKLET] = MESSAGE("booklet-not-found", HTTP_PROBLEM_NOT_FOUND),
	[WF_BOOKLET_EXISTS] = MESSAGE("booklet-exists", HTTP_PROBLEM_DUPLICATE),
	[WF_APP_HAS_BOOKLET] = NAMED("application-has-booklet", HTTP_PROBLEM_CONFLICT),
	[WF_CLOSE_INVALID] = NAMED("invalid-input", HTTP_PROBLEM_INVALID_FIELD),
	[WF_DAY_FUTURE] = NAMED("future-day", HTTP_PROBLEM_INVALID_FIELD),
	[WF_NOTE_REQUIRED] = NAMED("note-required", HTTP_PROBLEM_INVALID_FIELD),
	[WF_DAY_CLOSED] = NAMED("already-closed", HTTP_PROBLEM_CONFLICT),
	[WF_NO_OFFICER] = MESSAGE("officer-not-found", HTTP_PROBLEM_NOT_FOUND),
	[WF_OFFICER_EXISTS] = MESSAGE("officer-exists", HTTP_PROBLEM_DUPLICATE),
	[WF_NEEDS_TOTP] = MESSAGE("needs-totp", HTTP_PROBLEM_CONFLICT),
};

const struct refusal_info *refusal_info(enum wf_reason r)
{
	if ((unsigned)r >= WF_REASON_COUNT || !refusals[r].name)
		return NULL;
	return &refusals[r];
}

const char *wf_reason_name(enum wf_reason r)
{
	if (r == WF_OK)
		return "ok";
	const struct refusal_info *ri = refusal_info(r);
	return ri ? ri->name : "unknown";
}

static int refuse_v(enum wf_reason *reason, enum wf_reason r, struct err *e, const char *fmt,
		    va_list ap)
{
	char msg[400];
	vsnprintf(msg, sizeof msg, fmt, ap);
	*reason = r;
	return err_set(e, ERR_INPUT, "%s", msg);
}

int refusal_set(enum wf_reason *reason, enum wf_reason r, struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = refuse_v(reason, r, e, fmt, ap);
	va_end(ap);
	return rc;
}

/* The workflow's form (office/wf_internal.h): the reason goes into the op's header. */
int wf_refuse(struct wf_hdr *h, enum wf_reason r, struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = refuse_v(&h->reason, r, e, fmt, ap);
	va_end(ap);
	return rc;
}
