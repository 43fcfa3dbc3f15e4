/* LDS builders (icao/lds), the 19794-5 face record (icao/face) and file recognition. */
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

#include "fixtures.h"
#include "harness.h"
#include "icao/face.h"
#include "icao/lds.h"
#include "icao/tlv.h"
#include "util/buf.h"

static const char mrz88[] = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
			    "L898902C36UTO7408122F1204159ZE184226B<<<<<10";

TEST(lds_com_layout)
{
	struct buf b;
	struct err e = ERR_INIT;
	buf_init(&b, 0);
	static const int dgs[] = { 1, 2 };
	CHECK(lds_put_com(&b, dgs, 2, &e) == 0);
	static const uint8_t want[] = { 0x60, 0x14, 0x5F, 0x01, 0x04, '0', '1', '0', '7',
					0x5F, 0x36, 0x06, '0', '4', '0', '0', '0', '0',
					0x5C, 0x02, 0x61, 0x75 };
	CHECK_INT_EQ(b.len, sizeof want);
	CHECK_MEM_EQ(b.data, want, sizeof want);
	struct lds_com com;
	CHECK(lds_parse_com(b.data, b.len, &com, &e) == 0);
	CHECK_INT_EQ(com.n, 2);
	CHECK_INT_EQ(com.dgs[1], 2);
	buf_release(&b);
}

TEST(lds_com_specimens_parse)
{
	struct buf b;
	struct err e = ERR_INIT;
	buf_init(&b, 1 << 16);
	CHECK(buf_read_file(&b, test_data_path("lds/bsi2008/EF_COM.bin")) == 0);
	struct lds_com com;
	CHECK(lds_parse_com(b.data, b.len, &com, &e) == 0);
	CHECK_STR_EQ(com.lds_version, "0107");
	CHECK_STR_EQ(com.unicode_version, "040000");
	CHECK_INT_EQ(com.n, 4); /* 61 75 63 6E */
	CHECK_INT_EQ(com.dgs[2], 3);
	CHECK_INT_EQ(com.dgs[3], 14);
	buf_release(&b);
}

TEST(lds_dg1_layout_and_rejects)
{
	struct buf b;
	struct err e = ERR_INIT;
	buf_init(&b, 0);
	CHECK(lds_put_dg1(&b, mrz88, &e) == 0);
	CHECK_INT_EQ(b.len, 93); /* as the specimens' DG1 */
	CHECK_MEM_EQ(b.data, "\x61\x5B\x5F\x1F\x58", 5);
	CHECK_MEM_EQ(b.data + 5, mrz88, 88);
	CHECK(lds_put_dg1(&b, "P<UTO", &e) == -1);
	err_clear(&e);
	char bad[89];
	memcpy(bad, mrz88, sizeof bad);
	bad[10] = 'a';
	CHECK(lds_put_dg1(&b, bad, &e) == -1);
	CHECK_INT_EQ(b.len, 93);
	buf_release(&b);
}

TEST(lds_ef_recognition)
{
	CHECK_INT_EQ(lds_ef_from_tag(0x60), LDS_EF_COM);
	CHECK_INT_EQ(lds_ef_from_tag(0x61), 1);
	CHECK_INT_EQ(lds_ef_from_tag(0x75), 2);
	CHECK_INT_EQ(lds_ef_from_tag(0x63), 3);
	CHECK_INT_EQ(lds_ef_from_tag(0x76), 4);
	CHECK_INT_EQ(lds_ef_from_tag(0x6E), 14);
	CHECK_INT_EQ(lds_ef_from_tag(0x6F), 15);
	CHECK_INT_EQ(lds_ef_from_tag(0x70), 16);
	CHECK_INT_EQ(lds_ef_from_tag(0x77), LDS_EF_SOD);
	CHECK_INT_EQ(lds_ef_from_tag(0x30), -1);
	CHECK_STR_EQ(lds_ef_name(14), "EF.DG14");
}

TEST(face_record_layout)
{
	unsigned long jl = 0;
	unsigned char *jpeg = test_jpeg(37, 51, 3, 75, &jl);
	CHECK(jpeg != NULL);
	struct buf b;
	struct err e = ERR_INIT;
	buf_init(&b, 0);
	CHECK(lds_put_dg2(&b, jpeg, jl, &e) == 0);
	/* walk 75 / 7F61 / 02, 7F60 / A1, 5F2E */
	struct tlv dg2, bit, inst, bht, bdb, cnt;
	CHECK(tlv_read_exact(b.data, b.len, 0x75, &dg2, &e) == 0);
	CHECK(tlv_read_exact(dg2.value, dg2.len, 0x7F61, &bit, &e) == 0);
	CHECK(tlv_find(bit.value, bit.len, 0x02, &cnt, &e) == 1);
	CHECK(cnt.len == 1 && cnt.value[0] == 1);
	CHECK(tlv_find(bit.value, bit.len, 0x7F60, &inst, &e) == 1);
	CHECK(tlv_find(inst.value, inst.len, 0xA1, &bht, &e) == 1);
	CHECK_MEM_EQ(bht.value, "\x81\x01\x02\x82\x01\x00\x87\x02\x01\x01\x88\x02\x00\x08", 14);
	CHECK(tlv_find(inst.value, inst.len, 0x5F2E, &bdb, &e) == 1);
	CHECK_INT_EQ(bdb.len, FACE_HEADER_LEN + jl);
	const uint8_t *r = bdb.value;
	CHECK_MEM_EQ(r, "FAC\0" "010\0", 8);
	CHECK_INT_EQ((r[8] << 24) | (r[9] << 16) | (r[10] << 8) | r[11], FACE_HEADER_LEN + jl);
	CHECK_INT_EQ((r[12] << 8) | r[13], 1);
	CHECK_INT_EQ((r[14] << 24) | (r[15] << 16) | (r[16] << 8) | r[17], FACE_HEADER_LEN + jl - 14);
	for (int i = 18; i < 34; i++) /* feature points, gender ... pose: all 0 */
		CHECK_INT_EQ(r[i], 0);
	CHECK_INT_EQ(r[34], 1);                  /* full frontal */
	CHECK_INT_EQ(r[35], 0);                  /* JPEG */
	CHECK_INT_EQ((r[36] << 8) | r[37], 37);  /* width */
	CHECK_INT_EQ((r[38] << 8) | r[39], 51);  /* height */
	CHECK_INT_EQ(r[40], 1);                  /* 24-bit RGB */
	CHECK_INT_EQ(r[41] | r[42] | r[43] | r[44] | r[45], 0);
	CHECK_MEM_EQ(r + FACE_HEADER_LEN, jpeg, jl);
	buf_release(&b);
	free(jpeg);
}

TEST(face_greyscale_and_specimen_layout_agree)
{
	/* our header has the layout of the Dutch specimen's (JPEG 2000) record: same offsets */
	struct buf s;
	buf_init(&s, 1 << 20);
	CHECK(buf_read_file(&s, test_data_path("lds/loes2006/ef0102.bin")) == 0);
	const uint8_t *r = s.data + 0x26; /* after 75 / 7F61 / 02 / 7F60 / A1 / 5F2E headers */
	CHECK_MEM_EQ(r, "FAC\0" "010\0", 8);
	CHECK_INT_EQ((r[36] << 8) | r[37], 449);
	CHECK_INT_EQ((r[38] << 8) | r[39], 598);
	buf_release(&s);
	unsigned long jl = 0;
	unsigned char *jpeg = test_jpeg(20, 30, 1, 75, &jl);
	struct face_image_info info;
	struct err e = ERR_INIT;
	CHECK(face_jpeg_info(jpeg, jl, &info, &e) == 0);
	CHECK_INT_EQ(info.components, 1);
	struct buf b;
	buf_init(&b, 0);
	CHECK(face_put_record(&b, jpeg, jl, &info, &e) == 0);
	CHECK_INT_EQ(b.data[40], 3); /* 8-bit greyscale */
	buf_release(&b);
	free(jpeg);
}

TEST(face_rejects_non_jpeg)
{
	struct face_image_info info;
	struct err e = ERR_INIT;
	static const uint8_t png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02";
	CHECK(face_jpeg_info(png, sizeof png, &info, &e) == -1);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	unsigned long jl = 0;
	unsigned char *jpeg = test_jpeg(16, 16, 3, 75, &jl);
	err_clear(&e);
	CHECK(face_jpeg_info(jpeg, jl / 2, &info, &e) == -1); /* truncated */
	/* SOI and EOI around garbage: libjpeg refuses the markers */
	uint8_t junk[64];
	memset(junk, 0x11, sizeof junk);
	junk[0] = 0xFF, junk[1] = 0xD8, junk[2] = 0xFF, junk[3] = 0x01;
	junk[62] = 0xFF, junk[63] = 0xD9;
	err_clear(&e);
	CHECK(face_jpeg_info(junk, sizeof junk, &info, &e) == -1);
	CHECK(strstr(e.msg, "not a valid JPEG") != NULL);
	struct buf b;
	buf_init(&b, 0);
	err_clear(&e);
	CHECK(lds_put_dg2(&b, png, sizeof png, &e) == -1);
	CHECK_INT_EQ(b.len, 0);
	buf_release(&b);
	free(jpeg);
}
