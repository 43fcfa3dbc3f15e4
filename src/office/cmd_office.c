/*
 * `paspor office` — an immigration office node.
 *
 * Subcommands live in the table office_commands below (util/cli.h cli_dispatch); to add
 * one, write a static cmd_office_<name>(argc, argv) and add its row.
 *
 *   paspor office init --data DIR --origin NAME [--name TEXT]
 *                      (--kek-file FILE | --passphrase-fd N)
 *     Makes the data dir (log/node.h) and appends the first event, "node.created".
 *   paspor office kek --out FILE
 *     Writes a new random key-encryption key file (tests and the demo).
 */
#include <stdio.h>

#include "commands.h"
#include "log/keys.h"
#include "log/node.h"
#include "util/cli.h"
#include "util/err.h"

static int cmd_office_init(int argc, char **argv)
{
	static const char usage[] =
		"usage: paspor office init --data DIR --origin NAME [--name TEXT]\n"
		"                          (--kek-file FILE | --passphrase-fd N)\n"
		"\n"
		"Makes a new office data dir DIR (mode 0700): paspor.db (SQLite, WAL), keys/ (a new\n"
		"Ed25519 node key and a data key wrapped by the key-encryption key), blobs/, and\n"
		"appends the first event, node.created, with its signed checkpoint.\n"
		"\n"
		"  --origin NAME       the node's DNS name, e.g. kanim-samarinda.imigrasi.go.id\n"
		"  --name TEXT         the office's name (default: the origin)\n"
		"  --kek-file FILE     key-encryption key file, kept outside DIR\n"
		"                      (make one with 'paspor office kek --out FILE')\n"
		"  --passphrase-fd N   or read a passphrase from file descriptor N (Argon2id)\n"
		"\n"
		"Exit status: 0 made, 1 failed, 2 usage error or DIR not empty.\n";
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "origin", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "kek-file", required_argument, NULL, 'k' },
		{ "passphrase-fd", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *origin = NULL, *name = NULL, *kek_file = NULL, *fd = NULL;
	int c;
	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h': return cli_help(usage);
		case 'd': dir = optarg; break;
		case 'o': origin = optarg; break;
		case 'n': name = optarg; break;
		case 'k': kek_file = optarg; break;
		case 'p': fd = optarg; break;
		default: return cli_usage_error(argv[0], "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	if (!dir || !origin)
		return cli_usage_error(argv[0], "--data and --origin are required");
	struct err e = ERR_INIT;
	struct kek_source kek;
	if (keys_kek_from_options(&kek, kek_file, fd, &e) < 0)
		return cli_report(argv[0], &e);
	int rc = node_create(dir, origin, name, &kek, &e);
	keys_kek_release(&kek);
	if (rc < 0)
		return cli_report(argv[0], &e);
	printf("office node '%s' made in %s\n", origin, dir);
	return EXIT_OK;
}

static int cmd_office_kek(int argc, char **argv)
{
	static const char usage[] =
		"usage: paspor office kek --out FILE\n"
		"\n"
		"Writes a new random key-encryption key (base64 of 32 bytes, mode 0600) to FILE,\n"
		"which must not exist. Keep it outside the data dir.\n";
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	int c;
	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (c == 'h')
			return cli_help(usage);
		if (c == 'o')
			out = optarg;
		else
			return cli_usage_error(argv[0], "unknown option");
	}
	if (!out || optind != argc)
		return cli_usage_error(argv[0], "expected --out FILE");
	struct err e = ERR_INIT;
	if (keys_make_kek_file(out, &e) < 0)
		return cli_report(argv[0], &e);
	return EXIT_OK;
}

static const struct cli_command office_commands[] = {
	{ "init", cmd_office_init, "make a new office data dir and its log" },
	{ "kek", cmd_office_kek, "make a key-encryption key file (tests, demo)" },
	{ NULL, NULL, NULL },
};

int cmd_office(int argc, char **argv)
{
	return cli_dispatch(argv[0], office_commands, argc, argv);
}
