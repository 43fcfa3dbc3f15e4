/*
 * client — a struct sod_signer (icao/sod.h) that asks the signer process over its Unix
 * socket (signproto/proto.h): one connection per signature, so a signer that restarts is
 * picked up at the next request.
 *
 * Signing (protocol 2): the signer is given EF.DG1, EF.DG2 and the issue date, never a
 * security object; signer_client_sign_dgs is an lds_dg_signer (icao/lds.h), so
 * lds_make_chip checks that the EF.SOD returned covers exactly the files sent.
 * Listing: signer_client_list reads the signer's signatures of a time range (the day
 * close compares them with the office's records).
 *
 * It lives in src/signproto/ beside the protocol, not in src/signer/: the office (the
 * caller) and the signer's own commands use it, and the office includes nothing from
 * the key-holding side (tests/lint_checks.py --includes).
 *
 * Ownership: struct signer_client holds borrowed strings (socket path, application id,
 * booklet number, issue date); after a refusal, reason holds the signer's words. A
 * struct signer_signatures owns its array (signer_signatures_release).
 * Errors: ERR_VERIFY the signer refused (the message is its reason), ERR_INPUT a bad
 * request or response, ERR_IO the socket (the signer is not running, or went away),
 * ERR_CRYPTO the signer could not sign.
 */
#ifndef PASPOR_SIGNPROTO_CLIENT_H
#define PASPOR_SIGNPROTO_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "signproto/proto.h"
#include "util/buf.h"
#include "util/err.h"

#define SIGNER_CLIENT_TIMEOUT_S 30

#define SIGNER_LIST_TOTAL_MAX 1000000u /* signatures one list call gathers at most */

struct signer_client {
	const char *socket_path;
	const char *app;
	const char *booklet;
	int status;                          /* enum proto_status of the last answer */
	char reason[PROTO_REASON_MAX + 1];
	const char *issue_date;              /* "YYYY-MM-DD" (or "YYYYMMDD") */
};

/* lds_dg_signer's sign: ctx is a struct signer_client; appends the EF.SOD to out. */
int signer_client_sign_dgs(void *ctx, const struct buf *dg1, const struct buf *dg2,
			   struct buf *out, struct err *e);

struct signer_signatures {
	struct proto_signature *sig;
	size_t n;
};
/* Every signature of [from_ms, to_ms) (UTC ms), in the signer's order, page by page. */
int signer_client_list(const char *socket_path, int64_t from_ms, int64_t to_ms,
		       struct signer_signatures *out, struct err *e);
void signer_signatures_release(struct signer_signatures *s);

/* 1 when a signer accepts a connection on socket_path (the connection is closed before
 * any byte, which the signer does not count as a request), else 0. */
int signer_client_ping(const char *socket_path);

/* Sends raw message bytes (tests, fuzzing the live signer) and decodes the answer into
 * c->status / c->reason; the EF.SOD, if any, is appended to out. */
int signer_client_call(struct signer_client *c, const uint8_t *msg, size_t n, struct buf *out,
		       struct err *e);

#endif
