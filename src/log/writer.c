/*
 * writer — group commit on one thread (see writer.h).
 */
#include "log/writer.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

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
	int done;
	struct writer_result res;
	struct request *next;
};

struct writer_txn {
	struct writer *w;
	int64_t time_ms;
	uint64_t next_seq;
	struct buf leaves;  /* leaf hashes of this batch */
	struct buf event;   /* scratch: one encoded event */
	struct request *req;
};

struct writer {
	struct node *node;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t queued, acked;
	struct request *head, *tail;
	int stopping;
	struct writer_stats stats;
};

sqlite3 *writer_txn_db(struct writer_txn *tx)
{
	return tx->w->node->db;
}

int writer_txn_append(struct writer_txn *tx, const char *actor, const char *kind,
		      uint16_t version, const char *subject, const uint8_t *body, size_t len,
		      uint64_t *seq, struct err *e)
{
	struct node *n = tx->w->node;
	const struct kind_def *def = kinds_find(kind, version);
	if (!def)
		return err_set(e, ERR_INPUT, "unknown event kind '%s' v%u", kind, (unsigned)version);
	struct event ev = { 0 };
	ev.format = EVENT_FORMAT;
	ev.seq = tx->next_seq;
	ev.time_ms = tx->time_ms;
	ev.kind_version = version;
	ev.key_id = def->clear ? 0 : KEYS_DATA_KEY_ID;
	ev.body = body;
	ev.body_len = len;
	if (strlen(actor) >= sizeof ev.actor || strlen(subject) >= sizeof ev.subject)
		return err_set(e, ERR_INPUT, "event actor or subject is too long");
	snprintf(ev.origin, sizeof ev.origin, "%s", n->origin);
	snprintf(ev.actor, sizeof ev.actor, "%s", actor);
	snprintf(ev.kind, sizeof ev.kind, "%s", kind);
	snprintf(ev.subject, sizeof ev.subject, "%s", subject);
	uint8_t leaf[MERKLE_HASH_LEN];
	buf_reset(&tx->event);
	if (event_encode(&ev, n->keys.data_key, &tx->event, e) < 0)
		return -1;
	if (kinds_apply(n->db, &ev, body, len, e) < 0)
		return -1;
	if (store_event_put(&n->store, ev.seq, ev.time_ms, ev.kind, ev.subject, tx->event.data,
			    tx->event.len, e) < 0 ||
	    merkle_leaf_hash(tx->event.data, tx->event.len, leaf, e) < 0)
		return -1;
	if (buf_add(&tx->leaves, leaf, sizeof leaf) < 0)
		return err_nomem(e);
	if (tx->req->res.count == 0)
		tx->req->res.first_seq = ev.seq;
	tx->req->res.count++;
	tx->next_seq++;
	if (seq)
		*seq = ev.seq;
	return 0;
}

static int exec(struct node *n, const char *sql, struct err *e)
{
	return db_exec(n->db, sql, e);
}

/* Runs one batch; the requests get their rc/err; returns -1 when the batch failed as a
 * whole (then every request carries that error). */
/* Runs one batch; each request gets its rc and err (a failed batch gives all of them
 * its error). Counts go to *st. */
static void run_batch(struct writer *w, struct request *batch, struct writer_txn *tx,
		      struct writer_stats *st)
{
	struct node *n = w->node;
	struct err e = ERR_INIT;
	struct buf note;
	buf_init(&note, NOTE_MAX_LEN);
	int began = 0;
	uint64_t old_size = n->size;

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
		if (exec(n, "SAVEPOINT request", &e) < 0)
			goto fail;
		r->rc = r->fn(tx, r->arg, &r->err);
		if (r->rc < 0) {
			if (r->err.code == ERR_NONE)
				err_set(&r->err, ERR_INTERNAL, "request failed without a message");
			st->refused++;
			buf_truncate(&tx->leaves, mark);
			tx->next_seq = seq_mark;
			memset(&r->res, 0, sizeof r->res);
			if (exec(n, "ROLLBACK TO request", &e) < 0)
				goto fail;
		}
		if (exec(n, "RELEASE request", &e) < 0)
			goto fail;
	}
	size_t added = tx->leaves.len / MERKLE_HASH_LEN;
	if (added > 0) {
		if (tlog_append(&n->tlog, tx->leaves.data, added, &e) < 0)
			goto fail;
		n->size = old_size + added;
		if (node_sign_checkpoint(n, &note, &e) < 0 ||
		    store_checkpoint_put(&n->store, n->size, (const char *)note.data, note.len,
					 &e) < 0)
			goto fail;
	}
	if (exec(n, "COMMIT", &e) < 0)
		goto fail;
	began = 0;
	st->batches++;
	if (added > 0) {
		n->last_time_ms = tx->time_ms;
		if (fs_write_atomic(n->checkpoint_path, note.data, note.len, 0644, &e) < 0) {
			/* committed, but not acknowledged: the next batch rewrites the file */
			err_prefix(&e, "events stored but the checkpoint file was not written");
			for (struct request *r = batch; r; r = r->next)
				if (r->rc == 0) {
					r->rc = -1;
					r->err = e;
				}
		}
	}
	buf_release(&note);
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
	buf_release(&note);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct writer_txn tx = { 0 };
	tx.w = w;
	buf_init(&tx.leaves, (size_t)64 << 20);
	buf_init(&tx.event, EVENT_MAX + 64);
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->queued, &w->mu);
		if (!w->head)
			break;
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
		pthread_mutex_unlock(&w->mu);

		struct writer_stats st = { 0 };
		run_batch(w, batch, &tx, &st);

		pthread_mutex_lock(&w->mu);
		w->stats.batches += st.batches;
		w->stats.requests += st.requests;
		w->stats.refused += st.refused;
		w->stats.failed += st.failed;
		for (struct request *r = batch, *next; r; r = next) {
			next = r->next;
			r->done = 1;
		}
		pthread_cond_broadcast(&w->acked);
	}
	pthread_mutex_unlock(&w->mu);
	buf_release(&tx.leaves);
	buf_release(&tx.event);
	return NULL;
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
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->queued, NULL);
	pthread_cond_init(&w->acked, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->queued);
		pthread_cond_destroy(&w->acked);
		mem_free(w);
		return err_set(e, ERR_INTERNAL, "cannot start the writer thread");
	}
	*out = w;
	return 0;
}

void writer_stop(struct writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_signal(&w->queued);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->queued);
	pthread_cond_destroy(&w->acked);
	mem_free(w);
}

int writer_submit(struct writer *w, writer_fn fn, void *arg, struct writer_result *res,
		  struct err *e)
{
	struct request r = { 0 };
	r.fn = fn;
	r.arg = arg;
	pthread_mutex_lock(&w->mu);
	if (w->stopping) {
		pthread_mutex_unlock(&w->mu);
		return err_set(e, ERR_INTERNAL, "the writer is stopping");
	}
	if (w->tail)
		w->tail->next = &r;
	else
		w->head = &r;
	w->tail = &r;
	pthread_cond_signal(&w->queued);
	while (!r.done)
		pthread_cond_wait(&w->acked, &w->mu);
	pthread_mutex_unlock(&w->mu);
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
	pthread_mutex_lock(&w->mu);
	*s = w->stats;
	pthread_mutex_unlock(&w->mu);
}
