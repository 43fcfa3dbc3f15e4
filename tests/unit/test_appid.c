/*
 * Tests of office/appid: the id layout (prefix + 25 Crockford base32 characters of
 * 48-bit time ‖ 77 random bits), checked against an independent big-integer encoding
 * done with OpenSSL's BIGNUM, sortability and validation.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>

#include "harness.h"
#include "office/appid.h"

/* Crockford base32 of (t << 77 | r) with BIGNUM: 25 digits, most significant first. */
static void reference(int64_t t, const uint8_t rnd[10], char out[27])
{
	static const char alpha[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	BIGNUM *v = BN_new(), *r = BN_bin2bn(rnd, 10, NULL);
	BN_set_word(v, (BN_ULONG)t);
	BN_lshift(v, v, 77);
	BN_mask_bits(r, 77);
	BN_add(v, v, r);
	out[0] = 'A';
	for (int i = 25; i >= 1; i--) {
		BN_ULONG d = BN_div_word(v, 32);
		out[i] = alpha[d];
	}
	out[26] = '\0';
	BN_free(v);
	BN_free(r);
}

TEST(appid_layout_matches_bignum_reference)
{
	struct err e = ERR_INIT;
	uint8_t rnd[10];
	char id[APPID_LEN + 1], ref[27];
	int64_t times[] = { 0, 1, 1717200000000LL, 0xFFFFFFFFFFFFLL, 123456789012LL };
	for (size_t k = 0; k < sizeof times / sizeof times[0]; k++) {
		for (int i = 0; i < 10; i++)
			rnd[i] = (uint8_t)(0xA5 ^ (i * 37 + (int)k));
		CHECK(appid_make('A', times[k], rnd, id, &e) == 0);
		reference(times[k], rnd, ref);
		CHECK_STR_EQ(id, ref);
		CHECK(appid_valid(id, 'A'));
		CHECK_INT_EQ(appid_time_ms(id), times[k]);
	}
	memset(rnd, 0, sizeof rnd);
	CHECK(appid_make('A', 0, rnd, id, &e) == 0);
	CHECK_STR_EQ(id, "A0000000000000000000000000");
	memset(rnd, 0xFF, sizeof rnd);
	CHECK(appid_make('A', 0xFFFFFFFFFFFFLL, rnd, id, &e) == 0);
	CHECK_STR_EQ(id, "AZZZZZZZZZZZZZZZZZZZZZZZZZ");
}

TEST(appid_sorts_by_time_and_validates)
{
	struct err e = ERR_INIT;
	char a[APPID_LEN + 1], b[APPID_LEN + 1], w[APPID_LEN + 1];
	CHECK(appid_new('A', 1717200000000LL, a, &e) == 0);
	CHECK(appid_new('A', 1717200000001LL, b, &e) == 0);
	CHECK(strcmp(a, b) < 0);
	CHECK(appid_new('W', 1717200000000LL, w, &e) == 0);
	CHECK(appid_valid(w, 'W'));
	CHECK(!appid_valid(w, 'A'));
	char c[APPID_LEN + 1];
	CHECK(appid_new('A', 1717200000000LL, c, &e) == 0);
	CHECK(strcmp(a, c) != 0); /* random part differs */
	CHECK(!appid_valid("A000000000000000000000000", 'A'));   /* 24 characters */
	CHECK(!appid_valid("A00000000000000000000000000", 'A')); /* 26 */
	CHECK(!appid_valid("A000000000000000000000000I", 'A'));  /* I is not Crockford */
	CHECK(!appid_valid("A000000000000000000000000a", 'A'));  /* lower case */
	CHECK(!appid_valid("../../etc/passwd", 'A'));
	CHECK(!appid_valid(NULL, 'A'));
	CHECK(appid_make('a', 0, (const uint8_t *)"0123456789", c, &e) < 0);
	CHECK(appid_make('A', -1, (const uint8_t *)"0123456789", c, &e) < 0);
	CHECK(appid_make('A', 0x1000000000000LL, (const uint8_t *)"0123456789", c, &e) < 0);
}
