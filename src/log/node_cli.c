#include "log/node_cli.h"

#include <string.h>

int node_cli_open(struct node_cli *nc, struct err *e)
{
	if ((nc->flags & NODE_CLI_KEK) &&
	    keys_kek_from_options(&nc->kek, nc->kek_file, nc->fd, e) < 0)
		return -1;
	nc->have_kek = (nc->flags & NODE_CLI_KEK) != 0;
	if (nc->flags & NODE_CLI_OPEN) {
		struct node_opts o = { 0 };
		node_opts_from_env(&o);
		o.kek = nc->have_kek ? &nc->kek : NULL;
		o.log_only = (nc->flags & NODE_CLI_LOG_ONLY) != 0;
		if (node_open(&nc->node, nc->dir, &o, e) < 0)
			goto fail;
		nc->have_node = 1;
	}
	if (nc->flags & NODE_CLI_WRITER) {
		if (writer_start(&nc->writer, &nc->node, e) < 0)
			goto fail;
		cli_os_actor(nc->actor, sizeof nc->actor);
	}
	return 0;
fail:
	if (nc->have_node)
		node_close(&nc->node);
	if (nc->have_kek)
		keys_kek_release(&nc->kek);
	nc->have_node = nc->have_kek = 0;
	nc->writer = NULL;
	return -1;
}

void node_cli_close(struct node_cli *nc)
{
	writer_stop(nc->writer);
	if (nc->have_node)
		node_close(&nc->node);
	if (nc->have_kek)
		keys_kek_release(&nc->kek);
	nc->writer = NULL;
	nc->have_node = nc->have_kek = 0;
}

int node_cli_parse(int argc, char **argv, const struct cli_option *opts,
		   const struct cli_usage *usage, const struct node_cli *nc, int *rc)
{
	if (cli_parse_no_operands(argc, argv, opts, usage, rc) < 0)
		return -1;
	if (!nc->dir) {
		*rc = cli_usage_error(argv[0], "--data is required");
		return -1;
	}
	return 0;
}

int node_cli_submit(struct node_cli *nc, writer_fn fn, void *arg, struct err *e)
{
	int rc = node_cli_open(nc, e);
	if (rc == 0)
		rc = writer_submit(nc->writer, fn, arg, NULL, e);
	node_cli_close(nc);
	return rc;
}

static int run(const struct cli_setup *s, int (*fn)(int argc, char **argv, void *ctx), int argc,
	       char **argv)
{
	struct node_cli nc;
	memset(&nc, 0, sizeof nc);
	nc.flags = s->flags;
	int rc = fn(argc, argv, &nc);
	node_cli_close(&nc);
	return rc;
}

const struct cli_setup node_cli_read = { run, NODE_CLI_OPEN };
const struct cli_setup node_cli_log = { run, NODE_CLI_OPEN | NODE_CLI_LOG_ONLY };
const struct cli_setup node_cli_key = { run, NODE_CLI_KEK };
const struct cli_setup node_cli_write = { run, NODE_CLI_KEK | NODE_CLI_OPEN };
const struct cli_setup node_cli_writer = { run, NODE_CLI_KEK | NODE_CLI_OPEN | NODE_CLI_WRITER };
const struct cli_setup node_cli_rebuild = { run, NODE_CLI_KEK | NODE_CLI_OPEN | NODE_CLI_LOG_ONLY };
