/* A registry data directory: its keys (identity, TLS), its LMDB env with
 * the Merkle log, members, entries, used sequence numbers and the audit
 * log, and the layout of the records more than one module reads (entry
 * keys, quota records). One reg_store per process; CLI commands (enrol,
 * revoke) and a running `serve` share the env safely, LMDB serialising
 * their writes. */
#ifndef SK_REG_STORE_H
#define SK_REG_STORE_H

#include <limits.h>
#include <stdint.h>

#include <lmdb.h>

#include "audit/log.h"
#include "common/kek.h"
#include "crypto/key.h"
#include "crypto/note.h"
#include "net/cert.h"
#include "protos/policy.h"
#include "protos/schakel.pb-c.h"
#include "registry/entry.h"
#include "registry/log.h"

#define REG_SYSTEM "schakel-registry"
#define REG_ORG_ID_DEFAULT "registry"
#define REG_FILE_IDENTITY "identity.key"
#define REG_FILE_TLS_KEY "tls.key"
#define REG_FILE_TLS_CERT "tls.crt"
#define REG_FILE_CA_CERT "ca.crt"
#define REG_FILE_CA_PEM "ca.pem"     /* the CA as PEM, for monitors' clients */
#define REG_FILE_TLS_HOSTS "tls.hosts" /* `init --host`: one name a line */
#define REG_CERT_DAYS 730
/* Keys of the meta database a rollover rewrites (registry/rollover.h): the
 * log's origin, and its verifier key (read-only commands need no key). */
#define REG_META_ORIGIN "registry.origin"
#define REG_META_VKEY "registry.vkey"
/* The latest checkpoint the witnesses cosigned (registry/cosign.h) and its
 * tree size (u64be); a rollover forgets them: they are of the old log. */
#define REG_META_COSIGNED "log.cosigned"
#define REG_META_COSIGNED_SIZE "log.cosigned.size"

typedef struct reg_store {
	char dir[PATH_MAX];
	MDB_env *env;
	reg_log log;
	MDB_dbi members;  /* org id -> Member */
	MDB_dbi entries;  /* token epoch(u32be) org id -> StoredEntry (reg_entry_key) */
	MDB_dbi seqs;     /* org id NUL seq(u64be) -> UsedSeq */
	MDB_dbi leafdata; /* leaf index(u64be) -> kind || body || sig, member leaves */
	MDB_dbi expiry;   /* hour(u64be) leaf index(u64be) -> entry key: the
			   * sweeper's order (visibility.h) */
	MDB_dbi mailbox;  /* org id NUL seq(u64be) -> MailboxItem */
	MDB_dbi stats;    /* org id NUL day(u32be) -> lookups that day (u64be) */
	MDB_dbi flags;    /* time(u64be) org id -> MailboxItem (the operator's view) */
	MDB_dbi discussions; /* discussion id -> Discussion */
	MDB_dbi anchors;  /* org id NUL seq(u64be) -> AnchorBody: nodes' audit heads */
	MDB_dbi audit_daily; /* day org NUL event NUL outcome -> count: purged records
			      * (registry/retain.h) */
	MDB_dbi quotas;   /* org id -> limits and counters (reg_quota) */
	MDB_dbi discuss_items; /* discussion id || u32be(n) -> mailbox key of a message */
	MDB_dbi directory; /* org id -> u64be(leaf) u32be(len) record signature: the latest
			    * DirectoryRecord (registry/directory.h) */
	MDB_dbi tables;   /* table id NUL seq(u64be) -> SignedTableRecord (registry/table.h) */
	MDB_dbi table_cases; /* case id (16 bytes) -> TableCase: who brought it when */
	MDB_dbi table_items; /* case id || u32be(n) -> mailbox key of an item of the case */
	audit_log *audit;
	key_ed25519 *id;  /* sodium_malloc'd */
	note_signer *log_key;
	char origin[NOTE_ORIGIN_MAX + 1];
	char org_id[64];
	char vkey[NOTE_VKEY_MAX]; /* the log's verifier key; "" when not known yet */
	wire_policy policy;
	uint64_t lookup_limit; /* lookups per org per day before a flag; 0: default */
	uint64_t discuss_idle_ms; /* discussions end after this idle time; 0: default */
	uint64_t table_retain_ms; /* a table case's ciphertext is purged this long after
				   * its outcome; 0: REG_TABLE_RETAIN_MS */
	uint64_t table_case_max_ms; /* ... and this long after it was brought when it
				     * has no outcome; 0: REG_TABLE_CASE_MAX_MS */
} reg_store;

/* Creates a new registry in dir (created 0700 if missing; must hold no
 * registry yet): identity key wrapped under kek, the env, the empty tree's
 * signed checkpoint and the first audit record. */
sk_status reg_store_init(const char *dir, const char *origin, const char *org_id,
			 sk_kek *kek) SK_MUST_CHECK;

/* Sets the federation policy matrix of a registry no member has joined
 * yet (the log is empty); kept in its text form and loaded by every
 * reg_store_open (none set: the default matrix). Audited. SK_ERR_EXISTS
 * when one is set already, SK_ERR_PERM once the log holds a leaf. */
sk_status reg_store_policy_init(reg_store *s, const wire_policy *p) SK_MUST_CHECK;

/* Opens an existing registry. Free with reg_store_close(). */
sk_status reg_store_open(reg_store **out, const char *dir, sk_kek *kek) SK_MUST_CHECK;

/* Opens an existing registry for reading without its keys (no KEK): id
 * and log_key stay NULL, vkey is what a keyed open recorded ("" for a
 * registry not opened with its key since this version). Nothing may be
 * signed or written through it. Refuses a dir that needs an upgrade. */
sk_status reg_store_open_public(reg_store **out, const char *dir) SK_MUST_CHECK;

/* Accepts NULL. */
void reg_store_close(reg_store *s);

/* After a restore into dir: audits "registry.restore" (needs no keys). */
sk_status reg_store_restored(const char *dir) SK_MUST_CHECK;

/* The member record of org_id as of txn; owned by the caller
 * (schakel__v1__member__free_unpacked). SK_ERR_NOTFOUND if never enrolled. */
sk_status reg_member_get(const reg_store *s, MDB_txn *txn, const char *org_id,
			 Schakel__V1__Member **out) SK_MUST_CHECK;

/* Stores (replaces) the member record of m->org_id in txn. */
sk_status reg_member_put(reg_store *s, MDB_txn *txn, const Schakel__V1__Member *m) SK_MUST_CHECK;

/* 1 when org_id is enrolled and not revoked as of txn; 0 otherwise (also
 * when the record cannot be read). */
int reg_member_live(const reg_store *s, MDB_txn *txn, const char *org_id);

/* How many times member records were written (reg_member_put), as of txn:
 * unchanged means no member was enrolled, revoked or rekeyed since. */
sk_status reg_member_gen(const reg_store *s, MDB_txn *txn, uint64_t *gen) SK_MUST_CHECK;

/* Appends an audit record in txn, filling org and system. */
sk_status reg_audit(reg_store *s, MDB_txn *txn, audit_record *rec) SK_MUST_CHECK;

/* reg_audit() with audit_log_append_flags()'s flags; *seq_out (may be
 * NULL) gets the record's seq. */
sk_status reg_audit_flags(reg_store *s, MDB_txn *txn, audit_record *rec, unsigned flags,
			  uint64_t *seq_out) SK_MUST_CHECK;

/* Signs a member-event body with the registry identity, appends its leaf
 * to the log and keeps its contents; *index is the leaf index. */
sk_status reg_leaf_member(reg_store *s, MDB_txn *txn, const uint8_t *body, size_t len,
			  uint64_t *index) SK_MUST_CHECK;

/* The latest checkpoint, re-signed if the log grew (in txn). */
sk_status reg_checkpoint_update(reg_store *s, MDB_txn *txn) SK_MUST_CHECK;

/* The key of org's entry for (token, epoch) in the entries database:
 * token || u32be(epoch) || org id (no NUL), so that the entries of one
 * (token, epoch) are adjacent and an entry and its peers share a page. */
#define REG_ENTRY_PREFIX_BYTES (REG_TOKEN_BYTES + 4)
#define REG_ENTRY_KEY_MAX (REG_ENTRY_PREFIX_BYTES + NET_ORG_ID_MAX)
size_t reg_entry_key(uint8_t k[static REG_ENTRY_KEY_MAX], const char *org,
		     const uint8_t token[static REG_TOKEN_BYTES], uint32_t epoch);

/* Parses an entries key; 0 when it is not one. */
int reg_entry_key_split(const uint8_t *k, size_t len, char org[static NET_ORG_ID_MAX + 1],
			uint8_t token[static REG_TOKEN_BYTES], uint32_t *epoch) SK_MUST_CHECK;

/* The registry's rule for the audit records it indexes by client itself
 * (audit_log_set_client_exempt()): accepted publishes and withdrawals that
 * change an entry (action C, U or D; not a resubmission, not a refusal),
 * whose seqs the entry's StoredEntry keeps in audit_seq. */
bool reg_audit_exempt(const audit_record *rec);

/* The seqs in audit_seq of every StoredEntry (all epochs, all orgs) of
 * the token whose lowercase hex is client; none for any other string
 * (audit_log_set_client_extra(), ctx the reg_store). */
sk_status reg_audit_extra(MDB_txn *txn, const char *client, audit_seq_fn emit, void *emit_arg,
			  void *ctx) SK_MUST_CHECK;

/* The quota record of one org (database "quotas", key the org id, value
 * REG_QUOTA_FIELDS u64be in this order). A limit of 0 means the default
 * (registry/quota.h). */
enum {
	REG_QUOTA_ENTRIES_MAX,     /* live entries */
	REG_QUOTA_PUBLISH_MAX,     /* publishes per minute */
	REG_QUOTA_DISCUSSION_MAX,  /* sealed messages per discussion */
	REG_QUOTA_DAY_MAX,         /* sealed messages per UTC day */
	REG_QUOTA_LIVE,            /* counter: entries neither withdrawn nor purged */
	REG_QUOTA_MINUTE,          /* counter: the minute (unix ms / 60000) of ... */
	REG_QUOTA_PUBLISHED,       /* ... the publishes stored in it */
	REG_QUOTA_DAY,             /* counter: the day (unix ms / 86400000) of ... */
	REG_QUOTA_SENT,            /* ... the sealed messages the org sent on it */
	REG_QUOTA_FIELDS
};
#define REG_QUOTA_LIMITS 4 /* the first four are limits */

typedef struct reg_quota {
	uint64_t v[REG_QUOTA_FIELDS];
} reg_quota;

/* org's record as of txn; all zero when it has none. */
sk_status reg_quota_get(reg_store *s, MDB_txn *txn, const char *org, reg_quota *q) SK_MUST_CHECK;
sk_status reg_quota_put(reg_store *s, MDB_txn *txn, const char *org,
			const reg_quota *q) SK_MUST_CHECK;

/* Keys "org id NUL u64be(seq)" (used sequence numbers, anchors): writes
 * one into k (room for NET_ORG_ID_MAX + 9 bytes) and returns its length. */
size_t reg_org_seq_key(uint8_t *k, const char *org, uint64_t seq);

/* The highest seq of org in dbi (keys as reg_org_seq_key), 0 when none. */
sk_status reg_org_seq_last(MDB_txn *txn, MDB_dbi dbi, const char *org,
			   uint64_t *seq) SK_MUST_CHECK;

#endif
