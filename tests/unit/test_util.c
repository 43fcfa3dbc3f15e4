/* Unit tests of the shared utilities: buf, alloc fault injection, err, cli. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "harness.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/cli.h"
#include "util/err.h"
#include "util/fs.h"

TEST(buf_grows_and_stays_nul_terminated)
{
	struct buf b;
	buf_init(&b, 0);
	CHECK_STR_EQ(buf_str(&b), "");
	for (int i = 0; i < 1000; i++)
		CHECK(buf_addf(&b, "%d,", i) == 0);
	CHECK(b.len > 3000);
	CHECK(b.data[b.len] == '\0');
	CHECK(strncmp((char *)b.data, "0,1,2,", 6) == 0);
	buf_release(&b);
}

TEST(buf_refuses_past_its_cap_and_keeps_content)
{
	struct buf b;
	buf_init(&b, 8);
	CHECK(buf_addstr(&b, "12345678") == 0);
	CHECK(buf_addch(&b, '9') == -1);
	CHECK(!buf_ok(&b));
	CHECK_STR_EQ(buf_str(&b), "12345678");
	CHECK(buf_addf(&b, "%s", "x") == -1);
	CHECK_INT_EQ(b.len, 8);
	buf_release(&b);
}

TEST(buf_detach_hands_over_ownership)
{
	struct buf b;
	buf_init(&b, 0);
	buf_add_hex(&b, (const uint8_t *)"\x01\xab", 2);
	size_t n;
	char *s = (char *)buf_detach(&b, &n);
	CHECK_STR_EQ(s, "01ab");
	CHECK_INT_EQ(n, 4);
	CHECK(b.data == NULL && b.len == 0);
	mem_free(s);
}

TEST(alloc_fault_injection_fails_the_nth_call)
{
	mem_fail_after(2);
	void *a = mem_alloc(10), *b = mem_alloc(10), *c = mem_alloc(10);
	mem_fail_after(-1);
	void *d = mem_alloc(10);
	CHECK(a && b && !c && d);
	mem_free(a);
	mem_free(b);
	mem_free(d);
}

TEST(buf_reports_allocation_failure)
{
	struct buf b;
	buf_init(&b, 0);
	mem_fail_after(0);
	int r = buf_addstr(&b, "hello");
	mem_fail_after(-1);
	CHECK_INT_EQ(r, -1);
	CHECK(!buf_ok(&b));
	CHECK_INT_EQ(b.len, 0);
	buf_release(&b);
}

TEST(err_keeps_the_first_message_and_prefixes)
{
	struct err e = ERR_INIT;
	CHECK_INT_EQ(err_set(&e, ERR_INPUT, "bad field '%s'", "sex"), -1);
	err_set(&e, ERR_IO, "second");
	err_prefix(&e, "reading %s", "x.json");
	CHECK_STR_EQ(e.msg, "reading x.json: bad field 'sex'");
	CHECK_INT_EQ(err_exit_code(&e), 2);
	err_clear(&e);
	errno = ENOENT;
	err_errno(&e, ERR_VERIFY, "cannot open 'a'");
	CHECK_STR_EQ(e.msg, "cannot open 'a': No such file or directory");
	CHECK_INT_EQ(err_exit_code(&e), 1);
}

TEST(cli_parse_uint_rejects_junk)
{
	unsigned long long v;
	CHECK(cli_parse_uint("90", 1000, &v) == 0 && v == 90);
	CHECK(cli_parse_uint("-1", 1000, &v) == -1);
	CHECK(cli_parse_uint("1001", 1000, &v) == -1);
	CHECK(cli_parse_uint("12a", 1000, &v) == -1);
	CHECK(cli_parse_uint("", 1000, &v) == -1);
	CHECK(cli_parse_uint("99999999999999999999999", ~0ULL, &v) == -1);
}

TEST(fs_write_atomic_replaces_with_mode)
{
	struct err e = ERR_INIT;
	char *p = fs_join(test_tmpdir(), "key.pem");
	CHECK(fs_write_atomic(p, "old", 3, 0600, &e) == 0);
	CHECK(fs_write_atomic(p, "new!", 4, 0600, &e) == 0);
	struct stat st;
	CHECK(stat(p, &st) == 0);
	CHECK_INT_EQ(st.st_mode & 0777, 0600);
	struct buf b;
	buf_init(&b, 100);
	CHECK(fs_read_file(p, &b, &e) == 0);
	CHECK_STR_EQ(buf_str(&b), "new!");
	buf_release(&b);
	buf_init(&b, 2);
	CHECK(fs_read_file(p, &b, &e) == -1);
	CHECK(strstr(e.msg, "key.pem") != NULL);
	buf_release(&b);
	mem_free(p);
}
