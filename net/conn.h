/* Framed envelope connections over TLS 1.3 (libevent 2.1 bufferevent_openssl):
 * an event loop, a server, an asynchronous client on a loop, and a blocking
 * client for CLI commands. Each frame carries one wire_envelope; requests
 * carry ids chosen by the client, replies echo them, request_id 0 marks a
 * push from the server. A refusal is a push of an Error envelope followed
 * by the close: TLS 1.3 lets a refused client finish its handshake, so it
 * learns of the refusal on its first read.
 *
 * Threads: everything runs on the loop thread (callbacks too), except
 * net_loop_call, net_loop_stop, net_conn_ref/unref and the net_sync_*
 * client, which need no loop. */
#ifndef SK_NET_CONN_H
#define SK_NET_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "net/cert.h"
#include "net/tls.h"
#include "protos/wire.h"

#define NET_ADDR_MAX 64               /* "[v6 address]:port" with NUL */
#define NET_LOOP_CALLS_MAX (1u << 20) /* queued net_loop_call()s, at most */
#define NET_CLIENT_PENDING_MAX 4096   /* outstanding requests per client */

/* ---- event loop ------------------------------------------------------- */

typedef struct net_loop net_loop;
typedef void (*net_call_fn)(void *arg);

/* A new loop (an event_base with pthread locking). */
sk_status net_loop_new(net_loop **out) SK_MUST_CHECK;

/* Runs the loop on the calling thread until net_loop_stop(). */
sk_status net_loop_run(net_loop *l) SK_MUST_CHECK;

/* Makes net_loop_run() return soon; from any thread, also before run. */
void net_loop_stop(net_loop *l);

/* Runs fn(arg) on the loop thread, soon, in call order. From any thread:
 * e.g. the LMDB writer's completion hands a reply back to the loop this
 * way. SK_ERR_TOOBIG when NET_LOOP_CALLS_MAX calls are queued; then fn
 * never runs. */
sk_status net_loop_call(net_loop *l, net_call_fn fn, void *arg) SK_MUST_CHECK;

/* The underlying event_base (owned by l), e.g. for evsignal_new(). */
struct event_base *net_loop_base(net_loop *l);

/* Runs the calls still queued (on the calling thread, which must be the
 * loop's), then frees the loop. Servers and clients on it must be freed
 * first; nothing may call net_loop_call() afterwards. Accepts NULL. */
void net_loop_free(net_loop *l);

/* ---- server ----------------------------------------------------------- */

typedef struct net_server net_server;
typedef struct net_conn net_conn;

typedef struct net_server_ops {
	/* After the handshake, with the verified peer: SK_OK admits it; any
	 * other status refuses it with an Error push (code = the status,
	 * message = sk_error_detail() or sk_strerror()) and closes. NULL
	 * admits every peer with a valid certificate. */
	sk_status (*admit)(void *ctx, const net_peer *peer);
	/* One request of an admitted peer; env is owned by the callee
	 * (wire_envelope_free). Reply with net_conn_send() using the same
	 * request_id, exactly once per request, now or later (then keep a
	 * reference: net_conn_ref()). */
	void (*request)(void *ctx, net_conn *c, wire_envelope *env);
	/* An admitted connection closed (peer, error, net_conn_close, drain
	 * or net_server_free); it will never call request() again. May be
	 * NULL. */
	void (*closed)(void *ctx, net_conn *c);
} net_server_ops;

/* Limits; a zero field takes its default. */
typedef struct net_server_opts {
	unsigned max_conns;         /* open connections: 1024 */
	unsigned max_conns_per_org; /* admitted connections of one org: 64 */
	unsigned max_inflight;      /* unanswered requests per connection: 64;
				     * then its input waits */
	unsigned handshake_ms;      /* from accept to admission, and to flush
				     * a refusal: 10000 */
	unsigned idle_ms;           /* no input, or stuck output: 600000 */
	size_t max_output;          /* queued output bytes: 8 MiB, then the
				     * connection is dropped */
} net_server_opts;

/* Listens on addr ("HOST:PORT", "[V6]:PORT"; port 0 picks a free one)
 * on the loop. tls, ops and ctx must outlive the server; opts (NULL for
 * defaults) is copied. Call on the loop thread or before the loop runs.
 * Frames may carry WIRE_FRAME_MAX_PREAUTH bytes until the peer is
 * admitted, WIRE_FRAME_MAX after; a larger or malformed frame, or a
 * request with request_id 0, gets an Error push and the connection closes.
 * WARNING: resolves HOST with getaddrinfo(), which may block. */
sk_status net_server_listen(net_server **out, net_loop *loop, const net_tls *tls,
			    const char *addr, const net_server_ops *ops,
			    const net_server_opts *opts, void *ctx) SK_MUST_CHECK;

/* The bound address, e.g. "127.0.0.1:43123"; owned by s. */
const char *net_server_address(const net_server *s);

/* Open connections (admitted or not, including those still flushing). */
unsigned net_server_conns(const net_server *s);

/* Graceful stop (e.g. on SIGTERM): closes the listening socket (new
 * connections are refused) and stops reading new requests; each connection
 * closes once its in-flight requests are answered and its output is
 * flushed, or at the latest after timeout_ms. Then done(arg) runs once on
 * the loop (e.g. net_loop_stop); done must not free s. */
void net_server_drain(net_server *s, unsigned timeout_ms, net_call_fn done, void *arg);

/* Closes every connection at once (calling closed() for admitted ones) and
 * frees s. Accepts NULL. */
void net_server_free(net_server *s);

/* Asks check(ctx, peer) again about every admitted connection (on the
 * loop thread), e.g. after the server learned that a member was revoked:
 * a connection whose check fails gets an Error push (code = the status,
 * message = sk_error_detail()) and closes, as a refusal at admission.
 * Returns how many were refused. */
unsigned net_server_recheck(net_server *s, sk_status (*check)(void *ctx, const net_peer *peer),
			    void *ctx);

/* A number the server's owner keeps with c (0 at first), e.g. the state
 * of its membership data when c was last checked. Loop thread only. */
uint64_t net_conn_mark(const net_conn *c);
void net_conn_set_mark(net_conn *c, uint64_t mark);

/* The admitted peer; owned by c, valid while c is referenced. */
const net_peer *net_conn_peer(const net_conn *c);

/* Queues env (its request_id as given) on c. A non-zero request_id
 * answers an in-flight request. SK_ERR_FAILED when c is closed (the reply
 * is dropped) or when its output cap is exceeded (then c is closed: the
 * peer does not read). SK_ERR_TOOBIG or SK_ERR_INVALID when env cannot be
 * framed; c stays open and the request still needs an answer. */
sk_status net_conn_send(net_conn *c, const wire_envelope *env) SK_MUST_CHECK;

/* Answers request_id on c with an Error: code st, message why (sk_strerror
 * of st when why is NULL or empty). Fails as net_conn_send(). */
sk_status net_conn_send_error(net_conn *c, uint64_t request_id, sk_status st,
			      const char *why) SK_MUST_CHECK;

/* 1 while c can still send. */
int net_conn_is_open(const net_conn *c);

/* Closes c after its queued output is flushed. */
void net_conn_close(net_conn *c);

/* References keep c's memory valid (not the connection open) for work
 * that replies later. From any thread. The server holds its own reference
 * while the socket is open. */
void net_conn_ref(net_conn *c);
void net_conn_unref(net_conn *c);

/* ---- asynchronous client (on a loop) ----------------------------------- */

typedef struct net_client net_client;

/* The outcome of one request, on the loop thread: SK_OK with the reply
 * (owned by the callee), or a failure with reply NULL: the server's Error
 * reply or refusal (its code; sk_error_detail() holds its message during
 * the call), SK_ERR_IO when the connection closed or the request timed
 * out, SK_ERR_VERIFY when the server's certificate failed, SK_ERR_FAILED
 * when the client is freed first. Called exactly once per request. */
typedef void (*net_reply_fn)(void *arg, sk_status st, wire_envelope *reply);

typedef struct net_client_ops {
	/* A push (request_id 0) other than an Error; env owned by the callee.
	 * May be NULL (pushes are dropped). */
	void (*push)(void *ctx, wire_envelope *env);
	/* The connection ended: st as for net_reply_fn. May be NULL. */
	void (*closed)(void *ctx, sk_status st);
} net_client_ops;

/* Starts connecting to addr (as net_server_listen); the handshake must
 * finish within timeout_ms. The server must hold a member certificate
 * with org id peer_org (NULL: any member, then check net_client_peer()).
 * Requests may be queued at once: nothing is sent before the server's
 * identity is verified. ops and ctx must outlive the client. Call on the
 * loop thread or before it runs.
 * WARNING: resolves HOST with getaddrinfo(), which may block. */
sk_status net_client_connect(net_client **out, net_loop *loop, const net_tls *tls,
			     const char *addr, const char *peer_org, unsigned timeout_ms,
			     const net_client_ops *ops, void *ctx) SK_MUST_CHECK;

/* Sends req with a fresh request id (req->request_id is ignored); done
 * runs exactly once, after the reply or after timeout_ms. Unless this
 * returns SK_OK (SK_ERR_FAILED once the connection ended, SK_ERR_TOOBIG
 * with NET_CLIENT_PENDING_MAX outstanding); then done never runs. */
sk_status net_client_request(net_client *c, const wire_envelope *req, unsigned timeout_ms,
			     net_reply_fn done, void *arg) SK_MUST_CHECK;

/* The server's verified identity once connected, else NULL; owned by c. */
const net_peer *net_client_peer(const net_client *c);

/* Closes, fails outstanding requests with SK_ERR_FAILED and frees c.
 * WARNING: not from c's own callbacks (defer it with net_loop_call).
 * Accepts NULL. */
void net_client_free(net_client *c);

/* ---- blocking client -------------------------------------------------- */

typedef struct net_sync net_sync;

/* Connects and completes the handshake within timeout_ms, which also
 * bounds each later net_sync_request(). Verifies the server's certificate
 * and that its org id is peer_org (NULL: any member; then check
 * net_sync_peer() before the first request): SK_ERR_VERIFY. SK_ERR_IO for
 * connection failures and timeouts (detail set). */
sk_status net_sync_connect(net_sync **out, const net_tls *tls, const char *addr,
			   const char *peer_org, unsigned timeout_ms) SK_MUST_CHECK;

/* Sends req with a fresh request id and waits for its reply, skipping
 * pushes. *reply is owned by the caller. An Error reply, or an Error push
 * (a refusal), returns its code with sk_error_detail() set to its message
 * and *reply NULL. After any failure but an Error reply the connection is
 * failed: later calls return SK_ERR_FAILED. */
sk_status net_sync_request(net_sync *sc, const wire_envelope *req,
			   wire_envelope **reply) SK_MUST_CHECK;

/* Bounds each later net_sync_request() by timeout_ms instead of the
 * connect's (a caller with a deadline: what is left of it). */
void net_sync_set_timeout(net_sync *sc, unsigned timeout_ms);

/* The server's verified identity; owned by sc. */
const net_peer *net_sync_peer(const net_sync *sc);

/* Accepts NULL. */
void net_sync_close(net_sync *sc);

/* The status an Error envelope's code stands for: unknown codes (from a
 * newer peer) become SK_ERR_FAILED, and code 0 SK_ERR_INVALID. */
sk_status net_error_status(uint32_t code);

#endif
