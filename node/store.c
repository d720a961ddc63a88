#include <fcntl.h>
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
#include "common/log.h"
#include "node/inboxkey.h"
#include "node/index.h"
#include "node/store.h"
#include "node/textcheck.h"
#include "protos/wire.h"
#include "protos/schakel.pb-c.h"

#define LABEL_IDENTITY "node-identity"
#define LABEL_TLS "node-tls"
#define LABEL_ENCRYPTION "node-encryption"
#define LABEL_DATA "node-data"
#define LABEL_INDEX "node-bsn-index"
#define META_ORG_ID "org.id"
#define META_NAME "org.name"
#define META_CATEGORY "org.category"
#define META_IDENTITY_PK "key.identity"
#define META_TLS_PK "key.tls"
#define META_ENC_PK "key.encryption"
#define META_SEQ "entry.seq"
#define META_CURSOR NODE_META_MAILBOX_CURSOR
#define META_CHECKPOINT "checkpoint"

void node_json_str(char *out, size_t cap, const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	size_t n = v != NULL ? strlen(v) : 0;

	out[0] = 0;
	if (v != NULL && n < cap)
		memcpy(out, v, n + 1);
}

sk_status node_json_put(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
			const json_t *obj)
{
	char *txt = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	MDB_val k = {klen, (void *)key}, d;
	sk_status st;

	if (txt == NULL)
		return SK_ERR_NOMEM;
	d.mv_size = strlen(txt);
	d.mv_data = txt;
	st = d.mv_size > NODE_RECORD_MAX ? SK_ERR_TOOBIG : sk_db_status(mdb_put(txn, dbi, &k, &d, 0));
	free(txt);
	return st;
}

sk_status node_json_get(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, json_t **obj)
{
	MDB_val k = {klen, (void *)key}, d;
	int rc;

	*obj = NULL;
	if ((rc = mdb_get(txn, dbi, &k, &d)) != 0)
		return sk_db_status(rc);
	if (d.mv_size > NODE_RECORD_MAX ||
	    (*obj = json_loadb(d.mv_data, d.mv_size, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(*obj)) {
		json_decref(*obj);
		*obj = NULL;
		sk_error_set("a stored record does not parse; the database is damaged");
		return SK_ERR_DB;
	}
	return SK_OK;
}

/* ---- meta ---------------------------------------------------------------- */

sk_status node_meta_get(node_store *s, MDB_txn *txn, const char *name, uint8_t **val,
			size_t *len)
{
	MDB_val k = {strlen(name), (void *)name}, d;
	int rc;

	*val = NULL;
	*len = 0;
	if ((rc = mdb_get(txn, s->meta, &k, &d)) != 0)
		return sk_db_status(rc);
	if ((*val = malloc(d.mv_size + 1)) == NULL)
		return SK_ERR_NOMEM;
	memcpy(*val, d.mv_data, d.mv_size);
	(*val)[d.mv_size] = 0;
	*len = d.mv_size;
	return SK_OK;
}

sk_status node_meta_put(node_store *s, MDB_txn *txn, const char *name, const uint8_t *val,
			size_t len)
{
	MDB_val k = {strlen(name), (void *)name}, d = {len, (void *)val};

	return sk_db_status(mdb_put(txn, s->meta, &k, &d, 0));
}

/* A fixed-size meta value. */
static sk_status meta_fixed(node_store *s, MDB_txn *txn, const char *name, void *out, size_t n)
{
	MDB_val k = {strlen(name), (void *)name}, d;
	int rc;

	if ((rc = mdb_get(txn, s->meta, &k, &d)) != 0)
		return sk_db_status(rc);
	if (d.mv_size != n)
		return SK_ERR_DB;
	memcpy(out, d.mv_data, n);
	return SK_OK;
}

/* A meta string of at most cap - 1 bytes. */
static sk_status meta_str(node_store *s, MDB_txn *txn, const char *name, char *out, size_t cap)
{
	MDB_val k = {strlen(name), (void *)name}, d;
	int rc;

	if ((rc = mdb_get(txn, s->meta, &k, &d)) != 0)
		return sk_db_status(rc);
	if (d.mv_size == 0 || d.mv_size >= cap)
		return SK_ERR_DB;
	memcpy(out, d.mv_data, d.mv_size);
	out[d.mv_size] = 0;
	return SK_OK;
}

sk_status node_meta_u64(node_store *s, MDB_txn *txn, const char *name, uint64_t def, uint64_t *v)
{
	uint8_t b[8];
	sk_status st = meta_fixed(s, txn, name, b, sizeof(b));

	*v = def;
	if (st == SK_ERR_NOTFOUND)
		return SK_OK;
	if (st == SK_OK)
		*v = sk_be64_get(b);
	return st;
}

sk_status node_meta_u64_put(node_store *s, MDB_txn *txn, const char *name, uint64_t v)
{
	uint8_t b[8];

	sk_be64_put(b, v);
	return node_meta_put(s, txn, name, b, sizeof(b));
}

/* ---- sync state ------------------------------------------------------- */

sk_status node_seq_next(node_store *s, MDB_txn *txn, uint64_t *seq)
{
	MDB_txn *own = NULL;
	uint64_t last = 0;
	sk_status st;

	*seq = 0;
	if (txn == NULL) {
		if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &own))) != SK_OK)
			return st;
		txn = own;
	}
	if ((st = node_meta_u64(s, txn, META_SEQ, 0, &last)) == SK_OK && last == UINT64_MAX)
		st = SK_ERR_INVALID;
	if (st == SK_OK)
		st = node_meta_u64_put(s, txn, META_SEQ, last + 1);
	if (own != NULL) {
		if (st == SK_OK)
			st = sk_db_status(mdb_txn_commit(own));
		else
			mdb_txn_abort(own);
	}
	if (st == SK_OK)
		*seq = last + 1;
	return st;
}

sk_status node_seq_reserve(node_store *s, MDB_txn *txn, uint64_t n, uint64_t *first)
{
	MDB_txn *own = NULL;
	uint64_t last = 0;
	sk_status st;

	*first = 0;
	if (txn == NULL) {
		if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &own))) != SK_OK)
			return st;
		txn = own;
	}
	if ((st = node_meta_u64(s, txn, META_SEQ, 0, &last)) == SK_OK && last > UINT64_MAX - n)
		st = SK_ERR_INVALID;
	if (st == SK_OK)
		st = node_meta_u64_put(s, txn, META_SEQ, last + n);
	if (own != NULL) {
		if (st == SK_OK)
			st = sk_db_status(mdb_txn_commit(own));
		else
			mdb_txn_abort(own);
	}
	if (st == SK_OK)
		*first = last + 1;
	return st;
}

sk_status node_seq_skip(node_store *s, MDB_txn *txn, uint64_t used)
{
	uint64_t last = 0;
	sk_status st = node_meta_u64(s, txn, META_SEQ, 0, &last);

	if (st == SK_OK && used > last)
		st = node_meta_u64_put(s, txn, META_SEQ, used);
	return st;
}

sk_status node_mailbox_cursor(node_store *s, MDB_txn *txn, uint64_t *cursor)
{
	return node_meta_u64(s, txn, META_CURSOR, 0, cursor);
}

sk_status node_mailbox_cursor_put(node_store *s, MDB_txn *txn, uint64_t cursor)
{
	return node_meta_u64_put(s, txn, META_CURSOR, cursor);
}

sk_status node_checkpoint_get(node_store *s, MDB_txn *txn, uint8_t **note, size_t *len)
{
	return node_meta_get(s, txn, META_CHECKPOINT, note, len);
}

sk_status node_checkpoint_put(node_store *s, MDB_txn *txn, const uint8_t *note, size_t len)
{
	if (len == 0 || len > NODE_RECORD_MAX)
		return SK_ERR_TOOBIG;
	return node_meta_put(s, txn, META_CHECKPOINT, note, len);
}

/* ---- audit -------------------------------------------------------------- */

/* node_audit_context(): this thread's defaults for records that leave
 * them unset (the web pages: the signed-in professional, "web:ADDRESS"). */
static _Thread_local const char *ctx_responsible, *ctx_access_point;
static _Thread_local const char *via_user, *via_role;

void node_audit_via(const char *user, const char *role)
{
	via_user = user;
	via_role = role;
}

void node_audit_context(const char *responsible, const char *access_point)
{
	ctx_responsible = responsible;
	ctx_access_point = access_point;
}

void node_audit_fill(node_store *s, audit_record *rec)
{
	rec->org = s->org_id;
	rec->system = NODE_SYSTEM;
	if (via_user != NULL && (rec->user == NULL || strcmp(rec->user, via_user) != 0)) {
		if (rec->responsible == NULL)
			rec->responsible = rec->user;
		rec->user = via_user;
		rec->role = via_role;
	}
	if (rec->responsible == NULL)
		rec->responsible = ctx_responsible != NULL ? ctx_responsible : sk_cli_user();
	if (rec->access_point == NULL)
		rec->access_point = ctx_access_point != NULL ? ctx_access_point : "cli";
}

sk_status node_audit_purge(node_store *s, sk_kek *kek, const char *access_point, uint64_t now,
			   audit_purge_result *res)
{
	key_ed25519 *id = sodium_malloc(sizeof(*id));
	audit_record tmpl = {.access_point = access_point};
	audit_purge_opts o = {.marker = &tmpl, .now_ms = now};
	sk_status st;

	if (id == NULL)
		return SK_ERR_NOMEM;
	node_audit_fill(s, &tmpl);
	if ((st = node_identity_load(s, kek, id)) == SK_OK) {
		o.sk = id->sk;
		st = audit_purge_run(s->audit, s->env, &o, res);
	}
	key_ed25519_wipe(id);
	sodium_free(id);
	return st;
}

sk_status node_audit(node_store *s, MDB_txn *txn, audit_record *rec)
{
	node_audit_fill(s, rec);
	return audit_log_append(s->audit, txn, rec, NULL, NULL);
}

void node_audit_denied(node_store *s, audit_record *rec)
{
	char detail[AUDIT_REASON_MAX + 1];
	MDB_txn *txn = NULL;

	audit_text_clean(detail, sizeof(detail), sk_error_detail());
	rec->outcome = AUDIT_OUTCOME_DENIED;
	rec->reason = detail[0] != '\0' ? detail : "refused";
	if (mdb_txn_begin(s->env, NULL, 0, &txn) == 0) {
		if (node_audit(s, txn, rec) == SK_OK)
			(void)mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
	}
	/* the refusal's sentence is what the operator must see */
	if (detail[0] != '\0')
		sk_error_set("%s", detail);
	else
		sk_error_clear();
}

/* A record waiting in node_audit_commit's queue. */
struct node_audit_wait {
	audit_record *rec; /* the caller's, filled */
	sk_status st;
	int done;
	struct node_audit_wait *next;
};

/* rec, or every record of batch, in one write transaction, committed. */
static sk_status audit_write(node_store *s, audit_record *rec, struct node_audit_wait *batch)
{
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if (rec != NULL)
		st = audit_log_append(s->audit, txn, rec, NULL, NULL);
	for (struct node_audit_wait *w = batch; w != NULL && st == SK_OK; w = w->next)
		st = audit_log_append(s->audit, txn, w->rec, NULL, NULL);
	if (st != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

sk_status node_audit_commit(node_store *s, audit_record *rec)
{
	struct node_audit_wait me = {.rec = rec}, *batch, *w;
	sk_status st;

	node_audit_fill(s, rec); /* this thread's context, not the writer's */
	if (!s->audit_group)
		return audit_write(s, rec, NULL);
	pthread_mutex_lock(&s->audit_lock);
	if (s->audit_tail != NULL)
		s->audit_tail->next = &me;
	else
		s->audit_queue = &me;
	s->audit_tail = &me;
	while (!me.done && s->audit_busy)
		pthread_cond_wait(&s->audit_cond, &s->audit_lock);
	if (me.done) {
		pthread_mutex_unlock(&s->audit_lock);
		return me.st;
	}
	/* no batch being written: this thread writes all that are queued */
	s->audit_busy = 1;
	batch = s->audit_queue;
	s->audit_queue = s->audit_tail = NULL;
	pthread_mutex_unlock(&s->audit_lock);
	st = audit_write(s, NULL, batch);
	for (w = batch; w != NULL; w = w->next)
		/* a batch that failed: each record alone, so that one that
		 * cannot be stored fails only its own caller */
		w->st = st == SK_OK || batch->next == NULL ? st : audit_write(s, w->rec, NULL);
	pthread_mutex_lock(&s->audit_lock);
	for (w = batch; w != NULL;) {
		struct node_audit_wait *next = w->next;

		w->done = 1; /* w may be gone once its thread sees this */
		w = next;
	}
	s->audit_busy = 0;
	pthread_cond_broadcast(&s->audit_cond);
	pthread_mutex_unlock(&s->audit_lock);
	return me.st;
}

sk_status node_audit_access(node_store *s, const char *event, const char *user, const char *role,
			    const char *category, const char *client, const char *reason)
{
	audit_record rec = {0};

	rec.event = event;
	rec.action = AUDIT_ACTION_READ;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.user = user;
	rec.role = role;
	rec.category = category;
	rec.client = client;
	rec.reason = reason;
	return node_audit_commit(s, &rec);
}

/* ---- open, init ---------------------------------------------------------- */

/* Opens the env of dir and, in one write transaction handed back open in
 * *txn, all the node's named databases and its audit log; the caller goes
 * on in txn and commits or aborts it. */
static sk_status open_env(node_store *s, const char *dir, MDB_txn **txn)
{
	static const sk_db_named dbs[] = {
		{"node_meta", offsetof(node_store, meta)},
		{"professionals", offsetof(node_store, professionals)},
		{"clients", offsetof(node_store, clients)},
		{"bsn_index", offsetof(node_store, bsn_index)},
		{"cases", offsetof(node_store, cases)},
		{"consents", offsetof(node_store, consents)},
		{"client_cases", offsetof(node_store, client_cases)},
		{"dirty", offsetof(node_store, dirty)},
		{"tokens", offsetof(node_store, tokens)},
		{"token_index", offsetof(node_store, token_index)},
		{"regie", offsetof(node_store, regie)},
		{"discussions", offsetof(node_store, discussions)},
		{"members", offsetof(node_store, members)},
		{"enc_keys", offsetof(node_store, enc_keys)},
		{"discussion_messages", offsetof(node_store, discussion_messages)},
		{"inbox", offsetof(node_store, inbox)},
		{"prof_cases", offsetof(node_store, prof_cases)},
		{"inbox_clients", offsetof(node_store, inbox_clients)},
		{"discussion_clients", offsetof(node_store, discussion_clients)},
		{"directory", offsetof(node_store, directory)},
		{"tables", offsetof(node_store, tables)},
		{"table_cases", offsetof(node_store, table_cases)},
		{"integration", offsetof(node_store, integration)},
	};
	sk_status st;

	*txn = NULL;
	if (strlen(dir) >= sizeof(s->dir))
		return SK_ERR_TOOBIG;
	memcpy(s->dir, dir, strlen(dir) + 1);
	wire_policy_default(&s->policy);
	if ((st = sk_db_open(&s->env, dir, 0, 0)) != SK_OK ||
	    (st = sk_db_dbis(s->env, dbs, sizeof(dbs) / sizeof(dbs[0]), s, txn)) != SK_OK)
		return st;
	if ((st = audit_log_open_in(&s->audit, s->env, *txn)) == SK_OK)
		return SK_OK;
	mdb_txn_abort(*txn);
	*txn = NULL;
	return st;
}

void node_store_close(node_store *s)
{
	if (s == NULL)
		return;
	if (s->audit_group) {
		pthread_cond_destroy(&s->audit_cond);
		pthread_mutex_destroy(&s->audit_lock);
	}
	audit_log_close(s->audit);
	sk_db_close(s->env);
	if (s->data_key != NULL)
		sodium_free(s->data_key);
	if (s->index_key != NULL)
		sodium_free(s->index_key);
	free(s);
}

static sk_status key_read(const node_store *s, sk_kek *kek, const char *file, const char *label,
			  uint8_t out[static 32])
{
	char path[PATH_MAX];
	sk_status st;

	if ((st = sk_path_join(path, sizeof(path), s->dir, file)) != SK_OK)
		return st;
	return sk_keyfile_read(kek, path, label, out, 32);
}

static sk_status key_write(const char *dir, sk_kek *kek, const char *file, const char *label,
			   const uint8_t key[static 32])
{
	char path[PATH_MAX];
	sk_status st;

	if ((st = sk_path_join(path, sizeof(path), dir, file)) != SK_OK)
		return st;
	return sk_keyfile_write(kek, path, label, key, 32);
}

sk_status node_identity_load(const node_store *s, sk_kek *kek, key_ed25519 *out)
{
	uint8_t seed[KEY_ED25519_SEED_BYTES];
	sk_status st = key_read(s, kek, NODE_FILE_IDENTITY, LABEL_IDENTITY, seed);

	if (st == SK_OK)
		key_ed25519_from_seed(out, seed);
	sodium_memzero(seed, sizeof(seed));
	if (st == SK_OK && sodium_memcmp(out->pk, s->identity_pk, KEY_ED25519_PK_BYTES) != 0) {
		key_ed25519_wipe(out);
		sk_error_set("%s does not belong to this node", NODE_FILE_IDENTITY);
		st = SK_ERR_KEY;
	}
	return st;
}

sk_status node_tls_key_load(const node_store *s, sk_kek *kek, key_ed25519 *out)
{
	uint8_t seed[KEY_ED25519_SEED_BYTES];
	sk_status st = key_read(s, kek, NODE_FILE_TLS, LABEL_TLS, seed);

	if (st == SK_OK)
		key_ed25519_from_seed(out, seed);
	sodium_memzero(seed, sizeof(seed));
	if (st == SK_OK && sodium_memcmp(out->pk, s->tls_pk, KEY_ED25519_PK_BYTES) != 0) {
		key_ed25519_wipe(out);
		sk_error_set("%s does not belong to this node", NODE_FILE_TLS);
		st = SK_ERR_KEY;
	}
	return st;
}

sk_status node_enc_key_load(const node_store *s, sk_kek *kek, key_x25519 *out)
{
	sk_status st = key_read(s, kek, NODE_FILE_ENCRYPTION, LABEL_ENCRYPTION, out->sk);

	if (st == SK_OK && crypto_scalarmult_base(out->pk, out->sk) != 0)
		st = SK_ERR_CRYPTO;
	if (st == SK_OK && sodium_memcmp(out->pk, s->enc_pk, KEY_X25519_PK_BYTES) != 0) {
		sk_error_set("%s does not belong to this node", NODE_FILE_ENCRYPTION);
		st = SK_ERR_KEY;
	}
	if (st != SK_OK)
		key_x25519_wipe(out);
	return st;
}

/* D/enrol-request: the signed request `schakel-registry enrol` reads. */
static sk_status write_request(const node_store *s, const key_ed25519 *id,
				const net_hosts *hosts)
{
	Schakel__V1__EnrolRequestBody b = SCHAKEL__V1__ENROL_REQUEST_BODY__INIT;
	char path[PATH_MAX];
	sk_status st;

	b.org_id = (char *)s->org_id;
	b.name = (char *)s->name;
	b.category = (char *)s->category;
	b.role = SCHAKEL__V1__ROLE__ROLE_NODE;
	b.identity_key = (ProtobufCBinaryData){KEY_ED25519_PK_BYTES, (uint8_t *)s->identity_pk};
	b.tls_key = (ProtobufCBinaryData){KEY_ED25519_PK_BYTES, (uint8_t *)s->tls_pk};
	b.has_encryption_key = 1;
	b.encryption_key = (ProtobufCBinaryData){KEY_X25519_PK_BYTES, (uint8_t *)s->enc_pk};
	b.created_at = sk_clock_now_ms();
	if (hosts != NULL) {
		b.n_hosts = hosts->n;
		b.hosts = (char **)hosts->name;
	}
	if ((st = sk_path_join(path, sizeof(path), s->dir, NODE_FILE_REQUEST)) != SK_OK)
		return st;
	return wire_enrol_request_write(path, &b, id->sk);
}

static sk_status check_init(const char *org_id, const char *name, const char *category)
{
	if (!net_cert_id_valid(org_id, NET_ORG_ID_MAX)) {
		sk_error_set("the org id must be 1-63 characters of a-z, 0-9, '.' and '-'");
		return SK_ERR_INVALID;
	}
	if (!node_text_valid(name, NET_NAME_MAX)) {
		sk_error_set("the organisation name must be 1-64 bytes of text");
		return SK_ERR_INVALID;
	}
	if (!net_cert_id_valid(category, WIRE_CATEGORY_MAX)) {
		sk_error_set("the category must be a policy category such as sociaal-team or ggz");
		return SK_ERR_INVALID;
	}
	return SK_OK;
}

/* The identity, TLS and encryption keys, written wrapped into their files
 * with suffix ("" at init, ".new" for a rekey); the pair of the identity
 * into id, the public halves into the three outputs. */
static sk_status write_keys(const char *dir, sk_kek *kek, const char *suffix, key_ed25519 *id,
			    uint8_t tls_pk[static 32], uint8_t enc_pk[static 32])
{
	static const struct {
		const char *file, *label;
	} f[] = {{NODE_FILE_IDENTITY, LABEL_IDENTITY},
		 {NODE_FILE_TLS, LABEL_TLS},
		 {NODE_FILE_ENCRYPTION, LABEL_ENCRYPTION}};
	uint8_t secret[3][32];
	key_ed25519 tls;
	sk_status st = SK_OK;

	randombytes_buf(secret, sizeof(secret));
	key_ed25519_from_seed(id, secret[0]);
	key_ed25519_from_seed(&tls, secret[1]);
	memcpy(tls_pk, tls.pk, 32);
	if (crypto_scalarmult_base(enc_pk, secret[2]) != 0)
		st = SK_ERR_CRYPTO;
	for (size_t i = 0; i < 3 && st == SK_OK; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s%s", f[i].file, suffix);
		st = key_write(dir, kek, name, f[i].label, secret[i]);
		if (st == SK_ERR_EXISTS && i == 0 && suffix[0] == '\0')
			sk_error_set("%s already holds a node", dir);
	}
	sodium_memzero(secret, sizeof(secret));
	key_ed25519_wipe(&tls);
	return st;
}

/* The five secrets of a new node, written wrapped; public halves into s. */
static sk_status make_keys(node_store *s, sk_kek *kek, key_ed25519 *id)
{
	uint8_t data[32], index[32];
	sk_status st;

	randombytes_buf(data, sizeof(data));
	randombytes_buf(index, sizeof(index));
	if ((st = write_keys(s->dir, kek, "", id, s->tls_pk, s->enc_pk)) == SK_OK &&
	    (st = key_write(s->dir, kek, NODE_FILE_DATA_KEY, LABEL_DATA, data)) == SK_OK)
		st = key_write(s->dir, kek, NODE_FILE_INDEX_KEY, LABEL_INDEX, index);
	memcpy(s->identity_pk, id->pk, sizeof(s->identity_pk));
	sodium_memzero(data, sizeof(data));
	sodium_memzero(index, sizeof(index));
	return st;
}

static sk_status meta_put_str(node_store *s, MDB_txn *txn, const char *name, const char *v)
{
	return node_meta_put(s, txn, name, (const uint8_t *)v, strlen(v));
}

sk_status node_store_init(const char *dir, const char *org_id, const char *name,
			  const char *category, sk_kek *kek)
{
	return node_store_init_hosts(dir, org_id, name, category, NULL, kek);
}

sk_status node_store_init_hosts(const char *dir, const char *org_id, const char *name,
				const char *category, const net_hosts *hosts, sk_kek *kek)
{
	key_ed25519 *id = NULL;
	node_store *s = NULL;
	MDB_txn *txn = NULL;
	audit_record rec = {0};
	sk_status st;

	if ((st = check_init(org_id, name, category)) != SK_OK)
		return st;
	for (size_t i = 0; hosts != NULL && i < hosts->n; i++)
		if (hosts->n > NET_HOSTS_MAX || !net_cert_host_valid(hosts->name[i])) {
			sk_error_set("'%.80s' is not a host name (RFC 1123) or an IP address",
				     hosts->name[i]);
			return SK_ERR_INVALID;
		}
	if ((st = sk_dir_create(dir)) != SK_OK)
		return st;
	s = calloc(1, sizeof(*s));
	id = sodium_malloc(sizeof(*id));
	if (s == NULL || id == NULL || strlen(dir) >= sizeof(s->dir)) {
		st = s == NULL || id == NULL ? SK_ERR_NOMEM : SK_ERR_TOOBIG;
		goto out;
	}
	memcpy(s->dir, dir, strlen(dir) + 1);
	memcpy(s->org_id, org_id, strlen(org_id) + 1);
	memcpy(s->name, name, strlen(name) + 1);
	memcpy(s->category, category, strlen(category) + 1);
	if ((st = make_keys(s, kek, id)) != SK_OK || (st = open_env(s, dir, &txn)) != SK_OK)
		goto out;
	rec.event = "node.init";
	rec.action = AUDIT_ACTION_CREATE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.category = "node";
	if ((st = meta_put_str(s, txn, META_ORG_ID, org_id)) != SK_OK ||
	    (st = meta_put_str(s, txn, META_NAME, name)) != SK_OK ||
	    (st = meta_put_str(s, txn, META_CATEGORY, category)) != SK_OK ||
	    (st = node_meta_put(s, txn, META_IDENTITY_PK, s->identity_pk, 32)) != SK_OK ||
	    (st = node_meta_put(s, txn, META_TLS_PK, s->tls_pk, 32)) != SK_OK ||
	    (st = node_meta_put(s, txn, META_ENC_PK, s->enc_pk, 32)) != SK_OK ||
	    (st = node_meta_u64_put(s, txn, NODE_META_INDEX_VERSION, NODE_INDEX_VERSION)) != SK_OK ||
	    (st = node_audit(s, txn, &rec)) != SK_OK) {
		mdb_txn_abort(txn);
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_commit(txn))) != SK_OK)
		goto out;
	st = write_request(s, id, hosts);
out:
	if (id != NULL) {
		key_ed25519_wipe(id);
		sodium_free(id);
	}
	node_store_close(s);
	return st;
}

/* The org's identity from meta, in txn. */
static sk_status load_identity(node_store *s, MDB_txn *txn)
{
	sk_status st = meta_str(s, txn, META_ORG_ID, s->org_id, sizeof(s->org_id));

	if (st == SK_ERR_NOTFOUND)
		sk_error_set("%s holds no node; run 'schakel-node init' first", s->dir);
	if (st == SK_OK)
		st = meta_str(s, txn, META_NAME, s->name, sizeof(s->name));
	if (st == SK_OK)
		st = meta_str(s, txn, META_CATEGORY, s->category, sizeof(s->category));
	if (st == SK_OK)
		st = meta_fixed(s, txn, META_IDENTITY_PK, s->identity_pk, 32);
	if (st == SK_OK)
		st = meta_fixed(s, txn, META_TLS_PK, s->tls_pk, 32);
	if (st == SK_OK)
		st = meta_fixed(s, txn, META_ENC_PK, s->enc_pk, 32);
	return st;
}

/* A node made before the indexes (node/index.h) gets them, in txn. */
static sk_status indexes_update(node_store *s, MDB_txn *txn)
{
	const node_index_dbs d = {s->cases,	 s->inbox,	   s->token_index, s->discussions,
				  s->prof_cases, s->inbox_clients, s->discussion_clients};
	uint64_t v = 0;
	sk_status st = node_meta_u64(s, txn, NODE_META_INDEX_VERSION, 0, &v);

	if (st != SK_OK || v >= NODE_INDEX_VERSION)
		return st;
	if ((st = node_index_build(txn, &d)) != SK_OK) {
		sk_error_set("cannot build the case, inbox and discussion indexes: %s",
			     sk_strerror(st));
		return st;
	}
	sk_log(SK_LOG_NOTICE, "%s: built the case, inbox and discussion indexes (version %d)",
	       s->dir, NODE_INDEX_VERSION);
	return node_meta_u64_put(s, txn, NODE_META_INDEX_VERSION, NODE_INDEX_VERSION);
}

/* A node whose inbox was keyed by the registry's mailbox seq gets local
 * keys from here on (node/inboxkey.h), in txn. */
static sk_status inbox_upgrade(node_store *s, MDB_txn *txn)
{
	uint64_t next = 0;
	size_t moved = 0;
	sk_status st = node_meta_u64(s, txn, NODE_META_INBOX_NEXT, 0, &next);

	if (st != SK_OK || next > 0) /* the counter is set: upgraded, or new */
		return st;
	if ((st = node_inboxkey_upgrade(txn, s->inbox, &next, &moved)) != SK_OK) {
		sk_error_set("cannot number the inbox's items locally: %s", sk_strerror(st));
		return st;
	}
	if (moved > 0)
		sk_log(SK_LOG_NOTICE, "%s: %zu local alerts in the inbox numbered anew", s->dir,
		       moved);
	return node_meta_u64_put(s, txn, NODE_META_INBOX_NEXT, next);
}

/* The two record keys from disk. */
static sk_status load_keys(node_store *s, sk_kek *kek)
{
	sk_status st;

	s->data_key = sodium_malloc(NODE_SECRET_BYTES);
	s->index_key = sodium_malloc(NODE_SECRET_BYTES);
	if (s->data_key == NULL || s->index_key == NULL)
		return SK_ERR_NOMEM;
	if ((st = key_read(s, kek, NODE_FILE_DATA_KEY, LABEL_DATA, s->data_key)) != SK_OK)
		return st;
	return key_read(s, kek, NODE_FILE_INDEX_KEY, LABEL_INDEX, s->index_key);
}

/* Opens the node of dir; with keys, also unwraps its data and index keys. */
static sk_status store_open(node_store **out, const char *dir, sk_kek *kek, int keys)
{
	node_store *s = calloc(1, sizeof(*s));
	char path[PATH_MAX];
	MDB_txn *txn = NULL;
	sk_status st;

	*out = NULL;
	if (s == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_dir_check(dir)) != SK_OK ||
	    (st = sk_path_join(path, sizeof(path), dir, NODE_FILE_IDENTITY)) != SK_OK)
		goto fail;
	if (access(path, F_OK) != 0) {
		sk_error_set("%s holds no node; run 'schakel-node init' first", dir);
		st = SK_ERR_NOTFOUND;
		goto fail;
	}
	/* the databases, the identity and the installed bundle: one transaction */
	if ((st = open_env(s, dir, &txn)) != SK_OK)
		goto fail;
	if ((st = load_identity(s, txn)) != SK_OK || (st = node_policy_load(s, txn)) != SK_OK ||
	    (st = indexes_update(s, txn)) != SK_OK || (st = inbox_upgrade(s, txn)) != SK_OK) {
		mdb_txn_abort(txn);
		goto fail;
	}
	if ((st = sk_db_status(mdb_txn_commit(txn))) != SK_OK ||
	    (keys && (st = load_keys(s, kek)) != SK_OK))
		goto fail;
	audit_log_set_key(s->audit, s->identity_pk); /* checks purge markers */
	if (pthread_mutex_init(&s->audit_lock, NULL) != 0) {
		st = SK_ERR_NOMEM;
		goto fail;
	}
	if (pthread_cond_init(&s->audit_cond, NULL) != 0) {
		pthread_mutex_destroy(&s->audit_lock);
		st = SK_ERR_NOMEM;
		goto fail;
	}
	s->audit_group = 1;
	*out = s;
	return SK_OK;
fail:
	node_store_close(s);
	return st;
}

sk_status node_store_open(node_store **out, const char *dir, sk_kek *kek)
{
	return store_open(out, dir, kek, 1);
}

sk_status node_store_open_public(node_store **out, const char *dir)
{
	return store_open(out, dir, NULL, 0);
}

sk_status node_store_restored(const char *dir)
{
	node_store *s = calloc(1, sizeof(*s));
	audit_record rec = {0};
	MDB_txn *txn = NULL;
	sk_status st;

	if (s == NULL)
		return SK_ERR_NOMEM;
	if ((st = open_env(s, dir, &txn)) != SK_OK)
		goto out;
	rec.event = "node.restore";
	rec.action = AUDIT_ACTION_EXECUTE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.category = "node";
	rec.reason = "restored from a backup; sequence numbers resume from the registry";
	if ((st = meta_str(s, txn, META_ORG_ID, s->org_id, sizeof(s->org_id))) != SK_OK ||
	    (st = node_meta_u64_put(s, txn, NODE_META_RESUME, 1)) != SK_OK ||
	    (st = node_audit(s, txn, &rec)) != SK_OK) {
		if (st == SK_ERR_NOTFOUND)
			sk_error_set("the backup holds no node");
		mdb_txn_abort(txn);
		goto out;
	}
	st = sk_db_status(mdb_txn_commit(txn));
out:
	node_store_close(s);
	return st;
}

/* ---- rekey ----------------------------------------------------------------- */

#define META_REKEY_IDENTITY "rekey.identity"
#define META_REKEY_TLS "rekey.tls"
#define META_REKEY_ENC "rekey.encryption"

/* Key file i of a rekey (identity, TLS, encryption): from = the new key
 * set aside, to = where it goes. */
static sk_status rekey_paths(const node_store *s, size_t i, char from[static PATH_MAX],
			     char to[static PATH_MAX])
{
	static const char *const files[] = {NODE_FILE_IDENTITY, NODE_FILE_TLS, NODE_FILE_ENCRYPTION};
	char name[64];
	sk_status st;

	snprintf(name, sizeof(name), "%s.new", files[i]);
	if ((st = sk_path_join(from, PATH_MAX, s->dir, name)) != SK_OK)
		return st;
	return sk_path_join(to, PATH_MAX, s->dir, files[i]);
}

sk_status node_rekey_pending(node_store *s, MDB_txn *txn, uint8_t tls_pk[static 32])
{
	return meta_fixed(s, txn, META_REKEY_TLS, tls_pk, 32);
}

sk_status node_rekey_prepare(node_store *s, sk_kek *kek, key_ed25519 *new_id,
			     uint8_t tls_pk[static 32], uint8_t enc_pk[static 32])
{
	audit_record rec = {0};
	MDB_txn *txn = NULL;
	uint8_t pending[32];
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = node_rekey_pending(s, txn, pending);
	mdb_txn_abort(txn);
	if (st == SK_OK) {
		sk_error_set("a rekey is pending already: give %s/rekey-request to the registry "
			     "operator and install the bundle with 'join'",
			     s->dir);
		return SK_ERR_EXISTS;
	}
	if (st != SK_ERR_NOTFOUND)
		return st;
	/* leftovers of an interrupted rekey that never reached meta */
	for (size_t i = 0; i < 3; i++) {
		char from[PATH_MAX], to[PATH_MAX];

		if (rekey_paths(s, i, from, to) == SK_OK)
			unlink(from);
	}
	if ((st = write_keys(s->dir, kek, ".new", new_id, tls_pk, enc_pk)) != SK_OK)
		return st;
	rec.event = "node.rekey.request";
	rec.action = AUDIT_ACTION_CREATE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.category = "node";
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = node_meta_put(s, txn, META_REKEY_IDENTITY, new_id->pk, 32)) != SK_OK ||
	    (st = node_meta_put(s, txn, META_REKEY_TLS, tls_pk, 32)) != SK_OK ||
	    (st = node_meta_put(s, txn, META_REKEY_ENC, enc_pk, 32)) != SK_OK ||
	    (st = node_audit(s, txn, &rec)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

sk_status node_rekey_install(node_store *s, MDB_txn *txn)
{
	uint8_t id[32], tls[32], enc[32];
	audit_record rec = {0};
	int fd;
	sk_status st;

	if ((st = meta_fixed(s, txn, META_REKEY_IDENTITY, id, 32)) != SK_OK ||
	    (st = meta_fixed(s, txn, META_REKEY_TLS, tls, 32)) != SK_OK ||
	    (st = meta_fixed(s, txn, META_REKEY_ENC, enc, 32)) != SK_OK)
		return st;
	/* the files first: a crash before the commit leaves the rekey pending,
	 * and a second join finds the new keys in place */
	for (size_t i = 0; i < 3; i++) {
		char from[PATH_MAX], to[PATH_MAX];

		if ((st = rekey_paths(s, i, from, to)) != SK_OK)
			return st;
		if (access(from, F_OK) == 0 && rename(from, to) != 0) {
			sk_error_set("cannot install the new key %s", to);
			return SK_ERR_IO;
		}
	}
	if ((fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	rec.event = "node.rekey";
	rec.action = AUDIT_ACTION_UPDATE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.category = "node";
	rec.reason = "new identity, TLS and encryption keys installed with the registry's certificate";
	if ((st = node_meta_put(s, txn, META_IDENTITY_PK, id, 32)) != SK_OK ||
	    (st = node_meta_put(s, txn, META_TLS_PK, tls, 32)) != SK_OK ||
	    (st = node_meta_put(s, txn, META_ENC_PK, enc, 32)) != SK_OK ||
	    (st = node_meta_u64_put(s, txn, NODE_META_ENC_ROTATE_NOW, 1)) != SK_OK ||
	    (st = node_audit(s, txn, &rec)) != SK_OK)
		return st;
	MDB_val k1 = {strlen(META_REKEY_IDENTITY), META_REKEY_IDENTITY},
		k2 = {strlen(META_REKEY_TLS), META_REKEY_TLS}, k3 = {strlen(META_REKEY_ENC), META_REKEY_ENC};
	if ((st = sk_db_status(mdb_del(txn, s->meta, &k1, NULL))) != SK_OK ||
	    (st = sk_db_status(mdb_del(txn, s->meta, &k2, NULL))) != SK_OK ||
	    (st = sk_db_status(mdb_del(txn, s->meta, &k3, NULL))) != SK_OK)
		return st;
	memcpy(s->identity_pk, id, 32);
	memcpy(s->tls_pk, tls, 32);
	memcpy(s->enc_pk, enc, 32);
	return SK_OK;
}

/* ---- the installed bundle --------------------------------------------- */

sk_status node_registry_pinned(node_store *s, MDB_txn *txn,
			       uint8_t pk[static KEY_ED25519_PK_BYTES])
{
	MDB_val k = {strlen(NODE_META_REGISTRY_KEY), NODE_META_REGISTRY_KEY}, d;
	int rc = mdb_get(txn, s->meta, &k, &d);

	if (rc != 0)
		return sk_db_status(rc);
	if (d.mv_size != KEY_ED25519_PK_BYTES)
		return SK_ERR_DB;
	memcpy(pk, d.mv_data, KEY_ED25519_PK_BYTES);
	return SK_OK;
}

sk_status node_federation_read(node_store *s, MDB_txn *txn, node_federation *f)
{
	uint8_t pinned[KEY_ED25519_PK_BYTES], *data = NULL;
	size_t len = 0;
	sk_status st = node_registry_pinned(s, txn, pinned);

	if (st == SK_OK)
		st = node_meta_get(s, txn, NODE_META_BUNDLE, &data, &len);
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
	if ((st = node_federation_read(s, txn, f)) != SK_OK) {
		free(f);
		return st;
	}
	*out = f;
	return SK_OK;
}

sk_status node_policy_load(node_store *s, MDB_txn *txn)
{
	node_federation *f = NULL;
	sk_status st = node_federation_load(s, txn, &f);

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
