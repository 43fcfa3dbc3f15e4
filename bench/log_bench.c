/*
 * log_bench — durable appends through the group-commit writer, beside plain SQLite.
 *
 *   build/bench/log_bench [--events N] [--threads N] [--rounds N] [--dir TMPDIR]
 *                         [--bytes]
 *
 * In one run, on the same disk:
 *   1. plain SQLite, WAL + synchronous=FULL, one INSERT (300-byte blob) per transaction;
 *   2. the same, 64 INSERTs per transaction;
 *   3. Paspor's writer (log/writer.h) with 1, 8 and 64 threads (--threads N: N only, 1 to
 *      1024; more clients than 64 show how far the writer goes when the closed loop's
 *      latency is not the limit), each submitting
 *      requests of one operator.note event (~300-byte body, sealed) and waiting until
 *      it is durable; per-request latency p50/p99. Each client builds its body as a
 *      json_t and the request appends it with writer_txn_append_json, as the workflow
 *      does; --bytes hands canonical bytes to writer_txn_append instead (the CLI path).
 * "pages" is the WAL frames (database pages) written per COMMIT (sqlite3_wal_hook).
 * Aims (issue 3): at 64 writers ≥ 10× (1) and ≥ 50% of (2). The disk's fsync time moves
 * by a factor of two or more within minutes on a shared VM and both sides of each ratio
 * move with it, so --rounds N repeats the whole sequence N times and ends with each
 * round's ratios (a round's baselines and writers ran minutes apart at most) and their
 * medians.
 */
#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "log/keys.h"
#include "log/node.h"
#include "log/writer.h"
#include "util/alloc.h"
#include "util/err.h"

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "log_bench: %s: %s\n", what, e ? e->msg : "failed");
	exit(1);
}

/* WAL frames written by the commits of a connection (wal_hook), checkpointing as
 * SQLite's default hook does (PASSIVE at 1000 frames) */
struct wal_count {
	long long frames, commits;
	int last;
};

static int wal_count_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct wal_count *c = arg;
	c->frames += frames >= c->last ? frames - c->last : frames;
	c->last = frames;
	c->commits++;
	if (frames >= 1000)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

static double sqlite_baseline(const char *dir, int per_txn, int total, double *frames)
{
	char path[4200];
	snprintf(path, sizeof path, "%.4000s/baseline-%d.db", dir, per_txn);
	unlink(path);
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("sqlite open", NULL);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "CREATE TABLE t(id INTEGER PRIMARY KEY, data BLOB NOT NULL)",
		     NULL, NULL, NULL);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "INSERT INTO t(data) VALUES(?)", -1, &st, NULL);
	unsigned char blob[300];
	memset(blob, 'x', sizeof blob);
	struct wal_count wc = { 0 };
	sqlite3_wal_hook(db, wal_count_hook, &wc);
	double t0 = now_s();
	for (int i = 0; i < total; i += per_txn) {
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (int j = 0; j < per_txn && i + j < total; j++) {
			sqlite3_bind_blob(st, 1, blob, sizeof blob, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				die("sqlite insert", NULL);
			sqlite3_reset(st);
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			die("sqlite commit", NULL);
	}
	double rate = total / (now_s() - t0);
	*frames = wc.commits ? (double)wc.frames / (double)wc.commits : 0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	unlink(path);
	return rate;
}

struct job {
	struct writer *w;
	int count;
	double *lat; /* count latencies, seconds */
};

static char body[400];
static size_t body_len;

static int use_bytes; /* --bytes: hand the writer canonical bytes, not a json_t */

static int append_note(struct writer_txn *tx, void *arg, struct err *e)
{
	if (use_bytes)
		return writer_txn_append(tx, "officer:bench", "operator.note", 1, "bench",
					 (const uint8_t *)body, body_len, NULL, e);
	return writer_txn_append_json(tx, "officer:bench", "operator.note", 1, "bench", arg,
				      NULL, e);
}

static void *worker(void *arg)
{
	struct job *j = arg;
	for (int i = 0; i < j->count; i++) {
		struct err e = ERR_INIT;
		double t0 = now_s();
		/* as the node's callers do: the body built in code, on the client's thread */
		json_t *v = use_bytes ? NULL : json_pack("{s:s#}", "text", body + 9, body_len - 11);
		if (!use_bytes && !v)
			die("json_pack", NULL);
		if (writer_submit(j->w, append_note, v, NULL, &e) < 0)
			die("append", &e);
		json_decref(v);
		j->lat[i] = now_s() - t0;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double writer_run(const char *dir, const char *kek_file, int round, int threads,
			 int total, double *p50, double *p99, double *per_batch, double *frames)
{
	char data[4200];
	snprintf(data, sizeof data, "%.4000s/node-%d-%d", dir, round, threads);
	struct err e = ERR_INIT;
	struct kek_source kek = { .key_file = kek_file };
	if (node_create(data, "bench.paspor.test", "bench", &kek, &e) < 0)
		die("node create", &e);
	struct node n;
	struct node_opts o = { .kek = &kek };
	if (node_open(&n, data, &o, &e) < 0)
		die("node open", &e);
	struct writer *w;
	if (writer_start(&w, &n, &e) < 0)
		die("writer start", &e);

	int per = total / threads;
	pthread_t *tid = calloc((size_t)threads, sizeof *tid);
	struct job *jobs = calloc((size_t)threads, sizeof *jobs);
	double *lat = calloc((size_t)per * (size_t)threads, sizeof *lat);
	double t0 = now_s(), c0 = cpu_s();
	for (int i = 0; i < threads; i++) {
		jobs[i] = (struct job){ w, per, lat + (size_t)i * (size_t)per };
		pthread_create(&tid[i], NULL, worker, &jobs[i]);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	double wall = now_s() - t0, cpu = cpu_s() - c0;
	double rate = per * threads / wall;
	struct writer_stats ws;
	writer_get_stats(w, &ws);
	*per_batch = ws.batches ? (double)ws.requests / (double)ws.batches : 0;
	*frames = ws.batches ? (double)ws.wal_frames / (double)ws.batches : 0;
	if (ws.batches) {
		double b = (double)ws.batches;
		fprintf(stderr, "  (%d writers: writer thread per batch, us: gather %.0f, requests"
			" %.0f (%.1f per request), tiles+sign %.0f, commit %.0f; syncer: %lu"
			" fdatasyncs of %.0f us, %.1f batches each, file+acks %.0f us per batch;"
			" %.1f pages per commit, %lu WAL checkpoints on the writer thread taking"
			" %.1f ms, %lu on the checkpointer taking %.1f ms)\n",
			threads, (double)ws.gather_us / b, (double)ws.requests_us / b,
			(double)ws.requests_us / (double)ws.requests, (double)ws.sign_us / b,
			(double)ws.commit_us / b, ws.syncs,
			ws.syncs ? (double)ws.sync_us / (double)ws.syncs : 0.0,
			ws.syncs ? b / (double)ws.syncs : 0.0, (double)ws.ack_us / b,
			(double)ws.wal_frames / b, ws.wal_checkpoints,
			(double)ws.wal_checkpoint_us / 1e3, ws.bg_checkpoints,
			(double)ws.bg_checkpoint_us / 1e3);
		fprintf(stderr, "  (%d writers: process CPU %.1f us per append, %.2f cores busy;"
			" writer thread CPU %.1f us per append, busy %.0f%% of the run)\n",
			threads, cpu / (per * threads) * 1e6, cpu / wall,
			(double)ws.writer_cpu_us / (per * threads), (double)ws.writer_cpu_us / 1e4 / wall);
	}
	writer_stop(w);
	node_close(&n);
	size_t m = (size_t)per * (size_t)threads;
	qsort(lat, m, sizeof *lat, cmp_double);
	*p50 = lat[m / 2];
	*p99 = lat[m * 99 / 100];
	free(tid);
	free(jobs);
	free(lat);
	return rate;
}

int main(int argc, char **argv)
{
	int events = 4096, only = 0, rounds = 1;
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--events") && i + 1 < argc)
			events = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			only = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			base = argv[++i];
		else if (!strcmp(argv[i], "--bytes"))
			use_bytes = 1;
		else {
			fprintf(stderr, "usage: log_bench [--events N] [--threads N] [--rounds N]"
				" [--dir TMPDIR] [--bytes]\n");
			return 2;
		}
	}
	if (events < 64 || rounds < 1 || rounds > 100 || only < 0 || only > 1024) {
		fprintf(stderr, "log_bench: --events must be at least 64, --rounds 1 to 100, "
			"--threads 1 to 1024\n");
		return 2;
	}
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/paspor-log-bench-XXXXXX", base);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* a ~300-byte canonical body */
	body_len = (size_t)snprintf(body, sizeof body, "{\"text\":\"%0280d\"}", 0);
	for (size_t i = 9; i < body_len - 2; i++)
		body[i] = (char)('a' + i % 26);

	char kek[4200];
	snprintf(kek, sizeof kek, "%.4000s/kek", dir);
	struct err e = ERR_INIT;
	if (keys_make_kek_file(kek, &e) < 0)
		die("kek", &e);

	int base_n = events / 4 < 256 ? 256 : events / 4;
	double *x1 = calloc((size_t)rounds, sizeof *x1), *x64 = calloc((size_t)rounds, sizeof *x64);
	if (!x1 || !x64)
		die("out of memory", NULL);
	int target = only ? only : 64; /* the writer count the ratios are for */
	int ratios = target > 1; /* print the aims' ratios (not for 1 writer alone) */
	printf("durable appends, %d events of ~300 bytes, folder %s\n", events, dir);
	for (int round = 0; round < rounds; round++) {
		double f1, f64;
		double one = sqlite_baseline(dir, 1, base_n, &f1);
		double b64 = sqlite_baseline(dir, 64, events, &f64);
		if (rounds > 1)
			printf("round %d of %d\n", round + 1, rounds);
		printf("%-44s %12s %10s %10s %10s %8s\n", "", "appends/s", "p50 ms", "p99 ms",
		       "per txn", "pages");
		printf("%-44s %12.0f %10s %10s %10s %8.1f\n",
		       "sqlite WAL+FULL, 1 INSERT per transaction", one, "", "", "", f1);
		printf("%-44s %12.0f %10s %10s %10s %8.1f\n",
		       "sqlite WAL+FULL, 64 INSERTs per transaction", b64, "", "", "", f64);
		double at_target = 0;
		int counts[] = { 1, 8, 64 }, ncounts = 3;
		if (only) {
			counts[0] = only;
			ncounts = 1;
		}
		for (int k = 0; k < ncounts; k++) {
			double p50, p99, per_batch, frames;
			int total = counts[k] == 1 ? base_n : events;
			double r = writer_run(dir, kek, round, counts[k], total - total % counts[k],
					      &p50, &p99, &per_batch, &frames);
			char label[64];
			snprintf(label, sizeof label, "paspor writer, %d concurrent writer%s",
				 counts[k], counts[k] == 1 ? "" : "s");
			printf("%-44s %12.0f %10.2f %10.2f %10.1f %8.1f\n", label, r, p50 * 1e3,
			       p99 * 1e3, per_batch, frames);
			if (counts[k] == target)
				at_target = r;
		}
		x1[round] = at_target / one;
		x64[round] = 100.0 * at_target / b64;
		if (ratios)
			printf("%d writers vs 1 INSERT/txn: %.1fx (aim at 64 writers >= 10x); vs 64 "
			       "INSERTs/txn: %.0f%% (aim at 64 writers >= 50%%)\n", target, x1[round],
			       x64[round]);
		fflush(stdout);
	}
	if (ratios && rounds > 1) {
		int met1 = 0, met64 = 0;
		printf("rounds' ratios at %d writers, vs 1 INSERT/txn:", target);
		for (int i = 0; i < rounds; i++) {
			printf(" %.1fx", x1[i]);
			met1 += x1[i] >= 10;
		}
		printf("; vs 64 INSERTs/txn:");
		for (int i = 0; i < rounds; i++) {
			printf(" %.0f%%", x64[i]);
			met64 += x64[i] >= 50;
		}
		qsort(x1, (size_t)rounds, sizeof *x1, cmp_double);
		qsort(x64, (size_t)rounds, sizeof *x64, cmp_double);
		/* the median (of an even count, the mean of the middle two) */
		double m1 = (x1[(rounds - 1) / 2] + x1[rounds / 2]) / 2;
		double m64 = (x64[(rounds - 1) / 2] + x64[rounds / 2]) / 2;
		printf("\nmedians: %.1fx (aim >= 10x, met in %d of %d rounds), %.0f%% (aim >= 50%%, "
		       "met in %d of %d rounds)\n", m1, met1, rounds, m64, met64, rounds);
	}
	free(x1);
	free(x64);
	char cmd[4300];
	snprintf(cmd, sizeof cmd, "rm -rf '%.4000s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
