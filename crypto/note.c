#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "crypto/note.h"

struct note_signer {
	uint8_t type;
	uint8_t key_id[NOTE_KEY_ID_BYTES];
	uint8_t public_key[NOTE_PUBLIC_KEY_BYTES];
	uint8_t secret_key[crypto_sign_SECRETKEYBYTES]; /* seed || public key */
	size_t name_len;
	char name[NOTE_NAME_MAX + 1];
};

/* "— " : U+2014 EM DASH, SPACE */
static const uint8_t sig_prefix[] = {0xe2, 0x80, 0x94, 0x20};
#define SIG_PREFIX_BYTES sizeof(sig_prefix)
#define SKEY_PREFIX "PRIVATE+KEY+"
#define SKEY_PREFIX_BYTES (sizeof(SKEY_PREFIX) - 1)
#define COSIG_HEADER "cosignature/v1\ntime "
/* header + at most 20 digits + '\n' */
#define COSIG_PREFIX_MAX (sizeof(COSIG_HEADER) - 1 + 20 + 1)
#define KEY_BYTES (1 + NOTE_PUBLIC_KEY_BYTES) /* type || key */
#define ED_SIG_BYTES (NOTE_KEY_ID_BYTES + NOTE_SIGNATURE_BYTES)
#define COSIG_BYTES (NOTE_KEY_ID_BYTES + 8 + NOTE_SIGNATURE_BYTES)
#define B64_LEN(n) (((n) + 2) / 3 * 4) /* padded, without NUL */
#define ROOT_B64_LEN B64_LEN(NOTE_HASH_BYTES)

/* ---- text rules ---- */

/* Decodes one well-formed UTF-8 sequence (no overlong forms, surrogates or
 * code points above U+10FFFF); returns its length, 0 if malformed. */
static size_t utf8_decode(uint32_t *cp, const uint8_t *s, size_t n)
{
	uint32_t c = s[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Valid UTF-8 without control characters other than newline. */
static int text_ok(const uint8_t *s, size_t n)
{
	uint32_t cp;

	for (size_t i = 0, k; i < n; i += k) {
		if (s[i] >= 0x20 && s[i] < 0x80) {
			k = 1;
			continue;
		}
		k = utf8_decode(&cp, s + i, n - i);
		if (k == 0 || (cp < 0x20 && cp != '\n'))
			return 0;
	}
	return 1;
}

/* Unicode White_Space (Go's unicode.IsSpace). */
static int is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Key name rules: see note.h. The length cap is checked by callers. */
static int name_ok(const uint8_t *s, size_t n)
{
	uint32_t cp;

	if (n == 0)
		return 0;
	for (size_t i = 0, k; i < n; i += k) {
		k = utf8_decode(&cp, s + i, n - i);
		if (k == 0 || cp < 0x20 || cp == 0x7f || cp == '+' || is_space(cp))
			return 0;
	}
	return 1;
}

/* A text that a note can carry: non-empty, allowed bytes, final newline. */
static int note_text_ok(const uint8_t *text, size_t len)
{
	return len > 0 && text[len - 1] == '\n' && text_ok(text, len);
}

static int type_ok(uint8_t type)
{
	return type == NOTE_TYPE_ED25519 || type == NOTE_TYPE_COSIG;
}

static void key_id(uint8_t out[static NOTE_KEY_ID_BYTES], const char *name, size_t name_len,
		   uint8_t type, const uint8_t public_key[static NOTE_PUBLIC_KEY_BYTES])
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, name_len);
	crypto_hash_sha256_update(&st, (const uint8_t *)"\n", 1);
	crypto_hash_sha256_update(&st, &type, 1);
	crypto_hash_sha256_update(&st, public_key, NOTE_PUBLIC_KEY_BYTES);
	crypto_hash_sha256_final(&st, h);
	memcpy(out, h, NOTE_KEY_ID_BYTES);
}

/* Exactly eight lowercase hex digits. */
static int hex_id_parse(uint8_t out[static NOTE_KEY_ID_BYTES], const char *s)
{
	for (int i = 0; i < 8; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return sodium_hex2bin(out, NOTE_KEY_ID_BYTES, s, 8, NULL, NULL, NULL) == 0;
}

/* Only the RFC 4648 alphabet and '='. WARNING: libsodium 1.0.18's
 * sodium_base642bin decodes every byte >= 0x80 as '/', so base64 from
 * outside is checked here first (else encodings are not unique). */
static int b64_chars_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '='))
			return 0;
	}
	return 1;
}

/* Canonical standard base64 of exactly want bytes (padding required,
 * nothing ignored, no stray bits). */
static int b64_exact(uint8_t *out, size_t want, const char *s, size_t len)
{
	size_t got = 0;

	if (len != B64_LEN(want) || !b64_chars_ok(s, len))
		return 0;
	return sodium_base642bin(out, want, s, len, NULL, &got, NULL,
				 sodium_base64_VARIANT_ORIGINAL) == 0 &&
	       got == want;
}

/* ---- keys ---- */

/* Splits "name+hex+base64" after the caller removed any "PRIVATE+KEY+";
 * checks the name and decodes the id and the type || key material. */
static sk_status key_string_parse(const char **name, size_t *name_len,
				  uint8_t id[static NOTE_KEY_ID_BYTES],
				  uint8_t material[static KEY_BYTES], const char *s, size_t len)
{
	const char *plus = memchr(s, '+', len);
	size_t n;

	if (plus == NULL)
		return SK_ERR_INVALID;
	n = (size_t)(plus - s);
	if (n > NOTE_NAME_MAX)
		return SK_ERR_TOOBIG;
	if (!name_ok((const uint8_t *)s, n) || len - n < 1 + 8 + 1 || plus[9] != '+')
		return SK_ERR_INVALID;
	if (!hex_id_parse(id, plus + 1) || !b64_exact(material, KEY_BYTES, plus + 10, len - n - 10))
		return SK_ERR_INVALID;
	if (!type_ok(material[0]))
		return SK_ERR_INVALID;
	*name = s;
	*name_len = n;
	return SK_OK;
}

static sk_status verifier_set(note_verifier *out, const char *name, size_t name_len,
			      uint8_t type, const uint8_t public_key[static NOTE_PUBLIC_KEY_BYTES])
{
	memset(out, 0, sizeof(*out));
	if (name_len > NOTE_NAME_MAX)
		return SK_ERR_TOOBIG;
	if (!type_ok(type) || !name_ok((const uint8_t *)name, name_len) ||
	    crypto_core_ed25519_is_valid_point(public_key) != 1)
		return SK_ERR_INVALID;
	out->type = type;
	memcpy(out->public_key, public_key, NOTE_PUBLIC_KEY_BYTES);
	memcpy(out->name, name, name_len);
	out->name[name_len] = '\0';
	out->name_len = name_len;
	key_id(out->key_id, name, name_len, type, public_key);
	return SK_OK;
}

sk_status note_verifier_from_public(note_verifier *out, const char *name, uint8_t type,
				    const uint8_t public_key[static NOTE_PUBLIC_KEY_BYTES])
{
	if (name == NULL) {
		memset(out, 0, sizeof(*out));
		return SK_ERR_INVALID;
	}
	return verifier_set(out, name, strnlen(name, NOTE_NAME_MAX + 1), type, public_key);
}

sk_status note_verifier_parse(note_verifier *out, const char *vkey, size_t len)
{
	uint8_t id[NOTE_KEY_ID_BYTES], material[KEY_BYTES];
	const char *name = NULL;
	size_t name_len = 0;
	sk_status st;

	memset(out, 0, sizeof(*out));
	st = key_string_parse(&name, &name_len, id, material, vkey, len);
	if (st != SK_OK)
		goto out;
	st = verifier_set(out, name, name_len, material[0], material + 1);
	if (st != SK_OK)
		goto out;
	if (memcmp(out->key_id, id, NOTE_KEY_ID_BYTES) != 0)
		st = SK_ERR_INVALID;
out:
	if (st != SK_OK)
		memset(out, 0, sizeof(*out));
	return st;
}

/* "name+hex(id)+base64(type||key)" into out (cap bytes), NUL-terminated. */
static sk_status key_string_format(char *out, size_t cap, const char *name, size_t name_len,
				   const uint8_t id[static NOTE_KEY_ID_BYTES],
				   const uint8_t material[static KEY_BYTES])
{
	int n;

	if (name_len > NOTE_NAME_MAX || !name_ok((const uint8_t *)name, name_len))
		return SK_ERR_INVALID;
	n = snprintf(out, cap, "%.*s+%02x%02x%02x%02x+", (int)name_len, name, id[0], id[1],
		     id[2], id[3]);
	if (n < 0 || (size_t)n + B64_LEN(KEY_BYTES) + 1 > cap) {
		out[0] = '\0';
		return SK_ERR_INVALID;
	}
	sodium_bin2base64(out + n, cap - (size_t)n, material, KEY_BYTES,
			  sodium_base64_VARIANT_ORIGINAL);
	return SK_OK;
}

sk_status note_verifier_format(char out[static NOTE_VKEY_MAX], const note_verifier *v)
{
	uint8_t material[KEY_BYTES];

	out[0] = '\0';
	if (!type_ok(v->type))
		return SK_ERR_INVALID;
	material[0] = v->type;
	memcpy(material + 1, v->public_key, NOTE_PUBLIC_KEY_BYTES);
	return key_string_format(out, NOTE_VKEY_MAX, v->name, v->name_len, v->key_id, material);
}

void note_signer_free(note_signer *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, sizeof(*s));
	sodium_free(s);
}

static sk_status signer_new(note_signer **out, const char *name, size_t name_len, uint8_t type,
			    const uint8_t seed[static NOTE_SEED_BYTES])
{
	note_signer *s = NULL;
	sk_status st = SK_ERR_INVALID;

	*out = NULL;
	if (name_len > NOTE_NAME_MAX) {
		st = SK_ERR_TOOBIG;
		goto out;
	}
	if (!type_ok(type) || !name_ok((const uint8_t *)name, name_len))
		goto out;
	s = sodium_malloc(sizeof(*s));
	if (s == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	memset(s, 0, sizeof(*s));
	if (crypto_sign_seed_keypair(s->public_key, s->secret_key, seed) != 0) {
		st = SK_ERR_CRYPTO;
		goto out;
	}
	s->type = type;
	memcpy(s->name, name, name_len);
	s->name_len = name_len;
	key_id(s->key_id, name, name_len, type, s->public_key);
	*out = s;
	s = NULL;
	st = SK_OK;
out:
	note_signer_free(s);
	return st;
}

sk_status note_signer_from_seed(note_signer **out, const char *name, uint8_t type,
				const uint8_t seed[static NOTE_SEED_BYTES])
{
	if (name == NULL) {
		*out = NULL;
		return SK_ERR_INVALID;
	}
	return signer_new(out, name, strnlen(name, NOTE_NAME_MAX + 1), type, seed);
}

sk_status note_signer_generate(note_signer **out, const char *name, uint8_t type)
{
	uint8_t seed[NOTE_SEED_BYTES];
	sk_status st;

	randombytes_buf(seed, sizeof(seed));
	st = note_signer_from_seed(out, name, type, seed);
	sodium_memzero(seed, sizeof(seed));
	return st;
}

sk_status note_signer_parse(note_signer **out, const char *skey, size_t len)
{
	uint8_t id[NOTE_KEY_ID_BYTES], material[KEY_BYTES];
	const char *name = NULL;
	size_t name_len = 0;
	sk_status st = SK_ERR_INVALID;

	*out = NULL;
	if (len < SKEY_PREFIX_BYTES || memcmp(skey, SKEY_PREFIX, SKEY_PREFIX_BYTES) != 0)
		goto out;
	st = key_string_parse(&name, &name_len, id, material, skey + SKEY_PREFIX_BYTES,
			      len - SKEY_PREFIX_BYTES);
	if (st != SK_OK)
		goto out;
	st = signer_new(out, name, name_len, material[0], material + 1);
	if (st != SK_OK)
		goto out;
	if (memcmp((*out)->key_id, id, NOTE_KEY_ID_BYTES) != 0) {
		note_signer_free(*out);
		*out = NULL;
		st = SK_ERR_INVALID;
	}
out:
	sodium_memzero(material, sizeof(material));
	return st;
}

sk_status note_signer_format(char out[static NOTE_SKEY_MAX], const note_signer *s)
{
	uint8_t material[KEY_BYTES];
	sk_status st;

	memcpy(out, SKEY_PREFIX, SKEY_PREFIX_BYTES);
	material[0] = s->type;
	memcpy(material + 1, s->secret_key, NOTE_SEED_BYTES);
	st = key_string_format(out + SKEY_PREFIX_BYTES, NOTE_SKEY_MAX - SKEY_PREFIX_BYTES, s->name,
			       s->name_len, s->key_id, material);
	if (st != SK_OK)
		sodium_memzero(out, NOTE_SKEY_MAX);
	sodium_memzero(material, sizeof(material));
	return st;
}

void note_signer_verifier(note_verifier *out, const note_signer *s)
{
	memset(out, 0, sizeof(*out));
	out->type = s->type;
	memcpy(out->key_id, s->key_id, NOTE_KEY_ID_BYTES);
	memcpy(out->public_key, s->public_key, NOTE_PUBLIC_KEY_BYTES);
	memcpy(out->name, s->name, s->name_len);
	out->name_len = s->name_len;
}

/* ---- signature lines ---- */

/* buf holds COSIG_PREFIX_MAX free bytes followed by the text; writes the
 * header for timestamp ts just before the text and returns the message
 * "cosignature/v1\ntime <ts>\n" || text (tlog-cosignature, Ed25519). */
static const uint8_t *cosig_message(size_t *len, uint8_t *buf, size_t text_len, uint64_t ts)
{
	char hdr[COSIG_PREFIX_MAX + 1];
	int n = snprintf(hdr, sizeof(hdr), COSIG_HEADER "%" PRIu64 "\n", ts);
	uint8_t *m = buf + COSIG_PREFIX_MAX - (size_t)n;

	memcpy(m, hdr, (size_t)n);
	*len = (size_t)n + text_len;
	return m;
}

static uint8_t *cosig_buffer(const uint8_t *text, size_t text_len)
{
	uint8_t *buf = malloc(COSIG_PREFIX_MAX + text_len);

	if (buf != NULL)
		memcpy(buf + COSIG_PREFIX_MAX, text, text_len);
	return buf;
}

static size_t sig_line_len(const note_signer *s)
{
	size_t raw = s->type == NOTE_TYPE_COSIG ? COSIG_BYTES : ED_SIG_BYTES;

	return SIG_PREFIX_BYTES + s->name_len + 1 + B64_LEN(raw) + 1;
}

/* Writes the signature line of s over text (sig_line_len(s) bytes, no NUL).
 * ts is used by type 0x04 keys only. */
static sk_status sig_line_write(uint8_t *out, const uint8_t *text, size_t text_len, uint64_t ts,
				const note_signer *s)
{
	uint8_t raw[COSIG_BYTES], *buf = NULL;
	char b64[B64_LEN(COSIG_BYTES) + 1];
	size_t raw_len = ED_SIG_BYTES, b64_len;
	sk_status st = SK_ERR_CRYPTO;

	memcpy(raw, s->key_id, NOTE_KEY_ID_BYTES);
	if (s->type == NOTE_TYPE_ED25519) {
		if (crypto_sign_detached(raw + NOTE_KEY_ID_BYTES, NULL, text, text_len,
					 s->secret_key) != 0)
			goto out;
	} else {
		const uint8_t *msg;
		size_t msg_len;

		if (ts > NOTE_TIMESTAMP_MAX) {
			st = SK_ERR_INVALID;
			goto out;
		}
		buf = cosig_buffer(text, text_len);
		if (buf == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
		msg = cosig_message(&msg_len, buf, text_len, ts);
		sk_be64_put(raw + NOTE_KEY_ID_BYTES, ts);
		if (crypto_sign_detached(raw + NOTE_KEY_ID_BYTES + 8, NULL, msg, msg_len,
					 s->secret_key) != 0)
			goto out;
		raw_len = COSIG_BYTES;
	}
	sodium_bin2base64(b64, sizeof(b64), raw, raw_len, sodium_base64_VARIANT_ORIGINAL);
	b64_len = B64_LEN(raw_len);
	memcpy(out, sig_prefix, SIG_PREFIX_BYTES);
	out += SIG_PREFIX_BYTES;
	memcpy(out, s->name, s->name_len);
	out += s->name_len;
	*out++ = ' ';
	memcpy(out, b64, b64_len);
	out[b64_len] = '\n';
	st = SK_OK;
out:
	free(buf);
	return st;
}

/* One parsed signature line. */
typedef struct sig_line {
	const uint8_t *name;
	size_t name_len;
	uint8_t key_id[NOTE_KEY_ID_BYTES];
	const uint8_t *sig; /* after the key id, in the caller's scratch */
	size_t sig_len;
} sig_line;

/* Parses one signature line "— name base64" (len bytes, newline excluded);
 * the signature is decoded into scratch (cap >= len bytes). */
static sk_status sig_line_parse(sig_line *out, uint8_t *scratch, const uint8_t *line, size_t len)
{
	const uint8_t *sp;
	size_t raw_len = 0, b64_len;

	if (len < SIG_PREFIX_BYTES || memcmp(line, sig_prefix, SIG_PREFIX_BYTES) != 0)
		return SK_ERR_INVALID;
	line += SIG_PREFIX_BYTES;
	len -= SIG_PREFIX_BYTES;
	sp = memchr(line, ' ', len);
	if (sp == NULL)
		return SK_ERR_INVALID;
	out->name = line;
	out->name_len = (size_t)(sp - line);
	b64_len = len - out->name_len - 1;
	if (!name_ok(out->name, out->name_len) || b64_len == 0 ||
	    !b64_chars_ok((const char *)sp + 1, b64_len))
		return SK_ERR_INVALID;
	if (sodium_base642bin(scratch, len, (const char *)sp + 1, b64_len, NULL, &raw_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    raw_len < NOTE_KEY_ID_BYTES + 1)
		return SK_ERR_INVALID;
	memcpy(out->key_id, scratch, NOTE_KEY_ID_BYTES);
	out->sig = scratch + NOTE_KEY_ID_BYTES;
	out->sig_len = raw_len - NOTE_KEY_ID_BYTES;
	return SK_OK;
}

/* Splits a note into its text (with final newline) and signature block
 * (lines each ending in '\n') at the last blank line, after the checks of
 * c2sp.org/signed-note and our caps. */
static sk_status note_split(const uint8_t **text, size_t *text_len, const uint8_t **sigs,
			    size_t *sigs_len, const uint8_t *note, size_t note_len)
{
	size_t i, lines = 0;

	if (note_len > NOTE_MAX_BYTES)
		return SK_ERR_TOOBIG;
	if (note == NULL || !note_text_ok(note, note_len))
		return SK_ERR_INVALID;
	/* the last "\n\n"; the signature block after it holds no empty line */
	for (i = note_len - 1; i > 0; i--) {
		if (note[i] == '\n' && note[i - 1] == '\n')
			break;
	}
	if (i == 0 || i + 1 == note_len)
		return SK_ERR_INVALID;
	*text = note;
	*text_len = i;
	*sigs = note + i + 1;
	*sigs_len = note_len - i - 1;
	for (size_t k = 0; k < *sigs_len; k++)
		lines += (*sigs)[k] == '\n';
	if (lines > NOTE_MAX_SIGS)
		return SK_ERR_TOOBIG;
	return SK_OK;
}

static int line_is_key(const sig_line *l, const char *name, size_t name_len,
		       const uint8_t id[static NOTE_KEY_ID_BYTES])
{
	return l->name_len == name_len && memcmp(l->name, name, name_len) == 0 &&
	       memcmp(l->key_id, id, NOTE_KEY_ID_BYTES) == 0;
}

static int same_key(const note_signer *s, const char *name, size_t name_len,
		    const uint8_t id[static NOTE_KEY_ID_BYTES])
{
	return s->name_len == name_len && memcmp(s->name, name, name_len) == 0 &&
	       memcmp(s->key_id, id, NOTE_KEY_ID_BYTES) == 0;
}

/* Walks the old signature lines (each checked) that none of the n signers
 * replaces: copies them to out unless it is NULL, and counts their bytes
 * and lines. scratch holds old_len bytes for the parser. */
static sk_status kept_lines(uint8_t *out, size_t *bytes, size_t *lines, uint8_t *scratch,
			    const uint8_t *old, size_t old_len, const note_signer *const *signers,
			    size_t n)
{
	*bytes = 0;
	*lines = 0;
	for (size_t k = 0; k < old_len;) {
		const uint8_t *nl = memchr(old + k, '\n', old_len - k);
		size_t len = (size_t)(nl - (old + k));
		int replaced = 0;
		sig_line l;
		sk_status st;

		if ((st = sig_line_parse(&l, scratch, old + k, len)) != SK_OK)
			return st;
		for (size_t i = 0; i < n; i++)
			replaced |= line_is_key(&l, signers[i]->name, signers[i]->name_len,
						signers[i]->key_id);
		if (!replaced) {
			if (out != NULL)
				memcpy(out + *bytes, old + k, len + 1);
			*bytes += len + 1;
			(*lines)++;
		}
		k += len + 1;
	}
	return SK_OK;
}

/* Writes text, the blank line, the kept old signature lines (old: a
 * signature block already checked by note_split) and new lines by the n
 * signers into a new buffer. */
static sk_status note_build(uint8_t **out, size_t *out_len, const uint8_t *text, size_t text_len,
			    const uint8_t *old, size_t old_len, uint64_t ts,
			    const note_signer *const *signers, size_t n)
{
	uint8_t *buf = NULL, *scratch = NULL, *p;
	size_t total = text_len + 1, count = n, kept = 0, kept_count = 0;
	sk_status st = SK_ERR_INVALID;

	*out = NULL;
	*out_len = 0;
	if (n == 0 || signers == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (signers[i] == NULL)
			goto out;
		for (size_t j = 0; j < i; j++)
			if (same_key(signers[j], signers[i]->name, signers[i]->name_len,
				     signers[i]->key_id))
				goto out;
		total += sig_line_len(signers[i]);
	}
	if (old_len > 0) {
		scratch = malloc(old_len);
		if (scratch == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
	}
	/* first pass: check the old lines and size what is kept */
	if ((st = kept_lines(NULL, &kept, &kept_count, scratch, old, old_len, signers, n)) != SK_OK)
		goto out;
	total += kept;
	count += kept_count;
	if (count > NOTE_MAX_SIGS || total > NOTE_MAX_BYTES) {
		st = SK_ERR_TOOBIG;
		goto out;
	}
	buf = malloc(total);
	if (buf == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	memcpy(buf, text, text_len);
	p = buf + text_len;
	*p++ = '\n';
	if ((st = kept_lines(p, &kept, &kept_count, scratch, old, old_len, signers, n)) != SK_OK)
		goto out;
	p += kept;
	for (size_t i = 0; i < n; i++) {
		st = sig_line_write(p, text, text_len, ts, signers[i]);
		if (st != SK_OK)
			goto out;
		p += sig_line_len(signers[i]);
	}
	*out = buf;
	*out_len = total;
	buf = NULL;
	st = SK_OK;
out:
	free(buf);
	free(scratch);
	return st;
}

static int signers_of_type(const note_signer *const *signers, size_t n, uint8_t type)
{
	if (signers == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (signers[i] == NULL || signers[i]->type != type)
			return 0;
	}
	return 1;
}

sk_status note_sign(uint8_t **out, size_t *out_len, const uint8_t *text, size_t text_len,
		    const note_signer *const *signers, size_t n)
{
	*out = NULL;
	*out_len = 0;
	if (text_len > NOTE_MAX_BYTES)
		return SK_ERR_TOOBIG;
	if (text == NULL || !note_text_ok(text, text_len) ||
	    !signers_of_type(signers, n, NOTE_TYPE_ED25519))
		return SK_ERR_INVALID;
	return note_build(out, out_len, text, text_len, NULL, 0, 0, signers, n);
}

sk_status note_add_signatures(uint8_t **out, size_t *out_len, const uint8_t *note,
			      size_t note_len, const note_signer *const *signers, size_t n)
{
	const uint8_t *text = NULL, *sigs = NULL;
	size_t text_len = 0, sigs_len = 0;
	sk_status st;

	*out = NULL;
	*out_len = 0;
	st = note_split(&text, &text_len, &sigs, &sigs_len, note, note_len);
	if (st != SK_OK)
		return st;
	if (!signers_of_type(signers, n, NOTE_TYPE_ED25519))
		return SK_ERR_INVALID;
	return note_build(out, out_len, text, text_len, sigs, sigs_len, 0, signers, n);
}

/* ---- opening ---- */

/* A group of configured keys and where their results go (res may be NULL). */
typedef struct keyset {
	const note_verifier *keys;
	note_sig_result *res;
	size_t n;
} keyset;

/* Verifies line l, known to be by key k. cbuf: the lazily made cosignature
 * buffer for text. */
static sk_status verify_line(note_sig_result *res, const sig_line *l, const note_verifier *k,
			     const uint8_t *text, size_t text_len, uint8_t **cbuf)
{
	uint64_t ts = 0;

	if (k->type == NOTE_TYPE_ED25519) {
		if (l->sig_len != NOTE_SIGNATURE_BYTES ||
		    crypto_sign_verify_detached(l->sig, text, text_len, k->public_key) != 0)
			return SK_ERR_VERIFY;
	} else {
		const uint8_t *msg;
		size_t msg_len;

		if (l->sig_len != 8 + NOTE_SIGNATURE_BYTES)
			return SK_ERR_VERIFY;
		ts = sk_be64_get(l->sig);
		if (ts > NOTE_TIMESTAMP_MAX)
			return SK_ERR_VERIFY;
		if (*cbuf == NULL && (*cbuf = cosig_buffer(text, text_len)) == NULL)
			return SK_ERR_NOMEM;
		msg = cosig_message(&msg_len, *cbuf, text_len, ts);
		if (crypto_sign_verify_detached(l->sig + 8, msg, msg_len, k->public_key) != 0)
			return SK_ERR_VERIFY;
	}
	if (res != NULL) {
		res->verified = 1;
		if (ts > res->timestamp)
			res->timestamp = ts;
	}
	return SK_OK;
}

static void results_clear(const keyset *sets, size_t nsets)
{
	for (size_t s = 0; s < nsets; s++) {
		if (sets[s].res != NULL)
			memset(sets[s].res, 0, sets[s].n * sizeof(*sets[s].res));
	}
}

/* The common part of note_open and note_checkpoint_open; *verified counts
 * the lines that verified. */
static sk_status open_sets(const uint8_t **text_out, size_t *text_len_out, size_t *verified,
			   const uint8_t *note, size_t note_len, const keyset *sets, size_t nsets)
{
	const uint8_t *text = NULL, *sigs = NULL;
	size_t text_len = 0, sigs_len = 0;
	uint8_t *scratch = NULL, *cbuf = NULL;
	sk_status st;

	*text_out = NULL;
	*text_len_out = 0;
	*verified = 0;
	results_clear(sets, nsets);
	st = note_split(&text, &text_len, &sigs, &sigs_len, note, note_len);
	if (st != SK_OK)
		goto out;
	scratch = malloc(sigs_len);
	if (scratch == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	for (size_t k = 0; k < sigs_len;) {
		const uint8_t *nl = memchr(sigs + k, '\n', sigs_len - k);
		size_t len = (size_t)(nl - (sigs + k));
		sig_line l;

		st = sig_line_parse(&l, scratch, sigs + k, len);
		if (st != SK_OK)
			goto out;
		/* key name and id first; only a known key's signature is checked */
		for (size_t s = 0; s < nsets; s++) {
			for (size_t i = 0; i < sets[s].n; i++) {
				const note_verifier *key = &sets[s].keys[i];

				if (!line_is_key(&l, key->name, key->name_len, key->key_id))
					continue;
				note_sig_result *res = sets[s].res ? &sets[s].res[i] : NULL;

				st = verify_line(res, &l, key, text, text_len, &cbuf);
				if (st != SK_OK)
					goto out;
				(*verified)++;
			}
		}
		k += len + 1;
	}
	*text_out = text;
	*text_len_out = text_len;
	st = SK_OK;
out:
	if (st != SK_OK) {
		results_clear(sets, nsets);
		*verified = 0;
	}
	free(scratch);
	free(cbuf);
	return st;
}

static int keys_ok(const note_verifier *keys, size_t n, int want_type)
{
	if (n > 0 && keys == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (want_type ? keys[i].type != want_type : !type_ok(keys[i].type))
			return 0;
		if (keys[i].name_len > NOTE_NAME_MAX)
			return 0;
	}
	return 1;
}

sk_status note_open(const uint8_t **text, size_t *text_len, note_sig_result *results,
		    const uint8_t *note, size_t note_len, const note_verifier *keys, size_t n)
{
	keyset set = {keys, results, n};
	size_t verified = 0;
	sk_status st;

	*text = NULL;
	*text_len = 0;
	if (!keys_ok(keys, n, 0)) {
		results_clear(&set, 1);
		return SK_ERR_INVALID;
	}
	st = open_sets(text, text_len, &verified, note, note_len, &set, 1);
	if (st == SK_OK && verified == 0) {
		*text = NULL;
		*text_len = 0;
		st = SK_ERR_VERIFY;
	}
	return st;
}

/* ---- checkpoints ---- */

static int origin_ok(const char *origin, size_t len)
{
	return len > 0 && len <= NOTE_ORIGIN_MAX && memchr(origin, '\n', len) == NULL &&
	       text_ok((const uint8_t *)origin, len);
}

/* Extension lines: empty, or non-empty lines each ending in '\n'. */
static int ext_ok(const uint8_t *ext, size_t len)
{
	if (len == 0)
		return 1;
	if (ext == NULL || ext[0] == '\n' || !note_text_ok(ext, len))
		return 0;
	for (size_t i = 1; i < len; i++) {
		if (ext[i] == '\n' && ext[i - 1] == '\n')
			return 0;
	}
	return 1;
}

sk_status note_checkpoint_format(uint8_t **out, size_t *out_len, const note_checkpoint *cp)
{
	size_t origin_len = strnlen(cp->origin, sizeof(cp->origin)), total;
	char head[20 + 1 + ROOT_B64_LEN + 1 + 1];
	uint8_t *buf = NULL;
	int n;

	*out = NULL;
	*out_len = 0;
	if (!origin_ok(cp->origin, origin_len) || !ext_ok(cp->ext, cp->ext_len))
		return SK_ERR_INVALID;
	n = snprintf(head, sizeof(head), "%" PRIu64 "\n", cp->size);
	sodium_bin2base64(head + n, sizeof(head) - (size_t)n, cp->root, NOTE_HASH_BYTES,
			  sodium_base64_VARIANT_ORIGINAL);
	n += ROOT_B64_LEN;
	head[n++] = '\n';
	total = origin_len + 1 + (size_t)n + cp->ext_len;
	if (total > NOTE_MAX_BYTES)
		return SK_ERR_TOOBIG;
	buf = malloc(total);
	if (buf == NULL)
		return SK_ERR_NOMEM;
	memcpy(buf, cp->origin, origin_len);
	buf[origin_len] = '\n';
	memcpy(buf + origin_len + 1, head, (size_t)n);
	if (cp->ext_len > 0)
		memcpy(buf + origin_len + 1 + (size_t)n, cp->ext, cp->ext_len);
	*out = buf;
	*out_len = total;
	return SK_OK;
}

/* Decimal without sign or leading zeros (but "0"), fitting 64 bits. */
static int size_parse(uint64_t *out, const uint8_t *s, size_t len)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*out = v;
	return 1;
}

sk_status note_checkpoint_parse(note_checkpoint *cp, const uint8_t *text, size_t text_len)
{
	const uint8_t *p = text, *end = text + text_len, *nl;
	sk_status st = SK_ERR_INVALID;

	memset(cp, 0, sizeof(*cp));
	if (text_len > NOTE_MAX_BYTES) {
		st = SK_ERR_TOOBIG;
		goto out;
	}
	if (text == NULL || !note_text_ok(text, text_len))
		goto out;
	/* origin */
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == p)
		goto out;
	if ((size_t)(nl - p) > NOTE_ORIGIN_MAX) {
		st = SK_ERR_TOOBIG;
		goto out;
	}
	memcpy(cp->origin, p, (size_t)(nl - p));
	p = nl + 1;
	/* tree size */
	if (p == end || (nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
	    !size_parse(&cp->size, p, (size_t)(nl - p)))
		goto out;
	p = nl + 1;
	/* root hash */
	if (p == end || (nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
	    !b64_exact(cp->root, NOTE_HASH_BYTES, (const char *)p, (size_t)(nl - p)))
		goto out;
	p = nl + 1;
	/* extension lines */
	if (!ext_ok(p, (size_t)(end - p)))
		goto out;
	if (p < end) {
		cp->ext = p;
		cp->ext_len = (size_t)(end - p);
	}
	st = SK_OK;
out:
	if (st != SK_OK)
		memset(cp, 0, sizeof(*cp));
	return st;
}

sk_status note_checkpoint_sign(uint8_t **out, size_t *out_len, const note_checkpoint *cp,
			       const note_signer *log_key)
{
	uint8_t *body = NULL;
	size_t body_len = 0;
	sk_status st;

	*out = NULL;
	*out_len = 0;
	st = note_checkpoint_format(&body, &body_len, cp);
	if (st != SK_OK)
		goto out;
	st = note_sign(out, out_len, body, body_len, &log_key, 1);
out:
	free(body);
	return st;
}

sk_status note_cosign_line(char out[static NOTE_COSIG_LINE_MAX], size_t *out_len,
			   const uint8_t *text, size_t text_len, uint64_t timestamp,
			   const note_signer *cosigner)
{
	note_checkpoint cp;
	sk_status st = SK_ERR_INVALID;

	out[0] = '\0';
	*out_len = 0;
	if (cosigner == NULL || cosigner->type != NOTE_TYPE_COSIG || timestamp > NOTE_TIMESTAMP_MAX)
		goto out;
	st = note_checkpoint_parse(&cp, text, text_len);
	if (st != SK_OK)
		goto out;
	st = sig_line_write((uint8_t *)out, text, text_len, timestamp, cosigner);
	if (st != SK_OK)
		goto out;
	*out_len = sig_line_len(cosigner);
	out[*out_len] = '\0';
out:
	return st;
}

sk_status note_checkpoint_cosign(uint8_t **out, size_t *out_len, const uint8_t *note,
				 size_t note_len, uint64_t timestamp,
				 const note_signer *cosigner)
{
	const uint8_t *text = NULL, *sigs = NULL;
	size_t text_len = 0, sigs_len = 0;
	note_checkpoint cp;
	sk_status st = SK_ERR_INVALID;

	*out = NULL;
	*out_len = 0;
	if (cosigner == NULL || cosigner->type != NOTE_TYPE_COSIG || timestamp > NOTE_TIMESTAMP_MAX)
		goto out;
	st = note_split(&text, &text_len, &sigs, &sigs_len, note, note_len);
	if (st != SK_OK)
		goto out;
	st = note_checkpoint_parse(&cp, text, text_len);
	if (st != SK_OK)
		goto out;
	st = note_build(out, out_len, text, text_len, sigs, sigs_len, timestamp, &cosigner, 1);
out:
	return st;
}

sk_status note_checkpoint_open(note_checkpoint *cp, note_sig_result *cosigs,
			       const uint8_t *note, size_t note_len,
			       const note_verifier *log_key, const note_verifier *witnesses,
			       size_t n)
{
	note_sig_result log_res = {0, 0};
	keyset sets[2] = {{log_key, &log_res, 1}, {witnesses, cosigs, n}};
	const uint8_t *text = NULL;
	size_t text_len = 0, verified = 0;
	sk_status st = SK_ERR_INVALID;

	memset(cp, 0, sizeof(*cp));
	results_clear(&sets[1], 1);
	if (log_key == NULL || !keys_ok(log_key, 1, NOTE_TYPE_ED25519) ||
	    !keys_ok(witnesses, n, NOTE_TYPE_COSIG))
		goto out;
	st = open_sets(&text, &text_len, &verified, note, note_len, sets, 2);
	if (st != SK_OK)
		goto out;
	if (!log_res.verified) {
		st = SK_ERR_VERIFY;
		goto out;
	}
	st = note_checkpoint_parse(cp, text, text_len);
	if (st != SK_OK)
		goto out;
	if (strlen(cp->origin) != log_key->name_len ||
	    memcmp(cp->origin, log_key->name, log_key->name_len) != 0)
		st = SK_ERR_VERIFY;
out:
	if (st != SK_OK) {
		memset(cp, 0, sizeof(*cp));
		results_clear(&sets[1], 1);
	}
	return st;
}

static int cosig_fresh(const note_sig_result *r, uint64_t now, uint64_t max_age)
{
	if (!r->verified)
		return 0;
	if (r->timestamp > now)
		return r->timestamp - now <= NOTE_COSIG_SKEW_SECONDS;
	return now - r->timestamp <= max_age;
}

size_t note_cosig_count(const note_sig_result *cosigs, const note_verifier *witnesses,
			size_t n, uint64_t now, uint64_t max_age)
{
	size_t count = 0;

	if (cosigs == NULL || witnesses == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int dup = 0;

		if (!cosig_fresh(&cosigs[i], now, max_age))
			continue;
		for (size_t j = 0; j < i && !dup; j++) {
			dup = cosig_fresh(&cosigs[j], now, max_age) &&
			      memcmp(witnesses[j].public_key, witnesses[i].public_key,
				     NOTE_PUBLIC_KEY_BYTES) == 0;
		}
		count += !dup;
	}
	return count;
}
