/*
 * fixtures — test data and test nodes that several unit-test files need, made one way.
 *
 * test_jpeg: a synthetic w × h JPEG (no person in it) written by libjpeg into a
 * malloc'd buffer (free it with free()): a face-like oval on a gradient with noise, so
 * that it compresses like a photo rather than a flat image. components 3 (RGB) or 1
 * (grey); quality 1..100 as libjpeg's.
 */
#ifndef PASPOR_TESTS_FIXTURES_H
#define PASPOR_TESTS_FIXTURES_H

#include "log/keys.h"
#include "log/node.h"
#include "log/writer.h"

unsigned char *test_jpeg(unsigned w, unsigned h, int components, int quality,
			 unsigned long *len);

/*
 * test_node: a fresh office node in test_tmpdir()/node (KEK file beside it, origin
 * kanim-test.imigrasi.go.id), opened for writing with its writer started; the kind sets
 * the test needs must be registered first. test_node_start prints why on failure and
 * returns -1; test_node_stop stops the writer and closes the node.
 */
struct test_node {
	char dir[512], kek_path[512];
	struct kek_source kek;
	struct node node;
	struct writer *wr;
};

int test_node_start(struct test_node *t);
void test_node_stop(struct test_node *t);

/* SHA-256 over every row of every registered projection table (log/kinds.h), each
 * table's rows ordered by all its columns: equal digests mean equal tables (rebuild
 * tests). 0, or -1 when a table cannot be read. */
int test_projection_digest(sqlite3 *db, unsigned char out[32]);

/* The first column of the first row of sql as an int (a count), -1 on error. */
int test_count(sqlite3 *db, const char *sql);

#endif
