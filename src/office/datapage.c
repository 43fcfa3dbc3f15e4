/*
 * datapage — the TD3 data page renderer (see datapage.h). Everything is drawn in
 * millimetres on a cairo context scaled to the surface (points for the PDF, 300/25.4
 * pixels per millimetre for the PNG), so both outputs share one drawing routine.
 */
#include "office/datapage.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <fontconfig/fontconfig.h>
#include <jpeglib.h>
#include <libdeflate.h>
#include <png.h>

#include "util/alloc.h"

/* ---- JSON input ---- */

static const char *opt_str(const json_t *o, const char *k, const char *def)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : def;
}

int datapage_from_json(const json_t *obj, struct datapage *d, struct err *e)
{
	static const char *const extra[] = { "birth_place", "issue_date", "issuing_office",
					     "full_name", "nationality_name" };
	memset(d, 0, sizeof *d);
	if (!json_is_object(obj))
		return err_set(e, ERR_INPUT, "data page: not a JSON object");
	for (size_t i = 0; i < 3; i++)
		if (!json_is_string(json_object_get(obj, extra[i])))
			return err_set(e, ERR_INPUT, "%s: missing or not a string", extra[i]);
	json_t *m = json_copy((json_t *)obj);
	if (!m)
		return err_nomem(e);
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
		json_object_del(m, extra[i]);
	struct mrz_doc doc;
	int rc = mrz_doc_from_json(m, &doc, e);
	json_decref(m);
	if (rc < 0 || mrz_make_td3(&doc, d->mrz, e) < 0)
		return -1;
	d->type = opt_str(obj, "document_code", "P");
	if (strcmp(d->type, "P<") == 0)
		d->type = "P";
	d->issuing_state = opt_str(obj, "issuing_state", "");
	d->number = opt_str(obj, "document_number", "");
	d->birth_date = opt_str(obj, "birth_date", "");
	d->sex = opt_str(obj, "sex", "");
	d->expiry_date = opt_str(obj, "expiry_date", "");
	d->birth_place = opt_str(obj, "birth_place", "");
	d->issue_date = opt_str(obj, "issue_date", "");
	d->issuing_office = opt_str(obj, "issuing_office", "");
	const char *nat = opt_str(obj, "nationality", "");
	d->nationality = opt_str(obj, "nationality_name",
				 strcmp(nat, "IDN") == 0 ? "INDONESIA" : nat);
	d->full_name = json_string_value(json_object_get(obj, "full_name"));
	if (!d->full_name) {
		const char *g = opt_str(obj, "given_names", "");
		snprintf(d->name_buf, sizeof d->name_buf, "%s%s%s", g, *g ? " " : "",
			 opt_str(obj, "surname", ""));
		d->full_name = d->name_buf;
	}
	return 0;
}

/* ---- the photo ---- */

struct jerr {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
};

static void jerr_exit(j_common_ptr c)
{
	longjmp(((struct jerr *)c->err)->jump, 1);
}

/* Decodes a JPEG into a new RGB24 image surface (*out; the caller destroys it). */
static int photo_surface(const uint8_t *jpeg, size_t len, cairo_surface_t **out,
			 struct err *e)
{
	*out = NULL;
	if (!jpeg || len < 3 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
		return err_set(e, ERR_INPUT, "photo: not a JPEG");
	struct jpeg_decompress_struct c;
	struct jerr je;
	cairo_surface_t *volatile s = NULL;
	c.err = jpeg_std_error(&je.mgr);
	je.mgr.error_exit = jerr_exit;
	if (setjmp(je.jump)) {
		jpeg_destroy_decompress(&c);
		if (s)
			cairo_surface_destroy(s);
		return err_set(e, ERR_INPUT, "photo: the JPEG cannot be decoded");
	}
	jpeg_create_decompress(&c);
	jpeg_mem_src(&c, jpeg, (unsigned long)len);
	jpeg_read_header(&c, TRUE);
	c.out_color_space = JCS_RGB;
	jpeg_start_decompress(&c);
	if (c.output_width == 0 || c.output_height == 0 || c.output_width > 4000 ||
	    c.output_height > 4000 || c.output_components != 3) {
		jpeg_destroy_decompress(&c);
		return err_set(e, ERR_INPUT, "photo: unsupported size or colour layout");
	}
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)c.output_width,
				       (int)c.output_height);
	uint8_t *row = mem_alloc((size_t)c.output_width * 3);
	if (!row || cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		mem_free(row);
		jpeg_destroy_decompress(&c);
		cairo_surface_destroy(s);
		return err_nomem(e);
	}
	cairo_surface_flush(s);
	uint8_t *data = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s);
	while (c.output_scanline < c.output_height) {
		JSAMPROW r = row;
		unsigned y = c.output_scanline;
		if (jpeg_read_scanlines(&c, &r, 1) != 1)
			break;
		uint32_t *px = (uint32_t *)(void *)(data + (size_t)y * (size_t)stride);
		for (unsigned x = 0; x < c.output_width; x++)
			px[x] = 0xFF000000u | (uint32_t)row[3 * x] << 16 |
				(uint32_t)row[3 * x + 1] << 8 | row[3 * x + 2];
	}
	mem_free(row);
	jpeg_finish_decompress(&c);
	jpeg_destroy_decompress(&c);
	cairo_surface_mark_dirty(s);
	/* the PDF embeds the JPEG's own bytes (DCTDecode) instead of re-compressing the
	 * decoded pixels: smaller and far faster; the bytes are the caller's and outlive s */
	cairo_surface_set_mime_data(s, CAIRO_MIME_TYPE_JPEG, jpeg, len, NULL, NULL);
	*out = s;
	return 0;
}

/* ---- drawing (millimetres) ---- */

static const char *const months[12] = { "JAN/JAN", "FEB/FEB", "MAR/MAR", "APR/APR",
					"MEI/MAY", "JUN/JUN", "JUL/JUL", "AGU/AUG",
					"SEP/SEP", "OKT/OCT", "NOV/NOV", "DES/DEC" };

/* "1990-05-14" → "14 MEI/MAY 1990"; unknown parts stay "XX"; anything else as given. */
static void show_date(const char *iso, char *out, size_t n)
{
	if (strlen(iso) == 10 && iso[4] == '-' && iso[7] == '-') {
		int m = atoi(iso + 5);
		snprintf(out, n, "%.2s %s %.4s", iso + 8,
			 m >= 1 && m <= 12 ? months[m - 1] : "XX", iso);
	} else {
		snprintf(out, n, "%s", iso);
	}
}

static const char *show_sex(const char *s)
{
	if (strcmp(s, "F") == 0)
		return "P/F";
	if (strcmp(s, "M") == 0)
		return "L/M";
	return s;
}

static void text(cairo_t *cr, double x, double y, double size, int bold, const char *s)
{
	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
			       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, s);
}

/* A caption (small, grey) over its value. */
static void field(cairo_t *cr, double x, double y, const char *caption, const char *value)
{
	cairo_set_source_rgb(cr, 0.25, 0.3, 0.45);
	text(cr, x, y, 1.7, 0, caption);
	cairo_set_source_rgb(cr, 0, 0, 0);
	text(cr, x, y + 3.4, 2.9, 1, value);
}

/* Shows (outline 0) or fills the outlines of (outline 1) one MRZ line in the current
 * font, its glyphs on the cells; without glyphs (cairo out of memory), as plain text. */
static void mrz_line(cairo_t *cr, const char *line, double x0, double y, double pitch,
		     int outline)
{
	cairo_glyph_t *g = NULL;
	int n = 0;
	if (cairo_scaled_font_text_to_glyphs(cairo_get_scaled_font(cr), x0, y, line,
					     (int)strlen(line), &g, &n, NULL, NULL,
					     NULL) == CAIRO_STATUS_SUCCESS) {
		for (int k = 0; k < n; k++) {
			g[k].x = x0 + pitch * k;
			g[k].y = y;
		}
		if (outline)
			cairo_glyph_path(cr, g, n);
		else
			cairo_show_glyphs(cr, g, n);
		cairo_glyph_free(g);
	} else {
		cairo_move_to(cr, x0, y);
		if (outline)
			cairo_text_path(cr, line);
		else
			cairo_show_text(cr, line);
	}
	if (outline)
		cairo_fill(cr);
}

/*
 * Zone VII, the MRZ band: OCR-B at 10 characters per inch (2.54 mm pitch), the first
 * character 6 mm from the left edge, reference centre lines 16.5 and 10.0 mm above the
 * bottom edge (Doc 9303 Part 4). Every glyph is placed on its cell (x = 6 + 2.54 i) and
 * metrics hinting is off: a hinted advance, rounded to whole pixels at the font size
 * the pitch is measured at, would squeeze the PNG's lines to about 9.3 cpi.
 *
 * pdf 0 (the PNG): the lines are shown in OCR-B.
 * pdf 1: cairo 1.16 cannot embed Debian's OCRB.otf (its CFF subsetter gives up silently
 * and the PDF names a font object it never writes), so the look and the text are split
 * (docs/DATAPAGE.md): first the same 44 characters per line as real text in DejaVu Sans
 * Mono on the same cells, stretched to the OCR-B size and painted white on the white
 * band; then the OCR-B glyph outlines in black over it. On paper and on screen only the
 * OCR-B outlines show (white under black on white changes no pixel); pdftotext reads
 * the text layer and gives both lines exactly.
 */
static void draw_mrz(cairo_t *cr, const struct datapage *d, int pdf)
{
	const double pitch = 2.54, x0 = 6.0;
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_set_font_options(cr, fo);
	cairo_font_options_destroy(fo);

	/* the OCR-B size whose advance is the pitch (OCR-B is monospaced) */
	cairo_select_font_face(cr, DATAPAGE_OCRB_FAMILY, CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, 1);
	cairo_text_extents_t ext;
	cairo_text_extents(cr, "<", &ext);
	double size = ext.x_advance > 0 ? pitch / ext.x_advance : 3.6;
	char line[2][MRZ_TD3_LEN + 1];
	double base[2];
	for (int i = 0; i < 2; i++) {
		memcpy(line[i], d->mrz + i * MRZ_TD3_LEN, MRZ_TD3_LEN);
		line[i][MRZ_TD3_LEN] = '\0';
		base[i] = DATAPAGE_HEIGHT_MM - (i == 0 ? 16.5 : 10.0) + 1.2;
	}
	if (pdf) {
		/* the text layer: a monospaced font cairo 1.16 embeds, its advance
		 * stretched to the pitch so that text extraction sees no gaps */
		cairo_select_font_face(cr, DATAPAGE_MRZ_TEXT_FAMILY, CAIRO_FONT_SLANT_NORMAL,
				       CAIRO_FONT_WEIGHT_NORMAL);
		cairo_set_font_size(cr, 1);
		cairo_text_extents(cr, "<", &ext);
		cairo_matrix_t m;
		cairo_matrix_init_scale(&m, ext.x_advance > 0 ? pitch / ext.x_advance : size,
					size);
		cairo_set_font_matrix(cr, &m);
		cairo_set_source_rgb(cr, 1, 1, 1);
		for (int i = 0; i < 2; i++)
			mrz_line(cr, line[i], x0, base[i], pitch, 0);
		cairo_select_font_face(cr, DATAPAGE_OCRB_FAMILY, CAIRO_FONT_SLANT_NORMAL,
				       CAIRO_FONT_WEIGHT_NORMAL);
	}
	cairo_set_font_size(cr, size);
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (int i = 0; i < 2; i++)
		mrz_line(cr, line[i], x0, base[i], pitch, pdf);
}

static void draw(cairo_t *cr, const struct datapage *d, cairo_surface_t *photo, int pdf)
{
	/* paper and a light security tint */
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0.93, 0.95, 0.98);
	cairo_rectangle(cr, 0, 0, DATAPAGE_WIDTH_MM, 64.8);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.75, 0.8, 0.9);
	cairo_set_line_width(cr, 0.12);
	for (double x = -60; x < DATAPAGE_WIDTH_MM; x += 3) {
		cairo_move_to(cr, x, 64.8);
		cairo_curve_to(cr, x + 20, 40, x + 40, 25, x + 60, 0);
	}
	cairo_stroke(cr);

	/* zone I: header */
	cairo_set_source_rgb(cr, 0.1, 0.15, 0.4);
	text(cr, 6, 6.5, 3.2, 1, "REPUBLIK INDONESIA / REPUBLIC OF INDONESIA");
	text(cr, 6, 11.2, 2.6, 0, "PASPOR / PASSPORT");

	/* zone V: the photo, 3:4, 32 × 42.7 mm */
	double px = 6, py = 16, pw = 32, ph = 32.0 * 4 / 3;
	if (photo) {
		int iw = cairo_image_surface_get_width(photo);
		int ih = cairo_image_surface_get_height(photo);
		double k = pw / iw < ph / ih ? pw / iw : ph / ih;
		cairo_save(cr);
		cairo_rectangle(cr, px, py, pw, ph);
		cairo_clip(cr);
		cairo_translate(cr, px + (pw - iw * k) / 2, py + (ph - ih * k) / 2);
		cairo_scale(cr, k, k);
		cairo_set_source_surface(cr, photo, 0, 0);
		cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
		cairo_paint(cr);
		cairo_restore(cr);
	}
	cairo_set_source_rgb(cr, 0.1, 0.15, 0.4);
	cairo_set_line_width(cr, 0.2);
	cairo_rectangle(cr, px, py, pw, ph);
	cairo_stroke(cr);

	/* zone II: personal data, bilingual captions */
	char birth[40], issue[40], expiry[40];
	show_date(d->birth_date, birth, sizeof birth);
	show_date(d->issue_date, issue, sizeof issue);
	show_date(d->expiry_date, expiry, sizeof expiry);
	double x = 42, c2 = 62, c3 = 94, y = 16;
	field(cr, x, y, "Jenis / Type", d->type);
	field(cr, c2, y, "Kode Negara / Code of Issuing State", d->issuing_state);
	field(cr, c3, y, "No. Paspor / Passport No.", d->number);
	y += 7;
	field(cr, x, y, "Nama Lengkap / Full Name", d->full_name);
	y += 7;
	field(cr, x, y, "Kewarganegaraan / Nationality", d->nationality);
	field(cr, c3, y, "Jenis Kelamin / Sex", show_sex(d->sex));
	y += 7;
	field(cr, x, y, "Tanggal Lahir / Date of Birth", birth);
	field(cr, c3 - 12, y, "Tempat Lahir / Place of Birth", d->birth_place);
	y += 7;
	field(cr, x, y, "Tanggal Pengeluaran / Date of Issue", issue);
	field(cr, c3 - 12, y, "Tanggal Habis Berlaku / Date of Expiry", expiry);
	y += 7;
	field(cr, x, y, "Kantor yang Mengeluarkan / Issuing Office", d->issuing_office);

	draw_mrz(cr, d, pdf);
}

/* ---- output ---- */

static cairo_status_t to_buf(void *closure, const unsigned char *data, unsigned int len)
{
	return buf_add(closure, data, len) == 0 ? CAIRO_STATUS_SUCCESS
						: CAIRO_STATUS_WRITE_ERROR;
}

static int cairo_failed(cairo_status_t st, const char *what, struct err *e)
{
	if (st == CAIRO_STATUS_NO_MEMORY)
		return err_nomem(e);
	return err_set(e, ERR_INTERNAL, "data page %s: cairo: %s", what,
		       cairo_status_to_string(st));
}

static int render_pdf(const struct datapage *d, cairo_surface_t *photo, struct buf *pdf,
		      struct err *e)
{
	const double pt = 72.0 / 25.4;
	cairo_surface_t *s = cairo_pdf_surface_create_for_stream(
		to_buf, pdf, DATAPAGE_WIDTH_MM * pt, DATAPAGE_HEIGHT_MM * pt);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, "Passport data page");
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "Paspor");
	if (d->created)
		cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, d->created);
	cairo_t *cr = cairo_create(s);
	cairo_scale(cr, pt, pt);
	draw(cr, d, photo, 1);
	cairo_status_t st = cairo_status(cr);
	cairo_destroy(cr);
	cairo_surface_finish(s);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	return st == CAIRO_STATUS_SUCCESS ? 0 : cairo_failed(st, "PDF", e);
}

static void png_to_buf(png_structp p, png_bytep data, size_t n)
{
	if (buf_add(png_get_io_ptr(p), data, n) < 0)
		png_error(p, "out of memory");
}

static void png_no_flush(png_structp p)
{
	(void)p;
}

/*
 * Writes an RGB24 surface as an 8-bit RGB PNG. libpng writes the chunks (signature,
 * IHDR, pHYs, IDAT, IEND, each with its CRC); the image data — the scanlines, each with
 * filter byte 0 ("none") — is compressed by libdeflate at level 1 into the one IDAT
 * chunk: a zlib stream as PNG requires, about 2× faster than zlib's own level 1 and
 * smaller (docs/BENCHMARKS.md: deflate was most of a personalization's time). cairo's own
 * writer used zlib's default level and took three times longer again.
 */
static int write_png(cairo_surface_t *s, struct buf *out, struct err *e)
{
	cairo_surface_flush(s);
	const uint8_t *data = cairo_image_surface_get_data(s);
	int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
	int stride = cairo_image_surface_get_stride(s);
	size_t line = 1 + 3 * (size_t)w, raw_len = line * (size_t)h;
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(1);
	size_t cap = c ? libdeflate_zlib_compress_bound(c, raw_len) : 0;
	uint8_t *raw = mem_alloc(raw_len), *volatile z = cap ? mem_alloc(cap) : NULL;
	png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = p ? png_create_info_struct(p) : NULL;
	int rc = -1;
	if (!raw || !z || !info) {
		err_nomem(e);
		goto out;
	}
	for (int y = 0; y < h; y++) {
		const uint32_t *px = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
		uint8_t *r = raw + (size_t)y * line;
		*r++ = 0; /* filter: none */
		for (int x = 0; x < w; x++) {
			*r++ = (uint8_t)(px[x] >> 16);
			*r++ = (uint8_t)(px[x] >> 8);
			*r++ = (uint8_t)px[x];
		}
	}
	size_t zn = libdeflate_zlib_compress(c, raw, raw_len, z, cap);
	if (zn == 0) {
		err_set(e, ERR_INTERNAL, "PNG: the image data did not compress");
		goto out;
	}
	if (setjmp(png_jmpbuf(p))) {
		err_set(e, ERR_NOMEM, "PNG: cannot write (out of memory)");
		goto out;
	}
	png_set_write_fn(p, out, png_to_buf, png_no_flush);
	png_set_IHDR(p, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
	/* 300 dpi = 11811 pixels a metre, so viewers and printers know the size */
	png_set_pHYs(p, info, 11811, 11811, PNG_RESOLUTION_METER);
	png_write_info(p, info);
	png_write_chunk(p, (png_const_bytep) "IDAT", z, zn);
	png_write_chunk(p, (png_const_bytep) "IEND", NULL, 0);
	rc = 0;
out:
	png_destroy_write_struct(&p, &info);
	libdeflate_free_compressor(c);
	mem_free(raw);
	mem_free(z);
	return rc;
}

static int render_png(const struct datapage *d, cairo_surface_t *photo, struct buf *png,
		      struct err *e)
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, DATAPAGE_PNG_WIDTH,
							DATAPAGE_PNG_HEIGHT);
	cairo_t *cr = cairo_create(s);
	cairo_scale(cr, DATAPAGE_DPI / 25.4, DATAPAGE_DPI / 25.4);
	draw(cr, d, photo, 0);
	cairo_status_t st = cairo_status(cr);
	cairo_destroy(cr);
	int rc = st == CAIRO_STATUS_SUCCESS ? write_png(s, png, e) : cairo_failed(st, "PNG", e);
	cairo_surface_destroy(s);
	return rc;
}

int datapage_render(const struct datapage *d, struct buf *pdf, struct buf *png,
		    struct err *e)
{
	if (strlen(d->mrz) != 2 * MRZ_TD3_LEN)
		return err_set(e, ERR_INPUT, "mrz: must be two lines of 44 characters");
	const char *const *req[] = { &d->type, &d->issuing_state, &d->number, &d->full_name,
				     &d->nationality, &d->birth_date, &d->sex, &d->birth_place,
				     &d->issue_date, &d->expiry_date, &d->issuing_office };
	for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
		if (!*req[i])
			return err_set(e, ERR_INPUT, "data page: a field is missing");
	cairo_surface_t *photo = NULL;
	if (photo_surface(d->photo, d->photo_len, &photo, e) < 0)
		return -1;
	int rc = 0;
	if (pdf)
		rc = render_pdf(d, photo, pdf, e);
	if (rc == 0 && png)
		rc = render_png(d, photo, png, e);
	cairo_surface_destroy(photo);
	return rc;
}

void datapage_release_caches(void)
{
	cairo_debug_reset_static_data();
	FcFini();
}
