/*
 * writer — group commit on one thread (see writer.h).
 */
#include "log/writer.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "log/blobs.h"
#include "log/canon.h"
#include "log/db.h"
#include "log/event.h"
#include "log/kinds.h"
#include "log/merkle.h"
#include "log/node.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/fs.h"

struct request {
	writer_fn fn;
	void *arg;
	struct err err;
	int rc;
	sem_t acked; /* posted once the request is done: wakes this client only, and it
		      * needs no lock to leave (the request lives on its stack) */
	struct writer_result res;
	struct request *next;
};

struct writer_txn {
	struct writer *w;
	int64_t time_ms;
	uint64_t next_seq;
	struct buf leaves;  /* leaf hashes of this batch */
	struct buf event;   /* scratch: one encoded event */
	struct buf body;    /* scratch: one canonical body (writer_txn_append_json) */
	struct event ev;    /* scratch: the event being appended */
	struct request *req;
	sqlite3_stmt *sp[3]; /* SAVEPOINT, ROLLBACK TO, RELEASE request (prepared once) */
	size_t taken;         /* requests in the batch so far */
	size_t gather_target; /* gather while fewer than this were taken... */
	int64_t gather_end;   /* ...until this time (mono_us) */
};

/* A batch the writer has finished (committed, or failed), waiting for the syncer. */
struct pending {
	struct request *batch; /* its requests, rc and err set (linked by next) */
	uint64_t number;       /* its COMMIT's number (commits_started), 0: no COMMIT ran */
	int committed;         /* COMMIT succeeded: the WAL must be synced before the acks */
	struct buf note;       /* the checkpoint note it stored (empty: none) */
	struct pending *next;
};

struct writer {
	struct node *node;
	pthread_t thread;
	/* submission (see "Queue") */
	_Atomic(struct request *) inbox; /* pushed by clients, newest first; INBOX_CLOSED */
	_Atomic int sleeping;       /* the writer waits (or is about to) on wake_seq */
	_Atomic uint32_t wake_seq;  /* a futex: bumped to wake the writer */
	_Atomic int stopping;       /* writer_stop was called */
	_Atomic int submitting;     /* clients inside writer_submit that may still touch w */
	struct request *head, *tail; /* the writer's own FIFO, taken from inbox */
	size_t last_batch;    /* requests in the batch run last */
	int64_t last_commit_us; /* how long its COMMIT took */
	pthread_mutex_t stats_mu; /* stats (writer, syncer, checkpointer, writer_get_stats) */
	struct writer_stats stats;
	/* the syncer (see "Durability" below) */
	pthread_t syncer;
	pthread_mutex_t smu;
	pthread_cond_t synced_cv;  /* pending work for the syncer */
	pthread_cond_t durable_cv; /* durable moved (writer_wait_durable) */
	struct pending *sq_head, *sq_tail; /* finished batches, oldest first */
	int sync_stopping;
	_Atomic uint64_t commits_started; /* COMMITs begun (writer thread) */
	_Atomic uint64_t durable;         /* every COMMIT up to this number is durable */
	_Atomic int64_t last_sync_us;     /* how long the last fdatasync took */
	_Atomic int sync_failed;          /* an fdatasync failed: no more writes */
	_Atomic int sync_busy;            /* the syncer has batches to sync (gathering) */
	int wal_fd;                       /* the WAL, for fdatasync (syncer only), -1 */
	/* the WAL checkpointer (see "WAL") */
	pthread_t ckpt_thread;
	int ckpt_running;            /* the thread exists */
	sqlite3 *ckpt_db;            /* its own connection */
	pthread_mutex_t cmu;
	pthread_cond_t ccv;
	int ckpt_want, ckpt_busy, ckpt_stop; /* under cmu */
	_Atomic int ckpt_result;     /* frames the last finished one backfilled, -1: none */
	/* DIR/checkpoint, written by the syncer only (see "Checkpoint file" below) */
	struct buf file_note; /* the latest durable checkpoint note */
	int file_dirty;       /* file_note is not in DIR/checkpoint yet */
	int file_failed;      /* the last attempt to write it failed */
	int64_t file_ms;      /* monotonic ms of the last successful write, -1: none yet */
	int64_t idle_from_ms; /* monotonic ms of the end of the last batch */
	int idle_work;        /* partial tiles to store once idle (idle_work) */
	int wal_last;         /* frames in the WAL after the last commit (wal_hook) */
	unsigned long long wal_frames; /* writer thread only; copied into stats */
	unsigned long wal_checkpoints;
	unsigned long long wal_checkpoint_us;
};

/*
 * Durability. The writer's connection runs with synchronous=NORMAL: its COMMIT writes
 * the batch's frames to the WAL without fsync and returns, and the writer starts the
 * next batch at once. The syncer thread then fdatasync's the WAL file (SQLite's WAL
 * frames carry checksums, so a power cut loses a tail of whole transactions, never
 * part of one) and only after that acknowledges the batch's requests; when several
 * batches committed during one fdatasync, the next one covers them all. So an
 * acknowledgement still means the events and the signed checkpoint covering them are
 * durable, and the fsync (~0.2-1 ms) no longer stops the writer thread
 * (docs/LOG.md, "Group commit"). SQLite itself still syncs the WAL before each WAL
 * checkpoint and the database after it.
 *
 * A COMMIT is visible to other connections before the syncer has made it durable. A
 * reader that must not show what a power cut could take back calls
 * writer_wait_durable after taking its snapshot (the office's read pool does, for every
 * request): COMMITs are numbered before they start (commits_started) and the syncer
 * publishes the highest number it made durable (durable).
 *
 * A failed fdatasync leaves the file's state unknown (Linux may drop the dirty pages
 * and report success to the next call): the batches it covered are refused, and every
 * later batch too (sync_failed) until the node is restarted and checks its log.
 */

/*
 * Checkpoint file. DIR/checkpoint is the guard against restoring an old copy of the
 * database (node_check_guards): it must never be AHEAD of the durable database, and it
 * may lag behind it (the guard then checks the database's tree has the file's root at
 * the file's size). So the syncer writes it only after the fdatasync that made the
 * same note durable (never ahead), and not necessarily before acknowledging. Writing
 * the file costs two more fsyncs (temp file and directory), so it is written
 *   - before acknowledging a batch when WRITER_FILE_INTERVAL_MS have passed since the
 *     last successful write, or the last attempt failed, or it was never written by
 *     this writer: a file that cannot be written then leaves the batch unacknowledged
 *     ("events stored but the checkpoint file was not written"), and every later batch
 *     retries it first, so acknowledged state never runs ahead of the file by more than
 *     one interval;
 *   - when the syncer has been idle for WRITER_FILE_INTERVAL_MS with a newer note, and
 *     when the writer stops.
 * Under load the file thus lags the database by at most one interval (plus a batch).
 */
#define WRITER_FILE_INTERVAL_MS 100

/*
 * Queue. Clients push their request onto inbox with one compare-and-swap and take no
 * lock (64 clients queueing under the writer's mutex left the writer waiting for it
 * whenever a client holding it was preempted); the writer takes the whole inbox with
 * one exchange and keeps the requests in its own FIFO (head, tail). To sleep, the writer
 * reads wake_seq, sets sleeping, and waits on the wake_seq futex only if the inbox is
 * still empty; a client that finds sleeping set after its push bumps wake_seq and wakes
 * the futex (sequentially consistent: of the writer's check and the client's, one sees
 * the other; a bump before the wait makes the wait return at once). Every client that
 * sees sleeping wakes it, and none holds a lock, so no one preempted client can keep
 * the writer asleep. When stopping and out of requests the writer swaps in INBOX_CLOSED:
 * a later writer_submit is refused; writer_stop frees the writer only once no client is
 * still inside writer_submit (submitting).
 */
static struct request inbox_closed_mark;
#define INBOX_CLOSED (&inbox_closed_mark)

/*
 * Gathering. The clients that a batch acknowledges usually submit again at once; a
 * writer that took only the requests queued at that instant would run them in
 * alternating halves, each half paying its own COMMIT. So when fewer requests wait
 * than the last batch held, the writer waits while the queue keeps growing (steps of
 * WRITER_GATHER_STEP_US without a new request end the wait), for at most the last
 * COMMIT's or fdatasync's duration and WRITER_GATHER_MAX_US — but only while the
 * syncer is busy with earlier batches: when the disk is idle, the batch closes at once
 * so that its fdatasync starts now (sync_busy; in alternating runs this gave ~8% more
 * appends at 64 writers and a lower p50, docs/BENCHMARKS.md "fifth pass"). A lone client
 * (last batch of one) never waits.
 */
#define WRITER_GATHER_STEP_US 60
#define WRITER_GATHER_MAX_US 1000

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* CPU time of the calling thread, microseconds (benchmark figures). */
static int64_t thread_cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_ms(void)
{
	return mono_us() / 1000;
}

/* Waits on c (m held) until `us` microseconds from now; 0 when signalled. c uses
 * CLOCK_MONOTONIC. */
static int cond_wait_us(pthread_cond_t *c, pthread_mutex_t *m, int64_t us)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(us / 1000000);
	ts.tv_nsec += (long)(us % 1000000) * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_cond_timedwait(c, m, &ts);
}

static int inbox_has(struct writer *w)
{
	struct request *r = atomic_load(&w->inbox);
	return r && r != INBOX_CLOSED;
}

static void wake_writer(struct writer *w)
{
	atomic_fetch_add(&w->wake_seq, 1);
	syscall(SYS_futex, (uint32_t *)&w->wake_seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* The writer waits until a request is pushed or writer_stop is called, at most us
 * microseconds (us < 0: no limit). 0 when woken, else ETIMEDOUT (or a spurious wake). */
static int writer_sleep(struct writer *w, int64_t us)
{
	uint32_t seq = atomic_load(&w->wake_seq);
	atomic_store(&w->sleeping, 1);
	if (!inbox_has(w) && !atomic_load(&w->stopping)) {
		struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };
		syscall(SYS_futex, (uint32_t *)&w->wake_seq, FUTEX_WAIT_PRIVATE, seq,
			us < 0 ? NULL : &ts, NULL, 0);
	}
	atomic_store(&w->sleeping, 0);
	return atomic_load(&w->wake_seq) != seq || inbox_has(w) ? 0 : ETIMEDOUT;
}

/* Moves what the inbox holds to the end of the writer's FIFO, oldest first. */
static void take_inbox(struct writer *w, struct request *list)
{
	struct request *fifo = NULL;
	while (list && list != INBOX_CLOSED) { /* newest first: reverse */
		struct request *r = list;
		list = r->next;
		r->next = fifo;
		fifo = r;
	}
	if (!fifo)
		return;
	if (w->tail)
		w->tail->next = fifo;
	else
		w->head = fifo;
	while (fifo->next)
		fifo = fifo->next;
	w->tail = fifo;
}

static void refill(struct writer *w)
{
	if (inbox_has(w))
		take_inbox(w, atomic_exchange(&w->inbox, NULL));
}

/* Writes w->file_note to DIR/checkpoint (the syncer thread only). */
static int write_file(struct writer *w, struct err *e)
{
	if (fs_write_atomic(w->node->checkpoint_path, w->file_note.data, w->file_note.len, 0644,
			    e) < 0) {
		w->file_failed = 1;
		return -1;
	}
	w->file_dirty = 0;
	w->file_failed = 0;
	w->file_ms = mono_ms();
	return 0;
}

static int file_due(const struct writer *w)
{
	return w->file_failed || w->file_ms < 0 ||
	       mono_ms() - w->file_ms >= WRITER_FILE_INTERVAL_MS;
}

/*
 * WAL. SQLite calls wal_hook after each COMMIT with the number of frames (pages) in the
 * WAL: the writer counts the frames each COMMIT wrote (benchmarks) and sees to WAL
 * checkpoints (copying its pages into paspor.db, with an fsync of each file). A
 * checkpoint of ~1000 frames took 5-30 ms (its fsync of paspor.db writes MBs), all of it
 * on the writer thread when the writer ran it in the hot path. Now:
 *   - once the WAL holds WRITER_WAL_MAX frames, the checkpointer thread runs a PASSIVE
 *     checkpoint on its own connection while the writer goes on;
 *   - SQLite restarts the WAL from its start only when a write transaction begins with
 *     every frame copied, which a checkpoint running beside a busy writer never leaves;
 *     so when the checkpointer has finished and fewer than WRITER_WAL_TAIL frames
 *     are left, the writer copies that tail itself (a small PASSIVE checkpoint, a few
 *     pages and two short fsyncs), and the next batch restarts the WAL;
 *   - past WRITER_WAL_HARD frames (a checkpointer that cannot keep up) the writer
 *     checkpoints itself as before; and when idle (idle_work).
 * A WAL bound larger than 1000 frames made every COMMIT slower while the WAL file grew
 * (docs/BENCHMARKS.md, "third pass"). When the writer stops, SQLite's default hook is
 * put back.
 */
#define WRITER_WAL_MAX 1000
#define WRITER_WAL_TAIL 300
#define WRITER_WAL_HARD 4000

static void own_checkpoint(struct writer *w, sqlite3 *db, const char *name)
{
	int64_t t0 = mono_us();
	w->wal_checkpoints++;
	sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	w->wal_checkpoint_us += (unsigned long long)(mono_us() - t0);
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct writer *w = arg;
	/* fewer frames than last time: the WAL was restarted after a checkpoint */
	w->wal_frames += (unsigned long long)(frames >= w->wal_last ? frames - w->wal_last
								   : frames);
	w->wal_last = frames;
	if (frames < WRITER_WAL_MAX / 2)
		return SQLITE_OK;
	if (!w->ckpt_running || frames >= WRITER_WAL_HARD) {
		if (frames >= WRITER_WAL_MAX)
			own_checkpoint(w, db, name);
		return SQLITE_OK;
	}
	int done = atomic_exchange(&w->ckpt_result, -1);
	if (done >= 0 && done <= frames && frames - done <= WRITER_WAL_TAIL) {
		own_checkpoint(w, db, name); /* the tail: the WAL restarts next batch */
		return SQLITE_OK;
	}
	if (frames >= WRITER_WAL_MAX) {
		pthread_mutex_lock(&w->cmu);
		if (!w->ckpt_busy) {
			w->ckpt_want = 1;
			pthread_cond_signal(&w->ccv);
		}
		pthread_mutex_unlock(&w->cmu);
	}
	return SQLITE_OK;
}

static void *ckpt_main(void *arg)
{
	struct writer *w = arg;
	pthread_setname_np(pthread_self(), "paspor-ckpt");
	pthread_mutex_lock(&w->cmu);
	for (;;) {
		while (!w->ckpt_want && !w->ckpt_stop)
			pthread_cond_wait(&w->ccv, &w->cmu);
		if (w->ckpt_stop)
			break;
		w->ckpt_want = 0;
		w->ckpt_busy = 1;
		pthread_mutex_unlock(&w->cmu);
		int nlog = 0, nckpt = 0;
		int64_t t0 = mono_us();
		int rc = sqlite3_wal_checkpoint_v2(w->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
						   &nlog, &nckpt);
		int64_t t1 = mono_us();
		if (rc == SQLITE_OK && nckpt >= 0)
			atomic_store(&w->ckpt_result, nckpt);
		pthread_mutex_lock(&w->stats_mu);
		w->stats.bg_checkpoints++;
		w->stats.bg_checkpoint_us += (unsigned long long)(t1 - t0);
		pthread_mutex_unlock(&w->stats_mu);
		pthread_mutex_lock(&w->cmu);
		w->ckpt_busy = 0;
	}
	pthread_mutex_unlock(&w->cmu);
	return NULL;
}

/* Starts the checkpointer; without it (no connection, no thread) the writer
 * checkpoints itself. */
static void ckpt_start(struct writer *w)
{
	struct err e = ERR_INIT;
	atomic_store(&w->ckpt_result, -1);
	if (db_open(w->node->db_path, DB_READWRITE, &w->ckpt_db, &e) < 0)
		return;
	if (pthread_create(&w->ckpt_thread, NULL, ckpt_main, w) != 0) {
		db_close(w->ckpt_db);
		w->ckpt_db = NULL;
		return;
	}
	w->ckpt_running = 1;
}

static void ckpt_stop(struct writer *w)
{
	if (w->ckpt_running) {
		pthread_mutex_lock(&w->cmu);
		w->ckpt_stop = 1;
		pthread_cond_signal(&w->ccv);
		pthread_mutex_unlock(&w->cmu);
		pthread_join(w->ckpt_thread, NULL);
		w->ckpt_running = 0;
	}
	if (w->ckpt_db)
		db_close(w->ckpt_db);
	w->ckpt_db = NULL;
}

/*
 * Idle work. The level-0 partial tile changes with every batch (up to 8 KiB: overflow
 * pages rewritten by every COMMIT), so batches leave it in memory (tlog.defer_edge) and
 * the writer stores it in a transaction of its own once it has been idle for
 * WRITER_IDLE_MS, and when it stops. It is derived data: a node that crashed before
 * storing it rebuilds it from the last (size mod 256) events when it opens
 * (tlog_open, store leaves), so the acknowledgement does not wait for it.
 */
#define WRITER_IDLE_MS 100

static void idle_work(struct writer *w)
{
	struct node *n = w->node;
	struct err e = ERR_INIT;
	w->idle_work = 0;
	if (!n->tlog.broken && tlog_dirty(&n->tlog)) {
		if (db_exec(n->db, "BEGIN IMMEDIATE", &e) == 0 &&
		    (tlog_flush(&n->tlog, &e) < 0 || db_exec(n->db, "COMMIT", &e) < 0))
			sqlite3_exec(n->db, "ROLLBACK", NULL, NULL, NULL); /* retried next time */
	}
	if (w->wal_last > 0) /* see "WAL" */
		own_checkpoint(w, n->db, NULL);
}

sqlite3 *writer_txn_db(struct writer_txn *tx)
{
	return tx->w->node->db;
}

/* Stores one event whose canonical body in clear is body[0..len) and whose parsed value
 * is v (already checked against def): seals it, runs the projection, stores it and
 * keeps its leaf hash. */
static int append_event(struct writer_txn *tx, const struct kind_def *def, const char *actor,
			const char *subject, const uint8_t *body, size_t len, const json_t *v,
			uint64_t *seq, struct err *e)
{
	struct node *n = tx->w->node;
	struct event *ev = &tx->ev; /* reused: ~1 KB of header arrays */
	ev->format = EVENT_FORMAT;
	ev->seq = tx->next_seq;
	ev->time_ms = tx->time_ms;
	ev->kind_version = def->version;
	ev->key_id = def->clear ? 0 : KEYS_DATA_KEY_ID;
	ev->body = body;
	ev->body_len = len;
	size_t actor_len = strlen(actor), subject_len = strlen(subject);
	size_t origin_len = strlen(n->origin), kind_len = strlen(def->name);
	if (actor_len >= sizeof ev->actor || subject_len >= sizeof ev->subject)
		return err_set(e, ERR_INPUT, "event actor or subject is too long");
	if (origin_len >= sizeof ev->origin || kind_len >= sizeof ev->kind)
		return err_set(e, ERR_INPUT, "event origin or kind is too long");
	memcpy(ev->origin, n->origin, origin_len + 1);
	memcpy(ev->actor, actor, actor_len + 1);
	memcpy(ev->kind, def->name, kind_len + 1);
	memcpy(ev->subject, subject, subject_len + 1);
	uint8_t leaf[MERKLE_HASH_LEN];
	buf_reset(&tx->event);
	if (event_encode_canonical(ev, n->keys.data_key, &tx->event, e) < 0 ||
	    def->project(n->db, ev, v, e) < 0)
		return -1;
	if (store_event_put(&n->store, ev->seq, ev->time_ms, ev->kind, ev->subject,
			    tx->event.data, tx->event.len, e) < 0 ||
	    merkle_leaf_hash(tx->event.data, tx->event.len, leaf, e) < 0)
		return -1;
	if (buf_add(&tx->leaves, leaf, sizeof leaf) < 0)
		return err_nomem(e);
	if (tx->req->res.count == 0)
		tx->req->res.first_seq = ev->seq;
	tx->req->res.count++;
	tx->next_seq++;
	if (seq)
		*seq = ev->seq;
	return 0;
}

static const struct kind_def *find_kind(const char *kind, uint16_t version, struct err *e)
{
	const struct kind_def *def = kinds_find(kind, version);
	if (!def)
		err_set(e, ERR_INPUT, "unknown event kind '%s' v%u", kind, (unsigned)version);
	return def;
}

int writer_txn_append(struct writer_txn *tx, const char *actor, const char *kind,
		      uint16_t version, const char *subject, const uint8_t *body, size_t len,
		      uint64_t *seq, struct err *e)
{
	const struct kind_def *def = find_kind(kind, version, e);
	if (!def)
		return -1;
	/* the body is parsed once: canonical check, kind check and projection */
	json_t *parsed;
	if (canon_parse(body, len, &parsed, e) < 0) {
		err_prefix(e, "event body");
		return -1;
	}
	int rc = kinds_check(def, parsed, e);
	if (rc == 0)
		rc = append_event(tx, def, actor, subject, body, len, parsed, seq, e);
	json_decref(parsed);
	return rc;
}

int writer_txn_append_json(struct writer_txn *tx, const char *actor, const char *kind,
			   uint16_t version, const char *subject, const json_t *body,
			   uint64_t *seq, struct err *e)
{
	const struct kind_def *def = find_kind(kind, version, e);
	if (!def)
		return -1;
	/* check the value in hand, serialise it once; nothing is parsed */
	if (!json_is_object(body))
		return err_set(e, ERR_INPUT, "event body: top level is not an object");
	if (kinds_check(def, body, e) < 0)
		return -1;
	buf_reset(&tx->body);
	if (canon_write(body, &tx->body, e) < 0) {
		err_prefix(e, "event body");
		return -1;
	}
	int rc = append_event(tx, def, actor, subject, tx->body.data, tx->body.len, body, seq,
			      e);
	if (tx->body.len > 0)
		sodium_memzero(tx->body.data, tx->body.len); /* the body in clear */
	return rc;
}

static int exec(struct node *n, const char *sql, struct err *e)
{
	return db_exec(n->db, sql, e);
}

enum { SP_BEGIN, SP_ROLLBACK, SP_RELEASE };

/* Runs one of the savepoint statements, prepared on first use (they are run for every
 * request: preparing them each time cost more than running them). */
static int savepoint(struct writer_txn *tx, int which, struct err *e)
{
	static const char *const sql[3] = { "SAVEPOINT request", "ROLLBACK TO request",
					    "RELEASE request" };
	sqlite3 *db = tx->w->node->db;
	if (!tx->sp[which] && db_prepare(db, sql[which], &tx->sp[which], e) < 0)
		return -1;
	int rc = sqlite3_step(tx->sp[which]);
	sqlite3_reset(tx->sp[which]);
	if (rc != SQLITE_DONE)
		return db_error(db, e, "database");
	return 0;
}

/* Gathering, inside the transaction: after the last request taken so far (last), takes
 * the requests queued meanwhile, and while fewer than tx->gather_target have been taken
 * waits for more (steps of WRITER_GATHER_STEP_US without a new request, or
 * tx->gather_end, end the wait); links them after last. */
static void gather_more(struct writer *w, struct writer_txn *tx, struct request *last,
			struct writer_stats *st)
{
	if (tx->taken >= tx->gather_target || tx->taken >= WRITER_BATCH_MAX ||
	    !atomic_load(&w->sync_busy))
		return;
	int64_t g0 = mono_us();
	refill(w);
	while (!w->head && !atomic_load(&w->stopping) && tx->taken < tx->gather_target) {
		int64_t left = tx->gather_end - mono_us();
		if (left <= 0)
			break;
		int rc = writer_sleep(w, left < WRITER_GATHER_STEP_US ? left : WRITER_GATHER_STEP_US);
		refill(w);
		if (rc && !w->head)
			break;
	}
	struct request *r = w->head;
	while (r && tx->taken < WRITER_BATCH_MAX) {
		last->next = r;
		last = r;
		r = r->next;
		tx->taken++;
	}
	last->next = NULL;
	w->head = r;
	if (!r)
		w->tail = NULL;
	st->gather_us += (unsigned long long)(mono_us() - g0);
}

/* Runs one batch; each request gets its rc and err (a failed batch gives all of them
 * its error) and p what the syncer needs (p->batch set by the caller). Counts go to
 * *st. */
static void run_batch(struct writer *w, struct request *batch, struct writer_txn *tx,
		      struct pending *p, struct writer_stats *st)
{
	struct node *n = w->node;
	struct err e = ERR_INIT;
	struct buf *note = &p->note;
	int began = 0;
	uint64_t old_size = n->size;
	int64_t t_start = mono_us();

	if (atomic_load(&w->sync_failed)) {
		err_set(&e, ERR_IO, "an earlier write could not be made durable (fdatasync "
			"failed): the node writes nothing more; restart it so that it checks its "
			"log");
		goto fail;
	}
	int64_t now = node_now_ms(n);
	if (now < n->last_time_ms - n->clock_tolerance_ms) {
		err_set(&e, ERR_VERIFY,
			"clock is %" PRId64 " ms behind the last event's time: fix the system "
			"clock (NTP) before writing",
			n->last_time_ms - now);
		goto fail;
	}
	tx->time_ms = now > n->last_time_ms ? now : n->last_time_ms;
	tx->next_seq = n->size;
	buf_reset(&tx->leaves);
	if (exec(n, "BEGIN IMMEDIATE", &e) < 0)
		goto fail;
	began = 1;
	for (struct request *r = batch; r; r = r->next) {
		size_t mark = tx->leaves.len;
		uint64_t seq_mark = tx->next_seq;
		tx->req = r;
		memset(&r->res, 0, sizeof r->res);
		st->requests++;
		if (savepoint(tx, SP_BEGIN, &e) < 0)
			goto fail;
		r->rc = r->fn(tx, r->arg, &r->err);
		if (r->rc < 0) {
			if (r->err.code == ERR_NONE)
				err_set(&r->err, ERR_INTERNAL, "request failed without a message");
			st->refused++;
			buf_truncate(&tx->leaves, mark);
			tx->next_seq = seq_mark;
			memset(&r->res, 0, sizeof r->res);
			if (savepoint(tx, SP_ROLLBACK, &e) < 0)
				goto fail;
		}
		if (savepoint(tx, SP_RELEASE, &e) < 0)
			goto fail;
		if (!r->next)
			gather_more(w, tx, r, st);
	}
	size_t added = tx->leaves.len / MERKLE_HASH_LEN;
	int64_t s0 = mono_us();
	st->requests_us += (unsigned long long)(s0 - t_start) - st->gather_us;
	if (added > 0) {
		n->tlog.defer_edge = 1; /* see "Idle work" */
		if (tlog_append(&n->tlog, tx->leaves.data, added, &e) < 0)
			goto fail;
		n->size = old_size + added;
		if (node_sign_checkpoint(n, note, &e) < 0 ||
		    store_checkpoint_put(&n->store, n->size, (const char *)note->data, note->len,
					 &e) < 0)
			goto fail;
	}
	int64_t c0 = mono_us();
	st->sign_us += (unsigned long long)(c0 - s0);
	/* numbered before it can become visible (see "Durability") */
	p->number = atomic_fetch_add(&w->commits_started, 1) + 1;
	if (exec(n, "COMMIT", &e) < 0)
		goto fail;
	began = 0;
	p->committed = 1;
	w->last_commit_us = mono_us() - c0; /* read by writer_main on this thread */
	st->commit_us += (unsigned long long)w->last_commit_us;
	st->batches++;
	if (added > 0)
		n->last_time_ms = tx->time_ms;
	else
		buf_reset(note);
	return;
fail:
	if (began)
		sqlite3_exec(n->db, "ROLLBACK", NULL, NULL, NULL);
	st->failed++;
	if (n->size != old_size || n->tlog.broken) {
		n->size = old_size;
		struct err e2 = ERR_INIT;
		if (node_reload(n, &e2) < 0)
			n->tlog.broken = 1; /* every later batch fails in tlog_append */
	}
	for (struct request *r = batch; r; r = r->next) {
		if (r->rc == 0 || r->err.code == ERR_NONE) {
			r->rc = -1;
			r->err = e;
		}
		memset(&r->res, 0, sizeof r->res);
	}
	buf_reset(note);
}

/* ---- the syncer (see "Durability") ---- */

/* fdatasync of the WAL file, opened on first use (it exists once a COMMIT has run);
 * the first time, the directory too, so that a WAL file SQLite has just created is
 * durable by name as well. */
static int sync_wal(struct writer *w, struct err *e)
{
	if (w->wal_fd < 0) {
		w->wal_fd = open(w->node->wal_path, O_RDONLY | O_CLOEXEC);
		if (w->wal_fd < 0)
			return err_errno(e, ERR_IO, "cannot open '%s' to sync it", w->node->wal_path);
		if (fs_sync_dir(w->node->dir, e) < 0)
			return -1;
	}
	if (db_fault_sync_fires()) /* tests: log/db.h, fault injection */
		errno = EIO;
	else if (fdatasync(w->wal_fd) == 0)
		return 0;
	return err_errno(e, ERR_IO, "fdatasync of the WAL");
}

/* Wakes each client of a batch (the syncer, or the writer for a batch that never
 * reached it). The syncer has the time: it waits on the disk most of the time, and
 * waking every client itself got them back to the queue sooner than the binary tree of
 * wake-ups the writer thread once used to spare itself (docs/BENCHMARKS.md, fifth
 * pass). */
static void wake_batch(struct request *batch)
{
	while (batch) {
		struct request *r = batch;
		batch = r->next;
		sem_post(&r->acked); /* r may be gone after this */
	}
}

static void fail_committed(struct pending *list, const struct err *e)
{
	for (struct pending *p = list; p; p = p->next)
		for (struct request *r = p->batch; p->committed && r; r = r->next)
			if (r->rc == 0) {
				r->rc = -1;
				r->err = *e;
				memset(&r->res, 0, sizeof r->res);
			}
}

/* Makes the finished batches of list durable, writes the checkpoint file when due,
 * publishes the durable number, acknowledges and frees them. */
static void sync_and_ack(struct writer *w, struct pending *list)
{
	struct err e = ERR_INIT;
	int any = 0, ok = 1;
	uint64_t top = 0;
	struct pending *noted = NULL;
	for (struct pending *p = list; p; p = p->next) {
		any |= p->committed;
		if (p->number > top)
			top = p->number;
		if (p->committed && p->note.len > 0)
			noted = p;
	}
	int64_t t0 = mono_us(), t1 = t0;
	if (any) {
		if (sync_wal(w, &e) < 0) {
			ok = 0;
			atomic_store(&w->sync_failed, 1);
			err_prefix(&e, "events stored but not made durable");
			fail_committed(list, &e);
		}
		t1 = mono_us();
		atomic_store(&w->last_sync_us, t1 - t0);
	}
	if (ok && noted) {
		buf_reset(&w->file_note);
		if (buf_add(&w->file_note, noted->note.data, noted->note.len) < 0)
			w->file_failed = 1; /* retried with the next note */
		else
			w->file_dirty = 1;
	}
	if (ok && (w->file_dirty || w->file_failed) && file_due(w)) {
		if (w->file_note.len == 0 || write_file(w, &e) < 0) {
			/* durable, but not acknowledged: the next batch rewrites the file */
			if (w->file_note.len == 0)
				err_set(&e, ERR_NOMEM, "out of memory");
			err_prefix(&e, "events stored but the checkpoint file was not written");
			fail_committed(list, &e);
		}
	}
	/* readers waiting in writer_wait_durable may go on (they check sync_failed) */
	pthread_mutex_lock(&w->smu);
	if (!w->sq_head)
		atomic_store(&w->sync_busy, 0); /* the disk is idle: the writer closes its batch */
	if (top > atomic_load(&w->durable))
		atomic_store(&w->durable, top);
	pthread_cond_broadcast(&w->durable_cv);
	pthread_mutex_unlock(&w->smu);
	int64_t t2 = mono_us();
	while (list) {
		struct pending *p = list;
		list = p->next;
		wake_batch(p->batch);
		buf_release(&p->note);
		mem_free(p);
	}
	pthread_mutex_lock(&w->stats_mu);
	if (any) {
		w->stats.syncs++;
		w->stats.sync_us += (unsigned long long)(t1 - t0);
	}
	w->stats.ack_us += (unsigned long long)(mono_us() - t2);
	pthread_mutex_unlock(&w->stats_mu);
}

static void *syncer_main(void *arg)
{
	struct writer *w = arg;
	pthread_setname_np(pthread_self(), "paspor-syncer");
	pthread_mutex_lock(&w->smu);
	for (;;) {
		while (!w->sq_head && !w->sync_stopping) {
			if (!w->file_dirty && !w->file_failed) {
				pthread_cond_wait(&w->synced_cv, &w->smu);
				continue;
			}
			/* a newer note than the file's: write it when due (see "Checkpoint file") */
			int64_t wait = w->file_failed ? WRITER_FILE_INTERVAL_MS
						      : w->file_ms + WRITER_FILE_INTERVAL_MS - mono_ms();
			if (wait > 0 && cond_wait_us(&w->synced_cv, &w->smu, wait * 1000) == 0)
				continue;
			if (w->sq_head || w->sync_stopping)
				continue;
			pthread_mutex_unlock(&w->smu);
			struct err fe = ERR_INIT;
			if (w->file_note.len > 0)
				write_file(w, &fe); /* on failure the next batch retries first */
			else
				w->file_failed = 0;
			pthread_mutex_lock(&w->smu);
		}
		if (!w->sq_head)
			break;
		struct pending *list = w->sq_head;
		w->sq_head = w->sq_tail = NULL;
		pthread_mutex_unlock(&w->smu);
		sync_and_ack(w, list);
		pthread_mutex_lock(&w->smu);
	}
	pthread_mutex_unlock(&w->smu);
	if (w->file_dirty && w->file_note.len > 0) {
		struct err fe = ERR_INIT;
		write_file(w, &fe); /* stopping: leave the file exact when the disk allows */
	}
	return NULL;
}

static void hand_to_syncer(struct writer *w, struct pending *p)
{
	pthread_mutex_lock(&w->smu);
	if (w->sq_tail)
		w->sq_tail->next = p;
	else
		w->sq_head = p;
	w->sq_tail = p;
	atomic_store(&w->sync_busy, 1);
	pthread_cond_signal(&w->synced_cv);
	pthread_mutex_unlock(&w->smu);
}

int writer_wait_durable(struct writer *w, struct err *e)
{
	uint64_t target = atomic_load(&w->commits_started);
	if (atomic_load(&w->durable) < target) {
		pthread_mutex_lock(&w->smu);
		while (atomic_load(&w->durable) < target)
			pthread_cond_wait(&w->durable_cv, &w->smu);
		pthread_mutex_unlock(&w->smu);
	}
	if (atomic_load(&w->sync_failed))
		return err_set(e, ERR_IO, "the node's last writes could not be made durable "
			       "(fdatasync failed): restart it so that it checks its log");
	return 0;
}

int writer_read_begin(struct writer *w, sqlite3 *db, struct err *e)
{
	if (sqlite3_exec(db, "BEGIN; SELECT 1 FROM sqlite_schema LIMIT 1", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return db_error(db, e, "cannot open a read transaction");
	return w ? writer_wait_durable(w, e) : 0;
}

void writer_read_end(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db) && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- the writer thread ---- */

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct writer_txn tx = { 0 };
	tx.w = w;
	pthread_setname_np(pthread_self(), "paspor-writer");
	buf_init(&tx.leaves, (size_t)64 << 20);
	buf_init(&tx.event, EVENT_MAX + 64);
	buf_init(&tx.body, CANON_MAX + 1);
	ckpt_start(w);
	sqlite3_wal_hook(w->node->db, wal_hook, w);
	int64_t cpu0 = thread_cpu_us();
	for (;;) {
		refill(w);
		if (!w->head) {
			if (atomic_load(&w->stopping)) {
				/* close the inbox; what was pushed meanwhile is still run */
				struct request *late = atomic_exchange(&w->inbox, INBOX_CLOSED);
				if (!late || late == INBOX_CLOSED)
					break;
				take_inbox(w, late);
				continue;
			}
			if (!w->idle_work) {
				writer_sleep(w, -1);
				continue;
			}
			/* see "Idle work" */
			int64_t wait = w->idle_from_ms + WRITER_IDLE_MS - mono_ms();
			if (wait > 0)
				writer_sleep(w, wait * 1000);
			else
				idle_work(w);
			continue;
		}
		/* gather (see WRITER_GATHER_STEP_US): while the batch's transaction runs, the
		 * requests queued meanwhile join it (gather_more). The clients of the last
		 * batches come back after its COMMIT and their fdatasync. */
		int64_t cap = w->last_commit_us;
		int64_t sync_us = atomic_load(&w->last_sync_us);
		if (sync_us > cap)
			cap = sync_us;
		if (cap > WRITER_GATHER_MAX_US)
			cap = WRITER_GATHER_MAX_US;
		tx.gather_target = atomic_load(&w->stopping) ? 0 : w->last_batch;
		tx.gather_end = mono_us() + cap;
		/* take up to WRITER_BATCH_MAX requests */
		struct request *batch = w->head, *last = batch;
		size_t k = 1;
		while (last->next && k < WRITER_BATCH_MAX) {
			last = last->next;
			k++;
		}
		w->head = last->next;
		if (!w->head)
			w->tail = NULL;
		last->next = NULL;
		tx.taken = k;

		struct writer_stats st = { 0 };
		struct pending *p = mem_calloc(1, sizeof *p);
		if (p) {
			p->batch = batch;
			buf_init(&p->note, NOTE_MAX_LEN);
			run_batch(w, batch, &tx, p, &st);
		} else {
			for (struct request *r = batch; r; r = r->next) {
				r->rc = -1;
				err_nomem(&r->err);
			}
			st.failed++;
		}
		int64_t a0 = mono_us();

		w->last_batch = tx.taken;
		w->idle_from_ms = a0 / 1000;
		w->idle_work = 1;
		pthread_mutex_lock(&w->stats_mu); /* counted before the acks: callers read them after */
		w->stats.batches += st.batches;
		w->stats.requests += st.requests;
		w->stats.refused += st.refused;
		w->stats.failed += st.failed;
		w->stats.gather_us += st.gather_us;
		w->stats.requests_us += st.requests_us;
		w->stats.sign_us += st.sign_us;
		w->stats.commit_us += st.commit_us;
		w->stats.writer_cpu_us = (unsigned long long)(thread_cpu_us() - cpu0);
		w->stats.wal_frames = w->wal_frames;
		w->stats.wal_checkpoints = w->wal_checkpoints;
		w->stats.wal_checkpoint_us = w->wal_checkpoint_us;
		pthread_mutex_unlock(&w->stats_mu);
		if (p)
			hand_to_syncer(w, p);
		else
			wake_batch(batch);
	}
	/* stopping: the syncer acknowledges what is left and writes the file; then the
	 * partial tiles are stored with the connection back at synchronous=FULL */
	pthread_mutex_lock(&w->smu);
	w->sync_stopping = 1;
	pthread_cond_signal(&w->synced_cv);
	pthread_mutex_unlock(&w->smu);
	pthread_join(w->syncer, NULL);
	ckpt_stop(w);
	sqlite3_exec(w->node->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	idle_work(w);
	sqlite3_wal_hook(w->node->db, NULL, NULL);
	sqlite3_wal_autocheckpoint(w->node->db, WRITER_WAL_MAX);
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(tx.sp[i]);
	buf_release(&tx.leaves);
	buf_release(&tx.event);
	buf_release(&tx.body);
	return NULL;
}

/* Frees a writer whose threads are gone (or never started). */
static void writer_free(struct writer *w)
{
	pthread_mutex_destroy(&w->stats_mu);
	pthread_mutex_destroy(&w->smu);
	pthread_cond_destroy(&w->synced_cv);
	pthread_cond_destroy(&w->durable_cv);
	pthread_mutex_destroy(&w->cmu);
	pthread_cond_destroy(&w->ccv);
	buf_release(&w->file_note);
	mem_free(w);
}

int writer_start(struct writer **out, struct node *n, struct err *e)
{
	*out = NULL;
	if (!n->writable)
		return err_set(e, ERR_INPUT, "node '%s' is open read-only", n->dir);
	struct writer *w = mem_calloc(1, sizeof *w);
	if (!w)
		return err_nomem(e);
	w->node = n;
	w->file_ms = -1;
	w->wal_fd = -1;
	buf_init(&w->file_note, NOTE_MAX_LEN);
	/* see "Durability": the syncer makes each COMMIT durable */
	if (db_exec(n->db, "PRAGMA synchronous = NORMAL", e) < 0) {
		buf_release(&w->file_note);
		mem_free(w);
		return -1;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->stats_mu, NULL);
	pthread_mutex_init(&w->smu, NULL);
	pthread_cond_init(&w->synced_cv, &ca);
	pthread_cond_init(&w->durable_cv, &ca);
	pthread_mutex_init(&w->cmu, NULL);
	pthread_cond_init(&w->ccv, NULL);
	pthread_condattr_destroy(&ca);
	int started = pthread_create(&w->syncer, NULL, syncer_main, w) == 0;
	if (!started || pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		if (started) {
			pthread_mutex_lock(&w->smu);
			w->sync_stopping = 1;
			pthread_cond_signal(&w->synced_cv);
			pthread_mutex_unlock(&w->smu);
			pthread_join(w->syncer, NULL);
		}
		sqlite3_exec(n->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
		writer_free(w);
		return err_set(e, ERR_INTERNAL, "cannot start the writer threads");
	}
	*out = w;
	return 0;
}

void writer_stop(struct writer *w)
{
	if (!w)
		return;
	atomic_store(&w->stopping, 1);
	wake_writer(w);
	pthread_join(w->thread, NULL); /* it stops the syncer */
	/* a client may still be between its push and its wake-up call (see "Queue") */
	while (atomic_load(&w->submitting) > 0)
		sched_yield();
	if (w->wal_fd >= 0)
		close(w->wal_fd);
	writer_free(w);
}

int writer_submit(struct writer *w, writer_fn fn, void *arg, struct writer_result *res,
		  struct err *e)
{
	struct request r = { 0 };
	r.fn = fn;
	r.arg = arg;
	sem_init(&r.acked, 0, 0);
	/* see "Queue" */
	atomic_fetch_add(&w->submitting, 1);
	struct request *old = atomic_load(&w->inbox);
	do {
		if (old == INBOX_CLOSED || atomic_load(&w->stopping)) {
			atomic_fetch_sub(&w->submitting, 1);
			sem_destroy(&r.acked);
			return err_set(e, ERR_INTERNAL, "the writer is stopping");
		}
		r.next = old;
	} while (!atomic_compare_exchange_weak(&w->inbox, &old, &r));
	if (atomic_load(&w->sleeping))
		wake_writer(w);
	atomic_fetch_sub(&w->submitting, 1); /* w is not touched after this */
	while (sem_wait(&r.acked) < 0)
		; /* EINTR */
	sem_destroy(&r.acked);
	if (res)
		*res = r.res;
	if (r.rc < 0) {
		if (e)
			*e = r.err;
		return -1;
	}
	return 0;
}

void writer_get_stats(struct writer *w, struct writer_stats *s)
{
	pthread_mutex_lock(&w->stats_mu);
	*s = w->stats;
	pthread_mutex_unlock(&w->stats_mu);
}

/* ---- blobs anchored in the log (writer_txn_put_blob) ---- */

/* The blobs row (projection of blob.stored) of name: 1 found (ref, seq filled), 0 none,
 * -1 error. */
static int logged_blob(sqlite3 *db, const char *name, struct blob_ref *ref, uint64_t *seq,
		       struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT sha256, size, seq FROM blobs WHERE name = ?", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), ret = -1;
	if (rc == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 2);
		const char *sha = (const char *)sqlite3_column_text(st, 0);
		if (blobs_ref_set(ref, name, sha ? sha : "", (uint64_t)sqlite3_column_int64(st, 1),
				  e) == 0)
			ret = 1;
	} else if (rc == SQLITE_DONE) {
		ret = 0;
	} else {
		db_error(db, e, "reading the blobs table");
	}
	sqlite3_finalize(st);
	return ret;
}

int writer_txn_put_blob(struct writer_txn *tx, const void *data, size_t len,
			struct blob_ref *out, struct err *e)
{
	struct node *n = tx->w->node;
	char *dir = fs_join(n->dir, "blobs");
	json_t *body = NULL;
	char name[65], sha[65], subject[80];
	struct blob_ref logged;
	uint64_t seq = 0;
	int rc = -1;
	if (!dir) {
		err_nomem(e);
		goto out;
	}
	if (blobs_name(n->keys.data_key, data, len, name, e) < 0)
		goto out;
	int r = logged_blob(n->db, name, &logged, &seq, e);
	if (r < 0)
		goto out;
	if (r == 1) {
		/* logged before: the file must still be the one the log records */
		if (blobs_verify(dir, &logged, e) < 0) {
			err_prefix(e, "this content was logged at seq %" PRIu64 " (blob.stored) but its "
				   "file no longer matches the log: restore it from a backup", seq);
			goto out;
		}
		*out = logged;
		rc = 0;
		goto out;
	}
	if (blobs_put(dir, n->keys.data_key, data, len, out, e) < 0)
		goto out;
	blobs_sha256_hex(out, sha);
	body = json_pack("{s:s, s:s, s:I}", "name", out->name, "sha256", sha, "size",
			 (json_int_t)out->size);
	if (!body) {
		err_nomem(e);
		goto out;
	}
	snprintf(subject, sizeof subject, "blob:%s", out->name);
	rc = writer_txn_append_json(tx, "system", "blob.stored", 1, subject, body, NULL, e);
out:
	json_decref(body);
	mem_free(dir);
	return rc;
}
