/*
 * Unit tests of icao/pki: the extensions we build by hand (byte-exact against the DER
 * that the ASN.1 definitions in Doc 9303 Part 12 and RFC 5280 give), the CSCA and DS
 * profiles read back through OpenSSL's parsers, chain and CRL checks, and refusals.
 */
#include <stdio.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "harness.h"
#include "icao/pki.h"
#include "util/alloc.h"
#include "util/fs.h"

#define T2026 ((time_t)1767225600) /* 2026-01-01T00:00:00Z */

static const unsigned char *ext_der(X509_EXTENSION *ext, int *len)
{
	ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);
	*len = ASN1_STRING_length(v);
	return ASN1_STRING_get0_data(v);
}

TEST(pki_doc_type_list_is_part12_der)
{
	/* SEQUENCE { INTEGER 0, SET { PrintableString "P" } } */
	static const unsigned char want[] = { 0x30, 0x08, 0x02, 0x01, 0x00, 0x31, 0x03,
					      0x13, 0x01, 'P' };
	static const char *const p[] = { "P" };
	struct err e = ERR_INIT;
	X509_EXTENSION *ext = pki_ext_doc_type_list(p, 1, &e);
	CHECK(ext != NULL);
	int len;
	const unsigned char *d = ext_der(ext, &len);
	char oid[64];
	OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(ext), 1);
	int critical = X509_EXTENSION_get_critical(ext);
	int ok = len == (int)sizeof want && memcmp(d, want, sizeof want) == 0;
	X509_EXTENSION_free(ext);
	CHECK(ok);
	CHECK_STR_EQ(oid, "2.23.136.1.1.6.2");
	CHECK_INT_EQ(critical, 0);
}

TEST(pki_doc_type_list_sorts_set_and_refuses_bad_types)
{
	/* DER orders SET OF by the elements' encodings (X.690 11.6): 13 01 50 ("P")
	 * sorts before 13 02 49 44 ("ID") whatever order they are given in */
	static const unsigned char want[] = { 0x30, 0x0c, 0x02, 0x01, 0x00, 0x31, 0x07, 0x13,
					      0x01, 'P', 0x13, 0x02, 'I', 'D' };
	static const char *const two[] = { "ID", "P" };
	struct err e = ERR_INIT;
	X509_EXTENSION *ext = pki_ext_doc_type_list(two, 2, &e);
	CHECK(ext != NULL);
	int len;
	const unsigned char *d = ext_der(ext, &len);
	int ok = len == (int)sizeof want && memcmp(d, want, sizeof want) == 0;
	X509_EXTENSION_free(ext);
	CHECK(ok);
	static const char *const bad[][1] = { { "PPP" }, { "p" }, { "" }, { "P1" } };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err_clear(&e);
		CHECK(pki_ext_doc_type_list(bad[i], 1, &e) == NULL);
		CHECK_INT_EQ(e.code, ERR_INPUT);
	}
	err_clear(&e);
	CHECK(pki_ext_doc_type_list(two, 0, &e) == NULL);
}

TEST(pki_key_usage_period_is_rfc5280_der)
{
	/* PrivateKeyUsagePeriod ::= SEQUENCE { notBefore [0] IMPLICIT GeneralizedTime,
	 * notAfter [1] IMPLICIT GeneralizedTime } */
	static const unsigned char want[] = "\x30\x22"
					    "\x80\x0f" "20260101000000Z"
					    "\x81\x0f" "20260401000000Z";
	struct err e = ERR_INIT;
	X509_EXTENSION *ext = pki_ext_key_usage_period(T2026, T2026 + 90 * 86400, &e);
	CHECK(ext != NULL);
	int len;
	const unsigned char *d = ext_der(ext, &len);
	int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
	int ok = len == (int)sizeof want - 1 && memcmp(d, want, sizeof want - 1) == 0;
	X509_EXTENSION_free(ext);
	CHECK(ok);
	CHECK_INT_EQ(nid, NID_private_key_usage_period);
}

TEST(pki_country_codes)
{
	char c[3];
	CHECK(pki_country_alpha2("IDN", c) == 0);
	CHECK_STR_EQ(c, "ID");
	CHECK(pki_country_alpha2("UTO", c) == 0);
	CHECK_STR_EQ(c, "UT");
	CHECK(pki_country_alpha2("D", c) == 0);
	CHECK_STR_EQ(c, "DE");
	CHECK(pki_country_alpha2("XXX", c) == -1);
	CHECK(pki_country_alpha2("idn", c) == -1);
	CHECK(pki_country_alpha2(NULL, c) == -1);
}

static char *path_in(const char *dir, const char *name)
{
	static char p[4][512];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

static int make_pki(const char *root, char *ca, char *ds, size_t n, unsigned ca_days)
{
	struct err e = ERR_INIT;
	snprintf(ca, n, "%s/ca", root);
	snprintf(ds, n, "%s/ds", root);
	struct pki_csca_opts co = { .country = "IDN", .now = T2026, .days = ca_days };
	if (pki_make_csca(ca, &co, &e) < 0) {
		fprintf(stderr, "csca: %s\n", e.msg);
		return -1;
	}
	struct pki_ds_opts dso = { .csca_dir = ca, .now = T2026 };
	if (pki_make_ds(ds, &dso, &e) < 0) {
		fprintf(stderr, "ds: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int ext_critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);
	return i < 0 ? -1 : X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

TEST(pki_csca_profile)
{
	char ca[512], ds[512];
	CHECK(make_pki(test_tmpdir(), ca, ds, sizeof ca, 0) == 0);
	struct err e = ERR_INIT;
	X509 *x;
	CHECK(pki_load_cert(path_in(ca, "csca.cert.pem"), &x, &e) == 0);
	int version = (int)X509_get_version(x);
	uint32_t ku = X509_get_key_usage(x);
	int ku_crit = ext_critical(x, NID_key_usage);
	int bc_crit = ext_critical(x, NID_basic_constraints);
	long pathlen = X509_get_pathlen(x);
	int is_ca = X509_check_ca(x);
	/* explicit parameters: the algorithm parameters are a SEQUENCE, not an OID */
	X509_ALGOR *alg;
	X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg, X509_get_X509_PUBKEY(x));
	int ptype;
	const void *pval;
	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	int sn_len = ASN1_STRING_length(sn), sn_neg = ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER;
	char c[8] = "";
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_countryName, c, sizeof c);
	int self = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x));
	PKEY_USAGE_PERIOD *p = X509_get_ext_d2i(x, NID_private_key_usage_period, NULL, NULL);
	int p_ok = p && ASN1_TIME_cmp_time_t(p->notBefore, T2026) == 0 &&
		   ASN1_TIME_cmp_time_t(p->notAfter, T2026 + 1826L * 86400) == 0 &&
		   p->notBefore->type == V_ASN1_GENERALIZEDTIME;
	PKEY_USAGE_PERIOD_free(p);
	int nb = ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), T2026);
	int na = ASN1_TIME_cmp_time_t(X509_get0_notAfter(x),
				      T2026 + (1826L + 3653 + 92 + 92) * 86400);
	int sig_nid = X509_get_signature_nid(x);
	X509_free(x);
	CHECK_INT_EQ(version, X509_VERSION_3);
	CHECK(ku == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
	CHECK_INT_EQ(ku_crit, 1);
	CHECK_INT_EQ(bc_crit, 1);
	CHECK_INT_EQ(pathlen, 0);
	CHECK(is_ca >= 1);
	CHECK_INT_EQ(ptype, V_ASN1_SEQUENCE);
	CHECK_INT_EQ(sn_len, 20);
	CHECK(!sn_neg);
	CHECK_STR_EQ(c, "ID");
	CHECK_INT_EQ(self, 0);
	CHECK(p_ok);
	CHECK_INT_EQ(nb, 0);
	CHECK_INT_EQ(na, 0);
	CHECK_INT_EQ(sig_nid, NID_ecdsa_with_SHA256);
	struct stat st;
	CHECK(stat(path_in(ca, "csca.key.pem"), &st) == 0);
	CHECK_INT_EQ(st.st_mode & 0777, 0600);
}

TEST(pki_ds_profile_and_chain)
{
	char ca[512], ds[512];
	CHECK(make_pki(test_tmpdir(), ca, ds, sizeof ca, 0) == 0);
	struct err e = ERR_INIT;
	EVP_PKEY *key;
	X509 *x, *c;
	CHECK(pki_load_signer(ds, &key, &x, &e) == 0);
	CHECK(pki_load_cert(path_in(ds, "csca.cert.pem"), &c, &e) == 0);
	int chain = pki_verify_cert(x, c, NULL, T2026 + 86400, &e);
	uint32_t ku = X509_get_key_usage(x);
	int ku_crit = ext_critical(x, NID_key_usage);
	int has_bc = ext_critical(x, NID_basic_constraints);
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(c);
	int aki_ok = aki && ski && ASN1_OCTET_STRING_cmp(aki, ski) == 0;
	ASN1_OBJECT *oid = OBJ_txt2obj(PKI_OID_DOC_TYPE_LIST, 1);
	int i = X509_get_ext_by_OBJ(x, oid, -1);
	ASN1_OBJECT_free(oid);
	int dtl_ok = 0;
	if (i >= 0) {
		int len;
		const unsigned char *d = ext_der(X509_get_ext(x, i), &len);
		dtl_ok = len == 10 && memcmp(d, "\x30\x08\x02\x01\x00\x31\x03\x13\x01P", 10) == 0;
	}
	int within = ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(c)) <= 0;
	int na = ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), T2026 + (90L + 3653 + 92) * 86400);
	PKEY_USAGE_PERIOD *p = X509_get_ext_d2i(x, NID_private_key_usage_period, NULL, NULL);
	int p_ok = p && ASN1_TIME_cmp_time_t(p->notAfter, T2026 + 90L * 86400) == 0;
	PKEY_USAGE_PERIOD_free(p);
	int is_ec = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
	EVP_PKEY_free(key);
	X509_free(x);
	X509_free(c);
	CHECK(chain == 0);
	CHECK(ku == KU_DIGITAL_SIGNATURE);
	CHECK_INT_EQ(ku_crit, 1);
	CHECK_INT_EQ(has_bc, -1);
	CHECK(aki_ok);
	CHECK(dtl_ok);
	CHECK(within);
	CHECK_INT_EQ(na, 0);
	CHECK(p_ok);
	CHECK(is_ec);
}

TEST(pki_verify_rejects_a_foreign_ds)
{
	const char *t = test_tmpdir();
	char ca[512], ds[512], root2[512], ca2[512], ds2[512];
	CHECK(make_pki(t, ca, ds, sizeof ca, 0) == 0);
	snprintf(root2, sizeof root2, "%s/other", t);
	CHECK(mkdir(root2, 0700) == 0);
	CHECK(make_pki(root2, ca2, ds2, sizeof ca2, 0) == 0);
	struct err e = ERR_INIT;
	X509 *x, *c;
	CHECK(pki_load_cert(path_in(ds2, "ds.cert.pem"), &x, &e) == 0);
	CHECK(pki_load_cert(path_in(ca, "csca.cert.pem"), &c, &e) == 0);
	int rc = pki_verify_cert(x, c, NULL, T2026 + 86400, &e);
	X509_free(x);
	X509_free(c);
	CHECK(rc == -1);
	CHECK_INT_EQ(e.code, ERR_VERIFY);
}

TEST(pki_ds_may_not_outlive_csca)
{
	const char *t = test_tmpdir();
	char ca[512], ds[512];
	snprintf(ca, sizeof ca, "%s/ca", t);
	snprintf(ds, sizeof ds, "%s/ds", t);
	struct err e = ERR_INIT;
	struct pki_csca_opts co = { .country = "IDN", .now = T2026, .key_days = 365,
				    .days = 2000 };
	CHECK(pki_make_csca(ca, &co, &e) == 0);
	struct pki_ds_opts dso = { .csca_dir = ca, .now = T2026 };
	CHECK(pki_make_ds(ds, &dso, &e) == -1);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	CHECK(strstr(e.msg, "outlive") != NULL);
	/* and not after the CSCA's key usage period */
	err_clear(&e);
	dso.days = 100;
	dso.now = T2026 + 400L * 86400;
	CHECK(pki_make_ds(ds, &dso, &e) == -1);
	CHECK(strstr(e.msg, "usage period") != NULL);
	err_clear(&e);
	dso.now = T2026;
	CHECK(pki_make_ds(ds, &dso, &e) == 0);
}

TEST(pki_refuses_overwrite_and_open_keys)
{
	char ca[512], ds[512];
	CHECK(make_pki(test_tmpdir(), ca, ds, sizeof ca, 0) == 0);
	struct err e = ERR_INIT;
	struct pki_csca_opts co = { .country = "IDN", .now = T2026 };
	CHECK(pki_make_csca(ca, &co, &e) == -1);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	CHECK(strstr(e.msg, "--force") != NULL);
	err_clear(&e);
	co.force = 1;
	CHECK(pki_make_csca(ca, &co, &e) == 0);
	/* the DS made before now belongs to the replaced CSCA: verification must fail */
	X509 *x, *c;
	CHECK(pki_load_cert(path_in(ds, "ds.cert.pem"), &x, &e) == 0);
	CHECK(pki_load_cert(path_in(ca, "csca.cert.pem"), &c, &e) == 0);
	int rc = pki_verify_cert(x, c, NULL, T2026 + 86400, &e);
	X509_free(x);
	X509_free(c);
	CHECK(rc == -1);
	err_clear(&e);
	CHECK(chmod(path_in(ds, "ds.key.pem"), 0640) == 0);
	EVP_PKEY *k;
	CHECK(pki_load_signer(ds, &k, &x, &e) == -1);
	CHECK(k == NULL && x == NULL);
	CHECK(strstr(e.msg, "group or others") != NULL);
	err_clear(&e);
	CHECK(pki_load_signer(path_in(ds, "missing"), &k, &x, &e) == -1);
	CHECK_INT_EQ(e.code, ERR_INPUT);
}

TEST(pki_crl_revokes_and_counts)
{
	char ca[512], ds[512];
	CHECK(make_pki(test_tmpdir(), ca, ds, sizeof ca, 0) == 0);
	struct err e = ERR_INIT;
	char *path = NULL;
	struct pki_crl_opts o = { .csca_dir = ca, .now = T2026 + 3600 };
	CHECK(pki_make_crl(&o, &path, &e) == 0);
	mem_free(path);
	const char *rev[] = { path_in(ds, "ds.cert.pem") };
	o.revoke = rev;
	o.n_revoke = 1;
	CHECK(pki_make_crl(&o, &path, &e) == 0);
	o.revoke = NULL;
	o.n_revoke = 0;
	mem_free(path);
	CHECK(pki_make_crl(&o, &path, &e) == 0); /* revocation is kept */
	FILE *f = fopen(path, "r");
	mem_free(path);
	CHECK(f != NULL);
	X509_CRL *crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	CHECK(crl != NULL);
	X509 *x = NULL, *c = NULL;
	pki_load_cert(path_in(ds, "ds.cert.pem"), &x, &e);
	pki_load_cert(path_in(ca, "csca.cert.pem"), &c, &e);
	ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	long n = num ? ASN1_INTEGER_get(num) : -1;
	ASN1_INTEGER_free(num);
	int n_rev = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
	X509_REVOKED *r = NULL;
	int listed = x && X509_CRL_get0_by_serial(crl, &r, X509_get0_serialNumber(x)) == 1;
	int sig = c && X509_CRL_verify(crl, X509_get0_pubkey(c)) == 1;
	int chain = x && c ? pki_verify_cert(x, c, crl, T2026 + 7200, &e) : 0;
	int version = (int)X509_CRL_get_version(crl);
	X509_CRL_free(crl);
	X509_free(x);
	X509_free(c);
	CHECK_INT_EQ(n, 3);
	CHECK_INT_EQ(n_rev, 1);
	CHECK(listed);
	CHECK(sig);
	CHECK_INT_EQ(version, X509_CRL_VERSION_2);
	CHECK(chain == -1);
	CHECK(strstr(e.msg, "revoked") != NULL);
}

/*
 * A DS certificate for key, signed by the CSCA in ca_dir, with the extensions given as
 * OpenSSL configuration lines "nid:value" (NULL-terminated) and subject country c2.
 */
static X509 *ds_variant(const char *ca_dir, EVP_PKEY *key, const char *c2,
			const char *const *exts)
{
	struct err e = ERR_INIT;
	EVP_PKEY *ca_key = NULL;
	X509 *ca = NULL, *x = X509_new();
	if (!x || pki_load_cert(path_in(ca_dir, "csca.cert.pem"), &ca, &e) < 0 ||
	    pki_load_key(path_in(ca_dir, "csca.key.pem"), &ca_key, &e) < 0)
		goto fail;
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_set_issuer_name(x, X509_get_subject_name(ca));
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)c2, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"DS variant",
				   -1, -1, 0);
	time_t nb = T2026;
	X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &nb);
	X509_time_adj_ex(X509_getm_notAfter(x), 4000, 0, &nb);
	X509_set_pubkey(x, key);
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	for (size_t i = 0; exts[i]; i++) {
		char name[64];
		const char *colon = strchr(exts[i], ':');
		snprintf(name, sizeof name, "%.*s", (int)(colon - exts[i]), exts[i]);
		X509_EXTENSION *ext = X509V3_EXT_nconf(NULL, &ctx, name, colon + 1);
		if (!ext || !X509_add_ext(x, ext, -1)) {
			X509_EXTENSION_free(ext);
			goto fail;
		}
		X509_EXTENSION_free(ext);
	}
	if (X509_sign(x, ca_key, EVP_sha256()) <= 0)
		goto fail;
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return x;
fail:
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	X509_free(x);
	return NULL;
}

/* Is the variant refused by the profile check with a message holding want? */
static int refused(const char *ca_dir, X509 *csca, EVP_PKEY *key, const char *c2,
		   const char *const *exts, const char *want)
{
	X509 *x = ds_variant(ca_dir, key, c2, exts);
	struct err e = ERR_INIT;
	int rc = x ? pki_check_ds_profile(x, csca, NULL, &e) : 0;
	X509_free(x);
	if (rc == -1 && e.code == ERR_VERIFY && strstr(e.msg, want))
		return 1;
	fprintf(stderr, "want '%s', got %d: %s\n", want, rc, e.msg);
	return 0;
}

TEST(pki_ds_profile_own_ds_fits_and_signing_time)
{
	char ca[512], ds[512];
	CHECK(make_pki(test_tmpdir(), ca, ds, sizeof ca, 0) == 0);
	struct err e = ERR_INIT;
	X509 *x = NULL, *c = NULL;
	CHECK(pki_load_cert(path_in(ds, "ds.cert.pem"), &x, &e) == 0);
	CHECK(pki_load_cert(path_in(ca, "csca.cert.pem"), &c, &e) == 0);
	int plain = pki_check_ds_profile(x, c, NULL, &e);
	time_t in = T2026 + 3600, before = T2026 - 86400, after_key = T2026 + 91L * 86400;
	int at_in = pki_check_ds_profile(x, c, &in, &e);
	struct err e1 = ERR_INIT, e2 = ERR_INIT;
	int at_before = pki_check_ds_profile(x, c, &before, &e1);
	int past_key = pki_check_ds_profile(x, c, &after_key, &e2);
	X509_free(x);
	X509_free(c);
	CHECK_INT_EQ(plain, 0);
	CHECK_INT_EQ(at_in, 0);
	CHECK_INT_EQ(at_before, -1);
	CHECK(strstr(e1.msg, "signing time 2025-12-31T00:00:00Z is outside the certificate's validity"));
	CHECK_INT_EQ(past_key, -1);
	CHECK(strstr(e2.msg, "outside the private key usage period"));
	CHECK(!strstr(e2.msg, "validity"));
}

TEST(pki_ds_profile_refusals)
{
	char ca[512], ds[512];
	CHECK(make_pki(test_tmpdir(), ca, ds, sizeof ca, 0) == 0);
	struct err e = ERR_INIT;
	X509 *c = NULL;
	CHECK(pki_load_cert(path_in(ca, "csca.cert.pem"), &c, &e) == 0);
	EVP_PKEY *ec = EVP_EC_gen("P-256"), *small = EVP_RSA_gen(1024), *rsa = EVP_RSA_gen(2048);
	CHECK(ec && small && rsa);
#define AKI "authorityKeyIdentifier:keyid:always"
#define KU "keyUsage:critical,digitalSignature"
	const char *const good[] = { KU, AKI, NULL };
	X509 *g = ds_variant(ca, ec, "ID", good), *gr = ds_variant(ca, rsa, "ID", good);
	int good_ok = g && pki_check_ds_profile(g, c, NULL, &e) == 0;
	int good_rsa = gr && pki_check_ds_profile(gr, c, NULL, &e) == 0;
	X509_free(g);
	X509_free(gr);
	CHECK(good_ok);
	CHECK(good_rsa);
	const char *const ke[] = { "keyUsage:critical,keyEncipherment", AKI, NULL };
	const char *const noncrit[] = { "keyUsage:digitalSignature", AKI, NULL };
	const char *const ca_true[] = { KU, "basicConstraints:critical,CA:TRUE", AKI, NULL };
	const char *const ca_false[] = { KU, "basicConstraints:critical,CA:FALSE", AKI, NULL };
	const char *const certsign[] = { "keyUsage:critical,digitalSignature,keyCertSign", AKI,
					 NULL };
	const char *const noku[] = { AKI, NULL };
	const char *const noaki[] = { KU, NULL };
	const char *const eku[] = { KU, "extendedKeyUsage:codeSigning", AKI, NULL };
	CHECK(refused(ca, c, ec, "ID", ke, "keyUsage lacks digitalSignature"));
	CHECK(refused(ca, c, ec, "ID", ke, "also allows keyEncipherment"));
	CHECK(refused(ca, c, ec, "ID", noncrit, "keyUsage not critical"));
	CHECK(refused(ca, c, ec, "ID", ca_true, "basicConstraints cA TRUE"));
	CHECK(refused(ca, c, ec, "ID", certsign, "also allows keyCertSign"));
	CHECK(refused(ca, c, ec, "ID", noku, "keyUsage missing"));
	CHECK(refused(ca, c, ec, "ID", noaki, "authorityKeyIdentifier missing"));
	CHECK(refused(ca, c, ec, "ID", eku, "extendedKeyUsage present"));
	CHECK(refused(ca, c, small, "ID", good, "RSA key of 1024 bits"));
	CHECK(refused(ca, c, ec, "MY", good, "countryName MY differs from the issuer's ID"));
	/* cA FALSE is an end entity, as an absent basicConstraints */
	X509 *f = ds_variant(ca, ec, "ID", ca_false);
	int false_ok = f && pki_check_ds_profile(f, c, NULL, &e) == 0;
	X509_free(f);
	CHECK(false_ok);
	/* the AKI must name this CSCA's key: a DS of another CSCA is refused */
	char root2[512], ca2[512], ds2[512];
	snprintf(root2, sizeof root2, "%s/other", test_tmpdir());
	CHECK(mkdir(root2, 0700) == 0);
	CHECK(make_pki(root2, ca2, ds2, sizeof ca2, 0) == 0);
	X509 *foreign = NULL;
	CHECK(pki_load_cert(path_in(ds2, "ds.cert.pem"), &foreign, &e) == 0);
	int frc = pki_check_ds_profile(foreign, c, NULL, &e);
	X509_free(foreign);
	CHECK_INT_EQ(frc, -1);
	CHECK(strstr(e.msg, "not the CSCA's subjectKeyIdentifier"));
#undef AKI
#undef KU
	X509_free(c);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(small);
	EVP_PKEY_free(rsa);
}

TEST(pki_make_ds_refuses_a_request_key_below_the_profile)
{
	char ca[512], ds[512];
	CHECK(make_pki(test_tmpdir(), ca, ds, sizeof ca, 0) == 0);
	EVP_PKEY *small = EVP_RSA_gen(1024);
	CHECK(small != NULL);
	struct err e = ERR_INIT;
	char out[600];
	snprintf(out, sizeof out, "%s/ds-small", test_tmpdir());
	struct pki_ds_opts o = { .csca_dir = ca, .now = T2026, .pubkey = small };
	int rc = pki_make_ds(out, &o, &e);
	EVP_PKEY_free(small);
	CHECK_INT_EQ(rc, -1);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	CHECK(strstr(e.msg, "RSA key of 1024 bits"));
	struct stat st;
	CHECK(stat(path_in(out, "ds.cert.pem"), &st) == -1);
}
