/* The node's side of case-discussion messages on arbitrary input, in
 * process on a real temporary node store (node_discuss_take, as sync takes
 * mailbox items): a member directory holding "altrecht" (its certificate
 * from a test CA, its identity and certified encryption key), our own live
 * encryption key, and two discussion records, one ours as requester with
 * altrecht as participant and one where we participate. The first input
 * byte steers: which discussion id, whether altrecht is the named sender,
 * the item's kind, and whether the rest is a whole MailboxItem or the
 * plaintext body of a message that the harness signs as altrecht and seals
 * to our key (so the body, kind and sequence rules are reached, not only
 * the refusal of a bad seal). Each item runs in a write transaction that is
 * then aborted. A status is the only acceptable outcome. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "common/db.h"
#include "common/init.h"
#include "common/kek.h"
#include "crypto/seal.h"
#include "net/cert.h"
#include "node/discuss.h"
#include "node/enckeys.h"
#include "node/members.h"
#include "protos/domains.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS 1795000000000ull

static node_store *s;
static key_ed25519 peer_id;
static uint8_t our_enc[32];
static uint8_t ids[2][16];
static char dir[64];

static void rm_dir(void)
{
	char cmd[128];

	node_store_close(s);
	if (snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) < (int)sizeof(cmd) && system(cmd) != 0)
		fprintf(stderr, "fuzz: cannot remove %s\n", dir);
}

static void put_record(MDB_txn *txn, int i, const char *role)
{
	char hex[33];
	json_t *rec;

	sodium_bin2hex(hex, sizeof(hex), ids[i], 16);
	rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:{s:s}},s:{},s:{},s:[],s:I}", "id", hex, "role",
			role, "client", "c-1", "professional", "p-1", "topic", "afstemming",
			"participants", "altrecht", "org", "altrecht", "seq_in", "seq_out",
			"summary_to", "n_messages", (json_int_t)0);
	if (rec == NULL)
		abort();
	CHECK(node_json_put(txn, s->discussions, hex, 32, rec));
	json_decref(rec);
}

static void setup(void)
{
	Schakel__V1__MemberEvent ev = SCHAKEL__V1__MEMBER_EVENT__INIT;
	key_ed25519 ca;
	key_x25519 enc;
	uint8_t *ca_der = NULL, *cert = NULL, serial[NET_SERIAL_BYTES], seed[32], sig[64];
	size_t ca_len = 0, cert_len = 0;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	int made = 0;

	CHECK(sk_init());
	snprintf(dir, sizeof(dir), "/tmp/fuzz-node-discuss.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(rm_dir);
	CHECK(sk_kek_open(&kek, NULL, 1));
	{
		char path[96];

		snprintf(path, sizeof(path), "%s/n", dir);
		CHECK(node_store_init(path, "wijkteam", "Wijkteam", "sociaal-team", kek));
		CHECK(node_store_open(&s, path, kek));
	}
	sk_kek_free(kek);
	CHECK(node_enc_rotate_local(s, NOW_MS, 0, &made));
	memset(seed, 7, sizeof(seed));
	key_ed25519_from_seed(&ca, seed);
	memset(seed, 9, sizeof(seed));
	key_ed25519_from_seed(&peer_id, seed);
	memset(seed, 11, sizeof(seed));
	key_x25519_from_seed(&enc, seed);
	CHECK(net_cert_ca_create(&ca_der, &ca_len, "Fuzz", 0, 4102444800, &ca));
	CHECK(net_cert_issue(&cert, &cert_len, serial, "altrecht", "Altrecht", "ggz", peer_id.pk, 0,
			     4102444800, ca_der, ca_len, &ca));
	CHECK(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	ev.kind = SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENROLLED;
	ev.org_id = "altrecht";
	ev.time = NOW_MS;
	ev.has_cert = ev.has_identity_key = 1;
	ev.cert = (ProtobufCBinaryData){cert_len, cert};
	ev.identity_key = (ProtobufCBinaryData){32, peer_id.pk};
	CHECK(node_members_apply(s, txn, &ev, ca_der, ca_len));
	CHECK(key_x25519_certify(sig, WIRE_DOMAIN_ENC_KEY, enc.pk, NOW_MS / 1000 + 86400, peer_id.sk));
	ev = (Schakel__V1__MemberEvent)SCHAKEL__V1__MEMBER_EVENT__INIT;
	ev.kind = SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENC_KEY;
	ev.org_id = "altrecht";
	ev.time = NOW_MS;
	ev.has_encryption_key = ev.has_enc_not_after = ev.has_enc_signature = 1;
	ev.encryption_key = (ProtobufCBinaryData){32, enc.pk};
	ev.enc_not_after = NOW_MS / 1000 + 86400;
	ev.enc_signature = (ProtobufCBinaryData){64, sig};
	CHECK(node_members_apply(s, txn, &ev, ca_der, ca_len));
	memset(ids[0], 0xa1, 16);
	memset(ids[1], 0xb2, 16);
	put_record(txn, 0, "requester");
	put_record(txn, 1, "participant");
	CHECK(node_enc_current(s, txn, our_enc));
	CHECK(sk_db_status(mdb_txn_commit(txn)));
	free(ca_der);
	free(cert);
	key_ed25519_wipe(&ca);
	key_x25519_wipe(&enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	Schakel__V1__MailboxItem *it = NULL, made = SCHAKEL__V1__MAILBOX_ITEM__INIT;
	ProtobufCBinaryData own_id = {0, NULL};
	char *own_counterpart = NULL;
	uint8_t *sealed = NULL, ctx[24];
	node_discuss_stats stats = {0};
	MDB_txn *txn = NULL;
	uint8_t steer;
	uint64_t seq;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 2)
		return 0;
	steer = data[0];
	data++;
	size--;
	if (steer & 0x80) {
		/* the rest is a message body, properly signed and sealed to us */
		if (size > 4096)
			return 0;
		seq = 1 + (steer & 0x07);
		memcpy(ctx, ids[(steer >> 3) & 1], 16);
		for (int i = 0; i < 8; i++)
			ctx[16 + i] = (uint8_t)(seq >> (56 - 8 * i));
		if ((sealed = malloc(SEAL_SIGNED_BYTES(size))) == NULL)
			return 0;
		if (seal_signed(sealed, "schakel/v1/discuss", (const uint8_t *)"wijkteam", 8, ctx,
				sizeof(ctx), data, size, our_enc, peer_id.sk) != SK_OK) {
			free(sealed);
			return 0;
		}
		made.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MESSAGE;
		made.counterpart = (steer & 0x40) ? "altrecht" : "someone-else";
		made.has_discussion_id = made.has_sealed = made.has_message_seq = 1;
		made.discussion_id = (ProtobufCBinaryData){16, ids[(steer >> 3) & 1]};
		made.sealed = (ProtobufCBinaryData){SEAL_SIGNED_BYTES(size), sealed};
		made.message_seq = seq;
		it = &made;
	} else {
		if ((it = schakel__v1__mailbox_item__unpack(NULL, size, data)) == NULL)
			return 0;
		own_id = it->discussion_id;
		own_counterpart = it->counterpart;
		if (steer & 0x01) {
			it->has_discussion_id = 1;
			it->discussion_id = (ProtobufCBinaryData){16, ids[(steer >> 1) & 1]};
		}
		if (steer & 0x04)
			it->counterpart = "altrecht";
	}
	if (sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)) == SK_OK) {
		sk_status st = node_discuss_take(s, txn, it, NOW_MS, &stats);

		(void)st; /* refused or taken: either is a status, never a crash */
		mdb_txn_abort(txn);
	}
	if (it != &made) {
		/* the steered fields point into our statics: give back the
		 * unpacked ones (if any) before freeing */
		it->discussion_id = own_id;
		it->counterpart = own_counterpart;
		schakel__v1__mailbox_item__free_unpacked(it, NULL);
	}
	free(sealed);
	return 0;
}
