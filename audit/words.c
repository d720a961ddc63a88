#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit/words.h"
#include "common/when.h"

/* Every event code the code base writes (tests/audit/events.py checks
 * the sources against it). Sentences follow the actor: "Anna de Vries
 * (wijkcoach) heeft uw dossier 3 keer bekeken". */
static const audit_event_words events[] = {
	/* a client's data at this organisation */
	{"client.add", "Cliënt ingeschreven", "Client registered",
	 "heeft uw gegevens%n vastgelegd", "registered your details%n"},
	{"client.list", "Cliëntenlijst bekeken", "Client list viewed",
	 "heeft de lijst van cliënten%n bekeken", "viewed the list of clients%n"},
	{"client.show", "Cliëntgegevens bekeken", "Client details viewed",
	 "heeft uw gegevens%n bekeken", "viewed your details%n"},
	{"client.find", "Cliënt gezocht op BSN", "Client found by BSN",
	 "heeft u%n opgezocht met uw BSN", "looked you up by your BSN%n"},
	{"case.open", "Dossier geopend", "Case opened",
	 "heeft%n een dossier voor u geopend", "opened a case for you%n"},
	{"client.update", "Cliëntgegevens bijgewerkt", "Client details updated",
	 "heeft uw naam of geboortedatum%n bijgewerkt", "updated your name or birth date%n"},
	{"case.show", "Dossier bekeken", "Case viewed",
	 "heeft uw dossier%n bekeken", "viewed your case%n"},
	{"case.list", "Dossierlijst bekeken", "Case list viewed",
	 "heeft een lijst van dossiers met het uwe%n bekeken",
	 "viewed a list of cases that includes yours%n"},
	{"case.consent", "Toestemming vastgelegd", "Consent recorded",
	 "heeft uw toestemming%n vastgelegd of gewijzigd", "recorded or changed your consent%n"},
	{"case.assign", "Medewerker toegevoegd", "Professional added",
	 "heeft%n een medewerker aan uw dossier toegevoegd", "added a professional to your case%n"},
	{"case.close", "Dossier afgesloten", "Case closed",
	 "heeft uw dossier%n afgesloten", "closed your case%n"},
	/* the federation */
	{"lookup", "Wie is er nog betrokken?", "Lookup",
	 "heeft%n opgezocht welke andere organisaties ook bij u betrokken zijn",
	 "looked up%n which other organisations are also involved with you"},
	{"matches.list", "Ook betrokken bekeken", "Matches viewed",
	 "heeft%n bekeken welke organisaties ook bij u betrokken zijn",
	 "viewed%n which organisations are also involved with you"},
	{"notices.list", "Meldingen bekeken", "Notices viewed",
	 "heeft%n de meldingen over u bekeken", "viewed the notices about you%n"},
	{"entry.publish", "Aanmelding verwijsindex bijgewerkt", "Registration updated",
	 "heeft uw aanmelding bij de verwijsindex%n bijgewerkt (zonder naam of BSN)",
	 "updated your registration with the federation%n (without name or BSN)"},
	{"entry.withdraw", "Aanmelding verwijsindex ingetrokken", "Registration withdrawn",
	 "heeft uw aanmelding bij de verwijsindex%n ingetrokken",
	 "withdrew your registration from the federation%n"},
	{"disclosure.notice", "Melding: een partner zag dat wij betrokken zijn",
	 "Notice: a partner saw we are involved",
	 "heeft via de verwijsindex%n gezien dat wij bij u betrokken zijn",
	 "learned through the federation%n that we are involved with you"},
	{"match.notice", "Melding: ook betrokken", "Notice: also involved",
	 "kreeg%n een melding dat een andere organisatie ook bij u betrokken is",
	 "was notified%n that another organisation is also involved with you"},
	{"pattern.flag", "Signaal van de verwijsindex", "Registry pattern flag",
	 "kreeg%n een signaal van de verwijsindex", "received a signal from the federation%n"},
	/* case discussions */
	{"discuss.request", "Uitnodiging casusoverleg verstuurd", "Case discussion requested",
	 "heeft%n een uitnodiging voor casusoverleg over u verstuurd",
	 "sent an invitation to discuss your case%n"},
	{"discuss.receive", "Uitnodiging casusoverleg ontvangen", "Case discussion invitation received",
	 "heeft%n een uitnodiging voor casusoverleg over u ontvangen",
	 "received an invitation to discuss your case%n"},
	{"discuss.accept", "Casusoverleg aangenomen", "Case discussion accepted",
	 "heeft%n een uitnodiging voor casusoverleg over u aangenomen",
	 "accepted an invitation to discuss your case%n"},
	{"discuss.decline", "Casusoverleg afgeslagen", "Case discussion declined",
	 "heeft%n een uitnodiging voor casusoverleg over u afgeslagen",
	 "declined an invitation to discuss your case%n"},
	{"discuss.show", "Casusoverleg gelezen", "Case discussion read",
	 "heeft het casusoverleg over u%n gelezen", "read the case discussion about you%n"},
	{"discuss.list", "Overleglijst bekeken", "Discussion list viewed",
	 "heeft een lijst van casusoverleggen met het uwe%n bekeken",
	 "viewed a list of case discussions that includes yours%n"},
	{"discuss.send", "Bericht in casusoverleg", "Discussion message sent",
	 "heeft%n een bericht in het casusoverleg over u gestuurd",
	 "sent a message in the case discussion about you%n"},
	{"discuss.message", "Bericht ontvangen", "Discussion message received",
	 "heeft%n een bericht in het casusoverleg over u ontvangen",
	 "received a message in the case discussion about you%n"},
	{"discuss.close", "Casusoverleg afgerond", "Case discussion closed",
	 "heeft het casusoverleg over u%n afgerond", "closed the case discussion about you%n"},
	{"discuss.expire", "Casusoverleg verlopen", "Case discussion expired",
	 "zag het casusoverleg over u%n verlopen", "saw the case discussion about you expire%n"},
	{"discuss.stop", "Casusoverleg gestopt na herstel", "Case discussion stopped after a recovery",
	 "stopte het casusoverleg over u%n, omdat de verwijsindex na een storing is hersteld",
	 "stopped the case discussion about you%n because the registry was restored after a failure"},
	{"discuss.resend", "Bericht opnieuw verstuurd na herstel", "Message sent again after a recovery",
	 "stuurde een bericht in het casusoverleg over u%n opnieuw, omdat de verwijsindex na een "
	 "storing is hersteld",
	 "sent a message in the case discussion about you%n again because the registry was "
	 "restored after a failure"},
	/* the privacy officer */
	{"audit.query", "Logboek doorzocht", "Audit log searched",
	 "heeft het logboek over u%n ingezien", "looked at the audit log about you%n"},
	{"audit.export", "Logboek geëxporteerd", "Audit log exported",
	 "heeft het logboek over u%n geëxporteerd", "exported the audit log about you%n"},
	{"audit.report", "Inzageverslag opgesteld", "Access report drawn up",
	 "heeft%n dit overzicht voor u opgesteld", "drew up this overview for you%n"},
	{"audit.review", "Logboek beoordeeld", "Audit log reviewed",
	 "heeft het logboek%n beoordeeld", "reviewed the audit log%n"},
	{"audit.signoff", "Beoordeling afgetekend", "Review signed off",
	 "heeft een beoordeling van het logboek%n afgetekend", "signed off a review of the audit log%n"},
	{"audit.verify", "Logboek gecontroleerd", "Audit log verified",
	 "heeft het logboek%n gecontroleerd", "verified the audit log%n"},
	{"audit.reconcile", "Logboek vergeleken met de verwijsindex", "Audit log reconciled",
	 "heeft het logboek%n vergeleken met de verwijsindex",
	 "compared the audit log with the federation's%n"},
	{"audit.records", "Logboek van de verwijsindex opgehaald", "Registry records fetched",
	 "heeft%n het logboek van de verwijsindex opgehaald", "fetched the federation's audit records%n"},
	{"audit.anchor", "Logboek verankerd", "Audit log anchored",
	 "heeft het logboek%n vastgelegd bij de verwijsindex", "anchored the audit log in the federation%n"},
	{"audit.anchors", "Verankering gecontroleerd", "Anchors checked",
	 "heeft de vastlegging van het logboek%n gecontroleerd", "checked the audit log's anchors%n"},
	{"directory.publish", "Sociale kaart bijgewerkt", "Directory record published",
	 "heeft%n de gegevens van de organisatie op de sociale kaart gezet",
	 "published the organisation's directory record%n"},
	{"directory.fetch", "Sociale kaart opgehaald", "Directory fetched",
	 "heeft%n de sociale kaart opgehaald en gecontroleerd", "fetched and checked the directory%n"},
	{"directory.search", "Gezocht op de sociale kaart", "Directory searched",
	 "heeft%n op de sociale kaart gezocht", "searched the directory%n"},
	{"directory.show", "Organisatie op de sociale kaart bekeken", "Directory record viewed",
	 "heeft%n een organisatie op de sociale kaart bekeken", "viewed an organisation's directory record%n"},
	{"audit.daily", "Dagtelling", "Daily counts",
	 "heeft%n een dagtelling van het logboek gemaakt", "made the audit log's daily counts%n"},
	{"audit.purge", "Oude logregels gewist", "Old records purged",
	 "heeft%n oude regels van het logboek gewist na de bewaartermijn",
	 "purged old audit records after their retention%n"},
	{"audit.hold", "Bewaarplicht ingesteld", "Legal hold set",
	 "heeft%n een bewaarplicht op het logboek gezet", "put a legal hold on the audit log%n"},
	{"audit.hold.release", "Bewaarplicht opgeheven", "Legal hold released",
	 "heeft%n een bewaarplicht op het logboek opgeheven", "released a legal hold on the audit log%n"},
	{"audit.retention", "Bewaartermijn ingesteld", "Retention set",
	 "heeft%n de bewaartermijn van het logboek ingesteld", "set the audit log's retention%n"},
	/* accounts */
	{"signin", "Aangemeld", "Signed in", "heeft zich%n aangemeld", "signed in%n"},
	{"signout", "Afgemeld", "Signed out", "heeft zich%n afgemeld", "signed out%n"},
	{"professional.add", "Medewerker toegevoegd", "Professional added",
	 "heeft%n een medewerker toegevoegd", "added a professional%n"},
	{"professional.list", "Medewerkerslijst bekeken", "Professional list viewed",
	 "heeft de lijst van medewerkers%n bekeken", "viewed the list of professionals%n"},
	{"professional.passwd", "Wachtwoord ingesteld", "Password set",
	 "heeft%n een wachtwoord ingesteld", "set a password%n"},
	{"professional.link", "Account van de organisatie gekoppeld",
	 "Organisation account linked", "heeft%n een account van de organisatie gekoppeld",
	 "linked an organisation account%n"},
	/* the org's client system (ECD) through the integration API */
	{"service.add", "Koppeling cliëntsysteem aangemaakt", "Client system link created",
	 "heeft%n een koppeling met het cliëntsysteem aangemaakt",
	 "created a link with the client system%n"},
	{"service.revoke", "Koppeling cliëntsysteem ingetrokken", "Client system link revoked",
	 "heeft%n een koppeling met het cliëntsysteem ingetrokken",
	 "revoked a link with the client system%n"},
	{"service.refused", "Koppeling geweigerd", "Client system refused",
	 "heeft%n een verzoek met een onjuiste sleutel van de koppeling geweigerd",
	 "refused a request with a wrong client system credential%n"},
	{"service.list", "Koppelingen bekeken", "Client system links viewed",
	 "heeft%n de koppelingen met het cliëntsysteem bekeken",
	 "viewed the links with the client system%n"},
	{"ecd.batch", "Gegevens uit het cliëntsysteem verwerkt", "Client system batch processed",
	 "heeft%n een reeks gegevens uit het cliëntsysteem verwerkt",
	 "processed a batch from the client system%n"},
	{"ecd.refused", "Wijziging uit het cliëntsysteem geweigerd", "Client system change refused",
	 "heeft%n een wijziging uit het cliëntsysteem over u niet doorgevoerd",
	 "did not apply a change about you from the client system%n"},
	{"ecd.read", "Gegevens opgevraagd door het cliëntsysteem", "Read by the client system",
	 "heeft uw gegevens%n opgevraagd om ze te vergelijken met het cliëntsysteem",
	 "read your details%n to compare them with the client system"},
	/* the node itself */
	{"org.set", "Instellingen organisatie gewijzigd", "Organisation settings changed",
	 "heeft%n de instellingen van de organisatie gewijzigd", "changed the organisation's settings%n"},
	{"node.init", "Schakel ingericht", "Node set up", "is%n ingericht", "was set up%n"},
	{"node.join", "Aangesloten bij de verwijsindex", "Joined the federation",
	 "is%n aangesloten bij de verwijsindex", "joined the federation%n"},
	{"node.rejoin", "Opnieuw aangesloten", "Rejoined the federation",
	 "is%n opnieuw aangesloten bij de verwijsindex", "rejoined the federation%n"},
	{"node.resume", "Hervat na een storing", "Resumed",
	 "heeft%n het werk hervat na een onderbreking", "resumed after an interruption%n"},
	{"node.restore", "Teruggezet uit een back-up", "Restored from backup",
	 "is%n teruggezet uit een back-up", "was restored from a backup%n"},
	{"node.rekey", "Nieuwe sleutels", "New keys", "heeft%n nieuwe sleutels gekregen",
	 "got new keys%n"},
	{"node.rekey.request", "Nieuwe sleutels aangevraagd", "New keys requested",
	 "heeft%n nieuwe sleutels aangevraagd", "requested new keys%n"},
	{"encryption.key", "Versleutelsleutel", "Encryption key",
	 "heeft%n een versleutelsleutel vastgelegd", "recorded an encryption key%n"},
	{"encryption.create", "Versleutelsleutel gemaakt", "Encryption key created",
	 "heeft%n een nieuwe versleutelsleutel gemaakt", "created an encryption key%n"},
	{"encryption.publish", "Versleutelsleutel gepubliceerd", "Encryption key published",
	 "heeft%n een versleutelsleutel gepubliceerd", "published an encryption key%n"},
	{"encryption.expire", "Versleutelsleutel verlopen", "Encryption key expired",
	 "heeft%n een verlopen versleutelsleutel gewist", "removed an expired encryption key%n"},
	{"epoch.key", "Tijdvaksleutel", "Epoch key", "heeft%n een tijdvaksleutel vastgelegd",
	 "recorded an epoch key%n"},
	{"epoch.rotate", "Nieuw tijdvak", "New epoch",
	 "heeft de aanmeldingen%n overgezet naar een nieuw tijdvak",
	 "moved the registrations to a new epoch%n"},
	{"epoch.republish", "Tijdvaksleutel opnieuw vastgelegd", "Epoch key recorded again",
	 "heeft%n een tijdvaksleutel opnieuw laten vastleggen nadat de verwijsindex die kwijt was",
	 "had an epoch key recorded again after the registry had lost it%n"},
	{"certificate.alert", "Certificaat verloopt", "Certificate expiring",
	 "kreeg%n een waarschuwing over een certificaat", "got a certificate warning%n"},
	{"member.alert", "Melding over een deelnemer", "Member alert",
	 "kreeg%n een melding over een deelnemer", "got an alert about a member%n"},
	{"org.rekey", "Deelnemer kreeg nieuwe sleutels", "Member rekeyed",
	 "zag%n dat een deelnemer nieuwe sleutels kreeg", "saw a member get new keys%n"},
	{"org.revoked", "Deelnemer uitgesloten", "Member revoked",
	 "zag%n dat een deelnemer werd uitgesloten", "saw a member being revoked%n"},
	/* the registry and the pseudonymisers */
	{"member.enrol", "Deelnemer toegelaten", "Member enrolled",
	 "heeft%n een deelnemer toegelaten", "enrolled a member%n"},
	{"member.refresh", "Deelnemer vernieuwd", "Member refreshed",
	 "heeft%n een deelnemer vernieuwd", "refreshed a member%n"},
	{"member.rekey", "Deelnemer nieuwe sleutels", "Member rekeyed",
	 "heeft%n de sleutels van een deelnemer vernieuwd", "rekeyed a member%n"},
	{"member.revoke", "Deelnemer uitgesloten", "Member revoked",
	 "heeft%n een deelnemer uitgesloten", "revoked a member%n"},
	{"member.purge", "Gegevens deelnemer gewist", "Member purged",
	 "heeft%n de gegevens van een deelnemer gewist", "purged a member's data%n"},
	{"member.session", "Verbinding van een deelnemer", "Member session",
	 "had%n een verbinding met een deelnemer", "had a session with a member%n"},
	{"member.events", "Deelnemerslijst opgehaald", "Member events fetched",
	 "heeft%n de lijst van deelnemers opgehaald", "fetched the member list%n"},
	{"org.allow", "Organisatie toegelaten", "Organisation allowed",
	 "heeft%n een organisatie toegelaten", "allowed an organisation%n"},
	{"org.deny", "Organisatie geweerd", "Organisation denied",
	 "heeft%n een organisatie geweerd", "denied an organisation%n"},
	{"quota.set", "Quotum ingesteld", "Quota set", "heeft%n een quotum ingesteld",
	 "set a quota%n"},
	{"eval.daily", "Dagtelling", "Daily counts", "heeft%n een dagtelling gemaakt",
	 "made the daily counts%n"},
	{"registry.restore", "Verwijsindex teruggezet", "Registry restored",
	 "is%n teruggezet uit een back-up", "was restored from a backup%n"},
	{"registry.rollover", "Nieuw logboek na herstel", "Log rolled over",
	 "is%n overgestapt op een nieuw logboek na herstel", "rolled its log over%n"},
	{"journal.replay", "Ledenwijziging uit het journaal", "Member change replayed",
	 "heeft%n een ledenwijziging uit het journaal opnieuw vastgelegd",
	 "recorded a member change from the journal again%n"},
	{"pseudonymiser.restore", "Pseudonimiseerder teruggezet", "Pseudonymiser restored",
	 "is%n teruggezet uit een back-up", "was restored from a backup%n"},
	/* case tables (casustafel): an organisation's membership, no client */
	{"table.create", "Casustafel opgericht", "Case table created",
	 "heeft%n een casustafel opgericht", "created a case table%n"},
	{"table.join", "Lid geworden van een casustafel", "Case table joined",
	 "heeft de organisatie%n lid gemaakt van een casustafel",
	 "made the organisation a member of a case table%n"},
	{"table.leave", "Casustafel verlaten", "Case table left",
	 "heeft de organisatie%n uit een casustafel gehaald",
	 "took the organisation out of a case table%n"},
	{"table.regisseur", "Procesregisseur toegevoegd", "Procesregisseur added",
	 "heeft%n een procesregisseur aan een casustafel toegevoegd",
	 "added a procesregisseur to a case table%n"},
	{"table.submit", "Casus ingebracht bij de casustafel", "Case brought to a case table",
	 "heeft%n een casus anoniem ingebracht bij een casustafel",
	 "brought a case to a case table anonymously%n"},
	{"table.receive", "Casus van de casustafel ontvangen", "Case table case received",
	 "heeft%n een anoniem ingebrachte casus van een casustafel ontvangen",
	 "received a case brought anonymously to a case table%n"},
	{"table.involved", "Casustafel: al betrokken", "Case table: already involved",
	 "heeft%n gezien dat een casus aan een casustafel over u ging, omdat u hier al "
	 "cliënt bent",
	 "saw that a case brought to a case table concerned you, as you are a client here "
	 "already%n"},
	{"table.schedule", "Casus geagendeerd", "Case scheduled",
	 "heeft%n een casus van de casustafel op de agenda van een overleg gezet",
	 "put a case of a case table on a meeting's agenda%n"},
	{"table.invite", "Organisatie uitgenodigd voor een casus", "Organisation invited for a case",
	 "heeft%n een extra organisatie uitgenodigd voor een casus van de casustafel",
	 "invited one more organisation for a case of a case table%n"},
	{"table.send", "Bericht bij een casus van de casustafel", "Case table message sent",
	 "heeft%n een bericht gestuurd bij een casus van de casustafel",
	 "sent a message about a case of a case table%n"},
	{"table.subgroup", "Deelgroep met mandaat gevormd", "Subgroup with mandate formed",
	 "heeft%n een deelgroep met mandaat gevormd bij een casus van de casustafel",
	 "formed a subgroup with a mandate for a case of a case table%n"},
	{"table.subgroup.send", "Bericht aan een deelgroep", "Subgroup message sent",
	 "heeft%n een bericht gestuurd aan een deelgroep bij een casus van de casustafel",
	 "sent a message to a subgroup of a case of a case table%n"},
	{"table.message", "Bericht van de casustafel ontvangen", "Case table message received",
	 "heeft%n een bericht ontvangen bij een casus van de casustafel",
	 "received a message about a case of a case table%n"},
	{"table.outcome", "Uitkomst casustafel vastgelegd", "Case table outcome recorded",
	 "heeft%n de uitkomst en de regievoerder van een casus van de casustafel vastgelegd",
	 "recorded the outcome and regievoerder of a case of a case table%n"},
	{"table.agenda", "Agenda casustafel bekeken", "Case table agenda viewed",
	 "heeft%n de agenda van een casustafel bekeken", "viewed a case table's agenda%n"},
	{"table.stats", "Cijfers casustafel bekeken", "Case table figures viewed",
	 "heeft%n de cijfers van een casustafel bekeken", "viewed a case table's figures%n"},
	{"table.purge", "Casus van de casustafel gewist", "Case table case purged",
	 "heeft%n de versleutelde berichten van een afgeronde casus van de casustafel gewist",
	 "purged the ciphertext of a closed case table case%n"},
	{"table.show", "Casus van de casustafel gelezen", "Case table case read",
	 "heeft%n een casus van een casustafel gelezen", "read a case of a case table%n"},
	{"table.record", "Wijziging casustafel geweigerd", "Case table change refused",
	 "heeft%n een onleesbare wijziging van een casustafel ontvangen",
	 "received an unreadable change to a case table%n"},
	{"table.list", "Casustafels opgehaald", "Case tables fetched",
	 "heeft%n de casustafels opgehaald", "fetched the case tables%n"},
};

#define N_EVENTS (sizeof(events) / sizeof(events[0]))

static const audit_event_words generic = {
	"", "Andere handeling", "Other action", "heeft uw gegevens%n gebruikt",
	"used your data%n",
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

size_t audit_event_count(void)
{
	return N_EVENTS;
}

const audit_event_words *audit_event_at(size_t i)
{
	return i < N_EVENTS ? &events[i] : NULL;
}

const audit_event_words *audit_event_find(const char *code)
{
	for (size_t i = 0; code != NULL && i < N_EVENTS; i++)
		if (strcmp(code, events[i].code) == 0)
			return &events[i];
	return NULL;
}

const char *audit_event_sentence(const char *code, audit_lang lang)
{
	const audit_event_words *w = audit_event_find(code);

	if (w == NULL)
		w = &generic;
	return lang == AUDIT_LANG_EN ? w->sentence_en : w->sentence_nl;
}

const char *audit_event_name(const char *code, audit_lang lang)
{
	const audit_event_words *w = audit_event_find(code);

	if (w == NULL)
		w = &generic;
	return lang == AUDIT_LANG_EN ? w->name_en : w->name_nl;
}

void audit_sentence_count(char *out, size_t cap, const char *sentence, uint64_t count,
			  audit_lang lang)
{
	const char *at = NULL;
	char n[32] = "";

	/* the last "%n": names before the sentence are free text */
	for (const char *p = strstr(sentence, "%n"); p != NULL; p = strstr(p + 2, "%n"))
		at = p;

	if (cap == 0)
		return;
	if (count > 1)
		snprintf(n, sizeof(n), lang == AUDIT_LANG_EN ? " %llu times" : " %llu keer",
			 (unsigned long long)count);
	if (at == NULL)
		snprintf(out, cap, "%s", sentence);
	else
		snprintf(out, cap, "%.*s%s%s", (int)(at - sentence), sentence, n, at + 2);
}

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
	{"review", "de periodieke beoordeling", "the periodic review"},
};

const char *audit_purpose_words(const char *code, audit_lang lang)
{
	for (size_t i = 0; code != NULL && i < sizeof(purposes) / sizeof(purposes[0]); i++)
		if (strcmp(code, purposes[i].code) == 0)
			return lang == AUDIT_LANG_EN ? purposes[i].en : purposes[i].nl;
	return NULL;
}

const char *audit_role_words(const char *role, audit_lang lang)
{
	if (role != NULL && strcmp(role, "privacy-officer") == 0)
		return lang == AUDIT_LANG_EN ? "data protection officer"
					     : "functionaris gegevensbescherming";
	if (role != NULL && strcmp(role, "service") == 0)
		return lang == AUDIT_LANG_EN ? "through the client system" : "via het cliëntsysteem";
	return role;
}

const char *audit_outcome_words(int outcome, audit_lang lang)
{
	switch (outcome) {
	case 1: return lang == AUDIT_LANG_EN ? "done" : "gelukt";
	case 2: return lang == AUDIT_LANG_EN ? "refused" : "geweigerd";
	case 3: return lang == AUDIT_LANG_EN ? "failed" : "mislukt";
	default: return "";
	}
}

const char *audit_action_words(int action, audit_lang lang)
{
	switch (action) {
	case 'C': return lang == AUDIT_LANG_EN ? "created" : "aangemaakt";
	case 'R': return lang == AUDIT_LANG_EN ? "read" : "ingezien";
	case 'U': return lang == AUDIT_LANG_EN ? "changed" : "gewijzigd";
	case 'D': return lang == AUDIT_LANG_EN ? "deleted" : "verwijderd";
	case 'E': return lang == AUDIT_LANG_EN ? "carried out" : "uitgevoerd";
	default: return "";
	}
}

void audit_date_words(char out[static AUDIT_DATE_WORDS_MAX], uint64_t ms, audit_lang lang,
		      bool with_time)
{
	sk_when_lang l = lang == AUDIT_LANG_EN ? SK_WHEN_EN : SK_WHEN_NL;

	_Static_assert(AUDIT_DATE_WORDS_MAX >= SK_WHEN_BYTES, "room for sk_when");
	if (with_time)
		sk_when(out, ms, l);
	else
		sk_when_date(out, ms, l);
}
