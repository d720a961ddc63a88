#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/db.h"
#include "node/join.h"

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
	st = node_registry_pinned(s, txn, pinned);
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
		if ((st = node_federation_read(s, txn, old)) != SK_OK)
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
	if ((!have_pin && (st = node_meta_put(s, txn, NODE_META_REGISTRY_KEY, f->registry_key,
					      KEY_ED25519_PK_BYTES)) != SK_OK) ||
	    (st = node_meta_put(s, txn, NODE_META_BUNDLE, bundle, len)) != SK_OK ||
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
