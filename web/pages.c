/* The pages of `serve --web` (docs/web.md): HTML rendered on the server
 * from the API's reads, every action a form posting to the API. Text is
 * escaped by the one formatter here (page_put's %s), so no value reaches
 * the page raw. Dutch and English. This file: the page frame and its
 * helpers (web/page.h), sign-in and the route table; the pages themselves
 * live in web/pages_*.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit/query.h"
#include "common/when.h"
#include "web/api.h"
#include "web/oidc.h"
#include "web/page.h"
#include "web/pages.h"

const char *page_t(const page *p, const char *nl, const char *en)
{
	return p->r->lang == WEB_EN ? en : nl;
}

static void page_esc(page *p, const char *s)
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
void page_put(page *p, const char *fmt, ...)
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
		case 's': page_esc(p, va_arg(ap, const char *)); break;
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
const char *page_js(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s != NULL ? s : "";
}

uint64_t page_ji(const json_t *j, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(j, key));
}

void page_when(page *p, uint64_t ms)
{
	char t[SK_WHEN_BYTES];

	if (ms == 0) {
		page_put(p, "-");
		return;
	}
	sk_when(t, ms, p->r->lang == WEB_EN ? SK_WHEN_EN : SK_WHEN_NL);
	page_put(p, "<time>%s</time>", t);
}

void page_date(page *p, uint64_t ms)
{
	char t[SK_WHEN_BYTES];

	sk_when_date(t, ms, p->r->lang == WEB_EN ? SK_WHEN_EN : SK_WHEN_NL);
	page_put(p, "%s", t);
}

/* The codes of the library and the wire as people read them (docs UX.md
 * "Words"); one table for every page. */
static const struct word {
	const char *code, *nl, *en;
} words[] = {
	{"discover", "vindbaar voor partners", "findable by partners"},
	{"contact", "contactgegevens delen", "share contact details"},
	{"discuss", "uitnodigen voor casusoverleg", "invite to case discussions"},
	{"none", "geen (ingetrokken)", "none (withdrawn)"},
	{"consent", "toestemming", "consent"},
	{"statutory", "wettelijke grondslag", "statutory basis"},
	{"client", "cliënt", "client"},
	{"parent", "ouder", "parent"},
	{"guardian", "voogd", "guardian"},
	{"representative", "vertegenwoordiger", "representative"},
	{"client+parent", "cliënt en ouder samen", "client and parent together"},
	{"-", "niemand (wettelijke grondslag)", "nobody (statutory basis)"},
	{"open", "lopend", "open"},
	{"closed", "afgesloten", "closed"},
	{"expired", "verlopen", "expired"},
	{"summary", "samenvatting", "summary"},
	{"message", "bericht", "message"},
	{"close", "afronding", "closing"},
	{"stopped", "gestopt", "stopped"},
	{"undelivered", "misschien niet aangekomen", "may not have arrived"},
	{"match", "ook betrokken", "also involved"},
	{"match-gone", "niet meer betrokken", "no longer involved"},
	{"disclosure", "melding: een partner heeft gezien dat u betrokken bent",
	 "notice: a partner saw that you are involved"},
	{"pattern", "melding: opvallend veel vragen", "notice: unusually many lookups"},
	{"invited", "uitgenodigd", "invited"},
	{"requester", "aanvrager", "requester"},
	{"participant", "deelnemer", "participant"},
	{"sociaal-team", "sociaal wijkteam", "social neighbourhood team"},
	{"ggz", "ggz (geestelijke gezondheidszorg)", "mental health care"},
	{"fact", "FACT-team", "FACT team"},
	{"verslavingszorg", "verslavingszorg", "addiction care"},
	{"huisarts-poh", "huisarts (POH-ggz)", "GP (mental health nurse)"},
	{"maatschappelijke-opvang", "maatschappelijke opvang", "shelter"},
	{"jeugd", "jeugdhulp", "youth care"},
	{"schuldhulp", "schuldhulpverlening", "debt counselling"},
	{"gemeente", "gemeente", "municipality"},
	{"woningcorporatie", "woningcorporatie", "housing corporation"},
	{"privacy-officer", "functionaris gegevensbescherming (FG)", "data protection officer"},
	{"afstemming", "afstemming van de zorg", "aligning care"},
	{"signaal", "signaal", "signal"},
	{"regie", "wie de regie voert", "who coordinates"},
	{"crisis", "crisis", "crisis"},
	{"overdracht", "overdracht", "handover"},
	{"nazorg", "nazorg", "aftercare"},
	/* case tables: life domains, urgency, an org's membership */
	{"wonen", "wonen", "housing"},
	{"financien", "financiën", "finances"},
	{"werk-en-opleiding", "werk en opleiding", "work and education"},
	{"daginvulling", "daginvulling", "daytime activities"},
	{"psychische-gezondheid", "psychische gezondheid", "mental health"},
	{"lichamelijke-gezondheid", "lichamelijke gezondheid", "physical health"},
	{"verslaving", "verslaving", "addiction"},
	{"sociaal-netwerk", "sociaal netwerk", "social network"},
	{"huiselijke-relaties", "huiselijke relaties", "domestic relations"},
	{"opvoeding", "opvoeding", "parenting"},
	{"veiligheid-en-justitie", "veiligheid en justitie", "safety and justice"},
	{"zelfzorg", "zelfzorg", "self-care"},
	{"hoog", "hoog", "high"},
	{"gemiddeld", "gemiddeld", "medium"},
	{"laag", "laag", "low"},
	{"member", "lid", "member"},
	{"left", "vertrokken", "left"},
};

const char *page_word(const page *p, const char *code)
{
	for (size_t i = 0; code != NULL && i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(words[i].code, code) == 0)
			return page_t(p, words[i].nl, words[i].en);
	return code != NULL ? code : "";
}

void page_words(page *p, const char *list)
{
	char one[64];
	int first = 1;

	for (const char *s = list; s != NULL && *s;) {
		size_t n = strcspn(s, ",");

		snprintf(one, sizeof(one), "%.*s", (int)(n < sizeof(one) - 1 ? n : sizeof(one) - 1), s);
		page_put(p, "%s%s", first ? "" : ", ", page_word(p, one));
		first = 0;
		s += n + (s[n] == ',');
	}
}

void page_client(page *p, const char *id)
{
	char name[NODE_NAME_MAX + 1];

	if (id == NULL || id[0] == 0) {
		page_put(p, "-");
		return;
	}
	(void)api_client_label(p->r, id, name, sizeof(name), NULL);
	page_put(p, "%s", name);
	sodium_memzero(name, sizeof(name));
}

void page_prof(page *p, const char *id)
{
	char name[NODE_NAME_MAX + 1], role[NODE_ROLE_MAX + 1];

	(void)api_prof_label(p->r, id, name, sizeof(name), role, sizeof(role));
	page_put(p, role[0] ? "%s (%s)" : "%s", name, page_word(p, role));
}

void page_org(page *p, const char *org)
{
	char name[NODE_NAME_MAX + 1];

	(void)api_org_label(p->r, org, name, sizeof(name));
	page_put(p, "%s", name);
}

static void page_csrf_field(page *p)
{
	page_put(p, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
	    p->r->sess != NULL ? p->r->sess->csrf : "");
}

/* A form posting to action, with the CSRF token and where to go next. */
void page_form_open(page *p, const char *id, const char *cls, const char *action,
		      const char *next, const char *confirm)
{
	page_put(p, "<form method=\"post\" action=\"%s\"", action);
	if (id != NULL)
		page_put(p, " id=\"%s\"", id);
	page_put(p, " class=\"%s\"", cls);
	if (confirm != NULL)
		page_put(p, " data-confirm=\"%s\"", confirm);
	page_put(p, ">");
	page_csrf_field(p);
	if (next != NULL)
		page_put(p, "<input type=\"hidden\" name=\"next\" value=\"%s\">", next);
}

struct link {
	const char *href, *nl, *en;
};

static const struct link prof_nav[] = {
	{"/cases", "Mijn dossiers", "My cases"},
	{"/clients", "Cliënten", "Clients"},
	{"/matches", "Ook betrokken en meldingen", "Also involved and notices"},
	{"/discussions", "Casusoverleg", "Case discussions"},
	{"/directory", "Sociale kaart", "Directory"},
	{"/tables", "Casustafels", "Case tables"},
};

static const struct link officer_nav[] = {
	{"/audit", "Logboek", "Audit log"},
	{"/audit/report", "Inzageverslag", "Access report"},
	{"/audit/review", "Beoordelen", "Review"},
	{"/audit/verify", "Controle", "Verification"},
};

void page_head(page *p, const char *title)
{
	web_session *x = p->r->sess;
	const struct link *nav = NULL;
	size_t n = 0;

	page_put(p, "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
	    p->r->lang == WEB_EN ? "en" : "nl");
	if (x != NULL)
		page_put(p, "<meta name=\"csrf\" content=\"%s\">", x->csrf);
	page_put(p, "<title>%s · schakel</title><link rel=\"stylesheet\" href=\"/static/app.css\">"
	       "<script src=\"/static/app.js\" defer></script></head><body>"
	       "<a class=\"skip\" href=\"#main\">%s</a><header><span class=\"brand\">schakel · %s"
	       "</span>",
	    title, page_t(p, "Naar de inhoud", "Skip to content"), p->r->app->s->name);
	if (x != NULL && x->kind == NODE_KIND_PROFESSIONAL) {
		nav = prof_nav;
		n = sizeof(prof_nav) / sizeof(prof_nav[0]);
	} else if (x != NULL) {
		nav = officer_nav;
		n = sizeof(officer_nav) / sizeof(officer_nav[0]);
	}
	if (n > 0) {
		page_put(p, "<nav aria-label=\"%s\"><ul>", page_t(p, "Hoofdmenu", "Main menu"));
		for (size_t i = 0; i < n; i++)
			page_put(p, "<li><a href=\"%s\"%S>%s</a></li>", nav[i].href,
			    strcmp(p->r->path, nav[i].href) == 0 ? " aria-current=\"page\"" : "",
			    page_t(p, nav[i].nl, nav[i].en));
		page_put(p, "</ul></nav>");
	}
	page_put(p, "<div class=\"who\">");
	if (x != NULL) {
		page_put(p, "<span>%s (%s)</span>", x->name,
		    x->kind == NODE_KIND_PRIVACY_OFFICER ? page_word(p, "privacy-officer")
							 : page_word(p, x->role));
		page_form_open(p, "signout", "inline", "/api/session/end", NULL, NULL);
		page_put(p, "<button type=\"submit\" class=\"secondary\">%s</button></form>",
		    page_t(p, "Afmelden", "Sign out"));
	}
	page_put(p, "<a id=\"lang\" href=\"?lang=%s\" lang=\"%s\">%s</a></div></header>"
	       "<main id=\"main\"><h1>%s</h1>",
	    p->r->lang == WEB_EN ? "nl" : "en", p->r->lang == WEB_EN ? "nl" : "en",
	    p->r->lang == WEB_EN ? "Nederlands" : "English", title);
	if (x != NULL && x->flash[0] != 0) {
		page_put(p, "<p id=\"message\" role=\"%s\">%s</p>", x->flash_error ? "alert" : "status",
		    x->flash);
		x->flash[0] = 0;
	}
}

void page_send(page *p, int code)
{
	page_put(p, "</main></body></html>\n");
	web_reply_body(p->r, code, "text/html; charset=utf-8", p->b);
}

/* A page that only says why not. */
void page_refusal_doc(page *p, int code, const json_t *doc)
{
	page_head(p, code == 404 ? page_t(p, "Niet gevonden", "Not found")
	     : code == 403  ? page_t(p, "Geen toegang", "No access")
			    : page_t(p, "Dat lukte niet", "That did not work"));
	page_put(p, "<p id=\"message\" role=\"alert\">%s</p>", api_error_text(p->r, doc));
	page_send(p, code);
}

void pages_refusal(web_req *r, int code, const char *msg)
{
	page p = {r, evbuffer_new()};
	json_t *e = json_pack("{s:s}", "error", msg);

	if (p.b == NULL || e == NULL) {
		web_reply_error(r, code, msg);
	} else {
		page_refusal_doc(&p, code, e);
	}
	json_decref(e);
	if (p.b != NULL)
		evbuffer_free(p.b);
}

/* ---- sign in ---------------------------------------------------------------- */

/* The sentences for a sign-in through the identity provider that did not
 * work (/signin?error=oidc-...: web/oidc.c). */
static const struct oidc_error {
	const char *code, *nl, *en;
} oidc_errors[] = {
	{"oidc-unknown",
	 "U bent wel aangemeld bij uw organisatie, maar uw account is hier niet gekoppeld aan "
	 "een medewerker. Vraag de beheerder van uw organisatie om uw account te koppelen.",
	 "You are signed in at your organisation, but your account is not linked to a "
	 "professional here. Ask your organisation's administrator to link your account."},
	{"oidc-failed",
	 "Inloggen is niet gelukt: het antwoord van uw organisatie kon niet worden "
	 "gecontroleerd. Probeer het opnieuw. Lukt het weer niet? Neem contact op met de "
	 "beheerder van uw organisatie.",
	 "Signing in did not work: the answer of your organisation could not be checked. "
	 "Try again. If it fails again, contact your organisation's administrator."},
	{"oidc-expired",
	 "Inloggen is niet gelukt: het duurde te lang of de link was al gebruikt. Probeer het "
	 "opnieuw.",
	 "Signing in did not work: it took too long or the link was used before. Try again."},
	{"oidc-denied",
	 "Inloggen is afgebroken of geweigerd bij uw organisatie. Probeer het opnieuw.",
	 "Signing in was stopped or refused at your organisation. Try again."},
	{"oidc-unreachable",
	 "Het inlogsysteem van uw organisatie is nu niet bereikbaar. Probeer het over een paar "
	 "minuten opnieuw.",
	 "Your organisation's sign-in system cannot be reached right now. Try again in a few "
	 "minutes."},
	{"password-off",
	 "Inloggen met een wachtwoord staat uit. Log in via uw organisatie.",
	 "Signing in with a password is switched off. Sign in through your organisation."},
};

static void signin_page(page *p)
{
	const char *e = evhttp_find_header(&p->r->query, "error");
	const char *until = evhttp_find_header(&p->r->query, "until");
	const char *idp = web_oidc_label(p->r->app->oidc);
	const struct oidc_error *oe = NULL;

	for (size_t i = 0; e != NULL && i < sizeof(oidc_errors) / sizeof(oidc_errors[0]); i++)
		if (strcmp(e, oidc_errors[i].code) == 0)
			oe = &oidc_errors[i];
	page_head(p, page_t(p, "Aanmelden", "Sign in"));
	if (oe != NULL)
		page_put(p, "<p id=\"message\" role=\"alert\">%s</p>", page_t(p, oe->nl, oe->en));
	else if (e != NULL && strcmp(e, "locked") == 0)
		page_put(p, "<p id=\"message\" role=\"alert\">%s %s.</p>",
		    page_t(p, "Te vaak een verkeerd wachtwoord. Probeer het opnieuw na",
		      "Too many failed sign-ins. Try again after"),
		    until != NULL ? until : page_t(p, "een kwartier", "a quarter of an hour"));
	else if (e != NULL)
		page_put(p, "<p id=\"message\" role=\"alert\">%s</p>",
		    page_t(p, "Onbekende medewerker of verkeerd wachtwoord.",
		      "Wrong professional id or password."));
	else if (evhttp_find_header(&p->r->query, "signed_out") != NULL)
		page_put(p, "<p id=\"message\" role=\"status\">%s</p>",
		    page_t(p, "U bent afgemeld.", "You are signed out."));
	if (idp != NULL) /* the label was checked: no markup in it */
		page_put(p, "<p><a id=\"oidc-signin\" class=\"button\" href=\"/oidc/start\">%s %s</a></p>",
		    page_t(p, "Inloggen met", "Sign in with"), idp);
	if (web_oidc_only(p->r->app->oidc)) {
		page_send(p, 200);
		return;
	}
	if (idp != NULL)
		page_put(p, "<h2>%s</h2>", page_t(p, "Of met een wachtwoord", "Or with a password"));
	page_put(p, "<form id=\"signin\" class=\"block\" method=\"post\" action=\"/api/session\">"
	       "<label for=\"professional\">%s</label>"
	       "<input type=\"text\" id=\"professional\" name=\"professional\" "
	       "autocomplete=\"username\" required%s>"
	       "<label for=\"password\">%s</label>"
	       "<input type=\"password\" id=\"password\" name=\"password\" "
	       "autocomplete=\"current-password\" required>"
	       "<button type=\"submit\">%s</button></form><p class=\"hint\">%s</p>",
	    page_t(p, "Medewerker-id", "Professional id"), idp == NULL ? " autofocus" : "",
	    page_t(p, "Wachtwoord", "Password"),
	    page_t(p, "Aanmelden", "Sign in"),
	    page_t(p, "Geen wachtwoord of vergeten? Vraag de beheerder van uw organisatie om een nieuw wachtwoord.",
	      "No password, or forgotten it? Ask your organisation's administrator for a new one."));
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
	json_t *e = json_pack("{s:s}", "error", page_t(p, "geen dossier van u met dit nummer",
						   "no such case of yours"));

	if (*end == 0 && id > 0 && rest[0] >= '1' && rest[0] <= '9')
		page_case(p, id);
	else if (strcmp(end, "/close") == 0 && id > 0 && rest[0] >= '1' && rest[0] <= '9')
		page_case_close(p, id);
	else if (strcmp(end, "/withdraw") == 0 && id > 0 && rest[0] >= '1' && rest[0] <= '9')
		page_case_withdraw(p, id);
	else
		page_refusal_doc(p, 404, e);
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
	{"/cases", page_cases, 0},
	{"/cases/*", case_route, 0},
	{"/clients", page_clients, 0},
	{"/clients/*", page_client_view, 0},
	{"/matches", page_matches, 0},
	{"/discussions", page_discussions, 0},
	{"/discussions/*", page_discussion, 0},
	{"/tables", page_tables, 0},
	{"/tables/*", page_table, 0},
	{"/table-cases/*", page_table_case, 0},
	{"/audit", page_audit, 0},
	{"/audit/report", page_report, 0},
	{"/audit/review", page_review, 0},
	{"/audit/verify", page_verify, 0},
	{"/directory", page_directory, 0},
	{"/directory/*", page_directory_org, 0},
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
		json_t *e = json_pack("{s:s}", "error", page_t(&p, "deze pagina bestaat niet",
							   "there is no such page"));

		page_refusal_doc(&p, 404, e);
		json_decref(e);
	} else {
		rt->fn(&p, rest);
	}
	evbuffer_free(p.b);
}

