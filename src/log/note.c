/* C2SP signed notes and checkpoints: see note.h. */
#include "log/note.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <utf8proc.h>

#include "util/alloc.h"
#include "util/sodium_ready.h"

static const char sig_prefix[] = "\xe2\x80\x94 "; /* "— " (U+2014, space) */
#define SIG_PREFIX_LEN (sizeof sig_prefix - 1)

/* Strict standard base64 (padding required, canonical trailing bits). libsodium 1.0.18
 * takes some bytes ≥ 0x80 for base64 digits, so the alphabet is checked here first. */
static int b64_decode(const char *s, size_t len, uint8_t *out, size_t max, size_t *n)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '='))
			return -1;
	}
	if (sodium_base642bin(out, max, s, len, NULL, n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	return 0;
}

static int b64_add(struct buf *out, const uint8_t *p, size_t n)
{
	char tmp[sodium_base64_ENCODED_LEN(512, sodium_base64_VARIANT_ORIGINAL)];
	if (n > 512)
		return -1;
	sodium_bin2base64(tmp, sizeof tmp, p, n, sodium_base64_VARIANT_ORIGINAL);
	return buf_addstr(out, tmp);
}

static int is_white_space(int32_t cp)
{
	if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x85)
		return 1;
	utf8proc_category_t c = utf8proc_category(cp);
	return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

/* Checks UTF-8 and control characters; newline allowed only when allow_nl. */
static int text_valid(const char *p, size_t len, int allow_nl)
{
	size_t i = 0;
	while (i < len) {
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)p + i,
						      (utf8proc_ssize_t)(len - i), &cp);
		if (k <= 0)
			return 0;
		if (cp < 0x20 && !(allow_nl && cp == '\n'))
			return 0;
		i += (size_t)k;
	}
	return 1;
}

int note_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > NOTE_MAX_NAME || !text_valid(name, len, 0))
		return 0;
	size_t i = 0;
	while (i < len) {
		int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)name + i,
						      (utf8proc_ssize_t)(len - i), &cp);
		if (k <= 0 || cp == '+' || is_white_space(cp))
			return 0;
		i += (size_t)k;
	}
	return 1;
}

int note_key_id(const char *name, const uint8_t pub[32], uint32_t *id, struct err *e)
{
	if (libsodium_ready(e) < 0)
		return -1;
	static const uint8_t sep[2] = { '\n', NOTE_ED25519 };
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&st, sep, sizeof sep);
	crypto_hash_sha256_update(&st, pub, 32);
	crypto_hash_sha256_final(&st, h);
	*id = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	return 0;
}

/* Splits "a+b+c" at its first two '+' (the base64 part may hold more). */
static int split_key(const char *s, const char **name, size_t *name_len, const char **id,
		     const char **b64)
{
	const char *p1 = strchr(s, '+');
	if (!p1)
		return -1;
	const char *p2 = strchr(p1 + 1, '+');
	if (!p2 || p2 - p1 - 1 != 8)
		return -1;
	*name = s;
	*name_len = (size_t)(p1 - s);
	*id = p1 + 1;
	*b64 = p2 + 1;
	return 0;
}

static int parse_hex32(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* The shared part of verifier and private key strings: name, id, type-prefixed key. */
static int parse_key_string(const char *s, const char *what, char **name_out, uint32_t *id,
			    uint8_t key[32], struct err *e)
{
	const char *name, *hex, *b64;
	size_t name_len;
	uint8_t raw[33];
	size_t n = 0;
	if (split_key(s, &name, &name_len, &hex, &b64) < 0 || !note_name_valid(name, name_len) ||
	    parse_hex32(hex, id) < 0 || b64_decode(b64, strlen(b64), raw, sizeof raw, &n) < 0 ||
	    n != 33)
		return err_set(e, ERR_INPUT, "malformed %s", what);
	if (raw[0] != NOTE_ED25519)
		return err_set(e, ERR_INPUT, "%s is not an ed25519 key (type %u)", what, raw[0]);
	memcpy(key, raw + 1, 32);
	sodium_memzero(raw, sizeof raw);
	*name_out = mem_strndup(name, name_len);
	if (!*name_out)
		return err_nomem(e);
	return 0;
}

int note_verifier_parse(struct note_verifier *v, const char *vkey, struct err *e)
{
	memset(v, 0, sizeof *v);
	uint32_t id, want;
	if (parse_key_string(vkey, "verifier key", &v->name, &id, v->pub, e) < 0)
		return -1;
	if (note_key_id(v->name, v->pub, &want, e) < 0)
		goto fail;
	if (id != want) {
		err_set(e, ERR_INPUT, "verifier key '%s' has key id %08" PRIx32 ", expected %08" PRIx32,
			v->name, id, want);
		goto fail;
	}
	v->key_id = id;
	return 0;
fail:
	note_verifier_release(v);
	return -1;
}

int note_verifier_format(const struct note_verifier *v, struct buf *out, struct err *e)
{
	uint8_t raw[33];
	raw[0] = NOTE_ED25519;
	memcpy(raw + 1, v->pub, 32);
	buf_addf(out, "%s+%08" PRIx32 "+", v->name, v->key_id);
	b64_add(out, raw, sizeof raw);
	return buf_ok(out) ? 0 : err_nomem(e);
}

void note_verifier_release(struct note_verifier *v)
{
	mem_free(v->name);
	memset(v, 0, sizeof *v);
}

int note_signer_init(struct note_signer *s, const char *name, const uint8_t seed[32],
		     struct err *e)
{
	memset(s, 0, sizeof *s);
	if (libsodium_ready(e) < 0)
		return -1;
	if (!note_name_valid(name, strlen(name)))
		return err_set(e, ERR_INPUT, "invalid key name '%s'", name);
	s->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	s->name = mem_strdup(name);
	if (!s->sk || !s->name) {
		note_signer_release(s);
		return err_nomem(e);
	}
	if (crypto_sign_seed_keypair(s->pub, s->sk, seed) != 0) {
		note_signer_release(s);
		return err_set(e, ERR_CRYPTO, "cannot derive the ed25519 key of '%s'", name);
	}
	if (note_key_id(name, s->pub, &s->key_id, e) < 0) {
		note_signer_release(s);
		return -1;
	}
	return 0;
}

int note_signer_parse(struct note_signer *s, const char *skey, struct err *e)
{
	static const char prefix[] = "PRIVATE+KEY+";
	memset(s, 0, sizeof *s);
	if (strncmp(skey, prefix, sizeof prefix - 1) != 0)
		return err_set(e, ERR_INPUT, "malformed private key");
	char *name = NULL;
	uint32_t id;
	uint8_t seed[32];
	if (parse_key_string(skey + sizeof prefix - 1, "private key", &name, &id, seed, e) < 0)
		return -1;
	int rc = note_signer_init(s, name, seed, e);
	sodium_memzero(seed, sizeof seed);
	if (rc == 0 && s->key_id != id) {
		err_set(e, ERR_INPUT, "private key '%s' has key id %08" PRIx32 ", expected %08" PRIx32,
			name, id, s->key_id);
		note_signer_release(s);
		rc = -1;
	}
	mem_free(name);
	return rc;
}

int note_signer_verifier(const struct note_signer *s, struct note_verifier *v, struct err *e)
{
	memset(v, 0, sizeof *v);
	v->name = mem_strdup(s->name);
	if (!v->name)
		return err_nomem(e);
	v->key_id = s->key_id;
	memcpy(v->pub, s->pub, 32);
	return 0;
}

void note_signer_release(struct note_signer *s)
{
	if (s->sk)
		sodium_free(s->sk); /* wipes it */
	mem_free(s->name);
	memset(s, 0, sizeof *s);
}

/* ---- notes ---- */

static void sig_release(struct note_sig *g)
{
	mem_free(g->name);
	mem_free(g->sig);
}

void note_release(struct note *n)
{
	for (size_t i = 0; i < n->nsigs; i++)
		sig_release(&n->sigs[i]);
	mem_free(n->sigs);
	mem_free(n->text);
	memset(n, 0, sizeof *n);
}

static int check_text(const char *text, size_t len, struct err *e)
{
	if (len == 0 || text[len - 1] != '\n')
		return err_set(e, ERR_INPUT, "note text does not end with a newline");
	if (len > NOTE_MAX_LEN)
		return err_set(e, ERR_INPUT, "note text is longer than %d bytes", NOTE_MAX_LEN);
	if (!text_valid(text, len, 1))
		return err_set(e, ERR_INPUT, "note text is not UTF-8 without control characters");
	return 0;
}

int note_init(struct note *n, const char *text, size_t len, struct err *e)
{
	memset(n, 0, sizeof *n);
	if (check_text(text, len, e) < 0)
		return -1;
	if (!(n->text = mem_strndup(text, len)))
		return err_nomem(e);
	n->text_len = len;
	return 0;
}

/* Appends a signature (copies name and sig). */
static int add_sig(struct note *n, const char *name, size_t name_len, uint32_t id,
		   const uint8_t *sig, size_t sig_len, struct err *e)
{
	if (n->nsigs >= NOTE_MAX_SIGS)
		return err_set(e, ERR_INPUT, "note has more than %d signatures", NOTE_MAX_SIGS);
	struct note_sig *v = mem_realloc(n->sigs, (n->nsigs + 1) * sizeof *v);
	if (!v)
		return err_nomem(e);
	n->sigs = v;
	struct note_sig *g = &v[n->nsigs];
	g->name = mem_strndup(name, name_len);
	g->sig = mem_dup(sig, sig_len ? sig_len : 1);
	g->sig_len = sig_len;
	g->key_id = id;
	if (!g->name || !g->sig) {
		sig_release(g);
		return err_nomem(e);
	}
	n->nsigs++;
	return 0;
}

static int parse_sig_line(struct note *n, const char *line, size_t len, size_t lineno,
			  struct err *e)
{
	if (len < SIG_PREFIX_LEN || memcmp(line, sig_prefix, SIG_PREFIX_LEN) != 0)
		return err_set(e, ERR_INPUT, "note signature line %zu does not start with '— '",
			       lineno);
	line += SIG_PREFIX_LEN;
	len -= SIG_PREFIX_LEN;
	const char *sp = memchr(line, ' ', len);
	if (!sp)
		return err_set(e, ERR_INPUT, "note signature line %zu has no signature", lineno);
	size_t name_len = (size_t)(sp - line);
	const char *b64 = sp + 1;
	size_t b64_len = len - name_len - 1;
	if (!note_name_valid(line, name_len))
		return err_set(e, ERR_INPUT, "note signature line %zu has an invalid key name",
			       lineno);
	uint8_t raw[512];
	size_t raw_len = 0;
	if (b64_len == 0 || b64_decode(b64, b64_len, raw, sizeof raw, &raw_len) < 0 || raw_len < 5)
		return err_set(e, ERR_INPUT, "note signature line %zu has a malformed signature",
			       lineno);
	uint32_t id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 |
		      raw[3];
	return add_sig(n, line, name_len, id, raw + 4, raw_len - 4, e);
}

int note_parse(struct note *n, const uint8_t *msg, size_t len, struct err *e)
{
	memset(n, 0, sizeof *n);
	const char *m = (const char *)msg;
	if (len > NOTE_MAX_LEN)
		return err_set(e, ERR_INPUT, "note is longer than %d bytes", NOTE_MAX_LEN);
	if (!text_valid(m, len, 1))
		return err_set(e, ERR_INPUT, "note is not UTF-8 without control characters");
	/* the signature block follows the last blank line */
	size_t split = len;
	for (size_t i = len; i >= 2; i--)
		if (m[i - 2] == '\n' && m[i - 1] == '\n') {
			split = i - 2;
			break;
		}
	if (split == len)
		return err_set(e, ERR_INPUT, "note has no blank line before its signatures");
	size_t text_len = split + 1, sig_start = split + 2;
	if (sig_start >= len || m[len - 1] != '\n')
		return err_set(e, ERR_INPUT, "note has no signature lines ending in a newline");
	if (!(n->text = mem_strndup(m, text_len)))
		return err_nomem(e);
	n->text_len = text_len;
	size_t lineno = 1;
	for (size_t i = 0; i < text_len; i++)
		lineno += m[i] == '\n';
	lineno++;
	for (size_t p = sig_start; p < len; lineno++) {
		const char *nl = memchr(m + p, '\n', len - p);
		size_t l = (size_t)(nl - (m + p));
		if (parse_sig_line(n, m + p, l, lineno, e) < 0) {
			note_release(n);
			return -1;
		}
		p += l + 1;
	}
	return 0;
}

int note_sign(struct note *n, const struct note_signer *s, struct err *e)
{
	if (libsodium_ready(e) < 0)
		return -1;
	uint8_t sig[crypto_sign_BYTES];
	if (crypto_sign_detached(sig, NULL, (const uint8_t *)n->text, n->text_len, s->sk) != 0)
		return err_set(e, ERR_CRYPTO, "cannot sign the note with '%s'", s->name);
	/* drop this key's earlier lines */
	size_t j = 0;
	for (size_t i = 0; i < n->nsigs; i++) {
		struct note_sig *g = &n->sigs[i];
		if (g->key_id == s->key_id && strcmp(g->name, s->name) == 0)
			sig_release(g);
		else
			n->sigs[j++] = *g;
	}
	n->nsigs = j;
	return add_sig(n, s->name, strlen(s->name), s->key_id, sig, sizeof sig, e);
}

static int has_sig(const struct note *n, const struct note_sig *g)
{
	for (size_t i = 0; i < n->nsigs; i++) {
		const struct note_sig *h = &n->sigs[i];
		if (h->key_id == g->key_id && strcmp(h->name, g->name) == 0)
			return 1;
	}
	return 0;
}

int note_merge_signatures(struct note *n, const struct note *src, struct err *e)
{
	if (n->text_len != src->text_len || memcmp(n->text, src->text, n->text_len) != 0)
		return err_set(e, ERR_INPUT, "cannot merge signatures of notes with different texts");
	for (size_t i = 0; i < src->nsigs; i++) {
		const struct note_sig *g = &src->sigs[i];
		if (has_sig(n, g))
			continue; /* keep ours */
		if (add_sig(n, g->name, strlen(g->name), g->key_id, g->sig, g->sig_len, e) < 0)
			return -1;
	}
	return 0;
}

int note_verify(const struct note *n, const struct note_verifier *v, struct err *e)
{
	if (libsodium_ready(e) < 0)
		return -1;
	int good = 0;
	for (size_t i = 0; i < n->nsigs; i++) {
		const struct note_sig *g = &n->sigs[i];
		if (g->key_id != v->key_id || strcmp(g->name, v->name) != 0)
			continue;
		if (g->sig_len != crypto_sign_BYTES ||
		    crypto_sign_verify_detached(g->sig, (const uint8_t *)n->text, n->text_len,
						v->pub) != 0)
			return err_set(e, ERR_VERIFY, "signature by '%s' does not verify", v->name);
		good = 1;
	}
	if (!good)
		return err_set(e, ERR_VERIFY, "note has no signature by '%s' (key %08" PRIx32 ")",
			       v->name, v->key_id);
	return 0;
}

int note_format(const struct note *n, struct buf *out, struct err *e)
{
	buf_add(out, n->text, n->text_len);
	buf_addch(out, '\n');
	for (size_t i = 0; i < n->nsigs; i++) {
		const struct note_sig *g = &n->sigs[i];
		uint8_t raw[512];
		if (g->sig_len > sizeof raw - 4)
			return err_set(e, ERR_INPUT, "signature by '%s' is too long", g->name);
		raw[0] = (uint8_t)(g->key_id >> 24);
		raw[1] = (uint8_t)(g->key_id >> 16);
		raw[2] = (uint8_t)(g->key_id >> 8);
		raw[3] = (uint8_t)g->key_id;
		memcpy(raw + 4, g->sig, g->sig_len);
		buf_addf(out, "%s%s ", sig_prefix, g->name);
		b64_add(out, raw, 4 + g->sig_len);
		buf_addch(out, '\n');
	}
	return buf_ok(out) ? 0 : err_nomem(e);
}

/* ---- checkpoints ---- */

void checkpoint_release(struct checkpoint *c)
{
	mem_free(c->origin);
	mem_free(c->extensions);
	memset(c, 0, sizeof *c);
}

int checkpoint_format(const struct checkpoint *c, struct buf *out, struct err *e)
{
	size_t olen = c->origin ? strlen(c->origin) : 0;
	if (olen == 0 || !text_valid(c->origin, olen, 0))
		return err_set(e, ERR_INPUT, "checkpoint origin is empty or not a valid line");
	const char *ext = c->extensions ? c->extensions : "";
	size_t elen = strlen(ext);
	if (elen && (ext[elen - 1] != '\n' || ext[0] == '\n' || strstr(ext, "\n\n") ||
		     !text_valid(ext, elen, 1)))
		return err_set(e, ERR_INPUT, "checkpoint extension lines are malformed");
	buf_addf(out, "%s\n%" PRIu64 "\n", c->origin, c->size);
	b64_add(out, c->root, MERKLE_HASH_LEN);
	buf_addch(out, '\n');
	buf_addstr(out, ext);
	return buf_ok(out) ? 0 : err_nomem(e);
}

int checkpoint_parse(struct checkpoint *c, const char *text, size_t len, struct err *e)
{
	memset(c, 0, sizeof *c);
	if (check_text(text, len, e) < 0)
		return -1;
	const char *line[3];
	size_t llen[3];
	size_t p = 0;
	for (int i = 0; i < 3; i++) {
		if (p >= len)
			return err_set(e, ERR_INPUT, "checkpoint has fewer than 3 lines");
		const char *nl = memchr(text + p, '\n', len - p);
		line[i] = text + p;
		llen[i] = (size_t)(nl - (text + p));
		p += llen[i] + 1;
	}
	if (llen[0] == 0)
		return err_set(e, ERR_INPUT, "checkpoint origin is empty");
	/* size: decimal, no sign, no leading zero */
	if (llen[1] == 0 || llen[1] > 20 || (line[1][0] == '0' && llen[1] > 1))
		return err_set(e, ERR_INPUT, "checkpoint size is not a canonical decimal number");
	uint64_t size = 0;
	for (size_t i = 0; i < llen[1]; i++) {
		char ch = line[1][i];
		if (ch < '0' || ch > '9' || size > (UINT64_MAX - (uint64_t)(ch - '0')) / 10)
			return err_set(e, ERR_INPUT, "checkpoint size is not a decimal number below 2^64");
		size = size * 10 + (uint64_t)(ch - '0');
	}
	size_t rlen = 0;
	if (b64_decode(line[2], llen[2], c->root, sizeof c->root, &rlen) < 0 ||
	    rlen != MERKLE_HASH_LEN)
		return err_set(e, ERR_INPUT, "checkpoint root hash is not base64 of 32 bytes");
	/* extension lines: each non-empty */
	for (size_t q = p; q < len;) {
		const char *nl = memchr(text + q, '\n', len - q);
		if (nl == text + q)
			return err_set(e, ERR_INPUT, "checkpoint has an empty extension line");
		q = (size_t)(nl - text) + 1;
	}
	c->size = size;
	c->origin = mem_strndup(line[0], llen[0]);
	c->extensions = mem_strndup(text + p, len - p);
	if (!c->origin || !c->extensions) {
		checkpoint_release(c);
		return err_nomem(e);
	}
	return 0;
}
