/*
 * metrics: the Prometheus text exposition format 0.0.4 as the format's documentation
 * writes it (prometheus.io "Exposition formats": HELP/TYPE lines, label escaping of
 * backslash, quote and newline, cumulative histogram buckets with le="+Inf", _sum and
 * _count), series limits, bad names, and updates from several threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "util/metrics.h"

TEST(metrics_text_format_counter_gauge)
{
	struct metrics *m = metrics_new();
	CHECK(m);
	struct metric *c = metrics_counter(m, "http_requests_total", "The total number of HTTP requests.",
					   "method", "code");
	struct metric *g = metrics_gauge(m, "temp_celsius", "A gauge.", NULL, NULL);
	CHECK(c && g);
	metrics_add(c, 1027, "post", "200");
	metrics_add(c, 3, "post", "400");
	metrics_add(c, -5, "post", "400"); /* counters never go down */
	metrics_set(g, 21.5);
	metrics_set(g, -3);
	struct buf b;
	buf_init(&b, 1 << 16);
	CHECK_INT_EQ(metrics_render(m, &b), 0);
	CHECK_STR_EQ(buf_str(&b),
		     "# HELP http_requests_total The total number of HTTP requests.\n"
		     "# TYPE http_requests_total counter\n"
		     "http_requests_total{method=\"post\",code=\"200\"} 1027\n"
		     "http_requests_total{method=\"post\",code=\"400\"} 3\n"
		     "# HELP temp_celsius A gauge.\n"
		     "# TYPE temp_celsius gauge\n"
		     "temp_celsius -3\n");
	buf_release(&b);
	metrics_free(m);
}

TEST(metrics_label_escaping)
{
	struct metrics *m = metrics_new();
	struct metric *c = metrics_counter(m, "msdos_file_access_time_seconds", "help with \\ and\nnewline",
					   "path", NULL);
	metrics_add(c, 1.458255915e9, "C:\\DIR\\FILE.TXT");
	metrics_add(c, 1, "a \"quoted\"\nline");
	struct buf b;
	buf_init(&b, 1 << 16);
	CHECK_INT_EQ(metrics_render(m, &b), 0);
	CHECK_STR_EQ(buf_str(&b),
		     "# HELP msdos_file_access_time_seconds help with \\\\ and\\nnewline\n"
		     "# TYPE msdos_file_access_time_seconds counter\n"
		     "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\"} 1458255915\n"
		     "msdos_file_access_time_seconds{path=\"a \\\"quoted\\\"\\nline\"} 1\n");
	buf_release(&b);
	metrics_free(m);
}

TEST(metrics_histogram_buckets)
{
	struct metrics *m = metrics_new();
	static const double bounds[] = { 0.25, 0.5, 1, 2, 4 };
	struct metric *h = metrics_histogram(m, "http_request_duration_seconds",
					     "A histogram of the request duration.", bounds, 5, NULL, NULL);
	CHECK(h);
	/* 0.25 is in the 0.25 bucket (le is inclusive); 2 beyond 4; binary fractions only,
	 * so the sum is exact */
	double obs[] = { 0.125, 0.25, 0.375, 0.75, 0.75, 1.5, 3, 8, 16, 0.5 };
	for (size_t i = 0; i < sizeof obs / sizeof obs[0]; i++)
		metrics_observe(h, obs[i]);
	struct buf b;
	buf_init(&b, 1 << 16);
	CHECK_INT_EQ(metrics_render(m, &b), 0);
	CHECK_STR_EQ(buf_str(&b),
		     "# HELP http_request_duration_seconds A histogram of the request duration.\n"
		     "# TYPE http_request_duration_seconds histogram\n"
		     "http_request_duration_seconds_bucket{le=\"0.25\"} 2\n"
		     "http_request_duration_seconds_bucket{le=\"0.5\"} 4\n"
		     "http_request_duration_seconds_bucket{le=\"1\"} 6\n"
		     "http_request_duration_seconds_bucket{le=\"2\"} 7\n"
		     "http_request_duration_seconds_bucket{le=\"4\"} 8\n"
		     "http_request_duration_seconds_bucket{le=\"+Inf\"} 10\n"
		     "http_request_duration_seconds_sum 31.25\n"
		     "http_request_duration_seconds_count 10\n");
	buf_release(&b);
	metrics_free(m);
}

TEST(metrics_histogram_with_label)
{
	struct metrics *m = metrics_new();
	static const double bounds[] = { 1 };
	struct metric *h = metrics_histogram(m, "lat", "x", bounds, 1, "route", NULL);
	metrics_observe(h, 0.5, "/a");
	struct buf b;
	buf_init(&b, 1 << 16);
	metrics_render(m, &b);
	CHECK(strstr(buf_str(&b), "lat_bucket{route=\"/a\",le=\"1\"} 1\n"
				  "lat_bucket{route=\"/a\",le=\"+Inf\"} 1\n"
				  "lat_sum{route=\"/a\"} 0.5\n"
				  "lat_count{route=\"/a\"} 1\n"));
	buf_release(&b);
	metrics_free(m);
}

TEST(metrics_bad_names_and_reregistration)
{
	struct metrics *m = metrics_new();
	CHECK(!metrics_counter(m, "1abc", "x", NULL, NULL));
	CHECK(!metrics_counter(m, "a-b", "x", NULL, NULL));
	CHECK(!metrics_counter(m, "ok", "x", "bad-label", NULL));
	CHECK(!metrics_counter(m, "ok", "x", "__reserved", NULL));
	CHECK(!metrics_histogram(m, "h", "x", (const double[]){ 2, 1 }, 2, NULL, NULL));
	CHECK(!metrics_histogram(m, "h", "x", (const double[]){ 1 }, 1, "le", NULL));
	struct metric *a = metrics_counter(m, "ns:name_total", "x", "l", NULL);
	CHECK(a);
	CHECK(metrics_counter(m, "ns:name_total", "x", "l", NULL) == a);
	CHECK(!metrics_gauge(m, "ns:name_total", "x", "l", NULL));
	CHECK(!metrics_counter(m, "ns:name_total", "x", "other", NULL));
	metrics_add(NULL, 1, "x"); /* a failed registration is a no-op */
	CHECK(metrics_name_valid("a_b:c9", 0));
	CHECK(!metrics_name_valid("a:b", 1));
	metrics_free(m);
}

TEST(metrics_series_limit)
{
	struct metrics *m = metrics_new();
	struct metric *c = metrics_counter(m, "c_total", "x", "id", NULL);
	char id[16];
	for (int i = 0; i < METRICS_SERIES_MAX + 10; i++) {
		snprintf(id, sizeof id, "%d", i);
		metrics_add(c, 1, id);
	}
	struct buf b;
	buf_init(&b, 1 << 22);
	CHECK_INT_EQ(metrics_render(m, &b), 0);
	CHECK(strstr(buf_str(&b), "paspor_metrics_dropped_total 10\n"));
	CHECK(!strstr(buf_str(&b), "c_total{id=\"2000\"}"));
	buf_release(&b);
	metrics_free(m);
}

static void *bump(void *arg)
{
	struct metric **ms = arg;
	for (int i = 0; i < 10000; i++) {
		metrics_add(ms[0], 1, i % 2 ? "odd" : "even");
		metrics_observe(ms[1], 0.001 * (i % 7));
	}
	return NULL;
}

TEST(metrics_threads)
{
	struct metrics *m = metrics_new();
	struct metric *ms[2] = {
		metrics_counter(m, "t_total", "x", "k", NULL),
		metrics_histogram(m, "t_seconds", "x", METRICS_LATENCY_BUCKETS,
				  METRICS_LATENCY_NBUCKETS, NULL, NULL),
	};
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, bump, ms);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	struct buf b;
	buf_init(&b, 1 << 16);
	metrics_render(m, &b);
	CHECK(strstr(buf_str(&b), "t_total{k=\"even\"} 20000\nt_total{k=\"odd\"} 20000\n"));
	CHECK(strstr(buf_str(&b), "t_seconds_bucket{le=\"+Inf\"} 40000\n"));
	CHECK(strstr(buf_str(&b), "t_seconds_count 40000\n"));
	buf_release(&b);
	metrics_free(m);
}
