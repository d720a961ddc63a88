/* schakel-node table: argument parsing for case tables (casustafel). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "common/db.h"
#include "node/cli.h"
#include "node/discuss.h"
#include "node/members.h"
#include "node/professional.h"
#include "node/session.h"
#include "common/file.h"
#include "common/when.h"
#include "node/table.h"
#include "node/tablecase.h"
#include "node/textcheck.h"

/* The table id: the first argument when it is not an option. */
static const char *take_id(int *argc, char ***argv)
{
	const char *id = NULL;

	if (*argc >= 2 && (*argv)[1][0] != '-') {
		id = (*argv)[1];
		(*argv)[1] = (*argv)[0];
		(*argc)--;
		(*argv)++;
	}
	return id;
}

/* The --as PROF of a subcommand that takes nothing else. */
static int as_opt(int c, const char *arg, void *p)
{
	if (c != 'a')
		return SK_CLI_UNKNOWN;
	*(const char **)p = arg;
	return SK_CLI_RUN;
}

#define MEMBERS_MAX (WIRE_TABLE_ORGS_MAX - 1)

struct table_args {
	const char *as, *name, *rhythm, *add;
	const char *members[MEMBERS_MAX];
	size_t n_members;
	int open, too_many;
};

static int table_opt(int c, const char *arg, void *p)
{
	struct table_args *a = p;

	switch (c) {
	case 'a':
		a->as = arg;
		break;
	case 'n':
		a->name = arg;
		break;
	case 'r':
		a->rhythm = arg;
		break;
	case 'm':
		if (a->n_members == MEMBERS_MAX)
			a->too_many = 1;
		else
			a->members[a->n_members++] = arg;
		break;
	case 'o':
		a->open = 1;
		break;
	case 'd':
		a->add = arg;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static const struct option table_lo[] = {SK_CLI_COMMON_LONG,
					 {"as", required_argument, NULL, 'a'},
					 {"name", required_argument, NULL, 'n'},
					 {"rhythm", required_argument, NULL, 'r'},
					 {"member", required_argument, NULL, 'm'},
					 {"open", no_argument, NULL, 'o'},
					 {"add", required_argument, NULL, 'd'},
					 {0}};

/* The id a command made: alone on a line, or with --json {"id": ...}. */
static void id_print(const sk_cli_common *o, const char *id)
{
	if (o->json)
		node_cli_print_json(json_pack("{s:s}", "id", id));
	else
		printf("%s\n", id);
}

static int cmd_create(int argc, char **argv)
{
	static const char help[] =
		"usage: schakel-node table create --name NAME --as PROF [--member ORG]...\n"
		"           [--rhythm TEXT] [--open]\n\n"
		"Hosts a case table (casustafel): a standing group of partner organisations\n"
		"that discusses stuck cases. PROF becomes its procesregisseur. Each --member\n"
		"organisation is invited and joins itself ('table join'). --rhythm says when\n"
		"the table meets (e.g. \"elke tweede dinsdag\"); --open lets organisations\n"
		"that are not members bring cases. The definition and every membership\n"
		"change are signed records in the registry's log, visible to the members.\n"
		"Prints the table's id.\n\n" SK_CLI_COMMON_HELP;
	struct table_args a = {0};
	sk_cli_common o = {0};
	char id[WIRE_TABLE_ID_HEX + 1];
	node_store *s = NULL;
	node_remote *r = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("table create", argc, argv, table_lo, help, &o, table_opt, &a)) !=
	    SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("table create", &o)) != 0)
		return rc;
	if (a.name == NULL || a.as == NULL || a.add != NULL)
		return sk_cli_usage("table create", "--name and --as are required");
	if (a.too_many)
		return sk_cli_usage("table create", "a table has at most 31 member organisations");
	if ((rc = node_cli_open_remote(&s, &kek, &r, &o, "table create")) != 0)
		return rc;
	st = node_table_create(r, a.as, a.name, a.rhythm, a.open, a.members, a.n_members, id);
	node_remote_close(r);
	node_cli_close(s, kek);
	if (st != SK_OK)
		return sk_cli_fail(st, "table create");
	id_print(&o, id);
	return SK_EXIT_OK;
}

/* join, leave: TABLE --as PROF */
static int membership(int argc, char **argv, int join)
{
	static const char help_join[] =
		"usage: schakel-node table join TABLE --as PROF\n\n"
		"Accepts our organisation's invitation to a case table: from now on cases\n"
		"brought to it are sealed to us too. PROF is who decides it (audited).\n\n"
		SK_CLI_COMMON_HELP;
	static const char help_leave[] =
		"usage: schakel-node table leave TABLE --as PROF\n\n"
		"Our organisation leaves a case table; its procesregisseurs at our\n"
		"organisation stop being one. The host cannot leave its own table.\n\n"
		SK_CLI_COMMON_HELP;
	const char *cmd = join ? "table join" : "table leave";
	const char *id = take_id(&argc, &argv);
	struct table_args a = {0};
	sk_cli_common o = {0};
	node_store *s = NULL;
	node_remote *r = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, table_lo, join ? help_join : help_leave, &o,
			       table_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (id == NULL || a.as == NULL || a.name || a.rhythm || a.n_members || a.open || a.add)
		return sk_cli_usage(cmd, "TABLE and --as are required, and nothing else");
	if ((rc = node_cli_open_remote(&s, &kek, &r, &o, cmd)) != 0)
		return rc;
	st = join ? node_table_join(r, id, a.as) : node_table_leave(r, id, a.as);
	node_remote_close(r);
	node_cli_close(s, kek);
	if (st != SK_OK)
		return sk_cli_fail(st, cmd);
	printf(join ? "joined table %s\n" : "left table %s\n", id);
	return SK_EXIT_OK;
}

static int cmd_join(int argc, char **argv)
{
	return membership(argc, argv, 1);
}

static int cmd_leave(int argc, char **argv)
{
	return membership(argc, argv, 0);
}

static int cmd_regisseur(int argc, char **argv)
{
	static const char help[] =
		"usage: schakel-node table regisseur TABLE --add ORG:PROF --as PROF\n\n"
		"Adds a procesregisseur to a case table: professional PROF of member\n"
		"organisation ORG. Only a procesregisseur of the table (--as) may do so.\n\n"
		SK_CLI_COMMON_HELP;
	const char *id = take_id(&argc, &argv), *colon;
	char org[WIRE_TABLE_ORG_MAX + 1];
	struct table_args a = {0};
	sk_cli_common o = {0};
	node_store *s = NULL;
	node_remote *r = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("table regisseur", argc, argv, table_lo, help, &o, table_opt,
			       &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("table regisseur", &o)) != 0)
		return rc;
	colon = a.add != NULL ? strchr(a.add, ':') : NULL;
	if (id == NULL || a.as == NULL || colon == NULL || colon == a.add || colon[1] == 0 ||
	    (size_t)(colon - a.add) > WIRE_TABLE_ORG_MAX)
		return sk_cli_usage("table regisseur", "TABLE, --add ORG:PROF and --as are required");
	memcpy(org, a.add, (size_t)(colon - a.add));
	org[colon - a.add] = 0;
	if ((rc = node_cli_open_remote(&s, &kek, &r, &o, "table regisseur")) != 0)
		return rc;
	st = node_table_regisseur(r, id, a.as, org, colon + 1);
	node_remote_close(r);
	node_cli_close(s, kek);
	if (st != SK_OK)
		return sk_cli_fail(st, "table regisseur");
	printf("%s is a procesregisseur of table %s\n", a.add, id);
	return SK_EXIT_OK;
}

static const char *state_word(wire_table_org_state st)
{
	switch (st) {
	case WIRE_TABLE_INVITED:
		return "invited";
	case WIRE_TABLE_MEMBER:
		return "member";
	case WIRE_TABLE_LEFT:
		return "left";
	}
	return "none";
}

struct list {
	node_store *s;
	MDB_txn *txn;
	int json;
	json_t *all;
};

/* An org by its display name, its id when the directory has none. */
static void org_name(struct list *l, const char *org, char *out, size_t n)
{
	node_member m;

	if (node_members_get(l->s, l->txn, org, &m) == SK_OK && m.name[0])
		snprintf(out, n, "%s", m.name);
	else
		snprintf(out, n, "%s", org);
}

static sk_status list_one(const wire_table *t, void *arg)
{
	struct list *l = arg;
	char name[NET_NAME_MAX + 1];
	json_t *orgs = json_array(), *regs = json_array(), *one;

	for (size_t i = 0; i < t->n_orgs; i++) {
		org_name(l, t->orgs[i].id, name, sizeof(name));
		json_array_append_new(orgs, json_pack("{s:s,s:s,s:s}", "org", t->orgs[i].id,
						      "name", name, "state",
						      state_word(t->orgs[i].state)));
	}
	for (size_t i = 0; i < t->n_regisseurs; i++)
		json_array_append_new(regs, json_pack("{s:s,s:s}", "org", t->regisseurs[i].org,
						      "professional", t->regisseurs[i].prof));
	org_name(l, t->host, name, sizeof(name));
	one = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:o,s:o}", "id", t->id, "name", t->name,
			"host", t->host, "host_name", name, "rhythm", t->rhythm, "open", t->open,
			"our_state", state_word(wire_table_org(t, l->s->org_id)), "orgs", orgs,
			"regisseurs", regs);
	if (one == NULL)
		return SK_ERR_NOMEM;
	if (l->json) {
		json_array_append_new(l->all, one);
		return SK_OK;
	}
	printf("%s  %s (host: %s%s%s)%s\n", t->id, t->name, name, t->rhythm[0] ? "; " : "",
	       t->rhythm, t->open ? " open to non-members" : "");
	printf("  we are: %s\n", state_word(wire_table_org(t, l->s->org_id)));
	for (size_t i = 0; i < t->n_orgs; i++) {
		org_name(l, t->orgs[i].id, name, sizeof(name));
		printf("  %s: %s\n", name, state_word(t->orgs[i].state));
	}
	for (size_t i = 0; i < t->n_regisseurs; i++)
		printf("  procesregisseur: %s:%s\n", t->regisseurs[i].org, t->regisseurs[i].prof);
	json_decref(one);
	return SK_OK;
}

static int cmd_list(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	static const char help[] =
		"usage: schakel-node table list [--json]\n\n"
		"The case tables our organisation is named in (host, invited, member, former\n"
		"member) and the open tables, as of the last 'sync': members, their state and\n"
		"the procesregisseurs. Every record was checked against its signer's key.\n\n"
		SK_CLI_COMMON_HELP;
	struct list l = {0};
	sk_cli_common o = {0};
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("table list", argc, argv, lo, help, &o, NULL, NULL)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("table list", &o)) != 0)
		return rc;
	if ((rc = node_cli_open(&l.s, &kek, &o, "table list")) != 0)
		return rc;
	l.json = o.json;
	l.all = json_array();
	if ((st = sk_db_status(mdb_txn_begin(l.s->env, NULL, MDB_RDONLY, &l.txn))) == SK_OK) {
		st = node_table_scan(l.s, l.txn, list_one, &l);
		mdb_txn_abort(l.txn);
	}
	if (st == SK_OK && l.json)
		node_cli_print_json(l.all);
	else
		json_decref(l.all);
	node_cli_close(l.s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "table list");
}

/* ---- intake ------------------------------------------------------------------ */

struct submit_args {
	const char *as, *file;
	char client[64]; /* a BSN or a local id */
	int yes;
};

static int submit_opt(int c, const char *arg, void *p)
{
	struct submit_args *a = p;

	switch (c) {
	case 'a':
		a->as = arg;
		break;
	case 't':
		a->file = arg;
		break;
	case 'y':
		a->yes = 1;
		break;
	case 'c':
		snprintf(a->client, sizeof(a->client), "%s", arg);
		sk_cli_arg_wipe(arg);
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

/* A date or an address in the text: --yes, or a yes at a terminal. */
static int confirm(const char *cmd, node_text_verdict v, int yes)
{
	char answer[8] = "";

	if (v == NODE_TEXT_OK || yes)
		return 0;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "schakel-node %s: %s (no terminal to ask; --yes confirms)\n", cmd,
			node_text_verdict_msg(v));
		return SK_EXIT_FAIL;
	}
	fprintf(stderr, "%s.\nSend it anyway? [y/N] ", node_text_verdict_msg(v));
	if (fgets(answer, sizeof(answer), stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y')) {
		fprintf(stderr, "schakel-node %s: not sent\n", cmd);
		return SK_EXIT_FAIL;
	}
	return 0;
}

#define INTAKE_HELP                                                                        \
	"The file F is headed text (Dutch or English headings; a heading's text runs on\n"    \
	"over the lines below it until the next heading):\n"                                  \
	"  Vraag: what the table is asked (required)\n"                                       \
	"  Leefgebieden: comma list of life domains: wonen, financien, werk-en-opleiding,\n"  \
	"      daginvulling, psychische-gezondheid, lichamelijke-gezondheid, verslaving,\n"    \
	"      sociaal-netwerk, huiselijke-relaties, opvoeding, veiligheid-en-justitie,\n"     \
	"      zelfzorg\n"                                                                     \
	"  Urgentie: hoog, gemiddeld or laag (required)\n"                                     \
	"  Geprobeerd: what was tried already\n"                                               \
	"  Betrokken: comma list of the kinds of parties involved (categories: ggz,\n"         \
	"      schuldhulp, woningcorporatie, ...)\n"

/* One exit path after reading the file: it wipes the text. */
static int cmd_submit(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"as", required_argument, NULL, 'a'},
					   {"text-file", required_argument, NULL, 't'},
					   {"client", required_argument, NULL, 'c'},
					   {"yes", no_argument, NULL, 'y'}, {0}};
	static const char help[] =
		"usage: schakel-node table submit TABLE --as PROF --text-file F [--client BSN|ID]\n"
		"           [--yes]\n\n"
		"Brings a case to a case table, anonymously: the description is sealed to each\n"
		"current member of the table and signed by our organisation; the registry sees\n"
		"only the table, our organisation and the time. The description must not\n"
		"identify the client: a text with a valid BSN is refused; one that looks like a\n"
		"date of birth or a postcode with house number is sent only with --yes (or a\n"
		"yes on a terminal). Names are not detected: leave them out. Prints the case's\n"
		"id.\n\n"
		"--client: only when the client's case has consent to case discussion (and PROF\n"
		"is assigned to it), a tag is attached that lets a member organisation that\n"
		"holds the same client tell its own professionals privately that they are\n"
		"already involved. Not the client's token: a keyed hash of it bound to this\n"
		"case, useless for any other. Without that consent nothing of the client\n"
		"leaves the node and the case is not sent.\n\n" INTAKE_HELP "\n" SK_CLI_COMMON_HELP;
	const char *id = take_id(&argc, &argv);
	struct submit_args a = {0};
	sk_cli_common o = {0};
	char hex[NODE_TABLE_CASE_HEX], *text = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	node_intake in;
	node_store *s = NULL;
	node_remote *r = NULL;
	sk_kek *kek = NULL;
	node_text_verdict v;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("table submit", argc, argv, lo, help, &o, submit_opt, &a)) !=
	    SK_CLI_RUN)
		goto out;
	if ((rc = sk_cli_need_dir("table submit", &o)) != 0)
		goto out;
	if (id == NULL || a.as == NULL || a.file == NULL) {
		rc = sk_cli_usage("table submit", "TABLE, --as and --text-file are required");
		goto out;
	}
	if ((st = sk_file_read(a.file, NODE_INTAKE_FILE_MAX, &data, &len)) != SK_OK) {
		rc = sk_cli_fail(st, "table submit");
		goto out;
	}
	if ((text = malloc(len + 1)) == NULL) {
		rc = sk_cli_fail(SK_ERR_NOMEM, "table submit");
		goto out;
	}
	memcpy(text, data, len);
	text[len] = 0;
	if (memchr(data, 0, len) != NULL || !node_discuss_text_ok(text)) {
		rc = sk_cli_usage("table submit", "the file must be UTF-8 text");
		goto out;
	}
	if ((st = node_intake_parse(text, &in)) != SK_OK) {
		rc = sk_cli_fail(st, "table submit");
		goto out;
	}
	v = (node_text_verdict)node_intake_check(&in);
	if (v == NODE_TEXT_BSN) {
		fprintf(stderr, "schakel-node table submit: %s\n", node_text_verdict_msg(v));
		rc = SK_EXIT_FAIL;
		goto out;
	}
	if ((rc = confirm("table submit", v, a.yes)) != 0)
		goto out;
	if ((rc = node_cli_open_remote(&s, &kek, &r, &o, "table submit")) != 0)
		goto out;
	st = node_table_submit(r, id, a.as, &in, 1, a.client[0] ? a.client : NULL, hex);
	node_remote_close(r);
	node_cli_close(s, kek);
	if (st != SK_OK) {
		rc = sk_cli_fail(st, "table submit");
		goto out;
	}
	id_print(&o, hex);
	rc = SK_EXIT_OK;
out:
	if (data != NULL) {
		sodium_memzero(data, len);
		free(data);
	}
	if (text != NULL) {
		sodium_memzero(text, len);
		free(text);
	}
	sodium_memzero(a.client, sizeof(a.client));
	return rc;
}

struct agenda {
	int json;
	json_t *all;
};

static sk_status agenda_one(const json_t *c, void *arg)
{
	struct agenda *g = arg;
	char when[SK_WHEN_BYTES];
	json_t *row = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O}", "id", json_object_get(c, "id"),
				"time", json_object_get(c, "time"), "from",
				json_object_get(c, "from"), "from_name",
				json_object_get(c, "from_name"), "urgency",
				json_object_get(c, "urgency"), "domains",
				json_object_get(c, "domains"));

	if (row == NULL)
		return SK_ERR_NOMEM;
	if (g->json) {
		json_array_append_new(g->all, row);
		return SK_OK;
	}
	sk_when(when, (uint64_t)json_integer_value(json_object_get(c, "time")), SK_WHEN_EN);
	printf("%s  %s  brought by %s, urgency %s\n", json_string_value(json_object_get(c, "id")),
	       when, json_string_value(json_object_get(c, "from_name")),
	       json_string_value(json_object_get(c, "urgency")));
	json_decref(row);
	return SK_OK;
}

static int cmd_agenda(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	static const char help[] =
		"usage: schakel-node table agenda TABLE [--json]\n\n"
		"The cases brought to a table that reached our organisation (after 'sync'),\n"
		"oldest first by id: who brought each, when, its urgency and life domains.\n"
		"'table show' gives a case's description.\n\n" SK_CLI_COMMON_HELP;
	const char *id = take_id(&argc, &argv);
	struct agenda g = {0};
	sk_cli_common o = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("table agenda", argc, argv, lo, help, &o, NULL, NULL)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("table agenda", &o)) != 0)
		return rc;
	if (id == NULL)
		return sk_cli_usage("table agenda", "TABLE is required");
	if ((rc = node_cli_open(&s, &kek, &o, "table agenda")) != 0)
		return rc;
	g.json = o.json;
	g.all = json_array();
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_table_case_scan(s, txn, id, agenda_one, &g);
		mdb_txn_abort(txn);
	}
	if (st == SK_OK) {
		char what[48];

		snprintf(what, sizeof(what), "table:%s", id);
		st = node_audit_access(s, "table.agenda", NULL, NULL, what, NULL, NULL);
	}
	if (st == SK_OK && g.json)
		node_cli_print_json(g.all);
	else
		json_decref(g.all);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "table agenda");
}

static int cmd_show(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"as", required_argument, NULL, 'a'}, {0}};
	static const char help[] =
		"usage: schakel-node table show CASE --as PROF [--json]\n\n"
		"A case brought to a table: its question, life domains, urgency, what was tried,\n"
		"the parties involved and who brought it; its subgroups (a subgroup's mandate\n"
		"only when our organisation is in it) and its messages, those to a subgroup\n"
		"marked. Reading it is audited.\n\n"
		SK_CLI_COMMON_HELP;
	const char *id = take_id(&argc, &argv), *as = NULL;
	sk_cli_common o = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	json_t *c = NULL, *sub, *x;
	char when[SK_WHEN_BYTES];
	sk_status st;
	size_t i;
	int rc;

	if ((rc = sk_cli_parse("table show", argc, argv, lo, help, &o, as_opt, &as)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("table show", &o)) != 0)
		return rc;
	if (id == NULL || as == NULL)
		return sk_cli_usage("table show", "CASE and --as are required");
	if ((rc = node_cli_open(&s, &kek, &o, "table show")) != 0)
		return rc;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		node_professional p;

		if ((st = node_professional_get(s, txn, as, &p)) == SK_OK &&
		    p.kind != NODE_KIND_PROFESSIONAL)
			st = SK_ERR_PERM;
		if (st == SK_OK && (st = node_table_case_get(s, txn, id, &c)) == SK_OK) {
			/* the client only to its own assigned professionals */
			json_t *shown = node_table_case_shown(s, txn, c, as);

			json_decref(c);
			c = shown;
			st = c != NULL ? SK_OK : SK_ERR_NOMEM;
		}
		mdb_txn_abort(txn);
	}
	if (st == SK_OK) {
		char what[64];

		snprintf(what, sizeof(what), "table-case:%s", id);
		st = node_audit_access(s, "table.show", as, NULL, what, NULL, NULL);
	}
	if (st == SK_OK && o.json) {
		node_cli_print_json(json_incref(c));
	} else if (st == SK_OK) {
		sub = json_object_get(c, "submitter");
		sk_when(when, (uint64_t)json_integer_value(json_object_get(c, "time")), SK_WHEN_EN);
		printf("case %s, table %s\nbrought %s by %s (%s, %s)\n", id,
		       json_string_value(json_object_get(c, "table")), when,
		       json_string_value(json_object_get(sub, "name")),
		       json_string_value(json_object_get(sub, "role")) ?: "",
		       json_string_value(json_object_get(c, "from_name")));
		printf("urgency: %s\nlife domains:", json_string_value(json_object_get(c, "urgency")));
		json_array_foreach(json_object_get(c, "domains"), i, x) printf(" %s", json_string_value(x));
		printf("\nparties involved:");
		json_array_foreach(json_object_get(c, "parties"), i, x) printf(" %s", json_string_value(x));
		printf("\nquestion:\n%s\n", json_string_value(json_object_get(c, "question")));
		if (json_string_value(json_object_get(c, "tried")))
			printf("tried:\n%s\n", json_string_value(json_object_get(c, "tried")));
		if (json_string_value(json_object_get(c, "meeting")))
			printf("on the agenda of: %s\n", json_string_value(json_object_get(c, "meeting")));
		json_array_foreach(json_object_get(c, "subgroups"), i, x) {
			json_t *n;
			size_t k;

			printf("subgroup %s:", json_string_value(json_object_get(x, "id")));
			json_array_foreach(json_object_get(x, "org_names"), k, n)
				printf("%s %s", k ? "," : "", json_string_value(n));
			if (json_string_value(json_object_get(x, "until")))
				printf("; mandate until %s",
				       json_string_value(json_object_get(x, "until")));
			printf("%s\n", json_is_true(json_object_get(x, "member"))
					       ? " (we are in it)" : " (we are not in it)");
			if (json_string_value(json_object_get(x, "mandate")))
				printf("   mandate: %s\n",
				       json_string_value(json_object_get(x, "mandate")));
		}
		json_array_foreach(json_object_get(c, "thread"), i, x) {
			const char *k = json_string_value(json_object_get(x, "kind"));
			const char *sg = json_string_value(json_object_get(x, "subgroup"));

			sk_when(when, (uint64_t)json_integer_value(json_object_get(x, "time")), SK_WHEN_EN);
			printf("-- %s, %s (%s)%s%s:", when, json_string_value(json_object_get(x, "name")),
			       json_string_value(json_object_get(x, "from_name")),
			       sg != NULL && strcmp(k, "text") == 0 ? " to subgroup " : "",
			       sg != NULL && strcmp(k, "text") == 0 ? sg : "");
			if (strcmp(k, "subgroup") == 0)
				printf(" formed subgroup %s\n", sg ? sg : "?");
			else if (strcmp(k, "schedule") == 0)
				printf(" scheduled for %s\n", json_string_value(json_object_get(x, "date")));
			else if (strcmp(k, "invite") == 0)
				printf(" invited %s for this case\n",
				       json_string_value(json_object_get(x, "invite_org")));
			else if (strcmp(k, "outcome") == 0)
				printf(" OUTCOME: regievoerder %s:%s, routed to %s%s%s%s%s\n   %s\n",
				       json_string_value(json_object_get(x, "regie_org")),
				       json_string_value(json_object_get(x, "regie_professional")),
				       json_string_value(json_object_get(x, "routed_to")),
				       json_is_true(json_object_get(x, "breakthrough")) ? ", breakthrough" : "",
				       json_is_false(json_object_get(x, "breakthrough")) ? ", no breakthrough" : "",
				       json_object_get(x, "evaluate") ? ", evaluate on " : "",
				       json_object_get(x, "evaluate") ? json_string_value(json_object_get(x, "evaluate")) : "",
				       json_string_value(json_object_get(x, "text")));
			else
				printf("\n   %s\n", json_string_value(json_object_get(x, "text")));
		}
		if (json_is_true(json_object_get(c, "involved")) &&
		    json_is_false(json_object_get(c, "mine")))
			printf("U bent al betrokken bij deze bewoner (cliënt %s). Alleen u en uw collega's "
			       "in dit dossier zien dit; de inbrenger en de tafel weten het niet, tenzij u "
			       "het zelf zegt.\nYou are already involved with this resident (client "
			       "%s); only you see this.\n",
			       json_string_value(json_object_get(c, "client")),
			       json_string_value(json_object_get(c, "client")));
		else if (json_string_value(json_object_get(c, "client")) != NULL)
			printf("brought with client %s\n", json_string_value(json_object_get(c, "client")));
	}
	json_decref(c);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "table show");
}

/* ---- regie ------------------------------------------------------------------- */

struct regie_args {
	const char *as, *date, *org, *file, *regie, *routed, *outcome, *evaluate, *breakthrough;
	const char *subgroup, *mandate_file, *until;
	const char *orgs[WIRE_TABLE_PARTICIPANTS_MAX]; /* every --org, for a subgroup */
	size_t n_orgs;
	int yes, too_many;
};

static int regie_opt(int c, const char *arg, void *p)
{
	struct regie_args *a = p;

	switch (c) {
	case 'a':
		a->as = arg;
		break;
	case 'd':
		a->date = arg;
		break;
	case 'o':
		a->org = arg;
		if (a->n_orgs < WIRE_TABLE_PARTICIPANTS_MAX)
			a->orgs[a->n_orgs++] = arg;
		else
			a->too_many = 1;
		break;
	case 't':
		a->file = arg;
		break;
	case 'g':
		a->subgroup = arg;
		break;
	case 'm':
		a->mandate_file = arg;
		break;
	case 'u':
		a->until = arg;
		break;
	case 'r':
		a->regie = arg;
		break;
	case 'R':
		a->routed = arg;
		break;
	case 'O':
		a->outcome = arg;
		break;
	case 'e':
		a->evaluate = arg;
		break;
	case 'b':
		a->breakthrough = arg;
		break;
	case 'y':
		a->yes = 1;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static const struct option regie_lo[] = {SK_CLI_COMMON_LONG,
					 {"as", required_argument, NULL, 'a'},
					 {"date", required_argument, NULL, 'd'},
					 {"org", required_argument, NULL, 'o'},
					 {"text-file", required_argument, NULL, 't'},
					 {"regie", required_argument, NULL, 'r'},
					 {"routed-to", required_argument, NULL, 'R'},
					 {"outcome", required_argument, NULL, 'O'},
					 {"evaluate", required_argument, NULL, 'e'},
					 {"breakthrough", required_argument, NULL, 'b'},
					 {"subgroup", required_argument, NULL, 'g'},
					 {"mandate-file", required_argument, NULL, 'm'},
					 {"until", required_argument, NULL, 'u'},
					 {"yes", no_argument, NULL, 'y'},
					 {0}};

static int regie_run(const char *cmd, const char *id, const sk_cli_common *o, const char *as,
		     const node_table_msg *m, const char *done)
{
	node_store *s = NULL;
	node_remote *r = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	char sg[WIRE_TABLE_SUBGROUP_ID_HEX + 1];

	if ((rc = node_cli_open_remote(&s, &kek, &r, o, cmd)) != 0)
		return rc;
	if (m->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP)
		st = node_table_subgroup(r, id, as, m->subgroup_orgs, m->n_subgroup_orgs, m->mandate,
					 m->until, sg);
	else
		st = node_table_send(r, id, as, m);
	node_remote_close(r);
	node_cli_close(s, kek);
	if (st != SK_OK)
		return sk_cli_fail(st, cmd);
	if (m->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP)
		id_print(o, sg); /* a new subgroup: its id */
	else
		printf("%s\n", done);
	return SK_EXIT_OK;
}

static int cmd_schedule(int argc, char **argv)
{
	static const char help[] =
		"usage: schakel-node table schedule CASE --date YYYY-MM-DD --as PROF\n\n"
		"Puts a case on the agenda of the table's meeting on that date; every\n"
		"participant of the case sees it. Only a procesregisseur of the table.\n\n"
		SK_CLI_COMMON_HELP;
	const char *id = take_id(&argc, &argv);
	struct regie_args a = {0};
	node_table_msg m = {.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SCHEDULE};
	sk_cli_common o = {0};
	char done[96];
	int rc;

	if ((rc = sk_cli_parse("table schedule", argc, argv, regie_lo, help, &o, regie_opt, &a)) !=
	    SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("table schedule", &o)) != 0)
		return rc;
	if (id == NULL || a.as == NULL || !wire_table_date_ok(a.date))
		return sk_cli_usage("table schedule", "CASE, --date YYYY-MM-DD and --as are required");
	m.date = a.date;
	snprintf(done, sizeof(done), "case %s scheduled for %s", id, a.date);
	return regie_run("table schedule", id, &o, a.as, &m, done);
}

static int cmd_invite(int argc, char **argv)
{
	static const char help[] =
		"usage: schakel-node table invite CASE --org ORG --as PROF\n\n"
		"Invites one more organisation for this case only: it receives the case's\n"
		"description (never the 'already involved' tag) and the messages from now on.\n"
		"Only a procesregisseur of the table; at most 8 organisations a case.\n\n"
		SK_CLI_COMMON_HELP;
	const char *id = take_id(&argc, &argv);
	struct regie_args a = {0};
	node_table_msg m = {.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_INVITE};
	sk_cli_common o = {0};
	char done[160];
	int rc;

	if ((rc = sk_cli_parse("table invite", argc, argv, regie_lo, help, &o, regie_opt, &a)) !=
	    SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("table invite", &o)) != 0)
		return rc;
	if (id == NULL || a.as == NULL || a.org == NULL)
		return sk_cli_usage("table invite", "CASE, --org and --as are required");
	m.invite_org = a.org;
	snprintf(done, sizeof(done), "%s invited for case %s", a.org, id);
	return regie_run("table invite", id, &o, a.as, &m, done);
}

/* A message's or a mandate's text from file, text-checked: a BSN is
 * refused, a date or an address needs yes (or the professional's answer).
 * *text is the caller's to wipe and free; 0 or the exit code. */
static int text_read(const char *cmd, const char *file, int yes, char **text)
{
	uint8_t *data = NULL;
	size_t len = 0;
	sk_status st;
	int rc = 0;

	*text = NULL;
	if ((st = sk_file_read(file, WIRE_TABLE_CASE_TEXT_MAX, &data, &len)) != SK_OK)
		return sk_cli_fail(st, cmd);
	if ((*text = malloc(len + 1)) == NULL) {
		rc = sk_cli_fail(SK_ERR_NOMEM, cmd);
		goto out;
	}
	memcpy(*text, data, len);
	(*text)[len] = 0;
	while (len > 0 && ((*text)[len - 1] == '\n' || (*text)[len - 1] == '\r'))
		(*text)[--len] = 0;
	if (len == 0 || memchr(*text, 0, len) != NULL || !node_discuss_text_ok(*text)) {
		rc = sk_cli_usage(cmd, "the text must be non-empty UTF-8 text");
		goto out;
	}
	{
		node_text_verdict v = node_text_check(*text, len, NULL);

		if (v == NODE_TEXT_BSN) {
			fprintf(stderr, "schakel-node %s: %s\n", cmd, node_text_verdict_msg(v));
			rc = SK_EXIT_FAIL;
			goto out;
		}
		rc = confirm(cmd, v, yes);
	}
out:
	if (data != NULL) {
		sodium_memzero(data, len);
		free(data);
	}
	return rc;
}

static void text_free(char *text)
{
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
}

/* One exit path after reading the file: it wipes the text. */
static int cmd_send(int argc, char **argv)
{
	static const char help[] =
		"usage: schakel-node table send CASE --as PROF --text-file F [--subgroup SG] [--yes]\n\n"
		"Sends a message to every participant of the case, signed by our organisation\n"
		"and sealed to each; the registry sees only ciphertext. --subgroup: to the\n"
		"organisations of that subgroup only (our organisation must be in it). A text\n"
		"with a valid BSN is refused; one with a date or a postcode with house number\n"
		"needs --yes.\n\n"
		SK_CLI_COMMON_HELP;
	const char *id = take_id(&argc, &argv);
	struct regie_args a = {0};
	node_table_msg m = {.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_TEXT};
	sk_cli_common o = {0};
	char *text = NULL;
	int rc;

	if ((rc = sk_cli_parse("table send", argc, argv, regie_lo, help, &o, regie_opt, &a)) !=
	    SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("table send", &o)) != 0)
		return rc;
	if (id == NULL || a.as == NULL || a.file == NULL)
		return sk_cli_usage("table send", "CASE, --as and --text-file are required");
	if (a.subgroup != NULL && !wire_table_subgroup_id_ok(a.subgroup))
		return sk_cli_usage("table send", "--subgroup takes the id 'table subgroup' printed");
	if ((rc = text_read("table send", a.file, a.yes, &text)) == 0) {
		m.text = text;
		m.subgroup = a.subgroup;
		rc = regie_run("table send", id, &o, a.as, &m, "sent");
	}
	text_free(text);
	return rc;
}

/* One exit path after reading the mandate: it wipes the text. */
static int cmd_subgroup(int argc, char **argv)
{
	static const char help[] =
		"usage: schakel-node table subgroup CASE --org ORG --org ORG [--org ORG]...\n"
		"           --mandate-file F [--until YYYY-MM-DD] --as PROF [--yes]\n\n"
		"Forms a subgroup of 2 or more of the case's participants with a mandate: what\n"
		"they may decide outside the usual routine (e.g. \"mag zonder wachtlijst een\n"
		"plek regelen\"), until a date if given. The mandate and the subgroup's messages\n"
		"are sealed to its organisations only; the other participants see that the\n"
		"subgroup exists and which organisations are in it. Prints the subgroup's id\n"
		"(for 'table send --subgroup'). Only a procesregisseur of the table. The\n"
		"mandate is checked like a message: a BSN is refused, a date or a postcode\n"
		"with house number needs --yes.\n\n"
		SK_CLI_COMMON_HELP;
	const char *id = take_id(&argc, &argv);
	struct regie_args a = {0};
	node_table_msg m = {.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP};
	sk_cli_common o = {0};
	char *text = NULL;
	int rc;

	if ((rc = sk_cli_parse("table subgroup", argc, argv, regie_lo, help, &o, regie_opt, &a)) !=
	    SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("table subgroup", &o)) != 0)
		return rc;
	if (id == NULL || a.as == NULL || a.mandate_file == NULL || a.n_orgs < 2 || a.too_many)
		return sk_cli_usage("table subgroup",
				    "CASE, two or more --org, --mandate-file and --as are required");
	if (a.until != NULL && !wire_table_date_ok(a.until))
		return sk_cli_usage("table subgroup", "--until takes a date YYYY-MM-DD");
	if ((rc = text_read("table subgroup", a.mandate_file, a.yes, &text)) == 0) {
		m.subgroup_orgs = a.orgs;
		m.n_subgroup_orgs = a.n_orgs;
		m.mandate = text;
		m.until = a.until;
		rc = regie_run("table subgroup", id, &o, a.as, &m, NULL);
	}
	text_free(text);
	return rc;
}

static int cmd_outcome(int argc, char **argv)
{
	static const char help[] =
		"usage: schakel-node table outcome CASE --as PROF --regie ORG:PROF --routed-to CATEGORY\n"
		"           --outcome TEXT [--breakthrough yes|no] [--evaluate YYYY-MM-DD] [--yes]\n\n"
		"Records the case's outcome and closes it: the regievoerder (organisation and\n"
		"professional), the kind of care or support it was routed to (a category:\n"
		"ggz, schuldhulp, sociaal-team, ...), the next steps, whether the table broke\n"
		"the deadlock, and when to evaluate. Every participant, the submitter among\n"
		"them, receives it; the regievoerder's organisation sets its regie flag on its\n"
		"entry where it holds the client. Only a procesregisseur of the table.\n\n"
		SK_CLI_COMMON_HELP;
	const char *id = take_id(&argc, &argv), *colon;
	struct regie_args a = {0};
	node_table_msg m = {.kind = SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_OUTCOME};
	sk_cli_common o = {0};
	char org[WIRE_TABLE_ORG_MAX + 1], done[96];
	node_text_verdict v;
	int rc;

	if ((rc = sk_cli_parse("table outcome", argc, argv, regie_lo, help, &o, regie_opt, &a)) !=
	    SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("table outcome", &o)) != 0)
		return rc;
	colon = a.regie != NULL ? strchr(a.regie, ':') : NULL;
	if (id == NULL || a.as == NULL || colon == NULL || colon == a.regie || colon[1] == 0 ||
	    (size_t)(colon - a.regie) > WIRE_TABLE_ORG_MAX || a.routed == NULL || a.outcome == NULL)
		return sk_cli_usage("table outcome",
				    "CASE, --as, --regie ORG:PROF, --routed-to and --outcome are required");
	if (a.breakthrough != NULL && strcmp(a.breakthrough, "yes") != 0 &&
	    strcmp(a.breakthrough, "no") != 0)
		return sk_cli_usage("table outcome", "--breakthrough is yes or no");
	if (a.evaluate != NULL && !wire_table_date_ok(a.evaluate))
		return sk_cli_usage("table outcome", "--evaluate takes YYYY-MM-DD");
	v = node_text_check(a.outcome, strlen(a.outcome), NULL);
	if (v == NODE_TEXT_BSN) {
		fprintf(stderr, "schakel-node table outcome: %s\n", node_text_verdict_msg(v));
		return SK_EXIT_FAIL;
	}
	if ((rc = confirm("table outcome", v, a.yes)) != 0)
		return rc;
	memcpy(org, a.regie, (size_t)(colon - a.regie));
	org[colon - a.regie] = 0;
	m.regie_org = org;
	m.regie_prof = colon + 1;
	m.routed_to = a.routed;
	m.text = a.outcome;
	m.has_breakthrough = a.breakthrough != NULL;
	m.breakthrough = a.breakthrough != NULL && strcmp(a.breakthrough, "yes") == 0;
	m.evaluate = a.evaluate;
	snprintf(done, sizeof(done), "case %s closed with its outcome", id);
	return regie_run("table outcome", id, &o, a.as, &m, done);
}

/* ---- figures ------------------------------------------------------------------ */

struct stats_args {
	const char *since, *until;
	int csv;
};

static int stats_opt(int c, const char *arg, void *p)
{
	struct stats_args *a = p;

	switch (c) {
	case 's':
		a->since = arg;
		break;
	case 'u':
		a->until = arg;
		break;
	case 'c':
		a->csv = 1;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

/* YYYY-MM-DD at 00:00 UTC in unix ms. */
static int day_ms(const char *s, uint64_t *out)
{
	int y, m, d;
	struct tm tm = {0};

	if (!wire_table_date_ok(s) || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	*out = (uint64_t)timegm(&tm) * 1000u;
	return 0;
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"since", required_argument, NULL, 's'},
					   {"until", required_argument, NULL, 'u'},
					   {"csv", no_argument, NULL, 'c'}, {0}};
	static const char help[] =
		"usage: schakel-node table stats TABLE [--since YYYY-MM-DD] [--until YYYY-MM-DD]\n"
		"           [--json|--csv]\n\n"
		"The table's figures for cases brought in the period (--until exclusive), as this\n"
		"organisation holds them (every case brought while it took part; the host's are\n"
		"complete), without identities: cases brought; discussed (scheduled for a\n"
		"meeting or with an outcome); with an outcome; routed elsewhere (to another\n"
		"kind of care or support than the submitting organisation's own); routed to\n"
		"the social domain (sociaal-team, schuldhulp, maatschappelijke-opvang, jeugd,\n"
		"gemeente, woningcorporatie); breakthroughs; median days from intake to\n"
		"outcome.\n\n" SK_CLI_COMMON_HELP "  --csv                 one header line and one line of figures\n";
	const char *id = take_id(&argc, &argv);
	struct stats_args a = {0};
	sk_cli_common o = {0};
	uint64_t since = 0, until = UINT64_MAX;
	node_table_stats t;
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("table stats", argc, argv, lo, help, &o, stats_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("table stats", &o)) != 0)
		return rc;
	if (id == NULL || (a.since != NULL && day_ms(a.since, &since) != 0) ||
	    (a.until != NULL && day_ms(a.until, &until) != 0) || (a.csv && o.json))
		return sk_cli_usage("table stats",
				    "TABLE is required; --since and --until take YYYY-MM-DD; "
				    "--json or --csv, not both");
	if ((rc = node_cli_open(&s, &kek, &o, "table stats")) != 0)
		return rc;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_table_stats_get(s, txn, id, since, until, &t);
		mdb_txn_abort(txn);
	}
	if (st == SK_OK) {
		char what[48];

		snprintf(what, sizeof(what), "table:%s", id);
		st = node_audit_access(s, "table.stats", NULL, NULL, what, NULL, NULL);
	}
	node_cli_close(s, kek);
	if (st != SK_OK)
		return sk_cli_fail(st, "table stats");
	if (o.json) {
		json_t *j = json_pack("{s:s,s:s?,s:s?,s:I,s:I,s:I,s:I,s:I,s:I}", "table", id, "since",
				      a.since, "until", a.until, "brought", (json_int_t)t.brought,
				      "discussed", (json_int_t)t.discussed, "outcomes",
				      (json_int_t)t.outcomes, "routed_elsewhere", (json_int_t)t.routed,
				      "routed_social_domain", (json_int_t)t.social, "breakthroughs",
				      (json_int_t)t.breakthrough);

		json_object_set_new(j, "median_days_to_outcome",
				    t.median_days < 0 ? json_null() : json_real(t.median_days));
		node_cli_print_json(j);
	} else if (a.csv) {
		printf("table,since,until,brought,discussed,outcomes,routed_elsewhere,"
		       "routed_social_domain,breakthroughs,median_days_to_outcome\n");
		printf("%s,%s,%s,%llu,%llu,%llu,%llu,%llu,%llu,", id, a.since ? a.since : "",
		       a.until ? a.until : "", (unsigned long long)t.brought,
		       (unsigned long long)t.discussed, (unsigned long long)t.outcomes,
		       (unsigned long long)t.routed, (unsigned long long)t.social,
		       (unsigned long long)t.breakthrough);
		if (t.median_days >= 0)
			printf("%.1f", t.median_days);
		printf("\n");
	} else {
		printf("cases brought: %llu\ndiscussed: %llu\nwith an outcome: %llu\n"
		       "routed elsewhere: %llu\nrouted to the social domain: %llu\n"
		       "breakthroughs: %llu\n",
		       (unsigned long long)t.brought, (unsigned long long)t.discussed,
		       (unsigned long long)t.outcomes, (unsigned long long)t.routed,
		       (unsigned long long)t.social, (unsigned long long)t.breakthrough);
		if (t.median_days >= 0)
			printf("median days to outcome: %.1f\n", t.median_days);
		else
			printf("median days to outcome: none yet\n");
	}
	return SK_EXIT_OK;
}

static const sk_cli_cmd table_cmds[] = {
	{"create", cmd_create, "host a case table (casustafel) and invite member organisations"},
	{"join", cmd_join, "accept our organisation's invitation to a table"},
	{"leave", cmd_leave, "leave a table"},
	{"list", cmd_list, "the tables we are named in and the open tables"},
	{"regisseur", cmd_regisseur, "add a procesregisseur to a table"},
	{"submit", cmd_submit, "bring a case to a table, anonymously"},
	{"agenda", cmd_agenda, "the cases brought to a table that reached us"},
	{"show", cmd_show, "a case brought to a table, with its thread and outcome"},
	{"schedule", cmd_schedule, "put a case on a meeting's agenda (procesregisseur)"},
	{"invite", cmd_invite, "invite one more organisation for a case (procesregisseur)"},
	{"send", cmd_send, "send a message to a case's participants, or to a subgroup"},
	{"subgroup", cmd_subgroup, "form a subgroup with a mandate for a case (procesregisseur)"},
	{"outcome", cmd_outcome, "record a case's outcome and regievoerder (procesregisseur)"},
	{"stats", cmd_stats, "a table's figures for a period, without identities"},
};

int node_cli_table(int argc, char **argv)
{
	return sk_cli_group("schakel-node", "table", table_cmds,
			    sizeof(table_cmds) / sizeof(table_cmds[0]), argc, argv);
}
