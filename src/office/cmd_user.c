/*
 * `paspor office user` — officers of an office node (office/officers.h, docs/AUTH.md).
 *
 *   paspor office user add --data DIR --username U --role ROLE[,ROLE…] [--name TEXT]
 *                          (--kek-file F | --passphrase-fd N)
 *   paspor office user list --data DIR
 *   paspor office user disable --data DIR --username U [--reason TEXT] (KEK)
 *   paspor office user passwd --data DIR --username U (KEK)
 *   paspor office user totp-reset --data DIR --username U (KEK)
 *   paspor office user roles          the role × action table of docs/ROLES.md
 *
 * Passwords are read from standard input (one line; echo off on a terminal), never from
 * argv. The events' actor is "cli:<OS user>" (the effective user running the command).
 * These commands take the data dir's write lock: while `office serve` runs, officers
 * are managed through the API instead.
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "log/keys.h"
#include "log/node.h"
#include "log/node_cli.h"
#include "log/writer.h"
#include "office/auth.h"
#include "office/officers.h"
#include "office/roles.h"
#include "util/buf.h"
#include "util/cli.h"
#include "util/err.h"

#define TOTP_ISSUER "Paspor"

/* Parses argv with opts and makes the checks every subcommand shares; returns -1 after
 * --help or with *rc set to the exit code of a usage error. */
static int parse(int argc, char **argv, const struct cli_option *opts,
		 const struct cli_usage *usage, const struct node_cli *nc, int *rc)
{
	if (node_cli_parse(argc, argv, opts, usage, nc, rc) < 0)
		return -1;
	if (nc->fd && strcmp(nc->fd, "0") == 0) {
		*rc = cli_usage_error(argv[0], "--passphrase-fd 0 is standard input, which "
				      "carries the password: use another descriptor");
		return -1;
	}
	return 0;
}

#define OPT_USERNAME(v) OPT_STRING("username", v, "U", "the officer's username")

/* passwd, totp-reset: the node options and --username, which is required */
static int parse_username_only(int argc, char **argv, const struct cli_usage *usage,
			       struct node_cli *nc, const char **username, int *rc)
{
	struct cli_option opts[] = { OPT_NODE(nc), OPT_USERNAME(username), OPT_END() };
	if (parse(argc, argv, opts, usage, nc, rc) < 0)
		return -1;
	if (!*username) {
		*rc = cli_usage_error(argv[0], "--username is required");
		return -1;
	}
	return 0;
}

/* One officer operation (officers.h), unchecked (the CLI's messages), by the actor of
 * the command line, through a writer on the node: 0, or -1 with e set. */
static int submit(struct node_cli *nc, writer_fn fn, struct officer_op *op, struct err *e)
{
	op->hdr.actor = nc->actor;
	return node_cli_submit(nc, fn, op, e);
}

/* Reads one line from stdin with the terminal's echo off; *pw is sodium_malloc'd. */
static int read_password(const char *prompt, char **pw, struct err *e)
{
	struct termios old, quiet;
	int tty = isatty(0) && tcgetattr(0, &old) == 0;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &quiet);
	}
	int rc = keys_read_passphrase_fd(0, pw, e);
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (rc < 0) {
		err_prefix(e, "password");
		return -1;
	}
	size_t n = strlen(*pw);
	if (n && (*pw)[n - 1] == '\r')
		(*pw)[n - 1] = 0;
	if (auth_password_acceptable(*pw, e) < 0) {
		keys_free_passphrase(*pw);
		*pw = NULL;
		return -1;
	}
	return 0;
}

/* Hashes the password read from stdin into hash. */
static int password_hash(char hash[AUTH_HASH_MAX], struct err *e)
{
	char *pw = NULL;
	if (read_password("new password: ", &pw, e) < 0)
		return -1;
	struct auth *a = NULL;
	int rc = auth_new(&a, NULL, NULL, e);
	if (rc == 0)
		rc = auth_password_hash(a, pw, hash, e);
	auth_free(a);
	keys_free_passphrase(pw);
	return rc;
}

static int cmd_user_add(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor office user add --data DIR --username U --role ROLE[,ROLE...]\n"
		"                              [--name TEXT] (--kek-file FILE | --passphrase-fd N)\n"
		"\n"
		"Adds an officer (event officer.added). The password is read from standard input\n"
		"(one line, at least 12 characters; never give it as an argument). Roles:\n"
		"registrar, interviewer, adjudicator, printer_operator, issuing_officer,\n"
		"booklet_custodian, office_admin, auditor, cashier (docs/ROLES.md). Adjudicators\n"
		"and office admins get a TOTP secret: its otpauth:// URI and base32 secret are\n"
		"printed once, here, for enrolment in an authenticator app.\n",
		"Exit status: 0 added, 1 the node refused (guards, I/O), 2 usage error, bad\n"
		"password or role, or the username exists.\n",
		NULL
	};
	struct node_cli *nc = ctx;
	struct { const char *username, *role, *name; } u = { NULL, NULL, NULL };
	struct cli_option opts[] = {
		OPT_NODE(nc),
		OPT_STRING("username", &u.username, "U", "[a-z][a-z0-9._-]{0,31}, unique in the "
			   "office"),
		OPT_STRING("role", &u.role, "ROLE[,ROLE...]", "the officer's roles"),
		OPT_STRING("name", &u.name, "TEXT", "display name (default: the username)"),
		OPT_END(),
	};
	int rc = 0;
	if (parse(argc, argv, opts, &usage, nc, &rc) < 0)
		return rc;
	if (!u.username || !u.role)
		return cli_usage_error(argv[0], "--username and --role are required");
	if (!auth_username_valid(u.username))
		return cli_usage_error(argv[0], "--username must be [a-z][a-z0-9._-]{0,31}");
	if (u.name && (strlen(u.name) == 0 || strlen(u.name) > 200))
		return cli_usage_error(argv[0], "--name must be 1 to 200 bytes");
	struct err e = ERR_INIT;
	unsigned roles;
	if (roles_parse_list(u.role, &roles, &e) < 0) {
		err_prefix(&e, "--role");
		return cli_report(argv[0], &e);
	}
	char hash[AUTH_HASH_MAX];
	if (password_hash(hash, &e) < 0)
		return cli_report(argv[0], &e);
	char secret[AUTH_TOTP_SECRET_MAX + 1] = "";
	int totp = (roles & ROLES_NEED_TOTP) != 0;
	if (totp && auth_totp_new_secret(secret, &e) < 0)
		return cli_report(argv[0], &e);
	struct officer_op op = { .username = u.username, .roles = roles, .name = u.name,
				 .password_hash = hash, .totp_secret = totp ? secret : NULL };
	rc = submit(nc, officer_add, &op, &e);
	sodium_memzero(hash, sizeof hash);
	if (rc < 0) {
		sodium_memzero(secret, sizeof secret);
		return cli_report(argv[0], &e);
	}
	printf("officer '%s' added\n", u.username);
	if (totp) {
		struct buf uri;
		buf_init(&uri, 1024);
		auth_totp_uri(&uri, TOTP_ISSUER, u.username, secret);
		printf("TOTP secret (shown once; enrol it now): %s\n", secret);
		printf("%s\n", buf_str(&uri));
		sodium_memzero(uri.data, uri.len);
		buf_release(&uri);
	}
	sodium_memzero(secret, sizeof secret);
	return EXIT_OK;
}

static int cmd_user_list(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor office user list --data DIR\n"
		"\n"
		"Lists the officers, one a line: username, roles, state (active or disabled),\n"
		"whether a TOTP second factor is set (totp or -), display name;\n"
		"tab-separated. Shows no secrets and needs no key.\n",
		NULL, NULL
	};
	struct node_cli *nc = ctx;
	struct cli_option opts[] = { OPT_DATA(nc), OPT_END() };
	int rc = 0;
	if (parse(argc, argv, opts, &usage, nc, &rc) < 0)
		return rc;
	struct err e = ERR_INIT;
	if (node_cli_open(nc, &e) < 0)
		return cli_report(argv[0], &e);
	struct buf out;
	buf_init(&out, BUF_MAX_DEFAULT);
	rc = officers_list(nc->node.db, &out, &e);
	node_cli_close(nc);
	if (rc == 0)
		fwrite(out.data ? out.data : (const uint8_t *)"", 1, out.len, stdout);
	buf_release(&out);
	return rc < 0 ? cli_report(argv[0], &e) : EXIT_OK;
}

static int cmd_user_disable(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor office user disable --data DIR --username U [--reason TEXT]\n"
		"                                  (--kek-file FILE | --passphrase-fd N)\n"
		"\n"
		"Disables an officer (event officer.disabled): no more logins. The username stays\n"
		"taken (it names the officer's past events).\n",
		NULL, NULL
	};
	struct node_cli *nc = ctx;
	const char *username = NULL, *reason = NULL;
	struct cli_option opts[] = {
		OPT_NODE(nc),
		OPT_USERNAME(&username),
		OPT_STRING("reason", &reason, "TEXT", "why, at most 500 bytes (logged)"),
		OPT_END(),
	};
	int rc = 0;
	if (parse(argc, argv, opts, &usage, nc, &rc) < 0)
		return rc;
	if (!username)
		return cli_usage_error(argv[0], "--username is required");
	if (reason && strlen(reason) > 500)
		return cli_usage_error(argv[0], "--reason is longer than 500 bytes");
	struct err e = ERR_INIT;
	struct officer_op op = { .username = username, .reason = reason };
	if (submit(nc, officer_disable, &op, &e) < 0)
		return cli_report(argv[0], &e);
	printf("officer '%s' disabled\n", username);
	return EXIT_OK;
}

static int cmd_user_passwd(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor office user passwd --data DIR --username U\n"
		"                                 (--kek-file FILE | --passphrase-fd N)\n"
		"\n"
		"Sets an officer's password (event officer.password_changed), read from standard\n"
		"input: one line of at least 12 characters.\n",
		NULL, NULL
	};
	struct node_cli *nc = ctx;
	const char *username = NULL;
	int rc = 0;
	if (parse_username_only(argc, argv, &usage, nc, &username, &rc) < 0)
		return rc;
	struct err e = ERR_INIT;
	char hash[AUTH_HASH_MAX];
	if (password_hash(hash, &e) < 0)
		return cli_report(argv[0], &e);
	struct officer_op op = { .username = username, .password_hash = hash };
	rc = submit(nc, officer_set_password, &op, &e);
	sodium_memzero(hash, sizeof hash);
	if (rc < 0)
		return cli_report(argv[0], &e);
	printf("password of '%s' changed\n", username);
	return EXIT_OK;
}

static int cmd_user_totp_reset(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor office user totp-reset --data DIR --username U\n"
		"                                     (--kek-file FILE | --passphrase-fd N)\n"
		"\n"
		"Gives an officer a new TOTP secret (event officer.totp_reset) and prints its\n"
		"otpauth:// URI and base32 secret once, for enrolment.\n",
		NULL, NULL
	};
	struct node_cli *nc = ctx;
	const char *username = NULL;
	int rc = 0;
	if (parse_username_only(argc, argv, &usage, nc, &username, &rc) < 0)
		return rc;
	struct err e = ERR_INIT;
	char secret[AUTH_TOTP_SECRET_MAX + 1];
	if (auth_totp_new_secret(secret, &e) < 0)
		return cli_report(argv[0], &e);
	struct officer_op op = { .username = username, .totp_secret = secret };
	rc = submit(nc, officer_reset_totp, &op, &e);
	if (rc == 0) {
		struct buf uri;
		buf_init(&uri, 1024);
		auth_totp_uri(&uri, TOTP_ISSUER, username, secret);
		printf("TOTP secret (shown once; enrol it now): %s\n%s\n", secret, buf_str(&uri));
		sodium_memzero(uri.data, uri.len);
		buf_release(&uri);
	}
	sodium_memzero(secret, sizeof secret);
	return rc < 0 ? cli_report(argv[0], &e) : EXIT_OK;
}

static int cmd_user_roles(int argc, char **argv)
{
	static const struct cli_usage usage = {
		"usage: paspor office user roles\n"
		"\n"
		"Prints the role x action table (Markdown) that docs/ROLES.md holds.\n",
		NULL, NULL
	};
	static const struct cli_option opts[] = { OPT_END() };
	int rc;
	if (cli_parse_no_operands(argc, argv, opts, &usage, &rc) < 0)
		return rc;
	struct buf b;
	buf_init(&b, 1 << 20);
	roles_table_markdown(&b);
	fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
	return EXIT_OK;
}

static const struct cli_command user_commands[] = {
	CLI_CMD_SETUP("add", cmd_user_add, &node_cli_writer, "add an officer (password on stdin)"),
	CLI_CMD_SETUP("list", cmd_user_list, &node_cli_read, "list officers (no secrets)"),
	CLI_CMD_SETUP("disable", cmd_user_disable, &node_cli_writer, "disable an officer"),
	CLI_CMD_SETUP("passwd", cmd_user_passwd, &node_cli_writer,
		      "set an officer's password (on stdin)"),
	CLI_CMD_SETUP("totp-reset", cmd_user_totp_reset, &node_cli_writer,
		      "give an officer a new TOTP secret"),
	CLI_CMD("roles", cmd_user_roles, "print the role x action table (docs/ROLES.md)"),
	CLI_CMD_END(),
};

int cmd_office_user(int argc, char **argv)
{
	return cli_dispatch(argv[0], user_commands, argc, argv);
}
