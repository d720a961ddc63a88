#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/file.h"
#include "common/log.h"
#include "node/case.h"
#include "node/dirty.h"
#include "node/session.h"
#include "node/session_int.h"

void node_remote_close(node_remote *r)
{
	if (r == NULL)
		return;
	net_sync_close(r->reg);
	net_tls_free(r->tls);
	if (r->id != NULL)
		sodium_free(r->id);
	node_federation_free(r->fed);
	free(r);
}

/* The token epoch of the chain: each pseudonymiser rotates on its own and
 * epochs only grow, so 1 + the sum of (epoch - 1) over the chain changes
 * with every rotation and is the same at every node with the same bundle.
 * Entries match only within one token epoch. */
uint32_t node_remote_epoch(const node_remote *r)
{
	uint32_t e = 1;

	for (size_t i = 0; i < r->fed->n_pseudonymisers; i++)
		e += r->fed->pseudonymisers[i].epoch - 1;
	return e;
}

static sk_status mark_open(const node_case *c, void *arg)
{
	void **a = arg;

	return c->open ? node_dirty_mark(a[0], a[1], c->client) : SK_OK;
}

/* After a pseudonymiser epoch change (a refreshed bundle), every client
 * with an open case gets its entry re-derived under the new epoch's token:
 * entries match only within one epoch. In txn. */
static sk_status follow_epoch(node_remote *r, MDB_txn *txn)
{
	uint64_t published;
	uint32_t epoch = node_remote_epoch(r);
	void *arg[2] = {r->s, txn};
	sk_status st;

	if ((st = node_meta_u64(r->s, txn, "entries.epoch", 0, &published)) != SK_OK ||
	    published == epoch)
		return st;
	if (published != 0 && (st = node_case_scan(r->s, txn, NULL, mark_open, arg)) != SK_OK)
		return st;
	return node_meta_u64_put(r->s, txn, "entries.epoch", epoch);
}

sk_status node_remote_rolled(node_remote *r, MDB_txn *txn, const note_verifier *new_log,
			     const char *old_origin, const uint8_t *old_note, size_t old_len,
			     uint64_t issued_ms, uint64_t restored)
{
	char key[sizeof(NODE_META_LOG_ROLLED) + NOTE_ORIGIN_MAX];
	void *arg[2] = {r->s, txn};
	uint64_t events = 0;
	sk_status st;

	snprintf(key, sizeof(key), "%s%s", NODE_META_LOG_ROLLED, old_origin);
	if ((st = node_meta_put(r->s, txn, NODE_META_LOG_ORIGIN, (const uint8_t *)new_log->name,
				new_log->name_len)) != SK_OK ||
	    (st = node_meta_put(r->s, txn, key, old_note, old_len)) != SK_OK ||
	    (st = node_case_scan(r->s, txn, NULL, mark_open, arg)) != SK_OK ||
	    (st = node_meta_u64_put(r->s, txn, NODE_META_ENC_ROTATE_NOW, 1)) != SK_OK ||
	    /* discussions the restored registry lost are stopped (node/discuss.h) */
	    (st = node_meta_u64_put(r->s, txn, NODE_META_DISCUSS_RECHECK, 1)) != SK_OK ||
	    /* the anchors after the backup are gone: the audit head is
	     * anchored again at once (node/anchor.c) */
	    (st = node_meta_u64_put(r->s, txn, "anchor.seq", 0)) != SK_OK ||
	    (st = node_meta_u64_put(r->s, txn, "anchor.time", 0)) != SK_OK ||
	    /* the stretch whose records the registry lost (node/reconcile.h) */
	    (st = node_meta_u64_put(r->s, txn, NODE_META_LOG_ROLLED_AT, issued_ms)) != SK_OK ||
	    (st = node_meta_u64_put(r->s, txn, NODE_META_LOG_FOLLOWED_AT, sk_clock_now_ms())) !=
		    SK_OK ||
	    /* the restored registry numbers our mailbox items anew
	     * (node_remote_mailbox_rewind), and member events recorded again
	     * (a repeated revocation) sit after the restored tree */
	    (st = node_meta_u64_put(r->s, txn, NODE_META_MAILBOX_REWIND, 1)) != SK_OK ||
	    (st = node_meta_u64(r->s, txn, NODE_META_EVENTS_CURSOR, 0, &events)) != SK_OK ||
	    (events > restored &&
	     (st = node_meta_u64_put(r->s, txn, NODE_META_EVENTS_CURSOR, restored)) != SK_OK))
		return st;
	r->log_key = *new_log;
	return SK_OK;
}

/* The log key: the bundle's origin, or the one the log rolled over to. */
static sk_status log_key_load(node_remote *r)
{
	MDB_txn *txn = NULL;
	uint8_t *origin = NULL;
	size_t len = 0;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = node_meta_get(r->s, txn, NODE_META_LOG_ORIGIN, &origin, &len);
	mdb_txn_abort(txn);
	if (st == SK_ERR_NOTFOUND)
		return note_verifier_from_public(&r->log_key, r->fed->log_origin, NOTE_TYPE_ED25519,
						 r->fed->registry_key);
	if (st == SK_OK && (len == 0 || len > NOTE_ORIGIN_MAX || memchr(origin, 0, len) != NULL))
		st = SK_ERR_DB;
	if (st == SK_OK) {
		char name[NOTE_ORIGIN_MAX + 1];

		memcpy(name, origin, len);
		name[len] = 0;
		st = note_verifier_from_public(&r->log_key, name, NOTE_TYPE_ED25519,
					       r->fed->registry_key);
	}
	free(origin);
	return st;
}

sk_status node_remote_open(node_remote **out, node_store *s, sk_kek *kek)
{
	node_remote *r = calloc(1, sizeof(*r));
	key_ed25519 *tls = sodium_malloc(sizeof(*tls));
	MDB_txn *txn = NULL;
	sk_status st;

	*out = NULL;
	if (r == NULL || tls == NULL) {
		st = SK_ERR_NOMEM;
		goto fail;
	}
	r->s = s;
	/* the bundle, and before anything is published: an epoch change
	 * re-marks every entry */
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto fail;
	if ((st = node_federation_load(s, txn, &r->fed)) != SK_OK ||
	    (st = follow_epoch(r, txn)) != SK_OK) {
		mdb_txn_abort(txn);
		goto fail;
	}
	if ((st = sk_db_status(mdb_txn_commit(txn))) != SK_OK)
		goto fail;
	if ((r->id = sodium_malloc(sizeof(*r->id))) == NULL) {
		st = SK_ERR_NOMEM;
		goto fail;
	}
	if ((st = node_identity_load(s, kek, r->id)) != SK_OK ||
	    (st = node_tls_key_load(s, kek, tls)) != SK_OK ||
	    (st = net_tls_new(&r->tls, r->fed->ca_cert, r->fed->ca_cert_len, r->fed->member_cert,
			      r->fed->member_cert_len, tls)) != SK_OK ||
	    (st = log_key_load(r)) != SK_OK)
		goto fail;
	for (size_t i = 0; i < r->fed->n_witnesses; i++) {
		const char *vk = r->fed->witnesses[i].vkey;

		if ((st = note_verifier_parse(&r->witnesses[i], vk, strlen(vk))) != SK_OK)
			goto fail;
	}
	r->n_witnesses = r->fed->n_witnesses;
	sodium_free(tls);
	*out = r;
	return SK_OK;
fail:
	if (tls != NULL)
		sodium_free(tls);
	node_remote_close(r);
	return st;
}

void node_remote_deadline(node_remote *r, uint64_t until_ms)
{
	r->deadline_ms = until_ms;
}

sk_status node_remote_timeout(const node_remote *r, unsigned *ms)
{
	uint64_t now = sk_clock_now_ms();

	*ms = NODE_TIMEOUT_MS;
	if (r->deadline_ms == 0)
		return SK_OK;
	if (now >= r->deadline_ms) {
		sk_error_set("timed out");
		return SK_ERR_IO;
	}
	if (r->deadline_ms - now < *ms)
		*ms = (unsigned)(r->deadline_ms - now);
	return SK_OK;
}

/* A connection to the federation's registry, checked to be it (by its
 * role and pinned TLS key, node_registry_check) before anything is sent. */
sk_status node_remote_connect(node_remote *r, net_sync **sc)
{
	const char *peer = r->fed->registry_org_id[0] ? r->fed->registry_org_id : NULL;
	unsigned ms;
	sk_status st;

	if ((st = node_remote_timeout(r, &ms)) != SK_OK ||
	    (st = net_sync_connect(sc, r->tls, r->fed->registry_address, peer, ms)) != SK_OK)
		return st;
	if ((st = node_registry_check(r->fed, net_sync_peer(*sc))) != SK_OK) {
		net_sync_close(*sc);
		*sc = NULL;
	}
	return st;
}

/* One request to the registry over the session's connection (made on
 * first use; made again once if it broke). */
static sk_status reg_request(node_remote *r, const wire_envelope *req, wire_envelope **reply)
{
	sk_status st = SK_ERR_FAILED;

	for (int attempt = 0; attempt < 2 && (st == SK_ERR_FAILED || st == SK_ERR_IO); attempt++) {
		unsigned ms;

		if (r->reg == NULL && (st = node_remote_connect(r, &r->reg)) != SK_OK)
			return st;
		if ((st = node_remote_timeout(r, &ms)) != SK_OK)
			return st;
		net_sync_set_timeout(r->reg, ms);
		st = net_sync_request(r->reg, req, reply);
		if (st == SK_ERR_FAILED || st == SK_ERR_IO) {
			net_sync_close(r->reg);
			r->reg = NULL;
		}
	}
	return st;
}

/* reg_request, and the reply must be of kind `want` (else SK_ERR_INVALID,
 * nothing returned). */
sk_status node_remote_ask(node_remote *r, const wire_envelope *req,
			 Schakel__V1__Envelope__BodyCase want, wire_envelope **reply)
{
	sk_status st = reg_request(r, req, reply);

	if (st == SK_OK && (*reply)->body_case != want) {
		wire_envelope_free(*reply);
		*reply = NULL;
		sk_error_set("the registry answered with another kind of message");
		st = SK_ERR_INVALID;
	}
	return st;
}

/* A counter of the node's meta database, in a read transaction of its own. */
sk_status node_remote_meta(node_remote *r, const char *name, uint64_t *v)
{
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = node_meta_u64(r->s, txn, name, 0, v);
	mdb_txn_abort(txn);
	return st;
}

/* Keeps what failed to verify in D/evidence/, for the privacy officer and
 * the federation operator; the failure itself is returned by the caller. */
void node_remote_evidence(node_remote *r, const char *what, const uint8_t *a, size_t alen,
			  const uint8_t *b, size_t blen)
{
	char dir[PATH_MAX], path[PATH_MAX], name[96];
	uint8_t *buf = malloc(alen + blen + 2);

	if (buf == NULL || sk_path_join(dir, sizeof(dir), r->s->dir, "evidence") != SK_OK ||
	    sk_dir_create(dir) != SK_OK)
		goto out;
	snprintf(name, sizeof(name), "%llu-%s", (unsigned long long)sk_clock_now_ms(), what);
	if (sk_path_join(path, sizeof(path), dir, name) != SK_OK)
		goto out;
	memcpy(buf, a, alen);
	buf[alen] = '\n';
	if (b != NULL)
		memcpy(buf + alen + 1, b, blen);
	if (sk_file_create(path, buf, alen + 1 + (b != NULL ? blen : 0)) == SK_OK)
		sk_log(SK_LOG_ERROR, "evidence kept in %s", path);
out:
	free(buf);
}

sk_status node_remote_integrity(node_remote *r, const char *what, const char *why_in,
				const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	char why[256];

	snprintf(why, sizeof(why), "%s", why_in); /* may be the detail buffer itself */
	node_remote_evidence(r, what, a, alen, b, blen);
	sk_error_set("%s; the registry may be misbehaving: tell your privacy officer and the "
		     "federation operator",
		     why);
	return SK_ERR_VERIFY;
}

node_store *node_remote_store(node_remote *r)
{
	return r->s;
}

const key_ed25519 *node_remote_identity(const node_remote *r)
{
	return r->id;
}
