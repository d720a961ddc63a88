/* The pages of `serve --http` (docs/web.md): HTML rendered on the server
 * from the API's reads, every action a form posting to the API. Text is
 * escaped by the one formatter here (page_put's %s), so no value reaches
 * the page raw. Dutch and English. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/query.h"
#include "protos/policy.h"
#include "web/api.h"
#include "web/pages.h"

typedef struct page {
	web_req *r;
	struct evbuffer *b;
} page;

static const char *T(const page *p, const char *nl, const char *en)
{
	return p->r->lang == WEB_EN ? en : nl;
}

static void esc(page *p, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '&': evbuffer_add(p->b, "&amp;", 5); break;
		case '<': evbuffer_add(p->b, "&lt;", 4); break;
		case '>': evbuffer_add(p->b, "&gt;", 4); break;
		case '"': evbuffer_add(p->b, "&quot;", 6); break;
		case '\'': evbuffer_add(p->b, "&#39;", 5); break;
		default: evbuffer_add(p->b, s, 1);
		}
	}
}

/* Writes fmt with %s escaped, %S raw (constant markup only), %d an int,
 * %U a uint64_t and %% a percent sign. */
static void put(page *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (const char *f = fmt; *f; f++) {
		const char *next = strchr(f, '%');

		if (next == NULL) {
			evbuffer_add(p->b, f, strlen(f));
			break;
		}
		evbuffer_add(p->b, f, (size_t)(next - f));
		f = next + 1;
		switch (*f) {
		case 's': esc(p, va_arg(ap, const char *)); break;
		case 'S': {
			const char *s = va_arg(ap, const char *);

			evbuffer_add(p->b, s, strlen(s));
			break;
		}
		case 'd': evbuffer_add_printf(p->b, "%d", va_arg(ap, int)); break;
		case 'U':
			evbuffer_add_printf(p->b, "%llu", (unsigned long long)va_arg(ap, uint64_t));
			break;
		case '%': evbuffer_add(p->b, "%", 1); break;
		default: f--; /* a lone '%' at the end */
		}
		if (*f == 0)
			break;
	}
	va_end(ap);
}

/* A string member of j ("" when absent). */
static const char *js(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s != NULL ? s : "";
}

static uint64_t ji(const json_t *j, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(j, key));
}

static void when(page *p, uint64_t ms)
{
	char t[AUDIT_TIME_BYTES];

	if (ms == 0) {
		put(p, "-");
		return;
	}
	audit_time_local(t, ms);
	put(p, "<time>%s</time>", t);
}

static void csrf_field(page *p)
{
	put(p, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
	    p->r->sess != NULL ? p->r->sess->csrf : "");
}

/* A form posting to action, with the CSRF token and where to go next. */
static void form_open(page *p, const char *id, const char *cls, const char *action,
		      const char *next, const char *confirm)
{
	put(p, "<form method=\"post\" action=\"%s\"", action);
	if (id != NULL)
		put(p, " id=\"%s\"", id);
	put(p, " class=\"%s\"", cls);
	if (confirm != NULL)
		put(p, " data-confirm=\"%s\"", confirm);
	put(p, ">");
	csrf_field(p);
	if (next != NULL)
		put(p, "<input type=\"hidden\" name=\"next\" value=\"%s\">", next);
}

struct link {
	const char *href, *nl, *en;
};

static const struct link prof_nav[] = {
	{"/cases", "Mijn dossiers", "My cases"},
	{"/matches", "Matches en meldingen", "Matches and notices"},
	{"/discussions", "Casusoverleg", "Case discussions"},
};

static const struct link officer_nav[] = {
	{"/audit", "Logboek", "Audit log"},
	{"/audit/report", "Inzageverslag", "Access report"},
	{"/audit/review", "Beoordelen", "Review"},
	{"/audit/verify", "Controle", "Verification"},
};

static void head(page *p, const char *title)
{
	web_session *x = p->r->sess;
	const struct link *nav = NULL;
	size_t n = 0;

	put(p, "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
	    p->r->lang == WEB_EN ? "en" : "nl");
	if (x != NULL)
		put(p, "<meta name=\"csrf\" content=\"%s\">", x->csrf);
	put(p, "<title>%s · schakel</title><link rel=\"stylesheet\" href=\"/static/app.css\">"
	       "<script src=\"/static/app.js\" defer></script></head><body>"
	       "<a class=\"skip\" href=\"#main\">%s</a><header><span class=\"brand\">schakel · %s"
	       "</span>",
	    title, T(p, "Naar de inhoud", "Skip to content"), p->r->app->s->name);
	if (x != NULL && x->kind == NODE_KIND_PROFESSIONAL) {
		nav = prof_nav;
		n = sizeof(prof_nav) / sizeof(prof_nav[0]);
	} else if (x != NULL) {
		nav = officer_nav;
		n = sizeof(officer_nav) / sizeof(officer_nav[0]);
	}
	if (n > 0) {
		put(p, "<nav aria-label=\"%s\"><ul>", T(p, "Hoofdmenu", "Main menu"));
		for (size_t i = 0; i < n; i++)
			put(p, "<li><a href=\"%s\"%S>%s</a></li>", nav[i].href,
			    strcmp(p->r->path, nav[i].href) == 0 ? " aria-current=\"page\"" : "",
			    T(p, nav[i].nl, nav[i].en));
		put(p, "</ul></nav>");
	}
	put(p, "<div class=\"who\">");
	if (x != NULL) {
		put(p, "<span>%s (%s)</span>", x->name,
		    x->kind == NODE_KIND_PRIVACY_OFFICER ? T(p, "privacyfunctionaris", "privacy officer")
							 : x->role);
		form_open(p, "signout", "inline", "/api/session/end", NULL, NULL);
		put(p, "<button type=\"submit\" class=\"secondary\">%s</button></form>",
		    T(p, "Afmelden", "Sign out"));
	}
	put(p, "<a id=\"lang\" href=\"?lang=%s\" lang=\"%s\">%s</a></div></header>"
	       "<main id=\"main\"><h1>%s</h1>",
	    p->r->lang == WEB_EN ? "nl" : "en", p->r->lang == WEB_EN ? "nl" : "en",
	    p->r->lang == WEB_EN ? "Nederlands" : "English", title);
	if (x != NULL && x->flash[0] != 0) {
		put(p, "<p id=\"message\" role=\"%s\">%s</p>", x->flash_error ? "alert" : "status",
		    x->flash);
		x->flash[0] = 0;
	}
}

static void page_send(page *p, int code)
{
	put(p, "</main></body></html>\n");
	web_headers(p->r, "text/html; charset=utf-8");
	evhttp_send_reply(p->r->req, code, code == 200 ? "OK" : "Error", p->b);
}

/* A page that only says why not. */
static void refusal(page *p, int code, const json_t *doc)
{
	head(p, code == 404 ? T(p, "Niet gevonden", "Not found")
	     : code == 403  ? T(p, "Geen toegang", "No access")
			    : T(p, "Dat lukte niet", "That did not work"));
	put(p, "<p id=\"message\" role=\"alert\">%s</p>", js(doc, "error"));
	page_send(p, code);
}

void pages_refusal(web_req *r, int code, const char *msg)
{
	page p = {r, evbuffer_new()};
	json_t *e = json_pack("{s:s}", "error", msg);

	if (p.b == NULL || e == NULL) {
		web_reply_error(r, code, msg);
	} else {
		refusal(&p, code, e);
	}
	json_decref(e);
	if (p.b != NULL)
		evbuffer_free(p.b);
}

/* ---- sign in ---------------------------------------------------------------- */

static void signin_page(page *p)
{
	const char *e = evhttp_find_header(&p->r->query, "error");
	const char *until = evhttp_find_header(&p->r->query, "until");

	head(p, T(p, "Aanmelden", "Sign in"));
	if (e != NULL && strcmp(e, "locked") == 0)
		put(p, "<p id=\"message\" role=\"alert\">%s %s.</p>",
		    T(p, "Te vaak een verkeerd wachtwoord. Probeer het opnieuw na",
		      "Too many failed sign-ins. Try again after"),
		    until != NULL ? until : "15 min");
	else if (e != NULL)
		put(p, "<p id=\"message\" role=\"alert\">%s</p>",
		    T(p, "Onbekende medewerker of verkeerd wachtwoord.",
		      "Wrong professional id or password."));
	else if (evhttp_find_header(&p->r->query, "signed_out") != NULL)
		put(p, "<p id=\"message\" role=\"status\">%s</p>",
		    T(p, "U bent afgemeld.", "You are signed out."));
	put(p, "<form id=\"signin\" class=\"block\" method=\"post\" action=\"/api/session\">"
	       "<label for=\"professional\">%s</label>"
	       "<input type=\"text\" id=\"professional\" name=\"professional\" "
	       "autocomplete=\"username\" required autofocus>"
	       "<label for=\"password\">%s</label>"
	       "<input type=\"password\" id=\"password\" name=\"password\" "
	       "autocomplete=\"current-password\" required>"
	       "<button type=\"submit\">%s</button></form><p class=\"hint\">%s</p>",
	    T(p, "Medewerker-id", "Professional id"), T(p, "Wachtwoord", "Password"),
	    T(p, "Aanmelden", "Sign in"),
	    T(p, "Geen wachtwoord? De beheerder zet het met 'schakel-node professional passwd'.",
	      "No password? The administrator sets it with 'schakel-node professional passwd'."));
	page_send(p, 200);
}

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

	put(p, "<fieldset><legend>%s</legend>", T(p, "Toestemming", "Consent"));
	for (size_t i = 0; i < 3; i++)
		put(p, "<label class=\"check\"><input type=\"checkbox\" name=\"flag\" value=\"%s\"%S>"
		       " %s</label>",
		    f[i].v, current != NULL && strstr(current, f[i].v) != NULL ? " checked" : "",
		    T(p, f[i].nl, f[i].en));
	put(p, "</fieldset>");
}

/* The consent fields of docs/web.md; ids get a prefix to stay unique. */
static void consent_fields(page *p, const char *px, const json_t *cur)
{
	static const char *by[] = {"client", "parent", "guardian", "representative",
				   "client+parent"};

	flag_boxes(p, cur != NULL ? js(cur, "flags") : NULL);
	put(p, "<label for=\"%Scategories\">%s</label>"
	       "<input type=\"text\" id=\"%Scategories\" name=\"categories\" value=\"all\">"
	       "<p class=\"hint\">%s</p>",
	    px, T(p, "Categorieën die ons mogen zien", "Categories that may see us"), px,
	    T(p, "Kommalijst, bijvoorbeeld ggz,gemeente, of all", "Comma list, e.g. ggz,gemeente, or all"));
	put(p, "<label for=\"%Sconsent_by\">%s</label><select id=\"%Sconsent_by\" name=\"consent_by\">",
	    px, T(p, "Toestemming gegeven door", "Consent given by"), px);
	for (size_t i = 0; i < sizeof(by) / sizeof(by[0]); i++)
		put(p, "<option>%s</option>", by[i]);
	put(p, "</select><label for=\"%Sbasis\">%s</label><select id=\"%Sbasis\" name=\"basis\">"
	       "<option value=\"consent\">%s</option><option value=\"statutory\">%s</option>"
	       "</select><div class=\"reason\"><label for=\"%Sreason\">%s</label>"
	       "<input type=\"text\" id=\"%Sreason\" name=\"reason\"></div>"
	       "<label for=\"%Sexpires\">%s</label><input type=\"date\" id=\"%Sexpires\" "
	       "name=\"expires\"><p class=\"hint\">%s</p>",
	    px, T(p, "Grondslag", "Legal basis"), px, T(p, "toestemming", "consent"),
	    T(p, "wettelijke taak", "statutory"), px,
	    T(p, "Reden (blijft bij ons)", "Reason (stays with us)"), px, px,
	    T(p, "Geldig tot", "Valid until"), px,
	    T(p, "Leeg: een jaar, hoogstens twee", "Empty: one year, at most two"));
}

static void cases_page(page *p, const char *rest)
{
	json_t *doc = NULL, *c;
	size_t i;
	int code = api_cases(p->r, &doc);

	if (code != 200) {
		refusal(p, code, doc);
		json_decref(doc);
		return;
	}
	head(p, T(p, "Mijn dossiers", "My cases"));
	put(p, "<table id=\"cases\"><caption class=\"hint\">%s</caption><thead><tr><th>%s</th>"
	       "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
	    T(p, "Dossiers waaraan u bent toegewezen", "Cases you are assigned to"),
	    T(p, "Dossier", "Case"), T(p, "Cliënt", "Client"), T(p, "Status", "State"),
	    T(p, "Toestemming", "Consent"), T(p, "Categorieën", "Categories"),
	    T(p, "Geldig tot", "Valid until"));
	json_array_foreach(doc, i, c)
	{
		json_t *cats = json_object_get(c, "categories"), *k;
		size_t j;

		put(p, "<tr data-case=\"%U\" class=\"state-%s\"><td><a href=\"/cases/%U\">%U</a></td>"
		       "<td>%s</td><td>%s</td><td>%s</td><td>",
		    ji(c, "id"), js(c, "state"), ji(c, "id"), ji(c, "id"), js(c, "client"),
		    strcmp(js(c, "state"), "open") == 0 ? T(p, "open", "open")
							: T(p, "gesloten", "closed"),
		    js(c, "flags"));
		json_array_foreach(cats, j, k) put(p, "%s%s", j ? ", " : "", json_string_value(k));
		put(p, "</td><td>%s</td></tr>", js(c, "expires"));
	}
	if (json_array_size(doc) == 0)
		put(p, "<tr><td colspan=\"6\">%s</td></tr>", T(p, "Nog geen dossiers.", "No cases yet."));
	put(p, "</tbody></table><h2>%s</h2>", T(p, "Dossier openen", "Open a case"));
	form_open(p, "case-open", "block", "/api/cases", NULL, NULL);
	put(p, "<label for=\"client\">%s</label><input type=\"text\" id=\"client\" name=\"client\" "
	       "required autocomplete=\"off\" inputmode=\"numeric\"><p class=\"hint\">%s</p>",
	    T(p, "Cliënt: BSN of eigen cliëntnummer", "Client: BSN or local client id"),
	    T(p, "Het BSN blijft in deze node; de cliënt moet geregistreerd zijn.",
	      "The BSN stays in this node; the client must be registered."));
	consent_fields(p, "", NULL);
	put(p, "<button type=\"submit\">%s</button></form>", T(p, "Openen", "Open"));
	json_decref(doc);
	page_send(p, 200);
}

static void purpose_select(page *p, const char *id, const char *label)
{
	put(p, "<label for=\"%s\">%s</label><select id=\"%s\" name=\"%s\">", id, label, id,
	    strcmp(id, "topic") == 0 ? "topic" : "purpose");
	for (size_t i = 0; wire_purpose_codes[i] != NULL; i++)
		put(p, "<option>%s</option>", wire_purpose_codes[i]);
	put(p, "</select>");
}

static void case_page(page *p, uint64_t id)
{
	json_t *doc = NULL, *h, *partners = NULL;
	web_session *x = p->r->sess;
	char action[64], next[32], title[64];
	size_t i;
	int code = api_case(p->r, id, &doc);

	if (code != 200) {
		refusal(p, code, doc);
		json_decref(doc);
		return;
	}
	if (x != NULL && x->flash_case == id && x->flash_doc != NULL) {
		partners = x->flash_doc;
		x->flash_doc = NULL;
		x->flash_case = 0;
	}
	snprintf(title, sizeof(title), "%s %llu", T(p, "Dossier", "Case"), (unsigned long long)id);
	snprintf(next, sizeof(next), "/cases/%llu", (unsigned long long)id);
	head(p, title);
	put(p, "<dl><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>",
	    T(p, "Cliënt", "Client"), js(doc, "client"), T(p, "Status", "State"), js(doc, "state"),
	    T(p, "Geopend", "Opened"));
	when(p, ji(doc, "opened_at"));
	put(p, " (%s)</dd></dl>", js(doc, "opened_by"));
	put(p, "<section id=\"consent\"><h2>%s</h2><p>%s: <strong>%s</strong>; %s: %s; %s: %s</p>",
	    T(p, "Toestemming", "Consent"), T(p, "versie", "version"), js(doc, "flags"),
	    T(p, "grondslag", "basis"), js(doc, "basis"), T(p, "geldig tot", "valid until"),
	    js(doc, "expires"));
	put(p, "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>"
	       "</thead><tbody>",
	    T(p, "Versie", "Version"), T(p, "Toestemming", "Consent"), T(p, "Door", "By"),
	    T(p, "Vastgelegd", "Recorded"), T(p, "Door medewerker", "Recorded by"));
	json_array_foreach(json_object_get(doc, "history"), i, h)
	{
		put(p, "<tr><td>%U</td><td>%s</td><td>%s</td><td>", ji(h, "consent_version"),
		    js(h, "flags"), js(h, "consent_by"));
		when(p, ji(h, "consent_at"));
		put(p, "</td><td>%s</td></tr>", js(h, "recorded_by"));
	}
	put(p, "</tbody></table></section>");
	if (strcmp(js(doc, "state"), "open") != 0)
		goto out;
	/* who else is involved */
	put(p, "<section id=\"partners\" aria-live=\"polite\"><h2>%s</h2>",
	    T(p, "Betrokken partners", "Co-involved partners"));
	if (partners != NULL) {
		json_t *q;

		put(p, "<ul>");
		json_array_foreach(partners, i, q)
		{
			put(p, "<li class=\"partner\"><strong>%s</strong> (%s)%s%s%s</li>",
			    js(q, "id"), js(q, "category"),
			    json_is_true(json_object_get(q, "regie")) ? T(p, ", regievoerder", ", regievoerder") : "",
			    js(q, "contact")[0] ? ": " : "", js(q, "contact"));
		}
		if (json_array_size(partners) == 0)
			put(p, "<li>%s</li>", T(p, "Geen partnerorganisatie kan worden getoond.",
						"No partner organisation can be shown."));
		put(p, "</ul>");
	}
	snprintf(action, sizeof(action), "/api/cases/%llu/lookup", (unsigned long long)id);
	form_open(p, "lookup", "block", action, next, NULL);
	purpose_select(p, "purpose", T(p, "Doel van de vraag", "Purpose of the lookup"));
	put(p, "<p class=\"hint\">%s</p><button type=\"submit\">%s</button></form></section>",
	    T(p, "De vraag en het doel worden vastgelegd en gemeld aan de partners.",
	      "The lookup and its purpose are recorded and notified to the partners."),
	    T(p, "Wie is er nog betrokken?", "Who else is involved?"));
	/* an anonymous case discussion */
	put(p, "<h2>%s</h2>", T(p, "Anoniem casusoverleg aanvragen", "Request an anonymous case discussion"));
	form_open(p, "discuss-request", "block", "/api/discussions", NULL, NULL);
	put(p, "<input type=\"hidden\" name=\"case\" value=\"%U\">", id);
	purpose_select(p, "topic", T(p, "Onderwerp", "Topic"));
	put(p, "<label for=\"window_start\">%s</label><input type=\"date\" id=\"window_start\" "
	       "name=\"window_start\"><label for=\"window_end\">%s</label><input type=\"date\" "
	       "id=\"window_end\" name=\"window_end\"><p class=\"hint\">%s</p>"
	       "<button type=\"submit\">%s</button></form>",
	    T(p, "Van", "From"), T(p, "Tot en met", "Until"),
	    T(p, "Leeg: de komende 14 dagen. Alleen onderwerp en periode gaan naar de partners.",
	      "Empty: the next 14 days. Only the topic and the window reach the partners."),
	    T(p, "Uitnodigen", "Invite"));
	/* consent and close */
	put(p, "<h2>%s</h2>", T(p, "Nieuwe toestemming", "New consent"));
	snprintf(action, sizeof(action), "/api/cases/%llu/consent", (unsigned long long)id);
	form_open(p, "consent-form", "block", action, next, NULL);
	consent_fields(p, "c-", doc);
	put(p, "<p class=\"hint\">%s</p><button type=\"submit\">%s</button></form>",
	    T(p, "Niets aangevinkt: de toestemming wordt ingetrokken.",
	      "Nothing ticked: the consent is withdrawn."),
	    T(p, "Vastleggen", "Record"));
	snprintf(action, sizeof(action), "/api/cases/%llu/close", (unsigned long long)id);
	form_open(p, "case-close", "block", action, next,
		  T(p, "Dossier sluiten?", "Close this case?"));
	put(p, "<button type=\"submit\" class=\"danger\">%s</button></form>",
	    T(p, "Dossier sluiten", "Close case"));
out:
	json_decref(partners);
	json_decref(doc);
	page_send(p, 200);
}

static void inbox_table(page *p, const char *id, const json_t *list, const char *empty)
{
	const json_t *it;
	size_t i;

	put(p, "<table id=\"%s\"><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	       "<th>%s</th><th>%s</th></tr></thead><tbody>",
	    id, T(p, "Tijd", "Time"), T(p, "Soort", "Kind"), T(p, "Cliënt", "Client"),
	    T(p, "Organisatie", "Organisation"), T(p, "Categorie", "Category"),
	    T(p, "Doel of rol", "Purpose or role"));
	json_array_foreach(list, i, it)
	{
		put(p, "<tr><td>");
		when(p, ji(it, "time"));
		put(p, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s %s</td></tr>",
		    js(it, "kind"), js(it, "client"), js(it, "org"), js(it, "category"),
		    js(it, "purpose"), js(it, "role"));
	}
	if (json_array_size(list) == 0)
		put(p, "<tr><td colspan=\"6\">%s</td></tr>", empty);
	put(p, "</tbody></table>");
}

static void matches_page(page *p, const char *rest)
{
	json_t *m = NULL, *n = NULL;
	int code = api_inbox(p->r, 1, &m);

	if (code == 200)
		code = api_inbox(p->r, 0, &n);
	if (code != 200) {
		refusal(p, code, n != NULL ? n : m);
		json_decref(m);
		json_decref(n);
		return;
	}
	head(p, T(p, "Matches en meldingen", "Matches and notices"));
	form_open(p, "sync", "inline", "/api/sync", "/matches", NULL);
	put(p, "<button type=\"submit\" class=\"secondary\">%s</button></form>",
	    T(p, "Nu bijwerken", "Update now"));
	put(p, "<h2>%s</h2>", T(p, "Matches: partners die ook betrokken zijn",
				"Matches: partners also involved"));
	inbox_table(p, "matches", m, T(p, "Geen matches.", "No matches."));
	put(p, "<h2>%s</h2>", T(p, "Meldingen: wie vroeg naar onze betrokkenheid",
				"Notices: who asked about our involvement"));
	inbox_table(p, "notices", n, T(p, "Geen meldingen.", "No notices."));
	json_decref(m);
	json_decref(n);
	page_send(p, 200);
}

static void window(page *p, const json_t *d)
{
	when(p, ji(d, "window_start"));
	put(p, " – ");
	when(p, ji(d, "window_end"));
}

static void discussions_page(page *p, const char *rest)
{
	json_t *doc = NULL, *d;
	char action[96], sid[9];
	size_t i;
	int code = api_discussions(p->r, &doc);

	if (code != 200) {
		refusal(p, code, doc);
		json_decref(doc);
		return;
	}
	head(p, T(p, "Casusoverleg", "Case discussions"));
	put(p, "<h2>%s</h2><table id=\"invitations\"><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
	       "<th>%s</th><th>%s</th></tr></thead><tbody>",
	    T(p, "Uitnodigingen", "Invitations"), T(p, "Cliënt", "Client"),
	    T(p, "Onderwerp", "Topic"), T(p, "Periode", "Window"), T(p, "Status", "State"),
	    T(p, "Antwoord", "Answer"));
	json_array_foreach(json_object_get(doc, "invitations"), i, d)
	{
		put(p, "<tr data-discussion=\"%s\"><td>%s</td><td>%s</td><td>", js(d, "id"),
		    js(d, "client"), js(d, "topic"));
		window(p, d);
		put(p, "</td><td>%s</td><td>", js(d, "state"));
		if (strcmp(js(d, "state"), "open") == 0) {
			snprintf(action, sizeof(action), "/api/discussions/%.40s/accept", js(d, "id"));
			form_open(p, NULL, "inline accept", action, NULL, NULL);
			put(p, "<button type=\"submit\">%s</button></form> ", T(p, "Aannemen", "Accept"));
			snprintf(action, sizeof(action), "/api/discussions/%.40s/decline", js(d, "id"));
			form_open(p, NULL, "inline decline", action, NULL, NULL);
			put(p, "<button type=\"submit\" class=\"secondary\">%s</button></form>",
			    T(p, "Afwijzen", "Decline"));
		}
		put(p, "</td></tr>");
	}
	put(p, "</tbody></table><h2>%s</h2><table id=\"requests\"><thead><tr><th>%s</th><th>%s</th>"
	       "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
	    T(p, "Mijn aanvragen", "My requests"), T(p, "Overleg", "Discussion"),
	    T(p, "Cliënt", "Client"), T(p, "Onderwerp", "Topic"), T(p, "Status", "State"),
	    T(p, "Aangenomen door", "Accepted by"));
	json_array_foreach(json_object_get(doc, "requests"), i, d)
	{
		json_t *a;
		size_t j;

		snprintf(sid, sizeof(sid), "%s", js(d, "id"));
		put(p, "<tr data-discussion=\"%s\"><td><a href=\"/discussions/%s\">%s…</a></td>"
		       "<td>%s</td><td>%s</td><td>%s</td><td>",
		    js(d, "id"), js(d, "id"), sid, js(d, "client"), js(d, "topic"), js(d, "state"));
		json_array_foreach(json_object_get(d, "accepted"), j, a)
			put(p, "%s%s (%s)", j ? ", " : "", js(a, "org_name"), js(a, "category"));
		put(p, "</td></tr>");
	}
	put(p, "</tbody></table><h2>%s</h2><table id=\"participating\"><thead><tr><th>%s</th>"
	       "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
	    T(p, "Waaraan ik deelneem", "Participating"), T(p, "Overleg", "Discussion"),
	    T(p, "Cliënt", "Client"), T(p, "Onderwerp", "Topic"), T(p, "Status", "State"));
	json_array_foreach(json_object_get(doc, "participating"), i, d)
	{
		snprintf(sid, sizeof(sid), "%s", js(d, "id"));
		put(p, "<tr data-discussion=\"%s\"><td><a href=\"/discussions/%s\">%s…</a></td>"
		       "<td>%s</td><td>%s</td><td>%s</td></tr>",
		    js(d, "id"), js(d, "id"), sid, js(d, "client"), js(d, "topic"), js(d, "state"));
	}
	put(p, "</tbody></table>");
	json_decref(doc);
	page_send(p, 200);
}

static void discussion_page(page *p, const char *id)
{
	json_t *doc = NULL, *m, *w;
	const char *org;
	char action[96], next[64];
	size_t i;
	int code = api_discussion(p->r, id, &doc);

	if (code != 200) {
		refusal(p, code, doc);
		json_decref(doc);
		return;
	}
	snprintf(next, sizeof(next), "/discussions/%.40s", id);
	head(p, T(p, "Casusoverleg", "Case discussion"));
	put(p, "<p>%s <strong>%s</strong>, %s %s (%s)</p><h2>%s</h2><ul>",
	    T(p, "Onderwerp", "Topic"), js(doc, "topic"), T(p, "cliënt", "client"),
	    js(doc, "client"), js(doc, "state"), T(p, "Deelnemers", "Participants"));
	json_object_foreach(json_object_get(doc, "participants"), org, w)
		put(p, "<li>%s (%s): %s, %s %s %s</li>", js(w, "org_name"), js(w, "category"),
		    js(w, "name"), js(w, "role"), js(w, "phone"), js(w, "email"));
	put(p, "</ul><section id=\"thread\"><h2>%s</h2>", T(p, "Berichten", "Messages"));
	json_array_foreach(json_object_get(doc, "messages"), i, m)
	{
		put(p, "<article class=\"message\"><header>%s, %s · ", js(m, "name"),
		    js(m, "org_name"));
		when(p, ji(m, "time"));
		put(p, " · %s</header><p>%s</p>", js(m, "kind"), js(m, "text"));
		if ((w = json_object_get(m, "regie")) != NULL)
			put(p, "<p><strong>%s</strong>: %s, %s</p>", T(p, "Regievoerder", "Regievoerder"),
			    js(w, "org"), js(w, "professional"));
		put(p, "</article>");
	}
	if (json_array_size(json_object_get(doc, "messages")) == 0)
		put(p, "<p>%s</p>", T(p, "Nog geen berichten.", "No messages yet."));
	put(p, "</section>");
	if (strcmp(js(doc, "state"), "open") == 0) {
		snprintf(action, sizeof(action), "/api/discussions/%.40s/send", id);
		form_open(p, "send", "block", action, next, NULL);
		put(p, "<label for=\"text\">%s</label><textarea id=\"text\" name=\"text\" required>"
		       "</textarea><p class=\"hint\">%s</p><label class=\"check\"><input "
		       "type=\"checkbox\" id=\"yes\" name=\"yes\" value=\"1\"> %s</label><br>"
		       "<button type=\"submit\">%s</button></form>",
		    strcmp(js(doc, "role"), "requester") == 0 && ji(doc, "n_messages") == 0
			    ? T(p, "Samenvatting (eerste bericht)", "Summary (first message)")
			    : T(p, "Bericht", "Message"),
		    T(p, "Geen BSN, geboortedatum of adres: een tekst met een geldig BSN wordt "
			 "geweigerd.",
		      "No BSN, date of birth or address: a text with a valid BSN is refused."),
		    T(p, "Toch versturen als de tekst op een datum of adres lijkt",
		      "Send anyway if the text looks like a date or an address"),
		    T(p, "Versturen", "Send"));
	}
	if (strcmp(js(doc, "state"), "open") == 0 && strcmp(js(doc, "role"), "requester") == 0) {
		web_session *x = p->r->sess;

		snprintf(action, sizeof(action), "/api/discussions/%.40s/close", id);
		form_open(p, "discuss-close", "block", action, next, NULL);
		put(p, "<h2>%s</h2><label for=\"regie\">%s</label><select id=\"regie\" name=\"regie\">",
		    T(p, "Afsluiten", "Close"), T(p, "Regievoerder", "Regievoerder"));
		if (x != NULL)
			put(p, "<option value=\"%s:%s\">%s (%s)</option>", p->r->app->s->org_id,
			    x->prof, x->name, p->r->app->s->name);
		json_object_foreach(json_object_get(doc, "participants"), org, w)
			put(p, "<option value=\"%s:%s\">%s (%s)</option>", org, js(w, "professional"),
			    js(w, "name"), js(w, "org_name"));
		put(p, "</select><label for=\"outcome\">%s</label><textarea id=\"outcome\" "
		       "name=\"outcome\" required></textarea><button type=\"submit\">%s</button></form>",
		    T(p, "Uitkomst: de afgesproken vervolgstappen", "Outcome: the agreed next steps"),
		    T(p, "Overleg sluiten", "Close discussion"));
	}
	json_decref(doc);
	page_send(p, 200);
}

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

	put(p, "<label for=\"%s\">%s</label><input type=\"%s\" id=\"%s\" name=\"%s\" value=\"%s\">",
	    name, label, type, name, name, v != NULL ? v : "");
}

static void record_row(page *p, const json_t *rec)
{
	put(p, "<tr><td>%U</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
	       "<td>%s</td><td>%s</td></tr>",
	    ji(rec, "seq"), js(rec, "time"), js(rec, "event"), js(rec, "action"),
	    js(rec, "outcome"), js(rec, "user"), js(rec, "client"), js(rec, "purpose"),
	    js(rec, "reason"));
}

static void record_head(page *p)
{
	put(p, "<thead><tr><th>#</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	       "<th>%s</th><th>%s</th><th>%s</th></tr></thead>",
	    T(p, "Tijd (UTC)", "Time (UTC)"), T(p, "Gebeurtenis", "Event"),
	    T(p, "Actie", "Action"), T(p, "Uitkomst", "Outcome"), T(p, "Medewerker", "Professional"),
	    T(p, "Cliënt", "Client"), T(p, "Doel", "Purpose"), T(p, "Reden", "Reason"));
}

/* The start of a page of search results: a refusal (sent, and 0
 * returned) unless the read succeeded or only its filter was wrong, which
 * the page says above its form. */
static int results_begin(page *p, int code, json_t *doc, const char *title)
{
	if (code != 200 && code != 400) {
		refusal(p, code, doc);
		json_decref(doc);
		return 0;
	}
	head(p, title);
	if (code == 400)
		put(p, "<p id=\"message\" role=\"alert\">%s</p>", js(doc, "error"));
	return 1;
}

static void audit_page(page *p, const char *rest)
{
	json_t *doc = NULL, *rec;
	char q[1024];
	size_t i;
	int code = api_audit_records(p->r, &doc);

	if (!results_begin(p, code, doc, T(p, "Logboek", "Audit log")))
		return;
	put(p, "<form id=\"audit-search\" class=\"block\" method=\"get\" action=\"/audit\">");
	text_input(p, "client", T(p, "Cliënt (BSN of eigen nummer)", "Client (BSN or local id)"), "text");
	text_input(p, "professional", T(p, "Medewerker", "Professional"), "text");
	text_input(p, "event", T(p, "Gebeurtenis (bijv. lookup)", "Event (e.g. lookup)"), "text");
	text_input(p, "action", T(p, "Actie (C, R, U, D, E)", "Action (C, R, U, D, E)"), "text");
	text_input(p, "outcome", T(p, "Uitkomst (ok, denied, failed)", "Outcome (ok, denied, failed)"),
		   "text");
	text_input(p, "since", T(p, "Vanaf", "Since"), "date");
	text_input(p, "until", T(p, "Tot en met", "Until"), "date");
	put(p, "<button type=\"submit\">%s</button></form>", T(p, "Zoeken", "Search"));
	filter_query(p, q, sizeof(q));
	put(p, "<p><a id=\"export-csv\" href=\"/api/audit/export?format=csv%s\" download>%s</a> · "
	       "<a id=\"export-fhir\" href=\"/api/audit/export?format=fhir%s\" download>%s</a></p>",
	    q, T(p, "Exporteren als CSV", "Export as CSV"), q,
	    T(p, "Exporteren als FHIR AuditEvent", "Export as FHIR AuditEvent"));
	if (code == 200) {
		put(p, "<p>%s: %U (%s)</p><table id=\"records\">", T(p, "Gevonden", "Found"),
		    ji(doc, "total"), T(p, "de nieuwste eerst, hoogstens 200 getoond",
					 "newest first, at most 200 shown"));
		record_head(p);
		put(p, "<tbody>");
		json_array_foreach(json_object_get(doc, "records"), i, rec) record_row(p, rec);
		put(p, "</tbody></table>");
	}
	json_decref(doc);
	page_send(p, 200);
}

static void report_page(page *p, const char *rest)
{
	const char *client = evhttp_find_header(&p->r->query, "client");
	json_t *doc = NULL, *l;
	size_t i;
	int code = 200;

	if (p->r->sess == NULL || p->r->sess->kind != NODE_KIND_PRIVACY_OFFICER) {
		json_t *e = json_pack("{s:s}", "error", T(p, "alleen voor de privacyfunctionaris",
							   "for the privacy officer only"));
		refusal(p, 403, e);
		json_decref(e);
		return;
	}
	if (client != NULL && client[0])
		code = api_audit_report(p->r, &doc);
	head(p, T(p, "Inzageverslag (AVG art. 15)", "Access report (GDPR art. 15)"));
	if (code != 200)
		put(p, "<p id=\"message\" role=\"alert\">%s</p>", js(doc, "error"));
	put(p, "<form id=\"report\" class=\"block\" method=\"get\" action=\"/audit/report\">"
	       "<label for=\"client\">%s</label><input type=\"text\" id=\"client\" name=\"client\" "
	       "autocomplete=\"off\" required><label for=\"report-lang\">%s</label><select "
	       "id=\"report-lang\" name=\"lang\"><option value=\"nl\">Nederlands</option>"
	       "<option value=\"en\"%S>English</option></select><button type=\"submit\">%s</button>"
	       "</form>",
	    T(p, "Cliënt (BSN of eigen nummer)", "Client (BSN or local id)"),
	    T(p, "Taal van het verslag", "Language of the report"),
	    p->r->lang == WEB_EN ? " selected" : "", T(p, "Opstellen", "Draw up"));
	if (code == 200 && doc != NULL) {
		put(p, "<pre id=\"report-text\">");
		json_array_foreach(json_object_get(doc, "lines"), i, l) put(p, "%s\n", js(l, "text"));
		put(p, "</pre>");
	}
	json_decref(doc);
	page_send(p, 200);
}

static void review_page(page *p, const char *rest)
{
	json_t *doc = NULL, *f, *k;
	size_t i, j;
	int code = api_audit_review(p->r, &doc);

	if (!results_begin(p, code, doc, T(p, "Beoordelen", "Review")))
		return;
	put(p, "<form id=\"review-period\" class=\"block\" method=\"get\" action=\"/audit/review\">");
	text_input(p, "since", T(p, "Vanaf", "Since"), "date");
	text_input(p, "until", T(p, "Tot en met", "Until"), "date");
	put(p, "<button type=\"submit\">%s</button></form>", T(p, "Tonen", "Show"));
	if (code == 200) {
		put(p, "<p>%U %s</p><table id=\"findings\"><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
		       "<th>%s</th><th>%s</th></tr></thead><tbody>",
		    ji(doc, "records"), T(p, "records bekeken", "records reviewed"),
		    T(p, "Waarom", "Why"), T(p, "Record", "Record"), T(p, "Medewerker", "Professional"),
		    T(p, "Cliënt", "Client"), T(p, "Afgetekend", "Signed off"));
		json_array_foreach(json_object_get(doc, "findings"), i, f)
		{
			json_t *rec = json_object_get(f, "record"), *so = json_object_get(f, "signed_off");

			put(p, "<tr%S><td>", so != NULL ? " class=\"signed-off\"" : "");
			json_array_foreach(json_object_get(f, "kinds"), j, k)
				put(p, "%s%s", j ? ", " : "", json_string_value(k));
			if (rec == NULL) {
				put(p, "</td><td>%U lookups %s</td><td>%s</td><td></td><td></td></tr>",
				    ji(f, "count"), js(f, "day"), js(f, "user"));
				continue;
			}
			put(p, "</td><td>#%U %s %s %s</td><td>%s</td><td>%s</td><td>", ji(rec, "seq"),
			    js(rec, "time"), js(rec, "event"), js(rec, "outcome"), js(rec, "user"),
			    js(rec, "client"));
			if (so != NULL) {
				put(p, "<span class=\"signed-off\">%s %s: %s</span>",
				    T(p, "afgetekend door", "signed off by"), js(so, "by"), js(so, "note"));
			} else {
				char next[] = "/audit/review";

				form_open(p, NULL, "inline signoff", "/api/audit/signoff", next, NULL);
				put(p, "<input type=\"hidden\" name=\"seq\" value=\"%U\">"
				       "<label for=\"note-%U\" class=\"check\">%s</label>"
				       "<input type=\"text\" id=\"note-%U\" name=\"note\">"
				       "<button type=\"submit\">%s</button></form>",
				    ji(rec, "seq"), ji(rec, "seq"), T(p, "Notitie", "Note"), ji(rec, "seq"),
				    T(p, "Aftekenen", "Sign off"));
			}
			put(p, "</td></tr>");
		}
		if (json_array_size(json_object_get(doc, "findings")) == 0)
			put(p, "<tr><td colspan=\"5\">%s</td></tr>",
			    T(p, "Niets te beoordelen.", "Nothing to review."));
		put(p, "</tbody></table>");
	}
	json_decref(doc);
	page_send(p, 200);
}

static void verify_page(page *p, const char *rest)
{
	json_t *doc = NULL;
	int code = api_audit_verify(p->r, &doc);
	int ok;

	if (code != 200) {
		refusal(p, code, doc);
		json_decref(doc);
		return;
	}
	ok = json_is_true(json_object_get(doc, "ok"));
	head(p, T(p, "Controle van het logboek", "Audit log verification"));
	put(p, "<p id=\"verify-status\" data-ok=\"%S\" class=\"%S\">%s</p><dl><dt>%s</dt><dd>%U</dd>"
	       "<dt>%s</dt><dd><code>%s</code></dd><dt>%s</dt><dd>%U</dd></dl>",
	    ok ? "1" : "0", ok ? "ok" : "bad",
	    ok ? T(p, "De keten van het logboek klopt.", "The audit log's chain verifies.")
	       : T(p, "De keten is gebroken!", "The chain is broken!"),
	    T(p, "Records", "Records"), ji(doc, "records"), T(p, "Kop", "Head"), js(doc, "head"),
	    T(p, "Laatst verankerd in het register (record)", "Last anchored in the registry (record)"),
	    ji(doc, "anchored"));
	if (!ok)
		put(p, "<p role=\"alert\">%s (%s %U)</p>", js(doc, "detail"),
		    T(p, "eerste fout record", "first bad record"), ji(doc, "first_bad"));
	json_decref(doc);
	page_send(p, 200);
}

/* ---- routing ------------------------------------------------------------------------------- */

static void signin_route(page *p, const char *rest)
{
	if (p->r->sess != NULL)
		web_redirect(p->r, "/");
	else
		signin_page(p);
}

static void home_route(page *p, const char *rest)
{
	web_redirect(p->r, p->r->sess->kind == NODE_KIND_PRIVACY_OFFICER ? "/audit" : "/cases");
}

static void case_route(page *p, const char *rest)
{
	char *end;
	unsigned long long id = strtoull(rest, &end, 10);
	json_t *e = json_pack("{s:s}", "error", T(p, "geen dossier van u met dit nummer",
						   "no such case of yours"));

	if (*end == 0 && id > 0 && rest[0] >= '1' && rest[0] <= '9')
		case_page(p, id);
	else
		refusal(p, 404, e);
	json_decref(e);
}

/* The pages (GET). A path ending in '*' is every path that begins with
 * what comes before it, the rest of which fn gets; anyone: shown without
 * a session (the others send it to /signin). */
static const struct page_route {
	const char *path;
	void (*fn)(page *p, const char *rest);
	int anyone;
} routes[] = {
	{"/signin", signin_route, 1},
	{"/", home_route, 0},
	{"/cases", cases_page, 0},
	{"/cases/*", case_route, 0},
	{"/matches", matches_page, 0},
	{"/discussions", discussions_page, 0},
	{"/discussions/*", discussion_page, 0},
	{"/audit", audit_page, 0},
	{"/audit/report", report_page, 0},
	{"/audit/review", review_page, 0},
	{"/audit/verify", verify_page, 0},
};

void pages_handle(web_req *r)
{
	page p = {r, evbuffer_new()};
	const struct page_route *rt = NULL;
	const char *rest = "";

	if (p.b == NULL) {
		web_reply_error(r, 500, "out of memory");
		return;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]) && rt == NULL; i++) {
		const char *pat = routes[i].path;
		size_t n = strlen(pat);
		int prefix = pat[n - 1] == '*';

		if (prefix ? strncmp(r->path, pat, n - 1) == 0 : strcmp(r->path, pat) == 0) {
			rt = &routes[i];
			rest = r->path + (prefix ? n - 1 : n);
		}
	}
	if (r->sess == NULL && (rt == NULL || !rt->anyone)) {
		web_redirect(r, "/signin");
	} else if (rt == NULL) {
		json_t *e = json_pack("{s:s}", "error", T(&p, "deze pagina bestaat niet",
							   "there is no such page"));

		refusal(&p, 404, e);
		json_decref(e);
	} else {
		rt->fn(&p, rest);
	}
	evbuffer_free(p.b);
}
