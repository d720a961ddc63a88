#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "protos/domains.h"
#include "protos/table.h"

static int id_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

static int hex_id_ok(const char *s)
{
	if (s == NULL || strlen(s) != WIRE_TABLE_ID_HEX)
		return 0;
	for (size_t i = 0; i < WIRE_TABLE_ID_HEX; i++)
		if (!((s[i] >= 'a' && s[i] <= 'f') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* UTF-8 text of 0..max bytes (at least min) without control characters. */
static int text_ok(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static sk_status bad(const char *why)
{
	sk_error_set("table record: %s", why);
	return SK_ERR_INVALID;
}

static sk_status body_check(const Schakel__V1__TableRecordBody *b)
{
	int create = b->action == SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE;
	int regisseur = b->action == SCHAKEL__V1__TABLE_ACTION__TABLE_REGISSEUR;

	if (b->base.n_unknown_fields != 0)
		return bad("fields this version does not know");
	if (!hex_id_ok(b->table_id))
		return bad("the table id is not 32 lowercase hex characters");
	if (!id_ok(b->org_id, WIRE_TABLE_ORG_MAX))
		return bad("the org id is malformed");
	if (b->seq == 0 || b->seq > WIRE_TABLE_RECORDS_MAX || (create != (b->seq == 1)))
		return bad("the sequence number does not fit the action");
	if (create) {
		if (!text_ok(b->name, 1, WIRE_TABLE_NAME_MAX))
			return bad("the name is empty, too long or holds control characters");
		if (b->rhythm != NULL && !text_ok(b->rhythm, 0, WIRE_TABLE_RHYTHM_MAX))
			return bad("the meeting rhythm is too long or holds control characters");
		if (b->n_members >= WIRE_TABLE_ORGS_MAX)
			return bad("too many member orgs");
		for (size_t i = 0; i < b->n_members; i++) {
			if (!id_ok(b->members[i], WIRE_TABLE_ORG_MAX) ||
			    strcmp(b->members[i], b->org_id) == 0)
				return bad("a member org id is malformed or the host's own");
			for (size_t j = 0; j < i; j++)
				if (strcmp(b->members[i], b->members[j]) == 0)
					return bad("a member org is named twice");
		}
	} else if (b->name != NULL || b->rhythm != NULL || b->has_open || b->n_members > 0) {
		return bad("a membership change carries a table's definition");
	}
	if (create || regisseur) {
		if (b->regisseur == NULL || b->regisseur->base.n_unknown_fields != 0 ||
		    !id_ok(b->regisseur->org_id, WIRE_TABLE_ORG_MAX) ||
		    !id_ok(b->regisseur->professional, WIRE_TABLE_PROF_MAX))
			return bad("the procesregisseur is missing or malformed");
	} else if (b->regisseur != NULL) {
		return bad("a join or leave names a procesregisseur");
	}
	return SK_OK;
}

sk_status wire_table_body_parse(Schakel__V1__TableRecordBody **out, const uint8_t *body,
				size_t len)
{
	Schakel__V1__TableRecordBody *b = NULL;
	sk_status st;

	*out = NULL;
	if (len == 0 || len > WIRE_TABLE_BODY_MAX)
		return bad("the record is empty or over its size cap");
	if ((b = schakel__v1__table_record_body__unpack(NULL, len, body)) == NULL)
		return bad("the record does not parse");
	if ((st = body_check(b)) != SK_OK) {
		schakel__v1__table_record_body__free_unpacked(b, NULL);
		return st;
	}
	*out = b;
	return SK_OK;
}

static int org_index(const wire_table *t, const char *org)
{
	for (size_t i = 0; i < t->n_orgs; i++)
		if (strcmp(t->orgs[i].id, org) == 0)
			return (int)i;
	return -1;
}

wire_table_org_state wire_table_org(const wire_table *t, const char *org)
{
	int i = org_index(t, org);

	return i < 0 ? 0 : t->orgs[i].state;
}

int wire_table_is_regisseur(const wire_table *t, const char *org, const char *prof)
{
	for (size_t i = 0; i < t->n_regisseurs; i++)
		if (strcmp(t->regisseurs[i].org, org) == 0 &&
		    (prof == NULL || strcmp(t->regisseurs[i].prof, prof) == 0))
			return 1;
	return 0;
}

int wire_table_visible(const wire_table *t, const char *org)
{
	return t->seq > 0 && (t->open || org_index(t, org) >= 0);
}

const char *wire_table_action_name(Schakel__V1__TableAction a)
{
	switch (a) {
	case SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE:
		return "create";
	case SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN:
		return "join";
	case SCHAKEL__V1__TABLE_ACTION__TABLE_LEAVE:
		return "leave";
	case SCHAKEL__V1__TABLE_ACTION__TABLE_REGISSEUR:
		return "regisseur";
	default:
		return "unknown";
	}
}

static sk_status perm(const char *why)
{
	sk_error_set("table record: %s", why);
	return SK_ERR_PERM;
}

sk_status wire_table_apply(wire_table *t, const Schakel__V1__TableRecordBody *b)
{
	int i;

	if (t->seq == 0 && b->action != SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE)
		return bad("a table begins with its creation");
	if (t->seq != 0 && strcmp(t->id, b->table_id) != 0)
		return bad("the record belongs to another table");
	if (b->seq != t->seq + 1) {
		sk_error_set("table record: seq %llu is not the table's next (%llu)",
			     (unsigned long long)b->seq, (unsigned long long)t->seq + 1);
		return SK_ERR_EXISTS;
	}
	switch (b->action) {
	case SCHAKEL__V1__TABLE_ACTION__TABLE_CREATE:
		if (strcmp(b->regisseur->org_id, b->org_id) != 0)
			return perm("the first procesregisseur is not the host's");
		memset(t, 0, sizeof(*t));
		snprintf(t->id, sizeof(t->id), "%s", b->table_id);
		snprintf(t->host, sizeof(t->host), "%s", b->org_id);
		snprintf(t->name, sizeof(t->name), "%s", b->name);
		snprintf(t->rhythm, sizeof(t->rhythm), "%s", b->rhythm ? b->rhythm : "");
		t->open = b->has_open && b->open;
		t->created_at = b->time;
		snprintf(t->orgs[0].id, sizeof(t->orgs[0].id), "%s", b->org_id);
		t->orgs[0].state = WIRE_TABLE_MEMBER;
		for (size_t j = 0; j < b->n_members; j++) {
			snprintf(t->orgs[j + 1].id, sizeof(t->orgs[j + 1].id), "%s", b->members[j]);
			t->orgs[j + 1].state = WIRE_TABLE_INVITED;
		}
		t->n_orgs = b->n_members + 1;
		snprintf(t->regisseurs[0].org, sizeof(t->regisseurs[0].org), "%s", b->org_id);
		snprintf(t->regisseurs[0].prof, sizeof(t->regisseurs[0].prof), "%s",
			 b->regisseur->professional);
		t->n_regisseurs = 1;
		break;
	case SCHAKEL__V1__TABLE_ACTION__TABLE_JOIN:
		if ((i = org_index(t, b->org_id)) < 0 || t->orgs[i].state == WIRE_TABLE_MEMBER)
			return perm("only an invited org that is not a member may join");
		t->orgs[i].state = WIRE_TABLE_MEMBER;
		break;
	case SCHAKEL__V1__TABLE_ACTION__TABLE_LEAVE:
		if ((i = org_index(t, b->org_id)) < 0 || t->orgs[i].state != WIRE_TABLE_MEMBER)
			return perm("only a member may leave");
		if (i == 0)
			return perm("the host cannot leave its own table");
		t->orgs[i].state = WIRE_TABLE_LEFT;
		for (size_t j = 0; j < t->n_regisseurs;) {
			if (strcmp(t->regisseurs[j].org, b->org_id) == 0) {
				memmove(&t->regisseurs[j], &t->regisseurs[j + 1],
					(t->n_regisseurs - j - 1) * sizeof(t->regisseurs[0]));
				t->n_regisseurs--;
			} else {
				j++;
			}
		}
		break;
	case SCHAKEL__V1__TABLE_ACTION__TABLE_REGISSEUR:
		if (strcmp(b->org_id, t->host) != 0 && !wire_table_is_regisseur(t, b->org_id, NULL))
			return perm("only the host or an org with a procesregisseur may add one");
		if (wire_table_org(t, b->regisseur->org_id) != WIRE_TABLE_MEMBER)
			return perm("a procesregisseur works at a member org");
		if (wire_table_is_regisseur(t, b->regisseur->org_id, b->regisseur->professional))
			return bad("that professional is a procesregisseur already");
		if (t->n_regisseurs == WIRE_TABLE_REGISSEURS_MAX)
			return bad("the table has as many procesregisseurs as it may");
		snprintf(t->regisseurs[t->n_regisseurs].org, sizeof(t->regisseurs[0].org), "%s",
			 b->regisseur->org_id);
		snprintf(t->regisseurs[t->n_regisseurs].prof, sizeof(t->regisseurs[0].prof), "%s",
			 b->regisseur->professional);
		t->n_regisseurs++;
		break;
	default:
		return bad("unknown action");
	}
	t->seq = b->seq;
	return SK_OK;
}

/* ---- intake ---------------------------------------------------------------- */

const char *const wire_table_domains[] = {
	"wonen", "financien", "werk-en-opleiding", "daginvulling", "psychische-gezondheid",
	"lichamelijke-gezondheid", "verslaving", "sociaal-netwerk", "huiselijke-relaties",
	"opvoeding", "veiligheid-en-justitie", "zelfzorg", NULL,
};

const char *const wire_table_urgencies[] = {"hoog", "gemiddeld", "laag", NULL};

static int listed(const char *const *list, const char *s)
{
	for (size_t i = 0; s != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* UTF-8 text (checked by protobuf-c) of min..max bytes: control
 * characters only as newline or tab. */
static int long_text_ok(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t') || s[i] == 0x7f)
			return 0;
	return 1;
}

static sk_status case_bad(const char *why)
{
	sk_error_set("table case: %s", why);
	return SK_ERR_INVALID;
}

static sk_status case_check(const Schakel__V1__TableCaseBody *b)
{
	sk_status st = SK_OK;

	if (b->base.n_unknown_fields != 0)
		st = case_bad("fields this version does not know");
	else if (!long_text_ok(b->question, 1, WIRE_TABLE_CASE_TEXT_MAX))
		st = case_bad("the question is empty or too long");
	else if (b->tried != NULL && !long_text_ok(b->tried, 0, WIRE_TABLE_CASE_TEXT_MAX))
		st = case_bad("what was tried is too long");
	else if (!listed(wire_table_urgencies, b->urgency))
		st = case_bad("the urgency is not hoog, gemiddeld or laag");
	else if (b->n_domains > WIRE_TABLE_CASE_LIST_MAX || b->n_parties > WIRE_TABLE_CASE_LIST_MAX ||
		 b->n_participants > WIRE_TABLE_ORGS_MAX * 2)
		st = case_bad("too many life domains, parties or participants");
	else if (!id_ok(b->professional, WIRE_TABLE_PROF_MAX) ||
		 !text_ok(b->name, 1, WIRE_TABLE_CASE_SHORT_MAX) ||
		 (b->role != NULL && !text_ok(b->role, 0, WIRE_TABLE_CASE_SHORT_MAX)) ||
		 (b->phone != NULL && !text_ok(b->phone, 0, WIRE_TABLE_CASE_SHORT_MAX)) ||
		 (b->email != NULL && !text_ok(b->email, 0, WIRE_TABLE_CASE_SHORT_MAX)))
		st = case_bad("the submitting professional is missing or malformed");
	else if (b->has_match_tag != b->has_tag_epoch ||
		 (b->has_match_tag && b->match_tag.len != WIRE_TABLE_TAG_BYTES))
		st = case_bad("the match tag is malformed");
	for (size_t i = 0; st == SK_OK && i < b->n_domains; i++)
		if (!listed(wire_table_domains, b->domains[i]))
			st = case_bad("a life domain is not on the list");
	for (size_t i = 0; st == SK_OK && i < b->n_parties; i++)
		if (!id_ok(b->parties[i], WIRE_TABLE_ORG_MAX))
			st = case_bad("a kind of party is not a category name");
	for (size_t i = 0; st == SK_OK && i < b->n_participants; i++)
		if (!id_ok(b->participants[i], WIRE_TABLE_ORG_MAX))
			st = case_bad("a participant is not an org id");
	return st;
}

sk_status wire_table_case_parse(Schakel__V1__TableCaseBody **out, const uint8_t *body,
				size_t len)
{
	Schakel__V1__TableCaseBody *b = NULL;
	sk_status st;

	*out = NULL;
	if (len == 0 || len > WIRE_TABLE_CASE_BODY_MAX)
		return case_bad("empty or over its size cap");
	if ((b = schakel__v1__table_case_body__unpack(NULL, len, body)) == NULL)
		return case_bad("does not parse");
	if ((st = case_check(b)) != SK_OK) {
		schakel__v1__table_case_body__free_unpacked(b, NULL);
		return st;
	}
	*out = b;
	return SK_OK;
}

int wire_table_date_ok(const char *s)
{
	int y, m, d;
	char tail;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return y >= 2000 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

sk_status wire_table_message_parse(Schakel__V1__TableMessageBody **out, const uint8_t *body,
				   size_t len)
{
	Schakel__V1__TableMessageBody *b = NULL;
	sk_status st = SK_OK;

	*out = NULL;
	if (len == 0 || len > WIRE_TABLE_MESSAGE_MAX)
		return case_bad("a message is empty or over its size cap");
	if ((b = schakel__v1__table_message_body__unpack(NULL, len, body)) == NULL)
		return case_bad("a message does not parse");
	if (b->base.n_unknown_fields != 0 || !id_ok(b->professional, WIRE_TABLE_PROF_MAX) ||
	    !text_ok(b->name, 1, WIRE_TABLE_CASE_SHORT_MAX) ||
	    (b->role != NULL && !text_ok(b->role, 0, WIRE_TABLE_CASE_SHORT_MAX)) ||
	    (b->text != NULL && !long_text_ok(b->text, 1, WIRE_TABLE_CASE_TEXT_MAX)))
		st = case_bad("a message's sender or text is malformed");
	else if (b->kind != SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP &&
		 (b->n_subgroup_orgs != 0 || b->mandate != NULL || b->until != NULL ||
		  (b->subgroup != NULL &&
		   b->kind != SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT)))
		st = case_bad("only a subgroup names orgs, a mandate and its end date");
	else
		switch (b->kind) {
		case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT:
			if (b->text == NULL ||
			    (b->subgroup != NULL && !wire_table_subgroup_id_ok(b->subgroup)))
				st = case_bad("a message without text, or to a malformed subgroup");
			break;
		case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP:
			if (b->text != NULL || !wire_table_subgroup_id_ok(b->subgroup) ||
			    !wire_table_subgroup_orgs_ok((const char *const *)b->subgroup_orgs,
							 b->n_subgroup_orgs) ||
			    (b->mandate != NULL &&
			     !long_text_ok(b->mandate, 1, WIRE_TABLE_CASE_TEXT_MAX)) ||
			    (b->until != NULL && !wire_table_date_ok(b->until)))
				st = case_bad("a subgroup needs its id, 2 or more distinct orgs, a "
					      "mandate within its cap and an end date as YYYY-MM-DD");
			break;
		case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SCHEDULE:
			if (!wire_table_date_ok(b->date))
				st = case_bad("a schedule without a date YYYY-MM-DD");
			break;
		case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_INVITE:
			if (!id_ok(b->invite_org, WIRE_TABLE_ORG_MAX) || b->case_ == NULL ||
			    b->case_->has_match_tag || case_check(b->case_) != SK_OK)
				st = case_bad("an invitation without its org or its case (without tag)");
			break;
		case SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_OUTCOME:
			if (b->text == NULL || !id_ok(b->regie_org, WIRE_TABLE_ORG_MAX) ||
			    !id_ok(b->regie_professional, WIRE_TABLE_PROF_MAX) ||
			    !id_ok(b->routed_to, WIRE_TABLE_ORG_MAX) ||
			    (b->evaluate != NULL && !wire_table_date_ok(b->evaluate)))
				st = case_bad("an outcome needs the regievoerder, where it was routed "
					      "and the outcome; an evaluation date as YYYY-MM-DD");
			break;
		default:
			st = case_bad("a message of an unknown kind");
		}
	if (st != SK_OK) {
		schakel__v1__table_message_body__free_unpacked(b, NULL);
		return st;
	}
	*out = b;
	return SK_OK;
}

int wire_table_subgroup_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n != WIRE_TABLE_SUBGROUP_ID_HEX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int wire_table_subgroup_orgs_ok(const char *const *orgs, size_t n)
{
	if (n < 2 || n > WIRE_TABLE_PARTICIPANTS_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!id_ok(orgs[i], WIRE_TABLE_ORG_MAX))
			return 0;
		for (size_t k = 0; k < i; k++)
			if (strcmp(orgs[k], orgs[i]) == 0)
				return 0;
	}
	return 1;
}

int wire_table_subgroup_orgs_in(const char *const *orgs, size_t n, const char *org)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(orgs[i], org) == 0)
			return 1;
	return 0;
}

void wire_table_message_context(uint8_t out[static WIRE_TABLE_CASE_CONTEXT_BYTES],
				const char *table_id,
				const uint8_t case_id[static WIRE_TABLE_CASE_ID_BYTES], uint64_t seq)
{
	memcpy(out, table_id, WIRE_TABLE_ID_HEX);
	memcpy(out + WIRE_TABLE_ID_HEX, case_id, WIRE_TABLE_CASE_ID_BYTES);
	for (int i = 7; i >= 0; i--, seq >>= 8)
		out[WIRE_TABLE_ID_HEX + WIRE_TABLE_CASE_ID_BYTES + i] = (uint8_t)seq;
}

void wire_table_case_context(uint8_t out[static WIRE_TABLE_CASE_CONTEXT_BYTES],
			     const char *table_id,
			     const uint8_t case_id[static WIRE_TABLE_CASE_ID_BYTES])
{
	memcpy(out, table_id, WIRE_TABLE_ID_HEX);
	memcpy(out + WIRE_TABLE_ID_HEX, case_id, WIRE_TABLE_CASE_ID_BYTES);
	memset(out + WIRE_TABLE_ID_HEX + WIRE_TABLE_CASE_ID_BYTES, 0, 8);
}

void wire_table_tag(uint8_t out[static WIRE_TABLE_TAG_BYTES],
		    const uint8_t token[static WIRE_TABLE_TOKEN_BYTES], const char *table_id,
		    const uint8_t case_id[static WIRE_TABLE_CASE_ID_BYTES])
{
	crypto_auth_hmacsha256_state h;

	crypto_auth_hmacsha256_init(&h, token, WIRE_TABLE_TOKEN_BYTES);
	crypto_auth_hmacsha256_update(&h, (const uint8_t *)WIRE_DOMAIN_TABLE_TAG,
				      strlen(WIRE_DOMAIN_TABLE_TAG));
	crypto_auth_hmacsha256_update(&h, (const uint8_t *)table_id, strlen(table_id));
	crypto_auth_hmacsha256_update(&h, case_id, WIRE_TABLE_CASE_ID_BYTES);
	crypto_auth_hmacsha256_final(&h, out);
	sodium_memzero(&h, sizeof(h));
}
