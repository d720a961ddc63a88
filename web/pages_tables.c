/* The professional's case tables (casustafel): the tables, a table with
 * its agenda and a form to bring a case, a case with its thread and
 * outcome (docs/web.md). The procesregisseur's actions are done with
 * `schakel-node table ...` for now. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "protos/table.h"
#include "web/api.h"
#include "web/page.h"

/* A date "YYYY-MM-DD" as the pages write dates. */
static void iso_date(page *p, const char *s)
{
	struct tm tm = {0};
	int y, m, d;

	if (s == NULL || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3) {
		page_put(p, "-");
		return;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12; /* the same date in every time zone within 12 hours */
	page_date(p, (uint64_t)timegm(&tm) * 1000u);
}

static void word_list(page *p, const json_t *a)
{
	size_t i;
	json_t *x;

	json_array_foreach(a, i, x) page_put(p, "%s%s", i ? ", " : "", page_word(p, json_string_value(x)));
	if (json_array_size(a) == 0)
		page_put(p, "-");
}

void page_tables(page *p, const char *rest)
{
	json_t *doc = NULL, *t, *o;
	size_t i, j;
	int code = api_tables(p->r, &doc);

	(void)rest;
	if (code != 200) {
		page_refusal_doc(p, code, doc);
		json_decref(doc);
		return;
	}
	page_head(p, page_t(p, "Casustafels", "Case tables"));
	page_put(p, "<p>%s</p><table id=\"tables\"><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
	       "<th>%s</th><th>%s</th></tr></thead><tbody>",
	    page_t(p, "De casustafels waar uw organisatie voor is uitgenodigd of lid van is, en de "
		 "tafels die voor iedereen openstaan.",
	      "The case tables your organisation is invited to or a member of, and the open tables."),
	    page_t(p, "Tafel", "Table"), page_t(p, "Gastheer", "Host"),
	    page_t(p, "Vergadert", "Meets"), page_t(p, "Wij zijn", "We are"),
	    page_t(p, "Leden", "Members"));
	json_array_foreach(json_object_get(doc, "items"), i, t)
	{
		page_put(p, "<tr><td><a href=\"/tables/%s\">%s</a>%s</td><td>%s</td><td>%s</td><td>%s</td><td>",
		    page_js(t, "id"), page_js(t, "name"),
		    json_is_true(json_object_get(t, "open"))
			    ? page_t(p, " (ook voor niet-leden)", " (open to non-members)")
			    : "",
		    page_js(t, "host_name"), page_js(t, "rhythm")[0] ? page_js(t, "rhythm") : "-",
		    page_word(p, page_js(t, "our_state")));
		j = 0;
		json_array_foreach(json_object_get(t, "orgs"), j, o)
		{
			if (strcmp(page_js(o, "state"), "member") == 0)
				page_put(p, "%s%s", j ? ", " : "", page_js(o, "name"));
		}
		page_put(p, "</td></tr>");
	}
	if (json_array_size(json_object_get(doc, "items")) == 0)
		page_put(p, "<tr><td colspan=\"5\">%s</td></tr>",
		    page_t(p, "Nog geen casustafels.", "No case tables yet."));
	page_put(p, "</tbody></table>");
	json_decref(doc);
	page_send(p, 200);
}

/* form#table-submit: a case brought anonymously (POST /api/tables/ID/cases). */
static void submit_form(page *p, const char *id)
{
	static const char *const urg[] = {"hoog", "gemiddeld", "laag"};
	const wire_policy *pol = &p->r->app->s->policy;
	char action[96];

	/* no next: the API goes on to the new case, or back here on a refusal */
	snprintf(action, sizeof(action), "/api/tables/%.40s/cases", id);
	page_put(p, "<h2>%s</h2>", page_t(p, "Een casus inbrengen", "Bring a case"));
	page_form_open(p, "table-submit", "block", action, NULL, NULL);
	page_put(p, "<p class=\"hint\">%s</p><label for=\"question\">%s</label>"
	       "<textarea id=\"question\" name=\"question\" required></textarea>",
	    page_t(p, "Anoniem: noem de bewoner niet. Geen BSN, naam, geboortedatum of adres; een "
		 "tekst met een geldig BSN wordt geweigerd. De beschrijving gaat versleuteld naar de "
		 "organisaties die nu lid zijn van de tafel.",
	      "Anonymous: do not name the resident. No BSN, name, date of birth or address; a text "
	      "with a valid BSN is refused. The description goes encrypted to the organisations "
	      "that are members of the table now."),
	    page_t(p, "Vraag aan de tafel", "Question to the table"));
	page_put(p, "<fieldset id=\"domains\"><legend>%s</legend>", page_t(p, "Leefgebieden", "Life domains"));
	for (size_t i = 0; wire_table_domains[i] != NULL; i++)
		page_put(p, "<label class=\"check\"><input type=\"checkbox\" id=\"domain-%s\" name=\"domains\" "
		       "value=\"%s\"> %s</label>",
		    wire_table_domains[i], wire_table_domains[i], page_word(p, wire_table_domains[i]));
	page_put(p, "</fieldset><label for=\"urgency\">%s</label><select id=\"urgency\" name=\"urgency\">",
	    page_t(p, "Urgentie", "Urgency"));
	for (size_t i = 0; i < 3; i++)
		page_put(p, "<option value=\"%s\"%S>%s</option>", urg[i], i == 1 ? " selected" : "",
		    page_word(p, urg[i]));
	page_put(p, "</select><label for=\"tried\">%s</label><textarea id=\"tried\" name=\"tried\">"
	       "</textarea><fieldset id=\"parties\"><legend>%s</legend>",
	    page_t(p, "Wat is al geprobeerd", "What was tried"),
	    page_t(p, "Welke soorten partijen zijn betrokken", "Which kinds of parties are involved"));
	for (size_t i = 0; i < pol->n; i++)
		page_put(p, "<label class=\"check\"><input type=\"checkbox\" id=\"party-%s\" name=\"parties\" "
		       "value=\"%s\"> %s</label>",
		    pol->name[i], pol->name[i], page_word(p, pol->name[i]));
	page_put(p, "</fieldset><label class=\"check\"><input type=\"checkbox\" id=\"yes\" name=\"yes\" "
	       "value=\"1\"> %s</label><br><button type=\"submit\">%s</button></form>",
	    page_t(p, "Toch versturen als de tekst op een datum of adres lijkt",
	      "Send anyway if the text looks like a date or an address"),
	    page_t(p, "Casus inbrengen", "Bring the case"));
}

void page_table(page *p, const char *id)
{
	json_t *doc = NULL, *o, *c;
	size_t i;
	int code = api_table(p->r, id, &doc);

	if (code != 200) {
		page_refusal_doc(p, code, doc);
		json_decref(doc);
		return;
	}
	page_head(p, page_js(doc, "name"));
	page_put(p, "<dl><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd></dl>"
	       "<h2>%s</h2><ul id=\"members\">",
	    page_t(p, "Gastheer", "Host"), page_js(doc, "host_name"), page_t(p, "Vergadert", "Meets"),
	    page_js(doc, "rhythm")[0] ? page_js(doc, "rhythm") : "-",
	    page_t(p, "Niet-leden mogen casussen inbrengen", "Non-members may bring cases"),
	    json_is_true(json_object_get(doc, "open")) ? page_t(p, "ja", "yes") : page_t(p, "nee", "no"),
	    page_t(p, "Organisaties", "Organisations"));
	json_array_foreach(json_object_get(doc, "orgs"), i, o)
		page_put(p, "<li>%s: %s</li>", page_js(o, "name"), page_word(p, page_js(o, "state")));
	page_put(p, "</ul><h2>%s</h2><ul id=\"regisseurs\">", page_t(p, "Procesregisseurs", "Procesregisseurs"));
	json_array_foreach(json_object_get(doc, "regisseurs"), i, o)
	{
		page_put(p, "<li>");
		if (strcmp(page_js(o, "org"), p->r->app->s->org_id) == 0)
			page_prof(p, page_js(o, "professional"));
		else
			page_put(p, "%s", page_t(p, "een professional", "a professional"));
		page_put(p, ", ");
		page_org(p, page_js(o, "org"));
		page_put(p, "</li>");
	}
	page_put(p, "</ul><h2>%s</h2><table id=\"agenda\"><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
	       "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
	    page_t(p, "Agenda: ingebrachte casussen", "Agenda: cases brought"), page_t(p, "Casus", "Case"),
	    page_t(p, "Ingebracht", "Brought"), page_t(p, "Door", "By"), page_t(p, "Urgentie", "Urgency"),
	    page_t(p, "Leefgebieden", "Life domains"), page_t(p, "Overleg", "Meeting"));
	json_array_foreach(json_object_get(doc, "cases"), i, c)
	{
		char sid[9];

		snprintf(sid, sizeof(sid), "%s", page_js(c, "id"));
		page_put(p, "<tr><td><a href=\"/table-cases/%s\">%s %s</a></td><td>", page_js(c, "id"),
		    page_t(p, "Casus", "Case"), sid);
		page_when(p, page_ji(c, "time"));
		page_put(p, "</td><td>%s</td><td>%s</td><td>", page_js(c, "from_name"),
		    page_word(p, page_js(c, "urgency")));
		word_list(p, json_object_get(c, "domains"));
		page_put(p, "</td><td>");
		if (json_is_true(json_object_get(c, "closed")))
			page_put(p, "%s", page_t(p, "afgerond", "closed"));
		else if (json_string_value(json_object_get(c, "meeting")) != NULL)
			iso_date(p, page_js(c, "meeting"));
		else
			page_put(p, "%s", page_t(p, "nog niet geagendeerd", "not scheduled yet"));
		page_put(p, "</td></tr>");
	}
	if (json_array_size(json_object_get(doc, "cases")) == 0)
		page_put(p, "<tr><td colspan=\"6\">%s</td></tr>",
		    page_t(p, "Nog geen casussen.", "No cases yet."));
	page_put(p, "</tbody></table>");
	if (strcmp(page_js(doc, "our_state"), "member") == 0 || json_is_true(json_object_get(doc, "open")))
		submit_form(p, id);
	page_put(p, "<p class=\"hint\">%s</p>",
	    page_t(p, "Agenderen, een organisatie uitnodigen, berichten en de uitkomst vastleggen gaan "
		 "nu nog met het programma schakel-node (zie de handleiding).",
	      "Scheduling, inviting an organisation, messages and recording the outcome are done "
	      "with schakel-node for now (see the guide)."));
	json_decref(doc);
	page_send(p, 200);
}

static const char *kind_text(const page *p, const char *k)
{
	if (strcmp(k, "schedule") == 0)
		return page_t(p, "geagendeerd", "scheduled");
	if (strcmp(k, "invite") == 0)
		return page_t(p, "organisatie uitgenodigd", "organisation invited");
	if (strcmp(k, "outcome") == 0)
		return page_t(p, "uitkomst", "outcome");
	return page_t(p, "bericht", "message");
}

void page_table_case(page *p, const char *id)
{
	json_t *doc = NULL, *m, *sub, *o;
	size_t i;
	int code = api_table_case(p->r, id, &doc);

	if (code != 200) {
		page_refusal_doc(p, code, doc);
		json_decref(doc);
		return;
	}
	sub = json_object_get(doc, "submitter");
	page_head(p, page_t(p, "Casus van de casustafel", "Case table case"));
	if (json_is_true(json_object_get(doc, "involved")))
		page_put(p, "<p id=\"involved\" class=\"notice\"><strong>%s</strong> %s ",
		    page_t(p, "U bent al betrokken bij deze bewoner.", "You are already involved with this resident."),
		    page_t(p, "Alleen u en uw collega's in dit dossier zien dit; de inbrenger en de tafel "
			 "weten het niet, tenzij u het zelf zegt. Het gaat om",
		      "Only you and your colleagues on this case see this; the submitter and the table "
		      "do not know unless you tell them. It concerns"));
	if (json_is_true(json_object_get(doc, "involved"))) {
		page_client(p, page_js(doc, "client"));
		page_put(p, ".</p>");
	}
	page_put(p, "<dl><dt>%s</dt><dd><a href=\"/tables/%s\">%s</a></dd><dt>%s</dt><dd>",
	    page_t(p, "Tafel", "Table"), page_js(doc, "table"), page_t(p, "naar de tafel", "to the table"),
	    page_t(p, "Ingebracht", "Brought"));
	page_when(p, page_ji(doc, "time"));
	page_put(p, ", %s (%s, %s)</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>",
	    page_js(sub, "name"), page_js(sub, "role"), page_js(doc, "from_name"),
	    page_t(p, "Urgentie", "Urgency"), page_word(p, page_js(doc, "urgency")),
	    page_t(p, "Leefgebieden", "Life domains"));
	word_list(p, json_object_get(doc, "domains"));
	page_put(p, "</dd><dt>%s</dt><dd>", page_t(p, "Betrokken partijen", "Parties involved"));
	word_list(p, json_object_get(doc, "parties"));
	page_put(p, "</dd>");
	if (json_string_value(json_object_get(doc, "meeting")) != NULL) {
		page_put(p, "<dt>%s</dt><dd>", page_t(p, "Op de agenda van", "On the agenda of"));
		iso_date(p, page_js(doc, "meeting"));
		page_put(p, "</dd>");
	}
	page_put(p, "</dl><h2>%s</h2><p class=\"user-text\">%s</p>",
	    page_t(p, "Vraag aan de tafel", "Question to the table"), page_js(doc, "question"));
	if (json_string_value(json_object_get(doc, "tried")) != NULL)
		page_put(p, "<h2>%s</h2><p class=\"user-text\">%s</p>",
		    page_t(p, "Wat is al geprobeerd", "What was tried"), page_js(doc, "tried"));
	if ((o = json_object_get(doc, "outcome")) != NULL) {
		page_put(p, "<section id=\"outcome\"><h2>%s</h2><dl><dt>%s</dt><dd>",
		    page_t(p, "Uitkomst", "Outcome"), page_t(p, "Regievoerder", "Regievoerder"));
		if (strcmp(page_js(o, "regie_org"), p->r->app->s->org_id) == 0)
			page_prof(p, page_js(o, "regie_professional"));
		else
			page_put(p, "%s", page_t(p, "een professional", "a professional"));
		page_put(p, ", ");
		page_org(p, page_js(o, "regie_org"));
		page_put(p, "</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd>",
		    page_t(p, "Geleid naar", "Routed to"), page_word(p, page_js(o, "routed_to")),
		    page_t(p, "Doorbraak", "Breakthrough"),
		    json_is_true(json_object_get(o, "breakthrough")) ? page_t(p, "ja", "yes")
		    : json_is_false(json_object_get(o, "breakthrough")) ? page_t(p, "nee", "no") : "-");
		if (json_string_value(json_object_get(o, "evaluate")) != NULL) {
			page_put(p, "<dt>%s</dt><dd>", page_t(p, "Evaluatie", "Evaluation"));
			iso_date(p, page_js(o, "evaluate"));
			page_put(p, "</dd>");
		}
		page_put(p, "</dl><p class=\"user-text\">%s</p></section>", page_js(o, "text"));
	}
	page_put(p, "<section id=\"thread\"><h2>%s</h2>", page_t(p, "Verloop", "Thread"));
	json_array_foreach(json_object_get(doc, "thread"), i, m)
	{
		const char *k = page_js(m, "kind");

		page_put(p, "<article class=\"message\"><header>%s, %s · ", page_js(m, "name"),
		    page_js(m, "from_name"));
		page_when(p, page_ji(m, "time"));
		page_put(p, " · %s</header>", kind_text(p, k));
		if (strcmp(k, "schedule") == 0) {
			page_put(p, "<div>%s ", page_t(p, "Op de agenda van", "On the agenda of"));
			iso_date(p, page_js(m, "date"));
			page_put(p, "</div>");
		} else if (strcmp(k, "invite") == 0) {
			page_put(p, "<div>");
			page_org(p, page_js(m, "invite_org"));
			page_put(p, " %s</div>", page_t(p, "doet mee voor deze casus", "joins for this case"));
		} else {
			page_put(p, "<p>%s</p>", page_js(m, "text"));
		}
		page_put(p, "</article>");
	}
	if (json_array_size(json_object_get(doc, "thread")) == 0)
		page_put(p, "<p>%s</p>", page_t(p, "Nog geen berichten.", "No messages yet."));
	page_put(p, "</section>");
	json_decref(doc);
	page_send(p, 200);
}
