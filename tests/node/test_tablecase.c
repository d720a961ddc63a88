#define _GNU_SOURCE /* memmem */
/* Intake at the node (node/tablecase.h): the headed intake file (headings
 * in Dutch and English, text running on, lists, the required fields, the
 * vocabularies), the text check over question and what was tried, and a
 * case sealed for one member of one table: it opens only for that member,
 * that table and that case, under the submitter's signature; the
 * "already involved" tag, bound to its case and never carrying the token. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "crypto/seal.h"
#include "node/tablecase.h"
#include "node/textcheck.h"

static void test_parse(void **state)
{
	char ok[] = "Vraag: Wie neemt de regie?\n  Vier partijen, niemand coördineert.\n"
		    "Leefgebieden: Wonen, financien\nUrgentie: HOOG\nGeprobeerd: schuldhulp\n"
		    "Betrokken: ggz, schuldhulp\n";
	char en[] = "Question: who leads?\nUrgency: laag\nLife domains: verslaving\n";
	char no_q[] = "Urgentie: hoog\n", no_u[] = "Vraag: x\n", bad_u[] = "Vraag: x\nUrgentie: spoed\n";
	char bad_d[] = "Vraag: x\nUrgentie: laag\nLeefgebieden: wonen, geld\n";
	char twice[] = "Vraag: x\nVraag: y\nUrgentie: laag\n", before[] = "hallo\nVraag: x\nUrgentie: laag\n";
	node_intake in;

	(void)state;
	E(node_intake_parse(ok, &in));
	assert_string_equal(in.question, "Wie neemt de regie?\n  Vier partijen, niemand coördineert.");
	assert_string_equal(in.urgency, "hoog");
	assert_int_equal(in.n_domains, 2);
	assert_string_equal(in.domains[0], "wonen");
	assert_string_equal(in.tried, "schuldhulp");
	assert_int_equal(in.n_parties, 2);
	assert_string_equal(in.parties[1], "schuldhulp");
	E(node_intake_parse(en, &in));
	assert_string_equal(in.question, "who leads?");
	assert_null(in.tried);
	EFAIL(node_intake_parse(no_q, &in), SK_ERR_INVALID);
	EFAIL(node_intake_parse(no_u, &in), SK_ERR_INVALID);
	EFAIL(node_intake_parse(bad_u, &in), SK_ERR_INVALID);
	EFAIL(node_intake_parse(bad_d, &in), SK_ERR_INVALID);
	EFAIL(node_intake_parse(twice, &in), SK_ERR_INVALID);
	EFAIL(node_intake_parse(before, &in), SK_ERR_INVALID);
}

static void test_check(void **state)
{
	char with_bsn[] = "Vraag: cliënt 111222333\nUrgentie: laag\n";
	char date[] = "Vraag: x\nUrgentie: laag\nGeprobeerd: gesprek 12-03-2027\n";
	char addr[] = "Vraag: woont 3701 AB 12\nUrgentie: laag\n";
	char clean[] = "Vraag: x\nUrgentie: laag\n";
	node_intake in;

	(void)state;
	E(node_intake_parse(with_bsn, &in));
	assert_int_equal(node_intake_check(&in), NODE_TEXT_BSN);
	E(node_intake_parse(date, &in));
	assert_int_equal(node_intake_check(&in), NODE_TEXT_DATE);
	E(node_intake_parse(addr, &in));
	assert_int_equal(node_intake_check(&in), NODE_TEXT_ADDRESS);
	E(node_intake_parse(clean, &in));
	assert_int_equal(node_intake_check(&in), NODE_TEXT_OK);
}

/* A case sealed to one member opens for it under this table and case
 * only, and only under the submitter's key. */
static void test_seal(void **state)
{
	Schakel__V1__TableCaseBody b = SCHAKEL__V1__TABLE_CASE_BODY__INIT;
	Schakel__V1__TableCaseBody *got = NULL;
	const char *table = "00112233445566778899aabbccddeeff", *other = "ffeeddccbbaa99887766554433221100";
	uint8_t case_id[WIRE_TABLE_CASE_ID_BYTES] = {1}, case2[WIRE_TABLE_CASE_ID_BYTES] = {2};
	uint8_t ctx[WIRE_TABLE_CASE_CONTEXT_BYTES], body[512], sealed[1024], plain[1024];
	key_ed25519 sender, stranger;
	key_x25519 member, outsider;
	size_t n, plen = 0;

	(void)state;
	key_ed25519_generate(&sender);
	key_ed25519_generate(&stranger);
	key_x25519_generate(&member);
	key_x25519_generate(&outsider);
	b.question = "Wie neemt de regie?";
	b.urgency = "hoog";
	b.professional = "p-1";
	b.name = "Prof";
	n = schakel__v1__table_case_body__pack(&b, body);
	wire_table_case_context(ctx, table, case_id);
	E(seal_signed(sealed, WIRE_DOMAIN_TABLE, (const uint8_t *)"tactus", 6, ctx, sizeof(ctx), body,
		      n, member.pk, sender.sk));
	E(seal_signed_open(plain, &plen, WIRE_DOMAIN_TABLE, (const uint8_t *)"tactus", 6, ctx,
			   sizeof(ctx), sealed, SEAL_SIGNED_BYTES(n), &member, sender.pk));
	E(wire_table_case_parse(&got, plain, plen));
	assert_string_equal(got->question, "Wie neemt de regie?");
	schakel__v1__table_case_body__free_unpacked(got, NULL);
	/* another member's key, another recipient id, table, case, signer */
	EFAIL(seal_signed_open(plain, &plen, WIRE_DOMAIN_TABLE, (const uint8_t *)"tactus", 6, ctx,
			       sizeof(ctx), sealed, SEAL_SIGNED_BYTES(n), &outsider, sender.pk),
	      SK_ERR_VERIFY);
	EFAIL(seal_signed_open(plain, &plen, WIRE_DOMAIN_TABLE, (const uint8_t *)"lentis", 6, ctx,
			       sizeof(ctx), sealed, SEAL_SIGNED_BYTES(n), &member, sender.pk),
	      SK_ERR_VERIFY);
	wire_table_case_context(ctx, other, case_id);
	EFAIL(seal_signed_open(plain, &plen, WIRE_DOMAIN_TABLE, (const uint8_t *)"tactus", 6, ctx,
			       sizeof(ctx), sealed, SEAL_SIGNED_BYTES(n), &member, sender.pk),
	      SK_ERR_VERIFY);
	wire_table_case_context(ctx, table, case2);
	EFAIL(seal_signed_open(plain, &plen, WIRE_DOMAIN_TABLE, (const uint8_t *)"tactus", 6, ctx,
			       sizeof(ctx), sealed, SEAL_SIGNED_BYTES(n), &member, sender.pk),
	      SK_ERR_VERIFY);
	wire_table_case_context(ctx, table, case_id);
	EFAIL(seal_signed_open(plain, &plen, WIRE_DOMAIN_TABLE, (const uint8_t *)"tactus", 6, ctx,
			       sizeof(ctx), sealed, SEAL_SIGNED_BYTES(n), &member, stranger.pk),
	      SK_ERR_VERIFY);
	/* the question is nowhere in what travels */
	assert_null(memmem(sealed, SEAL_SIGNED_BYTES(n), "regie", 5));
	key_x25519_wipe(&member);
	key_x25519_wipe(&outsider);
	key_ed25519_wipe(&sender);
	key_ed25519_wipe(&stranger);
}

/* The "already involved" tag: bound to its table and case (useless for
 * any other), keyed by the token, and the token is nowhere in what is
 * sent: neither in the body nor in a member's sealed copy. */
static void test_tag(void **state)
{
	Schakel__V1__TableCaseBody b = SCHAKEL__V1__TABLE_CASE_BODY__INIT;
	const char *table = "00112233445566778899aabbccddeeff", *other = "ffeeddccbbaa99887766554433221100";
	uint8_t token[WIRE_TABLE_TOKEN_BYTES], token2[WIRE_TABLE_TOKEN_BYTES];
	uint8_t case_id[WIRE_TABLE_CASE_ID_BYTES] = {1}, case2[WIRE_TABLE_CASE_ID_BYTES] = {2};
	uint8_t t1[WIRE_TABLE_TAG_BYTES], t2[WIRE_TABLE_TAG_BYTES];
	uint8_t body[1024], sealed[2048], ctx[WIRE_TABLE_CASE_CONTEXT_BYTES];
	key_ed25519 sender;
	key_x25519 member;
	size_t n;

	(void)state;
	randombytes_buf(token, sizeof(token));
	memcpy(token2, token, sizeof(token));
	token2[0] ^= 1;
	wire_table_tag(t1, token, table, case_id);
	wire_table_tag(t2, token, table, case_id);
	assert_memory_equal(t1, t2, sizeof(t1)); /* the member computes the same */
	wire_table_tag(t2, token, table, case2);
	assert_memory_not_equal(t1, t2, sizeof(t1)); /* another case */
	wire_table_tag(t2, token, other, case_id);
	assert_memory_not_equal(t1, t2, sizeof(t1)); /* another table */
	wire_table_tag(t2, token2, table, case_id);
	assert_memory_not_equal(t1, t2, sizeof(t1)); /* another client */
	/* what is sent: the body with the tag, sealed to a member */
	b.question = "Wie neemt de regie?";
	b.urgency = "hoog";
	b.professional = "p-1";
	b.name = "Prof";
	b.has_match_tag = 1;
	b.match_tag = (ProtobufCBinaryData){sizeof(t1), t1};
	b.has_tag_epoch = 1;
	b.tag_epoch = 1;
	n = schakel__v1__table_case_body__pack(&b, body);
	assert_null(memmem(body, n, token, sizeof(token)));
	assert_null(memmem(body, n, token, 8));
	key_ed25519_generate(&sender);
	key_x25519_generate(&member);
	wire_table_case_context(ctx, table, case_id);
	E(seal_signed(sealed, WIRE_DOMAIN_TABLE, (const uint8_t *)"tactus", 6, ctx, sizeof(ctx), body,
		      n, member.pk, sender.sk));
	assert_null(memmem(sealed, SEAL_SIGNED_BYTES(n), token, 8));
	assert_null(memmem(sealed, SEAL_SIGNED_BYTES(n), t1, 8)); /* nor the tag in clear */
	{
		Schakel__V1__TableCaseBody *got = NULL;

		E(wire_table_case_parse(&got, body, n));
		assert_memory_equal(got->match_tag.data, t1, sizeof(t1));
		schakel__v1__table_case_body__free_unpacked(got, NULL);
		b.match_tag.len = 16; /* a malformed tag is refused */
		n = schakel__v1__table_case_body__pack(&b, body);
		EFAIL(wire_table_case_parse(&got, body, n), SK_ERR_INVALID);
		b.match_tag.len = sizeof(t1);
		b.has_tag_epoch = 0; /* a tag without its epoch */
		n = schakel__v1__table_case_body__pack(&b, body);
		EFAIL(wire_table_case_parse(&got, body, n), SK_ERR_INVALID);
	}
	sodium_memzero(token, sizeof(token));
	key_x25519_wipe(&member);
	key_ed25519_wipe(&sender);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_seal),
		cmocka_unit_test(test_tag),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
