#include "icao/face.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>

struct jpeg_guard {
	struct jpeg_error_mgr mgr; /* first: libjpeg hands us a pointer to it */
	jmp_buf jump;
	char msg[JMSG_LENGTH_MAX];
};

static void on_jpeg_error(j_common_ptr cinfo)
{
	struct jpeg_guard *g = (struct jpeg_guard *)cinfo->err;
	(*cinfo->err->format_message)(cinfo, g->msg);
	longjmp(g->jump, 1);
}

static void on_jpeg_message(j_common_ptr cinfo)
{
	(void)cinfo; /* warnings are not printed: library code stays quiet */
}

int face_jpeg_info(const uint8_t *jpeg, size_t len, struct face_image_info *info,
		   struct err *e)
{
	if (len < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 || jpeg[2] != 0xFF)
		return err_set(e, ERR_INPUT, "photo is not a JPEG (no SOI marker)");
	if (len > FACE_JPEG_MAX)
		return err_set(e, ERR_INPUT, "photo is larger than %zu bytes", FACE_JPEG_MAX);
	if (jpeg[len - 2] != 0xFF || jpeg[len - 1] != 0xD9)
		return err_set(e, ERR_INPUT, "photo is not a complete JPEG (no EOI marker)");
	struct jpeg_decompress_struct cinfo;
	struct jpeg_guard g;
	cinfo.err = jpeg_std_error(&g.mgr);
	g.mgr.error_exit = on_jpeg_error;
	g.mgr.output_message = on_jpeg_message;
	g.msg[0] = '\0';
	if (setjmp(g.jump)) {
		jpeg_destroy_decompress(&cinfo);
		return err_set(e, ERR_INPUT, "photo is not a valid JPEG: %s", g.msg);
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, jpeg, (unsigned long)len);
	int rc = jpeg_read_header(&cinfo, TRUE);
	if (rc != JPEG_HEADER_OK) {
		jpeg_destroy_decompress(&cinfo);
		return err_set(e, ERR_INPUT, "photo is not a valid JPEG: no image");
	}
	info->width = cinfo.image_width;
	info->height = cinfo.image_height;
	info->components = cinfo.num_components;
	jpeg_destroy_decompress(&cinfo);
	if (info->width == 0 || info->height == 0 || info->width > 0xFFFF ||
	    info->height > 0xFFFF)
		return err_set(e, ERR_INPUT, "photo size %ux%u is out of range", info->width,
			       info->height);
	return 0;
}

static uint8_t *put_be(uint8_t *p, uint32_t v, int n)
{
	for (int i = n - 1; i >= 0; i--)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

int face_put_record(struct buf *out, const uint8_t *jpeg, size_t len,
		    const struct face_image_info *info, struct err *e)
{
	if (len > FACE_JPEG_MAX)
		return err_set(e, ERR_INPUT, "photo is larger than %zu bytes", FACE_JPEG_MAX);
	uint8_t h[FACE_HEADER_LEN] = { 0 };
	uint8_t *p = h;
	uint32_t record_len = (uint32_t)(FACE_HEADER_LEN + len);
	uint32_t facial_len = record_len - 14u;
	memcpy(p, "FAC\0" "010\0", 8);
	p += 8;
	p = put_be(p, record_len, 4);
	p = put_be(p, 1, 2);             /* number of facial images */
	p = put_be(p, facial_len, 4);    /* facial record data length */
	p = put_be(p, 0, 2);             /* number of feature points */
	p += 1 + 1 + 1;                  /* gender, eye colour, hair colour: unspecified */
	p += 3;                          /* feature mask: features not specified */
	p += 2;                          /* expression: unspecified */
	p += 3 + 3;                      /* pose angles and their uncertainty: unspecified */
	*p++ = FACE_IMAGE_FULL_FRONTAL;
	*p++ = FACE_DATA_JPEG;
	p = put_be(p, info->width, 2);
	p = put_be(p, info->height, 2);
	*p++ = info->components == 3 ? FACE_COLOUR_RGB24 :
	       info->components == 1 ? FACE_COLOUR_GREY8 : FACE_COLOUR_UNSPECIFIED;
	*p++ = 0;                        /* source type: unspecified */
	p = put_be(p, 0, 2);             /* device type: unspecified */
	p = put_be(p, 0, 2);             /* quality: unspecified */
	size_t before = out->len;
	if (buf_add(out, h, sizeof h) < 0 || buf_add(out, jpeg, len) < 0) {
		buf_truncate(out, before);
		return err_set(e, ERR_NOMEM, "face record does not fit in memory");
	}
	return 0;
}
