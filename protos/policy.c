#include <stdio.h>
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

/* ---- text form -------------------------------------------------------- */

/* The next line of text[*at .. len) into line (NUL-terminated, without
 * its newline); 0 at the end, -1 for a line longer than cap - 1. */
static int next_line(const char *text, size_t len, size_t *at, char *line, size_t cap)
{
	size_t n = 0;

	if (*at >= len)
		return 0;
	while (*at < len && text[*at] != '\n') {
		if (n + 1 >= cap)
			return -1;
		line[n++] = text[(*at)++];
	}
	if (*at < len)
		(*at)++;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = 0;
	return 1;
}

/* Splits a line "name: seen ..." at its colon into *name and *rest: 1;
 * -1 for a line to skip (blank, comment); 0 for one without a colon. */
static int split_line(char *line, char **name, char **rest)
{
	char *colon, *end;

	*name = line;
	while (**name == ' ' || **name == '\t')
		(*name)++;
	if (**name == 0 || **name == '#')
		return -1;
	if ((colon = strchr(*name, ':')) == NULL)
		return 0;
	*colon = 0;
	for (end = colon; end > *name && (end[-1] == ' ' || end[-1] == '\t'); end--)
		end[-1] = 0;
	*rest = colon + 1;
	return 1;
}

static sk_status parse_bad(wire_policy *p, unsigned line, const char *why)
{
	memset(p, 0, sizeof(*p));
	sk_error_set("policy line %u: %s", line, why);
	return SK_ERR_INVALID;
}

sk_status wire_policy_parse(wire_policy *p, const char *text, size_t len)
{
	char line[WIRE_POLICY_MAX * (WIRE_CATEGORY_MAX + 2) + 128], *rest, *name;
	size_t at = 0;
	unsigned no = 0;
	int r;

	memset(p, 0, sizeof(*p));
	if (memchr(text, 0, len) != NULL) {
		sk_error_set("the policy holds a NUL byte");
		return SK_ERR_INVALID;
	}
	/* first the categories, in the order of their lines */
	while ((r = next_line(text, len, &at, line, sizeof(line))) != 0) {
		no++;
		if (r < 0)
			return parse_bad(p, no, "too long");
		if ((r = split_line(line, &name, &rest)) < 0)
			continue;
		if (r == 0)
			return parse_bad(p, no, "expected 'category: the categories it may see'");
		if (!valid_name(name))
			return parse_bad(p, no, "a category is lowercase letters, digits and '-'");
		if (wire_policy_index(p, name) >= 0)
			return parse_bad(p, no, "this category has a line already");
		if (p->n == WIRE_POLICY_MAX)
			return parse_bad(p, no, "more categories than a federation may have");
		add(p, name);
	}
	if (p->n == 0)
		return parse_bad(p, no, "no category");
	/* then what each may see */
	at = 0;
	no = 0;
	for (size_t i = 0; next_line(text, len, &at, line, sizeof(line)) > 0;) {
		no++;
		if (split_line(line, &name, &rest) < 0)
			continue;
		for (char *save = NULL, *t = strtok_r(rest, " \t", &save); t != NULL;
		     t = strtok_r(NULL, " \t", &save)) {
			int j = wire_policy_index(p, t);

			if (j < 0)
				return parse_bad(p, no, "a category seen needs a line of its own");
			p->sees[i] |= 1u << j;
		}
		i++;
	}
	return SK_OK;
}

sk_status wire_policy_format(char *out, size_t cap, size_t *len, const wire_policy *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++) {
		int w = snprintf(out + n, cap - n, "%s:", p->name[i]);

		if (w < 0 || (size_t)w >= cap - n)
			return SK_ERR_TOOBIG;
		n += (size_t)w;
		for (size_t j = 0; j < p->n; j++) {
			if (!(p->sees[i] >> j & 1u))
				continue;
			w = snprintf(out + n, cap - n, " %s", p->name[j]);
			if (w < 0 || (size_t)w >= cap - n)
				return SK_ERR_TOOBIG;
			n += (size_t)w;
		}
		if (n + 1 >= cap)
			return SK_ERR_TOOBIG;
		out[n++] = '\n';
		out[n] = 0;
	}
	if (cap == 0)
		return SK_ERR_TOOBIG;
	out[n] = 0;
	*len = n;
	return SK_OK;
}
