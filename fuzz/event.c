/*
 * libFuzzer target for the event contract (docs/EVENTS.md): feeds the bytes to
 * canon_check and to event_decode, and opens decoded events with a fixed key (the
 * seeds in fuzz/corpus/event are sealed with it). Beyond crashes it checks the
 * one-encoding properties and aborts when they fail:
 *   - a canonical body parsed and rewritten by canon_from_json gives the same bytes;
 *   - a decoded event written back by event_write gives the same bytes;
 *   - an opened body is canonical.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log/canon.h"
#include "log/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_key[EVENT_KEY_BYTES] = {
	0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x66, 0x6f, 0x72, 0x2d, 0x70, 0x61, 0x73,
	0x70, 0x6f, 0x72, 0x2d, 0x65, 0x76, 0x65, 0x6e, 0x74, 0x73, 0x2d, 0x30, 0x30, 0x30, 0x30, 0x31,
};

static void check_body(const uint8_t *data, size_t size)
{
	json_t *v;
	if (canon_parse(data, size, &v, NULL) < 0)
		return;
	struct buf b;
	buf_init(&b, 0);
	if (canon_from_json(v, &b, NULL) < 0 || b.len != size || memcmp(b.data, data, size))
		abort(); /* canonical input must be its own canonical form */
	buf_release(&b);
	json_decref(v);
}

static void check_event(const uint8_t *data, size_t size)
{
	struct event ev;
	if (event_decode(data, size, &ev, NULL) < 0)
		return;
	struct buf b;
	buf_init(&b, 0);
	if (event_write(&ev, &b, NULL) < 0 || b.len != size || memcmp(b.data, data, size))
		abort(); /* encode(decode(x)) == x */
	buf_reset(&b);
	if (event_open(&ev, fuzz_key, &b, NULL) == 0 && canon_check(b.data, b.len, NULL) < 0)
		abort();
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_body(data, size);
	check_event(data, size);
	return 0;
}
