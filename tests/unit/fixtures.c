/* Shared test data: see fixtures.h. */
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

unsigned char *test_jpeg(unsigned w, unsigned h, int components, int quality,
			 unsigned long *len)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	unsigned char *out = NULL;
	*len = 0;
	jpeg_mem_dest(&c, &out, len);
	c.image_width = w;
	c.image_height = h;
	c.input_components = components;
	c.in_color_space = components == 3 ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	unsigned char *row = malloc((size_t)w * 3);
	unsigned seed = 12345;
	while (c.next_scanline < h) {
		unsigned y = c.next_scanline;
		for (unsigned x = 0; x < w; x++) {
			seed = seed * 1103515245u + 12345u;
			unsigned n = (seed >> 16) & 31;
			/* a face-like blob on a gradient, plus noise */
			int dx = (int)x - (int)w / 2, dy = (int)y - (int)h * 2 / 5;
			int in = dx * dx * 4 + dy * dy * 3 < (int)(w * w) / 2;
			unsigned char r = (unsigned char)(in ? 200 + n : (x * 255 / w));
			if (components == 1) {
				row[x] = r;
				continue;
			}
			row[3 * x] = r;
			row[3 * x + 1] = (unsigned char)(in ? 160 + n : (y * 255 / h));
			row[3 * x + 2] = (unsigned char)(in ? 120 + n : 128 + n * 2);
		}
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(row);
	return out;
}
