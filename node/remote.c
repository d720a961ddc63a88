#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/file.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "crypto/seal.h"
#include "net/conn.h"
#include "node/case.h"
#include "node/chain.h"
#include "node/client.h"
#include "node/contact.h"
#include "node/professional.h"
#include "node/remote.h"
#include "node/resume.h"
#include "node/session_int.h"
#include "node/token.h"
#include "node/discuss.h"
#include "node/enckeys.h"
#include "node/logtrack.h"
#include "node/members.h"
#include "protos/wire.h"

#define DOMAIN_ENTRY "schakel/v1/entry"

/* One tree (size, root) a receipt's checkpoint named. */
typedef node_log_tree tree_ref;


/* ---- bulk publish ----------------------------------------------------- */

typedef struct pub_item {
	char client[NODE_CLIENT_ID_MAX + 1];
	uint64_t gen, seq;
	int withdraw;
	node_basis basis;
	uint8_t *entry; /* malloc'd, as signed */
	size_t elen;
	uint8_t sig[KEY_SIG_BYTES];
	char corr[33];
	sk_status st;    /* the registry's answer */
	char why[160];   /* its reason when refused */
	tree_ref tree;   /* the receipt's checkpoint */
} pub_item;

typedef struct pub_thread {
	node_remote *r;
	pub_item *items;
	size_t first, n, stride;
	sk_status st; /* a failure that stops the whole publish */
	char what[32], why[192];
	uint8_t *ev_a, *ev_b; /* evidence, malloc'd */
	size_t ev_alen, ev_blen;
	wire_receipt_cache receipts; /* the last receipt batch verified */
	uint8_t note_hash[32]; /* the last checkpoint verified, by its bytes */
	tree_ref note_tree;
	int have_note;
} pub_thread;

static void pub_fail(pub_thread *t, const char *what, const char *why, const uint8_t *a,
		     size_t alen, const uint8_t *b, size_t blen)
{
	t->st = SK_ERR_VERIFY;
	snprintf(t->what, sizeof(t->what), "%s", what);
	snprintf(t->why, sizeof(t->why), "%s", why);
	if ((t->ev_a = malloc(alen ? alen : 1)) != NULL && alen)
		memcpy(t->ev_a, a, alen);
	t->ev_alen = t->ev_a != NULL ? alen : 0;
	if ((t->ev_b = malloc(blen ? blen : 1)) != NULL && blen)
		memcpy(t->ev_b, b, blen);
	t->ev_blen = t->ev_b != NULL ? blen : 0;
}

/* A receipt: the registry's batch signature, our leaf, the signed
 * checkpoint and the inclusion proof; consistency is checked for the whole
 * run afterwards. */
static void pub_check(pub_thread *t, pub_item *it, const Schakel__V1__PublishReceipt *rc)
{
	node_remote *r = t->r;
	Schakel__V1__PublishReceiptBody *rb = NULL;
	uint8_t leaf[WIRE_LEAF_HASH_BYTES], h[32];
	note_checkpoint cp;

	/* receipts of one group commit share a signature: checked once */
	if (wire_receipt_verify(rc, r->fed->registry_key, &t->receipts) != SK_OK ||
	    (rb = schakel__v1__publish_receipt_body__unpack(NULL, rc->body.len, rc->body.data)) ==
		    NULL) {
		pub_fail(t, "receipt", "the registry's receipt does not verify", rc->body.data,
			 rc->body.len, NULL, 0);
		goto out;
	}
	if (wire_leaf_hash(leaf, WIRE_LEAF_ENTRY, it->entry, it->elen, it->sig) != SK_OK ||
	    rb->seq != it->seq || rb->leaf_hash.len != sizeof(leaf) ||
	    memcmp(rb->leaf_hash.data, leaf, sizeof(leaf)) != 0) {
		pub_fail(t, "receipt", "the receipt is for another entry", rc->body.data,
			 rc->body.len, NULL, 0);
		goto out;
	}
	if (!rc->has_checkpoint) {
		pub_fail(t, "receipt-checkpoint", "the receipt carries no checkpoint", NULL, 0, NULL,
			 0);
		goto out;
	}
	/* receipts of one group commit share a checkpoint: verified once */
	crypto_hash_sha256(h, rc->checkpoint.data, rc->checkpoint.len);
	if (!t->have_note || memcmp(h, t->note_hash, sizeof(h)) != 0) {
		if (note_checkpoint_open(&cp, NULL, rc->checkpoint.data, rc->checkpoint.len,
					 &r->log_key, NULL, 0) != SK_OK) {
			pub_fail(t, "receipt-checkpoint", "the receipt's checkpoint does not verify",
				 rc->checkpoint.data, rc->checkpoint.len, NULL, 0);
			goto out;
		}
		memcpy(t->note_hash, h, sizeof(h));
		t->note_tree.size = cp.size;
		memcpy(t->note_tree.root, cp.root, MERKLE_HASH_BYTES);
		t->have_note = 1;
	}
	if (!rc->has_inclusion_proof || rc->inclusion_proof.len % MERKLE_HASH_BYTES != 0 ||
	    merkle_inclusion_verify(t->note_tree.root, leaf, rb->leaf_index, t->note_tree.size,
				    rc->inclusion_proof.data,
				    rc->inclusion_proof.len / MERKLE_HASH_BYTES) != SK_OK) {
		pub_fail(t, "inclusion", "the entry's inclusion proof does not verify",
			 rc->checkpoint.data, rc->checkpoint.len, rc->inclusion_proof.data,
			 rc->inclusion_proof.len);
		goto out;
	}
	it->tree = t->note_tree;
	it->st = SK_OK;
out:
	schakel__v1__publish_receipt_body__free_unpacked(rb, NULL);
}

static void *pub_main(void *arg)
{
	pub_thread *t = arg;
	node_remote *r = t->r;
	net_sync *sc = NULL;

	if ((t->st = node_remote_connect(r, &sc)) != SK_OK) {
		snprintf(t->why, sizeof(t->why), "%s", sk_error_detail());
		return NULL;
	}
	for (size_t i = t->first; i < t->n && t->st == SK_OK; i += t->stride) {
		Schakel__V1__PublishRequest req = SCHAKEL__V1__PUBLISH_REQUEST__INIT;
		wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
		pub_item *it = &t->items[i];
		uint8_t corr[16];
		size_t got = 0;
		sk_status st;

		req.entry = (ProtobufCBinaryData){it->elen, it->entry};
		req.signature = (ProtobufCBinaryData){KEY_SIG_BYTES, it->sig};
		if (sodium_hex2bin(corr, sizeof(corr), it->corr, strlen(it->corr), NULL, &got,
				   NULL) == 0) {
			req.has_correlation_id = 1;
			req.correlation_id = (ProtobufCBinaryData){got, corr};
		}
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST;
		env.publish_request = &req;
		st = net_sync_request(sc, &env, &reply);
		if (st == SK_ERR_IO || st == SK_ERR_FAILED) {
			t->st = st; /* the connection is gone: stop, the rest stays dirty */
			snprintf(t->why, sizeof(t->why), "%s", sk_error_detail());
		} else if (st != SK_OK) {
			it->st = st;
			snprintf(it->why, sizeof(it->why), "%s", sk_error_detail());
		} else if (reply->body_case != SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_RECEIPT) {
			it->st = SK_ERR_INVALID;
			snprintf(it->why, sizeof(it->why), "the registry answered with another kind of "
							   "message");
		} else {
			pub_check(t, it, reply->publish_receipt);
		}
		wire_envelope_free(reply);
	}
	net_sync_close(sc);
	return NULL;
}

static int tree_cmp(const void *a, const void *b)
{
	const tree_ref *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

/* Every distinct receipt tree proven consistent with the registry's latest
 * checkpoint, which becomes the verified one (node_remote_checkpoint_advance). */
static sk_status pub_consistency(node_remote *r, const pub_item *items, size_t n)
{
	tree_ref *trees = calloc(n ? n : 1, sizeof(*trees));
	size_t nt = 0, u = 0;
	sk_status st;

	if (trees == NULL)
		return SK_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		if (items[i].st == SK_OK && items[i].entry != NULL)
			trees[nt++] = items[i].tree;
	qsort(trees, nt, sizeof(*trees), tree_cmp);
	for (size_t i = 0; i < nt; i++) {
		if (u > 0 && trees[u - 1].size == trees[i].size) {
			if (memcmp(trees[u - 1].root, trees[i].root, MERKLE_HASH_BYTES) != 0) {
				st = node_remote_integrity(r, "forked-checkpoint",
					       "the registry signed two different trees of one size",
					       trees[u - 1].root, MERKLE_HASH_BYTES, trees[i].root,
					       MERKLE_HASH_BYTES);
				free(trees);
				return st;
			}
			continue;
		}
		trees[u++] = trees[i];
	}
	st = node_remote_checkpoint_advance(r, trees, u, NULL);
	free(trees);
	return st;
}

/* Builds and signs the entry of one client (seq given). */
static sk_status pub_build(node_remote *r, pub_item *it, uint32_t epoch,
			   const uint8_t head[static 32])
{
	MDB_txn *txn = NULL;
	Schakel__V1__Entry e = SCHAKEL__V1__ENTRY__INIT;
	node_entry_derived d;
	uint8_t token[BSN_TOKEN_BYTES], ck[BSN_CONTACT_KEY_BYTES], salt[16], corr[16];
	uint8_t contact[NODE_CONTACT_MAX];
	char *cats[WIRE_POLICY_MAX];
	size_t clen = 0;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = node_entry_derive(r->s, txn, it->client, node_now_ms(), &d);
	mdb_txn_abort(txn); /* the token may need a write transaction of its own */
	if (st != SK_OK || (st = node_remote_token(r, it->client, epoch, token, ck)) != SK_OK)
		goto out;
	it->withdraw = d.withdraw;
	it->basis = d.basis;
	e.token = (ProtobufCBinaryData){BSN_TOKEN_BYTES, token};
	e.epoch = epoch;
	e.org_id = r->s->org_id;
	e.basis = d.basis == NODE_BASIS_STATUTORY ? SCHAKEL__V1__BASIS__BASIS_STATUTORY
						 : SCHAKEL__V1__BASIS__BASIS_CONSENT;
	if (d.withdraw) {
		e.has_withdrawn = e.withdrawn = 1;
	} else {
		e.flags = d.flags;
		e.has_regie = e.regie = d.regie;
		for (size_t i = 0; i < d.n_categories; i++)
			cats[i] = d.categories[i];
		e.n_categories = d.n_categories;
		e.categories = cats;
		/* not the exact expiry: it would link this entry across epochs */
		e.expires_at = node_entry_expiry_blur(d.expires_at, node_now_ms());
		if ((d.flags & NODE_FLAG_CONTACT) &&
		    (st = node_contact_seal(r->s, &d, token, epoch, ck, contact, sizeof(contact),
					    &clen)) != SK_OK)
			goto out;
		if (clen > 0) {
			e.has_sealed_contact = 1;
			e.sealed_contact = (ProtobufCBinaryData){clen, contact};
		}
	}
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(corr, sizeof(corr));
	sodium_bin2hex(it->corr, sizeof(it->corr), corr, sizeof(corr));
	e.salt = (ProtobufCBinaryData){sizeof(salt), salt};
	e.audit_head = (ProtobufCBinaryData){32, (uint8_t *)head};
	e.issued_at = node_now_ms();
	if (e.withdrawn)
		e.expires_at = e.issued_at;
	e.seq = it->seq;
	it->elen = schakel__v1__entry__get_packed_size(&e);
	if ((it->entry = malloc(it->elen)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	schakel__v1__entry__pack(&e, it->entry);
	st = key_sign(it->sig, DOMAIN_ENTRY, it->entry, it->elen, r->id->sk);
out:
	sodium_memzero(ck, sizeof(ck));
	return st;
}

/* Audit records and cleared dirty marks of the published items. */
static sk_status pub_record(node_remote *r, const pub_item *items, size_t n)
{
	for (size_t at = 0; at < n;) {
		MDB_txn *txn = NULL;
		size_t end = at + 1000 < n ? at + 1000 : n;
		sk_status st;

		if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
			return st;
		for (; at < end && st == SK_OK; at++) {
			const pub_item *it = &items[at];
			audit_record rec = {0};

			if (it->entry == NULL ||
			    !(it->st == SK_OK || (it->st == SK_ERR_NOTFOUND && it->withdraw)))
				continue;
			rec.event = it->withdraw ? "entry.withdraw" : "entry.publish";
			rec.action = it->withdraw ? AUDIT_ACTION_DELETE : AUDIT_ACTION_UPDATE;
			rec.outcome = AUDIT_OUTCOME_OK;
			rec.client = it->client;
			rec.counterpart =
				r->fed->registry_org_id[0] ? r->fed->registry_org_id : NULL;
			rec.correlation_id = it->corr;
			rec.legal_basis = it->withdraw ? NULL
					  : it->basis == NODE_BASIS_STATUTORY ? "statutory"
									      : "consent";
			if ((st = node_audit(r->s, txn, &rec)) == SK_OK)
				st = node_dirty_clear(r->s, txn, it->client, it->gen, NULL);
		}
		if (st != SK_OK) {
			mdb_txn_abort(txn);
			return st;
		}
		if ((st = sk_db_status(mdb_txn_commit(txn))) != SK_OK)
			return st;
	}
	return SK_OK;
}

sk_status node_remote_publish_many(node_remote *r, const char (*clients)[NODE_CLIENT_ID_MAX + 1],
				   size_t n, size_t *done, size_t *failed)
{
	pub_item *items = calloc(n ? n : 1, sizeof(*items));
	pub_thread th[NODE_PUBLISH_THREADS];
	pthread_t tid[NODE_PUBLISH_THREADS];
	size_t nth = n / 64 + 1, started = 0;
	uint32_t epoch = node_remote_epoch(r);
	uint8_t head[32];
	uint64_t head_seq, first = 0;
	MDB_txn *txn = NULL;
	sk_status st = SK_OK;

	*done = *failed = 0;
	if (items == NULL)
		return SK_ERR_NOMEM;
	if (n == 0)
		goto out;
	if (nth > NODE_PUBLISH_THREADS)
		nth = NODE_PUBLISH_THREADS;
	/* the numbers are durable before they are used: a crash never reuses one
	 * (and, after a restore, above those the registry holds) */
	if ((st = node_remote_resume(r)) != SK_OK || (st = node_seq_reserve(r->s, n, &first)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if ((st = audit_log_head(r->s->audit, txn, &head_seq, head)) == SK_OK) {
		for (size_t i = 0; i < n && st == SK_OK; i++) {
			MDB_val k = {strlen(clients[i]), (void *)clients[i]}, v;

			snprintf(items[i].client, sizeof(items[i].client), "%s", clients[i]);
			items[i].seq = first + i;
			items[i].st = SK_ERR_FAILED; /* not sent */
			if (mdb_get(txn, r->s->dirty, &k, &v) == 0 && v.mv_size == 8)
				items[i].gen = node_get_u64(v.mv_data);
		}
	}
	mdb_txn_abort(txn);
	/* clients in a random order over the numbers: a republish (a new epoch)
	 * does not line its entries up with the old ones by order or seq */
	for (size_t i = n; st == SK_OK && i > 1; i--) {
		size_t j = randombytes_uniform((uint32_t)i);
		pub_item t = items[i - 1];
		uint64_t seq = items[i - 1].seq;

		items[i - 1] = items[j];
		items[j] = t;
		items[j].seq = items[i - 1].seq;
		items[i - 1].seq = seq;
	}
	for (size_t i = 0; i < n && st == SK_OK; i++)
		st = pub_build(r, &items[i], epoch, head);
	if (st != SK_OK)
		goto out;
	for (size_t t = 0; t < nth; t++) {
		th[t] = (pub_thread){.r = r, .items = items, .first = t, .n = n, .stride = nth};
		if (pthread_create(&tid[t], NULL, pub_main, &th[t]) != 0) {
			st = SK_ERR_NOMEM;
			break;
		}
		started++;
	}
	for (size_t t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	for (size_t t = 0; t < started && st == SK_OK; t++) {
		if (th[t].st == SK_ERR_VERIFY)
			st = node_remote_integrity(r, th[t].what, th[t].why, th[t].ev_a, th[t].ev_alen, th[t].ev_b,
				       th[t].ev_blen);
		else if (th[t].st != SK_OK) {
			sk_error_set("%s", th[t].why);
			st = th[t].st;
		}
	}
	for (size_t t = 0; t < started; t++) {
		free(th[t].ev_a);
		free(th[t].ev_b);
	}
	if (st != SK_OK)
		goto out;
	if ((st = pub_consistency(r, items, n)) != SK_OK || (st = pub_record(r, items, n)) != SK_OK)
		goto out;
	if (n == 1 && !(items[0].st == SK_OK || (items[0].st == SK_ERR_NOTFOUND && items[0].withdraw))) {
		/* one entry: its refusal is the answer */
		sk_error_set("%s", items[0].why[0] ? items[0].why : sk_strerror(items[0].st));
		*failed = 1;
		st = items[0].st;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (items[i].st == SK_OK || (items[i].st == SK_ERR_NOTFOUND && items[i].withdraw)) {
			(*done)++;
		} else if ((*failed)++ < 5) {
			fprintf(stderr,
				"schakel-node: warning: the entry of client %s is not yet published "
				"(%s); 'sync' will retry\n",
				items[i].client, items[i].why[0] ? items[i].why : sk_strerror(items[i].st));
		}
	}
	if (*failed > 5)
		fprintf(stderr, "schakel-node: warning: %zu more entries not yet published\n",
			*failed - 5);
out:
	for (size_t i = 0; i < n; i++)
		free(items[i].entry);
	free(items);
	return st;
}

sk_status node_remote_publish(node_remote *r, const char *client)
{
	char id[1][NODE_CLIENT_ID_MAX + 1];
	size_t done = 0, failed = 0;

	if (strlen(client) > NODE_CLIENT_ID_MAX)
		return SK_ERR_INVALID;
	memcpy(id[0], client, strlen(client) + 1);
	return node_remote_publish_many(r, (const char(*)[NODE_CLIENT_ID_MAX + 1])id, 1, &done,
					&failed);
}

struct assigned_arg {
	const char *prof;
	int found;
};

static sk_status assigned_open(const node_case *c, void *arg)
{
	struct assigned_arg *a = arg;

	if (c->open && node_case_assigned(c, a->prof))
		a->found = 1;
	return SK_OK;
}

sk_status node_remote_assigned(node_store *s, MDB_txn *txn, const char *client, const char *prof,
			       int *yes)
{
	struct assigned_arg a = {prof, 0};
	sk_status st = node_case_scan(s, txn, client, assigned_open, &a);

	*yes = a.found;
	return st;
}

/* The node's audit record of a lookup, allowed or denied. */
static sk_status audit_lookup(node_remote *r, const char *client, const char *prof,
			      const char *role, const char *purpose, const char *reason,
			      const char *partners, const char *corr, const char *basis)
{
	audit_record rec = {0};

	rec.legal_basis = basis;
	rec.event = "lookup";
	rec.action = AUDIT_ACTION_READ;
	rec.outcome = reason == NULL ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_DENIED;
	rec.reason = reason;
	rec.user = prof;
	rec.role = role;
	rec.client = client;
	rec.purpose = purpose;
	rec.counterpart = partners != NULL && partners[0] ? partners : NULL;
	rec.correlation_id = corr;
	return node_audit_commit(r->s, &rec);
}

sk_status node_remote_lookup(node_remote *r, const char *client_ref, const char *prof,
			     const char *purpose, node_partner *out, size_t *n)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__LookupRequest req = SCHAKEL__V1__LOOKUP_REQUEST__INIT;
	char client[NODE_CLIENT_ID_MAX + 1], corr_hex[33], partners[AUDIT_FIELD_MAX + 1] = "";
	uint8_t token[BSN_TOKEN_BYTES], ck[BSN_CONTACT_KEY_BYTES], head[32], corr[16];
	struct assigned_arg a = {prof, 0};
	node_professional p;
	node_entry_derived d;
	const char *basis = NULL;
	uint32_t epoch = node_remote_epoch(r);
	MDB_txn *txn = NULL;
	uint64_t head_seq;
	size_t used = 0;
	sk_status st;

	*n = 0;
	randombytes_buf(corr, sizeof(corr));
	sodium_bin2hex(corr_hex, sizeof(corr_hex), corr, sizeof(corr));
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if ((st = node_client_resolve(r->s, txn, client_ref, client)) == SK_OK &&
	    (st = node_professional_get(r->s, txn, prof, &p)) == SK_OK &&
	    (st = node_case_scan(r->s, txn, client, assigned_open, &a)) == SK_OK &&
	    (st = audit_log_head(r->s->audit, txn, &head_seq, head)) == SK_OK &&
	    node_entry_derive(r->s, txn, client, node_now_ms(), &d) == SK_OK && !d.withdraw)
		/* the basis the client's cases give, for the privacy officer's review */
		basis = d.basis == NODE_BASIS_STATUTORY ? "statutory" : "consent";
	mdb_txn_abort(txn);
	if (st != SK_OK)
		return st;
	if (!a.found || !wire_purpose_valid(purpose)) {
		const char *why = !a.found ? "the professional is not assigned to an open case of "
					     "this client"
					   : "unknown purpose code";

		if ((st = audit_lookup(r, client, prof, p.role, purpose, why, NULL, corr_hex, basis)) !=
		    SK_OK)
			return st;
		sk_error_set("%s", why);
		return SK_ERR_PERM;
	}
	if ((st = node_remote_token(r, client, epoch, token, ck)) != SK_OK)
		return st;
	req.token = (ProtobufCBinaryData){sizeof(token), token};
	req.epoch = epoch;
	req.purpose = (char *)purpose;
	req.role = p.role;
	req.audit_head = (ProtobufCBinaryData){sizeof(head), head};
	req.has_correlation_id = 1;
	req.correlation_id = (ProtobufCBinaryData){sizeof(corr), corr};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_REQUEST;
	env.lookup_request = &req;
	st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_RESPONSE, &reply);
	if (st != SK_OK) {
		char why[AUDIT_REASON_MAX + 1];

		audit_text_clean(why, sizeof(why), sk_error_detail());
		if (audit_lookup(r, client, prof, p.role, purpose, why, NULL, corr_hex, basis) != SK_OK)
			sk_error_set("%s (and the refusal could not be audited)", why);
		goto out;
	}
	for (size_t i = 0; i < reply->lookup_response->n_results && *n < NODE_LOOKUP_MAX; i++) {
		const Schakel__V1__LookupResult *res = reply->lookup_response->results[i];
		node_partner *o = &out[*n];
		int w;

		/* the node enforces the policy matrix too */
		if (!wire_policy_sees(&r->s->policy, r->s->category, res->category) ||
		    !wire_policy_sees(&r->s->policy, res->category, r->s->category))
			continue;
		snprintf(o->org, sizeof(o->org), "%s", res->org_id);
		snprintf(o->category, sizeof(o->category), "%s", res->category);
		o->regie = res->regie;
		node_contact_open(res, token, epoch, ck, o->contact, sizeof(o->contact));
		w = snprintf(partners + used, sizeof(partners) - used, "%s%s", *n ? "," : "", o->org);
		if (w > 0 && (size_t)w < sizeof(partners) - used)
			used += (size_t)w;
		(*n)++;
	}
	st = audit_lookup(r, client, prof, p.role, purpose, NULL, partners, corr_hex, basis);
out:
	wire_envelope_free(reply);
	sodium_memzero(ck, sizeof(ck));
	return st;
}

struct dirty_list {
	char (*ids)[NODE_CLIENT_ID_MAX + 1];
	size_t n, cap;
};

static sk_status collect_dirty(const char *client, uint64_t gen, void *arg)
{
	struct dirty_list *l = arg;

	if (l->n == l->cap)
		return SK_OK; /* the rest on the next sync */
	snprintf(l->ids[l->n++], NODE_CLIENT_ID_MAX + 1, "%s", client);
	return SK_OK;
}

/* Stores a mailbox item and audits what the privacy officer must see. */
static sk_status keep_item(node_remote *r, MDB_txn *txn, const Schakel__V1__MailboxItem *it)
{
	char client[NODE_CLIENT_ID_MAX + 1] = "";
	audit_record rec = {0};
	uint8_t key[8], *buf;
	size_t len = schakel__v1__mailbox_item__get_packed_size(it);
	MDB_val k = {8, key}, d;
	sk_status st;

	if (it->has_token && it->token.len == BSN_TOKEN_BYTES &&
	    node_token_find(r->s, txn, it->token.data, it->epoch, client) != SK_OK)
		client[0] = 0;
	node_put_u64(key, it->seq);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__mailbox_item__pack(it, buf);
	d = (MDB_val){len, buf};
	st = sk_db_status(mdb_put(txn, r->inbox, &k, &d, 0));
	free(buf);
	if (st != SK_OK)
		return st;
	switch (it->kind) {
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE:
		rec.event = "disclosure.notice";
		rec.action = AUDIT_ACTION_READ;
		rec.role = it->role;
		rec.purpose = it->purpose;
		break;
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_PATTERN:
		rec.event = "pattern.flag";
		rec.action = AUDIT_ACTION_EXECUTE;
		rec.reason = it->detail;
		break;
	default:
		return SK_OK;
	}
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.access_point = "registry";
	rec.client = client[0] ? client : NULL;
	rec.counterpart = it->counterpart;
	rec.category = it->category;
	return node_audit(r->s, txn, &rec);
}

static sk_status pull_mailbox(node_remote *r, size_t *items)
{
	for (;;) {
		wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
		Schakel__V1__MailboxRequest req = SCHAKEL__V1__MAILBOX_REQUEST__INIT;
		const Schakel__V1__MailboxResponse *mr;
		MDB_txn *txn = NULL;
		uint64_t cursor;
		sk_status st;

		if ((st = node_remote_meta(r, NODE_META_MAILBOX_CURSOR, &cursor)) != SK_OK)
			return st;
		req.after = cursor;
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_MAILBOX_REQUEST;
		env.mailbox_request = &req;
		if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_MAILBOX_RESPONSE, &reply)) !=
		    SK_OK)
			return st;
		mr = reply->mailbox_response;
		if (mr->n_items == 0) {
			wire_envelope_free(reply);
			return SK_OK;
		}
		/* items and the cursor move together */
		if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) == SK_OK) {
			for (size_t i = 0; i < mr->n_items && st == SK_OK; i++) {
				if (mr->items[i]->seq <= cursor)
					continue;
				st = keep_item(r, txn, mr->items[i]);
				cursor = mr->items[i]->seq;
				(*items)++;
			}
			if (st == SK_OK && (st = node_mailbox_cursor_put(r->s, txn, cursor)) == SK_OK)
				st = sk_db_status(mdb_txn_commit(txn));
			else
				mdb_txn_abort(txn);
		}
		wire_envelope_free(reply);
		if (st != SK_OK)
			return st;
	}
}

/* Stores a local alert for the privacy officer (kind PATTERN, negative
 * sequence space: key u64 max - leaf) and audits it. */
static sk_status cert_alert(node_remote *r, MDB_txn *txn, uint64_t leaf)
{
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;
	char detail[160];
	audit_record rec = {0};
	sk_status st;

	snprintf(detail, sizeof(detail),
		 "ALERT: the registry's log holds a certificate for our org id that this node did "
		 "not request (log leaf %llu)",
		 (unsigned long long)leaf);
	it.seq = UINT64_MAX - leaf;
	it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_PATTERN;
	it.time = node_now_ms();
	it.detail = detail;
	it.counterpart = r->s->org_id;
	if ((st = keep_item(r, txn, &it)) != SK_OK)
		return st;
	rec.event = "certificate.alert";
	rec.action = AUDIT_ACTION_EXECUTE;
	rec.outcome = AUDIT_OUTCOME_FAILED;
	rec.reason = detail;
	rec.access_point = "registry";
	fprintf(stderr, "schakel-node: %s\n", detail);
	return node_audit(r->s, txn, &rec);
}

/* Follows the member events in the log: a certificate issued for our org
 * id with a key that is not ours means someone else was enrolled as us. */
static sk_status pull_events(node_remote *r, size_t *alerts)
{
	for (;;) {
		wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
		Schakel__V1__MemberEventsRequest req = SCHAKEL__V1__MEMBER_EVENTS_REQUEST__INIT;
		const Schakel__V1__MemberEventsResponse *mr;
		MDB_txn *txn = NULL;
		uint64_t cursor;
		sk_status st;

		if ((st = node_remote_meta(r, "events.cursor", &cursor)) != SK_OK)
			return st;
		req.from = cursor;
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_MEMBER_EVENTS_REQUEST;
		env.member_events_request = &req;
		if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_MEMBER_EVENTS_RESPONSE,
				  &reply)) != SK_OK)
			return st;
		mr = reply->member_events_response;
		if (mr->n_events == 0) {
			wire_envelope_free(reply);
			return SK_OK;
		}
		if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) == SK_OK) {
			for (size_t i = 0; i < mr->n_events && st == SK_OK; i++) {
				const Schakel__V1__SignedMemberEvent *se = mr->events[i];
				Schakel__V1__MemberEvent *ev;
				net_peer peer;

				if (se->leaf_index < cursor || se->signature.len != KEY_SIG_BYTES ||
				    key_verify(se->signature.data, "schakel/v1/member-event",
					       se->body.data, se->body.len,
					       r->fed->registry_key) != SK_OK) {
					st = node_remote_integrity(r, "member-event",
						       "a member event does not verify under the "
						       "registry's key",
						       se->body.data, se->body.len, NULL, 0);
					break;
				}
				cursor = se->leaf_index + 1;
				ev = schakel__v1__member_event__unpack(NULL, se->body.len, se->body.data);
				if (ev != NULL &&
				    (st = node_members_apply(r->s, txn, ev, r->fed->ca_cert,
							     r->fed->ca_cert_len)) != SK_OK) {
					schakel__v1__member_event__free_unpacked(ev, NULL);
					if (st == SK_ERR_VERIFY)
						st = node_remote_integrity(r, "member-event", sk_error_detail(),
							       se->body.data, se->body.len, NULL, 0);
					break;
				}
				if (ev != NULL && strcmp(ev->org_id, r->s->org_id) == 0 && ev->has_cert &&
				    (net_cert_verify(&peer, ev->cert.data, ev->cert.len, r->fed->ca_cert,
						     r->fed->ca_cert_len,
						     (int64_t)(node_now_ms() / 1000)) != SK_OK ||
				     sodium_memcmp(peer.tls_pk, r->s->tls_pk, KEY_ED25519_PK_BYTES) != 0)) {
					st = cert_alert(r, txn, se->leaf_index);
					(*alerts)++;
				}
				schakel__v1__member_event__free_unpacked(ev, NULL);
			}
			if (st == SK_OK &&
			    (st = node_meta_u64_put(r->s, txn, "events.cursor", cursor)) == SK_OK)
				st = sk_db_status(mdb_txn_commit(txn));
			else
				mdb_txn_abort(txn);
		}
		wire_envelope_free(reply);
		if (st != SK_OK)
			return st;
	}
}

/* Anchors the current audit head in the registry's log when it moved on
 * since the last anchor: records before an anchored head cannot later be
 * cut off or changed unnoticed. */
static sk_status anchor(node_remote *r, int *done)
{
	Schakel__V1__AnchorBody b = SCHAKEL__V1__ANCHOR_BODY__INIT;
	Schakel__V1__AnchorRequest req = SCHAKEL__V1__ANCHOR_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	uint8_t head[AUDIT_HASH_BYTES], body[256], sig[KEY_SIG_BYTES];
	uint64_t seq, last, when = 0, floor = 0;
	MDB_txn *txn = NULL;
	size_t n;
	sk_status st;

	*done = 0;
	if ((st = node_remote_resume(r)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if ((st = audit_log_head(r->s->audit, txn, &seq, head)) == SK_OK &&
	    (st = node_meta_u64(r->s, txn, "anchor.seq", 0, &last)) == SK_OK &&
	    (st = node_meta_u64(r->s, txn, NODE_META_ANCHOR_FLOOR, 0, &floor)) == SK_OK)
		st = node_meta_u64(r->s, txn, "anchor.time", 0, &when);
	mdb_txn_abort(txn);
	/* every few minutes while the log grows, not at every sync; after a
	 * restore, only past what the registry anchored already */
	if (st != SK_OK || seq == 0 || seq <= last || seq <= floor ||
	    (last != 0 && node_now_ms() < when + NODE_ANCHOR_MS))
		return st;
	b.org_id = r->s->org_id;
	b.seq = seq;
	b.head = (ProtobufCBinaryData){sizeof(head), head};
	b.time = node_now_ms();
	if ((n = schakel__v1__anchor_body__get_packed_size(&b)) > sizeof(body))
		return SK_ERR_TOOBIG;
	schakel__v1__anchor_body__pack(&b, body);
	if ((st = key_sign(sig, WIRE_DOMAIN_ANCHOR, body, n, r->id->sk)) != SK_OK)
		return st;
	req.body = (ProtobufCBinaryData){n, body};
	req.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ANCHOR_REQUEST;
	env.anchor_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_ANCHOR_RECEIPT, &reply)) !=
	    SK_OK)
		return st;
	wire_envelope_free(reply);
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = node_meta_u64_put(r->s, txn, "anchor.seq", seq)) == SK_OK &&
	    (st = node_meta_u64_put(r->s, txn, "anchor.time", node_now_ms())) == SK_OK &&
	    (st = node_meta_put(r->s, txn, "anchor.head", head, sizeof(head))) == SK_OK)
		st = sk_db_status(mdb_txn_commit(txn));
	else
		mdb_txn_abort(txn);
	*done = st == SK_OK;
	return st;
}

/* Record seq of the log must have the anchored head as its hash; a
 * record purged under retention is checked only when it is the signed
 * purge base (audit_log_verify() checked that signature). */
static sk_status anchor_matches(node_store *s, MDB_txn *txn, uint64_t seq, const uint8_t *head,
				uint64_t records, uint64_t *bad)
{
	audit_record *rec = NULL;
	audit_base base;
	sk_status st;

	if ((st = audit_log_base(s->audit, txn, &base)) != SK_OK)
		return st;
	if (seq < base.seq)
		return SK_OK;
	if (seq == base.seq) {
		if (sodium_memcmp(base.hash, head, AUDIT_HASH_BYTES) == 0)
			return SK_OK;
		*bad = seq + 1;
		sk_error_set("the purge marker at record %llu does not match the head anchored in "
			     "the registry's log", (unsigned long long)seq);
		return SK_ERR_VERIFY;
	}
	if (seq > records) {
		*bad = records + 1;
		sk_error_set("records up to %llu were anchored in the registry's log, but the log "
			     "ends at %llu: its tail was cut off",
			     (unsigned long long)seq, (unsigned long long)records);
		return SK_ERR_VERIFY;
	}
	if ((st = audit_log_get(s->audit, txn, seq, &rec)) != SK_OK ||
	    sodium_memcmp(rec->hash, head, AUDIT_HASH_BYTES) != 0) {
		*bad = seq;
		audit_record_free(rec);
		sk_error_set("record %llu is not the one anchored in the registry's log",
			     (unsigned long long)seq);
		return SK_ERR_VERIFY;
	}
	audit_record_free(rec);
	return SK_OK;
}

sk_status node_audit_anchor_check(node_store *s, MDB_txn *txn, uint64_t records, uint64_t *bad,
				  uint64_t *anchored)
{
	uint8_t *head = NULL;
	size_t len = 0;
	uint64_t seq;
	sk_status st;

	if ((st = node_meta_u64(s, txn, "anchor.seq", 0, &seq)) != SK_OK || seq == 0)
		return st;
	*anchored = seq;
	if ((st = node_meta_get(s, txn, "anchor.head", &head, &len)) != SK_OK)
		return st;
	st = len == AUDIT_HASH_BYTES ? anchor_matches(s, txn, seq, head, records, bad)
				     : SK_ERR_DB;
	free(head);
	return st;
}

sk_status node_remote_anchors_check(node_remote *r, uint64_t records, uint64_t *bad,
				    size_t *checked)
{
	Schakel__V1__AnchorsRequest req = SCHAKEL__V1__ANCHORS_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	MDB_txn *txn = NULL;
	sk_status st;

	*checked = 0;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ANCHORS_REQUEST;
	env.anchors_request = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_ANCHORS_RESPONSE, &reply)) !=
	    SK_OK)
		return st;
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		for (size_t i = 0; i < reply->anchors_response->n_anchors && st == SK_OK; i++) {
			const Schakel__V1__AnchorBody *a = reply->anchors_response->anchors[i];

			if (a->head.len != AUDIT_HASH_BYTES) {
				st = SK_ERR_INVALID;
				break;
			}
			st = anchor_matches(r->s, txn, a->seq, a->head.data, records, bad);
			(*checked)++;
		}
		mdb_txn_abort(txn);
	}
	wire_envelope_free(reply);
	return st;
}

/* The weekly encryption key; right after a rekey (certified by the new
 * identity; partners dropped the old ones) or a restore, a new one at once. */
static sk_status enc_maintain(node_remote *r, int *rotated)
{
	uint64_t renew = 0;
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = node_remote_meta(r, NODE_META_ENC_ROTATE_NOW, &renew)) != SK_OK ||
	    (st = node_enc_maintain(r, node_now_ms(), renew != 0, rotated)) != SK_OK || renew == 0)
		return st;
	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = node_meta_u64_put(r->s, txn, NODE_META_ENC_ROTATE_NOW, 0)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

sk_status node_remote_sync(node_remote *r, node_sync_stats *stats)
{
	struct dirty_list l = {NULL, 0, NODE_PUBLISH_BATCH};
	MDB_txn *txn = NULL;
	size_t done = 0, failed = 0;
	sk_status st = SK_OK;

	memset(stats, 0, sizeof(*stats));
	if ((st = node_remote_resume(r)) != SK_OK)
		return st;
	if ((l.ids = calloc(l.cap, sizeof(*l.ids))) == NULL)
		return SK_ERR_NOMEM;
	/* every dirty entry, a batch at a time, while batches make progress */
	do {
		l.n = 0;
		if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
			break;
		st = node_dirty_scan(r->s, txn, collect_dirty, &l);
		mdb_txn_abort(txn);
		if (st != SK_OK || l.n == 0)
			break;
		st = node_remote_publish_many(r, (const char(*)[NODE_CLIENT_ID_MAX + 1])l.ids, l.n,
					      &done, &failed);
		stats->published += done;
	} while (st == SK_OK && done > 0 && failed == 0 && l.n == l.cap);
	free(l.ids);
	if (st == SK_OK)
		st = node_remote_checkpoint_advance(r, NULL, 0, &stats->tree_size);
	/* members first: messages in the mailbox are checked against them */
	if (st == SK_OK)
		st = pull_events(r, &stats->alerts);
	if (st == SK_OK)
		st = enc_maintain(r, &stats->rotated);
	if (st == SK_OK)
		st = pull_mailbox(r, &stats->items);
	if (st == SK_OK)
		st = node_discuss_sync(r, stats);
	if (st == SK_OK)
		st = anchor(r, &stats->anchored);
	return st;
}

sk_status node_inbox_scan(node_store *s, unsigned kind, node_inbox_fn fn, void *arg)
{
	MDB_dbi dbi;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	sk_status st;
	int rc;

	if ((st = sk_db_dbi(s->env, "inbox", MDB_CREATE, &dbi)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if ((st = sk_db_status(mdb_cursor_open(txn, dbi, &cur))) != SK_OK)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		Schakel__V1__MailboxItem *it =
			schakel__v1__mailbox_item__unpack(NULL, d.mv_size, d.mv_data);
		char client[NODE_CLIENT_ID_MAX + 1] = "";

		if (it == NULL) {
			st = SK_ERR_DB;
			break;
		}
		if (kind == 0 || (unsigned)it->kind == kind) {
			if (it->has_token && it->token.len == BSN_TOKEN_BYTES &&
			    node_token_find(s, txn, it->token.data, it->epoch, client) != SK_OK)
				client[0] = 0;
			st = fn(it, client, arg);
		}
		schakel__v1__mailbox_item__free_unpacked(it, NULL);
	}
out:
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return st;
}

static const char *kind_name(Schakel__V1__MailboxKind k)
{
	switch (k) {
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH:
		return "match";
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH_GONE:
		return "match-gone";
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE:
		return "disclosure";
	default:
		return "pattern";
	}
}

json_t *node_inbox_item_json(const Schakel__V1__MailboxItem *it, const char *client)
{
	return json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)it->seq, "kind",
			 kind_name(it->kind), "time", (json_int_t)it->time, "org",
			 it->counterpart ? it->counterpart : "", "category",
			 it->category ? it->category : "", "client", client, "role",
			 it->role ? it->role : "", "purpose", it->purpose ? it->purpose : "",
			 "detail", it->detail ? it->detail : "");
}
