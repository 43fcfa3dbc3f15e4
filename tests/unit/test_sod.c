/* EF.SOD (icao/sod): LDSSecurityObject roundtrip, specimens, signing, passive authentication. */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "harness.h"
#include "icao/lds.h"
#include "icao/pa.h"
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
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Test DS", -1,
				   -1, 0);
	X509_set_issuer_name(*cert, n);
	X509_gmtime_adj(X509_getm_notBefore(*cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(*cert), 3600);
	X509_set_pubkey(*cert, *key);
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
