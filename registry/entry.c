#include <string.h>

#include "registry/caps.h"
#include "registry/entry.h"

static sk_status refuse(sk_status st, const char *why)
{
	sk_error_set("%s", why);
	return st;
}

static sk_status check_categories(const Schakel__V1__Entry *e, const reg_entry_ctx *ctx)
{
	uint32_t seen = 0;
	int visible = 0;

	if (e->n_categories > WIRE_POLICY_MAX)
		return refuse(SK_ERR_INVALID, "the entry lists more categories than the policy has");
	for (size_t i = 0; i < e->n_categories; i++) {
		int j = wire_policy_index(ctx->policy, e->categories[i]);

		if (strcmp(e->categories[i], "all") == 0) {
			return refuse(SK_ERR_INVALID, "categories must be an explicit list; "
						      "'all' is expanded by the node");
		}
		if (j < 0) {
			sk_error_set("category '%.64s' is not in the federation policy",
				     e->categories[i]);
			return SK_ERR_INVALID;
		}
		if (seen >> j & 1u)
			return refuse(SK_ERR_INVALID, "a category is listed twice");
		seen |= 1u << j;
		visible |= wire_policy_sees(ctx->policy, ctx->category, e->categories[i]) &&
			   wire_policy_sees(ctx->policy, e->categories[i], ctx->category);
	}
	/* the matrix decides who may ever see whom: discover must name at
	 * least one category that can see this org and be seen by it */
	if ((e->flags & REG_FLAG_DISCOVER) && !visible)
		return refuse(SK_ERR_INVALID, "discover names no category that the federation "
					      "policy lets this org see");
	return SK_OK;
}

static sk_status check(const Schakel__V1__Entry *e, const reg_entry_ctx *ctx)
{
	uint32_t f = e->flags;

	if (e->token.len != REG_TOKEN_BYTES || e->salt.len != REG_SALT_BYTES ||
	    e->audit_head.len != REG_AUDIT_HEAD_BYTES)
		return refuse(SK_ERR_INVALID, "token, salt or audit head has the wrong length");
	if (strcmp(e->org_id, ctx->org_id) != 0) {
		sk_error_set("the entry names org '%.64s' but was sent by org '%.64s'", e->org_id,
			     ctx->org_id);
		return SK_ERR_PERM;
	}
	if (wire_policy_index(ctx->policy, ctx->category) < 0) {
		sk_error_set("the sending org's category '%.64s' is not in the federation policy",
			     ctx->category);
		return SK_ERR_PERM;
	}
	if (e->seq == 0)
		return refuse(SK_ERR_INVALID, "sequence numbers start at 1");
	if (e->epoch == 0)
		return refuse(SK_ERR_INVALID, "epochs start at 1");
	if (e->issued_at + REG_CLOCK_SKEW_MS < ctx->now_ms ||
	    e->issued_at > ctx->now_ms + REG_CLOCK_SKEW_MS)
		return refuse(SK_ERR_INVALID, "issued-at is more than 5 minutes off the registry "
					      "clock; check the node's time (NTP)");
	if (e->withdrawn) {
		if (f != 0 || e->n_categories != 0 || e->has_sealed_contact || e->regie)
			return refuse(SK_ERR_INVALID, "a withdrawal carries no flags, categories, "
						      "regie or contact");
		return SK_OK;
	}
	if (e->expires_at <= ctx->now_ms)
		return refuse(SK_ERR_INVALID, "the entry has already expired");
	if (e->expires_at > e->issued_at + REG_EXPIRY_MAX_MS)
		return refuse(SK_ERR_INVALID, "expiry is more than two years after issued-at");
	if (f == 0 || (f & ~(uint32_t)REG_FLAGS_ALL) != 0)
		return refuse(SK_ERR_INVALID, "flags must be a non-empty set of discover, contact "
					      "and discuss (withdraw the entry instead)");
	if ((f & REG_FLAG_CONTACT) && !(f & REG_FLAG_DISCOVER))
		return refuse(SK_ERR_INVALID, "contact needs discover");
	if (e->basis != SCHAKEL__V1__BASIS__BASIS_CONSENT &&
	    e->basis != SCHAKEL__V1__BASIS__BASIS_STATUTORY)
		return refuse(SK_ERR_INVALID, "unknown basis");
	if (e->basis == SCHAKEL__V1__BASIS__BASIS_STATUTORY && f != REG_FLAG_DISCUSS)
		return refuse(SK_ERR_INVALID, "a statutory basis allows discuss only");
	if ((f & REG_FLAG_CONTACT) != 0) {
		if (!e->has_sealed_contact || e->sealed_contact.len < REG_CONTACT_MIN ||
		    e->sealed_contact.len > REG_CONTACT_MAX)
			return refuse(SK_ERR_INVALID, "contact needs a sealed contact of sane size");
	} else if (e->has_sealed_contact) {
		return refuse(SK_ERR_INVALID, "a sealed contact without the contact flag");
	}
	if (e->n_categories == 0)
		return refuse(SK_ERR_INVALID, "a live entry lists the categories it allows");
	return check_categories(e, ctx);
}

sk_status reg_entry_check(Schakel__V1__Entry **out, const uint8_t *bytes, size_t len,
			  const reg_entry_ctx *ctx)
{
	Schakel__V1__Entry *e;
	sk_status st;

	*out = NULL;
	e = schakel__v1__entry__unpack(NULL, len, bytes);
	if (e == NULL)
		return refuse(SK_ERR_INVALID, "the entry is not a valid Entry message");
	/* stored and served as received: nothing this registry cannot read */
	if (reg_message_unknown(&e->base)) {
		schakel__v1__entry__free_unpacked(e, NULL);
		return refuse(SK_ERR_INVALID, "the entry has fields this registry does not know; "
					      "nothing was stored");
	}
	if ((st = check(e, ctx)) != SK_OK) {
		schakel__v1__entry__free_unpacked(e, NULL);
		return st;
	}
	*out = e;
	return SK_OK;
}
