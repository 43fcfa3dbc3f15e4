/*
 * proto — the signer's request protocol (see proto.h).
 */
#include "signproto/proto.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static int check_chars(const char *what, const char *s, size_t max, int lower_ok,
		       struct err *e)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return err_set(e, ERR_INPUT, "%s: 1 to %zu characters", what, max);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 (lower_ok && ((c >= 'a' && c <= 'z') || c == '-' || c == '_'));
		if (!ok)
			return err_set(e, ERR_INPUT, "%s: character %zu is not allowed", what,
				       i + 1);
	}
	return 0;
}

int proto_check_app(const char *s, struct err *e)
{
	return check_chars("application id", s, PROTO_APP_MAX, 1, e);
}

int proto_check_booklet(const char *s, struct err *e)
{
	return check_chars("booklet number", s, PROTO_BOOKLET_MAX, 0, e);
}

static void put_u16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int date_ok(const char *s)
{
	if (strlen(s) != PROTO_DATE_LEN)
		return 0;
	for (size_t i = 0; i < PROTO_DATE_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int proto_encode_request(const struct proto_request *r, struct buf *out, struct err *e)
{
	if (r->type == PROTO_TYPE_LIST) {
		uint8_t m[2 + 24] = { PROTO_VERSION, PROTO_TYPE_LIST };
		put_u64(m + 2, r->from_ms);
		put_u64(m + 10, r->to_ms);
		put_u64(m + 18, r->after);
		buf_add(out, m, sizeof m);
		return buf_ok(out) ? 0 : err_nomem(e);
	}
	if (r->type != PROTO_TYPE_SIGN)
		return err_set(e, ERR_INPUT, "request: unknown type %d", r->type);
	if (proto_check_app(r->app, e) < 0 || proto_check_booklet(r->booklet, e) < 0)
		return -1;
	if (!date_ok(r->issue_date))
		return err_set(e, ERR_INPUT, "issue date: 8 digits YYYYMMDD");
	if (r->dg1_len == 0 || r->dg1_len > PROTO_DG1_MAX)
		return err_set(e, ERR_INPUT, "EF.DG1: 1 to %u bytes", PROTO_DG1_MAX);
	if (r->dg2_len == 0 || r->dg2_len > PROTO_DG2_MAX)
		return err_set(e, ERR_INPUT, "EF.DG2: 1 to %u bytes", PROTO_DG2_MAX);
	size_t la = strlen(r->app), lb = strlen(r->booklet);
	uint8_t h[3] = { PROTO_VERSION, PROTO_TYPE_SIGN, (uint8_t)la }, l1[2], l2[4];
	put_u16(l1, r->dg1_len);
	put_u32(l2, r->dg2_len);
	buf_add(out, h, 3);
	buf_add(out, r->app, la);
	buf_addch(out, (uint8_t)lb);
	buf_add(out, r->booklet, lb);
	buf_add(out, r->issue_date, PROTO_DATE_LEN);
	buf_add(out, l1, 2);
	buf_add(out, r->dg1, r->dg1_len);
	buf_add(out, l2, 4);
	buf_add(out, r->dg2, r->dg2_len);
	return buf_ok(out) ? 0 : err_nomem(e);
}

/* A length-prefixed (u8) string field into dst[max + 1]. */
static int take_str(const uint8_t *p, size_t n, size_t *at, const char *what, char *dst,
		    size_t max, struct err *e)
{
	if (*at >= n)
		return err_set(e, ERR_INPUT, "%s: truncated", what);
	size_t l = p[(*at)++];
	if (l == 0 || l > max)
		return err_set(e, ERR_INPUT, "%s: length %zu out of 1..%zu", what, l, max);
	if (n - *at < l)
		return err_set(e, ERR_INPUT, "%s: truncated", what);
	if (memchr(p + *at, 0, l))
		return err_set(e, ERR_INPUT, "%s: character is not allowed", what);
	memcpy(dst, p + *at, l);
	dst[l] = 0;
	*at += l;
	return 0;
}

/* A length-prefixed (u16 or u32 by width) byte field of 1..max bytes. */
static int take_bytes(const uint8_t *p, size_t n, size_t *at, int width, const char *what,
		      size_t max, const uint8_t **dst, size_t *len, struct err *e)
{
	if (n - *at < (size_t)width)
		return err_set(e, ERR_INPUT, "request: %s length: truncated", what);
	uint32_t l = width == 2 ? (uint32_t)p[*at] << 8 | p[*at + 1] : get_u32(p + *at);
	*at += (size_t)width;
	if (l == 0 || l > max)
		return err_set(e, ERR_INPUT, "request: %s: length %u out of 1..%zu", what, l, max);
	if (n - *at < l)
		return err_set(e, ERR_INPUT, "request: %s: truncated", what);
	*dst = p + *at;
	*len = l;
	*at += l;
	return 0;
}

int proto_decode_request(const uint8_t *p, size_t n, struct proto_request *r, struct err *e)
{
	memset(r, 0, sizeof *r);
	if (n < 2)
		return err_set(e, ERR_INPUT, "request: shorter than its header");
	if (p[0] != PROTO_VERSION)
		return err_set(e, ERR_INPUT, "request: version %u, this signer speaks %u", p[0],
			       PROTO_VERSION);
	if (p[1] == PROTO_TYPE_LIST) {
		if (n != 2 + 24)
			return err_set(e, ERR_INPUT, "request: list: %s", n < 26 ? "truncated"
				       : "bytes after the last field");
		r->type = PROTO_TYPE_LIST;
		r->from_ms = get_u64(p + 2);
		r->to_ms = get_u64(p + 10);
		r->after = get_u64(p + 18);
		return 0;
	}
	if (p[1] != PROTO_TYPE_SIGN)
		return err_set(e, ERR_INPUT, "request: unknown type %u", p[1]);
	r->type = PROTO_TYPE_SIGN;
	size_t at = 2;
	if (take_str(p, n, &at, "request: application id", r->app, PROTO_APP_MAX, e) < 0 ||
	    proto_check_app(r->app, e) < 0 ||
	    take_str(p, n, &at, "request: booklet number", r->booklet, PROTO_BOOKLET_MAX, e) < 0 ||
	    proto_check_booklet(r->booklet, e) < 0)
		return -1;
	if (n - at < PROTO_DATE_LEN)
		return err_set(e, ERR_INPUT, "request: issue date: truncated");
	memcpy(r->issue_date, p + at, PROTO_DATE_LEN);
	r->issue_date[PROTO_DATE_LEN] = 0;
	at += PROTO_DATE_LEN;
	if (!date_ok(r->issue_date))
		return err_set(e, ERR_INPUT, "request: issue date: 8 digits YYYYMMDD");
	if (take_bytes(p, n, &at, 2, "EF.DG1", PROTO_DG1_MAX, &r->dg1, &r->dg1_len, e) < 0 ||
	    take_bytes(p, n, &at, 4, "EF.DG2", PROTO_DG2_MAX, &r->dg2, &r->dg2_len, e) < 0)
		return -1;
	if (at != n)
		return err_set(e, ERR_INPUT, "request: bytes after the last field");
	return 0;
}

int proto_encode_list(const struct proto_list *l, struct buf *out, struct err *e)
{
	if (l->n > PROTO_LIST_MAX)
		return err_set(e, ERR_INPUT, "list: %zu entries (at most %u)", l->n,
			       PROTO_LIST_MAX);
	uint8_t h[3];
	put_u16(h, l->n);
	h[2] = l->more ? 1 : 0;
	buf_add(out, h, 3);
	for (size_t i = 0; i < l->n; i++) {
		const struct proto_signature *s = &l->sig[i];
		if ((i > 0 && s->id <= l->sig[i - 1].id) || s->time_ms < 0)
			return err_set(e, ERR_INPUT, "list: entry %zu: bad id or time", i);
		if (proto_check_booklet(s->booklet, e) < 0 || proto_check_app(s->app, e) < 0)
			return -1;
		uint8_t v[16];
		put_u64(v, s->id);
		put_u64(v + 8, (uint64_t)s->time_ms);
		buf_add(out, v, 16);
		buf_addch(out, (uint8_t)strlen(s->booklet));
		buf_add(out, s->booklet, strlen(s->booklet));
		buf_addch(out, (uint8_t)strlen(s->app));
		buf_add(out, s->app, strlen(s->app));
	}
	return buf_ok(out) ? 0 : err_nomem(e);
}

int proto_decode_list(const uint8_t *p, size_t n, struct proto_list *l, struct err *e)
{
	memset(l, 0, sizeof *l);
	if (n < 3)
		return err_set(e, ERR_INPUT, "list: shorter than its header");
	size_t count = (size_t)p[0] << 8 | p[1];
	if (count > PROTO_LIST_MAX || p[2] > 1)
		return err_set(e, ERR_INPUT, "list: bad header");
	l->more = p[2];
	size_t at = 3;
	for (size_t i = 0; i < count; i++) {
		struct proto_signature *s = &l->sig[i];
		if (n - at < 16)
			return err_set(e, ERR_INPUT, "list: entry %zu: truncated", i);
		s->id = get_u64(p + at);
		uint64_t t = get_u64(p + at + 8);
		at += 16;
		if (t > INT64_MAX || (i > 0 && s->id <= l->sig[i - 1].id))
			return err_set(e, ERR_INPUT, "list: entry %zu: bad id or time", i);
		s->time_ms = (int64_t)t;
		if (take_str(p, n, &at, "list: booklet number", s->booklet, PROTO_BOOKLET_MAX,
			     e) < 0 || proto_check_booklet(s->booklet, e) < 0 ||
		    take_str(p, n, &at, "list: application id", s->app, PROTO_APP_MAX, e) < 0 ||
		    proto_check_app(s->app, e) < 0)
			return -1;
		l->n = i + 1;
	}
	if (at != n)
		return err_set(e, ERR_INPUT, "list: bytes after the last entry");
	return 0;
}

int proto_encode_response(const struct proto_response *r, struct buf *out, struct err *e)
{
	size_t lr = strlen(r->reason);
	if (lr > PROTO_REASON_MAX || r->sod_len > PROTO_PAYLOAD_MAX)
		return err_set(e, ERR_INPUT, "response: field too long");
	uint8_t h[4] = { PROTO_VERSION, (uint8_t)r->status, 0, 0 }, l[4];
	put_u16(h + 2, lr);
	put_u32(l, r->sod_len);
	buf_add(out, h, 4);
	buf_add(out, r->reason, lr);
	buf_add(out, l, 4);
	if (r->sod_len)
		buf_add(out, r->sod, r->sod_len);
	return buf_ok(out) ? 0 : err_nomem(e);
}

int proto_decode_response(const uint8_t *p, size_t n, struct proto_response *r,
			  struct err *e)
{
	memset(r, 0, sizeof *r);
	if (n < 4)
		return err_set(e, ERR_INPUT, "response: shorter than its header");
	if (p[0] != PROTO_VERSION)
		return err_set(e, ERR_INPUT, "response: version %u, expected %u", p[0],
			       PROTO_VERSION);
	if (p[1] > PROTO_FAILED)
		return err_set(e, ERR_INPUT, "response: unknown status %u", p[1]);
	r->status = p[1];
	size_t lr = (size_t)p[2] << 8 | p[3], at = 4;
	if (lr > PROTO_REASON_MAX || n - at < lr)
		return err_set(e, ERR_INPUT, "response: reason: bad length");
	for (size_t i = 0; i < lr; i++) {
		if (p[at + i] < 0x20 || p[at + i] > 0x7e)
			return err_set(e, ERR_INPUT, "response: reason: not printable ASCII");
		r->reason[i] = (char)p[at + i];
	}
	r->reason[lr] = 0;
	at += lr;
	if (n - at < 4)
		return err_set(e, ERR_INPUT, "response: payload length: truncated");
	uint32_t l = get_u32(p + at);
	at += 4;
	if (l > PROTO_PAYLOAD_MAX || n - at != l)
		return err_set(e, ERR_INPUT, "response: payload: bad length");
	if (r->status != PROTO_OK && l > 0)
		return err_set(e, ERR_INPUT, "response: payload only with status ok");
	r->sod = l ? p + at : NULL;
	r->sod_len = l;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n, struct err *e)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return err_errno(e, ERR_IO, "socket write");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, uint8_t *p, size_t n, struct err *e)
{
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_errno(e, ERR_IO, "socket read");
		if (r == 0)
			return err_set(e, ERR_IO, "socket read: connection closed early");
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int proto_write_frame(int fd, const uint8_t *p, size_t n, struct err *e)
{
	uint8_t l[4];
	put_u32(l, n);
	return write_all(fd, l, 4, e) < 0 || write_all(fd, p, n, e) < 0 ? -1 : 0;
}

int proto_read_frame(int fd, struct buf *out, size_t max, struct err *e)
{
	uint8_t l[4];
	if (read_all(fd, l, 4, e) < 0)
		return -1;
	uint32_t n = get_u32(l);
	if (n > max)
		return err_set(e, ERR_INPUT, "message of %u bytes is too large (at most %zu)", n,
			       max);
	buf_reset(out);
	if (n == 0)
		return 0;
	if (buf_grow(out, n) < 0)
		return err_nomem(e);
	if (read_all(fd, out->data, n, e) < 0)
		return -1;
	out->len = n;
	out->data[n] = 0;
	return 0;
}
