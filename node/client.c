#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/db.h"
#include "crypto/seal.h"
#include "node/client.h"
#include "node/textcheck.h"
#include "protos/domains.h"

#define META_NEXT_CLIENT "next.client"
/* Plaintext of a client record: 9 BSN digits, 10 birthdate bytes (zeros
 * when unknown), then the name. */
#define PLAIN_MAX (BSN_DIGITS + NODE_DATE_BYTES + NODE_NAME_MAX)
#define STORED_MAX (8 + SEAL_AEAD_BYTES(PLAIN_MAX))

void node_client_wipe(node_client *c)
{
	if (c != NULL)
		sodium_memzero(c, sizeof(*c));
}

sk_status node_client_id_parse(const char *id, uint64_t *n)
{
	size_t len = id != NULL ? strnlen(id, NODE_CLIENT_ID_MAX + 1) : 0;
	uint64_t v = 0;

	*n = 0;
	if (len < 3 || len > NODE_CLIENT_ID_MAX || id[0] != 'c' || id[1] != '-' || id[2] == '0')
		return SK_ERR_INVALID;
	for (size_t i = 2; i < len; i++) {
		if (id[i] < '0' || id[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return SK_ERR_INVALID;
		v = v * 10 + (uint64_t)(id[i] - '0');
	}
	*n = v;
	return SK_OK;
}

static void index_key(node_store *s, uint8_t out[static NODE_BSN_INDEX_BYTES], const bsn *b)
{
	uint8_t in[sizeof(WIRE_DOMAIN_BSN_INDEX) - 1 + BSN_DIGITS];

	memcpy(in, WIRE_DOMAIN_BSN_INDEX, sizeof(WIRE_DOMAIN_BSN_INDEX) - 1);
	memcpy(in + sizeof(WIRE_DOMAIN_BSN_INDEX) - 1, b->digits, BSN_DIGITS);
	crypto_generichash(out, NODE_BSN_INDEX_BYTES, in, sizeof(in), s->index_key,
			   NODE_SECRET_BYTES);
	sodium_memzero(in, sizeof(in));
}

sk_status node_client_find(node_store *s, MDB_txn *txn, const bsn *b,
			   char id[static NODE_CLIENT_ID_MAX + 1])
{
	uint8_t h[NODE_BSN_INDEX_BYTES];
	MDB_val k = {sizeof(h), h}, d;
	int rc;

	id[0] = 0;
	index_key(s, h, b);
	if ((rc = mdb_get(txn, s->bsn_index, &k, &d)) != 0) {
		if (rc == MDB_NOTFOUND)
			sk_error_set("no client with this BSN; register it first with "
				     "'schakel-node client add --bsn ...'");
		return sk_db_status(rc);
	}
	if (d.mv_size == 0 || d.mv_size > NODE_CLIENT_ID_MAX)
		return SK_ERR_DB;
	memcpy(id, d.mv_data, d.mv_size);
	id[d.mv_size] = 0;
	return SK_OK;
}

sk_status node_client_resolve(node_store *s, MDB_txn *txn, const char *ref,
			      char id[static NODE_CLIENT_ID_MAX + 1])
{
	uint64_t n;
	bsn b;
	sk_status st;

	id[0] = 0;
	if (ref != NULL && node_client_id_parse(ref, &n) == SK_OK) {
		uint8_t key[8];
		MDB_val k = {8, key}, d;
		int rc;

		sk_be64_put(key, n);
		if ((rc = mdb_get(txn, s->clients, &k, &d)) == MDB_NOTFOUND)
			sk_error_set("no client %s", ref);
		if (rc == 0)
			snprintf(id, NODE_CLIENT_ID_MAX + 1, "c-%llu", (unsigned long long)n);
		return sk_db_status(rc);
	}
	if (bsn_parse(&b, ref != NULL ? ref : "") != SK_OK) {
		sk_error_set("the client must be a local id such as c-12 or a valid BSN (nine "
			     "digits passing the elfproef)");
		return SK_ERR_BSN;
	}
	st = node_client_find(s, txn, &b, id);
	sodium_memzero(&b, sizeof(b));
	return st;
}

/* Seals c's BSN, birthdate and name into out (STORED_MAX bytes). */
static sk_status seal(node_store *s, const node_client *c, uint8_t *out, size_t *len)
{
	uint8_t plain[PLAIN_MAX];
	size_t nlen = strlen(c->name), plen = BSN_DIGITS + NODE_DATE_BYTES + nlen;
	sk_status st;

	memset(plain, 0, sizeof(plain));
	memcpy(plain, c->bsn.digits, BSN_DIGITS);
	if (c->birthdate[0] != '\0')
		memcpy(plain + BSN_DIGITS, c->birthdate, NODE_DATE_BYTES);
	memcpy(plain + BSN_DIGITS + NODE_DATE_BYTES, c->name, nlen);
	sk_be64_put(out, c->created_at);
	st = seal_aead_encrypt(out + 8, WIRE_DOMAIN_NODE_CLIENT, (const uint8_t *)c->id, strlen(c->id),
			       plain, plen, s->data_key);
	sodium_memzero(plain, sizeof(plain));
	*len = 8 + SEAL_AEAD_BYTES(plen);
	return st;
}

/* Opens a stored record of client id into c. */
static sk_status open_record(node_store *s, const char *id, const uint8_t *in, size_t len,
			     node_client *c)
{
	uint8_t plain[PLAIN_MAX + 1];
	size_t plen = 0;
	sk_status st;

	memset(c, 0, sizeof(*c));
	if (len < 8 + SEAL_AEAD_OVERHEAD + BSN_DIGITS + NODE_DATE_BYTES || len > STORED_MAX)
		return SK_ERR_VERIFY;
	c->created_at = sk_be64_get(in);
	st = seal_aead_decrypt(plain, &plen, WIRE_DOMAIN_NODE_CLIENT, (const uint8_t *)id, strlen(id),
			       in + 8, len - 8, s->data_key);
	if (st == SK_OK) {
		char digits[BSN_DIGITS + 1];

		memcpy(digits, plain, BSN_DIGITS);
		digits[BSN_DIGITS] = 0;
		if (bsn_parse(&c->bsn, digits) != SK_OK)
			st = SK_ERR_VERIFY;
		sodium_memzero(digits, sizeof(digits));
	}
	if (st == SK_OK) {
		if (plain[BSN_DIGITS] != 0)
			memcpy(c->birthdate, plain + BSN_DIGITS, NODE_DATE_BYTES);
		memcpy(c->name, plain + BSN_DIGITS + NODE_DATE_BYTES,
		       plen - BSN_DIGITS - NODE_DATE_BYTES);
		memcpy(c->id, id, strlen(id) + 1);
	}
	sodium_memzero(plain, sizeof(plain));
	if (st != SK_OK) {
		node_client_wipe(c);
		sk_error_set("the record of client %s does not open with this node's data key "
			     "(tampered or swapped)",
			     id);
		return SK_ERR_VERIFY;
	}
	return SK_OK;
}

sk_status node_client_get(node_store *s, MDB_txn *txn, const char *id, node_client *out)
{
	uint8_t key[8];
	MDB_val k = {8, key}, d;
	uint64_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (node_client_id_parse(id, &n) != SK_OK) {
		sk_error_set("'%.32s' is not a client id (c-N)", id != NULL ? id : "");
		return SK_ERR_NOTFOUND;
	}
	sk_be64_put(key, n);
	if ((rc = mdb_get(txn, s->clients, &k, &d)) != 0) {
		if (rc == MDB_NOTFOUND)
			sk_error_set("no client %s", id);
		return sk_db_status(rc);
	}
	return open_record(s, id, d.mv_data, d.mv_size, out);
}

sk_status node_client_bsn(node_store *s, MDB_txn *txn, const char *id, bsn *out)
{
	node_client c;
	sk_status st = node_client_get(s, txn, id, &c);

	memset(out, 0, sizeof(*out));
	if (st == SK_OK)
		memcpy(out, &c.bsn, sizeof(*out));
	node_client_wipe(&c);
	return st;
}

sk_status node_client_name(node_store *s, MDB_txn *txn, const char *id,
			   char name[static NODE_NAME_MAX + 1])
{
	node_client c;
	sk_status st = node_client_get(s, txn, id, &c);

	name[0] = 0;
	if (st == SK_OK)
		memcpy(name, c.name, strlen(c.name) + 1);
	node_client_wipe(&c);
	return st;
}

sk_status node_client_scan(node_store *s, MDB_txn *txn, node_client_fn fn, void *arg)
{
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	node_client c;
	char id[NODE_CLIENT_ID_MAX + 1];
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_cursor_open(txn, s->clients, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		if (k.mv_size != 8) {
			st = SK_ERR_DB;
			break;
		}
		snprintf(id, sizeof(id), "c-%llu", (unsigned long long)sk_be64_get(k.mv_data));
		if ((st = open_record(s, id, d.mv_data, d.mv_size, &c)) == SK_OK)
			st = fn(&c, arg);
		node_client_wipe(&c);
	}
	if (st == SK_OK && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}

static sk_status check_fields(const char *name, const char *birthdate, uint64_t now_ms)
{
	node_date d, today = node_date_at(now_ms);

	if (name != NULL && name[0] != '\0' && !node_text_valid(name, NODE_NAME_MAX)) {
		sk_error_set("the name must be at most %d bytes of text", NODE_NAME_MAX);
		return SK_ERR_INVALID;
	}
	if (birthdate != NULL && birthdate[0] != '\0' &&
	    (node_date_parse(&d, birthdate) != SK_OK || node_date_cmp(&d, &today) > 0)) {
		sk_error_set("the birthdate must be a past date written YYYY-MM-DD");
		return SK_ERR_INVALID;
	}
	return SK_OK;
}

/* Seals c (local number n) into the clients database with flags, then
 * audits event (action) under it. */
static sk_status record_put(node_store *s, MDB_txn *txn, const node_client *c, uint64_t n,
			    unsigned flags, const char *event, audit_action action)
{
	uint8_t key[8], val[STORED_MAX];
	MDB_val ck = {8, key}, d;
	audit_record rec = {0};
	size_t len = 0;
	sk_status st;

	sk_be64_put(key, n);
	if ((st = seal(s, c, val, &len)) == SK_OK) {
		d = (MDB_val){len, val};
		st = sk_db_status(mdb_put(txn, s->clients, &ck, &d, flags));
	}
	sodium_memzero(val, sizeof(val));
	if (st != SK_OK)
		return st;
	rec.event = event;
	rec.action = action;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.category = "client";
	rec.client = c->id;
	return node_audit(s, txn, &rec);
}

sk_status node_client_add_txn(node_store *s, MDB_txn *txn, const bsn *b, const char *name,
			      const char *birthdate, uint64_t now_ms,
			      char id[static NODE_CLIENT_ID_MAX + 1])
{
	node_client c;
	uint8_t h[NODE_BSN_INDEX_BYTES];
	MDB_val hk = {sizeof(h), h}, d;
	uint64_t n = 0;
	sk_status st;
	int rc;

	id[0] = 0;
	memset(&c, 0, sizeof(c));
	if ((st = check_fields(name, birthdate, now_ms)) != SK_OK ||
	    (st = sk_db_room(s->env)) != SK_OK)
		return st;
	index_key(s, h, b);
	if ((rc = mdb_get(txn, s->bsn_index, &hk, &d)) == 0) {
		if (d.mv_size == 0 || d.mv_size > NODE_CLIENT_ID_MAX)
			return SK_ERR_DB;
		memcpy(id, d.mv_data, d.mv_size);
		id[d.mv_size] = 0;
		sk_error_set("this BSN is already registered as client %s", id);
		return SK_ERR_EXISTS;
	}
	if (rc != MDB_NOTFOUND)
		return sk_db_status(rc);
	if ((st = node_meta_u64(s, txn, META_NEXT_CLIENT, 1, &n)) != SK_OK ||
	    (st = node_meta_u64_put(s, txn, META_NEXT_CLIENT, n + 1)) != SK_OK)
		return st;
	snprintf(c.id, sizeof(c.id), "c-%llu", (unsigned long long)n);
	memcpy(&c.bsn, b, sizeof(c.bsn));
	if (name != NULL)
		memcpy(c.name, name, strlen(name) + 1);
	if (birthdate != NULL)
		memcpy(c.birthdate, birthdate, strlen(birthdate) + 1);
	c.created_at = now_ms;
	d.mv_size = strlen(c.id);
	d.mv_data = c.id;
	if ((st = sk_db_status(mdb_put(txn, s->bsn_index, &hk, &d, MDB_NOOVERWRITE))) != SK_OK ||
	    (st = record_put(s, txn, &c, n, MDB_NOOVERWRITE, "client.add", AUDIT_ACTION_CREATE)) !=
		    SK_OK)
		goto out;
	memcpy(id, c.id, strlen(c.id) + 1);
out:
	node_client_wipe(&c);
	return st;
}

sk_status node_client_add(node_store *s, const bsn *b, const char *name, const char *birthdate,
			  uint64_t now_ms, char id[static NODE_CLIENT_ID_MAX + 1])
{
	audit_record rec = {0};
	MDB_txn *txn = NULL;
	sk_status st;

	id[0] = 0;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	st = node_client_add_txn(s, txn, b, name, birthdate, now_ms, id);
	if (st == SK_OK)
		return sk_db_status(mdb_txn_commit(txn));
	mdb_txn_abort(txn);
	if (st == SK_ERR_EXISTS || st == SK_ERR_DISKFULL) {
		char detail[128];

		snprintf(detail, sizeof(detail), "%s", sk_error_detail());
		rec.event = "client.add";
		rec.action = AUDIT_ACTION_CREATE;
		rec.category = "client";
		rec.client = id[0] ? id : NULL;
		node_audit_denied(s, &rec);
		sk_error_set("%s", detail);
	}
	return st;
}

sk_status node_client_update_txn(node_store *s, MDB_txn *txn, const char *id, const char *name,
				 const char *birthdate, uint64_t now_ms)
{
	node_client c;
	uint64_t n = 0;
	sk_status st;

	if ((st = check_fields(name, birthdate, now_ms)) == SK_OK &&
	    (st = node_client_get(s, txn, id, &c)) == SK_OK &&
	    (st = node_client_id_parse(id, &n)) == SK_OK) {
		snprintf(c.name, sizeof(c.name), "%s", name != NULL ? name : "");
		snprintf(c.birthdate, sizeof(c.birthdate), "%s", birthdate != NULL ? birthdate : "");
		st = record_put(s, txn, &c, n, 0, "client.update", AUDIT_ACTION_UPDATE);
	}
	node_client_wipe(&c);
	return st;
}
