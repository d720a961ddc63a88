#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/file.h"
#include "common/log.h"
#include "common/pool.h"
#include "common/writer.h"
#include "net/conn.h"
#include "registry/anchor.h"
#include "registry/table.h"
#include "registry/cosign.h"
#include "registry/directory.h"
#include "registry/discuss.h"
#include "registry/enrol.h"
#include "registry/events.h"
#include "registry/lookup.h"
#include "registry/mailbox.h"
#include "registry/op.h"
#include "registry/retain.h"
#include "registry/sweep.h"
#include "registry/tiles.h"
#include "registry/publish.h"
#include "registry/reconcile.h"
#include "registry/resume.h"
#include "registry/screen.h"
#include "registry/serve.h"

#define LABEL_TLS "tls"
#define DRAIN_MS 10000
#define MEMBERS_CHECK_MS 250 /* open connections of a revoked org close within this */

typedef struct server {
	reg_store *store;
	struct event *sweep_timer;
	unsigned sweep_seconds;
	int sweeping;
	uint64_t audit_purged_at; /* writer thread only: the last daily audit purge */
	/* writer thread only: the receipts of the batch under way, which the
	 * batch hook signs together */
	reg_receipt *receipts[SK_WRITER_MAX_BATCH];
	size_t nreceipts;
	/* writer thread only: the batch's finished requests, handed on
	 * together when it ends (batch_end) */
	struct inflight *done_head, *done_tail;
	net_loop *loop;
	net_tls *tls;
	net_server *srv;
	sk_pool *pool;
	sk_writer *writer;
	reg_cosigner *cosigner;
	wit_https *tiles;
	/* loop thread only: membership as last checked against the store */
	MDB_txn *gen_txn;        /* a reset read transaction, renewed to read */
	uint64_t member_gen;     /* reg_member_gen() when open connections were last checked */
	sk_status recheck_failed; /* a check of that round could not read */
	struct event *member_timer;
} server;

/* Every request kind serve answers, one row each (registry/op.h). */
static const reg_op *const kinds[] = {
	&reg_op_publish,
	&reg_op_lookup,
	&reg_op_mailbox,
	&reg_op_discuss_request,
	&reg_op_discuss_answer,
	&reg_op_discuss_send,
	&reg_op_discuss_state,
	&reg_op_anchor,
	&reg_op_anchors,
	&reg_op_table_record,
	&reg_op_tables,
	&reg_op_table_submit,
	&reg_op_table_send,
	&reg_op_reconcile,
	&reg_op_resume,
	&reg_op_enc_key,
	&reg_op_epoch_key,
	&reg_op_member_events,
	&reg_op_consistency,
	&reg_op_directory_publish,
	&reg_op_directory_fetch,
};

const reg_op *reg_serve_op(Schakel__V1__Envelope__BodyCase body)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i]->body == body)
			return kinds[i];
	return NULL;
}

/* One request in flight through pool, writer and back to the loop. */
typedef struct inflight {
	struct inflight *next; /* in a batch's list of replies */
	server *sv;
	net_conn *conn;
	uint64_t request_id;
	const reg_op *op;
	void *job; /* op's */
	sk_status commit;
} inflight;

static void inflight_free(inflight *f)
{
	f->op->free(f->job);
	net_conn_unref(f->conn);
	free(f);
}

/* Loop thread: the durable outcome goes back to the member. */
static void on_loop_reply(void *arg)
{
	inflight *f = arg;
	const char *why = NULL;
	sk_status result = f->op->result(f->job, &why);
	sk_status st;

	/* one log line per refusal, what the member is told */
	if (result != SK_OK)
		sk_log(SK_LOG_NOTICE, "refused %s of %s: %s",
		       f->op == &reg_op_refusal ? "a request" : f->op->name,
		       net_conn_peer(f->conn)->org_id,
		       why != NULL && why[0] != '\0' ? why : sk_strerror(result));
	st = f->op->reply(f->job, f->commit, f->conn, f->request_id);

	if (st != SK_OK)
		net_conn_close(f->conn);
	/* a member whose membership ended is disconnected after the answer */
	if (result == SK_ERR_PERM)
		net_conn_close(f->conn);
	inflight_free(f);
}

/* Loop thread: a list of replies, in order. */
static void on_loop_replies(void *arg)
{
	inflight *f = arg, *next;

	for (; f != NULL; f = next) {
		next = f->next;
		on_loop_reply(f);
	}
}

/* Hands a list of replies to the loop in one call. */
static void to_loop(server *sv, inflight *list)
{
	inflight *next;

	if (list == NULL || net_loop_call(sv->loop, on_loop_replies, list) == SK_OK)
		return;
	for (; list != NULL; list = next) { /* the loop is gone: nobody to answer */
		next = list->next;
		inflight_free(list);
	}
}

/* Worker thread: the parts of replies read off the writer (a publish's
 * checkpoint and proof); then the loop answers them. */
static void on_finish(void *arg)
{
	inflight *list = arg;

	for (inflight *f = list; f != NULL; f = f->next)
		if (f->op->finish != NULL)
			f->op->finish(f->job, f->commit);
	to_loop(list->sv, list);
}

/* Writer thread, after the commit: kept for batch_end. */
static void on_written(sk_status st, void *arg)
{
	inflight *f = arg;
	server *sv = f->sv;

	f->commit = st;
	f->next = NULL;
	if (sv->done_tail != NULL)
		sv->done_tail->next = f;
	else
		sv->done_head = f;
	sv->done_tail = f;
}

#define FINISH_CHUNK 16 /* replies a worker finishes in one go */

/* Writer thread, once the batch's outcomes are known: the jobs whose
 * replies need reading (publishes) go to the workers in chunks, the other
 * replies straight to the loop, each group in one call instead of one a
 * request. */
static void batch_end(void *ctx)
{
	server *sv = ctx;
	inflight *f = sv->done_head, *next, *other = NULL, **otail = &other;
	inflight *chunk = NULL, **ctail = &chunk;
	size_t n = 0;

	sv->nreceipts = 0; /* signed by batch_hook, or the batch failed before it */
	sv->done_head = sv->done_tail = NULL;
	for (; f != NULL; f = next) {
		next = f->next;
		f->next = NULL;
		if (f->op->finish == NULL) {
			*otail = f;
			otail = &f->next;
			continue;
		}
		*ctail = f;
		ctail = &f->next;
		if (++n == FINISH_CHUNK || next == NULL) {
			if (sk_pool_submit(sv->pool, on_finish, chunk) != SK_OK)
				on_finish(chunk);
			chunk = NULL;
			ctail = &chunk;
			n = 0;
		}
	}
	if (chunk != NULL && sk_pool_submit(sv->pool, on_finish, chunk) != SK_OK)
		on_finish(chunk);
	to_loop(sv, other);
}

/* Writer thread, inside the batch's transaction. */
static sk_status apply(MDB_txn *txn, void *arg)
{
	inflight *f = arg;
	sk_status st = f->op->apply(txn, f->job);
	reg_receipt *r;

	/* a receipt is one job's: at most SK_WRITER_MAX_BATCH of them */
	if (st == SK_OK && f->op->receipt != NULL && (r = f->op->receipt(f->job)) != NULL &&
	    f->sv->nreceipts < SK_WRITER_MAX_BATCH)
		f->sv->receipts[f->sv->nreceipts++] = r;
	return st;
}

/* f's job to the writer (without a nested transaction when its op
 * refuses before it writes). */
static sk_status to_writer(inflight *f)
{
	if (f->op->flags & REG_OP_FLAT)
		return sk_writer_submit_flat(f->sv->writer, apply, on_written, f);
	return sk_writer_submit(f->sv->writer, apply, on_written, f);
}

/* Worker thread: checks, then the writer. */
static void on_checked(void *arg)
{
	inflight *f = arg;
	sk_status st;

	f->op->check(f->job);
	if ((st = to_writer(f)) != SK_OK) {
		f->commit = st; /* refused by the writer: answered at once */
		f->next = NULL;
		to_loop(f->sv, f);
	}
}

static sk_status admit(void *ctx, const net_peer *peer)
{
	server *sv = ctx;
	Schakel__V1__Member *m = NULL;
	MDB_txn *txn = NULL;
	uint8_t h[32];
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(sv->store->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = reg_member_get(sv->store, txn, peer->org_id, &m);
	mdb_txn_abort(txn);
	if (st == SK_ERR_NOTFOUND) {
		sk_error_set("org '%s' is not enrolled in this federation", peer->org_id);
		return SK_ERR_PERM;
	}
	if (st != SK_OK)
		return st;
	crypto_hash_sha256(h, m->cert.data, m->cert.len);
	if (m->has_revoked_at) {
		sk_error_set("org '%s' is revoked", peer->org_id);
		st = SK_ERR_PERM;
	} else if (sodium_memcmp(h, peer->cert_sha256, sizeof(h)) != 0) {
		sk_error_set("this certificate for org '%s' is not the one the registry issued",
			     peer->org_id);
		st = SK_ERR_PERM;
	}
	schakel__v1__member__free_unpacked(m, NULL);
	return st;
}

static void refusal_done(sk_status st, void *arg)
{
	if (st != SK_OK)
		sk_log(SK_LOG_ERROR, "cannot audit a refused session: %s", sk_strerror(st));
	reg_op_refusal.free(arg);
}

/* Loop thread: the admission check again; a refusal (SK_ERR_PERM) is
 * audited through the writer, the caller closes the connection. */
static sk_status recheck(void *ctx, const net_peer *peer)
{
	server *sv = ctx;
	sk_status st = admit(sv, peer);
	reg_refusal *r;

	if (st != SK_ERR_PERM)
		return st;
	sk_log(SK_LOG_NOTICE, "refused the session of %s: %s", peer->org_id, sk_error_detail());
	r = reg_refusal_new(sv->store, peer->org_id, "member.session", AUDIT_ACTION_READ, st,
			    sk_error_detail());
	if (r != NULL &&
	    sk_writer_submit(sv->writer, reg_op_refusal.apply, refusal_done, r) != SK_OK) {
		sk_log(SK_LOG_ERROR, "cannot audit a refused session of %s", peer->org_id);
		reg_op_refusal.free(r);
	}
	return st;
}

/* The count of member changes now (a read of one counter). */
static sk_status members_gen(server *sv, uint64_t *gen)
{
	sk_status st;

	*gen = 0;
	if ((st = sk_db_status(mdb_txn_renew(sv->gen_txn))) != SK_OK)
		return st;
	st = reg_member_gen(sv->store, sv->gen_txn, gen);
	mdb_txn_reset(sv->gen_txn);
	return st;
}

/* Loop thread, before every request: when a member record changed since
 * this connection was last checked (enrol, revoke, rekey, also by another
 * process), its membership is checked again; SK_ERR_PERM (audited) when
 * it ended. Costs one read of a counter while nothing changes. */
static sk_status member_fresh(server *sv, net_conn *c)
{
	uint64_t gen;
	sk_status st;

	if ((st = members_gen(sv, &gen)) != SK_OK)
		return st;
	if (net_conn_mark(c) == gen)
		return SK_OK;
	if ((st = recheck(sv, net_conn_peer(c))) == SK_OK)
		net_conn_set_mark(c, gen);
	return st;
}

/* net_server_recheck()'s check: only an ended membership closes; a check
 * that could not read keeps the connection and is tried again. */
static sk_status recheck_open(void *ctx, const net_peer *peer)
{
	server *sv = ctx;
	sk_status st = recheck(sv, peer);

	if (st == SK_OK || st == SK_ERR_PERM)
		return st;
	sv->recheck_failed = st;
	return SK_OK;
}

/* Loop timer: after a member change, every open connection is checked
 * again and a refused one closed, also the idle ones. */
static sk_status members_fresh(server *sv)
{
	uint64_t gen, before = sv->member_gen;
	sk_status st;

	if ((st = members_gen(sv, &gen)) != SK_OK || gen == sv->member_gen)
		return st;
	/* the count read before the checks: a change during them counts again */
	sv->member_gen = gen;
	sv->recheck_failed = SK_OK;
	net_server_recheck(sv->srv, recheck_open, sv);
	if ((st = sv->recheck_failed) != SK_OK)
		sv->member_gen = before; /* the next tick checks them all again */
	return st;
}

static void on_members(evutil_socket_t fd, short what, void *arg)
{
	server *sv = arg;
	sk_status st = members_fresh(sv);

	if (st != SK_OK)
		sk_log(SK_LOG_ERROR, "cannot check the membership of open connections: %s",
		       sk_strerror(st));
}

static inflight *inflight_new(server *sv, net_conn *c, uint64_t id, const reg_op *op)
{
	inflight *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->sv = sv;
	f->conn = c;
	f->request_id = id;
	f->op = op;
	net_conn_ref(c);
	return f;
}

/* Loop thread: every request, through its kind's op. */
static void request(void *ctx, net_conn *c, wire_envelope *env)
{
	server *sv = ctx;
	const reg_op *op = reg_serve_op(env->body_case);
	inflight *f = NULL;
	reg_refusal *refusal;
	uint64_t id = env->request_id;
	sk_status st = SK_OK;

	sk_error_clear();
	/* membership as of now, for every kind of request */
	if ((st = member_fresh(sv, c)) != SK_OK) {
		if (st != SK_ERR_PERM) {
			sk_error_set("the registry cannot read its membership; retry shortly");
			goto out;
		}
		/* answered, then the connection ends (also if the answer failed) */
		if (reg_send_error(c, id, st, sk_error_detail()) != SK_OK)
			sk_log(SK_LOG_WARNING, "cannot tell %s of its refusal",
			       net_conn_peer(c)->org_id);
		net_conn_close(c);
		st = SK_OK;
		goto out;
	}
	if (op == NULL) {
		sk_error_set("this registry does not serve that request");
		st = SK_ERR_INVALID;
		goto out;
	}
	/* over a cap or with unknown fields: refused, audited, nothing stored */
	if ((refusal = reg_request_screen(sv->store, net_conn_peer(c), op, env, &st)) != NULL) {
		if ((f = inflight_new(sv, c, id, &reg_op_refusal)) == NULL) {
			reg_op_refusal.free(refusal);
			st = SK_ERR_NOMEM;
		} else {
			f->job = refusal;
			if ((st = to_writer(f)) != SK_OK)
				inflight_free(f);
		}
	}
	if (refusal != NULL || st != SK_OK)
		goto out;
	if (op->read != NULL) {
		if (op->read(sv->store, c, id, env) != SK_OK)
			net_conn_close(c);
		goto out;
	}
	if ((f = inflight_new(sv, c, id, op)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	/* checks on a worker first, or straight to the writer */
	if ((st = op->new(&f->job, sv->store, net_conn_peer(c), env)) != SK_OK ||
	    (st = op->check != NULL ? sk_pool_submit(sv->pool, on_checked, f) : to_writer(f)) !=
		    SK_OK) {
		inflight_free(f);
		if (st == SK_ERR_TOOBIG && op->check != NULL)
			sk_error_set("the registry is busy; retry shortly");
	}
out:
	if (st != SK_OK && reg_send_error(c, id, st, sk_error_detail()) != SK_OK)
		net_conn_close(c);
	wire_envelope_free(env);
}

/* Writer thread, once per batch before its commit: one signature for the
 * batch's receipts and one checkpoint. */
static sk_status batch_hook(MDB_txn *txn, void *ctx)
{
	server *sv = ctx;
	sk_status st = reg_publish_sign_batch(sv->receipts, sv->nreceipts, sv->store->id->sk);

	if (st != SK_OK)
		return st;
	return reg_checkpoint_update(sv->store, txn);
}

static sk_status sweep_job(MDB_txn *txn, void *arg)
{
	server *sv = arg;
	audit_purge_result res;
	uint64_t now = sk_clock_now_ms();
	sk_status st = reg_sweep(sv->store, txn, now, REG_SWEEP_BATCH, NULL);

	if (st == SK_OK)
		st = reg_discuss_sweep(sv->store, txn, now,
				       sv->store->discuss_idle_ms ? sv->store->discuss_idle_ms
								  : REG_DISCUSS_IDLE_MS,
				       REG_SWEEP_BATCH, NULL);
	if (st == SK_OK)
		st = reg_table_sweep(sv->store, txn, now,
				     sv->store->table_retain_ms ? sv->store->table_retain_ms
								: REG_TABLE_RETAIN_MS,
				     sv->store->table_case_max_ms ? sv->store->table_case_max_ms
								  : REG_TABLE_CASE_MAX_MS,
				     REG_SWEEP_BATCH, NULL);
	/* the audit log's retention: once a day, batch after batch until done */
	if (st != SK_OK || now < sv->audit_purged_at + REG_AUDIT_PURGE_MS)
		return st;
	if ((st = reg_retain_sweep(sv->store, txn, now, &res)) == SK_OK &&
	    res.count < AUDIT_PURGE_BATCH)
		sv->audit_purged_at = now;
	return st;
}

static void sweep_done_loop(void *arg)
{
	((server *)arg)->sweeping = 0;
}

static void sweep_done(sk_status st, void *arg)
{
	server *sv = arg;

	if (st != SK_OK)
		sk_log(SK_LOG_ERROR, "expiry sweep failed: %s", sk_strerror(st));
	if (net_loop_call(sv->loop, sweep_done_loop, sv) != SK_OK)
		sv->sweeping = 0;
}

/* Loop timer: one sweep at a time through the writer. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	server *sv = arg;

	if (sv->sweeping)
		return;
	sv->sweeping = 1;
	if (sk_writer_submit(sv->writer, sweep_job, sweep_done, sv) != SK_OK)
		sv->sweeping = 0;
}

static void drained(void *arg)
{
	net_loop_stop(arg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	server *sv = arg;

	net_server_drain(sv->srv, DRAIN_MS, drained, sv->loop);
}

static sk_status load_tls(server *sv, sk_kek *kek)
{
	char path[PATH_MAX];
	uint8_t *ca = NULL, *cert = NULL, seed[KEY_ED25519_SEED_BYTES];
	size_t ca_len = 0, cert_len = 0;
	key_ed25519 *key = sodium_malloc(sizeof(*key));
	sk_status st;

	if (key == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_path_join(path, sizeof(path), sv->store->dir, REG_FILE_CA_CERT)) != SK_OK ||
	    (st = sk_file_read(path, NET_CERT_MAX, &ca, &ca_len)) != SK_OK)
		goto out;
	if ((st = sk_path_join(path, sizeof(path), sv->store->dir, REG_FILE_TLS_CERT)) != SK_OK ||
	    (st = sk_file_read(path, NET_CERT_MAX, &cert, &cert_len)) != SK_OK ||
	    (st = sk_path_join(path, sizeof(path), sv->store->dir, REG_FILE_TLS_KEY)) != SK_OK ||
	    (st = sk_keyfile_read(kek, path, LABEL_TLS, seed, sizeof(seed))) != SK_OK)
		goto out;
	key_ed25519_from_seed(key, seed);
	st = net_tls_new(&sv->tls, ca, ca_len, cert, cert_len, key);
out:
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("the registry has no TLS certificate yet: run 'schakel-registry init "
			     "--ca CA' or enrol a first member with --ca CA");
	sodium_memzero(seed, sizeof(seed));
	sodium_free(key);
	free(ca);
	free(cert);
	return st;
}

sk_status reg_serve(reg_store *s, sk_kek *kek, const reg_serve_opts *o)
{
	static const net_server_ops ops = {.admit = admit, .request = request};
	server sv = {.store = s};
	struct event *term = NULL, *intr = NULL;
	unsigned check_ms;
	sk_status st;

	if ((st = load_tls(&sv, kek)) != SK_OK || (st = net_loop_new(&sv.loop)) != SK_OK ||
	    (st = sk_pool_start(&sv.pool, o->workers)) != SK_OK ||
	    (st = sk_writer_start(&sv.writer, s->env, batch_hook, batch_end, &sv)) != SK_OK)
		goto out;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &sv.gen_txn))) != SK_OK)
		goto out;
	st = reg_member_gen(s, sv.gen_txn, &sv.member_gen);
	mdb_txn_reset(sv.gen_txn);
	if (st != SK_OK)
		goto out;
	if ((st = net_server_listen(&sv.srv, sv.loop, sv.tls, o->listen, &ops, NULL, &sv)) != SK_OK)
		goto out;
	if ((st = reg_address_set(s, net_server_address(sv.srv))) != SK_OK ||
	    (st = reg_cosigner_start(&sv.cosigner, s, sv.tls)) != SK_OK)
		goto out;
	if (o->http != NULL) {
		if ((st = wit_https_start(&sv.tiles, sv.tls, o->http, 1024, reg_tiles_handle, s)) !=
		    SK_OK)
			goto out;
		printf("tiles listening on %s\n", wit_https_address(sv.tiles));
	}
	term = evsignal_new(net_loop_base(sv.loop), SIGTERM, on_signal, &sv);
	intr = evsignal_new(net_loop_base(sv.loop), SIGINT, on_signal, &sv);
	if (term == NULL || intr == NULL || evsignal_add(term, NULL) != 0 ||
	    evsignal_add(intr, NULL) != 0) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	sv.sweep_seconds = o->sweep_seconds ? o->sweep_seconds : REG_SWEEP_SECONDS;
	sv.sweep_timer = event_new(net_loop_base(sv.loop), -1, EV_PERSIST, on_sweep, &sv);
	if (sv.sweep_timer == NULL ||
	    event_add(sv.sweep_timer, &(struct timeval){sv.sweep_seconds, 0}) != 0) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	sv.member_timer = event_new(net_loop_base(sv.loop), -1, EV_PERSIST, on_members, &sv);
	check_ms = o->members_check_ms ? o->members_check_ms : MEMBERS_CHECK_MS;
	if (sv.member_timer == NULL ||
	    event_add(sv.member_timer, &(struct timeval){check_ms / 1000, (check_ms % 1000) * 1000}) !=
		    0) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	printf("listening on %s\n", net_server_address(sv.srv));
	fflush(stdout);
	st = net_loop_run(sv.loop);
out:
	wit_https_stop(sv.tiles);
	reg_cosigner_stop(sv.cosigner);
	if (sv.sweep_timer != NULL)
		event_free(sv.sweep_timer);
	if (sv.member_timer != NULL)
		event_free(sv.member_timer);
	if (term != NULL)
		event_free(term);
	if (intr != NULL)
		event_free(intr);
	net_server_free(sv.srv);
	/* in-flight work finishes, its replies are dropped with the loop */
	sk_pool_stop(sv.pool);
	sk_writer_stop(sv.writer);
	net_loop_free(sv.loop);
	net_tls_free(sv.tls);
	if (sv.gen_txn != NULL)
		mdb_txn_abort(sv.gen_txn);
	return st;
}
