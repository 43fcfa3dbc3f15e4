/*
 * client — a struct sod_signer (icao/sod.h) that asks the signer process over its Unix
 * socket (signer/proto.h): one connection per signature, so a signer that restarts is
 * picked up at the next request.
 *
 * Ownership: struct signer_client holds borrowed strings (socket path, application id,
 * booklet number); after a refusal, reason holds the signer's words.
 * Errors: ERR_VERIFY the signer refused (the message is its reason), ERR_INPUT a bad
 * request or response, ERR_IO the socket (the signer is not running, or went away),
 * ERR_CRYPTO the signer could not sign.
 */
#ifndef PASPOR_SIGNER_CLIENT_H
#define PASPOR_SIGNER_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "signer/proto.h"
#include "util/buf.h"
#include "util/err.h"

#define SIGNER_CLIENT_TIMEOUT_S 30

struct signer_client {
	const char *socket_path;
	const char *app;
	const char *booklet;
	int status;                          /* enum proto_status of the last answer */
	char reason[PROTO_REASON_MAX + 1];
};

/* sod_signer's sign: ctx is a struct signer_client. */
int signer_client_sign(void *ctx, const uint8_t *content, size_t len, struct buf *out,
		       struct err *e);

/* 1 when a signer accepts a connection on socket_path (the connection is closed before
 * any byte, which the signer does not count as a request), else 0. */
int signer_client_ping(const char *socket_path);

/* Sends raw message bytes (tests, fuzzing the live signer) and decodes the answer into
 * c->status / c->reason; the EF.SOD, if any, is appended to out. */
int signer_client_call(struct signer_client *c, const uint8_t *msg, size_t n, struct buf *out,
		       struct err *e);

#endif
