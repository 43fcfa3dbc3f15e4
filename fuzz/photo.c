/* libFuzzer target: an uploaded face photo (the bytes of POST …/photo) through
 * photo_normalise (libjpeg decode, checks, crop, scale, re-encode) and the JPEG header
 * reader of the chip's DG2 (face_jpeg_info). What photo_normalise accepts must be a
 * chip-ready JPEG that face_jpeg_info reads at 240 × 320. */
#include <stddef.h>
#include <stdint.h>

#include "icao/face.h"
#include "office/photo.h"
#include "util/buf.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = ERR_INIT;
	struct face_image_info fi;
	(void)face_jpeg_info(data, size, &fi, &e);
	struct buf out;
	buf_init(&out, (size_t)1 << 20);
	struct photo_info pi;
	err_clear(&e);
	if (photo_normalise(data, size, &out, &pi, &e) == 0) {
		if (out.len == 0 || out.len > PHOTO_OUT_MAX ||
		    face_jpeg_info(out.data, out.len, &fi, &e) < 0 ||
		    fi.width != PHOTO_OUT_WIDTH || fi.height != PHOTO_OUT_HEIGHT)
			__builtin_trap();
	} else if (e.code == ERR_NONE || !e.msg[0]) {
		__builtin_trap(); /* a refusal always says why */
	}
	buf_release(&out);
	return 0;
}
