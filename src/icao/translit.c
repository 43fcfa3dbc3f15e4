#include "icao/translit.h"

#include <stdint.h>
#include <string.h>

#include <utf8proc.h>

struct special {
	int32_t cp;
	const char *mrz;
};

/*
 * Doc 9303 Part 3 §6, Latin letters that are not "base letter + diacritic" in Unicode
 * or whose MRZ form is not the base letter. Only upper case here: the input is
 * upper-cased first (ß has no single upper-case code point and is listed itself).
 */
static const struct special latin[] = {
	{ 0x00C4, "AE" }, /* Ä */
	{ 0x00C5, "AA" }, /* Å */
	{ 0x00C6, "AE" }, /* Æ */
	{ 0x00D0, "D" },  /* Ð */
	{ 0x00D6, "OE" }, /* Ö */
	{ 0x00D8, "OE" }, /* Ø */
	{ 0x00DC, "UE" }, /* Ü */
	{ 0x00DE, "TH" }, /* Þ */
	{ 0x00DF, "SS" }, /* ß */
	{ 0x1E9E, "SS" }, /* ẞ */
	{ 0x0110, "D" },  /* Đ */
	{ 0x0126, "H" },  /* Ħ */
	{ 0x0131, "I" },  /* ı (no upper case of its own) */
	{ 0x0132, "IJ" }, /* Ĳ */
	{ 0x0138, "K" },  /* ĸ */
	{ 0x013F, "L" },  /* Ŀ */
	{ 0x0141, "L" },  /* Ł */
	{ 0x014A, "N" },  /* Ŋ */
	{ 0x0152, "OE" }, /* Œ */
	{ 0x0166, "T" },  /* Ŧ */
	{ 0x01FE, "OE" }, /* Ǿ (Ø with acute) */
	{ 0x01FC, "AE" }, /* Ǽ */
	{ 0x01E2, "AE" }, /* Ǣ */
};

/* Doc 9303 Part 3 §6, Cyrillic (upper case; the input is upper-cased first). */
static const struct special cyrillic[] = {
	{ 0x0410, "A" },  { 0x0411, "B" },  { 0x0412, "V" },    { 0x0413, "G" },
	{ 0x0414, "D" },  { 0x0415, "E" },  { 0x0416, "ZH" },   { 0x0417, "Z" },
	{ 0x0418, "I" },  { 0x0419, "I" },  { 0x041A, "K" },    { 0x041B, "L" },
	{ 0x041C, "M" },  { 0x041D, "N" },  { 0x041E, "O" },    { 0x041F, "P" },
	{ 0x0420, "R" },  { 0x0421, "S" },  { 0x0422, "T" },    { 0x0423, "U" },
	{ 0x0424, "F" },  { 0x0425, "KH" }, { 0x0426, "TS" },   { 0x0427, "CH" },
	{ 0x0428, "SH" }, { 0x0429, "SHCH" }, { 0x042A, "IE" }, { 0x042B, "Y" },
	{ 0x042C, "" },   { 0x042D, "E" },  { 0x042E, "IU" },   { 0x042F, "IA" },
	{ 0x0401, "E" },  /* Ё */
	{ 0x0402, "D" },  /* Ђ */
	{ 0x0403, "G" },  /* Ѓ */
	{ 0x0404, "IE" }, /* Є */
	{ 0x0405, "DZ" }, /* Ѕ */
	{ 0x0406, "I" },  /* І */
	{ 0x0407, "I" },  /* Ї */
	{ 0x0408, "J" },  /* Ј */
	{ 0x0409, "LJ" }, /* Љ */
	{ 0x040A, "NJ" }, /* Њ */
	{ 0x040B, "C" },  /* Ћ */
	{ 0x040C, "K" },  /* Ќ */
	{ 0x040E, "U" },  /* Ў */
	{ 0x040F, "DZ" }, /* Џ */
	{ 0x0490, "G" },  /* Ґ */
};

static const char *lookup(const struct special *t, size_t n, int32_t cp)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].cp == cp)
			return t[i].mrz;
	return NULL;
}

static const char *special_for(int32_t cp)
{
	const char *s = lookup(latin, sizeof latin / sizeof latin[0], cp);
	if (!s && cp >= 0x0400 && cp <= 0x04FF)
		s = lookup(cyrillic, sizeof cyrillic / sizeof cyrillic[0], cp);
	return s;
}

static int is_separator(int32_t cp)
{
	return cp == ' ' || cp == '-' || cp == 0x00A0 /* no-break space */ ||
	       cp == 0x2010 || cp == 0x2011 || cp == 0x2012 || cp == 0x2013 ||
	       cp == 0x2014 || cp == 0x2212 || cp == '\t';
}

static int is_omitted(int32_t cp)
{
	return cp == '\'' || cp == 0x2019 || cp == 0x2018 || cp == 0x02BC || cp == 0x02BB ||
	       cp == '`' || cp == 0x00B4 || cp == '.' || cp == ',';
}

struct out {
	char *p;
	size_t sz, len;
	char umlaut_base; /* 'A', 'O', 'U' just written from a Latin base letter, else 0 */
	int overflow;
};

static void put(struct out *o, char c)
{
	if (c == '<') {
		/* no leading filler, no runs */
		if (o->len == 0 || o->p[o->len - 1] == '<')
			return;
	}
	if (o->len + 1 >= o->sz) {
		o->overflow = 1;
		return;
	}
	o->p[o->len++] = c;
}

static void puts_mrz(struct out *o, const char *s)
{
	for (; *s; s++)
		put(o, *s);
}

/* One code point that is already decomposed (or has no decomposition). */
static int emit_one(struct out *o, int32_t cp)
{
	if (cp >= 'a' && cp <= 'z')
		cp -= 'a' - 'A';
	if (cp >= 'A' && cp <= 'Z') {
		put(o, (char)cp);
		o->umlaut_base = (cp == 'A' || cp == 'O' || cp == 'U') ? (char)cp : 0;
		return 0;
	}
	if (utf8proc_category(cp) == UTF8PROC_CATEGORY_MN) {
		/* a combining mark: dropped, except the German and Nordic letters the table
		 * spells out (Ä Ö Ü Å written decomposed) */
		if (cp == 0x0308 && o->umlaut_base) {
			put(o, 'E');
			o->umlaut_base = 0;
		} else if (cp == 0x030A && o->umlaut_base == 'A') {
			put(o, 'A');
			o->umlaut_base = 0;
		}
		return 0;
	}
	o->umlaut_base = 0;
	const char *s = special_for(cp);
	if (s) {
		puts_mrz(o, s);
		return 0;
	}
	if (is_separator(cp)) {
		put(o, '<');
		return 0;
	}
	if (is_omitted(cp))
		return 0;
	return -1;
}

static int emit(struct out *o, int32_t cp)
{
	int32_t up = utf8proc_toupper(cp);
	const char *s = special_for(up);
	if (s) {
		o->umlaut_base = 0;
		puts_mrz(o, s);
		return 0;
	}
	if (up < 0x80 || utf8proc_category(up) == UTF8PROC_CATEGORY_MN)
		return emit_one(o, up);
	utf8proc_int32_t d[32];
	int boundclass = UTF8PROC_BOUNDCLASS_START;
	utf8proc_ssize_t n = utf8proc_decompose_char(up, d, 32,
		(utf8proc_option_t)(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT), &boundclass);
	if (n < 1 || n > 32)
		return -1;
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		int32_t c = d[i];
		if (c >= 0x80 && utf8proc_category(c) != UTF8PROC_CATEGORY_MN) {
			int32_t cu = utf8proc_toupper(c);
			if (special_for(cu)) {
				o->umlaut_base = 0;
				puts_mrz(o, special_for(cu));
				continue;
			}
		}
		if (emit_one(o, c) != 0)
			return -1;
	}
	return 0;
}

int translit_name(const char *utf8, const char *field, char *out, size_t outsz, struct err *e)
{
	if (outsz == 0)
		return err_set(e, ERR_INTERNAL, "%s: no room for the transliteration", field);
	struct out o = { out, outsz, 0, 0, 0 };
	const uint8_t *s = (const uint8_t *)utf8;
	size_t n = strlen(utf8);
	size_t at = 0;
	while (at < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(s + at, (utf8proc_ssize_t)(n - at), &cp);
		if (k < 1)
			return err_set(e, ERR_INPUT, "%s: invalid UTF-8 at byte %zu", field, at);
		if (emit(&o, cp) != 0) {
			if (cp >= '0' && cp <= '9')
				return err_set(e, ERR_INPUT, "%s: digits are not allowed in names",
					       field);
			if (cp >= 0x20 && cp < 0x7F)
				return err_set(e, ERR_INPUT, "%s: cannot transliterate '%c'",
					       field, (char)cp);
			if (cp < 0x20 || cp == 0x7F)
				return err_set(e, ERR_INPUT,
					       "%s: control character U+%04X in name", field,
					       (unsigned)cp);
			return err_set(e, ERR_INPUT, "%s: cannot transliterate '%.*s' (U+%04X)",
				       field, (int)k, (const char *)(s + at), (unsigned)cp);
		}
		if (o.overflow)
			return err_set(e, ERR_INPUT, "%s: name too long", field);
		at += (size_t)k;
	}
	while (o.len > 0 && out[o.len - 1] == '<')
		o.len--;
	out[o.len] = '\0';
	return (int)o.len;
}
