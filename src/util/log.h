/*
 * log — daemon and CLI logging, after OpenBSD's log.c.
 *
 * log_info/log_warnx/log_debug print a message; log_warn appends ": strerror(errno)";
 * fatal/fatalx log and exit(1) (only main-level code may call them: library code
 * returns errors instead). In the foreground (a CLI, or a daemon run with -d) lines go
 * to stderr as "paspor: message"; otherwise each line is one structured record on
 * stderr: `ts=2026-11-29T09:00:00.123Z level=info prog=paspor msg="..."`, ready for
 * journald or a collector.
 *
 * Rules that every caller follows (see docs/LOGGING.md): no secret (key, password,
 * TOTP seed, session token) is ever passed to these functions, and personal data
 * (names, NIK, photos) is logged by reference only (application id, event sequence).
 */
#ifndef PASPOR_UTIL_LOG_H
#define PASPOR_UTIL_LOG_H

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_init(const char *prog, int foreground, enum log_level level);
void log_set_level(enum log_level level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
