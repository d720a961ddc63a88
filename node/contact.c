#include <stdio.h>
#include <string.h>

#include "common/be.h"
#include "crypto/seal.h"
#include "node/contact.h"
#include "node/professional.h"
#include "protos/domains.h"

#define CONTACT_AD_MAX (BSN_TOKEN_BYTES + 4 + NET_ORG_ID_MAX)

static size_t contact_ad(uint8_t ad[static CONTACT_AD_MAX], const uint8_t *token, uint32_t epoch,
			 const char *org)
{
	size_t n = strlen(org);

	memcpy(ad, token, BSN_TOKEN_BYTES);
	sk_be32_put(ad + BSN_TOKEN_BYTES, epoch);
	memcpy(ad + BSN_TOKEN_BYTES + 4, org, n);
	return BSN_TOKEN_BYTES + 4 + n;
}

sk_status node_contact_seal(node_store *s, MDB_txn *txn, const node_entry_derived *d,
			    const uint8_t *token, uint32_t epoch, const uint8_t *ck, uint8_t *out,
			    size_t cap, size_t *len)
{
	node_professional p;
	uint8_t ad[CONTACT_AD_MAX];
	char text[512];
	int n;
	sk_status st;

	if ((st = node_professional_get(s, txn, d->contact_professional, &p)) != SK_OK)
		return st;
	n = snprintf(text, sizeof(text), "%s, %s%s%s%s%s (%s)", p.name, p.role,
		     p.phone[0] ? ", " : "", p.phone, p.email[0] ? ", " : "", p.email, s->name);
	if (n < 0 || (size_t)n >= sizeof(text) || SEAL_AEAD_BYTES((size_t)n) > cap)
		return SK_ERR_TOOBIG;
	*len = SEAL_AEAD_BYTES((size_t)n);
	return seal_aead_encrypt(out, WIRE_DOMAIN_CONTACT, ad,
				 contact_ad(ad, token, epoch, s->org_id), (const uint8_t *)text,
				 (size_t)n, ck);
}

void node_contact_open(const Schakel__V1__LookupResult *res, const uint8_t *token, uint32_t epoch,
		       const uint8_t *ck, char *out, size_t cap)
{
	uint8_t ad[CONTACT_AD_MAX], text[NODE_CONTACT_MAX];
	size_t n = 0;

	out[0] = 0;
	if (!res->has_sealed_contact || strlen(res->org_id) > NET_ORG_ID_MAX ||
	    res->sealed_contact.len > sizeof(text) ||
	    seal_aead_decrypt(text, &n, WIRE_DOMAIN_CONTACT, ad,
			      contact_ad(ad, token, epoch, res->org_id), res->sealed_contact.data,
			      res->sealed_contact.len, ck) != SK_OK) {
		if (res->has_sealed_contact)
			snprintf(out, cap, "(a contact that does not open: not for this client)");
		return;
	}
	for (size_t i = 0; i < n; i++) /* shown on a terminal: no control characters */
		if (text[i] < 0x20 || text[i] == 0x7f)
			text[i] = '?';
	snprintf(out, cap, "%.*s", (int)n, (const char *)text);
}
