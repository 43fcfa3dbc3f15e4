/*
 * client — the signer's caller side (see client.h).
 */
#include "signer/client.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int connect_to(const char *path, struct err *e)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof a.sun_path)
		return err_set(e, ERR_INPUT, "signer socket path '%s' is too long", path);
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno(e, ERR_IO, "socket");
	struct timeval tv = { SIGNER_CLIENT_TIMEOUT_S, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		err_errno(e, ERR_IO, "cannot reach the signer at '%s'", path);
		close(fd);
		return -1;
	}
	return fd;
}

int signer_client_ping(const char *socket_path)
{
	struct err e = ERR_INIT;
	int fd = connect_to(socket_path, &e);
	if (fd < 0)
		return 0;
	close(fd); /* closed before a byte: not a request, nothing recorded */
	return 1;
}

int signer_client_call(struct signer_client *c, const uint8_t *msg, size_t n, struct buf *out,
		       struct err *e)
{
	c->status = PROTO_FAILED;
	c->reason[0] = 0;
	int fd = connect_to(c->socket_path, e);
	if (fd < 0)
		return -1;
	struct buf in;
	buf_init(&in, PROTO_FRAME_MAX);
	struct proto_response r;
	int rc = -1;
	if (proto_write_frame(fd, msg, n, e) < 0 ||
	    proto_read_frame(fd, &in, PROTO_FRAME_MAX, e) < 0 ||
	    proto_decode_response(in.data, in.len, &r, e) < 0) {
		err_prefix(e, "signer '%s'", c->socket_path);
		goto out;
	}
	c->status = r.status;
	memcpy(c->reason, r.reason, sizeof c->reason);
	if (r.sod_len && buf_add(out, r.sod, r.sod_len) < 0) {
		err_nomem(e);
		goto out;
	}
	rc = 0;
out:
	buf_release(&in);
	close(fd);
	return rc;
}

int signer_client_sign(void *ctx, const uint8_t *content, size_t len, struct buf *out,
		       struct err *e)
{
	struct signer_client *c = ctx;
	struct proto_request req;
	memset(&req, 0, sizeof req);
	if (strlen(c->app) > PROTO_APP_MAX || strlen(c->booklet) > PROTO_BOOKLET_MAX)
		return err_set(e, ERR_INPUT, "application id or booklet number too long");
	strcpy(req.app, c->app);
	strcpy(req.booklet, c->booklet);
	req.lso = content;
	req.lso_len = len;
	struct buf msg;
	buf_init(&msg, PROTO_FRAME_MAX);
	int rc = -1;
	if (proto_encode_request(&req, &msg, e) == 0 &&
	    signer_client_call(c, msg.data, msg.len, out, e) == 0) {
		switch (c->status) {
		case PROTO_OK:
			/* an answer to a signature request must carry the EF.SOD (operator
			 * answers, admin.h, carry none) */
			rc = out->len > 0 ? 0
				: err_set(e, ERR_INPUT, "signer: answered ok without an EF.SOD");
			break;
		case PROTO_REFUSED:
			err_set(e, ERR_VERIFY, "signer refused: %s", c->reason);
			break;
		case PROTO_BAD_REQUEST:
			err_set(e, ERR_INPUT, "signer: bad request: %s", c->reason);
			break;
		default:
			err_set(e, ERR_CRYPTO, "signer failed: %s", c->reason);
			break;
		}
	}
	buf_release(&msg);
	return rc;
}
