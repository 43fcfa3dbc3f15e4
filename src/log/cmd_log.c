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
 *
 * On a node's data dir (log/node.h; docs/LOG.md "Store, group commit and guards"):
 *   paspor log append --data DIR --kind operator.note --body JSON (--kek-file F | ...)
 *                                             an operator's note, actor "cli:<OS user>"
 *   paspor log checkpoint --data DIR [--size N]   a signed checkpoint and its cosignatures
 *   paspor log put-blob --data DIR --file F (--kek-file F | --passphrase-fd N)
 *                                             store a blob, anchored by blob.stored
 *   paspor log cosign --data DIR --note FILE --vkey VKEY   store a witness's cosignature
 *   paspor log sign-note --data DIR --in FILE (--kek-file F | ...)  sign a note with the
 *                                             node key (tests: a second node as witness)
 *   paspor log proof --data DIR --inclusion INDEX [--size N] | --consistency S1 S2
 *   paspor log verify --data DIR              re-hash and check everything, no key needed
 *   paspor log load --data DIR --writers N --count N ...   crash tests, benchmarks
 *   paspor rebuild --data DIR ...             (top-level command, defined here)
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "commands.h"
#include "log/blobs.h"
#include "log/event.h"
#include "log/keys.h"
#include "log/kinds.h"
#include "log/merkle.h"
#include "log/node.h"
#include "log/node_cli.h"
#include "log/store.h"
#include "log/verify.h"
#include "log/writer.h"
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
	static const struct cli_usage usage = {
		"usage: paspor log verify-proof FILE.json\n"
		"\n"
		"Verifies an RFC 9162 inclusion or consistency proof in the JSON shape of the\n"
		"transparency-dev/merkle test vectors (base64 hashes, 0-based leaf index):\n"
		"  {\"leafIdx\", \"treeSize\", \"leafHash\", \"root\", \"proof\"}  inclusion\n"
		"  {\"size1\", \"size2\", \"root1\", \"root2\", \"proof\"}        consistency\n"
		"Other fields (desc, wantErr) are ignored. FILE may be - for stdin.\n",
		"Exit status: 0 the proof is valid, 1 it is not, 2 the file is unreadable or\n"
		"malformed.\n", NULL
	};
	static const struct cli_option opts[] = { OPT_END() };
	int rc, i = cli_parse(argc, argv, opts, &usage, &rc);
	if (i < 0)
		return rc;
	if (argc - i != 1)
		return cli_usage_error(argv[0], "expected one proof file");
	struct err e = ERR_INIT;
	if (verify_proof_file(argv[i], &e) < 0)
		return cli_report(argv[0], &e);
	return EXIT_OK;
}

/* ---- commands on a node's data dir (log/node.h) ---- */

/* Parses argv with opts for a command on a node: an operand, or no --data, is the usage
 * error `missing` (these commands say that rather than "unexpected argument"). Returns
 * 0, or -1 with *rc the exit code (EXIT_OK after --help). */
static int parse_node(int argc, char **argv, const struct cli_option *opts,
		      const struct cli_usage *usage, const struct node_cli *nc,
		      const char *missing, int *rc)
{
	int i = cli_parse(argc, argv, opts, usage, rc);
	if (i < 0)
		return -1;
	if (i != argc || !nc->dir) {
		*rc = cli_usage_error(argv[0], "%s", missing);
		return -1;
	}
	return 0;
}

struct append_arg {
	const char *actor, *kind, *subject, *body;
	uint16_t version;
	uint64_t seq;
};

static int append_one(struct writer_txn *tx, void *arg, struct err *e)
{
	struct append_arg *a = arg;
	return writer_txn_append(tx, a->actor, a->kind, a->version, a->subject,
				 (const uint8_t *)a->body, strlen(a->body), &a->seq, e);
}

/* The kinds `log append` writes: notes by the operator. Every other kind is appended by
 * the subsystem that owns it after its checks (roles, separation of duties, state
 * guards, the signer's policy); appended here they would bypass them (docs/LOG.md,
 * "Appending by hand"). */
static const char *const operator_kinds[] = { "operator.note", NULL };

static int operator_may_append(const char *kind)
{
	for (size_t i = 0; operator_kinds[i]; i++)
		if (strcmp(operator_kinds[i], kind) == 0)
			return 1;
	return 0;
}

/* --actor: refused as soon as it is seen (o->value: the operator's actor) */
static int refuse_actor(const struct cli_option *o, const char *arg, const char *prog)
{
	(void)arg;
	return cli_usage_error(prog, "--actor is refused: an event appended from the command "
			       "line carries the operator's identity (%s), never a name given "
			       "here", (const char *)o->value);
}

static int cmd_log_append(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor log append --data DIR --kind operator.note --body JSON\n"
		"                         (--kek-file FILE | --passphrase-fd N) [--subject SUBJECT]\n"
		"\n"
		"Appends one operator note (the latest registered version of operator.note); the\n"
		"body must be canonical JSON (docs/EVENTS.md §2) and fit the kind. The event's\n"
		"actor is the operator running the command, \"cli:<OS user>\"; there is no way to\n"
		"name another (--actor is refused). Other kinds are refused: workflow, officer and\n"
		"signer events are appended by the office and the signer, which check them, and\n"
		"blob.stored by 'paspor log put-blob' (docs/LOG.md, \"Appending by hand\").\n"
		"Prints the event's sequence number once it is durable and signed.\n",
		"Exit status: 0 appended, 1 the node refused (guards, I/O), 2 usage error, a kind\n"
		"other than operator.note or a body that is not canonical or does not fit it.\n",
		NULL
	};
	struct node_cli *nc = ctx;
	char actor[80];
	cli_os_actor(actor, sizeof actor);
	struct append_arg a = { actor, NULL, "", NULL, 0, 0 };
	struct cli_option opts[] = {
		OPT_NODE(nc),
		OPT_STRING("kind", &a.kind, "KIND", "the event's kind: operator.note"),
		OPT_STRING("body", &a.body, "JSON", "the event's body, canonical JSON"),
		OPT_STRING("subject", &a.subject, "SUBJECT", "the event's subject (default: none)"),
		OPT_CALLBACK("actor", actor, "NAME", "refused: the actor is the operator running "
			     "the command", refuse_actor),
		OPT_END(),
	};
	int rc, i = cli_parse(argc, argv, opts, &usage, &rc);
	if (i < 0)
		return rc;
	if (i != argc || !nc->dir || !a.kind || !a.body)
		return cli_usage_error(argv[0], "--data, --kind and --body are required");
	struct err e = ERR_INIT;
	const struct kind_def *def = kinds_latest(a.kind);
	if (!def)
		return cli_usage_error(argv[0], "unknown event kind '%s'", a.kind);
	a.version = def->version;
	if (strcmp(def->name, "blob.stored") == 0)
		return cli_usage_error(argv[0], "blob.stored events are appended by 'paspor log "
				       "put-blob' (with the blob), not by hand");
	if (!operator_may_append(def->name))
		return cli_usage_error(argv[0], "'%s' events are not appended from the command line "
				       "(only operator.note): the office and the signer append them "
				       "after their checks", def->name);
	if (kinds_check_body(def, (const uint8_t *)a.body, strlen(a.body), &e) < 0) {
		err_prefix(&e, "--body");
		return cli_report(argv[0], &e);
	}
	if (node_cli_submit(nc, append_one, &a, &e) < 0)
		return cli_report(argv[0], &e);
	printf("%" PRIu64 "\n", a.seq);
	return EXIT_OK;
}

/* `log load`: hidden debug command for the crash test and benchmarks. */
struct load_ctx {
	struct writer *w;
	unsigned long count;
	int id;
	pthread_mutex_t *out_mu;
	int failed;
};

static void *load_thread(void *arg)
{
	struct load_ctx *l = arg;
	for (unsigned long i = 0; i < l->count; i++) {
		char body[96];
		snprintf(body, sizeof body, "{\"text\":\"load writer %d note %lu\"}", l->id, i);
		struct append_arg a = { "operator:load", "operator.note", "", body, 1, 0 };
		struct err e = ERR_INIT;
		if (writer_submit(l->w, append_one, &a, NULL, &e) < 0) {
			pthread_mutex_lock(l->out_mu);
			fprintf(stderr, "paspor log load: writer %d: %s\n", l->id, e.msg);
			pthread_mutex_unlock(l->out_mu);
			l->failed = 1;
			return NULL;
		}
		pthread_mutex_lock(l->out_mu);
		printf("%" PRIu64 "\n", a.seq);
		fflush(stdout);
		pthread_mutex_unlock(l->out_mu);
	}
	return NULL;
}

static int cmd_log_load(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor log load --data DIR --writers N --count N\n"
		"                       (--kek-file FILE | --passphrase-fd N)\n"
		"\n"
		"Debugging and crash tests: N threads each append --count operator.note events\n"
		"through the group-commit writer; each acknowledged seq is printed (and flushed)\n"
		"on its own line as soon as it is acknowledged.\n",
		NULL, NULL
	};
	struct node_cli *nc = ctx;
	unsigned long long writers = 8, count = 100;
	struct cli_option opts[] = {
		OPT_NODE(nc),
		OPT_UINT("writers", &writers, "N", "threads appending at once, 1 to 256 (default 8)",
			 1, 256, "--writers: 1 to 256"),
		OPT_UINT("count", &count, "N", "events each thread appends (default 100)", 0,
			 100000000, "--count: a number"),
		OPT_END(),
	};
	int rc;
	if (parse_node(argc, argv, opts, &usage, nc, "--data is required", &rc) < 0)
		return rc;
	struct err e = ERR_INIT;
	if (node_cli_open(nc, &e) < 0)
		return cli_report(argv[0], &e);
	pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
	struct load_ctx lc[256];
	pthread_t th[256];
	size_t started = 0;
	for (size_t t = 0; t < writers; t++) {
		lc[t] = (struct load_ctx){ nc->writer, (unsigned long)count, (int)t, &out_mu, 0 };
		if (pthread_create(&th[t], NULL, load_thread, &lc[t]) != 0)
			break;
		started++;
	}
	int failed = started != writers;
	for (size_t t = 0; t < started; t++) {
		pthread_join(th[t], NULL);
		failed |= lc[t].failed;
	}
	struct writer_stats st;
	writer_get_stats(nc->writer, &st);
	node_cli_close(nc);
	fprintf(stderr, "paspor log load: %lu requests in %lu transactions\n", st.requests,
		st.batches);
	return failed ? EXIT_FAILED : EXIT_OK;
}

static int cmd_log_checkpoint(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor log checkpoint --data DIR [--size N]\n"
		"\n"
		"Prints the node's latest signed checkpoint (or the one of tree size N) from its\n"
		"database as a C2SP signed note: the node's signature line, then the witnesses'\n"
		"cosignature lines stored beside it ('paspor log cosign').\n",
		"Exit status: 0 printed, 1 the database cannot be read, 2 usage error or no\n"
		"checkpoint of that size.\n",
		NULL
	};
	struct node_cli *nc = ctx;
	unsigned long long size = UINT64_MAX;
	struct cli_option opts[] = {
		OPT_DATA(nc),
		OPT_UINT("size", &size, "N", "the checkpoint of this tree size (default: the "
			 "latest)", 0, INT64_MAX, "--size: a tree size"),
		OPT_END(),
	};
	int rc;
	if (parse_node(argc, argv, opts, &usage, nc, "--data DIR is required", &rc) < 0)
		return rc;
	int have_size = size != UINT64_MAX;
	if (!have_size)
		size = 0;
	struct err e = ERR_INIT;
	if (node_cli_open(nc, &e) < 0)
		return cli_report(argv[0], &e);
	struct buf b;
	buf_init(&b, (size_t)2 * NOTE_MAX_LEN);
	int r = log_checkpoint_note(&nc->node, have_size, size, &b, &e);
	if (r == 1 && have_size)
		err_set(&e, ERR_INPUT, "'%s' has no checkpoint of size %llu", nc->dir, size);
	else if (r == 1)
		err_set(&e, ERR_INPUT, "'%s' has no checkpoint yet", nc->dir);
	else if (r == 0)
		fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
	node_cli_close(nc);
	return r == 0 ? EXIT_OK : cli_report(argv[0], &e);
}

/* put-blob, sign-note: the node options and --<name> FILE, both required ("--data and
 * --<name> are required", also for an operand) */
static int parse_node_file(int argc, char **argv, const struct cli_usage *usage,
			   struct node_cli *nc, const char *name, const char *help,
			   const char **file, int *rc)
{
	struct cli_option opts[] = {
		OPT_NODE(nc),
		OPT_FILENAME(name, file, "FILE", help),
		OPT_END(),
	};
	int i = cli_parse(argc, argv, opts, usage, rc);
	if (i < 0)
		return -1;
	if (i != argc || !nc->dir || !*file) {
		*rc = cli_usage_error(argv[0], "--data and --%s are required", name);
		return -1;
	}
	return 0;
}

/* `log put-blob`: stores a file as a blob through the writer (writer_txn_put_blob). */
struct put_blob_arg {
	const uint8_t *data;
	size_t len;
	struct blob_ref ref;
};

static int put_blob_one(struct writer_txn *tx, void *arg, struct err *e)
{
	struct put_blob_arg *a = arg;
	return writer_txn_put_blob(tx, a->data, a->len, &a->ref, e);
}

static int cmd_log_put_blob(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor log put-blob --data DIR --file FILE\n"
		"                           (--kek-file FILE | --passphrase-fd N)\n"
		"\n"
		"Operator and test use: stores FILE (at most 16 MiB) as an encrypted blob in\n"
		"DIR/blobs (docs/BLOBS.md) and, the first time this content is stored, appends a\n"
		"clear blob.stored event naming it, so 'paspor log verify' can check the blob file\n"
		"without any key. Prints the blob ref as JSON: {\"name\", \"sha256\", \"size\"}.\n",
		"Exit status: 0 stored, 1 the node refused (guards, I/O, a logged blob whose file\n"
		"changed), 2 usage error or FILE unreadable or too big.\n",
		NULL
	};
	struct node_cli *nc = ctx;
	const char *file = NULL;
	int rc;
	if (parse_node_file(argc, argv, &usage, nc, "file", "the file to store", &file, &rc) < 0)
		return rc;
	struct err e = ERR_INIT;
	struct buf content;
	buf_init(&content, BLOBS_MAX);
	if (fs_read_file(file, &content, &e) < 0) {
		buf_release(&content);
		e.code = ERR_INPUT;
		return cli_report(argv[0], &e);
	}
	struct put_blob_arg a = { content.data, content.len, { { 0 }, { 0 }, 0 } };
	rc = node_cli_submit(nc, put_blob_one, &a, &e);
	if (content.data)
		sodium_memzero(content.data, content.len);
	buf_release(&content);
	if (rc < 0)
		return cli_report(argv[0], &e);
	char sha[65];
	blobs_sha256_hex(&a.ref, sha);
	printf("{\"name\":\"%s\",\"sha256\":\"%s\",\"size\":%" PRIu64 "}\n", a.ref.name, sha,
	       a.ref.size);
	return EXIT_OK;
}

/* A verifier key given on the command line: the key string, or a file holding one (its
 * first line), such as a witness's keys/node.pub. */
static int read_vkey_arg(const char *arg, struct buf *out, struct err *e)
{
	if (access(arg, F_OK) != 0)
		return buf_addstr(out, arg) < 0 ? err_nomem(e) : 0;
	if (fs_read_file(arg, out, e) < 0)
		return -1;
	buf_truncate(out, strcspn(buf_str(out), "\n"));
	return 0;
}

static int cmd_log_cosign(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor log cosign --data DIR --note FILE --vkey VKEY\n"
		"\n"
		"Stores a witness's cosignature (operator use, until replication collects them):\n"
		"FILE is a signed note carrying, on a checkpoint this node signed and stored (same\n"
		"origin, size, root), this node's signature and one by the witness key VKEY (a\n"
		"verifier key string <name>+<id>+<base64>, or a file holding one such as the\n"
		"witness's keys/node.pub). Both are verified; then the witness's signature line and\n"
		"its verifier key are stored beside that checkpoint ('paspor log checkpoint' shows\n"
		"it, 'paspor log verify' checks it). No data key is needed.\n",
		"Exit status: 0 stored, 1 a signature does not verify or this node signed no such\n"
		"checkpoint, 2 usage error or a malformed note or key.\n",
		NULL
	};
	struct node_cli *nc = ctx;
	const char *file = NULL, *vkey = NULL;
	struct cli_option opts[] = {
		OPT_DATA(nc),
		OPT_FILENAME("note", &file, "FILE", "the signed note with both signatures"),
		OPT_STRING("vkey", &vkey, "VKEY", "the witness's verifier key, or a file holding it"),
		OPT_END(),
	};
	int rc, i = cli_parse(argc, argv, opts, &usage, &rc);
	if (i < 0)
		return rc;
	if (i != argc || !nc->dir || !file || !vkey)
		return cli_usage_error(argv[0], "--data, --note and --vkey are required");
	struct err e = ERR_INIT;
	struct buf note, key;
	buf_init(&note, NOTE_MAX_LEN + 1);
	buf_init(&key, 4096);
	rc = -1;
	struct log_cosign_result res;
	if (fs_read_file(file, &note, &e) < 0 || read_vkey_arg(vkey, &key, &e) < 0) {
		e.code = ERR_INPUT;
	} else if (node_cli_open(nc, &e) == 0) {
		rc = log_cosign(&nc->node, note.data, note.len, buf_str(&key), &res, &e);
		node_cli_close(nc);
	}
	buf_release(&note);
	buf_release(&key);
	if (rc < 0)
		return cli_report(argv[0], &e);
	printf("cosignature by '%s' (key %08" PRIx32 ") stored beside checkpoint %" PRIu64 "\n",
	       res.witness, res.key_id, res.size);
	return EXIT_OK;
}

static int cmd_log_sign_note(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor log sign-note --data DIR --in FILE\n"
		"                            (--kek-file FILE | --passphrase-fd N)\n"
		"\n"
		"Tests and operations: adds this node's signature (keys/node.key) to the note in\n"
		"FILE — a signed note, or bare text ending in a newline — and prints the signed\n"
		"note, e.g. to cosign another node's checkpoint as a witness.\n",
		NULL, NULL
	};
	struct node_cli *nc = ctx;
	const char *file = NULL;
	int rc;
	if (parse_node_file(argc, argv, &usage, nc, "in", "the note to sign", &file, &rc) < 0)
		return rc;
	struct err e = ERR_INIT;
	struct buf in, out;
	buf_init(&in, NOTE_MAX_LEN + 1);
	buf_init(&out, (size_t)2 * NOTE_MAX_LEN);
	struct note note = { 0 };
	rc = -1;
	int parsed = fs_read_file(file, &in, &e) == 0;
	if (parsed && note_parse(&note, in.data, in.len, &e) < 0) {
		/* not a signed note: bare text to sign */
		err_clear(&e);
		parsed = note_init(&note, (const char *)in.data, in.len, &e) == 0;
	}
	if (!parsed) {
		e.code = ERR_INPUT;
	} else if (node_cli_open(nc, &e) == 0) {
		rc = note_sign(&note, &nc->node.keys.signer, &e) < 0 ||
			     note_format(&note, &out, &e) < 0 ? -1 : 0;
		node_cli_close(nc);
	}
	if (rc == 0)
		fwrite(out.data, 1, out.len, stdout);
	note_release(&note);
	buf_release(&in);
	buf_release(&out);
	return rc == 0 ? EXIT_OK : cli_report(argv[0], &e);
}

static void print_b64(const uint8_t *p, size_t n)
{
	char s[64];
	sodium_bin2base64(s, sizeof s, p, n, sodium_base64_VARIANT_ORIGINAL);
	printf("\"%s\"", s);
}

static void print_proof(const struct merkle_proof *p)
{
	printf("\"proof\": [");
	for (size_t i = 0; i < p->n; i++) {
		printf(i ? ", " : "");
		print_b64(p->hash[i], MERKLE_HASH_LEN);
	}
	printf("]}\n");
}

static int cmd_log_proof(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor log proof --data DIR --inclusion INDEX [--size N]\n"
		"       paspor log proof --data DIR --consistency SIZE1 SIZE2\n"
		"\n"
		"Prints an RFC 9162 proof from the node's log as JSON in the shape that\n"
		"'paspor log verify-proof' reads (docs/LOG.md, \"Proof files\"). --size defaults\n"
		"to the latest checkpoint's size.\n",
		NULL, NULL
	};
	struct node_cli *nc = ctx;
	unsigned long long index = UINT64_MAX, size = UINT64_MAX, s1 = 0, s2 = 0;
	int cons = 0;
	struct cli_option opts[] = {
		OPT_DATA(nc),
		OPT_UINT("inclusion", &index, "INDEX", "an inclusion proof of the event at INDEX",
			 0, INT64_MAX, "--inclusion: an index"),
		OPT_UINT("size", &size, "N", "in the tree of size N", 0, INT64_MAX,
			 "--size: a tree size"),
		OPT_BOOL("consistency", &cons, "a consistency proof between the operands SIZE1 "
			 "and SIZE2"),
		OPT_END(),
	};
	int rc, i = cli_parse(argc, argv, opts, &usage, &rc);
	if (i < 0)
		return rc;
	int incl = index != UINT64_MAX, have_size = size != UINT64_MAX;
	if (!nc->dir || incl == cons)
		return cli_usage_error(argv[0], "--data and one of --inclusion, --consistency");
	if (cons && (argc - i != 2 || cli_parse_uint(argv[i], INT64_MAX, &s1) < 0 ||
		     cli_parse_uint(argv[i + 1], INT64_MAX, &s2) < 0))
		return cli_usage_error(argv[0], "--consistency needs SIZE1 SIZE2");
	if (incl && i != argc)
		return cli_usage_error(argv[0], "unexpected argument '%s'", argv[i]);
	struct err e = ERR_INIT;
	if (node_cli_open(nc, &e) < 0)
		return cli_report(argv[0], &e);
	struct node *n = &nc->node;
	struct merkle_proof p;
	uint8_t r1[MERKLE_HASH_LEN], r2[MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN];
	struct buf ev;
	buf_init(&ev, EVENT_MAX);
	rc = -1;
	if (incl) {
		if (!have_size)
			size = n->size;
		if (size > n->size || index >= size) {
			err_set(&e, ERR_INPUT, "index %llu is not in a tree of size %llu (the log holds %"
				PRIu64 ")", index, size, n->size);
		} else if (store_event_get(&n->store, index, &ev, &e) == 0 &&
			   merkle_leaf_hash(ev.data, ev.len, leaf, &e) == 0 &&
			   tlog_root(&n->tlog, size, r1, &e) == 0 &&
			   tlog_inclusion_proof(&n->tlog, index, size, &p, &e) == 0) {
			printf("{\"leafIdx\": %llu, \"treeSize\": %llu, \"leafHash\": ", index, size);
			print_b64(leaf, MERKLE_HASH_LEN);
			printf(", \"root\": ");
			print_b64(r1, MERKLE_HASH_LEN);
			printf(", ");
			print_proof(&p);
			rc = 0;
		}
	} else {
		if (s1 == 0 || s1 > s2 || s2 > n->size) {
			err_set(&e, ERR_INPUT, "sizes must be 0 < SIZE1 <= SIZE2 <= %" PRIu64, n->size);
		} else if (tlog_root(&n->tlog, s1, r1, &e) == 0 && tlog_root(&n->tlog, s2, r2, &e) == 0 &&
			   tlog_consistency_proof(&n->tlog, s1, s2, &p, &e) == 0) {
			printf("{\"size1\": %llu, \"size2\": %llu, \"root1\": ", s1, s2);
			print_b64(r1, MERKLE_HASH_LEN);
			printf(", \"root2\": ");
			print_b64(r2, MERKLE_HASH_LEN);
			printf(", ");
			print_proof(&p);
			rc = 0;
		}
	}
	buf_release(&ev);
	node_cli_close(nc);
	return rc == 0 ? EXIT_OK : cli_report(argv[0], &e);
}

/* Progress on a terminal (stderr): done of total, rate and time left, at most 5 times a
 * second. */
struct progress {
	const char *what;
	double start, last;
};

static double progress_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	double t = progress_now();
	if (done < total && t - p->last < 0.2)
		return;
	p->last = t;
	if (done == 0 && total > 0) { /* rebuild: emptying the state tables first */
		fprintf(stderr, "\r\033[K%s: emptying the state tables before replaying %" PRIu64
			" events", p->what, total);
		p->start = t; /* the rate counts from the replay */
		return;
	}
	double rate = t > p->start ? (double)done / (t - p->start) : 0;
	fprintf(stderr, "\r\033[K%s: %" PRIu64 " of %" PRIu64 " events, %.0f events/s, %.0f s left",
		p->what, done, total, rate,
		rate > 0 && total > done ? (double)(total - done) / rate : 0.0);
	if (done >= total)
		fputc('\n', stderr);
}

static int cmd_log_verify(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor log verify --data DIR\n"
		"\n"
		"Checks the node's whole log without any secret key: every event decodes, seq runs\n"
		"0, 1, 2, … and time does not go backwards; every event's hash, the Merkle tree\n"
		"rebuilt from the events and the stored tiles match every signed checkpoint and\n"
		"DIR/checkpoint (signatures checked with keys/node.pub); every blob a clear\n"
		"blob.stored event names exists in DIR/blobs with the logged size and SHA-256;\n"
		"every stored cosignature verifies with its stored witness key. Shows progress on\n"
		"a terminal, else prints one summary line.\n",
		"Exit status: 0 the log verifies, 1 it does not (naming the first bad event, blob,\n"
		"checkpoint or cosignature) or cannot be read, 2 usage error.\n",
		NULL
	};
	struct node_cli *nc = ctx;
	struct cli_option opts[] = { OPT_DATA(nc), OPT_END() };
	int rc;
	if (parse_node(argc, argv, opts, &usage, nc, "--data DIR is required", &rc) < 0)
		return rc;
	struct err e = ERR_INIT;
	if (node_cli_open(nc, &e) < 0) {
		if (e.code == ERR_INPUT)
			e.code = ERR_VERIFY; /* a data dir that does not open does not verify */
		return cli_report(argv[0], &e);
	}
	struct node *n = &nc->node;
	struct verify_opts o = { 0 };
	struct progress pr = { "verifying", progress_now(), 0 };
	if (isatty(2)) {
		o.progress = show_progress;
		o.ctx = &pr;
	}
	struct verify_result res;
	rc = log_verify(n, &o, &res, &e);
	if (rc == 0) {
		char root[64];
		sodium_bin2base64(root, sizeof root, res.root, MERKLE_HASH_LEN,
				  sodium_base64_VARIANT_ORIGINAL);
		printf("log verified: origin %s, %" PRIu64 " events, %" PRIu64 " checkpoints, %" PRIu64
		       " blobs, %" PRIu64 " cosignatures", n->origin, res.events, res.checkpoints,
		       res.blobs, res.cosignatures);
		if (res.cosignatures_unchecked)
			printf(" (%" PRIu64 " more without a stored witness key, not checked)",
			       res.cosignatures_unchecked);
		printf(", root %s\n", root);
	}
	node_cli_close(nc);
	if (rc < 0 && e.code != ERR_VERIFY && e.code != ERR_NOMEM)
		e.code = ERR_VERIFY;
	return rc == 0 ? EXIT_OK : cli_report(argv[0], &e);
}

int cmd_rebuild(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor rebuild --data DIR (--kek-file FILE | --passphrase-fd N)\n"
		"\n"
		"Drops every state table (projection) and replays every event of the log through\n"
		"its kind's handler, in transactions of 65536 events. Needs the data key to read\n"
		"bodies. Until it ends, the node refuses to run (its state tables are incomplete);\n"
		"a rebuild that was stopped is simply run again.\n",
		NULL, NULL
	};
	struct node_cli *nc = ctx;
	struct cli_option opts[] = { OPT_NODE(nc), OPT_END() };
	int rc;
	if (parse_node(argc, argv, opts, &usage, nc, "--data is required", &rc) < 0)
		return rc;
	struct err e = ERR_INIT;
	if (node_cli_open(nc, &e) < 0)
		return cli_report(argv[0], &e);
	uint64_t count;
	struct progress pr = { "rebuilding", progress_now(), 0 };
	rc = node_rebuild_progress(&nc->node, &count, 0, isatty(2) ? show_progress : NULL, &pr,
				   &e);
	node_cli_close(nc);
	if (rc < 0)
		return cli_report(argv[0], &e);
	printf("rebuilt the state tables from %" PRIu64 " events\n", count);
	return EXIT_OK;
}

const struct cli_command log_commands[] = {
	CLI_CMD("verify-proof", cmd_log_verify_proof, "verify an inclusion or consistency proof (JSON)"),
	CLI_CMD_SETUP("append", cmd_log_append, &node_cli_writer,
		      "append one event to a node's log (operator, debugging)"),
	CLI_CMD_SETUP("checkpoint", cmd_log_checkpoint, &node_cli_log,
		      "print a signed checkpoint with its cosignatures"),
	CLI_CMD_SETUP("put-blob", cmd_log_put_blob, &node_cli_writer,
		      "store a blob, anchored in the log (operator, tests)"),
	CLI_CMD_SETUP("cosign", cmd_log_cosign, &node_cli_log,
		      "store a witness's cosignature of a checkpoint"),
	CLI_CMD_SETUP("sign-note", cmd_log_sign_note, &node_cli_write,
		      "sign a note with a node's key (tests, witnesses)"),
	CLI_CMD_SETUP("proof", cmd_log_proof, &node_cli_log,
		      "print an inclusion or consistency proof from a node's log"),
	CLI_CMD_SETUP("verify", cmd_log_verify, &node_cli_log,
		      "verify a node's whole log against its signed checkpoints"),
	CLI_CMD_SETUP("load", cmd_log_load, &node_cli_writer,
		      "append from many threads at once (crash tests, benchmarks)"),
	CLI_CMD_END(),
};
