/*
 * datapage — the TD3 data page renderer (see datapage.h). Everything is drawn in
 * millimetres on a cairo context scaled to the surface (points for the PDF, 300/25.4
 * pixels per millimetre for the PNG), so both outputs share one drawing routine.
 */
#include "office/datapage.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <fontconfig/fontconfig.h>
#include <jpeglib.h>
#include <isa-l/igzip_lib.h>
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

/* The page's text face: DejaVu Sans, regular or bold, at size mm. */
static void dejavu(cairo_t *cr, double size, int bold)
{
	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
			       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
}

static void text(cairo_t *cr, double x, double y, double size, int bold, const char *s)
{
	dejavu(cr, size, bold);
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, s);
}

/*
 * The page is drawn in two layers: LAYER_FORM, what every page has (paper, tint, hatch,
 * header, captions), and LAYER_HOLDER, what this passport has (photo, values, MRZ).
 * The PDF draws both at once; the PNG copies the form layer, drawn once per process
 * (render_png), and draws the holder layer over it. No holder element overlaps a form
 * element drawn after it in the one-pass order, so both ways give the same pixels.
 */
enum { LAYER_FORM = 1, LAYER_HOLDER = 2 };

/*
 * A field's value: DejaVu Sans Bold at VALUE_SIZE, baseline at (x, y). A value wider
 * than its field (w mm: to the next column, or to the right margin) is first narrowed,
 * down to VALUE_MIN_NARROW of its width, then also made smaller, down to
 * VALUE_MIN_SIZE; a value still too wide then (about 90 characters in the full-name
 * field) is cut at the field's edge rather than printed over its neighbour. Metrics
 * are unhinted on both surfaces, so the fit is the same in the PDF and the PNG.
 */
#define VALUE_SIZE 2.9
#define VALUE_MIN_SIZE 1.6
#define VALUE_MIN_NARROW 0.75
#define PAGE_RIGHT_MM (DATAPAGE_WIDTH_MM - 4.0) /* fields end 4 mm from the edge */

static void value_fit(cairo_t *cr, double x, double y, double w, const char *s)
{
	dejavu(cr, VALUE_SIZE, 1);
	cairo_text_extents_t ext;
	cairo_text_extents(cr, s, &ext);
	cairo_save(cr);
	if (ext.x_advance > w) {
		double k = w / ext.x_advance; /* the factor the width needs */
		double narrow = k > VALUE_MIN_NARROW ? k : VALUE_MIN_NARROW;
		double size = k > VALUE_MIN_NARROW ? VALUE_SIZE : VALUE_SIZE * k / VALUE_MIN_NARROW;
		if (size < VALUE_MIN_SIZE) {
			size = VALUE_MIN_SIZE;
			cairo_rectangle(cr, x, y - 2 * VALUE_SIZE, w, 3 * VALUE_SIZE);
			cairo_clip(cr);
		}
		cairo_matrix_t m;
		cairo_matrix_init_scale(&m, size * narrow, size);
		cairo_set_font_matrix(cr, &m);
	}
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, s);
	cairo_restore(cr);
}

/* A caption (small, grey; the form layer) over its value (the holder layer), in a
 * field w mm wide. */
static void field(cairo_t *cr, unsigned layers, double x, double y, double w,
		  const char *caption, const char *value)
{
	if (layers & LAYER_FORM) {
		cairo_set_source_rgb(cr, 0.25, 0.3, 0.45);
		text(cr, x, y, 1.7, 0, caption);
	}
	if (layers & LAYER_HOLDER) {
		cairo_set_source_rgb(cr, 0, 0, 0);
		value_fit(cr, x, y + 3.4, w, value);
	}
}

/*
 * OCR-B for the PDF. cairo 1.16 cannot embed Debian's OCRB.otf (its CFF subsetter gives
 * up silently and the PDF names a font object it never writes; docs/DATAPAGE.md), so
 * the PDF's MRZ is set in a cairo user font whose glyphs are OCR-B's own outlines, drawn
 * by ocrb_render_glyph: cairo writes it as a Type 3 font, each glyph once, with a
 * ToUnicode map from the text the lines are shown with. The MRZ is real text in OCR-B
 * shapes: pdftotext reads both lines exactly. A user font's glyph index is its
 * character's code (cairo's default without a unicode_to_glyph callback).
 * Made once (ocrb_lock), freed by datapage_release_caches.
 */
static pthread_mutex_t ocrb_lock = PTHREAD_MUTEX_INITIALIZER;
static cairo_font_face_t *ocrb_user_face;

/* OCR-B at size 1, unhinted (outlines and metrics; cr's other font options kept) */
static void ocrb_select(cairo_t *cr)
{
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_get_font_options(cr, fo);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_set_font_options(cr, fo);
	cairo_font_options_destroy(fo);
	cairo_select_font_face(cr, DATAPAGE_OCRB_FAMILY, CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, 1);
}

static cairo_status_t ocrb_init(cairo_scaled_font_t *sf, cairo_t *cr,
				cairo_font_extents_t *extents)
{
	(void)sf;
	ocrb_select(cr);
	cairo_font_extents(cr, extents);
	return cairo_status(cr);
}

static cairo_status_t ocrb_render_glyph(cairo_scaled_font_t *sf, unsigned long glyph,
					cairo_t *cr, cairo_text_extents_t *extents)
{
	(void)sf;
	ocrb_select(cr);
	char utf8[2] = { (char)glyph, '\0' };
	cairo_glyph_t *g = NULL;
	int n = 0;
	if (glyph < 0x20 || glyph > 0x7E ||
	    cairo_scaled_font_text_to_glyphs(cairo_get_scaled_font(cr), 0, 0, utf8, 1, &g, &n,
					     NULL, NULL, NULL) != CAIRO_STATUS_SUCCESS)
		return CAIRO_STATUS_USER_FONT_ERROR;
	cairo_glyph_path(cr, g, n);
	cairo_fill(cr);
	cairo_glyph_extents(cr, g, n, extents);
	cairo_glyph_free(g);
	return cairo_status(cr);
}

static cairo_font_face_t *ocrb_face(void)
{
	pthread_mutex_lock(&ocrb_lock);
	if (!ocrb_user_face) {
		ocrb_user_face = cairo_user_font_face_create();
		cairo_user_font_face_set_init_func(ocrb_user_face, ocrb_init);
		cairo_user_font_face_set_render_glyph_func(ocrb_user_face, ocrb_render_glyph);
	}
	cairo_font_face_t *f = ocrb_user_face;
	pthread_mutex_unlock(&ocrb_lock);
	return f;
}

/* One MRZ line (44 characters, not NUL-terminated) in the current font (OCR-B, or the
 * OCR-B user font for the PDF), its glyphs on the cells, shown with its text. */
static void mrz_line(cairo_t *cr, const char *line, double x0, double y, double pitch,
		     int user_font)
{
	cairo_glyph_t g[MRZ_TD3_LEN];
	cairo_text_cluster_t cl[MRZ_TD3_LEN];
	cairo_glyph_t *tg = NULL;
	int n = 0;
	if (user_font) {
		for (int k = 0; k < MRZ_TD3_LEN; k++) {
			g[k] = (cairo_glyph_t){ (unsigned char)line[k], x0 + pitch * k, y };
			cl[k] = (cairo_text_cluster_t){ 1, 1 };
		}
		cairo_show_text_glyphs(cr, line, MRZ_TD3_LEN, g, MRZ_TD3_LEN, cl, MRZ_TD3_LEN,
				       0);
	} else if (cairo_scaled_font_text_to_glyphs(cairo_get_scaled_font(cr), x0, y, line,
						    MRZ_TD3_LEN, &tg, &n, NULL, NULL,
						    NULL) == CAIRO_STATUS_SUCCESS) {
		for (int k = 0; k < n; k++) {
			tg[k].x = x0 + pitch * k;
			tg[k].y = y;
		}
		cairo_show_glyphs(cr, tg, n);
		cairo_glyph_free(tg);
	} else {
		/* no glyphs (out of memory): as plain text, whose failure cairo_status sees */
		char text_line[MRZ_TD3_LEN + 1];
		memcpy(text_line, line, MRZ_TD3_LEN);
		text_line[MRZ_TD3_LEN] = '\0';
		cairo_move_to(cr, x0, y);
		cairo_show_text(cr, text_line);
	}
}

/*
 * Zone VII, the MRZ band: OCR-B at 10 characters per inch (2.54 mm pitch), the first
 * character 6 mm from the left edge, reference centre lines 16.5 and 10.0 mm above the
 * bottom edge (Doc 9303 Part 4). Every glyph is placed on its cell (x = 6 + 2.54 i) and
 * metrics hinting is off: a hinted advance, rounded to whole pixels at the font size
 * the pitch is measured at, would squeeze the PNG's lines to about 9.3 cpi. The PNG
 * shows the lines in OCR-B; the PDF in the OCR-B user font (ocrb_face).
 */
static void draw_mrz(cairo_t *cr, const struct datapage *d, int pdf)
{
	const double pitch = 2.54, x0 = 6.0;
	/* the OCR-B size whose advance is the pitch (OCR-B is monospaced) */
	ocrb_select(cr);
	cairo_text_extents_t ext;
	cairo_text_extents(cr, "<", &ext);
	double size = ext.x_advance > 0 ? pitch / ext.x_advance : 3.6;
	if (pdf)
		cairo_set_font_face(cr, ocrb_face());
	cairo_set_font_size(cr, size);
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (int i = 0; i < 2; i++)
		mrz_line(cr, d->mrz + i * MRZ_TD3_LEN, x0,
			 DATAPAGE_HEIGHT_MM - (i == 0 ? 16.5 : 10.0) + 1.2, pitch, pdf);
}

/* The form layer's paper, tint, hatch and header (zone I). */
static void draw_form(cairo_t *cr)
{
	/* paper and a light security tint */
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0.93, 0.95, 0.98);
	cairo_rectangle(cr, 0, 0, DATAPAGE_WIDTH_MM, 64.8);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.75, 0.8, 0.9);
	cairo_set_line_width(cr, 0.12);
	for (double x = -64.8; x < DATAPAGE_WIDTH_MM; x += 3) {
		cairo_move_to(cr, x, 64.8);
		cairo_line_to(cr, x + 64.8, 0);
	}
	cairo_stroke(cr);

	/* zone I: header */
	cairo_set_source_rgb(cr, 0.1, 0.15, 0.4);
	text(cr, 6, 6.5, 3.2, 1, "REPUBLIK INDONESIA / REPUBLIC OF INDONESIA");
	text(cr, 6, 11.2, 2.6, 0, "PASPOR / PASSPORT");
}

/* Zone V, the holder layer's photo, 3:4, 32 × 42.7 mm, in its frame. */
static void draw_photo(cairo_t *cr, cairo_surface_t *photo)
{
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
}

/* Draws the layers of the page; for LAYER_FORM alone, d and photo may be NULL. */
static void draw(cairo_t *cr, const struct datapage *d, cairo_surface_t *photo, int pdf,
		 unsigned layers)
{
	if (layers & LAYER_FORM)
		draw_form(cr);
	if (layers & LAYER_HOLDER)
		draw_photo(cr, photo);

	/* zone II: personal data, bilingual captions */
	char birth[40] = "", issue[40] = "", expiry[40] = "";
	static const struct datapage none = { .type = "", .issuing_state = "", .number = "",
					      .full_name = "", .nationality = "", .sex = "",
					      .birth_place = "", .issuing_office = "" };
	if (layers & LAYER_HOLDER) {
		show_date(d->birth_date, birth, sizeof birth);
		show_date(d->issue_date, issue, sizeof issue);
		show_date(d->expiry_date, expiry, sizeof expiry);
	} else {
		d = &none;
	}
	/* columns at x, c2, c3 and c3 - 12 (dates and place); a field ends 1 mm before
	 * the next column, or at the right margin */
	const double x = 42, c2 = 62, c3 = 94, c4 = c3 - 12, gap = 1, end = PAGE_RIGHT_MM;
	double y = 16;
	field(cr, layers, x, y, c2 - gap - x, "Jenis / Type", d->type);
	field(cr, layers, c2, y, c3 - gap - c2, "Kode Negara / Code of Issuing State",
	      d->issuing_state);
	field(cr, layers, c3, y, end - c3, "No. Paspor / Passport No.", d->number);
	y += 7;
	field(cr, layers, x, y, end - x, "Nama Lengkap / Full Name", d->full_name);
	y += 7;
	field(cr, layers, x, y, c3 - gap - x, "Kewarganegaraan / Nationality", d->nationality);
	field(cr, layers, c3, y, end - c3, "Jenis Kelamin / Sex", show_sex(d->sex));
	y += 7;
	field(cr, layers, x, y, c4 - gap - x, "Tanggal Lahir / Date of Birth", birth);
	field(cr, layers, c4, y, end - c4, "Tempat Lahir / Place of Birth", d->birth_place);
	y += 7;
	field(cr, layers, x, y, c4 - gap - x, "Tanggal Pengeluaran / Date of Issue", issue);
	field(cr, layers, c4, y, end - c4, "Tanggal Habis Berlaku / Date of Expiry", expiry);
	y += 7;
	field(cr, layers, x, y, end - x, "Kantor yang Mengeluarkan / Issuing Office",
	      d->issuing_office);

	if (layers & LAYER_HOLDER)
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
	draw(cr, d, photo, 1, LAYER_FORM | LAYER_HOLDER);
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
 * The PNG's image data is one zlib stream (RFC 1950: header, deflate data, Adler-32 of
 * the filtered scanlines), compressed by ISA-L's igzip at level 1, PNG_ROWS_AT_ONCE rows
 * a call, and written as IDAT chunks of at most PNG_IDAT_MAX bytes; every row has filter
 * 2 ("up": the byte minus the one above it) except where said below. igzip is 4× faster
 * than libdeflate's level 1 on this page at about the same size, and 6× faster than
 * zlib's level 1 (docs/BENCHMARKS.md "Personalization"): compression was most of the
 * PNG's time.
 *
 * Bands. Only the rows [holder_top, holder_bottom) of a page can differ from the form
 * layer: render_png clips the holder layer to PNG_HOLDER_TOP_MM..PNG_HOLDER_BOTTOM_MM.
 * The rows above and below are filtered and deflated once, with the form (struct
 * png_cache), into raw deflate pieces that refer to nothing outside themselves and end
 * on a byte boundary (a FULL_FLUSH after the top rows; the final block after the bottom
 * rows), so that a page's stream is
 *     zlib header ‖ top piece ‖ the page's own rows (raw deflate, FULL_FLUSH) ‖
 *     bottom piece ‖ Adler-32 of all the filtered rows,
 * one valid deflate stream (RFC 1951: a stream is any sequence of blocks, the last one
 * marked final). The first bottom row has filter 0 ("none") so that it does not depend
 * on the page's row above it; the first top row too (nothing is above it).
 */
#define PNG_ROWS_AT_ONCE 16
#define PNG_IDAT_MAX ((size_t)256 << 10)
#define PNG_DEFLATE_STEP ((size_t)64 << 10) /* output room asked for per igzip call */
#define PNG_HOLDER_TOP_MM 15.5              /* above the photo frame (16 mm - 0.1) */
#define PNG_HOLDER_BOTTOM_MM 82.0           /* below the MRZ (tested: nothing from 82) */

/* The first row the holder layer may touch (rounded down), and the first after them
 * (rounded up). */
static int holder_top(void)
{
	return (int)(PNG_HOLDER_TOP_MM * DATAPAGE_DPI / 25.4); /* 183 */
}

static int holder_bottom(void)
{
	double y = PNG_HOLDER_BOTTOM_MM * DATAPAGE_DPI / 25.4;
	return (int)y + (y > (int)y); /* 969 */
}

/* Packs a row of xRGB pixels as RGB bytes into rgb (3 * w bytes, + 1 writable: on a
 * little-endian machine each pixel is one 4-byte store, its 4th byte overwritten by the
 * next pixel's). */
static void pack_rgb(uint8_t *rgb, const uint32_t *px, int w)
{
	for (int x = 0; x < w; x++, rgb += 3) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		uint32_t le = __builtin_bswap32(px[x]) >> 8; /* bytes R, G, B, 0 */
		memcpy(rgb, &le, 4);
#else
		rgb[0] = (uint8_t)(px[x] >> 16);
		rgb[1] = (uint8_t)(px[x] >> 8);
		rgb[2] = (uint8_t)px[x];
#endif
	}
}

/* PNG filter "up": out[i] = row[i] - above[i] modulo 256, eight bytes at a time (no
 * borrow between the bytes of a word). */
static void filter_up(uint8_t *out, const uint8_t *row, const uint8_t *above, size_t n)
{
	const uint64_t hi = 0x8080808080808080u;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t a, b, d;
		memcpy(&a, row + i, 8);
		memcpy(&b, above + i, 8);
		d = ((a | hi) - (b & ~hi)) ^ ((a ^ ~b) & hi);
		memcpy(out + i, &d, 8);
	}
	for (; i < n; i++)
		out[i] = (uint8_t)(row[i] - above[i]);
}

static const uint32_t *pixel_row(cairo_surface_t *s, int y)
{
	return (const uint32_t *)(const void *)(cairo_image_surface_get_data(s) +
						(size_t)y * (size_t)cairo_image_surface_get_stride(s));
}

/*
 * Filters rows [y0, y1) of s — the first with filter "up" against the pixel row above
 * (of any surface), or with filter "none" when above is NULL — and deflates them (raw,
 * a stream of their own) onto z: ended by a FULL_FLUSH, or by the final block when
 * final. *adler is carried over the filtered bytes; raw (may be NULL) gets them too.
 */
static int deflate_rows(cairo_surface_t *s, int y0, int y1, const uint32_t *above_px,
			int final, struct buf *z, uint32_t *adler, struct buf *raw,
			struct err *e)
{
	int w = cairo_image_surface_get_width(s);
	size_t line = 1 + 3 * (size_t)w;
	uint8_t *rows = mem_alloc(line * PNG_ROWS_AT_ONCE);
	/* this row and the one above as RGB (+ pack_rgb's byte); zeros: "none" = "up" */
	uint8_t *row = mem_alloc(3 * (size_t)w + 1), *above = mem_calloc(1, 3 * (size_t)w + 1);
	uint8_t *level_buf = mem_alloc(ISAL_DEF_LVL1_DEFAULT);
	int rc = -1;
	if (!rows || !row || !above || !level_buf) {
		err_nomem(e);
		goto out;
	}
	if (above_px)
		pack_rgb(above, above_px, w);
	struct isal_zstream zs;
	isal_deflate_init(&zs);
	zs.level = 1;
	zs.level_buf = level_buf;
	zs.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
	zs.gzip_flag = IGZIP_DEFLATE;
	for (int y = y0; y < y1;) {
		int n = y1 - y < PNG_ROWS_AT_ONCE ? y1 - y : PNG_ROWS_AT_ONCE;
		for (int k = 0; k < n; k++, y++) {
			uint8_t *r = rows + (size_t)k * line;
			pack_rgb(row, pixel_row(s, y), w);
			r[0] = y == y0 && !above_px ? 0 : 2; /* filter: none, up */
			filter_up(r + 1, row, above, 3 * (size_t)w);
			uint8_t *t = above;
			above = row;
			row = t;
		}
		*adler = isal_adler32(*adler, rows, line * (size_t)n);
		if (raw && buf_add(raw, rows, line * (size_t)n) < 0) {
			err_nomem(e);
			goto out;
		}
		int last = y == y1;
		zs.next_in = rows;
		zs.avail_in = (uint32_t)(line * (size_t)n);
		zs.end_of_stream = last && final;
		zs.flush = last && !final ? FULL_FLUSH : NO_FLUSH;
		/* until the input is taken and, at the end, flushed (room left over) or
		 * ended */
		do {
			if (buf_grow(z, PNG_DEFLATE_STEP) < 0) {
				err_nomem(e);
				goto out;
			}
			zs.next_out = z->data + z->len;
			zs.avail_out = (uint32_t)PNG_DEFLATE_STEP;
			if (isal_deflate(&zs) != COMP_OK) {
				err_set(e, ERR_INTERNAL, "PNG: the image data did not compress");
				goto out;
			}
			z->len += PNG_DEFLATE_STEP - zs.avail_out;
			z->data[z->len] = '\0';
		} while (zs.avail_in > 0 || zs.avail_out == 0 ||
			 (zs.end_of_stream && zs.internal_state.state != ZSTATE_END));
	}
	rc = 0;
out:
	mem_free(rows);
	mem_free(row);
	mem_free(above);
	mem_free(level_buf);
	return rc;
}

/*
 * The PNG's form layer, drawn once per process, with its top and bottom bands already
 * compressed (see "Bands"); made under png_lock and then only read (its pixels and
 * pieces never change). One spare page surface is kept between renders so that a
 * render does not fault in 6 MB of fresh pages. Both go in datapage_release_caches.
 */
struct png_cache {
	cairo_surface_t *form;
	struct buf top_z, bottom_z; /* raw deflate pieces */
	uint32_t top_adler;         /* Adler-32 of the filtered top rows */
	struct buf bottom_raw;      /* the filtered bottom rows (for the page's Adler-32) */
};
static pthread_mutex_t png_lock = PTHREAD_MUTEX_INITIALIZER;
static struct png_cache *png_cached;
static cairo_surface_t *png_spare;

static void png_cache_free(struct png_cache *c)
{
	if (!c)
		return;
	cairo_surface_destroy(c->form);
	buf_release(&c->top_z);
	buf_release(&c->bottom_z);
	buf_release(&c->bottom_raw);
	mem_free(c);
}

static cairo_surface_t *png_surface(void)
{
	return cairo_image_surface_create(CAIRO_FORMAT_RGB24, DATAPAGE_PNG_WIDTH,
					  DATAPAGE_PNG_HEIGHT);
}

/*
 * A context on s in millimetres, with the font options the PDF surface uses (grey
 * antialiasing, no hinting): cairo 1.16 resolves a font face's hinting once, on its
 * first use, so without them the PNG's glyphs would depend on whether the process
 * rendered a PDF before (tests/integration/datapage.sh checks they do not).
 */
static cairo_t *png_context(cairo_surface_t *s)
{
	cairo_t *cr = cairo_create(s);
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_set_font_options(cr, fo);
	cairo_font_options_destroy(fo);
	cairo_scale(cr, DATAPAGE_DPI / 25.4, DATAPAGE_DPI / 25.4);
	return cr;
}

/* Draws the form layer and compresses its bands into a new cache. */
static int png_cache_make(struct png_cache **out, struct err *e)
{
	struct png_cache *c = mem_calloc(1, sizeof *c);
	if (!c)
		return err_nomem(e);
	buf_init(&c->top_z, BUF_MAX_DEFAULT);
	buf_init(&c->bottom_z, BUF_MAX_DEFAULT);
	buf_init(&c->bottom_raw, BUF_MAX_DEFAULT);
	c->form = png_surface();
	cairo_t *cr = png_context(c->form);
	draw(cr, NULL, NULL, 0, LAYER_FORM);
	cairo_status_t st = cairo_status(cr);
	cairo_destroy(cr);
	cairo_surface_flush(c->form);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(c->form);
	if (st != CAIRO_STATUS_SUCCESS) {
		png_cache_free(c);
		return cairo_failed(st, "PNG form", e);
	}
	uint32_t bottom_adler = 1;
	c->top_adler = 1;
	if (deflate_rows(c->form, 0, holder_top(), NULL, 0, &c->top_z, &c->top_adler, NULL,
			 e) < 0 ||
	    deflate_rows(c->form, holder_bottom(), DATAPAGE_PNG_HEIGHT, NULL, 1, &c->bottom_z,
			 &bottom_adler, &c->bottom_raw, e) < 0) {
		png_cache_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

/* Takes the cache (made on first use) and a page surface (the spare, or new). */
static int png_take(const struct png_cache **cache, cairo_surface_t **page, struct err *e)
{
	pthread_mutex_lock(&png_lock);
	if (!png_cached && png_cache_make(&png_cached, e) < 0) {
		pthread_mutex_unlock(&png_lock);
		return -1;
	}
	*cache = png_cached;
	*page = png_spare ? png_spare : png_surface();
	png_spare = NULL;
	pthread_mutex_unlock(&png_lock);
	return 0;
}

/* Keeps page as the spare if there is none yet, else destroys it. */
static void png_give(cairo_surface_t *page)
{
	pthread_mutex_lock(&png_lock);
	if (!png_spare && cairo_surface_status(page) == CAIRO_STATUS_SUCCESS) {
		png_spare = page;
		page = NULL;
	}
	pthread_mutex_unlock(&png_lock);
	if (page)
		cairo_surface_destroy(page);
}

/* Writes n bytes of zlib data as one IDAT chunk (a PNG may have many, in order). */
static int png_idat(png_structp p, const uint8_t *z, size_t n)
{
	if (setjmp(png_jmpbuf(p)))
		return -1;
	png_write_chunk(p, (png_const_bytep) "IDAT", z, n);
	return 0;
}

/* Writes the page (its holder band drawn over the form) as an 8-bit RGB PNG: libpng
 * writes the chunks (signature, IHDR, pHYs, IDAT…, IEND, each with its CRC); the image
 * data is assembled as "Bands" says. */
static int write_png(cairo_surface_t *page, const struct png_cache *c, struct buf *out,
		     struct err *e)
{
	struct buf z;
	buf_init(&z, BUF_MAX_DEFAULT);
	png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = p ? png_create_info_struct(p) : NULL;
	int rc = -1;
	uint32_t adler = c->top_adler;
	cairo_surface_flush(page);
	if (!info || buf_add(&z, "\x78\x01", 2) < 0 || /* deflate, 32 KiB window, fastest */
	    buf_add(&z, c->top_z.data, c->top_z.len) < 0) {
		err_nomem(e);
		goto out;
	}
	if (deflate_rows(page, holder_top(), holder_bottom(),
			 pixel_row(c->form, holder_top() - 1), 0, &z, &adler, NULL, e) < 0)
		goto out;
	adler = isal_adler32(adler, c->bottom_raw.data, c->bottom_raw.len);
	uint8_t trailer[4] = { (uint8_t)(adler >> 24), (uint8_t)(adler >> 16),
			       (uint8_t)(adler >> 8), (uint8_t)adler };
	if (buf_add(&z, c->bottom_z.data, c->bottom_z.len) < 0 ||
	    buf_add(&z, trailer, sizeof trailer) < 0) {
		err_nomem(e);
		goto out;
	}
	if (setjmp(png_jmpbuf(p)))
		goto nomem;
	png_set_write_fn(p, out, png_to_buf, png_no_flush);
	png_set_IHDR(p, info, DATAPAGE_PNG_WIDTH, DATAPAGE_PNG_HEIGHT, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
	/* 300 dpi = 11811 pixels a metre, so viewers and printers know the size */
	png_set_pHYs(p, info, 11811, 11811, PNG_RESOLUTION_METER);
	png_write_info(p, info);
	for (size_t off = 0; off < z.len; off += PNG_IDAT_MAX)
		if (png_idat(p, z.data + off, z.len - off < PNG_IDAT_MAX ? z.len - off
									 : PNG_IDAT_MAX) < 0)
			goto nomem;
	if (setjmp(png_jmpbuf(p)))
		goto nomem;
	png_write_chunk(p, (png_const_bytep) "IEND", NULL, 0);
	rc = 0;
	goto out;
nomem:
	err_set(e, ERR_NOMEM, "PNG: cannot write (out of memory)");
out:
	png_destroy_write_struct(&p, &info);
	buf_release(&z);
	return rc;
}

static int render_png(const struct datapage *d, cairo_surface_t *photo, struct buf *png,
		      struct err *e)
{
	const struct png_cache *c = NULL;
	cairo_surface_t *s = NULL;
	if (png_take(&c, &s, e) < 0)
		return -1;
	cairo_status_t st = cairo_surface_status(s);
	if (st == CAIRO_STATUS_SUCCESS) {
		/* the holder band only: the rows outside it are never drawn nor read */
		size_t stride = (size_t)cairo_image_surface_get_stride(s);
		cairo_surface_flush(s);
		memcpy(cairo_image_surface_get_data(s) + (size_t)holder_top() * stride,
		       pixel_row(c->form, holder_top()),
		       (size_t)(holder_bottom() - holder_top()) * stride);
		cairo_surface_mark_dirty(s);
		cairo_t *cr = png_context(s);
		cairo_rectangle(cr, 0, PNG_HOLDER_TOP_MM, DATAPAGE_WIDTH_MM,
				PNG_HOLDER_BOTTOM_MM - PNG_HOLDER_TOP_MM);
		cairo_clip(cr);
		draw(cr, d, photo, 0, LAYER_HOLDER);
		st = cairo_status(cr);
		cairo_destroy(cr);
	}
	int rc = st == CAIRO_STATUS_SUCCESS ? write_png(s, c, png, e) : cairo_failed(st, "PNG", e);
	png_give(s);
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
	pthread_mutex_lock(&png_lock);
	png_cache_free(png_cached);
	cairo_surface_destroy(png_spare);
	png_cached = NULL;
	png_spare = NULL;
	pthread_mutex_unlock(&png_lock);
	pthread_mutex_lock(&ocrb_lock);
	cairo_font_face_destroy(ocrb_user_face);
	ocrb_user_face = NULL;
	pthread_mutex_unlock(&ocrb_lock);
	cairo_debug_reset_static_data();
	FcFini();
}
