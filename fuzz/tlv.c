/*
 * libFuzzer target: walks nested BER-TLVs of any input with icao/tlv (depth-limited),
 * once with tlv_read (definite lengths) and once with tlv_read_ber (indefinite ones too).
 */
#include <stddef.h>
#include <stdint.h>

#include "icao/lds.h"
#include "icao/tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const uint8_t *p, size_t n, int depth, int ber)
{
	size_t off = 0;
	while (off < n) {
		struct tlv t;
		struct err e = ERR_INIT;
		if ((ber ? tlv_read_ber(p + off, n - off, &t, &e) : tlv_read(p + off, n - off, &t, &e)) < 0)
			return;
		if (tlv_ber_size(&t) > n - off || (!ber && t.indefinite))
			__builtin_trap(); /* tlv_read promised the element fits */
		if (t.indefinite && (t.len > n - off - t.header_len - 2 ||
				     t.value[t.len] != 0 || t.value[t.len + 1] != 0))
			__builtin_trap(); /* and ends with its end-of-contents */
		if (t.constructed && depth < 32)
			walk(t.value, t.len, depth + 1, ber);
		off += tlv_ber_size(&t);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	walk(data, size, 0, 0);
	walk(data, size, 0, 1);
	struct lds_com com;
	struct err e = ERR_INIT;
	(void)lds_parse_com(data, size, &com, &e);
	return 0;
}
