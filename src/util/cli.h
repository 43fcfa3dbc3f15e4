/*
 * cli — the shared shape of every `paspor` command (git's commands[] in git.c).
 *
 * A command is a function `int cmd_<name>(int argc, char **argv)`; argv[0] is the
 * command's full name ("paspor mrz make") so getopt messages name it. It returns the
 * process exit code: 0 success, 1 the checked thing failed (verification), 2 usage or
 * input error. Commands with subcommands hand over to cli_dispatch with their own
 * table. Every command answers --help (or -h) with its usage on stdout and exit 0.
 *
 * To add a command: write cmd_<name> in the subsystem's cmd_*.c, declare it in
 * src/commands.h and add a row to the table in src/main.c (or in its parent's table).
 */
#ifndef PASPOR_UTIL_CLI_H
#define PASPOR_UTIL_CLI_H

#include <getopt.h>
#include <stddef.h>

#include "util/err.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/*
 * Runs the subcommand argv[1] of `prog` from the NULL-name-terminated table cmds.
 * Prints the table for --help, no argument, or an unknown name (exit 0 / 2 / 2).
 */
int cli_dispatch(const char *prog, const struct cli_command *cmds, int argc, char **argv);

/*
 * getopt_long with Paspor's conventions: call with the command's options (which must
 * include {"help", no_argument, NULL, 'h'}); returns as getopt_long does. Resets getopt
 * on the first call for each argv. Unknown options and missing arguments come back as
 * '?' after a message on stderr.
 */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);

/* Prints usage text on stdout and returns 0. */
int cli_help(const char *usage);
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
