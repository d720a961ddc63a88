/* The responsible professional's work contact that an entry carries,
 * sealed under the client's contact key: only a party that knows the BSN
 * opens it. The seal is bound to the token, the epoch and the org id. */
#ifndef SK_NODE_CONTACT_H
#define SK_NODE_CONTACT_H

#include <stddef.h>
#include <stdint.h>

#include "node/entry.h"
#include "node/store.h"
#include "protos/schakel.pb-c.h"

#define NODE_CONTACT_MAX 2048 /* a sealed contact, as the registry allows */

/* Seals the contact of d's contact professional ("name, role, phone,
 * e-mail (org name)", as of txn) into out (cap bytes, *len used) for our
 * entry under token and epoch, with the contact key ck. SK_ERR_TOOBIG when
 * it does not fit. */
sk_status node_contact_seal(node_store *s, MDB_txn *txn, const node_entry_derived *d,
			    const uint8_t *token, uint32_t epoch, const uint8_t *ck, uint8_t *out,
			    size_t cap, size_t *len) SK_MUST_CHECK;

/* Opens the contact of a lookup result into out (cap bytes, control
 * characters replaced): "" when it has none, a notice when it does not
 * open under ck (not for this client). */
void node_contact_open(const Schakel__V1__LookupResult *res, const uint8_t *token, uint32_t epoch,
		       const uint8_t *ck, char *out, size_t cap);

#endif
