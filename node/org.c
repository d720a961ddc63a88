#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "node/org.h"

sk_status node_org_privacy_contact(node_store *s, MDB_txn *txn, char *out, size_t cap)
{
	uint8_t *v = NULL;
	size_t len = 0;
	sk_status st = node_meta_get(s, txn, NODE_META_PRIVACY_CONTACT, &v, &len);

	if (cap == 0)
		return SK_ERR_TOOBIG;
	out[0] = '\0';
	if (st == SK_ERR_NOTFOUND)
		return SK_OK;
	if (st != SK_OK)
		return st;
	if (len >= cap) {
		free(v);
		return SK_ERR_TOOBIG;
	}
	memcpy(out, v, len);
	out[len] = '\0';
	free(v);
	return SK_OK;
}

sk_status node_org_set_privacy_contact(node_store *s, const char *text, const char *user)
{
	audit_record rec = {0};
	MDB_txn *txn = NULL;
	size_t len = strlen(text);
	sk_status st;

	if (len > NODE_PRIVACY_CONTACT_MAX) {
		sk_error_set("the privacy contact is longer than %d bytes", NODE_PRIVACY_CONTACT_MAX);
		return SK_ERR_TOOBIG;
	}
	rec.event = "org.set";
	rec.action = AUDIT_ACTION_UPDATE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.user = user;
	rec.category = "organisation";
	rec.reason = len ? text : "privacy contact cleared"; /* checked as a field, no BSN */
	if ((st = audit_record_check(&(audit_record){.org = "x", .system = "x", .event = "org.set",
						     .action = AUDIT_ACTION_UPDATE,
						     .outcome = AUDIT_OUTCOME_OK,
						     .reason = rec.reason})) != SK_OK) {
		sk_error_set("the privacy contact must be plain text on one line");
		return SK_ERR_INVALID;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if (len == 0) {
		MDB_val k = {strlen(NODE_META_PRIVACY_CONTACT), (void *)NODE_META_PRIVACY_CONTACT};
		int rc = mdb_del(txn, s->meta, &k, NULL);

		st = rc == MDB_NOTFOUND ? SK_OK : sk_db_status(rc);
	} else {
		st = node_meta_put(s, txn, NODE_META_PRIVACY_CONTACT, (const uint8_t *)text, len);
	}
	if (st == SK_OK)
		st = node_audit(s, txn, &rec);
	if (st != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}
