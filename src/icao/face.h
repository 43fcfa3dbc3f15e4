/*
 * face — the facial image of DG2: a JPEG check and the ISO/IEC 19794-5:2005 face record.
 *
 * face_jpeg_info reads a JPEG's markers and frame header with libjpeg (jpeg_read_header
 * behind a setjmp error manager; nothing is decoded) and checks that the data starts
 * with SOI and ends with EOI. Anything else — a PNG, a truncated JPEG, a JPEG whose
 * frame header libjpeg refuses — is an ERR_INPUT error naming what is wrong.
 *
 * face_put_record appends the 19794-5:2005 Facial Record Data around the JPEG bytes:
 *   general header (14 bytes)  'FAC\0', version '010\0', record length (4), faces (2)
 *   facial record header (20)  data length (4), feature points (2) = 0, gender,
 *                              eye colour, hair colour (1 each) = 0 unspecified,
 *                              feature mask (3) = 0, expression (2) = 0,
 *                              pose angle yaw/pitch/roll (3) = 0, uncertainty (3) = 0
 *   image information (12)     face image type (1) = 1 full frontal,
 *                              image data type (1) = 0 JPEG, width (2), height (2),
 *                              colour space (1): 1 24-bit RGB for 3 components,
 *                              3 8-bit greyscale for 1, 0 unspecified otherwise,
 *                              source type (1) = 0 unspecified,
 *                              device type (2) = 0 unspecified, quality (2) = 0
 *   image data                 the JPEG bytes, unchanged
 * All integers big-endian. docs/CHIP.md gives the reasons for each value.
 *
 * Ownership: the JPEG bytes are borrowed; the record is appended to the caller's buf.
 */
#ifndef PASPOR_ICAO_FACE_H
#define PASPOR_ICAO_FACE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define FACE_HEADER_LEN 46u /* general header + facial record header + image info */
#define FACE_JPEG_MAX ((size_t)1 << 24) /* refuse photos larger than 16 MiB */

/* Image data types and colour spaces of 19794-5:2005 used here. */
enum { FACE_IMAGE_FULL_FRONTAL = 1, FACE_DATA_JPEG = 0 };
enum { FACE_COLOUR_UNSPECIFIED = 0, FACE_COLOUR_RGB24 = 1, FACE_COLOUR_GREY8 = 3 };

struct face_image_info {
	unsigned width, height;
	int components;   /* 1 greyscale, 3 colour */
};

/* Checks that jpeg[0..len) is a JPEG and reads its size. */
int face_jpeg_info(const uint8_t *jpeg, size_t len, struct face_image_info *info,
		   struct err *e);

/* Appends the face record (FACE_HEADER_LEN + len bytes) for a JPEG already checked. */
int face_put_record(struct buf *out, const uint8_t *jpeg, size_t len,
		    const struct face_image_info *info, struct err *e);

#endif
