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
#include "log/node_cli.h"
#include "log/writer.h"
#include "office/booklets.h"
#include "office/datapage.h"
#include "util/buf.h"
#include "util/cli.h"
#include "util/err.h"

static int cmd_booklets_add(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor office booklets add --data DIR --first NUMBER --count N\n"
		"                                  (--kek-file FILE | --passphrase-fd N)\n"
		"\n"
		"Records N received blank booklets NUMBER, NUMBER+1, ... (one letter and seven\n"
		"digits, e.g. X1234567; event booklet.range_received, actor cli:<user>). The range\n"
		"can be used once a second officer has confirmed it.\n",
		"Exit status: 0 recorded, 1 the node failed (I/O, guards), 2 usage error or a\n"
		"number of the range recorded already.\n",
		NULL
	};
	struct node_cli *nc = ctx;
	const char *first = NULL, *count = NULL;
	struct cli_option opts[] = {
		OPT_NODE(nc),
		OPT_STRING("first", &first, "NUMBER", "the first booklet's number (X1234567)"),
		OPT_STRING("count", &count, "N", "how many booklets, 1 to the range maximum"),
		OPT_END(),
	};
	int rc;
	if (cli_parse_no_operands(argc, argv, opts, &usage, &rc) < 0)
		return rc;
	if (!nc->dir || !first || !count)
		return cli_usage_error(argv[0], "--data, --first and --count are required");
	if (!booklet_number_valid(first))
		return cli_usage_error(argv[0], "--first must be one letter and seven digits "
				       "(X1234567)");
	char *end;
	long n = strtol(count, &end, 10);
	if (*end || n < 1 || n > BOOKLET_RANGE_MAX)
		return cli_usage_error(argv[0], "--count must be 1 to %d", BOOKLET_RANGE_MAX);
	struct err e = ERR_INIT;
	struct booklet_receive r = { { nc->actor, NULL, WF_OK, 0 }, first, (int)n };
	if (node_cli_submit(nc, booklet_receive, &r, &e) < 0)
		return cli_report(argv[0], &e);
	printf("booklets %s + %ld recorded as received (seq %llu): a second officer must "
	       "confirm the range\n", first, n, (unsigned long long)r.hdr.seq);
	return EXIT_OK;
}

static int cmd_booklets_stock(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor office booklets stock --data DIR\n"
		"\n"
		"Prints the booklets per state, one a line: state<TAB>count. Needs no key.\n",
		NULL, NULL
	};
	struct node_cli *nc = ctx;
	struct cli_option opts[] = { OPT_DATA(nc), OPT_END() };
	int rc;
	if (node_cli_parse(argc, argv, opts, &usage, nc, &rc) < 0)
		return rc;
	struct err e = ERR_INIT;
	if (node_cli_open(nc, &e) < 0)
		return cli_report(argv[0], &e);
	struct booklet_stock st;
	rc = booklet_stock(nc->node.db, &st, &e);
	node_cli_close(nc);
	if (rc < 0)
		return cli_report(argv[0], &e);
	for (int k = 0; k < BOOKLET_STATE_COUNT; k++)
		printf("%s\t%lld\n", booklet_state_name((enum booklet_state)k), st.count[k]);
	return EXIT_OK;
}

static const struct cli_command booklet_commands[] = {
	CLI_CMD_SETUP("add", cmd_booklets_add, &node_cli_writer,
		      "record a received range of blank booklets"),
	CLI_CMD_SETUP("stock", cmd_booklets_stock, &node_cli_read, "booklets per state"),
	CLI_CMD_END(),
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
	static const struct cli_usage usage = {
		"usage: paspor office datapage --json DOC --photo JPEG [--pdf OUT] [--png OUT]\n"
		"\n"
		"Renders a TD3 data page (125 x 88 mm) to PDF and/or a 300 dpi PNG (1476 x 1039).\n"
		"DOC is a JSON object with the keys of `paspor mrz make` (document_code,\n"
		"issuing_state, surname, given_names, document_number, nationality, birth_date,\n"
		"sex, expiry_date, optional_data) plus birth_place, issue_date, issuing_office\n"
		"and optionally full_name and nationality_name. JPEG is the chip-ready photo.\n",
		"Exit status: 0 written, 1 rendering or writing failed, 2 usage or input error.\n",
		NULL
	};
	const char *json = NULL, *photo = NULL, *pdf_out = NULL, *png_out = NULL;
	struct cli_option opts[] = {
		OPT_FILENAME("json", &json, "DOC", "the document, a JSON object"),
		OPT_FILENAME("photo", &photo, "JPEG", "the chip-ready photo"),
		OPT_FILENAME("pdf", &pdf_out, "OUT", "write the page as PDF to OUT"),
		OPT_FILENAME("png", &png_out, "OUT", "write the page as a 300 dpi PNG to OUT"),
		OPT_END(),
	};
	int rc;
	if (cli_parse_no_operands(argc, argv, opts, &usage, &rc) < 0)
		return rc;
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
	rc = datapage_from_json(doc, &d, &e);
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
