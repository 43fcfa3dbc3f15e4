/*
 * roles — officer roles, the actions of the office workflow, who may do each (the role ×
 * action table) and separation of duties (docs/ROLES.md, DESIGN.md §3).
 *
 * The table in roles.c is the single source of truth: roles_allowed answers from it,
 * roles_table_markdown prints it as the table in docs/ROLES.md and a unit test checks
 * that the document holds exactly that text. An officer holds one or more roles (a bit
 * mask of 1u << enum role); an action is allowed when any role allows it.
 *
 * Separation of duties is a separate rule set over the officers already recorded on an
 * application's events: roles_sod_check(officer, action, history) says whether this
 * officer may do this action on this application, whatever the roles. The caller (the
 * workflow) turns the application's events into history entries (who did which action);
 * this module reads no database.
 *
 * Nothing here allocates. Names are stable (they appear in events, the CLI and HTTP
 * problems). Errors: ERR_INPUT for an unknown role or action name, ERR_VERIFY when
 * separation of duties forbids the action (the message names the rule, not data).
 */
#ifndef PASPOR_OFFICE_ROLES_H
#define PASPOR_OFFICE_ROLES_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

enum role {
	ROLE_REGISTRAR,
	ROLE_INTERVIEWER,
	ROLE_ADJUDICATOR,
	ROLE_PRINTER_OPERATOR,
	ROLE_ISSUING_OFFICER,
	ROLE_BOOKLET_CUSTODIAN,
	ROLE_OFFICE_ADMIN,
	ROLE_AUDITOR,
	ROLE_CASHIER, /* issue 13: confirms payments (the treasurer, bendahara penerimaan) */
	ROLE_COUNT
};

#define ROLE_BIT(r) (1u << (r))
#define ROLES_ALL ((1u << ROLE_COUNT) - 1)

enum action {
	/* issue 4: counter workflow up to payment */
	ACT_BOOKING_WALK_IN,
	ACT_CHECK_IN,
	ACT_DOCUMENTS_VERIFY,
	ACT_ENROL_PHOTO,
	ACT_ENROL_FINGERPRINTS,
	ACT_INTERVIEW,
	ACT_APPROVE,
	ACT_REJECT,
	ACT_WATCHLIST_CHECK,
	ACT_WATCHLIST_OVERRIDE,
	ACT_PAYMENT_RECORD,
	ACT_PAYMENT_CONFIRM,
	ACT_APPLICATION_VIEW,
	ACT_APPLICATION_SEARCH,
	ACT_APPLICATION_HISTORY,
	ACT_WATCHLIST_ADD,
	ACT_USERS_MANAGE,
	ACT_AUDIT_VIEW,
	/* later issues: personalization, hand-over, booklet stock */
	ACT_PERSONALIZE,
	ACT_QUALITY_CHECK,
	ACT_HAND_OVER,
	ACT_BOOKLET_RECEIVE,
	ACT_BOOKLET_CONFIRM,
	ACT_BOOKLET_SPOIL,
	ACT_BOOKLET_VIEW,
	ACT_DAILY_CLOSE,
	ACT_DAILY_CLOSE_VIEW,
	ACT_COUNT
};

/* "registrar", "printer_operator", …; NULL for an out-of-range value. */
const char *roles_name(enum role r);
/* The role named s; -1 with ERR_INPUT if there is none. */
int roles_parse(const char *s, enum role *out, struct err *e);
/* A comma-separated list of role names ("adjudicator,auditor") into a mask; ERR_INPUT
 * for an empty list, an unknown or repeated name. */
int roles_parse_list(const char *s, unsigned *mask, struct err *e);
/* Writes the mask as a comma-separated list of names, in enum order. */
int roles_format_list(unsigned mask, struct buf *out);

/* "approve", "booklet.spoil", …; NULL for an out-of-range value. */
const char *roles_action_name(enum action a);
int roles_action_parse(const char *s, enum action *out, struct err *e);
/* The roles that may do a. */
unsigned roles_action_mask(enum action a);

/* 1 if an officer holding the roles in mask may do a, else 0. */
int roles_allowed(unsigned mask, enum action a);

/* Roles that must use a second factor (TOTP) at login. */
#define ROLES_NEED_TOTP (ROLE_BIT(ROLE_ADJUDICATOR) | ROLE_BIT(ROLE_OFFICE_ADMIN))

/* One thing an officer did on an application, as recorded on its events. */
struct roles_history {
	const char *officer; /* username (the event's actor without "officer:") */
	enum action action;
};

/*
 * Separation of duties: 0 if `officer` may do `a` on an application whose events are
 * history[0..n), else -1 with ERR_VERIFY and a message naming the rule. Rules (docs/
 * ROLES.md): approve, reject and watchlist override are refused to an officer who
 * enrolled (photo or fingerprints) or interviewed the applicant; personalize and hand
 * over are refused to the officer who approved; quality check is refused to the officer
 * who personalized.
 */
int roles_sod_check(const char *officer, enum action a, const struct roles_history *history,
		    size_t n, struct err *e);

/* The role × action table as Markdown (the text between the markers in docs/ROLES.md). */
int roles_table_markdown(struct buf *out);

#endif
