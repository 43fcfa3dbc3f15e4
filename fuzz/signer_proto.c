/*
 * libFuzzer target: the signer's request decoder (signer/proto.h). A decoded request
 * must re-encode to the same bytes (the format has one encoding).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signer/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_request r;
	struct err e = ERR_INIT;
	if (proto_decode_request(data, size, &r, &e) == 0) {
		struct buf b;
		buf_init(&b, PROTO_FRAME_MAX);
		struct err e2 = ERR_INIT;
		if (proto_encode_request(&r, &b, &e2) < 0 || b.len != size ||
		    memcmp(b.data, data, size) != 0)
			abort();
		buf_release(&b);
	}
	struct proto_response s;
	struct err e3 = ERR_INIT;
	(void)proto_decode_response(data, size, &s, &e3);
	return 0;
}
