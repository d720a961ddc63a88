#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/db.h"
#include "node/professional.h"
#include "node/textcheck.h"

const char *node_prof_kind_name(node_prof_kind k)
{
	return k == NODE_KIND_PRIVACY_OFFICER ? "privacy-officer" : "professional";
}

sk_status node_prof_kind_parse(node_prof_kind *out, const char *s)
{
	if (s != NULL && strcmp(s, "professional") == 0)
		*out = NODE_KIND_PROFESSIONAL;
	else if (s != NULL && strcmp(s, "privacy-officer") == 0)
		*out = NODE_KIND_PRIVACY_OFFICER;
	else
		return SK_ERR_INVALID;
	return SK_OK;
}

static int phone_valid(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || strchr(" +-()", s[i]) != NULL))
			return 0;
	return n > 0 && n <= NODE_PHONE_MAX;
}

static sk_status bad(const char *why)
{
	sk_error_set("%s", why);
	return SK_ERR_INVALID;
}

static sk_status check(const node_professional *p)
{
	const char *at = strchr(p->email, '@');

	if (!net_cert_id_valid(p->id, NODE_ID_MAX))
		return bad("a professional id must be 1-63 characters of a-z, 0-9, '.' and '-', "
			   "e.g. j.devries");
	if (!node_text_valid(p->name, NODE_NAME_MAX))
		return bad("the name must be 1-128 bytes of text");
	if (!net_cert_id_valid(p->role, NODE_ROLE_MAX))
		return bad("the role must be short: 1-32 characters of a-z, 0-9, '.' and '-', "
			   "e.g. spv, wijkcoach, poh-ggz");
	if (p->phone[0] != '\0' && !phone_valid(p->phone))
		return bad("the phone number may hold digits, spaces and + - ( ) only");
	if (p->email[0] != '\0' && (!node_text_valid(p->email, NODE_EMAIL_MAX) || at == NULL ||
				    at == p->email || at[1] == '\0' || strchr(p->email, ' ')))
		return bad("the e-mail address is not valid");
	if (p->kind != NODE_KIND_PROFESSIONAL && p->kind != NODE_KIND_PRIVACY_OFFICER)
		return bad("the kind must be professional or privacy-officer");
	return SK_OK;
}

static sk_status from_json(node_professional *p, const json_t *o)
{
	memset(p, 0, sizeof(*p));
	node_json_str(p->id, sizeof(p->id), o, "id");
	node_json_str(p->name, sizeof(p->name), o, "name");
	node_json_str(p->role, sizeof(p->role), o, "role");
	node_json_str(p->phone, sizeof(p->phone), o, "phone");
	node_json_str(p->email, sizeof(p->email), o, "email");
	p->created_at = (uint64_t)json_integer_value(json_object_get(o, "created_at"));
	if (node_prof_kind_parse(&p->kind, json_string_value(json_object_get(o, "kind"))) != SK_OK ||
	    p->id[0] == '\0')
		return SK_ERR_DB;
	return SK_OK;
}

sk_status node_professional_add(node_store *s, node_professional *p)
{
	MDB_txn *txn = NULL;
	MDB_val k = {strlen(p->id), p->id}, d;
	audit_record rec = {0};
	char what[NODE_ID_MAX + NODE_ROLE_MAX + 32];
	json_t *o = NULL;
	sk_status st;
	int rc;

	if ((st = check(p)) != SK_OK)
		return st;
	p->created_at = sk_clock_now_ms();
	o = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "v", 1, "id", p->id, "name", p->name,
		      "role", p->role, "phone", p->phone, "email", p->email, "kind",
		      node_prof_kind_name(p->kind), "created_at", (json_int_t)p->created_at);
	if (o == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	if ((rc = mdb_get(txn, s->professionals, &k, &d)) == 0) {
		sk_error_set("a professional with id '%s' already exists", p->id);
		st = SK_ERR_EXISTS;
		goto abort;
	}
	if (rc != MDB_NOTFOUND) {
		st = sk_db_status(rc);
		goto abort;
	}
	rec.event = "professional.add";
	rec.action = AUDIT_ACTION_CREATE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.category = "professional";
	snprintf(what, sizeof(what), "%s %s (%s)", node_prof_kind_name(p->kind), p->id, p->role);
	rec.reason = what;
	if ((st = node_json_put(txn, s->professionals, p->id, strlen(p->id), o)) != SK_OK ||
	    (st = node_audit(s, txn, &rec)) != SK_OK)
		goto abort;
	st = sk_db_status(mdb_txn_commit(txn));
	goto out;
abort:
	mdb_txn_abort(txn);
out:
	json_decref(o);
	return st;
}

sk_status node_professional_get(node_store *s, MDB_txn *txn, const char *id,
				node_professional *out)
{
	json_t *o = NULL;
	sk_status st;

	memset(out, 0, sizeof(*out));
	if (id == NULL || !net_cert_id_valid(id, NODE_ID_MAX)) {
		sk_error_set("'%.64s' is not a professional id", id != NULL ? id : "");
		return SK_ERR_NOTFOUND;
	}
	st = node_json_get(txn, s->professionals, id, strlen(id), &o);
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("unknown professional '%s'; add it with 'schakel-node professional add'",
			     id);
	if (st == SK_OK)
		st = from_json(out, o);
	json_decref(o);
	return st;
}

sk_status node_professional_scan(node_store *s, MDB_txn *txn, node_professional_fn fn, void *arg)
{
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	node_professional p;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_cursor_open(txn, s->professionals, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		json_t *o = d.mv_size <= NODE_RECORD_MAX
				    ? json_loadb(d.mv_data, d.mv_size, JSON_REJECT_DUPLICATES, NULL)
				    : NULL;

		st = o != NULL ? from_json(&p, o) : SK_ERR_DB;
		json_decref(o);
		if (st == SK_OK)
			st = fn(&p, arg);
	}
	if (st == SK_OK && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}
