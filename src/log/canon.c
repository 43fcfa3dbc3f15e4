/*
 * canon — checks and produces canonical event bodies; see canon.h and docs/EVENTS.md.
 *
 * Checking = parse with jansson (duplicates rejected), walk the value (types, integer
 * range, NFC, key order), re-serialise with json_dumps(JSON_COMPACT | JSON_SORT_KEYS)
 * and require byte equality with the input. When the bytes differ, the first differing
 * byte is classified (whitespace, string escape, number form) for the message.
 *
 * Writing a value built in code (canon_write) = the same walk, emitting as it goes:
 * keys sorted by bytes, jansson's escapes, integers in decimal. jansson's dump stays the
 * reference: canon_from_json re-checks our output with canon_check, the unit test
 * canon_write_matches_janssons_sorted_compact_dump compares the two on random values,
 * and the event fuzz target requires canon_from_json(parse(x)) == x. Our writer is
 * ~3× cheaper than json_dump_callback on the writer's hot path (no key array per
 * object from the allocator, no per-code-point UTF-8 iteration).
 */
#include "log/canon.h"

#include <pthread.h>
#include <string.h>

#include <utf8proc.h>

#include "util/alloc.h"

#define CANON_DUMP_FLAGS (JSON_COMPACT | JSON_SORT_KEYS)
#define CANON_MAX_DEPTH 2048 /* jansson's parser limit (JSON_PARSER_MAX_DEPTH) */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* jansson reports most allocation failures as syntax errors ("invalid JSON near byte
 * 0"), so its allocator notes failures here for this thread to tell them apart. */
static _Thread_local int json_alloc_failed;

static void *json_alloc(size_t n)
{
	void *p = mem_alloc(n);
	if (!p)
		json_alloc_failed = 1;
	return p;
}

static void init_jansson(void)
{
	json_set_alloc_funcs(json_alloc, mem_free);
}

void canon_init(void)
{
	pthread_once(&init_once, init_jansson);
}

/* ---- where in the body: ".a.b[3]" for messages ---- */

struct path {
	char s[128];
	size_t len;
};

static const char *path_str(const struct path *pt)
{
	return pt->len ? pt->s : "top level";
}

/* Appends text (non-printable bytes and quotes shown as '?'); truncates with "...". */
static void path_add(struct path *pt, const char *p, size_t n)
{
	const size_t room = sizeof pt->s - 4; /* keep space for "..." and NUL */
	for (size_t i = 0; i < n; i++) {
		if (pt->len >= room) {
			if (pt->len == room)
				memcpy(pt->s + pt->len, "...", 4), pt->len += 3;
			return;
		}
		unsigned char c = (unsigned char)p[i];
		pt->s[pt->len++] = (c > 0x20 && c < 0x7f && c != '\'' && c != '"') ? (char)c : '?';
	}
	pt->s[pt->len] = '\0';
}

/* A key for a message: printable ASCII, at most 48 bytes. */
static void show_key(char out[64], const char *k, size_t n)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j < 48; i++) {
		unsigned char c = (unsigned char)k[i];
		out[j++] = (c >= 0x20 && c < 0x7f && c != '\'') ? (char)c : '?';
	}
	if (n > 48)
		memcpy(out + j, "...", 3), j += 3;
	out[j] = '\0';
}

/* ---- Unicode ---- */

/* 0 if s[0..n) is valid UTF-8 in NFC without U+0000; 1 if not (reason in *why); -1 if
 * memory is short. */
static int nfc_check(const uint8_t *s, size_t n, const char **why)
{
	int ascii = 1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == 0) {
			*why = "holds U+0000";
			return 1;
		}
		if (s[i] >= 0x80)
			ascii = 0;
	}
	if (ascii)
		return 0; /* ASCII text is always NFC */
	const utf8proc_option_t opt = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
	utf8proc_ssize_t cnt = utf8proc_decompose(s, (utf8proc_ssize_t)n, NULL, 0, opt);
	if (cnt < 0) {
		*why = "is not valid UTF-8";
		return 1;
	}
	/* room for the code points, then reused in place for the UTF-8 and a NUL */
	utf8proc_int32_t *cp = mem_alloc(((size_t)cnt + 1) * sizeof *cp);
	if (!cp)
		return -1;
	utf8proc_ssize_t got = utf8proc_decompose(s, (utf8proc_ssize_t)n, cp, cnt, opt);
	int r = 1;
	*why = "is not NFC";
	if (got == cnt) {
		utf8proc_ssize_t len = utf8proc_reencode(cp, got, opt);
		if (len >= 0 && (size_t)len == n && memcmp(cp, s, n) == 0)
			r = 0;
	}
	mem_free(cp);
	return r;
}

/* ---- serialising ---- */

struct sink {
	struct buf *b;
	size_t limit;  /* refuse to let b->len pass this */
	int too_long;  /* the limit was reached */
	int no_room;   /* the buffer's own cap was reached */
};

static int sink_add(const char *p, size_t n, void *data)
{
	struct sink *s = data;
	if (n > s->limit || s->b->len > s->limit - n) {
		s->too_long = 1;
		return -1;
	}
	if (s->b->len + n > s->b->max) {
		s->no_room = 1;
		return -1;
	}
	return buf_add(s->b, p, n);
}

/* A string or key as jansson's dump writes it: '"' and '\\' escaped, \b \f \n \r \t,
 * other bytes below 0x20 as \u00XX (upper-case hex), everything else raw. */
static int emit_string(struct sink *s, const char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	if (sink_add("\"", 1, s) < 0)
		return -1;
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (i > run && sink_add(p + run, i - run, s) < 0)
			return -1;
		run = i + 1;
		char esc[6] = { '\\', 0 };
		size_t len = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			len = 6;
		}
		if (sink_add(esc, len, s) < 0)
			return -1;
	}
	if (n > run && sink_add(p + run, n - run, s) < 0)
		return -1;
	return sink_add("\"", 1, s);
}

static int emit_integer(struct sink *s, json_int_t v)
{
	char d[24];
	size_t i = sizeof d;
	unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		d[--i] = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (v < 0)
		d[--i] = '-';
	return sink_add(d + i, sizeof d - i, s);
}

/* ---- the walk: types, integers, strings, keys; and the output ---- */

enum walk_mode { WALK_PARSED, WALK_BUILT };

struct member {
	const char *key;
	size_t len;
	const json_t *val;
};

/* Byte order of keys (none holds U+0000, so this is also strcmp's, jansson's
 * JSON_SORT_KEYS order). */
static int member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	size_t m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, m);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

#define WALK_MEMBERS_ON_STACK 16

/* Checks v (depth, types, integer range, UTF-8 and NFC without U+0000 in strings and
 * keys; key order when mode is WALK_PARSED) and, when out is not NULL, writes its
 * canonical bytes there (keys sorted). Out of room or too long: -1 with out's flags
 * set and e untouched. */
static int walk(const json_t *v, struct path *pt, int depth, enum walk_mode mode,
		struct sink *out, struct err *e)
{
	const char *why;
	int r;

	if (depth > CANON_MAX_DEPTH)
		return err_set(e, ERR_INPUT, "value at %s is nested too deeply", path_str(pt));
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key, *prev = NULL;
		size_t klen, prev_len = 0, n = json_object_size(v), k = 0;
		json_t *val;
		size_t base = pt->len;
		struct member stack[WALK_MEMBERS_ON_STACK];
		struct member *m = n <= WALK_MEMBERS_ON_STACK ? stack : mem_alloc(n * sizeof *m);
		if (!m)
			return err_nomem(e);
		int rc = -1;
		/* keys first, in the object's order (the order a parsed body was written in) */
		json_object_keylen_foreach((json_t *)v, key, klen, val) {
			r = nfc_check((const uint8_t *)key, klen, &why);
			if (r < 0) {
				err_nomem(e);
				goto object_out;
			}
			if (r > 0) {
				pt->len = base;
				path_add(pt, ".", 1);
				path_add(pt, key, klen);
				err_set(e, ERR_INPUT, "key at %s %s", pt->s, why);
				goto object_out;
			}
			if (mode == WALK_PARSED && prev) {
				size_t mm = klen < prev_len ? klen : prev_len;
				int c = memcmp(prev, key, mm);
				if (c > 0 || (c == 0 && prev_len >= klen)) {
					char a[64], b[64];
					show_key(a, key, klen);
					show_key(b, prev, prev_len);
					pt->len = base;
					pt->s[base] = '\0';
					err_set(e, ERR_INPUT, "keys not sorted at %s: '%s' after '%s'",
						path_str(pt), a, b);
					goto object_out;
				}
			}
			prev = key;
			prev_len = klen;
			if (k < n)
				m[k++] = (struct member){ key, klen, val };
		}
		if (mode == WALK_BUILT && out && k > 1)
			qsort(m, k, sizeof *m, member_cmp);
		if (out && sink_add("{", 1, out) < 0)
			goto object_out;
		for (size_t i = 0; i < k; i++) {
			pt->len = base;
			path_add(pt, ".", 1);
			path_add(pt, m[i].key, m[i].len);
			if (out && ((i && sink_add(",", 1, out) < 0) ||
				    emit_string(out, m[i].key, m[i].len) < 0 ||
				    sink_add(":", 1, out) < 0))
				goto object_out;
			if (walk(m[i].val, pt, depth + 1, mode, out, e) < 0)
				goto object_out;
		}
		if (out && sink_add("}", 1, out) < 0)
			goto object_out;
		rc = 0;
object_out:
		if (m != stack)
			mem_free(m);
		pt->len = base;
		pt->s[base] = '\0';
		return rc;
	}
	case JSON_ARRAY: {
		size_t base = pt->len;
		if (out && sink_add("[", 1, out) < 0)
			return -1;
		for (size_t i = 0; i < json_array_size(v); i++) {
			char idx[32];
			int k = snprintf(idx, sizeof idx, "[%zu]", i);
			pt->len = base;
			path_add(pt, idx, (size_t)k);
			if (out && i && sink_add(",", 1, out) < 0)
				return -1;
			if (walk(json_array_get(v, i), pt, depth + 1, mode, out, e) < 0)
				return -1;
		}
		pt->len = base;
		pt->s[base] = '\0';
		return out ? sink_add("]", 1, out) : 0;
	}
	case JSON_STRING:
		r = nfc_check((const uint8_t *)json_string_value(v), json_string_length(v), &why);
		if (r < 0)
			return err_nomem(e);
		if (r > 0)
			return err_set(e, ERR_INPUT, "string at %s %s", path_str(pt), why);
		return out ? emit_string(out, json_string_value(v), json_string_length(v)) : 0;
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);
		if (i > CANON_INT_MAX || i < -CANON_INT_MAX)
			return err_set(e, ERR_INPUT,
				       "integer at %s is out of range (beyond ±(2^53 − 1))",
				       path_str(pt));
		return out ? emit_integer(out, i) : 0;
	}
	case JSON_REAL:
		return err_set(e, ERR_INPUT,
			       "number at %s is not an integer (no fractions or exponents)",
			       path_str(pt));
	case JSON_TRUE:
		return out ? sink_add("true", 4, out) : 0;
	case JSON_FALSE:
		return out ? sink_add("false", 5, out) : 0;
	case JSON_NULL:
		return out ? sink_add("null", 4, out) : 0;
	}
	return err_set(e, ERR_INPUT, "value at %s has an unknown type", path_str(pt));
}

/* ---- parse errors ---- */

static int parse_error(const json_error_t *je, struct err *e)
{
	char text[JSON_ERROR_TEXT_LENGTH];
	/* jansson appends " near '<input text>'": drop it, it may quote personal data */
	snprintf(text, sizeof text, "%s", je->text);
	char *near = strstr(text, " near ");
	if (near)
		*near = '\0';
	switch (json_error_code(je)) {
	case json_error_out_of_memory:
		return err_nomem(e);
	case json_error_invalid_utf8:
		return err_set(e, ERR_INPUT, "invalid UTF-8 near byte %d", je->position);
	case json_error_duplicate_key: {
		/* the key is the quoted token after "near '" */
		const char *q = strstr(je->text, "near '\"");
		char key[64] = "?";
		if (q) {
			q += 7;
			const char *end = strrchr(q, '"');
			if (end && end >= q)
				show_key(key, q, (size_t)(end - q));
		}
		return err_set(e, ERR_INPUT, "duplicate key '%s' near byte %d", key,
			       je->position);
	}
	case json_error_numeric_overflow:
		return err_set(e, ERR_INPUT, "number near byte %d is out of range (%s)",
			       je->position, text);
	case json_error_null_character:
	case json_error_null_byte_in_key:
		return err_set(e, ERR_INPUT, "U+0000 near byte %d is not allowed", je->position);
	default:
		return err_set(e, ERR_INPUT, "invalid JSON near byte %d: %s", je->position, text);
	}
}

/* The input and its canonical form differ first at byte i: say why. */
static int mismatch(const uint8_t *p, size_t n, size_t i, struct err *e)
{
	int in_string = 0, escaped = 0;
	for (size_t k = 0; k < i && k < n; k++) {
		if (escaped)
			escaped = 0;
		else if (in_string && p[k] == '\\')
			escaped = 1;
		else if (p[k] == '"')
			in_string = !in_string;
	}
	if (i >= n)
		return err_set(e, ERR_INPUT, "body ends early at byte %zu (not canonical)", i);
	uint8_t c = p[i];
	if (!in_string && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
		return err_set(e, ERR_INPUT, "whitespace outside strings at byte %zu", i);
	if (in_string)
		return err_set(e, ERR_INPUT,
			       "string escape at byte %zu is not canonical (only \\\" \\\\ \\b "
			       "\\f \\n \\r \\t and \\u00XX with upper-case hex for other control "
			       "characters; everything else raw)", i);
	if (c == '-' && i + 1 < n && p[i + 1] == '0')
		return err_set(e, ERR_INPUT, "-0 at byte %zu is not allowed (write 0)", i);
	if (c == '-' || (c >= '0' && c <= '9'))
		return err_set(e, ERR_INPUT, "number at byte %zu is not in canonical form", i);
	return err_set(e, ERR_INPUT, "body is not in canonical form at byte %zu", i);
}

/* ---- public ---- */

int canon_parse(const uint8_t *p, size_t n, json_t **out, struct err *e)
{
	*out = NULL;
	canon_init();
	if (n > CANON_MAX)
		return err_set(e, ERR_INPUT, "body is %zu bytes, more than the cap of %zu", n,
			       CANON_MAX);
	json_error_t je;
	json_alloc_failed = 0;
	json_t *v = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
			       &je);
	if (!v)
		return json_alloc_failed ? err_nomem(e) : parse_error(&je, e);
	struct path pt = { .len = 0 };
	pt.s[0] = '\0';
	if (!json_is_object(v)) {
		json_decref(v);
		return err_set(e, ERR_INPUT, "top level is not an object");
	}
	if (walk(v, &pt, 0, WALK_PARSED, NULL, e) < 0) {
		json_decref(v);
		return -1;
	}
	/* canonical bytes longer than the input cannot match: stop at n + 1 */
	struct buf d;
	buf_init(&d, n + 1);
	struct sink s = { &d, n + 1, 0, 0 };
	if (json_dump_callback(v, sink_add, &s, CANON_DUMP_FLAGS) < 0 && !s.too_long) {
		buf_release(&d);
		json_decref(v);
		return err_nomem(e);
	}
	int r = 0;
	if (s.too_long || d.len != n || memcmp(d.data, p, n) != 0) {
		size_t i = 0;
		while (i < n && i < d.len && d.data[i] == p[i])
			i++;
		r = mismatch(p, n, i, e);
	}
	buf_release(&d);
	if (r < 0) {
		json_decref(v);
		return -1;
	}
	*out = v;
	return 0;
}

int canon_check(const uint8_t *p, size_t n, struct err *e)
{
	json_t *v;
	if (canon_parse(p, n, &v, e) < 0)
		return -1;
	json_decref(v);
	return 0;
}

/* canon_from_json's work; recheck: parse the result back with canon_check. */
static int from_json(const json_t *v, struct buf *out, int recheck, struct err *e)
{
	canon_init();
	if (!v || !json_is_object(v))
		return err_set(e, ERR_INPUT, "top level is not an object");
	struct path pt = { .len = 0 };
	pt.s[0] = '\0';
	size_t start = out->len;
	int was_failed = out->failed;
	struct sink s = { out, start > SIZE_MAX - CANON_MAX ? SIZE_MAX : start + CANON_MAX,
			  0, 0 };
	struct err we = ERR_INIT;
	if (walk(v, &pt, 0, WALK_BUILT, &s, &we) < 0) {
		buf_truncate(out, start);
		out->failed = was_failed;
		if (we.code != ERR_NONE) {
			if (e)
				*e = we;
			return -1;
		}
		if (s.too_long)
			return err_set(e, ERR_INPUT, "body is more than the cap of %zu bytes",
				       CANON_MAX);
		if (s.no_room)
			return err_set(e, ERR_INPUT, "body does not fit the output buffer");
		return err_nomem(e);
	}
	/* what we wrote must pass the checker, whose reference is jansson's own dump (one
	 * definition of canonical) */
	if (recheck && canon_check(out->data + start, out->len - start, e) < 0) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

int canon_from_json(const json_t *v, struct buf *out, struct err *e)
{
	return from_json(v, out, 1, e);
}

int canon_write(const json_t *v, struct buf *out, struct err *e)
{
	return from_json(v, out, 0, e);
}
