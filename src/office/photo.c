/*
 * photo — decode, check and normalise the face photo (see photo.h).
 *
 * libjpeg reports fatal errors through error_exit, which must not return: ours
 * longjmps back to the setjmp in the function that started the work. Everything that
 * must survive the jump lives in a heap-allocated struct reached through a pointer that
 * is not modified after setjmp (so no -Wclobbered hazards).
 */
#include "office/photo.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>

#include "util/alloc.h"

#define ENC_SCRATCH ((size_t)256 << 10) /* > 240 × 320 × 3 raw bytes */

struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jump;
	char msg[JMSG_LENGTH_MAX];
};

static void jerr_exit(j_common_ptr c)
{
	struct jerr *j = (struct jerr *)c->err;
	c->err->format_message(c, j->msg);
	longjmp(j->jump, 1);
}

static void jerr_output(j_common_ptr c)
{
	(void)c; /* library code never prints: warnings are counted (num_warnings) */
}

/* libjpeg's error manager for j, with our exit (longjmp to j->jump, message in j->msg)
 * and no output; the caller then setjmp()s j->jump in its own frame. */
static struct jpeg_error_mgr *jerr_init(struct jerr *j)
{
	struct jpeg_error_mgr *m = jpeg_std_error(&j->pub);
	m->error_exit = jerr_exit;
	m->output_message = jerr_output;
	return m;
}

/* ---- decoding ---- */

struct dec {
	struct jpeg_decompress_struct cinfo;
	struct jerr jerr;
	uint8_t *pix;   /* scaled RGB pixels, w × h × 3 (mem_alloc) */
	unsigned w, h;  /* scaled size */
};

static int sniff(const uint8_t *p, size_t n, struct err *e)
{
	if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
		return 0;
	const char *what = "unknown data";
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		what = "a PNG image";
	else if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
		what = "a GIF image";
	else if (n >= 2 && p[0] == 'B' && p[1] == 'M')
		what = "a BMP image";
	else if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		what = "a WebP image";
	else if (n >= 4 && memcmp(p, "%PDF", 4) == 0)
		what = "a PDF document";
	else if (n == 0)
		what = "empty";
	return err_set(e, ERR_INPUT, "photo is not a JPEG (it looks like %s)", what);
}

/* Decodes into d->pix at the smallest DCT scale (1/1, 1/2, 1/4, 1/8) that still leaves
 * at least twice the output size, after checking size and proportions from the header. */
static int decode(struct dec *d, const uint8_t *in, size_t len, struct photo_info *info,
		  struct err *e)
{
	struct jpeg_decompress_struct *c = &d->cinfo;
	c->err = jerr_init(&d->jerr);
	if (setjmp(d->jerr.jump)) {
		jpeg_destroy_decompress(c);
		return err_set(e, ERR_INPUT, "photo JPEG is corrupt or unsupported: %s", d->jerr.msg);
	}
	jpeg_create_decompress(c);
	jpeg_mem_src(c, in, (unsigned long)len);
	jpeg_read_header(c, TRUE);
	unsigned w = c->image_width, h = c->image_height;
	info->in_width = w;
	info->in_height = h;
	if ((unsigned long)w * h > PHOTO_IN_PIXELS_MAX) {
		jpeg_destroy_decompress(c);
		return err_set(e, ERR_INPUT, "photo is %u × %u pixels: at most %lu megapixels are "
			       "accepted", w, h, PHOTO_IN_PIXELS_MAX / 1000000);
	}
	if (w < PHOTO_MIN_WIDTH || h < PHOTO_MIN_HEIGHT) {
		jpeg_destroy_decompress(c);
		return err_set(e, ERR_INPUT, "photo is %u × %u pixels: at least %u × %u are needed",
			       w, h, PHOTO_MIN_WIDTH, PHOTO_MIN_HEIGHT);
	}
	if (100UL * w < 70UL * h || 100UL * w > 82UL * h) {
		jpeg_destroy_decompress(c);
		return err_set(e, ERR_INPUT, "photo proportions %u × %u are not a portrait "
			       "(width / height must be 0.70 to 0.82)", w, h);
	}
	unsigned denom = 8;
	while (denom > 1 && (w / denom < 2 * PHOTO_OUT_WIDTH || h / denom < 2 * PHOTO_OUT_HEIGHT))
		denom /= 2;
	c->scale_num = 1;
	c->scale_denom = denom;
	c->out_color_space = JCS_RGB;
	jpeg_start_decompress(c);
	d->w = c->output_width;
	d->h = c->output_height;
	if (c->output_components != 3) {
		jpeg_destroy_decompress(c);
		return err_set(e, ERR_INPUT, "photo JPEG has an unsupported colour space");
	}
	d->pix = mem_alloc((size_t)d->w * d->h * 3);
	if (!d->pix) {
		jpeg_destroy_decompress(c);
		return err_nomem(e);
	}
	while (c->output_scanline < c->output_height) {
		JSAMPROW row = d->pix + (size_t)c->output_scanline * d->w * 3;
		jpeg_read_scanlines(c, &row, 1);
	}
	jpeg_finish_decompress(c);
	long warnings = d->jerr.pub.num_warnings;
	if (warnings > 0) {
		c->err->format_message((j_common_ptr)c, d->jerr.msg);
		jpeg_destroy_decompress(c);
		return err_set(e, ERR_INPUT, "photo JPEG is corrupt or truncated: %s", d->jerr.msg);
	}
	jpeg_destroy_decompress(c);
	return 0;
}

/* Crops src (sw × sh) to 3:4 around its centre and scales it to dst (dw × dh) by area
 * averaging (each output pixel is the mean of the source pixels it covers). */
static void crop_scale(const uint8_t *src, unsigned sw, unsigned sh, uint8_t *dst, unsigned dw,
		       unsigned dh)
{
	unsigned cw = sw, ch = sh;
	if ((unsigned long)sw * 4 > (unsigned long)sh * 3)
		cw = sh * 3 / 4;
	else
		ch = sw * 4 / 3;
	unsigned cx = (sw - cw) / 2, cy = (sh - ch) / 2;
	for (unsigned oy = 0; oy < dh; oy++) {
		unsigned y0 = cy + (unsigned)((unsigned long)oy * ch / dh);
		unsigned y1 = cy + (unsigned)((unsigned long)(oy + 1) * ch / dh);
		if (y1 <= y0)
			y1 = y0 + 1;
		for (unsigned ox = 0; ox < dw; ox++) {
			unsigned x0 = cx + (unsigned)((unsigned long)ox * cw / dw);
			unsigned x1 = cx + (unsigned)((unsigned long)(ox + 1) * cw / dw);
			if (x1 <= x0)
				x1 = x0 + 1;
			unsigned long sum[3] = { 0, 0, 0 }, n = 0;
			for (unsigned y = y0; y < y1; y++) {
				const uint8_t *p = src + ((size_t)y * sw + x0) * 3;
				for (unsigned x = x0; x < x1; x++, p += 3, n++) {
					sum[0] += p[0];
					sum[1] += p[1];
					sum[2] += p[2];
				}
			}
			uint8_t *q = dst + ((size_t)oy * dw + ox) * 3;
			for (int k = 0; k < 3; k++)
				q[k] = (uint8_t)((sum[k] + n / 2) / n);
		}
	}
}

/* ---- encoding into a fixed scratch buffer ---- */

struct enc {
	struct jpeg_compress_struct cinfo;
	struct jerr jerr;
	struct jpeg_destination_mgr dest;
	uint8_t *scratch; /* ENC_SCRATCH bytes */
	int overflow;
	size_t len;
};

static void dest_init(j_compress_ptr c)
{
	struct enc *x = (struct enc *)c->client_data;
	x->dest.next_output_byte = x->scratch;
	x->dest.free_in_buffer = ENC_SCRATCH;
	x->overflow = 0;
}

static boolean dest_empty(j_compress_ptr c)
{
	struct enc *x = (struct enc *)c->client_data;
	x->overflow = 1; /* cannot happen for 240 × 320; discard and go on */
	x->dest.next_output_byte = x->scratch;
	x->dest.free_in_buffer = ENC_SCRATCH;
	return TRUE;
}

static void dest_term(j_compress_ptr c)
{
	struct enc *x = (struct enc *)c->client_data;
	x->len = ENC_SCRATCH - x->dest.free_in_buffer;
}

static int encode(struct enc *x, const uint8_t *pix, unsigned w, unsigned h, int quality,
		  struct err *e)
{
	struct jpeg_compress_struct *c = &x->cinfo;
	c->err = jerr_init(&x->jerr);
	if (setjmp(x->jerr.jump)) {
		jpeg_destroy_compress(c);
		return err_set(e, ERR_INTERNAL, "cannot encode the photo: %s", x->jerr.msg);
	}
	jpeg_create_compress(c);
	c->client_data = x;
	x->dest.init_destination = dest_init;
	x->dest.empty_output_buffer = dest_empty;
	x->dest.term_destination = dest_term;
	c->dest = &x->dest;
	c->image_width = w;
	c->image_height = h;
	c->input_components = 3;
	c->in_color_space = JCS_RGB;
	jpeg_set_defaults(c);
	jpeg_set_quality(c, quality, TRUE);
	c->optimize_coding = TRUE;
	jpeg_start_compress(c, TRUE);
	while (c->next_scanline < c->image_height) {
		JSAMPROW row = (JSAMPROW)(pix + (size_t)c->next_scanline * w * 3);
		jpeg_write_scanlines(c, &row, 1);
	}
	jpeg_finish_compress(c);
	jpeg_destroy_compress(c);
	if (x->overflow)
		return err_set(e, ERR_INTERNAL, "photo encoding overflowed its buffer");
	return 0;
}

int photo_normalise(const uint8_t *in, size_t len, struct buf *out, struct photo_info *info,
		    struct err *e)
{
	struct photo_info tmp;
	if (!info)
		info = &tmp;
	memset(info, 0, sizeof *info);
	if (len > PHOTO_IN_MAX)
		return err_set(e, ERR_INPUT, "photo is %zu bytes: at most %zu are accepted", len,
			       PHOTO_IN_MAX);
	if (sniff(in, len, e) < 0)
		return -1;
	struct dec *d = mem_calloc(1, sizeof *d);
	struct enc *x = mem_calloc(1, sizeof *x);
	uint8_t *small = mem_alloc((size_t)PHOTO_OUT_WIDTH * PHOTO_OUT_HEIGHT * 3);
	uint8_t *scratch = mem_alloc(ENC_SCRATCH);
	int rc = -1;
	if (!d || !x || !small || !scratch) {
		err_nomem(e);
		goto out;
	}
	x->scratch = scratch;
	if (decode(d, in, len, info, e) < 0)
		goto out;
	crop_scale(d->pix, d->w, d->h, small, PHOTO_OUT_WIDTH, PHOTO_OUT_HEIGHT);
	for (int q = PHOTO_QUALITY_MAX; q >= PHOTO_QUALITY_MIN; q -= 5) {
		memset(&x->cinfo, 0, sizeof x->cinfo);
		if (encode(x, small, PHOTO_OUT_WIDTH, PHOTO_OUT_HEIGHT, q, e) < 0)
			goto out;
		if (x->len <= PHOTO_OUT_MAX) {
			if (buf_add(out, scratch, x->len) < 0) {
				err_nomem(e);
				goto out;
			}
			info->out_width = PHOTO_OUT_WIDTH;
			info->out_height = PHOTO_OUT_HEIGHT;
			info->quality = q;
			rc = 0;
			goto out;
		}
	}
	err_set(e, ERR_INPUT, "photo does not compress to %d bytes even at quality %d "
		"(too much noise or detail)", PHOTO_OUT_MAX, PHOTO_QUALITY_MIN);
out:
	if (d)
		mem_free(d->pix);
	mem_free(d);
	mem_free(x);
	mem_free(small);
	mem_free(scratch);
	return rc;
}
