/*
 * bookcode — booking codes: unguessable, readable aloud, with a check character
 * (docs/BOOKING.md).
 *
 * A code is 13 random symbols of Crockford's base32 alphabet
 * (0123456789ABCDEFGHJKMNPQRSTVWXYZ — no I, L, O, U), 5 bits each from libsodium's
 * randombytes_uniform, so 65 random bits, followed by one check symbol from the same
 * alphabet: 14 symbols, printed in groups as XXXXX-XXXXX-XXXX.
 *
 * The check symbol is Damm's algorithm over the field GF(32) (x^5 + x^2 + 1): with
 * a = x, the operation u*v = a·u + v is a totally anti-symmetric quasigroup, so every
 * single wrong symbol and every swap of two adjacent different symbols (the check
 * symbol included) is caught before any lookup.
 *
 * Parsing forgives what people do: lower case, spaces and dashes anywhere, O for 0 and
 * I or L for 1. It is strict about everything else: exactly 14 symbols, no other
 * characters, and the check symbol.
 *
 * Codes are stored and looked up by bookcode_hash, a keyed BLAKE2b (crypto_generichash)
 * of the canonical code, so the database never holds a usable code. The key is the
 * caller's (e.g. derived from the node's data key with crypto_kdf); 32 bytes.
 */
#ifndef PASPOR_OFFICE_BOOKCODE_H
#define PASPOR_OFFICE_BOOKCODE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define BOOKCODE_RANDOM_SYMBOLS 13
#define BOOKCODE_SYMBOLS 14           /* with the check symbol */
#define BOOKCODE_RANDOM_BITS (BOOKCODE_RANDOM_SYMBOLS * 5)
#define BOOKCODE_TEXT_SIZE 17         /* "XXXXX-XXXXX-XXXX" + NUL */
#define BOOKCODE_CANON_SIZE 15        /* 14 symbols + NUL */
#define BOOKCODE_KEY_BYTES 32
#define BOOKCODE_HASH_BYTES 32
#define BOOKCODE_MAX_INPUT 64         /* longer input is refused without reading it */

enum bookcode_status {
	BOOKCODE_OK = 0,
	BOOKCODE_LENGTH, /* not 14 symbols (after dropping spaces and dashes) */
	BOOKCODE_CHAR,   /* a character outside the alphabet (e.g. U, '*', '#') */
	BOOKCODE_CHECK,  /* the check symbol does not match: a typo */
};

const char *bookcode_status_text(enum bookcode_status s);

/* The check symbol's value (0..31) for n symbol values (0..31 each). */
int bookcode_check_value(const uint8_t *values, size_t n);

/* A new random code: canon gets the 14 symbols + NUL, text (may be NULL) the grouped
 * form. -1 with e if libsodium cannot start. */
int bookcode_new(char canon[BOOKCODE_CANON_SIZE], char text[BOOKCODE_TEXT_SIZE],
		 struct err *e);

/* The grouped form XXXXX-XXXXX-XXXX of a canonical code. */
void bookcode_format(const char canon[BOOKCODE_CANON_SIZE], char text[BOOKCODE_TEXT_SIZE]);

/* Parses what a person typed (len bytes, need not be NUL-terminated) into the canonical
 * 14 symbols. */
enum bookcode_status bookcode_parse(const char *s, size_t len,
				    char canon[BOOKCODE_CANON_SIZE]);

/* The keyed hash of a canonical code, for storage and lookup. */
int bookcode_hash(const uint8_t key[BOOKCODE_KEY_BYTES],
		  const char canon[BOOKCODE_CANON_SIZE], uint8_t out[BOOKCODE_HASH_BYTES],
		  struct err *e);
/* The same as 64 lower-case hex digits + NUL. */
int bookcode_hash_hex(const uint8_t key[BOOKCODE_KEY_BYTES],
		      const char canon[BOOKCODE_CANON_SIZE], char out[2 * BOOKCODE_HASH_BYTES + 1],
		      struct err *e);

#endif
