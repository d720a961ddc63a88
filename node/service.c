#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "node/service.h"
#include "node/textcheck.h"
#include "protos/domains.h"

#define HASH_BYTES 32
#define KEY_MAX (2 + NODE_SERVICE_ID_MAX)

int node_service_id_valid(const char *id)
{
	size_t n = id != NULL ? strnlen(id, NODE_SERVICE_ID_MAX + 1) : 0;

	if (n == 0 || n > NODE_SERVICE_ID_MAX || id[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') ||
		      id[i] == '-'))
			return 0;
	return 1;
}

/* "s" NUL id */
static MDB_val key_of(uint8_t out[static KEY_MAX], const char *id)
{
	size_t n = strlen(id);

	out[0] = 's';
	out[1] = 0;
	memcpy(out + 2, id, n);
	return (MDB_val){n + 2, out};
}

static void cred_hash(uint8_t out[static HASH_BYTES], const char *cred, size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, HASH_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)WIRE_DOMAIN_NODE_SERVICE,
				  sizeof(WIRE_DOMAIN_NODE_SERVICE) - 1);
	crypto_generichash_update(&st, (const uint8_t *)cred, len);
	crypto_generichash_final(&st, out, HASH_BYTES);
	sodium_memzero(&st, sizeof(st));
}

/* The stored record of id into *doc (a new reference). */
static sk_status get(node_store *s, MDB_txn *txn, const char *id, json_t **doc)
{
	uint8_t kb[KEY_MAX];
	MDB_val k = key_of(kb, id), d;
	int rc;

	*doc = NULL;
	if ((rc = mdb_get(txn, s->integration, &k, &d)) != 0) {
		if (rc == MDB_NOTFOUND)
			sk_error_set("no service %s", id);
		return sk_db_status(rc);
	}
	if ((*doc = json_loadb(d.mv_data, d.mv_size, 0, NULL)) == NULL || !json_is_object(*doc)) {
		json_decref(*doc);
		*doc = NULL;
		return SK_ERR_DB;
	}
	return SK_OK;
}

static sk_status put(node_store *s, MDB_txn *txn, const char *id, json_t *doc)
{
	uint8_t kb[KEY_MAX];
	MDB_val k = key_of(kb, id), d;
	char *txt = json_dumps(doc, JSON_COMPACT);
	sk_status st;

	if (txt == NULL)
		return SK_ERR_NOMEM;
	d = (MDB_val){strlen(txt), txt};
	st = sk_db_status(mdb_put(txn, s->integration, &k, &d, 0));
	free(txt);
	return st;
}

static sk_status audited(node_store *s, MDB_txn *txn, const char *event, audit_action action,
			 const char *as, const char *id, sk_status st)
{
	audit_record rec = {0};
	char what[NODE_SERVICE_ID_MAX + 16];

	snprintf(what, sizeof(what), "service %s", id);
	rec.event = event;
	rec.action = action;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.category = "account";
	rec.user = as;
	rec.counterpart = NULL;
	rec.reason = what;
	if (st == SK_OK && (st = node_audit(s, txn, &rec)) == SK_OK)
		return sk_db_status(mdb_txn_commit(txn));
	mdb_txn_abort(txn);
	if (st == SK_ERR_EXISTS || st == SK_ERR_NOTFOUND || st == SK_ERR_INVALID)
		node_audit_denied(s, &rec);
	return st;
}

sk_status node_service_add(node_store *s, const char *id, const char *name, const char *as,
			   char cred[static NODE_SERVICE_CRED_MAX + 1])
{
	uint8_t raw[NODE_SERVICE_SECRET_BYTES], h[HASH_BYTES];
	char hex[2 * HASH_BYTES + 1];
	json_t *doc = NULL;
	MDB_txn *txn = NULL;
	sk_status st;

	cred[0] = 0;
	if (!node_service_id_valid(id)) {
		sk_error_set("a service id is 1 to %d of a-z, 0-9 and '-'", NODE_SERVICE_ID_MAX);
		return SK_ERR_INVALID;
	}
	if (name == NULL || !node_text_valid(name, NODE_NAME_MAX)) {
		sk_error_set("the service's name must be 1 to %d bytes of text", NODE_NAME_MAX);
		return SK_ERR_INVALID;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = get(s, txn, id, &doc)) == SK_OK) {
		sk_error_set("service %s exists already (ids are never reused); choose another id",
			     id);
		st = SK_ERR_EXISTS;
		goto out;
	}
	if (st != SK_ERR_NOTFOUND)
		goto out;
	randombytes_buf(raw, sizeof(raw));
	snprintf(cred, NODE_SERVICE_CRED_MAX + 1, "svc.%s.", id);
	sodium_bin2hex(cred + strlen(cred), 2 * NODE_SERVICE_SECRET_BYTES + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	cred_hash(h, cred, strlen(cred));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	if ((doc = json_pack("{s:s,s:s,s:I,s:s}", "id", id, "name", name, "created_at",
			     (json_int_t)sk_clock_now_ms(), "hash", hex)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	st = put(s, txn, id, doc);
out:
	json_decref(doc);
	st = audited(s, txn, "service.add", AUDIT_ACTION_CREATE, as, id, st);
	if (st != SK_OK)
		sodium_memzero(cred, NODE_SERVICE_CRED_MAX + 1);
	return st;
}

sk_status node_service_revoke(node_store *s, const char *id, const char *as)
{
	json_t *doc = NULL;
	MDB_txn *txn = NULL;
	sk_status st;

	if (!node_service_id_valid(id)) {
		sk_error_set("no service %.40s", id != NULL ? id : "");
		return SK_ERR_NOTFOUND;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = get(s, txn, id, &doc)) != SK_OK)
		goto out;
	if (json_integer_value(json_object_get(doc, "revoked_at")) != 0) {
		sk_error_set("service %s is already revoked", id);
		st = SK_ERR_EXISTS;
		goto out;
	}
	if (json_object_set_new(doc, "revoked_at", json_integer((json_int_t)sk_clock_now_ms())) != 0) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	st = put(s, txn, id, doc);
out:
	json_decref(doc);
	return audited(s, txn, "service.revoke", AUDIT_ACTION_DELETE, as, id, st);
}

sk_status node_service_list(node_store *s, const char *as, json_t **out)
{
	uint8_t kb[2] = {'s', 0};
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k = {2, kb}, d;
	json_t *list = json_array();
	sk_status st;
	int rc;

	*out = NULL;
	if (list == NULL)
		return SK_ERR_NOMEM;
	if ((st = node_audit_access(s, "service.list", as, NULL, "account", NULL, NULL)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if ((st = sk_db_status(mdb_cursor_open(txn, s->integration, &cur))) != SK_OK)
		goto out;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		json_t *doc, *item;
		json_int_t rv;

		if (k.mv_size < 2 || ((uint8_t *)k.mv_data)[0] != 's' || ((uint8_t *)k.mv_data)[1] != 0)
			break;
		if ((doc = json_loadb(d.mv_data, d.mv_size, 0, NULL)) == NULL) {
			st = SK_ERR_DB;
			goto out;
		}
		rv = json_integer_value(json_object_get(doc, "revoked_at"));
		item = json_pack("{s:O,s:O,s:O,s:o}", "id", json_object_get(doc, "id"), "name",
				 json_object_get(doc, "name"), "created_at",
				 json_object_get(doc, "created_at"), "revoked_at",
				 rv != 0 ? json_integer(rv) : json_null());
		json_decref(doc);
		if (item == NULL || json_array_append_new(list, item) != 0) {
			st = SK_ERR_NOMEM;
			goto out;
		}
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (st == SK_OK)
		*out = list;
	else
		json_decref(list);
	return st;
}

sk_status node_service_check(node_store *s, const char *cred, size_t len,
			     char id[static NODE_SERVICE_ID_MAX + 1])
{
	uint8_t h[HASH_BYTES], want[HASH_BYTES];
	const char *dot;
	size_t n;
	json_t *doc = NULL;
	MDB_txn *txn = NULL;
	const char *hex;
	sk_status st = SK_ERR_VERIFY;

	id[0] = 0;
	if (len < 5 || len > NODE_SERVICE_CRED_MAX || memcmp(cred, "svc.", 4) != 0 ||
	    (dot = memchr(cred + 4, '.', len - 4)) == NULL)
		return SK_ERR_VERIFY;
	n = (size_t)(dot - (cred + 4));
	if (n == 0 || n > NODE_SERVICE_ID_MAX || len - n - 5 != 2 * NODE_SERVICE_SECRET_BYTES)
		return SK_ERR_VERIFY;
	memcpy(id, cred + 4, n);
	id[n] = 0;
	if (!node_service_id_valid(id))
		goto out;
	if (sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != SK_OK)
		goto out;
	if (get(s, txn, id, &doc) != SK_OK ||
	    json_integer_value(json_object_get(doc, "revoked_at")) != 0 ||
	    (hex = json_string_value(json_object_get(doc, "hash"))) == NULL ||
	    sodium_hex2bin(want, sizeof(want), hex, strlen(hex), NULL, NULL, NULL) != 0)
		goto out;
	cred_hash(h, cred, len);
	if (sodium_memcmp(h, want, HASH_BYTES) == 0)
		st = SK_OK;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	json_decref(doc);
	sodium_memzero(h, sizeof(h));
	if (st != SK_OK) {
		id[0] = 0;
		sk_error_set("the service credential is not valid (unknown, revoked or wrong)");
	}
	return st;
}
