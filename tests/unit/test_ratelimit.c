/*
 * office/ratelimit: burst then refusal with a Retry-After, refill over an injected
 * clock, memory bounded under a spray of keys (LRU eviction), keys independent, and
 * exact accounting under concurrent threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "office/ratelimit.h"

TEST(ratelimit_burst_and_retry_after)
{
	struct err e = ERR_INIT;
	/* 10 per minute, burst 10 */
	struct ratelimit *rl = ratelimit_new(1024, 10, 60000, 10, &e);
	CHECK(rl != NULL);
	unsigned retry = 0;
	int64_t t = 1000000;
	for (int i = 0; i < 10; i++)
		CHECK_INT_EQ(ratelimit_take(rl, "10.0.0.1", 8, t, &retry), 1);
	CHECK_INT_EQ(ratelimit_take(rl, "10.0.0.1", 8, t, &retry), 0);
	CHECK_INT_EQ(retry, 6); /* one token per 6 s */
	/* another key is not affected */
	CHECK_INT_EQ(ratelimit_take(rl, "10.0.0.2", 8, t, &retry), 1);
	/* 3 s later: half a token, 3 s still to wait */
	CHECK_INT_EQ(ratelimit_take(rl, "10.0.0.1", 8, t + 3000, &retry), 0);
	CHECK_INT_EQ(retry, 3);
	/* 6 s after the start: exactly one token */
	CHECK_INT_EQ(ratelimit_take(rl, "10.0.0.1", 8, t + 6000, &retry), 1);
	CHECK_INT_EQ(ratelimit_take(rl, "10.0.0.1", 8, t + 6000, &retry), 0);
	/* after a long pause: the burst again, no more */
	int allowed = 0;
	for (int i = 0; i < 20; i++)
		allowed += ratelimit_take(rl, "10.0.0.1", 8, t + 3600000, &retry);
	CHECK_INT_EQ(allowed, 10);
	/* a clock going backwards gives no tokens and does not crash */
	CHECK_INT_EQ(ratelimit_take(rl, "10.0.0.1", 8, t, &retry), 0);
	ratelimit_free(rl);
}

TEST(ratelimit_per_day_retry_after)
{
	struct err e = ERR_INIT;
	/* 5 per NIK per day */
	struct ratelimit *rl = ratelimit_new(64, 5, 86400000, 5, &e);
	CHECK(rl != NULL);
	unsigned retry = 0;
	for (int i = 0; i < 5; i++)
		CHECK_INT_EQ(ratelimit_take(rl, "6472011708850001", 16, 0, &retry), 1);
	CHECK_INT_EQ(ratelimit_take(rl, "6472011708850001", 16, 0, &retry), 0);
	CHECK_INT_EQ(retry, 86400 / 5);
	ratelimit_free(rl);
	CHECK(ratelimit_new(8, 1, 1000, 1, &e) == NULL); /* too small a table */
	CHECK(ratelimit_new(64, 0, 1000, 1, &e) == NULL);
}

TEST(ratelimit_memory_bounded_under_key_spray)
{
	struct err e = ERR_INIT;
	struct ratelimit *rl = ratelimit_new(1000, 1, 60000, 1, &e);
	CHECK(rl != NULL);
	size_t cap = ratelimit_capacity(rl);
	CHECK(cap >= 1000 && cap < 1100);
	char key[32];
	unsigned retry;
	/* a victim key, used once then kept hot */
	CHECK_INT_EQ(ratelimit_take(rl, "victim", 6, 0, &retry), 1);
	for (int i = 0; i < 200000; i++) {
		int n = snprintf(key, sizeof key, "spray-%d", i);
		CHECK_INT_EQ(ratelimit_take(rl, key, (size_t)n, 0, &retry), 1);
		CHECK(ratelimit_count(rl) <= cap);
		if (i % 8 == 0) /* recently used: survives the spray in its shard */
			CHECK_INT_EQ(ratelimit_take(rl, "victim", 6, 0, &retry), 0);
	}
	CHECK(ratelimit_count(rl) <= cap);
	/* an old spray key was evicted: it starts with a full bucket again */
	CHECK_INT_EQ(ratelimit_take(rl, "spray-0", 7, 0, &retry), 1);
	/* a recent one is still remembered and empty */
	int n = snprintf(key, sizeof key, "spray-%d", 199999);
	CHECK_INT_EQ(ratelimit_take(rl, key, (size_t)n, 0, &retry), 0);
	ratelimit_free(rl);
}

struct worker {
	struct ratelimit *rl;
	int allowed;
};

static void *hammer(void *arg)
{
	struct worker *w = arg;
	char key[16];
	unsigned retry;
	for (int i = 0; i < 20000; i++) {
		int n = snprintf(key, sizeof key, "ip-%d", i % 50);
		w->allowed += ratelimit_take(w->rl, key, (size_t)n, 5000, &retry);
	}
	return NULL;
}

TEST(ratelimit_threads)
{
	struct err e = ERR_INIT;
	/* a frozen clock: every key gets exactly its burst of 100, whatever the interleaving */
	struct ratelimit *rl = ratelimit_new(4096, 1, 3600000, 100, &e);
	CHECK(rl != NULL);
	struct worker w[8];
	pthread_t th[8];
	for (int i = 0; i < 8; i++) {
		w[i].rl = rl;
		w[i].allowed = 0;
		CHECK(pthread_create(&th[i], NULL, hammer, &w[i]) == 0);
	}
	int total = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		total += w[i].allowed;
	}
	CHECK_INT_EQ(total, 50 * 100);
	CHECK_INT_EQ(ratelimit_count(rl), 50);
	ratelimit_free(rl);
}
