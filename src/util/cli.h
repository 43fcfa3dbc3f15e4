/*
 * cli — the shared shape of every `paspor` command (git's commands[] in git.c and its
 * parse-options.h): the command tables, the option tables and the one parser that reads
 * them and prints --help from them, so that what a command accepts and what its help
 * lists cannot disagree.
 *
 * A command is a function `int cmd_<name>(int argc, char **argv)`; argv[0] is the
 * command's full name ("paspor mrz make") so messages name it. It returns the process
 * exit code: 0 success, 1 the checked thing failed (verification), 2 usage or input
 * error. A command with subcommands is a table of them, named by its row in its
 * parent's table (CLI_CMD_GROUP); cli_dispatch runs that table in turn. Every command
 * answers --help (or -h) with its usage on stdout and exit 0.
 *
 * A command that needs some set-up first (git's RUN_SETUP) names it in its row,
 * CLI_CMD_SETUP: a struct cli_setup from the layer that owns the resource (log/node_cli.h:
 * the node options and a node opened for reading or writing); the command is then
 * `run(argc, argv, ctx)` with the set-up's context, which the set-up releases after.
 *
 * To add a command: write cmd_<name> in the subsystem's cmd_*.c, declare it in
 * src/commands.h and add a row to the table in src/main.c (or in its parent's table).
 * To add an option: add a row to the command's option table (OPT_STRING and friends
 * below); the parser and the --help text both read it. docs/CLI.md has the details.
 */
#ifndef PASPOR_UTIL_CLI_H
#define PASPOR_UTIL_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "util/buf.h"
#include "util/err.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* ---- command tables ---- */

/* Set-up a command needs before it runs (git's RUN_SETUP): run makes the context, calls
 * fn(argc, argv, ctx), releases the context and returns fn's exit code. */
struct cli_setup {
	int (*run)(const struct cli_setup *s, int (*fn)(int argc, char **argv, void *ctx),
		   int argc, char **argv);
	unsigned flags; /* what to set up: meaning given by the layer that provides run */
};

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);   /* a command without set-up, or */
	const char *summary;
	int (*run)(int argc, char **argv, void *ctx); /* one that runs after setup, or */
	const struct cli_setup *setup;
	const struct cli_command *sub; /* a group: the table of its subcommands */
};

/* Rows of a command table: a plain command, one run after a set-up, a group of
 * subcommands (git's OPT_SUBCOMMAND: `paspor chip make` runs the row "make" of the
 * group "chip"'s table), the end. */
#define CLI_CMD(name, fn, summary) { (name), (fn), (summary), NULL, NULL, NULL }
#define CLI_CMD_SETUP(name, run, setup, summary) { (name), NULL, (summary), (run), (setup), NULL }
#define CLI_CMD_GROUP(name, table, summary) { (name), NULL, (summary), NULL, NULL, (table) }
#define CLI_CMD_END() { NULL, NULL, NULL, NULL, NULL, NULL }

/*
 * Runs the subcommand argv[1] of `prog` from the NULL-name-terminated table cmds (a
 * group's row: its own table, with argv[2]). Prints the table for --help, no argument,
 * or an unknown name (exit 0 / 2 / 2).
 */
int cli_dispatch(const char *prog, const struct cli_command *cmds, int argc, char **argv);

/* ---- option tables (git's parse-options) ---- */

enum cli_opt_type {
	CLI_OPT_END = 0,
	CLI_OPT_STRING,   /* const char **value = the argument (argv's memory); the last wins */
	CLI_OPT_FILENAME, /* the same, a path */
	CLI_OPT_FD,       /* the same, a file descriptor's number, checked where it is used */
	CLI_OPT_BOOL,     /* int *value = 1; takes no argument */
	CLI_OPT_SET_INT,  /* int *value = (int)min; takes no argument */
	CLI_OPT_UINT,     /* unsigned long long *value: a decimal in min..max, else `bad` */
	CLI_OPT_LIST,     /* struct cli_list *value: every occurrence appended */
	CLI_OPT_CALLBACK, /* cb(opt, arg, prog) returns 0 or an exit code (after a message);
			     takes an argument when argh is set */
};

struct cli_option {
	enum cli_opt_type type;
	const char *long_name; /* "data" for --data */
	void *value;
	const char *argh;      /* the argument's name in the help ("DIR"), NULL: none */
	const char *help;      /* one line, wrapped by the help printer */
	unsigned long long min, max; /* CLI_OPT_UINT; CLI_OPT_SET_INT: min is the value */
	const char *bad;       /* CLI_OPT_UINT: the usage error for a value not in min..max */
	int (*cb)(const struct cli_option *opt, const char *arg, const char *prog);
};

/* Where CLI_OPT_LIST appends: v has room for max entries (argc is always enough). */
struct cli_list {
	const char **v;
	size_t n, max;
};

/* The pointer casts check the value's type at compile time (a mismatch is a warning). */
#define CLI_PTR_(type, v) ((void *)(1 ? (v) : (type)NULL))
#define OPT_STRING(l, v, a, h) \
	{ CLI_OPT_STRING, (l), CLI_PTR_(const char **, v), (a), (h), 0, 0, NULL, NULL }
#define OPT_FILENAME(l, v, a, h) \
	{ CLI_OPT_FILENAME, (l), CLI_PTR_(const char **, v), (a), (h), 0, 0, NULL, NULL }
#define OPT_FD(l, v, h) { CLI_OPT_FD, (l), CLI_PTR_(const char **, v), "N", (h), 0, 0, NULL, NULL }
#define OPT_BOOL(l, v, h) { CLI_OPT_BOOL, (l), CLI_PTR_(int *, v), NULL, (h), 0, 0, NULL, NULL }
#define OPT_SET_INT(l, v, n, h) \
	{ CLI_OPT_SET_INT, (l), CLI_PTR_(int *, v), NULL, (h), (unsigned long long)(n), 0, NULL, NULL }
#define OPT_UINT(l, v, a, h, lo, hi, bad) \
	{ CLI_OPT_UINT, (l), CLI_PTR_(unsigned long long *, v), (a), (h), (lo), (hi), (bad), NULL }
#define OPT_LIST(l, v, a, h) \
	{ CLI_OPT_LIST, (l), CLI_PTR_(struct cli_list *, v), (a), (h), 0, 0, NULL, NULL }
#define OPT_CALLBACK(l, v, a, h, fn) { CLI_OPT_CALLBACK, (l), (v), (a), (h), 0, 0, NULL, (fn) }
#define OPT_END() { CLI_OPT_END, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }

/* Most options a table may hold (a table with more is refused as an internal error). */
#define CLI_OPTIONS_MAX 40

/* A command's help around its options list. */
struct cli_usage {
	const char *text;       /* "usage: ..." lines and the description, ending in "\n" */
	const char *epilogue;   /* after the options (notes, exit status), or NULL */
	const char *bad_option; /* the usage error after an unknown option (NULL: "unknown
				   option"); getopt names the option first */
};

/*
 * Parses argv (from argv[1]) with the table opts, ended by OPT_END(), through
 * getopt_long: --opt value and --opt=value, unambiguous prefixes of long names,
 * operands anywhere (moved after the options), "--" ends the options; -h and --help
 * print the help. Returns the index in argv of the first operand (argc when none), or
 * -1 with *rc set: EXIT_OK after --help, EXIT_USAGE after a usage error (an unknown
 * option, a missing argument — getopt's message then "<prog>: unknown option" and the
 * --help hint —, a bad number, or a callback's refusal).
 */
int cli_parse(int argc, char **argv, const struct cli_option *opts, const struct cli_usage *u,
	      int *rc);

/* cli_parse for a command that takes no operands: one left over is the usage error
 * "unexpected argument 'X'". Returns 0, or -1 with *rc set as cli_parse does. */
int cli_parse_no_operands(int argc, char **argv, const struct cli_option *opts,
			  const struct cli_usage *u, int *rc);

/* Formats the help: u->text, the options list made from opts (then -h, --help), and
 * u->epilogue. Returns 0, or -1 when out reaches its cap. */
int cli_usage_format(struct buf *out, const struct cli_option *opts, const struct cli_usage *u);
/* Prints it on f; returns EXIT_OK. */
int cli_usage_print(FILE *f, const struct cli_option *opts, const struct cli_usage *u);

/* ---- messages ---- */

/* Prints "<prog>: <message>" on stderr, then a usage hint; returns 2. */
int cli_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "<prog>: <message of e>" on stderr; returns err_exit_code(e). */
int cli_report(const char *prog, const struct err *e);

/* Parses a non-negative decimal integer (no sign, no spaces) up to max; -1 if invalid. */
int cli_parse_uint(const char *s, unsigned long long max, unsigned long long *out);

/* The actor of events a command appends on behalf of whoever runs it: "cli:<effective OS
 * user>" ("cli:uid<N>" when the user has no passwd entry), at most 64 bytes of printable
 * ASCII without spaces, into out (n >= 72). Never a name taken from the command line:
 * an operator cannot write under an officer's name (docs/LOG.md). */
void cli_os_actor(char *out, size_t n);

#endif
