/*
 * harness — Paspor's C unit-test harness.
 *
 *   #include "harness.h"
 *   TEST(mrz_check_digit_specimen) {
 *       CHECK_INT_EQ(mrz_check_digit("L898902C3"), 6);
 *   }
 *
 * TEST registers the case at load time; tests/unit/main.c runs each case in a forked
 * child (a crash or a leak — LeakSanitizer reports at the child's exit — fails that case
 * only) and prints one line per case: "ok unit: NAME" or "FAIL unit: NAME: reason",
 * which tests/run.sh counts. A CHECK that fails stops its case. Test data lives in
 * ../shared/testdata (test_data_path) or in a temporary folder from test_tmpdir, removed
 * after the case.
 *
 * Arguments to the unit binary are substrings: only cases whose names contain one of
 * them run.
 */
#ifndef PASPOR_TESTS_HARNESS_H
#define PASPOR_TESTS_HARNESS_H

#include <stddef.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	struct test_case *next;
};

void test_register(struct test_case *tc);
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int test_failed(void);
/* "<shared testdata>/<rel>" in a static buffer; PASPOR_TESTDATA overrides the folder. */
const char *test_data_path(const char *rel);
/* A fresh temporary folder for this case (removed when the case ends); thread-safe. */
const char *test_tmpdir(void);

#define TEST(name)                                                                   \
	static void test_##name(void);                                               \
	__attribute__((constructor)) static void register_##name(void)               \
	{                                                                            \
		static struct test_case tc = { #name, test_##name, NULL };          \
		test_register(&tc);                                                  \
	}                                                                            \
	static void test_##name(void)

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);           \
			return;                                                      \
		}                                                                    \
	} while (0)

#define CHECK_INT_EQ(a, b)                                                           \
	do {                                                                         \
		long long a_ = (long long)(a), b_ = (long long)(b);                  \
		if (a_ != b_) {                                                      \
			test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", \
				  #a, a_, #b, b_);                                   \
			return;                                                      \
		}                                                                    \
	} while (0)

#define CHECK_STR_EQ(a, b)                                                           \
	do {                                                                         \
		const char *a_ = (a), *b_ = (b);                                     \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                             \
			test_fail(__FILE__, __LINE__, "%s is \"%s\", expected \"%s\"", \
				  #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");       \
			return;                                                      \
		}                                                                    \
	} while (0)

#define CHECK_MEM_EQ(a, b, n)                                                        \
	do {                                                                         \
		if (memcmp((a), (b), (n)) != 0) {                                    \
			test_fail(__FILE__, __LINE__, "%s differs from %s", #a, #b); \
			return;                                                      \
		}                                                                    \
	} while (0)

#endif
