/* The backup file parser (sk_backup_read) on arbitrary input, two ways,
 * chosen by the first byte:
 *   even: the rest is a backup file as it would lie on disk (header checks,
 *         lengths, the sealed key; a fixed recipient key pair);
 *   odd:  the rest is a list of plaintext records (u16be length, u8 final
 *         flag, bytes) that the harness encrypts correctly under a fresh
 *         key, so the record parser behind the cipher is reached too.
 * Invariants: no crash or leak; names handed to the sink are relative, no
 * part of them starts with '.' (no "..") and none is lock.mdb; data comes
 * only inside a file; success exactly when END was verified. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/backup.h"
#include "common/init.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEED_BYTE 0x42 /* the recipient key pair: crypto_box_seed_keypair(32 x 0x42) */

struct count {
	int files, ended;
};

static sk_status on_file(void *arg, const char *name)
{
	struct count *c = arg;

	if (name[0] == '/' || name[0] == '.' || strstr(name, "/.") != NULL ||
	    strstr(name, "//") != NULL || strcmp(name, "lock.mdb") == 0 ||
	    strlen(name) > SK_BACKUP_NAME_MAX || c->ended)
		abort();
	c->files++;
	return SK_OK;
}

static sk_status on_data(void *arg, const uint8_t *p, size_t n)
{
	struct count *c = arg;

	if (c->files == 0 || n == 0 || n > SK_BACKUP_CHUNK || p == NULL)
		abort();
	return SK_OK;
}

static sk_status on_end(void *arg)
{
	((struct count *)arg)->ended = 1;
	return SK_OK;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Encrypts the record list in data into a backup file in out (malloc'd). */
static size_t build(const uint8_t *data, size_t size, const uint8_t pk[32], uint8_t **out)
{
	enum { HDR = 8 + 2 + 1 + 1 + 8 + 80 + 24 };
	static const char domain[] = SK_BACKUP_DOMAIN;
	crypto_secretstream_xchacha20poly1305_state ss;
	uint8_t key[32], ad[2 + sizeof(domain) - 1 + HDR], *buf, *hdr;
	size_t cap = HDR + size * 2 + 4096, len = HDR, i = 1;
	int first = 1;

	if ((buf = malloc(cap)) == NULL)
		abort();
	hdr = buf;
	memcpy(hdr, "SKBACKUP", 8);
	put_be(hdr + 8, SK_BACKUP_VERSION, 2);
	hdr[10] = size > 0 ? (uint8_t)(data[0] % 4) : SK_BACKUP_NODE;
	hdr[11] = 0;
	put_be(hdr + 12, 0, 8);
	crypto_secretstream_xchacha20poly1305_keygen(key);
	if (crypto_box_seal(hdr + 20, key, sizeof(key), pk) != 0 ||
	    crypto_secretstream_xchacha20poly1305_init_push(&ss, hdr + 100, key) != 0)
		abort();
	put_be(ad, sizeof(domain) - 1, 2);
	memcpy(ad + 2, domain, sizeof(domain) - 1);
	memcpy(ad + 2 + sizeof(domain) - 1, hdr, HDR);
	while (i + 3 <= size) {
		size_t n = (size_t)data[i] << 8 | data[i + 1];
		unsigned char tag = data[i + 2] & 1 ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
						    : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
		unsigned long long clen = 0;

		i += 3;
		if (n > size - i)
			n = size - i;
		if (len + 4 + n + crypto_secretstream_xchacha20poly1305_ABYTES > cap)
			break;
		if (crypto_secretstream_xchacha20poly1305_push(&ss, buf + len + 4, &clen, data + i, n,
							       first ? ad : NULL,
							       first ? sizeof(ad) : 0, tag) != 0)
			abort();
		first = 0;
		put_be(buf + len, clen, 4);
		len += 4 + (size_t)clen;
		i += n;
	}
	*out = buf;
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[32], sk[32];
	static int ready;
	struct count c = {0, 0};
	sk_backup_sink sink = {on_file, on_data, on_end, &c};
	sk_backup_stats bs;
	uint8_t *file = NULL;
	size_t len;
	FILE *in;
	sk_status st;

	if (!ready) {
		uint8_t seed[32];

		if (sk_init() != SK_OK)
			abort();
		memset(seed, SEED_BYTE, sizeof(seed));
		crypto_box_seed_keypair(pk, sk, seed);
		ready = 1;
	}
	if (size == 0 || size > (1u << 20))
		return 0;
	if (data[0] & 1) {
		len = build(data + 1, size - 1, pk, &file);
	} else {
		len = size - 1;
		if ((file = malloc(len + 1)) == NULL)
			abort();
		memcpy(file, data + 1, len);
	}
	if (len == 0 || (in = fmemopen(file, len, "rb")) == NULL) {
		free(file);
		return 0;
	}
	st = sk_backup_read(in, SK_BACKUP_NODE, sk, &sink, &bs);
	if ((st == SK_OK) != (c.ended == 1))
		abort(); /* success exactly when END was verified */
	fclose(in);
	free(file);
	return 0;
}
