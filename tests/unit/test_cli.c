/* Unit tests of the option tables (util/cli.h): each option type, --opt=value, unknown
 * options, missing values, bad numbers, repeated options and the help made from the
 * table. Messages on stderr and stdout are captured into files of test_tmpdir(). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "util/buf.h"
#include "util/cli.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof(a)[0]) - 1)

/* Runs cli_parse with fd (1 or 2) going to a file; its text into out. */
static int parse_captured(int fd, int argc, char **argv, const struct cli_option *opts,
			  const struct cli_usage *u, int *rc, struct buf *out)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/captured-%d", test_tmpdir(), fd);
	fflush(fd == 1 ? stdout : stderr);
	int saved = dup(fd);
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(f, fd);
	close(f);
	int i = cli_parse(argc, argv, opts, u, rc);
	fflush(fd == 1 ? stdout : stderr);
	dup2(saved, fd);
	close(saved);
	buf_init(out, 1 << 16);
	buf_read_file(out, path);
	return i;
}

static const struct cli_usage usage = {
	"usage: paspor test --data DIR [--count N] FILE...\n\nA command for the tests.\n",
	"Exit status: 0 always.\n", NULL
};

struct vals {
	const char *data, *name;
	int force, mode;
	unsigned long long count;
	const char *list[8];
	struct cli_list l;
	int calls;
	const char *cb_arg;
};

static int note_call(const struct cli_option *o, const char *arg, const char *prog)
{
	struct vals *v = o->value;
	v->calls++;
	v->cb_arg = arg;
	if (arg && strcmp(arg, "no") == 0)
		return cli_usage_error(prog, "--%s: no is refused", o->long_name);
	return 0;
}

#define TABLE(v)                                                                          \
	struct cli_option opts[] = {                                                      \
		OPT_FILENAME("data", &(v).data, "DIR", "the data dir"),                   \
		OPT_STRING("name", &(v).name, "TEXT", "a name"),                          \
		OPT_BOOL("force", &(v).force, "force it"),                                \
		OPT_SET_INT("rsa", &(v).mode, 3, "mode three"),                           \
		OPT_UINT("count", &(v).count, "N", "1 to 10", 1, 10, "--count: 1 to 10"), \
		OPT_LIST("add", &(v).l, "FILE", "repeatable"),                            \
		OPT_CALLBACK("call", &(v), "ARG", "calls back", note_call),               \
		OPT_END(),                                                                \
	}

static void vals_init(struct vals *v)
{
	memset(v, 0, sizeof *v);
	v->l.v = v->list;
	v->l.max = 8;
}

TEST(cli_parse_stores_each_option_type_in_both_forms)
{
	struct vals v;
	vals_init(&v);
	TABLE(v);
	char *argv[] = { "paspor test", "--data", "/d", "one", "--name=n=1", "--force",
			 "--rsa", "--count=7", "--add", "a", "--add=b", "--call", "x", "two", NULL };
	int rc = -1;
	int i = cli_parse(ARGC(argv), argv, opts, &usage, &rc);
	CHECK_INT_EQ(rc, EXIT_OK);
	CHECK_INT_EQ(i, ARGC(argv) - 2); /* the operands, moved after the options */
	CHECK_STR_EQ(argv[i], "one");
	CHECK_STR_EQ(argv[i + 1], "two");
	CHECK_STR_EQ(v.data, "/d");
	CHECK_STR_EQ(v.name, "n=1");
	CHECK_INT_EQ(v.force, 1);
	CHECK_INT_EQ(v.mode, 3);
	CHECK_INT_EQ(v.count, 7);
	CHECK_INT_EQ(v.l.n, 2);
	CHECK_STR_EQ(v.list[0], "a");
	CHECK_STR_EQ(v.list[1], "b");
	CHECK_INT_EQ(v.calls, 1);
	CHECK_STR_EQ(v.cb_arg, "x");
}

TEST(cli_parse_repeated_option_last_wins_and_prefix_and_double_dash)
{
	struct vals v;
	vals_init(&v);
	TABLE(v);
	char *argv[] = { "paspor test", "--name", "first", "--nam", "second", "--",
			 "--force", NULL };
	int rc = -1;
	int i = cli_parse(ARGC(argv), argv, opts, &usage, &rc);
	CHECK_INT_EQ(rc, EXIT_OK);
	CHECK_STR_EQ(v.name, "second");
	CHECK_INT_EQ(v.force, 0); /* after "--": an operand */
	CHECK_INT_EQ(i, ARGC(argv) - 1);
	CHECK_STR_EQ(argv[i], "--force");
}

TEST(cli_parse_each_call_starts_over)
{
	struct vals v;
	vals_init(&v);
	TABLE(v);
	char *a1[] = { "paspor test", "--name", "x", "op", NULL };
	char *a2[] = { "paspor test", "--force", NULL };
	int rc;
	CHECK_INT_EQ(cli_parse(ARGC(a1), a1, opts, &usage, &rc), 3);
	CHECK_INT_EQ(cli_parse(ARGC(a2), a2, opts, &usage, &rc), 2);
	CHECK_INT_EQ(v.force, 1);
}

TEST(cli_parse_unknown_option_is_a_usage_error)
{
	struct vals v;
	vals_init(&v);
	TABLE(v);
	char *argv[] = { "paspor test", "--data", "d", "--frob", NULL };
	int rc = -1;
	struct buf err;
	CHECK_INT_EQ(parse_captured(2, ARGC(argv), argv, opts, &usage, &rc, &err), -1);
	CHECK_INT_EQ(rc, EXIT_USAGE);
	CHECK(strstr(buf_str(&err), "paspor test: unrecognized option '--frob'\n") != NULL);
	CHECK(strstr(buf_str(&err), "paspor test: unknown option\n"
				    "Run 'paspor test --help' for usage.\n") != NULL);
	buf_release(&err);
	/* the table's own wording, and a short option other than -h */
	const struct cli_usage u2 = { usage.text, NULL, "invalid option" };
	char *argv2[] = { "paspor test", "-x", NULL };
	CHECK_INT_EQ(parse_captured(2, ARGC(argv2), argv2, opts, &u2, &rc, &err), -1);
	CHECK_INT_EQ(rc, EXIT_USAGE);
	CHECK(strstr(buf_str(&err), "paspor test: invalid option\n") != NULL);
	buf_release(&err);
}

TEST(cli_parse_missing_value_and_value_to_a_flag_are_usage_errors)
{
	struct vals v;
	vals_init(&v);
	TABLE(v);
	char *argv[] = { "paspor test", "--data", NULL };
	int rc = -1;
	struct buf err;
	CHECK_INT_EQ(parse_captured(2, ARGC(argv), argv, opts, &usage, &rc, &err), -1);
	CHECK_INT_EQ(rc, EXIT_USAGE);
	CHECK(strstr(buf_str(&err), "option '--data' requires an argument") != NULL);
	buf_release(&err);
	char *argv2[] = { "paspor test", "--force=yes", NULL };
	CHECK_INT_EQ(parse_captured(2, ARGC(argv2), argv2, opts, &usage, &rc, &err), -1);
	CHECK_INT_EQ(rc, EXIT_USAGE);
	CHECK(strstr(buf_str(&err), "option '--force' doesn't allow an argument") != NULL);
	buf_release(&err);
}

TEST(cli_parse_bad_number_prints_the_tables_message)
{
	const char *bad[] = { "0", "11", "x", "-1", "", " 5", "5 " };
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		struct vals v;
		vals_init(&v);
		TABLE(v);
		char *argv[] = { "paspor test", "--count", (char *)bad[k], NULL };
		int rc = -1;
		struct buf err;
		int i = parse_captured(2, ARGC(argv), argv, opts, &usage, &rc, &err);
		if (i != -1 || rc != EXIT_USAGE)
			test_fail(__FILE__, __LINE__, "--count '%s' accepted", bad[k]);
		CHECK_STR_EQ(buf_str(&err), "paspor test: --count: 1 to 10\n"
					    "Run 'paspor test --help' for usage.\n");
		CHECK_INT_EQ(v.count, 0);
		buf_release(&err);
	}
}

TEST(cli_parse_callback_refusal_stops_the_parse)
{
	struct vals v;
	vals_init(&v);
	TABLE(v);
	char *argv[] = { "paspor test", "--call", "no", "--frob", NULL };
	int rc = -1;
	struct buf err;
	CHECK_INT_EQ(parse_captured(2, ARGC(argv), argv, opts, &usage, &rc, &err), -1);
	CHECK_INT_EQ(rc, EXIT_USAGE);
	/* refused where it stands: --frob is not reached */
	CHECK_STR_EQ(buf_str(&err), "paspor test: --call: no is refused\n"
				    "Run 'paspor test --help' for usage.\n");
	buf_release(&err);
}

TEST(cli_parse_list_beyond_its_room_is_refused)
{
	struct vals v;
	vals_init(&v);
	v.l.max = 1;
	TABLE(v);
	char *argv[] = { "paspor test", "--add", "a", "--add", "b", NULL };
	int rc = -1;
	struct buf err;
	CHECK_INT_EQ(parse_captured(2, ARGC(argv), argv, opts, &usage, &rc, &err), -1);
	CHECK_INT_EQ(rc, EXIT_USAGE);
	CHECK(strstr(buf_str(&err), "--add given too often") != NULL);
	buf_release(&err);
}

static const char expected_help[] =
	"usage: paspor test --data DIR [--count N] FILE...\n"
	"\n"
	"A command for the tests.\n"
	"\n"
	"  --data DIR   the data dir\n"
	"  --name TEXT  a name\n"
	"  --force      force it\n"
	"  --rsa        mode three\n"
	"  --count N    1 to 10\n"
	"  --add FILE   repeatable\n"
	"  --call ARG   calls back\n"
	"  -h, --help   show this help\n"
	"\n"
	"Exit status: 0 always.\n";

TEST(cli_help_is_made_from_the_table)
{
	struct vals v;
	vals_init(&v);
	TABLE(v);
	char *argv[] = { "paspor test", "--name", "x", "--help", "--frob", NULL };
	int rc = -1;
	struct buf out;
	CHECK_INT_EQ(parse_captured(1, ARGC(argv), argv, opts, &usage, &rc, &out), -1);
	CHECK_INT_EQ(rc, EXIT_OK);
	CHECK_STR_EQ(buf_str(&out), expected_help);
	buf_release(&out);
	char *argv2[] = { "paspor test", "-h", NULL };
	CHECK_INT_EQ(parse_captured(1, ARGC(argv2), argv2, opts, &usage, &rc, &out), -1);
	CHECK_INT_EQ(rc, EXIT_OK);
	CHECK_STR_EQ(buf_str(&out), expected_help);
	buf_release(&out);
}

TEST(cli_help_wraps_long_lines_and_long_names)
{
	const char *s = NULL;
	struct cli_option opts[] = {
		OPT_STRING("a", &s, "X", "one two three four five six seven eight nine ten eleven "
			   "twelve thirteen fourteen fifteen"),
		OPT_STRING("a-very-long-option-name", &s, "VALUE", "short"),
		OPT_END(),
	};
	const struct cli_usage u = { "usage: t\n", NULL, NULL };
	struct buf b;
	buf_init(&b, 1 << 16);
	CHECK_INT_EQ(cli_usage_format(&b, opts, &u), 0);
	CHECK_STR_EQ(buf_str(&b),
		     "usage: t\n"
		     "\n"
		     "  --a X       one two three four five six seven eight nine ten eleven twelve\n"
		     "              thirteen fourteen fifteen\n"
		     "  --a-very-long-option-name VALUE\n"
		     "              short\n"
		     "  -h, --help  show this help\n");
	const char *p = buf_str(&b);
	while (*p) {
		size_t n = strcspn(p, "\n");
		CHECK(n <= 79);
		p += n + (p[n] != 0);
	}
	buf_release(&b);
}

/* ---- command tables: a group's row runs its own table ---- */

static char group_seen[64];

static int group_leaf(int argc, char **argv)
{
	snprintf(group_seen, sizeof group_seen, "%s|%d|%s", argv[0], argc, argc > 1 ? argv[1] : "");
	return 7;
}

static const struct cli_command group_inner[] = {
	CLI_CMD("leaf", group_leaf, "a leaf two levels down"),
	CLI_CMD_END(),
};
static const struct cli_command group_outer[] = {
	CLI_CMD_GROUP("inner", group_inner, "a group in a group"),
	CLI_CMD("leaf", group_leaf, "a leaf one level down"),
	CLI_CMD_END(),
};
static const struct cli_command group_top[] = {
	CLI_CMD_GROUP("grp", group_outer, "a group"),
	CLI_CMD_END(),
};

TEST(cli_dispatch_runs_a_groups_row_with_its_full_name)
{
	char *argv[] = { "t", "grp", "leaf", "x", NULL };
	group_seen[0] = 0;
	CHECK_INT_EQ(cli_dispatch("t", group_top, ARGC(argv), argv), 7);
	CHECK_STR_EQ(group_seen, "t grp leaf|2|x");
	char *argv2[] = { "t", "grp", "inner", "leaf", NULL };
	group_seen[0] = 0;
	CHECK_INT_EQ(cli_dispatch("t", group_top, ARGC(argv2), argv2), 7);
	CHECK_STR_EQ(group_seen, "t grp inner leaf|1|");
	/* argv is as it was */
	CHECK_STR_EQ(argv2[1], "grp");
	CHECK_STR_EQ(argv2[2], "inner");
}
