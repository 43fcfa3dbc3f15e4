/*
 * booking_hold — a public booking in two steps (docs/BOOKING.md "Confirming a
 * booking"): a pending hold, and its confirmation with a one-time code sent to the
 * applicant's phone or e-mail. Only a confirmed hold becomes an application
 * (booking.created); an unconfirmed one expires and frees its place.
 *
 * Kinds (set "booking_holds", registered by office_register_kinds; all sealed, v1;
 * subject "hold:<id>"):
 *   booking.held         {hold, otp_hash, sent_ms, expires_ms, send_to, booking}:
 *                        booking holds the fields of booking.created but app, code_hash
 *                        and channel (checked by booking.created's own schema); the
 *                        times are the operation's clock (UTC ms), so the caps the
 *                        projection serves compare with the same clock
 *   booking.code_resent  {hold, otp_hash, sent_ms}: a new code (the old one stops
 *                        working)
 *   booking.code_failed  {hold}: one wrong code
 *   booking.hold_ended   {hold, reason}: "expired", "attempts" (too many wrong codes)
 *                        or "unsent" (the sender failed: the hold never held a place)
 *   booking.confirmed    {hold, app}: followed in the same request by booking.created
 *                        for app (channel "online", actor "applicant")
 * Projection: booking_holds (one row per hold) and booking_code_sends (one row per code
 * sent, for the per-contact and per-office daily caps). Handlers refuse any change to a
 * hold that is not pending, so the log cannot hold one.
 *
 * A pending hold counts against its slot's quota until expires_ms (hold_pending_in_slot;
 * readers pass the time: the projection holds no clock). The one-time code: code_digits
 * decimal digits from randombytes_uniform, stored only as a keyed BLAKE2b hash over the
 * hold id and the code (key derived from the data key: "bookcode", id 2).
 *
 * Operations are writer callbacks (log/writer.h) like the workflow's: fill the struct,
 * office_server_submit(s, hold_place, &op, …). A refusal returns -1 with op.why set and
 * e an ERR_INPUT message for people (no personal data); an outcome that must be
 * recorded (a wrong code, an expired hold) returns 0 with op.why set, so its events
 * commit.
 */
#ifndef PASPOR_OFFICE_BOOKING_HOLD_H
#define PASPOR_OFFICE_BOOKING_HOLD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "log/writer.h"
#include "office/appid.h"
#include "office/config.h"
#include "util/err.h"

#define HOLD_CODE_SIZE 10 /* up to 9 digits + NUL */

enum hold_why {
	HOLD_OK = 0,
	HOLD_SLOT_FULL,      /* 409 slot-full: confirmed + pending fill the quota */
	HOLD_SLOT_BUSY,      /* 409: pending_per_slot unconfirmed holds in the slot */
	HOLD_DUPLICATE,      /* 409: the identity has an active application or pending hold */
	HOLD_PHONE_CAP,      /* 409: active_per_phone reached */
	HOLD_EMAIL_CAP,      /* 409: active_per_email reached */
	HOLD_CONTACT_DAY,    /* 429: codes_per_contact_per_day reached */
	HOLD_OFFICE_DAY,     /* 429: codes_per_day reached */
	HOLD_TOO_SOON,       /* 429: resend_seconds not over */
	HOLD_NOT_FOUND,      /* 404 */
	HOLD_ENDED,          /* 409: the hold expired, ended or was confirmed */
	HOLD_WRONG_CODE,     /* 422: recorded; attempts_left says how many remain */
	HOLD_CODE_TAKEN,     /* retry with another booking code */
	HOLD_INVALID,        /* 422 */
};

int booking_hold_register_kinds(void);

/* code: digits (6…9) random decimal digits, NUL-terminated. */
int hold_code_new(unsigned digits, char code[HOLD_CODE_SIZE], struct err *e);
/* The keyed hash (64 hex) of a hold's code. */
int hold_code_hash(const uint8_t key[32], const char *hold, const char *code, char out[65],
		   struct err *e);

/* Unconfirmed holds of a slot still pending at now_ms; -1 on error. */
int hold_pending_in_slot(sqlite3 *db, const char *date, const char *start, int64_t now_ms,
			 struct err *e);

/* A new hold. booking is borrowed: booking.created's fields but app, code_hash,
 * channel (the caller checked them; the kind check runs again). */
struct hold_place {
	const struct config_confirmation *cfg;
	const uint8_t *key;          /* 32 bytes: the code hash key */
	const json_t *booking;
	const char *send_to;         /* "email" or "phone" */
	const char *code;            /* the one-time code (digits) */
	int quota;                   /* the slot's places */
	int64_t now_ms;
	char hold[APPID_LEN + 1];    /* out: 'H' id */
	enum hold_why why;           /* out */
	unsigned retry_after_s;      /* out: for 429s and HOLD_SLOT_BUSY */
};
int hold_place(struct writer_txn *tx, void *arg, struct err *e);

/* A new code for a pending hold (after resend_seconds, within the daily caps). */
struct hold_resend {
	const struct config_confirmation *cfg;
	const uint8_t *key;
	const char *hold;
	const char *code;
	int64_t now_ms;
	char send_to[8], to[340];    /* out: the channel and the contact */
	int sends;                   /* out: codes sent for this hold, this one included */
	enum hold_why why;
	unsigned retry_after_s;
};
int hold_resend(struct writer_txn *tx, void *arg, struct err *e);

/* Ends a pending hold (reason "unsent" after a failed send, or "expired"). */
struct hold_end { const char *hold, *reason; enum hold_why why; };
int hold_end(struct writer_txn *tx, void *arg, struct err *e);

/* Confirms a hold with its code: booking.confirmed + booking.created. */
struct hold_confirm {
	const struct config_confirmation *cfg;
	const uint8_t *key;
	const char *hold;
	const char *code;            /* as typed: compared after the hash */
	const char *code_hash;       /* the new booking code's keyed hash (bookcode.h) */
	int quota;                   /* the slot's places (looked up by the caller) */
	int64_t now_ms;
	char app[APPID_LEN + 1];     /* out */
	char slot_date[11], slot_start[6], passport_type[33]; /* out */
	unsigned attempts_left;      /* out, for HOLD_WRONG_CODE */
	enum hold_why why;
};
int hold_confirm(struct writer_txn *tx, void *arg, struct err *e);

/* The slot of a hold, for the caller's quota lookup: 1 found, 0 none, -1 error. */
int hold_slot(sqlite3 *db, const char *hold, char date[11], char start[6], struct err *e);

#endif
