/* schakel-node subcommands: argument parsing and printing only; the work
 * is done by the node library. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "common/cli.h"
#include "common/cli_backup.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/file.h"
#include "node/auth.h"
#include "node/case.h"
#include "node/cli.h"
#include "node/directory.h"
#include "node/inbox.h"
#include "node/lookup.h"
#include "node/publish.h"
#include "node/sync.h"
#include "node/token.h"
#include "web/serve.h"
#include "node/client.h"
#include "node/entry.h"
#include "node/import.h"
#include "node/join.h"
#include "node/professional.h"
#include "node/rekey.h"
#include "node/store.h"

#define PROG "schakel-node"

/* ---- shared plumbing ------------------------------------------------------ */

/* Opens the node of o->dir; returns an exit code or 0. */
int node_cli_open(node_store **s, sk_kek **kek, const sk_cli_common *o, const char *what)
{
	sk_status st;

	if ((st = sk_cli_kek(kek, o)) != SK_OK)
		return sk_cli_fail(st, what);
	if ((st = node_store_open(s, o->dir, *kek)) != SK_OK) {
		sk_kek_free(*kek);
		*kek = NULL;
		return sk_cli_fail(st, what);
	}
	return 0;
}

int node_cli_open_public(node_store **s, const sk_cli_common *o, const char *what)
{
	sk_status st = node_store_open_public(s, o->dir);

	return st == SK_OK ? 0 : sk_cli_fail(st, what);
}

void node_cli_close(node_store *s, sk_kek *kek)
{
	node_store_close(s);
	sk_kek_free(kek);
}

/* Prints a JSON document and releases it. */
void node_cli_print_json(json_t *doc)
{
	char *txt = json_dumps(doc, JSON_INDENT(2));

	if (txt != NULL)
		puts(txt);
	free(txt);
	json_decref(doc);
}

/* How the CLI shows a partner org: "Display Name — org" (the sociale
 * kaart's name, else the member list's; node/directory.h), or the org id
 * alone when neither names it. */
static void org_shown(node_store *s, const char *org, char *out, size_t cap)
{
	char name[WIRE_DIR_NAME_MAX + NET_NAME_MAX + 2] = "";
	MDB_txn *txn = NULL;

	if (sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) == SK_OK) {
		node_directory_label(s, txn, org, name, sizeof(name));
		mdb_txn_abort(txn);
	}
	if (name[0] && strcmp(name, org) != 0)
		snprintf(out, cap, "%s \u2014 %s", name, org);
	else
		snprintf(out, cap, "%s", org);
}

static void format_day(char out[static NODE_DATE_BYTES + 1], uint64_t ms)
{
	node_date d = node_date_at(ms);

	if (ms == 0)
		snprintf(out, NODE_DATE_BYTES + 1, "-");
	else
		node_date_format(out, &d);
}

/* Runs a subcommand of a group: "schakel-node case open ...". */
static int group(const char *name, const sk_cli_cmd *subs, size_t n, int argc, char **argv)
{
	return sk_cli_group(PROG, name, subs, n, argc, argv);
}

/* Publishes client's changed entry now. The change itself is committed and
 * the client stays marked until a verified receipt, so a network failure
 * only delays: 'sync' retries. An integrity failure is returned (exit 3). */
static sk_status changed(node_store *s, sk_kek *kek, const char *client)
{
	sk_status st = s->joined ? node_publish_now(s, kek, client) : SK_OK;

	if (st == SK_OK && s->joined)
		sk_cli_say("entry of client %s published", client);
	else if (!s->joined)
		sk_cli_say("note: this node has not joined a federation yet; 'sync' publishes "
			   "after 'join'");
	else if (st != SK_ERR_VERIFY)
		sk_cli_say("warning: the entry of client %s is not yet published (%s); 'sync' "
			   "will retry",
			   client, sk_error_detail()[0] ? sk_error_detail() : sk_strerror(st));
	return st == SK_ERR_VERIFY ? st : SK_OK;
}

/* ---- init, join ------------------------------------------------------------ */

struct init_args {
	net_hosts hosts;
	const char *org, *name, *cat;
};

static int init_opt(int c, const char *arg, void *p)
{
	struct init_args *a = p;

	switch (c) {
	case 'o':
		a->org = arg;
		break;
	case 'n':
		a->name = arg;
		break;
	case 'c':
		a->cat = arg;
		break;
	case 'H':
		if (net_hosts_add(&a->hosts, arg) != SK_OK)
			return sk_cli_usage("init", "--host: %s", sk_error_detail());
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static int cmd_init(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"org-id", required_argument, NULL, 'o'},
					   {"name", required_argument, NULL, 'n'},
					   {"category", required_argument, NULL, 'c'},
					   {"host", required_argument, NULL, 'H'}, {0}};
	static const char help[] =
		"usage: schakel-node init --dir D --org-id ID --name NAME --category CAT\n"
		"           [--host NAME]...\n\n"
		"Creates the node: its keys (identity, TLS, encryption, the record data key and\n"
		"the BSN-index key, all wrapped under the key-encryption key), its database and\n"
		"D/enrol-request, which the registry operator admits with 'schakel-registry enrol'.\n\n"
		"  --org-id ID           the organisation's id, e.g. wijkteam-utrecht\n"
		"  --name NAME           its name, e.g. 'Buurtteam Utrecht Oost'\n"
		"  --category CAT        its policy category: sociaal-team, ggz, fact,\n"
		"                        verslavingszorg, huisarts-poh, maatschappelijke-opvang,\n"
		"                        jeugd, schuldhulp, gemeente, woningcorporatie\n"
		"  --host NAME           a DNS name or IP address the node serves under\n"
		"                        (repeatable, at most 16): the request asks for it in\n"
		"                        the certificate's subjectAltName, beside the org id\n"
		SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct init_args a = {0};
	wire_policy def;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("init", argc, argv, lo, help, &o, init_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("init", &o)) != 0)
		return rc;
	if (a.org == NULL || a.name == NULL || a.cat == NULL)
		return sk_cli_usage("init", "--org-id ID, --name NAME and --category CAT are required");
	if ((st = sk_cli_kek(&kek, &o)) != SK_OK)
		return sk_cli_fail(st, "init");
	st = node_store_init_hosts(o.dir, a.org, a.name, a.cat, &a.hosts, kek);
	sk_kek_free(kek);
	if (st != SK_OK)
		return sk_cli_fail(st, "init");
	wire_policy_default(&def);
	if (wire_policy_index(&def, a.cat) < 0)
		sk_cli_say("warning: '%s' is not a category of the default policy; the registry "
			   "must know it",
			   a.cat);
	printf("node '%s' created in %s; give %s/%s to the registry operator\n", a.org, o.dir,
	       o.dir, NODE_FILE_REQUEST);
	return SK_EXIT_OK;
}

static int join_opt(int c, const char *arg, void *p)
{
	if (c != 'b')
		return SK_CLI_UNKNOWN;
	*(const char **)p = arg;
	return SK_CLI_RUN;
}

static int cmd_join(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"bundle", required_argument, NULL, 'b'}, {0}};
	static const char help[] =
		"usage: schakel-node join --dir D --bundle FILE\n\n"
		"Installs the bundle from the registry operator: checks its signature and our\n"
		"certificate, then pins the registry key and keeps the registry address, the\n"
		"pseudonymisers in chain order, the witnesses and the federation policy. A\n"
		"refreshed bundle is installed the same way; one from another registry is refused.\n\n"
		"  --bundle FILE         the bundle written by 'schakel-registry enrol'\n"
		SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	const char *file = NULL;
	node_federation *f = NULL;
	node_store *s = NULL;
	MDB_txn *txn = NULL;
	sk_kek *kek = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int rc, refreshed = 0;
	sk_status st;

	if ((rc = sk_cli_parse("join", argc, argv, lo, help, &o, join_opt, &file)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("join", &o)) != 0)
		return rc;
	if (file == NULL)
		return sk_cli_usage("join", "--bundle FILE is required");
	if ((st = sk_file_read(file, NODE_BUNDLE_MAX, &data, &len)) != SK_OK) {
		sk_error_set("cannot read the bundle %s", file);
		return sk_cli_fail(st, "join");
	}
	if ((rc = node_cli_open(&s, &kek, &o, "join")) != 0) {
		free(data);
		return rc;
	}
	st = node_join(s, data, len, sk_clock_now_ms(), &refreshed);
	free(data);
	if (st == SK_OK && (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_federation_load(s, txn, &f);
		mdb_txn_abort(txn);
	}
	if (st == SK_OK)
		printf("%s '%s': registry %s, %zu pseudonymiser(s), %zu witness(es), quorum %u\n",
		       refreshed ? "refreshed the bundle of federation" : "joined federation",
		       f->federation, f->registry_address, f->n_pseudonymisers, f->n_witnesses,
		       f->quorum);
	node_federation_free(f);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "join");
}

/* ---- professional ---------------------------------------------------------- */

struct prof_args {
	const char *id, *name, *role, *phone, *email, *kind, *login;
};

static int prof_opt(int c, const char *arg, void *p)
{
	struct prof_args *a = p;

	switch (c) {
	case 'i':
		a->id = arg;
		break;
	case 'n':
		a->name = arg;
		break;
	case 'r':
		a->role = arg;
		break;
	case 'p':
		a->phone = arg;
		break;
	case 'e':
		a->email = arg;
		break;
	case 'k':
		a->kind = arg;
		break;
	case 'l':
		a->login = arg;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static int cmd_prof_add(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"id", required_argument, NULL, 'i'},
					   {"name", required_argument, NULL, 'n'},
					   {"role", required_argument, NULL, 'r'},
					   {"phone", required_argument, NULL, 'p'},
					   {"email", required_argument, NULL, 'e'},
					   {"role-kind", required_argument, NULL, 'k'}, {0}};
	static const char help[] =
		"usage: schakel-node professional add --dir D --id ID --name NAME --role ROLE\n"
		"           [--phone P] [--email E] [--role-kind professional|privacy-officer]\n\n"
		"Adds a professional who may act at this node (--as ID). The work phone and\n"
		"e-mail are what partners see when an entry allows contact.\n\n"
		"  --id ID               short id, e.g. j.devries\n"
		"  --name NAME           full name\n"
		"  --role ROLE           short role, e.g. spv, wijkcoach, poh-ggz;\n"
		"                        privacy-officer adds a privacy officer\n"
		"  --phone P, --email E  work contact\n"
		"  --role-kind KIND      professional (default) or privacy-officer\n"
		SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct prof_args a = {.phone = "", .email = ""};
	node_professional p;
	node_store *s = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("professional add", argc, argv, lo, help, &o, prof_opt, &a)) !=
	    SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("professional add", &o)) != 0)
		return rc;
	if (a.id == NULL || a.name == NULL || a.role == NULL)
		return sk_cli_usage("professional add", "--id, --name and --role are required");
	memset(&p, 0, sizeof(p));
	/* --role privacy-officer is the privacy officer's kind too */
	p.kind = strcmp(a.role, "privacy-officer") == 0 ? NODE_KIND_PRIVACY_OFFICER
							: NODE_KIND_PROFESSIONAL;
	if (a.kind != NULL && node_prof_kind_parse(&p.kind, a.kind) != SK_OK)
		return sk_cli_usage("professional add",
				    "--role-kind takes professional or privacy-officer");
	if (strlen(a.id) >= sizeof(p.id) || strlen(a.name) >= sizeof(p.name) ||
	    strlen(a.role) >= sizeof(p.role) || strlen(a.phone) >= sizeof(p.phone) ||
	    strlen(a.email) >= sizeof(p.email))
		return sk_cli_usage("professional add", "a value is too long");
	memcpy(p.id, a.id, strlen(a.id) + 1);
	memcpy(p.name, a.name, strlen(a.name) + 1);
	memcpy(p.role, a.role, strlen(a.role) + 1);
	memcpy(p.phone, a.phone, strlen(a.phone) + 1);
	memcpy(p.email, a.email, strlen(a.email) + 1);
	if ((rc = node_cli_open(&s, &kek, &o, "professional add")) != 0)
		return rc;
	st = node_professional_add(s, &p);
	if (st == SK_OK && o.json)
		node_cli_print_json(json_pack("{s:s}", "id", p.id));
	else if (st == SK_OK)
		printf("%s %s added\n", node_prof_kind_name(p.kind), p.id);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "professional add");
}

static sk_status print_prof(const node_professional *p, void *arg)
{
	json_t *list = arg;

	if (list != NULL)
		return json_array_append_new(
			       list, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "id", p->id, "name",
					       p->name, "role", p->role, "kind",
					       node_prof_kind_name(p->kind), "phone", p->phone,
					       "email", p->email, "created_at",
					       (json_int_t)p->created_at)) == 0
			       ? SK_OK
			       : SK_ERR_NOMEM;
	printf("%-20s %-12s %-16s %-16s %-28s %s\n", p->id, p->role, node_prof_kind_name(p->kind),
	       p->phone[0] ? p->phone : "-", p->email[0] ? p->email : "-", p->name);
	return SK_OK;
}

static int cmd_prof_list(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	static const char help[] = "usage: schakel-node professional list --dir D [--json]\n\n"
				   "Lists the professionals of this node.\n\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	json_t *list = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("professional list", argc, argv, lo, help, &o, NULL, NULL)) !=
	    SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("professional list", &o)) != 0)
		return rc;
	if ((rc = node_cli_open_public(&s, &o, "professional list")) != 0)
		return rc;
	if (o.json && (list = json_array()) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = node_audit_access(s, "professional.list", NULL, NULL, "professional", NULL,
				    NULL)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if (!o.json)
		printf("%-20s %-12s %-16s %-16s %-28s %s\n", "ID", "ROLE", "KIND", "PHONE",
		       "EMAIL", "NAME");
	st = node_professional_scan(s, txn, print_prof, list);
	mdb_txn_abort(txn);
	if (st == SK_OK && list != NULL) {
		node_cli_print_json(list);
		list = NULL;
	}
out:
	json_decref(list);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "professional list");
}

/* One line of the password from fd (no echo on a terminal); 0 or -1. */
static int read_password(const char *prompt, char *out, size_t cap)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO);
	size_t n;
	char *ok;

	if (tty) {
		fputs(prompt, stderr);
		if (tcgetattr(STDIN_FILENO, &old) != 0)
			return -1;
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(out, (int)cap, stdin);
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (ok == NULL)
		return -1;
	n = strlen(out);
	if (n > 0 && out[n - 1] != '\n' && !feof(stdin)) {
		sodium_memzero(out, cap);
		return -2; /* too long */
	}
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = 0;
	return 0;
}

static int passwd_opt(int c, const char *arg, void *p)
{
	if (c != 'i')
		return SK_CLI_UNKNOWN;
	*(const char **)p = arg;
	return SK_CLI_RUN;
}

/* One exit path: it frees (wipes) the password buffers. */
static int cmd_prof_passwd(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"id", required_argument, NULL, 'i'}, {0}};
	static const char help[] =
		"usage: schakel-node professional passwd --dir D --id ID\n\n"
		"Sets the password with which professional (or privacy officer) ID signs in to\n"
		"the web pages of 'serve': asked twice on a terminal, or one line on standard\n"
		"input. At least 12 characters; kept as an argon2id hash. Also lifts a\n"
		"lock-out after failed sign-ins.\n\n"
		"  --id ID               the professional\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "professional passwd";
	sk_cli_common o = {0};
	const char *id = NULL;
	char *pw = NULL, *again = NULL;
	node_store *s = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, passwd_opt, &id)) != SK_CLI_RUN)
		goto out;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		goto out;
	if (id == NULL) {
		rc = sk_cli_usage(cmd, "--id is required");
		goto out;
	}
	pw = sodium_malloc(NODE_PASSWORD_MAX + 2);
	again = sodium_malloc(NODE_PASSWORD_MAX + 2);
	if (pw == NULL || again == NULL) {
		rc = sk_cli_fail(SK_ERR_NOMEM, cmd);
		goto out;
	}
	rc = read_password("new password: ", pw, NODE_PASSWORD_MAX + 2);
	if (rc == 0 && isatty(STDIN_FILENO)) {
		rc = read_password("again: ", again, NODE_PASSWORD_MAX + 2);
		if (rc == 0 && strcmp(pw, again) != 0) {
			fprintf(stderr, PROG " %s: the two passwords differ; nothing changed\n", cmd);
			rc = SK_EXIT_FAIL;
			goto out;
		}
	}
	if (rc != 0) {
		rc = sk_cli_usage(cmd, rc == -2 ? "the password is longer than 256 characters"
						: "no password given on standard input");
		goto out;
	}
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		goto out;
	st = node_password_set(s, id, pw, sk_clock_now_ms());
	if (st == SK_OK)
		printf("password of %s set\n", id);
	node_cli_close(s, kek);
	rc = st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
out:
	sodium_free(pw);
	sodium_free(again);
	return rc;
}

static int cmd_prof_link(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"id", required_argument, NULL, 'i'},
					   {"login", required_argument, NULL, 'l'}, {0}};
	static const char help[] =
		"usage: schakel-node professional link --dir D --id ID --login VALUE\n\n"
		"Links professional (or privacy officer) ID to the account VALUE at the\n"
		"organisation's identity provider: the value of the claim 'serve\n"
		"--oidc-claim' names (default preferred_username; with Entra ID often oid or\n"
		"upn). Someone who signs in there with that account is ID here; an account\n"
		"linked to no one is refused. A login linked before moves to ID.\n\n"
		"  --id ID               the professional\n"
		"  --login VALUE         the claim's value at the identity provider\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "professional link";
	sk_cli_common o = {0};
	struct prof_args a = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, prof_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (a.id == NULL || a.login == NULL)
		return sk_cli_usage(cmd, "--id and --login are required");
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		return rc;
	st = node_login_link(s, a.id, a.login);
	if (st == SK_OK)
		printf("%s signs in as %s\n", a.login, a.id);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

static const sk_cli_cmd prof_cmds[] = {
	{"add", cmd_prof_add, "add a professional (or privacy officer)"},
	{"list", cmd_prof_list, "list professionals"},
	{"passwd", cmd_prof_passwd, "set the password for the web pages"},
	{"link", cmd_prof_link, "link an account at the identity provider"},
};

static int cmd_professional(int argc, char **argv)
{
	return group("professional", prof_cmds, sizeof(prof_cmds) / sizeof(prof_cmds[0]), argc,
		     argv);
}

/* ---- client ------------------------------------------------------------------ */

struct client_add_args {
	bsn b;
	int have_bsn, bad_bsn;
	const char *name, *birth;
};

static int client_add_opt(int c, const char *arg, void *p)
{
	struct client_add_args *a = p;

	switch (c) {
	case 'b':
		a->have_bsn = 1;
		a->bad_bsn = bsn_parse(&a->b, arg) != SK_OK;
		sk_cli_arg_wipe(arg); /* out of /proc/PID/cmdline */
		break;
	case 'n':
		a->name = arg;
		break;
	case 'd':
		a->birth = arg;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

/* One exit path after --bsn: it wipes the BSN. */
static int cmd_client_add(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"bsn", required_argument, NULL, 'b'},
					   {"name", required_argument, NULL, 'n'},
					   {"birthdate", required_argument, NULL, 'd'}, {0}};
	static const char help[] =
		"usage: schakel-node client add --dir D --bsn BSN [--name NAME]\n"
		"           [--birthdate YYYY-MM-DD]\n\n"
		"Registers a client. The BSN must pass the elfproef. BSN, name and birthdate are\n"
		"stored encrypted; the birthdate enables the age rules for consent. A BSN that\n"
		"is already registered is refused, naming the existing client id.\n\n"
		"  --bsn BSN             nine digits\n"
		"  --name NAME           the client's name (optional)\n"
		"  --birthdate DATE      YYYY-MM-DD (optional)\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct client_add_args a = {0};
	char id[NODE_CLIENT_ID_MAX + 1];
	node_store *s = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("client add", argc, argv, lo, help, &o, client_add_opt, &a)) !=
	    SK_CLI_RUN)
		goto wipe;
	if ((rc = sk_cli_need_dir("client add", &o)) != 0)
		goto wipe;
	if (!a.have_bsn) {
		rc = sk_cli_usage("client add", "--bsn BSN is required");
		goto wipe;
	}
	if (a.bad_bsn) {
		sk_cli_say("client add: not a valid BSN: it must be nine digits passing the "
			   "elfproef");
		rc = SK_EXIT_FAIL;
		goto wipe;
	}
	if ((rc = node_cli_open(&s, &kek, &o, "client add")) != 0)
		goto wipe;
	st = node_client_add(s, &a.b, a.name, a.birth, sk_clock_now_ms(), id);
	if (st == SK_OK && o.json)
		node_cli_print_json(json_pack("{s:s}", "id", id));
	else if (st == SK_OK)
		printf("client %s registered\n", id);
	node_cli_close(s, kek);
	rc = st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "client add");
wipe:
	sodium_memzero(&a, sizeof(a));
	return rc;
}

typedef struct client_list {
	json_t *list;
	int show_bsn;
} client_list;

static sk_status print_client(const node_client *c, void *arg)
{
	client_list *l = arg;

	if (l->list != NULL) {
		json_t *obj = json_pack("{s:s,s:s,s:s?,s:I}", "id", c->id, "name", c->name,
					"birthdate", c->birthdate[0] ? c->birthdate : NULL,
					"created_at", (json_int_t)c->created_at);

		if (obj != NULL && l->show_bsn)
			json_object_set_new(obj, "bsn", json_string(c->bsn.digits));
		return json_array_append_new(l->list, obj) == 0 ? SK_OK : SK_ERR_NOMEM;
	}
	if (l->show_bsn)
		printf("%-10s %-10s %-11s %s\n", c->id, c->bsn.digits,
		       c->birthdate[0] ? c->birthdate : "-", c->name[0] ? c->name : "-");
	else
		printf("%-10s %-11s %s\n", c->id, c->birthdate[0] ? c->birthdate : "-",
		       c->name[0] ? c->name : "-");
	return SK_OK;
}

static int client_list_opt(int c, const char *arg, void *p)
{
	if (c != 'B')
		return SK_CLI_UNKNOWN;
	((client_list *)p)->show_bsn = 1;
	return SK_CLI_RUN;
}

static int cmd_client_list(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"show-bsn", no_argument, NULL, 'B'}, {0}};
	static const char help[] =
		"usage: schakel-node client list --dir D [--show-bsn] [--json]\n\n"
		"Lists clients with their local ids and names (decrypted). BSNs are shown only\n"
		"with --show-bsn; the access is audited either way.\n\n"
		"  --show-bsn            also show each client's BSN\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	client_list l = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("client list", argc, argv, lo, help, &o, client_list_opt, &l)) !=
	    SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("client list", &o)) != 0)
		return rc;
	if ((rc = node_cli_open(&s, &kek, &o, "client list")) != 0)
		return rc;
	if (o.json && (l.list = json_array()) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = node_audit_access(s, "client.list", NULL, NULL, "client", NULL,
				    l.show_bsn ? "names and BSNs shown" : "names shown")) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if (!o.json && l.show_bsn)
		printf("%-10s %-10s %-11s %s\n", "ID", "BSN", "BIRTHDATE", "NAME");
	else if (!o.json)
		printf("%-10s %-11s %s\n", "ID", "BIRTHDATE", "NAME");
	st = node_client_scan(s, txn, print_client, &l);
	mdb_txn_abort(txn);
	if (st == SK_OK && l.list != NULL) {
		node_cli_print_json(l.list);
		l.list = NULL;
	}
out:
	json_decref(l.list);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "client list");
}

#define IMPORT_MAX 1000000 /* rows per file */

#define CONSENT_HELP                                                                        \
	"  --consent FLAGS       comma list of discover, contact, discuss, or none\n"          \
	"  --categories CATS     comma list of policy categories, or all (expanded now)\n"     \
	"  --consent-by WHO      client (default), parent, guardian, representative or\n"     \
	"                        client+parent. Known birthdate: under 12 a parent or\n"      \
	"                        guardian, 12-15 client+parent, 16 and over the client\n"      \
	"  --basis B             consent (default) or statutory:REASON (discuss only; the\n"   \
	"                        reason stays at this node)\n"                                 \
	"  --expires DATE        YYYY-MM-DD; default one year, at most two years\n"

/* The consent options (CONSENT_LONG) of client import, case open and case
 * consent; req.reason points into reason. */
struct consent_args {
	const char *cmd;
	node_consent_req req;
	char reason[NODE_REASON_MAX + 1];
	int have_flags;
};

/* One consent option into k: SK_CLI_RUN, the usage exit code, or
 * SK_CLI_UNKNOWN when c is not one. */
static int consent_opt(int c, const char *arg, struct consent_args *k)
{
	node_date d;

	switch (c) {
	case 'f':
		k->have_flags = 1;
		if (node_flags_parse(arg, &k->req.flags) != SK_OK)
			return sk_cli_usage(k->cmd, "%s", sk_error_detail());
		return SK_CLI_RUN;
	case 'g':
		k->req.categories = arg;
		return SK_CLI_RUN;
	case 'y':
		if (node_consent_by_parse(arg, &k->req.by) != SK_OK)
			return sk_cli_usage(k->cmd, "%s", sk_error_detail());
		return SK_CLI_RUN;
	case 'B':
		if (node_basis_parse(arg, &k->req.basis, k->reason) != SK_OK)
			return sk_cli_usage(k->cmd, "%s", sk_error_detail());
		k->req.reason = k->reason[0] ? k->reason : NULL;
		return SK_CLI_RUN;
	case 'x':
		if (node_date_parse(&d, arg) != SK_OK)
			return sk_cli_usage(k->cmd, "--expires takes a date YYYY-MM-DD");
		k->req.expires_at = node_date_ms(&d);
		return SK_CLI_RUN;
	default:
		return SK_CLI_UNKNOWN;
	}
}

#define CONSENT_LONG                                                      \
	{"consent", required_argument, NULL, 'f'},                        \
	{"categories", required_argument, NULL, 'g'},                     \
	{"consent-by", required_argument, NULL, 'y'},                     \
	{"basis", required_argument, NULL, 'B'},                          \
	{"expires", required_argument, NULL, 'x'}

typedef node_import_row import_row;

/* Reads and checks the whole file before anything is stored. */
static int import_read(const char *file, import_row **rows, size_t *n)
{
	static const char *const why[] = {
		[NODE_IMPORT_FIELDS] = "expected bsn[,name[,birthdate]]",
		[NODE_IMPORT_BSN] = "not a valid BSN (nine digits, elfproef)",
		[NODE_IMPORT_VALUE] = "name too long or birthdate not YYYY-MM-DD",
	};
	FILE *fp = fopen(file, "r");
	char line[NODE_IMPORT_LINE_MAX + 3]; /* and "\r\n" */
	size_t lineno = 0, cap = 1024;
	int rc = SK_EXIT_FAIL;

	*n = 0;
	*rows = NULL;
	if (fp == NULL) {
		sk_cli_say("client import: cannot open %s", file);
		return SK_EXIT_FAIL;
	}
	if ((*rows = sodium_malloc(cap * sizeof(**rows))) == NULL)
		goto out;
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strlen(line);
		node_import_line k;

		lineno++;
		if (*n == IMPORT_MAX) {
			sk_cli_say("client import: more than %d rows; split the file", IMPORT_MAX);
			goto out;
		}
		if (*n == cap) {
			import_row *bigger = sodium_malloc(2 * cap * sizeof(*bigger));

			if (bigger == NULL)
				goto out;
			memcpy(bigger, *rows, cap * sizeof(*bigger));
			sodium_free(*rows);
			*rows = bigger;
			cap *= 2;
		}
		/* a line longer than the buffer is refused, not split */
		k = len == sizeof(line) - 1 && line[len - 1] != '\n'
			    ? NODE_IMPORT_FIELDS
			    : node_import_parse(&(*rows)[*n], line, len, lineno);
		if (k == NODE_IMPORT_SKIP)
			continue;
		if (k != NODE_IMPORT_ROW) {
			sk_cli_say("client import: %s line %zu: %s; nothing was imported", file, lineno,
				   why[k]);
			goto out;
		}
		(*n)++;
	}
	rc = SK_EXIT_OK;
out:
	sodium_memzero(line, sizeof(line));
	fclose(fp);
	if (rc != SK_EXIT_OK && *rows != NULL) {
		sodium_free(*rows);
		*rows = NULL;
	}
	return rc;
}

#define IMPORT_BATCH 1000 /* clients (and cases) per commit */

/* Adds rows [from, to) in one transaction, opening a case for each new
 * client when req is not NULL. */
static sk_status import_batch(node_store *s, import_row *rows, size_t from, size_t to,
			      char (*ids)[NODE_CLIENT_ID_MAX + 1], const char *as,
			      const node_consent_req *req, size_t *added, size_t *known)
{
	MDB_txn *txn = NULL;
	uint64_t now = sk_clock_now_ms(), case_id;
	size_t a = 0, k = 0;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	for (size_t i = from; i < to && st == SK_OK; i++) {
		st = node_client_add_txn(s, txn, &rows[i].b, rows[i].name, rows[i].birthdate, now,
					 ids[i]);
		if (st == SK_ERR_EXISTS) {
			k++;
			st = SK_OK;
			continue;
		}
		if (st == SK_OK && req != NULL)
			st = node_case_open_txn(s, txn, ids[i], as, req, now, &case_id);
		a += st == SK_OK;
	}
	if (st != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	if ((st = sk_db_status(mdb_txn_commit(txn))) == SK_OK) {
		*added += a;
		*known += k;
	}
	return st;
}

struct import_args {
	struct consent_args k;
	const char *file, *as;
};

static int import_opt(int c, const char *arg, void *p)
{
	struct import_args *a = p;

	switch (c) {
	case 'F':
		a->file = arg;
		return SK_CLI_RUN;
	case 'a':
		a->as = arg;
		return SK_CLI_RUN;
	default:
		return consent_opt(c, arg, &a->k);
	}
}

/* The rows (BSNs, names) are in sodium_malloc memory, which sodium_free
 * wipes. */
static int cmd_client_import(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, CONSENT_LONG,
					   {"file", required_argument, NULL, 'F'},
					   {"as", required_argument, NULL, 'a'}, {0}};
	static const char help[] =
		"usage: schakel-node client import --file F.csv [--as PROF --consent FLAGS\n"
		"           --categories CATS [--consent-by WHO] [--basis B] [--expires DATE]]\n\n"
		"Registers clients in bulk from CSV lines 'bsn[,name[,birthdate]]' (a header\n"
		"line 'bsn,...' is skipped). The whole file is checked first: one invalid BSN\n"
		"and nothing is imported. Clients already registered are skipped. With --as\n"
		"and --consent (onboarding an existing caseload) each new client also gets a\n"
		"case with PROF assigned and that consent, and its entry is queued for\n"
		"publishing ('sync' publishes). Clients and cases are stored 1,000 a commit;\n"
		"when a commit fails, the batches before it stay and the message says how many.\n"
		"When the node has joined, the tokens are computed through the pseudonymiser\n"
		"chain in batches (bulk onboarding may need a grant from each pseudonymiser\n"
		"operator).\n\n  --file F              the CSV file\n"
		"  --as PROF             the professional who opens the cases\n" CONSENT_HELP
			SK_CLI_COMMON_HELP;
	static const char cmd[] = "client import";
	sk_cli_common o = {0};
	struct import_args a = {.k.cmd = cmd};
	import_row *rows = NULL;
	char(*ids)[NODE_CLIENT_ID_MAX + 1] = NULL;
	size_t n = 0, added = 0, known = 0, made = 0;
	node_store *s = NULL;
	node_remote *r = NULL;
	sk_kek *kek = NULL;
	sk_status st = SK_OK;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, import_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (a.file == NULL)
		return sk_cli_usage(cmd, "--file F is required");
	if ((a.as != NULL) != (a.k.have_flags || a.k.req.basis == NODE_BASIS_STATUTORY))
		return sk_cli_usage(cmd, "opening cases takes both --as and --consent");
	if (a.as != NULL && !a.k.have_flags)
		a.k.req.flags = NODE_FLAG_DISCUSS; /* statutory: discuss is all there is */
	if ((rc = import_read(a.file, &rows, &n)) != SK_EXIT_OK)
		return rc;
	if ((ids = calloc(n ? n : 1, sizeof(*ids))) == NULL) {
		sodium_free(rows);
		return sk_cli_fail(SK_ERR_NOMEM, cmd);
	}
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		goto out;
	for (size_t i = 0; i < n && st == SK_OK; i += IMPORT_BATCH)
		st = import_batch(s, rows, i, i + IMPORT_BATCH < n ? i + IMPORT_BATCH : n, ids, a.as,
				  a.as != NULL ? &a.k.req : NULL, &added, &known);
	sodium_memzero(rows, n * sizeof(*rows));
	if (st != SK_OK && added + known > 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", sk_error_detail());
		sk_error_set("%s (the first %zu rows were imported)", why, added + known);
	}
	if (st == SK_OK && s->joined && (st = node_remote_open(&r, s, kek)) == SK_OK)
		st = node_remote_tokens(r, (const char(*)[NODE_CLIENT_ID_MAX + 1])ids, n, &made);
	node_remote_close(r);
	if (st == SK_OK)
		printf("%zu clients imported%s, %zu already registered, %zu tokens computed\n",
		       added, a.as != NULL ? " with a case each" : "", known, made);
	node_cli_close(s, kek);
	rc = st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
out:
	sodium_free(rows);
	free(ids);
	return rc;
}

static const sk_cli_cmd client_cmds[] = {
	{"add", cmd_client_add, "register a client by BSN"},
	{"import", cmd_client_import, "register clients in bulk from CSV"},
	{"list", cmd_client_list, "list clients"},
};

static int cmd_client(int argc, char **argv)
{
	return group("client", client_cmds, sizeof(client_cmds) / sizeof(client_cmds[0]), argc,
		     argv);
}

/* ---- case -------------------------------------------------------------------- */

/* The options of open, consent, assign and close; each table gives only its
 * own. */
struct case_args {
	struct consent_args k;
	char client[NODE_CLIENT_ID_MAX + 1]; /* a BSN or a local id */
	uint64_t id;
	const char *as, *prof;
};

static int case_opt(int c, const char *arg, void *p)
{
	struct case_args *a = p;
	unsigned long long v = 0;

	switch (c) {
	case 'c':
		if (strlen(arg) >= sizeof(a->client))
			return sk_cli_usage(a->k.cmd, "--client takes a BSN or a local client id");
		memcpy(a->client, arg, strlen(arg) + 1);
		sk_cli_arg_wipe(arg); /* out of /proc/PID/cmdline */
		return SK_CLI_RUN;
	case 'k':
		if (sk_cli_u64(arg, &v) != SK_OK || v == 0)
			return sk_cli_usage(a->k.cmd, "--case takes a case id (a positive number)");
		a->id = v;
		return SK_CLI_RUN;
	case 'a':
		a->as = arg;
		return SK_CLI_RUN;
	case 'p':
		a->prof = arg;
		return SK_CLI_RUN;
	default:
		return consent_opt(c, arg, &a->k);
	}
}

/* One exit path after --client: it wipes the client's BSN. */
static int cmd_case_open(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, CONSENT_LONG,
					   {"client", required_argument, NULL, 'c'},
					   {"as", required_argument, NULL, 'a'}, {0}};
	static const char help[] =
		"usage: schakel-node case open --dir D --client BSN --as PROF --consent FLAGS\n"
		"           --categories CATS [--consent-by WHO] [--basis consent|statutory:REASON]\n"
		"           [--expires YYYY-MM-DD]\n\n"
		"Opens a case for a registered client with PROF assigned, records the consent,\n"
		"queues the org's entry for publishing and prints the case id.\n\n"
		"  --client BSN          the client's BSN (or local id, e.g. c-12)\n"
		"  --as PROF             the professional opening the case\n" CONSENT_HELP
			SK_CLI_COMMON_HELP;
	static const char cmd[] = "case open";
	sk_cli_common o = {0};
	struct case_args a = {.k.cmd = cmd};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	node_case c;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, case_opt, &a)) != SK_CLI_RUN)
		goto wipe;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		goto wipe;
	if (a.client[0] == '\0' || a.as == NULL ||
	    (!a.k.have_flags && a.k.req.basis != NODE_BASIS_STATUTORY)) {
		rc = sk_cli_usage(cmd, "--client, --as and --consent are required");
		goto wipe;
	}
	if (!a.k.have_flags)
		a.k.req.flags = NODE_FLAG_DISCUSS; /* statutory: discuss is all there is */
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		goto wipe;
	st = node_case_open(s, a.client, a.as, &a.k.req, sk_clock_now_ms(), &c);
	sodium_memzero(a.client, sizeof(a.client));
	if (st == SK_OK) {
		if (o.json)
			node_cli_print_json(json_pack("{s:I}", "id", (json_int_t)c.id));
		else
			printf("%llu\n", (unsigned long long)c.id);
		st = changed(s, kek, c.client);
	}
	node_cli_close(s, kek);
	rc = st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
wipe:
	sodium_memzero(&a, sizeof(a));
	return rc;
}

static int cmd_case_consent(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, CONSENT_LONG,
					   {"case", required_argument, NULL, 'k'},
					   {"as", required_argument, NULL, 'a'}, {0}};
	static const char help[] =
		"usage: schakel-node case consent --dir D --case ID --as PROF --consent FLAGS|none\n"
		"           [--categories CATS] [--consent-by WHO] [--basis B] [--expires DATE]\n\n"
		"Records a new consent version for an open case (--consent none withdraws it)\n"
		"and queues the org's entry for publishing. Only an assigned professional may.\n\n"
		"  --case ID             the case\n"
		"  --as PROF             an assigned professional\n" CONSENT_HELP SK_CLI_COMMON_HELP;
	static const char cmd[] = "case consent";
	sk_cli_common o = {0};
	struct case_args a = {.k.cmd = cmd};
	node_case c;
	node_store *s = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, case_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (a.id == 0 || a.as == NULL || !a.k.have_flags)
		return sk_cli_usage(cmd, "--case, --as and --consent are required");
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		return rc;
	st = node_case_consent(s, a.id, a.as, &a.k.req, sk_clock_now_ms(), &c);
	if (st == SK_OK) {
		if (o.json)
			node_cli_print_json(json_pack("{s:I,s:I}", "id", (json_int_t)a.id,
						      "consent_version",
						      (json_int_t)c.consent.version));
		else
			printf("case %llu: consent version %u recorded\n", (unsigned long long)a.id,
			       c.consent.version);
		st = changed(s, kek, c.client);
	}
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

static int cmd_case_assign(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"case", required_argument, NULL, 'k'},
					   {"professional", required_argument, NULL, 'p'},
					   {"as", required_argument, NULL, 'a'}, {0}};
	static const char help[] =
		"usage: schakel-node case assign --dir D --case ID --professional PROF --as PROF\n\n"
		"Assigns another professional to an open case. --as must already be assigned.\n\n"
		"  --case ID             the case\n"
		"  --professional PROF   who to assign\n"
		"  --as PROF             an assigned professional\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "case assign";
	sk_cli_common o = {0};
	struct case_args a = {.k.cmd = cmd};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	node_case c;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, case_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (a.id == 0 || a.as == NULL || a.prof == NULL)
		return sk_cli_usage(cmd, "--case, --professional and --as are required");
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		return rc;
	st = node_case_assign(s, a.id, a.prof, a.as, sk_clock_now_ms(), &c);
	if (st == SK_OK) {
		printf("%s assigned to case %llu\n", a.prof, (unsigned long long)a.id);
		st = changed(s, kek, c.client);
	}
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

static int cmd_case_close(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"case", required_argument, NULL, 'k'},
					   {"as", required_argument, NULL, 'a'}, {0}};
	static const char help[] =
		"usage: schakel-node case close --dir D --case ID --as PROF\n\n"
		"Closes a case; when it was the client's last open case, the org's entry is\n"
		"withdrawn.\n\n"
		"  --case ID             the case\n"
		"  --as PROF             an assigned professional\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "case close";
	sk_cli_common o = {0};
	struct case_args a = {.k.cmd = cmd};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	node_case c;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, case_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (a.id == 0 || a.as == NULL)
		return sk_cli_usage(cmd, "--case and --as are required");
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		return rc;
	st = node_case_close(s, a.id, a.as, sk_clock_now_ms(), &c);
	if (st == SK_OK) {
		printf("case %llu closed\n", (unsigned long long)a.id);
		st = changed(s, kek, c.client);
	}
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

typedef struct case_list {
	json_t *list;
	const char *as;
} case_list;

static sk_status print_case(const node_case *c, void *arg)
{
	case_list *l = arg;
	const node_consent *k = &c->consent;
	char flags[NODE_FLAGS_TEXT_MAX + 1], exp[NODE_DATE_BYTES + 1];
	char cats[WIRE_POLICY_MAX * (WIRE_CATEGORY_MAX + 1) + 1] = "";
	char assigned[NODE_ASSIGNED_MAX * (NODE_ID_MAX + 1) + 1] = "";
	size_t pos = 0;

	if (l->as != NULL && !node_case_assigned(c, l->as))
		return SK_OK;
	node_flags_format(flags, k->flags);
	format_day(exp, k->expires_at);
	for (size_t i = 0; i < k->n_categories; i++)
		pos += (size_t)snprintf(cats + pos, sizeof(cats) - pos, "%s%s", i ? "," : "",
					k->categories[i]);
	pos = 0;
	for (size_t i = 0; i < c->n_assigned; i++)
		pos += (size_t)snprintf(assigned + pos, sizeof(assigned) - pos, "%s%s", i ? "," : "",
					c->assigned[i]);
	if (l->list != NULL) {
		json_t *j = node_case_json(c);

		return j != NULL && json_array_append_new(l->list, j) == 0 ? SK_OK : SK_ERR_NOMEM;
	}
	printf("%-6llu %-8s %-6s %-9s %-2u %-24s %-14s %-10s %-20s %s\n",
	       (unsigned long long)c->id, c->client, c->open ? "open" : "closed",
	       node_basis_name(k->basis), k->version, flags, node_consent_by_name(k->by), exp,
	       assigned, cats[0] ? cats : "-");
	return SK_OK;
}

/* The --as PROF of case list, matches and notices into the const char *
 * at p. */
static int as_opt(int c, const char *arg, void *p)
{
	if (c != 'a')
		return SK_CLI_UNKNOWN;
	*(const char **)p = arg;
	return SK_CLI_RUN;
}

static int cmd_case_list(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"as", required_argument, NULL, 'a'}, {0}};
	static const char help[] =
		"usage: schakel-node case list --dir D [--as PROF] [--json]\n\n"
		"Lists cases with their current consent; with --as only PROF's cases.\n\n"
		"  --as PROF             only the cases PROF is assigned to\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "case list";
	sk_cli_common o = {0};
	case_list l = {0};
	node_professional p;
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, as_opt, &l.as)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		return rc;
	if (o.json && (l.list = json_array()) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	st = l.as != NULL ? node_professional_get(s, txn, l.as, &p) : SK_OK;
	mdb_txn_abort(txn);
	txn = NULL;
	if (st != SK_OK ||
	    (st = node_audit_access(s, "case.list", l.as, l.as != NULL ? p.role : NULL, "case",
				    NULL, NULL)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if (!o.json)
		printf("%-6s %-8s %-6s %-9s %-2s %-24s %-14s %-10s %-20s %s\n", "ID", "CLIENT",
		       "STATE", "BASIS", "V", "FLAGS", "CONSENT-BY", "EXPIRES", "ASSIGNED",
		       "CATEGORIES");
	st = node_case_scan(s, txn, NULL, print_case, &l);
	mdb_txn_abort(txn);
	if (st == SK_OK && l.list != NULL) {
		node_cli_print_json(l.list);
		l.list = NULL;
	}
out:
	json_decref(l.list);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

static const sk_cli_cmd case_cmds[] = {
	{"open", cmd_case_open, "open a case with consent; prints its id"},
	{"consent", cmd_case_consent, "record a new consent version (or none)"},
	{"assign", cmd_case_assign, "assign a professional to a case"},
	{"close", cmd_case_close, "close a case"},
	{"list", cmd_case_list, "list cases"},
};

static int cmd_case(int argc, char **argv)
{
	return group("case", case_cmds, sizeof(case_cmds) / sizeof(case_cmds[0]), argc, argv);
}

/* ---- the federation: lookup, sync, matches, notices --------------------- */

int node_cli_open_remote(node_store **s, sk_kek **kek, node_remote **r, const sk_cli_common *o,
			 const char *what)
{
	sk_status st;
	int rc;

	if ((rc = node_cli_open(s, kek, o, what)) != 0)
		return rc;
	if ((st = node_remote_open(r, *s, *kek)) != SK_OK) {
		node_cli_close(*s, *kek);
		return sk_cli_fail(st, what);
	}
	return 0;
}

struct lookup_args {
	char client[64]; /* a BSN or a local id */
	const char *as, *purpose;
};

static int lookup_opt(int c, const char *arg, void *p)
{
	struct lookup_args *a = p;

	switch (c) {
	case 'c':
		snprintf(a->client, sizeof(a->client), "%s", arg);
		sk_cli_arg_wipe(arg);
		break;
	case 'a':
		a->as = arg;
		break;
	case 'p':
		a->purpose = arg;
		break;
	case 'n':
		break; /* the note stays at this node */
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

/* One exit path after --client: it wipes the client's BSN. */
static int cmd_lookup(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"client", required_argument, NULL, 'c'},
					   {"as", required_argument, NULL, 'a'},
					   {"purpose", required_argument, NULL, 'p'},
					   {"note", required_argument, NULL, 'n'}, {0}};
	static const char help[] =
		"usage: schakel-node lookup --client BSN|ID --as PROF --purpose CODE [--note TEXT]\n\n"
		"Asks the registry which partner organisations are also involved with a client\n"
		"and may be shown: only for a professional assigned to an open case of that\n"
		"client. Shows each partner's category, regie flag and opened work contact.\n"
		"Purpose codes: afstemming, signaal, regie, crisis, overdracht, nazorg.\n"
		"--note stays at this node.\n\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct lookup_args a = {0};
	node_partner partners[NODE_LOOKUP_MAX];
	node_store *s = NULL;
	node_remote *r = NULL;
	sk_kek *kek = NULL;
	size_t n = 0;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("lookup", argc, argv, lo, help, &o, lookup_opt, &a)) != SK_CLI_RUN)
		goto wipe;
	if ((rc = sk_cli_need_dir("lookup", &o)) != 0)
		goto wipe;
	if (a.client[0] == 0 || a.as == NULL || a.purpose == NULL) {
		rc = sk_cli_usage("lookup", "--client, --as and --purpose are required");
		goto wipe;
	}
	if ((rc = node_cli_open_remote(&s, &kek, &r, &o, "lookup")) != 0)
		goto wipe;
	st = node_remote_lookup(r, a.client, a.as, a.purpose, partners, &n);
	if (st == SK_OK && o.json) {
		json_t *list = json_array();

		for (size_t i = 0; i < n; i++) {
			char name[WIRE_DIR_NAME_MAX + NET_NAME_MAX + 2] = "";
			MDB_txn *txn = NULL;

			if (sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) == SK_OK) {
				node_directory_label(s, txn, partners[i].org, name, sizeof(name));
				mdb_txn_abort(txn);
			}
			json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:b,s:s}", "id",
							      partners[i].org, "name", name, "category",
							      partners[i].category, "regie",
							      partners[i].regie, "contact",
							      partners[i].contact));
		}
		node_cli_print_json(list);
	} else if (st == SK_OK && n == 0) {
		printf("no partner organisation can be shown for this client\n");
	} else if (st == SK_OK) {
		for (size_t i = 0; i < n; i++) {
			char shown[2 * NET_ORG_ID_MAX + WIRE_DIR_NAME_MAX + 8];

			org_shown(s, partners[i].org, shown, sizeof(shown));
			printf("%s (%s)%s%s%s\n", shown, partners[i].category,
			       partners[i].regie ? ", regievoerder" : "",
			       partners[i].contact[0] ? ": " : "", partners[i].contact);
		}
	}
	node_remote_close(r);
	node_cli_close(s, kek);
	rc = st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "lookup");
wipe:
	sodium_memzero(&a, sizeof(a));
	return rc;
}

static int cmd_sync(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	static const char help[] =
		"usage: schakel-node sync --dir D\n\n"
		"Publishes entries not yet published, checks the registry's latest checkpoint\n"
		"against the last one this node verified (exit 3 and evidence in D/evidence\n"
		"if they do not agree), and pulls matches, disclosure notices and pattern\n"
		"flags from the registry. It alerts (on stderr and in 'notices') when the log\n"
		"holds a certificate for our org id that this node did not request. It takes\n"
		"case-discussion messages (refusing, on stderr and in the audit log, any that\n"
		"are replayed, out of order, misaddressed or not signed by their sender) and\n"
		"makes a new encryption key when the current one is a week old.\n\n"
		SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	node_sync_stats stats;
	node_store *s = NULL;
	node_remote *r = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("sync", argc, argv, lo, help, &o, NULL, NULL)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("sync", &o)) != 0)
		return rc;
	if ((rc = node_cli_open_remote(&s, &kek, &r, &o, "sync")) != 0)
		return rc;
	st = node_remote_sync(r, &stats);
	if (st == SK_OK && o.json)
		node_cli_print_json(json_pack(
			"{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:I,s:b,s:s?,s:I,s:I,s:I}", "published",
			(json_int_t)stats.published,
			"items", (json_int_t)stats.items, "alerts", (json_int_t)stats.alerts,
			"tree_size", (json_int_t)stats.tree_size, "messages",
			(json_int_t)stats.messages, "rejected", (json_int_t)stats.rejected,
			"forwarded", (json_int_t)stats.forwarded, "rotated", stats.rotated,
			"directory", (json_int_t)stats.directory, "anchored", stats.anchored,
			"rolled_over_to",
			stats.rolled_to[0] ? stats.rolled_to : NULL, "discussions_stopped",
			(json_int_t)stats.stopped, "messages_resent", (json_int_t)stats.resent,
			"discussions_undelivered", (json_int_t)stats.undelivered));
	else if (st == SK_OK && stats.rolled_to[0])
		printf("the registry's log rolled over to %s (its statement checked): %zu entries "
		       "of open cases published again%s; log verified at %llu leaves\n",
		       stats.rolled_to, stats.published,
		       stats.rotated ? ", a new encryption key published" : "",
		       (unsigned long long)stats.tree_size);
	if (st == SK_OK && !o.json)
		printf("synced: %zu entries published, %zu new items, %zu discussion messages "
		       "(%zu refused), log verified at %llu leaves%s; %zu directory records "
		       "updated\n",
		       stats.published, stats.items, stats.messages, stats.rejected,
		       (unsigned long long)stats.tree_size,
		       stats.rotated ? "; new encryption key published" : "", stats.directory);
	if (st == SK_OK && !o.json && stats.stopped > 0)
		printf("%zu discussions stopped: the restored registry no longer holds them (each "
		       "thread says so)\n",
		       stats.stopped);
	if (st == SK_OK && !o.json && stats.resent > 0)
		printf("%zu discussion messages sent again: the restored registry had lost them\n",
		       stats.resent);
	if (st == SK_OK && !o.json && stats.undelivered > 0)
		printf("%zu discussions with messages that could not be sent again (each thread "
		       "says so)\n",
		       stats.undelivered);
	node_remote_close(r);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "sync");
}

struct show {
	node_store *s;
	const char *as;
	json_t *list;
	size_t n;
};

struct first_case {
	const char *as;
	uint64_t id;
};

static sk_status first_open(const node_case *c, void *arg)
{
	struct first_case *f = arg;

	if (f->id == 0 && c->open && (f->as == NULL || node_case_assigned(c, f->as)))
		f->id = c->id;
	return SK_OK;
}


static sk_status show_item(uint64_t at, const Schakel__V1__MailboxItem *it, const char *client,
			   void *arg)
{
	struct show *sh = arg;
	struct first_case f = {sh->as, 0};
	MDB_txn *txn = NULL;
	int is_match = it->kind == SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH ||
		       it->kind == SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH_GONE;
	sk_status st;

	if (client[0] && (st = sk_db_status(mdb_txn_begin(sh->s->env, NULL, MDB_RDONLY, &txn))) ==
				 SK_OK) {
		st = node_case_scan(sh->s, txn, client, first_open, &f);
		mdb_txn_abort(txn);
		if (st != SK_OK)
			return st;
	}
	char shown[2 * NET_ORG_ID_MAX + WIRE_DIR_NAME_MAX + 8];

	if (is_match && sh->as != NULL && f.id == 0)
		return SK_OK; /* not one of this professional's clients */
	sh->n++;
	if (sh->list != NULL) {
		json_t *obj = node_inbox_item_json(at, it, client);
		char name[WIRE_DIR_NAME_MAX + NET_NAME_MAX + 2] = "";

		json_object_set_new(obj, "case", json_integer((json_int_t)f.id));
		if (it->counterpart != NULL &&
		    sk_db_status(mdb_txn_begin(sh->s->env, NULL, MDB_RDONLY, &txn)) == SK_OK) {
			node_directory_label(sh->s, txn, it->counterpart, name, sizeof(name));
			mdb_txn_abort(txn);
			json_object_set_new(obj, "org_name", json_string(name));
		}
		json_array_append_new(sh->list, obj);
		return SK_OK;
	}
	org_shown(sh->s, it->counterpart ? it->counterpart : "?", shown, sizeof(shown));
	switch (it->kind) {
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH:
		printf("%s (%s) is also involved with your client %s, case %llu\n",
		       shown, it->category, client[0] ? client : "?",
		       (unsigned long long)f.id);
		break;
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH_GONE:
		printf("%s (%s) is no longer involved with your client %s (it left the "
		       "federation)\n",
		       shown, it->category, client[0] ? client : "?");
		break;
	case SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE:
		printf("%s (%s, %s) looked up your client %s for %s\n", shown,
		       it->category ? it->category : "?", it->role ? it->role : "?",
		       client[0] ? client : "?", it->purpose ? it->purpose : "?");
		break;
	default:
		printf("pattern flag for the privacy officer: %s\n", it->detail ? it->detail : "");
		break;
	}
	return SK_OK;
}

/* matches and notices: what sync received, from the node's own store. */
static int show_inbox(int argc, char **argv, const char *cmd, int matches)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"as", required_argument, NULL, 'a'}, {0}};
	static const char help_matches[] =
		"usage: schakel-node matches [--as PROF] [--json]\n\n"
		"Partner organisations also involved with our clients (after 'sync').\n\n"
		SK_CLI_COMMON_HELP;
	static const char help_notices[] =
		"usage: schakel-node notices [--json]\n\n"
		"Who looked up our clients (disclosure notices, also in our audit log) and the\n"
		"registry's pattern flags about our organisation (after 'sync').\n\n"
		SK_CLI_COMMON_HELP;
	const char *help = matches ? help_matches : help_notices;
	sk_cli_common o = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	struct show sh = {0};
	sk_status st = SK_OK;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, as_opt, &sh.as)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		return rc;
	sh.s = s;
	sh.list = o.json ? json_array() : NULL;
	if (matches) {
		st = node_inbox_scan(s, SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH, show_item, &sh);
		if (st == SK_OK)
			st = node_inbox_scan(s, SCHAKEL__V1__MAILBOX_KIND__MAILBOX_MATCH_GONE,
					     show_item, &sh);
	} else {
		st = node_inbox_scan(s, SCHAKEL__V1__MAILBOX_KIND__MAILBOX_DISCLOSURE, show_item, &sh);
		if (st == SK_OK)
			st = node_inbox_scan(s, SCHAKEL__V1__MAILBOX_KIND__MAILBOX_PATTERN, show_item,
					     &sh);
	}
	if (st == SK_OK && sh.list != NULL)
		node_cli_print_json(sh.list);
	else if (st == SK_OK && sh.n == 0)
		printf("nothing yet (run 'schakel-node sync' to fetch)\n");
	else
		json_decref(sh.list);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

static int cmd_matches(int argc, char **argv)
{
	return show_inbox(argc, argv, "matches", 1);
}

static int cmd_notices(int argc, char **argv)
{
	return show_inbox(argc, argv, "notices", 0);
}

struct serve_args {
	node_serve_opts so;
	unsigned long long secs;
	int witness;
};

static int serve_opt(int c, const char *arg, void *p)
{
	struct serve_args *a = p;

	switch (c) {
	case 'H':
		sk_cli_deprecated("serve", "http", "web");
		/* fall through */
	case 'h':
		a->so.http = arg;
		break;
	case 'w':
		a->witness = 1;
		break;
	case 'W':
		a->so.witness = arg;
		break;
	case 'C':
		a->so.secure_cookies = 1;
		break;
	case 'T':
		a->so.tls_cert = arg;
		break;
	case 'K':
		a->so.tls_key = arg;
		break;
	case 'S':
		a->so.tls_self = 1;
		break;
	case 'I':
		a->so.oidc.issuer = arg;
		break;
	case 'c':
		a->so.oidc.client_id = arg;
		break;
	case 'F':
		a->so.oidc.secret_file = arg;
		break;
	case 'L':
		a->so.oidc.claim = arg;
		break;
	case 'R':
		a->so.oidc.redirect_uri = arg;
		break;
	case 'A':
		a->so.oidc.ca_file = arg;
		break;
	case 'N':
		a->so.oidc_name = arg;
		break;
	case 'O':
		a->so.oidc_only = 1;
		break;
	case 's':
		if (sk_cli_u64(arg, &a->secs) != SK_OK || a->secs == 0 || a->secs > 86400)
			return sk_cli_usage("serve", "--sync-seconds takes 1..86400");
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static int cmd_serve(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"web", required_argument, NULL, 'h'},
					   {"http", required_argument, NULL, 'H'}, /* --web's former name */
					   {"sync-seconds", required_argument, NULL, 's'},
					   {"witness", no_argument, NULL, 'w'},
					   {"witness-listen", required_argument, NULL, 'W'},
					   {"secure-cookies", no_argument, NULL, 'C'},
					   {"tls-cert", required_argument, NULL, 'T'},
					   {"tls-key", required_argument, NULL, 'K'},
					   {"tls-self", no_argument, NULL, 'S'},
					   {"oidc-issuer", required_argument, NULL, 'I'},
					   {"oidc-client-id", required_argument, NULL, 'c'},
					   {"oidc-client-secret-file", required_argument, NULL, 'F'},
					   {"oidc-claim", required_argument, NULL, 'L'},
					   {"oidc-redirect-uri", required_argument, NULL, 'R'},
					   {"oidc-ca-file", required_argument, NULL, 'A'},
					   {"oidc-name", required_argument, NULL, 'N'},
					   {"oidc-only", no_argument, NULL, 'O'}, {0}};
	static const char help[] =
		"usage: schakel-node serve --dir D --web 127.0.0.1:PORT [--sync-seconds N]\n"
		"                         [--tls-cert FILE --tls-key FILE | --tls-self]\n"
		"                         [--secure-cookies] [--witness --witness-listen HOST:PORT]\n"
		"                         [--oidc-issuer URL --oidc-client-id ID\n"
		"                          --oidc-client-secret-file F --oidc-redirect-uri URL\n"
		"                          [--oidc-claim NAME] [--oidc-ca-file F] [--oidc-name NAME]\n"
		"                          [--oidc-only]]\n\n"
		"Runs 'sync' every N seconds (default 60) and serves, on --web, the web pages\n"
		"for professionals and privacy officers (sign in with the password set by\n"
		"'professional passwd') and the JSON API they use (docs/web.md,\n"
		"docs/openapi.yaml). The organisation's own systems may call the API with\n"
		"'Authorization: Bearer TOKEN' (the token is in D/api-token). Prints 'listening\n"
		"on HOST:PORT' when ready; SIGTERM stops it.\n"
		"With --tls-cert FILE --tls-key FILE (PEM: the certificate chain from the\n"
		"organisation's PKI, server certificate first, and its unencrypted key, mode\n"
		"0600) the pages are served on --web over TLS 1.3 only, with HSTS and Secure\n"
		"cookies; SIGHUP reads both files again (a renewed certificate). --tls-self\n"
		"makes a certificate for localhost and 127.0.0.1 once (for trying out; kept in\n"
		"D/web-tls.crt and D/web-tls.key). Either prints 'TLS certificate SHA-256\n"
		"fingerprint ...' first. Without TLS --web must be a loopback address\n"
		"(127.0.0.1, ::1): plain HTTP never leaves the machine. Behind a TLS proxy on\n"
		"the same machine give --secure-cookies so the session cookie only travels over\n"
		"HTTPS.\n"
		"With --witness the node also cosigns the registry's checkpoints as a C2SP\n"
		"tlog-witness over HTTPS on --witness-listen (POST /add-checkpoint), printing\n"
		"'witness listening on HOST:PORT' first; the registry operator names it with\n"
		"'enrol --witness ORG@https://HOST:PORT'. --http is the former name of --web.\n"
		"With --oidc-issuer professionals sign in with the organisation's identity\n"
		"provider (OpenID Connect, code flow with PKCE; docs/operator.md):\n"
		"  --oidc-issuer URL            the provider's issuer (https://)\n"
		"  --oidc-client-id ID          this node's client id there\n"
		"  --oidc-client-secret-file F  its client secret (a file of mode 0600)\n"
		"  --oidc-redirect-uri URL      https://THIS-NODE/oidc/callback, as registered\n"
		"  --oidc-claim NAME            the ID token's claim 'professional link --login'\n"
		"                               matches (default preferred_username)\n"
		"  --oidc-ca-file F             CA certificates for the provider's TLS\n"
		"  --oidc-name NAME             shown as 'Inloggen met NAME' (default: uw\n"
		"                               organisatie)\n"
		"  --oidc-only                  no password sign-in\n\n"
		SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct serve_args a = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("serve", argc, argv, lo, help, &o, serve_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("serve", &o)) != 0)
		return rc;
	if (a.so.http == NULL)
		return sk_cli_usage("serve", "--web HOST:PORT is required");
	if ((a.so.tls_cert != NULL) != (a.so.tls_key != NULL))
		return sk_cli_usage("serve", "--tls-cert FILE and --tls-key FILE go together");
	if (a.so.tls_self && a.so.tls_cert != NULL)
		return sk_cli_usage("serve", "give --tls-self or --tls-cert and --tls-key, not both");
	if (a.witness != (a.so.witness != NULL))
		return sk_cli_usage("serve", "--witness and --witness-listen HOST:PORT go together");
	if ((a.so.oidc.issuer != NULL) !=
	    (a.so.oidc.client_id != NULL && a.so.oidc.secret_file != NULL &&
	     a.so.oidc.redirect_uri != NULL))
		return sk_cli_usage("serve", "--oidc-issuer, --oidc-client-id, "
				    "--oidc-client-secret-file and --oidc-redirect-uri go together");
	if (a.so.oidc_only && a.so.oidc.issuer == NULL)
		return sk_cli_usage("serve", "--oidc-only needs --oidc-issuer");
	a.so.sync_seconds = (unsigned)a.secs;
	if ((rc = node_cli_open(&s, &kek, &o, "serve")) != 0)
		return rc;
	st = node_serve(s, kek, &a.so);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "serve");
}

static int cmd_rekey(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	static const char help[] =
		"usage: schakel-node rekey --dir D\n\n"
		"Replaces the node's identity, TLS and encryption keys, with the operator's\n"
		"countersignature: makes the new keys (kept aside until the operator agrees) and\n"
		"D/rekey-request, signed by both the current and the new identity key. Give it to\n"
		"the registry operator, who runs 'schakel-registry enrol --refresh ORG --request F\n"
		"--ca CA' and hands back a bundle with the new certificate; 'join' installs it and\n"
		"only then the new keys replace the old ones. The registry refuses the old\n"
		"certificate from then on; partners learn the new identity from the log.\n\n"
		SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("rekey", argc, argv, lo, help, &o, NULL, NULL)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("rekey", &o)) != 0)
		return rc;
	if ((rc = node_cli_open(&s, &kek, &o, "rekey")) != 0)
		return rc;
	st = node_rekey(s, kek);
	node_store_close(s);
	sk_kek_free(kek);
	if (st != SK_OK)
		return sk_cli_fail(st, "rekey");
	if (o.json)
		printf("{\"request\":\"%s\"}\n", NODE_FILE_REKEY_REQUEST);
	else
		printf("new keys made; give %s/%s to the registry operator and install the bundle "
		       "you get back with 'schakel-node join'\n",
		       o.dir, NODE_FILE_REKEY_REQUEST);
	return SK_EXIT_OK;
}

SK_CLI_BACKUP_DEFINE(SK_BACKUP_NODE, node_store_restored)

static const sk_cli_cmd commands[] = {
	{"init", cmd_init, "create the node: keys, database, enrolment request"},
	{"join", cmd_join, "install the federation bundle from the registry operator"},
	{"professional", cmd_professional, "add or list professionals"},
	{"client", cmd_client, "register or list clients"},
	{"case", cmd_case, "open, consent, assign, close or list cases"},
	{"lookup", cmd_lookup, "which partners are also involved with a client"},
	{"sync", cmd_sync, "publish pending entries, verify the log, fetch the mailbox"},
	{"matches", cmd_matches, "partners also involved with our clients"},
	{"notices", cmd_notices, "who looked up our clients; pattern flags"},
	{"serve", cmd_serve, "background sync and the local JSON API"},
	{"status", node_cli_status, "what this node is, whom it talks to, last sync, expiries"},
	SK_CLI_BACKUP_COMMANDS,
	{"rekey", cmd_rekey, "new identity, TLS and encryption keys (with the operator)"},
	{"discuss", node_cli_discuss,
	 "anonymous case discussions: request, accept, send, show, close"},
	{"table", node_cli_table,
	 "case tables (casustafel): create, join, leave, list, regisseur"},
	{"encryption", node_cli_encryption, "the node's encryption keys: list, rotate"},
	{"audit", node_cli_audit, "verify, query, export, report and review the audit log"},
	{"org", node_cli_org, "the organisation's settings: the privacy officer's contact"},
	{"directory", node_cli_directory,
	 "the sociale kaart: publish our record, search and show partners"},
	{"service", node_cli_service,
	 "credentials of the client system (ECD) for the integration API"},
};

int node_cli_main(int argc, char **argv)
{
	return sk_cli_main(PROG, PROG ": the organisation's node of a schakel federation",
			   commands, sizeof(commands) / sizeof(commands[0]), argc, argv);
}
