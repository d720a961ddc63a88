/* Lookups (docs/design.md "Visibility, lookups, matches"): the asking org needs
 * a live entry for the token and a purpose code; the answer lists exactly
 * the mutually visible entries, with the sealed contact only under CONTACT,
 * padded to a fixed size so that it says nothing about entries that are
 * not shown. Each returned org gets a disclosure notice; every lookup is
 * audited, allowed or denied; lookup volume per org is watched. Runs as
 * one writer job, so the check, the notices and the audit record commit
 * together. */
#ifndef SK_REG_LOOKUP_H
#define SK_REG_LOOKUP_H

#include "registry/op.h"

#define REG_LOOKUP_MAX 64             /* results, at most */
#define REG_LOOKUP_PAD 4096           /* responses are a multiple of this */
#define REG_LOOKUP_VOLUME_DEFAULT 500 /* lookups per org per day before a flag */

/* LookupRequest: one writer job (the check, the notices, the audit
 * record). */
extern const reg_op reg_op_lookup;

#endif
