/*
 * office/config: the default file checks OK; a table of broken files, each made from the
 * default by one edit, must report the expected setting path and message at the line
 * the edit is on (found by searching the text, independently of libconfig); several
 * problems are all reported; unknown settings, @include and NUL bytes are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "office/config.h"
#include "util/alloc.h"
#include "util/buf.h"

static const char origin[] = "kanim-samarinda.imigrasi.go.id";

static int default_text(struct buf *b)
{
	struct err e = ERR_INIT;
	buf_init(b, 1 << 20);
	return config_default_text(b, origin, "Kantor Imigrasi \"Samarinda\"", &e);
}

/* The 1-based line on which needle first occurs in text, 0 if absent. */
static int line_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);
	if (!p)
		return 0;
	int line = 1;
	for (const char *q = text; q < p; q++)
		line += *q == '\n';
	return line;
}

/* text with the first `from` replaced by `to`, into out. */
static int edit(const char *text, const char *from, const char *to, struct buf *out)
{
	const char *p = strstr(text, from);
	if (!p)
		return -1;
	buf_init(out, 1 << 20);
	buf_add(out, text, (size_t)(p - text));
	buf_addstr(out, to);
	buf_addstr(out, p + strlen(from));
	return buf_ok(out) ? 0 : -1;
}

TEST(config_default_checks_ok)
{
	struct buf b;
	CHECK(default_text(&b) == 0);
	struct config c;
	struct buf problems;
	buf_init(&problems, 1 << 16);
	struct err e = ERR_INIT;
	int rc = config_parse(buf_str(&b), b.len, "paspor.conf", &c, &problems, &e);
	if (rc != 0)
		test_fail(__FILE__, __LINE__, "default config: %s", buf_str(&problems));
	CHECK(rc == 0);
	CHECK_INT_EQ(problems.len, 0);
	CHECK_STR_EQ(c.office_code, "KANIM-SAMARINDA");
	CHECK_STR_EQ(c.office_name, "Kantor Imigrasi \"Samarinda\"");
	CHECK_STR_EQ(c.timezone, "Asia/Jakarta");
	CHECK_INT_EQ(c.consular_post, 0);
	CHECK_INT_EQ(c.nslots, 6);
	CHECK_INT_EQ(c.slots[0].start_min, 8 * 60);
	CHECK_INT_EQ(c.slots[0].end_min, 9 * 60);
	CHECK_INT_EQ(c.slots[0].quota, 20);
	CHECK_INT_EQ(c.working_days, 0x3e); /* Monday..Friday */
	CHECK_INT_EQ(c.nholidays, 5);
	CHECK_INT_EQ(c.holidays[3].month, 8);
	CHECK_INT_EQ(c.holidays[3].day, 17);
	CHECK_STR_EQ(c.currency, "IDR");
	CHECK_INT_EQ(c.ntypes, 2);
	CHECK(config_passport_type(&c, "electronic-48") != NULL);
	CHECK_INT_EQ(config_passport_type(&c, "electronic-48")->fee, 65000000);
	CHECK_INT_EQ(config_passport_type(&c, "electronic-48")->electronic, 1);
	CHECK(config_passport_type(&c, "diplomatic") == NULL);
	CHECK_INT_EQ(config_validity_years(&c, 16), 5);
	CHECK_INT_EQ(config_validity_years(&c, 17), 10);
	CHECK_INT_EQ(c.personalize_on_pending, 0);
	CHECK_INT_EQ(c.ratelimit.booking_per_ip_per_minute, 10);
	CHECK_INT_EQ(c.ratelimit.booking_per_nik_per_day, 5);
	CHECK_INT_EQ(c.ratelimit.status_per_ip_per_minute, 30);
	CHECK_INT_EQ(c.ratelimit.disabled, 0);
	buf_release(&problems);
	buf_release(&b);
}

struct broken {
	const char *what, *from, *to;
	const char *path;     /* expected setting path ("" for syntax) */
	const char *fragment; /* expected in the message */
	int line_offset;      /* -1: no line number expected; else added to from's line */
};

static const struct broken broken_cases[] = {
	{ "misspelt time zone", "\"Asia/Jakarta\"", "\"Asia/Jakrta\"", "office.timezone",
	  "unknown time zone 'Asia/Jakrta'", 0 },
	{ "time zone path escape", "\"Asia/Jakarta\"", "\"../../etc/passwd\"",
	  "office.timezone", "not an IANA zone name", 0 },
	{ "unknown setting in a group", "consular_post = false;",
	  "consular_post = false; consular = true;", "office.consular", "unknown setting", 0 },
	{ "boolean given as a string", "consular_post = false;", "consular_post = \"no\";",
	  "office.consular_post", "must be true or false", 0 },
	{ "lower-case office code", "code = \"KANIM-SAMARINDA\"", "code = \"kanim\"",
	  "office.code", "A-Z, 0-9", 0 },
	{ "slot ends before it starts", "end = \"09:00\"; quota = 20; },\n    { start = \"09:00\"",
	  "end = \"07:30\"; quota = 20; },\n    { start = \"09:00\"", "booking.slots[0].end",
	  "must be later than start 08:00", 0 },
	{ "overlapping slots", "{ start = \"09:00\"", "{ start = \"08:30\"",
	  "booking.slots[1].start", "overlaps", 0 },
	{ "bad slot time", "{ start = \"10:00\"", "{ start = \"10.00\"", "booking.slots[2].start",
	  "must be a time", 0 },
	{ "quota as a string", "quota = 15; },\n    { start = \"13:00\"",
	  "quota = \"15\"; },\n    { start = \"13:00\"", "booking.slots[3].quota",
	  "must be an integer", 0 },
	{ "unknown slot field", "quota = 15; }\n", "quota = 15; qouta = 3; }\n",
	  "booking.slots[5].qouta", "unknown setting", 0 },
	{ "holiday that is no date", "\"2026-06-01\"", "\"2026-02-30\"", "booking.holidays[2]",
	  "must be a date", 0 },
	{ "holiday listed twice", "\"2026-08-17\"", "\"2026-05-01\"", "booking.holidays[3]",
	  "2026-05-01 listed twice", 0 },
	{ "working day misspelt", "\"mon\", \"tue\"", "\"monday\", \"tue\"",
	  "booking.working_days[0]", "must be one of", 0 },
	{ "days_ahead zero", "days_ahead = 30;", "days_ahead = 0;", "booking.days_ahead",
	  "between 1 and 366", 0 },
	{ "missing days_ahead", "  days_ahead = 30;", "", "booking.days_ahead",
	  "missing setting", -1 /* reported at "booking = {", checked separately */ },
	{ "currency not ISO 4217", "currency = \"IDR\"", "currency = \"Rp\"", "fees.currency",
	  "ISO 4217", 0 },
	{ "negative fee", "fee = 35000000", "fee = -1", "fees.passport_types[0].fee",
	  "between 0 and", 0 },
	{ "passport type defined twice", "code = \"electronic-48\"", "code = \"ordinary-48\"",
	  "fees.passport_types[1].code", "defined twice", 0 },
	{ "validity too long", "adult_years = 10;", "adult_years = 15;", "validity.adult_years",
	  "between 1 and 10", 0 },
	{ "minors longer than adults", "adult_years = 10;\n  minor_years = 5;",
	  "adult_years = 5;\n  minor_years = 7;", "validity.minor_years",
	  "must not exceed validity.adult_years", 1 },
	{ "payment policy as a number", "personalize_on_pending = false;",
	  "personalize_on_pending = 0;", "payment.personalize_on_pending",
	  "must be true or false", 0 },
	{ "rate limit zero", "status_per_ip_per_minute = 30;", "status_per_ip_per_minute = 0;",
	  "ratelimit.status_per_ip_per_minute", "between 1 and", 0 },
	{ "disabled as a string", "table_entries = 65536;",
	  "table_entries = 65536; disabled = \"yes\";", "ratelimit.disabled",
	  "must be true or false", 0 },
	{ "doubled equals sign", "minor_years = 5;", "minor_years = = 5;", "",
	  "syntax error", 0 },
	{ "string where no value can be", "payment = {", "payment = { \"x\"", "",
	  "syntax error: unexpected string", 0 },
	{ "confirmation code of 5 digits", "code_digits = 6;", "code_digits = 5;",
	  "confirmation.code_digits", "between 6 and 9", 0 },
	{ "unknown e-mail sender", "email_sender = \"spool\";", "email_sender = \"sms\";",
	  "confirmation.email_sender", "must be \"spool\", \"smtp\" or \"none\"", 0 },
	{ "SMTP in clear text to a remote relay", "email_sender = \"spool\";",
	  "email_sender = \"smtp\"; smtp_url = \"smtp://mail.example.go.id:25\";"
	  " smtp_tls = \"none\"; smtp_from = \"a@kanim.example.go.id\";",
	  "confirmation.smtp_tls", "clear text", 0 },
	{ "smtps:// with STARTTLS", "email_sender = \"spool\";",
	  "email_sender = \"smtp\"; smtp_url = \"smtps://mail.example.go.id:465\";"
	  " smtp_tls = \"starttls\"; smtp_from = \"a@kanim.example.go.id\";",
	  "confirmation.smtp_tls", "\"implicit\"", 0 },
	{ "SMTP user without a password file", "email_sender = \"spool\";",
	  "email_sender = \"smtp\"; smtp_url = \"smtps://mail.example.go.id:465\";"
	  " smtp_tls = \"implicit\"; smtp_from = \"a@kanim.example.go.id\"; smtp_user = \"x\";",
	  "confirmation", "go together", -1 },
	{ "gateway over http:// to a remote host", "phone_sender = \"spool\";",
	  "phone_sender = \"http\"; http_url = \"http://gateway.example/send\";",
	  "confirmation.http_url", "clear text", 0 },
	{ "gateway URL that is no http(s)", "phone_sender = \"spool\";",
	  "phone_sender = \"http\"; http_url = \"ftp://gateway.example/send\";",
	  "confirmation.http_url", "must start with https://", 0 },
	/* the last string of the file, so that no later quote closes it */
	{ "string not closed", "# http_ca_file = \"gateway-ca.pem\";",
	  "http_ca_file = \"gateway-ca.pem;", "", "syntax error: string not closed", 0 },
	{ "unterminated group", "payment = {", "payment = {{", "", "syntax error", 0 },
	{ "@include refused", "payment = {", "@include \"/etc/passwd\"\npayment = {", "",
	  "@include is not allowed", 0 },
};

TEST(config_broken_table)
{
	struct buf def;
	CHECK(default_text(&def) == 0);
	for (size_t i = 0; i < sizeof broken_cases / sizeof broken_cases[0]; i++) {
		const struct broken *t = &broken_cases[i];
		struct buf text, problems;
		if (edit(buf_str(&def), t->from, t->to, &text) < 0) {
			test_fail(__FILE__, __LINE__, "%s: edit not applicable", t->what);
			buf_release(&def);
			return;
		}
		buf_init(&problems, 1 << 16);
		struct config c;
		struct err e = ERR_INIT;
		int rc = config_parse(buf_str(&text), text.len, "paspor.conf", &c, &problems, &e);
		/* the line that starts with FILE:LINE: PATH: must contain the fragment */
		char want[300];
		if (t->line_offset >= 0)
			snprintf(want, sizeof want, "paspor.conf:%d: %s%s",
				 line_of(buf_str(&def), t->from) + t->line_offset, t->path,
				 t->path[0] ? ": " : "");
		else
			snprintf(want, sizeof want, "%s: ", t->path);
		const char *hit = strstr(buf_str(&problems), want);
		const char *eol = hit ? strchr(hit, '\n') : NULL;
		const char *frag = hit ? strstr(hit, t->fragment) : NULL;
		int good = rc == -1 && e.code == ERR_INPUT && hit && eol && frag && frag < eol;
		printf("%s unit: config broken: %s%s%s\n", good ? "ok" : "FAIL", t->what,
		       good ? "" : ": got ", good ? "" : buf_str(&problems));
		if (!good)
			test_fail(__FILE__, __LINE__, "%s: wanted \"%s...%s\"", t->what, want,
				  t->fragment);
		buf_release(&text);
		buf_release(&problems);
	}
	buf_release(&def);
}

TEST(config_missing_setting_at_group_line)
{
	struct buf def, text, problems;
	CHECK(default_text(&def) == 0);
	CHECK(edit(buf_str(&def), "  days_ahead = 30;", "", &text) == 0);
	buf_init(&problems, 1 << 16);
	struct config c;
	struct err e = ERR_INIT;
	CHECK(config_parse(buf_str(&text), text.len, "paspor.conf", &c, &problems, &e) < 0);
	char want[100];
	snprintf(want, sizeof want, "paspor.conf:%d: booking.days_ahead: missing setting\n",
		 line_of(buf_str(&def), "booking = {"));
	CHECK_STR_EQ(buf_str(&problems), want);
	buf_release(&def);
	buf_release(&text);
	buf_release(&problems);
}

TEST(config_all_problems_reported)
{
	struct buf def, t1, t2, t3, problems;
	CHECK(default_text(&def) == 0);
	CHECK(edit(buf_str(&def), "\"Asia/Jakarta\"", "\"Mars/Olympus\"", &t1) == 0);
	CHECK(edit(buf_str(&t1), "currency = \"IDR\"", "currency = \"idr\"", &t2) == 0);
	CHECK(edit(buf_str(&t2), "ratelimit = {", "ratelimits = {", &t3) == 0);
	buf_init(&problems, 1 << 16);
	struct config c;
	struct err e = ERR_INIT;
	CHECK(config_parse(buf_str(&t3), t3.len, "x.conf", &c, &problems, &e) < 0);
	const char *p = buf_str(&problems);
	int lines = 0;
	for (const char *q = p; *q; q++)
		lines += *q == '\n';
	CHECK_INT_EQ(lines, 4);
	CHECK(strstr(p, "office.timezone: unknown time zone 'Mars/Olympus'"));
	CHECK(strstr(p, "fees.currency: must be an ISO 4217"));
	CHECK(strstr(p, "ratelimits: unknown setting"));
	CHECK(strstr(p, "x.conf: ratelimit: missing setting\n")); /* top level: no line */
	CHECK(strstr(e.msg, "and 3 more problems"));
	buf_release(&def);
	buf_release(&t1);
	buf_release(&t2);
	buf_release(&t3);
	buf_release(&problems);
}

TEST(config_nul_byte_and_empty_file)
{
	struct buf problems;
	buf_init(&problems, 1 << 16);
	struct config c;
	struct err e = ERR_INIT;
	static const char text[] = "office = {\n code = \"A\0B\"; };\n";
	CHECK(config_parse(text, sizeof text - 1, "n.conf", &c, &problems, &e) < 0);
	CHECK(strstr(buf_str(&problems), "n.conf:2: the file contains a NUL byte"));
	buf_reset(&problems);
	err_clear(&e);
	CHECK(config_parse("", 0, "e.conf", &c, &problems, &e) < 0);
	CHECK(strstr(buf_str(&problems), "e.conf: office: missing setting"));
	buf_release(&problems);
}

TEST(config_write_default_and_load)
{
	const char *dir = test_tmpdir();
	struct err e = ERR_INIT;
	CHECK(config_write_default(dir, origin, NULL, &e) == 0);
	CHECK(config_write_default(dir, origin, NULL, &e) < 0); /* never overwrites */
	char *path = config_path(dir);
	struct config c;
	err_clear(&e);
	int rc = config_load(path, &c, NULL, &e);
	if (rc < 0)
		test_fail(__FILE__, __LINE__, "%s", e.msg);
	CHECK(rc == 0);
	CHECK_STR_EQ(c.office_name, origin);
	mem_free(path);
	err_clear(&e);
	CHECK(config_load("/nonexistent/paspor.conf", &c, NULL, &e) < 0);
	CHECK_INT_EQ(e.code, ERR_IO);
}

TEST(config_ratelimits_lifted_needs_env)
{
	struct config c;
	memset(&c, 0, sizeof c);
	unsetenv(CONFIG_LOAD_TEST_ENV);
	CHECK_INT_EQ(config_ratelimits_lifted(&c, 1), 0); /* not disabled in the file */
	c.ratelimit.disabled = 1;
	CHECK_INT_EQ(config_ratelimits_lifted(&c, 0), 0); /* file alone is not enough */
	CHECK_INT_EQ(config_ratelimits_lifted(&c, 1), 1);
	setenv(CONFIG_LOAD_TEST_ENV, "yes", 1);
	CHECK_INT_EQ(config_ratelimits_lifted(&c, 0), 0);
	setenv(CONFIG_LOAD_TEST_ENV, "1", 1);
	CHECK_INT_EQ(config_ratelimits_lifted(&c, 0), 1);
	unsetenv(CONFIG_LOAD_TEST_ENV);
}
