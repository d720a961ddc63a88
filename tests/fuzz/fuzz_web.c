/* The node's web side on arbitrary input: the bytes are sent as they are
 * to a real `serve --web` request handler (web/web.c: the request line,
 * headers, cookies, form and JSON bodies, the API and the pages) on a
 * real temporary node store, through libevent's HTTP server on 127.0.0.1,
 * without worker pools (each request answered on the loop thread).
 * Three fixed sessions (a professional with a case, another professional,
 * a privacy officer) and a fixed API token let inputs get past
 * authentication: session ids "aaa…", "ccc…", "eee…" with CSRF tokens
 * "bbb…", "ddd…", "fff…", and bearer "999…" (64 characters each); a
 * service credential of the client system, written "svc.fuzz." and 64
 * sevens in an input, is replaced by the real one (web/api_integration.c). The
 * node has not joined a federation, so actions that need the registry
 * fail fast. Any answer, or none, is acceptable; a crash, a leak or
 * undefined behaviour is not. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <sodium.h>

#include "common/init.h"
#include "common/kek.h"
#include "node/case.h"
#include "node/client.h"
#include "node/service.h"
#include "web/web.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX 60000

static node_store *s;
static web_app *app;
static struct event_base *base;
static struct evhttp *http;
static struct sockaddr_in addr;
static char dir[64];
static node_professional profs[3];
static char service_cred[NODE_SERVICE_CRED_MAX + 1];
#define SERVICE_STANDIN "svc.fuzz.7777777777777777777777777777777777777777777777777777777777777777"

static void rm_dir(void)
{
	char cmd[128];

	node_store_close(s);
	if (snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) < (int)sizeof(cmd) && system(cmd) != 0)
		fprintf(stderr, "fuzz: cannot remove %s\n", dir);
}

static void no_sync(void *arg)
{
	(void)arg;
}

static json_t *status(void *arg)
{
	(void)arg;
	return json_pack("{s:s}", "id", "wijkteam");
}

static void handle(struct evhttp_request *req, void *arg)
{
	web_accept(arg, req); /* no pools, no loop: answered on this thread */
}

/* The fixed sessions, as they were before each input. */
static void sessions(void)
{
	static const char ids[3] = {'a', 'c', 'e'};

	for (size_t i = 0; i < WEB_SESSIONS_MAX; i++)
		web_session_end(&app->sessions[i]);
	for (int i = 0; i < 3; i++) {
		web_session *x = web_session_new(app, &profs[i], (uint64_t)time(NULL) * 1000u);

		memset(x->id, ids[i], 64);
		memset(x->csrf, ids[i] + 1, 64);
	}
}

static void setup(void)
{
	static const char *id[3] = {"p-1", "p-2", "po"};
	node_consent_req req = {.flags = NODE_FLAGS_ALL, .categories = "all"};
	struct evhttp_bound_socket *sock;
	socklen_t len = sizeof(addr);
	sk_kek *kek = NULL;
	char path[96], client[NODE_CLIENT_ID_MAX + 1];
	node_case kc;
	bsn b;

	CHECK(sk_init());
	snprintf(dir, sizeof(dir), "/tmp/fuzz-node-web.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(rm_dir);
	CHECK(sk_kek_open(&kek, NULL, 1));
	snprintf(path, sizeof(path), "%s/n", dir);
	CHECK(node_store_init(path, "wijkteam", "Wijkteam", "sociaal-team", kek));
	CHECK(node_store_open(&s, path, kek));
	for (int i = 0; i < 3; i++) {
		snprintf(profs[i].id, sizeof(profs[i].id), "%s", id[i]);
		snprintf(profs[i].name, sizeof(profs[i].name), "Prof %d", i);
		snprintf(profs[i].role, sizeof(profs[i].role), "%s", i == 2 ? "privacy-officer" : "spv");
		profs[i].kind = i == 2 ? NODE_KIND_PRIVACY_OFFICER : NODE_KIND_PROFESSIONAL;
		CHECK(node_professional_add(s, &profs[i]));
	}
	CHECK(bsn_parse(&b, "111222333"));
	CHECK(node_client_add(s, &b, "Fuzz", NULL, (uint64_t)time(NULL) * 1000u, client));
	CHECK(node_case_open(s, client, "p-1", &req, (uint64_t)time(NULL) * 1000u, &kc));
	CHECK(node_service_add(s, "fuzz", "Fuzz", NULL, service_cred));
	if ((app = calloc(1, sizeof(*app))) == NULL)
		abort();
	CHECK(web_app_init(app));
	app->s = s;
	app->kek = kek; /* kept: the store's keys are unwrapped with it */
	memset(app->token, '9', 64);
	app->sync_now = no_sync;
	app->status = status;
	base = event_base_new();
	http = base != NULL ? evhttp_new(base) : NULL;
	if (http == NULL || (sock = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0)) == NULL ||
	    getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&addr, &len) != 0)
		abort();
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(http, WEB_BODY_MAX);
	evhttp_set_max_headers_size(http, 16384);
	evhttp_set_gencb(http, handle, app);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t in[INPUT_MAX];
	static int ready;
	struct timespec t0, t;
	char buf[4096];
	size_t sent = 0;
	int fd, done = 0, closed = 0;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size > INPUT_MAX)
		size = INPUT_MAX;
	/* the client system's stand-in credential becomes the real one */
	memcpy(in, data, size);
	for (uint8_t *p = in; (p = memmem(p, size - (size_t)(p - in), SERVICE_STANDIN,
					 sizeof(SERVICE_STANDIN) - 1)) != NULL;)
		memcpy(p, service_cred, sizeof(SERVICE_STANDIN) - 1);
	data = in;
	sessions();
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		abort();
	/* each input from the next of 250 loopback addresses: the client
	 * closes first, so every connection leaves a port in TIME_WAIT for a
	 * minute, and thousands of inputs a second would use up one address's
	 * ephemeral ports within the run */
	{
		static unsigned next;
		struct sockaddr_in from = {.sin_family = AF_INET};

		from.sin_addr.s_addr = htonl(0x7f000002u + next++ % 250);
		if (bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0)
			abort();
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) != 0)
		abort();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* send, serve, read the answer until the server closes or 5 s pass */
	while (!done) {
		ssize_t n;

		if (sent < size && (n = send(fd, data + sent, size - sent, MSG_NOSIGNAL)) > 0)
			sent += (size_t)n;
		if (sent == size && !closed) {
			shutdown(fd, SHUT_WR);
			closed = 1;
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
			if (getenv("FUZZ_WEB_DEBUG") != NULL) /* the answers, to check the seeds */
				fwrite(buf, 1, (size_t)n, stderr);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			done = 1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5)
			done = 1;
		if (!done)
			poll(NULL, 0, 1);
	}
	close(fd);
	/* let the server notice the close and free the connection */
	for (int i = 0; i < 4; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	return 0;
}
