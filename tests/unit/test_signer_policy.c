/*
 * Unit tests for what the signer checks in the data groups it is asked to sign
 * (signer/policy.h): an honest request passes; each refusal has its case (a forged
 * document number, a foreign issuing state or nationality, another document code, an
 * issue date not the signer's today, an expiry too late for issue + 10 years or for the
 * DS certificate, a malformed DG1 or DG2), and EF.DG1 / EF.DG2 read back
 * (icao/lds.h lds_parse_dg1, lds_parse_dg2); the office's check that the EF.SOD a
 * signer returns covers exactly the data groups sent (lds_sod_covers through
 * lds_make_chip). The HMAC of the log is HMAC-SHA256 (checked against openssl dgst).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "fixtures.h"
#include "harness.h"
#include "icao/lds.h"
#include "icao/mrz.h"
#include "signer/policy.h"
#include "signer/signer.h"

struct req {
	struct proto_request r;
	struct buf dg1, dg2;
	unsigned char *jpeg;
	struct signer_policy pol;
};

/* An honest request: booklet X0000010, IDN, issued 2026-12-07, expiring 2031-12-06,
 * with a DS certificate valid until 2037-03-01; then change sets what the case tests. */
static void make(struct req *q, const char *code, const char *state, const char *nat,
		 const char *number, const char *expiry)
{
	memset(q, 0, sizeof *q);
	struct mrz_doc d;
	memset(&d, 0, sizeof d);
	strcpy(d.document_code, code);
	strcpy(d.issuing_state, state);
	strcpy(d.nationality, nat);
	strcpy(d.surname, "SETIAWAN");
	strcpy(d.given_names, "DEWI AYU");
	strcpy(d.document_number, number);
	strcpy(d.birth_date, "1974-08-12");
	d.sex = 'F';
	strcpy(d.expiry_date, expiry);
	char mrz[2 * MRZ_TD3_LEN + 1];
	struct err e = ERR_INIT;
	buf_init(&q->dg1, 256);
	buf_init(&q->dg2, 1 << 20);
	unsigned long jl = 0;
	q->jpeg = test_jpeg(40, 50, 3, 75, &jl);
	if (mrz_make_td3(&d, mrz, &e) < 0 || lds_put_dg1(&q->dg1, mrz, &e) < 0 || !q->jpeg ||
	    lds_put_dg2(&q->dg2, q->jpeg, jl, &e) < 0)
		test_fail(__FILE__, __LINE__, "fixture: %s", e.msg);
	q->r.type = PROTO_TYPE_SIGN;
	strcpy(q->r.app, "APP1");
	strcpy(q->r.booklet, "X0000010");
	strcpy(q->r.issue_date, "20261207");
	q->r.dg1 = q->dg1.data;
	q->r.dg1_len = q->dg1.len;
	q->r.dg2 = q->dg2.data;
	q->r.dg2_len = q->dg2.len;
	strcpy(q->pol.state, "IDN");
	strcpy(q->pol.today, "20261207");
	q->pol.cert_not_after = 2119305600; /* 2037-02-27T00:00:00Z */
}

static void drop(struct req *q)
{
	buf_release(&q->dg1);
	buf_release(&q->dg2);
	free(q->jpeg);
}

/* The refusal code of q (both checks, in the signer's order), "" when it passes. */
static const char *judge(struct req *q, char reason[PROTO_REASON_MAX + 1])
{
	struct signer_content c;
	const char *code = NULL;
	struct err e = ERR_INIT;
	if (signer_check_content(&q->r, &q->pol, &c, &code, reason, &e) < 0)
		return "error";
	if (!code)
		signer_check_dates(&q->r, &q->pol, &c, &code, reason);
	return code ? code : "";
}

#define EXPECT(q, want, needle)                                                    \
	do {                                                                       \
		char reason_[PROTO_REASON_MAX + 1] = "";                           \
		const char *got_ = judge(q, reason_);                              \
		if (strcmp(got_, want) != 0)                                       \
			test_fail(__FILE__, __LINE__, "code '%s', expected '%s' (%s)", \
				  got_, want, reason_);                            \
		else if (needle && !strstr(reason_, needle))                       \
			test_fail(__FILE__, __LINE__, "reason '%s' lacks '%s'", reason_, \
				  (const char *)needle);                           \
	} while (0)

TEST(signer_policy_honest_request_signs)
{
	struct req q;
	make(&q, "P<", "IDN", "IDN", "X0000010", "2031-12-06");
	EXPECT(&q, "", NULL);
	drop(&q);
	/* "PP" (the 2026 amendment's ordinary passport) too; expiry exactly issue + 10 y */
	make(&q, "PP", "IDN", "IDN", "X0000010", "2036-12-07");
	EXPECT(&q, "", NULL);
	drop(&q);
}

TEST(signer_policy_forged_document_number_refused)
{
	/* the review's attack: Z9999999 in the MRZ, booklet X0000010 */
	struct req q;
	make(&q, "P<", "IDN", "IDN", "Z9999999", "2031-12-06");
	EXPECT(&q, "document_number", "Z9999999 is not booklet X0000010");
	drop(&q);
}

TEST(signer_policy_foreign_state_refused)
{
	struct req q;
	make(&q, "P<", "UTO", "IDN", "X0000010", "2031-12-06");
	EXPECT(&q, "issuing_state", "UTO");
	drop(&q);
	make(&q, "P<", "IDN", "UTO", "X0000010", "2031-12-06");
	EXPECT(&q, "nationality", "UTO");
	drop(&q);
	/* another signer's state */
	make(&q, "P<", "UTO", "UTO", "X0000010", "2031-12-06");
	strcpy(q.pol.state, "UTO");
	EXPECT(&q, "", NULL);
	drop(&q);
}

TEST(signer_policy_wrong_document_code_refused)
{
	struct req q;
	make(&q, "PD", "IDN", "IDN", "X0000010", "2031-12-06");
	EXPECT(&q, "document_code", "PD");
	drop(&q);
	make(&q, "PS", "IDN", "IDN", "X0000010", "2031-12-06");
	EXPECT(&q, "document_code", NULL);
	drop(&q);
}

TEST(signer_policy_issue_date_not_today_refused)
{
	struct req q;
	make(&q, "P<", "IDN", "IDN", "X0000010", "2031-12-06");
	strcpy(q.r.issue_date, "20261206");
	EXPECT(&q, "issue_date", "20261206");
	strcpy(q.r.issue_date, "20261208");
	EXPECT(&q, "issue_date", NULL);
	drop(&q);
}

TEST(signer_policy_expiry_too_late_refused)
{
	struct req q;
	/* one day past issue + 10 years */
	make(&q, "P<", "IDN", "IDN", "X0000010", "2036-12-08");
	EXPECT(&q, "expiry", "issue + 10 years");
	drop(&q);
	/* within 10 years but past the DS certificate's notAfter (2037-02-27) */
	make(&q, "P<", "IDN", "IDN", "X0000010", "2036-12-01");
	q.pol.cert_not_after = 2111702400; /* 2036-12-01T00:00:00Z: that day still passes */
	EXPECT(&q, "", NULL);
	q.pol.cert_not_after -= 86400;
	EXPECT(&q, "expiry", "certificate");
	drop(&q);
	/* not after the issue date */
	make(&q, "P<", "IDN", "IDN", "X0000010", "2026-12-07");
	EXPECT(&q, "expiry", "not after");
	drop(&q);
}

TEST(signer_policy_malformed_dg1_refused)
{
	struct req q;
	make(&q, "P<", "IDN", "IDN", "X0000010", "2031-12-06");
	uint8_t bad[128];
	memcpy(bad, q.dg1.data, q.dg1.len);
	q.r.dg1 = bad;
	/* a wrong check digit (the document number's, position 54 of the file) */
	bad[5 + 44 + 9] = bad[5 + 44 + 9] == '0' ? '1' : '0';
	EXPECT(&q, "bad_dg1", "check");
	memcpy(bad, q.dg1.data, q.dg1.len);
	bad[0] = 0x75; /* not DG1's tag */
	EXPECT(&q, "bad_dg1", "EF.DG1");
	memcpy(bad, q.dg1.data, q.dg1.len);
	q.r.dg1_len = q.dg1.len - 1; /* truncated */
	EXPECT(&q, "bad_dg1", NULL);
	/* a TD2 MRZ (72 characters) is not a passport's */
	struct buf td2;
	buf_init(&td2, 256);
	char m72[73];
	memset(m72, '<', 72);
	m72[72] = 0;
	memcpy(m72, "I<IDN", 5);
	struct err e = ERR_INIT;
	CHECK_INT_EQ(lds_put_dg1(&td2, m72, &e), 0);
	q.r.dg1 = td2.data;
	q.r.dg1_len = td2.len;
	EXPECT(&q, "bad_dg1", "88");
	buf_release(&td2);
	drop(&q);
}

TEST(signer_policy_malformed_dg2_refused)
{
	struct req q;
	make(&q, "P<", "IDN", "IDN", "X0000010", "2031-12-06");
	static uint8_t bad[1 << 16];
	CHECK(q.dg2.len < sizeof bad);
	memcpy(bad, q.dg2.data, q.dg2.len);
	q.r.dg2 = bad;
	EXPECT(&q, "", NULL);
	/* the biometric type in the header template changed */
	uint8_t *bht = memmem(bad, q.dg2.len, "\x81\x01\x02", 3);
	CHECK(bht != NULL);
	bht[2] = 0x08;
	EXPECT(&q, "bad_dg2", "EF.DG2");
	memcpy(bad, q.dg2.data, q.dg2.len);
	/* the JPEG cut short (lengths adjusted nowhere: a TLV error) */
	q.r.dg2_len = q.dg2.len - 10;
	EXPECT(&q, "bad_dg2", NULL);
	/* not a DG2 at all */
	q.r.dg2 = q.dg1.data;
	q.r.dg2_len = q.dg1.len;
	EXPECT(&q, "bad_dg2", NULL);
	drop(&q);
}

TEST(signer_policy_dg_files_read_back)
{
	struct req q;
	make(&q, "P<", "IDN", "IDN", "X0000010", "2031-12-06");
	char mrz[91];
	const uint8_t *jpeg;
	size_t jl;
	struct err e = ERR_INIT;
	CHECK_INT_EQ(lds_parse_dg1(q.dg1.data, q.dg1.len, mrz, &e), 0);
	CHECK_INT_EQ(strlen(mrz), 88);
	CHECK(strncmp(mrz, "P<IDNSETIAWAN<<DEWI<AYU", 23) == 0);
	CHECK_INT_EQ(lds_parse_dg2(q.dg2.data, q.dg2.len, &jpeg, &jl, &e), 0);
	CHECK(jpeg == q.dg2.data + q.dg2.len - jl);
	CHECK(jl > 2 && jpeg[0] == 0xFF && jpeg[1] == 0xD8);
	drop(&q);
}

TEST(signer_policy_hmac_is_hmac_sha256)
{
	/* RFC 4231 test case 2 uses a 4-byte key; libsodium's HMAC takes 32 bytes, so use
	 * test case 1's data with a 32-byte key checked against OpenSSL's HMAC instead */
	uint8_t key[SIGNER_HMAC_KEY_LEN];
	memset(key, 0x0b, sizeof key);
	char hex[65];
	signer_hmac_hex(key, (const uint8_t *)"Hi There", 8, hex);
	/* openssl dgst -sha256 -mac HMAC -macopt hexkey:0b0b...(32 bytes) <<< "Hi There" */
	CHECK_STR_EQ(hex, "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7");
	uint8_t dk[32], k1[SIGNER_HMAC_KEY_LEN], k2[SIGNER_HMAC_KEY_LEN];
	memset(dk, 7, sizeof dk);
	CHECK_INT_EQ(signer_hmac_key(dk, k1), 0);
	CHECK_INT_EQ(signer_hmac_key(dk, k2), 0);
	CHECK(memcmp(k1, k2, sizeof k1) == 0);
	CHECK(memcmp(k1, dk, sizeof k1) != 0); /* derived, not the data key itself */
}

/* A stand-in for the signer process: signs an LSO made from the DGs it is given, honest
 * (mode 0), with DG1's hash of other bytes (1), or with a DG3 added (2). */
struct fake_signer {
	int mode;
	EVP_PKEY *key;
	X509 *cert;
};

static int fake_sign(void *ctx, const struct buf *dg1, const struct buf *dg2, struct buf *out,
		     struct err *e)
{
	struct fake_signer *f = ctx;
	struct lds_security_object lso;
	memset(&lso, 0, sizeof lso);
	lso.hash_nid = NID_sha256;
	lso.n = f->mode == 2 ? 3 : 2;
	unsigned int l;
	EVP_Digest(dg1->data, dg1->len - (f->mode == 1), lso.dg[0].hash, &l, EVP_sha256(), NULL);
	lso.dg[0].dg = 1;
	lso.dg[0].len = l;
	EVP_Digest(dg2->data, dg2->len, lso.dg[1].hash, &l, EVP_sha256(), NULL);
	lso.dg[1].dg = 2;
	lso.dg[1].len = l;
	lso.dg[2].dg = 3;
	lso.dg[2].len = l;
	struct buf der;
	buf_init(&der, 4096);
	int rc = sod_encode_lso(&lso, &der, e) < 0 ||
		 sod_sign(der.data, der.len, f->key, f->cert, out, e) < 0 ? -1 : 0;
	buf_release(&der);
	return rc;
}

TEST(signer_policy_office_checks_the_sod_covers_what_it_sent)
{
	struct fake_signer f = { 0, EVP_EC_gen("P-256"), X509_new() };
	CHECK(f.key && f.cert);
	X509_NAME *n = X509_get_subject_name(f.cert);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Test DS", -1,
				   -1, 0);
	X509_set_version(f.cert, 2);
	X509_set_issuer_name(f.cert, n);
	X509_gmtime_adj(X509_getm_notBefore(f.cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(f.cert), 3600);
	X509_set_pubkey(f.cert, f.key);
	CHECK(X509_sign(f.cert, f.key, EVP_sha256()) > 0);
	unsigned long jl = 0;
	unsigned char *jpeg = test_jpeg(40, 50, 3, 75, &jl);
	CHECK(jpeg != NULL);
	char mrz[] = "P<IDNSETIAWAN<<DEWI<AYU<<<<<<<<<<<<<<<<<<<<<"
		     "X0000010<4IDN7408122F3112064<<<<<<<<<<<<<<02";
	struct lds_dg_signer sg = { fake_sign, &f };
	struct chip_input in = { mrz, jpeg, jl, NULL, &sg };
	struct chip_files cf;
	chip_files_init(&cf);
	for (int mode = 0; mode < 3; mode++) {
		f.mode = mode;
		struct err e = ERR_INIT;
		int rc = lds_make_chip(&in, &cf, &e);
		if (mode == 0) {
			CHECK_INT_EQ(rc, 0);
		} else {
			CHECK_INT_EQ(rc, -1);
			CHECK_INT_EQ(e.code, ERR_VERIFY);
			CHECK(strstr(e.msg, mode == 1 ? "EF.DG1" : "3 data groups") != NULL);
		}
	}
	chip_files_release(&cf);
	free(jpeg);
	X509_free(f.cert);
	EVP_PKEY_free(f.key);
}
