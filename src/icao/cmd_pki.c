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

static const char csca_usage[] =
	"usage: paspor pki csca --country CCC --out DIR [options]\n"
	"\n"
	"Makes a Country Signing CA key and self-signed certificate (ICAO 9303 Part 12):\n"
	"DIR/csca.key.pem (PKCS#8, mode 0600) and DIR/csca.cert.pem.\n"
	"\n"
	"  --country CCC   ICAO three-letter code of the issuing state (IDN, UTO, ...)\n"
	"  --out DIR       folder for the key and certificate (created if missing)\n"
	"  --rsa           RSA-3072 instead of ECDSA P-256 with explicit parameters\n"
	"  --key-days N    private key usage period, 1..1827 days (default 1826)\n"
	"  --days N        certificate validity (default key days + 3653 + 92 + 92)\n"
	"  --org NAME      subject O (default \"Paspor Test Authority\")\n"
	"  --ou NAME       subject OU (default \"Passport Issuance\")\n"
	"  --cn NAME       subject CN (default \"CSCA CCC\")\n"
	"  --force         replace an existing key\n"
	"  -h, --help      this text\n";

static const char ds_usage[] =
	"usage: paspor pki ds --csca DIR --out DIR [options]\n"
	"\n"
	"Makes a Document Signer key and a certificate signed by the CSCA in --csca:\n"
	"DIR/ds.key.pem (PKCS#8, mode 0600), DIR/ds.cert.pem and DIR/csca.cert.pem.\n"
	"\n"
	"  --csca DIR      folder with csca.key.pem and csca.cert.pem\n"
	"  --out DIR       folder for the DS key and certificate (created if missing)\n"
	"  --rsa | --ec    key algorithm (default: the CSCA's)\n"
	"  --key-days N    private key usage period, 1..92 days (default 90)\n"
	"  --days N        certificate validity (default key days + 3653 + 92); must end\n"
	"                  before the CSCA certificate does\n"
	"  --ou NAME       subject OU (default: the CSCA's)\n"
	"  --cn NAME       subject CN (default \"Document Signer CC YYYYMMDD\")\n"
	"  --force         replace an existing key\n"
	"  --csr FILE      certify the key of this PEM certificate request (e.g. 'paspor\n"
	"                  signer key csr', a key in a token) instead of making a key: only\n"
	"                  ds.cert.pem and csca.cert.pem are written\n"
	"  -h, --help      this text\n";

static const char crl_usage[] =
	"usage: paspor pki crl --csca DIR [--revoke CERT.pem]... [--days N]\n"
	"\n"
	"Writes DIR/crl.pem, a CRL v2 signed by the CSCA with the next CRL number. Certificates\n"
	"given with --revoke are added to DIR/revoked.txt; revocations accumulate.\n"
	"\n"
	"  --csca DIR      folder with csca.key.pem and csca.cert.pem\n"
	"  --revoke FILE   a certificate (PEM) issued by this CSCA to revoke; repeatable\n"
	"  --days N        nextUpdate after thisUpdate, 1..365 days (default 90)\n"
	"  -h, --help      this text\n";

enum { OPT_RSA = 256, OPT_EC, OPT_KEY_DAYS, OPT_DAYS, OPT_ORG, OPT_OU, OPT_CN, OPT_FORCE,
       OPT_COUNTRY, OPT_OUT, OPT_CSCA, OPT_REVOKE, OPT_CSR };

static int parse_days(const char *prog, const char *opt, const char *s, unsigned lo,
		      unsigned hi, unsigned *out)
{
	unsigned long long v;
	if (cli_parse_uint(s, hi, &v) < 0 || v < lo)
		return cli_usage_error(prog, "%s '%s': must be a number of days, %u..%u", opt, s,
				       lo, hi);
	*out = (unsigned)v;
	return 0;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmd_pki_csca(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "country", required_argument, NULL, OPT_COUNTRY },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "rsa", no_argument, NULL, OPT_RSA },
		{ "key-days", required_argument, NULL, OPT_KEY_DAYS },
		{ "days", required_argument, NULL, OPT_DAYS },
		{ "org", required_argument, NULL, OPT_ORG },
		{ "ou", required_argument, NULL, OPT_OU },
		{ "cn", required_argument, NULL, OPT_CN },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pki_csca_opts o = { 0 };
	const char *out = NULL;
	int c;
	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h': return cli_help(csca_usage);
		case OPT_COUNTRY: o.country = optarg; break;
		case OPT_OUT: out = optarg; break;
		case OPT_RSA: o.alg = PKI_ALG_RSA; break;
		case OPT_KEY_DAYS:
			if (parse_days(argv[0], "--key-days", optarg, 1, PKI_CSCA_KEY_DAYS_MAX,
				       &o.key_days))
				return EXIT_USAGE;
			break;
		case OPT_DAYS:
			if (parse_days(argv[0], "--days", optarg, 1, PKI_DAYS_MAX, &o.days))
				return EXIT_USAGE;
			break;
		case OPT_ORG: o.org = optarg; break;
		case OPT_OU: o.org_unit = optarg; break;
		case OPT_CN: o.common_name = optarg; break;
		case OPT_FORCE: o.force = 1; break;
		default: return cli_usage_error(argv[0], "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	char c2[3];
	if (!o.country)
		return cli_usage_error(argv[0], "--country is required");
	if (pki_country_alpha2(o.country, c2) < 0)
		return cli_usage_error(argv[0], "--country '%s': unknown country code "
				       "(see docs/PKI.md for the known ones)", o.country);
	if (!out || !*out)
		return cli_usage_error(argv[0], "--out is required");
	unsigned key_days = o.key_days ? o.key_days : PKI_CSCA_KEY_DAYS;
	if (o.days && o.days < key_days)
		return cli_usage_error(argv[0], "--days %u: shorter than the key usage period "
				       "(%u days)", o.days, key_days);
	struct err e = ERR_INIT;
	if (pki_make_csca(out, &o, &e) < 0)
		return cli_report(argv[0], &e);
	printf("csca key: %s/csca.key.pem\ncsca certificate: %s/csca.cert.pem\n", out, out);
	return EXIT_OK;
}

static int cmd_pki_ds(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csca", required_argument, NULL, OPT_CSCA },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "rsa", no_argument, NULL, OPT_RSA },
		{ "ec", no_argument, NULL, OPT_EC },
		{ "key-days", required_argument, NULL, OPT_KEY_DAYS },
		{ "days", required_argument, NULL, OPT_DAYS },
		{ "ou", required_argument, NULL, OPT_OU },
		{ "cn", required_argument, NULL, OPT_CN },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "csr", required_argument, NULL, OPT_CSR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pki_ds_opts o = { 0 };
	const char *out = NULL, *csr = NULL;
	int c;
	while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h': return cli_help(ds_usage);
		case OPT_CSCA: o.csca_dir = optarg; break;
		case OPT_OUT: out = optarg; break;
		case OPT_RSA: o.alg = PKI_ALG_RSA; break;
		case OPT_EC: o.alg = PKI_ALG_EC_EXPLICIT; break;
		case OPT_KEY_DAYS:
			if (parse_days(argv[0], "--key-days", optarg, 1, PKI_DS_KEY_DAYS_MAX,
				       &o.key_days))
				return EXIT_USAGE;
			break;
		case OPT_DAYS:
			if (parse_days(argv[0], "--days", optarg, 1, PKI_DAYS_MAX, &o.days))
				return EXIT_USAGE;
			break;
		case OPT_OU: o.org_unit = optarg; break;
		case OPT_CN: o.common_name = optarg; break;
		case OPT_FORCE: o.force = 1; break;
		case OPT_CSR: csr = optarg; break;
		default: return cli_usage_error(argv[0], "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	if (!o.csca_dir || !*o.csca_dir)
		return cli_usage_error(argv[0], "--csca is required");
	if (csr && (o.alg != PKI_ALG_DEFAULT))
		return cli_usage_error(argv[0], "--csr takes the request's key: no --rsa or --ec");
	if (!is_dir(o.csca_dir))
		return cli_usage_error(argv[0], "--csca '%s': no such folder", o.csca_dir);
	if (!out || !*out)
		return cli_usage_error(argv[0], "--out is required");
	unsigned key_days = o.key_days ? o.key_days : PKI_DS_KEY_DAYS;
	if (o.days && o.days < key_days)
		return cli_usage_error(argv[0], "--days %u: shorter than the key usage period "
				       "(%u days)", o.days, key_days);
	struct err e = ERR_INIT;
	if (csr && pki_load_csr(csr, &o.pubkey, &e) < 0)
		return cli_report(argv[0], &e);
	int rc = pki_make_ds(out, &o, &e);
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
	static const struct option opts[] = {
		{ "csca", required_argument, NULL, OPT_CSCA },
		{ "revoke", required_argument, NULL, OPT_REVOKE },
		{ "days", required_argument, NULL, OPT_DAYS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pki_crl_opts o = { 0 };
	const char **revoke = mem_calloc((size_t)argc + 1, sizeof *revoke);
	if (!revoke) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return EXIT_FAILED;
	}
	int c, rc = EXIT_OK;
	while (rc == EXIT_OK && (c = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h': rc = cli_help(crl_usage); goto out;
		case OPT_CSCA: o.csca_dir = optarg; break;
		case OPT_REVOKE: revoke[o.n_revoke++] = optarg; break;
		case OPT_DAYS:
			rc = parse_days(argv[0], "--days", optarg, 1, PKI_CRL_DAYS_MAX, &o.days)
				     ? EXIT_USAGE : EXIT_OK;
			break;
		default: rc = cli_usage_error(argv[0], "unknown option"); break;
		}
	}
	if (rc != EXIT_OK)
		goto out;
	if (optind < argc) {
		rc = cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	} else if (!o.csca_dir || !*o.csca_dir) {
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

int cmd_pki(int argc, char **argv)
{
	static const struct cli_command cmds[] = {
		{ "csca", cmd_pki_csca, "make a CSCA key and self-signed certificate" },
		{ "ds", cmd_pki_ds, "make a Document Signer key and certificate" },
		{ "crl", cmd_pki_crl, "revoke certificates and write the CSCA's CRL" },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(argv[0], cmds, argc, argv);
}
