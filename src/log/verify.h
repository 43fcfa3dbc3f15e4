/*
 * verify — `paspor log verify`: checks a node's whole log without any secret key.
 *
 * With the node opened read-only (log/node.h) it
 *   1. checks every stored checkpoint (and DIR/checkpoint): its signature with
 *      keys/node.pub, its origin, and that the stored tree (tiles) has that root at that
 *      size; the latest stored checkpoint must cover exactly the stored events;
 *   2. streams every event in seq order (a statement cursor read in batches of at most
 *      2048 events, three in a ring; a second thread decodes and leaf-hashes the next
 *      batches while this thread reads one and checks another, in order): seq
 *      continuity 0, 1, 2, …; the envelope decodes strictly (event_decode_memo),
 *      names this origin and this seq, and its time does not go backwards; its leaf hash
 *      equals the one the tiles commit to; the tree rebuilt from the events alone
 *      (a compact range of at most 64 hashes) has each checkpoint's root at its size;
 *      every clear "blob.stored" event's blob file (DIR/blobs) exists, with the logged
 *      size and SHA-256 (blobs_verify: no key needed), naming the blob and the event;
 *   3. checks every stored cosignature whose witness verifier key is stored beside it
 *      (meta "witness:<name>+<id>"): its signature line on that checkpoint's text;
 *   4. runs the verify_opts hooks.
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
#include "log/note.h"
#include "util/buf.h"
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
	uint64_t blobs;                  /* blob.stored events whose file was checked */
	uint64_t cosignatures;           /* cosignatures verified */
	uint64_t cosignatures_unchecked; /* cosignatures without a stored witness key */
	uint8_t root[MERKLE_HASH_LEN];
};

int log_verify(struct node *n, const struct verify_opts *o, struct verify_result *r,
	       struct err *e);

/*
 * Cosignatures (docs/LOG.md "Cosignatures"): msg is a signed note that must carry, on a
 * checkpoint text this node signed and stored (same origin, a stored size, same root and
 * lines), both this node's signature and one by the witness key vkey (a verifier key
 * string, not this node's own). Then the witness's signature line is stored beside that
 * checkpoint (store_cosignature_add) and its verifier key in meta "witness:<name>+<id>",
 * through a second, read-write connection to the node's database (n may be open
 * read-only; no data key is needed). Errors: ERR_INPUT for a malformed note, vkey or
 * checkpoint text; ERR_VERIFY for a signature that does not verify or a checkpoint this
 * node did not sign; ERR_IO from SQLite.
 */
struct log_cosign_result {
	uint64_t size;     /* the checkpoint's size */
	char witness[NOTE_MAX_NAME + 1];
	uint32_t key_id;
};
int log_cosign(struct node *n, const uint8_t *msg, size_t len, const char *vkey,
	       struct log_cosign_result *res, struct err *e);

/* Appends the signed checkpoint of size (have_size) or the latest one, followed by the
 * cosignature lines stored beside it (one signed note), to out: 0, 1 when there is no
 * such checkpoint, -1 on error. */
int log_checkpoint_note(struct node *n, int have_size, uint64_t size, struct buf *out,
			struct err *e);

#endif
