/* The professional's clients (docs/web.md): register one, find one by
 * name among her own or by BSN (a POST, so no BSN is ever in a URL), and
 * a client's page with its cases and the form to open one. */
#include <stdio.h>
#include <string.h>

#include "node/date.h"
#include "web/api.h"
#include "web/page.h"

static void bsn_field(page *p, const char *id, const char *label)
{
	page_put(p, "<label for=\"%s\">%s</label><input type=\"text\" id=\"%s\" name=\"bsn\" required "
	       "autocomplete=\"off\" inputmode=\"numeric\" maxlength=\"9\" data-bsn "
	       "aria-describedby=\"%s-hint\"><p class=\"hint\" id=\"%s-hint\" aria-live=\"polite\">%s</p>",
	    id, label, id, id, id,
	    page_t(p, "Negen cijfers. Het BSN blijft in uw organisatie en komt nooit in een adres of logboek.",
	      "Nine digits. The BSN stays in your organisation, never in an address or a log."));
}

void page_clients(page *p, const char *rest)
{
	const char *q = evhttp_find_header(&p->r->query, "name");
	json_t *doc = NULL, *c;
	size_t i;
	int code = api_clients(p->r, &doc);

	if (code != 200) {
		page_refusal_doc(p, code, doc);
		json_decref(doc);
		return;
	}
	page_head(p, page_t(p, "Cliënten", "Clients"));
	page_put(p, "<section id=\"search\"><h2>%s</h2>", page_t(p, "Mijn cliënten zoeken op naam",
								"Find my clients by name"));
	page_put(p, "<form id=\"client-search\" class=\"inline\" method=\"get\" action=\"/clients\">"
	       "<label for=\"name-q\">%s</label><input type=\"search\" id=\"name-q\" name=\"name\" value=\"%s\">"
	       "<button type=\"submit\">%s</button></form>",
	    page_t(p, "Naam", "Name"), q != NULL ? q : "", page_t(p, "Zoeken", "Search"));
	page_put(p, "<table id=\"clients\"><caption class=\"hint\">%s</caption><thead><tr><th>%s</th>"
	       "<th>%s</th></tr></thead><tbody>",
	    page_t(p, "Cliënten van uw dossiers", "The clients of your cases"), page_t(p, "Naam", "Name"),
	    page_t(p, "Geboortedatum", "Date of birth"));
	json_array_foreach(doc, i, c)
	{
		node_date d;

		page_put(p, "<tr data-client=\"%s\"><td><a href=\"/clients/%s\">%s</a></td><td>",
		    page_js(c, "id"), page_js(c, "id"),
		    page_js(c, "name")[0] ? page_js(c, "name") : page_t(p, "cliënt zonder naam", "client without a name"));
		if (node_date_parse(&d, page_js(c, "birthdate")) == SK_OK)
			page_date(p, node_date_ms(&d) + 12 * 3600 * 1000ull);
		else
			page_put(p, "-");
		page_put(p, "</td></tr>");
	}
	if (json_array_size(doc) == 0)
		page_put(p, "<tr><td colspan=\"2\">%s</td></tr>", page_t(p, "Geen cliënten gevonden.", "No clients found."));
	page_put(p, "</tbody></table></section>");
	json_decref(doc);

	page_put(p, "<section id=\"find\"><h2>%s</h2>", page_t(p, "Cliënt zoeken op BSN", "Find a client by BSN"));
	page_form_open(p, "client-find", "block", "/api/clients/find", NULL, NULL);
	bsn_field(p, "find-bsn", "BSN");
	page_put(p, "<button type=\"submit\">%s</button></form></section>", page_t(p, "Zoeken", "Find"));

	page_put(p, "<section id=\"register\"><h2>%s</h2>", page_t(p, "Nieuwe cliënt registreren", "Register a new client"));
	page_form_open(p, "client-add", "block", "/api/clients", NULL, NULL);
	bsn_field(p, "bsn", "BSN");
	page_put(p, "<label for=\"name\">%s</label><input type=\"text\" id=\"name\" name=\"name\" required "
	       "autocomplete=\"off\" maxlength=\"128\"><label for=\"birthdate\">%s</label>"
	       "<input type=\"date\" id=\"birthdate\" name=\"birthdate\" aria-describedby=\"birthdate-hint\">"
	       "<p class=\"hint\" id=\"birthdate-hint\">%s</p><button type=\"submit\">%s</button></form></section>",
	    page_t(p, "Naam", "Name"), page_t(p, "Geboortedatum", "Date of birth"),
	    page_t(p, "Met de geboortedatum ziet u welke leeftijdsregel voor de toestemming geldt.",
	      "With the date of birth you see which age rule applies to consent."),
	    page_t(p, "Registreren", "Register"));
	page_send(p, 200);
}


void page_client_view(page *p, const char *id)
{
	json_t *doc = NULL, *c;
	node_date d;
	size_t i, n = 0;
	int age, code = api_client(p->r, id, &doc);

	if (code != 200) {
		page_refusal_doc(p, code, doc);
		json_decref(doc);
		return;
	}
	age = (int)json_integer_value(json_object_get(doc, "age"));
	page_head(p, page_js(doc, "name")[0] ? page_js(doc, "name")
					      : page_t(p, "Cliënt zonder naam", "Client without a name"));
	page_put(p, "<dl id=\"client-facts\"><dt>%s</dt><dd>", page_t(p, "Geboortedatum", "Date of birth"));
	if (node_date_parse(&d, page_js(doc, "birthdate")) == SK_OK) {
		page_date(p, node_date_ms(&d) + 12 * 3600 * 1000ull);
		page_put(p, " (%d %s)", age, page_t(p, "jaar", "years"));
	} else {
		page_put(p, "%s", page_t(p, "onbekend", "unknown"));
	}
	page_put(p, "</dd></dl><h2>%s</h2><ul id=\"client-cases\">", page_t(p, "Uw dossiers", "Your cases"));
	json_array_foreach(json_object_get(doc, "cases"), i, c)
	{
		page_put(p, "<li><a href=\"/cases/%U\">%s %U</a> (%s)</li>", page_ji(c, "id"),
		    page_t(p, "Dossier", "Case"), page_ji(c, "id"), page_word(p, page_js(c, "state")));
		n++;
	}
	if (n == 0)
		page_put(p, "<li>%s</li>", page_t(p, "Nog geen dossier van u.", "No case of yours yet."));
	page_put(p, "</ul><h2>%s</h2>", page_t(p, "Dossier openen", "Open a case"));
	page_case_open_form(p, id, age);
	json_decref(doc);
	page_send(p, 200);
}
