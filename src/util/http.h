/*
 * http — a thin HTTP server over libmicrohttpd (MHD 0.9.75) with a route table, bounded
 * request bodies, security headers and RFC 9457 problem+json errors (docs/HTTP.md).
 *
 *   static const struct http_route routes[] = {
 *       { "GET", "/healthz", healthz, HTTP_ROUTE_PUBLIC | HTTP_ROUTE_ANON, 0, 0, NULL },
 *       { "POST", "/api/v1/bookings/{code}", book, HTTP_ROUTE_PUBLIC | HTTP_ROUTE_ANON,
 *         0, 0, HTTP_JSON_ONLY },
 *   };
 *   struct http_server_opts o = HTTP_SERVER_OPTS_INIT;
 *   o.listen = "127.0.0.1:8080"; o.routes = routes; o.nroutes = 2; o.app = ctx;
 *   http_server_start(&srv, &o, &e);   ...   http_server_stop(srv, 10000);
 *
 * One struct http_server is one listener (one address, one MHD daemon with a pool of
 * threads using epoll). A server built with HTTP_LISTENER_PUBLIC serves only the routes
 * flagged HTTP_ROUTE_PUBLIC: the others do not exist there (404, never 403).
 *
 * Requests. The raw request target is checked before anything else: at most
 * HTTP_PATH_MAX bytes, percent-escapes well formed, no decoded NUL, control byte, '\\',
 * no empty, "." or ".." segment and no encoded '/' — else a 400 "bad-path" problem. The
 * decoded path is then matched against the route table: a literal segment matches
 * itself, a {name} segment matches 1…HTTP_PARAM_MAX bytes of [A-Za-z0-9_.-] only (no leading dot). No
 * route with that path: 404; a route with that path but not that method: 405 with Allow
 * (HEAD is served as GET without a body). A route accepting a body declares its media
 * types (others: 415) and its cap (body_max; 0 means HTTP_BODY_DEFAULT_MAX): a declared
 * Content-Length over the cap is answered 413 before any body byte is read; a chunked
 * body is counted while it streams in and, once over the cap, the rest is discarded
 * unread into memory and 413 is answered (a client that keeps sending past 4 × the cap
 * is disconnected). A route without media types takes no body (413 if one is sent).
 *
 * Authorization. When the server has an authorize hook, it runs before every handler
 * whose route is not HTTP_ROUTE_ANON, with the route (its role_mask says who may call
 * it); it returns 0 to go on (it may set req->auth, freed by auth_release after the
 * response), or -1 after writing a 401/403 problem (403 if it wrote none). Without a
 * hook, non-anonymous routes answer 401: the server fails closed.
 *
 * Handlers. `int handler(struct http_req *, struct http_resp *)` fills resp (status,
 * body, extra headers) and returns 0. Returning -1: if the handler wrote a problem, that
 * problem is sent; else resp->err decides — ERR_INPUT becomes a 400 problem with the
 * message as detail, anything else a 500 "internal" problem whose message goes to the
 * log, not to the client. A failure inside the wrapper (out of memory) is a 500 or 503;
 * it never stops the server.
 *
 * Every response carries X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer,
 * Content-Security-Policy (HTTP_CSP_DEFAULT unless the handler set one), X-Frame-Options:
 * DENY, X-Request-Id, and Cache-Control: no-store unless the handler set one. One line is
 * logged per request (util/log.h): method, route pattern (never the raw path), status,
 * duration, request id — never bodies, query strings, cookies or headers.
 *
 * Shutdown: http_server_quiesce stops accepting (the listening socket is closed);
 * http_server_stop waits up to a bound for requests in flight, then stops MHD (which
 * waits for handlers still running) and frees the server.
 *
 * Ownership: the server borrows opts->routes, opts->app and the metrics registry, which
 * must outlive it. struct http_req and everything it points to belong to the wrapper and
 * live until the response is sent. Errors of http_server_start: ERR_INPUT (bad address
 * or route pattern), ERR_IO (cannot listen), ERR_NOMEM.
 */
#ifndef PASPOR_UTIL_HTTP_H
#define PASPOR_UTIL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/buf.h"
#include "util/err.h"

struct metrics;
struct http_server;
struct http_req;
struct http_resp;

#define HTTP_PATH_MAX 2048          /* raw request target (path and query) */
#define HTTP_SEGMENTS_MAX 16        /* path segments */
#define HTTP_PARAM_MAX 64           /* bytes of one {param} */
#define HTTP_PARAMS_MAX 4           /* {params} in one pattern */
#define HTTP_BODY_DEFAULT_MAX ((size_t)64 << 10)
#define HTTP_HEADERS_MAX 8          /* extra response headers a handler may add */
#define HTTP_CSP_DEFAULT "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#define HTTP_PROBLEM_BASE "https://paspor.example/problems/"

/* The problem kinds: a stable type URI (HTTP_PROBLEM_BASE + slug), a title and a
 * status each. docs/HTTP.md has the table; add rows at the end, never reuse a slug. */
enum http_problem {
	HTTP_PROBLEM_BAD_REQUEST,      /* 400 bad-request */
	HTTP_PROBLEM_BAD_PATH,         /* 400 bad-path */
	HTTP_PROBLEM_MALFORMED_JSON,   /* 400 malformed-json */
	HTTP_PROBLEM_INVALID_FIELD,    /* 422 invalid-field */
	HTTP_PROBLEM_UNAUTHORIZED,     /* 401 unauthorized */
	HTTP_PROBLEM_FORBIDDEN,        /* 403 forbidden */
	HTTP_PROBLEM_CSRF,             /* 403 csrf */
	HTTP_PROBLEM_NOT_FOUND,        /* 404 not-found */
	HTTP_PROBLEM_METHOD_NOT_ALLOWED, /* 405 method-not-allowed */
	HTTP_PROBLEM_CONFLICT,         /* 409 conflict */
	HTTP_PROBLEM_BODY_TOO_LARGE,   /* 413 body-too-large */
	HTTP_PROBLEM_URI_TOO_LONG,     /* 414 uri-too-long */
	HTTP_PROBLEM_UNSUPPORTED_MEDIA_TYPE, /* 415 unsupported-media-type */
	HTTP_PROBLEM_UNPROCESSABLE,    /* 422 unprocessable */
	HTTP_PROBLEM_TOO_MANY_REQUESTS, /* 429 too-many-requests */
	HTTP_PROBLEM_INTERNAL,         /* 500 internal */
	HTTP_PROBLEM_UNAVAILABLE,      /* 503 unavailable */
	/* workflow refusals (docs/API.md) */
	HTTP_PROBLEM_INVALID_STATE,    /* 409 invalid-state */
	HTTP_PROBLEM_DUPLICATE,        /* 409 duplicate */
	HTTP_PROBLEM_SLOT_FULL,        /* 409 slot-full */
	HTTP_PROBLEM_SEPARATION,       /* 403 separation-of-duties */
	HTTP_PROBLEM_RATE_LIMITED,     /* 429 rate-limited */
	HTTP_PROBLEM_COUNT
};

struct http_problem_info {
	const char *slug;
	const char *title;
	int status;
};
const struct http_problem_info *http_problem_info(enum http_problem p);

typedef int (*http_handler)(struct http_req *req, struct http_resp *resp);

enum {
	HTTP_ROUTE_PUBLIC = 1 << 0, /* also served on the public listener */
	HTTP_ROUTE_ANON = 1 << 1,   /* no authorization hook: anyone may call it */
	HTTP_ROUTE_TEST = 1 << 2,   /* test-only route (documented as such, not in OpenAPI) */
};

/* Media type lists for routes that take a body (NULL-terminated). */
extern const char *const HTTP_JSON_ONLY[];

struct http_route {
	const char *method;   /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *pattern;  /* "/api/v1/bookings/{code}" */
	http_handler handler;
	unsigned flags;       /* HTTP_ROUTE_* */
	uint32_t role_mask;   /* who may call it; meaning given by the authorize hook */
	size_t body_max;      /* 0: HTTP_BODY_DEFAULT_MAX (routes that take a body) */
	const char *const *media_types; /* NULL: takes no body */
};

enum http_listener { HTTP_LISTENER_OFFICER, HTTP_LISTENER_PUBLIC };

struct http_param {
	char name[32];                  /* from the pattern, without braces */
	char value[HTTP_PARAM_MAX + 1];
};

struct http_req {
	const char *method;
	const char *path;               /* decoded and checked (no query) */
	const struct http_route *route; /* the route matched */
	struct http_param params[HTTP_PARAMS_MAX];
	size_t nparams;
	const uint8_t *body;            /* NUL-terminated; len body_len (may be 0) */
	size_t body_len;
	char content_type[96];          /* media type, lower case, no parameters; "" if none */
	char client_ip[48];
	char request_id[40];
	enum http_listener listener;
	void *app;                      /* http_server_opts.app */
	void *auth;                     /* set by the authorize hook */
	struct http_server *server;
	void *conn;                     /* struct MHD_Connection (the wrapper's) */
};

struct http_header {
	char *name, *value;
};

struct http_resp {
	int status;                 /* 200 unless set */
	struct buf body;
	char content_type[96];      /* "" : application/json when there is a body */
	struct http_header headers[HTTP_HEADERS_MAX];
	size_t nheaders;
	int problem;                /* a problem was written (http_problem) */
	int problem_kind;           /* enum http_problem, when problem */
	struct err err;             /* set by a handler that returns -1 without a problem */
};

typedef int (*http_authorize_fn)(void *cls, struct http_req *req, const struct http_route *route,
				 struct http_resp *resp);
typedef void (*http_auth_release_fn)(void *cls, void *auth);

struct http_server_opts {
	const char *listen;            /* "127.0.0.1:8080", "[::1]:8080"; port 0: any free */
	enum http_listener listener;
	const struct http_route *routes;
	size_t nroutes;
	void *app;                     /* given to handlers as req->app */
	unsigned threads;              /* MHD thread pool size (1…64) */
	unsigned conn_limit;           /* connections at once */
	unsigned per_ip_limit;         /* connections from one IP at once */
	unsigned timeout_s;            /* idle connection timeout */
	http_authorize_fn authorize;   /* NULL: non-ANON routes answer 401 */
	http_auth_release_fn auth_release;
	void *auth_cls;
	struct metrics *metrics;       /* NULL: no metrics */
	int log_requests;              /* one log line per request */
};

#define HTTP_SERVER_OPTS_INIT { NULL, HTTP_LISTENER_OFFICER, NULL, 0, NULL, 4, 1024, 256, 30, \
				NULL, NULL, NULL, NULL, 1 }

int http_server_start(struct http_server **out, const struct http_server_opts *o, struct err *e);
/* The bound address as "IP:PORT" ("[IP]:PORT" for IPv6), e.g. after listening on port 0. */
const char *http_server_address(const struct http_server *s);
/* Requests being handled now (headers received, response not yet sent). */
unsigned http_server_in_flight(const struct http_server *s);
/* Stops accepting new connections (idempotent). */
void http_server_quiesce(struct http_server *s);
/* Quiesces, waits up to wait_ms for requests in flight, stops MHD and frees s. */
void http_server_stop(struct http_server *s, unsigned wait_ms);

/* ---- for handlers ---- */

const char *http_req_param(const struct http_req *req, const char *name);
/* A query parameter, a request header (case-insensitive name), a cookie; NULL if absent. */
const char *http_req_query(const struct http_req *req, const char *name);
const char *http_req_header(const struct http_req *req, const char *name);
const char *http_req_cookie(const struct http_req *req, const char *name);
/* Parses the body as a JSON object into *out (json_decref it); on failure writes a 400
 * malformed-json problem and returns -1. */
int http_req_json(struct http_req *req, struct http_resp *resp, json_t **out);

/* Sets status and the body to v serialized (compact); 0, or -1 (500 problem written). */
int http_resp_json(struct http_resp *resp, int status, const json_t *v);
/* Sets status, content type and body. */
int http_resp_bytes(struct http_resp *resp, int status, const char *content_type,
		    const void *data, size_t len);
/* Adds a response header (copied); -1 when the table is full or the text has CR/LF. */
int http_resp_header(struct http_resp *resp, const char *name, const char *value);
/* Writes an RFC 9457 problem (application/problem+json: type, title, status, detail,
 * instance = "urn:paspor:request:<request id>") replacing any body, counts it in the
 * metrics, and returns -1 so handlers can `return http_problem(...)`. detail may be
 * NULL; it must not carry personal data or secrets. */
int http_problem(struct http_req *req, struct http_resp *resp, enum http_problem kind,
		 const char *detail_fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- pure functions (unit tests, fuzzing) ---- */

/* Decodes and checks a raw request path (no query): 0 with the decoded path in out
 * (capacity outlen), or -1 with e set (ERR_INPUT). */
int http_path_decode(const char *raw, size_t rawlen, char *out, size_t outlen, struct err *e);
/* 1 when s (len bytes) is a valid {param} value: 1…HTTP_PARAM_MAX of [A-Za-z0-9_.-], not starting with a dot. */
int http_param_valid(const char *s, size_t len);
/* Checks a route pattern: "/" then segments of [A-Za-z0-9._-] or {name}; 0 or -1. */
int http_pattern_check(const char *pattern, struct err *e);
/* Matches a decoded path against a pattern; 1 on a match (params filled, up to
 * HTTP_PARAMS_MAX), 0 otherwise. */
int http_pattern_match(const char *pattern, const char *path, struct http_param *params,
		       size_t *nparams);
/* Parses a request body as a JSON object (json_decref *out): 0, or -1 with e set to a
 * message naming the line and column (ERR_INPUT). */
int http_json_parse(const uint8_t *body, size_t len, json_t **out, struct err *e);
/* Parses "IPv4:port" or "[IPv6]:port" into a sockaddr_storage (ss must hold one);
 * *family gets AF_INET or AF_INET6. */
int http_parse_listen(const char *addr, void *ss, unsigned *sslen, int *family, struct err *e);

#endif
