/*
 * Tests of the data page renderer (office/datapage.h): the PNG is 1476 × 1039 pixels
 * (125 × 88 mm at 300 dpi, read from its IHDR chunk), the PDF starts with %PDF and has
 * the TD3 page size in points, the MRZ is the one mrz_make_td3 gives for the document
 * (checked by mrz_parse), and bad input is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include "fixtures.h"
#include "harness.h"
#include "office/datapage.h"

static unsigned be32(const uint8_t *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

TEST(datapage_png_size_pdf_and_mrz)
{
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
				"document_code", "P", "issuing_state", "IDN", "surname", "RAHMAT",
				"given_names", "SITI AMINAH", "document_number", "X1234567",
				"nationality", "IDN", "birth_date", "1990-05-14", "sex", "F",
				"expiry_date", "2034-06-20", "birth_place", "SAMARINDA",
				"issue_date", "2024-06-20", "issuing_office", "KANIM SAMARINDA");
	struct datapage d;
	struct err e = ERR_INIT;
	CHECK(datapage_from_json(doc, &d, &e) == 0);
	/* the MRZ is valid and carries the document's fields */
	char text[100];
	snprintf(text, sizeof text, "%.44s\n%.44s", d.mrz, d.mrz + 44);
	struct mrz_parsed p;
	CHECK(mrz_parse(text, &p, &e) == 0);
	CHECK_INT_EQ(p.nproblems, 0);
	CHECK_STR_EQ(p.document_number, "X1234567<");
	CHECK_STR_EQ(d.full_name, "SITI AMINAH RAHMAT");
	CHECK_STR_EQ(d.nationality, "INDONESIA");
	unsigned long len;
	unsigned char *photo = test_jpeg(240, 320, 3, 75, &len);
	d.photo = photo;
	d.photo_len = len;
	struct buf pdf, png;
	buf_init(&pdf, BUF_MAX_DEFAULT);
	buf_init(&png, BUF_MAX_DEFAULT);
	CHECK(datapage_render(&d, &pdf, &png, &e) == 0);
	CHECK(png.len > 33);
	CHECK(memcmp(png.data, "\x89PNG\r\n\x1a\n", 8) == 0);
	CHECK(memcmp(png.data + 12, "IHDR", 4) == 0);
	CHECK_INT_EQ(be32(png.data + 16), 1476); /* lround(125 / 25.4 * 300) */
	CHECK_INT_EQ(be32(png.data + 20), 1039); /* lround(88 / 25.4 * 300) */
	CHECK(pdf.len > 1000 && memcmp(pdf.data, "%PDF-", 5) == 0);
	/* the page is 125 × 88 mm in points */
	CHECK(memmem(pdf.data, pdf.len, "/MediaBox [ 0 0 354.33", 22) != NULL);
	/* a non-JPEG photo and a bad MRZ field are refused */
	d.photo = (const uint8_t *)"\x89PNG";
	d.photo_len = 4;
	buf_reset(&pdf);
	CHECK(datapage_render(&d, &pdf, NULL, &e) < 0);
	CHECK(e.code == ERR_INPUT);
	json_object_set_new(doc, "sex", json_string("Q"));
	CHECK(datapage_from_json(doc, &d, &e) < 0);
	json_object_del(doc, "issuing_office");
	err_clear(&e);
	CHECK(datapage_from_json(doc, &d, &e) < 0);
	CHECK(strstr(e.msg, "issuing_office") != NULL);
	json_decref(doc);
	free(photo);
	buf_release(&pdf);
	buf_release(&png);
	cairo_debug_reset_static_data();
	FcFini();
}
