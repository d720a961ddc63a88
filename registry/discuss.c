#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "registry/discuss.h"
#include "registry/lookup.h"
#include "registry/mailbox.h"
#include "registry/op.h"
#include "registry/quota.h"
#include "registry/visibility.h"

/* Copies a protobuf message through its bytes (the envelope goes away). */
#define COPY_MSG(type, fn, src, dst)                                                  \
	do {                                                                          \
		size_t n_ = schakel__v1__##fn##__get_packed_size(src);                \
		uint8_t *b_ = malloc(n_ ? n_ : 1);                                    \
		if (b_ == NULL)                                                       \
			return SK_ERR_NOMEM;                                          \
		schakel__v1__##fn##__pack(src, b_);                                   \
		dst = schakel__v1__##fn##__unpack(NULL, n_, b_);                      \
		free(b_);                                                             \
		if (dst == NULL)                                                      \
			return SK_ERR_NOMEM;                                          \
	} while (0)

/* One discussion request, answer or message, from the loop thread
 * through the writer back to the loop (reg_op_discuss_*). */
typedef struct reg_discuss {
	reg_store *store;
	char org[NET_ORG_ID_MAX + 1];
	char category[NET_CATEGORY_MAX + 1];
	Schakel__V1__DiscussRequest *req;   /* one of these two */
	Schakel__V1__DiscussAnswer *answer;
	Schakel__V1__DiscussSend *send;
	char correlation[65], head[65];
	uint64_t now_ms;
	uint8_t id[REG_DISCUSSION_ID_BYTES];
	sk_status result;
	char reason[256];
} reg_discuss;

/* The job of an envelope of peer (the message is copied; on a failure
 * *job may hold a part of it, for discuss_free). */
static sk_status discuss_new(void **job, reg_store *s, const net_peer *peer,
			     const wire_envelope *env)
{
	reg_discuss *d = calloc(1, sizeof(*d));
	const ProtobufCBinaryData *head, *corr = NULL;

	*job = NULL;
	if (d == NULL)
		return SK_ERR_NOMEM;
	*job = d;
	d->store = s;
	d->now_ms = sk_clock_now_ms();
	memcpy(d->org, peer->org_id, sizeof(d->org));
	memcpy(d->category, peer->category, sizeof(d->category));
	if (env->body_case == SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_REQUEST) {
		COPY_MSG(Schakel__V1__DiscussRequest, discuss_request, env->discuss_request, d->req);
		head = &d->req->audit_head;
		if (d->req->has_correlation_id)
			corr = &d->req->correlation_id;
	} else if (env->body_case == SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_SEND) {
		COPY_MSG(Schakel__V1__DiscussSend, discuss_send, env->discuss_send, d->send);
		head = &d->send->audit_head;
		if (d->send->has_correlation_id)
			corr = &d->send->correlation_id;
	} else {
		COPY_MSG(Schakel__V1__DiscussAnswer, discuss_answer, env->discuss_answer, d->answer);
		head = &d->answer->audit_head;
		if (d->answer->has_correlation_id)
			corr = &d->answer->correlation_id;
	}
	if (head->len == REG_AUDIT_HEAD_BYTES)
		sodium_bin2hex(d->head, sizeof(d->head), head->data, head->len);
	if (corr != NULL && corr->len <= 32)
		sodium_bin2hex(d->correlation, sizeof(d->correlation), corr->data, corr->len);
	return SK_OK;
}

static void discuss_free(void *job)
{
	reg_discuss *d = job;

	if (d == NULL)
		return;
	schakel__v1__discuss_request__free_unpacked(d->req, NULL);
	schakel__v1__discuss_answer__free_unpacked(d->answer, NULL);
	schakel__v1__discuss_send__free_unpacked(d->send, NULL);
	free(d);
}

static void refuse(reg_discuss *d, sk_status st, const char *why)
{
	d->result = st;
	snprintf(d->reason, sizeof(d->reason), "%s", why);
}

static int contains(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

struct invite_ctx {
	reg_discuss *d;
	MDB_txn *txn;
	reg_live *self;
	char *invited[REG_LOOKUP_MAX];
	char names[REG_LOOKUP_MAX][NET_ORG_ID_MAX + 1];
	uint8_t keys[REG_LOOKUP_MAX][REG_MAILBOX_KEY_MAX];
	ProtobufCBinaryData items[REG_LOOKUP_MAX];
	size_t n;
};

/* Invites other when both entries allow each other's category, other
 * takes discussions and the invitation rules allow the pair. */
static sk_status invite_one(reg_live *other, void *arg)
{
	struct invite_ctx *c = arg;
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;
	const Schakel__V1__DiscussRequest *r = c->d->req;
	sk_status st;

	if (!other->live || !(other->e->flags & REG_FLAG_DISCUSS) || c->n == REG_LOOKUP_MAX ||
	    !contains(c->self->e->categories, c->self->e->n_categories, other->category) ||
	    !contains(other->e->categories, other->e->n_categories, c->self->category) ||
	    !wire_policy_invites(&c->d->store->policy, c->self->category, other->category))
		return SK_OK;
	snprintf(c->names[c->n], sizeof(c->names[c->n]), "%s", other->org);
	c->invited[c->n] = c->names[c->n];
	c->n++;
	it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_INVITATION;
	it.time = c->d->now_ms;
	it.has_token = 1;
	it.token = r->token;
	it.has_epoch = 1;
	it.epoch = r->epoch;
	it.purpose = r->topic; /* the topic code; no category, no requester */
	it.has_discussion_id = 1;
	it.discussion_id = (ProtobufCBinaryData){REG_DISCUSSION_ID_BYTES, c->d->id};
	it.has_discussion_key = 1;
	it.discussion_key = r->discussion_key;
	it.has_window_start = it.has_window_end = 1;
	it.window_start = r->window_start;
	it.window_end = r->window_end;
	if ((st = reg_mailbox_put(c->d->store, c->txn, other->org, &it)) != SK_OK)
		return st;
	c->items[c->n - 1] = (ProtobufCBinaryData){
		reg_mailbox_key(c->keys[c->n - 1], other->org, it.seq), c->keys[c->n - 1]};
	return SK_OK;
}

static sk_status put_discussion(reg_store *s, MDB_txn *txn, const uint8_t *id,
				const Schakel__V1__Discussion *ds)
{
	size_t n = schakel__v1__discussion__get_packed_size(ds);
	uint8_t *buf = malloc(n);
	MDB_val k = {REG_DISCUSSION_ID_BYTES, (void *)id}, v = {n, buf};
	sk_status st;

	if (buf == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__discussion__pack(ds, buf);
	st = sk_db_status(mdb_put(txn, s->discussions, &k, &v, 0));
	free(buf);
	return st;
}

/* Appends to a repeated field of an unpacked message (protobuf-c's default
 * allocator is malloc, so free_unpacked frees what is added here). */
static sk_status push_str(char ***list, size_t *n, const char *v)
{
	char **grown = realloc(*list, (*n + 1) * sizeof(*grown)), *copy;

	if (grown == NULL)
		return SK_ERR_NOMEM;
	*list = grown;
	if ((copy = strdup(v)) == NULL)
		return SK_ERR_NOMEM;
	grown[(*n)++] = copy;
	return SK_OK;
}

static sk_status push_item(Schakel__V1__Discussion *ds, const char *org, uint64_t seq)
{
	ProtobufCBinaryData *grown = realloc(ds->items, (ds->n_items + 1) * sizeof(*grown));
	uint8_t *k;

	if (grown == NULL)
		return SK_ERR_NOMEM;
	ds->items = grown;
	if ((k = malloc(REG_MAILBOX_KEY_MAX)) == NULL)
		return SK_ERR_NOMEM;
	grown[ds->n_items++] = (ProtobufCBinaryData){reg_mailbox_key(k, org, seq), k};
	return SK_OK;
}

/* A discussion's messages are keyed under it in discuss_items (id ||
 * u32be(n) -> mailbox key), so that a message costs one put, not a repack
 * of a record that grows with every message. Older discussions also keep
 * mailbox keys in the record's items. */
#define ITEM_KEY_BYTES (REG_DISCUSSION_ID_BYTES + 4)

static void item_key(uint8_t k[static ITEM_KEY_BYTES], const uint8_t *id, uint32_t n)
{
	memcpy(k, id, REG_DISCUSSION_ID_BYTES);
	sk_be32_put(k + REG_DISCUSSION_ID_BYTES, n);
}

/* How many messages are keyed under id: one cursor seek. */
static sk_status items_count(reg_store *s, MDB_txn *txn, const uint8_t *id, uint64_t *n)
{
	uint8_t kb[ITEM_KEY_BYTES];
	MDB_val k = {sizeof(kb), kb}, v;
	MDB_cursor *cur = NULL;
	sk_status st;
	int rc;

	*n = 0;
	item_key(kb, id, UINT32_MAX);
	if ((st = sk_db_status(mdb_cursor_open(txn, s->discuss_items, &cur))) != SK_OK)
		return st;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && k.mv_size == sizeof(kb) && memcmp(k.mv_data, kb, sizeof(kb)) == 0)
		*n = (uint64_t)UINT32_MAX + 1;
	else
		rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV)
			     : mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (*n == 0 && rc == 0 && k.mv_size == sizeof(kb) &&
	    memcmp(k.mv_data, id, REG_DISCUSSION_ID_BYTES) == 0) {
		*n = (uint64_t)sk_be32_get((const uint8_t *)k.mv_data + REG_DISCUSSION_ID_BYTES) + 1;
	} else if (rc != 0 && rc != MDB_NOTFOUND) {
		st = sk_db_status(rc);
	}
	mdb_cursor_close(cur);
	return st;
}

static sk_status item_put(reg_store *s, MDB_txn *txn, const uint8_t *id, uint64_t n,
			  const char *org, uint64_t seq)
{
	uint8_t kb[ITEM_KEY_BYTES], mk[REG_MAILBOX_KEY_MAX];
	MDB_val k = {sizeof(kb), kb}, v = {0, mk};

	if (n > UINT32_MAX)
		return SK_ERR_TOOBIG;
	item_key(kb, id, (uint32_t)n);
	v.mv_size = reg_mailbox_key(mk, org, seq);
	return sk_db_status(mdb_put(txn, s->discuss_items, &k, &v, MDB_NOOVERWRITE));
}

/* Calls fn for the mailbox keys of the first upto messages keyed under id
 * (all when upto is UINT64_MAX), in order; with drop, deletes those keys. */
typedef sk_status (*item_fn)(reg_store *s, MDB_txn *txn, const uint8_t *key, size_t len,
			     void *arg);

static sk_status items_each(reg_store *s, MDB_txn *txn, const uint8_t *id, uint64_t upto,
			    int drop, item_fn fn, void *arg)
{
	uint8_t kb[ITEM_KEY_BYTES];
	MDB_val k = {sizeof(kb), kb}, v;
	MDB_cursor *cur = NULL;
	uint64_t n = 0;
	sk_status st;
	int rc;

	item_key(kb, id, 0);
	if ((st = sk_db_status(mdb_cursor_open(txn, s->discuss_items, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && st == SK_OK && n < upto && k.mv_size == sizeof(kb) &&
	     memcmp(k.mv_data, id, REG_DISCUSSION_ID_BYTES) == 0;
	     n++) {
		if ((st = fn(s, txn, v.mv_data, v.mv_size, arg)) != SK_OK)
			break;
		/* after a delete, MDB_NEXT reads the key after the deleted one */
		if (drop && (st = sk_db_status(mdb_cursor_del(cur, 0))) != SK_OK)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}

static sk_status strip_key(reg_store *s, MDB_txn *txn, const uint8_t *key, size_t len, void *arg)
{
	(void)arg;
	return reg_mailbox_strip(s, txn, key, len);
}

/* Empties the ciphertext of every item of ds (id) from the mailboxes and
 * drops its message keys. */
static sk_status strip_items(reg_store *s, MDB_txn *txn, const uint8_t *id,
			     const Schakel__V1__Discussion *ds)
{
	sk_status st = SK_OK;

	for (size_t i = 0; i < ds->n_items && st == SK_OK; i++)
		st = reg_mailbox_strip(s, txn, ds->items[i].data, ds->items[i].len);
	if (st == SK_OK)
		st = items_each(s, txn, id, UINT64_MAX, 1, strip_key, NULL);
	return st;
}

struct keep_ctx {
	const Schakel__V1__Discussion *ds;
	char kept[REG_DISCUSS_RECIPIENTS_MAX + 1][NET_ORG_ID_MAX + 1];
	size_t n_kept;
};

/* On close, for one item: empties it, but for the first item the
 * requester wrote to each recipient (its summary, which tells who asks):
 * an acceptor that had not fetched it before the close would otherwise get
 * a close it cannot place and so never learn the outcome. What is kept goes
 * with the close notice (REG_DISCUSS_CLOSED_KEEP_MS). */
static sk_status strip_or_keep(reg_store *s, MDB_txn *txn, const uint8_t *key, size_t len,
			       void *arg)
{
	struct keep_ctx *c = arg;
	const uint8_t *nul = memchr(key, 0, len);
	size_t olen = nul != NULL ? (size_t)(nul - key) : 0;
	Schakel__V1__MailboxItem *it = NULL;
	MDB_val k = {len, (void *)key}, v;
	int keep = 0;

	if (olen > 0 && olen <= NET_ORG_ID_MAX && mdb_get(txn, s->mailbox, &k, &v) == 0 &&
	    (it = schakel__v1__mailbox_item__unpack(NULL, v.mv_size, v.mv_data)) != NULL &&
	    it->has_sealed && it->counterpart != NULL &&
	    strcmp(it->counterpart, c->ds->requester) == 0) {
		keep = 1;
		for (size_t j = 0; j < c->n_kept && keep; j++)
			keep = strlen(c->kept[j]) != olen || memcmp(c->kept[j], key, olen) != 0;
		if (keep && c->n_kept < sizeof(c->kept) / sizeof(c->kept[0])) {
			memcpy(c->kept[c->n_kept], key, olen);
			c->kept[c->n_kept++][olen] = 0;
		} else {
			keep = 0;
		}
	}
	schakel__v1__mailbox_item__free_unpacked(it, NULL);
	return keep ? SK_OK : reg_mailbox_strip(s, txn, key, len);
}

/* On close: strip_or_keep for every item of ds (id) but the close's own
 * messages, those keyed from `before` on. */
static sk_status strip_but_summaries(reg_store *s, MDB_txn *txn, const uint8_t *id,
				     const Schakel__V1__Discussion *ds, uint64_t before)
{
	struct keep_ctx *c = calloc(1, sizeof(*c));
	sk_status st = SK_OK;

	if (c == NULL)
		return SK_ERR_NOMEM;
	c->ds = ds;
	for (size_t i = 0; i < ds->n_items && st == SK_OK; i++)
		st = strip_or_keep(s, txn, ds->items[i].data, ds->items[i].len, c);
	if (st == SK_OK)
		st = items_each(s, txn, id, before, 0, strip_or_keep, c);
	free(c);
	return st;
}

/* The discussion id, open for org: a participant (requester or acceptor)
 * of a discussion that has not ended. Anything else reads as not found. */
static sk_status load_open(reg_discuss *d, MDB_txn *txn, const uint8_t *id, size_t idlen,
			   Schakel__V1__Discussion **out)
{
	MDB_val k = {REG_DISCUSSION_ID_BYTES, (void *)id}, v;
	Schakel__V1__Discussion *ds = NULL;
	int rc;

	*out = NULL;
	if (idlen != REG_DISCUSSION_ID_BYTES) {
		refuse(d, SK_ERR_INVALID, "malformed discussion id");
		return SK_OK;
	}
	if ((rc = mdb_get(txn, d->store->discussions, &k, &v)) != 0 && rc != MDB_NOTFOUND)
		return sk_db_status(rc);
	if (rc == 0 && (ds = schakel__v1__discussion__unpack(NULL, v.mv_size, v.mv_data)) == NULL)
		return SK_ERR_DB;
	if (ds == NULL || ds->has_purged_at ||
	    (strcmp(ds->requester, d->org) != 0 &&
	     !contains(ds->accepted, ds->n_accepted, d->org))) {
		refuse(d, SK_ERR_NOTFOUND, "no open discussion with this id for your organisation");
		schakel__v1__discussion__free_unpacked(ds, NULL);
		return SK_OK;
	}
	*out = ds;
	return SK_OK;
}

static int may_write_to(const Schakel__V1__Discussion *ds, const char *org, const char *to);

int reg_discuss_may_write(reg_store *s, MDB_txn *txn, const Schakel__V1__Discussion *ds,
			  const char *org, const char *to)
{
	if (strcmp(org, to) == 0 || !may_write_to(ds, org, to))
		return 0;
	/* a revoked org neither writes nor is written to */
	return reg_member_live(s, txn, org) && reg_member_live(s, txn, to);
}

/* Whom org may write to in ds by the discussion's rules alone. */
static int may_write_to(const Schakel__V1__Discussion *ds, const char *org, const char *to)
{
	if (strcmp(org, to) == 0)
		return 0;
	if (strcmp(ds->requester, org) == 0)
		return contains(ds->accepted, ds->n_accepted, to);
	if (!contains(ds->spoken, ds->n_spoken, org))
		return 0;
	return strcmp(ds->requester, to) == 0 || contains(ds->spoken, ds->n_spoken, to);
}

static sk_status create(reg_discuss *d, MDB_txn *txn, struct invite_ctx *c)
{
	const Schakel__V1__DiscussRequest *r = d->req;
	Schakel__V1__Discussion ds = SCHAKEL__V1__DISCUSSION__INIT;
	reg_live self = {0};
	char why[200];
	sk_status st;

	if (r->token.len != REG_TOKEN_BYTES || r->discussion_key.len != 32 ||
	    sodium_is_zero(r->discussion_key.data, 32)) {
		refuse(d, SK_ERR_INVALID, "token or discussion key malformed");
		return SK_OK;
	}
	if (!wire_purpose_valid(r->topic)) {
		refuse(d, SK_ERR_INVALID, "unknown topic code");
		return SK_OK;
	}
	if (r->window_end <= r->window_start || r->window_end <= d->now_ms ||
	    r->window_end > d->now_ms + REG_DISCUSS_WINDOW_MAX_MS) {
		refuse(d, SK_ERR_INVALID, "the time window must end in the future, within 90 days");
		return SK_OK;
	}
	st = reg_live_load(d->store, txn, d->org, r->token.data, r->epoch, d->now_ms, &self);
	if (st == SK_ERR_NOTFOUND || (st == SK_OK && !self.live)) {
		refuse(d, SK_ERR_PERM, "your organisation has no live entry for this client");
		reg_live_clear(&self);
		return SK_OK;
	}
	if (st != SK_OK)
		return st;
	/* an invitation is a message to others: it counts towards the day */
	if ((st = reg_quota_messages(d->store, txn, d->org, 1, 0, d->now_ms, why, sizeof(why))) !=
	    SK_OK) {
		if (st == SK_ERR_TOOBIG)
			refuse(d, st, why);
		reg_live_clear(&self);
		return st == SK_ERR_TOOBIG ? SK_OK : st;
	}
	randombytes_buf(d->id, sizeof(d->id));
	c->self = &self;
	if ((st = reg_peers(d->store, txn, r->token.data, r->epoch, d->org, d->now_ms, invite_one,
			    c)) == SK_OK) {
		ds.requester = d->org;
		ds.token = r->token;
		ds.epoch = r->epoch;
		ds.topic = r->topic;
		ds.window_start = r->window_start;
		ds.window_end = r->window_end;
		ds.discussion_key = r->discussion_key;
		ds.n_invited = c->n;
		ds.invited = c->invited;
		ds.n_items = c->n;
		ds.items = c->items;
		ds.created_at = d->now_ms;
		ds.expires_at = r->window_end;
		ds.has_last_activity = 1;
		ds.last_activity = d->now_ms;
		st = put_discussion(d->store, txn, d->id, &ds);
	}
	reg_live_clear(&self);
	return st;
}

static sk_status answer(reg_discuss *d, MDB_txn *txn)
{
	const Schakel__V1__DiscussAnswer *a = d->answer;
	Schakel__V1__Discussion *ds = NULL;
	Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;
	char *org = d->org;
	MDB_val k = {REG_DISCUSSION_ID_BYTES, NULL}, v;
	sk_status st = SK_OK;
	int rc;

	if (a->discussion_id.len != REG_DISCUSSION_ID_BYTES) {
		refuse(d, SK_ERR_INVALID, "malformed discussion id");
		return SK_OK;
	}
	memcpy(d->id, a->discussion_id.data, sizeof(d->id));
	k.mv_data = d->id;
	if ((rc = mdb_get(txn, d->store->discussions, &k, &v)) == MDB_NOTFOUND ||
	    (rc == 0 && (ds = schakel__v1__discussion__unpack(NULL, v.mv_size, v.mv_data)) != NULL &&
	     (ds->expires_at <= d->now_ms || ds->has_purged_at || ds->has_closed_at ||
	      !contains(ds->invited, ds->n_invited, d->org)))) {
		/* not invited and not there look the same */
		refuse(d, SK_ERR_NOTFOUND, "no open invitation with this id for your organisation");
		goto out;
	}
	if (rc != 0 || ds == NULL) {
		st = rc != 0 ? sk_db_status(rc) : SK_ERR_DB;
		goto out;
	}
	if (contains(ds->accepted, ds->n_accepted, d->org) ||
	    contains(ds->declined, ds->n_declined, d->org)) {
		refuse(d, SK_ERR_EXISTS, "your organisation has already answered this invitation");
		goto out;
	}
	if (a->accept && (!a->has_sealed || a->sealed.len == 0 ||
			  a->sealed.len > REG_DISCUSS_SEALED_MAX)) {
		refuse(d, SK_ERR_INVALID, "an acceptance carries its sealed details");
		goto out;
	}
	/* the answer joins its list; the requester hears only of acceptances */
	if ((st = push_str(a->accept ? &ds->accepted : &ds->declined,
			   a->accept ? &ds->n_accepted : &ds->n_declined, org)) != SK_OK)
		goto out;
	ds->has_last_activity = 1;
	ds->last_activity = d->now_ms;
	if (st == SK_OK && a->accept) {
		it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_ACCEPTED;
		it.time = d->now_ms;
		it.has_token = 1;
		it.token = ds->token;
		it.has_epoch = 1;
		it.epoch = ds->epoch;
		it.purpose = ds->topic;
		it.has_discussion_id = 1;
		it.discussion_id = (ProtobufCBinaryData){REG_DISCUSSION_ID_BYTES, d->id};
		it.has_sealed = 1;
		it.sealed = a->sealed;
		if ((st = reg_mailbox_put(d->store, txn, ds->requester, &it)) == SK_OK)
			st = push_item(ds, ds->requester, it.seq);
	}
	if (st == SK_OK)
		st = put_discussion(d->store, txn, d->id, ds);
out:
	schakel__v1__discussion__free_unpacked(ds, NULL);
	return st;
}

/* A participant's message (or the requester's close): one mailbox item per
 * recipient, ciphertext only; on close everything before it is emptied. */
static sk_status send(reg_discuss *d, MDB_txn *txn, struct invite_ctx *c)
{
	const Schakel__V1__DiscussSend *m = d->send;
	Schakel__V1__Discussion *ds = NULL;
	int requester;
	uint64_t before;
	char why[200];
	sk_status st;

	if ((st = load_open(d, txn, m->discussion_id.data, m->discussion_id.len, &ds)) != SK_OK ||
	    ds == NULL)
		return st;
	memcpy(d->id, m->discussion_id.data, sizeof(d->id));
	requester = strcmp(ds->requester, d->org) == 0;
	if (ds->has_closed_at) {
		refuse(d, SK_ERR_EXISTS, "this discussion is closed");
		goto out;
	}
	if (m->close && !requester) {
		refuse(d, SK_ERR_PERM, "only the organisation that asked for the discussion closes it");
		goto out;
	}
	if (!requester && !contains(ds->spoken, ds->n_spoken, d->org)) {
		refuse(d, SK_ERR_PERM, "the requester has not written to your organisation yet");
		goto out;
	}
	if (m->n_messages == 0 || m->n_messages > REG_DISCUSS_RECIPIENTS_MAX) {
		refuse(d, SK_ERR_INVALID, "a message goes to 1-64 participants");
		goto out;
	}
	for (size_t i = 0; i < m->n_messages; i++) {
		const Schakel__V1__DiscussSealed *x = m->messages[i];

		if (x->sealed.len == 0 || x->sealed.len > REG_DISCUSS_MESSAGE_MAX || x->seq == 0) {
			refuse(d, SK_ERR_INVALID, "a sealed message is empty, too large or unnumbered");
			goto out;
		}
		if (!reg_discuss_may_write(d->store, txn, ds, d->org, x->recipient)) {
			refuse(d, SK_ERR_PERM, "a recipient is not a participant you may write to");
			goto out;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(m->messages[j]->recipient, x->recipient) == 0) {
				refuse(d, SK_ERR_INVALID, "a recipient appears twice");
				goto out;
			}
	}
	/* the discussion's and the org's message quotas; nothing written when over */
	if ((st = items_count(d->store, txn, d->id, &before)) != SK_OK)
		goto out;
	if ((st = reg_quota_messages(d->store, txn, d->org, m->n_messages, before, d->now_ms, why,
				     sizeof(why))) == SK_ERR_TOOBIG) {
		refuse(d, st, why);
		st = SK_OK;
		goto out;
	} else if (st != SK_OK) {
		goto out;
	}
	for (size_t i = 0; i < m->n_messages && st == SK_OK; i++) {
		Schakel__V1__MailboxItem it = SCHAKEL__V1__MAILBOX_ITEM__INIT;
		const Schakel__V1__DiscussSealed *x = m->messages[i];

		it.kind = SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MESSAGE;
		it.time = d->now_ms;
		it.counterpart = d->org; /* who sent it, as the TLS session says */
		it.has_discussion_id = 1;
		it.discussion_id = (ProtobufCBinaryData){REG_DISCUSSION_ID_BYTES, d->id};
		it.has_sealed = 1;
		it.sealed = x->sealed;
		it.has_message_seq = 1;
		it.message_seq = x->seq;
		if ((st = reg_mailbox_put(d->store, txn, x->recipient, &it)) == SK_OK)
			st = item_put(d->store, txn, d->id, before + i, x->recipient, it.seq);
		if (st == SK_OK && requester && !contains(ds->spoken, ds->n_spoken, x->recipient))
			st = push_str(&ds->spoken, &ds->n_spoken, x->recipient);
		if (st == SK_OK && c->n < REG_LOOKUP_MAX) {
			snprintf(c->names[c->n], sizeof(c->names[c->n]), "%s", x->recipient);
			c->invited[c->n] = c->names[c->n];
			c->n++;
		}
	}
	if (st == SK_OK && m->close) {
		ds->has_closed_at = 1;
		ds->closed_at = d->now_ms;
		st = strip_but_summaries(d->store, txn, d->id, ds, before);
	}
	ds->has_last_activity = 1;
	ds->last_activity = d->now_ms;
	if (st == SK_OK)
		st = put_discussion(d->store, txn, d->id, ds);
out:
	schakel__v1__discussion__free_unpacked(ds, NULL);
	return st;
}

static sk_status audit(reg_discuss *d, MDB_txn *txn, const struct invite_ctx *c)
{
	char token[2 * REG_TOKEN_BYTES + 1] = "", access[NET_ORG_ID_MAX + 5], id[33];
	char seen[AUDIT_FIELD_MAX + 1] = "";
	audit_record rec = {0};
	size_t used = 0;

	if (d->req != NULL && d->req->token.len == REG_TOKEN_BYTES)
		sodium_bin2hex(token, sizeof(token), d->req->token.data, REG_TOKEN_BYTES);
	sodium_bin2hex(id, sizeof(id), d->id, sizeof(d->id));
	snprintf(access, sizeof(access), "tls:%s", d->org);
	for (size_t i = 0; c != NULL && i < c->n; i++) {
		int w = snprintf(seen + used, sizeof(seen) - used, "%s%s", i ? "," : "", c->invited[i]);

		if (w < 0 || (size_t)w >= sizeof(seen) - used)
			break;
		used += (size_t)w;
	}
	rec.event = d->req != NULL    ? "discuss.request"
		    : d->send != NULL ? (d->send->close ? "discuss.close" : "discuss.message")
		    : d->answer->accept ? "discuss.accept"
					: "discuss.decline";
	rec.action = d->req != NULL ? AUDIT_ACTION_CREATE : AUDIT_ACTION_UPDATE;
	/* a crisis invitation is marked for the privacy officer's review */
	rec.break_glass = d->req != NULL && strcmp(d->req->topic, "crisis") == 0;
	rec.outcome = d->result == SK_OK ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_DENIED;
	rec.reason = d->result == SK_OK ? NULL : d->reason;
	rec.user = d->org;
	rec.role = "node";
	rec.access_point = access;
	rec.client = token[0] ? token : NULL;
	rec.purpose = d->req != NULL ? d->req->topic : NULL;
	rec.counterpart = used ? seen : NULL; /* who was invited: the registry's record only */
	/* an accepted request under the new discussion's id; anything else under
	 * the id the node sent (the discussion's id for answers and messages) */
	rec.correlation_id = d->correlation[0] && !(d->req != NULL && d->result == SK_OK)
				     ? d->correlation
				     : id;
	rec.peer_head = d->head[0] ? d->head : NULL;
	return reg_audit(d->store, txn, &rec);
}

/* Writer job: the request, answer or message and its audit record. */
static sk_status discuss_apply(MDB_txn *txn, void *arg)
{
	reg_discuss *d = arg;
	struct invite_ctx *c = calloc(1, sizeof(*c));
	Schakel__V1__Member *m = NULL;
	sk_status st;

	if (c == NULL)
		return SK_ERR_NOMEM;
	c->d = d;
	c->txn = txn;
	d->result = SK_OK;
	if ((st = reg_member_get(d->store, txn, d->org, &m)) != SK_OK || m->has_revoked_at) {
		refuse(d, SK_ERR_PERM, "the org is not a live member");
		st = SK_OK;
	} else if (d->req != NULL) {
		st = create(d, txn, c);
	} else if (d->send != NULL) {
		st = send(d, txn, c);
	} else {
		st = answer(d, txn);
	}
	if (st == SK_OK)
		st = audit(d, txn, d->answer == NULL && d->result == SK_OK ? c : NULL);
	schakel__v1__member__free_unpacked(m, NULL);
	free(c);
	return st;
}

static sk_status discuss_reply(void *job, sk_status commit, net_conn *c, uint64_t request_id)
{
	reg_discuss *d = job;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__DiscussCreated cr = SCHAKEL__V1__DISCUSS_CREATED__INIT;
	Schakel__V1__DiscussAnswered an = SCHAKEL__V1__DISCUSS_ANSWERED__INIT;
	Schakel__V1__DiscussSent sn = SCHAKEL__V1__DISCUSS_SENT__INIT;

	if (commit != SK_OK)
		return reg_send_error(c, request_id, commit, NULL);
	if (d->result != SK_OK)
		return reg_send_error(c, request_id, d->result, d->reason);
	env.request_id = request_id;
	if (d->req != NULL) {
		cr.discussion_id = (ProtobufCBinaryData){sizeof(d->id), d->id};
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_CREATED;
		env.discuss_created = &cr;
	} else if (d->send != NULL) {
		sn.discussion_id = (ProtobufCBinaryData){sizeof(d->id), d->id};
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_SENT;
		env.discuss_sent = &sn;
	} else {
		an.discussion_id = (ProtobufCBinaryData){sizeof(d->id), d->id};
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_ANSWERED;
		env.discuss_answered = &an;
	}
	return net_conn_send(c, &env);
}

/* The highest message number from one sender per recipient, gathered from
 * a discussion's mailbox keys (org NUL u64be(seq), the recipient's box). */
struct held_ctx {
	const char *from;
	char to[REG_DISCUSS_RECIPIENTS_MAX][NET_ORG_ID_MAX + 1];
	uint64_t seq[REG_DISCUSS_RECIPIENTS_MAX];
	size_t n;
};

static sk_status held_key(reg_store *s, MDB_txn *txn, const uint8_t *key, size_t len, void *arg)
{
	struct held_ctx *c = arg;
	const uint8_t *nul = memchr(key, 0, len);
	size_t olen = nul != NULL ? (size_t)(nul - key) : 0, i;
	Schakel__V1__MailboxItem *it = NULL;
	MDB_val k = {len, (void *)key}, v;

	if (olen == 0 || olen > NET_ORG_ID_MAX || mdb_get(txn, s->mailbox, &k, &v) != 0 ||
	    (it = schakel__v1__mailbox_item__unpack(NULL, v.mv_size, v.mv_data)) == NULL)
		return SK_OK; /* not a message item (or gone): nothing held */
	if (it->has_message_seq && it->counterpart != NULL && strcmp(it->counterpart, c->from) == 0) {
		for (i = 0; i < c->n && (strlen(c->to[i]) != olen || memcmp(c->to[i], key, olen) != 0);
		     i++)
			;
		if (i == c->n && c->n < REG_DISCUSS_RECIPIENTS_MAX) {
			memcpy(c->to[i], key, olen);
			c->to[i][olen] = 0;
			c->seq[c->n++] = 0;
		}
		if (i < c->n && it->message_seq > c->seq[i])
			c->seq[i] = it->message_seq;
	}
	schakel__v1__mailbox_item__free_unpacked(it, NULL);
	return SK_OK;
}

/* Answers org's DiscussStateRequest (reg_op_discuss_state). */
static sk_status state_send(reg_store *s, net_conn *c, uint64_t request_id, const char *org,
			    const Schakel__V1__DiscussStateRequest *req)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__DiscussState r = SCHAKEL__V1__DISCUSS_STATE__INIT;
	Schakel__V1__Discussion *ds = NULL;
	Schakel__V1__DiscussHeld held[REG_DISCUSS_RECIPIENTS_MAX], *hp[REG_DISCUSS_RECIPIENTS_MAX];
	struct held_ctx *hc = NULL;
	reg_discuss d = {0};
	char *to[REG_DISCUSS_RECIPIENTS_MAX];
	MDB_txn *txn = NULL;
	sk_status st = SK_OK;

	d.store = s;
	snprintf(d.org, sizeof(d.org), "%s", org);
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return reg_send_error(c, request_id, st, NULL);
	if ((st = load_open(&d, txn, req->discussion_id.data, req->discussion_id.len, &ds)) !=
		    SK_OK ||
	    ds == NULL) {
		mdb_txn_abort(txn);
		return reg_send_error(c, request_id, st != SK_OK ? st : d.result, d.reason);
	}
	if (reg_discuss_may_write(s, txn, ds, org, ds->requester))
		to[r.n_participants++] = ds->requester;
	for (size_t i = 0; i < ds->n_accepted && r.n_participants < REG_DISCUSS_RECIPIENTS_MAX; i++)
		if (reg_discuss_may_write(s, txn, ds, org, ds->accepted[i]))
			to[r.n_participants++] = ds->accepted[i];
	/* what it holds from the asker, per recipient: after a rollover the
	 * asker sends again what this registry lost (node/discuss.c) */
	if (req->has_held && req->held) {
		if ((hc = calloc(1, sizeof(*hc))) == NULL)
			st = SK_ERR_NOMEM;
		else
			hc->from = org;
		for (size_t i = 0; st == SK_OK && i < ds->n_items; i++)
			st = held_key(s, txn, ds->items[i].data, ds->items[i].len, hc);
		if (st == SK_OK)
			st = items_each(s, txn, req->discussion_id.data, UINT64_MAX, 0, held_key, hc);
		for (size_t i = 0; st == SK_OK && i < hc->n; i++) {
			held[i] = (Schakel__V1__DiscussHeld)SCHAKEL__V1__DISCUSS_HELD__INIT;
			held[i].recipient = hc->to[i];
			held[i].seq = hc->seq[i];
			hp[i] = &held[i];
		}
		if (st == SK_OK) {
			r.n_held = hc->n;
			r.held = hp;
			r.has_held_listed = r.held_listed = 1;
		}
	}
	mdb_txn_abort(txn);
	if (st != SK_OK) {
		free(hc);
		schakel__v1__discussion__free_unpacked(ds, NULL);
		return reg_send_error(c, request_id, st, NULL);
	}
	r.participants = to;
	r.discussion_id = req->discussion_id;
	r.has_closed = 1;
	r.closed = ds->has_closed_at;
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_STATE;
	env.discuss_state = &r;
	st = net_conn_send(c, &env);
	free(hc);
	schakel__v1__discussion__free_unpacked(ds, NULL);
	return st;
}

/* Why ds is over at now, or NULL while it runs. */
static const char *over(const Schakel__V1__Discussion *ds, uint64_t now, uint64_t idle_ms)
{
	uint64_t last = ds->has_last_activity ? ds->last_activity : ds->created_at;

	if (ds->has_purged_at)
		return NULL;
	if (ds->has_closed_at)
		return ds->closed_at + REG_DISCUSS_CLOSED_KEEP_MS <= now ? "closed" : NULL;
	if (ds->n_accepted == 0 && ds->window_end <= now)
		return "unanswered";
	return last + idle_ms <= now ? "idle" : NULL;
}

sk_status reg_discuss_sweep(reg_store *s, MDB_txn *txn, uint64_t now, uint64_t idle_ms,
			    size_t max, size_t *ended)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	sk_status st;
	size_t n = 0;
	int rc;

	if (ended != NULL)
		*ended = 0;
	if ((st = sk_db_status(mdb_cursor_open(txn, s->discussions, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && st == SK_OK && n < max;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Schakel__V1__Discussion *ds =
			schakel__v1__discussion__unpack(NULL, v.mv_size, v.mv_data);
		uint8_t id[REG_DISCUSSION_ID_BYTES];
		char hex[2 * REG_DISCUSSION_ID_BYTES + 1];
		audit_record rec = {0};
		const char *why;

		if (ds == NULL || k.mv_size != sizeof(id)) {
			schakel__v1__discussion__free_unpacked(ds, NULL);
			continue; /* not ours to judge; audit verify reports the store */
		}
		if ((why = over(ds, now, idle_ms)) != NULL) {
			memcpy(id, k.mv_data, sizeof(id));
			sodium_bin2hex(hex, sizeof(hex), id, sizeof(id));
			ds->has_purged_at = 1;
			ds->purged_at = now;
			if ((st = strip_items(s, txn, id, ds)) == SK_OK &&
			    (st = put_discussion(s, txn, id, ds)) == SK_OK) {
				rec.event = "discuss.expire";
				rec.action = AUDIT_ACTION_DELETE;
				rec.outcome = AUDIT_OUTCOME_OK;
				rec.reason = why;
				rec.user = "registry";
				rec.access_point = "sweeper";
				rec.counterpart = ds->requester;
				rec.correlation_id = hex;
				st = reg_audit(s, txn, &rec);
			}
			n++;
			/* the put moved the cursor's page; find our place again */
			if (st == SK_OK) {
				k = (MDB_val){sizeof(id), id};
				rc = mdb_cursor_get(cur, &k, &v, MDB_SET);
				if (rc != 0)
					st = sk_db_status(rc);
			}
		}
		schakel__v1__discussion__free_unpacked(ds, NULL);
	}
	mdb_cursor_close(cur);
	if (ended != NULL)
		*ended = n;
	return st;
}

/* The discussion request kinds (registry/op.h): a request, an answer and
 * a message share one job; the state is read at once. */

static const char *request_screen(const wire_envelope *env, const ProtobufCMessage **body,
				  size_t *len, size_t *cap)
{
	*body = &env->discuss_request->base;
	return NULL;
}

static const char *answer_screen(const wire_envelope *env, const ProtobufCMessage **body,
				 size_t *len, size_t *cap)
{
	*body = &env->discuss_answer->base;
	if (env->discuss_answer->has_sealed)
		*len = env->discuss_answer->sealed.len;
	*cap = REG_DISCUSS_SEALED_MAX;
	return env->discuss_answer->accept ? "discuss.accept" : "discuss.decline";
}

static const char *send_screen(const wire_envelope *env, const ProtobufCMessage **body,
			       size_t *len, size_t *cap)
{
	*body = &env->discuss_send->base;
	for (size_t i = 0; i < env->discuss_send->n_messages; i++)
		if (env->discuss_send->messages[i] != NULL)
			*len += env->discuss_send->messages[i]->sealed.len;
	*cap = REG_DISCUSS_SEND_BYTES_MAX;
	return env->discuss_send->close ? "discuss.close" : "discuss.message";
}

static sk_status discuss_result(const void *job, const char **why)
{
	const reg_discuss *d = job;

	if (why != NULL)
		*why = d->reason;
	return d->result;
}

static sk_status state_read(reg_store *s, net_conn *c, uint64_t request_id,
			    const wire_envelope *env)
{
	return state_send(s, c, request_id, net_conn_peer(c)->org_id, env->discuss_state_request);
}

const reg_op reg_op_discuss_request = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_REQUEST,
	.name = "discuss.request",
	.screen = request_screen,
	.new = discuss_new,
	.apply = discuss_apply,
	.reply = discuss_reply,
	.result = discuss_result,
	.free = discuss_free,
};

const reg_op reg_op_discuss_answer = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_ANSWER,
	.name = "discuss.answer",
	.screen = answer_screen,
	.new = discuss_new,
	.apply = discuss_apply,
	.reply = discuss_reply,
	.result = discuss_result,
	.free = discuss_free,
};

const reg_op reg_op_discuss_send = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_SEND,
	.name = "discuss.send",
	.screen = send_screen,
	.new = discuss_new,
	.apply = discuss_apply,
	.reply = discuss_reply,
	.result = discuss_result,
	.free = discuss_free,
};

const reg_op reg_op_discuss_state = {
	.body = SCHAKEL__V1__ENVELOPE__BODY_DISCUSS_STATE_REQUEST,
	.name = "discuss.state",
	.read = state_read,
};
