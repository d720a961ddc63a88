/* The sociale kaart for professionals (docs/web.md): search the partners'
 * directory records by service, target group, municipality, category and
 * free text; one organisation's record. The records are those sync
 * fetched and verified (node/directory.h); the org's own record is
 * published by the administrator on the CLI. Searches and views are
 * recorded in the audit log. */
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/db.h"
#include "node/date.h"
#include "node/directory.h"
#include "web/api.h"
#include "web/api_int.h"
#include "web/page.h"

#define CHOICES_MAX 256

/* What the selects offer besides the vocabulary: the categories and
 * municipalities the records hold, each once. */
struct choices {
	const char *cat[CHOICES_MAX], *muni[CHOICES_MAX];
	size_t n_cat, n_muni;
	json_t *keep; /* owns the strings */
};

static void choice_add(const char **list, size_t *n, json_t *keep, const char *v)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i], v) == 0)
			return;
	if (*n < CHOICES_MAX && json_array_append_new(keep, json_string(v)) == 0)
		list[(*n)++] = json_string_value(json_array_get(keep, json_array_size(keep) - 1));
}

struct found {
	page *p;
	json_t *list;
	struct choices *c;
	uint64_t now;
};

static sk_status found_one(const Schakel__V1__DirectoryRecord *r, void *arg)
{
	struct found *f = arg;

	if (f->c != NULL) {
		choice_add(f->c->cat, &f->c->n_cat, f->c->keep, r->category);
		for (size_t i = 0; i < r->n_municipalities; i++)
			choice_add(f->c->muni, &f->c->n_muni, f->c->keep, r->municipalities[i]);
		return SK_OK;
	}
	return json_array_append_new(f->list, node_directory_json(r, page_t(f->p, "nl", "en"),
								 f->now)) == 0
		       ? SK_OK
		       : SK_ERR_NOMEM;
}

/* The records matching q (or, with c, the choices of all records). */
static sk_status search(page *p, const wire_dir_query *q, json_t *list, struct choices *c)
{
	struct found f = {p, list, c, sk_clock_now_ms()};
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(p->r->app->s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = node_directory_search(p->r->app->s, txn, q, found_one, &f);
	mdb_txn_abort(txn);
	return st;
}

static void select_open(page *p, const char *id, const char *name, const char *label,
			const char *all)
{
	page_put(p, "<div class=\"field\"><label for=\"%s\">%s</label><select id=\"%s\" name=\"%s\">"
		    "<option value=\"\">%s</option>", id, label, id, name, all);
}

static void option(page *p, const char *value, const char *text, const char *chosen)
{
	page_put(p, "<option value=\"%s\"%S>%s</option>", value,
		 chosen != NULL && strcmp(chosen, value) == 0 ? " selected" : "", text);
}

static void vocab_select(page *p, const char *id, const char *name, const char *label,
			 const char *all, const wire_dir_word *vocab, const char *chosen)
{
	select_open(p, id, name, label, all);
	for (const wire_dir_word *w = vocab; w->code != NULL; w++)
		option(p, w->code, page_t(p, w->nl, w->en), chosen);
	page_put(p, "</select></div>");
}

static void names(page *p, const json_t *list)
{
	const json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		page_put(p, "%s%s", i ? ", " : "", json_is_string(v) ? json_string_value(v)
								     : page_js(v, "name"));
	if (json_array_size(list) == 0)
		page_put(p, "-");
}

/* One record's facts as a description list. */
static void record_facts(page *p, const json_t *o, int full)
{
	const json_t *w;
	size_t i;

	page_put(p, "<dl class=\"facts\">");
	if (full)
		page_put(p, "<dt>%s</dt><dd>%s</dd>", page_t(p, "Soort organisatie", "Kind of organisation"),
			 page_word(p, page_js(o, "category")));
	page_put(p, "<dt>%s</dt><dd class=\"dir-services\">", page_t(p, "Diensten", "Services"));
	names(p, json_object_get(o, "services"));
	page_put(p, "</dd><dt>%s</dt><dd>", page_t(p, "Doelgroepen", "Target groups"));
	names(p, json_object_get(o, "target_groups"));
	page_put(p, "</dd><dt>%s</dt><dd class=\"user-text\">", page_t(p, "Gemeenten", "Municipalities"));
	names(p, json_object_get(o, "municipalities"));
	page_put(p, "</dd>");
	if (full && page_js(o, "services_text")[0])
		page_put(p, "<dt>%s</dt><dd class=\"user-text\">%s</dd>",
			 page_t(p, "Over het aanbod", "About what is offered"), page_js(o, "services_text"));
	page_put(p, "<dt>%s</dt><dd class=\"dir-refer user-text\">%s</dd>",
		 page_t(p, "Zo verwijst u", "How to refer"),
		 page_js(o, "how_to_refer")[0] ? page_js(o, "how_to_refer") : "-");
	page_put(p, "<dt>%s</dt><dd class=\"dir-wait\">", page_t(p, "Wachttijd (indicatie)",
								 "Waiting time (indicative)"));
	if (json_object_get(o, "waiting_weeks") != NULL) {
		node_date d;

		page_put(p, page_ji(o, "waiting_weeks") == 1 ? page_t(p, "%U week", "%U week")
							     : page_t(p, "%U weken", "%U weeks"),
			 page_ji(o, "waiting_weeks"));
		page_put(p, " %s ", page_t(p, "op", "as of"));
		if (node_date_parse(&d, page_js(o, "waiting_date")) == SK_OK)
			page_date(p, node_date_ms(&d) + 12 * 3600 * 1000ull);
		if (json_is_true(json_object_get(o, "stale")))
			page_put(p, " <strong class=\"stale\">%s</strong>",
				 page_t(p, "verouderd: ouder dan 30 dagen", "stale: older than 30 days"));
	} else {
		page_put(p, "%s", page_t(p, "niet opgegeven", "not given"));
	}
	page_put(p, "</dd><dt>%s</dt><dd><ul class=\"wegwijzers\">", page_t(p, "Wegwijzers", "Wegwijzers"));
	json_array_foreach(json_object_get(o, "wegwijzers"), i, w) {
		page_put(p, "<li class=\"user-text\">%s", page_js(w, "name"));
		if (page_js(w, "role")[0])
			page_put(p, " (%s)", page_js(w, "role"));
		if (page_js(w, "phone")[0])
			page_put(p, ", <a href=\"tel:%s\">%s</a>", page_js(w, "phone"), page_js(w, "phone"));
		if (page_js(w, "email")[0])
			page_put(p, ", <a href=\"mailto:%s\">%s</a>", page_js(w, "email"), page_js(w, "email"));
		page_put(p, "</li>");
	}
	if (json_array_size(json_object_get(o, "wegwijzers")) == 0)
		page_put(p, "<li>%s</li>", page_t(p, "geen opgegeven", "none given"));
	page_put(p, "</ul></dd></dl>");
}

static const char *param(page *p, const char *name)
{
	const char *v = evhttp_find_header(&p->r->query, name);

	return v != NULL && strlen(v) <= 200 ? v : NULL;
}

void page_directory(page *p, const char *rest)
{
	wire_dir_query q = {param(p, "service"), param(p, "group"), param(p, "municipality"),
			    param(p, "category"), param(p, "text")};
	struct choices c = {.keep = json_array()};
	json_t *list = json_array(), *o;
	size_t i;
	sk_status st;

	(void)rest;
	if (q.service != NULL && wire_dir_word_find(wire_dir_services, q.service) == NULL)
		q.service = NULL;
	if (q.target_group != NULL && wire_dir_word_find(wire_dir_target_groups, q.target_group) == NULL)
		q.target_group = NULL;
	st = list == NULL || c.keep == NULL ? SK_ERR_NOMEM : SK_OK;
	if (st == SK_OK)
		st = node_audit_access(p->r->app->s, "directory.search", web_actor(p->r),
				       api_actor_role(p->r), "directory", NULL, NULL);
	if (st == SK_OK)
		st = search(p, &(wire_dir_query){0}, NULL, &c);
	if (st == SK_OK)
		st = search(p, &q, list, NULL);
	if (st != SK_OK) {
		json_t *doc = NULL;

		(void)api_fail(st, &doc);
		page_refusal_doc(p, 500, doc);
		json_decref(doc);
		goto out;
	}
	page_head(p, page_t(p, "Sociale kaart", "Directory"));
	page_put(p, "<p>%s</p>", page_t(p,
		"Welke organisatie in de regio helpt met wat, hoe u verwijst en wie de wegwijzers zijn. "
		"Elke organisatie zet haar eigen gegevens op de kaart; ze zijn gecontroleerd bij het bijwerken.",
		"Which organisation in the region helps with what, how to refer and who the wegwijzers are. "
		"Each organisation publishes its own record; records are checked when they are fetched."));
	page_put(p, "<form id=\"directory-search\" method=\"get\" action=\"/directory\"><fieldset><legend>%s</legend>",
		 page_t(p, "Zoeken op de sociale kaart", "Search the directory"));
	vocab_select(p, "dir-service", "service", page_t(p, "Dienst", "Service"),
		     page_t(p, "Alle diensten", "All services"), wire_dir_services, q.service);
	vocab_select(p, "dir-group", "group", page_t(p, "Doelgroep", "Target group"),
		     page_t(p, "Alle doelgroepen", "All target groups"), wire_dir_target_groups,
		     q.target_group);
	select_open(p, "dir-municipality", "municipality", page_t(p, "Gemeente", "Municipality"),
		    page_t(p, "Alle gemeenten", "All municipalities"));
	for (i = 0; i < c.n_muni; i++)
		option(p, c.muni[i], c.muni[i], q.municipality);
	page_put(p, "</select></div>");
	select_open(p, "dir-category", "category", page_t(p, "Soort organisatie", "Kind of organisation"),
		    page_t(p, "Alle soorten", "All kinds"));
	for (i = 0; i < c.n_cat; i++)
		option(p, c.cat[i], page_word(p, c.cat[i]), q.category);
	page_put(p, "</select></div>");
	page_put(p, "<div class=\"field\"><label for=\"dir-text\">%s</label>"
		    "<input type=\"search\" id=\"dir-text\" name=\"text\" maxlength=\"200\" value=\"%s\"></div>",
		 page_t(p, "Zoekwoorden", "Words"), q.text != NULL ? q.text : "");
	page_put(p, "<button type=\"submit\">%s</button></fieldset></form>", page_t(p, "Zoeken", "Search"));
	page_put(p, "<section id=\"directory-results\" aria-live=\"polite\"><h2>%s</h2>",
		 page_t(p, "Organisaties", "Organisations"));
	json_array_foreach(list, i, o) {
		page_put(p, "<article class=\"dir-org\" data-org=\"%s\"><h3><a href=\"/directory/%s\">%s</a></h3>",
			 page_js(o, "id"), page_js(o, "id"), page_js(o, "name"));
		record_facts(p, o, 0);
		page_put(p, "</article>");
	}
	if (json_array_size(list) == 0)
		page_put(p, "<p id=\"directory-empty\">%s</p>", page_t(p,
			"Geen organisatie gevonden. Kies minder voorwaarden, of werk de kaart bij via "
			"\"Ook betrokken en meldingen\".",
			"No organisation found. Choose fewer conditions, or update via \"Also involved and notices\"."));
	page_put(p, "</section>");
	page_send(p, 200);
out:
	json_decref(list);
	json_decref(c.keep);
}

void page_directory_org(page *p, const char *org)
{
	Schakel__V1__DirectoryRecord *r = NULL;
	MDB_txn *txn = NULL;
	json_t *o = NULL;
	sk_status st;

	if (strlen(org) > WIRE_DIR_ORG_MAX)
		st = SK_ERR_NOTFOUND;
	else if ((st = node_audit_access(p->r->app->s, "directory.show", web_actor(p->r),
				    api_actor_role(p->r), "directory", NULL, NULL)) == SK_OK &&
	    (st = sk_db_status(mdb_txn_begin(p->r->app->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_directory_get(p->r->app->s, txn, org, &r);
		mdb_txn_abort(txn);
	}
	if (st == SK_OK && (o = node_directory_json(r, page_t(p, "nl", "en"), sk_clock_now_ms())) == NULL)
		st = SK_ERR_NOMEM;
	if (st != SK_OK) {
		json_t *e = json_pack("{s:s}", "error", page_t(p,
			"deze organisatie staat niet op de sociale kaart",
			"this organisation is not in the directory"));

		page_refusal_doc(p, st == SK_ERR_NOTFOUND ? 404 : 500, e);
		json_decref(e);
		schakel__v1__directory_record__free_unpacked(r, NULL);
		return;
	}
	page_head(p, page_js(o, "name"));
	page_put(p, "<section id=\"directory-org\" data-org=\"%s\">", page_js(o, "id"));
	record_facts(p, o, 1);
	page_put(p, "</section><p><a id=\"directory-back\" href=\"/directory\">%s</a></p>",
		 page_t(p, "Terug naar de sociale kaart", "Back to the directory"));
	page_send(p, 200);
	json_decref(o);
	schakel__v1__directory_record__free_unpacked(r, NULL);
}
