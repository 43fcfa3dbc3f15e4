/*
 * libFuzzer target for what the HTTP wrapper (util/http) does with outside bytes before
 * a handler sees them: request-body JSON parsing, request-path decoding, route-parameter
 * validation and route matching. Properties: no crash, leak or UB; a decoded path has
 * no NUL, control byte, backslash, empty inner segment or dot segment; a parameter that
 * matched is made of [A-Za-z0-9_-] only; a parsed body is a JSON object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const patterns[] = { "/healthz", "/api/v1/bookings/{code}",
					"/api/v1/applications/{id}/photo", "/a/{x}/{y}/{z}/{w}" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = ERR_INIT;
	json_t *v = NULL;
	if (http_json_parse(data, size, &v, &e) == 0) {
		if (!json_is_object(v))
			abort();
		json_decref(v);
	}
	char out[HTTP_PATH_MAX + 1];
	err_clear(&e);
	if (size > 0 && memchr(data, 0, size) == NULL &&
	    http_path_decode((const char *)data, size, out, sizeof out, &e) == 0) {
		size_t n = strlen(out);
		if (out[0] != '/' || strstr(out, "//") || strstr(out, "/./") || strstr(out, "/../"))
			abort();
		if ((n >= 2 && strcmp(out + n - 2, "/.") == 0) || (n >= 3 && strcmp(out + n - 3, "/..") == 0))
			abort();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)out[i] < 0x21 || (unsigned char)out[i] >= 0x7f || out[i] == '\\')
				abort();
		for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
			struct http_param ps[HTTP_PARAMS_MAX];
			size_t np = 0;
			if (http_pattern_match(patterns[p], out, ps, &np) != 1)
				continue;
			for (size_t i = 0; i < np; i++)
				if (!http_param_valid(ps[i].value, strlen(ps[i].value)))
					abort();
		}
	}
	(void)http_param_valid((const char *)data, size);
	return 0;
}
