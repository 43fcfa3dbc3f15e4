/*
 * paspor mrz — make and check machine readable zones (icao/mrz.h).
 *
 *   paspor mrz make [--json FILE]          one document description -> two TD3 lines
 *   paspor mrz make --jsonl [--json FILE]  one description per line -> one JSON per line
 *   paspor mrz check [--json] [FILE]       check a TD1/TD2/TD3 MRZ
 *
 * Exit codes: make 0 ok, 2 invalid input (message names the field); make --jsonl 0 when
 * every line made an MRZ, 1 when some lines are errors (each reported in its output
 * line), 2 when the input cannot be read; check 0 valid, 1 invalid (one line per problem
 * on stderr, or the JSON report on stdout) — text that is not an MRZ at all (line count,
 * lengths, characters) is also 1, with the reason —, 2 usage errors or unreadable file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "commands.h"
#include "icao/mrz.h"
#include "util/buf.h"
#include "util/cli.h"
#include "util/fs.h"

#define INPUT_MAX ((size_t)256 << 20)

static const struct cli_usage make_usage = {
	"usage: paspor mrz make [--json FILE] [--jsonl]\n"
	"\n"
	"Makes the two 44-character lines of a passport MRZ (ICAO 9303 TD3) from a JSON\n"
	"document description read from FILE, or from stdin when FILE is not given or '-':\n"
	"  {\"document_code\":\"PP\",\"issuing_state\":\"IDN\",\"surname\":\"...\",\n"
	"   \"given_names\":\"...\",\"document_number\":\"...\",\"nationality\":\"IDN\",\n"
	"   \"birth_date\":\"1974-08-12\",\"sex\":\"F\",\"expiry_date\":\"2034-08-11\",\n"
	"   \"optional_data\":\"\"}\n"
	"Names are UTF-8 as written; they are transliterated (Doc 9303 Part 3 §6) and\n"
	"truncated to fit. birth_date may have unknown parts: 1974-08-XX, 1974-XX-XX or\n"
	"XXXX-XX-XX. sex is F, M or X. document_code is PP (or P<, P).\n",
	"exit: 0 made; 1 (--jsonl) some lines were errors; 2 invalid input.\n",
	"invalid option"
};

static const struct cli_usage check_usage = {
	"usage: paspor mrz check [--json] [FILE]\n"
	"\n"
	"Checks an MRZ read from FILE or stdin: TD3 (2 lines of 44), TD2 (2 lines of 36) or\n"
	"TD1 (3 lines of 30). Every field and check digit is checked; each problem is\n"
	"printed on stderr as 'field: problem'.\n",
	"exit: 0 valid; 1 invalid, or not an MRZ at all; 2 usage error or unreadable file.\n",
	"invalid option"
};

static int read_input(const char *prog, const char *path, struct buf *b)
{
	struct err e = ERR_INIT;
	buf_init(b, INPUT_MAX);
	if (fs_read_file(path, b, &e) != 0) {
		fprintf(stderr, "%s: %s\n", prog, e.msg);
		buf_release(b);
		return -1;
	}
	return 0;
}

static int make_one(const char *text, size_t len, char mrz[2 * MRZ_TD3_LEN + 1], struct err *e)
{
	json_error_t je;
	json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!obj)
		return err_set(e, ERR_INPUT, "invalid JSON: %s (column %d)", je.text, je.column);
	struct mrz_doc d;
	int rc = mrz_doc_from_json(obj, &d, e);
	json_decref(obj);
	if (rc == 0)
		rc = mrz_make_td3(&d, mrz, e);
	return rc;
}

static int print_jsonl(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!s)
		return -1;
	fputs(s, stdout);
	fputc('\n', stdout);
	free(s);
	return 0;
}

static int make_jsonl(const char *prog, const struct buf *b)
{
	const char *p = buf_str(b), *end = p + b->len;
	int failed = 0;
	unsigned long lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		char mrz[2 * MRZ_TD3_LEN + 1];
		struct err e = ERR_INIT;
		json_t *o;
		if (make_one(p, len, mrz, &e) == 0) {
			char l1[MRZ_TD3_LEN + 1], l2[MRZ_TD3_LEN + 1];
			memcpy(l1, mrz, MRZ_TD3_LEN);
			l1[MRZ_TD3_LEN] = '\0';
			memcpy(l2, mrz + MRZ_TD3_LEN, MRZ_TD3_LEN + 1);
			o = json_pack("{s:s,s:s}", "line1", l1, "line2", l2);
		} else {
			failed = 1;
			char msg[600];
			snprintf(msg, sizeof msg, "line %lu: %s", lineno, e.msg);
			o = json_pack("{s:s}", "error", msg);
		}
		if (!o || print_jsonl(o) != 0) {
			fprintf(stderr, "%s: out of memory\n", prog);
			return EXIT_FAILED;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "%s: cannot write the output\n", prog);
		return EXIT_FAILED;
	}
	return failed ? EXIT_FAILED : EXIT_OK;
}

static int cmd_mrz_make(int argc, char **argv)
{
	const char *path = "-";
	int jsonl = 0;
	struct cli_option opts[] = {
		OPT_FILENAME("json", &path, "FILE", "read the description from FILE"),
		OPT_BOOL("jsonl", &jsonl, "read one description per line and print one JSON "
			 "object per line: {\"line1\":...,\"line2\":...} or {\"error\":\"...\"}"),
		OPT_END(),
	};
	int rc;
	if (cli_parse_no_operands(argc, argv, opts, &make_usage, &rc) < 0)
		return rc;
	struct buf b;
	if (read_input(argv[0], path, &b) != 0)
		return EXIT_USAGE;
	if (jsonl) {
		rc = make_jsonl(argv[0], &b);
	} else {
		char mrz[2 * MRZ_TD3_LEN + 1];
		struct err e = ERR_INIT;
		if (make_one(buf_str(&b), b.len, mrz, &e) == 0) {
			printf("%.44s\n%.44s\n", mrz, mrz + MRZ_TD3_LEN);
			rc = EXIT_OK;
		} else {
			rc = cli_report(argv[0], &e);
		}
	}
	buf_release(&b);
	return rc;
}

static json_t *parsed_json(const struct mrz_parsed *p)
{
	json_t *cds = json_object(), *probs = json_array();
	json_t *o = json_pack("{s:s,s:b,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s%,s:s,s:s,s:b}",
		"format", mrz_format_name(p->format),
		"valid", p->nproblems == 0,
		"document_code", p->document_code,
		"issuing_state", p->issuing_state,
		"surname", p->surname,
		"given_names", p->given_names,
		"name_field", p->name_field,
		"document_number", p->document_number,
		"nationality", p->nationality,
		"birth_date", p->birth_date,
		"sex", &p->sex, (size_t)1,
		"expiry_date", p->expiry_date,
		"optional_data", p->optional_data,
		"name_possibly_truncated", p->name_possibly_truncated);
	if (!o || !cds || !probs)
		goto fail;
	if (p->format == MRZ_FORMAT_TD1 &&
	    json_object_set_new(o, "optional_data_2", json_string(p->optional_data_2)) != 0)
		goto fail;
	for (int k = 0; k < MRZ_CD_COUNT; k++) {
		const struct mrz_check *c = &p->checks[k];
		if (!c->present)
			continue;
		json_t *v = json_pack("{s:s%,s:s%,s:b}", "found", &c->found, (size_t)1,
				      "expected", &c->expected, (size_t)1, "valid", c->valid);
		if (!v || json_object_set_new(cds, mrz_check_name((enum mrz_check_kind)k), v) != 0)
			goto fail;
	}
	for (int i = 0; i < p->nproblems; i++) {
		json_t *v = json_pack("{s:s,s:s}", "field", p->problems[i].field, "message",
				      p->problems[i].message);
		if (!v || json_array_append_new(probs, v) != 0)
			goto fail;
	}
	if (json_object_set_new(o, "check_digits", cds) != 0) {
		cds = NULL;
		goto fail;
	}
	cds = NULL;
	if (json_object_set_new(o, "problems", probs) != 0) {
		probs = NULL;
		goto fail;
	}
	return o;
fail:
	json_decref(o);
	json_decref(cds);
	json_decref(probs);
	return NULL;
}

static int cmd_mrz_check(int argc, char **argv)
{
	int as_json = 0;
	struct cli_option opts[] = {
		OPT_BOOL("json", &as_json, "print the parsed fields and check-digit results as "
			 "JSON on stdout"),
		OPT_END(),
	};
	int rc, first = cli_parse(argc, argv, opts, &check_usage, &rc);
	if (first < 0)
		return rc;
	if (argc - first > 1)
		return cli_usage_error(argv[0], "unexpected argument '%s'", argv[first + 1]);
	const char *path = first < argc ? argv[first] : "-";
	struct buf b;
	if (read_input(argv[0], path, &b) != 0)
		return EXIT_USAGE;
	if (memchr(b.data ? (const char *)b.data : "", '\0', b.len)) {
		buf_release(&b);
		fprintf(stderr, "%s: mrz: the input contains a NUL byte\n", argv[0]);
		return EXIT_FAILED;
	}
	struct mrz_parsed p;
	struct err e = ERR_INIT;
	rc = mrz_parse(buf_str(&b), &p, &e);
	buf_release(&b);
	if (rc != 0) {
		if (as_json) {
			json_t *o = json_pack("{s:b,s:s}", "valid", 0, "error", e.msg);
			if (o)
				print_jsonl(o);
		}
		fprintf(stderr, "%s: %s\n", argv[0], e.msg);
		return EXIT_FAILED;
	}
	if (as_json) {
		json_t *o = parsed_json(&p);
		char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
		json_decref(o);
		if (!s) {
			fprintf(stderr, "%s: out of memory\n", argv[0]);
			return EXIT_FAILED;
		}
		puts(s);
		free(s);
	}
	for (int i = 0; i < p.nproblems; i++)
		fprintf(stderr, "%s: %s\n", p.problems[i].field, p.problems[i].message);
	return p.nproblems == 0 ? EXIT_OK : EXIT_FAILED;
}

const struct cli_command mrz_commands[] = {
	CLI_CMD("make", cmd_mrz_make, "make a passport (TD3) MRZ from a JSON description"),
	CLI_CMD("check", cmd_mrz_check, "check a TD1, TD2 or TD3 MRZ"),
	CLI_CMD_END(),
};
