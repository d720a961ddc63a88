#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/query.h"
#include "audit/report.h"

#define LINE_BYTES 2048
#define DAY_GROUPS_MAX 512 /* distinct lines a day; more are folded into the last */

static const char *tr(const audit_report_opts *o, const char *nl, const char *en)
{
	return o->lang == AUDIT_LANG_EN ? en : nl;
}

/* One line of a day, with "%n" where the count goes, and how often. */
struct group {
	char text[LINE_BYTES];
	uint64_t count;
};

/* A section being collected: its days so far and the day in progress. */
struct part {
	json_t *days;
	unsigned day;       /* local YYYYMMDD of the groups; 0: none */
	uint64_t day_ms;    /* a time on that day, for its label */
	struct group *g;
	size_t n;
};

struct build {
	const audit_report_opts *o;
	struct part use, partners;
	uint64_t lines, dropped;
	sk_status st;
};

static unsigned local_day(uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (unsigned)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

/* The day's groups as {"day", "lines"} appended to p->days. */
static sk_status flush(struct build *b, struct part *p)
{
	char day[AUDIT_DATE_WORDS_MAX], line[LINE_BYTES];
	json_t *lines, *obj;

	if (p->n == 0)
		return SK_OK;
	if ((lines = json_array()) == NULL)
		return SK_ERR_NOMEM;
	for (size_t i = 0; i < p->n; i++) {
		audit_sentence_count(line, sizeof(line), p->g[i].text, p->g[i].count, b->o->lang);
		if (b->lines >= AUDIT_REPORT_LINES_MAX) {
			b->dropped += p->g[i].count;
			continue;
		}
		b->lines++;
		json_array_append_new(lines, json_string(line));
	}
	audit_date_words(day, p->day_ms, b->o->lang, false);
	obj = json_pack("{s:s,s:o}", "day", day, "lines", lines);
	p->n = 0;
	if (obj == NULL || json_array_append_new(p->days, obj) != 0)
		return SK_ERR_NOMEM;
	return SK_OK;
}

/* Adds one line (with "%n") to p on the record's day, folding it into an
 * equal line of that day. */
static sk_status add_line(struct build *b, struct part *p, uint64_t ms, const char *text)
{
	unsigned day = local_day(ms);
	sk_status st;
	size_t i;

	if (day != p->day && (st = flush(b, p)) != SK_OK)
		return st;
	if (day != p->day) {
		p->day = day;
		p->day_ms = ms;
	}
	for (i = 0; i < p->n; i++)
		if (strcmp(p->g[i].text, text) == 0)
			break;
	if (i == p->n && p->n == DAY_GROUPS_MAX)
		i = p->n - 1; /* bounded: the rest of a busy day counts with the last line */
	else if (i == p->n) {
		snprintf(p->g[i].text, LINE_BYTES, "%s", text);
		p->g[i].count = 0;
		p->n++;
	}
	p->g[i].count++;
	return SK_OK;
}

/* The first letter in upper case (ASCII; names and roles start so). */
static void capitalise(char *s)
{
	if (s[0] >= 'a' && s[0] <= 'z')
		s[0] = (char)toupper((unsigned char)s[0]);
}

/* Who acted, as the client reads it. */
static void who(char *out, size_t cap, const audit_record *r, const audit_report_opts *o)
{
	const char *name = NULL, *role = audit_role_words(r->role, o->lang);

	if (r->user == NULL) {
		snprintf(out, cap, "%s", o->org_name);
		return;
	}
	/* the org's client system (node/service.h) acts for the organisation */
	if (r->role != NULL && strcmp(r->role, "service") == 0) {
		snprintf(out, cap, "%s (%s)", o->org_name, role);
		return;
	}
	if (o->name_of != NULL)
		name = o->name_of(r->user, o->name_arg);
	if (name != NULL && role != NULL)
		snprintf(out, cap, "%s (%s)", name, role);
	else if (name != NULL)
		snprintf(out, cap, "%s", name);
	else if (role != NULL)
		snprintf(out, cap, "%s (%s)", tr(o, "een medewerker", "a staff member"), role);
	else
		snprintf(out, cap, "%s", tr(o, "een medewerker", "a staff member"));
	capitalise(out);
}

/* The organisations of a counterpart field (one id or a comma list) by
 * display name into out: "Altrecht en Lister". */
static size_t orgs(char *out, size_t cap, const char *ids, const audit_report_opts *o)
{
	size_t n = 0, total = 0, k = 0;
	const char *p;

	out[0] = '\0';
	for (p = ids; *p != '\0';) {
		size_t len = strcspn(p, ", ");

		total += len > 0;
		p += len;
		p += strspn(p, ", ");
	}
	for (p = ids; *p != '\0' && n < cap;) {
		size_t len = strcspn(p, ", ");
		char id[AUDIT_FIELD_MAX + 1];
		const char *name = NULL;

		if (len > 0 && len < sizeof(id)) {
			memcpy(id, p, len);
			id[len] = '\0';
			if (o->org_of != NULL)
				name = o->org_of(id, o->org_arg);
			if (name == NULL)
				name = tr(o, "een andere organisatie", "another organisation");
			k++;
			n += (size_t)snprintf(out + n, cap - n, "%s%s",
					      k == 1	       ? ""
					      : k == total ? tr(o, " en ", " and ")
							   : ", ",
					      name);
		}
		p += len;
		p += strspn(p, ", ");
	}
	if (n >= cap && cap > 0)
		out[cap - 1] = '\0';
	return k;
}

static sk_status report_one(const audit_record *r, void *arg)
{
	struct build *b = arg;
	const audit_report_opts *o = b->o;
	char actor[1400], text[LINE_BYTES], names[1024], tail[600] = "";
	const char *purpose = audit_purpose_words(r->purpose, o->lang);
	const char *refused = r->outcome == AUDIT_OUTCOME_DENIED
				      ? tr(o, ", maar dat werd geweigerd", ", but this was refused")
			      : r->outcome == AUDIT_OUTCOME_FAILED
				      ? tr(o, ", maar dat lukte niet", ", but this failed")
				      : "";
	bool many;
	sk_status st;

	if (strcmp(r->event, "pattern.flag") == 0)
		return SK_OK; /* about the organisation, for the privacy officer */
	if (purpose != NULL)
		snprintf(tail, sizeof(tail), "%s %s", tr(o, ", met als doel", ", for"), purpose);
	if (strcmp(r->event, "match.notice") == 0) {
		many = orgs(names, sizeof(names), r->counterpart != NULL ? r->counterpart : "", o) > 1;
		if (names[0] == '\0')
			snprintf(names, sizeof(names), "%s",
				 tr(o, "een andere organisatie", "another organisation"));
		capitalise(names);
		snprintf(text, sizeof(text), "%s %s", names,
			 tr(o, many ? "kregen%n een melding dat wij ook bij u betrokken zijn (u staat "
				      "bij beide ingeschreven)."
				    : "kreeg%n een melding dat wij ook bij u betrokken zijn (u staat "
				      "bij ons allebei ingeschreven).",
			    "got a notice%n that we are also involved with you (you are registered "
			    "with both)."));
		return add_line(b, &b->partners, r->time_ms, text);
	}
	if (strcmp(r->event, "disclosure.notice") == 0) {
		const char *role = audit_role_words(r->role, o->lang);

		(void)orgs(names, sizeof(names), r->counterpart != NULL ? r->counterpart : "", o);
		if (names[0] == '\0')
			snprintf(names, sizeof(names), "%s",
				 tr(o, "een andere organisatie", "another organisation"));
		if (role != NULL)
			snprintf(actor, sizeof(actor), "%s (%s %s)", names,
				 tr(o, "een medewerker met de rol", "a staff member with the role"),
				 role);
		else
			snprintf(actor, sizeof(actor), "%s", names);
		capitalise(actor);
		snprintf(text, sizeof(text), "%s %s%s.", actor,
			 audit_event_sentence(r->event, o->lang), tail);
		return add_line(b, &b->partners, r->time_ms, text);
	}
	who(actor, sizeof(actor), r, o);
	snprintf(text, sizeof(text), "%s %s%s%s.", actor, audit_event_sentence(r->event, o->lang),
		 tail, refused);
	if ((st = add_line(b, &b->use, r->time_ms, text)) != SK_OK)
		return st;
	if (r->counterpart == NULL || r->outcome != AUDIT_OUTCOME_OK)
		return SK_OK;
	many = orgs(names, sizeof(names), r->counterpart, o) > 1;
	if (names[0] == '\0')
		return SK_OK;
	capitalise(names);
	if (strcmp(r->event, "lookup") == 0)
		snprintf(text, sizeof(text), "%s %s", names,
			 tr(o, many ? "kregen%n een melding dat wij bij u betrokken zijn, toen wij "
				      "opzochten wie er nog bij u betrokken is."
				    : "kreeg%n een melding dat wij bij u betrokken zijn, toen wij opzochten "
			       "wie er nog bij u betrokken is.",
			    "got a notice%n that we are involved with you, when we looked up who "
			    "else is involved."));
	else if (strncmp(r->event, "discuss.", 8) == 0)
		snprintf(text, sizeof(text), "%s %s", names,
			 tr(o, many ? "weten door een casusoverleg dat wij bij u betrokken zijn."
				    : "weet door een casusoverleg dat wij bij u betrokken zijn.",
			    "knows through a case discussion that we are involved with you."));
	else
		return SK_OK;
	return add_line(b, &b->partners, r->time_ms, text);
}

static json_t *paragraphs(const char *a, const char *b, const char *c)
{
	json_t *l = json_array();

	if (l == NULL)
		return NULL;
	if (a != NULL)
		json_array_append_new(l, json_string(a));
	if (b != NULL)
		json_array_append_new(l, json_string(b));
	if (c != NULL)
		json_array_append_new(l, json_string(c));
	return l;
}

/* The sections every report owes: retention, rights, contact. */
static sk_status owed(json_t *sections, const audit_report_opts *o, uint64_t dropped)
{
	char keep[512], contact[AUDIT_REASON_MAX + 256], more[160] = "", cases[400];
	char until[AUDIT_DATE_WORDS_MAX];
	unsigned long long years = o->retention_ms / AUDIT_YEAR_MS;
	json_t *s1, *s2, *s3;

	unsigned long long days = o->retention_ms / AUDIT_DAY_MS;

	if (o->lang == AUDIT_LANG_EN)
		snprintf(keep, sizeof(keep),
			 "We keep this log for %llu %s. After that we delete its lines.",
			 years >= 1 ? years : days, years >= 1 ? "years" : "days");
	else
		snprintf(keep, sizeof(keep),
			 "Wij bewaren dit logboek %llu %s. Daarna wissen wij de regels.",
			 years >= 1 ? years : days, years >= 1 ? "jaar" : "dagen");
	audit_date_words(until, o->case_until_ms, o->lang, false);
	if (o->case_until_ms != 0 && o->lang == AUDIT_LANG_EN)
		snprintf(cases, sizeof(cases),
			 "Your case with us runs until %s, when your consent ends, unless we close "
			 "it earlier. Your registration with the federation ends with it; the "
			 "federation never holds your name or BSN.",
			 until);
	else if (o->case_until_ms != 0)
		snprintf(cases, sizeof(cases),
			 "Uw dossier bij ons loopt tot %s, de einddatum van uw toestemming, of tot "
			 "wij het eerder afsluiten. Uw aanmelding bij de verwijsindex stopt dan ook; "
			 "de verwijsindex bevat nooit uw naam of BSN.",
			 until);
	else
		snprintf(cases, sizeof(cases), "%s",
			 tr(o, "U heeft bij ons geen lopend dossier. De verwijsindex bevat nooit uw "
			       "naam of BSN.",
			    "You have no open case with us. The federation never holds your name or "
			    "BSN."));
	if (o->privacy_contact != NULL && o->privacy_contact[0] != '\0')
		snprintf(contact, sizeof(contact), "%s %s",
			 tr(o, "Vragen over dit overzicht of over uw gegevens? Neem contact op met "
			       "onze functionaris gegevensbescherming:",
			    "Questions about this overview or your data? Contact our data protection "
			    "officer:"),
			 o->privacy_contact);
	else
		snprintf(contact, sizeof(contact), "%s %s.",
			 tr(o, "Vragen over dit overzicht of over uw gegevens? Neem contact op met",
			    "Questions about this overview or your data? Contact"),
			 o->org_name);
	if (dropped > 0 && o->lang == AUDIT_LANG_EN)
		snprintf(more, sizeof(more),
			 "This overview was shortened: %llu actions are not in it. Ask us for the "
			 "rest.",
			 (unsigned long long)dropped);
	else if (dropped > 0)
		snprintf(more, sizeof(more),
			 "Dit overzicht is ingekort: %llu handelingen staan er niet in. Vraag ons "
			 "om de rest.",
			 (unsigned long long)dropped);
	s1 = json_pack("{s:s,s:s,s:o}", "id", "retention", "title",
		       tr(o, "Hoe lang wij dit bewaren", "How long we keep this"), "paragraphs",
		       paragraphs(keep, cases, more[0] ? more : NULL));
	s2 = json_pack("{s:s,s:s,s:o}", "id", "rights", "title", tr(o, "Uw rechten", "Your rights"),
		       "paragraphs",
		       paragraphs(tr(o, "Klopt er iets niet in uw gegevens? U mag ons vragen dat te "
					"verbeteren of aan te vullen (artikel 16 AVG).",
				     "Is something in your data wrong? You may ask us to correct or "
				     "complete it (article 16 GDPR)."),
				  tr(o, "U mag ook vragen om gegevens te wissen of het gebruik ervan te "
					"beperken, en u mag uw toestemming altijd intrekken.",
				     "You may also ask us to delete data or to limit its use, and you "
				     "may withdraw your consent at any time."),
				  tr(o, "Bent u het niet eens met hoe wij met uw gegevens omgaan? U "
					"kunt een klacht indienen bij de Autoriteit Persoonsgegevens: "
					"autoriteitpersoonsgegevens.nl.",
				     "Do you disagree with how we handle your data? You can complain "
				     "to the Dutch Data Protection Authority (Autoriteit "
				     "Persoonsgegevens): autoriteitpersoonsgegevens.nl.")));
	s3 = json_pack("{s:s,s:s,s:o}", "id", "contact", "title", tr(o, "Vragen", "Questions"),
		       "paragraphs", paragraphs(contact, NULL, NULL));
	if (s1 == NULL || s2 == NULL || s3 == NULL) {
		json_decref(s1);
		json_decref(s2);
		json_decref(s3);
		return SK_ERR_NOMEM;
	}
	json_array_append_new(sections, s1);
	json_array_append_new(sections, s2);
	json_array_append_new(sections, s3);
	return SK_OK;
}

static json_t *day_section(const char *id, const char *title, json_t *days, const char *empty)
{
	return json_pack("{s:s,s:s,s:O,s:s}", "id", id, "title", title, "days", days, "empty",
			 empty);
}

sk_status audit_report_build(json_t **out, const audit_log *log, MDB_txn *txn,
			     const audit_report_opts *o)
{
	struct build b = {o, {0}, {0}, 0, 0, SK_OK};
	char drawn[AUDIT_DATE_WORDS_MAX], intro[1024];
	json_t *doc = NULL, *sections = NULL, *s;
	sk_status st;

	*out = NULL;
	b.use.days = json_array();
	b.partners.days = json_array();
	b.use.g = calloc(DAY_GROUPS_MAX, sizeof(struct group));
	b.partners.g = calloc(DAY_GROUPS_MAX, sizeof(struct group));
	if (b.use.days == NULL || b.partners.days == NULL || b.use.g == NULL ||
	    b.partners.g == NULL || (sections = json_array()) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = audit_log_scan_index(log, txn, AUDIT_BY_CLIENT, o->client, 0, 0, report_one,
				       &b)) != SK_OK ||
	    (st = flush(&b, &b.use)) != SK_OK || (st = flush(&b, &b.partners)) != SK_OK)
		goto out;
	if (o->lang == AUDIT_LANG_EN)
		snprintf(intro, sizeof(intro),
			 "You asked who used your data at %s. Below you find, by day, what was "
			 "done with your data, by whom and why. This comes from our secured log; no "
			 "one can change it afterwards.",
			 o->org_name);
	else
		snprintf(intro, sizeof(intro),
			 "U vroeg wie uw gegevens bij %s heeft gebruikt. Hieronder staat per dag "
			 "wat er met uw gegevens is gedaan, door wie en waarvoor. Dit komt uit ons "
			 "beveiligde logboek; niemand kan het achteraf veranderen.",
			 o->org_name);
	s = day_section("use", tr(o, "Wat wij met uw gegevens deden", "What we did with your data"),
			b.use.days,
			tr(o, "Niemand heeft uw gegevens gebruikt.", "No one used your data."));
	if (s == NULL || json_array_append_new(sections, s) != 0) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	s = day_section("partners",
			tr(o, "Andere organisaties die weten dat wij bij u betrokken zijn",
			   "Other organisations that know we are involved with you"),
			b.partners.days,
			tr(o, "Geen andere organisatie heeft via de verwijsindex gezien dat wij bij u "
			      "betrokken zijn.",
			   "No other organisation learned through the federation that we are "
			   "involved with you."));
	if (s == NULL || json_array_append_new(sections, s) != 0) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = owed(sections, o, b.dropped)) != SK_OK)
		goto out;
	audit_date_words(drawn, o->now_ms, o->lang, true);
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:O}", "lang",
			o->lang == AUDIT_LANG_EN ? "en" : "nl", "title",
			tr(o, "Overzicht van het gebruik van uw gegevens",
			   "Overview of the use of your data"),
			"org", o->org_name, "drawn_up", drawn, "intro", intro, "sections", sections);
	st = doc != NULL ? SK_OK : SK_ERR_NOMEM;
out:
	json_decref(b.use.days);
	json_decref(b.partners.days);
	json_decref(sections);
	free(b.use.g);
	free(b.partners.g);
	if (st == SK_OK)
		*out = doc;
	else
		json_decref(doc);
	return st;
}

static const char *str(const json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));

	return s != NULL ? s : "";
}

sk_status audit_report_text(FILE *fp, const json_t *rep)
{
	const json_t *sec, *day, *line;
	size_t i, j, k;
	bool en = strcmp(str(rep, "lang"), "en") == 0;

	fprintf(fp, "%s\n%s: %s\n%s: %s\n\n%s\n", str(rep, "title"),
		en ? "Organisation" : "Organisatie", str(rep, "org"),
		en ? "Drawn up on" : "Opgesteld op", str(rep, "drawn_up"), str(rep, "intro"));
	json_array_foreach(json_object_get(rep, "sections"), i, sec)
	{
		const json_t *days = json_object_get(sec, "days");

		fprintf(fp, "\n%zu. %s\n", i + 1, str(sec, "title"));
		if (days != NULL && json_array_size(days) == 0)
			fprintf(fp, "  %s\n", str(sec, "empty"));
		json_array_foreach(days, j, day)
		{
			fprintf(fp, "\n  %s\n", str(day, "day"));
			json_array_foreach(json_object_get(day, "lines"), k, line)
				fprintf(fp, "  - %s\n", json_string_value(line));
		}
		json_array_foreach(json_object_get(sec, "paragraphs"), j, line)
			fprintf(fp, "  %s\n", json_string_value(line));
	}
	return ferror(fp) ? SK_ERR_IO : SK_OK;
}
