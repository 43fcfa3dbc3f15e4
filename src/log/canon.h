/*
 * canon — the one canonical form of an event body (docs/EVENTS.md, "Canonical body").
 *
 * An event body is UTF-8 JSON in the form jansson's json_dumps(JSON_COMPACT |
 * JSON_SORT_KEYS) writes: a top-level object; object keys unique and sorted by byte
 * order; no whitespace outside strings; integers only, within ±(2^53 − 1) (no fractions,
 * no exponents, no -0); true, false and null allowed; every string and key in Unicode
 * NFC without U+0000; escapes exactly as jansson writes them (\" \\ \b \f \n \r \t,
 * \u00XX with upper-case hex for other control characters, everything else raw — so
 * "é" is written raw and "\u00e9" is rejected, "/" is raw and "\/" is rejected).
 *
 * Since the Merkle leaf hash covers the stored bytes, one body has exactly one byte
 * form. Non-canonical input is rejected with a message naming what is wrong ("keys not
 * sorted at .a", "duplicate key 'x'", "string at .name is not NFC", "number at .fee is
 * not an integer", "whitespace outside strings at byte 4"); it is never rewritten.
 * Messages name keys and byte offsets but never quote string values (bodies hold
 * personal data).
 *
 * Errors: ERR_INPUT for non-canonical or invalid input, ERR_NOMEM when memory is short.
 *
 * jansson allocates with its own allocator. The first call into this module (or
 * canon_init) points it at mem_alloc/mem_free (util/alloc.h) with json_set_alloc_funcs,
 * process-wide, so allocation-failure tests reach jansson too; the allocation side is a
 * thin wrapper that notes a failure, because jansson reports most of them as syntax
 * errors. Values a caller built with jansson before that are still freed correctly
 * (mem_free is free()). A module that sets other jansson allocators breaks this.
 */
#ifndef PASPOR_LOG_CANON_H
#define PASPOR_LOG_CANON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/buf.h"
#include "util/err.h"

/* Cap on a canonical body in clear: a sealed body (24-byte nonce, 16-byte tag) then
 * fits in EVENT_BODY_MAX = 1 MiB (log/event.h). */
#define CANON_MAX (((size_t)1 << 20) - 40)

/* Largest integer magnitude allowed in a body: 2^53 − 1 (exact in an IEEE double). */
#define CANON_INT_MAX 9007199254740991LL

/* Points jansson's allocator at mem_alloc (wrapped) and mem_free. Idempotent and thread-safe; the
 * other functions call it themselves. */
void canon_init(void);

/* 0 if p[0..n) is a canonical body; -1 with e set (ERR_INPUT saying what is wrong,
 * ERR_NOMEM) otherwise. */
int canon_check(const uint8_t *p, size_t n, struct err *e);

/* As canon_check, and on success hands the parsed value to *out (the caller
 * json_decref's it). On failure *out is NULL. */
int canon_parse(const uint8_t *p, size_t n, json_t **out, struct err *e);

/* Appends the canonical bytes of v (built in code) to out. Fails with ERR_INPUT when
 * v is not an object or holds a real, an integer out of range, a string or key that is
 * not valid UTF-8, holds U+0000 or is not NFC, or when the result exceeds CANON_MAX; on
 * failure out is left as it was. v is only read. */
int canon_from_json(const json_t *v, struct buf *out, struct err *e);

/* canon_from_json without parsing its result back through canon_check: the same walk
 * (types, integer range, UTF-8, NFC, no U+0000) writing the canonical bytes as it goes
 * (canon.c, "Writing"), so they are canonical by construction — the re-parse only
 * guards against our writer and jansson's dump disagreeing, which the unit tests
 * (test_canon.c) and the event fuzz target check. For the writer's hot path
 * (log/writer.h, writer_txn_append_json), where the re-parse was the largest per-event
 * cost. */
int canon_write(const json_t *v, struct buf *out, struct err *e);

#endif
