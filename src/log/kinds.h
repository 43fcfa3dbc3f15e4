/*
 * kinds — the registry of event kinds: for each kind and version, whether its body may
 * be stored in clear, a body check and a projection handler that updates the state
 * tables (docs/EVENTS.md §5, docs/LOG.md "Store, group commit and guards").
 *
 * The live write path (log/writer.h) and `paspor rebuild` both apply events through
 * kinds_apply, inside the caller's transaction, so the state tables are always a
 * function of the log. A kind + version, once written, never changes; a change is a new
 * version with its own entry, and old entries stay so that rebuild can replay any
 * history.
 *
 * Kinds come in sets, each with the projection tables its handlers write (name and
 * CREATE statement). The log's own set is built in; a subsystem above the log (the
 * office workflow, officers…) registers its set with kinds_register at process start,
 * before any node is opened (src/main.c does it for every subsystem, so that `paspor
 * rebuild` can replay every kind ever written). kinds_create_tables makes the tables of
 * every registered set, kinds_drop_tables drops them (rebuild), kinds_table_name lists
 * them (tests digest their rows). The log's own set: "node.created" v1 (clear; body
 * {"name": text, "origin": text, "vkey": text}) → node_info; "operator.note" v1 (sealed;
 * body {"text": string of at most 1000 characters}) → operator_notes; "blob.stored" v1
 * (clear; body {"name", "sha256", "size"}, docs/LOG.md "Blobs in the log") → blobs.
 * Other sets: officers (src/office/officers.c), the workflow (src/office/wf_schemas.c).
 *
 * Errors: ERR_INPUT when a body does not fit its kind's schema or the kind is unknown
 * (the message names the kind and field, never a value), ERR_IO from SQLite (e.g. a
 * UNIQUE constraint).
 */
#ifndef PASPOR_LOG_KINDS_H
#define PASPOR_LOG_KINDS_H

#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "log/event.h"
#include "util/err.h"

struct kind_def {
	const char *name;
	uint16_t version;
	int clear; /* 1: body stored in clear (no personal data) */
	/* the body check, given ctx (e.g. the kind's schema, office/schema.h): call it
	 * through kinds_check */
	int (*check)(const void *ctx, const json_t *body, struct err *e);
	int (*project)(sqlite3 *db, const struct event *ev, const json_t *body, struct err *e);
	const void *ctx;
};

struct kind_table {
	const char *name;
	const char *create; /* CREATE TABLE IF NOT EXISTS ... (and its indexes) */
};

struct kind_set {
	const char *name;
	const struct kind_def *defs;
	size_t ndefs;
	const struct kind_table *tables;
	size_t ntables;
};

/* Adds a set (static storage; registering one twice is a no-op). Not thread-safe: call
 * at start-up only. Returns -1 when the registry is full. */
int kinds_register(const struct kind_set *set);

/* The entry for name + version, or NULL. */
const struct kind_def *kinds_find(const char *name, uint16_t version);
/* The highest registered version of name, or NULL. */
const struct kind_def *kinds_latest(const char *name);

/* Checks the canonical clear body against ev's kind and runs its projection handler on
 * db (within the caller's transaction). */
int kinds_apply(sqlite3 *db, const struct event *ev, const uint8_t *body, size_t len,
		struct err *e);
/* kinds_apply for a body the caller already parsed with canon_parse (the writer, which
 * parses each body once). */
int kinds_apply_json(sqlite3 *db, const struct event *ev, const json_t *body, struct err *e);
/* Checks a parsed body against kind def (no database). */
int kinds_check(const struct kind_def *def, const json_t *body, struct err *e);
/* Checks a canonical clear body against kind def (no database). */
int kinds_check_body(const struct kind_def *def, const uint8_t *body, size_t len,
		     struct err *e);

int kinds_create_tables(sqlite3 *db, struct err *e);
int kinds_drop_tables(sqlite3 *db, struct err *e);
/* The name of the i-th projection table of all registered sets, NULL past the end. */
const char *kinds_table_name(size_t i);
/* Deletes up to max rows of the projection table (nothing when it does not exist);
 * *left is 1 when rows may remain. Rebuild empties big tables this way, one
 * transaction per call: SQLite (built with secure_delete, as Debian's is) zeroes every
 * page it frees, so dropping a big table in one transaction would write all of it to
 * the WAL at once. */
int kinds_delete_rows(sqlite3 *db, const char *table, int max, int *left, struct err *e);

#endif
