#include <string.h>

#include "protos/policy.h"

static const char *const care[] = {
	"sociaal-team", "ggz", "fact", "verslavingszorg", "huisarts-poh",
	"maatschappelijke-opvang", "jeugd", "schuldhulp",
};
static const char *const closed[] = {"gemeente", "woningcorporatie"};
static const char *const social[] = {"sociaal-team", "jeugd", "schuldhulp",
				     "maatschappelijke-opvang"};

static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > WIRE_CATEGORY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

int wire_policy_index(const wire_policy *p, const char *category)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->name[i], category) == 0)
			return (int)i;
	return -1;
}

int wire_policy_sees(const wire_policy *p, const char *a, const char *b)
{
	int i = wire_policy_index(p, a), j = wire_policy_index(p, b);

	return i >= 0 && j >= 0 && (p->sees[i] >> j & 1u);
}

static void add(wire_policy *p, const char *name)
{
	memcpy(p->name[p->n], name, strlen(name) + 1);
	p->n++;
}

void wire_policy_default(wire_policy *p)
{
	const size_t ncare = sizeof(care) / sizeof(care[0]);

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < ncare; i++)
		add(p, care[i]);
	for (size_t i = 0; i < sizeof(closed) / sizeof(closed[0]); i++)
		add(p, closed[i]);
	for (size_t i = 0; i < ncare; i++)
		p->sees[i] = (1u << ncare) - 1;
}

sk_status wire_policy_from_rules(wire_policy *p, Schakel__V1__PolicyRule *const *rules, size_t n)
{
	memset(p, 0, sizeof(*p));
	if (n > WIRE_POLICY_MAX)
		return SK_ERR_INVALID;
	/* every rule names a category; visible lists may name only those */
	for (size_t i = 0; i < n; i++) {
		if (rules[i]->category == NULL || !valid_name(rules[i]->category) ||
		    wire_policy_index(p, rules[i]->category) >= 0)
			goto bad;
		add(p, rules[i]->category);
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < rules[i]->n_visible; k++) {
			int j = wire_policy_index(p, rules[i]->visible[k]);

			if (j < 0)
				goto bad;
			p->sees[i] |= 1u << j;
		}
	}
	return SK_OK;
bad:
	memset(p, 0, sizeof(*p));
	return SK_ERR_INVALID;
}

void wire_policy_to_rules(wire_policy_rules *out, wire_policy *p, size_t *n)
{
	for (size_t i = 0; i < p->n; i++) {
		size_t k = 0;

		schakel__v1__policy_rule__init(&out->rule[i]);
		out->rule[i].category = p->name[i];
		for (size_t j = 0; j < p->n; j++)
			if (p->sees[i] >> j & 1u)
				out->visible[i][k++] = p->name[j];
		out->rule[i].n_visible = k;
		out->rule[i].visible = out->visible[i];
		out->ptr[i] = &out->rule[i];
	}
	*n = p->n;
}

const char *const wire_purpose_codes[] = {
	"afstemming", /* aligning care between involved professionals */
	"signaal",    /* a worrying signal to share */
	"regie",      /* deciding who coordinates */
	"crisis",     /* acute risk; reviewed afterwards */
	"overdracht", /* hand-over to another organisation */
	"nazorg",     /* aftercare */
	NULL,
};

int wire_purpose_valid(const char *code)
{
	for (size_t i = 0; code != NULL && wire_purpose_codes[i] != NULL; i++)
		if (strcmp(code, wire_purpose_codes[i]) == 0)
			return 1;
	return 0;
}

int wire_policy_invites(const wire_policy *p, const char *requester, const char *invitee)
{
	int j = wire_policy_index(p, invitee);

	if (wire_policy_sees(p, requester, invitee) && wire_policy_sees(p, invitee, requester))
		return 1;
	if (j < 0 || p->sees[j] != 0 || wire_policy_index(p, requester) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(social) / sizeof(social[0]); i++)
		if (strcmp(requester, social[i]) == 0)
			return 1;
	return 0;
}
