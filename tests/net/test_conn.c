/* Real TLS 1.3 over 127.0.0.1: an echo server whose replies come back
 * through net_loop_call from a worker thread (as the LMDB writer's do),
 * in reverse order, and clients of every kind. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/init.h"
#include "crypto/key.h"
#include "net/cert.h"
#include "net/conn.h"
#include "net/tls.h"
#include "test_tls.h"
#include "test_util.h"

#define DAY 86400
#define EPOCH_ECHO 0 /* reply later, from the worker thread */
#define EPOCH_HOLD 1 /* reply when the test releases it */
#define EPOCH_NOW 2  /* reply inside request() */

/* ---- certificates, made once ------------------------------------------- */

static struct {
	uint8_t *ca, *ca2;
	size_t ca_len, ca2_len;
	net_tls *server, *client, *client2, *revoked, *foreign;
} fx;

static int fx_setup(void **state)
{
	int64_t now = (int64_t)time(NULL);
	key_ed25519 ca_key, ca2_key;

	if (sk_init() != SK_OK)
		return -1;
	key_ed25519_generate(&ca_key);
	key_ed25519_generate(&ca2_key);
	E(net_cert_ca_create(&fx.ca, &fx.ca_len, "Federatie", now - DAY, now + DAY, &ca_key));
	E(net_cert_ca_create(&fx.ca2, &fx.ca2_len, "Federatie", now - DAY, now + DAY, &ca2_key));
	fx.server = t_member(fx.ca, fx.ca_len, &ca_key, fx.ca, fx.ca_len, "registry", "ggz");
	fx.client = t_member(fx.ca, fx.ca_len, &ca_key, fx.ca, fx.ca_len, "org-a", "ggz");
	fx.client2 = t_member(fx.ca, fx.ca_len, &ca_key, fx.ca, fx.ca_len, "org-b", "ggz");
	fx.revoked = t_member(fx.ca, fx.ca_len, &ca_key, fx.ca, fx.ca_len, "org-revoked", "ggz");
	/* trusts our CA, but its certificate comes from another */
	fx.foreign = t_member(fx.ca2, fx.ca2_len, &ca2_key, fx.ca, fx.ca_len, "org-a", "ggz");
	key_ed25519_wipe(&ca_key);
	key_ed25519_wipe(&ca2_key);
	return 0;
}

static int fx_teardown(void **state)
{
	net_tls_free(fx.server);
	net_tls_free(fx.client);
	net_tls_free(fx.client2);
	net_tls_free(fx.revoked);
	net_tls_free(fx.foreign);
	free(fx.ca);
	free(fx.ca2);
	return 0;
}

/* ---- the echo server ---------------------------------------------------- */

struct job {
	struct job *next;
	net_conn *c;
	wire_envelope *env;
};

static struct srv {
	net_loop *loop;
	net_server *s;
	pthread_t loop_thread, worker;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *jobs, *held; /* under lock */
	int nheld, closed, stop, bad, requests;
} T;

static void lock(void)
{
	pthread_mutex_lock(&T.lock);
}

static void unlock(void)
{
	pthread_mutex_unlock(&T.lock);
}

static int get(const int *v)
{
	int x;

	lock();
	x = *v;
	unlock();
	return x;
}

/* Waits up to 5 s for *v >= want. */
static void wait_for(const int *v, int want)
{
	for (int i = 0; i < 500 && get(v) < want; i++)
		usleep(10000);
	assert_true(get(v) >= want);
}

static void reply_job(void *arg)
{
	struct job *j = arg;

	if (net_conn_is_open(j->c) && net_conn_send(j->c, j->env) != SK_OK && net_conn_is_open(j->c)) {
		lock();
		T.bad++;
		unlock();
	}
	net_conn_unref(j->c);
	wire_envelope_free(j->env);
	free(j);
}

/* Takes whatever has gathered and hands the replies back newest first. */
static void *worker_main(void *arg)
{
	lock();
	for (;;) {
		struct job *batch;

		while (T.jobs == NULL && !T.stop)
			pthread_cond_wait(&T.cond, &T.lock);
		if (T.jobs == NULL)
			break;
		unlock();
		usleep(2000);
		lock();
		batch = T.jobs; /* pushed at the head: newest first */
		T.jobs = NULL;
		unlock();
		while (batch != NULL) {
			struct job *next = batch->next;

			if (net_loop_call(T.loop, reply_job, batch) != SK_OK)
				abort();
			batch = next;
		}
		lock();
	}
	unlock();
	return NULL;
}

static sk_status on_admit(void *ctx, const net_peer *peer)
{
	if (strcmp(peer->org_id, "org-revoked") == 0) {
		sk_error_set("%s is revoked", peer->org_id);
		return SK_ERR_PERM;
	}
	return SK_OK;
}

static void on_request(void *ctx, net_conn *c, wire_envelope *env)
{
	struct job *j;

	lock();
	T.requests++;
	unlock();
	if (env->body_case != SCHAKEL__V1__ENVELOPE__BODY_EVAL_REQUEST) {
		wire_envelope_free(env);
		net_conn_close(c);
		return;
	}
	if (env->eval_request->epoch == EPOCH_NOW) {
		if (net_conn_send(c, env) != SK_OK && net_conn_is_open(c)) {
			lock();
			T.bad++;
			unlock();
		}
		wire_envelope_free(env);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		abort();
	net_conn_ref(c);
	j->c = c;
	j->env = env;
	lock();
	if (env->eval_request->epoch == EPOCH_HOLD) {
		j->next = T.held;
		T.held = j;
		T.nheld++;
	} else {
		j->next = T.jobs;
		T.jobs = j;
		pthread_cond_signal(&T.cond);
	}
	unlock();
}

static void on_closed(void *ctx, net_conn *c)
{
	lock();
	T.closed++;
	unlock();
}

static const net_server_ops ops = {on_admit, on_request, on_closed};

static void *loop_main(void *arg)
{
	if (net_loop_run(T.loop) != SK_OK)
		abort();
	return NULL;
}

static void srv_start(const net_server_opts *opts)
{
	memset(&T, 0, sizeof(T));
	pthread_mutex_init(&T.lock, NULL);
	pthread_cond_init(&T.cond, NULL);
	E(net_loop_new(&T.loop));
	E(net_server_listen(&T.s, T.loop, fx.server, "127.0.0.1:0", &ops, opts, NULL));
	assert_int_equal(strncmp(net_server_address(T.s), "127.0.0.1:", 10), 0);
	assert_int_equal(pthread_create(&T.loop_thread, NULL, loop_main, NULL), 0);
	assert_int_equal(pthread_create(&T.worker, NULL, worker_main, NULL), 0);
}

static void srv_stop(void)
{
	net_loop_stop(T.loop);
	pthread_join(T.loop_thread, NULL);
	lock();
	T.stop = 1;
	pthread_cond_signal(&T.cond);
	unlock();
	pthread_join(T.worker, NULL);
	net_server_free(T.s);
	while (T.held != NULL) {
		struct job *next = T.held->next;

		net_conn_unref(T.held->c);
		wire_envelope_free(T.held->env);
		free(T.held);
		T.held = next;
	}
	net_loop_free(T.loop); /* runs the replies still queued */
	assert_int_equal(T.bad, 0);
	pthread_cond_destroy(&T.cond);
	pthread_mutex_destroy(&T.lock);
}

/* Runs fn(arg) on the loop and waits for it. */
struct on_loop {
	net_call_fn fn;
	void *arg;
	int done;
};

static void on_loop_run(void *arg)
{
	struct on_loop *o = arg;

	o->fn(o->arg);
	lock();
	o->done = 1;
	unlock();
}

static void on_loop(net_call_fn fn, void *arg)
{
	struct on_loop o = {fn, arg, 0};

	E(net_loop_call(T.loop, on_loop_run, &o));
	wait_for(&o.done, 1);
}

static void release_held(void *arg)
{
	lock();
	while (T.held != NULL) {
		struct job *j = T.held;

		T.held = j->next;
		unlock();
		reply_job(j);
		lock();
	}
	unlock();
}

/* ---- requests ----------------------------------------------------------- */

struct req {
	wire_envelope env;
	Schakel__V1__EvalRequest eval;
	ProtobufCBinaryData item;
	uint8_t payload[64];
};

static const wire_envelope *req_make(struct req *r, uint32_t epoch, uint64_t tag)
{
	schakel__v1__envelope__init(&r->env);
	schakel__v1__eval_request__init(&r->eval);
	for (size_t i = 0; i < sizeof(r->payload); i++)
		r->payload[i] = (uint8_t)(tag >> (8 * (i % 8)));
	r->item.data = r->payload;
	r->item.len = sizeof(r->payload);
	r->eval.epoch = epoch;
	r->eval.n_blinded = 1;
	r->eval.blinded = &r->item;
	r->env.body_case = SCHAKEL__V1__ENVELOPE__BODY_EVAL_REQUEST;
	r->env.eval_request = &r->eval;
	r->env.request_id = 999; /* replaced by the clients */
	return &r->env;
}

/* 1 when reply echoes the request made with tag. */
static int echoes(const wire_envelope *reply, uint64_t tag)
{
	struct req r;

	req_make(&r, 0, tag);
	return reply != NULL && reply->body_case == SCHAKEL__V1__ENVELOPE__BODY_EVAL_REQUEST &&
	       reply->eval_request->n_blinded == 1 &&
	       reply->eval_request->blinded[0].len == sizeof(r.payload) &&
	       memcmp(reply->eval_request->blinded[0].data, r.payload, sizeof(r.payload)) == 0;
}

static sk_status sync_echo(net_sync *sc, uint32_t epoch, uint64_t tag)
{
	struct req r;
	wire_envelope *reply = NULL;
	sk_status st = net_sync_request(sc, req_make(&r, epoch, tag), &reply);

	if (st == SK_OK && !echoes(reply, tag))
		st = SK_ERR_INVALID;
	wire_envelope_free(reply);
	return st;
}

/* ---- a raw TLS client, to send what the library never would ------------ */

struct raw {
	int fd;
	SSL *ssl;
	SSL_CTX *own;
};

static void raw_connect(struct raw *r, SSL_CTX *ctx, int rcvbuf)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct timeval tv = {5, 0};
	const char *addr = net_server_address(T.s);

	sa.sin_port = htons((uint16_t)strtoul(strchr(addr, ':') + 1, NULL, 10));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(r->fd >= 0);
	setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(r->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (rcvbuf > 0)
		setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	assert_int_equal(connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	r->ssl = NULL;
	if (ctx == NULL)
		return; /* plain TCP */
	r->ssl = SSL_new(ctx);
	assert_non_null(r->ssl);
	SSL_set_fd(r->ssl, r->fd);
	assert_int_equal(SSL_connect(r->ssl), 1);
}

static void raw_close(struct raw *r)
{
	SSL_free(r->ssl);
	SSL_CTX_free(r->own);
	close(r->fd);
	ERR_clear_error();
}

static int raw_write(struct raw *r, const void *buf, size_t len)
{
	return SSL_write(r->ssl, buf, (int)len) == (int)len;
}

static int raw_read(struct raw *r, uint8_t *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		int n = SSL_read(r->ssl, buf + done, (int)(len - done));

		if (n <= 0)
			return 0;
		done += (size_t)n;
	}
	return 1;
}

/* Reads frames until an Error push; returns its code, or 0 if the
 * connection ended first. Other frames (replies) are skipped. */
static uint32_t raw_error(struct raw *r)
{
	for (;;) {
		uint8_t hdr[4], *payload;
		size_t n = 0;
		wire_envelope *env;
		uint32_t code = 0;
		int is_error;

		if (!raw_read(r, hdr, 4))
			return 0;
		assert_int_equal(wire_frame_peek(hdr, 4, WIRE_FRAME_MAX, &n), SK_ERR_TRUNCATED);
		payload = malloc(n);
		assert_non_null(payload);
		assert_true(raw_read(r, payload, n));
		E(wire_envelope_unpack(payload, n, &env));
		free(payload);
		is_error = env->request_id == 0 && env->body_case == SCHAKEL__V1__ENVELOPE__BODY_ERROR;
		if (is_error)
			code = env->error->code;
		wire_envelope_free(env);
		if (is_error)
			return code;
	}
}

/* After an Error the server closes: the next read ends. */
static void raw_expect_closed(struct raw *r)
{
	uint8_t b;

	assert_false(raw_read(r, &b, 1));
}

static void raw_send_frame(struct raw *r, const wire_envelope *env)
{
	uint8_t *frame;
	size_t len;

	E(wire_envelope_pack(env, &frame, &len));
	assert_true(raw_write(r, frame, len));
	free(frame);
}

/* ---- tests -------------------------------------------------------------- */

/* Many requests one after another; the server is who we expect. */
static void test_roundtrip(void **state)
{
	net_sync *sc;

	srv_start(NULL);
	E(net_sync_connect(&sc, fx.client, net_server_address(T.s), "registry", 5000));
	assert_string_equal(net_sync_peer(sc)->org_id, "registry");
	for (uint64_t i = 1; i <= 300; i++)
		E(sync_echo(sc, i % 3 == 0 ? EPOCH_NOW : EPOCH_ECHO, i));
	net_sync_close(sc);
	srv_stop();
}

struct worker_arg {
	int id;
	sk_status st;
};

static void *client_thread(void *arg)
{
	struct worker_arg *w = arg;
	net_sync *sc = NULL;

	w->st = net_sync_connect(&sc, w->id % 2 ? fx.client : fx.client2,
				 net_server_address(T.s), "registry", 5000);
	for (uint64_t i = 0; w->st == SK_OK && i < 100; i++)
		w->st = sync_echo(sc, EPOCH_ECHO, (uint64_t)w->id << 32 | i);
	net_sync_close(sc);
	return NULL;
}

/* Eight clients at once, each getting only its own replies. */
static void test_concurrent(void **state)
{
	pthread_t th[8];
	struct worker_arg w[8];

	srv_start(NULL);
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker_arg){.id = i};
		assert_int_equal(pthread_create(&th[i], NULL, client_thread, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		E(w[i].st);
	}
	srv_stop();
}

/* ---- asynchronous client ------------------------------------------------ */

#define PIPELINED 200

static struct {
	net_client *cl;
	const net_tls *tls;
	const char *peer_org;
	int done, ok, out_of_order, closed, timeouts;
	long last;
	sk_status refused;
	char detail[128];
	struct req reqs[PIPELINED];
} A;

static void a_reply(void *arg, sk_status st, wire_envelope *reply)
{
	long i = (long)(intptr_t)arg;

	lock();
	if (st == SK_OK && echoes(reply, (uint64_t)i))
		A.ok++;
	else if (st == SK_ERR_IO)
		A.timeouts++;
	else if (st != SK_OK) {
		A.refused = st;
		snprintf(A.detail, sizeof(A.detail), "%s", sk_error_detail());
	}
	if (i < A.last)
		A.out_of_order++;
	A.last = i;
	A.done++;
	unlock();
	wire_envelope_free(reply);
}

static void a_closed(void *ctx, sk_status st)
{
	lock();
	A.closed = 1;
	if (A.refused == SK_OK)
		A.refused = st;
	unlock();
}

static const net_client_ops a_ops = {NULL, a_closed};

/* On the loop: connect and pipeline every request at once. */
static void a_start(void *arg)
{
	int n = *(int *)arg;

	A.last = -1;
	E(net_client_connect(&A.cl, T.loop, A.tls, net_server_address(T.s), A.peer_org, 5000,
			     &a_ops, NULL));
	assert_null(net_client_peer(A.cl)); /* not yet connected */
	for (long i = 0; i < n; i++)
		E(net_client_request(A.cl, req_make(&A.reqs[i], EPOCH_ECHO, (uint64_t)i), 5000,
				     a_reply, (void *)(intptr_t)i));
}

static void a_hold(void *arg)
{
	E(net_client_request(A.cl, req_make(&A.reqs[0], EPOCH_HOLD, 0), 100, a_reply,
			     (void *)(intptr_t)0));
}

static void a_check_peer(void *arg)
{
	const net_peer *p = net_client_peer(A.cl);

	*(int *)arg = p != NULL && strcmp(p->org_id, "registry") == 0;
}

static void a_free(void *arg)
{
	net_client_free(A.cl);
	A.cl = NULL;
}

/* Pipelined requests come back out of order, each matched by its id;
 * a request without a reply times out; a small in-flight cap holds the
 * rest back without losing any. */
static void test_async(void **state)
{
	net_server_opts o = {.max_inflight = 16};
	int n = PIPELINED, peer_ok = 0;

	srv_start(&o);
	memset(&A, 0, sizeof(A));
	A.tls = fx.client;
	A.peer_org = "registry";
	on_loop(a_start, &n);
	wait_for(&A.done, PIPELINED);
	assert_int_equal(A.ok, PIPELINED);
	assert_true(A.out_of_order > 0);
	on_loop(a_check_peer, &peer_ok);
	assert_true(peer_ok);

	on_loop(a_hold, NULL);
	wait_for(&A.done, PIPELINED + 1);
	assert_int_equal(A.timeouts, 1);
	assert_false(A.closed); /* a timeout leaves the connection up */
	on_loop(a_free, NULL);
	assert_false(A.closed); /* freeing calls no closed() */
	srv_stop();
}

/* A refused async client learns the code and the server's reason. */
static void test_async_refused(void **state)
{
	int n = 3;

	srv_start(NULL);
	memset(&A, 0, sizeof(A));
	A.tls = fx.revoked;
	on_loop(a_start, &n);
	wait_for(&A.done, 3);
	wait_for(&A.closed, 1);
	assert_int_equal(A.ok, 0);
	assert_int_equal(A.refused, SK_ERR_PERM);
	assert_string_equal(A.detail, "org-revoked is revoked");
	on_loop(a_free, NULL);
	srv_stop();
}

/* ---- refusals ----------------------------------------------------------- */

/* admit() says no: the first request fails with its code and reason. */
static void test_revoked(void **state)
{
	net_sync *sc;

	srv_start(NULL);
	E(net_sync_connect(&sc, fx.revoked, net_server_address(T.s), "registry", 5000));
	sk_error_clear();
	EFAIL(sync_echo(sc, EPOCH_ECHO, 1), SK_ERR_PERM);
	assert_string_equal(sk_error_detail(), "org-revoked is revoked");
	EFAIL(sync_echo(sc, EPOCH_ECHO, 2), SK_ERR_FAILED);
	net_sync_close(sc);
	E(net_sync_connect(&sc, fx.client, net_server_address(T.s), "registry", 5000));
	E(sync_echo(sc, EPOCH_ECHO, 3));
	net_sync_close(sc);
	srv_stop();
}

/* A certificate from another CA is refused in the handshake; the client
 * may only see it on its first read. */
static void test_foreign_ca(void **state)
{
	net_sync *sc = NULL;
	sk_status st;

	srv_start(NULL);
	st = net_sync_connect(&sc, fx.foreign, net_server_address(T.s), "registry", 5000);
	if (st == SK_OK)
		st = sync_echo(sc, EPOCH_ECHO, 1);
	EFAIL(st, SK_ERR_VERIFY);
	assert_non_null(strstr(sk_error_detail(), "TLS"));
	net_sync_close(sc);
	assert_int_equal(get(&T.closed), 0); /* never admitted */
	srv_stop();
}

/* A client that trusts another CA refuses our server. */
static void test_server_unknown(void **state)
{
	net_sync *sc = NULL;
	int64_t now = (int64_t)time(NULL);
	key_ed25519 k;
	uint8_t serial[NET_SERIAL_BYTES], *der;
	size_t len;
	net_tls *t;

	srv_start(NULL);
	key_ed25519_generate(&k);
	/* a self-issued CA used as both trust anchor and (wrongly) as issuer */
	{
		uint8_t *ca;
		size_t ca_len;

		E(net_cert_ca_create(&ca, &ca_len, "Elders", now - 60, now + DAY, &k));
		E(net_cert_issue(&der, &len, serial, "org-a", "A", "ggz", k.pk, now - 60, now + DAY,
				 ca, ca_len, &k));
		E(net_tls_new(&t, ca, ca_len, der, len, &k));
		free(ca);
	}
	EFAIL(net_sync_connect(&sc, t, net_server_address(T.s), "registry", 5000), SK_ERR_VERIFY);
	assert_null(sc);
	net_tls_free(t);
	free(der);
	key_ed25519_wipe(&k);
	srv_stop();
}

/* No client certificate at all. (Not writing first: the server closes
 * with the client's Finished unread, so a write may meet a reset.) */
static void test_no_cert(void **state)
{
	struct raw r = {0};
	X509 *ca;
	const unsigned char *p = fx.ca;
	uint8_t b;

	srv_start(NULL);
	r.own = SSL_CTX_new(TLS_client_method());
	assert_non_null(r.own);
	SSL_CTX_set_min_proto_version(r.own, TLS1_3_VERSION);
	ca = d2i_X509(NULL, &p, (long)fx.ca_len);
	assert_non_null(ca);
	X509_STORE_add_cert(SSL_CTX_get_cert_store(r.own), ca);
	X509_free(ca);
	SSL_CTX_set_verify(r.own, SSL_VERIFY_PEER, NULL);
	raw_connect(&r, r.own, 0); /* TLS 1.3: the client finishes first */
	assert_false(raw_read(&r, &b, 1));
	assert_int_equal(ERR_GET_REASON(ERR_peek_error()), SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED);
	raw_close(&r);
	srv_stop();
}

static void check_still_serving(void);

/* TLS 1.3 only: a member's client that offers nothing newer than TLS 1.2,
 * with its valid certificate, is refused in the handshake and never served. */
static void test_tls12_refused(void **state)
{
	struct raw r = {0};

	srv_start(NULL);
	raw_connect(&r, NULL, 0); /* TCP only; TLS by hand below */
	r.ssl = SSL_new(net_tls_ctx(fx.client));
	assert_non_null(r.ssl);
	assert_int_equal(SSL_set_min_proto_version(r.ssl, TLS1_2_VERSION), 1);
	assert_int_equal(SSL_set_max_proto_version(r.ssl, TLS1_2_VERSION), 1);
	SSL_set_fd(r.ssl, r.fd);
	assert_int_not_equal(SSL_connect(r.ssl), 1);
	assert_int_equal(ERR_GET_REASON(ERR_peek_error()), SSL_R_TLSV1_ALERT_PROTOCOL_VERSION);
	raw_close(&r);
	assert_int_equal(get(&T.requests), 0);
	check_still_serving();
	srv_stop();
}

/* Per-org connection cap: the third connection of org-a is refused. */
static void test_limits(void **state)
{
	net_server_opts o = {.max_conns_per_org = 2};
	net_sync *a1, *a2, *a3, *b;

	srv_start(&o);
	E(net_sync_connect(&a1, fx.client, net_server_address(T.s), "registry", 5000));
	E(sync_echo(a1, EPOCH_ECHO, 1));
	E(net_sync_connect(&a2, fx.client, net_server_address(T.s), "registry", 5000));
	E(sync_echo(a2, EPOCH_ECHO, 1));
	E(net_sync_connect(&a3, fx.client, net_server_address(T.s), "registry", 5000));
	EFAIL(sync_echo(a3, EPOCH_ECHO, 1), SK_ERR_TOOBIG);
	assert_non_null(strstr(sk_error_detail(), "org-a"));
	E(net_sync_connect(&b, fx.client2, net_server_address(T.s), "registry", 5000));
	E(sync_echo(b, EPOCH_ECHO, 1));
	net_sync_close(a1);
	wait_for(&T.closed, 1);
	net_sync_close(a3);
	E(net_sync_connect(&a3, fx.client, net_server_address(T.s), "registry", 5000));
	E(sync_echo(a3, EPOCH_ECHO, 2));
	net_sync_close(a2);
	net_sync_close(a3);
	net_sync_close(b);
	srv_stop();

	/* the server's total: the second connection is closed unserved */
	o = (net_server_opts){.max_conns = 1};
	srv_start(&o);
	E(net_sync_connect(&a1, fx.client, net_server_address(T.s), "registry", 5000));
	E(sync_echo(a1, EPOCH_ECHO, 1));
	EFAIL(net_sync_connect(&b, fx.client2, net_server_address(T.s), "registry", 5000),
	      SK_ERR_IO);
	E(sync_echo(a1, EPOCH_ECHO, 2));
	net_sync_close(a1);
	srv_stop();
}

/* A member server other than the one asked for gets nothing: not the
 * sync client's requests, not the async client's queued ones. */
static void test_pinning(void **state)
{
	net_sync *sc = NULL;
	int n = 3;

	srv_start(NULL);
	EFAIL(net_sync_connect(&sc, fx.client, net_server_address(T.s), "registry-2", 5000),
	      SK_ERR_VERIFY);
	assert_string_equal(sk_error_detail(), "the server is registry, not registry-2");
	assert_null(sc);
	E(net_sync_connect(&sc, fx.client, net_server_address(T.s), NULL, 5000));
	assert_string_equal(net_sync_peer(sc)->org_id, "registry");
	net_sync_close(sc);

	memset(&A, 0, sizeof(A));
	A.tls = fx.client;
	A.peer_org = "registry-2";
	on_loop(a_start, &n);
	wait_for(&A.done, 3);
	wait_for(&A.closed, 1);
	assert_int_equal(A.refused, SK_ERR_VERIFY);
	assert_string_equal(A.detail, "the server is registry, not registry-2");
	on_loop(a_free, NULL);
	usleep(50000);
	assert_int_equal(get(&T.requests), 0);
	srv_stop();
}

/* ---- bad frames ---------------------------------------------------------- */

static void check_still_serving(void)
{
	net_sync *sc;

	E(net_sync_connect(&sc, fx.client, net_server_address(T.s), "registry", 5000));
	E(sync_echo(sc, EPOCH_ECHO, 7));
	net_sync_close(sc);
}

/* Announcing more than the cap closes the connection after an Error,
 * as the first frame and after a served request; others are unaffected. */
static void test_oversize(void **state)
{
	static const uint8_t too_big[4] = {0x00, 0x10, 0x00, 0x01}; /* 1 MiB + 1 */
	struct raw r = {0};
	struct req q;

	srv_start(NULL);
	raw_connect(&r, net_tls_ctx(fx.client), 0);
	assert_true(raw_write(&r, too_big, 4));
	assert_int_equal(raw_error(&r), SK_ERR_TOOBIG);
	raw_expect_closed(&r);
	raw_close(&r);

	raw_connect(&r, net_tls_ctx(fx.client), 0);
	raw_send_frame(&r, req_make(&q, EPOCH_ECHO, 1));
	assert_true(raw_write(&r, too_big, 4));
	assert_int_equal(raw_error(&r), SK_ERR_TOOBIG); /* the echo is skipped */
	raw_expect_closed(&r);
	raw_close(&r);
	check_still_serving();
	srv_stop();
}

/* A zero-length frame, a payload that is no envelope, and a request
 * without an id each end the connection with an Error. */
static void test_malformed(void **state)
{
	static const uint8_t empty[4] = {0};
	static const uint8_t garbage[14] = {0, 0, 0, 10, 0xff, 0xff, 0xff, 0xff, 0xff,
					    0xff, 0xff, 0xff, 0xff, 0xff};
	struct raw r = {0};
	struct req q;

	srv_start(NULL);
	raw_connect(&r, net_tls_ctx(fx.client), 0);
	assert_true(raw_write(&r, empty, 4));
	assert_int_equal(raw_error(&r), SK_ERR_INVALID);
	raw_expect_closed(&r);
	raw_close(&r);

	raw_connect(&r, net_tls_ctx(fx.client), 0);
	assert_true(raw_write(&r, garbage, sizeof(garbage)));
	assert_int_equal(raw_error(&r), SK_ERR_INVALID);
	raw_expect_closed(&r);
	raw_close(&r);

	raw_connect(&r, net_tls_ctx(fx.client), 0);
	req_make(&q, EPOCH_ECHO, 1);
	q.env.request_id = 0;
	raw_send_frame(&r, &q.env);
	assert_int_equal(raw_error(&r), SK_ERR_INVALID);
	raw_expect_closed(&r);
	raw_close(&r);
	check_still_serving();
	srv_stop();
}

/* A client that does not read its replies is dropped at the output cap. */
static void test_output_cap(void **state)
{
	net_server_opts o = {.max_output = 64 << 10};
	struct raw r = {0};
	wire_envelope env;
	Schakel__V1__EvalRequest eval;
	ProtobufCBinaryData item;
	uint8_t *big = calloc(1, 100 << 10), *frame;
	size_t len;
	int sent = 0;

	assert_non_null(big);
	srv_start(&o);
	raw_connect(&r, net_tls_ctx(fx.client), 4096);
	schakel__v1__envelope__init(&env);
	schakel__v1__eval_request__init(&eval);
	item.data = big;
	item.len = 100 << 10;
	eval.epoch = EPOCH_NOW;
	eval.n_blinded = 1;
	eval.blinded = &item;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_EVAL_REQUEST;
	env.eval_request = &eval;
	for (uint64_t i = 1; i <= 400 && get(&T.closed) == 0; i++) {
		env.request_id = i;
		E(wire_envelope_pack(&env, &frame, &len));
		sent += raw_write(&r, frame, len);
		free(frame);
	}
	wait_for(&T.closed, 1);
	assert_true(sent < 400);
	raw_close(&r);
	free(big);
	check_still_serving();
	srv_stop();
}

/* A connection that never completes a handshake is dropped on time. */
static void test_timeouts(void **state)
{
	net_server_opts o = {.handshake_ms = 200};
	struct raw r = {0};
	struct timespec t0, t1;
	char b;
	long ms;

	srv_start(&o);
	raw_connect(&r, NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(recv(r.fd, &b, 1, 0), 0); /* closed by the server */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 150 && ms < 3000);
	raw_close(&r);
	check_still_serving();
	srv_stop();

	/* an admitted connection with nothing to say is closed when idle */
	o = (net_server_opts){.idle_ms = 200};
	srv_start(&o);
	{
		net_sync *sc;

		E(net_sync_connect(&sc, fx.client, net_server_address(T.s), "registry", 5000));
		E(sync_echo(sc, EPOCH_ECHO, 1));
		wait_for(&T.closed, 1);
		EFAIL(sync_echo(sc, EPOCH_ECHO, 2), SK_ERR_IO);
		net_sync_close(sc);
	}
	srv_stop();
}

/* ---- drain ----------------------------------------------------------------- */

static int drained;

static void on_drained(void *arg)
{
	lock();
	drained = 1;
	unlock();
}

static void start_drain(void *arg)
{
	net_server_drain(T.s, 5000, on_drained, NULL);
}

struct held_client {
	net_sync *sc;
	sk_status st;
};

static void *held_thread(void *arg)
{
	struct held_client *h = arg;

	h->st = sync_echo(h->sc, EPOCH_HOLD, 42);
	return NULL;
}

/* Drain: the in-flight request is answered, idle connections close, no
 * new connection is accepted, then done() runs. */
static void test_drain(void **state)
{
	struct held_client h = {0};
	net_sync *idle, *late = NULL;
	pthread_t th;

	srv_start(NULL);
	drained = 0;
	E(net_sync_connect(&h.sc, fx.client, net_server_address(T.s), "registry", 5000));
	E(net_sync_connect(&idle, fx.client2, net_server_address(T.s), "registry", 5000));
	E(sync_echo(idle, EPOCH_ECHO, 1));
	assert_int_equal(pthread_create(&th, NULL, held_thread, &h), 0);
	wait_for(&T.nheld, 1);

	on_loop(start_drain, NULL);
	wait_for(&T.closed, 1); /* the idle one */
	EFAIL(sync_echo(idle, EPOCH_ECHO, 2), SK_ERR_IO);
	EFAIL(net_sync_connect(&late, fx.client, net_server_address(T.s), NULL, 1000), SK_ERR_IO);
	assert_false(get(&drained));

	on_loop(release_held, NULL);
	pthread_join(th, NULL);
	E(h.st);
	wait_for(&drained, 1);
	assert_int_equal(get(&T.closed), 2);
	net_sync_close(h.sc);
	net_sync_close(idle);
	srv_stop();
}

/* ---- loop ---------------------------------------------------------------- */

static void count_call(void *arg)
{
	lock();
	(*(int *)arg)++;
	unlock();
}

static void *caller_thread(void *arg)
{
	for (int i = 0; i < 1000; i++)
		if (net_loop_call(T.loop, count_call, arg) != SK_OK)
			abort();
	return NULL;
}

/* Calls from many threads all run; a stop before run is not lost. */
static void test_loop(void **state)
{
	pthread_t th[4];
	int n = 0;
	net_loop *l;

	srv_start(NULL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, caller_thread, &n), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	wait_for(&n, 4000);
	srv_stop();

	E(net_loop_new(&l));
	net_loop_stop(l);
	E(net_loop_run(l));
	net_loop_free(l);
	assert_int_equal(net_error_status(0), SK_ERR_INVALID);
	assert_int_equal(net_error_status(SK_ERR_PERM), SK_ERR_PERM);
	assert_int_equal(net_error_status(100000), SK_ERR_FAILED);
}

/* Addresses that do not parse, and nobody listening. */
static void test_addresses(void **state)
{
	static const char *bad[] = {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:x",
				    "127.0.0.1:70000", "127.0.0.1:-1", "127.0.0.1:0"};
	net_sync *sc = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EFAIL(net_sync_connect(&sc, fx.client, bad[i], NULL, 1000), SK_ERR_INVALID);
	srv_start(NULL);
	{
		char addr[NET_ADDR_MAX];

		snprintf(addr, sizeof(addr), "%s", net_server_address(T.s));
		srv_stop();
		EFAIL(net_sync_connect(&sc, fx.client, addr, NULL, 1000), SK_ERR_IO);
	}
	assert_null(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_async),
		cmocka_unit_test(test_async_refused),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_foreign_ca),
		cmocka_unit_test(test_server_unknown),
		cmocka_unit_test(test_no_cert),
		cmocka_unit_test(test_tls12_refused),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_pinning),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_addresses),
	};
	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
