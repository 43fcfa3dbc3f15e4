/*
 * appid — sortable random ids (see appid.h).
 */
#include "office/appid.h"

#include <string.h>

#include <sodium.h>

#include "util/sodium_ready.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int appid_make(char prefix, int64_t time_ms, const uint8_t rnd[APPID_RANDOM_BYTES],
	       char out[APPID_LEN + 1], struct err *e)
{
	if (prefix < 'A' || prefix > 'Z')
		return err_set(e, ERR_INPUT, "id prefix must be an upper-case letter");
	if (time_ms < 0 || time_ms > (int64_t)0xFFFFFFFFFFFF)
		return err_set(e, ERR_INPUT, "id time is outside 0 to 2^48 - 1 ms");
	/* 125 bits, most significant first: 48 time bits, then 77 random bits (the low 77
	 * bits of the 80 random bits given) */
	uint8_t bits[16] = { 0 }; /* 128 bits; the id uses the low 125 */
	uint64_t t = (uint64_t)time_ms;
	/* layout in a 128-bit big-endian number: [3 zero bits][48 time][77 random] */
	uint8_t r[APPID_RANDOM_BYTES];
	memcpy(r, rnd, sizeof r);
	r[0] &= 0x1F; /* keep 77 bits: 80 - 3 */
	/* 128 = 3 + 48 + 77: time occupies bits 124..77, random bits 76..0 */
	memcpy(bits + 6, r, sizeof r); /* bytes 6..15: 80 bits, top 3 cleared → bits 76..0 */
	/* time << 77: bit position 77 is bit 5 of byte 6 (byte 15 holds bits 7..0) */
	for (int i = 0; i < 48; i++) {
		if (!((t >> i) & 1))
			continue;
		int pos = 77 + i;          /* bit index from the least significant end */
		bits[15 - pos / 8] |= (uint8_t)(1u << (pos % 8));
	}
	out[0] = prefix;
	for (int c = 0; c < 25; c++) {
		int hi = 124 - 5 * c; /* the 5 bits hi..hi-4 */
		unsigned v = 0;
		for (int b = hi; b > hi - 5; b--)
			v = (v << 1) | ((bits[15 - b / 8] >> (b % 8)) & 1u);
		out[1 + c] = crockford[v];
	}
	out[APPID_LEN] = '\0';
	sodium_memzero(r, sizeof r);
	return 0;
}

int appid_new(char prefix, int64_t time_ms, char out[APPID_LEN + 1], struct err *e)
{
	if (libsodium_ready(e) < 0)
		return -1;
	uint8_t rnd[APPID_RANDOM_BYTES];
	randombytes_buf(rnd, sizeof rnd);
	int rc = appid_make(prefix, time_ms, rnd, out, e);
	sodium_memzero(rnd, sizeof rnd);
	return rc;
}

static int digit(char c)
{
	const char *p = c ? strchr(crockford, c) : NULL;
	return p ? (int)(p - crockford) : -1;
}

int appid_valid(const char *s, char prefix)
{
	if (!s || s[0] != prefix || strlen(s) != APPID_LEN)
		return 0;
	for (int i = 1; i < APPID_LEN; i++)
		if (digit(s[i]) < 0)
			return 0;
	return 1;
}

int64_t appid_time_ms(const char *s)
{
	if (!s || strlen(s) != APPID_LEN || s[0] < 'A' || s[0] > 'Z' || !appid_valid(s, s[0]))
		return -1;
	/* the first 48 of the 125 bits: characters 1..10 give 50 bits, drop the last 2 */
	uint64_t v = 0;
	for (int i = 1; i <= 10; i++)
		v = (v << 5) | (uint64_t)digit(s[i]);
	return (int64_t)(v >> 2);
}
