#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/db.h"
#include "node/ecd.h"

#define LINK_KEY_MAX (2 + NODE_ECD_ID_MAX)

const char *node_ecd_outcome_name(node_ecd_outcome o)
{
	static const char *const names[] = {"created", "updated", "unchanged", "refused"};

	return (unsigned)o < 4 ? names[o] : "refused";
}

int node_ecd_id_valid(const char *id)
{
	size_t n = id != NULL ? strnlen(id, NODE_ECD_ID_MAX + 1) : 0;
	bsn b;
	int is_bsn;

	if (n == 0 || n > NODE_ECD_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
		      (id[i] >= '0' && id[i] <= '9') || id[i] == '.' || id[i] == '_' ||
		      id[i] == ':' || id[i] == '-'))
			return 0;
	is_bsn = bsn_parse(&b, id) == SK_OK;
	sodium_memzero(&b, sizeof(b));
	return !is_bsn;
}

/* ---- the links ---------------------------------------------------------- */

static MDB_val link_key(uint8_t out[static LINK_KEY_MAX], char tag, const void *v, size_t n)
{
	out[0] = (uint8_t)tag;
	out[1] = 0;
	memcpy(out + 2, v, n);
	return (MDB_val){n + 2, out};
}

/* The text a link of tag to v holds into out (cap bytes, NUL ended). */
static sk_status link_get(node_store *s, MDB_txn *txn, char tag, const void *v, size_t n,
			  char *out, size_t cap)
{
	uint8_t kb[LINK_KEY_MAX];
	MDB_val k = link_key(kb, tag, v, n), d;
	int rc = mdb_get(txn, s->integration, &k, &d);

	out[0] = 0;
	if (rc != 0)
		return sk_db_status(rc);
	if (d.mv_size == 0 || d.mv_size >= cap)
		return SK_ERR_DB;
	memcpy(out, d.mv_data, d.mv_size);
	out[d.mv_size] = 0;
	return SK_OK;
}

static sk_status link_put(node_store *s, MDB_txn *txn, char tag, const void *v, size_t n,
			  const void *val, size_t vlen)
{
	uint8_t kb[LINK_KEY_MAX];
	MDB_val k = link_key(kb, tag, v, n), d = {vlen, (void *)val};

	return sk_db_status(mdb_put(txn, s->integration, &k, &d, 0));
}

static sk_status case_link_get(node_store *s, MDB_txn *txn, const char *ext, uint64_t *id)
{
	uint8_t kb[LINK_KEY_MAX];
	MDB_val k = link_key(kb, 'k', ext, strlen(ext)), d;
	int rc = mdb_get(txn, s->integration, &k, &d);

	*id = 0;
	if (rc != 0)
		return sk_db_status(rc);
	if (d.mv_size != 8)
		return SK_ERR_DB;
	*id = sk_be64_get(d.mv_data);
	return SK_OK;
}

static sk_status case_link_put(node_store *s, MDB_txn *txn, const char *ext, uint64_t id)
{
	uint8_t b[8];
	sk_status st;

	sk_be64_put(b, id);
	if ((st = link_put(s, txn, 'k', ext, strlen(ext), b, 8)) != SK_OK)
		return st;
	return link_put(s, txn, 'K', b, 8, ext, strlen(ext));
}

static sk_status client_link_put(node_store *s, MDB_txn *txn, const char *ext, const char *local)
{
	sk_status st = link_put(s, txn, 'c', ext, strlen(ext), local, strlen(local));

	return st != SK_OK ? st : link_put(s, txn, 'C', local, strlen(local), ext, strlen(ext));
}

/* ---- a batch ------------------------------------------------------------ */

static sk_status refused(node_ecd_result *r, sk_status st, const char *code)
{
	r->outcome = NODE_ECD_REFUSED;
	r->code = code;
	snprintf(r->detail, sizeof(r->detail), "%s", sk_error_detail()[0] ? sk_error_detail()
									   : sk_strerror(st));
	return st;
}

/* Statuses that refuse one item; any other stops the batch. */
static int item_refusal(sk_status st)
{
	return st == SK_ERR_INVALID || st == SK_ERR_EXISTS || st == SK_ERR_NOTFOUND ||
	       st == SK_ERR_PERM || st == SK_ERR_TOOBIG || st == SK_ERR_BSN;
}

/* The refusal of item r in the batch's transaction. */
static sk_status audit_refusal(node_store *s, MDB_txn *txn, const char *what,
			       const node_ecd_result *r)
{
	audit_record rec = {0};
	char reason[AUDIT_REASON_MAX + 1], raw[300];

	snprintf(raw, sizeof(raw), "%s %s: %s", what, r->code, r->detail);
	audit_text_clean(reason, sizeof(reason), raw);
	rec.event = "ecd.refused";
	rec.action = AUDIT_ACTION_UPDATE;
	rec.outcome = AUDIT_OUTCOME_DENIED;
	rec.reason = reason;
	rec.category = what;
	rec.client = r->client[0] ? r->client : NULL;
	return node_audit(s, txn, &rec);
}

/* The batch's summary record, then its commit. */
static sk_status batch_end(node_store *s, MDB_txn *txn, const char *what,
			   const node_ecd_result *res, size_t n, sk_status st)
{
	audit_record rec = {0};
	size_t c[4] = {0};
	char reason[160];

	if (st != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	for (size_t i = 0; i < n; i++)
		c[res[i].outcome < 4 ? res[i].outcome : NODE_ECD_REFUSED]++;
	snprintf(reason, sizeof(reason), "%s: %zu items, %zu created, %zu updated, %zu unchanged, "
		 "%zu refused", what, n, c[0], c[1], c[2], c[3]);
	rec.event = "ecd.batch";
	rec.action = AUDIT_ACTION_UPDATE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.reason = reason;
	rec.category = what;
	if ((st = node_audit(s, txn, &rec)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

/* Each item in a nested transaction of txn: kept when it applies, undone
 * alone (and its refusal recorded) when it is refused. */
typedef sk_status (*item_fn)(node_store *s, MDB_txn *txn, const void *item, uint64_t now_ms,
			     node_ecd_result *r);

static sk_status apply_item(node_store *s, MDB_txn *txn, const char *what, item_fn fn,
			    const void *item, uint64_t now_ms, node_ecd_result *r)
{
	MDB_txn *child = NULL;
	sk_status st;

	sk_error_clear();
	if ((st = sk_db_status(mdb_txn_begin(s->env, txn, 0, &child))) != SK_OK)
		return st;
	if ((st = fn(s, child, item, now_ms, r)) == SK_OK)
		return sk_db_status(mdb_txn_commit(child));
	mdb_txn_abort(child);
	if (!item_refusal(st))
		return st;
	if (r->outcome != NODE_ECD_REFUSED)
		refused(r, st, "refused");
	return audit_refusal(s, txn, what, r);
}

/* ---- clients ------------------------------------------------------------ */

static sk_status client_one(node_store *s, MDB_txn *txn, const void *item, uint64_t now_ms,
			    node_ecd_result *r)
{
	const node_ecd_client *it = item;
	node_client *cl = calloc(1, sizeof(*cl));
	char ext[NODE_ECD_ID_MAX + 1];
	sk_status st;

	if (cl == NULL)
		return SK_ERR_NOMEM;
	if (it->refuse != NULL) {
		sk_error_set("%s", it->refuse_detail);
		st = refused(r, SK_ERR_INVALID, it->refuse);
		goto out;
	}
	st = link_get(s, txn, 'c', it->id, strlen(it->id), r->client, sizeof(r->client));
	if (st == SK_OK) {
		if ((st = node_client_get(s, txn, r->client, cl)) != SK_OK)
			goto out;
		if (sodium_memcmp(cl->bsn.digits, it->b.digits, BSN_DIGITS) != 0) {
			sk_error_set("this external id belongs to a client with another BSN; a BSN "
				     "is never changed through the integration");
			st = refused(r, SK_ERR_INVALID, "bsn_changed");
			goto out;
		}
		r->outcome = NODE_ECD_UNCHANGED;
	} else if (st == SK_ERR_NOTFOUND) {
		st = node_client_find(s, txn, &it->b, r->client);
		if (st == SK_ERR_NOTFOUND) {
			if ((st = node_client_add_txn(s, txn, &it->b, it->name, it->birthdate, now_ms,
						      r->client)) != SK_OK) {
				refused(r, st, "client_invalid");
				goto out;
			}
			r->outcome = NODE_ECD_CREATED;
			st = client_link_put(s, txn, it->id, r->client);
			goto out;
		}
		if (st != SK_OK)
			goto out;
		/* registered already (by a professional): linked, unless the
		 * system knows it by another id */
		st = link_get(s, txn, 'C', r->client, strlen(r->client), ext, sizeof(ext));
		if (st == SK_OK) {
			sk_error_set("this BSN is linked to another external id already");
			st = refused(r, SK_ERR_EXISTS, "bsn_other_id");
			goto out;
		}
		if (st != SK_ERR_NOTFOUND || (st = client_link_put(s, txn, it->id, r->client)) != SK_OK ||
		    (st = node_client_get(s, txn, r->client, cl)) != SK_OK)
			goto out;
		r->outcome = NODE_ECD_UPDATED;
	} else {
		goto out;
	}
	if (strcmp(cl->name, it->name) != 0 || strcmp(cl->birthdate, it->birthdate) != 0) {
		if ((st = node_client_update_txn(s, txn, r->client, it->name, it->birthdate,
						 now_ms)) != SK_OK) {
			refused(r, st, "client_invalid");
			goto out;
		}
		r->outcome = NODE_ECD_UPDATED;
	}
out:
	node_client_wipe(cl);
	free(cl);
	return st;
}

/* n items of size bytes each, one write transaction. */
static sk_status batch(node_store *s, const char *what, item_fn fn, const void *items,
		       size_t size, size_t n, uint64_t now_ms, node_ecd_result *res)
{
	MDB_txn *txn = NULL;
	sk_status st;

	if (n > NODE_ECD_BATCH_MAX) {
		sk_error_set("a batch holds at most %d items", NODE_ECD_BATCH_MAX);
		return SK_ERR_TOOBIG;
	}
	memset(res, 0, n * sizeof(*res));
	if ((st = sk_db_room(s->env)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	for (size_t i = 0; i < n && st == SK_OK; i++)
		st = apply_item(s, txn, what, fn, (const uint8_t *)items + i * size, now_ms, &res[i]);
	return batch_end(s, txn, what, res, n, st);
}

sk_status node_ecd_clients(node_store *s, const node_ecd_client *items, size_t n,
			   uint64_t now_ms, node_ecd_result *res)
{
	return batch(s, "client", client_one, items, sizeof(*items), n, now_ms, res);
}

/* ---- cases -------------------------------------------------------------- */

/* 1 when consent k is what item it asks for (an expiry not given is
 * not compared). */
static int same_consent(const node_store *s, const node_consent *k, const node_ecd_case *it)
{
	node_basis basis = it->basis ? it->basis : NODE_BASIS_CONSENT;
	node_consent_by by = it->by;
	const char *cats = it->flags != 0 ? it->categories : "";
	size_t want = 0, i = 0, len = strlen(cats);

	if (basis == NODE_BASIS_CONSENT && it->flags != 0 && by == NODE_BY_NONE)
		by = NODE_BY_CLIENT;
	if (k->basis != basis || k->flags != it->flags || k->by != by ||
	    (basis == NODE_BASIS_STATUTORY && strcmp(k->reason, it->reason) != 0) ||
	    (it->expires_at != 0 && k->expires_at != it->expires_at))
		return 0;
	if (strcmp(cats, "all") == 0) {
		for (size_t j = 0; j < s->policy.n; j++) {
			size_t m = 0;

			while (m < k->n_categories && strcmp(k->categories[m], s->policy.name[j]) != 0)
				m++;
			if (m == k->n_categories)
				return 0;
		}
		return k->n_categories == s->policy.n;
	}
	/* every named category is in k, and k holds as many distinct ones */
	while (i < len) {
		size_t l = strcspn(cats + i, ","), m = 0, dup = 0;

		for (size_t p = 0; p < i;) { /* named before? */
			size_t q = strcspn(cats + p, ",");

			dup |= q == l && memcmp(cats + p, cats + i, l) == 0;
			p += q + 1;
		}
		while (m < k->n_categories &&
		       (strlen(k->categories[m]) != l || memcmp(k->categories[m], cats + i, l) != 0))
			m++;
		if (m == k->n_categories)
			return 0;
		want += !dup;
		i += l + 1;
	}
	return want == k->n_categories;
}

static void consent_req(const node_ecd_case *it, const node_case *cur, uint64_t now_ms,
			node_consent_req *q)
{
	memset(q, 0, sizeof(*q));
	q->flags = it->flags;
	q->categories = it->categories;
	q->by = it->by;
	q->basis = it->basis ? it->basis : NODE_BASIS_CONSENT;
	q->reason = it->reason;
	q->expires_at = it->expires_at;
	/* no expiry given: the current one stays while it runs */
	if (q->expires_at == 0 && cur != NULL && cur->consent.expires_at > now_ms)
		q->expires_at = cur->consent.expires_at;
}

/* A refusal by the case module: its code by status. */
static sk_status case_refused(node_ecd_result *r, sk_status st)
{
	return refused(r, st, st == SK_ERR_NOTFOUND ? "professional_unknown"
			      : st == SK_ERR_PERM   ? "professional_not_allowed"
			      : st == SK_ERR_TOOBIG ? "case_full"
						    : "consent_invalid");
}

static sk_status case_known(node_store *s, MDB_txn *txn, const node_ecd_case *it,
			    uint64_t now_ms, node_case *c, node_ecd_result *r)
{
	const char *as = it->professional;
	node_consent_req q;
	int changed = 0;
	sk_status st;

	if (it->consent_only || as[0] == 0)
		as = c->opened_by;
	if (!c->open) {
		if (it->closed && !it->consent_only) {
			r->outcome = NODE_ECD_UNCHANGED;
			return SK_OK;
		}
		sk_error_set("case %llu is closed; a closed case is not opened again: send the "
			     "new involvement under a new case id",
			     (unsigned long long)c->id);
		return refused(r, SK_ERR_PERM, "case_closed");
	}
	if (!node_case_assigned(c, as)) {
		if ((st = node_case_assign_txn(s, txn, c->id, as, c->opened_by, c)) != SK_OK)
			return case_refused(r, st);
		changed = 1;
	}
	if (!same_consent(s, &c->consent, it)) {
		consent_req(it, c, now_ms, &q);
		if ((st = node_case_consent_txn(s, txn, c->id, as, &q, now_ms, c)) != SK_OK)
			return case_refused(r, st);
		changed = 1;
	}
	if (it->closed && !it->consent_only) {
		if ((st = node_case_close_txn(s, txn, c->id, as, now_ms, c)) != SK_OK)
			return case_refused(r, st);
		changed = 1;
	}
	r->outcome = changed ? NODE_ECD_UPDATED : NODE_ECD_UNCHANGED;
	return SK_OK;
}

static sk_status case_one(node_store *s, MDB_txn *txn, const void *item, uint64_t now_ms,
			  node_ecd_result *r)
{
	const node_ecd_case *it = item;
	node_case *c = calloc(1, sizeof(*c));
	node_consent_req q;
	sk_status st;

	if (c == NULL)
		return SK_ERR_NOMEM;
	if (it->refuse != NULL) {
		sk_error_set("%s", it->refuse_detail);
		st = refused(r, SK_ERR_INVALID, it->refuse);
		goto out;
	}
	st = case_link_get(s, txn, it->id, &r->case_id);
	if (st == SK_OK) {
		if ((st = node_case_get(s, txn, r->case_id, c)) != SK_OK)
			goto out;
		memcpy(r->client, c->client, sizeof(r->client));
		if (!it->consent_only) {
			char local[NODE_CLIENT_ID_MAX + 1];

			st = link_get(s, txn, 'c', it->client, strlen(it->client), local,
				      sizeof(local));
			if (st == SK_OK && strcmp(local, c->client) != 0) {
				sk_error_set("this case belongs to another client; a case does not "
					     "move between clients");
				st = refused(r, SK_ERR_INVALID, "case_other_client");
				goto out;
			}
			if (st != SK_OK && st != SK_ERR_NOTFOUND)
				goto out;
		}
		st = case_known(s, txn, it, now_ms, c, r);
		goto out;
	}
	if (st != SK_ERR_NOTFOUND)
		goto out;
	if (it->consent_only) {
		sk_error_set("no case with this external id; send the case first");
		st = refused(r, SK_ERR_NOTFOUND, "case_unknown");
		goto out;
	}
	st = link_get(s, txn, 'c', it->client, strlen(it->client), r->client, sizeof(r->client));
	if (st == SK_ERR_NOTFOUND) {
		sk_error_set("no client with this external id; send the client first");
		st = refused(r, SK_ERR_NOTFOUND, "client_unknown");
		goto out;
	}
	if (st != SK_OK)
		goto out;
	if (it->closed) {
		sk_error_set("a case that is closed already is not recorded here");
		st = refused(r, SK_ERR_INVALID, "case_closed_unknown");
		goto out;
	}
	if (it->professional[0] == 0) {
		sk_error_set("a new case needs its responsible professional");
		st = refused(r, SK_ERR_INVALID, "professional_invalid");
		goto out;
	}
	consent_req(it, NULL, now_ms, &q);
	if ((st = node_case_open_txn(s, txn, r->client, it->professional, &q, now_ms,
				     &r->case_id)) != SK_OK) {
		case_refused(r, st);
		goto out;
	}
	r->outcome = NODE_ECD_CREATED;
	st = case_link_put(s, txn, it->id, r->case_id);
out:
	free(c);
	return st;
}

sk_status node_ecd_cases(node_store *s, const node_ecd_case *items, size_t n, uint64_t now_ms,
			 node_ecd_result *res, size_t *dirty)
{
	sk_status st = batch(s, "case", case_one, items, sizeof(*items), n, now_ms, res);

	*dirty = 0;
	for (size_t i = 0; st == SK_OK && i < n; i++)
		*dirty += res[i].outcome == NODE_ECD_CREATED || res[i].outcome == NODE_ECD_UPDATED;
	return st;
}

/* ---- reading ------------------------------------------------------------ */

static sk_status read_audit(node_store *s, const char *client, const char *what)
{
	return node_audit_access(s, "ecd.read", NULL, NULL, what, client, NULL);
}

struct case_list {
	node_store *s;
	MDB_txn *txn;
	json_t *list;
};

static sk_status case_item(const node_case *c, void *arg)
{
	struct case_list *l = arg;
	char ext[NODE_ECD_ID_MAX + 1];
	uint8_t b[8];
	json_t *j;
	sk_status st;

	sk_be64_put(b, c->id);
	st = link_get(l->s, l->txn, 'K', b, 8, ext, sizeof(ext));
	if (st != SK_OK && st != SK_ERR_NOTFOUND)
		return st;
	if ((j = node_case_json(c)) == NULL ||
	    json_object_set_new(j, "external_id", ext[0] ? json_string(ext) : json_null()) != 0 ||
	    json_array_append_new(l->list, j) != 0)
		return SK_ERR_NOMEM;
	return SK_OK;
}

sk_status node_ecd_client_get(node_store *s, const char *id, json_t **out)
{
	char local[NODE_CLIENT_ID_MAX + 1];
	node_client *cl = calloc(1, sizeof(*cl));
	struct case_list l = {s, NULL, json_array()};
	MDB_txn *txn = NULL;
	sk_status st;

	*out = NULL;
	if (cl == NULL || l.list == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	l.txn = txn;
	st = node_ecd_id_valid(id) ? link_get(s, txn, 'c', id, strlen(id), local, sizeof(local))
				   : SK_ERR_NOTFOUND;
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("no client with this external id");
	if (st != SK_OK || (st = node_client_get(s, txn, local, cl)) != SK_OK ||
	    (st = node_case_scan(s, txn, local, case_item, &l)) != SK_OK)
		goto out;
	mdb_txn_abort(txn);
	txn = NULL;
	if ((st = read_audit(s, local, "client")) != SK_OK)
		goto out;
	if ((*out = json_pack("{s:s,s:s,s:s,s:s,s:O}", "id", id, "client", local, "name", cl->name,
			      "birthdate", cl->birthdate, "cases", l.list)) == NULL)
		st = SK_ERR_NOMEM;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	json_decref(l.list);
	node_client_wipe(cl);
	free(cl);
	return st;
}

sk_status node_ecd_case_get(node_store *s, const char *id, json_t **out)
{
	char ext[NODE_ECD_ID_MAX + 1] = "";
	node_case *c = calloc(1, sizeof(*c));
	MDB_txn *txn = NULL;
	uint64_t cid = 0;
	sk_status st;

	*out = NULL;
	if (c == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	st = node_ecd_id_valid(id) ? case_link_get(s, txn, id, &cid) : SK_ERR_NOTFOUND;
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("no case with this external id");
	if (st != SK_OK || (st = node_case_get(s, txn, cid, c)) != SK_OK)
		goto out;
	st = link_get(s, txn, 'C', c->client, strlen(c->client), ext, sizeof(ext));
	if (st != SK_OK && st != SK_ERR_NOTFOUND)
		goto out;
	mdb_txn_abort(txn);
	txn = NULL;
	if ((st = read_audit(s, c->client, "case")) != SK_OK)
		goto out;
	if ((*out = node_case_json(c)) == NULL ||
	    json_object_set_new(*out, "external_id", json_string(id)) != 0 ||
	    json_object_set_new(*out, "client_external_id",
				ext[0] ? json_string(ext) : json_null()) != 0)
		st = SK_ERR_NOMEM;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (st != SK_OK) {
		json_decref(*out);
		*out = NULL;
	}
	free(c);
	return st;
}
