#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/file.h"
#include "protos/domains.h"
#include "registry/journal.h"

#define MAGIC "sj1"
#define HEX_BYTES 64
#define SIG_B64 sodium_base64_ENCODED_LEN(KEY_SIG_BYTES, sodium_base64_VARIANT_ORIGINAL)

/* A decimal u64 of 1 to 20 digits without a leading zero (except "0"). */
static int dec(const char *p, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0 || n > 20 || (n > 1 && p[0] == '0'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' || x > (UINT64_MAX - (uint64_t)(p[i] - '0')) / 10)
			return 0;
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	*v = x;
	return 1;
}

static sk_status bad(uint64_t seq, const char *why)
{
	sk_error_set("the journal is damaged or was changed at record %llu: %s",
		     (unsigned long long)seq, why);
	return SK_ERR_VERIFY;
}

/* Checks one line (without its newline) as record seq after prev; its
 * body base64 is returned in *b64 / *b64_len, the record's time in *time. */
static sk_status line_check(const char *l, size_t n, uint64_t seq, const uint8_t prev[32],
			    const uint8_t pk[static KEY_ED25519_PK_BYTES], const char **b64,
			    size_t *b64_len, uint64_t *time)
{
	const char *f[6];
	size_t fl[6], k = 0, start = 0;
	char hex[HEX_BYTES + 1];
	uint8_t sig[KEY_SIG_BYTES];
	size_t siglen = 0;
	uint64_t v;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && l[i] != ' ')
			continue;
		if (k == 6)
			return bad(seq, "too many fields");
		f[k] = l + start;
		fl[k++] = i - start;
		start = i + 1;
	}
	if (k != 6)
		return bad(seq, "too few fields");
	if (fl[0] != strlen(MAGIC) || memcmp(f[0], MAGIC, fl[0]) != 0)
		return bad(seq, "not a schakel journal record");
	if (!dec(f[1], fl[1], &v) || v != seq)
		return bad(seq, "its number is not the next one (a record removed or moved)");
	if (!dec(f[2], fl[2], time))
		return bad(seq, "its time is not a number");
	sodium_bin2hex(hex, sizeof(hex), prev, 32);
	if (fl[3] != HEX_BYTES || memcmp(f[3], hex, HEX_BYTES) != 0)
		return bad(seq, "it does not follow the record before it");
	if (fl[4] == 0 || fl[4] > sodium_base64_ENCODED_LEN(REG_JOURNAL_BODY_MAX,
							     sodium_base64_VARIANT_ORIGINAL))
		return bad(seq, "its body is empty or too long");
	if (fl[5] != SIG_B64 - 1 ||
	    sodium_base642bin(sig, sizeof(sig), f[5], fl[5], NULL, &siglen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    siglen != KEY_SIG_BYTES)
		return bad(seq, "its signature is malformed");
	if (key_verify(sig, WIRE_DOMAIN_JOURNAL, (const uint8_t *)l, (size_t)(f[5] - l - 1), pk) !=
	    SK_OK)
		return bad(seq, "its signature does not verify under this registry's key");
	*b64 = f[4];
	*b64_len = fl[4];
	return SK_OK;
}

/* One pass over the text: verify only (fn NULL), or hand each body to fn. */
static sk_status pass(const uint8_t *text, size_t len, const uint8_t *pk, reg_journal_fn fn,
		      void *arg, uint64_t *count, uint8_t head[32])
{
	uint8_t prev[32] = {0};
	char *body = NULL;
	uint64_t seq = 0;
	size_t at = 0;
	sk_status st = SK_OK;

	if (fn != NULL && (body = malloc(REG_JOURNAL_BODY_MAX + 1)) == NULL)
		return SK_ERR_NOMEM;
	while (at < len && st == SK_OK) {
		const char *l = (const char *)text + at, *b64 = NULL;
		const uint8_t *nl = memchr(text + at, '\n', len - at);
		size_t n, b64_len = 0, blen = 0;
		reg_journal_record r;

		if (++seq > REG_JOURNAL_RECORDS_MAX) {
			sk_error_set("the journal holds more than %u records", REG_JOURNAL_RECORDS_MAX);
			st = SK_ERR_TOOBIG;
			break;
		}
		if (nl == NULL) {
			st = bad(seq, "it is cut off (no end of line)");
			break;
		}
		n = (size_t)(nl - (text + at));
		if (memchr(l, 0, n) != NULL) {
			st = bad(seq, "it holds a NUL byte");
			break;
		}
		if ((st = line_check(l, n, seq, prev, pk, &b64, &b64_len, &r.time)) != SK_OK)
			break;
		crypto_hash_sha256(prev, (const uint8_t *)l, n);
		at += n + 1;
		if (fn == NULL)
			continue;
		if (sodium_base642bin((uint8_t *)body, REG_JOURNAL_BODY_MAX, b64, b64_len, NULL, &blen,
				      NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    memchr(body, 0, blen) != NULL) {
			st = bad(seq, "its body is not base64 text");
			break;
		}
		body[blen] = 0;
		r.seq = seq;
		r.body = body;
		r.body_len = blen;
		st = fn(&r, arg);
	}
	if (st == SK_OK) {
		if (count != NULL)
			*count = seq;
		if (head != NULL)
			memcpy(head, prev, 32);
	}
	if (body != NULL) {
		sodium_memzero(body, REG_JOURNAL_BODY_MAX + 1);
		free(body);
	}
	return st;
}

sk_status reg_journal_parse(const uint8_t *text, size_t len,
			    const uint8_t pk[static KEY_ED25519_PK_BYTES], reg_journal_fn fn,
			    void *arg, uint64_t *count, uint8_t head[32])
{
	sk_status st;

	if (len > REG_JOURNAL_MAX) {
		sk_error_set("the journal is larger than %u bytes", REG_JOURNAL_MAX);
		return SK_ERR_TOOBIG;
	}
	/* every record verified before the first one is acted on */
	if ((st = pass(text, len, pk, NULL, NULL, count, head)) != SK_OK || fn == NULL)
		return st;
	return pass(text, len, pk, fn, arg, NULL, NULL);
}

sk_status reg_journal_read(const char *path, const uint8_t pk[static KEY_ED25519_PK_BYTES],
			   reg_journal_fn fn, void *arg, uint64_t *count)
{
	uint8_t *text = NULL;
	size_t len = 0;
	sk_status st;

	if ((st = sk_file_read(path, REG_JOURNAL_MAX, &text, &len)) != SK_OK)
		return st;
	st = reg_journal_parse(text, len, pk, fn, arg, count, NULL);
	free(text);
	return st;
}

/* Reads all of fd (at most REG_JOURNAL_MAX bytes) into *out. */
static sk_status read_all(int fd, uint8_t **out, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	size_t got = 0;

	*out = NULL;
	*len = 0;
	if (fstat(fd, &sb) != 0)
		return SK_ERR_IO;
	if ((uint64_t)sb.st_size > REG_JOURNAL_MAX) {
		sk_error_set("the journal is larger than %u bytes; start a new one", REG_JOURNAL_MAX);
		return SK_ERR_TOOBIG;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL)
		return SK_ERR_NOMEM;
	while (got < (size_t)sb.st_size) {
		ssize_t r = pread(fd, buf + got, (size_t)sb.st_size - got, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			return SK_ERR_IO;
		}
		got += (size_t)r;
	}
	*out = buf;
	*len = got;
	return SK_OK;
}

/* fsync of the directory holding path (a new file's entry). */
static sk_status dir_sync(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n = slash == NULL ? 1 : slash == path ? 1 : (size_t)(slash - path);
	int fd;

	if (n >= sizeof(dir))
		return SK_ERR_INVALID;
	memcpy(dir, slash == NULL ? "." : path, n);
	dir[n] = 0;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return SK_ERR_IO;
	if (fsync(fd) != 0) {
		close(fd);
		return SK_ERR_IO;
	}
	close(fd);
	return SK_OK;
}

sk_status reg_journal_append(const char *path, const key_ed25519 *id, uint64_t now,
			     const char *body)
{
	size_t blen = strlen(body), b64len, n = 0, len = 0;
	char *line = NULL, hex[HEX_BYTES + 1], sig64[SIG_B64];
	uint8_t *text = NULL, head[32], sig[KEY_SIG_BYTES];
	uint64_t count = 0;
	struct stat sb;
	int fd = -1, created = 0;
	sk_status st;

	if (blen == 0 || blen > REG_JOURNAL_BODY_MAX) {
		sk_error_set("a journal record's body must be 1 to %u bytes", REG_JOURNAL_BODY_MAX);
		return SK_ERR_TOOBIG;
	}
	fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		created = fd >= 0;
	}
	if (fd < 0) {
		sk_error_set("cannot open the journal %s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	if (flock(fd, LOCK_EX) != 0 || fstat(fd, &sb) != 0) {
		st = SK_ERR_IO;
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0) {
		sk_error_set("the journal %s must be a file only its owner can read and write "
			     "(chmod 600)",
			     path);
		st = SK_ERR_PERM;
		goto out;
	}
	if ((st = read_all(fd, &text, &len)) != SK_OK)
		goto out;
	if ((st = reg_journal_parse(text, len, id->pk, NULL, NULL, &count, head)) != SK_OK) {
		sk_error_set("the journal %s does not verify (%s); nothing was added: keep it as "
			     "evidence and start a new journal",
			     path, sk_error_detail());
		goto out;
	}
	b64len = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL);
	if ((line = malloc(64 + 2 * HEX_BYTES + b64len + SIG_B64 + 8)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	sodium_bin2hex(hex, sizeof(hex), head, 32);
	n = (size_t)snprintf(line, 64 + 2 * HEX_BYTES, MAGIC " %llu %llu %s ",
			     (unsigned long long)count + 1, (unsigned long long)now, hex);
	sodium_bin2base64(line + n, b64len, (const uint8_t *)body, blen,
			  sodium_base64_VARIANT_ORIGINAL);
	n += b64len - 1;
	if ((st = key_sign(sig, WIRE_DOMAIN_JOURNAL, (const uint8_t *)line, n, id->sk)) != SK_OK)
		goto out;
	sodium_bin2base64(sig64, sizeof(sig64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
	line[n++] = ' ';
	memcpy(line + n, sig64, SIG_B64 - 1);
	n += SIG_B64 - 1;
	line[n++] = '\n';
	for (size_t done = 0; done < n;) {
		ssize_t w = write(fd, line + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			sk_error_set("cannot write the journal %s: %s", path, strerror(errno));
			st = SK_ERR_IO;
			goto out;
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0 || (created && dir_sync(path) != SK_OK)) {
		sk_error_set("cannot save the journal %s to disk: %s", path, strerror(errno));
		st = SK_ERR_IO;
	}
out:
	free(text);
	free(line);
	close(fd);
	return st;
}
