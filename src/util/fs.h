/*
 * fs — files written so that a crash never leaves half a file behind.
 *
 * fs_write_atomic writes to a fresh "<path>.tmp.XXXXXX", fsyncs it, renames it over path and
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
/*
 * As fs_write_atomic, but never replaces an existing file: the data goes to a fresh
 * "<path>.tmp.XXXXXX" (mkstemp, so threads and processes never share one), is fsynced,
 * then hard-linked to path (link fails if path exists, atomically), the temporary name
 * is removed and the directory fsynced. Returns 0 when path was created, 1 when path
 * already existed (nothing changed; the temporary file is removed), -1 on error: then
 * no file at path was created or changed, except when only the final directory fsync
 * failed (the file is in place but may not survive a crash). The filesystem must
 * support hard links.
 */
int fs_write_new(const char *path, const void *data, size_t len, mode_t mode,
		 struct err *e);
int fs_read_file(const char *path, struct buf *b, struct err *e);
/* Creates directory path (one level) with mode if it does not exist. */
int fs_mkdir(const char *path, mode_t mode, struct err *e);
/* fsyncs directory dir (after a rename into it). */
int fs_sync_dir(const char *dir, struct err *e);
/* Joins dir and name into a new string (mem_free it); NULL when out of memory. */
char *fs_join(const char *dir, const char *name);

#endif
