/*
 * Unit tests of log/canon: the canonical event body (docs/EVENTS.md). The table states
 * the rules of the contract input by input — accepted, or rejected with the reason the
 * message must contain — rather than comparing with our own output. jansson's escape
 * forms (\u001F upper-case, "é" raw, "/" raw) were checked against
 * json_dumps(JSON_COMPACT | JSON_SORT_KEYS) of jansson 2.14 by hand.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "log/canon.h"
#include "util/alloc.h"

struct canon_case {
	const char *in;
	size_t len;        /* 0: strlen(in) */
	const char *why;   /* NULL: accepted; else a substring of the message */
};

static const struct canon_case cases[] = {
	/* accepted */
	{ "{}", 0, NULL },
	{ "{\"a\":1}", 0, NULL },
	{ "{\"a\":-1,\"b\":true,\"c\":false,\"d\":null}", 0, NULL },
	{ "{\"a\":[1,\"x\",{\"b\":2},[]],\"c\":{\"d\":{}}}", 0, NULL },
	{ "{\"name\":\"Jos\xc3\xa9\"}", 0, NULL },                 /* é raw, NFC */
	{ "{\"a\":9007199254740991,\"b\":-9007199254740991}", 0, NULL },
	{ "{\"a\":\"\\u001F\"}", 0, NULL },                        /* jansson's escape */
	{ "{\"a\":\"\\\"\\\\\\b\\f\\n\\r\\t\"}", 0, NULL },
	{ "{\"a\":\"/\x7f\"}", 0, NULL },                          /* '/' and DEL raw */
	{ "{\"A\":1,\"B\":2,\"a\":3}", 0, NULL },                  /* byte order */
	{ "{\"a\":1,\"ab\":2,\"b\":3}", 0, NULL },                 /* prefix first */
	{ "{\"z\":2,\"\xc3\xa9\":1}", 0, NULL },                   /* 0x7a < 0xc3 */
	{ "{\"a\":0}", 0, NULL },
	{ "{\"e\":\"\xf0\x9f\x98\x80\xea\xb0\x80\"}", 0, NULL },   /* emoji, Hangul syllable */
	/* rejected */
	{ "{\"b\":1,\"a\":2}", 0, "keys not sorted at top level" },
	{ "{\"a\":{\"y\":1,\"x\":2}}", 0, "keys not sorted at .a" },
	{ "{\"\xc3\xa9\":1,\"z\":2}", 0, "keys not sorted" },
	{ "{\"a\":1,\"a\":2}", 0, "duplicate key 'a'" },
	{ "{\"a\":{\"x\":1,\"x\":1}}", 0, "duplicate key 'x'" },
	{ "{ \"a\":1}", 0, "whitespace outside strings at byte 1" },
	{ "{\"a\": 1}", 0, "whitespace outside strings" },
	{ "{\"a\":1}\n", 0, "whitespace outside strings" },
	{ "{\"a\":1.0}", 0, "number at .a is not an integer" },
	{ "{\"fee\":1.5}", 0, "number at .fee is not an integer" },
	{ "{\"a\":1e3}", 0, "number at .a is not an integer" },
	{ "{\"a\":[1,2.5]}", 0, "number at .a[1] is not an integer" },
	{ "{\"a\":-0}", 0, "-0" },
	{ "{\"a\":9007199254740992}", 0, "integer at .a is out of range" },
	{ "{\"a\":-9007199254740992}", 0, "integer at .a is out of range" },
	{ "{\"a\":99999999999999999999}", 0, "out of range" },
	{ "{\"a\":01}", 0, "invalid JSON" },
	{ "{\"a\":\"\\u00e9\"}", 0, "string escape" },              /* jansson writes é raw */
	{ "{\"a\":\"\\/\"}", 0, "string escape" },
	{ "{\"a\":\"\\u001f\"}", 0, "string escape" },              /* lower-case hex */
	{ "{\"\\u0061\":1}", 0, "string escape" },
	{ "{\"name\":\"e\xcc\x81\"}", 0, "string at .name is not NFC" },   /* NFD é */
	{ "{\"name\":\"e\\u0301\"}", 0, "string at .name is not NFC" },
	{ "{\"e\xcc\x81\":1}", 0, "key at .e" },
	{ "{\"a\":{\"b\":[\"\xe1\x84\x80\xe1\x85\xa1\"]}}", 0, "string at .a.b[0] is not NFC" },
	{ "[1]", 0, "top level is not an object" },
	{ "1", 0, "top level is not an object" },
	{ "\"x\"", 0, "top level is not an object" },
	{ "{\"a\":\"\xff\"}", 0, "invalid UTF-8" },
	{ "{\"a\":\"\xc3\"}", 0, "invalid UTF-8" },
	{ "{\"a\":\"\xc0\xaf\"}", 0, "invalid UTF-8" },              /* overlong '/' */
	{ "{\"a\":\"\xed\xa0\x80\"}", 0, "invalid UTF-8" },           /* surrogate */
	{ "{\"a\":\"\\u0000\"}", 0, "U+0000" },
	{ "{\"a\":\"\x01\"}", 0, "invalid JSON" },                    /* raw control */
	{ "", 0, "invalid JSON" },
	{ "{\"a\":1}x", 0, "invalid JSON" },
	{ "{\"a\":1,}", 0, "invalid JSON" },
	{ "{\"a\":NaN}", 0, "invalid JSON" },
	{ "\xef\xbb\xbf{}", 0, "invalid JSON" },                      /* BOM */
	{ "{\"a\":1}\0", 8, "invalid JSON" },
};

TEST(canon_check_table)
{
	int bad = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct canon_case *c = &cases[i];
		size_t n = c->len ? c->len : strlen(c->in);
		struct err e = ERR_INIT;
		int r = canon_check((const uint8_t *)c->in, n, &e);
		int good;
		if (!c->why)
			good = r == 0 && e.code == ERR_NONE;
		else
			good = r == -1 && e.code == ERR_INPUT && strstr(e.msg, c->why);
		printf("%s unit: canon_check_table case %zu (%s)\n", good ? "ok" : "FAIL-DETAIL", i,
		       c->why ? c->why : "accepted");
		if (!good) {
			printf("FAIL-DETAIL   got r=%d msg=\"%s\"\n", r, e.msg);
			bad++;
		}
	}
	CHECK_INT_EQ(bad, 0);
}

TEST(canon_check_size_cap)
{
	/* {"a":"xxx…"} of CANON_MAX + 1 bytes is refused for its size */
	size_t n = CANON_MAX + 1;
	char *p = malloc(n);
	CHECK(p);
	memset(p, 'x', n);
	memcpy(p, "{\"a\":\"", 6);
	memcpy(p + n - 2, "\"}", 2);
	struct err e = ERR_INIT;
	int r = canon_check((const uint8_t *)p, n, &e);
	int r2 = canon_check((const uint8_t *)p + 1, n - 1, NULL); /* {"a":... minus '{' */
	/* the same body at exactly CANON_MAX bytes is accepted */
	memcpy(p + 1, "{\"a\":\"", 6);
	struct err e3 = ERR_INIT;
	int r3 = canon_check((const uint8_t *)p + 1, n - 1, &e3);
	free(p);
	CHECK_INT_EQ(r, -1);
	CHECK(strstr(e.msg, "cap"));
	CHECK_INT_EQ(r2, -1);
	CHECK_INT_EQ(r3, 0);
}

TEST(canon_parse_hands_back_the_value)
{
	json_t *v;
	struct err e = ERR_INIT;
	const char *s = "{\"fee\":350000,\"name\":\"Ayu\"}";
	CHECK_INT_EQ(canon_parse((const uint8_t *)s, strlen(s), &v, &e), 0);
	CHECK_INT_EQ(json_integer_value(json_object_get(v, "fee")), 350000);
	json_decref(v);
	CHECK_INT_EQ(canon_parse((const uint8_t *)"[]", 2, &v, &e), -1);
	CHECK(v == NULL);
}

static json_t *obj1_real(void)
{
	json_t *o = json_object();
	json_object_set_new(o, "fee", json_real(1.5));
	return o;
}

TEST(canon_from_json_sorts_and_compacts)
{
	json_t *v = json_object(), *inner = json_object(), *arr = json_array();
	CHECK(v && inner && arr);
	json_object_set_new(v, "zeta", json_integer(-5));
	json_object_set_new(v, "\xc3\xa9tat", json_string("Jos\xc3\xa9 / \"q\"\n"));
	json_object_set_new(inner, "y", json_null());
	json_object_set_new(inner, "x", json_true());
	json_object_set_new(v, "inner", inner);
	json_array_append_new(arr, json_integer(CANON_INT_MAX));
	json_array_append_new(arr, json_string("\x1f"));
	json_object_set_new(v, "arr", arr);
	struct buf b;
	buf_init(&b, 0);
	buf_addstr(&b, "prefix:");
	struct err e = ERR_INIT;
	CHECK_INT_EQ(canon_from_json(v, &b, &e), 0);
	CHECK_STR_EQ(buf_str(&b),
		     "prefix:{\"arr\":[9007199254740991,\"\\u001F\"],\"inner\":{\"x\":true,"
		     "\"y\":null},\"zeta\":-5,\"\xc3\xa9tat\":\"Jos\xc3\xa9 / \\\"q\\\"\\n\"}");
	/* canon_write (no re-parse) writes the same bytes, and they pass canon_check */
	struct buf w;
	buf_init(&w, 0);
	CHECK_INT_EQ(canon_write(v, &w, &e), 0);
	CHECK_STR_EQ(buf_str(&w), buf_str(&b) + 7);
	CHECK_INT_EQ(canon_check(w.data, w.len, &e), 0);
	buf_reset(&w);
	json_t *bad = obj1_real();
	CHECK_INT_EQ(canon_write(bad, &w, &e), -1);
	CHECK(strstr(e.msg, "not an integer") != NULL);
	CHECK_INT_EQ(w.len, 0);
	json_decref(bad);
	buf_release(&w);
	json_decref(v);
	buf_release(&b);
}

static int from_json_fails(json_t *v, const char *why)
{
	struct buf b;
	buf_init(&b, 0);
	buf_addstr(&b, "keep");
	struct err e = ERR_INIT;
	int r = canon_from_json(v, &b, &e);
	int good = r == -1 && e.code == ERR_INPUT && strstr(e.msg, why) &&
		   strcmp(buf_str(&b), "keep") == 0 && buf_ok(&b);
	if (!good)
		printf("FAIL-DETAIL canon_from_json: r=%d msg=\"%s\", expected \"%s\"\n", r, e.msg,
		       why);
	buf_release(&b);
	json_decref(v);
	return good;
}

static json_t *obj1(const char *k, json_t *val)
{
	json_t *o = json_object();
	json_object_set_new(o, k, val);
	return o;
}

TEST(canon_from_json_refuses_what_is_not_canonical)
{
	CHECK(from_json_fails(obj1("fee", json_real(1.0)), "number at .fee is not an integer"));
	CHECK(from_json_fails(obj1("n", json_integer(CANON_INT_MAX + 1)), "out of range"));
	CHECK(from_json_fails(obj1("name", json_stringn("e\xcc\x81", 3)), "string at .name is not NFC"));
	CHECK(from_json_fails(obj1("s", json_string_nocheck("\xff")), "not valid UTF-8"));
	CHECK(from_json_fails(obj1("s", json_stringn("a\0b", 3)), "U+0000"));
	CHECK(from_json_fails(obj1("e\xcc\x81", json_true()), "key at"));
	CHECK(from_json_fails(json_array(), "top level is not an object"));
	/* an output buffer too small for the body */
	json_t *v = obj1("a", json_string("0123456789"));
	struct buf b;
	buf_init(&b, 8);
	struct err e = ERR_INIT;
	CHECK_INT_EQ(canon_from_json(v, &b, &e), -1);
	CHECK(strstr(e.msg, "does not fit"));
	CHECK_INT_EQ(b.len, 0);
	buf_release(&b);
	json_decref(v);
}

TEST(canon_survives_allocation_failures)
{
	const char *s = "{\"a\":[1,{\"b\":\"Jos\xc3\xa9\"}],\"c\":{\"d\":null}}";
	json_t *v = json_loads(s, 0, NULL);
	CHECK(v);
	unsigned long before = mem_allocations();
	struct buf b;
	buf_init(&b, 0);
	CHECK_INT_EQ(canon_from_json(v, &b, NULL), 0);
	CHECK_INT_EQ(canon_check(b.data, b.len, NULL), 0);
	long count = (long)(mem_allocations() - before);
	CHECK(count > 3);
	CHECK_STR_EQ(buf_str(&b), s);
	buf_release(&b);
	int bad = 0;
	for (long n = 0; n <= count; n++) {
		struct err e1 = ERR_INIT, e2 = ERR_INIT;
		buf_init(&b, 0);
		mem_fail_after(n);
		int r1 = canon_from_json(v, &b, &e1);
		int r2 = canon_check((const uint8_t *)s, strlen(s), &e2);
		mem_fail_after(-1);
		if ((r1 < 0 && e1.code != ERR_NOMEM) || (r2 < 0 && e2.code != ERR_NOMEM) ||
		    (r1 == 0 && strcmp(buf_str(&b), s) != 0)) {
			printf("FAIL-DETAIL fail after %ld: %d '%s' / %d '%s'\n", n, r1, e1.msg, r2,
			       e2.msg);
			bad++;
		}
		buf_release(&b);
	}
	json_decref(v);
	CHECK_INT_EQ(bad, 0);
}

/* ---- canon_write against jansson's own dump, on random values ---- */

static unsigned long rnd_state = 88172645463325252UL;

static unsigned rnd(unsigned n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (unsigned)(rnd_state % n);
}

/* A random NFC string without U+0000: ASCII (controls, quotes, backslash, DEL
 * included) and a few precomposed or multi-byte characters. */
static void rnd_text(char *out, size_t cap)
{
	static const char *const pieces[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
					      "\xea\xb0\x80", "\"", "\\", "/", "\x7f", "\x01",
					      "\x1f", "\n", "\t", "\b", "\f", "\r" };
	size_t len = 0, n = rnd(12);
	for (size_t i = 0; i < n; i++) {
		char one[2] = { (char)(0x20 + rnd(95)), 0 };
		const char *p = rnd(3) ? one : pieces[rnd(sizeof pieces / sizeof pieces[0])];
		size_t k = strlen(p);
		if (len + k + 1 > cap)
			break;
		memcpy(out + len, p, k);
		len += k;
	}
	out[len] = '\0';
}

static json_t *rnd_value(int depth)
{
	char t[64];
	switch (depth > 3 ? 2 + rnd(5) : rnd(7)) {
	case 0: {
		json_t *o = json_object();
		for (unsigned i = rnd(6); i > 0; i--) {
			rnd_text(t, sizeof t);
			json_object_set_new(o, t, rnd_value(depth + 1));
		}
		return o;
	}
	case 1: {
		json_t *a = json_array();
		for (unsigned i = rnd(5); i > 0; i--)
			json_array_append_new(a, rnd_value(depth + 1));
		return a;
	}
	case 2:
		rnd_text(t, sizeof t);
		return json_string(t);
	case 3: {
		static const json_int_t edge[] = { 0, -1, 1, 9, 10, -10, 9007199254740991LL,
						   -9007199254740991LL, 123456789012LL };
		return json_integer(rnd(2) ? edge[rnd(9)] : (json_int_t)rnd(1000000) - 500000);
	}
	case 4:
		return json_true();
	case 5:
		return json_false();
	default:
		return json_null();
	}
}

TEST(canon_write_matches_janssons_sorted_compact_dump)
{
	int bad = 0;
	for (int i = 0; i < 3000 && bad < 3; i++) {
		json_t *v = json_object();
		/* every tenth value has more members than the walk keeps on its stack */
		for (unsigned k = i % 10 == 0 ? 40 : rnd(8); k > 0; k--) {
			char t[64];
			rnd_text(t, sizeof t);
			json_object_set_new(v, t, rnd_value(0));
		}
		char *want = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		struct buf b;
		buf_init(&b, 0);
		struct err e = ERR_INIT;
		if (!want || canon_write(v, &b, &e) < 0 || b.len != strlen(want) ||
		    memcmp(b.data, want, b.len) != 0) {
			printf("FAIL-DETAIL value %d: canon_write '%s' (%s), jansson '%s'\n", i,
			       buf_str(&b), e.msg, want ? want : "(null)");
			bad++;
		}
		buf_release(&b);
		free(want);
		json_decref(v);
	}
	CHECK_INT_EQ(bad, 0);
}
