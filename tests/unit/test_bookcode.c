/*
 * office/bookcode: codes use Crockford's base32 alphabet (from crockford.com/base32, typed
 * here independently of the module), carry >= 60 random bits by construction, round-trip
 * through the printed form, and the check symbol catches every single-symbol error and
 * every adjacent transposition, tried exhaustively on a sample of codes. Parsing forgives
 * case, spaces, dashes, O/I/L and is strict about length, alphabet and check.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "office/bookcode.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

TEST(bookcode_entropy_by_construction)
{
	CHECK(BOOKCODE_RANDOM_BITS >= 60);
	CHECK_INT_EQ(strlen(crockford), 32); /* 5 bits per symbol */
	CHECK_INT_EQ(BOOKCODE_RANDOM_SYMBOLS * 5, BOOKCODE_RANDOM_BITS);
	/* every symbol of every position shows up over many codes (a stuck position or a
	 * short alphabet would not) */
	unsigned seen[BOOKCODE_RANDOM_SYMBOLS][32];
	memset(seen, 0, sizeof seen);
	struct err e = ERR_INIT;
	for (int i = 0; i < 4000; i++) {
		char canon[BOOKCODE_CANON_SIZE];
		CHECK(bookcode_new(canon, NULL, &e) == 0);
		CHECK_INT_EQ(strlen(canon), BOOKCODE_SYMBOLS);
		for (int k = 0; k < BOOKCODE_RANDOM_SYMBOLS; k++) {
			const char *p = strchr(crockford, canon[k]);
			CHECK(p != NULL);
			seen[k][p - crockford]++;
		}
	}
	for (int k = 0; k < BOOKCODE_RANDOM_SYMBOLS; k++)
		for (int v = 0; v < 32; v++)
			CHECK(seen[k][v] > 50 && seen[k][v] < 250); /* expected 125 */
}

TEST(bookcode_roundtrip_and_format)
{
	struct err e = ERR_INIT;
	for (int i = 0; i < 200; i++) {
		char canon[BOOKCODE_CANON_SIZE], text[BOOKCODE_TEXT_SIZE], back[BOOKCODE_CANON_SIZE];
		CHECK(bookcode_new(canon, text, &e) == 0);
		CHECK_INT_EQ(strlen(text), 16);
		CHECK(text[5] == '-' && text[11] == '-');
		CHECK_INT_EQ(bookcode_parse(text, strlen(text), back), BOOKCODE_OK);
		CHECK_STR_EQ(back, canon);
		CHECK_INT_EQ(bookcode_parse(canon, strlen(canon), back), BOOKCODE_OK);
		CHECK_STR_EQ(back, canon);
	}
}

/* A code with every symbol value v[i] (a valid check appended). */
static void make(const uint8_t *v, char out[BOOKCODE_CANON_SIZE])
{
	for (int i = 0; i < BOOKCODE_RANDOM_SYMBOLS; i++)
		out[i] = crockford[v[i]];
	out[BOOKCODE_RANDOM_SYMBOLS] = crockford[bookcode_check_value(v, BOOKCODE_RANDOM_SYMBOLS)];
	out[BOOKCODE_SYMBOLS] = '\0';
}

TEST(bookcode_check_catches_single_errors_and_transpositions)
{
	struct err e = ERR_INIT;
	unsigned long tried = 0;
	for (int n = 0; n < 1500; n++) {
		char canon[BOOKCODE_CANON_SIZE], bad[BOOKCODE_CANON_SIZE], out[BOOKCODE_CANON_SIZE];
		CHECK(bookcode_new(canon, NULL, &e) == 0);
		for (int pos = 0; pos < BOOKCODE_SYMBOLS; pos++) {
			for (int v = 0; v < 32; v++) {
				if (crockford[v] == canon[pos])
					continue;
				memcpy(bad, canon, sizeof bad);
				bad[pos] = crockford[v];
				tried++;
				if (bookcode_parse(bad, BOOKCODE_SYMBOLS, out) != BOOKCODE_CHECK) {
					test_fail(__FILE__, __LINE__, "%s -> %s not caught", canon, bad);
					return;
				}
			}
			if (pos + 1 < BOOKCODE_SYMBOLS && canon[pos] != canon[pos + 1]) {
				memcpy(bad, canon, sizeof bad);
				bad[pos] = canon[pos + 1];
				bad[pos + 1] = canon[pos];
				tried++;
				if (bookcode_parse(bad, BOOKCODE_SYMBOLS, out) != BOOKCODE_CHECK) {
					test_fail(__FILE__, __LINE__, "swap %s -> %s not caught", canon,
						  bad);
					return;
				}
			}
		}
	}
	CHECK(tried > 600000);
	/* all transpositions of every pair of distinct values at every position, on the
	 * all-zero background: the algebra, not luck */
	for (int pos = 0; pos + 1 < BOOKCODE_SYMBOLS; pos++)
		for (int a = 0; a < 32; a++)
			for (int b = 0; b < 32; b++) {
				if (a == b)
					continue;
				uint8_t v[BOOKCODE_RANDOM_SYMBOLS] = { 0 };
				char good[BOOKCODE_CANON_SIZE], out[BOOKCODE_CANON_SIZE];
				if (pos + 1 < BOOKCODE_RANDOM_SYMBOLS) {
					v[pos] = (uint8_t)a;
					v[pos + 1] = (uint8_t)b;
				} else {
					v[pos] = (uint8_t)a;
				}
				make(v, good);
				if (good[pos] == good[pos + 1])
					continue;
				char sw = good[pos];
				good[pos] = good[pos + 1];
				good[pos + 1] = sw;
				CHECK_INT_EQ(bookcode_parse(good, BOOKCODE_SYMBOLS, out), BOOKCODE_CHECK);
			}
}

TEST(bookcode_forgiving_parse)
{
	uint8_t v[BOOKCODE_RANDOM_SYMBOLS] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	char canon[BOOKCODE_CANON_SIZE], out[BOOKCODE_CANON_SIZE], typed[64];
	make(v, canon); /* "0123456789ABC" + check */
	CHECK(strncmp(canon, "0123456789ABC", 13) == 0);
	/* lower case, spaces and dashes anywhere, O for 0, I and L for 1 */
	snprintf(typed, sizeof typed, "o i23 4-5678 9abc%c", canon[13] + ('a' - 'A') * (canon[13] >= 'A'));
	CHECK_INT_EQ(bookcode_parse(typed, strlen(typed), out), BOOKCODE_OK);
	CHECK_STR_EQ(out, canon);
	snprintf(typed, sizeof typed, "OL234-56789-ABC%c", canon[13]);
	CHECK_INT_EQ(bookcode_parse(typed, strlen(typed), out), BOOKCODE_OK);
	CHECK_STR_EQ(out, canon);
	/* strict: length, alphabet (U is not a symbol), check */
	CHECK_INT_EQ(bookcode_parse(canon, 13, out), BOOKCODE_LENGTH);
	snprintf(typed, sizeof typed, "%s0", canon);
	CHECK_INT_EQ(bookcode_parse(typed, strlen(typed), out), BOOKCODE_LENGTH);
	CHECK_INT_EQ(bookcode_parse("", 0, out), BOOKCODE_LENGTH);
	memcpy(typed, canon, BOOKCODE_CANON_SIZE);
	typed[3] = 'U';
	CHECK_INT_EQ(bookcode_parse(typed, 14, out), BOOKCODE_CHAR);
	typed[3] = '*';
	CHECK_INT_EQ(bookcode_parse(typed, 14, out), BOOKCODE_CHAR);
	typed[3] = '\0';
	CHECK_INT_EQ(bookcode_parse(typed, 14, out), BOOKCODE_CHAR);
	char longer[200];
	memset(longer, '-', sizeof longer);
	memcpy(longer, canon, 14);
	CHECK_INT_EQ(bookcode_parse(longer, sizeof longer, out), BOOKCODE_LENGTH); /* > 64 */
}

TEST(bookcode_keyed_hash)
{
	uint8_t k1[BOOKCODE_KEY_BYTES], k2[BOOKCODE_KEY_BYTES];
	memset(k1, 1, sizeof k1);
	memset(k2, 2, sizeof k2);
	struct err e = ERR_INIT;
	char canon[BOOKCODE_CANON_SIZE], h1[65], h2[65], h3[65];
	CHECK(bookcode_new(canon, NULL, &e) == 0);
	CHECK(bookcode_hash_hex(k1, canon, h1, &e) == 0);
	CHECK(bookcode_hash_hex(k1, canon, h2, &e) == 0);
	CHECK(bookcode_hash_hex(k2, canon, h3, &e) == 0);
	CHECK_INT_EQ(strlen(h1), 64);
	CHECK_STR_EQ(h1, h2);              /* deterministic: usable for lookup */
	CHECK(strcmp(h1, h3) != 0);        /* keyed */
	CHECK(strstr(h1, canon) == NULL);
}
