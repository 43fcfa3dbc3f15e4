/*
 * Tests of the data page renderer (office/datapage.h): the PNG is 1476 × 1039 pixels
 * (125 × 88 mm at 300 dpi, read from its IHDR chunk; its pHYs chunk and the whole image
 * data are checked by tests/integration/datapage.sh), the PDF starts with %PDF and has
 * the TD3 page size in points, the MRZ is the one mrz_make_td3 gives for the document
 * (checked by mrz_parse), and bad input is refused.
 *
 * The MRZ band of the PNG has ink in each of the 88 character cells (10 per inch from
 * 6 mm, lines on 72.7 and 79.2 mm from the top) and none in the clear strip below it;
 * the form layer (header, captions) has ink too, and rendering another page between
 * two renders of one page leaves its PNG bytes unchanged (the form layer is shared,
 * never drawn on). The PDF sets the MRZ in a Type 3 font with a Unicode map and, given
 * a creation date, is the same bytes on every render. The text the PDF gives pdftotext
 * is checked by tests/integration/datapage.sh.
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

struct png_reader {
	const struct buf *b;
	size_t off;
};

static cairo_status_t png_read(void *closure, unsigned char *data, unsigned int len)
{
	struct png_reader *r = closure;
	if (r->b->len - r->off < len)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, r->b->data + r->off, len);
	r->off += len;
	return CAIRO_STATUS_SUCCESS;
}

/* Pixels whose red channel is below 96 (the header's dark blue, black) in the rectangle
 * [x0, x1) × [y0, y1), in millimetres at DATAPAGE_DPI. */
static long reddish_dark(cairo_surface_t *img, double x0, double y0, double x1, double y1)
{
	const double px = DATAPAGE_DPI / 25.4;
	int stride = cairo_image_surface_get_stride(img);
	const uint8_t *data = cairo_image_surface_get_data(img);
	long n = 0;
	for (int y = (int)(y0 * px); y < (int)(y1 * px); y++)
		for (int x = (int)(x0 * px); x < (int)(x1 * px); x++)
			if ((*(const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride +
							      4 * (size_t)x) >> 16 & 0xFF) < 96)
				n++;
	return n;
}

/* Dark pixels (every channel below 96) in the PNG's rectangle [x0, x1) × [y0, y1), in
 * millimetres at DATAPAGE_DPI. */
static long dark_pixels(cairo_surface_t *img, double x0, double y0, double x1, double y1)
{
	const double px = DATAPAGE_DPI / 25.4;
	int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
	int stride = cairo_image_surface_get_stride(img);
	const uint8_t *data = cairo_image_surface_get_data(img);
	long n = 0;
	for (int y = (int)(y0 * px); y < (int)(y1 * px) && y < h; y++)
		for (int x = (int)(x0 * px); x < (int)(x1 * px) && x < w; x++) {
			uint32_t v = *(const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride +
								     4 * (size_t)x);
			if ((v >> 16 & 0xFF) < 96 && (v >> 8 & 0xFF) < 96 && (v & 0xFF) < 96)
				n++;
		}
	return n;
}

/* The data page document of both tests (datapage_from_json's keys). */
static json_t *sample_doc(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "document_code", "P", "issuing_state", "IDN", "surname", "RAHMAT",
			 "given_names", "SITI AMINAH", "document_number", "X1234567",
			 "nationality", "IDN", "birth_date", "1990-05-14", "sex", "F",
			 "expiry_date", "2034-06-20", "birth_place", "SAMARINDA", "issue_date",
			 "2024-06-20", "issuing_office", "KANIM SAMARINDA");
}

/* Gives d the test photo (240 × 320 JPEG); the caller frees the returned bytes. */
static unsigned char *with_photo(struct datapage *d)
{
	unsigned long len;
	unsigned char *photo = test_jpeg(240, 320, 3, 75, &len);
	d->photo = photo;
	d->photo_len = len;
	return photo;
}

TEST(datapage_png_size_pdf_and_mrz)
{
	json_t *doc = sample_doc();
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
	unsigned char *photo = with_photo(&d);
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
	/* the MRZ is text in a Type 3 font of OCR-B outlines, with a Unicode map; the
	 * other text in embedded TrueType subsets (no second, invisible MRZ copy) */
	CHECK(memmem(pdf.data, pdf.len, "/Subtype /Type3", 15) != NULL);
	CHECK(memmem(pdf.data, pdf.len, "/ToUnicode", 10) != NULL);
	CHECK(memmem(pdf.data, pdf.len, "/FontFile2", 10) != NULL);
	CHECK(memmem(pdf.data, pdf.len, "DejaVuSansMono", 14) == NULL);

	/* the MRZ band: ink in every character cell of both lines, 2.54 mm apart from
	 * 6 mm; the centre lines are 16.5 and 10.0 mm above the bottom edge (71.5 and
	 * 78.0 mm from the top) and OCR-B characters are about 2.4 mm high */
	struct png_reader rd = { &png, 0 };
	cairo_surface_t *img = cairo_image_surface_create_from_png_stream(png_read, &rd);
	CHECK(cairo_surface_status(img) == CAIRO_STATUS_SUCCESS);
	CHECK_INT_EQ(cairo_image_surface_get_width(img), DATAPAGE_PNG_WIDTH);
	CHECK_INT_EQ(cairo_image_surface_get_height(img), DATAPAGE_PNG_HEIGHT);
	cairo_surface_flush(img);
	int empty_cells = 0;
	for (int line = 0; line < 2; line++) {
		double top = DATAPAGE_HEIGHT_MM - (line == 0 ? 16.5 : 10.0) - 2.0;
		for (int i = 0; i < MRZ_TD3_LEN; i++) {
			double x = 6.0 + 2.54 * i;
			if (dark_pixels(img, x, top, x + 2.54, top + 4.0) < 20)
				empty_cells++;
		}
	}
	CHECK_INT_EQ(empty_cells, 0);
	/* nothing right of the 44th cell, nothing in the strip under the second line */
	CHECK_INT_EQ(dark_pixels(img, 6.0 + 2.54 * 44 + 0.5, 60, DATAPAGE_WIDTH_MM, 88), 0);
	CHECK_INT_EQ(dark_pixels(img, 0, 82, DATAPAGE_WIDTH_MM, 88), 0);
	/* the form layer is under it: the header and a caption have ink */
	CHECK(reddish_dark(img, 6, 3, 100, 12) > 2000);
	CHECK(reddish_dark(img, 42, 14, 60, 16.5) > 100);
	cairo_surface_destroy(img);

	/* with a creation date, the PDF is the same bytes every time and carries it */
	d.created = "2024-06-20T09:30:00Z";
	struct buf again;
	buf_init(&again, BUF_MAX_DEFAULT);
	buf_reset(&pdf);
	CHECK(datapage_render(&d, &pdf, NULL, &e) == 0);
	CHECK(datapage_render(&d, &again, NULL, &e) == 0);
	CHECK(pdf.len == again.len && memcmp(pdf.data, again.data, pdf.len) == 0);
	/* cairo 1.16 writes it without the "D:" prefix: "/CreationDate (20240620093000Z)" */
	CHECK(memmem(pdf.data, pdf.len, "20240620093000", 14) != NULL);
	buf_release(&again);
	d.created = NULL;
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
	datapage_release_caches();
}

/* The PNG's form layer is drawn once and shared: rendering page B between two renders of
 * page A changes nothing in A's bytes, and A and B differ. */
TEST(datapage_png_form_layer_is_shared_not_changed)
{
	json_t *doc = sample_doc();
	struct datapage a, b;
	struct err e = ERR_INIT;
	json_t *doc_b = json_deep_copy(doc); /* a and b point into their JSON */
	CHECK(datapage_from_json(doc, &a, &e) == 0);
	json_object_set_new(doc_b, "document_number", json_string("B1111111"));
	json_object_set_new(doc_b, "surname", json_string("SANTOSO"));
	CHECK(datapage_from_json(doc_b, &b, &e) == 0);
	unsigned char *photo = with_photo(&a);
	b.photo = a.photo;
	b.photo_len = a.photo_len;
	struct buf a1, bb, a2;
	buf_init(&a1, BUF_MAX_DEFAULT);
	buf_init(&bb, BUF_MAX_DEFAULT);
	buf_init(&a2, BUF_MAX_DEFAULT);
	CHECK(datapage_render(&a, NULL, &a1, &e) == 0);
	CHECK(datapage_render(&b, NULL, &bb, &e) == 0);
	CHECK(datapage_render(&a, NULL, &a2, &e) == 0);
	CHECK(a1.len > 1000 && a1.len == a2.len && memcmp(a1.data, a2.data, a1.len) == 0);
	CHECK(a1.len != bb.len || memcmp(a1.data, bb.data, a1.len) != 0);
	json_decref(doc);
	json_decref(doc_b);
	free(photo);
	buf_release(&a1);
	buf_release(&bb);
	buf_release(&a2);
	datapage_release_caches();
}

/* Long values (a long name, nationality, place of birth and office) are fitted to their
 * fields: nothing is drawn in the page's right margin (4 mm) nor over the neighbouring
 * column. (That the PDF keeps a narrowed value whole as text: datapage.sh.) */
TEST(datapage_long_values_fit_their_fields)
{
	json_t *doc = sample_doc();
	json_object_set_new(doc, "full_name",
			    json_string("Bambang Müller Soetjipto Wirjosoebroto-Hadikoesoemo "
					"Prawirodirdjo"));
	json_object_set_new(doc, "birth_place", json_string("KABUPATEN KEPULAUAN SERIBU UTARA"));
	json_object_set_new(doc, "issuing_office",
			    json_string("KANTOR IMIGRASI KELAS I KHUSUS NON TPI JAKARTA SELATAN"));
	json_object_set_new(doc, "nationality_name",
			    json_string("INDONESIA (WARGA NEGARA INDONESIA SEJAK LAHIR)"));
	struct datapage d;
	struct err e = ERR_INIT;
	CHECK(datapage_from_json(doc, &d, &e) == 0);
	unsigned char *photo = with_photo(&d);
	struct buf pdf, png;
	buf_init(&pdf, BUF_MAX_DEFAULT);
	buf_init(&png, BUF_MAX_DEFAULT);
	CHECK(datapage_render(&d, &pdf, &png, &e) == 0);
	struct png_reader rd = { &png, 0 };
	cairo_surface_t *img = cairo_image_surface_create_from_png_stream(png_read, &rd);
	CHECK(cairo_surface_status(img) == CAIRO_STATUS_SUCCESS);
	cairo_surface_flush(img);
	/* nothing in the right margin of the field rows; the nationality (baseline
	 * 33.4 mm) is there and stops 1 mm before the sex column at 94 mm */
	CHECK_INT_EQ(dark_pixels(img, DATAPAGE_WIDTH_MM - 4, 16, DATAPAGE_WIDTH_MM, 60), 0);
	CHECK(dark_pixels(img, 42, 31, 93, 34) > 500);
	CHECK_INT_EQ(dark_pixels(img, 93, 31, 94, 34), 0);
	cairo_surface_destroy(img);
	json_decref(doc);
	free(photo);
	buf_release(&pdf);
	buf_release(&png);
	datapage_release_caches();
}
