/*
 * tiles — the Merkle tree of a log stored as C2SP tlog-tiles (https://c2sp.org/tlog-tiles)
 * behind a small store interface, with appends, roots, node hashes and proofs.
 *
 * Layout. A tile of level L holds up to 256 consecutive hashes of tree nodes of height
 * 8·L: tile (L, N) holds nodes (8L, 256N) … (8L, 256N + W − 1), W being its width. A
 * level-0 tile holds leaf hashes; an entry of a level-L tile (L ≥ 1) is the root of a
 * full level-(L−1) tile (a 256-leaf subtree of the level below). A tile with W = 256 is
 * full and never changes; the rightmost tile of a level is partial (W < 256) and grows
 * as the log grows. Its public path is tile/<L>/<N>[.p/<W>] (tile_path).
 *
 * Store. A `struct tile_store` is a pair of functions over the caller's ctx:
 *   read(level, index, width, buf): copy the first `width` hashes of tile (level, index)
 *     into buf (width · 32 bytes). Hashes never change once written, so a store keeps
 *     only the widest version of each tile and serves any narrower width from its prefix;
 *     it fails (ERR_IO) when it holds fewer than `width` hashes of that tile.
 *   write(level, index, width, buf): store that tile, replacing a narrower version.
 * Full tiles are written once; a partial tile is rewritten by each append that changes
 * it (the level-0 one only by tlog_flush when tlog.defer_edge is set). The SQLite store (and later the PostgreSQL one) implements the pair; the memory
 * store here serves tests and tools. A store's functions return 0, or -1 with e set.
 *
 * struct tlog keeps, for each level, the current partial tile in memory (the "edge",
 * loaded by tlog_open: one read per non-empty partial tile) plus a two-tile cache per
 * level of full tiles. Reads per operation, for a tree of n leaves and l = ⌈log256 n⌉
 * levels: a complete node of height h comes from one tile of level ⌊h/8⌋ (zero reads if
 * it is in a partial tile, which is in memory); a root needs only right-edge nodes, hence
 * 0 reads at the current size and at most l reads at an older size; an inclusion or
 * consistency proof needs at most 2 tiles per level (the tile on the leaf's path and
 * the one on the tree's right edge), so at most 2·l reads (6 for a 16M-leaf log), and
 * at most 127 SHA-256 computations per proof hash (a node of height 8L + r is rebuilt
 * from 2^r tile entries). `reads` counts the store reads for tests and benchmarks.
 *
 * Append is not atomic on its own: the caller runs it inside the store's transaction;
 * if tlog_append fails, the tlog refuses further work until it is released and opened
 * again on the store's (rolled-back) state and size.
 *
 * Ownership: tlog borrows the store, which must outlive it; tlog_release frees what
 * tlog_open allocated.
 */
#ifndef PASPOR_LOG_TILES_H
#define PASPOR_LOG_TILES_H

#include <stddef.h>
#include <stdint.h>

#include "log/merkle.h"
#include "util/buf.h"
#include "util/err.h"

#define TILE_HEIGHT 8
#define TILE_WIDTH 256
/* Levels 0..7 cover every tree of fewer than 2^64 leaves. */
#define TILE_LEVELS 8
#define TILE_BYTES (TILE_WIDTH * MERKLE_HASH_LEN)

struct tile_store {
	void *ctx;
	int (*read)(void *ctx, unsigned level, uint64_t index, unsigned width, uint8_t *buf,
		    struct err *e);
	int (*write)(void *ctx, unsigned level, uint64_t index, unsigned width,
		     const uint8_t *buf, struct err *e);
	/* Optional (NULL: none): the leaf hashes of leaves [first, first + n), n < 256,
	 * computed from the log's entries. tlog_open uses it when the store holds the
	 * level-0 partial tile narrower than the tree needs (see tlog.defer_edge). */
	int (*leaves)(void *ctx, uint64_t first, unsigned n, uint8_t *buf, struct err *e);
};

/* Appends the tile path "tile/<L>/<N>[.p/<W>]" (N as x001/x234/067) to out. */
int tile_path(struct buf *out, unsigned level, uint64_t index, unsigned width);

/* In-memory store: tile_memstore_new returns NULL when out of memory; free with
 * tile_memstore_free. Counters let tests see what was read and written. */
struct tile_memstore;
struct tile_memstore *tile_memstore_new(void);
void tile_memstore_free(struct tile_memstore *m);
struct tile_store tile_memstore_store(struct tile_memstore *m);
unsigned long tile_memstore_writes(const struct tile_memstore *m);
/* The stored width of tile (level, index), 0 if none. */
unsigned tile_memstore_width(const struct tile_memstore *m, unsigned level, uint64_t index);

struct tlog_cache_slot {
	int valid;
	uint64_t index;
	unsigned long used;
	uint8_t hash[TILE_WIDTH][MERKLE_HASH_LEN];
};

struct tlog {
	struct tile_store store;
	uint64_t size;
	int broken;               /* an append failed: reopen */
	int defer_edge;           /* set by the caller: tlog_append leaves the level-0
				   * partial tile to tlog_flush (store.leaves needed) */
	unsigned long reads;      /* store reads so far */
	unsigned long clock;      /* for the cache's least-recently-used choice */
	struct tlog_state *st;    /* edge tiles, cache, scratch (mem_alloc'd) */
};

/* Opens the tree of `size` leaves held by store (0 for a new log). When the store holds
 * the level-0 partial tile narrower than size needs (deferred writes, below) and has a
 * leaves function, that tile is rebuilt from the leaves (at most 255). */
int tlog_open(struct tlog *t, const struct tile_store *store, uint64_t size, struct err *e);
void tlog_release(struct tlog *t);

/* Appends n leaf hashes (each MERKLE_HASH_LEN bytes, back to back), writing every tile
 * that fills and then each changed partial tile once — except, with t->defer_edge, the
 * level-0 partial tile, which stays in memory until tlog_flush (it is the one tile
 * rewritten by every append: up to 8 KiB; tlog_open can rebuild it from the leaves). */
int tlog_append(struct tlog *t, const uint8_t *leaf_hashes, size_t n, struct err *e);
/* 1 when a partial tile changed since it was last written (defer_edge), else 0. */
int tlog_dirty(const struct tlog *t);
/* Writes the partial tiles that changed since they were last written. On failure the
 * tree is unchanged and still usable (they stay dirty). */
int tlog_flush(struct tlog *t, struct err *e);

/* The hash of complete node (height, index): (index + 1) · 2^height ≤ t->size. */
int tlog_node_hash(struct tlog *t, unsigned height, uint64_t index,
		   uint8_t out[MERKLE_HASH_LEN], struct err *e);
/* The root of the tree of the first size leaves, size ≤ t->size. */
int tlog_root(struct tlog *t, uint64_t size, uint8_t out[MERKLE_HASH_LEN], struct err *e);
/* Proofs for trees of size ≤ t->size (see merkle.h for their shape). */
int tlog_inclusion_proof(struct tlog *t, uint64_t index, uint64_t size,
			 struct merkle_proof *out, struct err *e);
int tlog_consistency_proof(struct tlog *t, uint64_t size1, uint64_t size2,
			   struct merkle_proof *out, struct err *e);

#endif
