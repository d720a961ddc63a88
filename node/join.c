#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/db.h"
#include "node/join.h"

#define META_REGISTRY_KEY "registry.key"
#define META_BUNDLE "bundle"

/* Our own member certificate, at now; *rekey is set when it is for the
 * TLS key of a pending rekey (pending: that key, or NULL). */
static sk_status check_self(const node_store *s, const node_federation *f, uint64_t now_ms,
			    const uint8_t *pending, int *rekey)
{
	net_peer self;
	sk_status st;

	st = net_cert_verify(&self, f->member_cert, f->member_cert_len, f->ca_cert, f->ca_cert_len,
			     (int64_t)(now_ms / 1000));
	if (st != SK_OK) {
		char why[256];

		snprintf(why, sizeof(why), "%s", sk_error_detail());
		sk_error_set("the bundle's member certificate does not verify under its CA: %s",
			     why);
		return st == SK_ERR_INVALID ? SK_ERR_INVALID : SK_ERR_VERIFY;
	}
	if (strcmp(self.org_id, s->org_id) != 0) {
		sk_error_set("this bundle was issued to '%s', not to this node ('%s')", self.org_id,
			     s->org_id);
		return SK_ERR_PERM;
	}
	*rekey = pending != NULL && sodium_memcmp(self.tls_pk, pending, KEY_ED25519_PK_BYTES) == 0;
	if (!*rekey && sodium_memcmp(self.tls_pk, s->tls_pk, KEY_ED25519_PK_BYTES) != 0) {
		sk_error_set("the bundle's certificate is for another TLS key than this node's; "
			     "was it issued for an earlier init of '%s'?",
			     s->org_id);
		return SK_ERR_PERM;
	}
	if (strcmp(self.category, s->category) != 0) {
		sk_error_set("the bundle's certificate names category '%s', this node is '%s'",
			     self.category, s->category);
		return SK_ERR_PERM;
	}
	if (wire_policy_index(&f->policy, s->category) < 0) {
		sk_error_set("the federation policy does not know this node's category '%s'",
			     s->category);
		return SK_ERR_PERM;
	}
	return SK_OK;
}

static sk_status get_pinned(node_store *s, MDB_txn *txn, uint8_t pk[static KEY_ED25519_PK_BYTES])
{
	MDB_val k = {strlen(META_REGISTRY_KEY), META_REGISTRY_KEY}, d;
	int rc = mdb_get(txn, s->meta, &k, &d);

	if (rc != 0)
		return sk_db_status(rc);
	if (d.mv_size != KEY_ED25519_PK_BYTES)
		return SK_ERR_DB;
	memcpy(pk, d.mv_data, KEY_ED25519_PK_BYTES);
	return SK_OK;
}

/* The installed bundle under the pinned key, into f. */
static sk_status load_in(node_store *s, MDB_txn *txn, node_federation *f)
{
	uint8_t pinned[KEY_ED25519_PK_BYTES], *data = NULL;
	size_t len = 0;
	sk_status st = get_pinned(s, txn, pinned);

	if (st == SK_OK)
		st = node_meta_get(s, txn, META_BUNDLE, &data, &len);
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("this node has not joined a federation yet: run 'schakel-node join "
			     "--bundle B' with the bundle from the registry operator");
	if (st == SK_OK && (st = node_bundle_open(f, data, len, pinned)) != SK_OK) {
		char why[256];

		snprintf(why, sizeof(why), "%s", sk_error_detail());
		sk_error_set("the installed bundle no longer verifies: %s", why);
		st = SK_ERR_VERIFY;
	}
	free(data);
	return st;
}

sk_status node_federation_load(node_store *s, MDB_txn *txn, node_federation **out)
{
	node_federation *f = malloc(sizeof(*f));
	sk_status st;

	*out = NULL;
	if (f == NULL)
		return SK_ERR_NOMEM;
	if ((st = load_in(s, txn, f)) != SK_OK) {
		free(f);
		return st;
	}
	*out = f;
	return SK_OK;
}

sk_status node_policy_load(node_store *s)
{
	node_federation *f = NULL;
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = node_federation_load(s, txn, &f);
	mdb_txn_abort(txn);
	if (st == SK_ERR_NOTFOUND) {
		sk_error_clear();
		wire_policy_default(&s->policy);
		s->joined = 0;
		return SK_OK;
	}
	if (st == SK_OK) {
		s->policy = f->policy;
		s->joined = 1;
	}
	node_federation_free(f);
	return st;
}

sk_status node_join(node_store *s, const uint8_t *bundle, size_t len, uint64_t now_ms,
		    int *refreshed)
{
	node_federation *f = malloc(sizeof(*f)), *old = NULL;
	uint8_t pinned[KEY_ED25519_PK_BYTES], pending[KEY_ED25519_PK_BYTES];
	audit_record rec = {0};
	MDB_txn *txn = NULL;
	int have_pin = 0, have_pending = 0, rekey = 0;
	sk_status st;

	if (refreshed != NULL)
		*refreshed = 0;
	if (f == NULL || (old = malloc(sizeof(*old))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	st = get_pinned(s, txn, pinned);
	if (st != SK_OK && st != SK_ERR_NOTFOUND)
		goto abort;
	have_pin = st == SK_OK;
	st = node_rekey_pending(s, txn, pending);
	if (st != SK_OK && st != SK_ERR_NOTFOUND)
		goto abort;
	have_pending = st == SK_OK;
	if ((st = node_bundle_open(f, bundle, len, have_pin ? pinned : NULL)) != SK_OK ||
	    (st = check_self(s, f, now_ms, have_pending ? pending : NULL, &rekey)) != SK_OK)
		goto abort;
	if (have_pin) {
		if ((st = load_in(s, txn, old)) != SK_OK)
			goto abort;
		if (f->issued_at < old->issued_at) {
			sk_error_set("this bundle is older than the installed one; ask the registry "
				     "operator for a fresh one");
			st = SK_ERR_PERM;
			goto abort;
		}
	}
	rec.event = have_pin ? "node.rejoin" : "node.join";
	rec.action = have_pin ? AUDIT_ACTION_UPDATE : AUDIT_ACTION_CREATE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.category = "federation";
	rec.counterpart = f->registry_org_id;
	if ((!have_pin && (st = node_meta_put(s, txn, META_REGISTRY_KEY, f->registry_key,
					      KEY_ED25519_PK_BYTES)) != SK_OK) ||
	    (st = node_meta_put(s, txn, META_BUNDLE, bundle, len)) != SK_OK ||
	    (st = node_audit(s, txn, &rec)) != SK_OK ||
	    (rekey && (st = node_rekey_install(s, txn)) != SK_OK))
		goto abort;
	if ((st = sk_db_status(mdb_txn_commit(txn))) != SK_OK)
		goto out;
	s->policy = f->policy;
	s->joined = 1;
	if (refreshed != NULL)
		*refreshed = have_pin;
	goto out;
abort:
	mdb_txn_abort(txn);
	if (st == SK_ERR_INVALID || st == SK_ERR_VERIFY || st == SK_ERR_PERM) {
		rec.event = have_pin ? "node.rejoin" : "node.join";
		rec.action = have_pin ? AUDIT_ACTION_UPDATE : AUDIT_ACTION_CREATE;
		rec.category = "federation";
		node_audit_denied(s, &rec);
	}
out:
	free(old);
	free(f);
	return st;
}
