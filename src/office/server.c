#include "office/server.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "log/blobs.h"
#include "log/canon.h"
#include "log/db.h"
#include "log/node.h"
#include "log/note.h"
#include "office/api.h"
#include "office/auth_http.h"
#include "office/booklets.h"
#include "office/calendar.h"
#include "office/officers.h"
#include "office/ops.h"
#include "signproto/client.h"
#include "util/alloc.h"
#include "util/fs.h"
#include "util/http.h"
#include "util/log.h"
#include "util/metrics.h"

#define OFFICE_RO_POOL_MAX 32 /* read-only SQLite connections for queries */

/* The server's state: private to this file (handlers use server.h's and api.h's
 * functions). */
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

/* ---------------------------------------------------------------- for handlers */

const struct config *office_server_config(const struct office_server *s)
{
	return &s->cfg;
}

const char *office_server_dir(const struct office_server *s)
{
	return s->node.dir;
}

const uint8_t *office_server_data_key(const struct office_server *s)
{
	return s->node.keys.data_key;
}

const uint8_t *office_server_bookcode_key(const struct office_server *s)
{
	return s->bookcode_key;
}

const uint8_t *office_server_holdcode_key(const struct office_server *s)
{
	return s->holdcode_key;
}

struct auth *office_server_auth(const struct office_server *s)
{
	return s->auth;
}

struct notify *office_server_notify(const struct office_server *s)
{
	return s->notify;
}

struct ratelimit *office_server_limit(const struct office_server *s, enum office_limit l)
{
	switch (l) {
	case OFFICE_LIMIT_BOOK_IP:
		return s->rl_book_ip;
	case OFFICE_LIMIT_BOOK_NIK:
		return s->rl_book_nik;
	case OFFICE_LIMIT_STATUS_IP:
		return s->rl_status_ip;
	}
	return NULL;
}

void office_server_count_issuance(struct office_server *s, const char *outcome)
{
	if (s->m_issuance)
		metrics_add(s->m_issuance, 1, outcome);
}

const char *office_server_address(const struct office_server *s, int public)
{
	if (public)
		return s->public_listener ? http_server_address(s->public_listener) : NULL;
	return http_server_address(s->officer);
}

int64_t api_now_ms(struct office_server *s)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + s->node.clock_offset_ms;
}


/* ---------------------------------------------------------------- helpers */

int office_server_prestore_blob(struct office_server *s, const void *data, size_t len,
				struct err *e)
{
	/* the node's dir and data key do not change while it is open: safe to read here */
	char *dir = fs_join(s->node.dir, "blobs");
	if (!dir)
		return err_nomem(e);
	struct blob_ref ref;
	int rc = blobs_put(dir, s->node.keys.data_key, data, len, &ref, e);
	mem_free(dir);
	return rc;
}

int office_server_submit(struct office_server *s, writer_fn fn, void *arg,
			 struct writer_result *res, struct err *e)
{
	struct writer_result r = { 0, 0 };
	int rc = writer_submit(s->writer, fn, arg, &r, e);
	if (rc == 0 && r.count > 0) {
		metrics_add(s->m_events, (double)r.count);
		uint64_t end = r.first_seq + r.count, cur = atomic_load(&s->log_size);
		while (cur < end && !atomic_compare_exchange_weak(&s->log_size, &cur, end))
			;
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		atomic_store(&s->checkpoint_ms, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	}
	if (res)
		*res = r;
	return rc;
}

void office_server_log_state(struct office_server *s, uint64_t *size, double *age_s)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	int64_t age = now_ms - atomic_load(&s->checkpoint_ms);
	if (size)
		*size = atomic_load(&s->log_size);
	if (age_s)
		*age_s = age > 0 ? (double)age / 1000.0 : 0;
}

int office_server_checkpoint(struct office_server *s, struct buf *note, uint64_t *size,
			     double *age_s, struct err *e)
{
	struct buf b;
	buf_init(&b, (size_t)NOTE_MAX_LEN);
	struct stat st;
	int rc = -1;
	if (stat(s->node.checkpoint_path, &st) < 0) {
		err_errno(e, ERR_IO, "cannot stat '%s'", s->node.checkpoint_path);
		goto out;
	}
	if (fs_read_file(s->node.checkpoint_path, &b, e) < 0)
		goto out;
	struct note n;
	if (note_parse(&n, b.data, b.len, e) < 0)
		goto out;
	struct checkpoint c;
	rc = checkpoint_parse(&c, n.text, n.text_len, e);
	note_release(&n);
	if (rc < 0)
		goto out;
	if (size)
		*size = c.size;
	checkpoint_release(&c);
	if (age_s) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		double age = (double)(now.tv_sec - st.st_mtim.tv_sec) +
			     (double)(now.tv_nsec - st.st_mtim.tv_nsec) / 1e9;
		*age_s = age > 0 ? age : 0;
	}
	if (note && buf_add(note, b.data, b.len) < 0)
		rc = err_nomem(e);
out:
	buf_release(&b);
	return rc;
}

/* ---------------------------------------------------------------- routes */

static int route_healthz(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	uint64_t size = 0;
	double age = 0;
	office_server_log_state(s, &size, &age);
	json_t *j = json_pack("{s:s, s:I, s:I}", "status", "ok", "log_size", (json_int_t)size,
			      "checkpoint_age_s", (json_int_t)age);
	if (!j)
		return err_nomem(&resp->err);
	int rc = http_resp_json(resp, 200, j);
	json_decref(j);
	return rc;
}

/* Booklet stock per state (issue 6), read at scrape time through the read-only pool so
 * the gauges are the projection's own numbers (registering again returns the metric). */
static void metrics_booklets(struct office_server *s)
{
	struct metric *g = metrics_gauge(s->metrics, "paspor_booklets",
					 "blank passport booklets in the office's stock, by state",
					 "state", NULL);
	sqlite3 *db = api_db_acquire(s);
	struct booklet_stock st;
	struct err e = ERR_INIT;
	int rc = booklet_stock(db, &st, &e);
	api_db_release(s, db);
	if (rc < 0) {
		log_warnx("metrics: booklet stock: %s", e.msg);
		return;
	}
	for (int i = 0; i < BOOKLET_STATE_COUNT; i++)
		metrics_set(g, (double)st.count[i], booklet_state_name((enum booklet_state)i));
}

/* paspor_signer_up: 1 when the signer of issuance.signer_socket accepts a connection
 * (checked at scrape time: the on-call's first question when personalization fails). */
static void metrics_signer(struct office_server *s)
{
	if (!s->cfg.issuance.configured)
		return;
	struct metric *g = metrics_gauge(s->metrics, "paspor_signer_up",
					 "1 when the Document Signer process accepts connections",
					 NULL, NULL);
	char path[CONFIG_PATH_MAX + 600];
	struct err e = ERR_INIT;
	if (config_resolve_path(s->node.dir, s->cfg.issuance.signer_socket, path, sizeof path,
				&e) == 0)
		metrics_set(g, signer_client_ping(path) ? 1 : 0);
}

static int route_metrics(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	uint64_t size = 0;
	double age = 0;
	office_server_log_state(s, &size, &age);
	metrics_set(s->m_log_size, (double)size);
	metrics_set(s->m_cp_age, age);
	metrics_set(s->m_in_flight, (double)http_server_in_flight(s->officer), "officer");
	if (s->public_listener)
		metrics_set(s->m_in_flight, (double)http_server_in_flight(s->public_listener),
			    "public");
	struct writer_stats ws;
	writer_get_stats(s->writer, &ws);
	metrics_set(s->m_writer, (double)ws.batches, "batches");
	metrics_set(s->m_writer, (double)ws.requests, "requests");
	metrics_set(s->m_writer, (double)ws.refused, "refused");
	metrics_set(s->m_writer, (double)ws.failed, "failed");
	metrics_booklets(s);
	metrics_signer(s);
	struct buf b;
	buf_init(&b, (size_t)8 << 20);
	if (metrics_render(s->metrics, &b) < 0) {
		buf_release(&b);
		return err_set(&resp->err, ERR_NOMEM, "metrics do not fit in the response");
	}
	int rc = http_resp_bytes(resp, 200, "text/plain; version=0.0.4; charset=utf-8", b.data,
				 b.len);
	buf_release(&b);
	return rc;
}

static int route_checkpoint(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	struct buf note;
	buf_init(&note, (size_t)NOTE_MAX_LEN);
	struct err e = ERR_INIT;
	int rc = office_server_checkpoint(s, &note, NULL, NULL, &e);
	if (rc < 0) {
		buf_release(&note);
		log_warnx("checkpoint: %s", e.msg);
		return http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE,
				    "the node's checkpoint cannot be read");
	}
	rc = http_resp_bytes(resp, 200, "text/plain; charset=utf-8", note.data, note.len);
	buf_release(&note);
	return rc;
}

/* ---- session routes (office/auth_http.h) ---- */

static int route_login(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	return auth_http_login(s->auth, 0, req, resp);
}

static int route_logout(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	return auth_http_logout(s->auth, 0, req, resp);
}

/* The server's own rows; the API modules' tables (office/api.h) follow them. Flags:
 * HTTP_ROUTE_PUBLIC also on the public listener, HTTP_ROUTE_ANON no authorization.
 * Keep docs/openapi.yaml in sync (`paspor office routes`). */
static const struct api_route server_routes[] = {
	{ "GET", "/healthz", route_healthz, HTTP_ROUTE_PUBLIC | HTTP_ROUTE_ANON, API_ANON, 0,
	  NULL },
	{ "GET", "/metrics", route_metrics, HTTP_ROUTE_ANON, API_ANON, 0, NULL },
	{ "GET", "/api/v1/log/checkpoint", route_checkpoint, HTTP_ROUTE_ANON, API_ANON, 0, NULL },
	{ "POST", "/api/v1/session", route_login, HTTP_ROUTE_ANON, API_ANON, 0, HTTP_JSON_ONLY },
	{ "GET", "/api/v1/session", auth_http_whoami, 0, API_ANY_OFFICER, 0, NULL },
	{ "DELETE", "/api/v1/session", route_logout, 0, API_ANY_OFFICER, 0, NULL },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};

static const struct api_route *const route_tables[] = {
	server_routes,
#ifdef PASPOR_TESTING
	api_test_routes, /* office/test_routes.c: test builds only */
#endif
	api_booking_routes, api_counter_routes, api_query_routes, api_issue_routes,
	api_booklet_routes, api_dayclose_routes,
	api_officer_routes,
};

static void route_from_api(const struct api_route *a, struct http_route *r)
{
	r->method = a->method;
	r->pattern = a->pattern;
	r->handler = a->handler;
	r->flags = a->flags;
	if (a->action == API_ANON) {
		r->flags |= HTTP_ROUTE_ANON;
		r->role_mask = 0;
	} else if (a->action == API_ANY_OFFICER) {
		r->role_mask = ROLES_ALL;
	} else if (a->handler == ops_handle) {
		r->role_mask = ops_roles(a->method, a->pattern); /* its rows' actions */
	} else {
		r->role_mask = roles_action_mask((enum action)a->action);
	}
	r->body_max = a->body_max;
	r->media_types = a->media_types;
}

/* The route table (test routes when with_test) into a new array (mem_free it). */
static struct http_route *routes_build(int with_test, size_t *n)
{
	ops_routes_init();
	size_t total = 0;
	for (size_t t = 0; t < sizeof route_tables / sizeof route_tables[0]; t++)
		for (const struct api_route *a = route_tables[t]; a->method; a++)
			total++;
	struct http_route *r = mem_calloc(total ? total : 1, sizeof *r);
	if (!r)
		return NULL;
	*n = 0;
	for (size_t t = 0; t < sizeof route_tables / sizeof route_tables[0]; t++)
		for (const struct api_route *a = route_tables[t]; a->method; a++)
			if (!(a->flags & HTTP_ROUTE_TEST) || with_test)
				route_from_api(a, &r[(*n)++]);
	return r;
}

void office_routes_print(FILE *f, int with_test)
{
	size_t n = 0;
	struct http_route *routes = routes_build(with_test, &n);
	if (!routes)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct http_route *r = &routes[i];
		fprintf(f, "%s %s %s ", r->method, r->pattern,
			(r->flags & HTTP_ROUTE_PUBLIC) ? "officer,public" : "officer");
		if (r->flags & HTTP_ROUTE_ANON)
			fprintf(f, "anon");
		else
			fprintf(f, "0x%" PRIx32, r->role_mask);
		fprintf(f, "%s\n", (r->flags & HTTP_ROUTE_TEST) ? " test" : "");
	}
	mem_free(routes);
}

/* ---------------------------------------------------------------- read-only pool */

/*
 * Each request reads one snapshot: acquiring a connection opens a read transaction and
 * takes its snapshot (the first read), then waits until every COMMIT the snapshot may
 * hold is durable (writer_wait_durable: the writer's COMMITs are visible a little
 * before its syncer's fdatasync) — so no request shows what a power cut could take
 * back. Releasing ends the transaction.
 *
 * A read that is one statement needs no transaction: SQLite takes the statement's
 * snapshot at its first step and drops it at its reset, so one statement never sees two
 * states of the database. api_db_acquire_single hands out a connection without BEGIN
 * (two statements prepared and run per request, and COMMIT, fewer), and
 * api_db_release_single waits for durability after the read instead of before it: the
 * writer numbers a COMMIT before it starts, so the number read after the statement
 * covers every COMMIT its snapshot may hold. Two statements that must agree still use
 * api_db_acquire. Statements on pooled connections come from db_cached (a cache per
 * connection, finalised by db_close in ro_pool_close).
 */
static sqlite3 *pool_take(struct office_server *s)
{
	pthread_mutex_lock(&s->ro_mu);
	while (s->nro_free == 0)
		pthread_cond_wait(&s->ro_cv, &s->ro_mu);
	sqlite3 *db = s->ro_free[--s->nro_free];
	pthread_mutex_unlock(&s->ro_mu);
	return db;
}

sqlite3 *api_db_acquire(struct office_server *s)
{
	sqlite3 *db = pool_take(s);
	struct err e = ERR_INIT;
	if (writer_read_begin(s->writer, db, &e) < 0)
		log_warnx("read pool: %s", e.msg);
	return db;
}

void api_db_release(struct office_server *s, sqlite3 *db)
{
	if (!db)
		return;
	writer_read_end(db);
	pthread_mutex_lock(&s->ro_mu);
	s->ro_free[s->nro_free++] = db;
	pthread_cond_signal(&s->ro_cv);
	pthread_mutex_unlock(&s->ro_mu);
}

sqlite3 *api_db_acquire_single(struct office_server *s)
{
	return pool_take(s);
}

void api_db_release_single(struct office_server *s, sqlite3 *db)
{
	api_db_release(s, db);
	struct err e = ERR_INIT;
	if (s->writer && writer_wait_durable(s->writer, &e) < 0)
		log_warnx("read pool: %s", e.msg);
}

static int ro_pool_open(struct office_server *s, size_t n, struct err *e)
{
	if (pthread_mutex_init(&s->ro_mu, NULL) != 0)
		return err_set(e, ERR_IO, "cannot make the read pool's mutex");
	if (pthread_cond_init(&s->ro_cv, NULL) != 0) {
		pthread_mutex_destroy(&s->ro_mu);
		return err_set(e, ERR_IO, "cannot make the read pool's condition");
	}
	s->ro_init = 1;
	if (n > OFFICE_RO_POOL_MAX)
		n = OFFICE_RO_POOL_MAX;
	for (size_t i = 0; i < n; i++) {
		sqlite3 *db = NULL;
		int rc = sqlite3_open_v2(s->node.db_path, &db,
					 SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
		if (rc != SQLITE_OK) {
			err_set(e, ERR_IO, "cannot open '%s' read-only: %s", s->node.db_path,
				db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
			sqlite3_close(db);
			return -1;
		}
		sqlite3_busy_timeout(db, 5000);
		s->ro[s->nro++] = db;
		s->ro_free[s->nro_free++] = db;
	}
	return 0;
}

static void ro_pool_close(struct office_server *s)
{
	for (size_t i = 0; i < s->nro; i++)
		db_close(s->ro[i]); /* with their cached statements */
	s->nro = s->nro_free = 0;
	if (s->ro_init) {
		pthread_cond_destroy(&s->ro_cv);
		pthread_mutex_destroy(&s->ro_mu);
		s->ro_init = 0;
	}
}

/* ---------------------------------------------------------------- API state */

static int limiter(struct ratelimit **out, const struct config *c, unsigned rate,
		   int64_t period_ms, struct err *e)
{
	size_t entries = c->ratelimit.table_entries >= 64 ? c->ratelimit.table_entries : 64;
	*out = ratelimit_new(entries, rate ? rate : 1, period_ms, rate ? rate : 1, e);
	return *out ? 0 : -1;
}

static int api_state_open(struct office_server *s, struct err *e)
{
	/* booking codes are stored as a keyed hash; the key comes from the data key */
	if (crypto_kdf_derive_from_key(s->bookcode_key, sizeof s->bookcode_key, 1, "bookcode",
				       s->node.keys.data_key) != 0)
		return err_set(e, ERR_CRYPTO, "cannot derive the booking-code key");
	if (crypto_kdf_derive_from_key(s->holdcode_key, sizeof s->holdcode_key, 2, "bookcode",
				       s->node.keys.data_key) != 0)
		return err_set(e, ERR_CRYPTO, "cannot derive the confirmation-code key");
	if (notify_open(&s->notify, &s->cfg.confirmation, s->opts.dir, e) < 0)
		return -1;
	if (!s->cfg.confirmation.configured)
		log_warnx("paspor.conf has no confirmation section: online booking is closed "
			  "(503)");
	else if (s->cfg.confirmation.email_sender == CONFIG_SENDER_SPOOL ||
		 s->cfg.confirmation.phone_sender == CONFIG_SENDER_SPOOL)
		log_warnx("confirmation codes go to the spool folder '%s', not to applicants: "
			  "a demo sender", s->cfg.confirmation.spool_dir);
	if (officers_reader_open(&s->officers, s->node.db_path, s->node.keys.data_key, e) < 0)
		return -1;
	s->officers_open = 1;
	s->officers.writer = s->writer;
	s->officers_backend.reader = &s->officers;
	s->officers_backend.writer = s->writer;
	struct auth_backend ab = officers_auth_backend(&s->officers_backend);
	if (auth_new(&s->auth, s->opts.auth_config, &ab, e) < 0)
		return -1;
	s->limits_lifted = config_ratelimits_lifted(&s->cfg, s->opts.rate_limits_off);
	if (s->limits_lifted) {
		log_warnx("WARNING: booking rate limits are LIFTED (ratelimit.disabled and "
			  "%s=1): load tests only, never in production", CONFIG_LOAD_TEST_ENV);
	} else {
		const struct config_ratelimit *r = &s->cfg.ratelimit;
		if (limiter(&s->rl_book_ip, &s->cfg, r->booking_per_ip_per_minute, 60000, e) < 0 ||
		    limiter(&s->rl_book_nik, &s->cfg, r->booking_per_nik_per_day, 86400000, e) < 0 ||
		    limiter(&s->rl_status_ip, &s->cfg, r->status_per_ip_per_minute, 60000, e) < 0)
			return -1;
	}
	size_t listeners = s->opts.public_listen ? 2 : 1;
	return ro_pool_open(s, (size_t)s->opts.threads * listeners, e);
}

static void api_state_close(struct office_server *s)
{
	ro_pool_close(s);
	ratelimit_free(s->rl_book_ip);
	ratelimit_free(s->rl_book_nik);
	ratelimit_free(s->rl_status_ip);
	s->rl_book_ip = s->rl_book_nik = s->rl_status_ip = NULL;
	auth_free(s->auth);
	s->auth = NULL;
	if (s->officers_open)
		officers_reader_close(&s->officers);
	s->officers_open = 0;
	sodium_memzero(s->bookcode_key, sizeof s->bookcode_key);
	sodium_memzero(s->holdcode_key, sizeof s->holdcode_key);
	notify_close(s->notify);
	s->notify = NULL;
}

/* ---------------------------------------------------------------- start and stop */

static void server_free(struct office_server *s)
{
	if (s->officer)
		http_server_stop(s->officer, 0);
	if (s->public_listener)
		http_server_stop(s->public_listener, 0);
	if (s->writer)
		writer_stop(s->writer);
	api_state_close(s);
	if (s->node_open)
		node_close(&s->node);
	metrics_free(s->metrics);
	mem_free(s->routes);
	mem_free(s);
}

int office_server_start(struct office_server **out, const struct office_server_opts *o,
			struct err *e)
{
	*out = NULL;
	canon_init(); /* jansson allocates through util/alloc.h */
	struct office_server *s = mem_calloc(1, sizeof *s);
	if (!s)
		return err_nomem(e);
	s->opts = *o;
	if (!s->opts.listen)
		s->opts.listen = OFFICE_LISTEN_DEFAULT;
	if (!s->opts.threads)
		s->opts.threads = 4;
	if (!s->opts.shutdown_wait_ms)
		s->opts.shutdown_wait_ms = OFFICE_SHUTDOWN_WAIT_MS;

	s->routes = routes_build(o->test_routes, &s->nroutes);
	if (!s->routes) {
		server_free(s);
		return err_nomem(e);
	}

	/* the office configuration, checked whole; then its zone is the process's (before
	 * any thread starts: tzset is not thread-safe) */
	char *cpath = config_path(o->dir);
	if (!cpath) {
		server_free(s);
		return err_nomem(e);
	}
	int crc = config_load(cpath, &s->cfg, o->config_problems, e);
	mem_free(cpath);
	if (crc < 0 || calendar_set_zone(s->cfg.timezone, e) < 0) {
		err_prefix(e, "office configuration");
		server_free(s);
		return -1;
	}

	s->metrics = metrics_new();
	if (!s->metrics) {
		server_free(s);
		return err_nomem(e);
	}
	s->m_events = metrics_counter(s->metrics, "paspor_events_appended_total",
				      "events appended to the log by this server", NULL, NULL);
	s->m_log_size = metrics_gauge(s->metrics, "paspor_log_size",
				      "events in the log (durable, each covered by a signed checkpoint)",
				      NULL, NULL);
	s->m_cp_age = metrics_gauge(s->metrics, "paspor_checkpoint_age_seconds",
				    "seconds since the writer signed the latest checkpoint", NULL, NULL);
	s->m_in_flight = metrics_gauge(s->metrics, "paspor_http_in_flight",
				       "HTTP requests being handled, by listener", "listener",
				       NULL);
	s->m_writer = metrics_gauge(s->metrics, "paspor_writer",
				    "group-commit writer since start: batches committed, requests "
				    "run, refused alone, failed batches",
				    "what", NULL);
	s->m_issuance = metrics_counter(s->metrics, "paspor_issuance_total",
					"issuance outcomes: personalized, refused for no stock, refused "
					"by the signer, signer unavailable, print job failed, quality "
					"check passed or failed, spoiled, handed over", "outcome", NULL);

	struct node_opts no = { 0 };
	node_opts_from_env(&no);
	no.kek = o->kek;
	if (node_open(&s->node, o->dir, &no, e) < 0) {
		server_free(s);
		return -1;
	}
	s->node_open = 1;
	atomic_store(&s->log_size, s->node.size);
	atomic_store(&s->checkpoint_ms, s->node.last_time_ms);
	if (writer_start(&s->writer, &s->node, e) < 0 || api_state_open(s, e) < 0) {
		server_free(s);
		return -1;
	}

	struct http_server_opts ho = HTTP_SERVER_OPTS_INIT;
	ho.routes = s->routes;
	ho.nroutes = s->nroutes;
	ho.app = s;
	ho.threads = s->opts.threads;
	ho.metrics = s->metrics;
	ho.log_requests = o->log_requests;
	ho.authorize = auth_http_authorize;
	ho.auth_release = auth_http_release;
	ho.auth_cls = s->auth;
	ho.listen = s->opts.listen;
	ho.listener = HTTP_LISTENER_OFFICER;
	if (http_server_start(&s->officer, &ho, e) < 0) {
		err_prefix(e, "officers' listener");
		server_free(s);
		return -1;
	}
	if (o->public_listen) {
		ho.listen = o->public_listen;
		ho.listener = HTTP_LISTENER_PUBLIC;
		if (http_server_start(&s->public_listener, &ho, e) < 0) {
			err_prefix(e, "public listener");
			server_free(s);
			return -1;
		}
	}
	*out = s;
	return 0;
}

void office_server_stop(struct office_server *s)
{
	if (!s)
		return;
	/* stop accepting on both, then let what is in flight finish */
	http_server_quiesce(s->officer);
	if (s->public_listener)
		http_server_quiesce(s->public_listener);
	http_server_stop(s->officer, s->opts.shutdown_wait_ms);
	s->officer = NULL;
	if (s->public_listener)
		http_server_stop(s->public_listener, s->opts.shutdown_wait_ms);
	s->public_listener = NULL;
	server_free(s); /* writer_stop finishes queued requests, then the node closes */
}
