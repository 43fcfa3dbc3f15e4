/*
 * nik — Indonesian national identity numbers (NIK) and the identity reference used for
 * applicants who have none (docs/BOOKING.md).
 *
 * A NIK is 16 ASCII digits, PP KK CC DD MM YY SSSS:
 *   PP    province code (Kemendagri): 11–19, 21, 31–36, 51–53, 61–65, 71–76, 81–82,
 *         91–92 and the Papua provinces made in 2022, 93–96
 *   KK    regency/city code within the province, 01–99 (00 is not a code)
 *   CC    district (kecamatan) code, 01–99
 *   DD    day of birth, plus 40 for women (01–31 or 41–71)
 *   MM    month of birth, 01–12
 *   YY    the last two digits of the year of birth
 *   SSSS  serial, 0001–9999
 *
 * nik_parse checks the structure alone (the date must exist in 19YY or 20YY);
 * nik_check also checks it against the birth date and sex the applicant gave: the
 * century comes from that date, so 29 February needs a leap year then.
 *
 * Identity references (applicants born abroad without a NIK, at a consular post):
 *   "X-" TYPE "-" COUNTRY "-" NUMBER
 * TYPE is one of PP (foreign passport), ID (foreign identity card), RP (residence
 * permit), BC (birth certificate), CB (consular birth report); COUNTRY an ICAO 9303 /
 * ISO 3166-1 alpha-3 code (three letters, upper-cased); NUMBER the document number
 * upper-cased with spaces, '-', '/' and '.' removed, 1 to 24 letters and digits. The
 * "X-" prefix makes it impossible to confuse with a NIK (16 digits). The booking module
 * keys "one active booking per person" on the NIK or this reference alike.
 *
 * Nothing here allocates. The status enums are stable (API error types use them).
 */
#ifndef PASPOR_OFFICE_NIK_H
#define PASPOR_OFFICE_NIK_H

#include <stddef.h>

#include "office/calendar.h"
#include "util/err.h"

#define NIK_LEN 16

enum nik_status {
	NIK_OK = 0,
	NIK_LENGTH,         /* not 16 characters */
	NIK_NOT_DIGITS,     /* a character other than 0-9 */
	NIK_PROVINCE,       /* PP is not a province code */
	NIK_REGENCY,        /* KK is 00 */
	NIK_DISTRICT,       /* CC is 00 */
	NIK_DATE,           /* DD/MM/YY is no date (day 32–40, 72+, month 13, 31 April…) */
	NIK_SERIAL,         /* SSSS is 0000 */
	NIK_SEX_UNKNOWN,    /* the given sex is neither M nor F */
	NIK_SEX_MISMATCH,   /* DD says female (+40) and sex M, or the other way */
	NIK_BIRTH_MISMATCH, /* day, month or year differ from the given birth date */
	NIK_BIRTH_INVALID,  /* the given birth date is itself no date */
};

struct nik_info {
	int province, regency, district;
	int day, month, yy; /* day without the +40 */
	int female;
	int serial;
};

/* A short reason, lower case ("province code 20 does not exist" style is in err). */
const char *nik_status_text(enum nik_status s);

/* 1 when province code pp (0..99) is in the list above. */
int nik_province_known(int pp);

/* Structure only. s has len bytes (need not be NUL-terminated); info may be NULL. */
enum nik_status nik_parse(const char *s, size_t len, struct nik_info *info);

/* Structure, then agreement with birth (a full date) and sex ('M' or 'F'). */
enum nik_status nik_check(const char *s, size_t len, const struct cal_date *birth,
			  char sex, struct nik_info *info);

/* As nik_check; on failure e gets "nik: <reason>" (ERR_INPUT) and -1 is returned. */
int nik_validate(const char *s, size_t len, const struct cal_date *birth, char sex,
		 struct err *e);

#define IDREF_MAX 40 /* "X-PP-IDN-" + 24 + NUL fits */

/*
 * Normalises an identity reference for an applicant without a NIK into out (room for
 * IDREF_MAX bytes). doc_type, country and number as the applicant typed them (case and
 * separators are forgiven). -1 with e (ERR_INPUT, naming the field) when invalid.
 */
int nik_identity_ref(const char *doc_type, const char *country, const char *number,
		     char out[IDREF_MAX], struct err *e);

/* 1 when s is a normalised identity reference as made above. */
int nik_is_identity_ref(const char *s);

#endif
