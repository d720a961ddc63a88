/* The org's client system (ECD/EPD) keeps clients, cases and consent in
 * step with the node by its own ids: idempotent upserts in batches, each
 * batch one write transaction with every item in a nested one, so a bad
 * item is refused alone and the same batch twice changes nothing the
 * second time. The links live in the `integration` database, written in
 * the same transaction as the records they point to:
 *   "c" NUL external client id -> local client id ("c-12")
 *   "C" NUL local client id    -> external client id
 *   "k" NUL external case id   -> u64be(local case id)
 *   "K" NUL u64be(case id)     -> external case id
 * Changes are made for the case's responsible professional and audited
 * with the service as user (node_audit_via, set by the caller); cases
 * changed mark their client dirty, so serve's sync thread publishes them
 * (node/dirty.h). The caller parses the request (web/api_integration.c). */
#ifndef SK_NODE_ECD_H
#define SK_NODE_ECD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "node/case.h"
#include "node/client.h"
#include "node/store.h"

#define NODE_ECD_ID_MAX 64      /* an external id: 1-64 of A-Z a-z 0-9 . _ : - */
#define NODE_ECD_BATCH_MAX 1000 /* items in one batch */
#define NODE_ECD_CATS_MAX 512   /* a comma list of categories */

typedef enum node_ecd_outcome {
	NODE_ECD_CREATED = 0,
	NODE_ECD_UPDATED,
	NODE_ECD_UNCHANGED,
	NODE_ECD_REFUSED,
} node_ecd_outcome;

const char *node_ecd_outcome_name(node_ecd_outcome o); /* "created", ... */

/* What became of one item. code is a stable machine code (a static
 * string; NULL unless refused), detail the library's English sentence. */
typedef struct node_ecd_result {
	node_ecd_outcome outcome;
	const char *code;
	char detail[200];
	char client[NODE_CLIENT_ID_MAX + 1]; /* the local client, when known */
	uint64_t case_id;                    /* the local case, when known */
} node_ecd_result;

/* One client as the system sends it. WARNING: holds a BSN and a name;
 * wipe with sodium_memzero. refuse set by the parser: the item is refused
 * with that code (and refuse_detail) without being looked at. */
typedef struct node_ecd_client {
	char id[NODE_ECD_ID_MAX + 1];
	bsn b;
	char name[NODE_NAME_MAX + 1];        /* "" when not given */
	char birthdate[NODE_DATE_BYTES + 1]; /* "" when not given */
	const char *refuse;
	char refuse_detail[120];
} node_ecd_client;

/* One case (or, with consent_only, a consent change of an existing open
 * case: client, professional and state are not looked at). */
typedef struct node_ecd_case {
	char id[NODE_ECD_ID_MAX + 1];
	char client[NODE_ECD_ID_MAX + 1];     /* the client's external id */
	char professional[NODE_ID_MAX + 1];   /* responsible: opens, is assigned */
	int closed;                           /* the system closed it */
	int consent_only;
	uint32_t flags;
	char categories[NODE_ECD_CATS_MAX + 1]; /* comma list or "all"; "" with none */
	node_consent_by by;
	node_basis basis;                     /* 0: consent */
	char reason[NODE_REASON_MAX + 1];     /* statutory only */
	uint64_t expires_at;                  /* 0: unchanged (a new case: one year) */
	const char *refuse;
	char refuse_detail[120];
} node_ecd_case;

/* 1 when id is a valid external id (and no BSN: a nine-digit number that
 * passes the elfproef is refused, so that no BSN is kept in clear). */
int node_ecd_id_valid(const char *id);

/* Applies n (<= NODE_ECD_BATCH_MAX) clients in one write transaction;
 * res[i] says what became of items[i]. New external id: the client is
 * registered (or, when its BSN is registered already without an external
 * id, linked: "updated"); known id: name and birth date are updated when
 * they differ; a different BSN for a known id is refused (bsn_changed).
 * One "ecd.batch" record sums the batch up; each change and refusal has
 * its own. SK_OK when the batch was committed, whatever its items' fate. */
sk_status node_ecd_clients(node_store *s, const node_ecd_client *items, size_t n,
			   uint64_t now_ms, node_ecd_result *res) SK_MUST_CHECK;

/* The same for cases: a new external id opens the case for its client
 * (known by external id) with the professional assigned; a known one gets
 * a new consent version when the consent differs, the professional
 * assigned when not yet, and is closed when the system closed it. A
 * closed case is not opened again (case_closed). *dirty counts the items
 * that changed what the registry must be told. */
sk_status node_ecd_cases(node_store *s, const node_ecd_case *items, size_t n, uint64_t now_ms,
			 node_ecd_result *res, size_t *dirty) SK_MUST_CHECK;

/* Reconciliation: the client with external id, as JSON (a new
 * reference): id, client (local), name, birthdate, cases (each with its
 * external id, local id, state, flags, categories, expires); audited
 * ("ecd.read") under the client. SK_ERR_NOTFOUND when unknown. */
sk_status node_ecd_client_get(node_store *s, const char *id, json_t **out) SK_MUST_CHECK;
/* The case with external id: node_case_json plus "external_id" and
 * "client_external_id"; audited ("ecd.read"). */
sk_status node_ecd_case_get(node_store *s, const char *id, json_t **out) SK_MUST_CHECK;

#endif
