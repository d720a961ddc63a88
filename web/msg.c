/* The message table (web/msg.h). Rows are tried in order: the first whose
 * status matches and whose pattern occurs in the detail wins; a row
 * without a pattern is its status's general sentence. Patterns are parts
 * of the library's own sentences (node/, net/), which stay English. */
#include <stddef.h>
#include <string.h>

#include "web/msg.h"

#define UNREACHABLE_NL "De verwijsindex is nu niet bereikbaar; probeer het over een paar minuten opnieuw."
#define UNREACHABLE_EN "The registry cannot be reached now; try again in a few minutes."

static const struct msg_row {
	sk_status st;
	const char *pattern; /* NULL: any detail */
	const char *nl, *en;
} rows[] = {
	/* clients */
	{SK_ERR_BSN, NULL, "Dit is geen geldig BSN. Controleer de negen cijfers.",
	 "This is not a valid BSN. Check the nine digits."},
	{SK_ERR_EXISTS, "already registered",
	 "Deze cliënt is al geregistreerd. U vindt de cliënt hieronder.",
	 "This client is already registered. You find the client below."},
	{SK_ERR_NOTFOUND, "no client with this BSN",
	 "Er is geen cliënt met dit BSN. Registreer de cliënt eerst.",
	 "There is no client with this BSN. Register the client first."},
	{SK_ERR_NOTFOUND, "no client", "Deze cliënt is niet gevonden.", "This client was not found."},
	{SK_ERR_INVALID, "not a client id", "Deze cliënt is niet gevonden.", "This client was not found."},
	{SK_ERR_INVALID, "the client must be a local id",
	 "Vul een geldig BSN in (negen cijfers).", "Give a valid BSN (nine digits)."},
	{SK_ERR_INVALID, "the name must be",
	 "De naam is te lang. Gebruik hoogstens 128 tekens.", "The name is too long. Use at most 128 characters."},
	{SK_ERR_INVALID, "birthdate",
	 "Vul een geboortedatum in die in het verleden ligt.", "Give a birth date in the past."},
	/* consent and its age rules */
	{SK_ERR_INVALID, "parent or guardian",
	 "De cliënt is jonger dan 12: een ouder, voogd of vertegenwoordiger geeft toestemming.",
	 "The client is under 12: a parent, guardian or representative gives consent."},
	{SK_ERR_INVALID, "client and a parent together",
	 "De cliënt is 12 tot 16 jaar: de cliënt en een ouder geven samen toestemming.",
	 "The client is 12 to 15: the client and a parent give consent together."},
	{SK_ERR_INVALID, "must come from the client",
	 "De cliënt is 16 of ouder: de cliënt zelf (of een vertegenwoordiger) geeft toestemming.",
	 "The client is 16 or older: the client (or a representative) gives consent."},
	{SK_ERR_INVALID, "contact needs discover",
	 "Contactgegevens delen kan alleen als de cliënt ook vindbaar is voor partners.",
	 "Sharing the contact needs 'findable by partners' too."},
	{SK_ERR_INVALID, "needs its reason",
	 "Vul de reden van de wettelijke grondslag in, bijvoorbeeld meldcode.",
	 "Give the reason of the statutory basis, for example meldcode."},
	{SK_ERR_INVALID, "statutory reason must not hold",
	 "De reden mag geen BSN of persoonsgegevens bevatten.",
	 "The reason must not hold a BSN or personal data."},
	{SK_ERR_INVALID, "statutory basis allows discuss only",
	 "Met een wettelijke grondslag kunt u alleen uitnodigen voor casusoverleg.",
	 "A statutory basis only allows invitations to case discussions."},
	{SK_ERR_INVALID, "statutory basis records no consent",
	 "Bij een wettelijke grondslag geeft niemand toestemming; laat 'gegeven door' leeg.",
	 "A statutory basis records no consent; leave 'given by' empty."},
	{SK_ERR_INVALID, "reason belongs to a statutory basis",
	 "Een reden hoort alleen bij een wettelijke grondslag.",
	 "A reason belongs to a statutory basis only."},
	{SK_ERR_INVALID, "policy lets none",
	 "Geen van deze soorten organisaties mag uw organisatie zien. Kies andere of vink 'vindbaar voor partners' uit.",
	 "None of these kinds of organisation may see yours. Choose others or untick 'findable by partners'."},
	{SK_ERR_INVALID, "categor",
	 "Kies de soorten organisaties die uw betrokkenheid mogen zien.",
	 "Choose the kinds of organisation that may see your involvement."},
	{SK_ERR_INVALID, "expires", "Kies een einddatum in de toekomst.", "Choose an end date in the future."},
	{SK_ERR_INVALID, "at most two years",
	 "Toestemming geldt hoogstens twee jaar. Kies een eerdere einddatum.",
	 "Consent runs at most two years. Choose an earlier end date."},
	{SK_ERR_INVALID, "flag", "Kies wat de cliënt toestaat.", "Choose what the client allows."},
	{SK_ERR_INVALID, "consent-by", "Kies wie de toestemming gaf.", "Choose who gave consent."},
	/* cases */
	{SK_ERR_NOTFOUND, "no case", "Dit dossier is niet gevonden.", "This case was not found."},
	{SK_ERR_PERM, "is closed", "Dit dossier is afgesloten.", "This case is closed."},
	{SK_ERR_PERM, "privacy officer",
	 "Een functionaris gegevensbescherming werkt niet aan dossiers.",
	 "A data protection officer does not work on cases."},
	{SK_ERR_PERM, "not assigned",
	 "U bent niet aan dit dossier toegewezen.", "You are not assigned to this case."},
	{SK_ERR_EXISTS, "already assigned",
	 "Deze collega is al aan het dossier toegewezen.", "This colleague is already assigned to the case."},
	{SK_ERR_TOOBIG, "assigned professionals",
	 "Er zijn al 16 medewerkers aan dit dossier toegewezen.", "This case already has 16 professionals."},
	{SK_ERR_NOTFOUND, "professional", "Deze collega is niet gevonden.", "This colleague was not found."},
	/* case tables (node/tablecase.c), before the discussions' "is closed" */
	{SK_ERR_PERM, "only a procesregisseur",
	 "Alleen een procesregisseur van de tafel agendeert, nodigt uit en legt de uitkomst vast.",
	 "Only a procesregisseur of the table schedules, invites and records the outcome."},
	{SK_ERR_EXISTS, "has its outcome",
	 "Deze casus heeft al een uitkomst en is afgerond. Er kan niets meer bij.",
	 "This case has its outcome and is closed. Nothing more can be added."},
	{SK_ERR_EXISTS, "takes part in this case already",
	 "Deze organisatie doet al mee aan deze casus.", "This organisation takes part in this case already."},
	{SK_ERR_NOTFOUND, "no table case",
	 "Deze casus van de casustafel is niet gevonden.", "This case table case was not found."},
	{SK_ERR_NOTFOUND, "has no encryption key yet",
	 "Een deelnemer kan nog geen versleutelde berichten ontvangen. Probeer het na de volgende "
	 "synchronisatie opnieuw.",
	 "A participant cannot receive encrypted messages yet. Try again after the next sync."},
	/* discussions */
	{SK_ERR_PERM, "nobody has accepted",
	 "Nog niemand heeft deze uitnodiging aangenomen. U kunt de samenvatting sturen zodra een partner aanneemt.",
	 "Nobody has accepted this invitation yet. You can send the summary once a partner accepts."},
	{SK_ERR_PERM, "not sent its summary",
	 "De aanvrager heeft de samenvatting nog niet gestuurd. Probeer het later opnieuw.",
	 "The requester has not sent the summary yet. Try again later."},
	{SK_ERR_PERM, "only the organisation that asked",
	 "Alleen de organisatie die het overleg aanvroeg, rondt het af.",
	 "Only the organisation that asked for the discussion closes it."},
	{SK_ERR_EXISTS, "is closed", "Dit casusoverleg is afgerond.", "This case discussion is closed."},
	{SK_ERR_NOTFOUND, "invitation",
	 "Deze uitnodiging is niet (meer) gevonden. Werk de gegevens bij en probeer het opnieuw.",
	 "This invitation was not found. Update and try again."},
	{SK_ERR_NOTFOUND, "takes no part",
	 "U neemt geen deel aan dit casusoverleg.", "You take no part in this case discussion."},
	{SK_ERR_INVALID, "topic code", "Kies een onderwerp.", "Choose a topic."},
	{SK_ERR_INVALID, "the text must be",
	 "Schrijf een tekst van hoogstens 16 KiB.", "Write a text of at most 16 KiB."},
	/* the registry and the network */
	{SK_ERR_IO, NULL, UNREACHABLE_NL, UNREACHABLE_EN},
	{SK_ERR_FAILED, NULL, UNREACHABLE_NL, UNREACHABLE_EN},
	{SK_ERR_TRUNCATED, NULL, UNREACHABLE_NL, UNREACHABLE_EN},
	{SK_ERR_VERIFY, "registry",
	 "Het antwoord van de verwijsindex klopt niet. Meld dit aan uw functionaris "
	 "gegevensbescherming (FG) en probeer het later opnieuw.",
	 "The registry's answer does not verify. Tell your data protection officer; try again later."},
	/* general sentences */
	{SK_ERR_NOMEM, NULL, "De server heeft het te druk. Probeer het over een paar minuten opnieuw.",
	 "The server is too busy. Try again in a few minutes."},
	{SK_ERR_INVALID, NULL, "Niet alle gegevens kloppen. Controleer het formulier.",
	 "Not everything is filled in correctly. Check the form."},
	{SK_ERR_VERIFY, NULL, "Een controle is mislukt. Neem contact op met uw beheerder.",
	 "A check failed. Contact your administrator."},
	{SK_ERR_PERM, NULL, "Dat mag u niet doen.", "You may not do that."},
	{SK_ERR_EXISTS, NULL, "Dit bestaat al.", "This already exists."},
	{SK_ERR_NOTFOUND, NULL, "Dit is niet gevonden.", "This was not found."},
	{SK_ERR_TOOBIG, NULL, "Dit is te groot of te veel.", "This is too large or too many."},
	{SK_ERR_DISKFULL, NULL, "De opslag van de server is vol. Neem contact op met uw beheerder.",
	 "The server's storage is full. Contact your administrator."},
};

static const char *const codes[SK_STATUS_COUNT] = {
	[SK_OK] = "ok",
	[SK_ERR_NOMEM] = "nomem",
	[SK_ERR_INVALID] = "invalid",
	[SK_ERR_VERIFY] = "verify",
	[SK_ERR_IO] = "io",
	[SK_ERR_PERM] = "perm",
	[SK_ERR_EXISTS] = "exists",
	[SK_ERR_NOTFOUND] = "notfound",
	[SK_ERR_TOOBIG] = "toobig",
	[SK_ERR_TRUNCATED] = "truncated",
	[SK_ERR_CRYPTO] = "crypto",
	[SK_ERR_DB] = "db",
	[SK_ERR_DISKFULL] = "diskfull",
	[SK_ERR_KEY] = "key",
	[SK_ERR_NOKEK] = "nokek",
	[SK_ERR_UNWRAPPED] = "unwrapped",
	[SK_ERR_WRAPPED] = "wrapped",
	[SK_ERR_BSN] = "bsn",
	[SK_ERR_IDENTITY] = "identity",
	[SK_ERR_FAILED] = "failed",
};

const char *msg_code(sk_status st)
{
	return (unsigned)st < SK_STATUS_COUNT && codes[st] != NULL ? codes[st] : "error";
}

sk_status msg_status(const char *code)
{
	for (size_t i = 0; code != NULL && i < SK_STATUS_COUNT; i++)
		if (codes[i] != NULL && strcmp(codes[i], code) == 0)
			return (sk_status)i;
	return SK_ERR_FAILED;
}

const char *msg_text(sk_status st, const char *detail, web_lang lang)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct msg_row *m = &rows[i];

		if (m->st != st)
			continue;
		if (m->pattern != NULL && (detail == NULL || strstr(detail, m->pattern) == NULL))
			continue;
		return lang == WEB_EN ? m->en : m->nl;
	}
	return lang == WEB_EN ? "Something went wrong. Try again; if it keeps happening, contact your administrator."
			      : "Er ging iets mis. Probeer het opnieuw; gebeurt het vaker, neem dan "
				"contact op met uw beheerder.";
}
