/*
 * Tests of writer_txn_put_blob (log/writer.h): a blob put by a request that is then
 * refused leaves an unreferenced file and no event (the orphan a crash before COMMIT
 * leaves); `log verify` ignores it; the next put of the same content adopts that file
 * and logs it once; a second put in the same request appends nothing.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "log/blobs.h"
#include "log/node.h"
#include "log/verify.h"
#include "log/writer.h"
#include "util/alloc.h"
#include "util/fs.h"

static const char content[] = "face photo bytes (test)";

struct put_arg {
	int refuse;  /* 1: fail the request after the put */
	int twice;   /* 1: put the same content twice in the request */
	struct blob_ref ref, ref2;
};

static int put_fn(struct writer_txn *tx, void *arg, struct err *e)
{
	struct put_arg *a = arg;
	if (writer_txn_put_blob(tx, content, sizeof content - 1, &a->ref, e) < 0)
		return -1;
	if (a->twice && writer_txn_put_blob(tx, content, sizeof content - 1, &a->ref2, e) < 0)
		return -1;
	if (a->refuse)
		return err_set(e, ERR_INPUT, "refused on purpose");
	return 0;
}

TEST(writer_put_blob_orphan_is_ignored_then_adopted)
{
	struct err e = ERR_INIT;
	char dir[512], kek_path[512];
	snprintf(dir, sizeof dir, "%s/node", test_tmpdir());
	snprintf(kek_path, sizeof kek_path, "%s/kek", test_tmpdir());
	struct kek_source kek = { 0 };
	kek.key_file = kek_path;
	CHECK(keys_make_kek_file(kek_path, &e) == 0);
	CHECK(node_create(dir, "blobs.test", NULL, &kek, &e) == 0);

	struct node n;
	struct node_opts o = { .kek = &kek };
	CHECK(node_open(&n, dir, &o, &e) == 0);
	struct writer *w = NULL;
	CHECK(writer_start(&w, &n, &e) == 0);
	struct put_arg a = { .refuse = 1 };
	struct writer_result res;
	CHECK(writer_submit(w, put_fn, &a, &res, &e) < 0);
	CHECK_STR_EQ(e.msg, "refused on purpose");
	CHECK_INT_EQ(res.count, 0);
	writer_stop(w);

	/* the file is there, unreferenced; verify passes and counts no blob */
	char *blobs = fs_join(dir, "blobs");
	CHECK(blobs != NULL);
	char *path = blobs_path(blobs, a.ref.name);
	struct stat st;
	int there = path && stat(path, &st) == 0;
	mem_free(path);
	if (!there)
		mem_free(blobs);
	CHECK(there);
	struct verify_result vr;
	err_clear(&e);
	int vrc = log_verify(&n, NULL, &vr, &e);
	if (vrc < 0)
		mem_free(blobs);
	CHECK(vrc == 0);
	CHECK_INT_EQ(vr.blobs, 0);
	CHECK_INT_EQ(vr.events, 1);

	/* a retry adopts it: same ref, one blob.stored; a second put in a request adds none */
	struct put_arg b = { .twice = 1 };
	CHECK(writer_start(&w, &n, &e) == 0);
	int rc = writer_submit(w, put_fn, &b, &res, &e);
	writer_stop(w);
	mem_free(blobs);
	CHECK(rc == 0);
	CHECK_INT_EQ(res.count, 1);
	CHECK_STR_EQ(b.ref.name, a.ref.name);
	CHECK_MEM_EQ(b.ref.sha256, a.ref.sha256, 32);
	CHECK_MEM_EQ(b.ref2.sha256, a.ref.sha256, 32);
	CHECK_INT_EQ(b.ref.size, sizeof content - 1 + BLOBS_OVERHEAD);
	CHECK(log_verify(&n, NULL, &vr, &e) == 0);
	CHECK_INT_EQ(vr.blobs, 1);
	CHECK_INT_EQ(vr.events, 2);
	node_close(&n);
}
