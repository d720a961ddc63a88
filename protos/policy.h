/* The federation policy matrix: which organisation categories may ever see
 * which. It travels in bundles (BundleBody.policy) and is enforced at the
 * registry and at the node. Visibility between two entries needs the
 * matrix to allow both directions. */
#ifndef SK_POLICY_H
#define SK_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "protos/schakel.pb-c.h"

#define WIRE_POLICY_MAX 32      /* categories */
#define WIRE_CATEGORY_MAX 63    /* bytes of a category name */

typedef struct wire_policy {
	size_t n;
	char name[WIRE_POLICY_MAX][WIRE_CATEGORY_MAX + 1];
	uint32_t sees[WIRE_POLICY_MAX]; /* bit j: category i may see category j */
} wire_policy;

/* the default of docs/design.md: the care and social-domain categories (sociaal-team,
 * ggz, fact, verslavingszorg, huisarts-poh, maatschappelijke-opvang, jeugd,
 * schuldhulp) see each other; gemeente and woningcorporatie see no one. */
void wire_policy_default(wire_policy *p);

/* From bundle rules. SK_ERR_INVALID for an unknown or malformed category,
 * a duplicate rule, or more than WIRE_POLICY_MAX categories. */
sk_status wire_policy_from_rules(wire_policy *p, Schakel__V1__PolicyRule *const *rules,
				 size_t n) SK_MUST_CHECK;

/* Fills rules (arrays owned by p; valid while p is) for a BundleBody. */
typedef struct wire_policy_rules {
	Schakel__V1__PolicyRule rule[WIRE_POLICY_MAX];
	Schakel__V1__PolicyRule *ptr[WIRE_POLICY_MAX];
	char *visible[WIRE_POLICY_MAX][WIRE_POLICY_MAX];
} wire_policy_rules;
void wire_policy_to_rules(wire_policy_rules *out, wire_policy *p, size_t *n);

/* The text form of a matrix, as an operator writes it (`schakel-registry
 * init --policy FILE`) and the registry keeps it: one line a category,
 * "name: seen seen ...", the categories it may see after the colon,
 * separated by spaces; blank lines and lines starting with '#' are
 * skipped. Every category named after a colon needs a line of its own. */
#define WIRE_POLICY_TEXT_MAX (WIRE_POLICY_MAX * (WIRE_POLICY_MAX + 1) * (WIRE_CATEGORY_MAX + 2))

/* Parses the text form into *p. SK_ERR_INVALID (the detail names the
 * line) for a malformed line, an unknown or invalid name, a category with
 * two lines, or none, or more than WIRE_POLICY_MAX; *p is then empty. */
sk_status wire_policy_parse(wire_policy *p, const char *text, size_t len) SK_MUST_CHECK;

/* Writes p in the text form (what wire_policy_parse reads back) to out,
 * NUL-terminated; *len excludes the NUL. SK_ERR_TOOBIG if cap is short. */
sk_status wire_policy_format(char *out, size_t cap, size_t *len,
			     const wire_policy *p) SK_MUST_CHECK;

/* Index of a category, or -1 if the federation does not know it. */
int wire_policy_index(const wire_policy *p, const char *category);

/* 1 when category a may see category b (both known), else 0. */
int wire_policy_sees(const wire_policy *p, const char *a, const char *b);

/* May an org of category `requester` invite one of category `invitee` to
 * a case discussion? When the matrix lets them see each other both ways;
 * and categories that see no one (gemeente, woningcorporatie) only when the
 * requester is of the social domain (sociaal-team, jeugd, schuldhulp,
 * maatschappelijke-opvang). */
int wire_policy_invites(const wire_policy *p, const char *requester, const char *invitee);

/* Purpose codes of lookups and topic codes of discussions: a fixed list,
 * never free text (free text stays at the node). NULL-terminated. */
extern const char *const wire_purpose_codes[];

/* 1 when code is one of wire_purpose_codes. */
int wire_purpose_valid(const char *code);

#endif
