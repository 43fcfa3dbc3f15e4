#include "icao/sod.h"

#include <limits.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "icao/tlv.h"

/*
 * The ASN.1 types of the LDSSecurityObject. OpenSSL's template macros need a type name
 * for each structure, hence these typedefs (the only ones in Paspor: they mirror the
 * ASN.1 module and stay inside this file).
 */
typedef struct {
	ASN1_INTEGER *number;
	ASN1_OCTET_STRING *hash;
} DG_HASH;

typedef struct {
	ASN1_PRINTABLESTRING *lds_version;
	ASN1_PRINTABLESTRING *unicode_version;
} LDS_VERSION_INFO;

DEFINE_STACK_OF(DG_HASH)

typedef struct {
	ASN1_INTEGER *version;
	X509_ALGOR *hash_alg;
	STACK_OF(DG_HASH) *hashes;
	LDS_VERSION_INFO *version_info;
} LDS_SECURITY_OBJECT;

ASN1_SEQUENCE(DG_HASH) = {
	ASN1_SIMPLE(DG_HASH, number, ASN1_INTEGER),
	ASN1_SIMPLE(DG_HASH, hash, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(DG_HASH)

ASN1_SEQUENCE(LDS_VERSION_INFO) = {
	ASN1_SIMPLE(LDS_VERSION_INFO, lds_version, ASN1_PRINTABLESTRING),
	ASN1_SIMPLE(LDS_VERSION_INFO, unicode_version, ASN1_PRINTABLESTRING),
} static_ASN1_SEQUENCE_END(LDS_VERSION_INFO)

ASN1_SEQUENCE(LDS_SECURITY_OBJECT) = {
	ASN1_SIMPLE(LDS_SECURITY_OBJECT, version, ASN1_INTEGER),
	ASN1_SIMPLE(LDS_SECURITY_OBJECT, hash_alg, X509_ALGOR),
	ASN1_SEQUENCE_OF(LDS_SECURITY_OBJECT, hashes, DG_HASH),
	ASN1_OPT(LDS_SECURITY_OBJECT, version_info, LDS_VERSION_INFO),
} static_ASN1_SEQUENCE_END(LDS_SECURITY_OBJECT)

IMPLEMENT_STATIC_ASN1_ALLOC_FUNCTIONS(DG_HASH)
IMPLEMENT_STATIC_ASN1_ALLOC_FUNCTIONS(LDS_SECURITY_OBJECT)
IMPLEMENT_STATIC_ASN1_ENCODE_FUNCTIONS(LDS_SECURITY_OBJECT)

static const int allowed_hashes[] = { NID_sha1, NID_sha224, NID_sha256, NID_sha384,
				      NID_sha512 };

const EVP_MD *sod_hash_md(int nid)
{
	for (size_t i = 0; i < sizeof allowed_hashes / sizeof allowed_hashes[0]; i++)
		if (allowed_hashes[i] == nid)
			return EVP_get_digestbynid(nid);
	return NULL;
}

const char *sod_hash_name(int nid)
{
	switch (nid) {
	case NID_sha1: return "SHA-1";
	case NID_sha224: return "SHA-224";
	case NID_sha256: return "SHA-256";
	case NID_sha384: return "SHA-384";
	case NID_sha512: return "SHA-512";
	default: return "?";
	}
}

int sod_encode_lso(const struct lds_security_object *lso, struct buf *out, struct err *e)
{
	const EVP_MD *md = sod_hash_md(lso->hash_nid);
	if (!md)
		return err_set(e, ERR_INPUT, "LDSSecurityObject: hash algorithm not allowed");
	if (lso->n < 1 || lso->n > SOD_MAX_DG)
		return err_set(e, ERR_INPUT, "LDSSecurityObject: %zu data groups", lso->n);
	if (lso->version != 0 && lso->version != 1)
		return err_set(e, ERR_INPUT, "LDSSecurityObject: version %d", lso->version);
	int rc = -1;
	LDS_SECURITY_OBJECT *o = LDS_SECURITY_OBJECT_new();
	if (!o)
		return err_nomem(e);
	if (!ASN1_INTEGER_set(o->version, lso->version) ||
	    !X509_ALGOR_set0(o->hash_alg, OBJ_nid2obj(lso->hash_nid), V_ASN1_UNDEF, NULL))
		goto nomem;
	for (size_t i = 0; i < lso->n; i++) {
		const struct sod_dg_hash *h = &lso->dg[i];
		if (h->dg < 1 || h->dg > SOD_MAX_DG || h->len != (size_t)EVP_MD_get_size(md)) {
			err_set(e, ERR_INPUT, "LDSSecurityObject: bad entry for data group %d",
				h->dg);
			goto out;
		}
		DG_HASH *d = DG_HASH_new();
		if (!d)
			goto nomem;
		if (!ASN1_INTEGER_set(d->number, h->dg) ||
		    !ASN1_OCTET_STRING_set(d->hash, h->hash, (int)h->len) ||
		    !sk_DG_HASH_push(o->hashes, d)) {
			DG_HASH_free(d);
			goto nomem;
		}
	}
	if (lso->version == 1) {
		o->version_info = (LDS_VERSION_INFO *)ASN1_item_new(ASN1_ITEM_rptr(LDS_VERSION_INFO));
		if (!o->version_info ||
		    !ASN1_STRING_set(o->version_info->lds_version, lso->lds_version, -1) ||
		    !ASN1_STRING_set(o->version_info->unicode_version, lso->unicode_version, -1))
			goto nomem;
	}
	int len = i2d_LDS_SECURITY_OBJECT(o, NULL);
	if (len <= 0) {
		err_openssl(e, ERR_CRYPTO, "cannot encode the LDSSecurityObject");
		goto out;
	}
	if (buf_grow(out, (size_t)len) < 0)
		goto nomem;
	unsigned char *p = out->data + out->len;
	if (i2d_LDS_SECURITY_OBJECT(o, &p) != len) {
		err_openssl(e, ERR_CRYPTO, "cannot encode the LDSSecurityObject");
		goto out;
	}
	out->len += (size_t)len;
	out->data[out->len] = 0;
	rc = 0;
	goto out;
nomem:
	err_nomem(e);
out:
	LDS_SECURITY_OBJECT_free(o);
	return rc;
}

/* Copies a PrintableString of at most cap-1 bytes into out. */
static int copy_pstring(const ASN1_STRING *s, char *out, size_t cap)
{
	int n = ASN1_STRING_length(s);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	memcpy(out, ASN1_STRING_get0_data(s), (size_t)n);
	out[n] = '\0';
	return 0;
}

/*
 * Decodes an LDSSecurityObject. With ber NULL it must be DER; otherwise BER is accepted
 * and *ber tells whether it was anything but DER.
 */
static int decode_lso(const uint8_t *der, size_t len, int *ber,
		      struct lds_security_object *lso, struct err *e)
{
	memset(lso, 0, sizeof *lso);
	if (len > INT_MAX)
		return err_set(e, ERR_INPUT, "LDSSecurityObject too large");
	const unsigned char *p = der;
	LDS_SECURITY_OBJECT *o = d2i_LDS_SECURITY_OBJECT(NULL, &p, (long)len);
	if (!o)
		return err_openssl(e, ERR_INPUT, "LDSSecurityObject does not decode");
	int rc = -1;
	unsigned char *re = NULL;
	if ((size_t)(p - der) != len) {
		err_set(e, ERR_INPUT, "LDSSecurityObject: %zu bytes after it",
			len - (size_t)(p - der));
		goto out;
	}
	int relen = i2d_LDS_SECURITY_OBJECT(o, &re);
	if (relen < 0) {
		err_openssl(e, ERR_INPUT, "LDSSecurityObject does not re-encode");
		goto out;
	}
	int not_der = (size_t)relen != len || memcmp(re, der, len) != 0;
	if (not_der && !ber) {
		err_set(e, ERR_INPUT, "LDSSecurityObject is not DER");
		goto out;
	}
	if (ber)
		*ber = not_der;
	long v = ASN1_INTEGER_get(o->version);
	if (v != 0 && v != 1) {
		err_set(e, ERR_INPUT, "LDSSecurityObject: version %ld not supported", v);
		goto out;
	}
	lso->version = (int)v;
	if ((v == 1) != (o->version_info != NULL)) {
		err_set(e, ERR_INPUT, "LDSSecurityObject: version %ld with%s ldsVersionInfo", v,
			o->version_info ? "" : "out");
		goto out;
	}
	if (o->version_info &&
	    (copy_pstring(o->version_info->lds_version, lso->lds_version,
			  sizeof lso->lds_version) < 0 ||
	     copy_pstring(o->version_info->unicode_version, lso->unicode_version,
			  sizeof lso->unicode_version) < 0)) {
		err_set(e, ERR_INPUT, "LDSSecurityObject: ldsVersionInfo too long");
		goto out;
	}
	const ASN1_OBJECT *alg;
	int ptype;
	const void *pval;
	X509_ALGOR_get0(&alg, &ptype, &pval, o->hash_alg);
	lso->hash_nid = OBJ_obj2nid(alg);
	const EVP_MD *md = sod_hash_md(lso->hash_nid);
	if (!md) {
		char name[80];
		OBJ_obj2txt(name, sizeof name, alg, 1);
		err_set(e, ERR_INPUT, "LDSSecurityObject: hash algorithm %s not supported", name);
		goto out;
	}
	if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL) {
		err_set(e, ERR_INPUT, "LDSSecurityObject: hash algorithm has parameters");
		goto out;
	}
	int n = sk_DG_HASH_num(o->hashes);
	if (n < 2 || n > SOD_MAX_DG) {
		err_set(e, ERR_INPUT, "LDSSecurityObject: %d data-group hashes (2..16 allowed)", n);
		goto out;
	}
	unsigned seen = 0;
	for (int i = 0; i < n; i++) {
		const DG_HASH *d = sk_DG_HASH_value(o->hashes, i);
		long dg = ASN1_INTEGER_get(d->number);
		if (dg < 1 || dg > SOD_MAX_DG || (seen & (1u << dg))) {
			err_set(e, ERR_INPUT, "LDSSecurityObject: data-group number %ld %s", dg,
				dg >= 1 && dg <= SOD_MAX_DG ? "repeated" : "out of range");
			goto out;
		}
		seen |= 1u << dg;
		int hl = ASN1_STRING_length(d->hash);
		if (hl != EVP_MD_get_size(md)) {
			err_set(e, ERR_INPUT, "LDSSecurityObject: DG%ld hash is %d bytes, not %d", dg,
				hl, EVP_MD_get_size(md));
			goto out;
		}
		lso->dg[i].dg = (int)dg;
		lso->dg[i].len = (size_t)hl;
		memcpy(lso->dg[i].hash, ASN1_STRING_get0_data(d->hash), (size_t)hl);
	}
	lso->n = (size_t)n;
	rc = 0;
out:
	OPENSSL_free(re);
	LDS_SECURITY_OBJECT_free(o);
	ERR_clear_error();
	return rc;
}

int sod_decode_lso(const uint8_t *der, size_t len, struct lds_security_object *lso,
		   struct err *e)
{
	return decode_lso(der, len, NULL, lso, e);
}

int sod_sign(const uint8_t *content, size_t len, EVP_PKEY *key, X509 *cert, struct buf *out,
	     struct err *e)
{
	if (len > INT_MAX)
		return err_set(e, ERR_INPUT, "LDSSecurityObject too large");
	int rc = -1;
	ASN1_OBJECT *type = NULL;
	CMS_ContentInfo *cms = NULL;
	BIO *in = BIO_new_mem_buf(content, (int)len);
	if (!in)
		return err_nomem(e);
	const unsigned int flags = CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP;
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (!cms) {
		err_openssl(e, ERR_CRYPTO, "cannot start the SOD");
		goto out;
	}
	if (!CMS_add1_signer(cms, cert, key, EVP_sha256(), flags)) {
		err_openssl(e, ERR_CRYPTO, "cannot add the document signer to the SOD");
		goto out;
	}
	type = OBJ_txt2obj("2.23.136.1.1.1", 1);
	if (!type || !CMS_set1_eContentType(cms, type)) {
		err_openssl(e, ERR_CRYPTO, "cannot set the SOD content type");
		goto out;
	}
	if (!CMS_final(cms, in, NULL, CMS_BINARY)) {
		err_openssl(e, ERR_CRYPTO, "cannot sign the SOD");
		goto out;
	}
	int der_len = i2d_CMS_ContentInfo(cms, NULL);
	if (der_len <= 0) {
		err_openssl(e, ERR_CRYPTO, "cannot encode the SOD");
		goto out;
	}
	size_t before = out->len;
	if (tlv_put_header(out, SOD_TAG, (size_t)der_len) < 0 ||
	    buf_grow(out, (size_t)der_len) < 0) {
		buf_truncate(out, before);
		err_nomem(e);
		goto out;
	}
	unsigned char *p = out->data + out->len;
	if (i2d_CMS_ContentInfo(cms, &p) != der_len) {
		buf_truncate(out, before);
		err_openssl(e, ERR_CRYPTO, "cannot encode the SOD");
		goto out;
	}
	out->len += (size_t)der_len;
	out->data[out->len] = 0;
	rc = 0;
out:
	ASN1_OBJECT_free(type);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return rc;
}

int sod_sign_with_key(void *ctx, const uint8_t *content, size_t len, struct buf *out,
		      struct err *e)
{
	const struct sod_key *k = ctx;
	return sod_sign(content, len, k->key, k->cert, out, e);
}

void sod_release(struct sod *s)
{
	CMS_ContentInfo_free(s->cms);
	memset(s, 0, sizeof *s);
}

/* Reads the child of parent[..) at *off and moves past it. */
static int next_child(const struct tlv *parent, size_t *off, uint32_t tag, struct tlv *t,
		      struct err *e)
{
	if (*off >= parent->len)
		return err_set(e, ERR_INPUT, "SOD: element %02X missing", tag);
	if (tlv_read(parent->value + *off, parent->len - *off, t, e) < 0)
		return -1;
	if (t->tag != tag)
		return err_set(e, ERR_INPUT, "SOD: element %02X where %02X was expected", t->tag,
			       tag);
	*off += t->header_len + t->len;
	return 0;
}

/* Is the single-byte INTEGER t equal to v? */
static int int_is(const struct tlv *t, uint8_t v)
{
	return t->len == 1 && t->value[0] == v;
}

/*
 * Checks what OpenSSL's CMS API does not expose or does not check: the SignedData and
 * SignerInfo versions and the digestAlgorithms set, which must name exactly the
 * signer's digest algorithm.
 */
static int check_structure(const uint8_t *der, size_t n, const X509_ALGOR *signer_md,
			   int signer_version, struct err *e)
{
	struct tlv ci, t, sd, seq, set, si;
	size_t off = 0, sdoff = 0;
	if (tlv_read_exact(der, n, 0x30, &ci, e) < 0 || next_child(&ci, &off, 0x06, &t, e) < 0 ||
	    next_child(&ci, &off, 0xA0, &sd, e) < 0 || off != ci.len ||
	    tlv_read_exact(sd.value, sd.len, 0x30, &seq, e) < 0)
		return err_set(e, ERR_INPUT, "SOD: not a ContentInfo");
	if (next_child(&seq, &sdoff, 0x02, &t, e) < 0)
		return -1;
	if (!int_is(&t, 3))
		return err_set(e, ERR_INPUT, "SOD: SignedData version is not 3");
	if (next_child(&seq, &sdoff, 0x31, &set, e) < 0)
		return -1;
	struct tlv alg;
	if (tlv_read_exact(set.value, set.len, 0x30, &alg, e) < 0) {
		err_clear(e);
		return err_set(e, ERR_INPUT, "SOD: digestAlgorithms must hold one algorithm");
	}
	const unsigned char *ap = set.value;
	X509_ALGOR *a = d2i_X509_ALGOR(NULL, &ap, (long)set.len);
	int same = a && OBJ_cmp(a->algorithm, signer_md->algorithm) == 0;
	X509_ALGOR_free(a);
	if (!same)
		return err_set(e, ERR_INPUT,
			       "SOD: digestAlgorithms does not match the signer's digest");
	/* the signerInfos SET is the last element */
	while (sdoff < seq.len)
		if (tlv_read(seq.value + sdoff, seq.len - sdoff, &set, e) < 0)
			return -1;
		else
			sdoff += set.header_len + set.len;
	if (set.tag != 0x31 || tlv_read_exact(set.value, set.len, 0x30, &si, e) < 0) {
		err_clear(e);
		return err_set(e, ERR_INPUT, "SOD: must have exactly one SignerInfo");
	}
	size_t sioff = 0;
	if (next_child(&si, &sioff, 0x02, &t, e) < 0)
		return -1;
	if (!int_is(&t, (uint8_t)signer_version))
		return err_set(e, ERR_INPUT, "SOD: SignerInfo version is not %d", signer_version);
	return 0;
}

/* The length of a DER header of tag 0x77 (one identifier byte) for a value of len. */
static size_t der_header_len(size_t len)
{
	size_t n = 2;
	if (len >= 0x80)
		for (; len; len >>= 8)
			n++;
	return n;
}

int sod_parse(const uint8_t *p, size_t n, struct sod *s, struct err *e)
{
	memset(s, 0, sizeof *s);
	struct tlv outer;
	if (tlv_read_ber(p, n, &outer, e) < 0) {
		err_prefix(e, "EF.SOD");
		return -1;
	}
	if (outer.tag != SOD_TAG)
		return err_set(e, ERR_INPUT, "EF.SOD: tag %02X where %02X was expected", outer.tag,
			       SOD_TAG);
	if (tlv_ber_size(&outer) != n)
		return err_set(e, ERR_INPUT, "EF.SOD: %zu bytes after the %02X element",
			       n - tlv_ber_size(&outer), SOD_TAG);
	if (outer.len > INT_MAX)
		return err_set(e, ERR_INPUT, "EF.SOD too large");
	/* OpenSSL's decoder reads BER: indefinite lengths, constructed strings */
	const unsigned char *q = outer.value;
	unsigned char *re = NULL;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &q, (long)outer.len);
	if (!cms)
		return err_openssl(e, ERR_INPUT, "SOD is not a CMS ContentInfo");
	if ((size_t)(q - outer.value) != outer.len) {
		err_set(e, ERR_INPUT, "SOD: bytes after the ContentInfo");
		goto fail;
	}
	int relen = i2d_CMS_ContentInfo(cms, &re);
	if (relen < 0) {
		err_openssl(e, ERR_INPUT, "SOD does not re-encode");
		goto fail;
	}
	s->ber = outer.indefinite || outer.header_len != der_header_len(outer.len) ||
		 (size_t)relen != outer.len || memcmp(re, outer.value, outer.len) != 0;
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		err_set(e, ERR_INPUT, "SOD is not a SignedData");
		goto fail;
	}
	const ASN1_OBJECT *ctype = CMS_get0_eContentType(cms);
	if (!ctype || OBJ_length(ctype) != SOD_OID_LSO_LEN ||
	    memcmp(OBJ_get0_data(ctype), SOD_OID_LSO_DER, SOD_OID_LSO_LEN) != 0) {
		err_set(e, ERR_INPUT, "SOD content type is not ldsSecurityObject");
		goto fail;
	}
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1) {
		err_set(e, ERR_INPUT, "SOD must have exactly one signer");
		goto fail;
	}
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
	X509_ALGOR *dig = NULL, *sig = NULL;
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	ASN1_OCTET_STRING *keyid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *serial = NULL;
	if (!CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial)) {
		err_set(e, ERR_INPUT, "SOD signer has no identifier");
		goto fail;
	}
	/* on the DER re-encoding: the same parsed values, definite lengths only */
	if (check_structure(re, (size_t)relen, dig, keyid ? 3 : 1, e) < 0)
		goto fail;
	s->digest_nid = OBJ_obj2nid(dig->algorithm);
	if (!sod_hash_md(s->digest_nid)) {
		err_set(e, ERR_INPUT, "SOD signer digest algorithm not supported");
		goto fail;
	}
	OBJ_obj2txt(s->sig_alg, sizeof s->sig_alg, sig->algorithm, 0);
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	int ncerts = sk_X509_num(certs);
	sk_X509_pop_free(certs, X509_free);
	if (ncerts < 1) {
		err_set(e, ERR_INPUT, "SOD carries no document signer certificate");
		goto fail;
	}
	ASN1_OCTET_STRING **content = CMS_get0_content(cms);
	if (!content || !*content) {
		err_set(e, ERR_INPUT, "SOD has no LDSSecurityObject");
		goto fail;
	}
	/* the signed bytes themselves: BER there is covered by the signature */
	int lso_ber = 0;
	if (decode_lso(ASN1_STRING_get0_data(*content), (size_t)ASN1_STRING_length(*content),
		       &lso_ber, &s->lso, e) < 0)
		goto fail;
	s->ber |= lso_ber;
	OPENSSL_free(re);
	s->cms = cms;
	return 0;
fail:
	OPENSSL_free(re);
	CMS_ContentInfo_free(cms);
	memset(s, 0, sizeof *s);
	ERR_clear_error();
	return -1;
}

int sod_verify_signature(const struct sod *s, X509 **signer, struct err *e)
{
	if (signer)
		*signer = NULL;
	BIO *sink = BIO_new(BIO_s_null());
	if (!sink)
		return err_nomem(e);
	int ok = CMS_verify(s->cms, NULL, NULL, NULL, sink,
			    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY);
	BIO_free(sink);
	if (ok != 1)
		return err_openssl(e, ERR_VERIFY, "SOD signature does not verify");
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(s->cms), 0);
	const ASN1_OBJECT *attr = CMS_signed_get0_data_by_OBJ(
		si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT);
	if (!attr || OBJ_cmp(attr, CMS_get0_eContentType(s->cms)) != 0) {
		ERR_clear_error();
		return err_set(e, ERR_VERIFY, "SOD content-type attribute missing or different");
	}
	if (signer) {
		STACK_OF(X509) *signers = CMS_get0_signers(s->cms);
		X509 *c = sk_X509_value(signers, 0);
		if (c && X509_up_ref(c))
			*signer = c;
		sk_X509_free(signers);
		if (!*signer)
			return err_set(e, ERR_INTERNAL, "SOD signer certificate not found");
	}
	return 0;
}

int sod_signing_time(const struct sod *s, time_t *t, struct err *e)
{
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(s->cms), 0);
	if (!si)
		return err_set(e, ERR_INPUT, "SOD has no signer");
	int i = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	if (i < 0)
		return 0;
	if (CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, i) >= 0)
		return err_set(e, ERR_INPUT, "SOD signing-time attribute repeated");
	X509_ATTRIBUTE *a = CMS_signed_get_attr(si, i);
	ASN1_TYPE *v = X509_ATTRIBUTE_count(a) == 1 ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
	struct tm tm;
	if (!v || (v->type != V_ASN1_UTCTIME && v->type != V_ASN1_GENERALIZEDTIME) ||
	    !ASN1_TIME_to_tm((const ASN1_TIME *)v->value.asn1_string, &tm)) {
		ERR_clear_error();
		return err_set(e, ERR_INPUT, "SOD signing-time attribute is not a time");
	}
	*t = timegm(&tm);
	return 1;
}

/*
 * OpenSSL 3 refuses certificates whose EC key carries explicit domain parameters
 * (X509_V_ERR_EC_KEY_EXPLICIT_PARAMS); Doc 9303 Part 12 asks for exactly those, so that
 * one complaint is overlooked. Every other error stands.
 */
static int chain_callback(int ok, X509_STORE_CTX *ctx)
{
	if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_EC_KEY_EXPLICIT_PARAMS) {
		X509_STORE_CTX_set_error(ctx, X509_V_OK);
		return 1;
	}
	return ok;
}

int sod_verify_chain(const struct sod *s, X509 *signer, X509 *csca, struct err *e)
{
	int rc = -1;
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = CMS_get1_certs(s->cms);
	if (!store || !ctx || !X509_STORE_add_cert(store, csca) ||
	    !X509_STORE_CTX_init(ctx, store, signer, untrusted)) {
		err_openssl(e, ERR_CRYPTO, "cannot set up certificate verification");
		goto out;
	}
	X509_STORE_CTX_set_verify_cb(ctx, chain_callback);
	if (X509_verify_cert(ctx) != 1) {
		int code = X509_STORE_CTX_get_error(ctx);
		err_set(e, ERR_VERIFY, "document signer certificate does not chain to the CSCA: %s",
			X509_verify_cert_error_string(code));
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	sk_X509_pop_free(untrusted, X509_free);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}
