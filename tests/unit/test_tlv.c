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
