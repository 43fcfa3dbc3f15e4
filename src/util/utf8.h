/*
 * utf8 — counting the characters of UTF-8 text that a parser (canon, jansson) has
 * already checked for valid encoding. Limits on text fields (event bodies, API bodies)
 * are in characters, not bytes.
 */
#ifndef PASPOR_UTIL_UTF8_H
#define PASPOR_UTIL_UTF8_H

#include <stddef.h>

/* The number of code points in s (valid UTF-8, NUL-terminated): its bytes that are not
 * continuation bytes. */
size_t utf8_chars(const char *s);

#endif
