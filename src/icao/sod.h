/*
 * sod — EF.SOD, the Document Security Object of ICAO Doc 9303 Part 10 §4.6.2 and
 * Part 11 §5: tag 0x77 around a CMS SignedData (RFC 5652) whose eContent, of type
 * id-icao-mrtd-security-ldsSecurityObject (2.23.136.1.1.1), is an LDSSecurityObject:
 *
 *   LDSSecurityObject ::= SEQUENCE {
 *     version             INTEGER,            -- 0 (v0), or 1 with ldsVersionInfo
 *     hashAlgorithm       AlgorithmIdentifier,
 *     dataGroupHashValues SEQUENCE SIZE (2..16) OF DataGroupHash,
 *     ldsVersionInfo      LDSVersionInfo OPTIONAL }
 *   DataGroupHash ::= SEQUENCE { dataGroupNumber INTEGER, dataGroupHashValue OCTET STRING }
 *   LDSVersionInfo ::= SEQUENCE { ldsVersion PrintableString, unicodeVersion PrintableString }
 *
 * Encoding and decoding use OpenSSL's ASN.1 templates; signing and parsing its CMS API.
 * What we write is DER. sod_decode_lso is strict: the bytes must be DER (they re-encode
 * to themselves). sod_parse reads EF.SOD as Doc 9303 readers do, in BER (indefinite
 * lengths, constructed strings, long-form lengths: real passports write so), and keeps
 * the strictness that matters (docs/CHIP.md, "BER"). Either way hash algorithms are
 * SHA-1/224/256/384/512, data-group numbers 1..16 without repeats, each hash as long
 * as the algorithm's output.
 *
 * Signing (sod_sign): SignedData v3, digest SHA-256, signed attributes content-type,
 * message-digest and signing-time, the DS certificate included, signer identified by
 * issuer and serial number. The signature algorithm follows the key: EC → ecdsa-with-
 * SHA256, RSA → sha256WithRSAEncryption (PKCS#1 v1.5), RSA-PSS key → RSASSA-PSS.
 * struct sod_signer lets a caller replace sod_sign (e.g. by a separate signer process).
 *
 * Ownership: inputs are borrowed. struct sod owns its CMS object and signer
 * certificate; sod_release frees them. Errors: ERR_INPUT malformed input, ERR_VERIFY a
 * failed signature or chain check, ERR_CRYPTO OpenSSL failed, ERR_NOMEM.
 */
#ifndef PASPOR_ICAO_SOD_H
#define PASPOR_ICAO_SOD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/buf.h"
#include "util/err.h"

#define SOD_TAG 0x77u
#define SOD_MAX_DG 16
#define SOD_HASH_MAX 64
/* id-icao-mrtd-security-ldsSecurityObject 2.23.136.1.1.1, content octets of the OID */
#define SOD_OID_LSO_DER "\x67\x81\x08\x01\x01\x01"
#define SOD_OID_LSO_LEN 6

struct sod_dg_hash {
	int dg;                       /* 1..16 */
	uint8_t hash[SOD_HASH_MAX];
	size_t len;
};

struct lds_security_object {
	int version;                  /* 0 or 1 */
	int hash_nid;                 /* NID_sha1, NID_sha256, ... */
	size_t n;
	struct sod_dg_hash dg[SOD_MAX_DG];
	char lds_version[16];         /* v1 only, "0108" */
	char unicode_version[16];     /* v1 only, "040000" */
};

/* Short name for the report, "SHA-256"; "?" for others. */
const char *sod_hash_name(int nid);
/* The digest for an allowed hash NID, or NULL. */
const EVP_MD *sod_hash_md(int nid);

/* Appends the DER LDSSecurityObject. */
int sod_encode_lso(const struct lds_security_object *lso, struct buf *out, struct err *e);
/* Decodes a DER LDSSecurityObject (strictly; see above). */
int sod_decode_lso(const uint8_t *der, size_t len, struct lds_security_object *lso,
		   struct err *e);

/*
 * Signs the DER LDSSecurityObject content[0..len) with key and cert and appends the
 * whole EF.SOD (0x77 wrapper included) to out.
 */
int sod_sign(const uint8_t *content, size_t len, EVP_PKEY *key, X509 *cert, struct buf *out,
	     struct err *e);

/* A signing step: appends EF.SOD for content to out. ctx belongs to the caller. */
struct sod_signer {
	int (*sign)(void *ctx, const uint8_t *content, size_t len, struct buf *out,
		    struct err *e);
	void *ctx;
};
/* The local signer: ctx is a struct sod_key (borrowed). */
struct sod_key {
	EVP_PKEY *key;
	X509 *cert;
};
int sod_sign_with_key(void *ctx, const uint8_t *content, size_t len, struct buf *out,
		      struct err *e);

/* A parsed EF.SOD. */
struct sod {
	CMS_ContentInfo *cms;
	struct lds_security_object lso;
	int digest_nid;               /* the signer's digest algorithm */
	char sig_alg[64];             /* the signer's signature algorithm, for the report */
	int ber;                      /* the EF.SOD was BER, not DER (sod_parse accepts it) */
};

/*
 * Parses EF.SOD p[0..n): the 0x77 wrapper, a CMS SignedData v3 with one signer, the
 * ICAO content type, a consistent digestAlgorithms set, at least one certificate, and
 * the LDSSecurityObject. BER is accepted in the wrapper, the ContentInfo and the
 * LDSSecurityObject (s->ber says so); the element must fill p[0..n) exactly, and every
 * length stays inside it. Does not check the signature. On success the caller releases
 * s with sod_release; on failure s holds nothing.
 */
int sod_parse(const uint8_t *p, size_t n, struct sod *s, struct err *e);
void sod_release(struct sod *s);

/*
 * Checks the signature over the signed attributes and the message digest of the
 * content, with the signer certificate embedded in the SOD (not checked itself), and
 * the content-type attribute. On success *signer (if not NULL) gets the signer
 * certificate (X509_free). ERR_VERIFY when the signature does not hold.
 */
int sod_verify_signature(const struct sod *s, X509 **signer, struct err *e);

/*
 * The signing-time signed attribute: 1 and *t set when there is exactly one, 0 when
 * there is none, -1 (ERR_INPUT) when it is repeated or not a time.
 */
int sod_signing_time(const struct sod *s, time_t *t, struct err *e);

/*
 * Checks that signer chains to csca (a trust anchor) at the current time, with the
 * other certificates of the SOD as intermediates. Explicit EC domain parameters, which
 * Part 12 requires and OpenSSL 3 refuses by default, are accepted. ERR_VERIFY with the
 * reason.
 */
int sod_verify_chain(const struct sod *s, X509 *signer, X509 *csca, struct err *e);

#endif
