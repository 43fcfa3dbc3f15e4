/*
 * store — the log's tables in the node's SQLite database (log/db.h): events, tiles,
 * checkpoints and cosignatures. No policy here: the writer (log/writer.h) decides what
 * is appended and runs these calls inside its transaction; readers stream.
 *
 *   events(seq INTEGER PRIMARY KEY, time_ms, kind, subject, data BLOB)
 *     seq is the 0-based Merkle leaf index; data holds the stored event bytes exactly
 *     (log/event.h); time_ms, kind and subject repeat envelope fields for indexes only.
 *   tiles(level, idx, width, hashes)   C2SP tlog-tiles behind struct tile_store
 *     (log/tiles.h): the widest version of each tile; a full tile is written once, a
 *     partial one replaced by a wider one, never by a narrower one.
 *   checkpoints(size PRIMARY KEY, note)  the signed checkpoint note for each tree size
 *     the node committed (one per writer batch).
 *   cosignatures(size, name, key_id, line)  witnesses' signature lines on a checkpoint.
 *
 * Ownership: a struct store borrows the sqlite3 handle (the caller keeps it open longer)
 * and owns its prepared statements; store_release finalises them. A cursor owns its
 * statement; the bytes it hands out stay valid until the next store_cursor_next or
 * store_cursor_close. Like the connection, a store is used by one thread at a time.
 *
 * Errors: ERR_IO with SQLite's message; store_tiles' read fails with ERR_IO when the
 * tile is missing or narrower than asked.
 */
#ifndef PASPOR_LOG_STORE_H
#define PASPOR_LOG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "log/tiles.h"
#include "util/buf.h"
#include "util/err.h"

struct store {
	sqlite3 *db;
	sqlite3_stmt *tile_read, *tile_write, *event_put;
};

int store_init(struct store *s, sqlite3 *db, struct err *e);
void store_release(struct store *s);

/* The tile store over s (tiles table), with a leaves function over the events table (a
 * level-0 partial tile whose write was deferred is rebuilt from the events: tiles.h). */
struct tile_store store_tiles(struct store *s);

/* Number of events (max seq + 1, 0 when empty) and the time of the last one (0 when
 * empty). */
int store_size(struct store *s, uint64_t *size, int64_t *last_time_ms, struct err *e);

int store_event_put(struct store *s, uint64_t seq, int64_t time_ms, const char *kind,
		    const char *subject, const uint8_t *data, size_t len, struct err *e);
/* Appends the stored bytes of event seq to out; ERR_INPUT when there is none. */
int store_event_get(struct store *s, uint64_t seq, struct buf *out, struct err *e);

/* Streams events in seq order from `from` (a statement cursor: nothing is loaded
 * beyond the current row). */
struct store_cursor {
	sqlite3 *db;
	sqlite3_stmt *st;
};
int store_events_open(struct store *s, uint64_t from, struct store_cursor *c, struct err *e);
/* store_events_open whose rows also carry the columns the events table keeps beside
 * each envelope for queries (time_ms, kind, subject); store_cursor_event_columns reads
 * them after each store_cursor_next. `log verify` compares them with the envelope. */
int store_events_open_columns(struct store *s, uint64_t from, struct store_cursor *c,
			      struct err *e);
struct store_event_columns {
	int time_is_integer, kind_is_text, subject_is_text; /* SQLite's type of the value */
	int64_t time_ms;
	const char *kind, *subject; /* NULL unless text; valid until the next row */
	size_t kind_len, subject_len;
};
void store_cursor_event_columns(struct store_cursor *c, struct store_event_columns *out);
/* Streams checkpoints in size order: data = the note text. */
int store_checkpoints_open(struct store *s, struct store_cursor *c, struct err *e);
/* 1 with the next row (key = seq or size, data/len = its bytes), 0 at the end, -1 on
 * error. */
int store_cursor_next(struct store_cursor *c, uint64_t *key, const uint8_t **data,
		      size_t *len, struct err *e);
void store_cursor_close(struct store_cursor *c);

int store_checkpoint_put(struct store *s, uint64_t size, const char *note, size_t len,
			 struct err *e);
/* The latest checkpoint note into out (appended) and its size; 0 found, 1 none, -1. */
int store_checkpoint_latest(struct store *s, struct buf *out, uint64_t *size, struct err *e);
/* Records a witness's signature line on the checkpoint of `size` (idempotent). */
int store_cosignature_add(struct store *s, uint64_t size, const char *name, uint32_t key_id,
			  const char *line, struct err *e);

/* Reads a setting from the meta table into out (appended): 0, 1 when absent, -1. */
int store_meta_get(struct store *s, const char *key, struct buf *out, struct err *e);
int store_meta_set(struct store *s, const char *key, const char *value, struct err *e);

#endif
