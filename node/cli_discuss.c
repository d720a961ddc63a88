/* schakel-node discuss: argument parsing for anonymous case discussions. */
#define _XOPEN_SOURCE 700 /* strptime */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "node/cli.h"
#include "common/clock.h"
#include "common/when.h"
#include "common/file.h"
#include "node/discuss.h"
#include "node/session.h"
#include "node/textcheck.h"

static void print_who(const json_t *w);

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

/* The --as PROF of every subcommand (discuss list takes it and ignores it). */
static int as_opt(int c, const char *arg, void *p)
{
	if (c != 'a')
		return SK_CLI_UNKNOWN;
	*(const char **)p = arg;
	return SK_CLI_RUN;
}

struct request_args {
	char client[64]; /* a BSN or a local id */
	const char *as, *topic;
	uint64_t from, to;
};

static int request_opt(int c, const char *arg, void *p)
{
	struct request_args *a = p;

	switch (c) {
	case 'c':
		snprintf(a->client, sizeof(a->client), "%s", arg);
		sk_cli_arg_wipe(arg);
		break;
	case 'a':
		a->as = arg;
		break;
	case 't':
		a->topic = arg;
		break;
	case 'w':
		if (parse_window(arg, &a->from, &a->to) != 0)
			return sk_cli_usage("discuss request",
					    "--window takes YYYY-MM-DD/YYYY-MM-DD");
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

/* One exit path after --client: it wipes the client's BSN. */
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
	struct request_args a = {.from = sk_clock_now_ms()};
	char id[NODE_DISCUSSION_HEX];
	node_store *s = NULL;
	node_remote *r = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	a.to = a.from + NODE_DISCUSS_WINDOW_DEFAULT_MS;
	if ((rc = sk_cli_parse("discuss request", argc, argv, lo, help, &o, request_opt, &a)) !=
	    SK_CLI_RUN)
		goto wipe;
	if ((rc = sk_cli_need_dir("discuss request", &o)) != 0)
		goto wipe;
	if (a.client[0] == 0 || a.as == NULL || a.topic == NULL) {
		rc = sk_cli_usage("discuss request", "--client, --as and --topic are required");
		goto wipe;
	}
	if ((rc = node_cli_open_remote(&s, &kek, &r, &o, "discuss request")) != 0)
		goto wipe;
	st = node_discuss_request(r, a.client, a.as, a.topic, a.from, a.to, id);
	sodium_memzero(a.client, sizeof(a.client));
	if (st == SK_OK && o.json)
		node_cli_print_json(json_pack("{s:s}", "id", id));
	else if (st == SK_OK)
		printf("%s\n", id);
	node_remote_close(r);
	node_cli_close(s, kek);
	rc = st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "discuss request");
wipe:
	sodium_memzero(&a, sizeof(a));
	return rc;
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

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, as_opt, &as)) != SK_CLI_RUN)
		return rc;
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
		printf("%s  invitation about your client %s, topic %s (%s)\n",
		       json_string_value(json_object_get(d, "id")),
		       json_string_value(json_object_get(d, "client")),
		       json_string_value(json_object_get(d, "topic")),
		       json_string_value(json_object_get(d, "state")));
	} else if (role != NULL && strcmp(role, "participant") == 0) {
		printf("%s  accepted, about your client %s, topic %s (%s), %lld messages\n",
		       json_string_value(json_object_get(d, "id")),
		       json_string_value(json_object_get(d, "client")),
		       json_string_value(json_object_get(d, "topic")),
		       json_string_value(json_object_get(d, "state")),
		       (long long)json_integer_value(json_object_get(d, "n_messages")));
	} else {
		printf("%s  your request about client %s, topic %s (%s): %zu accepted\n",
		       json_string_value(json_object_get(d, "id")),
		       json_string_value(json_object_get(d, "client")),
		       json_string_value(json_object_get(d, "topic")),
		       json_string_value(json_object_get(d, "state")), json_array_size(acc));
		for (size_t i = 0; i < json_array_size(acc); i++) {
			printf("    ");
			print_who(json_array_get(acc, i));
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
	const char *as = NULL;
	node_store *s = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("discuss list", argc, argv, lo, help, &o, as_opt, &as)) !=
	    SK_CLI_RUN)
		return rc;
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

static void print_who(const json_t *w)
{
	const char *phone = json_string_value(json_object_get(w, "phone"));
	const char *email = json_string_value(json_object_get(w, "email"));

	printf("%s (%s): %s, %s%s%s%s%s\n", json_string_value(json_object_get(w, "org_name")),
	       json_string_value(json_object_get(w, "category")),
	       json_string_value(json_object_get(w, "name")),
	       json_string_value(json_object_get(w, "role")), phone && *phone ? " " : "",
	       phone ? phone : "", email && *email ? " " : "", email ? email : "");
}

/* A moment as the pages show it, in local time (common/when.h). */
static void print_time(uint64_t ms)
{
	char buf[SK_WHEN_BYTES];

	sk_when(buf, ms, SK_WHEN_EN);
	fputs(buf, stdout);
}

static int cmd_show(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"as", required_argument, NULL, 'a'}, {0}};
	static const char help[] =
		"usage: schakel-node discuss show ID --as PROF [--json]\n\n"
		"The discussion with its participants and thread: the summary, messages and\n"
		"the outcome with the regievoerder. Only for a professional assigned to an\n"
		"open case of the client; the read is recorded in the audit log.\n\n"
		SK_CLI_COMMON_HELP;
	const char *id = take_id(&argc, &argv), *as = NULL;
	sk_cli_common o = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	json_t *d = NULL, *m, *w;
	const char *org;
	size_t i;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("discuss show", argc, argv, lo, help, &o, as_opt, &as)) !=
	    SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("discuss show", &o)) != 0)
		return rc;
	if (id == NULL || as == NULL)
		return sk_cli_usage("discuss show", "the discussion ID and --as are required");
	if ((rc = node_cli_open(&s, &kek, &o, "discuss show")) != 0)
		return rc;
	st = node_discuss_show(s, id, as, &d);
	if (st == SK_OK && o.json) {
		node_cli_print_json(d);
		d = NULL;
	} else if (st == SK_OK) {
		printf("discussion %s, topic %s, client %s (%s, %s)\n", id,
		       json_string_value(json_object_get(d, "topic")),
		       json_string_value(json_object_get(d, "client")),
		       json_string_value(json_object_get(d, "role")),
		       json_string_value(json_object_get(d, "state")));
		printf("participants:\n");
		json_object_foreach(json_object_get(d, "participants"), org, w)
		{
			printf("  ");
			print_who(w);
		}
		json_array_foreach(json_object_get(d, "messages"), i, m)
		{
			printf("\n[");
			print_time((uint64_t)json_integer_value(json_object_get(m, "time")));
			printf("] %s of %s, %s:\n%s\n", json_string_value(json_object_get(m, "name")),
			       json_string_value(json_object_get(m, "org_name")),
			       json_string_value(json_object_get(m, "kind")),
			       json_string_value(json_object_get(m, "text")));
			if ((w = json_object_get(m, "regie")) != NULL)
				printf("regievoerder: %s, %s\n",
				       json_string_value(json_object_get(w, "org")),
				       json_string_value(json_object_get(w, "professional")));
		}
	}
	json_decref(d);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "discuss show");
}

/* The text check of node/textcheck.h: a BSN is refused; a date or an
 * address needs --yes, or a yes on a terminal. 0 to go on, else the exit
 * code. */
static int check_text(const char *cmd, const char *text, int yes, int stdin_used)
{
	node_text_verdict v = node_text_check(text, strlen(text), NULL);
	char answer[8] = "";

	if (v == NODE_TEXT_OK)
		return 0;
	if (v == NODE_TEXT_BSN) {
		fprintf(stderr, "schakel-node %s: %s\n", cmd, node_text_verdict_msg(v));
		return SK_EXIT_FAIL;
	}
	if (yes)
		return 0;
	if (stdin_used || !isatty(STDIN_FILENO)) {
		fprintf(stderr, "schakel-node %s: %s (no terminal to ask)\n", cmd,
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

/* The text of --text-file F ("-": standard input), trailing newlines cut. */
static int read_text(const char *cmd, const char *path, char **out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	sk_status st;

	*out = NULL;
	if (strcmp(path, "-") == 0) {
		if ((data = malloc(NODE_DISCUSS_TEXT_MAX + 2)) == NULL)
			return sk_cli_fail(SK_ERR_NOMEM, cmd);
		len = fread(data, 1, NODE_DISCUSS_TEXT_MAX + 1, stdin);
		data[len] = 0;
		st = len > NODE_DISCUSS_TEXT_MAX ? SK_ERR_TOOBIG : SK_OK;
	} else {
		st = sk_file_read(path, NODE_DISCUSS_TEXT_MAX, &data, &len);
	}
	if (st == SK_ERR_TOOBIG)
		sk_error_set("the text is longer than %u bytes", NODE_DISCUSS_TEXT_MAX);
	if (st != SK_OK) {
		free(data);
		return sk_cli_fail(st, cmd);
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = 0;
	if (len == 0 || memchr(data, 0, len) != NULL || !node_discuss_text_ok((char *)data)) {
		free(data);
		return sk_cli_usage(cmd, "the text must be non-empty UTF-8 text");
	}
	*out = (char *)data;
	return 0;
}

struct send_args {
	const char *as, *file, *regie, *outcome;
	int yes;
};

static int send_opt(int c, const char *arg, void *p)
{
	struct send_args *a = p;

	switch (c) {
	case 'a':
		a->as = arg;
		break;
	case 't':
		a->file = arg;
		break;
	case 'r':
		a->regie = arg;
		break;
	case 'o':
		a->outcome = arg;
		break;
	case 'y':
		a->yes = 1;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

/* One exit path: it wipes the text (a plaintext the registry never sees). */
static int send_or_close(int argc, char **argv, int close)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"as", required_argument, NULL, 'a'},
					   {"text-file", required_argument, NULL, 't'},
					   {"regie", required_argument, NULL, 'r'},
					   {"outcome", required_argument, NULL, 'o'},
					   {"yes", no_argument, NULL, 'y'}, {0}};
	static const char help_send[] =
		"usage: schakel-node discuss send ID --as PROF --text-file F|- [--yes]\n\n"
		"Sends a text to the other participants, signed by our organisation and sealed\n"
		"to each of them; the registry sees only ciphertext. The requester's first send\n"
		"is the summary, which also tells the acceptors who asks. The summary must not\n"
		"identify the client: a text with a valid BSN is refused; one that looks like a\n"
		"date of birth or a postcode with house number is sent only with --yes (or a\n"
		"yes on a terminal).\n\n" SK_CLI_COMMON_HELP;
	static const char help_close[] =
		"usage: schakel-node discuss close ID --as PROF --regie ORG:PROF --outcome TEXT\n"
		"           [--yes]\n\n"
		"Closes our discussion with its outcome (the agreed next steps) and the\n"
		"regievoerder, shown to every participant. The regievoerder's organisation\n"
		"republishes its entry with the regie flag, which later lookups show. The\n"
		"registry then purges the discussion's ciphertext.\n\n" SK_CLI_COMMON_HELP;
	const char *cmd = close ? "discuss close" : "discuss send";
	const char *id = take_id(&argc, &argv);
	char regie_org[NET_ORG_ID_MAX + 1] = "", *text = NULL;
	const char *regie_prof = NULL;
	struct send_args a = {0};
	sk_cli_common o = {0};
	node_store *s = NULL;
	node_remote *r = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, close ? help_close : help_send, &o, send_opt,
			       &a)) != SK_CLI_RUN)
		goto out;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		goto out;
	if (id == NULL || a.as == NULL) {
		rc = sk_cli_usage(cmd, "the discussion ID and --as are required");
		goto out;
	}
	if (close) {
		const char *colon = a.regie != NULL ? strchr(a.regie, ':') : NULL;

		if (colon == NULL || colon == a.regie || colon[1] == 0 ||
		    (size_t)(colon - a.regie) > NET_ORG_ID_MAX || a.outcome == NULL) {
			rc = sk_cli_usage(cmd, "--regie ORG:PROF and --outcome TEXT are required");
			goto out;
		}
		memcpy(regie_org, a.regie, (size_t)(colon - a.regie));
		regie_prof = colon + 1;
		if ((text = strdup(a.outcome)) == NULL) {
			rc = sk_cli_fail(SK_ERR_NOMEM, cmd);
			goto out;
		}
	} else {
		if (a.file == NULL) {
			rc = sk_cli_usage(cmd, "--text-file F (or - for standard input) is required");
			goto out;
		}
		if ((rc = read_text(cmd, a.file, &text)) != 0)
			goto out;
	}
	if ((rc = check_text(cmd, text, a.yes, a.file != NULL && strcmp(a.file, "-") == 0)) != 0)
		goto out;
	if ((rc = node_cli_open_remote(&s, &kek, &r, &o, cmd)) != 0)
		goto out;
	st = node_discuss_send(r, id, a.as, text, close, close ? regie_org : NULL, regie_prof);
	if (st == SK_OK)
		printf(close ? "discussion %s closed\n" : "sent in discussion %s\n", id);
	node_remote_close(r);
	node_cli_close(s, kek);
	rc = st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
out:
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	return rc;
}

static int cmd_send(int argc, char **argv)
{
	return send_or_close(argc, argv, 0);
}

static int cmd_close(int argc, char **argv)
{
	return send_or_close(argc, argv, 1);
}

static const sk_cli_cmd discuss_cmds[] = {
	{"request", cmd_request, "invite partners to an anonymous case discussion"},
	{"list", cmd_list, "invitations received and our requests"},
	{"accept", cmd_accept, "accept an invitation"},
	{"decline", cmd_decline, "decline an invitation (never shown to the requester)"},
	{"show", cmd_show, "a discussion with its thread"},
	{"send", cmd_send, "send the summary (first) or a message to the participants"},
	{"close", cmd_close, "close with the outcome and the regievoerder"},
};

int node_cli_discuss(int argc, char **argv)
{
	return sk_cli_group("schakel-node", "discuss", discuss_cmds,
			    sizeof(discuss_cmds) / sizeof(discuss_cmds[0]), argc, argv);
}
