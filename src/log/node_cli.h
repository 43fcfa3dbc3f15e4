/*
 * node_cli — a node for a command (git's RUN_SETUP, util/cli.h struct cli_setup): the
 * options that name a node and its key (--data, --kek-file, --passphrase-fd: OPT_NODE),
 * and opening it, for reading or for writing, in one place.
 *
 * A command that works on a node names one of the set-ups below in its row of the
 * command table:
 *
 *   { "append", NULL, "append one event", cmd_log_append, &node_cli_writer },
 *
 * and is then `int cmd(int argc, char **argv, void *ctx)`, ctx a struct node_cli made
 * empty for it. The command puts OPT_NODE(nc) (or OPT_DATA(nc)) in its option table,
 * makes its own checks, and calls node_cli_open when it needs the node: the checks of
 * the arguments come first, as before this module (a refused argument is reported even
 * when the node is locked or broken). After the command returns, the set-up stops the
 * writer, closes the node and wipes the key, whatever the command did.
 */
#ifndef PASPOR_LOG_NODE_CLI_H
#define PASPOR_LOG_NODE_CLI_H

#include "log/keys.h"
#include "log/node.h"
#include "log/writer.h"
#include "util/cli.h"
#include "util/err.h"

/* What node_cli_open does (struct cli_setup.flags). */
enum {
	NODE_CLI_KEK = 1,      /* read the key-encryption key named by the options */
	NODE_CLI_OPEN = 2,     /* open the node: for writing with NODE_CLI_KEK, else to read */
	NODE_CLI_LOG_ONLY = 4, /* the log only (node_opts.log_only: rebuild, proofs) */
	NODE_CLI_WRITER = 8,   /* start the group-commit writer on it, and fill in actor */
};

struct node_cli {
	/* from the options (OPT_NODE, OPT_DATA) */
	const char *dir, *kek_file, *fd;
	/* after node_cli_open, by flags */
	unsigned flags;
	struct kek_source kek;
	struct node node;
	struct writer *writer;
	char actor[80]; /* with the writer: cli_os_actor, whom its events name */
	int have_kek, have_node;
};

/* The set-ups for command rows. */
extern const struct cli_setup node_cli_read;    /* the node opened read-only */
extern const struct cli_setup node_cli_log;     /* read-only, its log only */
extern const struct cli_setup node_cli_key;     /* the key only (init, serve open it) */
extern const struct cli_setup node_cli_write;   /* key and node opened for writing */
extern const struct cli_setup node_cli_writer;  /* the same, with a writer started */
extern const struct cli_setup node_cli_rebuild; /* key, node opened on its log only */

/* The node options of a command's table. */
#define OPT_DATA(nc) OPT_FILENAME("data", &(nc)->dir, "DIR", "the node's data dir")
#define OPT_KEK(nc)                                                                       \
	OPT_FILENAME("kek-file", &(nc)->kek_file, "FILE",                                 \
		     "key-encryption key file, kept outside DIR: base64 of 32 bytes on one " \
		     "line, mode 0600 (make one with 'paspor office kek --out FILE')"),      \
	OPT_FD("passphrase-fd", &(nc)->fd,                                                \
	       "or read a passphrase (at least 12 characters) from file descriptor N "    \
	       "(Argon2id)")
#define OPT_NODE(nc) OPT_DATA(nc), OPT_KEK(nc)

/* Reads the key, opens the node and starts the writer as the command's set-up says
 * (node_opts_from_env applies). On failure everything done is undone; e says why. */
int node_cli_open(struct node_cli *nc, struct err *e);
/* cli_parse_no_operands, then the usage error "--data is required" without --data: 0,
 * or -1 after --help or with *rc the exit code. */
int node_cli_parse(int argc, char **argv, const struct cli_option *opts,
		   const struct cli_usage *usage, const struct node_cli *nc, int *rc);
/* For a command that writes one request: node_cli_open (a set-up with the writer),
 * writer_submit(fn, arg), node_cli_close. Returns 0, or -1 with e set by the step that
 * failed. */
int node_cli_submit(struct node_cli *nc, writer_fn fn, void *arg, struct err *e);
/* Stops the writer, closes the node and wipes the key now (the set-up does it after
 * the command otherwise); the options stay, and nc may be closed again. */
void node_cli_close(struct node_cli *nc);

#endif
