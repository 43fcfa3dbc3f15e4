/*
 * event — encodes, decodes, seals and opens stored events; see event.h and
 * docs/EVENTS.md for the byte layout.
 */
#include "log/event.h"

#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include <sodium.h>

#include "log/canon.h"
#include "util/sodium_ready.h"

#define SEALED_MIN (EVENT_NONCE_BYTES + EVENT_TAG_BYTES + 2) /* the body "{}" sealed */

_Static_assert(CANON_MAX + EVENT_NONCE_BYTES + EVENT_TAG_BYTES == EVENT_BODY_MAX,
	       "a sealed canonical body fits EVENT_BODY_MAX exactly");
_Static_assert(EVENT_HEADER_MAX <= 1024, "the header fits the 1 KiB allowance");
_Static_assert(EVENT_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce");
_Static_assert(EVENT_TAG_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag");
_Static_assert(EVENT_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "key");

/* ---- header fields ---- */

static int check_origin(const char *s, size_t n, struct err *e)
{
	if (n < 1 || n > 255)
		return err_set(e, ERR_INPUT, "origin must be 1 to 255 bytes, not %zu", n);
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return err_set(e, ERR_INPUT,
					       "origin has an empty label or a label ending in '-'");
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return err_set(e, ERR_INPUT,
				       "origin has a byte outside [a-z0-9.-] at offset %zu", i);
		if (c == '-' && label == 0)
			return err_set(e, ERR_INPUT, "origin has a label starting with '-'");
		if (++label > 63)
			return err_set(e, ERR_INPUT, "origin has a label longer than 63 bytes");
	}
	if (label == 0 || s[n - 1] == '-')
		return err_set(e, ERR_INPUT, "origin has an empty label or a label ending in '-'");
	return 0;
}

/* printable ASCII without spaces: 0x21..0x7e */
static int check_token(const char *name, const char *s, size_t n, size_t min,
		       struct err *e)
{
	if (n < min || n > 255)
		return err_set(e, ERR_INPUT, "%s must be %zu to 255 bytes, not %zu", name, min, n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return err_set(e, ERR_INPUT,
				       "%s has a byte that is not printable ASCII without "
				       "spaces at offset %zu", name, i);
	return 0;
}

static int check_kind(const char *s, size_t n, struct err *e)
{
	if (n < 1 || n > 64)
		return err_set(e, ERR_INPUT, "kind must be 1 to 64 bytes, not %zu", n);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
			return err_set(e, ERR_INPUT,
				       "kind has a byte outside [a-z0-9_.] at offset %zu", i);
	}
	return 0;
}

/* Length of a NUL-terminated field held in an array of size cap; cap if unterminated. */
static size_t field_len(const char *s, size_t cap)
{
	return strnlen(s, cap);
}

int event_check_header(const struct event *ev, struct err *e)
{
	if (ev->format != EVENT_FORMAT)
		return err_set(e, ERR_INPUT, "unknown event format %u", ev->format);
	if (ev->seq > EVENT_SEQ_MAX)
		return err_set(e, ERR_INPUT, "seq %" PRIu64 " is out of range", ev->seq);
	if (ev->time_ms < 0 || ev->time_ms > EVENT_TIME_MAX)
		return err_set(e, ERR_INPUT, "time_ms %" PRId64 " is out of range (0 to %lld)",
			       ev->time_ms, EVENT_TIME_MAX);
	if (check_origin(ev->origin, field_len(ev->origin, sizeof ev->origin), e) < 0 ||
	    check_token("actor", ev->actor, field_len(ev->actor, sizeof ev->actor), 1, e) < 0 ||
	    check_kind(ev->kind, field_len(ev->kind, sizeof ev->kind), e) < 0 ||
	    check_token("subject", ev->subject, field_len(ev->subject, sizeof ev->subject), 0,
			e) < 0)
		return -1;
	if (ev->kind_version < 1)
		return err_set(e, ERR_INPUT, "kind_version must be at least 1");
	return 0;
}

/* ---- writing ---- */

static uint8_t *put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

static uint8_t *put_str(uint8_t *p, const char *s, size_t n)
{
	*p++ = (uint8_t)n;
	memcpy(p, s, n);
	return p + n;
}

/* Checks the header and writes it, with body_len as given, to hdr. */
static int header_write(const struct event *ev, size_t body_len,
			uint8_t hdr[EVENT_HEADER_MAX], size_t *hdr_len, struct err *e)
{
	if (event_check_header(ev, e) < 0)
		return -1;
	if (body_len > EVENT_BODY_MAX)
		return err_set(e, ERR_INPUT, "body is %zu bytes, more than the cap of %zu",
			       body_len, EVENT_BODY_MAX);
	uint8_t *p = hdr;
	*p++ = ev->format;
	p = put_be(p, ev->seq, 8);
	p = put_be(p, (uint64_t)ev->time_ms, 8);
	p = put_str(p, ev->origin, strlen(ev->origin));
	p = put_str(p, ev->actor, strlen(ev->actor));
	p = put_str(p, ev->kind, strlen(ev->kind));
	p = put_be(p, ev->kind_version, 2);
	p = put_str(p, ev->subject, strlen(ev->subject));
	p = put_be(p, ev->key_id, 4);
	p = put_be(p, body_len, 4);
	*hdr_len = (size_t)(p - hdr);
	return 0;
}

/* Makes room for n more bytes in out. */
static int reserve(struct buf *out, size_t n, struct err *e)
{
	int was_failed = out->failed;
	if (n > out->max || out->len > out->max - n)
		return err_set(e, ERR_INPUT, "event does not fit the output buffer");
	if (buf_grow(out, n) < 0) {
		out->failed = was_failed;
		return err_nomem(e);
	}
	return 0;
}

int event_aad(const struct event *ev, uint8_t aad[EVENT_HEADER_MAX], size_t *aad_len,
	      struct err *e)
{
	return header_write(ev, ev->body_len, aad, aad_len, e);
}

/*
 * Nonces. A sealed body's 24-byte XChaCha20 nonce must never repeat under one data key;
 * it need not be unpredictable. Each thread draws 16 random bytes once and counts in
 * the other 8 (little-endian), drawing afresh after 2^32 nonces and in a child after
 * fork (the child would otherwise repeat its parent's sequence). Two threads or draws
 * share a prefix with probability about n²/2^129 for n draws, as for random nonces;
 * this saves a getrandom call per event on the writer's hot path.
 */
struct nonce_source {
	uint8_t prefix[16];
	uint64_t count;
	unsigned fork_gen;
	int ready;
};

static _Thread_local struct nonce_source nonce_src;
static unsigned fork_gen; /* bumped in a forked child */
static pthread_once_t nonce_once = PTHREAD_ONCE_INIT;

static void nonce_after_fork(void)
{
	fork_gen++;
}

static void nonce_register(void)
{
	pthread_atfork(NULL, NULL, nonce_after_fork);
}

static void next_nonce(uint8_t out[EVENT_NONCE_BYTES])
{
	struct nonce_source *n = &nonce_src;
	pthread_once(&nonce_once, nonce_register);
	if (!n->ready || n->fork_gen != fork_gen || n->count >= ((uint64_t)1 << 32)) {
		randombytes_buf(n->prefix, sizeof n->prefix);
		n->count = 0;
		n->fork_gen = fork_gen;
		n->ready = 1;
	}
	memcpy(out, n->prefix, sizeof n->prefix);
	uint64_t c = n->count++;
	for (int i = 0; i < 8; i++)
		out[16 + i] = (uint8_t)(c >> (8 * i));
}

static int encode(const struct event *ev, const uint8_t *key, struct buf *out, int check,
		  struct err *e)
{
	uint8_t hdr[EVENT_HEADER_MAX];
	size_t hdr_len;

	if (event_check_header(ev, e) < 0)
		return -1;
	if (!ev->body && ev->body_len)
		return err_set(e, ERR_INPUT, "event body is missing");
	if (check && canon_check(ev->body, ev->body_len, e) < 0) {
		err_prefix(e, "event body");
		return -1;
	}
	if (ev->key_id == 0) {
		if (header_write(ev, ev->body_len, hdr, &hdr_len, e) < 0 ||
		    reserve(out, hdr_len + ev->body_len, e) < 0)
			return -1;
		buf_add(out, hdr, hdr_len);
		buf_add(out, ev->body, ev->body_len);
		return 0;
	}
	if (!key)
		return err_set(e, ERR_INPUT, "no data key given for key_id %" PRIu32, ev->key_id);
	if (libsodium_ready(e) < 0)
		return -1;
	size_t sealed = EVENT_NONCE_BYTES + ev->body_len + EVENT_TAG_BYTES;
	if (header_write(ev, sealed, hdr, &hdr_len, e) < 0 ||
	    reserve(out, hdr_len + sealed, e) < 0)
		return -1;
	uint8_t *start = out->data + out->len;
	memcpy(start, hdr, hdr_len);
	uint8_t *nonce = start + hdr_len;
	next_nonce(nonce);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + EVENT_NONCE_BYTES, &clen, ev->body,
						   ev->body_len, hdr, hdr_len, NULL, nonce, key);
	if (clen != ev->body_len + EVENT_TAG_BYTES) { /* cannot happen */
		sodium_memzero(start, hdr_len + sealed);
		return err_set(e, ERR_CRYPTO, "sealing the event body failed");
	}
	out->len += hdr_len + sealed;
	out->data[out->len] = '\0';
	return 0;
}

int event_encode(const struct event *ev, const uint8_t *key, struct buf *out,
		 struct err *e)
{
	return encode(ev, key, out, 1, e);
}

int event_encode_canonical(const struct event *ev, const uint8_t *key, struct buf *out,
			   struct err *e)
{
	return encode(ev, key, out, 0, e);
}

/* ---- reading ---- */

/*
 * The decoder checks each field with a quick yes/no test equivalent to the check_*
 * function above; only when it says no does it run the check function (and the NUL
 * test that came first) for the message, so the messages are the check functions'
 * (unit test event_decoder_is_strict).
 */
static int is_ldh(unsigned char c)
{
	return (unsigned char)(c - 'a') < 26 || (unsigned char)(c - '0') < 10 || c == '-';
}

static int origin_ok(const char *s, size_t n)
{
	if (n < 1 || n > 255)
		return 0;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if (!is_ldh(c) || (c == '-' && label == 0) || ++label > 63) {
			return 0;
		}
	}
	return label != 0 && s[n - 1] != '-';
}

static int token_ok(const char *s, size_t n, size_t min)
{
	if (n < min || n > 255)
		return 0;
	unsigned bad = 0;
	for (size_t i = 0; i < n; i++)
		bad |= (unsigned char)((unsigned char)s[i] - 0x21) > 0x5d;
	return !bad;
}

static int kind_ok(const char *s, size_t n)
{
	if (n < 1 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((unsigned char)(c - 'a') < 26 || (unsigned char)(c - '0') < 10 || c == '_' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

struct reader {
	const uint8_t *p;
	size_t n, off;
};

static int need(struct reader *r, size_t k, const char *what, struct err *e)
{
	if (r->n - r->off < k)
		return err_set(e, ERR_INPUT, "event is truncated in %s (at byte %zu of %zu)", what,
			       r->off, r->n);
	return 0;
}

static int get_be(struct reader *r, int bytes, const char *what, uint64_t *v,
		  struct err *e)
{
	if (need(r, (size_t)bytes, what, e) < 0)
		return -1;
	uint64_t x = 0;
	for (int i = 0; i < bytes; i++)
		x = (x << 8) | r->p[r->off++];
	*v = x;
	return 0;
}

/* A u8 length and that many bytes, into dst (cap bytes, so at most cap - 1); *len. */
static int get_str(struct reader *r, const char *what, char *dst, size_t cap, size_t *len,
		   struct err *e)
{
	uint64_t n;
	if (get_be(r, 1, what, &n, e) < 0)
		return -1;
	if (n > cap - 1)
		return err_set(e, ERR_INPUT, "%s is %u bytes, more than %zu", what, (unsigned)n,
			       cap - 1);
	if (need(r, (size_t)n, what, e) < 0)
		return -1;
	memcpy(dst, r->p + r->off, (size_t)n);
	dst[n] = '\0';
	r->off += (size_t)n;
	*len = (size_t)n;
	return 0;
}

/* A field whose quick test said no: 1 with e set to "what holds a NUL byte" when it
 * does (a NUL would hide bytes from the checks: this message comes first), else 0. */
static int nul_fault(const char *what, const char *s, size_t n, struct err *e)
{
	if (!memchr(s, '\0', n))
		return 0;
	err_set(e, ERR_INPUT, "%s holds a NUL byte", what);
	return 1;
}

/* The result of a check function that must fail (its quick test said no). */
static int must_fail(int rc, const char *what, struct err *e)
{
	return rc < 0 ? -1 : err_set(e, ERR_INPUT, "%s is not valid", what); /* cannot happen */
}

/* A field s of len bytes that event_decode_memo remembers (origin, kind): passed when its
 * bytes equal memo's (memo_len of them; memo NULL: nothing kept); else ok() is the quick
 * test, check() the full one that words the fault, and a field that passes is copied
 * into memo. */
static int remembered(const char *what, const char *s, size_t len, char *memo,
		      size_t *memo_len, int (*ok)(const char *, size_t),
		      int (*check)(const char *, size_t, struct err *), struct err *e)
{
	/* memo_len 0 is "nothing remembered", never an empty value that passed */
	if (memo && *memo_len != 0 && len == *memo_len && memcmp(s, memo, len) == 0)
		return 0;
	if (!ok(s, len))
		return nul_fault(what, s, len, e) ? -1 : must_fail(check(s, len, e), what, e);
	if (memo) {
		memcpy(memo, s, len + 1);
		*memo_len = len;
	}
	return 0;
}

static int decode(const uint8_t *p, size_t n, struct event *out, struct event_memo *m,
		  struct err *e)
{
	struct reader r = { p, n, 0 };
	uint64_t v;
	size_t len;

	memset(out, 0, offsetof(struct event, origin));
	out->origin[0] = out->actor[0] = out->kind[0] = out->subject[0] = '\0';
	out->kind_version = 0;
	out->key_id = 0;
	out->body = NULL;
	out->body_len = 0;
	if (n > EVENT_MAX)
		return err_set(e, ERR_INPUT, "event is %zu bytes, more than the cap of %zu", n,
			       EVENT_MAX);
	if (get_be(&r, 1, "format", &v, e) < 0)
		return -1;
	out->format = (uint8_t)v;
	if (out->format != EVENT_FORMAT)
		return err_set(e, ERR_INPUT, "unknown event format %u", out->format);
	/* each field is checked as soon as it is read, so a message names the first fault;
	 * the checks are event_check_header's, field by field */
	if (get_be(&r, 8, "seq", &out->seq, e) < 0)
		return -1;
	if (out->seq > EVENT_SEQ_MAX)
		return err_set(e, ERR_INPUT, "seq %" PRIu64 " is out of range", out->seq);
	if (get_be(&r, 8, "time_ms", &v, e) < 0)
		return -1;
	out->time_ms = (int64_t)v;
	if (out->time_ms < 0 || out->time_ms > EVENT_TIME_MAX)
		return err_set(e, ERR_INPUT, "time_ms %" PRId64 " is out of range (0 to %lld)",
			       out->time_ms, EVENT_TIME_MAX);
	if (get_str(&r, "origin", out->origin, sizeof out->origin, &len, e) < 0 ||
	    remembered("origin", out->origin, len, m ? m->origin : NULL,
		       m ? &m->origin_len : NULL, origin_ok, check_origin, e) < 0)
		return -1;
	if (get_str(&r, "actor", out->actor, sizeof out->actor, &len, e) < 0)
		return -1;
	if (!token_ok(out->actor, len, 1))
		return nul_fault("actor", out->actor, len, e)
			       ? -1
			       : must_fail(check_token("actor", out->actor, len, 1, e), "actor", e);
	if (get_str(&r, "kind", out->kind, sizeof out->kind, &len, e) < 0 ||
	    remembered("kind", out->kind, len, m ? m->kind : NULL, m ? &m->kind_len : NULL,
		       kind_ok, check_kind, e) < 0)
		return -1;
	if (get_be(&r, 2, "kind_version", &v, e) < 0)
		return -1;
	out->kind_version = (uint16_t)v;
	if (out->kind_version < 1)
		return err_set(e, ERR_INPUT, "kind_version must be at least 1");
	if (get_str(&r, "subject", out->subject, sizeof out->subject, &len, e) < 0)
		return -1;
	if (!token_ok(out->subject, len, 0))
		return nul_fault("subject", out->subject, len, e)
			       ? -1
			       : must_fail(check_token("subject", out->subject, len, 0, e), "subject",
					   e);
	if (get_be(&r, 4, "key_id", &v, e) < 0)
		return -1;
	out->key_id = (uint32_t)v;
	if (get_be(&r, 4, "body_len", &v, e) < 0)
		return -1;
	if (v > EVENT_BODY_MAX)
		return err_set(e, ERR_INPUT, "body_len %" PRIu64 " is more than the cap of %zu", v,
			       EVENT_BODY_MAX);
	if (v > n - r.off)
		return err_set(e, ERR_INPUT, "event is truncated in body (%" PRIu64
			       " bytes announced, %zu present)", v, n - r.off);
	if (v < n - r.off)
		return err_set(e, ERR_INPUT, "event has %zu trailing bytes after the body",
			       n - r.off - (size_t)v);
	out->body = p + r.off;
	out->body_len = (size_t)v;
	if (out->key_id == 0) {
		if (canon_check(out->body, out->body_len, e) < 0) {
			err_prefix(e, "event clear body");
			return -1;
		}
	} else if (out->body_len < SEALED_MIN) {
		return err_set(e, ERR_INPUT, "sealed body is %zu bytes, less than %d",
			       out->body_len, SEALED_MIN);
	}
	return 0;
}

int event_decode(const uint8_t *p, size_t n, struct event *out, struct err *e)
{
	return decode(p, n, out, NULL, e);
}

int event_decode_memo(const uint8_t *p, size_t n, struct event *out, struct event_memo *m,
		      struct err *e)
{
	return decode(p, n, out, m, e);
}

int event_write(const struct event *ev, struct buf *out, struct err *e)
{
	uint8_t hdr[EVENT_HEADER_MAX];
	size_t hdr_len;
	if (!ev->body && ev->body_len)
		return err_set(e, ERR_INPUT, "event body is missing");
	if (header_write(ev, ev->body_len, hdr, &hdr_len, e) < 0 ||
	    reserve(out, hdr_len + ev->body_len, e) < 0)
		return -1;
	size_t start = out->len;
	buf_add(out, hdr, hdr_len);
	buf_add(out, ev->body, ev->body_len);
	/* only what event_decode accepts is ever written */
	struct event check;
	if (event_decode(out->data + start, out->len - start, &check, e) < 0) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

int event_open(const struct event *ev, const uint8_t *key, struct buf *body_out,
	       struct err *e)
{
	size_t start = body_out->len;

	if (ev->key_id == 0) {
		if (canon_check(ev->body, ev->body_len, e) < 0) {
			err_prefix(e, "event clear body");
			return -1;
		}
		if (reserve(body_out, ev->body_len, e) < 0)
			return -1;
		buf_add(body_out, ev->body, ev->body_len);
		return 0;
	}
	if (!key)
		return err_set(e, ERR_INPUT, "no data key given for key_id %" PRIu32, ev->key_id);
	if (!ev->body || ev->body_len < SEALED_MIN)
		return err_set(e, ERR_INPUT, "sealed body is %zu bytes, less than %d",
			       ev->body_len, SEALED_MIN);
	if (libsodium_ready(e) < 0)
		return -1;
	uint8_t aad[EVENT_HEADER_MAX];
	size_t aad_len;
	if (event_aad(ev, aad, &aad_len, e) < 0)
		return -1;
	size_t clen = ev->body_len - EVENT_NONCE_BYTES;
	size_t mlen_max = clen - EVENT_TAG_BYTES;
	if (reserve(body_out, mlen_max, e) < 0)
		return -1;
	uint8_t *m = body_out->data + start;
	unsigned long long mlen = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(m, &mlen, NULL,
						       ev->body + EVENT_NONCE_BYTES, clen, aad,
						       aad_len, ev->body, key) != 0) {
		sodium_memzero(m, mlen_max);
		body_out->data[start] = '\0';
		return err_set(e, ERR_VERIFY,
			       "event %" PRIu64 " of %s: body does not authenticate under key %"
			       PRIu32 " (wrong key or altered event)", ev->seq, ev->origin,
			       ev->key_id);
	}
	if (canon_check(m, (size_t)mlen, e) < 0) {
		sodium_memzero(m, mlen_max);
		body_out->data[start] = '\0';
		err_prefix(e, "event %" PRIu64 " of %s: sealed body", ev->seq, ev->origin);
		return -1;
	}
	body_out->len = start + (size_t)mlen;
	body_out->data[body_out->len] = '\0';
	return 0;
}
