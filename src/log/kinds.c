/*
 * kinds — event-kind registry and the first projections (see kinds.h).
 */
#include "log/kinds.h"

#include <stdio.h>
#include <string.h>

#include "log/blobs.h"
#include "log/canon.h"
#include "log/db.h"
#include "util/utf8.h"

#define NOTE_TEXT_MAX 1000

static const struct kind_table log_tables[] = {
	{ "node_info", "CREATE TABLE IF NOT EXISTS node_info (origin TEXT PRIMARY KEY,"
		       " name TEXT NOT NULL, vkey TEXT NOT NULL, seq INTEGER NOT NULL,"
		       " created_ms INTEGER NOT NULL) WITHOUT ROWID" },
	{ "operator_notes", "CREATE TABLE IF NOT EXISTS operator_notes (seq INTEGER PRIMARY KEY,"
			    " actor TEXT NOT NULL, time_ms INTEGER NOT NULL, text TEXT NOT NULL)" },
	{ "blobs", "CREATE TABLE IF NOT EXISTS blobs (name TEXT PRIMARY KEY, sha256 TEXT NOT NULL,"
		   " size INTEGER NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID" },
};


/* Only the listed keys, each a string of 1..max characters. */
static int check_strings(const json_t *body, const char *kind, const char *const *keys,
			 const size_t *max, struct err *e)
{
	size_t nkeys = 0;
	for (size_t i = 0; keys[i]; i++, nkeys++) {
		const json_t *v = json_object_get(body, keys[i]);
		if (!json_is_string(v))
			return err_set(e, ERR_INPUT, "%s: field '%s' is missing or not a string", kind,
				       keys[i]);
		size_t n = utf8_chars(json_string_value(v));
		if (n == 0 || n > max[i])
			return err_set(e, ERR_INPUT, "%s: field '%s' must be 1 to %zu characters",
				       kind, keys[i], max[i]);
	}
	if (json_object_size(body) != nkeys) {
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)body, k, v) {
			size_t i = 0;
			while (keys[i] && strcmp(keys[i], k) != 0)
				i++;
			if (!keys[i])
				return err_set(e, ERR_INPUT, "%s: unknown field '%s'", kind, k);
		}
	}
	return 0;
}

static int node_created_check(const void *ctx, const json_t *body, struct err *e)
{
	(void)ctx;
	static const char *const keys[] = { "name", "origin", "vkey", NULL };
	static const size_t max[] = { 200, 255, 1000 };
	return check_strings(body, "node.created", keys, max, e);
}

static int node_created_project(sqlite3 *db, const struct event *ev, const json_t *body,
				struct err *e)
{
	sqlite3_stmt *st;
	if (db_cached(db, "INSERT INTO node_info (origin, name, vkey, seq, created_ms)"
			   " VALUES (?, ?, ?, ?, ?)", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, json_string_value(json_object_get(body, "origin")), -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, json_string_value(json_object_get(body, "name")), -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, json_string_value(json_object_get(body, "vkey")), -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)ev->seq);
	sqlite3_bind_int64(st, 5, ev->time_ms);
	return db_step_done(db, st, "node.created", e);
}

static int operator_note_check(const void *ctx, const json_t *body, struct err *e)
{
	(void)ctx;
	static const char *const keys[] = { "text", NULL };
	static const size_t max[] = { NOTE_TEXT_MAX };
	return check_strings(body, "operator.note", keys, max, e);
}

static int operator_note_project(sqlite3 *db, const struct event *ev, const json_t *body,
				 struct err *e)
{
	sqlite3_stmt *st;
	if (db_cached(db, "INSERT INTO operator_notes (seq, actor, time_ms, text)"
			   " VALUES (?, ?, ?, ?)", &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->seq);
	sqlite3_bind_text(st, 2, ev->actor, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, ev->time_ms);
	sqlite3_bind_text(st, 4, json_string_value(json_object_get(body, "text")), -1,
			  SQLITE_TRANSIENT);
	return db_step_done(db, st, "operator.note", e);
}

/* 1 when s is 64 lower-case hex characters. */
static int hex64(const char *s)
{
	return s && blobs_name_ok(s);
}

static int blob_stored_check(const void *ctx, const json_t *body, struct err *e)
{
	(void)ctx;
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *sha = json_string_value(json_object_get(body, "sha256"));
	const json_t *size = json_object_get(body, "size");
	if (!hex64(name))
		return err_set(e, ERR_INPUT, "blob.stored: field 'name' must be 64 lower-case hex "
			       "characters");
	if (!hex64(sha))
		return err_set(e, ERR_INPUT, "blob.stored: field 'sha256' must be 64 lower-case hex "
			       "characters");
	if (!json_is_integer(size) || json_integer_value(size) < (json_int_t)BLOBS_OVERHEAD ||
	    json_integer_value(size) > (json_int_t)BLOBS_FILE_MAX)
		return err_set(e, ERR_INPUT, "blob.stored: field 'size' must be an integer from %d "
			       "to %zu", (int)BLOBS_OVERHEAD, (size_t)BLOBS_FILE_MAX);
	if (json_object_size(body) != 3)
		return err_set(e, ERR_INPUT, "blob.stored: only 'name', 'sha256' and 'size' are "
			       "allowed");
	return 0;
}

static int blob_stored_project(sqlite3 *db, const struct event *ev, const json_t *body,
			       struct err *e)
{
	sqlite3_stmt *st;
	if (db_cached(db, "INSERT INTO blobs (name, sha256, size, seq) VALUES (?, ?, ?, ?)",
		       &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, json_string_value(json_object_get(body, "name")), -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, json_string_value(json_object_get(body, "sha256")), -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, json_integer_value(json_object_get(body, "size")));
	sqlite3_bind_int64(st, 4, (sqlite3_int64)ev->seq);
	return db_step_done(db, st, "blob.stored", e);
}

static const struct kind_def log_kinds[] = {
	{ "node.created", 1, 1, node_created_check, node_created_project, NULL },
	{ "operator.note", 1, 0, operator_note_check, operator_note_project, NULL },
	{ "blob.stored", 1, 1, blob_stored_check, blob_stored_project, NULL },
};

static const struct kind_set log_set = {
	"log", log_kinds, sizeof log_kinds / sizeof log_kinds[0],
	log_tables, sizeof log_tables / sizeof log_tables[0],
};

#define KINDS_SETS_MAX 16
static const struct kind_set *sets[KINDS_SETS_MAX] = { &log_set };
static size_t nsets = 1;

int kinds_register(const struct kind_set *set)
{
	for (size_t i = 0; i < nsets; i++)
		if (sets[i] == set)
			return 0;
	if (nsets == KINDS_SETS_MAX)
		return -1;
	sets[nsets++] = set;
	return 0;
}

const struct kind_def *kinds_find(const char *name, uint16_t version)
{
	for (size_t s = 0; s < nsets; s++)
		for (size_t i = 0; i < sets[s]->ndefs; i++) {
			const struct kind_def *d = &sets[s]->defs[i];
			if (d->version == version && strcmp(d->name, name) == 0)
				return d;
		}
	return NULL;
}

const struct kind_def *kinds_latest(const char *name)
{
	const struct kind_def *best = NULL;
	for (size_t s = 0; s < nsets; s++)
		for (size_t i = 0; i < sets[s]->ndefs; i++) {
			const struct kind_def *d = &sets[s]->defs[i];
			if (strcmp(d->name, name) == 0 && (!best || d->version > best->version))
				best = d;
		}
	return best;
}

const char *kinds_table_name(size_t i)
{
	for (size_t s = 0; s < nsets; s++) {
		if (i < sets[s]->ntables)
			return sets[s]->tables[i].name;
		i -= sets[s]->ntables;
	}
	return NULL;
}

int kinds_check(const struct kind_def *def, const json_t *body, struct err *e)
{
	return def->check(def->ctx, body, e);
}

int kinds_check_body(const struct kind_def *def, const uint8_t *body, size_t len,
		     struct err *e)
{
	json_t *v;
	if (canon_parse(body, len, &v, e) < 0) {
		err_prefix(e, "%s body", def->name);
		return -1;
	}
	int rc = kinds_check(def, v, e);
	json_decref(v);
	return rc;
}

int kinds_apply(sqlite3 *db, const struct event *ev, const uint8_t *body, size_t len,
		struct err *e)
{
	const struct kind_def *def = kinds_find(ev->kind, ev->kind_version);
	if (!def)
		return err_set(e, ERR_INPUT, "unknown event kind '%s' v%u", ev->kind,
			       (unsigned)ev->kind_version);
	json_t *v;
	if (canon_parse(body, len, &v, e) < 0) {
		err_prefix(e, "%s body", def->name);
		return -1;
	}
	int rc = kinds_check(def, v, e);
	if (rc == 0)
		rc = def->project(db, ev, v, e);
	json_decref(v);
	return rc;
}

int kinds_apply_json(sqlite3 *db, const struct event *ev, const json_t *body, struct err *e)
{
	const struct kind_def *def = kinds_find(ev->kind, ev->kind_version);
	if (!def)
		return err_set(e, ERR_INPUT, "unknown event kind '%s' v%u", ev->kind,
			       (unsigned)ev->kind_version);
	if (kinds_check(def, body, e) < 0)
		return -1;
	return def->project(db, ev, body, e);
}

int kinds_create_tables(sqlite3 *db, struct err *e)
{
	for (size_t s = 0; s < nsets; s++)
		for (size_t i = 0; i < sets[s]->ntables; i++)
			if (db_exec(db, sets[s]->tables[i].create, e) < 0)
				return -1;
	return 0;
}

/* 1 when table exists, 0 when not, -1 on error. */
static int table_exists(sqlite3 *db, const char *table, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?",
		       &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int n = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return n < 0 ? db_error(db, e, "reading the schema") : n > 0;
}

/* How rows of table are named for a DELETE … IN (SELECT … LIMIT n): rowid for a rowid
 * table (whatever its declared key: a TEXT PRIMARY KEY may hold NULLs, which IN never
 * matches), else (WITHOUT ROWID) its primary key's columns, "a" or "a", "b". */
static int key_columns(sqlite3 *db, const char *table, char *out, size_t cap, struct err *e)
{
	char probe[160];
	sqlite3_stmt *st;
	snprintf(probe, sizeof probe, "SELECT rowid FROM \"%s\" LIMIT 0", table);
	if (sqlite3_prepare_v2(db, probe, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_finalize(st);
		snprintf(out, cap, "rowid");
		return 0;
	}
	if (db_prepare(db, "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", &st,
		       e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	size_t len = 0;
	int rc;
	out[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *col = (const char *)sqlite3_column_text(st, 0);
		int k = snprintf(out + len, cap - len, "%s\"%s\"", len ? ", " : "", col ? col : "");
		if (!col || strchr(col, '"') || k < 0 || (size_t)k >= cap - len) {
			sqlite3_finalize(st);
			return err_set(e, ERR_INTERNAL, "table %s: unexpected key column", table);
		}
		len += (size_t)k;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(db, e, "reading a table's key");
	if (len == 0)
		return err_set(e, ERR_INTERNAL, "table %s has neither rowid nor key", table);
	return 0;
}

int kinds_delete_rows(sqlite3 *db, const char *table, int max, int *left, struct err *e)
{
	char key[512], sql[1400];
	*left = 0;
	int r = table_exists(db, table, e);
	if (r <= 0)
		return r;
	if (key_columns(db, table, key, sizeof key, e) < 0)
		return -1;
	int k = snprintf(sql, sizeof sql,
			 "DELETE FROM \"%s\" WHERE (%s) IN (SELECT %s FROM \"%s\" LIMIT %d)", table,
			 key, key, table, max);
	if (k < 0 || (size_t)k >= sizeof sql)
		return err_set(e, ERR_INTERNAL, "table %s: key too long", table);
	if (db_exec(db, sql, e) < 0)
		return -1;
	*left = sqlite3_changes(db) >= max;
	return 0;
}

int kinds_drop_tables(sqlite3 *db, struct err *e)
{
	for (size_t i = 0; kinds_table_name(i); i++) {
		char sql[160];
		snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", kinds_table_name(i));
		if (db_exec(db, sql, e) < 0)
			return -1;
	}
	return 0;
}
