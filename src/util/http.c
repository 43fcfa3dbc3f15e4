#include "util/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "util/alloc.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/sodium_ready.h"

const char *const HTTP_JSON_ONLY[] = { "application/json", NULL };

static const struct http_problem_info problems[HTTP_PROBLEM_COUNT] = {
	[HTTP_PROBLEM_BAD_REQUEST] = { "bad-request", "Bad request", 400 },
	[HTTP_PROBLEM_BAD_PATH] = { "bad-path", "Bad request path", 400 },
	[HTTP_PROBLEM_MALFORMED_JSON] = { "malformed-json", "Malformed JSON body", 400 },
	[HTTP_PROBLEM_INVALID_FIELD] = { "invalid-field", "Invalid field", 422 },
	[HTTP_PROBLEM_UNAUTHORIZED] = { "unauthorized", "Authentication required", 401 },
	[HTTP_PROBLEM_FORBIDDEN] = { "forbidden", "Forbidden", 403 },
	[HTTP_PROBLEM_CSRF] = { "csrf", "Missing or invalid CSRF token", 403 },
	[HTTP_PROBLEM_NOT_FOUND] = { "not-found", "Not found", 404 },
	[HTTP_PROBLEM_METHOD_NOT_ALLOWED] = { "method-not-allowed", "Method not allowed", 405 },
	[HTTP_PROBLEM_CONFLICT] = { "conflict", "Conflict", 409 },
	[HTTP_PROBLEM_BODY_TOO_LARGE] = { "body-too-large", "Request body too large", 413 },
	[HTTP_PROBLEM_URI_TOO_LONG] = { "uri-too-long", "Request target too long", 414 },
	[HTTP_PROBLEM_UNSUPPORTED_MEDIA_TYPE] = { "unsupported-media-type",
						  "Unsupported media type", 415 },
	[HTTP_PROBLEM_UNPROCESSABLE] = { "unprocessable", "Request cannot be processed", 422 },
	[HTTP_PROBLEM_TOO_MANY_REQUESTS] = { "too-many-requests", "Too many requests", 429 },
	[HTTP_PROBLEM_INTERNAL] = { "internal", "Internal server error", 500 },
	[HTTP_PROBLEM_UNAVAILABLE] = { "unavailable", "Service unavailable", 503 },
	[HTTP_PROBLEM_INVALID_STATE] = { "invalid-state", "Not allowed in this state", 409 },
	[HTTP_PROBLEM_DUPLICATE] = { "duplicate", "Duplicate application", 409 },
	[HTTP_PROBLEM_SLOT_FULL] = { "slot-full", "Slot full", 409 },
	[HTTP_PROBLEM_SEPARATION] = { "separation-of-duties", "Separation of duties", 403 },
	[HTTP_PROBLEM_RATE_LIMITED] = { "rate-limited", "Rate limited", 429 },
};

const struct http_problem_info *http_problem_info(enum http_problem p)
{
	if ((int)p < 0 || p >= HTTP_PROBLEM_COUNT)
		p = HTTP_PROBLEM_INTERNAL;
	return &problems[p];
}

/* ---------------------------------------------------------------- pure functions */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int http_path_decode(const char *raw, size_t rawlen, char *out, size_t outlen, struct err *e)
{
	if (rawlen == 0 || raw[0] != '/')
		return err_set(e, ERR_INPUT, "path does not begin with '/'");
	if (rawlen > HTTP_PATH_MAX)
		return err_set(e, ERR_INPUT, "path longer than %d bytes", HTTP_PATH_MAX);
	size_t o = 0, seg_start = 0;
	for (size_t i = 0; i <= rawlen; i++) {
		if (i == rawlen || raw[i] == '/') {
			/* end of the segment out[seg_start, o) */
			size_t len = o - seg_start;
			const char *seg = out + seg_start;
			if (i > 0 && len == 0 && i != rawlen)
				return err_set(e, ERR_INPUT, "path has an empty segment");
			if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
				return err_set(e, ERR_INPUT, "path has a '.' or '..' segment");
			if (i == rawlen)
				break;
			if (o + 1 >= outlen)
				return err_set(e, ERR_INPUT, "path too long");
			out[o++] = '/';
			seg_start = o;
			continue;
		}
		unsigned char c = (unsigned char)raw[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= rawlen)
				return err_set(e, ERR_INPUT, "path has a truncated percent-escape");
			if ((h = hexval(raw[i + 1])) < 0 || (l = hexval(raw[i + 2])) < 0)
				return err_set(e, ERR_INPUT, "path has a malformed percent-escape");
			c = (unsigned char)(h * 16 + l);
			if (c == '/')
				return err_set(e, ERR_INPUT, "path has an encoded '/'");
			i += 2;
		}
		if (c < 0x21 || c >= 0x7f || c == '\\')
			return err_set(e, ERR_INPUT, "path has a byte that is not allowed (0x%02x)", c);
		if (o + 1 >= outlen)
			return err_set(e, ERR_INPUT, "path too long");
		out[o++] = (char)c;
	}
	out[o] = 0;
	return 0;
}

int http_param_valid(const char *s, size_t len)
{
	if (len == 0 || len > HTTP_PARAM_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || (c == '.' && i > 0)))
			return 0;
	}
	return 1;
}

int http_pattern_check(const char *pattern, struct err *e)
{
	if (!pattern || pattern[0] != '/')
		return err_set(e, ERR_INPUT, "route pattern does not begin with '/'");
	size_t nparams = 0, nseg = 0;
	const char *p = pattern + 1;
	if (!*p)
		return 0; /* "/" */
	for (;;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			return err_set(e, ERR_INPUT, "route pattern '%s' has an empty segment", pattern);
		if (++nseg > HTTP_SEGMENTS_MAX)
			return err_set(e, ERR_INPUT, "route pattern '%s' has too many segments", pattern);
		if (p[0] == '{') {
			if (len < 3 || p[len - 1] != '}' || len - 2 >= sizeof ((struct http_param *)0)->name ||
			    !http_param_valid(p + 1, len - 2) || memchr(p + 1, '.', len - 2) ||
			    ++nparams > HTTP_PARAMS_MAX)
				return err_set(e, ERR_INPUT, "route pattern '%s' has a bad parameter", pattern);
		} else {
			for (size_t i = 0; i < len; i++) {
				char c = p[i];
				if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
					return err_set(e, ERR_INPUT, "route pattern '%s' has a bad character",
						       pattern);
			}
			if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
				return err_set(e, ERR_INPUT, "route pattern '%s' has a dot segment", pattern);
		}
		if (!end)
			return 0;
		p = end + 1;
	}
}

int http_pattern_match(const char *pattern, const char *path, struct http_param *params,
		       size_t *nparams)
{
	size_t np = 0;
	const char *p = pattern, *q = path;
	if (*p != '/' || *q != '/')
		return 0;
	for (;;) {
		p++, q++;
		const char *pe = strchr(p, '/'), *qe = strchr(q, '/');
		size_t pl = pe ? (size_t)(pe - p) : strlen(p);
		size_t ql = qe ? (size_t)(qe - q) : strlen(q);
		if (pl > 0 && p[0] == '{') {
			if (!http_param_valid(q, ql) || np >= HTTP_PARAMS_MAX)
				return 0;
			if (params) {
				size_t nl = pl - 2;
				if (nl >= sizeof params[np].name)
					return 0;
				memcpy(params[np].name, p + 1, nl);
				params[np].name[nl] = 0;
				memcpy(params[np].value, q, ql);
				params[np].value[ql] = 0;
			}
			np++;
		} else if (pl != ql || memcmp(p, q, pl) != 0) {
			return 0;
		}
		if (!pe || !qe) {
			if (pe || qe)
				return 0;
			if (nparams)
				*nparams = np;
			return 1;
		}
		p = pe, q = qe;
	}
}

int http_json_parse(const uint8_t *body, size_t len, json_t **out, struct err *e)
{
	*out = NULL;
	if (len == 0)
		return err_set(e, ERR_INPUT, "request body is empty: expected a JSON object");
	json_error_t jerr;
	json_t *v = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		/* jerr.text may quote the input: only the position is reported */
		return err_set(e, ERR_INPUT, "body is not valid JSON (line %d, column %d)",
			       jerr.line, jerr.column);
	if (!json_is_object(v)) {
		json_decref(v);
		return err_set(e, ERR_INPUT, "body is not a JSON object");
	}
	*out = v;
	return 0;
}

int http_parse_listen(const char *addr, void *ss, unsigned *sslen, int *family, struct err *e)
{
	char host[64];
	const char *port;
	if (!addr || !*addr)
		return err_set(e, ERR_INPUT, "listen address is empty");
	if (addr[0] == '[') {
		const char *rb = strchr(addr, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - addr - 1) >= sizeof host)
			return err_set(e, ERR_INPUT, "listen address '%s' is not [IPv6]:PORT", addr);
		memcpy(host, addr + 1, (size_t)(rb - addr - 1));
		host[rb - addr - 1] = 0;
		port = rb + 2;
		*family = AF_INET6;
	} else {
		const char *colon = strrchr(addr, ':');
		if (!colon || (size_t)(colon - addr) >= sizeof host)
			return err_set(e, ERR_INPUT, "listen address '%s' is not IPv4:PORT", addr);
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = 0;
		port = colon + 1;
		*family = AF_INET;
	}
	unsigned long pn = 0;
	if (!*port || strlen(port) > 5)
		return err_set(e, ERR_INPUT, "listen address '%s' has no valid port", addr);
	for (const char *c = port; *c; c++) {
		if (*c < '0' || *c > '9')
			return err_set(e, ERR_INPUT, "listen address '%s' has no valid port", addr);
		pn = pn * 10 + (unsigned long)(*c - '0');
	}
	if (pn > 65535)
		return err_set(e, ERR_INPUT, "listen address '%s' has no valid port", addr);
	memset(ss, 0, sizeof(struct sockaddr_storage));
	if (*family == AF_INET) {
		struct sockaddr_in *a = ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)pn);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return err_set(e, ERR_INPUT, "listen address '%s' is not an IPv4 address", addr);
		*sslen = sizeof *a;
	} else {
		struct sockaddr_in6 *a = ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)pn);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return err_set(e, ERR_INPUT, "listen address '%s' is not an IPv6 address", addr);
		*sslen = sizeof *a;
	}
	return 0;
}

/* ---------------------------------------------------------------- server */

struct http_server {
	struct MHD_Daemon *d;
	struct http_server_opts o;
	char address[80];
	char rid_prefix[17];
	atomic_uint in_flight;
	atomic_ullong next_id;
	atomic_int quiesced;
	struct metric *m_requests, *m_latency, *m_problems, *m_in_flight;
};

/* One request's state, made by the URI log callback, freed when the request ends. Only
 * the part before raw is zeroed when it is made: raw and path (4 KiB) are written before
 * they are read. */
struct conn_state {
	struct http_server *srv;
	struct http_req req;
	struct http_resp resp;
	int raw_too_long;
	size_t raw_len;              /* strlen of the target MHD gave */
	uintptr_t raw_at;            /* where MHD's copy of the target begins */
	char method[16];
	struct buf body;
	size_t body_max;
	int started;      /* first access-handler call done */
	int too_large;    /* body over the cap: discarding */
	unsigned long long discarded;
	int queued;       /* a response was queued */
	int status;       /* the status queued */
	const char *route_label;
	struct timespec t0;
	int auth_set;
	char raw[HTTP_PATH_MAX + 2]; /* raw request target, truncated */
	char path[HTTP_PATH_MAX + 1];
};

static double elapsed_s(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void resp_release(struct http_resp *r)
{
	buf_release(&r->body);
	for (size_t i = 0; i < r->nheaders; i++) {
		mem_free(r->headers[i].name);
		mem_free(r->headers[i].value);
	}
	r->nheaders = 0;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *srv = cls;
	struct conn_state *cs = mem_alloc(sizeof *cs);
	if (!cs)
		return NULL;
	memset(cs, 0, offsetof(struct conn_state, raw));
	cs->path[0] = 0;
	atomic_fetch_add(&srv->in_flight, 1);
	cs->srv = srv;
	clock_gettime(CLOCK_MONOTONIC, &cs->t0);
	size_t n = strlen(uri);
	cs->raw_len = n;
	cs->raw_at = (uintptr_t)uri;
	if (n > HTTP_PATH_MAX) {
		cs->raw_too_long = 1;
		n = HTTP_PATH_MAX;
	}
	memcpy(cs->raw, uri, n);
	cs->raw[n] = 0;
	cs->route_label = "unmatched";
	buf_init(&cs->body, HTTP_BODY_DEFAULT_MAX);
	buf_init(&cs->resp.body, (size_t)64 << 20);
	cs->resp.status = 200;
	struct http_req *r = &cs->req;
	r->server = srv;
	r->app = srv->o.app;
	r->listener = srv->o.listener;
	r->conn = conn;
	r->path = cs->path;
	r->body = (const uint8_t *)"";
	unsigned long long id = atomic_fetch_add(&srv->next_id, 1);
	snprintf(r->request_id, sizeof r->request_id, "%s-%llx", srv->rid_prefix, id);
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
				  r->client_ip, sizeof r->client_ip);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
				  r->client_ip, sizeof r->client_ip);
	}
	return cs;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct conn_state *cs = *con_cls;
	(void)conn;
	if (!cs)
		return;
	*con_cls = NULL;
	double s = elapsed_s(&cs->t0);
	if (cs->queued) {
		char status[8];
		snprintf(status, sizeof status, "%d", cs->status);
		metrics_add(srv->m_requests, 1, cs->route_label, status);
		metrics_observe(srv->m_latency, s, cs->route_label);
	}
	if (srv->o.log_requests && (cs->queued || toe != MHD_REQUEST_TERMINATED_CLIENT_ABORT ||
				    cs->started))
		log_info("request id=%s method=%s route=%s status=%d ms=%.2f%s",
			 cs->req.request_id, cs->method[0] ? cs->method : "-", cs->route_label,
			 cs->status, s * 1000.0,
			 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
	if (cs->auth_set && srv->o.auth_release)
		srv->o.auth_release(srv->o.auth_cls, cs->req.auth);
	buf_release(&cs->body);
	resp_release(&cs->resp);
	mem_free(cs);
	atomic_fetch_sub(&srv->in_flight, 1);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = 0;
	log_debug("microhttpd: %s", msg);
}

/* ---- responses ---- */

int http_resp_header(struct http_resp *resp, const char *name, const char *value)
{
	if (resp->nheaders >= HTTP_HEADERS_MAX || strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return -1;
	char *n = mem_strdup(name), *v = mem_strdup(value);
	if (!n || !v) {
		mem_free(n);
		mem_free(v);
		return -1;
	}
	resp->headers[resp->nheaders].name = n;
	resp->headers[resp->nheaders].value = v;
	resp->nheaders++;
	return 0;
}

static const char *resp_header_get(const struct http_resp *resp, const char *name)
{
	for (size_t i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

int http_problem(struct http_req *req, struct http_resp *resp, enum http_problem kind,
		 const char *detail_fmt, ...)
{
	const struct http_problem_info *pi = http_problem_info(kind);
	char detail[512] = "";
	if (detail_fmt) {
		va_list ap;
		va_start(ap, detail_fmt);
		vsnprintf(detail, sizeof detail, detail_fmt, ap);
		va_end(ap);
	}
	resp->problem = 1;
	resp->problem_kind = (int)kind;
	resp->status = pi->status;
	snprintf(resp->content_type, sizeof resp->content_type, "application/problem+json");
	buf_reset(&resp->body);
	resp->body.failed = 0;
	char type[128], instance[80];
	snprintf(type, sizeof type, HTTP_PROBLEM_BASE "%s", pi->slug);
	snprintf(instance, sizeof instance, "urn:paspor:request:%s", req ? req->request_id : "-");
	json_t *j = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title", pi->title,
			      "status", pi->status, "detail", detail[0] ? detail : pi->title,
			      "instance", instance);
	int ok = 0;
	if (j) {
		size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT);
		if (n > 0 && buf_grow(&resp->body, n) == 0 &&
		    json_dumpb(j, (char *)resp->body.data, n, JSON_COMPACT) == n) {
			resp->body.len = n;
			resp->body.data[n] = 0;
			ok = 1;
		}
		json_decref(j);
	}
	if (!ok) {
		buf_reset(&resp->body);
		resp->body.failed = 0;
		buf_addf(&resp->body, "{\"type\":\"%s\",\"title\":\"%s\",\"status\":%d}", type,
			 pi->title, pi->status);
	}
	if (req && req->server)
		metrics_add(req->server->m_problems, 1, pi->slug);
	return -1;
}

/* Room for most answers: they are serialised once, straight into the buffer; a larger
 * one is serialised a second time once its size is known. */
#define HTTP_RESP_JSON_ROOM 1024

int http_resp_json(struct http_resp *resp, int status, const json_t *v)
{
	buf_reset(&resp->body);
	resp->body.failed = 0;
	size_t room = 0;
	if (buf_grow(&resp->body, HTTP_RESP_JSON_ROOM - 1) == 0)
		room = resp->body.cap - 1;
	resp->body.failed = 0;
	size_t n = json_dumpb(v, room ? (char *)resp->body.data : NULL, room, JSON_COMPACT);
	if (n == 0 || (n > room && buf_grow(&resp->body, n) < 0)) {
		err_set(&resp->err, ERR_NOMEM, "cannot serialize the response");
		return -1;
	}
	if (n > room && json_dumpb(v, (char *)resp->body.data, n, JSON_COMPACT) != n) {
		err_set(&resp->err, ERR_INTERNAL, "cannot serialize the response");
		return -1;
	}
	resp->body.len = n;
	resp->body.data[n] = 0;
	resp->status = status;
	snprintf(resp->content_type, sizeof resp->content_type, "application/json");
	return 0;
}

int http_resp_bytes(struct http_resp *resp, int status, const char *content_type,
		    const void *data, size_t len)
{
	buf_reset(&resp->body);
	resp->body.failed = 0;
	if (buf_add(&resp->body, data, len) < 0) {
		err_set(&resp->err, ERR_NOMEM, "response too large");
		return -1;
	}
	resp->status = status;
	snprintf(resp->content_type, sizeof resp->content_type, "%s", content_type);
	return 0;
}

/* ---- requests ---- */

const char *http_req_param(const struct http_req *req, const char *name)
{
	for (size_t i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	return NULL;
}

const char *http_req_query(const struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_req_header(const struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_req_cookie(const struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

int http_req_json(struct http_req *req, struct http_resp *resp, json_t **out)
{
	struct err e = ERR_INIT;
	if (http_json_parse(req->body, req->body_len, out, &e) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_MALFORMED_JSON, "%s", e.msg);
	return 0;
}

/* ---- the access handler ---- */

static int queue(struct conn_state *cs, struct MHD_Connection *conn)
{
	struct http_resp *r = &cs->resp;
	size_t len = 0;
	uint8_t *data = buf_detach(&r->body, &len);
	struct MHD_Response *mr;
	if (data)
		mr = MHD_create_response_from_buffer_with_free_callback(len, data, mem_free);
	else
		mr = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!mr) {
		mem_free(data);
		return MHD_NO;
	}
	if (len > 0 || r->content_type[0])
		MHD_add_response_header(mr, "Content-Type",
					r->content_type[0] ? r->content_type : "application/json");
	MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(mr, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(mr, "X-Frame-Options", "DENY");
	MHD_add_response_header(mr, "X-Request-Id", cs->req.request_id);
	if (!resp_header_get(r, "Content-Security-Policy"))
		MHD_add_response_header(mr, "Content-Security-Policy", HTTP_CSP_DEFAULT);
	if (!resp_header_get(r, "Cache-Control"))
		MHD_add_response_header(mr, "Cache-Control", "no-store");
	for (size_t i = 0; i < r->nheaders; i++)
		MHD_add_response_header(mr, r->headers[i].name, r->headers[i].value);
	if (atomic_load(&cs->srv->quiesced))
		MHD_add_response_header(mr, "Connection", "close");
	int status = r->status >= 100 && r->status <= 599 ? r->status : 500;
	enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, mr);
	MHD_destroy_response(mr);
	cs->queued = 1;
	cs->status = status;
	return rc == MHD_YES ? MHD_YES : MHD_NO;
}

static int problem_queue(struct conn_state *cs, struct MHD_Connection *conn,
			 enum http_problem kind, const char *detail)
{
	resp_release(&cs->resp);
	http_problem(&cs->req, &cs->resp, kind, detail ? "%s" : NULL, detail);
	return queue(cs, conn);
}

static int method_is(const char *m, const char *want)
{
	return strcmp(m, want) == 0;
}

/* Routing on the first call: 0 to go on, or the MHD result of a queued error. */
static int route_request(struct conn_state *cs, struct MHD_Connection *conn, const char *method,
			 const char *version, int *done)
{
	struct http_server *srv = cs->srv;
	struct http_req *req = &cs->req;
	*done = 1;
	if (cs->raw_too_long)
		return problem_queue(cs, conn, HTTP_PROBLEM_URI_TOO_LONG, NULL);
	/* MHD hands the target over as a C string: a raw NUL byte in it would silently cut
	 * it short. MHD parses the request line in place, "METHOD SP target SP version",
	 * so the version follows the whole target: a gap means a NUL inside it. */
	uintptr_t v = (uintptr_t)version;
	if (v > cs->raw_at && v - cs->raw_at < (uintptr_t)1 << 20 &&
	    v - cs->raw_at - 1 > cs->raw_len)
		return problem_queue(cs, conn, HTTP_PROBLEM_BAD_PATH,
				     "request target has a NUL byte");
	const char *q = strchr(cs->raw, '?');
	size_t rawlen = q ? (size_t)(q - cs->raw) : strlen(cs->raw);
	struct err e = ERR_INIT;
	if (http_path_decode(cs->raw, rawlen, cs->path, sizeof cs->path, &e) < 0)
		return problem_queue(cs, conn, HTTP_PROBLEM_BAD_PATH, e.msg);
	const char *m = method_is(method, "HEAD") ? "GET" : method;
	const struct http_route *found = NULL;
	char allow[96] = "";
	int path_known = 0;
	for (size_t i = 0; i < srv->o.nroutes; i++) {
		const struct http_route *rt = &srv->o.routes[i];
		if (srv->o.listener == HTTP_LISTENER_PUBLIC && !(rt->flags & HTTP_ROUTE_PUBLIC))
			continue;
		if (!http_pattern_match(rt->pattern, cs->path, NULL, NULL))
			continue;
		path_known = 1;
		if (strlen(allow) + strlen(rt->method) + 8 < sizeof allow) {
			if (allow[0])
				strcat(allow, ", ");
			strcat(allow, rt->method);
			if (method_is(rt->method, "GET"))
				strcat(allow, ", HEAD");
		}
		if (!found && strcmp(rt->method, m) == 0)
			found = rt;
	}
	if (!path_known)
		return problem_queue(cs, conn, HTTP_PROBLEM_NOT_FOUND, "no such resource");
	if (!found) {
		cs->route_label = "unmatched";
		resp_release(&cs->resp);
		http_problem(req, &cs->resp, HTTP_PROBLEM_METHOD_NOT_ALLOWED,
			     "method not allowed here; see Allow");
		http_resp_header(&cs->resp, "Allow", allow);
		return queue(cs, conn);
	}
	req->route = found;
	cs->route_label = found->pattern;
	http_pattern_match(found->pattern, cs->path, req->params, &req->nparams);

	/* body: content type and declared length */
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
	int chunked = te && strcasestr(te, "chunked");
	unsigned long long declared = 0;
	if (cl) {
		char *end;
		errno = 0;
		declared = strtoull(cl, &end, 10);
		if (errno || end == cl || *end || cl[0] == '-')
			return problem_queue(cs, conn, HTTP_PROBLEM_BAD_REQUEST,
					     "Content-Length is not a number");
	}
	int has_body = declared > 0 || chunked;
	if (ct) {
		size_t n = strcspn(ct, ";");
		while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
			n--;
		if (n >= sizeof req->content_type)
			n = sizeof req->content_type - 1;
		for (size_t i = 0; i < n; i++) {
			char c = ct[i];
			req->content_type[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
		req->content_type[n] = 0;
	}
	if (!found->media_types) {
		if (has_body)
			return problem_queue(cs, conn, HTTP_PROBLEM_BODY_TOO_LARGE,
					     "this resource takes no request body");
	} else if (has_body || ct) {
		int ok = 0;
		for (const char *const *t = found->media_types; *t; t++)
			if (strcmp(req->content_type, *t) == 0)
				ok = 1;
		if (!ok)
			return problem_queue(cs, conn, HTTP_PROBLEM_UNSUPPORTED_MEDIA_TYPE,
					     found->media_types[0] && !found->media_types[1]
						     ? "expected Content-Type application/json or the "
						       "type this resource documents"
						     : "Content-Type not accepted by this resource");
	}
	cs->body_max = found->body_max ? found->body_max : HTTP_BODY_DEFAULT_MAX;
	cs->body.max = cs->body_max;
	if (declared > cs->body_max)
		return problem_queue(cs, conn, HTTP_PROBLEM_BODY_TOO_LARGE,
				     "request body larger than this resource accepts");

	/* authorization, before any body byte is read */
	if (!(found->flags & HTTP_ROUTE_ANON)) {
		if (!srv->o.authorize)
			return problem_queue(cs, conn, HTTP_PROBLEM_UNAUTHORIZED, NULL);
		int rc = srv->o.authorize(srv->o.auth_cls, req, found, &cs->resp);
		cs->auth_set = 1;
		if (rc != 0) {
			if (!cs->resp.problem)
				http_problem(req, &cs->resp, HTTP_PROBLEM_FORBIDDEN, NULL);
			return queue(cs, conn);
		}
	}
	*done = 0;
	return MHD_YES;
}

static void run_handler(struct conn_state *cs)
{
	struct http_req *req = &cs->req;
	struct http_resp *resp = &cs->resp;
	req->body = cs->body.data ? cs->body.data : (const uint8_t *)"";
	req->body_len = cs->body.len;
	int rc = req->route->handler(req, resp);
	if (rc == 0 && !buf_ok(&resp->body)) {
		rc = -1;
		err_set(&resp->err, ERR_NOMEM, "response body too large");
	}
	if (rc == 0 || resp->problem)
		return;
	if (resp->err.code == ERR_INPUT) {
		http_problem(req, resp, HTTP_PROBLEM_BAD_REQUEST, "%s", resp->err.msg);
		return;
	}
	log_warnx("request id=%s route=%s: %s", req->request_id, req->route->pattern,
		  resp->err.msg[0] ? resp->err.msg : "handler failed");
	resp_release(resp);
	http_problem(req, resp, resp->err.code == ERR_NOMEM ? HTTP_PROBLEM_UNAVAILABLE
							     : HTTP_PROBLEM_INTERNAL, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	(void)cls;
	(void)url;
	struct conn_state *cs = *con_cls;
	if (!cs)
		return MHD_NO; /* out of memory in on_uri: close */
	if (cs->queued) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!cs->started) {
		cs->started = 1;
		snprintf(cs->method, sizeof cs->method, "%s", method);
		for (char *c = cs->method; *c; c++)
			if (*c < 'A' || *c > 'Z')
				*c = '?';
		cs->req.method = cs->method;
		int done;
		int rc = route_request(cs, conn, method, version, &done);
		return done ? (enum MHD_Result)rc : MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (!cs->too_large && buf_add(&cs->body, upload_data, n) < 0)
			cs->too_large = 1;
		if (cs->too_large) {
			cs->discarded += n;
			if (cs->discarded > 4 * (unsigned long long)cs->body_max)
				return MHD_NO;
		}
		return MHD_YES;
	}
	if (cs->too_large)
		return (enum MHD_Result)problem_queue(cs, conn, HTTP_PROBLEM_BODY_TOO_LARGE,
						      "request body larger than this resource accepts");
	run_handler(cs);
	return (enum MHD_Result)queue(cs, conn);
}

int http_server_start(struct http_server **out, const struct http_server_opts *o, struct err *e)
{
	*out = NULL;
	for (size_t i = 0; i < o->nroutes; i++) {
		if (http_pattern_check(o->routes[i].pattern, e) < 0)
			return -1;
		if (!o->routes[i].handler || !o->routes[i].method)
			return err_set(e, ERR_INPUT, "route '%s' has no handler or method",
				       o->routes[i].pattern);
	}
	if (o->threads < 1 || o->threads > 64)
		return err_set(e, ERR_INPUT, "threads must be 1 to 64");
	struct sockaddr_storage ss;
	unsigned sslen;
	int family;
	if (http_parse_listen(o->listen, &ss, &sslen, &family, e) < 0)
		return -1;
	if (libsodium_ready(e) < 0)
		return -1;
	struct http_server *s = mem_calloc(1, sizeof *s);
	if (!s)
		return err_nomem(e);
	s->o = *o;
	uint8_t rnd[8];
	randombytes_buf(rnd, sizeof rnd);
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(s->rid_prefix + 2 * i, 3, "%02x", rnd[i]);
	if (o->metrics) {
		s->m_requests = metrics_counter(o->metrics, "paspor_http_requests_total",
						"HTTP requests answered, by route pattern and status",
						"route", "status");
		s->m_latency = metrics_histogram(o->metrics, "paspor_http_request_duration_seconds",
						 "HTTP request latency, by route pattern",
						 METRICS_LATENCY_BUCKETS, METRICS_LATENCY_NBUCKETS,
						 "route", NULL);
		s->m_problems = metrics_counter(o->metrics, "paspor_http_problems_total",
						"problem+json responses, by problem type", "type",
						NULL);
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC;
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)o->conn_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)o->per_ip_limit, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_URI_LOG_CALLBACK, on_uri,
		s, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s, MHD_OPTION_LISTENING_ADDRESS_REUSE,
		(unsigned)1, MHD_OPTION_END);
	if (!s->d) {
		mem_free(s);
		return err_set(e, ERR_IO, "cannot listen on %s (address in use or not available?)",
			       o->listen);
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = di ? di->port : 0;
	char host[64] = "";
	if (family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
	snprintf(s->address, sizeof s->address, family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
		 port);
	*out = s;
	return 0;
}

const char *http_server_address(const struct http_server *s)
{
	return s->address;
}

unsigned http_server_in_flight(const struct http_server *s)
{
	return atomic_load(&((struct http_server *)s)->in_flight);
}

void http_server_quiesce(struct http_server *s)
{
	if (!s || atomic_exchange(&s->quiesced, 1))
		return;
	MHD_socket fd = MHD_quiesce_daemon(s->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

void http_server_stop(struct http_server *s, unsigned wait_ms)
{
	if (!s)
		return;
	http_server_quiesce(s);
	for (unsigned waited = 0; waited < wait_ms && atomic_load(&s->in_flight) > 0; waited += 10) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(s->d);
	mem_free(s);
}
