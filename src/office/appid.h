/*
 * appid — application (and other record) ids of the office workflow (docs/WORKFLOW.md,
 * "Identifiers").
 *
 * An id is a prefix letter followed by 25 Crockford base32 characters (digits and upper
 * case letters without I, L, O, U) encoding 125 bits: the creation time as 48-bit UTC
 * milliseconds, then 77 random bits. Ids of one prefix therefore sort by creation time
 * (to the millisecond) as plain strings, and cannot be guessed from one another.
 * Prefix 'A': applications (event subject "app:<id>"); 'W': watchlist entries.
 *
 * Nothing allocates; out buffers are APPID_LEN + 1 bytes. Errors: ERR_INPUT (a time
 * outside 0 … 2^48 − 1 ms, a prefix that is not an upper-case letter), ERR_CRYPTO when
 * libsodium cannot start.
 */
#ifndef PASPOR_OFFICE_APPID_H
#define PASPOR_OFFICE_APPID_H

#include <stdint.h>

#include "util/err.h"

#define APPID_LEN 26          /* prefix + 25 characters */
#define APPID_RANDOM_BYTES 10 /* 77 bits are used: the top 3 bits of byte 0 are dropped */

/* Builds an id from a time and APPID_RANDOM_BYTES random bytes (deterministic: tests). */
int appid_make(char prefix, int64_t time_ms, const uint8_t rnd[APPID_RANDOM_BYTES],
	       char out[APPID_LEN + 1], struct err *e);
/* As appid_make with fresh random bytes (libsodium randombytes_buf). */
int appid_new(char prefix, int64_t time_ms, char out[APPID_LEN + 1], struct err *e);
/* 1 when s is a well-formed id with this prefix (exact length, canonical upper-case
 * Crockford characters), else 0. */
int appid_valid(const char *s, char prefix);
/* The creation time encoded in a valid id, -1 if it is not one. */
int64_t appid_time_ms(const char *s);

#endif
