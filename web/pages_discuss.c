/* The professional's case discussions (docs/web.md). */
#include <string.h>

#include "web/api.h"
#include "web/page.h"

/* The time window as dates. A bound on a UTC day boundary (00:00 or
 * 23:59:59.999 UTC, as a window given in days is) is read at the middle of
 * its UTC day, the same date in every time zone within 12 hours of UTC;
 * any other bound (the default window starts now) as it is. */
static void window(page *p, const json_t *d)
{
	const uint64_t day = 24ull * 3600 * 1000, half = day / 2;
	uint64_t a = page_ji(d, "window_start"), b = page_ji(d, "window_end");

	page_date(p, a != 0 && a % day == 0 ? a + half : a);
	page_put(p, " – ");
	page_date(p, b % day == day - 1 ? b - half : b);
}

/* The items of a page of discussions with role (the three tables). */
static json_t *with_role(const json_t *doc, const char *role)
{
	json_t *out = json_array(), *d;
	size_t i;

	json_array_foreach(json_object_get(doc, "items"), i, d)
	{
		const char *r = page_js(d, "role");

		if (out != NULL && (strcmp(r, role) == 0 ||
				    (strcmp(role, "participant") == 0 && strcmp(r, "invited") != 0 &&
				     strcmp(r, "requester") != 0)))
			json_array_append(out, d);
	}
	return out;
}

void page_discussions(page *p, const char *rest)
{
	json_t *doc = NULL, *d, *inv = NULL, *req = NULL, *part = NULL;
	char action[96], sid[9];
	node_page_req pr;
	size_t i;
	int code = api_page_params(p->r, "", PAGE_ROWS, &pr, &doc);

	if (code == 0)
		code = api_discussions_page(p->r, &pr, &doc);
	if (code != 200) {
		page_refusal_doc(p, code, doc);
		json_decref(doc);
		return;
	}
	inv = with_role(doc, "invited");
	req = with_role(doc, "requester");
	part = with_role(doc, "participant");
	page_head(p, page_t(p, "Casusoverleg", "Case discussions"));
	page_put(p, "<h2>%s</h2><table id=\"invitations\"><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
	       "<th>%s</th><th>%s</th></tr></thead><tbody>",
	    page_t(p, "Uitnodigingen", "Invitations"), page_t(p, "Cliënt", "Client"),
	    page_t(p, "Onderwerp", "Topic"), page_t(p, "Periode", "Window"), page_t(p, "Status", "State"),
	    page_t(p, "Antwoord", "Answer"));
	json_array_foreach(inv, i, d)
	{
		page_put(p, "<tr data-discussion=\"%s\"><td>", page_js(d, "id"));
		page_put(p, "%s", page_client_name(p, d));
		page_put(p, "</td><td>%s</td><td>", page_word(p, page_js(d, "topic")));
		window(p, d);
		page_put(p, "</td><td>%s</td><td>", page_word(p, page_js(d, "state")));
		if (strcmp(page_js(d, "state"), "open") == 0) {
			snprintf(action, sizeof(action), "/api/discussions/%.40s/accept", page_js(d, "id"));
			page_form_open(p, NULL, "inline accept", action, NULL, NULL);
			page_put(p, "<button type=\"submit\">%s</button></form> ", page_t(p, "Aannemen", "Accept"));
			/* a decline is never shown to the requester, and is final */
			snprintf(action, sizeof(action), "/api/discussions/%.40s/decline", page_js(d, "id"));
			page_form_open(p, NULL, "inline decline", action, NULL,
				  page_t(p, "Uitnodiging afwijzen? Dit kunt u niet ongedaan maken.",
				    "Decline the invitation? This cannot be undone."));
			page_put(p, "<button type=\"submit\" class=\"secondary\">%s</button></form>",
			    page_t(p, "Afwijzen", "Decline"));
		}
		page_put(p, "</td></tr>");
	}
	page_put(p, "</tbody></table><h2>%s</h2><table id=\"requests\"><thead><tr><th>%s</th><th>%s</th>"
	       "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
	    page_t(p, "Mijn aanvragen", "My requests"), page_t(p, "Overleg", "Discussion"),
	    page_t(p, "Cliënt", "Client"), page_t(p, "Onderwerp", "Topic"), page_t(p, "Status", "State"),
	    page_t(p, "Aangenomen door", "Accepted by"));
	json_array_foreach(req, i, d)
	{
		json_t *a;
		size_t j;

		snprintf(sid, sizeof(sid), "%s", page_js(d, "id"));
		page_put(p, "<tr data-discussion=\"%s\"><td><a href=\"/discussions/%s\">%s %s</a></td><td>",
		    page_js(d, "id"), page_js(d, "id"), page_t(p, "Overleg", "Discussion"), sid);
		page_put(p, "%s", page_client_name(p, d));
		page_put(p, "</td><td>%s</td><td>%s</td><td>", page_word(p, page_js(d, "topic")),
		    page_word(p, page_js(d, "state")));
		json_array_foreach(json_object_get(d, "accepted"), j, a)
			page_put(p, "%s%s (%s) <span class=\"org-id\" hidden>%s</span>", j ? ", " : "",
			    page_js(a, "org_name"), page_word(p, page_js(a, "category")), page_js(a, "org"));
		if (json_array_size(json_object_get(d, "accepted")) == 0)
			page_put(p, "%s", page_t(p, "nog niemand", "nobody yet"));
		page_put(p, "</td></tr>");
	}
	page_put(p, "</tbody></table><h2>%s</h2><table id=\"participating\"><thead><tr><th>%s</th>"
	       "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
	    page_t(p, "Waaraan ik deelneem", "Participating"), page_t(p, "Overleg", "Discussion"),
	    page_t(p, "Cliënt", "Client"), page_t(p, "Onderwerp", "Topic"), page_t(p, "Status", "State"));
	json_array_foreach(part, i, d)
	{
		snprintf(sid, sizeof(sid), "%s", page_js(d, "id"));
		page_put(p, "<tr data-discussion=\"%s\"><td><a href=\"/discussions/%s\">%s %s</a></td><td>",
		    page_js(d, "id"), page_js(d, "id"), page_t(p, "Overleg", "Discussion"), sid);
		page_put(p, "%s", page_client_name(p, d));
		page_put(p, "</td><td>%s</td><td>%s</td></tr>", page_word(p, page_js(d, "topic")),
		    page_word(p, page_js(d, "state")));
	}
	page_put(p, "</tbody></table>");
	page_pager(p, "discussions-pager", "/discussions", "", doc, pr.q);
	json_decref(inv);
	json_decref(req);
	json_decref(part);
	json_decref(doc);
	page_send(p, 200);
}

void page_discussion(page *p, const char *id)
{
	json_t *doc = NULL, *m, *w;
	const char *org;
	char action[96], next[64];
	size_t i;
	int code = api_discussion(p->r, id, &doc);

	if (code != 200) {
		page_refusal_doc(p, code, doc);
		json_decref(doc);
		return;
	}
	snprintf(next, sizeof(next), "/discussions/%.40s", id);
	page_head(p, page_t(p, "Casusoverleg", "Case discussion"));
	page_put(p, "<dl><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>", page_t(p, "Onderwerp", "Topic"),
	    page_word(p, page_js(doc, "topic")), page_t(p, "Cliënt", "Client"));
	page_client(p, page_js(doc, "client"));
	page_put(p, "</dd><dt>%s</dt><dd>%s</dd></dl><h2>%s</h2><ul>", page_t(p, "Status", "State"),
	    page_word(p, page_js(doc, "state")), page_t(p, "Deelnemers", "Participants"));
	json_object_foreach(json_object_get(doc, "participants"), org, w)
		page_put(p, "<li>%s (%s): %s, %s %s %s</li>", page_js(w, "org_name"),
		    page_word(p, page_js(w, "category")), page_js(w, "name"), page_word(p, page_js(w, "role")),
		    page_js(w, "phone"), page_js(w, "email"));
	page_put(p, "</ul><section id=\"thread\"><h2>%s</h2>", page_t(p, "Berichten", "Messages"));
	json_array_foreach(json_object_get(doc, "messages"), i, m)
	{
		page_put(p, "<article class=\"message\"><header>%s, %s · ", page_js(m, "name"),
		    page_js(m, "org_name"));
		page_when(p, page_ji(m, "time"));
		page_put(p, " · %s</header><p>%s</p>", page_word(p, page_js(m, "kind")), page_js(m, "text"));
		if ((w = json_object_get(m, "regie")) != NULL) {
			const json_t *who = json_object_get(json_object_get(doc, "participants"),
							    page_js(w, "org"));

			page_put(p, "<p class=\"regie\"><strong>%s</strong>: ",
			    page_t(p, "Regievoerder", "Regievoerder"));
			if (who != NULL && strcmp(page_js(who, "professional"), page_js(w, "professional")) == 0)
				page_put(p, "%s (%s), ", page_js(who, "name"), page_word(p, page_js(who, "role")));
			else if (strcmp(page_js(w, "org"), p->r->app->s->org_id) == 0) {
				page_prof(p, page_js(w, "professional"));
				page_put(p, ", ");
			}
			page_org(p, page_js(w, "org"));
			page_put(p, "</p>");
		}
		page_put(p, "</article>");
	}
	if (json_array_size(json_object_get(doc, "messages")) == 0)
		page_put(p, "<p>%s</p>", page_t(p, "Nog geen berichten.", "No messages yet."));
	page_put(p, "</section>");
	if (strcmp(page_js(doc, "state"), "open") == 0) {
		snprintf(action, sizeof(action), "/api/discussions/%.40s/send", id);
		page_form_open(p, "send", "block", action, next, NULL);
		page_put(p, "<label for=\"text\">%s</label><textarea id=\"text\" name=\"text\" required>"
		       "</textarea><p class=\"hint\">%s</p><label class=\"check\"><input "
		       "type=\"checkbox\" id=\"yes\" name=\"yes\" value=\"1\"> %s</label><br>"
		       "<button type=\"submit\">%s</button></form>",
		    strcmp(page_js(doc, "role"), "requester") == 0 && page_ji(doc, "n_messages") == 0
			    ? page_t(p, "Samenvatting (eerste bericht)", "Summary (first message)")
			    : page_t(p, "Bericht", "Message"),
		    page_t(p, "Geen BSN, geboortedatum of adres: een tekst met een geldig BSN wordt "
			 "geweigerd.",
		      "No BSN, date of birth or address: a text with a valid BSN is refused."),
		    page_t(p, "Toch versturen als de tekst op een datum of adres lijkt",
		      "Send anyway if the text looks like a date or an address"),
		    page_t(p, "Versturen", "Send"));
	}
	if (strcmp(page_js(doc, "state"), "open") == 0 && strcmp(page_js(doc, "role"), "requester") == 0) {
		web_session *x = p->r->sess;

		snprintf(action, sizeof(action), "/api/discussions/%.40s/close", id);
		page_form_open(p, "discuss-close", "block", action, next, NULL);
		page_put(p, "<h2>%s</h2><label for=\"regie\">%s</label><select id=\"regie\" name=\"regie\">",
		    page_t(p, "Afronden", "Close"), page_t(p, "Regievoerder", "Regievoerder"));
		if (x != NULL)
			page_put(p, "<option value=\"%s:%s\">%s (%s, %s)</option>", p->r->app->s->org_id,
			    x->prof, x->name, page_word(p, x->role), p->r->app->s->name);
		json_object_foreach(json_object_get(doc, "participants"), org, w)
			page_put(p, "<option value=\"%s:%s\">%s (%s, %s)</option>", org, page_js(w, "professional"),
			    page_js(w, "name"), page_word(p, page_js(w, "role")), page_js(w, "org_name"));
		page_put(p, "</select><label for=\"outcome\">%s</label><textarea id=\"outcome\" "
		       "name=\"outcome\" required></textarea><label class=\"check\"><input type=\"checkbox\" "
		       "id=\"confirm-close\" name=\"confirm\" value=\"yes\" required> %s</label><br>"
		       "<button type=\"submit\">%s</button></form>",
		    page_t(p, "Uitkomst: de afgesproken vervolgstappen", "Outcome: the agreed next steps"),
		    page_t(p, "Ik rond het casusoverleg af. Daarna kan niemand meer berichten sturen.",
		      "I close the case discussion. Nobody can send messages afterwards."),
		    page_t(p, "Casusoverleg afronden", "Close the discussion"));
	}
	json_decref(doc);
	page_send(p, 200);
}
