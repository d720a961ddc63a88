/* The privacy officer's pages: the audit log, the access report, review
 * and verification (docs/web.md). */

#include "web/api.h"
#include "web/page.h"

/* ---- privacy officer ---------------------------------------------------------------- */

/* The query string of the audit filters, for the export links. */
static void filter_query(page *p, char *out, size_t cap)
{
	static const char *keys[] = {"client", "professional", "event", "action", "outcome",
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

static void text_input(page *p, const char *name, const char *label, const char *type)
{
	const char *v = evhttp_find_header(&p->r->query, name);

	page_put(p, "<label for=\"%s\">%s</label><input type=\"%s\" id=\"%s\" name=\"%s\" value=\"%s\">",
	    name, label, type, name, name, v != NULL ? v : "");
}

static void record_row(page *p, const json_t *rec)
{
	page_put(p, "<tr><td>%U</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
	       "<td>%s</td><td>%s</td></tr>",
	    page_ji(rec, "seq"), page_js(rec, "time"), page_js(rec, "event"), page_js(rec, "action"),
	    page_js(rec, "outcome"), page_js(rec, "user"), page_js(rec, "client"), page_js(rec, "purpose"),
	    page_js(rec, "reason"));
}

static void record_head(page *p)
{
	page_put(p, "<thead><tr><th>#</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	       "<th>%s</th><th>%s</th><th>%s</th></tr></thead>",
	    page_t(p, "Tijd (UTC)", "Time (UTC)"), page_t(p, "Gebeurtenis", "Event"),
	    page_t(p, "Actie", "Action"), page_t(p, "Uitkomst", "Outcome"), page_t(p, "Medewerker", "Professional"),
	    page_t(p, "Cliënt", "Client"), page_t(p, "Doel", "Purpose"), page_t(p, "Reden", "Reason"));
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
	char q[1024];
	size_t i;
	int code = api_audit_records(p->r, &doc);

	if (!results_begin(p, code, doc, page_t(p, "Logboek", "Audit log")))
		return;
	page_put(p, "<form id=\"audit-search\" class=\"block\" method=\"get\" action=\"/audit\">");
	text_input(p, "client", page_t(p, "Cliënt (BSN of eigen nummer)", "Client (BSN or local id)"), "text");
	text_input(p, "professional", page_t(p, "Medewerker", "Professional"), "text");
	text_input(p, "event", page_t(p, "Gebeurtenis (bijv. lookup)", "Event (e.g. lookup)"), "text");
	text_input(p, "action", page_t(p, "Actie (C, R, U, D, E)", "Action (C, R, U, D, E)"), "text");
	text_input(p, "outcome", page_t(p, "Uitkomst (ok, denied, failed)", "Outcome (ok, denied, failed)"),
		   "text");
	text_input(p, "since", page_t(p, "Vanaf", "Since"), "date");
	text_input(p, "until", page_t(p, "Tot en met", "Until"), "date");
	page_put(p, "<button type=\"submit\">%s</button></form>", page_t(p, "Zoeken", "Search"));
	filter_query(p, q, sizeof(q));
	page_put(p, "<p><a id=\"export-csv\" href=\"/api/audit/export?format=csv%s\" download>%s</a> · "
	       "<a id=\"export-fhir\" href=\"/api/audit/export?format=fhir%s\" download>%s</a></p>",
	    q, page_t(p, "Exporteren als CSV", "Export as CSV"), q,
	    page_t(p, "Exporteren als FHIR AuditEvent", "Export as FHIR AuditEvent"));
	if (code == 200) {
		page_put(p, "<p>%s: %U (%s)</p><table id=\"records\">", page_t(p, "Gevonden", "Found"),
		    page_ji(doc, "total"), page_t(p, "de nieuwste eerst, hoogstens 200 getoond",
					 "newest first, at most 200 shown"));
		record_head(p);
		page_put(p, "<tbody>");
		json_array_foreach(json_object_get(doc, "records"), i, rec) record_row(p, rec);
		page_put(p, "</tbody></table>");
	}
	json_decref(doc);
	page_send(p, 200);
}

void page_report(page *p, const char *rest)
{
	const char *client = evhttp_find_header(&p->r->query, "client");
	json_t *doc = NULL, *l;
	size_t i;
	int code = 200;

	if (p->r->sess == NULL || p->r->sess->kind != NODE_KIND_PRIVACY_OFFICER) {
		json_t *e = json_pack("{s:s}", "error", page_t(p, "alleen voor de functionaris gegevensbescherming (FG)",
							   "for the privacy officer only"));
		page_refusal_doc(p, 403, e);
		json_decref(e);
		return;
	}
	if (client != NULL && client[0])
		code = api_audit_report(p->r, &doc);
	page_head(p, page_t(p, "Inzageverslag (AVG art. 15)", "Access report (GDPR art. 15)"));
	if (code != 200)
		page_put(p, "<p id=\"message\" role=\"alert\">%s</p>", page_js(doc, "error"));
	page_put(p, "<form id=\"report\" class=\"block\" method=\"get\" action=\"/audit/report\">"
	       "<label for=\"client\">%s</label><input type=\"text\" id=\"client\" name=\"client\" "
	       "autocomplete=\"off\" required><label for=\"report-lang\">%s</label><select "
	       "id=\"report-lang\" name=\"lang\"><option value=\"nl\">Nederlands</option>"
	       "<option value=\"en\"%S>English</option></select><button type=\"submit\">%s</button>"
	       "</form>",
	    page_t(p, "Cliënt (BSN of eigen nummer)", "Client (BSN or local id)"),
	    page_t(p, "Taal van het verslag", "Language of the report"),
	    p->r->lang == WEB_EN ? " selected" : "", page_t(p, "Opstellen", "Draw up"));
	if (code == 200 && doc != NULL) {
		page_put(p, "<pre id=\"report-text\">");
		json_array_foreach(json_object_get(doc, "lines"), i, l) page_put(p, "%s\n", page_js(l, "text"));
		page_put(p, "</pre>");
	}
	json_decref(doc);
	page_send(p, 200);
}

void page_review(page *p, const char *rest)
{
	json_t *doc = NULL, *f, *k;
	size_t i, j;
	int code = api_audit_review(p->r, &doc);

	if (!results_begin(p, code, doc, page_t(p, "Beoordelen", "Review")))
		return;
	page_put(p, "<form id=\"review-period\" class=\"block\" method=\"get\" action=\"/audit/review\">");
	text_input(p, "since", page_t(p, "Vanaf", "Since"), "date");
	text_input(p, "until", page_t(p, "Tot en met", "Until"), "date");
	page_put(p, "<button type=\"submit\">%s</button></form>", page_t(p, "Tonen", "Show"));
	if (code == 200) {
		page_put(p, "<p>%U %s</p><table id=\"findings\"><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
		       "<th>%s</th><th>%s</th></tr></thead><tbody>",
		    page_ji(doc, "records"), page_t(p, "vermeldingen bekeken", "records reviewed"),
		    page_t(p, "Waarom", "Why"), page_t(p, "Record", "Record"), page_t(p, "Medewerker", "Professional"),
		    page_t(p, "Cliënt", "Client"), page_t(p, "Afgetekend", "Signed off"));
		json_array_foreach(json_object_get(doc, "findings"), i, f)
		{
			json_t *rec = json_object_get(f, "record"), *so = json_object_get(f, "signed_off");

			page_put(p, "<tr%S><td>", so != NULL ? " class=\"signed-off\"" : "");
			json_array_foreach(json_object_get(f, "kinds"), j, k)
				page_put(p, "%s%s", j ? ", " : "", json_string_value(k));
			if (rec == NULL) {
				page_put(p, "</td><td>%U lookups %s</td><td>%s</td><td></td><td></td></tr>",
				    page_ji(f, "count"), page_js(f, "day"), page_js(f, "user"));
				continue;
			}
			page_put(p, "</td><td>#%U %s %s %s</td><td>%s</td><td>%s</td><td>", page_ji(rec, "seq"),
			    page_js(rec, "time"), page_js(rec, "event"), page_js(rec, "outcome"), page_js(rec, "user"),
			    page_js(rec, "client"));
			if (so != NULL) {
				page_put(p, "<span class=\"signed-off\">%s %s: %s</span>",
				    page_t(p, "afgetekend door", "signed off by"), page_js(so, "by"), page_js(so, "note"));
			} else {
				char next[] = "/audit/review";

				page_form_open(p, NULL, "inline signoff", "/api/audit/signoff", next, NULL);
				page_put(p, "<input type=\"hidden\" name=\"seq\" value=\"%U\">"
				       "<label for=\"note-%U\" class=\"check\">%s</label>"
				       "<input type=\"text\" id=\"note-%U\" name=\"note\">"
				       "<button type=\"submit\">%s</button></form>",
				    page_ji(rec, "seq"), page_ji(rec, "seq"), page_t(p, "Notitie", "Note"), page_ji(rec, "seq"),
				    page_t(p, "Aftekenen", "Sign off"));
			}
			page_put(p, "</td></tr>");
		}
		if (json_array_size(json_object_get(doc, "findings")) == 0)
			page_put(p, "<tr><td colspan=\"5\">%s</td></tr>",
			    page_t(p, "Niets te beoordelen.", "Nothing to review."));
		page_put(p, "</tbody></table>");
	}
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
	    page_t(p, "Vermeldingen", "Records"), page_ji(doc, "records"), page_t(p, "Kop", "Head"), page_js(doc, "head"),
	    page_t(p, "Laatst verankerd in de verwijsindex (vermelding)", "Last anchored in the registry (record)"),
	    page_ji(doc, "anchored"));
	if (!ok)
		page_put(p, "<p role=\"alert\">%s (%s %U)</p>", page_js(doc, "detail"),
		    page_t(p, "eerste foute vermelding", "first bad record"), page_ji(doc, "first_bad"));
	json_decref(doc);
	page_send(p, 200);
}
