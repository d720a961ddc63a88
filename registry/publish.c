#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "protos/domains.h"
#include "registry/entry.h"
#include "registry/mailbox.h"
#include "registry/op.h"
#include "registry/publish.h"
#include "registry/quota.h"
#include "registry/visibility.h"

#define CORRELATION_MAX 32
#define ENTRY_KEY_MAX REG_ENTRY_KEY_MAX
#define PATTERN_WINDOW_MS (48ull * 3600 * 1000)
#define SEQ_KEY_MAX (NET_ORG_ID_MAX + 1 + 8)

/* One publish, from the loop thread through a worker, the writer and a
 * worker again back to the loop (reg_op_publish). */
typedef struct reg_publish {
	reg_store *store;
	char org_id[NET_ORG_ID_MAX + 1];
	char category[NET_CATEGORY_MAX + 1];
	uint8_t *entry; /* the exact signed bytes (owned) */
	size_t entry_len;
	uint8_t sig[KEY_SIG_BYTES];
	char correlation[2 * CORRELATION_MAX + 1]; /* hex, "" when absent */
	uint64_t now_ms;
	Schakel__V1__Entry *e; /* parsed by publish_check */
	uint8_t identity_pk[KEY_ED25519_PK_BYTES];
	/* outcome */
	sk_status result;
	char reason[AUDIT_REASON_MAX + 1];
	int resubmission;
	Schakel__V1__UsedSeq *used; /* the receipt, on success */
	reg_receipt receipt; /* the commit's receipt batch, by reg_publish_sign_batch */
	/* made off the writer by publish_finish */
	uint8_t *note;               /* the checkpoint for the reply (malloc'd) */
	size_t note_len;
	uint8_t proof[MERKLE_PROOF_BYTES];
	size_t proof_len;            /* hashes */
	sk_status reply_st;          /* SK_OK once the reply's parts are made */
} reg_publish;

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* The job of a PublishRequest of org peer (bytes are copied). */
static sk_status publish_new(void **job, reg_store *s, const net_peer *peer,
			     const wire_envelope *env)
{
	const Schakel__V1__PublishRequest *req = env->publish_request;
	reg_publish *p;

	*job = NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return SK_ERR_NOMEM;
	p->store = s;
	memcpy(p->org_id, peer->org_id, sizeof(p->org_id));
	memcpy(p->category, peer->category, sizeof(p->category));
	p->now_ms = sk_clock_now_ms();
	if (req->signature.len != KEY_SIG_BYTES) {
		p->result = SK_ERR_INVALID;
		snprintf(p->reason, sizeof(p->reason), "the signature is not 64 bytes");
	} else {
		memcpy(p->sig, req->signature.data, KEY_SIG_BYTES);
	}
	if (req->has_correlation_id && req->correlation_id.len <= CORRELATION_MAX)
		sodium_bin2hex(p->correlation, sizeof(p->correlation), req->correlation_id.data,
			       req->correlation_id.len);
	p->entry = malloc(req->entry.len ? req->entry.len : 1);
	if (p->entry == NULL) {
		free(p);
		return SK_ERR_NOMEM;
	}
	if (req->entry.len > 0) /* an empty entry has no data pointer */
		memcpy(p->entry, req->entry.data, req->entry.len);
	p->entry_len = req->entry.len;
	*job = p;
	return SK_OK;
}

static void publish_free(void *job)
{
	reg_publish *p = job;

	if (p == NULL)
		return;
	schakel__v1__entry__free_unpacked(p->e, NULL);
	schakel__v1__used_seq__free_unpacked(p->used, NULL);
	free(p->entry);
	free(p->note);
	free(p);
}

static void refuse(reg_publish *p, sk_status st, const char *why)
{
	p->result = st;
	audit_text_clean(p->reason, sizeof(p->reason), why);
}

/* Worker thread: static rules and the signature under the member's key.
 * Sets p->result and p->reason on a refusal. */
static void publish_check(void *job)
{
	reg_publish *p = job;
	reg_entry_ctx ctx = {p->org_id, p->category, &p->store->policy, p->now_ms};
	Schakel__V1__Member *m = NULL;
	MDB_txn *txn = NULL;
	sk_status st;

	if (p->result != SK_OK)
		return;
	sk_error_clear();
	if ((st = reg_entry_check(&p->e, p->entry, p->entry_len, &ctx)) != SK_OK) {
		refuse(p, st, sk_error_detail());
		return;
	}
	if ((st = sk_db_status(mdb_txn_begin(p->store->env, NULL, MDB_RDONLY, &txn))) != SK_OK) {
		refuse(p, st, "the registry cannot read its database");
		return;
	}
	st = reg_member_get(p->store, txn, p->org_id, &m);
	mdb_txn_abort(txn);
	if (st != SK_OK || m->identity_key.len != KEY_ED25519_PK_BYTES) {
		refuse(p, SK_ERR_PERM, "the org is not enrolled");
		goto out;
	}
	memcpy(p->identity_pk, m->identity_key.data, KEY_ED25519_PK_BYTES);
	if (key_verify(p->sig, WIRE_DOMAIN_ENTRY, p->entry, p->entry_len, p->identity_pk) != SK_OK)
		refuse(p, SK_ERR_VERIFY, "the entry's signature does not verify under the org's "
					 "identity key");
out:
	schakel__v1__member__free_unpacked(m, NULL);
}

/* The registry's audit record of this publish, accepted or refused, with
 * reg_audit_flags()'s flags; *seq (may be NULL) gets its seq. */
static sk_status audit(reg_publish *p, MDB_txn *txn, audit_action a, unsigned flags,
		       uint64_t *seq)
{
	char token[2 * REG_TOKEN_BYTES + 1] = "", head[2 * REG_AUDIT_HEAD_BYTES + 1] = "";
	audit_record rec = {0};
	char access[NET_ORG_ID_MAX + 5];

	if (p->e != NULL && p->e->token.len == REG_TOKEN_BYTES)
		sodium_bin2hex(token, sizeof(token), p->e->token.data, REG_TOKEN_BYTES);
	if (p->e != NULL && p->e->audit_head.len == REG_AUDIT_HEAD_BYTES)
		sodium_bin2hex(head, sizeof(head), p->e->audit_head.data, REG_AUDIT_HEAD_BYTES);
	snprintf(access, sizeof(access), "tls:%s", p->org_id);
	rec.event = p->e != NULL && p->e->withdrawn ? "entry.withdraw" : "entry.publish";
	rec.action = a;
	rec.outcome = p->result == SK_OK ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_DENIED;
	rec.reason = p->result == SK_OK ? (p->resubmission ? "resubmission" : NULL) : p->reason;
	rec.user = p->org_id;
	rec.role = "node";
	rec.access_point = access;
	rec.client = token[0] ? token : NULL;
	rec.counterpart = p->org_id;
	rec.correlation_id = p->correlation[0] ? p->correlation : NULL;
	rec.peer_head = head[0] ? head : NULL;
	return reg_audit_flags(p->store, txn, &rec, flags, seq);
}


static size_t seq_key(uint8_t *k, const reg_publish *p)
{
	size_t n = strlen(p->org_id);

	memcpy(k, p->org_id, n + 1);
	put_be(k + n + 1, p->e->seq, 8);
	return n + 1 + 8;
}


/* Stores the entry, its leaf and a signed receipt; sets p->used. The
 * entry keeps old's audit seqs and, while there is room (*listed), adds
 * audit_seq, the seq its audit record is to get. */
static sk_status store(reg_publish *p, MDB_txn *txn, const uint8_t leaf[static 32],
		       const uint8_t *ekey, size_t eklen, const uint8_t *skey, size_t sklen,
		       const reg_live *old, uint64_t audit_seq, bool *listed)
{
	reg_store *s = p->store;
	Schakel__V1__StoredEntry se = SCHAKEL__V1__STORED_ENTRY__INIT;
	Schakel__V1__PublishReceiptBody rb = SCHAKEL__V1__PUBLISH_RECEIPT_BODY__INIT;
	Schakel__V1__UsedSeq used = SCHAKEL__V1__USED_SEQ__INIT;
	uint8_t body[256];
	uint8_t corr[CORRELATION_MAX], *buf;
	uint64_t seqs[REG_AUDIT_SEQ_MAX];
	size_t n, corr_len = 0, nseq = 0;
	uint64_t index;
	MDB_val k, d;
	sk_status st;

	if ((st = reg_log_append(&s->log, txn, leaf, &index)) != SK_OK)
		return st;
	se.entry = (ProtobufCBinaryData){p->entry_len, p->entry};
	se.signature = (ProtobufCBinaryData){KEY_SIG_BYTES, p->sig};
	se.seq = p->e->seq;
	se.leaf_index = index;
	se.received_at = p->now_ms;
	se.has_first_published_at = 1;
	se.first_published_at = old->live ? old->se->first_published_at : p->now_ms;
	if (old->live && old->se->has_last_lookup_at) {
		se.has_last_lookup_at = 1;
		se.last_lookup_at = old->se->last_lookup_at;
	}
	/* from every earlier version, withdrawn or purged ones too: the audit
	 * log's client queries find those records only here */
	for (size_t i = 0; old->se != NULL && i < old->se->n_audit_seq && nseq < REG_AUDIT_SEQ_MAX;
	     i++)
		seqs[nseq++] = old->se->audit_seq[i];
	if ((*listed = nseq < REG_AUDIT_SEQ_MAX))
		seqs[nseq++] = audit_seq;
	se.n_audit_seq = nseq;
	se.audit_seq = seqs;
	if (p->correlation[0] != '\0' &&
	    sodium_hex2bin(corr, sizeof(corr), p->correlation, strlen(p->correlation), NULL,
			   &corr_len, NULL) == 0) {
		se.has_correlation_id = 1;
		se.correlation_id = (ProtobufCBinaryData){corr_len, corr};
	}
	rb.org_id = p->org_id;
	rb.seq = p->e->seq;
	rb.leaf_index = index;
	rb.leaf_hash = (ProtobufCBinaryData){32, (uint8_t *)leaf};
	rb.received_at = p->now_ms;
	n = schakel__v1__publish_receipt_body__get_packed_size(&rb);
	if (n > sizeof(body))
		return SK_ERR_TOOBIG;
	schakel__v1__publish_receipt_body__pack(&rb, body);
	/* signed with the commit's other receipts (reg_publish_sign_batch) */
	used.leaf_hash = rb.leaf_hash;
	used.leaf_index = index;
	used.receipt_body = (ProtobufCBinaryData){n, body};
	used.receipt_signature = (ProtobufCBinaryData){0, NULL};
	if ((st = reg_stored_put(s, txn, ekey, eklen, &se)) != SK_OK)
		return st;
	/* the used number keeps the receipt; the reply takes it from the same
	 * bytes, like a resubmission's */
	n = schakel__v1__used_seq__get_packed_size(&used);
	if ((buf = malloc(n)) == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__used_seq__pack(&used, buf);
	k = (MDB_val){sklen, (void *)skey};
	d = (MDB_val){n, buf};
	if ((st = sk_db_status(mdb_put(txn, s->seqs, &k, &d, 0))) == SK_OK &&
	    (p->used = schakel__v1__used_seq__unpack(NULL, n, buf)) == NULL)
		st = SK_ERR_NOMEM;
	free(buf);
	return st;
}

struct match_ctx {
	reg_publish *p;
	MDB_txn *txn;
	const reg_live *old, *now;
};

static sk_status notify(reg_publish *p, MDB_txn *txn, const char *to, const char *other,
			const char *category)
{
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;

	it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH;
	it.time = p->now_ms;
	it.has_token = 1;
	it.token = p->e->token;
	it.has_epoch = 1;
	it.epoch = p->e->epoch;
	it.counterpart = (char *)other;
	it.category = (char *)category;
	return reg_mailbox_put(p->store, txn, to, &it);
}

/* Both sides hear of a match when the new version makes the entries
 * mutually visible and the old one did not; a republish that changes
 * nothing in visibility stays silent. */
static sk_status match_one(reg_live *other, void *arg)
{
	struct match_ctx *m = arg;
	const wire_policy *pol = &m->p->store->policy;
	sk_status st;

	if (reg_visible(pol, m->old, other) || !reg_visible(pol, m->now, other))
		return SK_OK;
	if ((st = notify(m->p, m->txn, m->now->org, other->org, other->category)) != SK_OK)
		return st;
	return notify(m->p, m->txn, other->org, m->now->org, m->now->category);
}

/* Matches, indexes and the publish -> lookup -> withdraw pattern, for the
 * new version p->e replacing old (which may be empty). */
static sk_status follow(reg_publish *p, MDB_txn *txn, reg_live *old)
{
	reg_live now = {0};
	struct match_ctx m = {p, txn, old, &now};
	sk_status st;

	memcpy(now.org, p->org_id, sizeof(now.org));
	memcpy(now.category, p->category, sizeof(now.category));
	now.e = p->e;
	now.live = !p->e->withdrawn && p->e->expires_at > p->now_ms;
	if (old->e != NULL && (st = reg_index_remove(p->store, txn, p->org_id, old->e,
						       old->se->leaf_index)) != SK_OK)
		return st;
	if (now.live &&
	    (st = reg_index_add(p->store, txn, p->org_id, p->e, p->used->leaf_index)) != SK_OK)
		return st;
	if ((st = reg_peers(p->store, txn, p->e->token.data, p->e->epoch, p->org_id, p->now_ms,
			    match_one, &m)) != SK_OK)
		return st;
	if (p->e->withdrawn && old->live && old->se->has_last_lookup_at &&
	    old->se->first_published_at + PATTERN_WINDOW_MS >= p->now_ms &&
	    old->se->last_lookup_at >= old->se->first_published_at)
		return reg_flag(p->store, txn, p->org_id,
				"publish, lookup and withdrawal of one entry within 48 hours",
				p->e->token.data, p->e->epoch, p->now_ms);
	return SK_OK;
}

/* Writer job (sk_write_fn): applies the entry, or only audits the refusal
 * already in p->result. Returns a failure only when nothing could be
 * written (then the job's audit record is lost with it). */
static sk_status publish_apply(MDB_txn *txn, void *arg)
{
	reg_publish *p = arg;
	reg_store *s = p->store;
	Schakel__V1__Member *m = NULL;
	reg_live old = {0};
	uint8_t ekey[ENTRY_KEY_MAX], skey[SEQ_KEY_MAX], leaf[WIRE_LEAF_HASH_BYTES];
	uint8_t head[AUDIT_HASH_BYTES];
	size_t eklen, sklen;
	uint64_t head_seq, seq = 0;
	bool listed = false;
	MDB_val k, d;
	audit_action action = AUDIT_ACTION_CREATE;
	char why[200];
	sk_status st;
	int rc, live_delta;

	if (p->result != SK_OK)
		return audit(p, txn, AUDIT_ACTION_CREATE, 0, NULL);
	/* membership as of now: a revocation takes effect at once */
	st = reg_member_get(s, txn, p->org_id, &m);
	if (st != SK_OK || m->has_revoked_at ||
	    sodium_memcmp(m->identity_key.data, p->identity_pk, KEY_ED25519_PK_BYTES) != 0) {
		refuse(p, SK_ERR_PERM, st == SK_OK && m->has_revoked_at ? "the org is revoked"
									 : "the org is not enrolled");
		goto audit_out;
	}
	if ((st = wire_leaf_hash(leaf, WIRE_LEAF_ENTRY, p->entry, p->entry_len, p->sig)) != SK_OK)
		goto out;
	sklen = seq_key(skey, p);
	k = (MDB_val){sklen, skey};
	if ((rc = mdb_get(txn, s->seqs, &k, &d)) == 0) {
		p->used = schakel__v1__used_seq__unpack(NULL, d.mv_size, d.mv_data);
		if (p->used == NULL) {
			st = SK_ERR_DB;
			goto out;
		}
		if (p->used->leaf_hash.len == sizeof(leaf) &&
		    sodium_memcmp(p->used->leaf_hash.data, leaf, sizeof(leaf)) == 0) {
			p->resubmission = 1; /* byte-identical: the original receipt */
			action = AUDIT_ACTION_READ;
		} else {
			schakel__v1__used_seq__free_unpacked(p->used, NULL);
			p->used = NULL;
			snprintf(why, sizeof(why), "sequence number %llu was already used for "
				 "another entry", (unsigned long long)p->e->seq);
			refuse(p, SK_ERR_EXISTS, why);
		}
		goto audit_out;
	} else if (rc != MDB_NOTFOUND) {
		st = sk_db_status(rc);
		goto out;
	}
	eklen = reg_entry_key(ekey, p->org_id, p->e->token.data, p->e->epoch);
	st = reg_live_load(s, txn, p->org_id, p->e->token.data, p->e->epoch, p->now_ms, &old);
	if (st == SK_OK) {
		if (old.se->seq >= p->e->seq) {
			snprintf(why, sizeof(why), "stale: this entry already has sequence number "
				 "%llu", (unsigned long long)old.se->seq);
			refuse(p, SK_ERR_EXISTS, why);
			goto audit_out;
		}
		action = p->e->withdrawn ? AUDIT_ACTION_DELETE : AUDIT_ACTION_UPDATE;
	} else if (st != SK_ERR_NOTFOUND) {
		goto out;
	} else if (p->e->withdrawn) {
		refuse(p, SK_ERR_NOTFOUND, "there is no entry to withdraw");
		goto audit_out;
	}
	/* a nearly full map keeps its reserve for audit records and reads */
	if (sk_db_room(s->env) != SK_OK) {
		refuse(p, SK_ERR_DISKFULL, "the registry's disk is full; nothing was stored");
		goto audit_out;
	}
	/* the org's quotas: live entries and publishes a minute, one record */
	live_delta = !p->e->withdrawn - (old.e != NULL && !old.e->withdrawn);
	if ((st = reg_quota_publish(s, txn, p->org_id, live_delta, p->now_ms, why, sizeof(why))) ==
	    SK_ERR_TOOBIG) {
		refuse(p, st, why);
		goto audit_out;
	} else if (st != SK_OK) {
		goto out;
	}
	/* the entry names the seq its own record gets, the one after the head:
	 * audited right after it is stored, before follow() may audit a flag */
	if ((st = audit_log_head(s->audit, txn, &head_seq, head)) != SK_OK ||
	    (st = store(p, txn, leaf, ekey, eklen, skey, sklen, &old, head_seq + 1, &listed)) !=
		    SK_OK ||
	    (st = audit(p, txn, action, listed ? AUDIT_APPEND_NO_CLIENT_INDEX : 0, &seq)) != SK_OK)
		goto out;
	if (listed && seq != head_seq + 1) {
		sk_error_set("the publish's audit record got seq %llu, its entry names %llu",
			     (unsigned long long)seq, (unsigned long long)(head_seq + 1));
		st = SK_ERR_DB;
		goto out;
	}
	st = follow(p, txn, &old);
	goto out;
audit_out:
	st = audit(p, txn, action, 0, NULL);
out:
	reg_live_clear(&old);
	schakel__v1__member__free_unpacked(m, NULL);
	return st;
}

/* The batch tree kept whole in memory: level l holds the hashes of the
 * complete subtrees of 2^l leaves, n >> l of them. */
typedef struct batch_tree {
	uint8_t *level[REG_BATCH_PROOF_MAX + 1];
	uint64_t count[REG_BATCH_PROOF_MAX + 1];
} batch_tree;

static sk_status batch_get(void *ctx, unsigned level, uint64_t index,
			   uint8_t out[static MERKLE_HASH_BYTES])
{
	const batch_tree *t = ctx;

	if (level > REG_BATCH_PROOF_MAX || index >= t->count[level])
		return SK_ERR_INVALID;
	memcpy(out, t->level[level] + index * MERKLE_HASH_BYTES, MERKLE_HASH_BYTES);
	return SK_OK;
}

/* Writer thread, after publish_apply: the receipt the commit signs for p
 * (an accepted publish or a resubmission, whose body is the original's),
 * or NULL when refused. */
static reg_receipt *publish_receipt(void *job)
{
	reg_publish *p = job;

	if (p->result != SK_OK || p->used == NULL)
		return NULL;
	p->receipt.body = p->used->receipt_body;
	return &p->receipt;
}

sk_status reg_publish_sign_batch(reg_receipt *const *rs, size_t n,
				 const uint8_t sk[static KEY_ED25519_SK_BYTES])
{
	uint8_t root[MERKLE_HASH_BYTES], sig[KEY_SIG_BYTES], proof[MERKLE_PROOF_BYTES];
	batch_tree t = {0};
	merkle_source src = {batch_get, &t};
	uint8_t *hashes;
	size_t len, at = 0;
	sk_status st = SK_OK;

	if (n == 0)
		return SK_OK;
	if (n > WIRE_RECEIPT_BATCH_MAX)
		return SK_ERR_TOOBIG;
	if ((hashes = malloc(2 * n * MERKLE_HASH_BYTES)) == NULL) /* n + n/2 + ... < 2n */
		return SK_ERR_NOMEM;
	for (unsigned l = 0; l <= REG_BATCH_PROOF_MAX; l++) {
		t.level[l] = hashes + at * MERKLE_HASH_BYTES;
		t.count[l] = n >> l;
		for (uint64_t i = 0; i < t.count[l]; i++) {
			uint8_t *h = t.level[l] + i * MERKLE_HASH_BYTES;

			if (l == 0) {
				randombytes_buf(rs[i]->salt, sizeof(rs[i]->salt));
				wire_receipt_leaf(h, rs[i]->salt, rs[i]->body.data, rs[i]->body.len);
			} else {
				merkle_node_hash(h, t.level[l - 1] + 2 * i * MERKLE_HASH_BYTES,
						 t.level[l - 1] + (2 * i + 1) * MERKLE_HASH_BYTES);
			}
		}
		at += t.count[l];
	}
	if ((st = merkle_root(root, &src, n)) != SK_OK ||
	    (st = wire_receipts_sign(sig, n, root, sk)) != SK_OK)
		goto out;
	for (size_t i = 0; i < n && st == SK_OK; i++) {
		if ((st = merkle_inclusion_proof(proof, &len, &src, i, n)) != SK_OK)
			break;
		if (len > REG_BATCH_PROOF_MAX) {
			st = SK_ERR_TOOBIG;
			break;
		}
		memcpy(rs[i]->sig, sig, sizeof(sig));
		rs[i]->size = n;
		rs[i]->index = i;
		memcpy(rs[i]->proof, proof, len * MERKLE_HASH_BYTES);
		rs[i]->proof_len = len;
	}
out:
	free(hashes);
	return st;
}

/* On a worker after the durable commit (commit: its outcome): reads the
 * checkpoint and the inclusion proof for the reply, keeping the writer's
 * critical path short. */
static void publish_finish(void *job, sk_status commit)
{
	reg_publish *p = job;
	uint64_t size = 0;
	MDB_txn *txn = NULL;
	struct reg_log_ctx ctx;
	merkle_source src;
	sk_status st;

	p->reply_st = SK_ERR_FAILED;
	if (commit != SK_OK || p->result != SK_OK || p->used == NULL || p->receipt.size == 0)
		return;
	if ((st = sk_db_status(mdb_txn_begin(p->store->env, NULL, MDB_RDONLY, &txn))) != SK_OK) {
		p->reply_st = st;
		return;
	}
	reg_log_source(&src, &ctx, &p->store->log, txn);
	st = reg_log_checkpoint(&p->store->log, txn, &p->note, &p->note_len, &size);
	if (st == SK_OK && p->used->leaf_index < size)
		st = merkle_inclusion_proof(p->proof, &p->proof_len, &src, p->used->leaf_index, size);
	else if (st == SK_OK)
		st = SK_ERR_DB; /* the batch hook signs before the commit */
	mdb_txn_abort(txn);
	p->reply_st = st;
}

/* On the loop thread after publish_finish: sends c the receipt with the
 * latest checkpoint and the inclusion proof against it, or an Error
 * (commit's failure, or the refusal). */
static sk_status publish_reply(void *job, sk_status commit, net_conn *c, uint64_t request_id)
{
	reg_publish *p = job;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__PublishReceipt r = SCHAKEL__V1__PUBLISH_RECEIPT__INIT;

	if (commit != SK_OK)
		return reg_send_error(c, request_id, commit,
				      commit == SK_ERR_DISKFULL ? "the registry's disk is full; "
								  "nothing was stored"
								: NULL);
	if (p->result != SK_OK)
		return reg_send_error(c, request_id, p->result, p->reason);
	if (p->reply_st != SK_OK)
		return reg_send_error(c, request_id, p->reply_st, NULL);
	r.body = p->used->receipt_body;
	r.signature = (ProtobufCBinaryData){KEY_SIG_BYTES, p->receipt.sig};
	r.batch_size = p->receipt.size;
	r.batch_index = p->receipt.index;
	r.batch_proof = (ProtobufCBinaryData){p->receipt.proof_len * MERKLE_HASH_BYTES,
					      p->receipt.proof};
	r.batch_salt = (ProtobufCBinaryData){sizeof(p->receipt.salt), p->receipt.salt};
	r.has_checkpoint = 1;
	r.checkpoint = (ProtobufCBinaryData){p->note_len, p->note};
	r.has_inclusion_proof = 1;
	r.inclusion_proof = (ProtobufCBinaryData){p->proof_len * MERKLE_HASH_BYTES, p->proof};
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_RECEIPT;
	env.publish_receipt = &r;
	return net_conn_send(c, &env);
}

/* The publish request kind (registry/op.h). */

static const char *publish_screen(const wire_envelope *env, const ProtobufCMessage **body,
				  size_t *len, size_t *cap)
{
	*body = &env->publish_request->base;
	*len = env->publish_request->entry.len;
	*cap = REG_ENTRY_BYTES_MAX;
	return NULL; /* a withdrawal's refusal too is an entry.publish */
}

static sk_status publish_result(const void *job, const char **why)
{
	const reg_publish *p = job;

	if (why != NULL)
		*why = p->reason;
	return p->result;
}

const reg_op reg_op_publish = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST,
	.name = "entry.publish",
	.flags = REG_OP_FLAT,
	.screen = publish_screen,
	.new = publish_new,
	.check = publish_check,
	.apply = publish_apply,
	.receipt = publish_receipt,
	.finish = publish_finish,
	.reply = publish_reply,
	.result = publish_result,
	.free = publish_free,
};
