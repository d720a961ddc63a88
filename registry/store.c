#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/cli.h"
#include "common/file.h"
#include "net/cert.h"
#include "protos/wire.h"
#include "registry/store.h"

#define LABEL_IDENTITY "registry-identity"
#define META_ORIGIN REG_META_ORIGIN
#define META_ORG_ID "registry.org_id"
#define META_FORMAT "registry.format"
#define META_VKEY REG_META_VKEY
#define META_POLICY "registry.policy" /* the matrix in its text form; none: the default */
/* 2: entries keyed by token, epoch and org (visibility.h); 3: accepted
 * publishes' audit records found through their entries (audit_seq), not
 * the audit log's client index, so a binary of format 2 would call them
 * missing. A store of format 2 is marked 3 when opened: this version reads
 * both layouts of the expiry index and both kinds of publish record.
 * 4: per-org quota counters (reg_quota) and discussion messages
 * under their own keys; a store of format 2 or 3 is recounted and marked
 * 4 when opened (old discussions keep their message list in the record). */
#define FORMAT "4"
#define FORMAT_UPGRADABLE "2"
#define FORMAT_UPGRADABLE_3 "3"

#define META_MEMBER_GEN "members.gen" /* u64be: member records written */

static sk_status meta_get_str(reg_store *s, MDB_txn *txn, const char *key, char *out,
			      size_t cap)
{
	MDB_val k = {strlen(key), (void *)key}, d;
	int rc = mdb_get(txn, s->log.meta, &k, &d);

	if (rc != 0)
		return sk_db_status(rc);
	if (d.mv_size == 0 || d.mv_size >= cap)
		return SK_ERR_DB;
	memcpy(out, d.mv_data, d.mv_size);
	out[d.mv_size] = 0;
	return SK_OK;
}

static sk_status meta_put_str(reg_store *s, MDB_txn *txn, const char *key, const char *v)
{
	MDB_val k = {strlen(key), (void *)key}, d = {strlen(v), (void *)v};

	return sk_db_status(mdb_put(txn, s->log.meta, &k, &d, MDB_NOOVERWRITE));
}

/* Opens the env and, in one write transaction, every database of dir. */
static sk_status open_env(reg_store *s, const char *dir)
{
	static const sk_db_named dbs[] = {
		{"members", offsetof(reg_store, members)},
		{"entries", offsetof(reg_store, entries)},
		{"seqs", offsetof(reg_store, seqs)},
		{"leafdata", offsetof(reg_store, leafdata)},
		{"expiry", offsetof(reg_store, expiry)},
		{"mailbox", offsetof(reg_store, mailbox)},
		{"stats", offsetof(reg_store, stats)},
		{"flags", offsetof(reg_store, flags)},
		{"discussions", offsetof(reg_store, discussions)},
		{"anchors", offsetof(reg_store, anchors)},
		{"audit_daily", offsetof(reg_store, audit_daily)},
		{"quotas", offsetof(reg_store, quotas)},
		{"discuss_items", offsetof(reg_store, discuss_items)},
		{"directory", offsetof(reg_store, directory)},
		{"tables", offsetof(reg_store, tables)},
		{"table_cases", offsetof(reg_store, table_cases)},
		{"table_items", offsetof(reg_store, table_items)},
	};
	MDB_txn *txn = NULL;
	sk_status st;

	if (strlen(dir) >= sizeof(s->dir))
		return SK_ERR_TOOBIG;
	memcpy(s->dir, dir, strlen(dir) + 1);
	wire_policy_default(&s->policy);
	if ((st = sk_db_open(&s->env, dir, 0, 0)) != SK_OK ||
	    (st = reg_log_open(&s->log, s->env)) != SK_OK ||
	    (st = sk_db_dbis(s->env, dbs, sizeof(dbs) / sizeof(dbs[0]), s, &txn)) != SK_OK)
		return st;
	if ((st = audit_log_open_in(&s->audit, s->env, txn)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	if ((st = sk_db_status(mdb_txn_commit(txn))) != SK_OK)
		return st;
	/* publish records are found by token through their entries, which
	 * each publish rewrites anyway (reg_audit_extra) */
	audit_log_set_client_exempt(s->audit, reg_audit_exempt);
	audit_log_set_client_extra(s->audit, reg_audit_extra, s);
	return SK_OK;
}

static sk_status load_keys(reg_store *s, sk_kek *kek, const uint8_t *seed_in)
{
	char path[PATH_MAX];
	uint8_t seed[KEY_ED25519_SEED_BYTES];
	sk_status st;

	s->id = sodium_malloc(sizeof(*s->id));
	if (s->id == NULL)
		return SK_ERR_NOMEM;
	if (seed_in != NULL) {
		memcpy(seed, seed_in, sizeof(seed));
	} else if ((st = sk_path_join(path, sizeof(path), s->dir, REG_FILE_IDENTITY)) != SK_OK ||
		   (st = sk_keyfile_read(kek, path, LABEL_IDENTITY, seed, sizeof(seed))) != SK_OK) {
		return st;
	}
	key_ed25519_from_seed(s->id, seed);
	/* token-level records for a year, then daily aggregates (retain.h);
	 * purge markers are signed by the identity key */
	audit_log_set_retention(s->audit, AUDIT_YEAR_MS);
	audit_log_set_key(s->audit, s->id->pk);
	st = note_signer_from_seed(&s->log_key, s->origin, NOTE_TYPE_ED25519, seed);
	sodium_memzero(seed, sizeof(seed));
	if (st == SK_OK) {
		note_verifier v;

		note_signer_verifier(&v, s->log_key);
		st = note_verifier_format(s->vkey, &v);
	}
	return st;
}

/* Keeps the verifier key in meta for key-less opens (a registry from
 * before it was kept gets it at its first open with the key). */
static sk_status vkey_record(reg_store *s)
{
	MDB_txn *txn = NULL;
	char have[NOTE_VKEY_MAX];
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = meta_get_str(s, txn, META_VKEY, have, sizeof(have));
	mdb_txn_abort(txn);
	if (st == SK_OK && strcmp(have, s->vkey) == 0)
		return SK_OK;
	if (st != SK_OK && st != SK_ERR_NOTFOUND)
		return st;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = meta_put_str(s, txn, META_VKEY, s->vkey)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

void reg_store_close(reg_store *s)
{
	if (s == NULL)
		return;
	audit_log_close(s->audit);
	sk_db_close(s->env);
	if (s->id != NULL)
		sodium_free(s->id);
	note_signer_free(s->log_key);
	free(s);
}

sk_status reg_audit(reg_store *s, MDB_txn *txn, audit_record *rec)
{
	return reg_audit_flags(s, txn, rec, 0, NULL);
}

sk_status reg_audit_flags(reg_store *s, MDB_txn *txn, audit_record *rec, unsigned flags,
			  uint64_t *seq_out)
{
	rec->org = s->org_id;
	rec->system = REG_SYSTEM;
	return audit_log_append_flags(s->audit, txn, rec, flags, seq_out, NULL);
}

sk_status reg_checkpoint_update(reg_store *s, MDB_txn *txn)
{
	return reg_log_checkpoint_update(&s->log, txn, s->log_key, s->origin);
}

/* An audit record of a store change made from the command line. */
static void cli_record(audit_record *rec, const char *event, audit_action action)
{
	rec->event = event;
	rec->action = action;
	rec->outcome = AUDIT_OUTCOME_OK;
	rec->access_point = "cli";
	rec->responsible = sk_cli_user();
}

sk_status reg_store_init(const char *dir, const char *origin, const char *org_id, sk_kek *kek)
{
	char path[PATH_MAX];
	uint8_t seed[KEY_ED25519_SEED_BYTES];
	reg_store *s = NULL;
	MDB_txn *txn = NULL;
	audit_record rec = {0};
	note_signer *probe = NULL;
	sk_status st;

	randombytes_buf(seed, sizeof(seed));
	if (origin[0] == '\0' || strlen(origin) > NOTE_ORIGIN_MAX || strlen(org_id) >= 64 ||
	    note_signer_from_seed(&probe, origin, NOTE_TYPE_ED25519, seed) != SK_OK) {
		sodium_memzero(seed, sizeof(seed));
		sk_error_set("the log name must be a key name without spaces or '+', e.g. "
			     "'federatie.example/registry'");
		return SK_ERR_INVALID;
	}
	note_signer_free(probe);
	if ((st = sk_dir_create(dir)) != SK_OK ||
	    (st = sk_path_join(path, sizeof(path), dir, REG_FILE_IDENTITY)) != SK_OK)
		goto out;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	memcpy(s->origin, origin, strlen(origin) + 1);
	memcpy(s->org_id, org_id, strlen(org_id) + 1);
	if ((st = sk_keyfile_write(kek, path, LABEL_IDENTITY, seed, sizeof(seed))) != SK_OK) {
		if (st == SK_ERR_EXISTS)
			sk_error_set("%s already holds a registry", dir);
		goto out;
	}
	if ((st = open_env(s, dir)) != SK_OK || (st = load_keys(s, kek, seed)) != SK_OK)
		goto out;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	cli_record(&rec, "registry.init", AUDIT_ACTION_CREATE);
	if ((st = meta_put_str(s, txn, META_ORIGIN, origin)) != SK_OK ||
	    (st = meta_put_str(s, txn, META_ORG_ID, org_id)) != SK_OK ||
	    (st = meta_put_str(s, txn, META_FORMAT, FORMAT)) != SK_OK ||
	    (st = meta_put_str(s, txn, META_VKEY, s->vkey)) != SK_OK ||
	    (st = reg_checkpoint_update(s, txn)) != SK_OK || (st = reg_audit(s, txn, &rec)) != SK_OK) {
		mdb_txn_abort(txn);
		goto out;
	}
	st = sk_db_status(mdb_txn_commit(txn));
out:
	sodium_memzero(seed, sizeof(seed));
	reg_store_close(s);
	return st;
}

struct org_count {
	char org[NET_ORG_ID_MAX + 1];
	uint64_t n;
};

/* Counts every org's live entries from the entries database into its
 * quota record (a store from a format without counters), in txn. */
static sk_status quota_recount(reg_store *s, MDB_txn *txn)
{
	struct org_count *c = NULL, *grown;
	size_t n = 0;
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_cursor_open(txn, s->entries, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		char org[NET_ORG_ID_MAX + 1];
		uint8_t token[REG_TOKEN_BYTES];
		uint32_t epoch;
		Schakel__V1__StoredEntry *se;
		Schakel__V1__Entry *e = NULL;
		int live = 0;
		size_t i;

		if (!reg_entry_key_split(k.mv_data, k.mv_size, org, token, &epoch))
			continue;
		if ((se = schakel__v1__stored_entry__unpack(NULL, d.mv_size, d.mv_data)) == NULL) {
			st = SK_ERR_DB;
			break;
		}
		if (!se->purged &&
		    (e = schakel__v1__entry__unpack(NULL, se->entry.len, se->entry.data)) != NULL)
			live = !e->withdrawn;
		schakel__v1__entry__free_unpacked(e, NULL);
		schakel__v1__stored_entry__free_unpacked(se, NULL);
		if (!live)
			continue;
		for (i = 0; i < n && strcmp(c[i].org, org) != 0; i++)
			;
		if (i == n) {
			if ((grown = realloc(c, (n + 1) * sizeof(*c))) == NULL) {
				st = SK_ERR_NOMEM;
				break;
			}
			c = grown;
			memcpy(c[n].org, org, sizeof(org));
			c[n++].n = 0;
		}
		c[i].n++;
	}
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	for (size_t i = 0; i < n && st == SK_OK; i++) {
		reg_quota q;

		if ((st = reg_quota_get(s, txn, c[i].org, &q)) == SK_OK) {
			q.v[REG_QUOTA_LIVE] = c[i].n;
			st = reg_quota_put(s, txn, c[i].org, &q);
		}
	}
	free(c);
	return st;
}

/* Marks a store of format 2 or 3 as 4, counting its live entries per org,
 * with an audit record, once. */
static sk_status upgrade(reg_store *s, const char *from)
{
	MDB_val k = {strlen(META_FORMAT), META_FORMAT}, d = {strlen(FORMAT), FORMAT};
	audit_record rec = {0};
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	cli_record(&rec, "registry.upgrade", AUDIT_ACTION_UPDATE);
	rec.reason = strcmp(from, FORMAT_UPGRADABLE) == 0 ? "store format 2 to " FORMAT
							  : "store format 3 to " FORMAT;
	if ((st = sk_db_status(mdb_put(txn, s->log.meta, &k, &d, 0))) != SK_OK ||
	    (st = quota_recount(s, txn)) != SK_OK ||
	    (st = reg_audit(s, txn, &rec)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

/* The federation policy matrix the operator gave at init, else the
 * default (open_env set it). */
static sk_status policy_load(reg_store *s)
{
	MDB_val k = {strlen(META_POLICY), META_POLICY}, d;
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	rc = mdb_get(txn, s->log.meta, &k, &d);
	if (rc == 0 && wire_policy_parse(&s->policy, d.mv_data, d.mv_size) != SK_OK)
		st = SK_ERR_DB;
	else if (rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_txn_abort(txn);
	if (st == SK_ERR_DB)
		sk_error_set("the registry's stored policy matrix does not parse");
	return st;
}

sk_status reg_store_policy_init(reg_store *s, const wire_policy *p)
{
	char *text = malloc(WIRE_POLICY_TEXT_MAX);
	audit_record rec = {0};
	MDB_txn *txn = NULL;
	MDB_val k = {strlen(META_POLICY), META_POLICY}, d;
	size_t len = 0;
	uint64_t size = 0;
	sk_status st;

	if (text == NULL)
		return SK_ERR_NOMEM;
	if ((st = wire_policy_format(text, WIRE_POLICY_TEXT_MAX, &len, p)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	/* before anyone is admitted: members' bundles carry the matrix */
	if ((st = reg_log_size(&s->log, txn, &size)) == SK_OK && size > 0) {
		sk_error_set("the policy matrix is set before the first member is enrolled");
		st = SK_ERR_PERM;
	}
	d = (MDB_val){len, text};
	cli_record(&rec, "registry.policy", AUDIT_ACTION_CREATE);
	rec.reason = "the federation policy matrix set";
	if (st != SK_OK ||
	    (st = sk_db_status(mdb_put(txn, s->log.meta, &k, &d, MDB_NOOVERWRITE))) != SK_OK ||
	    (st = reg_audit(s, txn, &rec)) != SK_OK) {
		if (st == SK_ERR_EXISTS)
			sk_error_set("this registry's policy matrix is set already");
		mdb_txn_abort(txn);
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_commit(txn))) == SK_OK)
		s->policy = *p;
out:
	free(text);
	return st;
}

/* Opens the registry of dir; with keys, also its identity and log key. */
static sk_status store_open(reg_store **out, const char *dir, sk_kek *kek, int keys)
{
	reg_store *s = calloc(1, sizeof(*s));
	MDB_txn *txn = NULL;
	char format[8] = "";
	sk_status st;

	*out = NULL;
	if (s == NULL)
		return SK_ERR_NOMEM;
	if ((st = open_env(s, dir)) != SK_OK)
		goto fail;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto fail;
	st = meta_get_str(s, txn, META_ORIGIN, s->origin, sizeof(s->origin));
	if (st == SK_OK)
		st = meta_get_str(s, txn, META_ORG_ID, s->org_id, sizeof(s->org_id));
	if (st == SK_OK && meta_get_str(s, txn, META_FORMAT, format, sizeof(format)) != SK_OK)
		format[0] = 0;
	mdb_txn_abort(txn);
	if (st == SK_OK && !keys && strcmp(format, FORMAT) != 0 &&
	    (strcmp(format, FORMAT_UPGRADABLE) == 0 || strcmp(format, FORMAT_UPGRADABLE_3) == 0)) {
		sk_error_set("%s holds a registry of format %s; start 'serve' once (or any command "
			     "that needs the key passphrase) to upgrade it", dir, format);
		st = SK_ERR_INVALID;
	} else if (st == SK_OK && (strcmp(format, FORMAT_UPGRADABLE) == 0 ||
			    strcmp(format, FORMAT_UPGRADABLE_3) == 0)) {
		st = upgrade(s, format);
	} else if (st == SK_OK && strcmp(format, FORMAT) != 0) {
		if (format[0] != 0 && strtoul(format, NULL, 10) > strtoul(FORMAT, NULL, 10))
			sk_error_set("%s holds a registry of a newer format (%s); run the "
				     "version that wrote it", dir, format);
		else
			sk_error_set("%s holds a registry of an older format (entries keyed by "
				     "org); create it anew with this version", dir);
		st = SK_ERR_INVALID;
	}
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("%s holds no registry; run 'schakel-registry init' first", dir);
	if (st != SK_OK || (st = policy_load(s)) != SK_OK)
		goto fail;
	if (keys && ((st = load_keys(s, kek, NULL)) != SK_OK || (st = vkey_record(s)) != SK_OK))
		goto fail;
	if (!keys) {
		if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
			goto fail;
		if (meta_get_str(s, txn, META_VKEY, s->vkey, sizeof(s->vkey)) != SK_OK)
			s->vkey[0] = '\0';
		mdb_txn_abort(txn);
	}
	*out = s;
	return SK_OK;
fail:
	reg_store_close(s);
	return st;
}

sk_status reg_store_open(reg_store **out, const char *dir, sk_kek *kek)
{
	return store_open(out, dir, kek, 1);
}

sk_status reg_store_open_public(reg_store **out, const char *dir)
{
	return store_open(out, dir, NULL, 0);
}

sk_status reg_store_restored(const char *dir)
{
	reg_store *s = calloc(1, sizeof(*s));
	MDB_txn *txn = NULL;
	audit_record rec = {0};
	sk_status st;

	if (s == NULL)
		return SK_ERR_NOMEM;
	if ((st = open_env(s, dir)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	rec.event = "registry.restore";
	rec.action = AUDIT_ACTION_EXECUTE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.access_point = "cli";
	rec.responsible = sk_cli_user();
	rec.reason = "restored from a backup; nodes that saw a larger log report a rollback";
	if ((st = meta_get_str(s, txn, META_ORG_ID, s->org_id, sizeof(s->org_id))) != SK_OK ||
	    (st = reg_audit(s, txn, &rec)) != SK_OK) {
		if (st == SK_ERR_NOTFOUND)
			sk_error_set("the backup holds no registry");
		mdb_txn_abort(txn);
		goto out;
	}
	st = sk_db_status(mdb_txn_commit(txn));
out:
	reg_store_close(s);
	return st;
}

size_t reg_entry_key(uint8_t k[static REG_ENTRY_KEY_MAX], const char *org,
		     const uint8_t token[static REG_TOKEN_BYTES], uint32_t epoch)
{
	size_t n = strlen(org);

	memcpy(k, token, REG_TOKEN_BYTES);
	sk_be32_put(k + REG_TOKEN_BYTES, epoch);
	memcpy(k + REG_ENTRY_PREFIX_BYTES, org, n);
	return REG_ENTRY_PREFIX_BYTES + n;
}

int reg_entry_key_split(const uint8_t *k, size_t len, char org[static NET_ORG_ID_MAX + 1],
			uint8_t token[static REG_TOKEN_BYTES], uint32_t *epoch)
{
	size_t olen = len > REG_ENTRY_PREFIX_BYTES ? len - REG_ENTRY_PREFIX_BYTES : 0;

	if (olen == 0 || olen > NET_ORG_ID_MAX || memchr(k + REG_ENTRY_PREFIX_BYTES, 0, olen))
		return 0;
	memcpy(token, k, REG_TOKEN_BYTES);
	*epoch = sk_be32_get(k + REG_TOKEN_BYTES);
	memcpy(org, k + REG_ENTRY_PREFIX_BYTES, olen);
	org[olen] = 0;
	return 1;
}

bool reg_audit_exempt(const audit_record *rec)
{
	return rec->event != NULL &&
	       (strcmp(rec->event, "entry.publish") == 0 ||
		strcmp(rec->event, "entry.withdraw") == 0) &&
	       rec->outcome == AUDIT_OUTCOME_OK &&
	       (rec->action == AUDIT_ACTION_CREATE || rec->action == AUDIT_ACTION_UPDATE ||
		rec->action == AUDIT_ACTION_DELETE);
}

sk_status reg_audit_extra(MDB_txn *txn, const char *client, audit_seq_fn emit, void *emit_arg,
			  void *ctx)
{
	reg_store *s = ctx;
	uint8_t token[REG_TOKEN_BYTES];
	MDB_val k = {sizeof(token), token}, d;
	MDB_cursor *cur = NULL;
	Schakel__V1__StoredEntry *se;
	sk_status st;
	int rc;

	/* the registry's records name the token as sodium_bin2hex writes it */
	if (strnlen(client, 2 * REG_TOKEN_BYTES + 1) != 2 * REG_TOKEN_BYTES)
		return SK_OK;
	for (size_t i = 0; i < 2 * REG_TOKEN_BYTES; i++)
		if (!((client[i] >= '0' && client[i] <= '9') || (client[i] >= 'a' && client[i] <= 'f')))
			return SK_OK;
	if (sodium_hex2bin(token, sizeof(token), client, 2 * REG_TOKEN_BYTES, NULL, NULL, NULL) != 0)
		return SK_OK;
	if ((st = sk_db_status(mdb_cursor_open(txn, s->entries, &cur))) != SK_OK)
		return st;
	/* every epoch and org of a token sits under one key prefix */
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	     rc == 0 && st == SK_OK && k.mv_size > sizeof(token) &&
	     memcmp(k.mv_data, token, sizeof(token)) == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		if ((se = schakel__v1__stored_entry__unpack(NULL, d.mv_size, d.mv_data)) == NULL) {
			st = SK_ERR_DB;
			break;
		}
		for (size_t i = 0; i < se->n_audit_seq && st == SK_OK; i++)
			st = emit(se->audit_seq[i], emit_arg);
		schakel__v1__stored_entry__free_unpacked(se, NULL);
	}
	mdb_cursor_close(cur);
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	return st;
}

sk_status reg_quota_get(reg_store *s, MDB_txn *txn, const char *org, reg_quota *q)
{
	MDB_val k = {strlen(org), (void *)org}, d;
	int rc;

	memset(q, 0, sizeof(*q));
	if ((rc = mdb_get(txn, s->quotas, &k, &d)) == MDB_NOTFOUND)
		return SK_OK;
	if (rc != 0)
		return sk_db_status(rc);
	if (d.mv_size != REG_QUOTA_FIELDS * 8)
		return SK_ERR_DB;
	for (int i = 0; i < REG_QUOTA_FIELDS; i++)
		q->v[i] = sk_be64_get((const uint8_t *)d.mv_data + 8 * i);
	return SK_OK;
}

sk_status reg_quota_put(reg_store *s, MDB_txn *txn, const char *org, const reg_quota *q)
{
	uint8_t buf[REG_QUOTA_FIELDS * 8];
	MDB_val k = {strlen(org), (void *)org}, d = {sizeof(buf), buf};

	for (int i = 0; i < REG_QUOTA_FIELDS; i++)
		sk_be64_put(buf + 8 * i, q->v[i]);
	return sk_db_status(mdb_put(txn, s->quotas, &k, &d, 0));
}

sk_status reg_member_get(const reg_store *s, MDB_txn *txn, const char *org_id,
			 Schakel__V1__Member **out)
{
	MDB_val k = {strlen(org_id), (void *)org_id}, d;
	int rc;

	*out = NULL;
	if ((rc = mdb_get(txn, s->members, &k, &d)) != 0)
		return sk_db_status(rc);
	*out = schakel__v1__member__unpack(NULL, d.mv_size, d.mv_data);
	return *out != NULL ? SK_OK : SK_ERR_DB;
}

/* Every change of a member record counts: a running serve compares the
 * count with the one it last saw to re-check open connections at once. */
static sk_status member_gen_bump(reg_store *s, MDB_txn *txn)
{
	uint64_t gen;
	sk_status st = reg_log_meta_u64(&s->log, txn, META_MEMBER_GEN, &gen);

	return st == SK_OK ? reg_log_meta_put_u64(&s->log, txn, META_MEMBER_GEN, gen + 1) : st;
}

sk_status reg_member_put(reg_store *s, MDB_txn *txn, const Schakel__V1__Member *m)
{
	size_t n = schakel__v1__member__get_packed_size(m);
	uint8_t *buf = malloc(n);
	MDB_val k = {strlen(m->org_id), m->org_id}, d = {n, buf};
	sk_status st;

	if (buf == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__member__pack(m, buf);
	st = sk_db_status(mdb_put(txn, s->members, &k, &d, 0));
	free(buf);
	if (st == SK_OK)
		st = member_gen_bump(s, txn);
	return st;
}

int reg_member_live(const reg_store *s, MDB_txn *txn, const char *org_id)
{
	Schakel__V1__Member *m = NULL;
	int live = reg_member_get(s, txn, org_id, &m) == SK_OK && !m->has_revoked_at;

	schakel__v1__member__free_unpacked(m, NULL);
	return live;
}

sk_status reg_member_gen(const reg_store *s, MDB_txn *txn, uint64_t *gen)
{
	return reg_log_meta_u64(&s->log, txn, META_MEMBER_GEN, gen);
}

sk_status reg_leaf_member(reg_store *s, MDB_txn *txn, const uint8_t *body, size_t len,
			  uint64_t *index)
{
	uint8_t sig[KEY_SIG_BYTES], hash[WIRE_LEAF_HASH_BYTES], key[8], *val = NULL;
	MDB_val k = {8, key}, d;
	sk_status st;

	if ((st = key_sign(sig, WIRE_DOMAIN_MEMBER_EVENT, body, len, s->id->sk)) != SK_OK ||
	    (st = wire_leaf_hash(hash, WIRE_LEAF_MEMBER, body, len, sig)) != SK_OK ||
	    (st = reg_log_append(&s->log, txn, hash, index)) != SK_OK)
		return st;
	val = malloc(1 + len + sizeof(sig));
	if (val == NULL)
		return SK_ERR_NOMEM;
	val[0] = WIRE_LEAF_MEMBER;
	memcpy(val + 1, body, len);
	memcpy(val + 1 + len, sig, sizeof(sig));
	sk_be64_put(key, *index);
	d.mv_size = 1 + len + sizeof(sig);
	d.mv_data = val;
	st = sk_db_status(mdb_put(txn, s->leafdata, &k, &d, 0));
	free(val);
	return st;
}

size_t reg_org_seq_key(uint8_t *k, const char *org, uint64_t seq)
{
	size_t n = strlen(org);

	memcpy(k, org, n + 1);
	for (int i = 7; i >= 0; i--, seq >>= 8)
		k[n + 1 + i] = (uint8_t)seq;
	return n + 9;
}

sk_status reg_org_seq_last(MDB_txn *txn, MDB_dbi dbi, const char *org, uint64_t *seq)
{
	uint8_t kb[NET_ORG_ID_MAX + 9];
	size_t olen = strlen(org), klen;
	MDB_val k, d;
	MDB_cursor *cur = NULL;
	sk_status st;
	int rc;

	*seq = 0;
	if (olen > NET_ORG_ID_MAX)
		return SK_ERR_INVALID;
	klen = reg_org_seq_key(kb, org, UINT64_MAX);
	k = (MDB_val){klen, kb};
	if ((st = sk_db_status(mdb_cursor_open(txn, dbi, &cur))) != SK_OK)
		return st;
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	rc = rc == 0 ? mdb_cursor_get(cur, &k, &d, MDB_PREV) : mdb_cursor_get(cur, &k, &d, MDB_LAST);
	if (rc == 0 && k.mv_size == klen && memcmp(k.mv_data, org, olen + 1) == 0)
		*seq = sk_be64_get((const uint8_t *)k.mv_data + olen + 1);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}
