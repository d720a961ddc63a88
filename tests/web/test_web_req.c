/* A request's session on a worker thread (web/req.h): its own copy of the
 * table's slot; a message set by an action and a sign-out go back to the
 * table when the request ends, a page takes the messages waiting for it
 * and returns what it did not show, an API call leaves them; a slot given
 * to another sign-in meanwhile is left alone; a sign-in drops the session
 * the request came with; and many threads doing all of it at once on one
 * session leave a consistent table. */
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "common/clock.h"
#include "common/init.h"
#include "web/req.h"

static web_app *app_new(void)
{
	web_app *a = calloc(1, sizeof(*a));

	assert_non_null(a);
	assert_int_equal(sk_init(), SK_OK);
	assert_int_equal(web_app_init(a), SK_OK);
	return a;
}

static void app_free(web_app *a)
{
	web_app_free(a);
	free(a);
}

static node_professional prof(const char *id)
{
	node_professional p = {0};

	snprintf(p.id, sizeof(p.id), "%s", id);
	snprintf(p.name, sizeof(p.name), "Name of %s", id);
	snprintf(p.role, sizeof(p.role), "spv");
	p.kind = NODE_KIND_PROFESSIONAL;
	return p;
}

static web_req req_new(web_app *a)
{
	return (web_req){.app = a, .copy = WEB_COPIES_MAX};
}

static void test_copy_and_flash(void **state)
{
	web_app *a = app_new();
	node_professional p = prof("anna");
	web_session *x = web_session_new(a, &p, sk_clock_now_ms()), *c;
	web_req r = req_new(a);

	(void)state;
	/* an action: its own copy; its message reaches the table at the end */
	c = web_session_take(&r, x->id, 0);
	assert_non_null(c);
	assert_ptr_not_equal(c, x);
	assert_ptr_equal(r.sess, c);
	assert_string_equal(c->prof, "anna");
	assert_memory_equal(c->csrf, x->csrf, sizeof(x->csrf));
	web_flash(c, 1, "%s", "refused");
	c->flash_doc = json_array();
	c->flash_case = 7;
	snprintf(c->client, sizeof(c->client), "%s", "c-9"); /* registered or found now */
	assert_string_equal(x->flash, "");
	assert_string_equal(x->client, "");
	web_session_put(&r);
	assert_null(r.sess);
	assert_string_equal(x->client, "c-9");
	assert_string_equal(x->flash, "refused");
	assert_int_equal(x->flash_error, 1);
	assert_non_null(x->flash_doc);
	assert_int_equal(x->flash_case, 7);
	for (size_t i = 0; i < WEB_COPIES_MAX; i++)
		assert_int_equal(a->copy_used[i], 0);

	/* an API call does not see or take them */
	r = req_new(a);
	c = web_session_take(&r, x->id, 0);
	assert_string_equal(c->flash, "");
	assert_null(c->flash_doc);
	web_session_put(&r);
	assert_string_equal(x->flash, "refused");
	assert_non_null(x->flash_doc);

	/* a page takes them; what it does not show goes back */
	r = req_new(a);
	c = web_session_take(&r, x->id, 1);
	assert_string_equal(c->flash, "refused");
	assert_non_null(c->flash_doc);
	assert_string_equal(x->flash, "");
	assert_null(x->flash_doc);
	c->flash[0] = 0; /* shown (page_head) */
	web_session_put(&r);
	assert_string_equal(x->flash, "");
	assert_non_null(x->flash_doc); /* not the case page: still waiting */
	r = req_new(a);
	c = web_session_take(&r, x->id, 1);
	json_decref(c->flash_doc); /* the case page showed the partners */
	c->flash_doc = NULL;
	web_session_put(&r);
	assert_null(x->flash_doc);

	/* no such session */
	r = req_new(a);
	assert_null(web_session_take(&r, "00", 1));
	assert_null(web_session_take(&r, NULL, 1));
	assert_null(r.sess);
	web_session_put(&r);
	app_free(a);
}

static void test_signout_and_reuse(void **state)
{
	web_app *a = app_new();
	node_professional p = prof("anna"), q = prof("bea");
	uint64_t now = sk_clock_now_ms();
	web_session *x = web_session_new(a, &p, now), *y;
	web_req r = req_new(a);
	char id[65];

	(void)state;
	/* sign-out on the copy ends the table's slot */
	snprintf(id, sizeof(id), "%s", x->id);
	assert_non_null(web_session_take(&r, id, 0));
	web_session_end(r.sess);
	r.sess = NULL;
	web_session_put(&r);
	assert_true(sodium_is_zero((const unsigned char *)x, sizeof(*x)));
	r = req_new(a);
	assert_null(web_session_take(&r, id, 0));

	/* the slot went to another sign-in meanwhile: left alone */
	x = web_session_new(a, &p, now);
	snprintf(id, sizeof(id), "%s", x->id);
	r = req_new(a);
	assert_non_null(web_session_take(&r, id, 0));
	web_session_end(x);
	y = web_session_new(a, &q, now);
	assert_ptr_equal(x, y);
	web_flash(r.sess, 0, "%s", "anna's message");
	web_session_put(&r);
	assert_string_equal(y->prof, "bea");
	assert_string_equal(y->flash, "");
	r = req_new(a);
	assert_null(web_session_take(&r, id, 0)); /* bea's slot has her own id */
	app_free(a);
}

static void test_signin_drops_old(void **state)
{
	web_app *a = app_new();
	node_professional p = prof("anna"), q = prof("bea");
	uint64_t now = sk_clock_now_ms();
	web_session *x = web_session_new(a, &p, now), *c, *y;
	web_req r = req_new(a);
	char old[65], fresh[65];

	(void)state;
	snprintf(old, sizeof(old), "%s", x->id);
	assert_non_null(web_session_take(&r, old, 0));
	c = web_signin(&r, &q, now);
	assert_non_null(c);
	assert_ptr_equal(r.sess, c);
	assert_string_equal(c->prof, "bea");
	snprintf(fresh, sizeof(fresh), "%s", c->id);
	assert_string_not_equal(fresh, old);
	web_session_put(&r);
	r = req_new(a);
	assert_null(web_session_take(&r, old, 0));
	y = web_session_take(&r, fresh, 0);
	assert_non_null(y);
	assert_string_equal(y->prof, "bea");
	web_session_put(&r);
	app_free(a);
}

/* Threads taking, flashing and putting one session while others sign in
 * and out: every request finds it, nothing is lost from the copies. */
struct worker {
	web_app *a;
	const char *id;
	int n;
	int found;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->n; i++) {
		web_req r = req_new(w->a);
		web_session *c = web_session_take(&r, w->id, i % 2);

		if (c != NULL && strcmp(c->prof, "anna") == 0) {
			w->found++;
			web_flash(c, 0, "message %d", i);
		}
		web_session_put(&r);
	}
	return NULL;
}

static void *churn_main(void *arg)
{
	struct worker *w = arg;
	node_professional q = prof("bea");

	for (int i = 0; i < w->n; i++) {
		web_req r = req_new(w->a);

		web_signin(&r, &q, sk_clock_now_ms());
		web_session_end(r.sess); /* and out again */
		r.sess = NULL;
		web_session_put(&r);
	}
	return NULL;
}

static void test_threads(void **state)
{
	web_app *a = app_new();
	node_professional p = prof("anna");
	web_session *x = web_session_new(a, &p, sk_clock_now_ms());
	struct worker w[6];
	pthread_t t[6];
	char id[65];

	(void)state;
	snprintf(id, sizeof(id), "%s", x->id);
	for (int i = 0; i < 6; i++) {
		w[i] = (struct worker){a, id, 2000, 0};
		assert_int_equal(pthread_create(&t[i], NULL, i < 4 ? worker_main : churn_main, &w[i]), 0);
	}
	for (int i = 0; i < 6; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(w[i].found, 2000);
	assert_string_equal(x->prof, "anna");
	for (size_t i = 0; i < WEB_COPIES_MAX; i++)
		assert_int_equal(a->copy_used[i], 0);
	app_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_and_flash),
		cmocka_unit_test(test_signout_and_reuse),
		cmocka_unit_test(test_signin_drops_old),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
