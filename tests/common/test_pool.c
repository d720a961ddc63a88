#include <pthread.h>
#include <stdatomic.h>

#include "test_util.h"
#include "common/pool.h"

static atomic_int ran;

static void bump(void *arg)
{
	atomic_fetch_add(&ran, *(int *)arg);
}

/* Every submitted job runs exactly once, stop() drains the queue. */
static void test_runs_all(void **state)
{
	sk_pool *p = NULL;
	static int one = 1;

	atomic_store(&ran, 0);
	E(sk_pool_start(&p, 4));
	for (int i = 0; i < 10000; i++)
		E(sk_pool_submit(p, bump, &one));
	sk_pool_stop(p);
	assert_int_equal(atomic_load(&ran), 10000);
	sk_pool_stop(NULL);

	E(sk_pool_start(&p, 0)); /* one per CPU */
	E(sk_pool_submit(p, bump, &one));
	sk_pool_stop(p);
	assert_int_equal(atomic_load(&ran), 10001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
