/*
 * node — open/close a data dir: keys, database, lock and guards (see node.h).
 */
#include "log/node.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "log/canon.h"
#include "log/db.h"
#include "log/event.h"
#include "log/kinds.h"
#include "log/writer.h"
#include "util/alloc.h"
#include "util/fs.h"

#define RESTORE_HINT                                                                   \
	"do not write to this node: restore paspor.db and checkpoint together from the " \
	"latest backup, or recover the log from a peer or the centre (docs/LOG.md, "   \
	"\"Guards\")"

int64_t node_now_ms(const struct node *n)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + n->clock_offset_ms;
}

static int dir_is_empty_or_missing(const char *dir, struct err *e)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return err_errno(e, ERR_IO, "cannot open '%s'", dir);
	}
	struct dirent *de;
	int empty = 1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	if (!empty)
		return err_set(e, ERR_INPUT, "'%s' exists and is not empty: choose a new data dir",
			       dir);
	return 0;
}

struct created_arg {
	const char *body;
};

static int append_created(struct writer_txn *tx, void *arg, struct err *e)
{
	struct created_arg *a = arg;
	return writer_txn_append(tx, "system", "node.created", 1, "",
				 (const uint8_t *)a->body, strlen(a->body), NULL, e);
}

/* Removes what a failed node_create made in dir, by name (the dir was empty or missing
 * before, so nothing else is at these names), and dir itself when it made it; a name
 * it did not make is left alone (rmdir of a folder holding one fails, harmlessly). */
static void remove_created(const char *dir, int made_dir)
{
	static const char *const files[] = {
		"keys/node.key", "keys/node.pub", "keys/data.key", "paspor.db", "paspor.db-wal",
		"paspor.db-shm", "paspor.db-journal", "checkpoint", "lock", "keys", "blobs", NULL,
	};
	for (size_t i = 0; files[i]; i++) {
		char *p = fs_join(dir, files[i]);
		if (!p)
			continue;
		if (strcmp(files[i], "keys") == 0 || strcmp(files[i], "blobs") == 0)
			rmdir(p);
		else
			unlink(p);
		mem_free(p);
	}
	if (made_dir)
		rmdir(dir);
}

int node_create(const char *dir, const char *origin, const char *name,
		const struct kek_source *kek, struct err *e)
{
	if (dir_is_empty_or_missing(dir, e) < 0)
		return -1;
	int made_dir = access(dir, F_OK) != 0;
	if (fs_mkdir(dir, 0700, e) < 0 || chmod(dir, 0700) < 0) {
		if (e->code == ERR_NONE)
			err_errno(e, ERR_IO, "cannot chmod '%s'", dir);
		if (made_dir && access(dir, F_OK) == 0)
			rmdir(dir);
		return -1;
	}
	char *keys = fs_join(dir, "keys"), *blobs = fs_join(dir, "blobs");
	char *dbp = fs_join(dir, "paspor.db");
	int rc = -1;
	sqlite3 *db = NULL;
	struct store st = { 0 };
	struct node n;
	int n_open = 0;
	struct writer *w = NULL;
	json_t *body = NULL;
	struct buf vkey, canon;
	buf_init(&vkey, 4096);
	buf_init(&canon, 8192);
	if (!keys || !blobs || !dbp) {
		err_nomem(e);
		goto out;
	}
	if (keys_create(keys, origin, kek, e) < 0 || fs_mkdir(blobs, 0700, e) < 0)
		goto out;
	if (db_open(dbp, DB_READWRITE, &db, e) < 0 ||
	    (chmod(dbp, 0600) < 0 && err_errno(e, ERR_IO, "cannot chmod '%s'", dbp) < 0) ||
	    store_init(&st, db, e) < 0 ||
	    store_meta_set(&st, "origin", origin, e) < 0)
		goto out;
	store_release(&st);
	db_close(db);
	db = NULL;

	struct node_opts o = { .kek = kek };
	if (node_open(&n, dir, &o, e) < 0)
		goto out;
	n_open = 1;
	if (note_verifier_format(&n.verifier, &vkey, e) < 0)
		goto out;
	body = json_pack("{s:s, s:s, s:s}", "name", name ? name : origin, "origin", origin,
			 "vkey", buf_str(&vkey));
	if (!body) {
		err_set(e, ERR_INPUT, "office name is not valid UTF-8");
		goto out;
	}
	if (canon_from_json(body, &canon, e) < 0) {
		err_prefix(e, "office name");
		goto out;
	}
	struct created_arg a = { buf_str(&canon) };
	if (writer_start(&w, &n, e) < 0 || writer_submit(w, append_created, &a, NULL, e) < 0)
		goto out;
	rc = 0;
out:
	writer_stop(w);
	if (n_open)
		node_close(&n);
	store_release(&st);
	db_close(db);
	json_decref(body);
	buf_release(&vkey);
	buf_release(&canon);
	mem_free(keys);
	mem_free(blobs);
	mem_free(dbp);
	if (rc < 0)
		remove_created(dir, made_dir);
	return rc;
}

int node_reload(struct node *n, struct err *e)
{
	if (n->tlog_open)
		tlog_release(&n->tlog);
	n->tlog_open = 0;
	if (store_size(&n->store, &n->size, &n->last_time_ms, e) < 0)
		return -1;
	struct tile_store ts = store_tiles(&n->store);
	if (tlog_open(&n->tlog, &ts, n->size, e) < 0)
		return -1;
	n->tlog_open = 1;
	return 0;
}

static int take_lock(struct node *n, struct err *e)
{
	char *path = fs_join(n->dir, "lock");
	if (!path)
		return err_nomem(e);
	n->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (n->lock_fd < 0) {
		err_errno(e, ERR_IO, "cannot open '%s'", path);
		mem_free(path);
		return -1;
	}
	if (flock(n->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		err_set(e, ERR_IO, "'%s' is in use by another paspor process (%s is locked)", n->dir,
			path);
		mem_free(path);
		return -1;
	}
	mem_free(path);
	return 0;
}

/* A read-only node reads one snapshot, made durable first: BEGIN, a first read (which
 * takes the snapshot), then an fdatasync of the WAL — a running node's writer commits
 * with synchronous=NORMAL and acknowledges only after its syncer's fdatasync, so what a
 * second process reads could otherwise be up to one fsync ahead of what a power cut
 * leaves (docs/LOG.md, "Why a syncer, and what readers see"). The sync covers every
 * frame in the file, so every commit in the snapshot. node_close ends the transaction. */
static int durable_snapshot(struct node *n, struct err *e)
{
	if (sqlite3_exec(n->db, "BEGIN; SELECT 1 FROM sqlite_schema LIMIT 1", NULL, NULL,
			 NULL) != SQLITE_OK)
		return db_error(n->db, e, "cannot open a read transaction");
	const char *wal = n->wal_path;
	int fd = open(wal, O_RDONLY | O_CLOEXEC);
	int rc = 0;
	if (fd < 0 && errno != ENOENT)
		rc = err_errno(e, ERR_IO, "cannot open '%s'", wal);
	else if (fd >= 0 && (db_fault_sync_fires() ? (errno = EIO, 1) : fdatasync(fd) < 0) &&
		 errno != EINVAL && errno != EROFS) /* read-only media: no writer there */
		rc = err_errno(e, ERR_IO, "fdatasync of '%s'", wal); /* (tests: log/db.h) */
	if (fd >= 0)
		close(fd);
	return rc;
}

/* meta key present while a rebuild runs: the next event it would replay */
#define REBUILD_MARK "rebuild_next"

/* Refuses state tables that a stopped rebuild left incomplete (see node.h). */
static int check_state_complete(struct node *n, struct err *e)
{
	struct buf next;
	buf_init(&next, 32);
	int r = store_meta_get(&n->store, REBUILD_MARK, &next, e);
	if (r == 0)
		err_set(e, ERR_VERIFY,
			"the state tables are incomplete: a rebuild stopped before event %s of %"
			PRIu64 " (interrupted, or the disk was full); run `paspor rebuild --data "
			"%s` again (the log itself is not affected: `paspor log verify` checks it)",
			buf_str(&next), n->size, n->dir);
	buf_release(&next);
	return r == 1 ? 0 : -1;
}

int node_checkpoint_file(struct node *n, struct buf *out, struct err *e)
{
	if (n->writable)
		return fs_read_file(n->checkpoint_path, out, e);
	if (n->file_note_failed) {
		*e = n->file_note_err;
		return -1;
	}
	return buf_add(out, n->file_note.data, n->file_note.len) < 0 ? err_nomem(e) : 0;
}

int node_open(struct node *n, const char *dir, const struct node_opts *opts, struct err *e)
{
	memset(n, 0, sizeof *n);
	n->lock_fd = -1;
	buf_init(&n->file_note, NOTE_MAX_LEN);
	n->clock_offset_ms = opts ? opts->clock_offset_ms : 0;
	n->clock_tolerance_ms = opts && opts->clock_tolerance_ms ? opts->clock_tolerance_ms
								 : NODE_CLOCK_TOLERANCE_MS;
	n->writable = opts && opts->kek;
	n->dir = mem_strdup(dir);
	n->db_path = fs_join(dir, "paspor.db");
	n->wal_path = fs_join(dir, "paspor.db-wal");
	n->keys_dir = fs_join(dir, "keys");
	n->checkpoint_path = fs_join(dir, "checkpoint");
	struct buf origin;
	buf_init(&origin, 256);
	if (!n->dir || !n->db_path || !n->wal_path || !n->keys_dir || !n->checkpoint_path) {
		err_nomem(e);
		goto fail;
	}
	struct stat sb;
	if (stat(dir, &sb) < 0) {
		err_errno(e, ERR_IO, "cannot open data dir '%s'", dir);
		goto fail;
	}
	if (keys_load_verifier(n->keys_dir, &n->verifier, e) < 0)
		goto fail;
	if (n->writable && take_lock(n, e) < 0)
		goto fail;
	if (!n->writable) /* before the snapshot: see node_checkpoint_file */
		n->file_note_failed = fs_read_file(n->checkpoint_path, &n->file_note,
						   &n->file_note_err) < 0;
	if (db_open(n->db_path, n->writable ? DB_READWRITE : DB_READONLY, &n->db, e) < 0 ||
	    store_init(&n->store, n->db, e) < 0 || (!n->writable && durable_snapshot(n, e) < 0))
		goto fail;
	int r = store_meta_get(&n->store, "origin", &origin, e);
	if (r < 0)
		goto fail;
	if (r == 1 || origin.len >= sizeof n->origin) {
		err_set(e, ERR_IO, "'%s' has no origin setting: not a paspor data dir", n->db_path);
		goto fail;
	}
	memcpy(n->origin, origin.data, origin.len + 1);
	if (strcmp(n->verifier.name, n->origin) != 0) {
		err_set(e, ERR_VERIFY, "keys/node.pub names '%s' but the log's origin is '%s'",
			n->verifier.name, n->origin);
		goto fail;
	}
	if (n->writable && keys_load(n->keys_dir, n->origin, opts->kek, &n->keys, e) < 0)
		goto fail;
	if (n->writable && (n->keys.signer.key_id != n->verifier.key_id ||
			    memcmp(n->keys.signer.pub, n->verifier.pub, 32) != 0)) {
		err_set(e, ERR_VERIFY, "keys/node.key does not match keys/node.pub");
		goto fail;
	}
	if (node_reload(n, e) < 0)
		goto fail;
	if (!(opts && opts->log_only) && check_state_complete(n, e) < 0)
		goto fail;
	if (n->writable && node_check_guards(n, e) < 0)
		goto fail;
	buf_release(&origin);
	return 0;
fail:
	buf_release(&origin);
	node_close(n);
	return -1;
}

void node_close(struct node *n)
{
	if (n->tlog_open)
		tlog_release(&n->tlog);
	store_release(&n->store);
	if (n->db && !sqlite3_get_autocommit(n->db))
		sqlite3_exec(n->db, "ROLLBACK", NULL, NULL, NULL); /* a read-only snapshot */
	db_close(n->db);
	keys_release(&n->keys);
	note_verifier_release(&n->verifier);
	if (n->lock_fd >= 0)
		close(n->lock_fd); /* releases the flock */
	mem_free(n->dir);
	mem_free(n->db_path);
	mem_free(n->wal_path);
	mem_free(n->keys_dir);
	mem_free(n->checkpoint_path);
	buf_release(&n->file_note);
	memset(n, 0, sizeof *n);
	n->lock_fd = -1;
}

int node_sign_checkpoint(struct node *n, struct buf *out, struct err *e)
{
	struct checkpoint c = { n->origin, n->size, { 0 }, (char *)"" };
	struct buf text;
	struct note note = { 0 };
	buf_init(&text, NOTE_MAX_LEN);
	int rc = -1;
	if (tlog_root(&n->tlog, n->size, c.root, e) < 0 || checkpoint_format(&c, &text, e) < 0 ||
	    note_init(&note, (const char *)text.data, text.len, e) < 0 ||
	    note_sign(&note, &n->keys.signer, e) < 0 || note_format(&note, out, e) < 0)
		goto out;
	rc = 0;
out:
	note_release(&note);
	buf_release(&text);
	return rc;
}

int node_parse_checkpoint(struct node *n, const uint8_t *msg, size_t len, const char *what,
			  struct checkpoint *c, struct err *e)
{
	struct note note = { 0 };
	memset(c, 0, sizeof *c);
	if (note_parse(&note, msg, len, e) < 0 || note_verify(&note, &n->verifier, e) < 0 ||
	    checkpoint_parse(c, note.text, note.text_len, e) < 0) {
		note_release(&note);
		err_prefix(e, "%s", what);
		if (e->code == ERR_INPUT)
			e->code = ERR_VERIFY;
		return -1;
	}
	note_release(&note);
	if (strcmp(c->origin, n->origin) != 0) {
		err_set(e, ERR_VERIFY, "%s: checkpoint of origin '%s', not '%s'", what, c->origin,
			n->origin);
		checkpoint_release(c);
		return -1;
	}
	return 0;
}

/* The tree's root at size equals want. */
static int root_matches(struct node *n, uint64_t size, const uint8_t *want, int *match,
			struct err *e)
{
	uint8_t root[MERKLE_HASH_LEN];
	if (tlog_root(&n->tlog, size, root, e) < 0)
		return -1;
	*match = memcmp(root, want, MERKLE_HASH_LEN) == 0;
	return 0;
}

int node_check_guards(struct node *n, struct err *e)
{
	struct buf b;
	buf_init(&b, NOTE_MAX_LEN);
	struct checkpoint c = { 0 };
	int rc = -1, match;
	uint64_t db_size = 0;

	/* the checkpoint file outside the database */
	if (access(n->checkpoint_path, F_OK) != 0) {
		if (n->size > 0) {
			err_set(e, ERR_VERIFY,
				"'%s' is missing while the log holds %" PRIu64 " events: restore "
				"it from the latest backup of the data dir (or from a witness's "
				"copy); " RESTORE_HINT, n->checkpoint_path, n->size);
			goto out;
		}
	} else {
		if (fs_read_file(n->checkpoint_path, &b, e) < 0 ||
		    node_parse_checkpoint(n, b.data, b.len, n->checkpoint_path, &c, e) < 0) {
			if (e->code != ERR_VERIFY)
				e->code = ERR_VERIFY;
			goto out;
		}
		if (c.size > n->size) {
			err_set(e, ERR_VERIFY,
				"the log holds %" PRIu64 " events but this node signed a checkpoint "
				"of %" PRIu64 " ('%s'): the database is older than the node's last "
				"checkpoint (restored from an old copy?); " RESTORE_HINT,
				n->size, c.size, n->checkpoint_path);
			goto out;
		}
		if (c.size > 0) {
			if (root_matches(n, c.size, c.root, &match, e) < 0)
				goto out;
			if (!match) {
				err_set(e, ERR_VERIFY,
					"the log does not match the node's last signed checkpoint "
					"('%s'): its root at size %" PRIu64 " differs (the database was "
					"altered or replaced); " RESTORE_HINT,
					n->checkpoint_path, c.size);
				goto out;
			}
		}
		checkpoint_release(&c);
		buf_reset(&b);
	}
	/* the latest checkpoint in the database covers exactly the stored events */
	int r = store_checkpoint_latest(&n->store, &b, &db_size, e);
	if (r < 0)
		goto out;
	if (r == 1 ? n->size != 0 : db_size != n->size) {
		err_set(e, ERR_VERIFY,
			"the log holds %" PRIu64 " events but its latest signed checkpoint covers "
			"%" PRIu64 ": events were added or removed outside paspor; " RESTORE_HINT,
			n->size, r == 1 ? 0 : db_size);
		goto out;
	}
	if (r == 0) {
		if (node_parse_checkpoint(n, b.data, b.len, "latest checkpoint in the database",
					  &c, e) < 0)
			goto out;
		if (c.size != db_size || root_matches(n, c.size, c.root, &match, e) < 0 || !match) {
			if (e->code == ERR_NONE)
				err_set(e, ERR_VERIFY,
					"the log's tiles do not match its latest signed checkpoint "
					"(size %" PRIu64 "); " RESTORE_HINT, db_size);
			goto out;
		}
	}
	/* the clock */
	int64_t now = node_now_ms(n);
	if (n->size > 0 && now < n->last_time_ms - n->clock_tolerance_ms) {
		err_set(e, ERR_VERIFY,
			"the clock (%" PRId64 ") is %" PRId64 " ms behind the last event's time "
			"(%" PRId64 ", UTC ms): fix the system clock (NTP) before writing; this "
			"node does not date events before earlier ones",
			now, n->last_time_ms - now, n->last_time_ms);
		goto out;
	}
	rc = 0;
out:
	checkpoint_release(&c);
	buf_release(&b);
	return rc;
}

static int64_t env_ms(const char *name, int64_t dflt)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return dflt;
	char *end;
	long long x = strtoll(v, &end, 10);
	return *end ? dflt : (int64_t)x;
}

void node_opts_from_env(struct node_opts *o)
{
#ifdef PASPOR_TESTING
	o->clock_offset_ms = env_ms("PASPOR_TEST_CLOCK_OFFSET_MS", 0);
#else
	o->clock_offset_ms = 0;
#endif
	o->clock_tolerance_ms = env_ms("PASPOR_CLOCK_TOLERANCE_MS", 0);
}

int node_rebuild(struct node *n, uint64_t *count, struct err *e)
{
	return node_rebuild_progress(n, count, 0, NULL, NULL, e);
}

/* One transaction of the rebuild: replays up to step events from seq *next (then set
 * past the last one replayed), then moves the mark, or removes it when no event is left
 * (*done set). */
static int rebuild_step(struct node *n, uint64_t *next, uint64_t step, struct buf *body,
			uint64_t *count, int *done,
			void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx,
			struct err *e)
{
	struct store_cursor c = { 0 };
	if (db_exec(n->db, "BEGIN IMMEDIATE", e) < 0)
		return -1;
	if (store_events_open(&n->store, *next, &c, e) < 0)
		goto rollback;
	uint64_t k = 0;
	*done = 0;
	while (k < step) {
		uint64_t seq;
		const uint8_t *data;
		size_t len;
		int r = store_cursor_next(&c, &seq, &data, &len, e);
		if (r < 0)
			goto rollback;
		if (r == 0) {
			*done = 1;
			break;
		}
		struct event ev;
		buf_reset(body);
		if (event_decode(data, len, &ev, e) < 0 ||
		    event_open(&ev, n->keys.data_key, body, e) < 0 ||
		    kinds_apply(n->db, &ev, body->data, body->len, e) < 0) {
			err_prefix(e, "event %" PRIu64, seq);
			goto rollback;
		}
		k++;
		*next = seq + 1;
		(*count)++;
		if (progress && (*count & 4095) == 0)
			progress(ctx, *count, n->size);
	}
	store_cursor_close(&c);
	char mark[24];
	snprintf(mark, sizeof mark, "%" PRIu64, *next);
	if ((*done ? db_exec(n->db, "DELETE FROM meta WHERE key = '" REBUILD_MARK "'", e)
		   : store_meta_set(&n->store, REBUILD_MARK, mark, e)) < 0 ||
	    db_exec(n->db, "COMMIT", e) < 0)
		goto rollback;
	return 0;
rollback:
	store_cursor_close(&c);
	sqlite3_exec(n->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int node_rebuild_progress(struct node *n, uint64_t *count, uint64_t step,
			  void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx,
			  struct err *e)
{
	*count = 0;
	if (!n->writable)
		return err_set(e, ERR_INPUT, "rebuild needs the data key (node open read-only)");
	if (step == 0)
		step = NODE_REBUILD_STEP;
	struct buf body;
	buf_init(&body, EVENT_BODY_MAX);
	int rc = -1, done = 0;
	uint64_t next = 0;
	/* marked incomplete until the last step; then emptied in steps (kinds.h,
	 * kinds_delete_rows), dropped and made again (the current CREATE statements) */
	if (store_meta_set(&n->store, REBUILD_MARK, "0", e) < 0)
		goto out;
	int rows = step < INT32_MAX ? (int)step : INT32_MAX; /* rows deleted per transaction */
	for (size_t i = 0; kinds_table_name(i); i++) {
		int left = 1;
		while (left)
			if (db_exec(n->db, "BEGIN IMMEDIATE", e) < 0 ||
			    kinds_delete_rows(n->db, kinds_table_name(i), rows, &left, e) < 0 ||
			    db_exec(n->db, "COMMIT", e) < 0) {
				sqlite3_exec(n->db, "ROLLBACK", NULL, NULL, NULL);
				goto out;
			} else if (progress) {
				progress(ctx, 0, n->size); /* still emptying: nothing replayed yet */
			}
	}
	if (db_exec(n->db, "BEGIN IMMEDIATE", e) < 0)
		goto out;
	if (kinds_drop_tables(n->db, e) < 0 || kinds_create_tables(n->db, e) < 0 ||
	    db_exec(n->db, "COMMIT", e) < 0) {
		sqlite3_exec(n->db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	while (!done)
		if (rebuild_step(n, &next, step, &body, count, &done, progress, ctx, e) < 0)
			goto out;
	if (progress)
		progress(ctx, *count, n->size);
	rc = 0;
out:
	buf_release_wiped(&body);
	return rc;
}
