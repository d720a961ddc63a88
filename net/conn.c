#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <openssl/err.h>

#include "net/conn.h"

#define HDR WIRE_FRAME_HEADER_BYTES
#define OUTPUT_MAX (8u << 20)

/* ---- shared helpers --------------------------------------------------- */

sk_status net_error_status(uint32_t code)
{
	if (code == 0)
		return SK_ERR_INVALID;
	return code < SK_STATUS_COUNT ? (sk_status)code : SK_ERR_FAILED;
}

/* Resolves "HOST:PORT" or "[V6]:PORT" (an empty HOST is the wildcard when
 * passive) into *res, freed with freeaddrinfo(). */
static sk_status addr_resolve(const char *addr, int passive, struct addrinfo **res)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)};
	char host[NI_MAXHOST];
	const char *colon = strrchr(addr, ':'), *h = host;
	size_t hn;
	char *end;
	unsigned long port;
	int rc;

	*res = NULL;
	if (colon == NULL || (hn = (size_t)(colon - addr)) >= sizeof(host))
		goto bad;
	memcpy(host, addr, hn);
	host[hn] = '\0';
	if (hn >= 2 && host[0] == '[' && host[hn - 1] == ']') {
		host[hn - 1] = '\0';
		h = host + 1;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 || port > 65535 ||
	    (port == 0 && !passive))
		goto bad;
	rc = getaddrinfo(h[0] != '\0' ? h : NULL, colon + 1, &hints, res);
	if (rc != 0) {
		sk_error_set("cannot resolve %s: %s", addr, gai_strerror(rc));
		return SK_ERR_IO;
	}
	return SK_OK;
bad:
	sk_error_set("bad address \"%.64s\": expected HOST:PORT", addr);
	return SK_ERR_INVALID;
}

static const char *tls_reason(unsigned long e)
{
	const char *r = ERR_reason_error_string(e);

	return r != NULL ? r : "handshake or record failure";
}

static void nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static struct timeval ms_tv(unsigned ms)
{
	return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

/* An Error envelope; message must outlive env. */
static void error_envelope(wire_envelope *env, Schakel__V1__Error *err, uint64_t id,
			   sk_status st, const char *message)
{
	schakel__v1__envelope__init(env);
	schakel__v1__error__init(err);
	err->code = (uint32_t)st;
	err->message = (char *)message;
	env->request_id = id;
	env->body_case = SCHAKEL__V1__ENVELOPE__BODY_ERROR;
	env->error = err;
}

/* The status of an Error envelope; its message becomes the error detail. */
static sk_status error_from(const wire_envelope *env)
{
	const char *m = env->error->message;
	sk_status st = net_error_status(env->error->code);

	if (m != NULL && m[0] != '\0')
		sk_error_set("%.200s", m);
	else
		sk_error_set("%s", sk_strerror(st));
	return st;
}

/* Parses the frame at the start of in, if whole. SK_ERR_TRUNCATED: wait for
 * more. Any other failure is fatal for the connection. */
static sk_status frame_take(struct evbuffer *in, uint32_t cap, wire_envelope **env)
{
	size_t n = 0;
	sk_status st;

	*env = NULL;
	if (evbuffer_get_length(in) < HDR)
		return SK_ERR_TRUNCATED;
	st = wire_frame_peek(evbuffer_pullup(in, HDR), HDR, cap, &n);
	if (st != SK_ERR_TRUNCATED)
		return st == SK_OK ? SK_ERR_INVALID : st;
	if (evbuffer_get_length(in) < HDR + n)
		return SK_ERR_TRUNCATED;
	st = wire_envelope_unpack(evbuffer_pullup(in, (ssize_t)(HDR + n)) + HDR, n, env);
	evbuffer_drain(in, HDR + n);
	return st == SK_ERR_TRUNCATED ? SK_ERR_INVALID : st;
}

/* Appends a frame to bev's output unless the output would exceed cap. */
static sk_status frame_append(struct bufferevent *bev, const uint8_t *frame, size_t len,
			      size_t cap)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) + len > cap) {
		sk_error_set("peer does not read: more than %zu bytes of output queued", cap);
		return SK_ERR_FAILED;
	}
	return bufferevent_write(bev, frame, len) == 0 ? SK_OK : SK_ERR_NOMEM;
}

static sk_status frame_write(struct bufferevent *bev, const wire_envelope *env, size_t cap)
{
	uint8_t *frame;
	size_t len;
	sk_status st = wire_envelope_pack(env, &frame, &len);

	if (st == SK_OK)
		st = frame_append(bev, frame, len, cap);
	free(frame);
	return st;
}

/* ---- event loop ------------------------------------------------------- */

struct call {
	struct call *next;
	net_call_fn fn;
	void *arg;
};

struct net_loop {
	struct event_base *base;
	struct event *wake;
	pthread_mutex_t lock;
	struct call *head, *tail; /* under lock */
	size_t ncalls;
	int stop;
};

static pthread_once_t evthread_once = PTHREAD_ONCE_INIT;
static int evthread_ok;

static void evthread_init(void)
{
	evthread_ok = evthread_use_pthreads() == 0;
}

/* Runs the queued calls; then breaks the loop if asked to stop. Being an
 * event, a stop requested before net_loop_run() is not lost. */
static void loop_wake(evutil_socket_t fd, short what, void *arg)
{
	net_loop *l = arg;
	struct call *c;
	int stop;

	pthread_mutex_lock(&l->lock);
	c = l->head;
	l->head = l->tail = NULL;
	l->ncalls = 0;
	stop = l->stop;
	pthread_mutex_unlock(&l->lock);
	while (c != NULL) {
		struct call *next = c->next;

		c->fn(c->arg);
		free(c);
		c = next;
	}
	if (stop)
		event_base_loopbreak(l->base);
}

sk_status net_loop_new(net_loop **out)
{
	net_loop *l;

	*out = NULL;
	pthread_once(&evthread_once, evthread_init);
	if (!evthread_ok || (l = calloc(1, sizeof(*l))) == NULL)
		return SK_ERR_NOMEM;
	if (pthread_mutex_init(&l->lock, NULL) != 0) {
		free(l);
		return SK_ERR_NOMEM;
	}
	if ((l->base = event_base_new()) == NULL ||
	    (l->wake = event_new(l->base, -1, 0, loop_wake, l)) == NULL) {
		net_loop_free(l);
		return SK_ERR_NOMEM;
	}
	*out = l;
	return SK_OK;
}

sk_status net_loop_run(net_loop *l)
{
	for (;;) {
		int stop;

		if (event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY) < 0)
			return SK_ERR_IO;
		pthread_mutex_lock(&l->lock);
		stop = l->stop;
		l->stop = 0;
		pthread_mutex_unlock(&l->lock);
		if (stop)
			return SK_OK;
	}
}

void net_loop_stop(net_loop *l)
{
	pthread_mutex_lock(&l->lock);
	l->stop = 1;
	pthread_mutex_unlock(&l->lock);
	event_active(l->wake, 0, 0);
}

sk_status net_loop_call(net_loop *l, net_call_fn fn, void *arg)
{
	struct call *c = malloc(sizeof(*c));
	sk_status st = SK_OK;

	if (c == NULL)
		return SK_ERR_NOMEM;
	*c = (struct call){.fn = fn, .arg = arg};
	pthread_mutex_lock(&l->lock);
	if (l->ncalls >= NET_LOOP_CALLS_MAX) {
		st = SK_ERR_TOOBIG;
	} else {
		if (l->tail != NULL)
			l->tail->next = c;
		else
			l->head = c;
		l->tail = c;
		l->ncalls++;
	}
	pthread_mutex_unlock(&l->lock);
	if (st != SK_OK)
		free(c);
	else
		event_active(l->wake, 0, 0);
	return st;
}

struct event_base *net_loop_base(net_loop *l)
{
	return l->base;
}

void net_loop_free(net_loop *l)
{
	if (l == NULL)
		return;
	if (l->wake != NULL)
		while (l->head != NULL)
			loop_wake(-1, 0, l);
	/* Bufferevents freed while the loop was not running are finalised by
	 * the loop: let it run until nothing is left. */
	for (int i = 0; l->base != NULL && i < 64; i++)
		if (event_base_loop(l->base, EVLOOP_NONBLOCK) != 0)
			break;
	if (l->wake != NULL)
		event_free(l->wake);
	if (l->base != NULL)
		event_base_free(l->base);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* ---- server ----------------------------------------------------------- */

enum conn_state {
	C_HANDSHAKE, /* TLS handshake, then admission */
	C_OPEN,      /* admitted: requests flow */
	C_CLOSING,   /* flushing its last output, reading nothing */
	C_CLOSED     /* socket gone; memory lives on while referenced */
};

struct net_conn {
	net_conn *prev, *next; /* in srv->conns while the socket is open */
	net_server *srv;
	struct bufferevent *bev;
	struct event *timer; /* handshake deadline, then flush deadline */
	atomic_uint refs;    /* one held by the open socket */
	enum conn_state state;
	unsigned inflight;   /* requests handed to ops->request, unanswered */
	unsigned checked;    /* the net_server_recheck() round that last saw it */
	uint64_t mark;       /* net_conn_set_mark() */
	net_peer peer;
};

struct net_server {
	net_loop *loop;
	const net_tls *tls;
	const net_server_ops *ops;
	void *ctx;
	net_server_opts o;
	struct evconnlistener *lev;
	struct event *retry;       /* re-enables accepting after an error */
	struct event *drain_timer; /* drain deadline */
	net_call_fn drain_done;
	void *drain_arg;
	int draining;
	unsigned recheck_round; /* net_server_recheck() calls so far */
	net_conn *conns;
	unsigned nconns;
	char addr[NET_ADDR_MAX];
};

static void drain_check(net_server *s)
{
	net_call_fn fn = s->drain_done;

	if (!s->draining || s->nconns != 0 || fn == NULL)
		return;
	s->drain_done = NULL;
	evtimer_del(s->drain_timer);
	fn(s->drain_arg);
}

/* Frees the socket side of c and drops the socket's reference. */
static void conn_release(net_conn *c)
{
	net_server *s = c->srv;

	bufferevent_free(c->bev);
	event_free(c->timer);
	c->bev = NULL;
	c->timer = NULL;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nconns--;
	c->srv = NULL;
	c->state = C_CLOSED;
	net_conn_unref(c);
	drain_check(s);
}

/* Closes c: at once, or once its output is flushed (within handshake_ms). */
static void conn_close(net_conn *c, int flush)
{
	net_server *s = c->srv;
	int was_open = c->state == C_OPEN;
	struct timeval tv;

	if (c->state == C_CLOSED || (c->state == C_CLOSING && flush))
		return;
	if (c->state != C_CLOSING) {
		c->state = C_CLOSING;
		if (was_open && s->ops->closed != NULL)
			s->ops->closed(s->ctx, c);
		if (c->state == C_CLOSED)
			return;
	}
	if (!flush || evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		conn_release(c);
		return;
	}
	bufferevent_disable(c->bev, EV_READ);
	tv = ms_tv(s->o.handshake_ms);
	evtimer_add(c->timer, &tv);
}

/* Tells the peer why (request_id 0, an Error), then closes. */
static void conn_refuse(net_conn *c, sk_status st, const char *why)
{
	wire_envelope env;
	Schakel__V1__Error err;

	error_envelope(&env, &err, 0, st, why != NULL && why[0] != '\0' ? why : sk_strerror(st));
	if (frame_write(c->bev, &env, c->srv->o.max_output) != SK_OK) {
		conn_close(c, 0);
		return;
	}
	conn_close(c, 1);
}

static void conn_timeout(evutil_socket_t fd, short what, void *arg)
{
	conn_close(arg, 0); /* no admission in time, or no flush in time */
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	net_conn *c = arg;
	net_server *s = c->srv;
	wire_envelope *env;
	sk_status st;

	if (c->state == C_HANDSHAKE) {
		/* Input that arrived with the handshake waits for admission,
		 * capped at WIRE_FRAME_MAX_PREAUTH. */
		size_t n;
		struct evbuffer *in = bufferevent_get_input(bev);

		if (evbuffer_get_length(in) >= HDR &&
		    (st = wire_frame_peek(evbuffer_pullup(in, HDR), HDR, WIRE_FRAME_MAX_PREAUTH,
					  &n)) != SK_ERR_TRUNCATED)
			conn_refuse(c, st, st == SK_ERR_TOOBIG ? "frame exceeds the limit before admission"
							       : "malformed frame");
		return;
	}
	net_conn_ref(c); /* request() may close c */
	while (c->state == C_OPEN && !s->draining && c->inflight < s->o.max_inflight) {
		st = frame_take(bufferevent_get_input(bev), WIRE_FRAME_MAX, &env);
		if (st == SK_ERR_TRUNCATED)
			break;
		if (st == SK_OK && env->request_id == 0) {
			wire_envelope_free(env);
			st = SK_ERR_INVALID;
		}
		if (st != SK_OK) {
			conn_refuse(c, st, st == SK_ERR_TOOBIG ? "frame exceeds the size limit"
							       : "malformed frame");
			break;
		}
		c->inflight++;
		s->ops->request(s->ctx, c, env);
	}
	net_conn_unref(c);
}

static void conn_write(struct bufferevent *bev, void *arg)
{
	net_conn *c = arg;

	if (c->state == C_CLOSING && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_release(c);
}

static void conn_admit(net_conn *c)
{
	net_server *s = c->srv;
	struct timeval idle = ms_tv(s->o.idle_ms);
	unsigned same = 0;
	sk_status st;

	sk_error_clear();
	st = net_tls_peer(s->tls, bufferevent_openssl_get_ssl(c->bev), &c->peer);
	for (net_conn *o = s->conns; st == SK_OK && o != NULL; o = o->next)
		same += o->state == C_OPEN && strcmp(o->peer.org_id, c->peer.org_id) == 0;
	if (st == SK_OK && same >= s->o.max_conns_per_org) {
		sk_error_set("too many connections from %s", c->peer.org_id);
		st = SK_ERR_TOOBIG;
	}
	if (st == SK_OK && s->ops->admit != NULL)
		st = s->ops->admit(s->ctx, &c->peer);
	if (st != SK_OK) {
		conn_refuse(c, st, sk_error_detail());
		return;
	}
	c->state = C_OPEN;
	evtimer_del(c->timer);
	bufferevent_setwatermark(c->bev, EV_READ, 0, HDR + WIRE_FRAME_MAX);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	net_conn *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		if (c->state == C_HANDSHAKE)
			conn_admit(c);
		return;
	}
	conn_close(c, 0); /* EOF, error or idle timeout */
}

static void srv_accept(struct evconnlistener *lev, evutil_socket_t fd,
		       struct sockaddr *sa, int salen, void *arg)
{
	net_server *s = arg;
	struct event_base *base = net_loop_base(s->loop);
	struct timeval tv = ms_tv(s->o.handshake_ms);
	net_conn *c = NULL;
	SSL *ssl = NULL;

	if (s->nconns >= s->o.max_conns || s->draining ||
	    (c = calloc(1, sizeof(*c))) == NULL ||
	    (c->timer = evtimer_new(base, conn_timeout, c)) == NULL ||
	    (ssl = SSL_new(net_tls_ctx(s->tls))) == NULL) {
		SSL_free(ssl);
		if (c != NULL && c->timer != NULL)
			event_free(c->timer);
		free(c);
		close(fd);
		return;
	}
	/* On failure libevent may have freed ssl and fd already: leak them
	 * rather than free twice (allocation failure only). */
	c->bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
						BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (c->bev == NULL) {
		event_free(c->timer);
		free(c);
		return;
	}
	nodelay(fd);
	atomic_init(&c->refs, 1);
	c->srv = s;
	c->state = C_HANDSHAKE;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setwatermark(c->bev, EV_READ, 0, HDR + WIRE_FRAME_MAX_PREAUTH);
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	evtimer_add(c->timer, &tv);
}

static void srv_retry(evutil_socket_t fd, short what, void *arg)
{
	net_server *s = arg;

	if (s->lev != NULL)
		evconnlistener_enable(s->lev);
}

/* accept() failed (e.g. EMFILE): pause a second instead of spinning. */
static void srv_accept_error(struct evconnlistener *lev, void *arg)
{
	net_server *s = arg;
	struct timeval tv = {1, 0};

	evconnlistener_disable(lev);
	evtimer_add(s->retry, &tv);
}

static void srv_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	net_server *s = arg;

	while (s->conns != NULL)
		conn_close(s->conns, 0);
	drain_check(s);
}

sk_status net_server_listen(net_server **out, net_loop *loop, const net_tls *tls,
			    const char *addr, const net_server_ops *ops,
			    const net_server_opts *opts, void *ctx)
{
	struct event_base *base = net_loop_base(loop);
	struct addrinfo *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char host[NI_MAXHOST], port[NI_MAXSERV];
	net_server *s;
	sk_status st;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return SK_ERR_NOMEM;
	s->loop = loop;
	s->tls = tls;
	s->ops = ops;
	s->ctx = ctx;
	if (opts != NULL)
		s->o = *opts;
	s->o.max_conns = s->o.max_conns ? s->o.max_conns : 1024;
	s->o.max_conns_per_org = s->o.max_conns_per_org ? s->o.max_conns_per_org : 64;
	s->o.max_inflight = s->o.max_inflight ? s->o.max_inflight : 64;
	s->o.handshake_ms = s->o.handshake_ms ? s->o.handshake_ms : 10000;
	s->o.idle_ms = s->o.idle_ms ? s->o.idle_ms : 600000;
	s->o.max_output = s->o.max_output ? s->o.max_output : OUTPUT_MAX;
	if ((st = addr_resolve(addr, 1, &ai)) != SK_OK)
		goto out;
	st = SK_ERR_NOMEM;
	if ((s->retry = evtimer_new(base, srv_retry, s)) == NULL ||
	    (s->drain_timer = evtimer_new(base, srv_drain_timeout, s)) == NULL)
		goto out;
	s->lev = evconnlistener_new_bind(base, srv_accept, s,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
						 LEV_OPT_CLOSE_ON_EXEC,
					 128, ai->ai_addr, (int)ai->ai_addrlen);
	if (s->lev == NULL) {
		sk_error_set("cannot listen on %s: %s", addr, strerror(errno));
		st = SK_ERR_IO;
		goto out;
	}
	evconnlistener_set_error_cb(s->lev, srv_accept_error);
	if (getsockname(evconnlistener_get_fd(s->lev), (struct sockaddr *)&ss, &sslen) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		st = SK_ERR_IO;
		goto out;
	}
	snprintf(s->addr, sizeof(s->addr), ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, port);
	st = SK_OK;
	*out = s;
out:
	if (ai != NULL)
		freeaddrinfo(ai);
	if (st != SK_OK)
		net_server_free(s);
	return st;
}

const char *net_server_address(const net_server *s)
{
	return s->addr;
}

unsigned net_server_conns(const net_server *s)
{
	return s->nconns;
}

void net_server_drain(net_server *s, unsigned timeout_ms, net_call_fn done, void *arg)
{
	struct timeval tv = ms_tv(timeout_ms);
	net_conn *c;

	if (s->draining)
		return;
	s->draining = 1;
	s->drain_done = done;
	s->drain_arg = arg;
	evconnlistener_free(s->lev); /* new connections are refused at once */
	s->lev = NULL;
	evtimer_del(s->retry);
	evtimer_add(s->drain_timer, &tv);
	/* Closing one connection may close others (closed() callbacks), so
	 * rescan after each close; every close leaves C_HANDSHAKE/C_OPEN. */
again:
	for (c = s->conns; c != NULL; c = c->next) {
		if (c->state == C_HANDSHAKE || (c->state == C_OPEN && c->inflight == 0)) {
			conn_close(c, c->state == C_OPEN);
			goto again;
		}
		if (c->state == C_OPEN)
			bufferevent_disable(c->bev, EV_READ);
	}
	drain_check(s);
}

unsigned net_server_recheck(net_server *s, sk_status (*check)(void *ctx, const net_peer *peer),
			    void *ctx)
{
	unsigned refused = 0, round = ++s->recheck_round;
	net_conn *c;
	sk_status st;

	/* a refusal may close others (closed() callbacks): rescan after each,
	 * skipping those this round already asked about */
again:
	for (c = s->conns; c != NULL; c = c->next) {
		if (c->state != C_OPEN || c->checked == round)
			continue;
		c->checked = round;
		sk_error_clear();
		if ((st = check(ctx, &c->peer)) != SK_OK) {
			conn_refuse(c, st, sk_error_detail());
			refused++;
			goto again;
		}
	}
	return refused;
}

uint64_t net_conn_mark(const net_conn *c)
{
	return c->mark;
}

void net_conn_set_mark(net_conn *c, uint64_t mark)
{
	c->mark = mark;
}

void net_server_free(net_server *s)
{
	if (s == NULL)
		return;
	s->drain_done = NULL;
	if (s->lev != NULL)
		evconnlistener_free(s->lev);
	while (s->conns != NULL)
		conn_close(s->conns, 0);
	if (s->retry != NULL)
		event_free(s->retry);
	if (s->drain_timer != NULL)
		event_free(s->drain_timer);
	free(s);
}

const net_peer *net_conn_peer(const net_conn *c)
{
	return &c->peer;
}

int net_conn_is_open(const net_conn *c)
{
	return c->state == C_OPEN;
}

sk_status net_conn_send(net_conn *c, const wire_envelope *env)
{
	net_server *s = c->srv;
	uint8_t *frame = NULL;
	size_t len;
	sk_status st;

	if (c->state != C_OPEN)
		return SK_ERR_FAILED;
	if ((st = wire_envelope_pack(env, &frame, &len)) != SK_OK)
		return st;
	st = frame_append(c->bev, frame, len, s->o.max_output);
	free(frame);
	if (st != SK_OK) {
		conn_close(c, 0);
		return SK_ERR_FAILED;
	}
	if (env->request_id != 0 && c->inflight > 0) {
		if (c->inflight-- == s->o.max_inflight) /* input was waiting */
			bufferevent_trigger(c->bev, EV_READ,
					    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
		if (s->draining && c->inflight == 0)
			conn_close(c, 1);
	}
	return SK_OK;
}

sk_status net_conn_send_error(net_conn *c, uint64_t request_id, sk_status st, const char *why)
{
	wire_envelope env;
	Schakel__V1__Error err;

	error_envelope(&env, &err, request_id, st,
		       why != NULL && why[0] != '\0' ? why : sk_strerror(st));
	return net_conn_send(c, &env);
}

void net_conn_close(net_conn *c)
{
	if (c->state != C_CLOSED)
		conn_close(c, 1);
}

void net_conn_ref(net_conn *c)
{
	atomic_fetch_add(&c->refs, 1);
}

void net_conn_unref(net_conn *c)
{
	if (c != NULL && atomic_fetch_sub(&c->refs, 1) == 1) {
		free(c);
	}
}

/* ---- clients -------------------------------------------------------------- */

/* The server's verified identity, which must be org (unless NULL or ""). */
static sk_status peer_check(const net_tls *tls, SSL *ssl, const char *org, net_peer *peer)
{
	sk_status st = net_tls_peer(tls, ssl, peer);

	if (st == SK_OK && org != NULL && org[0] != '\0' && strcmp(peer->org_id, org) != 0) {
		sk_error_set("the server is %s, not %.64s", peer->org_id, org);
		st = SK_ERR_VERIFY;
	}
	return st;
}

/* ---- asynchronous client ---------------------------------------------- */

struct pending {
	struct pending *prev, *next;
	net_client *c;
	uint64_t id;
	unsigned timeout_ms;
	net_reply_fn done;
	void *arg;
	struct event *timer;
};

struct net_client {
	net_loop *loop;
	const net_tls *tls;
	char peer_org[NET_ORG_ID_MAX + 1]; /* "" accepts any member */
	const net_client_ops *ops;
	void *ctx;
	struct bufferevent *bev;
	struct event *timer; /* handshake deadline */
	struct pending *pending;
	unsigned npending;
	uint64_t next_id;
	int connected, failed;
	net_peer peer;
	char why[256]; /* the detail of the failure, for every callback */
};

static void pending_unlink(net_client *c, struct pending *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		c->pending = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	c->npending--;
	event_free(p->timer);
}

/* Ends the connection: every outstanding request and then closed() get st,
 * with why as the error detail. */
static void client_fail(net_client *c, sk_status st, const char *why, int call_closed)
{
	if (c->failed)
		return;
	c->failed = 1;
	snprintf(c->why, sizeof(c->why), "%s", why[0] != '\0' ? why : sk_strerror(st));
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	c->bev = NULL;
	if (c->timer != NULL)
		evtimer_del(c->timer);
	while (c->pending != NULL) {
		struct pending *p = c->pending;

		pending_unlink(c, p);
		sk_error_set("%s", c->why);
		p->done(p->arg, st, NULL);
		free(p);
	}
	if (call_closed && c->ops->closed != NULL) {
		sk_error_set("%s", c->why);
		c->ops->closed(c->ctx, st);
	}
}

static void client_handshake_timeout(evutil_socket_t fd, short what, void *arg)
{
	client_fail(arg, SK_ERR_IO, "no TLS handshake within the time limit", 1);
}

static void pending_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;

	pending_unlink(p->c, p);
	sk_error_set("no reply within %u ms", p->timeout_ms);
	p->done(p->arg, SK_ERR_IO, NULL);
	free(p);
}

static void client_read(struct bufferevent *bev, void *arg)
{
	net_client *c = arg;
	wire_envelope *env;
	sk_status st;

	while (c->connected && !c->failed) {
		struct pending *p;

		st = frame_take(bufferevent_get_input(bev), WIRE_FRAME_MAX, &env);
		if (st == SK_ERR_TRUNCATED)
			return;
		if (st != SK_OK) {
			client_fail(c, SK_ERR_INVALID, "the server sent a malformed frame", 1);
			return;
		}
		if (env->request_id == 0) {
			if (env->body_case == SCHAKEL__V1__ENVELOPE__BODY_ERROR) {
				st = error_from(env); /* refused */
				wire_envelope_free(env);
				client_fail(c, st, sk_error_detail(), 1);
				return;
			}
			if (c->ops->push != NULL)
				c->ops->push(c->ctx, env);
			else
				wire_envelope_free(env);
			continue;
		}
		for (p = c->pending; p != NULL && p->id != env->request_id; p = p->next)
			;
		if (p == NULL) { /* a reply after its timeout */
			wire_envelope_free(env);
			continue;
		}
		pending_unlink(c, p);
		if (env->body_case == SCHAKEL__V1__ENVELOPE__BODY_ERROR) {
			st = error_from(env);
			wire_envelope_free(env);
			p->done(p->arg, st, NULL);
		} else {
			p->done(p->arg, SK_OK, env);
		}
		free(p);
	}
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	net_client *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		if (peer_check(c->tls, bufferevent_openssl_get_ssl(bev), c->peer_org, &c->peer) !=
		    SK_OK) {
			client_fail(c, SK_ERR_VERIFY, sk_error_detail(), 1);
			return;
		}
		c->connected = 1;
		evtimer_del(c->timer);
		bufferevent_enable(bev, EV_WRITE); /* now the requests may go */
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		unsigned long e = bufferevent_get_openssl_error(bev);

		if (e != 0) {
			char why[160];

			snprintf(why, sizeof(why), "TLS: %s", tls_reason(e));
			client_fail(c, SK_ERR_VERIFY, why, 1);
			return;
		}
	}
	client_fail(c, SK_ERR_IO, "connection closed", 1);
}

sk_status net_client_connect(net_client **out, net_loop *loop, const net_tls *tls,
			     const char *addr, const char *peer_org, unsigned timeout_ms,
			     const net_client_ops *ops, void *ctx)
{
	struct event_base *base = net_loop_base(loop);
	struct timeval tv = ms_tv(timeout_ms);
	struct addrinfo *ai = NULL;
	net_client *c;
	SSL *ssl;
	sk_status st;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SK_ERR_NOMEM;
	c->loop = loop;
	c->tls = tls;
	c->ops = ops;
	c->ctx = ctx;
	if (peer_org != NULL)
		snprintf(c->peer_org, sizeof(c->peer_org), "%s", peer_org);
	if ((st = addr_resolve(addr, 0, &ai)) != SK_OK)
		goto out;
	st = SK_ERR_NOMEM;
	if ((c->timer = evtimer_new(base, client_handshake_timeout, c)) == NULL ||
	    (ssl = SSL_new(net_tls_ctx(tls))) == NULL)
		goto out;
	c->bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
						BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (c->bev == NULL)
		goto out;
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setwatermark(c->bev, EV_READ, 0, HDR + WIRE_FRAME_MAX);
	bufferevent_setcb(c->bev, client_read, NULL, client_event, c);
	/* Writing waits for the server's identity: see client_event. */
	bufferevent_enable(c->bev, EV_READ);
	bufferevent_disable(c->bev, EV_WRITE);
	if (bufferevent_socket_connect(c->bev, ai->ai_addr, (int)ai->ai_addrlen) != 0) {
		sk_error_set("cannot connect to %s: %s", addr, strerror(errno));
		st = SK_ERR_IO;
		goto out;
	}
	nodelay(bufferevent_getfd(c->bev));
	evtimer_add(c->timer, &tv);
	st = SK_OK;
	*out = c;
out:
	if (ai != NULL)
		freeaddrinfo(ai);
	if (st != SK_OK)
		net_client_free(c);
	return st;
}

sk_status net_client_request(net_client *c, const wire_envelope *req, unsigned timeout_ms,
			     net_reply_fn done, void *arg)
{
	struct timeval tv = ms_tv(timeout_ms);
	wire_envelope e = *req;
	struct pending *p;
	sk_status st;

	if (c->failed)
		return SK_ERR_FAILED;
	if (c->npending >= NET_CLIENT_PENDING_MAX)
		return SK_ERR_TOOBIG;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return SK_ERR_NOMEM;
	if ((p->timer = evtimer_new(net_loop_base(c->loop), pending_timeout, p)) == NULL) {
		free(p);
		return SK_ERR_NOMEM;
	}
	e.request_id = ++c->next_id;
	if ((st = frame_write(c->bev, &e, OUTPUT_MAX)) != SK_OK) {
		event_free(p->timer);
		free(p);
		return st == SK_ERR_FAILED ? SK_ERR_TOOBIG : st;
	}
	*p = (struct pending){.next = c->pending, .c = c, .id = e.request_id,
			      .timeout_ms = timeout_ms, .done = done, .arg = arg,
			      .timer = p->timer};
	if (c->pending != NULL)
		c->pending->prev = p;
	c->pending = p;
	c->npending++;
	evtimer_add(p->timer, &tv);
	return SK_OK;
}

const net_peer *net_client_peer(const net_client *c)
{
	return c->connected && !c->failed ? &c->peer : NULL;
}

void net_client_free(net_client *c)
{
	if (c == NULL)
		return;
	client_fail(c, SK_ERR_FAILED, "the client was closed", 0);
	if (c->timer != NULL)
		event_free(c->timer);
	free(c);
}

/* ---- blocking client -------------------------------------------------- */

struct net_sync {
	int fd;
	SSL *ssl;
	unsigned timeout_ms;
	uint64_t next_id;
	int failed;
	net_peer peer;
};

enum sync_op { IO_CONNECT, IO_READ, IO_WRITE };

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes. */
static sk_status sync_wait(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left;
	int rc;

	do {
		if ((left = deadline - now_ms()) <= 0) {
			sk_error_set("timed out");
			return SK_ERR_IO;
		}
		rc = poll(&p, 1, (int)(left < INT_MAX ? left : INT_MAX));
	} while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		sk_error_set("poll: %s", strerror(errno));
		return SK_ERR_IO;
	}
	return SK_OK;
}

/* One TLS operation on the non-blocking socket, completed or failed by the
 * deadline: the handshake, or reading or writing exactly len bytes. */
static sk_status sync_io(net_sync *sc, enum sync_op op, uint8_t *buf, size_t len,
			 int64_t deadline)
{
	size_t done = 0;
	sk_status st;

	for (;;) {
		int chunk = len - done < INT_MAX ? (int)(len - done) : INT_MAX, n, err;

		ERR_clear_error();
		n = op == IO_CONNECT ? SSL_connect(sc->ssl)
		    : op == IO_READ  ? SSL_read(sc->ssl, buf + done, chunk)
				     : SSL_write(sc->ssl, buf + done, chunk);
		if (n > 0) {
			done += (size_t)n;
			if (op == IO_CONNECT || done == len)
				return SK_OK;
			continue;
		}
		err = SSL_get_error(sc->ssl, n);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			st = sync_wait(sc->fd, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
			if (st != SK_OK)
				return st;
			continue;
		}
		if (err == SSL_ERROR_SSL) {
			sk_error_set("TLS: %s", tls_reason(ERR_peek_error()));
			return SK_ERR_VERIFY;
		}
		sk_error_set("connection closed");
		return SK_ERR_IO;
	}
}

/* Reads one whole frame. */
static sk_status sync_read(net_sync *sc, wire_envelope **env, int64_t deadline)
{
	uint8_t hdr[HDR], *payload = NULL;
	size_t n = 0;
	sk_status st;

	*env = NULL;
	if ((st = sync_io(sc, IO_READ, hdr, HDR, deadline)) != SK_OK)
		return st;
	if ((st = wire_frame_peek(hdr, HDR, WIRE_FRAME_MAX, &n)) != SK_ERR_TRUNCATED) {
		sk_error_set("the server sent a malformed frame");
		return SK_ERR_INVALID;
	}
	if ((payload = malloc(n)) == NULL)
		return SK_ERR_NOMEM;
	if ((st = sync_io(sc, IO_READ, payload, n, deadline)) == SK_OK &&
	    (st = wire_envelope_unpack(payload, n, env)) != SK_OK) {
		sk_error_set("the server sent a malformed envelope");
		st = SK_ERR_INVALID;
	}
	free(payload);
	return st;
}

sk_status net_sync_connect(net_sync **out, const net_tls *tls, const char *addr,
			   const char *peer_org, unsigned timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct addrinfo *ai = NULL;
	net_sync *sc;
	int err = 0;
	socklen_t errlen = sizeof(err);
	sk_status st;

	*out = NULL;
	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return SK_ERR_NOMEM;
	sc->timeout_ms = timeout_ms;
	sc->fd = -1;
	if ((st = addr_resolve(addr, 0, &ai)) != SK_OK)
		goto out;
	st = SK_ERR_IO;
	sc->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sc->fd < 0) {
		sk_error_set("socket: %s", strerror(errno));
		goto out;
	}
	if (connect(sc->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			err = errno;
		} else if ((st = sync_wait(sc->fd, POLLOUT, deadline)) != SK_OK) {
			sk_error_set("cannot connect to %s: timed out", addr);
			goto out;
		} else if (getsockopt(sc->fd, SOL_SOCKET, SO_ERROR, &err, &errlen) != 0) {
			err = errno;
		}
		st = SK_ERR_IO;
		if (err != 0) {
			sk_error_set("cannot connect to %s: %s", addr, strerror(err));
			goto out;
		}
	}
	nodelay(sc->fd);
	st = SK_ERR_NOMEM;
	if ((sc->ssl = SSL_new(net_tls_ctx(tls))) == NULL || !SSL_set_fd(sc->ssl, sc->fd))
		goto out;
	SSL_set_connect_state(sc->ssl);
	if ((st = sync_io(sc, IO_CONNECT, NULL, 0, deadline)) != SK_OK ||
	    (st = peer_check(tls, sc->ssl, peer_org, &sc->peer)) != SK_OK)
		goto out;
	*out = sc;
out:
	if (ai != NULL)
		freeaddrinfo(ai);
	if (st != SK_OK)
		net_sync_close(sc);
	return st;
}

sk_status net_sync_request(net_sync *sc, const wire_envelope *req, wire_envelope **reply)
{
	int64_t deadline = now_ms() + sc->timeout_ms;
	wire_envelope e = *req, *env = NULL;
	uint8_t *frame = NULL;
	size_t len;
	sk_status st;

	*reply = NULL;
	if (sc->failed)
		return SK_ERR_FAILED;
	e.request_id = ++sc->next_id;
	if ((st = wire_envelope_pack(&e, &frame, &len)) != SK_OK)
		return st;
	st = sync_io(sc, IO_WRITE, frame, len, deadline);
	free(frame);
	for (;;) {
		sk_status rst = sync_read(sc, &env, deadline);

		if (rst != SK_OK) {
			/* A failed write keeps its own status unless the server
			 * said why it closed: a refusal, or a TLS alert. */
			st = st == SK_OK || rst == SK_ERR_VERIFY ? rst : st;
			break;
		}
		if (env->request_id == 0 && env->body_case == SCHAKEL__V1__ENVELOPE__BODY_ERROR) {
			st = error_from(env); /* refused */
			break;
		}
		if (st != SK_OK || env->request_id == 0) { /* a push */
			wire_envelope_free(env);
			env = NULL;
			if (st != SK_OK)
				break;
			continue;
		}
		if (env->request_id != e.request_id) {
			sk_error_set("the server answered request %llu, not %llu",
				     (unsigned long long)env->request_id,
				     (unsigned long long)e.request_id);
			st = SK_ERR_INVALID;
			break;
		}
		if (env->body_case == SCHAKEL__V1__ENVELOPE__BODY_ERROR) {
			st = error_from(env);
			wire_envelope_free(env);
			return st; /* an answer: the connection stays usable */
		}
		*reply = env;
		return SK_OK;
	}
	wire_envelope_free(env);
	sc->failed = 1;
	return st;
}

void net_sync_set_timeout(net_sync *sc, unsigned timeout_ms)
{
	sc->timeout_ms = timeout_ms;
}

const net_peer *net_sync_peer(const net_sync *sc)
{
	return &sc->peer;
}

void net_sync_close(net_sync *sc)
{
	if (sc == NULL)
		return;
	if (sc->ssl != NULL) {
		if (!sc->failed)
			(void)SSL_shutdown(sc->ssl); /* one try: close_notify */
		SSL_free(sc->ssl);
	}
	if (sc->fd >= 0)
		close(sc->fd);
	ERR_clear_error();
	free(sc);
}
