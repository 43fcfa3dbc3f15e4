/*
 * node — an office node's data dir, opened and closed as one thing.
 *
 *   DIR/            mode 0700
 *     paspor.db     SQLite (log/db.h): the log (log/store.h) and the state tables
 *     keys/         node.key, node.pub, data.key (log/keys.h), mode 0700, files 0600
 *     blobs/        encrypted blobs (log/blobs.h)
 *     checkpoint    the latest signed checkpoint note, also kept outside the database
 *     lock          held (flock) by the one process that writes
 *
 * node_create makes a new data dir and appends the first event ("node.created" v1,
 * with the office name and the node's verifier key) and its signed checkpoint.
 *
 * node_open with a KEK (opts->kek) opens for writing: it loads the keys (refusing key
 * files readable by others), takes DIR/lock (one writing process per data dir), opens
 * the database and runs the guards (node_check_guards). Without a KEK it opens for
 * reading (verify, proofs, checkpoint): no keys but node.pub, no lock, no guards, and
 * one read transaction for the node's life, on a snapshot it made durable (an
 * fdatasync of the WAL: a running writer's last commits may not be yet), so keep such
 * a node open only as long as needed (a running writer cannot finish a WAL checkpoint
 * past the snapshot).
 *
 * Guards (docs/LOG.md, "Store, group commit and guards"): a node refuses to write when
 *   - DIR/checkpoint is missing while the log is not empty, or its signature does not
 *     verify with keys/node.pub, or it names another origin;
 *   - the log is shorter than DIR/checkpoint (the database was restored from an old
 *     copy), or the log's root at that size differs (it was altered or replaced);
 *   - the latest checkpoint in the database does not cover exactly the stored events
 *     or its root differs from the tree's;
 *   - the clock is earlier than the last event's time by more than the tolerance
 *     (NODE_CLOCK_TOLERANCE_MS unless set in opts).
 * The message says what is wrong and how to restore; the code is ERR_VERIFY.
 *
 * A rebuild (node_rebuild) that stopped part-way (killed, disk full) leaves the state
 * tables incomplete and says so in the database: node_open then refuses every caller
 * (ERR_VERIFY, "run paspor rebuild again") except those that set opts->log_only —
 * they read only the log (verify, proofs, checkpoint) or run the rebuild itself.
 *
 * Ownership: struct node owns everything it opened; node_close releases it. While a
 * writer (log/writer.h) runs on a node, the node's database connection, store and tlog
 * belong to the writer thread; other threads must not use them.
 */
#ifndef PASPOR_LOG_NODE_H
#define PASPOR_LOG_NODE_H

#include <stdint.h>

#include <sqlite3.h>

#include "log/keys.h"
#include "log/note.h"
#include "log/store.h"
#include "log/tiles.h"
#include "util/err.h"

#define NODE_CLOCK_TOLERANCE_MS 5000

struct node_opts {
	const struct kek_source *kek; /* NULL: open read-only */
	int64_t clock_offset_ms;      /* added to the system clock (tests) */
	int64_t clock_tolerance_ms;   /* 0: NODE_CLOCK_TOLERANCE_MS */
	int log_only; /* reads only the log, or rebuilds: opens on incomplete state tables */
};

struct node {
	char *dir, *db_path, *wal_path, *keys_dir, *checkpoint_path; /* wal_path: SQLite's */
	char origin[256];
	int writable;
	int lock_fd;
	sqlite3 *db;
	struct store store;
	struct tlog tlog;
	int tlog_open;
	struct note_verifier verifier; /* from keys/node.pub */
	struct node_keys keys;         /* only when writable */
	uint64_t size;                 /* events stored */
	int64_t last_time_ms;          /* time of the last event, 0 if none */
	int64_t clock_offset_ms, clock_tolerance_ms;
	/* read-only nodes: DIR/checkpoint as it was just before the snapshot was taken
	 * (node_checkpoint_file) */
	struct buf file_note;
	int file_note_failed;     /* it could not be read: */
	struct err file_note_err; /* why */
};

/* Makes DIR (which must not exist, or be empty) as described above and appends the
 * first event. name: the office's name (NULL: the origin). */
int node_create(const char *dir, const char *origin, const char *name,
		const struct kek_source *kek, struct err *e);

int node_open(struct node *n, const char *dir, const struct node_opts *opts, struct err *e);
void node_close(struct node *n);

/* Knobs from the environment: PASPOR_CLOCK_TOLERANCE_MS (operations) and, in test builds
 * only (-DPASPOR_TESTING), PASPOR_TEST_CLOCK_OFFSET_MS (added to the clock, to simulate a
 * clock set back); the release build sets clock_offset_ms to 0. */
void node_opts_from_env(struct node_opts *o);

/* Empties, drops and recreates every projection table and replays every event through
 * its kind's handler (decrypting with the data key), streaming, in transactions of at
 * most NODE_REBUILD_STEP rows or events, so that neither memory nor the WAL grows with
 * the log. The first transaction marks the state incomplete, the last one removes the
 * mark (see node_open): a rebuild that stops part-way is run again from the start.
 * *count gets the number of events replayed. Needs a node open for writing. */
#define NODE_REBUILD_STEP 65536
int node_rebuild(struct node *n, uint64_t *count, struct err *e);
/* The same, calling progress(ctx, done, total) every 4096 events and at the end (total:
 * the log's size); progress may be NULL. step: events per transaction (tests), 0:
 * NODE_REBUILD_STEP. */
int node_rebuild_progress(struct node *n, uint64_t *count, uint64_t step,
			  void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx,
			  struct err *e);

/* DIR/checkpoint's content into out: for a read-only node the copy read at open, just
 * before its snapshot (the syncer of a running writer rewrites the file every ~100 ms
 * with notes newer than that snapshot; the copy never is), else the file as it is now.
 * -1 (ERR_IO, naming the file) when it could not be read. */
int node_checkpoint_file(struct node *n, struct buf *out, struct err *e);

/* The node's clock: UTC ms (system clock plus clock_offset_ms). */
int64_t node_now_ms(const struct node *n);

/* The guards above; 0 when the node may write. */
int node_check_guards(struct node *n, struct err *e);

/* Reopens the tlog on the store's committed state (after a rolled-back append). */
int node_reload(struct node *n, struct err *e);

/* Signs the checkpoint of the current tree (n->size) with the node key into out (the
 * signed note). */
int node_sign_checkpoint(struct node *n, struct buf *out, struct err *e);

/* Parses and verifies a signed checkpoint note against the node's verifier key and
 * origin; fills c (released by the caller). `what` names it in messages. */
int node_parse_checkpoint(struct node *n, const uint8_t *note, size_t len, const char *what,
			  struct checkpoint *c, struct err *e);

#endif
