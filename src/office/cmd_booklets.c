/*
 * `paspor office booklets` and `paspor office datapage` (docs/PERSONALIZATION.md).
 *
 *   paspor office booklets add --data DIR --first X1234567 --count N
 *                              (--kek-file F | --passphrase-fd N)
 *   paspor office booklets stock --data DIR
 *   paspor office datapage --json DOC --photo JPEG [--pdf OUT] [--png OUT]
 *
 * `booklets add` records a received range (booklet.range_received) with the actor
 * "cli:<OS user>"; a second officer confirms it over the API. It takes the data dir's
 * write lock. `datapage` is a debugging aid: it renders a data page from a JSON document
 * (datapage_from_json) without touching any node.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "log/keys.h"
#include "log/node.h"
#include "log/writer.h"
#include "office/booklets.h"
#include "office/datapage.h"
#include "util/buf.h"
#include "util/cli.h"
#include "util/err.h"

static int cmd_booklets_add(int argc, char **argv)
{
	static const char usage[] =
		"usage: paspor office booklets add --data DIR --first NUMBER --count N\n"
		"                                  (--kek-file FILE | --passphrase-fd N)\n"
		"\n"
		"Records N received blank booklets NUMBER, NUMBER+1, ... (one letter and seven\n"
		"digits, e.g. X1234567; event booklet.range_received, actor cli:<user>). The range\n"
		"can be used once a second officer has confirmed it.\n"
		"\n"
		"Exit status: 0 recorded, 1 the node failed (I/O, guards), 2 usage error or a\n"
		"number of the range recorded already.\n";
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "first", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },
		{ "kek-file", required_argument, NULL, 'k' },
		{ "passphrase-fd", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *first = NULL, *count = NULL, *kek_file = NULL, *fd = NULL;
	int c;
	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h': return cli_help(usage);
		case 'd': dir = optarg; break;
		case 'f': first = optarg; break;
		case 'c': count = optarg; break;
		case 'k': kek_file = optarg; break;
		case 'p': fd = optarg; break;
		default: return cli_usage_error(argv[0], "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	if (!dir || !first || !count)
		return cli_usage_error(argv[0], "--data, --first and --count are required");
	if (!booklet_number_valid(first))
		return cli_usage_error(argv[0], "--first must be one letter and seven digits "
				       "(X1234567)");
	char *end;
	long n = strtol(count, &end, 10);
	if (*end || n < 1 || n > BOOKLET_RANGE_MAX)
		return cli_usage_error(argv[0], "--count must be 1 to %d", BOOKLET_RANGE_MAX);
	struct err e = ERR_INIT;
	struct kek_source kek;
	memset(&kek, 0, sizeof kek);
	if (keys_kek_from_options(&kek, kek_file, fd, &e) < 0)
		return cli_report(argv[0], &e);
	struct node node;
	struct node_opts o = { 0 };
	node_opts_from_env(&o);
	o.kek = &kek;
	struct writer *w = NULL;
	char actor[80];
	cli_os_actor(actor, sizeof actor);
	struct booklet_receive r = { { actor, WF_OK, 0 }, first, (int)n };
	int rc = node_open(&node, dir, &o, &e);
	if (rc == 0) {
		rc = writer_start(&w, &node, &e);
		if (rc == 0) {
			rc = writer_submit(w, booklet_receive, &r, NULL, &e);
			writer_stop(w);
		}
		node_close(&node);
	}
	keys_kek_release(&kek);
	if (rc < 0)
		return cli_report(argv[0], &e);
	printf("booklets %s + %ld recorded as received (seq %llu): a second officer must "
	       "confirm the range\n", first, n, (unsigned long long)r.hdr.seq);
	return EXIT_OK;
}

static int cmd_booklets_stock(int argc, char **argv)
{
	static const char usage[] =
		"usage: paspor office booklets stock --data DIR\n"
		"\n"
		"Prints the booklets per state, one a line: state<TAB>count. Needs no key.\n";
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	int c;
	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h': return cli_help(usage);
		case 'd': dir = optarg; break;
		default: return cli_usage_error(argv[0], "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	if (!dir)
		return cli_usage_error(argv[0], "--data is required");
	struct err e = ERR_INIT;
	struct node node;
	struct node_opts o = { 0 };
	node_opts_from_env(&o);
	if (node_open(&node, dir, &o, &e) < 0)
		return cli_report(argv[0], &e);
	struct booklet_stock st;
	int rc = booklet_stock(node.db, &st, &e);
	node_close(&node);
	if (rc < 0)
		return cli_report(argv[0], &e);
	for (int i = 0; i < BOOKLET_STATE_COUNT; i++)
		printf("%s\t%lld\n", booklet_state_name((enum booklet_state)i), st.count[i]);
	return EXIT_OK;
}

static const struct cli_command booklet_commands[] = {
	{ "add", cmd_booklets_add, "record a received range of blank booklets" },
	{ "stock", cmd_booklets_stock, "booklets per state" },
	{ NULL, NULL, NULL },
};

int cmd_office_booklets(int argc, char **argv)
{
	return cli_dispatch(argv[0], booklet_commands, argc, argv);
}

static int write_out(const char *path, const struct buf *b, struct err *e)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return err_set(e, ERR_IO, "%s: cannot create", path);
	size_t n = b->len ? fwrite(b->data, 1, b->len, f) : 0;
	if (fclose(f) != 0 || n != b->len)
		return err_set(e, ERR_IO, "%s: write failed", path);
	return 0;
}

int cmd_office_datapage(int argc, char **argv)
{
	static const char usage[] =
		"usage: paspor office datapage --json DOC --photo JPEG [--pdf OUT] [--png OUT]\n"
		"\n"
		"Renders a TD3 data page (125 x 88 mm) to PDF and/or a 300 dpi PNG (1476 x 1039).\n"
		"DOC is a JSON object with the keys of `paspor mrz make` (document_code,\n"
		"issuing_state, surname, given_names, document_number, nationality, birth_date,\n"
		"sex, expiry_date, optional_data) plus birth_place, issue_date, issuing_office\n"
		"and optionally full_name and nationality_name. JPEG is the chip-ready photo.\n"
		"\n"
		"Exit status: 0 written, 1 rendering or writing failed, 2 usage or input error.\n";
	static const struct option opts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "photo", required_argument, NULL, 'p' },
		{ "pdf", required_argument, NULL, 'P' },
		{ "png", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *json = NULL, *photo = NULL, *pdf_out = NULL, *png_out = NULL;
	int c;
	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h': return cli_help(usage);
		case 'j': json = optarg; break;
		case 'p': photo = optarg; break;
		case 'P': pdf_out = optarg; break;
		case 'n': png_out = optarg; break;
		default: return cli_usage_error(argv[0], "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	if (!json || !photo || (!pdf_out && !png_out))
		return cli_usage_error(argv[0], "--json, --photo and --pdf or --png are required");
	struct err e = ERR_INIT;
	json_error_t jerr;
	json_t *doc = json_load_file(json, 0, &jerr);
	if (!doc) {
		err_set(&e, ERR_INPUT, "%s: line %d: %s", json, jerr.line, jerr.text);
		return cli_report(argv[0], &e);
	}
	struct buf jpeg, pdf, png;
	buf_init(&jpeg, (size_t)4 << 20);
	buf_init(&pdf, BUF_MAX_DEFAULT);
	buf_init(&png, BUF_MAX_DEFAULT);
	struct datapage d;
	int rc = datapage_from_json(doc, &d, &e);
	if (rc == 0 && buf_read_file(&jpeg, photo) < 0)
		rc = err_set(&e, ERR_INPUT, "%s: cannot read", photo);
	if (rc == 0) {
		d.photo = jpeg.data;
		d.photo_len = jpeg.len;
		rc = datapage_render(&d, pdf_out ? &pdf : NULL, png_out ? &png : NULL, &e);
	}
	if (rc == 0 && pdf_out)
		rc = write_out(pdf_out, &pdf, &e);
	if (rc == 0 && png_out)
		rc = write_out(png_out, &png, &e);
	json_decref(doc);
	buf_release(&jpeg);
	buf_release(&pdf);
	buf_release(&png);
	datapage_release_caches(); /* this command is single-threaded and done */
	return rc < 0 ? cli_report(argv[0], &e) : EXIT_OK;
}
