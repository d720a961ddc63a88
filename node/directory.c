#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "node/date.h"
#include "node/directory.h"
#include "node/logtrack.h"
#include "node/members.h"
#include "node/session_int.h"

/* kept value: u64be(leaf index) || u32be(len) || record || signature */
#define VAL_HEAD 12
#define META_VERSION "directory.version"

/* ---- the kept records ---------------------------------------------------- */

static sk_status put_record(node_store *s, MDB_txn *txn, const char *org, const uint8_t *rec,
			    size_t len, const uint8_t sig[static KEY_SIG_BYTES], uint64_t leaf)
{
	uint8_t *val = malloc(VAL_HEAD + len + KEY_SIG_BYTES);
	MDB_val k = {strlen(org), (void *)org}, d;
	sk_status st;

	if (val == NULL)
		return SK_ERR_NOMEM;
	sk_be64_put(val, leaf);
	sk_be32_put(val + 8, (uint32_t)len);
	memcpy(val + VAL_HEAD, rec, len);
	memcpy(val + VAL_HEAD + len, sig, KEY_SIG_BYTES);
	d = (MDB_val){VAL_HEAD + len + KEY_SIG_BYTES, val};
	st = sk_db_status(mdb_put(txn, s->directory, &k, &d, 0));
	free(val);
	return st;
}

static sk_status parse_val(const MDB_val *d, Schakel__V1__DirectoryRecord **out)
{
	const uint8_t *v = d->mv_data;
	char why[160];
	uint32_t len;

	*out = NULL;
	if (d->mv_size < VAL_HEAD + KEY_SIG_BYTES ||
	    (len = sk_be32_get(v + 8)) != d->mv_size - VAL_HEAD - KEY_SIG_BYTES)
		return SK_ERR_DB;
	return wire_dir_parse(v + VAL_HEAD, len, out, why, sizeof(why)) == SK_OK ? SK_OK
										: SK_ERR_DB;
}

sk_status node_directory_get(node_store *s, MDB_txn *txn, const char *org,
			     Schakel__V1__DirectoryRecord **out)
{
	MDB_val k = {strlen(org), (void *)org}, d;
	int rc;

	*out = NULL;
	if (k.mv_size == 0 || k.mv_size > WIRE_DIR_ORG_MAX)
		return SK_ERR_NOTFOUND; /* no org id at all */
	if ((rc = mdb_get(txn, s->directory, &k, &d)) != 0)
		return sk_db_status(rc);
	return parse_val(&d, out);
}

sk_status node_directory_search(node_store *s, MDB_txn *txn, const wire_dir_query *q,
				node_directory_fn fn, void *arg)
{
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_cursor_open(txn, s->directory, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && st == SK_OK;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		Schakel__V1__DirectoryRecord *r = NULL;
		node_member m;

		if ((st = parse_val(&d, &r)) != SK_OK)
			break;
		/* a member revoked since stays out of every answer */
		if (strcmp(r->org_id, s->org_id) != 0 &&
		    (node_members_get(s, txn, r->org_id, &m) != SK_OK || m.revoked)) {
			schakel__v1__directory_record__free_unpacked(r, NULL);
			continue;
		}
		if (wire_dir_match(r, q))
			st = fn(r, arg);
		schakel__v1__directory_record__free_unpacked(r, NULL);
	}
	if (st == SK_OK && rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}

void node_directory_label(node_store *s, MDB_txn *txn, const char *org, char *out, size_t cap)
{
	Schakel__V1__DirectoryRecord *r = NULL;
	node_member m;

	if (node_directory_get(s, txn, org, &r) == SK_OK) {
		snprintf(out, cap, "%s", r->display_name);
		schakel__v1__directory_record__free_unpacked(r, NULL);
	} else if (node_members_get(s, txn, org, &m) == SK_OK && m.name[0]) {
		snprintf(out, cap, "%s", m.name);
	} else {
		snprintf(out, cap, "%s", org);
	}
}

static json_t *words_json(char *const *codes, size_t n, const wire_dir_word *vocab,
			  const char *lang)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++) {
		const wire_dir_word *w = wire_dir_word_find(vocab, codes[i]);

		json_array_append_new(a, json_pack("{s:s,s:s}", "code", codes[i], "name",
						   w == NULL ? codes[i]
						   : strcmp(lang, "en") == 0 ? w->en : w->nl));
	}
	return a;
}

json_t *node_directory_json(const Schakel__V1__DirectoryRecord *r, const char *lang,
			    uint64_t now_ms)
{
	json_t *o, *m = json_array(), *w = json_array();
	char date[NODE_DATE_BYTES + 1];

	for (size_t i = 0; m != NULL && i < r->n_municipalities; i++)
		json_array_append_new(m, json_string(r->municipalities[i]));
	for (size_t i = 0; w != NULL && i < r->n_wegwijzers; i++) {
		const Schakel__V1__DirectoryContact *c = r->wegwijzers[i];

		json_array_append_new(w, json_pack("{s:s,s:s,s:s,s:s}", "name", c->name, "role",
						   c->role ? c->role : "", "phone",
						   c->phone ? c->phone : "", "email",
						   c->email ? c->email : ""));
	}
	o = json_pack("{s:s,s:s,s:s,s:o*,s:o*,s:o*,s:s,s:s,s:o*,s:I,s:I}", "id", r->org_id,
		      "name", r->display_name, "category", r->category, "municipalities", m,
		      "services", words_json(r->services, r->n_services, wire_dir_services, lang),
		      "target_groups",
		      words_json(r->target_groups, r->n_target_groups, wire_dir_target_groups, lang),
		      "services_text", r->services_text ? r->services_text : "", "how_to_refer",
		      r->how_to_refer ? r->how_to_refer : "", "wegwijzers", w, "version",
		      (json_int_t)r->version, "published_at", (json_int_t)r->issued_at);
	if (o != NULL && r->has_waiting_weeks) {
		node_date d = node_date_at(r->waiting_date);

		node_date_format(date, &d);
		json_object_set_new(o, "waiting_weeks", json_integer(r->waiting_weeks));
		json_object_set_new(o, "waiting_date", json_string(date));
		json_object_set_new(o, "stale", json_boolean(wire_dir_stale(r, now_ms)));
	}
	return o;
}

/* ---- publish ------------------------------------------------------------- */

static sk_status invalid(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static sk_status invalid(const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sk_error_set("%s", why);
	return SK_ERR_INVALID;
}

/* A list of strings under key (absent: none), at most max, into out
 * (pointers into doc). */
static sk_status strings(const json_t *doc, const char *key, const char **out, size_t max,
			 size_t *n)
{
	const json_t *a = json_object_get(doc, key), *v;
	size_t i;

	*n = 0;
	if (a == NULL)
		return SK_OK;
	if (!json_is_array(a))
		return invalid("'%s' must be a list of words between [ and ]", key);
	if (json_array_size(a) > max) {
		sk_error_set("'%s' may hold at most %zu items", key, max);
		return SK_ERR_INVALID;
	}
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return invalid("every item of '%s' must be text between quotes", key);
		out[(*n)++] = json_string_value(v);
	}
	return SK_OK;
}

static sk_status text(const json_t *doc, const char *key, const char **out)
{
	const json_t *v = json_object_get(doc, key);

	*out = NULL;
	if (v == NULL)
		return SK_OK;
	if (!json_is_string(v))
		return invalid("'%s' must be text between quotes", key);
	*out = json_string_value(v);
	return SK_OK;
}

static const char *const known_keys[] = {
	"display_name", "municipalities", "services", "target_groups", "services_text",
	"how_to_refer", "waiting_weeks", "waiting_date", "wegwijzers", NULL,
};

/* doc into rec (pointers into doc and the arrays given); the org's fields
 * and dates are the caller's. */
static sk_status from_json(Schakel__V1__DirectoryRecord *rec, const json_t *doc,
			   const char **munis, const char **services, const char **groups,
			   Schakel__V1__DirectoryContact *cs, Schakel__V1__DirectoryContact **cptr)
{
	const char *key, *name = NULL, *date = NULL;
	const json_t *v, *w;
	sk_status st;
	size_t i;

	if (!json_is_object(doc))
		return invalid("%s", "the file must hold one JSON object between { and }");
	json_object_foreach((json_t *)doc, key, v) {
		size_t k;

		for (k = 0; known_keys[k] != NULL && strcmp(known_keys[k], key) != 0; k++)
			;
		if (known_keys[k] == NULL)
			return invalid("'%s' is not a field of a directory record (see --help)", key);
	}
	if ((st = text(doc, "display_name", &name)) != SK_OK ||
	    (st = strings(doc, "municipalities", munis, WIRE_DIR_MUNICIPALITIES_MAX,
			  &rec->n_municipalities)) != SK_OK ||
	    (st = strings(doc, "services", services, WIRE_DIR_CODES_MAX, &rec->n_services)) !=
		    SK_OK ||
	    (st = strings(doc, "target_groups", groups, WIRE_DIR_CODES_MAX,
			  &rec->n_target_groups)) != SK_OK ||
	    (st = text(doc, "services_text", (const char **)&rec->services_text)) != SK_OK ||
	    (st = text(doc, "how_to_refer", (const char **)&rec->how_to_refer)) != SK_OK ||
	    (st = text(doc, "waiting_date", &date)) != SK_OK)
		return st;
	if (name != NULL)
		rec->display_name = (char *)name;
	rec->municipalities = (char **)munis;
	rec->services = (char **)services;
	rec->target_groups = (char **)groups;
	if ((v = json_object_get(doc, "waiting_weeks")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > WIRE_DIR_WEEKS_MAX)
			return invalid("%s", "'waiting_weeks' must be a whole number of weeks from 0 "
					     "to 104");
		rec->has_waiting_weeks = 1;
		rec->waiting_weeks = (uint32_t)json_integer_value(v);
		rec->has_waiting_date = 1;
		rec->waiting_date = sk_clock_now_ms();
		if (date != NULL) {
			node_date d;

			if (node_date_parse(&d, date) != SK_OK)
				return invalid("'waiting_date' must be a date like 2026-12-07, not "
					       "'%.40s'", date);
			rec->waiting_date = node_date_ms(&d);
			if (rec->waiting_date > sk_clock_now_ms())
				return invalid("%s", "'waiting_date' lies in the future");
		}
	} else if (date != NULL) {
		return invalid("%s", "'waiting_date' needs 'waiting_weeks'");
	}
	if ((v = json_object_get(doc, "wegwijzers")) != NULL) {
		if (!json_is_array(v))
			return invalid("%s", "'wegwijzers' must be a list of contacts between [ and ]");
		if (json_array_size(v) > WIRE_DIR_CONTACTS_MAX)
			return invalid("%s", "'wegwijzers' may hold at most 8 contacts");
		json_array_foreach(v, i, w) {
			Schakel__V1__DirectoryContact *c = &cs[i];

			*c = (Schakel__V1__DirectoryContact)SCHAKEL__V1__DIRECTORY_CONTACT__INIT;
			if (!json_is_object(w))
				return invalid("%s", "each wegwijzer must be an object with name, role, "
						     "phone and email");
			if ((st = text(w, "name", (const char **)&c->name)) != SK_OK ||
			    (st = text(w, "role", (const char **)&c->role)) != SK_OK ||
			    (st = text(w, "phone", (const char **)&c->phone)) != SK_OK ||
			    (st = text(w, "email", (const char **)&c->email)) != SK_OK)
				return st;
			if (c->name == NULL || !*c->name)
				return invalid("%s", "each wegwijzer needs a name");
			cptr[i] = c;
		}
		rec->n_wegwijzers = json_array_size(v);
		rec->wegwijzers = cptr;
	}
	return SK_OK;
}

sk_status node_directory_publish(node_remote *r, const json_t *doc, const char *user,
				 uint64_t *version)
{
	node_store *s = r->s;
	Schakel__V1__DirectoryRecord rec = SCHAKEL__V1__DIRECTORY_RECORD__INIT;
	Schakel__V1__DirectoryContact cs[WIRE_DIR_CONTACTS_MAX],
		*cptr[WIRE_DIR_CONTACTS_MAX];
	Schakel__V1__DirectoryPublish req = SCHAKEL__V1__DIRECTORY_PUBLISH__INIT;
	Schakel__V1__PublishReceiptBody *rb = NULL;
	const char *munis[WIRE_DIR_MUNICIPALITIES_MAX], *services[WIRE_DIR_CODES_MAX],
		*groups[WIRE_DIR_CODES_MAX];
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
	node_log_receipts rcache = {0};
	node_log_tree tree;
	node_log_failure f;
	audit_record ar = {0};
	uint8_t *buf = NULL, sig[KEY_SIG_BYTES];
	uint64_t last = 0, now = sk_clock_now_ms();
	MDB_txn *txn = NULL;
	char why[200];
	size_t n;
	sk_status st;

	rec.org_id = s->org_id;
	rec.display_name = s->name;
	rec.category = s->category;
	if ((st = from_json(&rec, doc, munis, services, groups, cs, cptr)) != SK_OK)
		return st;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = node_meta_u64(s, txn, META_VERSION, 0, &last);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		return st;
	rec.version = last + 1 > now ? last + 1 : now;
	rec.issued_at = now;
	if (wire_dir_check(&rec, why, sizeof(why)) != SK_OK) {
		sk_error_set("%s", why);
		return SK_ERR_INVALID;
	}
	if ((n = schakel__v1__directory_record__get_packed_size(&rec)) > WIRE_DIR_RECORD_MAX) {
		sk_error_set("the record is larger than %d bytes; shorten its texts",
			     WIRE_DIR_RECORD_MAX);
		return SK_ERR_TOOBIG;
	}
	if ((buf = malloc(n ? n : 1)) == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__directory_record__pack(&rec, buf);
	if ((st = key_sign(sig, WIRE_DOMAIN_DIRECTORY, buf, n, r->id->sk)) != SK_OK)
		goto out;
	req.record = (ProtobufCBinaryData){n, buf};
	req.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DIRECTORY_PUBLISH;
	env.directory_publish = &req;
	if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_PUBLISH_RECEIPT, &reply)) !=
	    SK_OK)
		goto out;
	if (node_log_receipt_check_leaf(&tree, &rcache, reply->publish_receipt,
					WIRE_LEAF_DIRECTORY, buf, n, sig, rec.version,
					r->fed->registry_key, &r->log_key, &f) != SK_OK) {
		st = node_remote_integrity(r, f.what, f.why, f.a, f.alen, f.b, f.blen);
		goto out;
	}
	if ((rb = schakel__v1__publish_receipt_body__unpack(NULL, reply->publish_receipt->body.len,
							    reply->publish_receipt->body.data)) ==
	    NULL) {
		st = SK_ERR_VERIFY;
		goto out;
	}
	if ((st = node_remote_checkpoint_advance(r, &tree, 1, NULL)) != SK_OK)
		goto out;
	ar.event = "directory.publish";
	ar.action = AUDIT_ACTION_CREATE;
	ar.outcome = AUDIT_OUTCOME_OK;
	ar.user = user;
	ar.category = "directory";
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	if ((st = put_record(s, txn, s->org_id, buf, n, sig, rb->leaf_index)) == SK_OK &&
	    (st = node_meta_u64_put(s, txn, META_VERSION, rec.version)) == SK_OK &&
	    (st = node_audit(s, txn, &ar)) == SK_OK)
		st = sk_db_status(mdb_txn_commit(txn));
	else
		mdb_txn_abort(txn);
	if (st == SK_OK && version != NULL)
		*version = rec.version;
out:
	schakel__v1__publish_receipt_body__free_unpacked(rb, NULL);
	wire_envelope_free(reply);
	free(buf);
	return st;
}

/* ---- fetch --------------------------------------------------------------- */

sk_status node_directory_item_verify(const Schakel__V1__DirectoryItem *it,
				     const note_checkpoint *cp,
				     const uint8_t identity_pk[static KEY_ED25519_PK_BYTES],
				     const char **why)
{
	uint8_t leaf[WIRE_LEAF_HASH_BYTES];

	if (it->signature.len != KEY_SIG_BYTES ||
	    key_verify(it->signature.data, WIRE_DOMAIN_DIRECTORY, it->record.data, it->record.len,
		       identity_pk) != SK_OK) {
		*why = "a directory record's signature does not verify";
		return SK_ERR_VERIFY;
	}
	if (wire_leaf_hash(leaf, WIRE_LEAF_DIRECTORY, it->record.data, it->record.len,
			   it->signature.data) != SK_OK ||
	    it->inclusion_proof.len % MERKLE_HASH_BYTES != 0 ||
	    merkle_inclusion_verify(cp->root, leaf, it->leaf_index, cp->size,
				    it->inclusion_proof.data,
				    it->inclusion_proof.len / MERKLE_HASH_BYTES) != SK_OK) {
		*why = "a directory record's inclusion proof does not verify";
		return SK_ERR_VERIFY;
	}
	return SK_OK;
}

/* One item of a page, verified against the page's checkpoint cp, kept in
 * txn when newer than the copy held. */
static sk_status take_item(node_remote *r, MDB_txn *txn, const note_checkpoint *cp,
			   const Schakel__V1__DirectoryItem *it, size_t *taken)
{
	Schakel__V1__DirectoryRecord *rec = NULL, *held = NULL;
	const char *why2 = NULL;
	node_member m;
	char why[160];
	sk_status st = SK_OK;

	if (it->signature.len != KEY_SIG_BYTES ||
	    wire_dir_parse(it->record.data, it->record.len, &rec, why, sizeof(why)) != SK_OK)
		return node_remote_integrity(r, "directory", "the registry served a malformed "
							     "directory record", it->record.data,
					     it->record.len, NULL, 0);
	if (node_members_get(r->s, txn, rec->org_id, &m) != SK_OK || m.revoked)
		goto out; /* not (or no longer) a member we know: not shown */
	if (node_directory_item_verify(it, cp, m.identity_pk, &why2) != SK_OK) {
		st = node_remote_integrity(r, "directory", why2, it->record.data, it->record.len,
					   it->inclusion_proof.data, it->inclusion_proof.len);
		goto out;
	}
	if ((st = node_directory_get(r->s, txn, rec->org_id, &held)) == SK_ERR_NOTFOUND) {
		st = SK_OK;
	} else if (st != SK_OK) {
		goto out;
	} else if (held->version > rec->version) {
		st = node_remote_integrity(r, "directory-rollback", "the registry served an older "
								    "directory record than it "
								    "served before",
					   it->record.data, it->record.len, NULL, 0);
		goto out;
	} else if (held->version == rec->version) {
		goto out;
	}
	if ((st = put_record(r->s, txn, rec->org_id, it->record.data, it->record.len,
			     it->signature.data, it->leaf_index)) == SK_OK)
		(*taken)++;
out:
	schakel__v1__directory_record__free_unpacked(held, NULL);
	schakel__v1__directory_record__free_unpacked(rec, NULL);
	return st;
}

sk_status node_remote_directory_sync(node_remote *r, size_t *n)
{
	char after[WIRE_DIR_ORG_MAX + 1] = "";
	int more = 1;
	sk_status st = SK_OK;

	*n = 0;
	for (unsigned pages = 0; more && st == SK_OK; pages++) {
		Schakel__V1__DirectoryRequest req = SCHAKEL__V1__DIRECTORY_REQUEST__INIT;
		wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT, *reply = NULL;
		const Schakel__V1__DirectoryResponse *dr;
		note_checkpoint cp;
		MDB_txn *txn = NULL;

		if (pages > 10000) /* 64 a page: far past any federation */
			return SK_ERR_TOOBIG;
		if (after[0])
			req.after = after;
		env.body_case = SCHAKEL__V1__ENVELOPE__BODY_DIRECTORY_REQUEST;
		env.directory_request = &req;
		if ((st = node_remote_ask(r, &env, SCHAKEL__V1__ENVELOPE__BODY_DIRECTORY_RESPONSE,
					  &reply)) != SK_OK)
			return st;
		dr = reply->directory_response;
		if ((st = node_remote_checkpoint_take(r, "directory-checkpoint", dr->checkpoint.data,
						      dr->checkpoint.len, &cp)) == SK_OK &&
		    (st = sk_db_status(mdb_txn_begin(r->s->env, NULL, 0, &txn))) == SK_OK) {
			for (size_t i = 0; i < dr->n_items && st == SK_OK; i++)
				st = take_item(r, txn, &cp, dr->items[i], n);
			if (st == SK_OK)
				st = sk_db_status(mdb_txn_commit(txn));
			else
				mdb_txn_abort(txn);
		}
		more = dr->has_more && dr->more && dr->n_items > 0;
		if (more) {
			Schakel__V1__DirectoryRecord *last = NULL;
			char why[160];
			const Schakel__V1__DirectoryItem *it = dr->items[dr->n_items - 1];

			if (wire_dir_parse(it->record.data, it->record.len, &last, why,
					   sizeof(why)) == SK_OK) {
				snprintf(after, sizeof(after), "%s", last->org_id);
				schakel__v1__directory_record__free_unpacked(last, NULL);
			} else {
				more = 0;
			}
		}
		wire_envelope_free(reply);
	}
	return st;
}
