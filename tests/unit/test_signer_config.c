/*
 * Unit tests for reading signer.conf (signer/signer.h signer_config_load): the optional
 * state and timezone take their defaults when absent, the values written when valid,
 * and a value that is not valid is refused with its own message (the state's names no
 * value, the zone's names the zone).
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "signer/signer.h"
#include "util/err.h"

/* Writes DIR/signer.conf with the required settings and extra; returns DIR. */
static const char *conf_dir(const char *extra)
{
	const char *dir = test_tmpdir();
	char path[512];
	snprintf(path, sizeof path, "%s/signer.conf", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return NULL;
	fprintf(f, "module = \"/usr/lib/softhsm/libsofthsm2.so\";\ntoken = \"ds\";\n"
		"key_label = \"ds\";\npin_file = \"pin\";\nper_minute = 60;\nper_day = 1000;\n"
		"warn_days = 30;\n%s", extra);
	fclose(f);
	return dir;
}

/* Each case: what signer.conf adds to the required settings, then the state and zone
 * read, or the refusal's message. */
static const struct {
	const char *extra, *state, *zone, *msg;
} cases[] = {
	{ "", "IDN", "Asia/Jakarta", NULL },
	{ "state = \"D<<\";\ntimezone = \"UTC\";\n", "D<<", "UTC", NULL },
	{ "state = \"idn\";\n", NULL, NULL,
	  "signer.conf: 'state' must be 3 letters A-Z (or a 1-2 letter code padded with '<', "
	  "e.g. \"D<<\")" },
	{ "timezone = \"Mars/Olympus\";\n", NULL, NULL,
	  "signer.conf: 'timezone' 'Mars/Olympus' is not a zone of /usr/share/zoneinfo "
	  "(e.g. Asia/Jakarta, UTC)" },
};

TEST(signer_config_state_and_zone_defaults_values_and_refusals)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct signer_config c;
		struct err e = ERR_INIT;
		const char *dir = conf_dir(cases[i].extra);
		CHECK(dir != NULL);
		int rc = signer_config_load(dir, &c, &e);
		if (cases[i].msg) {
			CHECK_INT_EQ(rc, -1);
			CHECK_INT_EQ(e.code, ERR_INPUT);
			CHECK_STR_EQ(e.msg, cases[i].msg);
		} else {
			CHECK_INT_EQ(rc, 0);
			CHECK_STR_EQ(c.state, cases[i].state);
			CHECK_STR_EQ(c.timezone, cases[i].zone);
		}
	}
}
