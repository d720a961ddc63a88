/* Admitting members (dual control: the operator enrols with the CA, each
 * pseudonymiser operator allows separately), refreshed bundles and
 * revocation. Certificates and revocations become leaves of the log, so a
 * member can see every certificate issued for its org id. Safe while
 * `serve` runs: it reads members from the same env on every request. */
#ifndef SK_REG_ENROL_H
#define SK_REG_ENROL_H

#include <stddef.h>
#include <stdint.h>

#include "registry/ca.h"
#include "registry/store.h"

#define REG_MAX_PSEUDONYMISERS 8
#define REG_MAX_WITNESSES 16

typedef struct reg_enrol_opts {
	const char *registry_address; /* NULL: the address `serve` recorded */
	const char *pseudonymisers[REG_MAX_PSEUDONYMISERS]; /* "ID@HOST:PORT", chain order */
	size_t n_pseudonymisers;
	const char *witnesses[REG_MAX_WITNESSES]; /* "ID@https://HOST:PORT", live members */
	size_t n_witnesses;
	int has_quorum;                           /* else quorum 0 */
	uint32_t quorum;                          /* <= n_witnesses */
	const net_hosts *hosts;                   /* the certificate's host names
						   * (`enrol --host`), instead of the
						   * request's; NULL: the request's */
} reg_enrol_opts;

/* Gives the registry its TLS certificate from ca (once; later calls check
 * that it exists), with the host names of D/tls.hosts (reg_tls_hosts_set)
 * as subjectAltName, and keeps a copy of the CA certificate in the data
 * dir, as DER (ca.crt) and PEM (ca.pem; also written when only it is
 * missing, for a data dir made before it). */
sk_status reg_tls_ensure(reg_store *s, const reg_ca *ca, sk_kek *kek) SK_MUST_CHECK;

/* Writes h (checked: net_hosts_add) to D/tls.hosts, one name a line, for
 * the next reg_tls_ensure that issues a certificate. SK_ERR_EXISTS when
 * the file exists. */
sk_status reg_tls_hosts_set(reg_store *s, const net_hosts *h) SK_MUST_CHECK;

/* Admits the member of a signed enrolment request: checks it (its hosts
 * too: net_cert_host_valid, at most NET_HOSTS_MAX), issues the
 * certificate (subjectAltName: the org id, then o->hosts or the request's), appends the member leaf and audit record, signs a new
 * checkpoint, all in one transaction, and returns the signed bundle
 * (malloc'd, owned by the caller). SK_ERR_EXISTS: the org id is taken
 * (by any member: node, pseudonymiser or witness, live or revoked);
 * SK_ERR_PERM: the org id is reserved (reg_org_id_reserved). */
sk_status reg_enrol(reg_store *s, const reg_ca *ca, const uint8_t *request, size_t len,
		    const reg_enrol_opts *o, uint8_t **bundle, size_t *bundle_len,
		    char org_id[static 64]) SK_MUST_CHECK;

/* reg_enrol for an enrolment the operator's journal holds (after a
 * restore; registry/replay.h): the member keeps cert, the certificate it
 * was issued then, which must verify under the data dir's CA copy for the
 * request's org id and TLS key (SK_ERR_VERIFY); no CA needed. The bundle
 * is not written (the member has it); o's witnesses are recorded. */
sk_status reg_enrol_replay(reg_store *s, const uint8_t *request, size_t len,
			   const uint8_t *cert, size_t cert_len, const reg_enrol_opts *o,
			   char org_id[static 64]) SK_MUST_CHECK;

/* A new bundle for a live member with today's addresses, pseudonymisers,
 * witnesses, quorum and policy; the certificate stays the same. Witnesses
 * named in any bundle are recorded for the registry's cosigning rounds
 * (registry/cosign.h) with the bundle's quorum. */
sk_status reg_enrol_refresh(reg_store *s, const char *org_id, const reg_enrol_opts *o,
			    uint8_t **bundle, size_t *bundle_len) SK_MUST_CHECK;

/* A new certificate for a live member's current TLS key (its keys stay),
 * naming o->hosts, else those of its enrolment request (`enrol --refresh
 * ORG --ca CA --host NAME`, e.g. for a certificate issued before
 * subjectAltName): replaces the certificate in the member record, appends a
 * MEMBER_REFRESHED leaf, audits "member.refresh" and returns the refreshed
 * bundle, in one transaction. The registry admits only the new certificate
 * from then on: the member installs the bundle ('join') before it connects
 * again. */
sk_status reg_enrol_recert(reg_store *s, const reg_ca *ca, const char *org_id,
			   const reg_enrol_opts *o, uint8_t **bundle,
			   size_t *bundle_len) SK_MUST_CHECK;

/* reg_enrol_recert for one the operator's journal holds (after a restore;
 * registry/replay.h): cert, the certificate issued then, must verify under
 * the data dir's CA copy for org_id and the member's TLS key
 * (SK_ERR_VERIFY); no CA needed, no bundle written. */
sk_status reg_recert_replay(reg_store *s, const char *org_id, const uint8_t *cert,
			    size_t cert_len, const reg_enrol_opts *o) SK_MUST_CHECK;

/* New keys for a live member, countersigned by the operator: request is a
 * SignedRekeyRequest (schakel.proto) for org_id, signed by the identity
 * key the registry holds for it AND by the new identity key. Issues a
 * certificate for the new TLS key (hosts: o->hosts, else those of the
 * member's enrolment request), replaces identity, TLS and encryption
 * keys and the certificate in the member record (the old certificate is
 * refused from the next connection on), appends a MEMBER_REFRESHED leaf,
 * audits "member.rekey" and returns the refreshed bundle, all in one
 * transaction. SK_ERR_VERIFY: a signature does not verify; SK_ERR_PERM:
 * revoked, or the request is for another org or an older identity. */
sk_status reg_rekey(reg_store *s, const reg_ca *ca, const char *org_id, const uint8_t *request,
		    size_t len, const reg_enrol_opts *o, uint8_t **bundle,
		    size_t *bundle_len) SK_MUST_CHECK;

/* reg_rekey for one the operator's journal holds (after a restore): the
 * same checks of request against the member record the registry holds
 * now, and cert, the certificate issued then, must verify under the data
 * dir's CA copy for org_id and the request's new TLS key (SK_ERR_VERIFY);
 * no CA needed, no bundle written. */
sk_status reg_rekey_replay(reg_store *s, const char *org_id, const uint8_t *request, size_t len,
			   const uint8_t *cert, size_t cert_len,
			   const reg_enrol_opts *o) SK_MUST_CHECK;

/* Revokes a member at once: the registry refuses it from its next request
 * on. With purge, its entries' contents are removed too and every partner
 * whose match disappears gets a notice (*purged counts the entries; also
 * for an org revoked earlier). SK_ERR_NOTFOUND: never enrolled;
 * SK_ERR_EXISTS: already revoked (without purge). */
sk_status reg_revoke(reg_store *s, const char *org_id, int purge,
		     size_t *purged) SK_MUST_CHECK;

/* Records the address `serve` listens on, for bundles. */
sk_status reg_address_set(reg_store *s, const char *address) SK_MUST_CHECK;
/* The address recorded, as of txn, into out (cap bytes); "" before the
 * first serve. */
sk_status reg_address_get(reg_store *s, MDB_txn *txn, char *out, size_t cap) SK_MUST_CHECK;

/* 1 when no member may take org_id: the registry's own org id, its log
 * origin or the host part of it, or one of REG_RESERVED_IDS (words that
 * name a party or an authority: a member holding one could pass for it). */
#define REG_RESERVED_IDS                                                              \
	"registry", "registries", "witness", "witnesses", "pseudonymiser",           \
	"pseudonymizer", "schakel", "federation", "admin", "administrator", "root",   \
	"ca", "operator", "localhost", "node", "member", "system", "cli", "tls",      \
	"auditor", "monitor", "all", "none", "anonymous", "unknown"
int reg_org_id_reserved(const reg_store *s, const char *org_id);

#endif
