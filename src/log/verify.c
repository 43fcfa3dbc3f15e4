/*
 * verify — whole-log verification without keys (see verify.h).
 */
#include "log/verify.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log/event.h"
#include "log/node.h"
#include "log/note.h"
#include "log/store.h"
#include "util/buf.h"
#include "util/alloc.h"
#include "util/fs.h"

/* The compact range [0, size): complete subtree roots, largest first. */
struct range {
	uint64_t size;
	size_t n;
	uint8_t hash[64][MERKLE_HASH_LEN];
	unsigned height[64];
};

static int range_push(struct range *r, const uint8_t leaf[MERKLE_HASH_LEN], struct err *e)
{
	memcpy(r->hash[r->n], leaf, MERKLE_HASH_LEN);
	r->height[r->n++] = 0;
	while (r->n >= 2 && r->height[r->n - 1] == r->height[r->n - 2]) {
		if (merkle_node_hash(r->hash[r->n - 2], r->hash[r->n - 1], r->hash[r->n - 2], e) < 0)
			return -1;
		r->height[r->n - 2]++;
		r->n--;
	}
	r->size++;
	return 0;
}

static int range_root(const struct range *r, uint8_t out[MERKLE_HASH_LEN], struct err *e)
{
	if (r->n == 0) {
		merkle_empty_root(out);
		return 0;
	}
	memcpy(out, r->hash[r->n - 1], MERKLE_HASH_LEN);
	for (size_t i = r->n - 1; i-- > 0;)
		if (merkle_node_hash(r->hash[i], out, out, e) < 0)
			return -1;
	return 0;
}

/* Checks one signed checkpoint against the stored tree; returns its size and root. */
static int check_checkpoint(struct node *n, const uint8_t *note, size_t len, const char *what,
			    uint64_t *size, uint8_t root[MERKLE_HASH_LEN], struct err *e)
{
	struct checkpoint c;
	if (node_parse_checkpoint(n, note, len, what, &c, e) < 0)
		return -1;
	*size = c.size;
	memcpy(root, c.root, MERKLE_HASH_LEN);
	checkpoint_release(&c);
	if (*size > n->size)
		return err_set(e, ERR_VERIFY, "%s has size %" PRIu64 " but the log holds only %" PRIu64
			       " events (events were deleted or the database truncated)",
			       what, *size, n->size);
	uint8_t have[MERKLE_HASH_LEN];
	if (tlog_root(&n->tlog, *size, have, e) < 0) {
		err_prefix(e, "%s", what);
		e->code = ERR_VERIFY;
		return -1;
	}
	if (memcmp(have, root, MERKLE_HASH_LEN) != 0)
		return err_set(e, ERR_VERIFY, "%s: the stored tree's root at size %" PRIu64
			       " differs from the signed one", what, *size);
	return 0;
}

int log_verify(struct node *n, const struct verify_opts *o, struct verify_result *res,
	       struct err *e)
{
	memset(res, 0, sizeof *res);
	struct store_cursor c = { 0 };
	struct buf file;
	buf_init(&file, NOTE_MAX_LEN);
	int rc = -1;
	char what[64];
	uint64_t file_size = 0, last_cp = 0;
	uint8_t file_root[MERKLE_HASH_LEN];
	int have_file = 0, have_cp = 0;

	/* 1. each checkpoint against the stored tree (tiles) */
	if (store_checkpoints_open(&n->store, &c, e) < 0)
		goto out;
	for (;;) {
		uint64_t key, size;
		const uint8_t *d;
		size_t len;
		uint8_t root[MERKLE_HASH_LEN];
		int r = store_cursor_next(&c, &key, &d, &len, e);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		snprintf(what, sizeof what, "checkpoint %" PRIu64, key);
		if (check_checkpoint(n, d, len, what, &size, root, e) < 0)
			goto out;
		if (size != key) {
			err_set(e, ERR_VERIFY, "checkpoint %" PRIu64 " is stored under size %" PRIu64,
				size, key);
			goto out;
		}
		res->checkpoints++;
		last_cp = size;
		have_cp = 1;
	}
	store_cursor_close(&c);
	if (n->size > 0 && (!have_cp || last_cp != n->size)) {
		err_set(e, ERR_VERIFY, "events %" PRIu64 "… are not covered by a signed checkpoint "
			"(the latest covers %" PRIu64 ")", have_cp ? last_cp : 0, last_cp);
		goto out;
	}
	if (fs_read_file(n->checkpoint_path, &file, e) == 0) {
		if (check_checkpoint(n, file.data, file.len, n->checkpoint_path, &file_size,
				     file_root, e) < 0)
			goto out;
		have_file = 1;
	} else if (n->size > 0) {
		e->code = ERR_VERIFY;
		goto out;
	} else {
		err_clear(e);
	}

	/* 2. events, streamed, against the tiles and (rebuilt) against the checkpoints */
	struct store_cursor cps = { 0 };
	if (store_checkpoints_open(&n->store, &cps, e) < 0)
		goto out;
	uint64_t next_cp = UINT64_MAX;
	const uint8_t *cpd;
	size_t cplen;
	uint8_t cp_root[MERKLE_HASH_LEN];
#define NEXT_CP()                                                                       \
	do {                                                                            \
		int r_ = store_cursor_next(&cps, &next_cp, &cpd, &cplen, e);           \
		if (r_ < 0)                                                             \
			goto out2;                                                      \
		if (r_ == 0) {                                                          \
			next_cp = UINT64_MAX;                                           \
		} else {                                                                \
			struct checkpoint k_;                                           \
			if (node_parse_checkpoint(n, cpd, cplen, "checkpoint", &k_, e) < 0) \
				goto out2;                                              \
			memcpy(cp_root, k_.root, MERKLE_HASH_LEN);                      \
			checkpoint_release(&k_);                                        \
		}                                                                       \
	} while (0)
	NEXT_CP();
	struct range *rg = mem_calloc(1, sizeof *rg);
	if (!rg) {
		err_nomem(e);
		goto out2;
	}
	if (store_events_open(&n->store, 0, &c, e) < 0)
		goto out3;
	int64_t last_time = 0;
	for (;;) {
		uint64_t seq;
		const uint8_t *d;
		size_t len;
		int r = store_cursor_next(&c, &seq, &d, &len, e);
		if (r < 0)
			goto out3;
		if (r == 0)
			break;
		uint64_t want = rg->size;
		if (seq != want) {
			err_set(e, ERR_VERIFY, "event %" PRIu64 " is missing (the next stored is %" PRIu64
				")", want, seq);
			goto out3;
		}
		struct event ev;
		if (event_decode(d, len, &ev, e) < 0) {
			err_prefix(e, "event %" PRIu64, seq);
			e->code = ERR_VERIFY;
			goto out3;
		}
		if (ev.seq != seq || strcmp(ev.origin, n->origin) != 0) {
			err_set(e, ERR_VERIFY, "event %" PRIu64 ": its envelope says seq %" PRIu64
				" of origin '%s' (moved or foreign event)", seq, ev.seq, ev.origin);
			goto out3;
		}
		if (ev.time_ms < last_time) {
			err_set(e, ERR_VERIFY, "event %" PRIu64 ": time goes backwards", seq);
			goto out3;
		}
		last_time = ev.time_ms;
		uint8_t leaf[MERKLE_HASH_LEN], tile_leaf[MERKLE_HASH_LEN];
		if (merkle_leaf_hash(d, len, leaf, e) < 0)
			goto out3;
		if (seq < n->size) {
			if (tlog_node_hash(&n->tlog, 0, seq, tile_leaf, e) < 0) {
				err_prefix(e, "event %" PRIu64, seq);
				e->code = ERR_VERIFY;
				goto out3;
			}
			if (memcmp(leaf, tile_leaf, MERKLE_HASH_LEN) != 0) {
				err_set(e, ERR_VERIFY, "event %" PRIu64 ": its bytes do not match the leaf "
					"hash committed by the signed checkpoints (altered event)", seq);
				goto out3;
			}
		}
		if (range_push(rg, leaf, e) < 0)
			goto out3;
		uint8_t root[MERKLE_HASH_LEN];
		int at_cp = rg->size == next_cp, at_file = have_file && rg->size == file_size;
		if (at_cp || at_file) {
			if (range_root(rg, root, e) < 0)
				goto out3;
			if (at_cp && memcmp(root, cp_root, MERKLE_HASH_LEN) != 0) {
				err_set(e, ERR_VERIFY, "checkpoint %" PRIu64 ": the events' root differs "
					"from the signed one", next_cp);
				goto out3;
			}
			if (at_file && memcmp(root, file_root, MERKLE_HASH_LEN) != 0) {
				err_set(e, ERR_VERIFY, "'%s': the events' root at size %" PRIu64
					" differs from the signed one", n->checkpoint_path, file_size);
				goto out3;
			}
			if (at_cp)
				NEXT_CP();
		}
		if (o && o->progress && (rg->size & 4095) == 0)
			o->progress(o->ctx, rg->size, n->size);
	}
	if (rg->size != n->size || next_cp != UINT64_MAX) {
		err_set(e, ERR_VERIFY, "the log ends at %" PRIu64 " events but checkpoint %" PRIu64
			" was signed", rg->size, next_cp == UINT64_MAX ? n->size : next_cp);
		goto out3;
	}
	if (range_root(rg, res->root, e) < 0)
		goto out3;
	res->events = rg->size;
	if (o && o->progress)
		o->progress(o->ctx, rg->size, n->size);
	/* 3. hooks (blobs) */
	if (o && o->extra && o->extra(n, o->ctx, e) < 0)
		goto out3;
	rc = 0;
out3:
	mem_free(rg);
out2:
	store_cursor_close(&cps);
#undef NEXT_CP
out:
	store_cursor_close(&c);
	buf_release(&file);
	return rc;
}
