/* schakel-node discuss: argument parsing for anonymous case discussions. */
#define _XOPEN_SOURCE 700 /* strptime */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "node/cli.h"
#include "node/discuss.h"

/* The discussion id: the first argument when it is not an option. */
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

/* "YYYY-MM-DD/YYYY-MM-DD" (ISO 8601 interval of dates, UTC) into ms. */
static int parse_window(const char *s, uint64_t *from, uint64_t *to)
{
	struct tm a = {0}, b = {0};
	const char *slash = strchr(s, '/');
	char *end;

	if (slash == NULL || (end = strptime(s, "%Y-%m-%d", &a)) != slash ||
	    (end = strptime(slash + 1, "%Y-%m-%d", &b)) == NULL || *end != '\0')
		return -1;
	*from = (uint64_t)timegm(&a) * 1000u;
	*to = (uint64_t)timegm(&b) * 1000u + 86400000u - 1;
	return *to > *from ? 0 : -1;
}


static int cmd_request(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"client", required_argument, NULL, 'c'},
					   {"as", required_argument, NULL, 'a'},
					   {"topic", required_argument, NULL, 't'},
					   {"window", required_argument, NULL, 'w'}, {0}};
	static const char help[] =
		"usage: schakel-node discuss request --client BSN|ID --as PROF --topic CODE\n"
		"           [--window YYYY-MM-DD/YYYY-MM-DD]\n\n"
		"Invites, anonymously, every partner organisation that takes case discussions\n"
		"for this client and may be invited: only the topic and the time window reach\n"
		"them, not who asks nor what about. Nothing tells whether anyone was invited\n"
		"until someone accepts. Default window: the next 14 days.\n\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	char client[64] = "", id[NODE_DISCUSSION_HEX];
	const char *as = NULL, *topic = NULL;
	uint64_t from = (uint64_t)time(NULL) * 1000u, to = from + NODE_DISCUSS_WINDOW_DEFAULT_MS;
	node_store *s = NULL;
	node_remote *r = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	SK_CLI_PARSE("discuss request", lo, help,
		     case 'c' : snprintf(client, sizeof(client), "%s", optarg);
		     sodium_memzero(optarg, strlen(optarg)); break;
		     case 'a' : as = optarg; break; case 't' : topic = optarg; break;
		     case 'w' : if (parse_window(optarg, &from, &to) != 0) return
			     sk_cli_usage("discuss request", "--window takes YYYY-MM-DD/YYYY-MM-DD");
		     break;);
	if ((rc = sk_cli_need_dir("discuss request", &o)) != 0)
		return rc;
	if (client[0] == 0 || as == NULL || topic == NULL)
		return sk_cli_usage("discuss request", "--client, --as and --topic are required");
	if ((rc = node_cli_open_remote(&s, &kek, &r, &o, "discuss request")) != 0)
		return rc;
	st = node_discuss_request(r, client, as, topic, from, to, id);
	sodium_memzero(client, sizeof(client));
	if (st == SK_OK && o.json)
		node_cli_print_json(json_pack("{s:s}", "id", id));
	else if (st == SK_OK)
		printf("%s\n", id);
	node_remote_close(r);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "discuss request");
}

static int answer(int argc, char **argv, int accept)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"as", required_argument, NULL, 'a'}, {0}};
	static const char help_accept[] =
		"usage: schakel-node discuss accept ID --as PROF\n\n"
		"Accepts an invitation: our organisation, the professional (name, role,\n"
		"contact) and our encryption key go to the requester, sealed so that only\n"
		"it can read them.\n\n" SK_CLI_COMMON_HELP;
	static const char help_decline[] =
		"usage: schakel-node discuss decline ID --as PROF\n\n"
		"Declines an invitation; the requester is never told.\n\n" SK_CLI_COMMON_HELP;
	const char *cmd = accept ? "discuss accept" : "discuss decline";
	const char *help = accept ? help_accept : help_decline;
	const char *id = take_id(&argc, &argv), *as = NULL;
	sk_cli_common o = {0};
	node_store *s = NULL;
	node_remote *r = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	SK_CLI_PARSE(cmd, lo, help, case 'a' : as = optarg; break;);
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (id == NULL || as == NULL)
		return sk_cli_usage(cmd, "the discussion ID and --as are required");
	if ((rc = node_cli_open_remote(&s, &kek, &r, &o, cmd)) != 0)
		return rc;
	st = node_discuss_answer(r, id, as, accept);
	if (st == SK_OK)
		printf("invitation %s %s\n", id, accept ? "accepted" : "declined");
	node_remote_close(r);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

static int cmd_accept(int argc, char **argv)
{
	return answer(argc, argv, 1);
}

static int cmd_decline(int argc, char **argv)
{
	return answer(argc, argv, 0);
}

struct list {
	json_t *all;
	int json;
};

static sk_status list_one(json_t *d, void *arg)
{
	struct list *l = arg;
	const char *role = json_string_value(json_object_get(d, "role"));
	json_t *acc = json_object_get(d, "accepted");

	if (l->json) {
		json_array_append_new(l->all, d);
		return SK_OK;
	}
	if (role != NULL && strcmp(role, "invited") == 0) {
		printf("%s  invitation about your client %s, topic %s\n",
		       json_string_value(json_object_get(d, "id")),
		       json_string_value(json_object_get(d, "client")),
		       json_string_value(json_object_get(d, "topic")));
	} else {
		printf("%s  your request about client %s, topic %s: %zu accepted\n",
		       json_string_value(json_object_get(d, "id")),
		       json_string_value(json_object_get(d, "client")),
		       json_string_value(json_object_get(d, "topic")), json_array_size(acc));
		for (size_t i = 0; i < json_array_size(acc); i++) {
			json_t *w = json_array_get(acc, i);

			printf("    %s (%s): %s, %s %s %s\n",
			       json_string_value(json_object_get(w, "org_name")),
			       json_string_value(json_object_get(w, "category")),
			       json_string_value(json_object_get(w, "name")),
			       json_string_value(json_object_get(w, "role")),
			       json_string_value(json_object_get(w, "phone")),
			       json_string_value(json_object_get(w, "email")));
		}
	}
	json_decref(d);
	return SK_OK;
}

static int cmd_list(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"as", required_argument, NULL, 'a'}, {0}};
	static const char help[] =
		"usage: schakel-node discuss list [--json]\n\n"
		"Invitations received and our own requests with who accepted (after 'sync').\n\n"
		SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct list l = {NULL, 0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	SK_CLI_PARSE("discuss list", lo, help, case 'a' : break;);
	if ((rc = sk_cli_need_dir("discuss list", &o)) != 0)
		return rc;
	if ((rc = node_cli_open(&s, &kek, &o, "discuss list")) != 0)
		return rc;
	l.json = o.json;
	l.all = json_array();
	st = node_discuss_scan(s, kek, list_one, &l);
	if (st == SK_OK && l.json)
		node_cli_print_json(l.all);
	else
		json_decref(l.all);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "discuss list");
}

static const sk_cli_cmd discuss_cmds[] = {
	{"request", cmd_request, "invite partners to an anonymous case discussion"},
	{"list", cmd_list, "invitations received and our requests"},
	{"accept", cmd_accept, "accept an invitation"},
	{"decline", cmd_decline, "decline an invitation (never shown to the requester)"},
};

int node_cli_discuss(int argc, char **argv)
{
	size_t n = sizeof(discuss_cmds) / sizeof(discuss_cmds[0]);

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		printf("usage: schakel-node discuss SUBCOMMAND [options]\n\n");
		for (size_t i = 0; i < n; i++)
			printf("  %-10s %s\n", discuss_cmds[i].name, discuss_cmds[i].summary);
		printf("\nMessages, the summary and closing with regie arrive with the rest of the\n"
		       "discussion issue.\n");
		return argc < 2 ? SK_EXIT_USAGE : SK_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[1], discuss_cmds[i].name) == 0)
			return discuss_cmds[i].fn(argc - 1, argv + 1);
	return sk_cli_usage("discuss", "unknown subcommand '%s'", argv[1]);
}
