#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/be.h"
#include "common/file.h"
#include "common/kek.h"

#define MAGIC "SKKW"
#define VERSION 1
#define KDF_NONE 0
#define KDF_ARGON2ID 1
#define SALT_BYTES 16
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
/* argon2id cost of new files; files carry their own, checked on read */
#define OPS_DEFAULT 3u
#define MEM_DEFAULT_KIB (64u << 10)
#define OPS_MAX 16u
#define MEM_MIN_KIB (8u << 10)
#define MEM_MAX_KIB (1u << 20)
#define CACHE_SLOTS 4

_Static_assert(SK_KEYFILE_HEADER_BYTES == 4 + 1 + 1 + 2 + 4 + 4 + SALT_BYTES + NONCE_BYTES,
	       "key file header layout");
_Static_assert(SK_KEYFILE_TAG_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag");

struct kek_slot {
	int used;
	uint32_t ops, mem_kib;
	uint8_t salt[SALT_BYTES];
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
};

/* Lives in sodium_malloc memory: it holds the passphrase and derived keys. */
struct sk_kek {
	int dev;
	size_t passlen; /* 0: no passphrase */
	uint8_t pass[SK_KEK_MAX_PASSPHRASE];
	uint8_t wrap_salt[SALT_BYTES];
	unsigned next_slot;
	struct kek_slot slot[CACHE_SLOTS];
};

struct header {
	uint8_t kdf;
	uint16_t keylen;
	uint32_t ops, mem_kib;
	uint8_t salt[SALT_BYTES];
	uint8_t nonce[NONCE_BYTES];
};

static void header_write(uint8_t out[static SK_KEYFILE_HEADER_BYTES], const struct header *h)
{
	memcpy(out, MAGIC, 4);
	out[4] = VERSION;
	out[5] = h->kdf;
	sk_be16_put(out + 6, h->keylen);
	sk_be32_put(out + 8, h->ops);
	sk_be32_put(out + 12, h->mem_kib);
	memcpy(out + 16, h->salt, SALT_BYTES);
	memcpy(out + 16 + SALT_BYTES, h->nonce, NONCE_BYTES);
}

static sk_status header_read(struct header *h, const uint8_t *blob, size_t len)
{
	if (len < SK_KEYFILE_HEADER_BYTES || memcmp(blob, MAGIC, 4) != 0 || blob[4] != VERSION)
		return SK_ERR_INVALID;
	h->kdf = blob[5];
	h->keylen = sk_be16_get(blob + 6);
	h->ops = sk_be32_get(blob + 8);
	h->mem_kib = sk_be32_get(blob + 12);
	memcpy(h->salt, blob + 16, SALT_BYTES);
	memcpy(h->nonce, blob + 16 + SALT_BYTES, NONCE_BYTES);
	if (h->kdf != KDF_NONE && h->kdf != KDF_ARGON2ID)
		return SK_ERR_INVALID;
	if (h->kdf == KDF_ARGON2ID &&
	    (h->ops < crypto_pwhash_argon2id_OPSLIMIT_MIN || h->ops > OPS_MAX ||
	     h->mem_kib < MEM_MIN_KIB || h->mem_kib > MEM_MAX_KIB))
		return SK_ERR_INVALID;
	return SK_OK;
}

/* Loads a passphrase from a secret file (or the systemd credential): one
 * trailing newline dropped. */
static sk_status load_passphrase(sk_kek *kek, const char *path, int credential)
{
	uint8_t *data = NULL;
	size_t len = 0;
	sk_status st;

	st = credential ? sk_file_read_credential(path, SK_KEK_MAX_PASSPHRASE + 2, &data, &len)
			: sk_file_read_secret(path, SK_KEK_MAX_PASSPHRASE + 2, &data, &len);
	if (st != SK_OK)
		return st;
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len > 0 && data[len - 1] == '\r')
		len--;
	if (len < SK_KEK_MIN_PASSPHRASE || len > SK_KEK_MAX_PASSPHRASE) {
		sk_error_set("the passphrase in %s must hold %d to %d bytes", path,
			     SK_KEK_MIN_PASSPHRASE, SK_KEK_MAX_PASSPHRASE);
		st = SK_ERR_INVALID;
		goto out;
	}
	memcpy(kek->pass, data, len);
	kek->passlen = len;
out:
	sk_secret_free(data);
	return st;
}

sk_status sk_kek_open(sk_kek **out, const char *passphrase_file, int dev)
{
	char cred[4096];
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	sk_kek *kek;
	sk_status st = SK_OK;

	*out = NULL;
	kek = sodium_malloc(sizeof(*kek));
	if (kek == NULL)
		return SK_ERR_NOMEM;
	memset(kek, 0, sizeof(*kek));
	kek->dev = dev != 0;
	randombytes_buf(kek->wrap_salt, sizeof(kek->wrap_salt));

	if (passphrase_file != NULL) {
		st = load_passphrase(kek, passphrase_file, 0);
	} else if (dir != NULL && dir[0] != '\0' &&
		   sk_path_join(cred, sizeof(cred), dir, SK_KEK_CREDENTIAL) == SK_OK &&
		   access(cred, F_OK) == 0) {
		st = load_passphrase(kek, cred, 1);
	} else if (!dev) {
		sk_error_set("no key-encryption key: give --passphrase-file FILE or the "
			     "systemd credential %s (use --dev only for tests and demos)",
			     SK_KEK_CREDENTIAL);
		st = SK_ERR_NOKEK;
	}
	if (st != SK_OK) {
		sodium_free(kek);
		return st;
	}
	*out = kek;
	return SK_OK;
}

void sk_kek_free(sk_kek *kek)
{
	if (kek != NULL)
		sodium_free(kek); /* zeroes before release */
}

int sk_kek_is_dev(const sk_kek *kek)
{
	return kek->passlen == 0;
}

/* The wrapping key for (salt, ops, mem): from the cache or argon2id. */
static sk_status derive(sk_kek *kek, const struct header *h, const uint8_t **key)
{
	struct kek_slot *s;

	for (unsigned i = 0; i < CACHE_SLOTS; i++) {
		s = &kek->slot[i];
		if (s->used && s->ops == h->ops && s->mem_kib == h->mem_kib &&
		    sodium_memcmp(s->salt, h->salt, SALT_BYTES) == 0) {
			*key = s->key;
			return SK_OK;
		}
	}
	s = &kek->slot[kek->next_slot];
	kek->next_slot = (kek->next_slot + 1) % CACHE_SLOTS;
	sodium_memzero(s, sizeof(*s));
	if (crypto_pwhash(s->key, sizeof(s->key), (const char *)kek->pass, kek->passlen,
			  h->salt, h->ops, (size_t)h->mem_kib << 10,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_memzero(s, sizeof(*s));
		sk_error_set("argon2id could not run (out of memory?)");
		return SK_ERR_NOMEM;
	}
	s->used = 1;
	s->ops = h->ops;
	s->mem_kib = h->mem_kib;
	memcpy(s->salt, h->salt, SALT_BYTES);
	*key = s->key;
	return SK_OK;
}

/* Additional data: the header, then the label. */
static sk_status make_ad(uint8_t *ad, size_t cap, const uint8_t *hdr, const char *label,
			 size_t *adlen)
{
	size_t l = strlen(label);

	if (l == 0 || SK_KEYFILE_HEADER_BYTES + l > cap)
		return SK_ERR_INVALID;
	memcpy(ad, hdr, SK_KEYFILE_HEADER_BYTES);
	memcpy(ad + SK_KEYFILE_HEADER_BYTES, label, l);
	*adlen = SK_KEYFILE_HEADER_BYTES + l;
	return SK_OK;
}

sk_status sk_key_wrap(sk_kek *kek, const char *label, const uint8_t *key, size_t keylen,
		      uint8_t **blob, size_t *bloblen)
{
	struct header h = {0};
	uint8_t ad[SK_KEYFILE_HEADER_BYTES + 128];
	const uint8_t *wk;
	uint8_t *out = NULL;
	size_t adlen, n;
	sk_status st;

	*blob = NULL;
	*bloblen = 0;
	if (keylen == 0 || keylen > SK_KEY_MAX)
		return SK_ERR_INVALID;
	h.keylen = (uint16_t)keylen;
	if (kek->passlen == 0) {
		h.kdf = KDF_NONE;
		n = SK_KEYFILE_HEADER_BYTES + keylen;
	} else {
		h.kdf = KDF_ARGON2ID;
		h.ops = OPS_DEFAULT;
		h.mem_kib = MEM_DEFAULT_KIB;
		memcpy(h.salt, kek->wrap_salt, SALT_BYTES);
		randombytes_buf(h.nonce, NONCE_BYTES);
		n = SK_KEYFILE_HEADER_BYTES + keylen + SK_KEYFILE_TAG_BYTES;
	}
	out = malloc(n);
	if (out == NULL)
		return SK_ERR_NOMEM;
	header_write(out, &h);
	if (h.kdf == KDF_NONE) {
		memcpy(out + SK_KEYFILE_HEADER_BYTES, key, keylen);
	} else {
		if ((st = make_ad(ad, sizeof(ad), out, label, &adlen)) != SK_OK ||
		    (st = derive(kek, &h, &wk)) != SK_OK) {
			free(out);
			return st;
		}
		crypto_aead_xchacha20poly1305_ietf_encrypt(out + SK_KEYFILE_HEADER_BYTES, NULL,
							   key, keylen, ad, adlen, NULL,
							   h.nonce, wk);
	}
	*blob = out;
	*bloblen = n;
	return SK_OK;
}

sk_status sk_key_unwrap(sk_kek *kek, const char *label, const uint8_t *blob, size_t bloblen,
			uint8_t *key, size_t keylen)
{
	struct header h;
	uint8_t ad[SK_KEYFILE_HEADER_BYTES + 128];
	const uint8_t *wk;
	size_t adlen;
	sk_status st;

	if ((st = header_read(&h, blob, bloblen)) != SK_OK || h.keylen != keylen)
		goto invalid;
	if (h.kdf == KDF_NONE) {
		if (!kek->dev) {
			st = SK_ERR_UNWRAPPED;
			goto out;
		}
		if (bloblen != SK_KEYFILE_HEADER_BYTES + keylen)
			goto invalid;
		memcpy(key, blob + SK_KEYFILE_HEADER_BYTES, keylen);
		return SK_OK;
	}
	if (bloblen != SK_KEYFILE_HEADER_BYTES + keylen + SK_KEYFILE_TAG_BYTES)
		goto invalid;
	if (kek->passlen == 0) {
		st = SK_ERR_WRAPPED;
		goto out;
	}
	if ((st = make_ad(ad, sizeof(ad), blob, label, &adlen)) != SK_OK ||
	    (st = derive(kek, &h, &wk)) != SK_OK)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(key, NULL, NULL,
						       blob + SK_KEYFILE_HEADER_BYTES,
						       keylen + SK_KEYFILE_TAG_BYTES, ad, adlen,
						       h.nonce, wk) != 0) {
		st = SK_ERR_KEY;
		goto out;
	}
	return SK_OK;
invalid:
	st = SK_ERR_INVALID;
out:
	sodium_memzero(key, keylen);
	return st;
}

sk_status sk_keyfile_write(sk_kek *kek, const char *path, const char *label,
			   const uint8_t *key, size_t keylen)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	sk_status st;

	if ((st = sk_key_wrap(kek, label, key, keylen, &blob, &len)) != SK_OK)
		return st;
	st = sk_file_create(path, blob, len);
	sodium_memzero(blob, len); /* the dev form holds the key in clear */
	free(blob);
	return st;
}

sk_status sk_keyfile_read(sk_kek *kek, const char *path, const char *label,
			  uint8_t *key, size_t keylen)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	sk_status st;

	st = sk_file_read_secret(path, SK_KEYFILE_HEADER_BYTES + SK_KEY_MAX + SK_KEYFILE_TAG_BYTES,
				 &blob, &len);
	if (st != SK_OK) {
		sodium_memzero(key, keylen);
		return st;
	}
	st = sk_key_unwrap(kek, label, blob, len, key, keylen);
	sk_secret_free(blob);
	switch (st) {
	case SK_OK:
		break;
	case SK_ERR_KEY:
		sk_error_set("cannot unwrap %s: wrong passphrase or credential, or the file "
			     "was altered", path);
		break;
	case SK_ERR_UNWRAPPED:
		sk_error_set("%s is an unwrapped key; it is accepted only with --dev", path);
		break;
	case SK_ERR_WRAPPED:
		sk_error_set("%s is wrapped; give --passphrase-file FILE or the systemd "
			     "credential %s", path, SK_KEK_CREDENTIAL);
		break;
	default:
		sk_error_set("%s is not a schakel key file of the expected kind", path);
		break;
	}
	return st;
}
