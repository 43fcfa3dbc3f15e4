/*
 * pki — CSCA, Document Signer and CRL after ICAO Doc 9303 Part 12. See pki.h for the
 * contract and docs/PKI.md for the profiles.
 *
 * Certificates and CRLs are built with OpenSSL's X509 / X509_CRL objects; standard
 * extensions go through X509V3_EXT_nconf_nid, PrivateKeyUsagePeriod through OpenSSL's
 * PKEY_USAGE_PERIOD type, and the ICAO DocumentTypeList through an ASN.1 template
 * declared below (OpenSSL's template macros need a typedef'd type name: the one
 * exception to our no-typedef rule).
 */
#include "icao/pki.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/fs.h"

#define DAY_SECONDS 86400

/* ---- DocumentTypeListSyntax ::= SEQUENCE { version INTEGER (v0), docTypeList SET OF
 *      DocumentType }, DocumentType ::= PrintableString (SIZE (1..2)) ---- */

typedef struct DOC_TYPE_LIST_st {
	ASN1_INTEGER *version;
	STACK_OF(ASN1_UTF8STRING) *types; /* ASN1_STRINGs encoded as PrintableString */
} DOC_TYPE_LIST;

DECLARE_ASN1_FUNCTIONS(DOC_TYPE_LIST)

ASN1_SEQUENCE(DOC_TYPE_LIST) = {
	ASN1_SIMPLE(DOC_TYPE_LIST, version, ASN1_INTEGER),
	ASN1_SET_OF(DOC_TYPE_LIST, types, ASN1_PRINTABLESTRING),
} ASN1_SEQUENCE_END(DOC_TYPE_LIST)

IMPLEMENT_ASN1_FUNCTIONS(DOC_TYPE_LIST)

/* ---- countries ---- */

static const struct {
	const char *alpha3, *alpha2;
} countries[] = {
	{ "IDN", "ID" }, { "UTO", "UT" }, { "MYS", "MY" }, { "SGP", "SG" },
	{ "THA", "TH" }, { "PHL", "PH" }, { "VNM", "VN" }, { "BRN", "BN" },
	{ "KHM", "KH" }, { "LAO", "LA" }, { "MMR", "MM" }, { "TLS", "TL" },
	{ "AUS", "AU" }, { "NZL", "NZ" }, { "JPN", "JP" }, { "KOR", "KR" },
	{ "CHN", "CN" }, { "IND", "IN" }, { "NLD", "NL" }, { "D", "DE" },
	{ "FRA", "FR" }, { "GBR", "GB" }, { "USA", "US" }, { "CAN", "CA" },
};

int pki_country_alpha2(const char *alpha3, char out[3])
{
	if (!alpha3)
		return -1;
	for (size_t i = 0; i < sizeof countries / sizeof countries[0]; i++) {
		if (!strcmp(countries[i].alpha3, alpha3)) {
			memcpy(out, countries[i].alpha2, 3);
			return 0;
		}
	}
	return -1;
}

/* ---- small helpers ---- */

static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0; /* never prompt: our keys are not encrypted, HSM keys come later */
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Reads a file that must exist as an input into b, initialised here (1 MiB at most): a
 * missing file is an input error. On failure b holds nothing. */
static int read_input(const char *path, struct buf *b, struct err *e)
{
	struct stat st;
	buf_init(b, 1 << 20);
	if (stat(path, &st) < 0)
		return err_errno(e, errno == ENOENT ? ERR_INPUT : ERR_IO, "cannot read '%s'", path);
	if (fs_read_file(path, b, e) < 0) {
		buf_release(b);
		return -1;
	}
	return 0;
}

int pki_load_cert(const char *pem_path, X509 **cert, struct err *e)
{
	*cert = NULL;
	struct buf b;
	if (read_input(pem_path, &b, e) < 0)
		return -1;
	BIO *bio = BIO_new_mem_buf(b.data ? b.data : (uint8_t *)"", (int)b.len);
	if (!bio) {
		buf_release(&b);
		return err_openssl(e, ERR_NOMEM, "cannot read '%s'", pem_path);
	}
	*cert = PEM_read_bio_X509(bio, NULL, no_password, NULL);
	BIO_free(bio);
	buf_release(&b);
	if (!*cert)
		return err_openssl(e, ERR_INPUT, "'%s' is not a PEM certificate", pem_path);
	return 0;
}

int pki_load_csr(const char *pem_path, EVP_PKEY **pub, struct err *e)
{
	*pub = NULL;
	struct buf b;
	if (read_input(pem_path, &b, e) < 0)
		return -1;
	BIO *bio = BIO_new_mem_buf(b.data, (int)b.len);
	X509_REQ *req = bio ? PEM_read_bio_X509_REQ(bio, NULL, no_password, NULL) : NULL;
	BIO_free(bio);
	buf_release(&b);
	if (!req)
		return err_openssl(e, ERR_INPUT, "'%s': not a PEM certificate request", pem_path);
	EVP_PKEY *k = X509_REQ_get_pubkey(req);
	int rc = -1;
	if (!k)
		err_openssl(e, ERR_INPUT, "'%s': no public key", pem_path);
	else if (X509_REQ_verify(req, k) != 1)
		err_openssl(e, ERR_VERIFY, "'%s': the request's signature does not hold",
			    pem_path);
	else
		rc = 0;
	if (rc == 0)
		*pub = k;
	else
		EVP_PKEY_free(k);
	X509_REQ_free(req);
	return rc;
}

int pki_load_key(const char *pem_path, EVP_PKEY **key, struct err *e)
{
	*key = NULL;
	struct stat st;
	if (stat(pem_path, &st) < 0)
		return err_errno(e, errno == ENOENT ? ERR_INPUT : ERR_IO, "cannot read '%s'",
				 pem_path);
	if (st.st_mode & 077)
		return err_set(e, ERR_INPUT,
			       "key file '%s' is open to group or others (mode %04o); "
			       "chmod 600 it", pem_path, (unsigned)(st.st_mode & 07777));
	struct buf b;
	buf_init(&b, 1 << 20);
	if (fs_read_file(pem_path, &b, e) < 0) {
		buf_release(&b);
		return -1;
	}
	BIO *bio = BIO_new_mem_buf(b.data ? b.data : (uint8_t *)"", (int)b.len);
	if (bio) {
		*key = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
		BIO_free(bio);
	}
	if (b.data)
		OPENSSL_cleanse(b.data, b.len);
	buf_release(&b);
	if (!*key)
		return err_openssl(e, ERR_INPUT, "'%s' is not a PEM private key", pem_path);
	return 0;
}

static int load_pair(const char *dir, const char *key_name, const char *cert_name,
		     EVP_PKEY **key, X509 **cert, struct err *e)
{
	*key = NULL;
	*cert = NULL;
	char *kp = fs_join(dir, key_name), *cp = fs_join(dir, cert_name);
	int rc = -1;
	if (!kp || !cp) {
		err_nomem(e);
		goto out;
	}
	if (pki_load_cert(cp, cert, e) < 0 || pki_load_key(kp, key, e) < 0)
		goto out;
	if (X509_check_private_key(*cert, *key) != 1) {
		err_openssl(e, ERR_INPUT, "key '%s' does not belong to certificate '%s'", kp, cp);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		EVP_PKEY_free(*key);
		X509_free(*cert);
		*key = NULL;
		*cert = NULL;
	}
	mem_free(kp);
	mem_free(cp);
	return rc;
}

int pki_load_signer(const char *ds_dir, EVP_PKEY **key, X509 **cert, struct err *e)
{
	return load_pair(ds_dir, "ds.key.pem", "ds.cert.pem", key, cert, e);
}

static EVP_PKEY *generate_key(enum pki_alg alg, struct err *e)
{
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg == PKI_ALG_RSA ? "RSA" : "EC",
						       NULL);
	if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0)
		goto fail;
	if (alg == PKI_ALG_RSA) {
		if (EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 3072) <= 0)
			goto fail;
	} else {
		char group[] = "P-256", encoding[] = OSSL_PKEY_EC_ENCODING_EXPLICIT;
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
			OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, encoding, 0),
			OSSL_PARAM_construct_end(),
		};
		if (EVP_PKEY_CTX_set_params(ctx, params) <= 0)
			goto fail;
	}
	if (EVP_PKEY_generate(ctx, &key) <= 0)
		goto fail;
	EVP_PKEY_CTX_free(ctx);
	return key;
fail:
	err_openssl(e, ERR_CRYPTO, "cannot generate the %s key",
		    alg == PKI_ALG_RSA ? "RSA-3072" : "P-256");
	EVP_PKEY_CTX_free(ctx);
	return NULL;
}

static enum pki_alg alg_of(EVP_PKEY *key)
{
	return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ? PKI_ALG_RSA : PKI_ALG_EC_EXPLICIT;
}

static int write_key(const char *path, EVP_PKEY *key, struct err *e)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	if (!bio || PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1) {
		BIO_free(bio);
		return err_openssl(e, ERR_CRYPTO, "cannot encode the key for '%s'", path);
	}
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	int rc = fs_write_atomic(path, data, (size_t)n, 0600, e);
	BIO_free(bio); /* a secmem BIO wipes its memory */
	return rc;
}

static int write_pem(const char *path, X509 *cert, X509_CRL *crl, struct err *e)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int ok = bio && (cert ? PEM_write_bio_X509(bio, cert) : PEM_write_bio_X509_CRL(bio, crl));
	if (!ok) {
		BIO_free(bio);
		return err_openssl(e, ERR_CRYPTO, "cannot encode '%s'", path);
	}
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	int rc = fs_write_atomic(path, data, (size_t)n, 0644, e);
	BIO_free(bio);
	return rc;
}

static int set_random_serial(X509 *x, struct err *e)
{
	BIGNUM *bn = BN_new();
	/* 159 bits with the top one set: positive, exactly 20 octets in DER */
	int ok = bn && BN_rand(bn, 159, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1 &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? 0 : err_openssl(e, ERR_CRYPTO, "cannot make a serial number");
}

static int name_add(X509_NAME *n, int nid, const char *value)
{
	/* countryName is PrintableString; the others UTF8String (RFC 5280) */
	int type = nid == NID_countryName ? V_ASN1_PRINTABLESTRING : MBSTRING_UTF8;
	return X509_NAME_add_entry_by_NID(n, nid, type, (const unsigned char *)value, -1, -1,
					  0) == 1 ? 0 : -1;
}

static int add_conf_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, struct err *e)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	if (!ext || X509_add_ext(x, ext, -1) != 1) {
		X509_EXTENSION_free(ext);
		return err_openssl(e, ERR_CRYPTO, "cannot add the %s extension", OBJ_nid2sn(nid));
	}
	X509_EXTENSION_free(ext);
	return 0;
}

static int add_ext(X509 *x, X509_EXTENSION *ext, struct err *e)
{
	if (!ext)
		return -1;
	int rc = X509_add_ext(x, ext, -1) == 1 ? 0
		 : err_openssl(e, ERR_CRYPTO, "cannot add an extension");
	X509_EXTENSION_free(ext);
	return rc;
}

X509_EXTENSION *pki_ext_key_usage_period(time_t not_before, time_t not_after, struct err *e)
{
	PKEY_USAGE_PERIOD *p = PKEY_USAGE_PERIOD_new();
	X509_EXTENSION *ext = NULL;
	if (p) {
		p->notBefore = ASN1_GENERALIZEDTIME_set(NULL, not_before);
		p->notAfter = ASN1_GENERALIZEDTIME_set(NULL, not_after);
		if (p->notBefore && p->notAfter)
			ext = X509V3_EXT_i2d(NID_private_key_usage_period, 0, p);
	}
	PKEY_USAGE_PERIOD_free(p);
	if (!ext)
		err_openssl(e, ERR_CRYPTO, "cannot build the private key usage period");
	return ext;
}

X509_EXTENSION *pki_ext_doc_type_list(const char *const *types, size_t n, struct err *e)
{
	if (n == 0)
		return err_set(e, ERR_INPUT, "document type list is empty"), NULL;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(types[i]);
		if (len < 1 || len > 2 || strspn(types[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != len)
			return err_set(e, ERR_INPUT, "document type '%s' is not one or two "
				       "capital letters", types[i]), NULL;
	}
	DOC_TYPE_LIST *dtl = DOC_TYPE_LIST_new();
	ASN1_OBJECT *oid = OBJ_txt2obj(PKI_OID_DOC_TYPE_LIST, 1);
	ASN1_OCTET_STRING *der = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	unsigned char *p = NULL;
	if (!dtl || !oid || !der || ASN1_INTEGER_set(dtl->version, 0) != 1)
		goto out;
	for (size_t i = 0; i < n; i++) {
		ASN1_STRING *s = ASN1_STRING_type_new(V_ASN1_PRINTABLESTRING);
		if (!s || ASN1_STRING_set(s, types[i], -1) != 1 ||
		    !sk_ASN1_UTF8STRING_push(dtl->types, s)) {
			ASN1_STRING_free(s);
			goto out;
		}
	}
	int len = i2d_DOC_TYPE_LIST(dtl, &p);
	if (len <= 0)
		goto out;
	ASN1_STRING_set0(der, p, len);
	p = NULL;
	ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, der);
out:
	if (!ext)
		err_openssl(e, ERR_CRYPTO, "cannot build the document type list");
	OPENSSL_free(p);
	ASN1_OCTET_STRING_free(der);
	ASN1_OBJECT_free(oid);
	DOC_TYPE_LIST_free(dtl);
	return ext;
}

static int set_validity(X509 *x, time_t now, unsigned days, struct err *e)
{
	if (!X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &now) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, &now))
		return err_openssl(e, ERR_CRYPTO, "cannot set the validity");
	return 0;
}

static int check_days(const char *what, unsigned v, unsigned lo, unsigned hi, struct err *e)
{
	if (v < lo || v > hi)
		return err_set(e, ERR_INPUT, "%s must be %u..%u days, not %u", what, lo, hi, v);
	return 0;
}

/* ---- CSCA ---- */

int pki_make_csca(const char *dir, const struct pki_csca_opts *o, struct err *e)
{
	char c2[3];
	if (pki_country_alpha2(o->country, c2) < 0)
		return err_set(e, ERR_INPUT, "unknown country code '%s'",
			       o->country ? o->country : "");
	unsigned key_days = o->key_days ? o->key_days : PKI_CSCA_KEY_DAYS;
	if (check_days("csca key usage", key_days, 1, PKI_CSCA_KEY_DAYS_MAX, e) < 0)
		return -1;
	unsigned days = o->days ? o->days
			: key_days + PKI_PASSPORT_DAYS + PKI_DS_KEY_DAYS_MAX + PKI_DS_MARGIN_DAYS;
	if (check_days("csca validity", days, key_days, PKI_DAYS_MAX, e) < 0)
		return -1;
	time_t now = o->now ? o->now : time(NULL);
	enum pki_alg alg = o->alg == PKI_ALG_RSA ? PKI_ALG_RSA : PKI_ALG_EC_EXPLICIT;

	int rc = -1;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	char *kp = fs_join(dir, "csca.key.pem"), *cp = fs_join(dir, "csca.cert.pem");
	char cn[64];
	snprintf(cn, sizeof cn, "CSCA %s", o->country);
	if (!kp || !cp) {
		err_nomem(e);
		goto out;
	}
	if (exists(kp) && !o->force) {
		err_set(e, ERR_INPUT, "'%s' exists; use --force to replace the csca key", kp);
		goto out;
	}
	if (fs_mkdir(dir, 0700, e) < 0 || !(key = generate_key(alg, e)))
		goto out;
	if (!(x = X509_new()) || X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_pubkey(x, key) != 1) {
		err_openssl(e, ERR_CRYPTO, "cannot make the csca certificate");
		goto out;
	}
	X509_NAME *name = X509_get_subject_name(x);
	if (name_add(name, NID_countryName, c2) < 0 ||
	    name_add(name, NID_organizationName, o->org ? o->org : "Paspor Test Authority") < 0 ||
	    name_add(name, NID_organizationalUnitName,
		     o->org_unit ? o->org_unit : "Passport Issuance") < 0 ||
	    name_add(name, NID_commonName, o->common_name ? o->common_name : cn) < 0 ||
	    X509_set_issuer_name(x, name) != 1) {
		err_openssl(e, ERR_INPUT, "cannot set the csca name");
		goto out;
	}
	if (set_random_serial(x, e) < 0 || set_validity(x, now, days, e) < 0)
		goto out;
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (add_conf_ext(x, &ctx, NID_subject_key_identifier, "hash", e) < 0 ||
	    add_conf_ext(x, &ctx, NID_authority_key_identifier, "keyid:always", e) < 0 ||
	    add_conf_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign", e) < 0 ||
	    add_conf_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0", e) < 0 ||
	    add_ext(x, pki_ext_key_usage_period(now, now + (time_t)key_days * DAY_SECONDS, e),
		    e) < 0)
		goto out;
	if (X509_sign(x, key, EVP_sha256()) <= 0) {
		err_openssl(e, ERR_CRYPTO, "cannot sign the csca certificate");
		goto out;
	}
	if (write_key(kp, key, e) < 0 || write_pem(cp, x, NULL, e) < 0)
		goto out;
	rc = 0;
out:
	EVP_PKEY_free(key);
	X509_free(x);
	mem_free(kp);
	mem_free(cp);
	return rc;
}

/* ---- Document Signer profile (Doc 9303 Part 12 §7.1, as a reader checks it) ---- */

static int name_text(const X509_NAME *n, int nid, char *out, size_t size)
{
	return X509_NAME_get_text_by_NID(n, nid, out, (int)size) > 0 ? 0 : -1;
}

/* Appends "; what" (or "what" first) to the list of problems in out. */
static void problem(char *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(char *out, size_t cap, const char *fmt, ...)
{
	size_t used = strlen(out);
	if (used + 3 >= cap)
		return;
	if (used) {
		memcpy(out + used, "; ", 3);
		used += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out + used, cap - used, fmt, ap);
	va_end(ap);
}

static const struct {
	uint32_t bit;
	const char *name;
} key_usage_bits[] = {
	{ KU_NON_REPUDIATION, "nonRepudiation" }, { KU_KEY_ENCIPHERMENT, "keyEncipherment" },
	{ KU_DATA_ENCIPHERMENT, "dataEncipherment" }, { KU_KEY_AGREEMENT, "keyAgreement" },
	{ KU_KEY_CERT_SIGN, "keyCertSign" }, { KU_CRL_SIGN, "cRLSign" },
	{ KU_ENCIPHER_ONLY, "encipherOnly" }, { KU_DECIPHER_ONLY, "decipherOnly" },
};

static void check_key_usage(X509 *ds, char *out, size_t cap)
{
	int i = X509_get_ext_by_NID(ds, NID_key_usage, -1);
	if (i < 0) {
		problem(out, cap, "keyUsage missing");
		return;
	}
	if (!X509_EXTENSION_get_critical(X509_get_ext(ds, i)))
		problem(out, cap, "keyUsage not critical");
	uint32_t ku = X509_get_key_usage(ds);
	if (!(ku & KU_DIGITAL_SIGNATURE))
		problem(out, cap, "keyUsage lacks digitalSignature");
	char extra[160] = "";
	for (size_t k = 0; k < sizeof key_usage_bits / sizeof key_usage_bits[0]; k++)
		if (ku & key_usage_bits[k].bit)
			snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%s%s",
				 extra[0] ? ", " : "", key_usage_bits[k].name);
	if (extra[0])
		problem(out, cap, "keyUsage also allows %s (a document signer signs only)", extra);
}

static int digest_allowed(int md)
{
	return md == NID_sha1 || md == NID_sha224 || md == NID_sha256 || md == NID_sha384 ||
	       md == NID_sha512;
}

static void check_algorithms(X509 *ds, char *out, size_t cap)
{
	const X509_ALGOR *outer;
	X509_get0_signature(NULL, &outer, ds);
	if (X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(ds)) != 0)
		problem(out, cap, "signatureAlgorithm differs from the TBSCertificate's signature");
	int sig = X509_get_signature_nid(ds), md = NID_undef, pk = NID_undef;
	if (sig != NID_rsassaPss &&
	    (!OBJ_find_sigid_algs(sig, &md, &pk) || !digest_allowed(md) ||
	     (pk != NID_rsaEncryption && pk != NID_X9_62_id_ecPublicKey))) {
		char name[80];
		OBJ_obj2txt(name, sizeof name, outer->algorithm, 0);
		problem(out, cap, "signature algorithm %s not allowed", name);
	}
	EVP_PKEY *k = X509_get0_pubkey(ds);
	int type = k ? EVP_PKEY_get_base_id(k) : NID_undef, bits = k ? EVP_PKEY_get_bits(k) : 0;
	if (type == EVP_PKEY_RSA || type == EVP_PKEY_RSA_PSS) {
		if (bits < PKI_DS_RSA_BITS_MIN)
			problem(out, cap, "RSA key of %d bits (at least %d)", bits,
				PKI_DS_RSA_BITS_MIN);
	} else if (type == EVP_PKEY_EC) {
		if (bits < PKI_DS_EC_BITS_MIN)
			problem(out, cap, "EC key of %d bits (at least %d)", bits,
				PKI_DS_EC_BITS_MIN);
	} else {
		problem(out, cap, "public key is not RSA or EC");
	}
	ERR_clear_error();
}

static void check_names(X509 *ds, X509 *csca, char *out, size_t cap)
{
	char c[8] = "", ic[8] = "";
	if (name_text(X509_get_subject_name(ds), NID_countryName, c, sizeof c) < 0)
		problem(out, cap, "subject has no countryName");
	else if (name_text(X509_get_issuer_name(ds), NID_countryName, ic, sizeof ic) == 0 &&
		 strcmp(c, ic) != 0)
		problem(out, cap, "subject countryName %s differs from the issuer's %s", c, ic);
	const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(ds);
	if (X509_get_ext_by_NID(ds, NID_authority_key_identifier, -1) < 0)
		problem(out, cap, "authorityKeyIdentifier missing");
	else if (!akid)
		problem(out, cap, "authorityKeyIdentifier has no keyIdentifier");
	else if (csca && X509_get0_subject_key_id(csca) &&
		 ASN1_OCTET_STRING_cmp(akid, X509_get0_subject_key_id(csca)) != 0)
		problem(out, cap, "authorityKeyIdentifier is not the CSCA's subjectKeyIdentifier");
	ERR_clear_error();
}

static void check_signed_at(X509 *ds, time_t at, char *out, size_t cap)
{
	char when[32];
	struct tm tm;
	gmtime_r(&at, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (X509_cmp_time(X509_get0_notBefore(ds), &at) > 0 ||
	    X509_cmp_time(X509_get0_notAfter(ds), &at) < 0)
		problem(out, cap, "the SOD's signing time %s is outside the certificate's validity",
			when);
	PKEY_USAGE_PERIOD *p = X509_get_ext_d2i(ds, NID_private_key_usage_period, NULL, NULL);
	if (p && ((p->notBefore && ASN1_TIME_cmp_time_t(p->notBefore, at) > 0) ||
		  (p->notAfter && ASN1_TIME_cmp_time_t(p->notAfter, at) < 0)))
		problem(out, cap, "the SOD's signing time %s is outside the private key usage "
			"period", when);
	PKEY_USAGE_PERIOD_free(p);
	ERR_clear_error();
}

int pki_check_ds_profile(X509 *ds, X509 *csca, const time_t *signed_at, struct err *e)
{
	char out[360] = "";
	if (X509_get_version(ds) != X509_VERSION_3)
		problem(out, sizeof out, "version %ld, not 3", X509_get_version(ds) + 1);
	if (X509_get_extension_flags(ds) & EXFLAG_INVALID)
		problem(out, sizeof out, "an extension is malformed or repeated");
	const ASN1_BIT_STRING *iuid = NULL, *suid = NULL;
	X509_get0_uids(ds, &iuid, &suid);
	if (iuid || suid)
		problem(out, sizeof out, "unique identifiers present");
	check_key_usage(ds, out, sizeof out);
	int crit;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(ds, NID_basic_constraints, &crit, NULL);
	if (bc && bc->ca)
		problem(out, sizeof out, "basicConstraints cA TRUE (a CA, not a document signer)");
	BASIC_CONSTRAINTS_free(bc);
	if (X509_get_ext_by_NID(ds, NID_ext_key_usage, -1) >= 0)
		problem(out, sizeof out, "extendedKeyUsage present");
	if (X509_get_ext_by_NID(ds, NID_netscape_cert_type, -1) >= 0)
		problem(out, sizeof out, "netscape certificate type present");
	check_algorithms(ds, out, sizeof out);
	check_names(ds, csca, out, sizeof out);
	if (signed_at)
		check_signed_at(ds, *signed_at, out, sizeof out);
	ERR_clear_error();
	if (out[0])
		return err_set(e, ERR_VERIFY, "document signer certificate breaks the Doc 9303 "
			       "Part 12 profile: %s", out);
	return 0;
}

/* ---- Document Signer ---- */

static int copy_entry(X509_NAME *to, const X509_NAME *from, int nid)
{
	int i = X509_NAME_get_index_by_NID(from, nid, -1);
	if (i < 0)
		return nid == NID_countryName ? -1 : 0;
	return X509_NAME_add_entry(to, X509_NAME_get_entry(from, i), -1, 0) == 1 ? 0 : -1;
}

/* The CSCA may certify now: inside its validity and its private key usage period. */
static int check_csca_usable(X509 *csca, time_t now, time_t ds_end, struct err *e)
{
	if (X509_cmp_time(X509_get0_notBefore(csca), &now) > 0 ||
	    X509_cmp_time(X509_get0_notAfter(csca), &now) < 0)
		return err_set(e, ERR_INPUT, "the csca certificate is not valid now");
	if (X509_cmp_time(X509_get0_notAfter(csca), &ds_end) < 0)
		return err_set(e, ERR_INPUT, "the ds certificate would outlive the csca "
			       "certificate; shorten --days or renew the csca");
	PKEY_USAGE_PERIOD *p = X509_get_ext_d2i(csca, NID_private_key_usage_period, NULL,
						 NULL);
	int rc = 0;
	if (p && p->notAfter && ASN1_TIME_cmp_time_t(p->notAfter, now) < 0)
		rc = err_set(e, ERR_INPUT, "the csca private key usage period has ended");
	else if (p && p->notBefore && ASN1_TIME_cmp_time_t(p->notBefore, now) > 0)
		rc = err_set(e, ERR_INPUT, "the csca private key usage period has not begun");
	PKEY_USAGE_PERIOD_free(p);
	return rc;
}

int pki_make_ds(const char *dir, const struct pki_ds_opts *o, struct err *e)
{
	unsigned key_days = o->key_days ? o->key_days : PKI_DS_KEY_DAYS;
	if (check_days("ds key usage", key_days, 1, PKI_DS_KEY_DAYS_MAX, e) < 0)
		return -1;
	unsigned days = o->days ? o->days : key_days + PKI_PASSPORT_DAYS + PKI_DS_MARGIN_DAYS;
	if (check_days("ds validity", days, key_days, PKI_DAYS_MAX, e) < 0)
		return -1;
	time_t now = o->now ? o->now : time(NULL);

	int rc = -1;
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *x = NULL;
	char *kp = fs_join(dir, "ds.key.pem"), *cp = fs_join(dir, "ds.cert.pem");
	char *copy = fs_join(dir, "csca.cert.pem");
	if (!kp || !cp || !copy) {
		err_nomem(e);
		goto out;
	}
	if (!o->pubkey && exists(kp) && !o->force) {
		err_set(e, ERR_INPUT, "'%s' exists; use --force to replace the ds key", kp);
		goto out;
	}
	if (load_pair(o->csca_dir, "csca.key.pem", "csca.cert.pem", &ca_key, &ca, e) < 0 ||
	    check_csca_usable(ca, now, now + (time_t)days * DAY_SECONDS, e) < 0)
		goto out;
	enum pki_alg alg = o->alg != PKI_ALG_DEFAULT ? o->alg : alg_of(ca_key);
	if (fs_mkdir(dir, 0700, e) < 0)
		goto out;
	if (o->pubkey) {
		/* a request's key: certified as it is, an EC key with explicit parameters */
		if (!(key = EVP_PKEY_dup(o->pubkey)) ||
		    (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
		     EVP_PKEY_set_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING,
						    OSSL_PKEY_EC_ENCODING_EXPLICIT) != 1)) {
			err_openssl(e, ERR_CRYPTO, "cannot take the request's public key");
			goto out;
		}
	} else if (!(key = generate_key(alg, e))) {
		goto out;
	}
	if (!(x = X509_new()) || X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_pubkey(x, key) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca)) != 1) {
		err_openssl(e, ERR_CRYPTO, "cannot make the ds certificate");
		goto out;
	}
	const X509_NAME *ca_name = X509_get_subject_name(ca);
	X509_NAME *name = X509_get_subject_name(x);
	char ou[128] = "Passport Issuance", c2[8] = "", cn[96];
	name_text(ca_name, NID_organizationalUnitName, ou, sizeof ou);
	name_text(ca_name, NID_countryName, c2, sizeof c2);
	struct tm tm;
	gmtime_r(&now, &tm);
	snprintf(cn, sizeof cn, "Document Signer %s %04d%02d%02d", c2, tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday);
	if (copy_entry(name, ca_name, NID_countryName) < 0 ||
	    copy_entry(name, ca_name, NID_organizationName) < 0 ||
	    name_add(name, NID_organizationalUnitName, o->org_unit ? o->org_unit : ou) < 0 ||
	    name_add(name, NID_commonName, o->common_name ? o->common_name : cn) < 0) {
		err_openssl(e, ERR_INPUT, "cannot set the ds name (the csca needs a country)");
		goto out;
	}
	if (set_random_serial(x, e) < 0 || set_validity(x, now, days, e) < 0)
		goto out;
	static const char *const doc_types[] = { "P" };
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	if (add_conf_ext(x, &ctx, NID_authority_key_identifier, "keyid:always", e) < 0 ||
	    add_conf_ext(x, &ctx, NID_subject_key_identifier, "hash", e) < 0 ||
	    add_conf_ext(x, &ctx, NID_key_usage, "critical,digitalSignature", e) < 0 ||
	    add_ext(x, pki_ext_key_usage_period(now, now + (time_t)key_days * DAY_SECONDS, e),
		    e) < 0 ||
	    add_ext(x, pki_ext_doc_type_list(doc_types, 1, e), e) < 0)
		goto out;
	if (X509_sign(x, ca_key, EVP_sha256()) <= 0) {
		err_openssl(e, ERR_CRYPTO, "cannot sign the ds certificate");
		goto out;
	}
	/* what readers will check (e.g. a request's key too small): refuse to write it */
	if (pki_check_ds_profile(x, ca, NULL, e) < 0) {
		e->code = ERR_INPUT;
		goto out;
	}
	if ((!o->pubkey && write_key(kp, key, e) < 0) || write_pem(cp, x, NULL, e) < 0 ||
	    write_pem(copy, ca, NULL, e) < 0)
		goto out;
	rc = 0;
out:
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	X509_free(ca);
	X509_free(x);
	mem_free(kp);
	mem_free(cp);
	mem_free(copy);
	return rc;
}

/* ---- CRL ---- */

struct revoked {
	BIGNUM *serial;
	time_t when;
};

struct revoked_list {
	struct revoked *v;
	size_t n, cap;
};

static void revoked_release(struct revoked_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		BN_free(l->v[i].serial);
	mem_free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Takes serial over (frees it when it is already listed or on failure). */
static int revoked_add(struct revoked_list *l, BIGNUM *serial, time_t when, struct err *e)
{
	for (size_t i = 0; i < l->n; i++) {
		if (BN_cmp(l->v[i].serial, serial) == 0) {
			BN_free(serial);
			return 0;
		}
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct revoked *v = mem_realloc(l->v, cap * sizeof *v);
		if (!v) {
			BN_free(serial);
			return err_nomem(e);
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct revoked){ serial, when };
	return 0;
}

static int revoked_read(const char *path, struct revoked_list *l, struct err *e)
{
	if (!exists(path))
		return 0;
	struct buf b;
	buf_init(&b, 16 << 20);
	if (fs_read_file(path, &b, e) < 0) {
		buf_release(&b);
		return -1;
	}
	int rc = 0;
	char *save = NULL;
	size_t lineno = 0;
	for (char *line = strtok_r((char *)b.data, "\n", &save); line && rc == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		char hex[128];
		long long when;
		BIGNUM *bn = NULL;
		if (sscanf(line, "%127s %lld", hex, &when) != 2 ||
		    BN_hex2bn(&bn, hex) != (int)strlen(hex) || when < 0) {
			BN_free(bn);
			rc = err_set(e, ERR_INPUT, "'%s' line %zu is not 'SERIALHEX EPOCH'", path,
				     lineno);
			break;
		}
		rc = revoked_add(l, bn, (time_t)when, e);
	}
	buf_release(&b);
	return rc;
}

static int revoked_write(const char *path, const struct revoked_list *l, struct err *e)
{
	struct buf b;
	buf_init(&b, 16 << 20);
	for (size_t i = 0; i < l->n; i++) {
		char *hex = BN_bn2hex(l->v[i].serial);
		if (!hex) {
			buf_release(&b);
			return err_nomem(e);
		}
		buf_addf(&b, "%s %lld\n", hex, (long long)l->v[i].when);
		OPENSSL_free(hex);
	}
	int rc = buf_ok(&b) ? fs_write_atomic(path, buf_str(&b), b.len, 0644, e)
			    : err_nomem(e);
	buf_release(&b);
	return rc;
}

static int read_crl_number(const char *path, unsigned long long *n, struct err *e)
{
	*n = 0;
	if (!exists(path))
		return 0;
	struct buf b;
	buf_init(&b, 64);
	if (fs_read_file(path, &b, e) < 0) {
		buf_release(&b);
		return -1;
	}
	char *s = (char *)b.data;
	if (s)
		s[strcspn(s, "\n")] = '\0';
	int rc = 0;
	if (!s || sscanf(s, "%llu", n) != 1)
		rc = err_set(e, ERR_INPUT, "'%s' does not hold a crl number", path);
	buf_release(&b);
	return rc;
}

static int revoke_cert(const char *path, X509 *ca, EVP_PKEY *ca_key, time_t now,
		       struct revoked_list *l, struct err *e)
{
	X509 *x;
	if (pki_load_cert(path, &x, e) < 0)
		return -1;
	int rc = 0;
	if (X509_check_issued(ca, x) != X509_V_OK || X509_verify(x, ca_key) != 1) {
		ERR_clear_error();
		rc = err_set(e, ERR_VERIFY, "'%s' was not issued by this csca", path);
	} else {
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
		rc = bn ? revoked_add(l, bn, now, e) : err_nomem(e);
	}
	X509_free(x);
	return rc;
}

static X509_CRL *build_crl(X509 *ca, EVP_PKEY *ca_key, const struct revoked_list *l,
			   unsigned long long number, time_t now, unsigned days, struct err *e)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = NULL;
	ASN1_INTEGER *num = NULL;
	X509_EXTENSION *aki = NULL;
	if (!crl || X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) != 1 ||
	    !(t = X509_time_adj_ex(NULL, 0, 0, &now)) || X509_CRL_set1_lastUpdate(crl, t) != 1 ||
	    !X509_time_adj_ex(t, (int)days, 0, &now) || X509_CRL_set1_nextUpdate(crl, t) != 1)
		goto fail;
	for (size_t i = 0; i < l->n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *sn = BN_to_ASN1_INTEGER(l->v[i].serial, NULL);
		time_t when = l->v[i].when;
		int ok = r && sn && X509_REVOKED_set_serialNumber(r, sn) == 1 &&
			 X509_time_adj_ex(t, 0, 0, &when) &&
			 X509_REVOKED_set_revocationDate(r, t) == 1 &&
			 X509_CRL_add0_revoked(crl, r) == 1;
		ASN1_INTEGER_free(sn);
		if (!ok) {
			X509_REVOKED_free(r);
			goto fail;
		}
	}
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
	if (!(aki = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier,
					 "keyid:always")) ||
	    X509_CRL_add_ext(crl, aki, -1) != 1 || !(num = ASN1_INTEGER_new()) ||
	    ASN1_INTEGER_set_uint64(num, number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1 ||
	    X509_CRL_sort(crl) != 1 || X509_CRL_sign(crl, ca_key, EVP_sha256()) <= 0)
		goto fail;
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(num);
	X509_EXTENSION_free(aki);
	return crl;
fail:
	err_openssl(e, ERR_CRYPTO, "cannot build the crl");
	X509_CRL_free(crl);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(num);
	X509_EXTENSION_free(aki);
	return NULL;
}

int pki_make_crl(const struct pki_crl_opts *o, char **crl_path, struct err *e)
{
	if (crl_path)
		*crl_path = NULL;
	unsigned days = o->days ? o->days : PKI_CRL_DAYS;
	if (check_days("crl validity", days, 1, PKI_CRL_DAYS_MAX, e) < 0)
		return -1;
	time_t now = o->now ? o->now : time(NULL);
	int rc = -1;
	EVP_PKEY *ca_key = NULL;
	X509 *ca = NULL;
	X509_CRL *crl = NULL;
	struct revoked_list l = { NULL, 0, 0 };
	char *rp = fs_join(o->csca_dir, "revoked.txt");
	char *np = fs_join(o->csca_dir, "crl.number");
	char *cp = fs_join(o->csca_dir, "crl.pem");
	unsigned long long number;
	if (!rp || !np || !cp) {
		err_nomem(e);
		goto out;
	}
	if (load_pair(o->csca_dir, "csca.key.pem", "csca.cert.pem", &ca_key, &ca, e) < 0 ||
	    revoked_read(rp, &l, e) < 0 || read_crl_number(np, &number, e) < 0)
		goto out;
	for (size_t i = 0; i < o->n_revoke; i++)
		if (revoke_cert(o->revoke[i], ca, ca_key, now, &l, e) < 0)
			goto out;
	number++;
	if (!(crl = build_crl(ca, ca_key, &l, number, now, days, e)))
		goto out;
	char num[32];
	int nlen = snprintf(num, sizeof num, "%llu\n", number);
	if (revoked_write(rp, &l, e) < 0 || fs_write_atomic(np, num, (size_t)nlen, 0644, e) < 0 ||
	    write_pem(cp, NULL, crl, e) < 0)
		goto out;
	if (crl_path) {
		*crl_path = cp;
		cp = NULL;
	}
	rc = 0;
out:
	revoked_release(&l);
	X509_CRL_free(crl);
	EVP_PKEY_free(ca_key);
	X509_free(ca);
	mem_free(rp);
	mem_free(np);
	mem_free(cp);
	return rc;
}

/* ---- verification ---- */

static int accept_explicit_params(int ok, X509_STORE_CTX *ctx)
{
	if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_EC_KEY_EXPLICIT_PARAMS) {
		X509_STORE_CTX_set_error(ctx, X509_V_OK);
		return 1;
	}
	return ok;
}

int pki_verify_cert(X509 *cert, X509 *csca, X509_CRL *crl, time_t at, struct err *e)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -1;
	if (!store || !ctx || X509_STORE_add_cert(store, csca) != 1 ||
	    (crl && X509_STORE_add_crl(store, crl) != 1)) {
		err_openssl(e, ERR_CRYPTO, "cannot set up certificate verification");
		goto out;
	}
	X509_STORE_set_verify_cb(store, accept_explicit_params);
	if (crl)
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	if (X509_STORE_CTX_init(ctx, store, cert, NULL) != 1) {
		err_openssl(e, ERR_CRYPTO, "cannot set up certificate verification");
		goto out;
	}
	if (at)
		X509_STORE_CTX_set_time(ctx, 0, at);
	if (X509_verify_cert(ctx) != 1) {
		int code = X509_STORE_CTX_get_error(ctx);
		ERR_clear_error();
		err_set(e, ERR_VERIFY, "certificate does not verify against the csca: %s",
			X509_verify_cert_error_string(code));
		goto out;
	}
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}
