/* The node's check of a directory record the registry served
 * (node_directory_item_verify): a record signed by its member and included
 * in the checkpoint passes; a record changed after signing, a signature
 * by another key or of another length, a wrong leaf index, a proof for
 * another leaf, a truncated proof or another tree size each fail. */
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "common/init.h"
#include "crypto/merkle.h"
#include "node/directory.h"

static char *services[] = {"ggz"};

struct fx {
	key_ed25519 id, other;
	uint8_t rec[512], rec2[512], sig[KEY_SIG_BYTES], sig2[KEY_SIG_BYTES];
	size_t len, len2;
	uint8_t proof[MERKLE_HASH_BYTES], proof1[MERKLE_HASH_BYTES];
	note_checkpoint cp;
	Schakel__V1__DirectoryItem it;
};

static size_t pack(uint8_t *out, const char *org, uint64_t version)
{
	Schakel__V1__DirectoryRecord r = SCHAKEL__V1__DIRECTORY_RECORD__INIT;

	r.org_id = (char *)org;
	r.version = version;
	r.display_name = "GGZ Stad";
	r.category = "ggz";
	r.services = services;
	r.n_services = 1;
	r.issued_at = 1;
	return schakel__v1__directory_record__pack(&r, out);
}

/* Two leaves: ggz-stad's record (index 0) and another org's (index 1);
 * the item is the first with its proof [leaf 1]. */
static void fx_new(struct fx *f)
{
	uint8_t l0[WIRE_LEAF_HASH_BYTES], l1[WIRE_LEAF_HASH_BYTES];

	memset(f, 0, sizeof(*f));
	key_ed25519_generate(&f->id);
	key_ed25519_generate(&f->other);
	f->len = pack(f->rec, "ggz-stad", 5);
	f->len2 = pack(f->rec2, "wijkteam", 7);
	E(key_sign(f->sig, WIRE_DOMAIN_DIRECTORY, f->rec, f->len, f->id.sk));
	E(key_sign(f->sig2, WIRE_DOMAIN_DIRECTORY, f->rec2, f->len2, f->other.sk));
	E(wire_leaf_hash(l0, WIRE_LEAF_DIRECTORY, f->rec, f->len, f->sig));
	E(wire_leaf_hash(l1, WIRE_LEAF_DIRECTORY, f->rec2, f->len2, f->sig2));
	merkle_node_hash(f->cp.root, l0, l1);
	f->cp.size = 2;
	memcpy(f->proof, l1, sizeof(l1));
	memcpy(f->proof1, l0, sizeof(l0));
	f->it = (Schakel__V1__DirectoryItem)SCHAKEL__V1__DIRECTORY_ITEM__INIT;
	f->it.record = (ProtobufCBinaryData){f->len, f->rec};
	f->it.signature = (ProtobufCBinaryData){sizeof(f->sig), f->sig};
	f->it.leaf_index = 0;
	f->it.inclusion_proof = (ProtobufCBinaryData){sizeof(f->proof), f->proof};
}

static sk_status check(struct fx *f, const uint8_t *pk)
{
	const char *why = NULL;
	sk_status st = node_directory_item_verify(&f->it, &f->cp, pk, &why);

	if (st != SK_OK)
		assert_non_null(why);
	return st;
}

static void test_item_verify(void **state)
{
	struct fx f;

	(void)state;
	fx_new(&f);
	E(check(&f, f.id.pk));
	/* signed by another key */
	EFAIL(check(&f, f.other.pk), SK_ERR_VERIFY);
	/* changed after signing */
	f.rec[f.len - 1] ^= 1;
	EFAIL(check(&f, f.id.pk), SK_ERR_VERIFY);
	f.rec[f.len - 1] ^= 1;
	/* a forged signature, or one cut short */
	f.sig[3] ^= 0x40;
	EFAIL(check(&f, f.id.pk), SK_ERR_VERIFY);
	f.sig[3] ^= 0x40;
	f.it.signature.len = KEY_SIG_BYTES - 1;
	EFAIL(check(&f, f.id.pk), SK_ERR_VERIFY);
	f.it.signature.len = KEY_SIG_BYTES;
	/* another place in the tree, another tree size, a proof cut short */
	f.it.leaf_index = 1;
	EFAIL(check(&f, f.id.pk), SK_ERR_VERIFY);
	f.it.leaf_index = 0;
	f.cp.size = 3;
	EFAIL(check(&f, f.id.pk), SK_ERR_VERIFY);
	f.cp.size = 2;
	f.it.inclusion_proof.len = MERKLE_HASH_BYTES - 1;
	EFAIL(check(&f, f.id.pk), SK_ERR_VERIFY);
	f.it.inclusion_proof.len = 0;
	EFAIL(check(&f, f.id.pk), SK_ERR_VERIFY);
	f.it.inclusion_proof.len = MERKLE_HASH_BYTES;
	/* the other org's item: not at leaf 0's place, but at its own */
	f.it.record = (ProtobufCBinaryData){f.len2, f.rec2};
	f.it.signature = (ProtobufCBinaryData){sizeof(f.sig2), f.sig2};
	EFAIL(check(&f, f.other.pk), SK_ERR_VERIFY);
	f.it.leaf_index = 1;
	f.it.inclusion_proof = (ProtobufCBinaryData){sizeof(f.proof1), f.proof1};
	E(check(&f, f.other.pk));
	EFAIL(check(&f, f.id.pk), SK_ERR_VERIFY);
	key_ed25519_wipe(&f.id);
	key_ed25519_wipe(&f.other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_item_verify),
	};

	if (sk_init() != SK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
