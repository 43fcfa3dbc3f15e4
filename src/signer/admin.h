/*
 * admin — the signer's operator channel: DIR/signer-admin.sock (mode 0600), through which
 * the operator's commands (`paspor signer booklets add|spoil`) reach a *running* signer,
 * so that stock changes need no stop (docs/SIGNER.md "Operator socket").
 *
 * Who: only a peer whose SO_PEERCRED uid is the signer's own (or root) is served; the
 * request socket (signer.sock, the office node's group) cannot reach this one.
 * What: exactly one event of an operator kind (ADMIN_KINDS: signer.booklets_added,
 * signer.booklet_spoiled), the same event the command appends itself when the signer is
 * stopped; the signer appends it through its own writer, where the kind's check and
 * projection judge it like any other.
 *
 * Message (in a proto.h frame: u32 big-endian length, then the bytes): canonical-free
 * JSON text {"v": 1, "kind": K, "subject": S, "body": {…}}, at most ADMIN_REQUEST_MAX
 * bytes; nothing else is allowed in it. The answer is a proto.h response (status and
 * reason; no EF.SOD).
 *
 * Ownership: admin_decode's *body is a new reference the caller json_decref's; kind and
 * subject are copied into the caller's arrays.
 * Errors: ERR_INPUT malformed (the message says what), ERR_IO the socket.
 */
#ifndef PASPOR_SIGNER_ADMIN_H
#define PASPOR_SIGNER_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/buf.h"
#include "util/err.h"

#define ADMIN_SOCKET_NAME "signer-admin.sock"
#define ADMIN_REQUEST_MAX 4096u
#define ADMIN_KIND_MAX 48
#define ADMIN_SUBJECT_MAX 64

/* 1 when kind may be appended over the operator socket. */
int admin_kind_allowed(const char *kind);

int admin_encode(const char *kind, const char *subject, const json_t *body, struct buf *out,
		 struct err *e);
int admin_decode(const uint8_t *p, size_t n, char kind[ADMIN_KIND_MAX + 1],
		 char subject[ADMIN_SUBJECT_MAX + 1], json_t **body, struct err *e);

/*
 * Sends one event to the running signer of dir. Returns 0 when the signer recorded it,
 * -1 with ERR_VERIFY when it refused (its reason), ERR_IO when no signer answers on
 * DIR/signer-admin.sock (*absent = 1 when nothing listens there).
 */
int admin_call(const char *dir, const char *kind, const char *subject, const json_t *body,
	       int *absent, struct err *e);

#endif
