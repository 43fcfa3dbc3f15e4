/*
 * Tests of office/roles: the role × action table against docs/ROLES.md (the document
 * must hold exactly the generated table), names, and separation of duties.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "office/roles.h"
#include "util/buf.h"
#include "util/fs.h"

#define BEGIN "<!-- roles-table:begin (generated: paspor office user roles) -->\n"
#define END "<!-- roles-table:end -->"

TEST(roles_table_matches_docs)
{
	const char *root = getenv("PASPOR_ROOT");
	char path[1024];
	snprintf(path, sizeof path, "%s/docs/ROLES.md", root ? root : ".");
	struct buf doc, gen;
	buf_init(&doc, 1 << 20);
	buf_init(&gen, 1 << 20);
	struct err e = ERR_INIT;
	int rc = fs_read_file(path, &doc, &e);
	roles_table_markdown(&gen);
	const char *b = rc == 0 ? strstr(buf_str(&doc), BEGIN) : NULL;
	const char *en = b ? strstr(b, END) : NULL;
	int same = b && en && (size_t)(en - b - strlen(BEGIN)) == gen.len &&
		   memcmp(b + strlen(BEGIN), gen.data, gen.len) == 0;
	if (!same && b && en)
		fprintf(stderr, "docs/ROLES.md differs; the table is:\n%s", buf_str(&gen));
	buf_release(&doc);
	buf_release(&gen);
	CHECK_INT_EQ(rc, 0);
	CHECK(b != NULL);
	CHECK(en != NULL);
	CHECK(same);
}

TEST(roles_names_round_trip)
{
	for (int r = 0; r < ROLE_COUNT; r++) {
		enum role got;
		CHECK(roles_parse(roles_name((enum role)r), &got, NULL) == 0);
		CHECK_INT_EQ(got, r);
	}
	for (int a = 0; a < ACT_COUNT; a++) {
		enum action got;
		CHECK(roles_action_parse(roles_action_name((enum action)a), &got, NULL) == 0);
		CHECK_INT_EQ(got, a);
		CHECK(roles_action_mask((enum action)a) != 0); /* someone may do every action */
	}
	CHECK(roles_name(ROLE_COUNT) == NULL);
	struct err e = ERR_INIT;
	unsigned m;
	CHECK(roles_parse_list("adjudicator,auditor", &m, &e) == 0);
	CHECK_INT_EQ(m, ROLE_BIT(ROLE_ADJUDICATOR) | ROLE_BIT(ROLE_AUDITOR));
	CHECK(roles_parse_list("", &m, NULL) < 0);
	CHECK(roles_parse_list("registrar,", &m, NULL) < 0);
	CHECK(roles_parse_list("registrar,registrar", &m, NULL) < 0);
	CHECK(roles_parse_list("root", &m, &e) < 0);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	struct buf b;
	buf_init(&b, 256);
	roles_format_list(ROLE_BIT(ROLE_AUDITOR) | ROLE_BIT(ROLE_REGISTRAR), &b);
	CHECK_STR_EQ(buf_str(&b), "registrar,auditor");
	buf_release(&b);
}

TEST(roles_design_rules)
{
	/* DESIGN §3 and issue 4, stated independently of the table */
	CHECK(roles_allowed(ROLE_BIT(ROLE_ADJUDICATOR), ACT_APPROVE));
	CHECK(!roles_allowed(ROLE_BIT(ROLE_REGISTRAR), ACT_APPROVE));
	CHECK(!roles_allowed(ROLE_BIT(ROLE_INTERVIEWER), ACT_APPROVE));
	CHECK(roles_allowed(ROLE_BIT(ROLE_REGISTRAR), ACT_BOOKING_WALK_IN));
	CHECK(roles_allowed(ROLE_BIT(ROLE_OFFICE_ADMIN), ACT_WATCHLIST_ADD));
	CHECK(roles_allowed(ROLE_BIT(ROLE_OFFICE_ADMIN), ACT_USERS_MANAGE));
	CHECK(roles_allowed(ROLE_BIT(ROLE_ADJUDICATOR), ACT_WATCHLIST_OVERRIDE));
	CHECK(roles_allowed(ROLE_BIT(ROLE_PRINTER_OPERATOR), ACT_PERSONALIZE));
	CHECK(roles_allowed(ROLE_BIT(ROLE_ISSUING_OFFICER), ACT_HAND_OVER));
	/* the auditor reads only */
	static const enum action reads[] = { ACT_APPLICATION_VIEW, ACT_APPLICATION_SEARCH,
					     ACT_APPLICATION_HISTORY, ACT_AUDIT_VIEW,
					     ACT_BOOKLET_VIEW, ACT_DAILY_CLOSE_VIEW };
	for (int a = 0; a < ACT_COUNT; a++) {
		int read = 0;
		for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
			read |= reads[i] == (enum action)a;
		CHECK_INT_EQ(roles_allowed(ROLE_BIT(ROLE_AUDITOR), (enum action)a), read);
	}
	CHECK(!roles_allowed(0, ACT_APPLICATION_VIEW));
	CHECK(roles_allowed(ROLES_ALL, ACT_DAILY_CLOSE));
}

TEST(roles_separation_of_duties)
{
	const struct roles_history h[] = {
		{ "rina", ACT_CHECK_IN },
		{ "rina", ACT_ENROL_PHOTO },
		{ "sari", ACT_ENROL_FINGERPRINTS },
		{ "iwan", ACT_INTERVIEW },
		{ "ayu", ACT_APPLICATION_VIEW },
	};
	size_t n = sizeof h / sizeof h[0];
	struct err e = ERR_INIT;
	CHECK(roles_sod_check("ayu", ACT_APPROVE, h, n, &e) == 0);
	CHECK(roles_sod_check("ayu", ACT_REJECT, h, n, &e) == 0);
	CHECK(roles_sod_check("rina", ACT_APPROVE, h, n, &e) < 0);
	CHECK_INT_EQ(e.code, ERR_VERIFY);
	CHECK(strstr(e.msg, "separation of duties") != NULL);
	CHECK(roles_sod_check("sari", ACT_REJECT, h, n, NULL) < 0);
	CHECK(roles_sod_check("iwan", ACT_APPROVE, h, n, NULL) < 0);
	CHECK(roles_sod_check("iwan", ACT_WATCHLIST_OVERRIDE, h, n, NULL) < 0);
	/* checking in is not enrolling */
	const struct roles_history h2[] = { { "rina", ACT_CHECK_IN }, { "ayu", ACT_APPROVE },
					    { "prn", ACT_PERSONALIZE } };
	CHECK(roles_sod_check("rina", ACT_APPROVE, h2, 1, NULL) == 0);
	/* later: the approver neither personalizes nor hands over; QC is a second person */
	CHECK(roles_sod_check("ayu", ACT_PERSONALIZE, h2, 3, NULL) < 0);
	CHECK(roles_sod_check("ayu", ACT_HAND_OVER, h2, 3, NULL) < 0);
	CHECK(roles_sod_check("prn", ACT_QUALITY_CHECK, h2, 3, NULL) < 0);
	CHECK(roles_sod_check("tono", ACT_QUALITY_CHECK, h2, 3, NULL) == 0);
	CHECK(roles_sod_check("prn", ACT_HAND_OVER, h2, 3, NULL) == 0);
	/* no history: nothing forbids */
	CHECK(roles_sod_check("rina", ACT_APPROVE, NULL, 0, NULL) == 0);
}
