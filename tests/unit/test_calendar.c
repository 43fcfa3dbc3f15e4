/*
 * office/calendar: dates (known weekdays and day numbers, as `date -u +%s` gives them),
 * working days and holidays, slot boundaries, and local time in WIB / WITA / WIT and in
 * a daylight-saving zone (Europe/Amsterdam, for a consular post) around both switches of
 * 2026 (29 March 01:00 UTC, 25 October 01:00 UTC — EU rule: last Sundays). Instants are
 * from `date -u -d ... +%s`.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "office/calendar.h"
#include "office/config.h"

TEST(calendar_dates)
{
	struct cal_date d;
	CHECK(cal_date_parse("2026-08-17", &d) == 0);
	CHECK_INT_EQ(cal_weekday(&d), 1); /* Monday */
	CHECK(cal_date_parse("1945-08-17", &d) == 0);
	CHECK_INT_EQ(cal_weekday(&d), 5); /* Friday, the proclamation */
	CHECK_INT_EQ(cal_date_to_days(&d), -8903);
	CHECK(cal_date_parse("2000-02-29", &d) == 0);
	CHECK(cal_date_parse("1900-02-29", &d) < 0);
	CHECK(cal_date_parse("2026-2-01", &d) < 0);
	CHECK(cal_date_parse("2026-02-01x", &d) < 0);
	CHECK(cal_date_parse("2026-13-01", &d) < 0);
	CHECK(cal_date_parse("0000-01-01", &d) < 0);
	struct cal_date e = { 2026, 3, 29 };
	CHECK_INT_EQ(cal_date_to_days(&e), 1774742400 / 86400);
	for (int64_t n = -700000; n < 2932000; n += 997) {
		struct cal_date r;
		cal_date_from_days(n, &r);
		CHECK(cal_date_valid(r.year, r.month, r.day));
		CHECK_INT_EQ(cal_date_to_days(&r), n);
	}
	char s[11];
	cal_date_format(&e, s);
	CHECK_STR_EQ(s, "2026-03-29");
}

static void small_config(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->working_days = 0x3e; /* Mon..Fri */
	c->slots[0] = (struct config_slot){ 8 * 60, 9 * 60, 20 };
	c->slots[1] = (struct config_slot){ 13 * 60, 14 * 60 + 30, 5 };
	c->nslots = 2;
	c->holidays[0] = (struct cal_date){ 2026, 8, 17 };
	c->holidays[1] = (struct cal_date){ 2026, 12, 25 };
	c->nholidays = 2;
}

TEST(calendar_working_days_holidays_slots)
{
	struct err e = ERR_INIT;
	CHECK(calendar_set_zone("Asia/Makassar", &e) == 0);
	struct config c;
	small_config(&c);
	struct cal_date mon = { 2026, 8, 17 }, tue = { 2026, 8, 18 }, sat = { 2026, 8, 22 },
			sun = { 2026, 8, 23 };
	CHECK(calendar_is_holiday(&c, &mon));
	CHECK(!calendar_is_open(&c, &mon)); /* Independence Day, a Monday */
	CHECK(calendar_is_open(&c, &tue));
	CHECK(!calendar_is_open(&c, &sat));
	CHECK(!calendar_is_open(&c, &sun));
	struct calendar_slot s[CONFIG_MAX_SLOTS];
	CHECK_INT_EQ(calendar_slots(&c, &mon, s, &e), 0);
	CHECK_INT_EQ(calendar_slots(&c, &sat, s, &e), 0);
	CHECK_INT_EQ(calendar_slots(&c, &tue, s, &e), 2);
	/* 2026-08-18 08:00 WITA (UTC+8) = 00:00 UTC = 1787011200 */
	CHECK_INT_EQ(s[0].start_utc_ms, 1787011200000LL);
	CHECK_INT_EQ(s[0].end_utc_ms, 1787014800000LL);
	CHECK_INT_EQ(s[0].quota, 20);
	CHECK_INT_EQ(s[1].start_utc_ms, 1787011200000LL + 5 * 3600000LL);
	CHECK_INT_EQ(s[1].end_utc_ms, 1787011200000LL + 6 * 3600000LL + 1800000LL);
	CHECK_INT_EQ(s[1].index, 1);
	/* slot boundaries: the end instant belongs to the next minute of the day */
	struct cal_local l;
	CHECK(calendar_local(s[0].end_utc_ms - 1, &l, &e) == 0);
	CHECK_INT_EQ(l.minute, 8 * 60 + 59);
	CHECK(calendar_local(s[0].end_utc_ms, &l, &e) == 0);
	CHECK_INT_EQ(l.minute, 9 * 60);
	struct cal_date bad = { 2026, 2, 30 };
	CHECK(calendar_slots(&c, &bad, s, &e) < 0);
	CHECK_INT_EQ(e.code, ERR_INPUT);
}

/* local date and minute of utc seconds t in the current zone */
static int local_of(int64_t t, struct cal_local *l)
{
	struct err e = ERR_INIT;
	return calendar_local(t * 1000, l, &e);
}

TEST(calendar_indonesian_zones)
{
	struct err e = ERR_INIT;
	struct cal_local l;
	/* 2026-06-15 01:00 UTC = 1781485200 */
	static const struct { const char *tz; long off; int minute; } z[] = {
		{ "Asia/Jakarta", 7 * 3600, 8 * 60 },    /* WIB */
		{ "Asia/Makassar", 8 * 3600, 9 * 60 },   /* WITA */
		{ "Asia/Jayapura", 9 * 3600, 10 * 60 },  /* WIT */
	};
	for (size_t i = 0; i < 3; i++) {
		CHECK(calendar_set_zone(z[i].tz, &e) == 0);
		CHECK(local_of(1781485200, &l) == 0);
		CHECK_INT_EQ(l.utc_offset_s, z[i].off);
		CHECK_INT_EQ(l.minute, z[i].minute);
		int64_t back;
		CHECK(calendar_local_to_utc(&l.date, l.minute, &back, &e) == 0);
		CHECK_INT_EQ(back, 1781485200000LL);
	}
	/* the local day differs from the UTC day: 2026-06-14 20:00 UTC is the 15th in WIT */
	CHECK(calendar_set_zone("Asia/Jayapura", &e) == 0);
	CHECK(local_of(1781485200 - 5 * 3600, &l) == 0);
	CHECK_INT_EQ(l.date.day, 15);
	CHECK_INT_EQ(l.minute, 5 * 60);
	/* before 1970 */
	CHECK(calendar_set_zone("UTC", &e) == 0);
	CHECK(local_of(-3600, &l) == 0);
	CHECK_INT_EQ(l.date.year, 1969);
	CHECK_INT_EQ(l.minute, 23 * 60);
	/* names */
	CHECK(calendar_zone_check("Asia/Makasar", &e) < 0);
	CHECK(strstr(e.msg, "unknown time zone"));
	err_clear(&e);
	CHECK(calendar_zone_check("../etc/passwd", &e) < 0);
	err_clear(&e);
	CHECK(calendar_zone_check("/etc/localtime", &e) < 0);
	err_clear(&e);
	CHECK(calendar_zone_check("Asia", &e) < 0); /* a folder, not a TZif file */
	err_clear(&e);
	CHECK(calendar_zone_check("", &e) < 0);
}

TEST(calendar_dst_amsterdam)
{
	struct err e = ERR_INIT;
	CHECK(calendar_set_zone("Europe/Amsterdam", &e) == 0);
	struct cal_local l;
	int64_t t;
	/* spring: 2026-03-29, 02:00 CET -> 03:00 CEST at 01:00 UTC */
	struct cal_date spring = { 2026, 3, 29 };
	CHECK(calendar_local_to_utc(&spring, 0, &t, &e) == 0);
	CHECK_INT_EQ(t, 1774738800000LL); /* 2026-03-28T23:00Z */
	CHECK(calendar_local_to_utc(&spring, 4 * 60, &t, &e) == 0);
	CHECK_INT_EQ(t, 1774738800000LL + 3 * 3600000LL); /* 04:00 CEST = 02:00Z */
	CHECK(local_of(1774745940, &l) == 0); /* 00:59Z = 01:59 CET */
	CHECK_INT_EQ(l.minute, 60 + 59);
	CHECK_INT_EQ(l.utc_offset_s, 3600);
	CHECK(local_of(1774746000, &l) == 0); /* 01:00Z = 03:00 CEST */
	CHECK_INT_EQ(l.minute, 3 * 60);
	CHECK_INT_EQ(l.utc_offset_s, 7200);
	/* 02:30 does not exist that day: the offset before the switch, shown as 03:30 */
	CHECK(calendar_local_to_utc(&spring, 2 * 60 + 30, &t, &e) == 0);
	CHECK_INT_EQ(t, 1774747800000LL); /* 01:30Z */
	CHECK(local_of(t / 1000, &l) == 0);
	CHECK_INT_EQ(l.minute, 3 * 60 + 30);
	/* autumn: 2026-10-25, 03:00 CEST -> 02:00 CET at 01:00 UTC; 02:30 happens twice,
	 * the first is taken (00:30Z) */
	struct cal_date autumn = { 2026, 10, 25 };
	CHECK(calendar_local_to_utc(&autumn, 2 * 60 + 30, &t, &e) == 0);
	CHECK_INT_EQ(t, 1792888200000LL);
	CHECK(calendar_local_to_utc(&autumn, 0, &t, &e) == 0);
	CHECK_INT_EQ(t, 1792879200000LL); /* 2026-10-24T22:00Z */
	/* a day's slots straddle the change correctly: 08:00 local on each day */
	struct config c;
	memset(&c, 0, sizeof c);
	c.working_days = 0x7f;
	c.slots[0] = (struct config_slot){ 8 * 60, 9 * 60, 3 };
	c.nslots = 1;
	struct calendar_slot s[CONFIG_MAX_SLOTS];
	struct cal_date sat = { 2026, 3, 28 };
	CHECK_INT_EQ(calendar_slots(&c, &sat, s, &e), 1);
	CHECK_INT_EQ(s[0].start_utc_ms, (1774738800LL - 16 * 3600) * 1000); /* 07:00Z */
	CHECK_INT_EQ(calendar_slots(&c, &spring, s, &e), 1);
	CHECK_INT_EQ(s[0].start_utc_ms, (1774738800LL + 7 * 3600) * 1000); /* 06:00Z */
	/* the day of the switch is 23 hours long */
	int64_t t0, t1;
	struct cal_date next = { 2026, 3, 30 };
	CHECK(calendar_local_to_utc(&spring, 0, &t0, &e) == 0);
	CHECK(calendar_local_to_utc(&next, 0, &t1, &e) == 0);
	CHECK_INT_EQ(t1 - t0, 23 * 3600000LL);
	CHECK(calendar_set_zone("UTC", &e) == 0);
}
