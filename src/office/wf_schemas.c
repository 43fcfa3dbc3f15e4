/*
 * wf_schemas — the office workflow's event kinds: each kind's body schema (the fields
 * office/schema.h's checker checks, and the cross-field rules of a few kinds) and the
 * KIND table, which names for every kind and version, once, its fields, its rule, its
 * guard (wf_guards.c: what it must satisfy against the projected state) and its
 * projection handler (wf_project.c); office_register_kinds registers it (see
 * workflow.h and docs/WORKFLOW.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icao/mrz.h"
#include "log/kinds.h"
#include "office/booking_hold.h"
#include "office/photo.h"
#include "office/schema.h"
#include "office/wf_internal.h"

/* ---- schemas ---- */

static const char *const e_sex[] = { "F", "M", "X", NULL };
static const char *const e_channel[] = { "online", "walk_in", NULL };
static const char *const e_reason[] = { "new", "renewal", "lost", "damaged", NULL };
static const char *const e_result[] = { "clear", "hit", NULL };
static const char *const e_pay[] = { "confirmed", "pending", NULL };
static const char *const e_what[] = { "details", "history", "photo", "fingerprints",
				      "documents", "search", "chip", "data_page", NULL };
static const char *const e_qc[] = { "passed", "failed", NULL };
static const char *const e_collector[] = { "holder", "proxy", NULL };
static const char *const e_source[] = { "office", "centre", NULL };
static const char *const e_format[] = { "jpeg", "png", "wsq", "jp2", NULL };

static const struct field f_created[] = {
	REQ("address", T_NOTE, 1, 300),
	REQ("app", T_APP, 0, 0),
	REQ("birth_date", T_DATE, 0, 0),
	REQ("birth_place", T_TEXT, 1, 100),
	REQ_ENUM("channel", e_channel),
	REQ("code_hash", T_HEX64, 0, 0),
	REQ("email", T_EMAIL, 0, 0),
	REQ("full_name", T_TEXT, 1, 150),
	REQ("idref", T_IDREF, 0, 0),
	REQ("passport_type", T_CODE, 1, 32),
	REQ("phone", T_PHONE, 0, 0),
	OPT("police_report", T_TEXT, 1, 64),
	OPT("previous_passport", T_TEXT, 1, 20),
	REQ_ENUM("reason", e_reason),
	REQ_ENUM("sex", e_sex),
	REQ("slot_date", T_DATE, 0, 0),
	REQ("slot_start", T_TIME, 0, 0),
};

/* renewal needs the previous passport number; lost needs a police report reference
 * (and the previous number when known); new and damaged carry neither report. */
static int created_extra(const json_t *b, struct err *e)
{
	const char *reason = json_string_value(json_object_get(b, "reason"));
	int prev = json_object_get(b, "previous_passport") != NULL;
	int police = json_object_get(b, "police_report") != NULL;
	if (strcmp(reason, "renewal") == 0 && !prev)
		return err_set(e, ERR_INPUT, "booking.created: a renewal needs 'previous_passport'");
	if (strcmp(reason, "lost") == 0 && !police)
		return err_set(e, ERR_INPUT, "booking.created: a lost passport needs 'police_report'");
	if (strcmp(reason, "lost") != 0 && police)
		return err_set(e, ERR_INPUT, "booking.created: 'police_report' is only for a lost "
			       "passport");
	if (strcmp(reason, "new") == 0 && prev)
		return err_set(e, ERR_INPUT, "booking.created: a new passport has no "
			       "'previous_passport' (use renewal, lost or damaged)");
	return 0;
}

static const struct field f_cancelled[] = { REQ("app", T_APP, 0, 0),
					    REQ("reason", T_NOTE, 1, 500) };
static const struct field f_rescheduled[] = { REQ("app", T_APP, 0, 0),
					      REQ("slot_date", T_DATE, 0, 0),
					      REQ("slot_start", T_TIME, 0, 0) };
static const struct field f_app[] = { REQ("app", T_APP, 0, 0) };
static const struct field f_documents[] = { REQ("app", T_APP, 0, 0),
					    REQ("documents", T_DOCS, 0, 0) };
static const struct field f_photo[] = {
	REQ("app", T_APP, 0, 0), REQ("blob", T_HEX64, 0, 0),
	REQ("bytes", T_INT, 1, PHOTO_OUT_MAX),
	REQ("height", T_INT, 1, 10000), REQ("width", T_INT, 1, 10000),
};
static const struct field f_fingerprint[] = {
	REQ("app", T_APP, 0, 0), REQ("blob", T_HEX64, 0, 0),
	REQ("bytes", T_INT, 1, (long long)WF_FINGERPRINT_MAX_BYTES),
	REQ_ENUM("format", e_format), REQ("position", T_INT, 1, 10),
};
static const struct field f_interviewed[] = { REQ("app", T_APP, 0, 0),
					      REQ("notes", T_NOTE, 1, 4000) };
static const struct field f_watch_checked[] = {
	REQ("app", T_APP, 0, 0), REQ("entries", T_WIDS, 0, 100),
	REQ("list_age_s", T_INT_OR_NULL, 0, 100LL * 365 * 86400),
	OPT("override", T_NOTE, 1, 500), REQ_ENUM("result", e_result),
};

/* entries list the matched ids: none for clear, some for a hit; override only on a hit */
static int watch_checked_extra(const json_t *b, struct err *e)
{
	int hit = strcmp(json_string_value(json_object_get(b, "result")), "hit") == 0;
	size_t n = json_array_size(json_object_get(b, "entries"));
	if (hit != (n > 0))
		return err_set(e, ERR_INPUT, "application.watchlist_checked: 'entries' must list the "
			       "matching entries of a hit and be empty when clear");
	if (!hit && json_object_get(b, "override"))
		return err_set(e, ERR_INPUT, "application.watchlist_checked: 'override' is only for "
			       "a hit");
	return 0;
}

static const struct field f_decision[] = { REQ("app", T_APP, 0, 0),
					   REQ("reasons", T_TEXTS, 1, 20) };
static const struct field f_payment[] = {
	REQ("amount", T_INT, 0, 1000000000000LL), REQ("app", T_APP, 0, 0),
	REQ("billing_code", T_TEXT, 1, 40), REQ("currency", T_TEXT, 3, 3),
	REQ_ENUM("status", e_pay),
};

static int payment_extra(const json_t *b, struct err *e)
{
	const char *c = json_string_value(json_object_get(b, "currency"));
	if (!schema_chars_in(c, SCHEMA_UPPER, 3, 3))
		return err_set(e, ERR_INPUT, "application.payment_recorded: field 'currency' must be "
			       "an ISO 4217 code (three upper-case letters)");
	return 0;
}

static const struct field f_pay_confirmed[] = { REQ("app", T_APP, 0, 0),
						REQ("billing_code", T_TEXT, 1, 40) };
static const struct field f_viewed[] = { REQ("app", T_APP, 0, 0), REQ_ENUM("what", e_what) };
static const struct field f_watch_added[] = {
	OPT("birth_date", T_DATE, 0, 0), OPT("full_name", T_TEXT, 1, 150),
	REQ("id", T_WID, 0, 0), OPT("idref", T_IDREF, 0, 0),
	REQ("reason", T_NOTE, 1, 500), REQ_ENUM("source", e_source),
};

static int watch_added_extra(const json_t *b, struct err *e)
{
	int idref = json_object_get(b, "idref") != NULL;
	int name = json_object_get(b, "full_name") != NULL;
	int date = json_object_get(b, "birth_date") != NULL;
	if (idref ? (name || date) : !(name && date))
		return err_set(e, ERR_INPUT, "watchlist.entry_added: give either 'idref', or "
			       "'full_name' and 'birth_date'");
	return 0;
}

/* ---- issuance (wf_issue.c) ---- */
static const struct field f_personalized[] = {
	REQ("app", T_APP, 0, 0), REQ("booklet", T_BOOKLET, 0, 0),
	REQ("expiry_date", T_DATE, 0, 0), OPT("given_names", T_TEXT, 1, 100),
	REQ("issue_date", T_DATE, 0, 0), REQ("mrz", T_MRZ, 0, 0),
	OPT("sod_blob", T_HEX64, 0, 0), REQ("surname", T_TEXT, 1, 100),
};

static int personalized_extra(const json_t *b, struct err *e)
{
	if (strcmp(json_string_value(json_object_get(b, "expiry_date")),
		   json_string_value(json_object_get(b, "issue_date"))) <= 0)
		return err_set(e, ERR_INPUT, "application.personalized: 'expiry_date' must come "
			       "after 'issue_date'");
	if (strncmp(json_string_value(json_object_get(b, "mrz")) + 44,
		    json_string_value(json_object_get(b, "booklet")), 8) != 0)
		return err_set(e, ERR_INPUT, "application.personalized: the MRZ's document number "
			       "is not the booklet's");
	return 0;
}

static const struct field f_quality[] = {
	REQ("app", T_APP, 0, 0), REQ("booklet", T_BOOKLET, 0, 0),
	REQ("failures", T_TEXTS, 0, 20), REQ_ENUM("result", e_qc),
};

static int quality_extra(const json_t *b, struct err *e)
{
	int passed = strcmp(json_string_value(json_object_get(b, "result")), "passed") == 0;
	if (passed != (json_array_size(json_object_get(b, "failures")) == 0))
		return err_set(e, ERR_INPUT, "application.quality_checked: a check passes with no "
			       "failures and fails with at least one");
	return 0;
}

static const struct field f_voided[] = { REQ("app", T_APP, 0, 0),
					 REQ("booklet", T_BOOKLET, 0, 0),
					 REQ("reason", T_NOTE, 1, 500) };
/* v2: the spoil of a personalized booklet names the second officer present */
static const struct field f_voided2[] = { REQ("app", T_APP, 0, 0),
					  REQ("booklet", T_BOOKLET, 0, 0),
					  REQ("reason", T_NOTE, 1, 500),
					  REQ("witness", T_TEXT, 1, 64) };
static const struct field f_handed[] = {
	REQ("app", T_APP, 0, 0), REQ("booklet", T_BOOKLET, 0, 0),
	REQ_ENUM("collected_by", e_collector), OPT("power_of_attorney", T_TEXT, 1, 100),
	OPT("proxy_idref", T_IDREF, 0, 0), OPT("proxy_name", T_TEXT, 1, 150),
};

/* a proxy needs a name, an identity reference and a power of attorney; the holder none */
static int handed_extra(const json_t *b, struct err *e)
{
	int proxy = strcmp(json_string_value(json_object_get(b, "collected_by")), "proxy") == 0;
	int n = (json_object_get(b, "proxy_name") != NULL) +
		(json_object_get(b, "proxy_idref") != NULL) +
		(json_object_get(b, "power_of_attorney") != NULL);
	if (proxy ? n != 3 : n != 0)
		return err_set(e, ERR_INPUT, "application.handed_over: a proxy needs 'proxy_name', "
			       "'proxy_idref' and 'power_of_attorney'; the holder none of them");
	return 0;
}

/* ---- the approved name (docs/PERSONALIZATION.md "Names and the MRZ") ---- */

/* application.enrolled v2: the split of the name the applicant confirmed at the counter
 * (a one-word name is the primary identifier alone) */
static const struct field f_enrolled2[] = {
	REQ("app", T_APP, 0, 0), REQ("primary_identifier", T_TEXT, 1, 100),
	OPT("secondary_identifier", T_TEXT, 1, 100),
};

static int enrolled2_extra(const json_t *b, struct err *e)
{
	char field[MRZ_TD3_NAME_LEN + 1];
	if (wf_mrz_name(json_string_value(json_object_get(b, "primary_identifier")),
			json_string_value(json_object_get(b, "secondary_identifier")), field, NULL,
			e) < 0) {
		err_prefix(e, "application.enrolled");
		return -1;
	}
	return 0;
}

/* application.payment_recorded v2: always pending (confirmation is another officer's),
 * with the service and the billing code's date that decide the tariff */
static const char *const e_pay2[] = { "pending", NULL };
static const struct field f_payment2[] = {
	REQ("amount", T_INT, 0, 1000000000000LL), REQ("app", T_APP, 0, 0),
	REQ("billed_on", T_DATE, 0, 0), REQ("billing_code", T_TEXT, 1, 40),
	REQ("currency", T_TEXT, 3, 3), REQ("service", T_CODE, 1, 32),
	REQ_ENUM("status", e_pay2),
};

/* application.payment_confirmed v2: the state receipt number (NTPN) */
static const struct field f_pay_confirmed2[] = { REQ("app", T_APP, 0, 0),
						 REQ("billing_code", T_TEXT, 1, 40),
						 REQ("ntpn", T_TEXT, 16, 16) };

static int pay_confirmed2_extra(const json_t *b, struct err *e)
{
	if (!schema_chars_in(json_string_value(json_object_get(b, "ntpn")),
			     SCHEMA_DIGITS SCHEMA_UPPER, 16, 16))
		return err_set(e, ERR_INPUT, "application.payment_confirmed: field 'ntpn' "
			       "must be 16 of 0-9 and A-Z");
	return 0;
}

/* application.approved v2: what was approved includes the MRZ name field as it will be
 * printed (39 characters, truncation included) */
static const struct field f_approved2[] = { REQ("app", T_APP, 0, 0),
					    REQ("mrz_name", T_TEXT, 39, 39),
					    REQ("reasons", T_TEXTS, 1, 20) };

static int approved2_extra(const json_t *b, struct err *e)
{
	if (!schema_chars_in(json_string_value(json_object_get(b, "mrz_name")), SCHEMA_UPPER "<", 39, 39))
		return err_set(e, ERR_INPUT, "application.approved: field 'mrz_name' must be "
			       "39 characters of A-Z and '<'");
	return 0;
}

/* ---- the set ---- */

/* name, version, clear, fields, cross-field rule (or NULL), guard (or NULL: the
 * transition alone), projection handler. The kind's struct wf_kind is its check's
 * context (its schema first: office/schema.h) and wf_project, the projection of every
 * office kind, finds its guard and handler there. */
#define KIND(name, v, clear, f, x, guard, project) \
	{ name, v, clear, schema_check, wf_project, \
	  &(const struct wf_kind){ SCHEMA(name, f, x), guard, project } }

static const struct kind_def office_kinds[] = {
	KIND("booking.created", 1, 0, f_created, created_extra, &wf_guard_created, wf_p_created),
	KIND("booking.cancelled", 1, 0, f_cancelled, NULL, NULL, wf_p_cancelled),
	KIND("booking.rescheduled", 1, 0, f_rescheduled, NULL, &wf_guard_rescheduled,
	     wf_p_rescheduled),
	KIND("application.checked_in", 1, 0, f_app, NULL, NULL, wf_p_checked_in),
	KIND("application.no_show", 1, 0, f_app, NULL, NULL, wf_p_no_show),
	KIND("application.documents_checked", 1, 0, f_documents, NULL, NULL, wf_p_documents),
	KIND("application.photo_enrolled", 1, 0, f_photo, NULL, NULL, wf_p_photo),
	KIND("application.fingerprint_enrolled", 1, 0, f_fingerprint, NULL, NULL,
	     wf_p_fingerprint),
	KIND("application.enrolled", 1, 0, f_app, NULL, &wf_guard_enrolled, wf_p_enrolled),
	KIND("application.interviewed", 1, 0, f_interviewed, NULL, NULL, wf_p_interviewed),
	KIND("application.watchlist_checked", 1, 0, f_watch_checked, watch_checked_extra, NULL,
	     wf_p_watch_checked),
	KIND("application.approved", 1, 0, f_decision, NULL, &wf_guard_decided, wf_p_decision),
	KIND("application.rejected", 1, 0, f_decision, NULL, &wf_guard_decided, wf_p_decision),
	KIND("application.payment_recorded", 1, 0, f_payment, payment_extra, NULL,
	     wf_p_payment),
	KIND("application.payment_confirmed", 1, 0, f_pay_confirmed, NULL,
	     &wf_guard_pay_confirmed, wf_p_pay_confirmed),
	KIND("application.viewed", 1, 0, f_viewed, NULL, NULL, wf_p_viewed),
	KIND("watchlist.entry_added", 1, 0, f_watch_added, watch_added_extra, NULL,
	     wf_p_watch_added),
	KIND("application.personalized", 1, 0, f_personalized, personalized_extra,
	     &wf_guard_personalized, wf_p_personalized),
	KIND("application.quality_checked", 1, 0, f_quality, quality_extra, &wf_guard_quality,
	     wf_p_quality),
	KIND("application.personalization_voided", 1, 0, f_voided, NULL, &wf_guard_voided,
	     wf_p_voided),
	KIND("application.handed_over", 1, 0, f_handed, handed_extra, &wf_guard_handed,
	     wf_p_handed),
	KIND("application.enrolled", 2, 0, f_enrolled2, enrolled2_extra, &wf_guard_enrolled,
	     wf_p_enrolled2),
	KIND("application.approved", 2, 0, f_approved2, approved2_extra, &wf_guard_approved2,
	     wf_p_approved2),
	KIND("application.personalized", 2, 0, f_personalized, personalized_extra,
	     &wf_guard_personalized, wf_p_personalized2),
	KIND("application.personalization_voided", 2, 0, f_voided2, NULL, &wf_guard_voided2,
	     wf_p_voided),
	KIND("application.handed_over", 2, 0, f_handed, handed_extra, &wf_guard_handed2,
	     wf_p_handed),
	KIND("application.payment_recorded", 2, 0, f_payment2, payment_extra, NULL,
	     wf_p_payment2),
	KIND("application.payment_confirmed", 2, 0, f_pay_confirmed2, pay_confirmed2_extra,
	     &wf_guard_pay_confirmed2, wf_p_pay_confirmed2),
};

#define NKINDS (sizeof office_kinds / sizeof office_kinds[0])

const struct wf_kind *wf_kind_find(const char *kind, uint16_t version)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (office_kinds[i].version == version && strcmp(office_kinds[i].name, kind) == 0)
			return office_kinds[i].ctx;
	return NULL;
}

static const struct kind_set office_set = {
	"office", office_kinds, NKINDS, wf_tables, WF_NTABLES,
};

int office_register_kinds(void)
{
	/* booking holds (office/booking_hold.h) become applications: one registration */
	return kinds_register(&office_set) < 0 || booking_hold_register_kinds() < 0 ? -1 : 0;
}
