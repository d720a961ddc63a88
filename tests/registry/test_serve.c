/* registry/serve's table of request kinds (reg_serve_op, registry/op.h):
 * every request an Envelope can carry is served by exactly the op made
 * for it or refused; an op is answered at once (read) or is a whole job;
 * the kinds the registry stores or forwards, and only those, are screened
 * (registry/screen.h): over their cap or with unknown fields they are
 * refused before any handler, with their own sentence. */
#include <stdio.h>
#include <string.h>

#include "test_util.h"
#include "registry/directory.h"
#include "registry/lookup.h"
#include "registry/publish.h"
#include "registry/screen.h"
#include "registry/serve.h"

/* The kinds serve answers; every other body is refused. */
static const Schakel__V1__Envelope__BodyCase served[] = {
	SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_EPOCH_KEY_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_MAILBOX_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_MEMBER_EVENTS_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_CONSISTENCY_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_ANSWER,
	SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_SEND,
	SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_STATE_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_ENC_KEY_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_ANCHOR_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_ANCHORS_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_RESUME_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_AUDIT_RECORDS_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_DIRECTORY_PUBLISH,
	SCHAKEL__V1__ENVELOPE__BODY_DIRECTORY_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_TABLE_RECORD_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_TABLES_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_TABLE_SUBMIT,
	SCHAKEL__V1__ENVELOPE__BODY_TABLE_SEND,
};

/* The kinds whose content the registry stores or forwards. */
static const Schakel__V1__Envelope__BodyCase screened[] = {
	SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_EPOCH_KEY_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_ENC_KEY_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_ANCHOR_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_ANSWER,
	SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_SEND,
	SCHAKEL__V1__ENVELOPE__BODY_DIRECTORY_PUBLISH,
	SCHAKEL__V1__ENVELOPE__BODY_TABLE_RECORD_REQUEST,
	SCHAKEL__V1__ENVELOPE__BODY_TABLE_SUBMIT,
	SCHAKEL__V1__ENVELOPE__BODY_TABLE_SEND,
};

static int in(const Schakel__V1__Envelope__BodyCase *list, size_t n,
	      Schakel__V1__Envelope__BodyCase body)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == body)
			return 1;
	return 0;
}

#define IN(list, body) in(list, sizeof(list) / sizeof(list[0]), body)

static void test_table(void **state)
{
	const ProtobufCMessageDescriptor *d = &schakel__v1__envelope__descriptor;
	size_t n = 0;

	(void)state;
	assert_null(reg_serve_op(SCHAKEL__V1__ENVELOPE__BODY__NOT_SET));
	for (unsigned i = 0; i < d->n_fields; i++) {
		Schakel__V1__Envelope__BodyCase body = d->fields[i].id;
		const reg_op *op;

		if (!(d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
			continue;
		op = reg_serve_op(body);
		if (!IN(served, body)) {
			assert_null(op); /* replies, errors: nothing to serve */
			continue;
		}
		n++;
		assert_non_null(op);
		assert_int_equal(op->body, body);
		assert_non_null(op->name);
		assert_int_equal(op->screen != NULL, IN(screened, body));
		if (op->read != NULL) { /* answered at once: no job */
			assert_true(op->new == NULL && op->check == NULL && op->apply == NULL &&
				    op->receipt == NULL && op->finish == NULL && op->reply == NULL &&
				    op->result == NULL && op->free == NULL && op->flags == 0);
			continue;
		}
		assert_true(op->new != NULL && op->apply != NULL && op->reply != NULL &&
			    op->result != NULL && op->free != NULL);
		/* only a publish is checked on a worker and refuses before it
		 * writes; a publish and a directory record have a receipt
		 * signed with their batch and a reply read after the commit */
		assert_int_equal(op == &reg_op_publish, op->check != NULL);
		assert_int_equal(op == &reg_op_publish, op->flags == REG_OP_FLAT);
		assert_int_equal(op == &reg_op_publish || op == &reg_op_directory_publish,
				 op->receipt != NULL);
		assert_int_equal(op == &reg_op_publish || op == &reg_op_directory_publish,
				 op->finish != NULL);
	}
	assert_int_equal(n, sizeof(served) / sizeof(served[0]));
	/* a refusal is no kind of request */
	assert_int_equal(reg_op_refusal.body, SCHAKEL__V1__ENVELOPE__BODY__NOT_SET);
}

/* A request over its cap and one with a field this registry does not
 * know are refused before their handler, each with its sentence; a kind
 * that is not screened goes on. */
static void test_screen(void **state)
{
	static ProtobufCMessageUnknownField uf = {999, PROTOBUF_C_WIRE_TYPE_VARINT, 1,
						  (uint8_t *)"\x01"};
	static uint8_t big[REG_ENTRY_BYTES_MAX + 1];
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__PublishRequest pr = SCHAKEL__V1__PUBLISH_REQUEST__INIT;
	Schakel__V1__LookupRequest lr = SCHAKEL__V1__LOOKUP_REQUEST__INIT;
	net_peer peer = {0};
	reg_refusal *r;
	const char *why = NULL;
	sk_status st;

	(void)state;
	snprintf(peer.org_id, sizeof(peer.org_id), "wijkteam");
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_REQUEST;
	env.publish_request = &pr;
	pr.entry = (ProtobufCBinaryData){REG_ENTRY_BYTES_MAX, big};
	assert_null(reg_request_screen(NULL, &peer, &reg_op_publish, &env, &st));
	E(st);
	pr.entry.len++;
	assert_non_null(r = reg_request_screen(NULL, &peer, &reg_op_publish, &env, &st));
	E(st);
	EFAIL(reg_op_refusal.result(r, &why), SK_ERR_TOOBIG);
	assert_string_equal(why, "the request carries 4097 bytes where at most 4096 are "
				 "allowed; nothing was stored");
	reg_op_refusal.free(r);
	pr.entry.len--;
	pr.base.n_unknown_fields = 1;
	pr.base.unknown_fields = &uf;
	assert_non_null(r = reg_request_screen(NULL, &peer, &reg_op_publish, &env, &st));
	EFAIL(reg_op_refusal.result(r, &why), SK_ERR_INVALID);
	assert_non_null(strstr(why, "fields this registry does not know"));
	reg_op_refusal.free(r);
	/* a lookup stores nothing: not screened */
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_LOOKUP_REQUEST;
	env.lookup_request = &lr;
	lr.base.n_unknown_fields = 1;
	lr.base.unknown_fields = &uf;
	assert_null(reg_request_screen(NULL, &peer, &reg_op_lookup, &env, &st));
	E(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_screen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
