/* Live entries and mutual visibility (docs/design.md "Visibility"): two live
 * entries for one token are mutually visible when both have DISCOVER, each
 * allows the other's category and the policy matrix allows the pair both
 * ways. Entries are keyed by token first, so one range holds who has an
 * entry for a token; the expiry index says what the sweeper purges next. */
#ifndef SK_REG_VISIBILITY_H
#define SK_REG_VISIBILITY_H

#include "net/cert.h"
#include "registry/entry.h"
#include "registry/store.h"

#define REG_AUDIT_SEQ_MAX 256 /* audit seqs a StoredEntry keeps (audit_seq) */

/* One org's entry for a token as stored, parsed. */
typedef struct reg_live {
	Schakel__V1__StoredEntry *se;
	Schakel__V1__Entry *e; /* NULL when purged */
	char org[NET_ORG_ID_MAX + 1];
	char category[NET_CATEGORY_MAX + 1];
	int live;              /* not withdrawn, purged, expired or revoked */
} reg_live;

/* Loads org's entry for (token, epoch) as of txn and now. SK_ERR_NOTFOUND
 * when there is none. Free with reg_live_clear(). */
sk_status reg_live_load(reg_store *s, MDB_txn *txn, const char *org,
			const uint8_t token[static REG_TOKEN_BYTES], uint32_t epoch,
			uint64_t now, reg_live *out) SK_MUST_CHECK;
void reg_live_clear(reg_live *l);

/* 1 when both are live and mutually visible under policy. */
int reg_visible(const wire_policy *policy, const reg_live *a, const reg_live *b);

/* Calls fn for every other org with an entry for (token, epoch) that is
 * neither withdrawn nor purged, loaded as by reg_live_load (skipping org
 * `except`), from one range of the entries database. fn must not write
 * to the entries database. Stops at the first non-OK. */
typedef sk_status (*reg_peer_fn)(reg_live *other, void *arg);
sk_status reg_peers(reg_store *s, MDB_txn *txn, const uint8_t token[static REG_TOKEN_BYTES],
		    uint32_t epoch, const char *except, uint64_t now, reg_peer_fn fn,
		    void *arg) SK_MUST_CHECK;

/* The expiry index holds each entry version that may match under
 * u64be(hour bucket of its expires_at) || u64be(its leaf index), value its
 * entry key: versions published together land together in log order, so a
 * publish appends to one page instead of dirtying a random one. The bucket
 * only orders the sweep; reg_sweep checks the exact expiry.
 * Stores from before this layout hold u64be(expires_at) || entry key ->
 * "" (longer than REG_EXPIRY_KEY_BYTES); both sort by their first 8 bytes
 * (bucket start <= expiry), and both are read and removed. */
#define REG_EXPIRY_BUCKET_MS 3600000ull
#define REG_EXPIRY_KEY_BYTES 16

/* Index maintenance for the version of org's entry e at leaf_index: in the
 * expiry index while it may match. reg_index_remove removes its key in
 * either layout; a missing key is no error. */
sk_status reg_index_add(reg_store *s, MDB_txn *txn, const char *org,
			const Schakel__V1__Entry *e, uint64_t leaf_index) SK_MUST_CHECK;
sk_status reg_index_remove(reg_store *s, MDB_txn *txn, const char *org,
			   const Schakel__V1__Entry *e, uint64_t leaf_index) SK_MUST_CHECK;

/* Purges the contents of a stored entry (the leaf stays in the log). */
sk_status reg_entry_purge(reg_store *s, MDB_txn *txn, reg_live *l) SK_MUST_CHECK;

/* Puts a stored entry under its key. */
sk_status reg_stored_put(reg_store *s, MDB_txn *txn, const uint8_t *key, size_t klen,
			 const Schakel__V1__StoredEntry *se) SK_MUST_CHECK;

#endif
