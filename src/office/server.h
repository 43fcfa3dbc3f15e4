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
 * module (struct office_server *s = req->app gives the node's writer through
 * office_server_submit) and add a row; keep docs/openapi.yaml in sync (`paspor office
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
 * office_server_stop frees it. While it runs, the node's database belongs to the writer
 * thread: handlers write through office_server_submit, read the log's size with
 * office_server_log_state and the checkpoint from DIR/checkpoint, never from n->db.
 * Errors: those of node_open (ERR_VERIFY for a guard, ERR_IO, ERR_INPUT), writer_start
 * and http_server_start (ERR_IO: address in use).
 */
#ifndef PASPOR_OFFICE_SERVER_H
#define PASPOR_OFFICE_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "log/keys.h"
#include "log/node.h"
#include "log/writer.h"
#include "office/auth.h"
#include "office/config.h"
#include "office/notify.h"
#include "office/officers.h"
#include "office/ratelimit.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/http.h"
#include "util/metrics.h"

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

#define OFFICE_RO_POOL_MAX 32 /* read-only SQLite connections for queries */

struct office_server {
	struct office_server_opts opts;
	struct node node;
	int node_open;
	struct writer *writer;
	struct metrics *metrics;
	struct http_server *officer, *public_listener;
	struct http_route *routes;
	size_t nroutes;
	struct metric *m_events, *m_log_size, *m_cp_age, *m_in_flight, *m_writer;
	struct metric *m_issuance; /* paspor_issuance_total{outcome} (api_issue.c) */
	_Atomic uint64_t log_size;     /* events durable: node size at start, then acks */
	_Atomic int64_t checkpoint_ms; /* UTC ms of the latest checkpoint signed */
	/* the API's state (office/api.h) */
	struct config cfg;               /* DIR/paspor.conf, checked at start */
	struct auth *auth;
	struct officers_reader officers;
	int officers_open;
	struct officers_backend officers_backend;
	struct ratelimit *rl_book_ip, *rl_book_nik, *rl_status_ip; /* NULL: lifted */
	int limits_lifted;
	uint8_t bookcode_key[32];        /* derived from the data key ("bookcode") */
	uint8_t holdcode_key[32];        /* confirmation codes ("bookcode", id 2) */
	struct notify *notify;           /* confirmation code senders (office/notify.h) */
	pthread_mutex_t ro_mu;
	pthread_cond_t ro_cv;
	int ro_init;
	sqlite3 *ro[OFFICE_RO_POOL_MAX]; /* all connections */
	sqlite3 *ro_free[OFFICE_RO_POOL_MAX];
	size_t nro, nro_free;
};

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

/* The route table (test routes included when with_test), one line per route:
 * "METHOD PATTERN LISTENERS ROLES" — LISTENERS "officer,public" or "officer", ROLES
 * "anon" or the role mask in hex ("0x…"), "test" appended for test routes. */
void office_routes_print(FILE *f, int with_test);

#endif
