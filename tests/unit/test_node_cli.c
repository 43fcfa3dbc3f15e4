/* Unit tests of the node set-ups (log/node_cli.h) through cli_dispatch: the command
 * gets its node as its row says, opened by node_cli_open, and the set-up closes it
 * after the command (the write lock is free again). */
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "harness.h"
#include "log/node_cli.h"
#include "util/cli.h"

struct seen {
	int opened, writable, writer, actor_ok;
	char msg[256];
};
static struct seen seen;

static int run_node_cmd(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = { "usage: t cmd --data DIR\n", NULL, NULL };
	struct node_cli *nc = ctx;
	struct cli_option opts[] = { OPT_NODE(nc), OPT_END() };
	int rc;
	if (cli_parse_no_operands(argc, argv, opts, &usage, &rc) < 0)
		return rc;
	struct err e = ERR_INIT;
	if (node_cli_open(nc, &e) < 0) {
		snprintf(seen.msg, sizeof seen.msg, "%s", e.msg);
		return err_exit_code(&e);
	}
	seen.opened = 1;
	seen.writable = nc->node.writable;
	seen.writer = nc->writer != NULL;
	seen.actor_ok = strncmp(nc->actor, "cli:", 4) == 0;
	return EXIT_OK; /* the set-up closes the node */
}

static const struct cli_command cmds[] = {
	CLI_CMD_SETUP("writer", run_node_cmd, &node_cli_writer, "a writer"),
	CLI_CMD_SETUP("read", run_node_cmd, &node_cli_read, "read-only"),
	CLI_CMD_END(),
};

static int dispatch(const char *name, const char *dir, const char *kek)
{
	char *argv[] = { "t", (char *)name, "--data", (char *)dir,
			 kek ? "--kek-file" : NULL, (char *)kek, NULL };
	int argc = kek ? 6 : 4;
	memset(&seen, 0, sizeof seen);
	return cli_dispatch("t", cmds, argc, argv);
}

TEST(node_cli_setups_open_as_the_row_says_and_close_after)
{
	struct test_node t;
	CHECK(test_node_start(&t) == 0);
	test_node_stop(&t);
	CHECK_INT_EQ(dispatch("writer", t.dir, t.kek_path), EXIT_OK);
	CHECK(seen.opened && seen.writable && seen.writer && seen.actor_ok);
	/* closed by the set-up: a second writer opens (the write lock is free) */
	CHECK_INT_EQ(dispatch("writer", t.dir, t.kek_path), EXIT_OK);
	CHECK(seen.opened && seen.writer);
	CHECK_INT_EQ(dispatch("read", t.dir, NULL), EXIT_OK);
	CHECK(seen.opened && !seen.writable && !seen.writer);
	CHECK(seen.actor_ok == 0);
}

TEST(node_cli_writer_without_a_key_is_refused_before_opening)
{
	struct test_node t;
	CHECK(test_node_start(&t) == 0);
	test_node_stop(&t);
	CHECK_INT_EQ(dispatch("writer", t.dir, NULL), EXIT_USAGE);
	CHECK(!seen.opened);
	CHECK_STR_EQ(seen.msg, "give the key-encryption key: --kek-file FILE or --passphrase-fd N");
	CHECK_INT_EQ(dispatch("writer", "/nonexistent-paspor-dir", t.kek_path), EXIT_FAILED);
	CHECK(!seen.opened);
}

static int submit_calls;

static int submit_fn(struct writer_txn *tx, void *arg, struct err *e)
{
	(void)tx;
	submit_calls++;
	return *(int *)arg ? err_set(e, ERR_INPUT, "refused by the request") : 0;
}

TEST(node_cli_submit_runs_one_request_and_closes_the_node)
{
	struct test_node t;
	CHECK(test_node_start(&t) == 0);
	test_node_stop(&t);
	struct node_cli nc;
	memset(&nc, 0, sizeof nc);
	nc.dir = t.dir;
	nc.kek_file = t.kek_path;
	nc.flags = node_cli_writer.flags;
	struct err e = ERR_INIT;
	int refuse = 0;
	submit_calls = 0;
	CHECK_INT_EQ(node_cli_submit(&nc, submit_fn, &refuse, &e), 0);
	CHECK_INT_EQ(submit_calls, 1);
	CHECK(!nc.writer && !nc.have_node && !nc.have_kek);
	/* the request's error comes back, and the node is closed all the same */
	refuse = 1;
	CHECK_INT_EQ(node_cli_submit(&nc, submit_fn, &refuse, &e), -1);
	CHECK_INT_EQ(submit_calls, 2);
	CHECK_STR_EQ(e.msg, "refused by the request");
	CHECK(!nc.writer && !nc.have_node && !nc.have_kek);
	/* a node that does not open: the request is not run */
	err_clear(&e);
	nc.dir = "/nonexistent-paspor-dir";
	CHECK_INT_EQ(node_cli_submit(&nc, submit_fn, &refuse, &e), -1);
	CHECK_INT_EQ(submit_calls, 2);
	CHECK(!nc.writer && !nc.have_node && !nc.have_kek);
}
