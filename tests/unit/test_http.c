/*
 * http: the pure parts of the HTTP wrapper — request path decoding and its refusals
 * (RFC 3986 percent-encoding; dot segments, encoded '/', NUL, control bytes), route
 * parameters, pattern checks and matching, JSON bodies, listen addresses, the problem
 * table (stable slugs, RFC 9457 fields) — and one real server on a free port driven
 * through a socket.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "util/http.h"
#include "util/metrics.h"

static int decode(const char *raw, char *out, size_t n)
{
	struct err e = ERR_INIT;
	return http_path_decode(raw, strlen(raw), out, n, &e);
}

TEST(http_path_decode_accepts)
{
	char out[256];
	CHECK_INT_EQ(decode("/", out, sizeof out), 0);
	CHECK_STR_EQ(out, "/");
	CHECK_INT_EQ(decode("/api/v1/bookings/AB12-cd_3", out, sizeof out), 0);
	CHECK_STR_EQ(out, "/api/v1/bookings/AB12-cd_3");
	CHECK_INT_EQ(decode("/a%41%7e", out, sizeof out), 0); /* RFC 3986 2.1: %41 is 'A' */
	CHECK_STR_EQ(out, "/aA~");
	CHECK_INT_EQ(decode("/a/", out, sizeof out), 0); /* trailing slash: no route, 404 */
	CHECK_STR_EQ(out, "/a/");
	CHECK_INT_EQ(decode("/a/...", out, sizeof out), 0); /* not a dot segment */
}

TEST(http_path_decode_refuses)
{
	static const char *const bad[] = {
		"", "a", "//", "/a//b", "/.", "/..", "/a/../b", "/a/./b", "/a/%2e%2e/b", "/a/%2E%2e",
		"/a/.%2e", "/a%2fb", "/a%2Fb", "/a%00b", "/%00", "/a%0a", "/a%0d%0ab", "/a%5cb",
		"/a\\b", "/a b", "/a\tb", "/a%20b", "/a%", "/a%4", "/a%zz", "/a%4g", "/caf%c3%a9",
		"/\x7f", "/\x80", "/a%7f",
	};
	char out[256];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (decode(bad[i], out, sizeof out) != -1) {
			test_fail(__FILE__, __LINE__, "path '%s' accepted", bad[i]);
			return;
		}
	}
	char longp[HTTP_PATH_MAX + 2];
	memset(longp, 'a', sizeof longp - 1);
	longp[0] = '/';
	longp[sizeof longp - 1] = 0;
	char big[HTTP_PATH_MAX + 8];
	CHECK_INT_EQ(decode(longp, big, sizeof big), -1);
	CHECK_INT_EQ(decode("/abcdef", out, 4), -1); /* output too small */
}

TEST(http_params)
{
	CHECK(http_param_valid("aZ09_-", 6));
	CHECK(!http_param_valid("", 0));
	CHECK(http_param_valid("EF.SOD", 6)); /* a dot inside: file names (chip files) */
	CHECK(!http_param_valid(".", 1));
	CHECK(!http_param_valid("..", 2));
	CHECK(!http_param_valid(".a", 2));
	CHECK(!http_param_valid("a/b", 3));
	CHECK(!http_param_valid("a b", 3));
	CHECK(!http_param_valid("a\0b", 3));
	char p[HTTP_PARAM_MAX + 1];
	memset(p, 'x', sizeof p);
	CHECK(http_param_valid(p, HTTP_PARAM_MAX));
	CHECK(!http_param_valid(p, HTTP_PARAM_MAX + 1));
}

TEST(http_patterns)
{
	struct err e = ERR_INIT;
	CHECK_INT_EQ(http_pattern_check("/", &e), 0);
	CHECK_INT_EQ(http_pattern_check("/healthz", &e), 0);
	CHECK_INT_EQ(http_pattern_check("/api/v1/bookings/{code}/photo.jpg", &e), 0);
	CHECK_INT_EQ(http_pattern_check("/a/{x}/{y}/{z}/{w}", &e), 0);
	static const char *const bad[] = { "", "a", "//", "/a/", "/{}", "/{a", "/{a.b}", "/..",
					   "/a b", "/a/{x}/{y}/{z}/{w}/{v}", "/{x}y" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err_clear(&e);
		if (http_pattern_check(bad[i], &e) != -1) {
			test_fail(__FILE__, __LINE__, "pattern '%s' accepted", bad[i]);
			return;
		}
	}
	struct http_param ps[HTTP_PARAMS_MAX];
	size_t n = 9;
	CHECK_INT_EQ(http_pattern_match("/api/v1/bookings/{code}/slots/{day}",
					"/api/v1/bookings/AB-12/slots/2026_01", ps, &n), 1);
	CHECK_INT_EQ(n, 2);
	CHECK_STR_EQ(ps[0].name, "code");
	CHECK_STR_EQ(ps[0].value, "AB-12");
	CHECK_STR_EQ(ps[1].name, "day");
	CHECK_STR_EQ(ps[1].value, "2026_01");
	CHECK_INT_EQ(http_pattern_match("/healthz", "/healthz", NULL, NULL), 1);
	CHECK_INT_EQ(http_pattern_match("/healthz", "/healthz/", NULL, NULL), 0);
	CHECK_INT_EQ(http_pattern_match("/healthz", "/health", NULL, NULL), 0);
	CHECK_INT_EQ(http_pattern_match("/a/{x}", "/a", NULL, NULL), 0);
	CHECK_INT_EQ(http_pattern_match("/a/{x}", "/a/", NULL, NULL), 0);
	CHECK_INT_EQ(http_pattern_match("/a/{x}", "/a/b/c", NULL, NULL), 0);
	CHECK_INT_EQ(http_pattern_match("/a/{x}", "/a/b.c", NULL, NULL), 1); /* EF.SOD */
	CHECK_INT_EQ(http_pattern_match("/a/{x}", "/a/.c", NULL, NULL), 0);
	CHECK_INT_EQ(http_pattern_match("/a/{x}/c", "/a/b/c", NULL, NULL), 1);
	CHECK_INT_EQ(http_pattern_match("/", "/", NULL, NULL), 1);
}

TEST(http_json_bodies)
{
	static const char *const bad[] = { "", "{", "{\"a\":", "[1]", "\"s\"", "1", "null",
					   "{\"a\":1,\"a\":2}", "{\"a\":1} x", "{\"a\":\"\\u0000\"}",
					   "{\"a\":\"\xff\"}", "{'a':1}", "{\"a\":01}" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct err e = ERR_INIT;
		json_t *v = (json_t *)1;
		if (http_json_parse((const uint8_t *)bad[i], strlen(bad[i]), &v, &e) != -1 || v ||
		    e.code != ERR_INPUT) {
			test_fail(__FILE__, __LINE__, "body '%s' accepted", bad[i]);
			return;
		}
	}
	struct err e = ERR_INIT;
	json_t *v;
	const char *ok = "{\"nik\": \"3201234567890001\", \"n\": [1, {\"b\": null}]}";
	CHECK_INT_EQ(http_json_parse((const uint8_t *)ok, strlen(ok), &v, &e), 0);
	CHECK(json_is_object(v));
	json_decref(v);
	/* the message names the position, never the bytes around it */
	const char *pii = "{\"nik\": 3201234567890001x}";
	CHECK_INT_EQ(http_json_parse((const uint8_t *)pii, strlen(pii), &v, &e), -1);
	CHECK(strstr(e.msg, "line 1"));
	CHECK(!strstr(e.msg, "3201"));
}

TEST(http_listen_addresses)
{
	struct sockaddr_storage ss;
	unsigned len;
	int fam;
	struct err e = ERR_INIT;
	CHECK_INT_EQ(http_parse_listen("127.0.0.1:8080", &ss, &len, &fam, &e), 0);
	CHECK_INT_EQ(fam, AF_INET);
	CHECK_INT_EQ(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
	CHECK_INT_EQ(http_parse_listen("[::1]:0", &ss, &len, &fam, &e), 0);
	CHECK_INT_EQ(fam, AF_INET6);
	static const char *const bad[] = { "", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
					   "localhost:80", "::1:80", "[::1]80", "[::1]:x", "1.2.3:80",
					   "127.0.0.1:-1", "127.0.0.1:123456" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err_clear(&e);
		if (http_parse_listen(bad[i], &ss, &len, &fam, &e) != -1) {
			test_fail(__FILE__, __LINE__, "address '%s' accepted", bad[i]);
			return;
		}
	}
}

TEST(http_problem_table)
{
	/* every kind has a distinct slug, a title and a 4xx/5xx status */
	for (int i = 0; i < HTTP_PROBLEM_COUNT; i++) {
		const struct http_problem_info *p = http_problem_info((enum http_problem)i);
		CHECK(p->slug && p->title && p->status >= 400 && p->status <= 599);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(p->slug, http_problem_info((enum http_problem)j)->slug) != 0);
	}
	CHECK_INT_EQ(http_problem_info(HTTP_PROBLEM_BODY_TOO_LARGE)->status, 413);
	CHECK_STR_EQ(http_problem_info(HTTP_PROBLEM_BODY_TOO_LARGE)->slug, "body-too-large");
	struct http_resp r;
	memset(&r, 0, sizeof r);
	buf_init(&r.body, 1 << 16);
	struct http_req q;
	memset(&q, 0, sizeof q);
	snprintf(q.request_id, sizeof q.request_id, "abc-1");
	CHECK_INT_EQ(http_problem(&q, &r, HTTP_PROBLEM_UNSUPPORTED_MEDIA_TYPE, "need %s", "json"), -1);
	CHECK_INT_EQ(r.status, 415);
	CHECK_STR_EQ(r.content_type, "application/problem+json");
	json_error_t je;
	json_t *v = json_loadb((const char *)r.body.data, r.body.len, 0, &je);
	CHECK(v);
	CHECK_STR_EQ(json_string_value(json_object_get(v, "type")),
		     "https://paspor.example/problems/unsupported-media-type");
	CHECK_STR_EQ(json_string_value(json_object_get(v, "title")), "Unsupported media type");
	CHECK_INT_EQ(json_integer_value(json_object_get(v, "status")), 415);
	CHECK_STR_EQ(json_string_value(json_object_get(v, "detail")), "need json");
	CHECK_STR_EQ(json_string_value(json_object_get(v, "instance")), "urn:paspor:request:abc-1");
	json_decref(v);
	buf_release(&r.body);
}

/* A JSON answer is the compact dump of the value, whatever its size: below, at and
 * above the room serialised in one pass, and after a larger answer in the same buffer;
 * a buffer whose cap is too small fails with ERR_NOMEM. */
TEST(http_resp_json_sizes)
{
	static const size_t sizes[] = { 0, 1, 1000, 1014, 1015, 1016, 5000, 70000, 10 };
	struct http_resp r;
	memset(&r, 0, sizeof r);
	buf_init(&r.body, 1 << 20);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		/* {"s":"xxx…"}: 8 bytes around the string */
		char *x = malloc(sizes[i] + 1);
		memset(x, 'x', sizes[i]);
		x[sizes[i]] = '\0';
		json_t *j = json_pack("{s:s}", "s", x);
		char *want = json_dumps(j, JSON_COMPACT);
		CHECK_INT_EQ(http_resp_json(&r, 201, j), 0);
		CHECK_INT_EQ(r.status, 201);
		CHECK_INT_EQ(r.body.len, strlen(want));
		CHECK_STR_EQ((const char *)r.body.data, want);
		CHECK_STR_EQ(r.content_type, "application/json");
		free(want);
		json_decref(j);
		free(x);
	}
	buf_release(&r.body);
	buf_init(&r.body, 100);
	json_t *big = json_pack("{s:s}", "s", "a string longer than the buffer may hold, by far"
				"                                                          ");
	CHECK_INT_EQ(http_resp_json(&r, 200, big), -1);
	CHECK_INT_EQ(r.err.code, ERR_NOMEM);
	json_decref(big);
	buf_release(&r.body);
}

static int hello(struct http_req *req, struct http_resp *resp)
{
	json_t *j = json_pack("{s:s}", "id", http_req_param(req, "id"));
	int rc = http_resp_json(resp, 200, j);
	json_decref(j);
	return rc;
}

static int fails(struct http_req *req, struct http_resp *resp)
{
	(void)req;
	return err_set(&resp->err, ERR_IO, "disk on fire");
}

/* Sends a raw request, returns the response (up to n bytes) in out. */
static void roundtrip(const char *addr, const char *request, char *out, size_t n)
{
	unsigned port = (unsigned)atoi(strrchr(addr, ':') + 1);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { 0 };
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	out[0] = 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return;
	}
	(void)!write(fd, request, strlen(request));
	size_t got = 0;
	ssize_t r;
	while (got + 1 < n && (r = read(fd, out + got, n - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = 0;
	close(fd);
}

TEST(http_server_roundtrip)
{
	static const struct http_route routes[] = {
		{ "GET", "/items/{id}", hello, HTTP_ROUTE_ANON | HTTP_ROUTE_PUBLIC, 0, 0, NULL },
		{ "GET", "/fails", fails, HTTP_ROUTE_ANON, 0, 0, NULL },
		{ "GET", "/private", hello, 0, 1, 0, NULL },
	};
	struct metrics *m = metrics_new();
	struct http_server_opts o = HTTP_SERVER_OPTS_INIT;
	o.listen = "127.0.0.1:0";
	o.routes = routes;
	o.nroutes = 3;
	o.threads = 2;
	o.metrics = m;
	o.log_requests = 0;
	o.listener = HTTP_LISTENER_PUBLIC;
	struct http_server *s;
	struct err e = ERR_INIT;
	CHECK_INT_EQ(http_server_start(&s, &o, &e), 0);
	const char *addr = http_server_address(s);
	CHECK(strncmp(addr, "127.0.0.1:", 10) == 0 && atoi(addr + 10) > 0);
	char out[8192];
	roundtrip(addr, "GET /items/x-1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", out, sizeof out);
	CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);
	CHECK(strstr(out, "{\"id\":\"x-1\"}"));
	CHECK(strstr(out, "X-Content-Type-Options: nosniff\r\n"));
	/* a handler's I/O failure is a 500 whose body does not carry the message */
	roundtrip(addr, "GET /fails HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", out, sizeof out);
	CHECK(strncmp(out, "HTTP/1.1 404", 12) == 0); /* not public: does not exist here */
	roundtrip(addr, "GET /items/%2e%2e HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", out, sizeof out);
	CHECK(strncmp(out, "HTTP/1.1 400", 12) == 0);
	CHECK(strstr(out, "application/problem+json"));
	http_server_stop(s, 1000);

	o.listener = HTTP_LISTENER_OFFICER;
	CHECK_INT_EQ(http_server_start(&s, &o, &e), 0);
	addr = http_server_address(s);
	roundtrip(addr, "GET /fails HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", out, sizeof out);
	CHECK(strncmp(out, "HTTP/1.1 500", 12) == 0);
	CHECK(strstr(out, "/problems/internal"));
	CHECK(!strstr(out, "disk on fire"));
	roundtrip(addr, "GET /private HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", out, sizeof out);
	CHECK(strncmp(out, "HTTP/1.1 401", 12) == 0);
	http_server_stop(s, 1000);
	struct buf b;
	buf_init(&b, 1 << 20);
	metrics_render(m, &b);
	CHECK(strstr(buf_str(&b), "paspor_http_requests_total{route=\"/fails\",status=\"500\"} 1\n"));
	CHECK(strstr(buf_str(&b), "paspor_http_problems_total{type=\"internal\"} 1\n"));
	buf_release(&b);
	metrics_free(m);
}
