/*
 * fields — checks of the small text values that several event bodies and operations
 * share: free-text notes and event principals (schema.h's T_PRINCIPAL is
 * field_principal_ok; the day close's own checker and the operations call both).
 */
#ifndef PASPOR_OFFICE_FIELDS_H
#define PASPOR_OFFICE_FIELDS_H

#include <stddef.h>

/* 1 when s is 1…max characters of UTF-8 text (counted as code points; the caller's
 * parser has checked the encoding) with no control character but newline and tab. */
int field_note_ok(const char *s, size_t max);

/* 1 when a is an event principal "officer:<username>" (a valid officer username,
 * auth.h) or "cli:<os user>": at most 200 bytes, printable ASCII without spaces. */
int field_principal_ok(const char *a);

#endif
