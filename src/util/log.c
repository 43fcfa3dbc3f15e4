#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *log_prog = "paspor";
static int log_foreground = 1;
static enum log_level log_max = LOG_LEVEL_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_init(const char *prog, int foreground, enum log_level level)
{
	log_prog = prog;
	log_foreground = foreground;
	log_max = level;
}

void log_set_level(enum log_level level)
{
	log_max = level;
}

static const char *level_name(enum log_level l)
{
	switch (l) {
	case LOG_LEVEL_ERROR: return "error";
	case LOG_LEVEL_WARN: return "warn";
	case LOG_LEVEL_INFO: return "info";
	default: return "debug";
	}
}

static void vlog(enum log_level level, const char *why, const char *fmt, va_list ap)
{
	if (level > log_max)
		return;
	char msg[1024];
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	if (why && n >= 0 && (size_t)n < sizeof msg)
		snprintf(msg + n, sizeof msg - (size_t)n, ": %s", why);

	pthread_mutex_lock(&log_lock);
	if (log_foreground) {
		fprintf(stderr, "%s: %s\n", log_prog, msg);
	} else {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		fprintf(stderr, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s prog=%s msg=\"",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			tm.tm_sec, ts.tv_nsec / 1000000, level_name(level), log_prog);
		for (const char *p = msg; *p; p++) {
			if (*p == '"' || *p == '\\')
				fputc('\\', stderr);
			fputc(*p == '\n' ? ' ' : *p, stderr);
		}
		fputs("\"\n", stderr);
	}
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

#define LOG_FN(name, level, with_errno)                                              \
	void name(const char *fmt, ...)                                              \
	{                                                                            \
		const char *why = with_errno ? strerror(errno) : NULL;               \
		va_list ap;                                                          \
		va_start(ap, fmt);                                                   \
		vlog(level, why, fmt, ap);                                           \
		va_end(ap);                                                          \
	}

LOG_FN(log_warn, LOG_LEVEL_WARN, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)

void fatal(const char *fmt, ...)
{
	const char *why = strerror(errno);
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, why, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
