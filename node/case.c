#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "common/db.h"
#include "node/case.h"
#include "node/dirty.h"
#include "node/index.h"
#include "node/textcheck.h"

#define META_NEXT_CASE "next.case"
#define REF_MAX 48 /* "case 18446744073709551615 v4294967295" */

/* ---- parsing and naming ------------------------------------------------ */

static const char *const flag_names[] = {"discover", "contact", "discuss"};
static const uint32_t flag_bits[] = {NODE_FLAG_DISCOVER, NODE_FLAG_CONTACT, NODE_FLAG_DISCUSS};

sk_status node_flags_parse(const char *s, uint32_t *flags)
{
	size_t n = s != NULL ? strlen(s) : 0, i = 0;

	*flags = 0;
	if (s != NULL && strcmp(s, "none") == 0)
		return SK_OK;
	while (i < n) {
		size_t len = strcspn(s + i, ",");
		size_t f;

		for (f = 0; f < 3; f++)
			if (len == strlen(flag_names[f]) && strncmp(s + i, flag_names[f], len) == 0)
				break;
		if (f == 3)
			goto bad;
		*flags |= flag_bits[f];
		i += len + 1;
		if (i == n) /* a trailing comma */
			goto bad;
	}
	if (*flags != 0)
		return SK_OK;
bad:
	*flags = 0;
	sk_error_set("consent flags are a comma list of discover, contact and discuss, or none");
	return SK_ERR_INVALID;
}

void node_flags_format(char out[static NODE_FLAGS_TEXT_MAX + 1], uint32_t flags)
{
	size_t pos = 0;

	out[0] = 0;
	for (size_t f = 0; f < 3; f++) {
		if (!(flags & flag_bits[f]))
			continue;
		pos += (size_t)snprintf(out + pos, NODE_FLAGS_TEXT_MAX + 1 - pos, "%s%s",
					pos ? "," : "", flag_names[f]);
	}
	if (pos == 0)
		snprintf(out, NODE_FLAGS_TEXT_MAX + 1, "none");
}

static const char *const by_names[] = {"-", "client", "parent", "guardian", "representative",
				       "client+parent"};

sk_status node_consent_by_parse(const char *s, node_consent_by *out)
{
	for (size_t i = 1; s != NULL && i < sizeof(by_names) / sizeof(by_names[0]); i++) {
		if (strcmp(s, by_names[i]) == 0) {
			*out = (node_consent_by)i;
			return SK_OK;
		}
	}
	sk_error_set("--consent-by takes client, parent, guardian, representative or "
		     "client+parent");
	return SK_ERR_INVALID;
}

const char *node_consent_by_name(node_consent_by by)
{
	return (unsigned)by < sizeof(by_names) / sizeof(by_names[0]) ? by_names[by] : "-";
}

const char *node_basis_name(node_basis b)
{
	return b == NODE_BASIS_STATUTORY ? "statutory" : "consent";
}

sk_status node_basis_parse(const char *s, node_basis *basis, char reason[static NODE_REASON_MAX + 1])
{
	static const char pre[] = "statutory:";

	reason[0] = 0;
	if (s != NULL && strcmp(s, "consent") == 0) {
		*basis = NODE_BASIS_CONSENT;
		return SK_OK;
	}
	if (s != NULL && strncmp(s, pre, sizeof(pre) - 1) == 0 &&
	    node_text_valid(s + sizeof(pre) - 1, NODE_REASON_MAX)) {
		*basis = NODE_BASIS_STATUTORY;
		memcpy(reason, s + sizeof(pre) - 1, strlen(s + sizeof(pre) - 1) + 1);
		return SK_OK;
	}
	sk_error_set("--basis takes consent or statutory:REASON, e.g. statutory:meldcode");
	return SK_ERR_INVALID;
}

sk_status node_consent_age_check(const node_date *birth, const node_date *today,
				 node_consent_by by)
{
	int age;

	if (birth == NULL)
		return SK_OK;
	age = node_age(birth, today);
	if (age < 12) {
		if (by == NODE_BY_PARENT || by == NODE_BY_GUARDIAN || by == NODE_BY_REPRESENTATIVE)
			return SK_OK;
		sk_error_set("client is %d: consent must come from a parent or guardian "
			     "(--consent-by parent, guardian or representative)",
			     age < 0 ? 0 : age);
	} else if (age < 16) {
		if (by == NODE_BY_CLIENT_PARENT)
			return SK_OK;
		sk_error_set("client is %d: consent needs the client and a parent together "
			     "(--consent-by client+parent)",
			     age);
	} else {
		if (by == NODE_BY_CLIENT || by == NODE_BY_REPRESENTATIVE)
			return SK_OK;
		sk_error_set("client is %d: consent must come from the client "
			     "(--consent-by client, or representative)",
			     age);
	}
	return SK_ERR_INVALID;
}

/* ---- records as JSON ------------------------------------------------------ */

static json_t *consent_json(const node_consent *c)
{
	json_t *cats = json_array();

	for (size_t i = 0; cats != NULL && i < c->n_categories; i++)
		json_array_append_new(cats, json_string(c->categories[i]));
	return json_pack("{s:I,s:s,s:s,s:I,s:o,s:s,s:I,s:s,s:I}", "version",
			 (json_int_t)c->version, "basis", node_basis_name(c->basis), "reason",
			 c->reason, "flags", (json_int_t)c->flags, "categories", cats, "by",
			 node_consent_by_name(c->by), "at", (json_int_t)c->at, "recorded_by",
			 c->recorded_by, "expires_at", (json_int_t)c->expires_at);
}

static uint64_t json_u64(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

static sk_status consent_from_json(node_consent *c, const json_t *o)
{
	const json_t *cats = json_object_get(o, "categories");
	const char *basis = json_string_value(json_object_get(o, "basis"));
	const char *by = json_string_value(json_object_get(o, "by"));
	size_t i;
	json_t *v;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(o) || !json_is_array(cats) || json_array_size(cats) > WIRE_POLICY_MAX ||
	    basis == NULL || by == NULL)
		return SK_ERR_DB;
	c->version = (uint32_t)json_u64(o, "version");
	c->basis = strcmp(basis, "statutory") == 0 ? NODE_BASIS_STATUTORY : NODE_BASIS_CONSENT;
	node_json_str(c->reason, sizeof(c->reason), o, "reason");
	c->flags = (uint32_t)json_u64(o, "flags") & NODE_FLAGS_ALL;
	json_array_foreach(cats, i, v)
	{
		const char *name = json_string_value(v);

		if (name == NULL || strlen(name) > WIRE_CATEGORY_MAX)
			return SK_ERR_DB;
		memcpy(c->categories[c->n_categories++], name, strlen(name) + 1);
	}
	if (strcmp(by, "-") != 0 && node_consent_by_parse(by, &c->by) != SK_OK)
		return SK_ERR_DB;
	c->at = json_u64(o, "at");
	node_json_str(c->recorded_by, sizeof(c->recorded_by), o, "recorded_by");
	c->expires_at = json_u64(o, "expires_at");
	return c->version > 0 ? SK_OK : SK_ERR_DB;
}

static sk_status case_from_json(node_case *c, const json_t *o)
{
	const json_t *as = json_object_get(o, "assigned");
	size_t i;
	json_t *v;

	memset(c, 0, sizeof(*c));
	if (!json_is_array(as) || json_array_size(as) > NODE_ASSIGNED_MAX)
		return SK_ERR_DB;
	c->id = json_u64(o, "id");
	node_json_str(c->client, sizeof(c->client), o, "client");
	c->open = json_is_true(json_object_get(o, "open"));
	c->opened_at = json_u64(o, "opened_at");
	c->closed_at = json_u64(o, "closed_at");
	node_json_str(c->opened_by, sizeof(c->opened_by), o, "opened_by");
	node_json_str(c->closed_by, sizeof(c->closed_by), o, "closed_by");
	json_array_foreach(as, i, v)
	{
		const char *p = json_string_value(v);

		if (p == NULL || strlen(p) > NODE_ID_MAX)
			return SK_ERR_DB;
		memcpy(c->assigned[c->n_assigned++], p, strlen(p) + 1);
	}
	if (c->id == 0 || c->client[0] == '\0')
		return SK_ERR_DB;
	return consent_from_json(&c->consent, json_object_get(o, "consent"));
}

static sk_status case_put(node_store *s, MDB_txn *txn, const node_case *c)
{
	json_t *as = json_array(), *o;
	uint8_t key[8];
	sk_status st;

	for (size_t i = 0; as != NULL && i < c->n_assigned; i++)
		json_array_append_new(as, json_string(c->assigned[i]));
	o = json_pack("{s:i,s:I,s:s,s:b,s:I,s:I,s:s,s:s,s:o,s:o}", "v", 1, "id", (json_int_t)c->id,
		      "client", c->client, "open", c->open, "opened_at", (json_int_t)c->opened_at,
		      "closed_at", (json_int_t)c->closed_at, "opened_by", c->opened_by, "closed_by",
		      c->closed_by, "assigned", as, "consent", consent_json(&c->consent));
	if (o == NULL)
		return SK_ERR_NOMEM;
	sk_be64_put(key, c->id);
	st = node_json_put(txn, s->cases, key, sizeof(key), o);
	json_decref(o);
	/* the professionals' index follows the case in the same transaction */
	for (size_t i = 0; st == SK_OK && i < c->n_assigned; i++)
		st = node_index_prof_case(txn, s->prof_cases, c->assigned[i], c->id, c->open,
					  c->client);
	return st;
}

static sk_status consent_put(node_store *s, MDB_txn *txn, uint64_t case_id, const node_consent *c)
{
	uint8_t key[12];
	json_t *o = consent_json(c);
	sk_status st;

	if (o == NULL)
		return SK_ERR_NOMEM;
	sk_be64_put(key, case_id);
	sk_be32_put(key + 8, c->version);
	st = node_json_put(txn, s->consents, key, sizeof(key), o);
	json_decref(o);
	return st;
}

/* client id NUL u64be(case id): the client's cases in id order. */
static size_t client_case_key(uint8_t out[static NODE_CLIENT_ID_MAX + 9], const char *client,
			      uint64_t case_id)
{
	size_t n = strlen(client);

	memcpy(out, client, n);
	out[n] = 0;
	sk_be64_put(out + n + 1, case_id);
	return n + 9;
}

/* ---- reading ------------------------------------------------------------ */

sk_status node_case_get(node_store *s, MDB_txn *txn, uint64_t id, node_case *out)
{
	uint8_t key[8];
	json_t *o = NULL;
	sk_status st;

	memset(out, 0, sizeof(*out));
	sk_be64_put(key, id);
	st = node_json_get(txn, s->cases, key, sizeof(key), &o);
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("there is no case %llu", (unsigned long long)id);
	if (st == SK_OK)
		st = case_from_json(out, o);
	json_decref(o);
	return st;
}

sk_status node_consent_get(node_store *s, MDB_txn *txn, uint64_t case_id, uint32_t version,
			   node_consent *out)
{
	uint8_t key[12];
	json_t *o = NULL;
	sk_status st;

	memset(out, 0, sizeof(*out));
	sk_be64_put(key, case_id);
	sk_be32_put(key + 8, version);
	st = node_json_get(txn, s->consents, key, sizeof(key), &o);
	if (st == SK_OK)
		st = consent_from_json(out, o);
	json_decref(o);
	return st;
}

int node_case_assigned(const node_case *c, const char *prof)
{
	for (size_t i = 0; prof != NULL && i < c->n_assigned; i++)
		if (strcmp(c->assigned[i], prof) == 0)
			return 1;
	return 0;
}

sk_status node_case_scan(node_store *s, MDB_txn *txn, const char *client, node_case_fn fn,
			 void *arg)
{
	uint8_t prefix[NODE_CLIENT_ID_MAX + 9];
	size_t plen = 0;
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	node_case *c = malloc(sizeof(*c));
	sk_status st = SK_OK;
	int rc;

	if (c == NULL)
		return SK_ERR_NOMEM;
	if (client != NULL && strlen(client) > NODE_CLIENT_ID_MAX) {
		st = SK_ERR_INVALID;
		goto out;
	}
	if (client != NULL)
		plen = client_case_key(prefix, client, 0) - 8;
	if ((st = sk_db_status(mdb_cursor_open(txn, client != NULL ? s->client_cases : s->cases,
					       &cur))) != SK_OK)
		goto out;
	k.mv_size = plen;
	k.mv_data = prefix;
	rc = client != NULL ? mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE)
			    : mdb_cursor_get(cur, &k, &d, MDB_FIRST);
	for (; rc == 0 && st == SK_OK; rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		uint64_t id;

		if (client != NULL) {
			if (k.mv_size != plen + 8 || memcmp(k.mv_data, prefix, plen) != 0)
				break;
			id = sk_be64_get((const uint8_t *)k.mv_data + plen);
		} else {
			if (k.mv_size != 8) {
				st = SK_ERR_DB;
				break;
			}
			id = sk_be64_get(k.mv_data);
		}
		if ((st = node_case_get(s, txn, id, c)) == SK_OK)
			st = fn(c, arg);
	}
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
out:
	mdb_cursor_close(cur);
	free(c);
	return st;
}

struct assigned_arg {
	const char *prof;
	int found;
};

static sk_status assigned_open(const node_case *c, void *arg)
{
	struct assigned_arg *a = arg;

	if (c->open && node_case_assigned(c, a->prof))
		a->found = 1;
	return SK_OK;
}

sk_status node_case_assigned_open(node_store *s, MDB_txn *txn, const char *client,
				  const char *prof, int *yes)
{
	struct assigned_arg a = {prof, 0};
	sk_status st = node_case_scan(s, txn, client, assigned_open, &a);

	*yes = a.found;
	return st;
}

/* ---- a professional's cases ------------------------------------------------- */

/* A client's name matches q: decided once per client per read (cache:
 * client -> true/false). */
static sk_status name_matches(node_store *s, MDB_txn *txn, json_t *cache, const char *client,
			      const char *q, int *yes)
{
	char name[NODE_NAME_MAX + 1];
	json_t *v;
	sk_status st;

	*yes = 1;
	if (q == NULL || q[0] == 0)
		return SK_OK;
	if ((v = json_object_get(cache, client)) != NULL) {
		*yes = json_is_true(v);
		return SK_OK;
	}
	if ((st = node_client_name(s, txn, client, name)) != SK_OK)
		return st;
	*yes = node_page_name_match(name, q);
	sodium_memzero(name, sizeof(name));
	return json_object_set_new(cache, client, json_boolean(*yes)) == 0 ? SK_OK : SK_ERR_NOMEM;
}

struct prof_walk {
	node_store *s;
	MDB_txn *txn;
	const char *q;
	json_t *cache;      /* client -> matches q */
	json_t *clients;    /* node_case_prof_clients: the open ones, a set */
	node_page_keys *ks; /* node_case_page: the cases */
};

/* One row of prof_cases: suffix u64be(case id), value u8 open || client. */
static sk_status prof_row(const uint8_t *suffix, size_t slen, const uint8_t *val, size_t vlen,
			  void *arg)
{
	struct prof_walk *w = arg;
	char client[NODE_CLIENT_ID_MAX + 1];
	int yes;
	sk_status st;

	if (slen != 8 || vlen < 2 || vlen - 1 > NODE_CLIENT_ID_MAX)
		return SK_ERR_DB;
	memcpy(client, val + 1, vlen - 1);
	client[vlen - 1] = 0;
	if (w->clients != NULL && (val[0] == 0 || json_object_get(w->clients, client) != NULL))
		return SK_OK;
	if ((st = name_matches(w->s, w->txn, w->cache, client, w->q, &yes)) != SK_OK || !yes)
		return st;
	if (w->clients != NULL)
		return json_object_set_new(w->clients, client, json_true()) == 0 ? SK_OK
										  : SK_ERR_NOMEM;
	return node_page_add(w->ks, sk_be64_get(suffix), NULL, 0, client);
}

sk_status node_case_prof_clients(node_store *s, MDB_txn *txn, const char *prof, const char *q,
				 node_client_id_fn fn, void *arg)
{
	struct prof_walk w = {s, txn, q, json_object(), json_object(), NULL};
	const char *client;
	json_t *v;
	sk_status st = SK_ERR_NOMEM;

	if (w.cache != NULL && w.clients != NULL &&
	    (st = node_index_each(txn, s->prof_cases, prof, prof_row, &w)) == SK_OK) {
		json_object_foreach(w.clients, client, v)
		{
			if ((st = fn(client, arg)) != SK_OK)
				break;
		}
	}
	json_decref(w.cache);
	json_decref(w.clients);
	return st;
}

sk_status node_case_page(node_store *s, MDB_txn *txn, const char *prof, const node_page_req *req,
			 node_case_item_fn fn, void *arg, node_page_out *pg)
{
	node_page_keys ks = {0};
	struct prof_walk w = {s, txn, req->q, json_object(), NULL, &ks};
	char name[NODE_NAME_MAX + 1] = "";
	node_case *c = malloc(sizeof(*c));
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	size_t from = 0, to = 0;
	sk_status st;
	int rc;

	pg->next[0] = pg->prev[0] = 0;
	if (c == NULL || w.cache == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = node_page_check(req)) != SK_OK)
		goto out;
	if (prof != NULL) {
		st = node_index_each(txn, s->prof_cases, prof, prof_row, &w);
	} else if (req->q != NULL && req->q[0] != 0) {
		sk_error_set("a search by name is for a professional's own cases (give 'as')");
		st = SK_ERR_INVALID;
	} else if ((st = sk_db_status(mdb_cursor_open(txn, s->cases, &cur))) == SK_OK) {
		for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && st == SK_OK;
		     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT))
			st = k.mv_size == 8 ? node_page_add(&ks, sk_be64_get(k.mv_data), NULL, 0, NULL)
					    : SK_ERR_DB;
		if (st == SK_OK && rc != MDB_NOTFOUND)
			st = sk_db_status(rc);
	}
	if (st != SK_OK || (st = node_page_cut(&ks, req, &from, &to, pg)) != SK_OK)
		goto out;
	for (size_t i = from; i < to && st == SK_OK; i++) {
		if ((st = node_case_get(s, txn, ks.v[i].at, c)) != SK_OK ||
		    (st = node_client_name(s, txn, c->client, name)) != SK_OK)
			break;
		st = fn(c, name, arg);
	}
out:
	sodium_memzero(name, sizeof(name));
	if (cur != NULL)
		mdb_cursor_close(cur);
	node_page_keys_free(&ks);
	json_decref(w.cache);
	free(c);
	return st;
}

/* ---- changes --------------------------------------------------------------- */

/* The acting professional: known, and not a privacy officer. */
static sk_status actor(node_store *s, MDB_txn *txn, const char *as, node_professional *p)
{
	sk_status st = node_professional_get(s, txn, as, p);

	if (st == SK_OK && p->kind != NODE_KIND_PROFESSIONAL) {
		sk_error_set("%s is a privacy officer; privacy officers audit, they do not work on "
			     "cases",
			     as);
		st = SK_ERR_PERM;
	}
	return st;
}

static sk_status refuse(sk_status st, const char *why)
{
	sk_error_set("%s", why);
	return st;
}

/* The comma list (or "all") into c's categories, checked against the policy. */
static sk_status parse_categories(node_store *s, const char *list, node_consent *c)
{
	size_t n = strlen(list), i = 0;
	char name[WIRE_CATEGORY_MAX + 1];
	uint32_t seen = 0;

	c->n_categories = 0;
	if (strcmp(list, "all") == 0) {
		for (size_t j = 0; j < s->policy.n; j++)
			memcpy(c->categories[c->n_categories++], s->policy.name[j],
			       strlen(s->policy.name[j]) + 1);
		return SK_OK;
	}
	while (i < n) {
		size_t len = strcspn(list + i, ",");
		int j;

		if (len == 0 || len > WIRE_CATEGORY_MAX)
			return refuse(SK_ERR_INVALID, "--categories is a comma list of categories, "
						      "or all");
		memcpy(name, list + i, len);
		name[len] = 0;
		if ((j = wire_policy_index(&s->policy, name)) < 0) {
			char known[WIRE_POLICY_MAX * (WIRE_CATEGORY_MAX + 2)] = "";
			size_t pos = 0;

			for (size_t k = 0; k < s->policy.n && pos < sizeof(known); k++)
				pos += (size_t)snprintf(known + pos, sizeof(known) - pos, "%s%s",
							k ? ", " : "", s->policy.name[k]);
			sk_error_set("unknown category '%.64s'; the federation knows: %.400s", name,
				     known);
			return SK_ERR_INVALID;
		}
		if (!(seen >> j & 1u))
			memcpy(c->categories[c->n_categories++], name, len + 1);
		seen |= 1u << j;
		i += len + 1;
		if (i == n)
			return refuse(SK_ERR_INVALID, "--categories ends with a comma");
	}
	return SK_OK;
}

/* 1 when some category of c and our category may see each other. */
static int discoverable(const node_store *s, const node_consent *c)
{
	for (size_t i = 0; i < c->n_categories; i++)
		if (wire_policy_sees(&s->policy, s->category, c->categories[i]) &&
		    wire_policy_sees(&s->policy, c->categories[i], s->category))
			return 1;
	return 0;
}

/* The longest run of digits in s. */
static size_t digit_run(const char *s)
{
	size_t run = 0, best = 0;

	for (; *s != '\0'; s++) {
		run = *s >= '0' && *s <= '9' ? run + 1 : 0;
		best = run > best ? run : best;
	}
	return best;
}

/* The consent a request asks for, checked: basis, flags, categories
 * against the policy, who consents (age rules), expiry. */
static sk_status build_consent(node_store *s, const node_client *cl, const node_consent_req *req,
			       node_basis basis, const char *old_reason, uint64_t now_ms,
			       node_consent *c)
{
	node_date birth, today = node_date_at(now_ms);
	sk_status st;

	c->basis = basis;
	c->flags = req->flags;
	c->by = req->by;
	c->at = now_ms;
	c->reason[0] = 0;
	if (req->flags & ~(uint32_t)NODE_FLAGS_ALL)
		return refuse(SK_ERR_INVALID, "unknown consent flags");
	if (basis == NODE_BASIS_STATUTORY) {
		const char *r = req->reason != NULL && req->reason[0] ? req->reason : old_reason;

		if (r == NULL || !node_text_valid(r, NODE_REASON_MAX))
			return refuse(SK_ERR_INVALID, "a statutory basis needs its reason: "
						      "--basis statutory:REASON");
		if (digit_run(r) >= BSN_DIGITS)
			return refuse(SK_ERR_INVALID, "the statutory reason must not hold a BSN or "
						      "other long number; name the legal ground, "
						      "e.g. meldcode");
		memcpy(c->reason, r, strlen(r) + 1);
		if (req->flags & ~(uint32_t)NODE_FLAG_DISCUSS)
			return refuse(SK_ERR_INVALID, "a statutory basis allows discuss only; use "
						      "--consent discuss (or none)");
		if (req->by != NODE_BY_NONE)
			return refuse(SK_ERR_INVALID, "a statutory basis records no consent; drop "
						      "--consent-by");
	} else if (req->reason != NULL && req->reason[0] != '\0') {
		return refuse(SK_ERR_INVALID, "a reason belongs to a statutory basis only");
	}
	if ((req->flags & NODE_FLAG_CONTACT) && !(req->flags & NODE_FLAG_DISCOVER))
		return refuse(SK_ERR_INVALID, "contact needs discover: --consent discover,contact");
	c->n_categories = 0;
	if (req->flags != 0) {
		if (req->categories == NULL || req->categories[0] == '\0')
			return refuse(SK_ERR_INVALID, "--categories is required unless the consent "
						      "is none");
		if ((st = parse_categories(s, req->categories, c)) != SK_OK)
			return st;
	}
	if ((req->flags & NODE_FLAG_DISCOVER) && !discoverable(s, c)) {
		sk_error_set("the federation policy lets none of these categories and a %s "
			     "organisation see each other, so discover would never match; "
			     "choose other categories or drop discover",
			     s->category);
		return SK_ERR_INVALID;
	}
	if (basis == NODE_BASIS_CONSENT && req->flags != 0) {
		if (c->by == NODE_BY_NONE)
			c->by = NODE_BY_CLIENT;
		st = cl->birthdate[0] != '\0' ? node_date_parse(&birth, cl->birthdate) : SK_OK;
		if (st != SK_OK ||
		    (st = node_consent_age_check(cl->birthdate[0] ? &birth : NULL, &today,
						 c->by)) != SK_OK)
			return st;
	}
	c->expires_at = req->expires_at != 0 ? req->expires_at : now_ms + NODE_CONSENT_DEFAULT_MS;
	if (c->expires_at <= now_ms)
		return refuse(SK_ERR_INVALID, "--expires must be in the future");
	if (c->expires_at > now_ms + NODE_CONSENT_MAX_MS)
		return refuse(SK_ERR_INVALID, "a consent runs at most two years; choose an earlier "
					      "--expires");
	return SK_OK;
}

/* The audit record of a case action. */
typedef struct case_audit {
	audit_record rec;
	char ref[REF_MAX];
	char basis[NODE_REASON_MAX + 48];
	char client[NODE_CLIENT_ID_MAX + 1]; /* rec.client and rec.role point here */
	char role[NODE_ROLE_MAX + 1];
} case_audit;

static void audit_init(case_audit *a, const char *event, audit_action action, const char *as)
{
	memset(a, 0, sizeof(*a));
	a->rec.event = event;
	a->rec.action = action;
	a->rec.outcome = AUDIT_OUTCOME_OK;
	a->rec.category = "case";
	a->rec.user = as;
}

/* Fills the client, consent reference and legal basis from c. */
static void audit_case(case_audit *a, const node_case *c)
{
	const node_consent *k = &c->consent;

	snprintf(a->client, sizeof(a->client), "%s", c->client);
	a->rec.client = a->client;
	snprintf(a->ref, sizeof(a->ref), "case %llu v%u", (unsigned long long)c->id, k->version);
	a->rec.consent_ref = a->ref;
	if (k->basis == NODE_BASIS_STATUTORY)
		snprintf(a->basis, sizeof(a->basis), "statutory: %s", k->reason);
	else if (k->flags == 0)
		snprintf(a->basis, sizeof(a->basis), "consent: none");
	else
		snprintf(a->basis, sizeof(a->basis), "consent by %s", node_consent_by_name(k->by));
	a->rec.legal_basis = a->basis;
}

/* Ends a change: commit with the audit record, or abort and audit the
 * refusal. */
static sk_status finish(node_store *s, MDB_txn *txn, case_audit *a, sk_status st)
{
	if (st == SK_OK && (st = node_audit(s, txn, &a->rec)) == SK_OK)
		return sk_db_status(mdb_txn_commit(txn));
	mdb_txn_abort(txn);
	if (st == SK_ERR_NOTFOUND || st == SK_ERR_PERM || st == SK_ERR_INVALID ||
	    st == SK_ERR_EXISTS || st == SK_ERR_TOOBIG || st == SK_ERR_BSN)
		node_audit_denied(s, &a->rec);
	return st;
}

/* The body of node_case_open in txn; a's audit record is filled. */
static sk_status case_open_in(node_store *s, MDB_txn *txn, const char *client, const char *as,
			      const node_consent_req *req, uint64_t now_ms, case_audit *a,
			      node_case *c, node_client *cl, node_professional *pp,
			      uint64_t *case_id)
{
	node_professional *const p = pp; /* the caller's: a's record points into it */
	uint8_t key[NODE_CLIENT_ID_MAX + 9];
	MDB_val k, d = {0, ""};
	uint64_t id = 0;
	sk_status st;

	*case_id = 0;
	if ((st = actor(s, txn, as, p)) != SK_OK)
		return st;
	a->rec.role = p->role;
	if ((st = node_client_resolve(s, txn, client, c->client)) != SK_OK ||
	    (st = node_client_get(s, txn, c->client, cl)) != SK_OK)
		return st;
	a->rec.client = c->client;
	if ((st = build_consent(s, cl, req, req->basis ? req->basis : NODE_BASIS_CONSENT, NULL,
				now_ms, &c->consent)) != SK_OK ||
	    (st = sk_db_room(s->env)) != SK_OK)
		return st;
	if ((st = node_meta_u64(s, txn, META_NEXT_CASE, 1, &id)) != SK_OK ||
	    (st = node_meta_u64_put(s, txn, META_NEXT_CASE, id + 1)) != SK_OK)
		return st;
	c->id = id;
	c->open = 1;
	c->opened_at = now_ms;
	memcpy(c->opened_by, p->id, strlen(p->id) + 1);
	memcpy(c->assigned[0], p->id, strlen(p->id) + 1);
	c->n_assigned = 1;
	c->consent.version = 1;
	memcpy(c->consent.recorded_by, p->id, strlen(p->id) + 1);
	k.mv_size = client_case_key(key, c->client, id);
	k.mv_data = key;
	audit_case(a, c);
	if ((st = case_put(s, txn, c)) != SK_OK ||
	    (st = consent_put(s, txn, id, &c->consent)) != SK_OK ||
	    (st = sk_db_status(mdb_put(txn, s->client_cases, &k, &d, 0))) != SK_OK ||
	    (st = node_dirty_mark(s, txn, c->client)) != SK_OK)
		return st;
	*case_id = id;
	return SK_OK;
}

sk_status node_case_open(node_store *s, const char *client, const char *as,
			 const node_consent_req *req, uint64_t now_ms, node_case *out)
{
	node_case *c = calloc(1, sizeof(*c));
	node_client *cl = calloc(1, sizeof(*cl));
	node_professional p;
	case_audit a;
	MDB_txn *txn = NULL;
	uint64_t id = 0;
	sk_status st;

	memset(out, 0, sizeof(*out));
	audit_init(&a, "case.open", AUDIT_ACTION_CREATE, as);
	if (c == NULL || cl == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	st = case_open_in(s, txn, client, as, req, now_ms, &a, c, cl, &p, &id);
	if ((st = finish(s, txn, &a, st)) == SK_OK)
		*out = *c;
out:
	node_client_wipe(cl);
	free(cl);
	free(c);
	return st;
}

sk_status node_case_open_txn(node_store *s, MDB_txn *txn, const char *client, const char *as,
			     const node_consent_req *req, uint64_t now_ms, uint64_t *case_id)
{
	node_case *c = calloc(1, sizeof(*c));
	node_client *cl = calloc(1, sizeof(*cl));
	node_professional p;
	case_audit a;
	sk_status st = SK_ERR_NOMEM;

	audit_init(&a, "case.open", AUDIT_ACTION_CREATE, as);
	if (c != NULL && cl != NULL &&
	    (st = case_open_in(s, txn, client, as, req, now_ms, &a, c, cl, &p, case_id)) == SK_OK)
		st = node_audit(s, txn, &a.rec);
	if (cl != NULL)
		node_client_wipe(cl);
	free(cl);
	free(c);
	return st;
}

/* Checks a change to an open case by an assigned professional in txn:
 * the case, the actor and the audit record's fields. */
static sk_status change_in(node_store *s, MDB_txn *txn, uint64_t case_id, const char *as,
			   node_case *c, node_professional *p, case_audit *a)
{
	sk_status st;

	if ((st = actor(s, txn, as, p)) != SK_OK)
		return st;
	snprintf(a->role, sizeof(a->role), "%s", p->role);
	a->rec.role = a->role;
	if ((st = node_case_get(s, txn, case_id, c)) != SK_OK)
		return st;
	audit_case(a, c);
	if (!c->open) {
		sk_error_set("case %llu is closed", (unsigned long long)case_id);
		return SK_ERR_PERM;
	}
	if (!node_case_assigned(c, as)) {
		sk_error_set("%s is not assigned to case %llu; an assigned professional can add "
			     "them with 'case assign'",
			     as, (unsigned long long)case_id);
		return SK_ERR_PERM;
	}
	return SK_OK;
}

/* Begins a change: txn, then change_in. */
static sk_status begin_change(node_store *s, MDB_txn **txn, uint64_t case_id, const char *as,
			      node_case *c, node_professional *p, case_audit *a)
{
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, txn))) != SK_OK)
		return st;
	return change_in(s, *txn, case_id, as, c, p, a);
}

/* The new consent of c (checked by change_in) in txn. */
static sk_status consent_in(node_store *s, MDB_txn *txn, const node_consent_req *req,
			    uint64_t now_ms, case_audit *a, node_case *c, node_client *cl,
			    node_consent *k, const node_professional *p)
{
	sk_status st;

	if ((st = node_client_get(s, txn, c->client, cl)) != SK_OK ||
	    (st = build_consent(s, cl, req, req->basis ? req->basis : c->consent.basis,
				c->consent.reason, now_ms, k)) != SK_OK)
		return st;
	if (c->consent.version == UINT32_MAX)
		return refuse(SK_ERR_TOOBIG, "this case has too many consent versions");
	k->version = c->consent.version + 1;
	memcpy(k->recorded_by, p->id, strlen(p->id) + 1);
	c->consent = *k;
	audit_case(a, c);
	if ((st = case_put(s, txn, c)) != SK_OK || (st = consent_put(s, txn, c->id, k)) != SK_OK)
		return st;
	return node_dirty_mark(s, txn, c->client);
}

/* Closing c (checked by change_in) in txn. */
static sk_status close_in(node_store *s, MDB_txn *txn, uint64_t now_ms, node_case *c,
			  const node_professional *p)
{
	sk_status st;

	c->open = 0;
	c->closed_at = now_ms;
	memcpy(c->closed_by, p->id, strlen(p->id) + 1);
	if ((st = case_put(s, txn, c)) != SK_OK)
		return st;
	return node_dirty_mark(s, txn, c->client);
}

/* The whole change of node_case_consent in txn; a's record filled, not
 * appended; out (may be NULL) the case as changed. */
static sk_status consent_change(node_store *s, MDB_txn *txn, uint64_t case_id, const char *as,
				const node_consent_req *req, uint64_t now_ms, case_audit *a,
				node_case *out)
{
	node_case *c = calloc(1, sizeof(*c));
	node_client *cl = calloc(1, sizeof(*cl));
	node_consent *k = calloc(1, sizeof(*k));
	node_professional p;
	sk_status st = SK_ERR_NOMEM;

	if (c != NULL && cl != NULL && k != NULL &&
	    (st = change_in(s, txn, case_id, as, c, &p, a)) == SK_OK &&
	    (st = consent_in(s, txn, req, now_ms, a, c, cl, k, &p)) == SK_OK && out != NULL)
		*out = *c;
	if (cl != NULL)
		node_client_wipe(cl);
	free(cl);
	free(c);
	free(k);
	return st;
}

/* The same for node_case_close. */
static sk_status close_change(node_store *s, MDB_txn *txn, uint64_t case_id, const char *as,
			      uint64_t now_ms, case_audit *a, node_case *out)
{
	node_case *c = calloc(1, sizeof(*c));
	node_professional p;
	sk_status st = SK_ERR_NOMEM;

	if (c != NULL && (st = change_in(s, txn, case_id, as, c, &p, a)) == SK_OK &&
	    (st = close_in(s, txn, now_ms, c, &p)) == SK_OK && out != NULL)
		*out = *c;
	free(c);
	return st;
}

static void consent_audit_init(case_audit *a, const char *as)
{
	audit_init(a, "case.consent", AUDIT_ACTION_UPDATE, as);
	a->rec.category = "consent";
}

sk_status node_case_consent_txn(node_store *s, MDB_txn *txn, uint64_t case_id, const char *as,
				const node_consent_req *req, uint64_t now_ms, node_case *out)
{
	case_audit a;
	sk_status st;

	consent_audit_init(&a, as);
	if ((st = consent_change(s, txn, case_id, as, req, now_ms, &a, out)) != SK_OK)
		return st;
	return node_audit(s, txn, &a.rec);
}

sk_status node_case_close_txn(node_store *s, MDB_txn *txn, uint64_t case_id, const char *as,
			      uint64_t now_ms, node_case *out)
{
	case_audit a;
	sk_status st;

	audit_init(&a, "case.close", AUDIT_ACTION_UPDATE, as);
	if ((st = close_change(s, txn, case_id, as, now_ms, &a, out)) != SK_OK)
		return st;
	return node_audit(s, txn, &a.rec);
}

sk_status node_case_consent(node_store *s, uint64_t case_id, const char *as,
			    const node_consent_req *req, uint64_t now_ms, node_case *out)
{
	case_audit a;
	MDB_txn *txn = NULL;
	sk_status st;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	consent_audit_init(&a, as);
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	st = consent_change(s, txn, case_id, as, req, now_ms, &a, out);
	if ((st = finish(s, txn, &a, st)) != SK_OK && out != NULL)
		memset(out, 0, sizeof(*out));
	return st;
}

/* Assigning prof to c (checked by change_in) in txn; what holds the
 * audit record's reason. */
static sk_status assign_in(node_store *s, MDB_txn *txn, const char *prof, node_case *c,
			   case_audit *a, char what[static NODE_ID_MAX + 16])
{
	node_professional q;
	sk_status st;

	if ((st = actor(s, txn, prof, &q)) != SK_OK)
		return st;
	snprintf(what, NODE_ID_MAX + 16, "assigned %s", q.id);
	a->rec.reason = what;
	if (node_case_assigned(c, prof)) {
		sk_error_set("%s is already assigned to case %llu", prof, (unsigned long long)c->id);
		return SK_ERR_EXISTS;
	}
	if (c->n_assigned == NODE_ASSIGNED_MAX) {
		sk_error_set("a case has at most %d assigned professionals", NODE_ASSIGNED_MAX);
		return SK_ERR_TOOBIG;
	}
	memcpy(c->assigned[c->n_assigned++], q.id, strlen(q.id) + 1);
	/* the contact sealed in the entry may follow the assignment */
	if ((st = case_put(s, txn, c)) != SK_OK)
		return st;
	return node_dirty_mark(s, txn, c->client);
}

sk_status node_case_assign(node_store *s, uint64_t case_id, const char *prof, const char *as,
			   uint64_t now_ms, node_case *out)
{
	node_case *c = calloc(1, sizeof(*c));
	node_professional p;
	case_audit a;
	char what[NODE_ID_MAX + 16];
	MDB_txn *txn = NULL;
	sk_status st;

	(void)now_ms;
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	audit_init(&a, "case.assign", AUDIT_ACTION_UPDATE, as);
	if (c == NULL)
		return SK_ERR_NOMEM;
	if ((st = begin_change(s, &txn, case_id, as, c, &p, &a)) == SK_OK)
		st = assign_in(s, txn, prof, c, &a, what);
	if (txn != NULL && (st = finish(s, txn, &a, st)) == SK_OK && out != NULL)
		*out = *c;
	free(c);
	return st;
}

sk_status node_case_assign_txn(node_store *s, MDB_txn *txn, uint64_t case_id, const char *prof,
			       const char *as, node_case *out)
{
	node_case *c = calloc(1, sizeof(*c));
	node_professional p;
	case_audit a;
	char what[NODE_ID_MAX + 16];
	sk_status st = SK_ERR_NOMEM;

	audit_init(&a, "case.assign", AUDIT_ACTION_UPDATE, as);
	if (c != NULL && (st = change_in(s, txn, case_id, as, c, &p, &a)) == SK_OK &&
	    (st = assign_in(s, txn, prof, c, &a, what)) == SK_OK &&
	    (st = node_audit(s, txn, &a.rec)) == SK_OK && out != NULL)
		*out = *c;
	free(c);
	return st;
}

sk_status node_case_close(node_store *s, uint64_t case_id, const char *as, uint64_t now_ms,
			  node_case *out)
{
	case_audit a;
	MDB_txn *txn = NULL;
	sk_status st;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	audit_init(&a, "case.close", AUDIT_ACTION_UPDATE, as);
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	st = close_change(s, txn, case_id, as, now_ms, &a, out);
	if ((st = finish(s, txn, &a, st)) != SK_OK && out != NULL)
		memset(out, 0, sizeof(*out));
	return st;
}

/* ---- as JSON ------------------------------------------------------------ */

json_t *node_consent_json(const node_consent *k)
{
	char flags[NODE_FLAGS_TEXT_MAX + 1], exp[NODE_DATE_BYTES + 1] = "-";
	json_t *cl = json_array();
	node_date d;

	node_flags_format(flags, k->flags);
	if (k->expires_at != 0) {
		d = node_date_at(k->expires_at);
		node_date_format(exp, &d);
	}
	for (size_t i = 0; cl != NULL && i < k->n_categories; i++)
		json_array_append_new(cl, json_string(k->categories[i]));
	return json_pack("{s:s,s:s?,s:I,s:s,s:o,s:s,s:I,s:s,s:I,s:s}", "basis",
			 node_basis_name(k->basis), "reason", k->reason[0] ? k->reason : NULL,
			 "consent_version", (json_int_t)k->version, "flags", flags, "categories",
			 cl, "consent_by", node_consent_by_name(k->by), "consent_at",
			 (json_int_t)k->at, "recorded_by", k->recorded_by, "expires_at",
			 (json_int_t)k->expires_at, "expires", exp);
}

json_t *node_case_json(const node_case *c)
{
	json_t *al = json_array(), *j = node_consent_json(&c->consent);

	if (j == NULL || al == NULL) {
		json_decref(j);
		json_decref(al);
		return NULL;
	}
	for (size_t i = 0; i < c->n_assigned; i++)
		json_array_append_new(al, json_string(c->assigned[i]));
	if (
	    json_object_update_new(j, json_pack("{s:I,s:s,s:s,s:I,s:s,s:I,s:s?,s:o}", "id",
						(json_int_t)c->id, "client", c->client, "state",
						c->open ? "open" : "closed", "opened_at",
						(json_int_t)c->opened_at, "opened_by", c->opened_by,
						"closed_at", (json_int_t)c->closed_at, "closed_by",
						c->closed_by[0] ? c->closed_by : NULL, "assigned",
						al)) != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}
