/*
 * wf_kinds — the office workflow's event kinds: body schemas (fields for office/schema.h's
 * checker, which every kind_def here has as its check, the schema as its context), the
 * state-transition table, and the projection handlers (see workflow.h and
 * docs/WORKFLOW.md).
 *
 * Handlers are deterministic: they read only the event (seq, time, actor, body) and the
 * tables, so replaying the log (node_rebuild) gives the same rows.
 */
#include "office/nik.h"
#include "office/workflow.h"
#include "office/booklets.h"
#include "office/booking_hold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "icao/mrz.h"
#include "log/blobs.h"
#include "log/db.h"
#include "log/kinds.h"
#include "office/photo.h"
#include "office/schema.h"
#include "office/wf_internal.h"
#include "util/alloc.h"

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

/* ---- transitions ---- */

struct transition {
	const char *kind;
	const char *from[3]; /* allowed current states */
	const char *to;      /* NULL: the state stays */
};

static const struct transition transitions[] = {
	{ "booking.cancelled", { WF_STATE_BOOKED }, WF_STATE_CANCELLED },
	{ "booking.rescheduled", { WF_STATE_BOOKED }, WF_STATE_BOOKED },
	{ "application.checked_in", { WF_STATE_BOOKED }, WF_STATE_CHECKED_IN },
	{ "application.no_show", { WF_STATE_BOOKED }, WF_STATE_NO_SHOW },
	{ "application.documents_checked", { WF_STATE_CHECKED_IN }, WF_STATE_DOCUMENTS_VERIFIED },
	{ "application.photo_enrolled", { WF_STATE_DOCUMENTS_VERIFIED }, WF_STATE_DOCUMENTS_VERIFIED },
	{ "application.fingerprint_enrolled", { WF_STATE_DOCUMENTS_VERIFIED },
	  WF_STATE_DOCUMENTS_VERIFIED },
	{ "application.enrolled", { WF_STATE_DOCUMENTS_VERIFIED }, WF_STATE_ENROLLED },
	{ "application.interviewed", { WF_STATE_ENROLLED }, WF_STATE_INTERVIEWED },
	{ "application.watchlist_checked", { WF_STATE_INTERVIEWED }, WF_STATE_INTERVIEWED },
	{ "application.approved", { WF_STATE_INTERVIEWED }, WF_STATE_APPROVED },
	{ "application.rejected", { WF_STATE_INTERVIEWED }, WF_STATE_REJECTED },
	{ "application.payment_recorded", { WF_STATE_APPROVED }, WF_STATE_PAID },
	{ "application.payment_confirmed", { WF_STATE_PAID }, WF_STATE_PAID },
	{ "application.personalized", { WF_STATE_PAID }, WF_STATE_PERSONALIZED },
	/* to quality_checked or qc_failed by the result (p_quality) */
	{ "application.quality_checked", { WF_STATE_PERSONALIZED }, WF_STATE_QUALITY_CHECKED },
	{ "application.personalization_voided",
	  { WF_STATE_PERSONALIZED, WF_STATE_QC_FAILED, WF_STATE_QUALITY_CHECKED }, WF_STATE_PAID },
	{ "application.handed_over", { WF_STATE_QUALITY_CHECKED }, WF_STATE_ISSUED },
};

const char *wf_transition(const char *kind, const char *from)
{
	for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++) {
		if (strcmp(transitions[i].kind, kind) != 0)
			continue;
		for (size_t k = 0; k < 3 && transitions[i].from[k]; k++)
			if (strcmp(transitions[i].from[k], from) == 0)
				return transitions[i].to;
		return NULL;
	}
	return NULL;
}

const char *wf_transition_from(const char *kind)
{
	for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++)
		if (strcmp(transitions[i].kind, kind) == 0)
			return transitions[i].from[0];
	return NULL;
}

int wf_kind_has_transition(const char *kind)
{
	for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++)
		if (strcmp(transitions[i].kind, kind) == 0)
			return 1;
	return 0;
}

/* ---- shared helpers ---- */

int wf_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what, struct err *e)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		db_error(db, e, what);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

void wf_bind_str(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void wf_copy_col(sqlite3_stmt *st, int col, char *out, size_t n)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	snprintf(out, n, "%s", s ? s : "");
}

int wf_app_load(sqlite3 *db, const char *app, struct wf_app *a, struct err *e)
{
	sqlite3_stmt *st;
	memset(a, 0, sizeof *a);
	if (db_prepare(db, "SELECT state, idref, slot_date, slot_start, enrolled_by,"
			   " interviewed_by, watchlist_result, watchlist_override IS NOT NULL,"
			   " rescheduled, photo_blob IS NOT NULL, billing_code, payment_status,"
			   " (SELECT count(*) FROM application_fingerprints f WHERE f.app = a.id),"
			   " full_name, decided_by, paid_by, passport_type FROM applications a"
			   " WHERE id = ?", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), ret;
	if (rc == SQLITE_ROW) {
		wf_copy_col(st, 0, a->state, sizeof a->state);
		wf_copy_col(st, 1, a->idref, sizeof a->idref);
		wf_copy_col(st, 2, a->slot_date, sizeof a->slot_date);
		wf_copy_col(st, 3, a->slot_start, sizeof a->slot_start);
		wf_copy_col(st, 4, a->enrolled_by, sizeof a->enrolled_by);
		wf_copy_col(st, 5, a->interviewed_by, sizeof a->interviewed_by);
		wf_copy_col(st, 6, a->watchlist_result, sizeof a->watchlist_result);
		a->has_watchlist_override = sqlite3_column_int(st, 7);
		a->rescheduled = sqlite3_column_int(st, 8);
		a->has_photo = sqlite3_column_int(st, 9);
		wf_copy_col(st, 10, a->billing_code, sizeof a->billing_code);
		wf_copy_col(st, 11, a->payment_status, sizeof a->payment_status);
		a->fingerprints = sqlite3_column_int(st, 12);
		wf_copy_col(st, 13, a->full_name, sizeof a->full_name);
		wf_copy_col(st, 14, a->decided_by, sizeof a->decided_by);
		wf_copy_col(st, 15, a->paid_by, sizeof a->paid_by);
		wf_copy_col(st, 16, a->passport_type, sizeof a->passport_type);
		ret = 1;
	} else if (rc == SQLITE_DONE) {
		ret = 0;
	} else {
		ret = db_error(db, e, "reading the applications table");
	}
	sqlite3_finalize(st);
	return ret;
}

_Static_assert(WF_MRZ_NAME_LEN == MRZ_TD3_NAME_LEN, "the TD3 name field");

int wf_mrz_name(const char *primary, const char *secondary,
		char out[WF_MRZ_NAME_LEN + 1], int *truncated, struct err *e)
{
	if (!primary || !primary[0] || strlen(primary) > MRZ_NAME_MAX ||
	    (secondary && strlen(secondary) > MRZ_NAME_MAX))
		return err_set(e, ERR_INPUT, "the primary identifier must be 1 to %d bytes and the "
			       "secondary at most %d", MRZ_NAME_MAX, MRZ_NAME_MAX);
	if (mrz_name_field(primary, secondary ? secondary : "", MRZ_TD3_NAME_LEN, out, truncated,
			   e) < 0) {
		err_prefix(e, "the name makes no MRZ");
		return -1;
	}
	return 0;
}

int wf_names_load(sqlite3 *db, const char *app, char primary[640], char secondary[640],
		  char mrz_name[WF_MRZ_NAME_LEN + 1], char approved[WF_MRZ_NAME_LEN + 1],
		  struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT primary_id, secondary_id, mrz_name, approved_mrz_name FROM"
			   " application_names WHERE app = ?", &st, e) < 0)
		return -1;
	wf_bind_str(st, 1, app);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (primary)
			wf_copy_col(st, 0, primary, 640);
		if (secondary)
			wf_copy_col(st, 1, secondary, 640);
		if (mrz_name)
			wf_copy_col(st, 2, mrz_name, MRZ_TD3_NAME_LEN + 1);
		if (approved)
			wf_copy_col(st, 3, approved, MRZ_TD3_NAME_LEN + 1);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return err_set(e, ERR_INPUT, "application %s has no enrolled name (enrolled before "
			       "names were confirmed at enrolment? run `paspor rebuild`)", app);
	return rc == SQLITE_ROW ? 0 : db_error(db, e, "reading application_names");
}

int wf_name_norm(const char *name, char **out, struct err *e)
{
	*out = NULL;
	utf8proc_uint8_t *m = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)name, 0, &m,
					  UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT |
					  UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK);
	if (n < 0)
		return err_set(e, ERR_INPUT, "name is not valid UTF-8");
	char *r = mem_alloc((size_t)n + 1);
	if (!r) {
		free(m); /* utf8proc's own allocation */
		return err_nomem(e);
	}
	size_t k = 0;
	int space = 1; /* drops leading separators */
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		unsigned char c = m[i];
		int sep = c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
		if (sep) {
			if (!space)
				r[k++] = ' ';
			space = 1;
		} else {
			r[k++] = (char)c;
			space = 0;
		}
	}
	if (k > 0 && r[k - 1] == ' ')
		k--;
	r[k] = '\0';
	free(m);
	*out = r;
	return 0;
}

/* ---- projections ---- */

static const struct kind_table office_tables[] = {
	{ "applications",
	  "CREATE TABLE IF NOT EXISTS applications ("
	  " id TEXT PRIMARY KEY, state TEXT NOT NULL, idref TEXT NOT NULL,"
	  " code_hash TEXT NOT NULL UNIQUE, full_name TEXT NOT NULL, name_norm TEXT NOT NULL,"
	  " birth_place TEXT NOT NULL, birth_date TEXT NOT NULL, sex TEXT NOT NULL,"
	  " address TEXT NOT NULL, phone TEXT NOT NULL, email TEXT NOT NULL,"
	  " passport_type TEXT NOT NULL, channel TEXT NOT NULL, reason TEXT NOT NULL,"
	  " previous_passport TEXT, police_report TEXT,"
	  " slot_date TEXT NOT NULL, slot_start TEXT NOT NULL,"
	  " rescheduled INTEGER NOT NULL DEFAULT 0,"
	  " created_seq INTEGER NOT NULL, created_ms INTEGER NOT NULL, created_by TEXT NOT NULL,"
	  " updated_seq INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
	  " cancel_reason TEXT, checked_in_by TEXT, documents_by TEXT, enrolled_by TEXT,"
	  " interviewed_by TEXT, interview_notes TEXT, decided_by TEXT, decision_reasons TEXT,"
	  " photo_blob TEXT, photo_width INTEGER, photo_height INTEGER, photo_bytes INTEGER,"
	  " watchlist_result TEXT, watchlist_entries TEXT, watchlist_override TEXT,"
	  " watchlist_by TEXT, watchlist_seq INTEGER,"
	  " billing_code TEXT, amount INTEGER, currency TEXT, payment_status TEXT,"
	  " paid_by TEXT) WITHOUT ROWID;"
	  "CREATE UNIQUE INDEX IF NOT EXISTS applications_active_idref ON applications (idref)"
	  " WHERE state NOT IN ('cancelled', 'no_show', 'rejected', 'issued');"
	  "CREATE INDEX IF NOT EXISTS applications_state_day ON applications (state, slot_date);"
	  "CREATE INDEX IF NOT EXISTS applications_day ON applications (slot_date);"
	  "CREATE INDEX IF NOT EXISTS applications_idref ON applications (idref);" },
	{ "application_documents",
	  "CREATE TABLE IF NOT EXISTS application_documents ("
	  " app TEXT NOT NULL, doc TEXT NOT NULL, status TEXT NOT NULL, note TEXT,"
	  " seq INTEGER NOT NULL, PRIMARY KEY (app, doc)) WITHOUT ROWID" },
	{ "application_fingerprints",
	  "CREATE TABLE IF NOT EXISTS application_fingerprints ("
	  " app TEXT NOT NULL, position INTEGER NOT NULL, blob TEXT NOT NULL,"
	  " format TEXT NOT NULL, bytes INTEGER NOT NULL, seq INTEGER NOT NULL,"
	  " PRIMARY KEY (app, position)) WITHOUT ROWID" },
	{ "slot_counts",
	  "CREATE TABLE IF NOT EXISTS slot_counts ("
	  " slot_date TEXT NOT NULL, slot_start TEXT NOT NULL, count INTEGER NOT NULL"
	  " CHECK (count >= 0), PRIMARY KEY (slot_date, slot_start)) WITHOUT ROWID" },
	{ "watchlist",
	  "CREATE TABLE IF NOT EXISTS watchlist ("
	  " id TEXT PRIMARY KEY, idref TEXT, name_norm TEXT, birth_date TEXT,"
	  " reason TEXT NOT NULL, source TEXT NOT NULL, added_by TEXT NOT NULL,"
	  " seq INTEGER NOT NULL, time_ms INTEGER NOT NULL) WITHOUT ROWID;"
	  "CREATE INDEX IF NOT EXISTS watchlist_idref ON watchlist (idref);"
	  "CREATE INDEX IF NOT EXISTS watchlist_name ON watchlist (name_norm, birth_date);" },
	{ "access_log",
	  "CREATE TABLE IF NOT EXISTS access_log ("
	  " seq INTEGER PRIMARY KEY, app TEXT NOT NULL, actor TEXT NOT NULL,"
	  " time_ms INTEGER NOT NULL, what TEXT NOT NULL);"
	  "CREATE INDEX IF NOT EXISTS access_log_app ON access_log (app, seq);" },
	{ "application_enrollers",
	  /* every officer who enrolled something of the application (photo, fingerprints,
	   * the enrolment itself): none of them may decide on it, whatever roles they hold */
	  "CREATE TABLE IF NOT EXISTS application_enrollers ("
	  " app TEXT NOT NULL, actor TEXT NOT NULL, PRIMARY KEY (app, actor)) WITHOUT ROWID" },
	{ "payments",
	  /* the billing's service and date (the tariff) and its confirmation: one NTPN
	   * confirms one payment */
	  "CREATE TABLE IF NOT EXISTS payments ("
	  " app TEXT PRIMARY KEY, service TEXT NOT NULL, billed_on TEXT NOT NULL,"
	  " recorded_seq INTEGER NOT NULL, ntpn TEXT UNIQUE, confirmed_by TEXT,"
	  " confirmed_seq INTEGER) WITHOUT ROWID" },
	{ "application_names",
	  /* the name as enrolled (the applicant's confirmed split) and as approved: the MRZ
	   * name field the adjudicator saw; personalization prints exactly these */
	  "CREATE TABLE IF NOT EXISTS application_names ("
	  " app TEXT PRIMARY KEY, primary_id TEXT NOT NULL, secondary_id TEXT NOT NULL,"
	  " mrz_name TEXT NOT NULL, enrolled_seq INTEGER NOT NULL, approved_mrz_name TEXT,"
	  " approved_seq INTEGER) WITHOUT ROWID" },
	{ "issuance",
	  "CREATE TABLE IF NOT EXISTS issuance ("
	  " app TEXT PRIMARY KEY, booklet TEXT NOT NULL, surname TEXT NOT NULL,"
	  " given_names TEXT, issue_date TEXT NOT NULL, expiry_date TEXT NOT NULL,"
	  " mrz TEXT NOT NULL, sod_blob TEXT, attempts INTEGER NOT NULL,"
	  " personalized_by TEXT NOT NULL, personalized_seq INTEGER NOT NULL,"
	  " personalized_ms INTEGER NOT NULL, qc_result TEXT, qc_failures TEXT, qc_by TEXT,"
	  " qc_seq INTEGER, qc_ms INTEGER, voided_reason TEXT, collected_by TEXT,"
	  " proxy_name TEXT, proxy_idref TEXT, power_of_attorney TEXT, handed_by TEXT,"
	  " issued_seq INTEGER, issued_ms INTEGER) WITHOUT ROWID;"
	  "CREATE INDEX IF NOT EXISTS issuance_booklet ON issuance (booklet);" },
};

static const char *str(const json_t *b, const char *k)
{
	return json_string_value(json_object_get(b, k));
}

static int slot_add(sqlite3 *db, const char *date, const char *start, int delta, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "INSERT INTO slot_counts (slot_date, slot_start, count) VALUES (?1, ?2, max(?3, 0))"
			   " ON CONFLICT (slot_date, slot_start) DO UPDATE SET count = count + ?3",
		       &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, date, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, start, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, delta);
	return wf_step_done(db, st, "slot_counts", e);
}

/* The application's state must allow kind; fills a. */
static int expect(sqlite3 *db, const struct event *ev, const char *app, struct wf_app *a,
		  const char **to, struct err *e)
{
	int r = wf_app_load(db, app, a, e);
	if (r < 0)
		return -1;
	if (r == 0)
		return err_set(e, ERR_INPUT, "%s: application %s does not exist", ev->kind, app);
	*to = wf_transition(ev->kind, a->state);
	if (!*to)
		return err_set(e, ERR_INPUT, "%s: not allowed for application %s in state '%s'",
			       ev->kind, app, a->state);
	return 0;
}

/* UPDATE applications SET state, updated_*, <set> WHERE id: set's parameters are ?4…
 * bound by the caller through bind() after the first three. */
static int update_app(sqlite3 *db, const struct event *ev, const char *app, const char *state,
		      const char *set, const char *const *vals, size_t nvals, struct err *e)
{
	char sql[512];
	snprintf(sql, sizeof sql, "UPDATE applications SET state = ?1, updated_seq = ?2,"
		 " updated_ms = ?3%s%s WHERE id = ?%zu", set ? ", " : "", set ? set : "",
		 4 + nvals);
	sqlite3_stmt *st;
	if (db_prepare(db, sql, &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ev->seq);
	sqlite3_bind_int64(st, 3, ev->time_ms);
	for (size_t i = 0; i < nvals; i++)
		wf_bind_str(st, 4 + (int)i, vals[i]);
	sqlite3_bind_text(st, 4 + (int)nvals, app, -1, SQLITE_TRANSIENT);
	return wf_step_done(db, st, ev->kind, e);
}

static int p_created(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	char *norm;
	if (wf_name_norm(str(b, "full_name"), &norm, e) < 0)
		return -1;
	sqlite3_stmt *st;
	if (db_prepare(db, "INSERT INTO applications (id, state, idref, code_hash, full_name,"
			   " name_norm, birth_place, birth_date, sex, address, phone, email,"
			   " passport_type, channel, reason, previous_passport, police_report,"
			   " slot_date, slot_start, created_seq, created_ms, created_by,"
			   " updated_seq, updated_ms) VALUES (?1, 'booked', ?2, ?3, ?4, ?5, ?6, ?7,"
			   " ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,"
			   " ?19, ?20)", &st, e) < 0) {
		mem_free(norm);
		return -1;
	}
	static const char *const keys[] = { "app", "idref", "code_hash", "full_name", NULL,
					     "birth_place", "birth_date", "sex", "address", "phone",
					     "email", "passport_type", "channel", "reason",
					     "previous_passport", "police_report", "slot_date",
					     "slot_start" };
	for (int i = 0; i < 18; i++)
		wf_bind_str(st, i + 1, keys[i] ? str(b, keys[i]) : norm);
	sqlite3_bind_int64(st, 19, (sqlite3_int64)ev->seq);
	sqlite3_bind_int64(st, 20, ev->time_ms);
	sqlite3_bind_text(st, 21, ev->actor, -1, SQLITE_TRANSIENT);
	int rc = wf_step_done(db, st, "booking.created", e);
	mem_free(norm);
	if (rc < 0)
		return -1;
	return slot_add(db, str(b, "slot_date"), str(b, "slot_start"), 1, e);
}

static int p_cancelled(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0)
		return -1;
	const char *v[] = { str(b, "reason") };
	if (update_app(db, ev, app, to, "cancel_reason = ?4", v, 1, e) < 0)
		return -1;
	return slot_add(db, a.slot_date, a.slot_start, -1, e);
}

static int p_rescheduled(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0)
		return -1;
	if (a.rescheduled)
		return err_set(e, ERR_INPUT, "booking.rescheduled: application %s was rescheduled "
			       "already", app);
	const char *v[] = { str(b, "slot_date"), str(b, "slot_start") };
	if (update_app(db, ev, app, to, "slot_date = ?4, slot_start = ?5, rescheduled = 1", v, 2,
		       e) < 0 ||
	    slot_add(db, a.slot_date, a.slot_start, -1, e) < 0)
		return -1;
	return slot_add(db, v[0], v[1], 1, e);
}

/* Kinds that only change the state and record who did it in column `by` (or nothing). */
static int simple(sqlite3 *db, const struct event *ev, const json_t *b, const char *by,
		  struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0)
		return -1;
	char set[64];
	if (by)
		snprintf(set, sizeof set, "%s = ?4", by);
	const char *v[] = { ev->actor };
	return update_app(db, ev, app, to, by ? set : NULL, v, by ? 1 : 0, e);
}

static int p_checked_in(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	return simple(db, ev, b, "checked_in_by", e);
}

static int p_no_show(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	return simple(db, ev, b, NULL, e);
}

static int p_documents(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	if (simple(db, ev, b, "documents_by", e) < 0)
		return -1;
	const json_t *docs = json_object_get(b, "documents");
	for (size_t i = 0; schema_doc_names[i]; i++) {
		const json_t *d = json_object_get(docs, schema_doc_names[i]);
		sqlite3_stmt *st;
		if (db_prepare(db, "INSERT OR REPLACE INTO application_documents (app, doc, status,"
				   " note, seq) VALUES (?, ?, ?, ?, ?)", &st, e) < 0)
			return -1;
		wf_bind_str(st, 1, str(b, "app"));
		wf_bind_str(st, 2, schema_doc_names[i]);
		wf_bind_str(st, 3, str(d, "status"));
		wf_bind_str(st, 4, str(d, "note"));
		sqlite3_bind_int64(st, 5, (sqlite3_int64)ev->seq);
		if (wf_step_done(db, st, ev->kind, e) < 0)
			return -1;
	}
	return 0;
}

static int enroller_add(sqlite3 *db, const struct event *ev, const char *app, struct err *e);

static int p_photo(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0)
		return -1;
	char w[24], h[24], n[24];
	snprintf(w, sizeof w, "%lld", (long long)json_integer_value(json_object_get(b, "width")));
	snprintf(h, sizeof h, "%lld", (long long)json_integer_value(json_object_get(b, "height")));
	snprintf(n, sizeof n, "%lld", (long long)json_integer_value(json_object_get(b, "bytes")));
	const char *v[] = { str(b, "blob"), w, h, n };
	if (update_app(db, ev, app, to, "photo_blob = ?4, photo_width = CAST(?5 AS INTEGER),"
		       " photo_height = CAST(?6 AS INTEGER), photo_bytes = CAST(?7 AS INTEGER)",
		       v, 4, e) < 0)
		return -1;
	return enroller_add(db, ev, app, e);
}

/* Records that the event's actor enrolled something of app. */
static int enroller_add(sqlite3 *db, const struct event *ev, const char *app, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "INSERT OR IGNORE INTO application_enrollers (app, actor) VALUES (?, ?)",
		       &st, e) < 0)
		return -1;
	wf_bind_str(st, 1, app);
	wf_bind_str(st, 2, ev->actor);
	return wf_step_done(db, st, ev->kind, e);
}

int wf_enrolled_by(sqlite3 *db, const char *app, const char *actor, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT 1 FROM application_enrollers WHERE app = ? AND actor = ?", &st,
		       e) < 0)
		return -1;
	wf_bind_str(st, 1, app);
	wf_bind_str(st, 2, actor);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(db, e, "reading application_enrollers");
	return rc == SQLITE_ROW;
}

static int p_fingerprint(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0 || update_app(db, ev, app, to, NULL, NULL, 0, e) < 0 ||
	    enroller_add(db, ev, app, e) < 0)
		return -1;
	sqlite3_stmt *st;
	if (db_prepare(db, "INSERT OR REPLACE INTO application_fingerprints (app, position, blob,"
			   " format, bytes, seq) VALUES (?, ?, ?, ?, ?, ?)", &st, e) < 0)
		return -1;
	wf_bind_str(st, 1, app);
	sqlite3_bind_int64(st, 2, json_integer_value(json_object_get(b, "position")));
	wf_bind_str(st, 3, str(b, "blob"));
	wf_bind_str(st, 4, str(b, "format"));
	sqlite3_bind_int64(st, 5, json_integer_value(json_object_get(b, "bytes")));
	sqlite3_bind_int64(st, 6, (sqlite3_int64)ev->seq);
	return wf_step_done(db, st, ev->kind, e);
}

static int p_enrolled_state(sqlite3 *db, const struct event *ev, const json_t *b,
			    struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0)
		return -1;
	if (!a.has_photo)
		return err_set(e, ERR_INPUT, "application.enrolled: application %s has no photo", app);
	const char *v[] = { ev->actor };
	if (update_app(db, ev, app, to, "enrolled_by = ?4", v, 1, e) < 0)
		return -1;
	return enroller_add(db, ev, app, e);
}

/* Records app's enrolled name (mrz_name: its MRZ name field, "" when none can be made). */
static int names_put(sqlite3 *db, const struct event *ev, const char *app, const char *primary,
		     const char *secondary, const char *mrz_name, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "INSERT OR REPLACE INTO application_names (app, primary_id,"
			   " secondary_id, mrz_name, enrolled_seq) VALUES (?, ?, ?, ?, ?)", &st,
		       e) < 0)
		return -1;
	wf_bind_str(st, 1, app);
	wf_bind_str(st, 2, primary);
	wf_bind_str(st, 3, secondary);
	wf_bind_str(st, 4, mrz_name);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)ev->seq);
	return wf_step_done(db, st, ev->kind, e);
}

/* v1 (before the split was an enrolment field): the full name split at its last space,
 * as personalization did then */
static int p_enrolled(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	const char *app = str(b, "app");
	if (p_enrolled_state(db, ev, b, e) < 0)
		return -1;
	char full[640] = "", primary[640], secondary[640], field[MRZ_TD3_NAME_LEN + 1] = "";
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT full_name FROM applications WHERE id = ?", &st, e) < 0)
		return -1;
	wf_bind_str(st, 1, app);
	if (sqlite3_step(st) == SQLITE_ROW)
		wf_copy_col(st, 0, full, sizeof full);
	sqlite3_finalize(st);
	wf_split_name(full, primary, sizeof primary, secondary, sizeof secondary);
	struct err ignored = ERR_INIT;
	if (wf_mrz_name(primary, secondary, field, NULL, &ignored) < 0)
		field[0] = 0;
	return names_put(db, ev, app, primary, secondary, field, e);
}

static int p_enrolled2(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	const char *primary = str(b, "primary_identifier"), *secondary = str(b, "secondary_identifier");
	char field[MRZ_TD3_NAME_LEN + 1];
	if (p_enrolled_state(db, ev, b, e) < 0 ||
	    wf_mrz_name(primary, secondary, field, NULL, e) < 0)
		return -1;
	return names_put(db, ev, str(b, "app"), primary, secondary ? secondary : "", field, e);
}

static int p_interviewed(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0)
		return -1;
	const char *v[] = { ev->actor, str(b, "notes") };
	return update_app(db, ev, app, to, "interviewed_by = ?4, interview_notes = ?5", v, 2, e);
}

static int p_watch_checked(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0)
		return -1;
	char *entries = json_dumps(json_object_get(b, "entries"), JSON_COMPACT);
	if (!entries)
		return err_nomem(e);
	char seq[24];
	snprintf(seq, sizeof seq, "%llu", (unsigned long long)ev->seq);
	const char *v[] = { str(b, "result"), entries, str(b, "override"), ev->actor, seq };
	int rc = update_app(db, ev, app, to, "watchlist_result = ?4, watchlist_entries = ?5,"
			    " watchlist_override = ?6, watchlist_by = ?7,"
			    " watchlist_seq = CAST(?8 AS INTEGER)", v, 5, e);
	mem_free(entries); /* jansson allocates through mem_alloc (canon_init) */
	return rc;
}

static int p_decision(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0)
		return -1;
	/* separation of duties, also enforced here so the log cannot hold a violation */
	if (strcmp(ev->actor, a.enrolled_by) == 0 || strcmp(ev->actor, a.interviewed_by) == 0)
		return err_set(e, ERR_INPUT, "%s: %s enrolled or interviewed application %s",
			       ev->kind, ev->actor, app);
	char *reasons = json_dumps(json_object_get(b, "reasons"), JSON_COMPACT);
	if (!reasons)
		return err_nomem(e);
	const char *v[] = { ev->actor, reasons };
	int rc = update_app(db, ev, app, to, "decided_by = ?4, decision_reasons = ?5", v, 2, e);
	mem_free(reasons);
	return rc;
}

/* v2: the approved MRZ name field must be the enrolled name's; it is kept as approved */
static int p_approved2(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	const char *app = str(b, "app");
	char enrolled[MRZ_TD3_NAME_LEN + 1];
	if (wf_names_load(db, app, NULL, NULL, enrolled, NULL, e) < 0)
		return -1;
	if (strcmp(enrolled, str(b, "mrz_name")) != 0)
		return err_set(e, ERR_INPUT, "application.approved: the MRZ name approved is not the "
			       "one application %s's enrolled name makes", app);
	int did = wf_enrolled_by(db, app, ev->actor, e);
	if (did)
		return did < 0 ? -1 : err_set(e, ERR_INPUT, "application.approved: %s enrolled "
					      "(photo, fingerprints or the enrolment) application %s",
					      ev->actor, app);
	if (p_decision(db, ev, b, e) < 0)
		return -1;
	sqlite3_stmt *st;
	if (db_prepare(db, "UPDATE application_names SET approved_mrz_name = ?, approved_seq = ?"
			   " WHERE app = ?", &st, e) < 0)
		return -1;
	wf_bind_str(st, 1, str(b, "mrz_name"));
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ev->seq);
	wf_bind_str(st, 3, app);
	return wf_step_done(db, st, ev->kind, e);
}

static int p_payment(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0)
		return -1;
	char amount[24];
	snprintf(amount, sizeof amount, "%lld",
		 (long long)json_integer_value(json_object_get(b, "amount")));
	const char *v[] = { str(b, "billing_code"), amount, str(b, "currency"), str(b, "status"),
			    ev->actor };
	return update_app(db, ev, app, to, "billing_code = ?4, amount = CAST(?5 AS INTEGER),"
			  " currency = ?6, payment_status = ?7, paid_by = ?8", v, 5, e);
}

static int p_pay_confirmed(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0)
		return -1;
	if (strcmp(a.payment_status, "pending") != 0 ||
	    strcmp(a.billing_code, str(b, "billing_code")) != 0)
		return err_set(e, ERR_INPUT, "application.payment_confirmed: application %s has no "
			       "pending payment with that billing code", app);
	const char *v[] = { "confirmed" };
	return update_app(db, ev, app, to, "payment_status = ?4", v, 1, e);
}

static int p_payment2(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	if (p_payment(db, ev, b, e) < 0)
		return -1;
	sqlite3_stmt *st;
	if (db_prepare(db, "INSERT OR REPLACE INTO payments (app, service, billed_on,"
			   " recorded_seq) VALUES (?, ?, ?, ?)", &st, e) < 0)
		return -1;
	wf_bind_str(st, 1, str(b, "app"));
	wf_bind_str(st, 2, str(b, "service"));
	wf_bind_str(st, 3, str(b, "billed_on"));
	sqlite3_bind_int64(st, 4, (sqlite3_int64)ev->seq);
	return wf_step_done(db, st, ev->kind, e);
}

/* v2: confirmed with the NTPN, by neither the officer who recorded the billing nor the
 * one who approved (separation of duties per person, docs/ROLES.md) */
static int p_pay_confirmed2(sqlite3 *db, const struct event *ev, const json_t *b,
			    struct err *e)
{
	const char *app = str(b, "app");
	struct wf_app a;
	int r = wf_app_load(db, app, &a, e);
	if (r <= 0)
		return r < 0 ? -1 : err_set(e, ERR_INPUT, "%s: application %s does not exist",
					    ev->kind, app);
	if (strcmp(ev->actor, a.paid_by) == 0 || strcmp(ev->actor, a.decided_by) == 0)
		return err_set(e, ERR_INPUT, "%s: %s recorded the billing of application %s or "
			       "approved it and cannot confirm its payment", ev->kind, ev->actor,
			       app);
	if (p_pay_confirmed(db, ev, b, e) < 0)
		return -1;
	sqlite3_stmt *st;
	if (db_prepare(db, "UPDATE payments SET ntpn = ?, confirmed_by = ?, confirmed_seq = ?"
			   " WHERE app = ?", &st, e) < 0)
		return -1;
	wf_bind_str(st, 1, str(b, "ntpn"));
	wf_bind_str(st, 2, ev->actor);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)ev->seq);
	wf_bind_str(st, 4, app);
	return wf_step_done(db, st, ev->kind, e);
}

static int p_viewed(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "INSERT INTO access_log (seq, app, actor, time_ms, what)"
			   " VALUES (?, ?, ?, ?, ?)", &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->seq);
	wf_bind_str(st, 2, str(b, "app"));
	wf_bind_str(st, 3, ev->actor);
	sqlite3_bind_int64(st, 4, ev->time_ms);
	wf_bind_str(st, 5, str(b, "what"));
	return wf_step_done(db, st, ev->kind, e);
}

static int p_watch_added(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	char *norm = NULL;
	if (str(b, "full_name") && wf_name_norm(str(b, "full_name"), &norm, e) < 0)
		return -1;
	sqlite3_stmt *st;
	if (db_prepare(db, "INSERT INTO watchlist (id, idref, name_norm, birth_date, reason,"
			   " source, added_by, seq, time_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		       &st, e) < 0) {
		mem_free(norm);
		return -1;
	}
	wf_bind_str(st, 1, str(b, "id"));
	wf_bind_str(st, 2, str(b, "idref"));
	wf_bind_str(st, 3, norm);
	wf_bind_str(st, 4, str(b, "birth_date"));
	wf_bind_str(st, 5, str(b, "reason"));
	wf_bind_str(st, 6, str(b, "source"));
	wf_bind_str(st, 7, ev->actor);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)ev->seq);
	sqlite3_bind_int64(st, 9, ev->time_ms);
	mem_free(norm);
	return wf_step_done(db, st, ev->kind, e);
}

/* ---- issuance ---- */

/* Separation of duties, re-checked on the events (docs/ROLES.md): 1 when the actor
 * approved app or accepted its watchlist hit (sql_who: that query's one column). */
static int actor_did(sqlite3 *db, const char *sql_who, const char *app, const char *actor,
		     struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, sql_who, &st, e) < 0)
		return -1;
	wf_bind_str(st, 1, app);
	wf_bind_str(st, 2, actor);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(db, e, "checking separation of duties");
	return rc == SQLITE_ROW;
}

#define APPROVER_SQL "SELECT 1 FROM applications WHERE id = ?1 AND (decided_by = ?2 OR" \
	" (watchlist_override IS NOT NULL AND watchlist_by = ?2))"

static int p_personalized(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0)
		return -1;
	int did = actor_did(db, APPROVER_SQL, app, ev->actor, e);
	if (did)
		return did < 0 ? -1 : err_set(e, ERR_INPUT, "%s: %s approved application %s and "
					      "cannot personalize it", ev->kind, ev->actor, app);
	sqlite3_stmt *st;
	if (db_prepare(db, "INSERT INTO issuance (app, booklet, surname, given_names, issue_date,"
			   " expiry_date, mrz, sod_blob, attempts, personalized_by, personalized_seq,"
			   " personalized_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?11)"
			   " ON CONFLICT (app) DO UPDATE SET booklet = ?2, surname = ?3,"
			   " given_names = ?4, issue_date = ?5, expiry_date = ?6, mrz = ?7,"
			   " sod_blob = ?8, attempts = attempts + 1, personalized_by = ?9,"
			   " personalized_seq = ?10, personalized_ms = ?11, qc_result = NULL,"
			   " qc_failures = NULL, qc_by = NULL, qc_seq = NULL, qc_ms = NULL,"
			   " collected_by = NULL, proxy_name = NULL, proxy_idref = NULL,"
			   " power_of_attorney = NULL, handed_by = NULL, issued_seq = NULL,"
			   " issued_ms = NULL",
		       &st, e) < 0)
		return -1;
	static const char *const keys[] = { "app", "booklet", "surname", "given_names",
					     "issue_date", "expiry_date", "mrz", "sod_blob" };
	for (int i = 0; i < 8; i++)
		wf_bind_str(st, i + 1, str(b, keys[i]));
	wf_bind_str(st, 9, ev->actor);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)ev->seq);
	sqlite3_bind_int64(st, 11, ev->time_ms);
	if (wf_step_done(db, st, ev->kind, e) < 0)
		return -1;
	return update_app(db, ev, app, to, NULL, NULL, 0, e);
}

/* v2: the personalization is of the approved name (the primary and secondary
 * identifiers enrolled, the MRZ name field approved), so the log cannot hold a passport
 * with another name than the one approved */
static int p_personalized2(sqlite3 *db, const struct event *ev, const json_t *b,
			   struct err *e)
{
	const char *app = str(b, "app"), *mrz = str(b, "mrz");
	char primary[640], secondary[640], approved[MRZ_TD3_NAME_LEN + 1];
	if (wf_names_load(db, app, primary, secondary, NULL, approved, e) < 0)
		return -1;
	const char *given = str(b, "given_names");
	if (strcmp(primary, str(b, "surname")) != 0 || strcmp(secondary, given ? given : "") != 0)
		return err_set(e, ERR_INPUT, "application.personalized: the names are not "
			       "application %s's enrolled names", app);
	if (!approved[0] || strlen(mrz) < 44 || strncmp(mrz + 5, approved, MRZ_TD3_NAME_LEN) != 0)
		return err_set(e, ERR_INPUT, "application.personalized: the MRZ name is not the one "
			       "approved for application %s", app);
	return p_personalized(db, ev, b, e);
}

/* The issuance row of app must be on booklet (the event names the booklet it judges). */
int wf_issuance_booklet(sqlite3 *db, const char *app, char out[9], struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT booklet FROM issuance WHERE app = ?", &st, e) < 0)
		return -1;
	wf_bind_str(st, 1, app);
	out[0] = 0;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		wf_copy_col(st, 0, out, 9);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(db, e, "reading the issuance table");
	return 0;
}

static int same_booklet(sqlite3 *db, const struct event *ev, const char *app,
			const char *booklet, struct err *e)
{
	char cur[9];
	if (wf_issuance_booklet(db, app, cur, e) < 0)
		return -1;
	if (strcmp(cur, booklet) != 0)
		return err_set(e, ERR_INPUT, "%s: application %s is not personalized on booklet %s",
			       ev->kind, app, booklet);
	return 0;
}

static int issuance_set(sqlite3 *db, const struct event *ev, const char *app, const char *set,
			const char *const *vals, size_t nvals, struct err *e)
{
	char sql[512];
	snprintf(sql, sizeof sql, "UPDATE issuance SET %s WHERE app = ?%zu", set, nvals + 3);
	sqlite3_stmt *st;
	if (db_prepare(db, sql, &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->seq);
	sqlite3_bind_int64(st, 2, ev->time_ms);
	for (size_t i = 0; i < nvals; i++)
		wf_bind_str(st, 3 + (int)i, vals[i]);
	wf_bind_str(st, 3 + (int)nvals, app);
	return wf_step_done(db, st, ev->kind, e);
}

static int p_quality(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0 || same_booklet(db, ev, app, str(b, "booklet"), e) < 0)
		return -1;
	int did = actor_did(db, "SELECT 1 FROM issuance WHERE app = ?1 AND personalized_by = ?2",
			    app, ev->actor, e);
	if (did)
		return did < 0 ? -1 : err_set(e, ERR_INPUT, "%s: %s personalized application %s "
					      "and cannot quality-check it", ev->kind, ev->actor, app);
	int passed = strcmp(str(b, "result"), "passed") == 0;
	char *failures = json_dumps(json_object_get(b, "failures"), JSON_COMPACT);
	if (!failures)
		return err_nomem(e);
	const char *v[] = { str(b, "result"), failures, ev->actor };
	int rc = issuance_set(db, ev, app, "qc_seq = ?1, qc_ms = ?2, qc_result = ?3,"
			      " qc_failures = ?4, qc_by = ?5", v, 3, e);
	free(failures);
	if (rc < 0)
		return -1;
	return update_app(db, ev, app, passed ? to : WF_STATE_QC_FAILED, NULL, NULL, 0, e);
}

static int p_voided(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0 || same_booklet(db, ev, app, str(b, "booklet"), e) < 0)
		return -1;
	const char *v[] = { str(b, "reason") };
	if (issuance_set(db, ev, app, "voided_reason = ?3", v, 1, e) < 0)
		return -1;
	return update_app(db, ev, app, to, NULL, NULL, 0, e);
}

static int p_voided2(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	char wactor[300];
	snprintf(wactor, sizeof wactor, "officer:%s", str(b, "witness"));
	if (strcmp(wactor, ev->actor) == 0)
		return err_set(e, ERR_INPUT, "%s: the witness of a spoil is another officer than "
			       "its actor", ev->kind);
	return p_voided(db, ev, b, e);
}

static int p_handed(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	struct wf_app a;
	const char *to;
	const char *app = str(b, "app");
	if (expect(db, ev, app, &a, &to, e) < 0 || same_booklet(db, ev, app, str(b, "booklet"), e) < 0)
		return -1;
	int did = actor_did(db, APPROVER_SQL, app, ev->actor, e);
	if (did)
		return did < 0 ? -1 : err_set(e, ERR_INPUT, "%s: %s approved application %s and "
					      "cannot hand it over", ev->kind, ev->actor, app);
	const char *v[] = { str(b, "collected_by"), str(b, "proxy_name"), str(b, "proxy_idref"),
			    str(b, "power_of_attorney"), ev->actor };
	if (issuance_set(db, ev, app, "issued_seq = ?1, issued_ms = ?2, collected_by = ?3,"
			 " proxy_name = ?4, proxy_idref = ?5, power_of_attorney = ?6,"
			 " handed_by = ?7", v, 5, e) < 0)
		return -1;
	return update_app(db, ev, app, to, NULL, NULL, 0, e);
}

/* v2: the officer who personalized the booklet does not hand it over either (a person
 * holding both roles, docs/ROLES.md "Separation of duties per person") */
static int p_handed2(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	int did = actor_did(db, "SELECT 1 FROM issuance WHERE app = ?1 AND personalized_by = ?2",
			    str(b, "app"), ev->actor, e);
	if (did)
		return did < 0 ? -1 : err_set(e, ERR_INPUT, "%s: %s personalized application %s "
					      "and cannot hand it over", ev->kind, ev->actor,
					      str(b, "app"));
	return p_handed(db, ev, b, e);
}

/* ---- the set ---- */

/* name, version, clear, fields, cross-field rule (or NULL), projection: the kind's
 * schema (office/schema.h) is its check's context */
#define KIND(name, v, clear, f, x, project) \
	{ name, v, clear, schema_check, project, &(const struct schema)SCHEMA(name, f, x) }

static const struct kind_def office_kinds[] = {
	KIND("booking.created", 1, 0, f_created, created_extra, p_created),
	KIND("booking.cancelled", 1, 0, f_cancelled, NULL, p_cancelled),
	KIND("booking.rescheduled", 1, 0, f_rescheduled, NULL, p_rescheduled),
	KIND("application.checked_in", 1, 0, f_app, NULL, p_checked_in),
	KIND("application.no_show", 1, 0, f_app, NULL, p_no_show),
	KIND("application.documents_checked", 1, 0, f_documents, NULL, p_documents),
	KIND("application.photo_enrolled", 1, 0, f_photo, NULL, p_photo),
	KIND("application.fingerprint_enrolled", 1, 0, f_fingerprint, NULL, p_fingerprint),
	KIND("application.enrolled", 1, 0, f_app, NULL, p_enrolled),
	KIND("application.interviewed", 1, 0, f_interviewed, NULL, p_interviewed),
	KIND("application.watchlist_checked", 1, 0, f_watch_checked, watch_checked_extra,
	     p_watch_checked),
	KIND("application.approved", 1, 0, f_decision, NULL, p_decision),
	KIND("application.rejected", 1, 0, f_decision, NULL, p_decision),
	KIND("application.payment_recorded", 1, 0, f_payment, payment_extra, p_payment),
	KIND("application.payment_confirmed", 1, 0, f_pay_confirmed, NULL, p_pay_confirmed),
	KIND("application.viewed", 1, 0, f_viewed, NULL, p_viewed),
	KIND("watchlist.entry_added", 1, 0, f_watch_added, watch_added_extra, p_watch_added),
	KIND("application.personalized", 1, 0, f_personalized, personalized_extra,
	     p_personalized),
	KIND("application.quality_checked", 1, 0, f_quality, quality_extra, p_quality),
	KIND("application.personalization_voided", 1, 0, f_voided, NULL, p_voided),
	KIND("application.handed_over", 1, 0, f_handed, handed_extra, p_handed),
	KIND("application.enrolled", 2, 0, f_enrolled2, enrolled2_extra, p_enrolled2),
	KIND("application.approved", 2, 0, f_approved2, approved2_extra, p_approved2),
	KIND("application.personalized", 2, 0, f_personalized, personalized_extra,
	     p_personalized2),
	KIND("application.personalization_voided", 2, 0, f_voided2, NULL, p_voided2),
	KIND("application.handed_over", 2, 0, f_handed, handed_extra, p_handed2),
	KIND("application.payment_recorded", 2, 0, f_payment2, payment_extra, p_payment2),
	KIND("application.payment_confirmed", 2, 0, f_pay_confirmed2, pay_confirmed2_extra,
	     p_pay_confirmed2),
};

static const struct kind_set office_set = {
	"office", office_kinds, sizeof office_kinds / sizeof office_kinds[0],
	office_tables, sizeof office_tables / sizeof office_tables[0],
};

int office_register_kinds(void)
{
	/* booking holds (office/booking_hold.h) become applications: one registration */
	return kinds_register(&office_set) < 0 || booking_hold_register_kinds() < 0 ? -1 : 0;
}
