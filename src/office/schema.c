/*
 * schema — see schema.h.
 */
#include "office/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "log/blobs.h"
#include "office/appid.h"
#include "office/booklets.h"
#include "office/fields.h"
#include "office/nik.h"
#include "util/utf8.h"

static int has_controls(const char *s, int allow_newline)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && !(allow_newline && (c == '\n' || c == '\t'))) || c == 0x7F)
			return 1;
	}
	return 0;
}

static int date_ok(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

static int time_ok(const char *s)
{
	return strlen(s) == 5 && s[2] == ':' && s[0] >= '0' && s[0] <= '2' && s[1] >= '0' &&
	       s[1] <= '9' && s[3] >= '0' && s[3] <= '5' && s[4] >= '0' && s[4] <= '9' &&
	       (s[0] < '2' || s[1] <= '3');
}

int schema_chars_in(const char *s, const char *set, size_t min, size_t max)
{
	if (!s)
		return 0;
	size_t n = strlen(s);
	return n >= min && n <= max && strspn(s, set) == n;
}

#define DIGITS SCHEMA_DIGITS
#define UPPER SCHEMA_UPPER

/* 16 digits (a NIK; its inner rules are nik.h's, checked by the API), or an identity
 * reference for an applicant without a NIK, in nik.h's one normalised form. */
static int idref_ok(const char *s)
{
	return schema_chars_in(s, DIGITS, 16, 16) || nik_is_identity_ref(s);
}

static int email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	return strlen(s) <= 254 && at && at != s && !strchr(at + 1, '@') && strchr(at + 1, '.') &&
	       at[1] != '.' && s[strlen(s) - 1] != '.' && !strpbrk(s, " \t\r\n<>\"");
}

static int phone_ok(const char *s)
{
	size_t digits = 0;
	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!(*p == '+' && p == s) && *p != ' ' && *p != '-')
			return 0;
	}
	return digits >= 6 && digits <= 15 && strlen(s) <= 24;
}

static int check_doc(const char *pfx, const char *name, const json_t *d, struct err *e)
{
	if (!json_is_object(d))
		return err_set(e, ERR_INPUT, "%sfield 'documents.%s' is missing or not an object",
			       pfx, name);
	const char *status = json_string_value(json_object_get(d, "status"));
	const json_t *note = json_object_get(d, "note");
	if (!status || (strcmp(status, "checked") != 0 && strcmp(status, "missing") != 0))
		return err_set(e, ERR_INPUT, "%sfield 'documents.%s.status' must be 'checked' or "
			       "'missing'", pfx, name);
	if (note && (!json_is_string(note) || utf8_chars(json_string_value(note)) < 1 ||
		     utf8_chars(json_string_value(note)) > 500 ||
		     has_controls(json_string_value(note), 1)))
		return err_set(e, ERR_INPUT, "%sfield 'documents.%s.note' must be 1 to 500 "
			       "characters", pfx, name);
	if (!note && strcmp(status, "missing") == 0)
		return err_set(e, ERR_INPUT, "%sfield 'documents.%s.note' is required when the "
			       "document is missing", pfx, name);
	if (json_object_size(d) != 1 + (note != NULL))
		return err_set(e, ERR_INPUT, "%s'documents.%s' allows only 'status' and 'note'",
			       pfx, name);
	return 0;
}

const char *const schema_doc_names[] = { "identity_card", "family_card", "civil_record",
					 "old_passport", NULL };

/* A string as the API has always read one (api.c's api_str): 1…max bytes, no NUL,
 * valid UTF-8, no control character but line break and tab, and no invisible format
 * character (bidi overrides such as U+202E, zero-width spaces), so that a text cannot
 * display differently from what it is in an officer's view. */
static int api_str_check(const char *pfx, const struct field *f, const json_t *v,
			 struct err *e)
{
	if (!json_is_string(v))
		return err_set(e, ERR_INPUT, "%sfield '%s' must be a string", pfx, f->name);
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (n == 0 || n > (size_t)f->max)
		return err_set(e, ERR_INPUT, "%sfield '%s' must be 1 to %zu bytes", pfx, f->name,
			       (size_t)f->max);
	if (strlen(s) != n)
		return err_set(e, ERR_INPUT, "%sfield '%s' holds a NUL character", pfx, f->name);
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t left = (utf8proc_ssize_t)n;
	while (left > 0) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p, left, &cp);
		if (k <= 0)
			return err_set(e, ERR_INPUT, "%sfield '%s' is not valid UTF-8", pfx, f->name);
		utf8proc_category_t cat = utf8proc_category(cp);
		if ((cat == UTF8PROC_CATEGORY_CC && cp != '\n' && cp != '\t') ||
		    cat == UTF8PROC_CATEGORY_CF)
			return err_set(e, ERR_INPUT, "%sfield '%s' holds an invisible or control "
				       "character (U+%04X)", pfx, f->name, (unsigned)cp);
		p += k;
		left -= k;
	}
	return 0;
}

static int check_value(const char *pfx, const struct field *f, const json_t *v,
		       struct err *e)
{
	const char *s = json_string_value(v);
	switch (f->type) {
	case T_TEXT:
	case T_NOTE:
		if (!s || utf8_chars(s) < (size_t)f->min || utf8_chars(s) > (size_t)f->max ||
		    has_controls(s, f->type == T_NOTE))
			return err_set(e, ERR_INPUT, "%sfield '%s' must be a string of %lld to %lld "
				       "characters%s", pfx, f->name, f->min, f->max,
				       f->type == T_TEXT ? " on one line" : "");
		return 0;
	case T_ENUM:
		for (size_t i = 0; s && f->enums[i]; i++)
			if (strcmp(s, f->enums[i]) == 0)
				return 0;
		{
			char list[200] = "";
			for (size_t i = 0; f->enums[i]; i++)
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s'",
					 i ? ", " : "", f->enums[i]);
			return err_set(e, ERR_INPUT, "%sfield '%s' must be one of %s", pfx, f->name,
				       list);
		}
	case T_DATE:
		if (!s || !date_ok(s))
			return err_set(e, ERR_INPUT, "%sfield '%s' must be a date YYYY-MM-DD", pfx,
				       f->name);
		return 0;
	case T_TIME:
		if (!s || !time_ok(s))
			return err_set(e, ERR_INPUT, "%sfield '%s' must be a time HH:MM", pfx, f->name);
		return 0;
	case T_APP:
	case T_WID:
	case T_HOLD:
		if (!s || !appid_valid(s, f->type == T_APP ? 'A' : f->type == T_WID ? 'W' : 'H'))
			return err_set(e, ERR_INPUT, "%sfield '%s' is not a valid %s id", pfx, f->name,
				       f->type == T_APP ? "application"
				       : f->type == T_WID ? "watchlist entry" : "booking hold");
		return 0;
	case T_PRINCIPAL:
		if (!field_principal_ok(s))
			return err_set(e, ERR_INPUT, "%sfield '%s' must be 'officer:<username>' or "
				       "'cli:<user>'", pfx, f->name);
		return 0;
	case T_BYTES:
		if (!json_is_string(v))
			return err_set(e, ERR_INPUT, "%sfield '%s' is not a string", pfx, f->name);
		if (json_string_length(v) == 0 || json_string_length(v) > (size_t)f->max)
			return err_set(e, ERR_INPUT, "%sfield '%s' must be 1 to %zu bytes", pfx, f->name,
				       (size_t)f->max);
		return 0;
	case T_FN:
		return f->check(pfx, f, v, e);
	case T_HEX64:
		if (!s || !blobs_name_ok(s))
			return err_set(e, ERR_INPUT, "%sfield '%s' must be 64 lower-case hex characters",
				       pfx, f->name);
		return 0;
	case T_BOOKLET:
		if (!s || !booklet_number_valid(s))
			return err_set(e, ERR_INPUT, "%sfield '%s' must be a booklet number "
				       "(a letter and seven digits)", pfx, f->name);
		return 0;
	case T_MRZ:
		if (!s || !schema_chars_in(s, UPPER DIGITS "<", 88, 88))
			return err_set(e, ERR_INPUT, "%sfield '%s' must be 88 MRZ characters",
				       pfx, f->name);
		return 0;
	case T_IDREF:
		if (!s || !idref_ok(s))
			return err_set(e, ERR_INPUT, "%sfield '%s' must be a NIK (16 digits) or "
				       "X-<document type>-<state>-<number>", pfx, f->name);
		return 0;
	case T_EMAIL:
		if (!s || !email_ok(s))
			return err_set(e, ERR_INPUT, "%sfield '%s' is not an e-mail address", pfx,
				       f->name);
		return 0;
	case T_PHONE:
		if (!s || !phone_ok(s))
			return err_set(e, ERR_INPUT, "%sfield '%s' must be a phone number (6 to 15 "
				       "digits, an optional leading +, spaces or dashes)", pfx, f->name);
		return 0;
	case T_CODE:
		if (!s || !schema_chars_in(s, "abcdefghijklmnopqrstuvwxyz" DIGITS "-", 1, (size_t)f->max))
			return err_set(e, ERR_INPUT, "%sfield '%s' must be 1 to %lld of [a-z0-9-]",
				       pfx, f->name, f->max);
		return 0;
	case T_INT_OR_NULL:
		if (json_is_null(v))
			return 0;
		/* fall through */
	case T_INT:
		if (!json_is_integer(v) || json_integer_value(v) < f->min ||
		    json_integer_value(v) > f->max)
			return err_set(e, ERR_INPUT, "%sfield '%s' must be an integer from %lld to %lld",
				       pfx, f->name, f->min, f->max);
		return 0;
	case T_TEXTS:
	case T_WIDS: {
		size_t n = json_array_size(v);
		if (!json_is_array(v) || n < (size_t)f->min || n > (size_t)f->max)
			return err_set(e, ERR_INPUT, "%sfield '%s' must be an array of %lld to %lld "
				       "strings", pfx, f->name, f->min, f->max);
		for (size_t i = 0; i < n; i++) {
			const char *x = json_string_value(json_array_get(v, i));
			int ok = x && (f->type == T_WIDS ? appid_valid(x, 'W')
					: utf8_chars(x) >= 1 && utf8_chars(x) <= 500 &&
					  !has_controls(x, 1));
			if (!ok)
				return err_set(e, ERR_INPUT, "%sitem %zu of '%s' is not %s", pfx, i,
					       f->name, f->type == T_WIDS ? "a watchlist entry id"
					       : "a string of 1 to 500 characters");
		}
		return 0;
	}
	case T_DOCS: {
		if (!json_is_object(v))
			return err_set(e, ERR_INPUT, "%sfield '%s' must be an object", pfx, f->name);
		size_t n = 0;
		for (; schema_doc_names[n]; n++)
			if (check_doc(pfx, schema_doc_names[n], json_object_get(v, schema_doc_names[n]),
				      e) < 0)
				return -1;
		if (json_object_size(v) != n)
			return err_set(e, ERR_INPUT, "%s'documents' allows only identity_card, "
				       "family_card, civil_record and old_passport", pfx);
		return 0;
	}
	case T_STR:
		return api_str_check(pfx, f, v, e);
	case T_CHOICE:
		if (api_str_check(pfx, f, v, e) < 0)
			return -1;
		for (size_t i = 0; f->enums[i]; i++)
			if (strcmp(s, f->enums[i]) == 0)
				return 0;
		return err_set(e, ERR_INPUT, "%sfield '%s' must be %s", pfx, f->name, f->hint);
	case T_INT64:
		if (!json_is_integer(v))
			return err_set(e, ERR_INPUT, "%sfield '%s' must be an integer", pfx, f->name);
		if (json_integer_value(v) < f->min || json_integer_value(v) > f->max)
			return err_set(e, ERR_INPUT, "%sfield '%s' must be %lld to %lld", pfx, f->name,
				       f->min, f->max);
		return 0;
	case T_ARRAY:
		if (!json_is_array(v) || json_array_size(v) < (size_t)f->min ||
		    json_array_size(v) > (size_t)f->max)
			return err_set(e, ERR_INPUT, "%sfield '%s' must be an array of %lld to %lld "
				       "strings", pfx, f->name, f->min, f->max);
		return 0;
	case T_OBJECT:
		if (!json_is_object(v))
			return err_set(e, ERR_INPUT, "%sfield '%s' must be an object%s%s", pfx, f->name,
				       f->hint ? " " : "", f->hint ? f->hint : "");
		return 0;
	case T_BOOL:
		if (!json_is_boolean(v))
			return err_set(e, ERR_INPUT, "%sfield '%s' must be true or false%s", pfx,
				       f->name, f->hint ? f->hint : "");
		return 0;
	case T_ANY:
		return 0;
	}
	return err_set(e, ERR_INTERNAL, "%sfield '%s' has no type", pfx, f->name);
}

/* The value's check, in the row's own words when it has them. */
static int check_field(const char *pfx, const struct field *f, const json_t *v,
		       struct err *e)
{
	if (!f->why)
		return check_value(pfx, f, v, e);
	struct err own = ERR_INIT;
	if (check_value(pfx, f, v, &own) == 0)
		return 0;
	if (own.code != ERR_INPUT)
		return err_set(e, own.code, "%s", own.msg);
	return err_set(e, ERR_INPUT, "%sfield '%s' %s", pfx, f->name, f->why);
}

int schema_unknown_key(const char *key, enum schema_style style, const char *kind,
		       struct err *e)
{
	if (style == SCHEMA_EVENT)
		return err_set(e, ERR_INPUT, "%s: unknown field '%s'", kind ? kind : "", key);
	/* the key is the client's text: named only when it looks like a name */
	size_t n = strlen(key);
	int plain = n > 0 && n <= 32;
	for (size_t i = 0; plain && i < n; i++)
		plain = (key[i] >= 'a' && key[i] <= 'z') || key[i] == '_' ||
			(key[i] >= '0' && key[i] <= '9');
	if (plain)
		return err_set(e, ERR_INPUT, "field '%s' is not allowed here", key);
	return err_set(e, ERR_INPUT, "the body has a field that is not allowed here");
}

static int unknown_keys(const struct schema *s, const json_t *body, enum schema_style style,
			struct err *e)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)body, k, v) {
		size_t i = 0;
		while (i < s->nfields && strcmp(s->fields[i].name, k) != 0)
			i++;
		if (i == s->nfields)
			return schema_unknown_key(k, style, s->kind, e);
	}
	return 0;
}

/* The API reads null as "absent" in its string and integer fields (api_str, api_int). */
static int null_is_absent(enum ftype t)
{
	return t == T_STR || t == T_CHOICE || t == T_INT64 || t == T_ARRAY || t == T_BOOL ||
	       t == T_ANY;
}

int schema_check_as(const struct schema *s, const json_t *body, enum schema_style style,
		    struct err *e)
{
	char pfx[80] = "";
	if (style == SCHEMA_EVENT)
		snprintf(pfx, sizeof pfx, "%s: ", s->kind);
	/* the API refuses an unknown key before it reads any field */
	if (style == SCHEMA_API && unknown_keys(s, body, style, e) < 0)
		return -1;
	if (style == SCHEMA_EVENT && s->exact &&
	    (!json_is_object(body) || json_object_size(body) != s->nfields))
		return err_set(e, ERR_INPUT, "%s%s", pfx, s->unknown);
	size_t present = 0;
	for (size_t i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		const json_t *v = json_object_get(body, f->name);
		if (v)
			present++;
		if (v && style == SCHEMA_API && json_is_null(v) && null_is_absent(f->type))
			v = NULL;
		if (!v) {
			if (f->required && (f->type == T_ARRAY || f->type == T_BOOL))
				return check_field(pfx, f, json_null(), e);
			if (f->required)
				return err_set(e, ERR_INPUT, "%sfield '%s' is missing", pfx, f->name);
			continue;
		}
		if (check_field(pfx, f, v, e) < 0)
			return -1;
	}
	if (style == SCHEMA_EVENT && json_object_size(body) != present) {
		if (s->unknown)
			return err_set(e, ERR_INPUT, "%s%s", pfx, s->unknown);
		if (unknown_keys(s, body, style, e) < 0)
			return -1;
	}
	return s->extra ? s->extra(body, e) : 0;
}

int schema_field_check(const struct field *f, const json_t *v, enum schema_style style,
		       const char *kind, struct err *e)
{
	char pfx[80] = "";
	if (style == SCHEMA_EVENT)
		snprintf(pfx, sizeof pfx, "%s: ", kind ? kind : "");
	return check_field(pfx, f, v, e);
}

int schema_check(const void *ctx, const json_t *body, struct err *e)
{
	return schema_check_as(ctx, body, SCHEMA_EVENT, e);
}
