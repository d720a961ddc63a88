#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "crypto/note.h"
#include "test_util.h"

#define EM "\xe2\x80\x94" /* U+2014 */

/* ---- helpers ---- */

/* Reads tests/vectors/c2sp/<name>, NUL-terminated; free() it. */
static char *t_read(const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/c2sp/%s", SK_VECTORS_DIR, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* A one-line key file without its newline. */
static char *t_read_line(const char *name, size_t *len)
{
	char *s = t_read(name, len);

	assert_true(*len > 0 && s[*len - 1] == '\n');
	s[--*len] = '\0';
	return s;
}

static note_signer *t_signer(const char *name, uint8_t type, uint8_t seed_byte)
{
	uint8_t seed[NOTE_SEED_BYTES];
	note_signer *s = NULL;

	memset(seed, seed_byte, sizeof(seed));
	E(note_signer_from_seed(&s, name, type, seed));
	return s;
}

static note_verifier t_vkey(const note_signer *s)
{
	note_verifier v;

	note_signer_verifier(&v, s);
	return v;
}

static sk_status t_open(const char *note, const note_verifier *keys, size_t n)
{
	const uint8_t *text;
	size_t text_len;

	return note_open(&text, &text_len, NULL, (const uint8_t *)note, strlen(note), keys, n);
}

/* note_sign on a C string, returned NUL-terminated (free()). */
static char *t_sign(const char *text, const note_signer *const *signers, size_t n)
{
	uint8_t *out = NULL;
	size_t len = 0;
	char *s;

	E(note_sign(&out, &len, (const uint8_t *)text, strlen(text), signers, n));
	s = malloc(len + 1);
	assert_non_null(s);
	memcpy(s, out, len);
	s[len] = '\0';
	free(out);
	return s;
}

/* Concatenation, malloc'd. */
static char *t_cat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	assert_non_null(s);
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

/* First occurrence of needle in buf[0..len), or NULL. */
static const uint8_t *t_find(const uint8_t *buf, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++) {
		if (memcmp(buf + i, needle, n) == 0)
			return buf + i;
	}
	return NULL;
}

/* "— name base64(raw)\n", malloc'd. */
static char *t_line(const char *name, const uint8_t *raw, size_t raw_len)
{
	char b64[1024], *s;
	size_t n;

	sodium_bin2base64(b64, sizeof(b64), raw, raw_len, sodium_base64_VARIANT_ORIGINAL);
	n = strlen(EM " ") + strlen(name) + 1 + strlen(b64) + 2;
	s = malloc(n);
	assert_non_null(s);
	snprintf(s, n, EM " %s %s\n", name, b64);
	return s;
}

/* Decodes the signature of the line starting at line (up to '\n'). */
static size_t t_line_raw(uint8_t *raw, size_t cap, const char *line)
{
	const char *b64 = strchr(line + strlen(EM " "), ' ') + 1;
	const char *nl = strchr(b64, '\n');
	size_t n = 0;

	assert_int_equal(sodium_base642bin(raw, cap, b64, (size_t)(nl - b64), NULL, &n, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	return n;
}

/* ---- keys ---- */

static void test_example_vkey(void **state)
{
	size_t len;
	char *vkey = t_read_line("example-vkey.txt", &len);
	char out[NOTE_VKEY_MAX];
	note_verifier v;
	static const uint8_t id[4] = {0x53, 0x0d, 0x90, 0x3a};

	E(note_verifier_parse(&v, vkey, len));
	assert_int_equal(v.type, NOTE_TYPE_ED25519);
	assert_string_equal(v.name, "example.com/foo");
	assert_int_equal(v.name_len, 15);
	assert_memory_equal(v.key_id, id, 4);
	E(note_verifier_format(out, &v));
	assert_string_equal(out, vkey);
	free(vkey);
}

static void test_example_note(void **state)
{
	size_t klen, nlen, text_len;
	char *vkey = t_read_line("example-vkey.txt", &klen);
	char *note = t_read("example-note.txt", &nlen);
	const uint8_t *text;
	note_sig_result res[2];
	note_verifier v[2];
	note_signer *other = t_signer("example.com/foo", NOTE_TYPE_ED25519, 7);

	E(note_verifier_parse(&v[0], vkey, klen));
	E(note_open(&text, &text_len, res, (const uint8_t *)note, nlen, v, 1));
	assert_int_equal(text_len, strlen("This is an example message.\n"));
	assert_memory_equal(text, "This is an example message.\n", text_len);
	assert_ptr_equal(text, (const uint8_t *)note); /* points into the input */
	assert_int_equal(res[0].verified, 1);
	assert_int_equal(res[0].timestamp, 0);

	/* same name, other key (so another key id): ignored, alone it fails */
	v[1] = t_vkey(other);
	EFAIL(note_open(&text, &text_len, res, (const uint8_t *)note, nlen, &v[1], 1),
	      SK_ERR_VERIFY);
	assert_null(text);
	assert_int_equal(res[0].verified, 0);
	E(note_open(&text, &text_len, res, (const uint8_t *)note, nlen, v, 2));
	assert_int_equal(res[0].verified, 1);
	assert_int_equal(res[1].verified, 0);

	/* every single-byte change of the text or signature fails */
	for (size_t i = 0; i < nlen - 1; i++) {
		char saved = note[i];
		sk_status st;

		if (i >= text_len && i < text_len + 1 + strlen(EM " example.com/foo "))
			continue; /* the line head: changes give a malformed or unknown line */
		note[i] = (char)(note[i] ^ 0x01);
		st = note_open(&text, &text_len, res, (const uint8_t *)note, nlen, v, 1);
		if (st != SK_ERR_VERIFY && st != SK_ERR_INVALID)
			fail_msg("byte %zu: %s", i, sk_strerror(st));
		note[i] = saved;
	}
	note_signer_free(other);
	free(vkey);
	free(note);
}

/* The Go package's example: its skey reproduces its signature exactly. */
static void test_go_example(void **state)
{
	size_t sl, pl, el, nl, n2l, text_len;
	char *skey = t_read_line("go-peter-skey.txt", &sl);
	char *pkey = t_read_line("go-peter-vkey.txt", &pl);
	char *ekey = t_read_line("go-enoch-vkey.txt", &el);
	char *note = t_read("go-note.txt", &nl);
	char *note2 = t_read("go-note-2sig.txt", &n2l);
	const char *text = "If you think cryptography is the answer to your problem,\n"
			   "then you don't know what your problem is.\n";
	char skey_out[NOTE_SKEY_MAX], vkey_out[NOTE_VKEY_MAX];
	note_signer *peter = NULL;
	note_verifier v[2], pv;
	note_sig_result res[2];
	const uint8_t *t;
	uint8_t *out = NULL;
	size_t out_len = 0;

	E(note_signer_parse(&peter, skey, sl));
	E(note_signer_format(skey_out, peter));
	assert_string_equal(skey_out, skey);
	sodium_memzero(skey_out, sizeof(skey_out));
	pv = t_vkey(peter);
	E(note_verifier_format(vkey_out, &pv));
	assert_string_equal(vkey_out, pkey);

	E(note_sign(&out, &out_len, (const uint8_t *)text, strlen(text),
		    (const note_signer *const *)&peter, 1));
	assert_int_equal(out_len, nl);
	assert_memory_equal(out, note, nl);
	free(out);

	E(note_verifier_parse(&v[0], pkey, pl));
	E(note_verifier_parse(&v[1], ekey, el));
	E(note_open(&t, &text_len, res, (const uint8_t *)note, nl, v, 2));
	assert_int_equal(text_len, strlen(text));
	assert_int_equal(res[0].verified, 1);
	assert_int_equal(res[1].verified, 0);
	E(note_open(&t, &text_len, res, (const uint8_t *)note2, n2l, v, 2));
	assert_int_equal(res[0].verified + res[1].verified, 2);
	E(note_open(&t, &text_len, res, (const uint8_t *)note2, n2l, &v[1], 1));
	assert_int_equal(res[0].verified, 1);

	/* re-signing by Peter replaces his line by the identical one */
	E(note_add_signatures(&out, &out_len, (const uint8_t *)note2, n2l,
			      (const note_signer *const *)&peter, 1));
	assert_int_equal(out_len, n2l);
	/* Enoch's line is kept, Peter's moves to the end */
	assert_memory_equal(out, note2, strlen(text) + 1);
	assert_ptr_equal(t_find(out, out_len, EM " EnochRoot "), out + strlen(text) + 1);
	E(note_open(&t, &text_len, res, out, out_len, v, 2));
	assert_int_equal(res[0].verified + res[1].verified, 2);
	free(out);

	note_signer_free(peter);
	free(skey);
	free(pkey);
	free(ekey);
	free(note);
	free(note2);
}

static void test_vkey_reject(void **state)
{
	static const char *const bad[] = {
		"",
		"example.com/foo",
		"example.com/foo+530d903a",
		"example.com/foo+530d903a+",
		"+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",     /* empty name */
		"example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", /* upper hex */
		"example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", /* wrong id */
		"example.com/fop+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", /* other name */
		"example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  /* 7 digits */
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2l", /* stray bits */
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",  /* truncated */
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k\n",
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k ",
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2kAA==",
		"example.com/foo+530d903a+BekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", /* type */
		"exa mple.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq\200LDE4izWy10TW", /* '/' */
		"example.com\t/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com\xc2\xa0/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"example.com\xff/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
	};
	note_verifier v;
	uint8_t pk[32] = {0};
	char name[NOTE_NAME_MAX + 2];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sk_status st = note_verifier_parse(&v, bad[i], strlen(bad[i]));

		if (st == SK_OK)
			fail_msg("accepted bad vkey %zu: %s", i, bad[i]);
		assert_int_equal(v.type, 0);
	}
	/* a NUL inside: length says more than strlen */
	EFAIL(note_verifier_parse(&v, "a\0b+00000000+AA==", 17), SK_ERR_INVALID);

	/* small-order point (identity) with its correct key id */
	pk[0] = 1;
	EFAIL(note_verifier_from_public(&v, "example.com/foo", NOTE_TYPE_ED25519, pk),
	      SK_ERR_INVALID);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	{
		note_signer *s = t_signer("x", NOTE_TYPE_ED25519, 1);
		note_verifier good = t_vkey(s);

		EFAIL(note_verifier_from_public(&v, name, NOTE_TYPE_ED25519, good.public_key),
		      SK_ERR_TOOBIG);
		name[NOTE_NAME_MAX] = '\0';
		E(note_verifier_from_public(&v, name, NOTE_TYPE_ED25519, good.public_key));
		EFAIL(note_verifier_from_public(&v, "x", 0x02, good.public_key), SK_ERR_INVALID);
		note_signer_free(s);
	}
}

static void test_key_names(void **state)
{
	static const char *const bad[] = {
		"", "a+b", "a b", "a\tb", "a\nb", "a\x7f", "a\x01", "a\302\240b",
		"a\342\200\203b", "a\343\200\200b", "a\342\200\250b", "a\302\205b",
		"a\xc0\xaf", "a\xed\xa0\x80", "a\xe2\x80", "\xff",
	};
	static const char *const good[] = {
		"example.com/foo", "zorg.example/wijkteam-\xc3\xbc", "\xe2\x9c\x93", "a-b_c.d/e:f",
	};
	note_signer *s = NULL;
	uint8_t seed[NOTE_SEED_BYTES] = {0};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (note_signer_from_seed(&s, bad[i], NOTE_TYPE_ED25519, seed) == SK_OK)
			fail_msg("accepted bad name %zu", i);
		assert_null(s);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char vk[NOTE_VKEY_MAX];
		note_verifier v, w;

		E(note_signer_from_seed(&s, good[i], NOTE_TYPE_COSIG, seed));
		v = t_vkey(s);
		E(note_verifier_format(vk, &v));
		E(note_verifier_parse(&w, vk, strlen(vk)));
		assert_memory_equal(&v, &w, sizeof(v));
		assert_int_equal(w.type, NOTE_TYPE_COSIG);
		note_signer_free(s);
	}
	EFAIL(note_signer_from_seed(&s, "a", 0x02, seed), SK_ERR_INVALID);
	EFAIL(note_signer_from_seed(&s, NULL, NOTE_TYPE_ED25519, seed), SK_ERR_INVALID);
}

static void test_skey(void **state)
{
	note_signer *s = NULL, *t = NULL;
	char skey[NOTE_SKEY_MAX], bad[NOTE_SKEY_MAX];
	note_verifier v, w;
	size_t n;

	E(note_signer_generate(&s, "witness.example/w1", NOTE_TYPE_COSIG));
	E(note_signer_format(skey, s));
	assert_memory_equal(skey, "PRIVATE+KEY+witness.example/w1+", 31);
	n = strlen(skey);
	E(note_signer_parse(&t, skey, n));
	v = t_vkey(s);
	w = t_vkey(t);
	assert_memory_equal(&v, &w, sizeof(v));
	note_signer_free(t);

	/* the key id binds name, type and key */
	memcpy(bad, skey, n + 1);
	bad[31] = bad[31] == '0' ? '1' : '0';
	EFAIL(note_signer_parse(&t, bad, n), SK_ERR_INVALID);
	assert_null(t);
	memcpy(bad, skey, n + 1);
	bad[12] = 'W';
	EFAIL(note_signer_parse(&t, bad, n), SK_ERR_INVALID);
	EFAIL(note_signer_parse(&t, skey + 12, n - 12), SK_ERR_INVALID); /* no PRIVATE+KEY+ */
	memcpy(bad, skey, n + 1);
	bad[0] = 'p';
	EFAIL(note_signer_parse(&t, bad, n), SK_ERR_INVALID);
	EFAIL(note_signer_parse(&t, skey, n - 1), SK_ERR_INVALID);
	/* a vkey is not an skey */
	{
		char vk[NOTE_VKEY_MAX + 12];

		memcpy(vk, "PRIVATE+KEY+", 12);
		E(note_verifier_format(vk + 12, &v));
		EFAIL(note_signer_parse(&t, vk, strlen(vk)), SK_ERR_INVALID);
	}
	sodium_memzero(skey, sizeof(skey));
	sodium_memzero(bad, sizeof(bad));
	note_signer_free(s);
	note_signer_free(NULL);
}

/* ---- notes ---- */

static void test_sign_open(void **state)
{
	note_signer *a = t_signer("a.example/log", NOTE_TYPE_ED25519, 1);
	note_signer *b = t_signer("b.example/log", NOTE_TYPE_ED25519, 2);
	const note_signer *ab[2] = {a, b};
	note_verifier v[2] = {t_vkey(a), t_vkey(b)};
	note_sig_result res[2];
	static const char *const texts[] = {
		"hello\n", "\n", "a\n\nb\n", "a\n\n", "a\n\n" EM " x AAAAAAA=\n",
		"caf\xc3\xa9 \x7f\n",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *note = t_sign(texts[i], ab, 2);
		const uint8_t *text;
		size_t text_len;

		E(note_open(&text, &text_len, res, (const uint8_t *)note, strlen(note), v, 2));
		assert_int_equal(text_len, strlen(texts[i]));
		assert_memory_equal(text, texts[i], text_len);
		assert_int_equal(res[0].verified + res[1].verified, 2);
		free(note);
	}
	{
		uint8_t *out = NULL;
		size_t len = 0;
		note_signer *c = t_signer("c.example", NOTE_TYPE_COSIG, 3);
		const note_signer *aa[2] = {a, a};

		EFAIL(note_sign(&out, &len, (const uint8_t *)"x", 1, ab, 1), SK_ERR_INVALID);
		EFAIL(note_sign(&out, &len, (const uint8_t *)"", 0, ab, 1), SK_ERR_INVALID);
		EFAIL(note_sign(&out, &len, (const uint8_t *)"x\ty\n", 4, ab, 1), SK_ERR_INVALID);
		EFAIL(note_sign(&out, &len, (const uint8_t *)"\xff\n", 2, ab, 1), SK_ERR_INVALID);
		EFAIL(note_sign(&out, &len, (const uint8_t *)"x\n", 2, ab, 0), SK_ERR_INVALID);
		EFAIL(note_sign(&out, &len, (const uint8_t *)"x\n", 2,
				(const note_signer *const *)&c, 1),
		      SK_ERR_INVALID);
		EFAIL(note_sign(&out, &len, (const uint8_t *)"x\n", 2, aa, 2), SK_ERR_INVALID);
		assert_null(out);
		note_signer_free(c);
	}
	note_signer_free(a);
	note_signer_free(b);
}

static void test_add_signatures(void **state)
{
	note_signer *a = t_signer("a.example", NOTE_TYPE_ED25519, 1);
	note_signer *b = t_signer("b.example", NOTE_TYPE_ED25519, 2);
	note_verifier v[2] = {t_vkey(a), t_vkey(b)};
	note_sig_result res[2];
	char *note = t_sign("text\n", (const note_signer *const *)&a, 1);
	uint8_t junk[68] = {1, 2, 3, 4};
	char *unknown = t_line("z.example", junk, sizeof(junk));
	char *with = t_cat(note, unknown);
	uint8_t *out = NULL;
	size_t out_len = 0, text_len;
	const uint8_t *text;

	E(note_add_signatures(&out, &out_len, (const uint8_t *)with, strlen(with),
			      (const note_signer *const *)&b, 1));
	/* the unknown line is kept, b's is appended */
	assert_memory_equal(out, with, strlen(with));
	E(note_open(&text, &text_len, res, out, out_len, v, 2));
	assert_int_equal(res[0].verified + res[1].verified, 2);
	free(out);
	EFAIL(note_add_signatures(&out, &out_len, (const uint8_t *)"text\n", 5,
				  (const note_signer *const *)&b, 1),
	      SK_ERR_INVALID);
	free(note);
	free(unknown);
	free(with);
	note_signer_free(a);
	note_signer_free(b);
}

static void test_open_reject(void **state)
{
	note_signer *a = t_signer("a.example", NOTE_TYPE_ED25519, 1);
	note_signer *b = t_signer("b.example", NOTE_TYPE_ED25519, 2);
	note_signer *a2 = t_signer("a.example", NOTE_TYPE_ED25519, 9); /* same name */
	note_verifier va = t_vkey(a), vb = t_vkey(b), v2[2] = {t_vkey(a), t_vkey(b)};
	const note_signer *ab[2] = {a, b};
	char *note = t_sign("hello\nworld\n", (const note_signer *const *)&a, 1);
	char *both = t_sign("hello\nworld\n", ab, 2);
	char *bnote = t_sign("other\n", (const note_signer *const *)&b, 1);
	char *aline = strstr(note, EM), *bline = strstr(bnote, EM);
	size_t len = strlen(note);
	uint8_t raw[128];
	size_t raw_len;
	char *s, *l;

	E(t_open(note, &va, 1));
	/* forged: one bit of the signature */
	s = strdup(note);
	raw_len = t_line_raw(raw, sizeof(raw), aline);
	raw[10] ^= 1;
	l = t_line("a.example", raw, raw_len);
	memcpy(s + (aline - note), l, strlen(l));
	EFAIL(t_open(s, &va, 1), SK_ERR_VERIFY);
	free(l);
	free(s);
	/* tampered text */
	s = strdup(note);
	s[0] = 'j';
	EFAIL(t_open(s, &va, 1), SK_ERR_VERIFY);
	free(s);
	/* wrong key: unknown, nothing verified */
	EFAIL(t_open(note, &vb, 1), SK_ERR_VERIFY);
	/* key id mismatch (same name, other key): ignored */
	{
		note_verifier v3[2] = {t_vkey(a2), t_vkey(a)};
		note_sig_result res[2];
		const uint8_t *t;
		size_t tl;

		EFAIL(t_open(note, v3, 1), SK_ERR_VERIFY);
		E(note_open(&t, &tl, res, (const uint8_t *)note, len, v3, 2));
		assert_int_equal(res[0].verified, 0);
		assert_int_equal(res[1].verified, 1);
	}
	/* name mismatch (same key id under another name): ignored */
	raw_len = t_line_raw(raw, sizeof(raw), aline);
	l = t_line("b.example", raw, raw_len);
	s = t_cat(note, l);
	E(t_open(s, &va, 1));
	EFAIL(t_open(s, &vb, 1), SK_ERR_VERIFY);
	free(s);
	free(l);
	/* an unknown key with a bad signature is ignored */
	raw[20] ^= 1;
	l = t_line("c.example", raw, raw_len);
	s = t_cat(note, l);
	E(t_open(s, &va, 1));
	free(s);
	free(l);
	/* a known key whose signature fails rejects the whole note */
	s = t_cat(note, bline); /* b signed another text */
	EFAIL(t_open(s, v2, 2), SK_ERR_VERIFY);
	E(t_open(s, &va, 1)); /* without b's key the line is unknown */
	free(s);
	/* known key, wrong signature length */
	raw_len = t_line_raw(raw, sizeof(raw), aline);
	l = t_line("a.example", raw, raw_len - 1);
	s = t_cat(note, l);
	EFAIL(t_open(s, &va, 1), SK_ERR_VERIFY);
	free(s);
	free(l);
	/* duplicate lines: identical ones are fine; a bad one by the same key is not */
	s = t_cat(note, aline);
	E(t_open(s, &va, 1));
	free(s);
	raw[30] ^= 1;
	l = t_line("a.example", raw, raw_len);
	s = t_cat(note, l);
	EFAIL(t_open(s, &va, 1), SK_ERR_VERIFY);
	free(s);
	free(l);
	E(t_open(both, v2, 2));

	note_signer_free(a);
	note_signer_free(b);
	note_signer_free(a2);
	free(note);
	free(both);
	free(bnote);
}

static void test_open_malformed(void **state)
{
	note_signer *a = t_signer("a.example", NOTE_TYPE_ED25519, 1);
	note_verifier va = t_vkey(a);
	char *note = t_sign("hello\n", (const note_signer *const *)&a, 1);
	const char *b64 = strchr(strstr(note, EM) + 4, ' ') + 1;
	char buf[512];
	static const char *const texts[] = {
		"hel\tlo\n", "hel\rlo\n", "hel\x1blo\n", "h\377llo\n", "h\xc0\x80llo\n",
		"h\xed\xa0\x80llo\n", "h\xf4\x90\x80\x80llo\n", "h\xe2\x80llo\n", "h\x80llo\n",
	};
	static const char *const heads[] = {
		EM "  ",             /* empty name */
		EM " a+b ",          /* '+' in the name */
		EM " a\302\240b ", /* Unicode space in the name */
		"- a.example ",      /* no em dash */
		EM "a.example ",     /* no space after the dash */
		" " EM " a.example ",
	};

	E(t_open(note, &va, 1));
	/* missing final newline */
	snprintf(buf, sizeof(buf), "%.*s", (int)strlen(note) - 1, note);
	EFAIL(t_open(buf, &va, 1), SK_ERR_INVALID);
	/* no blank line */
	snprintf(buf, sizeof(buf), "hello\n%s", strstr(note, EM));
	EFAIL(t_open(buf, &va, 1), SK_ERR_INVALID);
	/* no signature after the blank line, or an empty line among them */
	EFAIL(t_open("hello\n\n", &va, 1), SK_ERR_INVALID);
	snprintf(buf, sizeof(buf), "%s\n", note);
	EFAIL(t_open(buf, &va, 1), SK_ERR_INVALID);
	EFAIL(t_open("", &va, 1), SK_ERR_INVALID);
	/* control characters and bad UTF-8 anywhere, even in the signed text */
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		snprintf(buf, sizeof(buf), "%s\n%s", texts[i], strstr(note, EM));
		EFAIL(t_open(buf, &va, 1), SK_ERR_INVALID);
	}
	snprintf(buf, sizeof(buf), "%s", note);
	buf[2] = '\0';
	{
		const uint8_t *t;
		size_t tl;

		EFAIL(note_open(&t, &tl, NULL, (const uint8_t *)buf, strlen(note), &va, 1),
		      SK_ERR_INVALID);
	}
	/* malformed signature lines */
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		snprintf(buf, sizeof(buf), "hello\n\n%s%s", heads[i], b64);
		EFAIL(t_open(buf, &va, 1), SK_ERR_INVALID);
	}
	EFAIL(t_open("hello\n\n" EM " a.example\n", &va, 1), SK_ERR_INVALID);
	EFAIL(t_open("hello\n\n" EM " a.example \n", &va, 1), SK_ERR_INVALID);
	EFAIL(t_open("hello\n\n" EM " a.example AAAA\n", &va, 1), SK_ERR_INVALID); /* 3 bytes */
	EFAIL(t_open("hello\n\n" EM " a.example AAAAAA==\n", &va, 1), SK_ERR_INVALID);
	EFAIL(t_open("hello\n\n" EM " a.example AAAAAAA\n", &va, 1), SK_ERR_INVALID);
	EFAIL(t_open("hello\n\n" EM " a.example AAAAAAB=\n", &va, 1), SK_ERR_INVALID);
	EFAIL(t_open("hello\n\n" EM " a.example AAAA AAA=\n", &va, 1), SK_ERR_INVALID);
	EFAIL(t_open("hello\n\n" EM " a.example AAAAAA\303\277\n", &va, 1), SK_ERR_INVALID);
	/* a well-formed unknown line alone: parsed, nothing verified */
	EFAIL(t_open("hello\n\n" EM " a.example AAAAAAA=\n", &va, 1), SK_ERR_VERIFY);
	EFAIL(t_open(note, NULL, 0), SK_ERR_VERIFY);
	free(note);
	note_signer_free(a);
}

static void test_limits(void **state)
{
	enum { N = NOTE_MAX_SIGS + 1 };
	note_signer *s[N];
	note_verifier v[N];
	note_sig_result res[N];
	const uint8_t *t;
	size_t tl, len;
	uint8_t *out = NULL, *big;
	char *note, *more;
	char name[32];

	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "w%d.example", i);
		s[i] = t_signer(name, NOTE_TYPE_ED25519, (uint8_t)(i + 1));
		v[i] = t_vkey(s[i]);
	}
	/* 16 signatures: all verified */
	note = t_sign("sixteen\n", (const note_signer *const *)s, 16);
	E(note_open(&t, &tl, res, (const uint8_t *)note, strlen(note), v, 16));
	for (int i = 0; i < 16; i++)
		assert_int_equal(res[i].verified, 1);
	E(note_open(&t, &tl, res, (const uint8_t *)note, strlen(note), &v[15], 1));
	free(note);
	/* the cap: NOTE_MAX_SIGS lines pass, one more does not */
	note = t_sign("many\n", (const note_signer *const *)s, NOTE_MAX_SIGS);
	E(note_open(&t, &tl, NULL, (const uint8_t *)note, strlen(note), v, 1));
	EFAIL(note_sign(&out, &len, (const uint8_t *)"many\n", 5, (const note_signer *const *)s, N),
	      SK_ERR_TOOBIG);
	EFAIL(note_add_signatures(&out, &len, (const uint8_t *)note, strlen(note),
				  (const note_signer *const *)&s[NOTE_MAX_SIGS], 1),
	      SK_ERR_TOOBIG);
	more = t_cat(note, EM " x.example AAAAAAA=\n");
	EFAIL(note_open(&t, &tl, NULL, (const uint8_t *)more, strlen(more), v, 1), SK_ERR_TOOBIG);
	free(more);
	free(note);
	/* the size cap */
	big = malloc(NOTE_MAX_BYTES + 1);
	assert_non_null(big);
	memset(big, 'a', NOTE_MAX_BYTES + 1);
	big[NOTE_MAX_BYTES] = '\n';
	EFAIL(note_open(&t, &tl, NULL, big, NOTE_MAX_BYTES + 1, v, 1), SK_ERR_TOOBIG);
	big[NOTE_MAX_BYTES - 11] = '\n';
	EFAIL(note_sign(&out, &len, big, NOTE_MAX_BYTES - 10, (const note_signer *const *)s, 1),
	      SK_ERR_TOOBIG);
	big[NOTE_MAX_BYTES - 200] = '\n';
	E(note_sign(&out, &len, big, NOTE_MAX_BYTES - 199, (const note_signer *const *)s, 1));
	E(note_open(&t, &tl, NULL, out, len, v, 1));
	free(out);
	free(big);
	for (int i = 0; i < N; i++)
		note_signer_free(s[i]);
}

/* ---- checkpoints ---- */

static void test_checkpoint_format(void **state)
{
	note_checkpoint cp, back;
	uint8_t *out = NULL;
	size_t len = 0;
	static const char want[] = "schakel.example/log\n0\n"
				   "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
	static const char ext[] = "ext one\nsecond \xc3\xa9xtension\n";

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "schakel.example/log");
	for (int i = 0; i < 32; i++)
		cp.root[i] = (uint8_t)i;
	E(note_checkpoint_format(&out, &len, &cp));
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	E(note_checkpoint_parse(&back, out, len));
	assert_string_equal(back.origin, cp.origin);
	assert_int_equal(back.size, 0);
	assert_memory_equal(back.root, cp.root, 32);
	assert_null(back.ext);
	free(out);

	cp.size = UINT64_MAX;
	cp.ext = (const uint8_t *)ext;
	cp.ext_len = strlen(ext);
	E(note_checkpoint_format(&out, &len, &cp));
	E(note_checkpoint_parse(&back, out, len));
	assert_true(back.size == UINT64_MAX);
	assert_int_equal(back.ext_len, strlen(ext));
	assert_memory_equal(back.ext, ext, strlen(ext));
	assert_ptr_equal(back.ext, out + len - strlen(ext));
	assert_non_null(t_find(out, len, "\n18446744073709551615\n"));
	free(out);

	/* format refuses what parse would refuse */
	cp.ext_len = 3;
	EFAIL(note_checkpoint_format(&out, &len, &cp), SK_ERR_INVALID); /* no final newline */
	cp.ext = (const uint8_t *)"a\n\nb\n";
	cp.ext_len = 5;
	EFAIL(note_checkpoint_format(&out, &len, &cp), SK_ERR_INVALID);
	cp.ext = (const uint8_t *)"\n";
	cp.ext_len = 1;
	EFAIL(note_checkpoint_format(&out, &len, &cp), SK_ERR_INVALID);
	cp.ext = NULL;
	cp.ext_len = 0;
	cp.origin[0] = '\0';
	EFAIL(note_checkpoint_format(&out, &len, &cp), SK_ERR_INVALID);
	snprintf(cp.origin, sizeof(cp.origin), "a\tb");
	EFAIL(note_checkpoint_format(&out, &len, &cp), SK_ERR_INVALID);
	snprintf(cp.origin, sizeof(cp.origin), "a\nb");
	EFAIL(note_checkpoint_format(&out, &len, &cp), SK_ERR_INVALID);
	memset(cp.origin, 'o', sizeof(cp.origin));
	EFAIL(note_checkpoint_format(&out, &len, &cp), SK_ERR_INVALID);
	assert_null(out);
}

static void test_checkpoint_parse(void **state)
{
	static const char *const bad[] = {
		"",
		"o\n",
		"o\n1\n",
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",        /* no newline */
		"\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",       /* empty origin */
		"o\n01\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",     /* leading zero */
		"o\n00\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",     /* negative */
		"o\n+1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n 1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n1 \nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n0x1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",       /* empty size */
		"o\n18446744073709551616\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n99999999999999999999\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",        /* unpadded */
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n",      /* stray bits */
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh*=\n",      /* bad char */
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",      /* 31 bytes */
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n",      /* 33 bytes */
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",    /* empty ext line */
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\ne\n\n",
		"o\n1\n\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\to\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",   /* control */
		"o\xff\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", /* bad UTF-8 */
		/* non-ASCII where libsodium 1.0.18 would read "//" */
		"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH\303\277=\n",
	};
	note_checkpoint cp;
	size_t len;
	char *spec = t_read("example-cosigned-checkpoint.txt", &len);
	char *blank = strstr(spec, "\n\n");
	char origin[NOTE_ORIGIN_MAX + 64];
	uint8_t root[32];
	size_t root_len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sk_status st = note_checkpoint_parse(&cp, (const uint8_t *)bad[i], strlen(bad[i]));

		if (st == SK_OK)
			fail_msg("accepted bad checkpoint %zu", i);
		assert_int_equal(cp.size, 0);
		assert_int_equal(cp.origin[0], 0);
	}
	/* the spec's example */
	E(note_checkpoint_parse(&cp, (const uint8_t *)spec, (size_t)(blank - spec) + 1));
	assert_string_equal(cp.origin, "example.com/behind-the-sofa");
	assert_int_equal(cp.size, 20852163);
	assert_int_equal(sodium_base642bin(root, sizeof(root),
					   "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", 44, NULL,
					   &root_len, NULL, sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_memory_equal(cp.root, root, 32);
	E(note_checkpoint_parse(&cp, (const uint8_t *)"o\n18446744073709551615\n"
			      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", 68));
	/* origin cap */
	memset(origin, 'o', NOTE_ORIGIN_MAX + 1);
	snprintf(origin + NOTE_ORIGIN_MAX + 1, sizeof(origin) - NOTE_ORIGIN_MAX - 1,
		 "\n0\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
	EFAIL(note_checkpoint_parse(&cp, (const uint8_t *)origin, strlen(origin)), SK_ERR_TOOBIG);
	E(note_checkpoint_parse(&cp, (const uint8_t *)origin + 1, strlen(origin) - 1));
	assert_int_equal(strlen(cp.origin), NOTE_ORIGIN_MAX);
	free(spec);
}

static void test_checkpoint_sign_open(void **state)
{
	note_signer *log = t_signer("schakel.example/log", NOTE_TYPE_ED25519, 1);
	note_signer *other = t_signer("other.example/log", NOTE_TYPE_ED25519, 2);
	note_verifier vlog = t_vkey(log), vother = t_vkey(other);
	note_checkpoint cp, got;
	uint8_t *note = NULL, *note2 = NULL;
	size_t len = 0, len2 = 0;
	static const char ext[] = "schakel ext\n";

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "schakel.example/log");
	cp.size = 42;
	memset(cp.root, 0xab, sizeof(cp.root));
	cp.ext = (const uint8_t *)ext;
	cp.ext_len = strlen(ext);
	E(note_checkpoint_sign(&note, &len, &cp, log));
	E(note_checkpoint_open(&got, NULL, note, len, &vlog, NULL, 0));
	assert_string_equal(got.origin, cp.origin);
	assert_int_equal(got.size, 42);
	assert_memory_equal(got.root, cp.root, 32);
	assert_int_equal(got.ext_len, strlen(ext));
	assert_memory_equal(got.ext, ext, strlen(ext));
	assert_true(got.ext > note && got.ext < note + len);

	/* a log key must match the origin */
	snprintf(cp.origin, sizeof(cp.origin), "other.example/log");
	E(note_checkpoint_sign(&note2, &len2, &cp, log));
	EFAIL(note_checkpoint_open(&got, NULL, note2, len2, &vlog, NULL, 0), SK_ERR_VERIFY);
	assert_int_equal(got.size, 0);
	free(note2);
	/* not signed by the log */
	E(note_checkpoint_sign(&note2, &len2, &cp, other));
	EFAIL(note_checkpoint_open(&got, NULL, note2, len2, &vlog, NULL, 0), SK_ERR_VERIFY);
	E(note_checkpoint_open(&got, NULL, note2, len2, &vother, NULL, 0));
	free(note2);
	/* tampered size */
	note2 = malloc(len);
	assert_non_null(note2);
	memcpy(note2, note, len);
	note2[strlen("schakel.example/log\n")] = '5'; /* "42" -> "52" */
	EFAIL(note_checkpoint_open(&got, NULL, note2, len, &vlog, NULL, 0), SK_ERR_VERIFY);
	free(note2);
	/* a signed text that is no checkpoint */
	{
		char *s = t_sign("schakel.example/log\n1\n", (const note_signer *const *)&log, 1);

		EFAIL(note_checkpoint_open(&got, NULL, (const uint8_t *)s, strlen(s), &vlog, NULL,
					   0),
		      SK_ERR_INVALID);
		free(s);
	}
	/* key types: the log key is 0x01, witnesses are 0x04 */
	EFAIL(note_checkpoint_open(&got, NULL, note, len, &vlog, &vother, 1), SK_ERR_INVALID);
	vother.type = NOTE_TYPE_COSIG;
	EFAIL(note_checkpoint_open(&got, NULL, note, len, &vother, NULL, 0), SK_ERR_INVALID);
	free(note);
	note_signer_free(log);
	note_signer_free(other);
}

/* ---- cosignatures ---- */

/* The signed message of tlog-cosignature.md byte for byte: our cosignature of
 * the spec's checkpoint at the spec's time verifies over the spec's bytes. */
static void test_cosig_message_vector(void **state)
{
	size_t mlen, clen, line_len;
	char *msg = t_read("example-cosig-message.txt", &mlen);
	char *cosigned = t_read("example-cosigned-checkpoint.txt", &clen);
	size_t body_len = (size_t)(strstr(cosigned, "\n\n") - cosigned) + 1;
	note_signer *w = t_signer("witness.example.com/w1", NOTE_TYPE_COSIG, 5);
	note_verifier vw = t_vkey(w);
	char line[NOTE_COSIG_LINE_MAX];
	uint8_t raw[128], spec_raw[128];
	size_t raw_len;
	const char *spec_line = strstr(cosigned, EM " witness.example.com/w1 ");

	E(note_cosign_line(line, &line_len, (const uint8_t *)cosigned, body_len, 1679315147, w));
	assert_int_equal(line_len, strlen(line));
	assert_memory_equal(line, EM " witness.example.com/w1 ", 27);
	raw_len = t_line_raw(raw, sizeof(raw), line);
	assert_int_equal(raw_len, 4 + 8 + 64);
	assert_memory_equal(raw, vw.key_id, 4);
	assert_int_equal(crypto_sign_verify_detached(raw + 12, (const uint8_t *)msg, mlen,
						     vw.public_key),
			 0);
	/* the spec's own line has the same layout: id, then the same time */
	assert_non_null(spec_line);
	assert_int_equal(t_line_raw(spec_raw, sizeof(spec_raw), spec_line), 76);
	assert_memory_equal(spec_raw + 4, raw + 4, 8);
	assert_memory_equal(raw + 4, "\0\0\0\0\x64\x18\x50\xcb", 8);

	/* the spec's note is well formed: with keys it does not know, it is
	 * refused for lack of a known signature, not as malformed */
	{
		note_signer *log = t_signer("example.com/behind-the-sofa", NOTE_TYPE_ED25519, 6);
		note_verifier vlog = t_vkey(log);
		note_checkpoint cp;
		note_sig_result res;

		EFAIL(note_checkpoint_open(&cp, &res, (const uint8_t *)cosigned, clen, &vlog, &vw,
					   1),
		      SK_ERR_VERIFY);
		note_signer_free(log);
	}
	note_signer_free(w);
	free(msg);
	free(cosigned);
}

typedef struct cosig_fixture {
	note_signer *log, *w1, *w2;
	note_verifier vlog, vw[2];
	uint8_t *note; /* log-signed checkpoint */
	size_t len;
} cosig_fixture;

static void fixture_make(cosig_fixture *f, uint64_t size)
{
	note_checkpoint cp;

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "schakel.example/log");
	cp.size = size;
	memset(cp.root, (int)size, sizeof(cp.root));
	f->log = t_signer("schakel.example/log", NOTE_TYPE_ED25519, 1);
	f->w1 = t_signer("w1.example/witness", NOTE_TYPE_COSIG, 2);
	f->w2 = t_signer("w2.example/witness", NOTE_TYPE_COSIG, 3);
	f->vlog = t_vkey(f->log);
	f->vw[0] = t_vkey(f->w1);
	f->vw[1] = t_vkey(f->w2);
	E(note_checkpoint_sign(&f->note, &f->len, &cp, f->log));
}

static void fixture_free(cosig_fixture *f)
{
	note_signer_free(f->log);
	note_signer_free(f->w1);
	note_signer_free(f->w2);
	free(f->note);
}

static void test_cosign_open(void **state)
{
	cosig_fixture f;
	uint8_t *c1 = NULL, *c2 = NULL, *c3 = NULL;
	size_t l1 = 0, l2 = 0, l3 = 0;
	note_checkpoint cp;
	note_sig_result res[2];
	const uint64_t t1 = 1700000000, t2 = 1700000100;

	fixture_make(&f, 7);
	/* no cosignatures yet: the log's signature alone opens it */
	E(note_checkpoint_open(&cp, res, f.note, f.len, &f.vlog, f.vw, 2));
	assert_int_equal(res[0].verified + res[1].verified, 0);
	assert_int_equal(note_cosig_count(res, f.vw, 2, t1, 3600), 0);

	E(note_checkpoint_cosign(&c1, &l1, f.note, f.len, t1, f.w1));
	E(note_checkpoint_cosign(&c2, &l2, c1, l1, t2, f.w2));
	E(note_checkpoint_open(&cp, res, c2, l2, &f.vlog, f.vw, 2));
	assert_int_equal(cp.size, 7);
	assert_int_equal(res[0].verified, 1);
	assert_true(res[0].timestamp == t1);
	assert_int_equal(res[1].verified, 1);
	assert_true(res[1].timestamp == t2);

	/* the quorum: fresh within max_age, a little future skew */
	assert_int_equal(note_cosig_count(res, f.vw, 2, t2, 3600), 2);
	assert_int_equal(note_cosig_count(res, f.vw, 2, t1 + 3600, 3600), 2);
	assert_int_equal(note_cosig_count(res, f.vw, 2, t1 + 3601, 3600), 1);
	assert_int_equal(note_cosig_count(res, f.vw, 2, t2 + 3601, 3600), 0);
	assert_int_equal(note_cosig_count(res, f.vw, 2, t1 - NOTE_COSIG_SKEW_SECONDS, 3600), 1);
	assert_int_equal(note_cosig_count(res, f.vw, 2, t1 - NOTE_COSIG_SKEW_SECONDS - 1, 3600), 0);
	{
		/* one key listed twice counts once */
		note_verifier twice[2] = {f.vw[0], f.vw[0]};
		note_sig_result r2[2];

		E(note_checkpoint_open(&cp, r2, c2, l2, &f.vlog, twice, 2));
		assert_int_equal(r2[0].verified + r2[1].verified, 2);
		assert_int_equal(note_cosig_count(r2, twice, 2, t2, 3600), 1);
	}

	/* the generic opener reports cosigners too */
	{
		note_verifier keys[3] = {f.vlog, f.vw[0], f.vw[1]};
		note_sig_result r3[3];
		const uint8_t *t;
		size_t tl;

		E(note_open(&t, &tl, r3, c2, l2, keys, 3));
		assert_true(r3[0].verified && r3[1].verified && r3[2].verified);
		assert_true(r3[0].timestamp == 0 && r3[2].timestamp == t2);
		/* a cosignature alone satisfies note_open, never checkpoint_open */
		E(note_open(&t, &tl, r3, c2, l2, &keys[1], 1));
	}

	/* re-cosigning replaces the witness's line */
	E(note_checkpoint_cosign(&c3, &l3, c2, l2, t2 + 5, f.w1));
	assert_int_equal(l3, l2);
	E(note_checkpoint_open(&cp, res, c3, l3, &f.vlog, f.vw, 2));
	assert_true(res[0].timestamp == t2 + 5);
	free(c3);

	/* note_cosign_line gives the line that checkpoint_cosign appends */
	{
		char line[NOTE_COSIG_LINE_MAX];
		size_t ll;
		size_t body = (size_t)(t_find(f.note, f.len, "\n\n") - f.note) + 1;

		E(note_cosign_line(line, &ll, f.note, body, t1, f.w1));
		assert_int_equal(l1, f.len + ll);
		assert_memory_equal(c1 + f.len, line, ll);
		EFAIL(note_cosign_line(line, &ll, (const uint8_t *)"x\n", 2, t1, f.w1),
		      SK_ERR_INVALID);
		EFAIL(note_cosign_line(line, &ll, f.note, body, t1, f.log), SK_ERR_INVALID);
	}

	/* misuse */
	EFAIL(note_checkpoint_cosign(&c3, &l3, f.note, f.len, t1, f.log), SK_ERR_INVALID);
	EFAIL(note_checkpoint_cosign(&c3, &l3, f.note, f.len, (uint64_t)INT64_MAX + 1, f.w1),
	      SK_ERR_INVALID);
	E(note_checkpoint_cosign(&c3, &l3, f.note, f.len, (uint64_t)INT64_MAX, f.w1));
	E(note_checkpoint_open(&cp, res, c3, l3, &f.vlog, f.vw, 2));
	assert_true(res[0].timestamp == (uint64_t)INT64_MAX);
	free(c3);
	{
		char *s = t_sign("not a checkpoint\n", (const note_signer *const *)&f.log, 1);

		EFAIL(note_checkpoint_cosign(&c3, &l3, (const uint8_t *)s, strlen(s), t1, f.w1),
		      SK_ERR_INVALID);
		free(s);
	}
	free(c1);
	free(c2);
	fixture_free(&f);
}

static void test_cosign_reject(void **state)
{
	cosig_fixture f, g;
	uint8_t *c1 = NULL, *d1 = NULL;
	size_t l1 = 0, dl = 0;
	note_checkpoint cp;
	note_sig_result res[2];
	uint8_t raw[128];
	size_t raw_len;
	char *line, *s, *wline, *c1s;

	fixture_make(&f, 7);
	E(note_checkpoint_cosign(&c1, &l1, f.note, f.len, 1700000000, f.w1));
	c1s = malloc(l1 + 1);
	assert_non_null(c1s);
	memcpy(c1s, c1, l1);
	c1s[l1] = '\0';
	wline = strstr(c1s, EM " w1.example/witness ");
	assert_non_null(wline);
	/* NUL-terminated copy of the log-signed note for t_cat */
	s = malloc(f.len + 1);
	assert_non_null(s);
	memcpy(s, f.note, f.len);
	s[f.len] = '\0';

	/* tampered timestamp */
	raw_len = t_line_raw(raw, sizeof(raw), wline);
	raw[11] ^= 1;
	line = t_line("w1.example/witness", raw, raw_len);
	{
		char *n = t_cat(s, line);

		EFAIL(note_checkpoint_open(&cp, res, (const uint8_t *)n, strlen(n), &f.vlog, f.vw, 2),
		      SK_ERR_VERIFY);
		assert_int_equal(res[0].verified, 0);
		assert_int_equal(cp.size, 0);
		/* without the witness key the bad line is unknown and ignored */
		E(note_checkpoint_open(&cp, res, (const uint8_t *)n, strlen(n), &f.vlog, &f.vw[1], 1));
		free(n);
	}
	free(line);
	/* a timestamp >= 2^63, validly signed, is refused */
	{
		uint8_t seed[32], pk[32], sk[64], m[512];
		size_t body = (size_t)(strstr(s, "\n\n") - s) + 1;
		int n = snprintf((char *)m, sizeof(m), "cosignature/v1\ntime %llu\n",
				 (unsigned long long)INT64_MAX + 1);
		char *nn;

		memset(seed, 2, sizeof(seed)); /* w1 */
		crypto_sign_seed_keypair(pk, sk, seed);
		memcpy(m + n, s, body);
		memcpy(raw, f.vw[0].key_id, 4);
		memcpy(raw + 4, "\x80\0\0\0\0\0\0\0", 8);
		crypto_sign_detached(raw + 12, NULL, m, (size_t)n + body, sk);
		line = t_line("w1.example/witness", raw, 76);
		nn = t_cat(s, line);
		EFAIL(note_checkpoint_open(&cp, res, (const uint8_t *)nn, strlen(nn), &f.vlog, f.vw, 2),
		      SK_ERR_VERIFY);
		free(nn);
		free(line);
		sodium_memzero(sk, sizeof(sk));
	}
	/* a plain (type 0x01) note signature by the witness's key and name has
	 * another key id: ignored by the cosigner key, and vice versa */
	{
		note_signer *plain = t_signer("w1.example/witness", NOTE_TYPE_ED25519, 2);
		note_verifier vplain = t_vkey(plain);
		note_verifier keys[2] = {f.vlog, vplain};
		note_sig_result r[2];
		const uint8_t *t;
		size_t tl;

		assert_memory_not_equal(vplain.key_id, f.vw[0].key_id, 4);
		E(note_add_signatures(&d1, &dl, f.note, f.len, (const note_signer *const *)&plain, 1));
		E(note_checkpoint_open(&cp, res, d1, dl, &f.vlog, f.vw, 2));
		assert_int_equal(res[0].verified, 0);
		E(note_open(&t, &tl, r, c1, l1, keys, 2));
		assert_int_equal(r[0].verified, 1);
		assert_int_equal(r[1].verified, 0);
		/* the cosignature bytes under the 0x01 key id: a known key, bad signature */
		raw_len = t_line_raw(raw, sizeof(raw), wline);
		memcpy(raw, vplain.key_id, 4);
		line = t_line("w1.example/witness", raw, raw_len);
		{
			char *n = t_cat(s, line);

			EFAIL(note_open(&t, &tl, r, (const uint8_t *)n, strlen(n), keys, 2),
			      SK_ERR_VERIFY);
			free(n);
		}
		free(line);
		free(d1);
		note_signer_free(plain);
	}
	/* a cosignature of another checkpoint (same log, other size) */
	fixture_make(&g, 8);
	{
		char *g_note = malloc(g.len + 1), *n;

		assert_non_null(g_note);
		memcpy(g_note, g.note, g.len);
		g_note[g.len] = '\0';
		E(note_checkpoint_open(&cp, res, g.note, g.len, &g.vlog, g.vw, 2));
		n = t_cat(g_note, wline);
		EFAIL(note_checkpoint_open(&cp, res, (const uint8_t *)n, strlen(n), &g.vlog, g.vw, 2),
		      SK_ERR_VERIFY);
		free(n);
		free(g_note);
	}
	/* extension lines are covered by the cosignature */
	{
		note_checkpoint x;
		uint8_t *xn = NULL, *xc = NULL;
		size_t xl = 0, xcl = 0;
		char *p;

		memset(&x, 0, sizeof(x));
		snprintf(x.origin, sizeof(x.origin), "schakel.example/log");
		x.size = 9;
		x.ext = (const uint8_t *)"ext A\n";
		x.ext_len = 6;
		E(note_checkpoint_sign(&xn, &xl, &x, f.log));
		E(note_checkpoint_cosign(&xc, &xcl, xn, xl, 1700000000, f.w1));
		E(note_checkpoint_open(&cp, res, xc, xcl, &f.vlog, f.vw, 1));
		assert_int_equal(res[0].verified, 1);
		p = memchr(xc, 'A', xcl);
		*p = 'B';
		EFAIL(note_checkpoint_open(&cp, res, xc, xcl, &f.vlog, f.vw, 1), SK_ERR_VERIFY);
		free(xn);
		free(xc);
	}
	free(s);
	free(c1);
	free(c1s);
	fixture_free(&f);
	fixture_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_vkey),
		cmocka_unit_test(test_example_note),
		cmocka_unit_test(test_go_example),
		cmocka_unit_test(test_vkey_reject),
		cmocka_unit_test(test_key_names),
		cmocka_unit_test(test_skey),
		cmocka_unit_test(test_sign_open),
		cmocka_unit_test(test_add_signatures),
		cmocka_unit_test(test_open_reject),
		cmocka_unit_test(test_open_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_checkpoint_format),
		cmocka_unit_test(test_checkpoint_parse),
		cmocka_unit_test(test_checkpoint_sign_open),
		cmocka_unit_test(test_cosig_message_vector),
		cmocka_unit_test(test_cosign_open),
		cmocka_unit_test(test_cosign_reject),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
