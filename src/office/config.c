/* config — see config.h; the settings are described in docs/CONFIG.md. */
#include "office/config.h"

#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>

#include "util/alloc.h"
#include "util/fs.h"

/* ---- collecting problems ---- */

struct checker {
	const char *file; /* name used in messages */
	struct buf *out;  /* may be NULL */
	unsigned n;
	char first[400];
};

static void setting_path(const config_setting_t *s, char *out, size_t size)
{
	const config_setting_t *parent = config_setting_parent(s);
	out[0] = '\0';
	if (!parent) /* the root group */
		return;
	setting_path(parent, out, size);
	size_t n = strlen(out);
	const char *name = config_setting_name(s);
	if (name)
		snprintf(out + n, size - n, "%s%s", n ? "." : "", name);
	else
		snprintf(out + n, size - n, "[%d]", config_setting_index(s));
}

static void vproblem(struct checker *ck, int line, const char *path, const char *fmt,
		     va_list ap)
{
	char msg[300], full[400];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (line > 0)
		snprintf(full, sizeof full, "%s:%d: %s%s%s", ck->file, line, path,
			 path[0] ? ": " : "", msg);
	else
		snprintf(full, sizeof full, "%s: %s%s%s", ck->file, path, path[0] ? ": " : "",
			 msg);
	if (ck->n++ == 0)
		snprintf(ck->first, sizeof ck->first, "%s", full);
	if (ck->out)
		buf_addf(ck->out, "%s\n", full);
}

/* A problem with setting s, reported at its line and path. */
__attribute__((format(printf, 3, 4)))
static void problem(struct checker *ck, const config_setting_t *s, const char *fmt, ...)
{
	char path[256];
	setting_path(s, path, sizeof path);
	va_list ap;
	va_start(ap, fmt);
	vproblem(ck, config_setting_source_line(s), path, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 4, 5)))
static void problem_at(struct checker *ck, int line, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vproblem(ck, line, path, fmt, ap);
	va_end(ap);
}

/* A required setting `name` missing from group. */
static void missing(struct checker *ck, const config_setting_t *group, const char *name)
{
	char path[256], full[300];
	setting_path(group, path, sizeof path);
	snprintf(full, sizeof full, "%s%s%s", path, path[0] ? "." : "", name);
	int line = config_setting_parent(group) ? config_setting_source_line(group) : 0;
	problem_at(ck, line, full, "missing setting");
}

/* Reports members of group whose names are not in known (NULL-terminated). */
static void unknown_members(struct checker *ck, const config_setting_t *group,
			    const char *const *known)
{
	int n = config_setting_length(group);
	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(m);
		int ok = 0;
		for (const char *const *k = known; *k; k++)
			if (name && strcmp(name, *k) == 0)
				ok = 1;
		if (!ok)
			problem(ck, m, "unknown setting");
	}
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP: return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "true or false";
	case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
	case CONFIG_TYPE_LIST: return "a list ( ... )";
	default: return "a setting";
	}
}

/* The member `name` of group with the wanted type, or NULL after reporting why.
 * group NULL (itself missing or wrong, already reported): NULL, silently. */
static config_setting_t *member(struct checker *ck, const config_setting_t *group,
				const char *name, int type)
{
	if (!group)
		return NULL;
	config_setting_t *m = config_setting_get_member(group, name);
	if (!m) {
		missing(ck, group, name);
		return NULL;
	}
	int t = config_setting_type(m);
	if (t == CONFIG_TYPE_INT64)
		t = CONFIG_TYPE_INT;
	if (t != type) {
		/* an empty [] and () are both fine where a list or array is wanted */
		if ((type == CONFIG_TYPE_LIST || type == CONFIG_TYPE_ARRAY) &&
		    (t == CONFIG_TYPE_LIST || t == CONFIG_TYPE_ARRAY) &&
		    config_setting_length(m) == 0)
			return m;
		problem(ck, m, "must be %s", type_name(type));
		return NULL;
	}
	return m;
}

/* An optional member: NULL, silently, when group has none; else as member(). */
static config_setting_t *optional_member(struct checker *ck, const config_setting_t *group,
					 const char *name, int type)
{
	if (!config_setting_get_member(group, name))
		return NULL;
	return member(ck, group, name, type);
}

/* The section `name` of root, a group whose members are checked against known; NULL after
 * reporting it not a group, or missing unless optional (then NULL silently). */
static config_setting_t *section(struct checker *ck, const config_setting_t *root,
				 const char *name, const char *const *known, int optional)
{
	config_setting_t *g = optional ? optional_member(ck, root, name, CONFIG_TYPE_GROUP)
				       : member(ck, root, name, CONFIG_TYPE_GROUP);
	if (g)
		unknown_members(ck, g, known);
	return g;
}

/* A text setting: non-empty, valid UTF-8, no control characters, at most max bytes. */
static int check_text(struct checker *ck, const config_setting_t *s, const char *v,
		      size_t max)
{
	size_t n = strlen(v);
	if (n == 0) {
		problem(ck, s, "must not be empty");
		return -1;
	}
	if (n > max) {
		problem(ck, s, "longer than %zu bytes", max);
		return -1;
	}
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)v;
	utf8proc_ssize_t left = (utf8proc_ssize_t)n;
	while (left > 0) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p, left, &cp);
		if (k < 0) {
			problem(ck, s, "not valid UTF-8");
			return -1;
		}
		if (cp < 0x20 || cp == 0x7f) {
			problem(ck, s, "contains a control character");
			return -1;
		}
		p += k;
		left -= k;
	}
	return 0;
}

static const char *get_string(struct checker *ck, const config_setting_t *group,
			      const char *name, const config_setting_t **where)
{
	const config_setting_t *m = member(ck, group, name, CONFIG_TYPE_STRING);
	if (where)
		*where = m;
	return m ? config_setting_get_string(m) : NULL;
}

static int get_text(struct checker *ck, const config_setting_t *group, const char *name,
		    char *out, size_t size)
{
	const config_setting_t *m;
	const char *v = get_string(ck, group, name, &m);
	if (!v || check_text(ck, m, v, size - 1) < 0)
		return -1;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

static int get_int64(struct checker *ck, const config_setting_t *group, const char *name,
		     long long min, long long max, long long *out)
{
	const config_setting_t *m = member(ck, group, name, CONFIG_TYPE_INT);
	if (!m)
		return -1;
	long long v = config_setting_get_int64(m);
	if (v < min || v > max) {
		problem(ck, m, "must be between %lld and %lld", min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int get_uint(struct checker *ck, const config_setting_t *group, const char *name,
		    unsigned min, unsigned max, unsigned *out)
{
	long long v;
	if (get_int64(ck, group, name, min, max, &v) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* A fee: integer minor units of the currency, 0 to 10^12. */
static int get_fee(struct checker *ck, const config_setting_t *group, int64_t *out)
{
	long long v;
	if (get_int64(ck, group, "fee", 0, 1000000000000LL, &v) < 0)
		return -1;
	*out = v;
	return 0;
}

static int get_bool(struct checker *ck, const config_setting_t *group, const char *name,
		    int *out)
{
	const config_setting_t *m = member(ck, group, name, CONFIG_TYPE_BOOL);
	if (!m)
		return -1;
	*out = config_setting_get_bool(m) ? 1 : 0;
	return 0;
}

/* ---- the sections ---- */

static void check_office(struct checker *ck, const config_setting_t *root, struct config *c)
{
	static const char *const known[] = { "code", "name", "timezone", "consular_post", NULL };
	config_setting_t *g = section(ck, root, "office", known, 0);
	if (!g)
		return;
	const config_setting_t *m;
	const char *code = get_string(ck, g, "code", &m);
	if (code) {
		size_t n = strlen(code), i;
		for (i = 0; i < n; i++)
			if (!((code[i] >= 'A' && code[i] <= 'Z') ||
			      (code[i] >= '0' && code[i] <= '9') || code[i] == '-'))
				break;
		if (n < 2 || n > 32 || i < n)
			problem(ck, m, "must be 2 to 32 of A-Z, 0-9 and '-'");
		else
			memcpy(c->office_code, code, n + 1);
	}
	get_text(ck, g, "name", c->office_name, sizeof c->office_name);
	const char *tz = get_string(ck, g, "timezone", &m);
	if (tz) {
		struct err ze = ERR_INIT;
		if (calendar_zone_check(tz, &ze) < 0)
			problem(ck, m, "%s", ze.msg);
		else
			memcpy(c->timezone, tz, strlen(tz) + 1);
	}
	get_bool(ck, g, "consular_post", &c->consular_post);
}

static int parse_hhmm(const char *s, int *minute)
{
	if (strlen(s) != 5 || s[2] != ':')
		return -1;
	int h = 0, m = 0;
	for (int i = 0; i < 5; i++) {
		if (i == 2)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
	}
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*minute = h * 60 + m;
	return 0;
}

/* The length of list, a list of groups: at most max ("more than max <what>s" and -1
 * past it), at least one when min_one ("needs at least one <what>"). */
static int group_count(struct checker *ck, const config_setting_t *list, const char *what,
		       int min_one, int max)
{
	int n = config_setting_length(list);
	if (min_one && n == 0)
		problem(ck, list, "needs at least one %s", what);
	if (n > max) {
		problem(ck, list, "more than %d %ss", max, what);
		return -1;
	}
	return n;
}

/* list's element i when it is a group (its members checked against known), else NULL
 * after "must be a group <shape>". */
static config_setting_t *group_at(struct checker *ck, const config_setting_t *list, int i,
				  const char *shape, const char *const *known)
{
	config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		problem(ck, s, "must be a group %s", shape);
		return NULL;
	}
	unknown_members(ck, s, known);
	return s;
}

static void check_slots(struct checker *ck, const config_setting_t *g, struct config *c)
{
	static const char *const known[] = { "start", "end", "quota", NULL };
	config_setting_t *list = member(ck, g, "slots", CONFIG_TYPE_LIST);
	if (!list)
		return;
	int n = group_count(ck, list, "slot", 1, CONFIG_MAX_SLOTS);
	int prev_end = -1;
	for (int i = 0; i < n; i++) {
		config_setting_t *s = group_at(ck, list, i, "{ start = \"HH:MM\"; end = \"HH:MM\"; "
					       "quota = N; }", known);
		if (!s) {
			prev_end = -1;
			continue;
		}
		struct config_slot sl = { -1, -1, 0 };
		const config_setting_t *ms, *me;
		const char *start = get_string(ck, s, "start", &ms);
		const char *end = get_string(ck, s, "end", &me);
		int good = 1;
		if (start && parse_hhmm(start, &sl.start_min) < 0) {
			problem(ck, ms, "must be a time \"HH:MM\" (00:00 to 24:00)");
			good = 0;
		}
		if (end && parse_hhmm(end, &sl.end_min) < 0) {
			problem(ck, me, "must be a time \"HH:MM\" (00:00 to 24:00)");
			good = 0;
		}
		if (get_uint(ck, s, "quota", 0, 100000, &sl.quota) < 0)
			good = 0;
		if (!start || !end)
			good = 0;
		if (good && sl.end_min <= sl.start_min) {
			problem(ck, me, "must be later than start %s", start);
			good = 0;
		}
		if (good && prev_end >= 0 && sl.start_min < prev_end) {
			problem(ck, ms, "overlaps or comes before the previous slot (slots are "
				"listed in order)");
			good = 0;
		}
		prev_end = good ? sl.end_min : -1;
		if (good)
			c->slots[c->nslots++] = sl;
	}
}

static const char *const weekday_names[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static void check_working_days(struct checker *ck, const config_setting_t *g,
			       struct config *c)
{
	config_setting_t *a = member(ck, g, "working_days", CONFIG_TYPE_ARRAY);
	if (!a)
		return;
	int n = config_setting_length(a);
	if (n == 0)
		problem(ck, a, "needs at least one day");
	for (int i = 0; i < n; i++) {
		const config_setting_t *d = config_setting_get_elem(a, (unsigned)i);
		const char *v = config_setting_get_string(d);
		int w = -1;
		for (int k = 0; v && k < 7; k++)
			if (strcmp(v, weekday_names[k]) == 0)
				w = k;
		if (w < 0) {
			problem(ck, d, "must be one of \"mon\" \"tue\" \"wed\" \"thu\" \"fri\" "
				"\"sat\" \"sun\"");
			continue;
		}
		if (c->working_days & (1u << w))
			problem(ck, d, "\"%s\" listed twice", v);
		c->working_days |= 1u << w;
	}
}

static int date_cmp_qsort(const void *a, const void *b)
{
	return cal_date_cmp(a, b);
}

static void check_holidays(struct checker *ck, const config_setting_t *g, struct config *c)
{
	config_setting_t *a = member(ck, g, "holidays", CONFIG_TYPE_ARRAY);
	if (!a)
		return;
	int n = config_setting_length(a);
	if (n > CONFIG_MAX_HOLIDAYS) {
		problem(ck, a, "more than %d holidays", CONFIG_MAX_HOLIDAYS);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *d = config_setting_get_elem(a, (unsigned)i);
		const char *v = config_setting_get_string(d);
		struct cal_date date;
		if (!v || cal_date_parse(v, &date) < 0) {
			problem(ck, d, "must be a date \"YYYY-MM-DD\"");
			continue;
		}
		int dup = 0;
		for (size_t k = 0; k < c->nholidays; k++)
			if (cal_date_cmp(&c->holidays[k], &date) == 0)
				dup = 1;
		if (dup) {
			problem(ck, d, "%s listed twice", v);
			continue;
		}
		c->holidays[c->nholidays++] = date;
	}
	qsort(c->holidays, c->nholidays, sizeof c->holidays[0], date_cmp_qsort);
}

static void check_booking(struct checker *ck, const config_setting_t *root, struct config *c)
{
	static const char *const known[] = { "days_ahead", "working_days", "slots", "holidays",
					     NULL };
	config_setting_t *g = section(ck, root, "booking", known, 0);
	if (!g)
		return;
	get_uint(ck, g, "days_ahead", 1, 366, &c->days_ahead);
	check_working_days(ck, g, c);
	check_slots(ck, g, c);
	check_holidays(ck, g, c);
}

/* 1 when s is 1 to 32 of a-z, 0-9 and '-' */
static int code_ok(const char *s)
{
	size_t n = strlen(s);
	for (size_t k = 0; k < n; k++)
		if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '0' && s[k] <= '9') || s[k] == '-'))
			return 0;
	return n >= 1 && n <= 32;
}

/* fees.tariffs (optional): ( { passport_type; service; from; fee; }, … ) */
static void check_tariffs(struct checker *ck, const config_setting_t *fees, struct config *c)
{
	static const char *const known[] = { "passport_type", "service", "from", "fee", NULL };
	config_setting_t *list = optional_member(ck, fees, "tariffs", CONFIG_TYPE_LIST);
	if (!list)
		return;
	int n = group_count(ck, list, "tariff", 0, CONFIG_MAX_TARIFFS);
	for (int i = 0; i < n; i++) {
		config_setting_t *s = group_at(ck, list, i, "{ passport_type = ...; service = ...; "
					       "from = \"YYYY-MM-DD\"; fee = ...; }", known);
		if (!s)
			continue;
		struct config_tariff t;
		memset(&t, 0, sizeof t);
		const config_setting_t *m;
		const char *type = get_string(ck, s, "passport_type", &m);
		int good = type != NULL;
		if (type && !config_passport_type(c, type)) {
			problem(ck, m, "\"%.40s\" is not a code of fees.passport_types", type);
			good = 0;
		} else if (type) {
			snprintf(t.type, sizeof t.type, "%s", type);
		}
		const char *service = get_string(ck, s, "service", &m);
		if (service && !code_ok(service)) {
			problem(ck, m, "must be 1 to 32 of a-z, 0-9 and '-'");
			good = 0;
		} else if (service) {
			snprintf(t.service, sizeof t.service, "%s", service);
		} else {
			good = 0;
		}
		const char *from = get_string(ck, s, "from", &m);
		if (from && cal_date_parse(from, &t.from) < 0) {
			problem(ck, m, "must be a date \"YYYY-MM-DD\"");
			good = 0;
		} else if (!from) {
			good = 0;
		}
		if (get_fee(ck, s, &t.fee) < 0)
			good = 0;
		for (size_t k = 0; good && k < c->ntariffs; k++)
			if (strcmp(c->tariffs[k].type, t.type) == 0 &&
			    strcmp(c->tariffs[k].service, t.service) == 0 &&
			    cal_date_cmp(&c->tariffs[k].from, &t.from) == 0) {
				problem(ck, s, "a second tariff of %s, %s from the same date", t.type,
					t.service);
				good = 0;
			}
		if (good)
			c->tariffs[c->ntariffs++] = t;
	}
}

static void check_fees(struct checker *ck, const config_setting_t *root, struct config *c)
{
	static const char *const known[] = { "currency", "passport_types", "tariffs", NULL };
	static const char *const type_known[] = { "code", "name", "electronic", "fee", NULL };
	config_setting_t *g = section(ck, root, "fees", known, 0);
	if (!g)
		return;
	const config_setting_t *m;
	const char *cur = get_string(ck, g, "currency", &m);
	if (cur) {
		if (strlen(cur) != 3 || cur[0] < 'A' || cur[0] > 'Z' || cur[1] < 'A' ||
		    cur[1] > 'Z' || cur[2] < 'A' || cur[2] > 'Z')
			problem(ck, m, "must be an ISO 4217 code of three capital letters, "
				"e.g. \"IDR\"");
		else
			memcpy(c->currency, cur, 4);
	}
	config_setting_t *list = member(ck, g, "passport_types", CONFIG_TYPE_LIST);
	if (!list)
		return;
	int n = group_count(ck, list, "passport type", 1, CONFIG_MAX_PASSPORT_TYPES);
	if (n < 0)
		return; /* nor the tariffs: they name these types */
	for (int i = 0; i < n; i++) {
		config_setting_t *s = group_at(ck, list, i, "{ code = ...; name = ...; "
					       "electronic = ...; fee = ...; }", type_known);
		if (!s)
			continue;
		struct config_passport_type t;
		memset(&t, 0, sizeof t);
		int good = 1;
		const char *code = get_string(ck, s, "code", &m);
		if (code) {
			size_t len = strlen(code);
			if (!code_ok(code)) {
				problem(ck, m, "must be 1 to 32 of a-z, 0-9 and '-'");
				good = 0;
			} else {
				for (size_t j = 0; j < c->ntypes; j++)
					if (strcmp(c->types[j].code, code) == 0) {
						problem(ck, m, "\"%s\" defined twice", code);
						good = 0;
					}
				memcpy(t.code, code, len + 1);
			}
		} else {
			good = 0;
		}
		if (get_text(ck, s, "name", t.name, sizeof t.name) < 0)
			good = 0;
		if (get_bool(ck, s, "electronic", &t.electronic) < 0)
			good = 0;
		if (get_fee(ck, s, &t.fee) < 0)
			good = 0;
		if (good)
			c->types[c->ntypes++] = t;
	}
	check_tariffs(ck, g, c);
}

static void check_validity(struct checker *ck, const config_setting_t *root, struct config *c)
{
	static const char *const known[] = { "adult_age", "adult_years", "minor_years", NULL };
	config_setting_t *g = section(ck, root, "validity", known, 0);
	if (!g)
		return;
	get_uint(ck, g, "adult_age", 1, 30, &c->adult_age);
	get_uint(ck, g, "adult_years", 1, 10, &c->adult_years);
	get_uint(ck, g, "minor_years", 1, 10, &c->minor_years);
}

static void check_payment(struct checker *ck, const config_setting_t *root, struct config *c)
{
	static const char *const known[] = { "personalize_on_pending", NULL };
	config_setting_t *g = section(ck, root, "payment", known, 0);
	if (!g)
		return;
	get_bool(ck, g, "personalize_on_pending", &c->personalize_on_pending);
}

/* The optional issuance section. */
static void check_issuance(struct checker *ck, const config_setting_t *root, struct config *c)
{
	static const char *const known[] = { "issuing_state", "signer_socket", "csca_cert",
					     "spool_dir", "uncollected_days", "print_command",
					     NULL };
	unsigned before = ck->n;
	config_setting_t *g = section(ck, root, "issuance", known, 1);
	if (!g)
		return;
	struct config_issuance *is = &c->issuance;
	const config_setting_t *m;
	const char *st = get_string(ck, g, "issuing_state", &m);
	if (st) {
		if (strlen(st) != 3 || strspn(st, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
			problem(ck, m, "must be three capital letters (an ICAO state code)");
		else
			memcpy(is->issuing_state, st, 4);
	}
	get_text(ck, g, "signer_socket", is->signer_socket, sizeof is->signer_socket);
	get_text(ck, g, "csca_cert", is->csca_cert, sizeof is->csca_cert);
	get_text(ck, g, "spool_dir", is->spool_dir, sizeof is->spool_dir);
	get_uint(ck, g, "uncollected_days", 1, 3650, &is->uncollected_days);
	config_setting_t *pc = config_setting_get_member(g, "print_command");
	if (pc) {
		pc = member(ck, g, "print_command", CONFIG_TYPE_ARRAY);
		int n = pc ? config_setting_length(pc) : 0;
		if (pc && (n < 1 || n > CONFIG_PRINT_ARGS_MAX - 1))
			problem(ck, pc, "must list 1 to %d strings (the program and its "
				"arguments; the PDF's path is appended)", CONFIG_PRINT_ARGS_MAX - 1);
		else
			for (int i = 0; i < n; i++) {
				const config_setting_t *a = config_setting_get_elem(pc, (unsigned)i);
				const char *v = config_setting_get_string(a);
				if (!v) {
					problem(ck, pc, "must list strings");
					break;
				}
				if (check_text(ck, a, v, CONFIG_PATH_MAX - 1) < 0)
					break;
				memcpy(is->print_args[i], v, strlen(v) + 1);
				is->nprint_args = (size_t)i + 1;
			}
		if (pc && is->print_args[0][0] != '/')
			problem(ck, pc, "the program must be an absolute path (no search of PATH)");
	}
	is->configured = ck->n == before;
}

static void check_ratelimit(struct checker *ck, const config_setting_t *root,
			    struct config *c)
{
	static const char *const known[] = { "booking_per_ip_per_minute",
					     "booking_per_nik_per_day",
					     "status_per_ip_per_minute", "table_entries",
					     "disabled", NULL };
	config_setting_t *g = section(ck, root, "ratelimit", known, 0);
	if (!g)
		return;
	struct config_ratelimit *r = &c->ratelimit;
	get_uint(ck, g, "booking_per_ip_per_minute", 1, 100000, &r->booking_per_ip_per_minute);
	get_uint(ck, g, "booking_per_nik_per_day", 1, 1000, &r->booking_per_nik_per_day);
	get_uint(ck, g, "status_per_ip_per_minute", 1, 100000, &r->status_per_ip_per_minute);
	get_uint(ck, g, "table_entries", 64, 4u << 20, &r->table_entries);
	/* optional: off unless written */
	if (config_setting_get_member(g, "disabled"))
		get_bool(ck, g, "disabled", &r->disabled);
}

/* The optional confirmation section (docs/CONFIG.md "The confirmation section"). */
int config_url_is_loopback(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return 0;
	p += 3;
	if (strchr(p, '@') && (!strchr(p, '/') || strchr(p, '@') < strchr(p, '/')))
		p = strchr(p, '@') + 1; /* user info */
	static const char *const hosts[] = { "127.0.0.1", "[::1]", "localhost", NULL };
	for (size_t i = 0; hosts[i]; i++) {
		size_t n = strlen(hosts[i]);
		if (strncmp(p, hosts[i], n) == 0 && (p[n] == '\0' || p[n] == ':' || p[n] == '/'))
			return 1;
	}
	return 0;
}

static int get_sender(struct checker *ck, const config_setting_t *g, const char *name,
		      int other, const char *other_name)
{
	const config_setting_t *m;
	const char *v = get_string(ck, g, name, &m);
	if (!v)
		return CONFIG_SENDER_NONE;
	if (strcmp(v, "none") == 0)
		return CONFIG_SENDER_NONE;
	if (strcmp(v, "spool") == 0)
		return CONFIG_SENDER_SPOOL;
	if (strcmp(v, other_name) == 0)
		return other;
	problem(ck, m, "must be \"spool\", \"%s\" or \"none\"", other_name);
	return CONFIG_SENDER_NONE;
}

/* An optional text setting: "" when absent. */
static void opt_text(struct checker *ck, const config_setting_t *g, const char *name,
		     char *out, size_t size)
{
	out[0] = '\0';
	if (config_setting_get_member(g, name))
		get_text(ck, g, name, out, size);
}

static void check_url(struct checker *ck, const config_setting_t *g, const char *name,
		      const char *const *schemes, const char *plain, char *out, size_t size)
{
	const config_setting_t *m;
	if (get_text(ck, g, name, out, size) < 0)
		return;
	m = config_setting_get_member(g, name);
	int ok = 0;
	for (size_t i = 0; schemes[i]; i++)
		if (strncmp(out, schemes[i], strlen(schemes[i])) == 0 && out[strlen(schemes[i])])
			ok = 1;
	if (!ok) {
		problem(ck, m, "must start with %s%s%s", schemes[0], schemes[1] ? " or " : "",
			schemes[1] ? schemes[1] : "");
		return;
	}
	if (plain && strncmp(out, plain, strlen(plain)) == 0 && !config_url_is_loopback(out))
		problem(ck, m, "%s… sends in clear text: only for 127.0.0.1, [::1] or localhost",
			plain);
}

static void check_confirmation(struct checker *ck, const config_setting_t *root,
			       struct config *c)
{
	static const char *const known[] = {
		"hold_seconds", "code_digits", "code_attempts", "resend_seconds",
		"pending_per_slot", "active_per_phone", "active_per_email",
		"codes_per_contact_per_day", "codes_per_day", "email_sender", "phone_sender",
		"spool_dir", "send_timeout_seconds", "smtp_url", "smtp_from", "smtp_user",
		"smtp_password_file", "smtp_tls", "smtp_ca_file", "http_url", "http_token_file",
		"http_ca_file", NULL
	};
	unsigned before = ck->n;
	config_setting_t *g = section(ck, root, "confirmation", known, 1);
	if (!g)
		return;
	struct config_confirmation *k = &c->confirmation;
	get_uint(ck, g, "hold_seconds", 1, 86400, &k->hold_seconds);
	get_uint(ck, g, "code_digits", 6, 9, &k->code_digits);
	get_uint(ck, g, "code_attempts", 1, 10, &k->code_attempts);
	get_uint(ck, g, "resend_seconds", 1, 86400, &k->resend_seconds);
	get_uint(ck, g, "pending_per_slot", 1, 100000, &k->pending_per_slot);
	get_uint(ck, g, "active_per_phone", 1, 1000, &k->active_per_phone);
	get_uint(ck, g, "active_per_email", 1, 1000, &k->active_per_email);
	get_uint(ck, g, "codes_per_contact_per_day", 1, 1000, &k->codes_per_contact_per_day);
	get_uint(ck, g, "codes_per_day", 1, 10000000, &k->codes_per_day);
	get_uint(ck, g, "send_timeout_seconds", 1, 120, &k->send_timeout_seconds);
	k->email_sender = get_sender(ck, g, "email_sender", CONFIG_SENDER_SMTP, "smtp");
	k->phone_sender = get_sender(ck, g, "phone_sender", CONFIG_SENDER_HTTP, "http");
	if (k->email_sender == CONFIG_SENDER_NONE && k->phone_sender == CONFIG_SENDER_NONE &&
	    ck->n == before)
		problem(ck, g, "email_sender and phone_sender are both \"none\": no code could be "
			"sent (remove the section to close online booking)");
	if (k->email_sender == CONFIG_SENDER_SPOOL || k->phone_sender == CONFIG_SENDER_SPOOL)
		get_text(ck, g, "spool_dir", k->spool_dir, sizeof k->spool_dir);
	else
		opt_text(ck, g, "spool_dir", k->spool_dir, sizeof k->spool_dir);
	if (k->email_sender == CONFIG_SENDER_SMTP) {
		static const char *const smtp[] = { "smtps://", "smtp://", NULL };
		check_url(ck, g, "smtp_url", smtp, NULL, k->smtp_url, sizeof k->smtp_url);
		get_text(ck, g, "smtp_from", k->smtp_from, sizeof k->smtp_from);
		opt_text(ck, g, "smtp_user", k->smtp_user, sizeof k->smtp_user);
		opt_text(ck, g, "smtp_password_file", k->smtp_password_file,
			 sizeof k->smtp_password_file);
		if (!k->smtp_user[0] != !k->smtp_password_file[0])
			problem(ck, g, "smtp_user and smtp_password_file go together");
		opt_text(ck, g, "smtp_ca_file", k->smtp_ca_file, sizeof k->smtp_ca_file);
		const config_setting_t *m;
		const char *tls = get_string(ck, g, "smtp_tls", &m);
		if (tls) {
			if (strcmp(tls, "implicit") == 0)
				k->smtp_tls = CONFIG_SMTP_TLS_IMPLICIT;
			else if (strcmp(tls, "starttls") == 0)
				k->smtp_tls = CONFIG_SMTP_TLS_STARTTLS;
			else if (strcmp(tls, "none") == 0)
				k->smtp_tls = CONFIG_SMTP_TLS_NONE;
			else
				problem(ck, m, "must be \"implicit\", \"starttls\" or \"none\"");
			if (k->smtp_url[0] && strncmp(k->smtp_url, "smtps://", 8) == 0 &&
			    k->smtp_tls != CONFIG_SMTP_TLS_IMPLICIT)
				problem(ck, m, "an smtps:// URL is TLS from the start: \"implicit\"");
			if (k->smtp_url[0] && strncmp(k->smtp_url, "smtp://", 7) == 0 &&
			    k->smtp_tls == CONFIG_SMTP_TLS_IMPLICIT)
				problem(ck, m, "\"implicit\" needs an smtps:// URL");
			if (k->smtp_tls == CONFIG_SMTP_TLS_NONE && k->smtp_url[0] &&
			    !config_url_is_loopback(k->smtp_url))
				problem(ck, m, "\"none\" sends in clear text: only for a relay on "
					"127.0.0.1, [::1] or localhost");
		}
	}
	if (k->phone_sender == CONFIG_SENDER_HTTP) {
		static const char *const http[] = { "https://", "http://", NULL };
		check_url(ck, g, "http_url", http, "http://", k->http_url, sizeof k->http_url);
		opt_text(ck, g, "http_token_file", k->http_token_file, sizeof k->http_token_file);
		opt_text(ck, g, "http_ca_file", k->http_ca_file, sizeof k->http_ca_file);
	}
	k->configured = ck->n == before;
}

/* ---- loading ---- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/*
 * Refuses NUL bytes, @include lines, a string still open at the end of the text and a
 * string where no value can be (libconfig 1.5 leaks the string token in those two
 * cases) before libconfig sees the text. Follows libconfig's lexer: strings in double
 * quotes with backslash escapes; comments #, // and slash-star. A string may follow
 * '=', ':', another string, or '[', '(', ',' inside an array or list.
 */
static void prescan(struct checker *ck, const char *text, size_t len)
{
	int line = 1, at_start = 1, string_line = 0;
	enum { CODE, STRING, LINE_COMMENT, BLOCK_COMMENT } state = CODE;
	char stack[256]; /* open brackets */
	size_t depth = 0;
	char prev = ';'; /* the last significant character ('a' for a word or number) */
	for (size_t i = 0; i < len; i++) {
		char ch = text[i];
		if (ch == '\0') {
			problem_at(ck, line, "", "the file contains a NUL byte");
			return;
		}
		if (ch == '\n') {
			line++;
			at_start = 1;
			if (state == LINE_COMMENT)
				state = CODE;
			continue;
		}
		switch (state) {
		case STRING:
			if (ch == '\\' && i + 1 < len && text[i + 1] != '\n')
				i++;
			else if (ch == '"') {
				state = CODE;
				prev = '"';
			}
			break;
		case LINE_COMMENT:
			break;
		case BLOCK_COMMENT:
			if (ch == '*' && i + 1 < len && text[i + 1] == '/') {
				state = CODE;
				i++;
			}
			break;
		case CODE:
			if (at_start && (ch == ' ' || ch == '\t' || ch == '\r'))
				continue;
			if (at_start && ch == '@' && len - i >= 8 &&
			    memcmp(text + i, "@include", 8) == 0)
				problem_at(ck, line, "", "@include is not allowed (the configuration "
					   "is one file)");
			if (ch == ' ' || ch == '\t' || ch == '\r')
				break;
			if (ch == '"') {
				char top = depth ? stack[depth - 1] : '{';
				int in_seq = top == '[' || top == '(';
				if (!(prev == '=' || prev == ':' || prev == '"' ||
				      (in_seq && (prev == '[' || prev == '(' || prev == ',')))) {
					problem_at(ck, line, "", "syntax error: unexpected string");
					return;
				}
				state = STRING;
				string_line = line;
			} else if (ch == '{' || ch == '[' || ch == '(') {
				if (depth == sizeof stack) {
					problem_at(ck, line, "", "syntax error: nested too deeply");
					return;
				}
				stack[depth++] = ch;
				prev = ch;
			} else if (ch == '}' || ch == ']' || ch == ')') {
				if (depth)
					depth--;
				prev = ch;
			} else if (ch == '=' || ch == ':' || ch == ',' || ch == ';') {
				prev = ch;
			} else if (ch == '#') {
				state = LINE_COMMENT;
			} else if (ch == '/' && i + 1 < len && text[i + 1] == '/') {
				state = LINE_COMMENT;
			} else if (ch == '/' && i + 1 < len && text[i + 1] == '*') {
				state = BLOCK_COMMENT;
				i++;
			} else {
				prev = 'a';
			}
			break;
		}
		at_start = 0;
	}
	if (state == STRING)
		problem_at(ck, string_line, "", "syntax error: string not closed");
}

int config_parse(const char *text, size_t len, const char *name, struct config *c,
		 struct buf *problems, struct err *e)
{
	static const char *const known[] = { "office", "booking", "fees", "validity",
					     "payment", "ratelimit", "issuance",
					     "confirmation", NULL };
	struct checker ck = { name, problems, 0, { 0 } };
	memset(c, 0, sizeof *c);
	prescan(&ck, text, len);
	if (ck.n == 0) {
		/* config_read_string wants a C string */
		char *copy = mem_strndup(text, len);
		if (!copy)
			return err_nomem(e);
		config_t cfg;
		config_init(&cfg);
		if (config_read_string(&cfg, copy) != CONFIG_TRUE) {
			const char *why = config_error_text(&cfg) ? config_error_text(&cfg) : "";
			if (strncmp(why, "syntax error", 12) == 0)
				problem_at(&ck, config_error_line(&cfg), "", "%s", why);
			else
				problem_at(&ck, config_error_line(&cfg), "", "syntax error: %s", why);
		} else {
			const config_setting_t *root = config_root_setting(&cfg);
			unknown_members(&ck, root, known);
			check_office(&ck, root, c);
			check_booking(&ck, root, c);
			check_fees(&ck, root, c);
			check_validity(&ck, root, c);
			check_payment(&ck, root, c);
			check_ratelimit(&ck, root, c);
			check_issuance(&ck, root, c);
			check_confirmation(&ck, root, c);
			if (c->adult_years && c->minor_years && c->minor_years > c->adult_years) {
				config_setting_t *v = config_lookup(&cfg, "validity.minor_years");
				if (v)
					problem(&ck, v, "must not exceed validity.adult_years");
			}
		}
		config_destroy(&cfg);
		mem_free(copy);
	}
	if (ck.n == 0)
		return 0;
	if (ck.n == 1)
		return err_set(e, ERR_INPUT, "%s", ck.first);
	return err_set(e, ERR_INPUT, "%s (and %u more problems)", ck.first, ck.n - 1);
}

int config_load(const char *path, struct config *c, struct buf *problems, struct err *e)
{
	struct buf b;
	buf_init(&b, CONFIG_MAX_FILE_SIZE);
	if (fs_read_file(path, &b, e) < 0) {
		buf_release(&b);
		memset(c, 0, sizeof *c);
		if (problems)
			buf_addf(problems, "%s\n", e->msg);
		return -1;
	}
	int rc = config_parse(buf_str(&b), b.len, base_name(path), c, problems, e);
	buf_release(&b);
	return rc;
}

char *config_path(const char *dir)
{
	return fs_join(dir, CONFIG_FILE_NAME);
}

int config_ratelimits_lifted(const struct config *c, int load_test_flag)
{
	if (!c->ratelimit.disabled)
		return 0;
	if (load_test_flag)
		return 1;
	const char *v = getenv(CONFIG_LOAD_TEST_ENV);
	return v && strcmp(v, "1") == 0;
}

const struct config_passport_type *config_passport_type(const struct config *c,
							const char *code)
{
	for (size_t i = 0; i < c->ntypes; i++)
		if (strcmp(c->types[i].code, code) == 0)
			return &c->types[i];
	return NULL;
}

int config_tariff_fee(const struct config *c, const char *type, const char *service,
		      const struct cal_date *on, int64_t *fee)
{
	const struct config_passport_type *t = config_passport_type(c, type);
	if (!t)
		return -1;
	const struct config_tariff *best = NULL;
	for (size_t i = 0; i < c->ntariffs; i++) {
		const struct config_tariff *x = &c->tariffs[i];
		if (strcmp(x->type, type) || strcmp(x->service, service) ||
		    cal_date_cmp(&x->from, on) > 0)
			continue;
		if (!best || cal_date_cmp(&x->from, &best->from) > 0)
			best = x;
	}
	if (best) {
		*fee = best->fee;
		return 0;
	}
	if (strcmp(service, "regular") != 0)
		return -1;
	*fee = t->fee;
	return 0;
}

int config_resolve_path(const char *dir, const char *path, char *out, size_t size,
			struct err *e)
{
	int n = path[0] == '/' ? snprintf(out, size, "%s", path)
			       : snprintf(out, size, "%s/%s", dir, path);
	if (n < 0 || (size_t)n >= size)
		return err_set(e, ERR_INPUT, "path too long: %.60s…", path);
	return 0;
}

unsigned config_validity_years(const struct config *c, unsigned age_years)
{
	return age_years >= c->adult_age ? c->adult_years : c->minor_years;
}

/* ---- the default file ---- */

static const char default_text[] =
	"# Paspor office configuration (libconfig syntax; docs/CONFIG.md explains every\n"
	"# setting). Check it with:  paspor office config --data DIR --check\n"
	"# Unknown settings are errors. Times are local to office.timezone.\n"
	"\n"
	"office = {\n"
	"  code = \"%s\";            # short office code: A-Z, 0-9, '-'\n"
	"  name = \"%s\";\n"
	"  # IANA time zone: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT),\n"
	"  # or the host country's zone at a consular post abroad.\n"
	"  timezone = \"Asia/Jakarta\";\n"
	"  consular_post = false;   # true: a post abroad; applicants without a NIK may book\n"
	"};\n"
	"\n"
	"booking = {\n"
	"  days_ahead = 30;         # how many days ahead a slot may be booked\n"
	"  working_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"];\n"
	"  # Slots in order, not overlapping; quota = bookings per slot per local day.\n"
	"  slots = (\n"
	"    { start = \"08:00\"; end = \"09:00\"; quota = 20; },\n"
	"    { start = \"09:00\"; end = \"10:00\"; quota = 20; },\n"
	"    { start = \"10:00\"; end = \"11:00\"; quota = 20; },\n"
	"    { start = \"11:00\"; end = \"12:00\"; quota = 15; },\n"
	"    { start = \"13:00\"; end = \"14:00\"; quota = 20; },\n"
	"    { start = \"14:00\"; end = \"15:00\"; quota = 15; }\n"
	"  );\n"
	"  # Closed days (YYYY-MM-DD). Fixed-date national holidays are listed; add the\n"
	"  # moving ones and collective leave (cuti bersama) each year.\n"
	"  holidays = [\"2026-01-01\", \"2026-05-01\", \"2026-06-01\", \"2026-08-17\",\n"
	"              \"2026-12-25\"];\n"
	"};\n"
	"\n"
	"fees = {\n"
	"  currency = \"IDR\";        # ISO 4217; fees are integer minor units (IDR: 1/100)\n"
	"  passport_types = (\n"
	"    { code = \"ordinary-48\"; name = \"Paspor biasa 48 halaman\";\n"
	"      electronic = false; fee = 35000000; },   # IDR 350,000.00\n"
	"    { code = \"electronic-48\"; name = \"Paspor elektronik 48 halaman\";\n"
	"      electronic = true; fee = 65000000; }     # IDR 650,000.00\n"
	"  );\n"
	"};\n"
	"\n"
	"validity = {\n"
	"  adult_age = 17;          # age at issuance from which adult_years applies\n"
	"  adult_years = 10;\n"
	"  minor_years = 5;\n"
	"};\n"
	"\n"
	"payment = {\n"
	"  personalize_on_pending = false;  # true: print before the payment is confirmed\n"
	"};\n"
	"\n"
	"# Personalization, quality check and hand-over (docs/PERSONALIZATION.md). Relative\n"
	"# paths are inside the data folder. Without this section nothing is personalized.\n"
	"issuance = {\n"
	"  issuing_state = \"IDN\";\n"
	"  signer_socket = \"signer/signer.sock\";  # paspor signer (docs/SIGNER.md)\n"
	"  csca_cert = \"csca.cert.pem\";          # checks every chip before hand-over\n"
	"  spool_dir = \"spool\";                  # print jobs (docs/SPOOL.md)\n"
	"  uncollected_days = 30;                  # then listed for follow-up\n"
	"  # print_command = [\"/usr/bin/lp\", \"-d\", \"passports\"];  # the PDF path is appended\n"
	"};\n"
	"\n"
	"ratelimit = {\n"
	"  booking_per_ip_per_minute = 10;  # new bookings per client address\n"
	"  booking_per_nik_per_day = 5;     # booking attempts per NIK (or identity ref)\n"
	"  status_per_ip_per_minute = 30;   # status lookups per client address\n"
	"  table_entries = 65536;           # keys remembered per limiter (bounded memory)\n"
	"  # Load tests only: uncomment to lift every limit. It takes effect only when the\n"
	"  # server also runs with PASPOR_LOAD_TEST=1 (docs/CONFIG.md).\n"
	"  # disabled = true;\n"
	"};\n"
	"\n"
	"# Public bookings hold their slot only once the applicant enters the code sent to\n"
	"# their phone or e-mail (docs/BOOKING.md). Without this section online booking is\n"
	"# closed (503). Relative paths are inside the data folder.\n"
	"confirmation = {\n"
	"  hold_seconds = 900;              # an unconfirmed hold frees its place after this\n"
	"  code_digits = 6;                 # 6 to 9 digits\n"
	"  code_attempts = 5;               # wrong codes before the hold ends\n"
	"  resend_seconds = 60;             # at least this between two codes of one hold\n"
	"  pending_per_slot = 5;            # unconfirmed holds at once in one slot\n"
	"  active_per_phone = 3;            # pending + booked per phone number\n"
	"  active_per_email = 3;            # pending + booked per e-mail address\n"
	"  codes_per_contact_per_day = 5;   # codes to one phone or e-mail in 24 hours\n"
	"  codes_per_day = 2000;            # codes the office sends in 24 hours\n"
	"  # DEMO senders: \"spool\" writes each message to a file in spool_dir and sends\n"
	"  # nothing. A real office sends e-mail with \"smtp\" and SMS/WhatsApp with \"http\"\n"
	"  # (a gateway), or closes a channel with \"none\".\n"
	"  email_sender = \"spool\";\n"
	"  phone_sender = \"spool\";\n"
	"  spool_dir = \"outbox\";\n"
	"  send_timeout_seconds = 10;\n"
	"  # smtp_url = \"smtps://mail.example.go.id:465\";\n"
	"  # smtp_tls = \"implicit\";       # implicit (smtps://), starttls, none (loopback only)\n"
	"  # smtp_from = \"paspor@kanim.example.go.id\";\n"
	"  # smtp_user = \"paspor\";\n"
	"  # smtp_password_file = \"smtp.password\";\n"
	"  # smtp_ca_file = \"smtp-ca.pem\";\n"
	"  # http_url = \"https://gateway.example/v1/messages\";\n"
	"  # http_token_file = \"gateway.token\";  # sent as Authorization: Bearer\n"
	"  # http_ca_file = \"gateway-ca.pem\";\n"
	"};\n";

/* Appends s as the inside of a libconfig string: quotes and backslashes escaped,
 * control characters dropped. */
static void add_escaped(struct buf *b, const char *s, size_t max)
{
	size_t len = strlen(s);
	if (len > max) { /* cut before a UTF-8 sequence, not inside one */
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f)
			continue;
		if (ch == '"' || ch == '\\')
			buf_addch(b, '\\');
		buf_addch(b, ch);
	}
}

int config_default_text(struct buf *out, const char *origin, const char *name,
			struct err *e)
{
	char code[33];
	size_t n = 0;
	for (size_t i = 0; origin[i] && origin[i] != '.' && n < 32; i++) {
		char ch = origin[i];
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
			ch = '-';
		code[n++] = ch;
	}
	while (n < 2)
		code[n++] = 'X';
	code[n] = '\0';
	struct buf nm;
	buf_init(&nm, 1024);
	add_escaped(&nm, name ? name : origin, 120);
	/* the name must stay within 128 bytes and non-empty */
	if (nm.len == 0)
		buf_addstr(&nm, "office");
	int rc = buf_addf(out, default_text, code, buf_str(&nm));
	int ok = buf_ok(&nm);
	buf_release(&nm);
	if (rc < 0 || !ok)
		return err_nomem(e);
	return 0;
}

int config_write_default(const char *dir, const char *origin, const char *name,
			 struct err *e)
{
	struct buf b;
	buf_init(&b, CONFIG_MAX_FILE_SIZE);
	char *path = config_path(dir);
	int rc = -1;
	if (!path) {
		err_nomem(e);
		goto out;
	}
	if (config_default_text(&b, origin, name, e) < 0)
		goto out;
	int w = fs_write_new(path, b.data, b.len, 0640, e);
	if (w < 0)
		goto out;
	if (w == 1) {
		err_set(e, ERR_IO, "'%s' already exists", path);
		goto out;
	}
	rc = 0;
out:
	mem_free(path);
	buf_release(&b);
	return rc;
}
