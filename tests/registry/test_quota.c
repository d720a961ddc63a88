/* registry/caps: unknown fields found at any depth of a request;
 * registry/quota: the per-org counters (live entries, publishes a minute,
 * messages a discussion and a day) refuse at the limit, write nothing
 * when they refuse, roll over with the minute and the day, never refuse a
 * withdrawal, and take operator limits and defaults. */
#include <stdio.h>
#include <string.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/db.h"
#include "common/init.h"
#include "protos/wire.h"
#include "registry/caps.h"
#include "registry/quota.h"

static ProtobufCMessageUnknownField uf = {999, PROTOBUF_C_WIRE_TYPE_VARINT, 1, (uint8_t *)"\x01"};

static void test_unknown(void **state)
{
	Schakel__V1__DiscussSend snd = SCHAKEL__V1__DISCUSS_SEND__INIT;
	Schakel__V1__DiscussSealed a = SCHAKEL__V1__DISCUSS_SEALED__INIT, b = a, *xs[2] = {&a, &b};
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	uint8_t *buf;
	size_t n;
	wire_envelope *back;

	(void)state;
	a.recipient = b.recipient = "ggz";
	snd.n_messages = 2;
	snd.messages = xs;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_SEND;
	env.discuss_send = &snd;
	assert_int_equal(reg_message_unknown(&env.base), 0);
	/* the second message of a repeated field, two levels down */
	b.base.n_unknown_fields = 1;
	b.base.unknown_fields = &uf;
	assert_int_equal(reg_message_unknown(&env.base), 1);
	/* and as unpacked from the wire, which is where the registry sees it */
	n = schakel__v1__envelope__get_packed_size(&env);
	assert_non_null(buf = malloc(n));
	schakel__v1__envelope__pack(&env, buf);
	assert_non_null(back = schakel__v1__envelope__unpack(NULL, n, buf));
	assert_int_equal(reg_message_unknown(&back->base), 1);
	schakel__v1__envelope__free_unpacked(back, NULL);
	b.base.n_unknown_fields = 0;
	snd.base.n_unknown_fields = 1;
	snd.base.unknown_fields = &uf;
	assert_int_equal(reg_message_unknown(&env.base), 1);
	snd.base.n_unknown_fields = 0;
	/* a oneof case that is not set is not followed */
	assert_int_equal(reg_message_unknown(&env.base), 0);
	free(buf);
}

static reg_store *open_store(char **d)
{
	char dir[600];
	sk_kek *kek = NULL;
	reg_store *s = NULL;
	Schakel__V1__Member m = SCHAKEL__V1__MEMBER__INIT;
	MDB_txn *txn = NULL;

	*d = t_tmpdir();
	E(sk_init());
	E(sk_kek_open(&kek, NULL, 1));
	snprintf(dir, sizeof(dir), "%s/r", *d);
	E(reg_store_init(dir, "test.example/registry", "registry", kek));
	E(reg_store_open(&s, dir, kek));
	sk_kek_free(kek);
	m.org_id = "wijkteam";
	m.name = "Wijkteam";
	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	E(reg_member_put(s, txn, &m));
	E(sk_db_status(mdb_txn_commit(txn)));
	return s;
}

#define MIN 60000ull
#define DAY 86400000ull

static sk_status pub(reg_store *s, int delta, uint64_t now, char *why)
{
	MDB_txn *txn = NULL;
	sk_status st;

	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	st = reg_quota_publish(s, txn, "wijkteam", delta, now, why, 200);
	E(sk_db_status(mdb_txn_commit(txn)));
	return st;
}

static reg_quota get(reg_store *s)
{
	MDB_txn *txn = NULL;
	reg_quota q;

	E(sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)));
	E(reg_quota_get(s, txn, "wijkteam", &q));
	mdb_txn_abort(txn);
	return q;
}

static void test_publish(void **state)
{
	char *d, why[200];
	reg_store *s = open_store(&d);
	uint64_t set[REG_QUOTA_LIMITS] = {3, 5, 0, 0}, t = 1000 * MIN;
	reg_quota q;

	(void)state;
	q = get(s);
	assert_int_equal(reg_quota_limit(&q, REG_QUOTA_ENTRIES_MAX), REG_QUOTA_ENTRIES);
	assert_int_equal(reg_quota_limit(&q, REG_QUOTA_PUBLISH_MAX), REG_QUOTA_PUBLISHES_PER_MINUTE);
	E(reg_quota_set(s, "wijkteam", set, &q));
	EFAIL(reg_quota_set(s, "nobody", set, NULL), SK_ERR_NOTFOUND);
	/* three live entries, the fourth refused and not counted */
	for (int i = 0; i < 3; i++)
		E(pub(s, 1, t, why));
	EFAIL(pub(s, 1, t, why), SK_ERR_TOOBIG);
	assert_non_null(strstr(why, "quota of 3 live entries"));
	q = get(s);
	assert_int_equal(q.v[REG_QUOTA_LIVE], 3);
	assert_int_equal(q.v[REG_QUOTA_PUBLISHED], 3);
	/* an update is not a new entry; a withdrawal frees a place */
	E(pub(s, 0, t, why));
	E(pub(s, -1, t, why));
	/* five a minute: the sixth refused, a withdrawal still accepted */
	EFAIL(pub(s, 1, t, why), SK_ERR_TOOBIG);
	assert_non_null(strstr(why, "quota of 5 publishes a minute"));
	E(pub(s, -1, t + 1, why));
	q = get(s);
	assert_int_equal(q.v[REG_QUOTA_LIVE], 1);
	/* the next minute starts afresh */
	E(pub(s, 1, t + MIN, why));
	q = get(s);
	assert_int_equal(q.v[REG_QUOTA_PUBLISHED], 1);
	assert_int_equal(q.v[REG_QUOTA_LIVE], 2);
	/* a purge takes one out; never below zero */
	{
		MDB_txn *txn = NULL;

		E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
		for (int i = 0; i < 4; i++)
			E(reg_quota_live_dec(s, txn, "wijkteam"));
		E(sk_db_status(mdb_txn_commit(txn)));
	}
	assert_int_equal(get(s).v[REG_QUOTA_LIVE], 0);
	/* back to the default */
	set[0] = UINT64_MAX;
	set[1] = 0;
	E(reg_quota_set(s, "wijkteam", set, &q));
	assert_int_equal(reg_quota_limit(&q, REG_QUOTA_ENTRIES_MAX), REG_QUOTA_ENTRIES);
	assert_int_equal(reg_quota_limit(&q, REG_QUOTA_PUBLISH_MAX), 5);
	reg_store_close(s);
	t_rmdir(d);
}

static void test_messages(void **state)
{
	char *d, why[200];
	reg_store *s = open_store(&d);
	uint64_t set[REG_QUOTA_LIMITS] = {0, 0, 10, 12}, t = 500 * DAY;
	MDB_txn *txn = NULL;

	(void)state;
	E(reg_quota_set(s, "wijkteam", set, NULL));
	E(sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn)));
	E(reg_quota_messages(s, txn, "wijkteam", 4, 5, t, why, sizeof(why)));
	/* 9 held + 2 > 10 a discussion; nothing counted */
	EFAIL(reg_quota_messages(s, txn, "wijkteam", 2, 9, t, why, sizeof(why)), SK_ERR_TOOBIG);
	assert_non_null(strstr(why, "limit of 10 messages"));
	E(reg_quota_messages(s, txn, "wijkteam", 8, 0, t, why, sizeof(why)));
	/* 12 sent today */
	EFAIL(reg_quota_messages(s, txn, "wijkteam", 1, 0, t, why, sizeof(why)), SK_ERR_TOOBIG);
	assert_non_null(strstr(why, "quota of 12 discussion messages a day"));
	/* tomorrow */
	E(reg_quota_messages(s, txn, "wijkteam", 1, 0, t + DAY, why, sizeof(why)));
	E(sk_db_status(mdb_txn_commit(txn)));
	assert_int_equal(get(s).v[REG_QUOTA_SENT], 1);
	reg_store_close(s);
	t_rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_publish),
		cmocka_unit_test(test_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
