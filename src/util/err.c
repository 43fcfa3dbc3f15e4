#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

void err_clear(struct err *e)
{
	if (e) {
		e->code = ERR_NONE;
		e->msg[0] = '\0';
		e->reason = 0;
	}
}

static int vset(struct err *e, enum err_code code, const char *suffix, const char *fmt,
		va_list ap)
{
	if (!e || e->code != ERR_NONE)
		return -1;
	e->code = code;
	int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	if (suffix && n >= 0 && (size_t)n < sizeof e->msg)
		snprintf(e->msg + n, sizeof e->msg - (size_t)n, ": %s", suffix);
	return -1;
}

int err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(e, code, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int err_refuse(struct err *e, int reason, const char *fmt, ...)
{
	if (!e || e->code != ERR_NONE)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vset(e, ERR_INPUT, NULL, fmt, ap);
	va_end(ap);
	e->reason = reason;
	return -1;
}

int err_errno(struct err *e, enum err_code code, const char *fmt, ...)
{
	const char *why = strerror(errno);
	va_list ap;
	va_start(ap, fmt);
	vset(e, code, why, fmt, ap);
	va_end(ap);
	return -1;
}

int err_openssl(struct err *e, enum err_code code, const char *fmt, ...)
{
	char why[256] = "unknown reason";
	unsigned long l = ERR_get_error();
	if (l) {
		const char *r = ERR_reason_error_string(l);
		if (r)
			snprintf(why, sizeof why, "%s", r);
		else
			ERR_error_string_n(l, why, sizeof why);
	}
	ERR_clear_error();
	va_list ap;
	va_start(ap, fmt);
	vset(e, code, why, fmt, ap);
	va_end(ap);
	return -1;
}

void err_prefix(struct err *e, const char *fmt, ...)
{
	if (!e || e->code == ERR_NONE)
		return;
	char joined[sizeof e->msg];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(joined, sizeof joined, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 2 >= sizeof joined)
		return;
	memcpy(joined + n, ": ", 2);
	size_t room = sizeof joined - (size_t)n - 2;
	size_t old = strnlen(e->msg, sizeof e->msg);
	if (old >= room)
		old = room - 1;
	memcpy(joined + n + 2, e->msg, old);
	joined[(size_t)n + 2 + old] = '\0';
	memcpy(e->msg, joined, sizeof joined);
}

int err_nomem(struct err *e)
{
	return err_set(e, ERR_NOMEM, "out of memory");
}

int err_exit_code(const struct err *e)
{
	return e->code == ERR_INPUT ? 2 : 1;
}
