/*
 * db — SQLite open and versioned migrations (see db.h).
 */
#include "log/db.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log/kinds.h"

/* Migration 1: the log itself (events, tiles, checkpoints, cosignatures), node settings
 * and the first projection tables. */
static const char migration_1[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY CHECK (seq >= 0),"
	"  time_ms INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  data BLOB NOT NULL);"
	"CREATE INDEX events_kind ON events (kind, seq);"
	"CREATE INDEX events_subject ON events (subject, seq);"
	"CREATE TABLE tiles ("
	"  level INTEGER NOT NULL, idx INTEGER NOT NULL, width INTEGER NOT NULL,"
	"  hashes BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;"
	"CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL);"
	"CREATE TABLE cosignatures ("
	"  size INTEGER NOT NULL REFERENCES checkpoints (size),"
	"  name TEXT NOT NULL, key_id INTEGER NOT NULL, line TEXT NOT NULL,"
	"  PRIMARY KEY (size, name, key_id)) WITHOUT ROWID;";

static int migrate_1(sqlite3 *db, struct err *e)
{
	if (db_exec(db, migration_1, e) < 0)
		return -1;
	return kinds_create_tables(db, e);
}

/* Migration 2: drop the events_kind index. Nothing reads events by kind (blob.stored
 * events are found through the blobs projection, verify streams every event), and it
 * cost one more B-tree insert per event in the writer's transaction. */
static int migrate_2(sqlite3 *db, struct err *e)
{
	return db_exec(db, "DROP INDEX IF EXISTS events_kind;", e);
}

static int (*const migrations[DB_SCHEMA_VERSION])(sqlite3 *, struct err *) = {
	migrate_1,
	migrate_2,
};

int db_error(sqlite3 *db, struct err *e, const char *what)
{
	return err_set(e, ERR_IO, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

int db_exec(sqlite3 *db, const char *sql, struct err *e)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(e, ERR_IO, "database: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct err *e)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return db_error(db, e, "database");
	}
	return 0;
}

/* ---- statement cache (db_cached) ---- */

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	sqlite3 *db;
	const char *sql;
	sqlite3_stmt *st;
} cache[DB_CACHE_MAX];
static size_t cache_n;

int db_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what, struct err *e)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		db_error(db, e, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int db_step_bytes(sqlite3 *db, sqlite3_stmt *st, int col, struct buf *out, const char *what,
		  struct err *e)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 1;
	if (rc != SQLITE_ROW)
		return db_error(db, e, what);
	if (buf_add(out, sqlite3_column_blob(st, col), (size_t)sqlite3_column_bytes(st, col)) < 0)
		return err_nomem(e);
	return 0;
}

int db_step_once(sqlite3 *db, sqlite3_stmt *st, const char *what, struct err *e)
{
	int rc = db_step_done(db, st, what, e);
	sqlite3_finalize(st);
	return rc;
}

void db_bind_str(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int prepare_bind(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct err *e,
			const char *binds, va_list ap)
{
	if (db_prepare(db, sql, st, e) < 0)
		return -1;
	for (int i = 0; binds[i]; i++)
		if (binds[i] == 's')
			db_bind_str(*st, i + 1, va_arg(ap, const char *));
		else
			sqlite3_bind_int64(*st, i + 1, (sqlite3_int64)va_arg(ap, int64_t));
	return 0;
}

int db_prepare_bind(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct err *e,
		    const char *binds, ...)
{
	va_list ap;
	va_start(ap, binds);
	int rc = prepare_bind(db, sql, st, e, binds, ap);
	va_end(ap);
	return rc;
}

int db_run(sqlite3 *db, const char *sql, const char *what, struct err *e, const char *binds,
	   ...)
{
	va_list ap;
	va_start(ap, binds);
	sqlite3_stmt *st;
	int rc = prepare_bind(db, sql, &st, e, binds, ap);
	va_end(ap);
	return rc < 0 ? -1 : db_step_once(db, st, what, e);
}

int db_row(sqlite3 *db, const char *sql, const char *what, sqlite3_stmt **st, struct err *e,
	   const char *binds, ...)
{
	va_list ap;
	va_start(ap, binds);
	int rc = prepare_bind(db, sql, st, e, binds, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	rc = sqlite3_step(*st);
	if (rc == SQLITE_ROW)
		return 1;
	int ret = rc == SQLITE_DONE ? 0 : db_error(db, e, what);
	sqlite3_finalize(*st);
	*st = NULL;
	return ret;
}

int db_row_texts(sqlite3 *db, const char *sql, const char *what, const char *key,
		 char *const *out, const size_t *size, int n, struct err *e)
{
	for (int i = 0; i < n; i++)
		if (out[i])
			out[i][0] = '\0';
	sqlite3_stmt *st;
	int r = db_row(db, sql, what, &st, e, "s", key);
	if (r != 1)
		return r;
	for (int i = 0; i < n; i++)
		if (out[i])
			db_copy_text(st, i, out[i], size[i]);
	sqlite3_finalize(st);
	return 1;
}

void db_copy_text(sqlite3_stmt *st, int col, char *out, size_t size)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	snprintf(out, size, "%s", s ? s : "");
}

int db_cached(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct err *e)
{
	*st = NULL;
	pthread_mutex_lock(&cache_mu);
	for (size_t i = 0; i < cache_n; i++)
		if (cache[i].db == db && cache[i].sql == sql) {
			*st = cache[i].st;
			break;
		}
	pthread_mutex_unlock(&cache_mu);
	if (*st) {
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
		return 0;
	}
	sqlite3_stmt *s;
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
		return db_error(db, e, "database");
	pthread_mutex_lock(&cache_mu);
	if (cache_n == DB_CACHE_MAX) {
		pthread_mutex_unlock(&cache_mu);
		sqlite3_finalize(s);
		return err_set(e, ERR_INTERNAL, "database: more than %d cached statements",
			       DB_CACHE_MAX);
	}
	cache[cache_n].db = db;
	cache[cache_n].sql = sql;
	cache[cache_n++].st = s;
	pthread_mutex_unlock(&cache_mu);
	*st = s;
	return 0;
}

/* Finalises db's cached statements. */
static void cache_drop(sqlite3 *db)
{
	pthread_mutex_lock(&cache_mu);
	for (size_t i = 0; i < cache_n;) {
		if (cache[i].db == db) {
			sqlite3_finalize(cache[i].st);
			cache[i] = cache[--cache_n];
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&cache_mu);
}

static int user_version(sqlite3 *db, int *v, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "PRAGMA user_version", &st, e) < 0)
		return -1;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return db_error(db, e, "database");
	}
	*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int migrate(sqlite3 *db, const char *path, struct err *e)
{
	int v;
	if (user_version(db, &v, e) < 0)
		return -1;
	if (v > DB_SCHEMA_VERSION)
		return err_set(e, ERR_INPUT,
			       "'%s' has schema version %d, newer than this paspor (%d): upgrade paspor",
			       path, v, DB_SCHEMA_VERSION);
	for (int i = v; i < DB_SCHEMA_VERSION; i++) {
		char set[64];
		snprintf(set, sizeof set, "PRAGMA user_version = %d", i + 1);
		if (db_exec(db, "BEGIN IMMEDIATE", e) < 0)
			return -1;
		/* re-read inside the transaction: another process may have migrated */
		int now;
		if (user_version(db, &now, e) < 0)
			goto fail;
		if (now > i) {
			db_exec(db, "COMMIT", e);
			continue;
		}
		if (migrations[i](db, e) < 0 || db_exec(db, set, e) < 0 ||
		    db_exec(db, "COMMIT", e) < 0)
			goto fail;
		continue;
fail:
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		err_prefix(e, "migration %d", i + 1);
		return -1;
	}
	return 0;
}

/* ---- fault-injection VFS (tests) ---- */

static atomic_long fault_write, fault_sync, fault_hits;
static atomic_int fault_used;
static sqlite3_vfs fault_vfs;
static pthread_once_t fault_once = PTHREAD_ONCE_INIT;

struct fault_file {
	sqlite3_file base;
	sqlite3_file *real;
};

#define REAL(f) (((struct fault_file *)(f))->real)

/* 1 when this call is the armed one */
static int fault_fire(atomic_long *counter)
{
	long v = atomic_load(counter);
	while (v > 0) {
		if (atomic_compare_exchange_weak(counter, &v, v - 1)) {
			if (v == 1) {
				atomic_fetch_add(&fault_hits, 1);
				return 1;
			}
			return 0;
		}
	}
	return 0;
}

static int f_close(sqlite3_file *f)
{
	return REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
}
static int f_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}
static int f_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	if (fault_fire(&fault_write))
		return SQLITE_FULL;
	return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int f_sync(sqlite3_file *f, int flags)
{
	if (fault_fire(&fault_sync))
		return SQLITE_IOERR_FSYNC;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int f_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int f_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}
static int f_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}
static int f_check(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int f_fcntl(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int f_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int f_caps(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int f_shm_map(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, pp);
}
static int f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void f_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int f_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

/* version 2: WAL needs the shared-memory methods; no memory-mapped I/O (version 3) */
static const sqlite3_io_methods fault_methods = {
	2, f_close, f_read, f_write, f_truncate, f_sync, f_size, f_lock, f_unlock, f_check,
	f_fcntl, f_sector, f_caps, f_shm_map, f_shm_lock, f_shm_barrier, f_shm_unmap,
	NULL, NULL,
};

static int fault_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
		      int *out_flags)
{
	sqlite3_vfs *real = vfs->pAppData;
	struct fault_file *ff = (struct fault_file *)f;
	ff->real = (sqlite3_file *)(ff + 1);
	ff->base.pMethods = NULL;
	int rc = real->xOpen(real, name, ff->real, flags, out_flags);
	if (ff->real->pMethods)
		ff->base.pMethods = &fault_methods;
	return rc;
}

static void fault_register(void)
{
	sqlite3_vfs *real = sqlite3_vfs_find(NULL);
	fault_vfs = *real;
	fault_vfs.iVersion = real->iVersion;
	fault_vfs.szOsFile = (int)sizeof(struct fault_file) + real->szOsFile;
	fault_vfs.zName = "paspor-fault";
	fault_vfs.pAppData = real;
	fault_vfs.xOpen = fault_open;
	fault_vfs.pNext = NULL;
	sqlite3_vfs_register(&fault_vfs, 0);
}

static atomic_long fault_sync_delay_ms, fault_syncs_delayed;

int db_fault_sync_fires(void)
{
	long ms = atomic_load(&fault_sync_delay_ms);
	if (ms > 0) {
		usleep((useconds_t)ms * 1000);
		atomic_fetch_add(&fault_syncs_delayed, 1);
	}
	return atomic_load(&fault_used) && fault_fire(&fault_sync);
}

void db_fault_delay_syncs(long ms)
{
	atomic_store(&fault_sync_delay_ms, ms);
}

long db_fault_syncs_delayed(void)
{
	return atomic_load(&fault_syncs_delayed);
}

void db_fault_arm(long nth_write, long nth_sync)
{
	pthread_once(&fault_once, fault_register);
	atomic_store(&fault_write, nth_write);
	atomic_store(&fault_sync, nth_sync);
	atomic_store(&fault_used, 1);
}

long db_fault_hits(void)
{
	return atomic_load(&fault_hits);
}

int db_open(const char *path, int flags, sqlite3 **out, struct err *e)
{
	*out = NULL;
	sqlite3 *db = NULL;
	int oflags = flags == DB_READONLY ? SQLITE_OPEN_READONLY
					  : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (flags == DB_READONLY && access(path, F_OK) != 0)
		return err_errno(e, ERR_IO, "cannot open '%s'", path);
	const char *vfs = atomic_load(&fault_used) ? "paspor-fault" : NULL;
	if (sqlite3_open_v2(path, &db, oflags | SQLITE_OPEN_NOMUTEX, vfs) != SQLITE_OK) {
		err_set(e, ERR_IO, "cannot open '%s': %s", path,
			db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 10000);
	sqlite3_extended_result_codes(db, 1);
	/* journal_mode answers with a row: a foreign or encrypted file fails here */
	const char *pragmas = flags == DB_READONLY
				      ? "PRAGMA foreign_keys = ON; SELECT count(*) FROM sqlite_master;"
				      : "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
					"PRAGMA foreign_keys = ON;";
	if (db_exec(db, pragmas, e) < 0)
		goto fail;
	if (flags == DB_READONLY) {
		int v;
		if (user_version(db, &v, e) < 0)
			goto fail;
		if (v < DB_READ_MIN_VERSION || v > DB_SCHEMA_VERSION) {
			err_set(e, ERR_INPUT, "schema version %d, this paspor reads %d to %d", v,
				DB_READ_MIN_VERSION, DB_SCHEMA_VERSION);
			goto fail;
		}
	} else if (migrate(db, path, e) < 0) {
		goto fail;
	} else if (db_exec(db, "BEGIN IMMEDIATE", e) < 0 || kinds_create_tables(db, e) < 0 ||
		   db_exec(db, "COMMIT", e) < 0) {
		/* the projection tables of kind sets added since the database was made
		 * (every CREATE is IF NOT EXISTS; no event of a new set can be in the log
		 * yet, so the new tables start empty and correct) */
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	*out = db;
	return 0;
fail:
	err_prefix(e, "'%s'", path);
	sqlite3_close(db);
	return -1;
}

void db_close(sqlite3 *db)
{
	if (db) {
		cache_drop(db);
		sqlite3_close(db);
	}
}
