/*
 * photo — the enrolment face photo: decode, check, normalise to a chip-ready JPEG.
 *
 * The input must be a baseline or progressive JPEG (JFIF/Exif; grey or colour; decoded
 * with libjpeg-turbo), at most PHOTO_IN_MAX bytes and PHOTO_IN_PIXELS_MAX pixels, with
 *   - at least PHOTO_MIN_WIDTH × PHOTO_MIN_HEIGHT pixels (420 × 525): a 35 × 45 mm
 *     passport photo scanned at 300 dpi is 413 × 531, and ICAO's portrait guidance asks
 *     for an inter-eye distance of at least 90 pixels, which a head filling 70–80 % of
 *     the height of a 525-pixel portrait gives;
 *   - portrait proportions: width / height between 0.70 and 0.82 (35:45 = 0.78,
 *     ISO/IEC 19794-5's 3:4 = 0.75, 420:525 = 0.80).
 * It is then cropped (centred) to exactly 3:4, scaled down with an area-averaging
 * filter to PHOTO_OUT_WIDTH × PHOTO_OUT_HEIGHT (240 × 320: the width of ISO/IEC
 * 19794-5's token frontal image, 3:4) in RGB, and encoded as a baseline JFIF JPEG
 * without other metadata (no Exif, no comments) at the highest quality from 90 down in
 * steps of 5 (not below 30) whose size is at most PHOTO_OUT_MAX = 20 KB (20 480 bytes),
 * what the chip's DG2 budget allows (docs/WORKFLOW.md). Exif orientation is not applied:
 * the photo must be upright as taken.
 *
 * Nothing here checks the face itself (pose, lighting, background): that is the
 * enrolling officer's judgement.
 *
 * Ownership: in is borrowed; the JPEG is appended to out (the caller's buf, cap ≥
 * PHOTO_OUT_MAX). libjpeg's memory is its own and released before returning.
 * Errors: ERR_INPUT with a message for people ("photo is not a JPEG (it looks like a
 * PNG image)", "photo is 300 × 400 pixels: at least 420 × 525 are needed", "photo
 * proportions 1000 × 1000 are not a portrait (width / height must be 0.70 to 0.82)",
 * "photo JPEG is corrupt or truncated: …"); ERR_NOMEM.
 */
#ifndef PASPOR_OFFICE_PHOTO_H
#define PASPOR_OFFICE_PHOTO_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define PHOTO_IN_MAX ((size_t)10 << 20)
#define PHOTO_IN_PIXELS_MAX (64UL * 1000 * 1000)
#define PHOTO_MIN_WIDTH 420
#define PHOTO_MIN_HEIGHT 525
#define PHOTO_OUT_WIDTH 240
#define PHOTO_OUT_HEIGHT 320
#define PHOTO_OUT_MAX 20480
#define PHOTO_QUALITY_MAX 90
#define PHOTO_QUALITY_MIN 30

struct photo_info {
	unsigned in_width, in_height;   /* the input's size */
	unsigned out_width, out_height; /* PHOTO_OUT_WIDTH × PHOTO_OUT_HEIGHT */
	int quality;                    /* the JPEG quality chosen */
};

int photo_normalise(const uint8_t *in, size_t len, struct buf *out, struct photo_info *info,
		    struct err *e);

#endif
