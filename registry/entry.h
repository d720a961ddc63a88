/* The static rules of an entry (docs/design.md "Entries"), checked by the
 * registry before anything is stored: field sizes, flags, basis, categories
 * against the federation policy, clock skew and expiry. Rules that need
 * stored state (sequence numbers, membership) are in registry/publish. */
#ifndef SK_REG_ENTRY_H
#define SK_REG_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "protos/policy.h"
#include "protos/schakel.pb-c.h"
#include "registry/caps.h"

#define REG_TOKEN_BYTES 32
#define REG_SALT_BYTES 16
#define REG_AUDIT_HEAD_BYTES 32
#define REG_CLOCK_SKEW_MS (5ull * 60 * 1000)
#define REG_EXPIRY_MAX_MS (731ull * 24 * 3600 * 1000) /* two years, a leap day included */

#define REG_FLAG_DISCOVER SCHAKEL__V1__FLAG__FLAG_DISCOVER
#define REG_FLAG_CONTACT SCHAKEL__V1__FLAG__FLAG_CONTACT
#define REG_FLAG_DISCUSS SCHAKEL__V1__FLAG__FLAG_DISCUSS
#define REG_FLAGS_ALL (REG_FLAG_DISCOVER | REG_FLAG_CONTACT | REG_FLAG_DISCUSS)

typedef struct reg_entry_ctx {
	const char *org_id;   /* the org of the TLS connection */
	const char *category; /* that org's category, from its certificate */
	const wire_policy *policy;
	uint64_t now_ms;
} reg_entry_ctx;

/* Parses entry bytes and checks every static rule. On SK_OK *out is the
 * parsed entry, owned by the caller (schakel__v1__entry__free_unpacked).
 * On a refusal the status says what kind (SK_ERR_PERM: another org's id;
 * SK_ERR_INVALID: a broken rule) and sk_error_detail() says which rule, in
 * one sentence for the member's operator. */
sk_status reg_entry_check(Schakel__V1__Entry **out, const uint8_t *bytes, size_t len,
			  const reg_entry_ctx *ctx) SK_MUST_CHECK;

#endif
