/*
 * wf_guards — the rules an event of the workflow must satisfy against the projected
 * state, each written once, and the guard of each kind and version as data: its rules
 * in order and the body fields they read (struct wf_guard, named in wf_schemas.c's KIND
 * table; docs/WORKFLOW.md "Guards"): separation of duties, the photo before enrolment,
 * a booking rescheduled once, a pending payment with the same billing code before
 * confirmation, one NTPN per payment, the booklet an issuance event names, one active
 * application per identity reference and one booking code per application.
 *
 * A guard runs once per event: in the operation that makes it (wf_guard, in the order
 * the operation checks its rules and before its side effects), whose pass the
 * projection takes when the event carries the same values of the fields the guard
 * reads (a rule reads the body through wf_guard_str only), or else where the event is
 * projected (wf_project: `paspor rebuild`, a replay, a raw append), so the log cannot
 * hold a violation. Its refusal is the operation's answer: err_refuse with the enum
 * wf_reason and the message the API shows as the problem's detail. A rule reads the
 * tables only: never the configuration or the clock (those rules are the operation's,
 * checked when the event is written, never on replay).
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

/* ---- the rules (a guard is a list of them: the table at the end) ---- */

/* One active application per identity reference (the partial UNIQUE index
 * applications_active_idref) and one booking code hash per application
 * (applications.code_hash UNIQUE); the constraints stay as the last line of defence. */
static int unique_booking(const struct wf_ev *x, const char *what, struct err *e)
{
	(void)what;
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

static int rescheduled_once(const struct wf_ev *x, const char *what, struct err *e)
{
	(void)what;
	if (x->a.rescheduled)
		return wf_deny(e, WF_ALREADY_RESCHEDULED, "application %s was rescheduled once "
			       "already", x->app);
	return 0;
}

static int photo_first(const struct wf_ev *x, const char *what, struct err *e)
{
	(void)what;
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

/* Neither the officer recorded as enrolled_by nor the interviewer decides; what
 * "enrollers": nor anyone who enrolled a photo or a fingerprint. */
static int decider(const struct wf_ev *x, const char *what, struct err *e)
{
	return wf_rule_decider(x, what != NULL, e);
}

/* A pending payment, with the event's billing code. */
static int pending_payment(const struct wf_ev *x, const char *what, struct err *e)
{
	(void)what;
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

/* Confirmed by neither the officer who recorded the billing nor the approver (per
 * person, docs/ROLES.md). */
static int not_biller(const struct wf_ev *x, const char *what, struct err *e)
{
	(void)what;
	if (strcmp(x->actor, x->a.paid_by) == 0)
		return wf_deny(e, WF_SEPARATION, "separation of duties: %s recorded the billing of "
			       "application %s and cannot confirm its payment", x->actor, x->app);
	if (strcmp(x->actor, x->a.decided_by) == 0)
		return wf_deny(e, WF_SEPARATION, "separation of duties: %s approved application %s "
			       "and cannot confirm its payment", x->actor, x->app);
	return 0;
}

/* An NTPN confirms one payment (payments.ntpn UNIQUE stays as the last line of
 * defence). */
static int ntpn_unused(const struct wf_ev *x, const char *what, struct err *e)
{
	(void)what;
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

/* The event names the application's current booklet. */
static int same_booklet(const struct wf_ev *x, const char *what, struct err *e)
{
	(void)what;
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

/* A spoil of a personalized booklet names a second officer as witness. */
static int second_officer(const struct wf_ev *x, const char *what, struct err *e)
{
	(void)what;
	const char *witness = wf_guard_str(x, "witness");
	char wactor[300];
	snprintf(wactor, sizeof wactor, "officer:%s", witness ? witness : "");
	if (!witness || !witness[0] || strcmp(wactor, x->actor) == 0)
		return wf_deny(e, WF_SEPARATION, "spoiling a personalized booklet needs a second "
			       "officer as witness");
	return 0;
}

/* ---- the guards of the kind table: their rules, in order, and the body fields they
 * read. A kind + version keeps its list: a new rule is a new version's. ---- */

static const char *const READS_CREATED[] = { "idref", "code_hash", NULL };
static const char *const READS_BILLING[] = { "billing_code", NULL };
static const char *const READS_PAYMENT[] = { "billing_code", "ntpn", NULL };
static const char *const READS_BOOKLET[] = { "booklet", NULL };
static const char *const READS_SPOIL[] = { "booklet", "witness", NULL };

#define RULE(fn, what) { fn, what }

/* booking.created v1 */
const struct wf_guard wf_guard_created = { { RULE(unique_booking, NULL) }, READS_CREATED };
/* booking.rescheduled v1: once only */
const struct wf_guard wf_guard_rescheduled = { { RULE(rescheduled_once, NULL) }, NULL };
/* application.enrolled v1, v2: a photo first */
const struct wf_guard wf_guard_enrolled = { { RULE(photo_first, NULL) }, NULL };
/* application.approved v1, application.rejected v1 */
const struct wf_guard wf_guard_decided = { { RULE(decider, NULL) }, NULL };
/* application.approved v2: nor anyone who enrolled a photo or a fingerprint */
const struct wf_guard wf_guard_approved2 = { { RULE(decider, "enrollers") }, NULL };
/* application.payment_confirmed v1 */
const struct wf_guard wf_guard_pay_confirmed = { { RULE(pending_payment, NULL) },
						 READS_BILLING };
/* application.payment_confirmed v2 */
const struct wf_guard wf_guard_pay_confirmed2 = {
	{ RULE(pending_payment, NULL), RULE(not_biller, NULL), RULE(ntpn_unused, NULL) },
	READS_PAYMENT
};
/* application.personalized v1, v2 */
const struct wf_guard wf_guard_personalized = { { RULE(not_approver, "personalize") }, NULL };
/* application.quality_checked v1 */
const struct wf_guard wf_guard_quality = {
	{ RULE(same_booklet, NULL), RULE(not_personalizer, "quality-check it") }, READS_BOOKLET
};
/* application.personalization_voided v1 */
const struct wf_guard wf_guard_voided = { { RULE(same_booklet, NULL) }, READS_BOOKLET };
/* application.personalization_voided v2: with a second officer as witness */
const struct wf_guard wf_guard_voided2 = {
	{ RULE(same_booklet, NULL), RULE(second_officer, NULL) }, READS_SPOIL
};
/* application.handed_over v1: not by the approver */
const struct wf_guard wf_guard_handed = {
	{ RULE(same_booklet, NULL), RULE(not_approver, "hand over") }, READS_BOOKLET
};
/* application.handed_over v2: nor by the officer who personalized the booklet */
const struct wf_guard wf_guard_handed2 = {
	{ RULE(same_booklet, NULL), RULE(not_approver, "hand over"),
	  RULE(not_personalizer, "hand it over") },
	READS_BOOKLET
};
