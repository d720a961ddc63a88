#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "common/backup.h"
#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/file.h"

#define MAGIC "SKBACKUP"
#define SEALED_KEY_BYTES (crypto_secretstream_xchacha20poly1305_KEYBYTES + crypto_box_SEALBYTES)
#define SS_HEADER_BYTES crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define HEADER_BYTES (8 + 2 + 1 + 1 + 8 + SEALED_KEY_BYTES + SS_HEADER_BYTES)
#define DOMAIN_FRAME_BYTES (2 + sizeof(SK_BACKUP_DOMAIN) - 1)
#define AD_BYTES (DOMAIN_FRAME_BYTES + HEADER_BYTES)
/* the longest plaintext record: a DATA record of a full chunk */
#define REC_MAX (1 + SK_BACKUP_CHUNK)
#define CIPHER_MAX (REC_MAX + crypto_secretstream_xchacha20poly1305_ABYTES)

enum { REC_FILE = 1, REC_DATA = 2, REC_END = 3 };

static const char *const skip_names[] = {"data.mdb", "lock.mdb"};

const char *sk_backup_kind_name(unsigned kind)
{
	switch (kind) {
	case SK_BACKUP_REGISTRY:
		return "registry";
	case SK_BACKUP_PSEUDONYMISER:
		return "pseudonymiser";
	case SK_BACKUP_NODE:
		return "node";
	default:
		return "unknown";
	}
}

static sk_status io_fail(const char *what, const char *path)
{
	int e = errno;

	sk_error_set("cannot %s %s: %s", what, path, strerror(e));
	return e == ENOSPC || e == EDQUOT ? SK_ERR_DISKFULL : SK_ERR_IO;
}

/* ---- keys ------------------------------------------------------------------ */

sk_status sk_backup_keygen(sk_kek *kek, const char *path, uint8_t pk[static SK_BACKUP_PK_BYTES])
{
	uint8_t sk[SK_BACKUP_SK_BYTES];
	char pub[PATH_MAX], hex[2 * SK_BACKUP_PK_BYTES + 2];
	sk_status st;
	int n = snprintf(pub, sizeof(pub), "%s.pub", path);

	if (n < 0 || (size_t)n >= sizeof(pub)) {
		sk_error_set("path %s is too long", path);
		return SK_ERR_TOOBIG;
	}
	crypto_box_keypair(pk, sk);
	st = sk_keyfile_write(kek, path, SK_BACKUP_KEY_LABEL, sk, sizeof(sk));
	sodium_memzero(sk, sizeof(sk));
	if (st != SK_OK)
		return st;
	sodium_bin2hex(hex, sizeof(hex), pk, SK_BACKUP_PK_BYTES);
	hex[2 * SK_BACKUP_PK_BYTES] = '\n';
	if ((st = sk_file_create(pub, hex, sizeof(hex) - 1)) != SK_OK)
		unlink(path);
	return st;
}

sk_status sk_backup_identity_read(sk_kek *kek, const char *path,
				  uint8_t sk[static SK_BACKUP_SK_BYTES])
{
	return sk_keyfile_read(kek, path, SK_BACKUP_KEY_LABEL, sk, SK_BACKUP_SK_BYTES);
}

static sk_status pk_hex(const char *s, size_t n, uint8_t pk[static SK_BACKUP_PK_BYTES])
{
	size_t got = 0;

	if (n != 2 * SK_BACKUP_PK_BYTES ||
	    sodium_hex2bin(pk, SK_BACKUP_PK_BYTES, s, n, NULL, &got, NULL) != 0 ||
	    got != SK_BACKUP_PK_BYTES)
		return SK_ERR_INVALID;
	return SK_OK;
}

sk_status sk_backup_pk_parse(const char *s, uint8_t pk[static SK_BACKUP_PK_BYTES])
{
	uint8_t *buf = NULL;
	size_t len = 0, n;
	sk_status st;

	if (pk_hex(s, strlen(s), pk) == SK_OK)
		return SK_OK;
	if ((st = sk_file_read(s, 4096, &buf, &len)) != SK_OK) {
		sk_error_set("the recipient must be 64 hex digits or a file holding them "
			     "(from backup-key), not '%.80s'", s);
		return SK_ERR_INVALID;
	}
	for (n = 0; n < len && buf[n] != '\n' && buf[n] != '\r'; n++)
		;
	st = pk_hex((const char *)buf, n, pk);
	free(buf);
	if (st != SK_OK)
		sk_error_set("%s does not hold a backup public key (64 hex digits)", s);
	return st;
}

/* ---- writing --------------------------------------------------------------- */

typedef struct writer {
	int fd;
	const char *path;
	crypto_secretstream_xchacha20poly1305_state ss;
	uint8_t ad[AD_BYTES];
	int first;
	uint8_t rec[REC_MAX];
	uint8_t cipher[4 + CIPHER_MAX];
	sk_backup_stats *stats;
} writer;

static sk_status write_all(int fd, const uint8_t *p, size_t n, const char *path)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return io_fail("write", path);
		p += w;
		n -= (size_t)w;
	}
	return SK_OK;
}

/* Encrypts w->rec[0..n) as one message and writes it. */
static sk_status push(writer *w, size_t n, unsigned char tag)
{
	unsigned long long clen = 0;

	if (crypto_secretstream_xchacha20poly1305_push(&w->ss, w->cipher + 4, &clen, w->rec, n,
						       w->first ? w->ad : NULL,
						       w->first ? sizeof(w->ad) : 0, tag) != 0)
		return SK_ERR_CRYPTO;
	w->first = 0;
	sodium_memzero(w->rec, n);
	sk_be32_put(w->cipher, (uint32_t)clen);
	return write_all(w->fd, w->cipher, 4 + (size_t)clen, w->path);
}

static sk_status push_file(writer *w, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SK_BACKUP_NAME_MAX)
		return SK_ERR_INVALID;
	if (w->stats->files >= SK_BACKUP_FILES_MAX) {
		sk_error_set("the data directory holds more than %u files", SK_BACKUP_FILES_MAX);
		return SK_ERR_TOOBIG;
	}
	w->rec[0] = REC_FILE;
	w->rec[1] = (uint8_t)n;
	memcpy(w->rec + 2, name, n);
	w->stats->files++;
	return push(w, 2 + n, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
}

static sk_status push_data(writer *w, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k = n < SK_BACKUP_CHUNK ? n : SK_BACKUP_CHUNK;
		sk_status st;

		w->rec[0] = REC_DATA;
		memcpy(w->rec + 1, p, k);
		if ((st = push(w, 1 + k, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)) != SK_OK)
			return st;
		w->stats->bytes += k;
		p += k;
		n -= k;
	}
	return SK_OK;
}

/* A small file of the dir (key files, certificates, requests, bundle,
 * evidence), as it is on disk: key files stay wrapped under their KEK. */
static sk_status push_small(writer *w, const char *path, const char *name)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	sk_status st;

	if ((st = sk_file_read_secret(path, SK_FILE_MAX, &buf, &len)) != SK_OK)
		return st;
	if ((st = push_file(w, name)) == SK_OK)
		st = push_data(w, buf, len);
	sk_secret_free(buf);
	return st;
}

static int skipped(const char *name)
{
	if (name[0] == '.' || strstr(name, ".tmp.") != NULL)
		return 1;
	for (size_t i = 0; i < sizeof(skip_names) / sizeof(skip_names[0]); i++)
		if (strcmp(name, skip_names[i]) == 0)
			return 1;
	return 0;
}

/* Every regular file of dir (and of its subdirectories one level down),
 * except the LMDB files. prefix is "" or "sub/". */
static sk_status push_dir(writer *w, const char *dir, const char *prefix, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	sk_status st = SK_OK;

	if (d == NULL)
		return io_fail("read directory", dir);
	while (st == SK_OK && (errno = 0, e = readdir(d)) != NULL) {
		char path[PATH_MAX], name[SK_BACKUP_NAME_MAX + 1];
		struct stat sb;
		int n;

		if (skipped(e->d_name))
			continue;
		if ((st = sk_path_join(path, sizeof(path), dir, e->d_name)) != SK_OK)
			break;
		n = snprintf(name, sizeof(name), "%s%s", prefix, e->d_name);
		if (n < 0 || (size_t)n >= sizeof(name) || lstat(path, &sb) != 0) {
			st = n < 0 || (size_t)n >= sizeof(name) ? SK_ERR_TOOBIG
								: io_fail("stat", path);
			break;
		}
		if (S_ISREG(sb.st_mode)) {
			st = push_small(w, path, name);
		} else if (S_ISDIR(sb.st_mode) && depth == 0) {
			char sub[SK_BACKUP_NAME_MAX + 1];

			n = snprintf(sub, sizeof(sub), "%s/", e->d_name);
			st = n < 0 || (size_t)n >= sizeof(sub) ? SK_ERR_TOOBIG
								: push_dir(w, path, sub, 1);
		}
	}
	if (st == SK_OK && errno != 0)
		st = io_fail("read directory", dir);
	closedir(d);
	return st;
}

struct copy_job {
	MDB_env *env;
	int fd;
	int rc;
};

static void *copy_thread(void *arg)
{
	struct copy_job *j = arg;

	j->rc = mdb_env_copyfd2(j->env, j->fd, MDB_CP_COMPACT);
	close(j->fd);
	return NULL;
}

/* The LMDB env of dir, copied compacted in one read transaction (LMDB's
 * own copy thread) into a pipe that feeds the cipher: no clear copy on
 * disk. */
static sk_status push_db(writer *w, const char *dir)
{
	struct copy_job job = {NULL, -1, 0};
	pthread_t th;
	uint8_t *buf = NULL;
	int pfd[2] = {-1, -1}, started = 0, rc;
	sk_status st = SK_OK;

	if ((rc = mdb_env_create(&job.env)) != 0)
		return sk_db_status(rc);
	if ((rc = mdb_env_set_maxdbs(job.env, SK_DB_MAXDBS)) != 0 ||
	    (rc = mdb_env_open(job.env, dir, MDB_RDONLY | MDB_NOTLS, 0600)) != 0) {
		st = sk_db_status(rc);
		sk_error_set("cannot open the database in %s: %s", dir, mdb_strerror(rc));
		goto out;
	}
	if ((buf = sodium_malloc(SK_BACKUP_CHUNK)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if (pipe(pfd) != 0) {
		st = io_fail("create a pipe for", dir);
		goto out;
	}
	job.fd = pfd[1];
	if (pthread_create(&th, NULL, copy_thread, &job) != 0) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	started = 1;
	pfd[1] = -1; /* the thread closes it */
	if ((st = push_file(w, "data.mdb")) != SK_OK)
		goto drain;
	for (;;) {
		size_t got = 0;

		while (got < SK_BACKUP_CHUNK) {
			ssize_t r = read(pfd[0], buf + got, SK_BACKUP_CHUNK - got);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				st = io_fail("read the database copy of", dir);
				goto drain;
			}
			if (r == 0)
				break;
			got += (size_t)r;
		}
		if (got == 0)
			break;
		if ((st = push_data(w, buf, got)) != SK_OK)
			goto drain;
	}
drain:
	/* the copy thread must finish its writes; never leave it on a full pipe */
	while (st != SK_OK) {
		ssize_t r = read(pfd[0], buf, SK_BACKUP_CHUNK);

		if (r == 0 || (r < 0 && errno != EINTR))
			break;
	}
out:
	if (started) {
		pthread_join(th, NULL);
		if (st == SK_OK && job.rc != 0) {
			st = sk_db_status(job.rc);
			sk_error_set("the database copy of %s failed: %s", dir, mdb_strerror(job.rc));
		}
	}
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (buf != NULL)
		sodium_free(buf);
	mdb_env_close(job.env);
	return st;
}

static void make_ad(uint8_t ad[static AD_BYTES], const uint8_t header[static HEADER_BYTES])
{
	sk_be16_put(ad, sizeof(SK_BACKUP_DOMAIN) - 1);
	memcpy(ad + 2, SK_BACKUP_DOMAIN, sizeof(SK_BACKUP_DOMAIN) - 1);
	memcpy(ad + DOMAIN_FRAME_BYTES, header, HEADER_BYTES);
}

sk_status sk_backup_write(const char *dir, const char *out, sk_backup_kind kind,
			  const uint8_t pk[static SK_BACKUP_PK_BYTES], sk_backup_stats *stats)
{
	uint8_t header[HEADER_BYTES], key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	writer *w = NULL;
	sk_status st;
	int fd = -1;

	memset(stats, 0, sizeof(*stats));
	stats->kind = kind;
	stats->created = sk_clock_now_ms();
	if ((st = sk_dir_check(dir)) != SK_OK)
		return st;
	if ((w = sodium_malloc(sizeof(*w))) == NULL)
		return SK_ERR_NOMEM;
	memset(w, 0, sizeof(*w));
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		st = errno == EEXIST ? SK_ERR_EXISTS : io_fail("create", out);
		if (st == SK_ERR_EXISTS)
			sk_error_set("%s already exists; a backup never overwrites a file", out);
		goto out;
	}
	w->fd = fd;
	w->path = out;
	w->first = 1;
	w->stats = stats;
	memcpy(header, MAGIC, 8);
	sk_be16_put(header + 8, SK_BACKUP_VERSION);
	header[10] = (uint8_t)kind;
	header[11] = 0;
	sk_be64_put(header + 12, stats->created);
	crypto_secretstream_xchacha20poly1305_keygen(key);
	if (crypto_box_seal(header + 20, key, sizeof(key), pk) != 0 ||
	    crypto_secretstream_xchacha20poly1305_init_push(&w->ss, header + 20 + SEALED_KEY_BYTES,
							    key) != 0) {
		sk_error_set("the recipient is not a usable X25519 public key");
		st = SK_ERR_INVALID;
		goto out;
	}
	make_ad(w->ad, header);
	if ((st = write_all(fd, header, sizeof(header), out)) != SK_OK ||
	    (st = push_dir(w, dir, "", 0)) != SK_OK || (st = push_db(w, dir)) != SK_OK)
		goto out;
	w->rec[0] = REC_END;
	sk_be32_put(w->rec + 1, (uint32_t)stats->files);
	sk_be64_put(w->rec + 5, stats->bytes);
	if ((st = push(w, 13, crypto_secretstream_xchacha20poly1305_TAG_FINAL)) != SK_OK)
		goto out;
	if (fsync(fd) != 0)
		st = io_fail("sync", out);
out:
	sodium_memzero(key, sizeof(key));
	if (fd >= 0 && close(fd) != 0 && st == SK_OK)
		st = io_fail("close", out);
	if (st != SK_OK && fd >= 0)
		unlink(out);
	sodium_free(w);
	return st;
}

/* ---- reading --------------------------------------------------------------- */

static int name_valid(const uint8_t *p, size_t n)
{
	size_t slash = 0, seg = 0;

	if (n == 0 || n > SK_BACKUP_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c == '/') {
			if (seg == 0 || ++slash > 1)
				return 0;
			seg = 0;
			continue;
		}
		if (seg == 0 && c == '.')
			return 0; /* no ".", "..", hidden files */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return 0;
		seg++;
	}
	return seg > 0 && !(n == 8 && memcmp(p, "lock.mdb", 8) == 0);
}

static sk_status bad(const char *why)
{
	sk_error_set("%s", why);
	return SK_ERR_VERIFY;
}

static sk_status read_exact(FILE *in, uint8_t *p, size_t n, int *eof)
{
	size_t got = fread(p, 1, n, in);

	*eof = got == 0 && feof(in);
	if (got == n)
		return SK_OK;
	if (ferror(in)) {
		sk_error_set("cannot read the backup: %s", strerror(errno));
		return SK_ERR_IO;
	}
	return bad("the backup is cut short; it does not restore");
}

sk_status sk_backup_read(FILE *in, sk_backup_kind kind, const uint8_t sk[static SK_BACKUP_SK_BYTES],
			 const sk_backup_sink *sink, sk_backup_stats *stats)
{
	struct reader {
		crypto_secretstream_xchacha20poly1305_state ss;
		uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
		uint8_t ad[AD_BYTES];
		uint8_t cipher[CIPHER_MAX];
		uint8_t rec[REC_MAX];
	} *r = NULL;
	uint8_t header[HEADER_BYTES], pk[SK_BACKUP_PK_BYTES], lenb[4], tag = 0;
	uint64_t files = 0, bytes = 0;
	int first = 1, in_file = 0, eof = 0;
	sk_status st;

	memset(stats, 0, sizeof(*stats));
	if ((st = read_exact(in, header, sizeof(header), &eof)) != SK_OK ||
	    memcmp(header, MAGIC, 8) != 0) {
		sk_error_set("this is not a schakel backup");
		return SK_ERR_INVALID;
	}
	if (sk_be16_get(header + 8) != SK_BACKUP_VERSION || header[11] != 0) {
		sk_error_set("backup format version %u is not supported (this program reads "
			     "version %u)", (unsigned)sk_be16_get(header + 8), SK_BACKUP_VERSION);
		return SK_ERR_INVALID;
	}
	stats->kind = header[10];
	stats->created = sk_be64_get(header + 12);
	if (header[10] != kind) {
		sk_error_set("this is a backup of a %s, not of a %s; restore it with that program",
			     sk_backup_kind_name(header[10]), sk_backup_kind_name(kind));
		return SK_ERR_INVALID;
	}
	if ((r = sodium_malloc(sizeof(*r))) == NULL)
		return SK_ERR_NOMEM;
	crypto_scalarmult_base(pk, sk);
	if (crypto_box_seal_open(r->key, header + 20, SEALED_KEY_BYTES, pk, sk) != 0) {
		st = bad("the backup is not for this key, or its header was changed");
		goto out;
	}
	if (crypto_secretstream_xchacha20poly1305_init_pull(&r->ss, header + 20 + SEALED_KEY_BYTES,
							    r->key) != 0) {
		st = bad("the backup's header does not verify");
		goto out;
	}
	make_ad(r->ad, header);
	while (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		unsigned long long mlen = 0;
		size_t clen;

		if ((st = read_exact(in, lenb, 4, &eof)) != SK_OK)
			goto out;
		clen = sk_be32_get(lenb);
		if (clen <= crypto_secretstream_xchacha20poly1305_ABYTES || clen > CIPHER_MAX) {
			st = bad("the backup is damaged (a record has an impossible length)");
			goto out;
		}
		if ((st = read_exact(in, r->cipher, clen, &eof)) != SK_OK)
			goto out;
		if (crypto_secretstream_xchacha20poly1305_pull(&r->ss, r->rec, &mlen, &tag, r->cipher,
							       clen, first ? r->ad : NULL,
							       first ? sizeof(r->ad) : 0) != 0) {
			st = bad("the backup does not verify: not for this key, changed or damaged");
			goto out;
		}
		first = 0;
		if (r->rec[0] == REC_FILE && mlen >= 2 && mlen == 2 + (size_t)r->rec[1] &&
		    tag == crypto_secretstream_xchacha20poly1305_TAG_MESSAGE &&
		    name_valid(r->rec + 2, r->rec[1]) && files < SK_BACKUP_FILES_MAX) {
			char name[SK_BACKUP_NAME_MAX + 1];

			memcpy(name, r->rec + 2, r->rec[1]);
			name[r->rec[1]] = 0;
			files++;
			in_file = 1;
			if ((st = sink->file(sink->arg, name)) != SK_OK)
				goto out;
		} else if (r->rec[0] == REC_DATA && mlen >= 2 && in_file &&
			   tag == crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
			bytes += mlen - 1;
			if ((st = sink->data(sink->arg, r->rec + 1, (size_t)mlen - 1)) != SK_OK)
				goto out;
		} else if (r->rec[0] == REC_END && mlen == 13 &&
			   tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
			if (sk_be32_get(r->rec + 1) != files || sk_be64_get(r->rec + 5) != bytes) {
				st = bad("the backup's contents do not add up");
				goto out;
			}
		} else {
			st = bad("the backup is damaged (an unexpected record)");
			goto out;
		}
	}
	if (fgetc(in) != EOF) {
		st = bad("the backup has data after its end");
		goto out;
	}
	stats->files = files;
	stats->bytes = bytes;
	st = sink->end(sink->arg);
out:
	sodium_free(r);
	return st;
}

/* ---- restoring into a directory ------------------------------------------------ */

typedef struct restore_sink {
	const char *dir;
	char names[SK_BACKUP_FILES_MAX][SK_BACKUP_NAME_MAX + 1]; /* written, to undo */
	size_t n;
	char subdirs[16][SK_BACKUP_NAME_MAX + 1];
	size_t nsub;
	int fd;
	char path[PATH_MAX];
} restore_sink;

static sk_status close_current(restore_sink *s)
{
	sk_status st = SK_OK;

	if (s->fd < 0)
		return SK_OK;
	if (fsync(s->fd) != 0)
		st = io_fail("sync", s->path);
	if (close(s->fd) != 0 && st == SK_OK)
		st = io_fail("close", s->path);
	s->fd = -1;
	return st;
}

static sk_status sub_dir(restore_sink *s, const char *name)
{
	const char *slash = strchr(name, '/');
	char path[PATH_MAX];
	size_t n;
	sk_status st;

	if (slash == NULL)
		return SK_OK;
	n = (size_t)(slash - name);
	for (size_t i = 0; i < s->nsub; i++)
		if (strlen(s->subdirs[i]) == n && memcmp(s->subdirs[i], name, n) == 0)
			return SK_OK;
	if (s->nsub == sizeof(s->subdirs) / sizeof(s->subdirs[0]))
		return bad("the backup holds too many subdirectories");
	memcpy(s->subdirs[s->nsub], name, n);
	s->subdirs[s->nsub][n] = 0;
	if ((st = sk_path_join(path, sizeof(path), s->dir, s->subdirs[s->nsub])) != SK_OK)
		return st;
	if (mkdir(path, 0700) != 0)
		return io_fail("create directory", path);
	s->nsub++;
	return SK_OK;
}

static sk_status rs_file(void *arg, const char *name)
{
	restore_sink *s = arg;
	sk_status st;

	if ((st = close_current(s)) != SK_OK || (st = sub_dir(s, name)) != SK_OK ||
	    (st = sk_path_join(s->path, sizeof(s->path), s->dir, name)) != SK_OK)
		return st;
	s->fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->fd < 0)
		return errno == EEXIST ? bad("the backup names one file twice")
				       : io_fail("create", s->path);
	memcpy(s->names[s->n++], name, strlen(name) + 1);
	return SK_OK;
}

static sk_status rs_data(void *arg, const uint8_t *p, size_t n)
{
	restore_sink *s = arg;

	return write_all(s->fd, p, n, s->path);
}

static sk_status rs_end(void *arg)
{
	restore_sink *s = arg;
	sk_status st = close_current(s);
	int fd;

	for (size_t i = 0; i < s->nsub && st == SK_OK; i++) {
		char path[PATH_MAX];

		if ((st = sk_path_join(path, sizeof(path), s->dir, s->subdirs[i])) != SK_OK)
			break;
		if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(fd) != 0)
			st = io_fail("sync", path);
		if (fd >= 0)
			close(fd);
	}
	if (st == SK_OK) {
		if ((fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(fd) != 0)
			st = io_fail("sync", s->dir);
		if (fd >= 0)
			close(fd);
	}
	return st;
}

/* 1 when dir holds nothing but . and .. */
static int dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

sk_status sk_backup_restore(const char *from, const char *dir, sk_backup_kind kind,
			    const uint8_t sk[static SK_BACKUP_SK_BYTES], sk_backup_stats *stats)
{
	restore_sink *s = NULL;
	sk_backup_sink sink = {rs_file, rs_data, rs_end, NULL};
	FILE *in = NULL;
	sk_status st;
	int created = 0;

	memset(stats, 0, sizeof(*stats));
	if ((in = fopen(from, "rbe")) == NULL)
		return io_fail("open", from);
	if (access(dir, F_OK) != 0) {
		if ((st = sk_dir_create(dir)) != SK_OK)
			goto out;
		created = 1;
	} else if ((st = sk_dir_check(dir)) != SK_OK) {
		goto out;
	} else if (!dir_empty(dir)) {
		sk_error_set("%s is not empty; restore only into a new or empty directory", dir);
		st = SK_ERR_EXISTS;
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	s->dir = dir;
	s->fd = -1;
	sink.arg = s;
	st = sk_backup_read(in, kind, sk, &sink, stats);
	if (s->fd >= 0)
		close(s->fd);
	if (st != SK_OK) {
		/* leave the directory as it was: nothing of a failed restore */
		for (size_t i = 0; i < s->n; i++) {
			char path[PATH_MAX];

			if (sk_path_join(path, sizeof(path), dir, s->names[i]) == SK_OK)
				unlink(path);
		}
		for (size_t i = 0; i < s->nsub; i++) {
			char path[PATH_MAX];

			if (sk_path_join(path, sizeof(path), dir, s->subdirs[i]) == SK_OK)
				rmdir(path);
		}
		if (created)
			rmdir(dir);
	}
out:
	free(s);
	fclose(in);
	return st;
}
