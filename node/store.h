/* A node's data directory: its wrapped keys (identity, TLS, X25519
 * encryption, the record data key and the BSN-index key), the enrolment
 * request, and one LMDB env with the org's own records, the pinned
 * federation, the sync state (checkpoint, mailbox cursor, entry sequence)
 * and the hash-chained audit log. CLI commands and a running `serve` share
 * the env; LMDB serialises their writes. */
#ifndef SK_NODE_STORE_H
#define SK_NODE_STORE_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <lmdb.h>

#include "audit/log.h"
#include "audit/retain.h"
#include "common/kek.h"
#include "crypto/key.h"
#include "net/cert.h"
#include "node/bundle.h"
#include "protos/policy.h"

#define NODE_SYSTEM "schakel-node"
#define NODE_FILE_IDENTITY "identity.key"
#define NODE_FILE_TLS "tls.key"
#define NODE_FILE_ENCRYPTION "encryption.key"
#define NODE_FILE_DATA_KEY "data.key"
#define NODE_FILE_INDEX_KEY "bsn-index.key"
#define NODE_FILE_REQUEST "enrol-request"
#define NODE_SECRET_BYTES 32 /* the data key and the BSN-index key */
#define NODE_RECORD_MAX (64u << 10) /* a stored record, at most */
#define NODE_DAY_MS (24ull * 3600 * 1000)

typedef struct node_store {
	char dir[PATH_MAX];
	MDB_env *env;
	MDB_dbi meta;         /* name -> value: identity, pins, counters, sync state */
	MDB_dbi professionals; /* id -> JSON */
	MDB_dbi clients;      /* client id -> u64be(created) || sealed(bsn, birthdate, name) */
	MDB_dbi bsn_index;    /* BLAKE2b(index key, bsn) -> client id */
	MDB_dbi cases;        /* u64be(case id) -> JSON */
	MDB_dbi consents;     /* u64be(case id) || u32be(version) -> JSON, the history */
	MDB_dbi client_cases; /* client id NUL u64be(case id) -> "" */
	MDB_dbi dirty;        /* client id -> u64be(generation): entries to republish */
	MDB_dbi tokens;       /* client id NUL u32be(epoch) -> sealed(token || contact key) */
	MDB_dbi token_index;  /* token || u32be(epoch) -> client id */
	MDB_dbi regie;        /* client id -> discussion id (hex) that made us regievoerder */
	MDB_dbi discussions;  /* discussion id (hex) -> JSON record */
	MDB_dbi members;      /* org id -> node_member (node/members.h) */
	MDB_dbi enc_keys;     /* X25519 pk -> created, not_after, published, sealed sk */
	MDB_dbi discussion_messages; /* discussion id (hex) u64be(n) -> sealed JSON */
	MDB_dbi inbox;        /* u64be local key -> MailboxItem (node/inbox.h, node/inboxkey.h) */
	MDB_dbi directory;    /* org id -> a verified directory record (node/directory.h) */
	/* the indexes (node/index.h), kept with the records they point to */
	MDB_dbi prof_cases;   /* prof NUL u64be(case id) -> u8 open || client id */
	MDB_dbi inbox_clients; /* client NUL u64be(local key) -> u32be(kind) */
	MDB_dbi discussion_clients; /* client NUL discussion id (hex) -> "" */
	MDB_dbi tables;       /* table id NUL u64be(seq) -> SignedTableRecord, verified (node/table.h) */
	MDB_dbi table_cases;  /* case id (hex) -> sealed JSON: cases brought to our tables (node/tablecase.h) */
	MDB_dbi integration;  /* the client system's link (node/service.h, node/ecd.h): its
			       * credentials and its ids for our clients and cases */
	audit_log *audit;
	char org_id[NET_ORG_ID_MAX + 1];
	char name[NET_NAME_MAX + 1];
	char category[NET_CATEGORY_MAX + 1];
	uint8_t identity_pk[KEY_ED25519_PK_BYTES];
	uint8_t tls_pk[KEY_ED25519_PK_BYTES];
	uint8_t enc_pk[KEY_X25519_PK_BYTES];
	int joined;         /* a bundle is installed (node_join) */
	wire_policy policy; /* the installed bundle's, else wire_policy_default */
	uint8_t *data_key;  /* NODE_SECRET_BYTES, sodium_malloc'd */
	uint8_t *index_key; /* NODE_SECRET_BYTES, sodium_malloc'd */
	/* node_audit_commit's group commit (node/store.c), in a store that
	 * node_store_open made */
	int audit_group;
	pthread_mutex_t audit_lock;
	pthread_cond_t audit_cond;
	struct node_audit_wait *audit_queue, *audit_tail; /* under audit_lock */
	int audit_busy;                                   /* a batch is being written */
} node_store;

/* Creates a node in dir (created 0700 if missing; must hold no node yet):
 * identity, TLS, X25519 encryption, data and BSN-index keys wrapped under
 * kek, the env with the org's identity, the first audit record
 * ("node.init") and dir/enrol-request, a SignedEnrolRequest (role node,
 * category, identity, TLS and encryption keys) signed by the identity key
 * for `schakel-registry enrol`. category must be a valid name; whether
 * the federation knows it is checked at enrol and join. */
sk_status node_store_init(const char *dir, const char *org_id, const char *name,
			  const char *category, sk_kek *kek) SK_MUST_CHECK;

/* The same, the request naming hosts (NULL: none; each checked by
 * net_cert_host_valid) for the certificate's subjectAltName. */
sk_status node_store_init_hosts(const char *dir, const char *org_id, const char *name,
				const char *category, const net_hosts *hosts,
				sk_kek *kek) SK_MUST_CHECK;

/* Opens the node of dir and unwraps its data and BSN-index keys (held in
 * guarded memory until node_store_close). The databases, the audit log,
 * the org's identity and the installed bundle's policy are opened and read
 * in one write transaction; in it, a node made before the indexes of
 * node/index.h gets them built once (its records are not changed). SK_ERR_PERM for a data dir readable by others.
 * Free with node_store_close(). */
sk_status node_store_open(node_store **out, const char *dir, sk_kek *kek) SK_MUST_CHECK;

/* As node_store_open without a KEK: data_key and index_key stay NULL, so
 * nothing sealed (clients, tokens, messages) can be read or written through
 * it. For read-only commands that show only what is stored in the clear
 * (the org, the federation, sync state, professionals, public keys). */
sk_status node_store_open_public(node_store **out, const char *dir) SK_MUST_CHECK;

/* Wipes the keys and closes; accepts NULL. */
void node_store_close(node_store *s);

/* The node's key pairs, read from their files. The caller wipes them
 * (key_ed25519_wipe, key_x25519_wipe); prefer sodium_malloc'd outputs. */
sk_status node_identity_load(const node_store *s, sk_kek *kek, key_ed25519 *out) SK_MUST_CHECK;
sk_status node_tls_key_load(const node_store *s, sk_kek *kek, key_ed25519 *out) SK_MUST_CHECK;
sk_status node_enc_key_load(const node_store *s, sk_kek *kek, key_x25519 *out) SK_MUST_CHECK;

/* Appends rec to the audit log in txn, filling org and system and, when
 * unset, responsible (the OS user) and access point ("cli"). */
sk_status node_audit(node_store *s, MDB_txn *txn, audit_record *rec) SK_MUST_CHECK;

/* The calling thread's defaults for the responsible user and the access
 * point of records that leave them unset (NULL: the OS user and "cli").
 * The strings must outlive their use; the web server sets them per
 * request and clears them after. */
void node_audit_context(const char *responsible, const char *access_point);

/* The calling thread's acting system (the org's client system through the
 * integration API): while set, every record names user as its user with
 * role, and the professional a record named as user (the one the change
 * is made for) becomes its responsible user. NULL clears it. The strings
 * must outlive their use. */
void node_audit_via(const char *user, const char *role);

/* Fills rec as node_audit() does, without appending. */
void node_audit_fill(node_store *s, audit_record *rec);

/* Retention (audit/retain.h): purges what is due at now, each batch with
 * its marker signed by the node's identity key (access point as given,
 * e.g. "serve"). SK_ERR_PERM under a legal hold, the refusal recorded. */
sk_status node_audit_purge(node_store *s, sk_kek *kek, const char *access_point, uint64_t now,
			   audit_purge_result *res) SK_MUST_CHECK;

/* Records a refusal (outcome denied, reason = the current error detail) in
 * a transaction of its own, keeping the caller's error detail. Used after
 * the refused change's transaction was aborted. */
void node_audit_denied(node_store *s, audit_record *rec);

/* Records a read access (action R, outcome ok) in a transaction of its
 * own, before the data is shown: event e.g. "case.list", user the acting
 * professional (may be NULL), role, data category, client and reason may
 * be NULL. */
/* node_audit in a write transaction of its own, committed: for reads and
 * for answers from the federation, where no local change goes with it.
 * Threads calling it at once share one transaction and one durable commit
 * (group commit: the first writes all that are queued, the others wait
 * for its commit); each returns only once its record is on disk. The
 * record is filled (node_audit_fill) on the calling thread. */
sk_status node_audit_commit(node_store *s, audit_record *rec) SK_MUST_CHECK;

sk_status node_audit_access(node_store *s, const char *event, const char *user, const char *role,
			    const char *category, const char *client,
			    const char *reason) SK_MUST_CHECK;

/* ---- meta: named values ---------------------------------------------- */

/* A copy of the value of name (malloc'd, owned by the caller).
 * SK_ERR_NOTFOUND when absent. */
sk_status node_meta_get(node_store *s, MDB_txn *txn, const char *name, uint8_t **val,
			size_t *len) SK_MUST_CHECK;
sk_status node_meta_put(node_store *s, MDB_txn *txn, const char *name, const uint8_t *val,
			size_t len) SK_MUST_CHECK;

/* A u64 in meta (8 bytes big-endian); def when absent. */
sk_status node_meta_u64(node_store *s, MDB_txn *txn, const char *name, uint64_t def,
			uint64_t *v) SK_MUST_CHECK;
sk_status node_meta_u64_put(node_store *s, MDB_txn *txn, const char *name,
			    uint64_t v) SK_MUST_CHECK;

/* ---- sync state ------------------------------------------------------- */

/* The next entry sequence number: strictly increasing over the node's
 * life, starting at 1. The counter moves in txn; with txn NULL the
 * function commits a transaction of its own before returning.
 * WARNING: "persisted before use": send an entry with this number only
 * after txn has committed, so that a crash never reuses a number. */
sk_status node_seq_next(node_store *s, MDB_txn *txn, uint64_t *seq) SK_MUST_CHECK;

/* Reserves n consecutive entry sequence numbers; *first gets the first.
 * In txn, or with txn NULL in a transaction of its own, committed.
 * WARNING: as node_seq_next, send them only after txn has committed. */
sk_status node_seq_reserve(node_store *s, MDB_txn *txn, uint64_t n,
			   uint64_t *first) SK_MUST_CHECK;

/* Raises the entry sequence counter in txn so that the next number is
 * above used (used numbers the registry already holds); never lowers it. */
sk_status node_seq_skip(node_store *s, MDB_txn *txn, uint64_t used) SK_MUST_CHECK;

/* Set by `restore`: before the node publishes or anchors again it asks the
 * registry for the highest entry seq and anchored audit record it holds
 * from us (node_remote_resume), since an older backup may be behind. */
#define NODE_META_RESUME "restore.resume"
/* Audit records up to this seq are not anchored again (set on resume). */
#define NODE_META_ANCHOR_FLOOR "anchor.floor"

/* After a restore into dir: marks the node for a resume and audits
 * "node.restore"; needs no keys. */
sk_status node_store_restored(const char *dir) SK_MUST_CHECK;

/* ---- the installed bundle (node_join writes it) ------------------------- */

/* Kept in meta under these names: the registry key pinned at the first
 * join, and the bundle exactly as received. */
#define NODE_META_REGISTRY_KEY "registry.key"
#define NODE_META_BUNDLE "bundle"

/* The pinned registry key; SK_ERR_NOTFOUND before the first join. */
sk_status node_registry_pinned(node_store *s, MDB_txn *txn,
			       uint8_t pk[static KEY_ED25519_PK_BYTES]) SK_MUST_CHECK;

/* The installed bundle as of txn, re-verified under the pinned key. *out
 * is malloc'd, owned by the caller (node_federation_free). SK_ERR_NOTFOUND
 * (detail set) before the first join; SK_ERR_VERIFY when the stored bundle
 * no longer verifies. */
sk_status node_federation_load(node_store *s, MDB_txn *txn, node_federation **out) SK_MUST_CHECK;

/* The same into the caller's *f. */
sk_status node_federation_read(node_store *s, MDB_txn *txn, node_federation *f) SK_MUST_CHECK;

/* Sets s->policy and s->joined from the installed bundle as of txn (the
 * default policy before the first join). Called by node_store_open. */
sk_status node_policy_load(node_store *s, MDB_txn *txn) SK_MUST_CHECK;

/* ---- rekey (new identity, TLS and encryption keys) ---------------------- */

#define NODE_FILE_REKEY_REQUEST "rekey-request"
/* Set when a rekey was installed (partners dropped our old encryption
 * keys) or a restore resumed (the newest private key may be lost): the next
 * sync makes and publishes a new encryption key. */
#define NODE_META_ENC_ROTATE_NOW "enc.rotate-now"
/* Set when the registry's log rolled over (node_remote_rolled): the next
 * sync checks each open discussion against the restored registry and stops
 * those it lost (node_discuss_sync), then clears it. */
#define NODE_META_DISCUSS_RECHECK "discuss.recheck"
/* Set with the rollover (node_remote_rolled), cleared in the transaction
 * that moves the mailbox cursor back (node_remote_mailbox_rewind): a node
 * stopped in between rewinds at its next contact, not never. */
#define NODE_META_MAILBOX_REWIND "mailbox.rewind"
/* The next leaf of the registry's member events this node reads
 * (node_inbox_events); after a rollover, at most the first statement's
 * restored size: the events after it are new. */
#define NODE_META_EVENTS_CURSOR "events.cursor"
/* The local key of the last inbox item the discussions took
 * (node_discuss_sync); items pulled after a rollover get higher keys, so
 * it never moves back. */
#define NODE_META_DISCUSS_CURSOR "discuss.cursor"

/* Writes new identity, TLS and encryption keys wrapped as <file>.new,
 * keeps their public halves as pending and audits "node.rekey.request";
 * new_id gets the new identity pair (the caller wipes it). SK_ERR_EXISTS
 * when a rekey is pending already. */
sk_status node_rekey_prepare(node_store *s, sk_kek *kek, key_ed25519 *new_id,
			     uint8_t tls_pk[static 32], uint8_t enc_pk[static 32]) SK_MUST_CHECK;

/* The pending rekey's TLS key; SK_ERR_NOTFOUND when none is pending. */
sk_status node_rekey_pending(node_store *s, MDB_txn *txn, uint8_t tls_pk[static 32]) SK_MUST_CHECK;

/* In txn (join of the bundle with the new certificate): moves the .new key
 * files into place, makes the pending keys the node's, audits "node.rekey"
 * and updates s. */
sk_status node_rekey_install(node_store *s, MDB_txn *txn) SK_MUST_CHECK;

/* The registry mailbox cursor (items up to it were handled); 0 at first.
 * Kept in meta under this name. */
#define NODE_META_MAILBOX_CURSOR "mailbox.cursor"
sk_status node_mailbox_cursor(node_store *s, MDB_txn *txn, uint64_t *cursor) SK_MUST_CHECK;
sk_status node_mailbox_cursor_put(node_store *s, MDB_txn *txn, uint64_t cursor) SK_MUST_CHECK;

/* The last verified checkpoint (signed-note bytes as received; malloc'd,
 * owned by the caller). SK_ERR_NOTFOUND before the first one. */
sk_status node_checkpoint_get(node_store *s, MDB_txn *txn, uint8_t **note,
			      size_t *len) SK_MUST_CHECK;
sk_status node_checkpoint_put(node_store *s, MDB_txn *txn, const uint8_t *note,
			      size_t len) SK_MUST_CHECK;

/* ---- helpers shared by the node's modules ------------------------------ */

/* Stores obj (compact JSON) under key in txn. */
sk_status node_json_put(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
			const json_t *obj) SK_MUST_CHECK;

/* The JSON object under key (a new reference, owned by the caller).
 * SK_ERR_NOTFOUND when absent; SK_ERR_DB when it does not parse. */
sk_status node_json_get(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
			json_t **obj) SK_MUST_CHECK;

/* Copies the JSON string member key of obj into out (cap bytes); "" when
 * absent or too long. */
void node_json_str(char *out, size_t cap, const json_t *obj, const char *key);

#endif
