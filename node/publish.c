#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/db.h"
#include "node/contact.h"
#include "node/dirty.h"
#include "node/entry.h"
#include "node/logtrack.h"
#include "node/publish.h"
#include "node/resume.h"
#include "node/session_int.h"
#include "node/token.h"
#include "protos/domains.h"
#include "protos/wire.h"


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
	node_log_tree tree;   /* the receipt's checkpoint */
} pub_item;

typedef struct pub_thread {
	node_remote *r;
	pub_item *items;
	size_t first, n, stride;
	sk_status st; /* a failure that stops the whole publish */
	char what[32], why[192];
	uint8_t *ev_a, *ev_b; /* evidence, malloc'd */
	size_t ev_alen, ev_blen;
	node_log_receipts receipts; /* what the last receipts verified */
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

/* A receipt (node_log_receipt_check); consistency is checked for the
 * whole run afterwards. */
static void pub_check(pub_thread *t, pub_item *it, const Schakel__V1__PublishReceipt *rc)
{
	node_remote *r = t->r;
	node_log_failure f;

	if (node_log_receipt_check(&it->tree, &t->receipts, rc, it->entry, it->elen, it->sig,
				   it->seq, r->fed->registry_key, &r->log_key, &f) != SK_OK) {
		pub_fail(t, f.what, f.why, f.a, f.alen, f.b, f.blen);
		return;
	}
	it->st = SK_OK;
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
	const node_log_tree *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

/* Every distinct receipt tree proven consistent with the registry's latest
 * checkpoint, which becomes the verified one (node_remote_checkpoint_advance). */
static sk_status pub_consistency(node_remote *r, const pub_item *items, size_t n)
{
	node_log_tree *trees = calloc(n ? n : 1, sizeof(*trees));
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
	st = key_sign(it->sig, WIRE_DOMAIN_ENTRY, it->entry, it->elen, r->id->sk);
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
