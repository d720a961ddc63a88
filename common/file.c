#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/file.h"

static sk_status errno_status(int e)
{
	switch (e) {
	case ENOENT:
		return SK_ERR_NOTFOUND;
	case EEXIST:
		return SK_ERR_EXISTS;
	case ENOSPC:
	case EDQUOT:
		return SK_ERR_DISKFULL;
	case ENOMEM:
		return SK_ERR_NOMEM;
	default:
		return SK_ERR_IO;
	}
}

static sk_status fail_errno(const char *what, const char *path)
{
	int e = errno;

	sk_error_set("cannot %s %s: %s", what, path, strerror(e));
	return errno_status(e);
}

sk_status sk_path_join(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= cap) {
		sk_error_set("path %s/%s is too long", dir, name);
		return SK_ERR_TOOBIG;
	}
	return SK_OK;
}

sk_status sk_dir_check(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return fail_errno("open directory", path);
	if (!S_ISDIR(st.st_mode)) {
		sk_error_set("%s is not a directory", path);
		return SK_ERR_INVALID;
	}
	if (st.st_uid != geteuid()) {
		sk_error_set("directory %s belongs to uid %u, not to uid %u running schakel; "
			     "chown it or run as its owner",
			     path, (unsigned)st.st_uid, (unsigned)geteuid());
		return SK_ERR_PERM;
	}
	if ((st.st_mode & 077) != 0) {
		sk_error_set("directory %s has mode %04o, but data directories must be 0700; "
			     "run chmod 700 %s",
			     path, (unsigned)(st.st_mode & 07777), path);
		return SK_ERR_PERM;
	}
	return SK_OK;
}

sk_status sk_dir_create(const char *path)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return fail_errno("create directory", path);
	return sk_dir_check(path);
}

/* fsync the directory holding path, so a new name survives power loss. */
static sk_status sync_parent(const char *path)
{
	char copy[PATH_MAX];
	int fd, rc;

	if (strlen(path) >= sizeof(copy)) {
		sk_error_set("path %s is too long", path);
		return SK_ERR_TOOBIG;
	}
	memcpy(copy, path, strlen(path) + 1);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno("open the directory of", path);
	rc = fsync(fd);
	close(fd);
	if (rc != 0)
		return fail_errno("sync the directory of", path);
	return SK_OK;
}

static sk_status write_all(int fd, const void *data, size_t len, const char *path)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail_errno("write", path);
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0)
		return fail_errno("sync", path);
	return SK_OK;
}

/* Creates path exclusively and writes data; unlinks it on failure. */
static sk_status create_excl(const char *path, const void *data, size_t len)
{
	sk_status st;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST) {
			sk_error_set("%s already exists; it is never overwritten", path);
			return SK_ERR_EXISTS;
		}
		return fail_errno("create", path);
	}
	st = write_all(fd, data, len, path);
	if (close(fd) != 0 && st == SK_OK)
		st = fail_errno("close", path);
	if (st != SK_OK)
		unlink(path);
	return st;
}

sk_status sk_file_create(const char *path, const void *data, size_t len)
{
	sk_status st = create_excl(path, data, len);

	if (st != SK_OK)
		return st;
	if ((st = sync_parent(path)) != SK_OK)
		unlink(path);
	return st;
}

sk_status sk_file_replace(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	int n;
	sk_status st;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		sk_error_set("path %s is too long", path);
		return SK_ERR_TOOBIG;
	}
	unlink(tmp); /* a leftover of a crashed process with our pid */
	if ((st = create_excl(tmp, data, len)) != SK_OK)
		return st;
	if (rename(tmp, path) != 0) {
		st = fail_errno("rename a temporary file onto", path);
		unlink(tmp);
		return st;
	}
	return sync_parent(path);
}

/* secret: sodium_malloc'd, and refused when the mode has a bit of loose */
static sk_status read_file(const char *path, size_t max, int secret, mode_t loose,
			   uint8_t **data, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	sk_status rc = SK_OK;
	int fd;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail_errno("open", path);
	if (fstat(fd, &st) != 0) {
		rc = fail_errno("stat", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		sk_error_set("%s is not a regular file", path);
		rc = SK_ERR_INVALID;
		goto out;
	}
	if (secret && (st.st_mode & loose) != 0) {
		sk_error_set("%s has mode %04o, but secret files must be 0600 or 0400; "
			     "run chmod 600 %s",
			     path, (unsigned)(st.st_mode & 07777), path);
		rc = SK_ERR_PERM;
		goto out;
	}
	if (!secret && (st.st_mode & loose) != 0) {
		sk_error_set("%s has mode %04o: group or others could change it; run chmod go-w %s",
			     path, (unsigned)(st.st_mode & 07777), path);
		rc = SK_ERR_PERM;
		goto out;
	}
	if ((uintmax_t)st.st_size > max) {
		sk_error_set("%s is larger than %zu bytes", path, max);
		rc = SK_ERR_TOOBIG;
		goto out;
	}
	/* one spare byte detects growth since fstat and holds the NUL */
	buf = secret ? sodium_malloc((size_t)st.st_size + 2) : malloc((size_t)st.st_size + 2);
	if (buf == NULL) {
		rc = SK_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail_errno("read", path);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)st.st_size) {
			sk_error_set("%s changed while it was read", path);
			rc = SK_ERR_IO;
			goto out;
		}
	}
	buf[got] = 0;
	*data = buf;
	*len = got;
	buf = NULL;
out:
	if (buf != NULL) {
		if (secret)
			sodium_free(buf);
		else
			free(buf);
	}
	close(fd);
	return rc;
}

sk_status sk_file_read(const char *path, size_t max, uint8_t **data, size_t *len)
{
	return read_file(path, max, 0, 0, data, len);
}

sk_status sk_file_read_trusted(const char *path, size_t max, uint8_t **data, size_t *len)
{
	return read_file(path, max, 0, 022, data, len);
}

sk_status sk_file_read_secret(const char *path, size_t max, uint8_t **data, size_t *len)
{
	return read_file(path, max, 1, 077, data, len);
}

sk_status sk_file_read_credential(const char *path, size_t max, uint8_t **data, size_t *len)
{
	return read_file(path, max, 1, 007, data, len);
}

void sk_secret_free(void *data)
{
	/* sodium_free zeroes the whole allocation before releasing it */
	sodium_free(data);
}
