#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
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

#define PUB_ROUNDS 3 /* preparations: before a resume, before tokens, the one committed */

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
	int session; /* sends over the session's connection, else one of its own */
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
	net_sync *own = NULL, **sc = t->session ? &r->reg : &own;

	if (*sc == NULL && (t->st = node_remote_connect(r, sc)) != SK_OK) {
		snprintf(t->why, sizeof(t->why), "%s", sk_error_detail());
		return NULL;
	}
	for (size_t i = t->first; i < t->n && t->st == SK_OK; i += t->stride) {
		Schakel__V1__PublishRequest req = SCHAKEL__V1__PUBLISH_REQUEST__INIT;
		wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
		pub_item *it = &t->items[i];
		uint8_t corr[16];
		size_t got = 0;
		unsigned ms;
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
		if ((st = node_remote_timeout(r, &ms)) == SK_OK) {
			net_sync_set_timeout(*sc, ms);
			st = net_sync_request(*sc, &env, &reply);
		}
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
	if (!t->session || t->st == SK_ERR_IO || t->st == SK_ERR_FAILED) {
		net_sync_close(*sc); /* a broken session connection is made again on next use */
		*sc = NULL;
	}
	return NULL;
}

static int tree_cmp(const void *a, const void *b)
{
	const node_log_tree *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

/* Every distinct receipt tree proven consistent with the registry's latest
 * checkpoint, from the stored one (slen bytes, NULL: none): t then holds
 * the new verified checkpoint, which pub_record stores. */
static sk_status pub_consistency(node_remote *r, const pub_item *items, size_t n,
				 const uint8_t *stored, size_t slen, node_logtrack *t)
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
	if ((st = node_remote_logtrack(r, t, stored, slen)) == SK_OK)
		st = node_logtrack_advance(t, trees, u);
	free(trees);
	return st;
}

/* Builds and signs the entry of one client (seq given) as of txn, with its
 * cached token. */
static sk_status pub_build(node_remote *r, MDB_txn *txn, pub_item *it, uint32_t epoch,
			   const uint8_t head[static 32])
{
	Schakel__V1__Entry e = SCHAKEL__V1__ENTRY__INIT;
	node_entry_derived d;
	uint8_t token[BSN_TOKEN_BYTES], ck[BSN_CONTACT_KEY_BYTES], salt[16], corr[16];
	uint8_t contact[NODE_CONTACT_MAX];
	char *cats[WIRE_POLICY_MAX];
	size_t clen = 0;
	sk_status st;

	if ((st = node_entry_derive(r->s, txn, it->client, sk_clock_now_ms(), &d)) != SK_OK ||
	    (st = node_token_get(r->s, txn, it->client, epoch, token, ck)) != SK_OK)
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
		e.expires_at = node_entry_expiry_blur(d.expires_at, sk_clock_now_ms());
		if ((d.flags & NODE_FLAG_CONTACT) &&
		    (st = node_contact_seal(r->s, txn, &d, token, epoch, ck, contact,
					    sizeof(contact), &clen)) != SK_OK)
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
	e.issued_at = sk_clock_now_ms();
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

/* The verified checkpoint t, then the audit records and cleared dirty
 * marks of the published items, 1,000 a commit (the first with the
 * checkpoint). */
static sk_status pub_record(node_remote *r, const pub_item *items, size_t n,
			    const node_logtrack *t)
{
	for (size_t at = 0; at < n;) {
		MDB_txn *txn = NULL;
		size_t end = at + 1000 < n ? at + 1000 : n;
		sk_status st;

		if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
			return st;
		if (at == 0)
			st = node_checkpoint_put(r->s, txn, t->note, t->note_len);
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

/* What a publish needs from the network before its items can be prepared. */
typedef struct pub_need {
	int resume;          /* a restore: node_remote_resume first */
	size_t *missing;     /* n slots: the items without a cached token */
	size_t n_missing;
} pub_need;

/* Prepares the items in txn, the publish's one write transaction: their
 * dirty generations (with mark, an unmarked client is marked first, so it
 * stays marked until a receipt), their sequence numbers, reserved, and
 * their entries built and signed with the cached tokens; *stored gets the
 * verified checkpoint (malloc'd; NULL before the first). When the network
 * is needed first, need says what and nothing is prepared. */
static sk_status pub_prepare(node_remote *r, MDB_txn *txn, pub_item *items, size_t n, int mark,
			     uint32_t epoch, pub_need *need, uint8_t **stored, size_t *slen)
{
	uint8_t head[32], token[BSN_TOKEN_BYTES], ck[BSN_CONTACT_KEY_BYTES];
	uint64_t flag = 0, head_seq, first = 0;
	sk_status st;

	need->resume = 0;
	need->n_missing = 0;
	if ((st = node_meta_u64(r->s, txn, NODE_META_RESUME, 0, &flag)) != SK_OK || flag != 0) {
		need->resume = flag != 0;
		return st;
	}
	for (size_t i = 0; i < n && st == SK_OK; i++) {
		st = node_token_get(r->s, txn, items[i].client, epoch, token, ck);
		if (st == SK_ERR_NOTFOUND) {
			need->missing[need->n_missing++] = i;
			st = SK_OK;
		}
	}
	sodium_memzero(ck, sizeof(ck));
	if (st != SK_OK || need->n_missing > 0)
		return st;
	for (size_t i = 0; i < n && st == SK_OK; i++) {
		MDB_val k = {strlen(items[i].client), items[i].client}, v;
		int rc = mdb_get(txn, r->s->dirty, &k, &v);

		if (rc == MDB_NOTFOUND && mark) {
			if ((st = node_dirty_mark(r->s, txn, items[i].client)) != SK_OK)
				break;
			rc = mdb_get(txn, r->s->dirty, &k, &v);
		}
		if (rc == 0 && v.mv_size == 8)
			items[i].gen = sk_be64_get(v.mv_data);
	}
	/* committed with txn before the first is sent: a crash never reuses a
	 * number (and, after a restore, above those the registry holds) */
	if (st != SK_OK || (st = node_seq_reserve(r->s, txn, n, &first)) != SK_OK ||
	    (st = audit_log_head(r->s->audit, txn, &head_seq, head)) != SK_OK)
		return st;
	for (size_t i = 0; i < n; i++) {
		items[i].seq = first + i;
		items[i].st = SK_ERR_FAILED; /* not sent */
	}
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
		st = pub_build(r, txn, &items[i], epoch, head);
	if (st == SK_OK && (st = node_checkpoint_get(r->s, txn, stored, slen)) == SK_ERR_NOTFOUND)
		st = SK_OK;
	return st;
}

/* pub_prepare in its write transaction, committed; first what it needs
 * from the network (the resume after a restore, tokens through the
 * chain), each in a round of its own. */
static sk_status pub_ready(node_remote *r, pub_item *items, size_t n, int mark, uint32_t epoch,
			   uint8_t **stored, size_t *slen)
{
	pub_need need = {0, calloc(n, sizeof(size_t)), 0};
	uint8_t token[BSN_TOKEN_BYTES], ck[BSN_CONTACT_KEY_BYTES];
	MDB_txn *txn = NULL;
	sk_status st = need.missing != NULL ? SK_OK : SK_ERR_NOMEM;

	for (int round = 0; st == SK_OK; round++) {
		if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) != SK_OK)
			break;
		st = pub_prepare(r, txn, items, n, mark, epoch, &need, stored, slen);
		if (st == SK_OK && !need.resume && need.n_missing == 0) {
			st = sk_db_status(mdb_txn_commit(txn));
			break;
		}
		mdb_txn_abort(txn);
		if (st == SK_OK && round + 1 == PUB_ROUNDS) {
			sk_error_set("the node's state kept changing while a publish was prepared");
			st = SK_ERR_FAILED;
		} else if (st == SK_OK && need.resume) {
			st = node_remote_resume(r);
		}
		for (size_t i = 0; st == SK_OK && !need.resume && i < need.n_missing; i++)
			st = node_remote_token(r, items[need.missing[i]].client, epoch, token, ck);
		sodium_memzero(ck, sizeof(ck));
	}
	free(need.missing);
	return st;
}

/* The publish of n clients; with mark, unmarked ones are marked first. */
static sk_status publish(node_remote *r, const char (*clients)[NODE_CLIENT_ID_MAX + 1], size_t n,
			 int mark, size_t *done, size_t *failed)
{
	pub_item *items = calloc(n ? n : 1, sizeof(*items));
	pub_thread th[NODE_PUBLISH_THREADS];
	pthread_t tid[NODE_PUBLISH_THREADS];
	node_logtrack track = {0};
	size_t nth = n / 64 + 1, started = 1, slen = 0;
	uint32_t epoch = node_remote_epoch(r);
	uint8_t *stored = NULL;
	sk_status st = SK_OK;

	*done = *failed = 0;
	if (items == NULL)
		return SK_ERR_NOMEM;
	if (n == 0)
		goto out;
	if (nth > NODE_PUBLISH_THREADS)
		nth = NODE_PUBLISH_THREADS;
	for (size_t i = 0; i < n; i++)
		snprintf(items[i].client, sizeof(items[i].client), "%s", clients[i]);
	if ((st = pub_ready(r, items, n, mark, epoch, &stored, &slen)) != SK_OK)
		goto out;
	/* the first share of the items goes over the session's connection, which
	 * the consistency proof takes next; the others over their own */
	for (size_t t = 0; t < nth; t++)
		th[t] = (pub_thread){.r = r, .items = items, .first = t, .n = n, .stride = nth,
				     .session = t == 0};
	for (size_t t = 1; t < nth; t++) {
		if (pthread_create(&tid[t], NULL, pub_main, &th[t]) != 0) {
			st = SK_ERR_NOMEM;
			break;
		}
		started++;
	}
	if (st == SK_OK)
		pub_main(&th[0]);
	for (size_t t = 1; t < started; t++)
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
	if ((st = pub_consistency(r, items, n, stored, slen, &track)) != SK_OK ||
	    (st = pub_record(r, items, n, &track)) != SK_OK)
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
			sk_log(SK_LOG_WARNING,
			       "the entry of client %s is not yet published (%s); 'sync' will retry",
			       items[i].client, items[i].why[0] ? items[i].why : sk_strerror(items[i].st));
		}
	}
	if (*failed > 5)
		sk_log(SK_LOG_WARNING, "%zu more entries not yet published", *failed - 5);
out:
	for (size_t i = 0; i < n; i++)
		free(items[i].entry);
	free(items);
	free(stored);
	node_logtrack_clear(&track);
	return st;
}

sk_status node_remote_publish_many(node_remote *r, const char (*clients)[NODE_CLIENT_ID_MAX + 1],
				   size_t n, size_t *done, size_t *failed)
{
	return publish(r, clients, n, 0, done, failed);
}

/* One client, as its own list. */
static sk_status publish_one(node_remote *r, const char *client, int mark)
{
	char id[1][NODE_CLIENT_ID_MAX + 1];
	size_t done = 0, failed = 0;

	if (strlen(client) > NODE_CLIENT_ID_MAX)
		return SK_ERR_INVALID;
	memcpy(id[0], client, strlen(client) + 1);
	return publish(r, (const char(*)[NODE_CLIENT_ID_MAX + 1])id, 1, mark, &done, &failed);
}

sk_status node_remote_publish(node_remote *r, const char *client)
{
	return publish_one(r, client, 0);
}

sk_status node_publish_now(node_store *s, sk_kek *kek, const char *client)
{
	node_remote *r = NULL;
	char rolled_to[NOTE_ORIGIN_MAX + 1];
	sk_status st = node_remote_open(&r, s, kek);

	/* as sync does: a log that rolled over is followed first, so a change
	 * made before the first sync after a rollover is published to it */
	if (st == SK_OK)
		st = node_remote_log_follow(r, NULL, rolled_to);
	if (st == SK_OK)
		st = publish_one(r, client, 1);
	node_remote_close(r);
	return st;
}
