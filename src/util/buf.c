#include "util/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "util/alloc.h"

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : BUF_MAX_DEFAULT;
	b->failed = 0;
}

void buf_release(struct buf *b)
{
	mem_free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void buf_release_wiped(struct buf *b)
{
	if (b->data)
		sodium_memzero(b->data, b->cap);
	buf_release(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
	b->failed = 0;
}

int buf_grow(struct buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra) {
		b->failed = 1;
		return -1;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	uint8_t *p = mem_realloc(b->data, cap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	if (!b->data)
		p[0] = '\0';
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_addch(struct buf *b, uint8_t c)
{
	return buf_add(b, &c, 1);
}

int buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || buf_grow(b, (size_t)n) < 0) {
		b->failed = 1;
		return -1;
	}
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

int buf_add_hex(struct buf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	if (n > SIZE_MAX / 2 || buf_grow(b, n * 2) < 0) {
		b->failed = 1;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		b->data[b->len++] = (uint8_t)hex[p[i] >> 4];
		b->data[b->len++] = (uint8_t)hex[p[i] & 15];
	}
	b->data[b->len] = '\0';
	return 0;
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

uint8_t *buf_detach(struct buf *b, size_t *len)
{
	if (!b->data && buf_grow(b, 0) < 0)
		return NULL;
	uint8_t *p = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
	return p;
}

int buf_read_file(struct buf *b, const char *path)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = 0;
	for (;;) {
		size_t room = b->max - b->len < 65536 ? b->max - b->len : 65536;
		if (room == 0) {
			/* at the cap: fine only if the file ends here */
			uint8_t probe;
			ssize_t n = read(fd, &probe, 1);
			if (n != 0) {
				b->failed = 1;
				errno = n < 0 ? errno : EFBIG;
				rc = -1;
			}
			break;
		}
		if (buf_grow(b, room) < 0) {
			errno = ENOMEM;
			rc = -1;
			break;
		}
		ssize_t n = read(fd, b->data + b->len, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
	}
	if (fd != STDIN_FILENO) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return rc;
}
