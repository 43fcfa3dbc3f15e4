/*
 * `paspor log` — the signed event log: proofs, checkpoints, verification.
 *
 * Subcommands live in the table log_commands below (util/cli.h cli_dispatch); to add
 * one, write a static cmd_log_<name>(argc, argv) and add its row.
 *
 *   paspor log verify-proof FILE.json
 *     Verifies an RFC 9162 inclusion or consistency proof given as JSON in the shape of
 *     the transparency-dev/merkle test vectors (docs/LOG.md, "Proof files"):
 *       inclusion:   {"leafIdx": N, "treeSize": N, "leafHash": B64, "root": B64,
 *                     "proof": [B64...] | null}
 *       consistency: {"size1": N, "size2": N, "root1": B64, "root2": B64,
 *                     "proof": [B64...] | null}
 *     The kind comes from the fields present; other fields ("desc", "wantErr") are
 *     ignored. Exit 0 valid, 1 invalid proof, 2 unreadable or malformed file.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "commands.h"
#include "log/merkle.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/cli.h"
#include "util/err.h"
#include "util/fs.h"

#define PROOF_FILE_MAX ((size_t)1 << 20)

/* A number field: exact below 2^63; `huge` when it is an integer of 2^63 or more,
 * which jansson cannot hold (the vectors use 2^64 − 1). */
struct num {
	uint64_t v;
	int huge;
};

struct hashes {
	size_t n;
	uint8_t **hash;
	size_t *len;
};

static void hashes_release(struct hashes *h)
{
	for (size_t i = 0; i < h->n; i++)
		mem_free(h->hash[i]);
	mem_free(h->hash);
	mem_free(h->len);
	memset(h, 0, sizeof *h);
}

static int get_num(const json_t *obj, const char *key, int reals, struct num *out,
		   struct err *e)
{
	const json_t *v = json_object_get(obj, key);
	memset(out, 0, sizeof *out);
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0)
			return err_set(e, ERR_INPUT, "field '%s' is negative", key);
		out->v = (uint64_t)i;
		return 0;
	}
	if (reals && json_is_real(v)) {
		/* only in the second parse, where every number is a double */
		double d = json_real_value(v);
		if (d >= 9223372036854775808.0) {
			out->huge = 1;
			return 0;
		}
		if (d >= 0 && d < 9007199254740992.0 && d == (double)(uint64_t)d) {
			out->v = (uint64_t)d;
			return 0;
		}
	}
	return err_set(e, ERR_INPUT, "field '%s' is missing or not an integer in 0..2^63", key);
}

/* Decodes base64 string v (named `name` in messages) into a new buffer. */
static int decode_hash(const json_t *v, const char *name, uint8_t **out, size_t *len,
		       struct err *e)
{
	*out = NULL;
	*len = 0;
	if (!json_is_string(v))
		return err_set(e, ERR_INPUT, "field '%s' is missing or not a string", name);
	const char *s = json_string_value(v);
	size_t slen = json_string_length(v);
	size_t max = slen / 4 * 3 + 3;
	/* libsodium 1.0.18 takes some bytes >= 0x80 for base64 digits: check the alphabet */
	for (size_t i = 0; i < slen; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '='))
			return err_set(e, ERR_INPUT, "field '%s' is not base64", name);
	}
	*out = mem_alloc(max);
	if (!*out)
		return err_nomem(e);
	if (sodium_base642bin(*out, max, s, slen, NULL, len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0) {
		mem_free(*out);
		*out = NULL;
		return err_set(e, ERR_INPUT, "field '%s' is not base64", name);
	}
	return 0;
}

static int get_hash(const json_t *obj, const char *key, uint8_t **out, size_t *len,
		    struct err *e)
{
	return decode_hash(json_object_get(obj, key), key, out, len, e);
}

static int get_proof(const json_t *obj, struct hashes *h, struct err *e)
{
	memset(h, 0, sizeof *h);
	const json_t *arr = json_object_get(obj, "proof");
	if (!arr)
		return err_set(e, ERR_INPUT, "field 'proof' is missing");
	if (json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return err_set(e, ERR_INPUT, "field 'proof' is not an array or null");
	size_t n = json_array_size(arr);
	if (n) {
		h->hash = mem_calloc(n, sizeof *h->hash);
		h->len = mem_calloc(n, sizeof *h->len);
		if (!h->hash || !h->len) {
			hashes_release(h);
			return err_nomem(e);
		}
	}
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof name, "proof[%zu]", i);
		h->n = i + 1;
		if (decode_hash(json_array_get(arr, i), name, &h->hash[i], &h->len[i], e) < 0) {
			hashes_release(h);
			return -1;
		}
	}
	return 0;
}

static int verify_inclusion(const json_t *o, int reals, struct err *e)
{
	struct num idx, size;
	uint8_t *leaf = NULL, *root = NULL;
	size_t leaf_len = 0, root_len = 0;
	struct hashes p = { 0 };
	int rc = -1;
	if (get_num(o, "leafIdx", reals, &idx, e) < 0 || get_num(o, "treeSize", reals, &size, e) < 0 ||
	    get_hash(o, "leafHash", &leaf, &leaf_len, e) < 0 ||
	    get_hash(o, "root", &root, &root_len, e) < 0 || get_proof(o, &p, e) < 0)
		goto out;
	if (size.huge) {
		err_set(e, ERR_INPUT, "field 'treeSize' is 2^63 or more, beyond this verifier");
		goto out;
	}
	if (idx.huge) {
		err_set(e, ERR_VERIFY, "leaf index (2^63 or more) is not below tree size %" PRIu64,
			size.v);
		goto out;
	}
	struct merkle_proof_view view = { p.n, (const uint8_t *const *)p.hash, p.len };
	rc = merkle_verify_inclusion(idx.v, size.v, leaf, leaf_len, &view, root, root_len, e);
	if (rc == 0)
		printf("valid inclusion proof: leaf %" PRIu64 " in tree of size %" PRIu64 "\n",
		       idx.v, size.v);
out:
	mem_free(leaf);
	mem_free(root);
	hashes_release(&p);
	return rc;
}

static int verify_consistency(const json_t *o, int reals, struct err *e)
{
	struct num s1, s2;
	uint8_t *r1 = NULL, *r2 = NULL;
	size_t r1_len = 0, r2_len = 0;
	struct hashes p = { 0 };
	int rc = -1;
	if (get_num(o, "size1", reals, &s1, e) < 0 || get_num(o, "size2", reals, &s2, e) < 0 ||
	    get_hash(o, "root1", &r1, &r1_len, e) < 0 || get_hash(o, "root2", &r2, &r2_len, e) < 0 ||
	    get_proof(o, &p, e) < 0)
		goto out;
	if (s2.huge) {
		err_set(e, ERR_INPUT, "field 'size2' is 2^63 or more, beyond this verifier");
		goto out;
	}
	if (s1.huge) {
		err_set(e, ERR_VERIFY, "size1 (2^63 or more) is above size2 %" PRIu64, s2.v);
		goto out;
	}
	struct merkle_proof_view view = { p.n, (const uint8_t *const *)p.hash, p.len };
	rc = merkle_verify_consistency(s1.v, s2.v, r1, r1_len, r2, r2_len, &view, e);
	if (rc == 0)
		printf("valid consistency proof: size %" PRIu64 " to size %" PRIu64 "\n", s1.v,
		       s2.v);
out:
	mem_free(r1);
	mem_free(r2);
	hashes_release(&p);
	return rc;
}

static int verify_proof_file(const char *path, struct err *e)
{
	struct buf b;
	buf_init(&b, PROOF_FILE_MAX);
	if (fs_read_file(path, &b, e) < 0) {
		buf_release(&b);
		e->code = ERR_INPUT; /* an unreadable file is exit 2, like a malformed one */
		return -1;
	}
	json_error_t jerr;
	int reals = 0;
	json_t *o = json_loadb((const char *)b.data, b.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o && strstr(jerr.text, "too big integer")) {
		/* an integer past 2^63: parse again with numbers as doubles (get_num) */
		reals = 1;
		o = json_loadb((const char *)b.data, b.len,
			       JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
	}
	buf_release(&b);
	if (!o)
		return err_set(e, ERR_INPUT, "'%s' is not JSON: %s (line %d)", path, jerr.text,
			       jerr.line);
	int rc;
	if (!json_is_object(o))
		rc = err_set(e, ERR_INPUT, "'%s' is not a JSON object", path);
	else if (json_object_get(o, "leafIdx") || json_object_get(o, "treeSize"))
		rc = verify_inclusion(o, reals, e);
	else if (json_object_get(o, "size1") || json_object_get(o, "size2"))
		rc = verify_consistency(o, reals, e);
	else
		rc = err_set(e, ERR_INPUT,
			     "'%s' is neither an inclusion proof (leafIdx, treeSize) nor a "
			     "consistency proof (size1, size2)", path);
	json_decref(o);
	if (rc < 0)
		err_prefix(e, "%s", path);
	return rc;
}

static int cmd_log_verify_proof(int argc, char **argv)
{
	static const char usage[] =
		"usage: paspor log verify-proof FILE.json\n"
		"\n"
		"Verifies an RFC 9162 inclusion or consistency proof in the JSON shape of the\n"
		"transparency-dev/merkle test vectors (base64 hashes, 0-based leaf index):\n"
		"  {\"leafIdx\", \"treeSize\", \"leafHash\", \"root\", \"proof\"}  inclusion\n"
		"  {\"size1\", \"size2\", \"root1\", \"root2\", \"proof\"}        consistency\n"
		"Other fields (desc, wantErr) are ignored. FILE may be - for stdin.\n"
		"\n"
		"Exit status: 0 the proof is valid, 1 it is not, 2 the file is unreadable or\n"
		"malformed.\n";
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (c == 'h')
			return cli_help(usage);
		return cli_usage_error(argv[0], "unknown option");
	}
	if (argc - optind != 1)
		return cli_usage_error(argv[0], "expected one proof file");
	struct err e = ERR_INIT;
	if (verify_proof_file(argv[optind], &e) < 0)
		return cli_report(argv[0], &e);
	return EXIT_OK;
}

static const struct cli_command log_commands[] = {
	{ "verify-proof", cmd_log_verify_proof, "verify an inclusion or consistency proof (JSON)" },
	{ NULL, NULL, NULL },
};

int cmd_log(int argc, char **argv)
{
	return cli_dispatch(argv[0], log_commands, argc, argv);
}
