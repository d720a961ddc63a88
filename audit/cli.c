#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "audit/cli.h"
#include "audit/export.h"
#include "audit/query.h"
#include "audit/retain.h"
#include "audit/review.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/file.h"

static int open_as(const audit_cli_host *h, void **ctx, const sk_cli_common *o, const char *cmd,
		   audit_log **log, MDB_env **env, audit_record *tmpl);

static void print_json(json_t *doc)
{
	char *txt = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;

	if (txt != NULL)
		puts(txt);
	free(txt);
	json_decref(doc);
}

/* Runs the purge, its markers signed with the owner's identity key. */
static sk_status run_purge(const audit_cli_host *h, void *ctx, audit_log *log, MDB_env *env,
			   audit_purge_opts *po, audit_purge_result *res)
{
	key_ed25519 *id;
	sk_status st;

	if ((id = sodium_malloc(sizeof(*id))) == NULL)
		return SK_ERR_NOMEM;
	if ((st = h->identity(ctx, id)) == SK_OK) {
		po->sk = id->sk;
		st = audit_purge_run(log, env, po, res);
	}
	sodium_memzero(id, sizeof(*id));
	sodium_free(id);
	return st;
}

struct purge_args {
	int dry;
	uint64_t as_of;
};

static int purge_opt(int c, const char *arg, void *p)
{
	struct purge_args *a = p;

	switch (c) {
	case 'n':
		a->dry = 1;
		break;
	case 'a':
		if (audit_time_parse(&a->as_of, arg, false) != SK_OK)
			return sk_cli_usage("audit purge",
					    "--as-of takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

int audit_cli_purge(int argc, char **argv, const audit_cli_host *h)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"dry-run", no_argument, NULL, 'n'},
					   {"as-of", required_argument, NULL, 'a'}, {0}};
	static const char help[] =
		"usage: %s audit purge --dir D [--dry-run] [--as-of T] [--json]\n\n"
		"Retention: removes the oldest audit records whose retain-until has passed\n"
		"(always from the start of the log, stopping at the first record still to be\n"
		"kept; never the last record), with their query-index entries. Each purge\n"
		"appends an audit.purge record naming the range and the chain hash of the last\n"
		"purged record, signed by the %s's identity key (schakel/v1/audit-purge), so\n"
		"that 'audit verify' checks the chain from there. A legal hold ('audit hold')\n"
		"blocks the purge: exit 1, and the refusal is recorded.\n\n"
		"  --dry-run             only count what would be purged\n"
		"  --as-of T             purge as if the clock read T (YYYY-MM-DD or\n"
		"                        YYYY-MM-DDTHH:MM:SSZ); a time after now only with\n"
		"                        --dry-run or --dev (tests, drills)\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit purge";
	sk_cli_common o = {0};
	audit_record tmpl = {0};
	audit_purge_opts po = {.marker = &tmpl, .each = h->each};
	audit_purge_result res;
	audit_log *log = NULL;
	MDB_env *env = NULL;
	void *ctx = NULL;
	struct purge_args a = {0};
	sk_status st;
	int rc;

	char usage[2048];

	snprintf(usage, sizeof(usage), help, h->prog, h->owner);
	if ((rc = sk_cli_parse(cmd, argc, argv, lo, usage, &o, purge_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	po.now_ms = a.as_of ? a.as_of : sk_clock_now_ms();
	if (a.as_of > sk_clock_now_ms() && !a.dry && !o.dev)
		return sk_cli_usage(cmd, "--as-of after now purges records before their time; "
					 "only with --dry-run or --dev");
	if ((rc = open_as(h, &ctx, &o, cmd, &log, &env, &tmpl)) != 0)
		return rc;
	po.arg = ctx;
	st = a.dry ? audit_purge_run(log, env, &po, &res) : run_purge(h, ctx, log, env, &po, &res);
	if (st == SK_OK && o.json)
		print_json(json_pack("{s:b,s:I,s:I,s:I}", "dry_run", a.dry, "purged",
				     (json_int_t)res.count, "first", (json_int_t)res.first, "last",
				     (json_int_t)res.last));
	else if (st == SK_OK && res.count == 0)
		printf("nothing to purge: no audit record is past its retention\n");
	else if (st == SK_OK)
		printf("%s %llu audit records (%llu-%llu) past their retention%s\n",
		       a.dry ? "would purge" : "purged", (unsigned long long)res.count,
		       (unsigned long long)res.first, (unsigned long long)res.last,
		       a.dry ? "" : "; the signed purge marker is recorded (audit.purge)");
	h->close(ctx);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

/* The hold as JSON or a line. */
static void show_hold(const audit_hold *hd, int json, uint64_t now)
{
	char until[AUDIT_TIME_BYTES];

	audit_time_format(until, hd->until_ms);
	if (json)
		print_json(hd->until_ms > now
				   ? json_pack("{s:b,s:s,s:s}", "hold", 1, "until", until, "reason",
					       hd->reason)
				   : json_pack("{s:b}", "hold", 0));
	else if (hd->until_ms > now)
		printf("legal hold until %s: %s\n", until, hd->reason);
	else
		printf("no legal hold\n");
}

struct hold_args {
	uint64_t until_ms;
	const char *reason;
	int release;
};

static int hold_opt(int c, const char *arg, void *p)
{
	struct hold_args *a = p;

	switch (c) {
	case 'u':
		if (audit_time_parse(&a->until_ms, arg, true) != SK_OK)
			return sk_cli_usage("audit hold",
					    "--until takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		break;
	case 'r':
		a->reason = arg;
		break;
	case 'R':
		a->release = 1;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

int audit_cli_hold(int argc, char **argv, const audit_cli_host *h)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"until", required_argument, NULL, 'u'},
					   {"reason", required_argument, NULL, 'r'},
					   {"release", no_argument, NULL, 'R'}, {0}};
	static const char help[] =
		"usage: %s audit hold --dir D --until T --reason TEXT\n"
		"       %s audit hold --dir D --release\n"
		"       %s audit hold --dir D [--json]\n\n"
		"A legal hold (a court case, a complaint, an art. 15 request under way): no audit\n"
		"record is purged until T, whatever its retention. Setting, extending and\n"
		"releasing the hold are recorded (audit.hold, audit.hold.release). Without\n"
		"options, shows the hold.\n\n"
		"  --until T             YYYY-MM-DD (the whole day) or YYYY-MM-DDTHH:MM:SSZ\n"
		"  --reason TEXT         why (recorded; no BSN)\n"
		"  --release             end the hold now\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit hold";
	sk_cli_common o = {0};
	audit_record tmpl = {0};
	audit_hold hd = {0};
	audit_log *log = NULL;
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	struct hold_args a = {0};
	void *ctx = NULL;
	sk_status st;
	int rc;

	char usage[2048];

	snprintf(usage, sizeof(usage), help, h->prog, h->prog, h->prog);
	if ((rc = sk_cli_parse(cmd, argc, argv, lo, usage, &o, hold_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (a.release && (a.until_ms || a.reason))
		return sk_cli_usage(cmd, "--release takes no --until or --reason");
	if (!a.release && (a.until_ms != 0) != (a.reason != NULL))
		return sk_cli_usage(cmd, "a hold needs both --until T and --reason TEXT");
	if (a.until_ms != 0 && a.until_ms <= sk_clock_now_ms())
		return sk_cli_usage(cmd, "--until is in the past");
	if (a.reason != NULL && strlen(a.reason) >= sizeof(hd.reason))
		return sk_cli_usage(cmd, "--reason is longer than %d bytes", AUDIT_REASON_MAX);
	hd.until_ms = a.until_ms;
	if (a.reason != NULL)
		memcpy(hd.reason, a.reason, strlen(a.reason) + 1);
	if ((rc = open_as(h, &ctx, &o, cmd, &log, &env, &tmpl)) != 0)
		return rc;
	if (a.release || hd.until_ms != 0) {
		st = audit_hold_change(log, env, &tmpl, &hd);
		if (st == SK_OK && !o.json)
			printf(a.release ? "legal hold released (recorded)\n"
					 : "legal hold set (recorded); purges are refused until it "
					   "ends\n");
	} else {
		st = SK_OK;
	}
	if (st == SK_OK && (o.json || (!a.release && hd.until_ms == 0)) &&
	    (st = sk_db_status(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = audit_log_hold_get(log, txn, &hd);
		mdb_txn_abort(txn);
		if (st == SK_OK)
			show_hold(&hd, o.json, sk_clock_now_ms());
	}
	h->close(ctx);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

/* --set-years N or --set-days N into the uint64_t at p (ms). */
static int retention_opt(int c, const char *arg, void *p)
{
	unsigned long long n = 0;

	switch (c) {
	case 'y':
		if (sk_cli_u64(arg, &n) != SK_OK || n == 0 || n > 100)
			return sk_cli_usage("audit retention", "--set-years takes 1..100");
		*(uint64_t *)p = n * AUDIT_YEAR_MS;
		break;
	case 'd':
		if (sk_cli_u64(arg, &n) != SK_OK || n == 0 || n > 36525)
			return sk_cli_usage("audit retention", "--set-days takes 1..36525");
		*(uint64_t *)p = n * AUDIT_DAY_MS;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

int audit_cli_retention(int argc, char **argv, const audit_cli_host *h)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"set-years", required_argument, NULL, 'y'},
					   {"set-days", required_argument, NULL, 'd'}, {0}};
	static const char help[] =
		"usage: %s audit retention --dir D [--set-years N | --set-days N] [--json]\n\n"
		"Shows how long audit records are kept (node default 5 years, registry 1 year,\n"
		"then daily aggregates per org), what was purged so far and any legal hold. With\n"
		"--set-years or --set-days, sets the retention of records written from now on\n"
		"(recorded as audit.retention); records keep the retain-until they were written\n"
		"with. 'audit purge' removes what is due.\n\n"
		"  --set-years N         N years of 365.25 days (1..100)\n"
		"  --set-days N          N days (1..36525)\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit retention";
	sk_cli_common o = {0};
	audit_record tmpl = {0};
	audit_base base;
	audit_hold hd;
	audit_log *log = NULL;
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	uint64_t set = 0;
	char when[AUDIT_TIME_BYTES];
	void *ctx = NULL;
	int rc;
	sk_status st;

	char usage[2048];

	snprintf(usage, sizeof(usage), help, h->prog);
	if ((rc = sk_cli_parse(cmd, argc, argv, lo, usage, &o, retention_opt, &set)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if ((rc = open_as(h, &ctx, &o, cmd, &log, &env, &tmpl)) != 0)
		return rc;
	st = set ? audit_retention_change(log, env, &tmpl, set) : SK_OK;
	if (st == SK_OK && (st = sk_db_status(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		if ((st = audit_log_base(log, txn, &base)) == SK_OK)
			st = audit_log_hold_get(log, txn, &hd);
		mdb_txn_abort(txn);
	}
	if (st == SK_OK && o.json) {
		print_json(json_pack("{s:I,s:I,s:b}", "retention_days",
				     (json_int_t)(audit_log_retention(log) / AUDIT_DAY_MS),
				     "purged_through", (json_int_t)base.seq, "hold",
				     hd.until_ms > sk_clock_now_ms()));
	} else if (st == SK_OK) {
		printf("retention: %llu days%s\n",
		       (unsigned long long)(audit_log_retention(log) / AUDIT_DAY_MS),
		       set ? " (set now, recorded)" : "");
		audit_time_format(when, base.time_ms);
		if (base.seq)
			printf("purged: records 1-%llu, last purge %s\n", (unsigned long long)base.seq,
			       when);
		else
			printf("purged: nothing yet\n");
		show_hold(&hd, 0, sk_clock_now_ms());
	}
	h->close(ctx);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

/* ---- reading: query, export, verify-export, review -------------------------------- */

#define SIG_SUFFIX ".sig"
#define USAGE_MAX 4096

/* The officer named by --as for this process's audit command (the CLI
 * runs one command). */
static char cli_as[AUDIT_FIELD_MAX + 1];

const char *audit_cli_actor(void)
{
	return cli_as[0] != '\0' ? cli_as : NULL;
}

/* Takes --as ID / --as=ID out of argv (argc updated); 0, or the usage
 * exit code. */
static int take_as(int *argc, char **argv)
{
	for (int i = 1; i < *argc; i++) {
		const char *v = NULL;
		int drop = 0;

		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--as") == 0 && i + 1 < *argc) {
			v = argv[i + 1];
			drop = 2;
		} else if (strncmp(argv[i], "--as=", 5) == 0) {
			v = argv[i] + 5;
			drop = 1;
		} else if (strcmp(argv[i], "--as") == 0) {
			return sk_cli_usage("audit", "--as takes the privacy officer's id");
		}
		if (v == NULL)
			continue;
		if (v[0] == '\0' || strlen(v) >= sizeof(cli_as))
			return sk_cli_usage("audit", "--as takes the privacy officer's id");
		memcpy(cli_as, v, strlen(v) + 1);
		memmove(argv + i, argv + i + drop, (size_t)(*argc - i - drop + 1) * sizeof(*argv));
		*argc -= drop;
		i--;
	}
	return 0;
}

/* h->open, then the officer of --as checked and named in tmpl. */
static int open_as(const audit_cli_host *h, void **ctx, const sk_cli_common *o, const char *cmd,
		   audit_log **log, MDB_env **env, audit_record *tmpl)
{
	int rc = h->open(ctx, o, cmd, log, env, tmpl);
	sk_status st;

	if (rc != 0 || audit_cli_actor() == NULL)
		return rc;
	if (h->actor == NULL) {
		sk_error_set("--as names a privacy officer of a node; %s has none", h->prog);
		st = SK_ERR_INVALID;
	} else
		st = h->actor(*ctx, audit_cli_actor(), tmpl);
	if (st != SK_OK) {
		h->close(*ctx);
		*ctx = NULL;
		return sk_cli_fail(st, cmd);
	}
	return 0;
}

int audit_cli_group(const audit_cli_host *h, const audit_cli_cmd *cmds, size_t n, int argc,
		    char **argv)
{
	int rc;

	if ((rc = take_as(&argc, argv)) != 0)
		return rc;
	for (size_t i = 0; sk_cli_probing() && i < n; i++) {
		char a0[32], a1[] = "--help";
		char *av[] = {a0, a1, NULL};

		snprintf(a0, sizeof(a0), "%s", cmds[i].name);
		(void)(cmds[i].own != NULL ? cmds[i].own(2, av) : cmds[i].fn(2, av, h));
	}
	if (sk_cli_probing())
		return SK_EXIT_OK;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (h->actor != NULL)
			printf("usage: %s audit SUBCOMMAND [options] [--as ID]   (SUBCOMMAND --help "
			       "for its options)\n\n"
			       "--as ID names the privacy officer acting: her id and role are\n"
			       "recorded with every audit record the command writes.\n\n",
			       h->prog);
		else
			printf("usage: %s audit SUBCOMMAND [options]   (SUBCOMMAND --help for its "
			       "options)\n\n",
			       h->prog);
		for (size_t i = 0; i < n; i++)
			printf("  %-14s %s\n", cmds[i].name, cmds[i].summary);
		return argc < 2 ? SK_EXIT_USAGE : SK_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].own != NULL ? cmds[i].own(argc - 1, argv + 1)
						   : cmds[i].fn(argc - 1, argv + 1, h);
	return sk_cli_usage("audit", "unknown subcommand '%s'", argv[1]);
}

sk_status audit_cli_record(audit_log *log, MDB_env *env, const audit_record *tmpl,
			   const char *event, audit_action action, const char *client,
			   const char *purpose, const char *what)
{
	char reason[AUDIT_REASON_MAX + 1];
	audit_record r = *tmpl;
	MDB_txn *txn = NULL;
	sk_status st;

	audit_text_clean(reason, sizeof(reason), what);
	r.event = event;
	r.action = action;
	r.outcome = AUDIT_OUTCOME_OK;
	r.category = "audit";
	r.purpose = purpose;
	r.client = client;
	r.reason = reason;
	if ((st = sk_db_status(mdb_txn_begin(env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = audit_log_append(log, txn, &r, NULL, NULL)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

/* The filters query and export share. The client is copied out of argv
 * (at a node it may be a BSN) and resolved; only the result is used. */
typedef struct filter_opts {
	const char *cmd; /* for the usage errors */
	char client_ref[AUDIT_FIELD_MAX + 1];
	char client[AUDIT_FIELD_MAX + 1];
	audit_filter f;
} filter_opts;

#define FILTER_LONG(who)                                     \
	{"client", required_argument, NULL, 'c'},            \
	{who, required_argument, NULL, 'p'},                 \
	{"event", required_argument, NULL, 'e'},             \
	{"action", required_argument, NULL, 'a'},            \
	{"outcome", required_argument, NULL, 'O'},           \
	{"since", required_argument, NULL, 's'},             \
	{"until", required_argument, NULL, 'u'}

/* The filter help: host's --client line, then the rest. */
static void filter_help(char *out, size_t cap, const audit_cli_host *h)
{
	char opt[64];

	snprintf(opt, sizeof(opt), "--%s ID", h->who);
	snprintf(out, cap,
		 "%s"
		 "  %-21s records of this %s's actions\n"
		 "  --event E             one event type, e.g. lookup, case.open, audit.purge\n"
		 "  --action A            C, R, U, D or E (create, read, update, delete, execute)\n"
		 "  --outcome O           ok, denied or failed\n"
		 "  --since T, --until T  YYYY-MM-DD (a local day, inclusive) or\n"
		 "                        YYYY-MM-DDTHH:MM:SSZ (UTC)\n",
		 h->client_help, opt, h->who);
}

/* One filter option (FILTER_LONG) into the filter_opts at p: SK_CLI_RUN,
 * the usage exit code, or SK_CLI_UNKNOWN when c is not one. */
static int filter_opt(int c, const char *arg, void *p)
{
	filter_opts *fo = p;
	audit_action a;
	audit_outcome oc;

	switch (c) {
	case 'c':
		if (strlen(arg) >= sizeof(fo->client_ref))
			return sk_cli_usage(fo->cmd, "--client is too long");
		memcpy(fo->client_ref, arg, strlen(arg) + 1);
		sk_cli_arg_wipe(arg); /* out of /proc/PID/cmdline */
		return SK_CLI_RUN;
	case 'p':
		fo->f.user = arg;
		return SK_CLI_RUN;
	case 'e':
		fo->f.event = arg;
		return SK_CLI_RUN;
	case 'a':
		if (audit_action_parse(&a, arg) != SK_OK)
			return sk_cli_usage(fo->cmd, "--action takes C, R, U, D or E");
		fo->f.action = a;
		return SK_CLI_RUN;
	case 'O':
		if (audit_outcome_parse(&oc, arg) != SK_OK)
			return sk_cli_usage(fo->cmd, "--outcome takes ok, denied or failed");
		fo->f.outcome = oc;
		return SK_CLI_RUN;
	case 's':
		if (audit_time_parse(&fo->f.since_ms, arg, false) != SK_OK)
			return sk_cli_usage(fo->cmd,
					    "--since takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		return SK_CLI_RUN;
	case 'u':
		if (audit_time_parse(&fo->f.until_ms, arg, true) != SK_OK)
			return sk_cli_usage(fo->cmd,
					    "--until takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		return SK_CLI_RUN;
	default:
		return SK_CLI_UNKNOWN;
	}
}

/* Resolves fo's client (if any) and wipes the reference. */
static sk_status resolve_client(const audit_cli_host *h, void *ctx, filter_opts *fo)
{
	sk_status st = SK_OK;

	if (fo->client_ref[0] != '\0') {
		if (h->resolve_client != NULL)
			st = h->resolve_client(ctx, fo->client_ref, fo->client);
		else
			memcpy(fo->client, fo->client_ref, sizeof(fo->client));
		if (st == SK_OK)
			fo->f.client = fo->client;
	}
	sodium_memzero(fo->client_ref, sizeof(fo->client_ref));
	return st;
}

static sk_status print_line(const audit_record *rec, void *arg)
{
	char line[AUDIT_LINE_MAX];
	sk_status st = audit_record_line(line, sizeof(line), rec);

	if (st == SK_OK)
		puts(line);
	(*(uint64_t *)arg)++;
	return st;
}

/* An open data dir: what the host's open gives. */
typedef struct opened {
	void *ctx;
	audit_log *log;
	MDB_env *env;
	audit_record tmpl;
} opened;

int audit_cli_verify(int argc, char **argv, const audit_cli_host *h)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	static const char help[] =
		"usage: %s audit verify --dir D [--json]\n\n"
		"Recomputes the audit hash chain from the first record (or, after a purge, from\n"
		"the signed purge marker) and checks that every record is in the query\n"
		"indexes. Exit 3 names the first bad record.\n\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit verify";
	char usage[USAGE_MAX], detail[AUDIT_REASON_MAX + 1];
	sk_cli_common o = {0};
	opened d = {0};
	audit_base base = {0};
	uint64_t count = 0, bad = 0;
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	snprintf(usage, sizeof(usage), help, h->prog);
	if ((rc = sk_cli_parse(cmd, argc, argv, lo, usage, &o, NULL, NULL)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if ((rc = open_as(h, &d.ctx, &o, cmd, &d.log, &d.env, &d.tmpl)) != 0)
		return rc;
	if ((st = sk_db_status(mdb_txn_begin(d.env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		if ((st = audit_log_verify(d.log, txn, &count, &bad)) == SK_OK)
			st = audit_log_base(d.log, txn, &base);
		mdb_txn_abort(txn);
	}
	if (st == SK_ERR_VERIFY) {
		audit_text_clean(detail, sizeof(detail), sk_error_detail());
		if (o.json)
			print_json(json_pack("{s:b,s:I,s:s}", "ok", 0, "first_bad", (json_int_t)bad,
					     "detail", detail));
		sk_error_set("the audit log is broken at record %llu: %s", (unsigned long long)bad,
			     detail);
	} else if (st == SK_OK && o.json) {
		print_json(json_pack("{s:b,s:I,s:I,s:I}", "ok", 1, "records",
				     (json_int_t)(count - base.seq), "last_seq", (json_int_t)count,
				     "purged_through", (json_int_t)base.seq));
	} else if (st == SK_OK) {
		if (base.seq)
			printf("records 1-%llu were purged under retention; the chain is checked "
			       "from their signed purge marker\n",
			       (unsigned long long)base.seq);
		printf("audit log verified: %llu records\n", (unsigned long long)(count - base.seq));
	}
	h->close(d.ctx);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

/* One exit path after --client: it wipes the reference (at a node, a BSN). */
int audit_cli_query(int argc, char **argv, const audit_cli_host *h)
{
	const struct option lo[] = {SK_CLI_COMMON_LONG, FILTER_LONG(h->who), {0}};
	static const char help[] =
		"usage: %s audit query --dir D [--client C] [--%s ID] [--event E]\n"
		"           [--action A] [--outcome ok|denied|failed] [--since T] [--until T]\n"
		"           [--json]\n\n"
		"Lists the audit records that pass every filter given, oldest first, one line\n"
		"each (--json: an array of records). The query is itself recorded in the log\n"
		"(event audit.query) before anything is shown.\n\n%s" SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit query";
	char usage[USAGE_MAX], fh[USAGE_MAX / 2], what[AUDIT_FILTER_TEXT_MAX];
	sk_cli_common o = {0};
	filter_opts fo = {.cmd = cmd};
	opened d = {0};
	audit_export *x = NULL;
	uint64_t n = 0;
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	filter_help(fh, sizeof(fh), h);
	snprintf(usage, sizeof(usage), help, h->prog, h->who, fh);
	if ((rc = sk_cli_parse(cmd, argc, argv, lo, usage, &o, filter_opt, &fo)) != SK_CLI_RUN)
		goto wipe;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		goto wipe;
	if ((rc = open_as(h, &d.ctx, &o, cmd, &d.log, &d.env, &d.tmpl)) != 0)
		goto wipe;
	if ((st = resolve_client(h, d.ctx, &fo)) != SK_OK)
		goto out;
	audit_filter_text(what, sizeof(what), &fo.f);
	if ((st = audit_cli_record(d.log, d.env, &d.tmpl, "audit.query", AUDIT_ACTION_READ,
				   fo.f.client, NULL, what)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(d.env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if (o.json) {
		if ((st = audit_export_begin(&x, stdout, AUDIT_FORMAT_JSON, sk_clock_now_ms())) == SK_OK &&
		    (st = audit_query(d.log, txn, &fo.f, audit_export_record, x)) == SK_OK) {
			st = audit_export_end(x, NULL);
			x = NULL;
		}
	} else {
		st = audit_query(d.log, txn, &fo.f, print_line, &n);
		if (st == SK_OK && n == 0)
			sk_cli_say("no audit records match (%s)", what);
	}
	mdb_txn_abort(txn);
out:
	audit_export_free(x);
	h->close(d.ctx);
	rc = st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
wipe:
	sodium_memzero(fo.client_ref, sizeof(fo.client_ref));
	return rc;
}

/* Signs the export file at path with the owner's identity key into
 * path.sig. */
static sk_status sign_export(const audit_cli_host *h, const opened *d, const char *path,
			     char *sig_path, size_t cap)
{
	key_ed25519 *id = sodium_malloc(sizeof(*id));
	char text[AUDIT_SIG_TEXT_MAX];
	size_t len = 0;
	sk_status st = SK_ERR_NOMEM;

	if (id == NULL)
		return st;
	if (snprintf(sig_path, cap, "%s%s", path, SIG_SUFFIX) >= (int)cap)
		st = SK_ERR_TOOBIG;
	else if ((st = h->identity(d->ctx, id)) == SK_OK &&
		 (st = audit_export_sign(text, sizeof(text), &len, path, d->tmpl.org, id)) == SK_OK)
		st = sk_file_create(sig_path, text, len);
	if (st == SK_ERR_EXISTS)
		sk_error_set("%s exists; move it away or export to another file", sig_path);
	sodium_memzero(id, sizeof(*id));
	sodium_free(id);
	return st;
}

/* A new export file: 0600, never over an existing file. */
static sk_status create_out(const char *path, FILE **fp)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	*fp = NULL;
	if (fd < 0) {
		sk_error_set(errno == EEXIST ? "%s exists; choose another --out file"
					     : "cannot create %s",
			     path);
		return errno == EEXIST ? SK_ERR_EXISTS : SK_ERR_IO;
	}
	if ((*fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(path);
		return SK_ERR_IO;
	}
	return SK_OK;
}

struct export_args {
	filter_opts fo;
	audit_format fmt;
	char sep;
	const char *out_path;
};

static int export_opt(int c, const char *arg, void *p)
{
	struct export_args *a = p;

	switch (c) {
	case 'f':
		if (audit_format_parse(&a->fmt, arg) != SK_OK)
			return sk_cli_usage(a->fo.cmd, "--format takes csv, json or fhir");
		return SK_CLI_RUN;
	case 'w':
		a->out_path = arg;
		return SK_CLI_RUN;
	case 'S':
		if (audit_separator_parse(&a->sep, arg) != SK_OK)
			return sk_cli_usage(a->fo.cmd, "--separator takes ',' or ';'");
		return SK_CLI_RUN;
	default:
		return filter_opt(c, arg, &a->fo);
	}
}

/* One exit path after --client: it wipes the reference (at a node, a BSN). */
int audit_cli_export(int argc, char **argv, const audit_cli_host *h)
{
	const struct option lo[] = {SK_CLI_COMMON_LONG, FILTER_LONG(h->who),
				    {"format", required_argument, NULL, 'f'},
				    {"separator", required_argument, NULL, 'S'},
				    {"out", required_argument, NULL, 'w'}, {0}};
	static const char help[] =
		"usage: %s audit export --dir D --format csv|json|fhir [filters]\n"
		"           [--separator ';'] [--out F]\n\n"
		"Exports the audit records that pass the filters (as 'audit query'), oldest\n"
		"first: csv (a header row, RFC 4180), json (an array of records) or fhir (an R4\n"
		"Bundle of AuditEvent resources, after IHE BALP). To stdout, or with --out F to\n"
		"a new file F (mode 0600) with a detached signature F.sig by the %s's identity\n"
		"key (Ed25519 over the file's size and SHA-256; check it with 'audit\n"
		"verify-export'). The export is itself recorded (event audit.export).\n\n"
		"  --format F            csv, json or fhir\n"
		"  --separator S         csv: ',' (default, RFC 4180) or ';' for Dutch\n"
		"                        spreadsheets (with a UTF-8 byte-order mark for Excel)\n"
		"  --out F               write F and F.sig instead of stdout\n%s" SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit export";
	char usage[USAGE_MAX], fh[USAGE_MAX / 2];
	sk_cli_common o = {0};
	struct export_args a = {.fo.cmd = cmd, .sep = ','};
	char what[AUDIT_FILTER_TEXT_MAX + 64], filters[AUDIT_FILTER_TEXT_MAX];
	char sig_path[4096];
	audit_export *x = NULL;
	opened d = {0};
	FILE *fp = NULL;
	uint64_t n = 0;
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	filter_help(fh, sizeof(fh), h);
	snprintf(usage, sizeof(usage), help, h->prog, h->owner, fh);
	if ((rc = sk_cli_parse(cmd, argc, argv, lo, usage, &o, export_opt, &a)) != SK_CLI_RUN)
		goto wipe;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		goto wipe;
	if (a.fmt == 0) {
		rc = sk_cli_usage(cmd, "--format csv|json|fhir is required");
		goto wipe;
	}
	if ((rc = open_as(h, &d.ctx, &o, cmd, &d.log, &d.env, &d.tmpl)) != 0)
		goto wipe;
	if ((st = resolve_client(h, d.ctx, &a.fo)) != SK_OK)
		goto out;
	audit_filter_text(filters, sizeof(filters), &a.fo.f);
	snprintf(what, sizeof(what), "format=%s %s; %s",
		 a.fmt == AUDIT_FORMAT_CSV ? "csv" : a.fmt == AUDIT_FORMAT_JSON ? "json" : "fhir",
		 a.out_path != NULL ? "to a signed file" : "to stdout", filters);
	if ((a.out_path != NULL && (st = create_out(a.out_path, &fp)) != SK_OK) ||
	    (st = audit_cli_record(d.log, d.env, &d.tmpl, "audit.export", AUDIT_ACTION_READ,
				   a.fo.f.client, NULL, what)) != SK_OK)
		goto out;
	if ((st = sk_db_status(mdb_txn_begin(d.env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if ((st = audit_export_begin_sep(&x, fp != NULL ? fp : stdout, a.fmt, a.sep,
					 sk_clock_now_ms())) == SK_OK &&
	    (st = audit_query(d.log, txn, &a.fo.f, audit_export_record, x)) == SK_OK) {
		st = audit_export_end(x, &n);
		x = NULL;
	}
	mdb_txn_abort(txn);
	if (fp != NULL) {
		if (st == SK_OK && (fsync(fileno(fp)) != 0 || ferror(fp)))
			st = SK_ERR_IO;
		if (fclose(fp) != 0 && st == SK_OK)
			st = SK_ERR_IO;
		fp = NULL;
		if (st == SK_OK)
			st = sign_export(h, &d, a.out_path, sig_path, sizeof(sig_path));
		if (st != SK_OK)
			unlink(a.out_path); /* no unsigned or partial export is left */
		else if (o.json)
			print_json(json_pack("{s:I,s:s,s:s}", "records", (json_int_t)n, "file",
					     a.out_path, "signature", sig_path));
		else
			printf("%llu audit records exported to %s, signed in %s\n",
			       (unsigned long long)n, a.out_path, sig_path);
	}
out:
	audit_export_free(x);
	if (fp != NULL) {
		fclose(fp);
		unlink(a.out_path);
	}
	h->close(d.ctx);
	rc = st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
wipe:
	sodium_memzero(a.fo.client_ref, sizeof(a.fo.client_ref));
	return rc;
}

struct verify_export_args {
	const char *file, *sig;
};

static int verify_export_opt(int c, const char *arg, void *p)
{
	struct verify_export_args *a = p;

	switch (c) {
	case 'f':
		a->file = arg;
		break;
	case 'g':
		a->sig = arg;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

int audit_cli_verify_export(int argc, char **argv, const audit_cli_host *h)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"file", required_argument, NULL, 'f'},
					   {"sig", required_argument, NULL, 'g'}, {0}};
	static const char help[] =
		"usage: %s audit verify-export --dir D --file F [--sig F.sig]\n\n"
		"Checks that F is, byte for byte, an export this %s signed: the signature\n"
		"file names this %s's identity key and verifies over F's size and SHA-256.\n"
		"Exit 3 when F was changed or the signature does not verify.\n\n"
		"  --file F              the exported file\n"
		"  --sig S               its signature (default F.sig)\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit verify-export";
	char usage[USAGE_MAX];
	sk_cli_common o = {0};
	struct verify_export_args a = {0};
	char sig_path[4096];
	uint8_t *text = NULL;
	size_t len = 0;
	key_ed25519 *id = NULL;
	opened d = {0};
	sk_status st;
	int rc;

	snprintf(usage, sizeof(usage), help, h->prog, h->owner, h->owner);
	if ((rc = sk_cli_parse(cmd, argc, argv, lo, usage, &o, verify_export_opt, &a)) !=
	    SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (a.file == NULL)
		return sk_cli_usage(cmd, "--file F is required");
	if (a.sig == NULL) {
		if (snprintf(sig_path, sizeof(sig_path), "%s%s", a.file, SIG_SUFFIX) >=
		    (int)sizeof(sig_path))
			return sk_cli_usage(cmd, "the file name is too long");
		a.sig = sig_path;
	}
	if ((st = sk_file_read(a.sig, AUDIT_SIG_TEXT_MAX, &text, &len)) != SK_OK) {
		sk_error_set("cannot read the signature %s", a.sig);
		return sk_cli_fail(st, cmd);
	}
	if ((rc = open_as(h, &d.ctx, &o, cmd, &d.log, &d.env, &d.tmpl)) != 0) {
		free(text);
		return rc;
	}
	if ((id = sodium_malloc(sizeof(*id))) == NULL)
		st = SK_ERR_NOMEM;
	else if ((st = h->identity(d.ctx, id)) == SK_OK)
		st = audit_export_verify(a.file, (const char *)text, len, id->pk);
	if (st == SK_OK && o.json)
		print_json(json_pack("{s:b,s:s,s:s}", "ok", 1, "file", a.file, "org", d.tmpl.org));
	else if (st == SK_OK)
		printf("%s: signed by this %s (%s), unchanged\n", a.file, h->owner, d.tmpl.org);
	if (id != NULL) {
		sodium_memzero(id, sizeof(*id));
		sodium_free(id);
	}
	free(text);
	h->close(d.ctx);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

/* ---- review ------------------------------------------------------------------------ */

struct review_out {
	unsigned only; /* text: the flag of this section */
	json_t *list;  /* --json */
	uint64_t n[AUDIT_FLAG_COUNT];
	uint64_t shown;
};

static sk_status review_item(const audit_finding *f, void *arg)
{
	struct review_out *r = arg;
	char line[AUDIT_LINE_MAX];
	json_t *obj = NULL;
	sk_status st;

	if (r->list == NULL && !(f->flags & r->only))
		return SK_OK;
	if (r->list == NULL) {
		r->shown++;
		if (f->group) {
			printf("  %s: %llu x %s%s%s on %s outside office hours (first record %llu)\n",
			       f->user, (unsigned long long)f->count, f->event,
			       f->client != NULL ? " of client " : "", f->client != NULL ? f->client : "",
			       f->day, (unsigned long long)f->first_seq);
			return SK_OK;
		}
		if (f->rec == NULL) {
			printf("  %s: %llu lookups on %s\n", f->user, (unsigned long long)f->count,
			       f->day);
			return SK_OK;
		}
		if ((st = audit_record_line(line, sizeof(line), f->rec)) == SK_OK)
			printf("  %s\n", line);
		return st;
	}
	for (int i = 0; i < AUDIT_FLAG_COUNT; i++)
		r->n[i] += (f->flags >> i) & 1;
	if ((st = audit_finding_json(&obj, f)) != SK_OK)
		return st;
	return obj != NULL && json_array_append_new(r->list, obj) == 0 ? SK_OK : SK_ERR_NOMEM;
}

static sk_status review_count(const audit_finding *f, void *arg)
{
	struct review_out *r = arg;

	for (int i = 0; i < AUDIT_FLAG_COUNT; i++)
		r->n[i] += (f->flags >> i) & 1;
	return SK_OK;
}

/* The title of section i (one per flag). */
static void section_title(char *out, size_t cap, int i, const audit_cli_host *h)
{
	static const char *const fixed[AUDIT_FLAG_COUNT] = {
		"actions under a statutory basis (no consent)",
		"break-glass actions",
		NULL,
		"denied attempts",
		"the registry's pattern flags",
		NULL,
	};

	if (i == 2)
		snprintf(out, cap, "actions by %s outside office hours", h->whos);
	else if (i == 5)
		snprintf(out, cap, "%s with more lookups in a day than the limit", h->whos);
	else if (i == 4 && strcmp(h->owner, "node") == 0)
		snprintf(out, cap, "%s about this organisation", fixed[i]);
	else
		snprintf(out, cap, "%s", fixed[i]);
}

/* The sign-off: who reviewed which period, with what result, at which
 * head of the log. */
static sk_status sign_off(const opened *d, const audit_review_opts *ro, const char *hours,
			  const char *days, uint64_t records, const struct review_out *r,
			  const char *note)
{
	char since[AUDIT_TIME_BYTES], until[AUDIT_TIME_BYTES], reason[AUDIT_REASON_MAX + 1];
	char period[AUDIT_PERIOD_ID_BYTES];
	audit_record tmpl = d->tmpl;
	MDB_txn *txn = NULL;
	uint8_t head[AUDIT_HASH_BYTES];
	uint64_t head_seq = 0;
	sk_status st;

	audit_time_format(since, ro->since_ms);
	audit_time_format(until, ro->until_ms);
	if ((st = sk_db_status(mdb_txn_begin(d->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = audit_log_head(d->log, txn, &head_seq, head);
	mdb_txn_abort(txn);
	if (st != SK_OK)
		return st;
	snprintf(reason, sizeof(reason),
		 "reviewed %s to %s (office hours %s %s, limit %llu lookups a day): %llu records; "
		 "findings: statutory %llu, break-glass %llu, after-hours %llu, denied %llu, "
		 "pattern-flag %llu, volume %llu; log head %llu%s%s",
		 since, until, hours, days, (unsigned long long)ro->max_lookups,
		 (unsigned long long)records, (unsigned long long)r->n[0],
		 (unsigned long long)r->n[1], (unsigned long long)r->n[2],
		 (unsigned long long)r->n[3], (unsigned long long)r->n[4],
		 (unsigned long long)r->n[5], (unsigned long long)head_seq,
		 note != NULL ? "; note: " : "", note != NULL ? note : "");
	audit_period_id(period, ro->since_ms, ro->until_ms);
	tmpl.correlation_id = period;
	return audit_cli_record(d->log, d->env, &tmpl, "audit.signoff", AUDIT_ACTION_EXECUTE,
				NULL, "review", reason);
}

/* --finding SEQ: the sign-off of one finding (its record, or a group's
 * first record), as the web's form.signoff records it. */
static sk_status sign_off_finding(const opened *d, uint64_t seq, const char *note)
{
	char id[2 * AUDIT_ID_BYTES + 1];
	audit_record *rec = NULL, tmpl = d->tmpl;
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(d->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = audit_log_get(d->log, txn, seq, &rec);
	mdb_txn_abort(txn);
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("there is no audit record %llu", (unsigned long long)seq);
	if (st != SK_OK)
		return st;
	sodium_bin2hex(id, sizeof(id), rec->id, AUDIT_ID_BYTES);
	audit_record_free(rec);
	tmpl.correlation_id = id;
	return audit_cli_record(d->log, d->env, &tmpl, "audit.signoff", AUDIT_ACTION_EXECUTE,
				NULL, "review", note != NULL ? note : "reviewed");
}

struct review_args {
	audit_review_opts ro;
	const char *hours, *days, *note;
	uint64_t finding;
	int signoff;
};

static int review_opt(int c, const char *arg, void *p)
{
	struct review_args *a = p;
	unsigned long long max = 0;

	switch (c) {
	case 's':
		if (audit_time_parse(&a->ro.since_ms, arg, false) != SK_OK)
			return sk_cli_usage("audit review",
					    "--since takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		break;
	case 'u':
		if (audit_time_parse(&a->ro.until_ms, arg, true) != SK_OK)
			return sk_cli_usage("audit review",
					    "--until takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		break;
	case 'h':
		a->hours = arg;
		if (audit_hours_parse(&a->ro, arg) != SK_OK)
			return sk_cli_usage("audit review",
					    "--office-hours takes HH:MM-HH:MM, e.g. 08:00-18:00");
		break;
	case 'd':
		a->days = arg;
		if (audit_days_parse(&a->ro, arg) != SK_OK)
			return sk_cli_usage("audit review",
					    "--office-days takes days like mon-fri or mon,wed,fri");
		break;
	case 'm':
		if (sk_cli_u64(arg, &max) != SK_OK)
			return sk_cli_usage("audit review", "--max-lookups takes a number");
		a->ro.max_lookups = max;
		break;
	case 'S':
		a->signoff = 1;
		break;
	case 'N':
		a->note = arg;
		break;
	case 'F':
		if (sk_cli_u64(arg, &max) != SK_OK || max == 0)
			return sk_cli_usage("audit review", "--finding takes a record number");
		a->finding = max;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

int audit_cli_review(int argc, char **argv, const audit_cli_host *h)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"since", required_argument, NULL, 's'},
					   {"until", required_argument, NULL, 'u'},
					   {"office-hours", required_argument, NULL, 'h'},
					   {"office-days", required_argument, NULL, 'd'},
					   {"max-lookups", required_argument, NULL, 'm'},
					   {"sign-off", no_argument, NULL, 'S'},
					   {"note", required_argument, NULL, 'N'},
					   {"finding", required_argument, NULL, 'F'}, {0}};
	static const char help[] =
		"usage: %s audit review --dir D [--since T] [--until T]\n"
		"           [--office-hours HH:MM-HH:MM] [--office-days mon-fri]\n"
		"           [--max-lookups N] [--sign-off [--finding SEQ] [--note TEXT]]\n"
		"           [--json]\n\n"
		"Lists what the privacy officer should look at in a period: actions under a\n"
		"statutory basis, break-glass, actions by %s outside office hours\n"
		"(local time), denied attempts, the registry's pattern flags, and %s\n"
		"with more than N lookups in a day. Routine reads outside office hours (one\n"
		"professional, one client, one kind, one day) are one finding with a count.\n"
		"--sign-off then records that the period was reviewed (event audit.signoff,\n"
		"with the note, and the officer of 'audit --as ID' where the owner has\n"
		"officers); with --finding SEQ it signs off that\n"
		"one finding (its record number, a group's first) instead. The review is itself\n"
		"recorded (audit.review).\n\n"
		"  --since T, --until T  YYYY-MM-DD (local day, inclusive) or YYYY-MM-DDTHH:MM:SSZ;\n"
		"                        default the whole log up to now\n"
		"  --office-hours H      default 08:00-18:00\n"
		"  --office-days D       default mon-fri (e.g. mon-sat, or mon,wed,fri)\n"
		"  --max-lookups N       lookups per %s a day; default 50\n"
		"  --sign-off            record the review of this period\n"
		"  --finding SEQ         with --sign-off: sign off this finding only\n"
		"  --note TEXT           with --sign-off: what was found (recorded; no BSN)\n"
		SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit review";
	char usage[USAGE_MAX], title[128];
	sk_cli_common o = {0};
	struct review_args a = {.hours = "08:00-18:00", .days = "mon-fri"};
	struct review_out r = {0};
	char what[AUDIT_REASON_MAX + 1], since[AUDIT_TIME_BYTES], until[AUDIT_TIME_BYTES];
	uint64_t records = 0;
	opened d = {0};
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	snprintf(usage, sizeof(usage), help, h->prog, h->whos, h->whos, h->who);
	audit_review_defaults(&a.ro);
	if ((rc = sk_cli_parse(cmd, argc, argv, lo, usage, &o, review_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (a.ro.until_ms == 0)
		a.ro.until_ms = sk_clock_now_ms();
	if (a.ro.since_ms > a.ro.until_ms)
		return sk_cli_usage(cmd, "--since is after --until");
	if ((a.finding || a.note) && !a.signoff)
		return sk_cli_usage(cmd, "--finding and --note go with --sign-off");
	if ((rc = open_as(h, &d.ctx, &o, cmd, &d.log, &d.env, &d.tmpl)) != 0)
		return rc;
	if (a.finding) {
		st = sign_off_finding(&d, a.finding, a.note);
		if (st == SK_OK && o.json)
			print_json(json_pack("{s:b,s:I}", "signed_off", 1, "finding",
					     (json_int_t)a.finding));
		else if (st == SK_OK)
			printf("signed off: finding %llu is recorded as reviewed (audit.signoff)\n",
			       (unsigned long long)a.finding);
		goto out;
	}
	audit_time_format(since, a.ro.since_ms);
	audit_time_format(until, a.ro.until_ms);
	snprintf(what, sizeof(what), "review %s to %s", since, until);
	if ((st = audit_cli_record(d.log, d.env, &d.tmpl, "audit.review", AUDIT_ACTION_READ, NULL,
				   NULL, what)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(d.env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if (o.json) {
		if ((r.list = json_array()) == NULL)
			st = SK_ERR_NOMEM;
		else if ((st = audit_review(d.log, txn, &a.ro, review_item, &r, &records)) == SK_OK)
			print_json(r.list);
		else
			json_decref(r.list);
		r.list = NULL;
	} else {
		st = audit_review(d.log, txn, &a.ro, review_count, &r, &records);
		printf("review of %s to %s: %llu records\n", since, until,
		       (unsigned long long)records);
		for (int i = 0; i < AUDIT_FLAG_COUNT && st == SK_OK; i++) {
			section_title(title, sizeof(title), i, h);
			printf("\n%s: %llu\n", title, (unsigned long long)r.n[i]);
			r.only = 1u << i;
			if (r.n[i] > 0)
				st = audit_review(d.log, txn, &a.ro, review_item, &r, NULL);
		}
	}
	mdb_txn_abort(txn);
	if (st == SK_OK && a.signoff) {
		st = sign_off(&d, &a.ro, a.hours, a.days, records, &r, a.note);
		if (st == SK_OK && !o.json)
			printf("\nsigned off: the review of this period is recorded (audit.signoff)\n");
	}
out:
	h->close(d.ctx);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}
