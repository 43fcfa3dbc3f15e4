/* libFuzzer target: the NIK parser and checker, identity references and the booking-code
 * parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "office/bookcode.h"
#include "office/nik.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct nik_info info;
	if (nik_parse(s, size, &info) == NIK_OK) {
		if (size != NIK_LEN || !nik_province_known(info.province) || info.serial == 0)
			__builtin_trap();
		struct cal_date b = { 2000 + info.yy, info.month, info.day };
		if (!cal_date_valid(b.year, b.month, b.day))
			b.year -= 100;
		if (nik_check(s, size, &b, info.female ? 'F' : 'M', NULL) != NIK_OK)
			__builtin_trap(); /* its own date and sex must agree */
	}
	if (size >= 3) {
		struct cal_date b = { 1900 + data[0] % 200, 1 + data[1] % 12, 1 + data[2] % 31 };
		(void)nik_check(s + 3, size - 3, &b, (char)data[0], NULL);
	}
	char canon[BOOKCODE_CANON_SIZE], again[BOOKCODE_CANON_SIZE], text[BOOKCODE_TEXT_SIZE];
	if (bookcode_parse(s, size, canon) == BOOKCODE_OK) {
		if (strlen(canon) != BOOKCODE_SYMBOLS)
			__builtin_trap();
		bookcode_format(canon, text);
		if (bookcode_parse(text, strlen(text), again) != BOOKCODE_OK ||
		    strcmp(again, canon) != 0)
			__builtin_trap();
	}
	/* identity reference from three NUL-separated fields */
	char buf[256];
	if (size < sizeof buf) {
		memcpy(buf, data, size);
		buf[size] = '\0';
		const char *f1 = buf;
		const char *f2 = f1 + strlen(f1) + (f1 + strlen(f1) < buf + size ? 1 : 0);
		const char *f3 = f2 + strlen(f2) + (f2 + strlen(f2) < buf + size ? 1 : 0);
		char ref[IDREF_MAX];
		struct err e = ERR_INIT;
		if (nik_identity_ref(f1, f2, f3, ref, &e) == 0 &&
		    (!nik_is_identity_ref(ref) || nik_parse(ref, strlen(ref), NULL) == NIK_OK))
			__builtin_trap();
	}
	return 0;
}
