/* Cases and consent. A case ties a client to the org's involvement: who
 * opened it, which professionals are assigned, and a versioned consent
 * (which flags towards which categories, who gave it and when, until
 * when) or a statutory basis (DISCUSS only; the reason stays at the node).
 * Dutch age rules apply when the client's birthdate is known. Every change
 * is audited in its own transaction and marks the client's entry dirty
 * (node/entry.h) in that same transaction; refusals are audited as denied. */
#ifndef SK_NODE_CASE_H
#define SK_NODE_CASE_H

#include <stddef.h>
#include <stdint.h>

#include "node/client.h"
#include "node/date.h"
#include "node/pager.h"
#include "node/professional.h"
#include "node/store.h"
#include "protos/schakel.pb-c.h"

#define NODE_FLAG_DISCOVER SCHAKEL__V1__FLAG__FLAG_DISCOVER
#define NODE_FLAG_CONTACT SCHAKEL__V1__FLAG__FLAG_CONTACT
#define NODE_FLAG_DISCUSS SCHAKEL__V1__FLAG__FLAG_DISCUSS
#define NODE_FLAGS_ALL (NODE_FLAG_DISCOVER | NODE_FLAG_CONTACT | NODE_FLAG_DISCUSS)
#define NODE_FLAGS_TEXT_MAX 32 /* "discover,contact,discuss" */
#define NODE_ASSIGNED_MAX 16   /* professionals per case */
#define NODE_REASON_MAX 128    /* a statutory reason, e.g. meldcode */
#define NODE_CONSENT_DEFAULT_MS (365 * NODE_DAY_MS)
#define NODE_CONSENT_MAX_MS (730 * NODE_DAY_MS) /* two years; the registry allows 731 days */

typedef enum node_basis {
	NODE_BASIS_CONSENT = SCHAKEL__V1__BASIS__BASIS_CONSENT,
	NODE_BASIS_STATUTORY = SCHAKEL__V1__BASIS__BASIS_STATUTORY,
} node_basis;

/* Who gave consent. */
typedef enum node_consent_by {
	NODE_BY_NONE = 0, /* statutory basis, or not given (default: client) */
	NODE_BY_CLIENT,
	NODE_BY_PARENT,
	NODE_BY_GUARDIAN,
	NODE_BY_REPRESENTATIVE,
	NODE_BY_CLIENT_PARENT, /* the client and a parent together (12-15) */
} node_consent_by;

/* One version of a case's consent (or statutory basis). */
typedef struct node_consent {
	uint32_t version;                 /* 1, 2, ... per case */
	node_basis basis;
	char reason[NODE_REASON_MAX + 1]; /* statutory: why; local only */
	uint32_t flags;                   /* NODE_FLAG_*; 0: none (withdrawn) */
	size_t n_categories;              /* explicit; "all" expanded when recorded */
	char categories[WIRE_POLICY_MAX][WIRE_CATEGORY_MAX + 1];
	node_consent_by by;
	uint64_t at;                      /* recorded, unix ms */
	char recorded_by[NODE_ID_MAX + 1];
	uint64_t expires_at;              /* unix ms */
} node_consent;

typedef struct node_case {
	uint64_t id;
	char client[NODE_CLIENT_ID_MAX + 1];
	int open;
	uint64_t opened_at, closed_at;    /* unix ms; closed_at 0 while open */
	char opened_by[NODE_ID_MAX + 1];
	char closed_by[NODE_ID_MAX + 1];
	size_t n_assigned;
	char assigned[NODE_ASSIGNED_MAX][NODE_ID_MAX + 1];
	node_consent consent;             /* the current version */
} node_case;

/* What `case open` and `case consent` ask for. */
typedef struct node_consent_req {
	uint32_t flags;          /* NODE_FLAG_*, 0 for none */
	const char *categories;  /* "ggz,jeugd", "all", or NULL/"" (only with none) */
	node_consent_by by;      /* NODE_BY_NONE: the client (consent basis) */
	node_basis basis;        /* 0: consent at open, the case's basis at consent */
	const char *reason;      /* the statutory reason (statutory only) */
	uint64_t expires_at;     /* unix ms; 0: one year after now */
} node_consent_req;

/* ---- parsing and naming ------------------------------------------------ */

/* "discover,contact,discuss" in any order and subset, or "none" (0).
 * SK_ERR_INVALID (detail set) otherwise. */
sk_status node_flags_parse(const char *s, uint32_t *flags) SK_MUST_CHECK;
/* "discover,contact" or "none". */
void node_flags_format(char out[static NODE_FLAGS_TEXT_MAX + 1], uint32_t flags);

sk_status node_consent_by_parse(const char *s, node_consent_by *out) SK_MUST_CHECK;
const char *node_consent_by_name(node_consent_by by); /* "-" for none */

/* "consent" or "statutory:REASON" (reason into reason, 1..NODE_REASON_MAX
 * bytes of text). */
sk_status node_basis_parse(const char *s, node_basis *basis,
			   char reason[static NODE_REASON_MAX + 1]) SK_MUST_CHECK;
const char *node_basis_name(node_basis b); /* "consent", "statutory" */

/* Dutch age rules for who may consent, when the birthdate is known:
 * under 12 a parent, guardian or representative; 12-15 the client and a
 * parent together (client+parent); 16 and over the client or a
 * representative. birth NULL: unknown, anyone. SK_ERR_INVALID with a
 * sentence such as "client is 14: consent needs the client and a parent
 * together (--consent-by client+parent)". */
sk_status node_consent_age_check(const node_date *birth, const node_date *today,
				 node_consent_by by) SK_MUST_CHECK;

/* ---- changes (each its own transaction, audited, entry marked dirty) --- */

/* Opens a case for client (a BSN or local id) by professional as, who is
 * assigned. *out gets the case as committed: its new id, the client's
 * local id, the consent; what both front ends show and publish, with no
 * need to read it back. Refusals (detail set, audited as denied):
 * SK_ERR_NOTFOUND unknown client or professional; SK_ERR_PERM a privacy
 * officer; SK_ERR_INVALID bad flags, categories, basis, expiry or an age
 * rule. */
sk_status node_case_open(node_store *s, const char *client, const char *as,
			 const node_consent_req *req, uint64_t now_ms,
			 node_case *out) SK_MUST_CHECK;

/* As node_case_open, inside the caller's write transaction (bulk
 * onboarding: many in one commit); nothing is committed or aborted here,
 * and a refusal is not audited (the caller reports it). */
sk_status node_case_open_txn(node_store *s, MDB_txn *txn, const char *client, const char *as,
			     const node_consent_req *req, uint64_t now_ms,
			     uint64_t *case_id) SK_MUST_CHECK;

/* The changes below fill *out (may be NULL) with the case as committed,
 * as node_case_open does. */

/* Records a new consent version for an open case (as must be assigned);
 * its number is out->consent.version. Refusals as node_case_open, and
 * SK_ERR_PERM for a closed case or an unassigned professional. */
sk_status node_case_consent(node_store *s, uint64_t case_id, const char *as,
			    const node_consent_req *req, uint64_t now_ms,
			    node_case *out) SK_MUST_CHECK;

/* Assigns professional prof to an open case; as must be assigned.
 * SK_ERR_EXISTS when prof already is; SK_ERR_TOOBIG past
 * NODE_ASSIGNED_MAX. */
sk_status node_case_assign(node_store *s, uint64_t case_id, const char *prof, const char *as,
			   uint64_t now_ms, node_case *out) SK_MUST_CHECK;

/* Closes an open case; as must be assigned. */
sk_status node_case_close(node_store *s, uint64_t case_id, const char *as, uint64_t now_ms,
			  node_case *out) SK_MUST_CHECK;

/* As node_case_consent, node_case_close and node_case_assign, inside the caller's write
 * transaction (the integration API: a batch in one commit); nothing is
 * committed or aborted here, and a refusal is not audited (the caller
 * reports it). out may be NULL. */
sk_status node_case_consent_txn(node_store *s, MDB_txn *txn, uint64_t case_id, const char *as,
				const node_consent_req *req, uint64_t now_ms,
				node_case *out) SK_MUST_CHECK;
sk_status node_case_close_txn(node_store *s, MDB_txn *txn, uint64_t case_id, const char *as,
			      uint64_t now_ms, node_case *out) SK_MUST_CHECK;
sk_status node_case_assign_txn(node_store *s, MDB_txn *txn, uint64_t case_id, const char *prof,
			       const char *as, node_case *out) SK_MUST_CHECK;

/* ---- reading ------------------------------------------------------------ */

/* Case id as of txn. SK_ERR_NOTFOUND (detail set) when there is none. */
sk_status node_case_get(node_store *s, MDB_txn *txn, uint64_t id, node_case *out) SK_MUST_CHECK;

/* Consent version of case id (the history). SK_ERR_NOTFOUND when absent. */
sk_status node_consent_get(node_store *s, MDB_txn *txn, uint64_t case_id, uint32_t version,
			   node_consent *out) SK_MUST_CHECK;

/* c as the JSON of `case list --json` and the web API (a new reference;
 * NULL when out of memory): id, client, state, opened/closed, assigned,
 * and the current consent (basis, reason, version, flags, categories,
 * consent_by, consent_at, recorded_by, expires_at, expires). */
json_t *node_consent_json(const node_consent *k);
json_t *node_case_json(const node_case *c);

/* 1 when prof is assigned to c. */
int node_case_assigned(const node_case *c, const char *prof);

/* Calls fn for each case in id order (client NULL) or for the cases of one
 * client; c is valid during the call. Any status but SK_OK stops the scan
 * and is returned. */
typedef sk_status (*node_case_fn)(const node_case *c, void *arg);
sk_status node_case_scan(node_store *s, MDB_txn *txn, const char *client, node_case_fn fn,
			 void *arg) SK_MUST_CHECK;

/* ---- a professional's cases, through the prof_cases index (node/index.h) */

/* Calls fn once for each client of an open case prof is assigned to whose
 * name matches q (NULL or "": every one; node_page_name_match), in client
 * id order. Reads only prof's cases and, with q, their clients' names. */
typedef sk_status (*node_client_id_fn)(const char *client, void *arg);
sk_status node_case_prof_clients(node_store *s, MDB_txn *txn, const char *prof, const char *q,
				 node_client_id_fn fn, void *arg) SK_MUST_CHECK;

/* One page of the cases prof is assigned to (open and closed), newest
 * (highest id) first; prof NULL: every case of the node (the API token),
 * then without q. q matches the client's name (node_page_name_match),
 * never a BSN. fn gets each case with its client's name ("" when not
 * given), both valid during the call; pg the cursors beside the page.
 * SK_ERR_INVALID (detail set) for a bad limit or cursor. */
typedef sk_status (*node_case_item_fn)(const node_case *c, const char *client_name, void *arg);
sk_status node_case_page(node_store *s, MDB_txn *txn, const char *prof, const node_page_req *req,
			 node_case_item_fn fn, void *arg, node_page_out *pg) SK_MUST_CHECK;

/* *yes: prof is assigned to an open case of client. */
sk_status node_case_assigned_open(node_store *s, MDB_txn *txn, const char *client,
				  const char *prof, int *yes) SK_MUST_CHECK;

#endif
