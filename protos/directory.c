#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "protos/directory.h"

const wire_dir_word wire_dir_services[] = {
	{"maatschappelijk-werk", "Maatschappelijk werk", "Social work"},
	{"schuldhulp", "Schuldhulpverlening", "Debt counselling"},
	{"ggz", "Geestelijke gezondheidszorg", "Mental health care"},
	{"verslavingszorg", "Verslavingszorg", "Addiction care"},
	{"jeugdhulp", "Jeugdhulp", "Youth care"},
	{"opvoedondersteuning", "Opvoedondersteuning", "Parenting support"},
	{"woonbegeleiding", "Woonbegeleiding", "Supported living"},
	{"maatschappelijke-opvang", "Maatschappelijke opvang", "Shelter"},
	{"dagbesteding", "Dagbesteding", "Day activities"},
	{"werk-inkomen", "Werk en inkomen", "Work and income"},
	{"huiselijk-geweld", "Huiselijk geweld", "Domestic violence"},
	{"mantelzorg", "Mantelzorgondersteuning", "Carer support"},
	{"meedoen", "Eenzaamheid en meedoen", "Loneliness and taking part"},
	{"crisis", "Crisisdienst", "Crisis service"},
	{"huisartsenzorg", "Huisartsenzorg", "General practice care"},
	{NULL, NULL, NULL},
};

const wire_dir_word wire_dir_target_groups[] = {
	{"kinderen", "Kinderen (0-12)", "Children (0-12)"},
	{"jongeren", "Jongeren (12-18)", "Young people (12-18)"},
	{"jongvolwassenen", "Jongvolwassenen (18-27)", "Young adults (18-27)"},
	{"volwassenen", "Volwassenen", "Adults"},
	{"ouderen", "Ouderen", "Older people"},
	{"gezinnen", "Gezinnen", "Families"},
	{"statushouders", "Statushouders", "Refugees with a residence permit"},
	{"mantelzorgers", "Mantelzorgers", "Carers"},
	{NULL, NULL, NULL},
};

const wire_dir_word *wire_dir_word_find(const wire_dir_word *vocab, const char *code)
{
	if (code == NULL)
		return NULL;
	for (; vocab->code != NULL; vocab++)
		if (strcmp(vocab->code, code) == 0)
			return vocab;
	return NULL;
}

/* Valid UTF-8 without control characters (tab and newline allowed where
 * multiline is set), at most max bytes; empty only when may_be_empty. */
static int text_ok(const char *s, size_t max, int multiline, int may_be_empty)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;

	if (s == NULL)
		return may_be_empty;
	len = strlen(s);
	if (len > max || (len == 0 && !may_be_empty))
		return 0;
	while (*p) {
		unsigned n, c = *p;

		if (c < 0x80) {
			if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) || c == 0x7f)
				return 0;
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return 0;
		for (unsigned i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
		    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
			return 0; /* overlong, surrogate, beyond U+10FFFF */
		if (c == 0xc2 && p[1] < 0xa0)
			return 0; /* C1 controls */
		p += n + 1;
	}
	return 1;
}

/* An org id or category: [a-z0-9.-], starting with [a-z0-9]. */
static int id_ok(const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;

	if (len == 0 || len > WIRE_DIR_ORG_MAX || !(islower((unsigned char)s[0]) ||
						    isdigit((unsigned char)s[0])))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '.' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

static sk_status bad(char *why, size_t whylen, sk_status st, const char *what)
{
	snprintf(why, whylen, "%s", what);
	return st;
}

static sk_status codes_check(char *const *codes, size_t n, const wire_dir_word *vocab,
			     const char *what, char *why, size_t whylen)
{
	if (n > WIRE_DIR_CODES_MAX) {
		snprintf(why, whylen, "at most %d %s are allowed", WIRE_DIR_CODES_MAX, what);
		return SK_ERR_TOOBIG;
	}
	for (size_t i = 0; i < n; i++) {
		if (wire_dir_word_find(vocab, codes[i]) == NULL) {
			snprintf(why, whylen, "'%.64s' is not one of the %s of the list (see --help)",
				 codes[i] ? codes[i] : "", what);
			return SK_ERR_INVALID;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(codes[i], codes[j]) == 0) {
				snprintf(why, whylen, "'%.64s' is listed twice among the %s",
					 codes[i], what);
				return SK_ERR_INVALID;
			}
	}
	return SK_OK;
}

sk_status wire_dir_check(const Schakel__V1__DirectoryRecord *r, char *why, size_t whylen)
{
	sk_status st;

	if (r->base.n_unknown_fields != 0)
		return bad(why, whylen, SK_ERR_INVALID, "the record has fields this version does "
							"not know");
	if (!id_ok(r->org_id) || !id_ok(r->category))
		return bad(why, whylen, SK_ERR_INVALID, "the record's org id or category is not "
							"valid");
	if (r->version == 0 || r->issued_at == 0)
		return bad(why, whylen, SK_ERR_INVALID, "the record has no version or date");
	if (!text_ok(r->display_name, WIRE_DIR_NAME_MAX, 0, 0))
		return bad(why, whylen, SK_ERR_INVALID, "the display name must be 1 to 64 bytes of "
							"text on one line");
	if (r->n_municipalities > WIRE_DIR_MUNICIPALITIES_MAX)
		return bad(why, whylen, SK_ERR_TOOBIG, "at most 32 municipalities are allowed");
	for (size_t i = 0; i < r->n_municipalities; i++)
		if (!text_ok(r->municipalities[i], WIRE_DIR_MUNICIPALITY_MAX, 0, 0))
			return bad(why, whylen, SK_ERR_INVALID, "a municipality must be 1 to 64 "
								"bytes of text on one line");
	if ((st = codes_check(r->services, r->n_services, wire_dir_services, "services", why,
			      whylen)) != SK_OK ||
	    (st = codes_check(r->target_groups, r->n_target_groups, wire_dir_target_groups,
			      "target groups", why, whylen)) != SK_OK)
		return st;
	if (!text_ok(r->services_text, WIRE_DIR_TEXT_MAX, 1, 1) ||
	    !text_ok(r->how_to_refer, WIRE_DIR_TEXT_MAX, 1, 1))
		return bad(why, whylen, SK_ERR_TOOBIG, "the services text and how to refer may "
						       "each hold at most 1000 bytes of text");
	if (r->has_waiting_weeks && r->waiting_weeks > WIRE_DIR_WEEKS_MAX)
		return bad(why, whylen, SK_ERR_INVALID, "the waiting time must be 0 to 104 weeks");
	if (r->has_waiting_weeks != r->has_waiting_date)
		return bad(why, whylen, SK_ERR_INVALID, "a waiting time needs its date, and a date "
							"its waiting time");
	if (r->n_wegwijzers > WIRE_DIR_CONTACTS_MAX)
		return bad(why, whylen, SK_ERR_TOOBIG, "at most 8 wegwijzers are allowed");
	for (size_t i = 0; i < r->n_wegwijzers; i++) {
		const Schakel__V1__DirectoryContact *c = r->wegwijzers[i];

		if (c->base.n_unknown_fields != 0 || !text_ok(c->name, WIRE_DIR_NAME_MAX, 0, 0) ||
		    !text_ok(c->role, WIRE_DIR_NAME_MAX, 0, 1) ||
		    !text_ok(c->phone, WIRE_DIR_PHONE_MAX, 0, 1) ||
		    !text_ok(c->email, WIRE_DIR_EMAIL_MAX, 0, 1))
			return bad(why, whylen, SK_ERR_INVALID,
				   "each wegwijzer needs a name (at most 64 bytes); role at most 64, "
				   "phone 32 and e-mail 128 bytes, each on one line");
	}
	return SK_OK;
}

sk_status wire_dir_parse(const uint8_t *buf, size_t len, Schakel__V1__DirectoryRecord **r,
			 char *why, size_t whylen)
{
	sk_status st;

	*r = NULL;
	if (len > WIRE_DIR_RECORD_MAX)
		return bad(why, whylen, SK_ERR_TOOBIG, "the record is larger than 8192 bytes");
	if ((*r = schakel__v1__directory_record__unpack(NULL, len, buf)) == NULL)
		return bad(why, whylen, SK_ERR_INVALID, "the record is malformed");
	if ((st = wire_dir_check(*r, why, whylen)) != SK_OK) {
		schakel__v1__directory_record__free_unpacked(*r, NULL);
		*r = NULL;
	}
	return st;
}

int wire_dir_stale(const Schakel__V1__DirectoryRecord *r, uint64_t now_ms)
{
	if (!r->has_waiting_weeks)
		return 0;
	return !r->has_waiting_date || r->waiting_date + WIRE_DIR_STALE_MS < now_ms;
}

static int has_code(char *const *codes, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(codes[i], code) == 0)
			return 1;
	return 0;
}

/* strcasestr for ASCII letters; other bytes compare exactly. */
static int contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (hay == NULL)
		return 0;
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

static int words_contain(char *const *codes, size_t n, const wire_dir_word *vocab,
			 const char *text)
{
	for (size_t i = 0; i < n; i++) {
		const wire_dir_word *w = wire_dir_word_find(vocab, codes[i]);

		if (w != NULL && (contains(w->nl, text) || contains(w->en, text)))
			return 1;
	}
	return 0;
}

static int text_match(const Schakel__V1__DirectoryRecord *r, const char *t)
{
	if (contains(r->display_name, t) || contains(r->services_text, t) ||
	    contains(r->how_to_refer, t) ||
	    words_contain(r->services, r->n_services, wire_dir_services, t) ||
	    words_contain(r->target_groups, r->n_target_groups, wire_dir_target_groups, t))
		return 1;
	for (size_t i = 0; i < r->n_municipalities; i++)
		if (contains(r->municipalities[i], t))
			return 1;
	return 0;
}

int wire_dir_match(const Schakel__V1__DirectoryRecord *r, const wire_dir_query *q)
{
	int found = 0;

	if (q->service != NULL && *q->service && !has_code(r->services, r->n_services, q->service))
		return 0;
	if (q->target_group != NULL && *q->target_group &&
	    !has_code(r->target_groups, r->n_target_groups, q->target_group))
		return 0;
	if (q->category != NULL && *q->category && strcasecmp(r->category, q->category) != 0)
		return 0;
	if (q->municipality != NULL && *q->municipality) {
		for (size_t i = 0; i < r->n_municipalities && !found; i++)
			found = strcasecmp(r->municipalities[i], q->municipality) == 0;
		if (!found)
			return 0;
	}
	return q->text == NULL || !*q->text || text_match(r, q->text);
}
