/*
 * tlv — BER-TLV as used by ICAO 9303 LDS files (Part 10): reading and writing.
 *
 * Tags are handled as the integer formed by their identifier bytes, as Doc 9303 writes
 * them: 0x60 (EF.COM), 0x5F1F (MRZ data element), 0x7F61 (biometric information group
 * template), 0x77 (EF.SOD). Reading delegates header decoding to OpenSSL's
 * ASN1_get_object and accepts only definite lengths that fit inside the input; a
 * malformed header, an indefinite length or a length past the end is an error, never a
 * read out of bounds. Values are not copied: a struct tlv points into the caller's
 * bytes, which must outlive it.
 *
 * tlv_read_ber also takes BER's indefinite length (X.690 8.1.3.6), for the CMS inside
 * EF.SOD, which real passports write so (docs/CHIP.md): the LDS files themselves are
 * read with tlv_read.
 *
 * Writing appends to a struct buf: tlv_put writes tag, minimal definite length and
 * value; for nested structures, build the inner buf first and tlv_put it.
 */
#ifndef PASPOR_ICAO_TLV_H
#define PASPOR_ICAO_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct tlv {
	uint32_t tag;          /* identifier bytes, e.g. 0x5F1F */
	int constructed;       /* bit 6 of the first identifier byte */
	const uint8_t *value;  /* points into the input */
	size_t len;            /* value length */
	size_t header_len;     /* identifier + length bytes */
	int indefinite;        /* tlv_read_ber only: the value is followed by 00 00 */
};

/* Nesting of indefinite lengths tlv_read_ber follows (OpenSSL's decoder stops at 30). */
#define TLV_BER_DEPTH 30

/*
 * Reads one TLV at the start of p[0..n). On success fills t and returns 0; the element
 * occupies t->header_len + t->len bytes. On a malformed element returns -1 with e set.
 */
int tlv_read(const uint8_t *p, size_t n, struct tlv *t, struct err *e);

/*
 * Like tlv_read, and a constructed element may also have an indefinite length: its
 * value then runs up to the end-of-contents octets 00 00 that close it, found by
 * walking the elements inside (nested indefinite lengths up to TLV_BER_DEPTH deep).
 * t->len is the value without the end-of-contents and t->indefinite is set. Every
 * length is checked against n; a primitive element with an indefinite length, a missing
 * end-of-contents or deeper nesting is an error.
 */
int tlv_read_ber(const uint8_t *p, size_t n, struct tlv *t, struct err *e);
/* The bytes the element occupies: header, value and, if indefinite, 00 00. */
size_t tlv_ber_size(const struct tlv *t);

/* Reads one TLV that must fill p[0..n) exactly and carry the given tag. */
int tlv_read_exact(const uint8_t *p, size_t n, uint32_t tag, struct tlv *t, struct err *e);

/*
 * Finds the first child with the given tag among the TLVs that fill value[0..len)
 * (one level, no recursion). Returns 1 found, 0 not found, -1 malformed (e set).
 */
int tlv_find(const uint8_t *value, size_t len, uint32_t tag, struct tlv *out, struct err *e);

/* Appends tag, length and value. Returns 0 or -1 (buffer cap or memory). */
int tlv_put(struct buf *b, uint32_t tag, const void *value, size_t len);
/* Appends the identifier and length bytes only (the value follows from the caller). */
int tlv_put_header(struct buf *b, uint32_t tag, size_t len);

#endif
