/*
 * libFuzzer target: the signer's request, response and signature-list decoders
 * (signer/proto.h, version 2). A decoded request or list must re-encode to the same
 * bytes (the format has one encoding).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signproto/proto.h"

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
	static struct proto_list l;
	struct err e4 = ERR_INIT;
	if (proto_decode_list(data, size, &l, &e4) == 0) {
		struct buf b;
		buf_init(&b, PROTO_PAYLOAD_MAX);
		struct err e5 = ERR_INIT;
		if (proto_encode_list(&l, &b, &e5) < 0 || b.len != size ||
		    memcmp(b.data, data, size) != 0)
			abort();
		buf_release(&b);
	}
	return 0;
}
