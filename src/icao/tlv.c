#include "icao/tlv.h"

#include <limits.h>

#include <openssl/asn1.h>

/* Re-encodes the identifier bytes of (class, tag number, constructed) into one integer. */
static int identifier(int cls, long num, int constructed, uint32_t *out)
{
	uint32_t first = (uint32_t)cls | (constructed ? 0x20u : 0u);
	if (num < 31) {
		*out = first | (uint32_t)num;
		return 0;
	}
	/* high tag number form: 0x1F then base-128 digits; ICAO uses at most 2 more bytes */
	if (num >= (1L << 14))
		return -1;
	uint32_t v = first | 0x1Fu;
	if (num >= 128)
		v = (v << 8) | 0x80u | (uint32_t)(num >> 7);
	v = (v << 8) | (uint32_t)(num & 0x7F);
	*out = v;
	return 0;
}

/* Reads the header at p[0..n); *inf is set for an indefinite length (t->len 0 then). */
static int read_header(const uint8_t *p, size_t n, struct tlv *t, int *inf, struct err *e)
{
	if (n == 0)
		return err_set(e, ERR_INPUT, "empty TLV");
	const unsigned char *q = p;
	long len = 0;
	int tag = 0, cls = 0;
	long max = n > LONG_MAX ? LONG_MAX : (long)n;
	int r = ASN1_get_object(&q, &len, &tag, &cls, max);
	if (r & 0x80)
		return err_set(e, ERR_INPUT, "malformed TLV header or length past the end");
	*inf = r == 0x21; /* constructed with indefinite length */
	size_t hl = (size_t)(q - p);
	if (len < 0 || hl > n || (size_t)len > n - hl)
		return err_set(e, ERR_INPUT, "TLV length past the end");
	uint32_t id;
	if (identifier(cls, tag, r & 0x20, &id) < 0)
		return err_set(e, ERR_INPUT, "TLV tag number too large");
	/* ICAO writes some low tag numbers in the long form (5F01: LDS version): keep the
	 * identifier bytes as they are written, not re-encoded */
	if ((p[0] & 0x1F) == 0x1F && tag < 31 && hl >= 3)
		id = ((uint32_t)p[0] << 8) | p[1];
	t->tag = id;
	t->constructed = (r & 0x20) != 0;
	t->value = q;
	t->len = (size_t)len;
	t->header_len = hl;
	t->indefinite = 0;
	return 0;
}

int tlv_read(const uint8_t *p, size_t n, struct tlv *t, struct err *e)
{
	int inf;
	if (read_header(p, n, t, &inf, e) < 0)
		return -1;
	if (inf)
		return err_set(e, ERR_INPUT, "indefinite length not allowed");
	return 0;
}

/*
 * The value of an indefinite-length element starts at p[0..n): sets *len to the bytes
 * before its end-of-contents. Each level walks its own elements once, so the work is
 * linear in n.
 */
static int indefinite_len(const uint8_t *p, size_t n, int depth, size_t *len, struct err *e)
{
	if (depth > TLV_BER_DEPTH)
		return err_set(e, ERR_INPUT, "indefinite lengths nested too deep");
	size_t off = 0;
	for (;;) {
		if (n - off >= 2 && p[off] == 0 && p[off + 1] == 0) {
			*len = off;
			return 0;
		}
		if (off >= n)
			return err_set(e, ERR_INPUT, "end-of-contents missing");
		struct tlv c;
		int inf;
		if (read_header(p + off, n - off, &c, &inf, e) < 0)
			return -1;
		if (c.tag == 0)
			return err_set(e, ERR_INPUT, "malformed end-of-contents");
		off += c.header_len;
		if (inf) {
			size_t inner;
			if (indefinite_len(p + off, n - off, depth + 1, &inner, e) < 0)
				return -1;
			off += inner + 2;
		} else {
			off += c.len;
		}
	}
}

int tlv_read_ber(const uint8_t *p, size_t n, struct tlv *t, struct err *e)
{
	int inf;
	if (read_header(p, n, t, &inf, e) < 0)
		return -1;
	if (!inf)
		return 0;
	size_t len;
	if (indefinite_len(t->value, n - t->header_len, 1, &len, e) < 0)
		return -1;
	t->len = len;
	t->indefinite = 1;
	return 0;
}

size_t tlv_ber_size(const struct tlv *t)
{
	return t->header_len + t->len + (t->indefinite ? 2 : 0);
}

int tlv_read_exact(const uint8_t *p, size_t n, uint32_t tag, struct tlv *t, struct err *e)
{
	if (tlv_read(p, n, t, e) < 0)
		return -1;
	if (t->tag != tag)
		return err_set(e, ERR_INPUT, "tag %02X where %02X was expected", t->tag, tag);
	if (t->header_len + t->len != n)
		return err_set(e, ERR_INPUT, "%zu bytes after the %02X element",
			       n - t->header_len - t->len, tag);
	return 0;
}

int tlv_find(const uint8_t *value, size_t len, uint32_t tag, struct tlv *out, struct err *e)
{
	size_t off = 0;
	while (off < len) {
		struct tlv t;
		if (tlv_read(value + off, len - off, &t, e) < 0)
			return -1;
		if (t.tag == tag) {
			*out = t;
			return 1;
		}
		off += t.header_len + t.len;
	}
	return 0;
}

int tlv_put_header(struct buf *b, uint32_t tag, size_t len)
{
	uint8_t h[16];
	size_t n = 0;
	if (tag > 0xFFFFFF)
		h[n++] = (uint8_t)(tag >> 24);
	if (tag > 0xFFFF)
		h[n++] = (uint8_t)(tag >> 16);
	if (tag > 0xFF)
		h[n++] = (uint8_t)(tag >> 8);
	h[n++] = (uint8_t)tag;
	if (len < 0x80) {
		h[n++] = (uint8_t)len;
	} else {
		uint8_t lb[sizeof(size_t)];
		size_t k = 0;
		for (size_t v = len; v; v >>= 8)
			lb[k++] = (uint8_t)v;
		h[n++] = (uint8_t)(0x80 | k);
		while (k)
			h[n++] = lb[--k];
	}
	return buf_add(b, h, n);
}

int tlv_put(struct buf *b, uint32_t tag, const void *value, size_t len)
{
	size_t before = b->len;
	if (tlv_put_header(b, tag, len) < 0 || buf_add(b, value, len) < 0) {
		buf_truncate(b, before);
		return -1;
	}
	return 0;
}
