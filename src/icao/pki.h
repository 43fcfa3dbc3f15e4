/*
 * pki — the country's passport PKI after ICAO Doc 9303 Part 12: the Country Signing CA
 * (CSCA), the Document Signers (DS) it certifies, and its CRL. docs/PKI.md has the
 * certificate profiles, the file layout and the reasons for the defaults.
 *
 * Algorithms: ECDSA over P-256 with the curve's explicit domain parameters in the
 * SubjectPublicKeyInfo (Part 12 asks for explicit parameters with ECDSA) and SHA-256, or
 * RSA-3072 with sha256WithRSAEncryption. A DS key has the CSCA's algorithm unless asked
 * otherwise.
 *
 * Folders (created with mode 0700 when missing; keys are PKCS#8 PEM with mode 0600,
 * every file written with fs_write_atomic):
 *   CSCA dir: csca.key.pem, csca.cert.pem, and after pki_make_crl: crl.pem,
 *             crl.number (the last CRL number), revoked.txt (one "SERIALHEX EPOCH" line
 *             per revoked certificate; revocations accumulate).
 *   DS dir:   ds.key.pem, ds.cert.pem, csca.cert.pem (a copy of the issuer).
 * Serial numbers are random positive 159-bit integers, so a CSCA keeps no serial state.
 *
 * Ownership: pointers in the option structs are borrowed for the call. The objects that
 * pki_load_* hand back belong to the caller (EVP_PKEY_free, X509_free); on failure
 * they are left NULL. Nothing here keeps global state; the functions may run in
 * different threads on different folders.
 *
 * Errors: -1 with e filled. ERR_INPUT: a bad option, an existing key without force, a
 * missing or unreadable-as-PEM input, a key file open to group or others, a DS that
 * would outlive its CSCA; ERR_IO: files; ERR_CRYPTO: OpenSSL failed; ERR_VERIFY: a
 * certificate given for revocation was not issued by this CSCA.
 */
#ifndef PASPOR_ICAO_PKI_H
#define PASPOR_ICAO_PKI_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/err.h"

enum pki_alg {
	PKI_ALG_DEFAULT = 0,     /* CSCA: EC explicit; DS: the CSCA's algorithm */
	PKI_ALG_EC_EXPLICIT,     /* ECDSA P-256, explicit domain parameters, SHA-256 */
	PKI_ALG_RSA,             /* RSA-3072, sha256WithRSAEncryption */
};

/* Limits and defaults, in days (see docs/PKI.md for the reasoning). */
#define PKI_PASSPORT_DAYS 3653u       /* longest passport validity: 10 years */
#define PKI_CSCA_KEY_DAYS 1826u       /* CSCA private key usage: 5 years */
#define PKI_CSCA_KEY_DAYS_MAX 1827u
#define PKI_DS_KEY_DAYS 90u           /* DS private key usage: 3 months */
#define PKI_DS_KEY_DAYS_MAX 92u
#define PKI_DS_MARGIN_DAYS 92u        /* slack after the last passport a DS signs */
#define PKI_DAYS_MAX 14610u           /* no certificate lives longer than 40 years */
#define PKI_CRL_DAYS 90u              /* CRL nextUpdate: Part 12 asks for one at least every 90 days */
#define PKI_CRL_DAYS_MAX 365u

/* The DocumentTypeList extension (Part 12: id-icao-mrtd-security-extensions 6.2). */
#define PKI_OID_DOC_TYPE_LIST "2.23.136.1.1.6.2"

struct pki_csca_opts {
	const char *country;    /* ICAO three-letter code, "IDN"; required */
	const char *org;        /* subject O; NULL: "Paspor Test Authority" */
	const char *org_unit;   /* subject OU; NULL: "Passport Issuance" */
	const char *common_name;/* subject CN; NULL: "CSCA <country>" */
	enum pki_alg alg;
	unsigned key_days;      /* private key usage period; 0: PKI_CSCA_KEY_DAYS */
	unsigned days;          /* validity; 0: key_days + PKI_PASSPORT_DAYS + PKI_DS_KEY_DAYS_MAX + PKI_DS_MARGIN_DAYS */
	int force;              /* replace an existing csca.key.pem */
	time_t now;             /* 0: time(NULL); tests pin it */
};

struct pki_ds_opts {
	const char *csca_dir;   /* holds csca.key.pem and csca.cert.pem; required */
	const char *common_name;/* subject CN; NULL: "Document Signer <country> <YYYYMMDD>" */
	const char *org_unit;   /* subject OU; NULL: the CSCA's OU */
	enum pki_alg alg;
	unsigned key_days;      /* 0: PKI_DS_KEY_DAYS */
	unsigned days;          /* 0: key_days + PKI_PASSPORT_DAYS + PKI_DS_MARGIN_DAYS */
	int force;              /* replace an existing ds.key.pem */
	time_t now;
	EVP_PKEY *pubkey;       /* certify this public key (a request's, pki_load_csr) instead
				 * of generating a key: no ds.key.pem is written; an EC key is
				 * certified with explicit domain parameters */
};

struct pki_crl_opts {
	const char *csca_dir;
	const char *const *revoke; /* paths of certificates (PEM) to add; may be NULL */
	size_t n_revoke;
	unsigned days;          /* nextUpdate - thisUpdate; 0: PKI_CRL_DAYS */
	time_t now;
};

/*
 * The ISO 3166-1 alpha-2 code for an ICAO three-letter nationality code, for a
 * certificate's countryName. Known codes are a small table (docs/PKI.md); "UTO", ICAO's
 * specimen state Utopia (no ISO code), maps to "UT" for test certificates. -1 for an unknown code.
 */
int pki_country_alpha2(const char *alpha3, char out[3]);

/* Makes a CSCA key and self-signed certificate in dir. */
int pki_make_csca(const char *dir, const struct pki_csca_opts *o, struct err *e);
/* Makes a DS key and a certificate signed by the CSCA in o->csca_dir, in dir. */
int pki_make_ds(const char *dir, const struct pki_ds_opts *o, struct err *e);
/*
 * Adds o->revoke to the CSCA's revocation list and writes a new CRL (crl.pem) with the
 * next CRL number. *crl_path, if crl_path is not NULL, gets the written path (mem_free).
 */
int pki_make_crl(const struct pki_crl_opts *o, char **crl_path, struct err *e);

/*
 * Reads DIR/ds.key.pem and DIR/ds.cert.pem and checks that they belong together. The
 * key file must not be readable by group or others.
 */
int pki_load_signer(const char *ds_dir, EVP_PKEY **key, X509 **cert, struct err *e);
/* Reads a PEM certificate request (PKCS#10) and checks its self-signature; *pub gets
 * its public key (EVP_PKEY_free). ERR_VERIFY when the signature does not hold. */
int pki_load_csr(const char *pem_path, EVP_PKEY **pub, struct err *e);
/* Reads one PEM certificate. */
int pki_load_cert(const char *pem_path, X509 **cert, struct err *e);
/* Reads a PEM private key, refusing a file readable by group or others. */
int pki_load_key(const char *pem_path, EVP_PKEY **key, struct err *e);

/*
 * Verifies that cert chains to the trust anchor csca (X509_verify_cert: signatures,
 * validity at time at (0: now), CA constraints, key usage), and if crl is not NULL that
 * the CRL is the CSCA's, current, and does not list cert. OpenSSL 3 refuses EC keys
 * with explicit domain parameters (X509_V_ERR_EC_KEY_EXPLICIT_PARAMS), which Part 12
 * requires: that one error, and only it, is accepted. ERR_VERIFY when the chain fails.
 */
int pki_verify_cert(X509 *cert, X509 *csca, X509_CRL *crl, time_t at, struct err *e);

/* Smallest Document Signer keys a reader accepts (docs/PKI.md). */
#define PKI_DS_RSA_BITS_MIN 2048
#define PKI_DS_EC_BITS_MIN 224

/*
 * Checks a Document Signer certificate against the profile of Doc 9303 Part 12 as a
 * reader must (docs/PKI.md, "What a reader checks"): version 3, no unique identifiers,
 * keyUsage present, critical, digitalSignature and nothing else; not a CA (no
 * basicConstraints cA TRUE), no extendedKeyUsage or netscape certificate type; an
 * allowed signature algorithm (RSA, RSA-PSS or ECDSA with SHA-1/224/256/384/512, the
 * same in the TBSCertificate) and key (RSA >= 2048 bits, EC >= 224); a subject
 * countryName equal to the issuer's; an authorityKeyIdentifier with a keyIdentifier,
 * equal to csca's subjectKeyIdentifier when csca (may be NULL) has one; with signed_at
 * (may be NULL: the SOD had no signing time), that time inside the validity and the
 * private key usage period. Does not check the signature, the chain or the time now
 * (sod_verify_chain, pki_verify_cert do). ERR_VERIFY naming every problem found.
 */
int pki_check_ds_profile(X509 *ds, X509 *csca, const time_t *signed_at, struct err *e);

/*
 * Extension builders, exposed for the unit tests. Each returns a new extension
 * (X509_EXTENSION_free) or NULL with e filled.
 *   pki_ext_doc_type_list: DocumentTypeListSyntax { version 0, SET OF PrintableString }
 *   pki_ext_key_usage_period: PrivateKeyUsagePeriod with both GeneralizedTimes
 */
X509_EXTENSION *pki_ext_doc_type_list(const char *const *types, size_t n, struct err *e);
X509_EXTENSION *pki_ext_key_usage_period(time_t not_before, time_t not_after,
					 struct err *e);

#endif
