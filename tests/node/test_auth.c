#define _GNU_SOURCE /* memmem */
/* Passwords and sign-in (node/auth.h) on a real LMDB with a simulated
 * clock: argon2id hashes at rest, the lock-out after five failures in a
 * row (also for the right password) that lifts after 15 minutes and
 * survives reopening the store, unknown professionals answered like wrong
 * passwords, and every attempt in the audit log. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "audit/query.h"
#include "common/db.h"
#include "common/init.h"
#include "node/auth.h"
#include "node/store.h"

#define T0 1781524800000ull /* 2026-06-15 12:00 UTC */
#define PW "correct horse battery"

typedef struct fixture {
	char *dir;
	sk_kek *kek;
	node_store *s;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	node_professional p = {0};

	assert_int_equal(sk_init(), SK_OK);
	f->dir = t_tmpdir();
	E(sk_kek_open(&f->kek, NULL, 1));
	E(node_store_init(f->dir, "wijkteam-oost", "Wijkteam Oost", "sociaal-team", f->kek));
	E(node_store_open(&f->s, f->dir, f->kek));
	snprintf(p.id, sizeof(p.id), "%s", "j.devries");
	snprintf(p.name, sizeof(p.name), "%s", "Jan de Vries");
	snprintf(p.role, sizeof(p.role), "%s", "spv");
	p.kind = NODE_KIND_PROFESSIONAL;
	E(node_professional_add(f->s, &p));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	node_store_close(f->s);
	sk_kek_free(f->kek);
	t_rmdir(f->dir);
	free(f);
	return 0;
}

static sk_status count_one(const audit_record *rec, void *arg)
{
	size_t *n = arg;

	(*n)++;
	(void)rec;
	return SK_OK;
}

/* records of event with that outcome */
static size_t records(fixture *f, const char *event, audit_outcome outcome)
{
	audit_filter q = {.event = event, .outcome = outcome};
	MDB_txn *txn = NULL;
	size_t n = 0;

	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_query(f->s->audit, txn, &q, count_one, &n));
	mdb_txn_abort(txn);
	return n;
}

static void test_password_set_and_signin(void **state)
{
	fixture *f = *state;
	node_professional p;
	uint8_t *raw = NULL;
	size_t len = 0;
	MDB_txn *txn = NULL;

	/* no password yet: refused like a wrong one */
	assert_int_equal(node_signin(f->s, "j.devries", PW, T0, &p, NULL), SK_ERR_VERIFY);
	assert_int_equal(node_password_set(f->s, "j.devries", "short", T0), SK_ERR_INVALID);
	assert_int_equal(node_password_set(f->s, "nobody", PW, T0), SK_ERR_NOTFOUND);
	E(node_password_set(f->s, "j.devries", PW, T0));
	/* at rest: an argon2id hash, not the password */
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(node_meta_get(f->s, txn, "pw/j.devries", &raw, &len));
	mdb_txn_abort(txn);
	assert_true(strncmp((char *)raw, "$argon2id$", 10) == 0);
	assert_null(memmem(raw, len, PW, strlen(PW)));
	free(raw);
	memset(&p, 0, sizeof(p));
	E(node_signin(f->s, "j.devries", PW, T0, &p, NULL));
	assert_string_equal(p.name, "Jan de Vries");
	assert_int_equal(node_signin(f->s, "j.devries", PW "x", T0, &p, NULL), SK_ERR_VERIFY);
	/* an unknown professional: the same answer, nothing typed kept */
	assert_int_equal(node_signin(f->s, "nobody", PW, T0, &p, NULL), SK_ERR_VERIFY);
	assert_int_equal(records(f, "signin", AUDIT_OUTCOME_OK), 1);
	assert_int_equal(records(f, "signin", AUDIT_OUTCOME_DENIED), 3);
	assert_int_equal(records(f, "professional.passwd", AUDIT_OUTCOME_OK), 1);
}

static void test_lockout(void **state)
{
	fixture *f = *state;
	node_professional p;
	uint64_t until = 0;

	E(node_password_set(f->s, "j.devries", PW, T0));
	for (int i = 0; i < NODE_SIGNIN_FAILURES_MAX - 1; i++)
		assert_int_equal(node_signin(f->s, "j.devries", "wrong password!", T0 + (uint64_t)i,
					     &p, &until),
				 SK_ERR_VERIFY);
	/* the fifth failure locks */
	assert_int_equal(node_signin(f->s, "j.devries", "wrong password!", T0 + 10, &p, &until),
			 SK_ERR_PERM);
	assert_int_equal(until, T0 + 10 + NODE_SIGNIN_LOCK_MS);
	/* locked: the right password too, and across a reopen of the store */
	assert_int_equal(node_signin(f->s, "j.devries", PW, T0 + 20, &p, &until), SK_ERR_PERM);
	node_store_close(f->s);
	E(node_store_open(&f->s, f->dir, f->kek));
	assert_int_equal(node_signin(f->s, "j.devries", PW, T0 + 60000, &p, &until), SK_ERR_PERM);
	/* after 15 minutes it lifts */
	E(node_signin(f->s, "j.devries", PW, T0 + 10 + NODE_SIGNIN_LOCK_MS, &p, &until));
	/* a success resets the count: four more failures do not lock */
	for (int i = 0; i < NODE_SIGNIN_FAILURES_MAX - 1; i++)
		assert_int_equal(node_signin(f->s, "j.devries", "wrong password!",
					     T0 + NODE_SIGNIN_LOCK_MS + 100, &p, NULL),
				 SK_ERR_VERIFY);
	E(node_signin(f->s, "j.devries", PW, T0 + NODE_SIGNIN_LOCK_MS + 200, &p, NULL));
	/* a new password lifts a lock-out */
	for (int i = 0; i < NODE_SIGNIN_FAILURES_MAX; i++)
		(void)!node_signin(f->s, "j.devries", "wrong password!", T0 + 2 * NODE_SIGNIN_LOCK_MS,
				   &p, NULL);
	assert_int_equal(node_signin(f->s, "j.devries", PW, T0 + 2 * NODE_SIGNIN_LOCK_MS, &p, NULL),
			 SK_ERR_PERM);
	E(node_password_set(f->s, "j.devries", PW " 2", T0 + 2 * NODE_SIGNIN_LOCK_MS));
	E(node_signin(f->s, "j.devries", PW " 2", T0 + 2 * NODE_SIGNIN_LOCK_MS, &p, NULL));
	assert_true(records(f, "signin", AUDIT_OUTCOME_DENIED) >= 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_password_set_and_signin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
