#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "audit/cli.h"
#include "audit/query.h"
#include "audit/retain.h"
#include "common/db.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void print_json(json_t *doc)
{
	char *txt = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;

	if (txt != NULL)
		puts(txt);
	free(txt);
	json_decref(doc);
}

/* Runs the purge with the owner's identity key (dry: without). */
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
	audit_purge_opts po = {.marker = &tmpl};
	audit_purge_result res;
	audit_log *log = NULL;
	MDB_env *env = NULL;
	void *ctx = NULL;
	uint64_t as_of = 0;
	int dry = 0, rc;
	sk_status st;

	char usage[2048];

	snprintf(usage, sizeof(usage), help, h->prog, h->owner);
	SK_CLI_PARSE(cmd, lo, usage, case 'n' : dry = 1; break;
		     case 'a' : if (audit_time_parse(&as_of, optarg, false) != SK_OK) return
			     sk_cli_usage(cmd, "--as-of takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		     break;);
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	po.now_ms = as_of ? as_of : now_ms();
	if (as_of > now_ms() && !dry && !o.dev)
		return sk_cli_usage(cmd, "--as-of after now purges records before their time; "
					 "only with --dry-run or --dev");
	if ((rc = h->open(&ctx, &o, cmd, &log, &env, &tmpl)) != 0)
		return rc;
	st = dry ? audit_purge_run(log, env, &po, &res) : run_purge(h, ctx, log, env, &po, &res);
	if (st == SK_OK && o.json)
		print_json(json_pack("{s:b,s:I,s:I,s:I}", "dry_run", dry, "purged",
				     (json_int_t)res.count, "first", (json_int_t)res.first, "last",
				     (json_int_t)res.last));
	else if (st == SK_OK && res.count == 0)
		printf("nothing to purge: no audit record is past its retention\n");
	else if (st == SK_OK)
		printf("%s %llu audit records (%llu-%llu) past their retention%s\n",
		       dry ? "would purge" : "purged", (unsigned long long)res.count,
		       (unsigned long long)res.first, (unsigned long long)res.last,
		       dry ? "" : "; the signed purge marker is recorded (audit.purge)");
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
	const char *reason = NULL;
	void *ctx = NULL;
	int release = 0, rc;
	sk_status st;

	char usage[2048];

	snprintf(usage, sizeof(usage), help, h->prog, h->prog, h->prog);
	SK_CLI_PARSE(cmd, lo, usage,
		     case 'u' : if (audit_time_parse(&hd.until_ms, optarg, true) != SK_OK) return
			     sk_cli_usage(cmd, "--until takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		     break; case 'r' : reason = optarg; break; case 'R' : release = 1; break;);
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (release && (hd.until_ms || reason))
		return sk_cli_usage(cmd, "--release takes no --until or --reason");
	if (!release && (hd.until_ms != 0) != (reason != NULL))
		return sk_cli_usage(cmd, "a hold needs both --until T and --reason TEXT");
	if (hd.until_ms != 0 && hd.until_ms <= now_ms())
		return sk_cli_usage(cmd, "--until is in the past");
	if (reason != NULL && strlen(reason) >= sizeof(hd.reason))
		return sk_cli_usage(cmd, "--reason is longer than %d bytes", AUDIT_REASON_MAX);
	if (reason != NULL)
		memcpy(hd.reason, reason, strlen(reason) + 1);
	if ((rc = h->open(&ctx, &o, cmd, &log, &env, &tmpl)) != 0)
		return rc;
	if (release || hd.until_ms != 0) {
		st = audit_hold_change(log, env, &tmpl, &hd);
		if (st == SK_OK && !o.json)
			printf(release ? "legal hold released (recorded)\n"
				       : "legal hold set (recorded); purges are refused until it ends\n");
	} else {
		st = SK_OK;
	}
	if (st == SK_OK && (o.json || (!release && hd.until_ms == 0)) &&
	    (st = sk_db_status(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = audit_log_hold_get(log, txn, &hd);
		mdb_txn_abort(txn);
		if (st == SK_OK)
			show_hold(&hd, o.json, now_ms());
	}
	h->close(ctx);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
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
	unsigned long long n = 0;
	uint64_t set = 0;
	char when[AUDIT_TIME_BYTES];
	void *ctx = NULL;
	int rc;
	sk_status st;

	char usage[2048];

	snprintf(usage, sizeof(usage), help, h->prog);
	SK_CLI_PARSE(cmd, lo, usage,
		     case 'y' : if (sk_cli_u64(optarg, &n) != SK_OK || n == 0 || n > 100) return
			     sk_cli_usage(cmd, "--set-years takes 1..100");
		     set = n * AUDIT_YEAR_MS; break;
		     case 'd' : if (sk_cli_u64(optarg, &n) != SK_OK || n == 0 || n > 36525) return
			     sk_cli_usage(cmd, "--set-days takes 1..36525");
		     set = n * AUDIT_DAY_MS; break;);
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if ((rc = h->open(&ctx, &o, cmd, &log, &env, &tmpl)) != 0)
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
				     hd.until_ms > now_ms()));
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
		show_hold(&hd, 0, now_ms());
	}
	h->close(ctx);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}
