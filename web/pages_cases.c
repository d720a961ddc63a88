/* The professional's cases, a case, matches and notices (docs/web.md). */
#include <stdio.h>
#include <string.h>

#include "web/api.h"
#include "web/page.h"

/* ---- professional ----------------------------------------------------------------- */

static void flag_boxes(page *p, const char *current)
{
	static const struct {
		const char *v, *nl, *en;
	} f[] = {
		{"discover", "vindbaar (partners zien dat wij betrokken zijn)",
		 "discover (partners see that we are involved)"},
		{"contact", "contact (partners zien de contactgegevens)",
		 "contact (partners see the work contact)"},
		{"discuss", "casusoverleg (anonieme uitnodigingen)",
		 "discuss (anonymous invitations)"},
	};

	page_put(p, "<fieldset><legend>%s</legend>", page_t(p, "Toestemming", "Consent"));
	for (size_t i = 0; i < 3; i++)
		page_put(p, "<label class=\"check\"><input type=\"checkbox\" name=\"flag\" value=\"%s\"%S>"
		       " %s</label>",
		    f[i].v, current != NULL && strstr(current, f[i].v) != NULL ? " checked" : "",
		    page_t(p, f[i].nl, f[i].en));
	page_put(p, "</fieldset>");
}

/* The consent fields of docs/web.md; ids get a prefix to stay unique. */
static void consent_fields(page *p, const char *px, const json_t *cur)
{
	static const char *by[] = {"client", "parent", "guardian", "representative",
				   "client+parent"};

	flag_boxes(p, cur != NULL ? page_js(cur, "flags") : NULL);
	page_put(p, "<label for=\"%Scategories\">%s</label>"
	       "<input type=\"text\" id=\"%Scategories\" name=\"categories\" value=\"all\">"
	       "<p class=\"hint\">%s</p>",
	    px, page_t(p, "Categorieën die ons mogen zien", "Categories that may see us"), px,
	    page_t(p, "Kommalijst, bijvoorbeeld ggz,gemeente, of all", "Comma list, e.g. ggz,gemeente, or all"));
	page_put(p, "<label for=\"%Sconsent_by\">%s</label><select id=\"%Sconsent_by\" name=\"consent_by\">",
	    px, page_t(p, "Toestemming gegeven door", "Consent given by"), px);
	for (size_t i = 0; i < sizeof(by) / sizeof(by[0]); i++)
		page_put(p, "<option>%s</option>", by[i]);
	page_put(p, "</select><label for=\"%Sbasis\">%s</label><select id=\"%Sbasis\" name=\"basis\">"
	       "<option value=\"consent\">%s</option><option value=\"statutory\">%s</option>"
	       "</select><div class=\"reason\"><label for=\"%Sreason\">%s</label>"
	       "<input type=\"text\" id=\"%Sreason\" name=\"reason\"></div>"
	       "<label for=\"%Sexpires\">%s</label><input type=\"date\" id=\"%Sexpires\" "
	       "name=\"expires\"><p class=\"hint\">%s</p>",
	    px, page_t(p, "Grondslag", "Legal basis"), px, page_t(p, "toestemming", "consent"),
	    page_t(p, "wettelijke taak", "statutory"), px,
	    page_t(p, "Reden (blijft bij ons)", "Reason (stays with us)"), px, px,
	    page_t(p, "Geldig tot", "Valid until"), px,
	    page_t(p, "Leeg: een jaar, hoogstens twee", "Empty: one year, at most two"));
}

/* ---- paged lists ---------------------------------------------------------------- */

/* q percent-encoded into out (cap bytes; cut short when it does not fit). */
static void url_encode(char *out, size_t cap, const char *q)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; q != NULL && *q != 0 && o + 4 < cap; q++) {
		unsigned char c = (unsigned char)*q;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = 0;
}

void page_pager(page *p, const char *id, const char *path, const char *prefix,
		const json_t *doc, const char *q)
{
	const char *prev = page_js(doc, "prev"), *next = page_js(doc, "next");
	char qs[420] = "";

	if (prev[0] == 0 && next[0] == 0)
		return;
	char lname[16];
	const char *lim;

	if (q != NULL && q[0] != 0) {
		memcpy(qs, "&q=", 4);
		url_encode(qs + 3, sizeof(qs) - 3, q);
	}
	/* a limit asked for (checked by api_page_params) stays */
	snprintf(lname, sizeof(lname), "%slimit", prefix);
	if ((lim = web_param(p->r, lname)) != NULL && lim[0] != 0 && strlen(lim) < 4 &&
	    strspn(lim, "0123456789") == strlen(lim))
		snprintf(qs + strlen(qs), sizeof(qs) - strlen(qs), "&%s=%s", lname, lim);
	page_put(p, "<nav class=\"pager\" id=\"%s\" aria-label=\"%s\">", id,
		 page_t(p, "Pagina's", "Pages"));
	if (prev[0] != 0)
		page_put(p, "<a rel=\"prev\" href=\"%s?%sbefore=%s%s\">%s</a> ", path, prefix, prev, qs,
			 page_t(p, "Vorige", "Previous"));
	if (next[0] != 0)
		page_put(p, "<a rel=\"next\" href=\"%s?%safter=%s%s\">%s</a>", path, prefix, next, qs,
			 page_t(p, "Volgende", "Next"));
	page_put(p, "</nav>");
}

const char *page_word(const page *p, const char *code)
{
	static const struct {
		const char *code, *nl, *en;
	} w[] = {
		{"open", "lopend", "open"},
		{"closed", "afgesloten", "closed"},
		{"expired", "verlopen", "expired"},
		{"match", "ook betrokken", "also involved"},
		{"match-gone", "niet meer betrokken", "no longer involved"},
		{"disclosure", "melding: een partner zag dat wij betrokken zijn",
		 "notice: a partner saw that we are involved"},
		{"pattern", "signaal voor de FG", "alert for the privacy officer"},
	};

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (strcmp(code, w[i].code) == 0)
			return page_t(p, w[i].nl, w[i].en);
	return code;
}

const char *page_client(const page *p, const json_t *item)
{
	const char *n = page_js(item, "client_name");

	return n[0] != 0 ? n : page_t(p, "cliënt zonder naam", "client without a name");
}

void page_cases(page *p, const char *rest)
{
	json_t *doc = NULL, *c;
	node_page_req pr;
	size_t i;
	int code = api_page_params(p->r, "", PAGE_ROWS, &pr, &doc);

	if (code == 0)
		code = api_cases_page(p->r, &pr, &doc);
	if (code != 200) {
		page_refusal_doc(p, code, doc);
		json_decref(doc);
		return;
	}
	page_head(p, page_t(p, "Mijn dossiers", "My cases"));
	page_put(p, "<form id=\"case-search\" class=\"inline\" method=\"get\" action=\"/cases\" "
		    "role=\"search\"><label for=\"q\">%s</label><input type=\"search\" id=\"q\" "
		    "name=\"q\" value=\"%s\" autocomplete=\"off\"><button type=\"submit\">%s</button>"
		    "</form>",
		 page_t(p, "Zoek op naam van de cliënt", "Search by the client's name"),
		 pr.q != NULL ? pr.q : "", page_t(p, "Zoeken", "Search"));
	page_put(p, "<table id=\"cases\"><caption class=\"hint\">%s</caption><thead><tr><th>%s</th>"
	       "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
	    page_t(p, "Dossiers waaraan u bent toegewezen, nieuwste eerst",
		   "Cases you are assigned to, newest first"),
	    page_t(p, "Dossier", "Case"), page_t(p, "Cliënt", "Client"), page_t(p, "Status", "State"),
	    page_t(p, "Toestemming", "Consent"), page_t(p, "Categorieën", "Categories"),
	    page_t(p, "Geldig tot", "Valid until"));
	json_array_foreach(json_object_get(doc, "items"), i, c)
	{
		json_t *cats = json_object_get(c, "categories"), *k;
		size_t j;

		page_put(p, "<tr data-case=\"%U\" class=\"state-%s\"><td><a href=\"/cases/%U\">%U</a></td>"
		       "<td>%s</td><td>%s</td><td>%s</td><td>",
		    page_ji(c, "id"), page_js(c, "state"), page_ji(c, "id"), page_ji(c, "id"),
		    page_client(p, c),
		    page_word(p, page_js(c, "state")),
		    page_js(c, "flags"));
		json_array_foreach(cats, j, k) page_put(p, "%s%s", j ? ", " : "", json_string_value(k));
		page_put(p, "</td><td>%s</td></tr>", page_js(c, "expires"));
	}
	if (json_array_size(json_object_get(doc, "items")) == 0)
		page_put(p, "<tr><td colspan=\"6\">%s</td></tr>",
			 pr.q != NULL && pr.q[0] != 0
				 ? page_t(p, "Geen dossiers van cliënten met deze naam.",
					  "No cases of clients with this name.")
				 : page_t(p, "Nog geen dossiers.", "No cases yet."));
	page_put(p, "</tbody></table>");
	page_pager(p, "cases-pager", "/cases", "", doc, pr.q);
	page_put(p, "<h2>%s</h2>", page_t(p, "Dossier openen", "Open a case"));
	page_form_open(p, "case-open", "block", "/api/cases", NULL, NULL);
	page_put(p, "<label for=\"client\">%s</label><input type=\"text\" id=\"client\" name=\"client\" "
	       "required autocomplete=\"off\" inputmode=\"numeric\"><p class=\"hint\">%s</p>",
	    page_t(p, "Cliënt: BSN of eigen cliëntnummer", "Client: BSN or local client id"),
	    page_t(p, "Het BSN blijft in deze node; de cliënt moet geregistreerd zijn.",
	      "The BSN stays in this node; the client must be registered."));
	consent_fields(p, "", NULL);
	page_put(p, "<button type=\"submit\">%s</button></form>", page_t(p, "Openen", "Open"));
	json_decref(doc);
	page_send(p, 200);
}

static void purpose_select(page *p, const char *id, const char *label)
{
	page_put(p, "<label for=\"%s\">%s</label><select id=\"%s\" name=\"%s\">", id, label, id,
	    strcmp(id, "topic") == 0 ? "topic" : "purpose");
	for (size_t i = 0; wire_purpose_codes[i] != NULL; i++)
		page_put(p, "<option>%s</option>", wire_purpose_codes[i]);
	page_put(p, "</select>");
}

void page_case(page *p, uint64_t id)
{
	json_t *doc = NULL, *h, *partners = NULL;
	web_session *x = p->r->sess;
	char action[64], next[32], title[64];
	size_t i;
	int code = api_case(p->r, id, &doc);

	if (code != 200) {
		page_refusal_doc(p, code, doc);
		json_decref(doc);
		return;
	}
	if (x != NULL && x->flash_case == id && x->flash_doc != NULL) {
		partners = x->flash_doc;
		x->flash_doc = NULL;
		x->flash_case = 0;
	}
	snprintf(title, sizeof(title), "%s %llu", page_t(p, "Dossier", "Case"), (unsigned long long)id);
	snprintf(next, sizeof(next), "/cases/%llu", (unsigned long long)id);
	page_head(p, title);
	page_put(p, "<dl><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>",
	    page_t(p, "Cliënt", "Client"), page_js(doc, "client"), page_t(p, "Status", "State"), page_js(doc, "state"),
	    page_t(p, "Geopend", "Opened"));
	page_when(p, page_ji(doc, "opened_at"));
	page_put(p, " (%s)</dd></dl>", page_js(doc, "opened_by"));
	page_put(p, "<section id=\"consent\"><h2>%s</h2><p>%s: <strong>%s</strong>; %s: %s; %s: %s</p>",
	    page_t(p, "Toestemming", "Consent"), page_t(p, "versie", "version"), page_js(doc, "flags"),
	    page_t(p, "grondslag", "basis"), page_js(doc, "basis"), page_t(p, "geldig tot", "valid until"),
	    page_js(doc, "expires"));
	page_put(p, "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>"
	       "</thead><tbody>",
	    page_t(p, "Versie", "Version"), page_t(p, "Toestemming", "Consent"), page_t(p, "Door", "By"),
	    page_t(p, "Vastgelegd", "Recorded"), page_t(p, "Door medewerker", "Recorded by"));
	json_array_foreach(json_object_get(doc, "history"), i, h)
	{
		page_put(p, "<tr><td>%U</td><td>%s</td><td>%s</td><td>", page_ji(h, "consent_version"),
		    page_js(h, "flags"), page_js(h, "consent_by"));
		page_when(p, page_ji(h, "consent_at"));
		page_put(p, "</td><td>%s</td></tr>", page_js(h, "recorded_by"));
	}
	page_put(p, "</tbody></table></section>");
	if (strcmp(page_js(doc, "state"), "open") != 0)
		goto out;
	/* who else is involved */
	page_put(p, "<section id=\"partners\" aria-live=\"polite\"><h2>%s</h2>",
	    page_t(p, "Betrokken partners", "Co-involved partners"));
	if (partners != NULL) {
		json_t *q;

		page_put(p, "<ul>");
		json_array_foreach(partners, i, q)
		{
			page_put(p, "<li class=\"partner\"><strong>%s</strong> (%s)%s%s%s</li>",
			    page_js(q, "id"), page_js(q, "category"),
			    json_is_true(json_object_get(q, "regie")) ? page_t(p, ", regievoerder", ", regievoerder") : "",
			    page_js(q, "contact")[0] ? ": " : "", page_js(q, "contact"));
		}
		if (json_array_size(partners) == 0)
			page_put(p, "<li>%s</li>", page_t(p, "Geen partnerorganisatie kan worden getoond.",
						"No partner organisation can be shown."));
		page_put(p, "</ul>");
	}
	snprintf(action, sizeof(action), "/api/cases/%llu/lookup", (unsigned long long)id);
	page_form_open(p, "lookup", "block", action, next, NULL);
	purpose_select(p, "purpose", page_t(p, "Doel van de vraag", "Purpose of the lookup"));
	page_put(p, "<p class=\"hint\">%s</p><button type=\"submit\">%s</button></form></section>",
	    page_t(p, "De vraag en het doel worden vastgelegd en gemeld aan de partners.",
	      "The lookup and its purpose are recorded and notified to the partners."),
	    page_t(p, "Wie is er nog betrokken?", "Who else is involved?"));
	/* an anonymous case discussion */
	page_put(p, "<h2>%s</h2>", page_t(p, "Anoniem casusoverleg aanvragen", "Request an anonymous case discussion"));
	page_form_open(p, "discuss-request", "block", "/api/discussions", NULL, NULL);
	page_put(p, "<input type=\"hidden\" name=\"case\" value=\"%U\">", id);
	purpose_select(p, "topic", page_t(p, "Onderwerp", "Topic"));
	page_put(p, "<label for=\"window_start\">%s</label><input type=\"date\" id=\"window_start\" "
	       "name=\"window_start\"><label for=\"window_end\">%s</label><input type=\"date\" "
	       "id=\"window_end\" name=\"window_end\"><p class=\"hint\">%s</p>"
	       "<button type=\"submit\">%s</button></form>",
	    page_t(p, "Van", "From"), page_t(p, "Tot en met", "Until"),
	    page_t(p, "Leeg: de komende 14 dagen. Alleen onderwerp en periode gaan naar de partners.",
	      "Empty: the next 14 days. Only the topic and the window reach the partners."),
	    page_t(p, "Uitnodigen", "Invite"));
	/* consent and close */
	page_put(p, "<h2>%s</h2>", page_t(p, "Nieuwe toestemming", "New consent"));
	snprintf(action, sizeof(action), "/api/cases/%llu/consent", (unsigned long long)id);
	page_form_open(p, "consent-form", "block", action, next, NULL);
	consent_fields(p, "c-", doc);
	page_put(p, "<p class=\"hint\">%s</p><button type=\"submit\">%s</button></form>",
	    page_t(p, "Niets aangevinkt: de toestemming wordt ingetrokken.",
	      "Nothing ticked: the consent is withdrawn."),
	    page_t(p, "Vastleggen", "Record"));
	snprintf(action, sizeof(action), "/api/cases/%llu/close", (unsigned long long)id);
	page_form_open(p, "case-close", "block", action, next,
		  page_t(p, "Dossier sluiten?", "Close this case?"));
	page_put(p, "<button type=\"submit\" class=\"danger\">%s</button></form>",
	    page_t(p, "Dossier sluiten", "Close case"));
out:
	json_decref(partners);
	json_decref(doc);
	page_send(p, 200);
}

static void inbox_table(page *p, const char *id, const json_t *list, const char *empty)
{
	const json_t *it;
	size_t i;

	page_put(p, "<table id=\"%s\"><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	       "<th>%s</th><th>%s</th></tr></thead><tbody>",
	    id, page_t(p, "Tijd", "Time"), page_t(p, "Soort", "Kind"), page_t(p, "Cliënt", "Client"),
	    page_t(p, "Organisatie", "Organisation"), page_t(p, "Categorie", "Category"),
	    page_t(p, "Doel of rol", "Purpose or role"));
	json_array_foreach(list, i, it)
	{
		page_put(p, "<tr><td>");
		page_when(p, page_ji(it, "time"));
		page_put(p, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s %s</td></tr>",
		    page_word(p, page_js(it, "kind")), page_client(p, it), page_js(it, "org"), page_js(it, "category"),
		    page_js(it, "purpose"), page_js(it, "role"));
	}
	if (json_array_size(list) == 0)
		page_put(p, "<tr><td colspan=\"6\">%s</td></tr>", empty);
	page_put(p, "</tbody></table>");
}

void page_matches(page *p, const char *rest)
{
	json_t *m = NULL, *n = NULL;
	node_page_req pm, pn;
	int code = api_page_params(p->r, "", PAGE_ROWS, &pm, &m);

	if (code == 0)
		code = api_page_params(p->r, "n", PAGE_ROWS, &pn, &m);
	if (code == 0)
		code = api_inbox_page(p->r, 1, &pm, &m);
	if (code == 200)
		code = api_inbox_page(p->r, 0, &pn, &n);
	if (code != 200) {
		page_refusal_doc(p, code, n != NULL ? n : m);
		json_decref(m);
		json_decref(n);
		return;
	}
	page_head(p, page_t(p, "Matches en meldingen", "Matches and notices"));
	page_form_open(p, "sync", "inline", "/api/sync", "/matches", NULL);
	page_put(p, "<button type=\"submit\" class=\"secondary\">%s</button></form>",
	    page_t(p, "Nu bijwerken", "Update now"));
	page_put(p, "<h2>%s</h2>", page_t(p, "Matches: partners die ook betrokken zijn",
				"Matches: partners also involved"));
	inbox_table(p, "matches", json_object_get(m, "items"), page_t(p, "Geen matches.", "No matches."));
	page_pager(p, "matches-pager", "/matches", "", m, pm.q);
	page_put(p, "<h2>%s</h2>", page_t(p, "Meldingen: wie vroeg naar onze betrokkenheid",
				"Notices: who asked about our involvement"));
	inbox_table(p, "notices", json_object_get(n, "items"), page_t(p, "Geen meldingen.", "No notices."));
	page_pager(p, "notices-pager", "/matches", "n", n, pn.q);
	json_decref(m);
	json_decref(n);
	page_send(p, 200);
}
