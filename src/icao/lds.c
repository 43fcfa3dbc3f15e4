#include "icao/lds.h"

#include <string.h>

#include <openssl/evp.h>

#include "icao/face.h"
#include "icao/tlv.h"

static const uint32_t ef_tags[LDS_EF_COUNT] = {
	0x60,                                           /* EF.COM */
	0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, /* DG1..DG8 */
	0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70, /* DG9..DG16 */
	0x77,                                           /* EF.SOD */
};

static const char *const ef_names[LDS_EF_COUNT] = {
	"EF.COM", "EF.DG1", "EF.DG2", "EF.DG3", "EF.DG4", "EF.DG5", "EF.DG6",
	"EF.DG7", "EF.DG8", "EF.DG9", "EF.DG10", "EF.DG11", "EF.DG12", "EF.DG13",
	"EF.DG14", "EF.DG15", "EF.DG16", "EF.SOD",
};

int lds_ef_from_tag(uint32_t tag)
{
	for (int i = 0; i < LDS_EF_COUNT; i++)
		if (ef_tags[i] == tag)
			return i;
	return -1;
}

uint32_t lds_ef_tag(int ef)
{
	return ef >= 0 && ef < LDS_EF_COUNT ? ef_tags[ef] : 0;
}

const char *lds_ef_name(int ef)
{
	return ef >= 0 && ef < LDS_EF_COUNT ? ef_names[ef] : "EF.?";
}

int lds_put_com(struct buf *out, const int *dgs, size_t n, struct err *e)
{
	uint8_t tags[SOD_MAX_DG];
	if (n > SOD_MAX_DG)
		return err_set(e, ERR_INPUT, "EF.COM: %zu data groups", n);
	for (size_t i = 0; i < n; i++) {
		if (dgs[i] < 1 || dgs[i] > SOD_MAX_DG)
			return err_set(e, ERR_INPUT, "EF.COM: no data group %d", dgs[i]);
		tags[i] = (uint8_t)ef_tags[dgs[i]];
	}
	size_t inner = 3 + 4 + 3 + 6 + 2 + n; /* 5F01 04, 5F36 06, 5C n: all short lengths */
	size_t before = out->len;
	if (tlv_put_header(out, 0x60, inner) < 0 || tlv_put(out, 0x5F01, LDS_VERSION, 4) < 0 ||
	    tlv_put(out, 0x5F36, LDS_UNICODE_VERSION, 6) < 0 || tlv_put(out, 0x5C, tags, n) < 0) {
		buf_truncate(out, before);
		return err_nomem(e);
	}
	return 0;
}

static int mrz_chars_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '<'))
			return 0;
	}
	return 1;
}

int lds_put_dg1(struct buf *out, const char *mrz, struct err *e)
{
	size_t n = strlen(mrz);
	if (n != 88 && n != 72 && n != 90)
		return err_set(e, ERR_INPUT, "EF.DG1: MRZ of %zu characters (88, 72 or 90 expected)",
			       n);
	if (!mrz_chars_ok(mrz, n))
		return err_set(e, ERR_INPUT, "EF.DG1: MRZ holds characters other than A-Z 0-9 <");
	size_t before = out->len;
	if (tlv_put_header(out, 0x61, 3 + n) < 0 || tlv_put(out, 0x5F1F, mrz, n) < 0) {
		buf_truncate(out, before);
		return err_nomem(e);
	}
	return 0;
}

/* Bytes a TLV with a value of len bytes takes with a tag of tag_len bytes. */
static size_t tlv_size(size_t tag_len, size_t len)
{
	size_t ll = 1;
	if (len >= 0x80)
		for (size_t v = len; v; v >>= 8)
			ll++;
	return tag_len + ll + len;
}

/* The Biometric Header Template of a face (Part 10 §4.7.2.2, as the specimens use it). */
static const uint8_t face_bht[] = {
	0x81, 0x01, 0x02,       /* biometric type: facial features */
	0x82, 0x01, 0x00,       /* biometric subtype: none */
	0x87, 0x02, 0x01, 0x01, /* format owner: ISO/IEC JTC 1/SC 37 */
	0x88, 0x02, 0x00, 0x08, /* format type: face image (19794-5) */
};

int lds_put_dg2(struct buf *out, const uint8_t *jpeg, size_t len, struct err *e)
{
	struct face_image_info info;
	if (face_jpeg_info(jpeg, len, &info, e) < 0)
		return -1;
	size_t record = FACE_HEADER_LEN + len;
	size_t bdb = tlv_size(2, record);
	size_t bht = tlv_size(1, sizeof face_bht);
	size_t bit = bht + bdb;                   /* 7F60 value */
	size_t group = 3 + tlv_size(2, bit);      /* 7F61 value: 02 01 01, 7F60 */
	size_t dg2 = tlv_size(2, group);          /* 75 value */
	size_t before = out->len;
	if (buf_grow(out, tlv_size(1, dg2)) < 0 || tlv_put_header(out, 0x75, dg2) < 0 ||
	    tlv_put_header(out, 0x7F61, group) < 0 || tlv_put(out, 0x02, "\x01", 1) < 0 ||
	    tlv_put_header(out, 0x7F60, bit) < 0 ||
	    tlv_put(out, 0xA1, face_bht, sizeof face_bht) < 0 ||
	    tlv_put_header(out, 0x5F2E, record) < 0) {
		buf_truncate(out, before);
		return err_nomem(e);
	}
	if (face_put_record(out, jpeg, len, &info, e) < 0) {
		buf_truncate(out, before);
		return -1;
	}
	return 0;
}

static int is_digits(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

int lds_parse_com(const uint8_t *p, size_t n, struct lds_com *com, struct err *e)
{
	memset(com, 0, sizeof *com);
	struct tlv top, t;
	if (tlv_read_exact(p, n, 0x60, &top, e) < 0) {
		err_prefix(e, "EF.COM");
		return -1;
	}
	size_t off = 0;
	static const struct {
		uint32_t tag;
		size_t len;
	} want[] = { { 0x5F01, 4 }, { 0x5F36, 6 }, { 0x5C, 0 } };
	for (size_t i = 0; i < 3; i++) {
		if (off >= top.len)
			return err_set(e, ERR_INPUT, "EF.COM: element %02X missing", want[i].tag);
		if (tlv_read(top.value + off, top.len - off, &t, e) < 0) {
			err_prefix(e, "EF.COM");
			return -1;
		}
		off += t.header_len + t.len;
		if (t.tag != want[i].tag)
			return err_set(e, ERR_INPUT, "EF.COM: element %02X where %02X was expected",
				       t.tag, want[i].tag);
		if (want[i].len && (t.len != want[i].len || !is_digits(t.value, t.len)))
			return err_set(e, ERR_INPUT, "EF.COM: element %02X is not %zu digits",
				       t.tag, want[i].len);
		if (i == 0)
			memcpy(com->lds_version, t.value, 4);
		else if (i == 1)
			memcpy(com->unicode_version, t.value, 6);
	}
	if (off != top.len)
		return err_set(e, ERR_INPUT, "EF.COM: data after the tag list");
	if (t.len > SOD_MAX_DG)
		return err_set(e, ERR_INPUT, "EF.COM: tag list of %zu entries", t.len);
	unsigned seen = 0;
	for (size_t i = 0; i < t.len; i++) {
		int ef = lds_ef_from_tag(t.value[i]);
		if (ef < 1 || ef > SOD_MAX_DG)
			return err_set(e, ERR_INPUT, "EF.COM: tag list holds %02X, not a data group",
				       t.value[i]);
		if (seen & (1u << ef))
			return err_set(e, ERR_INPUT, "EF.COM: tag list repeats %02X", t.value[i]);
		seen |= 1u << ef;
		com->dgs[com->n++] = ef;
	}
	return 0;
}

int lds_parse_dg1(const uint8_t *p, size_t n, char mrz[91], struct err *e)
{
	mrz[0] = 0;
	struct tlv top, m;
	if (tlv_read_exact(p, n, 0x61, &top, e) < 0 ||
	    tlv_read_exact(top.value, top.len, 0x5F1F, &m, e) < 0) {
		err_prefix(e, "EF.DG1");
		return -1;
	}
	if (m.len != 88 && m.len != 72 && m.len != 90)
		return err_set(e, ERR_INPUT, "EF.DG1: MRZ of %zu characters (88, 72 or 90 "
			       "expected)", m.len);
	memcpy(mrz, m.value, m.len);
	mrz[m.len] = 0;
	struct buf b;
	buf_init(&b, 256);
	int rc = lds_put_dg1(&b, mrz, e);
	if (rc == 0 && (b.len != n || memcmp(b.data, p, n) != 0))
		rc = err_set(e, ERR_INPUT, "EF.DG1: not in its one encoding (lengths)");
	buf_release(&b);
	if (rc < 0)
		mrz[0] = 0;
	return rc;
}

int lds_parse_dg2(const uint8_t *p, size_t n, const uint8_t **jpeg, size_t *jpeg_len,
		  struct err *e)
{
	*jpeg = NULL;
	*jpeg_len = 0;
	struct tlv top, group, bit, rec;
	int r;
	if (tlv_read_exact(p, n, 0x75, &top, e) < 0 ||
	    tlv_read_exact(top.value, top.len, 0x7F61, &group, e) < 0 ||
	    (r = tlv_find(group.value, group.len, 0x7F60, &bit, e)) < 0 ||
	    (r == 1 && (r = tlv_find(bit.value, bit.len, 0x5F2E, &rec, e)) < 0)) {
		err_prefix(e, "EF.DG2");
		return -1;
	}
	if (r == 0)
		return err_set(e, ERR_INPUT, "EF.DG2: no face record (7F60 / 5F2E)");
	if (rec.len <= FACE_HEADER_LEN)
		return err_set(e, ERR_INPUT, "EF.DG2: face record of %zu bytes", rec.len);
	const uint8_t *img = rec.value + FACE_HEADER_LEN;
	size_t len = rec.len - FACE_HEADER_LEN;
	struct buf b;
	buf_init(&b, FACE_JPEG_MAX + 256);
	int rc = lds_put_dg2(&b, img, len, e);
	if (rc < 0)
		err_prefix(e, "EF.DG2");
	else if (b.len != n || memcmp(b.data, p, n) != 0)
		rc = err_set(e, ERR_INPUT, "EF.DG2: not the file this office writes for its "
			     "photo (a header, template or length differs)");
	buf_release(&b);
	if (rc == 0) {
		*jpeg = img;
		*jpeg_len = len;
	}
	return rc;
}

int lds_sod_covers(const uint8_t *p, size_t n, const struct lds_security_object *want,
		   struct err *e)
{
	struct sod s;
	if (sod_parse(p, n, &s, e) < 0) {
		err_prefix(e, "EF.SOD returned by the signer");
		if (e->code == ERR_INPUT)
			e->code = ERR_VERIFY;
		return -1;
	}
	int rc = sod_verify_signature(&s, NULL, e);
	if (rc < 0) {
		err_prefix(e, "EF.SOD returned by the signer");
		e->code = ERR_VERIFY;
	} else if (s.lso.hash_nid != want->hash_nid || s.lso.n != want->n) {
		rc = err_set(e, ERR_VERIFY, "EF.SOD returned by the signer lists %zu data groups "
			     "with %s, not the %zu sent with %s", s.lso.n,
			     sod_hash_name(s.lso.hash_nid), want->n, sod_hash_name(want->hash_nid));
	} else {
		for (size_t i = 0; i < want->n && rc == 0; i++) {
			const struct sod_dg_hash *a = &s.lso.dg[i], *b = &want->dg[i];
			if (a->dg != b->dg || a->len != b->len || memcmp(a->hash, b->hash, a->len))
				rc = err_set(e, ERR_VERIFY, "EF.SOD returned by the signer does not "
					     "hold the hash of EF.DG%d sent", b->dg);
		}
	}
	sod_release(&s);
	return rc;
}

void chip_files_init(struct chip_files *f)
{
	buf_init(&f->com, 256);
	buf_init(&f->dg1, 256);
	buf_init(&f->dg2, FACE_JPEG_MAX + 256);
	buf_init(&f->sod, 64 * 1024);
	buf_init(&f->lso, 4096);
}

void chip_files_release(struct chip_files *f)
{
	buf_release(&f->com);
	buf_release(&f->dg1);
	buf_release(&f->dg2);
	buf_release(&f->sod);
	buf_release(&f->lso);
}

static int sha256(const struct buf *b, struct sod_dg_hash *h, int dg, struct err *e)
{
	unsigned int n = 0;
	if (!EVP_Digest(b->data, b->len, h->hash, &n, EVP_sha256(), NULL))
		return err_openssl(e, ERR_CRYPTO, "cannot hash EF.DG%d", dg);
	h->dg = dg;
	h->len = n;
	return 0;
}

int lds_make_chip(const struct chip_input *in, struct chip_files *out, struct err *e)
{
	static const int dgs[] = { 1, 2 };
	buf_reset(&out->com);
	buf_reset(&out->dg1);
	buf_reset(&out->dg2);
	buf_reset(&out->sod);
	buf_reset(&out->lso);
	int by_dg = in->dg_signer && in->dg_signer->sign;
	if (!in->mrz || !in->photo || (!by_dg && (!in->signer || !in->signer->sign)))
		return err_set(e, ERR_INPUT, "chip input incomplete");
	if (strlen(in->mrz) != LDS_MRZ_TD3_LEN)
		return err_set(e, ERR_INPUT, "mrz: %zu characters, a TD3 MRZ has 88",
			       strlen(in->mrz));
	if (lds_put_com(&out->com, dgs, 2, e) < 0 || lds_put_dg1(&out->dg1, in->mrz, e) < 0 ||
	    lds_put_dg2(&out->dg2, in->photo, in->photo_len, e) < 0)
		return -1;
	struct lds_security_object lso;
	lso.version = 0;
	lso.hash_nid = NID_sha256;
	lso.n = 2;
	if (sha256(&out->dg1, &lso.dg[0], 1, e) < 0 || sha256(&out->dg2, &lso.dg[1], 2, e) < 0 ||
	    sod_encode_lso(&lso, &out->lso, e) < 0)
		return -1;
	if (by_dg) {
		/* the signer makes the security object itself from the data groups; what it
		 * returns must cover exactly what was sent */
		if (in->dg_signer->sign(in->dg_signer->ctx, &out->dg1, &out->dg2, &out->sod, e) < 0) {
			err_prefix(e, "EF.SOD");
			return -1;
		}
		return lds_sod_covers(out->sod.data, out->sod.len, &lso, e);
	}
	if (in->signer->sign(in->signer->ctx, out->lso.data, out->lso.len, &out->sod, e) < 0) {
		err_prefix(e, "EF.SOD");
		return -1;
	}
	return 0;
}
