/*
 * Tests of office/photo: test JPEGs are made here with libjpeg; the normalised output is
 * decoded again with libjpeg (an outside decoder for our encoder) and its size checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "fixtures.h"
#include "harness.h"
#include "office/photo.h"

/* Decodes with libjpeg; 0 ok with *w, *h. */
static int decode_size(const unsigned char *p, size_t n, unsigned *w, unsigned *h)
{
	struct jpeg_decompress_struct d;
	struct jpeg_error_mgr jerr;
	d.err = jpeg_std_error(&jerr);
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, p, (unsigned long)n);
	if (jpeg_read_header(&d, TRUE) != JPEG_HEADER_OK) {
		jpeg_destroy_decompress(&d);
		return -1;
	}
	jpeg_start_decompress(&d);
	unsigned char *row = malloc((size_t)d.output_width * d.output_components);
	while (d.output_scanline < d.output_height)
		jpeg_read_scanlines(&d, &row, 1);
	jpeg_finish_decompress(&d);
	*w = d.image_width;
	*h = d.image_height;
	int warn = (int)jerr.num_warnings;
	jpeg_destroy_decompress(&d);
	free(row);
	return warn ? -1 : 0;
}

TEST(photo_large_good_photo_normalised_under_20k)
{
	unsigned long len;
	unsigned char *jpg = test_jpeg(1400, 1800, 3, 95, &len); /* 35:45 */
	CHECK(jpg != NULL);
	CHECK(len > 100000); /* a real input: well over the 20 KB budget */
	struct buf out;
	buf_init(&out, PHOTO_OUT_MAX);
	struct err e = ERR_INIT;
	struct photo_info info;
	int rc = photo_normalise(jpg, len, &out, &info, &e);
	free(jpg);
	if (rc < 0)
		fprintf(stderr, "%s\n", e.msg);
	CHECK(rc == 0);
	CHECK(out.len > 1000 && out.len <= 20480);
	CHECK_INT_EQ(info.in_width, 1400);
	CHECK_INT_EQ(info.in_height, 1800);
	CHECK(info.quality >= 30 && info.quality <= 90);
	unsigned w = 0, h = 0;
	CHECK(decode_size(out.data, out.len, &w, &h) == 0);
	CHECK_INT_EQ(w, 240);
	CHECK_INT_EQ(h, 320);
	/* no Exif/comment: APP0 (JFIF) follows SOI directly */
	CHECK(out.data[0] == 0xFF && out.data[1] == 0xD8 && out.data[2] == 0xFF &&
	      out.data[3] == 0xE0);
	buf_release(&out);
}

TEST(photo_minimum_size_and_proportions)
{
	struct err e = ERR_INIT;
	struct buf out;
	buf_init(&out, PHOTO_OUT_MAX);
	unsigned long len;
	/* too small (but portrait) */
	unsigned char *jpg = test_jpeg(300, 400, 3, 90, &len);
	CHECK(photo_normalise(jpg, len, &out, NULL, &e) < 0);
	free(jpg);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	CHECK(strstr(e.msg, "at least 420 × 525") != NULL);
	/* exactly the minimum: accepted */
	err_clear(&e);
	jpg = test_jpeg(420, 525, 3, 90, &len);
	CHECK(photo_normalise(jpg, len, &out, NULL, &e) == 0);
	free(jpg);
	CHECK(out.len <= 20480);
	/* square: wrong proportions */
	err_clear(&e);
	buf_reset(&out);
	jpg = test_jpeg(1000, 1000, 3, 90, &len);
	CHECK(photo_normalise(jpg, len, &out, NULL, &e) < 0);
	free(jpg);
	CHECK(strstr(e.msg, "not a portrait") != NULL);
	/* landscape */
	err_clear(&e);
	jpg = test_jpeg(1800, 1400, 3, 90, &len);
	CHECK(photo_normalise(jpg, len, &out, NULL, &e) < 0);
	free(jpg);
	CHECK(strstr(e.msg, "not a portrait") != NULL);
	/* 3:4 exactly and 0.70: accepted */
	err_clear(&e);
	jpg = test_jpeg(700, 1000, 3, 90, &len);
	CHECK(photo_normalise(jpg, len, &out, NULL, &e) == 0);
	free(jpg);
	CHECK_INT_EQ(out.len == 0, 0);
	buf_release(&out);
}

TEST(photo_refuses_non_jpeg_and_truncated)
{
	struct err e = ERR_INIT;
	struct buf out;
	buf_init(&out, PHOTO_OUT_MAX);
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0,
					     0, 13, 'I', 'H', 'D', 'R' };
	CHECK(photo_normalise(png, sizeof png, &out, NULL, &e) < 0);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	CHECK_STR_EQ(e.msg, "photo is not a JPEG (it looks like a PNG image)");
	err_clear(&e);
	CHECK(photo_normalise((const uint8_t *)"hello", 5, &out, NULL, &e) < 0);
	CHECK(strstr(e.msg, "not a JPEG") != NULL);
	err_clear(&e);
	CHECK(photo_normalise(NULL, 0, &out, NULL, &e) < 0);
	/* a good JPEG cut in half */
	unsigned long len;
	unsigned char *jpg = test_jpeg(600, 800, 3, 90, &len);
	err_clear(&e);
	CHECK(photo_normalise(jpg, len / 2, &out, NULL, &e) < 0);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	CHECK(strstr(e.msg, "corrupt") != NULL);
	/* only the header */
	err_clear(&e);
	CHECK(photo_normalise(jpg, 40, &out, NULL, &e) < 0);
	free(jpg);
	CHECK_INT_EQ(out.len, 0);
	buf_release(&out);
}
