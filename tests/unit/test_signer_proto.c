/*
 * Unit tests for the signer's request protocol codec (signer/proto.h): round trips,
 * every truncation and every trailing byte refused, lengths out of range refused, unknown
 * versions, types and statuses refused, and hand-built bytes from the byte tables in
 * docs/SIGNER.md decoded as documented.
 */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "signer/proto.h"

static const uint8_t lso_der[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };

static void fill_request(struct proto_request *r, const char *app, const char *booklet,
			 const uint8_t *lso, size_t n)
{
	memset(r, 0, sizeof *r);
	strcpy(r->app, app);
	strcpy(r->booklet, booklet);
	r->lso = lso;
	r->lso_len = n;
}

TEST(signer_proto_request_bytes_as_documented)
{
	/* version 1, type 1, app "A-1", booklet "X12", LSO 5 bytes */
	static const uint8_t want[] = { 1, 1, 3, 'A', '-', '1', 3, 'X', '1', '2', 0, 0, 0, 5,
					0x30, 0x03, 0x02, 0x01, 0x00 };
	struct proto_request r, d;
	fill_request(&r, "A-1", "X12", lso_der, sizeof lso_der);
	struct buf b;
	buf_init(&b, PROTO_FRAME_MAX);
	struct err e = ERR_INIT;
	CHECK_INT_EQ(proto_encode_request(&r, &b, &e), 0);
	CHECK_INT_EQ(b.len, sizeof want);
	CHECK(memcmp(b.data, want, sizeof want) == 0);
	CHECK_INT_EQ(proto_decode_request(want, sizeof want, &d, &e), 0);
	CHECK(strcmp(d.app, "A-1") == 0);
	CHECK(strcmp(d.booklet, "X12") == 0);
	CHECK_INT_EQ(d.lso_len, sizeof lso_der);
	CHECK(d.lso == want + 14);
	buf_release(&b);
}

TEST(signer_proto_request_round_trip_at_the_limits)
{
	static uint8_t lso[PROTO_LSO_MAX];
	for (size_t i = 0; i < sizeof lso; i++)
		lso[i] = (uint8_t)(i * 7);
	char app[PROTO_APP_MAX + 1], bk[PROTO_BOOKLET_MAX + 1];
	memset(app, 'a', PROTO_APP_MAX);
	app[PROTO_APP_MAX] = 0;
	app[3] = '_';
	memset(bk, '9', PROTO_BOOKLET_MAX);
	bk[PROTO_BOOKLET_MAX] = 0;
	size_t sizes[] = { 1, 2, 100, PROTO_LSO_MAX };
	for (size_t k = 0; k < 4; k++) {
		struct proto_request r, d;
		fill_request(&r, app, bk, lso, sizes[k]);
		struct buf b;
		buf_init(&b, PROTO_FRAME_MAX);
		struct err e = ERR_INIT;
		CHECK_INT_EQ(proto_encode_request(&r, &b, &e), 0);
		CHECK(b.len <= PROTO_REQUEST_MAX);
		CHECK_INT_EQ(proto_decode_request(b.data, b.len, &d, &e), 0);
		CHECK(strcmp(d.app, app) == 0 && strcmp(d.booklet, bk) == 0);
		CHECK_INT_EQ(d.lso_len, sizes[k]);
		CHECK(memcmp(d.lso, lso, sizes[k]) == 0);
		buf_release(&b);
	}
}

TEST(signer_proto_request_every_truncation_and_trailing_byte_refused)
{
	struct proto_request r, d;
	fill_request(&r, "APP7", "X1234567", lso_der, sizeof lso_der);
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

TEST(signer_proto_request_bad_fields_refused)
{
	/* unknown version, unknown type */
	static const uint8_t v2[] = { 2, 1, 1, 'A', 1, 'B', 0, 0, 0, 1, 0x30 };
	static const uint8_t v0[] = { 0, 1, 1, 'A', 1, 'B', 0, 0, 0, 1, 0x30 };
	static const uint8_t t9[] = { 1, 9, 1, 'A', 1, 'B', 0, 0, 0, 1, 0x30 };
	static const uint8_t t0[] = { 1, 0, 1, 'A', 1, 'B', 0, 0, 0, 1, 0x30 };
	CHECK(decode_fails(v2, sizeof v2, "version 2"));
	CHECK(decode_fails(v0, sizeof v0, "version 0"));
	CHECK(decode_fails(t9, sizeof t9, "unknown type"));
	CHECK(decode_fails(t0, sizeof t0, "unknown type"));
	/* string lengths 0 and over the maximum */
	static const uint8_t app0[] = { 1, 1, 0, 1, 'B', 0, 0, 0, 1, 0x30 };
	static const uint8_t bk0[] = { 1, 1, 1, 'A', 0, 0, 0, 0, 1, 0x30 };
	CHECK(decode_fails(app0, sizeof app0, "application id: length 0"));
	CHECK(decode_fails(bk0, sizeof bk0, "booklet number: length 0"));
	uint8_t big[PROTO_REQUEST_MAX + 300];
	memset(big, 'A', sizeof big);
	big[0] = 1, big[1] = 1, big[2] = PROTO_APP_MAX + 1;
	CHECK(decode_fails(big, sizeof big, "application id: length 65"));
	big[2] = 1, big[4] = PROTO_BOOKLET_MAX + 1;
	CHECK(decode_fails(big, sizeof big, "booklet number: length 17"));
	/* characters outside the alphabets */
	static const uint8_t app_sp[] = { 1, 1, 2, 'A', ' ', 1, 'B', 0, 0, 0, 1, 0x30 };
	static const uint8_t bk_lower[] = { 1, 1, 1, 'A', 1, 'b', 0, 0, 0, 1, 0x30 };
	static const uint8_t bk_nul[] = { 1, 1, 1, 'A', 2, 'B', 0, 0, 0, 0, 1, 0x30 };
	CHECK(decode_fails(app_sp, sizeof app_sp, "not allowed"));
	CHECK(decode_fails(bk_lower, sizeof bk_lower, "not allowed"));
	CHECK(decode_fails(bk_nul, sizeof bk_nul, "booklet number"));
	/* LSO lengths: 0, one over the maximum, 2^32 - 1, longer than the bytes */
	static const uint8_t l0[] = { 1, 1, 1, 'A', 1, 'B', 0, 0, 0, 0 };
	static const uint8_t lmax[] = { 1, 1, 1, 'A', 1, 'B', 0, 0, 0x10, 0x01, 0x30 };
	static const uint8_t lhuge[] = { 1, 1, 1, 'A', 1, 'B', 0xff, 0xff, 0xff, 0xff, 0x30 };
	static const uint8_t lshort[] = { 1, 1, 1, 'A', 1, 'B', 0, 0, 0, 3, 0x30, 0x01 };
	CHECK(decode_fails(l0, sizeof l0, "length 0 out of"));
	CHECK(decode_fails(lmax, sizeof lmax, "length 4097 out of"));
	CHECK(decode_fails(lhuge, sizeof lhuge, "out of"));
	CHECK(decode_fails(lshort, sizeof lshort, "truncated"));
}

TEST(signer_proto_encode_refuses_what_decode_would)
{
	struct buf b;
	buf_init(&b, PROTO_FRAME_MAX);
	struct err e = ERR_INIT;
	struct proto_request r;
	fill_request(&r, "", "X1", lso_der, sizeof lso_der);
	CHECK_INT_EQ(proto_encode_request(&r, &b, &e), -1);
	fill_request(&r, "A", "x1", lso_der, sizeof lso_der);
	CHECK_INT_EQ(proto_encode_request(&r, &b, &e), -1);
	fill_request(&r, "A", "X1", lso_der, 0);
	CHECK_INT_EQ(proto_encode_request(&r, &b, &e), -1);
	fill_request(&r, "A", "X1", lso_der, PROTO_LSO_MAX + 1);
	CHECK_INT_EQ(proto_encode_request(&r, &b, &e), -1);
	CHECK_INT_EQ(b.len, 0);
	buf_release(&b);
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
	/* 01 00 | 00 00 | 00 00 01 2c | sod */
	CHECK_INT_EQ(b.len, 8 + sizeof sod);
	CHECK(b.data[0] == 1 && b.data[1] == 0 && b.data[6] == 1 && b.data[7] == 0x2c);
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
	static const uint8_t ver[] = { 2, 1, 0, 0, 0, 0, 0, 0 };
	static const uint8_t status[] = { 1, 4, 0, 0, 0, 0, 0, 0 };
	static const uint8_t ok_no_sod[] = { 1, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t refused_sod[] = { 1, 1, 0, 0, 0, 0, 0, 1, 0x77 };
	static const uint8_t reason_ctl[] = { 1, 1, 0, 1, '\n', 0, 0, 0, 0 };
	static const uint8_t reason_long[] = { 1, 1, 0x02, 0x01, 'x', 0, 0, 0, 0 };
	static const uint8_t sod_huge[] = { 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x77 };
	static const uint8_t good[] = { 1, 3, 0, 2, 'n', 'o', 0, 0, 0, 0 };
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
