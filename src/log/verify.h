/*
 * verify — `paspor log verify`: checks a node's whole log without any secret key.
 *
 * With the node opened read-only (log/node.h) it
 *   1. checks every stored checkpoint (and DIR/checkpoint): its signature with
 *      keys/node.pub, its origin, and that the stored tree (tiles) has that root at that
 *      size; the latest stored checkpoint must cover exactly the stored events;
 *   2. streams every event in seq order (a statement cursor; one event in memory at a
 *      time): seq continuity 0, 1, 2, …; the envelope decodes strictly (event_decode),
 *      names this origin and this seq, and its time does not go backwards; its leaf hash
 *      equals the one the tiles commit to; the tree rebuilt from the events alone
 *      (a compact range of at most 64 hashes) has each checkpoint's root at its size;
 *   3. runs the verify_opts hooks (blobs will add theirs).
 * So a changed byte, a deleted, inserted or reordered event, a truncated or replaced
 * database is reported, naming the first bad event seq or checkpoint size (ERR_VERIFY).
 * Since every checkpoint is checked against the same tree, they are consistent with one
 * another.
 *
 * Errors: ERR_VERIFY for a log that does not verify, ERR_IO when the database cannot be
 * read (a foreign, encrypted or truncated file), ERR_NOMEM.
 */
#ifndef PASPOR_LOG_VERIFY_H
#define PASPOR_LOG_VERIFY_H

#include <stdint.h>

#include "log/merkle.h"
#include "util/err.h"

struct node;

struct verify_opts {
	/* called every few thousand events with the count done and the total; may be NULL */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	/* further checks after the log's (blobs): 0 ok, -1 with e set; may be NULL */
	int (*extra)(struct node *n, void *ctx, struct err *e);
	void *ctx;
};

struct verify_result {
	uint64_t events;
	uint64_t checkpoints;
	uint8_t root[MERKLE_HASH_LEN];
};

int log_verify(struct node *n, const struct verify_opts *o, struct verify_result *r,
	       struct err *e);

#endif
