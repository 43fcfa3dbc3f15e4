/*
 * calendar — dates, the office's local time and the slots of a day.
 *
 * Events carry UTC (ms since the epoch); quotas count per LOCAL day in the office's time
 * zone (office.timezone in paspor.conf, docs/CONFIG.md). One node serves one office, so
 * the process uses one zone: calendar_set_zone sets TZ and calls tzset() once at start
 * (before threads start; it is not thread-safe). After that the conversions below only
 * call localtime_r and are safe from any thread. Tests may switch zones between cases.
 *
 * Dates are proleptic Gregorian, years 1..9999. Local times:
 *   - calendar_local turns a UTC instant into the local date and minute of the day;
 *   - calendar_local_to_utc turns a local date + minute into the UTC instant. Around a
 *     daylight-saving switch: a wall time that happens twice (clocks go back) maps to
 *     its first occurrence; a wall time that does not exist (clocks go forward) maps
 *     with the offset in force before the switch (so 02:30 on the morning clocks jump
 *     from 02:00 to 03:00 is the instant shown afterwards as 03:30).
 *
 * Slots (calendar_slots) are the configured slots of an open day with their quotas and
 * UTC bounds; counting the bookings in each is the booking module's job.
 *
 * Nothing here allocates. Errors: ERR_INPUT for an invalid date or zone name, ERR_IO
 * when the zone file cannot be read.
 */
#ifndef PASPOR_OFFICE_CALENDAR_H
#define PASPOR_OFFICE_CALENDAR_H

#include <stdint.h>

#include "util/err.h"

struct config;

struct cal_date {
	int year, month, day; /* 1..9999, 1..12, 1..31 */
};

/* 1 when y-m-d is a real date (1..9999), else 0. */
int cal_date_valid(int year, int month, int day);
int cal_days_in_month(int year, int month);
/* Strict "YYYY-MM-DD"; 0 or -1 (not that form, or not a real date). */
int cal_date_parse(const char *s, struct cal_date *d);
/* Writes "YYYY-MM-DD" and a NUL into out. */
void cal_date_format(const struct cal_date *d, char out[11]);
/* Days since 1970-01-01 (negative before), and back. */
int64_t cal_date_to_days(const struct cal_date *d);
void cal_date_from_days(int64_t days, struct cal_date *d);
/* 0 = Sunday … 6 = Saturday. */
int cal_weekday(const struct cal_date *d);
int cal_date_cmp(const struct cal_date *a, const struct cal_date *b);

/* 0 when name is an IANA zone name (letters, digits, '_', '-', '+', '/'; no "..") whose
 * TZif file exists under $TZDIR or /usr/share/zoneinfo; else -1 with the reason. */
int calendar_zone_check(const char *name, struct err *e);
/* Checks the zone, then makes it the process's local zone (TZ, tzset). */
int calendar_set_zone(const char *name, struct err *e);

struct cal_local {
	struct cal_date date;
	int minute;        /* minute of the day, 0..1439 */
	int second;        /* 0..59 */
	long utc_offset_s; /* local = UTC + offset */
};

int calendar_local(int64_t utc_ms, struct cal_local *out, struct err *e);
int calendar_local_to_utc(const struct cal_date *d, int minute, int64_t *utc_ms,
			  struct err *e);

/* 1 when d is one of the configured holidays. */
int calendar_is_holiday(const struct config *c, const struct cal_date *d);
/* 1 when d is a working day (config.working_days) and not a holiday. */
int calendar_is_open(const struct config *c, const struct cal_date *d);

struct calendar_slot {
	int index;              /* position in config.slots */
	int start_min, end_min; /* local minutes of the day, start < end */
	unsigned quota;
	int64_t start_utc_ms, end_utc_ms;
};

/*
 * The slots of local date d, in order, into out (room for CONFIG_MAX_SLOTS); returns
 * how many (0 on a closed day), or -1 with e set for an invalid date.
 */
int calendar_slots(const struct config *c, const struct cal_date *d,
		   struct calendar_slot *out, struct err *e);

#endif
