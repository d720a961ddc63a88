#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "crypto/merkle.h"
#include "net/cert.h"
#include "protos/rollover.h"
#include "protos/wire.h"
#include "pseudonymiser/sync.h"

sk_status ps_events_verify(ps_events *out, const Schakel__V1__MemberEventsResponse *r,
			   uint64_t from, const uint8_t registry_pk[static KEY_ED25519_PK_BYTES])
{
	sk_status st = SK_OK;

	out->n = 0;
	out->next = from;
	out->revoked = out->alerts = 0;
	if (r->n_events > PS_EVENTS_BATCH) {
		sk_error_set("the registry sent %zu member events for %d asked", r->n_events,
			     PS_EVENTS_BATCH);
		return SK_ERR_TOOBIG;
	}
	for (size_t i = 0; i < r->n_events; i++) {
		const Schakel__V1__SignedMemberEvent *se = r->events[i];
		Schakel__V1__MemberEvent *m = NULL;
		ps_event *e = &out->ev[i];

		if (se->leaf_index < out->next) {
			sk_error_set("the registry's member events are out of order at leaf %llu",
				     (unsigned long long)se->leaf_index);
			st = SK_ERR_INVALID;
			break;
		}
		if (se->signature.len != KEY_SIG_BYTES ||
		    key_verify(se->signature.data, WIRE_DOMAIN_MEMBER_EVENT, se->body.data,
			       se->body.len, registry_pk) != SK_OK) {
			sk_error_set("the member event at leaf %llu does not verify under the "
				     "pinned registry key",
				     (unsigned long long)se->leaf_index);
			st = SK_ERR_VERIFY;
			break;
		}
		m = schakel__v1__member_event__unpack(NULL, se->body.len, se->body.data);
		if (m == NULL || !net_cert_id_valid(m->org_id, NET_ORG_ID_MAX) ||
		    (m->has_oprf_key && m->oprf_key.len != OPRF_ELEMENT_BYTES) ||
		    (m->has_identity_key && m->identity_key.len != KEY_ED25519_PK_BYTES)) {
			schakel__v1__member_event__free_unpacked(m, NULL);
			sk_error_set("the member event at leaf %llu is malformed",
				     (unsigned long long)se->leaf_index);
			st = SK_ERR_INVALID;
			break;
		}
		memset(e, 0, sizeof(*e));
		e->kind = m->kind;
		memcpy(e->org_id, m->org_id, strlen(m->org_id) + 1);
		e->leaf_index = se->leaf_index;
		e->time = m->time;
		e->epoch = m->has_epoch ? m->epoch : 0;
		e->not_after = m->has_not_after ? m->not_after : 0;
		if ((e->has_oprf_key = m->has_oprf_key))
			memcpy(e->oprf_key, m->oprf_key.data, OPRF_ELEMENT_BYTES);
		if ((e->has_identity_key = m->has_identity_key))
			memcpy(e->identity_key, m->identity_key.data, KEY_ED25519_PK_BYTES);
		if ((e->has_cert = m->has_cert && m->cert.len > 0 &&
				   (m->kind == SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENROLLED ||
				    m->kind == SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REFRESHED)))
			crypto_hash_sha256(e->cert_sha256, m->cert.data, m->cert.len);
		schakel__v1__member_event__free_unpacked(m, NULL);
		out->next = se->leaf_index + 1;
		out->n = i + 1;
	}
	if (st != SK_OK) {
		out->n = 0;
		out->next = from;
	}
	return st;
}

static sk_status alert(ps_store *s, MDB_txn *txn, ps_events *ev, const ps_event *e,
		       const char *what)
{
	audit_record rec = {0};
	char reason[192];

	snprintf(reason, sizeof(reason), "%s (leaf %llu)", what, (unsigned long long)e->leaf_index);
	rec.event = "member.alert";
	rec.action = AUDIT_ACTION_READ;
	rec.outcome = AUDIT_OUTCOME_FAILED;
	rec.reason = reason;
	rec.access_point = "registry";
	rec.responsible = PS_SYSTEM;
	ev->alerts++;
	sk_log(SK_LOG_ERROR, "%s: ALERT: %s", PS_SYSTEM, reason);
	return ps_audit(s, txn, &rec);
}

/* An event about this pseudonymiser's own org id: it must be what it sent. */
static sk_status own_event(ps_store *s, MDB_txn *txn, ps_events *ev, const ps_event *e)
{
	ps_epoch ep;
	uint32_t n = e->kind == SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_EPOCH_KEY ? e->epoch : 1;
	sk_status st;

	if (e->kind == SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REVOKED)
		return alert(s, txn, ev, e, "the registry revoked this pseudonymiser");
	if (e->kind != SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENROLLED &&
	    e->kind != SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_EPOCH_KEY)
		return SK_OK;
	if (e->kind == SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENROLLED &&
	    (!e->has_identity_key ||
	     sodium_memcmp(e->identity_key, s->identity_pk, KEY_ED25519_PK_BYTES) != 0))
		return alert(s, txn, ev, e,
			     "the registry enrolled this org id with an identity key that is not "
			     "this pseudonymiser's");
	st = ps_epoch_get(s, txn, n, &ep);
	/* a rotate whose receipt was lost: its key is in the log after all */
	if (st == SK_ERR_NOTFOUND && e->has_oprf_key &&
	    ps_epoch_pending_get(s, txn, &ep) == SK_OK && ep.epoch == n &&
	    sodium_memcmp(ep.pk, e->oprf_key, OPRF_ELEMENT_BYTES) == 0) {
		ep.in_log = 1;
		ep.leaf_index = e->leaf_index;
		if ((st = ps_epoch_put(s, txn, &ep)) != SK_OK)
			return st;
		return ps_epoch_pending_del(s, txn);
	}
	if (st == SK_ERR_NOTFOUND || (st == SK_OK && (!e->has_oprf_key ||
						      sodium_memcmp(ep.pk, e->oprf_key,
								    OPRF_ELEMENT_BYTES) != 0)))
		return alert(s, txn, ev, e,
			     "the registry's log holds an OPRF key for this pseudonymiser that it "
			     "did not publish");
	if (st != SK_OK || ep.in_log)
		return st;
	ep.in_log = 1;
	ep.leaf_index = e->leaf_index;
	return ps_epoch_put(s, txn, &ep);
}

sk_status ps_events_apply(ps_store *s, MDB_txn *txn, ps_events *ev)
{
	sk_status st = SK_OK;

	ev->revoked = ev->alerts = 0;
	for (size_t i = 0; i < ev->n && st == SK_OK; i++) {
		const ps_event *e = &ev->ev[i];
		ps_access a;
		audit_record rec = {0};

		if (strcmp(e->org_id, s->org_id) == 0) {
			st = own_event(s, txn, ev, e);
			continue;
		}
		if (e->has_cert) {
			uint8_t pin[32];
			sk_status pst = ps_cert_pin_get(s, txn, e->org_id, pin);

			/* the same certificate again (recorded again after a
			 * rollover): nothing changes, nothing to audit */
			if (pst == SK_OK && sodium_memcmp(pin, e->cert_sha256, sizeof(pin)) == 0)
				continue;
			if (pst != SK_OK && pst != SK_ERR_NOTFOUND) {
				st = pst;
				continue;
			}
			st = ps_cert_pin_put(s, txn, e->org_id, e->cert_sha256);
			if (st == SK_OK &&
			    e->kind == SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REFRESHED) {
				rec.event = "org.rekey";
				rec.action = AUDIT_ACTION_UPDATE;
				rec.outcome = AUDIT_OUTCOME_OK;
				rec.counterpart = e->org_id;
				rec.reason = "new certificate in the registry's log; the old one is refused";
				rec.access_point = "registry";
				rec.responsible = PS_SYSTEM;
				st = ps_audit(s, txn, &rec);
			}
			continue;
		}
		if (e->kind != SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REVOKED)
			continue;
		if ((st = ps_access_get(s, txn, e->org_id, &a)) != SK_OK || a.revoked)
			continue;
		rec.event = "org.revoked";
		rec.action = AUDIT_ACTION_UPDATE;
		rec.outcome = AUDIT_OUTCOME_OK;
		rec.counterpart = e->org_id;
		rec.access_point = "registry";
		rec.responsible = PS_SYSTEM;
		if ((st = ps_revoked_put(s, txn, e->org_id, e->time, e->leaf_index)) == SK_OK &&
		    (st = ps_audit(s, txn, &rec)) == SK_OK)
			ev->revoked++;
	}
	if (st == SK_OK)
		st = ps_meta_u64_put(s, txn, PS_META_EVENTS_FROM, ev->next);
	return st;
}

struct apply_job {
	ps_store *s;
	ps_events *ev;
};

static sk_status apply_job(MDB_txn *txn, void *arg)
{
	struct apply_job *j = arg;

	return ps_events_apply(j->s, txn, j->ev);
}

/* Runs fn in a write transaction of its own (CLI use, no writer). */
static sk_status run_txn(MDB_env *env, sk_write_fn fn, void *arg)
{
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = fn(txn, arg)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

/* A connection to the federation's registry: the registry role (OU) and,
 * when the bundle pins one, its TLS key; not the name alone. */
static sk_status registry_connect(ps_store *s, net_sync **sc, const net_tls *tls,
				  const char *addr)
{
	Schakel__V1__BundleBody *b = NULL;
	sk_status st;

	if (*sc != NULL)
		return SK_OK;
	if ((st = ps_bundle_load(s, &b)) != SK_OK)
		return st;
	if ((st = net_sync_connect(sc, tls, addr, NULL, PS_REGISTRY_TIMEOUT_MS)) != SK_OK)
		goto out;
	if (strcmp(net_sync_peer(*sc)->category, NET_ROLE_REGISTRY) != 0) {
		sk_error_set("the server at %s is '%s', not the federation's registry", addr,
			     net_sync_peer(*sc)->org_id);
		st = SK_ERR_VERIFY;
	} else if (b->has_registry_tls_key &&
		   (b->registry_tls_key.len != KEY_ED25519_PK_BYTES ||
		    sodium_memcmp(net_sync_peer(*sc)->tls_pk, b->registry_tls_key.data,
				  KEY_ED25519_PK_BYTES) != 0)) {
		sk_error_set("the server at %s does not hold the registry TLS key our bundle pins; "
			     "not talking to it (if the registry was re-keyed, join its refreshed "
			     "bundle)",
			     addr);
		st = SK_ERR_VERIFY;
	}
	if (st != SK_OK) {
		net_sync_close(*sc);
		*sc = NULL;
	}
out:
	schakel__v1__bundle_body__free_unpacked(b, NULL);
	return st;
}

/* ---- the registry's log across a rollover ---------------------------------- */

sk_status ps_rollover_verify(ps_rollover *out, const Schakel__V1__ConsistencyResponse *cr,
			     const char *tracked, const uint8_t pk[static KEY_ED25519_PK_BYTES])
{
	wire_rollover_link links[WIRE_ROLLOVER_CHAIN_MAX];
	note_verifier log;
	note_checkpoint cp;
	size_t nl = 0;
	sk_status st = SK_OK;

	memset(out, 0, sizeof(*out));
	if (note_verifier_from_public(&log, tracked, NOTE_TYPE_ED25519, pk) != SK_OK) {
		sk_error_set("the registry log this pseudonymiser follows has an unusable name");
		return SK_ERR_INVALID;
	}
	if (cr->rollover == NULL && cr->n_chain == 0) {
		if (note_checkpoint_open(&cp, NULL, cr->checkpoint.data, cr->checkpoint.len, &log,
					 NULL, 0) == SK_OK)
			return SK_OK;
		sk_error_set("the registry's checkpoint is not one of log %s under the pinned key, "
			     "and no rollover statement links it to that log",
			     tracked);
		return SK_ERR_VERIFY;
	}
	if (wire_rollover_links(links, &nl, cr) != SK_OK) {
		sk_error_set("the registry's rollover statements come malformed or without their "
			     "proofs");
		return SK_ERR_VERIFY;
	}
	/* each link in order, from the log followed to the registry's: signed
	 * by pk, rolling over the log reached so far, its statement after the
	 * restored tree in its new log's checkpoint (the link's own, or the
	 * response's for the last) */
	for (size_t k = 0; k < nl && st == SK_OK; k++) {
		const wire_rollover_link *l = &links[k];
		const ProtobufCBinaryData *note = l->checkpoint != NULL ? l->checkpoint : &cr->checkpoint;
		wire_rollover ro = {0};

		st = SK_ERR_VERIFY;
		if (wire_rollover_check(&ro, l->body->data, l->body->len, l->sig->data, pk, NULL, 0,
					NULL) != SK_OK ||
		    strcmp(ro.st->old_origin, log.name) != 0) {
			sk_error_set("the registry's rollover statement does not verify under the "
				     "pinned key, or rolls over another log than %s",
				     log.name);
		} else if (note_verifier_from_public(&log, ro.st->new_origin, NOTE_TYPE_ED25519, pk) !=
				   SK_OK ||
			   note_checkpoint_open(&cp, NULL, note->data, note->len, &log, NULL, 0) !=
				   SK_OK ||
			   wire_rollover_linked(&ro, l->body->data, l->body->len, l->sig->data, &cp,
						l->inclusion, l->n_inc, l->consistency,
						l->n_cons) != SK_OK) {
			sk_error_set("the registry's new log %s does not hold its rollover statement "
				     "after the restored tree",
				     ro.st->new_origin);
		} else {
			/* events are read again from the lowest statement leaf (the
			 * first: every later log keeps the restored tree before it) */
			if (k == 0 || ro.restored.size < out->restored_size)
				out->restored_size = ro.restored.size;
			memcpy(out->new_origin, ro.st->new_origin, strlen(ro.st->new_origin) + 1);
			st = SK_OK;
		}
		wire_rollover_free(&ro);
	}
	if (st != SK_OK) {
		memset(out, 0, sizeof(*out));
		return st;
	}
	out->rolled = 1;
	return SK_OK;
}

sk_status ps_rollover_apply(ps_store *s, MDB_txn *txn, const char *old_origin,
			    const ps_rollover *r, uint64_t *cursor_was)
{
	audit_record rec = {0};
	char reason[2 * NOTE_ORIGIN_MAX + 160];
	uint64_t cursor = 0;
	sk_status st;

	if ((st = ps_meta_u64(s, txn, PS_META_EVENTS_FROM, 0, &cursor)) != SK_OK)
		return st;
	if (cursor_was != NULL)
		*cursor_was = cursor;
	snprintf(reason, sizeof(reason),
		 "log %s rolled over to %s (statement at leaf %llu); member events read again "
		 "from leaf %llu",
		 old_origin, r->new_origin, (unsigned long long)r->restored_size,
		 (unsigned long long)(cursor > r->restored_size ? r->restored_size : cursor));
	rec.event = "registry.rollover";
	rec.action = AUDIT_ACTION_UPDATE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.reason = reason;
	rec.access_point = "registry";
	rec.responsible = PS_SYSTEM;
	if (cursor > r->restored_size &&
	    (st = ps_meta_u64_put(s, txn, PS_META_EVENTS_FROM, r->restored_size)) != SK_OK)
		return st;
	if ((st = ps_meta_str_put(s, txn, PS_META_LOG_ORIGIN, r->new_origin)) != SK_OK)
		return st;
	return ps_audit(s, txn, &rec);
}

struct follow_job {
	ps_store *s;
	const char *old_origin;
	const ps_rollover *r;
	uint64_t cursor_was;
};

static sk_status follow_job(MDB_txn *txn, void *arg)
{
	struct follow_job *j = arg;

	return ps_rollover_apply(j->s, txn, j->old_origin, j->r, &j->cursor_was);
}

/* Which log the registry keeps; after a verified rollover, the cursor
 * goes back (ps_rollover_apply). */
static sk_status log_follow(ps_store *s, net_sync *sc, sk_writer *w,
			    const uint8_t pk[static KEY_ED25519_PK_BYTES])
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__ConsistencyRequest req = SCHAKEL__V1__CONSISTENCY_REQUEST__INIT;
	Schakel__V1__BundleBody *b = NULL;
	char tracked[NOTE_ORIGIN_MAX + 1];
	ps_rollover r;
	struct follow_job job = {s, tracked, &r, 0};
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = ps_meta_str(s, txn, PS_META_LOG_ORIGIN, tracked, sizeof(tracked));
	mdb_txn_abort(txn);
	if (st == SK_OK && tracked[0] == 0) {
		if ((st = ps_bundle_load(s, &b)) != SK_OK)
			return st;
		if (strlen(b->log_origin) >= sizeof(tracked)) {
			sk_error_set("the bundle's log origin is too long");
			st = SK_ERR_INVALID;
		} else {
			memcpy(tracked, b->log_origin, strlen(b->log_origin) + 1);
		}
		schakel__v1__bundle_body__free_unpacked(b, NULL);
	}
	if (st != SK_OK)
		return st;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_CONSISTENCY_REQUEST;
	env.consistency_request = &req;
	req.from = 0;
	req.origin = tracked;
	if ((st = net_sync_request(sc, &env, &reply)) != SK_OK)
		return st;
	if (reply->body_case != SCHAKEL__V1__ENVELOPE__BODY_CONSISTENCY_RESPONSE) {
		sk_error_set("the registry answered a checkpoint request with something else");
		st = SK_ERR_INVALID;
	} else if ((st = ps_rollover_verify(&r, reply->consistency_response, tracked, pk)) ==
			   SK_OK &&
		   r.rolled) {
		st = w != NULL ? sk_writer_run(w, follow_job, &job)
			       : run_txn(s->env, follow_job, &job);
		if (st == SK_OK)
			sk_log(SK_LOG_NOTICE,
			       "%s: the registry's log rolled over to %s (its statement checked); "
			       "member events are read again from leaf %llu",
			       PS_SYSTEM, r.new_origin,
			       (unsigned long long)(job.cursor_was > r.restored_size
							    ? r.restored_size
							    : job.cursor_was));
	}
	wire_envelope_free(reply);
	return st;
}

sk_status ps_events_pull(ps_store *s, const net_tls *tls, const char *addr, net_sync **sc,
			 sk_writer *w, unsigned *revoked, unsigned *alerts)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__MemberEventsRequest req = SCHAKEL__V1__MEMBER_EVENTS_REQUEST__INIT;
	uint8_t pk[KEY_ED25519_PK_BYTES];
	ps_events *ev = malloc(sizeof(*ev));
	struct apply_job job = {s, ev};
	unsigned nrev = 0, nal = 0;
	MDB_txn *txn = NULL;
	char fwhy[256] = "";
	sk_status st, fst = SK_OK;

	if (ev == NULL)
		return SK_ERR_NOMEM;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_MEMBER_EVENTS_REQUEST;
	env.member_events_request = &req;
	req.has_max = 1;
	req.max = PS_EVENTS_BATCH;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	st = ps_registry_key(s, txn, pk);
	mdb_txn_abort(txn);
	if (st != SK_OK || (st = registry_connect(s, sc, tls, addr)) != SK_OK)
		goto out;
	/* a rollover moves the cursor back first; one that does not verify
	 * is not followed, and the events are pulled all the same */
	if ((fst = log_follow(s, *sc, w, pk)) != SK_OK) {
		snprintf(fwhy, sizeof(fwhy), "%s", sk_error_detail());
		if (fst != SK_ERR_VERIFY && fst != SK_ERR_INVALID && fst != SK_ERR_TRUNCATED &&
		    fst != SK_ERR_NOTFOUND && fst != SK_ERR_PERM) {
			st = fst; /* the connection failed */
			goto out;
		}
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	st = ps_meta_u64(s, txn, PS_META_EVENTS_FROM, 0, &req.from);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		goto out;
	for (unsigned page = 0; page < PS_EVENTS_PAGES_MAX; page++) {
		if ((st = net_sync_request(*sc, &env, &reply)) != SK_OK)
			goto out;
		if (reply->body_case != SCHAKEL__V1__ENVELOPE__BODY_MEMBER_EVENTS_RESPONSE) {
			sk_error_set("the registry answered member events with something else");
			st = SK_ERR_INVALID;
			goto out;
		}
		st = ps_events_verify(ev, reply->member_events_response, req.from, pk);
		wire_envelope_free(reply);
		reply = NULL;
		if (st != SK_OK || ev->n == 0)
			goto out;
		if ((st = w != NULL ? sk_writer_run(w, apply_job, &job)
				    : run_txn(s->env, apply_job, &job)) != SK_OK)
			goto out;
		nrev += ev->revoked;
		nal += ev->alerts;
		req.from = ev->next;
	}
out:
	if (st != SK_OK && *sc != NULL) {
		net_sync_close(*sc);
		*sc = NULL;
	}
	if (st == SK_OK && fst != SK_OK) {
		sk_error_set("%s", fwhy);
		st = fst;
	}
	if (revoked != NULL)
		*revoked = nrev;
	if (alerts != NULL)
		*alerts = nal;
	wire_envelope_free(reply);
	free(ev);
	return st;
}

/* Signs and sends the epoch key over sc; *leaf gets the receipt's leaf. */
static sk_status send_epoch_key(ps_store *s, net_sync *sc, const key_ed25519 *id,
				const ps_epoch *e, uint64_t *leaf)
{
	Schakel__V1__EpochKeyBody b = SCHAKEL__V1__EPOCH_KEY_BODY__INIT;
	Schakel__V1__EpochKeyRequest req = SCHAKEL__V1__EPOCH_KEY_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	uint8_t body[256], sig[KEY_SIG_BYTES];
	size_t n;
	sk_status st;

	b.org_id = s->org_id;
	b.epoch = e->epoch;
	b.oprf_key = (ProtobufCBinaryData){OPRF_ELEMENT_BYTES, (uint8_t *)e->pk};
	b.not_before = e->not_before;
	b.not_after = e->not_after;
	if (schakel__v1__epoch_key_body__get_packed_size(&b) > sizeof(body))
		return SK_ERR_TOOBIG;
	n = schakel__v1__epoch_key_body__pack(&b, body);
	if ((st = key_sign(sig, WIRE_DOMAIN_EPOCH_KEY, body, n, id->sk)) != SK_OK)
		return st;
	req.body = (ProtobufCBinaryData){n, body};
	req.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_EPOCH_KEY_REQUEST;
	env.epoch_key_request = &req;
	if ((st = net_sync_request(sc, &env, &reply)) != SK_OK)
		return st;
	if (reply->body_case == SCHAKEL__V1__ENVELOPE__BODY_EPOCH_KEY_RECEIPT)
		*leaf = reply->epoch_key_receipt->leaf_index;
	else {
		sk_error_set("the registry answered the epoch key with something else");
		st = SK_ERR_INVALID;
	}
	wire_envelope_free(reply);
	return st;
}

/* Whether the registry's log holds epoch e's key at e->leaf_index: asks
 * for the one member event from that leaf on, verified. *held 0 when the
 * leaf holds something else or nothing (a registry restored from a backup
 * older than the rotate, then rolled over). */
static sk_status epoch_held(ps_store *s, net_sync *sc, const ps_epoch *e,
			    const uint8_t registry_pk[static KEY_ED25519_PK_BYTES], ps_events *ev,
			    int *held)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__MemberEventsRequest req = SCHAKEL__V1__MEMBER_EVENTS_REQUEST__INIT;
	const ps_event *x = &ev->ev[0];
	sk_status st;

	*held = 0;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_MEMBER_EVENTS_REQUEST;
	env.member_events_request = &req;
	req.from = e->leaf_index;
	req.has_max = 1;
	req.max = 1;
	if ((st = net_sync_request(sc, &env, &reply)) != SK_OK)
		return st;
	if (reply->body_case != SCHAKEL__V1__ENVELOPE__BODY_MEMBER_EVENTS_RESPONSE) {
		sk_error_set("the registry answered member events with something else");
		st = SK_ERR_INVALID;
	} else if ((st = ps_events_verify(ev, reply->member_events_response, e->leaf_index,
					  registry_pk)) == SK_OK) {
		*held = ev->n == 1 && x->leaf_index == e->leaf_index &&
			x->kind == SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_EPOCH_KEY &&
			strcmp(x->org_id, s->org_id) == 0 && x->epoch == e->epoch && x->has_oprf_key &&
			sodium_memcmp(x->oprf_key, e->pk, OPRF_ELEMENT_BYTES) == 0;
	}
	wire_envelope_free(reply);
	return st;
}

struct leaf_job {
	ps_store *s;
	const ps_epoch *e;
};

/* Writer: the epoch's new leaf, audited. */
static sk_status leaf_job(MDB_txn *txn, void *arg)
{
	struct leaf_job *j = arg;
	audit_record rec = {0};
	char reason[128];
	sk_status st;

	snprintf(reason, sizeof(reason),
		 "epoch %u published again after the registry lost it (leaf %llu)", j->e->epoch,
		 (unsigned long long)j->e->leaf_index);
	rec.event = "epoch.republish";
	rec.action = AUDIT_ACTION_UPDATE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.reason = reason;
	rec.access_point = "registry";
	rec.responsible = PS_SYSTEM;
	if ((st = ps_epoch_put(j->s, txn, j->e)) != SK_OK)
		return st;
	return ps_audit(j->s, txn, &rec);
}

static sk_status send_epoch_key(ps_store *s, net_sync *sc, const key_ed25519 *id,
				const ps_epoch *e, uint64_t *leaf);

sk_status ps_epochs_republish(ps_store *s, net_sync *sc, const key_ed25519 *id, sk_writer *w,
			      unsigned *sent)
{
	uint8_t pk[KEY_ED25519_PK_BYTES];
	ps_events *ev = malloc(sizeof(*ev));
	MDB_txn *txn = NULL;
	ps_epoch e;
	struct leaf_job job = {s, &e};
	uint32_t cur = 0;
	int held = 1, lost = 0;
	sk_status st;

	*sent = 0;
	if (ev == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if ((st = ps_registry_key(s, txn, pk)) == SK_OK)
		st = ps_epoch_current(s, txn, &cur);
	mdb_txn_abort(txn);
	/* epoch 1 is in the enrolment, which the operator repeats; from the
	 * first lost epoch on, every later one is sent again, oldest first (the
	 * registry takes only an epoch newer than the one it holds) */
	for (uint32_t n = 2; st == SK_OK && n <= cur; n++) {
		if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
			break;
		st = ps_epoch_get(s, txn, n, &e);
		mdb_txn_abort(txn);
		if (st == SK_ERR_NOTFOUND) {
			st = SK_OK;
			continue;
		}
		if (st != SK_OK || !e.in_log)
			continue;
		if (!lost && ((st = epoch_held(s, sc, &e, pk, ev, &held)) != SK_OK || held))
			continue;
		lost = 1;
		if ((st = send_epoch_key(s, sc, id, &e, &e.leaf_index)) == SK_ERR_EXISTS) {
			/* the registry holds a newer epoch (a rotate since): this
			 * one can no longer be recorded; the later ones still are */
			sk_log(SK_LOG_WARNING,
			       "%s: the registry's log lost epoch %u and holds a newer one; "
			       "epoch %u cannot be recorded again",
			       PS_SYSTEM, e.epoch, e.epoch);
			st = SK_OK;
			continue;
		}
		if (st != SK_OK || (st = w != NULL ? sk_writer_run(w, leaf_job, &job)
						   : run_txn(s->env, leaf_job, &job)) != SK_OK)
			break;
		sk_log(SK_LOG_NOTICE,
		       "%s: the registry's log no longer held epoch %u; published again (leaf %llu)",
		       PS_SYSTEM, e.epoch, (unsigned long long)e.leaf_index);
		(*sent)++;
	}
out:
	free(ev);
	return st;
}

/* Records the epoch of a receipt as the current one. */
static sk_status record_epoch(ps_store *s, const ps_epoch *e, uint32_t until_day)
{
	MDB_txn *txn = NULL;
	audit_record rec = {0};
	char reason[96], date[PS_DATE_BYTES];
	sk_status st;

	ps_date_format(date, until_day);
	snprintf(reason, sizeof(reason), "epoch %u until %s, leaf %llu", e->epoch, date,
		 (unsigned long long)e->leaf_index);
	rec.event = "epoch.rotate";
	rec.action = AUDIT_ACTION_CREATE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.reason = reason;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = ps_epoch_put(s, txn, e)) != SK_OK || (st = ps_epoch_pending_del(s, txn)) != SK_OK ||
	    (st = ps_audit(s, txn, &rec)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

sk_status ps_rotate(ps_store *s, sk_kek *kek, uint32_t until_day, ps_epoch *out)
{
	Schakel__V1__BundleBody *b = NULL;
	key_ed25519 *id = sodium_malloc(sizeof(*id));
	net_tls *tls = NULL;
	net_sync *sc = NULL;
	MDB_txn *txn = NULL;
	ps_epoch e = {0};
	uint32_t cur = 0;
	sk_status st;

	if (id == NULL)
		return SK_ERR_NOMEM;
	e.not_before = sk_clock_now_ms();
	e.not_after = ((uint64_t)until_day + 1) * PS_DAY_MS;
	if (e.not_after <= e.not_before) {
		sk_error_set("--until must be today or later");
		st = SK_ERR_INVALID;
		goto out;
	}
	/* the events first: they record an earlier rotate whose receipt was lost */
	if ((st = ps_bundle_load(s, &b)) != SK_OK || (st = ps_tls_load(s, kek, b, &tls)) != SK_OK ||
	    (st = ps_identity_load(s, kek, id)) != SK_OK ||
	    (st = ps_events_pull(s, tls, b->registry_address, &sc, NULL, NULL, NULL)) != SK_OK)
		goto out;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	if ((st = ps_epoch_current(s, txn, &cur)) == SK_OK) {
		e.epoch = cur + 1;
		if ((st = ps_epoch_key_make(s, kek, e.epoch, e.pk)) == SK_OK)
			st = ps_epoch_pending_put(s, txn, &e);
	}
	if (st != SK_OK) {
		mdb_txn_abort(txn);
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_commit(txn))) != SK_OK ||
	    (st = send_epoch_key(s, sc, id, &e, &e.leaf_index)) != SK_OK)
		goto out;
	if ((st = record_epoch(s, &e, until_day)) != SK_OK) {
		sk_error_set("the registry recorded epoch %u (leaf %llu) but it could not be stored "
			     "here; 'serve' records it from the registry's member events",
			     e.epoch, (unsigned long long)e.leaf_index);
		goto out;
	}
	*out = e;
out:
	net_sync_close(sc);
	net_tls_free(tls);
	schakel__v1__bundle_body__free_unpacked(b, NULL);
	key_ed25519_wipe(id);
	sodium_free(id);
	return st;
}
