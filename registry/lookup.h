/* Lookups (DESIGN.md "Visibility, lookups, matches"): the asking org needs
 * a live entry for the token and a purpose code; the answer lists exactly
 * the mutually visible entries, with the sealed contact only under CONTACT,
 * padded to a fixed size so that it says nothing about entries that are
 * not shown. Each returned org gets a disclosure notice; every lookup is
 * audited, allowed or denied; lookup volume per org is watched. Runs as
 * one writer job, so the check, the notices and the audit record commit
 * together. */
#ifndef SK_REG_LOOKUP_H
#define SK_REG_LOOKUP_H

#include "audit/record.h"
#include "net/conn.h"
#include "registry/op.h"
#include "registry/visibility.h"

#define REG_LOOKUP_MAX 64             /* results, at most */
#define REG_LOOKUP_PAD 4096           /* responses are a multiple of this */
#define REG_LOOKUP_VOLUME_DEFAULT 500 /* lookups per org per day before a flag */

typedef struct reg_lookup_result {
	char org[NET_ORG_ID_MAX + 1];
	char category[NET_CATEGORY_MAX + 1];
	int regie;
	uint8_t *contact;   /* malloc'd (the job stays small: no 2 KiB per slot) */
	size_t contact_len; /* 0: no contact released */
} reg_lookup_result;

typedef struct reg_lookup {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	char role[64], purpose[64];
	uint8_t token[REG_TOKEN_BYTES];
	uint32_t epoch;
	char correlation[65], head[65];
	uint64_t now_ms;
	uint64_t volume_limit;
	sk_status result;
	char reason[256];
	size_t n;
	reg_lookup_result res[REG_LOOKUP_MAX];
} reg_lookup;

sk_status reg_lookup_new(reg_lookup **out, reg_store *s, const net_peer *peer,
			 const Schakel__V1__LookupRequest *req) SK_MUST_CHECK;
sk_status reg_lookup_apply(MDB_txn *txn, void *arg);
sk_status reg_lookup_send(reg_lookup *l, sk_status commit, net_conn *c,
			  uint64_t request_id) SK_MUST_CHECK;
void reg_lookup_free(reg_lookup *l);

/* LookupRequest: one writer job (the check, the notices, the audit
 * record). */
extern const reg_op reg_op_lookup;

#endif
