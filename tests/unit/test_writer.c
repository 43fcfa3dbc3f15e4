/*
 * Tests of log/writer (group commit) on a real node data dir (log/node.h): concurrent
 * requests share one transaction, a refused request is rolled back alone, every event
 * is covered by a signed checkpoint that verifies, and the guards of node_open.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixtures.h"
#include "harness.h"
#include "log/db.h"
#include "log/event.h"
#include "log/node.h"
#include "log/verify.h"
#include "log/writer.h"
#include "util/alloc.h"
#include "util/fs.h"

static char dir[512], kek_path[512];
static struct kek_source kek;

static int make_node(void)
{
	struct err e = ERR_INIT;
	snprintf(dir, sizeof dir, "%s/node", test_tmpdir());
	snprintf(kek_path, sizeof kek_path, "%s/kek", test_tmpdir());
	memset(&kek, 0, sizeof kek);
	kek.key_file = kek_path;
	if (keys_make_kek_file(kek_path, &e) < 0 ||
	    node_create(dir, "writer.test", "Writer Test", &kek, &e) < 0) {
		fprintf(stderr, "make_node: %s\n", e.msg);
		return -1;
	}
	return 0;
}

/* A fresh node opened for writing, with its writer started. */
static int start_node(struct node *n, struct writer **w)
{
	struct err e = ERR_INIT;
	struct node_opts o = { .kek = &kek };
	if (make_node() < 0)
		return -1;
	if (node_open(n, dir, &o, &e) < 0 || writer_start(w, n, &e) < 0) {
		fprintf(stderr, "start_node: %s\n", e.msg);
		return -1;
	}
	return 0;
}

struct note_arg {
	const char *text;
	int refuse;    /* 1: break a UNIQUE constraint after appending */
	int sleep_ms;
	uint64_t seq;
	int rc;
	struct err err;
	struct writer *w;
};

static int note_fn(struct writer_txn *tx, void *arg, struct err *e)
{
	struct note_arg *a = arg;
	char body[128];
	snprintf(body, sizeof body, "{\"text\":\"%s\"}", a->text);
	if (a->sleep_ms)
		usleep((useconds_t)a->sleep_ms * 1000);
	if (writer_txn_append(tx, "test", "operator.note", 1, "", (const uint8_t *)body,
			      strlen(body), &a->seq, e) < 0)
		return -1;
	if (a->refuse) {
		/* node_info already holds this origin: UNIQUE (PRIMARY KEY) constraint */
		char *msg = NULL;
		if (sqlite3_exec(writer_txn_db(tx),
				 "INSERT INTO node_info SELECT * FROM node_info", NULL, NULL,
				 &msg) != SQLITE_OK) {
			err_set(e, ERR_INPUT, "refused: %s", msg ? msg : "?");
			sqlite3_free(msg);
			return -1;
		}
	}
	return 0;
}

static void *submit_thread(void *p)
{
	struct note_arg *a = p;
	a->rc = writer_submit(a->w, note_fn, a, NULL, &a->err);
	return NULL;
}

/* Appends one note through w and waits: its rc (0 when acknowledged). */
static int submit_note(struct writer *w, const char *text)
{
	struct note_arg a = { .text = text, .w = w };
	submit_thread(&a);
	return a.rc;
}

TEST(writer_batches_concurrent_requests_and_refuses_one_alone)
{
	CHECK(make_node() == 0);
	struct err e = ERR_INIT;
	struct node n;
	struct node_opts o = { .kek = &kek };
	CHECK(node_open(&n, dir, &o, &e) == 0);
	CHECK_INT_EQ(n.size, 1);
	struct writer *w;
	CHECK(writer_start(&w, &n, &e) == 0);

	/* a slow first request holds the writer while 8 more queue up */
	enum { K = 8 };
	struct note_arg slow = { .text = "slow", .sleep_ms = 300, .w = w };
	struct note_arg a[K];
	pthread_t th[K + 1];
	CHECK(pthread_create(&th[K], NULL, submit_thread, &slow) == 0);
	usleep(100 * 1000);
	for (int i = 0; i < K; i++) {
		a[i] = (struct note_arg){ .text = "n", .refuse = i == 3, .w = w };
		CHECK(pthread_create(&th[i], NULL, submit_thread, &a[i]) == 0);
	}
	for (int i = 0; i <= K; i++)
		pthread_join(th[i], NULL);
	struct writer_stats st;
	writer_get_stats(w, &st);
	writer_stop(w);

	CHECK_INT_EQ(slow.rc, 0);
	CHECK_INT_EQ(slow.seq, 1);
	CHECK_INT_EQ(st.requests, K + 1);
	CHECK_INT_EQ(st.batches, 2); /* 9 requests, 2 transactions (2 fsyncs) */
	CHECK_INT_EQ(st.refused, 1);
	CHECK_INT_EQ(a[3].rc, -1);
	CHECK(strstr(a[3].err.msg, "UNIQUE") != NULL);
	/* the 7 others got seqs 2..8, each once */
	unsigned seen = 0;
	for (int i = 0; i < K; i++) {
		if (i == 3)
			continue;
		CHECK_INT_EQ(a[i].rc, 0);
		CHECK(a[i].seq >= 2 && a[i].seq <= 8);
		CHECK(!(seen & (1u << a[i].seq)));
		seen |= 1u << a[i].seq;
	}
	CHECK_INT_EQ(n.size, 9);
	CHECK_INT_EQ(test_count(n.db, "SELECT count(*) FROM events"), 9);
	CHECK_INT_EQ(test_count(n.db, "SELECT count(*) FROM operator_notes"), 8);
	CHECK_INT_EQ(test_count(n.db, "SELECT count(*) FROM node_info"), 1);
	CHECK_INT_EQ(test_count(n.db, "SELECT count(*) FROM checkpoints"), 3); /* init + 2 */
	node_close(&n);

	/* the whole log verifies, read-only, without keys */
	CHECK(node_open(&n, dir, NULL, &e) == 0);
	struct verify_result r;
	int rc = log_verify(&n, NULL, &r, &e);
	node_close(&n);
	if (rc < 0)
		fprintf(stderr, "verify: %s\n", e.msg);
	CHECK_INT_EQ(rc, 0);
	CHECK_INT_EQ(r.events, 9);
	CHECK_INT_EQ(r.checkpoints, 3);
}

TEST(writer_many_threads_share_transactions)
{
	struct node n;
	struct writer *w;
	CHECK(start_node(&n, &w) == 0);
	enum { T = 8, EACH = 40 };
	struct note_arg a[T];
	pthread_t th[T];
	for (int round = 0; round < EACH; round++) {
		for (int i = 0; i < T; i++) {
			a[i] = (struct note_arg){ .text = "m", .w = w };
			CHECK(pthread_create(&th[i], NULL, submit_thread, &a[i]) == 0);
		}
		for (int i = 0; i < T; i++) {
			pthread_join(th[i], NULL);
			CHECK_INT_EQ(a[i].rc, 0);
		}
	}
	struct writer_stats st;
	writer_get_stats(w, &st);
	writer_stop(w);
	CHECK_INT_EQ(st.requests, T * EACH);
	CHECK(st.batches < st.requests); /* some requests shared a transaction */
	CHECK_INT_EQ(n.size, 1 + T * EACH);
	node_close(&n);
}

TEST(writer_commit_without_checkpoint_file_is_not_acknowledged)
{
	CHECK(make_node() == 0);
	struct err e = ERR_INIT;
	struct node n;
	struct node_opts o = { .kek = &kek };
	CHECK(node_open(&n, dir, &o, &e) == 0);
	/* DIR/checkpoint cannot be replaced: a directory stands in its way */
	char *cp = fs_join(dir, "checkpoint"), *tmp = fs_join(dir, "checkpoint.saved");
	CHECK(rename(cp, tmp) == 0);
	CHECK(fs_mkdir(cp, 0700, &e) == 0);
	char *inner = fs_join(cp, "x");
	CHECK(fs_write_atomic(inner, "x", 1, 0600, &e) == 0);
	struct writer *w;
	CHECK(writer_start(&w, &n, &e) == 0);
	struct note_arg a = { .text = "x", .w = w };
	submit_thread(&a);
	writer_stop(w);
	CHECK_INT_EQ(a.rc, -1);
	CHECK(strstr(a.err.msg, "checkpoint file") != NULL);
	node_close(&n);
	unlink(inner);
	rmdir(cp);
	CHECK(rename(tmp, cp) == 0);
	mem_free(cp);
	mem_free(tmp);
	mem_free(inner);
	/* the event is stored and signed; the file is behind, which the guards accept */
	CHECK(node_open(&n, dir, &o, &e) == 0);
	CHECK_INT_EQ(n.size, 2);
	node_close(&n);
}

TEST(node_open_refuses_a_clock_behind_the_log)
{
	CHECK(make_node() == 0);
	struct err e = ERR_INIT;
	struct node n;
	struct node_opts o = { .kek = &kek, .clock_offset_ms = -60000 };
	CHECK(node_open(&n, dir, &o, &e) < 0);
	CHECK_INT_EQ(e.code, ERR_VERIFY);
	CHECK(strstr(e.msg, "clock") != NULL);
	err_clear(&e);
	o.clock_tolerance_ms = 120000;
	CHECK(node_open(&n, dir, &o, &e) == 0);
	node_close(&n);
}

TEST(node_open_refuses_a_second_writer)
{
	CHECK(make_node() == 0);
	struct err e = ERR_INIT;
	struct node a, b;
	struct node_opts o = { .kek = &kek };
	CHECK(node_open(&a, dir, &o, &e) == 0);
	CHECK(node_open(&b, dir, &o, &e) < 0);
	CHECK(strstr(e.msg, "in use") != NULL);
	node_close(&a);
}

/* The n-th file write (disk full) or fsync inside the writer fails, for every n in
 * turn: the request gets a clear error, nothing acknowledged is lost, the log verifies
 * and the node opens for writing again. */
TEST(writer_io_faults_leave_the_log_valid)
{
	CHECK(make_node() == 0);
	struct node_opts o = { .kek = &kek };
	uint64_t acked_max = 0; /* events 0..acked_max-1 were acknowledged */
	acked_max = 1;
	for (int kind = 0; kind < 2; kind++) {
		for (long nth = 1; nth < 200; nth++) {
			struct err e = ERR_INIT;
			long hits = db_fault_hits();
			db_fault_arm(kind == 0 ? nth : 0, kind == 1 ? nth : 0);
			struct node n;
			int opened = node_open(&n, dir, &o, &e) == 0;
			if (opened) {
				struct writer *w;
				CHECK(writer_start(&w, &n, &e) == 0);
				for (int i = 0; i < 3; i++) {
					struct note_arg a = { .text = "f", .w = w };
					submit_thread(&a);
					if (a.rc == 0) {
						if (a.seq + 1 > acked_max)
							acked_max = a.seq + 1;
					} else if (!a.err.msg[0]) {
						writer_stop(w);
						node_close(&n);
						CHECK(!"failed request without a message");
					}
				}
				writer_stop(w);
				node_close(&n);
			} else {
				CHECK(e.msg[0] != '\0');
			}
			db_fault_arm(0, 0);
			int fired = db_fault_hits() != hits;
			/* the log verifies and holds everything acknowledged */
			err_clear(&e);
			CHECK(node_open(&n, dir, NULL, &e) == 0);
			struct verify_result r;
			int rc = log_verify(&n, NULL, &r, &e);
			node_close(&n);
			if (rc < 0)
				fprintf(stderr, "fault %s %ld: verify: %s\n", kind ? "sync" : "write", nth,
					e.msg);
			CHECK_INT_EQ(rc, 0);
			CHECK(r.events >= acked_max);
			/* and opens for writing again */
			CHECK(node_open(&n, dir, &o, &e) == 0);
			node_close(&n);
			if (!fired)
				break; /* nth is past every write of a round: all covered */
		}
	}
	CHECK(db_fault_hits() > 10);
}

static int big_note_fn(struct writer_txn *tx, void *arg, struct err *e)
{
	(void)arg;
	char body[1024];
	int n = snprintf(body, sizeof body, "{\"text\":\"%0900d\"}", 7);
	return writer_txn_append(tx, "test", "operator.note", 1, "", (const uint8_t *)body,
				 (size_t)n, NULL, e);
}

static void *many_notes(void *p)
{
	struct note_arg *a = p;
	for (int i = 0; i < 400 && a->rc == 0; i++)
		a->rc = writer_submit(a->w, big_note_fn, NULL, NULL, &a->err);
	return NULL;
}

/* Enough appends to pass WRITER_WAL_MAX frames several times: the checkpointer thread
 * copies the WAL while the writer goes on, the writer finishes the tail, the WAL file
 * is restarted rather than growing, and the log verifies. */
TEST(writer_wal_is_checkpointed_beside_the_writer)
{
	struct err e = ERR_INIT;
	struct node n;
	struct writer *w;
	CHECK(start_node(&n, &w) == 0);
	enum { T = 8 };
	struct note_arg a[T];
	pthread_t th[T];
	for (int i = 0; i < T; i++) {
		a[i] = (struct note_arg){ .w = w };
		CHECK(pthread_create(&th[i], NULL, many_notes, &a[i]) == 0);
	}
	int failed = 0;
	for (int i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		if (a[i].rc != 0) {
			printf("FAIL-DETAIL writer %d: %s\n", i, a[i].err.msg);
			failed++;
		}
	}
	struct writer_stats st;
	writer_get_stats(w, &st);
	writer_stop(w);
	CHECK_INT_EQ(failed, 0);
	printf("wal frames %llu, batches %lu, checkpoints: writer %lu, checkpointer %lu\n",
	       st.wal_frames, st.batches, st.wal_checkpoints, st.bg_checkpoints);
	CHECK(st.wal_frames > 3000);
	CHECK(st.bg_checkpoints >= 1);
	CHECK(st.wal_checkpoints >= 1); /* the tails, or the writer's own when idle */
	char *wal = fs_join(dir, "paspor.db-wal");
	struct stat sb;
	CHECK(stat(wal, &sb) == 0);
	CHECK(sb.st_size < (off_t)4200 * 4096 * 2); /* restarted, not grown without bound */
	mem_free(wal);
	CHECK_INT_EQ(n.size, 1 + T * 400);
	node_close(&n);
	CHECK(node_open(&n, dir, NULL, &e) == 0);
	struct verify_result r;
	CHECK_INT_EQ(log_verify(&n, NULL, &r, &e), 0);
	CHECK_INT_EQ(r.events, 1 + T * 400);
	node_close(&n);
}

/* A COMMIT is visible to another connection before the syncer's fdatasync; a reader
 * that has seen it and opens a durable snapshot (writer_read_begin, which calls
 * writer_wait_durable) gets control back only after that fdatasync (here held back
 * 300 ms by the test hook). */
TEST(writer_wait_durable_returns_after_the_fdatasync)
{
	struct err e = ERR_INIT;
	struct node n;
	struct writer *w;
	CHECK(start_node(&n, &w) == 0);
	sqlite3 *ro;
	CHECK(db_open(n.db_path, DB_READONLY, &ro, &e) == 0);
	long before = db_fault_syncs_delayed();
	db_fault_delay_syncs(300);
	struct note_arg a = { .text = "held", .w = w };
	pthread_t th;
	CHECK(pthread_create(&th, NULL, submit_thread, &a) == 0);
	int seen = 0;
	for (int i = 0; i < 20000 && !seen; i++) {
		if (test_count(ro, "SELECT count(*) FROM operator_notes") == 1)
			seen = 1;
		else
			usleep(100);
	}
	long at_seen = db_fault_syncs_delayed();
	int rc = writer_read_begin(w, ro, &e); /* BEGIN, snapshot, writer_wait_durable */
	long after = db_fault_syncs_delayed();
	int in_snapshot = test_count(ro, "SELECT count(*) FROM operator_notes");
	writer_read_end(ro);
	pthread_join(th, NULL);
	db_fault_delay_syncs(0);
	db_close(ro);
	writer_stop(w);
	node_close(&n);
	CHECK(seen);
	if (at_seen != before)
		printf("note: the held fdatasync ended before the row was seen (slow machine)\n");
	CHECK_INT_EQ(rc, 0);
	CHECK(after > before); /* it waited for the held fdatasync */
	CHECK_INT_EQ(in_snapshot, 1);
	CHECK_INT_EQ(a.rc, 0);
}

/* The syncer's fdatasync fails (fault hook): the batch it covered is refused (its
 * events are in the database but were never acknowledged), every later batch is
 * refused, and readers are told; a restarted node verifies and writes again. */
TEST(writer_failed_fdatasync_stops_writing_until_restart)
{
	struct err e = ERR_INIT;
	struct node n;
	struct node_opts o = { .kek = &kek };
	struct writer *w;
	CHECK(start_node(&n, &w) == 0);
	CHECK_INT_EQ(submit_note(w, "before"), 0);
	CHECK_INT_EQ(writer_wait_durable(w, &e), 0);
	long hits = db_fault_hits();
	db_fault_arm(0, 1); /* the next sync: the syncer's fdatasync of the WAL */
	struct note_arg b = { .text = "lost", .w = w };
	submit_thread(&b);
	db_fault_arm(0, 0);
	CHECK_INT_EQ(db_fault_hits(), hits + 1);
	CHECK_INT_EQ(b.rc, -1);
	CHECK(strstr(b.err.msg, "not made durable") != NULL);
	struct note_arg c = { .text = "after", .w = w };
	submit_thread(&c);
	CHECK_INT_EQ(c.rc, -1);
	CHECK(strstr(c.err.msg, "restart") != NULL);
	err_clear(&e);
	CHECK_INT_EQ(writer_wait_durable(w, &e), -1);
	CHECK(strstr(e.msg, "fdatasync") != NULL);
	writer_stop(w);
	node_close(&n);
	CHECK(node_open(&n, dir, &o, &e) == 0);
	struct verify_result r;
	CHECK_INT_EQ(log_verify(&n, NULL, &r, &e), 0);
	CHECK(writer_start(&w, &n, &e) == 0);
	CHECK_INT_EQ(submit_note(w, "again"), 0);
	writer_stop(w);
	node_close(&n);
}

struct json_arg {
	json_t *body;
	uint64_t seq;
};

static int json_fn(struct writer_txn *tx, void *arg, struct err *e)
{
	struct json_arg *a = arg;
	return writer_txn_append_json(tx, "test", "operator.note", 1, "s", a->body, &a->seq, e);
}

TEST(writer_append_json_stores_the_canonical_body)
{
	struct err e = ERR_INIT;
	struct node n;
	struct writer *w;
	CHECK(start_node(&n, &w) == 0);
	/* a body built in code, with a character outside ASCII and a quote */
	struct json_arg ok = { json_pack("{s:s}", "text", "caf\xc3\xa9 \"x\""), 0 };
	CHECK(writer_submit(w, json_fn, &ok, NULL, &e) == 0);
	CHECK_INT_EQ(ok.seq, 1);
	/* refused alone: a field that does not fit the kind, a real, a non-NFC string */
	struct json_arg bad[3] = { { json_pack("{s:i}", "text", 5), 0 },
				   { json_pack("{s:s, s:f}", "text", "a", "x", 1.5), 0 },
				   { json_pack("{s:s}", "text", "e\xcc\x81"), 0 } };
	const char *why[3] = { "'text' is missing or not a string", "unknown field 'x'",
			       "not NFC" };
	for (int i = 0; i < 3; i++) {
		struct err be = ERR_INIT;
		CHECK_INT_EQ(writer_submit(w, json_fn, &bad[i], NULL, &be), -1);
		CHECK_INT_EQ(be.code, ERR_INPUT);
		if (!strstr(be.msg, why[i]))
			printf("FAIL-DETAIL json body %d: \"%s\"\n", i, be.msg);
		CHECK(strstr(be.msg, why[i]) != NULL);
		json_decref(bad[i].body);
	}
	writer_stop(w);
	/* the stored event opens to the bytes jansson's dump gives (outside truth: the
	 * canonical form is json_dumps COMPACT | SORT_KEYS) */
	char *want = json_dumps(ok.body, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(ok.body);
	struct buf raw, body;
	buf_init(&raw, EVENT_MAX);
	buf_init(&body, EVENT_BODY_MAX);
	struct event ev;
	CHECK(store_event_get(&n.store, 1, &raw, &e) == 0);
	CHECK(event_decode(raw.data, raw.len, &ev, &e) == 0);
	CHECK(event_open(&ev, n.keys.data_key, &body, &e) == 0);
	CHECK_STR_EQ(buf_str(&body), want);
	CHECK_STR_EQ(ev.subject, "s");
	CHECK_INT_EQ(test_count(n.db, "SELECT count(*) FROM operator_notes"), 1);
	CHECK_INT_EQ(n.size, 2);
	free(want);
	buf_release(&raw);
	buf_release(&body);
	node_close(&n);
}

/* Rebuild runs in steps (here of 7 events); a rebuild stopped by a write error part-way
 * leaves the state marked incomplete: the node refuses to open except for the log
 * alone, and a second rebuild restores the same rows. For every n, the n-th write
 * fails, until a rebuild runs through without one. */
TEST(rebuild_in_steps_refuses_incomplete_state_until_run_again)
{
	struct node n;
	struct writer *w;
	struct err e = ERR_INIT;
	CHECK(start_node(&n, &w) == 0);
	for (int i = 0; i < 40; i++) {
		char text[16];
		snprintf(text, sizeof text, "note %d", i);
		CHECK_INT_EQ(submit_note(w, text), 0);
	}
	writer_stop(w);
	unsigned char before[32], after[32];
	CHECK(test_projection_digest(n.db, before) == 0);
	CHECK(test_count(n.db, "SELECT count(*) FROM operator_notes") == 40);
	uint64_t count = 0;
	CHECK(node_rebuild_progress(&n, &count, 7, NULL, NULL, &e) == 0);
	CHECK_INT_EQ(count, 41); /* node.created and the 40 notes */
	CHECK(test_projection_digest(n.db, after) == 0 && memcmp(before, after, 32) == 0);
	node_close(&n);

	struct node_opts o = { .kek = &kek }, rebuild_o = { .kek = &kek, .log_only = 1 },
			 log_o = { .log_only = 1 };
	int incomplete = 0;
	long nth;
	for (nth = 1; nth < 400; nth++) {
		long hits = db_fault_hits();
		db_fault_arm(nth, 0);
		CHECK(node_open(&n, dir, &o, &e) == 0);
		int rc = node_rebuild_progress(&n, &count, 7, NULL, NULL, &e);
		node_close(&n);
		db_fault_arm(0, 0);
		int fired = db_fault_hits() != hits;
		if (rc == 0 && !fired)
			break; /* past every write of a rebuild: all covered */
		err_clear(&e);
		if (node_open(&n, dir, &o, &e) == 0) {
			/* the first step failed: the old tables stand */
			CHECK(test_projection_digest(n.db, after) == 0 && memcmp(before, after, 32) == 0);
			node_close(&n);
			continue;
		}
		incomplete++;
		CHECK_INT_EQ(e.code, ERR_VERIFY);
		CHECK(strstr(e.msg, "state tables are incomplete") != NULL);
		CHECK(strstr(e.msg, "paspor rebuild") != NULL);
		/* read-only callers of the state are refused too; the log alone opens */
		err_clear(&e);
		CHECK(node_open(&n, dir, NULL, &e) < 0);
		err_clear(&e);
		CHECK(node_open(&n, dir, &log_o, &e) == 0);
		struct verify_result r;
		CHECK(log_verify(&n, NULL, &r, &e) == 0);
		node_close(&n);
		/* run again: the same rows, and the node opens */
		CHECK(node_open(&n, dir, &rebuild_o, &e) == 0);
		CHECK(node_rebuild_progress(&n, &count, 7, NULL, NULL, &e) == 0);
		CHECK_INT_EQ(count, 41);
		CHECK(test_projection_digest(n.db, after) == 0 && memcmp(before, after, 32) == 0);
		node_close(&n);
		CHECK(node_open(&n, dir, &o, &e) == 0);
		node_close(&n);
	}
	CHECK(nth < 400);
	CHECK(incomplete > 3);
}

/* A read-only open beside a running writer syncs the WAL itself (a failing fdatasync
 * fails the open, naming it) and reads one snapshot for its whole life. */
TEST(readonly_open_syncs_the_wal_and_keeps_one_snapshot)
{
	struct node n, r;
	struct writer *w;
	struct err e = ERR_INIT;
	CHECK(start_node(&n, &w) == 0);
	CHECK_INT_EQ(submit_note(w, "first"), 0);
	db_fault_arm(0, 1); /* the next sync made outside SQLite: the open's own */
	CHECK(node_open(&r, dir, NULL, &e) < 0);
	CHECK(strstr(e.msg, "fdatasync of") != NULL && strstr(e.msg, "-wal") != NULL);
	db_fault_arm(0, 0);
	err_clear(&e);
	CHECK(node_open(&r, dir, NULL, &e) == 0);
	CHECK_INT_EQ(r.size, 2);
	CHECK_INT_EQ(submit_note(w, "second"), 0);
	CHECK(node_reload(&r, &e) == 0);
	CHECK_INT_EQ(r.size, 2); /* its snapshot, taken at open */
	node_close(&r);
	CHECK(node_open(&r, dir, NULL, &e) == 0);
	CHECK_INT_EQ(r.size, 3);
	node_close(&r);
	writer_stop(w);
	node_close(&n);
}

/* log verify of a read-only node beside a running writer: the writer's syncer rewrites
 * DIR/checkpoint with notes newer than the reader's snapshot; the reader checks the
 * copy it read just before its snapshot, so the log verifies. */
TEST(readonly_verify_beside_a_writer_that_rewrites_the_checkpoint_file)
{
	struct node n, r;
	struct writer *w;
	struct err e = ERR_INIT;
	CHECK(start_node(&n, &w) == 0);
	CHECK_INT_EQ(submit_note(w, "before"), 0);
	CHECK(node_open(&r, dir, NULL, &e) == 0);
	for (int i = 0; i < 3; i++) {
		usleep(150 * 1000); /* past WRITER_FILE_INTERVAL_MS: each batch rewrites it */
		CHECK_INT_EQ(submit_note(w, "after"), 0);
	}
	struct verify_result res;
	int rc = log_verify(&r, NULL, &res, &e);
	if (rc < 0)
		fprintf(stderr, "verify: %s\n", e.msg);
	CHECK_INT_EQ(rc, 0);
	CHECK_INT_EQ(res.events, 2);
	node_close(&r);
	writer_stop(w);
	node_close(&n);
}

/* log verify and the columns the events table keeps beside each envelope (time_ms,
 * kind, subject: queries read them). */
static int app_note_fn(struct writer_txn *tx, void *arg, struct err *e)
{
	static const char body[] = "{\"text\":\"x\"}";
	return writer_txn_append(tx, "test", "operator.note", 1, "app:A0000001",
				 (const uint8_t *)body, strlen(body), arg, e);
}

static int exec_on_db(const char *sql)
{
	char path[600];
	snprintf(path, sizeof path, "%s/paspor.db", dir);
	sqlite3 *db;
	int rc = sqlite3_open(path, &db) == SQLITE_OK &&
				 sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK
			 ? 0 : -1;
	sqlite3_close(db);
	return rc;
}

/* log_verify of the node in dir, opened read-only: its result, e set on failure. */
static int verify_dir(struct err *e)
{
	struct node n;
	if (node_open(&n, dir, NULL, e) < 0)
		return -2;
	struct verify_result r;
	int rc = log_verify(&n, NULL, &r, e);
	node_close(&n);
	return rc;
}

/* A changed column is reported naming the event and the column, for a clear event
 * (seq 0, node.created: checked on the calling thread) and a sealed one (seq 1, checked
 * by the worker); each change undone, the log verifies again. */
TEST(verify_names_a_changed_column_of_the_events_table)
{
	struct node n;
	struct writer *w;
	struct err e = ERR_INIT;
	uint64_t seq = 0;
	CHECK(start_node(&n, &w) == 0);
	CHECK_INT_EQ(writer_submit(w, app_note_fn, &seq, NULL, &e), 0);
	CHECK_INT_EQ(seq, 1);
	writer_stop(w);
	node_close(&n);
	CHECK_INT_EQ(verify_dir(&e), 0);
	static const struct {
		const char *tamper, *undo, *want;
	} cases[] = {
		{ "UPDATE events SET kind = 'application.approved' WHERE seq = 1",
		  "UPDATE events SET kind = 'operator.note' WHERE seq = 1",
		  "event 1: the events table's kind column differs from its signed envelope "
		  "(kind 'operator.note')" },
		{ "UPDATE events SET kind = CAST(kind AS BLOB) WHERE seq = 1",
		  "UPDATE events SET kind = CAST(kind AS TEXT) WHERE seq = 1",
		  "event 1: the events table's kind column" },
		{ "UPDATE events SET kind = 'operator.note' || char(0) WHERE seq = 1",
		  "UPDATE events SET kind = 'operator.note' WHERE seq = 1",
		  "event 1: the events table's kind column" },
		{ "UPDATE events SET subject = 'app:A0000002' WHERE seq = 1",
		  "UPDATE events SET subject = 'app:A0000001' WHERE seq = 1",
		  "event 1: the events table's subject column differs from its signed envelope "
		  "(subject 'app:A0000001')" },
		{ "UPDATE events SET subject = '' WHERE seq = 1",
		  "UPDATE events SET subject = 'app:A0000001' WHERE seq = 1",
		  "event 1: the events table's subject column" },
		{ "UPDATE events SET time_ms = time_ms - 1 WHERE seq = 1",
		  "UPDATE events SET time_ms = time_ms + 1 WHERE seq = 1",
		  "event 1: the events table's time_ms column" },
		{ "UPDATE events SET time_ms = 'x' || time_ms WHERE seq = 1",
		  "UPDATE events SET time_ms = CAST(substr(time_ms, 2) AS INTEGER) WHERE seq = 1",
		  "event 1: the events table's time_ms column" },
		{ "UPDATE events SET kind = 'operator.note' WHERE seq = 0",
		  "UPDATE events SET kind = 'node.created' WHERE seq = 0",
		  "event 0: the events table's kind column differs from its signed envelope "
		  "(kind 'node.created')" },
		{ "UPDATE events SET subject = 'app:A0000001' WHERE seq = 0",
		  "UPDATE events SET subject = '' WHERE seq = 0",
		  "event 0: the events table's subject column differs from its signed envelope "
		  "(subject '')" },
		{ "UPDATE events SET time_ms = time_ms + 1 WHERE seq = 0",
		  "UPDATE events SET time_ms = time_ms - 1 WHERE seq = 0",
		  "event 0: the events table's time_ms column" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK_INT_EQ(exec_on_db(cases[i].tamper), 0);
		err_clear(&e);
		int rc = verify_dir(&e);
		if (rc != -1 || e.code != ERR_VERIFY || !strstr(e.msg, cases[i].want))
			fprintf(stderr, "case %zu (%s): rc %d, code %d: %s\n", i, cases[i].tamper, rc,
				(int)e.code, e.msg);
		CHECK_INT_EQ(rc, -1);
		CHECK_INT_EQ(e.code, ERR_VERIFY);
		CHECK(strstr(e.msg, cases[i].want) != NULL);
		CHECK_INT_EQ(exec_on_db(cases[i].undo), 0);
		err_clear(&e);
		CHECK_INT_EQ(verify_dir(&e), 0);
	}
}
