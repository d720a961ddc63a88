/* A pseudonymiser's data directory: its keys (identity, TLS, one OPRF key
 * per epoch, each wrapped under the KEK), the installed bundle whose
 * registry key is pinned at the first join, and one LMDB env holding the
 * operator's allow-list and grants, the epochs, the orgs the federation
 * revoked, per-org usage counters and the audit log (operator actions and
 * daily evaluation totals only: never points, never per-request records).
 * CLI commands and a running `serve` share the env; LMDB serialises their
 * writes, and serve reads the allow-list on every admission and request. */
#ifndef SK_PS_STORE_H
#define SK_PS_STORE_H

#include <limits.h>
#include <stdint.h>

#include <lmdb.h>

#include "audit/log.h"
#include "common/kek.h"
#include "crypto/key.h"
#include "crypto/oprf.h"
#include "net/tls.h"
#include "protos/schakel.pb-c.h"
#include "pseudonymiser/limit.h"

#define PS_SYSTEM "schakel-pseudonymiser"
#define PS_FILE_IDENTITY "identity.key"
#define PS_FILE_TLS "tls.key"
#define PS_FILE_REQUEST "enrol-request"
#define PS_FILE_BUNDLE "bundle"
#define PS_BUNDLE_MAX (1u << 20)
#define PS_EPOCH_DAYS_DEFAULT 730 /* epoch 1 lasts two years unless init --until */

typedef struct ps_store {
	char dir[PATH_MAX];
	MDB_env *env;
	MDB_dbi meta;    /* name -> value (org id, public keys, pinned registry key, cursors) */
	MDB_dbi epochs;  /* u32be(epoch) -> ps_epoch */
	MDB_dbi allow;   /* org -> quota, allowed-at */
	MDB_dbi grants;  /* org -> ps_grant */
	MDB_dbi usage;   /* org -> ps_usage */
	MDB_dbi revoked; /* org -> time, leaf index */
	audit_log *audit;
	char org_id[NET_ORG_ID_MAX + 1];
	uint8_t identity_pk[KEY_ED25519_PK_BYTES];
	uint8_t tls_pk[KEY_ED25519_PK_BYTES];
} ps_store;

/* One OPRF epoch. Served while not_before <= now < not_after (Unix ms). */
typedef struct ps_epoch {
	uint32_t epoch;
	uint8_t pk[OPRF_ELEMENT_BYTES];
	uint64_t not_before, not_after;
	uint64_t leaf_index; /* its member-event leaf (epoch 1: in the enrolment's) */
	int in_log;          /* seen, signed by the registry, in its member events */
} ps_epoch;

/* What serve needs to know about an org, read in one transaction. */
typedef struct ps_access {
	int allowed, revoked, has_grant;
	uint64_t quota;      /* evaluations a day */
	uint64_t allowed_at; /* Unix ms */
	ps_grant grant;
} ps_access;

/* Creates a pseudonymiser in dir (created 0700; must hold none yet):
 * identity, TLS and epoch-1 OPRF keys wrapped under kek, the env, the
 * first audit record, and dir/enrol-request: a SignedEnrolRequest with
 * role pseudonymiser and the epoch-1 public key, signed by the identity
 * key. Epoch 1 ends after until_day (0: PS_EPOCH_DAYS_DEFAULT from now).
 * oprf_pk gets the epoch-1 public key. */
sk_status ps_store_init(const char *dir, const char *org_id, const char *name,
			uint32_t until_day, sk_kek *kek,
			uint8_t oprf_pk[static OPRF_ELEMENT_BYTES]) SK_MUST_CHECK;

/* The same, the request naming hosts (NULL: none; each checked by
 * net_cert_host_valid) for the certificate's subjectAltName. */
sk_status ps_store_init_hosts(const char *dir, const char *org_id, const char *name,
			      uint32_t until_day, const net_hosts *hosts, sk_kek *kek,
			      uint8_t oprf_pk[static OPRF_ELEMENT_BYTES]) SK_MUST_CHECK;

/* Opens an existing pseudonymiser (no keys are read). Free with
 * ps_store_close(). */
sk_status ps_store_open(ps_store **out, const char *dir) SK_MUST_CHECK;

/* Accepts NULL. */
void ps_store_close(ps_store *s);

/* Appends an audit record in txn, filling org, system and, when unset,
 * responsible (the OS user) and access point ("cli"). */
sk_status ps_audit(ps_store *s, MDB_txn *txn, audit_record *rec) SK_MUST_CHECK;

/* After a restore into dir: audits "pseudonymiser.restore" (needs no keys). */
sk_status ps_store_restored(const char *dir) SK_MUST_CHECK;

/* ---- bundle, keys ------------------------------------------------------ */

/* Installs a SignedBundle from the registry: its signature under the
 * registry key it names, pinned at the first join (a later bundle must
 * carry the same key: else SK_ERR_VERIFY); the member certificate must
 * verify under the bundle's CA and be this pseudonymiser's (org id, TLS
 * key, role). Replaces dir/bundle. */
sk_status ps_join(ps_store *s, const uint8_t *bundle, size_t len) SK_MUST_CHECK;

/* The installed bundle, verified again under the pinned key. Both outputs
 * are owned by the caller (protobuf-c free_unpacked); body points into no
 * other memory. SK_ERR_NOTFOUND (detail set) before the first join. */
sk_status ps_bundle_load(ps_store *s, Schakel__V1__BundleBody **body) SK_MUST_CHECK;

/* The pinned registry key; SK_ERR_NOTFOUND before the first join. */
sk_status ps_registry_key(ps_store *s, MDB_txn *txn,
			  uint8_t pk[static KEY_ED25519_PK_BYTES]) SK_MUST_CHECK;

/* A TLS context with the bundle's CA and member certificate and the TLS
 * key. Free with net_tls_free(). */
sk_status ps_tls_load(ps_store *s, sk_kek *kek, const Schakel__V1__BundleBody *b,
		      net_tls **out) SK_MUST_CHECK;

/* The identity key pair; id should be sodium_malloc'd, wiped by the caller. */
sk_status ps_identity_load(ps_store *s, sk_kek *kek, key_ed25519 *id) SK_MUST_CHECK;

/* ---- allow-list and grants (operator commands, audited) ---------------- */

/* Allows org (or changes its quota), effective at once. */
sk_status ps_allow_set(ps_store *s, const char *org, uint64_t quota) SK_MUST_CHECK;

/* Removes org from the allow-list with its grant. SK_ERR_NOTFOUND if it
 * is not on it. */
sk_status ps_deny(ps_store *s, const char *org) SK_MUST_CHECK;

/* Gives an allowed org extra evaluations beyond its daily quota until the
 * end of until_day (0: no end); it replaces any earlier grant. *out (may
 * be NULL) gets the grant. SK_ERR_NOTFOUND if org is not allowed. */
sk_status ps_grant_set(ps_store *s, const char *org, uint64_t extra, uint32_t until_day,
		       ps_grant *out) SK_MUST_CHECK;

/* The allow-list entry, grant and revocation of org as of txn. */
sk_status ps_access_get(ps_store *s, MDB_txn *txn, const char *org,
			ps_access *out) SK_MUST_CHECK;

/* Calls fn for each org on the allow-list, in order; a status other than
 * SK_OK stops the scan and is returned. org is valid during the call. */
typedef sk_status (*ps_org_fn)(const char *org, void *arg);
sk_status ps_allow_scan(ps_store *s, MDB_txn *txn, ps_org_fn fn, void *arg) SK_MUST_CHECK;

/* ---- revoked orgs (from the registry's member events) ------------------- */

sk_status ps_revoked_put(ps_store *s, MDB_txn *txn, const char *org, uint64_t time_ms,
			 uint64_t leaf_index) SK_MUST_CHECK;
sk_status ps_revoked_count(ps_store *s, MDB_txn *txn, uint64_t *n) SK_MUST_CHECK;

/* ---- epochs -------------------------------------------------------------- */

/* SK_ERR_NOTFOUND if the epoch is unknown. */
sk_status ps_epoch_get(ps_store *s, MDB_txn *txn, uint32_t epoch, ps_epoch *out) SK_MUST_CHECK;
sk_status ps_epoch_put(ps_store *s, MDB_txn *txn, const ps_epoch *e) SK_MUST_CHECK;

/* The newest recorded epoch (the one nodes are given). */
sk_status ps_epoch_current(ps_store *s, MDB_txn *txn, uint32_t *epoch) SK_MUST_CHECK;

/* Calls fn for each epoch, oldest first; e is valid during the call. */
typedef sk_status (*ps_epoch_fn)(const ps_epoch *e, void *arg);
sk_status ps_epoch_scan(ps_store *s, MDB_txn *txn, ps_epoch_fn fn, void *arg) SK_MUST_CHECK;

/* The epoch's secret key from its key file. WARNING: sk is a secret; the
 * caller wipes it. Not thread-safe on kek. */
sk_status ps_epoch_key_read(ps_store *s, sk_kek *kek, uint32_t epoch,
			    uint8_t sk[static OPRF_SCALAR_BYTES]) SK_MUST_CHECK;

/* The key pair of a new epoch: created, or, when an earlier rotate
 * created it but never recorded the epoch, read back (so a retry sends the
 * same key). Only the public key is returned. */
sk_status ps_epoch_key_make(ps_store *s, sk_kek *kek, uint32_t epoch,
			    uint8_t pk[static OPRF_ELEMENT_BYTES]) SK_MUST_CHECK;

/* The epoch a rotate sent but got no receipt for yet (epoch, pk,
 * not_before, not_after): when its key shows up in the registry's member
 * events, sync records it. SK_ERR_NOTFOUND when there is none. */
sk_status ps_epoch_pending_get(ps_store *s, MDB_txn *txn, ps_epoch *out) SK_MUST_CHECK;
sk_status ps_epoch_pending_put(ps_store *s, MDB_txn *txn, const ps_epoch *e) SK_MUST_CHECK;
sk_status ps_epoch_pending_del(ps_store *s, MDB_txn *txn) SK_MUST_CHECK;

/* ---- usage counters and daily totals ------------------------------------ */

/* org's usage row; zeros (day 0) when it has none. */
sk_status ps_usage_get(ps_store *s, MDB_txn *txn, const char *org, ps_usage *u) SK_MUST_CHECK;
sk_status ps_usage_put(ps_store *s, MDB_txn *txn, const char *org,
		       const ps_usage *u) SK_MUST_CHECK;

/* Calls fn for each usage row. */
typedef sk_status (*ps_usage_fn)(const char *org, const ps_usage *u, void *arg);
sk_status ps_usage_scan(ps_store *s, MDB_txn *txn, ps_usage_fn fn, void *arg) SK_MUST_CHECK;

/* The audit record of an org's evaluations on day: event "eval.daily",
 * counterpart org, the count in the reason ("N evaluations on
 * YYYY-MM-DD UTC"). The last such record of an (org, day) holds its
 * total. */
sk_status ps_audit_daily(ps_store *s, MDB_txn *txn, const char *org, uint32_t day,
			 uint64_t count) SK_MUST_CHECK;

/* ---- meta ---------------------------------------------------------------- */

/* A u64 in meta; def when absent. */
sk_status ps_meta_u64(ps_store *s, MDB_txn *txn, const char *name, uint64_t def,
		      uint64_t *v) SK_MUST_CHECK;
sk_status ps_meta_u64_put(ps_store *s, MDB_txn *txn, const char *name,
			  uint64_t v) SK_MUST_CHECK;

#define PS_META_EVENTS_FROM "events.from" /* next member-event leaf to pull */
#define PS_META_LOG_ORIGIN "log.origin"   /* the registry log followed; absent: the bundle's */

/* A string in meta into out (cap bytes with its NUL); "" when absent. */
sk_status ps_meta_str(ps_store *s, MDB_txn *txn, const char *name, char *out,
		      size_t cap) SK_MUST_CHECK;
sk_status ps_meta_str_put(ps_store *s, MDB_txn *txn, const char *name,
			  const char *v) SK_MUST_CHECK;

/* The certificate the registry's log last named for org (SHA-256 of its
 * DER, from an enrolment or a rekey's MEMBER_REFRESHED leaf): a member
 * presenting another one (e.g. the old one after a rekey) is refused.
 * SK_ERR_NOTFOUND when the log named none since this pseudonymiser began
 * following it. */
sk_status ps_cert_pin_get(ps_store *s, MDB_txn *txn, const char *org,
			  uint8_t sha256[static 32]) SK_MUST_CHECK;
sk_status ps_cert_pin_put(ps_store *s, MDB_txn *txn, const char *org,
			  const uint8_t sha256[static 32]) SK_MUST_CHECK;

#endif
