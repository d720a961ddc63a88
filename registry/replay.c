#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/cli.h"
#include "common/clock.h"
#include "common/db.h"
#include "protos/rollover.h"
#include "registry/cosign.h"
#include "registry/enrol.h"
#include "registry/journal.h"
#include "registry/quota.h"
#include "registry/replay.h"
#include "registry/rollover.h"

#define BLOB_MAX 65536 /* an embedded request or certificate */

/* The quota fields a record may set, in REG_QUOTA_ order. */
static const char *const quota_names[REG_QUOTA_LIMITS] = {
	"entries", "publishes-per-minute", "messages-per-discussion", "messages-per-day"};

sk_status reg_journal_note(reg_store *s, const char *path, json_t *body)
{
	MDB_txn *txn = NULL;
	uint64_t size = 0;
	char *text = NULL;
	sk_status st;

	if (s->id == NULL) {
		sk_error_set("the journal is signed with the registry's key; open it with its key");
		return SK_ERR_INVALID;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = reg_log_size(&s->log, txn, &size);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		return st;
	if (json_object_set_new(body, "log", json_string(s->origin)) != 0 ||
	    json_object_set_new(body, "size", json_integer((json_int_t)size)) != 0 ||
	    (text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return SK_ERR_NOMEM;
	st = reg_journal_append(path, s->id, sk_clock_now_ms(), text);
	free(text);
	return st;
}

/* A base64 field of o into a malloc'd *out; 0 when absent or bad. */
static int blob(const json_t *o, const char *name, uint8_t **out, size_t *len)
{
	const char *b64 = json_string_value(json_object_get(o, name));

	*out = NULL;
	*len = 0;
	if (b64 == NULL || strlen(b64) > sodium_base64_ENCODED_LEN(BLOB_MAX,
								   sodium_base64_VARIANT_ORIGINAL) ||
	    (*out = malloc(BLOB_MAX)) == NULL)
		return 0;
	if (sodium_base642bin(*out, BLOB_MAX, b64, strlen(b64), NULL, len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    *len == 0) {
		free(*out);
		*out = NULL;
		return 0;
	}
	return 1;
}

/* The bundle options a record names (strings point into o). */
static void opts_of(const json_t *o, reg_enrol_opts *eo)
{
	const json_t *a;
	size_t i;
	json_t *v;

	memset(eo, 0, sizeof(*eo));
	eo->registry_address = json_string_value(json_object_get(o, "registry"));
	a = json_object_get(o, "pseudonymisers");
	json_array_foreach(a, i, v)
	{
		if (json_is_string(v) && eo->n_pseudonymisers < REG_MAX_PSEUDONYMISERS)
			eo->pseudonymisers[eo->n_pseudonymisers++] = json_string_value(v);
	}
	a = json_object_get(o, "witnesses");
	json_array_foreach(a, i, v)
	{
		if (json_is_string(v) && eo->n_witnesses < REG_MAX_WITNESSES)
			eo->witnesses[eo->n_witnesses++] = json_string_value(v);
	}
	if (json_is_integer(json_object_get(o, "quorum"))) {
		json_int_t q = json_integer_value(json_object_get(o, "quorum"));

		if (q >= 0 && q <= REG_MAX_WITNESSES) {
			eo->has_quorum = 1;
			eo->quorum = (uint32_t)q;
		}
	}
}

struct replay {
	reg_store *s;
	const char *out, *old_origin;
	uint64_t restored;
	reg_replay_fn fn;
	void *arg;
	reg_replay_counts *c;
};

/* The member record of org as it is now, or NULL (NOTFOUND); *st the
 * status. */
static Schakel__V1__Member *member_now(reg_store *s, const char *org, sk_status *st)
{
	Schakel__V1__Member *m = NULL;
	MDB_txn *txn = NULL;

	if ((*st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return NULL;
	*st = reg_member_get(s, txn, org, &m);
	mdb_txn_abort(txn);
	if (*st == SK_ERR_NOTFOUND)
		*st = SK_OK;
	return m;
}

static reg_replay_outcome do_revoke(struct replay *r, const json_t *o, const char *org,
				    char *why, size_t cap, sk_status *st)
{
	Schakel__V1__Member *m = member_now(r->s, org, st);
	int revoked = m != NULL && m->has_revoked_at;
	size_t purged = 0;

	schakel__v1__member__free_unpacked(m, NULL);
	if (*st != SK_OK)
		return REG_REPLAY_REFUSED;
	if (m == NULL) {
		snprintf(why, cap, "%s is hier niet bekend; voer eerst zijn aanmelding opnieuw in",
			 org);
		return REG_REPLAY_REFUSED;
	}
	if (revoked)
		return REG_REPLAY_THERE;
	*st = reg_revoke(r->s, org, json_is_true(json_object_get(o, "purge")), &purged);
	return *st == SK_OK ? REG_REPLAY_DONE : REG_REPLAY_REFUSED;
}

static reg_replay_outcome do_enrol(struct replay *r, const json_t *o, const char *org,
				   char *why, size_t cap, sk_status *st)
{
	Schakel__V1__Member *m = member_now(r->s, org, st);
	Schakel__V1__SignedEnrolRequest *sr = NULL;
	Schakel__V1__EnrolRequestBody *b = NULL;
	uint8_t *req = NULL, *cert = NULL;
	size_t rlen = 0, clen = 0;
	reg_enrol_opts eo;
	char got[64];
	reg_replay_outcome out = REG_REPLAY_REFUSED;

	if (*st != SK_OK)
		goto done;
	if (!blob(o, "request", &req, &rlen) || !blob(o, "cert", &cert, &clen) ||
	    (sr = schakel__v1__signed_enrol_request__unpack(NULL, rlen, req)) == NULL ||
	    (b = schakel__v1__enrol_request_body__unpack(NULL, sr->body.len, sr->body.data)) ==
		    NULL ||
	    strcmp(b->org_id, org) != 0) {
		snprintf(why, cap, "het journaal mist de aanvraag of het certificaat van %s", org);
		goto done;
	}
	if (m != NULL) {
		/* the same member (its identity key) is there already */
		if (m->identity_key.len == b->identity_key.len &&
		    sodium_memcmp(m->identity_key.data, b->identity_key.data,
				  m->identity_key.len) == 0)
			out = REG_REPLAY_THERE;
		else
			snprintf(why, cap, "org id %s is hier al in gebruik met een andere sleutel",
				 org);
		goto done;
	}
	opts_of(o, &eo);
	if ((*st = reg_enrol_replay(r->s, req, rlen, cert, clen, &eo, got)) == SK_OK)
		out = REG_REPLAY_DONE;
done:
	schakel__v1__enrol_request_body__free_unpacked(b, NULL);
	schakel__v1__signed_enrol_request__free_unpacked(sr, NULL);
	schakel__v1__member__free_unpacked(m, NULL);
	free(req);
	free(cert);
	return out;
}

/* New keys (`enrol --refresh ORG --request REKEY`) or a new certificate
 * (`enrol --refresh ORG --host …`) after the backup: the member holds
 * only the new keys and certificate, so the registry takes them again
 * with the certificate the journal holds (checked under the CA copy). */
static reg_replay_outcome do_rekey(struct replay *r, const json_t *o, const char *org,
				   int rekey, char *why, size_t cap, sk_status *st)
{
	Schakel__V1__Member *m = member_now(r->s, org, st);
	Schakel__V1__SignedRekeyRequest *sr = NULL;
	Schakel__V1__RekeyRequestBody *b = NULL;
	uint8_t *req = NULL, *cert = NULL;
	size_t rlen = 0, clen = 0;
	reg_enrol_opts eo;
	reg_replay_outcome out = REG_REPLAY_REFUSED;

	if (*st != SK_OK)
		goto done;
	if (m == NULL || m->has_revoked_at) {
		snprintf(why, cap, "%s is hier niet (meer) aangemeld", org);
		goto done;
	}
	if (!blob(o, "cert", &cert, &clen) ||
	    (rekey && (!blob(o, "request", &req, &rlen) ||
		       (sr = schakel__v1__signed_rekey_request__unpack(NULL, rlen, req)) == NULL ||
		       (b = schakel__v1__rekey_request_body__unpack(NULL, sr->body.len,
								    sr->body.data)) == NULL))) {
		snprintf(why, cap, "het journaal mist de aanvraag of het certificaat van %s", org);
		goto done;
	}
	/* the member has it already: the same certificate, or the new keys */
	if ((m->cert.len == clen && sodium_memcmp(m->cert.data, cert, clen) == 0) ||
	    (b != NULL && m->identity_key.len == b->identity_key.len &&
	     sodium_memcmp(m->identity_key.data, b->identity_key.data, m->identity_key.len) == 0)) {
		out = REG_REPLAY_THERE;
		goto done;
	}
	opts_of(o, &eo);
	*st = rekey ? reg_rekey_replay(r->s, org, req, rlen, cert, clen, &eo)
		    : reg_recert_replay(r->s, org, cert, clen, &eo);
	if (*st == SK_OK)
		out = REG_REPLAY_DONE;
done:
	schakel__v1__rekey_request_body__free_unpacked(b, NULL);
	schakel__v1__signed_rekey_request__free_unpacked(sr, NULL);
	schakel__v1__member__free_unpacked(m, NULL);
	free(req);
	free(cert);
	return out;
}

/* Whether the registry asks every witness eo names, at its URL, with a
 * quorum not below eo's. */
static sk_status witnesses_there(reg_store *s, const reg_enrol_opts *eo, int *there)
{
	reg_witness *ws = calloc(REG_WITNESS_MAX, sizeof(*ws));
	MDB_txn *txn = NULL;
	uint32_t quorum = 0;
	size_t n = 0;
	sk_status st;

	*there = 0;
	if (ws == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		if ((st = reg_witness_list(s, txn, ws, REG_WITNESS_MAX, &n)) == SK_OK)
			st = reg_quorum_get(s, txn, &quorum);
		mdb_txn_abort(txn);
	}
	if (st == SK_OK) {
		*there = !eo->has_quorum || quorum >= eo->quorum;
		for (size_t i = 0; *there && i < eo->n_witnesses; i++) {
			const char *at = strchr(eo->witnesses[i], '@');
			int found = 0;

			for (size_t j = 0; at != NULL && j < n && !found; j++)
				found = strlen(ws[j].id) == (size_t)(at - eo->witnesses[i]) &&
					memcmp(ws[j].id, eo->witnesses[i], strlen(ws[j].id)) == 0 &&
					strcmp(ws[j].url, at + 1) == 0;
			*there = found;
		}
	}
	free(ws);
	return st;
}

static reg_replay_outcome do_refresh(struct replay *r, const json_t *o, const char *org,
				     sk_status *st)
{
	uint8_t *bundle = NULL;
	size_t len = 0;
	reg_enrol_opts eo;
	int there = 0;

	/* a refreshed bundle changes only the witnesses the registry asks;
	 * issuing it again records them again (the bundle itself is not kept) */
	opts_of(o, &eo);
	if ((*st = witnesses_there(r->s, &eo, &there)) != SK_OK)
		return REG_REPLAY_REFUSED;
	if (there)
		return REG_REPLAY_THERE;
	*st = reg_enrol_refresh(r->s, org, &eo, &bundle, &len);
	free(bundle);
	return *st == SK_OK ? REG_REPLAY_DONE : REG_REPLAY_REFUSED;
}

static reg_replay_outcome do_quota(struct replay *r, const json_t *o, const char *org,
				   char *why, size_t cap, sk_status *st)
{
	const json_t *set = json_object_get(o, "set");
	uint64_t v[REG_QUOTA_LIMITS] = {0};
	MDB_txn *txn = NULL;
	reg_quota q, after;
	int same = 1;

	for (int i = 0; i < REG_QUOTA_LIMITS; i++) {
		const json_t *x = json_object_get(set, quota_names[i]);

		if (x == NULL)
			continue;
		if (json_is_string(x) && strcmp(json_string_value(x), "default") == 0)
			v[i] = UINT64_MAX;
		else if (json_is_integer(x) && json_integer_value(x) > 0)
			v[i] = (uint64_t)json_integer_value(x);
		else {
			snprintf(why, cap, "het journaal noemt een onbekende limiet voor %s", org);
			return REG_REPLAY_REFUSED;
		}
	}
	if ((*st = sk_db_status(mdb_txn_begin(r->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return REG_REPLAY_REFUSED;
	*st = reg_quota_get(r->s, txn, org, &q);
	mdb_txn_abort(txn);
	if (*st != SK_OK)
		return REG_REPLAY_REFUSED;
	for (int i = 0; i < REG_QUOTA_LIMITS; i++)
		if (v[i] != 0 && q.v[i] != (v[i] == UINT64_MAX ? 0 : v[i]))
			same = 0;
	if (same)
		return REG_REPLAY_THERE;
	*st = reg_quota_set(r->s, org, v, &after);
	return *st == SK_OK ? REG_REPLAY_DONE : REG_REPLAY_REFUSED;
}

/* journal.replay in the registry's audit log. */
static sk_status audit_replay(reg_store *s, const reg_replay_item *it)
{
	static const char *const words[] = {"replayed", "already there", "in the backup",
					    "refused"};
	audit_record rec = {0};
	MDB_txn *txn = NULL;
	char reason[512];
	sk_status st;

	snprintf(reason, sizeof(reason), "journal record %llu (%s %s): %s%s%s",
		 (unsigned long long)it->seq, it->cmd, it->org, words[it->outcome],
		 it->why[0] ? ": " : "", it->why);
	rec.event = "journal.replay";
	rec.action = it->outcome == REG_REPLAY_DONE ? AUDIT_ACTION_UPDATE : AUDIT_ACTION_READ;
	rec.outcome = it->outcome == REG_REPLAY_REFUSED ? AUDIT_OUTCOME_FAILED : AUDIT_OUTCOME_OK;
	rec.reason = reason;
	rec.access_point = "cli";
	rec.responsible = sk_cli_user();
	rec.counterpart = it->org;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = reg_audit(s, txn, &rec)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

static sk_status one(const reg_journal_record *jr, void *arg)
{
	struct replay *r = arg;
	json_t *o = json_loadb(jr->body, jr->body_len, JSON_REJECT_DUPLICATES, NULL);
	const char *cmd = json_string_value(json_object_get(o, "cmd"));
	const char *org = json_string_value(json_object_get(o, "org"));
	const char *log = json_string_value(json_object_get(o, "log"));
	const json_t *size = json_object_get(o, "size");
	reg_replay_item it = {jr->seq, jr->time, cmd ? cmd : "?", org ? org : "?", "",
			      REG_REPLAY_REFUSED};
	char why[256] = "";
	sk_status st = SK_OK;

	if (!json_is_object(o) || cmd == NULL || org == NULL || log == NULL ||
	    !json_is_integer(size) || json_integer_value(size) < 0) {
		snprintf(why, sizeof(why), "dit record is niet te lezen");
	} else if (strcmp(log, r->s->origin) == 0) {
		/* made on the log the registry keeps now */
		it.outcome = REG_REPLAY_THERE;
	} else if (strcmp(log, r->old_origin) != 0 ||
		   (uint64_t)json_integer_value(size) < r->restored ||
		   ((uint64_t)json_integer_value(size) == r->restored &&
		    strcmp(cmd, "quota") != 0 && strcmp(cmd, "refresh") != 0)) {
		/* its leaf is in the restored tree (or an older log's) */
		it.outcome = REG_REPLAY_BACKUP;
	} else if (strcmp(cmd, "revoke") == 0) {
		it.outcome = do_revoke(r, o, org, why, sizeof(why), &st);
	} else if (strcmp(cmd, "enrol") == 0) {
		it.outcome = do_enrol(r, o, org, why, sizeof(why), &st);
	} else if (strcmp(cmd, "refresh") == 0) {
		it.outcome = do_refresh(r, o, org, &st);
	} else if (strcmp(cmd, "quota") == 0) {
		it.outcome = do_quota(r, o, org, why, sizeof(why), &st);
	} else if (strcmp(cmd, "rekey") == 0 || strcmp(cmd, "recert") == 0) {
		it.outcome = do_rekey(r, o, org, strcmp(cmd, "rekey") == 0, why, sizeof(why), &st);
	} else {
		snprintf(why, sizeof(why), "onbekende opdracht '%.32s'", cmd);
	}
	if (it.outcome == REG_REPLAY_REFUSED && why[0] == 0)
		snprintf(why, sizeof(why), "de registry weigert het: %s",
			 sk_error_detail()[0] ? sk_error_detail() : sk_strerror(st));
	it.why = why;
	st = SK_OK;
	/* noted again under the log the registry keeps now (cmd and org
	 * point into o: it is freed last) */
	if (it.outcome == REG_REPLAY_DONE && r->out != NULL) {
		json_t *again = json_deep_copy(o);

		if (again == NULL || json_object_del(again, "log") != 0 ||
		    json_object_del(again, "size") != 0)
			st = SK_ERR_NOMEM;
		else
			st = reg_journal_note(r->s, r->out, again);
		json_decref(again);
		if (st != SK_OK) {
			json_decref(o);
			return st;
		}
	}
	switch (it.outcome) {
	case REG_REPLAY_DONE:
		r->c->done++;
		break;
	case REG_REPLAY_THERE:
		r->c->there++;
		break;
	case REG_REPLAY_BACKUP:
		r->c->backup++;
		break;
	default:
		r->c->refused++;
	}
	if (r->fn != NULL)
		r->fn(&it, r->arg);
	st = audit_replay(r->s, &it);
	json_decref(o);
	return st;
}

sk_status reg_journal_replay(reg_store *s, const char *path, const char *out, reg_replay_fn fn,
			     void *arg, reg_replay_counts *c)
{
	struct replay r = {s, out, NULL, 0, fn, arg, c};
	wire_rollover w = {0};
	uint8_t *body = NULL, sig[KEY_SIG_BYTES];
	size_t blen = 0;
	MDB_txn *txn = NULL;
	sk_status st;

	memset(c, 0, sizeof(*c));
	if (s->id == NULL) {
		sk_error_set("replaying the journal needs the registry's key");
		return SK_ERR_INVALID;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = reg_rollover_get(s, txn, &body, &blen, sig, &r.restored);
	mdb_txn_abort(txn);
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("log %s never rolled over: replay the journal after the restore and "
			     "'rollover'",
			     s->origin);
	if (st != SK_OK || (st = wire_rollover_parse(&w, body, blen)) != SK_OK)
		goto out;
	r.old_origin = w.st->old_origin;
	st = reg_journal_read(path, s->id->pk, one, &r, NULL);
out:
	wire_rollover_free(&w);
	free(body);
	return st;
}
