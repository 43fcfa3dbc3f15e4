/*
 * test_issue — the pure rules of issuance (workflow.h): expiry dates by the office's
 * validity rules and the split of a full name into MRZ identifiers. The HTTP flow is
 * tests/integration/office_issue.sh.
 */
#include <string.h>

#include "harness.h"
#include "office/config.h"
#include "office/workflow.h"
#include "util/buf.h"

static void load_default(struct config *c)
{
	struct buf b;
	buf_init(&b, CONFIG_MAX_FILE_SIZE);
	struct err e = ERR_INIT;
	CHECK(config_default_text(&b, "test.office", NULL, &e) == 0);
	CHECK(config_parse(buf_str(&b), b.len, "paspor.conf", c, NULL, &e) == 0);
	buf_release(&b);
}

TEST(issue_expiry_by_age_and_calendar)
{
	struct config c;
	load_default(&c); /* adult from 17: 10 years; minors 5 */
	CHECK(c.issuance.configured);
	CHECK_STR_EQ(c.issuance.issuing_state, "IDN");
	char out[11];
	static const struct { const char *issue, *birth, *want; } t[] = {
		{ "2026-11-29", "1990-05-14", "2036-11-29" }, /* adult */
		{ "2026-11-29", "2009-11-29", "2036-11-29" }, /* 17 today: adult */
		{ "2026-11-29", "2009-11-30", "2031-11-29" }, /* 17 tomorrow: minor */
		{ "2028-02-29", "1980-01-01", "2038-02-28" }, /* 29 Feb in a common year */
		{ "2028-02-29", "2020-01-01", "2033-02-28" },
		{ "2026-11-29", "1990-XX-XX", "2036-11-29" },
		{ "2026-11-29", "2009-XX-XX", "2031-11-29" }, /* maybe not 17 yet: minor */
		{ "2026-11-29", "XXXX-XX-XX", "2031-11-29" }, /* unknown year: minor */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		CHECK_INT_EQ(wf_expiry_date(&c, t[i].issue, t[i].birth, out), 0);
		CHECK_STR_EQ(out, t[i].want);
	}
	CHECK_INT_EQ(wf_expiry_date(&c, "2026-13-01", "1990-01-01", out), -1);
	CHECK_INT_EQ(wf_expiry_date(&c, "2026-11-29", "1990", out), -1);
}

TEST(issue_name_split)
{
	char s[64], g[64];
	wf_split_name("Dewi Ayu Sari", s, sizeof s, g, sizeof g);
	CHECK_STR_EQ(s, "Sari");
	CHECK_STR_EQ(g, "Dewi Ayu");
	wf_split_name("Sukarno", s, sizeof s, g, sizeof g);
	CHECK_STR_EQ(s, "Sukarno");
	CHECK_STR_EQ(g, "");
	wf_split_name("  Siti   Nurhaliza  ", s, sizeof s, g, sizeof g);
	CHECK_STR_EQ(s, "Nurhaliza");
	CHECK_STR_EQ(g, "Siti");
}
