#include "icao/mrz.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "icao/translit.h"

/* ---- check digits (Doc 9303 Part 3 §4.9) ---- */

static int char_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c == '<')
		return 0;
	return -1;
}

int mrz_check_digit(const char *s, size_t n)
{
	static const int w[3] = { 7, 3, 1 };
	int sum = 0;
	for (size_t i = 0; i < n; i++) {
		int v = char_value(s[i]);
		if (v < 0)
			return -1;
		sum = (sum + v * w[i % 3]) % 10;
	}
	return sum;
}

static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* ---- dates ---- */

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

static int two_digits(const char *s)
{
	return is_digit(s[0]) && is_digit(s[1]) ? (s[0] - '0') * 10 + (s[1] - '0') : -1;
}

/*
 * "YYYY-MM-DD" to MRZ "YYMMDD". With allow_unknown, "XX" for the day, "XX-XX" for month
 * and day, or "XXXX-XX-XX" become fillers. *key gets a sortable value (unknown parts
 * as 0) for comparing dates.
 */
static int iso_to_mrz(const char *in, int allow_unknown, const char *field, char out[7],
		      long *key, struct err *e)
{
	size_t n = strlen(in);
	if (n != 10 || in[4] != '-' || in[7] != '-')
		return err_set(e, ERR_INPUT, "%s: '%s' is not a date of the form YYYY-MM-DD%s",
			       field, in, allow_unknown ? " (XX for unknown parts)" : "");
	int yu = !strncmp(in, "XXXX", 4), mu = !strncmp(in + 5, "XX", 2),
	    du = !strncmp(in + 8, "XX", 2);
	if ((yu || mu || du) && !allow_unknown)
		return err_set(e, ERR_INPUT, "%s: '%s' must be a full date", field, in);
	if ((yu && !mu) || (mu && !du))
		return err_set(e, ERR_INPUT,
			       "%s: '%s': only the day, the day and month, or the whole date may "
			       "be unknown", field, in);
	int y = 0, m = 0, d = 0;
	if (!yu) {
		int hi = two_digits(in), lo = two_digits(in + 2);
		if (hi < 0 || lo < 0)
			return err_set(e, ERR_INPUT, "%s: '%s' has an invalid year", field, in);
		y = hi * 100 + lo;
		if (y < 1900 || y > 2099)
			return err_set(e, ERR_INPUT, "%s: year %d is out of range (1900-2099)",
				       field, y);
	}
	if (!mu) {
		m = two_digits(in + 5);
		if (m < 1 || m > 12)
			return err_set(e, ERR_INPUT, "%s: '%s' has an invalid month", field, in);
	}
	if (!du) {
		d = two_digits(in + 8);
		if (d < 1 || d > days_in_month(y, m))
			return err_set(e, ERR_INPUT, "%s: '%s' is not a day of the calendar",
				       field, in);
	}
	if (yu)
		memcpy(out, "<<", 2);
	else
		snprintf(out, 3, "%02d", y % 100);
	if (mu)
		memcpy(out + 2, "<<", 2);
	else
		snprintf(out + 2, 3, "%02d", m);
	if (du)
		memcpy(out + 4, "<<", 3);
	else
		snprintf(out + 4, 3, "%02d", d);
	out[6] = '\0';
	*key = (long)y * 10000 + m * 100 + d;
	return 0;
}

/* ---- names (Part 3 §4.6, Part 4 §4.2.2/§4.2.3 truncation) ---- */

/*
 * s (len > n chars of A-Z and single '<', or the "<<" separator, no leading or trailing
 * filler) is cut to its first n characters. When the cut falls on a filler, a letter at
 * the end of an earlier name component of two or more letters is removed and the cut
 * tried again, so that the field ends in a letter: a reader then knows the name may be
 * truncated (Part 4 §4.2.3.3).
 */
static int fit(char *s, size_t len, size_t n)
{
	while (s[n - 1] == '<') {
		size_t i = n - 1;
		int found = 0;
		while (i-- > 1) {
			if (s[i] != '<' && s[i + 1] == '<' && s[i - 1] != '<') {
				found = 1;
				break;
			}
		}
		if (!found)
			return -1;
		memmove(s + i, s + i + 1, len - i); /* with the NUL */
		len--;
	}
	s[n] = '\0';
	return 0;
}

int mrz_name_field(const char *surname, const char *given_names, size_t field_len,
		   char *out, int *truncated, struct err *e)
{
	char p[4 * MRZ_NAME_MAX + 8], s[4 * MRZ_NAME_MAX + 8], full[8 * MRZ_NAME_MAX + 24];
	if (truncated)
		*truncated = 0;
	if (field_len < 8 || field_len > 64)
		return err_set(e, ERR_INTERNAL, "name field length %zu not supported", field_len);
	int pl = translit_name(surname, "surname", p, sizeof p, e);
	if (pl < 0)
		return -1;
	if (pl == 0)
		return err_set(e, ERR_INPUT, "surname: must contain at least one letter");
	int sl = translit_name(given_names, "given_names", s, sizeof s, e);
	if (sl < 0)
		return -1;
	if (given_names[0] && sl == 0)
		return err_set(e, ERR_INPUT, "given_names: has no letters (leave it empty for "
			       "a person with a single name)");
	size_t n = field_len;
	size_t len;
	if (sl > 0) {
		size_t reserve = sl >= 2 ? 2 : 1;
		size_t plimit = n - 2 - reserve;
		if ((size_t)pl + 2 + (size_t)sl > n && (size_t)pl > plimit) {
			if (fit(p, (size_t)pl, plimit) != 0)
				return err_set(e, ERR_INPUT, "surname: cannot be truncated");
			pl = (int)plimit;
		}
		len = (size_t)snprintf(full, sizeof full, "%s<<%s", p, s);
	} else {
		len = (size_t)snprintf(full, sizeof full, "%s", p);
	}
	if (len > n) {
		if (fit(full, len, n) != 0)
			return err_set(e, ERR_INPUT, "given_names: cannot be truncated");
		if (truncated)
			*truncated = 1;
		len = n;
	}
	memcpy(out, full, len);
	memset(out + len, '<', n - len);
	out[n] = '\0';
	return 0;
}

/* ---- making TD3 ---- */

static int code_field(const char *in, const char *field, char out[4], struct err *e)
{
	size_t n = strlen(in);
	if (n < 1 || n > 3)
		return err_set(e, ERR_INPUT, "%s: '%s' must be a 3-letter code", field, in);
	if (!is_upper(in[0]))
		return err_set(e, ERR_INPUT, "%s: '%s' must start with a letter A-Z", field, in);
	int filler = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '<') {
			filler = 1;
		} else if (!is_upper(in[i]) || filler) {
			return err_set(e, ERR_INPUT, "%s: '%s' must be letters A-Z (then '<')",
				       field, in);
		}
	}
	memcpy(out, in, n);
	memset(out + n, '<', 3 - n);
	out[3] = '\0';
	return 0;
}

int mrz_make_td3(const struct mrz_doc *d, char out[2 * MRZ_TD3_LEN + 1], struct err *e)
{
	char *l1 = out, *l2 = out + MRZ_TD3_LEN;
	/* document code */
	const char *dc = d->document_code;
	if (!strcmp(dc, "P"))
		dc = "P<";
	if (strlen(dc) != 2 || dc[0] != 'P' || !(is_upper(dc[1]) || dc[1] == '<'))
		return err_set(e, ERR_INPUT, "document_code: '%s' is not a passport code "
			       "(PP, P<, or P followed by a letter)", d->document_code);
	char state[4], nat[4];
	if (code_field(d->issuing_state, "issuing_state", state, e) != 0 ||
	    code_field(d->nationality, "nationality", nat, e) != 0)
		return -1;
	/* document number */
	size_t nl = strlen(d->document_number);
	if (nl == 0)
		return err_set(e, ERR_INPUT, "document_number: is empty");
	if (nl > 9)
		return err_set(e, ERR_INPUT, "document_number: %zu characters, at most 9 fit "
			       "(longer numbers are not supported)", nl);
	for (size_t i = 0; i < nl; i++)
		if (!is_upper(d->document_number[i]) && !is_digit(d->document_number[i]))
			return err_set(e, ERR_INPUT, "document_number: '%s' must be letters A-Z "
				       "and digits only", d->document_number);
	/* dates */
	char dob[7], exp[7];
	long kb, ke;
	if (iso_to_mrz(d->birth_date, 1, "birth_date", dob, &kb, e) != 0 ||
	    iso_to_mrz(d->expiry_date, 0, "expiry_date", exp, &ke, e) != 0)
		return -1;
	if (kb / 10000 != 0 && ke <= kb)
		return err_set(e, ERR_INPUT, "expiry_date: %s is not after birth_date %s",
			       d->expiry_date, d->birth_date);
	/* sex */
	char sex;
	switch (d->sex) {
	case 'F': sex = 'F'; break;
	case 'M': sex = 'M'; break;
	case 'X': sex = '<'; break;
	default:
		if (d->sex >= 0x20 && d->sex < 0x7F)
			return err_set(e, ERR_INPUT, "sex: '%c' must be F, M or X", d->sex);
		return err_set(e, ERR_INPUT, "sex: must be F, M or X");
	}
	/* optional data */
	size_t ol = strlen(d->optional_data);
	if (ol > 14)
		return err_set(e, ERR_INPUT, "optional_data: %zu characters, at most 14 fit", ol);
	for (size_t i = 0; i < ol; i++)
		if (char_value(d->optional_data[i]) < 0)
			return err_set(e, ERR_INPUT, "optional_data: '%s' must be A-Z, 0-9 and <",
				       d->optional_data);
	/* line 1 */
	memcpy(l1, dc, 2);
	memcpy(l1 + 2, state, 3);
	char name[MRZ_TD3_NAME_LEN + 1];
	if (mrz_name_field(d->surname, d->given_names, MRZ_TD3_NAME_LEN, name, NULL, e) != 0)
		return -1;
	memcpy(l1 + 5, name, MRZ_TD3_NAME_LEN);
	/* line 2 */
	memset(l2, '<', MRZ_TD3_LEN);
	memcpy(l2, d->document_number, nl);
	l2[9] = (char)('0' + mrz_check_digit(l2, 9));
	memcpy(l2 + 10, nat, 3);
	memcpy(l2 + 13, dob, 6);
	l2[19] = (char)('0' + mrz_check_digit(dob, 6));
	l2[20] = sex;
	memcpy(l2 + 21, exp, 6);
	l2[27] = (char)('0' + mrz_check_digit(exp, 6));
	memcpy(l2 + 28, d->optional_data, ol);
	/* all fillers: the check digit is 0 (Part 4 allows 0 or '<') */
	l2[42] = (char)('0' + mrz_check_digit(l2 + 28, 14));
	char comp[10 + 7 + 22];
	memcpy(comp, l2, 10);
	memcpy(comp + 10, l2 + 13, 7);
	memcpy(comp + 17, l2 + 21, 22);
	l2[43] = (char)('0' + mrz_check_digit(comp, sizeof comp));
	out[2 * MRZ_TD3_LEN] = '\0';
	return 0;
}

/* ---- JSON input ---- */

struct json_key {
	const char *name;
	size_t off, size; /* size: bytes of the destination including the NUL */
	int required;
	size_t max; /* longest accepted value (characters the MRZ field can take) */
};

#define KEY(n, req, mx) { #n, offsetof(struct mrz_doc, n), sizeof(((struct mrz_doc *)0)->n), req, mx }
static const struct json_key json_keys[] = {
	KEY(document_code, 1, 2),
	KEY(issuing_state, 1, 3),
	KEY(surname, 1, MRZ_NAME_MAX),
	KEY(given_names, 0, MRZ_NAME_MAX),
	KEY(document_number, 1, 9),
	KEY(nationality, 1, 3),
	KEY(birth_date, 1, 10),
	{ "sex", offsetof(struct mrz_doc, sex), 1, 1, 1 },
	KEY(expiry_date, 1, 10),
	KEY(optional_data, 0, 14),
};
#undef KEY
#define NKEYS (sizeof json_keys / sizeof json_keys[0])

int mrz_doc_from_json(const json_t *obj, struct mrz_doc *d, struct err *e)
{
	memset(d, 0, sizeof *d);
	if (!json_is_object(obj))
		return err_set(e, ERR_INPUT, "document: must be a JSON object");
	int seen[NKEYS] = { 0 };
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		size_t k = 0;
		while (k < NKEYS && strcmp(json_keys[k].name, key) != 0)
			k++;
		if (k == NKEYS)
			return err_set(e, ERR_INPUT, "unknown key '%.64s'", key);
		const struct json_key *jk = &json_keys[k];
		seen[k] = 1;
		if (!json_is_string(v))
			return err_set(e, ERR_INPUT, "%s: must be a string", jk->name);
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		if (strlen(s) != n)
			return err_set(e, ERR_INPUT, "%s: contains a NUL character", jk->name);
		char *dst = (char *)d + jk->off;
		if (jk->size == 1) { /* sex: one character */
			if (n != 1)
				return err_set(e, ERR_INPUT, "sex: '%.16s' must be F, M or X", s);
			*dst = s[0];
			continue;
		}
		if (!strcmp(jk->name, "document_number") && n > jk->max)
			return err_set(e, ERR_INPUT, "document_number: %zu characters, at most 9 "
				       "fit (longer numbers are not supported)", n);
		if (n > jk->max)
			return err_set(e, ERR_INPUT, "%s: too long (at most %zu %s)", jk->name,
				       jk->max, jk->max == MRZ_NAME_MAX ? "bytes" : "characters");
		memcpy(dst, s, n + 1);
	}
	for (size_t k = 0; k < NKEYS; k++)
		if (json_keys[k].required && !seen[k])
			return err_set(e, ERR_INPUT, "%s: missing", json_keys[k].name);
	if (!strcmp(d->document_code, "P"))
		memcpy(d->document_code, "P<", 3);
	return 0;
}

/* ---- parsing and checking ---- */

const char *mrz_format_name(enum mrz_format f)
{
	switch (f) {
	case MRZ_FORMAT_TD1: return "TD1";
	case MRZ_FORMAT_TD2: return "TD2";
	case MRZ_FORMAT_TD3: return "TD3";
	default: return "none";
	}
}

const char *mrz_check_name(enum mrz_check_kind k)
{
	static const char *names[MRZ_CD_COUNT] = { "document_number", "birth_date",
		"expiry_date", "optional_data", "composite" };
	return k < MRZ_CD_COUNT ? names[k] : "?";
}

static void problem(struct mrz_parsed *p, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct mrz_parsed *p, const char *field, const char *fmt, ...)
{
	if (p->nproblems >= MRZ_MAX_PROBLEMS)
		return;
	struct mrz_problem *pr = &p->problems[p->nproblems++];
	snprintf(pr->field, sizeof pr->field, "%s", field);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pr->message, sizeof pr->message, fmt, ap);
	va_end(ap);
}

static void copy_field(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void check_cd(struct mrz_parsed *p, enum mrz_check_kind k, const char *data,
		     size_t n, char found, int filler_ok)
{
	struct mrz_check *c = &p->checks[k];
	int cd = mrz_check_digit(data, n);
	c->present = 1;
	c->found = found;
	c->expected = cd < 0 ? '?' : (char)('0' + cd);
	c->valid = cd >= 0 && (found == c->expected || (filler_ok && found == '<' && cd == 0));
	if (!c->valid) {
		char field[32];
		snprintf(field, sizeof field, "%s_check_digit", mrz_check_name(k));
		problem(p, field, "is '%c', expected '%c'", found, c->expected);
	}
}

static void check_code(struct mrz_parsed *p, const char *field, const char *v)
{
	int filler = 0, ok = is_upper(v[0]);
	for (size_t i = 0; v[i] && ok; i++) {
		if (v[i] == '<')
			filler = 1;
		else if (!is_upper(v[i]) || filler)
			ok = 0;
	}
	if (!ok)
		problem(p, field, "'%s' is not a state or organisation code", v);
}

static void check_date(struct mrz_parsed *p, const char *field, const char *v,
		       int allow_unknown)
{
	int yu = !memcmp(v, "<<", 2), mu = !memcmp(v + 2, "<<", 2), du = !memcmp(v + 4, "<<", 2);
	if ((yu || mu || du) && !allow_unknown) {
		problem(p, field, "'%s' is not a full date", v);
		return;
	}
	if ((yu && !mu) || (mu && !du)) {
		problem(p, field, "'%s': only the day, day and month, or the whole date may be "
			"unknown", v);
		return;
	}
	int y = yu ? 0 : two_digits(v), m = mu ? 1 : two_digits(v + 2),
	    d = du ? 1 : two_digits(v + 4);
	if (y < 0 || m < 0 || d < 0) {
		problem(p, field, "'%s' is not a date YYMMDD", v);
		return;
	}
	/* the century is unknown: 29 February is allowed in every year divisible by 4 */
	int dim = m >= 1 && m <= 12 ? days_in_month(2000 + y, m) : 0;
	if (m < 1 || m > 12)
		problem(p, field, "'%s' has no month %02d", v, m);
	else if (d < 1 || d > dim)
		problem(p, field, "'%s' is not a day of the calendar", v);
}

static void check_text(struct mrz_parsed *p, const char *field, const char *v, int letters_only)
{
	for (size_t i = 0; v[i]; i++)
		if (letters_only && is_digit(v[i])) {
			problem(p, field, "digits are not allowed");
			return;
		}
}

static void split_name(struct mrz_parsed *p)
{
	const char *f = p->name_field;
	size_t n = strlen(f);
	check_text(p, "name", f, 1);
	if (f[0] == '<')
		problem(p, "name", "the primary identifier (surname) is empty");
	p->name_possibly_truncated = n > 0 && f[n - 1] != '<';
	const char *sep = strstr(f, "<<");
	size_t plen = sep ? (size_t)(sep - f) : n;
	const char *given = sep ? sep + 2 : f + n;
	char *dst[2] = { p->surname, p->given_names };
	const char *src[2] = { f, given };
	size_t len[2] = { plen, strlen(given) };
	for (int k = 0; k < 2; k++) {
		size_t o = 0;
		for (size_t i = 0; i < len[k] && o < 39; i++) {
			char c = src[k][i];
			if (c == '<') {
				if (o > 0 && dst[k][o - 1] != ' ')
					dst[k][o++] = ' ';
			} else {
				dst[k][o++] = c;
			}
		}
		while (o > 0 && dst[k][o - 1] == ' ')
			o--;
		dst[k][o] = '\0';
	}
}

static void check_document_number(struct mrz_parsed *p)
{
	const char *v = p->document_number;
	if (v[0] == '<') {
		problem(p, "document_number", "is empty");
		return;
	}
	int filler = 0;
	for (size_t i = 0; v[i]; i++) {
		if (v[i] == '<')
			filler = 1;
		else if (filler) {
			problem(p, "document_number", "'%s' has characters after a filler", v);
			return;
		}
	}
}

static int split_lines(const char *text, struct mrz_parsed *p, struct err *e)
{
	const char *s = text;
	int n = 0;
	size_t lens[3] = { 0 };
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (len == 0) {
			/* blank lines only at the end */
			const char *t = nl ? nl + 1 : s + strlen(s);
			while (*t == '\n' || *t == '\r')
				t++;
			if (*t)
				return err_set(e, ERR_INPUT, "mrz: blank line %d", n + 1);
			break;
		}
		if (n == 3)
			return err_set(e, ERR_INPUT, "mrz: more than 3 lines");
		lens[n] = len;
		if (len <= 44)
			copy_field(p->lines[n], s, len);
		n++;
		if (!nl)
			break;
		s = nl + 1;
	}
	if (n < 2)
		return err_set(e, ERR_INPUT, "mrz: %d line%s, expected 2 (TD2, TD3) or 3 (TD1)",
			       n, n == 1 ? "" : "s");
	if (n == 3 && lens[0] == 30 && lens[1] == 30 && lens[2] == 30)
		p->format = MRZ_FORMAT_TD1;
	else if (n == 2 && lens[0] == 36 && lens[1] == 36)
		p->format = MRZ_FORMAT_TD2;
	else if (n == 2 && lens[0] == 44 && lens[1] == 44)
		p->format = MRZ_FORMAT_TD3;
	else if (n == 3)
		return err_set(e, ERR_INPUT, "mrz: lines of %zu, %zu and %zu characters, a TD1 "
			       "MRZ has 3 lines of 30", lens[0], lens[1], lens[2]);
	else
		return err_set(e, ERR_INPUT, "mrz: lines of %zu and %zu characters, expected 2 "
			       "lines of 44 (TD3) or 36 (TD2)", lens[0], lens[1]);
	p->nlines = n;
	for (int l = 0; l < n; l++)
		for (size_t i = 0; i < lens[l]; i++) {
			unsigned char c = (unsigned char)p->lines[l][i];
			if (char_value((char)c) >= 0)
				continue;
			if (c > 0x20 && c < 0x7F)
				return err_set(e, ERR_INPUT, "mrz: line %d, column %zu: '%c' is not "
					       "allowed (only A-Z, 0-9 and <)", l + 1, i + 1, c);
			return err_set(e, ERR_INPUT, "mrz: line %d, column %zu: byte 0x%02X is not "
				       "allowed (only A-Z, 0-9 and <)", l + 1, i + 1, c);
		}
	return 0;
}

/* TD3 and TD2 share their layout up to the optional data. */
static void parse_td23(struct mrz_parsed *p, size_t width)
{
	const char *l1 = p->lines[0], *l2 = p->lines[1];
	copy_field(p->document_code, l1, 2);
	copy_field(p->issuing_state, l1 + 2, 3);
	copy_field(p->name_field, l1 + 5, width - 5);
	copy_field(p->document_number, l2, 9);
	copy_field(p->nationality, l2 + 10, 3);
	copy_field(p->birth_date, l2 + 13, 6);
	p->sex = l2[20];
	copy_field(p->expiry_date, l2 + 21, 6);
	check_cd(p, MRZ_CD_DOCUMENT_NUMBER, l2, 9, l2[9], 0);
	check_cd(p, MRZ_CD_BIRTH_DATE, l2 + 13, 6, l2[19], 0);
	check_cd(p, MRZ_CD_EXPIRY_DATE, l2 + 21, 6, l2[27], 0);
	char comp[64];
	size_t n = 0;
	memcpy(comp + n, l2, 10), n += 10;
	memcpy(comp + n, l2 + 13, 7), n += 7;
	if (width == 44) {
		copy_field(p->optional_data, l2 + 28, 14);
		int all_filler = strspn(p->optional_data, "<") == 14;
		check_cd(p, MRZ_CD_OPTIONAL_DATA, l2 + 28, 14, l2[42], all_filler);
		memcpy(comp + n, l2 + 21, 22), n += 22;
		check_cd(p, MRZ_CD_COMPOSITE, comp, n, l2[43], 0);
	} else {
		copy_field(p->optional_data, l2 + 28, 7);
		memcpy(comp + n, l2 + 21, 14), n += 14;
		check_cd(p, MRZ_CD_COMPOSITE, comp, n, l2[35], 0);
	}
}

static void parse_td1(struct mrz_parsed *p)
{
	const char *l1 = p->lines[0], *l2 = p->lines[1], *l3 = p->lines[2];
	copy_field(p->document_code, l1, 2);
	copy_field(p->issuing_state, l1 + 2, 3);
	if (l1[14] == '<' && l1[15] != '<') {
		/* Part 5: a number longer than 9 characters continues in the optional data,
		 * followed by its check digit and a filler */
		size_t k = 15;
		while (k < 30 && l1[k] != '<')
			k++;
		size_t rest = k - 15 - 1; /* without the check digit */
		memcpy(p->document_number, l1 + 5, 9);
		memcpy(p->document_number + 9, l1 + 15, rest);
		p->document_number[9 + rest] = '\0';
		check_cd(p, MRZ_CD_DOCUMENT_NUMBER, p->document_number, 9 + rest, l1[k - 1], 0);
		copy_field(p->optional_data, l1 + (k < 30 ? k + 1 : 30), k < 30 ? 29 - k : 0);
	} else {
		copy_field(p->document_number, l1 + 5, 9);
		check_cd(p, MRZ_CD_DOCUMENT_NUMBER, l1 + 5, 9, l1[14], 0);
		copy_field(p->optional_data, l1 + 15, 15);
	}
	copy_field(p->birth_date, l2, 6);
	p->sex = l2[7];
	copy_field(p->expiry_date, l2 + 8, 6);
	copy_field(p->nationality, l2 + 15, 3);
	copy_field(p->optional_data_2, l2 + 18, 11);
	copy_field(p->name_field, l3, 30);
	check_cd(p, MRZ_CD_BIRTH_DATE, l2, 6, l2[6], 0);
	check_cd(p, MRZ_CD_EXPIRY_DATE, l2 + 8, 6, l2[14], 0);
	char comp[64];
	size_t n = 0;
	memcpy(comp + n, l1 + 5, 25), n += 25;
	memcpy(comp + n, l2, 7), n += 7;
	memcpy(comp + n, l2 + 8, 7), n += 7;
	memcpy(comp + n, l2 + 18, 11), n += 11;
	check_cd(p, MRZ_CD_COMPOSITE, comp, n, l2[29], 0);
}

int mrz_parse(const char *text, struct mrz_parsed *p, struct err *e)
{
	memset(p, 0, sizeof *p);
	if (split_lines(text, p, e) != 0) {
		p->format = MRZ_FORMAT_NONE;
		return -1;
	}
	if (p->format == MRZ_FORMAT_TD1)
		parse_td1(p);
	else
		parse_td23(p, p->format == MRZ_FORMAT_TD3 ? 44 : 36);

	/* the fields, in MRZ order; check-digit problems were recorded on the way */
	const char *dc = p->document_code;
	if (!is_upper(dc[0]) || !(is_upper(dc[1]) || dc[1] == '<'))
		problem(p, "document_code", "'%s' is not a document code", dc);
	else if (p->format == MRZ_FORMAT_TD3 && dc[0] != 'P')
		problem(p, "document_code", "'%s': a TD3 MRZ checked here is a passport (P)", dc);
	else if (p->format != MRZ_FORMAT_TD3 && dc[0] != 'A' && dc[0] != 'C' && dc[0] != 'I')
		problem(p, "document_code", "'%s': a %s document code starts with A, C or I", dc,
			mrz_format_name(p->format));
	check_code(p, "issuing_state", p->issuing_state);
	split_name(p);
	check_document_number(p);
	check_code(p, "nationality", p->nationality);
	check_date(p, "birth_date", p->birth_date, 1);
	if (p->sex != 'F' && p->sex != 'M' && p->sex != '<')
		problem(p, "sex", "'%c' must be F, M or <", p->sex);
	check_date(p, "expiry_date", p->expiry_date, 0);
	return 0;
}
