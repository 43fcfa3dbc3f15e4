/* BER-TLV reader and writer (icao/tlv). */
#include "harness.h"
#include "icao/tlv.h"

TEST(tlv_roundtrip_two_byte_tags_and_long_lengths)
{
	struct buf b;
	buf_init(&b, 0);
	uint8_t big[300];
	memset(big, 0xAB, sizeof big);
	CHECK(tlv_put(&b, 0x5F1F, "P<UTO", 5) == 0);
	CHECK(tlv_put(&b, 0x7F2E, big, sizeof big) == 0);
	CHECK_MEM_EQ(b.data, "\x5F\x1F\x05P<UTO", 8);
	CHECK_MEM_EQ(b.data + 8, "\x7F\x2E\x82\x01\x2C", 5);
	struct tlv t;
	struct err e = ERR_INIT;
	CHECK(tlv_read(b.data, b.len, &t, &e) == 0);
	CHECK_INT_EQ(t.tag, 0x5F1F);
	CHECK_INT_EQ(t.len, 5);
	CHECK(tlv_find(b.data, b.len, 0x7F2E, &t, &e) == 1);
	CHECK_INT_EQ(t.len, 300);
	CHECK(t.constructed);
	CHECK_INT_EQ(t.header_len, 5);
	CHECK(tlv_find(b.data, b.len, 0x5F0E, &t, &e) == 0);
	buf_release(&b);
}

TEST(tlv_rejects_lengths_past_the_end_and_indefinite)
{
	struct tlv t;
	struct err e = ERR_INIT;
	CHECK(tlv_read((const uint8_t *)"\x61\x05\x5F\x1F", 4, &t, &e) == -1);
	err_clear(&e);
	CHECK(tlv_read((const uint8_t *)"\x61\x80\x00\x00", 4, &t, &e) == -1);
	err_clear(&e);
	CHECK(tlv_read((const uint8_t *)"\x61\x84\xFF\xFF\xFF\xFF", 6, &t, &e) == -1);
	err_clear(&e);
	CHECK(tlv_read((const uint8_t *)"\x61", 1, &t, &e) == -1);
	err_clear(&e);
	CHECK(tlv_read_exact((const uint8_t *)"\x61\x00\x00", 3, 0x61, &t, &e) == -1);
	err_clear(&e);
	CHECK(tlv_read_exact((const uint8_t *)"\x61\x00", 2, 0x60, &t, &e) == -1);
}

TEST(tlv_read_ber_indefinite_lengths)
{
	struct tlv t;
	struct err e = ERR_INIT;
	/* 30 80 { 30 80 { 02 01 05 } 00 00, 04 01 AA } 00 00 */
	static const uint8_t nested[] = { 0x30, 0x80, 0x30, 0x80, 0x02, 0x01, 0x05, 0x00,
					  0x00, 0x04, 0x01, 0xAA, 0x00, 0x00 };
	CHECK(tlv_read_ber(nested, sizeof nested, &t, &e) == 0);
	CHECK_INT_EQ(t.tag, 0x30);
	CHECK_INT_EQ(t.indefinite, 1);
	CHECK_INT_EQ(t.header_len, 2);
	CHECK_INT_EQ(t.len, 10);
	CHECK_INT_EQ(tlv_ber_size(&t), sizeof nested);
	/* with more after it: the element ends at its own end-of-contents */
	uint8_t more[sizeof nested + 3];
	memcpy(more, nested, sizeof nested);
	memcpy(more + sizeof nested, "\x05\x00\x00", 3);
	CHECK(tlv_read_ber(more, sizeof more, &t, &e) == 0);
	CHECK_INT_EQ(tlv_ber_size(&t), sizeof nested);
	/* a definite length reads as tlv_read does */
	CHECK(tlv_read_ber((const uint8_t *)"\x77\x03\x02\x01\x00", 5, &t, &e) == 0);
	CHECK_INT_EQ(t.indefinite, 0);
	CHECK_INT_EQ(tlv_ber_size(&t), 5);
	/* tlv_read still refuses the indefinite length */
	CHECK(tlv_read(nested, sizeof nested, &t, &e) == -1);
}

TEST(tlv_read_ber_refusals)
{
	struct tlv t;
	struct err e = ERR_INIT;
	static const struct {
		const char *bytes;
		size_t n;
	} bad[] = {
		{ "\x30\x80\x02\x01\x05", 5 },                  /* no end-of-contents */
		{ "\x30\x80\x02\x01\x05\x00", 6 },              /* half of one */
		{ "\x04\x80\x01\x00\x00", 5 },                  /* primitive, indefinite */
		{ "\x30\x80\x04\x05\xAA\x00\x00", 7 },          /* inner length past the end */
		{ "\x30\x80\x00\x01\xAA\x00\x00", 7 },          /* tag 0 that is not 00 00 */
		{ "\x30\x80\x30\x80\x02\x01\x05\x00\x00", 9 },  /* outer one not closed */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err_clear(&e);
		if (tlv_read_ber((const uint8_t *)bad[i].bytes, bad[i].n, &t, &e) != -1) {
			test_fail(__FILE__, __LINE__, "case %zu accepted", i);
			return;
		}
		CHECK_INT_EQ(e.code, ERR_INPUT);
	}
	/* nesting deeper than TLV_BER_DEPTH */
	uint8_t deep[4 * (TLV_BER_DEPTH + 2)];
	size_t n = 0;
	for (int i = 0; i < TLV_BER_DEPTH + 2; i++) {
		deep[n++] = 0x30;
		deep[n++] = 0x80;
	}
	for (int i = 0; i < TLV_BER_DEPTH + 2; i++) {
		deep[n++] = 0x00;
		deep[n++] = 0x00;
	}
	err_clear(&e);
	CHECK(tlv_read_ber(deep, n, &t, &e) == -1);
	CHECK(strstr(e.msg, "too deep") != NULL);
	/* exactly TLV_BER_DEPTH levels are fine */
	size_t k = 2 * TLV_BER_DEPTH, m = 0;
	for (size_t i = 0; i < k / 2; i++) {
		deep[m++] = 0x30;
		deep[m++] = 0x80;
	}
	for (size_t i = 0; i < k / 2; i++) {
		deep[m++] = 0x00;
		deep[m++] = 0x00;
	}
	err_clear(&e);
	CHECK(tlv_read_ber(deep, m, &t, &e) == 0);
	CHECK_INT_EQ(tlv_ber_size(&t), m);
}
