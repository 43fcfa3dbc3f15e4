#include "util/cli.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"

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
		int rc = c->sub ? cli_dispatch(full, c->sub, argc - 1, argv + 1)
			 : c->setup ? c->setup->run(c->setup, c->run, argc - 1, argv + 1)
				    : c->fn(argc - 1, argv + 1);
		argv[1] = saved;
		mem_free(full);
		return rc;
	}
	fprintf(stderr, "%s: unknown command '%s'\n\n", prog, name);
	print_table(stderr, prog, cmds);
	return EXIT_USAGE;
}

/* ---- options ---- */

static int takes_argument(const struct cli_option *o)
{
	switch (o->type) {
	case CLI_OPT_BOOL:
	case CLI_OPT_SET_INT: return 0;
	case CLI_OPT_CALLBACK: return o->argh != NULL;
	default: return 1;
	}
}

/* Stores one occurrence of o (with its argument arg, or NULL); 0 or an exit code. */
static int apply(const struct cli_option *o, const char *arg, const char *prog)
{
	switch (o->type) {
	case CLI_OPT_STRING:
	case CLI_OPT_FILENAME:
	case CLI_OPT_FD:
		*(const char **)o->value = arg;
		return 0;
	case CLI_OPT_BOOL:
		*(int *)o->value = 1;
		return 0;
	case CLI_OPT_SET_INT:
		*(int *)o->value = (int)o->min;
		return 0;
	case CLI_OPT_UINT: {
		unsigned long long v;
		if (cli_parse_uint(arg, o->max, &v) < 0 || v < o->min)
			return cli_usage_error(prog, "%s", o->bad);
		*(unsigned long long *)o->value = v;
		return 0;
	}
	case CLI_OPT_LIST: {
		struct cli_list *l = o->value;
		if (l->n >= l->max)
			return cli_usage_error(prog, "--%s given too often", o->long_name);
		l->v[l->n++] = arg;
		return 0;
	}
	case CLI_OPT_CALLBACK:
		return o->cb(o, arg, prog);
	case CLI_OPT_END:
		break;
	}
	return EXIT_USAGE;
}

int cli_parse(int argc, char **argv, const struct cli_option *opts, const struct cli_usage *u,
	      int *rc)
{
	enum { HELP = 'h', FIRST = 256 };
	struct option lo[CLI_OPTIONS_MAX + 2];
	size_t n = 0;
	for (const struct cli_option *o = opts; o->type != CLI_OPT_END; o++, n++) {
		if (n == CLI_OPTIONS_MAX) {
			fprintf(stderr, "%s: internal error: more than %d options\n", argv[0],
				CLI_OPTIONS_MAX);
			*rc = EXIT_FAILED;
			return -1;
		}
		lo[n] = (struct option){ o->long_name, takes_argument(o) ? required_argument
									: no_argument,
					 NULL, FIRST + (int)n };
	}
	lo[n++] = (struct option){ "help", no_argument, NULL, HELP };
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	optind = 0; /* GNU: full re-initialisation, for each argv */
	opterr = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == HELP) {
			*rc = cli_usage_print(stdout, opts, u);
			return -1;
		}
		if (c < FIRST) {
			*rc = cli_usage_error(argv[0], "%s",
					      u->bad_option ? u->bad_option : "unknown option");
			return -1;
		}
		int r = apply(&opts[c - FIRST], optarg, argv[0]);
		if (r != 0) {
			*rc = r;
			return -1;
		}
	}
	*rc = EXIT_OK;
	return optind;
}

int cli_parse_no_operands(int argc, char **argv, const struct cli_option *opts,
			  const struct cli_usage *u, int *rc)
{
	int i = cli_parse(argc, argv, opts, u, rc);
	if (i < 0)
		return -1;
	if (i < argc) {
		*rc = cli_usage_error(argv[0], "unexpected argument '%s'", argv[i]);
		return -1;
	}
	return 0;
}

/* ---- help ---- */

#define HELP_WIDTH 79
#define HELP_COLUMN_MAX 24

/* Appends text from column col on, wrapped at HELP_WIDTH on spaces; *at is the column
 * the line has reached. */
static void add_wrapped(struct buf *b, const char *text, size_t col, size_t *at)
{
	const char *p = text + strspn(text, " ");
	while (*p) {
		size_t word = strcspn(p, " ");
		if (*at > col && *at + 1 + word > HELP_WIDTH) {
			buf_addch(b, '\n');
			*at = 0;
		}
		if (*at < col) {
			buf_addf(b, "%*s", (int)(col - *at), "");
			*at = col;
		} else if (*at > col) {
			buf_addch(b, ' ');
			(*at)++;
		}
		buf_add(b, p, word);
		*at += word;
		p += word;
		p += strspn(p, " ");
	}
}

static void add_option(struct buf *b, const char *name, const char *argh, const char *help,
		       size_t col)
{
	size_t start = b->len;
	buf_addf(b, "  %s%s%s", name, argh ? " " : "", argh ? argh : "");
	size_t at = b->len - start;
	if (at + 2 > col) { /* too long for the column: the help starts on the next line */
		buf_addch(b, '\n');
		at = 0;
	}
	add_wrapped(b, help ? help : "", col, &at);
	buf_addch(b, '\n');
}

int cli_usage_format(struct buf *out, const struct cli_option *opts, const struct cli_usage *u)
{
	size_t col = strlen("  -h, --help");
	for (const struct cli_option *o = opts; o->type != CLI_OPT_END; o++) {
		size_t w = 4 + strlen(o->long_name) + (o->argh ? 1 + strlen(o->argh) : 0);
		if (w > col && w <= HELP_COLUMN_MAX)
			col = w;
	}
	col += 2;
	buf_addstr(out, u->text);
	buf_addch(out, '\n');
	char name[64];
	for (const struct cli_option *o = opts; o->type != CLI_OPT_END; o++) {
		snprintf(name, sizeof name, "--%s", o->long_name);
		add_option(out, name, o->argh, o->help, col);
	}
	add_option(out, "-h, --help", NULL, "show this help", col);
	if (u->epilogue) {
		buf_addch(out, '\n');
		buf_addstr(out, u->epilogue);
	}
	return buf_ok(out) ? 0 : -1;
}

int cli_usage_print(FILE *f, const struct cli_option *opts, const struct cli_usage *u)
{
	struct buf b;
	buf_init(&b, 1 << 16);
	cli_usage_format(&b, opts, u);
	fputs(buf_str(&b), f);
	buf_release(&b);
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
