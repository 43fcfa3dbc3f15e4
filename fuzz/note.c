/*
 * libFuzzer target for the signed-note, checkpoint and key parsers (log/note).
 * Properties: no crash, leak or UB on any input; a note that parses formats back to the
 * same bytes; a checkpoint text that parses formats back to the same text; a verifier
 * key that parses formats back to the same string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log/note.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = ERR_INIT;
	struct note n;
	struct buf b;
	buf_init(&b, 4 * (size_t)NOTE_MAX_LEN);
	if (note_parse(&n, data, size, &e) == 0) {
		if (note_format(&n, &b, &e) != 0 || b.len != size || memcmp(b.data, data, size) != 0)
			abort(); /* parse and format disagree */
		struct checkpoint c;
		err_clear(&e);
		if (checkpoint_parse(&c, n.text, n.text_len, &e) == 0) {
			buf_reset(&b);
			if (checkpoint_format(&c, &b, &e) != 0 || b.len != n.text_len ||
			    memcmp(b.data, n.text, n.text_len) != 0)
				abort();
			checkpoint_release(&c);
		}
		note_release(&n);
	}
	/* the whole input as a checkpoint text and as a key string */
	struct checkpoint c;
	err_clear(&e);
	if (checkpoint_parse(&c, (const char *)data, size, &e) == 0)
		checkpoint_release(&c);
	if (size < 1024) {
		char *s = mem_strndup((const char *)data, size);
		struct note_verifier v;
		err_clear(&e);
		if (s && strlen(s) == size && note_verifier_parse(&v, s, &e) == 0) {
			buf_reset(&b);
			if (note_verifier_format(&v, &b, &e) != 0 || strcmp(buf_str(&b), s) != 0)
				abort();
			note_verifier_release(&v);
		}
		mem_free(s);
	}
	buf_release(&b);
	return 0;
}
