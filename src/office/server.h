/*
 * server — the office node's HTTP server (`paspor office serve`, docs/HTTP.md).
 *
 * office_server_start opens the node for writing (log/node.h: keys, lock, guards — a
 * log that fails its guards is refused with the guard's message), starts the writer
 * (log/writer.h) and two listeners (util/http.h) on the one route table below:
 *   - the officers' listener (opts->listen) serves every route;
 *   - the public listener (opts->public_listen, optional) serves only the routes flagged
 *     HTTP_ROUTE_PUBLIC (booking and status); the others do not exist there (404).
 * office_server_stop shuts down gracefully: both listeners stop accepting, requests in
 * flight finish (bounded wait), MHD stops (joining handlers still running), then the
 * writer finishes its queued requests and the node closes — nothing acknowledged is
 * lost, since a handler answers only after writer_submit has returned.
 *
 * Routes are rows of office_routes in server.c: to add one, write its handler in its
 * module (struct office_server *s = req->app, opaque: the functions below give what a
 * handler needs, office_server_submit the node's writer) and add a row; keep docs/openapi.yaml in sync (`paspor office
 * routes` prints the table). Test-only routes (HTTP_ROUTE_TEST) are served only when
 * opts->test_routes is set (PASPOR_TEST_ROUTES=1 for `serve`).
 *
 * Before the node opens, the office configuration (DIR/paspor.conf, office/config.h) is
 * loaded and checked (a failure is ERR_INPUT with every problem in
 * opts->config_problems) and its time zone made the process's (calendar_set_zone). The
 * API (office/api.h) then gets: the officers' auth (office/auth_http.h: the authorize
 * hook, the session routes), the booking rate limiters (unless lifted for load tests),
 * the booking-code key and a pool of read-only SQLite connections for queries.
 *
 * Ownership: struct office_server owns the node, writer, metrics and listeners; only
 * office_server_stop frees it. Its definition is private to server.c: handlers see an
 * opaque pointer and get what they need through the functions below ("what handlers
 * may use") and api.h's pool and clock, so the server's insides can change without
 * touching them. While it runs, the node's database belongs to the writer
 * thread: handlers write through office_server_submit, read the log's size with
 * office_server_log_state and the checkpoint from DIR/checkpoint, never from n->db.
 * Errors: those of node_open (ERR_VERIFY for a guard, ERR_IO, ERR_INPUT), writer_start
 * and http_server_start (ERR_IO: address in use).
 */
#ifndef PASPOR_OFFICE_SERVER_H
#define PASPOR_OFFICE_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log/keys.h"
#include "log/writer.h"
#include "office/auth.h"
#include "office/config.h"
#include "office/notify.h"
#include "office/ratelimit.h"
#include "util/buf.h"
#include "util/err.h"

#define OFFICE_LISTEN_DEFAULT "127.0.0.1:8080"
#define OFFICE_SHUTDOWN_WAIT_MS 10000

struct office_server_opts {
	const char *dir;
	const struct kek_source *kek;
	const char *listen;          /* NULL: OFFICE_LISTEN_DEFAULT */
	const char *public_listen;   /* NULL: no public listener */
	unsigned threads;            /* per listener; 0: 4 */
	unsigned shutdown_wait_ms;   /* 0: OFFICE_SHUTDOWN_WAIT_MS */
	int test_routes;             /* serve HTTP_ROUTE_TEST routes */
	int log_requests;            /* one log line per request */
	/* The explicit load-test flag of config_ratelimits_lifted: with ratelimit.disabled
	 * in the configuration it lifts the booking rate limits (so does PASPOR_LOAD_TEST=1
	 * in the environment; docs/CONFIG.md). The server logs a warning when lifted. */
	int rate_limits_off;
	/* When not NULL and the configuration fails its check: every problem, one a line. */
	struct buf *config_problems;
	struct auth_config *auth_config; /* NULL: auth_config_defaults (tests shorten it) */
};

/* The server is opaque to the API modules: they reach what they need through the
 * functions below (and api.h's api_db_acquire, api_now_ms, …), never its fields. */
struct office_server;

int office_server_start(struct office_server **out, const struct office_server_opts *o,
			struct err *e);
/* Graceful stop as above; frees s. */
void office_server_stop(struct office_server *s);

/* writer_submit through the server's writer, counting the events appended and keeping
 * log_size and checkpoint_ms (every write of the server goes through here). */
int office_server_submit(struct office_server *s, writer_fn fn, void *arg,
			 struct writer_result *res, struct err *e);

/* Stores data as an encrypted blob of this node (log/blobs.h) from a handler thread,
 * before the request that records it reaches the writer: the encryption and the two
 * fsyncs of a new blob then stay out of the writer's transaction, where they would hold
 * every other write. The writer's writer_txn_put_blob finds the file in place and only
 * checks and logs it. A request refused afterwards leaves the file unreferenced
 * (harmless, encrypted; docs/BLOBS.md §8). */
int office_server_prestore_blob(struct office_server *s, const void *data, size_t len,
				struct err *e);

/* The log's size (events durable) and the age in seconds of the latest checkpoint the
 * writer signed, as the server knows them (thread-safe, no I/O). */
void office_server_log_state(struct office_server *s, uint64_t *size, double *age_s);

/* DIR/checkpoint: its note text (into note, may be NULL), the tree size it signs, and
 * its age in seconds (file modification time). The writer rewrites the file at most
 * every 100 ms under load (log/writer.c), so it may lag the database that much. */
int office_server_checkpoint(struct office_server *s, struct buf *note, uint64_t *size,
			     double *age_s, struct err *e);

/* ---- what handlers may use (thread-safe: fixed while the server runs) ---- */

/* DIR/paspor.conf as loaded and checked at start. */
const struct config *office_server_config(const struct office_server *s);
/* The node's data directory (relative paths of the configuration resolve inside it). */
const char *office_server_dir(const struct office_server *s);
/* The node's data key (EVENT_KEY_BYTES): sealed bodies and blobs. */
const uint8_t *office_server_data_key(const struct office_server *s);
/* The keys of the booking codes' and the confirmation codes' hashes (32 bytes each,
 * derived from the data key; office/bookcode.h). */
const uint8_t *office_server_bookcode_key(const struct office_server *s);
const uint8_t *office_server_holdcode_key(const struct office_server *s);
/* The officers' authentication (office/auth.h: sessions, credentials, revocation). */
struct auth *office_server_auth(const struct office_server *s);
/* The confirmation code senders (office/notify.h). */
struct notify *office_server_notify(const struct office_server *s);

/* The booking rate limiters; NULL when the limits are lifted (load tests). */
enum office_limit {
	OFFICE_LIMIT_BOOK_IP,   /* booking requests per client address per minute */
	OFFICE_LIMIT_BOOK_NIK,  /* bookings per identity reference per day */
	OFFICE_LIMIT_STATUS_IP, /* status lookups per client address per minute */
};
struct ratelimit *office_server_limit(const struct office_server *s, enum office_limit l);

/* Counts one issuance outcome in /metrics (paspor_issuance_total{outcome}). */
void office_server_count_issuance(struct office_server *s, const char *outcome);

/* The address ("127.0.0.1:8080") a listener is bound to: the officers' (public 0) or the
 * public one (public 1; NULL when the server has none). */
const char *office_server_address(const struct office_server *s, int public);

/* The route table (test routes included when with_test), one line per route:
 * "METHOD PATTERN LISTENERS ROLES" — LISTENERS "officer,public" or "officer", ROLES
 * "anon" or the role mask in hex ("0x…"), "test" appended for test routes. */
void office_routes_print(FILE *f, int with_test);

#endif
