/* Case table records at the registry (registry/table.c through its request
 * kind reg_op_table_record): a record signed by a live member under its own
 * key is appended to the log and stored; an unsigned or forged record, one
 * sent by another org than its signer, one by a revoked member, one that
 * breaks the table's rules (a join by an org that was not invited, a
 * procesregisseur added by an org without one, a replayed seq) and one
 * over its caps are refused, nothing stored, each refusal audited. A case
 * brought (test_submit) and the messages in it (test_send): who may send
 * what, to exactly whom; a case that never gets an outcome is purged at
 * its maximum age, audited, and closed (test_case_max); a subgroup with
 * mandate: who forms it, of whom, sealed to whom (test_subgroup). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"
#include "tmpdir.h"
#include "common/clock.h"
#include "common/db.h"
#include "audit/log.h"
#include "common/kek.h"
#include "registry/mailbox.h"
#include "registry/table.h"

#define ID "00112233445566778899aabbccddeeff"
#define ORGS 4

static const char *orgs[ORGS] = {"wijkteam", "altrecht", "tactus", "lentis"};

struct fx {
	char *dir;
	sk_kek *kek;
	reg_store *s;
	key_ed25519 id[ORGS];
};

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	MDB_txn *txn = NULL;
	uint8_t zero[32] = {0};
	char sub[512];

	assert_non_null(f);
	f->dir = t_tmpdir();
	snprintf(sub, sizeof(sub), "%s/r", f->dir);
	E(sk_kek_open(&f->kek, NULL, 1));
	E(reg_store_init(sub, "test.example/log", "registry", f->kek));
	E(reg_store_open(&f->s, sub, f->kek));
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	for (size_t i = 0; i < ORGS; i++) {
		Schakel__V1__Member m = SCHAKEL__V1__MEMBER__INIT;

		key_ed25519_generate(&f->id[i]);
		m.org_id = (char *)orgs[i];
		m.name = (char *)orgs[i];
		m.category = "ggz";
		m.role = SCHAKEL__V1__ROLE__ROLE_NODE;
		m.identity_key = (ProtobufCBinaryData){KEY_ED25519_PK_BYTES, f->id[i].pk};
		m.tls_key = (ProtobufCBinaryData){32, zero};
		m.cert = (ProtobufCBinaryData){1, zero};
		m.request = (ProtobufCBinaryData){1, zero};
		E(reg_member_put(f->s, txn, &m));
	}
	E(sk_db_status(mdb_txn_commit(txn)));
	return f;
}

static void fx_free(struct fx *f)
{
	reg_store_close(f->s);
	sk_kek_free(f->kek);
	t_rmdir(f->dir);
	free(f);
}

static size_t org_ix(const char *org)
{
	for (size_t i = 0; i < ORGS; i++)
		if (strcmp(orgs[i], org) == 0)
			return i;
	fail();
	return 0;
}

enum { SIGN_OK, SIGN_FORGED, SIGN_OTHER, SIGN_NONE };

/* Sends b from peer's connection, signed as sign says, through the op's
 * new and apply; returns the job's result. */
static sk_status send_body(struct fx *f, const char *peer_org, const uint8_t *body, size_t len,
			   int sign)
{
	Schakel__V1__SignedTableRecord sr = SCHAKEL__V1__SIGNED_TABLE_RECORD__INIT;
	Schakel__V1__TableRecordRequest req = SCHAKEL__V1__TABLE_RECORD_REQUEST__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	net_peer peer = {0};
	uint8_t sig[KEY_SIG_BYTES];
	MDB_txn *txn = NULL;
	void *job = NULL;
	sk_status st;

	snprintf(peer.org_id, sizeof(peer.org_id), "%s", peer_org);
	E(key_sign(sig, WIRE_DOMAIN_TABLE_RECORD, body, len,
		   f->id[org_ix(sign == SIGN_OTHER ? "lentis" : peer_org)].sk));
	if (sign == SIGN_FORGED)
		sig[5] ^= 1;
	sr.body = (ProtobufCBinaryData){len, (uint8_t *)body};
	sr.signature = (ProtobufCBinaryData){sign == SIGN_NONE ? 0 : sizeof(sig), sig};
	req.record = &sr;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_TABLE_RECORD_REQUEST;
	env.table_record_request = &req;
	E(reg_op_table_record.new(&job, f->s, &peer, &env));
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	E(reg_op_table_record.apply(txn, job));
	E(sk_db_status(mdb_txn_commit(txn)));
	st = reg_op_table_record.result(job, NULL);
	reg_op_table_record.free(job);
	return st;
}

static sk_status send(struct fx *f, const char *peer_org, Schakel__V1__TableAction action,
		      const char *signer, uint64_t seq, const char *reg_org, int sign)
{
	Schakel__V1__TableRecordBody b = SCHAKEL__V1__TABLE_RECORD_BODY__INIT;
	Schakel__V1__TableRegisseur r = SCHAKEL__V1__TABLE_REGISSEUR__INIT;
	static char *members[] = {"altrecht", "tactus"};
	uint8_t buf[WIRE_TABLE_BODY_MAX];

	b.table_id = ID;
	b.action = action;
	b.org_id = (char *)signer;
	b.seq = seq;
	b.time = 1;
	if (action == SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE) {
		b.name = "Transfertafel";
		b.members = members;
		b.n_members = 2;
	}
	if (reg_org != NULL) {
		r.org_id = (char *)reg_org;
		r.professional = "p-1";
		b.regisseur = &r;
	}
	return send_body(f, peer_org, buf, schakel__v1__table_record_body__pack(&b, buf), sign);
}

/* The table's stored state and the log's size. */
static uint64_t state(struct fx *f, wire_table *t)
{
	MDB_txn *txn = NULL;
	uint64_t size;

	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(reg_table_get(f->s, txn, ID, t));
	E(reg_log_size(&f->s->log, txn, &size));
	mdb_txn_abort(txn);
	return size;
}

static void test_records(void **st)
{
	struct fx *f = fx_new();
	wire_table t;
	uint64_t size;
	const Schakel__V1__TableAction CREATE = SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE,
				       JOIN = SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN,
				       REG = SCHAKEL__V1__TABLE_ACTION__TABLE_REGISSEUR;

	(void)st;
	/* unsigned, forged, signed by another member's key, sent by another org */
	EFAIL(send(f, "wijkteam", CREATE, "wijkteam", 1, "wijkteam", SIGN_NONE), SK_ERR_INVALID);
	EFAIL(send(f, "wijkteam", CREATE, "wijkteam", 1, "wijkteam", SIGN_FORGED), SK_ERR_VERIFY);
	EFAIL(send(f, "wijkteam", CREATE, "wijkteam", 1, "wijkteam", SIGN_OTHER), SK_ERR_VERIFY);
	EFAIL(send(f, "lentis", CREATE, "wijkteam", 1, "wijkteam", SIGN_OTHER), SK_ERR_PERM);
	size = state(f, &t);
	assert_int_equal(t.seq, 0);
	assert_int_equal(size, 0);
	/* the host's own, signed: a leaf and the record */
	E(send(f, "wijkteam", CREATE, "wijkteam", 1, "wijkteam", SIGN_OK));
	assert_int_equal(state(f, &t), size + 1);
	assert_int_equal(t.seq, 1);
	assert_string_equal(t.host, "wijkteam");
	/* a second create of the same id, a replayed seq */
	EFAIL(send(f, "wijkteam", CREATE, "wijkteam", 1, "wijkteam", SIGN_OK), SK_ERR_EXISTS);
	/* a join by an org that was not invited, and by an invited one */
	EFAIL(send(f, "lentis", JOIN, "lentis", 2, NULL, SIGN_OK), SK_ERR_PERM);
	EFAIL(send(f, "altrecht", JOIN, "altrecht", 2, NULL, SIGN_FORGED), SK_ERR_VERIFY);
	E(send(f, "altrecht", JOIN, "altrecht", 2, NULL, SIGN_OK));
	EFAIL(send(f, "tactus", JOIN, "tactus", 2, NULL, SIGN_OK), SK_ERR_EXISTS);
	/* a procesregisseur: not by a member without one, yes by the host */
	EFAIL(send(f, "altrecht", REG, "altrecht", 3, "altrecht", SIGN_OK), SK_ERR_PERM);
	E(send(f, "wijkteam", REG, "wijkteam", 3, "altrecht", SIGN_OK));
	assert_int_equal(state(f, &t), size + 3);
	assert_true(wire_table_is_regisseur(&t, "altrecht", "p-1"));
	/* a revoked member is refused, though invited and signing well */
	{
		Schakel__V1__Member *m = NULL;
		MDB_txn *txn = NULL;

		E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
		E(reg_member_get(f->s, txn, "tactus", &m));
		m->has_revoked_at = 1;
		m->revoked_at = 1;
		E(reg_member_put(f->s, txn, m));
		E(sk_db_status(mdb_txn_commit(txn)));
		schakel__v1__member__free_unpacked(m, NULL);
	}
	EFAIL(send(f, "tactus", JOIN, "tactus", 4, NULL, SIGN_OK), SK_ERR_PERM);
	assert_int_equal(state(f, &t), size + 3);
	assert_int_equal(wire_table_org(&t, "tactus"), WIRE_TABLE_INVITED);
	fx_free(f);
}

static void test_caps(void **st)
{
	struct fx *f = fx_new();
	Schakel__V1__TableRecordBody b = SCHAKEL__V1__TABLE_RECORD_BODY__INIT;
	Schakel__V1__TableRegisseur r = SCHAKEL__V1__TABLE_REGISSEUR__INIT;
	static uint8_t buf[WIRE_TABLE_BODY_MAX * 2];
	char name[WIRE_TABLE_NAME_MAX + 2], rhythm[WIRE_TABLE_BODY_MAX];
	wire_table t;

	(void)st;
	r.org_id = "wijkteam";
	r.professional = "p-1";
	b.table_id = ID;
	b.action = SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE;
	b.org_id = "wijkteam";
	b.seq = 1;
	b.regisseur = &r;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	b.name = name;
	EFAIL(send_body(f, "wijkteam", buf, schakel__v1__table_record_body__pack(&b, buf), SIGN_OK),
	      SK_ERR_INVALID);
	b.name = "Tafel";
	memset(rhythm, 'r', sizeof(rhythm) - 1);
	rhythm[sizeof(rhythm) - 1] = 0;
	b.rhythm = rhythm;
	assert_true(schakel__v1__table_record_body__get_packed_size(&b) > WIRE_TABLE_BODY_MAX);
	EFAIL(send_body(f, "wijkteam", buf, schakel__v1__table_record_body__pack(&b, buf), SIGN_OK),
	      SK_ERR_INVALID);
	assert_int_equal(state(f, &t), 0);
	fx_free(f);
}

/* A TableSubmit from peer with a sealed copy for each of to (fake
 * ciphertext: the registry never opens it). */
static sk_status submit(struct fx *f, const char *peer_org, const char *table, uint8_t case_byte,
			const char **to, size_t n)
{
	Schakel__V1__TableSubmit req = SCHAKEL__V1__TABLE_SUBMIT__INIT;
	Schakel__V1__TableSealed items[8], *ptrs[8];
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	uint8_t case_id[WIRE_TABLE_CASE_ID_BYTES] = {case_byte}, ct[200];
	net_peer peer = {0};
	MDB_txn *txn = NULL;
	void *job = NULL;
	sk_status st;

	memset(ct, 0xC7, sizeof(ct));
	for (size_t i = 0; i < n; i++) {
		items[i] = (Schakel__V1__TableSealed)SCHAKEL__V1__TABLE_SEALED__INIT;
		items[i].recipient = (char *)to[i];
		items[i].sealed = (ProtobufCBinaryData){sizeof(ct), ct};
		ptrs[i] = &items[i];
	}
	snprintf(peer.org_id, sizeof(peer.org_id), "%s", peer_org);
	req.table_id = (char *)table;
	req.case_id = (ProtobufCBinaryData){sizeof(case_id), case_id};
	req.sealed = ptrs;
	req.n_sealed = n;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_TABLE_SUBMIT;
	env.table_submit = &req;
	E(reg_op_table_submit.new(&job, f->s, &peer, &env));
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	E(reg_op_table_submit.apply(txn, job));
	E(sk_db_status(mdb_txn_commit(txn)));
	st = reg_op_table_submit.result(job, NULL);
	reg_op_table_submit.free(job);
	return st;
}

/* The table-case items in org's mailbox. */
static size_t cases_in(struct fx *f, const char *org)
{
	Schakel__V1__MailboxResponse r = SCHAKEL__V1__MAILBOX_RESPONSE__INIT;
	size_t n = 0;

	E(reg_mailbox_read(f->s, org, 0, 1024, &r));
	for (size_t i = 0; i < r.n_items; i++)
		n += r.items[i]->kind == SCHAKEL__V1__MAILBOX_KIND__MAILBOX_TABLE_CASE;
	reg_mailbox_response_clear(&r);
	return n;
}

static void test_submit(void **st)
{
	struct fx *f = fx_new();
	const Schakel__V1__TableAction CREATE = SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE,
				       JOIN = SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN;
	const char *host_only[] = {"wijkteam"}, *both[] = {"wijkteam", "tactus"},
		   *self[] = {"altrecht", "wijkteam"}, *extra[] = {"wijkteam", "lentis"},
		   *twice[] = {"wijkteam", "wijkteam"};

	(void)st;
	/* wijkteam hosts; altrecht joins; tactus is invited, not a member */
	E(send(f, "wijkteam", CREATE, "wijkteam", 1, "wijkteam", SIGN_OK));
	E(send(f, "altrecht", JOIN, "altrecht", 2, NULL, SIGN_OK));
	/* no such table, and a closed table by a non-member: one refusal */
	EFAIL(submit(f, "altrecht", "ffffffffffffffffffffffffffffffff", 1, host_only, 1),
	      SK_ERR_PERM);
	EFAIL(submit(f, "lentis", ID, 1, both, 2), SK_ERR_PERM);
	EFAIL(submit(f, "tactus", ID, 1, host_only, 1), SK_ERR_PERM);
	/* sealed to each current member but the submitter, once, nobody else */
	EFAIL(submit(f, "altrecht", ID, 1, both, 2), SK_ERR_INVALID);
	EFAIL(submit(f, "altrecht", ID, 1, self, 2), SK_ERR_INVALID);
	EFAIL(submit(f, "altrecht", ID, 1, extra, 2), SK_ERR_INVALID);
	EFAIL(submit(f, "altrecht", ID, 1, twice, 2), SK_ERR_INVALID);
	assert_int_equal(cases_in(f, "wijkteam"), 0);
	E(submit(f, "altrecht", ID, 1, host_only, 1));
	assert_int_equal(cases_in(f, "wijkteam"), 1);
	assert_int_equal(cases_in(f, "tactus"), 0);
	assert_int_equal(cases_in(f, "lentis"), 0);
	assert_int_equal(cases_in(f, "altrecht"), 0);
	/* a case id once */
	EFAIL(submit(f, "altrecht", ID, 1, host_only, 1), SK_ERR_EXISTS);
	/* a revoked member brings no case */
	{
		Schakel__V1__Member *m = NULL;
		MDB_txn *txn = NULL;

		E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
		E(reg_member_get(f->s, txn, "altrecht", &m));
		m->has_revoked_at = 1;
		m->revoked_at = 1;
		E(reg_member_put(f->s, txn, m));
		E(sk_db_status(mdb_txn_commit(txn)));
		schakel__v1__member__free_unpacked(m, NULL);
	}
	EFAIL(submit(f, "altrecht", ID, 2, host_only, 1), SK_ERR_PERM);
	assert_int_equal(cases_in(f, "wijkteam"), 1);
	fx_free(f);
}

/* A TableSend from peer into case {case_byte}: kind, the invited org, a
 * sealed copy for each of to (fake ciphertext: the registry never opens
 * it); a subgroup's id sg, for a subgroup its orgs and the notices. */
static sk_status msend(struct fx *f, const char *peer_org, uint8_t case_byte,
		       Schakel__V1__TableMessageKind kind, const char *invite, const char *sg,
		       const char **orgs_, size_t n_orgs, const char **to, size_t n,
		       const char **notice, size_t n_notice)
{
	Schakel__V1__TableSend req = SCHAKEL__V1__TABLE_SEND__INIT;
	Schakel__V1__TableSealed items[16], *ptrs[8], *nptrs[8];
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	uint8_t case_id[WIRE_TABLE_CASE_ID_BYTES] = {case_byte}, ct[200];
	net_peer peer = {0};
	MDB_txn *txn = NULL;
	void *job = NULL;
	sk_status st;

	memset(ct, 0xC7, sizeof(ct));
	for (size_t i = 0; i < n + n_notice; i++) {
		items[i] = (Schakel__V1__TableSealed)SCHAKEL__V1__TABLE_SEALED__INIT;
		items[i].recipient = (char *)(i < n ? to[i] : notice[i - n]);
		items[i].sealed = (ProtobufCBinaryData){sizeof(ct), ct};
		if (i < n)
			ptrs[i] = &items[i];
		else
			nptrs[i - n] = &items[i];
	}
	snprintf(peer.org_id, sizeof(peer.org_id), "%s", peer_org);
	req.case_id = (ProtobufCBinaryData){sizeof(case_id), case_id};
	req.kind = kind;
	req.invite_org = (char *)invite;
	req.seq = 1;
	req.sealed = ptrs;
	req.n_sealed = n;
	req.notice = nptrs;
	req.n_notice = n_notice;
	req.subgroup = (char *)sg;
	req.subgroup_orgs = (char **)orgs_;
	req.n_subgroup_orgs = n_orgs;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_TABLE_SEND;
	env.table_send = &req;
	E(reg_op_table_send.new(&job, f->s, &peer, &env));
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	E(reg_op_table_send.apply(txn, job));
	E(sk_db_status(mdb_txn_commit(txn)));
	st = reg_op_table_send.result(job, NULL);
	reg_op_table_send.free(job);
	return st;
}

static sk_status tsend(struct fx *f, const char *peer_org, uint8_t case_byte,
		       Schakel__V1__TableMessageKind kind, const char *invite, const char **to,
		       size_t n)
{
	return msend(f, peer_org, case_byte, kind, invite, NULL, NULL, 0, to, n, NULL, 0);
}

/* A subgroup's TableSend (kind subgroup, or a text to it): its id sg, for
 * a subgroup its orgs, the sealed copies to and the notices. */
static sk_status sgsend(struct fx *f, const char *peer_org, uint8_t case_byte,
			Schakel__V1__TableMessageKind kind, const char *sg, const char **orgs_,
			size_t n_orgs, const char **to, size_t n, const char **notice,
			size_t n_notice)
{
	return msend(f, peer_org, case_byte, kind, NULL, sg, orgs_, n_orgs, to, n, notice, n_notice);
}

/* The table-message items in org's mailbox. */
static size_t messages_in(struct fx *f, const char *org)
{
	Schakel__V1__MailboxResponse r = SCHAKEL__V1__MAILBOX_RESPONSE__INIT;
	size_t n = 0;

	E(reg_mailbox_read(f->s, org, 0, 1024, &r));
	for (size_t i = 0; i < r.n_items; i++)
		n += r.items[i]->kind == SCHAKEL__V1__MAILBOX_KIND__MAILBOX_TABLE_MESSAGE;
	reg_mailbox_response_clear(&r);
	return n;
}

/* Regie at the registry: who may send which kind into a case, to whom;
 * an invited org becomes a participant; nothing after the outcome. */
static void test_send(void **st)
{
	struct fx *f = fx_new();
	const Schakel__V1__TableMessageKind TEXT = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT,
					    SCHED = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SCHEDULE,
					    INVITE = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_INVITE,
					    OUTCOME = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_OUTCOME;
	const char *host_only[] = {"wijkteam"}, *to_alt[] = {"altrecht"},
		   *alt_lentis[] = {"altrecht", "lentis"},
		   *w_a[] = {"wijkteam", "altrecht"};

	(void)st;
	E(send(f, "wijkteam", SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE, "wijkteam", 1, "wijkteam",
	       SIGN_OK));
	E(send(f, "altrecht", SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN, "altrecht", 2, NULL, SIGN_OK));
	E(submit(f, "altrecht", ID, 1, host_only, 1)); /* participants: altrecht, wijkteam */
	/* not a participant, no such case: one refusal */
	EFAIL(tsend(f, "lentis", 1, TEXT, NULL, w_a, 2), SK_ERR_PERM);
	EFAIL(tsend(f, "wijkteam", 9, TEXT, NULL, to_alt, 1), SK_ERR_PERM);
	/* only a procesregisseur's org schedules, invites, records the outcome */
	EFAIL(tsend(f, "altrecht", 1, SCHED, NULL, host_only, 1), SK_ERR_PERM);
	EFAIL(tsend(f, "altrecht", 1, OUTCOME, NULL, host_only, 1), SK_ERR_PERM);
	/* exactly the participants */
	EFAIL(tsend(f, "wijkteam", 1, TEXT, NULL, alt_lentis, 2), SK_ERR_INVALID);
	EFAIL(tsend(f, "wijkteam", 1, TEXT, NULL, w_a, 2), SK_ERR_INVALID);
	E(tsend(f, "wijkteam", 1, SCHED, NULL, to_alt, 1));
	assert_int_equal(messages_in(f, "altrecht"), 1);
	/* an invitation: to a live member, sealed to it too; it joins the case */
	EFAIL(tsend(f, "wijkteam", 1, INVITE, "nobody", to_alt, 1), SK_ERR_INVALID);
	EFAIL(tsend(f, "wijkteam", 1, INVITE, "lentis", to_alt, 1), SK_ERR_INVALID);
	EFAIL(tsend(f, "wijkteam", 1, TEXT, "lentis", alt_lentis, 2), SK_ERR_INVALID);
	E(tsend(f, "wijkteam", 1, INVITE, "lentis", alt_lentis, 2));
	EFAIL(tsend(f, "wijkteam", 1, INVITE, "lentis", alt_lentis, 2), SK_ERR_INVALID);
	E(tsend(f, "lentis", 1, TEXT, NULL, w_a, 2));
	assert_int_equal(messages_in(f, "wijkteam"), 1);
	assert_int_equal(messages_in(f, "tactus"), 0);
	/* the outcome closes the case */
	E(tsend(f, "wijkteam", 1, OUTCOME, NULL, alt_lentis, 2));
	EFAIL(tsend(f, "lentis", 1, TEXT, NULL, w_a, 2), SK_ERR_EXISTS);
	assert_int_equal(messages_in(f, "lentis"), 2);
	/* the sweeper purges the ciphertext after the retention, not before */
	{
		Schakel__V1__MailboxResponse r = SCHAKEL__V1__MAILBOX_RESPONSE__INIT;
		uint64_t now = sk_clock_now_ms();
		MDB_txn *txn = NULL;
		size_t purged = 0, sealed = 0;

		E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
		E(reg_table_sweep(f->s, txn, now, 3600000, REG_TABLE_CASE_MAX_MS, 100, &purged));
		assert_int_equal(purged, 0);
		E(reg_table_sweep(f->s, txn, now + 3600000, 3600000, REG_TABLE_CASE_MAX_MS, 100,
				  &purged));
		assert_int_equal(purged, 1);
		E(reg_table_sweep(f->s, txn, now + 7200000, 3600000, REG_TABLE_CASE_MAX_MS, 100,
				  &purged));
		assert_int_equal(purged, 0); /* once */
		E(sk_db_status(mdb_txn_commit(txn)));
		for (size_t o = 0; o < 3; o++) {
			const char *org[] = {"wijkteam", "altrecht", "lentis"};

			E(reg_mailbox_read(f->s, org[o], 0, 1024, &r));
			for (size_t i = 0; i < r.n_items; i++)
				sealed += r.items[i]->has_sealed;
			reg_mailbox_response_clear(&r);
		}
		assert_int_equal(sealed, 0);
	}
	fx_free(f);
}

/* The sealed items in org's mailbox (table cases and their messages). */
static size_t sealed_in(struct fx *f, const char *org)
{
	Schakel__V1__MailboxResponse r = SCHAKEL__V1__MAILBOX_RESPONSE__INIT;
	size_t n = 0;

	E(reg_mailbox_read(f->s, org, 0, 1024, &r));
	for (size_t i = 0; i < r.n_items; i++)
		n += r.items[i]->has_sealed && r.items[i]->sealed.len > 0;
	reg_mailbox_response_clear(&r);
	return n;
}

struct purges {
	size_t no_outcome, other;
};

static sk_status purge_seen(const audit_record *rec, void *arg)
{
	struct purges *p = arg;

	if (strcmp(rec->event, "table.purge") != 0)
		return SK_OK;
	if (rec->reason != NULL && strstr(rec->reason, "no outcome") != NULL &&
	    rec->action == AUDIT_ACTION_DELETE && strcmp(rec->category, "table:" ID) == 0)
		p->no_outcome++;
	else
		p->other++;
	return SK_OK;
}

/* A case without an outcome is kept until its maximum age, then its
 * ciphertext is purged (audited "table.purge", its reason: no outcome)
 * and it takes no more messages; a case with its outcome waits for the
 * retention after that outcome, however old it is. */
static void test_case_max(void **st)
{
	struct fx *f = fx_new();
	const Schakel__V1__TableMessageKind TEXT = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT,
					    OUTCOME = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_OUTCOME;
	const uint64_t max = 86400000, retain = 10 * 86400000ull;
	const char *host_only[] = {"wijkteam"}, *to_alt[] = {"altrecht"};
	struct purges p = {0};
	uint64_t now = sk_clock_now_ms();
	MDB_txn *txn = NULL;
	size_t purged = 0;

	(void)st;
	E(send(f, "wijkteam", SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE, "wijkteam", 1, "wijkteam",
	       SIGN_OK));
	E(send(f, "altrecht", SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN, "altrecht", 2, NULL, SIGN_OK));
	/* case 1 never gets an outcome; case 2 gets one */
	E(submit(f, "altrecht", ID, 1, host_only, 1));
	E(tsend(f, "wijkteam", 1, TEXT, NULL, to_alt, 1));
	E(submit(f, "altrecht", ID, 2, host_only, 1));
	E(tsend(f, "wijkteam", 2, OUTCOME, NULL, to_alt, 1));
	assert_int_equal(sealed_in(f, "wijkteam"), 2);
	assert_int_equal(sealed_in(f, "altrecht"), 2);
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	/* before the limit: kept */
	E(reg_table_sweep(f->s, txn, now + max - 60000, retain, max, 100, &purged));
	assert_int_equal(purged, 0);
	E(sk_db_status(mdb_txn_commit(txn)));
	assert_int_equal(sealed_in(f, "wijkteam"), 2);
	E(tsend(f, "altrecht", 1, TEXT, NULL, host_only, 1));
	assert_int_equal(sealed_in(f, "wijkteam"), 3);
	/* past it: case 1 purged, case 2 (with its outcome) not */
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	E(reg_table_sweep(f->s, txn, now + max + 60000, retain, max, 100, &purged));
	assert_int_equal(purged, 1);
	E(reg_table_sweep(f->s, txn, now + max + 120000, retain, max, 100, &purged));
	assert_int_equal(purged, 0); /* once */
	E(sk_db_status(mdb_txn_commit(txn)));
	assert_int_equal(sealed_in(f, "wijkteam"), 1); /* case 2 as brought */
	assert_int_equal(sealed_in(f, "altrecht"), 1); /* case 2's outcome */
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &txn)));
	E(audit_log_scan(f->s->audit, txn, 1, 0, purge_seen, &p));
	mdb_txn_abort(txn);
	assert_int_equal(p.no_outcome, 1);
	assert_int_equal(p.other, 0);
	/* the purged case is closed */
	EFAIL(tsend(f, "altrecht", 1, TEXT, NULL, host_only, 1), SK_ERR_EXISTS);
	EFAIL(tsend(f, "wijkteam", 1, OUTCOME, NULL, to_alt, 1), SK_ERR_EXISTS);
	/* case 2 goes at its retention after the outcome */
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	E(reg_table_sweep(f->s, txn, now + retain + 60000, retain, max, 100, &purged));
	assert_int_equal(purged, 1);
	E(sk_db_status(mdb_txn_commit(txn)));
	assert_int_equal(sealed_in(f, "wijkteam"), 0);
	assert_int_equal(sealed_in(f, "altrecht"), 0);
	fx_free(f);
}

/* A subgroup with mandate: only a procesregisseur's org forms one, of 2 or
 * more participants; the mandate goes to exactly its orgs, the notice to
 * exactly the others; a replay is refused; a text to it goes from one of
 * its orgs to exactly the others of it; nothing in a closed or purged
 * case; the sweeper purges its ciphertext with the case. */
static void test_subgroup(void **st)
{
	struct fx *f = fx_new();
	const Schakel__V1__TableMessageKind TEXT = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT,
					    SUB = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP,
					    OUTCOME = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_OUTCOME;
	const char *SG = "0011223344556677", *SG2 = "8899aabbccddeeff";
	const char *w_a[] = {"wijkteam", "altrecht"}, *w_l[] = {"wijkteam", "lentis"},
		   *w_only[] = {"wijkteam"}, *a_only[] = {"altrecht"}, *t_only[] = {"tactus"},
		   *a_t[] = {"altrecht", "tactus"}, *members[] = {"wijkteam", "tactus"},
		   *w_a_a[] = {"wijkteam", "altrecht", "altrecht"};
	uint64_t now = sk_clock_now_ms();
	MDB_txn *txn = NULL;
	size_t purged = 0;

	(void)st;
	E(send(f, "wijkteam", SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE, "wijkteam", 1, "wijkteam",
	       SIGN_OK));
	E(send(f, "altrecht", SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN, "altrecht", 2, NULL, SIGN_OK));
	E(send(f, "tactus", SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN, "tactus", 3, NULL, SIGN_OK));
	/* participants of case 1: altrecht (brought it), wijkteam, tactus */
	E(submit(f, "altrecht", ID, 1, members, 2));
	/* not a procesregisseur's org */
	EFAIL(sgsend(f, "altrecht", 1, SUB, SG, w_a, 2, w_only, 1, t_only, 1), SK_ERR_PERM);
	/* an org that takes no part; fewer than 2; twice the same org */
	EFAIL(sgsend(f, "wijkteam", 1, SUB, SG, w_l, 2, (const char *[]){"lentis"}, 1, a_t, 2),
	      SK_ERR_INVALID);
	EFAIL(sgsend(f, "wijkteam", 1, SUB, SG, (const char *[]){"wijkteam", "altrecht", "lentis"},
		     3, a_only, 1, t_only, 1),
	      SK_ERR_INVALID);
	EFAIL(sgsend(f, "wijkteam", 1, SUB, SG, a_only, 1, a_only, 1, t_only, 1), SK_ERR_INVALID);
	EFAIL(sgsend(f, "wijkteam", 1, SUB, SG, w_a_a, 3, a_only, 1, t_only, 1), SK_ERR_INVALID);
	/* the mandate to exactly the subgroup, the notice to exactly the rest */
	EFAIL(sgsend(f, "wijkteam", 1, SUB, SG, w_a, 2, a_t, 2, NULL, 0), SK_ERR_INVALID);
	EFAIL(sgsend(f, "wijkteam", 1, SUB, SG, w_a, 2, t_only, 1, a_only, 1), SK_ERR_INVALID);
	EFAIL(sgsend(f, "wijkteam", 1, SUB, SG, w_a, 2, a_only, 1, NULL, 0), SK_ERR_INVALID);
	EFAIL(sgsend(f, "wijkteam", 1, SUB, SG, w_a, 2, a_only, 1, a_t, 2), SK_ERR_INVALID);
	EFAIL(sgsend(f, "wijkteam", 1, SUB, "not-hex", w_a, 2, a_only, 1, t_only, 1),
	      SK_ERR_INVALID);
	assert_int_equal(messages_in(f, "altrecht") + messages_in(f, "tactus"), 0);
	E(sgsend(f, "wijkteam", 1, SUB, SG, w_a, 2, a_only, 1, t_only, 1));
	assert_int_equal(messages_in(f, "altrecht"), 1);
	assert_int_equal(messages_in(f, "tactus"), 1); /* the notice */
	/* replayed */
	EFAIL(sgsend(f, "wijkteam", 1, SUB, SG, w_a, 2, a_only, 1, t_only, 1), SK_ERR_EXISTS);
	/* a text to it: from one of its orgs, to exactly its other orgs */
	EFAIL(sgsend(f, "tactus", 1, TEXT, SG, NULL, 0, w_a, 2, NULL, 0), SK_ERR_PERM);
	EFAIL(sgsend(f, "altrecht", 1, TEXT, SG2, NULL, 0, w_only, 1, NULL, 0), SK_ERR_PERM);
	EFAIL(sgsend(f, "altrecht", 1, TEXT, SG, NULL, 0, members, 2, NULL, 0), SK_ERR_INVALID);
	EFAIL(sgsend(f, "altrecht", 1, TEXT, SG, NULL, 0, w_only, 1, t_only, 1), SK_ERR_INVALID);
	EFAIL(sgsend(f, "altrecht", 1, TEXT, SG, w_a, 2, w_only, 1, NULL, 0), SK_ERR_INVALID);
	E(sgsend(f, "altrecht", 1, TEXT, SG, NULL, 0, w_only, 1, NULL, 0));
	assert_int_equal(messages_in(f, "wijkteam"), 1);
	assert_int_equal(messages_in(f, "tactus"), 1);
	/* only a subgroup or a text names a subgroup */
	EFAIL(sgsend(f, "wijkteam", 1, OUTCOME, SG, NULL, 0, a_t, 2, NULL, 0), SK_ERR_INVALID);
	/* closed by its outcome */
	E(tsend(f, "wijkteam", 1, OUTCOME, NULL, a_t, 2));
	EFAIL(sgsend(f, "wijkteam", 1, SUB, SG2, w_a, 2, a_only, 1, t_only, 1), SK_ERR_EXISTS);
	EFAIL(sgsend(f, "altrecht", 1, TEXT, SG, NULL, 0, w_only, 1, NULL, 0), SK_ERR_EXISTS);
	/* case 2, purged without an outcome, is closed too */
	E(submit(f, "altrecht", ID, 2, members, 2));
	E(sk_db_status(mdb_txn_begin(f->s->env, NULL, 0, &txn)));
	E(reg_table_sweep(f->s, txn, now + 3 * 3600000, 3600000, 3600000, 100, &purged));
	E(sk_db_status(mdb_txn_commit(txn)));
	assert_int_equal(purged, 2); /* case 1 after its retention, case 2 at its age */
	EFAIL(sgsend(f, "wijkteam", 2, SUB, SG, w_a, 2, a_only, 1, t_only, 1), SK_ERR_EXISTS);
	/* every ciphertext of both, the subgroup's among it, is gone */
	assert_int_equal(sealed_in(f, "wijkteam") + sealed_in(f, "altrecht") +
				 sealed_in(f, "tactus"),
			 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_submit),
		cmocka_unit_test(test_send),
		cmocka_unit_test(test_case_max),
		cmocka_unit_test(test_subgroup),
	};
	E(sodium_init() < 0 ? SK_ERR_CRYPTO : SK_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
