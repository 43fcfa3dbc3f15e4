/*
 * Deferred level-0 partial tiles (tlog.defer_edge, tlog_flush, tile_store.leaves): the
 * tree appended with deferral is the tree appended without it (roots and proofs at
 * every size), the partial tile is only stored by tlog_flush, and a tree reopened over
 * a store holding it narrower or not at all rebuilds it from the leaves.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "log/merkle.h"
#include "log/tiles.h"
#include "util/alloc.h"
#include "util/err.h"

#define N 1000 /* 3 full level-0 tiles and a partial one of 232 */

static uint8_t leaf_hashes[N][MERKLE_HASH_LEN];
static unsigned leaves_calls;

/* a memory store whose leaves function serves leaf_hashes */
static struct tile_memstore *mem;

static int m_read(void *ctx, unsigned level, uint64_t index, unsigned width, uint8_t *buf,
		  struct err *e)
{
	struct tile_store s = tile_memstore_store(ctx);
	return s.read(s.ctx, level, index, width, buf, e);
}

static int m_write(void *ctx, unsigned level, uint64_t index, unsigned width,
		   const uint8_t *buf, struct err *e)
{
	struct tile_store s = tile_memstore_store(ctx);
	return s.write(s.ctx, level, index, width, buf, e);
}

static int m_leaves(void *ctx, uint64_t first, unsigned n, uint8_t *buf, struct err *e)
{
	(void)ctx;
	leaves_calls++;
	if (n >= TILE_WIDTH || first + n > N)
		return err_set(e, ERR_INPUT, "bad leaves request");
	memcpy(buf, leaf_hashes[first], (size_t)n * MERKLE_HASH_LEN);
	return 0;
}

static void make_leaves(void)
{
	struct err e = ERR_INIT;
	for (unsigned i = 0; i < N; i++) {
		uint8_t x[2] = { (uint8_t)(i >> 8), (uint8_t)i };
		merkle_leaf_hash(x, sizeof x, leaf_hashes[i], &e);
	}
}

/* roots and an inclusion proof of a and b agree at every size up to n */
static int same_tree(struct tlog *a, struct tlog *b, uint64_t n)
{
	struct err e = ERR_INIT;
	for (uint64_t size = 1; size <= n; size += size < 300 ? 1 : 37) {
		uint8_t r1[32], r2[32];
		struct merkle_proof p1, p2;
		if (tlog_root(a, size, r1, &e) < 0 || tlog_root(b, size, r2, &e) < 0 ||
		    memcmp(r1, r2, 32) != 0)
			return 0;
		if (tlog_inclusion_proof(a, size / 2, size, &p1, &e) < 0 ||
		    tlog_inclusion_proof(b, size / 2, size, &p2, &e) < 0 || p1.n != p2.n ||
		    memcmp(p1.hash, p2.hash, p1.n * 32) != 0)
			return 0;
	}
	return 1;
}

TEST(tiles_deferred_edge_is_rebuilt_from_the_leaves)
{
	make_leaves();
	struct err e = ERR_INIT;
	struct tile_memstore *plain = tile_memstore_new();
	mem = tile_memstore_new();
	CHECK(plain && mem);
	struct tile_store ps = tile_memstore_store(plain);
	struct tile_store ds = { mem, m_read, m_write, m_leaves };
	struct tlog a, b;
	CHECK(tlog_open(&a, &ps, 0, &e) == 0);
	CHECK(tlog_open(&b, &ds, 0, &e) == 0);
	b.defer_edge = 1;
	/* uneven batches, as the writer's */
	size_t done = 0, step = 1;
	while (done < N) {
		size_t k = step < N - done ? step : N - done;
		CHECK(tlog_append(&a, leaf_hashes[done], k, &e) == 0);
		CHECK(tlog_append(&b, leaf_hashes[done], k, &e) == 0);
		done += k;
		step = step * 2 + 3;
		if (done == 8) {
			/* flushed once at width 8: the store keeps a stale, narrower copy */
			CHECK_INT_EQ(tlog_dirty(&b), 1);
			CHECK(tlog_flush(&b, &e) == 0);
			CHECK_INT_EQ(tlog_dirty(&b), 0);
			CHECK_INT_EQ(tile_memstore_width(mem, 0, 0), 8);
		}
	}
	CHECK(same_tree(&a, &b, N));
	/* full tiles and the level-1 partial are written as before; level 0 is not */
	CHECK_INT_EQ(tile_memstore_width(mem, 0, 2), 256);
	CHECK_INT_EQ(tile_memstore_width(mem, 1, 0), 3);
	CHECK_INT_EQ(tile_memstore_width(mem, 0, 3), 0);
	CHECK_INT_EQ(tile_memstore_width(plain, 0, 3), N % 256);

	/* reopened without the partial tile: rebuilt from the 232 last leaves */
	leaves_calls = 0;
	struct tlog c;
	CHECK(tlog_open(&c, &ds, N, &e) == 0);
	CHECK_INT_EQ(leaves_calls, 1);
	CHECK(same_tree(&a, &c, N));
	CHECK_INT_EQ(tlog_dirty(&c), 1); /* the rebuilt tile is stored by the next flush */
	CHECK(tlog_flush(&c, &e) == 0);
	CHECK_INT_EQ(tile_memstore_width(mem, 0, 3), N % 256);
	tlog_release(&c);

	/* reopened with it stored: read, no leaves needed; a store without leaves and
	 * without the tile cannot open */
	leaves_calls = 0;
	CHECK(tlog_open(&c, &ds, N, &e) == 0);
	CHECK_INT_EQ(leaves_calls, 0);
	CHECK(same_tree(&a, &c, N));
	tlog_release(&c);
	struct tile_memstore *empty = tile_memstore_new();
	CHECK(empty);
	struct tile_store es = tile_memstore_store(empty);
	CHECK(tlog_open(&c, &es, N, &e) < 0);
	CHECK_INT_EQ(e.code, ERR_IO);
	tile_memstore_free(empty);

	/* a reader at an older size reads a prefix of the stored tile */
	leaves_calls = 0;
	CHECK(tlog_open(&c, &ds, 3 * 256 + 5, &e) == 0);
	CHECK_INT_EQ(leaves_calls, 0);
	uint8_t r1[32], r2[32];
	CHECK(tlog_root(&a, 3 * 256 + 5, r1, &e) == 0);
	CHECK(tlog_root(&c, 3 * 256 + 5, r2, &e) == 0);
	CHECK_MEM_EQ(r1, r2, 32);
	tlog_release(&c);

	tlog_release(&a);
	tlog_release(&b);
	tile_memstore_free(plain);
	tile_memstore_free(mem);
}
