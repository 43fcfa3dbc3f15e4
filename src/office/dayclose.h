/*
 * dayclose — the daily close of an office day (issue 6, docs/DAYCLOSE.md): a report that
 * reconciles the day's applications, fees and booklets against the physical count of
 * blank booklets the custodian enters, and the event that closes the day.
 *
 * Kinds (the "day" kind set, dayclose_register_kinds; src/main.c registers it):
 *
 *   day.closed v1, v2 (clear)   the report (counts, booklet numbers, the checkpoint; no
 *                               personal data) + closed_by; subject "day:YYYY-MM-DD"
 *                               (replay only)
 *   day.closed v3 (clear)       v2 + "signer" (the signer's signatures of the day this
 *                               office has no record of) and "alarm"
 *   day.close_noted v1 (sealed) {day, note}: why the close was accepted with a mismatch
 *                               (free text, so sealed); same subject, right after
 *
 * Projection table: day_closes(day PRIMARY KEY, seq, closed_by, time_ms, mismatch,
 * report, note, note_seq) — one row per closed day; a second day.closed for a day is
 * refused by its handler (the log cannot hold two closes of one day).
 *
 * The report of local day D (the process's zone, office/calendar.h) over the UTC range
 * [D 00:00, D+1 00:00): events per workflow kind in the day; applications by current
 * state whose slot is D; fees (count and sum per currency, confirmed/pending now) of the
 * applications whose application.payment_recorded falls in the day; booklet events of
 * the day and the stock left now; the comparison of the counted numbers with the blank
 * stock recorded now (received + available): `missing` (recorded, not counted) and
 * `unexpected` (counted, not recorded as blank), each listed up to DAYCLOSE_LIST_MAX
 * numbers with the full count beside; `mismatch` when either is non-empty; and the last
 * signed checkpoint that covers no event after the day (its size and root). The body
 * layout is in docs/DAYCLOSE.md and checked strictly (no other keys, counts consistent).
 *
 * Ownership: a struct dayclose_counted owns its array (dayclose_counted_release); JSON
 * values returned through out parameters are the caller's (json_decref). Errors:
 * ERR_INPUT for a malformed count or date (the message names the entry), ERR_IO from
 * SQLite, ERR_NOMEM.
 */
#ifndef PASPOR_OFFICE_DAYCLOSE_H
#define PASPOR_OFFICE_DAYCLOSE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "log/writer.h"
#include "office/calendar.h"
#include "office/refusal.h"
#include "signproto/proto.h"
#include "util/err.h"

#define DAYCLOSE_LIST_MAX 1000      /* numbers listed in missing / unexpected */
#define DAYCLOSE_COUNTED_MAX 100000 /* booklet numbers in one physical count */
#define DAYCLOSE_NOTE_MAX 1000      /* characters of a close note */

/* Registers the "day" kind set (idempotent); -1 only if the registry is full. */
int dayclose_register_kinds(void);

/* A physical count: distinct booklet numbers, sorted, each as letter·10^7 + digits. */
struct dayclose_counted {
	uint32_t *codes;
	size_t n;
};

/* Parses a JSON array of booklet numbers ("X0000001") and ranges ("X0000001-X0000050",
 * same letter, first ≤ last), DAYCLOSE_COUNTED_MAX numbers at most. A number counted
 * twice (also through overlapping ranges) is refused: a count must be exact. */
int dayclose_counted_parse(const json_t *list, struct dayclose_counted *out, struct err *e);
void dayclose_counted_release(struct dayclose_counted *c);

/* The report of local day `day` (no event; any connection, e.g. a read-only one) into
 * *out: the day.closed body without closed_by. */
int dayclose_report(sqlite3 *db, const struct cal_date *day,
		    const struct dayclose_counted *counted, json_t **out, struct err *e);

/* What the signer says it signed in the day (api_dayclose.c asks it through
 * signproto/client.h before the report): asked = 0 when this office has no signer
 * (no issuance section): the report's "signer" is then null. */
struct dayclose_signer {
	int asked;
	const char *error;                /* NULL, or why the signer could not be asked */
	const struct proto_signature *sig; /* its signatures in the day */
	size_t n;
};

/* Adds "signer" and "alarm" to a report (docs/DAYCLOSE.md "Signatures"): the
 * signatures of sg that this office has no record of (no booklet row of that number
 * used by that application), listed up to DAYCLOSE_LIST_MAX; alarm is true when there
 * is one. sg NULL or not asked: signer null, alarm false. */
int dayclose_report_signer(sqlite3 *db, const struct dayclose_signer *sg, json_t *report,
			   struct err *e);

/* Closes a day (writer callback): the report is made in the writer's transaction and
 * appended as day.closed (+ day.close_noted when a note is given). Refused with ERR_INPUT
 * and reason set: a malformed day or note (WF_CLOSE_INVALID), a day after `today`
 * (WF_DAY_FUTURE), a closed day (WF_DAY_CLOSED), a mismatch without a note
 * (WF_NOTE_REQUIRED). On success *report is the body appended (the caller
 * json_decref's it, also after a refusal: it may hold the refused report, so that the
 * caller can show the mismatch). */
struct dayclose_close {
	struct wf_hdr hdr;                      /* office/refusal.h: actor "officer:<username>";
						 * app unused; reason; seq: the day.closed
						 * event */
	const char *day;                        /* in: "YYYY-MM-DD" (local) */
	const char *today;                      /* in: today's local date "YYYY-MM-DD" */
	const struct dayclose_counted *counted; /* in */
	const char *note;                       /* in: NULL, or 1…DAYCLOSE_NOTE_MAX chars */
	json_t *report;                         /* out: see above */
	const struct dayclose_signer *signer;   /* in: NULL when not asked */
};
int dayclose_close(struct writer_txn *tx, void *arg, struct err *e);

/* The stored close of day ("YYYY-MM-DD"): 1 with *out = {day, seq, closed_by, time_ms,
 * mismatch, note (null when none), report}; 0 (*out NULL) when the day is not closed;
 * -1 on error. */
int dayclose_get(sqlite3 *db, const char *day, json_t **out, struct err *e);

#endif
