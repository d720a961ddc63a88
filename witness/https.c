#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>

#include "common/log.h"
#include "net/conn.h"
#include "witness/https.h"

struct wit_https {
	net_loop *loop;
	struct evhttp *http;
	SSL_CTX *ctx;
	pthread_t thread;
	int running;
	wit_https_fn fn;
	void *arg;
	char address[NET_ADDR_MAX];
};

static int parse_port(const char *s, unsigned long long *port)
{
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	*port = strtoull(s, &end, 10);
	return errno == 0 && *end == 0 && *port <= 65535;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 422: return "Unprocessable Entity";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

/* Clients need no certificate: tlog clients and monitors are not members. */
static struct bufferevent *bevcb(struct event_base *base, void *arg)
{
	wit_https *h = arg;
	SSL *ssl = SSL_new(h->ctx);

	if (ssl == NULL)
		return NULL;
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					      BEV_OPT_CLOSE_ON_FREE);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	wit_https *h = arg;
	wit_https_answer ans = {0};
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *raw = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	struct evbuffer *in = evhttp_request_get_input_buffer(req), *b = evbuffer_new();
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	char *path = raw != NULL ? evhttp_uridecode(raw, 0, NULL) : NULL;
	size_t len = evbuffer_get_length(in);
	const uint8_t *body = len > 0 ? evbuffer_pullup(in, -1) : NULL;

	/* small answers go out at once: no Nagle delay between the TLS
	 * records of headers and body */
	if (evhttp_request_get_connection(req) != NULL) {
		struct bufferevent *bev =
			evhttp_connection_get_bufferevent(evhttp_request_get_connection(req));
		int one = 1;

		if (bev != NULL && bufferevent_getfd(bev) >= 0)
			(void)setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one,
					 sizeof(one));
	}
	if (b == NULL || path == NULL || (len > 0 && body == NULL)) {
		ans.status = 503;
	} else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_POST) {
		ans.status = 405;
	} else {
		h->fn(h->arg, cmd == EVHTTP_REQ_POST, path, body, len, &ans);
	}
	if (ans.status < 100 || ans.status > 599)
		ans.status = 500; /* a handler that did not answer */
	if (b != NULL && ans.body != NULL && evbuffer_add(b, ans.body, ans.len) != 0)
		ans.status = 503;
	evhttp_add_header(hdr, "Content-Type",
			  ans.content_type != NULL ? ans.content_type : "text/plain; charset=utf-8");
	if (ans.status == 200)
		evhttp_add_header(hdr, "Cache-Control",
				  ans.cache ? "public, max-age=31536000, immutable" : "no-store");
	evhttp_send_reply(req, ans.status, reason(ans.status), b);
	if (b != NULL)
		evbuffer_free(b);
	free(ans.body);
	free(path);
}

static void *run(void *arg)
{
	wit_https *h = arg;

	if (net_loop_run(h->loop) != SK_OK)
		sk_log(SK_LOG_ERROR, "https server on %s: event loop failed", h->address);
	return NULL;
}

sk_status wit_https_start(wit_https **out, const net_tls *tls, const char *addr,
			  size_t body_max, wit_https_fn fn, void *ctx)
{
	wit_https *h = calloc(1, sizeof(*h));
	struct evhttp_bound_socket *sock;
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	char host[NET_ADDR_MAX], serv[16];
	const char *colon = strrchr(addr, ':');
	size_t hlen = colon != NULL ? (size_t)(colon - addr) : 0;
	unsigned long long port = 0;
	sk_status st;

	*out = NULL;
	if (h == NULL)
		return SK_ERR_NOMEM;
	h->fn = fn;
	h->arg = ctx;
	h->ctx = net_tls_ctx(tls);
	if (hlen == 0 || hlen >= sizeof(host) || !parse_port(colon + 1, &port)) {
		sk_error_set("the address must be HOST:PORT, not '%.100s'", addr);
		st = SK_ERR_INVALID;
		goto fail;
	}
	memcpy(host, addr, hlen);
	host[hlen] = 0;
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = 0;
	}
	if ((st = net_loop_new(&h->loop)) != SK_OK)
		goto fail;
	if ((h->http = evhttp_new(net_loop_base(h->loop))) == NULL) {
		st = SK_ERR_NOMEM;
		goto fail;
	}
	if ((sock = evhttp_bind_socket_with_handle(h->http, host, (uint16_t)port)) == NULL ||
	    getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sa, &salen) != 0 ||
	    getnameinfo((struct sockaddr *)&sa, salen, NULL, 0, serv, sizeof(serv),
			NI_NUMERICSERV) != 0) {
		sk_error_set("cannot listen on %s", addr);
		st = SK_ERR_IO;
		goto fail;
	}
	if (snprintf(h->address, sizeof(h->address), "%s%s%s:%s", strchr(host, ':') ? "[" : "",
		     host, strchr(host, ':') ? "]" : "", serv) >= (int)sizeof(h->address)) {
		st = SK_ERR_TOOBIG;
		goto fail;
	}
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(h->http, (ev_ssize_t)body_max);
	evhttp_set_max_headers_size(h->http, WIT_HEADERS_MAX);
	evhttp_set_timeout(h->http, 30);
	evhttp_set_bevcb(h->http, bevcb, h);
	evhttp_set_gencb(h->http, on_request, h);
	if (pthread_create(&h->thread, NULL, run, h) != 0) {
		st = SK_ERR_NOMEM;
		goto fail;
	}
	h->running = 1;
	*out = h;
	return SK_OK;
fail:
	wit_https_stop(h);
	return st;
}

const char *wit_https_address(const wit_https *h)
{
	return h->address;
}

void wit_https_stop(wit_https *h)
{
	if (h == NULL)
		return;
	if (h->running) {
		net_loop_stop(h->loop);
		pthread_join(h->thread, NULL);
	}
	if (h->http != NULL)
		evhttp_free(h->http);
	net_loop_free(h->loop);
	free(h);
}

sk_status wit_url_split(const char *url, char addr[static WIT_URL_MAX + 1],
			char prefix[static WIT_URL_MAX + 1])
{
	const char *p, *slash;
	size_t alen, plen;

	if (strncmp(url, "https://", 8) != 0)
		return SK_ERR_INVALID;
	p = url + 8;
	slash = strchr(p, '/');
	alen = slash != NULL ? (size_t)(slash - p) : strlen(p);
	plen = slash != NULL ? strlen(slash) : 0;
	while (plen > 0 && slash[plen - 1] == '/')
		plen--;
	if (alen == 0 || alen > WIT_URL_MAX || plen > WIT_URL_MAX || memchr(p, ':', alen) == NULL)
		return SK_ERR_INVALID;
	for (size_t i = 0; i < alen + plen; i++) {
		unsigned char c = (unsigned char)(i < alen ? p[i] : slash[i - alen]);

		if (c <= ' ' || c >= 0x7f || c == '?' || c == '#' || c == '@')
			return SK_ERR_INVALID;
	}
	memcpy(addr, p, alen);
	addr[alen] = 0;
	if (plen > 0)
		memcpy(prefix, slash, plen);
	prefix[plen] = 0;
	return SK_OK;
}

/* ---- client --------------------------------------------------------- */

static int connect_to(const char *addr, unsigned timeout_ms)
{
	char host[NET_ADDR_MAX];
	const char *colon = strrchr(addr, ':');
	size_t hlen = colon != NULL ? (size_t)(colon - addr) : 0;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL, *ai;
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	int fd = -1;

	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, addr, hlen);
	host[hlen] = 0;
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = 0;
	}
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0)) < 0)
			continue;
		/* the send timeout bounds connect() too (Linux) */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0 &&
		    connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static sk_status write_all(SSL *ssl, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len > 0) {
		int n = SSL_write(ssl, b, len > INT32_MAX ? INT32_MAX : (int)len);

		if (n <= 0)
			return SK_ERR_IO;
		b += n;
		len -= (size_t)n;
	}
	return SK_OK;
}

sk_status wit_https_request(const net_tls *tls, const char *addr, const char *peer_org,
			    const char *path, const uint8_t *body, size_t len,
			    unsigned timeout_ms, size_t resp_max, int *status,
			    char *content_type, size_t ct_cap, uint8_t **resp, size_t *resp_len)
{
	size_t cap = resp_max + WIT_HEADERS_MAX, got = 0, blen = 0;
	uint8_t *buf = NULL;
	const uint8_t *b = NULL;
	char head[WIT_URL_MAX * 2 + 256];
	net_peer peer;
	SSL *ssl = NULL;
	int fd, n;
	sk_status st;

	*resp = NULL;
	*resp_len = 0;
	*status = 0;
	if ((fd = connect_to(addr, timeout_ms)) < 0) {
		sk_error_set("cannot connect to %s", addr);
		return SK_ERR_IO;
	}
	if ((ssl = SSL_new(net_tls_ctx(tls))) == NULL || SSL_set_fd(ssl, fd) != 1) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if (SSL_connect(ssl) != 1) {
		st = SSL_get_verify_result(ssl) != X509_V_OK ? SK_ERR_VERIFY : SK_ERR_IO;
		sk_error_set("the TLS handshake with %s failed", addr);
		goto out;
	}
	if ((st = net_tls_peer(tls, ssl, &peer)) != SK_OK)
		goto out;
	if (peer_org != NULL && strcmp(peer.org_id, peer_org) != 0) {
		sk_error_set("%s presents the certificate of '%s', not of '%s'", addr, peer.org_id,
			     peer_org);
		st = SK_ERR_VERIFY;
		goto out;
	}
	n = snprintf(head, sizeof(head),
		     "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
		     "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n\r\n",
		     body != NULL ? "POST" : "GET", path, addr, body != NULL ? len : 0);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		st = SK_ERR_TOOBIG;
		goto out;
	}
	if ((st = write_all(ssl, head, (size_t)n)) != SK_OK ||
	    (body != NULL && (st = write_all(ssl, body, len)) != SK_OK)) {
		sk_error_set("sending to %s failed", addr);
		goto out;
	}
	if ((buf = malloc(cap + 1)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		if (got == cap) {
			st = SK_ERR_TOOBIG;
			goto out;
		}
		n = SSL_read(ssl, buf + got, (int)(cap - got > INT32_MAX ? INT32_MAX : cap - got));
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN || got > 0)
			break; /* close_notify, or EOF without it (IGNORE_UNEXPECTED_EOF) */
		sk_error_set("no answer from %s", addr);
		st = SK_ERR_IO;
		goto out;
	}
	if ((st = wit_http_response_parse(buf, got, status, content_type, ct_cap, &b, &blen)) !=
	    SK_OK) {
		sk_error_set("%s sent a malformed HTTP answer", addr);
		goto out;
	}
	if (blen > resp_max) {
		st = SK_ERR_TOOBIG;
		goto out;
	}
	memmove(buf, b, blen);
	buf[blen] = 0;
	*resp = buf;
	*resp_len = blen;
	buf = NULL;
out:
	free(buf);
	if (ssl != NULL) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	close(fd);
	return st;
}

/* A header line "Name: value" (name case-insensitive); value trimmed. */
static int header_is(const char *line, size_t len, const char *name, const char **v,
		     size_t *vlen)
{
	size_t n = strlen(name);

	if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
		return 0;
	*v = line + n + 1;
	*vlen = len - n - 1;
	while (*vlen > 0 && (**v == ' ' || **v == '\t')) {
		(*v)++;
		(*vlen)--;
	}
	while (*vlen > 0 && ((*v)[*vlen - 1] == ' ' || (*v)[*vlen - 1] == '\t'))
		(*vlen)--;
	return 1;
}

sk_status wit_http_response_parse(const uint8_t *buf, size_t len, int *status,
				  char *content_type, size_t ct_cap, const uint8_t **body,
				  size_t *body_len)
{
	const char *p = (const char *)buf, *end = NULL, *v;
	size_t pos, vlen, clen = 0;
	int have_len = 0;

	*status = 0;
	*body = NULL;
	*body_len = 0;
	if (ct_cap > 0)
		content_type[0] = 0;
	for (size_t i = 0; i + 3 < len && i < WIT_HEADERS_MAX; i++)
		if (memcmp(p + i, "\r\n\r\n", 4) == 0) {
			end = p + i;
			break;
		}
	if (end == NULL || len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') ||
	    p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' ||
	    p[11] > '9')
		return SK_ERR_INVALID;
	*status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	pos = (size_t)((const char *)memchr(p, '\n', (size_t)(end - p) + 2) - p) + 1;
	while (p + pos < end + 2) {
		const char *line = p + pos, *nl = memchr(line, '\n', (size_t)(end + 2 - line));
		size_t ll;

		if (nl == NULL || nl == line || nl[-1] != '\r')
			return SK_ERR_INVALID;
		ll = (size_t)(nl - line) - 1;
		if (header_is(line, ll, "Content-Length", &v, &vlen)) {
			if (vlen == 0 || vlen > 12 || have_len)
				return SK_ERR_INVALID;
			for (size_t i = 0; i < vlen; i++) {
				if (v[i] < '0' || v[i] > '9')
					return SK_ERR_INVALID;
				clen = clen * 10 + (size_t)(v[i] - '0');
			}
			have_len = 1;
		} else if (header_is(line, ll, "Transfer-Encoding", &v, &vlen)) {
			return SK_ERR_INVALID; /* chunked: not sent by our servers */
		} else if (header_is(line, ll, "Content-Type", &v, &vlen) && vlen < ct_cap) {
			memcpy(content_type, v, vlen);
			content_type[vlen] = 0;
		}
		pos = (size_t)(nl - p) + 1;
	}
	pos = (size_t)(end - p) + 4;
	if (have_len) {
		if (clen > len - pos)
			return SK_ERR_INVALID;
	} else {
		clen = len - pos;
	}
	*body = buf + pos;
	*body_len = clen;
	return SK_OK;
}
