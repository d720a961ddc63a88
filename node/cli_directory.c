/* schakel-node directory ...: the sociale kaart (node/directory.h): the
 * administrator publishes the org's record; anyone at the node searches
 * and shows the partners' records, fetched and verified by sync. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/cli.h"
#include "common/clock.h"
#include "common/db.h"
#include "node/cli.h"
#include "node/directory.h"
#include "node/session.h"

#define HELP_MAX 6144

static const char publish_intro[] =
	"usage: schakel-node directory publish --dir D --file F [--as ID] [--json]\n\n"
	"Publishes the organisation's record on the sociale kaart (the regional\n"
	"directory): signed with the org's identity key, added to the registry's log\n"
	"and checked on return. Partners see it after their next sync. F is JSON:\n"
	"  {\"display_name\": \"Wijkteam Zeist\",             (default: the org's name)\n"
	"   \"municipalities\": [\"Zeist\"],\n"
	"   \"services\": [\"schuldhulp\"], \"target_groups\": [\"volwassenen\"],\n"
	"   \"services_text\": \"free text next to the services\",\n"
	"   \"how_to_refer\": \"how partners refer a client\",\n"
	"   \"waiting_weeks\": 3, \"waiting_date\": \"2026-12-07\",  (default: today)\n"
	"   \"wegwijzers\": [{\"name\": \"...\", \"role\": \"...\", \"phone\": \"...\", \"email\": \"...\"}]}\n"
	"A waiting time older than 30 days is shown as stale (verouderd).\n\n";

/* The vocabulary, for the help texts. */
static void vocab_help(char *out, size_t cap, const char *intro, const char *tail)
{
	size_t at = (size_t)snprintf(out, cap, "%s", intro);

	at += (size_t)snprintf(out + at, at < cap ? cap - at : 0, "services:\n");
	for (const wire_dir_word *w = wire_dir_services; w->code != NULL; w++)
		at += (size_t)snprintf(out + at, at < cap ? cap - at : 0, "  %-24s %s\n", w->code,
				       w->en);
	at += (size_t)snprintf(out + at, at < cap ? cap - at : 0, "target groups:\n");
	for (const wire_dir_word *w = wire_dir_target_groups; w->code != NULL; w++)
		at += (size_t)snprintf(out + at, at < cap ? cap - at : 0, "  %-24s %s\n", w->code,
				       w->en);
	snprintf(out + at, at < cap ? cap - at : 0, "\n%s", tail);
}

struct pub_args {
	const char *file, *as;
};

static int pub_opt(int c, const char *arg, void *p)
{
	struct pub_args *a = p;

	switch (c) {
	case 'f':
		a->file = arg;
		break;
	case 'A':
		a->as = arg;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static int cmd_publish(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"file", required_argument, NULL, 'f'},
					   {"as", required_argument, NULL, 'A'}, {0}};
	static const char cmd[] = "directory publish";
	static char help[HELP_MAX];
	struct pub_args a = {0};
	sk_cli_common o = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	struct node_remote *r = NULL;
	json_error_t jerr;
	json_t *doc = NULL;
	uint64_t version = 0;
	sk_status st;
	int rc;

	vocab_help(help, sizeof(help), publish_intro,
		   "  --file F              the record, JSON as above\n"
		   "  --as ID               who publishes (recorded)\n" SK_CLI_COMMON_HELP);
	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, pub_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (a.file == NULL)
		return sk_cli_usage(cmd, "--file F is required");
	if ((doc = json_load_file(a.file, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		sk_cli_say("%s: %s is not valid JSON (line %d: %s); fix the file and try again",
			   cmd, a.file, jerr.line, jerr.text);
		return SK_EXIT_FAIL;
	}
	if ((rc = node_cli_open_remote(&s, &kek, &r, &o, cmd)) != 0) {
		json_decref(doc);
		return rc;
	}
	st = node_directory_publish(r, doc, a.as, &version);
	if (st == SK_OK && o.json)
		node_cli_print_json(json_pack("{s:s,s:I}", "id", s->org_id, "version",
					      (json_int_t)version));
	else if (st == SK_OK)
		printf("directory record published (version %llu); partners see it after their "
		       "next sync\n", (unsigned long long)version);
	json_decref(doc);
	node_remote_close(r);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

struct search_args {
	wire_dir_query q;
	const char *as;
};

static int search_opt(int c, const char *arg, void *p)
{
	struct search_args *a = p;

	switch (c) {
	case 's':
		if (wire_dir_word_find(wire_dir_services, arg) == NULL)
			return sk_cli_usage("directory search", "'%s' is not a service of the list "
								"(see --help)", arg);
		a->q.service = arg;
		break;
	case 'g':
		if (wire_dir_word_find(wire_dir_target_groups, arg) == NULL)
			return sk_cli_usage("directory search", "'%s' is not a target group of the "
								"list (see --help)", arg);
		a->q.target_group = arg;
		break;
	case 'm':
		a->q.municipality = arg;
		break;
	case 'c':
		a->q.category = arg;
		break;
	case 't':
		a->q.text = arg;
		break;
	case 'A':
		a->as = arg;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

struct found {
	json_t *list;
	uint64_t now;
};

static sk_status add_found(const Schakel__V1__DirectoryRecord *r, void *arg)
{
	struct found *f = arg;

	return json_array_append_new(f->list, node_directory_json(r, "en", f->now)) == 0
		       ? SK_OK
		       : SK_ERR_NOMEM;
}

/* One record in words, for a terminal. */
static void print_record(const json_t *o, int full)
{
	const json_t *v, *w;
	size_t i;

	printf("%s (%s, %s)\n", json_string_value(json_object_get(o, "name")),
	       json_string_value(json_object_get(o, "id")),
	       json_string_value(json_object_get(o, "category")));
	printf("  services:");
	json_array_foreach(json_object_get(o, "services"), i, v)
		printf("%s %s", i ? "," : "", json_string_value(json_object_get(v, "name")));
	printf("\n  target groups:");
	json_array_foreach(json_object_get(o, "target_groups"), i, v)
		printf("%s %s", i ? "," : "", json_string_value(json_object_get(v, "name")));
	printf("\n  municipalities:");
	json_array_foreach(json_object_get(o, "municipalities"), i, v)
		printf("%s %s", i ? "," : "", json_string_value(v));
	printf("\n");
	if ((v = json_object_get(o, "waiting_weeks")) != NULL)
		printf("  waiting time: %lld weeks as of %s%s\n", (long long)json_integer_value(v),
		       json_string_value(json_object_get(o, "waiting_date")),
		       json_is_true(json_object_get(o, "stale")) ? " (stale: older than 30 days)"
								  : "");
	if (*json_string_value(json_object_get(o, "how_to_refer")))
		printf("  how to refer: %s\n", json_string_value(json_object_get(o, "how_to_refer")));
	if (full && *json_string_value(json_object_get(o, "services_text")))
		printf("  about: %s\n", json_string_value(json_object_get(o, "services_text")));
	json_array_foreach(json_object_get(o, "wegwijzers"), i, w)
		printf("  wegwijzer: %s, %s, %s, %s\n", json_string_value(json_object_get(w, "name")),
		       json_string_value(json_object_get(w, "role")),
		       json_string_value(json_object_get(w, "phone")),
		       json_string_value(json_object_get(w, "email")));
}

static int cmd_search(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"service", required_argument, NULL, 's'},
					   {"target-group", required_argument, NULL, 'g'},
					   {"municipality", required_argument, NULL, 'm'},
					   {"category", required_argument, NULL, 'c'},
					   {"text", required_argument, NULL, 't'},
					   {"as", required_argument, NULL, 'A'}, {0}};
	static const char cmd[] = "directory search";
	static char help[HELP_MAX];
	struct search_args a = {0};
	struct found f = {json_array(), sk_clock_now_ms()};
	sk_cli_common o = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	const json_t *v;
	size_t i;
	sk_status st;
	int rc;

	vocab_help(help, sizeof(help),
		   "usage: schakel-node directory search --dir D [--service S] [--target-group G]\n"
		   "       [--municipality M] [--category C] [--text T] [--as ID] [--json]\n\n"
		   "Searches the sociale kaart as the last sync fetched and verified it: every\n"
		   "live member's latest record that matches all the filters given. The search\n"
		   "is recorded in the audit log (event directory.search).\n\n",
		   "  --service S           a service of the list above\n"
		   "  --target-group G      a target group of the list above\n"
		   "  --municipality M      a municipality served (case does not matter)\n"
		   "  --category C          the org's category (ggz, sociaal-team, ...)\n"
		   "  --text T              words found in name, texts, municipalities, services\n"
		   "  --as ID               who searches (recorded)\n" SK_CLI_COMMON_HELP);
	if (f.list == NULL)
		return sk_cli_fail(SK_ERR_NOMEM, cmd);
	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, search_opt, &a)) != SK_CLI_RUN ||
	    (rc = sk_cli_need_dir(cmd, &o)) != 0 || (rc = node_cli_open(&s, &kek, &o, cmd)) != 0) {
		json_decref(f.list);
		return rc;
	}
	if ((st = node_audit_access(s, "directory.search", a.as, NULL, "directory", NULL, NULL)) ==
		    SK_OK &&
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_directory_search(s, txn, &a.q, add_found, &f);
		mdb_txn_abort(txn);
	}
	if (st == SK_OK && o.json) {
		node_cli_print_json(f.list);
		f.list = NULL;
	} else if (st == SK_OK) {
		if (json_array_size(f.list) == 0)
			printf("no organisation matches; run sync to fetch the latest directory\n");
		json_array_foreach(f.list, i, v)
			print_record(v, 0);
	}
	json_decref(f.list);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

static int as_opt(int c, const char *arg, void *p)
{
	if (c != 'A')
		return SK_CLI_UNKNOWN;
	*(const char **)p = arg;
	return SK_CLI_RUN;
}

static int cmd_show(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"as", required_argument, NULL, 'A'}, {0}};
	static const char help[] =
		"usage: schakel-node directory show ORG --dir D [--as ID] [--json]\n\n"
		"One organisation's record on the sociale kaart, as the last sync fetched and\n"
		"verified it (or as we published it). Recorded in the audit log (event\n"
		"directory.show).\n\n"
		"  --as ID               who looks (recorded)\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "directory show";
	const char *org = NULL, *as = NULL;
	Schakel__V1__DirectoryRecord *rec = NULL;
	sk_cli_common o = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	json_t *j;
	sk_status st;
	int rc;

	if (argc >= 2 && argv[1][0] != '-') {
		org = argv[1];
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, as_opt, &as)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (org == NULL)
		return sk_cli_usage(cmd, "the org id ORG is required");
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		return rc;
	if ((st = node_audit_access(s, "directory.show", as, NULL, "directory", NULL, NULL)) ==
		    SK_OK &&
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_directory_get(s, txn, org, &rec);
		mdb_txn_abort(txn);
	}
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("%s has no record on the sociale kaart here; run sync to fetch the "
			     "latest directory", org);
	if (st == SK_OK && (j = node_directory_json(rec, "en", sk_clock_now_ms())) != NULL) {
		if (o.json)
			node_cli_print_json(j);
		else {
			print_record(j, 1);
			json_decref(j);
		}
	}
	schakel__v1__directory_record__free_unpacked(rec, NULL);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

static const sk_cli_cmd dir_cmds[] = {
	{"publish", cmd_publish, "publish the organisation's record on the sociale kaart"},
	{"search", cmd_search, "search the partners' records"},
	{"show", cmd_show, "one organisation's record"},
};

int node_cli_directory(int argc, char **argv)
{
	return sk_cli_group("schakel-node", "directory", dir_cmds,
			    sizeof(dir_cmds) / sizeof(dir_cmds[0]), argc, argv);
}
