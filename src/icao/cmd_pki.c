/*
 * cmd_pki — `paspor pki csca|ds|crl`: the command-line face of icao/pki.h. Options are
 * checked here so that every usage error names its option; the library checks again.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "icao/pki.h"
#include "util/alloc.h"
#include "util/cli.h"
#include "util/fs.h"

static const struct cli_usage csca_usage = {
	"usage: paspor pki csca --country CCC --out DIR [options]\n"
	"\n"
	"Makes a Country Signing CA key and self-signed certificate (ICAO 9303 Part 12):\n"
	"DIR/csca.key.pem (PKCS#8, mode 0600) and DIR/csca.cert.pem.\n",
	NULL, NULL
};

static const struct cli_usage ds_usage = {
	"usage: paspor pki ds --csca DIR --out DIR [options]\n"
	"\n"
	"Makes a Document Signer key and a certificate signed by the CSCA in --csca:\n"
	"DIR/ds.key.pem (PKCS#8, mode 0600), DIR/ds.cert.pem and DIR/csca.cert.pem.\n",
	NULL, NULL
};

static const struct cli_usage crl_usage = {
	"usage: paspor pki crl --csca DIR [--revoke CERT.pem]... [--days N]\n"
	"\n"
	"Writes DIR/crl.pem, a CRL v2 signed by the CSCA with the next CRL number. Certificates\n"
	"given with --revoke are added to DIR/revoked.txt; revocations accumulate.\n",
	NULL, NULL
};

/* A number of days in o->min..o->max into the unsigned at o->value. */
static int parse_days(const struct cli_option *o, const char *s, const char *prog)
{
	unsigned long long v;
	if (cli_parse_uint(s, o->max, &v) < 0 || v < o->min)
		return cli_usage_error(prog, "--%s '%s': must be a number of days, %u..%u",
				       o->long_name, s, (unsigned)o->min, (unsigned)o->max);
	*(unsigned *)o->value = (unsigned)v;
	return 0;
}

#define OPT_DAYS(l, v, lo, hi, h) \
	{ CLI_OPT_CALLBACK, (l), CLI_PTR_(unsigned *, v), "N", (h), (lo), (hi), NULL, parse_days }
#define OPT_FORCE(v) OPT_BOOL("force", v, "replace an existing key")

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* csca, ds: --out is required, and --days may not be shorter than the key usage period
 * (--key-days, else key_default). Returns 0, or the usage error's exit code. */
static int check_out_and_days(const char *prog, const char *out, unsigned key_days,
			      unsigned key_default, unsigned days)
{
	if (!out || !*out)
		return cli_usage_error(prog, "--out is required");
	if (!key_days)
		key_days = key_default;
	if (days && days < key_days)
		return cli_usage_error(prog, "--days %u: shorter than the key usage period (%u "
				       "days)", days, key_days);
	return 0;
}

static int cmd_pki_csca(int argc, char **argv)
{
	struct pki_csca_opts o = { 0 };
	const char *out = NULL;
	int alg = PKI_ALG_DEFAULT;
	struct cli_option opts[] = {
		OPT_STRING("country", &o.country, "CCC", "ICAO three-letter code of the issuing "
			   "state (IDN, UTO, ...)"),
		OPT_FILENAME("out", &out, "DIR", "folder for the key and certificate (created if "
			     "missing)"),
		OPT_SET_INT("rsa", &alg, PKI_ALG_RSA, "RSA-3072 instead of ECDSA P-256 with "
			    "explicit parameters"),
		OPT_DAYS("key-days", &o.key_days, 1, PKI_CSCA_KEY_DAYS_MAX, "private key usage "
			 "period, 1..1827 days (default 1826)"),
		OPT_DAYS("days", &o.days, 1, PKI_DAYS_MAX, "certificate validity (default key "
			 "days + 3653 + 92 + 92)"),
		OPT_STRING("org", &o.org, "NAME", "subject O (default \"Paspor Test Authority\")"),
		OPT_STRING("ou", &o.org_unit, "NAME", "subject OU (default \"Passport Issuance\")"),
		OPT_STRING("cn", &o.common_name, "NAME", "subject CN (default \"CSCA CCC\")"),
		OPT_FORCE(&o.force),
		OPT_END(),
	};
	int rc;
	if (cli_parse_no_operands(argc, argv, opts, &csca_usage, &rc) < 0)
		return rc;
	o.alg = (enum pki_alg)alg;
	char c2[3];
	if (!o.country)
		return cli_usage_error(argv[0], "--country is required");
	if (pki_country_alpha2(o.country, c2) < 0)
		return cli_usage_error(argv[0], "--country '%s': unknown country code "
				       "(see docs/PKI.md for the known ones)", o.country);
	if ((rc = check_out_and_days(argv[0], out, o.key_days, PKI_CSCA_KEY_DAYS, o.days)))
		return rc;
	struct err e = ERR_INIT;
	if (pki_make_csca(out, &o, &e) < 0)
		return cli_report(argv[0], &e);
	printf("csca key: %s/csca.key.pem\ncsca certificate: %s/csca.cert.pem\n", out, out);
	return EXIT_OK;
}

static int cmd_pki_ds(int argc, char **argv)
{
	struct pki_ds_opts o = { 0 };
	const char *out = NULL, *csr = NULL;
	int alg = PKI_ALG_DEFAULT;
	struct cli_option opts[] = {
		OPT_FILENAME("csca", &o.csca_dir, "DIR", "folder with csca.key.pem and "
			     "csca.cert.pem"),
		OPT_FILENAME("out", &out, "DIR", "folder for the DS key and certificate (created "
			     "if missing)"),
		OPT_SET_INT("rsa", &alg, PKI_ALG_RSA, "RSA-3072 key (default: the CSCA's "
			    "algorithm)"),
		OPT_SET_INT("ec", &alg, PKI_ALG_EC_EXPLICIT, "ECDSA P-256 key (default: the "
			    "CSCA's algorithm)"),
		OPT_DAYS("key-days", &o.key_days, 1, PKI_DS_KEY_DAYS_MAX, "private key usage "
			 "period, 1..92 days (default 90)"),
		OPT_DAYS("days", &o.days, 1, PKI_DAYS_MAX, "certificate validity (default key "
			 "days + 3653 + 92); must end before the CSCA certificate does"),
		OPT_STRING("ou", &o.org_unit, "NAME", "subject OU (default: the CSCA's)"),
		OPT_STRING("cn", &o.common_name, "NAME", "subject CN (default \"Document Signer "
			   "CC YYYYMMDD\")"),
		OPT_FORCE(&o.force),
		OPT_FILENAME("csr", &csr, "FILE", "certify the key of this PEM certificate request "
			     "(e.g. 'paspor signer key csr', a key in a token) instead of making a "
			     "key: only ds.cert.pem and csca.cert.pem are written"),
		OPT_END(),
	};
	int rc;
	if (cli_parse_no_operands(argc, argv, opts, &ds_usage, &rc) < 0)
		return rc;
	o.alg = (enum pki_alg)alg;
	if (!o.csca_dir || !*o.csca_dir)
		return cli_usage_error(argv[0], "--csca is required");
	if (csr && (o.alg != PKI_ALG_DEFAULT))
		return cli_usage_error(argv[0], "--csr takes the request's key: no --rsa or --ec");
	if (!is_dir(o.csca_dir))
		return cli_usage_error(argv[0], "--csca '%s': no such folder", o.csca_dir);
	if ((rc = check_out_and_days(argv[0], out, o.key_days, PKI_DS_KEY_DAYS, o.days)))
		return rc;
	struct err e = ERR_INIT;
	if (csr && pki_load_csr(csr, &o.pubkey, &e) < 0)
		return cli_report(argv[0], &e);
	rc = pki_make_ds(out, &o, &e);
	EVP_PKEY_free(o.pubkey);
	if (rc < 0)
		return cli_report(argv[0], &e);
	if (!csr)
		printf("ds key: %s/ds.key.pem\n", out);
	printf("ds certificate: %s/ds.cert.pem\n", out);
	return EXIT_OK;
}

static int cmd_pki_crl(int argc, char **argv)
{
	struct pki_crl_opts o = { 0 };
	const char **revoke = mem_calloc((size_t)argc + 1, sizeof *revoke);
	if (!revoke) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return EXIT_FAILED;
	}
	struct cli_list rl = { revoke, 0, (size_t)argc };
	struct cli_option opts[] = {
		OPT_FILENAME("csca", &o.csca_dir, "DIR", "folder with csca.key.pem and "
			     "csca.cert.pem"),
		OPT_LIST("revoke", &rl, "FILE", "a certificate (PEM) issued by this CSCA to "
			 "revoke; repeatable"),
		OPT_DAYS("days", &o.days, 1, PKI_CRL_DAYS_MAX, "nextUpdate after thisUpdate, "
			 "1..365 days (default 90)"),
		OPT_END(),
	};
	int rc;
	if (cli_parse_no_operands(argc, argv, opts, &crl_usage, &rc) < 0)
		goto out;
	o.n_revoke = rl.n;
	if (!o.csca_dir || !*o.csca_dir) {
		rc = cli_usage_error(argv[0], "--csca is required");
	} else if (!is_dir(o.csca_dir)) {
		rc = cli_usage_error(argv[0], "--csca '%s': no such folder", o.csca_dir);
	} else {
		o.revoke = revoke;
		struct err e = ERR_INIT;
		char *path = NULL;
		if (pki_make_crl(&o, &path, &e) < 0) {
			rc = cli_report(argv[0], &e);
		} else {
			printf("%s\n", path);
			mem_free(path);
		}
	}
out:
	mem_free(revoke);
	return rc;
}

const struct cli_command pki_commands[] = {
	CLI_CMD("csca", cmd_pki_csca, "make a CSCA key and self-signed certificate"),
	CLI_CMD("ds", cmd_pki_ds, "make a Document Signer key and certificate"),
	CLI_CMD("crl", cmd_pki_crl, "revoke certificates and write the CSCA's CRL"),
	CLI_CMD_END(),
};
