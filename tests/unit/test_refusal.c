/*
 * Tests of office/refusal: every reason has a row (a name and a problem type), the
 * names that stand in API details keep their old text, and docs/API.md's refusal table
 * lists every reason with the status and type the table gives it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "office/refusal.h"
#include "util/buf.h"
#include "util/fs.h"

TEST(refusal_every_reason_has_a_row)
{
	CHECK(refusal_info(WF_OK) == NULL);
	CHECK(refusal_info(WF_REASON_COUNT) == NULL);
	CHECK_STR_EQ(wf_reason_name(WF_OK), "ok");
	CHECK_STR_EQ(wf_reason_name(WF_REASON_COUNT), "unknown");
	for (int r = WF_OK + 1; r < WF_REASON_COUNT; r++) {
		const struct refusal_info *ri = refusal_info((enum wf_reason)r);
		CHECK(ri != NULL);
		if (!ri)
			continue;
		CHECK(ri->name && ri->name[0]);
		CHECK(ri->detail != REFUSAL_FIXED || (ri->fixed && ri->fixed[0]));
		CHECK(ri->problem < HTTP_PROBLEM_COUNT);
		CHECK_STR_EQ(wf_reason_name((enum wf_reason)r), ri->name);
	}
}

/* The names the API shows in details ("no-stock: …") and the issuance metric counts by:
 * those of the four enums this type replaced. */
TEST(refusal_names_are_the_old_ones)
{
	CHECK_STR_EQ(wf_reason_name(WF_INVALID_STATE), "invalid-state");
	CHECK_STR_EQ(wf_reason_name(WF_NO_STOCK), "no-stock");
	CHECK_STR_EQ(wf_reason_name(WF_SIGNER_UNAVAILABLE), "signer-unavailable");
	CHECK_STR_EQ(wf_reason_name(WF_APP_HAS_BOOKLET), "application-has-booklet");
	CHECK_STR_EQ(wf_reason_name(WF_BOOKLET_EXISTS), "booklet-exists");
	CHECK_STR_EQ(wf_reason_name(WF_CLOSE_INVALID), "invalid-input");
	CHECK_STR_EQ(wf_reason_name(WF_DAY_FUTURE), "future-day");
	CHECK_STR_EQ(wf_reason_name(WF_NOTE_REQUIRED), "note-required");
	CHECK_STR_EQ(wf_reason_name(WF_DAY_CLOSED), "already-closed");
	CHECK_INT_EQ(refusal_info(WF_NOT_FOUND)->detail, REFUSAL_FIXED);
	CHECK_STR_EQ(refusal_info(WF_NOT_FOUND)->fixed, "no such application");
	CHECK_INT_EQ(refusal_info(WF_CLOSE_INVALID)->detail, REFUSAL_NAMED);
	CHECK_INT_EQ(refusal_info(WF_INVALID_INPUT)->detail, REFUSAL_MESSAGE);
}

TEST(refusal_table_matches_docs)
{
	const char *root = getenv("PASPOR_ROOT");
	char path[1024];
	snprintf(path, sizeof path, "%s/docs/API.md", root ? root : ".");
	struct buf doc;
	buf_init(&doc, 1 << 20);
	struct err e = ERR_INIT;
	int rc = fs_read_file(path, &doc, &e);
	const char *table = rc == 0 ? strstr(buf_str(&doc), "## Refusals: one table") : NULL;
	int missing = 0;
	for (int r = WF_OK + 1; table && r < WF_REASON_COUNT; r++) {
		const struct refusal_info *ri = refusal_info((enum wf_reason)r);
		const struct http_problem_info *pi = ri ? http_problem_info(ri->problem) : NULL;
		if (!pi) {
			missing++;
			continue;
		}
		/* a row "| `name` … | status | `type` |" */
		char name[80], tail[80];
		snprintf(name, sizeof name, "\n| `%s`", ri->name);
		snprintf(tail, sizeof tail, "| %d | `%s` |", pi->status, pi->slug);
		int found = 0;
		for (const char *p = strstr(table, name); p && !found; p = strstr(p + 1, name)) {
			const char *eol = strchr(p + 1, '\n');
			const char *t = strstr(p, tail);
			found = t && (!eol || t < eol);
		}
		if (!found) {
			fprintf(stderr, "docs/API.md has no refusal row %s… %s\n", name + 1, tail);
			missing++;
		}
	}
	buf_release(&doc);
	CHECK_INT_EQ(rc, 0);
	CHECK(table != NULL);
	CHECK_INT_EQ(missing, 0);
}
