/*
 * libFuzzer target for icao/mrz: the bytes are given to mrz_parse as text; when they
 * are a JSON object, also to mrz_doc_from_json and mrz_make_td3, and then every MRZ
 * that make produces must parse with no problem at all (abort otherwise).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "icao/mrz.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = mem_alloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct mrz_parsed p;
	struct err e = ERR_INIT;
	(void)mrz_parse(text, &p, &e);
	mem_free(text);

	json_error_t je;
	json_t *obj = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (!obj)
		return 0;
	struct mrz_doc d;
	err_clear(&e);
	char mrz[2 * MRZ_TD3_LEN + 1];
	if (mrz_doc_from_json(obj, &d, &e) == 0 && mrz_make_td3(&d, mrz, &e) == 0) {
		char lines[2 * MRZ_TD3_LEN + 3];
		snprintf(lines, sizeof lines, "%.44s\n%.44s\n", mrz, mrz + MRZ_TD3_LEN);
		if (mrz_parse(lines, &p, &e) != 0 || p.nproblems != 0) {
			fprintf(stderr, "made an MRZ that does not check:\n%s%s\n", lines,
				p.nproblems ? p.problems[0].message : e.msg);
			abort();
		}
	}
	json_decref(obj);
	return 0;
}
