#include "util/alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown = -1; /* -1: injection off */
static atomic_ulong attempts;

static int should_fail(void)
{
	atomic_fetch_add(&attempts, 1);
	long n = atomic_load(&fail_countdown);
	if (n < 0)
		return 0;
	if (n == 0)
		return 1;
	atomic_fetch_sub(&fail_countdown, 1);
	return 0;
}

void mem_fail_after(long n)
{
	atomic_store(&fail_countdown, n);
}

unsigned long mem_allocations(void)
{
	return atomic_load(&attempts);
}

void *mem_alloc(size_t size)
{
	if (should_fail())
		return NULL;
	return malloc(size ? size : 1);
}

void *mem_calloc(size_t n, size_t size)
{
	if (should_fail())
		return NULL;
	if (n == 0 || size == 0)
		return calloc(1, 1);
	return calloc(n, size);
}

void *mem_realloc(void *p, size_t size)
{
	if (should_fail())
		return NULL;
	return realloc(p, size ? size : 1);
}

void *mem_dup(const void *p, size_t n)
{
	void *q = mem_alloc(n);
	if (q && n)
		memcpy(q, p, n);
	return q;
}

char *mem_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *q = mem_alloc(len + 1);
	if (!q)
		return NULL;
	memcpy(q, s, len);
	q[len] = '\0';
	return q;
}

char *mem_strdup(const char *s)
{
	return mem_strndup(s, SIZE_MAX);
}

void mem_free(void *p)
{
	free(p);
}
