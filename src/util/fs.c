#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"

char *fs_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + 1 + strlen(name) + 1;
	char *p = mem_alloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static int fsync_dir_of(const char *path)
{
	char *copy = mem_strdup(path);
	if (!copy)
		return -1;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mem_free(copy);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int fs_sync_dir(const char *dir, struct err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, ERR_IO, "open %s", dir);
	int rc = fsync(fd);
	close(fd);
	return rc < 0 ? err_errno(e, ERR_IO, "fsync %s", dir) : 0;
}

/* Writes data to a fresh "<path>.tmp.XXXXXX" (mkostemp: threads and processes never
 * share one), with mode, fsynced and closed; *tmp gets its name (mem_free it). On
 * failure nothing is left behind. */
static int write_temp(const char *path, const void *data, size_t len, mode_t mode,
		      char **tmp, struct err *e)
{
	size_t n = strlen(path) + sizeof ".tmp.XXXXXX";
	char *t = mem_alloc(n);
	if (!t)
		return err_nomem(e);
	snprintf(t, n, "%s.tmp.XXXXXX", path);
	int fd = mkostemp(t, O_CLOEXEC);
	if (fd < 0) {
		err_errno(e, ERR_IO, "cannot create '%s'", t);
		mem_free(t);
		return -1;
	}
	const unsigned char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto fail;
	int rc = close(fd);
	fd = -1;
	if (rc < 0)
		goto fail;
	*tmp = t;
	return 0;
fail:
	err_errno(e, ERR_IO, "cannot write '%s'", path);
	if (fd >= 0)
		close(fd);
	unlink(t);
	mem_free(t);
	return -1;
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		    struct err *e)
{
	char *tmp;
	if (write_temp(path, data, len, mode, &tmp, e) < 0)
		return -1;
	if (rename(tmp, path) < 0) {
		err_errno(e, ERR_IO, "cannot write '%s'", path);
		unlink(tmp);
		mem_free(tmp);
		return -1;
	}
	mem_free(tmp);
	if (fsync_dir_of(path) < 0)
		return err_errno(e, ERR_IO, "cannot sync the directory of '%s'", path);
	return 0;
}

int fs_write_new(const char *path, const void *data, size_t len, mode_t mode,
		 struct err *e)
{
	char *tmp;
	if (write_temp(path, data, len, mode, &tmp, e) < 0)
		return -1;
	int rc = 0;
	if (link(tmp, path) < 0) {
		if (errno != EEXIST) {
			err_errno(e, ERR_IO, "cannot write '%s'", path);
			rc = -1;
		} else {
			rc = 1;
		}
	}
	unlink(tmp);
	mem_free(tmp);
	if (rc == 0 && fsync_dir_of(path) < 0)
		return err_errno(e, ERR_IO, "cannot sync the directory of '%s'", path);
	return rc;
}

int fs_read_file(const char *path, struct buf *b, struct err *e)
{
	if (buf_read_file(b, path) < 0)
		return err_errno(e, errno == EFBIG ? ERR_INPUT : ERR_IO, "cannot read '%s'", path);
	return 0;
}

int fs_mkdir(const char *path, mode_t mode, struct err *e)
{
	if (mkdir(path, mode) == 0)
		return 0;
	struct stat st;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return err_errno(e, ERR_IO, "cannot create directory '%s'", path);
}
