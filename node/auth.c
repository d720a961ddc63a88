#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/db.h"
#include "node/auth.h"
#include "node/textcheck.h"

#define OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

/* meta names: the hash, and the sign-in state (u64be failures in a row,
 * u64be locked until) */
static sk_status name_of(char *out, size_t cap, const char *what, const char *id)
{
	int n = snprintf(out, cap, "%s/%s", what, id);

	return n > 0 && (size_t)n < cap ? SK_OK : SK_ERR_INVALID;
}

sk_status node_password_set(node_store *s, const char *id, const char *password,
			    uint64_t now_ms)
{
	char hash[crypto_pwhash_STRBYTES], name[NODE_ID_MAX + 16];
	size_t len = strlen(password);
	audit_record rec = {0};
	node_professional p;
	MDB_txn *txn = NULL;
	sk_status st;

	(void)now_ms;
	if (len < NODE_PASSWORD_MIN || len > NODE_PASSWORD_MAX ||
	    !node_text_valid(password, NODE_PASSWORD_MAX)) {
		sk_error_set("a password is %u to %u characters of text", NODE_PASSWORD_MIN,
			     NODE_PASSWORD_MAX);
		return SK_ERR_INVALID;
	}
	if (crypto_pwhash_str(hash, password, len, OPS, MEM) != 0)
		return SK_ERR_NOMEM;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	rec.event = "professional.passwd";
	rec.action = AUDIT_ACTION_UPDATE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.user = id;
	rec.category = "account";
	if ((st = node_professional_get(s, txn, id, &p)) != SK_OK ||
	    (st = name_of(name, sizeof(name), "pw", id)) != SK_OK ||
	    (st = node_meta_put(s, txn, name, (const uint8_t *)hash, strlen(hash) + 1)) != SK_OK ||
	    (st = name_of(name, sizeof(name), "signin", id)) != SK_OK ||
	    (st = node_meta_put(s, txn, name, (const uint8_t[16]){0}, 16)) != SK_OK ||
	    (st = node_audit(s, txn, &rec)) != SK_OK) {
		mdb_txn_abort(txn);
		goto out;
	}
	st = sk_db_status(mdb_txn_commit(txn));
out:
	sodium_memzero(hash, sizeof(hash));
	return st;
}

/* A hash of no one's password, so that an unknown professional costs the
 * same as a wrong password. */
static char dummy[crypto_pwhash_STRBYTES];
static int dummy_ok;
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_make(void)
{
	uint8_t pw[32];

	randombytes_buf(pw, sizeof(pw));
	dummy_ok = crypto_pwhash_str(dummy, (const char *)pw, sizeof(pw), OPS, MEM) == 0;
}

/* The stored hash of id into hash ("" when none) and its sign-in state. */
static sk_status load(node_store *s, MDB_txn *txn, const char *id,
		      char hash[static crypto_pwhash_STRBYTES], uint64_t *failures,
		      uint64_t *until)
{
	char name[NODE_ID_MAX + 16];
	uint8_t *v = NULL;
	size_t len = 0;
	sk_status st;

	hash[0] = 0;
	*failures = *until = 0;
	if ((st = name_of(name, sizeof(name), "pw", id)) != SK_OK)
		return st;
	st = node_meta_get(s, txn, name, &v, &len);
	if (st == SK_OK && len > 0 && len <= crypto_pwhash_STRBYTES && v[len - 1] == 0)
		memcpy(hash, v, len);
	else if (st == SK_OK)
		st = SK_ERR_INVALID;
	if (v != NULL)
		sodium_memzero(v, len);
	free(v);
	v = NULL;
	if (st != SK_OK && st != SK_ERR_NOTFOUND)
		return st;
	if ((st = name_of(name, sizeof(name), "signin", id)) != SK_OK)
		return st;
	st = node_meta_get(s, txn, name, &v, &len);
	if (st == SK_OK && len == 16) {
		*failures = sk_be64_get(v);
		*until = sk_be64_get(v + 8);
	}
	free(v);
	return st == SK_ERR_NOTFOUND || st == SK_OK ? SK_OK : st;
}

sk_status node_signin(node_store *s, const char *id, const char *password, uint64_t now_ms,
		      node_professional *out, uint64_t *locked_until)
{
	char hash[crypto_pwhash_STRBYTES], name[NODE_ID_MAX + 16];
	uint64_t failures = 0, until = 0;
	uint8_t state[16];
	audit_record rec = {0};
	MDB_txn *txn = NULL;
	int known = 0, good = 0;
	sk_status st;

	hash[0] = 0;
	if (locked_until != NULL)
		*locked_until = 0;
	rec.event = "signin";
	rec.action = AUDIT_ACTION_EXECUTE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.category = "account";
	rec.user = id;
	if (strlen(id) > NODE_ID_MAX || strlen(password) > NODE_PASSWORD_MAX)
		id = ""; /* no such professional, same work */
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if (id[0] != 0) {
		st = node_professional_get(s, txn, id, out);
		known = st == SK_OK;
		if (st == SK_OK)
			st = load(s, txn, id, hash, &failures, &until);
		else if (st == SK_ERR_NOTFOUND)
			st = SK_OK;
	}
	mdb_txn_abort(txn);
	if (st != SK_OK)
		goto out;
	if (known && now_ms < until) {
		if (locked_until != NULL)
			*locked_until = until;
		sk_error_set("too many failed sign-ins");
		node_audit_denied(s, &rec);
		st = SK_ERR_PERM;
		goto out;
	}
	if (hash[0] != 0) {
		good = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
	} else {
		pthread_once(&dummy_once, dummy_make);
		/* always fails: the dummy's password is not known to anyone */
		if (dummy_ok && crypto_pwhash_str_verify(dummy, password, strlen(password)) == 0)
			good = 0;
	}
	/* the count (known professionals only) and the record, together */
	if (good) {
		failures = until = 0;
	} else if (known && ++failures >= NODE_SIGNIN_FAILURES_MAX) {
		failures = 0;
		until = now_ms + NODE_SIGNIN_LOCK_MS;
	}
	if (!good) {
		rec.outcome = AUDIT_OUTCOME_DENIED;
		rec.reason = until > now_ms ? "wrong password; locked after repeated failures"
			   : known && hash[0] != 0 ? "wrong password"
			   : known		   ? "no password set"
						   : "unknown professional";
		if (!known)
			rec.user = NULL; /* whatever was typed stays out of the log */
	}
	sk_be64_put(state, failures);
	sk_be64_put(state + 8, until);
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	if ((known && ((st = name_of(name, sizeof(name), "signin", id)) != SK_OK ||
		       (st = node_meta_put(s, txn, name, state, sizeof(state))) != SK_OK)) ||
	    (st = node_audit(s, txn, &rec)) != SK_OK) {
		mdb_txn_abort(txn);
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_commit(txn))) != SK_OK)
		goto out;
	if (!good) {
		if (locked_until != NULL && until > now_ms)
			*locked_until = until;
		st = until > now_ms ? SK_ERR_PERM : SK_ERR_VERIFY;
	}
out:
	sodium_memzero(hash, sizeof(hash));
	return st;
}

/* ---- sign-in through the identity provider ------------------------------------ */

static sk_status login_name(char *out, size_t cap, const char *login)
{
	if (login == NULL || login[0] == 0 || !node_text_valid(login, NODE_LOGIN_MAX)) {
		sk_error_set("a login is 1 to %u characters of text", NODE_LOGIN_MAX);
		return SK_ERR_INVALID;
	}
	return name_of(out, cap, "login", login);
}

sk_status node_login_link(node_store *s, const char *id, const char *login)
{
	char name[NODE_LOGIN_MAX + 16];
	audit_record rec = {0};
	node_professional p;
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = login_name(name, sizeof(name), login)) != SK_OK)
		return st;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	rec.event = "professional.link";
	rec.action = AUDIT_ACTION_UPDATE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.user = id;
	rec.category = "account";
	if ((st = node_professional_get(s, txn, id, &p)) != SK_OK ||
	    (st = node_meta_put(s, txn, name, (const uint8_t *)id, strlen(id) + 1)) != SK_OK ||
	    (st = node_audit(s, txn, &rec)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

void node_signin_refused(node_store *s, const char *method, const char *reason)
{
	char why[160];
	audit_record rec = {0};

	snprintf(why, sizeof(why), "%s: %s", method, reason);
	sk_error_set("%s", why);
	rec.event = "signin";
	rec.action = AUDIT_ACTION_EXECUTE;
	rec.category = "account";
	node_audit_denied(s, &rec);
}

sk_status node_signin_login(node_store *s, const char *login, const char *method,
			    node_professional *out)
{
	char name[NODE_LOGIN_MAX + 16], id[NODE_ID_MAX + 1];
	audit_record rec = {0};
	MDB_txn *txn = NULL;
	uint8_t *v = NULL;
	size_t len = 0;
	sk_status st;

	if ((st = login_name(name, sizeof(name), login)) != SK_OK)
		return st;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = node_meta_get(s, txn, name, &v, &len);
	if (st == SK_OK && (len == 0 || len > sizeof(id) || v[len - 1] != 0))
		st = SK_ERR_INVALID;
	if (st == SK_OK) {
		memcpy(id, v, len);
		st = node_professional_get(s, txn, id, out);
	}
	free(v);
	mdb_txn_abort(txn);
	if (st == SK_ERR_NOTFOUND) {
		/* whatever the provider named stays out of the log: no one here */
		node_signin_refused(s, method, "no professional is linked to this login");
		return SK_ERR_NOTFOUND;
	}
	if (st != SK_OK)
		return st;
	rec.event = "signin";
	rec.action = AUDIT_ACTION_EXECUTE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.reason = method;
	rec.user = out->id;
	rec.category = "account";
	return node_audit_commit(s, &rec);
}
