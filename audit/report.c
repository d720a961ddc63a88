#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "audit/query.h"
#include "audit/report.h"

#define LINE_MAX_BYTES 4096

/* What an event did, said to the client. */
static const struct {
	const char *event; /* a prefix when it ends in '.' */
	const char *nl, *en;
} events[] = {
	{"client.add", "heeft uw gegevens vastgelegd", "registered your details"},
	{"case.open", "heeft een dossier voor u geopend", "opened a case for you"},
	{"case.consent", "heeft uw toestemming vastgelegd of gewijzigd",
	 "recorded or changed your consent"},
	{"case.assign", "heeft een medewerker aan uw dossier toegevoegd",
	 "added a professional to your case"},
	{"case.close", "heeft uw dossier gesloten", "closed your case"},
	{"lookup", "heeft opgezocht welke andere organisaties ook bij u betrokken zijn",
	 "looked up which other organisations are also involved with you"},
	{"entry.publish", "heeft uw gepseudonimiseerde aanmelding bij de verwijsindex bijgewerkt",
	 "updated your pseudonymised registration with the federation"},
	{"entry.withdraw", "heeft uw aanmelding bij de verwijsindex ingetrokken",
	 "withdrew your registration from the federation"},
	{"audit.", "heeft het logboek over u ingezien", "looked at the audit log about you"},
};

/* Purpose codes (protos/policy.c) in words. */
static const struct {
	const char *code, *nl, *en;
} purposes[] = {
	{"afstemming", "afstemming van de zorg", "coordination of care"},
	{"signaal", "een zorgsignaal", "a concern"},
	{"regie", "afspreken wie de regie heeft", "deciding who coordinates"},
	{"crisis", "een crisis", "a crisis"},
	{"overdracht", "overdracht aan een andere organisatie", "hand-over to another organisation"},
	{"nazorg", "nazorg", "aftercare"},
};

sk_status audit_lang_parse(audit_lang *out, const char *s)
{
	if (s != NULL && strcmp(s, "nl") == 0)
		*out = AUDIT_LANG_NL;
	else if (s != NULL && strcmp(s, "en") == 0)
		*out = AUDIT_LANG_EN;
	else
		return SK_ERR_INVALID;
	return SK_OK;
}

static const char *tr(const audit_report_opts *o, const char *nl, const char *en)
{
	return o->lang == AUDIT_LANG_EN ? en : nl;
}

static const char *purpose_words(const audit_report_opts *o, const char *code)
{
	for (size_t i = 0; i < sizeof(purposes) / sizeof(purposes[0]); i++)
		if (strcmp(code, purposes[i].code) == 0)
			return tr(o, purposes[i].nl, purposes[i].en);
	return code;
}

static const char *event_words(const audit_report_opts *o, const char *event, char *buf,
			       size_t cap)
{
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		size_t n = strlen(events[i].event);

		if (events[i].event[n - 1] == '.' ? strncmp(event, events[i].event, n) == 0
						   : strcmp(event, events[i].event) == 0)
			return tr(o, events[i].nl, events[i].en);
	}
	snprintf(buf, cap, "%s (%s)", tr(o, "heeft uw gegevens gebruikt", "used your data"), event);
	return buf;
}

/* The sentence for one record into buf. */
static void sentence(char *buf, size_t cap, const audit_record *r, const audit_report_opts *o,
		     bool disclosure)
{
	char t[AUDIT_TIME_BYTES], other[512];
	const char *name = NULL, *role = r->role != NULL ? r->role : "?";
	const char *end = r->outcome == AUDIT_OUTCOME_DENIED   ? tr(o, " (geweigerd)", " (refused)")
			  : r->outcome == AUDIT_OUTCOME_FAILED ? tr(o, " (mislukt)", " (failed)")
							       : "";
	char purpose[320] = "", shown[320] = "";
	size_t n;

	audit_time_local(t, r->time_ms);
	if (r->purpose != NULL)
		snprintf(purpose, sizeof(purpose), "%s %s", tr(o, ", met als doel", ", for"),
			 purpose_words(o, r->purpose));
	if (disclosure) {
		snprintf(buf, cap, "%s  %s (%s), %s %s: %s%s%s.", t,
			 r->counterpart != NULL ? r->counterpart : "?",
			 r->category != NULL ? r->category : "?", tr(o, "rol", "role"), role,
			 tr(o, "heeft via de verwijsindex gezien dat wij bij u betrokken zijn",
			    "learned through the federation that we are involved with you"),
			 purpose, end);
		return;
	}
	if (r->user != NULL && o->name_of != NULL)
		name = o->name_of(r->user, o->name_arg);
	if (r->user != NULL && name != NULL)
		snprintf(buf, cap, "%s  %s (%s), %s: ", t, name, role, o->org_name);
	else if (r->user != NULL)
		snprintf(buf, cap, "%s  %s (%s), %s: ", t,
			 tr(o, "een medewerker", "a staff member"), role, o->org_name);
	else
		snprintf(buf, cap, "%s  %s (%s): ", t, o->org_name,
			 tr(o, "systeem of beheer", "system or administration"));
	if (strcmp(r->event, "lookup") == 0 && r->counterpart != NULL)
		snprintf(shown, sizeof(shown), "%s %s", tr(o, "; getoond:", "; shown:"),
			 r->counterpart);
	n = strlen(buf);
	snprintf(buf + n, cap - n, "%s%s%s%s.", event_words(o, r->event, other, sizeof(other)),
		 purpose, shown, end);
}

struct part {
	FILE *fp;
	const audit_report_opts *o;
	json_t *list; /* o->json */
	bool disclosure;
	size_t n;
};

static sk_status report_one(const audit_record *r, void *arg)
{
	struct part *p = arg;
	char line[LINE_MAX_BYTES], id[2 * AUDIT_ID_BYTES + 1], t[AUDIT_TIME_BYTES];
	bool disclosure = strcmp(r->event, "disclosure.notice") == 0;

	if (disclosure != p->disclosure || strcmp(r->event, "pattern.flag") == 0)
		return SK_OK;
	sentence(line, sizeof(line), r, p->o, disclosure);
	p->n++;
	if (p->list == NULL) {
		fprintf(p->fp, "  %s\n", line);
		return SK_OK;
	}
	sodium_bin2hex(id, sizeof(id), r->id, AUDIT_ID_BYTES);
	audit_time_format(t, r->time_ms);
	return json_array_append_new(
		       p->list, json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:s}", "id", id, "kind",
					  disclosure ? "disclosure" : "local", "time", t, "org",
					  disclosure ? (r->counterpart ? r->counterpart : "?")
						     : p->o->org_name,
					  "role", r->role, "purpose", r->purpose, "text", line)) == 0
		       ? SK_OK
		       : SK_ERR_NOMEM;
}

sk_status audit_report_write(FILE *fp, const audit_log *log, MDB_txn *txn,
			     const audit_report_opts *o)
{
	struct part p = {fp, o, NULL, false, 0};
	char t[AUDIT_TIME_BYTES], *txt;
	sk_status st;

	if (o->json && (p.list = json_array()) == NULL)
		return SK_ERR_NOMEM;
	audit_time_local(t, o->now_ms);
	if (!o->json)
		fprintf(fp, "%s\n%s: %s\n%s: %s\n%s: %s\n\n1. %s %s\n",
			tr(o, "Overzicht van het gebruik van uw gegevens (AVG artikel 15, Wabvpz)",
			   "Overview of the use of your data (GDPR article 15, Wabvpz)"),
			tr(o, "Organisatie", "Organisation"), o->org_name,
			tr(o, "Uw cliëntnummer bij ons", "Your client number with us"), o->client,
			tr(o, "Opgesteld op", "Drawn up on"), t,
			tr(o, "Wie uw gegevens heeft gebruikt bij", "Who used your data at"),
			o->org_name);
	if ((st = audit_log_scan_index(log, txn, AUDIT_BY_CLIENT, o->client, 0, 0, report_one,
				       &p)) != SK_OK)
		goto out;
	if (!o->json)
		fprintf(fp, "%s2. %s\n", p.n == 0 ? tr(o, "  (niemand)\n\n", "  (no one)\n\n") : "\n",
			tr(o, "Andere organisaties die via de verwijsindex hebben gezien dat wij bij "
			      "u betrokken zijn",
			   "Other organisations that learned through the federation that we are "
			   "involved with you"));
	p.disclosure = true;
	p.n = 0;
	if ((st = audit_log_scan_index(log, txn, AUDIT_BY_CLIENT, o->client, 0, 0, report_one,
				       &p)) != SK_OK)
		goto out;
	if (o->json) {
		if ((txt = json_dumps(p.list, JSON_INDENT(2))) == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
		fprintf(fp, "%s\n", txt);
		free(txt);
	} else {
		fprintf(fp, "%s\n%s%s\n", p.n == 0 ? tr(o, "  (geen)\n", "  (none)\n") : "",
			o->name_of != NULL ? ""
					   : tr(o, "Medewerkers staan vermeld met hun rol; u kunt ons "
						   "vragen wie het waren.\n",
						"Staff are listed by their role; you may ask us who "
						"they were.\n"),
			tr(o, "Dit overzicht komt uit het beveiligde logboek van onze organisatie; "
			      "tijden zijn lokale tijd.",
			   "This overview comes from our organisation's secured audit log; times "
			   "are local time."));
	}
	st = ferror(fp) ? SK_ERR_IO : SK_OK;
out:
	json_decref(p.list);
	return st;
}
