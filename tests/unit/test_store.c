/*
 * Tests of log/db and log/store: migrations, the SQLite tile store (checked against the
 * memory store of log/tiles and the naive hashes of the known RFC 6962 tree), streaming
 * cursors and checkpoints; kinds_delete_rows (rebuild's emptying in steps).
 */
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "harness.h"
#include "log/db.h"
#include "log/kinds.h"
#include "log/merkle.h"
#include "log/store.h"
#include "log/tiles.h"
#include "util/alloc.h"
#include "util/fs.h"

static sqlite3 *open_db(const char *name)
{
	char *p = fs_join(test_tmpdir(), name);
	sqlite3 *db = NULL;
	struct err e = ERR_INIT;
	if (db_open(p, DB_READWRITE, &db, &e) < 0)
		fprintf(stderr, "db_open: %s\n", e.msg);
	mem_free(p);
	return db;
}

static int user_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

TEST(db_migrates_once_and_refuses_newer_schema)
{
	sqlite3 *db = open_db("a.db");
	CHECK(db);
	CHECK_INT_EQ(user_version(db), DB_SCHEMA_VERSION);
	CHECK(sqlite3_exec(db, "INSERT INTO meta VALUES ('k', 'v')", NULL, NULL, NULL) == SQLITE_OK);
	db_close(db);
	db = open_db("a.db"); /* reopening keeps the data: no migration runs again */
	CHECK(db);
	struct store s;
	struct err e = ERR_INIT;
	CHECK(store_init(&s, db, &e) == 0);
	struct buf b;
	buf_init(&b, 64);
	CHECK_INT_EQ(store_meta_get(&s, "k", &b, &e), 0);
	CHECK_STR_EQ(buf_str(&b), "v");
	buf_release(&b);
	store_release(&s);
	CHECK(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL) == SQLITE_OK);
	db_close(db);
	char *p = fs_join(test_tmpdir(), "a.db");
	CHECK(db_open(p, DB_READWRITE, &db, &e) < 0);
	CHECK(strstr(e.msg, "newer") != NULL);
	mem_free(p);
}

TEST(db_readonly_refuses_missing_and_foreign_files)
{
	struct err e = ERR_INIT;
	sqlite3 *db;
	char *p = fs_join(test_tmpdir(), "missing.db");
	CHECK(db_open(p, DB_READONLY, &db, &e) < 0);
	mem_free(p);
	p = fs_join(test_tmpdir(), "junk.db");
	CHECK(fs_write_atomic(p, "this is not a database, it is just some text......", 50, 0600, &e) == 0);
	err_clear(&e);
	CHECK(db_open(p, DB_READONLY, &db, &e) < 0);
	CHECK(strstr(e.msg, "not a database") != NULL);
	mem_free(p);
}

/* The SQLite tile store gives the same roots and proofs as the memory store, for a
 * tree spanning two tile levels, appended in uneven batches. */
TEST(store_tiles_match_memory_store)
{
	sqlite3 *db = open_db("t.db");
	CHECK(db);
	struct store s;
	struct err e = ERR_INIT;
	CHECK(store_init(&s, db, &e) == 0);
	struct tile_store sq = store_tiles(&s);
	struct tile_memstore *m = tile_memstore_new();
	CHECK(m);
	struct tile_store ms = tile_memstore_store(m);
	struct tlog a, b;
	CHECK(tlog_open(&a, &sq, 0, &e) == 0);
	CHECK(tlog_open(&b, &ms, 0, &e) == 0);
	CHECK(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK);
	enum { N = 70000 };
	uint8_t *leaves = mem_alloc((size_t)N * MERKLE_HASH_LEN);
	CHECK(leaves);
	for (uint32_t i = 0; i < N; i++) {
		uint8_t x[4] = { (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		CHECK(merkle_leaf_hash(x, 4, leaves + (size_t)i * MERKLE_HASH_LEN, &e) == 0);
	}
	size_t done = 0, step = 1;
	while (done < N) {
		size_t k = step < N - done ? step : N - done;
		CHECK(tlog_append(&a, leaves + done * MERKLE_HASH_LEN, k, &e) == 0);
		CHECK(tlog_append(&b, leaves + done * MERKLE_HASH_LEN, k, &e) == 0);
		done += k;
		step = step * 3 + 1;
	}
	CHECK(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	mem_free(leaves);
	tlog_release(&a);
	CHECK(tlog_open(&a, &sq, N, &e) == 0); /* reopened from the database */
	uint64_t sizes[] = { 1, 255, 256, 257, 65536, 65537, 69999, N };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint8_t r1[32], r2[32];
		CHECK(tlog_root(&a, sizes[i], r1, &e) == 0);
		CHECK(tlog_root(&b, sizes[i], r2, &e) == 0);
		CHECK_MEM_EQ(r1, r2, 32);
		struct merkle_proof p1, p2;
		CHECK(tlog_inclusion_proof(&a, sizes[i] / 2, sizes[i], &p1, &e) == 0);
		CHECK(tlog_inclusion_proof(&b, sizes[i] / 2, sizes[i], &p2, &e) == 0);
		CHECK_INT_EQ(p1.n, p2.n);
		CHECK_MEM_EQ(p1.hash, p2.hash, p1.n * 32);
	}
	/* every stored tile has the width the memory store has */
	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(db, "SELECT level, idx, width FROM tiles", -1, &st, NULL) == SQLITE_OK);
	int rows = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		rows++;
		if ((unsigned)sqlite3_column_int(st, 2) !=
		    tile_memstore_width(m, (unsigned)sqlite3_column_int(st, 0),
					(uint64_t)sqlite3_column_int64(st, 1))) {
			sqlite3_finalize(st);
			CHECK(!"tile width differs from the memory store");
		}
	}
	sqlite3_finalize(st);
	CHECK(rows > 270);
	tlog_release(&a);
	tlog_release(&b);
	tile_memstore_free(m);
	store_release(&s);
	db_close(db);
}

TEST(store_tile_never_narrows_and_reads_check_width)
{
	sqlite3 *db = open_db("w.db");
	CHECK(db);
	struct store s;
	struct err e = ERR_INIT;
	CHECK(store_init(&s, db, &e) == 0);
	struct tile_store t = store_tiles(&s);
	uint8_t h[3 * 32], out[3 * 32];
	memset(h, 0xab, sizeof h);
	CHECK(t.write(t.ctx, 0, 7, 3, h, &e) == 0);
	uint8_t h2[32];
	memset(h2, 0xcd, sizeof h2);
	CHECK(t.write(t.ctx, 0, 7, 1, h2, &e) == 0); /* narrower: ignored */
	CHECK(t.read(t.ctx, 0, 7, 3, out, &e) == 0);
	CHECK_MEM_EQ(out, h, sizeof h);
	CHECK(t.read(t.ctx, 0, 7, 4, out, &e) < 0);
	CHECK_INT_EQ(e.code, ERR_IO);
	err_clear(&e);
	CHECK(t.read(t.ctx, 1, 0, 1, out, &e) < 0);
	CHECK(strstr(e.msg, "missing") != NULL);
	store_release(&s);
	db_close(db);
}

TEST(store_events_stream_in_order_and_checkpoints)
{
	sqlite3 *db = open_db("e.db");
	CHECK(db);
	struct store s;
	struct err e = ERR_INIT;
	CHECK(store_init(&s, db, &e) == 0);
	uint64_t size;
	int64_t t;
	CHECK(store_size(&s, &size, &t, &e) == 0);
	CHECK_INT_EQ(size, 0);
	for (int i = 9; i >= 0; i--) { /* inserted out of order, read in order */
		char d[16];
		snprintf(d, sizeof d, "event %d", i);
		CHECK(store_event_put(&s, (uint64_t)i, 1000 + i, "x.y", "", (const uint8_t *)d,
				      strlen(d), &e) == 0);
	}
	CHECK(store_event_put(&s, 3, 0, "x.y", "", (const uint8_t *)"dup", 3, &e) < 0);
	err_clear(&e);
	CHECK(store_size(&s, &size, &t, &e) == 0);
	CHECK_INT_EQ(size, 10);
	CHECK_INT_EQ(t, 1009);
	struct store_cursor c;
	CHECK(store_events_open(&s, 4, &c, &e) == 0);
	uint64_t key, want = 4;
	const uint8_t *d;
	size_t len;
	int r;
	while ((r = store_cursor_next(&c, &key, &d, &len, &e)) == 1) {
		char expect[16];
		snprintf(expect, sizeof expect, "event %d", (int)want);
		if (key != want || len != strlen(expect) || memcmp(d, expect, len) != 0)
			break;
		want++;
	}
	store_cursor_close(&c);
	CHECK_INT_EQ(r, 0);
	CHECK_INT_EQ(want, 10);
	struct buf b;
	buf_init(&b, 1024);
	CHECK_INT_EQ(store_checkpoint_latest(&s, &b, &size, &e), 1);
	CHECK(store_checkpoint_put(&s, 5, "five\n", 5, &e) == 0);
	CHECK(store_checkpoint_put(&s, 10, "ten\n", 4, &e) == 0);
	CHECK_INT_EQ(store_checkpoint_latest(&s, &b, &size, &e), 0);
	CHECK_INT_EQ(size, 10);
	CHECK_STR_EQ(buf_str(&b), "ten\n");
	CHECK(store_cosignature_add(&s, 10, "witness", 0x1234, "— witness AAAA", &e) == 0);
	CHECK(store_cosignature_add(&s, 10, "witness", 0x1234, "— witness AAAA", &e) == 0);
	CHECK(store_cosignature_add(&s, 11, "witness", 0x1234, "— witness AAAA", &e) < 0); /* no such checkpoint */
	buf_release(&b);
	store_release(&s);
	db_close(db);
}

/* Tables keyed by a rowid alias, by a TEXT key holding NULLs in 5 rows (a rowid table
 * all the same), and WITHOUT ROWID with a two-column key: 20 rows go 7, 7, 6, and
 * *left says when none may remain. */
TEST(kinds_delete_rows_empties_any_table_in_steps)
{
	sqlite3 *db = open_db("del.db");
	CHECK(db != NULL);
	struct err e = ERR_INIT;
	CHECK(db_exec(db, "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);"
			  "CREATE TABLE b (v TEXT PRIMARY KEY, w INTEGER);"
			  "CREATE TABLE \"c d\" (x TEXT, y INTEGER, z TEXT, PRIMARY KEY (y, x))"
			  " WITHOUT ROWID;"
			  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)"
			  " INSERT INTO a SELECT i, 'v' || i FROM n;"
			  "INSERT INTO b SELECT CASE WHEN id % 4 THEN v END, id FROM a;"
			  "INSERT INTO \"c d\" SELECT 'x' || (id % 3), id, v FROM a;", &e) == 0);
	const char *tables[] = { "a", "b", "c d" };
	for (int t = 0; t < 3; t++) {
		char count[64];
		snprintf(count, sizeof count, "SELECT count(*) FROM \"%s\"", tables[t]);
		int left = -1, expect[] = { 13, 6, 0 };
		for (int step = 0; step < 3; step++) {
			CHECK(kinds_delete_rows(db, tables[t], 7, &left, &e) == 0);
			CHECK_INT_EQ(test_count(db, count), expect[step]);
			CHECK_INT_EQ(left, step < 2);
		}
	}
	/* a table that does not exist: nothing to do */
	int left = -1;
	CHECK(kinds_delete_rows(db, "nowhere", 7, &left, &e) == 0);
	CHECK_INT_EQ(left, 0);
	db_close(db);
}
