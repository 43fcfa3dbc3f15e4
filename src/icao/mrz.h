/*
 * mrz — machine readable zones of ICAO Doc 9303: making the TD3 (passport) MRZ from a
 * document description, and checking any TD1 (3×30), TD2 (2×36) or TD3 (2×44) MRZ.
 *
 * Making (Doc 9303 Part 3 §4.6 names, §4.9 check digits, §6 transliteration; Part 4
 * §4.2 TD3 layout and name truncation):
 *
 *   struct mrz_doc d;
 *   if (mrz_doc_from_json(obj, &d, &e) == 0 && mrz_make_td3(&d, out, &e) == 0)
 *           ... out holds the two 44-character lines, 88 chars + NUL, no newline
 *
 * A struct mrz_doc holds copies of its fields in fixed arrays (no pointers, nothing to
 * free); names are UTF-8 as written on the person's documents and are transliterated by
 * mrz_make_td3 (see icao/translit.h). Dates are "YYYY-MM-DD"; a birth date may have an
 * unknown day ("1974-08-XX"), unknown day and month ("1974-XX-XX") or be wholly unknown
 * ("XXXX-XX-XX"): the unknown parts become filler characters '<' in the MRZ, as Doc 9303
 * Part 3 allows. mrz_make_td3 validates every field and fails with ERR_INPUT and a
 * message starting with the field name ("sex: ...", "birth_date: ...") — it never
 * produces an MRZ from a field it cannot represent exactly. The make path allocates no
 * memory.
 *
 * Checking: mrz_parse reads the text (lines separated by "\n" or "\r\n", trailing blank
 * lines ignored). Text that is not an MRZ at all — wrong number of lines, wrong line
 * lengths, characters other than A-Z 0-9 '<' — fails with -1 and ERR_INPUT. Otherwise
 * it returns 0 with every field split out and every problem found (bad check digit,
 * impossible date, unknown sex code...) listed in p->problems, each naming its field;
 * the MRZ is valid when p->nproblems == 0. A struct mrz_parsed owns nothing either.
 *
 * Document codes: since the 2026 amendment an ordinary passport is "PP"; "P<" (and "P"
 * on input, meaning "P<") remain accepted.
 */
#ifndef PASPOR_ICAO_MRZ_H
#define PASPOR_ICAO_MRZ_H

#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

#define MRZ_NAME_MAX 255 /* bytes of UTF-8 in a name field of struct mrz_doc */
#define MRZ_TD3_LEN 44
#define MRZ_TD3_NAME_LEN 39

struct mrz_doc {
	char document_code[3];   /* "PP", "P<" (input "P" is stored as "P<") */
	char issuing_state[4];   /* "IDN"; "D" is stored as "D<<" */
	char surname[MRZ_NAME_MAX + 1];     /* primary identifier, UTF-8, non-empty */
	char given_names[MRZ_NAME_MAX + 1]; /* secondary identifier, UTF-8, may be empty */
	char document_number[10];           /* 1-9 of A-Z 0-9 */
	char nationality[4];
	char birth_date[11];     /* "YYYY-MM-DD", unknown parts as "XX"/"XXXX" */
	char sex;                /* 'F', 'M' or 'X' */
	char expiry_date[11];    /* "YYYY-MM-DD" */
	char optional_data[15];  /* 0-14 of A-Z 0-9 '<' */
};

/*
 * Fills d from a JSON object with the keys document_code, issuing_state, surname,
 * given_names (optional, default ""), document_number, nationality, birth_date, sex,
 * expiry_date, optional_data (optional). Every value must be a string; an unknown key,
 * a missing key, a wrong type or a value too long for its field is an ERR_INPUT error
 * naming the key. Field contents are validated by mrz_make_td3.
 */
int mrz_doc_from_json(const json_t *obj, struct mrz_doc *d, struct err *e);

/*
 * Writes the TD3 MRZ of d into out: line 1 (44 chars) immediately followed by line 2
 * (44 chars) and a NUL. Returns 0, or -1 with ERR_INPUT naming the field at fault.
 */
int mrz_make_td3(const struct mrz_doc *d, char out[2 * MRZ_TD3_LEN + 1], struct err *e);

/*
 * Writes the 39-character TD3 name field for the given UTF-8 names: transliteration,
 * primary<<secondary, fillers, and truncation when too long (a truncated field always
 * ends in a letter). field_len is the name field length (39 for TD3, 30 for TD1, 31 for
 * TD2); out must hold field_len + 1 bytes. *truncated tells whether it was cut (may be
 * NULL).
 */
int mrz_name_field(const char *surname, const char *given_names, size_t field_len,
		   char *out, int *truncated, struct err *e);

/*
 * The Doc 9303 Part 3 §4.9 check digit of s[0..n): weights 7, 3, 1 repeating; digits
 * count as their value, A-Z as 10-35, '<' as 0. Returns 0-9, or -1 if s holds another
 * character.
 */
int mrz_check_digit(const char *s, size_t n);

enum mrz_format { MRZ_FORMAT_NONE = 0, MRZ_FORMAT_TD1, MRZ_FORMAT_TD2, MRZ_FORMAT_TD3 };

/* Which check digit a struct mrz_check is about. */
enum mrz_check_kind {
	MRZ_CD_DOCUMENT_NUMBER,
	MRZ_CD_BIRTH_DATE,
	MRZ_CD_EXPIRY_DATE,
	MRZ_CD_OPTIONAL_DATA, /* TD3 only: the personal number / optional data */
	MRZ_CD_COMPOSITE,
	MRZ_CD_COUNT
};

struct mrz_check {
	int present;   /* this format has this check digit */
	char found;    /* the character in the MRZ */
	char expected; /* the digit computed, '?' if the field holds invalid characters */
	int valid;
};

struct mrz_problem {
	char field[32];    /* "document_number", "birth_date_check_digit", ... */
	char message[160];
};

#define MRZ_MAX_PROBLEMS 24

struct mrz_parsed {
	enum mrz_format format;
	int nlines;
	char lines[3][45];
	/* The fields as in the MRZ, fillers kept, NUL-terminated. */
	char document_code[3];
	char issuing_state[4];
	char name_field[40];
	char document_number[32]; /* TD1: up to 22 characters with the long-number rule */
	char nationality[4];
	char birth_date[7];       /* YYMMDD, '<' for unknown parts */
	char sex;                 /* 'F', 'M' or '<' */
	char expiry_date[7];
	char optional_data[32];   /* TD3: personal number; TD1: line 1 optional data */
	char optional_data_2[12]; /* TD1: line 2 optional data */
	/* Names with fillers turned into spaces: "ANNA MARIA". */
	char surname[40];
	char given_names[40];
	int name_possibly_truncated; /* the name field ends in a letter */
	struct mrz_check checks[MRZ_CD_COUNT];
	struct mrz_problem problems[MRZ_MAX_PROBLEMS];
	int nproblems;
};

/*
 * Parses and checks an MRZ. Returns 0 when the text has the shape of a TD1/TD2/TD3 MRZ
 * (p filled; p->nproblems == 0 means every field and check digit is valid), -1 with
 * ERR_INPUT when it does not (e says why: line count, line lengths, a bad character
 * and where).
 */
int mrz_parse(const char *text, struct mrz_parsed *p, struct err *e);

/* "TD1", "TD2", "TD3" or "none". */
const char *mrz_format_name(enum mrz_format f);
/* "document_number", "birth_date", "expiry_date", "optional_data", "composite". */
const char *mrz_check_name(enum mrz_check_kind k);

#endif
