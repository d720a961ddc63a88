/* node_anchor_explain: which of our anchors the registry no longer holds
 * after a rollover, and the later anchor it holds that covers each. */
#include <string.h>

#include "node/anchor.h"
#include "test_util.h"

static node_anchor_made made_at(uint64_t seq, uint8_t head)
{
	node_anchor_made m = {seq, 1000 * seq, 10 + seq, {0}, "test.example/registry"};

	memset(m.head, head, sizeof(m.head));
	return m;
}

static node_anchor_held held_at(uint64_t seq, uint8_t head)
{
	node_anchor_held h = {seq, 1000 * seq, {0}};

	memset(h.head, head, sizeof(h.head));
	return h;
}

static void test_explain(void **state)
{
	/* ours: 5 and 9 before the backup, 14 and 20 after it, 30 after the rollover */
	node_anchor_made made[] = {made_at(5, 5), made_at(9, 9), made_at(14, 14), made_at(20, 20),
				   made_at(30, 30)};
	/* the restored registry: 5, 9, then the anchor after the rollover (31) */
	node_anchor_held held[] = {held_at(5, 5), held_at(9, 9), held_at(31, 31)};
	node_anchor_lost out[5];
	size_t n;

	(void)state;
	n = node_anchor_explain(made, 5, held, 3, out);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].made.seq, 14);
	assert_int_equal(out[1].made.seq, 20);
	assert_int_equal(out[2].made.seq, 30);
	for (size_t i = 0; i < n; i++) {
		assert_true(out[i].covered);
		assert_int_equal(out[i].by_seq, 31);
		assert_int_equal(out[i].by_time_ms, 31000);
		assert_int_equal(out[i].by_head[0], 31);
	}
	assert_int_equal(out[0].made.leaf, 24);
	assert_string_equal(out[0].made.origin, "test.example/registry");

	/* no later anchor held: lost and not covered */
	n = node_anchor_explain(made, 5, held, 2, out);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_false(out[i].covered);

	/* the registry holds another head for one of ours: not held, and an
	 * anchor of that same record does not cover it; the next one does */
	held[1] = held_at(9, 99);
	n = node_anchor_explain(made, 2, held, 3, out);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].made.seq, 9);
	assert_true(out[0].covered);
	assert_int_equal(out[0].by_seq, 31);
	held[2] = held_at(9, 9); /* (sorted input: 9 twice is not a registry's, but the same rule) */
	n = node_anchor_explain(made + 1, 1, held + 1, 1, out);
	assert_int_equal(n, 1);
	assert_false(out[0].covered);

	/* nothing held, nothing made */
	assert_int_equal(node_anchor_explain(made, 0, held, 3, out), 0);
	n = node_anchor_explain(made, 2, NULL, 0, out);
	assert_int_equal(n, 2);
	assert_false(out[0].covered || out[1].covered);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_explain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
