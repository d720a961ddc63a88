/* schakel-node org ...: the organisation's settings that people are shown
 * (node/org.h): the privacy officer's contact in the art. 15 report. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/cli.h"
#include "common/db.h"
#include "node/cli.h"
#include "node/org.h"

struct set_args {
	const char *contact;
	const char *as;
};

static int set_opt(int c, const char *arg, void *p)
{
	struct set_args *a = p;

	switch (c) {
	case 'p':
		a->contact = arg;
		break;
	case 'A':
		a->as = arg;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static int cmd_set(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"privacy-contact", required_argument, NULL, 'p'},
					   {"as", required_argument, NULL, 'A'}, {0}};
	static const char help[] =
		"usage: schakel-node org set --dir D --privacy-contact TEXT [--as ID]\n\n"
		"Sets the contact of the organisation's privacy officer (functionaris\n"
		"gegevensbescherming), which every art. 15 report gives the client, e.g.\n"
		"\"Petra Smits, fg@wijkteam.nl, 030 123 45 67\". An empty TEXT removes it (the\n"
		"report then names the organisation). The change is recorded (event org.set).\n\n"
		"  --privacy-contact T   the contact, one line, at most 512 bytes\n"
		"  --as ID               who makes the change (recorded)\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "org set";
	sk_cli_common o = {0};
	struct set_args a = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, set_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (a.contact == NULL)
		return sk_cli_usage(cmd, "--privacy-contact TEXT is required");
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		return rc;
	st = node_org_set_privacy_contact(s, a.contact, a.as);
	if (st == SK_OK && o.json)
		node_cli_print_json(json_pack("{s:s}", "privacy_contact", a.contact));
	else if (st == SK_OK)
		printf(a.contact[0] ? "privacy contact set (recorded); art. 15 reports give it\n"
				    : "privacy contact removed (recorded)\n");
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

static int cmd_show(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	static const char help[] =
		"usage: schakel-node org show --dir D [--json]\n\n"
		"Shows the organisation's id, name, category and privacy contact.\n\n"
		SK_CLI_COMMON_HELP;
	static const char cmd[] = "org show";
	char contact[NODE_PRIVACY_CONTACT_MAX + 1] = "";
	sk_cli_common o = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, NULL, NULL)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if ((rc = node_cli_open_public(&s, &o, cmd)) != 0)
		return rc;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_org_privacy_contact(s, txn, contact, sizeof(contact));
		mdb_txn_abort(txn);
	}
	if (st == SK_OK && o.json)
		node_cli_print_json(json_pack("{s:s,s:s,s:s,s:s}", "id", s->org_id, "name", s->name,
					      "category", s->category, "privacy_contact", contact));
	else if (st == SK_OK)
		printf("id: %s\nname: %s\ncategory: %s\nprivacy contact: %s\n", s->org_id, s->name,
		       s->category, contact[0] ? contact : "(none; set it with 'org set "
							   "--privacy-contact')");
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

static const sk_cli_cmd org_cmds[] = {
	{"set", cmd_set, "set the privacy officer's contact"},
	{"show", cmd_show, "show the organisation's settings"},
};

int node_cli_org(int argc, char **argv)
{
	return sk_cli_group("schakel-node", "org", org_cmds, sizeof(org_cmds) / sizeof(org_cmds[0]),
			    argc, argv);
}
