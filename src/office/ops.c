/*
 * ops — the office's write operations, one row each, and the one handler that serves
 * them (see ops.h). To add an operation: a row here (docs/API.md "Adding an operation"),
 * a hook in its API module only for what the schema and the fill rows cannot say, the
 * route in docs/openapi.yaml.
 */
#include "office/ops.h"

#include <pthread.h>
#include <string.h>

#include "office/auth_http.h"
#include "office/bookcode.h"
#include "office/booking_hold.h"
#include "office/booklets.h"
#include "office/dayclose.h"
#include "office/officers.h"
#include "office/roles.h"
#include "office/workflow.h"

/* ---- the bodies (SCHEMA_API: the API's texts; the kind names the operation) ---- */

#define API_SCHEMA(name, f) static const struct schema name = SCHEMA("api", f, NULL)

static const struct schema NO_FIELDS = { .kind = "api" };

static const char *const DOC_SHAPE = "{status, note}";
static const struct field f_documents[] = {
	REQ_OBJECT("identity_card", DOC_SHAPE), REQ_OBJECT("family_card", DOC_SHAPE),
	REQ_OBJECT("civil_record", DOC_SHAPE), REQ_OBJECT("old_passport", DOC_SHAPE),
};
API_SCHEMA(S_DOCUMENTS, f_documents);

static const struct field f_enrolment[] = {
	REQ("primary_identifier", T_STR, 1, 100),
	OPT("secondary_identifier", T_ANY, 0, 0), /* "" allowed: ops_enrolment_check */
};
API_SCHEMA(S_ENROLMENT, f_enrolment);

static const struct field f_interview[] = { REQ("notes", T_STR, 1, 20000) };
API_SCHEMA(S_INTERVIEW, f_interview);

static const struct field f_watch_check[] = { OPT("override", T_STR, 1, 500) };
API_SCHEMA(S_WATCH_CHECK, f_watch_check);

static const char *const DECISIONS[] = { "approve", "reject", NULL };
static const struct field f_decision[] = {
	REQ_CHOICE("decision", 16, DECISIONS, "approve or reject"),
	REQ("reasons", T_ARRAY, 1, 20), /* each reason: the event's schema */
};
API_SCHEMA(S_DECISION, f_decision);

static const struct field f_payment[] = {
	REQ("billing_code", T_STR, 1, 64), REQ("amount", T_INT64, 1, (long long)1 << 50),
	REQ("currency", T_STR, 1, 3),      OPT("service", T_STR, 1, 32),
	REQ("billed_on", T_STR, 1, 10),    OPT("status", T_STR, 1, 16),
};
API_SCHEMA(S_PAYMENT, f_payment);

static const struct field f_pay_confirm[] = { REQ("billing_code", T_STR, 1, 64),
					      REQ("ntpn", T_STR, 1, 16) };
API_SCHEMA(S_PAY_CONFIRM, f_pay_confirm);

static const struct field f_watch_add[] = {
	REQ("reason", T_STR, 1, 500), OPT("full_name", T_STR, 1, 150 * 4),
	OPT("birth_date", T_STR, 1, 10),
	OPT("nik", T_ANY, 0, 0), OPT("identity", T_ANY, 0, 0), /* ops_watchlist_add_check */
};
API_SCHEMA(S_WATCH_ADD, f_watch_add);

static const struct field f_quality[] = {
	REQ_BOOL("print_ok", ": did the printed page pass the officer's inspection?"),
};
API_SCHEMA(S_QUALITY, f_quality);

static const struct field f_spoil[] = {
	REQ("booklet", T_STR, 1, 8), REQ("reason", T_STR, 1, 500),
	OPT("witness", T_ANY, 0, 0), /* api_witness */
};
API_SCHEMA(S_SPOIL, f_spoil);

static const struct field f_hand_over[] = {
	REQ("booklet", T_STR, 1, 8),  REQ("collected_by", T_STR, 1, 10),
	REQ("password", T_STR, 1, 256), OPT("totp", T_STR, 1, 10),
	OPT("proxy", T_ANY, 0, 0), /* ops_hand_over_check */
};
API_SCHEMA(S_HAND_OVER, f_hand_over);

/* the booklet stock's, the day close's and the officers' (the texts api_str, api_int and
 * api_only_keys gave) */
#define STOCK_REASON_MAX 2000 /* bytes; the operation checks 1 … 500 characters */
static const struct field f_range[] = { REQ("first", T_STR, 1, 16),
					REQ("count", T_INT64, 1, BOOKLET_RANGE_MAX) };
API_SCHEMA(S_RANGE, f_range);

static const struct field f_stock_spoil[] = { REQ("reason", T_STR, 1, STOCK_REASON_MAX),
					      OPT("app", T_STR, 1, 64) /* ops_stock_spoil_check */ };
API_SCHEMA(S_STOCK_SPOIL, f_stock_spoil);

static const struct field f_stock_void[] = { REQ("reason", T_STR, 1, STOCK_REASON_MAX) };
API_SCHEMA(S_STOCK_VOID, f_stock_void);

static const struct field f_destroy[] = { OPT("witness", T_ANY, 0, 0) /* api_witness */ };
API_SCHEMA(S_DESTROY, f_destroy);

static const struct field f_day[] = {
	OPT("note", T_STR, 1, 4 * DAYCLOSE_NOTE_MAX),
	OPT("counted", T_ANY, 0, 0), /* ops_day_check: dayclose_counted_parse */
};
API_SCHEMA(S_DAY, f_day);

static const struct field f_officer_add[] = {
	REQ("username", T_STR, 1, AUTH_USERNAME_MAX), OPT("name", T_STR, 1, 200),
	OPT("roles", T_ANY, 0, 0), /* ops_officer_add_check */
};
API_SCHEMA(S_OFFICER_ADD, f_officer_add);

static const struct field f_officer_reason[] = { OPT("reason", T_STR, 1, 500) };
API_SCHEMA(S_OFFICER_REASON, f_officer_reason);

static const struct field f_officer_roles[] = { OPT("roles", T_ANY, 0, 0) /* ops_roles_check */ };
API_SCHEMA(S_OFFICER_ROLES, f_officer_roles);

/* ---- THE table ---- */

static const char *const PHOTO_TYPES[] = { "image/jpeg", NULL };
static const char *const FINGER_TYPES[] = { "image/jpeg", "image/png", "image/jp2",
					    "image/x-wsq", "application/octet-stream", NULL };

#define APP "/api/v1/applications/{id}"
#define JSON_APP OP_APP | OP_EMPTY_OK, 0, HTTP_JSON_ONLY
#define PHOTO_BODY_MAX ((size_t)8 << 20)
/* the refusals of every application step (wf_need, the event's schema), by name */
#define OPS_END                                                                         \
	{ NULL, NULL, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, { { 0 } }, NULL, \
	  NULL, NULL, NULL, NULL }
#define NOT_FOUND_STATE "not-found, invalid-state, invalid-input"

static const struct op_row ops_counter[] = {
	/* counter workflow (api_counter.c; docs/WORKFLOW.md) */
	{ "POST", APP "/check-in", ACT_CHECK_IN, NULL, NULL, NULL, JSON_APP, &NO_FIELDS,
	  "application.checked_in", WF_STATE_CHECKED_IN, wf_check_in, { { 0 } }, NULL, NULL,
	  NULL, NULL, NOT_FOUND_STATE },
	{ "POST", APP "/no-show", ACT_CHECK_IN, NULL, NULL, NULL, JSON_APP, &NO_FIELDS,
	  "application.no_show", WF_STATE_NO_SHOW, wf_no_show,
	  { OP_TODAY(struct wf_no_show, today) }, NULL, NULL, NULL, NULL,
	  NOT_FOUND_STATE ", not-yet" },
	{ "POST", APP "/documents", ACT_DOCUMENTS_VERIFY, NULL, NULL, NULL, JSON_APP,
	  &S_DOCUMENTS, "application.documents_checked", WF_STATE_DOCUMENTS_VERIFIED,
	  wf_record_documents, { OP_BODY(struct wf_documents, documents) }, NULL, NULL, NULL,
	  NULL, NOT_FOUND_STATE },
	{ "PUT", APP "/photo", ACT_ENROL_PHOTO, NULL, NULL, NULL, OP_APP | OP_RAW | OP_UPLOAD,
	  PHOTO_BODY_MAX, PHOTO_TYPES, NULL, "application.photo_enrolled",
	  WF_STATE_DOCUMENTS_VERIFIED, wf_enrol_photo, { { 0 } }, ops_photo_check,
	  ops_photo_submit, ops_photo_reply, ops_photo_release,
	  NOT_FOUND_STATE },
	{ "PUT", APP "/fingerprints/{position}", ACT_ENROL_FINGERPRINTS, NULL, NULL, NULL,
	  OP_APP | OP_RAW | OP_UPLOAD, WF_FINGERPRINT_MAX_BYTES, FINGER_TYPES, NULL,
	  "application.fingerprint_enrolled", WF_STATE_DOCUMENTS_VERIFIED, wf_enrol_fingerprint,
	  { { 0 } }, ops_fingerprint_check, ops_fingerprint_submit, ops_fingerprint_reply, NULL,
	  NOT_FOUND_STATE ", too-many-fingerprints" },
	{ "POST", APP "/enrolment", ACT_ENROL_PHOTO, NULL, NULL, NULL, JSON_APP, &S_ENROLMENT,
	  "application.enrolled", WF_STATE_ENROLLED, wf_complete_enrolment,
	  { OP_STR("primary_identifier", struct wf_enrol, primary) }, ops_enrolment_check, NULL,
	  ops_enrolment_reply, NULL, NOT_FOUND_STATE ", photo-missing" },
	{ "POST", APP "/interview", ACT_INTERVIEW, NULL, NULL, NULL, JSON_APP, &S_INTERVIEW,
	  "application.interviewed", WF_STATE_INTERVIEWED, wf_interview,
	  { OP_STR("notes", struct wf_interview, notes) }, NULL, NULL, NULL, NULL,
	  NOT_FOUND_STATE },
	/* the watchlist check; with an override, a row of its own (watchlist.override, and
	 * not by the officer who enrolled or interviewed: ops_override_check) */
	{ "POST", APP "/watchlist-check", ACT_WATCHLIST_CHECK, NULL, NULL, NULL, JSON_APP,
	  &S_WATCH_CHECK, "application.watchlist_checked", WF_STATE_INTERVIEWED,
	  wf_watchlist_check, { OP_NOW(struct wf_watch_check, now_ms) }, NULL, NULL,
	  ops_watchlist_check_reply, NULL, NOT_FOUND_STATE },
	{ "POST", APP "/watchlist-check", ACT_WATCHLIST_OVERRIDE, "override", NULL,
	  "your role may not override a watchlist hit", JSON_APP, &S_WATCH_CHECK,
	  "application.watchlist_checked", WF_STATE_INTERVIEWED, wf_watchlist_check,
	  { OP_STR("override", struct wf_watch_check, override),
	    OP_NOW(struct wf_watch_check, now_ms) },
	  ops_override_check, NULL, ops_watchlist_check_reply, NULL,
	  NOT_FOUND_STATE ", separation-of-duties" },
	/* the decision: approve and reject are two actions on one route, chosen by the
	 * body's "decision" (the route admits the roles of both) */
	{ "POST", APP "/decision", ACT_APPROVE, "decision", "approve",
	  "your role may not approve applications", JSON_APP, &S_DECISION,
	  "application.approved", WF_STATE_APPROVED, wf_decide,
	  { OP_TRUE(struct wf_decision, approve), OP_JSON("reasons", struct wf_decision, reasons) },
	  NULL, NULL, ops_approve_reply, NULL,
	  NOT_FOUND_STATE ", separation-of-duties, watchlist" },
	{ "POST", APP "/decision", ACT_REJECT, "decision", "reject",
	  "your role may not reject applications", JSON_APP, &S_DECISION,
	  "application.rejected", WF_STATE_REJECTED, wf_decide,
	  { OP_JSON("reasons", struct wf_decision, reasons) }, NULL, NULL, NULL, NULL,
	  NOT_FOUND_STATE ", separation-of-duties" },
	{ "POST", APP "/payment", ACT_PAYMENT_RECORD, NULL, NULL, NULL, JSON_APP, &S_PAYMENT,
	  "application.payment_recorded", WF_STATE_PAID, wf_record_payment,
	  { OP_STR("billing_code", struct wf_payment, billing_code),
	    OP_INT("amount", struct wf_payment, amount),
	    OP_STR("currency", struct wf_payment, currency),
	    OP_STR("service", struct wf_payment, service),
	    OP_STR("billed_on", struct wf_payment, billed_on),
	    OP_TODAY(struct wf_payment, today) },
	  ops_payment_check, NULL, NULL, NULL, NOT_FOUND_STATE },
	{ "POST", APP "/payment/confirm", ACT_PAYMENT_CONFIRM, NULL, NULL, NULL, JSON_APP,
	  &S_PAY_CONFIRM, "application.payment_confirmed", WF_STATE_PAID, wf_confirm_payment,
	  { OP_STR("billing_code", struct wf_payment_confirm, billing_code),
	    OP_STR("ntpn", struct wf_payment_confirm, ntpn) }, NULL, NULL, NULL, NULL,
	  NOT_FOUND_STATE ", separation-of-duties, ntpn-used, billing-code-mismatch" },
	{ "POST", "/api/v1/watchlist", ACT_WATCHLIST_ADD, NULL, NULL, NULL, 0, 0, HTTP_JSON_ONLY,
	  &S_WATCH_ADD, "watchlist.entry_added", NULL, wf_watchlist_add,
	  { OP_STR("reason", struct wf_watch_add, reason),
	    OP_STR("full_name", struct wf_watch_add, full_name),
	    OP_STR("birth_date", struct wf_watch_add, birth_date),
	    OP_NOW(struct wf_watch_add, now_ms) },
	  ops_watchlist_add_check, NULL, ops_watchlist_add_reply, NULL, "invalid-input" },
	OPS_END,
};

/* issuance (api_issue.c; docs/PERSONALIZATION.md): slow work stays out of the writer
 * (the photo is read before, the data page printed after); the print job made again
 * appends nothing */
static const struct op_row ops_issue[] = {
	{ "POST", APP "/personalize", ACT_PERSONALIZE, NULL, NULL, NULL, JSON_APP, &NO_FIELDS,
	  "application.personalized", WF_STATE_PERSONALIZED, wf_personalize,
	  { OP_TODAY(struct wf_personalize, today) }, ops_personalize_check,
	  ops_personalize_submit, ops_personalize_reply, ops_issue_release,
	  NOT_FOUND_STATE ", payment-pending, separation-of-duties, no-stock, signer-refused, "
	  "signer-unavailable, not-configured" },
	{ "POST", APP "/print-job", ACT_PERSONALIZE, NULL, NULL, NULL, JSON_APP, &NO_FIELDS,
	  NULL, WF_STATE_PERSONALIZED, NULL, { { 0 } }, ops_print_job_check, NULL,
	  ops_print_job_reply, ops_issue_release, "not-found, not-configured" },
	{ "POST", APP "/quality-check", ACT_QUALITY_CHECK, NULL, NULL, NULL, OP_APP, 0,
	  HTTP_JSON_ONLY, &S_QUALITY, "application.quality_checked", NULL, wf_quality_checked,
	  { { 0 } }, ops_quality_check, NULL, ops_quality_reply, ops_issue_release,
	  NOT_FOUND_STATE ", not-configured" },
	{ "POST", APP "/spoil", ACT_BOOKLET_SPOIL, NULL, NULL, NULL, OP_APP, 0, HTTP_JSON_ONLY,
	  &S_SPOIL, "application.personalization_voided", WF_STATE_PAID,
	  wf_void_personalization,
	  { OP_STR("booklet", struct wf_void, booklet), OP_STR("reason", struct wf_void, reason) },
	  ops_spoil_check, NULL, ops_spoil_reply, ops_issue_release,
	  NOT_FOUND_STATE ", separation-of-duties" },
	{ "POST", APP "/hand-over", ACT_HAND_OVER, NULL, NULL, NULL, OP_APP, 0, HTTP_JSON_ONLY,
	  &S_HAND_OVER, "application.handed_over", WF_STATE_ISSUED, wf_hand_over,
	  { OP_STR("booklet", struct wf_hand_over, booklet),
	    OP_STR("collected_by", struct wf_hand_over, collected_by) },
	  ops_hand_over_check, NULL, ops_hand_over_reply, NULL,
	  NOT_FOUND_STATE ", separation-of-duties" },
	OPS_END,
};

/* ---- booking (api_booking.c; docs/BOOKING.md) ---- */

/* A booking's fields in the order they are checked (slot: REQ or OPT); nik or identity
 * the hook reads after them (api_need_idref), then the rules across fields */
#define BOOKING_FIELDS(slot)                                                                \
	REQ("full_name", T_STR, 1, 1000), REQ("birth_place", T_STR, 1, 1000),                \
	REQ("birth_date", T_STR, 1, 10), REQ("sex", T_STR, 1, 1),                            \
	REQ("address", T_STR, 1, 1000), REQ("phone", T_STR, 1, 64),                          \
	REQ("email", T_STR, 1, 320), REQ("passport_type", T_STR, 1, 32),                     \
	slot("slot_date", T_STR, 1, 10), slot("slot_start", T_STR, 1, 5),                    \
	OPT("reason", T_STR, 1, 16), OPT("previous_passport", T_STR, 1, 20),                 \
	OPT("police_report", T_STR, 1, 64), OPT("nik", T_ANY, 0, 0), OPT("identity", T_ANY, 0, 0)
/* the public booking's channel comes first, as it always did */
static const struct field f_book[] = { OPT("send_code_to", T_STR, 1, 5), BOOKING_FIELDS(REQ) };
API_SCHEMA(S_BOOK, f_book);
static const struct field f_walk_in[] = { BOOKING_FIELDS(OPT) }; /* the slot is today's */
API_SCHEMA(S_WALK_IN, f_walk_in);

static const struct field f_confirm[] = { REQ("hold", T_STR, 1, APPID_LEN),
					  REQ("code", T_STR, 1, 32) };
API_SCHEMA(S_CONFIRM, f_confirm);
static const struct field f_resend[] = { REQ("hold", T_STR, 1, APPID_LEN) };
API_SCHEMA(S_RESEND, f_resend);

/* a booking looked up by its code and identity; what the step takes besides is read
 * after the lookup, by the hook (a wrong code is 404 before a wrong field is 422) */
#define LOOKUP_FIELDS                                                                       \
	REQ("code", T_STR, 1, BOOKCODE_MAX_INPUT), OPT("nik", T_ANY, 0, 0),                  \
	OPT("identity", T_ANY, 0, 0)
static const struct field f_cancel[] = { LOOKUP_FIELDS, OPT("reason", T_ANY, 0, 0) };
API_SCHEMA(S_CANCEL, f_cancel);
static const struct field f_reschedule[] = { LOOKUP_FIELDS, OPT("slot_date", T_ANY, 0, 0),
					     OPT("slot_start", T_ANY, 0, 0) };
API_SCHEMA(S_RESCHEDULE, f_reschedule);

#define BOOKING_FILL                                                                        \
	OP_STR("full_name", struct wf_book, full_name),                                      \
	OP_STR("birth_place", struct wf_book, birth_place),                                  \
	OP_STR("birth_date", struct wf_book, birth_date), OP_STR("sex", struct wf_book, sex), \
	OP_STR("address", struct wf_book, address), OP_STR("phone", struct wf_book, phone),  \
	OP_STR("email", struct wf_book, email),                                              \
	OP_STR("passport_type", struct wf_book, passport_type),                              \
	OP_STR("reason", struct wf_book, reason),                                            \
	OP_STR("previous_passport", struct wf_book, previous_passport),                      \
	OP_STR("police_report", struct wf_book, police_report)
_Static_assert(OFFICE_LIMIT_STATUS_IP < 3, "OP_LIMIT holds an office limiter in two bits");
#define PUBLIC_JSON(limit, more) OP_PUBLIC | OP_LIMIT(limit) | (more), 0, HTTP_JSON_ONLY
#define BOOKINGS "/api/v1/bookings"

/* The public rows are anonymous (the actor "applicant") and throttled per client
 * address. A public booking is a hold (booking.held) whose one-time code is sent to the
 * applicant; the booking is made when the code is confirmed (booking.confirmed, then
 * booking.created). The hold's operations (booking_hold.h) refuse with enum hold_why,
 * answered by the hooks; a walk-in is booked at once, today, by a registrar. */
static const struct op_row ops_booking[] = {
	{ "POST", BOOKINGS, API_ANON, NULL, NULL, NULL, PUBLIC_JSON(OFFICE_LIMIT_BOOK_IP, 0),
	  &S_BOOK, "booking.held", NULL, hold_place,
	  { BOOKING_FILL, OP_STR("slot_date", struct wf_book, slot_date),
	    OP_STR("slot_start", struct wf_book, slot_start) },
	  ops_book_check, ops_book_submit, ops_book_reply, ops_booking_release, "" },
	{ "POST", BOOKINGS "/confirm", API_ANON, NULL, NULL, NULL,
	  PUBLIC_JSON(OFFICE_LIMIT_STATUS_IP, OP_CHECK_FIRST), &S_CONFIRM, "booking.confirmed",
	  NULL, hold_confirm, { { 0 } }, ops_confirmation_open, ops_confirm_submit,
	  ops_confirm_reply, ops_booking_release, "" },
	{ "POST", BOOKINGS "/resend", API_ANON, NULL, NULL, NULL,
	  PUBLIC_JSON(OFFICE_LIMIT_BOOK_IP, OP_CHECK_FIRST), &S_RESEND, "booking.code_resent",
	  NULL, hold_resend, { { 0 } }, ops_confirmation_open, ops_resend_submit,
	  ops_resend_reply, ops_booking_release, "" },
	{ "POST", BOOKINGS "/cancel", API_ANON, NULL, NULL, NULL,
	  PUBLIC_JSON(OFFICE_LIMIT_STATUS_IP, OP_LIMIT_LATE), &S_CANCEL, "booking.cancelled",
	  WF_STATE_CANCELLED, wf_cancel, { { 0 } }, ops_cancel_check, NULL, ops_cancel_reply,
	  ops_booking_release, "not-found, invalid-state" },
	{ "POST", BOOKINGS "/reschedule", API_ANON, NULL, NULL, NULL,
	  PUBLIC_JSON(OFFICE_LIMIT_STATUS_IP, OP_LIMIT_LATE), &S_RESCHEDULE,
	  "booking.rescheduled", WF_STATE_BOOKED, wf_reschedule, { { 0 } },
	  ops_reschedule_check, NULL, ops_reschedule_reply, ops_booking_release,
	  NOT_FOUND_STATE ", already-rescheduled, slot-full" },
	{ "POST", "/api/v1/walk-ins", ACT_BOOKING_WALK_IN, NULL, NULL, NULL, 0, 0,
	  HTTP_JSON_ONLY, &S_WALK_IN, "booking.created", NULL, wf_book, { BOOKING_FILL },
	  ops_walk_in_check, ops_walk_in_submit, ops_walk_in_reply, ops_booking_release,
	  "invalid-input, duplicate-active-application, slot-full, booking-code-taken" },
	OPS_END,
};


/* the booklet stock (api_booklets.c; docs/API.md "Booklet stock"): the {param} is a
 * booklet number; the answered state is the booklet's (or the range's) */
#define BOOKLET "/api/v1/booklets/{number}"
#define JSON_BOOKLET OP_BOOKLET, 0, HTTP_JSON_ONLY
static const struct op_row ops_booklets[] = {
	{ "POST", "/api/v1/booklets/ranges", ACT_BOOKLET_RECEIVE, NULL, NULL, NULL, 0, 0,
	  HTTP_JSON_ONLY, &S_RANGE, "booklet.range_received", "received", booklet_receive,
	  { OP_STR("first", struct booklet_receive, first) }, ops_range_check, NULL,
	  ops_range_reply, NULL, "invalid-input, booklet-exists" },
	{ "POST", "/api/v1/booklets/ranges/{first}/confirm", ACT_BOOKLET_CONFIRM, NULL, NULL,
	  NULL, OP_BOOKLET | OP_EMPTY_OK, 0, HTTP_JSON_ONLY, &NO_FIELDS,
	  "booklet.range_confirmed", "available", booklet_confirm_range,
	  { OP_ID(struct booklet_confirm, first) }, NULL, NULL, ops_range_confirm_reply, NULL,
	  "invalid-input, booklet-not-found, invalid-state, separation-of-duties" },
	{ "POST", BOOKLET "/spoil", ACT_BOOKLET_SPOIL, NULL, NULL, NULL, JSON_BOOKLET,
	  &S_STOCK_SPOIL, "booklet.spoiled", "spoiled", booklet_spoil,
	  { OP_ID(struct booklet_spoil, number), OP_STR("reason", struct booklet_spoil, reason),
	    OP_STR("app", struct booklet_spoil, app) },
	  ops_stock_spoil_check, NULL, ops_booklet_reply, NULL,
	  "invalid-input, booklet-not-found, invalid-state" },
	{ "POST", BOOKLET "/destroy", ACT_BOOKLET_CONFIRM, NULL, NULL, NULL, JSON_BOOKLET,
	  &S_DESTROY, "booklet.destruction_confirmed", "destroyed", booklet_confirm_destruction,
	  { OP_ID(struct booklet_destroy, number) }, ops_destroy_check, NULL, ops_destroy_reply,
	  ops_destroy_release,
	  "invalid-input, booklet-not-found, invalid-state, separation-of-duties" },
	{ "POST", BOOKLET "/void", ACT_BOOKLET_CONFIRM, NULL, NULL, NULL, JSON_BOOKLET,
	  &S_STOCK_VOID, "booklet.voided", "voided", booklet_void,
	  { OP_ID(struct booklet_void, number), OP_STR("reason", struct booklet_void, reason) },
	  NULL, NULL, ops_booklet_reply, NULL, "invalid-input, booklet-not-found, invalid-state" },
	OPS_END,
};

/* the day close (api_dayclose.c; docs/DAYCLOSE.md): the {param} is a day, not after
 * today; the report appends nothing */
#define DAY "/api/v1/days/{date}"
#define JSON_DAY OP_DAY, DAY_BODY_MAX, HTTP_JSON_ONLY
#define DAY_BODY_MAX ((size_t)1 << 20) /* a count of up to 100 000 single numbers */
static const struct op_row ops_dayclose[] = {
	{ "POST", DAY "/report", ACT_DAILY_CLOSE, NULL, NULL, NULL, JSON_DAY, &S_DAY, NULL, NULL,
	  NULL, { { 0 } }, ops_day_check, NULL, ops_day_report_reply, ops_day_release, "" },
	{ "POST", DAY "/close", ACT_DAILY_CLOSE, NULL, NULL, NULL, JSON_DAY, &S_DAY, "day.closed",
	  NULL, dayclose_close,
	  { OP_ID(struct dayclose_close, day), OP_TODAY(struct dayclose_close, today),
	    OP_STR("note", struct dayclose_close, note) },
	  ops_day_check, NULL, ops_day_close_reply, ops_day_release,
	  "invalid-input, future-day, already-closed, note-required" },
	OPS_END,
};

/* the officers (api_officers.c; docs/AUTH.md "Managing officers while the server
 * runs"): the {param} is another officer's username; every op checks its preconditions
 * in the writer's transaction (checked) */
#define OFFICER "/api/v1/officers/{username}"
#define JSON_OFFICER OP_OFFICER | OP_EMPTY_OK, 0, HTTP_JSON_ONLY
#define CHECKED(m) OP_TRUE(struct officer_op, checked), OP_ID(struct officer_op, m)
static const struct op_row ops_officers[] = {
	{ "POST", "/api/v1/officers", ACT_USERS_MANAGE, NULL, NULL, NULL, 0, 0, HTTP_JSON_ONLY,
	  &S_OFFICER_ADD, "officer.added", "active", officer_add,
	  { OP_TRUE(struct officer_op, checked), OP_STR("username", struct officer_op, username),
	    OP_STR("name", struct officer_op, name) },
	  ops_officer_add_check, NULL, ops_officer_add_reply, ops_officer_release,
	  "officer-exists" },
	{ "POST", OFFICER "/disable", ACT_USERS_MANAGE, NULL, NULL, NULL, JSON_OFFICER,
	  &S_OFFICER_REASON, "officer.disabled", "disabled", officer_disable,
	  { CHECKED(username), OP_STR("reason", struct officer_op, reason) }, NULL, NULL,
	  ops_officer_revoke_reply, NULL, "officer-not-found, invalid-state" },
	{ "POST", OFFICER "/enable", ACT_USERS_MANAGE, NULL, NULL, NULL, JSON_OFFICER,
	  &S_OFFICER_REASON, "officer.enabled", "active", officer_enable,
	  { CHECKED(username), OP_STR("reason", struct officer_op, reason) }, NULL, NULL,
	  ops_officer_event_reply, NULL, "officer-not-found, invalid-state" },
	{ "POST", OFFICER "/password", ACT_USERS_MANAGE, NULL, NULL, NULL, JSON_OFFICER,
	  &NO_FIELDS, "officer.password_changed", NULL, officer_set_password,
	  { CHECKED(username) }, ops_secret_check, NULL, ops_secret_reply, ops_officer_release,
	  "officer-not-found" },
	{ "POST", OFFICER "/totp", ACT_USERS_MANAGE, NULL, NULL, NULL, JSON_OFFICER, &NO_FIELDS,
	  "officer.totp_reset", NULL, officer_reset_totp, { CHECKED(username) },
	  ops_secret_check, NULL, ops_secret_reply, ops_officer_release, "officer-not-found" },
	{ "PUT", OFFICER "/roles", ACT_USERS_MANAGE, NULL, NULL, NULL, OP_OFFICER, 0,
	  HTTP_JSON_ONLY, &S_OFFICER_ROLES, "officer.roles_changed", NULL, officer_set_roles,
	  { CHECKED(username) }, ops_roles_check, NULL, ops_roles_reply, NULL,
	  "officer-not-found, needs-totp" },
	{ "DELETE", OFFICER "/sessions", ACT_USERS_MANAGE, NULL, NULL, NULL, JSON_OFFICER,
	  &S_OFFICER_REASON, "officer.sessions_revoked", NULL, officer_revoke_sessions,
	  { CHECKED(username), OP_STR("reason", struct officer_op, reason) }, NULL, NULL,
	  ops_officer_revoke_reply, NULL, "officer-not-found" },
	OPS_END,
};

const struct op_row *const ops_tables[] = { ops_counter,  ops_issue,    ops_booking,
					    ops_booklets, ops_dayclose, ops_officers,
					    NULL };

/* ---- the route table ---- */

#define OPS_ROUTES_MAX 32
struct api_route api_counter_routes[OPS_ROUTES_MAX + 1];
struct api_route api_issue_routes[OPS_ROUTES_MAX + 1];
struct api_route api_booking_routes[OPS_ROUTES_MAX + 1];
struct api_route api_booklet_routes[OPS_ROUTES_MAX + 1];
struct api_route api_dayclose_routes[OPS_ROUTES_MAX + 1];
struct api_route api_officer_routes[OPS_ROUTES_MAX + 1];

const struct op_row *ops_find(const char *method, const char *pattern)
{
	for (size_t t = 0; ops_tables[t]; t++)
		for (const struct op_row *r = ops_tables[t]; r->method; r++)
			if (strcmp(r->method, method) == 0 && strcmp(r->pattern, pattern) == 0)
				return r;
	return NULL;
}

unsigned ops_roles(const char *method, const char *pattern)
{
	unsigned roles = 0;
	const struct op_row *r = ops_find(method, pattern);
	for (; r && r->method; r++)
		if (strcmp(r->method, method) == 0 && strcmp(r->pattern, pattern) == 0)
			roles |= roles_action_mask((enum action)r->action);
	return roles;
}

/* The route of a plain row. */
static struct api_route op_route(const struct op_row *r)
{
	return (struct api_route){ r->method, r->pattern, ops_handle,
				   (r->flags & OP_PUBLIC) ? HTTP_ROUTE_PUBLIC : 0u, r->action,
				   r->body_max, r->media_types };
}

/* 1 when more places r's route (an OPS_ROUTE row). */
static int placed(const struct api_route *more, const struct op_row *r)
{
	for (const struct api_route *a = more; a && a->method; a++)
		if (!a->handler && strcmp(a->method, r->method) == 0 &&
		    strcmp(a->pattern, r->pattern) == 0)
			return 1;
	return 0;
}

/* The routes of rows into out, then the routes of more (NULL: none), and the end row.
 * An OPS_ROUTE row of more places the op route of its method and pattern there (the
 * order of routes is the order of the Allow header's methods and of `paspor office
 * routes`); the op routes more does not place come first. */
static void routes_fill(const struct op_row *rows, const struct api_route *more,
			struct api_route *out)
{
	size_t n = 0;
	for (const struct op_row *r = rows; r->method && n < OPS_ROUTES_MAX; r++)
		if (ops_find(r->method, r->pattern) == r && !placed(more, r))
			out[n++] = op_route(r); /* (a variant: the route is its plain row's) */
	for (const struct api_route *a = more; a && a->method && n < OPS_ROUTES_MAX; a++) {
		const struct op_row *r = a->handler ? NULL : ops_find(a->method, a->pattern);
		if (a->handler)
			out[n++] = *a;
		else if (r)
			out[n++] = op_route(r);
	}
	out[n] = (struct api_route){ NULL, NULL, NULL, 0, 0, 0, NULL };
}

static void routes_init_once(void)
{
	routes_fill(ops_counter, NULL, api_counter_routes);
	routes_fill(ops_issue, api_issue_read_routes, api_issue_routes);
	routes_fill(ops_booking, api_booking_read_routes, api_booking_routes);
	routes_fill(ops_booklets, api_booklet_read_routes, api_booklet_routes);
	routes_fill(ops_dayclose, api_dayclose_read_routes, api_dayclose_routes);
	routes_fill(ops_officers, api_officer_read_routes, api_officer_routes);
}

void ops_routes_init(void)
{
	/* once per process: servers (tests start several) and `office routes` share the
	 * tables, which are written here only */
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, routes_init_once);
}

/* ---- the handler ---- */

/* Every op a row may fill (zeroed per request). */
union ops_storage {
	struct wf_hdr hdr;
	struct wf_no_show no_show;
	struct wf_documents documents;
	struct wf_photo photo;
	struct wf_fingerprint fingerprint;
	struct wf_enrol enrol;
	struct wf_interview interview;
	struct wf_watch_check watch_check;
	struct wf_decision decision;
	struct wf_payment payment;
	struct wf_payment_confirm payment_confirm;
	struct wf_watch_add watch_add;
	struct wf_personalize personalize;
	struct wf_quality quality;
	struct wf_void spoil;
	struct wf_hand_over hand_over;
	struct wf_book book;
	struct wf_cancel cancel;
	struct wf_reschedule reschedule;
	struct booklet_receive booklet_receive;
	struct booklet_confirm booklet_confirm;
	struct booklet_spoil booklet_spoil;
	struct booklet_destroy booklet_destroy;
	struct booklet_void booklet_void;
	struct dayclose_close dayclose_close;
	struct officer_op officer;
};

/* The row of the route that serves this body: a variant whose select field has its
 * value (or, without a value, is present), else the plain row. */
static const struct op_row *ops_select(const struct op_row *plain, const json_t *body)
{
	for (const struct op_row *r = plain; r->method; r++) {
		if (!r->select || strcmp(r->method, plain->method) != 0 ||
		    strcmp(r->pattern, plain->pattern) != 0)
			continue;
		const json_t *v = json_object_get(body, r->select);
		if (v && !json_is_null(v) &&
		    (!r->select_value ||
		     (json_is_string(v) && strcmp(json_string_value(v), r->select_value) == 0)))
			return r;
	}
	return plain;
}

static int ops_fill(struct ops_call *c)
{
	const struct op_fill *f = c->row->fill;
	char *op = c->op;
	for (size_t i = 0; i < OPS_FILL_MAX && f[i].kind != OPF_END; i++) {
		void *m = op + f[i].offset;
		const json_t *v = f[i].field ? json_object_get(c->body, f[i].field) : NULL;
		switch (f[i].kind) {
		case OPF_END:
			break;
		case OPF_STR:
			*(const char **)m = json_string_value(v);
			break;
		case OPF_INT:
			if (json_is_integer(v))
				*(int64_t *)m = (int64_t)json_integer_value(v);
			break;
		case OPF_JSON:
			*(const json_t **)m = v;
			break;
		case OPF_BODY:
			*(const json_t **)m = c->body;
			break;
		case OPF_TRUE:
			*(int *)m = 1;
			break;
		case OPF_NOW:
			*(int64_t *)m = api_now_ms(c->req->app);
			break;
		case OPF_TODAY: {
			struct cal_date today;
			if (c->today[0]) {
				/* read already (OP_DAY) */
			} else if (api_today(c->req->app, &today, NULL) < 0) {
				return http_problem(c->req, c->resp, HTTP_PROBLEM_INTERNAL, NULL);
			} else {
				cal_date_format(&today, c->today);
			}
			*(const char **)m = c->today;
			break;
		}
		case OPF_ID:
			*(const char **)m = c->id;
			break;
		}
	}
	return 0;
}

int ops_refused(struct ops_call *c)
{
	const struct wf_hdr *h = c->op;
	if ((c->row->flags & OP_UPLOAD) && h->reason == WF_INVALID_INPUT)
		return http_problem(c->req, c->resp, HTTP_PROBLEM_UNPROCESSABLE, "%s", c->e.msg);
	return api_wf_problem(c->req, c->resp, h->reason, &c->e);
}

/* The default answer: the step's application and the state it is in now. */
static int ops_step_reply(struct ops_call *c)
{
	const struct wf_hdr *h = c->op;
	return api_reply(c->resp, 200, json_pack("{s:s, s:s}", "application_id", h->app,
						 "state", c->row->state));
}

/* The row's throttle per client address (OP_LIMIT): 0, or -1 with 429 written. */
static int ops_limit(struct ops_call *c)
{
	int l = OP_LIMIT_OF(c->row->flags);
	return l < 0 ? 0 : api_take(c->req, c->resp, (enum office_limit)l, c->req->client_ip);
}

/* The route's first {param} as the row's flag reads it (OP_BOOKLET, OP_DAY,
 * OP_OFFICER) into c->id: 0, or -1 with the problem written. */
static int ops_id(struct ops_call *c)
{
	struct http_req *req = c->req;
	struct http_resp *resp = c->resp;
	char name[32];
	const char *p = strchr(c->row->pattern, '{'), *q = p ? strchr(p, '}') : NULL;
	if (!q || (size_t)(q - p - 1) >= sizeof name)
		return http_problem(req, resp, HTTP_PROBLEM_INTERNAL, NULL);
	memcpy(name, p + 1, (size_t)(q - p - 1));
	name[q - p - 1] = '\0';
	const char *v = http_req_param(req, name);
	if (c->row->flags & OP_BOOKLET) {
		if (api_booklet_param(req, resp, name, &v) < 0)
			return -1;
	} else if (c->row->flags & OP_DAY) {
		struct cal_date d, today;
		if (api_day_param(req, resp, name, &d) < 0)
			return -1;
		if (api_today(req->app, &today, NULL) < 0)
			return http_problem(req, resp, HTTP_PROBLEM_INTERNAL, NULL);
		cal_date_format(&today, c->today);
		if (cal_date_cmp(&d, &today) > 0)
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					    "day %s has not begun (today is %s)", v, c->today);
	} else if (c->row->flags & OP_OFFICER) {
		const struct auth_officer *o = auth_http_officer(req); /* api_actor had it */
		if (api_username_param(req, resp, name, &v) < 0)
			return -1;
		if (strcmp(v, o->username) == 0)
			return http_problem(req, resp, HTTP_PROBLEM_SEPARATION,
					    "separation of duties: an office admin cannot change "
					    "their own account (another admin, or the CLI, does)");
	}
	c->id = v;
	return 0;
}

/* The request up to the submit: 0, or -1 with a problem written. */
static int ops_prepare(struct ops_call *c)
{
	struct http_req *req = c->req;
	struct http_resp *resp = c->resp;
	struct wf_hdr *h = c->op;
	unsigned flags = c->row->flags;
	if (flags & OP_PUBLIC)
		h->actor = "applicant";
	else if (!(h->actor = api_actor(req, resp)))
		return -1;
	if (((flags & OP_APP) && api_app_id(req, resp, &h->app) < 0) ||
	    ((flags & (OP_BOOKLET | OP_DAY | OP_OFFICER)) && ops_id(c) < 0) ||
	    (!(flags & OP_LIMIT_LATE) && ops_limit(c) < 0))
		return -1;
	if (!(flags & OP_RAW)) {
		if (api_body(req, resp, (flags & OP_EMPTY_OK) != 0, &c->body) < 0 ||
		    ((flags & OP_LIMIT_LATE) && ops_limit(c) < 0) ||
		    ((flags & OP_CHECK_FIRST) && c->row->check(c) < 0))
			return -1;
		if (schema_check_as(c->row->body, c->body, SCHEMA_API, &c->e) < 0)
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "%s", c->e.msg);
		c->row = ops_select(c->row, c->body);
		/* the route's mask (req->route->role_mask: the union of its rows' actions,
		 * ops_roles) admitted the officer; the chosen row's own action is checked here, once,
		 * wherever the mask admits more than it: a variant answers its own 403 text,
		 * a plain row the mask's */
		struct err e = ERR_INIT;
		enum action act = (enum action)c->row->action;
		if (!(flags & OP_PUBLIC) &&
		    (c->row->select || req->route->role_mask != roles_action_mask(act)) &&
		    auth_authorize(auth_http_officer(req), act, &e) != AUTH_OK)
			return http_problem(req, resp, HTTP_PROBLEM_FORBIDDEN, "%s",
					    c->row->forbidden ? c->row->forbidden
							      : "your role does not allow this");
	}
	if (ops_fill(c) < 0 ||
	    (!(c->row->flags & OP_CHECK_FIRST) && c->row->check && c->row->check(c) < 0))
		return -1;
	return 0;
}

int ops_handle(struct http_req *req, struct http_resp *resp)
{
	union ops_storage op;
	memset(&op, 0, sizeof op);
	struct ops_call c = { req, resp, NULL, NULL, &op, ERR_INIT, "", "", NULL, NULL };
	c.row = req->route ? ops_find(req->route->method, req->route->pattern) : NULL;
	if (!c.row)
		return http_problem(req, resp, HTTP_PROBLEM_INTERNAL, NULL);
	int rc = ops_prepare(&c);
	if (rc == 0 && c.row->writer &&
	    (c.row->submit ? c.row->submit(&c)
			   : office_server_submit(req->app, c.row->writer, c.op, NULL, &c.e)) < 0)
		rc = resp->problem ? -1 : ops_refused(&c); /* a submit hook may answer itself */
	else if (rc == 0)
		rc = c.row->reply ? c.row->reply(&c) : ops_step_reply(&c);
	if (c.row->release)
		c.row->release(&c);
	json_decref(c.body);
	return rc;
}
