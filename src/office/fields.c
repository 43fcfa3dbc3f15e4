/*
 * fields — shared value checks (see fields.h).
 */
#include "office/fields.h"

#include <string.h>

#include "office/auth.h"

int field_note_ok(const char *s, size_t max)
{
	size_t n = 0;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F)
			return 0;
		n += (c & 0xC0) != 0x80;
	}
	return n >= 1 && n <= max;
}

int field_principal_ok(const char *a)
{
	if (!a || strlen(a) > 200)
		return 0;
	const char *rest = strncmp(a, "officer:", 8) == 0 ? a + 8
			   : strncmp(a, "cli:", 4) == 0 ? a + 4 : NULL;
	if (!rest || !*rest || (rest == a + 8 && !auth_username_valid(rest)))
		return 0;
	for (const char *p = a; *p; p++)
		if (*p <= 0x20 || *p >= 0x7F)
			return 0;
	return 1;
}
