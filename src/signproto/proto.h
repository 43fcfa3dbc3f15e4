/*
 * proto — the signer's request protocol over its Unix socket (docs/SIGNER.md has the
 * byte tables). One request and one response per connection; integers big-endian.
 *
 *   frame    = u32 length of the message, then the message (at most PROTO_REQUEST_MAX
 *              for a request, PROTO_RESPONSE_MAX for a response)
 *   request  = u8 version (2) | u8 type
 *     type 1, sign:
 *              | u8 app length (1..64)     | app id: A-Z a-z 0-9 '-' '_'
 *              | u8 booklet length (1..16) | booklet number: A-Z 0-9
 *              | 8 issue date "YYYYMMDD" (digits)
 *              | u16 EF.DG1 length (1..PROTO_DG1_MAX) | EF.DG1
 *              | u32 EF.DG2 length (1..PROTO_DG2_MAX) | EF.DG2
 *     type 2, list signatures (read only):
 *              | u64 from (UTC ms, inclusive) | u64 to (UTC ms, exclusive)
 *              | u64 after (signature id; 0 from the first)
 *   response = u8 version (2) | u8 status (enum proto_status)
 *              | u16 reason length (0..PROTO_REASON_MAX) | reason, printable ASCII
 *              | u32 payload length (0..PROTO_PAYLOAD_MAX; 0 unless status is OK)
 *              | payload: the EF.SOD (sign) or a signature list (list, below)
 *   list     = u16 count (0..PROTO_LIST_MAX) | u8 more (0 or 1)
 *              | count × ( u64 id | u64 time (UTC ms)
 *                          | u8 booklet length | booklet | u8 app length | app )
 *              ids strictly increasing; more = 1 when entries after the last were left
 *              out (ask again with after = the last id)
 * Decoding is strict: exact lengths, nothing after the last field, every byte checked.
 * Version 1 (an LDSSecurityObject made by the caller) is not decoded any more: a
 * signer must see what it signs (docs/SIGNER.md); the office and its signer are
 * deployed together.
 *
 * src/signproto/ holds what both sides of that socket use (this protocol and the
 * caller's client, signproto/client.h), so that the office includes nothing from
 * src/signer/, the process that holds the Document Signer key (docs/ARCHITECTURE.md).
 *
 * Ownership: decoded structures point into the caller's bytes (borrowed). Encoders
 * append to a struct buf. Errors: ERR_INPUT with the field named; ERR_NOMEM.
 */
#ifndef PASPOR_SIGNPROTO_PROTO_H
#define PASPOR_SIGNPROTO_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define PROTO_VERSION 2
#define PROTO_TYPE_SIGN 1
#define PROTO_TYPE_LIST 2
#define PROTO_APP_MAX 64
#define PROTO_BOOKLET_MAX 16
#define PROTO_DATE_LEN 8
/* EF.DG1 of a TD1 MRZ (90 characters) is 95 bytes; room for a longer header. */
#define PROTO_DG1_MAX 128u
/* EF.DG2: the office's stored photo is at most 20 KiB (office/photo.h PHOTO_OUT_MAX)
 * plus 46 bytes of face record and about 40 of templates; 64 KiB leaves room and keeps
 * a request small (tests/unit/test_signer_proto.c checks the office's limit fits). */
#define PROTO_DG2_MAX 65536u
#define PROTO_REASON_MAX 512u
#define PROTO_SOD_MAX 16384u
#define PROTO_PAYLOAD_MAX PROTO_SOD_MAX
#define PROTO_LIST_MAX 128u
/* The longest request message (version, type, strings at their maximum, date, DGs). */
#define PROTO_REQUEST_MAX (2u + 1u + PROTO_APP_MAX + 1u + PROTO_BOOKLET_MAX + \
			   PROTO_DATE_LEN + 2u + PROTO_DG1_MAX + 4u + PROTO_DG2_MAX)
#define PROTO_RESPONSE_MAX (PROTO_PAYLOAD_MAX + PROTO_REASON_MAX + 16u)
/* Any frame: a buffer cap that holds either. */
#define PROTO_FRAME_MAX (PROTO_REQUEST_MAX > PROTO_RESPONSE_MAX ? PROTO_REQUEST_MAX \
							       : PROTO_RESPONSE_MAX)

enum proto_status {
	PROTO_OK = 0,
	PROTO_REFUSED = 1,   /* the policy said no (reason says why) */
	PROTO_BAD_REQUEST = 2,
	PROTO_FAILED = 3,    /* the signer could not sign or record (token, log) */
};

struct proto_request {
	int type;                         /* PROTO_TYPE_SIGN or PROTO_TYPE_LIST */
	/* sign */
	char app[PROTO_APP_MAX + 1];
	char booklet[PROTO_BOOKLET_MAX + 1];
	char issue_date[PROTO_DATE_LEN + 1]; /* "YYYYMMDD" */
	const uint8_t *dg1, *dg2;
	size_t dg1_len, dg2_len;
	/* list */
	uint64_t from_ms, to_ms, after;
};

struct proto_response {
	int status;
	char reason[PROTO_REASON_MAX + 1];
	const uint8_t *sod;               /* the payload: EF.SOD or a list */
	size_t sod_len;
};

/* One entry of a signature list. */
struct proto_signature {
	uint64_t id;
	int64_t time_ms;
	char booklet[PROTO_BOOKLET_MAX + 1];
	char app[PROTO_APP_MAX + 1];
};

struct proto_list {
	size_t n;
	int more;
	struct proto_signature sig[PROTO_LIST_MAX];
};

/* The message (without the frame's length) of a request / response. */
int proto_encode_request(const struct proto_request *r, struct buf *out, struct err *e);
int proto_decode_request(const uint8_t *p, size_t n, struct proto_request *r, struct err *e);
int proto_encode_response(const struct proto_response *r, struct buf *out, struct err *e);
int proto_decode_response(const uint8_t *p, size_t n, struct proto_response *r,
			  struct err *e);
/* A list payload (at most PROTO_LIST_MAX entries, ids strictly increasing). */
int proto_encode_list(const struct proto_list *l, struct buf *out, struct err *e);
int proto_decode_list(const uint8_t *p, size_t n, struct proto_list *l, struct err *e);

/* Checks an application id / booklet number by the rules above. */
int proto_check_app(const char *s, struct err *e);
int proto_check_booklet(const char *s, struct err *e);

/* Frames on a socket: writes u32 length + message; reads one message of at most max
 * bytes into out (ERR_INPUT "too large" beyond it, ERR_IO on a short read or error). */
int proto_write_frame(int fd, const uint8_t *p, size_t n, struct err *e);
int proto_read_frame(int fd, struct buf *out, size_t max, struct err *e);

#endif
