/*
 * fs — files written so that a crash never leaves half a file behind.
 *
 * fs_write_atomic writes to "<path>.tmp.<pid>", fsyncs it, renames it over path and
 * fsyncs the directory; mode applies to the new file (0600 for keys). On failure the
 * old file, if any, is untouched and the temporary file is removed.
 * fs_read_file reads a whole file into b (which must be initialised; its cap bounds the
 * size) and reports "cannot read '<path>': <reason>".
 */
#ifndef PASPOR_UTIL_FS_H
#define PASPOR_UTIL_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/err.h"

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		    struct err *e);
int fs_read_file(const char *path, struct buf *b, struct err *e);
/* Creates directory path (one level) with mode if it does not exist. */
int fs_mkdir(const char *path, mode_t mode, struct err *e);
/* Joins dir and name into a new string (mem_free it); NULL when out of memory. */
char *fs_join(const char *dir, const char *name);

#endif
