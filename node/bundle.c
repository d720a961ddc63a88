#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node/bundle.h"
#include "node/textcheck.h"
#include "protos/domains.h"
#include "protos/schakel.pb-c.h"

static sk_status refuse(sk_status st, const char *why)
{
	sk_error_set("%s", why);
	return st;
}

/* Copies a string of 1..cap-1 bytes; 0 if it does not fit or is empty. */
static int copy_str(char *out, size_t cap, const char *in)
{
	size_t n = in != NULL ? strnlen(in, cap) : 0;

	if (n == 0 || n >= cap)
		return 0;
	memcpy(out, in, n + 1);
	return 1;
}

static sk_status fill_pseudonymisers(node_federation *f, const Schakel__V1__BundleBody *b)
{
	if (b->n_pseudonymisers > OPRF_MAX_CHAIN)
		return refuse(SK_ERR_INVALID, "the bundle lists too many pseudonymisers");
	for (size_t i = 0; i < b->n_pseudonymisers; i++) {
		const Schakel__V1__PseudonymiserInfo *p = b->pseudonymisers[i];
		node_pseudonymiser *q = &f->pseudonymisers[i];

		if (!net_cert_id_valid(p->org_id, NET_ORG_ID_MAX) ||
		    !copy_str(q->org_id, sizeof(q->org_id), p->org_id) ||
		    !copy_str(q->address, sizeof(q->address), p->address) ||
		    p->oprf_key.len != OPRF_ELEMENT_BYTES ||
		    oprf_element_check(p->oprf_key.data) != SK_OK || p->epoch == 0 ||
		    p->identity_key.len != KEY_ED25519_PK_BYTES)
			return refuse(SK_ERR_INVALID, "a pseudonymiser in the bundle has a bad id, "
						      "address, key or epoch");
		memcpy(q->oprf_key, p->oprf_key.data, OPRF_ELEMENT_BYTES);
		memcpy(q->identity_key, p->identity_key.data, KEY_ED25519_PK_BYTES);
		q->epoch = p->epoch;
	}
	f->n_pseudonymisers = b->n_pseudonymisers;
	return SK_OK;
}

static sk_status fill_witnesses(node_federation *f, const Schakel__V1__BundleBody *b)
{
	note_verifier v;

	if (b->n_witnesses > NODE_WITNESS_MAX)
		return refuse(SK_ERR_INVALID, "the bundle lists too many witnesses");
	for (size_t i = 0; i < b->n_witnesses; i++) {
		const Schakel__V1__WitnessInfo *w = b->witnesses[i];
		node_witness *q = &f->witnesses[i];

		if (!node_text_valid(w->id, NODE_WITNESS_ID_MAX) ||
		    !copy_str(q->id, sizeof(q->id), w->id) ||
		    !copy_str(q->url, sizeof(q->url), w->url) ||
		    !copy_str(q->vkey, sizeof(q->vkey), w->vkey) ||
		    note_verifier_parse(&v, w->vkey, strlen(w->vkey)) != SK_OK)
			return refuse(SK_ERR_INVALID, "a witness in the bundle has a bad id, url or "
						      "verifier key");
	}
	f->n_witnesses = b->n_witnesses;
	if (b->quorum > b->n_witnesses)
		return refuse(SK_ERR_INVALID, "the bundle's witness quorum exceeds its witnesses");
	f->quorum = b->quorum;
	return SK_OK;
}

/* Every field of a signed body into f. */
static sk_status fill(node_federation *f, const Schakel__V1__BundleBody *b)
{
	sk_status st;

	if (!copy_str(f->federation, sizeof(f->federation), b->federation) ||
	    !copy_str(f->log_origin, sizeof(f->log_origin), b->log_origin))
		return refuse(SK_ERR_INVALID, "the bundle has no usable federation or log name");
	if (!copy_str(f->registry_address, sizeof(f->registry_address), b->registry_address))
		return refuse(SK_ERR_INVALID, "the bundle has no usable registry address");
	if (!copy_str(f->registry_org_id, sizeof(f->registry_org_id),
		      b->registry_org_id != NULL ? b->registry_org_id : NODE_REGISTRY_ORG_DEFAULT) ||
	    !net_cert_id_valid(f->registry_org_id, NET_ORG_ID_MAX))
		return refuse(SK_ERR_INVALID, "the bundle's registry org id is not valid");
	if (b->ca_cert.len == 0 || b->ca_cert.len > NET_CERT_MAX || b->member_cert.len == 0 ||
	    b->member_cert.len > NET_CERT_MAX)
		return refuse(SK_ERR_INVALID, "the bundle's certificates are missing or too large");
	memcpy(f->ca_cert, b->ca_cert.data, b->ca_cert.len);
	f->ca_cert_len = b->ca_cert.len;
	memcpy(f->member_cert, b->member_cert.data, b->member_cert.len);
	f->member_cert_len = b->member_cert.len;
	memcpy(f->registry_key, b->registry_key.data, KEY_ED25519_PK_BYTES);
	if (b->has_registry_tls_key) {
		if (b->registry_tls_key.len != KEY_ED25519_PK_BYTES)
			return refuse(SK_ERR_INVALID, "the bundle's registry TLS key is not an "
						      "Ed25519 key");
		memcpy(f->registry_tls_key, b->registry_tls_key.data, KEY_ED25519_PK_BYTES);
		f->has_registry_tls_key = 1;
	}
	f->issued_at = b->issued_at;
	if ((st = fill_pseudonymisers(f, b)) != SK_OK || (st = fill_witnesses(f, b)) != SK_OK)
		return st;
	if (wire_policy_from_rules(&f->policy, b->policy, b->n_policy) != SK_OK || f->policy.n == 0)
		return refuse(SK_ERR_INVALID, "the bundle's federation policy is malformed");
	return SK_OK;
}

sk_status node_bundle_body_fill(node_federation *f, const uint8_t *body, size_t len)
{
	Schakel__V1__BundleBody *b;
	sk_status st;

	memset(f, 0, sizeof(*f));
	if (len > NODE_BUNDLE_MAX || (b = schakel__v1__bundle_body__unpack(NULL, len, body)) == NULL)
		return refuse(SK_ERR_INVALID, "the file is not a schakel bundle");
	st = b->registry_key.len == KEY_ED25519_PK_BYTES
		     ? fill(f, b)
		     : refuse(SK_ERR_INVALID, "the file is not a schakel bundle");
	schakel__v1__bundle_body__free_unpacked(b, NULL);
	return st;
}

sk_status node_bundle_open(node_federation *f, const uint8_t *data, size_t len,
			   const uint8_t *pinned)
{
	Schakel__V1__SignedBundle *sb = NULL;
	Schakel__V1__BundleBody *b = NULL;
	char hex[2 * KEY_ED25519_PK_BYTES + 1];
	sk_status st;

	memset(f, 0, sizeof(*f));
	if (len > NODE_BUNDLE_MAX || (sb = schakel__v1__signed_bundle__unpack(NULL, len, data)) == NULL ||
	    sb->signature.len != KEY_SIG_BYTES ||
	    (b = schakel__v1__bundle_body__unpack(NULL, sb->body.len, sb->body.data)) == NULL ||
	    b->registry_key.len != KEY_ED25519_PK_BYTES) {
		st = refuse(SK_ERR_INVALID, "the file is not a schakel bundle");
		goto out;
	}
	if (pinned != NULL && sodium_memcmp(pinned, b->registry_key.data, KEY_ED25519_PK_BYTES) != 0) {
		sodium_bin2hex(hex, sizeof(hex), pinned, KEY_ED25519_PK_BYTES);
		sk_error_set("this bundle comes from a different registry than the one this node "
			     "joined (pinned key %s); refusing it",
			     hex);
		st = SK_ERR_PERM;
		goto out;
	}
	if (key_verify(sb->signature.data, WIRE_DOMAIN_BUNDLE, sb->body.data, sb->body.len,
		       b->registry_key.data) != SK_OK) {
		st = refuse(SK_ERR_VERIFY, "the bundle's signature does not verify under its "
					   "registry key");
		goto out;
	}
	st = fill(f, b);
out:
	schakel__v1__bundle_body__free_unpacked(b, NULL);
	schakel__v1__signed_bundle__free_unpacked(sb, NULL);
	return st;
}

void node_federation_free(node_federation *f)
{
	free(f);
}

sk_status node_registry_check(const node_federation *f, const net_peer *peer)
{
	if (strcmp(peer->org_id, f->registry_org_id) != 0 ||
	    strcmp(peer->category, NODE_REGISTRY_ROLE) != 0) {
		sk_error_set("the server at %s is '%s' (%s), not this federation's registry; "
			     "check the registry address",
			     f->registry_address, peer->org_id, peer->category);
		return SK_ERR_VERIFY;
	}
	if (f->has_registry_tls_key &&
	    sodium_memcmp(peer->tls_pk, f->registry_tls_key, KEY_ED25519_PK_BYTES) != 0) {
		sk_error_set("the server at %s does not hold the registry TLS key our bundle pins; "
			     "not talking to it (if the registry was re-keyed, join its refreshed "
			     "bundle)",
			     f->registry_address);
		return SK_ERR_VERIFY;
	}
	return SK_OK;
}
