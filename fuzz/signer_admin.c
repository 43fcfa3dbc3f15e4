/*
 * libFuzzer target: the decoder of the signer's operator requests (signer/admin.h). A
 * decoded request must name an operator kind and re-encode to a request that decodes
 * to the same kind, subject and body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signer/admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char kind[ADMIN_KIND_MAX + 1], subject[ADMIN_SUBJECT_MAX + 1];
	json_t *body = NULL;
	struct err e = ERR_INIT;
	if (admin_decode(data, size, kind, subject, &body, &e) == 0) {
		if (!admin_kind_allowed(kind))
			abort();
		struct buf b;
		buf_init(&b, ADMIN_REQUEST_MAX * 2);
		char k2[ADMIN_KIND_MAX + 1], s2[ADMIN_SUBJECT_MAX + 1];
		json_t *b2 = NULL;
		struct err e2 = ERR_INIT;
		if (admin_encode(kind, subject, body, &b, &e2) == 0) {
			if (admin_decode(b.data, b.len, k2, s2, &b2, &e2) < 0 || strcmp(kind, k2) ||
			    strcmp(subject, s2) || !json_equal(body, b2))
				abort();
		}
		json_decref(b2);
		buf_release(&b);
		json_decref(body);
	}
	return 0;
}
