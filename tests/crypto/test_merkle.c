#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "crypto/merkle.h"
#include "test_util.h"

#define HB MERKLE_HASH_BYTES
#define MAX_LEAVES 300

/* ---- Reference tree of transparency-dev/merkle testonly/constants.go ------ */

static const char *const ref_inputs_hex[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

/* RootHashes(): roots of the trees of 0..8 of those leaves. */
static const char *const ref_roots_hex[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void ref_tree_leaves(uint8_t leaves[8 * HB])
{
	uint8_t in[16];

	for (size_t i = 0; i < 8; i++) {
		size_t n = t_hex(in, sizeof(in), ref_inputs_hex[i]);

		merkle_leaf_hash(leaves + i * HB, in, n);
	}
}

/* ---- Sources ---------------------------------------------------------------- */

/* merkle_mem behind a check that nothing beyond the tree asked about is read,
 * and a call counter; fail_at makes call number fail_at return SK_ERR_DB. */
typedef struct bounded {
	merkle_mem mem;
	uint64_t limit;
	size_t calls;
	size_t fail_at;
} bounded;

static sk_status bounded_get(void *ctx, unsigned level, uint64_t index,
			     uint8_t out[static HB])
{
	bounded *b = ctx;

	if (level > MERKLE_LEVEL_MAX || index > (b->limit >> level) ||
	    (index + 1) << level > b->limit)
		fail_msg("get(%u, %llu) outside a tree of %llu leaves", level,
			 (unsigned long long)index, (unsigned long long)b->limit);
	if (b->calls++ == b->fail_at)
		return SK_ERR_DB;
	return merkle_mem_get(&b->mem, level, index, out);
}

static merkle_source bounded_source(bounded *b, const uint8_t *leaves, uint64_t n,
				    uint64_t limit)
{
	merkle_source src = {bounded_get, b};

	b->mem.leaves = leaves;
	b->mem.size = n;
	b->limit = limit;
	b->calls = 0;
	b->fail_at = SIZE_MAX;
	return src;
}

/* A virtual tree of 2^64 - 1 equal leaves: subtree hashes depend on the level
 * only, which lets proofs be made and checked at 64-bit sizes. */
static uint8_t same_level[64][HB];

static sk_status same_get(void *ctx, unsigned level, uint64_t index,
			  uint8_t out[static HB])
{
	if (level > MERKLE_LEVEL_MAX)
		fail_msg("level %u", level);
	memcpy(out, same_level[level], HB);
	return SK_OK;
}

static void same_init(void)
{
	merkle_leaf_hash(same_level[0], (const uint8_t *)"x", 1);
	for (int l = 1; l < 64; l++)
		merkle_node_hash(same_level[l], same_level[l - 1], same_level[l - 1]);
}

/* ---- RFC 9162 2.1 written out recursively, as the reference ----------------- */

typedef struct range {
	uint64_t lo, hi;
} range;

static uint64_t split_point(uint64_t n) /* largest power of two < n, n > 1 */
{
	uint64_t k = 1;

	while (k < n - k)
		k <<= 1;
	return k;
}

static void ref_mth(uint8_t out[static HB], const uint8_t *leaves, uint64_t lo, uint64_t hi)
{
	uint8_t l[HB], r[HB];
	uint64_t k;

	if (hi == lo) {
		merkle_empty_root(out);
		return;
	}
	if (hi - lo == 1) {
		memcpy(out, leaves + lo * HB, HB);
		return;
	}
	k = split_point(hi - lo);
	ref_mth(l, leaves, lo, lo + k);
	ref_mth(r, leaves, lo + k, hi);
	merkle_node_hash(out, l, r);
}

/* PATH(m, D[lo:hi]) (2.1.3.1), as the ranges whose MTH it lists */
static void ref_path(range *out, size_t *n, uint64_t m, uint64_t lo, uint64_t hi)
{
	uint64_t k;

	if (hi - lo == 1)
		return;
	k = split_point(hi - lo);
	if (m < lo + k) {
		ref_path(out, n, m, lo, lo + k);
		out[(*n)++] = (range){lo + k, hi};
	} else {
		ref_path(out, n, m, lo + k, hi);
		out[(*n)++] = (range){lo, lo + k};
	}
}

/* SUBPROOF(m, D[lo:hi], b) (2.1.4.1), m counted from lo */
static void ref_subproof(range *out, size_t *n, uint64_t m, uint64_t lo, uint64_t hi, int b)
{
	uint64_t k;

	if (m == hi - lo) {
		if (!b)
			out[(*n)++] = (range){lo, hi};
		return;
	}
	k = split_point(hi - lo);
	if (m <= k) {
		ref_subproof(out, n, m, lo, lo + k, b);
		out[(*n)++] = (range){lo + k, hi};
	} else {
		ref_subproof(out, n, m - k, lo + k, hi, 0);
		out[(*n)++] = (range){lo, lo + k};
	}
}

/* The hash expression of MTH(D[lo:hi]) over the proof's nodes: atoms[i] is
 * written "p<i>", the range special as name ("L" for the proven leaf, "R" for
 * an old root the verifier is given). Two claims lead a verifier through the
 * same computation exactly when their expressions are equal. */
typedef struct expr {
	char s[4096];
	size_t len;
} expr;

static void expr_put(expr *e, const char *text)
{
	size_t n = strlen(text);

	if (e->len + n >= sizeof(e->s))
		fail_msg("expression too long");
	memcpy(e->s + e->len, text, n + 1);
	e->len += n;
}

static void expr_build(expr *e, uint64_t lo, uint64_t hi, const range *atoms,
		       size_t natoms, range special, const char *name)
{
	char num[32];
	uint64_t k;

	if (lo == special.lo && hi == special.hi) {
		expr_put(e, name);
		return;
	}
	for (size_t i = 0; i < natoms; i++) {
		if (atoms[i].lo == lo && atoms[i].hi == hi) {
			snprintf(num, sizeof(num), "p%zu", i);
			expr_put(e, num);
			return;
		}
	}
	if (hi - lo == 1) {
		expr_put(e, "?");
		return;
	}
	k = split_point(hi - lo);
	expr_put(e, "(");
	expr_build(e, lo, lo + k, atoms, natoms, special, name);
	expr_put(e, ",");
	expr_build(e, lo + k, hi, atoms, natoms, special, name);
	expr_put(e, ")");
}

/* The verifier's computation for an inclusion claim (m, n), n <= MAX_LEAVES
 * (or any n with small proofs). Returns the proof length. */
static size_t incl_shape(expr *e, uint64_t m, uint64_t n)
{
	range atoms[MERKLE_PROOF_MAX + 1];
	size_t na = 0;

	ref_path(atoms, &na, m, 0, n);
	e->len = 0;
	e->s[0] = 0;
	expr_build(e, 0, n, atoms, na, (range){m, m + 1}, "L");
	return na;
}

/* Same for a consistency claim 0 < m < n: e1 for the old root, e2 the new. */
static size_t cons_shape(expr *e1, expr *e2, uint64_t m, uint64_t n)
{
	range atoms[MERKLE_PROOF_MAX + 2], old = {0, 0};
	size_t na = 0;

	ref_subproof(atoms, &na, m, 0, n, 1);
	if ((m & (m - 1)) == 0)
		old = (range){0, m};
	e1->len = e2->len = 0;
	e1->s[0] = e2->s[0] = 0;
	expr_build(e1, 0, m, atoms, na, old, "R");
	expr_build(e2, 0, n, atoms, na, old, "R");
	return na;
}

/* ---- Known answers ---------------------------------------------------------- */

static void test_kat(void **state)
{
	uint8_t leaves[8 * HB], h[HB], want[HB], l1[HB];
	merkle_frontier f;
	merkle_source src;
	merkle_mem mem = {leaves, 8};

	merkle_empty_root(h);
	t_hex(want, HB, ref_roots_hex[0]);
	assert_memory_equal(h, want, HB);

	ref_tree_leaves(leaves);
	t_hex(want, HB, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
	assert_memory_equal(leaves, want, HB);
	merkle_leaf_hash(h, NULL, 0);
	assert_memory_equal(h, want, HB);
	/* NodeHashes()[0][1] and [1][0] */
	t_hex(want, HB, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
	assert_memory_equal(leaves + HB, want, HB);
	merkle_node_hash(h, leaves, leaves + HB);
	t_hex(want, HB, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
	assert_memory_equal(h, want, HB);
	/* out may alias an input */
	memcpy(l1, leaves + HB, HB);
	merkle_node_hash(l1, leaves, l1);
	assert_memory_equal(l1, want, HB);

	merkle_mem_source(&src, &mem);
	merkle_frontier_init(&f);
	for (uint64_t n = 0; n <= 8; n++) {
		t_hex(want, HB, ref_roots_hex[n]);
		E(merkle_root(h, &src, n));
		assert_memory_equal(h, want, HB);
		merkle_frontier_root(h, &f);
		assert_memory_equal(h, want, HB);
		if (n < 8)
			E(merkle_frontier_append(&f, leaves + n * HB));
	}
}

/* ---- transparency-dev vector files ------------------------------------------ */

typedef struct file_list {
	char **path;
	size_t n, cap;
} file_list;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_json(file_list *fl, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		fail_msg("opendir %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char path[1024];
		struct stat sb;
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			fail_msg("path too long");
		if (stat(path, &sb) != 0)
			fail_msg("stat %s: %s", path, strerror(errno));
		if (S_ISDIR(sb.st_mode)) {
			list_json(fl, path);
		} else if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0) {
			if (fl->n == fl->cap) {
				fl->cap = fl->cap ? 2 * fl->cap : 64;
				fl->path = realloc(fl->path, fl->cap * sizeof(*fl->path));
				assert_non_null(fl->path);
			}
			fl->path[fl->n] = strdup(path);
			assert_non_null(fl->path[fl->n]);
			fl->n++;
		}
	}
	closedir(d);
	qsort(fl->path, fl->n, sizeof(*fl->path), cmp_str);
}

static void file_list_free(file_list *fl)
{
	for (size_t i = 0; i < fl->n; i++)
		free(fl->path[i]);
	free(fl->path);
}

/* Reads a whole file, NUL-terminated. */
static char *read_text(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = malloc(65536);

	assert_non_null(buf);
	if (fp == NULL)
		fail_msg("open %s: %s", path, strerror(errno));
	*len = fread(buf, 1, 65535, fp);
	if (ferror(fp) || !feof(fp))
		fail_msg("read %s failed or file too big", path);
	fclose(fp);
	buf[*len] = 0;
	return buf;
}

/* The files hold 18446744073709551615, beyond json_int_t: they are loaded
 * with JSON_DECODE_INT_AS_REAL and each size is read exactly from the text,
 * then checked against the value jansson saw. */
static uint64_t field_u64(const char *text, const json_t *root, const char *key)
{
	char quoted[64];
	const char *p = text;
	const json_t *v = json_object_get(root, key);

	snprintf(quoted, sizeof(quoted), "\"%s\"", key);
	if (!json_is_number(v))
		fail_msg("%s is not a number", key);
	while ((p = strstr(p, quoted)) != NULL) {
		char *end;
		unsigned long long u;

		p += strlen(quoted);
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p != ':')
			continue;
		p++;
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p < '0' || *p > '9')
			fail_msg("%s is not an unsigned integer", key);
		errno = 0;
		u = strtoull(p, &end, 10);
		if (errno != 0 || (*end != ',' && *end != '}' && *end != ' ' && *end != '\n'))
			fail_msg("%s does not fit in 64 bits", key);
		if ((double)u != json_number_value(v))
			fail_msg("%s: text and jansson disagree", key);
		return (uint64_t)u;
	}
	fail_msg("no %s", key);
	return 0;
}

/* 1 if v is the base64 of exactly one hash; a field of any other length is
 * malformed and makes the claim rejected, never truncated or padded. */
static int field_hash(uint8_t out[static HB], const json_t *v)
{
	uint8_t buf[3 * HB];
	size_t len = 0;
	const char *s = json_string_value(v);

	if (s == NULL)
		return 0;
	if (sodium_base642bin(buf, sizeof(buf), s, strlen(s), NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return 0;
	if (len != HB)
		return 0;
	memcpy(out, buf, HB);
	return 1;
}

/* proof: null or an array of hashes; up to MERKLE_PROOF_MAX + 1 are passed on
 * so that the verifier's own bound is exercised too. */
static int field_proof(uint8_t proof[static (MERKLE_PROOF_MAX + 1) * HB], size_t *len,
		       const json_t *v)
{
	*len = 0;
	if (json_is_null(v))
		return 1;
	if (!json_is_array(v))
		fail_msg("proof is neither null nor an array");
	if (json_array_size(v) > MERKLE_PROOF_MAX + 1)
		return 0;
	for (size_t i = 0; i < json_array_size(v); i++) {
		if (!field_hash(proof + i * HB, json_array_get(v, i)))
			return 0;
	}
	*len = json_array_size(v);
	return 1;
}

/* Files whose wantErr merkle_ contradicts on purpose. */
static const struct {
	const char *suffix;
	const char *why;
} deviations[] = {
	{"consistency/additional/sizes-are-equal-one-and-proof-is-empty.json",
	 "its roots are 12 bytes (\"don't care 2\"); merkle_ roots are 32 bytes, "
	 "so the claim is malformed and rejected; the Go reference only "
	 "compares the byte strings. test_edge_cases checks the same claim "
	 "with 32-byte roots."},
};

static const char *deviation(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < sizeof(deviations) / sizeof(deviations[0]); i++) {
		size_t m = strlen(deviations[i].suffix);

		if (n >= m && strcmp(path + n - m, deviations[i].suffix) == 0)
			return deviations[i].why;
	}
	return NULL;
}

/* A happy path of a numbered folder: the reference tree's own proofs. */
static int is_reference_happy_path(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL && strcmp(slash, "/happy-path.json") == 0 && slash - path >= 2 &&
	       slash[-1] >= '0' && slash[-1] <= '9' && slash[-2] == '/';
}

typedef struct tally {
	size_t files, passed, deviated, generated;
} tally;

static void check_generated(const uint8_t *proof, size_t len, const uint8_t *gen,
			    size_t gen_len, const char *path)
{
	if (len != gen_len || (len > 0 && memcmp(proof, gen, len * HB) != 0))
		fail_msg("%s: the generated proof differs from the file's", path);
}

/* Returns 1 if the claim in the file is accepted. */
static int run_inclusion(const char *path, const char *text, const json_t *j, tally *t)
{
	uint8_t root[HB], leaf[HB], proof[(MERKLE_PROOF_MAX + 1) * HB], r[HB];
	uint8_t leaves[8 * HB], gen[MERKLE_PROOF_BYTES];
	uint64_t index = field_u64(text, j, "leafIdx"), size = field_u64(text, j, "treeSize");
	size_t len, gen_len;
	merkle_mem mem = {leaves, 8};
	merkle_source src;
	sk_status st, st2;

	if (!field_hash(root, json_object_get(j, "root")) ||
	    !field_hash(leaf, json_object_get(j, "leafHash")) ||
	    !field_proof(proof, &len, json_object_get(j, "proof")))
		return 0;
	st = merkle_inclusion_verify(root, leaf, index, size, proof, len);
	st2 = merkle_inclusion_root(r, leaf, index, size, proof, len);
	if ((st != SK_OK && st != SK_ERR_VERIFY) || (st2 != SK_OK && st2 != SK_ERR_VERIFY))
		fail_msg("%s: verification said %s", path, sk_strerror(st));
	/* the two entry points agree */
	if ((st == SK_OK) != (st2 == SK_OK && memcmp(r, root, HB) == 0))
		fail_msg("%s: merkle_inclusion_root disagrees", path);
	if (st == SK_OK && is_reference_happy_path(path)) {
		ref_tree_leaves(leaves);
		merkle_mem_source(&src, &mem);
		assert_true(size <= 8 && index < size);
		assert_memory_equal(leaf, leaves + index * HB, HB);
		E(merkle_root(r, &src, size));
		assert_memory_equal(r, root, HB);
		E(merkle_inclusion_proof(gen, &gen_len, &src, index, size));
		check_generated(proof, len, gen, gen_len, path);
		t->generated++;
	}
	return st == SK_OK;
}

static int run_consistency(const char *path, const char *text, const json_t *j, tally *t)
{
	uint8_t root1[HB], root2[HB], proof[(MERKLE_PROOF_MAX + 1) * HB], r[HB];
	uint8_t leaves[8 * HB], gen[MERKLE_PROOF_BYTES];
	uint64_t size1 = field_u64(text, j, "size1"), size2 = field_u64(text, j, "size2");
	size_t len, gen_len;
	merkle_mem mem = {leaves, 8};
	merkle_source src;
	sk_status st;

	if (!field_hash(root1, json_object_get(j, "root1")) ||
	    !field_hash(root2, json_object_get(j, "root2")) ||
	    !field_proof(proof, &len, json_object_get(j, "proof")))
		return 0;
	st = merkle_consistency_verify(root1, root2, size1, size2, proof, len);
	if (st != SK_OK && st != SK_ERR_VERIFY)
		fail_msg("%s: verification said %s", path, sk_strerror(st));
	if (st == SK_OK && is_reference_happy_path(path)) {
		ref_tree_leaves(leaves);
		merkle_mem_source(&src, &mem);
		assert_true(size1 <= size2 && size2 <= 8);
		E(merkle_root(r, &src, size1));
		assert_memory_equal(r, root1, HB);
		E(merkle_root(r, &src, size2));
		assert_memory_equal(r, root2, HB);
		E(merkle_consistency_proof(gen, &gen_len, &src, size1, size2));
		check_generated(proof, len, gen, gen_len, path);
		t->generated++;
	}
	return st == SK_OK;
}

static void run_dir(const char *kind, tally *t)
{
	char dir[512];
	file_list fl = {0};

	snprintf(dir, sizeof(dir), "%s/merkle/%s", SK_VECTORS_DIR, kind);
	list_json(&fl, dir);
	t->files = fl.n;
	for (size_t i = 0; i < fl.n; i++) {
		const char *path = fl.path[i], *why = deviation(path);
		json_error_t jerr;
		size_t len;
		char *text = read_text(path, &len);
		json_t *j = json_loadb(text, len, JSON_DECODE_INT_AS_REAL | JSON_REJECT_DUPLICATES,
				       &jerr);
		const json_t *want_err;
		int accepted;

		if (j == NULL)
			fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
		want_err = json_object_get(j, "wantErr");
		if (!json_is_boolean(want_err))
			fail_msg("%s: no wantErr", path);
		if (strcmp(kind, "inclusion") == 0)
			accepted = run_inclusion(path, text, j, t);
		else
			accepted = run_consistency(path, text, j, t);
		if (why != NULL) {
			if (accepted == json_is_false(want_err))
				fail_msg("%s: expected the documented deviation", path);
			print_message("deviation: %s: %s\n", path + strlen(SK_VECTORS_DIR) + 1, why);
			t->deviated++;
		} else if (accepted != json_is_false(want_err)) {
			fail_msg("%s (%s): %s, want %s", path,
				 json_string_value(json_object_get(j, "desc")),
				 accepted ? "accepted" : "rejected",
				 accepted ? "rejected" : "accepted");
		} else {
			t->passed++;
		}
		json_decref(j);
		free(text);
	}
	file_list_free(&fl);
}

static void test_vectors(void **state)
{
	tally inc = {0}, con = {0};

	run_dir("inclusion", &inc);
	run_dir("consistency", &con);
	print_message("merkle vectors: inclusion %zu/%zu passed, consistency %zu/%zu passed "
		      "+ %zu documented deviation(s); %zu happy paths equal the generated "
		      "proofs\n",
		      inc.passed, inc.files, con.passed, con.files, inc.deviated + con.deviated,
		      inc.generated + con.generated);
	assert_true(inc.files > 0 && con.files > 0);
	assert_int_equal(inc.passed + inc.deviated, inc.files);
	assert_int_equal(con.passed + con.deviated, con.files);
	assert_int_equal(inc.deviated + con.deviated, sizeof(deviations) / sizeof(deviations[0]));
	assert_int_equal(inc.generated, 5);
	assert_int_equal(con.generated, 5);
}

/* ---- Generation against the recursive definitions ---------------------------- */

static void ranges_hashes(uint8_t *out, const uint8_t *leaves, const range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ref_mth(out + i * HB, leaves, r[i].lo, r[i].hi);
}

static void test_reference(void **state)
{
	enum { N = 70 };
	uint8_t leaves[N * HB], seed[randombytes_SEEDBYTES] = {1};
	uint8_t proof[MERKLE_PROOF_BYTES], want[MERKLE_PROOF_BYTES], h[HB], r[HB];
	range rg[MERKLE_PROOF_MAX + 2];
	size_t len, nr;
	bounded b;
	merkle_source src;

	randombytes_buf_deterministic(leaves, sizeof(leaves), seed);
	for (uint64_t n = 0; n <= N; n++) {
		src = bounded_source(&b, leaves, N, n);
		E(merkle_root(h, &src, n));
		ref_mth(r, leaves, 0, n);
		assert_memory_equal(h, r, HB);
		assert_true(b.calls <= (size_t)__builtin_popcountll(n));
		for (uint64_t m = 0; m < n; m++) {
			b.calls = 0;
			E(merkle_inclusion_proof(proof, &len, &src, m, n));
			nr = 0;
			ref_path(rg, &nr, m, 0, n);
			ranges_hashes(want, leaves, rg, nr);
			assert_int_equal(len, nr);
			if (len > 0)
				assert_memory_equal(proof, want, len * HB);
			assert_true(b.calls <= len + 8);
			E(merkle_inclusion_verify(r, leaves + m * HB, m, n, proof, len));
		}
		for (uint64_t m = 1; m <= n; m++) {
			b.calls = 0;
			E(merkle_consistency_proof(proof, &len, &src, m, n));
			nr = 0;
			ref_subproof(rg, &nr, m, 0, n, 1);
			ranges_hashes(want, leaves, rg, nr);
			assert_int_equal(len, nr);
			if (len > 0)
				assert_memory_equal(proof, want, len * HB);
			assert_true(b.calls <= len + 8);
			ref_mth(h, leaves, 0, m);
			E(merkle_consistency_verify(h, r, m, n, proof, len));
		}
	}
}

/* ---- Random trees: every proof checked, every mutation rejected ------------- */

typedef struct rng {
	uint8_t seed[randombytes_SEEDBYTES];
	uint64_t ctr;
} rng;

static uint64_t rng_below(rng *g, uint64_t bound)
{
	uint8_t seed[randombytes_SEEDBYTES];
	uint64_t v;

	memcpy(seed, g->seed, sizeof(seed));
	memcpy(seed + sizeof(seed) - sizeof(g->ctr), &g->ctr, sizeof(g->ctr));
	g->ctr++;
	randombytes_buf_deterministic(&v, sizeof(v), seed);
	return v % bound;
}

static int incl_ok(const uint8_t *root, const uint8_t *leaf, uint64_t m, uint64_t n,
		   const uint8_t *proof, size_t len)
{
	sk_status st = merkle_inclusion_verify(root, leaf, m, n, proof, len);

	if (st != SK_OK && st != SK_ERR_VERIFY)
		fail_msg("inclusion verify said %s", sk_strerror(st));
	return st == SK_OK;
}

static int cons_ok(const uint8_t *r1, const uint8_t *r2, uint64_t m, uint64_t n,
		   const uint8_t *proof, size_t len)
{
	sk_status st = merkle_consistency_verify(r1, r2, m, n, proof, len);

	if (st != SK_OK && st != SK_ERR_VERIFY)
		fail_msg("consistency verify said %s", sk_strerror(st));
	return st == SK_OK;
}

typedef struct counts {
	size_t proofs, rejected, same_shape;
} counts;

/* Changing (m, n) to (m2, n2) with the same proof and roots must be rejected
 * unless the verifier then computes exactly the same hashes: (0, 3) and
 * (0, 4) both hash leaf, p0, p1 as ((L,p0),p1), so an inclusion proof does not
 * pin the tree size by itself (the signed checkpoint does). */
static void incl_claim(const uint8_t *root, const uint8_t *leaf, uint64_t m, uint64_t n,
		       uint64_t m2, uint64_t n2, const uint8_t *proof, size_t len,
		       counts *c)
{
	expr e, e2;
	int same = 0;

	if (incl_shape(&e, m, n) != len || strchr(e.s, '?') != NULL)
		fail_msg("reference shape of (%llu, %llu)", (unsigned long long)m,
			 (unsigned long long)n);
	if (m2 < n2 && n2 <= 4 * MAX_LEAVES)
		same = incl_shape(&e2, m2, n2) == len && strcmp(e.s, e2.s) == 0;
	if (incl_ok(root, leaf, m2, n2, proof, len) != same)
		fail_msg("inclusion (%llu, %llu) claimed as (%llu, %llu): %s",
			 (unsigned long long)m, (unsigned long long)n,
			 (unsigned long long)m2, (unsigned long long)n2,
			 same ? "rejected, same computation" : "accepted");
	if (same)
		c->same_shape++;
	else
		c->rejected++;
}

static void cons_claim(const uint8_t *r1, const uint8_t *r2, uint64_t m, uint64_t n,
		       uint64_t m2, uint64_t n2, const uint8_t *proof, size_t len,
		       counts *c)
{
	expr a1, a2, b1, b2;
	int same = 0;

	if (m < n) {
		if (cons_shape(&a1, &a2, m, n) != len || strchr(a1.s, '?') != NULL ||
		    strchr(a2.s, '?') != NULL)
			fail_msg("reference shape of (%llu, %llu)", (unsigned long long)m,
				 (unsigned long long)n);
		if (0 < m2 && m2 < n2 && n2 <= 4 * MAX_LEAVES)
			same = cons_shape(&b1, &b2, m2, n2) == len &&
			       strcmp(a1.s, b1.s) == 0 && strcmp(a2.s, b2.s) == 0;
	} else if (0 < m2 && m2 == n2) {
		/* equal sizes only compare the roots, equal here */
		same = len == 0;
	}
	if (cons_ok(r1, r2, m2, n2, proof, len) != same)
		fail_msg("consistency (%llu, %llu) claimed as (%llu, %llu): %s",
			 (unsigned long long)m, (unsigned long long)n,
			 (unsigned long long)m2, (unsigned long long)n2,
			 same ? "rejected, same computation" : "accepted");
	if (same)
		c->same_shape++;
	else
		c->rejected++;
}

typedef struct incl_case {
	uint8_t root[HB], leaf[HB], proof[(MERKLE_PROOF_MAX + 1) * HB];
	uint64_t m, n;
	size_t len;
	counts *c;
} incl_case;

static void incl_must_fail(incl_case *k, const char *what)
{
	if (incl_ok(k->root, k->leaf, k->m, k->n, k->proof, k->len))
		fail_msg("inclusion proof (%llu, %llu) accepted with %s",
			 (unsigned long long)k->m, (unsigned long long)k->n, what);
	k->c->rejected++;
}

typedef struct cons_case {
	uint8_t r1[HB], r2[HB], proof[(MERKLE_PROOF_MAX + 1) * HB];
	uint64_t m, n;
	size_t len;
	counts *c;
} cons_case;

static void cons_must_fail(cons_case *k, const char *what)
{
	if (cons_ok(k->r1, k->r2, k->m, k->n, k->proof, k->len))
		fail_msg("consistency proof (%llu, %llu) accepted with %s",
			 (unsigned long long)k->m, (unsigned long long)k->n, what);
	k->c->rejected++;
}

#define FLIP(buf, i) ((buf)[(i) / 8] ^= (uint8_t)(1u << ((i) % 8)))

static const int64_t slips_m[] = {-1, 1, 0};

/* n - 1, n + 1, 2n, n / 2, n */
static uint64_t slip_n(uint64_t n, size_t j)
{
	const uint64_t v[] = {n - 1, n + 1, 2 * n, n / 2, n};

	return v[j];
}

static void check_inclusion(const merkle_source *src, const uint8_t *leaves, uint64_t m,
			    uint64_t n, const uint8_t *extra, counts *c)
{
	incl_case k = {.m = m, .n = n, .c = c};
	uint8_t r[HB];

	E(merkle_root(k.root, src, n));
	memcpy(k.leaf, leaves + m * HB, HB);
	E(merkle_inclusion_proof(k.proof, &k.len, src, m, n));
	assert_true(incl_ok(k.root, k.leaf, m, n, k.proof, k.len));
	E(merkle_inclusion_root(r, k.leaf, m, n, k.proof, k.len));
	assert_memory_equal(r, k.root, HB);
	c->proofs++;

	for (size_t i = 0; i < k.len * HB * 8; i++) {
		FLIP(k.proof, i);
		incl_must_fail(&k, "a proof bit flipped");
		FLIP(k.proof, i);
	}
	for (size_t i = 0; i < HB * 8; i++) {
		FLIP(k.root, i);
		incl_must_fail(&k, "a root bit flipped");
		FLIP(k.root, i);
		FLIP(k.leaf, i);
		incl_must_fail(&k, "a leaf bit flipped");
		FLIP(k.leaf, i);
	}
	if (k.len > 0) {
		k.len--;
		incl_must_fail(&k, "its last hash dropped");
		k.len++;
		if (incl_ok(k.root, k.leaf, m, n, k.proof + HB, k.len - 1))
			fail_msg("inclusion proof accepted without its first hash");
		c->rejected++;
		memcpy(k.proof + k.len * HB, k.proof + (k.len - 1) * HB, HB);
		k.len++;
		incl_must_fail(&k, "its last hash repeated");
		k.len--;
	}
	memcpy(k.proof + k.len * HB, extra, HB);
	k.len++;
	incl_must_fail(&k, "a hash appended");
	k.len--;

	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < 5; j++) {
			uint64_t m2 = m + (uint64_t)slips_m[i], n2 = slip_n(n, j);

			if (m2 != m || n2 != n)
				incl_claim(k.root, k.leaf, m, n, m2, n2, k.proof, k.len, c);
		}
	}
}

static void check_consistency(const merkle_source *src, uint64_t m, uint64_t n,
			      const uint8_t *extra, counts *c)
{
	cons_case k = {.m = m, .n = n, .c = c};

	E(merkle_root(k.r1, src, m));
	E(merkle_root(k.r2, src, n));
	E(merkle_consistency_proof(k.proof, &k.len, src, m, n));
	assert_true(cons_ok(k.r1, k.r2, m, n, k.proof, k.len));
	c->proofs++;

	for (size_t i = 0; i < k.len * HB * 8; i++) {
		FLIP(k.proof, i);
		cons_must_fail(&k, "a proof bit flipped");
		FLIP(k.proof, i);
	}
	for (size_t i = 0; i < HB * 8; i++) {
		FLIP(k.r1, i);
		cons_must_fail(&k, "an old root bit flipped");
		FLIP(k.r1, i);
		FLIP(k.r2, i);
		cons_must_fail(&k, "a new root bit flipped");
		FLIP(k.r2, i);
	}
	if (m != n) {
		if (cons_ok(k.r2, k.r1, m, n, k.proof, k.len))
			fail_msg("consistency proof accepted with swapped roots");
		if (cons_ok(k.r1, k.r2, m, n, k.proof + HB, k.len - 1))
			fail_msg("consistency proof accepted without its first hash");
		c->rejected += 2;
		k.len--;
		cons_must_fail(&k, "its last hash dropped");
		k.len++;
		memcpy(k.proof + k.len * HB, k.proof + (k.len - 1) * HB, HB);
		k.len++;
		cons_must_fail(&k, "its last hash repeated");
		k.len--;
	}
	memcpy(k.proof + k.len * HB, extra, HB);
	k.len++;
	cons_must_fail(&k, "a hash appended");
	k.len--;

	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < 5; j++) {
			uint64_t m2 = m + (uint64_t)slips_m[i], n2 = slip_n(n, j);

			if (m2 != m || n2 != n)
				cons_claim(k.r1, k.r2, m, n, m2, n2, k.proof, k.len, c);
		}
	}
}

static void test_random_trees(void **state)
{
	static uint8_t leaves[MAX_LEAVES * HB];
	static const uint64_t fixed[] = {1,  2,  3,  4,   5,   6,   7,   8,   9,   15,
					 16, 17, 31, 32,  33,  63,  64,  65,  127, 128,
					 129, 255, 256, 257, 300};
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]), ntrees = nfixed + 8;
	rng g = {{0x5c, 0x4b, 0x3a}, 0};
	counts ci = {0}, cc = {0};
	uint8_t extra[HB];
	bounded b;
	merkle_source src;

	for (size_t t = 0; t < ntrees; t++) {
		uint64_t n = t < nfixed ? fixed[t] : 1 + rng_below(&g, MAX_LEAVES);
		uint64_t idx[7] = {0, n - 1, n / 2}, m1[7] = {1, n > 1 ? n - 1 : 1, n};
		uint8_t seed[randombytes_SEEDBYTES] = {0x7e, (uint8_t)t};

		randombytes_buf_deterministic(leaves, sizeof(leaves), seed);
		seed[2] = 1;
		randombytes_buf_deterministic(extra, HB, seed);
		for (size_t i = 3; i < 7; i++) {
			idx[i] = rng_below(&g, n);
			m1[i] = 1 + rng_below(&g, n);
		}
		/* leaves exist beyond n, but proofs for n must not read them */
		src = bounded_source(&b, leaves, MAX_LEAVES, n);
		for (size_t i = 0; i < 7; i++)
			check_inclusion(&src, leaves, idx[i], n, extra, &ci);
		for (size_t i = 0; i < 7; i++)
			check_consistency(&src, m1[i], n, extra, &cc);
	}
	print_message("random trees: %zu trees; %zu inclusion proofs, %zu mutations "
		      "rejected, %zu equivalent claims accepted; %zu consistency proofs, "
		      "%zu mutations rejected, %zu equivalent claims accepted\n",
		      ntrees, ci.proofs, ci.rejected, ci.same_shape, cc.proofs, cc.rejected,
		      cc.same_shape);
	assert_int_equal(ci.proofs, 7 * ntrees);
	assert_int_equal(cc.proofs, 7 * ntrees);
	assert_true(ci.same_shape > 0 && cc.same_shape > 0);
}

/* ---- Edge cases ------------------------------------------------------------- */

static void test_edge_cases(void **state)
{
	uint8_t leaves[4 * HB], big[(MERKLE_PROOF_MAX + 1) * HB] = {0};
	uint8_t root[HB], r1[HB], r2[HB], proof[MERKLE_PROOF_BYTES], e[HB], leaf[HB];
	size_t len = 99;
	merkle_mem mem = {leaves, 4};
	merkle_source src;

	for (int i = 0; i < 4; i++)
		merkle_leaf_hash(leaves + i * HB, (const uint8_t *)&i, sizeof(i));
	merkle_mem_source(&src, &mem);
	merkle_empty_root(e);
	E(merkle_root(root, &src, 4));
	memset(leaf, 0x11, sizeof(leaf));

	/* inclusion: index beyond the tree, empty tree, bad proof pointers */
	EFAIL(merkle_inclusion_verify(e, leaves, 0, 0, NULL, 0), SK_ERR_VERIFY);
	EFAIL(merkle_inclusion_verify(e, e, 0, 0, NULL, 0), SK_ERR_VERIFY);
	E(merkle_inclusion_proof(proof, &len, &src, 3, 4));
	EFAIL(merkle_inclusion_verify(root, leaves + 3 * HB, 4, 4, proof, len), SK_ERR_VERIFY);
	EFAIL(merkle_inclusion_verify(root, leaves + 3 * HB, UINT64_MAX, 4, proof, len),
	      SK_ERR_VERIFY);
	EFAIL(merkle_inclusion_verify(root, leaves + 3 * HB, 3, 4, NULL, len), SK_ERR_VERIFY);
	EFAIL(merkle_inclusion_verify(root, leaves + 3 * HB, 3, 4, proof, 0), SK_ERR_VERIFY);
	EFAIL(merkle_inclusion_root(r1, leaves + 3 * HB, 3, 0, proof, len), SK_ERR_VERIFY);
	E(merkle_inclusion_verify(root, leaves + 3 * HB, 3, 4, proof, len));
	/* a single leaf is its own root, with an empty proof (NULL allowed) */
	E(merkle_inclusion_verify(leaves, leaves, 0, 1, NULL, 0));
	EFAIL(merkle_inclusion_verify(leaves, leaves, 0, 1, leaves, 1), SK_ERR_VERIFY);
	/* more than MERKLE_PROOF_MAX hashes: refused before any hashing */
	EFAIL(merkle_inclusion_verify(root, leaf, 0, UINT64_MAX, big, MERKLE_PROOF_MAX + 1),
	      SK_ERR_VERIFY);
	EFAIL(merkle_inclusion_root(r1, leaf, 0, UINT64_MAX, big, SIZE_MAX), SK_ERR_VERIFY);

	/* consistency */
	E(merkle_root(r1, &src, 1));
	E(merkle_root(r2, &src, 4));
	EFAIL(merkle_consistency_verify(e, e, 0, 0, NULL, 0), SK_ERR_VERIFY);
	EFAIL(merkle_consistency_verify(e, r2, 0, 4, NULL, 0), SK_ERR_VERIFY);
	EFAIL(merkle_consistency_verify(e, r2, 0, 4, r2, 1), SK_ERR_VERIFY);
	EFAIL(merkle_consistency_verify(r2, r1, 4, 1, NULL, 0), SK_ERR_VERIFY);
	E(merkle_consistency_verify(r2, r2, 4, 4, NULL, 0));
	E(merkle_consistency_verify(r1, r1, 1, 1, NULL, 0));
	EFAIL(merkle_consistency_verify(r2, r2, 4, 4, r2, 1), SK_ERR_VERIFY);
	EFAIL(merkle_consistency_verify(r1, r2, 4, 4, NULL, 0), SK_ERR_VERIFY);
	EFAIL(merkle_consistency_verify(r1, r2, 1, 4, NULL, 0), SK_ERR_VERIFY);
	EFAIL(merkle_consistency_verify(r1, r2, 1, 4, NULL, 2), SK_ERR_VERIFY);
	EFAIL(merkle_consistency_verify(r1, r2, 1, 4, big, MERKLE_PROOF_MAX + 1),
	      SK_ERR_VERIFY);
	E(merkle_root(r1, &src, 3));
	EFAIL(merkle_consistency_verify(r1, r2, 3, 4, NULL, 0), SK_ERR_VERIFY);
	E(merkle_consistency_proof(proof, &len, &src, 3, 4));
	E(merkle_consistency_verify(r1, r2, 3, 4, proof, len));
	EFAIL(merkle_consistency_verify(r1, r2, 3, 4, proof, 0), SK_ERR_VERIFY);
	E(merkle_root(r1, &src, 1));
	E(merkle_consistency_proof(proof, &len, &src, 1, 4));
	E(merkle_consistency_verify(r1, r2, 1, 4, proof, len));
	/* the right proof with a wrong old root */
	EFAIL(merkle_consistency_verify(r2, r2, 1, 4, proof, len), SK_ERR_VERIFY);

	/* generation: impossible parameters */
	len = 99;
	EFAIL(merkle_inclusion_proof(proof, &len, &src, 4, 4), SK_ERR_INVALID);
	assert_int_equal(len, 0);
	EFAIL(merkle_inclusion_proof(proof, &len, &src, 0, 0), SK_ERR_INVALID);
	EFAIL(merkle_consistency_proof(proof, &len, &src, 0, 4), SK_ERR_INVALID);
	EFAIL(merkle_consistency_proof(proof, &len, &src, 0, 0), SK_ERR_INVALID);
	EFAIL(merkle_consistency_proof(proof, &len, &src, 4, 3), SK_ERR_INVALID);
	len = 99;
	E(merkle_consistency_proof(proof, &len, &src, 4, 4));
	assert_int_equal(len, 0);
	/* merkle_mem refuses subtrees beyond its leaves */
	EFAIL(merkle_mem_get(&mem, 0, 4, leaf), SK_ERR_NOTFOUND);
	EFAIL(merkle_mem_get(&mem, 3, 0, leaf), SK_ERR_NOTFOUND);
	EFAIL(merkle_mem_get(&mem, 64, 0, leaf), SK_ERR_NOTFOUND);
	EFAIL(merkle_mem_get(&mem, 2, UINT64_MAX, leaf), SK_ERR_NOTFOUND);
	E(merkle_mem_get(&mem, 2, 0, leaf));
	assert_memory_equal(leaf, root, HB);
}

/* Errors of the store reach the caller, whichever call fails; no partial
 * proof or frontier is left behind. */
enum { OP_ROOT, OP_INCLUSION, OP_CONSISTENCY, OP_FRONTIER, OP_COUNT };

static sk_status run_op(int op, const merkle_source *src, size_t *len)
{
	uint8_t proof[MERKLE_PROOF_BYTES], h[HB];
	merkle_frontier f;
	sk_status st = SK_OK;

	*len = 0;
	switch (op) {
	case OP_ROOT:
		st = merkle_root(h, src, 13);
		break;
	case OP_INCLUSION:
		st = merkle_inclusion_proof(proof, len, src, 5, 13);
		break;
	case OP_CONSISTENCY:
		st = merkle_consistency_proof(proof, len, src, 6, 13);
		break;
	case OP_FRONTIER:
		st = merkle_frontier_load(&f, src, 13);
		*len = (size_t)f.size;
		break;
	}
	return st;
}

static void test_source_errors(void **state)
{
	uint8_t leaves[13 * HB];
	size_t len, total, failures = 0;
	bounded b;
	merkle_source src;

	randombytes_buf_deterministic(leaves, sizeof(leaves), (const uint8_t[32]){7});
	src = bounded_source(&b, leaves, 13, 13);
	for (int op = 0; op < OP_COUNT; op++) {
		b.calls = 0;
		b.fail_at = SIZE_MAX;
		E(run_op(op, &src, &len));
		total = b.calls;
		assert_true(total > 0);
		for (size_t k = 0; k < total; k++) {
			b.calls = 0;
			b.fail_at = k;
			EFAIL(run_op(op, &src, &len), SK_ERR_DB);
			assert_int_equal(len, 0);
			failures++;
		}
	}
	print_message("store errors: %zu failing calls propagated\n", failures);
}

/* Proofs at 64-bit sizes, on a tree of equal leaves. */
static void test_huge_trees(void **state)
{
	static const uint64_t sizes[] = {
		(uint64_t)1 << 32, ((uint64_t)1 << 32) + 1, ((uint64_t)1 << 63) - 1,
		(uint64_t)1 << 63, ((uint64_t)1 << 63) + 1, UINT64_MAX - 1, UINT64_MAX,
	};
	uint8_t proof[MERKLE_PROOF_BYTES], r1[HB], r2[HB];
	merkle_source src = {same_get, NULL};
	merkle_frontier f, g;
	size_t len, toobig = 0, checked = 0;

	same_init();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t n = sizes[i];
		uint64_t idx[] = {0, 1, n / 2, n - 2, n - 1};
		uint64_t ms[] = {1, 2, 3, n / 2, n / 2 + 1, n - 1, n, (uint64_t)1 << 31};

		E(merkle_root(r2, &src, n));
		for (size_t j = 0; j < 5; j++) {
			E(merkle_inclusion_proof(proof, &len, &src, idx[j], n));
			assert_true(len <= 64);
			E(merkle_inclusion_verify(r2, same_level[0], idx[j], n, proof, len));
			checked++;
		}
		for (size_t j = 0; j < sizeof(ms) / sizeof(ms[0]); j++) {
			sk_status st = merkle_consistency_proof(proof, &len, &src, ms[j], n);

			if (st == SK_ERR_TOOBIG) {
				/* 65 hashes: only when size2 > 2^63 */
				assert_true(n > (uint64_t)1 << 63);
				assert_int_equal(len, 0);
				toobig++;
				continue;
			}
			E(st);
			E(merkle_root(r1, &src, ms[j]));
			E(merkle_consistency_verify(r1, r2, ms[j], n, proof, len));
			checked++;
		}
		E(merkle_frontier_load(&f, &src, n));
		merkle_frontier_root(r1, &f);
		assert_memory_equal(r1, r2, HB);
	}
	assert_true(toobig > 0);
	/* the frontier's last append */
	E(merkle_frontier_load(&f, &src, UINT64_MAX - 1));
	E(merkle_frontier_append(&f, same_level[0]));
	E(merkle_frontier_load(&g, &src, UINT64_MAX));
	assert_memory_equal(&f, &g, sizeof(f));
	EFAIL(merkle_frontier_append(&f, same_level[0]), SK_ERR_TOOBIG);
	assert_memory_equal(&f, &g, sizeof(f));
	print_message("huge trees: %zu proofs verified, %zu consistency proofs over 64 "
		      "hashes refused\n",
		      checked, toobig);
}

/* The frontier against the full computation at every size 0..300. */
static void test_frontier(void **state)
{
	static uint8_t leaves[MAX_LEAVES * HB];
	uint8_t a[HB], b[HB];
	merkle_frontier f, g;
	merkle_mem mem = {leaves, MAX_LEAVES};
	merkle_source src;

	randombytes_buf_deterministic(leaves, sizeof(leaves), (const uint8_t[32]){3});
	merkle_mem_source(&src, &mem);
	merkle_frontier_init(&f);
	for (uint64_t n = 0;; n++) {
		merkle_frontier_root(a, &f);
		E(merkle_root(b, &src, n));
		assert_memory_equal(a, b, HB);
		ref_mth(b, leaves, 0, n);
		assert_memory_equal(a, b, HB);
		E(merkle_frontier_load(&g, &src, n));
		assert_memory_equal(&f, &g, sizeof(f));
		if (n == MAX_LEAVES)
			break;
		E(merkle_frontier_append(&f, leaves + n * HB));
		assert_int_equal(f.size, n + 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_reference),
		cmocka_unit_test(test_random_trees),
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_source_errors),
		cmocka_unit_test(test_huge_trees),
		cmocka_unit_test(test_frontier),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
