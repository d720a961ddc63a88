#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "crypto/seal.h"
#include "node/case.h"
#include "node/client.h"
#include "node/enckeys.h"
#include "node/entry.h"
#include "node/token.h"
#include "node/members.h"
#include "node/professional.h"
#include "node/publish.h"
#include "node/session_int.h"
#include "node/table.h"
#include "node/tablecase.h"
#include "node/textcheck.h"

/* ---- the intake file -------------------------------------------------------- */

enum { F_QUESTION, F_DOMAINS, F_URGENCY, F_TRIED, F_PARTIES, F_N };

static const struct {
	const char *nl, *en;
} headings[F_N] = {
	[F_QUESTION] = {"vraag", "question"},
	[F_DOMAINS] = {"leefgebieden", "life domains"},
	[F_URGENCY] = {"urgentie", "urgency"},
	[F_TRIED] = {"geprobeerd", "tried"},
	[F_PARTIES] = {"betrokken", "parties"},
};

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

/* The heading a line starts with ("Vraag:"), or -1; *rest after the colon. */
static int heading(char *line, char **rest)
{
	char *colon = strchr(line, ':');

	if (colon == NULL)
		return -1;
	for (int f = 0; f < F_N; f++) {
		size_t nl = strlen(headings[f].nl), en = strlen(headings[f].en);
		size_t n = (size_t)(colon - line);

		if ((n == nl && strncasecmp(line, headings[f].nl, nl) == 0) ||
		    (n == en && strncasecmp(line, headings[f].en, en) == 0)) {
			*rest = colon + 1;
			return f;
		}
	}
	return -1;
}

/* Splits a comma list in place into out (at most max). */
static sk_status split(char *s, const char **out, size_t *n, const char *what)
{
	char *save = NULL, *w;

	*n = 0;
	for (w = strtok_r(s, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
		w = trim(w);
		if (*w == 0)
			continue;
		if (*n == WIRE_TABLE_CASE_LIST_MAX) {
			sk_error_set("intake: more than %d %s", WIRE_TABLE_CASE_LIST_MAX, what);
			return SK_ERR_INVALID;
		}
		for (char *c = w; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		out[(*n)++] = w;
	}
	return SK_OK;
}

static int listed(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

sk_status node_intake_parse(char *text, node_intake *out)
{
	char *field[F_N] = {0}, *line, *next;
	int cur = -1;
	sk_status st;

	memset(out, 0, sizeof(*out));
	/* each heading's text runs on until the next heading: the lines are
	 * joined in place, a newline between them */
	for (line = text; line != NULL && *line; line = next) {
		char *rest;
		int f;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = 0;
		if ((f = heading(line, &rest)) >= 0) {
			if (field[f] != NULL) {
				sk_error_set("intake: the heading '%s:' appears twice", headings[f].nl);
				return SK_ERR_INVALID;
			}
			field[f] = rest;
			cur = f;
		} else if (cur >= 0) {
			/* a continuation: close the gap to the previous line */
			size_t have = strlen(field[cur]);

			field[cur][have] = '\n';
			memmove(field[cur] + have + 1, line, strlen(line) + 1);
		} else if (*trim(line) != 0) {
			sk_error_set("intake: text before the first heading (Vraag:, Leefgebieden:, "
				     "Urgentie:, Geprobeerd:, Betrokken:)");
			return SK_ERR_INVALID;
		}
	}
	for (int f = 0; f < F_N; f++)
		if (field[f] != NULL)
			field[f] = trim(field[f]);
	if (field[F_QUESTION] == NULL || *field[F_QUESTION] == 0) {
		sk_error_set("intake: 'Vraag:' (the question to the table) is required");
		return SK_ERR_INVALID;
	}
	if (field[F_URGENCY] == NULL || *field[F_URGENCY] == 0) {
		sk_error_set("intake: 'Urgentie:' is required: hoog, gemiddeld or laag");
		return SK_ERR_INVALID;
	}
	for (char *c = field[F_URGENCY]; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (!listed(wire_table_urgencies, field[F_URGENCY])) {
		sk_error_set("intake: 'Urgentie:' is hoog, gemiddeld or laag, not '%s'",
			     field[F_URGENCY]);
		return SK_ERR_INVALID;
	}
	out->question = field[F_QUESTION];
	out->urgency = field[F_URGENCY];
	out->tried = field[F_TRIED] != NULL && *field[F_TRIED] ? field[F_TRIED] : NULL;
	if (field[F_DOMAINS] != NULL &&
	    (st = split(field[F_DOMAINS], out->domains, &out->n_domains, "life domains")) != SK_OK)
		return st;
	for (size_t i = 0; i < out->n_domains; i++)
		if (!listed(wire_table_domains, out->domains[i])) {
			sk_error_set("intake: '%s' is not a life domain (see --help)", out->domains[i]);
			return SK_ERR_INVALID;
		}
	if (field[F_PARTIES] != NULL &&
	    (st = split(field[F_PARTIES], out->parties, &out->n_parties, "parties")) != SK_OK)
		return st;
	if (strlen(out->question) > WIRE_TABLE_CASE_TEXT_MAX ||
	    (out->tried != NULL && strlen(out->tried) > WIRE_TABLE_CASE_TEXT_MAX)) {
		sk_error_set("intake: the question and what was tried are at most %d bytes each",
			     WIRE_TABLE_CASE_TEXT_MAX);
		return SK_ERR_INVALID;
	}
	return SK_OK;
}

int node_intake_check(const node_intake *in)
{
	node_text_verdict a = node_text_check(in->question, strlen(in->question), NULL);
	node_text_verdict b = in->tried ? node_text_check(in->tried, strlen(in->tried), NULL)
					: NODE_TEXT_OK;

	/* the most serious: BSN before date before address (their order) */
	if (a == NODE_TEXT_OK)
		return b;
	if (b == NODE_TEXT_OK)
		return a;
	return a < b ? a : b;
}

/* ---- kept at the node ---------------------------------------------------------- */

static sk_status case_put(node_store *s, MDB_txn *txn, const char *hex, const json_t *c)
{
	char *text = json_dumps(c, JSON_COMPACT);
	uint8_t *sealed = NULL;
	size_t len;
	MDB_val k = {NODE_TABLE_CASE_HEX - 1, (void *)hex}, v;
	sk_status st;

	if (text == NULL)
		return SK_ERR_NOMEM;
	len = strlen(text);
	if ((sealed = malloc(SEAL_AEAD_BYTES(len))) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = seal_aead_encrypt(sealed, WIRE_DOMAIN_TABLE_CASE_AT_REST, (const uint8_t *)hex,
				    NODE_TABLE_CASE_HEX - 1, (uint8_t *)text, len, s->data_key)) !=
	    SK_OK)
		goto out;
	v = (MDB_val){SEAL_AEAD_BYTES(len), sealed};
	st = sk_db_status(mdb_put(txn, s->table_cases, &k, &v, 0));
out:
	sodium_memzero(text, len);
	free(text);
	free(sealed);
	return st;
}

static sk_status case_open(node_store *s, const MDB_val *k, const MDB_val *v, json_t **out)
{
	uint8_t *plain;
	size_t n = 0;
	sk_status st;

	*out = NULL;
	if (v->mv_size < SEAL_AEAD_OVERHEAD || (plain = malloc(v->mv_size)) == NULL)
		return v->mv_size < SEAL_AEAD_OVERHEAD ? SK_ERR_DB : SK_ERR_NOMEM;
	if ((st = seal_aead_decrypt(plain, &n, WIRE_DOMAIN_TABLE_CASE_AT_REST, k->mv_data,
				    k->mv_size, v->mv_data, v->mv_size, s->data_key)) == SK_OK &&
	    (*out = json_loadb((const char *)plain, n, 0, NULL)) == NULL)
		st = SK_ERR_DB;
	sodium_memzero(plain, v->mv_size);
	free(plain);
	return st;
}

sk_status node_table_case_get(node_store *s, MDB_txn *txn, const char *case_hex, json_t **out)
{
	MDB_val k, v;
	int rc;

	*out = NULL;
	if (case_hex == NULL || strlen(case_hex) != NODE_TABLE_CASE_HEX - 1)
		return SK_ERR_NOTFOUND;
	k = (MDB_val){NODE_TABLE_CASE_HEX - 1, (void *)case_hex};
	if ((rc = mdb_get(txn, s->table_cases, &k, &v)) == MDB_NOTFOUND)
		return SK_ERR_NOTFOUND;
	if (rc != 0)
		return sk_db_status(rc);
	return case_open(s, &k, &v, out);
}

sk_status node_table_case_scan(node_store *s, MDB_txn *txn, const char *table,
			       node_table_case_fn fn, void *arg)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_cursor_open(txn, s->table_cases, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		json_t *c = NULL;
		const char *t;

		if ((st = case_open(s, &k, &v, &c)) != SK_OK)
			break;
		t = json_string_value(json_object_get(c, "table"));
		if (table == NULL || (t != NULL && strcmp(t, table) == 0))
			st = fn(c, arg);
		json_decref(c);
	}
	mdb_cursor_close(cur);
	return st;
}

/* The JSON kept for a case: its body's fields and where it came from. */
static json_t *case_json(const char *hex, const char *table, const char *from,
			 const char *from_name, uint64_t time, int mine,
			 const Schakel__V1__TableCaseBody *b)
{
	json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:I,s:b,s:s,s:s,s:s?,s:[],s:[],s:{s:s,s:s,s:s?,s:s?,s:s?}}",
			      "id", hex, "table", table, "from", from, "from_name", from_name,
			      "time", (json_int_t)time, "mine", mine, "question", b->question,
			      "urgency", b->urgency, "tried", b->tried, "domains", "parties",
			      "submitter", "professional", b->professional, "name", b->name,
			      "role", b->role, "phone", b->phone, "email", b->email);

	for (size_t i = 0; c != NULL && i < b->n_domains; i++)
		json_array_append_new(json_object_get(c, "domains"), json_string(b->domains[i]));
	for (size_t i = 0; c != NULL && i < b->n_parties; i++)
		json_array_append_new(json_object_get(c, "parties"), json_string(b->parties[i]));
	if (c != NULL) {
		json_t *p = json_array();

		for (size_t i = 0; i < b->n_participants; i++)
			json_array_append_new(p, json_string(b->participants[i]));
		json_object_set_new(c, "participants", p);
		json_object_set_new(c, "thread", json_array());
		json_object_set_new(c, "seq_in", json_object());
		json_object_set_new(c, "seq_out", json_integer(0));
	}
	return c;
}

/* ---- bringing a case ------------------------------------------------------------- */

struct consent_scan {
	const char *prof;
	uint64_t now;
	int assigned, consent;
};

static sk_status consent_one(const node_case *c, void *arg)
{
	struct consent_scan *k = arg;

	if (c->open && c->consent.basis == NODE_BASIS_CONSENT &&
	    (c->consent.flags & NODE_FLAG_DISCUSS) != 0 && c->consent.expires_at > k->now)
		k->consent = 1;
	return SK_OK;
}

static void audit_now(node_store *s, const char *event, const char *prof, const char *role,
		      const char *table, const char *case_hex, const char *client,
		      const char *reason)
{
	audit_record rec = {0};
	char what[48], why[256];

	snprintf(what, sizeof(what), "table:%s", table ? table : "-");
	if (reason != NULL)
		snprintf(why, sizeof(why), "%s", reason);
	rec.event = event;
	rec.action = AUDIT_ACTION_CREATE;
	rec.outcome = reason == NULL ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_DENIED;
	rec.reason = reason == NULL ? NULL : why;
	rec.user = prof;
	rec.role = role;
	rec.category = what;
	rec.correlation_id = case_hex;
	rec.client = client;
	if (node_audit_commit(s, &rec) != SK_OK)
		sk_log(SK_LOG_WARNING, "tables: %s could not be audited", event);
	if (reason != NULL)
		sk_error_set("%s", why);
}

/* prof may attach client's tag: assigned to an open case of the client
 * with consent (not a statutory basis) to case discussion, live now. */
static sk_status consent_check(node_store *s, MDB_txn *txn, const char *ref, const char *prof,
			       char client[static NODE_CLIENT_ID_MAX + 1])
{
	struct consent_scan c = {prof, sk_clock_now_ms(), 0, 0};
	sk_status st;

	if ((st = node_client_resolve(s, txn, ref, client)) != SK_OK) {
		sk_error_set("no such client at this organisation");
		return st;
	}
	if ((st = node_case_assigned_open(s, txn, client, prof, &c.assigned)) != SK_OK)
		return st;
	if (!c.assigned) {
		sk_error_set("%s is not assigned to an open case of this client", prof);
		return SK_ERR_PERM;
	}
	if ((st = node_case_scan(s, txn, client, consent_one, &c)) != SK_OK)
		return st;
	if (!c.consent) {
		sk_error_set("zonder toestemming van de cliënt voor casusoverleg gaat er niets van de "
			     "cliënt naar de casustafel; breng de casus in zonder --client / without "
			     "the client's consent to case discussion nothing of the client goes to "
			     "the table; bring the case without --client");
		return SK_ERR_PERM;
	}
	return SK_OK;
}

sk_status node_table_client_check(node_store *s, MDB_txn *txn, const char *ref, const char *prof)
{
	char client[NODE_CLIENT_ID_MAX + 1];
	sk_status st = consent_check(s, txn, ref, prof, client);

	sodium_memzero(client, sizeof(client));
	return st;
}

sk_status node_table_submit(node_remote *r, const char *table, const char *prof,
			    const node_intake *in, int confirmed, const char *client_ref,
			    char case_hex[static NODE_TABLE_CASE_HEX])
{
	Schakel__V1__TableCaseBody b = SCHAKEL__V1__TABLE_CASE_BODY__INIT;
	Schakel__V1__TableSubmit req = SCHAKEL__V1__TABLE_SUBMIT__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	Schakel__V1__TableSealed items[WIRE_TABLE_ORGS_MAX], *ptrs[WIRE_TABLE_ORGS_MAX];
	uint8_t *sealed[WIRE_TABLE_ORGS_MAX] = {0}, *body = NULL;
	uint8_t case_id[WIRE_TABLE_CASE_ID_BYTES], ctx[WIRE_TABLE_CASE_CONTEXT_BYTES];
	Schakel__V1__TableCaseBody *check = NULL;
	node_store *s = r->s;
	node_professional p;
	wire_table *t = calloc(1, sizeof(*t));
	MDB_txn *txn = NULL;
	json_t *mine = NULL;
	size_t n = 0, blen = 0, ntab, nrej;
	char client[NODE_CLIENT_ID_MAX + 1] = "";
	const char *parts[WIRE_TABLE_ORGS_MAX + 1];
	size_t n_parts = 0;
	uint8_t tag[WIRE_TABLE_TAG_BYTES];
	int verdict;
	sk_status st;

	if (t == NULL)
		return SK_ERR_NOMEM;
	randombytes_buf(case_id, sizeof(case_id));
	sodium_bin2hex(case_hex, NODE_TABLE_CASE_HEX, case_id, sizeof(case_id));
	/* what the text may hold first: nothing is sent or kept otherwise */
	verdict = node_intake_check(in);
	if (verdict == NODE_TEXT_BSN || (verdict != NODE_TEXT_OK && !confirmed)) {
		audit_now(s, "table.submit", prof, NULL, table, case_hex, NULL,
			  node_text_verdict_msg((node_text_verdict)verdict));
		st = SK_ERR_PERM;
		goto out;
	}
	if ((st = node_table_sync(r, &ntab, &nrej)) != SK_OK)
		goto out;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	st = node_professional_get(s, txn, prof, &p);
	if (st == SK_OK && p.kind != NODE_KIND_PROFESSIONAL)
		st = SK_ERR_NOTFOUND;
	if (st == SK_ERR_NOTFOUND) {
		mdb_txn_abort(txn);
		txn = NULL;
		sk_error_set("there is no professional %s at this organisation", prof);
		audit_now(s, "table.submit", prof, NULL, table, case_hex, NULL, sk_error_detail());
		st = SK_ERR_NOTFOUND;
		goto out;
	}
	if (st == SK_OK && (st = node_table_get(s, txn, table, t)) == SK_ERR_NOTFOUND)
		sk_error_set("there is no table %s that this organisation may see", table);
	else if (st == SK_OK && !t->open && wire_table_org(t, s->org_id) != WIRE_TABLE_MEMBER) {
		sk_error_set("only members bring cases to table %s (it is not open)", table);
		st = SK_ERR_PERM;
	}
	/* the client's tag only with consent to case discussion: nothing of
	 * the client is touched otherwise */
	if (st == SK_OK && client_ref != NULL)
		st = consent_check(s, txn, client_ref, prof, client);
	if (st != SK_OK) {
		mdb_txn_abort(txn);
		txn = NULL;
		if (st == SK_ERR_NOTFOUND || st == SK_ERR_PERM)
			audit_now(s, "table.submit", prof, p.role, table, case_hex,
				  client[0] ? client : NULL, sk_error_detail());
		goto out;
	}
	if (client_ref != NULL) {
		uint8_t token[BSN_TOKEN_BYTES], ck[BSN_CONTACT_KEY_BYTES];

		mdb_txn_abort(txn);
		txn = NULL;
		st = node_remote_token(r, client, node_remote_epoch(r), token, ck);
		sodium_memzero(ck, sizeof(ck));
		if (st == SK_OK)
			wire_table_tag(tag, token, table, case_id);
		sodium_memzero(token, sizeof(token));
		if (st != SK_OK ||
		    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
			goto out;
		b.has_match_tag = 1;
		b.match_tag = (ProtobufCBinaryData){sizeof(tag), tag};
		b.has_tag_epoch = 1;
		b.tag_epoch = node_remote_epoch(r);
	}
	b.question = (char *)in->question;
	b.urgency = (char *)in->urgency;
	b.tried = (char *)in->tried;
	b.domains = (char **)in->domains;
	b.n_domains = in->n_domains;
	b.parties = (char **)in->parties;
	b.n_parties = in->n_parties;
	b.professional = (char *)prof;
	b.name = p.name;
	b.role = p.role[0] ? p.role : NULL;
	b.phone = p.phone[0] ? p.phone : NULL;
	b.email = p.email[0] ? p.email : NULL;
	/* the participants: us and each current member */
	parts[n_parts++] = s->org_id;
	for (size_t i = 0; i < t->n_orgs; i++)
		if (t->orgs[i].state == WIRE_TABLE_MEMBER && strcmp(t->orgs[i].id, s->org_id) != 0)
			parts[n_parts++] = t->orgs[i].id;
	b.participants = (char **)parts;
	b.n_participants = n_parts;
	blen = schakel__v1__table_case_body__get_packed_size(&b);
	if ((body = malloc(blen ? blen : 1)) == NULL) {
		st = SK_ERR_NOMEM;
		goto abort;
	}
	schakel__v1__table_case_body__pack(&b, body);
	/* the rules every member applies, here first */
	if ((st = wire_table_case_parse(&check, body, blen)) != SK_OK)
		goto abort;
	wire_table_case_context(ctx, table, case_id);
	for (size_t i = 0; i < t->n_orgs && st == SK_OK; i++) {
		const char *to = t->orgs[i].id;
		uint8_t pk[KEY_X25519_PK_BYTES];
		node_member m;

		if (t->orgs[i].state != WIRE_TABLE_MEMBER || strcmp(to, s->org_id) == 0)
			continue;
		if ((st = node_members_get(s, txn, to, &m)) != SK_OK ||
		    (st = node_member_enc_key(&m, sk_clock_now_ms() / 1000, pk)) != SK_OK) {
			sk_error_set("member %s of the table has no encryption key yet; try again "
				     "after its next sync", to);
			st = SK_ERR_NOTFOUND;
			break;
		}
		if ((sealed[n] = malloc(SEAL_SIGNED_BYTES(blen))) == NULL) {
			st = SK_ERR_NOMEM;
			break;
		}
		if ((st = seal_signed(sealed[n], WIRE_DOMAIN_TABLE, (const uint8_t *)to, strlen(to),
				      ctx, sizeof(ctx), body, blen, pk, r->id->sk)) != SK_OK)
			break;
		items[n] = (Schakel__V1__TableSealed)SCHAKEL__V1__TABLE_SEALED__INIT;
		items[n].recipient = (char *)to;
		items[n].sealed = (ProtobufCBinaryData){SEAL_SIGNED_BYTES(blen), sealed[n]};
		ptrs[n] = &items[n];
		n++;
	}
	if (st == SK_OK && n == 0) {
		sk_error_set("table %s has no other member to bring a case to", table);
		st = SK_ERR_NOTFOUND;
	}
abort:
	mdb_txn_abort(txn);
	txn = NULL;
	if (st != SK_OK)
		goto out;
	req.table_id = (char *)table;
	req.case_id = (ProtobufCBinaryData){sizeof(case_id), case_id};
	req.n_sealed = n;
	req.sealed = ptrs;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_TABLE_SUBMIT;
	env.table_submit = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_TABLE_SUBMITTED, &reply)) !=
	    SK_OK) {
		audit_now(s, "table.submit", prof, p.role, table, case_hex,
			  client[0] ? client : NULL, sk_error_detail());
		goto out;
	}
	/* our own copy, and the audit record, in one transaction */
	if ((mine = case_json(case_hex, table, s->org_id, s->org_id, reply->table_submitted->time, 1,
			      check)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) == SK_OK) {
		audit_record rec = {0};
		char what[48];

		snprintf(what, sizeof(what), "table:%s", table);
		rec.event = "table.submit";
		rec.action = AUDIT_ACTION_CREATE;
		rec.outcome = AUDIT_OUTCOME_OK;
		rec.user = prof;
		rec.role = p.role;
		rec.category = what;
		rec.correlation_id = case_hex;
		rec.client = client[0] ? client : NULL;
		if (client[0])
			json_object_set_new(mine, "client", json_string(client));
		{
			node_member me; /* our own display name, as partners see it */

			if (node_members_get(s, txn, s->org_id, &me) == SK_OK && me.name[0])
				json_object_set_new(mine, "from_name", json_string(me.name));
		}
		if ((st = case_put(s, txn, case_hex, mine)) == SK_OK &&
		    (st = node_audit(s, txn, &rec)) == SK_OK)
			st = sk_db_status(mdb_txn_commit(txn));
		else
			mdb_txn_abort(txn);
		txn = NULL;
	}
out:
	mdb_txn_abort(txn);
	json_decref(mine);
	wire_envelope_free(reply);
	schakel__v1__table_case_body__free_unpacked(check, NULL);
	for (size_t i = 0; i < n; i++)
		free(sealed[i]);
	if (body != NULL) {
		sodium_memzero(body, blen);
		free(body);
	}
	sodium_memzero(tag, sizeof(tag));
	free(t);
	return st;
}

/* ---- cases that reach us ----------------------------------------------------------- */

struct open_scan {
	int open;
};

static sk_status open_one(const node_case *c, void *arg)
{
	if (c->open)
		((struct open_scan *)arg)->open = 1;
	return SK_OK;
}

sk_status node_table_tag_match(node_store *s, MDB_txn *txn, const uint8_t *tag, uint32_t epoch,
			       const char *table, const uint8_t *case_id,
			       char client[static NODE_CLIENT_ID_MAX + 1])
{
	uint8_t mine[WIRE_TABLE_TAG_BYTES];
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	sk_status st;
	int rc, found = 0;

	/* every token of ours under the tag's epoch (token || u32be(epoch) ->
	 * client): one HMAC each */
	if ((st = sk_db_status(mdb_cursor_open(txn, s->token_index, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !found;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct open_scan o = {0};

		if (k.mv_size != BSN_TOKEN_BYTES + 4 ||
		    sk_be32_get((const uint8_t *)k.mv_data + BSN_TOKEN_BYTES) != epoch ||
		    v.mv_size == 0 || v.mv_size > NODE_CLIENT_ID_MAX)
			continue;
		wire_table_tag(mine, k.mv_data, table, case_id);
		if (sodium_memcmp(mine, tag, sizeof(mine)) != 0)
			continue;
		memcpy(client, v.mv_data, v.mv_size);
		client[v.mv_size] = 0;
		/* a client of ours with an open case only */
		if ((st = node_case_scan(s, txn, client, open_one, &o)) != SK_OK)
			break;
		found = o.open;
	}
	mdb_cursor_close(cur);
	sodium_memzero(mine, sizeof(mine));
	if (st != SK_OK)
		return st;
	if (!found) {
		client[0] = 0;
		return SK_ERR_NOTFOUND;
	}
	return SK_OK;
}

json_t *node_table_case_shown(node_store *s, MDB_txn *txn, const json_t *c, const char *prof)
{
	json_t *out = json_deep_copy(c), *sg;
	const char *client = json_string_value(json_object_get(c, "client"));
	size_t i;
	int yes = 0;

	/* each subgroup's orgs by their display names too */
	json_array_foreach(json_object_get(out, "subgroups"), i, sg) {
		json_t *names = json_array(), *o;
		size_t k;

		json_array_foreach(json_object_get(sg, "orgs"), k, o) {
			node_member m;
			const char *id = json_string_value(o);

			json_array_append_new(names, json_string(
				id != NULL && node_members_get(s, txn, id, &m) == SK_OK && m.name[0]
					? m.name : id ? id : "?"));
		}
		json_object_set_new(sg, "org_names", names);
	}
	if (out == NULL || client == NULL)
		return out;
	if (prof == NULL || node_case_assigned_open(s, txn, client, prof, &yes) != SK_OK || !yes) {
		json_object_del(out, "client");
		return out;
	}
	/* at the submitter the client is the one it was brought with, no match */
	if (!json_is_true(json_object_get(c, "mine")))
		json_object_set_new(out, "involved", json_true());
	return out;
}

/* Empties the inbox item of a case taken: its ciphertext (and so the
 * tag in it) is gone from this node; the item and its seq stay. */
static sk_status inbox_strip(node_store *s, MDB_txn *txn, uint64_t at,
			     const Schakel__V1__MailboxItem *it)
{
	Schakel__V1__MailboxItem copy = *it;
	uint8_t key[8], *buf;
	MDB_val k = {8, key}, v;
	sk_status st;

	copy.has_sealed = 0;
	copy.sealed = (ProtobufCBinaryData){0, NULL};
	sk_be64_put(key, at);
	if ((buf = malloc(schakel__v1__mailbox_item__get_packed_size(&copy) + 1)) == NULL)
		return SK_ERR_NOMEM;
	v = (MDB_val){schakel__v1__mailbox_item__pack(&copy, buf), buf};
	st = sk_db_status(mdb_put(txn, s->inbox, &k, &v, 0));
	free(buf);
	return st;
}

struct take {
	node_remote *r;
	key_x25519 *keys;
	size_t n_keys;
	size_t taken, rejected;
	uint64_t at; /* the inbox key of the item being taken */
	char regie[16][NODE_CLIENT_ID_MAX + 1]; /* clients to republish with regie */
	size_t n_regie;
};

static sk_status take_message(struct take *c, MDB_txn *txn, const Schakel__V1__MailboxItem *it);

static sk_status reject(struct take *c, MDB_txn *txn, const Schakel__V1__MailboxItem *it,
			const char *case_hex, const char *why)
{
	audit_record rec = {0};
	char what[48];

	snprintf(what, sizeof(what), "table:%s", it->table_id ? it->table_id : "-");
	sk_log(SK_LOG_WARNING, "tables: refused a case from %s: %s",
	       it->counterpart ? it->counterpart : "?", why);
	c->rejected++;
	rec.event = "table.receive";
	rec.action = AUDIT_ACTION_CREATE;
	rec.outcome = AUDIT_OUTCOME_DENIED;
	rec.reason = why;
	rec.access_point = "registry";
	rec.category = what;
	rec.correlation_id = case_hex;
	rec.counterpart = it->counterpart != NULL && node_text_valid(it->counterpart, 63)
				  ? it->counterpart
				  : NULL;
	return node_audit(c->r->s, txn, &rec);
}

/* it's sealed copy, opened with whichever of our encryption keys it was
 * sealed to and checked under the sender's identity key. */
static sk_status item_open(const struct take *c, const char *domain, const uint8_t *ctx,
			   size_t ctx_len, const Schakel__V1__MailboxItem *it,
			   const uint8_t *sender_pk, uint8_t *plain, size_t *plen)
{
	const char *me = c->r->s->org_id;
	sk_status st = SK_ERR_VERIFY;

	for (size_t i = 0; i < c->n_keys && st != SK_OK; i++)
		st = seal_signed_open(plain, plen, domain, (const uint8_t *)me, strlen(me), ctx,
				      ctx_len, it->sealed.data, it->sealed.len, &c->keys[i],
				      sender_pk);
	return st;
}

static sk_status take_case(struct take *c, MDB_txn *txn, const Schakel__V1__MailboxItem *it)
{
	node_store *s = c->r->s;
	Schakel__V1__TableCaseBody *b = NULL;
	uint8_t ctx[WIRE_TABLE_CASE_CONTEXT_BYTES], *plain = NULL;
	char hex[NODE_TABLE_CASE_HEX] = "-";
	size_t plen = 0;
	node_member m;
	json_t *rec = NULL;
	audit_record ar = {0};
	char what[48];
	MDB_val k, v;
	sk_status st;

	if (!it->has_sealed || it->sealed.len <= SEAL_SIGNED_OVERHEAD)
		return SK_OK; /* purged at the registry before we read it */
	if (it->table_id == NULL || strlen(it->table_id) != WIRE_TABLE_ID_HEX ||
	    !it->has_table_case_id || it->table_case_id.len != WIRE_TABLE_CASE_ID_BYTES ||
	    it->sealed.len > WIRE_TABLE_SEALED_MAX || it->counterpart == NULL)
		return reject(c, txn, it, NULL, "the case item is malformed");
	sodium_bin2hex(hex, sizeof(hex), it->table_case_id.data, WIRE_TABLE_CASE_ID_BYTES);
	k = (MDB_val){NODE_TABLE_CASE_HEX - 1, hex};
	if (mdb_get(txn, s->table_cases, &k, &v) == 0)
		return reject(c, txn, it, hex, "a case with this id reached us already");
	if ((st = node_members_get(s, txn, it->counterpart, &m)) == SK_ERR_NOTFOUND || m.revoked)
		return reject(c, txn, it, hex, "the submitter is not a live member");
	if (st != SK_OK)
		return st;
	if ((plain = malloc(it->sealed.len)) == NULL)
		return SK_ERR_NOMEM;
	wire_table_case_context(ctx, it->table_id, it->table_case_id.data);
	if ((st = item_open(c, WIRE_DOMAIN_TABLE, ctx, sizeof(ctx), it, m.identity_pk, plain,
			    &plen)) != SK_OK) {
		st = reject(c, txn, it, hex,
			    "it does not open or its signature does not verify: not sealed to us "
			    "for this table case, or not signed by the submitter");
		goto out;
	}
	if (wire_table_case_parse(&b, plain, plen) != SK_OK) {
		st = reject(c, txn, it, hex, "the case is malformed");
		goto out;
	}
	if ((rec = case_json(hex, it->table_id, it->counterpart, m.name[0] ? m.name : it->counterpart,
			     it->time, 0, b)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	/* the tag, if any: matched against our own tokens, never kept */
	if (b->has_match_tag) {
		char client[NODE_CLIENT_ID_MAX + 1];

		st = node_table_tag_match(s, txn, b->match_tag.data, b->tag_epoch, it->table_id,
					  it->table_case_id.data, client);
		if (st == SK_OK) {
			audit_record ir = {0};

			json_object_set_new(rec, "client", json_string(client));
			snprintf(what, sizeof(what), "table:%s", it->table_id);
			ir.event = "table.involved";
			ir.action = AUDIT_ACTION_READ;
			ir.outcome = AUDIT_OUTCOME_OK;
			ir.access_point = "registry";
			ir.client = client;
			ir.category = what;
			ir.correlation_id = hex;
			ir.counterpart = it->counterpart;
			if ((st = node_audit(s, txn, &ir)) != SK_OK)
				goto out;
		} else if (st != SK_ERR_NOTFOUND) {
			goto out;
		}
		sodium_memzero(b->match_tag.data, b->match_tag.len);
	}
	if ((st = case_put(s, txn, hex, rec)) != SK_OK || (st = inbox_strip(s, txn, c->at, it)) != SK_OK)
		goto out;
	snprintf(what, sizeof(what), "table:%s", it->table_id);
	ar.event = "table.receive";
	ar.action = AUDIT_ACTION_CREATE;
	ar.outcome = AUDIT_OUTCOME_OK;
	ar.access_point = "registry";
	ar.category = what;
	ar.correlation_id = hex;
	ar.counterpart = it->counterpart;
	if ((st = node_audit(s, txn, &ar)) == SK_OK)
		c->taken++;
out:
	json_decref(rec);
	schakel__v1__table_case_body__free_unpacked(b, NULL);
	sodium_memzero(plain, it->sealed.len);
	free(plain);
	return st;
}

sk_status node_table_cases_take(node_remote *r, size_t *taken, size_t *rejected)
{
	struct take c = {.r = r};
	node_store *s = r->s;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	uint64_t cursor, seq;
	sk_status st;
	int rc;

	*taken = *rejected = 0;
	if ((c.keys = sodium_malloc(NODE_ENC_LIVE_MAX * sizeof(*c.keys))) == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	if ((st = node_meta_u64(s, txn, "table.cursor", 0, &cursor)) != SK_OK ||
	    (st = node_enc_keys_load(s, txn, sk_clock_now_ms() / 1000, c.keys, &c.n_keys)) !=
		    SK_OK ||
	    (st = sk_db_status(mdb_cursor_open(txn, s->inbox, &cur))) != SK_OK)
		goto abort;
	sk_be64_put(kb, cursor + 1);
	/* local keys (node/inboxkey.h), in the order the items came */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Schakel__V1__MailboxItem *it;

		if (k.mv_size != 8)
			break;
		c.at = seq = sk_be64_get(k.mv_data);
		if ((it = schakel__v1__mailbox_item__unpack(NULL, v.mv_size, v.mv_data)) == NULL) {
			st = SK_ERR_DB;
			break;
		}
		if (it->kind == SCHAKEL__V1__MAILBOX_KIND__MAILBOX_TABLE_CASE)
			st = take_case(&c, txn, it);
		else if (it->kind == SCHAKEL__V1__MAILBOX_KIND__MAILBOX_TABLE_MESSAGE)
			st = take_message(&c, txn, it);
		schakel__v1__mailbox_item__free_unpacked(it, NULL);
		cursor = seq;
	}
	mdb_cursor_close(cur);
	cur = NULL;
	if (st == SK_OK)
		st = node_meta_u64_put(s, txn, "table.cursor", cursor);
abort:
	mdb_cursor_close(cur);
	if (st == SK_OK)
		st = sk_db_status(mdb_txn_commit(txn));
	else
		mdb_txn_abort(txn);
	/* the regievoerder's entries carry the flag from now on */
	for (size_t i = 0; st == SK_OK && i < c.n_regie; i++)
		st = node_remote_publish(r, c.regie[i]);
out:
	*taken = c.taken;
	*rejected = c.rejected;
	sodium_memzero(c.keys, NODE_ENC_LIVE_MAX * sizeof(*c.keys));
	sodium_free(c.keys);
	return st;
}

/* ---- regie: messages in a table case ----------------------------------------------- */

/* The parts of a message shown in a case's thread. */
static json_t *msg_json(const char *from, const char *from_name, uint64_t time, uint64_t seq,
			const Schakel__V1__TableMessageBody *b)
{
	static const char *kinds[] = {"", "text", "schedule", "invite", "outcome", "subgroup"};
	json_t *m = json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:s?}", "from",
			      from, "from_name", from_name, "time", (json_int_t)time, "seq",
			      (json_int_t)seq, "kind",
			      b->kind >= 1 && b->kind <= 5 ? kinds[b->kind] : "?", "professional",
			      b->professional, "name", b->name, "role", b->role, "text", b->text,
			      "date", b->date, "invite_org", b->invite_org, "subgroup", b->subgroup);

	if (m != NULL && b->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_OUTCOME) {
		json_object_set_new(m, "regie_org", json_string(b->regie_org));
		json_object_set_new(m, "regie_professional", json_string(b->regie_professional));
		json_object_set_new(m, "routed_to", json_string(b->routed_to));
		if (b->has_breakthrough)
			json_object_set_new(m, "breakthrough", json_boolean(b->breakthrough));
		if (b->evaluate != NULL)
			json_object_set_new(m, "evaluate", json_string(b->evaluate));
	}
	return m;
}

static int in_array(const json_t *a, const char *s);

/* A subgroup formed in case c: its id, orgs, end date and who formed it;
 * its mandate only when our org is in it (a copy that is not ours to
 * read is dropped, whatever the sender put in it). */
static void subgroup_apply(node_store *s, json_t *c, const char *from, const char *from_name,
			   uint64_t time, const Schakel__V1__TableMessageBody *b)
{
	json_t *sg = json_pack("{s:s,s:[],s:s,s:s,s:s,s:I,s:s?}", "id", b->subgroup, "orgs", "by",
			       b->name, "from", from, "from_name", from_name, "time",
			       (json_int_t)time, "until", b->until);

	if (sg == NULL)
		return;
	for (size_t i = 0; i < b->n_subgroup_orgs; i++)
		json_array_append_new(json_object_get(sg, "orgs"), json_string(b->subgroup_orgs[i]));
	if (in_array(json_object_get(sg, "orgs"), s->org_id)) {
		json_object_set_new(sg, "member", json_true());
		if (b->mandate != NULL)
			json_object_set_new(sg, "mandate", json_string(b->mandate));
	}
	if (json_object_get(c, "subgroups") == NULL)
		json_object_set_new(c, "subgroups", json_array());
	json_array_append_new(json_object_get(c, "subgroups"), sg);
}

/* Case c's subgroup id as JSON (borrowed), NULL when c has none. */
static json_t *subgroup_get(const json_t *c, const char *id)
{
	size_t i;
	json_t *x;

	json_array_foreach(json_object_get(c, "subgroups"), i, x) {
		const char *v = json_string_value(json_object_get(x, "id"));

		if (v != NULL && strcmp(v, id) == 0)
			return x;
	}
	return NULL;
}

/* Applies a message to the case record: thread, meeting, participants,
 * outcome, subgroups. *regie: the outcome names our org as regievoerder. */
static void msg_apply(node_store *s, json_t *c, const char *from, const char *from_name,
		      uint64_t time, uint64_t seq, const Schakel__V1__TableMessageBody *b, int *regie)
{
	json_t *m = msg_json(from, from_name, time, seq, b);

	*regie = 0;
	if (m != NULL)
		json_array_append_new(json_object_get(c, "thread"), json_incref(m));
	switch (b->kind) {
	case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SCHEDULE:
		json_object_set_new(c, "meeting", json_string(b->date));
		break;
	case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_INVITE:
		json_array_append_new(json_object_get(c, "participants"), json_string(b->invite_org));
		if (json_object_get(c, "invited") == NULL)
			json_object_set_new(c, "invited", json_array());
		json_array_append_new(json_object_get(c, "invited"), json_string(b->invite_org));
		break;
	case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_OUTCOME:
		json_object_set(c, "outcome", m);
		json_object_set_new(c, "closed_at", json_integer((json_int_t)time));
		*regie = strcmp(b->regie_org, s->org_id) == 0;
		break;
	case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP:
		subgroup_apply(s, c, from, from_name, time, b);
		break;
	default:
		break;
	}
	json_decref(m);
}

static int in_array(const json_t *a, const char *s)
{
	size_t i;
	json_t *x;

	json_array_foreach(a, i, x) if (json_string_value(x) && strcmp(json_string_value(x), s) == 0)
		return 1;
	return 0;
}

/* The case body an invitee gets: the case as brought, without the tag,
 * with the participants as they are now (the invitee among them). */
static sk_status invite_case(const json_t *c, const char *invitee, Schakel__V1__TableCaseBody *b,
			     const char **domains, const char **parties, const char **parts)
{
	const json_t *sub = json_object_get(c, "submitter");
	size_t i;
	json_t *x;

	b->question = (char *)json_string_value(json_object_get(c, "question"));
	b->urgency = (char *)json_string_value(json_object_get(c, "urgency"));
	b->tried = (char *)json_string_value(json_object_get(c, "tried"));
	b->professional = (char *)json_string_value(json_object_get(sub, "professional"));
	b->name = (char *)json_string_value(json_object_get(sub, "name"));
	b->role = (char *)json_string_value(json_object_get(sub, "role"));
	b->phone = (char *)json_string_value(json_object_get(sub, "phone"));
	b->email = (char *)json_string_value(json_object_get(sub, "email"));
	json_array_foreach(json_object_get(c, "domains"), i, x) if (i < WIRE_TABLE_CASE_LIST_MAX)
		domains[b->n_domains++] = json_string_value(x);
	json_array_foreach(json_object_get(c, "parties"), i, x) if (i < WIRE_TABLE_CASE_LIST_MAX)
		parties[b->n_parties++] = json_string_value(x);
	json_array_foreach(json_object_get(c, "participants"), i, x) if (i < WIRE_TABLE_ORGS_MAX + WIRE_TABLE_INVITED_MAX)
		parts[b->n_participants++] = json_string_value(x);
	parts[b->n_participants++] = invitee;
	b->domains = (char **)domains;
	b->parties = (char **)parties;
	b->participants = (char **)parts;
	return b->question && b->urgency && b->professional && b->name ? SK_OK : SK_ERR_DB;
}

static const char *msg_event(Schakel__V1__TableMessageKind k)
{
	switch (k) {
	case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SCHEDULE:
		return "table.schedule";
	case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_INVITE:
		return "table.invite";
	case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_OUTCOME:
		return "table.outcome";
	case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP:
		return "table.subgroup";
	default:
		return "table.send";
	}
}

/* A subgroup's check at our side before anything is sealed: forming one,
 * a fresh id and every org a participant; a text to one, our org in it.
 * SK_OK, or a refusal with the detail set. */
static sk_status subgroup_check(node_store *s, const json_t *c, const node_table_msg *m)
{
	json_t *sg;

	if (m->subgroup == NULL)
		return SK_OK;
	sg = subgroup_get(c, m->subgroup);
	if (m->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT) {
		if (sg == NULL || !in_array(json_object_get(sg, "orgs"), s->org_id)) {
			sk_error_set("there is no subgroup %s in this case that our organisation is in",
				     m->subgroup);
			return SK_ERR_PERM;
		}
		return SK_OK;
	}
	if (sg != NULL) {
		sk_error_set("subgroup %s exists already", m->subgroup);
		return SK_ERR_EXISTS;
	}
	if (json_array_size(json_object_get(c, "subgroups")) >= WIRE_TABLE_SUBGROUPS_MAX) {
		sk_error_set("a case has at most %d subgroups", WIRE_TABLE_SUBGROUPS_MAX);
		return SK_ERR_INVALID;
	}
	for (size_t i = 0; i < m->n_subgroup_orgs; i++)
		if (!in_array(json_object_get(c, "participants"), m->subgroup_orgs[i])) {
			sk_error_set("%s takes no part in this case; a subgroup is formed of its "
				     "participants", m->subgroup_orgs[i]);
			return SK_ERR_PERM;
		}
	if (!wire_table_subgroup_orgs_ok(m->subgroup_orgs, m->n_subgroup_orgs)) {
		sk_error_set("a subgroup has 2 or more different organisations");
		return SK_ERR_INVALID;
	}
	return SK_OK;
}

sk_status node_table_subgroup(node_remote *r, const char *case_hex, const char *prof,
			      const char *const *orgs, size_t n_orgs, const char *mandate,
			      const char *until, char id[static WIRE_TABLE_SUBGROUP_ID_HEX + 1])
{
	node_table_msg m = {0};
	uint8_t raw[WIRE_TABLE_SUBGROUP_ID_HEX / 2];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(id, WIRE_TABLE_SUBGROUP_ID_HEX + 1, raw, sizeof(raw));
	m.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP;
	m.subgroup = id;
	m.subgroup_orgs = orgs;
	m.n_subgroup_orgs = n_orgs;
	m.mandate = mandate;
	m.until = until;
	return node_table_send(r, case_hex, prof, &m);
}

sk_status node_table_send(node_remote *r, const char *case_hex, const char *prof,
			  const node_table_msg *m)
{
	Schakel__V1__TableMessageBody b = SCHAKEL__V1__TABLE_MESSAGE_BODY__INIT;
	Schakel__V1__TableCaseBody cb = SCHAKEL__V1__TABLE_CASE_BODY__INIT;
	Schakel__V1__TableSend req = SCHAKEL__V1__TABLE_SEND__INIT;
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	enum { MAXP = WIRE_TABLE_ORGS_MAX + WIRE_TABLE_INVITED_MAX + 1 };
	Schakel__V1__TableSealed items[MAXP], *ptrs[MAXP], *nptrs[MAXP];
	const char *to[MAXP], *domains[WIRE_TABLE_CASE_LIST_MAX], *parties[WIRE_TABLE_CASE_LIST_MAX];
	const char *parts[MAXP];
	uint8_t *sealed[MAXP] = {0}, *body = NULL, case_id[WIRE_TABLE_CASE_ID_BYTES];
	uint8_t ctx[WIRE_TABLE_CASE_CONTEXT_BYTES];
	const char *event = m->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT &&
					    m->subgroup != NULL
				    ? "table.subgroup.send"
				    : msg_event(m->kind),
		   *table;
	Schakel__V1__TableMessageBody *check = NULL;
	node_store *s = r->s;
	node_professional p;
	wire_table *t = calloc(1, sizeof(*t));
	MDB_txn *txn = NULL;
	json_t *c = NULL, *x;
	size_t n_to = 0, n = 0, blen = 0, got = 0, i, ntab, nrej;
	size_t n_sealed = 0, n_notice = 0, nlen = 0, mlen;
	uint8_t *notice = NULL;
	const json_t *sg;
	uint64_t seq = 0;
	int regie = 0, out_;
	sk_status st;

	if (t == NULL)
		return SK_ERR_NOMEM;
	if ((st = node_table_sync(r, &ntab, &nrej)) != SK_OK)
		goto out;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	st = node_professional_get(s, txn, prof, &p);
	if (st == SK_OK && p.kind != NODE_KIND_PROFESSIONAL)
		st = SK_ERR_NOTFOUND;
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("there is no professional %s at this organisation", prof);
	if (st == SK_OK && (st = node_table_case_get(s, txn, case_hex, &c)) == SK_ERR_NOTFOUND)
		sk_error_set("there is no table case %s at this organisation", case_hex);
	table = json_string_value(json_object_get(c, "table"));
	if (st == SK_OK && json_object_get(c, "outcome") != NULL) {
		sk_error_set("case %s has its outcome: it is closed", case_hex);
		st = SK_ERR_EXISTS;
	}
	if (st == SK_OK && m->kind != SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT) {
		if (table == NULL || node_table_get(s, txn, table, t) != SK_OK ||
		    !wire_table_is_regisseur(t, s->org_id, prof)) {
			sk_error_set("only a procesregisseur of the table schedules, invites, forms a "
				     "subgroup and records the outcome; %s is not one", prof);
			st = SK_ERR_PERM;
		}
	}
	if (st == SK_OK && m->invite_org != NULL &&
	    in_array(json_object_get(c, "participants"), m->invite_org)) {
		sk_error_set("%s takes part in this case already", m->invite_org);
		st = SK_ERR_EXISTS;
	}
	if (st == SK_OK)
		st = subgroup_check(s, c, m);
	if (st != SK_OK) {
		mdb_txn_abort(txn);
		txn = NULL;
		if (st == SK_ERR_NOTFOUND || st == SK_ERR_PERM || st == SK_ERR_EXISTS ||
		    st == SK_ERR_INVALID)
			audit_now(s, event, prof, st == SK_ERR_NOTFOUND ? NULL : p.role, table,
				  case_hex, NULL, sk_error_detail());
		goto out;
	}
	b.kind = m->kind;
	b.professional = (char *)prof;
	b.name = p.name;
	b.role = p.role[0] ? p.role : NULL;
	b.text = (char *)m->text;
	b.date = (char *)m->date;
	b.invite_org = (char *)m->invite_org;
	b.regie_org = (char *)m->regie_org;
	b.regie_professional = (char *)m->regie_prof;
	b.routed_to = (char *)m->routed_to;
	b.has_breakthrough = m->has_breakthrough;
	b.breakthrough = m->breakthrough != 0;
	b.evaluate = (char *)m->evaluate;
	b.subgroup = (char *)m->subgroup;
	b.n_subgroup_orgs = m->n_subgroup_orgs;
	b.subgroup_orgs = (char **)m->subgroup_orgs;
	b.mandate = (char *)m->mandate;
	b.until = (char *)m->until;
	if (m->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_INVITE) {
		if ((st = invite_case(c, m->invite_org, &cb, domains, parties, parts)) != SK_OK)
			goto abort;
		b.case_ = &cb;
	}
	blen = schakel__v1__table_message_body__get_packed_size(&b);
	if ((body = malloc(blen ? blen : 1)) == NULL) {
		st = SK_ERR_NOMEM;
		goto abort;
	}
	schakel__v1__table_message_body__pack(&b, body);
	if (m->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP) {
		/* the notice, for the participants outside the subgroup: no mandate */
		b.mandate = NULL;
		nlen = schakel__v1__table_message_body__get_packed_size(&b);
		if ((notice = malloc(nlen ? nlen : 1)) == NULL) {
			st = SK_ERR_NOMEM;
			goto abort;
		}
		schakel__v1__table_message_body__pack(&b, notice);
		b.mandate = (char *)m->mandate;
		/* our own copy keeps the mandate only when our org is in it */
		if (!wire_table_subgroup_orgs_in(m->subgroup_orgs, m->n_subgroup_orgs, s->org_id))
			st = wire_table_message_parse(&check, notice, nlen);
		else
			st = wire_table_message_parse(&check, body, blen);
	} else {
		st = wire_table_message_parse(&check, body, blen);
	}
	if (st != SK_OK)
		goto abort;
	/* every participant but us, and the invited org; a text to a
	 * subgroup: its orgs but us */
	sg = m->subgroup != NULL && m->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT
		     ? json_object_get(subgroup_get(c, m->subgroup), "orgs")
		     : json_object_get(c, "participants");
	json_array_foreach(sg, i, x) {
		if (n_to < MAXP - 1 && json_string_value(x) && strcmp(json_string_value(x), s->org_id))
			to[n_to++] = json_string_value(x);
	}
	if (m->invite_org != NULL)
		to[n_to++] = m->invite_org;
	seq = (uint64_t)json_integer_value(json_object_get(c, "seq_out")) + 1;
	if (sodium_hex2bin(case_id, sizeof(case_id), case_hex, strlen(case_hex), NULL, &got, NULL) != 0 ||
	    got != sizeof(case_id)) {
		st = SK_ERR_DB;
		goto abort;
	}
	wire_table_message_context(ctx, table, case_id, seq);
	for (i = 0; i < n_to && st == SK_OK; i++) {
		uint8_t pk[KEY_X25519_PK_BYTES];
		node_member mm;

		if ((st = node_members_get(s, txn, to[i], &mm)) != SK_OK ||
		    (st = node_member_enc_key(&mm, sk_clock_now_ms() / 1000, pk)) != SK_OK) {
			sk_error_set("participant %s has no encryption key yet; try again after its "
				     "next sync", to[i]);
			st = SK_ERR_NOTFOUND;
			break;
		}
		/* forming a subgroup: the mandate to its orgs, the notice to the rest */
		out_ = notice != NULL && !wire_table_subgroup_orgs_in(m->subgroup_orgs,
								     m->n_subgroup_orgs, to[i]);
		mlen = out_ ? nlen : blen;
		if ((sealed[n] = malloc(SEAL_SIGNED_BYTES(mlen))) == NULL) {
			st = SK_ERR_NOMEM;
			break;
		}
		if ((st = seal_signed(sealed[n], WIRE_DOMAIN_TABLE_MESSAGE, (const uint8_t *)to[i],
				      strlen(to[i]), ctx, sizeof(ctx), out_ ? notice : body, mlen,
				      pk, r->id->sk)) != SK_OK) {
			free(sealed[n]);
			sealed[n] = NULL;
			break;
		}
		items[n] = (Schakel__V1__TableSealed)SCHAKEL__V1__TABLE_SEALED__INIT;
		items[n].recipient = (char *)to[i];
		items[n].sealed = (ProtobufCBinaryData){SEAL_SIGNED_BYTES(mlen), sealed[n]};
		if (out_)
			nptrs[n_notice++] = &items[n];
		else
			ptrs[n_sealed++] = &items[n];
		n++;
	}
abort:
	mdb_txn_abort(txn);
	txn = NULL;
	if (st != SK_OK)
		goto out;
	req.case_id = (ProtobufCBinaryData){sizeof(case_id), case_id};
	req.kind = m->kind;
	req.invite_org = (char *)m->invite_org;
	req.seq = seq;
	req.n_sealed = n_sealed;
	req.sealed = ptrs;
	req.n_notice = n_notice;
	req.notice = nptrs;
	req.subgroup = (char *)m->subgroup;
	if (m->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP) {
		req.n_subgroup_orgs = m->n_subgroup_orgs;
		req.subgroup_orgs = (char **)m->subgroup_orgs;
	}
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_TABLE_SEND;
	env.table_send = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_TABLE_SENT, &reply)) != SK_OK) {
		audit_now(s, event, prof, p.role, table, case_hex, NULL, sk_error_detail());
		goto out;
	}
	/* our copy follows, with the audit record, in one transaction */
	json_object_set_new(c, "seq_out", json_integer((json_int_t)seq));
	{
		node_member me; /* our own display name, as partners see it */
		const char *name = s->org_id;

		if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) == MDB_SUCCESS) {
			if (node_members_get(s, txn, s->org_id, &me) == SK_OK && me.name[0])
				name = me.name;
			msg_apply(s, c, s->org_id, name, reply->table_sent->time, seq, check, &regie);
			mdb_txn_abort(txn);
		} else {
			msg_apply(s, c, s->org_id, name, reply->table_sent->time, seq, check, &regie);
		}
		txn = NULL;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) == SK_OK) {
		const char *client = json_string_value(json_object_get(c, "client"));
		audit_record rec = {0};
		char what[48];

		snprintf(what, sizeof(what), "table:%s", table);
		rec.event = event;
		rec.action = m->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT
				     ? AUDIT_ACTION_CREATE
				     : AUDIT_ACTION_UPDATE;
		rec.outcome = AUDIT_OUTCOME_OK;
		rec.user = prof;
		rec.role = p.role;
		rec.category = what;
		rec.correlation_id = case_hex;
		rec.client = client;
		rec.counterpart = m->invite_org;
		st = case_put(s, txn, case_hex, c);
		if (st == SK_OK && regie && client != NULL)
			st = node_entry_regie_set(s, txn, client, case_hex);
		if (st == SK_OK && (st = node_audit(s, txn, &rec)) == SK_OK)
			st = sk_db_status(mdb_txn_commit(txn));
		else
			mdb_txn_abort(txn);
		txn = NULL;
		if (st == SK_OK && regie && client != NULL)
			st = node_remote_publish(r, client);
	}
out:
	mdb_txn_abort(txn);
	json_decref(c);
	wire_envelope_free(reply);
	schakel__v1__table_message_body__free_unpacked(check, NULL);
	for (i = 0; i < n; i++)
		free(sealed[i]);
	if (body != NULL) {
		sodium_memzero(body, blen);
		free(body);
	}
	if (notice != NULL) {
		sodium_memzero(notice, nlen);
		free(notice);
	}
	free(t);
	return st;
}

/* A subgroup message that reached us, checked against our copy rec of
 * the case: forming one, by a procesregisseur of the table (where we
 * hold the table), a fresh id,
 * every org a participant; a text to one, the sender and our org in it.
 * NULL when it holds, else the refusal ("" for no memory). */
static const char *subgroup_take(node_store *s, MDB_txn *txn, const json_t *rec,
				 const Schakel__V1__MailboxItem *it,
				 const Schakel__V1__TableMessageBody *b)
{
	json_t *sg = subgroup_get(rec, b->subgroup);
	wire_table *t;
	int ok;

	if (b->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT)
		return sg != NULL && in_array(json_object_get(sg, "orgs"), it->counterpart) &&
			       in_array(json_object_get(sg, "orgs"), s->org_id)
			       ? NULL
			       : "a message to a subgroup we do not know, or the sender or we are "
				 "not in it";
	if (sg != NULL)
		return "a subgroup formed twice";
	if (json_array_size(json_object_get(rec, "subgroups")) >= WIRE_TABLE_SUBGROUPS_MAX)
		return "a case with too many subgroups";
	for (size_t i = 0; i < b->n_subgroup_orgs; i++)
		if (!in_array(json_object_get(rec, "participants"), b->subgroup_orgs[i]))
			return "a subgroup with an org that takes no part in the case";
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return "";
	/* an org invited for this case only does not see a closed table: it
	 * relies on the registry's check of the procesregisseur */
	switch (node_table_get(s, txn, it->table_id, t)) {
	case SK_OK:
		ok = wire_table_is_regisseur(t, it->counterpart, b->professional);
		break;
	case SK_ERR_NOTFOUND:
		ok = 1;
		break;
	default:
		ok = 0;
	}
	free(t);
	return ok ? NULL : "a subgroup formed by someone who is no procesregisseur of the table";
}

/* A message item in a case: opened, checked, applied to our copy. */
static sk_status take_message(struct take *c, MDB_txn *txn, const Schakel__V1__MailboxItem *it)
{
	node_store *s = c->r->s;
	Schakel__V1__TableMessageBody *b = NULL;
	uint8_t ctx[WIRE_TABLE_CASE_CONTEXT_BYTES], *plain = NULL;
	char hex[NODE_TABLE_CASE_HEX] = "-", why[160];
	const char *client;
	size_t plen = 0;
	node_member m;
	json_t *rec = NULL;
	audit_record ar = {0};
	char what[48];
	uint64_t last;
	int regie = 0;
	sk_status st;

	if (!it->has_sealed || it->sealed.len <= SEAL_SIGNED_OVERHEAD)
		return SK_OK;
	if (it->table_id == NULL || strlen(it->table_id) != WIRE_TABLE_ID_HEX ||
	    !it->has_table_case_id || it->table_case_id.len != WIRE_TABLE_CASE_ID_BYTES ||
	    it->sealed.len > WIRE_TABLE_MESSAGE_SEALED_MAX || it->counterpart == NULL ||
	    !it->has_message_seq)
		return reject(c, txn, it, NULL, "the message item is malformed");
	sodium_bin2hex(hex, sizeof(hex), it->table_case_id.data, WIRE_TABLE_CASE_ID_BYTES);
	if ((st = node_members_get(s, txn, it->counterpart, &m)) == SK_ERR_NOTFOUND || m.revoked)
		return reject(c, txn, it, hex, "the sender is not a live member");
	if (st != SK_OK)
		return st;
	if ((st = node_table_case_get(s, txn, hex, &rec)) != SK_OK && st != SK_ERR_NOTFOUND)
		return st;
	if ((plain = malloc(it->sealed.len)) == NULL) {
		json_decref(rec);
		return SK_ERR_NOMEM;
	}
	wire_table_message_context(ctx, it->table_id, it->table_case_id.data, it->message_seq);
	if ((st = item_open(c, WIRE_DOMAIN_TABLE_MESSAGE, ctx, sizeof(ctx), it, m.identity_pk, plain,
			    &plen)) != SK_OK) {
		st = reject(c, txn, it, hex,
			    "it does not open or its signature does not verify: not sealed to us "
			    "for this table case, or not signed by the sender");
		goto out;
	}
	if (wire_table_message_parse(&b, plain, plen) != SK_OK) {
		st = reject(c, txn, it, hex, "the message is malformed");
		goto out;
	}
	if (rec == NULL) {
		/* only an invitation of us brings a case we do not hold */
		if (b->kind != SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_INVITE ||
		    strcmp(b->invite_org, s->org_id) != 0) {
			st = reject(c, txn, it, hex, "a message in a case we do not hold");
			goto out;
		}
		/* the submitting org is the first participant */
		const char *sub = b->case_->n_participants > 0 ? b->case_->participants[0]
							       : it->counterpart;
		node_member sm;

		if (node_members_get(s, txn, sub, &sm) != SK_OK)
			snprintf(sm.name, sizeof(sm.name), "%s", sub);
		if ((rec = case_json(hex, it->table_id, sub, sm.name[0] ? sm.name : sub, it->time, 0,
				     b->case_)) == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
		/* the participants as the invitation gives them: we are already one */
		json_array_remove(json_object_get(rec, "participants"),
				  json_array_size(json_object_get(rec, "participants")) - 1);
		json_object_set_new(rec, "invited_us", json_true());
	}
	if (!in_array(json_object_get(rec, "participants"), it->counterpart)) {
		st = reject(c, txn, it, hex, "the sender takes no part in this case");
		goto out;
	}
	last = (uint64_t)json_integer_value(json_object_get(json_object_get(rec, "seq_in"), it->counterpart));
	if (it->message_seq <= last) {
		snprintf(why, sizeof(why), "replayed or out of order (number %llu after %llu)",
			 (unsigned long long)it->message_seq, (unsigned long long)last);
		st = reject(c, txn, it, hex, why);
		goto out;
	}
	if (json_object_get(rec, "outcome") != NULL) {
		st = reject(c, txn, it, hex, "a message after the outcome");
		goto out;
	}
	if (b->subgroup != NULL) {
		const char *bad = subgroup_take(s, txn, rec, it, b);

		if (bad != NULL) {
			st = bad[0] ? reject(c, txn, it, hex, bad) : SK_ERR_NOMEM;
			goto out;
		}
	}
	json_object_set_new(json_object_get(rec, "seq_in"), it->counterpart,
			    json_integer((json_int_t)it->message_seq));
	msg_apply(s, rec, it->counterpart, m.name[0] ? m.name : it->counterpart, it->time,
		  it->message_seq, b, &regie);
	client = json_string_value(json_object_get(rec, "client"));
	if (regie && client != NULL) {
		if ((st = node_entry_regie_set(s, txn, client, hex)) != SK_OK)
			goto out;
		if (c->n_regie < sizeof(c->regie) / sizeof(c->regie[0]))
			snprintf(c->regie[c->n_regie++], sizeof(c->regie[0]), "%s", client);
	}
	if ((st = case_put(s, txn, hex, rec)) != SK_OK)
		goto out;
	snprintf(what, sizeof(what), "table:%s", it->table_id);
	ar.event = "table.message";
	ar.action = AUDIT_ACTION_CREATE;
	ar.outcome = AUDIT_OUTCOME_OK;
	ar.access_point = "registry";
	ar.category = what;
	ar.correlation_id = hex;
	ar.counterpart = it->counterpart;
	ar.client = client;
	ar.reason = NULL;
	if ((st = node_audit(s, txn, &ar)) == SK_OK)
		c->taken++;
out:
	json_decref(rec);
	schakel__v1__table_message_body__free_unpacked(b, NULL);
	sodium_memzero(plain, it->sealed.len);
	free(plain);
	return st;
}

/* ---- figures ------------------------------------------------------------------------ */

int node_table_social(const char *category)
{
	static const char *const social[] = {"sociaal-team", "schuldhulp", "maatschappelijke-opvang",
					     "jeugd", "gemeente", "woningcorporatie", NULL};

	return category != NULL && listed(social, category);
}

struct stats_scan {
	node_store *s;
	MDB_txn *txn;
	uint64_t since, until;
	node_table_stats *out;
	double *days;
	size_t n_days, cap;
};

static sk_status stats_one(const json_t *c, void *arg)
{
	struct stats_scan *k = arg;
	uint64_t t = (uint64_t)json_integer_value(json_object_get(c, "time"));
	const json_t *o = json_object_get(c, "outcome");
	const char *routed = json_string_value(json_object_get(o, "routed_to"));
	node_member m;

	if (t < k->since || t >= k->until)
		return SK_OK;
	k->out->brought++;
	if (json_object_get(c, "meeting") != NULL || o != NULL)
		k->out->discussed++;
	if (o == NULL)
		return SK_OK;
	k->out->outcomes++;
	if (json_is_true(json_object_get(o, "breakthrough")))
		k->out->breakthrough++;
	if (routed != NULL &&
	    (node_members_get(k->s, k->txn, json_string_value(json_object_get(c, "from")), &m) != SK_OK ||
	     strcmp(m.category, routed) != 0))
		k->out->routed++;
	if (node_table_social(routed))
		k->out->social++;
	if (k->n_days == k->cap) {
		double *d = realloc(k->days, (k->cap ? k->cap * 2 : 64) * sizeof(*d));

		if (d == NULL)
			return SK_ERR_NOMEM;
		k->days = d;
		k->cap = k->cap ? k->cap * 2 : 64;
	}
	k->days[k->n_days++] =
		(double)((uint64_t)json_integer_value(json_object_get(c, "closed_at")) - t) / 86400000.0;
	return SK_OK;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

sk_status node_table_stats_get(node_store *s, MDB_txn *txn, const char *table, uint64_t since,
			       uint64_t until, node_table_stats *out)
{
	struct stats_scan k = {s, txn, since, until, out, NULL, 0, 0};
	sk_status st;

	memset(out, 0, sizeof(*out));
	out->median_days = -1;
	if ((st = node_table_case_scan(s, txn, table, stats_one, &k)) == SK_OK && k.n_days > 0) {
		qsort(k.days, k.n_days, sizeof(*k.days), cmp_double);
		out->median_days = k.n_days % 2 ? k.days[k.n_days / 2]
						: (k.days[k.n_days / 2 - 1] + k.days[k.n_days / 2]) / 2;
	}
	free(k.days);
	return st;
}
