/*
 * workflow — the counter workflow of an office node (docs/WORKFLOW.md is the contract):
 * its event kinds and projections, the operations that append them, and the queries
 * officers' screens need. No HTTP here: the API layer (src/office/api_*.c) maps requests
 * to these calls and WF_* reasons to problem types.
 *
 * Kinds: office_register_kinds() registers the "office" kind set (log/kinds.h) — every
 * kind of the WORKFLOW.md table, one row each in wf_schemas.c's KIND table: a strict
 * body check (one table-driven schema per kind: required and optional fields, types,
 * lengths, enumerations, no other keys), a guard (wf_guards.c) and a projection handler
 * (wf_project.c) into the tables applications, application_documents,
 * application_fingerprints, slot_counts, watchlist, access_log, … Handlers are pure
 * functions of the events (rebuild gives identical tables). src/main.c calls
 * office_register_kinds() first thing, so every command (rebuild too) knows them.
 *
 * Guards (docs/WORKFLOW.md "Guards"): the rules an event of a kind and version must
 * satisfy against the projected state (the transition from the application's state,
 * separation of duties, the photo before enrolment, a pending payment before
 * confirmation, one NTPN per payment, one active application per identity reference,
 * the booklet an issuance event names), each written once. The projection runs the
 * kind's guard on every event, live and on replay, so the log cannot hold a violation;
 * the operation runs the same guard first, where it checks its rules. A guard refuses
 * with err_refuse (util/err.h): e->reason is the enum wf_reason and e->msg the detail
 * the API shows; the operation copies the reason to hdr.reason. Rules that read the
 * configuration (quota, tariffs, the issuance section) or the clock are not guards:
 * the operation checks them when it writes the event, never on replay.
 *
 * Operations (wf_ops.c, wf_issue.c) are writer callbacks (log/writer.h writer_fn): the
 * caller fills the op's struct, calls writer_submit(w, wf_<op>, &op, NULL, e) (or
 * wf_run), and reads the outputs after it returns. Each reads the application's row
 * once, runs its event's guard and its own checks (quota, once-only reschedule, inputs,
 * watchlist), appends one event (or a blob.stored event and one event), and on a
 * refusal returns -1 with e->code ERR_INPUT, a message naming both states where a state
 * is at fault, and op.hdr.reason set (enum wf_reason). Every event's actor is
 * hdr.actor: "officer:<username>" or "applicant".
 *
 * Queries (wf_query.c) read through any SQLite connection (the API keeps a read-only
 * one) and build jansson values the caller json_decref's. They never record access:
 * the API appends application.viewed (wf_view) for each officer view of personal data.
 *
 * Ownership: op structs and their strings are the caller's and only read (outputs are
 * fixed arrays inside the struct); JSON given to an op is borrowed.
 * Errors: ERR_INPUT (refusals, bad fields: reason says which), ERR_IO (SQLite, files),
 * ERR_NOMEM, ERR_VERIFY (a stored blob or event that no longer verifies).
 */
#ifndef PASPOR_OFFICE_WORKFLOW_H
#define PASPOR_OFFICE_WORKFLOW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "log/writer.h"
#include "office/appid.h"
#include "office/refusal.h"
#include "util/buf.h"
#include "util/err.h"

/* Why an operation was refused: enum wf_reason and wf_reason_name are in
 * office/refusal.h, the office's one refusal type. */

/* Application states (applications.state), as stored. */
#define WF_STATE_BOOKED "booked"
#define WF_STATE_CANCELLED "cancelled"
#define WF_STATE_NO_SHOW "no_show"
#define WF_STATE_CHECKED_IN "checked_in"
#define WF_STATE_DOCUMENTS_VERIFIED "documents_verified"
#define WF_STATE_ENROLLED "enrolled"
#define WF_STATE_INTERVIEWED "interviewed"
#define WF_STATE_APPROVED "approved"
#define WF_STATE_REJECTED "rejected"
#define WF_STATE_PAID "paid"
#define WF_STATE_PERSONALIZED "personalized"
#define WF_STATE_QUALITY_CHECKED "quality_checked"
#define WF_STATE_QC_FAILED "qc_failed"
#define WF_STATE_ISSUED "issued"

#define WF_FINGERPRINT_MAX_BYTES ((size_t)1 << 20) /* one fingerprint image */
#define WF_FINGERPRINTS_MAX 10

/* Registers the office kind set (idempotent). -1 only if the registry is full. */
int office_register_kinds(void);

/* Every operation starts with struct wf_hdr (office/refusal.h). */

/* Booking (booking.created). Strings as in WORKFLOW.md; optional ones may be NULL. */
struct wf_book {
	struct wf_hdr hdr;
	const char *code_hash;  /* keyed hash of the booking code (hex, 64), from bookcode.h */
	const char *idref, *full_name, *birth_place, *birth_date, *sex, *address, *phone,
		*email, *passport_type, *slot_date, *slot_start, *channel, *reason;
	const char *previous_passport, *police_report; /* NULL unless the reason needs it */
	int quota;              /* places of this slot (office config); ≤ 0: slot closed */
	int64_t now_ms;         /* for the application id (UTC ms) */
	char app_id[APPID_LEN + 1]; /* out */
};
int wf_book(struct writer_txn *tx, void *arg, struct err *e);

struct wf_cancel { struct wf_hdr hdr; const char *reason; };
int wf_cancel(struct writer_txn *tx, void *arg, struct err *e);

struct wf_reschedule {
	struct wf_hdr hdr;
	const char *slot_date, *slot_start;
	int quota; /* places of the new slot */
};
int wf_reschedule(struct writer_txn *tx, void *arg, struct err *e);

/* application.checked_in: struct wf_hdr alone; no-show needs struct wf_no_show. */
int wf_check_in(struct writer_txn *tx, void *arg, struct err *e);     /* struct wf_hdr */

/* application.enrolled v2 (needs a photo): the name's split into primary and secondary
 * identifier, as the applicant confirms it (a one-word name: the primary identifier
 * alone, secondary NULL or ""). Refused (WF_INVALID_INPUT) unless the two hold exactly
 * the words of the booked full name, or when they make no MRZ. Outputs the MRZ name
 * field (39 characters) and whether it was truncated. */
struct wf_enrol {
	struct wf_hdr hdr;
	const char *primary, *secondary;
	char mrz_name[40]; /* out */
	int truncated;     /* out */
};
int wf_complete_enrolment(struct writer_txn *tx, void *arg, struct err *e);

struct wf_no_show { struct wf_hdr hdr; const char *today; /* local "YYYY-MM-DD" */ };
int wf_no_show(struct writer_txn *tx, void *arg, struct err *e);

/* documents: {"identity_card": {"status": "checked"|"missing", "note"?}, "family_card",
 * "civil_record", "old_passport"} (all four; a missing one needs a note). */
struct wf_documents { struct wf_hdr hdr; const json_t *documents; };
int wf_record_documents(struct writer_txn *tx, void *arg, struct err *e);

/* The enrolment photo. wf_photo_prepare normalises the upload (photo.c) into o —
 * outside the writer, since decoding and re-encoding take milliseconds that would hold
 * every other write; wf_enrol_photo then stores it as a blob and appends
 * application.photo_enrolled; wf_photo_release frees it. A prepare error is ERR_INPUT
 * (not a JPEG, too small, wrong proportions) with hdr.reason WF_INVALID_INPUT. */
struct wf_photo {
	struct wf_hdr hdr;
	struct buf jpeg;        /* the normalised, chip-ready JPEG */
	unsigned width, height; /* its size */
	char blob[65];          /* out: blob name */
};
int wf_photo_prepare(struct wf_photo *o, const uint8_t *upload, size_t len, struct err *e);
void wf_photo_release(struct wf_photo *o);
int wf_enrol_photo(struct writer_txn *tx, void *arg, struct err *e);

/* position: ISO/IEC 19794-4 finger code 1 (right thumb) … 10 (left little); image:
 * JPEG, PNG, WSQ or JPEG 2000, ≤ WF_FINGERPRINT_MAX_BYTES. Re-enrolling a position
 * replaces it. */
struct wf_fingerprint {
	struct wf_hdr hdr;
	int position;
	const uint8_t *image;
	size_t len;
	char blob[65]; /* out */
};
int wf_enrol_fingerprint(struct writer_txn *tx, void *arg, struct err *e);

struct wf_interview { struct wf_hdr hdr; const char *notes; };
int wf_interview(struct writer_txn *tx, void *arg, struct err *e);

/* Matches the application against the local watchlist (idref, or normalised name +
 * birth date). override: NULL, or the reason an officer accepts a hit (recorded). */
struct wf_watch_check {
	struct wf_hdr hdr;
	const char *override;
	int64_t now_ms;      /* to compute the list's age */
	int hit;             /* out: 1 when an entry matched */
	size_t entries;      /* out: number of matching entries */
};
int wf_watchlist_check(struct writer_txn *tx, void *arg, struct err *e);

/* reasons: an array of 1…20 strings (1…500 characters each). Refused (WF_SEPARATION)
 * when the actor enrolled or interviewed the application; approval (v2, with the MRZ
 * name field) is refused (WF_INVALID_STATE) without an enrolled name, and
 * (WF_WATCHLIST) without a watchlist check, or after a hit without override. */
struct wf_decision {
	struct wf_hdr hdr;
	int approve;
	const json_t *reasons;
	/* out, approval only: the MRZ name field approved (application.approved v2), made
	 * from the enrolled name, and whether it was truncated */
	char mrz_name[40];
	int truncated;
};
int wf_decide(struct writer_txn *tx, void *arg, struct err *e);

struct config;

/* The billing (application.payment_recorded v2, always pending): the amount must be the
 * fee in force for the application's passport type and the service on the billing
 * code's date (config_tariff_fee; WF_INVALID_INPUT otherwise, and for a billing date
 * after today). Confirmation is a second step by another officer. */
struct wf_payment {
	struct wf_hdr hdr;
	const struct config *cfg; /* the tariffs */
	const char *billing_code, *currency;
	int64_t amount;        /* smallest unit (IDR cents) */
	const char *service;   /* "regular", "express", … (fees.tariffs) */
	const char *billed_on; /* the billing code's date, YYYY-MM-DD */
	const char *today;     /* the office's date, YYYY-MM-DD */
};
int wf_record_payment(struct writer_txn *tx, void *arg, struct err *e);

/* Confirmation with the state receipt number (NTPN: 16 of 0-9 A-Z), by an officer who
 * neither recorded the billing nor approved the application (WF_SEPARATION); an NTPN
 * confirms one payment only (WF_NTPN_USED). application.payment_confirmed v2. */
struct wf_payment_confirm { struct wf_hdr hdr; const char *billing_code, *ntpn; };
int wf_confirm_payment(struct writer_txn *tx, void *arg, struct err *e);

/* Either idref, or full_name + birth_date (YYYY-MM-DD). source: "office" or "centre". */
struct wf_watch_add {
	struct wf_hdr hdr;  /* app unused */
	const char *idref, *full_name, *birth_date, *reason, *source;
	int64_t now_ms;
	char entry_id[APPID_LEN + 1]; /* out: 'W' id */
};
int wf_watchlist_add(struct writer_txn *tx, void *arg, struct err *e);

/* what: "details", "history", "photo", "fingerprints", "documents" or "search". */
struct wf_view { struct wf_hdr hdr; const char *what; };
int wf_view(struct writer_txn *tx, void *arg, struct err *e);

/* ---- issuance (wf_issue.c, docs/PERSONALIZATION.md) ---- */

/*
 * Personalization of a paid, approved application (application.personalized): takes
 * the next booklet (booklet_take_next, same transaction), dates by the office's
 * validity rules, the MRZ, and — for an electronic passport type — the chip files with
 * EF.SOD signed by the signer process over its socket (inside the writer's transaction,
 * so a refusal by the signer rolls the booklet back; docs/PERSONALIZATION.md says why),
 * stored as a blob. Refused: not 'paid' (WF_INVALID_STATE), payment pending
 * (WF_PAYMENT_PENDING unless cfg->personalize_on_pending), the actor approved the
 * application or overrode its watchlist hit (WF_SEPARATION), no stock (WF_NO_STOCK),
 * the signer refused (WF_SIGNER_REFUSED, its reason in e) or is unreachable
 * (WF_SIGNER_UNAVAILABLE).
 */
struct wf_personalize {
	struct wf_hdr hdr;
	const struct config *cfg;   /* validity, issuing state, payment rule */
	const char *today;          /* the office's local date, YYYY-MM-DD */
	const char *signer_socket;  /* resolved path */
	const uint8_t *photo;       /* the enrolled photo (JPEG), read by the caller */
	size_t photo_len;
	const char *photo_blob;     /* its blob name (checked against the record) */
	/* out */
	char booklet[9], issue_date[11], expiry_date[11];
	char mrz[89];
	char sod_blob[65];          /* "" for a passport without a chip */
};
int wf_personalize(struct writer_txn *tx, void *arg, struct err *e);

/* The result of the quality check (application.quality_checked): failures is an array
 * of 0…20 strings (borrowed), empty when it passed. booklet: the one checked. */
struct wf_quality { struct wf_hdr hdr; const char *booklet; const json_t *failures; };
int wf_quality_checked(struct writer_txn *tx, void *arg, struct err *e);

/* Spoil and redo: the booklet of a personalized application is spoiled (booklet.spoiled)
 * and the application returns to 'paid' (application.personalization_voided v2, naming
 * the witness: a second officer, refused (WF_SEPARATION) when it is the actor; the API
 * re-authenticates the witness and checks their role). */
struct wf_void {
	struct wf_hdr hdr;
	const char *booklet, *reason;
	const char *witness; /* the second officer present (username; not the actor's) */
};
int wf_void_personalization(struct writer_txn *tx, void *arg, struct err *e);

/* Hand-over (application.handed_over): the officer re-confirmed their identity before
 * (the API checks the password); refused for the approver (WF_SEPARATION). */
struct wf_hand_over {
	struct wf_hdr hdr;
	const char *booklet;
	const char *collected_by;   /* "holder" or "proxy" */
	const char *proxy_name, *proxy_idref, *power_of_attorney; /* proxy only */
};
int wf_hand_over(struct writer_txn *tx, void *arg, struct err *e);

/* Expiry date of a passport issued on `issue` (YYYY-MM-DD) to a person born on
 * `birth` (YYYY-MM-DD, unknown parts XX: counted as the latest possible date, so a
 * person is an adult only when surely so): issue + validity years; 29 February
 * becomes 28 February in a common year. -1 on a malformed date. */
int wf_expiry_date(const struct config *cfg, const char *issue, const char *birth,
		   char out[11]);

/* Splits a full name into MRZ primary and secondary identifiers: the last word is the
 * surname, the words before it the given names ("" for one word). */
void wf_split_name(const char *full_name, char *surname, size_t ssize, char *given,
		   size_t gsize);

/* writer_submit(w, fn, arg, NULL, e) for an op whose arg starts with struct wf_hdr;
 * a convenience for callers and tests. */
int wf_run(struct writer *w, writer_fn fn, void *op, struct err *e);

/* ---- queries (wf_query.c) ---- */

/* Applications, optionally only in state and/or with slot_date day (NULL: any), newest
 * first, at most limit (≤ 1000): an array of summaries {id, state, full_name,
 * slot_date, slot_start, passport_type, updated_seq}. */
int wf_query_list(sqlite3 *db, const char *state, const char *day, int limit, json_t **out,
		  struct err *e);
/* One application's projected row as an object (documents and fingerprints included);
 * ERR_INPUT with reason WF_NOT_FOUND when there is none (reason may be NULL). */
int wf_query_get(sqlite3 *db, const char *app, json_t **out, enum wf_reason *reason,
		 struct err *e);
/* Its events, oldest first: [{seq, time_ms, actor, kind, version, body}], bodies opened
 * with the 32-byte data key. */
int wf_query_history(sqlite3 *db, const uint8_t *data_key, const char *app, json_t **out,
		     struct err *e);
/* A booking as the public lookups (status, cancel, reschedule) see it. */
struct wf_booking {
	char app[APPID_LEN + 1];
	char state[32], slot_date[11], slot_start[6];
	int rescheduled;
};
/* The application whose booking code hash is code_hash, if its identity reference is
 * idref (compared in constant time): 1 with *out filled; 0 when there is none or the
 * reference differs (one answer for both); -1 with ERR_IO when it cannot be read. One
 * statement from db's statement cache (db_cached), stepped and reset here: run outside
 * a transaction it is its own snapshot (the public lookups do: api_db_acquire_single). */
int wf_query_booking(sqlite3 *db, const char *code_hash, const char *idref,
		     struct wf_booking *out, struct err *e);
/* Search: by "code" (the code hash), "nik" (the identity reference, exact) or "name"
 * (case-insensitive prefix of the full name, ≥ 2 characters). An array of summaries. */
int wf_query_search(sqlite3 *db, const char *by, const char *value, json_t **out,
		    struct err *e);

/* Places taken in the slot date ("YYYY-MM-DD") start ("HH:MM") by bookings (the
 * slot_counts projection; 0 when none); -1 on error. */
int wf_query_slot_taken(sqlite3 *db, const char *date, const char *start, struct err *e);

/* The blob name of app's enrolled photo into out: 1, or 0 (out "") when it has none or
 * there is no such application; -1 on error (out ""). */
int wf_query_photo_blob(sqlite3 *db, const char *app, char out[65], struct err *e);

/* Passports waiting for their holder: the applications in 'quality_checked' whose check
 * passed at or before before_ms, oldest first, at most 1000, as a new array of
 * {application_id, booklet, days_waiting} (whole days from the check to now_ms). */
int wf_query_uncollected(sqlite3 *db, int64_t before_ms, int64_t now_ms, json_t **out,
			 struct err *e);

/* The normalised form of a name for search and watchlist matching: NFKC, case-folded,
 * marks stripped, runs of white space and punctuation made one space, trimmed. The
 * caller mem_free's *out. */
int wf_name_norm(const char *name, char **out, struct err *e);

#endif
