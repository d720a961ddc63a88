#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "common/pool.h"
#include "common/writer.h"
#include "net/conn.h"
#include "pseudonymiser/count.h"
#include "pseudonymiser/eval.h"
#include "pseudonymiser/serve.h"
#include "pseudonymiser/sync.h"
#include "witness/serve.h"

#define DRAIN_MS 10000
#define PS_EPOCH_CHECK_ROUNDS 10 /* syncs between checks that the registry holds our epoch keys */

typedef struct key_slot {
	uint32_t epoch;
	uint8_t *sk; /* sodium_malloc'd */
} key_slot;

typedef struct server {
	ps_store *store;
	sk_kek *kek;
	uint64_t rate, burst;
	unsigned sync_seconds;
	char registry[NET_ADDR_MAX];
	net_loop *loop;
	net_tls *tls;
	net_server *srv;
	note_verifier log_key; /* the registry's checkpoints, for the witness */
	wit_server *witness;
	sk_pool *pool;
	sk_writer *writer;
	ps_counts counts; /* loop thread only */
	/* any thread, under keys_lock (kek is not thread-safe either) */
	pthread_mutex_t keys_lock;
	key_slot keys[PS_KEYS_MAX];
	size_t n_keys;
	/* the member-event thread */
	pthread_t sync_thread;
	int sync_started, stopping;
	pthread_mutex_t sync_lock;
	pthread_cond_t sync_cond;
} server;

/* One evaluation request in flight: loop -> worker -> loop. */
typedef struct eval_job {
	server *sv;
	net_conn *conn;
	uint64_t request_id;
	uint32_t epoch;
	uint8_t pk[OPRF_ELEMENT_BYTES]; /* the epoch's recorded public key */
	size_t n;
	sk_status st;
	char why[256];
	uint8_t proof[OPRF_PROOF_BYTES];
	uint8_t *blinded, *evaluated; /* one allocation, n elements each */
} eval_job;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- epoch keys ------------------------------------------------------------ */

/* The secret key of epoch (loaded once, checked against its recorded public
 * key); valid until the server stops. */
static sk_status key_get(server *sv, uint32_t epoch, const uint8_t pk[OPRF_ELEMENT_BYTES],
			 const uint8_t **sk)
{
	uint8_t check[OPRF_ELEMENT_BYTES];
	key_slot *k = NULL;
	sk_status st = SK_OK;

	pthread_mutex_lock(&sv->keys_lock);
	for (size_t i = 0; i < sv->n_keys; i++)
		if (sv->keys[i].epoch == epoch)
			k = &sv->keys[i];
	if (k != NULL)
		goto out;
	if (sv->n_keys == PS_KEYS_MAX) {
		sk_error_set("too many epochs in use at once");
		st = SK_ERR_TOOBIG;
		goto out;
	}
	k = &sv->keys[sv->n_keys];
	if ((k->sk = sodium_malloc(OPRF_SCALAR_BYTES)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = ps_epoch_key_read(sv->store, sv->kek, epoch, k->sk)) == SK_OK &&
	    ((st = oprf_public_key(check, k->sk)) != SK_OK ||
	     sodium_memcmp(check, pk, OPRF_ELEMENT_BYTES) != 0)) {
		sk_error_set("the key file of epoch %u does not hold the epoch's public key", epoch);
		st = SK_ERR_KEY;
	}
	if (st != SK_OK) {
		sodium_free(k->sk);
		k->sk = NULL;
		goto out;
	}
	k->epoch = epoch;
	sv->n_keys++;
out:
	if (st == SK_OK)
		*sk = k->sk;
	pthread_mutex_unlock(&sv->keys_lock);
	return st;
}

/* ---- evaluation ------------------------------------------------------------- */

static void job_free(eval_job *j)
{
	if (j == NULL)
		return;
	if (j->blinded != NULL) {
		sodium_memzero(j->blinded, 2 * j->n * OPRF_ELEMENT_BYTES);
		free(j->blinded);
	}
	net_conn_unref(j->conn);
	free(j);
}

static sk_status send_response(eval_job *j)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__EvalResponse r = SCHAKEL__V1__EVAL_RESPONSE__INIT;
	ProtobufCBinaryData *ev = calloc(j->n, sizeof(*ev));
	sk_status st;

	if (ev == NULL)
		return SK_ERR_NOMEM;
	for (size_t i = 0; i < j->n; i++)
		ev[i] = (ProtobufCBinaryData){OPRF_ELEMENT_BYTES,
					      j->evaluated + i * OPRF_ELEMENT_BYTES};
	r.epoch = j->epoch;
	r.n_evaluated = j->n;
	r.evaluated = ev;
	r.proof = (ProtobufCBinaryData){OPRF_PROOF_BYTES, j->proof};
	env.request_id = j->request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_EVAL_RESPONSE;
	env.eval_response = &r;
	st = net_conn_send(j->conn, &env);
	free(ev);
	return st;
}

/* Loop thread: the answer goes back. */
static void on_eval_done(void *arg)
{
	eval_job *j = arg;

	if (j->st != SK_OK)
		sk_log(SK_LOG_NOTICE, "%s: refused an evaluation of %s: %s", PS_SYSTEM,
		       net_conn_peer(j->conn)->org_id, j->why[0] ? j->why : sk_strerror(j->st));
	if (net_conn_is_open(j->conn) &&
	    (j->st == SK_OK ? send_response(j)
			    : net_conn_send_error(j->conn, j->request_id, j->st, j->why)) != SK_OK)
		net_conn_close(j->conn);
	job_free(j);
}

/* Worker thread: the evaluation and its proof. */
static void on_eval(void *arg)
{
	eval_job *j = arg;
	const uint8_t *sk = NULL;
	size_t bad;

	sk_error_clear();
	if ((j->st = key_get(j->sv, j->epoch, j->pk, &sk)) == SK_OK)
		j->st = ps_eval_batch(j->evaluated, j->proof, &bad, j->blinded, j->n, sk);
	if (j->st != SK_OK)
		snprintf(j->why, sizeof(j->why), "%s", sk_error_detail());
	if (net_loop_call(j->sv->loop, on_eval_done, j) != SK_OK)
		job_free(j); /* the loop is gone: nobody to answer */
}

static sk_status access_check(const ps_access *a, const char *org)
{
	if (a->revoked) {
		sk_error_set("org '%s' is revoked in this federation", org);
		return SK_ERR_PERM;
	}
	if (!a->allowed) {
		sk_error_set("org '%s' is not allowed by this pseudonymiser", org);
		return SK_ERR_PERM;
	}
	return SK_OK;
}

static sk_status admit(void *ctx, const net_peer *peer)
{
	server *sv = ctx;
	MDB_txn *txn = NULL;
	ps_access a;
	uint8_t pin[32];
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(sv->store->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = ps_access_get(sv->store, txn, peer->org_id, &a);
	if (st == SK_OK && (st = access_check(&a, peer->org_id)) == SK_OK) {
		/* after a rekey only the certificate the log names now */
		st = ps_cert_pin_get(sv->store, txn, peer->org_id, pin);
		if (st == SK_OK && sodium_memcmp(pin, peer->cert_sha256, sizeof(pin)) != 0) {
			sk_error_set("this certificate of org '%s' was replaced in the registry's "
				     "log (new keys); it is refused",
				     peer->org_id);
			st = SK_ERR_PERM;
		} else if (st == SK_ERR_NOTFOUND) {
			st = SK_OK; /* enrolled before we followed the log: nothing pinned */
		}
	}
	mdb_txn_abort(txn);
	return st;
}

/* The epoch asked for: recorded and within its validity. */
static sk_status epoch_check(server *sv, MDB_txn *txn, uint32_t epoch, uint64_t now,
			     ps_epoch *e)
{
	char date[PS_DATE_BYTES];
	uint32_t cur = 0;
	sk_status st = ps_epoch_get(sv->store, txn, epoch, e);

	if (st == SK_ERR_NOTFOUND || (st == SK_OK && now >= e->not_after) ||
	    (st == SK_OK && now < e->not_before)) {
		if (ps_epoch_current(sv->store, txn, &cur) != SK_OK)
			cur = 0;
		if (st == SK_ERR_NOTFOUND) {
			sk_error_set("epoch %u is not served by this pseudonymiser (its current "
				     "epoch is %u)",
				     epoch, cur);
			return SK_ERR_NOTFOUND;
		}
		ps_date_format(date, ps_day_of(now >= e->not_after ? e->not_after - 1
								   : e->not_before));
		sk_error_set("epoch %u %s on %s; use epoch %u from a refreshed bundle", epoch,
			     now >= e->not_after ? "ended" : "starts", date, cur);
		return SK_ERR_INVALID;
	}
	return st;
}

/* Loop thread: every check of a request, the counters, then the pool. */
static sk_status eval_start(server *sv, net_conn *c, uint64_t id,
			    const Schakel__V1__EvalRequest *r, int *close_after)
{
	const char *org = net_conn_peer(c)->org_id;
	uint64_t now = sk_clock_now_ms(), n = r->n_blinded, used, left;
	uint32_t today = ps_day_of(now);
	ps_org *os, saved;
	eval_job *j = NULL;
	MDB_txn *txn = NULL;
	ps_access a;
	ps_epoch e;
	sk_status st;

	if ((st = ps_eval_check(r)) != SK_OK)
		return st;
	if ((st = sk_db_status(mdb_txn_begin(sv->store->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if ((st = ps_access_get(sv->store, txn, org, &a)) == SK_OK &&
	    (st = access_check(&a, org)) != SK_OK)
		*close_after = 1;
	if (st == SK_OK)
		st = epoch_check(sv, txn, r->epoch, now, &e);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		return st;
	if ((os = ps_counts_find(&sv->counts, org)) == NULL) {
		sk_error_set("this pseudonymiser is busy; retry shortly");
		return SK_ERR_TOOBIG;
	}
	ps_counts_roll(os, today);
	saved = *os;
	used = os->u.count;
	if (ps_usage_charge(&os->u, n, a.quota, a.has_grant ? &a.grant : NULL, today) != SK_OK) {
		left = ps_grant_left(&os->u, a.has_grant ? &a.grant : NULL, today);
		sk_error_set("daily quota of %llu evaluations reached for org '%s' (%llu used "
			     "today, %llu asked, %llu left of its grant); ask the pseudonymiser "
			     "operator for a grant",
			     (unsigned long long)a.quota, org, (unsigned long long)used,
			     (unsigned long long)n, (unsigned long long)left);
		return SK_ERR_PERM;
	}
	if (!ps_bucket_take(&os->bucket, sv->rate, sv->burst, n, mono_ms())) {
		*os = saved;
		sk_error_set("rate limit of %llu evaluations a second (burst %llu) reached for org "
			     "'%s'; retry shortly",
			     (unsigned long long)sv->rate, (unsigned long long)sv->burst, org);
		return SK_ERR_TOOBIG;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->blinded = malloc(2 * n * OPRF_ELEMENT_BYTES)) == NULL) {
		free(j);
		*os = saved;
		return SK_ERR_NOMEM;
	}
	j->sv = sv;
	j->conn = c;
	j->request_id = id;
	j->epoch = r->epoch;
	memcpy(j->pk, e.pk, sizeof(j->pk));
	j->n = n;
	j->evaluated = j->blinded + n * OPRF_ELEMENT_BYTES;
	for (size_t i = 0; i < n; i++)
		memcpy(j->blinded + i * OPRF_ELEMENT_BYTES, r->blinded[i].data, OPRF_ELEMENT_BYTES);
	net_conn_ref(c);
	if ((st = sk_pool_submit(sv->pool, on_eval, j)) != SK_OK) {
		job_free(j);
		*os = saved;
		sk_error_set("this pseudonymiser is busy; retry shortly");
		return st;
	}
	os->dirty = 1;
	return SK_OK;
}

static void request(void *ctx, net_conn *c, wire_envelope *env)
{
	server *sv = ctx;
	uint64_t id = env->request_id;
	int close_after = 0;
	sk_status st;

	sk_error_clear();
	if (env->body_case == SCHAKEL__V1__ENVELOPE__BODY_EVAL_REQUEST) {
		st = eval_start(sv, c, id, env->eval_request, &close_after);
	} else {
		sk_error_set("this pseudonymiser serves only evaluation requests");
		st = SK_ERR_INVALID;
	}
	if (st != SK_OK) {
		/* one log line per refusal, what the member is told */
		sk_log(SK_LOG_NOTICE, "%s: refused an evaluation of %s: %s", PS_SYSTEM,
		       net_conn_peer(c)->org_id,
		       sk_error_detail()[0] ? sk_error_detail() : sk_strerror(st));
		if (net_conn_send_error(c, id, st, sk_error_detail()) != SK_OK)
			close_after = 1;
	}
	if (close_after)
		net_conn_close(c);
	wire_envelope_free(env);
}

/* ---- counters: saved every PS_FLUSH_MS, daily totals audited ----------------- */

static void save_done(sk_status st, void *arg)
{
	if (st != SK_OK)
		sk_log(SK_LOG_WARNING, "%s: usage counters could not be saved: %s", PS_SYSTEM,
		       sk_strerror(st));
	free(arg);
}

/* Loop thread (or the main thread once the loop ended): hands the changed
 * counters to the writer; final (shutdown) waits for them and records
 * today's totals so far. */
static sk_status save(server *sv, int final)
{
	ps_save *f = NULL;
	sk_status st;

	if ((st = ps_counts_snapshot(&sv->counts, sv->store, ps_day_of(sk_clock_now_ms()), final, &f)) !=
		    SK_OK ||
	    f == NULL)
		return st;
	if (final) {
		st = sk_writer_run(sv->writer, ps_save_apply, f);
		free(f);
	} else if ((st = sk_writer_submit(sv->writer, ps_save_apply, save_done, f)) != SK_OK) {
		free(f); /* still unsaved: the next tick tries again */
	}
	if (st == SK_OK)
		ps_counts_saved(&sv->counts, final);
	return st;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)save(arg, 0);
}

/* ---- member events ---------------------------------------------------------- */

/* Whether the registry still holds this pseudonymiser's epoch keys (a
 * rollover loses those rotated after the backup); sent again if not. */
static sk_status epochs_check(server *sv, net_sync *sc)
{
	key_ed25519 *id = sodium_malloc(sizeof(*id));
	unsigned sent = 0;
	sk_status st;

	if (id == NULL)
		return SK_ERR_NOMEM;
	pthread_mutex_lock(&sv->keys_lock);
	st = ps_identity_load(sv->store, sv->kek, id);
	pthread_mutex_unlock(&sv->keys_lock);
	if (st == SK_OK)
		st = ps_epochs_republish(sv->store, sc, id, sv->writer, &sent);
	key_ed25519_wipe(id);
	sodium_free(id);
	return st;
}

static void sync_once(server *sv, net_sync **sc, int *failing, unsigned round)
{
	unsigned revoked = 0, alerts = 0;
	sk_status st, cst;

	st = ps_events_pull(sv->store, sv->tls, sv->registry, sc, sv->writer, &revoked, &alerts);
	if (st == SK_OK && round % PS_EPOCH_CHECK_ROUNDS == 0 &&
	    (cst = epochs_check(sv, *sc)) != SK_OK) {
		sk_log(SK_LOG_WARNING,
		       "%s: cannot check that the registry at %s holds this pseudonymiser's epoch "
		       "keys: %s; trying again in %u s",
		       PS_SYSTEM, sv->registry,
		       sk_error_detail()[0] ? sk_error_detail() : sk_strerror(cst),
		       PS_EPOCH_CHECK_ROUNDS * sv->sync_seconds);
		net_sync_close(*sc);
		*sc = NULL;
	}
	if (st != SK_OK && !*failing)
		sk_log(SK_LOG_WARNING,
		       "%s: cannot pull member events from the registry at %s: %s; "
		       "retrying every %u s",
		       PS_SYSTEM, sv->registry,
		       sk_error_detail()[0] ? sk_error_detail() : sk_strerror(st), sv->sync_seconds);
	else if (st == SK_OK && *failing)
		sk_log(SK_LOG_NOTICE, "%s: member events from the registry are flowing again",
		       PS_SYSTEM);
	*failing = st != SK_OK;
	if (revoked > 0)
		sk_log(SK_LOG_NOTICE, "%s: %u org(s) revoked by the federation; refused from now on",
		       PS_SYSTEM, revoked);
}

static void *sync_main(void *arg)
{
	server *sv = arg;
	net_sync *sc = NULL;
	struct timespec ts;
	int failing = 0;
	unsigned round = 1; /* round 0 ran before listening */

	pthread_mutex_lock(&sv->sync_lock);
	while (!sv->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += sv->sync_seconds;
		while (!sv->stopping &&
		       pthread_cond_timedwait(&sv->sync_cond, &sv->sync_lock, &ts) == 0)
			;
		if (sv->stopping)
			break;
		pthread_mutex_unlock(&sv->sync_lock);
		sync_once(sv, &sc, &failing, round++);
		pthread_mutex_lock(&sv->sync_lock);
	}
	pthread_mutex_unlock(&sv->sync_lock);
	net_sync_close(sc);
	return NULL;
}

static sk_status sync_start(server *sv)
{
	pthread_condattr_t ca;
	int rc;

	if (pthread_condattr_init(&ca) != 0)
		return SK_ERR_NOMEM;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(&sv->sync_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		return SK_ERR_NOMEM;
	if (pthread_create(&sv->sync_thread, NULL, sync_main, sv) != 0) {
		pthread_cond_destroy(&sv->sync_cond);
		return SK_ERR_NOMEM;
	}
	sv->sync_started = 1;
	return SK_OK;
}

static void sync_stop(server *sv)
{
	if (!sv->sync_started)
		return;
	pthread_mutex_lock(&sv->sync_lock);
	sv->stopping = 1;
	pthread_cond_signal(&sv->sync_cond);
	pthread_mutex_unlock(&sv->sync_lock);
	pthread_join(sv->sync_thread, NULL);
	pthread_cond_destroy(&sv->sync_cond);
	sv->sync_started = 0;
}

/* ---- start-up and shutdown --------------------------------------------------- */

struct preload {
	server *sv;
	uint64_t now;
	ps_epoch live[PS_KEYS_MAX];
	size_t n;
};

static sk_status epoch_live(const ps_epoch *e, void *arg)
{
	struct preload *p = arg;

	if (p->now < e->not_after && p->n < PS_KEYS_MAX)
		p->live[p->n++] = *e;
	return SK_OK;
}

/* Loads the bundle, TLS, the keys of every live epoch (a wrong KEK shows
 * now, not at the first request) and the saved counters. */
static sk_status load(server *sv)
{
	Schakel__V1__BundleBody *b = NULL;
	struct preload *p = calloc(1, sizeof(*p));
	MDB_txn *txn = NULL;
	const uint8_t *sk;
	sk_status st;

	if (p == NULL)
		return SK_ERR_NOMEM;
	p->sv = sv;
	p->now = sk_clock_now_ms();
	if ((st = ps_bundle_load(sv->store, &b)) != SK_OK ||
	    (st = ps_tls_load(sv->store, sv->kek, b, &sv->tls)) != SK_OK)
		goto out;
	if (strlen(b->registry_address) >= sizeof(sv->registry)) {
		st = SK_ERR_INVALID;
		goto out;
	}
	memcpy(sv->registry, b->registry_address, strlen(b->registry_address) + 1);
	if (b->registry_key.len != KEY_ED25519_PK_BYTES ||
	    (st = note_verifier_from_public(&sv->log_key, b->log_origin, NOTE_TYPE_ED25519,
					    b->registry_key.data)) != SK_OK) {
		sk_error_set("the bundle's registry key or log origin is not usable");
		st = SK_ERR_INVALID;
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_begin(sv->store->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if ((st = ps_epoch_scan(sv->store, txn, epoch_live, p)) == SK_OK)
		st = ps_counts_load(&sv->counts, sv->store, txn);
	mdb_txn_abort(txn);
	for (size_t i = 0; st == SK_OK && i < p->n; i++)
		st = key_get(sv, p->live[i].epoch, p->live[i].pk, &sk);
out:
	schakel__v1__bundle_body__free_unpacked(b, NULL);
	free(p);
	return st;
}

static void drained(void *arg)
{
	net_loop_stop(arg);
}

/* The cosigning witness on addr (HTTPS), with the identity key. */
static sk_status witness_start(server *sv, const char *addr)
{
	key_ed25519 *id = sodium_malloc(sizeof(*id));
	sk_status st;

	if (id == NULL)
		return SK_ERR_NOMEM;
	if ((st = ps_identity_load(sv->store, sv->kek, id)) == SK_OK &&
	    (st = wit_server_start(&sv->witness, sv->store->env, sv->tls, addr, &sv->log_key,
				   sv->store->org_id, id)) == SK_OK) {
		printf("witness listening on %s\n", wit_server_address(sv->witness));
		fflush(stdout);
	}
	key_ed25519_wipe(id);
	sodium_free(id);
	return st;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	server *sv = arg;

	net_server_drain(sv->srv, DRAIN_MS, drained, sv->loop);
}

sk_status ps_serve(ps_store *s, sk_kek *kek, const ps_serve_opts *o)
{
	static const net_server_ops ops = {.admit = admit, .request = request};
	server sv = {.store = s, .kek = kek};
	struct event *term = NULL, *intr = NULL, *tick = NULL;
	struct timeval tv = {PS_FLUSH_MS / 1000, (PS_FLUSH_MS % 1000) * 1000};
	net_sync *sc = NULL;
	int failing = 0;
	sk_status st, fst;

	sv.rate = o->rate ? o->rate : PS_RATE_DEFAULT;
	sv.burst = o->burst ? o->burst : PS_BURST_DEFAULT;
	sv.sync_seconds = o->sync_seconds ? o->sync_seconds : PS_SYNC_SECONDS_DEFAULT;
	pthread_mutex_init(&sv.keys_lock, NULL);
	pthread_mutex_init(&sv.sync_lock, NULL);
	if ((st = load(&sv)) != SK_OK || (st = net_loop_new(&sv.loop)) != SK_OK ||
	    (st = sk_pool_start(&sv.pool, o->workers)) != SK_OK ||
	    (st = sk_writer_start(&sv.writer, s->env, NULL, NULL, NULL)) != SK_OK)
		goto out;
	/* finished days from before a crash get their records now */
	if ((st = save(&sv, 0)) != SK_OK)
		goto out;
	/* revocations first, then listen; an unreachable registry only warns */
	sync_once(&sv, &sc, &failing, 0);
	net_sync_close(sc);
	if ((st = net_server_listen(&sv.srv, sv.loop, sv.tls, o->listen, &ops, NULL, &sv)) != SK_OK)
		goto out;
	term = evsignal_new(net_loop_base(sv.loop), SIGTERM, on_signal, &sv);
	intr = evsignal_new(net_loop_base(sv.loop), SIGINT, on_signal, &sv);
	tick = event_new(net_loop_base(sv.loop), -1, EV_PERSIST, on_tick, &sv);
	if (term == NULL || intr == NULL || tick == NULL || evsignal_add(term, NULL) != 0 ||
	    evsignal_add(intr, NULL) != 0 || event_add(tick, &tv) != 0) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = sync_start(&sv)) != SK_OK || (o->http != NULL && (st = witness_start(&sv, o->http)) != SK_OK))
		goto out;
	printf("listening on %s\n", net_server_address(sv.srv));
	fflush(stdout);
	st = net_loop_run(sv.loop);
out:
	wit_server_stop(sv.witness);
	sync_stop(&sv);
	if (term != NULL)
		event_free(term);
	if (intr != NULL)
		event_free(intr);
	if (tick != NULL)
		event_free(tick);
	net_server_free(sv.srv);
	/* in-flight evaluations finish; their replies are dropped with the loop */
	sk_pool_stop(sv.pool);
	if (sv.writer != NULL && (fst = save(&sv, 1)) != SK_OK && st == SK_OK)
		st = fst;
	sk_writer_stop(sv.writer);
	net_loop_free(sv.loop);
	net_tls_free(sv.tls);
	for (size_t i = 0; i < sv.n_keys; i++)
		sodium_free(sv.keys[i].sk);
	ps_counts_free(&sv.counts);
	pthread_mutex_destroy(&sv.keys_lock);
	pthread_mutex_destroy(&sv.sync_lock);
	return st;
}
