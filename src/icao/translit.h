/*
 * translit — names in UTF-8 to the MRZ alphabet (A-Z and the filler '<'), following
 * ICAO Doc 9303 Part 3 §4.6 (punctuation in names) and §6 (transliteration).
 *
 * For each character of the name, in order:
 *   - the Doc 9303 special letters map as the Part 3 table says: Ä→AE, Ö→OE, Ü→UE,
 *     Å→AA, Æ→AE, Ø→OE, Œ→OE, ß/ẞ→SS, Þ→TH, Ĳ→IJ, Ð→D, Đ→D, Ł→L, Ŀ→L, Ħ→H, Ŧ→T,
 *     Ŋ→N, ı→I, ĸ→K (lower case likewise); also when written decomposed (A + U+0308);
 *   - Cyrillic maps by the Part 3 table (А→A ... Ж→ZH, Х→KH, Ц→TS, Щ→SHCH, Ъ→IE,
 *     Ю→IU, Я→IA, Ь omitted; Serbian, Macedonian, Ukrainian and Belarusian letters);
 *     the language-dependent exceptions (Ukrainian Г→H...) are not applied;
 *   - any other letter is upper-cased and decomposed (libutf8proc, canonical and
 *     compatibility decomposition); the base letter must then be A-Z, and the
 *     combining marks are dropped (É→E, Ç→C, Ș→S, Ő→O, ﬁ→FI);
 *   - space, hyphen and the other dashes become '<'; apostrophes (' ’ ‘ ʼ `),
 *     full stops and commas are omitted;
 *   - anything else (digits, other scripts, symbols, invalid UTF-8) is an error naming
 *     the field and the character.
 * Runs of '<' are collapsed to one and leading/trailing '<' removed, so "Smith - Jones"
 * gives SMITH<JONES. No memory is allocated.
 */
#ifndef PASPOR_ICAO_TRANSLIT_H
#define PASPOR_ICAO_TRANSLIT_H

#include <stddef.h>

#include "util/err.h"

/*
 * Transliterates the NUL-terminated UTF-8 name into out (outsz bytes, NUL-terminated).
 * Returns the length written (0 for a name with no letters), or -1 with ERR_INPUT and a
 * message starting with field ("surname: cannot transliterate 'α' (U+03B1)").
 */
int translit_name(const char *utf8, const char *field, char *out, size_t outsz, struct err *e);

#endif
