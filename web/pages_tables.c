/* The professional's case tables (casustafel): the tables, a table with
 * its agenda, its figures and a form to bring a case, a case with its
 * thread and outcome and the forms for what this professional may do
 * there: a message (any participant); schedule, invite and the outcome
 * (a procesregisseur of the table at our org), the outcome after a
 * "controleer en bevestig" page (docs/web.md). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/db.h"
#include "node/case.h"
#include "node/members.h"
#include "node/table.h"
#include "node/tablecase.h"
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
struct client_opts {
	page *p;
	MDB_txn *txn;
	size_t n;
};

static sk_status client_opt(const char *client, void *arg)
{
	struct client_opts *o = arg;
	page *p = o->p;
	int ok = node_table_client_check(p->r->app->s, o->txn, client, web_actor(p->r)) == SK_OK;

	if (o->n++ == 0)
		page_put(p, "<label for=\"client\">%s</label><select id=\"client\" name=\"client\">"
		       "<option value=\"\" selected>%s</option>",
		    page_t(p, "Cliënt (niet verplicht)", "Client (optional)"),
		    page_t(p, "geen cliënt: helemaal anoniem", "no client: fully anonymous"));
	page_put(p, "<option value=\"%s\">", client);
	page_client(p, client);
	if (!ok)
		page_put(p, " (%s)", page_t(p, "geen toestemming voor casusoverleg",
					    "no consent to case discussion"));
	page_put(p, "</option>");
	return SK_OK;
}

/* select#client: one of the professional's own clients (open cases of
 * hers), by name; the value is the node's client id, never a BSN. Only
 * with the client's consent to case discussion does its tag go along. */
static void client_choice(page *p)
{
	struct client_opts o = {p, NULL, 0};

	if (mdb_txn_begin(p->r->app->s->env, NULL, MDB_RDONLY, &o.txn) != 0)
		return;
	if (node_case_prof_clients(p->r->app->s, o.txn, web_actor(p->r), NULL, client_opt, &o) !=
	    SK_OK && o.n == 0) {
		mdb_txn_abort(o.txn);
		return;
	}
	mdb_txn_abort(o.txn);
	if (o.n == 0)
		return;
	page_put(p, "</select><p class=\"hint\" id=\"client-hint\">%s</p>",
	    page_t(p, "Alleen met toestemming van de cliënt voor casusoverleg. Een organisatie aan "
		 "tafel die de cliënt al kent, ziet dan dat zij al betrokken is. Alleen zij ziet dat; "
		 "u en de tafel niet. De naam en het BSN gaan niet mee.",
	      "Only with the client's consent to case discussion. An organisation at the table that "
	      "already knows the client then sees that it is involved already. Only that "
	      "organisation sees it; you and the table do not. The name and the BSN do not go "
	      "along."));
}

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
	page_put(p, "</fieldset>");
	client_choice(p);
	page_put(p, "<label class=\"check\"><input type=\"checkbox\" id=\"yes\" name=\"yes\" "
	       "value=\"1\"> %s</label><br><button type=\"submit\">%s</button></form>",
	    page_t(p, "Toch versturen als de tekst op een datum of adres lijkt",
	      "Send anyway if the text looks like a date or an address"),
	    page_t(p, "Casus inbrengen", "Bring the case"));
}

/* section#table-stats: the figures over a chosen period (GET since,
 * until), and the same as CSV for the steering group. */
static void stats_section(page *p, const char *id)
{
	const char *since = web_param(p->r, "since"), *until = web_param(p->r, "until");
	json_t *st = NULL, *md;
	int code = api_table_stats(p->r, id, &st);

	since = since != NULL ? since : "";
	until = until != NULL ? until : "";
	page_put(p, "<section id=\"table-stats\"><h2>%s</h2><form id=\"table-stats-period\" "
	       "class=\"block\" method=\"get\" action=\"/tables/%s\"><label for=\"since\">%s</label>"
	       "<input type=\"date\" id=\"since\" name=\"since\" value=\"%s\"><label for=\"until\">%s"
	       "</label><input type=\"date\" id=\"until\" name=\"until\" value=\"%s\"><p class=\"hint\">"
	       "%s</p><button type=\"submit\">%s</button></form>",
	    page_t(p, "Cijfers van deze tafel", "This table's figures"), id,
	    page_t(p, "Ingebracht vanaf", "Brought from"), since,
	    page_t(p, "Tot (niet meegerekend)", "Until (not included)"), until,
	    page_t(p, "Leeg: de hele periode. De cijfers tellen de casussen die uw organisatie kent, "
		 "zonder namen.",
	      "Empty: the whole period. The figures count the cases your organisation holds, "
	      "without names."),
	    page_t(p, "Cijfers tonen", "Show figures"));
	if (code != 200) {
		page_put(p, "<p class=\"error\">%s</p></section>", page_js(st, "error"));
		json_decref(st);
		return;
	}
	md = json_object_get(st, "median_days_to_outcome");
	page_put(p, "<dl id=\"table-figures\"><dt>%s</dt><dd>%U</dd><dt>%s</dt><dd>%U</dd><dt>%s</dt>"
	       "<dd>%U</dd><dt>%s</dt><dd>%U</dd><dt>%s</dt><dd>%U</dd><dt>%s</dt><dd>",
	    page_t(p, "Ingebracht", "Brought"), page_ji(st, "brought"),
	    page_t(p, "Besproken", "Discussed"), page_ji(st, "discussed"),
	    page_t(p, "Met een uitkomst", "With an outcome"), page_ji(st, "outcomes"),
	    page_t(p, "Naar een andere soort zorg of ondersteuning", "Routed elsewhere"),
	    page_ji(st, "routed_elsewhere"),
	    page_t(p, "Naar het sociaal domein", "To the social domain"),
	    page_ji(st, "routed_social_domain"),
	    page_t(p, "Mediaan dagen tot de uitkomst", "Median days to the outcome"));
	if (json_is_real(md)) {
		char d[32];

		snprintf(d, sizeof(d), "%.1f", json_real_value(md));
		page_put(p, "%s", d);
	} else {
		page_put(p, "-");
	}
	page_put(p, "</dd></dl><p><a id=\"table-stats-csv\" href=\"/api/tables/%s/stats?format=csv&amp;"
	       "since=%s&amp;until=%s\" download>%s</a></p></section>",
	    id, since, until, page_t(p, "Cijfers downloaden (CSV, voor de stuurgroep)",
			     "Download the figures (CSV, for the steering group)"));
	json_decref(st);
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
	stats_section(p, id);
	if (strcmp(page_js(doc, "our_state"), "member") == 0 || json_is_true(json_object_get(doc, "open")))
		submit_form(p, id);
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
	if (strcmp(k, "subgroup") == 0)
		return page_t(p, "deelgroep gevormd", "subgroup formed");
	return page_t(p, "bericht", "message");
}

/* The display names of a JSON array of org ids, comma-separated. */
static void org_list(page *p, const json_t *orgs)
{
	size_t i;
	json_t *x;

	json_array_foreach(orgs, i, x) {
		if (i > 0)
			page_put(p, ", ");
		page_org(p, json_string_value(x));
	}
}

/* The subgroups of a case: who is in each, until when; the mandate only
 * where our organisation is in it (the node holds no other). */
static void subgroups_view(page *p, const json_t *doc)
{
	size_t i;
	json_t *g;

	if (json_array_size(json_object_get(doc, "subgroups")) == 0)
		return;
	page_put(p, "<section id=\"subgroups\"><h2>%s</h2>", page_t(p, "Deelgroepen", "Subgroups"));
	json_array_foreach(json_object_get(doc, "subgroups"), i, g) {
		page_put(p, "<article class=\"subgroup\" id=\"subgroup-%s\"><dl><dt>%s</dt><dd>",
		    page_js(g, "id"), page_t(p, "Organisaties", "Organisations"));
		org_list(p, json_object_get(g, "orgs"));
		page_put(p, "</dd><dt>%s</dt><dd>%s, %s</dd>", page_t(p, "Gevormd door", "Formed by"),
		    page_js(g, "by"), page_js(g, "from_name"));
		if (json_string_value(json_object_get(g, "until")) != NULL) {
			page_put(p, "<dt>%s</dt><dd>", page_t(p, "Mandaat tot", "Mandate until"));
			iso_date(p, page_js(g, "until"));
			page_put(p, "</dd>");
		}
		page_put(p, "</dl>");
		if (json_string_value(json_object_get(g, "mandate")) != NULL)
			page_put(p, "<h3>%s</h3><p class=\"user-text mandate\">%s</p>",
			    page_t(p, "Mandaat", "Mandate"), page_js(g, "mandate"));
		else if (json_is_true(json_object_get(g, "member")))
			page_put(p, "<p>%s</p>", page_t(p, "Deze deelgroep heeft geen mandaattekst.",
						      "This subgroup has no mandate text."));
		else
			page_put(p, "<p class=\"hint\">%s</p>",
			    page_t(p, "Uw organisatie zit niet in deze deelgroep. Het mandaat en de "
				 "berichten van de deelgroep ziet u niet.",
			      "Your organisation is not in this subgroup. You do not see its mandate "
			      "or its messages."));
		page_put(p, "</article>");
	}
	page_put(p, "</section>");
}

static void case_view(page *p, const char *id);

/* The federation's member organisations but us, revoked ones and those in taken
 * (a JSON array of org ids): how many; with put, written as <option>s by
 * display name. */
static size_t member_options(page *p, const json_t *taken, int put)
{
	node_store *s = p->r->app->s;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	size_t n = 0, i;
	json_t *x;
	int rc;

	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	if (mdb_cursor_open(txn, s->members, &cur) != 0) {
		mdb_txn_abort(txn);
		return 0;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char org[NET_ORG_ID_MAX + 1];
		node_member m;
		int skip = 0;

		if (k.mv_size == 0 || k.mv_size > NET_ORG_ID_MAX)
			continue;
		memcpy(org, k.mv_data, k.mv_size);
		org[k.mv_size] = 0;
		json_array_foreach(taken, i, x) if (strcmp(json_string_value(x), org) == 0) skip = 1;
		/* an organisation of the policy that can be sealed to (no
		 * pseudonymiser, none without an encryption key) */
		if (skip || strcmp(org, s->org_id) == 0 || node_members_get(s, txn, org, &m) != SK_OK ||
		    m.revoked || m.n_enc == 0 || wire_policy_index(&s->policy, m.category) < 0)
			continue;
		if (put) {
			page_put(p, "<option value=\"%s\">", org);
			page_org(p, org);
			page_put(p, "</option>");
		}
		n++;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return n;
}

/* Adds org:prof with its name to the regievoerder options (once). */
static void regie_add(json_t *opts, const char *org, const char *prof, const char *name)
{
	char key[2 * 64 + 2];

	if (org == NULL || prof == NULL || org[0] == 0 || prof[0] == 0)
		return;
	snprintf(key, sizeof(key), "%s:%s", org, prof);
	if (json_object_get(opts, key) == NULL)
		json_object_set_new(opts, key, json_string(name != NULL && name[0] ? name : prof));
}

/* form#table-subgroup: a procesregisseur ticks 2 or more of the case's
 * participants, writes the mandate and perhaps its end date; a form goes
 * to the confirmation page first, a script asks in a dialog. */
static void subgroup_form(page *p, const char *id, const json_t *parts)
{
	char action[128];
	size_t i;
	json_t *x;

	page_put(p, "<h2>%s</h2>", page_t(p, "Deelgroep vormen", "Form a subgroup"));
	snprintf(action, sizeof(action), "/api/table-cases/%.64s/subgroup", id);
	page_form_open(p, "table-subgroup", "block", action, NULL,
	    page_t(p, "Deelgroep vormen? Alleen de gekozen organisaties krijgen het mandaat; de "
		 "andere deelnemers zien wie in de deelgroep zit.",
	      "Form the subgroup? Only the organisations you chose receive the mandate; the other "
	      "participants see who is in the subgroup."));
	page_put(p, "<fieldset id=\"subgroup-orgs\"><legend>%s</legend>",
	    page_t(p, "Organisaties in de deelgroep (2 of meer)",
	      "Organisations in the subgroup (2 or more)"));
	json_array_foreach(parts, i, x) {
		const char *org = json_string_value(x);

		if (org == NULL)
			continue;
		page_put(p, "<label class=\"check\"><input type=\"checkbox\" id=\"subgroup-org-%d\" "
		       "name=\"org\" value=\"%s\"> ", (int)i, org);
		page_org(p, org);
		page_put(p, "</label>");
	}
	page_put(p, "</fieldset><label for=\"subgroup-mandate\">%s</label><textarea "
	       "id=\"subgroup-mandate\" name=\"mandate\" required></textarea><p class=\"hint\">%s</p>"
	       "<label for=\"subgroup-until\">%s</label><input type=\"date\" id=\"subgroup-until\" "
	       "name=\"until\"><label class=\"check\"><input type=\"checkbox\" id=\"subgroup-yes\" "
	       "name=\"yes\" value=\"1\"> %s</label><p class=\"hint\">%s</p><button "
	       "type=\"submit\">%s</button></form>",
	    page_t(p, "Mandaat", "Mandate"),
	    page_t(p, "Wat mag de deelgroep beslissen buiten de gewone route? Bijvoorbeeld: mag zonder "
		 "wachtlijst een plek regelen. Anoniem: geen BSN, naam, geboortedatum of adres.",
	      "What may the subgroup decide outside the usual routine? For example: may arrange a "
	      "place without a waiting list. Anonymous: no BSN, name, date of birth or address."),
	    page_t(p, "Mandaat geldt tot (niet verplicht)", "Mandate valid until (optional)"),
	    page_t(p, "Toch versturen als de tekst op een datum of adres lijkt",
	      "Send anyway if the text looks like a date or an address"),
	    page_t(p, "U ziet eerst uw keuzes. Daarna bevestigt u.",
	      "You see your choices first. Then you confirm."),
	    page_t(p, "Deelgroep vormen", "Form the subgroup"));
}

/* form#table-send for any participant (to a subgroup of ours, if chosen);
 * form#table-schedule, form#table-invite, form#table-subgroup and
 * form#table-outcome for a procesregisseur. */
static void case_forms(page *p, const char *id, const json_t *doc, int regisseur)
{
	const wire_policy *pol = &p->r->app->s->policy;
	const char *me = web_actor(p->r), *org = p->r->app->s->org_id;
	json_t *opts, *m, *sub = json_object_get(doc, "submitter"), *parts;
	char action[128];
	const char *key;
	size_t i;

	page_put(p, "<h2>%s</h2>", page_t(p, "Bericht aan de tafel", "Message to the table"));
	snprintf(action, sizeof(action), "/api/table-cases/%.64s/send", id);
	page_form_open(p, "table-send", "block", action, NULL, NULL);
	/* members of a subgroup may write to it only */
	{
		size_t n = 0;

		json_array_foreach(json_object_get(doc, "subgroups"), i, m) {
			if (!json_is_true(json_object_get(m, "member")))
				continue;
			if (n++ == 0)
				page_put(p, "<fieldset id=\"message-to\"><legend>%s</legend><label "
				       "class=\"check\"><input type=\"radio\" id=\"message-to-all\" "
				       "name=\"subgroup\" value=\"\" checked> %s</label>",
				    page_t(p, "Aan", "To"),
				    page_t(p, "alle deelnemers", "every participant"));
			page_put(p, "<label class=\"check\"><input type=\"radio\" "
			       "id=\"message-to-%s\" name=\"subgroup\" value=\"%s\"> %s ",
			    page_js(m, "id"), page_js(m, "id"),
			    page_t(p, "alleen de deelgroep:", "the subgroup only:"));
			org_list(p, json_object_get(m, "orgs"));
			page_put(p, "</label>");
		}
		if (n > 0)
			page_put(p, "</fieldset>");
	}
	page_put(p, "<label for=\"message-text\">%s</label><textarea id=\"message-text\" name=\"text\" "
	       "required></textarea><p class=\"hint\">%s</p><label class=\"check\"><input "
	       "type=\"checkbox\" id=\"message-yes\" name=\"yes\" value=\"1\"> %s</label><br>"
	       "<button type=\"submit\">%s</button></form>",
	    page_t(p, "Bericht", "Message"),
	    page_t(p, "Anoniem: geen BSN, naam, geboortedatum of adres. Alle deelnemers aan deze casus "
		 "lezen het bericht, of alleen de deelgroep als u die kiest.",
	      "Anonymous: no BSN, name, date of birth or address. Every participant in this case "
	      "reads the message, or only the subgroup if you choose it."),
	    page_t(p, "Toch versturen als de tekst op een datum of adres lijkt",
	      "Send anyway if the text looks like a date or an address"),
	    page_t(p, "Bericht versturen", "Send message"));
	if (!regisseur)
		return;
	page_put(p, "<h2>%s</h2>", page_t(p, "Agenderen", "Schedule"));
	snprintf(action, sizeof(action), "/api/table-cases/%.64s/schedule", id);
	page_form_open(p, "table-schedule", "block", action, NULL, NULL);
	page_put(p, "<label for=\"meeting-date\">%s</label><input type=\"date\" id=\"meeting-date\" "
	       "name=\"date\" required><br><button type=\"submit\">%s</button></form>",
	    page_t(p, "Datum van het overleg", "Meeting date"), page_t(p, "Agenderen", "Schedule"));
	parts = json_object_get(doc, "participants");
	page_put(p, "<h2>%s</h2>", page_t(p, "Een organisatie uitnodigen voor deze casus",
				      "Invite an organisation for this case"));
	snprintf(action, sizeof(action), "/api/table-cases/%.64s/invite", id);
	if (member_options(p, parts, 0) == 0) {
		page_put(p, "<p id=\"invite-none\">%s</p>",
		    page_t(p, "Alle organisaties van de verwijsindex doen al mee aan deze casus.",
		      "Every organisation of the federation takes part in this case already."));
	} else {
		page_form_open(p, "table-invite", "block", action, NULL, NULL);
		page_put(p, "<label for=\"invite-org\">%s</label><select id=\"invite-org\" name=\"org\" "
		       "required>", page_t(p, "Organisatie", "Organisation"));
		(void)member_options(p, parts, 1);
		page_put(p, "</select><p class=\"hint\">%s</p><button type=\"submit\">%s</button></form>",
		    page_t(p, "De organisatie krijgt de casus zonder wie de bewoner is, en leest de "
			 "berichten vanaf nu mee.",
		      "The organisation receives the case without who the resident is, and reads the "
		      "messages from now on."),
		    page_t(p, "Uitnodigen", "Invite"));
	}
	subgroup_form(p, id, parts);
	/* the regievoerder: a professional whose name this case shows */
	opts = json_object();
	regie_add(opts, org, me, p->r->sess != NULL ? p->r->sess->name : NULL);
	regie_add(opts, page_js(doc, "from"), page_js(sub, "professional"), page_js(sub, "name"));
	json_array_foreach(json_object_get(doc, "thread"), i, m)
		regie_add(opts, page_js(m, "from"), page_js(m, "professional"), page_js(m, "name"));
	page_put(p, "<h2>%s</h2>", page_t(p, "Uitkomst vastleggen", "Record the outcome"));
	snprintf(action, sizeof(action), "/api/table-cases/%.64s/outcome", id);
	page_form_open(p, "table-outcome", "block", action, NULL,
	    page_t(p, "Uitkomst vastleggen en de casus afronden? Alle deelnemers krijgen de uitkomst. "
		 "Dit kunt u niet ongedaan maken.",
	      "Record the outcome and close the case? Every participant receives it. This cannot "
	      "be undone."));
	page_put(p, "<label for=\"regie\">%s</label><select id=\"regie\" name=\"regie\" required>",
	    page_t(p, "Regievoerder", "Regievoerder"));
	json_object_foreach(opts, key, m)
	{
		const char *colon = strchr(key, ':');
		char o[64];

		snprintf(o, sizeof(o), "%.*s", (int)(colon - key), key);
		page_put(p, "<option value=\"%s\">%s, ", key, json_string_value(m));
		page_org(p, o);
		page_put(p, "</option>");
	}
	json_decref(opts);
	page_put(p, "</select><label for=\"routed-to\">%s</label><select id=\"routed-to\" "
	       "name=\"routed_to\" required>",
	    page_t(p, "Geleid naar", "Routed to"));
	for (i = 0; i < pol->n; i++)
		page_put(p, "<option value=\"%s\">%s</option>", pol->name[i], page_word(p, pol->name[i]));
	page_put(p, "</select><fieldset id=\"breakthrough\"><legend>%s</legend><label class=\"check\">"
	       "<input type=\"radio\" id=\"breakthrough-yes\" name=\"breakthrough\" value=\"yes\"> %s"
	       "</label><label class=\"check\"><input type=\"radio\" id=\"breakthrough-no\" "
	       "name=\"breakthrough\" value=\"no\"> %s</label></fieldset><label for=\"outcome-text\">%s"
	       "</label><textarea id=\"outcome-text\" name=\"outcome\" required></textarea>"
	       "<label for=\"evaluate\">%s</label><input type=\"date\" id=\"evaluate\" name=\"evaluate\">"
	       "<label class=\"check\"><input type=\"checkbox\" id=\"outcome-yes\" name=\"yes\" "
	       "value=\"1\"> %s</label><p class=\"hint\">%s</p><button type=\"submit\" "
	       "class=\"danger\">%s</button></form>",
	    page_t(p, "Is de vastgelopen situatie doorbroken?", "Was the deadlock broken?"),
	    page_t(p, "ja", "yes"), page_t(p, "nee", "no"), page_t(p, "Uitkomst", "Outcome"),
	    page_t(p, "Evaluatie op (niet verplicht)", "Evaluate on (optional)"),
	    page_t(p, "Toch versturen als de tekst op een datum of adres lijkt",
	      "Send anyway if the text looks like a date or an address"),
	    page_t(p, "U ziet eerst uw antwoorden. Na het bevestigen is de casus afgerond.",
	      "You see your answers first. After you confirm, the case is closed."),
	    page_t(p, "Uitkomst vastleggen", "Record the outcome"));
}

/* Is the actor a procesregisseur of table at our org? */
static int is_regisseur(page *p, const char *table)
{
	wire_table t;
	MDB_txn *txn = NULL;
	int yes = 0;

	if (table == NULL || mdb_txn_begin(p->r->app->s->env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	if (node_table_get(p->r->app->s, txn, table, &t) == SK_OK)
		yes = wire_table_is_regisseur(&t, p->r->app->s->org_id, web_actor(p->r));
	mdb_txn_abort(txn);
	return yes;
}

/* The answers a form of case id kept for its confirmation page (form ""
 * the outcome's, else its name), taken out of the session: the caller's
 * (json_decref); NULL when none wait. */
static json_t *form_take(page *p, const char *id, const char *form)
{
	web_session *x = p->r->sess;
	json_t *d;

	if (x == NULL || x->flash_doc == NULL || x->flash_case != 0 ||
	    strcmp(page_js(x->flash_doc, "form"), form) != 0 ||
	    strcmp(page_js(x->flash_doc, "table_case"), id) != 0)
		return NULL;
	d = x->flash_doc;
	x->flash_doc = NULL;
	return d;
}

/* The start of a confirmation page of case id: the answers form kept
 * (the caller's, json_decref, with *doc the case and back its page), or
 * NULL when the page is answered already: a refusal, or back to the case
 * when no answers wait or the case is closed. */
static json_t *confirm_begin(page *p, const char *id, const char *form, json_t **doc,
			     char back[static 96])
{
	json_t *d;
	int code = api_table_case(p->r, id, doc);

	if (code != 200) {
		page_refusal_doc(p, code, *doc);
		json_decref(*doc);
		return NULL;
	}
	snprintf(back, 96, "/table-cases/%.64s", id);
	d = form_take(p, id, form);
	if (d == NULL || json_object_get(*doc, "outcome") != NULL) {
		json_decref(d);
		json_decref(*doc);
		web_redirect(p->r, back);
		return NULL;
	}
	return d;
}

/* The answers d kept under keys, as hidden fields of a confirming form. */
static void hidden_fields(page *p, const json_t *d, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (json_string_value(json_object_get(d, keys[i])) != NULL)
			page_put(p, "<input type=\"hidden\" name=\"%s\" value=\"%s\">", keys[i],
			    page_js(d, keys[i]));
}

/* "Controleer en bevestig" of an outcome a form posted without
 * confirm=yes: its answers, kept in the session, and a form that sends
 * them with confirm=yes. */
static void outcome_confirm(page *p, const char *id)
{
	json_t *doc = NULL, *d;
	char action[128], back[96], o[64];
	const char *regie, *colon;

	if ((d = confirm_begin(p, id, "", &doc, back)) == NULL)
		return;
	regie = page_js(d, "regie");
	colon = strchr(regie, ':');
	snprintf(o, sizeof(o), "%.*s", colon != NULL ? (int)(colon - regie) : 0, regie);
	page_head(p, page_t(p, "Controleer en bevestig: uitkomst vastleggen",
			    "Check and confirm: record the outcome"));
	page_put(p, "<dl id=\"outcome-answers\"><dt>%s</dt><dd>", page_t(p, "Regievoerder", "Regievoerder"));
	if (strcmp(o, p->r->app->s->org_id) == 0 && colon != NULL)
		page_prof(p, colon + 1);
	else
		page_put(p, "%s", colon != NULL ? colon + 1 : "-");
	page_put(p, ", ");
	page_org(p, o);
	page_put(p, "</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>",
	    page_t(p, "Geleid naar", "Routed to"), page_word(p, page_js(d, "routed_to")),
	    page_t(p, "Doorbraak", "Breakthrough"),
	    strcmp(page_js(d, "breakthrough"), "yes") == 0  ? page_t(p, "ja", "yes")
	    : strcmp(page_js(d, "breakthrough"), "no") == 0 ? page_t(p, "nee", "no") : "-",
	    page_t(p, "Evaluatie", "Evaluation"));
	iso_date(p, json_string_value(json_object_get(d, "evaluate")));
	page_put(p, "</dd></dl><p class=\"user-text\">%s</p><p>%s</p>", page_js(d, "outcome"),
	    page_t(p, "Na het vastleggen is de casus afgerond: er kunnen geen berichten meer bij. Alle "
		 "deelnemers krijgen de uitkomst. Dit kunt u niet ongedaan maken.",
	      "Once recorded, the case is closed: no more messages can be added. Every participant "
	      "receives the outcome. This cannot be undone."));
	snprintf(action, sizeof(action), "/api/table-cases/%.64s/outcome", id);
	page_form_open(p, "table-outcome-confirm", "block", action, NULL, NULL);
	{
		static const char *const keys[] = {"regie", "routed_to", "breakthrough", "outcome",
						   "evaluate", "yes"};

		hidden_fields(p, d, keys, sizeof(keys) / sizeof(keys[0]));
	}
	page_put(p, "<input type=\"hidden\" name=\"confirm\" value=\"yes\"><button type=\"submit\" "
	       "class=\"danger\">%s</button></form><p><a href=\"%s\" id=\"outcome-cancel\">%s</a></p>",
	    page_t(p, "Ja, uitkomst vastleggen", "Yes, record the outcome"), back,
	    page_t(p, "Nee, terug naar de casus", "No, back to the case"));
	json_decref(d);
	json_decref(doc);
	page_send(p, 200);
}

/* "Controleer en bevestig" of a subgroup a form posted without
 * confirm=yes: the organisations, the mandate and its end date, kept in
 * the session, and a form that sends them with confirm=yes. */
static void subgroup_confirm(page *p, const char *id)
{
	json_t *doc = NULL, *d, *orgs;
	char action[128], back[96], list[WIRE_TABLE_PARTICIPANTS_MAX * (WIRE_TABLE_ORG_MAX + 1)];
	char *save = NULL, *w;

	if ((d = confirm_begin(p, id, "subgroup", &doc, back)) == NULL)
		return;
	orgs = json_array();
	snprintf(list, sizeof(list), "%s", page_js(d, "org"));
	for (w = strtok_r(list, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save))
		json_array_append_new(orgs, json_string(w));
	page_head(p, page_t(p, "Controleer en bevestig: deelgroep vormen",
			    "Check and confirm: form a subgroup"));
	page_put(p, "<dl id=\"subgroup-answers\"><dt>%s</dt><dd>",
	    page_t(p, "Organisaties", "Organisations"));
	org_list(p, orgs);
	page_put(p, "</dd><dt>%s</dt><dd>", page_t(p, "Mandaat tot", "Mandate until"));
	if (page_js(d, "until")[0] != 0)
		iso_date(p, page_js(d, "until"));
	else
		page_put(p, "%s", page_t(p, "geen einddatum", "no end date"));
	page_put(p, "</dd></dl><h2>%s</h2><p class=\"user-text\">%s</p><p>%s</p>",
	    page_t(p, "Mandaat", "Mandate"), page_js(d, "mandate"),
	    page_t(p, "Alleen deze organisaties krijgen het mandaat en de berichten van de deelgroep. "
		 "De andere deelnemers aan de casus zien dat de deelgroep bestaat en wie erin zit.",
	      "Only these organisations receive the mandate and the subgroup's messages. The other "
	      "participants in the case see that the subgroup exists and who is in it."));
	snprintf(action, sizeof(action), "/api/table-cases/%.64s/subgroup", id);
	page_form_open(p, "table-subgroup-confirm", "block", action, NULL, NULL);
	{
		size_t i;
		json_t *o;

		json_array_foreach(orgs, i, o)
			page_put(p, "<input type=\"hidden\" name=\"org\" value=\"%s\">",
			    json_string_value(o));
	}
	{
		static const char *const keys[] = {"mandate", "until", "yes"};

		hidden_fields(p, d, keys, sizeof(keys) / sizeof(keys[0]));
	}
	page_put(p, "<input type=\"hidden\" name=\"confirm\" value=\"yes\"><button "
	       "type=\"submit\">%s</button></form><p><a href=\"%s\" id=\"subgroup-cancel\">%s</a></p>",
	    page_t(p, "Ja, deelgroep vormen", "Yes, form the subgroup"), back,
	    page_t(p, "Nee, terug naar de casus", "No, back to the case"));
	json_decref(orgs);
	json_decref(d);
	json_decref(doc);
	page_send(p, 200);
}

void page_table_case(page *p, const char *rest)
{
	char id[NODE_TABLE_CASE_HEX + 16];
	const char *slash = strchr(rest, '/');

	if (slash != NULL && strcmp(slash, "/outcome") == 0 && (size_t)(slash - rest) < sizeof(id)) {
		snprintf(id, sizeof(id), "%.*s", (int)(slash - rest), rest);
		outcome_confirm(p, id);
		return;
	}
	if (slash != NULL && strcmp(slash, "/subgroup") == 0 && (size_t)(slash - rest) < sizeof(id)) {
		snprintf(id, sizeof(id), "%.*s", (int)(slash - rest), rest);
		subgroup_confirm(p, id);
		return;
	}
	case_view(p, rest);
}

static void case_view(page *p, const char *id)
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
	subgroups_view(p, doc);
	page_put(p, "<section id=\"thread\"><h2>%s</h2>", page_t(p, "Verloop", "Thread"));
	json_array_foreach(json_object_get(doc, "thread"), i, m)
	{
		const char *k = page_js(m, "kind");

		page_put(p, "<article class=\"message\"><header>%s, %s · ", page_js(m, "name"),
		    page_js(m, "from_name"));
		page_when(p, page_ji(m, "time"));
		page_put(p, " · %s", kind_text(p, k));
		if (strcmp(k, "text") == 0 && json_string_value(json_object_get(m, "subgroup")) != NULL)
			page_put(p, " · <span class=\"to-subgroup\">%s</span>",
			    page_t(p, "alleen aan de deelgroep", "to the subgroup only"));
		page_put(p, "</header>");
		if (strcmp(k, "subgroup") == 0) {
			json_t *g = NULL, *y;
			size_t gi;

			json_array_foreach(json_object_get(doc, "subgroups"), gi, y)
				if (strcmp(page_js(y, "id"), page_js(m, "subgroup")) == 0)
					g = y;
			page_put(p, "<div>%s ", page_t(p, "Deelgroep gevormd:", "Subgroup formed:"));
			org_list(p, json_object_get(g, "orgs"));
			page_put(p, "</div>");
		} else if (strcmp(k, "schedule") == 0) {
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
	/* nothing after the outcome (node_table_send) */
	if (json_object_get(doc, "outcome") == NULL)
		case_forms(p, id, doc, is_regisseur(p, json_string_value(json_object_get(doc, "table"))));
	json_decref(doc);
	page_send(p, 200);
}
