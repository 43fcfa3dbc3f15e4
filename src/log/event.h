/*
 * event — the stored form of one event in a node's log (docs/EVENTS.md).
 *
 * A stored event is an envelope header followed by a body; integers are big-endian:
 *
 *   u8  format = 1          u64 seq            i64 time_ms
 *   u8  origin_len, origin  u8  actor_len, actor
 *   u8  kind_len, kind      u16 kind_version   u8  subject_len, subject
 *   u32 key_id              u32 body_len, body
 *
 * With key_id ≠ 0 the body is sealed: a 24-byte unique nonce followed by the
 * XChaCha20-Poly1305-IETF ciphertext and tag of the canonical JSON body (log/canon.h),
 * with every header byte before the body (format through body_len) as associated
 * data. With key_id = 0 the body is the canonical JSON in clear (only for bodies
 * without personal data, such as public checkpoints).
 *
 * The Merkle leaf hash covers the stored bytes exactly, so the decoder is strict: it
 * accepts exactly one encoding per event (known format, values in range, allowed
 * characters, exact lengths, no trailing bytes, a clear body in canonical form), and
 * event_write(decoded) gives back the very bytes decoded.
 *
 * Ownership: struct event holds its header strings as NUL-terminated copies in fixed
 * arrays (no allocation, nothing to free). `body` is borrowed: for event_encode it is
 * the caller's canonical body in clear; after event_decode it points at the stored
 * (sealed, or clear when key_id = 0) body inside the bytes given to event_decode, which
 * must outlive the struct's use.
 *
 * Keys are 32-byte data keys chosen by key_id; this module never stores, copies or
 * prints a key or a body. Errors: ERR_INPUT for malformed bytes or fields (the message
 * names the field), ERR_VERIFY when a sealed body fails authentication (wrong key or
 * altered event), ERR_NOMEM, ERR_CRYPTO if libsodium cannot start.
 */
#ifndef PASPOR_LOG_EVENT_H
#define PASPOR_LOG_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define EVENT_FORMAT 1
#define EVENT_BODY_MAX ((size_t)1 << 20)                 /* stored body, sealed or clear */
#define EVENT_MAX (EVENT_BODY_MAX + 1024)                 /* whole stored event */
#define EVENT_HEADER_MAX (1 + 8 + 8 + 3 * 256 + 65 + 2 + 4 + 4) /* 860 */
#define EVENT_KEY_BYTES 32
#define EVENT_NONCE_BYTES 24
#define EVENT_TAG_BYTES 16
#define EVENT_SEQ_MAX ((uint64_t)INT64_MAX)               /* fits SQLite's INTEGER */
#define EVENT_TIME_MAX 253402300799999LL                  /* 9999-12-31T23:59:59.999Z */

struct event {
	uint8_t format;         /* EVENT_FORMAT */
	uint64_t seq;           /* leaf index in the origin's log, 0..EVENT_SEQ_MAX */
	int64_t time_ms;        /* UTC ms since the epoch, 0..EVENT_TIME_MAX */
	char origin[256];       /* 1..255 bytes: DNS name, [a-z0-9.-], LDH labels */
	char actor[256];        /* 1..255 bytes of printable ASCII without spaces */
	char kind[65];          /* 1..64 bytes of [a-z0-9_.] */
	uint16_t kind_version;  /* >= 1 */
	char subject[256];      /* 0..255 bytes of printable ASCII without spaces */
	uint32_t key_id;        /* data key that sealed the body; 0 = body in clear */
	const uint8_t *body;    /* borrowed; see above */
	size_t body_len;
};

/* Checks the header fields of ev (not the body): 0, or -1 with ERR_INPUT naming the
 * field. */
int event_check_header(const struct event *ev, struct err *e);

/*
 * Appends the stored bytes of ev to out. ev->body is the canonical body in clear (it is
 * checked). With ev->key_id ≠ 0 the body is sealed under key (32 bytes) with a fresh
 * nonce (16 random bytes per thread, then a counter: event.c, "Nonces"); with key_id = 0 key is ignored (may be NULL) and the body is stored in
 * clear. On failure out is left as it was.
 */
int event_encode(const struct event *ev, const uint8_t *key, struct buf *out,
		 struct err *e);
/* event_encode without the canonical-body check, for a caller that has just checked
 * ev->body with canon_parse (the writer, which parses each body once). */
int event_encode_canonical(const struct event *ev, const uint8_t *key, struct buf *out,
			   struct err *e);

/*
 * Parses the stored event p[0..n) into *out without any key: checks every header field
 * and, when key_id = 0, that the body is canonical; when key_id ≠ 0 only the sealed
 * body's length (nonce + tag + at least "{}"). out->body points into p. On failure
 * *out holds whatever was read so far and must not be used.
 */
int event_decode(const uint8_t *p, size_t n, struct event *out, struct err *e);

/*
 * What event_decode_memo remembers between events: the last origin and kind that
 * passed their checks (their bytes, not a verdict about later events). Start with
 * EVENT_MEMO_INIT; one per thread (it is not shared).
 */
struct event_memo {
	size_t origin_len, kind_len; /* 0: nothing remembered */
	char origin[256];
	char kind[65];
};
#define EVENT_MEMO_INIT { 0, 0, { 0 }, { 0 } }

/*
 * event_decode for a stream of events, as strict: an origin or kind whose bytes equal
 * the last ones that passed their checks is not checked again (the checks depend on
 * the bytes alone); any other is checked in full and, when it passes, remembered. The
 * result, messages included, are those of event_decode.
 */
int event_decode_memo(const uint8_t *p, size_t n, struct event *out, struct event_memo *m,
		      struct err *e);

/*
 * Appends ev's stored bytes — header and the stored body as it is — to out: for a
 * decoded event exactly the bytes decoded. Used to re-emit an event and to check that
 * encode(decode(x)) = x. On failure out is left as it was.
 */
int event_write(const struct event *ev, struct buf *out, struct err *e);

/*
 * The associated data of a decoded event's sealed body: the header bytes, format
 * through body_len, written to aad (EVENT_HEADER_MAX bytes) with their length in
 * *aad_len. Since the header has exactly one encoding, this is the prefix
 * p[0 .. n - body_len) of the stored bytes.
 */
int event_aad(const struct event *ev, uint8_t aad[EVENT_HEADER_MAX], size_t *aad_len,
	      struct err *e);

/*
 * Appends the canonical body in clear of a decoded event to body_out: decrypts with
 * key (the data key numbered ev->key_id; ignored when key_id = 0), then checks the
 * body is canonical. ERR_VERIFY when authentication fails. On failure body_out is left
 * as it was (any plaintext written is wiped first). body_out must not be the buffer
 * holding the event's stored bytes (growing it could move them).
 */
int event_open(const struct event *ev, const uint8_t *key, struct buf *body_out,
	       struct err *e);

#endif
