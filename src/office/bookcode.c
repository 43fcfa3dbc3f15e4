/* bookcode — see bookcode.h. */
#include "office/bookcode.h"

#include <sodium.h>
#include <string.h>

#include "util/sodium_ready.h"

static const char alphabet[33] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const char *bookcode_status_text(enum bookcode_status s)
{
	switch (s) {
	case BOOKCODE_OK: return "valid";
	case BOOKCODE_LENGTH: return "a booking code has 14 characters";
	case BOOKCODE_CHAR: return "a booking code uses only 0-9 and A-Z without I, L, O, U";
	case BOOKCODE_CHECK: return "the booking code has a typo (its check character "
				    "does not match)";
	}
	return "invalid";
}

/* Multiplication by x in GF(2^5) modulo x^5 + x^2 + 1. */
static uint8_t times_x(uint8_t u)
{
	uint8_t r = (uint8_t)((u << 1) & 31);
	return (u & 16) ? (uint8_t)(r ^ 5) : r;
}

int bookcode_check_value(const uint8_t *values, size_t n)
{
	/* Damm: interim = interim * d with u * v = x·u + v; the check c makes interim * c
	 * zero, i.e. c = x·interim (addition is XOR). */
	uint8_t interim = 0;
	for (size_t i = 0; i < n; i++)
		interim = (uint8_t)(times_x(interim) ^ (values[i] & 31));
	return times_x(interim);
}

static int symbol_value(char ch)
{
	if (ch >= 'a' && ch <= 'z')
		ch = (char)(ch - 'a' + 'A');
	if (ch == 'O')
		return 0;
	if (ch == 'I' || ch == 'L')
		return 1;
	const char *p = ch ? memchr(alphabet, ch, 32) : NULL;
	return p ? (int)(p - alphabet) : -1;
}

int bookcode_new(char canon[BOOKCODE_CANON_SIZE], char text[BOOKCODE_TEXT_SIZE],
		 struct err *e)
{
	if (libsodium_ready(e) < 0)
		return -1;
	uint8_t v[BOOKCODE_SYMBOLS];
	for (int i = 0; i < BOOKCODE_RANDOM_SYMBOLS; i++)
		v[i] = (uint8_t)randombytes_uniform(32);
	v[BOOKCODE_RANDOM_SYMBOLS] = (uint8_t)bookcode_check_value(v, BOOKCODE_RANDOM_SYMBOLS);
	for (int i = 0; i < BOOKCODE_SYMBOLS; i++)
		canon[i] = alphabet[v[i]];
	canon[BOOKCODE_SYMBOLS] = '\0';
	sodium_memzero(v, sizeof v);
	if (text)
		bookcode_format(canon, text);
	return 0;
}

void bookcode_format(const char canon[BOOKCODE_CANON_SIZE], char text[BOOKCODE_TEXT_SIZE])
{
	memcpy(text, canon, 5);
	text[5] = '-';
	memcpy(text + 6, canon + 5, 5);
	text[11] = '-';
	memcpy(text + 12, canon + 10, 4);
	text[16] = '\0';
}

enum bookcode_status bookcode_parse(const char *s, size_t len,
				    char canon[BOOKCODE_CANON_SIZE])
{
	if (!s || len > BOOKCODE_MAX_INPUT)
		return BOOKCODE_LENGTH;
	uint8_t v[BOOKCODE_SYMBOLS];
	size_t n = 0;
	int bad_char = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (ch == ' ' || ch == '-' || ch == '\t')
			continue;
		int val = symbol_value(ch);
		if (val < 0) {
			bad_char = 1;
			continue;
		}
		if (n < BOOKCODE_SYMBOLS)
			v[n] = (uint8_t)val;
		n++;
	}
	if (bad_char)
		return BOOKCODE_CHAR;
	if (n != BOOKCODE_SYMBOLS)
		return BOOKCODE_LENGTH;
	if (bookcode_check_value(v, BOOKCODE_RANDOM_SYMBOLS) != v[BOOKCODE_RANDOM_SYMBOLS])
		return BOOKCODE_CHECK;
	for (size_t i = 0; i < BOOKCODE_SYMBOLS; i++)
		canon[i] = alphabet[v[i]];
	canon[BOOKCODE_SYMBOLS] = '\0';
	return BOOKCODE_OK;
}

int bookcode_hash(const uint8_t key[BOOKCODE_KEY_BYTES],
		  const char canon[BOOKCODE_CANON_SIZE], uint8_t out[BOOKCODE_HASH_BYTES],
		  struct err *e)
{
	if (libsodium_ready(e) < 0)
		return -1;
	static const char domain[] = "paspor booking code v1";
	crypto_generichash_state st;
	if (crypto_generichash_init(&st, key, BOOKCODE_KEY_BYTES, BOOKCODE_HASH_BYTES) != 0 ||
	    crypto_generichash_update(&st, (const unsigned char *)domain, sizeof domain) != 0 ||
	    crypto_generichash_update(&st, (const unsigned char *)canon, BOOKCODE_SYMBOLS) != 0 ||
	    crypto_generichash_final(&st, out, BOOKCODE_HASH_BYTES) != 0)
		return err_set(e, ERR_CRYPTO, "cannot hash the booking code");
	return 0;
}

int bookcode_hash_hex(const uint8_t key[BOOKCODE_KEY_BYTES],
		      const char canon[BOOKCODE_CANON_SIZE], char out[2 * BOOKCODE_HASH_BYTES + 1],
		      struct err *e)
{
	uint8_t h[BOOKCODE_HASH_BYTES];
	if (bookcode_hash(key, canon, h, e) < 0)
		return -1;
	sodium_bin2hex(out, 2 * BOOKCODE_HASH_BYTES + 1, h, sizeof h);
	return 0;
}
