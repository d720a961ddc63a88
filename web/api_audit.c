/* The API's audit part for the privacy officer: records (paged, newest
 * first, through the log's indexes), exports, the access report, review
 * and sign-off, verification (docs/web.md). A client is named by BSN only
 * in a POST (/api/audit/search), which keeps the resolved client on the
 * server for a short while under a random search id; URLs carry that id,
 * never the BSN. Export formatting (export_write: records to a FILE sink)
 * stays apart from the transport (send_download). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "audit/export.h"
#include "audit/query.h"
#include "audit/report.h"
#include "audit/review.h"
#include "audit/words.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "node/anchor.h"
#include "node/report.h"
#include "web/api.h"
#include "web/api_int.h"

#define FINDINGS_PAGE 100
#define REVIEW_RECORDS_MAX 100000 /* records one review reads, at most (~100 ms) */
#define REVIEW_DEFAULT_DAYS 7

/* ---- searches: the client of a POST, kept under a random id ------------------ */

#define SEARCH_SLOTS 256
#define SEARCH_TTL_MS (30ull * 60 * 1000)
#define SEARCH_ID_HEX 33

static struct search {
	char id[SEARCH_ID_HEX];
	char owner[NODE_ID_MAX + 1];
	char client[NODE_CLIENT_ID_MAX + 1];
	uint64_t at;
} searches[SEARCH_SLOTS];
static pthread_mutex_t searches_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whose searches: the session's professional, or the API token. */
static const char *search_owner(const web_req *r)
{
	return r->sess != NULL ? r->sess->prof : "api-token";
}

/* Keeps client for the owner; id gets the new search id. */
static void search_put(const char *owner, const char *client, char id[static SEARCH_ID_HEX])
{
	uint8_t raw[16];
	uint64_t now = sk_clock_now_ms();
	size_t pick = 0;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(id, SEARCH_ID_HEX, raw, sizeof(raw));
	pthread_mutex_lock(&searches_lock);
	for (size_t i = 0; i < SEARCH_SLOTS; i++) { /* a free or expired slot, else the oldest */
		if (searches[i].id[0] == 0 || searches[i].at + SEARCH_TTL_MS < now) {
			pick = i;
			break;
		}
		if (searches[i].at < searches[pick].at)
			pick = i;
	}
	snprintf(searches[pick].id, SEARCH_ID_HEX, "%s", id);
	snprintf(searches[pick].owner, sizeof(searches[pick].owner), "%s", owner);
	snprintf(searches[pick].client, sizeof(searches[pick].client), "%s", client);
	searches[pick].at = now;
	pthread_mutex_unlock(&searches_lock);
}

/* The client of search id, if it is the owner's and not expired. */
static int search_get(const char *owner, const char *id, char client[static NODE_CLIENT_ID_MAX + 1])
{
	uint64_t now = sk_clock_now_ms();
	int found = 0;

	if (strlen(id) != SEARCH_ID_HEX - 1)
		return 0;
	pthread_mutex_lock(&searches_lock);
	for (size_t i = 0; i < SEARCH_SLOTS && !found; i++)
		if (searches[i].id[0] != 0 && sodium_memcmp(searches[i].id, id, SEARCH_ID_HEX - 1) == 0 &&
		    strcmp(searches[i].owner, owner) == 0 && searches[i].at + SEARCH_TTL_MS >= now) {
			memcpy(client, searches[i].client, sizeof(searches[i].client));
			found = 1;
		}
	pthread_mutex_unlock(&searches_lock);
	return found;
}

/* Text that a URL must not carry: digits only (a BSN). */
static int bsn_like(const char *s)
{
	return s[0] != 0 && strspn(s, "0123456789") == strlen(s);
}

/* ---- filters ------------------------------------------------------------------- */

/* The filters of docs/web.md into f (strings point into r or client):
 * the client from `search`, or `client` as a local id (a BSN only in a
 * POST body). 0, or 400 with *out. */
static int filter(web_req *r, audit_filter *f, char client[static NODE_CLIENT_ID_MAX + 1],
		  json_t **out)
{
	const char *c = web_param(r, "client"), *u = web_param(r, "professional");
	const char *e = web_param(r, "event"), *a = web_param(r, "action");
	const char *o = web_param(r, "outcome"), *s = web_param(r, "since");
	const char *t = web_param(r, "until"), *sid = web_param(r, "search");
	MDB_txn *txn = NULL;
	sk_status st = SK_OK;

	memset(f, 0, sizeof(*f));
	if (sid != NULL && sid[0]) {
		if (!search_get(search_owner(r), sid, client)) {
			*out = api_err(api_tr(r, "deze zoekopdracht is verlopen; zoek opnieuw",
					      "this search has expired; search again"));
			return 400;
		}
		f->client = client;
	} else if (c != NULL && c[0]) {
		if (r->method == EVHTTP_REQ_GET && bsn_like(c)) {
			*out = api_err(api_tr(r, "een BSN hoort niet in een adres: zoek met POST "
					      "/api/audit/search",
					      "a BSN does not belong in a URL: search with POST "
					      "/api/audit/search"));
			return 400;
		}
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
		*out = api_err(api_tr(r, "ongeldig filter: kies uit de lijsten en geef data als "
				      "JJJJ-MM-DD",
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

/* POST /api/audit/search: client (BSN or local id; or `search`, the id of
 * an earlier search, to keep its client), the other filters and `next`
 * (/audit or /audit/report). A form goes on to next?search=ID with the
 * other filters (never the client); JSON gets {"search": ID}. Without a
 * client, /audit searches all clients. */
void api_audit_search(web_req *r)
{
	static const char *const carry[] = {"professional", "event", "action", "outcome",
					    "since", "until", "report_lang"};
	const char *c = web_param(r, "client"), *next = web_param(r, "next");
	const char *sid = web_param(r, "search");
	char client[NODE_CLIENT_ID_MAX + 1] = "", id[SEARCH_ID_HEX] = "", loc[1024];
	json_t *out = NULL;
	MDB_txn *txn = NULL;
	sk_status st = SK_OK;
	size_t n;
	int code;

	if ((code = api_need_officer(r, &out)) != 0) {
		web_reply_json(r, code, out);
		return;
	}
	if (next == NULL || strcmp(next, "/audit/report") != 0)
		next = "/audit";
	if (c != NULL && c[0]) {
		if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) ==
		    SK_OK) {
			st = node_client_resolve(r->app->s, txn, c, client);
			mdb_txn_abort(txn);
		}
		if (st == SK_OK)
			search_put(search_owner(r), client, id);
		sodium_memzero(client, sizeof(client));
	} else if (sid != NULL && sid[0] && search_get(search_owner(r), sid, client)) {
		snprintf(id, sizeof(id), "%s", sid);
		sodium_memzero(client, sizeof(client));
	} else if (strcmp(next, "/audit") != 0) {
		st = SK_ERR_INVALID;
	}
	if (st != SK_OK) {
		const char *msg = st == SK_ERR_NOTFOUND
					  ? api_tr(r, "deze cliënt is bij ons niet bekend; controleer "
						      "het BSN",
						   "we do not know this client; check the BSN")
					  : api_tr(r, "geef een geldig BSN (9 cijfers) of ons eigen "
						      "cliëntnummer",
						   "give a valid BSN (9 digits) or our own client number");

		if (!r->form_post) {
			web_reply_error(r, st == SK_ERR_NOTFOUND ? 404 : 400, msg);
			return;
		}
		web_flash(r->sess, 1, "%s", msg);
		web_redirect(r, next);
		return;
	}
	if (!r->form_post) {
		web_reply_json(r, 200, json_pack("{s:s?,s:I}", "search", id[0] ? id : NULL,
						 "expires",
						 (json_int_t)(sk_clock_now_ms() + SEARCH_TTL_MS)));
		return;
	}
	n = (size_t)snprintf(loc, sizeof(loc), "%s?search=%s", next, id);
	for (size_t i = 0; i < sizeof(carry) / sizeof(carry[0]); i++) {
		const char *v = web_param(r, carry[i]);
		char *e;

		if (v == NULL || v[0] == 0 || (e = evhttp_encode_uri(v)) == NULL)
			continue;
		if (n < sizeof(loc))
			n += (size_t)snprintf(loc + n, sizeof(loc) - n, "&%s=%s", carry[i], e);
		free(e);
	}
	web_redirect(r, n < sizeof(loc) ? loc : next);
}

/* ---- records ------------------------------------------------------------------- */

/* Words for a record's fields on the officer's pages (lang of r). */
struct words {
	web_req *r;
	MDB_txn *txn;
	audit_lang lang;
	json_t *list;
};

/* Adds to j what a person reads: "when" (local, in words), "event_name",
 * "outcome_name", "action_name", "user_name", "client_name". */
static void add_words(struct words *w, json_t *j, const audit_record *rec)
{
	char when[AUDIT_DATE_WORDS_MAX];
	node_professional p;
	node_client c;

	audit_date_words(when, rec->time_ms, w->lang, true);
	json_object_set_new(j, "when", json_string(when));
	json_object_set_new(j, "event_name", json_string(audit_event_name(rec->event, w->lang)));
	json_object_set_new(j, "outcome_name",
			    json_string(audit_outcome_words(rec->outcome, w->lang)));
	json_object_set_new(j, "action_name", json_string(audit_action_words(rec->action, w->lang)));
	if (rec->user != NULL && node_professional_get(w->r->app->s, w->txn, rec->user, &p) == SK_OK)
		json_object_set_new(j, "user_name", json_string(p.name));
	if (rec->client != NULL && node_client_get(w->r->app->s, w->txn, rec->client, &c) == SK_OK) {
		char who[NODE_NAME_MAX + AUDIT_DATE_WORDS_MAX + 4];

		node_date b;

		if (c.name[0] && node_date_parse(&b, c.birthdate) == SK_OK) {
			char born[AUDIT_DATE_WORDS_MAX];

			/* the birth date tells apart clients of one name; noon
			 * keeps the day in any time zone */
			audit_date_words(born, node_date_ms(&b) + 12 * 3600 * 1000ull, w->lang, false);
			snprintf(who, sizeof(who), "%s (%s)", c.name, born);
		} else
			snprintf(who, sizeof(who), "%s", c.name[0] ? c.name
						   : api_tr(w->r, "cliënt zonder naam",
							    "client without a name"));
		json_object_set_new(j, "client_name", json_string(who));
		sodium_memzero(&c, sizeof(c));
	}
}

static sk_status record_add(const audit_record *rec, void *arg)
{
	struct words *w = arg;
	json_t *j = NULL;
	sk_status st;

	if ((st = audit_record_json(&j, rec)) != SK_OK)
		return st;
	add_words(w, j, rec);
	return json_array_append_new(w->list, j) == 0 ? SK_OK : SK_ERR_NOMEM;
}

static audit_lang req_lang(const web_req *r)
{
	return r->lang == WEB_EN ? AUDIT_LANG_EN : AUDIT_LANG_NL;
}

int api_audit_records(web_req *r, json_t **out)
{
	char client[NODE_CLIENT_ID_MAX + 1], what[AUDIT_FILTER_TEXT_MAX], cur[AUDIT_CURSOR_TEXT];
	const char *lim = web_param(r, "limit"), *before = web_param(r, "before");
	struct words w = {r, NULL, req_lang(r), NULL};
	audit_cursor from = {0, 0}, next = {0, 0};
	unsigned long limit = AUDIT_PAGE_MAX;
	uint64_t scanned = 0;
	audit_filter f;
	sk_status st;
	int code;

	if ((code = api_need_officer(r, out)) != 0 || (code = filter(r, &f, client, out)) != 0)
		return code;
	if (lim != NULL && lim[0] && ((limit = strtoul(lim, NULL, 10)) == 0 || limit > AUDIT_PAGE_MAX))
		limit = AUDIT_PAGE_MAX;
	if (before != NULL && before[0] && audit_cursor_parse(&from, before) != SK_OK) {
		*out = api_err(api_tr(r, "ongeldige vervolgpagina", "bad page cursor"));
		return 400;
	}
	audit_filter_text(what, sizeof(what), &f);
	if ((w.list = json_array()) == NULL)
		return api_fail(SK_ERR_NOMEM, out);
	if ((st = audit_read(r, "audit.query", f.client, what)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &w.txn))) != SK_OK) {
		json_decref(w.list);
		return api_fail(st, out);
	}
	st = audit_query_page(r->app->s->audit, w.txn, &f, &from, limit, 0, record_add, &w, &next,
			      &scanned);
	mdb_txn_abort(w.txn);
	if (st != SK_OK) {
		json_decref(w.list);
		return api_fail(st, out);
	}
	audit_cursor_format(cur, &next);
	*out = json_pack("{s:o,s:s?,s:I,s:s}", "records", w.list, "next",
			 next.time_ms != 0 ? cur : NULL, "scanned", (json_int_t)scanned, "filter",
			 what);
	return *out != NULL ? 200 : api_fail(SK_ERR_NOMEM, out);
}

/* ---- export: formatting to a sink, then the transport ------------------------------ */

/* Writes the records of f in fmt (CSV with separator sep) to sink, oldest
 * first; *count gets how many. */
static sk_status export_write(FILE *sink, const audit_log *log, MDB_txn *txn,
			      const audit_filter *f, audit_format fmt, char sep, uint64_t *count)
{
	audit_export *x = NULL;
	sk_status st;

	if ((st = audit_export_begin_sep(&x, sink, fmt, sep, sk_clock_now_ms())) != SK_OK)
		return st;
	if ((st = audit_query(log, txn, f, audit_export_record, x)) != SK_OK) {
		audit_export_free(x);
		return st;
	}
	return audit_export_end(x, count);
}

/* The export, streamed to the client as the query finds the records
 * (web_stream_begin): a year of records is hundreds of MB. The read of
 * the log is audited first; a client that goes away stops the query. */
void api_audit_download(web_req *r)
{
	const char *fmt_s = web_param(r, "format"), *sep_s = web_param(r, "sep");
	char client[NODE_CLIENT_ID_MAX + 1], what[AUDIT_FILTER_TEXT_MAX + 40], disp[96];
	audit_format fmt = AUDIT_FORMAT_CSV;
	audit_filter f;
	MDB_txn *txn = NULL;
	json_t *out = NULL;
	FILE *fp = NULL;
	uint64_t count = 0;
	char sep = ',';
	sk_status st;
	int code;

	if ((code = api_need_officer(r, &out)) != 0 || (code = filter(r, &f, client, &out)) != 0) {
		web_reply_json(r, code, out);
		return;
	}
	if ((fmt_s != NULL && fmt_s[0] && audit_format_parse(&fmt, fmt_s) != SK_OK) ||
	    (sep_s != NULL && sep_s[0] && audit_separator_parse(&sep, sep_s) != SK_OK)) {
		web_reply_error(r, 400, "format is csv, json or fhir; sep is comma or semicolon");
		return;
	}
	snprintf(what, sizeof(what), "export %s%s: ",
		 fmt == AUDIT_FORMAT_CSV ? "csv" : fmt == AUDIT_FORMAT_FHIR ? "fhir" : "json",
		 fmt == AUDIT_FORMAT_CSV && sep == ';' ? " (semicolon)" : "");
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
	st = export_write(fp, r->app->s->audit, txn, &f, fmt, sep, &count);
	mdb_txn_abort(txn);
	if (web_stream_end(r, fp) != SK_OK && st == SK_OK)
		st = SK_ERR_IO;
	if (st != SK_OK)
		sk_log(SK_LOG_WARNING, "web: an audit export stopped after %llu records: %s",
		       (unsigned long long)count, sk_strerror(st));
}

/* ---- the art. 15 report -------------------------------------------------------------- */

int api_audit_report(web_req *r, json_t **out)
{
	/* report_lang: the report's own language (a page's lang= would switch
	 * the page's); lang for the API */
	const char *lang = web_param(r, "report_lang") != NULL ? web_param(r, "report_lang")
							      : web_param(r, "lang");
	char client[NODE_CLIENT_ID_MAX + 1];
	audit_lang l = req_lang(r);
	audit_filter f;
	MDB_txn *txn = NULL;
	json_t *doc = NULL;
	sk_status st;
	int code;

	if ((code = api_need_officer(r, out)) != 0 || (code = filter(r, &f, client, out)) != 0)
		return code;
	if ((lang != NULL && lang[0] && audit_lang_parse(&l, lang) != SK_OK) || f.client == NULL) {
		*out = api_err(api_tr(r, "zoek eerst de cliënt (BSN of eigen nummer) en kies de taal",
				      "first search the client (BSN or local id) and choose nl or en"));
		return 400;
	}
	if ((st = audit_read(r, "audit.report", f.client, "art. 15 report")) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return api_fail(st, out);
	st = node_report_build(r->app->s, txn, f.client, l, true, &doc);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		return api_fail(st, out);
	*out = doc;
	return 200;
}

/* ---- review and sign-off ------------------------------------------------------------- */

/* Sign-offs by the node's privacy officers (through the user index: a
 * bounded read): finding or period id -> {by, by_name, when, note}. */
struct signoffs {
	web_req *r;
	MDB_txn *txn;
	json_t *map;
	const char *name;
	uint64_t since_ms; /* sign-offs of a period come after its start */
};

static sk_status signoff_one(const audit_record *rec, void *arg)
{
	struct signoffs *so = arg;
	char when[AUDIT_DATE_WORDS_MAX];
	const char *note = rec->reason != NULL ? strstr(rec->reason, "note: ") : NULL;

	if (strcmp(rec->event, "audit.signoff") != 0 || rec->correlation_id == NULL)
		return SK_OK;
	/* a period's reason says what was reviewed, then the officer's note */
	note = note != NULL ? note + 6
	       : strncmp(rec->correlation_id, "period:", 7) == 0 ? NULL
								 : rec->reason;
	audit_date_words(when, rec->time_ms, req_lang(so->r), true);
	json_object_set_new(so->map, rec->correlation_id,
			    json_pack("{s:s?,s:s?,s:s,s:I,s:s?}", "by", rec->user, "by_name",
				      so->name, "when", when, "time", (json_int_t)rec->time_ms,
				      "note", note));
	return SK_OK;
}

static sk_status officer_signoffs(const node_professional *p, void *arg)
{
	struct signoffs *so = arg;

	if (p->kind != NODE_KIND_PRIVACY_OFFICER)
		return SK_OK;
	so->name = p->name;
	return audit_log_scan_index(so->r->app->s->audit, so->txn, AUDIT_BY_USER, p->id,
				    so->since_ms, 0, signoff_one, so);
}

/* The findings of a page, with words. */
struct findings {
	struct words w;
	uint64_t total, from;
	uint64_t n[AUDIT_FLAG_COUNT];
};

static const char *kind_words(unsigned bit, audit_lang l)
{
	switch (bit) {
	case AUDIT_FLAG_STATUTORY: return l == AUDIT_LANG_EN ? "statutory basis" : "wettelijke grondslag";
	case AUDIT_FLAG_BREAK_GLASS: return l == AUDIT_LANG_EN ? "break-glass" : "noodtoegang";
	case AUDIT_FLAG_AFTER_HOURS: return l == AUDIT_LANG_EN ? "after hours" : "buiten kantoortijd";
	case AUDIT_FLAG_DENIED: return l == AUDIT_LANG_EN ? "refused" : "geweigerd";
	case AUDIT_FLAG_PATTERN: return l == AUDIT_LANG_EN ? "registry signal" : "signaal van de verwijsindex";
	case AUDIT_FLAG_VOLUME: return l == AUDIT_LANG_EN ? "many lookups" : "veel opzoekingen";
	default: return "";
	}
}

static sk_status finding_one(const audit_finding *f, void *arg)
{
	struct findings *fs = arg;
	json_t *j = NULL, *kn;
	node_professional p;
	sk_status st;

	for (int i = 0; i < AUDIT_FLAG_COUNT; i++)
		fs->n[i] += (f->flags >> i) & 1;
	if (fs->total++ < fs->from || fs->total > fs->from + FINDINGS_PAGE)
		return SK_OK;
	if ((st = audit_finding_json(&j, f)) != SK_OK)
		return st;
	if ((kn = json_array()) != NULL) {
		for (int i = 0; i < AUDIT_FLAG_COUNT; i++)
			if (f->flags & 1u << i)
				json_array_append_new(kn, json_string(kind_words(1u << i, fs->w.lang)));
		json_object_set_new(j, "kind_names", kn);
	}
	if (f->rec != NULL) {
		add_words(&fs->w, json_object_get(j, "record"), f->rec);
	} else {
		char day[AUDIT_DATE_WORDS_MAX];
		uint64_t ms = 0;

		if (f->group) {
			audit_record g = {.event = f->event, .client = f->client, .user = f->user,
					  .time_ms = f->first_ms, .action = AUDIT_ACTION_READ,
					  .outcome = AUDIT_OUTCOME_OK};

			add_words(&fs->w, j, &g);
			ms = f->first_ms;
		} else if (node_professional_get(fs->w.r->app->s, fs->w.txn, f->user, &p) == SK_OK) {
			json_object_set_new(j, "user_name", json_string(p.name));
		}
		if (ms == 0 && audit_time_parse(&ms, f->day, false) != SK_OK)
			ms = 0;
		audit_date_words(day, ms, fs->w.lang, false);
		json_object_set_new(j, "day_words", json_string(day));
	}
	return json_array_append_new(fs->w.list, j) == 0 ? SK_OK : SK_ERR_NOMEM;
}

/* The review's period from since/until (dates), by default the last
 * REVIEW_DEFAULT_DAYS days. 0, or 400 with *out. */
static int review_period(web_req *r, audit_review_opts *ro, json_t **out)
{
	const char *s = web_param(r, "since"), *u = web_param(r, "until");
	uint64_t now = sk_clock_now_ms();
	char day[AUDIT_TIME_BYTES];

	if ((s != NULL && s[0] && audit_time_parse(&ro->since_ms, s, false) != SK_OK) ||
	    (u != NULL && u[0] && audit_time_parse(&ro->until_ms, u, true) != SK_OK)) {
		*out = api_err(api_tr(r, "geef data als JJJJ-MM-DD", "dates as YYYY-MM-DD"));
		return 400;
	}
	if (ro->until_ms == 0) { /* the end of today, so that a period is whole days */
		audit_time_local(day, now);
		day[10] = 0;
		if (audit_time_parse(&ro->until_ms, day, true) != SK_OK)
			ro->until_ms = now;
	}
	if (s == NULL || s[0] == 0) {
		audit_time_local(day, ro->until_ms - (REVIEW_DEFAULT_DAYS - 1) * AUDIT_DAY_MS);
		day[10] = 0; /* "YYYY-MM-DD" */
		if (audit_time_parse(&ro->since_ms, day, false) != SK_OK)
			ro->since_ms = ro->until_ms - REVIEW_DEFAULT_DAYS * AUDIT_DAY_MS;
	}
	if (ro->since_ms > ro->until_ms) {
		*out = api_err(api_tr(r, "de begindatum ligt na de einddatum",
				      "the start date is after the end date"));
		return 400;
	}
	return 0;
}

int api_audit_review(web_req *r, json_t **out)
{
	const char *from = web_param(r, "from");
	char what[200], a[AUDIT_TIME_BYTES], b[AUDIT_TIME_BYTES], period[AUDIT_PERIOD_ID_BYTES];
	char wa[AUDIT_DATE_WORDS_MAX], wb[AUDIT_DATE_WORDS_MAX];
	char da[AUDIT_TIME_BYTES], db[AUDIT_TIME_BYTES];
	struct findings fs = {{r, NULL, req_lang(r), NULL}, 0, 0, {0}};
	struct signoffs so = {r, NULL, NULL, NULL, 0};
	audit_review_opts ro;
	uint64_t records = 0;
	json_t *x, *counts = NULL;
	sk_status st;
	size_t i;
	int code;

	if ((code = api_need_officer(r, out)) != 0)
		return code;
	audit_review_defaults(&ro);
	if ((code = review_period(r, &ro, out)) != 0)
		return code;
	ro.max_records = REVIEW_RECORDS_MAX;
	fs.from = from != NULL ? strtoull(from, NULL, 10) : 0;
	audit_time_format(a, ro.since_ms);
	audit_time_format(b, ro.until_ms);
	audit_period_id(period, ro.since_ms, ro.until_ms);
	snprintf(what, sizeof(what), "review %s to %s", a, b);
	if ((fs.w.list = json_array()) == NULL || (so.map = json_object()) == NULL ||
	    (counts = json_object()) == NULL) {
		code = api_fail(SK_ERR_NOMEM, out);
		goto out;
	}
	if ((st = audit_read(r, "audit.review", NULL, what)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &fs.w.txn))) !=
		    SK_OK) {
		code = api_fail(st, out);
		goto out;
	}
	so.txn = fs.w.txn;
	so.since_ms = ro.since_ms;
	st = audit_review(r->app->s->audit, fs.w.txn, &ro, finding_one, &fs, &records);
	if (st == SK_OK)
		st = node_professional_scan(r->app->s, fs.w.txn, officer_signoffs, &so);
	mdb_txn_abort(fs.w.txn);
	if (st != SK_OK) {
		code = api_fail(st, out);
		goto out;
	}
	json_array_foreach(fs.w.list, i, x)
	{
		json_t *s = json_object_get(so.map, json_string_value(json_object_get(x, "id")));

		if (s != NULL)
			json_object_set(x, "signed_off", s);
	}
	for (int k = 0; k < AUDIT_FLAG_COUNT; k++)
		json_object_set_new(counts, audit_flag_name(1u << k), json_integer((json_int_t)fs.n[k]));
	audit_date_words(wa, ro.since_ms, fs.w.lang, false);
	audit_date_words(wb, ro.until_ms, fs.w.lang, false);
	audit_time_local(da, ro.since_ms);
	audit_time_local(db, ro.until_ms);
	da[10] = db[10] = 0; /* YYYY-MM-DD, local: what the forms send */
	*out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:b,s:I,s:I,s:O,s:O,s:O*}", "since", a,
			 "until", b, "since_day", da, "until_day", db, "since_words", wa,
			 "until_words", wb, "period", period, "records",
			 (json_int_t)records, "partial", records >= REVIEW_RECORDS_MAX, "total",
			 (json_int_t)fs.total, "from", (json_int_t)fs.from, "counts", counts,
			 "findings", fs.w.list, "period_signed_off", json_object_get(so.map, period));
	code = *out != NULL ? 200 : api_fail(SK_ERR_NOMEM, out);
out:
	json_decref(fs.w.list);
	json_decref(so.map);
	json_decref(counts);
	return code;
}

/* POST /api/audit/signoff: a finding (`seq`, its record or a group's
 * first) or a period (`since`, `until` as dates), with `note`. */
int api_audit_signoff(web_req *r, json_t **out)
{
	const char *seq_s = web_param(r, "seq"), *note = web_param(r, "note");
	const char *since = web_param(r, "since");
	unsigned long long seq = seq_s != NULL ? strtoull(seq_s, NULL, 10) : 0;
	char id[AUDIT_PERIOD_ID_BYTES], clean[AUDIT_REASON_MAX + 1], msg[300];
	char wa[AUDIT_DATE_WORDS_MAX], wb[AUDIT_DATE_WORDS_MAX];
	audit_record *rec = NULL, so = {0};
	audit_review_opts ro = {0};
	MDB_txn *txn = NULL;
	sk_status st;
	int code;

	if ((code = api_need_officer(r, out)) != 0)
		return code;
	if (seq == 0 && (since == NULL || since[0] == 0)) {
		*out = api_err(api_tr(r, "welke bevinding of periode?", "which finding or period?"));
		return 400;
	}
	if (seq != 0) {
		if ((st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) !=
		    SK_OK)
			return api_fail(st, out);
		st = audit_log_get(r->app->s->audit, txn, seq, &rec);
		mdb_txn_abort(txn);
		if (st != SK_OK)
			return api_fail(st, out);
		sodium_bin2hex(id, sizeof(id), rec->id, AUDIT_ID_BYTES);
		audit_record_free(rec);
		audit_text_clean(clean, sizeof(clean),
				 note != NULL && note[0] ? note : "beoordeeld");
		snprintf(msg, sizeof(msg), "%s",
			 api_tr(r, "Bevinding afgetekend.", "Finding signed off."));
	} else {
		if ((code = review_period(r, &ro, out)) != 0)
			return code;
		audit_period_id(id, ro.since_ms, ro.until_ms);
		audit_date_words(wa, ro.since_ms, req_lang(r), false);
		audit_date_words(wb, ro.until_ms, req_lang(r), false);
		snprintf(msg, sizeof(msg), "%s %s – %s %s", api_tr(r, "Periode", "Period"), wa, wb,
			 api_tr(r, "beoordeeld en afgetekend.", "reviewed and signed off."));
		snprintf(clean, sizeof(clean), "periode %s – %s beoordeeld%s", wa, wb,
			 note != NULL && note[0] ? "; note: " : "");
		if (note != NULL && note[0])
			audit_text_clean(clean + strlen(clean), sizeof(clean) - strlen(clean), note);
	}
	so.event = "audit.signoff";
	so.action = AUDIT_ACTION_EXECUTE;
	so.outcome = AUDIT_OUTCOME_OK;
	so.user = web_actor(r);
	so.role = api_actor_role(r);
	so.category = "audit";
	so.purpose = "review";
	so.correlation_id = id;
	so.reason = clean;
	if ((st = node_audit_commit(r->app->s, &so)) != SK_OK)
		return api_fail(st, out);
	*out = json_pack("{s:s,s:s}", "id", id, "message", msg);
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
