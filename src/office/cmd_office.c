/*
 * `paspor office` — an immigration office node.
 *
 * Subcommands live in the table office_commands below (util/cli.h cli_dispatch); to add
 * one, write a static cmd_office_<name>(argc, argv) and add its row.
 *
 *   paspor office init --data DIR --origin NAME [--name TEXT]
 *                      (--kek-file FILE | --passphrase-fd N)
 *     Makes the data dir (log/node.h) and appends the first event, "node.created".
 *     The KEK (file format, passphrase length) is checked before anything is created
 *     (keys_kek_from_options); node_create removes what it made if it fails later.
 *     It also writes DIR/paspor.conf, the default office configuration (office/config.h).
 *   paspor office config --data DIR --check [--file FILE]
 *     Checks the office configuration: "configuration OK" or every problem, one a line.
 *   paspor office kek --out FILE
 *     Writes a new random key-encryption key file (tests and the demo).
 *   paspor office serve --data DIR [--listen ADDR] [--public-listen ADDR] ...
 *     Runs the office's HTTP server (office/server.h) until SIGTERM or SIGINT.
 *   paspor office routes [--test]
 *     Prints the HTTP route table (checked against docs/openapi.yaml).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "log/keys.h"
#include "log/node.h"
#include "log/node_cli.h"
#include "office/booklets.h"
#include "office/config.h"
#include "office/datapage.h"
#include "office/officers.h"
#include "office/server.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/cli.h"
#include "util/err.h"
#include "util/log.h"

static int cmd_office_init(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor office init --data DIR --origin NAME [--name TEXT]\n"
		"                          (--kek-file FILE | --passphrase-fd N)\n"
		"\n"
		"Makes a new office data dir DIR (mode 0700): paspor.db (SQLite, WAL), keys/ (a new\n"
		"Ed25519 node key and a data key wrapped by the key-encryption key), blobs/, and\n"
		"appends the first event, node.created, with its signed checkpoint.\n",
		"The options and the key-encryption key are checked before anything is created;\n"
		"if making the node fails later, what was made is removed again (DIR too, unless\n"
		"it existed, empty, before).\n"
		"\n"
		"It also writes DIR/paspor.conf, a commented default office configuration\n"
		"(docs/CONFIG.md) to edit and check with 'paspor office config --check'.\n"
		"\n"
		"Exit status: 0 made, 1 failed, 2 usage error or DIR not empty.\n",
		NULL
	};
	struct node_cli *nc = ctx;
	const char *origin = NULL, *name = NULL;
	struct cli_option opts[] = {
		OPT_NODE(nc),
		OPT_STRING("origin", &origin, "NAME", "the node's DNS name, e.g. "
			   "kanim-samarinda.imigrasi.go.id"),
		OPT_STRING("name", &name, "TEXT", "the office's name (default: the origin)"),
		OPT_END(),
	};
	int rc;
	if (cli_parse_no_operands(argc, argv, opts, &usage, &rc) < 0)
		return rc;
	const char *dir = nc->dir;
	if (!dir || !origin)
		return cli_usage_error(argv[0], "--data and --origin are required");
	struct err e = ERR_INIT;
	if (node_cli_open(nc, &e) < 0)
		return cli_report(argv[0], &e);
	rc = node_create(dir, origin, name, &nc->kek, &e);
	node_cli_close(nc);
	if (rc < 0)
		return cli_report(argv[0], &e);
	if (config_write_default(dir, origin, name, &e) < 0)
		return cli_report(argv[0], &e);
	printf("office node '%s' made in %s\n", origin, dir);
	return EXIT_OK;
}

static int cmd_office_kek(int argc, char **argv)
{
	static const struct cli_usage usage = {
		"usage: paspor office kek --out FILE\n"
		"\n"
		"Writes a new random key-encryption key (base64 of 32 bytes, mode 0600) to FILE,\n"
		"which must not exist. Keep it outside the data dir.\n",
		NULL, NULL
	};
	const char *out = NULL;
	struct cli_option opts[] = {
		OPT_FILENAME("out", &out, "FILE", "the key file to write"),
		OPT_END(),
	};
	int rc, i = cli_parse(argc, argv, opts, &usage, &rc);
	if (i < 0)
		return rc;
	if (!out || i != argc)
		return cli_usage_error(argv[0], "expected --out FILE");
	struct err e = ERR_INIT;
	if (keys_make_kek_file(out, &e) < 0)
		return cli_report(argv[0], &e);
	return EXIT_OK;
}

static int cmd_office_config(int argc, char **argv)
{
	static const struct cli_usage usage = {
		"usage: paspor office config --data DIR --check [--file FILE]\n"
		"\n"
		"Checks the office configuration DIR/paspor.conf (docs/CONFIG.md), or FILE.\n"
		"Prints \"configuration OK\" on stdout, or every problem on stderr, one line\n"
		"each: FILE:LINE: SETTING: what is wrong.\n",
		"Exit status: 0 OK, 1 problems found or the file unreadable, 2 usage error.\n",
		NULL
	};
	const char *dir = NULL, *file = NULL;
	int check = 0;
	struct cli_option opts[] = {
		OPT_FILENAME("data", &dir, "DIR", "the office data dir"),
		OPT_FILENAME("file", &file, "FILE", "check FILE instead of DIR/paspor.conf"),
		OPT_BOOL("check", &check, "check the configuration (the only action so far)"),
		OPT_END(),
	};
	int rc;
	if (cli_parse_no_operands(argc, argv, opts, &usage, &rc) < 0)
		return rc;
	if (!dir && !file)
		return cli_usage_error(argv[0], "--data DIR or --file FILE is required");
	if (!check)
		return cli_usage_error(argv[0], "nothing to do: use --check");
	char *path = file ? NULL : config_path(dir);
	if (!file && !path) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return EXIT_FAILED;
	}
	struct config *cfg = mem_alloc(sizeof *cfg);
	struct buf problems;
	buf_init(&problems, 1 << 20);
	struct err e = ERR_INIT;
	rc = EXIT_OK;
	if (!cfg) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		rc = EXIT_FAILED;
	} else if (config_load(file ? file : path, cfg, &problems, &e) < 0) {
		fputs(buf_str(&problems), stderr);
		rc = EXIT_FAILED;
	} else {
		if (cfg->ratelimit.disabled)
			fprintf(stderr, "%s: warning: ratelimit.disabled = true lifts every rate "
				"limit when the server runs with %s=1 (load tests only)\n",
				argv[0], CONFIG_LOAD_TEST_ENV);
		printf("configuration OK\n");
	}
	buf_release(&problems);
	mem_free(cfg);
	mem_free(path);
	return rc;
}

static int cmd_office_serve(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor office serve --data DIR [--listen ADDR] [--public-listen ADDR]\n"
		"                           (--kek-file FILE | --passphrase-fd N) [--threads N]\n"
		"                           [--foreground] [--no-request-log]\n"
		"\n"
		"Runs the office node's HTTP server until SIGTERM or SIGINT (docs/HTTP.md). Opens\n"
		"the node for writing (refused when its log fails the guards, saying why), then\n"
		"listens on two addresses: the officers' one (every route) and, with\n"
		"--public-listen, the public one (booking and status only). Once listening it\n"
		"prints one line per listener on stdout: 'listening officer|public ADDR' (useful\n"
		"with port 0). On SIGTERM it stops accepting, lets requests in flight finish,\n"
		"stops the writer after its queued requests and closes the node.\n",
#ifdef PASPOR_TESTING
		"Environment: PASPOR_TEST_ROUTES=1 also serves the test-only routes (tests).\n"
		"\n"
#endif
		"Exit status: 0 stopped cleanly, 1 the node cannot be opened (guards) or cannot\n"
		"listen, 2 usage error.\n",
		NULL
	};
	struct node_cli *nc = ctx;
	struct office_server_opts so = { 0 };
	int foreground = 0, log_requests = 1;
	unsigned long long threads = 4;
	struct cli_option opts[] = {
		OPT_NODE(nc),
		OPT_STRING("listen", &so.listen, "ADDR", "officers' listener, IPv4:PORT or "
			   "[IPv6]:PORT (default " OFFICE_LISTEN_DEFAULT "; port 0: any free port)"),
		OPT_STRING("public-listen", &so.public_listen, "ADDR", "public listener (booking "
			   "and status only)"),
		OPT_UINT("threads", &threads, "N", "worker threads per listener (1-64, default 4)",
			 1, 64, "--threads must be 1 to 64"),
		OPT_BOOL("foreground", &foreground, "log as 'paspor: message' rather than "
			 "structured lines"),
		OPT_SET_INT("no-request-log", &log_requests, 0, "do not log one line per request"),
		OPT_END(),
	};
	int rc;
	if (node_cli_parse(argc, argv, opts, &usage, nc, &rc) < 0)
		return rc;
	so.dir = nc->dir;
	so.log_requests = log_requests;
	so.threads = (unsigned)threads;
#ifdef PASPOR_TESTING
	const char *tr = getenv("PASPOR_TEST_ROUTES");
	so.test_routes = tr && strcmp(tr, "1") == 0;
#endif

	struct err e = ERR_INIT;
	if (node_cli_open(nc, &e) < 0)
		return cli_report(argv[0], &e);
	so.kek = &nc->kek;

	/* signals are taken by this thread alone (sigwait); every thread started below
	 * inherits the mask */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct office_server *srv;
	struct buf problems;
	buf_init(&problems, 1 << 20);
	so.config_problems = &problems;
	rc = office_server_start(&srv, &so, &e);
	node_cli_close(nc); /* the passphrase is wiped once the node is open */
	if (rc < 0) {
		fputs(buf_str(&problems), stderr); /* every problem of paspor.conf, if any */
		buf_release(&problems);
		return cli_report(argv[0], &e);
	}
	buf_release(&problems);
	log_init("paspor", foreground, LOG_LEVEL_INFO);
	const char *pub = office_server_address(srv, 1);
	printf("listening officer %s\n", office_server_address(srv, 0));
	if (pub)
		printf("listening public %s\n", pub);
	fflush(stdout);
	log_info("serving %s: officers on %s%s%s", so.dir, office_server_address(srv, 0),
		 pub ? ", public on " : "", pub ? pub : "");
	int sig = 0;
	sigwait(&set, &sig);
	log_info("%s: stopping (requests in flight finish first)",
		 sig == SIGTERM ? "SIGTERM" : "SIGINT");
	office_server_stop(srv);
	datapage_release_caches();
	log_info("stopped");
	log_init("paspor", 1, LOG_LEVEL_INFO);
	return EXIT_OK;
}

static int cmd_office_routes(int argc, char **argv)
{
	static const struct cli_usage usage = {
		"usage: paspor office routes [--test]\n"
		"\n"
		"Prints the office server's HTTP routes, one per line:\n"
		"  METHOD PATTERN LISTENERS ROLES\n"
		"LISTENERS is 'officer,public' or 'officer'; ROLES is 'anon' (no authorization)\n"
		"or the role mask. --test adds the test-only routes (marked 'test').\n",
		NULL, NULL
	};
	int with_test = 0;
	struct cli_option opts[] = {
		OPT_BOOL("test", &with_test, "add the test-only routes"),
		OPT_END(),
	};
	int rc;
	if (cli_parse_no_operands(argc, argv, opts, &usage, &rc) < 0)
		return rc;
	office_routes_print(stdout, with_test);
	return EXIT_OK;
}

const struct cli_command office_commands[] = {
	CLI_CMD_SETUP("init", cmd_office_init, &node_cli_key,
		      "make a new office data dir and its log"),
	CLI_CMD("config", cmd_office_config, "check the office configuration (paspor.conf)"),
	CLI_CMD("kek", cmd_office_kek, "make a key-encryption key file (tests, demo)"),
	CLI_CMD_SETUP("serve", cmd_office_serve, &node_cli_key,
		      "run the office's HTTP server (officers' and public listeners)"),
	CLI_CMD("routes", cmd_office_routes, "print the HTTP route table"),
	CLI_CMD("user", cmd_office_user, "officers: add, list, disable, passwd, totp-reset"),
	CLI_CMD("booklets", cmd_office_booklets, "blank booklet stock: add a received range, stock"),
	CLI_CMD("datapage", cmd_office_datapage, "render a TD3 data page to PDF/PNG (debugging aid)"),
	CLI_CMD_END(),
};
