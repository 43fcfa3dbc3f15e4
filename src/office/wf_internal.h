/*
 * wf_internal — what the workflow's files (wf_kinds.c, wf_ops.c, wf_query.c) share;
 * not for other modules (they use workflow.h).
 */
#ifndef PASPOR_OFFICE_WF_INTERNAL_H
#define PASPOR_OFFICE_WF_INTERNAL_H

#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "office/workflow.h"
#include "util/err.h"

/* The state an event of kind moves an application in state `from` to, or NULL when
 * the kind is not allowed from that state (kinds without a state rule: NULL too). */
const char *wf_transition(const char *kind, const char *from);
/* 1 when kind's transitions are defined (an application.* or booking.* kind but
 * booking.created and application.viewed). */
int wf_kind_has_transition(const char *kind);

/* The fields of an application row the operations need. */
struct wf_app {
	char state[32];
	char idref[128];
	char slot_date[11], slot_start[6];
	char full_name[640];
	char enrolled_by[256], interviewed_by[256];
	char decided_by[256], paid_by[256];
	char passport_type[40];
	char watchlist_result[8];
	char billing_code[64];
	char payment_status[16];
	int has_watchlist_override;
	int rescheduled;
	int has_photo;
	int fingerprints;
};
/* 1 found (a filled), 0 none, -1 error. */
int wf_app_load(sqlite3 *db, const char *app, struct wf_app *a, struct err *e);

/* The TD3 MRZ name field (39 characters: transliterated, primary<<secondary, filled,
 * truncated when too long) of a name; secondary may be NULL or "". ERR_INPUT when the
 * name makes no MRZ. */
#define WF_MRZ_NAME_LEN 39
int wf_mrz_name(const char *primary, const char *secondary, char out[WF_MRZ_NAME_LEN + 1],
		int *truncated, struct err *e);
/* app's enrolled name (primary, secondary identifier: 640 bytes each), its MRZ name field
 * and the one approved ("" before approval); any output may be NULL. ERR_INPUT when app
 * has no enrolled name. */
int wf_names_load(sqlite3 *db, const char *app, char primary[640], char secondary[640],
		  char mrz_name[WF_MRZ_NAME_LEN + 1], char approved[WF_MRZ_NAME_LEN + 1],
		  struct err *e);

/* 1 when actor enrolled the photo, a fingerprint or completed the enrolment of app, 0
 * when not, -1 on error. */
int wf_enrolled_by(sqlite3 *db, const char *app, const char *actor, struct err *e);

/* Steps st to SQLITE_DONE and finalizes it. */
int wf_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what, struct err *e);

/* Copies text column col into out (n bytes, NUL-terminated; "" for SQL NULL). */
void wf_copy_col(sqlite3_stmt *st, int col, char *out, size_t n);

/* The booklet of app's issuance row into out ("" when there is none). */
int wf_issuance_booklet(sqlite3 *db, const char *app, char out[9], struct err *e);

/* Binds a string value (NULL binds SQL NULL). */
void wf_bind_str(sqlite3_stmt *st, int i, const char *s);

/* The first state kind is allowed from (for messages), or NULL. */
const char *wf_transition_from(const char *kind);

/* Shared by the operations (wf_ops.c, wf_issue.c). */
/* Sets h->reason and an ERR_INPUT message; returns -1. */
int wf_refuse(struct wf_hdr *h, enum wf_reason r, struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The actor is "applicant" or "officer:<username>"; resets h->reason. */
int wf_actor_ok(struct wf_hdr *h, struct err *e);
/* Loads h->app into a and checks kind is allowed from its state (kind NULL: any). */
int wf_need(struct writer_txn *tx, struct wf_hdr *h, const char *kind, struct wf_app *a,
	    struct err *e);
/* Appends kind v1 with body (taken: decref'd here) under subject "app:<app>" (or the
 * given subject), mapping constraint failures to reasons. */
int wf_append(struct writer_txn *tx, struct wf_hdr *h, const char *kind, const char *subject,
	      json_t *body, struct err *e);
/* wf_append of a given version of kind. */
int wf_append_v(struct writer_txn *tx, struct wf_hdr *h, const char *kind, uint16_t version,
		const char *subject, json_t *body, struct err *e);

#endif
