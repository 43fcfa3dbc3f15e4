/* nik — see nik.h. */
#include "office/nik.h"

#include <stdio.h>
#include <string.h>

const char *nik_status_text(enum nik_status s)
{
	switch (s) {
	case NIK_OK: return "valid";
	case NIK_LENGTH: return "must be 16 digits";
	case NIK_NOT_DIGITS: return "must contain only the digits 0-9";
	case NIK_PROVINCE: return "province code (digits 1-2) is not an Indonesian province";
	case NIK_REGENCY: return "regency/city code (digits 3-4) must not be 00";
	case NIK_DISTRICT: return "district code (digits 5-6) must not be 00";
	case NIK_DATE: return "birth date (digits 7-12, day + 40 for women) is not a date";
	case NIK_SERIAL: return "serial number (digits 13-16) must not be 0000";
	case NIK_SEX_UNKNOWN: return "sex must be M or F to check against a NIK";
	case NIK_SEX_MISMATCH: return "day of birth in the NIK (+40 for women) does not "
				      "match the sex given";
	case NIK_BIRTH_MISMATCH: return "birth date in the NIK does not match the birth "
					"date given";
	case NIK_BIRTH_INVALID: return "the birth date given is not a date";
	}
	return "invalid";
}

int nik_province_known(int pp)
{
	return (pp >= 11 && pp <= 19) || pp == 21 || (pp >= 31 && pp <= 36) ||
	       (pp >= 51 && pp <= 53) || (pp >= 61 && pp <= 65) || (pp >= 71 && pp <= 76) ||
	       (pp >= 81 && pp <= 82) || (pp >= 91 && pp <= 96);
}

static int two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

enum nik_status nik_parse(const char *s, size_t len, struct nik_info *info)
{
	if (!s || len != NIK_LEN)
		return NIK_LENGTH;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return NIK_NOT_DIGITS;
	struct nik_info n;
	n.province = two(s);
	n.regency = two(s + 2);
	n.district = two(s + 4);
	int dd = two(s + 6);
	n.month = two(s + 8);
	n.yy = two(s + 10);
	n.serial = two(s + 12) * 100 + two(s + 14);
	n.female = dd > 40;
	n.day = n.female ? dd - 40 : dd;
	if (!nik_province_known(n.province))
		return NIK_PROVINCE;
	if (n.regency == 0)
		return NIK_REGENCY;
	if (n.district == 0)
		return NIK_DISTRICT;
	/* the date must exist in 19YY or in 20YY (29 February needs one leap year) */
	if (!cal_date_valid(1900 + n.yy, n.month, n.day) &&
	    !cal_date_valid(2000 + n.yy, n.month, n.day))
		return NIK_DATE;
	if (n.serial == 0)
		return NIK_SERIAL;
	if (info)
		*info = n;
	return NIK_OK;
}

enum nik_status nik_check(const char *s, size_t len, const struct cal_date *birth,
			  char sex, struct nik_info *info)
{
	struct nik_info n;
	enum nik_status st = nik_parse(s, len, &n);
	if (st != NIK_OK)
		return st;
	if (sex != 'M' && sex != 'F')
		return NIK_SEX_UNKNOWN;
	if (!birth || !cal_date_valid(birth->year, birth->month, birth->day))
		return NIK_BIRTH_INVALID;
	if (n.female != (sex == 'F'))
		return NIK_SEX_MISMATCH;
	if (n.day != birth->day || n.month != birth->month || n.yy != birth->year % 100)
		return NIK_BIRTH_MISMATCH;
	if (info)
		*info = n;
	return NIK_OK;
}

int nik_validate(const char *s, size_t len, const struct cal_date *birth, char sex,
		 struct err *e)
{
	enum nik_status st = nik_check(s, len, birth, sex, NULL);
	if (st == NIK_OK)
		return 0;
	return err_set(e, ERR_INPUT, "nik: %s", nik_status_text(st));
}

static const char *const idref_types[] = { "PP", "ID", "RP", "BC", "CB", NULL };

static char upper(char ch)
{
	return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

/* Upper-cases s without spaces into out (size bytes); -1 if longer. */
static int compact(const char *s, char *out, size_t size, const char *drop)
{
	size_t n = 0;
	for (; *s; s++) {
		if (strchr(drop, *s))
			continue;
		if (n + 1 >= size)
			return -1;
		out[n++] = upper(*s);
	}
	out[n] = '\0';
	return 0;
}

static int all_alnum(const char *s, int letters_only)
{
	for (; *s; s++) {
		int letter = *s >= 'A' && *s <= 'Z';
		int digit = *s >= '0' && *s <= '9';
		if (!letter && (letters_only || !digit))
			return 0;
	}
	return 1;
}

int nik_identity_ref(const char *doc_type, const char *country, const char *number,
		     char out[IDREF_MAX], struct err *e)
{
	char t[8], c[8], num[32];
	if (!doc_type || compact(doc_type, t, sizeof t, " ") < 0)
		return err_set(e, ERR_INPUT, "document_type: must be one of PP ID RP BC CB");
	int known = 0;
	for (int i = 0; idref_types[i]; i++)
		if (strcmp(t, idref_types[i]) == 0)
			known = 1;
	if (!known)
		return err_set(e, ERR_INPUT, "document_type: must be one of PP ID RP BC CB");
	if (!country || compact(country, c, sizeof c, " ") < 0 || strlen(c) != 3 ||
	    !all_alnum(c, 1))
		return err_set(e, ERR_INPUT,
			       "issuing_country: must be a three-letter country code");
	if (!number || compact(number, num, sizeof num, " -/.") < 0 || strlen(num) == 0 ||
	    strlen(num) > 24 || !all_alnum(num, 0))
		return err_set(e, ERR_INPUT, "document_number: must be 1 to 24 letters and "
			       "digits (spaces, '-', '/', '.' are ignored)");
	snprintf(out, IDREF_MAX, "X-%s-%s-%s", t, c, num);
	return 0;
}

int nik_is_identity_ref(const char *s)
{
	if (!s || strncmp(s, "X-", 2) != 0 || strlen(s) >= IDREF_MAX)
		return 0;
	char t[3], c[4];
	const char *p = s + 2;
	if (strlen(p) < 8 || p[2] != '-' || p[6] != '-')
		return 0;
	memcpy(t, p, 2);
	t[2] = '\0';
	memcpy(c, p + 3, 3);
	c[3] = '\0';
	int known = 0;
	for (int i = 0; idref_types[i]; i++)
		if (strcmp(t, idref_types[i]) == 0)
			known = 1;
	const char *num = p + 7;
	return known && all_alnum(c, 1) && strlen(num) >= 1 && strlen(num) <= 24 &&
	       all_alnum(num, 0);
}
