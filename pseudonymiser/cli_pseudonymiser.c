/* schakel-pseudonymiser subcommands: argument parsing only, then the library. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "audit/record.h"
#include "common/cli.h"
#include "common/cli_backup.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/file.h"
#include "common/when.h"
#include "net/cert.h"
#include "pseudonymiser/cli.h"
#include "pseudonymiser/serve.h"
#include "pseudonymiser/store.h"
#include "pseudonymiser/sync.h"

/* sk_cli_parse, then the data dir every command needs: SK_CLI_RUN, or the
 * exit code to return. */
static int parse(const char *cmd, int argc, char **argv, const struct option *lo,
		 const char *help, sk_cli_common *o, sk_cli_opt_fn opt, void *arg)
{
	int rc = sk_cli_parse(cmd, argc, argv, lo, help, o, opt, arg);

	if (rc == SK_CLI_RUN && (rc = sk_cli_need_dir(cmd, o)) == 0)
		return SK_CLI_RUN;
	return rc;
}

/* Options that only keep their value: option c's goes to v[i] where
 * keys[i] is c. */
typedef struct str_opts {
	const char *keys;
	const char *v[4];
} str_opts;

static int str_opt(int c, const char *arg, void *p)
{
	str_opts *a = p;
	const char *k = c > 0 && c < 256 ? strchr(a->keys, c) : NULL;

	if (k == NULL)
		return SK_CLI_UNKNOWN;
	a->v[k - a->keys] = arg;
	return SK_CLI_RUN;
}

/* Prints a JSON value (and releases it); 0 or an exit code. */
static int print_json(json_t *v)
{
	char *txt = v != NULL ? json_dumps(v, JSON_INDENT(2)) : NULL;

	json_decref(v);
	if (txt == NULL)
		return sk_cli_fail(SK_ERR_NOMEM, "output");
	puts(txt);
	free(txt);
	return SK_EXIT_OK;
}

static void hex(char *out, size_t cap, const uint8_t *b, size_t n)
{
	sodium_bin2hex(out, cap, b, n);
}

/* A count within PS_LIMIT_MAX; suffix (e.g. "/day") may follow. */
static int parse_count(const char *s, const char *suffix, uint64_t min, uint64_t *out)
{
	char buf[32];
	size_t n = strlen(s), sl = suffix != NULL ? strlen(suffix) : 0;
	unsigned long long v;

	if (sl > 0 && n > sl && strcmp(s + n - sl, suffix) == 0)
		n -= sl;
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (sk_cli_u64(buf, &v) != SK_OK || v < min || v > PS_LIMIT_MAX)
		return 0;
	*out = v;
	return 1;
}

struct init_args {
	str_opts s;
	net_hosts hosts;
};

static int init_opt(int c, const char *arg, void *p)
{
	struct init_args *a = p;

	if (c != 'H')
		return str_opt(c, arg, &a->s);
	if (net_hosts_add(&a->hosts, arg) != SK_OK)
		return sk_cli_usage("init", "--host: %s", sk_error_detail());
	return SK_CLI_RUN;
}

static int cmd_init(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"org-id", required_argument, NULL, 'o'},
					   {"name", required_argument, NULL, 'n'},
					   {"until", required_argument, NULL, 'u'},
					   {"host", required_argument, NULL, 'H'},
					   {0}};
	static const char help[] =
		"usage: schakel-pseudonymiser init --dir D --org-id ID --name NAME [--until DATE]\n"
		"           [--host NAME]...\n\n"
		"Creates the pseudonymiser: identity, TLS and epoch-1 OPRF keys and D/enrol-request,\n"
		"which carries the OPRF public key. Give that file to the federation operator\n"
		"('schakel-registry enrol'), then install the bundle you get back with 'join'.\n\n"
		"  --org-id ID           this pseudonymiser's id in the federation\n"
		"  --name NAME           the operating party's name\n"
		"  --until YYYY-MM-DD    last day epoch 1 is served (default: two years)\n"
		"  --host NAME           a DNS name or IP address it serves under (repeatable,\n"
		"                        at most 16): the request asks for it in the\n"
		"                        certificate's subjectAltName, beside the org id\n"
		SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	const char *org = NULL, *name = NULL, *until = NULL;
	uint8_t pk[OPRF_ELEMENT_BYTES];
	char pkhex[2 * OPRF_ELEMENT_BYTES + 1], path[PATH_MAX];
	uint32_t day = 0;
	sk_kek *kek = NULL;
	struct init_args a = {{"onu", {NULL}}, {{NULL}, 0}};
	sk_status st;
	int prc;

	if ((prc = parse("init", argc, argv, lo, help, &o, init_opt, &a)) != SK_CLI_RUN)
		return prc;
	org = a.s.v[0];
	name = a.s.v[1];
	until = a.s.v[2];
	if (org == NULL || name == NULL)
		return sk_cli_usage("init", "--org-id ID and --name NAME are required");
	if (until != NULL && ps_date_parse(until, &day) != SK_OK)
		return sk_cli_usage("init", "--until takes a date YYYY-MM-DD, not '%s'", until);
	if ((st = sk_cli_kek(&kek, &o)) != SK_OK)
		return sk_cli_fail(st, "init");
	st = ps_store_init_hosts(o.dir, org, name, day, &a.hosts, kek, pk);
	sk_kek_free(kek);
	if (st != SK_OK)
		return sk_cli_fail(st, "init");
	hex(pkhex, sizeof(pkhex), pk, sizeof(pk));
	if (sk_path_join(path, sizeof(path), o.dir, PS_FILE_REQUEST) != SK_OK)
		path[0] = 0;
	if (o.json)
		return print_json(json_pack("{s:s,s:s,s:i,s:s}", "id", org, "enrol_request", path,
					    "epoch", 1, "oprf_key", pkhex));
	printf("pseudonymiser '%s' created in %s\nepoch 1 OPRF key %s\n"
	       "give %s to the federation operator, then run 'join' with the bundle\n",
	       org, o.dir, pkhex, path);
	return SK_EXIT_OK;
}

static int cmd_join(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {"bundle", required_argument, NULL, 'b'},
					   {0}};
	static const char help[] =
		"usage: schakel-pseudonymiser join --dir D --bundle B\n\n"
		"Installs the bundle from the registry operator: the federation CA, this\n"
		"pseudonymiser's certificate and the registry's address and key. The registry key\n"
		"is pinned at the first join; a later bundle (a refresh) must carry the same key.\n\n"
		"  --bundle B            the bundle file\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	const char *file = NULL;
	Schakel__V1__BundleBody *b = NULL;
	ps_store *s = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	char key[2 * KEY_ED25519_PK_BYTES + 1];
	sk_status st;
	int rc = SK_EXIT_OK;
	str_opts a = {"b", {NULL}};

	if ((rc = parse("join", argc, argv, lo, help, &o, str_opt, &a)) != SK_CLI_RUN)
		return rc;
	rc = SK_EXIT_OK;
	file = a.v[0];
	if (file == NULL)
		return sk_cli_usage("join", "--bundle B is required");
	if ((st = ps_store_open(&s, o.dir)) != SK_OK ||
	    (st = sk_file_read(file, PS_BUNDLE_MAX, &data, &len)) != SK_OK ||
	    (st = ps_join(s, data, len)) != SK_OK || (st = ps_bundle_load(s, &b)) != SK_OK) {
		rc = sk_cli_fail(st, "join");
		goto out;
	}
	hex(key, sizeof(key), b->registry_key.data, b->registry_key.len);
	if (o.json)
		rc = print_json(json_pack("{s:s,s:s,s:s}", "federation", b->federation, "registry",
					  b->registry_address, "registry_key", key));
	else
		printf("joined federation '%s'; registry at %s, key %s pinned\n", b->federation,
		       b->registry_address, key);
out:
	schakel__v1__bundle_body__free_unpacked(b, NULL);
	free(data);
	ps_store_close(s);
	return rc;
}

typedef struct allow_args {
	const char *org;
	uint64_t quota;
} allow_args;

static int allow_opt(int c, const char *arg, void *p)
{
	allow_args *a = p;

	switch (c) {
	case 'o':
		a->org = arg;
		return SK_CLI_RUN;
	case 'q':
		if (!parse_count(arg, "/day", 0, &a->quota))
			return sk_cli_usage("allow", "--quota takes N/day with N up to %llu",
					    PS_LIMIT_MAX);
		return SK_CLI_RUN;
	default:
		return SK_CLI_UNKNOWN;
	}
}

static int cmd_allow(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {"org", required_argument, NULL, 'o'},
					   {"quota", required_argument, NULL, 'q'}, {0}};
	static const char help[] =
		"usage: schakel-pseudonymiser allow --dir D --org ORG [--quota N/day]\n\n"
		"Puts an enrolled org on this pseudonymiser's allow-list, or changes its quota.\n"
		"Effective at once, also while 'serve' runs. An org the registry enrolled but\n"
		"this operator has not allowed gets no evaluations.\n\n"
		"  --org ORG             the org id\n"
		"  --quota N/day         evaluations a day (default 5000); size it to the\n"
		"                        org's caseload, and use 'grant' for bulk onboarding\n"
		SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	const char *org = NULL;
	uint64_t quota;
	ps_store *s = NULL;
	sk_status st;

	allow_args a = {NULL, PS_QUOTA_DEFAULT};
	int prc;

	if ((prc = parse("allow", argc, argv, lo, help, &o, allow_opt, &a)) != SK_CLI_RUN)
		return prc;
	org = a.org;
	quota = a.quota;
	if (org == NULL)
		return sk_cli_usage("allow", "--org ORG is required");
	if ((st = ps_store_open(&s, o.dir)) == SK_OK)
		st = ps_allow_set(s, org, quota);
	ps_store_close(s);
	if (st != SK_OK)
		return sk_cli_fail(st, "allow");
	if (o.json)
		return print_json(json_pack("{s:s,s:I}", "id", org, "quota", (json_int_t)quota));
	printf("%s allowed: %llu evaluations a day\n", org, (unsigned long long)quota);
	return SK_EXIT_OK;
}

static int cmd_deny(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {"org", required_argument, NULL, 'o'},
					   {0}};
	static const char help[] =
		"usage: schakel-pseudonymiser deny --dir D --org ORG\n\n"
		"Takes an org off the allow-list (and drops its grant). Effective at once: a\n"
		"serving pseudonymiser refuses its next request and closes its connections.\n\n"
		"  --org ORG             the org id\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	const char *org = NULL;
	ps_store *s = NULL;
	sk_status st;

	str_opts a = {"o", {NULL}};
	int prc;

	if ((prc = parse("deny", argc, argv, lo, help, &o, str_opt, &a)) != SK_CLI_RUN)
		return prc;
	org = a.v[0];
	if (org == NULL)
		return sk_cli_usage("deny", "--org ORG is required");
	if ((st = ps_store_open(&s, o.dir)) == SK_OK)
		st = ps_deny(s, org);
	ps_store_close(s);
	if (st != SK_OK)
		return sk_cli_fail(st, "deny");
	if (o.json)
		return print_json(json_pack("{s:s,s:b}", "id", org, "allowed", 0));
	printf("%s denied\n", org);
	return SK_EXIT_OK;
}

typedef struct grant_args {
	const char *org, *until;
	uint64_t extra;
} grant_args;

static int grant_opt(int c, const char *arg, void *p)
{
	grant_args *a = p;

	switch (c) {
	case 'o':
		a->org = arg;
		return SK_CLI_RUN;
	case 'u':
		a->until = arg;
		return SK_CLI_RUN;
	case 'e':
		if (!parse_count(arg, NULL, 1, &a->extra))
			return sk_cli_usage("grant", "--extra takes a count from 1 to %llu",
					    PS_LIMIT_MAX);
		return SK_CLI_RUN;
	default:
		return SK_CLI_UNKNOWN;
	}
}

static int cmd_grant(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {"org", required_argument, NULL, 'o'},
					   {"extra", required_argument, NULL, 'e'},
					   {"until", required_argument, NULL, 'u'}, {0}};
	static const char help[] =
		"usage: schakel-pseudonymiser grant --dir D --org ORG --extra N [--until DATE]\n\n"
		"Gives an allowed org N evaluations beyond its daily quota, for bulk onboarding:\n"
		"used across days until spent or until the end of DATE. A new grant replaces\n"
		"the org's earlier one. Effective at once.\n\n"
		"  --org ORG             the org id\n"
		"  --extra N             extra evaluations\n"
		"  --until YYYY-MM-DD    last day the grant may be used (default: no end)\n"
		SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	const char *org = NULL, *until = NULL;
	uint64_t extra = 0;
	uint32_t day = 0;
	char date[PS_DATE_BYTES] = "";
	ps_store *s = NULL;
	ps_grant g;
	sk_status st;

	grant_args a = {NULL, NULL, 0};
	int prc;

	if ((prc = parse("grant", argc, argv, lo, help, &o, grant_opt, &a)) != SK_CLI_RUN)
		return prc;
	org = a.org;
	until = a.until;
	extra = a.extra;
	if (org == NULL || extra == 0)
		return sk_cli_usage("grant", "--org ORG and --extra N are required");
	if (until != NULL && ps_date_parse(until, &day) != SK_OK)
		return sk_cli_usage("grant", "--until takes a date YYYY-MM-DD, not '%s'", until);
	if ((st = ps_store_open(&s, o.dir)) == SK_OK)
		st = ps_grant_set(s, org, extra, day, &g);
	ps_store_close(s);
	if (st != SK_OK)
		return sk_cli_fail(st, "grant");
	if (day != 0)
		ps_date_format(date, day);
	if (o.json)
		return print_json(json_pack("{s:s,s:I,s:s?}", "id", org, "extra", (json_int_t)extra,
					    "until", day ? date : NULL));
	printf("%s granted %llu extra evaluations%s%s\n", org, (unsigned long long)extra,
	       day ? " until " : "", date);
	return SK_EXIT_OK;
}

struct list_ctx {
	ps_store *s;
	MDB_txn *txn;
	json_t *arr;
	int json;
	uint32_t today;
};

static sk_status list_one(const char *org, void *arg)
{
	struct list_ctx *c = arg;
	ps_access a;
	ps_usage u;
	uint64_t used, left;
	char until[PS_DATE_BYTES] = "-";
	json_t *grant = json_null();
	sk_status st;

	if ((st = ps_access_get(c->s, c->txn, org, &a)) != SK_OK ||
	    (st = ps_usage_get(c->s, c->txn, org, &u)) != SK_OK)
		return st;
	used = u.day == c->today ? u.count : 0;
	left = ps_grant_left(&u, a.has_grant ? &a.grant : NULL, c->today);
	if (a.has_grant && a.grant.until_day != 0)
		ps_date_format(until, a.grant.until_day);
	if (a.has_grant)
		grant = json_pack("{s:I,s:I,s:s?}", "extra", (json_int_t)a.grant.extra, "left",
				  (json_int_t)left, "until", a.grant.until_day ? until : NULL);
	if (c->json)
		json_array_append_new(c->arr,
				      json_pack("{s:s,s:I,s:I,s:o,s:b}", "id", org, "quota",
						(json_int_t)a.quota, "used_today", (json_int_t)used,
						"grant", grant, "revoked", a.revoked));
	else {
		json_decref(grant);
		printf("%-24s %10llu %10llu %10llu %-10s %s\n", org, (unsigned long long)a.quota,
		       (unsigned long long)used, (unsigned long long)left, until,
		       a.revoked ? "revoked" : "allowed");
	}
	return SK_OK;
}

static int cmd_list(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	static const char help[] =
		"usage: schakel-pseudonymiser list --dir D [--json]\n\n"
		"The allow-list: each org's daily quota, its evaluations today (as last saved by\n"
		"'serve', at most a few seconds old), what is left of its grant, and whether the\n"
		"federation revoked it.\n\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct list_ctx c = {0};
	sk_status st;
	int rc = SK_EXIT_OK;

	if ((rc = parse("list", argc, argv, lo, help, &o, NULL, NULL)) != SK_CLI_RUN)
		return rc;
	rc = SK_EXIT_OK;
	c.json = o.json;
	c.today = ps_day_of(sk_clock_now_ms());
	c.arr = json_array();
	if ((st = ps_store_open(&c.s, o.dir)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(c.s->env, NULL, MDB_RDONLY, &c.txn))) != SK_OK)
		goto out;
	if (!o.json)
		printf("%-24s %10s %10s %10s %-10s %s\n", "ORG", "QUOTA/DAY", "TODAY", "GRANT-LEFT",
		       "UNTIL", "STATE");
	st = ps_allow_scan(c.s, c.txn, list_one, &c);
out:
	mdb_txn_abort(c.txn);
	ps_store_close(c.s);
	if (st != SK_OK) {
		json_decref(c.arr);
		return sk_cli_fail(st, "list");
	}
	if (o.json)
		return print_json(c.arr);
	json_decref(c.arr);
	return rc;
}

static sk_status epoch_json(const ps_epoch *e, void *arg)
{
	json_t *arr = arg;
	char pk[2 * OPRF_ELEMENT_BYTES + 1], until[PS_DATE_BYTES];
	uint64_t now = sk_clock_now_ms();

	hex(pk, sizeof(pk), e->pk, sizeof(e->pk));
	ps_date_format(until, ps_day_of(e->not_after - 1));
	json_array_append_new(arr, json_pack("{s:i,s:s,s:I,s:I,s:s,s:I,s:b,s:b}", "epoch",
					     (int)e->epoch, "oprf_key", pk, "not_before",
					     (json_int_t)e->not_before, "not_after",
					     (json_int_t)e->not_after, "until", until, "leaf_index",
					     (json_int_t)e->leaf_index, "in_log", e->in_log, "live",
					     now >= e->not_before && now < e->not_after));
	return SK_OK;
}

static int cmd_status(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	static const char help[] =
		"usage: schakel-pseudonymiser status --dir D [--json]\n\n"
		"This pseudonymiser's state: its registry and pinned key, the witnesses and\n"
		"their quorum, its OPRF epochs (public key, validity, log leaf and whether the\n"
		"registry's signed member events show it), how far it has followed the member\n"
		"events, counts, and when its certificate expires (a warning on stderr within 30\n"
		"days). Reads only: it needs no key passphrase.\n\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	ps_store *s = NULL;
	MDB_txn *txn = NULL;
	Schakel__V1__BundleBody *b = NULL;
	json_t *epochs = NULL, *out = NULL, *ws = NULL;
	char dir[PATH_MAX], until[AUDIT_TIME_ISO_BYTES] = "";
	int64_t cert_from = 0, cert_until = 0, days = 0;
	uint64_t allowed = 0;
	MDB_stat ms;
	uint8_t rk[KEY_ED25519_PK_BYTES];
	char rkhex[2 * KEY_ED25519_PK_BYTES + 1] = "";
	uint64_t from = 0, revoked = 0;
	uint32_t cur = 0;
	char log_origin[NOTE_ORIGIN_MAX + 1] = "";
	int joined;
	sk_status st;
	int prc;

	if ((prc = parse("status", argc, argv, lo, help, &o, NULL, NULL)) != SK_CLI_RUN)
		return prc;
	/* made after parse, which may return (--help, a usage error) */
	if ((epochs = json_array()) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if (realpath(o.dir, dir) == NULL)
		snprintf(dir, sizeof(dir), "%s", o.dir);
	if ((st = ps_store_open(&s, o.dir)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	joined = ps_registry_key(s, txn, rk) == SK_OK;
	if (joined)
		hex(rkhex, sizeof(rkhex), rk, sizeof(rk));
	allowed = mdb_stat(txn, s->allow, &ms) == 0 ? ms.ms_entries : 0;
	if ((st = ps_epoch_current(s, txn, &cur)) != SK_OK ||
	    (st = ps_epoch_scan(s, txn, epoch_json, epochs)) != SK_OK ||
	    (st = ps_meta_u64(s, txn, PS_META_EVENTS_FROM, 0, &from)) != SK_OK ||
	    (st = ps_revoked_count(s, txn, &revoked)) != SK_OK ||
	    (st = ps_meta_str(s, txn, PS_META_LOG_ORIGIN, log_origin, sizeof(log_origin))) != SK_OK)
		goto out;
	mdb_txn_abort(txn);
	txn = NULL;
	if (joined && (st = ps_bundle_load(s, &b)) != SK_OK)
		goto out;
	/* the log followed: the bundle's until a rollover (pseudonymiser/sync.h) */
	if (log_origin[0] == '\0' && b != NULL)
		snprintf(log_origin, sizeof(log_origin), "%s", b->log_origin);
	if (b != NULL && net_cert_validity(b->member_cert.data, b->member_cert.len, &cert_from,
					   &cert_until) != SK_OK)
		cert_until = 0;
	days = sk_cli_days_left(cert_until, sk_clock_now_ms());
	if ((ws = json_array()) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; b != NULL && i < b->n_witnesses; i++)
		json_array_append_new(ws, json_pack("{s:s,s:s}", "id", b->witnesses[i]->id, "url",
						    b->witnesses[i]->url));
	if (cert_until != 0 && audit_time_iso(until, (uint64_t)cert_until * 1000) != SK_OK)
		cert_until = 0;
	out = json_pack("{s:s,s:b,s:s?,s:s?,s:s?,s:i,s:O,s:I,s:I,s:s,s:s,s:O,s:i,s:I,s:o}", "id",
			s->org_id, "joined", joined, "federation", b ? b->federation : NULL,
			"registry", b ? b->registry_address : NULL, "registry_key",
			joined ? rkhex : NULL, "current_epoch", (int)cur, "epochs", epochs,
			"events_from", (json_int_t)from, "revoked_orgs", (json_int_t)revoked,
			"role", "pseudonymiser", "dir", dir, "witnesses", ws, "quorum",
			b ? (int)b->quorum : 0, "allowed_orgs", (json_int_t)allowed, "certificate",
			cert_until != 0 ? json_pack("{s:s,s:I,s:b}", "not_after", until, "days_left",
						    (json_int_t)days, "warning",
						    days < SK_CLI_CERT_WARN_DAYS)
					: json_null());
	if (out == NULL || (log_origin[0] != '\0' &&
			    json_object_set_new(out, "log", json_string(log_origin)) != 0)) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if (cert_until != 0)
		sk_cli_cert_warn("the certificate", cert_until, sk_clock_now_ms(),
				 "ask the federation operator for a refreshed bundle (enrol "
				 "--refresh) and install it with 'join'");
	if (o.json) {
		st = print_json(out) == SK_EXIT_OK ? SK_OK : SK_ERR_NOMEM;
		out = NULL;
		goto out;
	}
	printf("pseudonymiser %s\ndata dir      %s\n", s->org_id, dir);
	if (joined)
		printf("federation    %s\nregistry      %s (key %s)\n", b->federation,
		       b->registry_address, rkhex);
	else
		printf("not joined yet: run 'join --bundle B'\n");
	for (size_t i = 0; b != NULL && i < b->n_witnesses; i++)
		printf("%-13s %s at %s\n", i == 0 ? "witnesses" : "", b->witnesses[i]->id,
		       b->witnesses[i]->url);
	if (b != NULL && b->n_witnesses > 0)
		printf("quorum        %u\n", (unsigned)b->quorum);
	printf("allowed orgs  %llu\n", (unsigned long long)allowed);
	if (cert_until != 0) {
		char when[SK_WHEN_BYTES];

		sk_when_date(when, (uint64_t)cert_until * 1000, SK_WHEN_EN);
		printf("certificate   valid until %s (%lld days)\n", when, (long long)days);
	}
	printf("events        followed up to leaf %llu; %llu org(s) revoked\n",
	       (unsigned long long)from, (unsigned long long)revoked);
	if (log_origin[0] != '\0')
		printf("registry log  %s\n", log_origin);
	for (size_t i = 0; i < json_array_size(epochs); i++) {
		json_t *e = json_array_get(epochs, i);

		printf("epoch %-3d %s %s until %s, leaf %lld%s%s\n",
		       (int)json_integer_value(json_object_get(e, "epoch")),
		       json_string_value(json_object_get(e, "oprf_key")),
		       json_is_true(json_object_get(e, "live")) ? "served" : "ended ",
		       json_string_value(json_object_get(e, "until")),
		       (long long)json_integer_value(json_object_get(e, "leaf_index")),
		       json_is_true(json_object_get(e, "in_log")) ? ", in the log" : "",
		       (uint32_t)json_integer_value(json_object_get(e, "epoch")) == cur ? ", current"
											 : "");
	}
out:
	json_decref(out);
	json_decref(epochs);
	json_decref(ws);
	mdb_txn_abort(txn);
	schakel__v1__bundle_body__free_unpacked(b, NULL);
	ps_store_close(s);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "status");
}

static int serve_opt(int c, const char *arg, void *p)
{
	ps_serve_opts *so = p;
	uint64_t v;

	switch (c) {
	case 'l':
		so->listen = arg;
		return SK_CLI_RUN;
	case 'H':
		sk_cli_deprecated("serve", "http", "witness-listen");
		/* fall through */
	case 'h':
		so->http = arg;
		return SK_CLI_RUN;
	case 'w':
		if (!parse_count(arg, NULL, 0, &v) || v > 64)
			return sk_cli_usage("serve", "--workers takes 0..64");
		so->workers = (unsigned)v;
		return SK_CLI_RUN;
	case 's':
		if (!parse_count(arg, NULL, 1, &v) || v > PS_SYNC_SECONDS_MAX)
			return sk_cli_usage("serve", "--sync-seconds takes 1..%d", PS_SYNC_SECONDS_MAX);
		so->sync_seconds = (unsigned)v;
		return SK_CLI_RUN;
	case 'r':
		if (!parse_count(arg, NULL, 1, &so->rate))
			return sk_cli_usage("serve", "--rate takes a count from 1 to %llu", PS_LIMIT_MAX);
		return SK_CLI_RUN;
	case 'b':
		if (!parse_count(arg, NULL, 1, &so->burst))
			return sk_cli_usage("serve", "--burst takes a count from 1 to %llu", PS_LIMIT_MAX);
		return SK_CLI_RUN;
	default:
		return SK_CLI_UNKNOWN;
	}
}

static int cmd_serve(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"listen", required_argument, NULL, 'l'},
					   {"witness-listen", required_argument, NULL, 'h'},
					   {"http", required_argument, NULL, 'H'}, /* its former name */
					   {"workers", required_argument, NULL, 'w'},
					   {"sync-seconds", required_argument, NULL, 's'},
					   {"rate", required_argument, NULL, 'r'},
					   {"burst", required_argument, NULL, 'b'},
					   {0}};
	static const char help[] =
		"usage: schakel-pseudonymiser serve --dir D --listen HOST:PORT\n"
		"                                   [--witness-listen HOST:PORT]\n\n"
		"Evaluates blinded elements for allowed, unrevoked orgs over TLS 1.3 with mutual\n"
		"authentication: batches of up to 1024 with one DLEQ proof each, within each\n"
		"org's rate limit and daily quota. Follows the registry's member events in the\n"
		"background. Prints 'listening on HOST:PORT' once ready (port 0 picks a free\n"
		"one). SIGTERM drains in-flight requests, saves the counters and exits 0.\n\n"
		"  --listen HOST:PORT    where to listen\n"
		"  --workers N           evaluation threads (default: one per CPU)\n"
		"  --sync-seconds N      pull member events (revocations) every N s (default 5)\n"
		"  --rate N              evaluations a second per org (default 200)\n"
		"  --burst N             evaluations at once per org (default 2000)\n"
		"  --witness-listen HOST:PORT\n"
		"                        also the cosigning witness of the registry's log (C2SP\n"
		"                        tlog-witness over HTTPS: POST /add-checkpoint), with\n"
		"                        the identity key; prints 'witness listening on\n"
		"                        HOST:PORT' before 'listening on' (formerly --http,\n"
		"                        which still works)\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	ps_serve_opts so = {0};
	int prc;
	sk_kek *kek = NULL;
	ps_store *s = NULL;
	sk_status st;

	if ((prc = parse("serve", argc, argv, lo, help, &o, serve_opt, &so)) != SK_CLI_RUN)
		return prc;
	if (so.listen == NULL)
		return sk_cli_usage("serve", "--listen HOST:PORT is required");
	if ((st = sk_cli_kek(&kek, &o)) == SK_OK && (st = ps_store_open(&s, o.dir)) == SK_OK)
		st = ps_serve(s, kek, &so);
	ps_store_close(s);
	sk_kek_free(kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "serve");
}

static int cmd_rotate(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {"until", required_argument, NULL, 'u'},
					   {0}};
	static const char help[] =
		"usage: schakel-pseudonymiser rotate --dir D --until YYYY-MM-DD\n\n"
		"Creates the OPRF key of the next epoch and publishes it at the registry, which\n"
		"makes it a leaf of its log; on the receipt it becomes the current epoch. Safe\n"
		"while 'serve' runs, which serves the new epoch at once. Older epochs stay\n"
		"served until their own end, so nodes can re-derive their entries; nodes get the\n"
		"new key with a refreshed bundle ('schakel-registry enrol --refresh ORG').\n\n"
		"  --until YYYY-MM-DD    last day the new epoch is served\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	const char *until = NULL;
	uint32_t day = 0;
	char pk[2 * OPRF_ELEMENT_BYTES + 1], date[PS_DATE_BYTES];
	sk_kek *kek = NULL;
	ps_store *s = NULL;
	ps_epoch e;
	sk_status st;

	str_opts a = {"u", {NULL}};
	int prc;

	if ((prc = parse("rotate", argc, argv, lo, help, &o, str_opt, &a)) != SK_CLI_RUN)
		return prc;
	until = a.v[0];
	if (until == NULL)
		return sk_cli_usage("rotate", "--until YYYY-MM-DD is required");
	if (ps_date_parse(until, &day) != SK_OK)
		return sk_cli_usage("rotate", "--until takes a date YYYY-MM-DD, not '%s'", until);
	if ((st = sk_cli_kek(&kek, &o)) == SK_OK && (st = ps_store_open(&s, o.dir)) == SK_OK)
		st = ps_rotate(s, kek, day, &e);
	ps_store_close(s);
	sk_kek_free(kek);
	if (st != SK_OK)
		return sk_cli_fail(st, "rotate");
	hex(pk, sizeof(pk), e.pk, sizeof(e.pk));
	ps_date_format(date, day);
	if (o.json)
		return print_json(json_pack("{s:i,s:s,s:I,s:s}", "epoch", (int)e.epoch, "oprf_key",
					    pk, "leaf_index", (json_int_t)e.leaf_index, "until",
					    date));
	printf("epoch %u published at leaf %llu, served until %s; OPRF key %s\n", e.epoch,
	       (unsigned long long)e.leaf_index, date, pk);
	return SK_EXIT_OK;
}

struct query_ctx {
	json_t *arr;
	const char *event;
	int json;
	uint64_t n;
};

static sk_status query_one(const audit_record *rec, void *arg)
{
	struct query_ctx *q = arg;
	char line[AUDIT_LINE_MAX];
	json_t *j = NULL;
	sk_status st;

	if (q->event != NULL && strcmp(rec->event, q->event) != 0)
		return SK_OK;
	q->n++;
	if (!q->json) {
		if ((st = audit_record_line(line, sizeof(line), rec)) == SK_OK)
			puts(line);
		return st;
	}
	if ((st = audit_record_json(&j, rec)) == SK_OK)
		json_array_append_new(q->arr, j);
	return st;
}

static int cmd_audit(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {"event", required_argument, NULL, 'e'},
					   {0}};
	static const char help[] =
		"usage: schakel-pseudonymiser audit verify --dir D\n"
		"       schakel-pseudonymiser audit query --dir D [--event E] [--json]\n\n"
		"The pseudonymiser's own audit log: operator actions and, per org and day, the\n"
		"number of evaluations (event eval.daily; the last record of a day holds its\n"
		"total) — never blinded points, never single requests. 'verify' recomputes the\n"
		"hash chain (exit 3 names the first bad record); 'query' lists records and is\n"
		"itself audited.\n\n"
		"  --event E             only records of this event type\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	const char *event = NULL, *sub;
	struct query_ctx q = {0};
	ps_store *s = NULL;
	MDB_txn *txn = NULL;
	audit_record rec = {0};
	uint64_t count = 0, bad = 0;
	int verify;
	sk_status st;

	if (sk_cli_probing())
		return sk_cli_parse("audit query", argc, argv, lo, help, &o, NULL, NULL);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(help, stdout);
		return SK_EXIT_OK;
	}
	if (argc < 2 || (strcmp(argv[1], "verify") != 0 && strcmp(argv[1], "query") != 0))
		return sk_cli_usage("audit", "'audit verify' or 'audit query'");
	sub = argv[1];
	verify = strcmp(sub, "verify") == 0;
	argc--;
	argv++;
	str_opts a = {"e", {NULL}};
	int prc;

	if ((prc = parse(verify ? "audit verify" : "audit query", argc, argv, lo, help, &o, str_opt,
			 &a)) != SK_CLI_RUN)
		return prc;
	event = a.v[0];
	if ((st = ps_store_open(&s, o.dir)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if (verify) {
		st = audit_log_verify(s->audit, txn, &count, &bad);
		if (st == SK_ERR_VERIFY)
			sk_error_set("the audit log is broken at record %llu (of %llu checked before "
				     "it)",
				     (unsigned long long)bad, (unsigned long long)count);
		else if (st == SK_OK && o.json)
			st = print_json(json_pack("{s:b,s:I}", "ok", 1, "records",
						  (json_int_t)count)) == SK_EXIT_OK
				     ? SK_OK
				     : SK_ERR_NOMEM;
		else if (st == SK_OK)
			printf("audit log verified: %llu records\n", (unsigned long long)count);
		goto out;
	}
	q.arr = json_array();
	q.event = event;
	q.json = o.json;
	st = audit_log_scan(s->audit, txn, 1, 0, query_one, &q);
	mdb_txn_abort(txn);
	txn = NULL;
	/* reading the audit log is itself audited */
	rec.event = "audit.query";
	rec.action = AUDIT_ACTION_READ;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.purpose = event;
	if (st == SK_OK && (st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) == SK_OK) {
		if ((st = ps_audit(s, txn, &rec)) == SK_OK)
			st = sk_db_status(mdb_txn_commit(txn));
		else
			mdb_txn_abort(txn);
		txn = NULL;
	}
	if (st == SK_OK && o.json) {
		st = print_json(q.arr) == SK_EXIT_OK ? SK_OK : SK_ERR_NOMEM;
		q.arr = NULL;
	}
out:
	json_decref(q.arr);
	mdb_txn_abort(txn);
	ps_store_close(s);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, verify ? "audit verify" : "audit query");
}

SK_CLI_BACKUP_DEFINE(SK_BACKUP_PSEUDONYMISER, ps_store_restored)

static const sk_cli_cmd commands[] = {
	{"init", cmd_init, "create keys and the enrolment request"},
	{"join", cmd_join, "install the bundle from the registry operator"},
	{"allow", cmd_allow, "allow an org (or change its daily quota), at once"},
	{"deny", cmd_deny, "take an org off the allow-list, at once"},
	{"grant", cmd_grant, "give an org extra evaluations for bulk onboarding"},
	{"list", cmd_list, "list allowed orgs with quota and today's usage"},
	{"status", cmd_status, "show registry, epochs and member-event progress"},
	{"serve", cmd_serve, "evaluate blinded elements over TLS"},
	SK_CLI_BACKUP_COMMANDS,
	{"rotate", cmd_rotate, "publish the OPRF key of the next epoch"},
	{"audit", cmd_audit, "verify or query the pseudonymiser's audit log"},
};

int ps_cli_main(int argc, char **argv)
{
	return sk_cli_main("schakel-pseudonymiser",
			   "schakel-pseudonymiser: one link of the federation's VOPRF chain",
			   commands, sizeof(commands) / sizeof(commands[0]), argc, argv);
}
