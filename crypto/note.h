/* C2SP signed notes (Ed25519), tlog-checkpoint bodies and tlog-cosignature/v1
 * witness cosignatures: the registry log's signed tree heads and the
 * witnesses' statements on them. No I/O or clock; call sodium_init() first. */
#ifndef SK_NOTE_H
#define SK_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define NOTE_TYPE_ED25519 0x01 /* c2sp.org/signed-note Ed25519 */
#define NOTE_TYPE_COSIG 0x04   /* c2sp.org/tlog-cosignature, Ed25519 */

#define NOTE_KEY_ID_BYTES 4
#define NOTE_PUBLIC_KEY_BYTES 32
#define NOTE_SEED_BYTES 32
#define NOTE_SIGNATURE_BYTES 64
#define NOTE_TIMESTAMP_MAX INT64_MAX /* cosignature timestamps: < 2^63 */
#define NOTE_HASH_BYTES 32           /* checkpoint root hash (SHA-256) */

#define NOTE_NAME_MAX 255           /* key name, bytes (our cap) */
#define NOTE_ORIGIN_MAX 255         /* checkpoint origin, bytes (our cap) */
#define NOTE_MAX_BYTES (1u << 20)   /* whole signed note */
#define NOTE_MAX_SIGS 100           /* signature lines per note (spec: >= 16) */

/* "name+hex(id)+base64(type||key)" plus NUL; the skey adds "PRIVATE+KEY+". */
#define NOTE_VKEY_MAX (NOTE_NAME_MAX + 1 + 8 + 1 + 44 + 1)
#define NOTE_SKEY_MAX (12 + NOTE_VKEY_MAX)
/* "— name base64(id||timestamp||sig)\n" plus NUL. */
#define NOTE_COSIG_LINE_MAX (4 + NOTE_NAME_MAX + 1 + 104 + 1 + 1)
/* How far in the future a cosignature timestamp may lie (clock skew). */
#define NOTE_COSIG_SKEW_SECONDS 60

/*
 * Key names are non-empty, at most NOTE_NAME_MAX bytes of valid UTF-8, and
 * contain no '+', no ASCII control character (U+0000-U+001F, U+007F) and no
 * Unicode White_Space code point (U+0009-U+000D, U+0020, U+0085, U+00A0,
 * U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000: the set Go's
 * unicode.IsSpace reports). Other non-ASCII letters are allowed. A signature
 * line whose name breaks these rules makes the note malformed.
 */

/* A public key as verifiers are configured with it (vkey). Plain data:
 * callers allocate arrays of it; fill it only with the functions below. */
typedef struct note_verifier {
	uint8_t type; /* NOTE_TYPE_ED25519 or NOTE_TYPE_COSIG */
	uint8_t key_id[NOTE_KEY_ID_BYTES];
	uint8_t public_key[NOTE_PUBLIC_KEY_BYTES];
	size_t name_len;
	char name[NOTE_NAME_MAX + 1]; /* NUL-terminated */
} note_verifier;

/* A signing key with its name, in sodium_malloc memory; opaque. */
typedef struct note_signer note_signer;

/* What note_open found for one configured key. timestamp: for a cosigner
 * (type 0x04) the newest verified cosignature time (POSIX seconds); 0 for
 * type 0x01 keys and for keys that did not sign. */
typedef struct note_sig_result {
	uint8_t verified; /* 1: a signature by this key verified */
	uint64_t timestamp;
} note_sig_result;

/* A checkpoint body. After note_checkpoint_parse/open, ext points into the
 * parsed text (valid while that buffer is); NULL/0 when there are none. */
typedef struct note_checkpoint {
	char origin[NOTE_ORIGIN_MAX + 1]; /* NUL-terminated, non-empty */
	uint64_t size;                    /* tree size (number of leaves) */
	uint8_t root[NOTE_HASH_BYTES];    /* RFC 9162 root hash */
	const uint8_t *ext;               /* extension lines, each ending '\n' */
	size_t ext_len;
} note_checkpoint;

/* ---- keys ---- */

/* Builds a verifier from a name and a raw Ed25519 public key; computes the
 * key id SHA-256(name || 0x0A || type || key)[:4]. SK_ERR_INVALID for a bad
 * name, type or point (small order, off the curve); SK_ERR_TOOBIG for a name
 * longer than NOTE_NAME_MAX. */
sk_status note_verifier_from_public(note_verifier *out, const char *name, uint8_t type,
				    const uint8_t public_key[static NOTE_PUBLIC_KEY_BYTES])
	SK_MUST_CHECK;

/* Parses "name+hex(keyid)+base64(type||key)" (len bytes, no NUL needed, no
 * trailing newline). Types 0x01 and 0x04. The hex key id must be 8 lowercase
 * digits and equal the computed id. On error *out is zeroed. */
sk_status note_verifier_parse(note_verifier *out, const char *vkey, size_t len)
	SK_MUST_CHECK;

/* Writes the vkey string of v, NUL-terminated. */
sk_status note_verifier_format(char out[static NOTE_VKEY_MAX], const note_verifier *v)
	SK_MUST_CHECK;

/* A new random key, or one from a 32-byte Ed25519 seed. *out is owned by
 * the caller: release with note_signer_free(). */
sk_status note_signer_generate(note_signer **out, const char *name, uint8_t type)
	SK_MUST_CHECK;
sk_status note_signer_from_seed(note_signer **out, const char *name, uint8_t type,
				const uint8_t seed[static NOTE_SEED_BYTES]) SK_MUST_CHECK;

/* Parses "PRIVATE+KEY+name+hex(keyid)+base64(type||seed)" as written by Go's
 * golang.org/x/mod/sumdb/note (type 0x01) and by note_signer_format (0x01 or
 * 0x04). The key id must match the derived public key and the type byte.
 * WARNING: skey is secret; the caller wipes its copy. */
sk_status note_signer_parse(note_signer **out, const char *skey, size_t len)
	SK_MUST_CHECK;

/* Writes the skey string, NUL-terminated.
 * WARNING: out then holds the private key; wipe it with sodium_memzero. */
sk_status note_signer_format(char out[static NOTE_SKEY_MAX], const note_signer *s)
	SK_MUST_CHECK;

/* The public half of s. */
void note_signer_verifier(note_verifier *out, const note_signer *s);

/* Wipes and frees; accepts NULL. */
void note_signer_free(note_signer *s);

/* ---- signed notes ---- */

/* Signs text (len bytes; valid UTF-8, no control characters but '\n',
 * ending in '\n') with each of n >= 1 signers of type 0x01, in order. *out
 * is malloc'd, owned by the caller (free()). SK_ERR_INVALID for bad text, a
 * type 0x04 signer (use note_checkpoint_cosign) or the same key twice;
 * SK_ERR_TOOBIG beyond NOTE_MAX_BYTES or NOTE_MAX_SIGS. */
sk_status note_sign(uint8_t **out, size_t *out_len, const uint8_t *text, size_t text_len,
		    const note_signer *const *signers, size_t n) SK_MUST_CHECK;

/* Adds signatures by n >= 1 type 0x01 signers to a signed note. Existing
 * lines are kept (checked for form, not verified: the caller has opened the
 * note) except one by the same name and key id, which the new one replaces.
 * *out is malloc'd, owned by the caller. */
sk_status note_add_signatures(uint8_t **out, size_t *out_len, const uint8_t *note,
			      size_t note_len, const note_signer *const *signers, size_t n)
	SK_MUST_CHECK;

/* Opens a signed note against the n configured keys (either type; a type
 * 0x04 key checks cosignature/v1 over the text). Signature lines of unknown
 * keys (name or key id differ) are ignored; every line of a known key must
 * verify, else the whole note is refused; at least one must verify.
 * On SK_OK *text points into note (valid while note is) and *text_len
 * includes the final newline; results, if not NULL, has n entries.
 * Errors: SK_ERR_VERIFY (a known key's signature failed, or none verified),
 * SK_ERR_INVALID (malformed), SK_ERR_TOOBIG (over NOTE_MAX_BYTES or
 * NOTE_MAX_SIGS lines), SK_ERR_NOMEM; then *text is NULL and results zero. */
sk_status note_open(const uint8_t **text, size_t *text_len, note_sig_result *results,
		    const uint8_t *note, size_t note_len, const note_verifier *keys, size_t n)
	SK_MUST_CHECK;

/* ---- checkpoints and cosignatures ---- */

/* Writes the checkpoint body: origin, decimal size, base64 root, then
 * cp->ext verbatim. *out is malloc'd, owned by the caller. SK_ERR_INVALID
 * for an empty origin or one with control characters, or malformed ext. */
sk_status note_checkpoint_format(uint8_t **out, size_t *out_len, const note_checkpoint *cp)
	SK_MUST_CHECK;

/* Parses a checkpoint body strictly: non-empty origin, size in decimal
 * without sign or leading zeros (except "0") fitting 64 bits, a 44-character
 * canonical base64 root of 32 bytes, then non-empty extension lines. The
 * text must end in '\n'. cp->ext points into text. Use only on text that
 * note_open verified. */
sk_status note_checkpoint_parse(note_checkpoint *cp, const uint8_t *text, size_t text_len)
	SK_MUST_CHECK;

/* Formats cp and signs it with the log's type 0x01 key. *out is malloc'd,
 * owned by the caller. The key name should equal cp->origin
 * (note_checkpoint_open requires it). */
sk_status note_checkpoint_sign(uint8_t **out, size_t *out_len, const note_checkpoint *cp,
			       const note_signer *log_key) SK_MUST_CHECK;

/* The cosignature line "— name base64(keyid||timestamp||sig)\n" (NUL-
 * terminated; *out_len excludes the NUL) of a type 0x04 key over a checkpoint
 * body, as a tlog-witness answers add-checkpoint. The cosigner must have
 * opened the checkpoint and checked consistency first. */
sk_status note_cosign_line(char out[static NOTE_COSIG_LINE_MAX], size_t *out_len,
			   const uint8_t *text, size_t text_len, uint64_t timestamp,
			   const note_signer *cosigner) SK_MUST_CHECK;

/* Adds (or replaces) the cosignature of a type 0x04 key to a signed
 * checkpoint note. timestamp <= NOTE_TIMESTAMP_MAX. *out is malloc'd, owned
 * by the caller. */
sk_status note_checkpoint_cosign(uint8_t **out, size_t *out_len, const uint8_t *note,
				 size_t note_len, uint64_t timestamp,
				 const note_signer *cosigner) SK_MUST_CHECK;

/* Opens a signed checkpoint: the log's type 0x01 signature must verify and
 * its key name must equal the origin line; each of the n type 0x04 witness
 * keys is reported in cosigs (n entries, or NULL) with its
 * verified timestamp. A witness line that fails to verify refuses the note.
 * On SK_OK cp->ext points into note. Errors as note_open; on error *cp and
 * cosigs are zeroed. Enforce the quorum with note_cosig_count. */
sk_status note_checkpoint_open(note_checkpoint *cp, note_sig_result *cosigs,
			       const uint8_t *note, size_t note_len,
			       const note_verifier *log_key, const note_verifier *witnesses,
			       size_t n) SK_MUST_CHECK;

/* Counts the witnesses (n entries of cosigs/witnesses as given to
 * note_checkpoint_open) with a verified cosignature at most max_age seconds
 * before now and at most NOTE_COSIG_SKEW_SECONDS after it. Witnesses that
 * share a public key count once. */
size_t note_cosig_count(const note_sig_result *cosigs, const note_verifier *witnesses,
			size_t n, uint64_t now, uint64_t max_age);

#endif
