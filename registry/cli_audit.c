/* schakel-registry audit ...: the operator's commands over the registry's
 * own access log (verify, query, export, verify-export, review, purge,
 * hold, retention, daily): the shared front end of audit/cli.h with the
 * registry as host; the daily aggregates here. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "audit/cli.h"
#include "audit/query.h"
#include "common/cli.h"
#include "common/db.h"
#include "registry/cli.h"
#include "registry/retain.h"

#define PROG "schakel-registry"

struct host_ctx {
	reg_store *s;
	sk_kek *kek;
};

static int host_open(void **ctx, const sk_cli_common *o, const char *cmd, audit_log **log,
		     MDB_env **env, audit_record *tmpl)
{
	struct host_ctx *c = calloc(1, sizeof(*c));
	sk_status st = SK_ERR_NOMEM;

	if (c == NULL || (st = sk_cli_kek(&c->kek, o)) != SK_OK ||
	    (st = reg_store_open(&c->s, o->dir, c->kek)) != SK_OK) {
		if (c != NULL)
			sk_kek_free(c->kek);
		free(c);
		return sk_cli_fail(st, cmd);
	}
	*log = c->s->audit;
	*env = c->s->env;
	tmpl->org = c->s->org_id;
	tmpl->system = REG_SYSTEM;
	tmpl->responsible = sk_cli_user();
	tmpl->access_point = "cli";
	*ctx = c;
	return 0;
}

static sk_status host_identity(void *ctx, key_ed25519 *out)
{
	struct host_ctx *c = ctx;

	*out = *c->s->id;
	return SK_OK;
}

static void host_close(void *ctx)
{
	struct host_ctx *c = ctx;

	if (c != NULL) {
		reg_store_close(c->s);
		sk_kek_free(c->kek);
	}
	free(c);
}

static sk_status host_aggregate(MDB_txn *txn, const audit_record *rec, void *ctx)
{
	return reg_retain_aggregate(txn, rec, ((struct host_ctx *)ctx)->s);
}

static const audit_cli_host host = {
	.prog = PROG,
	.owner = "registry",
	.open = host_open,
	.identity = host_identity,
	.close = host_close,
	.who = "org",
	.whos = "member orgs",
	.client_help = "  --client TOKEN        records about this token (hex, as recorded)\n",
	.each = host_aggregate,
};

/* ---- daily aggregates -------------------------------------------------------------- */

struct daily_out {
	json_t *list;
	uint64_t n;
};

static sk_status daily_row(const reg_daily *d, void *arg)
{
	struct daily_out *o = arg;
	char day[AUDIT_TIME_BYTES];

	audit_time_format(day, (uint64_t)d->day * AUDIT_DAY_MS);
	day[10] = 0;
	o->n++;
	if (o->list == NULL) {
		printf("%s %-24s %-20s %-7s %llu\n", day, d->org, d->event,
		       audit_outcome_name(d->outcome), (unsigned long long)d->count);
		return SK_OK;
	}
	return json_array_append_new(o->list, json_pack("{s:s,s:s,s:s,s:s,s:I}", "day", day, "org",
						       d->org, "event", d->event, "outcome",
						       audit_outcome_name(d->outcome), "count",
						       (json_int_t)d->count)) == 0
		       ? SK_OK
		       : SK_ERR_NOMEM;
}

struct daily_args {
	const char *org;
	uint64_t since, until;
};

static int daily_opt(int c, const char *arg, void *p)
{
	struct daily_args *a = p;

	switch (c) {
	case 'o':
		a->org = arg;
		break;
	case 's':
		if (audit_time_parse(&a->since, arg, false) != SK_OK)
			return sk_cli_usage("audit daily", "--since takes YYYY-MM-DD");
		break;
	case 'u':
		if (audit_time_parse(&a->until, arg, true) != SK_OK)
			return sk_cli_usage("audit daily", "--until takes YYYY-MM-DD");
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static int cmd_daily(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"org", required_argument, NULL, 'o'},
					   {"since", required_argument, NULL, 's'},
					   {"until", required_argument, NULL, 'u'}, {0}};
	static const char help[] =
		"usage: schakel-registry audit daily --dir D [--org ORG] [--since T] [--until T]\n"
		"           [--json]\n\n"
		"The daily aggregates that replace token-level audit records once they pass the\n"
		"registry's retention (see 'audit retention', 'audit purge'): per UTC day, org,\n"
		"event and outcome, how many records there were. No tokens are kept. Reading\n"
		"them is recorded (audit.daily).\n\n"
		"  --org ORG             one member org\n"
		"  --since T, --until T  YYYY-MM-DD (UTC days, inclusive)\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit daily";
	sk_cli_common o = {0};
	struct daily_args a = {0};
	struct daily_out out = {0};
	struct host_ctx *c = NULL;
	audit_record tmpl = {0};
	audit_log *log = NULL;
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	char what[128];
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, daily_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if ((rc = host_open((void **)&c, &o, cmd, &log, &env, &tmpl)) != 0)
		return rc;
	snprintf(what, sizeof(what), "daily aggregates%s%.64s", a.org ? " of " : "",
		 a.org ? a.org : "");
	if ((st = audit_cli_record(log, env, &tmpl, "audit.daily", AUDIT_ACTION_READ, NULL, NULL,
				   what)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if (o.json && (out.list = json_array()) == NULL)
		st = SK_ERR_NOMEM;
	if (st == SK_OK)
		st = reg_retain_daily(c->s, txn, (uint32_t)(a.since / AUDIT_DAY_MS),
				      (uint32_t)(a.until / AUDIT_DAY_MS), a.org, daily_row, &out);
	mdb_txn_abort(txn);
	if (st == SK_OK && out.list != NULL) {
		char *txt = json_dumps(out.list, JSON_INDENT(2));

		if (txt != NULL)
			puts(txt);
		free(txt);
	} else if (st == SK_OK && out.n == 0) {
		sk_cli_say("no daily aggregates yet (records are aggregated when purged)");
	}
out:
	json_decref(out.list);
	host_close(c);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

/* ---- the group --------------------------------------------------------------------- */

static const audit_cli_cmd audit_cmds[] = {
	{"verify", audit_cli_verify, NULL, "recompute the hash chain; exit 3 names the first bad record"},
	{"query", audit_cli_query, NULL, "list audit records by org, token, action, event, time"},
	{"export", audit_cli_export, NULL, "export records as csv, json or fhir, signed with --out"},
	{"verify-export", audit_cli_verify_export, NULL, "check a signed export (registry key)"},
	{"review", audit_cli_review, NULL, "denied attempts, pattern flags, volume per org; --sign-off"},
	{"purge", audit_cli_purge, NULL, "fold records past their retention into daily aggregates"},
	{"hold", audit_cli_hold, NULL, "set, show or release a legal hold that blocks purges"},
	{"retention", audit_cli_retention, NULL, "show or set how long token-level records are kept"},
	{"daily", NULL, cmd_daily, "list the daily aggregates per org of purged records"},
};

int reg_cli_audit(int argc, char **argv)
{
	return audit_cli_group(&host, audit_cmds, sizeof(audit_cmds) / sizeof(audit_cmds[0]), argc,
			       argv);
}
