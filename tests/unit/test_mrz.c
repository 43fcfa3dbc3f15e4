/*
 * MRZ (icao/mrz, icao/translit). Known answers come from ICAO Doc 9303:
 *  - the TD3 specimen of Part 4 Appendix A / Part 3 §4.9 (Anna Maria Eriksson, Utopia),
 *  - the TD1 specimen of Part 5 and the TD2 specimen of Part 6,
 *  - the name examples of Part 4 §4.2.3 ("Examples of names of the holder in the MRZ",
 *    usual representation, hyphen, apostrophe, multiple components, no secondary
 *    identifier, truncated secondary and primary identifiers, names that just fit);
 *    the same examples appear in Part 7 §4.2.3 with "V<UTO" instead of "P<UTO".
 */
#include "harness.h"
#include "icao/mrz.h"
#include "icao/translit.h"

#define SPECIMEN_L1 "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
#define SPECIMEN_L2 "L898902C36UTO7408122F1204159ZE184226B<<<<<10"

static void specimen_doc(struct mrz_doc *d, const char *code)
{
	memset(d, 0, sizeof *d);
	snprintf(d->document_code, sizeof d->document_code, "%s", code);
	strcpy(d->issuing_state, "UTO");
	strcpy(d->surname, "ERIKSSON");
	strcpy(d->given_names, "ANNA MARIA");
	strcpy(d->document_number, "L898902C3");
	strcpy(d->nationality, "UTO");
	strcpy(d->birth_date, "1974-08-12");
	d->sex = 'F';
	strcpy(d->expiry_date, "2012-04-15");
	strcpy(d->optional_data, "ZE184226B");
}

/* Makes the MRZ of d; returns NULL (and fills e) on error. */
static const char *make(const struct mrz_doc *d, struct err *e)
{
	static char out[2 * MRZ_TD3_LEN + 1];
	err_clear(e);
	return mrz_make_td3(d, out, e) == 0 ? out : NULL;
}

/* Makes the name field (39) for surname/given. */
static const char *name39(const char *surname, const char *given)
{
	static char out[MRZ_TD3_NAME_LEN + 1];
	static struct err e;
	err_clear(&e);
	if (mrz_name_field(surname, given, MRZ_TD3_NAME_LEN, out, NULL, &e) != 0)
		return e.msg;
	return out;
}

TEST(mrz_check_digit_specimen_values)
{
	/* Doc 9303 Part 3 §4.9 worked examples and the specimen's fields */
	CHECK_INT_EQ(mrz_check_digit("L898902C3", 9), 6);
	CHECK_INT_EQ(mrz_check_digit("740812", 6), 2);
	CHECK_INT_EQ(mrz_check_digit("120415", 6), 9);
	CHECK_INT_EQ(mrz_check_digit("ZE184226B<<<<<", 14), 1);
	CHECK_INT_EQ(mrz_check_digit("520727", 6), 3); /* Part 3 §4.9 example */
	CHECK_INT_EQ(mrz_check_digit("D23145890", 9), 7);
	CHECK_INT_EQ(mrz_check_digit("<<<<<<", 6), 0);
	CHECK_INT_EQ(mrz_check_digit("ab", 2), -1);
	CHECK_INT_EQ(mrz_check_digit("A-1", 3), -1);
}

TEST(mrz_make_specimen_exactly)
{
	struct mrz_doc d;
	struct err e = ERR_INIT;
	specimen_doc(&d, "P<");
	const char *m = make(&d, &e);
	CHECK(m != NULL);
	CHECK_STR_EQ(m, SPECIMEN_L1 SPECIMEN_L2);
	/* "P" alone means "P<" */
	specimen_doc(&d, "P");
	m = make(&d, &e);
	CHECK(m != NULL);
	CHECK_STR_EQ(m, SPECIMEN_L1 SPECIMEN_L2);
}

TEST(mrz_make_specimen_with_pp_code)
{
	struct mrz_doc d;
	struct err e = ERR_INIT;
	specimen_doc(&d, "PP");
	const char *m = make(&d, &e);
	CHECK(m != NULL);
	CHECK_MEM_EQ(m, "PPUTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", 44);
	/* the document code is not in any check digit: line 2 is the specimen's */
	CHECK_STR_EQ(m + 44, SPECIMEN_L2);
	struct mrz_parsed p;
	char text[100];
	snprintf(text, sizeof text, "%.44s\n%.44s\n", m, m + 44);
	CHECK(mrz_parse(text, &p, &e) == 0);
	CHECK_INT_EQ(p.nproblems, 0);
	CHECK_STR_EQ(p.document_code, "PP");
}

TEST(mrz_doc_from_json_specimen_and_errors)
{
	json_error_t je;
	json_t *o = json_loads("{\"document_code\":\"P\",\"issuing_state\":\"UTO\","
		"\"surname\":\"Eriksson\",\"given_names\":\"Anna María\",\"document_number\":"
		"\"L898902C3\",\"nationality\":\"UTO\",\"birth_date\":\"1974-08-12\",\"sex\":\"F\","
		"\"expiry_date\":\"2012-04-15\",\"optional_data\":\"ZE184226B\"}", 0, &je);
	CHECK(o != NULL);
	struct mrz_doc d;
	struct err e = ERR_INIT;
	CHECK(mrz_doc_from_json(o, &d, &e) == 0);
	json_decref(o);
	CHECK_STR_EQ(d.document_code, "P<");
	const char *m = make(&d, &e);
	CHECK(m != NULL);
	CHECK_STR_EQ(m, SPECIMEN_L1 SPECIMEN_L2);

	static const struct { const char *json, *want; } bad[] = {
		{ "{\"document_code\":\"PP\",\"colour\":\"red\"}", "unknown key 'colour'" },
		{ "{\"document_code\":1}", "document_code: must be a string" },
		{ "{\"sex\":\"FM\"}", "sex: 'FM' must be F, M or X" },
		{ "{\"document_number\":\"ABCDEFGHIJ\"}", "document_number: 10 characters" },
		{ "{\"document_code\":\"PP\"}", "issuing_state: missing" },
		{ "[]", "document: must be a JSON object" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		o = json_loads(bad[i].json, 0, &je);
		CHECK(o != NULL);
		err_clear(&e);
		int rc = mrz_doc_from_json(o, &d, &e);
		json_decref(o);
		CHECK(rc == -1);
		if (strncmp(e.msg, bad[i].want, strlen(bad[i].want)) != 0)
			test_fail(__FILE__, __LINE__, "got '%s', want '%s'", e.msg, bad[i].want);
		CHECK(e.code == ERR_INPUT);
	}
}

TEST(mrz_make_rejects_bad_fields_naming_them)
{
	static const struct {
		const char *field, *value, *want;
	} bad[] = {
		{ "birth_date", "2023-02-30", "birth_date:" },
		{ "birth_date", "1974-13-01", "birth_date:" },
		{ "birth_date", "1974-XX-12", "birth_date:" },
		{ "birth_date", "74-08-12", "birth_date:" },
		{ "expiry_date", "2034-08-XX", "expiry_date:" },
		{ "expiry_date", "1970-01-01", "expiry_date:" }, /* before birth */
		{ "sex", "Q", "sex:" },
		{ "document_code", "V<", "document_code:" },
		{ "document_code", "ID", "document_code:" },
		{ "issuing_state", "U1O", "issuing_state:" },
		{ "nationality", "", "nationality:" },
		{ "document_number", "L898-02C3", "document_number:" },
		{ "document_number", "", "document_number:" },
		{ "document_number", "l898902c3", "document_number:" },
		{ "optional_data", "ZE 184", "optional_data:" },
		{ "surname", "", "surname:" },
		{ "surname", "---", "surname:" },
		{ "surname", "R2D2", "surname:" },
		{ "surname", "Σωκράτης", "surname:" },
		{ "surname", "\xC3\x28", "surname:" }, /* invalid UTF-8 */
		{ "given_names", "Anna @", "given_names:" },
		{ "given_names", "'", "given_names:" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct mrz_doc d;
		struct err e = ERR_INIT;
		specimen_doc(&d, "PP");
		if (!strcmp(bad[i].field, "birth_date"))
			strcpy(d.birth_date, bad[i].value);
		else if (!strcmp(bad[i].field, "expiry_date"))
			strcpy(d.expiry_date, bad[i].value);
		else if (!strcmp(bad[i].field, "sex"))
			d.sex = bad[i].value[0];
		else if (!strcmp(bad[i].field, "document_code"))
			strcpy(d.document_code, bad[i].value);
		else if (!strcmp(bad[i].field, "issuing_state"))
			strcpy(d.issuing_state, bad[i].value);
		else if (!strcmp(bad[i].field, "nationality"))
			strcpy(d.nationality, bad[i].value);
		else if (!strcmp(bad[i].field, "document_number"))
			strcpy(d.document_number, bad[i].value);
		else if (!strcmp(bad[i].field, "optional_data"))
			strcpy(d.optional_data, bad[i].value);
		else if (!strcmp(bad[i].field, "surname"))
			strcpy(d.surname, bad[i].value);
		else
			strcpy(d.given_names, bad[i].value);
		if (make(&d, &e) != NULL) {
			test_fail(__FILE__, __LINE__, "%s '%s' was accepted", bad[i].field,
				  bad[i].value);
			return;
		}
		if (strncmp(e.msg, bad[i].want, strlen(bad[i].want)) != 0 || e.code != ERR_INPUT) {
			test_fail(__FILE__, __LINE__, "%s '%s': message '%s'", bad[i].field,
				  bad[i].value, e.msg);
			return;
		}
	}
}

TEST(mrz_make_unknown_birth_date_parts_and_sex_x)
{
	struct mrz_doc d;
	struct err e = ERR_INIT;
	specimen_doc(&d, "PP");
	strcpy(d.birth_date, "1974-08-XX");
	d.sex = 'X';
	const char *m = make(&d, &e);
	CHECK(m != NULL);
	CHECK_MEM_EQ(m + 44 + 13, "7408<<", 6);
	CHECK_INT_EQ(m[44 + 19], '0' + mrz_check_digit("7408<<", 6));
	CHECK_INT_EQ(m[44 + 20], '<');
	strcpy(d.birth_date, "1974-XX-XX");
	m = make(&d, &e);
	CHECK(m != NULL);
	CHECK_MEM_EQ(m + 44 + 13, "74<<<<", 6);
	strcpy(d.birth_date, "XXXX-XX-XX");
	m = make(&d, &e);
	CHECK(m != NULL);
	CHECK_MEM_EQ(m + 44 + 13, "<<<<<<0", 7);
	/* 29 February only in leap years */
	strcpy(d.birth_date, "2000-02-29");
	CHECK(make(&d, &e) != NULL);
	strcpy(d.birth_date, "1900-02-29");
	CHECK(make(&d, &e) == NULL);
	/* empty optional data: fillers and check digit 0 */
	specimen_doc(&d, "PP");
	d.optional_data[0] = '\0';
	m = make(&d, &e);
	CHECK(m != NULL);
	CHECK_MEM_EQ(m + 44 + 28, "<<<<<<<<<<<<<<0", 15);
}

TEST(mrz_names_doc9303_part4_examples)
{
	/* Doc 9303 Part 4 §4.2.3 a)-f): usual, central primary, hyphen, apostrophe,
	 * multiple components, no secondary identifier */
	CHECK_STR_EQ(name39("Eriksson", "Anna Maria"), "ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<");
	CHECK_STR_EQ(name39("Heng", "Deborah Ming Lo"), "HENG<<DEBORAH<MING<LO<<<<<<<<<<<<<<<<<<");
	CHECK_STR_EQ(name39("Smith-Jones", "Susie Margaret"),
		     "SMITH<JONES<<SUSIE<MARGARET<<<<<<<<<<<<");
	CHECK_STR_EQ(name39("O'Connor", "Enya Siobhan"), "OCONNOR<<ENYA<SIOBHAN<<<<<<<<<<<<<<<<<<");
	CHECK_STR_EQ(name39("Van Der Muellen", "Martin"),
		     "VAN<DER<MUELLEN<<MARTIN<<<<<<<<<<<<<<<<");
	CHECK_STR_EQ(name39("Arkfreith", ""), "ARKFREITH<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<");
}

TEST(mrz_names_doc9303_part4_truncation)
{
	int truncated = 0;
	char out[MRZ_TD3_NAME_LEN + 1];
	struct err e = ERR_INIT;
	/* §4.2.3.1 a): secondary identifier, the last component cut to an initial */
	CHECK(mrz_name_field("Nilavadhanananda", "Chayapa Dejthamrong Krasuang", 39, out,
			     &truncated, &e) == 0);
	CHECK_STR_EQ(out, "NILAVADHANANANDA<<CHAYAPA<DEJTHAMRONG<K");
	CHECK(truncated);
	/* §4.2.3.1 b): secondary identifier cut character by character */
	CHECK_STR_EQ(name39("Nilavadhanananda", "Arnpol Petch Charonguang"),
		     "NILAVADHANANANDA<<ARNPOL<PETCH<CHARONGU");
	/* §4.2.3.2 a): primary identifier truncated, two letters of the secondary kept */
	CHECK_STR_EQ(name39("Bennelong Wooloomooloo Warrandyte Warnambool", "Dingo Potoroo"),
		     "BENNELONG<WOOLOOMOOLOO<WARRANDYTE<W<<DI");
	/* §4.2.3.3: a name that just fits is not truncated, though it ends in a letter */
	CHECK(mrz_name_field("Papandropoulous", "Jonathon Warren Trevor", 39, out, &truncated,
			     &e) == 0);
	CHECK_STR_EQ(out, "PAPANDROPOULOUS<<JONATHON<WARREN<TREVOR");
	CHECK(!truncated);
	/* the TD1 specimen's 30-character field (Part 5): CHAYAPA<DE... ends in a letter */
	CHECK(mrz_name_field("Nilavadhanananda", "Chayapa Dejthamrong Krasuang", 30, out,
			     &truncated, &e) == 0);
	CHECK_INT_EQ(strlen(out), 30);
	CHECK(out[29] != '<');
}

TEST(mrz_names_truncation_never_ends_in_filler)
{
	/* the cut falls on the space after ANNA: a letter must still end the field */
	char out[MRZ_TD3_NAME_LEN + 1];
	struct err e = ERR_INIT;
	int truncated;
	/* 32 + 2 + "ANNA" = 38, then the filler before MARIA at 39 */
	CHECK(mrz_name_field("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF", "Anna Maria", 39, out,
			     &truncated, &e) == 0);
	CHECK(truncated);
	CHECK_STR_EQ(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF<<ANN<M");
	/* a very long single name (common in Indonesia) */
	CHECK(mrz_name_field("Sri Wahyuningsih Kusumawardhani Purbaningrum", "", 39, out,
			     &truncated, &e) == 0);
	CHECK(truncated);
	CHECK_INT_EQ(strlen(out), 39);
	CHECK(out[38] != '<');
	/* every cut position of a long name ends in a letter and has no "<<<" */
	for (int extra = 0; extra < 40; extra++) {
		char given[200] = "";
		for (int k = 0; k <= extra; k++)
			strcat(given, k % 3 ? "Ab " : "C ");
		err_clear(&e);
		CHECK(mrz_name_field("Surname", given, 39, out, &truncated, &e) == 0);
		CHECK_INT_EQ(strlen(out), 39);
		if (truncated && out[38] == '<')
			test_fail(__FILE__, __LINE__, "truncated field ends in filler: %s", out);
		CHECK(strstr(out + 9, "<<") == NULL || !truncated);
	}
}

TEST(mrz_transliteration_doc9303_part3_table)
{
	static const struct { const char *in, *want; } t[] = {
		{ "Müller", "MUELLER" },           { "Ärzte Öl", "AERZTE<OEL" },
		{ "Ångström", "AANGSTROEM" },      { "Æsir Ørsted", "AESIR<OERSTED" },
		{ "Straße", "STRASSE" },           { "Þór", "THOR" },
		{ "Ĳsbrand", "IJSBRAND" },         { "Œdipe", "OEDIPE" },
		{ "Ðorđe", "DORDE" },              { "Łukasz", "LUKASZ" },
		{ "José Ramón", "JOSE<RAMON" },    { "Çelik", "CELIK" },
		{ "Nguyễn", "NGUYEN" },            { "Dvořák", "DVORAK" },
		{ "Ștefan", "STEFAN" },            { "Å", "AA" },
		{ "Mu\xCC\x88ller", "MUELLER" },   /* decomposed: u + U+0308 */
		{ "A\xCC\x8A" "se", "AASE" },       /* decomposed Å */
		{ "d'Artagnan", "DARTAGNAN" },     { "O\xE2\x80\x99" "Brien", "OBRIEN" },
		{ "Smith - Jones", "SMITH<JONES" }, { "  Anna  ", "ANNA" },
		{ "Jr.", "JR" },                   { "Ivanov, Ivan", "IVANOV<IVAN" },
		{ "Горбачёв", "GORBACHEV" },       { "Щукин", "SHCHUKIN" },
		{ "Юлия", "IULIIA" },              { "Хрущёв", "KHRUSHCHEV" },
		{ "Цой", "TSOI" },                 { "Объедков", "OBIEEDKOV" },
		{ "Игорь", "IGOR" },               { "Љубица", "LJUBITSA" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char out[256];
		struct err e = ERR_INIT;
		int n = translit_name(t[i].in, "surname", out, sizeof out, &e);
		if (n < 0 || strcmp(out, t[i].want) != 0) {
			test_fail(__FILE__, __LINE__, "'%s' -> '%s', want '%s' (%s)", t[i].in,
				  n < 0 ? "error" : out, t[i].want, e.msg);
			return;
		}
	}
}

TEST(mrz_check_specimens_td1_td2_td3)
{
	struct mrz_parsed p;
	struct err e = ERR_INIT;
	CHECK(mrz_parse(SPECIMEN_L1 "\n" SPECIMEN_L2 "\n", &p, &e) == 0);
	CHECK_INT_EQ(p.format, MRZ_FORMAT_TD3);
	CHECK_INT_EQ(p.nproblems, 0);
	CHECK_STR_EQ(p.surname, "ERIKSSON");
	CHECK_STR_EQ(p.given_names, "ANNA MARIA");
	CHECK_STR_EQ(p.document_number, "L898902C3");
	CHECK_STR_EQ(p.birth_date, "740812");
	CHECK_INT_EQ(p.sex, 'F');
	CHECK(p.checks[MRZ_CD_COMPOSITE].valid);
	/* Doc 9303 Part 5 TD1 specimen */
	CHECK(mrz_parse("I<UTOD231458907<<<<<<<<<<<<<<<\r\n"
			"7408122F1204159UTO<<<<<<<<<<<6\r\n"
			"ERIKSSON<<ANNA<MARIA<<<<<<<<<<\r\n", &p, &e) == 0);
	CHECK_INT_EQ(p.format, MRZ_FORMAT_TD1);
	CHECK_INT_EQ(p.nproblems, 0);
	CHECK_STR_EQ(p.document_number, "D23145890");
	CHECK_STR_EQ(p.nationality, "UTO");
	CHECK_STR_EQ(p.given_names, "ANNA MARIA");
	/* Doc 9303 Part 6 TD2 specimen */
	CHECK(mrz_parse("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\n"
			"D231458907UTO7408122F1204159<<<<<<<6", &p, &e) == 0);
	CHECK_INT_EQ(p.format, MRZ_FORMAT_TD2);
	CHECK_INT_EQ(p.nproblems, 0);
	CHECK_STR_EQ(p.expiry_date, "120415");
}

TEST(mrz_check_td1_long_document_number)
{
	/* Part 5 §4.2.4 style: 12-character number D23145890123, check digit over all 12
	 * characters after the overflow, '<' in the usual check digit position */
	char l1[31];
	int cd = mrz_check_digit("D23145890123", 12);
	snprintf(l1, sizeof l1, "I<UTOD23145890<123%c<<<<<<<<<<<", '0' + cd);
	char text[128];
	/* composite: line 1 positions 6-30, line 2 1-7, 9-15, 19-29 */
	char l2[31];
	memcpy(l2, "7408122F1204159UTO<<<<<<<<<<<", 29);
	char c2[64];
	memcpy(c2, l1 + 5, 25);
	memcpy(c2 + 25, l2, 7);
	memcpy(c2 + 32, l2 + 8, 7);
	memcpy(c2 + 39, l2 + 18, 11);
	l2[29] = (char)('0' + mrz_check_digit(c2, 50));
	l2[30] = '\0';
	snprintf(text, sizeof text, "%s\n%s\nERIKSSON<<ANNA<MARIA<<<<<<<<<<\n", l1, l2);
	struct mrz_parsed p;
	struct err e = ERR_INIT;
	CHECK(mrz_parse(text, &p, &e) == 0);
	CHECK_INT_EQ(p.nproblems, 0);
	CHECK_STR_EQ(p.document_number, "D23145890123");
}

/* Parses text and expects exactly the problem field want among the problems. */
static int has_problem(const struct mrz_parsed *p, const char *field)
{
	for (int i = 0; i < p->nproblems; i++)
		if (!strcmp(p->problems[i].field, field))
			return 1;
	return 0;
}

TEST(mrz_check_names_each_bad_field)
{
	static const struct { const char *l2, *field; } bad[] = {
		/* one change from the specimen's line 2 each */
		{ "L898902C37UTO7408122F1204159ZE184226B<<<<<10", "document_number_check_digit" },
		{ "L898902C36UTO7408123F1204159ZE184226B<<<<<10", "birth_date_check_digit" },
		{ "L898902C36UTO7408122F1204158ZE184226B<<<<<10", "expiry_date_check_digit" },
		{ "L898902C36UTO7408122F1204159ZE184226B<<<<<20", "optional_data_check_digit" },
		{ "L898902C36UTO7408122F1204159ZE184226B<<<<<11", "composite_check_digit" },
		{ "L898902C36UTO7408122Q1204159ZE184226B<<<<<10", "sex" },
		{ "L898902C36UTO7413322F1204159ZE184226B<<<<<10", "birth_date" },
		{ "L898902C36UTO7402302F1204159ZE184226B<<<<<10", "birth_date" },
		{ "L898902C36UTO7408122F12<<159ZE184226B<<<<<10", "expiry_date" },
		{ "L898902C36U1O7408122F1204159ZE184226B<<<<<10", "nationality" },
		{ "<<<<<<<<<0UTO7408122F1204159ZE184226B<<<<<10", "document_number" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[100];
		snprintf(text, sizeof text, "%s\n%s\n", SPECIMEN_L1, bad[i].l2);
		struct mrz_parsed p;
		struct err e = ERR_INIT;
		CHECK(mrz_parse(text, &p, &e) == 0);
		if (!has_problem(&p, bad[i].field)) {
			test_fail(__FILE__, __LINE__, "line 2 %s: no problem for %s (%d problems%s%s)",
				  bad[i].l2, bad[i].field, p.nproblems,
				  p.nproblems ? ", first " : "",
				  p.nproblems ? p.problems[0].field : "");
			return;
		}
	}
	struct mrz_parsed p;
	struct err e = ERR_INIT;
	CHECK(mrz_parse("P<UTO<ERIKSSON<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n" SPECIMEN_L2, &p, &e) == 0);
	CHECK(has_problem(&p, "name"));
	CHECK(mrz_parse("P<UT0ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n" SPECIMEN_L2, &p, &e) == 0);
	CHECK(has_problem(&p, "issuing_state"));
	CHECK(mrz_parse("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n" SPECIMEN_L2, &p, &e) == 0);
	CHECK(has_problem(&p, "document_code"));
}

TEST(mrz_check_rejects_garbage)
{
	static const char *bad[] = {
		"",
		"\n\n",
		SPECIMEN_L1 "\n",
		SPECIMEN_L1 "<\n" SPECIMEN_L2 "\n",
		SPECIMEN_L1 "\n" SPECIMEN_L2 "\n" SPECIMEN_L2 "\n",
		"p<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n" SPECIMEN_L2,
		"P<UTOERIKSSON<<ANNA MARIA<<<<<<<<<<<<<<<<<<<\n" SPECIMEN_L2,
		SPECIMEN_L1 "\n\n" SPECIMEN_L2,
		"I<UTOD231458907<<<<<<<<<<<<<<<\nERIKSSON\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct mrz_parsed p;
		struct err e = ERR_INIT;
		if (mrz_parse(bad[i], &p, &e) != -1 || e.code != ERR_INPUT ||
		    strncmp(e.msg, "mrz: ", 5) != 0) {
			test_fail(__FILE__, __LINE__, "input %zu accepted or wrong error '%s'", i,
				  e.msg);
			return;
		}
	}
}

TEST(mrz_make_then_check_roundtrip_many)
{
	/* everything make produces must check clean, names included */
	static const char *names[][2] = {
		{ "Soekarno", "" }, { "Wahyuningsih", "Sri" }, { "Ñúñez de la Peña", "María José" },
		{ "Kowalczyk-Wiśniewska", "Zofia Łucja" }, { "Þorsteinsdóttir", "Guðrún" },
		{ "Abdurrahmanovich Abdulkhamidov Abdurakhmanov", "Abdulkhamid Abdurakhmanovich" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct mrz_doc d;
		struct err e = ERR_INIT;
		specimen_doc(&d, "PP");
		strcpy(d.surname, names[i][0]);
		strcpy(d.given_names, names[i][1]);
		const char *m = make(&d, &e);
		CHECK(m != NULL);
		char text[100];
		snprintf(text, sizeof text, "%.44s\n%.44s", m, m + 44);
		struct mrz_parsed p;
		CHECK(mrz_parse(text, &p, &e) == 0);
		if (p.nproblems)
			test_fail(__FILE__, __LINE__, "%s: %s %s", text, p.problems[0].field,
				  p.problems[0].message);
	}
}
