#include <string.h>

#include <sodium.h>

#include "common/db.h"
#include "net/cert.h"
#include "node/members.h"
#include "protos/domains.h"

/* Stored as the struct's bytes: a fixed-size record, local only. */
static sk_status put(node_store *s, MDB_txn *txn, const node_member *m)
{
	MDB_val k = {strlen(m->org_id), (void *)m->org_id}, v = {sizeof(*m), (void *)m};

	return sk_db_status(mdb_put(txn, s->members, &k, &v, 0));
}

sk_status node_members_get(node_store *s, MDB_txn *txn, const char *org_id, node_member *out)
{
	MDB_val k = {strlen(org_id), (void *)org_id}, v;
	int rc;

	memset(out, 0, sizeof(*out));
	if (k.mv_size == 0 || k.mv_size > NET_ORG_ID_MAX)
		return SK_ERR_NOTFOUND;
	if ((rc = mdb_get(txn, s->members, &k, &v)) == MDB_NOTFOUND)
		return SK_ERR_NOTFOUND;
	if (rc != 0)
		return sk_db_status(rc);
	if (v.mv_size != sizeof(*out))
		return SK_ERR_DB;
	memcpy(out, v.mv_data, sizeof(*out));
	out->org_id[NET_ORG_ID_MAX] = out->name[NET_NAME_MAX] = out->category[NET_CATEGORY_MAX] = 0;
	if (out->n_enc > NODE_MEMBER_ENC_MAX)
		return SK_ERR_DB;
	return SK_OK;
}

/* Keeps the newest keys, newest first. */
static void add_enc(node_member *m, const uint8_t *pk, uint64_t not_after)
{
	size_t n = m->n_enc < NODE_MEMBER_ENC_MAX ? m->n_enc : NODE_MEMBER_ENC_MAX - 1;

	memmove(&m->enc[1], &m->enc[0], n * sizeof(m->enc[0]));
	memcpy(m->enc[0].pk, pk, KEY_X25519_PK_BYTES);
	m->enc[0].not_after = not_after;
	m->n_enc = n + 1;
}

sk_status node_members_apply(node_store *s, MDB_txn *txn, const Schakel__V1__MemberEvent *ev,
			     const uint8_t *ca_der, size_t ca_len)
{
	node_member m;
	net_peer peer;
	sk_status st = node_members_get(s, txn, ev->org_id, &m);

	if (st != SK_OK && st != SK_ERR_NOTFOUND)
		return st;
	switch (ev->kind) {
	case SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENROLLED:
	case SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REFRESHED:
		if (!ev->has_cert || !ev->has_identity_key ||
		    ev->identity_key.len != KEY_ED25519_PK_BYTES ||
		    strlen(ev->org_id) > NET_ORG_ID_MAX)
			return SK_OK; /* nothing a directory can use */
		/* the certificate's names; its validity period does not matter here */
		if (net_cert_verify(&peer, ev->cert.data, ev->cert.len, ca_der, ca_len,
				    (int64_t)(ev->time / 1000)) != SK_OK ||
		    strcmp(peer.org_id, ev->org_id) != 0)
			return SK_OK;
		if (st == SK_ERR_NOTFOUND ||
		    sodium_memcmp(m.identity_pk, ev->identity_key.data, KEY_ED25519_PK_BYTES) != 0)
			m.n_enc = 0; /* a new identity: its old encryption keys are void */
		snprintf(m.org_id, sizeof(m.org_id), "%s", ev->org_id);
		snprintf(m.name, sizeof(m.name), "%s", peer.name);
		snprintf(m.category, sizeof(m.category), "%s", peer.category);
		memcpy(m.identity_pk, ev->identity_key.data, KEY_ED25519_PK_BYTES);
		m.revoked = 0;
		return put(s, txn, &m);
	case SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REVOKED:
		if (st == SK_ERR_NOTFOUND)
			return SK_OK;
		m.revoked = 1;
		return put(s, txn, &m);
	case SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENC_KEY:
		if (st == SK_ERR_NOTFOUND)
			return SK_OK; /* enrolled before our cursor began: not ours to check */
		if (!ev->has_encryption_key || ev->encryption_key.len != KEY_X25519_PK_BYTES ||
		    !ev->has_enc_signature || ev->enc_signature.len != KEY_SIG_BYTES ||
		    !ev->has_enc_not_after ||
		    key_x25519_cert_verify(ev->enc_signature.data, WIRE_DOMAIN_ENC_KEY, ev->encryption_key.data,
					   ev->enc_not_after, ev->time / 1000,
					   m.identity_pk) != SK_OK) {
			sk_error_set("the log holds an encryption key of %s that its identity key "
				     "did not certify",
				     m.org_id);
			return SK_ERR_VERIFY;
		}
		add_enc(&m, ev->encryption_key.data, ev->enc_not_after);
		return put(s, txn, &m);
	default:
		return SK_OK;
	}
}

sk_status node_member_enc_key(const node_member *m, uint64_t now_s,
			      uint8_t pk[static KEY_X25519_PK_BYTES])
{
	for (size_t i = 0; i < m->n_enc; i++)
		if (m->enc[i].not_after >= now_s + 3600) {
			memcpy(pk, m->enc[i].pk, KEY_X25519_PK_BYTES);
			return SK_OK;
		}
	sk_error_set("%s has no current encryption key in the log; it must sync first",
		     m->org_id);
	return SK_ERR_NOTFOUND;
}
