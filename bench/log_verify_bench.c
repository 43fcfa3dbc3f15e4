/*
 * log_verify_bench — `log verify` and proof generation on a large log.
 *
 *   build/bench/log_verify_bench --events N --data DIR [--proofs N]
 *
 * Makes a node in DIR (unless DIR already holds one of N events: then it is reused)
 * holding N operator.note events with ~300-byte bodies, appended through the writer in
 * requests of 4096 events (the KEK goes to DIR.kek). Then, on the node opened read-only
 * as `paspor log verify` opens it:
 *   1. log_verify over the whole log (the library; bench/run.sh also times the command):
 *      events per second;
 *   2. inclusion proofs of random leaves at the full size, and consistency proofs between
 *      random sizes, generated from the SQLite tile store (tlog_*): proofs per second and
 *      tile reads per proof. The first proofs of each kind are checked with
 *      merkle_verify_* against the tree's roots.
 * DIR is kept, so that bench/run.sh can time `paspor log verify --data DIR` and measure
 * its memory. Wall-clock times.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log/keys.h"
#include "log/node.h"
#include "log/verify.h"
#include "log/writer.h"
#include "util/err.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "log_verify_bench: %s: %s\n", what, e ? e->msg : "failed");
	exit(1);
}

static char body[400];
static size_t body_len;

struct fill {
	uint64_t count;
};

static int append_many(struct writer_txn *tx, void *arg, struct err *e)
{
	struct fill *f = arg;
	for (uint64_t i = 0; i < f->count; i++)
		if (writer_txn_append(tx, "officer:bench", "operator.note", 1, "bench",
				      (const uint8_t *)body, body_len, NULL, e) < 0)
			return -1;
	return 0;
}

static void make_log(const char *dir, const char *kek_path, uint64_t events)
{
	struct err e = ERR_INIT;
	struct kek_source kek = { .key_file = kek_path };
	if (keys_make_kek_file(kek_path, &e) < 0)
		die("kek", &e);
	if (node_create(dir, "bench.paspor.test", "bench", &kek, &e) < 0)
		die("node create", &e);
	struct node n;
	struct node_opts o = { .kek = &kek };
	if (node_open(&n, dir, &o, &e) < 0)
		die("node open", &e);
	struct writer *w;
	if (writer_start(&w, &n, &e) < 0)
		die("writer start", &e);
	double t0 = now_s();
	uint64_t have = 1; /* node.created */
	while (have < events) {
		struct fill f = { events - have < 4096 ? events - have : 4096 };
		if (writer_submit(w, append_many, &f, NULL, &e) < 0)
			die("append", &e);
		have += f.count;
		if (have % (1 << 18) < 4096)
			fprintf(stderr, "\rmaking the log: %" PRIu64 " of %" PRIu64 " events", have,
				events);
	}
	double t = now_s() - t0;
	writer_stop(w);
	node_close(&n);
	fprintf(stderr, "\rmade %" PRIu64 " events in %.1f s (%.0f events/s, requests of 4096 "
		"events)\n", events, t, (double)(events - 1) / t);
}

static uint64_t rnd_state = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

int main(int argc, char **argv)
{
	uint64_t events = 1000000;
	long proofs = 20000;
	const char *dir = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--events") && i + 1 < argc)
			events = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--data") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--proofs") && i + 1 < argc)
			proofs = atol(argv[++i]);
		else
			dir = NULL, i = argc;
	}
	if (!dir || events < 2 || proofs < 1) {
		fprintf(stderr, "usage: log_verify_bench --events N --data DIR [--proofs N]\n");
		return 2;
	}
	/* a ~300-byte canonical body, as in log_bench */
	body_len = (size_t)snprintf(body, sizeof body, "{\"text\":\"%0280d\"}", 0);
	for (size_t i = 9; i < body_len - 2; i++)
		body[i] = (char)('a' + i % 26);

	struct err e = ERR_INIT;
	struct node n;
	struct stat sb;
	if (stat(dir, &sb) == 0) {
		if (node_open(&n, dir, NULL, &e) < 0)
			die(dir, &e);
		uint64_t size = n.size;
		node_close(&n);
		if (size != events) {
			fprintf(stderr, "log_verify_bench: %s holds %" PRIu64 " events, not %" PRIu64
				": remove it or choose another folder\n", dir, size, events);
			return 1;
		}
	} else {
		char kek[4200];
		snprintf(kek, sizeof kek, "%.4000s.kek", dir);
		make_log(dir, kek, events);
	}

	if (node_open(&n, dir, NULL, &e) < 0)
		die(dir, &e);
	/* 1. log verify */
	double t0 = now_s();
	struct verify_result vr;
	if (log_verify(&n, NULL, &vr, &e) < 0)
		die("verify", &e);
	double tv = now_s() - t0;
	printf("log_verify (library), %" PRIu64 " events, %" PRIu64 " checkpoints: %.2f s, "
	       "%.0f events/s\n", vr.events, vr.checkpoints, tv, (double)vr.events / tv);

	/* 2. proofs at the full size and between random sizes */
	uint64_t size = n.size;
	uint8_t root[MERKLE_HASH_LEN];
	if (tlog_root(&n.tlog, size, root, &e) < 0)
		die("root", &e);
	struct merkle_proof p;
	unsigned long reads0 = n.tlog.reads;
	t0 = now_s();
	for (long i = 0; i < proofs; i++) {
		uint64_t idx = rnd() % size;
		if (tlog_inclusion_proof(&n.tlog, idx, size, &p, &e) < 0)
			die("inclusion proof", &e);
		if (i < 16) {
			uint8_t leaf[MERKLE_HASH_LEN];
			struct merkle_proof_storage ps;
			struct merkle_proof_view pv;
			merkle_proof_view_of(&p, &ps, &pv);
			if (tlog_node_hash(&n.tlog, 0, idx, leaf, &e) < 0 ||
			    merkle_verify_inclusion(idx, size, leaf, sizeof leaf, &pv, root,
						    sizeof root, &e) < 0)
				die("inclusion proof check", &e);
		}
	}
	double ti = now_s() - t0;
	double reads_i = (double)(n.tlog.reads - reads0) / (double)proofs;
	reads0 = n.tlog.reads;
	t0 = now_s();
	for (long i = 0; i < proofs; i++) {
		uint64_t a = 1 + rnd() % size, b = 1 + rnd() % size;
		uint64_t s1 = a < b ? a : b, s2 = a < b ? b : a;
		if (tlog_consistency_proof(&n.tlog, s1, s2, &p, &e) < 0)
			die("consistency proof", &e);
		if (i < 16) {
			uint8_t r1[MERKLE_HASH_LEN], r2[MERKLE_HASH_LEN];
			struct merkle_proof_storage ps;
			struct merkle_proof_view pv;
			merkle_proof_view_of(&p, &ps, &pv);
			if (tlog_root(&n.tlog, s1, r1, &e) < 0 || tlog_root(&n.tlog, s2, r2, &e) < 0 ||
			    merkle_verify_consistency(s1, s2, r1, sizeof r1, r2, sizeof r2, &pv,
						      &e) < 0)
				die("consistency proof check", &e);
		}
	}
	double tc = now_s() - t0;
	double reads_c = (double)(n.tlog.reads - reads0) / (double)proofs;
	printf("inclusion proofs at size %" PRIu64 ", random leaves: %.0f proofs/s, %.1f tile "
	       "reads per proof\n", size, (double)proofs / ti, reads_i);
	printf("consistency proofs between random sizes: %.0f proofs/s, %.1f tile reads per "
	       "proof\n", (double)proofs / tc, reads_c);
	node_close(&n);
	return 0;
}
