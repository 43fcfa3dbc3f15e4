#include "util/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

const double METRICS_LATENCY_BUCKETS[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
					   0.1,   0.25,   0.5,   1,    2.5,   5, 10 };
const size_t METRICS_LATENCY_NBUCKETS = sizeof METRICS_LATENCY_BUCKETS / sizeof(double);

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct series {
	struct series *next;
	char *values[METRICS_LABELS_MAX];
	double value;                              /* counter, gauge */
	unsigned long long counts[METRICS_BUCKETS_MAX + 1]; /* histogram, per bucket */
	double sum;
	unsigned long long count;
};

struct metric {
	struct metric *next;
	struct metrics *reg;
	enum metric_type type;
	char *name, *help;
	char *labels[METRICS_LABELS_MAX];
	size_t nlabels;
	double bounds[METRICS_BUCKETS_MAX];
	size_t nbounds;
	struct series *series, **series_tail;
	size_t nseries;
};

struct metrics {
	pthread_mutex_t lock;
	struct metric *first, **tail;
	unsigned long long dropped;
};

int metrics_name_valid(const char *s, int is_label)
{
	if (!s || !*s)
		return 0;
	for (const char *p = s; *p; p++) {
		char c = *p;
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			    (!is_label && c == ':');
		int digit = c >= '0' && c <= '9';
		if (!alpha && !(digit && p != s))
			return 0;
	}
	if (is_label && s[0] == '_' && s[1] == '_')
		return 0; /* reserved */
	return 1;
}

struct metrics *metrics_new(void)
{
	struct metrics *m = mem_calloc(1, sizeof *m);
	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	m->tail = &m->first;
	return m;
}

static void series_free(struct series *s)
{
	for (size_t i = 0; i < METRICS_LABELS_MAX; i++)
		mem_free(s->values[i]);
	mem_free(s);
}

static void metric_free(struct metric *f)
{
	struct series *s = f->series;
	while (s) {
		struct series *next = s->next;
		series_free(s);
		s = next;
	}
	for (size_t i = 0; i < f->nlabels; i++)
		mem_free(f->labels[i]);
	mem_free(f->name);
	mem_free(f->help);
	mem_free(f);
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	struct metric *f = m->first;
	while (f) {
		struct metric *next = f->next;
		metric_free(f);
		f = next;
	}
	pthread_mutex_destroy(&m->lock);
	mem_free(m);
}

/* The metric already registered under name, if any (lock held). */
static struct metric *metric_find(struct metrics *m, const char *name)
{
	for (struct metric *f = m->first; f; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static struct metric *metric_new(struct metrics *m, enum metric_type type, const char *name,
				 const char *help, const char *l1, const char *l2)
{
	if (!m || !metrics_name_valid(name, 0) || !help)
		return NULL;
	const char *labels[2] = { l1, l2 };
	struct metric *f = mem_calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->reg = m;
	f->type = type;
	f->series_tail = &f->series;
	f->name = mem_strdup(name);
	f->help = mem_strdup(help);
	if (!f->name || !f->help)
		goto fail;
	for (size_t i = 0; i < 2 && labels[i]; i++) {
		if (!metrics_name_valid(labels[i], 1) || strcmp(labels[i], "le") == 0)
			goto fail;
		if (!(f->labels[f->nlabels++] = mem_strdup(labels[i])))
			goto fail;
	}
	return f;
fail:
	metric_free(f);
	return NULL;
}

/* Adds f, or returns the metric of that name already there when it has the same type,
 * labels and buckets (f is freed); NULL when they differ. */
static struct metric *metric_register(struct metrics *m, struct metric *f)
{
	if (!f)
		return NULL;
	pthread_mutex_lock(&m->lock);
	struct metric *old = metric_find(m, f->name);
	if (old) {
		int same = old->type == f->type && old->nlabels == f->nlabels &&
			   old->nbounds == f->nbounds &&
			   memcmp(old->bounds, f->bounds, f->nbounds * sizeof(double)) == 0;
		for (size_t i = 0; same && i < f->nlabels; i++)
			same = strcmp(old->labels[i], f->labels[i]) == 0;
		pthread_mutex_unlock(&m->lock);
		metric_free(f);
		return same ? old : NULL;
	}
	*m->tail = f;
	m->tail = &f->next;
	pthread_mutex_unlock(&m->lock);
	return f;
}

struct metric *metrics_counter(struct metrics *m, const char *name, const char *help,
			       const char *label1, const char *label2)
{
	return metric_register(m, metric_new(m, METRIC_COUNTER, name, help, label1, label2));
}

struct metric *metrics_gauge(struct metrics *m, const char *name, const char *help,
			     const char *label1, const char *label2)
{
	return metric_register(m, metric_new(m, METRIC_GAUGE, name, help, label1, label2));
}

struct metric *metrics_histogram(struct metrics *m, const char *name, const char *help,
				 const double *bounds, size_t nbounds, const char *label1,
				 const char *label2)
{
	if (nbounds == 0 || nbounds > METRICS_BUCKETS_MAX)
		return NULL;
	for (size_t i = 0; i < nbounds; i++)
		if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
			return NULL;
	struct metric *f = metric_new(m, METRIC_HISTOGRAM, name, help, label1, label2);
	if (!f)
		return NULL;
	memcpy(f->bounds, bounds, nbounds * sizeof *bounds);
	f->nbounds = nbounds;
	return metric_register(m, f);
}

/* Finds or makes the series for values; called with the lock held. */
static struct series *series_get(struct metric *f, const char *const *values)
{
	for (struct series *s = f->series; s; s = s->next) {
		size_t i;
		for (i = 0; i < f->nlabels; i++)
			if (strcmp(s->values[i], values[i]) != 0)
				break;
		if (i == f->nlabels)
			return s;
	}
	if (f->nseries >= METRICS_SERIES_MAX)
		return NULL;
	struct series *s = mem_calloc(1, sizeof *s);
	if (!s)
		return NULL;
	for (size_t i = 0; i < f->nlabels; i++) {
		if (!(s->values[i] = mem_strdup(values[i] ? values[i] : ""))) {
			series_free(s);
			return NULL;
		}
	}
	*f->series_tail = s;
	f->series_tail = &s->next;
	f->nseries++;
	return s;
}

enum op { OP_ADD, OP_SET, OP_OBSERVE };

static void update(struct metric *f, enum op op, double v, va_list ap)
{
	const char *values[METRICS_LABELS_MAX] = { 0 };
	for (size_t i = 0; i < f->nlabels; i++) {
		values[i] = va_arg(ap, const char *);
		if (!values[i])
			values[i] = "";
	}
	if (isnan(v) || (f->type == METRIC_COUNTER && v < 0))
		return;
	pthread_mutex_lock(&f->reg->lock);
	struct series *s = series_get(f, values);
	if (!s) {
		f->reg->dropped++;
	} else if (op == OP_OBSERVE) {
		size_t i = 0;
		while (i < f->nbounds && v > f->bounds[i])
			i++;
		s->counts[i]++;
		s->sum += v;
		s->count++;
	} else if (op == OP_SET) {
		s->value = v;
	} else {
		s->value += v;
	}
	pthread_mutex_unlock(&f->reg->lock);
}

void metrics_add(struct metric *c, double v, ...)
{
	if (!c || c->type == METRIC_HISTOGRAM)
		return;
	va_list ap;
	va_start(ap, v);
	update(c, OP_ADD, v, ap);
	va_end(ap);
}

void metrics_set(struct metric *g, double v, ...)
{
	if (!g || g->type != METRIC_GAUGE)
		return;
	va_list ap;
	va_start(ap, v);
	update(g, OP_SET, v, ap);
	va_end(ap);
}

void metrics_observe(struct metric *h, double v, ...)
{
	if (!h || h->type != METRIC_HISTOGRAM)
		return;
	va_list ap;
	va_start(ap, v);
	update(h, OP_OBSERVE, v, ap);
	va_end(ap);
}

/* A value as the format wants it: integers without a fraction, +Inf/-Inf/NaN. */
static void add_value(struct buf *b, double v)
{
	if (isnan(v))
		buf_addstr(b, "NaN");
	else if (isinf(v))
		buf_addstr(b, v > 0 ? "+Inf" : "-Inf");
	else if (v > -1e15 && v < 1e15 && v == (double)(long long)v)
		buf_addf(b, "%.0f", v);
	else
		buf_addf(b, "%.17g", v);
}

static void add_escaped(struct buf *b, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_addstr(b, "\\\\");
		else if (*s == '\n')
			buf_addstr(b, "\\n");
		else if (quote && *s == '"')
			buf_addstr(b, "\\\"");
		else
			buf_addch(b, (uint8_t)*s);
	}
}

/* name{l1="v1",l2="v2"[,le="x"]} */
static void add_series_name(struct buf *b, const struct metric *f, const char *suffix,
			    const struct series *s, const char *le)
{
	buf_addstr(b, f->name);
	buf_addstr(b, suffix);
	if (f->nlabels == 0 && !le)
		return;
	buf_addch(b, '{');
	for (size_t i = 0; i < f->nlabels; i++) {
		buf_addf(b, "%s%s=\"", i ? "," : "", f->labels[i]);
		add_escaped(b, s->values[i], 1);
		buf_addch(b, '"');
	}
	if (le)
		buf_addf(b, "%sle=\"%s\"", f->nlabels ? "," : "", le);
	buf_addch(b, '}');
}

static void render_metric(struct buf *b, const struct metric *f)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	buf_addf(b, "# HELP %s ", f->name);
	add_escaped(b, f->help, 0);
	buf_addf(b, "\n# TYPE %s %s\n", f->name, types[f->type]);
	for (const struct series *s = f->series; s; s = s->next) {
		if (f->type != METRIC_HISTOGRAM) {
			add_series_name(b, f, "", s, NULL);
			buf_addch(b, ' ');
			add_value(b, s->value);
			buf_addch(b, '\n');
			continue;
		}
		unsigned long long cum = 0;
		for (size_t i = 0; i <= f->nbounds; i++) {
			char le[40];
			cum += s->counts[i];
			if (i < f->nbounds)
				snprintf(le, sizeof le, "%g", f->bounds[i]);
			else
				snprintf(le, sizeof le, "+Inf");
			add_series_name(b, f, "_bucket", s, le);
			buf_addf(b, " %llu\n", cum);
		}
		add_series_name(b, f, "_sum", s, NULL);
		buf_addch(b, ' ');
		add_value(b, s->sum);
		buf_addch(b, '\n');
		add_series_name(b, f, "_count", s, NULL);
		buf_addf(b, " %llu\n", s->count);
	}
}

int metrics_render(struct metrics *m, struct buf *b)
{
	if (!m)
		return 0;
	pthread_mutex_lock(&m->lock);
	for (const struct metric *f = m->first; f; f = f->next)
		render_metric(b, f);
	if (m->dropped)
		buf_addf(b, "# HELP paspor_metrics_dropped_total metric updates dropped "
			    "(series limit or memory)\n# TYPE paspor_metrics_dropped_total "
			    "counter\npaspor_metrics_dropped_total %llu\n", m->dropped);
	pthread_mutex_unlock(&m->lock);
	return buf_ok(b) ? 0 : -1;
}
