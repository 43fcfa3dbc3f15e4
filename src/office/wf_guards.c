/*
 * wf_guards — the rules an event of the workflow must satisfy against the projected
 * state, each written once, as the guard of its kind and version in wf_schemas.c's KIND
 * table (docs/WORKFLOW.md "Guards"): separation of duties, the photo before enrolment,
 * a booking rescheduled once, a pending payment with the same billing code before
 * confirmation, one NTPN per payment, the booklet an issuance event names, one active
 * application per identity reference and one booking code per application.
 *
 * A guard runs once per event: in the operation that makes it (wf_guard, in the order
 * the operation checks its rules and before its side effects), whose pass the
 * projection takes when the event carries the same values of the fields the guard
 * reads (its struct wf_guard names them; it reads the body through wf_guard_str only),
 * or else where the event is projected (wf_project: `paspor rebuild`, a replay, a raw
 * append), so the log cannot hold a violation. Its refusal is the operation's answer: err_refuse with the
 * enum wf_reason and the message the API shows as the problem's detail. A guard reads
 * the tables only: never the configuration or the clock (those rules are the
 * operation's, checked when the event is written, never on replay).
 *
 * A kind + version, once written, keeps its guard: a version's guard refuses exactly
 * what that version's projection refused before, so old logs rebuild as they did.
 */
#include <stdio.h>
#include <string.h>

#include "log/db.h"
#include "office/wf_internal.h"

const char *wf_guard_str(const struct wf_ev *x, const char *k)
{
	for (const char *const *r = x->reads; r && *r; r++)
		if (strcmp(*r, k) == 0)
			return json_string_value(json_object_get(x->b, k));
	return NULL;
}

/* booking.created v1: one active application per identity reference (the partial
 * UNIQUE index applications_active_idref) and one booking code hash per application
 * (applications.code_hash UNIQUE); the constraints stay as the last line of defence */
static int guard_created(const struct wf_ev *x, struct err *e)
{
	int r = wf_exists(x->db, "SELECT 1 FROM applications WHERE idref = ?1 AND state NOT IN"
			  " ('cancelled', 'no_show', 'rejected', 'issued')",
			  wf_guard_str(x, "idref"), NULL, e);
	if (r)
		return r < 0 ? -1 : wf_deny(e, WF_DUPLICATE_ACTIVE, "this identity reference "
					    "already has an active application");
	r = wf_exists(x->db, "SELECT 1 FROM applications WHERE code_hash = ?1",
		      wf_guard_str(x, "code_hash"), NULL, e);
	if (r)
		return r < 0 ? -1 : wf_deny(e, WF_CODE_TAKEN, "booking code hash already in use");
	return 0;
}

/* booking.rescheduled v1: once only */
static int guard_rescheduled(const struct wf_ev *x, struct err *e)
{
	if (x->a.rescheduled)
		return wf_deny(e, WF_ALREADY_RESCHEDULED, "application %s was rescheduled once "
			       "already", x->app);
	return 0;
}

/* application.enrolled v1, v2: a photo first */
static int guard_enrolled(const struct wf_ev *x, struct err *e)
{
	if (!x->a.has_photo)
		return wf_deny(e, WF_PHOTO_MISSING, "application %s has no photo: enrol one first",
			       x->app);
	return 0;
}

int wf_rule_decider(const struct wf_ev *x, int with_enrollers, struct err *e)
{
	int enrolled = with_enrollers ? wf_enrolled_by(x->db, x->app, x->actor, e) : 0;
	if (enrolled < 0)
		return -1;
	int interviewed = strcmp(x->actor, x->a.interviewed_by) == 0;
	if (enrolled || interviewed || strcmp(x->actor, x->a.enrolled_by) == 0)
		return wf_deny(e, WF_SEPARATION, "%s %s application %s: another adjudicator must "
			       "decide", x->actor, interviewed ? "interviewed" : "enrolled", x->app);
	return 0;
}

/* application.approved v1, application.rejected v1: neither the officer recorded as
 * enrolled_by nor the interviewer decides */
static int guard_decided(const struct wf_ev *x, struct err *e)
{
	return wf_rule_decider(x, 0, e);
}

/* application.approved v2: nor anyone who enrolled a photo or a fingerprint */
static int guard_approved2(const struct wf_ev *x, struct err *e)
{
	return wf_rule_decider(x, 1, e);
}

/* application.payment_confirmed v1: a pending payment, with its billing code */
static int guard_pay_confirmed(const struct wf_ev *x, struct err *e)
{
	const char *code = wf_guard_str(x, "billing_code");
	if (strcmp(x->a.payment_status, "pending") != 0)
		return wf_deny(e, WF_INVALID_STATE, "application %s is paid and its payment is "
			       "'%s': only a pending payment can be confirmed", x->app,
			       x->a.payment_status);
	if (!code || strcmp(code, x->a.billing_code) != 0)
		return wf_deny(e, WF_MISMATCH, "billing code does not match the payment recorded "
			       "for application %s", x->app);
	return 0;
}

/* application.payment_confirmed v2: and by neither the officer who recorded the billing
 * nor the approver (per person, docs/ROLES.md); an NTPN confirms one payment
 * (payments.ntpn UNIQUE stays as the last line of defence) */
static int guard_pay_confirmed2(const struct wf_ev *x, struct err *e)
{
	if (guard_pay_confirmed(x, e) < 0)
		return -1;
	if (strcmp(x->actor, x->a.paid_by) == 0)
		return wf_deny(e, WF_SEPARATION, "separation of duties: %s recorded the billing of "
			       "application %s and cannot confirm its payment", x->actor, x->app);
	if (strcmp(x->actor, x->a.decided_by) == 0)
		return wf_deny(e, WF_SEPARATION, "separation of duties: %s approved application %s "
			       "and cannot confirm its payment", x->actor, x->app);
	const char *ntpn = wf_guard_str(x, "ntpn");
	int r = ntpn ? wf_exists(x->db, "SELECT 1 FROM payments WHERE ntpn = ?1", ntpn, NULL, e) : 0;
	if (r)
		return r < 0 ? -1 : wf_deny(e, WF_NTPN_USED, "this NTPN confirmed another payment "
					    "already");
	return 0;
}

/* Neither the approver nor the officer who accepted its watchlist hit does `what`. */
static int not_approver(const struct wf_ev *x, const char *what, struct err *e)
{
	if (strcmp(x->actor, x->a.decided_by) == 0 ||
	    (x->a.has_watchlist_override && strcmp(x->actor, x->a.watchlist_by) == 0))
		return wf_deny(e, WF_SEPARATION, "separation of duties: %s approved application %s "
			       "(or accepted its watchlist hit) and cannot %s it", x->actor, x->app,
			       what);
	return 0;
}

/* application.personalized v1, v2 */
static int guard_personalized(const struct wf_ev *x, struct err *e)
{
	return not_approver(x, "personalize", e);
}

/* The event names the application's current booklet. */
static int same_booklet(const struct wf_ev *x, struct err *e)
{
	const char *booklet = wf_guard_str(x, "booklet");
	char cur[9];
	if (wf_issuance_booklet(x->db, x->app, cur, e) < 0)
		return -1;
	if (!booklet || strcmp(cur, booklet) != 0)
		return wf_deny(e, WF_INVALID_STATE, "application %s is personalized on booklet %s, "
			       "not %s", x->app, cur[0] ? cur : "(none)", booklet ? booklet : "(none)");
	return 0;
}

/* The officer who personalized the current booklet cannot do `what`. */
static int not_personalizer(const struct wf_ev *x, const char *what, struct err *e)
{
	char by[256];
	if (wf_personalized_by(x->db, x->app, by, e) < 0)
		return -1;
	if (strcmp(by, x->actor) == 0)
		return wf_deny(e, WF_SEPARATION, "separation of duties: %s personalized booklet %s "
			       "and cannot %s", x->actor, wf_guard_str(x, "booklet"), what);
	return 0;
}

/* application.quality_checked v1 */
static int guard_quality(const struct wf_ev *x, struct err *e)
{
	if (same_booklet(x, e) < 0)
		return -1;
	return not_personalizer(x, "quality-check it", e);
}

/* application.personalization_voided v1 */
static int guard_voided(const struct wf_ev *x, struct err *e)
{
	return same_booklet(x, e);
}

/* application.personalization_voided v2: with a second officer as witness */
static int guard_voided2(const struct wf_ev *x, struct err *e)
{
	if (same_booklet(x, e) < 0)
		return -1;
	const char *witness = wf_guard_str(x, "witness");
	char wactor[300];
	snprintf(wactor, sizeof wactor, "officer:%s", witness ? witness : "");
	if (!witness || !witness[0] || strcmp(wactor, x->actor) == 0)
		return wf_deny(e, WF_SEPARATION, "spoiling a personalized booklet needs a second "
			       "officer as witness");
	return 0;
}

/* application.handed_over v1: not by the approver */
static int guard_handed(const struct wf_ev *x, struct err *e)
{
	if (same_booklet(x, e) < 0)
		return -1;
	return not_approver(x, "hand over", e);
}

/* application.handed_over v2: nor by the officer who personalized the booklet */
static int guard_handed2(const struct wf_ev *x, struct err *e)
{
	if (guard_handed(x, e) < 0)
		return -1;
	return not_personalizer(x, "hand it over", e);
}

/* ---- the guards of the kind table, with the body fields each reads ---- */

static const char *const READS_CREATED[] = { "idref", "code_hash", NULL };
static const char *const READS_BILLING[] = { "billing_code", NULL };
static const char *const READS_PAYMENT[] = { "billing_code", "ntpn", NULL };
static const char *const READS_BOOKLET[] = { "booklet", NULL };
static const char *const READS_SPOIL[] = { "booklet", "witness", NULL };

const struct wf_guard wf_guard_created = { guard_created, READS_CREATED };
const struct wf_guard wf_guard_rescheduled = { guard_rescheduled, NULL };
const struct wf_guard wf_guard_enrolled = { guard_enrolled, NULL };
const struct wf_guard wf_guard_decided = { guard_decided, NULL };
const struct wf_guard wf_guard_approved2 = { guard_approved2, NULL };
const struct wf_guard wf_guard_pay_confirmed = { guard_pay_confirmed, READS_BILLING };
const struct wf_guard wf_guard_pay_confirmed2 = { guard_pay_confirmed2, READS_PAYMENT };
const struct wf_guard wf_guard_personalized = { guard_personalized, NULL };
const struct wf_guard wf_guard_quality = { guard_quality, READS_BOOKLET };
const struct wf_guard wf_guard_voided = { guard_voided, READS_BOOKLET };
const struct wf_guard wf_guard_voided2 = { guard_voided2, READS_SPOIL };
const struct wf_guard wf_guard_handed = { guard_handed, READS_BOOKLET };
const struct wf_guard wf_guard_handed2 = { guard_handed2, READS_BOOKLET };
