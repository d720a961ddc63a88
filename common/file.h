/* Files and directories with safe modes. Data directories are 0700 and key
 * or secret files 0600: anything looser is refused with SK_ERR_PERM and a
 * detail naming the path and the chmod that fixes it. New files are created
 * with O_EXCL, written completely and fsync'd with their directory. */
#ifndef SK_FILE_H
#define SK_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

/* Reads larger than this are refused unless a caller passes its own cap. */
#define SK_FILE_MAX (16u << 20)

/* Creates path as a directory with mode 0700 unless it exists, then checks
 * it as sk_dir_check does. */
sk_status sk_dir_create(const char *path) SK_MUST_CHECK;

/* path must be a directory owned by this user with no group or other
 * permissions; SK_ERR_NOTFOUND if missing, SK_ERR_PERM if too loose or owned
 * by someone else, SK_ERR_INVALID if not a directory. */
sk_status sk_dir_check(const char *path) SK_MUST_CHECK;

/* Creates path (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600) holding exactly
 * data[0..len), then fsyncs it and its directory. SK_ERR_EXISTS if the path
 * exists; on any failure no partial file is left behind. */
sk_status sk_file_create(const char *path, const void *data, size_t len) SK_MUST_CHECK;

/* Atomically replaces (or creates) path with data, mode 0600: a temporary
 * file in the same directory, fsync, rename, fsync of the directory. A
 * reader sees the old or the new content, never a mix. */
sk_status sk_file_replace(const char *path, const void *data, size_t len) SK_MUST_CHECK;

/* Reads a whole regular file of at most max bytes (SK_ERR_TOOBIG beyond).
 * *data is malloc'd with a NUL after the last byte, owned by the caller
 * (free()). */
sk_status sk_file_read(const char *path, size_t max, uint8_t **data,
		       size_t *len) SK_MUST_CHECK;

/* As sk_file_read, for a file that steers the program (a configuration
 * file): refused (SK_ERR_PERM) when group or others may write it. */
sk_status sk_file_read_trusted(const char *path, size_t max, uint8_t **data,
			       size_t *len) SK_MUST_CHECK;

/* As sk_file_read, for secrets: the file must not be readable by group or
 * others (SK_ERR_PERM), and *data is sodium_malloc'd (guarded, not swapped
 * out where the system allows); release with sk_secret_free(). */
sk_status sk_file_read_secret(const char *path, size_t max, uint8_t **data,
			      size_t *len) SK_MUST_CHECK;

/* As sk_file_read_secret, for a systemd credential in $CREDENTIALS_DIRECTORY:
 * systemd grants the service's user read access with an ACL where the file
 * system has ACLs, which shows as group read (mode 0440), so only bits for
 * others are refused. The directory is the unit's own, made by systemd. */
sk_status sk_file_read_credential(const char *path, size_t max, uint8_t **data,
				  size_t *len) SK_MUST_CHECK;

/* Wipes and frees memory from sk_file_read_secret; accepts NULL. */
void sk_secret_free(void *data);

/* Joins dir and name into out; SK_ERR_TOOBIG if it does not fit. */
sk_status sk_path_join(char *out, size_t cap, const char *dir,
		       const char *name) SK_MUST_CHECK;

#endif
