/* The integration API for the org's client system (ECD/EPD) under
 * /api/integration/v1/ (docs/openapi.yaml, docs/operator.md): a service
 * credential (node/service.h), never a session cookie, and a service
 * credential nowhere else; JSON only, bodies up to
 * WEB_INTEGRATION_BODY_MAX, batches of NODE_ECD_BATCH_MAX items; upserts
 * by the system's own ids through node/ecd.h. Every refusal carries a
 * stable code and a Dutch sentence (B1) next to the library's English. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "common/log.h"
#include "node/date.h"
#include "node/ecd.h"
#include "node/service.h"
#include "web/api.h"
#include "web/api_int.h"

#define PREFIX "/api/integration/"

/* ---- codes and their sentences ------------------------------------------ */

static const struct code_words {
	const char *code;
	const char *nl;
} words[] = {
	{"credential_missing", "Geef de sleutel van de koppeling mee als 'Authorization: Bearer "
			       "SLEUTEL'. Een inlogsessie van een medewerker werkt hier niet."},
	{"credential_invalid", "Deze sleutel van de koppeling is onbekend, ingetrokken of onjuist. "
			       "Vraag de beheerder van Schakel om een nieuwe."},
	{"content_type", "Stuur JSON (Content-Type: application/json)."},
	{"body_too_large", "Het verzoek is te groot (meer dan 8 MiB). Stuur kleinere reeksen."},
	{"batch_too_large", "Een reeks bevat hoogstens 1000 items. Verdeel de reeks in delen."},
	{"body_invalid", "Het verzoek is geen JSON-object met een lijst 'items'."},
	{"item_invalid", "Dit item is geen JSON-object."},
	{"id_invalid", "Het nummer uit het cliëntsysteem ontbreekt of klopt niet: 1 tot 64 "
		       "letters, cijfers of . _ : - en geen BSN."},
	{"bsn_invalid", "Het BSN klopt niet: negen cijfers die de elfproef doorstaan."},
	{"name_invalid", "De naam is te lang of bevat tekens die niet mogen."},
	{"birthdate_invalid", "De geboortedatum klopt niet: schrijf JJJJ-MM-DD, een dag in het "
			      "verleden."},
	{"client_invalid", "De naam of de geboortedatum klopt niet."},
	{"bsn_changed", "Bij dit nummer hoort hier een ander BSN. Een BSN verandert nooit via de "
			"koppeling; vraag de beheerder van Schakel om het na te kijken."},
	{"bsn_other_id", "Dit BSN hoort hier al bij een ander nummer uit het cliëntsysteem."},
	{"client_unknown", "Deze cliënt is hier nog niet bekend. Stuur eerst de cliënt."},
	{"case_unknown", "Dit dossier is hier nog niet bekend. Stuur eerst het dossier."},
	{"case_closed", "Dit dossier is afgesloten en gaat niet opnieuw open. Gebruik een nieuw "
			"dossiernummer."},
	{"case_closed_unknown", "Dit dossier is al afgesloten en hier niet bekend. Er is niets "
				"vast te leggen."},
	{"case_other_client", "Dit dossier hoort hier bij een andere cliënt. Een dossier gaat "
			      "niet over naar een andere cliënt."},
	{"case_full", "Aan dit dossier werken al zoveel medewerkers als mag."},
	{"professional_invalid", "Geef de medewerker die verantwoordelijk is (zijn nummer in "
				 "Schakel)."},
	{"professional_unknown", "Deze medewerker is hier niet bekend. De beheerder voegt "
				 "medewerkers toe."},
	{"professional_not_allowed", "Deze medewerker werkt niet aan dossiers (bijvoorbeeld de "
				     "functionaris gegevensbescherming)."},
	{"state_invalid", "De status is 'open' of 'closed'."},
	{"flags_invalid", "De toestemming is een lijst van discover, contact en discuss, of "
			  "leeg."},
	{"categories_invalid", "De soorten partners zijn een lijst van namen, of 'all'."},
	{"consent_by_invalid", "Wie toestemming gaf is client, parent, guardian, representative "
			       "of client+parent."},
	{"basis_invalid", "De grondslag is 'consent' of 'statutory' met een reden."},
	{"expires_invalid", "De einddatum klopt niet: schrijf JJJJ-MM-DD."},
	{"consent_invalid", "Deze toestemming kan niet: kijk naar de partners, wie toestemming "
			    "gaf (leeftijd), de grondslag en de einddatum. 'error' zegt precies "
			    "wat."},
	{"not_found", "Niet gevonden: dit nummer uit het cliëntsysteem is hier niet bekend."},
	{"refused", "Dit item is niet verwerkt."},
};

static const char *code_nl(const char *code)
{
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(words[i].code, code) == 0)
			return words[i].nl;
	return "Dit item is niet verwerkt.";
}

/* A refusal of the whole request: status, code, the Dutch and English. */
static void refuse(web_req *r, int status, const char *code, const char *en)
{
	web_reply_json(r, status, json_pack("{s:s,s:s,s:s}", "code", code, "message",
					    code_nl(code), "error", en));
}

static void wipe_bsns(json_t *items);

/* ---- authentication and the body ------------------------------------------ */

int api_integration_path(const char *path)
{
	return strncmp(path, PREFIX, sizeof(PREFIX) - 1) == 0;
}

/* The service credential of Authorization (a session cookie counts for
 * nothing here), then the JSON body. */
int api_integration_begin(web_req *r)
{
	const char *auth = evhttp_find_header(&r->in, "Authorization");
	const char *ct = evhttp_find_header(&r->in, "Content-Type");

	r->service[0] = 0;
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0) {
		refuse(r, 401, "credential_missing",
		       "give the service credential as 'Authorization: Bearer CREDENTIAL'; "
		       "a session cookie is not a service credential");
		return -1;
	}
	if (node_service_check(r->app->s, auth + 7, strlen(auth + 7), r->service) != SK_OK) {
		audit_record rec = {0};
		char ap[96];

		sk_log(SK_LOG_WARNING, "web: %s: an integration request with a wrong, unknown or "
				       "revoked service credential",
		       r->peer);
		/* as a failed sign-in is: who tried, from where (never what was sent) */
		snprintf(ap, sizeof(ap), "integration:%s", r->peer + 4);
		rec.event = "service.refused";
		rec.action = AUDIT_ACTION_EXECUTE;
		rec.outcome = AUDIT_OUTCOME_DENIED;
		rec.reason = "unknown, revoked or wrong service credential";
		rec.category = "account";
		rec.access_point = ap;
		rec.responsible = "-";
		if (node_audit_commit(r->app->s, &rec) != SK_OK)
			sk_log(SK_LOG_WARNING, "web: the refused integration request is not in the "
					       "audit log");
		refuse(r, 401, "credential_invalid", "the service credential is unknown, revoked "
						     "or wrong");
		return -1;
	}
	if (r->method != EVHTTP_REQ_POST)
		return 0;
	if (r->raw_len > WEB_INTEGRATION_BODY_MAX) {
		refuse(r, 413, "body_too_large", "the body is larger than 8 MiB; send smaller batches");
		return -1;
	}
	if (ct == NULL || strncmp(ct, "application/json", 16) != 0) {
		refuse(r, 415, "content_type", "send application/json");
		return -1;
	}
	r->body = json_loadb((const char *)r->raw, r->raw_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(r->body)) {
		refuse(r, 400, "body_invalid", "the body must be a JSON object with 'items'");
		return -1;
	}
	return 0;
}

void api_integration_end(web_req *r)
{
	wipe_bsns(json_object_get(r->body, "items"));
}

/* Reached only through api_integration_begin (web.c); anything else (a
 * session, the API token) is refused here as well. */
static int need_service(web_req *r, json_t **out)
{
	if (r->service[0] != 0 && r->sess == NULL && !r->bearer)
		return 0;
	*out = json_pack("{s:s,s:s,s:s}", "code", "credential_missing", "message",
			 code_nl("credential_missing"), "error",
			 "the integration API takes a service credential only");
	return 401;
}

/* ---- parsing --------------------------------------------------------------- */

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* An id: a string, or a whole number >= 0 as its decimal text (into buf);
 * NULL otherwise. */
static const char *id_of(const json_t *o, const char *k, char buf[static 24])
{
	const json_t *v = json_object_get(o, k);

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		snprintf(buf, 24, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	return json_string_value(v);
}

/* A string, or a JSON array of strings, joined with commas into out. -1
 * when it is neither or does not fit. Absent: "" and 0. */
static int list_of(const json_t *o, const char *k, char *out, size_t cap)
{
	const json_t *v = json_object_get(o, k), *e;
	size_t i, pos = 0;

	out[0] = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return snprintf(out, cap, "%s", json_string_value(v)) < (int)cap ? 0 : -1;
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, e)
	{
		int n;

		if (!json_is_string(e))
			return -1;
		n = snprintf(out + pos, cap - pos, "%s%s", pos ? "," : "", json_string_value(e));
		if (n < 0 || (size_t)n >= cap - pos)
			return -1;
		pos += (size_t)n;
	}
	return 0;
}

#define ITEM_REFUSE(it, c, ...)                                                          \
	do {                                                                             \
		(it)->refuse = (c);                                                      \
		snprintf((it)->refuse_detail, sizeof((it)->refuse_detail), __VA_ARGS__); \
		return;                                                                  \
	} while (0)

void api_integration_client_parse(const json_t *o, node_ecd_client *it)
{
	const char *id, *b, *name, *bd;
	char num[24];
	node_date d;

	memset(it, 0, sizeof(*it));
	if (!json_is_object(o))
		ITEM_REFUSE(it, "item_invalid", "an item is a JSON object");
	id = id_of(o, "id", num);
	if (id != NULL && strlen(id) <= NODE_ECD_ID_MAX)
		memcpy(it->id, id, strlen(id) + 1);
	if (id == NULL || !node_ecd_id_valid(id))
		ITEM_REFUSE(it, "id_invalid", "id: 1 to 64 of A-Z a-z 0-9 . _ : -, and no BSN");
	if ((b = str(o, "bsn")) == NULL || bsn_parse(&it->b, b) != SK_OK)
		ITEM_REFUSE(it, "bsn_invalid", "bsn: nine digits passing the elfproef");
	name = str(o, "name");
	if (json_object_get(o, "name") != NULL && !json_is_null(json_object_get(o, "name")) &&
	    (name == NULL || strlen(name) > NODE_NAME_MAX))
		ITEM_REFUSE(it, "name_invalid", "name: at most %d bytes of text", NODE_NAME_MAX);
	if (name != NULL)
		memcpy(it->name, name, strlen(name) + 1);
	bd = str(o, "birthdate");
	if (json_object_get(o, "birthdate") != NULL && !json_is_null(json_object_get(o, "birthdate")) &&
	    (bd == NULL || (bd[0] != 0 && node_date_parse(&d, bd) != SK_OK)))
		ITEM_REFUSE(it, "birthdate_invalid", "birthdate: YYYY-MM-DD");
	if (bd != NULL)
		snprintf(it->birthdate, sizeof(it->birthdate), "%s", bd);
}

void api_integration_case_parse(const json_t *o, int consent_only, node_ecd_case *it)
{
	char flags[64], num[24];
	const char *id, *v;
	node_date d;

	memset(it, 0, sizeof(*it));
	it->consent_only = consent_only;
	if (!json_is_object(o))
		ITEM_REFUSE(it, "item_invalid", "an item is a JSON object");
	id = id_of(o, consent_only ? "case" : "id", num);
	if (id != NULL && strlen(id) <= NODE_ECD_ID_MAX)
		memcpy(it->id, id, strlen(id) + 1);
	if (id == NULL || !node_ecd_id_valid(id))
		ITEM_REFUSE(it, "id_invalid", "%s: 1 to 64 of A-Z a-z 0-9 . _ : -",
			    consent_only ? "case" : "id");
	if (!consent_only) {
		v = id_of(o, "client", num);
		if (v == NULL || !node_ecd_id_valid(v))
			ITEM_REFUSE(it, "id_invalid", "client: the client's id in the client system");
		memcpy(it->client, v, strlen(v) + 1);
		v = str(o, "state");
		if (v != NULL && strcmp(v, "closed") == 0)
			it->closed = 1;
		else if (v != NULL && strcmp(v, "open") != 0)
			ITEM_REFUSE(it, "state_invalid", "state: open or closed");
	}
	/* needed for a new case; a known one keeps its own when not given */
	v = str(o, "professional");
	if (v != NULL && strlen(v) <= NODE_ID_MAX)
		memcpy(it->professional, v, strlen(v) + 1);
	else if (json_object_get(o, "professional") != NULL)
		ITEM_REFUSE(it, "professional_invalid", "professional: the responsible "
							"professional's id at the node");
	if (list_of(o, "consent", flags, sizeof(flags)) != 0 ||
	    node_flags_parse(flags[0] ? flags : "none", &it->flags) != SK_OK)
		ITEM_REFUSE(it, "flags_invalid", "consent: a list of discover, contact, discuss");
	if (list_of(o, "categories", it->categories, sizeof(it->categories)) != 0)
		ITEM_REFUSE(it, "categories_invalid", "categories: a list of category names or all");
	if ((v = str(o, "consent_by")) != NULL && node_consent_by_parse(v, &it->by) != SK_OK)
		ITEM_REFUSE(it, "consent_by_invalid",
			    "consent_by: client, parent, guardian, representative or client+parent");
	v = str(o, "basis");
	if (v == NULL || strcmp(v, "consent") == 0) {
		it->basis = NODE_BASIS_CONSENT;
	} else if (strcmp(v, "statutory") == 0) {
		const char *why = str(o, "reason");

		it->basis = NODE_BASIS_STATUTORY;
		if (why == NULL || why[0] == 0 || strlen(why) > NODE_REASON_MAX)
			ITEM_REFUSE(it, "basis_invalid", "a statutory basis needs its reason");
		memcpy(it->reason, why, strlen(why) + 1);
	} else {
		ITEM_REFUSE(it, "basis_invalid", "basis: consent or statutory");
	}
	if ((v = str(o, "expires")) != NULL && v[0] != 0) {
		if (node_date_parse(&d, v) != SK_OK)
			ITEM_REFUSE(it, "expires_invalid", "expires: YYYY-MM-DD");
		it->expires_at = node_date_ms(&d);
	}
}

/* The BSNs of a body, wiped before it is freed (jansson does not). */
static void wipe_bsns(json_t *items)
{
	size_t i;
	json_t *o;

	json_array_foreach(items, i, o)
	{
		const char *b = str(o, "bsn");

		if (b != NULL)
			sodium_memzero((char *)b, strlen(b));
	}
}

/* ---- the routes -------------------------------------------------------------- */

/* The items of the body, checked for count. 0, or the status with *out. */
static int batch_items(web_req *r, json_t **items, json_t **out)
{
	*items = json_object_get(r->body, "items");
	if (!json_is_array(*items)) {
		*out = json_pack("{s:s,s:s,s:s}", "code", "body_invalid", "message",
				 code_nl("body_invalid"), "error", "the body needs a list 'items'");
		return 400;
	}
	if (json_array_size(*items) > NODE_ECD_BATCH_MAX) {
		*out = json_pack("{s:s,s:s,s:s}", "code", "batch_too_large", "message",
				 code_nl("batch_too_large"), "error",
				 "a batch holds at most 1000 items");
		return 413;
	}
	return 0;
}

/* The answer of a batch: per item its id and result; counts. */
static json_t *batch_doc(const json_t *items, const char *idkey, const node_ecd_result *res,
			 size_t n)
{
	json_t *list = json_array(), *doc;
	size_t c[4] = {0};

	for (size_t i = 0; list != NULL && i < n; i++) {
		const json_t *o = json_array_get(items, i);
		char num[24];
		const char *id = json_is_object(o) ? id_of(o, idkey, num) : NULL;
		json_t *e = json_pack("{s:s?,s:s}", "id", id, "result",
				      node_ecd_outcome_name(res[i].outcome));

		c[res[i].outcome < 4 ? res[i].outcome : 3]++;
		if (e == NULL)
			continue;
		if (res[i].case_id != 0)
			json_object_set_new(e, "case", json_integer((json_int_t)res[i].case_id));
		if (res[i].client[0] != 0)
			json_object_set_new(e, "client", json_string(res[i].client));
		if (res[i].outcome == NODE_ECD_REFUSED) {
			json_object_set_new(e, "code", json_string(res[i].code));
			json_object_set_new(e, "message", json_string(code_nl(res[i].code)));
			json_object_set_new(e, "error", json_string(res[i].detail));
		}
		json_array_append_new(list, e);
	}
	doc = json_pack("{s:o,s:I,s:I,s:I,s:I}", "items", list, "created", (json_int_t)c[0],
			"updated", (json_int_t)c[1], "unchanged", (json_int_t)c[2], "refused",
			(json_int_t)c[3]);
	return doc;
}

int api_integration_clients(web_req *r, json_t **out)
{
	node_ecd_client *its = NULL;
	node_ecd_result *res = NULL;
	json_t *items;
	size_t n;
	sk_status st;
	int code;

	if ((code = need_service(r, out)) != 0 || (code = batch_items(r, &items, out)) != 0)
		return code;
	n = json_array_size(items);
	its = sodium_allocarray(n ? n : 1, sizeof(*its)); /* BSNs: locked, wiped on free */
	res = calloc(n ? n : 1, sizeof(*res));
	if (its == NULL || res == NULL) {
		code = api_fail(SK_ERR_NOMEM, out);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		api_integration_client_parse(json_array_get(items, i), &its[i]);
	wipe_bsns(items);
	if ((st = node_ecd_clients(r->app->s, its, n, sk_clock_now_ms(), res)) != SK_OK) {
		code = api_fail(st, out);
		goto out;
	}
	*out = batch_doc(items, "id", res, n);
	code = *out != NULL ? 200 : api_fail(SK_ERR_NOMEM, out);
out:
	if (its != NULL) {
		sodium_memzero(its, n * sizeof(*its));
		sodium_free(its);
	}
	free(res);
	return code;
}

static int cases(web_req *r, int consent_only, json_t **out)
{
	node_ecd_case *its = NULL;
	node_ecd_result *res = NULL;
	json_t *items;
	size_t n, dirty = 0;
	sk_status st;
	int code;

	if ((code = need_service(r, out)) != 0 || (code = batch_items(r, &items, out)) != 0)
		return code;
	n = json_array_size(items);
	its = calloc(n ? n : 1, sizeof(*its));
	res = calloc(n ? n : 1, sizeof(*res));
	if (its == NULL || res == NULL) {
		code = api_fail(SK_ERR_NOMEM, out);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		api_integration_case_parse(json_array_get(items, i), consent_only, &its[i]);
	if ((st = node_ecd_cases(r->app->s, its, n, sk_clock_now_ms(), res, &dirty)) != SK_OK) {
		code = api_fail(st, out);
		goto out;
	}
	/* published by the sync thread, which starts a round now */
	if (dirty > 0 && r->app->sync_now != NULL)
		r->app->sync_now(r->app->arg);
	*out = batch_doc(items, consent_only ? "case" : "id", res, n);
	code = *out != NULL ? 200 : api_fail(SK_ERR_NOMEM, out);
out:
	free(its);
	free(res);
	return code;
}

int api_integration_cases(web_req *r, json_t **out)
{
	return cases(r, 0, out);
}

int api_integration_consents(web_req *r, json_t **out)
{
	return cases(r, 1, out);
}

static int read_one(web_req *r, const char *id, int is_case, json_t **out)
{
	sk_status st;
	int code;

	if ((code = need_service(r, out)) != 0)
		return code;
	st = is_case ? node_ecd_case_get(r->app->s, id, out) : node_ecd_client_get(r->app->s, id, out);
	if (st == SK_ERR_NOTFOUND) {
		*out = json_pack("{s:s,s:s,s:s}", "code", "not_found", "message",
				 code_nl("not_found"), "error", "no such external id");
		return 404;
	}
	return st == SK_OK ? 200 : api_fail(st, out);
}

int api_integration_client(web_req *r, const char *id, json_t **out)
{
	return read_one(r, id, 0, out);
}

int api_integration_case(web_req *r, const char *id, json_t **out)
{
	return read_one(r, id, 1, out);
}
