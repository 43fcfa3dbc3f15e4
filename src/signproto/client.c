/*
 * client — the signer's caller side (see client.h).
 */
#include "signproto/client.h"

#include "util/alloc.h"

#include <errno.h>
#include <stdio.h>
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
	buf_init(&in, PROTO_RESPONSE_MAX);
	struct proto_response r;
	int rc = -1;
	if (proto_write_frame(fd, msg, n, e) < 0 ||
	    proto_read_frame(fd, &in, PROTO_RESPONSE_MAX, e) < 0 ||
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

/* Maps an answer's status to the result: 0 ok, -1 with e set. */
static int answer(struct signer_client *c, struct buf *out, struct err *e)
{
	switch (c->status) {
	case PROTO_OK:
		/* an answer to a request must carry its payload (operator answers, admin.h,
		 * carry none) */
		return out->len > 0 ? 0
			: err_set(e, ERR_INPUT, "signer: answered ok without a payload");
	case PROTO_REFUSED:
		return err_set(e, ERR_VERIFY, "signer refused: %s", c->reason);
	case PROTO_BAD_REQUEST:
		return err_set(e, ERR_INPUT, "signer: bad request: %s", c->reason);
	default:
		return err_set(e, ERR_CRYPTO, "signer failed: %s", c->reason);
	}
}

int signer_client_sign_dgs(void *ctx, const struct buf *dg1, const struct buf *dg2,
			   struct buf *out, struct err *e)
{
	struct signer_client *c = ctx;
	struct proto_request req;
	memset(&req, 0, sizeof req);
	req.type = PROTO_TYPE_SIGN;
	const char *d = c->issue_date ? c->issue_date : "";
	if (strlen(c->app) > PROTO_APP_MAX || strlen(c->booklet) > PROTO_BOOKLET_MAX)
		return err_set(e, ERR_INPUT, "application id or booklet number too long");
	if (strlen(d) == 10 && d[4] == '-' && d[7] == '-')
		snprintf(req.issue_date, sizeof req.issue_date, "%.4s%.2s%.2s", d, d + 5, d + 8);
	else
		snprintf(req.issue_date, sizeof req.issue_date, "%.8s", d);
	strcpy(req.app, c->app);
	strcpy(req.booklet, c->booklet);
	req.dg1 = dg1->data;
	req.dg1_len = dg1->len;
	req.dg2 = dg2->data;
	req.dg2_len = dg2->len;
	struct buf msg;
	buf_init(&msg, PROTO_REQUEST_MAX);
	int rc = -1;
	if (proto_encode_request(&req, &msg, e) == 0 &&
	    signer_client_call(c, msg.data, msg.len, out, e) == 0)
		rc = answer(c, out, e);
	buf_release(&msg);
	return rc;
}

void signer_signatures_release(struct signer_signatures *s)
{
	mem_free(s->sig);
	s->sig = NULL;
	s->n = 0;
}

int signer_client_list(const char *socket_path, int64_t from_ms, int64_t to_ms,
		       struct signer_signatures *out, struct err *e)
{
	out->sig = NULL;
	out->n = 0;
	struct signer_client c = { socket_path, "-", "-", 0, "", NULL };
	struct proto_list *l = mem_alloc(sizeof *l);
	if (!l)
		return err_nomem(e);
	struct proto_request req;
	memset(&req, 0, sizeof req);
	req.type = PROTO_TYPE_LIST;
	req.from_ms = from_ms < 0 ? 0 : (uint64_t)from_ms;
	req.to_ms = to_ms < 0 ? 0 : (uint64_t)to_ms;
	size_t cap = 0;
	int rc = -1;
	struct buf msg, pay;
	buf_init(&msg, 64);
	buf_init(&pay, PROTO_PAYLOAD_MAX);
	for (;;) {
		buf_reset(&msg);
		buf_reset(&pay);
		if (proto_encode_request(&req, &msg, e) < 0 ||
		    signer_client_call(&c, msg.data, msg.len, &pay, e) < 0)
			break;
		if (c.status != PROTO_OK) {
			answer(&c, &pay, e);
			break;
		}
		if (proto_decode_list(pay.data, pay.len, l, e) < 0) {
			err_prefix(e, "signer '%s'", socket_path);
			break;
		}
		if (l->n == 0 && l->more) {
			err_set(e, ERR_INPUT, "signer '%s': an empty page with more to come",
				socket_path);
			break;
		}
		if (out->n + l->n > SIGNER_LIST_TOTAL_MAX) {
			err_set(e, ERR_INPUT, "signer '%s': more than %u signatures in the range",
				socket_path, SIGNER_LIST_TOTAL_MAX);
			break;
		}
		if (out->n + l->n > cap) {
			size_t ncap = cap ? cap * 2 : 256;
			while (ncap < out->n + l->n)
				ncap *= 2;
			struct proto_signature *g = mem_realloc(out->sig, ncap * sizeof *g);
			if (!g) {
				err_nomem(e);
				break;
			}
			out->sig = g;
			cap = ncap;
		}
		if (l->n && l->sig[0].id <= req.after) {
			err_set(e, ERR_INPUT, "signer '%s': a page out of order", socket_path);
			break;
		}
		if (l->n) /* an empty page: out->sig may still be NULL */
			memcpy(out->sig + out->n, l->sig, l->n * sizeof *l->sig);
		out->n += l->n;
		if (!l->more) {
			rc = 0;
			break;
		}
		req.after = l->sig[l->n - 1].id;
	}
	buf_release(&msg);
	buf_release(&pay);
	mem_free(l);
	if (rc < 0)
		signer_signatures_release(out);
	return rc;
}
