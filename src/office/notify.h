/*
 * notify — sends a short message (a booking's confirmation code) to an applicant's
 * e-mail or phone through the sender paspor.conf's confirmation section names for that
 * channel (docs/BOOKING.md "Senders", docs/CONFIG.md):
 *
 *   spool  writes the message to a new file SPOOL_DIR/<ref>.txt (mode 0600) and sends
 *          nothing: the demo's sender (`make run`, the README's walkthrough reads it)
 *   smtp   e-mail through libcurl's SMTP (smtps:// TLS from the start, smtp:// with
 *          STARTTLS required, or plain text to a relay on the loopback address), with
 *          optional AUTH (user + password read from a file at open)
 *   http   POST {"to", "text", "reference"} as JSON to an SMS/WhatsApp gateway through
 *          libcurl, with "Authorization: Bearer <token>" (token read from a file at
 *          open); any 2xx answer is a success, anything else a failure
 *
 * A send either succeeds or fails with ERR_IO: the caller then answers 503 and records
 * nothing that holds a slot. Nothing here logs; messages in e name the sender and the
 * failure (a curl error, an HTTP status), never the text (which holds a code), the
 * recipient or a secret. Secrets live in sodium_malloc memory and are wiped at close.
 *
 * Threads: notify_send may run on many threads at once (one curl handle per send);
 * notify_open and notify_close at start and stop only.
 * Ownership: struct notify is opaque, freed by notify_close; the message's strings are
 * the caller's.
 */
#ifndef PASPOR_OFFICE_NOTIFY_H
#define PASPOR_OFFICE_NOTIFY_H

#include "office/config.h"
#include "util/err.h"

enum notify_channel { NOTIFY_EMAIL, NOTIFY_PHONE };

struct notify_msg {
	enum notify_channel channel;
	const char *to;      /* an e-mail address or a phone number (checked by the caller) */
	const char *ref;     /* [A-Za-z0-9-]{1,64}: the spool file's name, the gateway's reference */
	const char *subject; /* e-mail only */
	const char *text;    /* UTF-8, lines separated by '\n' */
};

struct notify;

/* Opens the senders of c (dir: the data folder, for relative paths): reads the SMTP
 * password and the gateway token, makes the spool folder (mode 0700). ERR_INPUT when a
 * file is missing or empty, ERR_IO otherwise. c unconfigured: an empty notifier that
 * can send on no channel. */
int notify_open(struct notify **out, const struct config_confirmation *c, const char *dir,
		struct err *e);
void notify_close(struct notify *n);

/* 1 when a sender is configured for the channel. */
int notify_can(const struct notify *n, enum notify_channel ch);
/* The sender's name for the channel: "spool", "smtp", "http" or "none". */
const char *notify_sender_name(const struct notify *n, enum notify_channel ch);

/* Sends m; -1 with ERR_IO when the sender failed (or ERR_INPUT: no sender, bad ref). */
int notify_send(struct notify *n, const struct notify_msg *m, struct err *e);

#endif
