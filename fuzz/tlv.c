/* libFuzzer target: walks nested BER-TLVs of any input with icao/tlv (depth-limited). */
#include <stddef.h>
#include <stdint.h>

#include "icao/lds.h"
#include "icao/tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const uint8_t *p, size_t n, int depth)
{
	size_t off = 0;
	while (off < n) {
		struct tlv t;
		struct err e = ERR_INIT;
		if (tlv_read(p + off, n - off, &t, &e) < 0)
			return;
		if (t.header_len + t.len > n - off)
			__builtin_trap(); /* tlv_read promised the element fits */
		if (t.constructed && depth < 32)
			walk(t.value, t.len, depth + 1);
		off += t.header_len + t.len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	walk(data, size, 0);
	struct lds_com com;
	struct err e = ERR_INIT;
	(void)lds_parse_com(data, size, &com, &e);
	return 0;
}
