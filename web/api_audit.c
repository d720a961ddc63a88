/* The API's audit pages for the privacy officer: records, exports, the
 * access report, review and sign-off, verification (docs/web.md). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "audit/export.h"
#include "audit/query.h"
#include "audit/report.h"
#include "audit/review.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "node/anchor.h"
#include "web/api.h"
#include "web/api_int.h"

#define RECORDS_DEFAULT 200
#define RECORDS_MAX 1000

/* ---- audit -------------------------------------------------------------------- */

/* The filters of docs/web.md into f (strings point into r or client).
 * 0, or 400 with *out. */
static int filter(web_req *r, audit_filter *f, char client[static NODE_CLIENT_ID_MAX + 1],
		  json_t **out)
{
	const char *c = web_param(r, "client"), *u = web_param(r, "professional");
	const char *e = web_param(r, "event"), *a = web_param(r, "action");
	const char *o = web_param(r, "outcome"), *s = web_param(r, "since");
	const char *t = web_param(r, "until");
	MDB_txn *txn = NULL;
	sk_status st = SK_OK;

	memset(f, 0, sizeof(*f));
	if (c != NULL && c[0]) {
		if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) ==
		    SK_OK) {
			st = node_client_resolve(r->app->s, txn, c, client);
			mdb_txn_abort(txn);
		}
		if (st != SK_OK)
			return api_fail(st, out);
		f->client = client;
	}
	f->user = u != NULL && u[0] ? u : NULL;
	f->event = e != NULL && e[0] ? e : NULL;
	if ((a != NULL && a[0] && audit_action_parse(&f->action, a) != SK_OK) ||
	    (o != NULL && o[0] && audit_outcome_parse(&f->outcome, o) != SK_OK) ||
	    (s != NULL && s[0] && audit_time_parse(&f->since_ms, s, false) != SK_OK) ||
	    (t != NULL && t[0] && audit_time_parse(&f->until_ms, t, true) != SK_OK)) {
		*out = api_err(api_tr(r, "ongeldig filter: actie C/R/U/D/E, uitkomst ok/denied/failed, "
				 "data als JJJJ-MM-DD",
			      "bad filter: action C/R/U/D/E, outcome ok/denied/failed, dates "
			      "as YYYY-MM-DD"));
		return 400;
	}
	return 0;
}

/* Records the privacy officer's read of the log before it is shown. */
static sk_status audit_read(web_req *r, const char *event, const char *client,
			    const char *what)
{
	return node_audit_access(r->app->s, event, web_actor(r), api_actor_role(r), "audit", client,
				 what);
}

/* The last `limit` matches, newest first. */
struct ring {
	json_t **slot;
	size_t cap, n;
	uint64_t total;
};

static sk_status ring_add(const audit_record *rec, void *arg)
{
	struct ring *g = arg;
	json_t *j = NULL;
	sk_status st;

	if ((st = audit_record_json(&j, rec)) != SK_OK)
		return st;
	json_decref(g->slot[g->total % g->cap]);
	g->slot[g->total % g->cap] = j;
	g->total++;
	return SK_OK;
}

int api_audit_records(web_req *r, json_t **out)
{
	char client[NODE_CLIENT_ID_MAX + 1], what[AUDIT_FILTER_TEXT_MAX];
	const char *lim = web_param(r, "limit");
	struct ring g = {0};
	audit_filter f;
	MDB_txn *txn = NULL;
	json_t *list = NULL;
	sk_status st;
	int code;

	if ((code = api_need_officer(r, out)) != 0 || (code = filter(r, &f, client, out)) != 0)
		return code;
	g.cap = lim != NULL ? strtoul(lim, NULL, 10) : RECORDS_DEFAULT;
	if (g.cap == 0 || g.cap > RECORDS_MAX)
		g.cap = RECORDS_DEFAULT;
	audit_filter_text(what, sizeof(what), &f);
	if ((g.slot = calloc(g.cap, sizeof(*g.slot))) == NULL || (list = json_array()) == NULL) {
		code = api_fail(SK_ERR_NOMEM, out);
		goto out;
	}
	if ((st = audit_read(r, "audit.query", f.client, what)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK) {
		code = api_fail(st, out);
		goto out;
	}
	st = audit_query(r->app->s->audit, txn, &f, ring_add, &g);
	mdb_txn_abort(txn);
	if (st != SK_OK) {
		code = api_fail(st, out);
		goto out;
	}
	for (uint64_t i = 0; i < g.total && i < g.cap; i++)
		json_array_append(list, g.slot[(g.total - 1 - i) % g.cap]);
	*out = json_pack("{s:I,s:O,s:s}", "total", (json_int_t)g.total, "records", list, "filter",
			 what);
	code = 200;
out:
	for (size_t i = 0; g.slot != NULL && i < g.cap; i++)
		json_decref(g.slot[i]);
	free(g.slot);
	json_decref(list);
	return code;
}

/* The export, streamed to the client as the query finds the records
 * (web_stream_begin): a year of records is hundreds of MB. The read of
 * the log is audited first; a client that goes away stops the query. */
void api_audit_download(web_req *r)
{
	const char *fmt_s = web_param(r, "format");
	char client[NODE_CLIENT_ID_MAX + 1], what[AUDIT_FILTER_TEXT_MAX + 32], disp[96];
	audit_format fmt = AUDIT_FORMAT_CSV;
	audit_export *x = NULL;
	audit_filter f;
	MDB_txn *txn = NULL;
	json_t *out = NULL;
	FILE *fp = NULL;
	uint64_t count = 0;
	sk_status st;
	int code;

	if ((code = api_need_officer(r, &out)) != 0 || (code = filter(r, &f, client, &out)) != 0) {
		web_reply_json(r, code, out);
		return;
	}
	if (fmt_s != NULL && fmt_s[0] && audit_format_parse(&fmt, fmt_s) != SK_OK) {
		web_reply_error(r, 400, "format is csv, json or fhir");
		return;
	}
	snprintf(what, sizeof(what), "export %s: ",
		 fmt == AUDIT_FORMAT_CSV ? "csv" : fmt == AUDIT_FORMAT_FHIR ? "fhir" : "json");
	audit_filter_text(what + strlen(what), sizeof(what) - strlen(what), &f);
	if ((st = audit_read(r, "audit.export", f.client, what)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK) {
		code = api_fail(st, &out);
		web_reply_json(r, code, out);
		return;
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"audit.%s\"",
		 fmt == AUDIT_FORMAT_CSV ? "csv" : "json");
	web_header_add(r, "Content-Disposition", disp);
	/* from here the status line is sent: a failure can only cut it short */
	if ((st = web_stream_begin(r, 200, fmt == AUDIT_FORMAT_CSV ? "text/csv; charset=utf-8"
					  : fmt == AUDIT_FORMAT_FHIR ? "application/fhir+json"
								     : "application/json",
				   &fp)) != SK_OK) {
		mdb_txn_abort(txn);
		code = api_fail(st, &out);
		web_reply_json(r, code, out);
		return;
	}
	if ((st = audit_export_begin(&x, fp, fmt, sk_clock_now_ms())) == SK_OK) {
		st = audit_query(r->app->s->audit, txn, &f, audit_export_record, x);
		if (st == SK_OK)
			st = audit_export_end(x, &count);
		else
			audit_export_free(x);
	}
	mdb_txn_abort(txn);
	if (web_stream_end(r, fp) != SK_OK && st == SK_OK)
		st = SK_ERR_IO;
	if (st != SK_OK)
		sk_log(SK_LOG_WARNING, "web: an audit export stopped after %llu records: %s",
		       (unsigned long long)count, sk_strerror(st));
}

int api_audit_report(web_req *r, json_t **out)
{
	const char *lang = web_param(r, "lang"), *ref = web_param(r, "client");
	char client[NODE_CLIENT_ID_MAX + 1], *buf = NULL;
	audit_report_opts ro = {0};
	MDB_txn *txn = NULL;
	size_t len = 0;
	FILE *fp = NULL;
	json_t *lines;
	sk_status st;
	int code;

	if ((code = api_need_officer(r, out)) != 0)
		return code;
	ro.lang = r->lang == WEB_EN ? AUDIT_LANG_EN : AUDIT_LANG_NL;
	if ((lang != NULL && lang[0] && audit_lang_parse(&ro.lang, lang) != SK_OK) || ref == NULL ||
	    ref[0] == 0) {
		*out = api_err(api_tr(r, "geef de cliënt (BSN of eigen nummer) en de taal nl of en",
			      "give the client (BSN or local id) and the language nl or en"));
		return 400;
	}
	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return api_fail(st, out);
	st = node_client_resolve(r->app->s, txn, ref, client);
	mdb_txn_abort(txn);
	if (st != SK_OK || (st = audit_read(r, "audit.report", client, "art. 15 report")) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return api_fail(st, out);
	ro.client = client;
	ro.org_name = r->app->s->name;
	ro.now_ms = sk_clock_now_ms();
	ro.json = true;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		st = SK_ERR_NOMEM;
	else
		st = audit_report_write(fp, r->app->s->audit, txn, &ro);
	mdb_txn_abort(txn);
	if (fp != NULL && fclose(fp) != 0 && st == SK_OK)
		st = SK_ERR_IO;
	if (st != SK_OK || (lines = json_loadb(buf, len, 0, NULL)) == NULL) {
		free(buf);
		return api_fail(st != SK_OK ? st : SK_ERR_INVALID, out);
	}
	free(buf);
	*out = json_pack("{s:s,s:s,s:o}", "client", client, "lang",
			 ro.lang == AUDIT_LANG_EN ? "en" : "nl", "lines", lines);
	return *out != NULL ? 200 : api_fail(SK_ERR_NOMEM, out);
}

/* Sign-offs so far: finding id -> {by, time, note}. */
static sk_status signoff_one(const audit_record *rec, void *arg)
{
	if (rec->correlation_id != NULL)
		json_object_set_new(arg, rec->correlation_id,
				    json_pack("{s:s?,s:I,s:s?}", "by", rec->user, "time",
					      (json_int_t)rec->time_ms, "note", rec->reason));
	return SK_OK;
}

static sk_status finding_one(const audit_finding *f, void *arg)
{
	json_t *j = NULL;
	sk_status st = audit_finding_json(&j, f);

	if (st != SK_OK)
		return st;
	return json_array_append_new(arg, j) == 0 ? SK_OK : SK_ERR_NOMEM;
}

int api_audit_review(web_req *r, json_t **out)
{
	const char *s = web_param(r, "since"), *u = web_param(r, "until");
	audit_filter sf = {.event = "audit.signoff"};
	char what[160], a[AUDIT_TIME_BYTES], b[AUDIT_TIME_BYTES];
	json_t *list = json_array(), *signed_off = json_object(), *x;
	audit_review_opts ro;
	uint64_t records = 0;
	MDB_txn *txn = NULL;
	sk_status st;
	size_t i;
	int code;

	if ((code = api_need_officer(r, out)) != 0)
		goto out;
	audit_review_defaults(&ro);
	if ((s != NULL && s[0] && audit_time_parse(&ro.since_ms, s, false) != SK_OK) ||
	    (u != NULL && u[0] && audit_time_parse(&ro.until_ms, u, true) != SK_OK)) {
		*out = api_err(api_tr(r, "data als JJJJ-MM-DD", "dates as YYYY-MM-DD"));
		code = 400;
		goto out;
	}
	if (ro.until_ms == 0)
		ro.until_ms = sk_clock_now_ms();
	audit_time_format(a, ro.since_ms);
	audit_time_format(b, ro.until_ms);
	snprintf(what, sizeof(what), "review %s to %s", a, b);
	if (list == NULL || signed_off == NULL) {
		code = api_fail(SK_ERR_NOMEM, out);
		goto out;
	}
	if ((st = audit_read(r, "audit.review", NULL, what)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK) {
		code = api_fail(st, out);
		goto out;
	}
	st = audit_review(r->app->s->audit, txn, &ro, finding_one, list, &records);
	if (st == SK_OK)
		st = audit_query(r->app->s->audit, txn, &sf, signoff_one, signed_off);
	mdb_txn_abort(txn);
	if (st != SK_OK) {
		code = api_fail(st, out);
		goto out;
	}
	json_array_foreach(list, i, x)
	{
		json_t *so = json_object_get(signed_off, json_string_value(json_object_get(x, "id")));

		if (so != NULL)
			json_object_set(x, "signed_off", so);
	}
	*out = json_pack("{s:s,s:s,s:I,s:O}", "since", a, "until", b, "records",
			 (json_int_t)records, "findings", list);
	code = 200;
out:
	json_decref(list);
	json_decref(signed_off);
	return code;
}

int api_audit_signoff(web_req *r, json_t **out)
{
	const char *seq_s = web_param(r, "seq"), *note = web_param(r, "note");
	unsigned long long seq = seq_s != NULL ? strtoull(seq_s, NULL, 10) : 0;
	char id[2 * AUDIT_ID_BYTES + 1], clean[AUDIT_REASON_MAX + 1];
	audit_record *rec = NULL, so = {0};
	MDB_txn *txn = NULL;
	sk_status st;
	int code;

	if ((code = api_need_officer(r, out)) != 0)
		return code;
	if (seq == 0) {
		*out = api_err(api_tr(r, "welk record?", "which record?"));
		return 400;
	}
	if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return api_fail(st, out);
	st = audit_log_get(r->app->s->audit, txn, seq, &rec);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		return api_fail(st, out);
	sodium_bin2hex(id, sizeof(id), rec->id, AUDIT_ID_BYTES);
	audit_record_free(rec);
	audit_text_clean(clean, sizeof(clean), note != NULL && note[0] ? note : "reviewed");
	so.event = "audit.signoff";
	so.action = AUDIT_ACTION_EXECUTE;
	so.outcome = AUDIT_OUTCOME_OK;
	so.user = web_actor(r);
	so.role = api_actor_role(r);
	so.category = "audit";
	so.correlation_id = id;
	so.reason = clean;
	if ((st = node_audit_commit(r->app->s, &so)) != SK_OK)
		return api_fail(st, out);
	*out = json_pack("{s:s,s:s}", "id", id, "message", api_tr(r, "afgetekend", "signed off"));
	return 200;
}

int api_audit_verify(web_req *r, json_t **out)
{
	uint64_t count = 0, bad = 0, anchored = 0, seq = 0;
	uint8_t head[AUDIT_HASH_BYTES];
	char hex[2 * AUDIT_HASH_BYTES + 1];
	MDB_txn *txn = NULL;
	sk_status st, vst;
	int code;

	if ((code = api_need_officer(r, out)) != 0)
		return code;
	if ((st = audit_read(r, "audit.verify", NULL, NULL)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return api_fail(st, out);
	vst = audit_log_verify(r->app->s->audit, txn, &count, &bad);
	if (vst == SK_OK)
		vst = node_audit_anchor_check(r->app->s, txn, count, &bad, &anchored);
	st = audit_log_head(r->app->s->audit, txn, &seq, head);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		return api_fail(st, out);
	if (vst != SK_OK && vst != SK_ERR_VERIFY)
		return api_fail(vst, out);
	sodium_bin2hex(hex, sizeof(hex), head, sizeof(head));
	*out = json_pack("{s:b,s:I,s:I,s:I,s:s,s:s?}", "ok", vst == SK_OK, "records",
			 (json_int_t)count, "first_bad", (json_int_t)bad, "anchored",
			 (json_int_t)anchored, "head", hex, "detail",
			 vst == SK_OK ? NULL : sk_error_detail());
	return 200;
}
