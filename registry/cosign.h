/* Witnessed checkpoints at the registry: the witnesses that bundles name
 * (recorded by `enrol --witness`, kept in the log's meta database), a
 * background thread that asks each of them to cosign every new checkpoint
 * (C2SP tlog-witness over HTTPS) and again every REG_COSIGN_REFRESH_S
 * seconds so cosignatures stay under an hour old, and the cosigned
 * checkpoint served to members. Publishing never waits for witnesses. */
#ifndef SK_REG_COSIGN_H
#define SK_REG_COSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "net/tls.h"
#include "registry/store.h"
#include "witness/https.h"

#define REG_WITNESS_MAX 16
#define REG_COSIGN_REFRESH_S 600   /* re-cosign an unchanged checkpoint this often */
#define REG_COSIGN_POLL_MS 200     /* how often the thread looks for a new checkpoint */
#define REG_COSIGN_TIMEOUT_MS 5000 /* per witness request */

typedef struct reg_witness {
	char id[64];                   /* an enrolled member's org id */
	char url[WIT_URL_MAX + 1];     /* https://HOST:PORT[/prefix] */
	note_verifier key;             /* type 0x04, from the member's identity key */
} reg_witness;

/* Records (or updates) witness id at url in txn. The member must be
 * enrolled and live (SK_ERR_NOTFOUND, detail set); url must be https. */
sk_status reg_witness_put(reg_store *s, MDB_txn *txn, const char *id, const char *url,
			  reg_witness *out) SK_MUST_CHECK;

/* Every recorded witness whose member is still live, up to cap. */
sk_status reg_witness_list(reg_store *s, MDB_txn *txn, reg_witness *out, size_t cap,
			   size_t *n) SK_MUST_CHECK;

/* The largest quorum of the bundles issued (0 if none): the cosignatures a
 * round needs (and at least one) before its checkpoint replaces the served
 * one, so every member's quorum is met. */
sk_status reg_quorum_get(reg_store *s, MDB_txn *txn, uint32_t *quorum) SK_MUST_CHECK;

/* The quorum in the last bundle issued to org (0 if none), recorded with
 * each bundle. */
sk_status reg_member_quorum_set(reg_store *s, MDB_txn *txn, const char *org,
				uint32_t quorum) SK_MUST_CHECK;

/* The checkpoint to serve a member org (NULL: anyone, e.g. tiles) who
 * verified a tree of `from` leaves: the latest cosigned one when it covers
 * from, unless org's bundle asks for no cosignatures (quorum 0), else the
 * latest signed one. *note malloc'd, owned by the caller; *size its tree
 * size. */
sk_status reg_checkpoint_served(reg_store *s, MDB_txn *txn, const char *org, uint64_t from,
				uint8_t **note, size_t *len, uint64_t *size) SK_MUST_CHECK;

/* The collecting thread. tls (the registry's) must outlive it. */
typedef struct reg_cosigner reg_cosigner;
sk_status reg_cosigner_start(reg_cosigner **out, reg_store *s, const net_tls *tls) SK_MUST_CHECK;
void reg_cosigner_stop(reg_cosigner *c); /* accepts NULL */

#endif
