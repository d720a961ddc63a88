#include <ctype.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "crypto/bsn.h"
#include "node/textcheck.h"

#define RUN_MAX 64

static const char *const months[] = {
	"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
	"september", "oktober", "november", "december", "jan", "feb", "mrt", "apr", "jun",
	"jul", "aug", "sep", "okt", "nov", "dec", "january", "february", "march", "may",
	"june", "july", "august", "october",
};

static int is_sep(char c)
{
	return c == ' ' || c == '.' || c == '-';
}

/* A run of digit groups (single separators between them): does any
 * sequence of whole consecutive groups hold exactly nine digits passing
 * the elfproef? */
static int bsn_in_run(const uint8_t *d, const size_t *group_end, size_t groups)
{
	for (size_t g = 0; g < groups; g++) {
		size_t from = g == 0 ? 0 : group_end[g - 1];

		for (size_t h = g; h < groups; h++) {
			size_t count = group_end[h] - from;

			if (count == BSN_DIGITS && bsn_elfproef(d + from))
				return 1;
			if (count >= BSN_DIGITS)
				break;
		}
	}
	return 0;
}

static int month_word(const char *t, size_t len, size_t i)
{
	for (size_t m = 0; m < sizeof(months) / sizeof(months[0]); m++) {
		size_t l = strlen(months[m]);

		if (i + l <= len && strncasecmp(t + i, months[m], l) == 0 &&
		    (i + l == len || !isalpha((unsigned char)t[i + l])))
			return 1;
	}
	return 0;
}

static int digits_at(const char *t, size_t len, size_t i, size_t n)
{
	if (i + n > len || (i > 0 && isdigit((unsigned char)t[i - 1])))
		return 0;
	for (size_t k = 0; k < n; k++)
		if (!isdigit((unsigned char)t[i + k]))
			return 0;
	return i + n == len || !isdigit((unsigned char)t[i + n]);
}

/* d-m-yyyy, dd/mm/yyyy, yyyy-mm-dd, "12 maart 1980" */
static int date_at(const char *t, size_t len, size_t i)
{
	size_t a, b;

	if (digits_at(t, len, i, 4) && i + 5 < len && strchr("-/.", t[i + 4]) != NULL) {
		for (b = 1; b <= 2; b++)
			if (digits_at(t, len, i + 5, b) && i + 5 + b < len && t[i + 5 + b] == t[i + 4])
				for (a = 1; a <= 2; a++)
					if (digits_at(t, len, i + 6 + b, a))
						return 1;
	}
	for (a = 1; a <= 2; a++) {
		if (!digits_at(t, len, i, a) || i + a >= len)
			continue;
		if (strchr("-/.", t[i + a]) != NULL) {
			char sep = t[i + a];

			for (b = 1; b <= 2; b++)
				if (digits_at(t, len, i + a + 1, b) && i + a + 1 + b < len &&
				    t[i + a + 1 + b] == sep &&
				    (digits_at(t, len, i + a + 2 + b, 4) ||
				     digits_at(t, len, i + a + 2 + b, 2)))
					return 1;
		}
		if (t[i + a] == ' ' && month_word(t, len, i + a + 1)) {
			size_t j = i + a + 1;

			while (j < len && isalpha((unsigned char)t[j]))
				j++;
			if (j < len && t[j] == ' ' && digits_at(t, len, j + 1, 4))
				return 1;
		}
	}
	return 0;
}

/* A Dutch postcode "1234 AB" / "1234AB" next to a house number. */
static int address_at(const char *t, size_t len, size_t i)
{
	size_t j;

	if (!digits_at(t, len, i, 4) || t[i] == '0')
		return 0;
	j = i + 4;
	if (j < len && t[j] == ' ')
		j++;
	if (j + 2 > len || !isalpha((unsigned char)t[j]) || !isalpha((unsigned char)t[j + 1]) ||
	    (j + 2 < len && isalpha((unsigned char)t[j + 2])))
		return 0;
	/* a house number shortly after, or just before */
	for (size_t k = j + 2; k < len && k < j + 8; k++)
		if (isdigit((unsigned char)t[k]))
			return 1;
	for (size_t k = i; k > 0 && k + 30 > i; k--)
		if (isdigit((unsigned char)t[k - 1]))
			return 1;
	return 0;
}

node_text_verdict node_text_check(const char *t, size_t len, size_t *where)
{
	node_text_verdict v = NODE_TEXT_OK;
	size_t found = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t d[RUN_MAX];
		size_t n = 0, j = i, groups = 0, group_end[RUN_MAX];

		if (!isdigit((unsigned char)t[i]) || (i > 0 && isdigit((unsigned char)t[i - 1])))
			continue;
		/* digit groups with single separators between them */
		while (j < len && n < RUN_MAX) {
			if (isdigit((unsigned char)t[j])) {
				d[n++] = (uint8_t)(t[j] - '0');
				j++;
				if (j == len || !isdigit((unsigned char)t[j]))
					group_end[groups++] = n;
			} else if (is_sep(t[j]) && j + 1 < len && isdigit((unsigned char)t[j + 1])) {
				j++;
			} else {
				break;
			}
		}
		if (n == RUN_MAX && (j < len && isdigit((unsigned char)t[j])))
			group_end[groups++] = n; /* a run cut at the cap: its last group */
		if (bsn_in_run(d, group_end, groups)) {
			sodium_memzero(d, sizeof(d));
			if (where != NULL)
				*where = i;
			return NODE_TEXT_BSN;
		}
		sodium_memzero(d, sizeof(d));
		if (v < NODE_TEXT_DATE && date_at(t, len, i)) {
			v = NODE_TEXT_DATE;
			found = i;
		} else if (v == NODE_TEXT_OK && address_at(t, len, i)) {
			v = NODE_TEXT_ADDRESS;
			found = i;
		}
	}
	if (where != NULL)
		*where = found;
	return v;
}

const char *node_text_verdict_msg(node_text_verdict v)
{
	switch (v) {
	case NODE_TEXT_BSN:
		return "the text holds a BSN; remove it: a case discussion is anonymous";
	case NODE_TEXT_DATE:
		return "the text holds a date that may be a date of birth; send it only with --yes";
	case NODE_TEXT_ADDRESS:
		return "the text holds a postcode and house number; send it only with --yes";
	default:
		return "the text holds no BSN, date or address";
	}
}

int node_text_valid(const char *s, size_t max)
{
	size_t n = s != NULL ? strnlen(s, max + 1) : 0;
	json_t *probe;

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	/* jansson refuses invalid UTF-8 */
	probe = json_string(s);
	json_decref(probe);
	return probe != NULL;
}
