/* C2SP tlog-tiles over a store interface: see tiles.h. */
#include "log/tiles.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

#define CACHE_SLOTS 2

struct tlog_state {
	/* edge[L]: the first (done[L] % 256) hashes of the partial tile of level L */
	uint8_t edge[TILE_LEVELS][TILE_WIDTH][MERKLE_HASH_LEN];
	uint64_t done[TILE_LEVELS]; /* complete nodes of height 8L: size >> 8L */
	int dirty[TILE_LEVELS];
	struct tlog_cache_slot cache[TILE_LEVELS][CACHE_SLOTS];
	uint8_t scratch[TILE_WIDTH][MERKLE_HASH_LEN];
	/* The frontier: front[h], for each set bit h of the tree's size, is the hash of
	 * the complete subtree of height h on the right edge (node (h, (size >> h) − 1)).
	 * Appending a leaf merges it like a binary counter's carry (one node hash per leaf
	 * amortized, and the carry at height 8L is the root of a level-(L−1) tile that just
	 * filled); the root at the current size folds at most 64 of them. */
	uint8_t front[64][MERKLE_HASH_LEN];
};

/* ---- tile paths ---- */

int tile_path(struct buf *out, unsigned level, uint64_t index, unsigned width)
{
	char groups[8][4];
	int n = 0;
	do {
		snprintf(groups[n++], sizeof groups[0], "%03u", (unsigned)(index % 1000));
		index /= 1000;
	} while (index);
	buf_addf(out, "tile/%u/", level);
	for (int i = n - 1; i >= 0; i--)
		buf_addf(out, "%s%s%s", i ? "x" : "", groups[i], i ? "/" : "");
	if (width < TILE_WIDTH)
		buf_addf(out, ".p/%u", width);
	return buf_ok(out) ? 0 : -1;
}

/* ---- memory store ---- */

struct memtile {
	unsigned width;
	uint8_t *data; /* TILE_BYTES, allocated on first write */
};

struct tile_memstore {
	struct memtile *tiles[TILE_LEVELS];
	uint64_t count[TILE_LEVELS];
	unsigned long writes;
};

struct tile_memstore *tile_memstore_new(void)
{
	return mem_calloc(1, sizeof(struct tile_memstore));
}

void tile_memstore_free(struct tile_memstore *m)
{
	if (!m)
		return;
	for (unsigned l = 0; l < TILE_LEVELS; l++) {
		for (uint64_t i = 0; i < m->count[l]; i++)
			mem_free(m->tiles[l][i].data);
		mem_free(m->tiles[l]);
	}
	mem_free(m);
}

static int mem_read(void *ctx, unsigned level, uint64_t index, unsigned width, uint8_t *buf,
		    struct err *e)
{
	struct tile_memstore *m = ctx;
	if (level >= TILE_LEVELS || width == 0 || width > TILE_WIDTH || index >= m->count[level] ||
	    m->tiles[level][index].width < width)
		return err_set(e, ERR_IO, "tile %u/%" PRIu64 " of width %u is not stored", level,
			       index, width);
	memcpy(buf, m->tiles[level][index].data, (size_t)width * MERKLE_HASH_LEN);
	return 0;
}

static int mem_write(void *ctx, unsigned level, uint64_t index, unsigned width,
		     const uint8_t *buf, struct err *e)
{
	struct tile_memstore *m = ctx;
	if (level >= TILE_LEVELS || width == 0 || width > TILE_WIDTH || index > SIZE_MAX / 2)
		return err_set(e, ERR_INPUT, "bad tile %u/%" PRIu64 " width %u", level, index,
			       width);
	if (index >= m->count[level]) {
		uint64_t n = m->count[level] ? m->count[level] : 16;
		while (n <= index)
			n *= 2;
		struct memtile *t = mem_realloc(m->tiles[level], (size_t)n * sizeof *t);
		if (!t)
			return err_nomem(e);
		memset(t + m->count[level], 0, (size_t)(n - m->count[level]) * sizeof *t);
		m->tiles[level] = t;
		m->count[level] = n;
	}
	struct memtile *t = &m->tiles[level][index];
	if (!t->data && !(t->data = mem_alloc(TILE_BYTES)))
		return err_nomem(e);
	if (width < t->width)
		return err_set(e, ERR_INPUT, "tile %u/%" PRIu64 " would shrink from %u to %u",
			       level, index, t->width, width);
	memcpy(t->data, buf, (size_t)width * MERKLE_HASH_LEN);
	t->width = width;
	m->writes++;
	return 0;
}

struct tile_store tile_memstore_store(struct tile_memstore *m)
{
	struct tile_store s = { m, mem_read, mem_write, NULL };
	return s;
}

unsigned long tile_memstore_writes(const struct tile_memstore *m)
{
	return m->writes;
}

unsigned tile_memstore_width(const struct tile_memstore *m, unsigned level, uint64_t index)
{
	if (level >= TILE_LEVELS || index >= m->count[level])
		return 0;
	return m->tiles[level][index].width;
}

/* ---- the tree ---- */

int tlog_open(struct tlog *t, const struct tile_store *store, uint64_t size, struct err *e)
{
	memset(t, 0, sizeof *t);
	t->store = *store;
	t->st = mem_calloc(1, sizeof *t->st);
	if (!t->st)
		return err_nomem(e);
	t->size = size;
	for (unsigned l = 0; l < TILE_LEVELS; l++) {
		uint64_t done = l ? size >> (TILE_HEIGHT * l) : size;
		t->st->done[l] = done;
		unsigned w = (unsigned)(done % TILE_WIDTH);
		if (w == 0)
			continue;
		t->reads++;
		int rc = store->read(store->ctx, l, done / TILE_WIDTH, w, &t->st->edge[l][0][0], e);
		if (rc < 0 && l == 0 && store->leaves) {
			/* the level-0 partial tile is stored narrower (defer_edge): rebuild it */
			err_clear(e);
			rc = store->leaves(store->ctx, done - w, w, &t->st->edge[0][0][0], e);
			t->st->dirty[0] = 1; /* tlog_flush stores it */
		}
		if (rc < 0) {
			err_prefix(e, "cannot open a log of size %" PRIu64, size);
			tlog_release(t);
			return -1;
		}
	}
	/* the frontier's nodes all lie in the edge tiles just loaded: no reads */
	for (unsigned h = 0; h < 64; h++)
		if (((size >> h) & 1) &&
		    tlog_node_hash(t, h, (size >> h) - 1, t->st->front[h], e) < 0) {
			err_prefix(e, "cannot open a log of size %" PRIu64, size);
			tlog_release(t);
			return -1;
		}
	return 0;
}

void tlog_release(struct tlog *t)
{
	mem_free(t->st);
	t->st = NULL;
	t->size = 0;
}

static int usable(const struct tlog *t, struct err *e)
{
	if (!t->st)
		return err_set(e, ERR_INTERNAL, "log tree is not open");
	if (t->broken)
		return err_set(e, ERR_INTERNAL, "log tree is unusable after a failed append");
	return 0;
}

/* Hashes n = 2^k entries in place down to one (at v[0]). */
static int fold_subtree(uint8_t (*v)[MERKLE_HASH_LEN], unsigned n, struct err *e)
{
	for (; n > 1; n /= 2)
		for (unsigned i = 0; i < n / 2; i++)
			if (merkle_node_hash(v[2 * i], v[2 * i + 1], v[i], e) < 0)
				return -1;
	return 0;
}

/* Adds one node hash of height 8·level to its level's edge tile, writing the tile once
 * it is full. */
static int push(struct tlog *t, unsigned level, const uint8_t h[MERKLE_HASH_LEN],
		struct err *e)
{
	struct tlog_state *s = t->st;
	if (level >= TILE_LEVELS)
		return err_set(e, ERR_INTERNAL, "log tree is full");
	unsigned pos = (unsigned)(s->done[level] % TILE_WIDTH);
	memcpy(s->edge[level][pos], h, MERKLE_HASH_LEN);
	s->done[level]++;
	s->dirty[level] = 1;
	if (pos != TILE_WIDTH - 1)
		return 0;
	uint64_t index = s->done[level] / TILE_WIDTH - 1;
	if (t->store.write(t->store.ctx, level, index, TILE_WIDTH, &s->edge[level][0][0], e) < 0)
		return -1;
	s->dirty[level] = 0;
	return 0;
}

/* Appends leaf hash h as leaf number `size`: merges it into the frontier and pushes
 * each tile root the merge completes (the carry at height 8L) up to level L. */
static int add_leaf(struct tlog *t, uint64_t size, const uint8_t h[MERKLE_HASH_LEN],
		    struct err *e)
{
	struct tlog_state *s = t->st;
	uint8_t carry[MERKLE_HASH_LEN];
	memcpy(carry, h, MERKLE_HASH_LEN);
	if (push(t, 0, carry, e) < 0)
		return -1;
	unsigned height = 0;
	while ((size >> height) & 1) {
		if (merkle_node_hash(s->front[height], carry, carry, e) < 0)
			return -1;
		height++;
		if (height % TILE_HEIGHT == 0 && push(t, height / TILE_HEIGHT, carry, e) < 0)
			return -1;
	}
	memcpy(s->front[height], carry, MERKLE_HASH_LEN);
	return 0;
}

int tlog_append(struct tlog *t, const uint8_t *leaf_hashes, size_t n, struct err *e)
{
	if (usable(t, e) < 0)
		return -1;
	if (n > UINT64_MAX - t->size)
		return err_set(e, ERR_INPUT, "log tree would overflow");
	struct tlog_state *s = t->st;
	for (size_t i = 0; i < n; i++)
		if (add_leaf(t, t->size + i, leaf_hashes + i * MERKLE_HASH_LEN, e) < 0)
			goto fail;
	for (unsigned l = t->defer_edge && t->store.leaves ? 1 : 0; l < TILE_LEVELS; l++) {
		if (!s->dirty[l])
			continue;
		unsigned w = (unsigned)(s->done[l] % TILE_WIDTH);
		if (w && t->store.write(t->store.ctx, l, s->done[l] / TILE_WIDTH, w,
					&s->edge[l][0][0], e) < 0)
			goto fail;
		s->dirty[l] = 0;
	}
	t->size += n;
	return 0;
fail:
	t->broken = 1;
	err_prefix(e, "cannot append to the log tree");
	return -1;
}

int tlog_dirty(const struct tlog *t)
{
	if (!t->st)
		return 0;
	for (unsigned l = 0; l < TILE_LEVELS; l++)
		if (t->st->dirty[l])
			return 1;
	return 0;
}

int tlog_flush(struct tlog *t, struct err *e)
{
	if (usable(t, e) < 0)
		return -1;
	struct tlog_state *s = t->st;
	for (unsigned l = 0; l < TILE_LEVELS; l++) {
		if (!s->dirty[l])
			continue;
		unsigned w = (unsigned)(s->done[l] % TILE_WIDTH);
		if (w && t->store.write(t->store.ctx, l, s->done[l] / TILE_WIDTH, w,
					&s->edge[l][0][0], e) < 0) {
			err_prefix(e, "cannot write the log's partial tiles");
			return -1;
		}
		s->dirty[l] = 0;
	}
	return 0;
}

/* The first `need` entries of tile (level, index), from the edge or a cached full tile. */
static const uint8_t (*tile_entries(struct tlog *t, unsigned level, uint64_t index,
				    struct err *e))[MERKLE_HASH_LEN]
{
	struct tlog_state *s = t->st;
	if (index == s->done[level] / TILE_WIDTH)
		return (const uint8_t(*)[MERKLE_HASH_LEN])s->edge[level];
	struct tlog_cache_slot *slots = s->cache[level], *victim = &slots[0];
	for (unsigned i = 0; i < CACHE_SLOTS; i++) {
		if (slots[i].valid && slots[i].index == index) {
			slots[i].used = ++t->clock;
			return (const uint8_t(*)[MERKLE_HASH_LEN])slots[i].hash;
		}
		if (!slots[i].valid || slots[i].used < victim->used)
			victim = &slots[i];
	}
	victim->valid = 0;
	t->reads++;
	if (t->store.read(t->store.ctx, level, index, TILE_WIDTH, &victim->hash[0][0], e) < 0)
		return NULL;
	victim->valid = 1;
	victim->index = index;
	victim->used = ++t->clock;
	return (const uint8_t(*)[MERKLE_HASH_LEN])victim->hash;
}

int tlog_node_hash(struct tlog *t, unsigned height, uint64_t index,
		   uint8_t out[MERKLE_HASH_LEN], struct err *e)
{
	if (usable(t, e) < 0)
		return -1;
	if (height >= 64 || index >= (t->size >> height))
		return err_set(e, ERR_INPUT, "node %u/%" PRIu64 " is not in the tree of size %" PRIu64,
			       height, index, t->size);
	unsigned level = height / TILE_HEIGHT, r = height % TILE_HEIGHT;
	uint64_t first = index << r; /* entry index at height 8·level */
	unsigned count = 1u << r;
	const uint8_t(*v)[MERKLE_HASH_LEN] = tile_entries(t, level, first / TILE_WIDTH, e);
	if (!v)
		return -1;
	unsigned off = (unsigned)(first % TILE_WIDTH);
	if (count == 1) {
		memcpy(out, v[off], MERKLE_HASH_LEN);
		return 0;
	}
	struct tlog_state *s = t->st;
	memcpy(s->scratch, v[off], (size_t)count * MERKLE_HASH_LEN);
	if (fold_subtree(s->scratch, count, e) < 0)
		return -1;
	memcpy(out, s->scratch[0], MERKLE_HASH_LEN);
	return 0;
}

static int source_node(void *ctx, unsigned height, uint64_t index, uint8_t out[MERKLE_HASH_LEN],
		       struct err *e)
{
	return tlog_node_hash(ctx, height, index, out, e);
}

static int check_size(struct tlog *t, uint64_t size, struct err *e)
{
	if (usable(t, e) < 0)
		return -1;
	if (size > t->size)
		return err_set(e, ERR_INPUT, "tree size %" PRIu64 " is beyond the log's %" PRIu64,
			       size, t->size);
	return 0;
}

int tlog_root(struct tlog *t, uint64_t size, uint8_t out[MERKLE_HASH_LEN], struct err *e)
{
	if (check_size(t, size, e) < 0)
		return -1;
	if (size == t->size && size > 0) {
		/* fold the frontier from its lowest (rightmost) subtree up */
		int have = 0;
		for (unsigned h = 0; h < 64; h++) {
			if (!((size >> h) & 1))
				continue;
			if (!have)
				memcpy(out, t->st->front[h], MERKLE_HASH_LEN);
			else if (merkle_node_hash(t->st->front[h], out, out, e) < 0)
				return -1;
			have = 1;
		}
		return 0;
	}
	struct merkle_source src = { t, source_node };
	return merkle_root(&src, size, out, e);
}

int tlog_inclusion_proof(struct tlog *t, uint64_t index, uint64_t size,
			 struct merkle_proof *out, struct err *e)
{
	if (check_size(t, size, e) < 0)
		return -1;
	struct merkle_source src = { t, source_node };
	return merkle_inclusion_proof(&src, index, size, out, e);
}

int tlog_consistency_proof(struct tlog *t, uint64_t size1, uint64_t size2,
			   struct merkle_proof *out, struct err *e)
{
	if (check_size(t, size2, e) < 0)
		return -1;
	struct merkle_source src = { t, source_node };
	return merkle_consistency_proof(&src, size1, size2, out, e);
}
