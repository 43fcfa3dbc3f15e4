/*
 * proto — the signer's request protocol over its Unix socket (docs/SIGNER.md has the
 * byte tables). One request and one response per connection; integers big-endian.
 *
 *   frame    = u32 length of the message, then the message (at most PROTO_FRAME_MAX)
 *   request  = u8 version (1) | u8 type (1: sign)
 *              | u8 app length (1..64)     | app id: A-Z a-z 0-9 '-' '_'
 *              | u8 booklet length (1..16) | booklet number: A-Z 0-9
 *              | u32 LDSSecurityObject length (1..PROTO_LSO_MAX) | its DER
 *   response = u8 version (1) | u8 status (enum proto_status)
 *              | u16 reason length (0..PROTO_REASON_MAX) | reason, printable ASCII
 *              | u32 EF.SOD length (0..PROTO_SOD_MAX; 0 unless status is OK) | EF.SOD
 * Decoding is strict: exact lengths, nothing after the last field, every byte checked.
 *
 * Ownership: decoded structures point into the caller's bytes (borrowed). Encoders
 * append to a struct buf. Errors: ERR_INPUT with the field named; ERR_NOMEM.
 */
#ifndef PASPOR_SIGNER_PROTO_H
#define PASPOR_SIGNER_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define PROTO_VERSION 1
#define PROTO_TYPE_SIGN 1
#define PROTO_APP_MAX 64
#define PROTO_BOOKLET_MAX 16
#define PROTO_LSO_MAX 4096u
#define PROTO_REASON_MAX 512u
#define PROTO_SOD_MAX 16384u
/* The longest request message (version, type, both strings at their maximum, LSO). */
#define PROTO_REQUEST_MAX (2u + 1u + PROTO_APP_MAX + 1u + PROTO_BOOKLET_MAX + 4u + PROTO_LSO_MAX)
#define PROTO_FRAME_MAX (PROTO_SOD_MAX + PROTO_REASON_MAX + 16u)

enum proto_status {
	PROTO_OK = 0,
	PROTO_REFUSED = 1,   /* the policy said no (reason says why) */
	PROTO_BAD_REQUEST = 2,
	PROTO_FAILED = 3,    /* the signer could not sign or record (token, log) */
};

struct proto_request {
	char app[PROTO_APP_MAX + 1];
	char booklet[PROTO_BOOKLET_MAX + 1];
	const uint8_t *lso;
	size_t lso_len;
};

struct proto_response {
	int status;
	char reason[PROTO_REASON_MAX + 1];
	const uint8_t *sod;
	size_t sod_len;
};

/* The message (without the frame's length) of a request / response. */
int proto_encode_request(const struct proto_request *r, struct buf *out, struct err *e);
int proto_decode_request(const uint8_t *p, size_t n, struct proto_request *r, struct err *e);
int proto_encode_response(const struct proto_response *r, struct buf *out, struct err *e);
int proto_decode_response(const uint8_t *p, size_t n, struct proto_response *r,
			  struct err *e);

/* Checks an application id / booklet number by the rules above. */
int proto_check_app(const char *s, struct err *e);
int proto_check_booklet(const char *s, struct err *e);

/* Frames on a socket: writes u32 length + message; reads one message of at most max
 * bytes into out (ERR_INPUT "too large" beyond it, ERR_IO on a short read or error). */
int proto_write_frame(int fd, const uint8_t *p, size_t n, struct err *e);
int proto_read_frame(int fd, struct buf *out, size_t max, struct err *e);

#endif
