#include "util/cli.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"

static char **getopt_argv; /* the argv getopt was last reset for */

static void print_table(FILE *f, const char *prog, const struct cli_command *cmds)
{
	fprintf(f, "usage: %s <command> [options]\n\ncommands:\n", prog);
	for (const struct cli_command *c = cmds; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f, "\nRun '%s <command> --help' for a command's options.\n", prog);
}

int cli_dispatch(const char *prog, const struct cli_command *cmds, int argc, char **argv)
{
	if (argc < 2) {
		print_table(stderr, prog, cmds);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		print_table(stdout, prog, cmds);
		return EXIT_OK;
	}
	for (const struct cli_command *c = cmds; c->name; c++) {
		if (strcmp(c->name, name) != 0)
			continue;
		size_t n = strlen(prog) + 1 + strlen(name) + 1;
		char *full = mem_alloc(n);
		if (!full) {
			fprintf(stderr, "%s: out of memory\n", prog);
			return EXIT_FAILED;
		}
		snprintf(full, n, "%s %s", prog, name);
		char *saved = argv[1];
		argv[1] = full;
		int rc = c->fn(argc - 1, argv + 1);
		argv[1] = saved;
		mem_free(full);
		return rc;
	}
	fprintf(stderr, "%s: unknown command '%s'\n\n", prog, name);
	print_table(stderr, prog, cmds);
	return EXIT_USAGE;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	if (getopt_argv != argv) {
		getopt_argv = argv;
		optind = 0; /* GNU: full re-initialisation */
	}
	opterr = 1;
	return getopt_long(argc, argv, shortopts, longopts, NULL);
}

int cli_help(const char *usage)
{
	fputs(usage, stdout);
	return EXIT_OK;
}

int cli_usage_error(const char *prog, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun '%s --help' for usage.\n", prog);
	return EXIT_USAGE;
}

int cli_report(const char *prog, const struct err *e)
{
	fprintf(stderr, "%s: %s\n", prog, e->msg[0] ? e->msg : "failed");
	return err_exit_code(e);
}

int cli_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	if (!s || !*s || strlen(s) > 20)
		return -1;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

void cli_os_actor(char *out, size_t n)
{
	struct passwd *pw = getpwuid(geteuid());
	if (pw && pw->pw_name && *pw->pw_name)
		snprintf(out, n, "cli:%.60s", pw->pw_name);
	else
		snprintf(out, n, "cli:uid%lu", (unsigned long)geteuid());
	for (char *p = out; *p; p++)
		if (*p < 0x21 || *p > 0x7E)
			*p = '_';
}
