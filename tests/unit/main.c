/* The unit-test runner: see harness.h. */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static struct test_case *cases, **cases_tail = &cases;
static int case_failed;
static char tmpdir[PATH_MAX];

void test_register(struct test_case *tc)
{
	*cases_tail = tc;
	cases_tail = &tc->next;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	if (!case_failed)
		printf("FAIL-DETAIL ");
	printf("%s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	case_failed = 1;
}

int test_failed(void)
{
	return case_failed;
}

const char *test_data_path(const char *rel)
{
	static char path[PATH_MAX];
	const char *dir = getenv("PASPOR_TESTDATA");
	snprintf(path, sizeof path, "%s/%s", dir ? dir : "../shared/testdata", rel);
	return path;
}

const char *test_tmpdir(void)
{
	/* cases may call it from several threads at once: make the folder once */
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&lock);
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof tmpdir, "%s/paspor-unit-XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(1);
		}
	}
	pthread_mutex_unlock(&lock);
	return tmpdir;
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char sub[PATH_MAX];
			snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
			remove_tree(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (struct test_case *tc = cases; tc; tc = tc->next) {
		if (!selected(tc->name, argc, argv))
			continue;
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			tc->fn();
			if (tmpdir[0])
				remove_tree(tmpdir);
			fflush(stdout);
			exit(case_failed ? 1 : 0); /* LeakSanitizer checks at exit */
		}
		int status;
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok unit: %s\n", tc->name);
			passed++;
		} else {
			if (WIFSIGNALED(status))
				printf("FAIL unit: %s: killed by signal %d\n", tc->name, WTERMSIG(status));
			else
				printf("FAIL unit: %s: exit %d\n", tc->name, WEXITSTATUS(status));
			failed++;
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
