/*
 * Unit tests for the signer's request protocol codec (signer/proto.h, version 2: the
 * data groups, not a security object; the signature list): round trips,
 * every truncation and every trailing byte refused, lengths out of range refused, unknown
 * versions, types and statuses refused, and hand-built bytes from the byte tables in
 * docs/SIGNER.md decoded as documented.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "icao/face.h"
#include "office/photo.h"
#include "signproto/proto.h"

static const uint8_t dg1_b[] = { 0x61, 0x03, 0x5F, 0x1F, 0x00 };
static const uint8_t dg2_b[] = { 0x75, 0x00 };

static void fill_request(struct proto_request *r, const char *app, const char *booklet,
			 const uint8_t *dg2, size_t n)
{
	memset(r, 0, sizeof *r);
	r->type = PROTO_TYPE_SIGN;
	strcpy(r->app, app);
	strcpy(r->booklet, booklet);
	strcpy(r->issue_date, "20261207");
	r->dg1 = dg1_b;
	r->dg1_len = sizeof dg1_b;
	r->dg2 = dg2;
	r->dg2_len = n;
}

TEST(signer_proto_request_bytes_as_documented)
{
	/* version 2, type 1, app "A-1", booklet "X12", issue date, DG1 5 bytes, DG2 2 */
	static const uint8_t want[] = { 2, 1, 3, 'A', '-', '1', 3, 'X', '1', '2',
					'2', '0', '2', '6', '1', '2', '0', '7',
					0, 5, 0x61, 0x03, 0x5F, 0x1F, 0x00,
					0, 0, 0, 2, 0x75, 0x00 };
	struct proto_request r, d;
	fill_request(&r, "A-1", "X12", dg2_b, sizeof dg2_b);
	struct buf b;
	buf_init(&b, PROTO_FRAME_MAX);
	struct err e = ERR_INIT;
	CHECK_INT_EQ(proto_encode_request(&r, &b, &e), 0);
	CHECK_INT_EQ(b.len, sizeof want);
	CHECK(memcmp(b.data, want, sizeof want) == 0);
	CHECK_INT_EQ(proto_decode_request(want, sizeof want, &d, &e), 0);
	CHECK_INT_EQ(d.type, PROTO_TYPE_SIGN);
	CHECK(strcmp(d.app, "A-1") == 0);
	CHECK(strcmp(d.booklet, "X12") == 0);
	CHECK(strcmp(d.issue_date, "20261207") == 0);
	CHECK_INT_EQ(d.dg1_len, sizeof dg1_b);
	CHECK(d.dg1 == want + 20);
	CHECK_INT_EQ(d.dg2_len, sizeof dg2_b);
	CHECK(d.dg2 == want + 29);
	buf_release(&b);
	/* the list request: version 2, type 2, from, to, after */
	static const uint8_t lw[] = { 2, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2,
				      0, 0, 0, 0, 0, 0, 1, 0 };
	CHECK_INT_EQ(proto_decode_request(lw, sizeof lw, &d, &e), 0);
	CHECK_INT_EQ(d.type, PROTO_TYPE_LIST);
	CHECK(d.from_ms == 1 && d.to_ms == 2 && d.after == 256);
	buf_init(&b, PROTO_FRAME_MAX);
	CHECK_INT_EQ(proto_encode_request(&d, &b, &e), 0);
	CHECK(b.len == sizeof lw && memcmp(b.data, lw, sizeof lw) == 0);
	buf_release(&b);
}

TEST(signer_proto_request_round_trip_at_the_limits)
{
	static uint8_t dg2[PROTO_DG2_MAX];
	for (size_t i = 0; i < sizeof dg2; i++)
		dg2[i] = (uint8_t)(i * 7);
	char app[PROTO_APP_MAX + 1], bk[PROTO_BOOKLET_MAX + 1];
	memset(app, 'a', PROTO_APP_MAX);
	app[PROTO_APP_MAX] = 0;
	app[3] = '_';
	memset(bk, '9', PROTO_BOOKLET_MAX);
	bk[PROTO_BOOKLET_MAX] = 0;
	static uint8_t dg1[PROTO_DG1_MAX];
	memset(dg1, 0x61, sizeof dg1);
	size_t sizes[] = { 1, 2, 100, PROTO_DG2_MAX };
	for (size_t k = 0; k < 4; k++) {
		struct proto_request r, d;
		fill_request(&r, app, bk, dg2, sizes[k]);
		r.dg1 = dg1;
		r.dg1_len = k == 3 ? PROTO_DG1_MAX : k + 1;
		struct buf b;
		buf_init(&b, PROTO_FRAME_MAX);
		struct err e = ERR_INIT;
		CHECK_INT_EQ(proto_encode_request(&r, &b, &e), 0);
		CHECK(b.len <= PROTO_REQUEST_MAX);
		if (k == 3)
			CHECK_INT_EQ(b.len, PROTO_REQUEST_MAX);
		CHECK_INT_EQ(proto_decode_request(b.data, b.len, &d, &e), 0);
		CHECK(strcmp(d.app, app) == 0 && strcmp(d.booklet, bk) == 0);
		CHECK_INT_EQ(d.dg2_len, sizes[k]);
		CHECK(memcmp(d.dg2, dg2, sizes[k]) == 0);
		CHECK_INT_EQ(d.dg1_len, r.dg1_len);
		buf_release(&b);
	}
}

TEST(signer_proto_request_fits_the_office_photo)
{
	/* the office's stored photo (office/photo.h) in a DG2 fits the request */
	CHECK(PHOTO_OUT_MAX + FACE_HEADER_LEN + 64 <= PROTO_DG2_MAX);
	CHECK(PROTO_REQUEST_MAX < 70000);
}

TEST(signer_proto_request_every_truncation_and_trailing_byte_refused)
{
	struct proto_request r, d;
	fill_request(&r, "APP7", "X1234567", dg2_b, sizeof dg2_b);
	struct buf b;
	buf_init(&b, PROTO_FRAME_MAX);
	struct err e = ERR_INIT;
	CHECK_INT_EQ(proto_encode_request(&r, &b, &e), 0);
	for (size_t n = 0; n < b.len; n++) {
		struct err e2 = ERR_INIT;
		if (proto_decode_request(b.data, n, &d, &e2) == 0)
			test_fail(__FILE__, __LINE__, "prefix of %zu bytes accepted", n);
		CHECK_INT_EQ(e2.code, ERR_INPUT);
	}
	buf_addch(&b, 0);
	e = (struct err)ERR_INIT;
	CHECK_INT_EQ(proto_decode_request(b.data, b.len, &d, &e), -1);
	CHECK(strstr(e.msg, "bytes after the last field") != NULL);
	buf_release(&b);
}

static int decode_fails(const uint8_t *p, size_t n, const char *needle)
{
	struct proto_request d;
	struct err e = ERR_INIT;
	return proto_decode_request(p, n, &d, &e) < 0 && e.code == ERR_INPUT &&
	       strstr(e.msg, needle) != NULL;
}

#define DATE '2', '0', '2', '6', '1', '2', '0', '7'

TEST(signer_proto_request_bad_fields_refused)
{
	/* version 1 (an LSO made by the caller) is not spoken any more; unknown type */
	static const uint8_t v1[] = { 1, 1, 1, 'A', 1, 'B', 0, 0, 0, 1, 0x30 };
	static const uint8_t v0[] = { 0, 1, 1, 'A', 1, 'B', DATE, 0, 1, 0x61, 0, 0, 0, 1, 0x75 };
	static const uint8_t t9[] = { 2, 9, 1, 'A', 1, 'B', DATE, 0, 1, 0x61, 0, 0, 0, 1, 0x75 };
	static const uint8_t t0[] = { 2, 0, 1, 'A', 1, 'B', DATE, 0, 1, 0x61, 0, 0, 0, 1, 0x75 };
	static const uint8_t ok[] = { 2, 1, 1, 'A', 1, 'B', DATE, 0, 1, 0x61, 0, 0, 0, 1, 0x75 };
	CHECK(decode_fails(v1, sizeof v1, "version 1, this signer speaks 2"));
	CHECK(decode_fails(v0, sizeof v0, "version 0"));
	CHECK(decode_fails(t9, sizeof t9, "unknown type"));
	CHECK(decode_fails(t0, sizeof t0, "unknown type"));
	CHECK(!decode_fails(ok, sizeof ok, ""));
	/* string lengths 0 and over the maximum */
	static const uint8_t app0[] = { 2, 1, 0, 1, 'B', DATE, 0, 1, 0x61, 0, 0, 0, 1, 0x75 };
	static const uint8_t bk0[] = { 2, 1, 1, 'A', 0, DATE, 0, 1, 0x61, 0, 0, 0, 1, 0x75 };
	CHECK(decode_fails(app0, sizeof app0, "application id: length 0"));
	CHECK(decode_fails(bk0, sizeof bk0, "booklet number: length 0"));
	static uint8_t big[PROTO_REQUEST_MAX + 300];
	memset(big, 'A', sizeof big);
	big[0] = 2, big[1] = 1, big[2] = PROTO_APP_MAX + 1;
	CHECK(decode_fails(big, sizeof big, "application id: length 65"));
	big[2] = 1, big[4] = PROTO_BOOKLET_MAX + 1;
	CHECK(decode_fails(big, sizeof big, "booklet number: length 17"));
	/* characters outside the alphabets; a date that is not 8 digits */
	static const uint8_t app_sp[] = { 2, 1, 2, 'A', ' ', 1, 'B', DATE, 0, 1, 0x61, 0, 0, 0,
					  1, 0x75 };
	static const uint8_t bk_lower[] = { 2, 1, 1, 'A', 1, 'b', DATE, 0, 1, 0x61, 0, 0, 0, 1,
					    0x75 };
	static const uint8_t bk_nul[] = { 2, 1, 1, 'A', 2, 'B', 0, DATE, 0, 1, 0x61, 0, 0, 0, 1,
					  0x75 };
	static const uint8_t date_dash[] = { 2, 1, 1, 'A', 1, 'B', '2', '0', '2', '6', '-', '1',
					     '2', '7', 0, 1, 0x61, 0, 0, 0, 1, 0x75 };
	CHECK(decode_fails(app_sp, sizeof app_sp, "not allowed"));
	CHECK(decode_fails(bk_lower, sizeof bk_lower, "not allowed"));
	CHECK(decode_fails(bk_nul, sizeof bk_nul, "booklet number"));
	CHECK(decode_fails(date_dash, sizeof date_dash, "issue date"));
	/* DG lengths: 0, one over the maximum, 2^32 - 1, longer than the bytes */
	static const uint8_t d1_0[] = { 2, 1, 1, 'A', 1, 'B', DATE, 0, 0, 0, 0, 0, 1, 0x75 };
	static const uint8_t d1_max[] = { 2, 1, 1, 'A', 1, 'B', DATE, 0, 129, 0x61 };
	static const uint8_t d2_0[] = { 2, 1, 1, 'A', 1, 'B', DATE, 0, 1, 0x61, 0, 0, 0, 0 };
	static const uint8_t d2_max[] = { 2, 1, 1, 'A', 1, 'B', DATE, 0, 1, 0x61, 0, 1, 0, 1,
					  0x75 };
	static const uint8_t d2_huge[] = { 2, 1, 1, 'A', 1, 'B', DATE, 0, 1, 0x61, 0xff, 0xff,
					   0xff, 0xff, 0x75 };
	static const uint8_t d2_short[] = { 2, 1, 1, 'A', 1, 'B', DATE, 0, 1, 0x61, 0, 0, 0, 3,
					    0x75 };
	CHECK(decode_fails(d1_0, sizeof d1_0, "EF.DG1: length 0 out of"));
	CHECK(decode_fails(d1_max, sizeof d1_max, "EF.DG1: length 129 out of"));
	CHECK(decode_fails(d2_0, sizeof d2_0, "EF.DG2: length 0 out of"));
	CHECK(decode_fails(d2_max, sizeof d2_max, "EF.DG2: length 65537 out of"));
	CHECK(decode_fails(d2_huge, sizeof d2_huge, "out of"));
	CHECK(decode_fails(d2_short, sizeof d2_short, "truncated"));
	/* a list request of the wrong length */
	static const uint8_t list_short[] = { 2, 2, 0, 0, 0 };
	CHECK(decode_fails(list_short, sizeof list_short, "list"));
}

TEST(signer_proto_encode_refuses_what_decode_would)
{
	struct buf b;
	buf_init(&b, PROTO_FRAME_MAX);
	struct err e = ERR_INIT;
	struct proto_request r;
	fill_request(&r, "", "X1", dg2_b, sizeof dg2_b);
	CHECK_INT_EQ(proto_encode_request(&r, &b, &e), -1);
	fill_request(&r, "A", "x1", dg2_b, sizeof dg2_b);
	CHECK_INT_EQ(proto_encode_request(&r, &b, &e), -1);
	fill_request(&r, "A", "X1", dg2_b, 0);
	CHECK_INT_EQ(proto_encode_request(&r, &b, &e), -1);
	fill_request(&r, "A", "X1", dg2_b, PROTO_DG2_MAX + 1);
	CHECK_INT_EQ(proto_encode_request(&r, &b, &e), -1);
	fill_request(&r, "A", "X1", dg2_b, sizeof dg2_b);
	strcpy(r.issue_date, "2026-12-");
	CHECK_INT_EQ(proto_encode_request(&r, &b, &e), -1);
	fill_request(&r, "A", "X1", dg2_b, sizeof dg2_b);
	r.dg1_len = PROTO_DG1_MAX + 1;
	CHECK_INT_EQ(proto_encode_request(&r, &b, &e), -1);
	CHECK_INT_EQ(b.len, 0);
	buf_release(&b);
}

TEST(signer_proto_list_round_trip_and_refusals)
{
	struct proto_list *l = calloc(1, sizeof *l), *d = calloc(1, sizeof *d);
	CHECK(l && d);
	l->n = PROTO_LIST_MAX;
	l->more = 1;
	for (size_t i = 0; i < l->n; i++) {
		l->sig[i].id = 10 + i;
		l->sig[i].time_ms = 1700000000000 + (int64_t)i;
		memset(l->sig[i].booklet, 'X', PROTO_BOOKLET_MAX);
		memset(l->sig[i].app, 'a', PROTO_APP_MAX);
	}
	struct buf b;
	buf_init(&b, PROTO_PAYLOAD_MAX);
	struct err e = ERR_INIT;
	/* the longest page fits a response */
	CHECK_INT_EQ(proto_encode_list(l, &b, &e), 0);
	CHECK(b.len <= PROTO_PAYLOAD_MAX);
	CHECK_INT_EQ(proto_decode_list(b.data, b.len, d, &e), 0);
	CHECK(d->n == l->n && d->more == 1);
	CHECK(memcmp(d->sig, l->sig, l->n * sizeof *l->sig) == 0);
	for (size_t n = 0; n < b.len; n += 7) {
		struct err e2 = ERR_INIT;
		if (proto_decode_list(b.data, n, d, &e2) == 0)
			test_fail(__FILE__, __LINE__, "list prefix of %zu bytes accepted", n);
	}
	/* ids must increase */
	l->n = 2;
	l->sig[1].id = l->sig[0].id;
	buf_reset(&b);
	CHECK_INT_EQ(proto_encode_list(l, &b, &e), -1);
	static const uint8_t twice[] = { 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1,
					 1, 'X', 1, 'A', 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0,
					 0, 1, 1, 'X', 1, 'A' };
	CHECK_INT_EQ(proto_decode_list(twice, sizeof twice, d, &e), -1);
	static const uint8_t empty[] = { 0, 0, 0 };
	CHECK_INT_EQ(proto_decode_list(empty, sizeof empty, d, &e), 0);
	CHECK(d->n == 0 && d->more == 0);
	buf_release(&b);
	free(l);
	free(d);
}

TEST(signer_proto_response_round_trip_and_truncations)
{
	static uint8_t sod[300];
	for (size_t i = 0; i < sizeof sod; i++)
		sod[i] = (uint8_t)(i + 1);
	struct proto_response r, d;
	memset(&r, 0, sizeof r);
	r.status = PROTO_OK;
	r.sod = sod;
	r.sod_len = sizeof sod;
	struct buf b;
	buf_init(&b, PROTO_FRAME_MAX);
	struct err e = ERR_INIT;
	CHECK_INT_EQ(proto_encode_response(&r, &b, &e), 0);
	/* 02 00 | 00 00 | 00 00 01 2c | sod */
	CHECK_INT_EQ(b.len, 8 + sizeof sod);
	CHECK(b.data[0] == 2 && b.data[1] == 0 && b.data[6] == 1 && b.data[7] == 0x2c);
	CHECK_INT_EQ(proto_decode_response(b.data, b.len, &d, &e), 0);
	CHECK_INT_EQ(d.status, PROTO_OK);
	CHECK(d.sod_len == sizeof sod && memcmp(d.sod, sod, sizeof sod) == 0);
	for (size_t n = 0; n < b.len; n++) {
		struct err e2 = ERR_INIT;
		if (proto_decode_response(b.data, n, &d, &e2) == 0)
			test_fail(__FILE__, __LINE__, "response prefix of %zu bytes accepted", n);
	}
	buf_addch(&b, 0);
	CHECK_INT_EQ(proto_decode_response(b.data, b.len, &d, &e), -1);

	/* a refusal with a reason and no EF.SOD */
	buf_reset(&b);
	memset(&r, 0, sizeof r);
	r.status = PROTO_REFUSED;
	strcpy(r.reason, "booklet X1 is signed already");
	CHECK_INT_EQ(proto_encode_response(&r, &b, &e), 0);
	CHECK_INT_EQ(proto_decode_response(b.data, b.len, &d, &e), 0);
	CHECK_INT_EQ(d.status, PROTO_REFUSED);
	CHECK(strcmp(d.reason, r.reason) == 0 && d.sod_len == 0 && d.sod == NULL);
	for (size_t n = 0; n < b.len; n++) {
		struct err e2 = ERR_INIT;
		if (proto_decode_response(b.data, n, &d, &e2) == 0)
			test_fail(__FILE__, __LINE__, "refusal prefix of %zu bytes accepted", n);
	}
	buf_release(&b);
}

static int response_fails(const uint8_t *p, size_t n)
{
	struct proto_response d;
	struct err e = ERR_INIT;
	return proto_decode_response(p, n, &d, &e) < 0 && e.code == ERR_INPUT;
}

TEST(signer_proto_response_bad_fields_refused)
{
	static const uint8_t ver[] = { 1, 1, 0, 0, 0, 0, 0, 0 };
	static const uint8_t status[] = { 2, 4, 0, 0, 0, 0, 0, 0 };
	static const uint8_t ok_no_sod[] = { 2, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t refused_sod[] = { 2, 1, 0, 0, 0, 0, 0, 1, 0x77 };
	static const uint8_t reason_ctl[] = { 2, 1, 0, 1, '\n', 0, 0, 0, 0 };
	static const uint8_t reason_long[] = { 2, 1, 0x02, 0x01, 'x', 0, 0, 0, 0 };
	static const uint8_t sod_huge[] = { 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x77 };
	static const uint8_t good[] = { 2, 3, 0, 2, 'n', 'o', 0, 0, 0, 0 };
	CHECK(response_fails(ver, sizeof ver));
	CHECK(response_fails(status, sizeof status));
	/* ok without an EF.SOD decodes (an operator answer, signer/admin.h); the sign
	 * client refuses it itself (client.c) */
	CHECK(!response_fails(ok_no_sod, sizeof ok_no_sod));
	CHECK(response_fails(refused_sod, sizeof refused_sod));
	CHECK(response_fails(reason_ctl, sizeof reason_ctl));
	CHECK(response_fails(reason_long, sizeof reason_long));
	CHECK(response_fails(sod_huge, sizeof sod_huge));
	CHECK(!response_fails(good, sizeof good));
	/* the encoder refuses a reason or EF.SOD over the maximum */
	struct proto_response r;
	memset(&r, 0, sizeof r);
	r.status = PROTO_OK;
	static uint8_t big[PROTO_SOD_MAX + 1];
	r.sod = big;
	r.sod_len = sizeof big;
	struct buf b;
	buf_init(&b, PROTO_FRAME_MAX);
	struct err e = ERR_INIT;
	CHECK_INT_EQ(proto_encode_response(&r, &b, &e), -1);
	buf_release(&b);
}

TEST(signer_proto_frames_on_a_socket_pair)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	static const uint8_t msg[] = { 1, 2, 3, 4, 5 };
	struct err e = ERR_INIT;
	struct buf in;
	buf_init(&in, PROTO_FRAME_MAX);
	CHECK_INT_EQ(proto_write_frame(sv[0], msg, sizeof msg, &e), 0);
	CHECK_INT_EQ(proto_read_frame(sv[1], &in, 16, &e), 0);
	CHECK(in.len == sizeof msg && memcmp(in.data, msg, sizeof msg) == 0);
	/* a length over max is refused before reading the body */
	CHECK_INT_EQ(proto_write_frame(sv[0], msg, sizeof msg, &e), 0);
	CHECK_INT_EQ(proto_read_frame(sv[1], &in, 4, &e), -1);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	CHECK(strstr(e.msg, "too large") != NULL);
	/* a frame cut short: the peer closes after 2 of 5 bytes */
	int sw[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sw) == 0);
	static const uint8_t cut[] = { 0, 0, 0, 5, 1, 2 };
	CHECK(write(sw[0], cut, sizeof cut) == (ssize_t)sizeof cut);
	close(sw[0]);
	e = (struct err)ERR_INIT;
	CHECK_INT_EQ(proto_read_frame(sw[1], &in, 16, &e), -1);
	CHECK_INT_EQ(e.code, ERR_IO);
	close(sw[1]);
	close(sv[0]);
	close(sv[1]);
	buf_release(&in);
}
