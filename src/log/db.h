/*
 * db — the office node's SQLite database (paspor.db): opening it the one way Paspor
 * does, and its versioned schema migrations.
 *
 * db_open opens (or creates) the file, sets journal_mode=WAL, synchronous=FULL (a commit
 * is durable when it returns; log/writer.c runs its connection at NORMAL and syncs the
 * WAL itself before acknowledging), foreign_keys=ON and a busy timeout, then brings the schema
 * up to DB_SCHEMA_VERSION: migration i (1-based) runs when PRAGMA user_version < i,
 * inside its own transaction that also sets user_version = i, so a crash leaves the
 * database at one version or the next, never between. A database newer than this
 * binary (user_version > DB_SCHEMA_VERSION) is refused. With DB_READONLY nothing is
 * created or migrated (for `paspor log verify`): the file must exist and be at a version
 * from DB_READ_MIN_VERSION to this binary's (a migration that changes what readers read
 * raises DB_READ_MIN_VERSION).
 *
 * Migrations are an append-only list in db.c: a released migration is never edited,
 * a change is a new one. Projection tables (state derived from the log) are created
 * from the event-kind registry (log/kinds.h) by the migration that introduces them,
 * and can always be dropped and rebuilt from the log (`paspor rebuild`).
 *
 * Ownership: *out is the caller's; close it with db_close. Errors: ERR_IO with SQLite's
 * message naming the file ("file is not a database" for an encrypted or foreign file),
 * ERR_INPUT for a schema newer than this binary.
 */
#ifndef PASPOR_LOG_DB_H
#define PASPOR_LOG_DB_H

#include <sqlite3.h>

#include "util/buf.h"
#include "util/err.h"

#define DB_SCHEMA_VERSION 2
/* Read-only opens accept this version and later: migration 2 only dropped an index. */
#define DB_READ_MIN_VERSION 1

enum { DB_READWRITE = 0, DB_READONLY = 1 };

int db_open(const char *path, int flags, sqlite3 **out, struct err *e);
void db_close(sqlite3 *db);

/* Runs sql (one or more statements without results); ERR_IO with SQLite's message. */
int db_exec(sqlite3 *db, const char *sql, struct err *e);
/* Fills e from the connection's last error: "<what>: <sqlite message>" (ERR_IO). */
int db_error(sqlite3 *db, struct err *e, const char *what);
/* Steps st, a statement that returns no row (INSERT, UPDATE, DELETE), then resets it and
 * clears its bindings (for a cached or kept statement): 0, or -1 with e "<what>: <SQLite's
 * message>" (ERR_IO). */
int db_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what, struct err *e);
/* Steps st once for a query of one row: on a row appends the bytes of its column col (a
 * BLOB, or a TEXT's UTF-8) to out and returns 0 (the row's other columns stay readable until the caller resets or
 * finalises st); 1 when there is no row; -1 with e ERR_NOMEM, or "<what>: <SQLite's
 * message>" (ERR_IO). The caller finalises or resets st. */
int db_step_bytes(sqlite3 *db, sqlite3_stmt *st, int col, struct buf *out, const char *what,
		  struct err *e);
/* db_step_done for a statement from db_prepare (used once): steps it, then finalizes it
 * whatever the outcome. */
int db_step_once(sqlite3 *db, sqlite3_stmt *st, const char *what, struct err *e);
/* Binds text s to parameter i (SQLITE_TRANSIENT); NULL binds SQL NULL. */
void db_bind_str(sqlite3_stmt *st, int i, const char *s);
/* Prepares sql and binds its parameters ?1, ?2, … from the arguments, one letter of binds
 * each: 's' a const char * (NULL binds SQL NULL), 'i' an int64_t. ERR_IO on failure. */
int db_prepare_bind(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct err *e,
		    const char *binds, ...);
/* db_prepare_bind, then db_step_once: a statement without a result (a projection's
 * INSERT or UPDATE), run once; e "<what>: <SQLite's message>". */
int db_run(sqlite3 *db, const char *sql, const char *what, struct err *e, const char *binds,
	   ...);
/* The row reader: db_prepare_bind, then one step. 1 with the row in *st (read it, then
 * sqlite3_finalize it), 0 when there is none, -1 on error with e "<what>: <SQLite's
 * message>"; unless 1, *st is finalized and NULL. */
int db_row(sqlite3 *db, const char *sql, const char *what, sqlite3_stmt **st, struct err *e,
	   const char *binds, ...);
/* db_row with ?1 = key, its first n columns copied as text into out[i] (size[i] bytes,
 * "" for SQL NULL; out[i] NULL: not wanted), each "" first: 1, 0 (no row) or -1. */
int db_row_texts(sqlite3 *db, const char *sql, const char *what, const char *key,
		 char *const *out, const size_t *size, int n, struct err *e);
/* Copies text column col into out (size bytes, NUL-terminated; "" for SQL NULL). */
void db_copy_text(sqlite3_stmt *st, int col, char *out, size_t size);
/* Prepares sql; ERR_IO on failure. */
int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct err *e);
/*
 * A prepared statement for sql on db from a cache kept per connection (preparing costs
 * more than running a small INSERT: projections run one per event). sql must have
 * static storage (a string literal): the cache keys on its address. The statement comes
 * reset with its bindings cleared; the caller steps it, then sqlite3_reset()s it and
 * never finalises it: db_close does. For statements stepped to the end before any
 * other use of the same sql on that connection (no nesting). ERR_IO when sql does not
 * prepare; ERR_INTERNAL past DB_CACHE_MAX statements in all open connections.
 */
#define DB_CACHE_MAX 256
int db_cached(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct err *e);

/*
 * Fault injection for tests (SQLite's test6.c idea, on a thin VFS over the default
 * one): after db_fault_arm(w, s), databases opened from then on go through a VFS that
 * makes the w-th file write (SQLITE_FULL, as on a full disk) and the s-th fsync
 * (SQLITE_IOERR_FSYNC) fail, counting from the call; 0 leaves that kind alone.
 * db_fault_arm(0, 0) disarms (later opens still use the shim, harmlessly).
 * db_fault_hits() counts the failures injected. Thread-safe counters.
 */
void db_fault_arm(long nth_write, long nth_sync);
/* For a sync made outside SQLite (the writer's syncer, log/writer.c): 1 when the armed
 * sync fault fires on this call (the caller then fails as fdatasync would, EIO). After
 * db_fault_delay_syncs(ms) (0: off) each such call first sleeps ms, and
 * db_fault_syncs_delayed() counts the calls that finished their sleep — so a test can
 * hold a batch between its COMMIT and its fdatasync. */
int db_fault_sync_fires(void);
void db_fault_delay_syncs(long ms);
long db_fault_syncs_delayed(void);
long db_fault_hits(void);

#endif
