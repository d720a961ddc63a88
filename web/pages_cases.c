/* The professional's cases, a case, matches and notices (docs/web.md). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "web/api.h"
#include "web/page.h"

/* ---- professional ----------------------------------------------------------------- */

static void flag_boxes(page *p, const char *px, const char *current)
{
	static const char *const f[] = {"discover", "contact", "discuss"};

	page_put(p, "<fieldset><legend>%s</legend>", page_t(p, "De cliënt geeft toestemming voor",
							 "The client consents to"));
	for (size_t i = 0; i < 3; i++)
		page_put(p, "<label class=\"check\"><input type=\"checkbox\" id=\"%Sflag-%s\" name=\"flag\" "
		       "value=\"%s\"%S> %s</label>",
		    px, f[i], f[i], current != NULL && strstr(current, f[i]) != NULL ? " checked" : "",
		    page_word(p, f[i]));
	page_put(p, "</fieldset>");
}

/* The Dutch age rule for the client's age (-1 unknown) into t, and who
 * consents by default under it (node_consent_age_check enforces it). */
static void age_rule(page *p, int age, char *t, size_t cap, const char **by)
{
	int en = p->r->lang == WEB_EN;

	if (age < 0) {
		*by = "client";
		snprintf(t, cap, "%s",
			 page_t(p, "Onder 12 jaar geeft een ouder, voogd of vertegenwoordiger toestemming; "
				   "van 12 tot 16 de cliënt en een ouder samen; vanaf 16 de cliënt zelf.",
				"Under 12 a parent, guardian or representative consents; from 12 to 16 the "
				"client and a parent together; from 16 the client."));
	} else if (age < 12) {
		*by = "parent";
		if (en)
			snprintf(t, cap, "The client is %d: a parent, guardian or representative consents.", age);
		else
			snprintf(t, cap, "De cliënt is %d jaar: een ouder, voogd of vertegenwoordiger geeft "
					 "toestemming.", age);
	} else if (age < 16) {
		*by = "client+parent";
		if (en)
			snprintf(t, cap, "The client is %d: the client and a parent consent together.", age);
		else
			snprintf(t, cap, "De cliënt is %d jaar: de cliënt en een ouder geven samen toestemming.",
				 age);
	} else {
		*by = "client";
		if (en)
			snprintf(t, cap, "The client is %d: the client consents (or a representative).", age);
		else
			snprintf(t, cap, "De cliënt is %d jaar: de cliënt zelf geeft toestemming (of een "
					 "vertegenwoordiger).", age);
	}
}

/* The consent fields of docs/web.md; ids get a prefix px to stay unique.
 * cur: the current consent (its flags and categories ticked), or NULL;
 * age: the client's age for the rule shown (-1 unknown). */
static void consent_fields(page *p, const char *px, const json_t *cur, int age)
{
	static const char *const by[] = {"client", "parent", "guardian", "representative",
					 "client+parent"};
	const wire_policy *pol = &p->r->app->s->policy;
	const json_t *cats = cur != NULL ? json_object_get(cur, "categories") : NULL;
	const char *want;
	char rule[200];

	age_rule(p, age, rule, sizeof(rule), &want);
	flag_boxes(p, px, cur != NULL ? page_js(cur, "flags") : NULL);
	page_put(p, "<fieldset id=\"%Scategories\"><legend>%s</legend><p class=\"hint\">%s</p>", px,
	    page_t(p, "Welke soorten organisaties mogen uw betrokkenheid zien?",
	      "Which kinds of organisation may see your involvement?"),
	    page_t(p, "Alleen wie u ook zelf mag zien, ziet u.", "Only those you may see yourself see you."));
	for (size_t i = 0; i < pol->n; i++) {
		int on = cats == NULL || json_array_size(cats) == 0;
		const json_t *k;
		size_t j;

		json_array_foreach(cats, j, k) if (strcmp(json_string_value(k), pol->name[i]) == 0) on = 1;
		page_put(p, "<label class=\"check\"><input type=\"checkbox\" id=\"%Scat-%s\" name=\"categories\" "
		       "value=\"%s\"%S> %s</label>",
		    px, pol->name[i], pol->name[i], on ? " checked" : "", page_word(p, pol->name[i]));
	}
	page_put(p, "</fieldset><label for=\"%Sconsent_by\">%s</label><select id=\"%Sconsent_by\" "
	       "name=\"consent_by\" aria-describedby=\"%Sage-rule\">",
	    px, page_t(p, "Toestemming gegeven door", "Consent given by"), px, px);
	for (size_t i = 0; i < sizeof(by) / sizeof(by[0]); i++)
		page_put(p, "<option value=\"%s\"%S>%s</option>", by[i],
		    strcmp(by[i], want) == 0 ? " selected" : "", page_word(p, by[i]));
	page_put(p, "</select><p class=\"hint\" id=\"%Sage-rule\">%s</p>", px, rule);
	page_put(p, "<label for=\"%Sbasis\">%s</label><select id=\"%Sbasis\" name=\"basis\">"
	       "<option value=\"consent\">%s</option><option value=\"statutory\">%s</option>"
	       "</select><div class=\"reason\"><label for=\"%Sreason\">%s</label>"
	       "<input type=\"text\" id=\"%Sreason\" name=\"reason\"></div>"
	       "<label for=\"%Sexpires\">%s</label><input type=\"date\" id=\"%Sexpires\" "
	       "name=\"expires\" aria-describedby=\"%Sexpires-hint\"><p class=\"hint\" id=\"%Sexpires-hint\">%s</p>",
	    px, page_t(p, "Grondslag", "Legal basis"), px, page_word(p, "consent"),
	    page_word(p, "statutory"), px,
	    page_t(p, "Reden van de wettelijke grondslag, bijvoorbeeld meldcode (blijft bij ons)",
	      "Reason of the statutory basis, e.g. meldcode (stays with us)"),
	    px, px, page_t(p, "Geldig tot", "Valid until"), px, px, px,
	    page_t(p, "Leeg: een jaar. Hoogstens twee jaar.", "Empty: one year. At most two years."));
}

/* The open-case form for client (a local id), or with a BSN field when
 * client is NULL. */
void page_case_open_form(page *p, const char *client, int age)
{
	page_form_open(p, "case-open", "block", "/api/cases", NULL, NULL);
	if (client != NULL)
		page_put(p, "<input type=\"hidden\" name=\"client\" value=\"%s\">", client);
	else
		page_put(p, "<label for=\"client\">%s</label><input type=\"text\" id=\"client\" name=\"client\" "
		       "required autocomplete=\"off\" inputmode=\"numeric\" data-bsn "
		       "aria-describedby=\"client-hint\"><p class=\"hint\" id=\"client-hint\" aria-live=\"polite\">%s</p>",
		    page_t(p, "BSN van de cliënt", "The client's BSN"),
		    page_t(p, "Negen cijfers. Het BSN blijft in uw organisatie. Is de cliënt nog niet "
			 "geregistreerd? Registreer de cliënt eerst bij Cliënten.",
		      "Nine digits. The BSN stays in your organisation. Client not registered yet? "
		      "Register the client first under Clients."));
	consent_fields(p, "", NULL, age);
	page_put(p, "<button type=\"submit\">%s</button></form>", page_t(p, "Dossier openen", "Open case"));
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


const char *page_client_name(const page *p, const json_t *item)
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
	page_put(p, "<p class=\"actions\"><a href=\"/clients\" id=\"to-clients\">%s</a></p>",
	    page_t(p, "Cliënt registreren of zoeken", "Register or find a client"));
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
	    page_t(p, "Toestemming", "Consent"), page_t(p, "Zichtbaar voor", "Visible to"),
	    page_t(p, "Geldig tot", "Valid until"));
	json_array_foreach(json_object_get(doc, "items"), i, c)
	{
		json_t *cats = json_object_get(c, "categories"), *k;
		size_t j;

		page_put(p, "<tr data-case=\"%U\" class=\"state-%s\"><td><a href=\"/cases/%U\">%U</a></td><td>",
		    page_ji(c, "id"), page_js(c, "state"), page_ji(c, "id"), page_ji(c, "id"));
		page_put(p, "%s</td><td>%s</td><td>", page_client_name(p, c), page_word(p, page_js(c, "state")));
		page_words(p, page_js(c, "flags"));
		page_put(p, "</td><td>");
		json_array_foreach(cats, j, k) page_put(p, "%s%s", j ? ", " : "", page_word(p, json_string_value(k)));
		page_put(p, "</td><td>");
		page_date(p, page_ji(c, "expires_at"));
		page_put(p, "</td></tr>");
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
	page_case_open_form(p, NULL, -1);
	json_decref(doc);
	page_send(p, 200);
}

static void purpose_select(page *p, const char *id, const char *label)
{
	page_put(p, "<label for=\"%s\">%s</label><select id=\"%s\" name=\"%s\">", id, label, id,
	    strcmp(id, "topic") == 0 ? "topic" : "purpose");
	for (size_t i = 0; wire_purpose_codes[i] != NULL; i++)
		page_put(p, "<option value=\"%s\">%s</option>", wire_purpose_codes[i],
		    page_word(p, wire_purpose_codes[i]));
	page_put(p, "</select>");
}

static void consent_line(page *p, const json_t *k)
{
	if (strcmp(page_js(k, "flags"), "none") == 0) {
		page_put(p, "%s", page_t(p, "ingetrokken", "withdrawn"));
		return;
	}
	page_words(p, page_js(k, "flags"));
}

/* Is professional q already on case doc? */
static int on_case(const json_t *doc, const json_t *q)
{
	const json_t *a;
	size_t j;

	json_array_foreach(json_object_get(doc, "assigned"), j, a)
	{
		if (strcmp(json_string_value(a), page_js(q, "id")) == 0)
			return 1;
	}
	return 0;
}

/* The colleagues of the org who are not yet on case doc, to assign. */
static void assign_form(page *p, uint64_t id, const json_t *doc)
{
	json_t *profs = NULL, *q;
	char action[64];
	size_t i, n = 0;

	if (api_professionals(p->r, &profs) != 200) {
		json_decref(profs);
		return;
	}
	json_array_foreach(profs, i, q) n += !on_case(doc, q);
	page_put(p, "<section id=\"assign\"><h2>%s</h2>", page_t(p, "Collega toewijzen", "Assign a colleague"));
	if (n == 0) {
		page_put(p, "<p>%s</p></section>", page_t(p, "Alle collega's zijn al aan dit dossier toegewezen.",
						   "All colleagues are assigned to this case already."));
		json_decref(profs);
		return;
	}
	snprintf(action, sizeof(action), "/api/cases/%llu/assign", (unsigned long long)id);
	page_form_open(p, "case-assign", "block", action, NULL, NULL);
	page_put(p, "<label for=\"professional\">%s</label><select id=\"professional\" name=\"professional\">",
	    page_t(p, "Collega", "Colleague"));
	json_array_foreach(profs, i, q) if (!on_case(doc, q))
		page_put(p, "<option value=\"%s\">%s (%s)</option>", page_js(q, "id"), page_js(q, "name"),
		    page_word(p, page_js(q, "role")));
	page_put(p, "</select><p class=\"hint\">%s</p><button type=\"submit\">%s</button></form></section>",
	    page_t(p, "Uw collega ziet het dossier daarna ook en kan eraan werken.",
	      "Your colleague then sees the case too and can work on it."),
	    page_t(p, "Toewijzen", "Assign"));
	json_decref(profs);
}

void page_case(page *p, uint64_t id)
{
	json_t *doc = NULL, *h, *partners = NULL, *a;
	web_session *x = p->r->sess;
	char action[64], next[32], title[64], name[NODE_NAME_MAX + 1];
	size_t i;
	int age = -1, code = api_case(p->r, id, &doc);

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
	(void)api_client_label(p->r, page_js(doc, "client"), name, sizeof(name), &age);
	snprintf(title, sizeof(title), "%s %llu", page_t(p, "Dossier", "Case"), (unsigned long long)id);
	snprintf(next, sizeof(next), "/cases/%llu", (unsigned long long)id);
	page_head(p, title);
	page_put(p, "<dl id=\"case-facts\"><dt>%s</dt><dd><a href=\"/clients/%s\">%s</a></dd><dt>%s</dt><dd>%s</dd>"
	       "<dt>%s</dt><dd>",
	    page_t(p, "Cliënt", "Client"), page_js(doc, "client"), name, page_t(p, "Status", "State"),
	    page_word(p, page_js(doc, "state")), page_t(p, "Geopend", "Opened"));
	sodium_memzero(name, sizeof(name));
	page_when(p, page_ji(doc, "opened_at"));
	page_put(p, " (");
	page_prof(p, page_js(doc, "opened_by"));
	page_put(p, ")</dd><dt>%s</dt><dd><ul id=\"assigned\">", page_t(p, "Toegewezen", "Assigned"));
	json_array_foreach(json_object_get(doc, "assigned"), i, a)
	{
		page_put(p, "<li>");
		page_prof(p, json_string_value(a));
		page_put(p, "</li>");
	}
	page_put(p, "</ul></dd></dl>");
	page_put(p, "<section id=\"consent\"><h2>%s</h2><p>", page_t(p, "Toestemming", "Consent"));
	consent_line(p, doc);
	page_put(p, "</p><p>%s: %s; %s: %s; %s: ", page_t(p, "Grondslag", "Basis"),
	    page_word(p, page_js(doc, "basis")), page_t(p, "gegeven door", "given by"),
	    page_word(p, page_js(doc, "consent_by")), page_t(p, "geldig tot", "valid until"));
	page_date(p, page_ji(doc, "expires_at"));
	page_put(p, "</p><table><caption class=\"hint\">%s</caption><thead><tr><th>%s</th><th>%s</th>"
	       "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
	    page_t(p, "Eerdere toestemmingen", "Consent history"), page_t(p, "Versie", "Version"),
	    page_t(p, "Toestemming", "Consent"), page_t(p, "Gegeven door", "Given by"),
	    page_t(p, "Vastgelegd", "Recorded"), page_t(p, "Door medewerker", "Recorded by"));
	json_array_foreach(json_object_get(doc, "history"), i, h)
	{
		page_put(p, "<tr><td>%U</td><td>", page_ji(h, "consent_version"));
		consent_line(p, h);
		page_put(p, "</td><td>%s</td><td>", page_word(p, page_js(h, "consent_by")));
		page_when(p, page_ji(h, "consent_at"));
		page_put(p, "</td><td>");
		page_prof(p, page_js(h, "recorded_by"));
		page_put(p, "</td></tr>");
	}
	page_put(p, "</tbody></table></section>");
	if (strcmp(page_js(doc, "state"), "open") != 0)
		goto out;
	/* who else is involved */
	page_put(p, "<section id=\"partners\" aria-live=\"polite\"><h2>%s</h2>",
	    page_t(p, "Wie is er nog betrokken?", "Who else is involved?"));
	if (partners != NULL) {
		json_t *q;

		page_put(p, "<ul>");
		json_array_foreach(partners, i, q)
		{
			page_put(p, "<li class=\"partner\" data-org=\"%s\"><strong>", page_js(q, "id"));
			page_org(p, page_js(q, "id"));
			page_put(p, "</strong> (%s)%s%s%s</li>", page_word(p, page_js(q, "category")),
			    json_is_true(json_object_get(q, "regie")) ? ", regievoerder" : "",
			    page_js(q, "contact")[0] ? ": " : "", page_js(q, "contact"));
		}
		if (json_array_size(partners) == 0)
			page_put(p, "<li>%s</li>", page_t(p, "Geen partnerorganisatie kan worden getoond. Dat zegt "
						  "niets: er is misschien niemand, of niemand die u mag zien.",
						"No partner organisation can be shown. That means nothing: "
						"there may be no one, or no one you may see."));
		page_put(p, "</ul>");
	}
	snprintf(action, sizeof(action), "/api/cases/%llu/lookup", (unsigned long long)id);
	page_form_open(p, "lookup", "block", action, next, NULL);
	purpose_select(p, "purpose", page_t(p, "Waarom vraagt u het?", "Why do you ask?"));
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
	/* consent, colleagues and close */
	page_put(p, "<h2>%s</h2>", page_t(p, "Toestemming wijzigen", "Change consent"));
	snprintf(action, sizeof(action), "/api/cases/%llu/consent", (unsigned long long)id);
	page_form_open(p, "consent-form", "block", action, NULL, NULL);
	/* nothing ticked withdraws: app.js asks this first (without it, the
	 * API leads to /cases/ID/withdraw) */
	page_put(p, "<input type=\"hidden\" data-withdraw-ask=\"%s\">",
	    page_t(p, "Niets aangevinkt: de toestemming intrekken? Partners zien daarna niet meer dat u betrokken bent.",
	      "Nothing ticked: withdraw the consent? Partners will no longer see that you are involved."));
	consent_fields(p, "c-", doc, age);
	page_put(p, "<p class=\"hint\">%s</p><button type=\"submit\">%s</button></form>",
	    page_t(p, "Niets aangevinkt: de toestemming wordt ingetrokken.",
	      "Nothing ticked: the consent is withdrawn."),
	    page_t(p, "Toestemming vastleggen", "Record consent"));
	assign_form(p, id, doc);
	page_put(p, "<h2>%s</h2>", page_t(p, "Dossier afsluiten", "Close the case"));
	snprintf(action, sizeof(action), "/api/cases/%llu/close", (unsigned long long)id);
	page_form_open(p, "case-close", "block", action, NULL,
		  page_t(p, "Dossier afsluiten? Partners zien daarna niet meer dat u betrokken bent. Dit kunt u niet ongedaan maken.",
		    "Close this case? Partners will no longer see that you are involved. This cannot be undone."));
	page_put(p, "<button type=\"submit\" class=\"danger\">%s</button></form>",
	    page_t(p, "Dossier afsluiten", "Close case"));
out:
	json_decref(partners);
	json_decref(doc);
	page_send(p, 200);
}

/* What a "controleer en bevestig" page asks about: withdrawing consent or
 * closing a case, without JavaScript. */
struct confirm {
	const char *verb;              /* the API action under /api/cases/ID/ */
	const char *title_nl, *title_en;
	int consent;                   /* shows the consent as it is now */
	const char *text_nl, *text_en; /* what it means */
	const char *form, *yes_nl, *yes_en, *cancel;
};

static const struct confirm confirm_withdraw = {
	"consent",
	"Controleer en bevestig: toestemming intrekken",
	"Check and confirm: withdraw consent",
	1,
	"U vinkte niets aan. Daarmee trekt u de toestemming in: partners zien niet meer dat uw "
	"organisatie betrokken is en u wordt niet meer uitgenodigd. Een nieuwe toestemming kunt u later "
	"weer vastleggen.",
	"You ticked nothing. That withdraws the consent: partners no longer see that your organisation "
	"is involved and you are no longer invited. You can record a new consent later.",
	"consent-withdraw-confirm",
	"Ja, toestemming intrekken",
	"Yes, withdraw the consent",
	"withdraw-cancel",
};

static const struct confirm confirm_close = {
	"close",
	"Controleer en bevestig: dossier afsluiten",
	"Check and confirm: close the case",
	0,
	"Na het afsluiten zien partners niet meer dat uw organisatie betrokken is, en u kunt "
	"geen partners meer opzoeken of uitnodigen voor dit dossier. Dit kunt u niet ongedaan maken.",
	"After closing, partners no longer see that your organisation is involved, and you can no "
	"longer look up or invite partners for this case. This cannot be undone.",
	"case-close-confirm",
	"Ja, dossier afsluiten",
	"Yes, close the case",
	"close-cancel",
};

static void confirm_page(page *p, uint64_t id, const struct confirm *w)
{
	json_t *doc = NULL;
	char action[64], back[32];
	int code = api_case(p->r, id, &doc);

	if (code != 200) {
		page_refusal_doc(p, code, doc);
		json_decref(doc);
		return;
	}
	snprintf(action, sizeof(action), "/api/cases/%llu/%s", (unsigned long long)id, w->verb);
	snprintf(back, sizeof(back), "/cases/%llu", (unsigned long long)id);
	page_head(p, page_t(p, w->title_nl, w->title_en));
	page_put(p, "<dl><dt>%s</dt><dd>%U</dd><dt>%s</dt><dd>", page_t(p, "Dossier", "Case"), id,
	    page_t(p, "Cliënt", "Client"));
	page_client(p, page_js(doc, "client"));
	if (w->consent) {
		page_put(p, "</dd><dt>%s</dt><dd>", page_t(p, "Toestemming nu", "Consent now"));
		consent_line(p, doc);
	}
	page_put(p, "</dd></dl><p>%s</p>", page_t(p, w->text_nl, w->text_en));
	if (strcmp(page_js(doc, "state"), "open") == 0) {
		page_form_open(p, w->form, "block", action, NULL, NULL);
		page_put(p, "<input type=\"hidden\" name=\"confirm\" value=\"yes\">"
		       "<button type=\"submit\" class=\"danger\">%s</button></form>",
		    page_t(p, w->yes_nl, w->yes_en));
	}
	page_put(p, "<p><a href=\"%s\" id=\"%s\">%s</a></p>", back, w->cancel,
	    page_t(p, "Nee, terug naar het dossier", "No, back to the case"));
	json_decref(doc);
	page_send(p, 200);
}

void page_case_withdraw(page *p, uint64_t id)
{
	confirm_page(p, id, &confirm_withdraw);
}

void page_case_close(page *p, uint64_t id)
{
	confirm_page(p, id, &confirm_close);
}

static void inbox_table(page *p, const char *id, const json_t *list, const char *empty)
{
	const json_t *it;
	size_t i;

	page_put(p, "<table id=\"%s\"><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	       "<th>%s</th><th>%s</th></tr></thead><tbody>",
	    id, page_t(p, "Wanneer", "When"), page_t(p, "Wat", "What"), page_t(p, "Cliënt", "Client"),
	    page_t(p, "Organisatie", "Organisation"), page_t(p, "Soort organisatie", "Kind of organisation"),
	    page_t(p, "Doel of rol", "Purpose or role"));
	json_array_foreach(list, i, it)
	{
		page_put(p, "<tr><td>");
		page_when(p, page_ji(it, "time"));
		page_put(p, "</td><td>%s</td><td>", page_word(p, page_js(it, "kind")));
		page_put(p, "%s</td><td>", page_client_name(p, it));
		page_org(p, page_js(it, "org"));
		page_put(p, "</td><td>%s</td><td>%s%s%s</td></tr>", page_word(p, page_js(it, "category")),
		    page_word(p, page_js(it, "purpose")),
		    page_js(it, "purpose")[0] && page_js(it, "role")[0] ? ", " : "",
		    page_word(p, page_js(it, "role")));
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
	page_head(p, page_t(p, "Ook betrokken en meldingen", "Also involved and notices"));
	page_form_open(p, "sync", "inline", "/api/sync", "/matches", NULL);
	page_put(p, "<button type=\"submit\" class=\"secondary\">%s</button></form>",
	    page_t(p, "Nu bijwerken", "Update now"));
	page_put(p, "<h2>%s</h2>", page_t(p, "Ook betrokken: partners die ook met uw cliënten werken",
				"Also involved: partners who work with your clients too"));
	inbox_table(p, "matches", json_object_get(m, "items"),
		    page_t(p, "Nog geen partners gevonden.", "No partners found yet."));
	page_pager(p, "matches-pager", "/matches", "", m, pm.q);
	page_put(p, "<h2>%s</h2>", page_t(p, "Meldingen: partners die hebben gezien dat u betrokken bent",
				"Notices: partners who saw that you are involved"));
	inbox_table(p, "notices", json_object_get(n, "items"), page_t(p, "Geen meldingen.", "No notices."));
	page_pager(p, "notices-pager", "/matches", "n", n, pn.q);
	json_decref(m);
	json_decref(n);
	page_send(p, 200);
}
