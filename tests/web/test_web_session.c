/* Sessions of the web pages (web/req.h): fresh random ids and CSRF tokens,
 * the idle timeout and the absolute lifetime, ids compared whole, a full
 * table taking the least recently seen slot, and sign-out wiping the slot. */
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "common/init.h"
#include "web/req.h"

#define T0 1781524800000ull
#define MIN (60ull * 1000)

static web_app *app_new(void)
{
	web_app *a = calloc(1, sizeof(*a));

	assert_non_null(a);
	assert_int_equal(sk_init(), SK_OK);
	return a;
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

static void test_fresh_and_timeouts(void **state)
{
	web_app *a = app_new();
	node_professional p = prof("anna");
	web_session *x = web_session_new(a, &p, T0), *y;
	char id[65], other[65];

	(void)state;
	assert_int_equal(strlen(x->id), 64);
	assert_int_equal(strlen(x->csrf), 64);
	assert_string_not_equal(x->id, x->csrf);
	assert_string_equal(x->prof, "anna");
	snprintf(id, sizeof(id), "%s", x->id);
	/* a second sign-in of the same professional gets another id */
	y = web_session_new(a, &p, T0);
	assert_string_not_equal(y->id, id);
	/* found whole only: a prefix, a changed character or no id is no session */
	assert_ptr_equal(web_session_find(a, id, T0 + MIN), x);
	snprintf(other, sizeof(other), "%s", id);
	other[63] = other[63] == 'a' ? 'b' : 'a';
	assert_null(web_session_find(a, other, T0 + MIN));
	other[32] = 0;
	assert_null(web_session_find(a, other, T0 + MIN));
	assert_null(web_session_find(a, NULL, T0 + MIN));
	/* idle: each find counts as activity, 30 minutes without ends it */
	assert_ptr_equal(web_session_find(a, id, T0 + 29 * MIN), x);
	assert_ptr_equal(web_session_find(a, id, T0 + 58 * MIN), x);
	assert_null(web_session_find(a, id, T0 + 89 * MIN));
	assert_int_equal(x->id[0], 0); /* the ended slot is wiped */
	/* absolute: 12 hours, however active */
	x = web_session_new(a, &p, T0);
	snprintf(id, sizeof(id), "%s", x->id);
	for (uint64_t t = T0; t < T0 + WEB_SESSION_MAX_MS; t += 20 * MIN)
		assert_ptr_equal(web_session_find(a, id, t), x);
	assert_null(web_session_find(a, id, T0 + WEB_SESSION_MAX_MS));
	free(a);
}

static void test_full_table_and_end(void **state)
{
	web_app *a = app_new();
	node_professional p = prof("anna"), q = prof("bea");
	web_session *first, *x;
	char id[65];

	(void)state;
	first = web_session_new(a, &p, T0);
	snprintf(id, sizeof(id), "%s", first->id);
	for (size_t i = 1; i < WEB_SESSIONS_MAX; i++)
		assert_non_null(web_session_new(a, &q, T0 + i));
	/* every slot live: a new sign-in takes the least recently seen (anna's) */
	x = web_session_new(a, &q, T0 + WEB_SESSIONS_MAX);
	assert_ptr_equal(x, first);
	assert_null(web_session_find(a, id, T0 + WEB_SESSIONS_MAX + 1));
	/* sign-out wipes the slot and its message */
	web_flash(x, 1, "%s", "a message");
	assert_string_equal(x->flash, "a message");
	snprintf(id, sizeof(id), "%s", x->id);
	web_session_end(x);
	assert_true(sodium_is_zero((const unsigned char *)x, sizeof(*x)));
	assert_null(web_session_find(a, id, T0 + WEB_SESSIONS_MAX + 2));
	for (size_t i = 0; i < WEB_SESSIONS_MAX; i++)
		web_session_end(&a->sessions[i]);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_and_timeouts),
		cmocka_unit_test(test_full_table_and_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
