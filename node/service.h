/* Service credentials: how the org's client system (ECD/EPD) signs in to
 * the integration API (web/api_integration.c), apart from professionals'
 * sessions. A credential is "svc.ID.SECRET", SECRET 32 random bytes in
 * hex, shown once when it is made; the node keeps only the BLAKE2b-256
 * hash of it under WIRE_DOMAIN_NODE_SERVICE (the secret has 256 bits of
 * entropy, so a plain hash leaves nothing to guess from a stolen
 * database; no stretching, so checking a request costs microseconds).
 * Stored in the `integration` database as "s" NUL ID -> JSON. */
#ifndef SK_NODE_SERVICE_H
#define SK_NODE_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "node/professional.h"
#include "node/store.h"

#define NODE_SERVICE_ID_MAX 32     /* [a-z0-9-], starting with a letter or digit */
#define NODE_SERVICE_SECRET_BYTES 32
/* "svc." ID "." 64 hex digits */
#define NODE_SERVICE_CRED_MAX (4 + NODE_SERVICE_ID_MAX + 1 + 2 * NODE_SERVICE_SECRET_BYTES)
#define NODE_SERVICE_ROLE "service"

/* A service as listed (no secret in it). */
typedef struct node_service {
	char id[NODE_SERVICE_ID_MAX + 1];
	char name[NODE_NAME_MAX + 1];
	uint64_t created_at, revoked_at; /* unix ms; revoked_at 0 while valid */
} node_service;

/* 1 when id is a valid service id. */
int node_service_id_valid(const char *id);

/* Makes service id (named name) with a fresh credential into cred (NUL
 * terminated; WARNING: a secret: show it once, then sodium_memzero it).
 * Audited ("service.add", user as, may be NULL). SK_ERR_EXISTS when id is
 * taken (also by a revoked one: ids are never reused); SK_ERR_INVALID for
 * a bad id or name. */
sk_status node_service_add(node_store *s, const char *id, const char *name, const char *as,
			   char cred[static NODE_SERVICE_CRED_MAX + 1]) SK_MUST_CHECK;

/* Revokes service id at once, for good (audited "service.revoke").
 * SK_ERR_NOTFOUND when there is none; SK_ERR_EXISTS when already revoked. */
sk_status node_service_revoke(node_store *s, const char *id, const char *as) SK_MUST_CHECK;

/* Every service, revoked ones too, as a JSON array (a new reference):
 * id, name, created_at, revoked_at (null while valid). Audited
 * ("service.list"). */
sk_status node_service_list(node_store *s, const char *as, json_t **out) SK_MUST_CHECK;

/* Checks credential cred (len bytes, not NUL terminated: straight from
 * the Authorization header) in a read transaction of its own: its id
 * exists, is not revoked, and the hash of cred matches (compared in
 * constant time). id gets the service id on success. SK_ERR_VERIFY for any
 * mismatch, never saying which. No audit record: the caller audits. */
sk_status node_service_check(node_store *s, const char *cred, size_t len,
			     char id[static NODE_SERVICE_ID_MAX + 1]) SK_MUST_CHECK;

#endif
