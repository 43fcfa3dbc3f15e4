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

TEST(signer_config_state_and_zone_default_when_absent)
{
	struct signer_config c;
	struct err e = ERR_INIT;
	const char *dir = conf_dir("");
	CHECK(dir != NULL);
	CHECK_INT_EQ(signer_config_load(dir, &c, &e), 0);
	CHECK_STR_EQ(c.state, "IDN");
	CHECK_STR_EQ(c.timezone, "Asia/Jakarta");
}

TEST(signer_config_state_and_zone_as_written)
{
	struct signer_config c;
	struct err e = ERR_INIT;
	const char *dir = conf_dir("state = \"D<<\";\ntimezone = \"UTC\";\n");
	CHECK(dir != NULL);
	CHECK_INT_EQ(signer_config_load(dir, &c, &e), 0);
	CHECK_STR_EQ(c.state, "D<<");
	CHECK_STR_EQ(c.timezone, "UTC");
}

TEST(signer_config_bad_state_refused)
{
	struct signer_config c;
	struct err e = ERR_INIT;
	const char *dir = conf_dir("state = \"idn\";\n");
	CHECK(dir != NULL);
	CHECK_INT_EQ(signer_config_load(dir, &c, &e), -1);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	CHECK_STR_EQ(e.msg, "signer.conf: 'state' must be 3 letters A-Z (or a 1-2 letter code "
		     "padded with '<', e.g. \"D<<\")");
}

TEST(signer_config_bad_zone_refused)
{
	struct signer_config c;
	struct err e = ERR_INIT;
	const char *dir = conf_dir("timezone = \"Mars/Olympus\";\n");
	CHECK(dir != NULL);
	CHECK_INT_EQ(signer_config_load(dir, &c, &e), -1);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	CHECK_STR_EQ(e.msg, "signer.conf: 'timezone' 'Mars/Olympus' is not a zone of "
		     "/usr/share/zoneinfo (e.g. Asia/Jakarta, UTC)");
}
