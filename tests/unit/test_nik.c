/*
 * office/nik: NIK structure and agreement with birth date and sex; identity references
 * for applicants without a NIK.
 *
 * The NIKs here are SYNTHETIC, built by hand from the published structure
 * (PP KK CC DD MM YY SSSS, day + 40 for women) with real region codes: 64.72 is Kota
 * Samarinda (Kalimantan Timur), 73.71 Kota Makassar (Sulawesi Selatan), 31.71 Jakarta
 * Selatan. They belong to no one.
 */
#include <string.h>

#include "harness.h"
#include "office/nik.h"

static enum nik_status check(const char *nik, int y, int m, int d, char sex)
{
	struct cal_date b = { y, m, d };
	return nik_check(nik, strlen(nik), &b, sex, NULL);
}

TEST(nik_valid_male_and_female)
{
	struct nik_info n;
	struct cal_date b = { 1985, 8, 17 };
	/* man born 17 Aug 1985, Samarinda, serial 0001 */
	CHECK_INT_EQ(nik_check("6472011708850001", 16, &b, 'M', &n), NIK_OK);
	CHECK_INT_EQ(n.province, 64);
	CHECK_INT_EQ(n.regency, 72);
	CHECK_INT_EQ(n.district, 1);
	CHECK_INT_EQ(n.day, 17);
	CHECK_INT_EQ(n.female, 0);
	CHECK_INT_EQ(n.serial, 1);
	/* woman born 5 Feb 2001, Makassar: day 05 + 40 = 45 */
	CHECK_INT_EQ(check("7371024502010003", 2001, 2, 5, 'F'), NIK_OK);
	/* woman born 29 Feb 2000 (a leap year): 69 02 00 */
	CHECK_INT_EQ(check("3171016902000001", 2000, 2, 29, 'F'), NIK_OK);
	/* woman born on the 31st: 71 */
	CHECK_INT_EQ(check("3171017112990042", 1999, 12, 31, 'F'), NIK_OK);
	/* new Papua provinces 93-96 (2022) and the other ends of the ranges */
	CHECK_INT_EQ(check("9501010101900001", 1990, 1, 1, 'M'), NIK_OK);
	CHECK_INT_EQ(check("9601010101900001", 1990, 1, 1, 'M'), NIK_OK);
	CHECK_INT_EQ(check("1101010101900001", 1990, 1, 1, 'M'), NIK_OK);
	CHECK_INT_EQ(check("2101010101900001", 1990, 1, 1, 'M'), NIK_OK);
}

TEST(nik_every_failure_reason)
{
	CHECK_INT_EQ(nik_parse("647201170885000", 15, NULL), NIK_LENGTH);
	CHECK_INT_EQ(nik_parse("64720117088500011", 17, NULL), NIK_LENGTH);
	CHECK_INT_EQ(nik_parse(NULL, 0, NULL), NIK_LENGTH);
	CHECK_INT_EQ(nik_parse("64720117O8850001", 16, NULL), NIK_NOT_DIGITS); /* letter O */
	CHECK_INT_EQ(nik_parse("6472011708850 01", 16, NULL), NIK_NOT_DIGITS);
	CHECK_INT_EQ(nik_parse("\xd9\xa6" "47201170885000", 16, NULL), NIK_NOT_DIGITS);
	CHECK_INT_EQ(nik_parse("2072011708850001", 16, NULL), NIK_PROVINCE); /* no 20 */
	CHECK_INT_EQ(nik_parse("1072011708850001", 16, NULL), NIK_PROVINCE);
	CHECK_INT_EQ(nik_parse("3772011708850001", 16, NULL), NIK_PROVINCE);
	CHECK_INT_EQ(nik_parse("9772011708850001", 16, NULL), NIK_PROVINCE);
	CHECK_INT_EQ(nik_parse("0072011708850001", 16, NULL), NIK_PROVINCE);
	CHECK_INT_EQ(nik_parse("6400011708850001", 16, NULL), NIK_REGENCY);
	CHECK_INT_EQ(nik_parse("6472001708850001", 16, NULL), NIK_DISTRICT);
	CHECK_INT_EQ(nik_parse("6472013208850001", 16, NULL), NIK_DATE); /* day 32 */
	CHECK_INT_EQ(nik_parse("6472014008850001", 16, NULL), NIK_DATE); /* 40: 0 + 40 */
	CHECK_INT_EQ(nik_parse("6472017208850001", 16, NULL), NIK_DATE); /* 72: 32 + 40 */
	CHECK_INT_EQ(nik_parse("6472010008850001", 16, NULL), NIK_DATE); /* day 00 */
	CHECK_INT_EQ(nik_parse("6472011713850001", 16, NULL), NIK_DATE); /* month 13 */
	CHECK_INT_EQ(nik_parse("6472013104850001", 16, NULL), NIK_DATE); /* 31 April */
	CHECK_INT_EQ(nik_parse("6472012902010001", 16, NULL), NIK_DATE); /* 29 Feb 1901/2001 */
	CHECK_INT_EQ(nik_parse("6472011708850000", 16, NULL), NIK_SERIAL);
	CHECK_INT_EQ(check("6472011708850001", 1985, 8, 17, 'X'), NIK_SEX_UNKNOWN);
	CHECK_INT_EQ(check("6472011708850001", 1985, 8, 17, 'F'), NIK_SEX_MISMATCH);
	CHECK_INT_EQ(check("7371024502010003", 2001, 2, 5, 'M'), NIK_SEX_MISMATCH);
	CHECK_INT_EQ(check("6472011708850001", 1985, 8, 18, 'M'), NIK_BIRTH_MISMATCH);
	CHECK_INT_EQ(check("6472011708850001", 1985, 9, 17, 'M'), NIK_BIRTH_MISMATCH);
	CHECK_INT_EQ(check("6472011708850001", 1986, 8, 17, 'M'), NIK_BIRTH_MISMATCH);
	/* century from the birth date: 29 Feb 00 exists in 2000, not in 1900 */
	CHECK_INT_EQ(check("3171016902000001", 1900, 2, 29, 'F'), NIK_BIRTH_INVALID);
	CHECK_INT_EQ(check("6472011708850001", 1985, 2, 30, 'M'), NIK_BIRTH_INVALID);
	/* same NIK, a century apart: both agree on DD MM YY */
	CHECK_INT_EQ(check("6472011708850001", 1885, 8, 17, 'M'), NIK_OK);
	/* each reason has its own text */
	for (int a = NIK_OK; a <= NIK_BIRTH_INVALID; a++)
		for (int b = a + 1; b <= NIK_BIRTH_INVALID; b++)
			CHECK(strcmp(nik_status_text(a), nik_status_text(b)) != 0);
	struct err e = ERR_INIT;
	struct cal_date bd = { 1985, 8, 17 };
	CHECK(nik_validate("6472011708850001", 16, &bd, 'F', &e) < 0);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	CHECK(strstr(e.msg, "nik: ") == e.msg);
	CHECK(strstr(e.msg, "sex"));
}

TEST(nik_province_list)
{
	/* Kemendagri province codes: 38 provinces since 2022 */
	int count = 0;
	for (int p = 0; p < 100; p++)
		count += nik_province_known(p);
	CHECK_INT_EQ(count, 38);
}

TEST(nik_identity_reference)
{
	char ref[IDREF_MAX];
	struct err e = ERR_INIT;
	CHECK(nik_identity_ref("pp", "nld", " nx-12 34.56/7 ", ref, &e) == 0);
	CHECK_STR_EQ(ref, "X-PP-NLD-NX1234567");
	CHECK(nik_is_identity_ref(ref));
	CHECK(!nik_is_identity_ref("6472011708850001"));
	CHECK(!nik_is_identity_ref("X-ZZ-NLD-1"));
	CHECK(nik_identity_ref("BC", "MYS", "BC/2019/000123", ref, &e) == 0);
	CHECK_STR_EQ(ref, "X-BC-MYS-BC2019000123");
	/* the same document typed differently gives the same reference */
	char ref2[IDREF_MAX];
	CHECK(nik_identity_ref("Bc", " mys", "bc 2019 000123", ref2, &e) == 0);
	CHECK_STR_EQ(ref2, ref);
	err_clear(&e);
	CHECK(nik_identity_ref("XX", "NLD", "1", ref, &e) < 0);
	CHECK(strstr(e.msg, "document_type"));
	err_clear(&e);
	CHECK(nik_identity_ref("PP", "NL", "1", ref, &e) < 0);
	CHECK(strstr(e.msg, "issuing_country"));
	err_clear(&e);
	CHECK(nik_identity_ref("PP", "N1D", "1", ref, &e) < 0);
	err_clear(&e);
	CHECK(nik_identity_ref("PP", "NLD", "---", ref, &e) < 0);
	CHECK(strstr(e.msg, "document_number"));
	err_clear(&e);
	CHECK(nik_identity_ref("PP", "NLD", "AB#1", ref, &e) < 0);
	err_clear(&e);
	CHECK(nik_identity_ref("PP", "NLD", "1234567890123456789012345", ref, &e) < 0);
	/* never a NIK */
	CHECK(nik_identity_ref("ID", "IDN", "6472011708850001", ref, &e) == 0);
	CHECK(nik_parse(ref, strlen(ref), NULL) != NIK_OK);
}
