/*
 * cmd_signer — `paspor signer`: the Document Signer process and its ceremony commands
 * (signer/signer.h, docs/SIGNER.md).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "commands.h"
#include "icao/face.h"
#include "icao/lds.h"
#include "icao/mrz.h"
#include "icao/pki.h"
#include "log/node.h"
#include "signer/p11.h"
#include "signer/signer.h"
#include "signproto/client.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/cli.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/privs.h"

/*
 * The set-up of a signer subcommand (util/cli.h struct cli_setup, like log/node_cli.h's
 * for a node): the command is run(argc, argv, ctx), ctx a struct signer_cli holding its
 * options (the defaults set). After checking them, the command calls signer_cli_open,
 * which does what its row's set-up names: read DIR/signer.conf and name its token
 * (SIGNER_CLI_TOKEN), read the key-encryption key (SIGNER_CLI_KEK); signer_cli_record
 * reads the key when the command records an event. The set-up wipes the key after the
 * command, whatever it did.
 */
enum { SIGNER_CLI_TOKEN = 1, SIGNER_CLI_KEK = 2 };

struct signer_cli {
	/* from the options */
	const char *data, *kek_file, *module, *token, *label, *pin, *origin, *out, *cert, *csca,
		*first, *number, *reason, *cn, *socket, *booklet, *app, *json, *mrz, *photo, *user,
		*state, *zone, *issue;
	unsigned long long per_min, per_day, warn, count;
	/* after signer_cli_open, by flags */
	unsigned flags;
	struct signer_config cfg;
	struct p11_token p11;
	struct kek_source kek;
	int have_kek;
};

/* A number up to o->max into the unsigned long long at o->value. */
static int parse_num(const struct cli_option *o, const char *arg, const char *prog)
{
	if (cli_parse_uint(arg, o->max, o->value) < 0)
		return cli_usage_error(prog, "'%s': not a number up to %llu", arg, o->max);
	return 0;
}

#define OPT_NUM(l, v, hi, h) \
	{ CLI_OPT_CALLBACK, (l), CLI_PTR_(unsigned long long *, v), "N", (h), 0, (hi), NULL, parse_num }
#define OPT_SIGNER_DATA(sc) OPT_FILENAME("data", &(sc)->data, "DIR", "the signer's data dir")
#define OPT_SIGNER_KEK(sc) \
	OPT_FILENAME("kek-file", &(sc)->kek_file, "FILE", "key-encryption key file, kept outside DIR")
#define OPT_SIGNER(sc) OPT_SIGNER_DATA(sc), OPT_SIGNER_KEK(sc)

#define PARSE(opts, usage, need)                                                    \
	do {                                                                        \
		int rc_;                                                            \
		if (cli_parse_no_operands(argc, argv, opts, &(usage), &rc_) < 0)    \
			return rc_;                                                 \
		if (!(need))                                                        \
			return cli_usage_error(argv[0], "missing a required option (--help)"); \
	} while (0)

static int signer_cli_read_kek(struct signer_cli *sc, struct err *e)
{
	if (keys_kek_from_options(&sc->kek, sc->kek_file, NULL, e) < 0)
		return -1;
	sc->have_kek = 1;
	return 0;
}

static int signer_cli_open(struct signer_cli *sc, struct err *e)
{
	if (sc->flags & SIGNER_CLI_TOKEN) {
		if (signer_config_load(sc->data, &sc->cfg, e) < 0)
			return -1;
		signer_config_token(&sc->cfg, &sc->p11);
	}
	if ((sc->flags & SIGNER_CLI_KEK) && signer_cli_read_kek(sc, e) < 0)
		return -1;
	return 0;
}

/* Reads the key-encryption key, then records one event in the signer's log. */
static int signer_cli_record(struct signer_cli *sc, const char *kind, const char *subject,
			     json_t *body, struct err *e)
{
	if (signer_cli_read_kek(sc, e) < 0)
		return -1;
	return signer_record(sc->data, &sc->kek, kind, subject, body, e);
}

static int signer_cli_run(const struct cli_setup *s,
			  int (*fn)(int argc, char **argv, void *ctx), int argc, char **argv)
{
	struct signer_cli sc;
	memset(&sc, 0, sizeof sc);
	sc.per_min = 60;
	sc.per_day = 5000;
	sc.warn = 14;
	sc.flags = s->flags;
	int rc = fn(argc, argv, &sc);
	if (sc.have_kek)
		keys_kek_release(&sc.kek);
	return rc;
}

static const struct cli_setup signer_cli_options = { signer_cli_run, 0 };
static const struct cli_setup signer_cli_token = { signer_cli_run, SIGNER_CLI_TOKEN };
static const struct cli_setup signer_cli_key = { signer_cli_run, SIGNER_CLI_KEK };

/* ---- init ---- */

static int signer_init(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor signer init --data DIR --kek-file FILE --module SO --token LABEL\n"
		"         --key-label LABEL --pin-file FILE [--per-minute N] [--per-day N]\n"
		"         [--warn-days N] [--origin NAME] [--state IDN] [--timezone ZONE]\n"
		"\n"
		"Makes the signer's data dir (a log node) and DIR/signer.conf. The PIN stays in\n"
		"--pin-file (mode 0600), read at each use. Defaults: 60 a minute, 5000 a day,\n"
		"warn 14 days before the key's usage period ends, state IDN (the issuing state\n"
		"and nationality it signs for), timezone Asia/Jakarta (its 'today': the only\n"
		"issue date it signs; give the office's office.timezone).\n",
		NULL, NULL
	};
	struct signer_cli *sc = ctx;
	struct cli_option opts[] = {
		OPT_SIGNER(sc),
		OPT_STRING("module", &sc->module, "SO", "the PKCS#11 module"),
		OPT_STRING("token", &sc->token, "LABEL", "the token's label"),
		OPT_STRING("key-label", &sc->label, "LABEL", "the DS key's label in the token"),
		OPT_FILENAME("pin-file", &sc->pin, "FILE", "the file holding the token's PIN "
			     "(mode 0600)"),
		OPT_NUM("per-minute", &sc->per_min, 100000, "signatures a minute at most (default "
			"60)"),
		OPT_NUM("per-day", &sc->per_day, 10000000, "signatures a day at most (default 5000)"),
		OPT_NUM("warn-days", &sc->warn, 92, "warn this many days before the key's usage "
			"period ends (default 14)"),
		OPT_STRING("origin", &sc->origin, "NAME", "the signer log's origin (default "
			   "signer.paspor.local)"),
		OPT_STRING("state", &sc->state, "IDN", "the issuing state it signs for (default IDN)"),
		OPT_STRING("timezone", &sc->zone, "ZONE", "its time zone (default Asia/Jakarta)"),
		OPT_END(),
	};
	PARSE(opts, usage, sc->data && sc->kek_file && sc->module && sc->token && sc->label && sc->pin);
	struct signer_config c;
	memset(&c, 0, sizeof c);
	if (strlen(sc->module) >= sizeof c.module || strlen(sc->token) >= sizeof c.token ||
	    strlen(sc->label) >= sizeof c.key_label || strlen(sc->pin) >= sizeof c.pin_file)
		return cli_usage_error(argv[0], "an option is too long");
	if (sc->per_min == 0 || sc->per_day == 0)
		return cli_usage_error(argv[0], "rate caps must be at least 1");
	snprintf(c.state, sizeof c.state, "%s", sc->state ? sc->state : SIGNER_DEFAULT_STATE);
	snprintf(c.timezone, sizeof c.timezone, "%s", sc->zone ? sc->zone : SIGNER_DEFAULT_ZONE);
	if (signer_state_valid(sc->state ? sc->state : c.state) < 0)
		return cli_usage_error(argv[0], "--state: 3 letters A-Z (e.g. IDN, or D<<)");
	if (signer_zone_valid(sc->zone ? sc->zone : c.timezone) < 0)
		return cli_usage_error(argv[0], "--timezone: not a zone of /usr/share/zoneinfo");
	strcpy(c.module, sc->module);
	strcpy(c.token, sc->token);
	strcpy(c.key_label, sc->label);
	strcpy(c.pin_file, sc->pin);
	c.per_minute = (unsigned)sc->per_min;
	c.per_day = (unsigned)sc->per_day;
	c.warn_days = (unsigned)sc->warn;
	struct err e = ERR_INIT;
	if (signer_cli_open(sc, &e) < 0)
		return cli_report(argv[0], &e);
	if (node_create(sc->data, sc->origin ? sc->origin : "signer.paspor.local", "Document Signer",
			&sc->kek, &e) < 0 ||
	    signer_config_write(sc->data, &c, &e) < 0)
		return cli_report(argv[0], &e);
	printf("signer data dir: %s\n", sc->data);
	return EXIT_OK;
}

/* ---- key ceremony ---- */

static int key_generate(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor signer key generate --data DIR\n"
		"\n"
		"Generates the DS key pair (EC P-256) inside the configured token: the private\n"
		"key sensitive and not extractable. Refuses when the label is taken.\n",
		NULL, NULL
	};
	struct signer_cli *sc = ctx;
	struct cli_option opts[] = {
		OPT_SIGNER_DATA(sc),
		OPT_END(),
	};
	PARSE(opts, usage, sc->data);
	struct err e = ERR_INIT;
	if (signer_cli_open(sc, &e) < 0)
		return cli_report(argv[0], &e);
	struct p11_token *t = &sc->p11;
	if (p11_key_generate(t, &e) < 0)
		return cli_report(argv[0], &e);
	printf("key '%s' generated in token '%s'\n", t->key_label, t->token);
	return EXIT_OK;
}

static int key_csr(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor signer key csr --data DIR --out FILE [--cn NAME]\n"
		"\n"
		"Writes a PEM certificate request for the token's key, signed in the token\n"
		"(for 'paspor pki ds --csca DIR --csr FILE').\n",
		NULL, NULL
	};
	struct signer_cli *sc = ctx;
	struct cli_option opts[] = {
		OPT_SIGNER_DATA(sc),
		OPT_FILENAME("out", &sc->out, "FILE", "the certificate request to write (PEM)"),
		OPT_STRING("cn", &sc->cn, "NAME", "subject CN (default \"Document Signer\")"),
		OPT_END(),
	};
	PARSE(opts, usage, sc->data && sc->out);
	struct err e = ERR_INIT;
	if (signer_cli_open(sc, &e) < 0)
		return cli_report(argv[0], &e);
	struct p11_token *t = &sc->p11;
	struct p11_key k;
	memset(&k, 0, sizeof k);
	int rc = EXIT_FAILED;
	X509_REQ *req = X509_REQ_new();
	EVP_PKEY *pub = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	/* the public half from the token itself (p11 path) first: that path closes the
	 * module before the engine opens it */
	if (p11_public_key(t, &pub, &e) < 0 || p11_load_key(t, &k, &e) < 0) {
		rc = cli_report(argv[0], &e);
		goto out;
	}
	X509_NAME *n = X509_REQ_get_subject_name(req);
	const char *cn = sc->cn ? sc->cn : "Document Signer";
	if (!req || !bio ||
	    X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8, (const unsigned char *)cn,
				       -1, -1, 0) != 1 ||
	    X509_REQ_set_pubkey(req, pub) != 1 || X509_REQ_sign(req, k.key, EVP_sha256()) <= 0 ||
	    PEM_write_bio_X509_REQ(bio, req) != 1) {
		err_openssl(&e, ERR_CRYPTO, "cannot make the certificate request");
		rc = cli_report(argv[0], &e);
		goto out;
	}
	char *p;
	long len = BIO_get_mem_data(bio, &p);
	if (fs_write_atomic(sc->out, p, (size_t)len, 0644, &e) < 0) {
		rc = cli_report(argv[0], &e);
		goto out;
	}
	printf("certificate request: %s\n", sc->out);
	rc = EXIT_OK;
out:
	BIO_free(bio);
	X509_REQ_free(req);
	EVP_PKEY_free(pub);
	p11_key_release(&k);
	return rc;
}

static int pkup_of(X509 *x, time_t *from, time_t *to)
{
	PKEY_USAGE_PERIOD *p = X509_get_ext_d2i(x, NID_private_key_usage_period, NULL, NULL);
	if (!p || !p->notBefore || !p->notAfter) {
		PKEY_USAGE_PERIOD_free(p);
		return -1;
	}
	struct tm a, b;
	ASN1_TIME_to_tm(p->notBefore, &a);
	ASN1_TIME_to_tm(p->notAfter, &b);
	*from = timegm(&a);
	*to = timegm(&b);
	PKEY_USAGE_PERIOD_free(p);
	return 0;
}

static int key_install(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor signer key install --data DIR --kek-file FILE --cert FILE\n"
		"         [--csca-cert FILE]\n"
		"\n"
		"Installs the DS certificate for the token's key as DIR/ds.cert.pem after\n"
		"checking that it certifies that key and carries a private key usage period;\n"
		"records signer.cert_installed.\n",
		NULL, NULL
	};
	struct signer_cli *sc = ctx;
	struct cli_option opts[] = {
		OPT_SIGNER(sc),
		OPT_FILENAME("cert", &sc->cert, "FILE", "the DS certificate (PEM)"),
		OPT_FILENAME("csca-cert", &sc->csca, "FILE", "the CSCA certificate: check that it "
			     "issued the DS certificate, and install it too"),
		OPT_END(),
	};
	PARSE(opts, usage, sc->data && sc->kek_file && sc->cert);
	struct err e = ERR_INIT;
	if (signer_cli_open(sc, &e) < 0)
		return cli_report(argv[0], &e);
	struct p11_token *t = &sc->p11;
	X509 *x = NULL, *ca = NULL;
	EVP_PKEY *pub = NULL;
	json_t *body = NULL;
	char *path = NULL, *capath = NULL;
	int rc = EXIT_FAILED;
	if (pki_load_cert(sc->cert, &x, &e) < 0 || (sc->csca && pki_load_cert(sc->csca, &ca, &e) < 0) ||
	    p11_public_key(t, &pub, &e) < 0)
		goto report;
	if (!signer_cert_matches(x, pub)) {
		err_set(&e, ERR_VERIFY, "'%s' does not certify the token's key '%s'", sc->cert,
			t->key_label);
		goto report;
	}
	time_t from, to;
	if (pkup_of(x, &from, &to) < 0) {
		err_set(&e, ERR_INPUT, "'%s' has no private key usage period", sc->cert);
		goto report;
	}
	if (ca && X509_check_issued(ca, x) != X509_V_OK) {
		err_set(&e, ERR_VERIFY, "'%s' was not issued by '%s'", sc->cert, sc->csca);
		goto report;
	}
	path = fs_join(sc->data, "ds.cert.pem");
	capath = fs_join(sc->data, "csca.cert.pem");
	if (!path || !capath) {
		err_nomem(&e);
		goto report;
	}
	struct buf b;
	buf_init(&b, 1 << 20);
	int wr = fs_read_file(sc->cert, &b, &e) == 0 &&
		 fs_write_atomic(path, b.data, b.len, 0644, &e) == 0 ? 0 : -1;
	if (wr == 0 && sc->csca) {
		buf_reset(&b);
		wr = fs_read_file(sc->csca, &b, &e) == 0 &&
		     fs_write_atomic(capath, b.data, b.len, 0644, &e) == 0 ? 0 : -1;
	}
	buf_release(&b);
	if (wr < 0)
		goto report;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	char subj[256], end[32];
	X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof subj);
	struct tm tm;
	gmtime_r(&to, &tm);
	strftime(end, sizeof end, "%Y-%m-%dT%H:%M:%SZ", &tm);
	body = json_pack("{s:s, s:s, s:s}", "serial", hex ? hex : "?", "subject", subj,
			 "pkup_end", end);
	OPENSSL_free(hex);
	BN_free(bn);
	if (!body) {
		err_nomem(&e);
		goto report;
	}
	if (signer_cli_record(sc, "signer.cert_installed", "cert", body, &e) < 0)
		goto report;
	printf("installed %s; private key usage ends %s\n", path, end);
	rc = EXIT_OK;
	goto out;
report:
	rc = cli_report(argv[0], &e);
out:
	json_decref(body);
	mem_free(path);
	mem_free(capath);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(pub);
	return rc;
}

static int key_show(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor signer key show --data DIR\n"
		"\n"
		"Shows the token key's attributes and the installed certificate's private key\n"
		"usage period; warns (stderr) when it ends within warn_days, and exits 1 when it\n"
		"has ended or the key could be read out.\n",
		NULL, NULL
	};
	struct signer_cli *sc = ctx;
	struct cli_option opts[] = {
		OPT_SIGNER_DATA(sc),
		OPT_END(),
	};
	PARSE(opts, usage, sc->data);
	struct err e = ERR_INIT;
	if (signer_cli_open(sc, &e) < 0)
		return cli_report(argv[0], &e);
	struct p11_token *t = &sc->p11;
	struct p11_key_info ki;
	if (p11_key_info(t, &ki, &e) < 0)
		return cli_report(argv[0], &e);
	printf("token: %s\nkey: %s\nsensitive: %s\nalways sensitive: %s\nextractable: %s\n"
	       "never extractable: %s\n", t->token, t->key_label, ki.sensitive ? "yes" : "no",
	       ki.always_sensitive ? "yes" : "no", ki.extractable ? "yes" : "no",
	       ki.never_extractable ? "yes" : "no");
	int rc = ki.sensitive && !ki.extractable && ki.never_extractable ? EXIT_OK : EXIT_FAILED;
	char *path = fs_join(sc->data, "ds.cert.pem");
	X509 *x = NULL;
	if (path && pki_load_cert(path, &x, &e) == 0) {
		time_t from, to, now = time(NULL);
		if (pkup_of(x, &from, &to) == 0) {
			char f[32], u[32];
			struct tm tm;
			strftime(f, sizeof f, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&from, &tm));
			strftime(u, sizeof u, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&to, &tm));
			long days = (long)((to - now) / 86400);
			printf("private key usage period: %s to %s\n", f, u);
			if (now > to) {
				fprintf(stderr, "%s: the private key usage period has ended: make a "
					"new key\n", argv[0]);
				rc = EXIT_FAILED;
			} else if (days < (long)sc->cfg.warn_days) {
				fprintf(stderr, "%s: warning: the private key usage period ends in %ld "
					"days: start the next key ceremony\n", argv[0], days);
			} else {
				printf("days left: %ld\n", days);
			}
		}
	} else {
		printf("certificate: none installed\n");
	}
	X509_free(x);
	mem_free(path);
	return rc;
}

static const struct cli_command key_commands[] = {
	CLI_CMD_SETUP("generate", key_generate, &signer_cli_token,
		      "generate the DS key pair inside the token"),
	CLI_CMD_SETUP("csr", key_csr, &signer_cli_token,
		      "write a certificate request for the token's key"),
	CLI_CMD_SETUP("install", key_install, &signer_cli_token, "install the DS certificate"),
	CLI_CMD_SETUP("show", key_show, &signer_cli_token, "show the key and its usage period"),
	CLI_CMD_END(),
};

/* ---- booklets ---- */

static int booklets_add(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor signer booklets add --data DIR --kek-file FILE --first NUMBER\n"
		"         --count N\n"
		"\n"
		"Adds booklets NUMBER, NUMBER+1, ... to the signer's stock (trailing digits\n"
		"counted up).\n",
		NULL, NULL
	};
	struct signer_cli *sc = ctx;
	struct cli_option opts[] = {
		OPT_SIGNER(sc),
		OPT_STRING("first", &sc->first, "NUMBER", "the first booklet's number"),
		OPT_NUM("count", &sc->count, SIGNER_BOOKLETS_MAX, "how many booklets"),
		OPT_END(),
	};
	PARSE(opts, usage, sc->data && sc->kek_file && sc->first && sc->count > 0);
	struct err e = ERR_INIT;
	char last[32];
	if (signer_booklet_nth(sc->first, (unsigned long)sc->count - 1, last, &e) < 0)
		return cli_report(argv[0], &e);
	json_t *body = json_pack("{s:s, s:I}", "first", sc->first, "count", (json_int_t)sc->count);
	int rc = EXIT_OK;
	if (signer_cli_record(sc, "signer.booklets_added", "booklets", body, &e) < 0)
		rc = cli_report(argv[0], &e);
	else
		printf("added %llu booklets, %s to %s\n", sc->count, sc->first, last);
	json_decref(body);
	return rc;
}

static int booklets_spoil(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor signer booklets spoil --data DIR --kek-file FILE --number B\n"
		"         --reason TEXT\n"
		"\n"
		"Records booklet B as spoiled: the signer may sign for it once more.\n",
		NULL, NULL
	};
	struct signer_cli *sc = ctx;
	struct cli_option opts[] = {
		OPT_SIGNER(sc),
		OPT_STRING("number", &sc->number, "B", "the spoiled booklet's number"),
		OPT_STRING("reason", &sc->reason, "TEXT", "why it was spoiled (UTF-8)"),
		OPT_END(),
	};
	PARSE(opts, usage, sc->data && sc->kek_file && sc->number && sc->reason && *sc->reason);
	struct err e = ERR_INIT;
	json_t *body = json_pack("{s:s, s:s}", "booklet", sc->number, "reason", sc->reason);
	char subject[64];
	snprintf(subject, sizeof subject, "booklet:%.40s", sc->number);
	int rc = EXIT_OK;
	if (!body)
		rc = cli_usage_error(argv[0], "--reason must be UTF-8");
	else if (signer_cli_record(sc, "signer.booklet_spoiled", subject, body, &e) < 0)
		rc = cli_report(argv[0], &e);
	else
		printf("booklet %s spoiled\n", sc->number);
	json_decref(body);
	return rc;
}

static const struct cli_command booklets_commands[] = {
	CLI_CMD_SETUP("add", booklets_add, &signer_cli_options, "add booklets to the signer's stock"),
	CLI_CMD_SETUP("spoil", booklets_spoil, &signer_cli_options, "record a spoiled booklet"),
	CLI_CMD_END(),
};

/* ---- chip through the signer ---- */

static int signer_chip(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor signer chip --socket PATH --booklet B --app A (--json FILE |\n"
		"         --mrz MRZ) --photo FACE.jpg --out DIR [--issue-date YYYY-MM-DD]\n"
		"         [--timezone ZONE]\n"
		"\n"
		"As 'paspor chip make', with EF.SOD signed by the signer process at --socket for\n"
		"application A on booklet B: EF.DG1, EF.DG2 and the issue date are sent, the\n"
		"signer makes and signs the security object, and the EF.SOD returned is checked\n"
		"to cover exactly those files. The issue date defaults to today in --timezone\n"
		"(default Asia/Jakarta, the signer's default). Exit 1 when the signer refuses\n"
		"(its reason on stderr) or cannot be reached.\n",
		NULL, NULL
	};
	struct signer_cli *sc = ctx;
	struct cli_option opts[] = {
		OPT_FILENAME("socket", &sc->socket, "PATH", "the signer's socket"),
		OPT_STRING("booklet", &sc->booklet, "B", "the booklet's number"),
		OPT_STRING("app", &sc->app, "A", "the application's id"),
		OPT_FILENAME("json", &sc->json, "FILE", "document description, as for 'paspor mrz "
			     "make'"),
		OPT_STRING("mrz", &sc->mrz, "MRZ", "the 88-character TD3 MRZ instead of --json"),
		OPT_FILENAME("photo", &sc->photo, "FACE.jpg", "the face image, a JPEG"),
		OPT_FILENAME("out", &sc->out, "DIR", "output folder (created if missing)"),
		OPT_STRING("issue-date", &sc->issue, "YYYY-MM-DD", "the issue date (default: today "
			   "in --timezone)"),
		OPT_STRING("timezone", &sc->zone, "ZONE", "the zone of 'today' (default "
			   "Asia/Jakarta)"),
		OPT_END(),
	};
	PARSE(opts, usage, sc->socket && sc->booklet && sc->app && sc->photo && sc->out && (!sc->json != !sc->mrz));
	char issue[11];
	if (sc->issue) {
		if (strlen(sc->issue) != 10 || sc->issue[4] != '-' || sc->issue[7] != '-' ||
		    strspn(sc->issue, "0123456789-") != 10)
			return cli_usage_error(argv[0], "--issue-date: YYYY-MM-DD");
		memcpy(issue, sc->issue, sizeof issue);
	} else {
		const char *z = sc->zone ? sc->zone : SIGNER_DEFAULT_ZONE;
		if (signer_zone_valid(z) < 0)
			return cli_usage_error(argv[0], "--timezone: not a zone of /usr/share/zoneinfo");
		setenv("TZ", z, 1);
		tzset();
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(issue, sizeof issue, "%Y-%m-%d", &tm);
	}
	struct err e = ERR_INIT;
	char mrz[2 * MRZ_TD3_LEN + 1];
	struct buf jpeg;
	buf_init(&jpeg, FACE_JPEG_MAX);
	struct chip_files files;
	chip_files_init(&files);
	int rc = EXIT_FAILED;
	if (sc->json) {
		json_error_t je;
		json_t *obj = json_load_file(sc->json, JSON_REJECT_DUPLICATES, &je);
		struct mrz_doc *d = mem_alloc(sizeof *d);
		int ok = obj && d && mrz_doc_from_json(obj, d, &e) == 0 &&
			 mrz_make_td3(d, mrz, &e) == 0;
		if (!obj)
			err_set(&e, ERR_INPUT, "'%s': line %d: %s", sc->json, je.line, je.text);
		mem_free(d);
		json_decref(obj);
		if (!ok) {
			rc = cli_report(argv[0], &e);
			rc = EXIT_USAGE;
			goto out;
		}
	} else if (strlen(sc->mrz) != sizeof mrz - 1) {
		rc = cli_usage_error(argv[0], "--mrz: a TD3 MRZ has 88 characters");
		goto out;
	} else {
		memcpy(mrz, sc->mrz, sizeof mrz);
	}
	if (fs_read_file(sc->photo, &jpeg, &e) < 0) {
		cli_report(argv[0], &e);
		rc = EXIT_USAGE;
		goto out;
	}
	struct signer_client client = { sc->socket, sc->app, sc->booklet, 0, "", issue };
	struct lds_dg_signer signer = { signer_client_sign_dgs, &client };
	struct chip_input in = { mrz, jpeg.data, jpeg.len, NULL, &signer };
	if (lds_make_chip(&in, &files, &e) < 0) {
		rc = cli_report(argv[0], &e);
		if (e.code == ERR_VERIFY || e.code == ERR_IO || e.code == ERR_CRYPTO)
			rc = EXIT_FAILED;
		goto out;
	}
	char *p;
	const char *names[] = { "EF.COM", "EF.DG1", "EF.DG2", "EF.SOD" };
	const struct buf *bufs[] = { &files.com, &files.dg1, &files.dg2, &files.sod };
	if (fs_mkdir(sc->out, 0755, &e) < 0) {
		rc = cli_report(argv[0], &e);
		goto out;
	}
	for (int i = 0; i < 4; i++) {
		p = fs_join(sc->out, names[i]);
		int w = p ? fs_write_atomic(p, bufs[i]->data, bufs[i]->len, 0644, &e) : err_nomem(&e);
		mem_free(p);
		if (w < 0) {
			rc = cli_report(argv[0], &e);
			goto out;
		}
	}
	rc = EXIT_OK;
out:
	buf_release(&jpeg);
	chip_files_release(&files);
	return rc;
}

/* ---- serve ---- */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int signer_serve_cmd(int argc, char **argv, void *ctx)
{
	static const struct cli_usage usage = {
		"usage: paspor signer --data DIR --kek-file FILE [--user NAME]\n"
		"       paspor signer serve --data DIR --kek-file FILE [--user NAME]\n"
		"\n"
		"Serves signature requests on DIR/signer.sock (mode 0660) with the DS key in the\n"
		"token of DIR/signer.conf until SIGTERM or SIGINT. Every signature and refusal\n"
		"is an event in the signer's log (docs/SIGNER.md).\n"
		"\n"
		"--user: started as root, run as NAME (its own Unix user, owner of DIR, of the\n"
		"KEK file and of the token's files) before opening anything.\n",
		NULL, NULL
	};
	struct signer_cli *sc = ctx;
	struct cli_option opts[] = {
		OPT_SIGNER(sc),
		OPT_STRING("user", &sc->user, "NAME", "started as root, run as NAME"),
		OPT_END(),
	};
	PARSE(opts, usage, sc->data && sc->kek_file);
	struct err e = ERR_INIT;
	if (signer_cli_open(sc, &e) < 0)
		return cli_report(argv[0], &e);
	/* first thing: every file is then opened, and created, as that user */
	if (sc->user && privs_drop_to(sc->user, &e) < 0)
		return cli_report(argv[0], &e);
	if (!sc->user && privs_is_root())
		log_warnx("signer: running as root; run it as its own user (--user, docs/SIGNER.md)");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	int rc = signer_serve(sc->data, &sc->kek, &stop_flag, &e);
	return rc < 0 ? cli_report(argv[0], &e) : EXIT_OK;
}

int cmd_signer(int argc, char **argv)
{
	static const struct cli_command cmds[] = {
		CLI_CMD_SETUP("serve", signer_serve_cmd, &signer_cli_key,
			      "serve signature requests (also: paspor signer --data)"),
		CLI_CMD_SETUP("init", signer_init, &signer_cli_key,
			      "make the signer's data dir and configuration"),
		CLI_CMD_GROUP("key", key_commands, "key ceremony: generate, csr, install, show"),
		CLI_CMD_GROUP("booklets", booklets_commands, "the signer's booklet stock: add, spoil"),
		CLI_CMD_SETUP("chip", signer_chip, &signer_cli_options,
			      "make chip files signed through the signer"),
		CLI_CMD_END(),
	};
	if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "-h") != 0 &&
	    strcmp(argv[1], "--help") != 0)
		return signer_cli_key.run(&signer_cli_key, signer_serve_cmd, argc, argv);
	return cli_dispatch(argv[0], cmds, argc, argv);
}
