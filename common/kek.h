/* Keys at rest. Every key file is wrapped (XChaCha20-Poly1305) under a
 * key-encryption key (KEK) derived with argon2id from a passphrase file or
 * the systemd credential "schakel-kek". Unwrapped key files exist only with
 * --dev (demo and tests) and are refused otherwise. */
#ifndef SK_KEK_H
#define SK_KEK_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define SK_KEK_CREDENTIAL "schakel-kek"
#define SK_KEK_MIN_PASSPHRASE 12    /* bytes */
#define SK_KEK_MAX_PASSPHRASE 4096
#define SK_KEY_MAX 128              /* longest key a file may hold */
/* Wrapped file: header (magic, version, kdf, argon2id parameters, salt,
 * nonce) || ciphertext || tag. The header and the label are authenticated,
 * so a key file cannot be swapped for another purpose's. */
#define SK_KEYFILE_HEADER_BYTES 56
#define SK_KEYFILE_TAG_BYTES 16

typedef struct sk_kek sk_kek;

/* Finds the KEK, first match wins: passphrase_file (must be 0600 or 0400,
 * at least SK_KEK_MIN_PASSPHRASE bytes, one trailing newline ignored); the
 * credential $CREDENTIALS_DIRECTORY/schakel-kek; with dev, no KEK at all:
 * keys are then written unwrapped and unwrapped files are accepted (with a
 * passphrase and dev, wrapped files are written and both kinds read).
 * Otherwise SK_ERR_NOKEK. The passphrase is held in guarded memory; argon2id
 * runs at most once per salt seen. Free with sk_kek_free(). */
sk_status sk_kek_open(sk_kek **out, const char *passphrase_file, int dev) SK_MUST_CHECK;

/* Wipes and frees; accepts NULL. */
void sk_kek_free(sk_kek *kek);

/* 1 when keys are written unwrapped (dev without a passphrase). */
int sk_kek_is_dev(const sk_kek *kek);

/* Wraps key[0..keylen) for the purpose label into a new blob of
 * SK_KEYFILE_HEADER_BYTES + keylen + SK_KEYFILE_TAG_BYTES bytes (or the
 * unwrapped dev form). *blob is malloc'd, owned by the caller. */
sk_status sk_key_wrap(sk_kek *kek, const char *label, const uint8_t *key,
		      size_t keylen, uint8_t **blob, size_t *bloblen) SK_MUST_CHECK;

/* Unwraps a blob made for label into key[0..keylen). SK_ERR_KEY for a wrong
 * KEK, another label or a tampered blob; SK_ERR_UNWRAPPED for a dev blob
 * without dev; SK_ERR_WRAPPED for a wrapped blob with only dev;
 * SK_ERR_INVALID for a malformed blob or another key length. key is wiped on
 * failure. */
sk_status sk_key_unwrap(sk_kek *kek, const char *label, const uint8_t *blob,
			size_t bloblen, uint8_t *key, size_t keylen) SK_MUST_CHECK;

/* sk_key_wrap into a new file (sk_file_create: O_EXCL, 0600). */
sk_status sk_keyfile_write(sk_kek *kek, const char *path, const char *label,
			   const uint8_t *key, size_t keylen) SK_MUST_CHECK;

/* Reads a key file (must be 0600/0400) and unwraps it as sk_key_unwrap. */
sk_status sk_keyfile_read(sk_kek *kek, const char *path, const char *label,
			  uint8_t *key, size_t keylen) SK_MUST_CHECK;

#endif
