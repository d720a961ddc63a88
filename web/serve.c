#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <sodium.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/file.h"
#include "common/log.h"
#include "net/conn.h"
#include "node/case.h"
#include "node/sync.h"
#include "node/join.h"
#include "web/oidc.h"
#include "web/serve.h"
#include "web/tls.h"
#include "web/web.h"
#include "witness/serve.h"

typedef struct server {
	node_store *s;
	sk_kek *kek;
	web_app *web; /* the API and the pages (web/web.h) */
	net_loop *loop;
	/* the sync thread and what it last did, under lock */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping, now;
	unsigned seconds;
	uint64_t last_sync;
	uint64_t last_purge; /* the sync thread's: the audit log's daily purge */
	char last_error[256];
	node_sync_stats last;
} server;

/* The audit log's retention, once a day: a refusal (a legal hold) is
 * recorded by the purge and said on stderr. */
static void daily_purge(server *sv)
{
	audit_purge_result res;
	uint64_t now = sk_clock_now_ms();
	sk_status st;

	if (now < sv->last_purge + AUDIT_DAY_MS)
		return;
	sv->last_purge = now;
	if ((st = node_audit_purge(sv->s, sv->kek, "serve", now, &res)) != SK_OK)
		sk_log(SK_LOG_WARNING, "audit purge: %s",
		       sk_error_detail()[0] ? sk_error_detail() : sk_strerror(st));
	else if (res.count > 0)
		sk_log(SK_LOG_INFO, "audit purge: %llu records past their retention",
		       (unsigned long long)res.count);
}

static void *sync_main(void *arg)
{
	server *sv = arg;

	pthread_mutex_lock(&sv->lock);
	while (!sv->stopping) {
		node_remote *r = NULL;
		node_sync_stats stats = {0};
		struct timespec until;
		sk_status st;

		pthread_mutex_unlock(&sv->lock);
		daily_purge(sv);
		sk_error_clear();
		if ((st = node_remote_open(&r, sv->s, sv->kek)) == SK_OK)
			st = node_remote_sync(r, &stats);
		node_remote_close(r);
		pthread_mutex_lock(&sv->lock);
		sv->last_sync = sk_clock_now_ms();
		sv->last = stats;
		snprintf(sv->last_error, sizeof(sv->last_error), "%s",
			 st == SK_OK ? ""
			 : sk_error_detail()[0] ? sk_error_detail() : sk_strerror(st));
		if (st != SK_OK)
			sk_log(SK_LOG_WARNING, "sync: %s", sv->last_error);
		else
			sk_log(SK_LOG_INFO,
			       "sync: %zu entries published, %zu mailbox items, %zu messages, "
			       "tree size %llu%s",
			       stats.published, stats.items, stats.messages,
			       (unsigned long long)stats.tree_size,
			       stats.anchored ? ", audit head anchored" : "");
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += sv->seconds;
		while (!sv->stopping && !sv->now &&
		       pthread_cond_timedwait(&sv->wake, &sv->lock, &until) == 0)
			;
		sv->now = 0;
	}
	pthread_mutex_unlock(&sv->lock);
	return NULL;
}

static void sync_now(void *arg)
{
	server *sv = arg;

	pthread_mutex_lock(&sv->lock);
	sv->now = 1;
	pthread_cond_signal(&sv->wake);
	pthread_mutex_unlock(&sv->lock);
}

static json_t *status(void *arg)
{
	server *sv = arg;
	json_t *doc;

	pthread_mutex_lock(&sv->lock);
	doc = json_pack("{s:s,s:s,s:b,s:I,s:s,s:I,s:I}", "id", sv->s->org_id, "category",
			sv->s->category, "joined", sv->s->joined, "last_sync",
			(json_int_t)sv->last_sync, "last_error", sv->last_error, "tree_size",
			(json_int_t)sv->last.tree_size, "published", (json_int_t)sv->last.published);
	pthread_mutex_unlock(&sv->lock);
	return doc;
}

static void handle(struct evhttp_request *req, void *arg)
{
	web_accept(arg, req);
}

/* The workers of each request class (web/web.h). */
static sk_status pools_start(web_app *a)
{
	sk_status st = SK_OK;

	for (int c = 0; c < WEB_CLASSES && st == SK_OK; c++)
		st = sk_pool_start(&a->pool[c], web_class_threads[c]);
	return st;
}

/* Every request still queued is skipped, every running one finishes (a
 * remote one by its deadline), every stream is cut short; their answers
 * are dropped, the loop having stopped. */
static void pools_stop(web_app *a)
{
	web_app_stop(a);
	for (int c = 0; c < WEB_CLASSES; c++) {
		sk_pool_stop(a->pool[c]);
		a->pool[c] = NULL;
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	net_loop_stop(arg);
}

/* SIGHUP: a renewed certificate (certbot's deploy hook) for new
 * connections; a failure keeps the old one. */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	web_tls *t = arg;

	sk_error_clear();
	if (web_tls_reload(t) != SK_OK)
		sk_log(SK_LOG_WARNING, "serve: the TLS certificate was not reloaded: %s; the old "
				       "one stays", sk_error_detail()[0] ? sk_error_detail() : "it does not load");
	else
		sk_log(SK_LOG_NOTICE, "serve: TLS certificate reloaded, SHA-256 fingerprint %s",
		       web_tls_fingerprint(t));
}

/* The pages' TLS (web/tls.h), or none: then only on a loopback address,
 * where nothing crosses a network. */
static sk_status tls_start(node_store *s, sk_kek *kek, const node_serve_opts *o,
			   const char *host, web_tls **tls)
{
	web_tls_opts to = {.cert = o->tls_cert, .key = o->tls_key, .self = o->tls_self,
			   .dir = s->dir, .kek = kek, .host = host};
	int made = 0;
	sk_status st;

	*tls = NULL;
	if (o->tls_cert == NULL && o->tls_key == NULL && !o->tls_self) {
		if (web_host_loopback(host))
			return SK_OK;
		sk_error_set("%s is not a loopback address and the pages would cross the network "
			     "unencrypted; give --tls-cert FILE --tls-key FILE (the organisation's "
			     "certificate) or --tls-self, or listen on 127.0.0.1",
			     host[0] ? host : "an empty host");
		return SK_ERR_INVALID;
	}
	if ((st = web_tls_open(tls, &to, &made)) != SK_OK)
		return st;
	if (made)
		printf("made a self-signed TLS certificate for the pages: %s/%s\n", s->dir,
		       WEB_TLS_SELF_CERT);
	printf("TLS certificate SHA-256 fingerprint %s\n", web_tls_fingerprint(*tls));
	return SK_OK;
}

/* The API token: made once, 0600, kept in the data dir. */
static sk_status api_token(server *sv)
{
	char path[PATH_MAX];
	uint8_t raw[32], *data = NULL;
	size_t len = 0;
	sk_status st;

	if ((st = sk_path_join(path, sizeof(path), sv->s->dir, NODE_API_TOKEN_FILE)) != SK_OK)
		return st;
	st = sk_file_read_secret(path, 128, &data, &len);
	if (st == SK_ERR_NOTFOUND) {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(sv->web->token, sizeof(sv->web->token), raw, sizeof(raw));
		sodium_memzero(raw, sizeof(raw));
		return sk_file_create(path, sv->web->token, 64);
	}
	if (st == SK_OK && len == 64)
		memcpy(sv->web->token, data, 64);
	else if (st == SK_OK)
		st = SK_ERR_INVALID;
	sk_secret_free(data);
	return st;
}

/* The cosigning witness (node_serve_opts.witness): the federation's log
 * key from the bundle, the member TLS certificate, the identity key. */
static sk_status witness_start(node_store *s, sk_kek *kek, const char *addr, net_tls **tls,
			       wit_server **out)
{
	key_ed25519 *id = sodium_malloc(sizeof(*id)), *tk = sodium_malloc(sizeof(*tk));
	node_federation *f = NULL;
	note_verifier log_key;
	MDB_txn *txn = NULL;
	sk_status st;

	if (id == NULL || tk == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	st = node_federation_load(s, txn, &f);
	mdb_txn_abort(txn);
	if (st != SK_OK || (st = node_identity_load(s, kek, id)) != SK_OK ||
	    (st = node_tls_key_load(s, kek, tk)) != SK_OK ||
	    (st = net_tls_new(tls, f->ca_cert, f->ca_cert_len, f->member_cert, f->member_cert_len,
			      tk)) != SK_OK ||
	    (st = note_verifier_from_public(&log_key, f->log_origin, NOTE_TYPE_ED25519,
					    f->registry_key)) != SK_OK ||
	    (st = wit_server_start(out, s->env, *tls, addr, &log_key, s->org_id, id)) != SK_OK)
		goto out;
	printf("witness listening on %s\n", wit_server_address(*out));
	fflush(stdout);
out:
	if (id != NULL) {
		key_ed25519_wipe(id);
		sodium_free(id);
	}
	if (tk != NULL) {
		key_ed25519_wipe(tk);
		sodium_free(tk);
	}
	node_federation_free(f);
	return st;
}

sk_status node_serve(node_store *s, sk_kek *kek, const node_serve_opts *o)
{
	wit_server *witness = NULL;
	net_tls *wtls = NULL;
	server sv = {.s = s, .kek = kek};
	struct evhttp *http = NULL;
	struct evhttp_bound_socket *sock;
	struct event *term = NULL, *intr = NULL, *hup = NULL;
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	web_tls *tls = NULL;
	char host[64];
	const char *colon = strrchr(o->http, ':');
	size_t hlen = colon != NULL ? (size_t)(colon - o->http) : 0;
	unsigned long port;
	int thread = 0, app = 0;
	sk_status st;

	if (colon == NULL || hlen >= sizeof(host) ||
	    (port = strtoul(colon + 1, NULL, 10)) > 65535) {
		sk_error_set("--web takes HOST:PORT, e.g. 127.0.0.1:8080");
		return SK_ERR_INVALID;
	}
	memcpy(host, o->http, hlen);
	host[hlen] = 0;
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') { /* [::1]:8443 */
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = 0;
	}
	if ((st = tls_start(s, kek, o, host, &tls)) != SK_OK)
		return st;
	sv.seconds = o->sync_seconds ? o->sync_seconds : NODE_SYNC_SECONDS;
	pthread_mutex_init(&sv.lock, NULL);
	pthread_cond_init(&sv.wake, NULL);
	/* sessions hold secrets: locked memory, wiped on free */
	if ((sv.web = sodium_malloc(sizeof(*sv.web))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	memset(sv.web, 0, sizeof(*sv.web));
	if ((st = web_app_init(sv.web)) != SK_OK)
		goto out;
	app = 1;
	sv.web->s = s;
	sv.web->kek = kek;
	sv.web->secure_cookies = o->secure_cookies;
	sv.web->tls = tls != NULL;
	if (o->oidc.issuer != NULL &&
	    (st = web_oidc_new(&sv.web->oidc, &o->oidc, o->oidc_name ? o->oidc_name : "uw organisatie",
			       o->oidc_only)) != SK_OK)
		goto out;
	sv.web->sync_now = sync_now;
	sv.web->status = status;
	sv.web->arg = &sv;
	if ((st = api_token(&sv)) != SK_OK || (st = net_loop_new(&sv.loop)) != SK_OK)
		goto out;
	sv.web->loop = sv.loop;
	if ((st = pools_start(sv.web)) != SK_OK)
		goto out;
	web_oidc_warm(sv.web->oidc, sk_clock_now_ms() + 10000);
	if (o->witness != NULL && (st = witness_start(s, kek, o->witness, &wtls, &witness)) != SK_OK)
		goto out;
	http = evhttp_new(net_loop_base(sv.loop));
	if (http == NULL ||
	    (sock = evhttp_bind_socket_with_handle(http, host, (uint16_t)port)) == NULL ||
	    getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sa, &salen) != 0) {
		sk_error_set("cannot listen on %s", o->http);
		st = SK_ERR_IO;
		goto out;
	}
	/* replies leave whole, not held back for an ACK (Nagle with delayed
	 * ACKs stalls a reply of a few segments by 40 ms); accepted sockets
	 * inherit it from the listener */
	if (setsockopt(evhttp_bound_socket_get_fd(sock), IPPROTO_TCP, TCP_NODELAY, &(int){1},
		       sizeof(int)) != 0)
		sk_log(SK_LOG_WARNING, "serve: cannot set TCP_NODELAY; replies may stall");
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	/* the integration API's cap; every other path keeps WEB_BODY_MAX
	 * (web_req_capture) */
	evhttp_set_max_body_size(http, WEB_INTEGRATION_READ_MAX);
	evhttp_set_max_headers_size(http, 16384);
	evhttp_set_timeout(http, 30);
	evhttp_set_gencb(http, handle, sv.web);
	if (tls != NULL) {
		evhttp_set_bevcb(http, web_tls_bev, tls);
		if ((hup = evsignal_new(net_loop_base(sv.loop), SIGHUP, on_hup, tls)) == NULL ||
		    evsignal_add(hup, NULL) != 0) {
			st = SK_ERR_NOMEM;
			goto out;
		}
	}
	term = evsignal_new(net_loop_base(sv.loop), SIGTERM, on_signal, sv.loop);
	intr = evsignal_new(net_loop_base(sv.loop), SIGINT, on_signal, sv.loop);
	if (term == NULL || intr == NULL || evsignal_add(term, NULL) != 0 ||
	    evsignal_add(intr, NULL) != 0 || pthread_create(&sv.thread, NULL, sync_main, &sv) != 0) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	thread = 1;
	/* sin_port and sin6_port share their place */
	printf("listening on %s%s%s:%u\n", strchr(host, ':') ? "[" : "", host,
	       strchr(host, ':') ? "]" : "", (unsigned)ntohs(((struct sockaddr_in *)&sa)->sin_port));
	fflush(stdout);
	st = net_loop_run(sv.loop);
out:
	wit_server_stop(witness);
	net_tls_free(wtls);
	if (thread) {
		pthread_mutex_lock(&sv.lock);
		sv.stopping = 1;
		pthread_cond_signal(&sv.wake);
		pthread_mutex_unlock(&sv.lock);
		pthread_join(sv.thread, NULL);
	}
	if (term != NULL)
		event_free(term);
	if (intr != NULL)
		event_free(intr);
	if (hup != NULL)
		event_free(hup);
	/* the workers' answers wait in the loop's queue: they are dropped
	 * (web_app.closing) once evhttp has freed their requests */
	if (app)
		pools_stop(sv.web);
	if (sv.web != NULL)
		sv.web->closing = 1;
	if (http != NULL)
		evhttp_free(http);
	net_loop_free(sv.loop);
	web_tls_free(tls); /* after its connections, freed with evhttp */
	pthread_cond_destroy(&sv.wake);
	pthread_mutex_destroy(&sv.lock);
	if (sv.web != NULL) {
		if (app)
			web_app_free(sv.web);
		web_oidc_free(sv.web->oidc);
		sodium_free(sv.web);
	}
	return st;
}
