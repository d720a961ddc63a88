#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/be.h"
#include "common/cli.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/file.h"
#include "net/cert.h"
#include "net/conn.h"
#include "protos/wire.h"
#include "pseudonymiser/store.h"

#define LABEL_IDENTITY "ps-identity"
#define LABEL_TLS "ps-tls"
#define META_ORG_ID "org_id"
#define META_NAME "name"
#define META_IDENTITY_PK "identity_pk"
#define META_TLS_PK "tls_pk"
#define META_REGISTRY_KEY "registry_key"

/* Stored forms (big-endian integers). */
#define EPOCH_VAL_BYTES (OPRF_ELEMENT_BYTES + 3 * 8 + 1)
#define ALLOW_VAL_BYTES 16
#define GRANT_VAL_BYTES 20
#define USAGE_VAL_BYTES 36
#define REVOKED_VAL_BYTES 16

/* A value of a fixed size; SK_ERR_DB when the stored one has another. */
static sk_status get_fixed(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, void *out,
			   size_t len)
{
	MDB_val k = {klen, (void *)key}, d;
	int rc = mdb_get(txn, dbi, &k, &d);

	if (rc != 0)
		return sk_db_status(rc);
	if (d.mv_size != len) {
		sk_error_set("a stored record has an unexpected size; the database is damaged");
		return SK_ERR_DB;
	}
	memcpy(out, d.mv_data, len);
	return SK_OK;
}

static sk_status put(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void *val,
		     size_t len)
{
	MDB_val k = {klen, (void *)key}, d = {len, (void *)val};

	return sk_db_status(mdb_put(txn, dbi, &k, &d, 0));
}

static sk_status org_key(const char *org, size_t *len)
{
	*len = strlen(org);
	if (!net_cert_id_valid(org, NET_ORG_ID_MAX)) {
		sk_error_set("an org id is 1-63 characters of a-z, 0-9, '.' and '-'");
		return SK_ERR_INVALID;
	}
	return SK_OK;
}

sk_status ps_meta_u64(ps_store *s, MDB_txn *txn, const char *name, uint64_t def, uint64_t *v)
{
	uint8_t b[8];
	sk_status st = get_fixed(txn, s->meta, name, strlen(name), b, sizeof(b));

	*v = st == SK_OK ? sk_be64_get(b) : def;
	return st == SK_ERR_NOTFOUND ? SK_OK : st;
}

sk_status ps_meta_u64_put(ps_store *s, MDB_txn *txn, const char *name, uint64_t v)
{
	uint8_t b[8];

	sk_be64_put(b, v);
	return put(txn, s->meta, name, strlen(name), b, sizeof(b));
}

sk_status ps_meta_str(ps_store *s, MDB_txn *txn, const char *name, char *out, size_t cap)
{
	MDB_val k = {strlen(name), (void *)name}, d;
	int rc = mdb_get(txn, s->meta, &k, &d);

	out[0] = 0;
	if (rc == MDB_NOTFOUND)
		return SK_OK;
	if (rc != 0)
		return sk_db_status(rc);
	if (d.mv_size >= cap || memchr(d.mv_data, 0, d.mv_size) != NULL) {
		sk_error_set("a stored record has an unexpected size; the database is damaged");
		return SK_ERR_DB;
	}
	memcpy(out, d.mv_data, d.mv_size);
	out[d.mv_size] = 0;
	return SK_OK;
}

sk_status ps_meta_str_put(ps_store *s, MDB_txn *txn, const char *name, const char *v)
{
	return put(txn, s->meta, name, strlen(name), v, strlen(v));
}

/* meta key "cert." org */
static size_t pin_key(char *k, size_t cap, const char *org)
{
	int n = snprintf(k, cap, "cert.%s", org);

	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

sk_status ps_cert_pin_get(ps_store *s, MDB_txn *txn, const char *org, uint8_t sha256[static 32])
{
	char k[NET_ORG_ID_MAX + 8];
	size_t n = pin_key(k, sizeof(k), org);

	return n == 0 ? SK_ERR_INVALID : get_fixed(txn, s->meta, k, n, sha256, 32);
}

sk_status ps_cert_pin_put(ps_store *s, MDB_txn *txn, const char *org,
			  const uint8_t sha256[static 32])
{
	char k[NET_ORG_ID_MAX + 8];
	size_t n = pin_key(k, sizeof(k), org);

	return n == 0 ? SK_ERR_INVALID : put(txn, s->meta, k, n, sha256, 32);
}

sk_status ps_audit(ps_store *s, MDB_txn *txn, audit_record *rec)
{
	rec->org = s->org_id;
	rec->system = PS_SYSTEM;
	if (rec->responsible == NULL)
		rec->responsible = sk_cli_user();
	if (rec->access_point == NULL)
		rec->access_point = "cli";
	return audit_log_append(s->audit, txn, rec, NULL, NULL);
}

static sk_status audit_cli(ps_store *s, MDB_txn *txn, const char *event, audit_action a,
			   const char *org, const char *reason)
{
	audit_record rec = {0};

	rec.event = event;
	rec.action = a;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.counterpart = org;
	rec.reason = reason;
	return ps_audit(s, txn, &rec);
}

static sk_status open_env(ps_store *s, const char *dir)
{
	static const sk_db_named dbs[] = {
		{"ps_meta", offsetof(ps_store, meta)},
		{"ps_epochs", offsetof(ps_store, epochs)},
		{"ps_allow", offsetof(ps_store, allow)},
		{"ps_grants", offsetof(ps_store, grants)},
		{"ps_usage", offsetof(ps_store, usage)},
		{"ps_revoked", offsetof(ps_store, revoked)},
	};
	MDB_txn *txn = NULL;
	sk_status st;

	if (strlen(dir) >= sizeof(s->dir))
		return SK_ERR_TOOBIG;
	memcpy(s->dir, dir, strlen(dir) + 1);
	if ((st = sk_db_open(&s->env, dir, 0, 0)) != SK_OK ||
	    (st = sk_db_dbis(s->env, dbs, sizeof(dbs) / sizeof(dbs[0]), s, &txn)) != SK_OK)
		return st;
	if ((st = audit_log_open_in(&s->audit, s->env, txn)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

void ps_store_close(ps_store *s)
{
	if (s == NULL)
		return;
	audit_log_close(s->audit);
	sk_db_close(s->env);
	free(s);
}

static sk_status key_path(char out[static PATH_MAX], char label[static 32], const ps_store *s,
			  uint32_t epoch)
{
	char name[32];

	snprintf(name, sizeof(name), "oprf-%u.key", epoch);
	snprintf(label, 32, "ps-oprf-%u", epoch);
	return sk_path_join(out, PATH_MAX, s->dir, name);
}

/* The signed enrolment request, written to dir/enrol-request. */
static sk_status write_request(ps_store *s, const char *name, const key_ed25519 *id,
			       const uint8_t oprf_pk[static OPRF_ELEMENT_BYTES],
			       const net_hosts *hosts)
{
	Schakel__V1__EnrolRequestBody b = SCHAKEL__V1__ENROL_REQUEST_BODY__INIT;
	char path[PATH_MAX];
	sk_status st;

	b.org_id = s->org_id;
	b.name = (char *)name;
	b.role = SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER;
	b.identity_key = (ProtobufCBinaryData){KEY_ED25519_PK_BYTES, s->identity_pk};
	b.tls_key = (ProtobufCBinaryData){KEY_ED25519_PK_BYTES, s->tls_pk};
	b.has_oprf_key = 1;
	b.oprf_key = (ProtobufCBinaryData){OPRF_ELEMENT_BYTES, (uint8_t *)oprf_pk};
	b.created_at = sk_clock_now_ms();
	if (hosts != NULL) {
		b.n_hosts = hosts->n;
		b.hosts = (char **)hosts->name;
	}
	if ((st = sk_path_join(path, sizeof(path), s->dir, PS_FILE_REQUEST)) != SK_OK)
		return st;
	return wire_enrol_request_write(path, &b, id->sk);
}

sk_status ps_store_init(const char *dir, const char *org_id, const char *name,
			uint32_t until_day, sk_kek *kek, uint8_t oprf_pk[static OPRF_ELEMENT_BYTES])
{
	return ps_store_init_hosts(dir, org_id, name, until_day, NULL, kek, oprf_pk);
}

sk_status ps_store_init_hosts(const char *dir, const char *org_id, const char *name,
			      uint32_t until_day, const net_hosts *hosts, sk_kek *kek,
			      uint8_t oprf_pk[static OPRF_ELEMENT_BYTES])
{
	char path[PATH_MAX], label[32];
	uint8_t id_seed[KEY_ED25519_SEED_BYTES], tls_seed[KEY_ED25519_SEED_BYTES];
	uint8_t oprf_sk[OPRF_SCALAR_BYTES];
	key_ed25519 *id = sodium_malloc(sizeof(*id)), tls;
	ps_store *s = calloc(1, sizeof(*s));
	ps_epoch e = {.epoch = 1};
	MDB_txn *txn = NULL;
	uint64_t now = sk_clock_now_ms();
	sk_status st;

	randombytes_buf(id_seed, sizeof(id_seed));
	randombytes_buf(tls_seed, sizeof(tls_seed));
	oprf_keypair_generate(oprf_sk, oprf_pk);
	if (id == NULL || s == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	key_ed25519_from_seed(id, id_seed);
	key_ed25519_from_seed(&tls, tls_seed);
	if (!net_cert_id_valid(org_id, NET_ORG_ID_MAX)) {
		sk_error_set("the org id must be 1-63 characters of a-z, 0-9, '.' and '-', "
			     "starting with a letter or digit");
		st = SK_ERR_INVALID;
		goto out;
	}
	if (name[0] == '\0' || strlen(name) > NET_NAME_MAX) {
		sk_error_set("the name must be 1-%d bytes", NET_NAME_MAX);
		st = SK_ERR_INVALID;
		goto out;
	}
	for (size_t i = 0; hosts != NULL && i < hosts->n; i++)
		if (hosts->n > NET_HOSTS_MAX || !net_cert_host_valid(hosts->name[i])) {
			sk_error_set("'%.80s' is not a host name (RFC 1123) or an IP address",
				     hosts->name[i]);
			st = SK_ERR_INVALID;
			goto out;
		}
	if (until_day != 0 && (uint64_t)(until_day + 1) * PS_DAY_MS <= now) {
		sk_error_set("--until must be a date in the future");
		st = SK_ERR_INVALID;
		goto out;
	}
	memcpy(s->org_id, org_id, strlen(org_id) + 1);
	memcpy(s->identity_pk, id->pk, sizeof(s->identity_pk));
	memcpy(s->tls_pk, tls.pk, sizeof(s->tls_pk));
	if ((st = sk_dir_create(dir)) != SK_OK)
		goto out;
	if (strlen(dir) >= sizeof(s->dir)) {
		st = SK_ERR_TOOBIG;
		goto out;
	}
	memcpy(s->dir, dir, strlen(dir) + 1);
	if ((st = sk_path_join(path, sizeof(path), dir, PS_FILE_IDENTITY)) != SK_OK)
		goto out;
	if ((st = sk_keyfile_write(kek, path, LABEL_IDENTITY, id_seed, sizeof(id_seed))) != SK_OK) {
		if (st == SK_ERR_EXISTS)
			sk_error_set("%s already holds a pseudonymiser", dir);
		goto out;
	}
	if ((st = sk_path_join(path, sizeof(path), dir, PS_FILE_TLS)) != SK_OK ||
	    (st = sk_keyfile_write(kek, path, LABEL_TLS, tls_seed, sizeof(tls_seed))) != SK_OK ||
	    (st = key_path(path, label, s, 1)) != SK_OK ||
	    (st = sk_keyfile_write(kek, path, label, oprf_sk, sizeof(oprf_sk))) != SK_OK)
		goto out;
	if ((st = open_env(s, dir)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	memcpy(e.pk, oprf_pk, OPRF_ELEMENT_BYTES);
	e.not_before = now;
	e.not_after = (uint64_t)((until_day ? until_day : ps_day_of(now) + PS_EPOCH_DAYS_DEFAULT) + 1) *
		      PS_DAY_MS;
	if ((st = put(txn, s->meta, META_ORG_ID, strlen(META_ORG_ID), org_id, strlen(org_id))) !=
		    SK_OK ||
	    (st = put(txn, s->meta, META_NAME, strlen(META_NAME), name, strlen(name))) != SK_OK ||
	    (st = put(txn, s->meta, META_IDENTITY_PK, strlen(META_IDENTITY_PK), id->pk,
		      KEY_ED25519_PK_BYTES)) != SK_OK ||
	    (st = put(txn, s->meta, META_TLS_PK, strlen(META_TLS_PK), tls.pk,
		      KEY_ED25519_PK_BYTES)) != SK_OK ||
	    (st = ps_epoch_put(s, txn, &e)) != SK_OK ||
	    (st = audit_cli(s, txn, "ps.init", AUDIT_ACTION_CREATE, NULL, NULL)) != SK_OK) {
		mdb_txn_abort(txn);
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_commit(txn))) != SK_OK)
		goto out;
	st = write_request(s, name, id, oprf_pk, hosts);
out:
	sodium_memzero(id_seed, sizeof(id_seed));
	sodium_memzero(tls_seed, sizeof(tls_seed));
	sodium_memzero(oprf_sk, sizeof(oprf_sk));
	key_ed25519_wipe(&tls);
	if (id != NULL)
		sodium_free(id);
	ps_store_close(s);
	return st;
}

sk_status ps_store_open(ps_store **out, const char *dir)
{
	ps_store *s = calloc(1, sizeof(*s));
	MDB_txn *txn = NULL;
	MDB_val k = {strlen(META_ORG_ID), META_ORG_ID}, d;
	sk_status st;
	int rc;

	*out = NULL;
	if (s == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_dir_check(dir)) != SK_OK) {
		if (st == SK_ERR_NOTFOUND)
			sk_error_set("%s does not exist; run 'schakel-pseudonymiser init' first", dir);
		goto fail;
	}
	if ((st = open_env(s, dir)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto fail;
	rc = mdb_get(txn, s->meta, &k, &d);
	if (rc == 0 && d.mv_size > 0 && d.mv_size < sizeof(s->org_id)) {
		memcpy(s->org_id, d.mv_data, d.mv_size);
		s->org_id[d.mv_size] = 0;
		if ((st = get_fixed(txn, s->meta, META_IDENTITY_PK, strlen(META_IDENTITY_PK),
				    s->identity_pk, KEY_ED25519_PK_BYTES)) == SK_OK)
			st = get_fixed(txn, s->meta, META_TLS_PK, strlen(META_TLS_PK), s->tls_pk,
				       KEY_ED25519_PK_BYTES);
	} else {
		st = rc == MDB_NOTFOUND ? SK_ERR_NOTFOUND : SK_ERR_DB;
	}
	mdb_txn_abort(txn);
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("%s holds no pseudonymiser; run 'schakel-pseudonymiser init' first",
			     dir);
	if (st != SK_OK)
		goto fail;
	*out = s;
	return SK_OK;
fail:
	ps_store_close(s);
	return st;
}

/* ---- bundle, keys -------------------------------------------------------- */

sk_status ps_registry_key(ps_store *s, MDB_txn *txn, uint8_t pk[static KEY_ED25519_PK_BYTES])
{
	return get_fixed(txn, s->meta, META_REGISTRY_KEY, strlen(META_REGISTRY_KEY), pk,
			 KEY_ED25519_PK_BYTES);
}

/* Parses a SignedBundle and checks its signature under key (NULL: the key
 * the body names). */
static sk_status bundle_open(Schakel__V1__BundleBody **out, const uint8_t *data, size_t len,
			     const uint8_t *key)
{
	Schakel__V1__SignedBundle *sb = schakel__v1__signed_bundle__unpack(NULL, len, data);
	Schakel__V1__BundleBody *b = NULL;
	sk_status st = SK_OK;

	*out = NULL;
	if (sb == NULL || sb->signature.len != KEY_SIG_BYTES ||
	    (b = schakel__v1__bundle_body__unpack(NULL, sb->body.len, sb->body.data)) == NULL ||
	    b->registry_key.len != KEY_ED25519_PK_BYTES) {
		sk_error_set("the file is not a schakel bundle");
		st = SK_ERR_INVALID;
		goto out;
	}
	if (key_verify(sb->signature.data, WIRE_DOMAIN_BUNDLE, sb->body.data, sb->body.len,
		       key != NULL ? key : b->registry_key.data) != SK_OK ||
	    (key != NULL && sodium_memcmp(key, b->registry_key.data, KEY_ED25519_PK_BYTES) != 0)) {
		sk_error_set("the bundle's signature does not verify under %s registry key",
			     key != NULL ? "the pinned" : "its");
		st = SK_ERR_VERIFY;
		goto out;
	}
	*out = b;
	b = NULL;
out:
	schakel__v1__bundle_body__free_unpacked(b, NULL);
	schakel__v1__signed_bundle__free_unpacked(sb, NULL);
	return st;
}

sk_status ps_join(ps_store *s, const uint8_t *bundle, size_t len)
{
	Schakel__V1__BundleBody *b = NULL;
	uint8_t pinned[KEY_ED25519_PK_BYTES];
	char path[PATH_MAX], hex[2 * KEY_ED25519_PK_BYTES + 1];
	MDB_txn *txn = NULL;
	net_peer self;
	sk_status st;

	if ((st = bundle_open(&b, bundle, len, NULL)) != SK_OK)
		return st;
	if ((st = net_cert_verify(&self, b->member_cert.data, b->member_cert.len, b->ca_cert.data,
				  b->ca_cert.len, (int64_t)(sk_clock_now_ms() / 1000))) != SK_OK) {
		sk_error_set("the bundle's certificate does not verify under its CA: %s",
			     sk_error_detail());
		goto out;
	}
	if (strcmp(self.org_id, s->org_id) != 0 ||
	    sodium_memcmp(self.tls_pk, s->tls_pk, KEY_ED25519_PK_BYTES) != 0 ||
	    strcmp(self.category, NET_ROLE_PSEUDONYMISER) != 0) {
		sk_error_set("this bundle was issued to '%s' as %s, not to this pseudonymiser "
			     "('%s') and its TLS key",
			     self.org_id, self.category, s->org_id);
		st = SK_ERR_INVALID;
		goto out;
	}
	if (b->registry_address[0] == '\0' || strlen(b->registry_address) >= NET_ADDR_MAX) {
		sk_error_set("the bundle has no usable registry address");
		st = SK_ERR_INVALID;
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	st = ps_registry_key(s, txn, pinned);
	if (st == SK_OK &&
	    sodium_memcmp(pinned, b->registry_key.data, KEY_ED25519_PK_BYTES) != 0) {
		sodium_bin2hex(hex, sizeof(hex), pinned, sizeof(pinned));
		sk_error_set("this bundle is signed by another registry than the one this "
			     "pseudonymiser joined (pinned key %s); refusing it",
			     hex);
		st = SK_ERR_VERIFY;
		goto abort;
	}
	if (st == SK_ERR_NOTFOUND)
		st = put(txn, s->meta, META_REGISTRY_KEY, strlen(META_REGISTRY_KEY),
			 b->registry_key.data, KEY_ED25519_PK_BYTES);
	if (st != SK_OK ||
	    (st = audit_cli(s, txn, "ps.join", AUDIT_ACTION_UPDATE, NULL, NULL)) != SK_OK ||
	    (st = sk_path_join(path, sizeof(path), s->dir, PS_FILE_BUNDLE)) != SK_OK ||
	    (st = sk_file_replace(path, bundle, len)) != SK_OK)
		goto abort;
	st = sk_db_status(mdb_txn_commit(txn));
	goto out;
abort:
	mdb_txn_abort(txn);
out:
	schakel__v1__bundle_body__free_unpacked(b, NULL);
	return st;
}

sk_status ps_bundle_load(ps_store *s, Schakel__V1__BundleBody **body)
{
	uint8_t pinned[KEY_ED25519_PK_BYTES], *data = NULL;
	char path[PATH_MAX];
	size_t len = 0;
	MDB_txn *txn = NULL;
	sk_status st;

	*body = NULL;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = ps_registry_key(s, txn, pinned);
	mdb_txn_abort(txn);
	if (st == SK_OK && (st = sk_path_join(path, sizeof(path), s->dir, PS_FILE_BUNDLE)) == SK_OK)
		st = sk_file_read(path, PS_BUNDLE_MAX, &data, &len);
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("this pseudonymiser has not joined a federation yet: run "
			     "'schakel-pseudonymiser join --bundle B' with the bundle from the "
			     "registry operator");
	if (st == SK_OK)
		st = bundle_open(body, data, len, pinned);
	free(data);
	return st;
}

static sk_status seed_read(ps_store *s, sk_kek *kek, const char *file, const char *label,
			   uint8_t seed[static KEY_ED25519_SEED_BYTES])
{
	char path[PATH_MAX];
	sk_status st;

	if ((st = sk_path_join(path, sizeof(path), s->dir, file)) != SK_OK)
		return st;
	return sk_keyfile_read(kek, path, label, seed, KEY_ED25519_SEED_BYTES);
}

sk_status ps_tls_load(ps_store *s, sk_kek *kek, const Schakel__V1__BundleBody *b, net_tls **out)
{
	uint8_t seed[KEY_ED25519_SEED_BYTES];
	key_ed25519 *key = sodium_malloc(sizeof(*key));
	sk_status st;

	*out = NULL;
	if (key == NULL)
		return SK_ERR_NOMEM;
	if ((st = seed_read(s, kek, PS_FILE_TLS, LABEL_TLS, seed)) == SK_OK) {
		key_ed25519_from_seed(key, seed);
		st = net_tls_new(out, b->ca_cert.data, b->ca_cert.len, b->member_cert.data,
				 b->member_cert.len, key);
	}
	sodium_memzero(seed, sizeof(seed));
	sodium_free(key);
	return st;
}

sk_status ps_identity_load(ps_store *s, sk_kek *kek, key_ed25519 *id)
{
	uint8_t seed[KEY_ED25519_SEED_BYTES];
	sk_status st = seed_read(s, kek, PS_FILE_IDENTITY, LABEL_IDENTITY, seed);

	if (st == SK_OK) {
		key_ed25519_from_seed(id, seed);
		if (sodium_memcmp(id->pk, s->identity_pk, KEY_ED25519_PK_BYTES) != 0) {
			sk_error_set("the identity key file does not match this pseudonymiser");
			st = SK_ERR_KEY;
		}
	}
	sodium_memzero(seed, sizeof(seed));
	return st;
}

/* ---- allow-list and grants ------------------------------------------------ */

sk_status ps_allow_set(ps_store *s, const char *org, uint64_t quota)
{
	uint8_t v[ALLOW_VAL_BYTES];
	char reason[64];
	MDB_txn *txn = NULL;
	size_t klen;
	sk_status st;

	if ((st = org_key(org, &klen)) != SK_OK)
		return st;
	sk_be64_put(v, quota);
	sk_be64_put(v + 8, sk_clock_now_ms());
	snprintf(reason, sizeof(reason), "quota %llu evaluations a day", (unsigned long long)quota);
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = put(txn, s->allow, org, klen, v, sizeof(v))) != SK_OK ||
	    (st = audit_cli(s, txn, "org.allow", AUDIT_ACTION_UPDATE, org, reason)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

sk_status ps_deny(ps_store *s, const char *org)
{
	MDB_txn *txn = NULL;
	MDB_val k;
	size_t klen;
	sk_status st;
	int rc;

	if ((st = org_key(org, &klen)) != SK_OK)
		return st;
	k = (MDB_val){klen, (void *)org};
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((rc = mdb_del(txn, s->allow, &k, NULL)) != 0) {
		st = sk_db_status(rc);
		if (st == SK_ERR_NOTFOUND)
			sk_error_set("org '%s' is not on this pseudonymiser's allow-list", org);
		goto abort;
	}
	if ((rc = mdb_del(txn, s->grants, &k, NULL)) != 0 && rc != MDB_NOTFOUND) {
		st = sk_db_status(rc);
		goto abort;
	}
	if ((st = audit_cli(s, txn, "org.deny", AUDIT_ACTION_DELETE, org, NULL)) != SK_OK)
		goto abort;
	return sk_db_status(mdb_txn_commit(txn));
abort:
	mdb_txn_abort(txn);
	return st;
}

sk_status ps_grant_set(ps_store *s, const char *org, uint64_t extra, uint32_t until_day,
		       ps_grant *out)
{
	uint8_t v[GRANT_VAL_BYTES], a[ALLOW_VAL_BYTES];
	char reason[96], date[PS_DATE_BYTES] = "no end";
	ps_grant g = {.id = sk_clock_now_ms(), .extra = extra, .until_day = until_day};
	MDB_txn *txn = NULL;
	size_t klen;
	sk_status st;

	if ((st = org_key(org, &klen)) != SK_OK)
		return st;
	if (until_day != 0 && until_day < ps_day_of(g.id)) {
		sk_error_set("--until must be today or later");
		return SK_ERR_INVALID;
	}
	sk_be64_put(v, g.id);
	sk_be64_put(v + 8, g.extra);
	sk_be32_put(v + 16, g.until_day);
	if (until_day != 0)
		ps_date_format(date, until_day);
	snprintf(reason, sizeof(reason), "%llu extra evaluations until %s",
		 (unsigned long long)extra, date);
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	st = get_fixed(txn, s->allow, org, klen, a, sizeof(a));
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("org '%s' is not allowed by this pseudonymiser; allow it first", org);
	if (st != SK_OK || (st = put(txn, s->grants, org, klen, v, sizeof(v))) != SK_OK ||
	    (st = audit_cli(s, txn, "org.grant", AUDIT_ACTION_UPDATE, org, reason)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	if ((st = sk_db_status(mdb_txn_commit(txn))) == SK_OK && out != NULL)
		*out = g;
	return st;
}

sk_status ps_access_get(ps_store *s, MDB_txn *txn, const char *org, ps_access *out)
{
	uint8_t a[ALLOW_VAL_BYTES], g[GRANT_VAL_BYTES], r[REVOKED_VAL_BYTES];
	size_t klen = strlen(org);
	sk_status st;

	memset(out, 0, sizeof(*out));
	if (klen == 0 || klen > NET_ORG_ID_MAX)
		return SK_ERR_INVALID;
	st = get_fixed(txn, s->allow, org, klen, a, sizeof(a));
	if (st == SK_OK) {
		out->allowed = 1;
		out->quota = sk_be64_get(a);
		out->allowed_at = sk_be64_get(a + 8);
	} else if (st != SK_ERR_NOTFOUND) {
		return st;
	}
	st = get_fixed(txn, s->grants, org, klen, g, sizeof(g));
	if (st == SK_OK) {
		out->has_grant = 1;
		out->grant = (ps_grant){sk_be64_get(g), sk_be64_get(g + 8), sk_be32_get(g + 16)};
	} else if (st != SK_ERR_NOTFOUND) {
		return st;
	}
	st = get_fixed(txn, s->revoked, org, klen, r, sizeof(r));
	if (st == SK_OK)
		out->revoked = 1;
	return st == SK_ERR_NOTFOUND ? SK_OK : st;
}

/* Scans every key of dbi. */
static sk_status scan(MDB_txn *txn, MDB_dbi dbi,
		      sk_status (*fn)(const MDB_val *k, const MDB_val *d, void *arg), void *arg)
{
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_cursor_open(txn, dbi, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT))
		st = fn(&k, &d, arg);
	if (st == SK_OK && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}

/* An org id key copied out as a string. */
static sk_status key_org(const MDB_val *k, char org[static NET_ORG_ID_MAX + 1])
{
	if (k->mv_size == 0 || k->mv_size > NET_ORG_ID_MAX)
		return SK_ERR_DB;
	memcpy(org, k->mv_data, k->mv_size);
	org[k->mv_size] = 0;
	return SK_OK;
}

struct org_scan {
	ps_org_fn fn;
	ps_usage_fn ufn;
	void *arg;
};

static sk_status allow_each(const MDB_val *k, const MDB_val *d, void *arg)
{
	struct org_scan *sc = arg;
	char org[NET_ORG_ID_MAX + 1];
	sk_status st = key_org(k, org);

	return st == SK_OK ? sc->fn(org, sc->arg) : st;
}

sk_status ps_allow_scan(ps_store *s, MDB_txn *txn, ps_org_fn fn, void *arg)
{
	struct org_scan sc = {.fn = fn, .arg = arg};

	return scan(txn, s->allow, allow_each, &sc);
}

/* ---- revoked ---------------------------------------------------------------- */

sk_status ps_revoked_put(ps_store *s, MDB_txn *txn, const char *org, uint64_t time_ms,
			 uint64_t leaf_index)
{
	uint8_t v[REVOKED_VAL_BYTES];
	size_t klen;
	sk_status st;

	if ((st = org_key(org, &klen)) != SK_OK)
		return st;
	sk_be64_put(v, time_ms);
	sk_be64_put(v + 8, leaf_index);
	return put(txn, s->revoked, org, klen, v, sizeof(v));
}

sk_status ps_revoked_count(ps_store *s, MDB_txn *txn, uint64_t *n)
{
	MDB_stat ms;
	sk_status st = sk_db_status(mdb_stat(txn, s->revoked, &ms));

	*n = st == SK_OK ? ms.ms_entries : 0;
	return st;
}

/* ---- epochs ----------------------------------------------------------------- */

static void epoch_decode(ps_epoch *e, uint32_t epoch, const uint8_t v[static EPOCH_VAL_BYTES])
{
	e->epoch = epoch;
	memcpy(e->pk, v, OPRF_ELEMENT_BYTES);
	e->not_before = sk_be64_get(v + 32);
	e->not_after = sk_be64_get(v + 40);
	e->leaf_index = sk_be64_get(v + 48);
	e->in_log = v[56] != 0;
}

sk_status ps_epoch_get(ps_store *s, MDB_txn *txn, uint32_t epoch, ps_epoch *out)
{
	uint8_t k[4], v[EPOCH_VAL_BYTES];
	sk_status st;

	sk_be32_put(k, epoch);
	if ((st = get_fixed(txn, s->epochs, k, sizeof(k), v, sizeof(v))) != SK_OK)
		return st;
	epoch_decode(out, epoch, v);
	return SK_OK;
}

sk_status ps_epoch_put(ps_store *s, MDB_txn *txn, const ps_epoch *e)
{
	uint8_t k[4], v[EPOCH_VAL_BYTES];

	sk_be32_put(k, e->epoch);
	memcpy(v, e->pk, OPRF_ELEMENT_BYTES);
	sk_be64_put(v + 32, e->not_before);
	sk_be64_put(v + 40, e->not_after);
	sk_be64_put(v + 48, e->leaf_index);
	v[56] = e->in_log != 0;
	return put(txn, s->epochs, k, sizeof(k), v, sizeof(v));
}

sk_status ps_epoch_current(ps_store *s, MDB_txn *txn, uint32_t *epoch)
{
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_cursor_open(txn, s->epochs, &cur))) != SK_OK)
		return st;
	rc = mdb_cursor_get(cur, &k, &d, MDB_LAST);
	if (rc == 0 && k.mv_size == 4)
		*epoch = sk_be32_get(k.mv_data);
	else
		st = rc == 0 ? SK_ERR_DB : sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}

struct epoch_scan {
	ps_epoch_fn fn;
	void *arg;
};

static sk_status epoch_each(const MDB_val *k, const MDB_val *d, void *arg)
{
	struct epoch_scan *sc = arg;
	ps_epoch e;

	if (k->mv_size != 4 || d->mv_size != EPOCH_VAL_BYTES)
		return SK_ERR_DB;
	epoch_decode(&e, sk_be32_get(k->mv_data), d->mv_data);
	return sc->fn(&e, sc->arg);
}

sk_status ps_epoch_scan(ps_store *s, MDB_txn *txn, ps_epoch_fn fn, void *arg)
{
	struct epoch_scan sc = {fn, arg};

	return scan(txn, s->epochs, epoch_each, &sc);
}

sk_status ps_epoch_key_read(ps_store *s, sk_kek *kek, uint32_t epoch,
			    uint8_t sk[static OPRF_SCALAR_BYTES])
{
	char path[PATH_MAX], label[32];
	sk_status st;

	if ((st = key_path(path, label, s, epoch)) != SK_OK)
		return st;
	return sk_keyfile_read(kek, path, label, sk, OPRF_SCALAR_BYTES);
}

sk_status ps_epoch_key_make(ps_store *s, sk_kek *kek, uint32_t epoch,
			    uint8_t pk[static OPRF_ELEMENT_BYTES])
{
	char path[PATH_MAX], label[32];
	uint8_t sk[OPRF_SCALAR_BYTES];
	sk_status st;

	if ((st = key_path(path, label, s, epoch)) != SK_OK)
		return st;
	if (access(path, F_OK) == 0) {
		if ((st = sk_keyfile_read(kek, path, label, sk, sizeof(sk))) == SK_OK)
			st = oprf_public_key(pk, sk);
	} else {
		oprf_keypair_generate(sk, pk);
		st = sk_keyfile_write(kek, path, label, sk, sizeof(sk));
	}
	sodium_memzero(sk, sizeof(sk));
	return st;
}

#define META_PENDING "epoch.pending"

sk_status ps_epoch_pending_get(ps_store *s, MDB_txn *txn, ps_epoch *out)
{
	uint8_t v[4 + EPOCH_VAL_BYTES];
	sk_status st = get_fixed(txn, s->meta, META_PENDING, strlen(META_PENDING), v, sizeof(v));

	if (st == SK_OK)
		epoch_decode(out, sk_be32_get(v), v + 4);
	return st;
}

sk_status ps_epoch_pending_put(ps_store *s, MDB_txn *txn, const ps_epoch *e)
{
	uint8_t v[4 + EPOCH_VAL_BYTES] = {0};

	sk_be32_put(v, e->epoch);
	memcpy(v + 4, e->pk, OPRF_ELEMENT_BYTES);
	sk_be64_put(v + 36, e->not_before);
	sk_be64_put(v + 44, e->not_after);
	return put(txn, s->meta, META_PENDING, strlen(META_PENDING), v, sizeof(v));
}

sk_status ps_epoch_pending_del(ps_store *s, MDB_txn *txn)
{
	MDB_val k = {strlen(META_PENDING), META_PENDING};
	int rc = mdb_del(txn, s->meta, &k, NULL);

	return rc == MDB_NOTFOUND ? SK_OK : sk_db_status(rc);
}

/* ---- usage ------------------------------------------------------------------ */

static void usage_decode(ps_usage *u, const uint8_t v[static USAGE_VAL_BYTES])
{
	u->day = sk_be32_get(v);
	u->count = sk_be64_get(v + 4);
	u->audited = sk_be64_get(v + 12);
	u->grant_id = sk_be64_get(v + 20);
	u->grant_used = sk_be64_get(v + 28);
}

sk_status ps_usage_get(ps_store *s, MDB_txn *txn, const char *org, ps_usage *u)
{
	uint8_t v[USAGE_VAL_BYTES];
	sk_status st = get_fixed(txn, s->usage, org, strlen(org), v, sizeof(v));

	memset(u, 0, sizeof(*u));
	if (st == SK_OK)
		usage_decode(u, v);
	return st == SK_ERR_NOTFOUND ? SK_OK : st;
}

sk_status ps_usage_put(ps_store *s, MDB_txn *txn, const char *org, const ps_usage *u)
{
	uint8_t v[USAGE_VAL_BYTES];
	size_t klen;
	sk_status st;

	if ((st = org_key(org, &klen)) != SK_OK)
		return st;
	sk_be32_put(v, u->day);
	sk_be64_put(v + 4, u->count);
	sk_be64_put(v + 12, u->audited);
	sk_be64_put(v + 20, u->grant_id);
	sk_be64_put(v + 28, u->grant_used);
	return put(txn, s->usage, org, klen, v, sizeof(v));
}

static sk_status usage_each(const MDB_val *k, const MDB_val *d, void *arg)
{
	struct org_scan *sc = arg;
	char org[NET_ORG_ID_MAX + 1];
	ps_usage u;
	sk_status st;

	if ((st = key_org(k, org)) != SK_OK || d->mv_size != USAGE_VAL_BYTES)
		return SK_ERR_DB;
	usage_decode(&u, d->mv_data);
	return sc->ufn(org, &u, sc->arg);
}

sk_status ps_usage_scan(ps_store *s, MDB_txn *txn, ps_usage_fn fn, void *arg)
{
	struct org_scan sc = {.ufn = fn, .arg = arg};

	return scan(txn, s->usage, usage_each, &sc);
}

sk_status ps_audit_daily(ps_store *s, MDB_txn *txn, const char *org, uint32_t day,
			 uint64_t count)
{
	audit_record rec = {0};
	char reason[96], date[PS_DATE_BYTES], access[NET_ORG_ID_MAX + 5];

	ps_date_format(date, day);
	snprintf(reason, sizeof(reason), "%llu evaluations on %s UTC", (unsigned long long)count,
		 date);
	snprintf(access, sizeof(access), "tls:%s", org);
	rec.event = "eval.daily";
	rec.action = AUDIT_ACTION_EXECUTE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.counterpart = org;
	rec.access_point = access;
	rec.responsible = PS_SYSTEM;
	rec.reason = reason;
	return ps_audit(s, txn, &rec);
}

sk_status ps_store_restored(const char *dir)
{
	ps_store *s = NULL;
	audit_record rec = {0};
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = ps_store_open(&s, dir)) != SK_OK)
		return st;
	rec.event = "pseudonymiser.restore";
	rec.action = AUDIT_ACTION_EXECUTE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.reason = "restored from a backup";
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) == SK_OK) {
		if ((st = ps_audit(s, txn, &rec)) == SK_OK)
			st = sk_db_status(mdb_txn_commit(txn));
		else
			mdb_txn_abort(txn);
	}
	ps_store_close(s);
	return st;
}
