/*
 * buf — the one growable byte buffer, with a hard size cap (curl dynbuf, git strbuf).
 *
 * A buf owns its data. The content is always followed by a NUL byte (not counted in
 * len), so text buffers can be used as C strings; binary content may contain NULs.
 *
 *   struct buf b;
 *   buf_init(&b, 1 << 20);          // cap: never grows past 1 MiB of content
 *   buf_addf(&b, "%d", 42);
 *   ...use b.data / b.len...
 *   buf_release(&b);                // frees the data, leaves b empty and reusable
 *
 * Every adding function returns 0, or -1 when the cap would be exceeded or memory is
 * short; then the buffer is unchanged and b.failed is set, so a sequence of adds may be
 * checked once at the end with buf_ok(). buf_detach hands the data (NUL-terminated) to
 * the caller, who frees it with mem_free, and leaves the buf empty.
 */
#ifndef PASPOR_UTIL_BUF_H
#define PASPOR_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data; /* NULL until the first add; then len bytes + NUL */
	size_t len;
	size_t cap;    /* bytes allocated */
	size_t max;    /* hard cap on len */
	int failed;    /* sticky: an add was refused */
};

#define BUF_MAX_DEFAULT ((size_t)64 << 20)

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* buf_release of a buffer that held a secret: its memory is zeroed first. */
void buf_release_wiped(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps the memory */
int buf_grow(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addch(struct buf *b, uint8_t c);
int buf_addstr(struct buf *b, const char *s);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
int buf_add_hex(struct buf *b, const uint8_t *p, size_t n);
void buf_truncate(struct buf *b, size_t len);
uint8_t *buf_detach(struct buf *b, size_t *len);
static inline int buf_ok(const struct buf *b) { return !b->failed; }
static inline const char *buf_str(const struct buf *b) { return b->data ? (const char *)b->data : ""; }

/* Reads a whole file (or stdin for "-") into b, up to its cap. */
int buf_read_file(struct buf *b, const char *path);

#endif
