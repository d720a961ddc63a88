/* The privacy officer's pages: the audit log, the access report, review
 * and verification (docs/web.md). Filters are choices (event kinds in
 * words, the node's professionals); a client is searched by POST
 * (/api/audit/search), so no BSN ever stands in a URL; records are paged
 * (at most AUDIT_PAGE_MAX a page) and shown in words and local time. */
#include <string.h>

#include "audit/query.h"
#include "audit/words.h"
#include "common/db.h"
#include "web/api.h"
#include "web/page.h"

static audit_lang page_lang(const page *p)
{
	return p->r->lang == WEB_EN ? AUDIT_LANG_EN : AUDIT_LANG_NL;
}

static const char *q(const page *p, const char *name)
{
	const char *v = evhttp_find_header(&p->r->query, name);

	return v != NULL ? v : "";
}

/* The query string of the current filters ("&k=v"...; search id, never a
 * client), for the export and paging links. */
static void filter_query(page *p, char *out, size_t cap)
{
	static const char *keys[] = {"search", "professional", "event", "action", "outcome",
				     "since", "until"};
	size_t pos = 0;

	out[0] = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = evhttp_find_header(&p->r->query, keys[i]);
		char *e;

		if (v == NULL || v[0] == 0 || (e = evhttp_encode_uri(v)) == NULL)
			continue;
		if (pos < cap)
			pos += (size_t)snprintf(out + pos, cap - pos, "&%s=%s", keys[i], e);
		free(e);
	}
	if (pos >= cap)
		out[0] = 0;
}

static void date_input(page *p, const char *name, const char *label)
{
	page_put(p, "<div class=\"field\"><label for=\"%s\">%s</label><input type=\"date\" id=\"%s\" "
		    "name=\"%s\" value=\"%s\"></div>",
		 name, label, name, name, q(p, name));
}

/* <option> with value, selected when the query has it. */
static void option(page *p, const char *name, const char *value, const char *text)
{
	page_put(p, "<option value=\"%s\"%S>%s</option>", value,
		 strcmp(q(p, name), value) == 0 ? " selected" : "", text);
}

static sk_status prof_option(const node_professional *pr, void *arg)
{
	page *p = arg;
	char text[NODE_NAME_MAX + NODE_ROLE_MAX + 8];

	snprintf(text, sizeof(text), "%s (%s)", pr->name,
		 audit_role_words(pr->role, page_lang(p)));
	option(p, "professional", pr->id, text);
	return SK_OK;
}

/* select#professional: the node's professionals and privacy officers. */
static void professional_select(page *p)
{
	MDB_txn *txn = NULL;

	page_put(p, "<div class=\"field\"><label for=\"professional\">%s</label>"
		    "<select id=\"professional\" name=\"professional\">",
		 page_t(p, "Medewerker", "Professional"));
	option(p, "professional", "", page_t(p, "Alle medewerkers", "All professionals"));
	if (sk_db_status(mdb_txn_begin(p->r->app->s->env, NULL, MDB_RDONLY, &txn)) == SK_OK) {
		if (node_professional_scan(p->r->app->s, txn, prof_option, p) != SK_OK)
			page_put(p, "<option value=\"\" disabled>%s</option>",
				 page_t(p, "(lijst niet compleet)", "(list incomplete)"));
		mdb_txn_abort(txn);
	}
	page_put(p, "</select></div>");
}

/* select#event: every event kind in words. */
static void event_select(page *p)
{
	page_put(p, "<div class=\"field\"><label for=\"event\">%s</label><select id=\"event\" "
		    "name=\"event\">",
		 page_t(p, "Soort handeling", "Kind of action"));
	option(p, "event", "", page_t(p, "Alle soorten", "All kinds"));
	for (size_t i = 0; i < audit_event_count(); i++) {
		const audit_event_words *w = audit_event_at(i);

		option(p, "event", w->code, p->r->lang == WEB_EN ? w->name_en : w->name_nl);
	}
	page_put(p, "</select></div>");
}

static void action_select(page *p)
{
	static const char *const codes[] = {"C", "R", "U", "D", "E"};

	page_put(p, "<div class=\"field\"><label for=\"action\">%s</label><select id=\"action\" "
		    "name=\"action\">",
		 page_t(p, "Actie", "Action"));
	option(p, "action", "", page_t(p, "Alle acties", "All actions"));
	for (size_t i = 0; i < 5; i++)
		option(p, "action", codes[i], audit_action_words(codes[i][0], page_lang(p)));
	page_put(p, "</select></div>");
}

static void outcome_select(page *p)
{
	static const char *const codes[] = {"ok", "denied", "failed"};

	page_put(p, "<div class=\"field\"><label for=\"outcome\">%s</label><select id=\"outcome\" "
		    "name=\"outcome\">",
		 page_t(p, "Uitkomst", "Outcome"));
	option(p, "outcome", "", page_t(p, "Alle uitkomsten", "All outcomes"));
	for (int i = 0; i < 3; i++)
		option(p, "outcome", codes[i], audit_outcome_words(i + 1, page_lang(p)));
	page_put(p, "</select></div>");
}

/* The client field of a search form: typed here, sent by POST. */
static void client_input(page *p, int required)
{
	page_put(p, "<div class=\"field\"><label for=\"client\">%s</label><input type=\"text\" "
		    "id=\"client\" name=\"client\" inputmode=\"numeric\" autocomplete=\"off\"%S>"
		    "<p class=\"hint\" id=\"client-hint\">%s</p></div>",
		 page_t(p, "Cliënt: BSN of ons cliëntnummer", "Client: BSN or our client number"),
		 required ? " required aria-describedby=\"client-hint\""
			  : " aria-describedby=\"client-hint\"",
		 page_t(p, "Het BSN gaat niet mee in het adres van de pagina.",
			"The BSN is not put in the page's address."));
}

static void record_row(page *p, const json_t *rec)
{
	const char *un = page_js(rec, "user_name"), *cn = page_js(rec, "client_name");
	const char *purpose = audit_purpose_words(page_js(rec, "purpose"), page_lang(p));

	page_put(p, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
		    "<td>%s</td></tr>",
		 page_js(rec, "when"), un[0] ? un : page_js(rec, "user"), cn,
		 page_js(rec, "event_name"), page_js(rec, "action_name"),
		 page_js(rec, "outcome_name"), purpose != NULL ? purpose : "");
}

static void record_head(page *p)
{
	page_put(p, "<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		    "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		    "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>",
		 page_t(p, "Tijdstip", "Time"), page_t(p, "Medewerker", "Professional"),
		 page_t(p, "Cliënt", "Client"), page_t(p, "Handeling", "Action"),
		 page_t(p, "Soort", "Kind"), page_t(p, "Uitkomst", "Outcome"),
		 page_t(p, "Doel", "Purpose"));
}

/* The start of a page of search results: a refusal (sent, and 0
 * returned) unless the read succeeded or only its filter was wrong, which
 * the page says above its form. */
static int results_begin(page *p, int code, json_t *doc, const char *title)
{
	if (code != 200 && code != 400) {
		page_refusal_doc(p, code, doc);
		json_decref(doc);
		return 0;
	}
	page_head(p, title);
	if (code == 400)
		page_put(p, "<p id=\"message\" role=\"alert\">%s</p>", page_js(doc, "error"));
	return 1;
}

void page_audit(page *p, const char *rest)
{
	json_t *doc = NULL, *rec;
	char fq[1024];
	size_t i;
	int code = api_audit_records(p->r, &doc);

	if (!results_begin(p, code, doc, page_t(p, "Logboek", "Audit log")))
		return;
	page_form_open(p, "audit-search", "block", "/api/audit/search", "/audit", NULL);
	page_put(p, "<fieldset><legend>%s</legend>",
		 page_t(p, "Zoeken in het logboek", "Search the audit log"));
	if (q(p, "search")[0]) {
		page_put(p, "<input type=\"hidden\" name=\"search\" value=\"%s\">", q(p, "search"));
		page_put(p, "<p class=\"hint\">%s</p>",
			 page_t(p, "U zoekt binnen de gekozen cliënt; vul een ander BSN in om te "
				   "wisselen.",
				"You are searching within the chosen client; type another BSN to "
				"change."));
	}
	client_input(p, 0);
	professional_select(p);
	event_select(p);
	action_select(p);
	outcome_select(p);
	date_input(p, "since", page_t(p, "Vanaf", "From"));
	date_input(p, "until", page_t(p, "Tot en met", "Up to and including"));
	page_put(p, "</fieldset><button type=\"submit\">%s</button></form>",
		 page_t(p, "Zoeken", "Search"));
	filter_query(p, fq, sizeof(fq));
	page_put(p, "<p class=\"exports\">%s: <a id=\"export-csv\" href=\"/api/audit/export?format=csv%s\" "
		    "download>%s</a> · <a id=\"export-csv-excel\" "
		    "href=\"/api/audit/export?format=csv&amp;sep=semicolon%s\" download>%s</a> · "
		    "<a id=\"export-fhir\" href=\"/api/audit/export?format=fhir%s\" download "
		    "lang=\"en\">%s</a></p>",
		 page_t(p, "Exporteren", "Export"), fq, page_t(p, "CSV (komma)", "CSV (comma)"), fq,
		 page_t(p, "CSV voor Excel (puntkomma)", "CSV for Excel (semicolon)"), fq,
		 page_t(p, "FHIR AuditEvent", "FHIR AuditEvent"));
	if (code == 200) {
		const char *next = page_js(doc, "next");

		page_put(p, "<table id=\"records\"><caption>%s</caption>",
			 page_t(p, "Gevonden regels, de nieuwste eerst (hoogstens 100 per pagina)",
				"Records found, newest first (at most 100 a page)"));
		record_head(p);
		page_put(p, "<tbody>");
		json_array_foreach(json_object_get(doc, "records"), i, rec)
			record_row(p, rec);
		if (json_array_size(json_object_get(doc, "records")) == 0)
			page_put(p, "<tr><td colspan=\"7\">%s</td></tr>",
				 page_t(p, "Geen regels gevonden.", "No records found."));
		page_put(p, "</tbody></table>");
		if (next[0] && json_array_size(json_object_get(doc, "records")) < AUDIT_PAGE_MAX)
			page_put(p, "<p class=\"hint\">%s</p>",
				 page_t(p, "Niet het hele logboek is al doorzocht; zoek verder met "
					   "de link hieronder, of maak de zoekopdracht nauwer.",
					"Not the whole log was searched yet; go on with the link "
					"below, or narrow the search."));
		if (next[0])
			page_put(p, "<p><a id=\"next-page\" href=\"/audit?before=%s%s\">%s</a></p>", next,
				 fq, page_t(p, "Oudere regels", "Older records"));
	}
	json_decref(doc);
	page_send(p, 200);
}

/* The report's content (audit/report.h) as HTML. */
static void report_html(page *p, const json_t *rep)
{
	const json_t *sec, *day, *line;
	const char *lang = page_js(rep, "lang");
	size_t i, j, k;

	page_put(p, "<article id=\"report-text\" class=\"report\" lang=\"%s\"><h2>%s</h2>"
		    "<p class=\"meta\">%s · %s</p><p>%s</p>",
		 lang, page_js(rep, "title"), page_js(rep, "org"), page_js(rep, "drawn_up"),
		 page_js(rep, "intro"));
	json_array_foreach(json_object_get(rep, "sections"), i, sec)
	{
		const json_t *days = json_object_get(sec, "days");

		page_put(p, "<section id=\"report-%s\"><h3>%s</h3>", page_js(sec, "id"),
			 page_js(sec, "title"));
		if (days != NULL && json_array_size(days) == 0)
			page_put(p, "<p>%s</p>", page_js(sec, "empty"));
		json_array_foreach(days, j, day)
		{
			page_put(p, "<h4>%s</h4><ul>", page_js(day, "day"));
			json_array_foreach(json_object_get(day, "lines"), k, line)
				page_put(p, "<li>%s</li>", json_string_value(line));
			page_put(p, "</ul>");
		}
		json_array_foreach(json_object_get(sec, "paragraphs"), j, line)
			page_put(p, "<p>%s</p>", json_string_value(line));
		page_put(p, "</section>");
	}
	page_put(p, "</article>");
}

void page_report(page *p, const char *rest)
{
	json_t *doc = NULL;
	int code = 200;
	const char *lang = q(p, "report_lang");

	if (p->r->sess == NULL || p->r->sess->kind != NODE_KIND_PRIVACY_OFFICER) {
		json_t *e = json_pack("{s:s}", "error", page_t(p, "alleen voor de functionaris gegevensbescherming (FG)",
							   "for the privacy officer only"));
		page_refusal_doc(p, 403, e);
		json_decref(e);
		return;
	}
	if (q(p, "search")[0])
		code = api_audit_report(p->r, &doc);
	page_head(p, page_t(p, "Inzageverslag (AVG art. 15)", "Access report (GDPR art. 15)"));
	if (code != 200)
		page_put(p, "<p id=\"message\" role=\"alert\">%s</p>", page_js(doc, "error"));
	page_form_open(p, "report", "block", "/api/audit/search", "/audit/report", NULL);
	page_put(p, "<fieldset><legend>%s</legend>",
		 page_t(p, "Voor welke cliënt?", "For which client?"));
	client_input(p, 1);
	page_put(p, "<div class=\"field\"><label for=\"report-lang\">%s</label><select "
		    "id=\"report-lang\" name=\"report_lang\"><option value=\"nl\"%S>Nederlands</option>"
		    "<option value=\"en\" lang=\"en\"%S>English</option></select></div></fieldset>"
		    "<button type=\"submit\">%s</button></form>",
		 page_t(p, "Taal van het verslag", "Language of the report"),
		 strcmp(lang, "en") != 0 && !(lang[0] == 0 && p->r->lang == WEB_EN) ? " selected" : "",
		 strcmp(lang, "en") == 0 || (lang[0] == 0 && p->r->lang == WEB_EN) ? " selected" : "",
		 page_t(p, "Opstellen", "Draw up"));
	if (code == 200 && doc != NULL) {
		page_put(p, "<p class=\"hint noprint\">%s</p>",
			 page_t(p, "Afdrukken of bewaren als PDF: gebruik Afdrukken in uw browser "
				   "(Ctrl+P).",
				"To print or save as PDF: use Print in your browser (Ctrl+P)."));
		report_html(p, doc);
	}
	json_decref(doc);
	page_send(p, 200);
}

/* A finding's "what": when and what, in words. */
static void finding_what(page *p, const json_t *f)
{
	const json_t *rec = json_object_get(f, "record");

	if (rec != NULL) {
		page_put(p, "%s: %s (%s)", page_js(rec, "when"), page_js(rec, "event_name"),
			 page_js(rec, "outcome_name"));
		return;
	}
	if (json_is_true(json_object_get(f, "group"))) {
		page_put(p, "%s: %s, %U %s", page_js(f, "day_words"), page_js(f, "event_name"),
			 page_ji(f, "count"), page_t(p, "keer", "times"));
		return;
	}
	page_put(p, "%s: %U %s", page_js(f, "day_words"), page_ji(f, "count"),
		 page_t(p, "keer opgezocht wie er nog betrokken is", "lookups"));
}

static void finding_row(page *p, const json_t *f, const char *next)
{
	const json_t *rec = json_object_get(f, "record"), *so = json_object_get(f, "signed_off");
	const json_t *src = rec != NULL ? rec : f, *k;
	const char *un = page_js(src, "user_name");
	uint64_t seq = rec != NULL ? page_ji(rec, "seq") : page_ji(f, "seq");
	size_t j;

	page_put(p, "<tr%S><td>", so != NULL ? " class=\"signed-off\"" : "");
	json_array_foreach(json_object_get(f, "kind_names"), j, k)
		page_put(p, "%s%s", j ? ", " : "", json_string_value(k));
	page_put(p, "</td><td>");
	finding_what(p, f);
	page_put(p, "</td><td>%s</td><td>%s</td><td>", un[0] ? un : page_js(src, "user"),
		 page_js(src, "client_name"));
	if (so != NULL) {
		const char *by = page_js(so, "by_name");

		page_put(p, "<span class=\"signed-off\">%s %s, %s: %s</span>",
			 page_t(p, "afgetekend door", "signed off by"), by[0] ? by : page_js(so, "by"),
			 page_js(so, "when"), page_js(so, "note"));
	} else if (seq != 0) {
		page_form_open(p, NULL, "inline signoff", "/api/audit/signoff", next, NULL);
		page_put(p, "<input type=\"hidden\" name=\"seq\" value=\"%U\">"
			    "<label for=\"note-%U\">%s</label>"
			    "<input type=\"text\" id=\"note-%U\" name=\"note\">"
			    "<button type=\"submit\">%s</button></form>",
			 seq, seq, page_t(p, "Notitie", "Note"), seq, page_t(p, "Aftekenen", "Sign off"));
	}
	page_put(p, "</td></tr>");
}

void page_review(page *p, const char *rest)
{
	json_t *doc = NULL, *f, *pso;
	char since[11], until[11], next[200];
	size_t i;
	uint64_t from, total;
	int code = api_audit_review(p->r, &doc);

	if (!results_begin(p, code, doc, page_t(p, "Beoordelen", "Review")))
		return;
	page_put(p, "<form id=\"review-period\" class=\"block\" method=\"get\" action=\"/audit/review\">"
		    "<fieldset><legend>%s</legend>",
		 page_t(p, "Periode", "Period"));
	date_input(p, "since", page_t(p, "Vanaf", "From"));
	date_input(p, "until", page_t(p, "Tot en met", "Up to and including"));
	page_put(p, "</fieldset><button type=\"submit\">%s</button></form>", page_t(p, "Tonen", "Show"));
	if (code != 200) {
		json_decref(doc);
		page_send(p, 200);
		return;
	}
	snprintf(since, sizeof(since), "%s", page_js(doc, "since_day"));
	snprintf(until, sizeof(until), "%s", page_js(doc, "until_day"));
	snprintf(next, sizeof(next), "/audit/review?since=%s&until=%s", since, until);
	page_put(p, "<h2>%s %s – %s</h2><p>%U %s</p>", page_t(p, "Periode", "Period"),
		 page_js(doc, "since_words"), page_js(doc, "until_words"), page_ji(doc, "records"),
		 page_t(p, "regels bekeken", "records reviewed"));
	if (json_is_true(json_object_get(doc, "partial")))
		page_put(p, "<p role=\"alert\">%s</p>",
			 page_t(p, "Deze periode heeft te veel regels om in één keer te bekijken; "
				   "alleen het begin is beoordeeld. Kies een kortere periode.",
				"This period has too many records to review at once; only its start "
				"was reviewed. Choose a shorter period."));
	pso = json_object_get(doc, "period_signed_off");
	if (pso != NULL) {
		const char *by = page_js(pso, "by_name");

		page_put(p, "<p id=\"period-status\" class=\"signed-off\">%s %s – %s %s %s, %s. %s</p>",
			 page_t(p, "Periode", "Period"), page_js(doc, "since_words"),
			 page_js(doc, "until_words"), page_t(p, "beoordeeld door", "reviewed by"),
			 by[0] ? by : page_js(pso, "by"), page_js(pso, "when"), page_js(pso, "note"));
	} else {
		page_form_open(p, "signoff-period", "block", "/api/audit/signoff", next, NULL);
		page_put(p, "<fieldset><legend>%s %s – %s %s</legend>"
			    "<input type=\"hidden\" name=\"since\" value=\"%s\">"
			    "<input type=\"hidden\" name=\"until\" value=\"%s\">"
			    "<label for=\"period-note\">%s</label>"
			    "<textarea id=\"period-note\" name=\"note\" rows=\"2\"></textarea></fieldset>"
			    "<button type=\"submit\">%s</button></form>",
			 page_t(p, "Periode", "Period"), page_js(doc, "since_words"),
			 page_js(doc, "until_words"), page_t(p, "aftekenen", "sign-off"), since, until,
			 page_t(p, "Wat heeft u gezien? (verschijnt in het logboek)",
				"What did you find? (goes into the log)"),
			 page_t(p, "Periode aftekenen", "Sign off the period"));
	}
	page_put(p, "<table id=\"findings\"><caption>%s</caption><thead><tr>"
		    "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		    "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead><tbody>",
		 page_t(p, "Bevindingen (gewone inzage buiten kantoortijd per dag samengevoegd)",
			"Findings (routine reads after hours folded per day)"),
		 page_t(p, "Waarom", "Why"), page_t(p, "Wat", "What"),
		 page_t(p, "Medewerker", "Professional"), page_t(p, "Cliënt", "Client"),
		 page_t(p, "Afgetekend", "Signed off"));
	json_array_foreach(json_object_get(doc, "findings"), i, f)
		finding_row(p, f, next);
	if (json_array_size(json_object_get(doc, "findings")) == 0)
		page_put(p, "<tr><td colspan=\"5\">%s</td></tr>",
			 page_t(p, "Niets te beoordelen.", "Nothing to review."));
	page_put(p, "</tbody></table>");
	from = page_ji(doc, "from");
	total = page_ji(doc, "total");
	if (from + 100 < total)
		page_put(p, "<p><a id=\"next-findings\" href=\"%s&amp;from=%U\">%s</a></p>", next,
			 from + 100, page_t(p, "Volgende bevindingen", "Next findings"));
	json_decref(doc);
	page_send(p, 200);
}

void page_verify(page *p, const char *rest)
{
	json_t *doc = NULL;
	int code = api_audit_verify(p->r, &doc);
	int ok;

	if (code != 200) {
		page_refusal_doc(p, code, doc);
		json_decref(doc);
		return;
	}
	ok = json_is_true(json_object_get(doc, "ok"));
	page_head(p, page_t(p, "Controle van het logboek", "Audit log verification"));
	page_put(p, "<p id=\"verify-status\" data-ok=\"%S\" class=\"%S\">%s</p><dl><dt>%s</dt><dd>%U</dd>"
		    "<dt>%s</dt><dd><code>%s</code></dd><dt>%s</dt><dd>%U</dd></dl>",
		 ok ? "1" : "0", ok ? "ok" : "bad",
		 ok ? page_t(p, "De keten van het logboek klopt.", "The audit log's chain verifies.")
		    : page_t(p, "De keten is gebroken!", "The chain is broken!"),
		 page_t(p, "Regels", "Records"), page_ji(doc, "records"),
		 page_t(p, "Controlegetal van de laatste regel", "Hash of the last record"),
		 page_js(doc, "head"),
		 page_t(p, "Laatst vastgelegd bij de verwijsindex (regel)",
			"Last anchored in the registry (record)"),
		 page_ji(doc, "anchored"));
	if (!ok)
		page_put(p, "<p role=\"alert\">%s (%s %U)</p>", page_js(doc, "detail"),
			 page_t(p, "eerste foute regel", "first bad record"), page_ji(doc, "first_bad"));
	json_decref(doc);
	page_send(p, 200);
}
