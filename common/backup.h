/* Encrypted backups of a data directory, made while `serve` runs: a
 * compacted LMDB copy taken in one read transaction, plus the (still
 * wrapped) key files and other small files of the dir, encrypted to an
 * offline X25519 key. Nothing is ever written in clear: the copy streams
 * from LMDB through a pipe into the cipher.
 *
 * File format, version 1 (all integers big-endian):
 *   header  "SKBACKUP" | u16 version | u8 kind | u8 0 | u64 created (unix ms)
 *           | crypto_box_seal(file key, recipient) (80) | secretstream header (24)
 *   records u32 length | crypto_secretstream_xchacha20poly1305 message
 * The first message's additional data is u16(len) "schakel/v1/backup" ||
 * header, so version, kind, time and the sealed key are authenticated.
 * A plaintext record is u8 type || body: FILE (u8 name length, name), DATA
 * (1..SK_BACKUP_CHUNK bytes of the current file) or, tagged FINAL and last,
 * END (u32 files, u64 bytes). A file that stops before END does not
 * restore. */
#ifndef SK_BACKUP_H
#define SK_BACKUP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/kek.h"
#include "common/status.h"

#define SK_BACKUP_VERSION 1
#define SK_BACKUP_PK_BYTES 32
#define SK_BACKUP_SK_BYTES 32
#define SK_BACKUP_CHUNK (64u << 10)   /* plaintext of one DATA record, at most */
#define SK_BACKUP_NAME_MAX 255
#define SK_BACKUP_FILES_MAX 4096      /* files in one backup, at most */
#define SK_BACKUP_DOMAIN "schakel/v1/backup"
#define SK_BACKUP_KEY_LABEL "backup-identity"

/* Which binary's data dir a backup holds; a binary restores only its own. */
typedef enum sk_backup_kind {
	SK_BACKUP_REGISTRY = 1,
	SK_BACKUP_PSEUDONYMISER = 2,
	SK_BACKUP_NODE = 3,
} sk_backup_kind;

typedef struct sk_backup_stats {
	uint64_t files;   /* files in the backup, the LMDB copy included */
	uint64_t bytes;   /* plaintext bytes */
	uint64_t created; /* unix ms, from the header */
	sk_backup_kind kind;
} sk_backup_stats;

/* A name for kind ("registry", "pseudonymiser", "node"); "unknown". */
const char *sk_backup_kind_name(unsigned kind);

/* Makes an offline key pair: the secret wrapped under kek into path
 * (O_EXCL, 0600), the public key as hex and a newline into path.pub, and
 * pk. */
sk_status sk_backup_keygen(sk_kek *kek, const char *path,
			   uint8_t pk[static SK_BACKUP_PK_BYTES]) SK_MUST_CHECK;

/* Reads the secret written by sk_backup_keygen into sk. */
sk_status sk_backup_identity_read(sk_kek *kek, const char *path,
				  uint8_t sk[static SK_BACKUP_SK_BYTES]) SK_MUST_CHECK;

/* Parses a public key: 64 hex digits, or a file (e.g. F.pub) holding them
 * on its first line. */
sk_status sk_backup_pk_parse(const char *s, uint8_t pk[static SK_BACKUP_PK_BYTES]) SK_MUST_CHECK;

/* Writes the backup of data dir dir to out (created O_EXCL, 0600, fsync'd;
 * removed on failure). Safe while another process serves dir. */
sk_status sk_backup_write(const char *dir, const char *out, sk_backup_kind kind,
			  const uint8_t pk[static SK_BACKUP_PK_BYTES],
			  sk_backup_stats *stats) SK_MUST_CHECK;

/* What a parsed backup hands over, file by file; each returns SK_OK to go on. */
typedef struct sk_backup_sink {
	sk_status (*file)(void *arg, const char *name);      /* a new file starts */
	sk_status (*data)(void *arg, const uint8_t *p, size_t n);
	sk_status (*end)(void *arg);                          /* END verified */
	void *arg;
} sk_backup_sink;

/* Decrypts and checks a backup read from in, for a binary of kind, handing
 * the files to sink. SK_ERR_VERIFY: not for this key, tampered or cut
 * short; SK_ERR_INVALID: not a backup, another version or another kind
 * (with a detail saying which). The sink may already have seen data when a
 * later record fails: it must undo its work then. */
sk_status sk_backup_read(FILE *in, sk_backup_kind kind,
			 const uint8_t sk[static SK_BACKUP_SK_BYTES],
			 const sk_backup_sink *sink, sk_backup_stats *stats) SK_MUST_CHECK;

/* Restores the backup in file from into dir, which must be missing or an
 * empty dir of ours (SK_ERR_EXISTS otherwise); on failure every file it
 * wrote is removed again. */
sk_status sk_backup_restore(const char *from, const char *dir, sk_backup_kind kind,
			    const uint8_t sk[static SK_BACKUP_SK_BYTES],
			    sk_backup_stats *stats) SK_MUST_CHECK;

#endif
