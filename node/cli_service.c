/* schakel-node service ...: the credentials of the org's client system
 * (ECD/EPD) for the integration API (node/service.h, docs/operator.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/cli.h"
#include "node/cli.h"
#include "node/service.h"

struct svc_args {
	const char *id;
	const char *name;
	const char *as;
};

static int svc_opt(int c, const char *arg, void *p)
{
	struct svc_args *a = p;

	switch (c) {
	case 'i':
		a->id = arg;
		break;
	case 'n':
		a->name = arg;
		break;
	case 'A':
		a->as = arg;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static const struct option svc_lo[] = {SK_CLI_COMMON_LONG,
				       {"id", required_argument, NULL, 'i'},
				       {"name", required_argument, NULL, 'n'},
				       {"as", required_argument, NULL, 'A'}, {0}};

/* Parses a service command's options into *o and *a and (with need_id,
 * the id given) opens the store: SK_CLI_RUN, or the exit code (also
 * SK_EXIT_OK after --help). */
static int svc_begin(const char *cmd, int argc, char **argv, const char *help, sk_cli_common *o,
		     struct svc_args *a, int need_id, node_store **s, sk_kek **kek)
{
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, svc_lo, help, o, svc_opt, a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, o)) != 0)
		return rc;
	if (need_id && a->id == NULL)
		return sk_cli_usage(cmd, "name the service (--id ID, or service revoke ID)");
	return (rc = node_cli_open(s, kek, o, cmd)) != 0 ? rc : SK_CLI_RUN;
}

static int cmd_add(int argc, char **argv)
{
	static const char help[] =
		"usage: schakel-node service add --dir D --id ID --name NAME [--as WHO]\n\n"
		"Makes a credential for the organisation's client system (ECD/EPD) to use\n"
		"the integration API (/api/integration/v1/) of 'serve --http'. The credential\n"
		"is printed once, on stdout: store it in the client system's secret store at\n"
		"once; the node keeps only its hash and cannot show it again. The system sends\n"
		"it as 'Authorization: Bearer CREDENTIAL'. Recorded as service.add.\n\n"
		"  --id ID       the service's id: 1 to 32 of a-z, 0-9 and '-' (never reused)\n"
		"  --name NAME   what it is, e.g. \"ECD Wijkteam Zeist\"\n"
		"  --as WHO      who makes it (recorded)\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "service add";
	char cred[NODE_SERVICE_CRED_MAX + 1];
	sk_cli_common o = {0};
	struct svc_args a = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = svc_begin(cmd, argc, argv, help, &o, &a, 1, &s, &kek)) != SK_CLI_RUN)
		return rc;
	if (a.name == NULL) {
		node_cli_close(s, kek);
		return sk_cli_usage(cmd, "--name NAME is required");
	}
	st = node_service_add(s, a.id, a.name, a.as, cred);
	if (st == SK_OK && o.json) {
		node_cli_print_json(json_pack("{s:s,s:s,s:s}", "id", a.id, "name", a.name,
					      "credential", cred));
	} else if (st == SK_OK) {
		printf("%s\n", cred);
		fflush(stdout);
		fprintf(stderr, "service %s made; the line above is its credential, shown only "
				"this once\n", a.id);
	}
	sodium_memzero(cred, sizeof(cred));
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

static int cmd_list(int argc, char **argv)
{
	static const char help[] =
		"usage: schakel-node service list --dir D [--json] [--as WHO]\n\n"
		"Lists the client system's credentials: id, name, when made and whether\n"
		"revoked (never the credential itself). Recorded as service.list.\n\n"
		SK_CLI_COMMON_HELP;
	static const char cmd[] = "service list";
	sk_cli_common o = {0};
	struct svc_args a = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	json_t *list = NULL, *v;
	size_t i;
	sk_status st;
	int rc;

	if ((rc = svc_begin(cmd, argc, argv, help, &o, &a, 0, &s, &kek)) != SK_CLI_RUN)
		return rc;
	st = node_service_list(s, a.as, &list);
	if (st == SK_OK && o.json) {
		node_cli_print_json(list);
		list = NULL;
	} else if (st == SK_OK) {
		if (json_array_size(list) == 0)
			printf("no services; make one with 'service add --id ID --name NAME'\n");
		json_array_foreach(list, i, v)
		{
			json_t *rv = json_object_get(v, "revoked_at");

			printf("%-20s %-40s %s\n", json_string_value(json_object_get(v, "id")),
			       json_string_value(json_object_get(v, "name")),
			       json_is_null(rv) ? "valid" : "revoked");
		}
	}
	json_decref(list);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

static int cmd_revoke(int argc, char **argv)
{
	static const char help[] =
		"usage: schakel-node service revoke ID --dir D [--as WHO]\n\n"
		"Revokes service ID's credential for good, at once (a running serve refuses\n"
		"it from its next request). Make a new one with another id. Recorded as\n"
		"service.revoke.\n\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "service revoke";
	sk_cli_common o = {0};
	struct svc_args a = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if (argc >= 2 && argv[1][0] != '-') {
		a.id = argv[1];
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	if ((rc = svc_begin(cmd, argc, argv, help, &o, &a, 1, &s, &kek)) != SK_CLI_RUN)
		return rc;
	st = node_service_revoke(s, a.id, a.as);
	if (st == SK_OK && o.json)
		node_cli_print_json(json_pack("{s:s,s:s}", "id", a.id, "state", "revoked"));
	else if (st == SK_OK)
		printf("service %s revoked; its credential no longer works\n", a.id);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

static const sk_cli_cmd service_cmds[] = {
	{"add", cmd_add, "make a credential for the client system (shown once)"},
	{"list", cmd_list, "list the client system's credentials"},
	{"revoke", cmd_revoke, "revoke a credential for good"},
};

int node_cli_service(int argc, char **argv)
{
	return sk_cli_group("schakel-node", "service", service_cmds,
			    sizeof(service_cmds) / sizeof(service_cmds[0]), argc, argv);
}
