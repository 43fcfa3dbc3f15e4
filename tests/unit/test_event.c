/*
 * Unit tests of log/event: the stored event (docs/EVENTS.md). Known answers are byte
 * strings written field by field from the byte table in docs/EVENTS.md, and a sealed
 * event built in the test straight from the contract (libsodium's XChaCha20-Poly1305
 * with the header as associated data), not from event_encode's own output.
 */
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "harness.h"
#include "log/canon.h"
#include "log/event.h"
#include "util/alloc.h"

static const uint8_t test_key[32] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

static void fill(struct event *ev, uint32_t key_id, const char *body)
{
	memset(ev, 0, sizeof *ev);
	ev->format = EVENT_FORMAT;
	ev->seq = 41;
	ev->time_ms = 1717200000000;
	snprintf(ev->origin, sizeof ev->origin, "kanim-samarinda.imigrasi.go.id");
	snprintf(ev->actor, sizeof ev->actor, "officer:ayu");
	snprintf(ev->kind, sizeof ev->kind, "booking.created");
	ev->kind_version = 1;
	snprintf(ev->subject, sizeof ev->subject, "app:01HZX");
	ev->key_id = key_id;
	ev->body = (const uint8_t *)body;
	ev->body_len = strlen(body);
}

/* A clear event, byte by byte from the table: seq 1, time 1717200000000, origin "a.b",
 * actor "system", kind "x.y" version 2, empty subject, key_id 0, body "{}". */
static const uint8_t clear_event[] =
	"\x01"                             /* format */
	"\x00\x00\x00\x00\x00\x00\x00\x01" /* seq */
	"\x00\x00\x01\x8f\xd1\x18\x94\x00" /* time_ms */
	"\x03" "a.b"                       /* origin */
	"\x06" "system"                    /* actor */
	"\x03" "x.y"                       /* kind */
	"\x00\x02"                         /* kind_version */
	"\x00"                             /* subject */
	"\x00\x00\x00\x00"                 /* key_id */
	"\x00\x00\x00\x02" "{}";           /* body_len, body */

TEST(event_clear_matches_the_byte_table)
{
	struct event ev;
	memset(&ev, 0, sizeof ev);
	ev.format = 1;
	ev.seq = 1;
	ev.time_ms = 1717200000000;
	strcpy(ev.origin, "a.b");
	strcpy(ev.actor, "system");
	strcpy(ev.kind, "x.y");
	ev.kind_version = 2;
	ev.body = (const uint8_t *)"{}";
	ev.body_len = 2;
	struct buf b;
	buf_init(&b, 0);
	struct err e = ERR_INIT;
	CHECK_INT_EQ(event_encode(&ev, NULL, &b, &e), 0);
	CHECK_INT_EQ(b.len, sizeof clear_event - 1);
	CHECK_MEM_EQ(b.data, clear_event, b.len);
	buf_release(&b);

	struct event d;
	CHECK_INT_EQ(event_decode(clear_event, sizeof clear_event - 1, &d, &e), 0);
	CHECK_INT_EQ(d.seq, 1);
	CHECK_INT_EQ(d.time_ms, 1717200000000);
	CHECK_STR_EQ(d.origin, "a.b");
	CHECK_STR_EQ(d.actor, "system");
	CHECK_STR_EQ(d.kind, "x.y");
	CHECK_INT_EQ(d.kind_version, 2);
	CHECK_STR_EQ(d.subject, "");
	CHECK_INT_EQ(d.key_id, 0);
	CHECK_INT_EQ(d.body_len, 2);
	CHECK(d.body == clear_event + sizeof clear_event - 3);
	buf_init(&b, 0);
	CHECK_INT_EQ(event_open(&d, NULL, &b, &e), 0);
	CHECK_STR_EQ(buf_str(&b), "{}");
	buf_release(&b);
}

/* The header of a sealed event, from the table: seq 0, key_id 7, body of 29 bytes
 * sealed into 24 + 29 + 16 = 69 (0x45). */
static const uint8_t sealed_header[] =
	"\x01"
	"\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x01\x8f\xd1\x18\x94\x00"
	"\x1e" "kanim-samarinda.imigrasi.go.id"
	"\x0b" "officer:ayu"
	"\x0f" "booking.created"
	"\x00\x01"
	"\x09" "app:01HZX"
	"\x00\x00\x00\x07"
	"\x00\x00\x00\x45";

TEST(event_sealed_built_from_the_contract_opens)
{
	const char *body = "{\"fee\":350000,\"slot\":\"09:00\"}";
	size_t hl = sizeof sealed_header - 1, bl = strlen(body);
	CHECK_INT_EQ(bl, 29);
	uint8_t stored[96 + 69];
	CHECK_INT_EQ(hl, 96);
	memcpy(stored, sealed_header, hl);
	uint8_t *nonce = stored + hl;
	for (int i = 0; i < 24; i++)
		nonce[i] = (uint8_t)(0xa0 + i);
	unsigned long long clen;
	CHECK(sodium_init() >= 0);
	crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + 24, &clen, (const uint8_t *)body, bl,
						   stored, hl, NULL, nonce, test_key);
	CHECK_INT_EQ(clen, bl + 16);

	struct event d;
	struct err e = ERR_INIT;
	CHECK_INT_EQ(event_decode(stored, sizeof stored, &d, &e), 0);
	CHECK_INT_EQ(d.key_id, 7);
	CHECK_INT_EQ(d.body_len, 69);
	uint8_t aad[EVENT_HEADER_MAX];
	size_t aad_len;
	CHECK_INT_EQ(event_aad(&d, aad, &aad_len, &e), 0);
	CHECK_INT_EQ(aad_len, hl);
	CHECK_MEM_EQ(aad, sealed_header, hl);
	struct buf b;
	buf_init(&b, 0);
	CHECK_INT_EQ(event_open(&d, test_key, &b, &e), 0);
	CHECK_STR_EQ(buf_str(&b), body);
	buf_release(&b);

	/* event_encode writes the same header for the same fields */
	struct event ev;
	fill(&ev, 7, body);
	ev.seq = 0;
	buf_init(&b, 0);
	CHECK_INT_EQ(event_encode(&ev, test_key, &b, &e), 0);
	CHECK_INT_EQ(b.len, sizeof stored);
	CHECK_MEM_EQ(b.data, sealed_header, hl);
	CHECK(memcmp(b.data + hl + 24, stored + hl + 24, 69 - 24) != 0); /* fresh nonce */
	buf_release(&b);
}

TEST(event_roundtrip_sealed)
{
	const char *body = "{\"name\":\"Jos\xc3\xa9\",\"nik\":\"6472010101900001\"}";
	struct event ev, d;
	fill(&ev, 3, body);
	struct buf b, again, clear;
	buf_init(&b, 0);
	buf_init(&again, 0);
	buf_init(&clear, 0);
	struct err e = ERR_INIT;
	CHECK_INT_EQ(event_encode(&ev, test_key, &b, &e), 0);
	CHECK(memmem(b.data, b.len, "Jos", 3) == NULL); /* the body is not in clear */
	CHECK_INT_EQ(event_decode(b.data, b.len, &d, &e), 0);
	CHECK_INT_EQ(d.seq, ev.seq);
	CHECK_INT_EQ(d.time_ms, ev.time_ms);
	CHECK_STR_EQ(d.origin, ev.origin);
	CHECK_STR_EQ(d.actor, ev.actor);
	CHECK_STR_EQ(d.kind, ev.kind);
	CHECK_INT_EQ(d.kind_version, ev.kind_version);
	CHECK_STR_EQ(d.subject, ev.subject);
	CHECK_INT_EQ(d.key_id, 3);
	CHECK_INT_EQ(d.body_len, strlen(body) + 40);
	CHECK_INT_EQ(event_write(&d, &again, &e), 0); /* encode(decode(x)) == x */
	CHECK_INT_EQ(again.len, b.len);
	CHECK_MEM_EQ(again.data, b.data, b.len);
	buf_addstr(&clear, "x");
	CHECK_INT_EQ(event_open(&d, test_key, &clear, &e), 0);
	CHECK_STR_EQ(buf_str(&clear) + 1, body);
	/* a wrong key is an authentication failure */
	uint8_t other[32];
	memcpy(other, test_key, 32);
	other[31] ^= 1;
	struct err e2 = ERR_INIT;
	CHECK_INT_EQ(event_open(&d, other, &clear, &e2), -1);
	CHECK_INT_EQ(e2.code, ERR_VERIFY);
	CHECK(strstr(e2.msg, "does not authenticate"));
	CHECK(clear.len == 1 + strlen(body)); /* left as the first open made it */
	CHECK_STR_EQ(buf_str(&clear) + 1, body);
	buf_release(&b);
	buf_release(&again);
	buf_release(&clear);
}

/* Every single-byte change of a sealed event is caught by event_decode or event_open. */
TEST(event_every_byte_change_is_caught)
{
	struct event ev, d;
	fill(&ev, 1, "{\"a\":1}");
	snprintf(ev.origin, sizeof ev.origin, "o.id");
	snprintf(ev.actor, sizeof ev.actor, "sys");
	snprintf(ev.kind, sizeof ev.kind, "k");
	snprintf(ev.subject, sizeof ev.subject, "s");
	struct buf b, out;
	buf_init(&b, 0);
	buf_init(&out, 0);
	CHECK_INT_EQ(event_encode(&ev, test_key, &b, NULL), 0);
	uint8_t *x = malloc(b.len);
	CHECK(x);
	long tried = 0, escaped = 0;
	for (size_t i = 0; i < b.len; i++) {
		for (int v = 0; v < 256; v++) {
			if (v == b.data[i])
				continue;
			memcpy(x, b.data, b.len);
			x[i] = (uint8_t)v;
			tried++;
			if (event_decode(x, b.len, &d, NULL) < 0)
				continue;
			buf_reset(&out);
			struct err e = ERR_INIT;
			if (event_open(&d, test_key, &out, &e) == 0) {
				printf("FAIL-DETAIL byte %zu = 0x%02x accepted\n", i, v);
				escaped++;
			}
		}
	}
	free(x);
	buf_release(&b);
	buf_release(&out);
	printf("ok unit: event_every_byte_change_is_caught: %ld changes tried\n", tried);
	CHECK(tried > 20000);
	CHECK_INT_EQ(escaped, 0);
}

TEST(event_truncation_and_trailing_bytes_rejected)
{
	struct event ev, d;
	struct buf b;
	buf_init(&b, 0);
	fill(&ev, 9, "{\"a\":[1,2,3]}");
	CHECK_INT_EQ(event_encode(&ev, test_key, &b, NULL), 0);
	fill(&ev, 0, "{\"a\":[1,2,3]}");
	size_t first = b.len;
	CHECK_INT_EQ(event_encode(&ev, NULL, &b, NULL), 0);
	const uint8_t *evs[2] = { b.data, b.data + first };
	size_t lens[2] = { first, b.len - first };
	int bad = 0;
	for (int k = 0; k < 2; k++) {
		uint8_t *x = malloc(lens[k] + 1);
		CHECK(x);
		memcpy(x, evs[k], lens[k]);
		for (size_t n = 0; n < lens[k]; n++) {
			struct err e = ERR_INIT;
			if (event_decode(x, n, &d, &e) == 0 || e.code != ERR_INPUT)
				bad++;
		}
		x[lens[k]] = 0;
		struct err e = ERR_INIT;
		if (event_decode(x, lens[k] + 1, &d, &e) == 0 || !strstr(e.msg, "trailing"))
			bad++;
		if (event_decode(x, lens[k], &d, &e) != 0)
			bad++;
		free(x);
	}
	buf_release(&b);
	CHECK_INT_EQ(bad, 0);
}

/* Encodes ev in clear, lets edit change the bytes, and expects event_decode to refuse
 * with a message containing why. */
static int decode_refuses(const char *what, void (*edit)(struct buf *), const char *why)
{
	struct event ev, d;
	fill(&ev, 0, "{}");
	struct buf b;
	buf_init(&b, 0);
	if (event_encode(&ev, NULL, &b, NULL) < 0)
		return 0;
	edit(&b);
	struct err e = ERR_INIT;
	int r = event_decode(b.data, b.len, &d, &e);
	int good = r == -1 && e.code == ERR_INPUT && strstr(e.msg, why);
	printf("%s unit: event_decoder_is_strict: %s\n", good ? "ok" : "FAIL-DETAIL", what);
	if (!good)
		printf("FAIL-DETAIL   r=%d msg=\"%s\", expected \"%s\"\n", r, e.msg, why);
	/* event_decode_memo with nothing remembered answers the same, message included */
	struct event_memo m = EVENT_MEMO_INIT;
	struct err em = ERR_INIT;
	int rm = event_decode_memo(b.data, b.len, &d, &m, &em);
	if (rm != r || em.code != e.code || strcmp(em.msg, e.msg) != 0) {
		printf("FAIL-DETAIL   event_decode_memo: r=%d msg=\"%s\"\n", rm, em.msg);
		good = 0;
	}
	buf_release(&b);
	return good;
}

/* offsets in the clear event built by fill(): 0 format, 1 seq, 9 time, 17 origin_len,
 * 18 origin (30), 48 actor_len, 49 actor (11), 60 kind_len, 61 kind (15),
 * 76 kind_version, 78 subject_len, 79 subject (9), 88 key_id, 92 body_len, 96 body */
static void ed_format(struct buf *b) { b->data[0] = 2; }
static void ed_format0(struct buf *b) { b->data[0] = 0; }
static void ed_seq(struct buf *b) { b->data[1] = 0x80; }
static void ed_time(struct buf *b) { b->data[9] = 0xff; }
static void ed_time_far(struct buf *b) { b->data[10] = 0x01; }
static void ed_origin_upper(struct buf *b) { b->data[18] = 'K'; }
static void ed_origin_dot(struct buf *b) { b->data[18] = '.'; }
static void ed_origin_hyphen(struct buf *b) { b->data[47] = '-'; }
static void ed_origin_nul(struct buf *b) { b->data[20] = 0; }
static void ed_origin_empty(struct buf *b) { b->data[17] = 0; }
static void ed_kind_empty(struct buf *b) { b->data[60] = 0; }
static void ed_actor_space(struct buf *b) { b->data[50] = ' '; }
static void ed_actor_high(struct buf *b) { b->data[50] = 0xc3; }
static void ed_kind_upper(struct buf *b) { b->data[62] = 'O'; }
static void ed_kind_dash(struct buf *b) { b->data[62] = '-'; }
static void ed_version0(struct buf *b) { b->data[77] = 0; }
static void ed_subject_del(struct buf *b) { b->data[80] = 0x7f; }
static void ed_key0_bad_body(struct buf *b) { b->data[96] = '['; b->data[97] = ']'; }
static void ed_body_ws(struct buf *b) { buf_truncate(b, 96); buf_addstr(b, "{ }"); b->data[95] = 3; }
static void ed_body_len_big(struct buf *b) { b->data[93] = 0x20; }
static void ed_sealed_short(struct buf *b) { b->data[91] = 1; }

TEST(event_decoder_is_strict)
{
	int good = 1;
	good &= decode_refuses("format 2", ed_format, "unknown event format 2");
	good &= decode_refuses("format 0", ed_format0, "unknown event format 0");
	good &= decode_refuses("seq >= 2^63", ed_seq, "seq");
	good &= decode_refuses("negative time", ed_time, "time_ms");
	good &= decode_refuses("time after year 9999", ed_time_far, "time_ms");
	good &= decode_refuses("origin upper case", ed_origin_upper, "origin has a byte outside");
	good &= decode_refuses("origin leading dot", ed_origin_dot, "empty label");
	good &= decode_refuses("origin trailing hyphen", ed_origin_hyphen, "origin");
	good &= decode_refuses("origin NUL", ed_origin_nul, "NUL");
	good &= decode_refuses("origin empty", ed_origin_empty, "origin");
	good &= decode_refuses("actor space", ed_actor_space, "actor has a byte");
	good &= decode_refuses("actor non-ASCII", ed_actor_high, "actor has a byte");
	good &= decode_refuses("kind upper case", ed_kind_upper, "kind has a byte");
	good &= decode_refuses("kind hyphen", ed_kind_dash, "kind has a byte");
	good &= decode_refuses("kind empty", ed_kind_empty, "kind");
	good &= decode_refuses("kind_version 0", ed_version0, "kind_version");
	good &= decode_refuses("subject DEL", ed_subject_del, "subject has a byte");
	good &= decode_refuses("clear body not an object", ed_key0_bad_body, "top level is not an object");
	good &= decode_refuses("clear body whitespace", ed_body_ws, "whitespace");
	good &= decode_refuses("body_len over the cap", ed_body_len_big, "cap");
	good &= decode_refuses("sealed body too short", ed_sealed_short, "sealed body is 2 bytes");
	CHECK(good);
}

TEST(event_encode_refuses_bad_fields_and_bodies)
{
	struct event ev;
	struct buf b;
	buf_init(&b, 0);
	buf_addstr(&b, "keep");
	struct err e = ERR_INIT;

	fill(&ev, 1, "{\"b\":1,\"a\":2}");
	CHECK_INT_EQ(event_encode(&ev, test_key, &b, &e), -1);
	CHECK(strstr(e.msg, "event body: keys not sorted"));
	err_clear(&e);
	fill(&ev, 1, "{}");
	CHECK_INT_EQ(event_encode(&ev, NULL, &b, &e), -1);
	CHECK(strstr(e.msg, "no data key"));
	err_clear(&e);
	fill(&ev, 1, "{}");
	strcpy(ev.origin, "Kanim");
	CHECK_INT_EQ(event_encode(&ev, test_key, &b, &e), -1);
	CHECK(strstr(e.msg, "origin"));
	err_clear(&e);
	fill(&ev, 1, "{}");
	memset(ev.kind, 'a', sizeof ev.kind); /* 65 bytes, unterminated */
	CHECK_INT_EQ(event_encode(&ev, test_key, &b, &e), -1);
	CHECK(strstr(e.msg, "kind must be 1 to 64 bytes"));
	err_clear(&e);
	fill(&ev, 1, "{}");
	ev.format = 0;
	CHECK_INT_EQ(event_encode(&ev, test_key, &b, &e), -1);
	CHECK(strstr(e.msg, "format"));
	CHECK_STR_EQ(buf_str(&b), "keep");
	CHECK(buf_ok(&b));
	buf_release(&b);

	/* an output buffer too small */
	buf_init(&b, 64);
	err_clear(&e);
	fill(&ev, 1, "{}");
	CHECK_INT_EQ(event_encode(&ev, test_key, &b, &e), -1);
	CHECK(strstr(e.msg, "does not fit"));
	CHECK_INT_EQ(b.len, 0);
	buf_release(&b);
}

TEST(event_largest_body_fits_the_caps)
{
	/* a canonical body of CANON_MAX bytes seals into exactly EVENT_BODY_MAX */
	size_t n = CANON_MAX;
	char *body = malloc(n + 1);
	CHECK(body);
	memset(body, 'x', n);
	memcpy(body, "{\"a\":\"", 6);
	memcpy(body + n - 2, "\"}", 3);
	struct event ev, d;
	memset(&d, 0, sizeof d);
	fill(&ev, 2, body);
	struct buf b, clear;
	buf_init(&b, EVENT_MAX);
	buf_init(&clear, 0);
	struct err e = ERR_INIT;
	int r1 = event_encode(&ev, test_key, &b, &e);
	int r2 = r1 == 0 ? event_decode(b.data, b.len, &d, &e) : -1;
	int r3 = r2 == 0 ? event_open(&d, test_key, &clear, &e) : -1;
	int same = r3 == 0 && clear.len == n && memcmp(clear.data, body, n) == 0;
	free(body);
	size_t body_len = d.body_len, total = b.len;
	buf_release(&b);
	buf_release(&clear);
	CHECK_STR_EQ(e.msg, "");
	CHECK(same);
	CHECK_INT_EQ(body_len, EVENT_BODY_MAX);
	CHECK(total <= EVENT_MAX);
}

/* Each allocation in encode + decode + open fails in turn: each function fails cleanly
 * with ERR_NOMEM (LeakSanitizer checks for leaks when the case ends). */
TEST(event_survives_allocation_failures)
{
	const char *body = "{\"a\":{\"b\":[1,2,\"Jos\xc3\xa9\"]},\"c\":null}";
	struct event ev, d;
	struct buf b, clear;
	canon_init();
	unsigned long before = mem_allocations();
	fill(&ev, 5, body);
	buf_init(&b, 0);
	buf_init(&clear, 0);
	CHECK_INT_EQ(event_encode(&ev, test_key, &b, NULL), 0);
	CHECK_INT_EQ(event_decode(b.data, b.len, &d, NULL), 0);
	CHECK_INT_EQ(event_open(&d, test_key, &clear, NULL), 0);
	long count = (long)(mem_allocations() - before);
	buf_release(&b);
	buf_release(&clear);
	CHECK(count > 5);
	int bad = 0, failures = 0;
	for (long n = 0; n <= count; n++) {
		struct err e = ERR_INIT;
		buf_init(&b, 0);
		buf_init(&clear, 0);
		mem_fail_after(n);
		int r = event_encode(&ev, test_key, &b, &e);
		if (r == 0)
			r = event_decode(b.data, b.len, &d, &e);
		if (r == 0)
			r = event_open(&d, test_key, &clear, &e);
		mem_fail_after(-1);
		if (r < 0)
			failures++;
		if ((r < 0 && e.code != ERR_NOMEM) ||
		    (r == 0 && strcmp(buf_str(&clear), body) != 0)) {
			printf("FAIL-DETAIL fail after %ld: r=%d msg=\"%s\"\n", n, r, e.msg);
			bad++;
		}
		buf_release(&b);
		buf_release(&clear);
	}
	CHECK_INT_EQ(bad, 0);
	CHECK_INT_EQ(failures, count); /* n = count lets every allocation through */
}
