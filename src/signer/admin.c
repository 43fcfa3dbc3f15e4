/*
 * admin — the signer's operator channel (see admin.h).
 */
#include "signer/admin.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "signproto/proto.h"
#include "util/alloc.h"
#include "util/fs.h"

static const char *const admin_kinds[] = { "signer.booklets_added", "signer.booklet_spoiled",
					   NULL };

int admin_kind_allowed(const char *kind)
{
	for (size_t i = 0; admin_kinds[i]; i++)
		if (strcmp(kind, admin_kinds[i]) == 0)
			return 1;
	return 0;
}

static int printable(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7E)
			return 0;
	return 1;
}

int admin_encode(const char *kind, const char *subject, const json_t *body, struct buf *out,
		 struct err *e)
{
	json_t *m = json_pack("{s:i, s:s, s:s, s:O}", "v", 1, "kind", kind, "subject", subject,
			      "body", body);
	char *text = m ? json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(m);
	if (!text)
		return err_nomem(e);
	size_t n = strlen(text);
	int rc = n > ADMIN_REQUEST_MAX ? err_set(e, ERR_INPUT, "operator request too large")
		 : buf_add(out, text, n) < 0 ? err_nomem(e) : 0;
	free(text);
	return rc;
}

int admin_decode(const uint8_t *p, size_t n, char kind[ADMIN_KIND_MAX + 1],
		 char subject[ADMIN_SUBJECT_MAX + 1], json_t **body, struct err *e)
{
	*body = NULL;
	if (n > ADMIN_REQUEST_MAX)
		return err_set(e, ERR_INPUT, "operator request larger than %u bytes",
			       ADMIN_REQUEST_MAX);
	json_error_t je;
	json_t *m = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &je);
	if (!m)
		return err_set(e, ERR_INPUT, "operator request is not JSON: %.100s", je.text);
	const json_t *v = json_object_get(m, "v"), *b = json_object_get(m, "body");
	const char *k = json_string_value(json_object_get(m, "kind"));
	const char *s = json_string_value(json_object_get(m, "subject"));
	int rc = -1;
	if (!json_is_object(m) || json_object_size(m) != 4 || !json_is_integer(v) ||
	    !k || !s || !json_is_object(b))
		err_set(e, ERR_INPUT, "operator request must be {v, kind, subject, body}");
	else if (json_integer_value(v) != 1)
		err_set(e, ERR_INPUT, "operator request version %lld (this signer speaks 1)",
			(long long)json_integer_value(v));
	else if (!printable(k, 1, ADMIN_KIND_MAX) || !admin_kind_allowed(k))
		err_set(e, ERR_INPUT, "kind is not an operator kind");
	else if (!printable(s, 1, ADMIN_SUBJECT_MAX))
		err_set(e, ERR_INPUT, "subject must be 1 to %d printable characters",
			ADMIN_SUBJECT_MAX);
	else {
		strcpy(kind, k);
		strcpy(subject, s);
		*body = json_incref((json_t *)b);
		rc = 0;
	}
	json_decref(m);
	return rc;
}

int admin_call(const char *dir, const char *kind, const char *subject, const json_t *body,
	       int *absent, struct err *e)
{
	*absent = 0;
	char *path = fs_join(dir, ADMIN_SOCKET_NAME);
	if (!path)
		return err_nomem(e);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct buf msg, in;
	buf_init(&msg, ADMIN_REQUEST_MAX);
	buf_init(&in, PROTO_RESPONSE_MAX);
	int fd = -1, rc = -1;
	if (strlen(path) >= sizeof a.sun_path) {
		err_set(e, ERR_INPUT, "socket path '%s' is too long", path);
		goto out;
	}
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_errno(e, ERR_IO, "socket");
		goto out;
	}
	struct timeval tv = { 30, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		*absent = errno == ENOENT || errno == ECONNREFUSED;
		err_errno(e, ERR_IO, "cannot reach the signer's operator socket %s", path);
		goto out;
	}
	struct proto_response r;
	if (admin_encode(kind, subject, body, &msg, e) < 0 ||
	    proto_write_frame(fd, msg.data, msg.len, e) < 0 ||
	    proto_read_frame(fd, &in, PROTO_RESPONSE_MAX, e) < 0 ||
	    proto_decode_response(in.data, in.len, &r, e) < 0)
		goto out;
	if (r.status != PROTO_OK) {
		err_set(e, r.status == PROTO_REFUSED ? ERR_VERIFY : ERR_IO, "the signer: %s",
			r.reason);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&msg);
	buf_release(&in);
	mem_free(path);
	return rc;
}
