/*
 * ratelimit — thread-safe token buckets keyed by a string (client address, NIK, …) with
 * bounded memory (docs/BOOKING.md, "Rate limits").
 *
 * Each key has a bucket of `burst` tokens that refills at `rate` tokens per `period_ms`;
 * a request takes one token or is refused with the seconds to wait until one is there
 * (for HTTP 429 Retry-After).
 *
 * Memory is fixed when the limiter is made: `entries` buckets (about 48 bytes each),
 * spread over shards with a mutex each. When a shard is full the least recently used
 * bucket is forgotten, so an attacker spraying keys cannot grow memory; the price is
 * that a forgotten key starts again with a full bucket, so `entries` should comfortably
 * exceed the number of keys active within one refill period. Keys are identified by a
 * keyed SipHash-2-4 (crypto_shorthash, random key per limiter) of their bytes: nothing
 * personal is kept, and collisions cannot be chosen from outside.
 *
 * Time is passed in (now_ms from any monotonic clock; ratelimit_now_ms gives one) so
 * tests can inject it. In test builds (-DPASPOR_TESTING) the environment variable
 * PASPOR_TEST_RATELIMIT_FROZEN stops ratelimit_now_ms at its first reading, so that an
 * integration test of the limits does not depend on the machine's speed.
 *
 * Ownership: ratelimit_new returns a limiter the caller frees with ratelimit_free.
 */
#ifndef PASPOR_OFFICE_RATELIMIT_H
#define PASPOR_OFFICE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct ratelimit;

/* rate, burst >= 1; period_ms >= 1; entries >= 16. */
struct ratelimit *ratelimit_new(size_t entries, unsigned rate, int64_t period_ms,
				unsigned burst, struct err *e);
void ratelimit_free(struct ratelimit *rl);

/*
 * Takes a token for key (len bytes). Returns 1 allowed, or 0 refused with
 * *retry_after_s (if not NULL) set to the whole seconds, at least 1, until a token is
 * available.
 */
int ratelimit_take(struct ratelimit *rl, const void *key, size_t len, int64_t now_ms,
		   unsigned *retry_after_s);

/* Buckets currently held (at most the entries given to ratelimit_new, rounded). */
size_t ratelimit_count(struct ratelimit *rl);
size_t ratelimit_capacity(const struct ratelimit *rl);

/* CLOCK_MONOTONIC in ms. */
int64_t ratelimit_now_ms(void);

#endif
