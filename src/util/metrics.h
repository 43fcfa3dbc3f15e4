/*
 * metrics — a small thread-safe registry of Prometheus metrics, rendered in the text
 * exposition format 0.0.4 (`text/plain; version=0.0.4`) for GET /metrics.
 *
 *   struct metrics *m = metrics_new();
 *   struct metric *req = metrics_counter(m, "paspor_http_requests_total",
 *                                        "HTTP requests answered", "route", "status");
 *   metrics_add(req, 1, "/healthz", "200");
 *   struct buf b; buf_init(&b, 1 << 20); metrics_render(m, &b);
 *
 * A metric (family) has a name ([a-zA-Z_:][a-zA-Z0-9_:]*), a help text, a type and up to
 * METRICS_LABELS_MAX label names; each distinct tuple of label values is one series,
 * made on first use (at most METRICS_SERIES_MAX per metric: past that, updates are
 * dropped and counted in paspor_metrics_dropped_total, so a bug cannot grow memory
 * without bound). Label values are escaped as the format says (\\, \", \n).
 * Counters only go up (metrics_add with a negative value is ignored); gauges are set or
 * added to; histograms have fixed upper bounds given at creation (ascending, +Inf
 * implied) and render _bucket (cumulative), _sum and _count.
 *
 * Registering a name again returns the metric already there when type, labels and
 * buckets agree (so two listeners can share one registry), NULL when they differ.
 * Families render in the order they were registered, series in the order they were
 * made. Every function may be called from any thread (one mutex per registry).
 *
 * Ownership: the registry owns its metrics; metrics_free frees all. Registration returns
 * NULL on bad names or when memory is short; update functions accept NULL (no-op) so a
 * failed registration never crashes a caller.
 */
#ifndef PASPOR_UTIL_METRICS_H
#define PASPOR_UTIL_METRICS_H

#include <stddef.h>

#include "util/buf.h"

#define METRICS_LABELS_MAX 3
#define METRICS_SERIES_MAX 2000
#define METRICS_BUCKETS_MAX 20

struct metrics;
struct metric;

/* Request latency buckets in seconds (1 ms … 10 s). */
extern const double METRICS_LATENCY_BUCKETS[];
extern const size_t METRICS_LATENCY_NBUCKETS;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Label names follow help; pass NULL for unused ones. */
struct metric *metrics_counter(struct metrics *m, const char *name, const char *help,
			       const char *label1, const char *label2);
struct metric *metrics_gauge(struct metrics *m, const char *name, const char *help,
			     const char *label1, const char *label2);
struct metric *metrics_histogram(struct metrics *m, const char *name, const char *help,
				 const double *bounds, size_t nbounds, const char *label1,
				 const char *label2);

/* Values for the metric's labels follow v, as many as it has. */
void metrics_add(struct metric *c, double v, ...);
void metrics_set(struct metric *g, double v, ...);
void metrics_observe(struct metric *h, double v, ...);

/* Appends the whole registry in the text format; 0, or -1 when b's cap is reached. */
int metrics_render(struct metrics *m, struct buf *b);

/* Checks a metric or label name; 1 when valid. */
int metrics_name_valid(const char *s, int is_label);

#endif
