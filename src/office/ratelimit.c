/* ratelimit — see ratelimit.h. */
#include "office/ratelimit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "util/alloc.h"
#include "util/sodium_ready.h"

#define NONE (-1)

struct bucket {
	uint64_t id;        /* keyed hash of the key */
	int64_t last_ms;    /* when tokens was computed */
	double tokens;
	int32_t next_hash;  /* chain in the shard's hash table */
	int32_t newer, older; /* LRU list */
};

struct shard {
	pthread_mutex_t mu;
	struct bucket *b;
	int32_t *heads; /* nheads chains */
	uint32_t nheads, cap, used;
	int32_t newest, oldest;
};

struct ratelimit {
	unsigned char key[crypto_shorthash_KEYBYTES];
	double rate_per_ms, burst;
	size_t nshards;
	struct shard *shards;
};

static int shard_init(struct shard *s, uint32_t cap)
{
	s->cap = cap;
	s->nheads = 1;
	while (s->nheads < cap)
		s->nheads <<= 1;
	s->b = mem_calloc(cap, sizeof *s->b);
	s->heads = mem_calloc(s->nheads, sizeof *s->heads);
	if (!s->b || !s->heads)
		return -1;
	for (uint32_t i = 0; i < s->nheads; i++)
		s->heads[i] = NONE;
	s->newest = s->oldest = NONE;
	s->used = 0;
	return pthread_mutex_init(&s->mu, NULL) == 0 ? 0 : -1;
}

struct ratelimit *ratelimit_new(size_t entries, unsigned rate, int64_t period_ms,
				unsigned burst, struct err *e)
{
	if (entries < 16 || entries > (64u << 20) || rate < 1 || burst < 1 || period_ms < 1) {
		err_set(e, ERR_INPUT, "rate limiter: invalid parameters");
		return NULL;
	}
	if (libsodium_ready(e) < 0)
		return NULL;
	struct ratelimit *rl = mem_calloc(1, sizeof *rl);
	if (!rl) {
		err_nomem(e);
		return NULL;
	}
	crypto_shorthash_keygen(rl->key);
	rl->rate_per_ms = (double)rate / (double)period_ms;
	rl->burst = burst;
	rl->nshards = entries >= 256 ? 16 : 1;
	rl->shards = mem_calloc(rl->nshards, sizeof *rl->shards);
	if (!rl->shards) {
		mem_free(rl);
		err_nomem(e);
		return NULL;
	}
	uint32_t per = (uint32_t)((entries + rl->nshards - 1) / rl->nshards);
	for (size_t i = 0; i < rl->nshards; i++) {
		if (shard_init(&rl->shards[i], per) < 0) {
			/* shards after i were never initialised: free what exists */
			for (size_t k = 0; k <= i; k++) {
				mem_free(rl->shards[k].b);
				mem_free(rl->shards[k].heads);
				if (k < i)
					pthread_mutex_destroy(&rl->shards[k].mu);
			}
			mem_free(rl->shards);
			mem_free(rl);
			err_nomem(e);
			return NULL;
		}
	}
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	for (size_t i = 0; i < rl->nshards; i++) {
		pthread_mutex_destroy(&rl->shards[i].mu);
		mem_free(rl->shards[i].b);
		mem_free(rl->shards[i].heads);
	}
	mem_free(rl->shards);
	sodium_memzero(rl->key, sizeof rl->key);
	mem_free(rl);
}

static void lru_unlink(struct shard *s, int32_t i)
{
	struct bucket *b = &s->b[i];
	if (b->newer != NONE)
		s->b[b->newer].older = b->older;
	else
		s->newest = b->older;
	if (b->older != NONE)
		s->b[b->older].newer = b->newer;
	else
		s->oldest = b->newer;
	b->newer = b->older = NONE;
}

static void lru_push_newest(struct shard *s, int32_t i)
{
	struct bucket *b = &s->b[i];
	b->older = s->newest;
	b->newer = NONE;
	if (s->newest != NONE)
		s->b[s->newest].newer = i;
	s->newest = i;
	if (s->oldest == NONE)
		s->oldest = i;
}

static void hash_unlink(struct shard *s, int32_t i)
{
	int32_t *p = &s->heads[s->b[i].id & (s->nheads - 1)];
	while (*p != NONE && *p != i)
		p = &s->b[*p].next_hash;
	if (*p == i)
		*p = s->b[i].next_hash;
}

int ratelimit_take(struct ratelimit *rl, const void *key, size_t len, int64_t now_ms,
		   unsigned *retry_after_s)
{
	unsigned char h[crypto_shorthash_BYTES];
	crypto_shorthash(h, key, len, rl->key);
	uint64_t id = 0;
	for (int k = 0; k < 8; k++)
		id = (id << 8) | h[k];
	struct shard *s = &rl->shards[(id >> 56) % rl->nshards];
	pthread_mutex_lock(&s->mu);
	int32_t i = s->heads[id & (s->nheads - 1)];
	while (i != NONE && s->b[i].id != id)
		i = s->b[i].next_hash;
	if (i == NONE) {
		if (s->used < s->cap) {
			i = (int32_t)s->used++;
		} else { /* forget the least recently used key */
			i = s->oldest;
			lru_unlink(s, i);
			hash_unlink(s, i);
		}
		struct bucket *b = &s->b[i];
		b->id = id;
		b->last_ms = now_ms;
		b->tokens = rl->burst;
		uint32_t slot = (uint32_t)(id & (s->nheads - 1));
		b->next_hash = s->heads[slot];
		s->heads[slot] = i;
		b->newer = b->older = NONE;
	} else {
		lru_unlink(s, i);
	}
	lru_push_newest(s, i);
	struct bucket *b = &s->b[i];
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * rl->rate_per_ms;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
		b->last_ms = now_ms;
	}
	int allowed = b->tokens >= 1.0;
	if (allowed) {
		b->tokens -= 1.0;
	} else if (retry_after_s) {
		double wait_ms = (1.0 - b->tokens) / rl->rate_per_ms;
		double q = wait_ms / 1000.0;
		if (q > 1e9)
			q = 1e9;
		unsigned secs = (unsigned)q;
		if ((double)secs < q)
			secs++; /* round up */
		*retry_after_s = secs < 1 ? 1 : secs;
	}
	pthread_mutex_unlock(&s->mu);
	return allowed;
}

size_t ratelimit_count(struct ratelimit *rl)
{
	size_t n = 0;
	for (size_t i = 0; i < rl->nshards; i++) {
		pthread_mutex_lock(&rl->shards[i].mu);
		n += rl->shards[i].used;
		pthread_mutex_unlock(&rl->shards[i].mu);
	}
	return n;
}

size_t ratelimit_capacity(const struct ratelimit *rl)
{
	return rl->nshards * rl->shards[0].cap;
}

int64_t ratelimit_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#ifdef PASPOR_TESTING
	/* test builds: PASPOR_TEST_RATELIMIT_FROZEN=1 stops the limiters' clock at the first
	 * reading, so no bucket refills while a test counts answers on a loaded machine */
	static _Atomic int64_t frozen = -1;
	if (getenv("PASPOR_TEST_RATELIMIT_FROZEN")) {
		int64_t unset = -1;
		atomic_compare_exchange_strong(&frozen, &unset, now);
		return atomic_load(&frozen);
	}
#endif
	return now;
}
