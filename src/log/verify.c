/*
 * verify — whole-log verification without keys (see verify.h). log_verify runs the
 * phases one function each: verify_checkpoints and verify_checkpoint_file (1), then
 * verify_events (2: the vpipe streams the events, walk_event checks each one),
 * check_cosignatures (3) and the hooks (4).
 */
#include "log/verify.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "log/blobs.h"
#include "log/canon.h"
#include "log/db.h"
#include "log/event.h"
#include "log/kinds.h"
#include "log/node.h"
#include "log/note.h"
#include "log/store.h"
#include "util/buf.h"
#include "util/alloc.h"
#include "util/fs.h"

/* The compact range [0, size): complete subtree roots, largest first. */
struct range {
	uint64_t size;
	size_t n;
	uint8_t hash[64][MERKLE_HASH_LEN];
	unsigned height[64];
};

static int range_push(struct range *r, const uint8_t leaf[MERKLE_HASH_LEN], struct err *e)
{
	memcpy(r->hash[r->n], leaf, MERKLE_HASH_LEN);
	r->height[r->n++] = 0;
	while (r->n >= 2 && r->height[r->n - 1] == r->height[r->n - 2]) {
		if (merkle_node_hash(r->hash[r->n - 2], r->hash[r->n - 1], r->hash[r->n - 2], e) < 0)
			return -1;
		r->height[r->n - 2]++;
		r->n--;
	}
	r->size++;
	return 0;
}

static int range_root(const struct range *r, uint8_t out[MERKLE_HASH_LEN], struct err *e)
{
	if (r->n == 0) {
		merkle_empty_root(out);
		return 0;
	}
	memcpy(out, r->hash[r->n - 1], MERKLE_HASH_LEN);
	for (size_t i = r->n - 1; i-- > 0;)
		if (merkle_node_hash(r->hash[i], out, out, e) < 0)
			return -1;
	return 0;
}

/*
 * The event stream, on two threads. The calling thread reads events from the database
 * (SQLite stays on it: tile reads share the connection) into a batch; a worker thread
 * decodes each event of the batch and computes its leaf hash while the caller checks
 * an earlier batch. Batches go round a ring of VBATCH_RING: while the caller fills one
 * and checks another, the worker has the rest queued, so neither thread waits on the
 * other's reading or checking. Events the worker cannot vouch for (they do not decode,
 * name another origin, or are clear: their body may need more checks, such as
 * blob.stored) are marked slow and handled on the caller's thread exactly as before, so
 * the messages and the order of the checks do not change. Memory: VBATCH_RING batches
 * of at most VBATCH_EVENTS events or VBATCH_BYTES bytes (plus one event).
 */
#define VBATCH_EVENTS 2048
#define VBATCH_BYTES ((size_t)2 << 20)
#define VBATCH_RING 3

/* A stored kind or subject column that cannot equal any envelope's (not text, or longer
 * than the envelope allows): nothing is copied. */
#define VCOL_BAD UINT32_MAX
#define VCOL_MAX 255

struct vitem {
	uint64_t seq;       /* from the database row */
	size_t off, len;    /* the stored bytes in the batch's data */
	/* the columns the events table keeps beside the envelope (store_event_columns):
	 * kind then subject follow the stored bytes in the batch's data */
	int col_time_int;
	int64_t col_time;
	uint32_t col_kind_len, col_subject_len; /* or VCOL_BAD */
	const char *bad_column; /* the first column differing from the envelope (when !slow) */
	int slow;           /* decode on the caller's thread */
	uint64_t ev_seq;    /* from the envelope (when !slow) */
	int64_t time_ms;
	uint32_t key_id;
	uint8_t leaf[MERKLE_HASH_LEN];
};

struct vbatch {
	struct buf data;
	struct vitem *items;
	size_t n;
	int rc; /* the worker's result: -1 when hashing failed (err) */
	struct err err;
};

/* Batch k (k = 0, 1, ...) lives in b[k % VBATCH_RING]; batches are posted, worked and
 * consumed in order: consumed ≤ done ≤ posted, and posted < consumed + VBATCH_RING. */
struct vpipe {
	struct store_cursor *c;
	const char *origin;
	struct vbatch b[VBATCH_RING];
	uint64_t cur;    /* the batch the caller consumes (valid when cur < posted) */
	size_t pos;      /* its next item */
	uint64_t posted; /* batches filled and handed to the worker (caller's) */
	int eof;         /* the cursor ended (or failed: read_rc, read_err) */
	int read_rc;
	struct err read_err;
	/* worker */
	pthread_t th;
	int have_thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t todo;   /* batches posted (under mu) */
	uint64_t done;   /* batches worked (under mu) */
	int stop;
};

/* The first stored column of an event row (time_ms, kind, subject, in the table's order)
 * that differs from the envelope ev, or NULL. cols: the kind and subject copied after
 * the event's bytes. Queries read these columns (events_subject, a kind filter), so a
 * changed one would be believed without the envelope's signature: docs/LOG.md. */
static const char *column_mismatch(const struct vitem *it, const uint8_t *cols,
				   const struct event *ev)
{
	if (!it->col_time_int || it->col_time != ev->time_ms)
		return "time_ms";
	if (it->col_kind_len == VCOL_BAD || it->col_kind_len != strlen(ev->kind) ||
	    memcmp(cols, ev->kind, it->col_kind_len) != 0)
		return "kind";
	cols += it->col_kind_len;
	if (it->col_subject_len == VCOL_BAD || it->col_subject_len != strlen(ev->subject) ||
	    memcmp(cols, ev->subject, it->col_subject_len) != 0)
		return "subject";
	return NULL;
}

/* Decodes and hashes every event of b (the worker's part). */
static void vbatch_work(struct vbatch *b, const char *origin)
{
	struct event_memo memo = EVENT_MEMO_INIT;
	size_t origin_len = strlen(origin);
	b->rc = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct vitem *it = &b->items[i];
		const uint8_t *d = b->data.data + it->off;
		struct event ev;
		struct err e = ERR_INIT;
		it->slow = event_decode_memo(d, it->len, &ev, &memo, &e) < 0 || ev.key_id == 0 ||
			   memcmp(ev.origin, origin, origin_len + 1) != 0;
		if (it->slow)
			continue;
		it->ev_seq = ev.seq;
		it->time_ms = ev.time_ms;
		it->key_id = ev.key_id;
		it->bad_column = column_mismatch(it, d + it->len, &ev);
		if (merkle_leaf_hash(d, it->len, it->leaf, &b->err) < 0) {
			b->n = i; /* the caller reports the error after the events before */
			b->rc = -1;
			return;
		}
	}
}

static void *vworker_main(void *arg)
{
	struct vpipe *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->done == p->todo && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->done == p->todo)
			break;
		struct vbatch *b = &p->b[p->done % VBATCH_RING];
		pthread_mutex_unlock(&p->mu);
		vbatch_work(b, p->origin);
		pthread_mutex_lock(&p->mu);
		p->done++;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Fills b from the cursor (caller's thread). */
static void vbatch_fill(struct vpipe *p, struct vbatch *b)
{
	buf_reset(&b->data);
	b->n = 0;
	while (!p->eof && b->n < VBATCH_EVENTS && b->data.len < VBATCH_BYTES) {
		uint64_t seq;
		const uint8_t *d;
		size_t len;
		int r = store_cursor_next(p->c, &seq, &d, &len, &p->read_err);
		if (r <= 0) {
			p->eof = 1;
			p->read_rc = r;
			break;
		}
		struct vitem *it = &b->items[b->n];
		struct store_event_columns cols;
		store_cursor_event_columns(p->c, &cols);
		it->seq = seq;
		it->off = b->data.len;
		it->len = len;
		it->col_time_int = cols.time_is_integer;
		it->col_time = cols.time_ms;
		it->col_kind_len = cols.kind && cols.kind_len <= VCOL_MAX
					   ? (uint32_t)cols.kind_len : VCOL_BAD;
		it->col_subject_len = cols.subject && cols.subject_len <= VCOL_MAX
					      ? (uint32_t)cols.subject_len : VCOL_BAD;
		buf_add(&b->data, d, len);
		if (it->col_kind_len != VCOL_BAD)
			buf_add(&b->data, cols.kind, it->col_kind_len);
		if (it->col_subject_len != VCOL_BAD)
			buf_add(&b->data, cols.subject, it->col_subject_len);
		if (!buf_ok(&b->data)) {
			p->eof = 1;
			p->read_rc = err_nomem(&p->read_err);
			break;
		}
		b->n++;
	}
}

/* Fills and posts batches while the ring has room (the batch being consumed stays). */
static void vpipe_refill(struct vpipe *p)
{
	while (!p->eof && p->posted < p->cur + VBATCH_RING) {
		struct vbatch *b = &p->b[p->posted % VBATCH_RING];
		vbatch_fill(p, b);
		if (b->n == 0)
			break;
		p->posted++;
		if (!p->have_thread) {
			vbatch_work(b, p->origin);
			continue;
		}
		pthread_mutex_lock(&p->mu);
		p->todo = p->posted;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

/* Waits until the worker has done batch k. */
static void vpipe_wait(struct vpipe *p, uint64_t k)
{
	if (!p->have_thread)
		return;
	pthread_mutex_lock(&p->mu);
	while (p->done <= k)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

static int vpipe_open(struct vpipe *p, struct store_cursor *c, const char *origin,
		      struct err *e)
{
	memset(p, 0, sizeof *p);
	p->c = c;
	p->origin = origin;
	for (int i = 0; i < VBATCH_RING; i++) {
		buf_init(&p->b[i].data, VBATCH_BYTES + EVENT_MAX + 2 * VCOL_MAX);
		p->b[i].items = mem_calloc(VBATCH_EVENTS, sizeof *p->b[i].items);
		if (!p->b[i].items) {
			for (int j = 0; j <= i; j++) {
				mem_free(p->b[j].items);
				buf_release(&p->b[j].data);
			}
			return err_nomem(e);
		}
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	/* without a second thread, the caller does the worker's part itself */
	p->have_thread = pthread_create(&p->th, NULL, vworker_main, p) == 0;
	vpipe_refill(p);
	if (p->posted > 0)
		vpipe_wait(p, 0);
	return 0;
}

/* The next event: 1 (*it), 0 at the end, -1 with e set (in stream order). */
static int vpipe_next(struct vpipe *p, const struct vitem **it, const uint8_t **data,
		      struct err *e)
{
	struct vbatch *b = &p->b[p->cur % VBATCH_RING];
	while (p->cur == p->posted || p->pos == b->n) {
		if (p->cur < p->posted && b->rc < 0) {
			*e = b->err;
			return -1;
		}
		if (p->cur + 1 >= p->posted && p->eof) {
			/* no batch after this one */
			if (p->read_rc < 0) {
				*e = p->read_err;
				return -1;
			}
			p->cur = p->posted;
			p->pos = 0;
			return 0;
		}
		/* b is consumed: refill the ring (b's slot too), then take the next batch */
		p->cur++;
		p->pos = 0;
		vpipe_refill(p);
		vpipe_wait(p, p->cur);
		b = &p->b[p->cur % VBATCH_RING];
	}
	*it = &b->items[p->pos++];
	*data = b->data.data + (*it)->off;
	return 1;
}

static void vpipe_close(struct vpipe *p)
{
	if (p->have_thread) {
		pthread_mutex_lock(&p->mu);
		while (p->done < p->todo)
			pthread_cond_wait(&p->cv, &p->mu);
		p->stop = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->th, NULL);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	for (int i = 0; i < VBATCH_RING; i++) {
		mem_free(p->b[i].items);
		buf_release(&p->b[i].data);
	}
}

/* A blob.stored event (clear body, read without any key): its body fits the kind and
 * the blob file it names exists with the logged size and SHA-256. */
static int check_blob(struct node *n, const struct event *ev, struct err *e)
{
	const struct kind_def *def = kinds_find(ev->kind, ev->kind_version);
	json_t *body = NULL;
	char *dir = NULL;
	struct blob_ref ref;
	int rc = -1;
	if (!def) {
		err_set(e, ERR_VERIFY, "event %" PRIu64 ": unknown version %u of blob.stored", ev->seq,
			(unsigned)ev->kind_version);
		goto out;
	}
	if (canon_parse(ev->body, ev->body_len, &body, e) < 0 || kinds_check(def, body, e) < 0 ||
	    blobs_ref_set(&ref, json_string_value(json_object_get(body, "name")),
			  json_string_value(json_object_get(body, "sha256")),
			  (uint64_t)json_integer_value(json_object_get(body, "size")), e) < 0)
		goto bad;
	dir = fs_join(n->dir, "blobs");
	if (!dir) {
		err_nomem(e);
		goto out;
	}
	if (blobs_verify(dir, &ref, e) < 0)
		goto bad;
	rc = 0;
	goto out;
bad:
	err_prefix(e, "event %" PRIu64 " (blob.stored)", ev->seq);
	if (e->code != ERR_NOMEM)
		e->code = ERR_VERIFY;
out:
	json_decref(body);
	mem_free(dir);
	return rc;
}

/* The meta key under which a witness's verifier key is kept: "witness:<name>+<id>". */
static void witness_meta_key(const char *name, uint32_t key_id, char *out, size_t n)
{
	snprintf(out, n, "witness:%s+%08" PRIx32, name, key_id);
}

/* Appends the signature line of g on n's text ("— name base64", no newline) to out. */
static int signature_line(const struct note *n, const struct note_sig *g, struct buf *out,
			  struct err *e)
{
	struct note one = { n->text, n->text_len, (struct note_sig *)g, 1 };
	struct buf b;
	buf_init(&b, NOTE_MAX_LEN);
	int rc = note_format(&one, &b, e);
	if (rc == 0 && (b.len < n->text_len + 2 ||
			buf_add(out, b.data + n->text_len + 1, b.len - n->text_len - 2) < 0))
		rc = err_nomem(e);
	buf_release(&b);
	return rc;
}

/* Verifies a stored cosignature line on the checkpoint note cp_note with witness key w. */
static int verify_cosignature(const char *cp_note, size_t cp_len, const char *line,
			      const struct note_verifier *w, struct err *e)
{
	struct note cp = { 0 }, one = { 0 };
	struct buf b;
	buf_init(&b, NOTE_MAX_LEN);
	int rc = -1;
	if (note_parse(&cp, (const uint8_t *)cp_note, cp_len, e) < 0)
		goto out;
	buf_add(&b, cp.text, cp.text_len);
	buf_addch(&b, '\n');
	buf_addstr(&b, line);
	buf_addch(&b, '\n');
	if (!buf_ok(&b)) {
		err_nomem(e);
		goto out;
	}
	if (note_parse(&one, b.data, b.len, e) < 0 || note_verify(&one, w, e) < 0)
		goto out;
	rc = 0;
out:
	note_release(&cp);
	note_release(&one);
	buf_release(&b);
	return rc;
}

/* Every stored cosignature whose witness key is stored verifies on its checkpoint. */
static int check_cosignatures(struct node *n, struct verify_result *res, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(n->db, "SELECT c.size, c.name, c.key_id, c.line, k.note FROM cosignatures c"
			      " JOIN checkpoints k ON k.size = c.size ORDER BY 1, 2, 3", &st, e) < 0)
		return -1;
	struct buf vkey;
	buf_init(&vkey, 4096);
	int rc = -1, r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t size = (uint64_t)sqlite3_column_int64(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		uint32_t key_id = (uint32_t)sqlite3_column_int64(st, 2);
		const char *line = (const char *)sqlite3_column_text(st, 3);
		const char *cp = (const char *)sqlite3_column_text(st, 4);
		size_t cp_len = (size_t)sqlite3_column_bytes(st, 4);
		char key[NOTE_MAX_NAME + 32];
		if (!name || !line || !cp) {
			err_set(e, ERR_VERIFY, "checkpoint %" PRIu64 ": a cosignature row is empty", size);
			goto out;
		}
		witness_meta_key(name, key_id, key, sizeof key);
		buf_reset(&vkey);
		int m = store_meta_get(&n->store, key, &vkey, e);
		if (m < 0)
			goto out;
		if (m == 1) { /* no verifier key stored: cannot check it */
			res->cosignatures_unchecked++;
			continue;
		}
		struct note_verifier w;
		if (note_verifier_parse(&w, buf_str(&vkey), e) < 0) {
			err_prefix(e, "stored verifier key of witness '%s'", name);
			e->code = ERR_VERIFY;
			goto out;
		}
		int v = w.key_id == key_id && strcmp(w.name, name) == 0
				? verify_cosignature(cp, cp_len, line, &w, e)
				: err_set(e, ERR_VERIFY, "its stored key is another key");
		note_verifier_release(&w);
		if (v < 0) {
			err_prefix(e, "checkpoint %" PRIu64 ": cosignature by witness '%s' (key %08" PRIx32
				   ")", size, name, key_id);
			if (e->code != ERR_NOMEM)
				e->code = ERR_VERIFY;
			goto out;
		}
		res->cosignatures++;
	}
	if (r != SQLITE_DONE) {
		db_error(n->db, e, "reading cosignatures");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	buf_release(&vkey);
	return rc;
}

/* Reports event seq's stored column col, which differs from its signed envelope
 * (stored bytes d, len): always -1 with ERR_VERIFY (ERR_NOMEM never: no allocation). */
static int report_column(uint64_t seq, const char *col, const uint8_t *d, size_t len,
			 struct err *e)
{
	struct event ev;
	if (event_decode(d, len, &ev, e) < 0) { /* decoded before: cannot fail */
		err_prefix(e, "event %" PRIu64, seq);
		e->code = ERR_VERIFY;
		return -1;
	}
	char want[320];
	if (strcmp(col, "time_ms") == 0)
		snprintf(want, sizeof want, "%" PRId64, ev.time_ms);
	else
		snprintf(want, sizeof want, "'%s'", strcmp(col, "kind") == 0 ? ev.kind : ev.subject);
	return err_set(e, ERR_VERIFY, "event %" PRIu64 ": the events table's %s column differs "
		       "from its signed envelope (%s %s): the table was altered", seq, col, col,
		       want);
}

/* Checks one signed checkpoint against the stored tree; returns its size and root. */
static int check_checkpoint(struct node *n, const uint8_t *note, size_t len, const char *what,
			    uint64_t *size, uint8_t root[MERKLE_HASH_LEN], struct err *e)
{
	struct checkpoint c;
	if (node_parse_checkpoint(n, note, len, what, &c, e) < 0)
		return -1;
	*size = c.size;
	memcpy(root, c.root, MERKLE_HASH_LEN);
	checkpoint_release(&c);
	if (*size > n->size)
		return err_set(e, ERR_VERIFY, "%s has size %" PRIu64 " but the log holds only %" PRIu64
			       " events (events were deleted or the database truncated)",
			       what, *size, n->size);
	uint8_t have[MERKLE_HASH_LEN];
	if (tlog_root(&n->tlog, *size, have, e) < 0) {
		err_prefix(e, "%s", what);
		e->code = ERR_VERIFY;
		return -1;
	}
	if (memcmp(have, root, MERKLE_HASH_LEN) != 0)
		return err_set(e, ERR_VERIFY, "%s: the stored tree's root at size %" PRIu64
			       " differs from the signed one", what, *size);
	return 0;
}

/* ---- phase 1: the signed checkpoints against the stored tree ---- */

/* Every stored checkpoint against the stored tree (tiles), stored under its own size;
 * the latest must cover exactly the stored events. */
static int verify_checkpoints(struct node *n, struct verify_result *res, struct err *e)
{
	struct store_cursor c = { 0 };
	char what[64];
	uint64_t last_cp = 0;
	int have_cp = 0, rc = -1;
	if (store_checkpoints_open(&n->store, &c, e) < 0)
		goto out;
	for (;;) {
		uint64_t key, size;
		const uint8_t *d;
		size_t len;
		uint8_t root[MERKLE_HASH_LEN];
		int r = store_cursor_next(&c, &key, &d, &len, e);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		snprintf(what, sizeof what, "checkpoint %" PRIu64, key);
		if (check_checkpoint(n, d, len, what, &size, root, e) < 0)
			goto out;
		if (size != key) {
			err_set(e, ERR_VERIFY, "checkpoint %" PRIu64 " is stored under size %" PRIu64,
				size, key);
			goto out;
		}
		res->checkpoints++;
		last_cp = size;
		have_cp = 1;
	}
	if (n->size > 0 && (!have_cp || last_cp != n->size)) {
		err_set(e, ERR_VERIFY, "events %" PRIu64 "… are not covered by a signed checkpoint "
			"(the latest covers %" PRIu64 ")", have_cp ? last_cp : 0, last_cp);
		goto out;
	}
	rc = 0;
out:
	store_cursor_close(&c);
	return rc;
}

/* The checkpoint file (DIR/checkpoint): its size and root, when there is one. */
struct file_checkpoint {
	int have;
	uint64_t size;
	uint8_t root[MERKLE_HASH_LEN];
};

/* The checkpoint file against the stored tree; a node with events must have one. */
static int verify_checkpoint_file(struct node *n, struct file_checkpoint *f, struct err *e)
{
	struct buf file;
	buf_init(&file, NOTE_MAX_LEN);
	int rc = 0;
	memset(f, 0, sizeof *f);
	if (node_checkpoint_file(n, &file, e) == 0) {
		rc = check_checkpoint(n, file.data, file.len, n->checkpoint_path, &f->size, f->root,
				      e);
		f->have = rc == 0;
	} else if (n->size > 0) {
		e->code = ERR_VERIFY;
		rc = -1;
	} else {
		err_clear(e);
	}
	buf_release(&file);
	return rc;
}

/* ---- phase 2: the events, streamed, against the tiles and the checkpoints ---- */

/* The walk over the events: the tree rebuilt from them alone, the next stored
 * checkpoint its root is compared with, and the checkpoint file's. */
struct vwalk {
	struct node *n;
	const struct verify_opts *o;
	const struct file_checkpoint *file;
	struct range *rg;         /* the events so far */
	struct store_cursor cps;  /* the stored checkpoints, by size */
	uint64_t next_cp;         /* the next one's size; UINT64_MAX after the last */
	uint8_t cp_root[MERKLE_HASH_LEN];
	int64_t last_time;        /* the previous event's time */
};

/* Moves to the next stored checkpoint: its size (w->next_cp) and root (w->cp_root). */
static int walk_next_checkpoint(struct vwalk *w, struct err *e)
{
	const uint8_t *d;
	size_t len;
	int r = store_cursor_next(&w->cps, &w->next_cp, &d, &len, e);
	if (r < 0)
		return -1;
	if (r == 0) {
		w->next_cp = UINT64_MAX;
		return 0;
	}
	struct checkpoint k;
	if (node_parse_checkpoint(w->n, d, len, "checkpoint", &k, e) < 0)
		return -1;
	memcpy(w->cp_root, k.root, MERKLE_HASH_LEN);
	checkpoint_release(&k);
	return 0;
}

/* The event's envelope (decoded by the worker, or here for a slow event): the next seq,
 * naming this seq and this origin, its time not going backwards; leaf gets its leaf
 * hash. For an event the worker decoded, ev holds seq, time, key id and origin only. */
static int walk_envelope(struct vwalk *w, const struct vitem *it, const uint8_t *d,
			 struct event *ev, uint8_t leaf[MERKLE_HASH_LEN], struct err *e)
{
	uint64_t seq = it->seq;
	if (seq != w->rg->size)
		return err_set(e, ERR_VERIFY, "event %" PRIu64 " is missing (the next stored is %"
			       PRIu64 ")", w->rg->size, seq);
	if (!it->slow) {
		/* decoded and hashed by the worker: sealed, of this origin */
		ev->seq = it->ev_seq;
		ev->time_ms = it->time_ms;
		ev->key_id = it->key_id;
		ev->kind[0] = '\0';
		memcpy(ev->origin, w->n->origin, sizeof ev->origin);
		memcpy(leaf, it->leaf, MERKLE_HASH_LEN);
	} else if (event_decode(d, it->len, ev, e) < 0) {
		err_prefix(e, "event %" PRIu64, seq);
		e->code = ERR_VERIFY;
		return -1;
	}
	if (ev->seq != seq || strcmp(ev->origin, w->n->origin) != 0)
		return err_set(e, ERR_VERIFY, "event %" PRIu64 ": its envelope says seq %" PRIu64
			       " of origin '%s' (moved or foreign event)", seq, ev->seq, ev->origin);
	if (ev->time_ms < w->last_time)
		return err_set(e, ERR_VERIFY, "event %" PRIu64 ": time goes backwards", seq);
	w->last_time = ev->time_ms;
	if (it->slow && merkle_leaf_hash(d, it->len, leaf, e) < 0)
		return -1;
	return 0;
}

/* An event the stored checkpoints cover (seq below the log's size): its leaf hash is
 * the one the stored tree (tiles) commits to. */
static int walk_tile_leaf(struct node *n, uint64_t seq, const uint8_t leaf[MERKLE_HASH_LEN],
			  struct err *e)
{
	if (seq >= n->size)
		return 0;
	uint8_t tile_leaf[MERKLE_HASH_LEN];
	if (tlog_node_hash(&n->tlog, 0, seq, tile_leaf, e) < 0) {
		err_prefix(e, "event %" PRIu64, seq);
		e->code = ERR_VERIFY;
		return -1;
	}
	if (memcmp(leaf, tile_leaf, MERKLE_HASH_LEN) != 0)
		return err_set(e, ERR_VERIFY, "event %" PRIu64 ": its bytes do not match the leaf "
			       "hash committed by the signed checkpoints (altered event)", seq);
	return 0;
}

/* When the events reach a stored checkpoint's size or the checkpoint file's, their root
 * is the signed one; past a stored checkpoint, the walk moves to the next. */
static int walk_roots(struct vwalk *w, struct err *e)
{
	int at_cp = w->rg->size == w->next_cp;
	int at_file = w->file->have && w->rg->size == w->file->size;
	if (!at_cp && !at_file)
		return 0;
	uint8_t root[MERKLE_HASH_LEN];
	if (range_root(w->rg, root, e) < 0)
		return -1;
	if (at_cp && memcmp(root, w->cp_root, MERKLE_HASH_LEN) != 0)
		return err_set(e, ERR_VERIFY, "checkpoint %" PRIu64 ": the events' root differs "
			       "from the signed one", w->next_cp);
	if (at_file && memcmp(root, w->file->root, MERKLE_HASH_LEN) != 0)
		return err_set(e, ERR_VERIFY, "'%s': the events' root at size %" PRIu64
			       " differs from the signed one", w->n->checkpoint_path, w->file->size);
	return at_cp ? walk_next_checkpoint(w, e) : 0;
}

/* One event, in this order: its envelope, its leaf against the tiles, its stored
 * columns against the envelope, its blob (a clear blob.stored event), then the tree
 * grows by its leaf and is compared at each signed size. */
static int walk_event(struct vwalk *w, const struct vitem *it, const uint8_t *d,
		      struct verify_result *res, struct err *e)
{
	struct event ev;
	uint8_t leaf[MERKLE_HASH_LEN];
	if (walk_envelope(w, it, d, &ev, leaf, e) < 0 ||
	    walk_tile_leaf(w->n, it->seq, leaf, e) < 0)
		return -1;
	const char *col = it->slow ? column_mismatch(it, d + it->len, &ev) : it->bad_column;
	if (col)
		return report_column(it->seq, col, d, it->len, e);
	if (ev.key_id == 0 && strcmp(ev.kind, "blob.stored") == 0) {
		if (check_blob(w->n, &ev, e) < 0)
			return -1;
		res->blobs++;
	}
	if (range_push(w->rg, leaf, e) < 0 || walk_roots(w, e) < 0)
		return -1;
	if (w->o && w->o->progress && (w->rg->size & 4095) == 0)
		w->o->progress(w->o->ctx, w->rg->size, w->n->size);
	return 0;
}

/* Every event through walk_event (the stream of the vpipe), then: the events end where
 * the log and the last checkpoint do; res gets their count and root. */
static int verify_events(struct node *n, const struct verify_opts *o,
			 const struct file_checkpoint *file, struct verify_result *res,
			 struct err *e)
{
	struct vwalk w = { .n = n, .o = o, .file = file, .next_cp = UINT64_MAX };
	struct store_cursor c = { 0 };
	struct vpipe vp;
	int vp_open = 0, rc = -1;
	if (store_checkpoints_open(&n->store, &w.cps, e) < 0 || walk_next_checkpoint(&w, e) < 0)
		goto out;
	w.rg = mem_calloc(1, sizeof *w.rg);
	if (!w.rg) {
		err_nomem(e);
		goto out;
	}
	if (store_events_open_columns(&n->store, 0, &c, e) < 0 ||
	    vpipe_open(&vp, &c, n->origin, e) < 0)
		goto out;
	vp_open = 1;
	for (;;) {
		const struct vitem *it;
		const uint8_t *d;
		int r = vpipe_next(&vp, &it, &d, e);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		if (walk_event(&w, it, d, res, e) < 0)
			goto out;
	}
	if (w.rg->size != n->size || w.next_cp != UINT64_MAX) {
		err_set(e, ERR_VERIFY, "the log ends at %" PRIu64 " events but checkpoint %" PRIu64
			" was signed", w.rg->size, w.next_cp == UINT64_MAX ? n->size : w.next_cp);
		goto out;
	}
	if (range_root(w.rg, res->root, e) < 0)
		goto out;
	res->events = w.rg->size;
	if (o && o->progress)
		o->progress(o->ctx, w.rg->size, n->size);
	rc = 0;
out:
	if (vp_open)
		vpipe_close(&vp);
	mem_free(w.rg);
	store_cursor_close(&w.cps);
	store_cursor_close(&c);
	return rc;
}

/* The phases of verify.h, in order; the first failure stops the walk. */
int log_verify(struct node *n, const struct verify_opts *o, struct verify_result *res,
	       struct err *e)
{
	memset(res, 0, sizeof *res);
	struct file_checkpoint file;
	/* 1. the checkpoints against the stored tree; 2. the events against both */
	if (verify_checkpoints(n, res, e) < 0 || verify_checkpoint_file(n, &file, e) < 0 ||
	    verify_events(n, o, &file, res, e) < 0)
		return -1;
	/* 3. cosignatures stored beside the checkpoints */
	if (check_cosignatures(n, res, e) < 0)
		return -1;
	/* 4. hooks */
	if (o && o->extra && o->extra(n, o->ctx, e) < 0)
		return -1;
	return 0;
}

/* ---- cosignatures: storing them, printing checkpoints with them ---- */

/* The stored note of the checkpoint of size (appended to out): 0, 1 none, -1 error. */
static int stored_checkpoint(sqlite3 *db, uint64_t size, struct buf *out, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT note FROM checkpoints WHERE size = ?", &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	int ret = db_step_bytes(db, st, 0, out, "reading checkpoints", e);
	sqlite3_finalize(st);
	return ret;
}

int log_cosign(struct node *n, const uint8_t *msg, size_t len, const char *vkey,
	       struct log_cosign_result *res, struct err *e)
{
	struct note note = { 0 }, mine = { 0 };
	struct note_verifier w = { 0 };
	struct checkpoint c = { 0 };
	struct buf stored, line, wkey;
	buf_init(&stored, NOTE_MAX_LEN);
	buf_init(&line, NOTE_MAX_LEN);
	buf_init(&wkey, 4096);
	sqlite3 *db = NULL;
	struct store st = { 0 };
	int rc = -1, began = 0;
	memset(res, 0, sizeof *res);

	if (note_verifier_parse(&w, vkey, e) < 0) {
		err_prefix(e, "witness verifier key");
		e->code = ERR_INPUT;
		goto out;
	}
	if (w.key_id == n->verifier.key_id && strcmp(w.name, n->verifier.name) == 0) {
		err_set(e, ERR_INPUT, "the witness key is this node's own key: a cosignature comes "
			"from another node");
		goto out;
	}
	if (note_parse(&note, msg, len, e) < 0) {
		err_prefix(e, "note");
		if (e->code != ERR_NOMEM)
			e->code = ERR_INPUT;
		goto out;
	}
	if (checkpoint_parse(&c, note.text, note.text_len, e) < 0) {
		err_prefix(e, "note is not a checkpoint");
		if (e->code != ERR_NOMEM)
			e->code = ERR_INPUT;
		goto out;
	}
	res->size = c.size;
	if (strcmp(c.origin, n->origin) != 0) {
		err_set(e, ERR_VERIFY, "the note is a checkpoint of origin '%s', not of this node ('%s')",
			c.origin, n->origin);
		goto out;
	}
	int r = stored_checkpoint(n->db, c.size, &stored, e);
	if (r < 0)
		goto out;
	if (r == 1) {
		err_set(e, ERR_VERIFY, "this node signed no checkpoint of size %" PRIu64, c.size);
		goto out;
	}
	if (note_parse(&mine, stored.data, stored.len, e) < 0)
		goto out;
	if (mine.text_len != note.text_len || memcmp(mine.text, note.text, note.text_len) != 0) {
		err_set(e, ERR_VERIFY, "the note's checkpoint of size %" PRIu64 " differs from the one "
			"this node signed (another root or extension lines)", c.size);
		goto out;
	}
	if (note_verify(&note, &n->verifier, e) < 0) {
		err_prefix(e, "the note does not carry this node's own signature");
		goto out;
	}
	if (note_verify(&note, &w, e) < 0) {
		err_prefix(e, "witness '%s'", w.name);
		goto out;
	}
	const struct note_sig *g = NULL;
	for (size_t i = 0; i < note.nsigs && !g; i++)
		if (note.sigs[i].key_id == w.key_id && strcmp(note.sigs[i].name, w.name) == 0)
			g = &note.sigs[i];
	if (!g || signature_line(&note, g, &line, e) < 0 ||
	    note_verifier_format(&w, &wkey, e) < 0)
		goto out;
	char key[NOTE_MAX_NAME + 32];
	witness_meta_key(w.name, w.key_id, key, sizeof key);
	/* cosignatures are not the log: a second connection may add them beside a running
	 * writer (SQLite serialises the two; the busy timeout waits for its batch) */
	if (db_open(n->db_path, DB_READWRITE, &db, e) < 0 || store_init(&st, db, e) < 0 ||
	    db_exec(db, "BEGIN IMMEDIATE", e) < 0)
		goto out;
	began = 1;
	if (store_cosignature_add(&st, c.size, w.name, w.key_id, buf_str(&line), e) < 0 ||
	    store_meta_set(&st, key, buf_str(&wkey), e) < 0 || db_exec(db, "COMMIT", e) < 0)
		goto out;
	began = 0;
	snprintf(res->witness, sizeof res->witness, "%s", w.name);
	res->key_id = w.key_id;
	rc = 0;
out:
	if (began)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	store_release(&st);
	db_close(db);
	note_release(&note);
	note_release(&mine);
	note_verifier_release(&w);
	checkpoint_release(&c);
	buf_release(&stored);
	buf_release(&line);
	buf_release(&wkey);
	return rc;
}

int log_checkpoint_note(struct node *n, int have_size, uint64_t size, struct buf *out,
			struct err *e)
{
	struct buf note;
	buf_init(&note, NOTE_MAX_LEN);
	sqlite3_stmt *st = NULL;
	int r;
	if (have_size)
		r = stored_checkpoint(n->db, size, &note, e);
	else
		r = store_checkpoint_latest(&n->store, &note, &size, e);
	if (r != 0)
		goto out;
	r = -1;
	if (buf_add(out, note.data, note.len) < 0) {
		err_nomem(e);
		goto out;
	}
	if (db_prepare(n->db, "SELECT line FROM cosignatures WHERE size = ? ORDER BY name, key_id",
		       &st, e) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		buf_add(out, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
		buf_addch(out, '\n');
	}
	if (s != SQLITE_DONE) {
		db_error(n->db, e, "reading cosignatures");
		goto out;
	}
	if (!buf_ok(out)) {
		err_nomem(e);
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	buf_release(&note);
	return r;
}
