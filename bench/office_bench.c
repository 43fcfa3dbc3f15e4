/*
 * office_bench — a load client for `paspor office serve` over loopback (issue 4, "Speed").
 *
 *   build/bench/office_bench --officer URL --public URL --spool DIR --password PW --adj-totp SECRET
 *       [--seconds N] [--lookup-conns C] [--flow-conns C] [--flow-rate R]
 *       [--prebook N] [--books-out FILE] [--threads T] [--report-every S]
 *       [--first-person N]
 *
 * It drives the server with libcurl's multi interface: T threads (default 1), each with
 * one multi handle and its share of the connections; every connection is one easy handle
 * that is reused (HTTP/1.1 keep-alive), so C connections carry C requests at a time.
 *
 *   1. --prebook N: N public bookings (synthetic applicants with valid NIKs agreeing with
 *      birth date and sex, docs/BOOKING.md), whose codes and NIKs the lookups use. A
 *      booking is two requests: the hold, then its confirmation with the code the
 *      server's spool sender wrote to --spool DIR (the server's confirmation.spool_dir).
 *      --books-out FILE writes them there, one "CODE NIK" line each (bench/status_wrk.sh
 *      looks them up with wrk); with no --lookup-conns or --flow-conns it then exits.
 *   2. For --seconds N, at the same time:
 *      - --lookup-conns C connections doing POST /api/v1/bookings/status {code, nik} of
 *        random pre-made bookings, each answer expected 200;
 *      - --flow-conns C connections each running complete counter flows, one after the
 *        other: public booking → confirmation with the code → search by code (registrar) → check-in → documents →
 *        photo (a 480 × 600 JPEG made here with libjpeg) → fingerprints 1 and 6 (a
 *        grey JPEG) → enrolment → interview (interviewer) → watchlist check → approval
 *        (adjudicator, who neither enrolled nor interviewed) → payment (registrar); the
 *        flow counts as complete when the payment answers state "paid". --flow-rate R
 *        paces new flows to R per second in all (0: as fast as they go).
 *   Officers "reg" (registrar), "int" (interviewer) and "adj" (adjudicator, TOTP from
 *   --adj-totp with liboath) log in once at the start; their session cookies and CSRF
 *   tokens are reused by every flow.
 *
 * Only answers that arrive within --seconds count (flows still under way then are left
 * unfinished and not counted). It prints requests per second with p50/p99 latency and
 * the answers by status for the lookups, complete flows per second and per-step p50/p99
 * for the flows, and, for reference, what one photo_normalise (office/photo.h) of its
 * photo costs in this process; with
 * --report-every S, one progress line every S seconds (for the soak). Latencies are
 * kept in a histogram (10 µs buckets to 10 ms, 1 ms buckets to 1 s). Exit 0 when every
 * answer was the expected one, 1 when some were not, 2 on a usage or set-up error.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <jpeglib.h>
#include <liboath/oath.h>

#include "office/photo.h"
#include "util/buf.h"
#include "util/err.h"

/* ---- latency histogram ---- */

#define H_FINE 1000   /* 10 µs buckets below 10 ms */
#define H_COARSE 990  /* 1 ms buckets from 10 ms to 1 s */
#define H_N (H_FINE + H_COARSE + 1)

struct hist {
	uint64_t n[H_N];
	uint64_t count;
	uint64_t status[600];
};

static void hist_add(struct hist *h, double seconds, long status)
{
	long us = (long)(seconds * 1e6);
	size_t i;
	if (us < 10000)
		i = (size_t)(us / 10);
	else if (us < 1000000)
		i = H_FINE + (size_t)((us - 10000) / 1000);
	else
		i = H_N - 1;
	h->n[i]++;
	h->count++;
	h->status[status >= 0 && status < 600 ? status : 0]++;
}

static void hist_merge(struct hist *to, const struct hist *from)
{
	for (size_t i = 0; i < H_N; i++)
		to->n[i] += from->n[i];
	for (size_t i = 0; i < 600; i++)
		to->status[i] += from->status[i];
	to->count += from->count;
}

/* the upper edge of the bucket holding quantile q, in milliseconds */
static double hist_ms(const struct hist *h, double q)
{
	if (!h->count)
		return 0;
	uint64_t want = (uint64_t)(q * (double)h->count);
	if (want >= h->count)
		want = h->count - 1;
	uint64_t seen = 0;
	for (size_t i = 0; i < H_N; i++) {
		seen += h->n[i];
		if (seen > want) {
			if (i < H_FINE)
				return (double)(i + 1) * 0.01;
			if (i < H_N - 1)
				return 10.0 + (double)(i - H_FINE + 1);
			return 1000.0;
		}
	}
	return 1000.0;
}

static void hist_statuses(const struct hist *h, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (int s = 0; s < 600 && o + 1 < cap; s++) {
		if (!h->status[s])
			continue;
		int n = snprintf(out + o, cap - o, "%s%d: %llu", o ? ", " : "", s,
				 (unsigned long long)h->status[s]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

/* ---- growable byte buffer for answers ---- */

struct bytes {
	char *p;
	size_t len, cap;
};

static void bytes_add(struct bytes *b, const void *d, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p) {
			fprintf(stderr, "office_bench: out of memory\n");
			exit(2);
		}
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static size_t on_body(char *d, size_t size, size_t n, void *arg)
{
	bytes_add(arg, d, size * n);
	return size * n;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("office_bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* ---- synthetic JPEGs ---- */

static void make_jpeg(struct bytes *out, int w, int h, int colour, int quality)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	unsigned char *mem = NULL;
	unsigned long len = 0;
	int comp = colour ? 3 : 1;
	unsigned char *row = malloc((size_t)w * (size_t)comp);
	if (!row)
		die("out of memory");
	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &mem, &len);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = comp;
	c.in_color_space = colour ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	uint32_t r = 12345;
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			/* a light background, a darker ellipse for a head, some noise */
			int dx = x - w / 2, dy = y - h * 2 / 5;
			int in = dx * dx * 100 / (w * w / 9 + 1) + dy * dy * 100 / (h * h / 9 + 1) < 100;
			r = r * 1103515245u + 12345u;
			int noise = (int)((r >> 16) % 7);
			int v = (in ? 110 + (dx * 20) / w + (dy * 30) / h : 215 - y / 30) + noise - 3 +
				(colour ? 0 : ((x / 4 + y / 6) % 2) * 60);
			for (int k = 0; k < comp; k++)
				row[x * comp + k] = (unsigned char)(v - k * 15 < 0 ? 0 : v - k * 15);
		}
		JSAMPROW rp = row;
		jpeg_write_scanlines(&c, &rp, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(row);
	out->len = 0;
	bytes_add(out, mem, len);
	free(mem);
}

/* ---- synthetic applicants (docs/BOOKING.md) ---- */

static const int provinces[] = { 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33,
				 34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65, 71, 72,
				 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96 };
static const char *const first_names[] = { "Siti", "Budi", "Dewi", "Agus", "Rina", "Joko",
					   "Ayu", "Made", "Wayan", "Putri" };
static const char *const last_names[] = { "Rahayu", "Santoso", "Wati", "Pratama", "Hidayat",
					  "Susanti", "Saputra", "Kusuma", "Nugroho", "Lubis" };

/* a unique NIK for applicant n (n < 38 × 9999 × 99 × 99) and its booking body */
static void person(long n, char nik[17], char *body, size_t cap, const char *slot_date,
		   int hour)
{
	int y = 1960 + (int)((n * 7) % 45), m = 1 + (int)((n * 5) % 12),
	    d = 1 + (int)((n * 11) % 28);
	int female = n % 2;
	long q = n / 38;
	int serial = 1 + (int)(q % 9999);
	q /= 9999;
	int kk = 1 + (int)(q % 99);
	q /= 99;
	int cc = 1 + (int)(q % 99);
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%02d%02d%02d%02d%02d%02d%04d", provinces[n % 38], kk, cc,
		 female ? d + 40 : d, m, y % 100, serial);
	memcpy(nik, tmp, 16);
	nik[16] = '\0';
	snprintf(body, cap,
		 "{\"full_name\":\"%s %s %s\",\"nik\":\"%s\",\"birth_place\":\"Samarinda\","
		 "\"birth_date\":\"%04d-%02d-%02d\",\"sex\":\"%s\","
		 "\"address\":\"Jl. Merdeka No. %ld, Samarinda\",\"phone\":\"+62812%07ld\","
		 "\"email\":\"pemohon%ld@example.id\",\"passport_type\":\"ordinary-48\","
		 "\"slot_date\":\"%s\",\"slot_start\":\"%02d:00\"}",
		 first_names[n % 10], last_names[(n / 10) % 10], last_names[(n / 100) % 10],
		 nik, y, m, d, female ? "F" : "M", n % 200 + 1, (n * 7919) % 10000000, n,
		 slot_date, hour);
}

/* ---- shared state ---- */

struct officer {
	const char *name;
	char cookie[160];
	char csrf[160];
};

enum { OFF_REG, OFF_INT, OFF_ADJ, OFF_N };

enum step {
	ST_BOOK, ST_CONFIRM, ST_SEARCH, ST_CHECKIN, ST_DOCS, ST_PHOTO, ST_FP1, ST_FP6, ST_ENROL,
	ST_INTERVIEW, ST_WATCHLIST, ST_DECISION, ST_PAYMENT, ST_N
};
static const char *const step_names[ST_N] = {
	"booking (public)", "confirm with code", "search by code", "check-in", "documents", "photo upload",
	"fingerprint 1", "fingerprint 6", "enrolment", "interview", "watchlist check",
	"approval", "payment"
};

struct booking {
	char code[32];
	char nik[17];
};

static struct {
	const char *officer_url, *public_url;
	const char *spool_dir; /* the server's spool sender folder: confirmation codes */
	struct officer off[OFF_N];
	struct bytes photo, finger;
	char slot_dates[30][11];
	struct booking *books; /* prebooked */
	long nbooks;
	atomic_long next_person;
	atomic_long prebook_left;
	atomic_long flows_started;
	double flow_rate;
	double t_start, t_end;
	atomic_int errors_shown;
} g;

enum kind { K_LOOKUP, K_FLOW, K_PREBOOK };

struct conn {
	struct worker *w;
	CURL *h;
	enum kind kind;
	enum step step;
	struct curl_slist *hdrs;
	struct bytes body;
	char req[1024];
	double t0, flow_t0;
	long person;
	char nik[17];
	char code[32];
	char hold[40];
	char app[40];
	int idle; /* waiting for the flow pace */
};

struct worker {
	pthread_t th;
	CURLM *multi;
	struct conn *conns;
	int nconns;
	struct hist lookup;
	struct hist steps[ST_N];
	struct hist flow;
	uint64_t flows_failed;
	uint64_t lookups_bad;
	/* progress counters read by the main thread (relaxed) */
	atomic_ullong done_lookups, done_flows;
};

static void show_error(const char *what, long status, const struct bytes *b)
{
	if (atomic_fetch_add(&g.errors_shown, 1) < 5)
		fprintf(stderr, "office_bench: %s answered %ld: %.300s\n", what, status,
			b->p ? b->p : "");
}

static void conn_request(struct conn *c, const char *base, const char *method,
			 const char *path, const char *ctype, const void *body, size_t len,
			 const struct officer *o)
{
	char url[512], h[256];
	snprintf(url, sizeof url, "%s%s", base, path);
	curl_slist_free_all(c->hdrs);
	c->hdrs = curl_slist_append(NULL, "Expect:");
	if (ctype) {
		snprintf(h, sizeof h, "Content-Type: %s", ctype);
		c->hdrs = curl_slist_append(c->hdrs, h);
	}
	if (o) {
		snprintf(h, sizeof h, "Cookie: paspor_session=%s", o->cookie);
		c->hdrs = curl_slist_append(c->hdrs, h);
		snprintf(h, sizeof h, "X-CSRF-Token: %s", o->csrf);
		c->hdrs = curl_slist_append(c->hdrs, h);
	}
	c->body.len = 0;
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, len ? body : "");
	c->t0 = now_s();
	curl_multi_add_handle(c->w->multi, c->h);
}

static void flow_step(struct conn *c)
{
	const struct officer *reg = &g.off[OFF_REG];
	char path[160];
	const char *j = "application/json";
	snprintf(path, sizeof path, "/api/v1/applications/%s", c->app);
	size_t plen = strlen(path);
	switch (c->step) {
	case ST_BOOK: {
		char nik[17];
		long n = c->person;
		person(n, nik, c->req, sizeof c->req, g.slot_dates[n % 30], (int)((n / 30) % 24));
		memcpy(c->nik, nik, sizeof nik);
		conn_request(c, g.public_url, "POST", "/api/v1/bookings", j, c->req,
			     strlen(c->req), NULL);
		return;
	}
	case ST_CONFIRM: {
		/* the code the spool sender wrote for the hold (docs/BOOKING.md) */
		char f[600], line[400], otp[16] = "";
		snprintf(f, sizeof f, "%s/%s-1.txt", g.spool_dir, c->hold);
		FILE *fp = fopen(f, "r");
		while (fp && fgets(line, sizeof line, fp)) {
			const char *k = strstr(line, "booking paspor Anda ");
			if (k && sscanf(k + 20, "%15[0-9]", otp) == 1)
				break;
		}
		if (fp)
			fclose(fp);
		snprintf(c->req, sizeof c->req, "{\"hold\":\"%s\",\"code\":\"%s\"}", c->hold,
			 otp);
		conn_request(c, g.public_url, "POST", "/api/v1/bookings/confirm", j, c->req,
			     strlen(c->req), NULL);
		return;
	}
	case ST_SEARCH:
		snprintf(c->req, sizeof c->req, "{\"code\":\"%s\"}", c->code);
		conn_request(c, g.officer_url, "POST", "/api/v1/applications/search", j, c->req,
			     strlen(c->req), reg);
		return;
	case ST_CHECKIN:
		snprintf(path + plen, sizeof path - plen, "/check-in");
		conn_request(c, g.officer_url, "POST", path, j, "{}", 2, reg);
		return;
	case ST_DOCS:
		snprintf(path + plen, sizeof path - plen, "/documents");
		snprintf(c->req, sizeof c->req, "%s",
			 "{\"identity_card\":{\"status\":\"checked\",\"note\":\"asli\"},"
			 "\"family_card\":{\"status\":\"checked\",\"note\":\"asli\"},"
			 "\"civil_record\":{\"status\":\"checked\",\"note\":\"akta kelahiran\"},"
			 "\"old_passport\":{\"status\":\"missing\",\"note\":\"first passport\"}}");
		conn_request(c, g.officer_url, "POST", path, j, c->req, strlen(c->req), reg);
		return;
	case ST_PHOTO:
		snprintf(path + plen, sizeof path - plen, "/photo");
		conn_request(c, g.officer_url, "PUT", path, "image/jpeg", g.photo.p, g.photo.len,
			     reg);
		return;
	case ST_FP1:
	case ST_FP6:
		snprintf(path + plen, sizeof path - plen, "/fingerprints/%d",
			 c->step == ST_FP1 ? 1 : 6);
		conn_request(c, g.officer_url, "PUT", path, "image/jpeg", g.finger.p,
			     g.finger.len, reg);
		return;
	case ST_ENROL:
		snprintf(path + plen, sizeof path - plen, "/enrolment");
		/* the split the applicant confirms: the last word of the booked name */
		snprintf(c->req, sizeof c->req, "{\"primary_identifier\":\"%s\","
			 "\"secondary_identifier\":\"%s %s\"}",
			 last_names[(c->person / 100) % 10], first_names[c->person % 10],
			 last_names[(c->person / 10) % 10]);
		conn_request(c, g.officer_url, "POST", path, j, c->req, strlen(c->req), reg);
		return;
	case ST_INTERVIEW:
		snprintf(path + plen, sizeof path - plen, "/interview");
		snprintf(c->req, sizeof c->req, "{\"notes\":\"wawancara lancar, tujuan wisata\"}");
		conn_request(c, g.officer_url, "POST", path, j, c->req, strlen(c->req),
			     &g.off[OFF_INT]);
		return;
	case ST_WATCHLIST:
		snprintf(path + plen, sizeof path - plen, "/watchlist-check");
		conn_request(c, g.officer_url, "POST", path, j, "{}", 2, &g.off[OFF_ADJ]);
		return;
	case ST_DECISION:
		snprintf(path + plen, sizeof path - plen, "/decision");
		snprintf(c->req, sizeof c->req,
			 "{\"decision\":\"approve\",\"reasons\":[\"dokumen lengkap\"]}");
		conn_request(c, g.officer_url, "POST", path, j, c->req, strlen(c->req),
			     &g.off[OFF_ADJ]);
		return;
	case ST_PAYMENT:
		snprintf(path + plen, sizeof path - plen, "/payment");
		/* the billing (pending: its confirmation with the NTPN is another officer's,
		 * a cashier's, and not part of this walk); billed today in UTC, which is
		 * never after the office's local date in Indonesia */
		{
			time_t now = time(NULL);
			struct tm tm;
			gmtime_r(&now, &tm);
			snprintf(c->req, sizeof c->req,
				 "{\"billing_code\":\"82%013ld\",\"amount\":35000000,"
				 "\"currency\":\"IDR\",\"billed_on\":\"%04d-%02d-%02d\"}",
				 c->person, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		}
		conn_request(c, g.officer_url, "POST", path, j, c->req, strlen(c->req), reg);
		return;
	case ST_N:
		break;
	}
}

/* starts the connection's next unit of work; 0 when there is none (time is up) */
static int conn_next(struct conn *c)
{
	double t = now_s();
	c->idle = 0;
	if (c->kind == K_PREBOOK) {
		if (atomic_fetch_sub(&g.prebook_left, 1) <= 0)
			return 0;
		c->person = atomic_fetch_add(&g.next_person, 1);
		c->step = ST_BOOK;
		flow_step(c);
		return 1;
	}
	if (t >= g.t_end)
		return 0;
	if (c->kind == K_LOOKUP) {
		const struct booking *b = &g.books[rand() % g.nbooks];
		snprintf(c->req, sizeof c->req, "{\"code\":\"%s\",\"nik\":\"%s\"}", b->code,
			 b->nik);
		conn_request(c, g.public_url, "POST", "/api/v1/bookings/status",
			     "application/json", c->req, strlen(c->req), NULL);
		return 1;
	}
	if (g.flow_rate > 0 &&
	    (double)atomic_load(&g.flows_started) >= g.flow_rate * (t - g.t_start)) {
		c->idle = 1;
		return 1;
	}
	atomic_fetch_add(&g.flows_started, 1);
	c->person = atomic_fetch_add(&g.next_person, 1);
	c->step = ST_BOOK;
	c->flow_t0 = t;
	flow_step(c);
	return 1;
}

static const char *json_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* one answer in; returns 1 when the connection has more work */
static int conn_done(struct conn *c, long status)
{
	struct worker *w = c->w;
	double t = now_s();
	/* only what completes within the measured time counts; flows under way are left */
	if (c->kind != K_PREBOOK && t > g.t_end)
		return 0;
	if (c->kind == K_LOOKUP) {
		hist_add(&w->lookup, t - c->t0, status);
		if (status != 200) {
			w->lookups_bad++;
			show_error("status lookup", status, &c->body);
		}
		atomic_fetch_add_explicit(&w->done_lookups, 1, memory_order_relaxed);
		return conn_next(c);
	}
	if (c->kind == K_FLOW)
		hist_add(&w->steps[c->step], t - c->t0, status);
	int ok = status == (c->step == ST_BOOK ? 202 : c->step == ST_CONFIRM ? 201 : 200);
	json_t *o = NULL;
	if (ok && (c->step == ST_BOOK || c->step == ST_CONFIRM || c->step == ST_SEARCH ||
		   c->step == ST_PAYMENT)) {
		o = json_loadb(c->body.p, c->body.len, 0, NULL);
		const char *v = NULL;
		if (c->step == ST_BOOK) {
			v = json_str(o, "hold");
			if (v)
				snprintf(c->hold, sizeof c->hold, "%s", v);
		} else if (c->step == ST_CONFIRM) {
			v = json_str(o, "code");
			if (v)
				snprintf(c->code, sizeof c->code, "%s", v);
		} else if (c->step == ST_SEARCH) {
			json_t *a = json_array_get(json_object_get(o, "applications"), 0);
			v = json_str(a, "id");
			if (v)
				snprintf(c->app, sizeof c->app, "%s", v);
		} else {
			v = json_str(o, "state");
			if (v && strcmp(v, "paid") != 0)
				v = NULL;
		}
		ok = v != NULL;
		json_decref(o);
	}
	if (!ok) {
		show_error(step_names[c->step], status, &c->body);
		if (c->kind == K_FLOW)
			w->flows_failed++;
		return conn_next(c);
	}
	if (c->kind == K_PREBOOK && c->step == ST_BOOK) {
		c->step = ST_CONFIRM;
		flow_step(c);
		return 1;
	}
	if (c->kind == K_PREBOOK) {
		long i = c->person;
		if (i < g.nbooks) {
			memcpy(g.books[i].nik, c->nik, sizeof c->nik);
			snprintf(g.books[i].code, sizeof g.books[i].code, "%s", c->code);
		}
		return conn_next(c);
	}
	if (c->step == ST_PAYMENT) {
		hist_add(&w->flow, t - c->flow_t0, 200);
		atomic_fetch_add_explicit(&w->done_flows, 1, memory_order_relaxed);
		return conn_next(c);
	}
	c->step++;
	flow_step(c);
	return 1;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	int active = 0;
	for (int i = 0; i < w->nconns; i++)
		active += conn_next(&w->conns[i]);
	while (active > 0) {
		int running = 0;
		curl_multi_perform(w->multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(w->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct conn *c = NULL;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
			long status = 0;
			if (m->data.result == CURLE_OK)
				curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
			curl_multi_remove_handle(w->multi, c->h);
			if (!conn_done(c, status))
				active--;
		}
		int idle = 0;
		for (int i = 0; i < w->nconns; i++) {
			struct conn *c = &w->conns[i];
			if (!c->idle)
				continue;
			if (!conn_next(c))
				active--;
			else
				idle += c->idle;
		}
		if (active > 0)
			curl_multi_poll(w->multi, NULL, 0, idle ? 5 : 100, NULL);
	}
	return NULL;
}

/* runs nconns connections of each kind on nthreads workers until they run out of work */
static struct worker *run(int nthreads, int nlookup, int nflow, int nprebook)
{
	struct worker *ws = calloc((size_t)nthreads, sizeof *ws);
	if (!ws)
		die("out of memory");
	int total = nlookup + nflow + nprebook, k = 0;
	for (int t = 0; t < nthreads; t++) {
		struct worker *w = &ws[t];
		w->nconns = total / nthreads + (t < total % nthreads);
		w->conns = calloc((size_t)w->nconns + 1, sizeof *w->conns);
		w->multi = curl_multi_init();
		if (!w->conns || !w->multi)
			die("out of memory");
		curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, (long)w->nconns + 1);
		for (int i = 0; i < w->nconns; i++, k++) {
			struct conn *c = &w->conns[i];
			c->w = w;
			c->kind = k < nlookup ? K_LOOKUP : k < nlookup + nflow ? K_FLOW : K_PREBOOK;
			c->h = curl_easy_init();
			if (!c->h)
				die("curl_easy_init failed");
			curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
			curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
			curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &c->body);
			curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 60L);
			curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
			curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
		}
	}
	for (int t = 0; t < nthreads; t++)
		if (pthread_create(&ws[t].th, NULL, worker_run, &ws[t]) != 0)
			die("cannot start a thread");
	return ws;
}

static void run_join(struct worker *ws, int nthreads)
{
	for (int t = 0; t < nthreads; t++) {
		pthread_join(ws[t].th, NULL);
		for (int i = 0; i < ws[t].nconns; i++) {
			curl_easy_cleanup(ws[t].conns[i].h);
			curl_slist_free_all(ws[t].conns[i].hdrs);
			free(ws[t].conns[i].body.p);
		}
		curl_multi_cleanup(ws[t].multi);
		free(ws[t].conns);
	}
}

/* ---- officer login (blocking, once) ---- */

struct login_hdr {
	char *cookie;
	size_t cap;
};

static size_t on_header(char *d, size_t size, size_t n, void *arg)
{
	struct login_hdr *lh = arg;
	size_t len = size * n;
	static const char pfx[] = "set-cookie: paspor_session=";
	if (len > sizeof pfx - 1 && strncasecmp(d, pfx, sizeof pfx - 1) == 0) {
		size_t i = sizeof pfx - 1, o = 0;
		while (i < len && d[i] != ';' && d[i] != '\r' && d[i] != '\n' && o + 1 < lh->cap)
			lh->cookie[o++] = d[i++];
		lh->cookie[o] = '\0';
	}
	return len;
}

static void login(struct officer *o, const char *password, const char *totp_secret)
{
	char totp[16] = "", body[1024];
	if (totp_secret) {
		char *secret = NULL;
		size_t slen = 0;
		if (oath_base32_decode(totp_secret, strlen(totp_secret), &secret, &slen) != OATH_OK)
			die("--adj-totp: not base32");
		if (oath_totp_generate(secret, slen, time(NULL), 30, 0, 6, totp) != OATH_OK)
			die("cannot make a TOTP code");
		free(secret);
	}
	json_t *j = json_pack("{s:s, s:s}", "username", o->name, "password", password);
	if (totp_secret)
		json_object_set_new(j, "totp", json_string(totp));
	char *s = json_dumps(j, JSON_COMPACT);
	snprintf(body, sizeof body, "%s", s);
	free(s);
	json_decref(j);
	char url[512];
	snprintf(url, sizeof url, "%s/api/v1/session", g.officer_url);
	CURL *h = curl_easy_init();
	struct bytes ans = { 0 };
	struct login_hdr lh = { o->cookie, sizeof o->cookie };
	struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &ans);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &lh);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	long status = 0;
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	json_t *a = status == 200 ? json_loadb(ans.p, ans.len, 0, NULL) : NULL;
	const char *csrf = json_str(a, "csrf_token");
	if (!csrf || !o->cookie[0])
		die("login of officer '%s' answered %ld: %.200s", o->name, status,
		    ans.p ? ans.p : "");
	snprintf(o->csrf, sizeof o->csrf, "%s", csrf);
	json_decref(a);
	free(ans.p);
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
}

/* ---- reports ---- */

static void report_lookups(const struct hist *h, double secs)
{
	char st[256];
	hist_statuses(h, st, sizeof st);
	printf("status lookups: %llu in %.1f s = %.0f requests/s, p50 %.2f ms, p99 %.2f ms "
	       "(answers %s)\n",
	       (unsigned long long)h->count, secs, (double)h->count / secs, hist_ms(h, 0.5),
	       hist_ms(h, 0.99), st);
}

static void report_flows(const struct hist *flow, const struct hist *steps, uint64_t failed,
			 double secs)
{
	printf("complete flows (booking -> paid): %llu in %.1f s = %.1f flows/s, flow p50 "
	       "%.1f ms, p99 %.1f ms; failed %llu\n",
	       (unsigned long long)flow->count, secs, (double)flow->count / secs,
	       hist_ms(flow, 0.5), hist_ms(flow, 0.99), (unsigned long long)failed);
	printf("  %-18s %9s %9s %9s  answers\n", "step", "requests", "p50 ms", "p99 ms");
	for (int s = 0; s < ST_N; s++) {
		char st[256];
		hist_statuses(&steps[s], st, sizeof st);
		printf("  %-18s %9llu %9.2f %9.2f  %s\n", step_names[s],
		       (unsigned long long)steps[s].count, hist_ms(&steps[s], 0.5),
		       hist_ms(&steps[s], 0.99), st);
	}
}

static void today_plus(int days, char out[11])
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static void usage(void)
{
	fputs("usage: office_bench --officer URL --public URL --spool DIR --password PW\n"
	      "         --adj-totp SECRET\n"
	      "         [--seconds N] [--lookup-conns C] [--flow-conns C] [--flow-rate R]\n"
	      "         [--prebook N] [--books-out FILE] [--threads T] [--report-every S]\n"
	      "         [--first-person N]\n"
	      "Load client for `paspor office serve` (office timezone Etc/UTC, hourly slots\n"
	      "every day, rate limits lifted); officers reg, int, adj.\n",
	      stderr);
}

int main(int argc, char **argv)
{
	const char *password = NULL, *totp = NULL;
	double seconds = 10, report_every = 0;
	int nlookup = 0, nflow = 0, nthreads = 1;
	long prebook = 0, first = 0;
	const char *books_out = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage();
			return 0;
		}
		if (i + 1 >= argc) {
			usage();
			return 2;
		}
		const char *v = argv[++i];
		if (!strcmp(a, "--officer"))
			g.officer_url = v;
		else if (!strcmp(a, "--public"))
			g.public_url = v;
		else if (!strcmp(a, "--password"))
			password = v;
		else if (!strcmp(a, "--adj-totp"))
			totp = v;
		else if (!strcmp(a, "--seconds"))
			seconds = atof(v);
		else if (!strcmp(a, "--lookup-conns"))
			nlookup = atoi(v);
		else if (!strcmp(a, "--flow-conns"))
			nflow = atoi(v);
		else if (!strcmp(a, "--flow-rate"))
			g.flow_rate = atof(v);
		else if (!strcmp(a, "--prebook"))
			prebook = atol(v);
		else if (!strcmp(a, "--books-out"))
			books_out = v;
		else if (!strcmp(a, "--threads"))
			nthreads = atoi(v);
		else if (!strcmp(a, "--report-every"))
			report_every = atof(v);
		else if (!strcmp(a, "--first-person"))
			first = atol(v);
		else if (!strcmp(a, "--spool"))
			g.spool_dir = v;
		else {
			usage();
			return 2;
		}
	}
	if (!g.officer_url || !g.public_url || !g.spool_dir || nthreads < 1 || nthreads > 64 || nlookup < 0 ||
	    nflow < 0 || seconds <= 0 || (nlookup && prebook < 1) ||
	    (nflow && (!password || !totp))) {
		usage();
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || oath_init() != OATH_OK)
		die("cannot initialise libcurl or liboath");
	for (int d = 0; d < 30; d++)
		today_plus(d + 1, g.slot_dates[d]);
	atomic_store(&g.next_person, first);
	make_jpeg(&g.photo, 480, 600, 1, 92);
	make_jpeg(&g.finger, 300, 400, 0, 80);
	struct buf pb;
	struct photo_info pi;
	struct err pe = ERR_INIT;
	buf_init(&pb, PHOTO_OUT_MAX + 1024);
	double pt = now_s();
	int prc = photo_normalise((const uint8_t *)g.photo.p, g.photo.len, &pb, &pi, &pe);
	pt = now_s() - pt;
	printf("photo JPEG %zu bytes (480 x 600), fingerprint JPEG %zu bytes (300 x 400 grey); "
	       "photo_normalise here: %s, %zu bytes at quality %d, %.1f ms\n",
	       g.photo.len, g.finger.len, prc == 0 ? "ok" : pe.msg, pb.len, pi.quality, pt * 1e3);
	buf_release(&pb);
	int bad = 0;

	if (prebook > 0) {
		g.books = calloc((size_t)prebook, sizeof *g.books);
		if (!g.books)
			die("out of memory");
		g.nbooks = prebook;
		atomic_store(&g.next_person, 0);
		atomic_store(&g.prebook_left, prebook);
		/* person i of the prebooked ones is applicant first + i: shift the index */
		g.t_start = now_s();
		struct worker *ws = run(nthreads, 0, 0, 16);
		run_join(ws, nthreads);
		free(ws);
		long missing = 0;
		for (long i = 0; i < prebook; i++)
			missing += !g.books[i].code[0];
		printf("prebooked %ld bookings in %.1f s (%ld failed)\n", prebook,
		       now_s() - g.t_start, missing);
		if (missing)
			die("prebooking failed");
		if (books_out) {
			FILE *f = fopen(books_out, "w");
			for (long i = 0; f && i < prebook; i++)
				fprintf(f, "%s %s\n", g.books[i].code, g.books[i].nik);
			if (!f || fclose(f) != 0)
				die("cannot write %s", books_out);
		}
		if (first < prebook)
			first = prebook;
		atomic_store(&g.next_person, first);
	}
	if (nflow) {
		g.off[OFF_REG].name = "reg";
		g.off[OFF_INT].name = "int";
		g.off[OFF_ADJ].name = "adj";
		login(&g.off[OFF_REG], password, NULL);
		login(&g.off[OFF_INT], password, NULL);
		login(&g.off[OFF_ADJ], password, totp);
	}
	if (!nlookup && !nflow)
		return 0;
	printf("load: %d lookup connections, %d flow connections%s, %d client threads, %.0f s\n",
	       nlookup, nflow, g.flow_rate > 0 ? " (paced)" : "", nthreads, seconds);
	fflush(stdout);
	g.t_start = now_s();
	g.t_end = g.t_start + seconds;
	struct worker *ws = run(nthreads, nlookup, nflow, 0);
	if (report_every > 0) {
		unsigned long long last_l = 0, last_f = 0;
		double last_t = g.t_start;
		for (;;) {
			struct timespec ts = { (time_t)report_every,
					       (long)((report_every - (double)(time_t)report_every) * 1e9) };
			nanosleep(&ts, NULL);
			double t = now_s();
			if (t > g.t_end + 1)
				break;
			unsigned long long l = 0, f = 0;
			for (int i = 0; i < nthreads; i++) {
				l += atomic_load_explicit(&ws[i].done_lookups, memory_order_relaxed);
				f += atomic_load_explicit(&ws[i].done_flows, memory_order_relaxed);
			}
			printf("progress t=%.0f s: %.0f lookups/s, %.1f flows/s\n", t - g.t_start,
			       (double)(l - last_l) / (t - last_t), (double)(f - last_f) / (t - last_t));
			fflush(stdout);
			last_l = l;
			last_f = f;
			last_t = t;
		}
	}
	run_join(ws, nthreads);
	struct hist *lk = calloc(1, sizeof *lk), *fl = calloc(1, sizeof *fl),
		    *st = calloc(ST_N, sizeof *st);
	if (!lk || !fl || !st)
		die("out of memory");
	uint64_t failed = 0, lbad = 0;
	for (int t = 0; t < nthreads; t++) {
		hist_merge(lk, &ws[t].lookup);
		hist_merge(fl, &ws[t].flow);
		for (int s = 0; s < ST_N; s++)
			hist_merge(&st[s], &ws[t].steps[s]);
		failed += ws[t].flows_failed;
		lbad += ws[t].lookups_bad;
	}
	if (nlookup)
		report_lookups(lk, seconds);
	if (nflow)
		report_flows(fl, st, failed, seconds);
	bad = failed > 0 || lbad > 0;
	free(lk);
	free(fl);
	free(st);
	free(ws);
	free(g.books);
	free(g.photo.p);
	free(g.finger.p);
	curl_global_cleanup();
	return bad;
}
