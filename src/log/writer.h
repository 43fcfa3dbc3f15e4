/*
 * writer — group commit: the one thread that writes a node's log.
 *
 * Callers (any thread) submit a request: a callback that appends events
 * (writer_txn_append) and may update state tables through writer_txn_db, run by the
 * writer thread inside its transaction. The writer takes every request queued (up to
 * WRITER_BATCH_MAX), and in ONE transaction (BEGIN IMMEDIATE) runs each inside its own
 * SAVEPOINT: a request whose callback returns -1 (say a UNIQUE constraint failed) is
 * rolled back alone, the others go on. Then it extends the tiles, signs a checkpoint of
 * the new tree with the node key and stores it in the same transaction and COMMITs
 * (synchronous=NORMAL: the WAL frames are written, not synced) and goes on with the
 * next batch, while a second thread, the syncer, fdatasync's the WAL (one call covers
 * every batch committed meanwhile) and only then acknowledges each request:
 * writer_submit returns, once the events and the checkpoint covering them are durable,
 * with the seq numbers the request got, or with its error. DIR/checkpoint (the rollback
 * guard) gets the durable note at most WRITER_FILE_INTERVAL_MS (100 ms) later: before
 * the ack of a batch when that long has passed or the last write failed (the batch is
 * then not acknowledged if the file cannot be written), else when the syncer is idle or
 * the writer stops (docs/LOG.md, "Group commit"). The level-0 partial tile is not
 * rewritten by every batch: the writer stores it when idle and when it stops
 * (log/tiles.h, defer_edge; it is rebuilt from the events after a crash). WAL
 * checkpoints run on a third thread with its own connection (writer.c, "WAL"), the
 * writer copying only the WAL's tail and checkpointing when idle. If anything fails
 * before COMMIT, the whole batch is rolled back and every request in it gets the error;
 * the log stays as it was; a failed fdatasync refuses the batches it covered and every
 * later one until the node is restarted.
 *
 * The writer stamps events with its clock (UTC ms, node_now_ms), never earlier than the
 * last event's time; if the clock is behind the last event by more than the node's
 * tolerance, the batch is refused (the clock guard). A node never signs two
 * inconsistent checkpoints: only this thread signs, always over the tree it extends.
 *
 * Ownership: the writer borrows the node (opened for writing), which must outlive it;
 * writer_stop finishes the queued requests, joins the threads (writer, syncer,
 * checkpointer) and frees the writer. A callback must not block on the writer (no
 * writer_submit or writer_wait_durable from inside a callback).
 *
 * Errors: those of the callback (its own struct err), ERR_INPUT for a body that does not
 * fit its kind, ERR_IO from SQLite and files, ERR_VERIFY from the clock guard.
 */
#ifndef PASPOR_LOG_WRITER_H
#define PASPOR_LOG_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "util/err.h"

#define WRITER_BATCH_MAX 1024

struct node;
struct writer;
struct writer_txn;

struct writer_result {
	uint64_t first_seq; /* the request's first event, when count > 0 */
	size_t count;       /* events it appended */
};

typedef int (*writer_fn)(struct writer_txn *tx, void *arg, struct err *e);

int writer_start(struct writer **out, struct node *n, struct err *e);
void writer_stop(struct writer *w);

/* Runs fn(tx, arg, e) in the writer's next batch and waits until it is durable. res may
 * be NULL. */
int writer_submit(struct writer *w, writer_fn fn, void *arg, struct writer_result *res,
		  struct err *e);

/* A COMMIT is visible to other connections a little before it is durable (the
 * syncer's fdatasync). A reader that must show only what a power cut cannot take back
 * calls this after its read transaction has taken its snapshot (its first read): it
 * returns once every COMMIT begun before the call is durable, at most one fdatasync
 * later, at once when none is pending. -1 (ERR_IO) when an fdatasync failed: the node
 * must be restarted. Not from a writer callback. */
int writer_wait_durable(struct writer *w, struct err *e);

/* A durable snapshot on db (another connection to the node's database): BEGIN, a first
 * read (which takes the snapshot), then writer_wait_durable; w may be NULL (no wait).
 * -1 with e set when the transaction cannot start (ERR_IO) or writer_wait_durable fails
 * (the transaction is then still open: end it with writer_read_end). */
int writer_read_begin(struct writer *w, sqlite3 *db, struct err *e);
/* Ends what writer_read_begin opened (nothing when no transaction is open). */
void writer_read_end(sqlite3 *db);

/* Appends an event of kind + version with canonical body (in clear) under actor and
 * subject; the writer seals it (unless the kind is a clear one), stores it and runs the
 * kind's projection. *seq (may be NULL) gets its sequence number. */
int writer_txn_append(struct writer_txn *tx, const char *actor, const char *kind,
		      uint16_t version, const char *subject, const uint8_t *body, size_t len,
		      uint64_t *seq, struct err *e);
/* As writer_txn_append, for a body the caller built in code as a JSON object (only
 * read, still the caller's): the kind's check and projection run on it as it is and it
 * is serialised once to its canonical bytes (log/canon.h, canon_write), never parsed —
 * the cheaper path for callers that build bodies with jansson (the workflow, officers,
 * blobs). ERR_INPUT when body is not an object, does not fit the kind, or holds what
 * a canonical body cannot (a real, an integer beyond ±(2^53 − 1), a string that is not
 * NFC UTF-8 or holds U+0000). */
int writer_txn_append_json(struct writer_txn *tx, const char *actor, const char *kind,
			   uint16_t version, const char *subject, const json_t *body,
			   uint64_t *seq, struct err *e);
/* The database connection, for state-table updates inside the request's savepoint. */
sqlite3 *writer_txn_db(struct writer_txn *tx);

struct blob_ref;
/* Stores data as a blob (log/blobs.h: blobs_put under the node's data key into
 * DIR/blobs) and, the first time this content is stored, appends a clear "blob.stored"
 * v1 event {"name", "sha256", "size"} (subject "blob:<name>") in the same request, so
 * the blob is anchored in the signed log and `log verify` can check its file without any
 * key. Content already logged (a row in the blobs projection) appends nothing: its file
 * is checked against the logged ref (ERR_VERIFY when it is missing or changed) and that
 * ref returned. *out gets the ref; workflow events refer to the blob by out->name.
 * If the request is then rolled back, the blob file stays, unreferenced (harmless:
 * encrypted; the next put of the same content adopts it; docs/BLOBS.md §8). */
int writer_txn_put_blob(struct writer_txn *tx, const void *data, size_t len,
			struct blob_ref *out, struct err *e);

struct writer_stats {
	unsigned long batches;   /* transactions committed */
	unsigned long requests;  /* requests run */
	unsigned long refused;   /* requests rolled back alone */
	unsigned long failed;    /* batches rolled back */
	/* writer-thread time, microseconds, summed over batches (benchmarks) */
	unsigned long long gather_us;   /* waiting for the queue to grow */
	unsigned long long requests_us; /* BEGIN and the requests' callbacks */
	unsigned long long sign_us;     /* tiles, checkpoint signature and row */
	unsigned long long commit_us;   /* COMMIT (writing the WAL frames; no fsync) */
	unsigned long long writer_cpu_us; /* the writer thread's CPU time since it started */
	/* syncer-thread time */
	unsigned long syncs;            /* fdatasync calls (one covers every batch committed
					 * since the last) */
	unsigned long long sync_us;     /* their time */
	unsigned long long ack_us;      /* checkpoint file when due, waking the clients */
	unsigned long long wal_frames;  /* pages (WAL frames) written by the COMMITs */
	unsigned long wal_checkpoints;  /* WAL checkpoints run by the writer thread */
	unsigned long long wal_checkpoint_us; /* their time (those in COMMIT are in commit_us) */
	unsigned long bg_checkpoints;   /* WAL checkpoints run by the checkpointer thread */
	unsigned long long bg_checkpoint_us; /* their time */
};
void writer_get_stats(struct writer *w, struct writer_stats *s);

#endif
