/*
 * alloc — the one way Paspor allocates memory.
 *
 * Every heap allocation in src/ goes through these wrappers so that tests can make the
 * Nth allocation fail (SQLite's test_malloc, curl's torture mode) and check that each
 * caller reports the failure cleanly instead of crashing or leaking.
 *
 * The wrappers never abort: they return NULL (mem_realloc leaves the old block alone)
 * and the caller reports "out of memory" where it understands the failure.
 * mem_free(NULL) is a no-op. Memory from mem_alloc/mem_calloc/mem_realloc/mem_strdup
 * is released with mem_free only.
 *
 * Fault injection (tests only; not thread-safe by design, set it before starting
 * threads): mem_fail_after(n) lets n more allocations succeed, then every following one
 * fails until mem_fail_after(-1) switches injection off. mem_allocations() counts the
 * allocations attempted since start, so a test can run once to learn N and then fail
 * each of the N calls in turn.
 */
#ifndef PASPOR_UTIL_ALLOC_H
#define PASPOR_UTIL_ALLOC_H

#include <stddef.h>

void *mem_alloc(size_t size);
void *mem_calloc(size_t n, size_t size);
void *mem_realloc(void *p, size_t size);
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);
void *mem_dup(const void *p, size_t n);
void mem_free(void *p);

void mem_fail_after(long n);
unsigned long mem_allocations(void);

#endif
