#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/file.h"

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Trims blanks at both ends of [*s, *s + *n). */
static void trim(char **s, size_t *n)
{
	while (*n > 0 && blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && blank((*s)[*n - 1]))
		(*n)--;
}

static int name_ok(const char *s, size_t n)
{
	if (n == 0 || n > SK_CONFIG_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0)))
			return 0;
	}
	return 1;
}

/* One line (without its newline) into e; 0 for a blank or comment line. */
static sk_status parse_line(char *s, size_t n, unsigned line, sk_config_entry *e, int *got)
{
	char *eq, *name, *value;
	size_t nn, vn;

	*got = 0;
	trim(&s, &n);
	if (n == 0 || s[0] == '#')
		return SK_OK;
	eq = memchr(s, '=', n);
	if (eq == NULL) {
		sk_error_set("line %u: expected 'name = value' (or a # comment)", line);
		return SK_ERR_INVALID;
	}
	name = s;
	nn = (size_t)(eq - s);
	value = eq + 1;
	vn = n - nn - 1;
	trim(&name, &nn);
	trim(&value, &vn);
	if (!name_ok(name, nn)) {
		sk_error_set("line %u: the name before '=' must be an option's name without its "
			     "dashes (lower-case letters, digits and '-'), e.g. 'dir = /var/lib/x'",
			     line);
		return SK_ERR_INVALID;
	}
	name[nn] = '\0';
	value[vn] = '\0';
	e->name = name;
	e->value = value;
	e->line = line;
	*got = 1;
	return SK_OK;
}

sk_status sk_config_parse(sk_config **out, const char *text, size_t len)
{
	sk_config *c = NULL;
	sk_status st = SK_OK;
	size_t pos = 0;
	unsigned line = 0;

	*out = NULL;
	if (len > SK_CONFIG_FILE_MAX) {
		sk_error_set("larger than %d bytes", SK_CONFIG_FILE_MAX);
		return SK_ERR_TOOBIG;
	}
	if (memchr(text, '\0', len) != NULL) {
		sk_error_set("a NUL byte: not a text file");
		return SK_ERR_INVALID;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->text = malloc(len + 1)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	memcpy(c->text, text, len);
	c->text[len] = '\0';
	while (pos < len) {
		char *s = c->text + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;
		sk_config_entry e;
		int got;

		line++;
		pos += n + 1;
		if (n > SK_CONFIG_LINE_MAX) {
			sk_error_set("line %u is longer than %d bytes", line, SK_CONFIG_LINE_MAX);
			st = SK_ERR_TOOBIG;
			goto out;
		}
		if ((st = parse_line(s, n, line, &e, &got)) != SK_OK)
			goto out;
		if (!got)
			continue;
		if (c->n == SK_CONFIG_ENTRIES_MAX) {
			sk_error_set("line %u: more than %d settings", line, SK_CONFIG_ENTRIES_MAX);
			st = SK_ERR_TOOBIG;
			goto out;
		}
		if (c->entries == NULL &&
		    (c->entries = calloc(SK_CONFIG_ENTRIES_MAX, sizeof(*c->entries))) == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
		c->entries[c->n++] = e;
	}
out:
	if (st != SK_OK) {
		sk_config_free(c);
		return st;
	}
	*out = c;
	return SK_OK;
}

sk_status sk_config_load(sk_config **out, const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;
	sk_status st;

	*out = NULL;
	if ((st = sk_file_read_trusted(path, SK_CONFIG_FILE_MAX, &data, &len)) != SK_OK)
		return st;
	if ((st = sk_config_parse(out, (const char *)data, len)) != SK_OK) {
		char detail[256];

		snprintf(detail, sizeof(detail), "%s", sk_error_detail());
		/* "F line 3: ..." like the command-line messages, else "F: ..." */
		sk_error_set(strncmp(detail, "line ", 5) == 0 ? "%s %s" : "%s: %s", path, detail);
	}
	free(data);
	return st;
}

void sk_config_free(sk_config *c)
{
	if (c == NULL)
		return;
	free(c->entries);
	free(c->text);
	free(c);
}
