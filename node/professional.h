/* The org's professionals: who may act at the node (`--as`), their role
 * (free short text: spv, wijkcoach, poh-ggz, ...) and their work contact,
 * which entries seal for partners. Privacy officers are kept with their
 * own kind: they audit, they do not open or join cases. */
#ifndef SK_NODE_PROFESSIONAL_H
#define SK_NODE_PROFESSIONAL_H

#include <stdint.h>

#include "node/store.h"

#define NODE_ID_MAX 63     /* professional ids: a-z, 0-9, '.', '-' */
#define NODE_NAME_MAX 128  /* names: UTF-8 text */
#define NODE_ROLE_MAX 32   /* roles: a-z, 0-9, '.', '-' */
#define NODE_PHONE_MAX 32  /* digits, spaces, + - ( ) */
#define NODE_EMAIL_MAX 128

typedef enum node_prof_kind {
	NODE_KIND_PROFESSIONAL = 1,
	NODE_KIND_PRIVACY_OFFICER = 2,
} node_prof_kind;

typedef struct node_professional {
	char id[NODE_ID_MAX + 1];
	char name[NODE_NAME_MAX + 1];
	char role[NODE_ROLE_MAX + 1];
	char phone[NODE_PHONE_MAX + 1]; /* "" when none */
	char email[NODE_EMAIL_MAX + 1]; /* "" when none */
	node_prof_kind kind;
	uint64_t created_at;            /* unix ms */
} node_professional;

/* "professional" or "privacy-officer"; NULL-safe parse (SK_ERR_INVALID). */
const char *node_prof_kind_name(node_prof_kind k);
sk_status node_prof_kind_parse(node_prof_kind *out, const char *s) SK_MUST_CHECK;

/* Adds p (created_at is set here) and audits "professional.add", in one
 * transaction. SK_ERR_INVALID (detail names the field) for a bad field,
 * SK_ERR_EXISTS for a taken id. */
sk_status node_professional_add(node_store *s, node_professional *p) SK_MUST_CHECK;

/* The professional id as of txn. SK_ERR_NOTFOUND (detail set: "unknown
 * professional 'x'") when there is none. */
sk_status node_professional_get(node_store *s, MDB_txn *txn, const char *id,
				node_professional *out) SK_MUST_CHECK;

/* Calls fn for each professional in id order; any status but SK_OK stops
 * the scan and is returned. p is valid during the call. */
typedef sk_status (*node_professional_fn)(const node_professional *p, void *arg);
sk_status node_professional_scan(node_store *s, MDB_txn *txn, node_professional_fn fn,
				 void *arg) SK_MUST_CHECK;

#endif
