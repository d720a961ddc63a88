#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "registry/entry.h"

#define NOW 1795000000000ull

static uint8_t token[32] = {1}, salt[16] = {2}, head[32] = {3}, contact[64] = {4};
static char *cats[] = {"ggz", "sociaal-team"};

static void base(Schakel__V1__Entry *e)
{
	schakel__v1__entry__init(e);
	e->token = (ProtobufCBinaryData){32, token};
	e->epoch = 1;
	e->org_id = "wijkteam-utrecht";
	e->flags = REG_FLAG_DISCOVER | REG_FLAG_CONTACT | REG_FLAG_DISCUSS;
	e->n_categories = 2;
	e->categories = cats;
	e->basis = SCHAKEL__V1__BASIS__BASIS_CONSENT;
	e->has_sealed_contact = 1;
	e->sealed_contact = (ProtobufCBinaryData){64, contact};
	e->issued_at = NOW;
	e->expires_at = NOW + 365ull * 24 * 3600 * 1000;
	e->seq = 1;
	e->salt = (ProtobufCBinaryData){16, salt};
	e->audit_head = (ProtobufCBinaryData){32, head};
}

static sk_status run(const Schakel__V1__Entry *e)
{
	static uint8_t buf[4096];
	wire_policy policy;
	reg_entry_ctx ctx = {"wijkteam-utrecht", "sociaal-team", &policy, NOW};
	Schakel__V1__Entry *out = NULL;
	size_t n = schakel__v1__entry__get_packed_size(e);
	sk_status st;

	wire_policy_default(&policy);
	assert_true(n <= sizeof(buf));
	schakel__v1__entry__pack(e, buf);
	st = reg_entry_check(&out, buf, n, &ctx);
	if (st == SK_OK)
		assert_non_null(out);
	else
		assert_null(out);
	schakel__v1__entry__free_unpacked(out, NULL);
	return st;
}

static void test_valid(void **state)
{
	Schakel__V1__Entry e;

	base(&e);
	E(run(&e));
	/* statutory: discuss only, no contact */
	e.basis = SCHAKEL__V1__BASIS__BASIS_STATUTORY;
	e.flags = REG_FLAG_DISCUSS;
	e.has_sealed_contact = 0;
	E(run(&e));
	/* discuss only may name categories outside the discovery matrix */
	{
		char *closed[] = {"gemeente"};

		base(&e);
		e.flags = REG_FLAG_DISCUSS;
		e.has_sealed_contact = 0;
		e.categories = closed;
		e.n_categories = 1;
		E(run(&e));
	}
	/* a withdrawal */
	base(&e);
	e.withdrawn = 1;
	e.has_withdrawn = 1;
	e.flags = 0;
	e.n_categories = 0;
	e.has_sealed_contact = 0;
	E(run(&e));
	/* skew just inside, expiry at the limit */
	base(&e);
	e.issued_at = NOW - REG_CLOCK_SKEW_MS;
	e.expires_at = e.issued_at + REG_EXPIRY_MAX_MS;
	E(run(&e));
}

static void test_refused(void **state)
{
	Schakel__V1__Entry e;
	char *all[] = {"all"}, *unknown[] = {"politie"}, *dup[] = {"ggz", "ggz"};
	char *closed[] = {"gemeente", "woningcorporatie"};

#define REFUSE(mutation, want)                                \
	do {                                                  \
		base(&e);                                     \
		mutation;                                     \
		EFAIL(run(&e), want);                         \
	} while (0)
	REFUSE(e.org_id = "altrecht", SK_ERR_PERM);
	REFUSE(e.token.len = 31, SK_ERR_INVALID);
	REFUSE(e.salt.len = 15, SK_ERR_INVALID);
	REFUSE(e.audit_head.len = 0, SK_ERR_INVALID);
	REFUSE(e.seq = 0, SK_ERR_INVALID);
	REFUSE(e.epoch = 0, SK_ERR_INVALID);
	REFUSE(e.issued_at = NOW - REG_CLOCK_SKEW_MS - 1, SK_ERR_INVALID);
	REFUSE(e.issued_at = NOW + REG_CLOCK_SKEW_MS + 1, SK_ERR_INVALID);
	REFUSE(e.expires_at = NOW, SK_ERR_INVALID);
	REFUSE(e.expires_at = NOW + REG_EXPIRY_MAX_MS + 1, SK_ERR_INVALID);
	REFUSE(e.flags = 0, SK_ERR_INVALID);
	REFUSE(e.flags = 8, SK_ERR_INVALID);
	REFUSE(e.flags = REG_FLAG_CONTACT, SK_ERR_INVALID);
	REFUSE(e.has_sealed_contact = 0, SK_ERR_INVALID);
	REFUSE(e.sealed_contact.len = 10, SK_ERR_INVALID);
	REFUSE(e.flags = REG_FLAG_DISCOVER, SK_ERR_INVALID); /* contact without flag */
	REFUSE((e.basis = SCHAKEL__V1__BASIS__BASIS_STATUTORY), SK_ERR_INVALID);
	REFUSE((e.basis = SCHAKEL__V1__BASIS__BASIS_STATUTORY, e.flags = REG_FLAG_DISCOVER,
		e.has_sealed_contact = 0), SK_ERR_INVALID);
	REFUSE(e.n_categories = 0, SK_ERR_INVALID);
	REFUSE((e.categories = all, e.n_categories = 1), SK_ERR_INVALID);
	REFUSE((e.categories = unknown, e.n_categories = 1), SK_ERR_INVALID);
	REFUSE((e.categories = dup, e.n_categories = 2), SK_ERR_INVALID);
	REFUSE((e.withdrawn = 1, e.has_withdrawn = 1), SK_ERR_INVALID); /* with flags */
	/* discover towards categories the policy never lets us see */
	REFUSE((e.categories = closed, e.n_categories = 2), SK_ERR_INVALID);
#undef REFUSE
}

static void test_garbage(void **state)
{
	wire_policy policy;
	reg_entry_ctx ctx = {"a", "ggz", &policy, NOW};
	Schakel__V1__Entry *out = NULL;
	static const uint8_t junk[] = {0xff, 0x01, 0x02};

	wire_policy_default(&policy);
	EFAIL(reg_entry_check(&out, junk, sizeof(junk), &ctx), SK_ERR_INVALID);
	EFAIL(reg_entry_check(&out, junk, 0, &ctx), SK_ERR_INVALID); /* required fields */
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
