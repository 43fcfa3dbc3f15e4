/*
 * booklets — the office's stock of blank passport booklets as events in the office log
 * (docs/PERSONALIZATION.md, issue 6). A booklet's pre-printed number is the passport
 * number: one upper-case letter and seven digits ("X1234567").
 *
 * Kinds (the "booklets" kind set, booklets_register_kinds; src/main.c registers it):
 *
 *   booklet.range_received v1 (clear)  {first, count, received_by}
 *   booklet.range_confirmed v1 (clear) {first, confirmed_by}
 *   booklet.used v1 (clear)            {number, app}
 *   booklet.spoiled v1 (sealed)        {number, reason, app?}
 *   booklet.destruction_confirmed v1 (clear) {number, officers: [two usernames]}
 *   booklet.voided v1 (sealed)         {number, reason}
 *
 * received_by and confirmed_by are principals in the event-actor form ("officer:<u>" or
 * "cli:<os user>") and must equal the event's actor; the confirmation must come from an
 * officer other than the one who received the range. Spoiled and voided bodies are
 * sealed because their free-text reason may name a person; the others hold no personal
 * data and stay readable to a log verifier (stock can be reconciled without the key).
 *
 * Projection tables: booklet_ranges(first, count, received_by, confirmed_by, …) and
 * booklets(number PRIMARY KEY, range_first, state, app, …) with the state one of
 *
 *   received ──range confirmed──▶ available ──used──▶ used ──spoiled──▶ spoiled
 *       │                            │                                     │
 *       └────── voided ◀─────────────┘      (received/available may be    destruction
 *                                            spoiled too: a damaged blank) confirmed
 *                                                                          ▼
 *                                                                      destroyed
 *
 * A partial UNIQUE index allows one 'used' booklet per application. Handlers re-check
 * every transition, so the log cannot hold a booklet used twice; rebuild gives the same
 * rows.
 *
 * Operations are writer callbacks (log/writer.h writer_fn) like the workflow's: fill
 * the op struct, writer_submit(w, booklet_<op>, &op, NULL, e), read the outputs. On a
 * refusal they return -1 with ERR_INPUT and hdr.reason set (enum wf_reason, the office's
 * one refusal type: WF_INVALID_INPUT, WF_NO_BOOKLET, WF_INVALID_STATE, WF_BOOKLET_EXISTS,
 * WF_SEPARATION, WF_NO_STOCK, WF_APP_HAS_BOOKLET). booklet_take_next may also
 * be called directly from another operation's callback with its writer_txn (the
 * personalization will): it picks the lowest-numbered 'available' booklet and appends
 * booklet.used in that same transaction, so concurrent requests, serialised by the
 * writer, never get the same booklet.
 *
 * Ownership: op structs and their strings are the caller's; outputs are fixed arrays.
 * Errors: ERR_INPUT (refusals), ERR_IO (SQLite), ERR_NOMEM.
 */
#ifndef PASPOR_OFFICE_BOOKLETS_H
#define PASPOR_OFFICE_BOOKLETS_H

#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "log/writer.h"
#include "office/refusal.h"
#include "util/err.h"

#define BOOKLET_NUMBER_LEN 8        /* "X1234567" */
#define BOOKLET_RANGE_MAX 10000     /* booklets in one received range */

enum booklet_state {
	BOOKLET_RECEIVED, BOOKLET_AVAILABLE, BOOKLET_USED, BOOKLET_SPOILED,
	BOOKLET_DESTROYED, BOOKLET_VOIDED, BOOKLET_STATE_COUNT
};
/* "received", "available", …; NULL out of range. */
const char *booklet_state_name(enum booklet_state s);

/* 1 when s is one upper-case letter and seven digits. */
int booklet_number_valid(const char *s);

/* Registers the booklets kind set (idempotent); -1 only if the registry is full. */
int booklets_register_kinds(void);

/* Every op starts with struct wf_hdr (office/refusal.h), the office's one operation
 * header: hdr.actor "officer:<username>" or "cli:<user>"; hdr.app unused (NULL);
 * hdr.reason and hdr.seq (the event appended) out. */

/* Records count (1 … BOOKLET_RANGE_MAX) booklets first, first+1, … as received by
 * the actor (received_by). None of the numbers may be recorded already. */
struct booklet_receive { struct wf_hdr hdr; const char *first; int count; };
int booklet_receive(struct writer_txn *tx, void *arg, struct err *e);

/* Confirms the range starting at first: an officer other than the receiver. */
struct booklet_confirm { struct wf_hdr hdr; const char *first; };
int booklet_confirm_range(struct writer_txn *tx, void *arg, struct err *e);

/* Takes the next available booklet of a confirmed range for app (booklet.used). */
struct booklet_take { struct wf_hdr hdr; const char *app; char number[BOOKLET_NUMBER_LEN + 1]; };
int booklet_take_next(struct writer_txn *tx, void *arg, struct err *e);

/* Spoils a booklet (received, available or used; app, when given, must be the one
 * that used it). */
struct booklet_spoil {
	struct wf_hdr hdr;
	const char *number, *reason, *app;
	/* 1: spoil-and-redo of app's personalized booklet (wf_void_personalization, with
	 * its witness); 0: the stock route, which refuses a used booklet */
	int redo;
};
int booklet_spoil(struct writer_txn *tx, void *arg, struct err *e);

/* Confirms the destruction of a spoiled booklet by two distinct officers (usernames). */
struct booklet_destroy { struct wf_hdr hdr; const char *number; const char *officers[2]; };
int booklet_confirm_destruction(struct writer_txn *tx, void *arg, struct err *e);

/* Voids a received or available booklet (lost, stolen, damaged in delivery). */
struct booklet_void { struct wf_hdr hdr; const char *number, *reason; };
int booklet_void(struct writer_txn *tx, void *arg, struct err *e);

/* Stock levels: booklets per state (through any connection). */
struct booklet_stock { long long count[BOOKLET_STATE_COUNT]; };
int booklet_stock(sqlite3 *db, struct booklet_stock *out, struct err *e);

/* One booklet's state ("received", …) and the application that used it ("" when none):
 * 1 found, 0 no such booklet, -1 on error (through any connection). */
int booklet_load(sqlite3 *db, const char *number, char state[16], char app[40],
		 struct err *e);

/* The stock as the API shows it (GET /api/v1/booklets/stock): {counts: {state: n …},
 * total, ranges: [{first, count, received_by, confirmed_by, state, received_seq,
 * confirmed_seq, unused}]}. A new value into *out. */
int booklet_stock_json(sqlite3 *db, json_t **out, struct err *e);

/* One booklet as the API shows it (GET /api/v1/booklets/{number}): {number, state, app,
 * spoiled_by, destroyed_by, range: {first, count, received_by, confirmed_by}, seqs:
 * {received, confirmed, used, updated}} (never a spoil or void reason: those are
 * sealed). 1 with *out, 0 when there is none, -1 on failure. */
int booklet_get_json(sqlite3 *db, const char *number, json_t **out, struct err *e);

/* `paspor office booklets` (cmd_booklets.c). */
int cmd_office_booklets(int argc, char **argv);

#endif
