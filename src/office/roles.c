/*
 * roles — the role × action table and separation of duties (see roles.h).
 */
#include "office/roles.h"

#include <string.h>

static const struct {
	const char *name;
	const char *title;
} role_info[ROLE_COUNT] = {
	[ROLE_REGISTRAR] = { "registrar", "registrar" },
	[ROLE_INTERVIEWER] = { "interviewer", "interviewer" },
	[ROLE_ADJUDICATOR] = { "adjudicator", "adjudicator (supervisor)" },
	[ROLE_PRINTER_OPERATOR] = { "printer_operator", "printer operator" },
	[ROLE_ISSUING_OFFICER] = { "issuing_officer", "issuing officer" },
	[ROLE_BOOKLET_CUSTODIAN] = { "booklet_custodian", "booklet custodian" },
	[ROLE_OFFICE_ADMIN] = { "office_admin", "office admin" },
	[ROLE_AUDITOR] = { "auditor", "auditor (read-only)" },
	[ROLE_CASHIER] = { "cashier", "cashier (treasurer)" },
};

#define R(x) ROLE_BIT(ROLE_##x)
/* Everyone who works on applications may read them; the office admin manages accounts
 * and configuration and does not read applicants' data. */
#define READERS                                                                       \
	(R(REGISTRAR) | R(INTERVIEWER) | R(ADJUDICATOR) | R(PRINTER_OPERATOR) |        \
	 R(ISSUING_OFFICER) | R(AUDITOR) | R(CASHIER))

/* THE table. docs/ROLES.md is generated from it (roles_table_markdown) and checked. */
static const struct {
	const char *name;
	const char *what;
	unsigned roles;
} action_info[ACT_COUNT] = {
	[ACT_BOOKING_WALK_IN] = { "booking.walk_in", "book a walk-in applicant", R(REGISTRAR) },
	[ACT_CHECK_IN] = { "application.check_in", "check an applicant in", R(REGISTRAR) },
	[ACT_DOCUMENTS_VERIFY] = { "application.documents_verify", "record the document check",
				   R(REGISTRAR) },
	[ACT_ENROL_PHOTO] = { "application.enrol_photo", "enrol the face photo", R(REGISTRAR) },
	[ACT_ENROL_FINGERPRINTS] = { "application.enrol_fingerprints", "enrol fingerprints",
				     R(REGISTRAR) },
	[ACT_INTERVIEW] = { "application.interview", "record the interview", R(INTERVIEWER) },
	[ACT_APPROVE] = { "application.approve", "approve an application", R(ADJUDICATOR) },
	[ACT_REJECT] = { "application.reject", "reject an application (with reasons)",
			 R(ADJUDICATOR) },
	[ACT_WATCHLIST_CHECK] = { "watchlist.check", "run and read the watchlist check",
				  R(REGISTRAR) | R(INTERVIEWER) | R(ADJUDICATOR) },
	[ACT_WATCHLIST_OVERRIDE] = { "watchlist.override",
				     "override a hit or a stale watchlist (supervisor)",
				     R(ADJUDICATOR) },
	[ACT_PAYMENT_RECORD] = { "payment.record", "record a payment (billing code, amount)",
				 R(REGISTRAR) },
	[ACT_PAYMENT_CONFIRM] = { "payment.confirm",
				  "confirm a recorded payment with its NTPN (not its recorder nor "
				  "the approver)", R(CASHIER) | R(ADJUDICATOR) },
	[ACT_APPLICATION_VIEW] = { "application.view", "view an application (recorded)", READERS },
	[ACT_APPLICATION_SEARCH] = { "application.search",
				     "search by booking code, NIK or name; list by state and day",
				     READERS },
	[ACT_APPLICATION_HISTORY] = { "application.history", "read an application's events",
				      READERS },
	[ACT_WATCHLIST_ADD] = { "watchlist.add", "add a local watchlist entry", R(OFFICE_ADMIN) },
	[ACT_USERS_MANAGE] = { "users.manage", "add, disable, enable officers; reset passwords "
			       "and TOTP; change roles; revoke sessions",
			       R(OFFICE_ADMIN) },
	[ACT_AUDIT_VIEW] = { "audit.view", "read the audit trail (logins, access events)",
			     R(OFFICE_ADMIN) | R(AUDITOR) },
	[ACT_PERSONALIZE] = { "application.personalize", "personalize a booklet (print, chip)",
			      R(PRINTER_OPERATOR) },
	[ACT_QUALITY_CHECK] = { "application.quality_check", "quality-check a personalized booklet",
				R(PRINTER_OPERATOR) | R(ISSUING_OFFICER) },
	[ACT_HAND_OVER] = { "application.hand_over", "hand the passport over",
			    R(ISSUING_OFFICER) },
	[ACT_BOOKLET_RECEIVE] = { "booklet.receive", "receive blank booklets from the centre",
				  R(BOOKLET_CUSTODIAN) },
	[ACT_BOOKLET_CONFIRM] = { "booklet.confirm", "confirm booklets used or voided",
				  R(BOOKLET_CUSTODIAN) },
	[ACT_BOOKLET_SPOIL] = { "booklet.spoil", "record a spoiled booklet",
				R(BOOKLET_CUSTODIAN) | R(PRINTER_OPERATOR) },
	[ACT_BOOKLET_VIEW] = { "booklet.view", "read booklet stock and a booklet's record",
			       R(BOOKLET_CUSTODIAN) | R(PRINTER_OPERATOR) | R(ADJUDICATOR) |
			       R(AUDITOR) },
	[ACT_DAILY_CLOSE] = { "office.daily_close", "close the day (stock and counts)",
			      R(BOOKLET_CUSTODIAN) | R(ADJUDICATOR) },
	[ACT_DAILY_CLOSE_VIEW] = { "office.daily_close_view", "read a closed day's report",
				   R(BOOKLET_CUSTODIAN) | R(ADJUDICATOR) | R(AUDITOR) },
};
#undef R

const char *roles_name(enum role r)
{
	return (unsigned)r < ROLE_COUNT ? role_info[r].name : NULL;
}

int roles_parse(const char *s, enum role *out, struct err *e)
{
	for (int i = 0; i < ROLE_COUNT; i++)
		if (strcmp(role_info[i].name, s) == 0) {
			*out = (enum role)i;
			return 0;
		}
	return err_set(e, ERR_INPUT, "unknown role '%.40s' (roles: registrar, interviewer, "
		       "adjudicator, printer_operator, issuing_officer, booklet_custodian, "
		       "office_admin, auditor, cashier)", s);
}

int roles_parse_list(const char *s, unsigned *mask, struct err *e)
{
	*mask = 0;
	if (!*s)
		return err_set(e, ERR_INPUT, "role list is empty");
	while (*s) {
		const char *end = strchr(s, ',');
		size_t n = end ? (size_t)(end - s) : strlen(s);
		char name[32];
		if (n == 0 || n >= sizeof name)
			return err_set(e, ERR_INPUT, "role list has an empty or too long name");
		memcpy(name, s, n);
		name[n] = 0;
		enum role r = ROLE_REGISTRAR;
		if (roles_parse(name, &r, e) < 0)
			return -1;
		if (*mask & ROLE_BIT(r))
			return err_set(e, ERR_INPUT, "role '%s' given twice", name);
		*mask |= ROLE_BIT(r);
		s += n;
		if (*s == ',' && !*++s)
			return err_set(e, ERR_INPUT, "role list ends with a comma");
	}
	return 0;
}

int roles_format_list(unsigned mask, struct buf *out)
{
	int first = 1;
	for (int i = 0; i < ROLE_COUNT; i++)
		if (mask & ROLE_BIT(i)) {
			buf_addf(out, "%s%s", first ? "" : ",", role_info[i].name);
			first = 0;
		}
	return buf_ok(out) ? 0 : -1;
}

const char *roles_action_name(enum action a)
{
	return (unsigned)a < ACT_COUNT ? action_info[a].name : NULL;
}

int roles_action_parse(const char *s, enum action *out, struct err *e)
{
	for (int i = 0; i < ACT_COUNT; i++)
		if (strcmp(action_info[i].name, s) == 0) {
			*out = (enum action)i;
			return 0;
		}
	return err_set(e, ERR_INPUT, "unknown action '%.60s'", s);
}

unsigned roles_action_mask(enum action a)
{
	return (unsigned)a < ACT_COUNT ? action_info[a].roles : 0;
}

int roles_allowed(unsigned mask, enum action a)
{
	return (mask & roles_action_mask(a)) != 0;
}

/* Did `officer` do any of the actions in `what` (a bit set over enum action)? */
static int did(const char *officer, unsigned long long what, const struct roles_history *h,
	       size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned)h[i].action < ACT_COUNT && (what & (1ull << h[i].action)) &&
		    h[i].officer && strcmp(h[i].officer, officer) == 0)
			return 1;
	return 0;
}

#define A(x) (1ull << ACT_##x)

int roles_sod_check(const char *officer, enum action a, const struct roles_history *history,
		    size_t n, struct err *e)
{
	switch (a) {
	case ACT_APPROVE:
	case ACT_REJECT:
	case ACT_WATCHLIST_OVERRIDE:
		if (did(officer, A(ENROL_PHOTO) | A(ENROL_FINGERPRINTS) | A(INTERVIEW), history, n))
			return err_set(e, ERR_VERIFY, "separation of duties: the officer who enrolled "
				       "or interviewed this applicant cannot decide on the application");
		return 0;
	case ACT_PERSONALIZE:
	case ACT_HAND_OVER:
		if (did(officer, A(APPROVE) | A(WATCHLIST_OVERRIDE), history, n))
			return err_set(e, ERR_VERIFY, "separation of duties: the officer who approved "
				       "this application cannot personalize or hand it over");
		return 0;
	case ACT_QUALITY_CHECK:
		if (did(officer, A(PERSONALIZE), history, n))
			return err_set(e, ERR_VERIFY, "separation of duties: the officer who "
				       "personalized this booklet cannot quality-check it");
		return 0;
	default:
		return 0;
	}
}

#undef A

int roles_table_markdown(struct buf *out)
{
	static const char abbrev[ROLE_COUNT][4] = { "REG", "INT", "ADJ", "PRN", "ISS",
						    "CUS", "ADM", "AUD", "CSH" };
	buf_addstr(out, "| action | what |");
	for (int r = 0; r < ROLE_COUNT; r++)
		buf_addf(out, " %s |", abbrev[r]);
	buf_addstr(out, "\n|---|---|");
	for (int r = 0; r < ROLE_COUNT; r++)
		buf_addstr(out, ":-:|");
	buf_addstr(out, "\n");
	for (int a = 0; a < ACT_COUNT; a++) {
		buf_addf(out, "| `%s` | %s |", action_info[a].name, action_info[a].what);
		for (int r = 0; r < ROLE_COUNT; r++)
			buf_addstr(out, action_info[a].roles & ROLE_BIT(r) ? " ✓ |" : " · |");
		buf_addstr(out, "\n");
	}
	buf_addstr(out, "\nColumns: ");
	for (int r = 0; r < ROLE_COUNT; r++)
		buf_addf(out, "%s%s = `%s` (%s)", r ? ", " : "", abbrev[r], role_info[r].name,
			 role_info[r].title);
	buf_addstr(out, ".\n");
	return buf_ok(out) ? 0 : -1;
}
