/* calendar — see calendar.h. */
#include "office/calendar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "office/config.h"

int cal_days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return days[month - 1];
}

int cal_date_valid(int year, int month, int day)
{
	return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
	       day <= cal_days_in_month(year, month);
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int cal_date_parse(const char *s, struct cal_date *d)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	int y, m, dd;
	if (digits(s, 4, &y) < 0 || digits(s + 5, 2, &m) < 0 || digits(s + 8, 2, &dd) < 0)
		return -1;
	if (!cal_date_valid(y, m, dd))
		return -1;
	d->year = y;
	d->month = m;
	d->day = dd;
	return 0;
}

void cal_date_format(const struct cal_date *d, char out[11])
{
	unsigned y = (unsigned)d->year % 10000u, m = (unsigned)d->month % 100u,
		 dd = (unsigned)d->day % 100u;
	snprintf(out, 11, "%04u-%02u-%02u", y, m, dd);
}

/* Days from 1970-01-01: counts 400-year eras from 0000-03-01 (March-based years put
 * the leap day last). */
int64_t cal_date_to_days(const struct cal_date *d)
{
	int64_t y = d->year - (d->month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (d->month + 9) % 12; /* March = 0 */
	int64_t doy = (153 * mp + 2) / 5 + d->day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void cal_date_from_days(int64_t days, struct cal_date *d)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t day = doy - (153 * mp + 2) / 5 + 1;
	int64_t month = mp < 10 ? mp + 3 : mp - 9;
	d->year = (int)(yoe + era * 400 + (month <= 2));
	d->month = (int)month;
	d->day = (int)day;
}

int cal_weekday(const struct cal_date *d)
{
	int64_t days = cal_date_to_days(d); /* 1970-01-01 was a Thursday (4) */
	int64_t w = (days + 4) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

int cal_date_cmp(const struct cal_date *a, const struct cal_date *b)
{
	if (a->year != b->year)
		return a->year < b->year ? -1 : 1;
	if (a->month != b->month)
		return a->month < b->month ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return 0;
}

int calendar_zone_check(const char *name, struct err *e)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 63)
		return err_set(e, ERR_INPUT, "time zone name must be 1 to 63 characters");
	if (name[0] == '/' || strstr(name, ".."))
		return err_set(e, ERR_INPUT, "time zone '%s' is not an IANA zone name", name);
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '+' ||
		      ch == '/'))
			return err_set(e, ERR_INPUT, "time zone '%s' is not an IANA zone name",
				       name);
	}
	const char *dir = getenv("TZDIR");
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return err_set(e, ERR_INPUT, "unknown time zone '%s' (no %s)", name,
				       path);
		return err_errno(e, ERR_IO, "cannot read time zone file '%s'", path);
	}
	char magic[4];
	ssize_t r = read(fd, magic, sizeof magic);
	close(fd);
	if (r != 4 || memcmp(magic, "TZif", 4) != 0)
		return err_set(e, ERR_INPUT, "time zone '%s': %s is not a TZif file", name,
			       path);
	return 0;
}

int calendar_set_zone(const char *name, struct err *e)
{
	if (calendar_zone_check(name, e) < 0)
		return -1;
	if (setenv("TZ", name, 1) != 0)
		return err_errno(e, ERR_INTERNAL, "cannot set TZ");
	tzset();
	return 0;
}

static int floor_div(int64_t a, int64_t b, int64_t *q, int64_t *r)
{
	*q = a / b;
	*r = a % b;
	if (*r < 0) {
		*r += b;
		*q -= 1;
	}
	return 0;
}

static int offset_at(int64_t t, long *off)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm))
		return -1;
	*off = tm.tm_gmtoff;
	return 0;
}

int calendar_local(int64_t utc_ms, struct cal_local *out, struct err *e)
{
	int64_t s, ms;
	floor_div(utc_ms, 1000, &s, &ms);
	long off;
	if (offset_at(s, &off) < 0)
		return err_set(e, ERR_INPUT, "time %lld ms is out of range", (long long)utc_ms);
	int64_t days, sod;
	floor_div(s + off, 86400, &days, &sod);
	cal_date_from_days(days, &out->date);
	if (!cal_date_valid(out->date.year, out->date.month, out->date.day))
		return err_set(e, ERR_INPUT, "time %lld ms is out of range", (long long)utc_ms);
	out->minute = (int)(sod / 60);
	out->second = (int)(sod % 60);
	out->utc_offset_s = off;
	return 0;
}

int calendar_local_to_utc(const struct cal_date *d, int minute, int64_t *utc_ms,
			  struct err *e)
{
	if (!cal_date_valid(d->year, d->month, d->day))
		return err_set(e, ERR_INPUT, "invalid date %04d-%02d-%02d", d->year, d->month,
			       d->day);
	if (minute < 0 || minute > 24 * 60)
		return err_set(e, ERR_INPUT, "minute of the day %d is out of range", minute);
	/* The wall time read as if it were UTC; the real instant is naive - offset, with the
	 * offset in force at that instant. Zones change their offset at most once within a
	 * day, so the offsets a day before and a day after are the only candidates. */
	int64_t naive = cal_date_to_days(d) * 86400 + (int64_t)minute * 60;
	long before, after;
	if (offset_at(naive - 86400, &before) < 0 || offset_at(naive + 86400, &after) < 0)
		return err_set(e, ERR_INPUT, "date %04d-%02d-%02d is out of range", d->year,
			       d->month, d->day);
	int64_t best = 0;
	int found = 0;
	long cands[2] = { before, after };
	for (int i = 0; i < 2; i++) {
		int64_t t = naive - cands[i];
		long off;
		if (offset_at(t, &off) == 0 && off == cands[i] && (!found || t < best)) {
			best = t;
			found = 1;
		}
	}
	if (!found) /* in a gap: the offset before the switch */
		best = naive - before;
	*utc_ms = best * 1000;
	return 0;
}

int calendar_is_holiday(const struct config *c, const struct cal_date *d)
{
	size_t lo = 0, hi = c->nholidays;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cal_date_cmp(&c->holidays[mid], d);
		if (r == 0)
			return 1;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int calendar_is_open(const struct config *c, const struct cal_date *d)
{
	if (!cal_date_valid(d->year, d->month, d->day))
		return 0;
	if (!(c->working_days & (1u << cal_weekday(d))))
		return 0;
	return !calendar_is_holiday(c, d);
}

int calendar_slots(const struct config *c, const struct cal_date *d,
		   struct calendar_slot *out, struct err *e)
{
	if (!cal_date_valid(d->year, d->month, d->day))
		return err_set(e, ERR_INPUT, "invalid date %04d-%02d-%02d", d->year, d->month,
			       d->day);
	if (!calendar_is_open(c, d))
		return 0;
	int n = 0;
	for (size_t i = 0; i < c->nslots && i < CONFIG_MAX_SLOTS; i++) {
		struct calendar_slot *s = &out[n++];
		s->index = (int)i;
		s->start_min = c->slots[i].start_min;
		s->end_min = c->slots[i].end_min;
		s->quota = c->slots[i].quota;
		if (calendar_local_to_utc(d, s->start_min, &s->start_utc_ms, e) < 0 ||
		    calendar_local_to_utc(d, s->end_min, &s->end_utc_ms, e) < 0)
			return -1;
	}
	return n;
}
