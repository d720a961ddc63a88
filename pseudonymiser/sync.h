/* The pseudonymiser's side of the registry: following the member events
 * (revocations are refused from then on; its own enrolment and epoch keys
 * are checked against what it holds, and anything else for its org id
 * raises an audited alert), and publishing the key of a new epoch
 * (rotate). Every event must verify under the pinned registry key. */
#ifndef SK_PS_SYNC_H
#define SK_PS_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "common/writer.h"
#include "crypto/note.h"
#include "net/conn.h"
#include "pseudonymiser/store.h"

#define PS_EVENTS_BATCH 256     /* events asked for per request */
#define PS_EVENTS_PAGES_MAX 4096 /* requests per pull, at most */
#define PS_REGISTRY_TIMEOUT_MS 10000

/* One member event, verified and copied out. */
typedef struct ps_event {
	Schakel__V1__MemberEventKind kind;
	char org_id[NET_ORG_ID_MAX + 1];
	uint64_t leaf_index, time, not_after;
	uint32_t epoch;
	int has_oprf_key, has_identity_key;
	uint8_t oprf_key[OPRF_ELEMENT_BYTES];
	uint8_t identity_key[KEY_ED25519_PK_BYTES];
	int has_cert;            /* enrolments and rekeys: the member's certificate */
	uint8_t cert_sha256[32]; /* ... as its SHA-256, pinned (ps_cert_pin_put) */
} ps_event;

/* A page of events and what applying it did. */
typedef struct ps_events {
	ps_event ev[PS_EVENTS_BATCH];
	size_t n;
	uint64_t next;     /* the cursor after this page */
	unsigned revoked;  /* orgs newly recorded as revoked */
	unsigned alerts;   /* events for this org id it did not expect */
} ps_events;

/* Checks a page asked for from leaf index from: at most PS_EVENTS_BATCH
 * events, leaf indexes increasing from from on, each signed by
 * registry_pk over WIRE_DOMAIN_MEMBER_EVENT || body and well-formed.
 * All or nothing: SK_ERR_VERIFY (detail names the leaf) or
 * SK_ERR_INVALID / SK_ERR_TOOBIG. */
sk_status ps_events_verify(ps_events *out, const Schakel__V1__MemberEventsResponse *r,
			   uint64_t from,
			   const uint8_t registry_pk[static KEY_ED25519_PK_BYTES]) SK_MUST_CHECK;

/* Applies a verified page in txn (a writer job): revoked orgs, members'
 * current certificates (pinned; a rekey's MEMBER_REFRESHED replaces the
 * pin, audited "org.rekey"), this
 * pseudonymiser's own epochs seen in the log, alerts (audited), and the
 * cursor. Counts go to ev->revoked and ev->alerts. */
sk_status ps_events_apply(ps_store *s, MDB_txn *txn, ps_events *ev) SK_MUST_CHECK;

/* Pulls every member event after the stored cursor from the registry at
 * addr, over *sc (connected first when NULL; closed and set to NULL after
 * a failure), verifying and applying page after page through w (NULL: a
 * write transaction of its own). First it asks which log the registry
 * keeps: after a rollover (ps_rollover_verify) the cursor goes back to
 * the statement's leaf (ps_rollover_apply). A rollover that does not
 * verify is not followed, the events are still pulled, and its status
 * is returned. *revoked and *alerts (may be NULL) get the totals.
 * Blocking: never call it on an event loop. */
sk_status ps_events_pull(ps_store *s, const net_tls *tls, const char *addr, net_sync **sc,
			 sk_writer *w, unsigned *revoked, unsigned *alerts) SK_MUST_CHECK;

/* The registry's log as a ConsistencyResponse to a request naming the
 * origin this pseudonymiser follows (docs/protocol.md "Rollover"). */
typedef struct ps_rollover {
	int rolled;              /* 0: still the log followed; 1: rolled over */
	uint64_t restored_size;  /* rolled: the (first) statement's leaf index */
	char new_origin[NOTE_ORIGIN_MAX + 1];
} ps_rollover;

/* Checks cr against the log followed, origin tracked, under the pinned
 * registry key pk: either a checkpoint of tracked, or a checkpoint of
 * another origin with the statement rolling tracked over to it, or a
 * chain of them (cr->chain, then the last; wire_rollover_links), each
 * verified in order (wire_rollover_check, rolling over the log reached so
 * far, the same key under its new origin, the statement as the leaf after
 * the restored tree in its new log's checkpoint: wire_rollover_linked).
 * restored_size is the first statement's leaf (every later log keeps the
 * logs before as its prefix). The new checkpoint's cosignatures are not
 * counted: following a rollover only makes the pseudonymiser read member
 * events again, each signed by pk. SK_ERR_VERIFY (detail set) otherwise. */
sk_status ps_rollover_verify(ps_rollover *out, const Schakel__V1__ConsistencyResponse *cr,
			     const char *tracked,
			     const uint8_t pk[static KEY_ED25519_PK_BYTES]) SK_MUST_CHECK;

/* Applies a verified rollover in txn (a writer job): the member-event
 * cursor goes back to the statement's leaf when it is past it (events the
 * registry records again after the restore have leaf indexes from there
 * on; those before it are the restored tree's, applied already), the new
 * origin is followed (PS_META_LOG_ORIGIN), and the audit log gets
 * registry.rollover. *cursor_was (may be NULL) gets the cursor before. */
sk_status ps_rollover_apply(ps_store *s, MDB_txn *txn, const char *old_origin,
			    const ps_rollover *r, uint64_t *cursor_was) SK_MUST_CHECK;

/* After the registry lost what it recorded since a backup (restored,
 * then rolled over: docs/protocol.md "Rollover"): checks that the log
 * still holds each epoch key this pseudonymiser published after epoch 1 at
 * its recorded leaf, and from the first one it does not on, sends those
 * keys again, signed by id, recording their new leaves through w (NULL: a
 * write transaction of its own). *sent gets how many. Blocking: never
 * call it on an event loop. A registry that drops a key on purpose gets
 * the same signed key back; nothing else changes. */
sk_status ps_epochs_republish(ps_store *s, net_sync *sc, const key_ed25519 *id, sk_writer *w,
			      unsigned *sent) SK_MUST_CHECK;

/* Rotates to the next epoch: its key (created, or reused from an earlier
 * attempt that got no receipt), an EpochKeyRequest signed by the identity
 * key with not_before now and not_after the end of until_day, sent to the
 * registry; on the receipt the epoch is recorded (it becomes the current
 * one; older epochs are served until their own not_after). *out gets it. */
sk_status ps_rotate(ps_store *s, sk_kek *kek, uint32_t until_day, ps_epoch *out) SK_MUST_CHECK;

#endif
