/* EF.SOD (icao/sod): LDSSecurityObject roundtrip, specimens, signing, passive authentication. */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/cms.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "harness.h"
#include "icao/lds.h"
#include "icao/pa.h"
#include "icao/pki.h"
#include "icao/sod.h"
#include "util/buf.h"

/* A throwaway P-256 key and self-signed certificate made here (tests only). */
static int make_signer(EVP_PKEY **key, X509 **cert)
{
	*key = EVP_EC_gen("P-256");
	*cert = X509_new();
	if (!*key || !*cert)
		return -1;
	X509_NAME *n = X509_get_subject_name(*cert);
	X509_set_version(*cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(*cert), 7);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"ID", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Test DS", -1,
				   -1, 0);
	X509_set_issuer_name(*cert, n);
	X509_gmtime_adj(X509_getm_notBefore(*cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(*cert), 3600);
	X509_set_pubkey(*cert, *key);
	/* the Part 12 DS profile, so that pa_verify with it as its own anchor passes */
	static const char *const exts[][2] = {
		{ "keyUsage", "critical,digitalSignature" },
		{ "subjectKeyIdentifier", "hash" },
		{ "authorityKeyIdentifier", "keyid:always" },
	};
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, *cert, *cert, NULL, NULL, 0);
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		X509_EXTENSION *x = X509V3_EXT_nconf(NULL, &ctx, exts[i][0], exts[i][1]);
		int ok = x && X509_add_ext(*cert, x, -1);
		X509_EXTENSION_free(x);
		if (!ok)
			return -1;
	}
	return X509_sign(*cert, *key, EVP_sha256()) > 0 ? 0 : -1;
}

TEST(sod_lso_roundtrip_v0_and_v1)
{
	struct lds_security_object in, out;
	memset(&in, 0, sizeof in);
	in.hash_nid = NID_sha384;
	in.n = 3;
	for (int i = 0; i < 3; i++) {
		in.dg[i].dg = i == 2 ? 15 : i + 1;
		in.dg[i].len = 48;
		memset(in.dg[i].hash, 0x10 + i, 48);
	}
	struct buf b;
	struct err e = ERR_INIT;
	buf_init(&b, 0);
	CHECK(sod_encode_lso(&in, &b, &e) == 0);
	CHECK(sod_decode_lso(b.data, b.len, &out, &e) == 0);
	CHECK_INT_EQ(out.version, 0);
	CHECK_INT_EQ(out.hash_nid, NID_sha384);
	CHECK_INT_EQ(out.n, 3);
	CHECK_INT_EQ(out.dg[2].dg, 15);
	CHECK_MEM_EQ(out.dg[1].hash, in.dg[1].hash, 48);
	/* SEQUENCE { INTEGER 0, SEQUENCE { OID sha384 } ... }: hash algorithm without NULL */
	CHECK_INT_EQ(b.data[1], 0x81);
	CHECK_MEM_EQ(b.data + 3, "\x02\x01\x00\x30\x0B\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x02", 16);
	in.version = 1;
	strcpy(in.lds_version, "0108");
	strcpy(in.unicode_version, "040000");
	buf_reset(&b);
	CHECK(sod_encode_lso(&in, &b, &e) == 0);
	CHECK(sod_decode_lso(b.data, b.len, &out, &e) == 0);
	CHECK_INT_EQ(out.version, 1);
	CHECK_STR_EQ(out.lds_version, "0108");
	/* a trailing byte, a hash of the wrong length, a repeated data group: refused */
	CHECK(buf_addch(&b, 0) == 0);
	CHECK(sod_decode_lso(b.data, b.len, &out, &e) == -1);
	in.version = 0;
	in.dg[1].dg = 1;
	buf_reset(&b);
	err_clear(&e);
	CHECK(sod_encode_lso(&in, &b, &e) == 0);
	CHECK(sod_decode_lso(b.data, b.len, &out, &e) == -1);
	CHECK(strstr(e.msg, "repeated") != NULL);
	buf_release(&b);
}

/* The specimens' SODs parse, verify, and list the hashes of their DG files. */
static void check_specimen(const char *sod_path, const char *dg1_path, int nid, size_t n)
{
	struct buf s, d;
	struct err e = ERR_INIT;
	buf_init(&s, 1 << 20);
	buf_init(&d, 1 << 20);
	CHECK(buf_read_file(&s, test_data_path(sod_path)) == 0);
	CHECK(buf_read_file(&d, test_data_path(dg1_path)) == 0);
	struct sod sod;
	CHECK(sod_parse(s.data, s.len, &sod, &e) == 0);
	CHECK_INT_EQ(sod.lso.hash_nid, nid);
	CHECK_INT_EQ(sod.lso.n, n);
	CHECK_INT_EQ(sod.lso.dg[0].dg, 1);
	uint8_t h[64];
	unsigned hl = 0;
	CHECK(EVP_Digest(d.data, d.len, h, &hl, sod_hash_md(nid), NULL) == 1);
	CHECK_INT_EQ(hl, sod.lso.dg[0].len);
	CHECK_MEM_EQ(h, sod.lso.dg[0].hash, hl);
	X509 *signer = NULL;
	CHECK(sod_verify_signature(&sod, &signer, &e) == 0);
	CHECK(signer != NULL);
	X509_free(signer);
	sod_release(&sod);
	/* the last byte is in the signature: it must no longer verify */
	s.data[s.len - 1] ^= 0x01;
	CHECK(sod_parse(s.data, s.len, &sod, &e) == 0);
	CHECK(sod_verify_signature(&sod, NULL, &e) == -1);
	CHECK_INT_EQ(e.code, ERR_VERIFY);
	sod_release(&sod);
	buf_release(&s);
	buf_release(&d);
}

TEST(sod_specimen_bsi2008_sha1_ecdsa)
{
	check_specimen("lds/bsi2008/EF_SOD.bin", "lds/bsi2008/Datagroup1.bin", NID_sha1, 4);
}

TEST(sod_specimen_loes2006_sha256_rsa)
{
	check_specimen("lds/loes2006/ef011D.bin", "lds/loes2006/ef0101.bin", NID_sha256, 3);
}

TEST(sod_sign_parse_and_pa_in_memory)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	CHECK(make_signer(&key, &cert) == 0);
	/* a minimal JPEG is not needed here: sign a hand-made LDSSecurityObject */
	struct lds_security_object lso;
	memset(&lso, 0, sizeof lso);
	lso.hash_nid = NID_sha256;
	lso.n = 2;
	const char *dg1 = "\x61\x03\x5F\x1F\x00", *dg2 = "\x75\x02\x02\x00";
	unsigned hl;
	lso.dg[0].dg = 1;
	EVP_Digest(dg1, 5, lso.dg[0].hash, &hl, EVP_sha256(), NULL);
	lso.dg[0].len = hl;
	lso.dg[1].dg = 2;
	EVP_Digest(dg2, 4, lso.dg[1].hash, &hl, EVP_sha256(), NULL);
	lso.dg[1].len = hl;
	struct buf c, s;
	struct err e = ERR_INIT;
	buf_init(&c, 0);
	buf_init(&s, 0);
	CHECK(sod_encode_lso(&lso, &c, &e) == 0);
	struct sod_key k = { key, cert };
	CHECK(sod_sign_with_key(&k, c.data, c.len, &s, &e) == 0);
	CHECK_INT_EQ(s.data[0], 0x77);
	struct sod sod;
	CHECK(sod_parse(s.data, s.len, &sod, &e) == 0);
	CHECK_STR_EQ(sod.sig_alg, "ecdsa-with-SHA256");
	CHECK_INT_EQ(sod.digest_nid, NID_sha256);
	CHECK(sod_verify_signature(&sod, NULL, &e) == 0);
	CHECK(sod_verify_chain(&sod, cert, cert, &e) == 0); /* self-signed: its own anchor */
	sod_release(&sod);

	struct chip_file files[3] = {
		{ "dg1", (const uint8_t *)dg1, 5 },
		{ "dg2", (const uint8_t *)dg2, 4 },
		{ "sod", s.data, s.len },
	};
	struct pa_report r;
	pa_report_init(&r);
	CHECK(pa_verify(files, 3, cert, &r, &e) == 0);
	CHECK_INT_EQ(pa_report_exit_code(&r), 0);
	pa_report_release(&r);
	const char *dg2bad = "\x75\x02\x02\x01";
	files[1].data = (const uint8_t *)dg2bad;
	pa_report_init(&r);
	CHECK(pa_verify(files, 3, NULL, &r, &e) == 0);
	CHECK_INT_EQ(pa_report_exit_code(&r), 1);
	int named = 0;
	for (size_t i = 0; i < r.n; i++)
		if (r.lines[i].status == PA_FAIL && strstr(r.lines[i].text, "EF.DG2 (dg2)"))
			named = 1;
	CHECK(named);
	pa_report_release(&r);
	buf_release(&c);
	buf_release(&s);
	EVP_PKEY_free(key);
	X509_free(cert);
}

/* The DS certificates of the specimens, made elsewhere, against the Part 12 profile. */
static int specimen_profile(const char *sod_path, struct err *e)
{
	struct buf s;
	buf_init(&s, 1 << 20);
	struct sod sod;
	X509 *signer = NULL;
	int rc = -2;
	if (buf_read_file(&s, test_data_path(sod_path)) == 0 &&
	    sod_parse(s.data, s.len, &sod, e) == 0) {
		time_t at;
		int has = sod_signing_time(&sod, &at, e);
		if (has >= 0 && sod_verify_signature(&sod, &signer, e) == 0)
			rc = pki_check_ds_profile(signer, NULL, has ? &at : NULL, e);
		X509_free(signer);
		sod_release(&sod);
	}
	buf_release(&s);
	return rc;
}

TEST(sod_specimen_ds_profiles)
{
	struct err e = ERR_INIT;
	/* Dutch 2006: keyUsage critical digitalSignature, RSA-2048, AKI: fits */
	CHECK_INT_EQ(specimen_profile("lds/loes2006/ef011D.bin", &e), 0);
	/* BSI 2008 test DS: no keyUsage at all */
	err_clear(&e);
	CHECK_INT_EQ(specimen_profile("lds/bsi2008/EF_SOD.bin", &e), -1);
	CHECK(strstr(e.msg, "keyUsage missing") != NULL);
}

/* Signs lso with OpenSSL's streaming CMS encoder: BER with indefinite lengths. */
static int sign_streamed(const struct buf *lso, EVP_PKEY *key, X509 *cert, struct buf *out)
{
	const unsigned int flags = CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP | CMS_STREAM;
	BIO *in = BIO_new_mem_buf(lso->data, (int)lso->len), *mem = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	ASN1_OBJECT *type = OBJ_txt2obj("2.23.136.1.1.1", 1);
	int rc = -1;
	if (in && mem && cms && type && CMS_add1_signer(cms, cert, key, EVP_sha256(), flags) &&
	    CMS_set1_eContentType(cms, type) && i2d_CMS_bio_stream(mem, cms, in, flags) == 1) {
		char *d;
		long n = BIO_get_mem_data(mem, &d);
		rc = buf_add(out, d, (size_t)n);
	}
	ASN1_OBJECT_free(type);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(mem);
	return rc;
}

/* A hand-made LDSSecurityObject over two data groups, as DER. */
static void make_lso(struct buf *out, struct err *e)
{
	struct lds_security_object lso;
	memset(&lso, 0, sizeof lso);
	lso.hash_nid = NID_sha256;
	lso.n = 2;
	for (int i = 0; i < 2; i++) {
		lso.dg[i].dg = i + 1;
		lso.dg[i].len = 32;
		memset(lso.dg[i].hash, 0xA0 + i, 32);
	}
	sod_encode_lso(&lso, out, e);
}

TEST(sod_ber_parses_verifies_and_stays_strict)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	CHECK(make_signer(&key, &cert) == 0);
	struct buf der, lso_ber, cms, sod;
	struct err e = ERR_INIT;
	buf_init(&der, 0);
	buf_init(&lso_ber, 0);
	buf_init(&cms, 0);
	buf_init(&sod, 0);
	make_lso(&der, &e);
	CHECK(der.len > 4 && der.data[0] == 0x30 && der.data[1] < 0x80);
	/* the LDSSecurityObject with an indefinite length: 30 80 ... 00 00 */
	CHECK(buf_add(&lso_ber, "\x30\x80", 2) == 0);
	CHECK(buf_add(&lso_ber, der.data + 2, der.len - 2) == 0);
	CHECK(buf_add(&lso_ber, "\x00\x00", 2) == 0);
	struct lds_security_object strict;
	CHECK(sod_decode_lso(lso_ber.data, lso_ber.len, &strict, &e) == -1); /* stays DER */
	err_clear(&e);
	CHECK(sign_streamed(&lso_ber, key, cert, &cms) == 0);
	CHECK(cms.len > 2 && cms.data[0] == 0x30 && cms.data[1] == 0x80);
	/* 77 80 <BER ContentInfo> 00 00 */
	CHECK(buf_add(&sod, "\x77\x80", 2) == 0);
	CHECK(buf_add(&sod, cms.data, cms.len) == 0);
	CHECK(buf_add(&sod, "\x00\x00", 2) == 0);
	struct sod s;
	CHECK(sod_parse(sod.data, sod.len, &s, &e) == 0);
	CHECK_INT_EQ(s.ber, 1);
	CHECK_INT_EQ(s.lso.n, 2);
	CHECK_INT_EQ(s.lso.dg[1].dg, 2);
	CHECK_INT_EQ(s.lso.dg[1].hash[0], 0xA1);
	CHECK(sod_verify_signature(&s, NULL, &e) == 0);
	time_t at = 0;
	CHECK_INT_EQ(sod_signing_time(&s, &at, &e), 1);
	CHECK(at > time(NULL) - 600 && at <= time(NULL) + 5);
	sod_release(&s);
	/* passive authentication reports it, and the flag for DER-only callers */
	struct chip_file f = { "sod", sod.data, sod.len };
	struct pa_report r;
	pa_report_init(&r);
	CHECK(pa_verify(&f, 1, NULL, &r, &e) == 0);
	int said = r.n > 0 && r.lines[0].status == PA_OK && strstr(r.lines[0].text, "BER");
	int flag = r.sod_ber;
	pa_report_release(&r);
	CHECK(said);
	CHECK(flag);

	/* a byte after the end-of-contents, a missing end-of-contents: refused */
	CHECK(buf_addch(&sod, 0) == 0);
	CHECK(sod_parse(sod.data, sod.len, &s, &e) == -1);
	CHECK(strstr(e.msg, "1 bytes after") != NULL);
	err_clear(&e);
	CHECK(sod_parse(sod.data, sod.len - 3, &s, &e) == -1);
	err_clear(&e);
	/* a changed hash byte inside the BER content: parses, no longer verifies */
	buf_truncate(&sod, sod.len - 1);
	uint8_t *h = memmem(sod.data, sod.len, "\xA1\xA1\xA1\xA1", 4);
	CHECK(h != NULL);
	h[0] ^= 1;
	CHECK(sod_parse(sod.data, sod.len, &s, &e) == 0);
	CHECK(sod_verify_signature(&s, NULL, &e) == -1);
	CHECK_INT_EQ(e.code, ERR_VERIFY);
	sod_release(&s);
	buf_release(&der);
	buf_release(&lso_ber);
	buf_release(&cms);
	buf_release(&sod);
	EVP_PKEY_free(key);
	X509_free(cert);
}

TEST(sod_our_output_is_der)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	CHECK(make_signer(&key, &cert) == 0);
	struct buf c, s;
	struct err e = ERR_INIT;
	buf_init(&c, 0);
	buf_init(&s, 0);
	make_lso(&c, &e);
	struct sod_key k = { key, cert };
	CHECK(sod_sign_with_key(&k, c.data, c.len, &s, &e) == 0);
	struct sod sod;
	CHECK(sod_parse(s.data, s.len, &sod, &e) == 0);
	int ber = sod.ber;
	/* DER: it re-encodes to the same bytes */
	unsigned char *re = NULL;
	int relen = i2d_CMS_ContentInfo(sod.cms, &re);
	int same = relen > 0 && (size_t)relen + 4 == s.len && memcmp(re, s.data + 4, (size_t)relen) == 0;
	OPENSSL_free(re);
	sod_release(&sod);
	buf_release(&c);
	buf_release(&s);
	EVP_PKEY_free(key);
	X509_free(cert);
	CHECK_INT_EQ(ber, 0);
	CHECK(same);
}
