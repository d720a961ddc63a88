/* schakel-node audit ...: the privacy officer's commands over the node's
 * own audit log: verify (with the registry's anchors) and the art. 15
 * report here; query, export, verify-export, review, purge, hold and
 * retention through the front end the registry shares (audit/cli.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "audit/cli.h"
#include "audit/report.h"
#include "common/cli.h"
#include "common/clock.h"
#include "common/db.h"
#include "node/cli.h"
#include "node/reconcile.h"
#include "node/anchor.h"
#include "node/client.h"
#include "node/professional.h"
#include "node/report.h"
#include "node/store.h"

#define PROG "schakel-node"

/* ---- plumbing ---------------------------------------------------------------- */

/* Prints a JSON document (released). */
static sk_status print_json(json_t *doc)
{
	if (doc == NULL)
		return SK_ERR_NOMEM;
	node_cli_print_json(doc);
	return SK_OK;
}

/* A client named by BSN or local id to its local id (the BSN is never
 * stored or shown). */
static sk_status resolve_client(node_store *s, const char *ref,
				char out[static NODE_CLIENT_ID_MAX + 1])
{
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = node_client_resolve(s, txn, ref, out);
	mdb_txn_abort(txn);
	return st;
}

/* The privacy officer of --as (audit_cli_actor()), checked once. */
static node_professional officer_p;
static int officer_ok;

/* SK_OK when no --as was given or it names a privacy officer of s (then
 * in officer_p); SK_ERR_PERM with a detail otherwise. */
static sk_status officer(node_store *s, const char *cmd)
{
	const char *as = audit_cli_actor();
	MDB_txn *txn = NULL;
	sk_status st;

	(void)cmd;
	if (as == NULL || officer_ok)
		return SK_OK;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	st = node_professional_get(s, txn, as, &officer_p);
	mdb_txn_abort(txn);
	if (st == SK_ERR_NOTFOUND || (st == SK_OK && officer_p.kind != NODE_KIND_PRIVACY_OFFICER)) {
		sk_error_set("--as %s: not a privacy officer of this node (add one with "
			     "'professional add --role privacy-officer')",
			     as);
		return SK_ERR_PERM;
	}
	officer_ok = st == SK_OK;
	return st;
}

/* Reading the log is itself audited, before anything is shown, with the
 * officer of --as as user. */
static sk_status audit_reading(node_store *s, const char *event, const char *client,
			       const char *what)
{
	char reason[AUDIT_REASON_MAX + 1];

	audit_text_clean(reason, sizeof(reason), what);
	return node_audit_access(s, event, officer_ok ? officer_p.id : NULL,
				 officer_ok ? officer_p.role : NULL, "audit", client, reason);
}

/* ---- verify -------------------------------------------------------------------- */

/* An unmatched registry record as JSON: all the registry gives of it. */
static sk_status collect_unmatched(const node_reconcile_record *rec, void *arg)
{
	char t[AUDIT_TIME_ISO_BYTES];
	json_t *obj;

	if (audit_time_iso(t, rec->time_ms) != SK_OK)
		snprintf(t, sizeof(t), "%llu", (unsigned long long)rec->time_ms);
	obj = json_pack("{s:I,s:s,s:s,s:s,s:s}", "seq", (json_int_t)rec->seq, "time", t, "event",
			rec->event, "outcome", audit_outcome_name(rec->outcome), "correlation_id",
			rec->correlation_id);
	if (obj == NULL || json_array_append_new(arg, obj) != 0)
		return SK_ERR_NOMEM;
	return SK_OK;
}

/* One of our records lost in the registry's recovery, as JSON. */
static sk_status collect_lost(const audit_record *rec, void *arg)
{
	char t[AUDIT_TIME_ISO_BYTES];
	json_t *obj;

	if (audit_time_iso(t, rec->time_ms) != SK_OK)
		snprintf(t, sizeof(t), "%llu", (unsigned long long)rec->time_ms);
	obj = json_pack("{s:I,s:s,s:s,s:s}", "seq", (json_int_t)rec->seq, "time", t, "event",
			rec->event, "correlation_id", rec->correlation_id);
	if (obj == NULL || json_array_append_new(arg, obj) != 0)
		return SK_ERR_NOMEM;
	return SK_OK;
}

/* --reconcile: the registry's actions about us that our log lacks, in
 * *list (JSON records), and after a rollover ours lost in the registry's
 * recovery, in *lost; the reconciliation is recorded first. */
static sk_status reconcile(node_store *s, sk_kek *kek, node_remote **r, json_t **list,
			   json_t **lost, node_reconcile_stats *rs)
{
	char what[320];
	sk_status st;

	if ((*list = json_array()) == NULL || (*lost = json_array()) == NULL)
		return SK_ERR_NOMEM;
	if (*r == NULL && (st = node_remote_open(r, s, kek)) != SK_OK)
		return st;
	if ((st = node_reconcile(*r, s, collect_unmatched, *list, collect_lost, *lost, rs)) !=
	    SK_OK)
		return st;
	snprintf(what, sizeof(what),
		 "reconcile with the registry: %llu records about us, %llu with a correlation "
		 "id, %llu matched, %llu unmatched, %llu older than our log, %llu of ours lost "
		 "in its recovery",
		 (unsigned long long)rs->fetched, (unsigned long long)rs->matchable,
		 (unsigned long long)rs->matched, (unsigned long long)rs->unmatched,
		 (unsigned long long)rs->before_log, (unsigned long long)rs->lost);
	return audit_reading(s, "audit.reconcile", NULL, what);
}

/* After a rollover: the JSON of what it explains (NULL when none). */
static json_t *lost_json(json_t *lost, const node_reconcile_stats *rs)
{
	char t[AUDIT_TIME_ISO_BYTES], f[AUDIT_TIME_ISO_BYTES];

	if (rs->rolled_at == 0)
		return json_null();
	if (audit_time_iso(t, rs->rolled_at) != SK_OK)
		snprintf(t, sizeof(t), "%llu", (unsigned long long)rs->rolled_at);
	if (audit_time_iso(f, rs->followed_at) != SK_OK)
		snprintf(f, sizeof(f), "%llu", (unsigned long long)rs->followed_at);
	return json_pack("{s:s,s:s,s:s,s:I,s:O}", "rolled_over_to", rs->rolled_to, "statement",
			 t, "followed", f, "lost_in_recovery_count", (json_int_t)rs->lost,
			 "lost_in_recovery", lost);
}

/* Prints our records lost in the registry's recovery, one line each. */
static void print_lost(const json_t *lost, const node_reconcile_stats *rs)
{
	char t[AUDIT_TIME_ISO_BYTES];
	size_t i;
	json_t *v;

	if (rs->rolled_at == 0 || rs->lost == 0)
		return;
	if (audit_time_iso(t, rs->rolled_at) != SK_OK)
		snprintf(t, sizeof(t), "%llu", (unsigned long long)rs->rolled_at);
	printf("%llu of our records are no longer at the registry: lost in the registry's "
	       "recovery on %s (rollover to %s); they were made after its backup, before this "
	       "node followed the new log, and are not a fault%s\n",
	       (unsigned long long)rs->lost, t, rs->rolled_to,
	       rs->lost > json_array_size(lost) ? " (the first ones shown)" : ":");
	json_array_foreach(lost, i, v)
		printf("  our record %lld %s %s correlation=%s\n",
		       (long long)json_integer_value(json_object_get(v, "seq")),
		       json_string_value(json_object_get(v, "time")),
		       json_string_value(json_object_get(v, "event")),
		       json_string_value(json_object_get(v, "correlation_id")));
}

/* After a rollover: our anchors the registry lost in its recovery, each
 * with the later anchor that covers its records (null: none), as JSON. */
static json_t *anchors_json(const node_anchor_lost *al, size_t n)
{
	json_t *list = json_array();

	for (size_t i = 0; list != NULL && i < n; i++) {
		char t[AUDIT_TIME_ISO_BYTES], b[AUDIT_TIME_ISO_BYTES];
		json_t *by = json_null(), *obj;

		if (audit_time_iso(t, al[i].made.time_ms) != SK_OK)
			snprintf(t, sizeof(t), "%llu", (unsigned long long)al[i].made.time_ms);
		if (al[i].covered) {
			if (audit_time_iso(b, al[i].by_time_ms) != SK_OK)
				snprintf(b, sizeof(b), "%llu", (unsigned long long)al[i].by_time_ms);
			by = json_pack("{s:I,s:s}", "seq", (json_int_t)al[i].by_seq, "time", b);
		}
		obj = json_pack("{s:I,s:s,s:I,s:s,s:o}", "seq", (json_int_t)al[i].made.seq, "time",
				t, "leaf", (json_int_t)al[i].made.leaf, "log", al[i].made.origin,
				"covered_by", by);
		if (obj == NULL || json_array_append_new(list, obj) != 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

/* Prints our anchors lost in the registry's recovery, one line each. */
static void print_anchors_lost(const node_anchor_lost *al, size_t n)
{
	if (n == 0)
		return;
	printf("%zu of our audit anchors are no longer at the registry (lost in its recovery):\n",
	       n);
	for (size_t i = 0; i < n; i++) {
		char t[AUDIT_TIME_ISO_BYTES], b[AUDIT_TIME_ISO_BYTES];

		if (audit_time_iso(t, al[i].made.time_ms) != SK_OK)
			snprintf(t, sizeof(t), "%llu", (unsigned long long)al[i].made.time_ms);
		if (al[i].covered && audit_time_iso(b, al[i].by_time_ms) != SK_OK)
			snprintf(b, sizeof(b), "%llu", (unsigned long long)al[i].by_time_ms);
		if (al[i].covered)
			printf("  our anchor of record %llu %s (leaf %llu of %s): covered by our "
			       "anchor of record %llu %s\n",
			       (unsigned long long)al[i].made.seq, t,
			       (unsigned long long)al[i].made.leaf, al[i].made.origin,
			       (unsigned long long)al[i].by_seq, b);
		else
			printf("  our anchor of record %llu %s (leaf %llu of %s): NOT covered by a "
			       "later anchor the registry holds\n",
			       (unsigned long long)al[i].made.seq, t,
			       (unsigned long long)al[i].made.leaf, al[i].made.origin);
	}
}

/* Prints the unmatched records of a reconciliation, one line each. */
static sk_status print_unmatched(const json_t *list, const node_reconcile_stats *rs)
{
	size_t i;
	json_t *v;

	printf("reconciled with the registry: %llu of its records about us, %llu with a "
	       "correlation id, %llu matched, %llu without a local record%s\n",
	       (unsigned long long)rs->fetched, (unsigned long long)rs->matchable,
	       (unsigned long long)rs->matched, (unsigned long long)rs->unmatched,
	       rs->unmatched ? ":" : "");
	json_array_foreach(list, i, v)
		printf("  registry record %lld %s %s %s correlation=%s\n",
		       (long long)json_integer_value(json_object_get(v, "seq")),
		       json_string_value(json_object_get(v, "time")),
		       json_string_value(json_object_get(v, "event")),
		       json_string_value(json_object_get(v, "outcome")),
		       json_string_value(json_object_get(v, "correlation_id")));
	return SK_OK;
}

struct verify_args {
	int registry, recon;
};

static int verify_opt(int c, const char *arg, void *p)
{
	struct verify_args *a = p;

	switch (c) {
	case 'r':
		a->registry = 1;
		break;
	case 'R':
		a->recon = 1;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"registry", no_argument, NULL, 'r'},
					   {"reconcile", no_argument, NULL, 'R'}, {0}};
	static const char help[] =
		"usage: schakel-node audit verify --dir D [--registry] [--reconcile] [--json]\n\n"
		"Recomputes the node's audit hash chain from the first record (after a purge,\n"
		"from the signed purge marker), checks that every record is in the query\n"
		"indexes and that the last audit head anchored in the registry's log is still\n"
		"there (a cut-off tail or a changed record). With --registry, every anchor the\n"
		"registry holds for this node is checked too. With --reconcile, the registry's\n"
		"own audit records of this organisation's requests are fetched and matched by\n"
		"correlation id against this log; the registry actions with no local record\n"
		"are listed (the reconciliation is recorded, event audit.reconcile). After the\n"
		"registry's log rolled over, our records it lost in its recovery are listed as\n"
		"such: they do not fail the check; so are our audit anchors it lost, each with\n"
		"the later anchor that covers its records.\n"
		"Exit 3 names the first bad record, or when a registry action has no local\n"
		"record, or a lost anchor has no later anchor covering it.\n\n" SK_CLI_COMMON_HELP;
	struct verify_args a = {0};
	json_t *unmatched = NULL, *lost = NULL;
	node_reconcile_stats rs = {0};
	node_anchor_lost *alost = NULL;
	size_t checked = 0, n_alost = 0, a_uncovered = 0;
	uint64_t anchored = 0;
	node_remote *r = NULL;
	sk_cli_common o = {0};
	char detail[AUDIT_REASON_MAX + 1];
	uint64_t count = 0, bad = 0;
	audit_base base = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("audit verify", argc, argv, lo, help, &o, verify_opt, &a)) !=
	    SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("audit verify", &o)) != 0)
		return rc;
	if ((rc = node_cli_open(&s, &kek, &o, "audit verify")) != 0)
		return rc;
	if ((st = officer(s, "audit verify")) != SK_OK) {
		node_cli_close(s, kek);
		return sk_cli_fail(st, "audit verify");
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = audit_log_verify(s->audit, txn, &count, &bad);
		if (st == SK_OK)
			st = audit_log_base(s->audit, txn, &base);
		if (st == SK_OK)
			st = node_audit_anchor_check(s, txn, count, &bad, &anchored);
		mdb_txn_abort(txn);
	}
	if (st == SK_OK && a.registry && (st = node_remote_open(&r, s, kek)) == SK_OK)
		st = node_remote_anchors_check(r, count, &bad, &checked);
	if (st == SK_OK && a.recon)
		st = reconcile(s, kek, &r, &unmatched, &lost, &rs);
	/* after a rollover: our anchors the registry lost, and what covers them */
	if (st == SK_OK && a.recon && rs.rolled_at > 0)
		st = node_remote_anchors_lost(r, &alost, &n_alost, &a_uncovered);
	node_remote_close(r);
	if (st == SK_ERR_VERIFY) {
		audit_text_clean(detail, sizeof(detail), sk_error_detail());
		if (o.json)
			(void)print_json(json_pack("{s:b,s:I,s:I,s:s}", "ok", 0, "first_bad",
						   (json_int_t)bad, "records", (json_int_t)count,
						   "detail", detail));
		sk_error_set("the audit log is broken at record %llu (of %llu checked before it): "
			     "%s",
			     (unsigned long long)bad, (unsigned long long)count, detail);
	} else if (st == SK_OK && o.json) {
		json_t *doc = json_pack("{s:b,s:I,s:I,s:I,s:I,s:I}", "ok",
					rs.unmatched == 0 && a_uncovered == 0,
					"records", (json_int_t)(count - base.seq), "last_seq",
					(json_int_t)count, "anchored", (json_int_t)anchored,
					"registry_anchors", (json_int_t)checked, "purged_through",
					(json_int_t)base.seq);

		if (doc != NULL && a.recon)
			json_object_set_new(doc, "reconcile",
					    json_pack("{s:I,s:I,s:I,s:I,s:I,s:O,s:o}", "fetched",
						      (json_int_t)rs.fetched, "matchable",
						      (json_int_t)rs.matchable, "matched",
						      (json_int_t)rs.matched, "before_log",
						      (json_int_t)rs.before_log, "unmatched_count",
						      (json_int_t)rs.unmatched, "unmatched", unmatched,
						      "rollover", lost_json(lost, &rs)));
		if (doc != NULL && a.recon && rs.rolled_at > 0) {
			json_t *ro = json_object_get(json_object_get(doc, "reconcile"), "rollover");

			if (ro != NULL) {
				json_object_set_new(ro, "anchors_lost", anchors_json(alost, n_alost));
				json_object_set_new(ro, "anchors_not_covered",
						    json_integer((json_int_t)a_uncovered));
			}
		}
		st = print_json(doc);
	} else if (st == SK_OK) {
		if (base.seq)
			printf("records 1-%llu were purged under retention; the chain is checked "
			       "from their signed purge marker\n",
			       (unsigned long long)base.seq);
		if (anchored)
			printf("audit log verified: %llu records, anchored in the registry's log up "
			       "to record %llu\n",
			       (unsigned long long)(count - base.seq), (unsigned long long)anchored);
		else
			printf("audit log verified: %llu records\n",
			       (unsigned long long)(count - base.seq));
		if (a.recon && (st = print_unmatched(unmatched, &rs)) == SK_OK) {
			print_lost(lost, &rs);
			print_anchors_lost(alost, n_alost);
		}
	}
	if (st == SK_OK && a_uncovered > 0) {
		sk_error_set("%zu of our audit anchors the registry lost are not covered by a later "
			     "anchor it holds",
			     a_uncovered);
		st = SK_ERR_VERIFY;
	}
	if (st == SK_OK && rs.unmatched > 0) {
		sk_error_set("%llu registry actions of this organisation have no record in our "
			     "audit log",
			     (unsigned long long)rs.unmatched);
		st = SK_ERR_VERIFY;
	}
	json_decref(unmatched);
	json_decref(lost);
	free(alost);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "audit verify");
}

/* ---- report ----------------------------------------------------------------------- */

struct report_args {
	char client_ref[NODE_CLIENT_ID_MAX + 1]; /* a BSN or a local id */
	audit_lang lang;
	int roles_only;
};

static int report_opt(int c, const char *arg, void *p)
{
	struct report_args *a = p;

	switch (c) {
	case 'c':
		if (strlen(arg) >= sizeof(a->client_ref))
			return sk_cli_usage("audit report",
					    "--client takes a BSN or a local client id");
		memcpy(a->client_ref, arg, strlen(arg) + 1);
		sk_cli_arg_wipe(arg); /* out of /proc/PID/cmdline */
		break;
	case 'l':
		if (audit_lang_parse(&a->lang, arg) != SK_OK)
			return sk_cli_usage("audit report", "--lang takes nl or en");
		break;
	case 'n':
		a->roles_only = 0;
		break;
	case 'r':
		a->roles_only = 1;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

/* One exit path after --client: it wipes the client's BSN. */
static int cmd_report(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"client", required_argument, NULL, 'c'},
					   {"lang", required_argument, NULL, 'l'},
					   {"names", no_argument, NULL, 'n'},
					   {"roles-only", no_argument, NULL, 'r'}, {0}};
	static const char help[] =
		"usage: schakel-node audit report --dir D --client BSN|ID [--lang nl|en]\n"
		"           [--roles-only] [--as ID] [--json]\n\n"
		"The report for a client's request to see who used their data (AVG art. 15,\n"
		"Wabvpz), in plain language for the client: by day, who at this organisation\n"
		"(name and role) did what with their data and why, page views folded into one\n"
		"line a day; the other organisations (by name) that learned through the\n"
		"federation that we are involved; how long the log is kept; the right to\n"
		"rectification (art. 16) and to complain to the Autoriteit Persoonsgegevens;\n"
		"and the privacy officer's contact ('org set --privacy-contact'). Dutch by\n"
		"default. --json gives the same content as a JSON document. The report is\n"
		"itself recorded (event audit.report).\n\n"
		"  --client BSN|ID       the client (a BSN is resolved to our local id)\n"
		"  --lang L              nl (default) or en\n"
		"  --roles-only          professionals by role, without their names\n"
		"  --names               professionals by name and role (the default)\n"
		"  --as ID               the privacy officer drawing it up (recorded)\n"
		SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit report";
	sk_cli_common o = {0};
	struct report_args a = {.lang = AUDIT_LANG_NL};
	char client[NODE_CLIENT_ID_MAX + 1];
	json_t *doc = NULL;
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, report_opt, &a)) != SK_CLI_RUN)
		goto wipe;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		goto wipe;
	if (a.client_ref[0] == '\0') {
		rc = sk_cli_usage(cmd, "--client BSN|ID is required");
		goto wipe;
	}
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		goto wipe;
	if ((st = officer(s, cmd)) != SK_OK ||
	    (st = resolve_client(s, a.client_ref, client)) != SK_OK ||
	    (st = audit_reading(s, "audit.report", client,
				a.roles_only ? "art. 15 report, roles only" : "art. 15 report")) !=
		    SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	st = node_report_build(s, txn, client, a.lang, !a.roles_only, &doc);
	mdb_txn_abort(txn);
	if (st == SK_OK && o.json) {
		node_cli_print_json(doc);
		doc = NULL;
	} else if (st == SK_OK) {
		st = audit_report_text(stdout, doc);
	}
out:
	json_decref(doc);
	node_cli_close(s, kek);
	rc = st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
wipe:
	sodium_memzero(&a, sizeof(a));
	return rc;
}

/* ---- retention: purge, hold, retention (audit/cli.h) ----------------------------- */

struct host_ctx {
	node_store *s;
	sk_kek *kek;
};

static int host_open(void **ctx, const sk_cli_common *o, const char *cmd, audit_log **log,
		     MDB_env **env, audit_record *tmpl)
{
	struct host_ctx *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		return sk_cli_fail(SK_ERR_NOMEM, cmd);
	if ((rc = node_cli_open(&c->s, &c->kek, o, cmd)) != 0) {
		free(c);
		return rc;
	}
	*log = c->s->audit;
	*env = c->s->env;
	node_audit_fill(c->s, tmpl);
	*ctx = c;
	return 0;
}

static sk_status host_identity(void *ctx, key_ed25519 *out)
{
	struct host_ctx *c = ctx;

	return node_identity_load(c->s, c->kek, out);
}

static void host_close(void *ctx)
{
	struct host_ctx *c = ctx;

	if (c != NULL)
		node_cli_close(c->s, c->kek);
	free(c);
}

static sk_status host_actor(void *ctx, const char *id, audit_record *tmpl)
{
	struct host_ctx *c = ctx;
	sk_status st = officer(c->s, "audit");

	(void)id; /* audit_cli_actor(), which officer() checks */
	if (st == SK_OK && officer_ok) {
		tmpl->user = officer_p.id;
		tmpl->role = officer_p.role;
	}
	return st;
}

static sk_status host_client(void *ctx, const char *ref, char out[static AUDIT_FIELD_MAX + 1])
{
	struct host_ctx *c = ctx;
	char id[NODE_CLIENT_ID_MAX + 1];
	sk_status st = resolve_client(c->s, ref, id);

	if (st == SK_OK)
		memcpy(out, id, strlen(id) + 1);
	return st;
}

static const audit_cli_host host = {
	.prog = PROG,
	.owner = "node",
	.open = host_open,
	.identity = host_identity,
	.close = host_close,
	.who = "professional",
	.whos = "professionals",
	.client_help =
		"  --client BSN|ID       records about this client (a BSN is resolved to our local\n"
		"                        client id; the BSN itself is never stored or shown)\n",
	.resolve_client = host_client,
	.actor = host_actor,
};

/* ---- the group --------------------------------------------------------------------- */

static const audit_cli_cmd audit_cmds[] = {
	{"verify", NULL, cmd_verify, "recompute the hash chain; --registry, --reconcile"},
	{"query", audit_cli_query, NULL, "list audit records by client, professional, action, time"},
	{"export", audit_cli_export, NULL, "export records as csv, json or fhir, signed with --out"},
	{"verify-export", audit_cli_verify_export, NULL, "check a signed export against this node's key"},
	{"report", NULL, cmd_report, "a client's AVG art. 15 report (Dutch or English)"},
	{"review", audit_cli_review, NULL, "what the privacy officer should look at; --sign-off"},
	{"purge", audit_cli_purge, NULL, "remove records past their retention (signed marker)"},
	{"hold", audit_cli_hold, NULL, "set, show or release a legal hold that blocks purges"},
	{"retention", audit_cli_retention, NULL, "show or set how long records are kept"},
};

int node_cli_audit(int argc, char **argv)
{
	return audit_cli_group(&host, audit_cmds, sizeof(audit_cmds) / sizeof(audit_cmds[0]), argc,
			       argv);
}
