/*
 * store — events, tiles, checkpoints and cosignatures in SQLite (see store.h).
 */
#include "log/store.h"

#include <inttypes.h>
#include <string.h>

#include "log/db.h"

int store_init(struct store *s, sqlite3 *db, struct err *e)
{
	memset(s, 0, sizeof *s);
	s->db = db;
	if (db_prepare(db, "SELECT width, hashes FROM tiles WHERE level = ? AND idx = ?",
		       &s->tile_read, e) < 0 ||
	    db_prepare(db, "INSERT INTO tiles (level, idx, width, hashes) VALUES (?, ?, ?, ?)"
			   " ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width,"
			   " hashes = excluded.hashes WHERE excluded.width > tiles.width",
		       &s->tile_write, e) < 0 ||
	    db_prepare(db, "INSERT INTO events (seq, time_ms, kind, subject, data)"
			   " VALUES (?, ?, ?, ?, ?)", &s->event_put, e) < 0) {
		store_release(s);
		return -1;
	}
	return 0;
}

void store_release(struct store *s)
{
	sqlite3_finalize(s->tile_read);
	sqlite3_finalize(s->tile_write);
	sqlite3_finalize(s->event_put);
	memset(s, 0, sizeof *s);
}

static int tile_read(void *ctx, unsigned level, uint64_t index, unsigned width,
		     uint8_t *buf, struct err *e)
{
	struct store *s = ctx;
	sqlite3_stmt *st = s->tile_read;
	sqlite3_bind_int(st, 1, (int)level);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
	int rc = sqlite3_step(st);
	int ret = -1;
	if (rc == SQLITE_ROW) {
		int have = sqlite3_column_int(st, 0);
		const void *h = sqlite3_column_blob(st, 1);
		int hlen = sqlite3_column_bytes(st, 1);
		if (have < (int)width || hlen != have * MERKLE_HASH_LEN || !h)
			err_set(e, ERR_IO, "tile %u/%" PRIu64 " holds %d hashes, %u needed", level,
				index, hlen / MERKLE_HASH_LEN, width);
		else {
			memcpy(buf, h, (size_t)width * MERKLE_HASH_LEN);
			ret = 0;
		}
	} else if (rc == SQLITE_DONE) {
		err_set(e, ERR_IO, "tile %u/%" PRIu64 " is missing", level, index);
	} else {
		db_error(s->db, e, "reading a tile");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

static int tile_write(void *ctx, unsigned level, uint64_t index, unsigned width,
		      const uint8_t *buf, struct err *e)
{
	struct store *s = ctx;
	sqlite3_stmt *st = s->tile_write;
	sqlite3_bind_int(st, 1, (int)level);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
	sqlite3_bind_int(st, 3, (int)width);
	sqlite3_bind_blob(st, 4, buf, (int)(width * MERKLE_HASH_LEN), SQLITE_STATIC);
	return db_step_done(s->db, st, "writing a tile", e);
}

/* Leaf hashes of events [first, first + n), all of which must be stored. */
static int tile_leaves(void *ctx, uint64_t first, unsigned n, uint8_t *buf, struct err *e)
{
	struct store *s = ctx;
	sqlite3_stmt *st;
	if (db_prepare(s->db, "SELECT seq, data FROM events WHERE seq >= ? AND seq < ?"
			      " ORDER BY seq", &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)first);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(first + n));
	unsigned i = 0;
	int rc, ret = 0;
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((uint64_t)sqlite3_column_int64(st, 0) != first + i)
			ret = err_set(e, ERR_IO, "event %" PRIu64 " is missing", first + i);
		else if (merkle_leaf_hash(sqlite3_column_blob(st, 1),
					  (size_t)sqlite3_column_bytes(st, 1),
					  buf + (size_t)i * MERKLE_HASH_LEN, e) < 0)
			ret = -1;
		else
			i++;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = db_error(s->db, e, "reading events for a tile");
	else if (ret == 0 && i != n)
		ret = err_set(e, ERR_IO, "event %" PRIu64 " is missing", first + i);
	sqlite3_finalize(st);
	return ret;
}

struct tile_store store_tiles(struct store *s)
{
	struct tile_store t = { s, tile_read, tile_write, tile_leaves };
	return t;
}

int store_size(struct store *s, uint64_t *size, int64_t *last_time_ms, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(s->db, "SELECT seq, time_ms FROM events ORDER BY seq DESC LIMIT 1", &st,
		       e) < 0)
		return -1;
	int rc = sqlite3_step(st);
	*size = 0;
	*last_time_ms = 0;
	if (rc == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(st, 0) + 1;
		*last_time_ms = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE) {
		db_error(s->db, e, "reading the log size");
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_event_put(struct store *s, uint64_t seq, int64_t time_ms, const char *kind,
		    const char *subject, const uint8_t *data, size_t len, struct err *e)
{
	sqlite3_stmt *st = s->event_put;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, time_ms);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, subject, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, data, (int)len, SQLITE_STATIC);
	return db_step_done(s->db, st, "storing an event", e);
}

int store_event_get(struct store *s, uint64_t seq, struct buf *out, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(s->db, "SELECT data FROM events WHERE seq = ?", &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	int ret = db_step_bytes(s->db, st, 0, out, "reading an event", e);
	if (ret == 1)
		ret = err_set(e, ERR_INPUT, "no event %" PRIu64 " in the log", seq);
	sqlite3_finalize(st);
	return ret;
}

int store_events_open(struct store *s, uint64_t from, struct store_cursor *c, struct err *e)
{
	c->db = s->db;
	if (db_prepare(s->db, "SELECT seq, data FROM events WHERE seq >= ? ORDER BY seq", &c->st,
		       e) < 0)
		return -1;
	sqlite3_bind_int64(c->st, 1, (sqlite3_int64)from);
	return 0;
}

int store_events_open_columns(struct store *s, uint64_t from, struct store_cursor *c,
			      struct err *e)
{
	c->db = s->db;
	if (db_prepare(s->db, "SELECT seq, data, time_ms, kind, subject FROM events"
			      " WHERE seq >= ? ORDER BY seq", &c->st, e) < 0)
		return -1;
	sqlite3_bind_int64(c->st, 1, (sqlite3_int64)from);
	return 0;
}

void store_cursor_event_columns(struct store_cursor *c, struct store_event_columns *out)
{
	memset(out, 0, sizeof *out);
	out->time_is_integer = sqlite3_column_type(c->st, 2) == SQLITE_INTEGER;
	if (out->time_is_integer)
		out->time_ms = sqlite3_column_int64(c->st, 2);
	/* the type first: reading a number or a blob as text would convert it */
	out->kind_is_text = sqlite3_column_type(c->st, 3) == SQLITE_TEXT;
	if (out->kind_is_text) {
		out->kind = (const char *)sqlite3_column_text(c->st, 3);
		out->kind_len = (size_t)sqlite3_column_bytes(c->st, 3);
	}
	out->subject_is_text = sqlite3_column_type(c->st, 4) == SQLITE_TEXT;
	if (out->subject_is_text) {
		out->subject = (const char *)sqlite3_column_text(c->st, 4);
		out->subject_len = (size_t)sqlite3_column_bytes(c->st, 4);
	}
}

int store_checkpoints_open(struct store *s, struct store_cursor *c, struct err *e)
{
	c->db = s->db;
	return db_prepare(s->db, "SELECT size, note FROM checkpoints ORDER BY size", &c->st, e);
}

int store_cursor_next(struct store_cursor *c, uint64_t *key, const uint8_t **data,
		      size_t *len, struct err *e)
{
	int rc = sqlite3_step(c->st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return db_error(c->db, e, "reading the log");
	*key = (uint64_t)sqlite3_column_int64(c->st, 0);
	*data = sqlite3_column_blob(c->st, 1);
	*len = (size_t)sqlite3_column_bytes(c->st, 1);
	if (!*data)
		*data = (const uint8_t *)"";
	return 1;
}

void store_cursor_close(struct store_cursor *c)
{
	sqlite3_finalize(c->st);
	c->st = NULL;
}

int store_checkpoint_put(struct store *s, uint64_t size, const char *note, size_t len,
			 struct err *e)
{
	sqlite3_stmt *st; /* one per batch: from the statement cache */
	if (db_cached(s->db, "INSERT INTO checkpoints (size, note) VALUES (?, ?)", &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	sqlite3_bind_text(st, 2, note, (int)len, SQLITE_STATIC);
	return db_step_done(s->db, st, "storing a checkpoint", e);
}

int store_checkpoint_latest(struct store *s, struct buf *out, uint64_t *size, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(s->db, "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
		       &st, e) < 0)
		return -1;
	int ret = db_step_bytes(s->db, st, 1, out, "reading the latest checkpoint", e);
	if (ret == 0)
		*size = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return ret;
}

int store_cosignature_add(struct store *s, uint64_t size, const char *name, uint32_t key_id,
			  const char *line, struct err *e)
{
	sqlite3_stmt *st;
	if (db_cached(s->db, "INSERT OR IGNORE INTO cosignatures (size, name, key_id, line)"
			     " VALUES (?, ?, ?, ?)", &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, key_id);
	sqlite3_bind_text(st, 4, line, -1, SQLITE_STATIC);
	return db_step_done(s->db, st, "storing a cosignature", e);
}

int store_meta_get(struct store *s, const char *key, struct buf *out, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(s->db, "SELECT value FROM meta WHERE key = ?", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int ret = db_step_bytes(s->db, st, 0, out, "reading settings", e);
	sqlite3_finalize(st);
	return ret;
}

int store_meta_set(struct store *s, const char *key, const char *value, struct err *e)
{
	sqlite3_stmt *st;
	if (db_cached(s->db, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key)"
			     " DO UPDATE SET value = excluded.value", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return db_step_done(s->db, st, "storing settings", e);
}
